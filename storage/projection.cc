#include "storage/projection.h"

#include <sched.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "billing/v1/events.pb.h"
#include "engine/engine.h"
#include "engine/core/keys.h"
#include "google/protobuf/arena.h"

namespace billing {

namespace {

// Decodes one journal record. DataLoss naming the position when the bytes are
// not a LogRecord or its key is not its customer.
// `record` is parsed on the caller's arena: a usage batch's thousands of
// strings cost a bump each, and nothing to free one by one.
absl::Status DecodeRecord(const JournalRecord& r, v1::LogRecord& record) {
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
        r.partition.value(), r.offset.value(),
        absl::CHexEscape(r.key.substr(0, 40)),
        absl::CHexEscape(record.customer_id().substr(0, 40))));
  }
  return absl::OkStatus();
}

void Count(ApplyOutcome outcome, ProjectionStats& stats) {
  switch (outcome) {
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
}

bool Skipped(const StoppedPartitions* stopped, const JournalRecord& r) {
  if (stopped == nullptr) return false;
  auto it = stopped->find(r.partition.value());
  return it != stopped->end() && r.offset.value() >= it->second.offset.value();
}

// The indexes in `records` of the run `offer` hands over, from `i` on (its
// partition's records only), when every one of its entries is there, in
// order, byte for byte; empty otherwise.
std::vector<size_t> OfferedRun(absl::Span<const JournalRecord> records,
                               size_t i, const PrecomputedEffects& offer) {
  std::vector<size_t> run;
  run.reserve(offer.entries.size());
  for (size_t j = i; j < records.size() && run.size() < offer.entries.size();
       ++j) {
    const JournalRecord& r = records[j];
    if (r.partition.value() != offer.partition.value()) continue;
    const JournalEntry& e = offer.entries[run.size()];
    if (r.offset.value() !=
            offer.first.value() + static_cast<int64_t>(run.size()) ||
        r.key != e.key || r.value != e.value) {
      return {};
    }
    run.push_back(j);
  }
  if (run.size() < offer.entries.size()) run.clear();
  return run;
}

// Takes the effects offered for the run starting at records[i] when they
// match (PrecomputedEffects): marks its records in `handed` and counts them.
// Whether they were taken.
bool TakeOffered(OverlayState& overlay, absl::Span<const JournalRecord> records,
                 size_t i, const PrecomputedLookup& lookup,
                 const StoppedPartitions* stopped, std::vector<bool>& handed,
                 ProjectionStats& stats) {
  const JournalRecord& r = records[i];
  if (stopped != nullptr && stopped->contains(r.partition.value())) {
    return false;
  }
  std::shared_ptr<const PrecomputedEffects> offer = lookup(r.partition, r.offset);
  if (offer == nullptr || offer->entries.empty() ||
      offer->outcomes.size() != offer->entries.size()) {
    return false;
  }
  std::vector<size_t> run = OfferedRun(records, i, *offer);
  if (run.empty()) return false;
  auto progress = overlay.Get(PartitionProgressKey(r.partition));
  if (!progress.ok() || *progress != offer->progress_before) return false;
  for (const auto& [key, value] : offer->effects->writes()) {
    if (value.has_value()) {
      overlay.Put(key, *value);
    } else {
      overlay.Delete(key);
    }
  }
  if (handed.empty()) handed.resize(records.size(), false);
  for (size_t j : run) handed[j] = true;
  for (ApplyOutcome outcome : offer->outcomes) Count(outcome, stats);
  stats.precomputed += static_cast<int64_t>(run.size());
  int64_t& next = stats.next_offsets[r.partition.value()];
  next = std::max(next, r.offset.value() + static_cast<int64_t>(run.size()));
  return true;
}

// One pass over the batch into `overlay`. A DataLoss of a record comes back
// as `*corrupt` (the pass stops there); other errors as the status.
absl::Status ApplyPass(OverlayState& overlay,
                       absl::Span<const JournalRecord> records,
                       const StoppedPartitions* stopped,
                       const PrecomputedLookup* precomputed,
                       ProjectionStats& stats,
                       std::optional<StoppedPartition>* corrupt) {
  google::protobuf::Arena arena;
  std::vector<bool> handed;  // by index: taken from an offer; empty: none
  for (size_t i = 0; i < records.size(); ++i) {
    const JournalRecord& r = records[i];
    if (Skipped(stopped, r) || (!handed.empty() && handed[i])) continue;
    if (precomputed != nullptr &&
        TakeOffered(overlay, records, i, *precomputed, stopped, handed,
                    stats)) {
      continue;
    }
    arena.Reset();
    auto* record = google::protobuf::Arena::CreateMessage<v1::LogRecord>(&arena);
    absl::Status decoded = DecodeRecord(r, *record);
    absl::StatusOr<ApplyOutcome> outcome =
        decoded.ok() ? ApplyRecord(overlay, r.partition, r.offset, *record)
                     : absl::StatusOr<ApplyOutcome>(decoded);
    if (!outcome.ok()) {
      if (!absl::IsDataLoss(outcome.status())) return outcome.status();
      *corrupt = StoppedPartition{r.partition, r.offset, outcome.status()};
      return absl::OkStatus();
    }
    Count(*outcome, stats);
    int64_t& next = stats.next_offsets[r.partition.value()];
    next = std::max(next, r.offset.value() + 1);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ProjectionStats> ProjectBatch(
    RocksState& state, absl::Span<const JournalRecord> records,
    StoppedPartitions* stopped, const PrecomputedLookup* precomputed) {
  // Each pass either applies the whole (remaining) batch or finds one more
  // corrupt partition: at most one pass per partition, plus one.
  while (true) {
    ProjectionStats stats;
    OverlayState overlay(&state);
    std::optional<StoppedPartition> corrupt;
    if (auto s = ApplyPass(overlay, records, stopped, precomputed, stats,
                           &corrupt);
        !s.ok()) {
      return s;
    }
    if (corrupt.has_value()) {
      if (stopped == nullptr) return corrupt->reason;
      (*stopped)[corrupt->partition.value()] = *corrupt;
      continue;
    }
    if (auto s = state.Commit(overlay, /*sync=*/false); !s.ok()) return s;
    return stats;
  }
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

namespace {

// The cores this process may run on (its affinity: `taskset -c 0` is one),
// at least 1.
size_t UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return std::max(1u, std::thread::hardware_concurrency());
  }
  return std::max(1, CPU_COUNT(&set));
}

// ProjectToEnd over one group of partitions, with its own reader: each
// partition from `start` until it reaches `end`.
absl::Status ProjectGroupToEnd(
    Journal& journal, RocksState& state,
    const std::vector<std::pair<PartitionId, Offset>>& start,
    const absl::flat_hash_map<int32_t, int64_t>& end,
    size_t batch_records_max) {
  size_t remaining = 0;
  absl::flat_hash_map<int32_t, int64_t> next;
  for (const auto& [p, o] : start) {
    next[p.value()] = o.value();
    if (o.value() < end.at(p.value())) ++remaining;
  }
  if (remaining == 0) return absl::OkStatus();
  auto reader = journal.OpenReader(start);
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
      const bool was_behind = next[p] < end.at(p);
      next[p] = o;
      if (was_behind && next[p] >= end.at(p)) --remaining;
    }
  }
  return absl::OkStatus();
}

}  // namespace

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
  // Partitions apply independently (their keys are their customers'), so
  // groups of them project at once, one thread and one reader each: the
  // same state, each partition's records in their order.
  const size_t groups =
      std::clamp<size_t>(UsableCores(), 1, std::max<size_t>(start->size(), 1));
  std::vector<std::vector<std::pair<PartitionId, Offset>>> group(groups);
  for (size_t i = 0; i < start->size(); ++i) {
    group[i % groups].push_back((*start)[i]);
  }
  std::vector<absl::Status> results(groups);
  std::vector<std::thread> threads;
  for (size_t g = 1; g < groups; ++g) {
    threads.emplace_back([&, g] {
      results[g] =
          ProjectGroupToEnd(journal, state, group[g], end, batch_records_max);
    });
  }
  results[0] =
      ProjectGroupToEnd(journal, state, group[0], end, batch_records_max);
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ResetPartitions(RocksState& state,
                             const std::vector<PartitionId>& partitions,
                             int32_t partition_count) {
  absl::flat_hash_set<int32_t> reset;
  for (PartitionId p : partitions) reset.insert(p.value());
  OverlayState deletes(&state);
  absl::Status unknown;
  auto status =
      state.Scan("", "", [&](absl::string_view key, absl::string_view value) {
        auto owner = OwnerOfStateKey(key, value);
        if (!owner.ok()) {
          unknown = owner.status();
          return false;
        }
        if (owner->has_value() &&
            reset.contains(PartitionOf(**owner, partition_count).value())) {
          deletes.Delete(key);
        }
        return true;
      });
  if (!status.ok()) return status;
  if (!unknown.ok()) return unknown;
  for (PartitionId p : partitions) deletes.Delete(PartitionProgressKey(p));
  return state.Commit(deletes, /*sync=*/true);
}

}  // namespace billing
