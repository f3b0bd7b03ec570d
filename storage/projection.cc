#include "storage/projection.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "billing/v1/events.pb.h"
#include "engine/engine.h"

namespace billing {

absl::StatusOr<ProjectionStats> ProjectBatch(
    RocksState& state, absl::Span<const JournalRecord> records) {
  ProjectionStats stats;
  OverlayState overlay(&state);
  for (const JournalRecord& r : records) {
    v1::LogRecord record;
    if (!record.ParseFromString(r.value)) {
      return absl::DataLossError(absl::StrFormat(
          "corrupt record at partition %d offset %d: not a billing.v1."
          "LogRecord (%d bytes)",
          r.partition.value(), r.offset.value(), r.value.size()));
    }
    if (r.key != record.customer_id()) {
      return absl::DataLossError(absl::StrFormat(
          "corrupt record at partition %d offset %d: message key \"%s\" but "
          "customer \"%s\"",
          r.partition.value(), r.offset.value(), absl::CHexEscape(r.key),
          record.customer_id()));
    }
    auto outcome = ApplyRecord(overlay, r.partition, r.offset, record);
    if (!outcome.ok()) return outcome.status();
    switch (*outcome) {
      case ApplyOutcome::kApplied:
        ++stats.applied;
        break;
      case ApplyOutcome::kAlreadyApplied:
        ++stats.already_applied;
        break;
      case ApplyOutcome::kFenced:
        ++stats.fenced;
        break;
      case ApplyOutcome::kDuplicate:
        ++stats.duplicates;
        break;
    }
    int64_t& next = stats.next_offsets[r.partition.value()];
    next = std::max(next, r.offset.value() + 1);
  }
  if (auto s = state.Commit(overlay, /*sync=*/false); !s.ok()) return s;
  return stats;
}

absl::StatusOr<std::vector<std::pair<PartitionId, Offset>>> StoredStartOffsets(
    const StateReader& state, const std::vector<PartitionId>& partitions) {
  std::vector<std::pair<PartitionId, Offset>> out;
  for (PartitionId p : partitions) {
    auto progress = LoadPartitionProgress(state, p);
    if (!progress.ok()) return progress.status();
    out.emplace_back(p, Offset(progress->next_offset()));
  }
  return out;
}

absl::Status ProjectToEnd(Journal& journal, RocksState& state,
                          const std::vector<PartitionId>& partitions,
                          size_t batch_records_max) {
  absl::flat_hash_map<int32_t, int64_t> end;
  for (PartitionId p : partitions) {
    auto e = journal.EndOffset(p);
    if (!e.ok()) return e.status();
    end[p.value()] = e->value();
  }
  auto start = StoredStartOffsets(state, partitions);
  if (!start.ok()) return start.status();
  size_t remaining = 0;
  absl::flat_hash_map<int32_t, int64_t> next;
  for (const auto& [p, o] : *start) {
    next[p.value()] = o.value();
    if (o.value() < end[p.value()]) ++remaining;
  }
  if (remaining == 0) return absl::OkStatus();
  auto reader = journal.OpenReader(*start);
  if (!reader.ok()) return reader.status();
  while (remaining > 0) {
    auto batch = (*reader)->Poll(batch_records_max, absl::Seconds(30));
    if (!batch.ok()) return batch.status();
    if (batch->empty()) {
      return absl::UnavailableError(
          "projection catch-up: no record within 30 s below the end offset");
    }
    auto stats = ProjectBatch(state, *batch);
    if (!stats.ok()) return stats.status();
    for (const auto& [p, o] : stats->next_offsets) {
      const bool was_behind = next[p] < end[p];
      next[p] = o;
      if (was_behind && next[p] >= end[p]) --remaining;
    }
  }
  return absl::OkStatus();
}

}  // namespace billing
