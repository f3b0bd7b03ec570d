// billingctl usage import|totals|rated|quarantine list|replay
// billingctl usage rerate (a loop over pages, outside the verb table)
// billingctl plan define|assign
//
// The verb table over billing.v1.UsageService and the printers of its
// answers. `usage import` streams a file and stays a routine of its own.

#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "billing/v1/usage_service.grpc.pb.h"
#include "engine/core/money.h"
#include "services/ctl_verbs.h"
#include "services/usage_csv.h"

namespace billing::ctl {
namespace {

// Longest a file import may take, in all. Default: 1 hour (100,000 records
// take about 15 s here).
constexpr auto kImportDeadline = std::chrono::hours(1);

// The first non-blank line of a CSV file, parsed; `number` is its line.
absl::StatusOr<UsageCsvHeader> ReadCsvHeader(std::istream& in, int* number) {
  std::string line;
  while (std::getline(in, line)) {
    ++*number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!absl::StripAsciiWhitespace(line).empty()) {
      return ParseUsageCsvHeader(line);
    }
  }
  return absl::InvalidArgumentError("csv header: the file is empty");
}

// A CSV row as sent: the record's protobuf bytes, or the line as it is with
// the reason it is no record (the server quarantines it with that reason).
v1::RawUsage CsvMessage(const UsageCsvHeader& header, const std::string& line) {
  v1::RawUsage message;
  auto record = ParseUsageCsvRow(header, line);
  if (record.ok()) {
    message.set_raw(record->SerializeAsString());
  } else {
    message.set_raw(line);
    message.set_client_reason(std::string(record.status().message()));
  }
  return message;
}

void PrintSummary(const v1::IngestSummary& s) {
  std::cout << absl::StrFormat(
      "received %d, rated %d, duplicates %d, quarantined %d\n", s.received(),
      s.rated(), s.duplicates(), s.quarantined());
}

void PrintTotals(const v1::GetUsageTotalsResponse& resp) {
  std::cout << Pad("OBJECT", 20) << " " << Pad("ENTITY", 10) << " "
            << Pad("DISCOUNT", 9) << " " << Pad("KIND", 18) << " "
            << Pad("ZONE", 20) << " " << Pad("RECORDS", 8) << " "
            << Pad("QUANTITY", 12) << " " << Pad("BILLED", 12) << " AMOUNT\n";
  for (const auto& t : resp.totals()) {
    const int d = t.assignment().discount_hundredths();
    std::cout << Pad(t.object_id(), 20) << " "
              << Pad(t.assignment().entity_id(), 10) << " "
              << Pad(FormatFixedPoint(d, 2) + " %", 9) << " "
              << Pad(v1::UsageKind_Name(t.kind()), 18) << " "
              << Pad(t.zone(), 20) << " " << Pad(absl::StrCat(t.records()), 8)
              << " " << Pad(absl::StrCat(t.quantity()), 12) << " "
              << Pad(absl::StrCat(t.billed_quantity()), 12) << " "
              << FormatMicros(t.amount_micros()) << "\n";
  }
}

void PrintRated(const v1::ListRatedUsageResponse& resp) {
  for (const auto& r : resp.records()) {
    std::cout << absl::StrFormat(
        "%s/%s  %s  %s  %s  %d -> %d billed  %s  %s\n",
        r.record().platform_id(), r.record().record_id(), r.object_id(),
        r.record().start_time(), r.record().destination(),
        r.record().quantity(), r.rated().billed_quantity(),
        r.rated().zone_label(), FormatMicros(r.rated().amount_micros()));
  }
}

void PrintQuarantine(const v1::ListQuarantineResponse& resp) {
  for (const auto& i : resp.inputs()) {
    std::cout << absl::StrFormat("#%d  %s  %s\n", i.offset(),
                                 i.input().source(), i.input().reason());
  }
  for (const auto& r : resp.records()) {
    std::cout << absl::StrFormat("%s/%s  %s  %s\n", r.record().platform_id(),
                                 r.record().record_id(), r.object_id(),
                                 r.reason());
  }
}

void PrintPlanVersion(const v1::RatePlanVersion& out) {
  std::cout << absl::StrFormat("plan %s version from %s: %d entries",
                               out.plan_id(), out.effective_from(),
                               out.entries_size())
            << std::endl;
}

void PrintAssigned(const v1::AssignRatePlanRequest& req,
                   const v1::AssignRatePlanResponse&) {
  std::cout << "plan " << req.plan_id() << " prices " << req.object_id()
            << std::endl;
}

// Streams the rest of `in` (after the header, at line `number`).
ExitCode Send(const Global& g, const std::string& file,
              const std::optional<UsageCsvHeader>& header, int number,
              std::istream& in) {
  auto ctx = g.Context();
  ctx->set_deadline(std::chrono::system_clock::now() + kImportDeadline);
  v1::IngestSummary summary;
  auto stub = v1::UsageService::NewStub(g.Channel());
  auto writer = stub->IngestRawUsage(ctx.get(), &summary);
  std::string line;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    v1::RawUsage message =
        header.has_value() ? CsvMessage(*header, line) : v1::RawUsage();
    if (!header.has_value()) message.set_raw(line);
    message.set_source(absl::StrFormat("file:%s:%d", file, number));
    if (!writer->Write(message)) break;
  }
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  if (!st.ok()) return Fail(st);
  if (g.json) {
    std::cout << ToJson(summary) << std::endl;
  } else {
    PrintSummary(summary);
  }
  return 0;
}

