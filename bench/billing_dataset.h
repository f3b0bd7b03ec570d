#pragma once

// The data set of the billing benchmarks (billing_run_bench, invoice_bench),
// built through the engine's commands (Decide, ApplyRecord into an overlay,
// one WriteBatch per `batch` commands): the reference article MAINT (20 %
// VAT), then per customer C000000, C000001, ...: one entity HQ, 10 phone
// numbers on plan PRO, a contract K1 (billing family SERV) with 3 flat
// monthly rules of 100.00 in advance from March 1 (one per number on 3 of
// them) and a usage rule, and `usage` rated calls in March 2026, recorded
// as ingest records them: one usage batch (at most 1,000) per customer.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"
#include "storage/rocks_state.h"

namespace billing::bench {

inline constexpr int kObjects = 10;

// Peak resident size of this process, KiB (a peak: it never falls).
int64_t PeakRssKib();
// CPU time of this process so far (every thread: RocksDB's flushes and
// compactions included), seconds.
double CpuS();
// Resident now (not the peak), from /proc/self/statm, KiB.
int64_t RssNowKib();

// `dir`, or a new "<tmp>/<name>_<pid>" when empty: removed, then created
// empty.
std::string ScratchDir(const std::string& dir, absl::string_view name);

// `report` printed, and written to `out` (appended under `append`) unless
// `out` is empty.
void PrintReport(const std::string& report, const std::string& out,
                 bool append);

// "C000042".
std::string CustomerId(int c);

// Decides and applies commands into an overlay over the store, committed
// as one WriteBatch every `batch` commands (and on Flush).
struct Writer {
  RocksState* state;
  int batch;
  OverlayState overlay{state};
  int64_t offset = 0;
  int pending = 0;

  absl::Status Run(const v1::Command& command, BusinessDate date);
  // Run, answering the command's events.
  absl::StatusOr<std::vector<v1::EventEnvelope>> Do(const v1::Command& command,
                                                    BusinessDate date);
  // `text`: a billing.v1.Command in text format.
  absl::Status Text(const std::string& text, BusinessDate date);
  absl::Status Flush();
};

struct BuiltDataSet {
  double build_s = 0;
  // The building child's peak.
  int64_t peak_rss_kib = 0;
};

// Builds the data set in <dir>/state, in a child process so that the
// caller's peak RSS is its own measure's alone.
absl::StatusOr<BuiltDataSet> BuildInChild(const std::string& dir,
                                          int customers, int usage, int batch);

// GatherPreparations of the customer `id` (all customers: ""), March 2026,
// ordinary accounts, run RUN-2026-03, business date March 31.
v1::Command GatherCommand(const std::string& id);

}  // namespace billing::bench
