// reassign_bench: the billing structure's largest command, measured on real
// RocksDB and the embedded journal. A customer with N objects; "reassign all
// objects" is decided, appended (one record) and projected (one WriteBatch).
// Baseline in the same run: one raw RocksDB WriteBatch with the same number
// of puts and the same bytes as the projection writes, so the ratio shows
// what the engine adds over storage itself.
//
//   reassign_bench --objects=10000 --runs=5
//   --out=bench/results/reassign_all.txt

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/engine.h"
#include "storage/embedded_journal.h"
#include "storage/projection.h"

ABSL_FLAG(int, objects, 10000, "Objects of the customer.");
ABSL_FLAG(int, runs, 5, "Reassignments measured (each to the other entity).");
ABSL_FLAG(std::string, dir, "", "Scratch directory (default: a new temp dir).");
ABSL_FLAG(std::string, out, "", "Results file (default: print only).");

namespace billing {
namespace {

v1::Command Structure() {
  v1::Command c;
  c.mutable_structure()->set_customer_id("C1");
  return c;
}

struct Rig {
  std::unique_ptr<EmbeddedJournal> journal;
  std::unique_ptr<RocksState> state;
  int keys = 0;

  absl::Status Run(const std::vector<v1::Command>& commands,
                   BusinessDate date) {
    std::vector<JournalEntry> entries;
    for (const auto& command : commands) {
      auto events = Decide(*state, command, date);
      if (!events.ok()) return events.status();
      v1::LogRecord record = MakeCommandRecord(
          *CommandCustomerId(command), absl::StrFormat("k%d", ++keys),
          RequestFingerprint(command, ""), Epoch(0), date, std::move(*events));
      entries.push_back({record.customer_id(), SerializeDeterministic(record)});
    }
    if (auto s = journal->Append(PartitionId(0), std::move(entries)); !s.ok()) {
      return s.status();
    }
    return ProjectToEnd(*journal, *state, {PartitionId(0)});
  }
};

int Main() {
  const int objects = absl::GetFlag(FLAGS_objects);
  const int runs = absl::GetFlag(FLAGS_runs);
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    dir = (std::filesystem::temp_directory_path() /
           absl::StrFormat("reassign_bench_%d", getpid()))
              .string();
  }
  std::filesystem::remove_all(dir);
  Rig rig;
  rig.journal =
      *EmbeddedJournal::Open({.dir = dir + "/journal", .partition_count = 1});
  rig.state = *RocksState::Open({.path = dir + "/state"});
  const BusinessDate jan(2026, 1, 5);
  v1::Command customer;
  customer.mutable_create_customer()->mutable_customer()->set_customer_id("C1");
  customer.mutable_create_customer()->mutable_customer()->set_name("Bench");
  std::vector<v1::Command> setup = {customer};
  for (const char* id : {"A", "B"}) {
    v1::Command e = Structure();
    e.mutable_structure()
        ->mutable_create_entity()
        ->mutable_entity()
        ->set_entity_id(id);
    e.mutable_structure()->mutable_create_entity()->mutable_entity()->set_name(
        id);
    setup.push_back(e);
  }
  for (const auto& c : setup) {
    if (auto s = rig.Run({c}, jan); !s.ok()) {
      std::cerr << s << std::endl;
      return 1;
    }
  }
  std::vector<v1::Command> batch;
  for (int i = 0; i < objects; ++i) {
    v1::Command o = Structure();
    auto* obj =
        o.mutable_structure()->mutable_create_object()->mutable_object();
    obj->set_object_id(absl::StrFormat("OBJ%06d", i));
    obj->set_kind(v1::OBJECT_KIND_CALL_QUEUE);
    batch.push_back(o);
    if (batch.size() == 1000 || i == objects - 1) {
      if (auto s = rig.Run(batch, jan); !s.ok()) {
        std::cerr << s << std::endl;
        return 1;
      }
      batch.clear();
    }
  }

