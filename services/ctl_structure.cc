// billingctl entity create|list|set-main|set-separate
// billingctl object create|get|list|history|billing-details
// billingctl account group
// billingctl reassign
//
// The verb table over billing.v1.BillingStructureService and the printers
// of its answers.

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "billing/v1/structure_service.pb.h"
#include "engine/core/money.h"
#include "services/ctl_verbs.h"

namespace billing::ctl {
namespace {

using v1::BillableObject;
using v1::BillingEntity;

// 1050 -> "10.50 %".
std::string Percent(int32_t hundredths) {
  return FormatFixedPoint(hundredths, 2) + " %";
}

// A discount the server accepted ("10.5", "0", "") as billed: "10.50 %".
std::string PercentText(const std::string& given) {
  if (given.empty()) return Percent(0);
  const size_t dot = given.find('.');
  std::string whole = given.substr(0, dot);
  std::string decimals = dot == std::string::npos ? "" : given.substr(dot + 1);
  if (whole.empty()) whole = "0";
  decimals.resize(2, '0');
  return absl::StrFormat("%s.%s %%", whole, decimals);
}

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string AddressLine(const v1::Address& a) {
  std::string lines = absl::StrJoin(a.lines(), ", ");
  return absl::StrFormat("%s%s%s %s, %s", lines, lines.empty() ? "" : ", ",
                         a.postal_code(), a.city(), a.country_code());
}

std::string PositionText(const v1::LogPosition& p) {
  return absl::StrFormat("partition %d offset %d", p.partition(), p.offset());
}

// --- printers ---

void PrintEntity(const BillingEntity& e) {
  std::cout << absl::StrFormat("entity    %s%s\n", e.entity_id(),
                               e.main() ? " (main)" : "")
            << absl::StrFormat("name      %s\n", e.name())
            << absl::StrFormat("invoiced  %s\n",
                               e.invoiced_separately()
                                   ? "separately (in the mixed mode)"
                                   : "with the main entity (in the mixed "
                                     "mode)");
  if (!e.email().empty()) std::cout << "e-mail    " << e.email() << "\n";
  if (!e.billing_address().city().empty()) {
    std::cout << "address   " << AddressLine(e.billing_address()) << "\n";
  }
  std::cout << "created   " << e.created_on() << "\n";
}

void PrintEntities(const v1::ListBillingEntitiesResponse& resp) {
  std::cout << Pad("ID", 12) << " " << Pad("NAME", 40) << " " << Pad("MAIN", 4)
            << " " << Pad("SEPARATE", 8) << " " << Pad("CITY", 16)
            << " CREATED\n";
  for (const BillingEntity& e : resp.entities()) {
    std::cout << Pad(e.entity_id(), 12) << " " << Pad(e.name(), 40) << " "
              << Pad(e.main() ? "yes" : "-", 4) << " "
              << Pad(e.invoiced_separately() ? "yes" : "-", 8) << " "
              << Pad(Dash(e.billing_address().city()), 16) << " "
              << e.created_on() << "\n";
  }
}

void PrintAccountHead(const v1::AccountDetails& a) {
  if (a.group_role() == v1::GROUP_ROLE_HEAD) {
    std::cout << "group     head\n";
  } else if (a.group_role() == v1::GROUP_ROLE_MEMBER) {
    std::cout << "group     member of " << a.group_head_id() << "\n";
  } else {
    std::cout << "group     none\n";
  }
  if (!a.email().empty()) std::cout << "e-mail    " << a.email() << "\n";
  if (!a.billing_address().city().empty()) {
    std::cout << "address   " << AddressLine(a.billing_address()) << "\n";
  }
}

// The object's own lines; the assignment is printed by the caller (the
// current one, or the one in force at the point asked).
void PrintObjectHead(const BillableObject& o) {
  std::cout << absl::StrFormat("object    %s\n", o.object_id())
            << absl::StrFormat("kind      %s\n", CliName(o.kind()));
  if (!o.parent_id().empty()) {
    std::cout << "parent    " << o.parent_id() << "\n";
  }
  if (!o.label().empty()) std::cout << "label     " << o.label() << "\n";
  if (!o.e164().empty()) std::cout << "number    " << o.e164() << "\n";
  std::cout << "created   " << o.created_on() << "\n";
  if (o.kind() == v1::OBJECT_KIND_ACCOUNT) PrintAccountHead(o.account());
}

void PrintObject(const BillableObject& o) {
  PrintObjectHead(o);
  std::cout << absl::StrFormat("entity    %s\n", o.assignment().entity_id())
            << absl::StrFormat("discount  %s\n",
                               Percent(o.assignment().discount_hundredths()))
            << absl::StrFormat("since     %s\n", o.assignment_month());
}

void PrintObjectView(const v1::GetObjectRequest& req, const v1::ObjectView& v) {
  std::string as_of = "latest";
  if (req.as_of_case() == v1::GetObjectRequest::kMonth) {
    as_of = "month " + req.month();
  } else if (req.as_of_case() == v1::GetObjectRequest::kLogOffset) {
    as_of = absl::StrFormat("log offset %d", req.log_offset());
  }
  PrintObjectHead(v.object());
  const v1::AssignmentChange& c = v.change();
  std::cout << absl::StrFormat("as of     %s\n", as_of)
            << absl::StrFormat("entity    %s\n", v.assignment().entity_id())
            << absl::StrFormat("discount  %s\n",
                               Percent(v.assignment().discount_hundredths()))
            << absl::StrFormat("since     %s (%s on %s, %s)\n",
                               c.effective_month(), c.cause(),
                               c.business_date(), PositionText(c.position()));
}

void PrintObjectPage(const Answer& a) {
  const auto& page = static_cast<const v1::ListObjectsResponse&>(a.response);
  if (a.first_page) {
    std::cout << Pad("ID", 26) << " " << Pad("KIND", 17) << " "
              << Pad("ENTITY", 10) << " " << Pad("DISCOUNT", 8) << " "
              << Pad("SINCE", 7) << " " << Pad("CREATED", 10) << " "
              << Pad("PARENT", 22) << " LABEL\n";
  }
  for (const v1::ObjectView& v : page.objects()) {
    const BillableObject& o = v.object();
    std::string label = o.label();
    if (!o.e164().empty()) {
      label = label.empty() ? o.e164() : o.e164() + " " + label;
    }
    std::cout << Pad(o.object_id(), 26) << " " << Pad(CliName(o.kind()), 17)
              << " " << Pad(v.assignment().entity_id(), 10) << " "
              << Pad(Percent(v.assignment().discount_hundredths()), 8) << " "
              << Pad(v.change().effective_month(), 7) << " "
              << Pad(o.created_on(), 10) << " " << Pad(Dash(o.parent_id()), 22)
              << " " << label << "\n";
  }
  if (!a.all_pages && !page.next_page_token().empty()) {
    std::cout << "next page: --page-token " << page.next_page_token() << "\n";
  }
}

void PrintObjectHistory(const v1::GetObjectHistoryResponse& resp) {
  std::cout << Pad("FROM", 7) << " " << Pad("ENTITY", 10) << " "
            << Pad("DISCOUNT", 8) << " " << Pad("CAUSE", 10) << " "
            << Pad("DATE", 10) << " " << Pad("PARTITION", 9) << " OFFSET\n";
  for (const v1::AssignmentChange& c : resp.changes()) {
    std::cout << Pad(c.effective_month(), 7) << " "
              << Pad(c.assignment().entity_id(), 10) << " "
              << Pad(Percent(c.assignment().discount_hundredths()), 8) << " "
              << Pad(c.cause(), 10) << " " << Pad(c.business_date(), 10) << " "
              << Pad(absl::StrCat(c.position().partition()), 9) << " "
              << c.position().offset() << "\n";
  }
}

void PrintBillingDetails(const v1::GetBillingDetailsRequest& req,
                         const v1::BillingDetails& out) {
  std::cout << "object    " << req.object_id() << "\n"
            << "invoice   " << Dash(out.invoice_account_id())
            << (out.invoice_account_id().empty()
                    ? " (outside any account)"
                    : " (account whose invoice carries it)")
            << "\n"
            << "source    " << out.source() << "\n";
  if (!out.billing_address().city().empty()) {
    std::cout << "address   " << AddressLine(out.billing_address()) << "\n";
  }
  if (!out.email().empty()) std::cout << "e-mail    " << out.email() << "\n";
}

void PrintReassigned(const v1::ReassignObjectsRequest& req,
                     const v1::ReassignObjectsResponse& out) {
  const v1::ObjectSelection& sel = req.selection();
  std::string what = sel.account_with_children() + " and its children";
  if (sel.has_ids()) {
    what = absl::StrJoin(sel.ids().object_ids(), ", ");
  } else if (sel.selector_case() == v1::ObjectSelection::kKind) {
    what = "every " + CliName(sel.kind());
  } else if (sel.selector_case() == v1::ObjectSelection::kAll) {
    what = "every object";
  }
  std::cout << absl::StrFormat(
      "reassigned %d object%s (%s) of %s to %s at %s from %s (the whole "
      "month)\n",
      out.reassigned_count(), out.reassigned_count() == 1 ? "" : "s", what,
      req.customer_id(), req.entity_id(), PercentText(req.discount_percent()),
      out.effective_month());
}

// --- the verbs ---

Flag Customer() { return Req("--customer", "/customer_id", "Customer code"); }

std::vector<Verb> EntityVerbs() {
  std::vector<Flag> create = AddressFlags(
      "billing_address",
      {Customer(), Req("--id", "entity_id", "Entity code (A-Z a-z 0-9 . _ -)"),
       Req("--name", "name", "Name"),
       Opt("--email", "email", "Invoice e-mail (default: the customer's)")});
  create.push_back(
      Switch("--main", "main",
             "Make it the main entity (the first one is main anyway)"));
  create.push_back(Switch("--invoiced-separately", "invoiced_separately",
                          "In the mixed delivery mode, invoice it on its own"));
  const Flag id = Req("--id", "entity_id", "Entity code");
  return {
      {{"entity", "create"},
       "Create an entity",
       "BillingStructureService.CreateBillingEntity",
       "entity",
       create,
       Prints(&PrintEntity),
       kCommand},
      {{"entity", "list"},
       "List a customer's entities",
       "BillingStructureService.ListBillingEntities",
       "",
       {Customer()},
       Prints(&PrintEntities)},
      {{"entity", "set-main"},
       "Make an entity the main one",
       "BillingStructureService.SetMainEntity",
       "",
       {Customer(), id},
       Prints(&PrintEntity),
       kCommand},
      {{"entity", "set-separate"},
       "In the mixed delivery mode, invoice an entity on its own (--off: "
       "consolidate it into the main entity again)",
       "BillingStructureService.SetEntityInvoicedSeparately",
       "",
       {Customer(), id,
        Switch("--off", "invoiced_separately",
               "Consolidate it into the main entity's invoice")
            .Absent("true")
            .Given("false")},
       Prints(&PrintEntity),
       kCommand},
  };
}

std::vector<Flag> ObjectCreateFlags() {
  return AddressFlags(
      "account.billing_address",
      {Customer(),
       Req("--id", "object_id", "Object code (A-Z a-z 0-9 . _ - +)"),
       Req("--kind", "kind", ""),
       Opt("--parent", "parent_id",
           "Account it belongs to (required for alias and option)"),
       Opt("--label", "label", "Text shown on invoices"),
       Opt("--e164", "e164",
           "Phone number, e.g. +33142680000 (phone-number only)"),
       Opt("--option-type", "option_type", ""),
       Opt("--entity", "/entity_id",
           "Billing entity (default: the main entity)"),
       Opt("--discount", "/discount_percent",
           "Percent, at most two decimals, e.g. 10.5 (default 0)"),
       Opt("--email", "account.email",
           "Account only: its own invoice e-mail")});
}

std::vector<Verb> ObjectVerbs() {
  const Flag id = Req("--id", "object_id", "Object code");
  return {
      {{"object", "create"},
       "Create an object",
       "BillingStructureService.CreateObject",
       "object",
       ObjectCreateFlags(),
       Prints(&PrintObject),
       kCommand},
      {{"object", "get"},
       "Show an object and its entity and discount (now, for a month, or as "
       "the log stood at an offset)",
       "BillingStructureService.GetObject",
       "",
       {Customer(), id,
        Opt("--month", "month", "YYYY-MM: the assignment billed that month"),
        Opt("--log-offset", "log_offset",
            "Offset in the customer's partition: the assignment as the log "
            "stood just after that record (-1: before anything)")},
       Prints(&PrintObjectView)},
      {{"object", "list"},
       "List a customer's objects with entity, discount and creation date",
       "BillingStructureService.ListObjects",
       "",
       {Customer(), Opt("--kind", "kind", ""),
        Opt("--entity", "entity_id", "Only objects assigned to it"),
        Opt("--month", "month",
            "YYYY-MM: assignments billed that month (default: latest)"),
        Opt("--page-size", "page_size", "1..1000 (default 100)"),
        Opt("--page-token", "page_token", "From a previous page")},
       PrintObjectPage,
       kPaged},
      {{"object", "history"},
       "Every entity and discount an object was billed with",
       "BillingStructureService.GetObjectHistory",
       "",
       {Customer(), id},
       Prints(&PrintObjectHistory)},
      {{"object", "billing-details"},
       "Where an object's charges are invoiced (a grouped member's go to its "
       "head)",
       "BillingStructureService.GetBillingDetails",
       "",
       {Customer(), id},
       Prints(&PrintBillingDetails)},
  };
}

std::vector<Verb> AccountAndReassignVerbs() {
  return {
      {{"account", "group"},
       "Make an account a group head, a member of a head's group, or neither",
       "BillingStructureService.SetAccountGroup",
       "",
       {Customer(), Req("--account", "account_id", "Account code"),
        Req("--role", "role", ""),
        Opt("--head", "head_account_id",
            "member only: the head's account code")},
       Prints(&PrintObject),
       kCommand},
      {{"reassign"},
       "Move objects to an entity with a discount, for the whole billing "
       "month of the business date and after (all or nothing)",
       "BillingStructureService.ReassignObjects",
       "",
       {Customer(), Req("--entity", "entity_id", "Target billing entity"),
        Opt("--discount", "discount_percent",
            "Percent, at most two decimals, e.g. 10.5 (default 0)"),
        Opt("--ids", "selection.ids.object_ids",
            "Object codes, comma separated")
            .Mode(kCommaList)
            .Group("selection"),
        Opt("--kind", "selection.kind", "").Group("selection"),
        Switch("--all", "selection.all", "Every object of the customer")
            .Group("selection"),
        Opt("--account-with-children", "selection.account_with_children",
            "An account and every object below it")
            .Group("selection")},
       Prints(&PrintReassigned),
       kCommand},
  };
}

}  // namespace

void RegisterStructureCommands(CLI::App& app, const Global& g,
                               ExitCode* exit_code) {
  std::vector<Verb> verbs = EntityVerbs();
  for (auto* more : {&ObjectVerbs, &AccountAndReassignVerbs}) {
    for (Verb& v : more()) verbs.push_back(std::move(v));
  }
  RegisterVerbs(
      app, g, exit_code, *v1::GetObjectRequest::descriptor()->file(),
      {{{"entity"}, "Billing entities (sites, activities, ...)"},
       {{"object"}, "Billable objects (accounts, numbers, options, ...)"},
       {{"account"}, "Accounts"}},
      std::move(verbs));
}

}  // namespace billing::ctl