// The file's lines to the server, the CSV header checked first.
ExitCode Import(const Global& g, const std::string& file,
                const std::string& format) {
  std::ifstream in(file);
  if (!in) {
    std::cerr << "error: cannot read " << file << std::endl;
    return 2;
  }
  const bool csv =
      format.empty() ? absl::EndsWithIgnoreCase(file, ".csv") : format == "csv";
  int number = 0;
  std::optional<UsageCsvHeader> header;
  if (csv) {
    // The header first: a file it refuses sends nothing.
    auto parsed = ReadCsvHeader(in, &number);
    if (!parsed.ok()) {
      std::cerr << "error: " << file << ":" << number << ": "
                << parsed.status().message() << std::endl;
      return 2;
    }
    header = std::move(*parsed);
    for (const auto& c : header->unknown) {
      std::cerr << "warning: " << file << ": column \"" << c
                << "\" is not a UsageRecord field: every row is "
                   "quarantined (attributes: a column attributes.<key>)"
                << std::endl;
    }
  }
  return Send(g, file, header, number, in);
}

// --- usage rerate: one RerateUsage a page, following `next` ---

struct RerateFlags {
  std::string customer, month, object, reason, key, business_date;
};

// Pages of the month re-rated, until the answer's `next` is empty. Page n
// goes under the key "<key>.<n>": the same command again (same --key)
// finds every page's first answer, so a re-run after a failure is safe.
ExitCode Rerate(const Global& g, const RerateFlags& f) {
  auto stub = v1::UsageService::NewStub(g.Channel());
  const std::string key =
      f.key.empty() ? NewIdempotencyKey().substr(0, 100) : f.key;
  v1::RerateUsageRequest req;
  req.set_customer_id(f.customer);
  req.set_month(f.month);
  req.set_object_id(f.object);
  req.set_reason(f.reason);
  req.set_business_date(f.business_date);
  v1::RerateUsageResponse all;
  for (int page = 1;; ++page) {
    req.set_idempotency_key(absl::StrCat(key, ".", page));
    v1::RerateUsageResponse resp;
    grpc::Status s = stub->RerateUsage(g.Context().get(), req, &resp);
    if (!s.ok()) return Fail(s);
    all.set_examined(all.examined() + resp.examined());
    all.set_changed(all.changed() + resp.changed());
    all.set_delta_micros(all.delta_micros() + resp.delta_micros());
    for (auto& k : *resp.mutable_kept()) *all.add_kept() = std::move(k);
    if (resp.next().empty()) break;
    req.set_after(resp.next());
  }
  if (g.json) {
    std::cout << ToJson(all) << std::endl;
    return 0;
  }
  std::cout << absl::StrFormat(
      "examined %d, re-rated %d, kept %d, amount moved by %s\n",
      all.examined(), all.changed(), all.kept_size(),
      FormatMicros(all.delta_micros()));
  for (const auto& k : all.kept()) {
    std::cout << absl::StrFormat("%s/%s  %s  %s\n", k.platform_id(),
                                 k.record_id(), k.object_id(), k.reason());
  }
  return 0;
}