  std::vector<double> engine_ms, raw_ms;
  int64_t puts = 0, bytes = 0;
  for (int run = 0; run < runs; ++run) {
    v1::Command all = Structure();
    auto* r = all.mutable_structure()->mutable_reassign_objects();
    r->mutable_selection()->set_all(true);
    r->set_entity_id(run % 2 == 0 ? "B" : "A");
    r->set_discount_percent(absl::StrFormat("%d", run + 1));
    const int64_t commits = rig.state->commit_count();
    const absl::Time start = absl::Now();
    if (auto s = rig.Run({all}, BusinessDate(2026, 2 + run, 1)); !s.ok()) {
      std::cerr << s << std::endl;
      return 1;
    }
    engine_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    if (rig.state->commit_count() - commits != 1) {
      std::cerr << "expected one WriteBatch" << std::endl;
      return 1;
    }
    // Baseline: what the projection wrote (one object record and one
    // history record per object), as one raw WriteBatch of fresh keys.
    puts = bytes = 0;
    const std::string object_value(120, 'o'), history_value(60, 'h');
    for (int i = 0; i < objects; ++i) {
      const std::string k1 = absl::StrFormat("raw/%d/obj/OBJ%06d", run, i);
      const std::string k2 = absl::StrFormat("raw/%d/objh/OBJ%06d", run, i);
      puts += 2;
      bytes +=
          k1.size() + k2.size() + object_value.size() + history_value.size();
    }
    const absl::Time raw_start = absl::Now();
    // Through the same store, so the baseline pays the same RocksDB options.
    OverlayState overlay(rig.state.get());
    for (int i = 0; i < objects; ++i) {
      overlay.Put(absl::StrFormat("raw/%d/obj/OBJ%06d", run, i), object_value);
      overlay.Put(absl::StrFormat("raw/%d/objh/OBJ%06d", run, i),
                  history_value);
    }
    if (auto s = rig.state->Commit(overlay, false); !s.ok()) {
      std::cerr << s << std::endl;
      return 1;
    }
    raw_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - raw_start));
  }
  std::sort(engine_ms.begin(), engine_ms.end());
  std::sort(raw_ms.begin(), raw_ms.end());
  const double engine_median = engine_ms[engine_ms.size() / 2];
  const double raw_median = raw_ms[raw_ms.size() / 2];
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  const std::string report = absl::StrFormat(
      "# reassign_bench: \"reassign all objects\" of one customer, embedded "
      "journal + RocksDB\n"
      "# produced by: build/bench/reassign_bench --objects=%d --runs=%d%s\n"
      "# date: %s, nproc %d\n"
      "# engine = decide (scan %d objects) + one journal record (fdatasync) + "
      "projection in one WriteBatch\n"
      "# baseline = one WriteBatch of %d puts (%d bytes) through the same "
      "RocksState, same run\n"
      "objects %d\nengine_ms_median %.1f\nengine_ms_all %s\n"
      "baseline_ms_median %.1f\nbaseline_ms_all %s\nratio_engine_over_baseline "
      "%.2f\nwritebatches_per_reassignment 1\n",
      objects, runs,
      absl::GetFlag(FLAGS_out).empty() ? ""
                                       : " --out=" + absl::GetFlag(FLAGS_out),
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
      static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), objects, puts, bytes,
      objects, engine_median,
      absl::StrJoin(engine_ms, " ",
                    [](std::string* out, double v) {
                      absl::StrAppend(out, absl::StrFormat("%.1f", v));
                    }),
      raw_median,
      absl::StrJoin(raw_ms, " ",
                    [](std::string* out, double v) {
                      absl::StrAppend(out, absl::StrFormat("%.1f", v));
                    }),
      engine_median / raw_median);
  std::cout << report;
  if (!absl::GetFlag(FLAGS_out).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_out)) << report;
  }
  rig.state.reset();
  rig.journal.reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace billing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return billing::Main();
}
