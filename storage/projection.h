#pragma once

// One projection step: decode a batch of journal records, apply them through
// the engine, and commit the resulting state together with every touched
// partition's progress in one WriteBatch. A crash before the commit loses the
// whole step, and the next run resumes from the stored progress: nothing is
// applied twice, nothing is skipped.

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/types.h"
#include "storage/journal.h"
#include "storage/rocks_state.h"

namespace billing {

struct ProjectionStats {
  int64_t applied = 0;
  int64_t already_applied = 0;
  int64_t fenced = 0;
  int64_t duplicates = 0;
  // Next offset to read per partition touched by the batch.
  absl::flat_hash_map<int32_t, int64_t> next_offsets;
};

// Errors: DataLoss naming the partition and offset of a corrupt record (the
// caller stops; nothing of the batch is committed); storage errors.
absl::StatusOr<ProjectionStats> ProjectBatch(
    RocksState& state, absl::Span<const JournalRecord> records);

// Where a reader of `partitions` starts: each partition's stored progress.
absl::StatusOr<std::vector<std::pair<PartitionId, Offset>>> StoredStartOffsets(
    const StateReader& state, const std::vector<PartitionId>& partitions);

// Reads `partitions` from their stored progress until each reaches the
// journal's end offset as of the call, projecting in batches of at most
// `batch_records_max` records. Used for catch-up at start and rebuilds.
absl::Status ProjectToEnd(Journal& journal, RocksState& state,
                          const std::vector<PartitionId>& partitions,
                          size_t batch_records_max = 4096);

}  // namespace billing
