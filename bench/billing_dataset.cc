// The data set of the billing benchmarks (bench/billing_dataset.h).

#include "bench/billing_dataset.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "engine/engine.h"
#include "google/protobuf/text_format.h"

namespace billing::bench {

// Peak resident size of this process, KiB.
int64_t PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// CPU time of this process so far (every thread: RocksDB's flushes and
// compactions included), seconds.
double CpuS() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Resident now (not the peak), from /proc/self/statm.
int64_t RssNowKib() {
  int64_t pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE) / 1024;
}

std::string ScratchDir(const std::string& dir, absl::string_view name) {
  const std::string path =
      !dir.empty() ? dir
                   : (std::filesystem::temp_directory_path() /
                      absl::StrFormat("%s_%d", name, getpid()))
                         .string();
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

void PrintReport(const std::string& report, const std::string& out,
                 bool append) {
  std::cout << report;
  if (out.empty()) return;
  std::ofstream(out, append ? std::ios::app : std::ios::trunc) << report;
}

std::string CustomerId(int c) { return absl::StrFormat("C%06d", c); }

absl::StatusOr<std::vector<v1::EventEnvelope>> Writer::Do(
    const v1::Command& command, BusinessDate date) {
  auto events = Decide(overlay, command, date);
  if (!events.ok()) return events.status();
  v1::LogRecord record = MakeCommandRecord(
      *CommandCustomerId(command), absl::StrFormat("k%d", offset),
      RequestFingerprint(command, ""), Epoch(0), date, *events);
  auto applied =
      ApplyRecord(overlay, PartitionId(0), Offset(offset++), record);
  if (!applied.ok()) return applied.status();
  if (++pending >= batch) {
    if (auto s = Flush(); !s.ok()) return s;
  }
  return events;
}

absl::Status Writer::Run(const v1::Command& command, BusinessDate date) {
  return Do(command, date).status();
}

absl::Status Writer::Text(const std::string& text, BusinessDate date) {
  v1::Command command;
  if (!google::protobuf::TextFormat::ParseFromString(text, &command)) {
    return absl::InternalError("bad command: " + text);
  }
  return Run(command, date);
}

absl::Status Writer::Flush() {
  pending = 0;
  absl::Status s = state->Commit(overlay, false);
  overlay.Clear();
  return s;
}

namespace {

// The text protos below read best as written, hence no clang-format.
// clang-format off
// A rule of contract K1 on article MAINT.
std::string RuleText(const std::string& id, const std::string& rule_id,
                     const std::string& fields) {
  return absl::Substitute(
      R"pb(contract { customer_id: "$0" create_rule { rule {
           contract_ref: "K1" rule_id: "$1" label: "Rule $1"
           article_code: "MAINT" $2 } } })pb", id, rule_id, fields);
}

