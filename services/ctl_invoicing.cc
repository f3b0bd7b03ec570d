// billingctl run simulate|start
// billingctl prep list|show|add-line|delete|confirm
//
// Pre-billing over billing.v1.InvoicingService: the verb table and the
// printers of its answers (docs/invoicing.md). A preparation prints in list
// mode (one line) or in detail mode (header, sections with subtotals, every
// line with its explanation, anomalies with every reason, the trace).
// Amounts are in the preparation's currency, through the engine's money
// formatting; the CLI never uses floating point.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "billing/v1/customer_service.grpc.pb.h"
#include "billing/v1/invoicing_service.grpc.pb.h"
#include "engine/core/money.h"
#include "services/ctl_verbs.h"

namespace billing::ctl {
namespace {

// --- formatting (pure: strings in, strings out) ---

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

// An enum value as the verbs spell it ("anomaly", "payment-notice").
template <typename E>
std::string Name(E value) {
  return static_cast<int>(value) == 0 ? "-" : CliName(value);
}

// "1 line", "2 lines".
std::string Count(int64_t n, const std::string& noun) {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

std::string Period(const std::string& start, const std::string& end) {
  return absl::StrCat(start, "..", end);
}

std::string AddressText(const v1::Address& a) {
  std::vector<std::string> parts(a.lines().begin(), a.lines().end());
  const std::string town =
      absl::StrJoin(std::vector<std::string>{a.postal_code(), a.city()}, " ");
  if (!a.city().empty()) parts.push_back(town);
  if (!a.country_code().empty()) parts.push_back(a.country_code());
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

// List mode: one line a preparation; `anomalies` counted by the server
// (list mode on the wire carries none) or from the whole preparation.
std::string PreparationRow(const v1::Preparation& p, int anomalies) {
  return absl::StrCat(
      Pad(p.preparation_id(), 48), " ", Pad(p.holder_id(), 10), " ",
      Pad(p.invoiced_party().customer_id(), 10), " ",
      Pad(Dash(p.entity_id()), 8), " ", Pad(Dash(p.billing_family()), 8), " ",
      Pad(Name(p.type()), 14), " ",
      Pad(absl::StrCat(Name(p.status()), p.deletion_pending() ? "*" : ""), 10),
      " ", Pad(Amount(p.totals().net_amount_minor(), p.currency()), 12), " ",
      anomalies, "\n");
}

std::string ListHeader() {
  return absl::StrCat(Pad("ID", 48), " ", Pad("CUSTOMER", 10), " ",
                      Pad("INVOICED", 10), " ", Pad("ENTITY", 8), " ",
                      Pad("FAMILY", 8), " ", Pad("TYPE", 14), " ",
                      Pad("STATUS", 10), " ", Pad("NET", 12), " ANOMALIES\n");
}

std::string HeaderText(const v1::Preparation& p) {
  const v1::InvoicedParty& party = p.invoiced_party();
  std::string out = absl::StrFormat(
      "preparation %s\n"
      "status      %s%s, %s, %s scope, run %s\n"
      "invoiced    %s %s\n"
      "address     %s\n"
      "period      %s (business date %s)\n"
      "delivery    %s, entity %s, billing family %s, currency %s\n",
      p.preparation_id(), Name(p.status()),
      p.deletion_pending() ? " (deletion pending)" : "", Name(p.type()),
      Name(p.scope()), Dash(p.run_id()), party.customer_id(), party.name(),
      AddressText(party.billing_address()),
      Period(p.period_start(), p.period_end()), Dash(p.business_date()),
      Name(p.delivery_mode()), Dash(p.entity_id()), Dash(p.billing_family()),
      p.currency());
  if (p.holder_id() != party.customer_id()) {
    absl::StrAppend(&out, "holder      ", p.holder_id(), "\n");
  }
  if (party.payment_method() != v1::PAYMENT_METHOD_UNSPECIFIED) {
    absl::StrAppend(&out, "payment     ", Name(party.payment_method()), "\n");
  }
  if (!party.account_id().empty()) {
    absl::StrAppend(&out, "group head  ", party.account_id(), "\n");
  }
  if (!p.bill_to().party_id().empty()) {
    absl::StrAppend(&out, "bill-to     ", p.bill_to().party_id(), " (",
                    Name(p.bill_to().mode()), ")\n");
  }
  return out;
}

std::string TotalsText(const v1::PreparationTotals& t,
                       const std::string& currency) {
  return absl::StrFormat("gross %s, discount %s, net %s, cost %s, margin %s",
                         Amount(t.gross_amount_minor(), currency),
                         Amount(t.discount_minor(), currency),
                         Amount(t.net_amount_minor(), currency),
                         Amount(t.cost_minor(), currency),
                         Amount(t.margin_minor(), currency));
}

// Where a line's price and quantity came from, beyond its explanation.
// The price's source, when the engine's explanation (which names it) is
// missing: the agreed price or an increase history entry.
std::string PriceText(const v1::PreparationLine& l) {
  const v1::PriceSource& price = l.price_source();
  if (!l.explanation().empty() || price.effective_date().empty()) return "";
  return price.seq() == 0
             ? absl::StrCat("      price: as agreed, from ",
                            price.effective_date(), "\n")
             : absl::StrCat("      price: increase #", price.seq(), " from ",
                            price.effective_date(), "\n");
}

std::string LineSources(const v1::PreparationLine& l) {
  std::string out = PriceText(l);
  if (!l.price_formula().empty()) {
    absl::StrAppend(&out, "      revision ", l.price_formula(), "\n");
  }
  if (l.from_reading().seq() != 0 || l.to_reading().seq() != 0) {
    absl::StrAppend(&out, "      readings ",
                    FormatFixedPoint(l.from_reading().value_milli(), 3), " (",
                    Dash(l.from_reading().reading_date()), ") -> ",
                    FormatFixedPoint(l.to_reading().value_milli(), 3), " (",
                    Dash(l.to_reading().reading_date()), ")\n");
  }
  if (l.source() == v1::LINE_SOURCE_USAGE) {
    const v1::UsageTotals& u = l.usage();
    absl::StrAppend(&out, "      usage ", Name(u.kind()), " ", u.zone(), ": ",
                    u.records(), " records, quantity ", u.quantity(),
                    ", billed ", u.billed_quantity(), ", rated ",
                    FormatMicros(u.amount_micros()), "\n");
  }
  return out;
}

std::string LineText(const v1::PreparationLine& l,
                     const std::string& currency) {
  const std::string discount =
      l.assignment().discount_hundredths() == 0
          ? "-"
          : absl::StrCat(
                FormatFixedPoint(l.assignment().discount_hundredths(), 2),
                " % = ", Amount(l.discount_minor(), currency));
  std::string out = absl::StrFormat(
      "    %s %s  %s%s  object %s\n"
      "      %s x %s = %s, discount %s, net %s\n",
      Dash(l.article_code()), l.label(),
      Period(l.period_start(), l.period_end()),
      l.own_period() ? " (own period)" : "", Dash(l.object_id()),
      FormatFixedPoint(l.quantity_milli(), 3),
      FormatMicros(l.unit_price_micros()),
      Amount(l.gross_amount_minor(), currency), discount,
      Amount(l.net_amount_minor(), currency));
  absl::StrAppend(&out, LineSources(l));
  if (!l.explanation().empty()) {
    absl::StrAppend(&out, "      ", l.explanation(), "\n");
  }
  return out;
}

// Each section with its subtotals, then its lines; lines of an entity no
// section names (none today) after them.
std::string SectionsText(const v1::Preparation& p) {
  std::string out;
  std::vector<bool> shown(p.lines_size(), false);
  for (const v1::PreparationSection& s : p.sections()) {
    absl::StrAppend(&out, "  entity ", s.entity_id(),
                    s.entity_name().empty() ? "" : " " + s.entity_name(), ": ",
                    Count(s.totals().lines(), "line"), ", ",
                    TotalsText(s.totals(), p.currency()), "\n");
    for (int i = 0; i < p.lines_size(); ++i) {
      if (p.lines(i).assignment().entity_id() != s.entity_id()) continue;
      shown[i] = true;
      absl::StrAppend(&out, LineText(p.lines(i), p.currency()));
    }
  }
  for (int i = 0; i < p.lines_size(); ++i) {
    if (!shown[i]) absl::StrAppend(&out, LineText(p.lines(i), p.currency()));
  }
  return out;
}

// Detail mode: everything a person needs to check the amounts by hand.
std::string PreparationDetail(const v1::Preparation& p) {
  std::string out = HeaderText(p);
  absl::StrAppend(&out, SectionsText(p), "total       ",
                  TotalsText(p.totals(), p.currency()), "\n");
  if (p.anomalies_size() > 0) {
    absl::StrAppend(&out, "anomalies   ", p.anomalies_size(), "\n");
    for (const v1::PreparationAnomaly& a : p.anomalies()) {
      absl::StrAppend(&out, "  ", Name(a.kind()), ": ", a.reason(), "\n");
    }
  }
  if (p.trace_size() > 0) {
    absl::StrAppend(&out, "trace\n");
    for (const std::string& t : p.trace()) absl::StrAppend(&out, "  ", t, "\n");
  }
  return out;
}

// --- printers ---

void PrintPreparation(const v1::Preparation& p) {
  std::cout << PreparationDetail(p);
}

void PrintRows(const google::protobuf::RepeatedPtrField<v1::Preparation>& ps,
               bool detail) {
  for (const v1::Preparation& p : ps) {
    std::cout << (detail ? PreparationDetail(p) + "\n"
                         : PreparationRow(p, p.anomalies_size()));
  }
}

// A page in list mode: the anomalies are the server's counts.
void PrintListRows(const v1::ListPreparationsResponse& page) {
  for (int i = 0; i < page.preparations_size(); ++i) {
    const v1::Preparation& p = page.preparations(i);
    const bool counted = i < page.counts_size() &&
                         page.counts(i).preparation_id() == p.preparation_id();
    std::cout << PreparationRow(
        p, counted ? page.counts(i).anomalies() : p.anomalies_size());
  }
}

std::string RunSummary(const v1::RunResult& r) {
  std::string out = absl::StrFormat(
      "run %s: %d of %s gathered, %d failed; %s, %d in anomaly (%d ms)\n",
      r.run_id(), r.customers_done(), Count(r.customers_total(), "customer"),
      r.customers_failed(), Count(r.preparations(), "preparation"),
      r.preparations_in_anomaly(), r.elapsed_ms());
  for (const std::string& e : r.errors()) absl::StrAppend(&out, "  ", e, "\n");
  return out;
}

void PrintSimulation(const v1::RunResult& r) {
  std::cout << RunSummary(r);
  if (r.preparation_list_size() > 0) std::cout << ListHeader();
  PrintRows(r.preparation_list(), false);
  if (r.preparations_truncated()) std::cout << "(more preparations: cut)\n";
}

// List mode prints the server's counts of anomalies; --detail (the
// request's `detail`) prints each preparation whole.
void PrintPage(const Answer& a) {
  const auto& request =
      static_cast<const v1::ListPreparationsRequest&>(a.request);
  const auto& page =
      static_cast<const v1::ListPreparationsResponse&>(a.response);
  if (request.detail()) {
    PrintRows(page.preparations(), true);
  } else {
    if (a.first_page) std::cout << ListHeader();
    PrintListRows(page);
  }
  if (!a.all_pages && !page.next_page_token().empty()) {
    std::cout << "next page: --page-token " << page.next_page_token() << "\n";
  }
}

// The currency of a customer, for amounts of answers that do not carry it;
// "" when it cannot be read (amounts then print with 2 decimals).
std::string CurrencyOf(const Global& g, const std::string& customer_id) {
  v1::GetCustomerRequest req;
  req.set_customer_id(customer_id);
  v1::Customer customer;
  auto stub = v1::CustomerService::NewStub(g.Channel());
  return stub->GetCustomer(g.Context().get(), req, &customer).ok()
             ? customer.currency()
             : "";
}

Printer PrintAnswerOf(const Global& g, const std::string& what) {
  return [&g, what](const Answer& a) {
    const auto& answer = static_cast<const v1::InvoicingAnswer&>(a.response);
    std::cout << what << ": " << absl::StrJoin(answer.preparation_ids(), ", ")
              << "\n";
    if (!answer.has_totals()) return;
    const google::protobuf::Message& r = a.request;
    const std::string customer = r.GetReflection()->GetString(
        r, r.GetDescriptor()->FindFieldByName("customer_id"));
    std::cout << Count(answer.totals().lines(), "line") << ", "
              << TotalsText(answer.totals(), CurrencyOf(g, customer)) << "\n";
  };
}

// --- run simulate|start: a stream and a run id of at most 32 characters,
// outside the verb executor ---

struct RunFlags {
  std::string period_start, period_end, business_date, scope, customers,
      contracts, billing_family, site, key;
  bool split = false;
};

// "C1..C9" is a range; "C1*" or "C1" alone is both bounds.
void SetRange(const std::string& text, std::string* from, std::string* to) {
  const size_t dots = text.find("..");
  *from = dots == std::string::npos ? text : text.substr(0, dots);
  *to = dots == std::string::npos ? text : text.substr(dots + 2);
}

v1::RunRequest RunRequestOf(const RunFlags& f) {
  v1::RunRequest req;
  // A fresh run id fits the 32 characters a run id may have.
  req.set_idempotency_key(f.key.empty() ? NewIdempotencyKey().substr(0, 28)
                                        : f.key);
  req.set_business_date(f.business_date);
  req.set_period_start(f.period_start);
  req.set_period_end(f.period_end);
  req.set_scope(f.scope == "grouped" ? v1::ACCOUNT_SCOPE_GROUPED
                                     : v1::ACCOUNT_SCOPE_ORDINARY);
  SetRange(f.customers, req.mutable_customer_from(), req.mutable_customer_to());
  SetRange(f.contracts, req.mutable_contract_ref_from(),
           req.mutable_contract_ref_to());
  req.set_billing_family(f.billing_family);
  req.set_site_code(f.site);
  req.set_split_by_billing_family(f.split);
  return req;
}

void AddRunFlags(CLI::App* cmd, RunFlags* f) {
  cmd->add_option("--period-start", f->period_start, "YYYY-MM-DD")->required();
  cmd->add_option("--period-end", f->period_end, "YYYY-MM-DD")->required();
  cmd->add_option("--business-date", f->business_date,
                  "Rules due as of YYYY-MM-DD (default: the server's date)");
  cmd->add_option("--scope", f->scope, "ordinary | grouped")
      ->required()
      ->check(CLI::IsMember({"ordinary", "grouped"}));
  cmd->add_option("--customers", f->customers,
                  "Customer codes: C1, a mask C1*, or a range C1..C9");
  cmd->add_option("--contracts", f->contracts,
                  "Contract references, as --customers");
  cmd->add_option("--billing-family", f->billing_family, "A code or a mask");
  cmd->add_option("--site", f->site, "A site code or a mask");
  cmd->add_flag("--split-families", f->split,
                "One preparation per billing family");
  cmd->add_option("--key", f->key,
                  "Run id, 1 to 32 of A-Z a-z 0-9 . _ - (default: a new "
                  "one); reuse it to resume a run");
}

ExitCode Simulate(const Global& g, const RunFlags& f) {
  v1::RunResult result;
  auto stub = v1::InvoicingService::NewStub(g.Channel());
  grpc::Status s =
      stub->SimulateRun(g.Context().get(), RunRequestOf(f), &result);
  if (!s.ok()) return Fail(s);
  if (g.json) {
    std::cout << ToJson(result) << std::endl;
  } else {
    PrintSimulation(result);
  }
  return 0;
}

// "1200 of 100000 customers, 850.3/s" on stderr, over the last one, once
// the run has lasted a second.
void ShowProgress(const v1::RunProgress& p, bool* shown) {
  if (p.elapsed_ms() < 1000 || p.has_result()) return;
  std::cerr << absl::StrFormat("\r%d of %d customers, %.1f/s",
                               p.customers_done(), p.customers_total(),
                               p.customers_per_second())
            << std::flush;
  *shown = true;
}

ExitCode Start(const Global& g, const RunFlags& f) {
  auto ctx = g.Context();
  // A run takes as long as its customers do: no deadline of its own.
  ctx->set_deadline(std::chrono::system_clock::time_point::max());
  auto stub = v1::InvoicingService::NewStub(g.Channel());
  auto reader = stub->StartRun(ctx.get(), RunRequestOf(f));
  v1::RunProgress progress, last;
  bool shown = false;
  while (reader->Read(&progress)) {
    ShowProgress(progress, &shown);
    last = progress;
  }
  if (shown) std::cerr << "\n";
  grpc::Status s = reader->Finish();
  if (!s.ok()) return Fail(s);
  if (g.json) {
    std::cout << ToJson(last.result()) << std::endl;
  } else {
    std::cout << RunSummary(last.result());
  }
  return 0;
}

void RegisterRunCommands(CLI::App& app, const Global& g, ExitCode* exit_code) {
  CLI::App* run = NounAt(app, {"run"}, "Billing runs: gather what is due");
  auto sim = std::make_shared<RunFlags>();
  CLI::App* simulate = run->add_subcommand(
      "simulate", "Compute the run's preparations, record nothing");
  AddRunFlags(simulate, sim.get());
  simulate->callback([&g, exit_code, sim] { *exit_code = Simulate(g, *sim); });
  auto real = std::make_shared<RunFlags>();
  CLI::App* start = run->add_subcommand(
      "start", "Run it: record the preparations (progress on stderr)");
  AddRunFlags(start, real.get());
  start->callback([&g, exit_code, real] { *exit_code = Start(g, *real); });
}

// --- prep: the verb table ---

std::vector<Flag> ListFlags() {
  std::vector<Flag> flags = {
      Opt("--period-start", "period_start", "Overlapping from YYYY-MM-DD"),
      Opt("--period-end", "period_end", "Overlapping to YYYY-MM-DD"),
      Opt("--type", "type", "")};
  for (const auto& [flag, field] :
       std::vector<std::pair<std::string, std::string>>{
           {"customer", "customers"},
           {"contract", "contract_refs"},
           {"billing-family", "billing_families"},
           {"contract-family", "contract_families"}}) {
    flags.push_back(Opt("--" + flag + "-from", field + ".from",
                        "From this code or mask (C12*), included"));
    flags.push_back(Opt("--" + flag + "-to", field + ".to",
                        "To this code or mask, included"));
  }
  for (Flag f : {Opt("--statuses", "statuses",
                     "generated,validated,cancelled,anomaly (default: all)")
                     .Mode(kCommaList),
                 Opt("--site", "site_code", "A site code or a mask"),
                 Switch("--detail", "detail",
                        "Detail mode: each preparation whole, as prep show"),
                 Opt("--page-size", "page_size", "1..1000 (default 100)"),
                 Opt("--page-token", "page_token", "From a previous page")}) {
    flags.push_back(std::move(f));
  }
  return flags;
}

std::vector<Verb> PrepVerbs(const Global& g) {
  const Flag customer =
      Req("--customer", "customer_id", "The preparations' holder");
  const Flag ids = Req("--ids", "preparation_ids", "ID,ID...").Mode(kCommaList);
  return {
      {{"prep", "list"},
       "Preparations, filtered, one line each (or --detail)",
       "InvoicingService.ListPreparations",
       "",
       ListFlags(),
       PrintPage,
       kPaged},
      {{"prep", "show"},
       "A preparation: header, sections, lines and how each "
       "amount was computed, anomalies, trace",
       "InvoicingService.GetPreparation",
       "",
       {Req("id", "preparation_id", "Preparation id"),
        Opt("--customer", "customer_id",
            "The holder (default: read from the id, which begins with it)")},
       Prints(&PrintPreparation)},
      {{"prep", "add-line"},
       "Add an ad-hoc line to a generated preparation",
       "InvoicingService.AddPreparationLine",
       "",
       {customer, Req("--id", "/preparation_id", "Preparation id"),
        Req("--article", "line.article_code", "Article code"),
        Req("--label", "line.label", "Line label"),
        Req("--quantity", "line.quantity_milli", "Quantity, e.g. 2 or 1.5"),
        Req("--unit-price", "line.unit_price_micros", "e.g. 45.00"),
        Opt("--entity", "line.entity_id",
            "Section (default: the "
            "preparation's entity)")},
       PrintAnswerOf(g, "line added to"),
       kCommand},
      {{"prep", "delete"},
       "Mark preparations for deletion (see confirm)",
       "InvoicingService.DeletePreparations",
       "",
       {customer, ids},
       PrintAnswerOf(g, "marked for deletion"),
       kCommand},
      {{"prep", "confirm"},
       "Remove preparations marked for deletion",
       "InvoicingService.ConfirmDeletion",
       "",
       {customer, ids},
       PrintAnswerOf(g, "deleted"),
       kCommand},
  };
}

// --- run list|show: the runs' headers and progress ---

std::string RunRow(const v1::RunView& r) {
  const v1::RunHeader& h = r.header();
  const v1::RunParams& p = h.params();
  return absl::StrCat(
      Pad(h.run_id(), 32), " ",
      Pad(Period(p.period_start(), p.period_end()), 22), " ",
      Pad(Dash(p.business_date()), 10), " ", Pad(Name(p.scope()), 8), " ",
      Pad(absl::StrCat(r.customers_done(), "/", h.customers_total()), 13), " ",
      r.complete() ? "complete" : "in progress", "\n");
}

void PrintRunPage(const Answer& a) {
  const auto& page = static_cast<const v1::ListRunsResponse&>(a.response);
  if (a.first_page) {
    std::cout << Pad("RUN", 32) << " " << Pad("PERIOD", 22) << " "
              << Pad("DATE", 10) << " " << Pad("SCOPE", 8) << " "
              << Pad("CUSTOMERS", 13) << " STATE\n";
  }
  for (const v1::RunView& r : page.runs()) std::cout << RunRow(r);
  if (!a.all_pages && !page.next_page_token().empty()) {
    std::cout << "next page: --page-token " << page.next_page_token() << "\n";
  }
}

// "C1..C9", "C1*", "-" (every customer).
std::string RangeText(const std::string& from, const std::string& to) {
  if (from.empty() && to.empty()) return "-";
  if (from == to) return from;
  return absl::StrCat(from, "..", to);
}

void PrintRun(const v1::RunView& r) {
  const v1::RunHeader& h = r.header();
  const v1::RunParams& p = h.params();
  std::cout << absl::StrFormat(
      "run         %s (started %s)\n"
      "period      %s, rules due as of %s, %s scope\n"
      "filters     customers %s, contracts %s, billing family %s, site %s%s\n"
      "progress    %d of %s gathered, %s\n",
      h.run_id(), Dash(h.started_on()),
      Period(p.period_start(), p.period_end()), Dash(p.business_date()),
      Name(p.scope()), RangeText(h.customer_from(), h.customer_to()),
      RangeText(p.contract_ref_from(), p.contract_ref_to()),
      Dash(p.billing_family()), Dash(p.site_code()),
      p.split_by_billing_family() ? ", one preparation per family" : "",
      r.customers_done(), Count(h.customers_total(), "customer"),
      r.complete() ? "complete" : "in progress");
}

std::vector<Verb> RunVerbs() {
  return {
      {{"run", "list"},
       "Runs started, with their progress (customers gathered of total)",
       "InvoicingService.ListRuns",
       "",
       {Opt("--page-size", "page_size", "1..1000 (default 100)"),
        Opt("--page-token", "page_token", "From a previous page")},
       PrintRunPage,
       kPaged},
      {{"run", "show"},
       "A run's header (period, date, scope, filters) and progress",
       "InvoicingService.GetRun",
       "",
       {Req("id", "run_id", "Run id")},
       Prints(&PrintRun)},
  };
}

}  // namespace

void RegisterInvoicingCommands(CLI::App& app, const Global& g,
                               ExitCode* exit_code) {
  RegisterRunCommands(app, g, exit_code);
  std::vector<Verb> verbs = PrepVerbs(g);
  for (Verb& v : RunVerbs()) verbs.push_back(std::move(v));
  RegisterVerbs(
      app, g, exit_code, *v1::ListPreparationsRequest::descriptor()->file(),
      {{{"prep"}, "Preparations: the invoices to be"}}, std::move(verbs));
}

}  // namespace billing::ctl