void RegisterRerate(CLI::App& app, const Global& g, ExitCode* exit_code) {
  auto f = std::make_shared<RerateFlags>();
  CLI::App* cmd = NounAt(app, {"usage"}, "")->add_subcommand(
      "rerate",
      "Rate a month's records again with the plan versions now defined "
      "(after a version was corrected); then `credit-note correct`");
  cmd->add_option("--customer", f->customer, "Customer")->required();
  cmd->add_option("--month", f->month, "YYYY-MM")->required();
  cmd->add_option("--object", f->object, "One object (default: all)");
  cmd->add_option("--reason", f->reason, "Why (1 to 500 characters)")
      ->required();
  cmd->add_option("--key", f->key,
                  "Idempotency key (default: a new one); reuse it to resume");
  cmd->add_option("--business-date", f->business_date,
                  "YYYY-MM-DD (default: the server's date)");
  cmd->callback([&g, exit_code, f] { *exit_code = Rerate(g, *f); });
}

std::vector<Verb> UsageVerbs() {
  const Flag customer = Req("--customer", "customer_id", "Customer");
  const Flag month = Req("--month", "month", "YYYY-MM");
  const Flag object = Opt("--object", "object_id", "One object (default: all)");
  const Flag unrated = Opt("--customer", "customer_id",
                           "A customer's unrated records (default: inputs no "
                           "customer took)");
  return {
      {{"usage", "totals"},
       "Rated totals of a month by object, kind and zone",
       "UsageService.GetUsageTotals",
       "",
       {customer, month, object},
       Prints(&PrintTotals)},
      {{"usage", "rated"},
       "The rated records behind the totals",
       "UsageService.ListRatedUsage",
       "",
       {customer, month, object,
        Opt("--limit", "limit", "At most (default 1000)")},
       Prints(&PrintRated)},
      {{"usage", "quarantine", "list"},
       "List it",
       "UsageService.ListQuarantine",
       "",
       {unrated},
       Prints(&PrintQuarantine)},
      {{"usage", "quarantine", "replay"},
       "Send it through again (once the object or plan exists)",
       "UsageService.ReplayQuarantine",
       "",
       {unrated},
       Prints(&PrintSummary)},
      {{"plan", "define"},
       "Define a plan version from a JSON file (RatePlanVersion)",
       "UsageService.DefineRatePlanVersion",
       "",
       {customer,
        Req("--file", "version", "RatePlanVersion as JSON").Mode(kJsonFile)},
       Prints(&PrintPlanVersion),
       kKeyFlag},
      {{"plan", "assign"},
       "Price an object (or an account and its objects) with a plan",
       "UsageService.AssignRatePlan",
       "",
       {customer, Req("--object", "object_id", "Object id"),
        Req("--plan", "plan_id", "Plan id")},
       Prints(&PrintAssigned),
       kKeyFlag},
  };
}

}  // namespace

void RegisterUsageCommands(CLI::App& app, const Global& g,
                           ExitCode* exit_code) {
  RegisterVerbs(app, g, exit_code,
                *v1::GetUsageTotalsRequest::descriptor()->file(),
                {{{"usage"}, "Telephony usage"},
                 {{"usage", "quarantine"}, "What could not be billed, and why"},
                 {{"plan"}, "Rate plans"}},
                UsageVerbs());
  struct ImportFlags {
    std::string file, format;
  };
  auto imp = std::make_shared<ImportFlags>();
  CLI::App* import_cmd =
      NounAt(app, {"usage"}, "")
          ->add_subcommand(
              "import",
              "Ingest a file of call detail records (CSV with a header of "
              "UsageRecord field names, or JSON Lines)");
  import_cmd->add_option("file", imp->file, "The file")->required();
  import_cmd
      ->add_option("--format", imp->format,
                   "csv | jsonl (default: by extension)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  import_cmd->callback(
      [&g, exit_code, imp] { *exit_code = Import(g, imp->file, imp->format); });
  RegisterRerate(app, g, exit_code);
}

}  // namespace billing::ctl