// Entity HQ, numbers N0..N9 (+331<8 digits>, unique) on plan PRO, contract
// K1 with flat rules R0..R2 (100.00 a month each on N0..N2) and usage rule
// TEL, then `usage` calls spread over the numbers and March's days.
absl::Status BuildCustomer(Writer& w, int c, int usage) {
  const BusinessDate jan(2026, 1, 5), mar20(2026, 3, 20);
  const std::string id = CustomerId(c);
  const auto number = [&](int o) {
    return absl::StrFormat("+331%08d", c * kObjects + o % kObjects);
  };
  std::vector<std::string> texts = {
      absl::Substitute(
          R"pb(create_customer { customer { customer_id: "$0" name: "N $0"
               billing_address { lines: "1 rue" city: "Paris"
                                 country_code: "FR" }
               email: "b@example.com" } })pb", id),
      absl::Substitute(
          R"pb(structure { customer_id: "$0" create_entity { entity {
               entity_id: "HQ" name: "HQ" } } })pb", id),
      absl::Substitute(
          R"pb(usage { customer_id: "$0" define_plan_version { version {
               plan_id: "PRO" effective_from: "2026-01-01T00:00:00Z"
               currency: "EUR" entries { kind: USAGE_KIND_VOICE
               destination_prefix: "+33" price_micros: 20000 per_quantity: 60
               setup_fee_micros: 50000 first_increment: 60 increment: 1
               zone_label: "France" } } } })pb", id)};
  for (int o = 0; o < kObjects; ++o) {
    texts.push_back(absl::Substitute(
        R"pb(structure { customer_id: "$0" create_object { object {
             object_id: "N$1" kind: OBJECT_KIND_PHONE_NUMBER e164: "$2" }
             entity_id: "HQ" } })pb", id, o, number(o)));
    texts.push_back(absl::Substitute(
        R"pb(usage { customer_id: "$0" assign_plan {
             object_id: "N$1" plan_id: "PRO" } })pb", id, o));
  }
  texts.push_back(absl::Substitute(
      R"pb(contract { customer_id: "$0" create_contract { contract {
           contract_ref: "K1" contract_family: "MAINT" billing_family: "SERV"
           site_code: "S1" start_date: "2026-01-01" } } })pb", id));
  for (int r = 0; r < 3; ++r) {
    texts.push_back(RuleText(id, absl::StrCat("R", r), absl::Substitute(
        R"pb(rule_type: RULE_TYPE_FLAT object_ids: "N$0"
             unit_price_micros: 100000000 cost_price_micros: 60000000
             periodicity: PERIODICITY_MONTHLY timing: BILLING_TIMING_IN_ADVANCE
             start_date: "2026-03-01")pb", r)));
  }
  texts.push_back(RuleText(
      id, "TEL", R"pb(rule_type: RULE_TYPE_USAGE start_date: "2026-01-01")pb"));
  for (const std::string& t : texts) {
    if (auto s = w.Text(t, jan); !s.ok()) return s;
  }
  // The calls as ingest sends them: one batch of the customer's records
  // (usage.batch_recorded), at most 1,000 a batch.
  for (int first = 0; first < usage; first += 1000) {
    std::string records;
    for (int u = first; u < std::min(usage, first + 1000); ++u) {
      absl::StrAppend(&records, absl::Substitute(
          R"pb(records { platform_id: "PBX1" record_id: "$0-$1" object: "$2"
               start_time: "2026-03-$3T10:00:00+01:00" kind: USAGE_KIND_VOICE
               quantity: $4 destination: "+33612345678" })pb",
          id, u, number(u), absl::StrFormat("%02d", 1 + u % 28),
          30 + u % 300));
    }
    const std::string text = absl::Substitute(
        R"pb(usage { customer_id: "$0" record_usage_batch { $1 } })pb", id,
        records);
    if (auto s = w.Text(text, mar20); !s.ok()) return s;
  }
  return absl::OkStatus();
}
// clang-format on


absl::Status Build(const std::string& dir, int customers, int usage,
                   int batch) {
  auto state = RocksState::Open({.path = dir + "/state"});
  if (!state.ok()) return state.status();
  const absl::Time start = absl::Now();
  Writer w{state->get(), batch};
  // clang-format off
  absl::Status s = w.Text(
      R"pb(contract { customer_id: "@reference" define_article { article {
           article_code: "MAINT" label: "Maintenance" vat_rate_bp: 2000
           } } })pb",
      BusinessDate(2026, 1, 5));
  // clang-format on
  for (int c = 0; s.ok() && c < customers; ++c) {
    s = BuildCustomer(w, c, usage);
  }
  if (s.ok()) s = w.Flush();
  std::ofstream(dir + "/build_s") << absl::ToDoubleSeconds(absl::Now() - start);
  if (!s.ok()) return s;
  // Reopened once here: recovery replays the write-ahead log into memtables
  // and flushes them to table files, so that the parent's open (and peak
  // RSS) does not replay the whole data set.
  state->reset();
  state = RocksState::Open({.path = dir + "/state"});
  return state.status();
}

}  // namespace

absl::StatusOr<BuiltDataSet> BuildInChild(const std::string& dir,
                                          int customers, int usage,
                                          int batch) {
  const pid_t child = fork();
  if (child < 0) return absl::InternalError("fork failed");
  if (child == 0) {
    absl::Status s = Build(dir, customers, usage, batch);
    if (!s.ok()) std::cerr << s << std::endl;
    _exit(s.ok() ? 0 : 1);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return absl::InternalError("building the data set failed");
  }
  rusage children{};
  getrusage(RUSAGE_CHILDREN, &children);
  BuiltDataSet built;
  built.peak_rss_kib = children.ru_maxrss;
  std::ifstream(dir + "/build_s") >> built.build_s;
  return built;
}


v1::Command GatherCommand(const std::string& id) {
  v1::Command command;
  auto* inv = command.mutable_invoicing();
  inv->set_customer_id(id);
  auto* p = inv->mutable_gather_preparations()->mutable_params();
  p->set_run_id("RUN-2026-03");
  p->set_period_start("2026-03-01");
  p->set_period_end("2026-03-31");
  p->set_business_date("2026-03-31");
  p->set_scope(v1::ACCOUNT_SCOPE_ORDINARY);
  return command;
}

}  // namespace billing::bench
