// billing_run_bench: a billing run (issue 11) in-process on real RocksDB.
// The data set is built through the engine's commands (Decide, ApplyRecord
// into an overlay, one WriteBatch per --batch commands): per customer one
// entity, 10 phone numbers on a plan, a contract with 3 flat monthly rules
// (one per number on 3 of them) and one usage rule, and
// --usage_per_customer rated calls in March. Then, for March 2026:
//   simulate: GatherCustomer for every customer over one state snapshot;
//   run: Decide a GatherPreparations per customer, apply it, commit the
//        records in WriteBatches of 64 customers (the runner's group size).
// Baseline in the same run: one scan of the whole snapshot after the run
// (every key and value of the data set), so simulate's ratio shows what
// gathering adds over reading. The data set is built in a child process (its
// peak RSS is "after build"); the parent then opens the store and measures, so
// its peaks after simulate and after run are the run's own, not the build's.
// ru_maxrss is a peak and never falls: the resident size at each point
// (/proc/self/statm) is printed too. Times extrapolated linearly to
// 100,000 customers.
//
//   billing_run_bench --customers=1000 --usage_per_customer=10
//   --out=bench/results/billing_run.txt [--append]

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "bench/billing_dataset.h"
#include "engine/engine.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/gather.h"
#include "google/protobuf/text_format.h"
#include "storage/rocks_state.h"

ABSL_FLAG(int, customers, 2000, "Customers of the data set.");
ABSL_FLAG(int, usage_per_customer, 10,
          "Rated usage records per customer (the issue's figure is 100).");
ABSL_FLAG(int, batch, 2000, "Commands per WriteBatch while building.");
ABSL_FLAG(int, state_memory_mib,
          billing::RocksStateOptions().memory_budget_bytes >> 20,
          "RocksDB memory budget of the measured store, MiB (billingd's "
          "--state_memory_mib).");
ABSL_FLAG(std::string, dir, "", "Scratch directory (default: a new temp dir).");
ABSL_FLAG(std::string, out, "", "Results file (default: print only).");
ABSL_FLAG(bool, append, false, "Append to --out instead of replacing it.");

