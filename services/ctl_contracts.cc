// billingctl article define
// billingctl index publish
// billingctl markup set
// billingctl rate set
// billingctl reference show
// billingctl contract create|get|list
// billingctl rule create|get|dates|billed
// billingctl reading record|list
// billingctl work record
// billingctl time record
// billingctl job complete
// billingctl increase schedule|anniversaries|cancel|history
// billingctl due
//
// Contracts, billing rules and price increases over
// billing.v1.ContractService: the verb table and the printers of its
// answers. Decimal flags are given as people write them ("100", "0.15",
// "2.5") and sent as the scaled integers the field names promise (see
// ctl_verbs.h); the CLI never uses floating point.

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "billing/v1/contract_service.pb.h"
#include "engine/core/money.h"
#include "services/ctl_verbs.h"

namespace billing::ctl {
namespace {

std::string Micros(int64_t v) { return FormatFixedPoint(v, 6); }
std::string Milli(int64_t v) { return FormatFixedPoint(v, 3); }
std::string PercentBp(int64_t bp) { return FormatFixedPoint(bp, 2) + " %"; }

// ISO 4217 minor-unit digits, from the engine's one table
// (engine/core/money.h); 2 for a code it does not know (billingd refuses such a
// code anyway).
int CurrencyDecimals(const std::string& code) {
  auto currency = LookupCurrency(code, "currency");
  return currency.ok() ? currency->exponent : 2;
}

// An enum value as the verbs spell it; "0" for the unspecified value, as
// these printers always wrote it.
template <typename E>
std::string Name(E value) {
  return static_cast<int>(value) == 0 ? "0" : CliName(value);
}

// DUE_STATUS_NOTHING_DUE -> "NOTHING DUE".
std::string DueStatusText(v1::DueStatus status) {
  return absl::AsciiStrToUpper(absl::StrReplaceAll(Name(status), {{"-", " "}}));
}

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

// --- printers ---

void PrintContract(const v1::Contract& c) {
  std::cout << absl::StrFormat("contract  %s (holder %s)\n", c.contract_ref(),
                               c.holder_id())
            << absl::StrFormat("families  contract %s, billing %s\n",
                               c.contract_family(), c.billing_family())
            << absl::StrFormat("site      %s\n", Dash(c.site_code()))
            << absl::StrFormat(
                   "dates     %s to %s\n", c.start_date(),
                   c.end_date().empty() ? "open-ended" : c.end_date());
  if (!c.bill_to().party_id().empty()) {
    std::cout << absl::StrFormat(
        "bill-to   %s (%s)\n", c.bill_to().party_id(),
        c.bill_to().mode() == v1::BILL_TO_MODE_INVOICE_BILL_TO
            ? "invoice the bill-to party"
            : "invoice the holder, post to the bill-to party");
  }
  std::cout << absl::StrFormat("version   %d (created %s)\n", c.version(),
                               c.created_on());
}

std::string ChangeText(const v1::PriceChange& c) {
  std::string params;
  if (c.kind() == v1::INCREASE_KIND_SYNTEC) {
    params = absl::StrFormat(
        "a %s b %s, %s %s / %s%s", Micros(c.syntec().a_micros()),
        Micros(c.syntec().b_micros()), c.syntec().index_code(),
        Micros(c.new_index_micros()),
        Micros(c.syntec().reference_index_micros()),
        c.new_index_date().empty()
            ? ""
            : absl::StrCat(" (published ", c.new_index_date(), ")"));
  } else {
    params = PercentBp(c.percent_bp());
  }
  std::string out = absl::StrFormat(
      "#%s %s %-11s %-14s %s -> %s  (%s)",
      c.seq() == 0 ? std::string("-") : absl::StrCat(c.seq()),
      c.effective_date(), Name(c.origin()), Name(c.kind()),
      Micros(c.old_price_micros()), Micros(c.new_price_micros()), params);
  if (!c.reason().empty()) absl::StrAppend(&out, " \"", c.reason(), "\"");
  if (!c.cancelled_on().empty()) {
    absl::StrAppend(&out, " CANCELLED on ", c.cancelled_on(), ": ",
                    c.cancel_reason());
  }
  return out;
}

void PrintRule(const v1::BillingRule& r) {
  std::cout << absl::StrFormat("rule      %s/%s %s\n", r.contract_ref(),
                               r.rule_id(), r.label())
            << absl::StrFormat("type      %s, %s, %s\n", Name(r.rule_type()),
                               Name(r.periodicity()),
                               r.timing() == v1::BILLING_TIMING_IN_ARREARS
                                   ? "in arrears"
                                   : "in advance")
            << absl::StrFormat("objects   %s\n",
                               absl::StrJoin(r.object_ids(), ", "))
            << absl::StrFormat("article   %s\n", r.article_code())
            << absl::StrFormat("price     %s (cost %s)\n",
                               Micros(r.unit_price_micros()),
                               Micros(r.cost_price_micros()));
  if (r.rule_type() == v1::RULE_TYPE_FLAT) {
    std::cout << "quantity  " << Milli(r.quantity_milli()) << "\n";
  }
  std::cout << absl::StrFormat(
      "dates     %s to %s\n", r.start_date(),
      r.end_date().empty() ? "open-ended" : r.end_date());
  if (!r.condition_job_id().empty()) {
    std::cout << "condition job " << r.condition_job_id() << " completed\n";
  }
  if (r.recurring_increase().kind() != v1::INCREASE_KIND_UNSPECIFIED) {
    const auto& inc = r.recurring_increase();
    std::cout << "recurring " << Name(inc.kind());
    if (inc.kind() == v1::INCREASE_KIND_SYNTEC) {
      std::cout << absl::StrFormat(
          " a %s b %s, %s reference %s", Micros(inc.syntec().a_micros()),
          Micros(inc.syntec().b_micros()), inc.syntec().index_code(),
          Micros(inc.syntec().reference_index_micros()));
    } else if (inc.kind() == v1::INCREASE_KIND_CUSTOM_PERCENT) {
      std::cout << " " << PercentBp(inc.percent_bp());
    }
    std::cout << " at each anniversary\n";
  }
  for (int i = 0; i < r.installment_schedule().installments_size(); ++i) {
    const auto& inst = r.installment_schedule().installments(i);
    std::cout << absl::StrFormat("installment %d  %s  %d (minor units)\n",
                                 i + 1, inst.due_date(), inst.amount_minor());
  }
  std::cout << absl::StrFormat("next      %s (last theoretical %s)\n",
                               r.next_theoretical_date().empty()
                                   ? "NONE: anomaly, not billed"
                                   : r.next_theoretical_date(),
                               Dash(r.last_theoretical_date()))
            << absl::StrFormat("invoiced  %s %s\n", Dash(r.last_invoice_date()),
                               r.last_invoice_ref())
            << absl::StrFormat("version   %d (created %s)\n", r.version(),
                               r.created_on());
  for (const auto& c : r.price_history()) {
    std::cout << "increase  " << ChangeText(c) << "\n";
  }
}

void PrintReading(const v1::Reading& r) {
  std::cout << absl::StrFormat("#%d %s %s %s", r.seq(), r.reading_date(),
                               Name(r.kind()), Milli(r.value_milli()));
  if (r.has_old_meter_final_value_milli()) {
    std::cout << " (old meter's last " << Milli(r.old_meter_final_value_milli())
              << ")";
  }
  std::cout << "  via " << r.contract_ref() << "/" << r.rule_id() << "\n";
}

void PrintAnswer(const v1::ContractAnswer& a) {
  if (a.has_article()) {
    const auto& x = a.article();
    std::cout << absl::StrFormat("article %s \"%s\" VAT %s (version %d)\n",
                                 x.article_code(), x.label(),
                                 PercentBp(x.vat_rate_bp()), x.version());
  }
  if (a.has_index_publication()) {
    const auto& x = a.index_publication();
    std::cout << absl::StrFormat("index %s %s = %s\n", x.index_code(),
                                 x.publication_date(),
                                 Micros(x.value_micros()));
  }
  if (a.has_company_markup()) {
    std::cout << absl::StrFormat("company markup %s from %s\n",
                                 PercentBp(a.company_markup().percent_bp()),
                                 a.company_markup().effective_date());
  }
  if (a.has_hourly_rate()) {
    const auto& x = a.hourly_rate();
    std::cout << absl::StrFormat("hourly rate of %s: %s from %s\n",
                                 x.person_id(), Micros(x.rate_micros()),
                                 x.effective_date());
  }
  if (a.has_contract()) PrintContract(a.contract());
  if (a.has_reading()) PrintReading(a.reading());
  if (a.has_work_units()) {
    std::cout << absl::StrFormat(
        "%s units on %s recorded against %s/%s\n",
        Milli(a.work_units().quantity_milli()), a.work_units().work_date(),
        a.work_units().contract_ref(), a.work_units().rule_id());
  }
  if (a.has_time_entry()) {
    std::cout << absl::StrFormat(
        "%s h by %s on %s recorded against %s/%s\n",
        Milli(a.time_entry().hours_milli()), a.time_entry().person_id(),
        a.time_entry().work_date(), a.time_entry().contract_ref(),
        a.time_entry().rule_id());
  }
  if (a.has_job()) {
    std::cout << absl::StrFormat("job %s completed on %s\n", a.job().job_id(),
                                 a.job().completed_on());
  }
  for (const auto& inc : a.increases()) {
    std::cout << absl::StrFormat("%s/%s increase ", inc.contract_ref(),
                                 inc.rule_id())
              << ChangeText(inc.change()) << "\n";
  }
  if (a.has_rule()) PrintRule(a.rule());
}

void PrintDue(const v1::DueReport& d) {
  const int decimals = CurrencyDecimals(d.currency());
  std::cout << absl::StrFormat("due for %s as of %s (%s)\n", d.customer_id(),
                               d.as_of_date(), d.currency());
  for (const v1::DueRule& r : d.rules()) {
    std::cout << absl::StrFormat(
        "\n%s/%s  %s  article %s  %s%s  %s\n", r.contract_ref(), r.rule_id(),
        Name(r.rule_type()), r.article_code(), DueStatusText(r.status()),
        r.catch_up() ? " (catch-up)" : "",
        FormatFixedPoint(r.amount_minor(), decimals));
    for (const auto& reason : r.reasons()) {
      std::cout << "  ! " << reason << "\n";
    }
    if (r.periods_behind() > 0) {
      std::cout << absl::StrFormat(
          "  %d more period(s) owed after this one, billed by the next "
          "runs\n",
          r.periods_behind());
    }
    for (const v1::DueLine& l : r.lines()) {
      std::cout << absl::StrFormat(
          "  %s..%s  billable %s  %s%s x %s = %s\n", l.period_start(),
          l.period_end(), l.billing_date(),
          l.object_id().empty() ? "" : absl::StrCat(l.object_id(), " "),
          Milli(l.quantity_milli()), Micros(l.unit_price_micros()),
          FormatFixedPoint(l.amount_minor(), decimals));
      if (!l.explanation().empty()) {
        std::cout << "      " << l.explanation() << "\n";
      }
    }
  }
  std::cout << absl::StrFormat("\ntotal due %s %s\n",
                               FormatFixedPoint(d.amount_minor(), decimals),
                               d.currency());
}

void PrintHistory(const v1::IncreaseHistory& h) {
  std::cout << absl::StrFormat("increase history of %s/%s as of %s\n",
                               h.contract_ref(), h.rule_id(), h.as_of_date())
            << "agreed price " << Micros(h.initial_price_micros()) << "\n";
  for (const auto& e : h.entries()) {
    std::cout << (e.pending()     ? "pending   "
                  : e.scheduled() ? "scheduled "
                                  : "          ")
              << ChangeText(e.change()) << "\n";
  }
  if (!h.price_error().empty()) {
    std::cout << "price as of " << h.as_of_date()
              << ": unknown: " << h.price_error() << "\n";
  } else {
    std::cout << absl::StrFormat(
        "price as of %s: %s (%s)\n", h.as_of_date(), Micros(h.price_micros()),
        h.price_source().seq() == 0 && !h.price_source().pending()
            ? "the agreed price"
            : absl::StrCat(h.price_source().pending() ? "pending anniversary "
                                                      : "increase #",
                           h.price_source().pending()
                               ? h.price_source().effective_date()
                               : absl::StrCat(h.price_source().seq())));
  }
}

void PrintReference(const v1::ReferenceData& d) {
  for (const auto& a : d.articles()) {
    std::cout << absl::StrFormat("article  %-16s VAT %-8s %s\n",
                                 a.article_code(), PercentBp(a.vat_rate_bp()),
                                 a.label());
  }
  for (const auto& p : d.index_publications()) {
    std::cout << absl::StrFormat("index    %-16s %s %s\n", p.index_code(),
                                 p.publication_date(),
                                 Micros(p.value_micros()));
  }
  for (const auto& m : d.company_markups()) {
    std::cout << absl::StrFormat("markup   from %s %s\n", m.effective_date(),
                                 PercentBp(m.percent_bp()));
  }
  for (const auto& r : d.hourly_rates()) {
    std::cout << absl::StrFormat("rate     %-16s from %s %s/h\n", r.person_id(),
                                 r.effective_date(), Micros(r.rate_micros()));
  }
}

void PrintContractDetails(const v1::ContractDetails& d) {
  PrintContract(d.contract());
  for (const auto& r : d.rules()) {
    std::cout << "\n";
    PrintRule(r);
  }
}

void PrintContracts(const v1::ListContractsResponse& r) {
  std::cout << Pad("REF", 16) << " " << Pad("FAMILY", 12) << " "
            << Pad("BILLING", 12) << " " << Pad("START", 10) << " "
            << Pad("END", 10) << " BILL-TO\n";
  for (const auto& c : r.contracts()) {
    std::cout << Pad(c.contract_ref(), 16) << " "
              << Pad(c.contract_family(), 12) << " "
              << Pad(c.billing_family(), 12) << " " << Pad(c.start_date(), 10)
              << " " << Pad(Dash(c.end_date()), 10) << " "
              << Dash(c.bill_to().party_id()) << "\n";
  }
}

void PrintReadings(const v1::ReadingHistory& h) {
  for (const auto& r : h.readings()) PrintReading(r);
  const auto& m = h.meter();
  std::cout << absl::StrFormat(
      "meter of %s: installed at %s (reading #%d); last billed %s\n",
      m.object_id(), Milli(m.installed_value_milli()), m.installed_seq(),
      m.last_billed_seq() == 0
          ? std::string("none")
          : absl::StrFormat("#%d (%s)", m.last_billed_seq(),
                            Milli(m.last_billed_value_milli())));
}

// --- the verbs ---

// A command of ContractService.Execute: `body` is the path of its message
// in ContractCommand ("create_rule.rule"); its answer is a ContractAnswer.
Verb Command(std::vector<std::string> path, std::string help, std::string body,
             std::vector<Flag> flags, int options = 0) {
  return {std::move(path),   std::move(help),  "ContractService.Execute",
          "command." + body, std::move(flags), Prints(&PrintAnswer),
          kCommand | options};
}

// Company-wide reference data go to the reserved partition "@reference".
Flag Reference() { return Const("/command.customer_id", "@reference"); }
Flag Holder() { return Req("--customer", "/command.customer_id", "Holder"); }
Flag Contract() { return Req("--contract", "contract_ref", "Contract"); }

std::vector<Verb> ReferenceVerbs() {
  const Flag from =
      Req("--from", "effective_date", "Effective date YYYY-MM-DD");
  return {
      Command(
          {"article", "define"}, "Create or replace an article",
          "define_article.article",
          {Reference(), Req("--code", "article_code", "Product code"),
           Req("--label", "label", "Invoice line label"),
           Opt("--vat", "vat_rate_bp", "VAT rate in percent, e.g. 20 or 5.5")}),
      Command({"index", "publish"}, "Record a published index value",
              "publish_index.publication",
              {Reference(),
               Opt("--index", "index_code", "Index code (default SYNTEC)")
                   .Absent("SYNTEC"),
               Req("--date", "publication_date", "Publication date YYYY-MM-DD"),
               Req("--value", "value_micros", "Value, e.g. 280.5")}),
      Command({"markup", "set"}, "Set the company markup from a date",
              "set_company_markup.markup",
              {Reference(), from,
               Req("--percent", "percent_bp", "Percent, e.g. 3 or 2.5")}),
      Command({"rate", "set"}, "Set a person's hourly rate from a date",
              "set_hourly_rate.rate",
              {Reference(), Req("--person", "person_id", "Person code"), from,
               Req("--rate", "rate_micros", "Price of one hour, e.g. 95.00")}),
      {{"reference", "show"},
       "Articles, index publications, markups, hourly rates",
       "ContractService.GetReferenceData",
       "",
       {},
       Prints(&PrintReference)},
  };
}

std::vector<Verb> ContractVerbs() {
  const Flag holder = Req("--customer", "customer_id", "Holder");
  return {
      Command(
          {"contract", "create"}, "Create a contract",
          "create_contract.contract",
          {Req("--customer", "/command.customer_id", "Holder (customer code)"),
           Req("--ref", "contract_ref", "Contract reference"),
           Req("--family", "contract_family", "Contract family"),
           Req("--billing-family", "billing_family", "Billing family"),
           Opt("--site", "site_code", "Site code"),
           Req("--start", "start_date", "Start date YYYY-MM-DD"),
           Opt("--end", "end_date", "End date YYYY-MM-DD (default: open)"),
           Opt("--bill-to", "bill_to.party_id",
               "Bill-to party (customer code)"),
           Opt("--bill-to-mode", "bill_to.mode",
               "invoice (made out to the bill-to party) | post (made out to "
               "the holder, posted to the bill-to party)")}),
      {{"contract", "get"},
       "A contract and its rules",
       "ContractService.GetContract",
       "",
       {holder, Req("--ref", "contract_ref", "Contract reference")},
       Prints(&PrintContractDetails)},
      {{"contract", "list"},
       "A customer's contracts",
       "ContractService.ListContracts",
       "",
       {holder},
       Prints(&PrintContracts)},
      {{"due"},
       "What is due as of a date: periods, quantities, prices, anomalies",
       "ContractService.GetDue",
       "",
       {Req("--customer", "customer_id", "Customer"),
        Opt("--date", "as_of_date", "As of (default: today)"),
        Opt("--contract", "contract_ref", "Only this contract"),
        Opt("--rule", "rule_id", "Only this rule (with --contract)")},
       Prints(&PrintDue)},
  };
}

// The rule's fields; the recurring increase and the installments after.
std::vector<Flag> RuleFlags() {
  return {
      Holder(),
      Req("--contract", "contract_ref", "Contract reference"),
      Req("--rule", "rule_id", "Rule code"),
      Opt("--label", "label", "Free text"),
      Req("--type", "rule_type", ""),
      Opt("--object", "object_ids",
          "Object or equipment line (repeat; usage: none = every object)"),
      Req("--article", "article_code", "Article code"),
      Opt("--price", "unit_price_micros", "Unit price, up to 6 decimals"),
      Opt("--cost", "cost_price_micros", "Cost price, up to 6 decimals"),
      Opt("--quantity", "quantity_milli",
          "Flat: quantity per period (default 1)"),
      Opt("--periodicity", "periodicity", "(none for a usage rule)"),
      Opt("--period-days", "period_days", "Days: the days of one period"),
      Opt("--timing", "timing", "advance | arrears (measured types: arrears)"),
      Opt("--billing-day", "billing_day",
          "Align periods on this day of the month, 1 to 31"),
      Switch("--no-proration", "no_proration",
             "Bill a short first or last period whole"),
      Opt("--usage-kind", "usage_kinds",
          "Usage: a kind covered, e.g. USAGE_KIND_VOICE (repeat; none: "
          "every kind)"),
      Opt("--start", "start_date", "Start date (default: the contract's)"),
      Opt("--end", "end_date", "End date (installments: fiscal year end)"),
      Opt("--job", "condition_job_id", "Conditional on this job's completion"),
  };
}

std::vector<Flag> RuleCreateFlags() {
  std::vector<Flag> flags = RuleFlags();
  for (Flag f : {
           Opt("--recurring", "recurring_increase.kind",
               "Anniversary increase: syntec | company-markup | custom"),
           Opt("--syntec-a", "recurring_increase.syntec.a_micros",
               "Syntec a, e.g. 0.15"),
           Opt("--syntec-b", "recurring_increase.syntec.b_micros",
               "Syntec b, e.g. 0.85"),
           Opt("--index", "recurring_increase.syntec.index_code",
               "Index code (default SYNTEC)"),
           Opt("--reference-index",
               "recurring_increase.syntec.reference_index_micros",
               "Syntec I_ref, e.g. 270.0"),
           Opt("--percent", "recurring_increase.percent_bp",
               "Custom percent, e.g. 2"),
           Opt("--fee", "installment_schedule.fee_minor",
               "Installments: fiscal-year fee, in the customer's currency"),
           Opt("--installment", "installment_schedule.installments",
               "DATE=AMOUNT (repeat; default: an even split)")
               .Parts({"due_date", "amount_minor"}, "DATE=AMOUNT"),
       }) {
    flags.push_back(std::move(f));
  }
  return flags;
}

std::vector<Verb> RuleVerbs() {
  std::vector<Flag> id = {
      Holder(), Req("--contract", "contract_ref", "Contract reference"),
      Req("--rule", "rule_id", "Rule code")};
  std::vector<Flag> dates = id, billed = id, ended = id;
  ended.push_back(Req("--end", "end_date", "The rule's last day"));
  ended.push_back(Req("--reason", "reason", "Why (1 to 200 characters)"));
  dates.push_back(
      Opt("--next", "next_theoretical_date", "Next theoretical date"));
  dates.push_back(Opt("--last-invoice-date", "last_invoice_date",
                      "Last real invoice date"));
  dates.push_back(Opt("--last-invoice-ref", "last_invoice_ref",
                      "Last real invoice reference"));
  billed.push_back(
      Req("--period-start", "period_start", "First day of the billed period"));
  billed.push_back(Req("--invoice-ref", "invoice_ref", "Invoice reference"));
  billed.push_back(Req("--invoice-date", "invoice_date", "Invoice date"));
  id[0] = Req("--customer", "customer_id", "Holder");
  return {
      Command({"rule", "create"}, "Create a billing rule", "create_rule.rule",
              RuleCreateFlags(), kCustomerCurrency),
      {{"rule", "get"},
       "Show one rule",
       "ContractService.GetRule",
       "",
       id,
       Prints(&PrintRule)},
      Command({"rule", "dates"},
              "Set billing dates by hand (no --next: clear it)",
              "set_rule_dates", dates),
      Command({"rule", "billed"},
              "Record that the period at the next date was invoiced",
              "record_rule_billed", billed),
      Command({"rule", "end"},
              "End a rule early (what was billed beyond: credit-note "
              "correct)",
              "end_rule", ended),
  };
}

std::vector<Verb> MeasureVerbs() {
  const Flag note = Opt("--note", "note", "Free text");
  const Flag work_date = Req("--date", "work_date", "Work date");
  return {
      Command({"reading", "record"}, "Record a reading",
              "record_reading.reading",
              {Holder(), Contract(),
               Req("--rule", "rule_id", "Consumed-units rule"),
               Req("--object", "object_id", "Object read"),
               Req("--date", "reading_date", "Reading date"),
               Req("--value", "value_milli", "Meter value, e.g. 1250"),
               Opt("--kind", "kind",
                   "installation | regular | replacement (default regular)")
                   .Absent("regular"),
               Opt("--old-final", "old_meter_final_value_milli",
                   "Replacement: the old meter's last value")}),
      Command({"reading", "correct"},
              "Correct a regular reading recorded wrong (what was billed "
              "from it: credit-note correct)",
              "correct_reading",
              {Holder(), Req("--object", "object_id", "Object read"),
               Req("--seq", "seq", "The reading's number (reading list)"),
               Req("--value", "value_milli", "The right meter value"),
               Req("--reason", "reason", "Why (1 to 200 characters)")}),
      {{"reading", "list"},
       "An object's readings",
       "ContractService.ListReadings",
       "",
       {Req("--customer", "customer_id", "Holder"),
        Req("--object", "object_id", "Object")},
       Prints(&PrintReadings)},
      Command({"work", "record"}, "Record units of work",
              "record_work_units.units",
              {Holder(), Contract(),
               Req("--rule", "rule_id", "Unit-of-work rule"), work_date,
               Req("--quantity", "quantity_milli", "Quantity, e.g. 12"), note}),
      Command(
          {"time", "record"}, "Record hours", "record_time.entry",
          {Holder(), Contract(), Req("--rule", "rule_id", "Time-spent rule"),
           Req("--person", "person_id", "Person code"), work_date,
           Req("--hours", "hours_milli", "Hours, e.g. 2.5"), note}),
      Command({"job", "complete"}, "Record a job as completed",
              "complete_job.job",
              {Req("--customer", "/command.customer_id", "Customer"),
               Req("--job", "job_id", "Job code"),
               Req("--date", "completed_on", "Completion date")}),
  };
}

std::vector<Verb> IncreaseVerbs() {
  const Flag rule = Req("--rule", "rule_id", "Rule");
  return {
      Command(
          {"increase", "schedule"},
          "Schedule a one-off increase effective on a date",
          "schedule_increase",
          {Holder(), Contract(), rule,
           Req("--date", "increase.effective_date", "Effective date"),
           Req("--kind", "increase.kind", ""),
           Opt("--percent", "increase.percent_bp", "Custom: percent, e.g. 3"),
           Opt("--new-price", "increase.new_price_micros",
               "New price: the price from the date (may be lower)"),
           Opt("--syntec-a", "increase.syntec.a_micros", "Syntec a, e.g. 0.15"),
           Opt("--syntec-b", "increase.syntec.b_micros", "Syntec b, e.g. 0.85"),
           Opt("--index", "increase.syntec.index_code", "Index code"),
           Opt("--reference-index", "increase.syntec.reference_index_micros",
               "I_ref (default: the rule's)"),
           Opt("--new-index", "increase.new_index_micros",
               "I_new (default: the latest publication)"),
           Opt("--reason", "increase.reason", "Why")}),
      Command({"increase", "anniversaries"},
              "Record the anniversary increases due up to a date",
              "apply_anniversary_increases",
              {Holder(), Req("--date", "as_of_date", "As of date"),
               Opt("--contract", "contract_ref", "Only this contract"),
               Opt("--rule", "rule_id", "Only this rule")}),
      Command({"increase", "cancel"}, "Cancel an increase", "cancel_increase",
              {Holder(), Contract(), rule,
               Req("--seq", "seq", "The increase's number (#)"),
               Req("--reason", "reason", "Why")}),
      {{"increase", "history"},
       "A rule's increase history and price as of a date",
       "ContractService.GetIncreaseHistory",
       "",
       {Req("--customer", "customer_id", "Holder"),
        Req("--contract", "contract_ref", "Contract"),
        Req("--rule", "rule_id", "Rule"),
        Opt("--date", "as_of_date", "As of (default: today)")},
       Prints(&PrintHistory)},
  };
}

}  // namespace

void RegisterContractCommands(CLI::App& app, const Global& g,
                              ExitCode* exit_code) {
  std::vector<Verb> verbs;
  for (auto* part : {&ReferenceVerbs, &ContractVerbs, &RuleVerbs, &MeasureVerbs,
                     &IncreaseVerbs}) {
    for (Verb& v : part()) verbs.push_back(std::move(v));
  }
  RegisterVerbs(app, g, exit_code,
                *v1::ContractCommandRequest::descriptor()->file(),
                {{{"article"}, "Articles (reference)"},
                 {{"index"}, "Index publications"},
                 {{"markup"}, "Company markup policy"},
                 {{"rate"}, "Hourly sale rates"},
                 {{"reference"}, "Company-wide reference data"},
                 {{"contract"}, "Contracts"},
                 {{"rule"}, "Billing rules"},
                 {{"reading"}, "Meter readings"},
                 {{"work"}, "Units of work"},
                 {{"time"}, "Time spent"},
                 {{"job"}, "Jobs (interventions)"},
                 {{"increase"}, "Price increases"}},
                std::move(verbs));
}

}  // namespace billing::ctl
