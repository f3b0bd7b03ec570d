// The projection of arbitrary journal records: bytes -> billing.v1.LogRecord
// -> ApplyRecord (engine/engine.h) on a small valid state (fuzz_support.h:
// a customer, its objects, a plan), at the partition's next offset, through
// an OverlayState as the projector does (storage/projection.cc), merged only
// on success.
//
// Contract:
// - bytes that are not a LogRecord stop the partition in ProjectBatch
//   (DataLoss) before the engine sees them: nothing to check here;
// - a record either applies, or ApplyRecord answers DataLoss with a bounded
//   UTF-8 message; never a crash, never another code (the state port of
//   memory cannot fail), and the state the caller would commit is unchanged;
// - after success every value written parses back as its key family's type,
//   the partition's progress is past the record, the same record at the
//   same offset is then a redelivery that writes nothing, and a reader's
//   queries on the new state answer (no DataLoss).
//
// Seeds: BILLING_FUZZ_WRITE_SEEDS=<dir> journal_apply_fuzz writes records
// decided on the seeded state (one per kind of event) into <dir> and exits.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "engine/customer/customer.h"
#include "engine/engine.h"
#include "engine/usage/usage.h"
#include "fuzz_support.h"
#include "journal_seeds.h"

namespace billing::fuzz {
namespace {

void CheckReaders(const MemoryState& state, const std::string& customer_id) {
  for (const std::string& c : {std::string("C1"), customer_id}) {
    auto customer = LoadCustomer(state, c);
    FUZZ_CHECK(customer.ok(), customer.status().ToString());
    auto totals = UsageTotalsFor(state, c, "2026-03", "");
    FUZZ_CHECK(totals.ok(), totals.status().ToString());
    auto rated = RatedRecordsFor(state, c, "2026-03", "", 1000);
    FUZZ_CHECK(rated.ok(), rated.status().ToString());
    auto quarantined = QuarantinedUsage(state, c, 1000);
    FUZZ_CHECK(quarantined.ok(), quarantined.status().ToString());
  }
  auto inputs = QuarantinedInputs(state, -1, 1000);
  FUZZ_CHECK(inputs.ok(), inputs.status().ToString());
  auto progress = LoadPartitionProgress(state, kPartition);
  FUZZ_CHECK(progress.ok(), progress.status().ToString());
  FUZZ_CHECK(progress->next_offset() == Seeded().next_offset + 1,
             absl::StrCat("progress at ", progress->next_offset()));
}

void Project(const v1::LogRecord& record) {
  const SeededState& seeded = Seeded();
  const size_t keys_before = seeded.state.data().size();
  OverlayState overlay(&seeded.state);
  const Offset offset(seeded.next_offset);
  auto outcome = ApplyRecord(overlay, kPartition, offset, record);
  FUZZ_CHECK(seeded.state.data().size() == keys_before,
             "ApplyRecord changed the state under its overlay");
  if (!outcome.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(outcome.status()),
               absl::StrCat("ApplyRecord: ", outcome.status().ToString()));
    CheckErrorMessage(outcome.status(), "ApplyRecord");
    return;  // the projector drops the overlay: nothing is committed
  }
  const MemoryState merged = Merged(seeded.state, overlay);
  CheckStateParses(merged);
  CheckReaders(merged, record.customer_id());
  OverlayState again(&merged);
  auto redelivered = ApplyRecord(again, kPartition, offset, record);
  FUZZ_CHECK(redelivered.ok() &&
                 *redelivered == ApplyOutcome::kAlreadyApplied &&
                 again.writes().empty(),
             "a redelivered record is applied again");
}

}  // namespace
}  // namespace billing::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (const char* dir = std::getenv("BILLING_FUZZ_WRITE_SEEDS")) {
    std::exit(billing::fuzz::WriteJournalSeeds(dir));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  billing::v1::LogRecord record;
  if (!record.ParseFromArray(data, static_cast<int>(size))) return 0;
  billing::fuzz::Project(record);
  return 0;
}
