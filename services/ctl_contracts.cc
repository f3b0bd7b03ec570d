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
// Contracts, billing rules and price increases (issue 5) over
// billing.v1.ContractService. Decimal flags are given as people write them
// ("100", "0.15", "2.5") and sent as the scaled integers of the API; the CLI
// never uses floating point.

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "billing/v1/contract_service.grpc.pb.h"
#include "engine/core/money.h"
#include "services/ctl_common.h"

namespace billing::ctl {
namespace {

constexpr char kReference[] = "@reference";

// --- decimals without floating point ---

// "12.5" with 3 decimals -> 12500. nullopt when not a decimal with at most
// `decimals` decimals, or too large.
std::optional<int64_t> ParseDecimal(const std::string& text, int decimals) {
  std::string s = text;
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.erase(0, 1);
  }
  const size_t dot = s.find('.');
  std::string whole = s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (whole.empty() || (dot != std::string::npos && frac.empty()) ||
      static_cast<int>(frac.size()) > decimals) {
    return std::nullopt;
  }
  frac.resize(decimals, '0');
  const std::string digits = whole + frac;
  if (digits.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

// billingctl prints fixed-point values with the engine's formatter.
std::string FormatScaled(int64_t v, int decimals) {
  return FormatFixedPoint(v, decimals);
}

std::string Micros(int64_t v) { return FormatScaled(v, 6); }
std::string Milli(int64_t v) { return FormatScaled(v, 3); }
std::string PercentBp(int64_t bp) { return FormatScaled(bp, 2) + " %"; }

// ISO 4217 minor-unit digits, from the engine's one table (engine/core/money.h);
// 2 for a code it does not know (billingd refuses such a code anyway).
int CurrencyDecimals(const std::string& code) {
  auto currency = LookupCurrency(code, "currency");
  return currency.ok() ? currency->exponent : 2;
}

// Thrown by flag parsing inside a callback; reported as a usage error.
struct UsageError {
  std::string message;
};

int64_t Scaled(const std::string& flag, const std::string& text, int decimals) {
  auto v = ParseDecimal(text, decimals);
  if (!v.has_value()) {
    throw UsageError{
        absl::StrFormat("%s: \"%s\" is not a number with at most "
                        "%d decimals",
                        flag, text, decimals)};
  }
  return *v;
}

// Runs a verb's body; a UsageError becomes exit code 2.
template <typename F>
void Guarded(ExitCode* exit_code, F body) {
  try {
    *exit_code = body();
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.message << std::endl;
    *exit_code = 2;
  }
}

// --- enum names on the command line ---

template <typename E>
struct Names {
  std::vector<std::pair<std::string, E>> pairs;
  E Of(const std::string& flag, const std::string& name) const {
    for (const auto& [n, e] : pairs) {
      if (n == name) return e;
    }
    throw UsageError{
        absl::StrFormat("%s: \"%s\" is not one of: %s", flag, name, List())};
  }
  std::string Name(int e) const {
    for (const auto& [n, v] : pairs) {
      if (static_cast<int>(v) == e) return n;
    }
    return absl::StrCat(e);
  }
  std::string List() const {
    std::vector<std::string> out;
    for (const auto& p : pairs) out.push_back(p.first);
    return absl::StrJoin(out, " | ");
  }
};

const Names<v1::RuleType> kRuleTypes{
    {{"flat", v1::RULE_TYPE_FLAT},
     {"consumed-units", v1::RULE_TYPE_CONSUMED_UNITS},
     {"unit-of-work", v1::RULE_TYPE_UNIT_OF_WORK},
     {"time-spent", v1::RULE_TYPE_TIME_SPENT},
     {"installment-schedule", v1::RULE_TYPE_INSTALLMENT_SCHEDULE}}};
const Names<v1::Periodicity> kPeriodicities{
    {{"monthly", v1::PERIODICITY_MONTHLY},
     {"bimonthly", v1::PERIODICITY_BIMONTHLY},
     {"quarterly", v1::PERIODICITY_QUARTERLY},
     {"half-yearly", v1::PERIODICITY_HALF_YEARLY},
     {"yearly", v1::PERIODICITY_YEARLY}}};
const Names<v1::BillingTiming> kTimings{
    {{"advance", v1::BILLING_TIMING_IN_ADVANCE},
     {"arrears", v1::BILLING_TIMING_IN_ARREARS}}};
const Names<v1::BillToMode> kBillToModes{
    {{"invoice", v1::BILL_TO_MODE_INVOICE_BILL_TO},
     {"post", v1::BILL_TO_MODE_POST_TO_BILL_TO}}};
const Names<v1::IncreaseKind> kIncreaseKinds{
    {{"syntec", v1::INCREASE_KIND_SYNTEC},
     {"company-markup", v1::INCREASE_KIND_COMPANY_MARKUP},
     {"custom", v1::INCREASE_KIND_CUSTOM_PERCENT}}};
const Names<v1::IncreaseOrigin> kOrigins{
    {{"one-off", v1::INCREASE_ORIGIN_ONE_OFF},
     {"anniversary", v1::INCREASE_ORIGIN_ANNIVERSARY}}};
const Names<v1::ReadingKind> kReadingKinds{
    {{"installation", v1::READING_KIND_INSTALLATION},
     {"regular", v1::READING_KIND_REGULAR},
     {"replacement", v1::READING_KIND_REPLACEMENT}}};
const Names<v1::DueStatus> kDueStatuses{
    {{"DUE", v1::DUE_STATUS_DUE},
     {"NOTHING DUE", v1::DUE_STATUS_NOTHING_DUE},
     {"HELD", v1::DUE_STATUS_HELD},
     {"ANOMALY", v1::DUE_STATUS_ANOMALY},
     {"FINISHED", v1::DUE_STATUS_FINISHED}}};

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

// --- output ---

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
      c.effective_date(), kOrigins.Name(c.origin()),
      kIncreaseKinds.Name(c.kind()), Micros(c.old_price_micros()),
      Micros(c.new_price_micros()), params);
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
            << absl::StrFormat(
                   "type      %s, %s, %s\n", kRuleTypes.Name(r.rule_type()),
                   kPeriodicities.Name(r.periodicity()),
                   r.timing() == v1::BILLING_TIMING_IN_ARREARS ? "in arrears"
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
    std::cout << "recurring " << kIncreaseKinds.Name(inc.kind());
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
                               kReadingKinds.Name(r.kind()),
                               Milli(r.value_milli()));
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
        kRuleTypes.Name(r.rule_type()), r.article_code(),
        kDueStatuses.Name(r.status()), r.catch_up() ? " (catch-up)" : "",
        FormatScaled(r.amount_minor(), decimals));
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
          FormatScaled(l.amount_minor(), decimals));
      if (!l.explanation().empty()) {
        std::cout << "      " << l.explanation() << "\n";
      }
    }
  }
  std::cout << absl::StrFormat("\ntotal due %s %s\n",
                               FormatScaled(d.amount_minor(), decimals),
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

template <typename M>
ExitCode Show(const Global& g, const grpc::Status& s, const M& m,
              void (*print)(const M&)) {
  if (!s.ok()) return Fail(s);
  if (g.json) {
    std::cout << ToJson(m) << std::endl;
  } else {
    print(m);
  }
  return 0;
}

// --- commands ---

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

ExitCode Execute(const Global& g, const CommandFlags& f,
                 v1::ContractCommand command) {
  v1::ContractCommandRequest req;
  req.set_idempotency_key(f.key.empty() ? NewIdempotencyKey() : f.key);
  req.set_business_date(f.business_date);
  *req.mutable_command() = std::move(command);
  v1::ContractAnswer out;
  auto stub = v1::ContractService::NewStub(g.Channel());
  return Show(g, stub->Execute(g.Context().get(), req, &out), out,
              &PrintAnswer);
}

// A verb: its flags live as long as the app (shared_ptr captured by the
// callback).
template <typename Flags>
std::shared_ptr<Flags> Verb(CLI::App* parent, const char* name,
                            const char* help, CLI::App** out) {
  *out = parent->add_subcommand(name, help);
  return std::make_shared<Flags>();
}

}  // namespace

