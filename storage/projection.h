#pragma once

// One projection step: decode a batch of journal records, apply them through
// the engine, and commit the resulting state together with every touched
// partition's progress in one WriteBatch. A crash before the commit loses the
// whole step, and the next run resumes from the stored progress: nothing is
// applied twice, nothing is skipped.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/core/state.h"
#include "engine/core/types.h"
#include "engine/engine.h"
#include "storage/journal.h"
#include "storage/rocks_state.h"

namespace billing {

struct ProjectionStats {
  int64_t applied = 0;
  int64_t already_applied = 0;
  int64_t fenced = 0;
  int64_t duplicates = 0;
  // Of the records above, those whose effects were handed over
  // (PrecomputedEffects) rather than applied again.
  int64_t precomputed = 0;
  // Next offset to read per partition touched by the batch.
  absl::flat_hash_map<int32_t, int64_t> next_offsets;
};

// A partition the projection no longer applies: the first record it could
// not apply (or, for a state ahead of its journal, the journal's end), and
// why (DataLoss naming the position).
struct StoppedPartition {
  PartitionId partition;
  Offset offset;
  absl::Status reason;
};
// Stopped partitions by partition number.
using StoppedPartitions = absl::flat_hash_map<int32_t, StoppedPartition>;

// What a command lane found a run of its records does to the state: the
// effects it applied to decide what came after them, handed over so that the
// projection need not apply the same records again (docs/architecture.md,
// "Effects handed to the projection"). The projection uses them only where
// it finds, at `first` of `partition` and on, exactly `entries` (keys and
// bytes) and the partition's progress exactly as `progress_before`: the same
// records over the same state, so the same effects as applying them again.
// Anything else (an append that failed or landed elsewhere, a record of
// another writer in between, a run cut by the end of a poll) is applied
// again, as without an offer. Only runs whose apply reads and writes nothing
// but their own customers' keys and their partition's progress are offered
// (engine/engine.h, AppliesWithinItsCustomer): records of other partitions
// in between cannot change what they do.
struct PrecomputedEffects {
  PartitionId partition;
  Offset first;
  // The raw bytes of the partition's progress key before the run.
  std::optional<std::string> progress_before;
  std::vector<JournalEntry> entries;
  std::vector<ApplyOutcome> outcomes;  // one per entry
  // Read through writes() only; never changed once offered.
  std::shared_ptr<const OverlayState> effects;
};
// The offer whose run starts at (partition, offset), or null.
using PrecomputedLookup = std::function<std::shared_ptr<const PrecomputedEffects>(
    PartitionId, Offset)>;

// Without `stopped`: errors are DataLoss naming the partition and offset of
// a corrupt record (the caller stops; nothing of the batch is committed), and
// storage errors.
//
// With `stopped` (the projector's mode): records of a partition at or past
// its entry are skipped; a corrupt record stops only its partition (added to
// `*stopped`, with the reason), and everything else of the batch, including
// that partition's records before it, is applied and committed. The batch is
// re-applied from scratch after each stop, so nothing of the corrupt record
// reaches the state. Errors: storage errors only.
//
// With `precomputed`: runs offered there are taken as handed over where they
// match (PrecomputedEffects); never for a partition in `*stopped`.
absl::StatusOr<ProjectionStats> ProjectBatch(
    RocksState& state, absl::Span<const JournalRecord> records,
    StoppedPartitions* stopped = nullptr,
    const PrecomputedLookup* precomputed = nullptr);

// Where a reader of `partitions` starts: each partition's stored progress.
absl::StatusOr<std::vector<std::pair<PartitionId, Offset>>> StoredStartOffsets(
    const StateReader& state, const std::vector<PartitionId>& partitions);

// Reads `partitions` from their stored progress until each reaches the
// journal's end offset as of the call, projecting in batches of at most
// `batch_records_max` records. Groups of partitions project at once, one
// thread and one reader each (as many as the cores the process may run on,
// joined before it returns): each partition's records in their order, so
// the state is the one a single reader gives. The first error of a group is
// returned once every group has stopped. Used for rebuilds and replays.
absl::Status ProjectToEnd(Journal& journal, RocksState& state,
                          const std::vector<PartitionId>& partitions,
                          size_t batch_records_max = 4096);

// Deletes every state key written by the records of `partitions` (each
// key's owner per engine/core/keys.h OwnerOfStateKey, hashed with PartitionOf over
// `partition_count`) and their progress, in one synced WriteBatch: the next
// projection of those partitions starts at offset 0 and rebuilds their state
// from the journal. The other partitions' keys are untouched. Errors:
// DataLoss for a key of no known family (nothing is deleted); storage
// errors. Memory: the deleted keys are held until the commit.
absl::Status ResetPartitions(RocksState& state,
                             const std::vector<PartitionId>& partitions,
                             int32_t partition_count);

}  // namespace billing
