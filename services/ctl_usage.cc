// billingctl usage import|totals|rated|quarantine, billingctl plan
// define|assign

#include <fstream>
#include <iostream>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "billing/v1/usage_service.grpc.pb.h"
#include "engine/core/money.h"
#include "google/protobuf/util/json_util.h"
#include "services/ctl_common.h"
#include "services/usage_csv.h"

namespace billing::ctl {
namespace {

std::string Micros(int64_t micros) { return FormatMicros(micros); }

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

void PrintSummary(const Global& g, const v1::IngestSummary& s) {
  if (g.json) {
    std::cout << ToJson(s) << std::endl;
    return;
  }
  std::cout << absl::StrFormat(
      "received %d, rated %d, duplicates %d, quarantined %d\n", s.received(),
      s.rated(), s.duplicates(), s.quarantined());
}

}  // namespace

void RegisterUsageCommands(CLI::App& app, const Global& g,
                           ExitCode* exit_code) {
  auto stub = [&g] { return v1::UsageService::NewStub(g.Channel()); };
  CLI::App* usage = app.add_subcommand("usage", "Telephony usage");
  usage->require_subcommand(1);

  struct ImportFlags {
    std::string file, format;
  };
  auto imp = std::make_shared<ImportFlags>();
  CLI::App* import_cmd = usage->add_subcommand(
      "import",
      "Ingest a file of call detail records (CSV with a header of "
      "UsageRecord field names, or JSON Lines)");
  import_cmd->add_option("file", imp->file, "The file")->required();
  import_cmd
      ->add_option("--format", imp->format,
                   "csv | jsonl (default: by "
                   "extension)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  import_cmd->callback([&g, exit_code, imp, stub] {
    std::ifstream in(imp->file);
    if (!in) {
      std::cerr << "error: cannot read " << imp->file << std::endl;
      *exit_code = 2;
      return;
    }
    const bool csv = imp->format.empty()
                         ? absl::EndsWithIgnoreCase(imp->file, ".csv")
                         : imp->format == "csv";
    int number = 0;
    std::optional<UsageCsvHeader> header;
    if (csv) {
      // The header first: a file it refuses sends nothing.
      auto parsed = ReadCsvHeader(in, &number);
      if (!parsed.ok()) {
        std::cerr << "error: " << imp->file << ":" << number << ": "
                  << parsed.status().message() << std::endl;
        *exit_code = 2;
        return;
      }
      header = std::move(*parsed);
      for (const auto& c : header->unknown) {
        std::cerr << "warning: " << imp->file << ": column \"" << c
                  << "\" is not a UsageRecord field: every row is "
                     "quarantined (attributes: a column attributes.<key>)"
                  << std::endl;
      }
    }
    auto ctx = g.Context();
    ctx->set_deadline(std::chrono::system_clock::now() + kImportDeadline);
    v1::IngestSummary summary;
    auto s = stub();
    auto writer = s->IngestRawUsage(ctx.get(), &summary);
    std::string line;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      v1::RawUsage message =
          header.has_value() ? CsvMessage(*header, line) : v1::RawUsage();
      if (!header.has_value()) message.set_raw(line);
      message.set_source(absl::StrFormat("file:%s:%d", imp->file, number));
      if (!writer->Write(message)) break;
    }
    writer->WritesDone();
    grpc::Status st = writer->Finish();
    if (!st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    PrintSummary(g, summary);
    *exit_code = 0;
  });