void RegisterContractCommands(CLI::App& app, const Global& g,
                              ExitCode* exit_code) {
  auto stub = [&g] { return v1::ContractService::NewStub(g.Channel()); };

  // --- reference data ---
  {
    CLI::App* article = app.add_subcommand("article", "Articles (reference)");
    article->require_subcommand(1);
    struct F : CommandFlags {
      std::string code, label, vat = "0";
    };
    CLI::App* define;
    auto f =
        Verb<F>(article, "define", "Create or replace an article", &define);
    define->add_option("--code", f->code, "Product code")->required();
    define->add_option("--label", f->label, "Invoice line label")->required();
    define->add_option("--vat", f->vat, "VAT rate in percent, e.g. 20 or 5.5");
    AddCommandFlags(define, f.get());
    define->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(kReference);
        auto* a = c.mutable_define_article()->mutable_article();
        a->set_article_code(f->code);
        a->set_label(f->label);
        a->set_vat_rate_bp(static_cast<int32_t>(Scaled("--vat", f->vat, 2)));
        return Execute(g, *f, std::move(c));
      });
    });
  }
  {
    CLI::App* index = app.add_subcommand("index", "Index publications");
    index->require_subcommand(1);
    struct F : CommandFlags {
      std::string index = "SYNTEC", date, value;
    };
    CLI::App* publish;
    auto f =
        Verb<F>(index, "publish", "Record a published index value", &publish);
    publish->add_option("--index", f->index, "Index code (default SYNTEC)");
    publish->add_option("--date", f->date, "Publication date YYYY-MM-DD")
        ->required();
    publish->add_option("--value", f->value, "Value, e.g. 280.5")->required();
    AddCommandFlags(publish, f.get());
    publish->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(kReference);
        auto* p = c.mutable_publish_index()->mutable_publication();
        p->set_index_code(f->index);
        p->set_publication_date(f->date);
        p->set_value_micros(Scaled("--value", f->value, 6));
        return Execute(g, *f, std::move(c));
      });
    });
  }
  {
    CLI::App* markup = app.add_subcommand("markup", "Company markup policy");
    markup->require_subcommand(1);
    struct F : CommandFlags {
      std::string from, percent;
    };
    CLI::App* set;
    auto f = Verb<F>(markup, "set", "Set the company markup from a date", &set);
    set->add_option("--from", f->from, "Effective date YYYY-MM-DD")->required();
    set->add_option("--percent", f->percent, "Percent, e.g. 3 or 2.5")
        ->required();
    AddCommandFlags(set, f.get());
    set->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(kReference);
        auto* m = c.mutable_set_company_markup()->mutable_markup();
        m->set_effective_date(f->from);
        m->set_percent_bp(
            static_cast<int32_t>(Scaled("--percent", f->percent, 2)));
        return Execute(g, *f, std::move(c));
      });
    });
  }
  {
    CLI::App* rate = app.add_subcommand("rate", "Hourly sale rates");
    rate->require_subcommand(1);
    struct F : CommandFlags {
      std::string person, from, rate;
    };
    CLI::App* set;
    auto f =
        Verb<F>(rate, "set", "Set a person's hourly rate from a date", &set);
    set->add_option("--person", f->person, "Person code")->required();
    set->add_option("--from", f->from, "Effective date YYYY-MM-DD")->required();
    set->add_option("--rate", f->rate, "Price of one hour, e.g. 95.00")
        ->required();
    AddCommandFlags(set, f.get());
    set->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(kReference);
        auto* r = c.mutable_set_hourly_rate()->mutable_rate();
        r->set_person_id(f->person);
        r->set_effective_date(f->from);
        r->set_rate_micros(Scaled("--rate", f->rate, 6));
        return Execute(g, *f, std::move(c));
      });
    });
  }
  {
    CLI::App* reference =
        app.add_subcommand("reference", "Company-wide reference data");
    reference->require_subcommand(1);
    CLI::App* show = reference->add_subcommand(
        "show", "Articles, index publications, markups, hourly rates");
    show->callback([&g, exit_code, stub] {
      v1::ReferenceData out;
      *exit_code = Show(
          g,
          stub()->GetReferenceData(g.Context().get(),
                                   v1::GetReferenceDataRequest(), &out),
          out, +[](const v1::ReferenceData& d) {
            for (const auto& a : d.articles()) {
              std::cout << absl::StrFormat(
                  "article  %-16s VAT %-8s %s\n", a.article_code(),
                  PercentBp(a.vat_rate_bp()), a.label());
            }
            for (const auto& p : d.index_publications()) {
              std::cout << absl::StrFormat("index    %-16s %s %s\n",
                                           p.index_code(), p.publication_date(),
                                           Micros(p.value_micros()));
            }
            for (const auto& m : d.company_markups()) {
              std::cout << absl::StrFormat("markup   from %s %s\n",
                                           m.effective_date(),
                                           PercentBp(m.percent_bp()));
            }
            for (const auto& r : d.hourly_rates()) {
              std::cout << absl::StrFormat("rate     %-16s from %s %s/h\n",
                                           r.person_id(), r.effective_date(),
                                           Micros(r.rate_micros()));
            }
          });
    });
  }

  // --- contracts ---
  {
    CLI::App* contract = app.add_subcommand("contract", "Contracts");
    contract->require_subcommand(1);
    struct F : CommandFlags {
      std::string customer, ref, family, billing_family, site, start, end,
          bill_to, bill_to_mode;
    };
    CLI::App* create;
    auto f = Verb<F>(contract, "create", "Create a contract", &create);
    create->add_option("--customer", f->customer, "Holder (customer code)")
        ->required();
    create->add_option("--ref", f->ref, "Contract reference")->required();
    create->add_option("--family", f->family, "Contract family")->required();
    create->add_option("--billing-family", f->billing_family, "Billing family")
        ->required();
    create->add_option("--site", f->site, "Site code");
    create->add_option("--start", f->start, "Start date YYYY-MM-DD")
        ->required();
    create->add_option("--end", f->end, "End date YYYY-MM-DD (default: open)");
    create->add_option("--bill-to", f->bill_to,
                       "Bill-to party (customer code)");
    create->add_option("--bill-to-mode", f->bill_to_mode,
                       "invoice (made out to the bill-to party) | post "
                       "(made out to the holder, posted to the bill-to "
                       "party)");
    AddCommandFlags(create, f.get());
    create->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(f->customer);
        auto* k = c.mutable_create_contract()->mutable_contract();
        k->set_contract_ref(f->ref);
        k->set_contract_family(f->family);
        k->set_billing_family(f->billing_family);
        k->set_site_code(f->site);
        k->set_start_date(f->start);
        k->set_end_date(f->end);
        if (!f->bill_to.empty() || !f->bill_to_mode.empty()) {
          k->mutable_bill_to()->set_party_id(f->bill_to);
          if (!f->bill_to_mode.empty()) {
            k->mutable_bill_to()->set_mode(
                kBillToModes.Of("--bill-to-mode", f->bill_to_mode));
          }
        }
        return Execute(g, *f, std::move(c));
      });
    });

    struct G {
      std::string customer, ref;
    };
    CLI::App* get;
    auto gf = Verb<G>(contract, "get", "A contract and its rules", &get);
    get->add_option("--customer", gf->customer, "Holder")->required();
    get->add_option("--ref", gf->ref, "Contract reference")->required();
    get->callback([&g, exit_code, gf, stub] {
      v1::GetContractRequest req;
      req.set_customer_id(gf->customer);
      req.set_contract_ref(gf->ref);
      v1::ContractDetails out;
      *exit_code = Show(
          g, stub()->GetContract(g.Context().get(), req, &out), out,
          +[](const v1::ContractDetails& d) {
            PrintContract(d.contract());
            for (const auto& r : d.rules()) {
              std::cout << "\n";
              PrintRule(r);
            }
          });
    });

    auto lf = std::make_shared<std::string>();
    CLI::App* list = contract->add_subcommand("list", "A customer's contracts");
    list->add_option("--customer", *lf, "Holder")->required();
    list->callback([&g, exit_code, lf, stub] {
      v1::ListContractsRequest req;
      req.set_customer_id(*lf);
      v1::ListContractsResponse out;
      *exit_code = Show(
          g, stub()->ListContracts(g.Context().get(), req, &out), out,
          +[](const v1::ListContractsResponse& r) {
            std::cout << Pad("REF", 16) << " " << Pad("FAMILY", 12) << " "
                      << Pad("BILLING", 12) << " " << Pad("START", 10) << " "
                      << Pad("END", 10) << " BILL-TO\n";
            for (const auto& c : r.contracts()) {
              std::cout << Pad(c.contract_ref(), 16) << " "
                        << Pad(c.contract_family(), 12) << " "
                        << Pad(c.billing_family(), 12) << " "
                        << Pad(c.start_date(), 10) << " "
                        << Pad(Dash(c.end_date()), 10) << " "
                        << Dash(c.bill_to().party_id()) << "\n";
            }
          });
    });
  }

  // --- rules ---
  {
    CLI::App* rule = app.add_subcommand("rule", "Billing rules");
    rule->require_subcommand(1);
    struct F : CommandFlags {
      std::string customer, contract, rule, label, type, article,
          price = "0", cost = "0", quantity, periodicity, timing, start, end,
          job, recurring, syntec_a, syntec_b, index, reference_index, percent,
          fee, fee_decimals = "2";
      std::vector<std::string> objects, installments;
    };
    CLI::App* create;
    auto f = Verb<F>(rule, "create", "Create a billing rule", &create);
    create->add_option("--customer", f->customer, "Holder")->required();
    create->add_option("--contract", f->contract, "Contract reference")
        ->required();
    create->add_option("--rule", f->rule, "Rule code")->required();
    create->add_option("--label", f->label, "Free text");
    create->add_option("--type", f->type, kRuleTypes.List())->required();
    create
        ->add_option("--object", f->objects,
                     "Object or equipment line (repeat)")
        ->required();
    create->add_option("--article", f->article, "Article code")->required();
    create->add_option("--price", f->price, "Unit price, up to 6 decimals");
    create->add_option("--cost", f->cost, "Cost price, up to 6 decimals");
    create->add_option("--quantity", f->quantity,
                       "Flat: quantity per period (default 1)");
    create->add_option("--periodicity", f->periodicity, kPeriodicities.List());
    create->add_option("--timing", f->timing,
                       "advance | arrears (measured types: arrears)");
    create->add_option("--start", f->start,
                       "Start date (default: the contract's)");
    create->add_option("--end", f->end,
                       "End date (installments: fiscal "
                       "year end)");
    create->add_option("--job", f->job, "Conditional on this job's completion");
    create->add_option("--recurring", f->recurring,
                       "Anniversary increase: " + kIncreaseKinds.List());
    create->add_option("--syntec-a", f->syntec_a, "Syntec a, e.g. 0.15");
    create->add_option("--syntec-b", f->syntec_b, "Syntec b, e.g. 0.85");
    create->add_option("--index", f->index, "Index code (default SYNTEC)");
    create->add_option("--reference-index", f->reference_index,
                       "Syntec I_ref, e.g. 270.0");
    create->add_option("--percent", f->percent, "Custom percent, e.g. 2");
    create->add_option("--fee", f->fee, "Installments: fiscal-year fee");
    create->add_option("--fee-decimals", f->fee_decimals,
                       "Decimals of the customer's currency (default 2)");
    create->add_option("--installment", f->installments,
                       "DATE=AMOUNT (repeat; default: an even split)");
    AddCommandFlags(create, f.get());
    create->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(f->customer);
        auto* r = c.mutable_create_rule()->mutable_rule();
        r->set_contract_ref(f->contract);
        r->set_rule_id(f->rule);
        r->set_label(f->label);
        r->set_rule_type(kRuleTypes.Of("--type", f->type));
        for (const auto& o : f->objects) r->add_object_ids(o);
        r->set_article_code(f->article);
        r->set_unit_price_micros(Scaled("--price", f->price, 6));
        r->set_cost_price_micros(Scaled("--cost", f->cost, 6));
        if (!f->quantity.empty()) {
          r->set_quantity_milli(Scaled("--quantity", f->quantity, 3));
        }
        if (!f->periodicity.empty()) {
          r->set_periodicity(
              kPeriodicities.Of("--periodicity", f->periodicity));
        }
        if (!f->timing.empty()) {
          r->set_timing(kTimings.Of("--timing", f->timing));
        }
        r->set_start_date(f->start);
        r->set_end_date(f->end);
        r->set_condition_job_id(f->job);
        if (!f->recurring.empty()) {
          auto* inc = r->mutable_recurring_increase();
          inc->set_kind(kIncreaseKinds.Of("--recurring", f->recurring));
          if (inc->kind() == v1::INCREASE_KIND_SYNTEC) {
            auto* s = inc->mutable_syntec();
            s->set_a_micros(Scaled("--syntec-a", f->syntec_a, 6));
            s->set_b_micros(Scaled("--syntec-b", f->syntec_b, 6));
            s->set_index_code(f->index);
            if (!f->reference_index.empty()) {
              s->set_reference_index_micros(
                  Scaled("--reference-index", f->reference_index, 6));
            }
          }
          if (!f->percent.empty()) {
            inc->set_percent_bp(
                static_cast<int32_t>(Scaled("--percent", f->percent, 2)));
          }
        }
        if (!f->fee.empty() || !f->installments.empty()) {
          const int decimals =
              static_cast<int>(Scaled("--fee-decimals", f->fee_decimals, 0));
          auto* s = r->mutable_installment_schedule();
          s->set_fee_minor(
              Scaled("--fee", f->fee.empty() ? "0" : f->fee, decimals));
          for (const auto& text : f->installments) {
            const size_t eq = text.find('=');
            if (eq == std::string::npos) {
              throw UsageError{absl::StrFormat(
                  "--installment: \"%s\" is not DATE=AMOUNT", text)};
            }
            auto* inst = s->add_installments();
            inst->set_due_date(text.substr(0, eq));
            inst->set_amount_minor(
                Scaled("--installment", text.substr(eq + 1), decimals));
          }
        }
        return Execute(g, *f, std::move(c));
      });
    });

    struct Id {
      std::string customer, contract, rule;
    };
    auto add_id = [](CLI::App* cmd, Id* id) {
      cmd->add_option("--customer", id->customer, "Holder")->required();
      cmd->add_option("--contract", id->contract, "Contract reference")
          ->required();
      cmd->add_option("--rule", id->rule, "Rule code")->required();
    };

    CLI::App* get;
    auto gf = Verb<Id>(rule, "get", "Show one rule", &get);
    add_id(get, gf.get());
    get->callback([&g, exit_code, gf, stub] {
      v1::GetRuleRequest req;
      req.set_customer_id(gf->customer);
      req.set_contract_ref(gf->contract);
      req.set_rule_id(gf->rule);
      v1::BillingRule out;
      *exit_code = Show(g, stub()->GetRule(g.Context().get(), req, &out), out,
                        &PrintRule);
    });

    struct D : Id, CommandFlags {
      std::string next, invoice_date, invoice_ref;
    };
    CLI::App* dates;
    auto df =
        Verb<D>(rule, "dates",
                "Set billing dates by hand (no --next: clear it)", &dates);
    add_id(dates, df.get());
    dates->add_option("--next", df->next, "Next theoretical date");
    dates->add_option("--last-invoice-date", df->invoice_date,
                      "Last real invoice date");
    dates->add_option("--last-invoice-ref", df->invoice_ref,
                      "Last real invoice reference");
    AddCommandFlags(dates, df.get());
    dates->callback([&g, exit_code, df] {
      v1::ContractCommand c;
      c.set_customer_id(df->customer);
      auto* d = c.mutable_set_rule_dates();
      d->set_contract_ref(df->contract);
      d->set_rule_id(df->rule);
      d->set_next_theoretical_date(df->next);
      d->set_last_invoice_date(df->invoice_date);
      d->set_last_invoice_ref(df->invoice_ref);
      *exit_code = Execute(g, *df, std::move(c));
    });

    struct B : Id, CommandFlags {
      std::string period_start, invoice_ref, invoice_date;
    };
    CLI::App* billed;
    auto bf = Verb<B>(rule, "billed",
                      "Record that the period at the next date was invoiced",
                      &billed);
    add_id(billed, bf.get());
    billed
        ->add_option("--period-start", bf->period_start,
                     "First day of the billed period")
        ->required();
    billed->add_option("--invoice-ref", bf->invoice_ref, "Invoice reference")
        ->required();
    billed->add_option("--invoice-date", bf->invoice_date, "Invoice date")
        ->required();
    AddCommandFlags(billed, bf.get());
    billed->callback([&g, exit_code, bf] {
      v1::ContractCommand c;
      c.set_customer_id(bf->customer);
      auto* b = c.mutable_record_rule_billed();
      b->set_contract_ref(bf->contract);
      b->set_rule_id(bf->rule);
      b->set_period_start(bf->period_start);
      b->set_invoice_ref(bf->invoice_ref);
      b->set_invoice_date(bf->invoice_date);
      *exit_code = Execute(g, *bf, std::move(c));
    });
  }

  // --- readings, units of work, time, jobs ---
  {
    CLI::App* reading = app.add_subcommand("reading", "Meter readings");
    reading->require_subcommand(1);
    struct F : CommandFlags {
      std::string customer, contract, rule, object, date, value,
          kind = "regular", old_final;
    };
    CLI::App* record;
    auto f = Verb<F>(reading, "record", "Record a reading", &record);
    record->add_option("--customer", f->customer, "Holder")->required();
    record->add_option("--contract", f->contract, "Contract")->required();
    record->add_option("--rule", f->rule, "Consumed-units rule")->required();
    record->add_option("--object", f->object, "Object read")->required();
    record->add_option("--date", f->date, "Reading date")->required();
    record->add_option("--value", f->value, "Meter value, e.g. 1250")
        ->required();
    record->add_option("--kind", f->kind,
                       kReadingKinds.List() + " (default regular)");
    record->add_option("--old-final", f->old_final,
                       "Replacement: the old meter's last value");
    AddCommandFlags(record, f.get());
    record->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(f->customer);
        auto* r = c.mutable_record_reading()->mutable_reading();
        r->set_contract_ref(f->contract);
        r->set_rule_id(f->rule);
        r->set_object_id(f->object);
        r->set_reading_date(f->date);
        r->set_value_milli(Scaled("--value", f->value, 3));
        r->set_kind(kReadingKinds.Of("--kind", f->kind));
        if (!f->old_final.empty()) {
          r->set_old_meter_final_value_milli(
              Scaled("--old-final", f->old_final, 3));
        }
        return Execute(g, *f, std::move(c));
      });
    });

    struct L {
      std::string customer, object;
    };
    CLI::App* list;
    auto lf = Verb<L>(reading, "list", "An object's readings", &list);
    list->add_option("--customer", lf->customer, "Holder")->required();
    list->add_option("--object", lf->object, "Object")->required();
    list->callback([&g, exit_code, lf, stub] {
      v1::ListReadingsRequest req;
      req.set_customer_id(lf->customer);
      req.set_object_id(lf->object);
      v1::ReadingHistory out;
      *exit_code = Show(
          g, stub()->ListReadings(g.Context().get(), req, &out), out,
          +[](const v1::ReadingHistory& h) {
            for (const auto& r : h.readings()) PrintReading(r);
            const auto& m = h.meter();
            std::cout << absl::StrFormat(
                "meter of %s: installed at %s (reading #%d); last billed %s\n",
                m.object_id(), Milli(m.installed_value_milli()),
                m.installed_seq(),
                m.last_billed_seq() == 0
                    ? std::string("none")
                    : absl::StrFormat("#%d (%s)", m.last_billed_seq(),
                                      Milli(m.last_billed_value_milli())));
          });
    });
  }
  {
    CLI::App* work = app.add_subcommand("work", "Units of work");
    work->require_subcommand(1);
    struct F : CommandFlags {
      std::string customer, contract, rule, date, quantity, note;
    };
    CLI::App* record;
    auto f = Verb<F>(work, "record", "Record units of work", &record);
    record->add_option("--customer", f->customer, "Holder")->required();
    record->add_option("--contract", f->contract, "Contract")->required();
    record->add_option("--rule", f->rule, "Unit-of-work rule")->required();
    record->add_option("--date", f->date, "Work date")->required();
    record->add_option("--quantity", f->quantity, "Quantity, e.g. 12")
        ->required();
    record->add_option("--note", f->note, "Free text");
    AddCommandFlags(record, f.get());
    record->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(f->customer);
        auto* u = c.mutable_record_work_units()->mutable_units();
        u->set_contract_ref(f->contract);
        u->set_rule_id(f->rule);
        u->set_work_date(f->date);
        u->set_quantity_milli(Scaled("--quantity", f->quantity, 3));
        u->set_note(f->note);
        return Execute(g, *f, std::move(c));
      });
    });
  }
  {
    CLI::App* time = app.add_subcommand("time", "Time spent");
    time->require_subcommand(1);
    struct F : CommandFlags {
      std::string customer, contract, rule, person, date, hours, note;
    };
    CLI::App* record;
    auto f = Verb<F>(time, "record", "Record hours", &record);
    record->add_option("--customer", f->customer, "Holder")->required();
    record->add_option("--contract", f->contract, "Contract")->required();
    record->add_option("--rule", f->rule, "Time-spent rule")->required();
    record->add_option("--person", f->person, "Person code")->required();
    record->add_option("--date", f->date, "Work date")->required();
    record->add_option("--hours", f->hours, "Hours, e.g. 2.5")->required();
    record->add_option("--note", f->note, "Free text");
    AddCommandFlags(record, f.get());
    record->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(f->customer);
        auto* t = c.mutable_record_time()->mutable_entry();
        t->set_contract_ref(f->contract);
        t->set_rule_id(f->rule);
        t->set_person_id(f->person);
        t->set_work_date(f->date);
        t->set_hours_milli(Scaled("--hours", f->hours, 3));
        t->set_note(f->note);
        return Execute(g, *f, std::move(c));
      });
    });
  }
  {
    CLI::App* job = app.add_subcommand("job", "Jobs (interventions)");
    job->require_subcommand(1);
    struct F : CommandFlags {
      std::string customer, job, date;
    };
    CLI::App* complete;
    auto f = Verb<F>(job, "complete", "Record a job as completed", &complete);
    complete->add_option("--customer", f->customer, "Customer")->required();
    complete->add_option("--job", f->job, "Job code")->required();
    complete->add_option("--date", f->date, "Completion date")->required();
    AddCommandFlags(complete, f.get());
    complete->callback([&g, exit_code, f] {
      v1::ContractCommand c;
      c.set_customer_id(f->customer);
      auto* j = c.mutable_complete_job()->mutable_job();
      j->set_job_id(f->job);
      j->set_completed_on(f->date);
      *exit_code = Execute(g, *f, std::move(c));
    });
  }

  // --- increases ---
  {
    CLI::App* increase = app.add_subcommand("increase", "Price increases");
    increase->require_subcommand(1);
    struct F : CommandFlags {
      std::string customer, contract, rule, date, kind, percent, syntec_a,
          syntec_b, index, reference_index, new_index, reason;
    };
    CLI::App* schedule;
    auto f =
        Verb<F>(increase, "schedule",
                "Schedule a one-off increase effective on a date", &schedule);
    schedule->add_option("--customer", f->customer, "Holder")->required();
    schedule->add_option("--contract", f->contract, "Contract")->required();
    schedule->add_option("--rule", f->rule, "Rule")->required();
    schedule->add_option("--date", f->date, "Effective date")->required();
    schedule->add_option("--kind", f->kind, kIncreaseKinds.List())->required();
    schedule->add_option("--percent", f->percent, "Custom: percent, e.g. 3");
    schedule->add_option("--syntec-a", f->syntec_a, "Syntec a, e.g. 0.15");
    schedule->add_option("--syntec-b", f->syntec_b, "Syntec b, e.g. 0.85");
    schedule->add_option("--index", f->index, "Index code");
    schedule->add_option("--reference-index", f->reference_index,
                         "I_ref (default: the rule's)");
    schedule->add_option("--new-index", f->new_index,
                         "I_new (default: the latest publication)");
    schedule->add_option("--reason", f->reason, "Why");
    AddCommandFlags(schedule, f.get());
    schedule->callback([&g, exit_code, f] {
      Guarded(exit_code, [&] {
        v1::ContractCommand c;
        c.set_customer_id(f->customer);
        auto* s = c.mutable_schedule_increase();
        s->set_contract_ref(f->contract);
        s->set_rule_id(f->rule);
        auto* inc = s->mutable_increase();
        inc->set_effective_date(f->date);
        inc->set_kind(kIncreaseKinds.Of("--kind", f->kind));
        inc->set_reason(f->reason);
        if (!f->percent.empty()) {
          inc->set_percent_bp(
              static_cast<int32_t>(Scaled("--percent", f->percent, 2)));
        }
        if (inc->kind() == v1::INCREASE_KIND_SYNTEC) {
          auto* sy = inc->mutable_syntec();
          sy->set_a_micros(Scaled("--syntec-a", f->syntec_a, 6));
          sy->set_b_micros(Scaled("--syntec-b", f->syntec_b, 6));
          sy->set_index_code(f->index);
          if (!f->reference_index.empty()) {
            sy->set_reference_index_micros(
                Scaled("--reference-index", f->reference_index, 6));
          }
          if (!f->new_index.empty()) {
            inc->set_new_index_micros(Scaled("--new-index", f->new_index, 6));
          }
        }
        return Execute(g, *f, std::move(c));
      });
    });

    struct A : CommandFlags {
      std::string customer, contract, rule, date;
    };
    CLI::App* anniversaries;
    auto af = Verb<A>(increase, "anniversaries",
                      "Record the anniversary increases due up to a date",
                      &anniversaries);
    anniversaries->add_option("--customer", af->customer, "Holder")->required();
    anniversaries->add_option("--date", af->date, "As of date")->required();
    anniversaries->add_option("--contract", af->contract, "Only this contract");
    anniversaries->add_option("--rule", af->rule, "Only this rule");
    AddCommandFlags(anniversaries, af.get());
    anniversaries->callback([&g, exit_code, af] {
      v1::ContractCommand c;
      c.set_customer_id(af->customer);
      auto* a = c.mutable_apply_anniversary_increases();
      a->set_as_of_date(af->date);
      a->set_contract_ref(af->contract);
      a->set_rule_id(af->rule);
      *exit_code = Execute(g, *af, std::move(c));
    });

    struct C : CommandFlags {
      std::string customer, contract, rule, reason;
      uint32_t seq = 0;
    };
    CLI::App* cancel;
    auto cf = Verb<C>(increase, "cancel", "Cancel an increase", &cancel);
    cancel->add_option("--customer", cf->customer, "Holder")->required();
    cancel->add_option("--contract", cf->contract, "Contract")->required();
    cancel->add_option("--rule", cf->rule, "Rule")->required();
    cancel->add_option("--seq", cf->seq, "The increase's number (#)")
        ->required();
    cancel->add_option("--reason", cf->reason, "Why")->required();
    AddCommandFlags(cancel, cf.get());
    cancel->callback([&g, exit_code, cf] {
      v1::ContractCommand c;
      c.set_customer_id(cf->customer);
      auto* x = c.mutable_cancel_increase();
      x->set_contract_ref(cf->contract);
      x->set_rule_id(cf->rule);
      x->set_seq(cf->seq);
      x->set_reason(cf->reason);
      *exit_code = Execute(g, *cf, std::move(c));
    });

    struct H {
      std::string customer, contract, rule, date;
    };
    CLI::App* history;
    auto hf =
        Verb<H>(increase, "history",
                "A rule's increase history and price as of a date", &history);
    history->add_option("--customer", hf->customer, "Holder")->required();
    history->add_option("--contract", hf->contract, "Contract")->required();
    history->add_option("--rule", hf->rule, "Rule")->required();
    history->add_option("--date", hf->date, "As of (default: today)");
    history->callback([&g, exit_code, hf, stub] {
      v1::GetIncreaseHistoryRequest req;
      req.set_customer_id(hf->customer);
      req.set_contract_ref(hf->contract);
      req.set_rule_id(hf->rule);
      req.set_as_of_date(hf->date);
      v1::IncreaseHistory out;
      *exit_code =
          Show(g, stub()->GetIncreaseHistory(g.Context().get(), req, &out), out,
               &PrintHistory);
    });
  }

  // --- due ---
  {
    struct F {
      std::string customer, date, contract, rule;
    };
    auto f = std::make_shared<F>();
    CLI::App* due = app.add_subcommand(
        "due",
        "What is due as of a date: periods, quantities, prices, "
        "anomalies");
    due->add_option("--customer", f->customer, "Customer")->required();
    due->add_option("--date", f->date, "As of (default: today)");
    due->add_option("--contract", f->contract, "Only this contract");
    due->add_option("--rule", f->rule, "Only this rule (with --contract)");
    due->callback([&g, exit_code, f, stub] {
      v1::GetDueRequest req;
      req.set_customer_id(f->customer);
      req.set_as_of_date(f->date);
      req.set_contract_ref(f->contract);
      req.set_rule_id(f->rule);
      v1::DueReport out;
      *exit_code =
          Show(g, stub()->GetDue(g.Context().get(), req, &out), out, &PrintDue);
    });
  }
}

}  // namespace billing::ctl