namespace billing {
namespace {

using bench::BuildInChild;
using bench::CpuS;
using bench::CustomerId;
using bench::GatherCommand;
using bench::kObjects;
using bench::PeakRssKib;
using bench::RssNowKib;
using bench::Writer;
constexpr int kRunGroup = 64;
constexpr double kTarget = 100000;

struct Figures {
  double build_s = 0, scan_s = 0, simulate_s = 0, run_s = 0;
  double simulate_cpu_s = 0, run_cpu_s = 0;
  int64_t scan_keys = 0, scan_bytes = 0, sim_preps = 0, sim_lines = 0,
          run_preps = 0, sim_net = 0;
  int64_t rss_build = 0, rss_simulate = 0, rss_run = 0;
  int64_t rss_open = 0, rss_opened = 0, now_open = 0, now_scan = 0,
          now_simulate = 0, now_run = 0, now_trimmed = 0;
  // RocksDB's own accounting after simulate and after run.
  RocksMemory mem_simulate, mem_run;
};

std::string MemoryLines(absl::string_view phase, const RocksMemory& m) {
  return absl::StrFormat(
      "rocks_cache_kib_after_%s %d\nrocks_cache_pinned_kib_after_%s %d\n"
      "rocks_memtables_kib_after_%s %d\n"
      "rocks_table_readers_kib_after_%s %d\n",
      phase, m.cache_bytes >> 10, phase, m.cache_pinned_bytes >> 10, phase,
      m.memtable_bytes >> 10, phase, m.table_readers_bytes >> 10);
}

// Baseline: every key and value of the state read once, after the run (so
// that the block cache it fills is not in the run's peak RSS). The run's
// preparations are skipped: the figure is the data set's read cost.
absl::Status ScanAll(const RocksState& state, Figures& f) {
  const absl::Time start = absl::Now();
  auto snapshot = state.Snapshot();
  absl::Status s =
      snapshot->Scan("", "", [&](absl::string_view k, absl::string_view v) {
        if (absl::StartsWith(k, kPreparationPrefix)) return true;
        ++f.scan_keys;
        f.scan_bytes += k.size() + v.size();
        return true;
      });
  f.scan_s = absl::ToDoubleSeconds(absl::Now() - start);
  f.now_scan = RssNowKib();
  return s;
}

absl::Status Measure(RocksState& state, int customers, Figures& f) {
  const BusinessDate mar31(2026, 3, 31);
  f.now_open = RssNowKib();
  f.rss_opened = PeakRssKib();
  {  // Simulate.
    auto params = RunParamsFromProto(
        GatherCommand("").invoicing().gather_preparations().params(), mar31);
    if (!params.ok()) return params.status();
    const absl::Time start = absl::Now();
    const double cpu = CpuS();
    auto snapshot = state.Snapshot();
    for (int c = 0; c < customers; ++c) {
      auto preps = GatherCustomer(*snapshot, CustomerId(c), *params);
      if (!preps.ok()) return preps.status();
      for (const auto& p : *preps) {
        ++f.sim_preps;
        f.sim_lines += p.lines_size();
        f.sim_net += p.totals().net_amount_minor();
        if (p.status() != v1::PREPARATION_STATUS_GENERATED) {
          return absl::InternalError("anomaly: " + p.DebugString());
        }
      }
    }
    f.simulate_s = absl::ToDoubleSeconds(absl::Now() - start);
    f.simulate_cpu_s = CpuS() - cpu;
    f.rss_simulate = PeakRssKib();
    f.now_simulate = RssNowKib();
    f.mem_simulate = state.Memory();
  }
  {  // Run.
    Writer w{&state, kRunGroup};
    w.offset = 1'000'000'000;
    const absl::Time start = absl::Now();
    const double cpu = CpuS();
    for (int c = 0; c < customers; ++c) {
      if (auto s = w.Run(GatherCommand(CustomerId(c)), mar31); !s.ok()) {
        return s;
      }
    }
    if (auto s = w.Flush(); !s.ok()) return s;
    f.run_s = absl::ToDoubleSeconds(absl::Now() - start);
    f.run_cpu_s = CpuS() - cpu;
    f.rss_run = PeakRssKib();
    f.now_run = RssNowKib();
    f.mem_run = state.Memory();
    // What of the resident size after the run is freed heap that glibc
    // keeps (flushed memtables, compaction buffers), not live memory.
    malloc_trim(0);
    f.now_trimmed = RssNowKib();
    for (int c = 0; c < customers; ++c) {
      auto preps = ListPreparations(state, CustomerId(c));
      if (!preps.ok()) return preps.status();
      f.run_preps += preps->size();
    }
  }
  return ScanAll(state, f);
}

std::string Report(const Figures& f, int customers, int usage) {
  const double n = customers;
  const auto us = [&](double s) { return s * 1e6 / n; };
  return absl::StrFormat(
      "# billing_run_bench: a billing run in-process on RocksDB (March 2026)\n"
      "# produced by: build/bench/billing_run_bench --customers=%d "
      "--usage_per_customer=%d --state_memory_mib=%d%s\n"
      "# date: %s, nproc %d\n"
      "# per customer: 1 entity, %d phone numbers on one plan, a contract "
      "with 3 flat monthly rules (one per number on 3 of them) and 1 usage "
      "rule, %d rated calls in March (the issue says 100: building costs ~100 "
      "us of CPU a record)\n"
      "# simulate = GatherCustomer per customer over one snapshot; run = "
      "Decide GatherPreparations + ApplyRecord, one WriteBatch per %d "
      "customers; baseline = one scan of the whole data set after the run, "
      "same process\n"
      "# x100k = per-customer time x 100,000 (linear extrapolation)\n"
      "# peak RSS after build: the child process that built the data set; "
      "after simulate / run: this process, which opened the built store\n"
      "customers %d\nusage_per_customer %d\nstate_memory_mib %d\n"
      "build_s %.2f\n"
      "baseline_scan_s %.3f (%d keys, %d bytes)\n"
      "simulate_s %.3f\nsimulate_us_per_customer %.1f\nsimulate_s_x100k %.1f\n"
      "simulate_over_scan %.2f\nsimulate_cpu_s %.3f\n"
      "run_s %.3f\nrun_us_per_customer %.1f\nrun_s_x100k %.1f\n"
      "run_over_simulate %.2f\nrun_cpu_s %.3f\n"
      "preparations_simulated %d\npreparations_recorded %d\nlines %d\n"
      "net_minor_total %d\n"
      "peak_rss_kib_after_build %d\npeak_rss_kib_after_simulate %d\n"
      "peak_rss_kib_after_run %d\n"
      "peak_rss_kib_before_open %d\npeak_rss_kib_after_open %d\n"
      "rss_now_kib_after_open %d\n"
      "rss_now_kib_after_simulate %d\n"
      "rss_now_kib_after_run %d\nrss_now_kib_after_run_malloc_trim %d\n"
      "rss_now_kib_after_baseline_scan %d\n"
      "%s%s\n",
      customers, usage, absl::GetFlag(FLAGS_state_memory_mib),
      absl::GetFlag(FLAGS_out).empty()
          ? ""
          : " --out=" + absl::GetFlag(FLAGS_out) +
                (absl::GetFlag(FLAGS_append) ? " --append" : ""),
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
      static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), kObjects, usage,
      kRunGroup, customers, usage, absl::GetFlag(FLAGS_state_memory_mib),
      f.build_s, f.scan_s, f.scan_keys,
      f.scan_bytes, f.simulate_s, us(f.simulate_s),
      us(f.simulate_s) * kTarget / 1e6, f.simulate_s / f.scan_s,
      f.simulate_cpu_s, f.run_s, us(f.run_s), us(f.run_s) * kTarget / 1e6,
      f.run_s / f.simulate_s, f.run_cpu_s,
      f.sim_preps, f.run_preps, f.sim_lines, f.sim_net, f.rss_build,
      f.rss_simulate, f.rss_run, f.rss_open, f.rss_opened, f.now_open,
      f.now_simulate, f.now_run, f.now_trimmed, f.now_scan,
      MemoryLines("simulate", f.mem_simulate), MemoryLines("run", f.mem_run));
}

int Main() {
  const int customers = absl::GetFlag(FLAGS_customers);
  const int usage = absl::GetFlag(FLAGS_usage_per_customer);
  const std::string dir =
      bench::ScratchDir(absl::GetFlag(FLAGS_dir), "billing_run_bench");
  Figures f;
  auto built = BuildInChild(dir, customers, usage, absl::GetFlag(FLAGS_batch));
  absl::Status s = built.status();
  if (s.ok()) {
    f.build_s = built->build_s;
    f.rss_build = built->peak_rss_kib;
    f.rss_open = PeakRssKib();
    auto state = RocksState::Open(
        {.path = dir + "/state",
         .memory_budget_bytes =
             static_cast<size_t>(absl::GetFlag(FLAGS_state_memory_mib)) << 20});
    s = state.ok() ? Measure(**state, customers, f) : state.status();
  }
  std::filesystem::remove_all(dir);
  if (!s.ok()) {
    std::cerr << s << std::endl;
    return 1;
  }
  bench::PrintReport(Report(f, customers, usage), absl::GetFlag(FLAGS_out),
                     absl::GetFlag(FLAGS_append));
  return 0;
}

}  // namespace
}  // namespace billing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return billing::Main();
}