  struct MonthFlags {
    std::string customer, month, object;
    int limit = 0;
  };
  auto tf = std::make_shared<MonthFlags>();
  CLI::App* totals = usage->add_subcommand(
      "totals", "Rated totals of a month by object, kind and zone");
  totals->add_option("--customer", tf->customer, "Customer")->required();
  totals->add_option("--month", tf->month, "YYYY-MM")->required();
  totals->add_option("--object", tf->object, "One object (default: all)");
  totals->callback([&g, exit_code, tf, stub] {
    v1::GetUsageTotalsRequest req;
    req.set_customer_id(tf->customer);
    req.set_month(tf->month);
    req.set_object_id(tf->object);
    v1::GetUsageTotalsResponse resp;
    grpc::Status st = stub()->GetUsageTotals(g.Context().get(), req, &resp);
    if (!st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    if (g.json) {
      std::cout << ToJson(resp) << std::endl;
    } else {
      std::cout << Pad("OBJECT", 20) << " " << Pad("ENTITY", 10) << " "
                << Pad("DISCOUNT", 9) << " " << Pad("KIND", 18) << " "
                << Pad("ZONE", 20) << " " << Pad("RECORDS", 8) << " "
                << Pad("QUANTITY", 12) << " " << Pad("BILLED", 12)
                << " AMOUNT\n";
      for (const auto& t : resp.totals()) {
        const int d = t.assignment().discount_hundredths();
        std::cout << Pad(t.object_id(), 20) << " "
                  << Pad(t.assignment().entity_id(), 10) << " "
                  << Pad(FormatFixedPoint(d, 2) + " %", 9) << " "
                  << Pad(v1::UsageKind_Name(t.kind()), 18) << " "
                  << Pad(t.zone(), 20) << " "
                  << Pad(absl::StrCat(t.records()), 8) << " "
                  << Pad(absl::StrCat(t.quantity()), 12) << " "
                  << Pad(absl::StrCat(t.billed_quantity()), 12) << " "
                  << Micros(t.amount_micros()) << "\n";
      }
    }
    *exit_code = 0;
  });

  auto rf = std::make_shared<MonthFlags>();
  CLI::App* rated =
      usage->add_subcommand("rated", "The rated records behind the totals");
  rated->add_option("--customer", rf->customer, "Customer")->required();
  rated->add_option("--month", rf->month, "YYYY-MM")->required();
  rated->add_option("--object", rf->object, "One object (default: all)");
  rated->add_option("--limit", rf->limit, "At most (default 1000)");
  rated->callback([&g, exit_code, rf, stub] {
    v1::ListRatedUsageRequest req;
    req.set_customer_id(rf->customer);
    req.set_month(rf->month);
    req.set_object_id(rf->object);
    req.set_limit(rf->limit);
    v1::ListRatedUsageResponse resp;
    grpc::Status st = stub()->ListRatedUsage(g.Context().get(), req, &resp);
    if (!st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    if (g.json) {
      std::cout << ToJson(resp) << std::endl;
    } else {
      for (const auto& r : resp.records()) {
        std::cout << absl::StrFormat(
            "%s/%s  %s  %s  %s  %d -> %d billed  %s  %s\n",
            r.record().platform_id(), r.record().record_id(), r.object_id(),
            r.record().start_time(), r.record().destination(),
            r.record().quantity(), r.rated().billed_quantity(),
            r.rated().zone_label(), Micros(r.rated().amount_micros()));
      }
    }
    *exit_code = 0;
  });

  CLI::App* quarantine =
      usage->add_subcommand("quarantine", "What could not be billed, and why");
  quarantine->require_subcommand(1);
  auto qc = std::make_shared<std::string>();
  CLI::App* qlist = quarantine->add_subcommand("list", "List it");
  qlist->add_option("--customer", *qc,
                    "A customer's unrated records (default: inputs no "
                    "customer took)");
  qlist->callback([&g, exit_code, qc, stub] {
    v1::ListQuarantineRequest req;
    req.set_customer_id(*qc);
    v1::ListQuarantineResponse resp;
    grpc::Status st = stub()->ListQuarantine(g.Context().get(), req, &resp);
    if (!st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    if (g.json) {
      std::cout << ToJson(resp) << std::endl;
    } else {
      for (const auto& i : resp.inputs()) {
        std::cout << absl::StrFormat("#%d  %s  %s\n", i.offset(),
                                     i.input().source(), i.input().reason());
      }
      for (const auto& r : resp.records()) {
        std::cout << absl::StrFormat(
            "%s/%s  %s  %s\n", r.record().platform_id(), r.record().record_id(),
            r.object_id(), r.reason());
      }
    }
    *exit_code = 0;
  });
  auto rc = std::make_shared<std::string>();
  CLI::App* replay = quarantine->add_subcommand(
      "replay", "Send it through again (once the object or plan exists)");
  replay->add_option("--customer", *rc,
                     "A customer's unrated records (default: inputs no "
                     "customer took)");
  replay->callback([&g, exit_code, rc, stub] {
    v1::ReplayQuarantineRequest req;
    req.set_customer_id(*rc);
    v1::IngestSummary resp;
    grpc::Status st = stub()->ReplayQuarantine(g.Context().get(), req, &resp);
    if (!st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    PrintSummary(g, resp);
    *exit_code = 0;
  });

  CLI::App* plan = app.add_subcommand("plan", "Rate plans");
  plan->require_subcommand(1);
  struct PlanFlags {
    std::string customer, file, object, plan, key, business_date;
  };
  auto pf = std::make_shared<PlanFlags>();
  CLI::App* define = plan->add_subcommand(
      "define", "Define a plan version from a JSON file (RatePlanVersion)");
  define->add_option("--customer", pf->customer, "Customer")->required();
  define->add_option("--file", pf->file, "RatePlanVersion as JSON")->required();
  define->add_option("--key", pf->key, "Idempotency key (default: random)");
  define->callback([&g, exit_code, pf, stub] {
    std::ifstream in(pf->file);
    std::string json((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    v1::DefineRatePlanVersionRequest req;
    if (!in.good() && json.empty()) {
      std::cerr << "error: cannot read " << pf->file << std::endl;
      *exit_code = 2;
      return;
    }
    auto parsed = google::protobuf::util::JsonStringToMessage(
        json, req.mutable_version());
    if (!parsed.ok()) {
      std::cerr << "error: " << pf->file << ": " << parsed.message()
                << std::endl;
      *exit_code = 2;
      return;
    }
    req.set_idempotency_key(pf->key.empty() ? NewIdempotencyKey() : pf->key);
    req.set_customer_id(pf->customer);
    v1::RatePlanVersion out;
    grpc::Status st =
        stub()->DefineRatePlanVersion(g.Context().get(), req, &out);
    if (!st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    std::cout << (g.json ? ToJson(out)
                         : absl::StrFormat("plan %s version from %s: %d "
                                           "entries",
                                           out.plan_id(), out.effective_from(),
                                           out.entries_size()))
              << std::endl;
    *exit_code = 0;
  });
  auto af = std::make_shared<PlanFlags>();
  CLI::App* assign = plan->add_subcommand(
      "assign", "Price an object (or an account and its objects) with a plan");
  assign->add_option("--customer", af->customer, "Customer")->required();
  assign->add_option("--object", af->object, "Object id")->required();
  assign->add_option("--plan", af->plan, "Plan id")->required();
  assign->add_option("--key", af->key, "Idempotency key (default: random)");
  assign->callback([&g, exit_code, af, stub] {
    v1::AssignRatePlanRequest req;
    req.set_idempotency_key(af->key.empty() ? NewIdempotencyKey() : af->key);
    req.set_customer_id(af->customer);
    req.set_object_id(af->object);
    req.set_plan_id(af->plan);
    v1::AssignRatePlanResponse out;
    grpc::Status st = stub()->AssignRatePlan(g.Context().get(), req, &out);
    if (!st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    std::cout << "plan " << af->plan << " prices " << af->object << std::endl;
    *exit_code = 0;
  });
}  // namespace billing::ctl

}  // namespace billing::ctl
