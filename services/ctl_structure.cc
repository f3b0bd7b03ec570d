// billingctl entity create|list|set-main|set-separate
// billingctl object create|get|list|history|billing-details
// billingctl account group
// billingctl reassign
//
// The billing structure (issue 4) over billing.v1.BillingStructureService.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "billing/v1/structure_service.grpc.pb.h"
#include "engine/core/money.h"
#include "services/ctl_common.h"

namespace billing::ctl {
namespace {

using v1::BillableObject;
using v1::BillingEntity;

// CLI names of v1::ObjectKind, by enum number.
const char* const kKindNames[] = {
    "unspecified", "account",    "phone-number",
    "alias",       "option",     "call-queue",
    "fax-line",    "voice-menu", "conference-bridge"};
constexpr int kKindCount = 9;

const std::vector<std::string>& KindChoices() {
  static const auto* choices = new std::vector<std::string>(
      std::begin(kKindNames) + 1, std::end(kKindNames));
  return *choices;
}

std::string KindList() { return absl::StrJoin(KindChoices(), " | "); }

v1::ObjectKind KindOf(const std::string& name) {
  for (int i = 1; i < kKindCount; ++i) {
    if (name == kKindNames[i]) return static_cast<v1::ObjectKind>(i);
  }
  return v1::OBJECT_KIND_UNSPECIFIED;
}

std::string KindName(int kind) {
  return kind >= 0 && kind < kKindCount ? kKindNames[kind] : absl::StrCat(kind);
}

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

// --- flags shared by several verbs ---

struct CommandFlags {
  std::string key, business_date;
};

void AddCommandFlags(CLI::App* cmd, CommandFlags* f) {
  cmd->add_option("--key", f->key,
                  "Idempotency key (default: a new random key); reuse it to "
                  "retry safely");
  cmd->add_option("--business-date", f->business_date,
                  "YYYY-MM-DD (default: the server's date)");
}

std::string KeyOf(const CommandFlags& f) {
  return f.key.empty() ? NewIdempotencyKey() : f.key;
}

struct AddressFlags {
  std::vector<std::string> lines;
  std::string postal_code, city, country;
};

void AddAddressFlags(CLI::App* cmd, AddressFlags* f) {
  cmd->add_option("--address-line", f->lines,
                  "Billing address line (repeat for up to 3 lines)");
  cmd->add_option("--postal-code", f->postal_code, "Postal code");
  cmd->add_option("--city", f->city, "City");
  cmd->add_option("--country", f->country, "ISO 3166 alpha-2, e.g. FR");
}

void FillAddress(const AddressFlags& f, const CLI::App& cmd, v1::Address* a) {
  if (cmd.count("--address-line") + cmd.count("--postal-code") +
          cmd.count("--city") + cmd.count("--country") ==
      0) {
    return;
  }
  for (const auto& l : f.lines) a->add_lines(l);
  a->set_postal_code(f.postal_code);
  a->set_city(f.city);
  a->set_country_code(f.country);
}

// --- output ---

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

// The object's own lines; the assignment is printed by the caller (the
// current one, or the one in force at the point asked).
void PrintObjectHead(const BillableObject& o) {
  std::cout << absl::StrFormat("object    %s\n", o.object_id())
            << absl::StrFormat("kind      %s\n", KindName(o.kind()));
  if (!o.parent_id().empty())
    std::cout << "parent    " << o.parent_id() << "\n";
  if (!o.label().empty()) std::cout << "label     " << o.label() << "\n";
  if (!o.e164().empty()) std::cout << "number    " << o.e164() << "\n";
  std::cout << "created   " << o.created_on() << "\n";
  if (o.kind() == v1::OBJECT_KIND_ACCOUNT) {
    const v1::AccountDetails& a = o.account();
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
}

void PrintObject(const BillableObject& o) {
  PrintObjectHead(o);
  std::cout << absl::StrFormat("entity    %s\n", o.assignment().entity_id())
            << absl::StrFormat("discount  %s\n",
                               Percent(o.assignment().discount_hundredths()))
            << absl::StrFormat("since     %s\n", o.assignment_month());
}

void PrintObjectView(const v1::ObjectView& v, const std::string& as_of) {
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

ExitCode ShowEntity(const Global& g, const grpc::Status& s,
                    const BillingEntity& e) {
  if (!s.ok()) return Fail(s);
  if (g.json) {
    std::cout << ToJson(e) << std::endl;
  } else {
    PrintEntity(e);
  }
  return 0;
}

ExitCode ShowObject(const Global& g, const grpc::Status& s,
                    const BillableObject& o) {
  if (!s.ok()) return Fail(s);
  if (g.json) {
    std::cout << ToJson(o) << std::endl;
  } else {
    PrintObject(o);
  }
  return 0;
}

using Stub = std::unique_ptr<v1::BillingStructureService::Stub>;

// --- entity ---

void RegisterEntity(CLI::App& app, const Global& g, ExitCode* exit_code) {
  CLI::App* entity =
      app.add_subcommand("entity", "Billing entities (sites, activities, ...)");
  entity->require_subcommand(1);
  auto stub = [&g] {
    return v1::BillingStructureService::NewStub(g.Channel());
  };

  struct CreateFlags {
    std::string customer, id, name, email;
    AddressFlags address;
    bool main = false, separately = false;
    CommandFlags command;
  };
  auto cf = std::make_shared<CreateFlags>();
  CLI::App* create = entity->add_subcommand("create", "Create an entity");
  create->add_option("--customer", cf->customer, "Customer code")->required();
  create->add_option("--id", cf->id, "Entity code (A-Z a-z 0-9 . _ -)")
      ->required();
  create->add_option("--name", cf->name, "Name")->required();
  create->add_option("--email", cf->email,
                     "Invoice e-mail (default: the customer's)");
  AddAddressFlags(create, &cf->address);
  create->add_flag("--main", cf->main,
                   "Make it the main entity (the first one is main anyway)");
  create->add_flag("--invoiced-separately", cf->separately,
                   "In the mixed delivery mode, invoice it on its own");
  AddCommandFlags(create, &cf->command);
  create->callback([&g, exit_code, create, cf, stub] {
    v1::CreateBillingEntityRequest req;
    req.set_idempotency_key(KeyOf(cf->command));
    req.set_business_date(cf->command.business_date);
    req.set_customer_id(cf->customer);
    BillingEntity* e = req.mutable_entity();
    e->set_entity_id(cf->id);
    e->set_name(cf->name);
    e->set_email(cf->email);
    FillAddress(cf->address, *create, e->mutable_billing_address());
    e->set_main(cf->main);
    e->set_invoiced_separately(cf->separately);
    BillingEntity out;
    *exit_code = ShowEntity(
        g, stub()->CreateBillingEntity(g.Context().get(), req, &out), out);
  });

  auto list_customer = std::make_shared<std::string>();
  CLI::App* list = entity->add_subcommand("list", "List a customer's entities");
  list->add_option("--customer", *list_customer, "Customer code")->required();
  list->callback([&g, exit_code, list_customer, stub] {
    v1::ListBillingEntitiesRequest req;
    req.set_customer_id(*list_customer);
    v1::ListBillingEntitiesResponse resp;
    grpc::Status s = stub()->ListBillingEntities(g.Context().get(), req, &resp);
    if (!s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    if (g.json) {
      std::cout << ToJson(resp) << std::endl;
    } else {
      std::cout << Pad("ID", 12) << " " << Pad("NAME", 40) << " "
                << Pad("MAIN", 4) << " " << Pad("SEPARATE", 8) << " "
                << Pad("CITY", 16) << " CREATED\n";
      for (const BillingEntity& e : resp.entities()) {
        std::cout << Pad(e.entity_id(), 12) << " " << Pad(e.name(), 40) << " "
                  << Pad(e.main() ? "yes" : "-", 4) << " "
                  << Pad(e.invoiced_separately() ? "yes" : "-", 8) << " "
                  << Pad(Dash(e.billing_address().city()), 16) << " "
                  << e.created_on() << "\n";
      }
    }
    *exit_code = 0;
  });

  struct SetFlags {
    std::string customer, id;
    bool off = false;
    CommandFlags command;
  };
  auto mf = std::make_shared<SetFlags>();
  CLI::App* set_main =
      entity->add_subcommand("set-main", "Make an entity the main one");
  set_main->add_option("--customer", mf->customer, "Customer code")->required();
  set_main->add_option("--id", mf->id, "Entity code")->required();
  AddCommandFlags(set_main, &mf->command);
  set_main->callback([&g, exit_code, mf, stub] {
    v1::SetMainEntityRequest req;
    req.set_idempotency_key(KeyOf(mf->command));
    req.set_business_date(mf->command.business_date);
    req.set_customer_id(mf->customer);
    req.set_entity_id(mf->id);
    BillingEntity out;
    *exit_code =
        ShowEntity(g, stub()->SetMainEntity(g.Context().get(), req, &out), out);
  });

  auto sf = std::make_shared<SetFlags>();
  CLI::App* set_separate = entity->add_subcommand(
      "set-separate",
      "In the mixed delivery mode, invoice an entity on its own (--off: "
      "consolidate it into the main entity again)");
  set_separate->add_option("--customer", sf->customer, "Customer code")
      ->required();
  set_separate->add_option("--id", sf->id, "Entity code")->required();
  set_separate->add_flag("--off", sf->off,
                         "Consolidate it into the main entity's invoice");
  AddCommandFlags(set_separate, &sf->command);
  set_separate->callback([&g, exit_code, sf, stub] {
    v1::SetEntityInvoicedSeparatelyRequest req;
    req.set_idempotency_key(KeyOf(sf->command));
    req.set_business_date(sf->command.business_date);
    req.set_customer_id(sf->customer);
    req.set_entity_id(sf->id);
    req.set_invoiced_separately(!sf->off);
    BillingEntity out;
    *exit_code = ShowEntity(
        g, stub()->SetEntityInvoicedSeparately(g.Context().get(), req, &out),
        out);
  });
}

// --- object ---

void RegisterObject(CLI::App& app, const Global& g, ExitCode* exit_code) {
  CLI::App* object = app.add_subcommand(
      "object", "Billable objects (accounts, numbers, options, ...)");
  object->require_subcommand(1);
  auto stub = [&g] {
    return v1::BillingStructureService::NewStub(g.Channel());
  };

  struct CreateFlags {
    std::string customer, id, kind, parent, label, e164, entity, discount,
        email;
    AddressFlags address;
    CommandFlags command;
  };
  auto cf = std::make_shared<CreateFlags>();
  CLI::App* create = object->add_subcommand("create", "Create an object");
  create->add_option("--customer", cf->customer, "Customer code")->required();
  create->add_option("--id", cf->id, "Object code (A-Z a-z 0-9 . _ - +)")
      ->required();
  create->add_option("--kind", cf->kind, KindList())
      ->required()
      ->check(CLI::IsMember(KindChoices()));
  create->add_option("--parent", cf->parent,
                     "Account it belongs to (required for alias and option)");
  create->add_option("--label", cf->label, "Text shown on invoices");
  create->add_option("--e164", cf->e164,
                     "Phone number, e.g. +33142680000 (phone-number only)");
  create->add_option("--entity", cf->entity,
                     "Billing entity (default: the main entity)");
  create->add_option("--discount", cf->discount,
                     "Percent, at most two decimals, e.g. 10.5 (default 0)");
  create->add_option("--email", cf->email,
                     "Account only: its own invoice e-mail");
  AddAddressFlags(create, &cf->address);
  AddCommandFlags(create, &cf->command);
  create->callback([&g, exit_code, create, cf, stub] {
    v1::CreateObjectRequest req;
    req.set_idempotency_key(KeyOf(cf->command));
    req.set_business_date(cf->command.business_date);
    req.set_customer_id(cf->customer);
    BillableObject* o = req.mutable_object();
    o->set_object_id(cf->id);
    o->set_kind(KindOf(cf->kind));
    o->set_parent_id(cf->parent);
    o->set_label(cf->label);
    o->set_e164(cf->e164);
    if (!cf->email.empty()) o->mutable_account()->set_email(cf->email);
    v1::Address address;
    FillAddress(cf->address, *create, &address);
    if (!address.city().empty() || address.lines_size() > 0 ||
        !address.country_code().empty() || !address.postal_code().empty()) {
      *o->mutable_account()->mutable_billing_address() = address;
    }
    req.set_entity_id(cf->entity);
    req.set_discount_percent(cf->discount);
    BillableObject out;
    *exit_code =
        ShowObject(g, stub()->CreateObject(g.Context().get(), req, &out), out);
  });

  struct GetFlags {
    std::string customer, id, month;
    int64_t log_offset = -1;
  };
  auto gf = std::make_shared<GetFlags>();
  CLI::App* get = object->add_subcommand(
      "get",
      "Show an object and its entity and discount (now, for a month, "
      "or as the log stood at an offset)");
  get->add_option("--customer", gf->customer, "Customer code")->required();
  get->add_option("--id", gf->id, "Object code")->required();
  auto* month = get->add_option("--month", gf->month,
                                "YYYY-MM: the assignment billed that month");
  get->add_option("--log-offset", gf->log_offset,
                  "Offset in the customer's partition: the assignment as the "
                  "log stood just after that record (-1: before anything)")
      ->excludes(month);
  get->callback([&g, exit_code, get, gf, stub] {
    v1::GetObjectRequest req;
    req.set_customer_id(gf->customer);
    req.set_object_id(gf->id);
    std::string as_of = "latest";
    if (get->count("--month") > 0) {
      req.set_month(gf->month);
      as_of = "month " + gf->month;
    } else if (get->count("--log-offset") > 0) {
      req.set_log_offset(gf->log_offset);
      as_of = absl::StrFormat("log offset %d", gf->log_offset);
    }
    v1::ObjectView out;
    grpc::Status s = stub()->GetObject(g.Context().get(), req, &out);
    if (!s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    if (g.json) {
      std::cout << ToJson(out) << std::endl;
    } else {
      PrintObjectView(out, as_of);
    }
    *exit_code = 0;
  });

  struct ListFlags {
    std::string customer, kind, entity, month, page_token;
    int page_size = 0;
    bool all = false;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = object->add_subcommand(
      "list",
      "List a customer's objects with entity, discount and creation "
      "date");
  list->add_option("--customer", lf->customer, "Customer code")->required();
  list->add_option("--kind", lf->kind, "Only this kind: " + KindList())
      ->check(CLI::IsMember(KindChoices()));
  list->add_option("--entity", lf->entity, "Only objects assigned to it");
  list->add_option("--month", lf->month,
                   "YYYY-MM: assignments billed that month (default: latest)");
  list->add_option("--page-size", lf->page_size, "1..1000 (default 100)");
  list->add_option("--page-token", lf->page_token, "From a previous page");
  list->add_flag("--all", lf->all, "Follow every page");
  list->callback([&g, exit_code, lf, stub] {
    bool header = false;
    std::string token = lf->page_token;
    auto s = stub();
    do {
      v1::ListObjectsRequest req;
      req.set_customer_id(lf->customer);
      req.set_kind(KindOf(lf->kind));
      req.set_entity_id(lf->entity);
      req.set_month(lf->month);
      req.set_page_size(lf->page_size);
      req.set_page_token(token);
      v1::ListObjectsResponse resp;
      grpc::Status st = s->ListObjects(g.Context().get(), req, &resp);
      if (!st.ok()) {
        *exit_code = Fail(st);
        return;
      }
      if (g.json) {
        std::cout << ToJson(resp) << std::endl;
      } else {
        if (!header) {
          std::cout << Pad("ID", 26) << " " << Pad("KIND", 17) << " "
                    << Pad("ENTITY", 10) << " " << Pad("DISCOUNT", 8) << " "
                    << Pad("SINCE", 7) << " " << Pad("CREATED", 10) << " "
                    << Pad("PARENT", 22) << " LABEL\n";
          header = true;
        }
        for (const v1::ObjectView& v : resp.objects()) {
          const BillableObject& o = v.object();
          std::string label = o.label();
          if (!o.e164().empty()) {
            label = label.empty() ? o.e164() : o.e164() + " " + label;
          }
          std::cout << Pad(o.object_id(), 26) << " "
                    << Pad(KindName(o.kind()), 17) << " "
                    << Pad(v.assignment().entity_id(), 10) << " "
                    << Pad(Percent(v.assignment().discount_hundredths()), 8)
                    << " " << Pad(v.change().effective_month(), 7) << " "
                    << Pad(o.created_on(), 10) << " "
                    << Pad(Dash(o.parent_id()), 22) << " " << label << "\n";
        }
        if (!lf->all && !resp.next_page_token().empty()) {
          std::cout << "next page: --page-token " << resp.next_page_token()
                    << "\n";
        }
      }
      token = resp.next_page_token();
    } while (lf->all && !token.empty());
    *exit_code = 0;
  });

  struct IdFlags {
    std::string customer, id;
  };
  auto hf = std::make_shared<IdFlags>();
  CLI::App* history = object->add_subcommand(
      "history", "Every entity and discount an object was billed with");
  history->add_option("--customer", hf->customer, "Customer code")->required();
  history->add_option("--id", hf->id, "Object code")->required();
  history->callback([&g, exit_code, hf, stub] {
    v1::GetObjectHistoryRequest req;
    req.set_customer_id(hf->customer);
    req.set_object_id(hf->id);
    v1::GetObjectHistoryResponse resp;
    grpc::Status s = stub()->GetObjectHistory(g.Context().get(), req, &resp);
    if (!s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    if (g.json) {
      std::cout << ToJson(resp) << std::endl;
    } else {
      std::cout << Pad("FROM", 7) << " " << Pad("ENTITY", 10) << " "
                << Pad("DISCOUNT", 8) << " " << Pad("CAUSE", 10) << " "
                << Pad("DATE", 10) << " " << Pad("PARTITION", 9) << " OFFSET\n";
      for (const v1::AssignmentChange& c : resp.changes()) {
        std::cout << Pad(c.effective_month(), 7) << " "
                  << Pad(c.assignment().entity_id(), 10) << " "
                  << Pad(Percent(c.assignment().discount_hundredths()), 8)
                  << " " << Pad(c.cause(), 10) << " "
                  << Pad(c.business_date(), 10) << " "
                  << Pad(absl::StrCat(c.position().partition()), 9) << " "
                  << c.position().offset() << "\n";
      }
    }
    *exit_code = 0;
  });

  auto bf = std::make_shared<IdFlags>();
  CLI::App* details = object->add_subcommand(
      "billing-details",
      "Where an object's charges are invoiced (a grouped member's go to its "
      "head)");
  details->add_option("--customer", bf->customer, "Customer code")->required();
  details->add_option("--id", bf->id, "Object code")->required();
  details->callback([&g, exit_code, bf, stub] {
    v1::GetBillingDetailsRequest req;
    req.set_customer_id(bf->customer);
    req.set_object_id(bf->id);
    v1::BillingDetails out;
    grpc::Status s = stub()->GetBillingDetails(g.Context().get(), req, &out);
    if (!s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    if (g.json) {
      std::cout << ToJson(out) << std::endl;
    } else {
      std::cout << "object    " << bf->id << "\n"
                << "invoice   " << Dash(out.invoice_account_id())
                << (out.invoice_account_id().empty()
                        ? " (outside any account)"
                        : " (account whose invoice carries it)")
                << "\n"
                << "source    " << out.source() << "\n";
      if (!out.billing_address().city().empty()) {
        std::cout << "address   " << AddressLine(out.billing_address()) << "\n";
      }
      if (!out.email().empty())
        std::cout << "e-mail    " << out.email() << "\n";
    }
    *exit_code = 0;
  });
}

// --- account group ---

void RegisterAccount(CLI::App& app, const Global& g, ExitCode* exit_code) {
  CLI::App* account = app.add_subcommand("account", "Accounts");
  account->require_subcommand(1);
  auto stub = [&g] {
    return v1::BillingStructureService::NewStub(g.Channel());
  };

  struct GroupFlags {
    std::string customer, account, role, head;
    CommandFlags command;
  };
  auto f = std::make_shared<GroupFlags>();
  CLI::App* group = account->add_subcommand(
      "group",
      "Make an account a group head, a member of a head's group, or neither");
  group->add_option("--customer", f->customer, "Customer code")->required();
  group->add_option("--account", f->account, "Account code")->required();
  group->add_option("--role", f->role, "head | member | none")
      ->required()
      ->check(CLI::IsMember({"head", "member", "none"}));
  group->add_option("--head", f->head, "member only: the head's account code");
  AddCommandFlags(group, &f->command);
  group->callback([&g, exit_code, f, stub] {
    v1::SetAccountGroupRequest req;
    req.set_idempotency_key(KeyOf(f->command));
    req.set_business_date(f->command.business_date);
    req.set_customer_id(f->customer);
    req.set_account_id(f->account);
    req.set_role(f->role == "head"     ? v1::GROUP_ROLE_HEAD
                 : f->role == "member" ? v1::GROUP_ROLE_MEMBER
                                       : v1::GROUP_ROLE_NONE);
    req.set_head_account_id(f->head);
    BillableObject out;
    *exit_code = ShowObject(
        g, stub()->SetAccountGroup(g.Context().get(), req, &out), out);
  });
}

// --- reassign ---

void RegisterReassign(CLI::App& app, const Global& g, ExitCode* exit_code) {
  struct ReassignFlags {
    std::string customer, entity, discount, kind, account;
    std::vector<std::string> ids;
    bool all = false;
    CommandFlags command;
  };
  auto f = std::make_shared<ReassignFlags>();
  CLI::App* reassign = app.add_subcommand(
      "reassign",
      "Move objects to an entity with a discount, for the whole billing "
      "month of the business date and after (all or nothing)");
  reassign->add_option("--customer", f->customer, "Customer code")->required();
  reassign->add_option("--entity", f->entity, "Target billing entity")
      ->required();
  reassign->add_option("--discount", f->discount,
                       "Percent, at most two decimals, e.g. 10.5 (default 0)");
  CLI::Option_group* selection =
      reassign->add_option_group("selection", "Which objects (exactly one)");
  selection->add_option("--ids", f->ids, "Object codes, comma separated")
      ->delimiter(',');
  selection
      ->add_option("--kind", f->kind, "Every object of a kind: " + KindList())
      ->check(CLI::IsMember(KindChoices()));
  selection->add_flag("--all", f->all, "Every object of the customer");
  selection->add_option("--account-with-children", f->account,
                        "An account and every object below it");
  selection->require_option(1);
  AddCommandFlags(reassign, &f->command);
  reassign->callback([&g, exit_code, reassign, f] {
    v1::ReassignObjectsRequest req;
    req.set_idempotency_key(KeyOf(f->command));
    req.set_business_date(f->command.business_date);
    req.set_customer_id(f->customer);
    req.set_entity_id(f->entity);
    req.set_discount_percent(f->discount);
    v1::ObjectSelection* sel = req.mutable_selection();
    std::string what;
    if (reassign->count("--ids") > 0) {
      for (const auto& id : f->ids) sel->mutable_ids()->add_object_ids(id);
      what = absl::StrJoin(f->ids, ", ");
    } else if (reassign->count("--kind") > 0) {
      sel->set_kind(KindOf(f->kind));
      what = "every " + f->kind;
    } else if (reassign->count("--all") > 0) {
      sel->set_all(true);
      what = "every object";
    } else {
      sel->set_account_with_children(f->account);
      what = f->account + " and its children";
    }
    v1::ReassignObjectsResponse out;
    auto stub = v1::BillingStructureService::NewStub(g.Channel());
    grpc::Status s = stub->ReassignObjects(g.Context().get(), req, &out);
    if (!s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    if (g.json) {
      std::cout << ToJson(out) << std::endl;
    } else {
      std::cout << absl::StrFormat(
          "reassigned %d object%s (%s) of %s to %s at %s from %s (the whole "
          "month)\n",
          out.reassigned_count(), out.reassigned_count() == 1 ? "" : "s", what,
          f->customer, f->entity, PercentText(f->discount),
          out.effective_month());
    }
    *exit_code = 0;
  });
}

}  // namespace

void RegisterStructureCommands(CLI::App& app, const Global& g,
                               ExitCode* exit_code) {
  RegisterEntity(app, g, exit_code);
  RegisterObject(app, g, exit_code);
  RegisterAccount(app, g, exit_code);
  RegisterReassign(app, g, exit_code);
}

}  // namespace billing::ctl
