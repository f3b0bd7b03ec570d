#include "services/projector.h"

#include <algorithm>
#include <iostream>
#include <limits>

#include "absl/strings/str_format.h"

namespace billing {

Projector::Projector(Journal* journal, RocksState* state,
                     std::vector<PartitionId> partitions,
                     ProjectorOptions options)
    : journal_(journal),
      state_(state),
      partitions_(std::move(partitions)),
      options_(std::move(options)) {}

Projector::~Projector() { Stop(); }

absl::StatusOr<std::vector<std::pair<PartitionId, Offset>>>
Projector::CheckStarts(
    const std::vector<std::pair<PartitionId, Offset>>& stored) {
  std::vector<std::pair<PartitionId, Offset>> serving;
  for (const auto& [p, next] : stored) {
    auto end = journal_->EndOffset(p);
    if (!end.ok()) return end.status();
    if (absl::Status damage = journal_->PartitionDamage(p); !damage.ok()) {
      // The records before the damage are still projected; none after it.
      // The damage is the cause, whether or not the state is also ahead.
      working_stopped_[p.value()] = StoppedPartition{
          p, *end,
          absl::DataLossError(absl::StrFormat(
              "partition %d is damaged in the journal at offset %d: %s. "
              "Repair the journal (docs/operations.md), then rebuild: "
              "billingd --rebuild_partitions=%d",
              p.value(), end->value(), damage.message(), p.value()))};
      if (next.value() <= end->value()) serving.emplace_back(p, next);
      continue;
    }
    if (next.value() <= end->value()) {
      serving.emplace_back(p, next);
      continue;
    }
    StoppedPartition stop{
        p, *end,
        absl::DataLossError(absl::StrFormat(
            "partition %d: the state is ahead of the journal: it has applied "
            "offsets up to %d but the journal ends at %d, so the journal lost "
            "records %d to %d of partition %d (a damaged or truncated tail); "
            "the "
            "partition is stopped. Rebuild its state from what the journal "
            "holds: billingd --rebuild_partitions=%d (docs/operations.md)",
            p.value(), next.value() - 1, end->value(), end->value(),
            next.value() - 1, p.value(), p.value()))};
    working_stopped_[p.value()] = stop;
  }
  return serving;
}

absl::Status Projector::Start() {
  auto stored = StoredStartOffsets(*state_, partitions_);
  if (!stored.ok()) return stored.status();
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [p, o] : *stored) next_offset_[p.value()] = o.value();
  }
  auto start = CheckStarts(*stored);
  if (!start.ok()) return start.status();
  NoteStopped();
  if (!start->empty()) {
    auto reader = journal_->OpenReader(*start);
    if (!reader.ok()) return reader.status();
    reader_ = std::move(*reader);
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void Projector::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Projector::NoteStopped() {
  std::vector<StoppedPartition> fresh;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [p, stop] : working_stopped_) {
      if (stopped_.contains(p)) continue;
      stopped_[p] = stop;
      fresh.push_back(stop);
    }
  }
  for (const StoppedPartition& stop : fresh) {
    std::cerr << "projector: partition " << stop.partition.value()
              << " stopped at offset " << stop.offset.value() << ": "
              << stop.reason << std::endl;
    if (options_.on_partition_stopped) options_.on_partition_stopped(stop);
  }
}

// Waits for Stop() when no partition is left to read.
bool Projector::IdleUntilStopped() {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.poll_timeout);
  return stopping_;
}

void Projector::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        if (status_.ok()) status_ = absl::CancelledError("projector stopped");
        return;
      }
    }
    if (reader_ == nullptr) {
      IdleUntilStopped();
      continue;
    }
    auto batch =
        reader_->Poll(options_.batch_records_max, options_.poll_timeout);
    absl::Status failure;
    if (!batch.ok()) {
      if (absl::IsUnavailable(batch.status())) {
        std::cerr << "projector: journal unavailable, retrying: "
                  << batch.status() << std::endl;
        continue;  // the poll itself waited; transient
      }
      failure = batch.status();
    } else if (batch->empty()) {
      continue;
    } else {
      const PrecomputedLookup offered = [this](PartitionId p, Offset o) {
        return Offered(p, o);
      };
      auto stats = ProjectBatch(*state_, *batch, &working_stopped_, &offered);
      NoteStopped();
      if (stats.ok()) {
        records_seen_.fetch_add(static_cast<int64_t>(batch->size()));
        records_precomputed_.fetch_add(stats->precomputed);
        DropOffersBelow(stats->next_offsets);
        absl::MutexLock lock(&mu_);
        for (const auto& [p, o] : stats->next_offsets) {
          next_offset_[p] = std::max(next_offset_[p], o);
        }
        continue;
      }
      failure = stats.status();
    }
    std::cerr << "projector stopped: " << failure << std::endl;
    {
      absl::MutexLock lock(&mu_);
      status_ = failure;
    }
    if (options_.on_failure) options_.on_failure(failure);
    return;
  }
}

void Projector::Offer(std::shared_ptr<const PrecomputedEffects> offer) {
  const std::pair<int32_t, int64_t> at(offer->partition.value(),
                                       offer->first.value());
  absl::MutexLock lock(&offers_mu_);
  offers_[at] = std::move(offer);
}

std::shared_ptr<const PrecomputedEffects> Projector::Offered(
    PartitionId partition, Offset offset) const {
  absl::MutexLock lock(&offers_mu_);
  auto it = offers_.find({partition.value(), offset.value()});
  return it == offers_.end() ? nullptr : it->second;
}

void Projector::DropOffersBelow(
    const absl::flat_hash_map<int32_t, int64_t>& next) {
  absl::MutexLock lock(&offers_mu_);
  for (const auto& [p, o] : next) {
    offers_.erase(offers_.lower_bound({p, std::numeric_limits<int64_t>::min()}),
                  offers_.lower_bound({p, o}));
  }
}

absl::Status Projector::WaitApplied(PartitionId partition, Offset offset,
                                    absl::Time deadline) {
  const int32_t p = partition.value();
  const int64_t needed = offset.value() + 1;
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    auto it = next_offset_.find(p);
    return !status_.ok() || stopping_ || stopped_.contains(p) ||
           (it != next_offset_.end() && it->second >= needed);
  };
  mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
  auto it = next_offset_.find(p);
  if (it != next_offset_.end() && it->second >= needed) {
    return absl::OkStatus();
  }
  if (!status_.ok()) return status_;
  if (auto stop = stopped_.find(p); stop != stopped_.end()) {
    return stop->second.reason;
  }
  if (stopping_) return absl::CancelledError("projector stopped");
  return absl::DeadlineExceededError(absl::StrFormat(
      "partition %d offset %d not projected in time", p, offset.value()));
}

absl::Status Projector::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

absl::Status Projector::PartitionStatus(PartitionId partition) const {
  absl::MutexLock lock(&mu_);
  if (auto stop = stopped_.find(partition.value()); stop != stopped_.end()) {
    return stop->second.reason;
  }
  return status_;
}

std::vector<StoppedPartition> Projector::Stopped() const {
  absl::MutexLock lock(&mu_);
  std::vector<StoppedPartition> out;
  for (const auto& [p, stop] : stopped_) out.push_back(stop);
  std::sort(out.begin(), out.end(),
            [](const StoppedPartition& a, const StoppedPartition& b) {
              return a.partition.value() < b.partition.value();
            });
  return out;
}

int64_t Projector::NextOffset(PartitionId partition) const {
  absl::MutexLock lock(&mu_);
  auto it = next_offset_.find(partition.value());
  return it == next_offset_.end() ? 0 : it->second;
}

}  // namespace billing
