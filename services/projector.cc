#include "services/projector.h"

#include <iostream>

#include "absl/strings/str_format.h"
#include "storage/projection.h"

namespace billing {

Projector::Projector(Journal* journal, RocksState* state,
                     std::vector<PartitionId> partitions,
                     ProjectorOptions options)
    : journal_(journal),
      state_(state),
      partitions_(std::move(partitions)),
      options_(options) {}

Projector::~Projector() { Stop(); }

absl::Status Projector::Start() {
  auto start = StoredStartOffsets(*state_, partitions_);
  if (!start.ok()) return start.status();
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [p, o] : *start) next_offset_[p.value()] = o.value();
  }
  auto reader = journal_->OpenReader(*start);
  if (!reader.ok()) return reader.status();
  reader_ = std::move(*reader);
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

void Projector::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        if (status_.ok()) status_ = absl::CancelledError("projector stopped");
        return;
      }
    }
    auto batch = reader_->Poll(options_.batch_records_max,
                               options_.poll_timeout);
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
      auto stats = ProjectBatch(*state_, *batch);
      if (stats.ok()) {
        records_seen_.fetch_add(static_cast<int64_t>(batch->size()));
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

absl::Status Projector::WaitApplied(PartitionId partition, Offset offset,
                                    absl::Time deadline) {
  const int32_t p = partition.value();
  const int64_t needed = offset.value() + 1;
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    auto it = next_offset_.find(p);
    return !status_.ok() || stopping_ ||
           (it != next_offset_.end() && it->second >= needed);
  };
  mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
  auto it = next_offset_.find(p);
  if (it != next_offset_.end() && it->second >= needed) {
    return absl::OkStatus();
  }
  if (!status_.ok()) return status_;
  if (stopping_) return absl::CancelledError("projector stopped");
  return absl::DeadlineExceededError(absl::StrFormat(
      "partition %d offset %d not projected in time", p, offset.value()));
}

absl::Status Projector::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

}  // namespace billing
