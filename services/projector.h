#pragma once

// The projector loop: one thread that tails the journal's owned partitions
// from the offsets stored in the state and projects each polled batch in one
// WriteBatch (storage/projection.h). Writers wait on it to acknowledge a
// command only once its record is applied (read-your-writes, and the epoch
// fence of docs/architecture.md).
//
// A corrupt record stops its partition only: that partition's state stays as
// of its last good record (a wrong bill is worse than no bill), its waiters
// get the reason (DataLoss naming the position), and every other partition
// goes on. A partition whose stored progress is past its journal's end (the
// journal lost acknowledged records: a damaged tail) is stopped at Start the
// same way, naming the lost offsets. Stopped() lists them; billingd's status
// and health name them (docs/operations.md says how to repair). Only a
// failure of the journal or of RocksDB itself stops the whole projector.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/journal.h"
#include "storage/projection.h"
#include "storage/rocks_state.h"

namespace billing {

struct ProjectorOptions {
  // Records applied per WriteBatch at most. Default: 4096.
  size_t batch_records_max = 4096;
  // How long one poll waits for new records before checking for stop.
  // Default: 100 ms.
  absl::Duration poll_timeout = absl::Milliseconds(100);
  // Called once, from the projector thread, when it stops on an error (not
  // on Stop()). billingd turns its health to NOT_SERVING. Default: none.
  std::function<void(const absl::Status&)> on_failure;
  // Called once per partition, from the thread that found it (Start's or the
  // projector's), when a partition stops. Default: none.
  std::function<void(const StoppedPartition&)> on_partition_stopped;
};

class Projector {
 public:
  Projector(Journal* journal, RocksState* state,
            std::vector<PartitionId> partitions, ProjectorOptions options = {});
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // Opens the reader at the stored offsets and starts the thread. A
  // partition whose stored offset is past its journal's end is stopped, not
  // an error.
  absl::Status Start();
  // Stops the thread; idempotent.
  void Stop();

  // Blocks until the record at `offset` of `partition` is applied (or
  // skipped as fenced/duplicate). OK; DeadlineExceeded at `deadline`; the
  // projector's own error when it stopped on one; Cancelled when stopped.
  absl::Status WaitApplied(PartitionId partition, Offset offset,
                           absl::Time deadline);

  // OK while running; the reason it stopped otherwise.
  absl::Status status() const;
  // OK when `partition` is projected; why not otherwise (its stop, or the
  // projector's own).
  absl::Status PartitionStatus(PartitionId partition) const;
  // The stopped partitions, by partition number.
  std::vector<StoppedPartition> Stopped() const;
  // The next offset to apply of `partition` (its progress in the state).
  int64_t NextOffset(PartitionId partition) const;
  // Records applied since Start (any outcome).
  int64_t records_seen() const { return records_seen_.load(); }
  // Of those, the records whose effects a lane handed over.
  int64_t records_precomputed() const { return records_precomputed_.load(); }

  // Hands over what a lane's run of records does to the state
  // (storage/projection.h, PrecomputedEffects), before or after its append:
  // taken when the projection reaches exactly that run, dropped once the
  // partition is projected past its first offset. Replaces an offer at the
  // same position. Thread-safe.
  void Offer(std::shared_ptr<const PrecomputedEffects> offer);

 private:
  void Run();
  // Stops partitions whose stored offset is past the journal's end; the
  // others, with their start offsets.
  absl::StatusOr<std::vector<std::pair<PartitionId, Offset>>> CheckStarts(
      const std::vector<std::pair<PartitionId, Offset>>& stored);
  // Publishes partitions newly found in working_stopped_ (log, callback).
  void NoteStopped();
  bool IdleUntilStopped();
  std::shared_ptr<const PrecomputedEffects> Offered(PartitionId partition,
                                                    Offset offset) const;
  // Drops the offers below each partition's next offset.
  void DropOffersBelow(const absl::flat_hash_map<int32_t, int64_t>& next);

  Journal* const journal_;
  RocksState* const state_;
  const std::vector<PartitionId> partitions_;
  const ProjectorOptions options_;
  std::unique_ptr<JournalReader> reader_;  // null when nothing is left to read
  // The projector thread's own list (Start's before the thread runs).
  StoppedPartitions working_stopped_;
  std::thread thread_;
  std::atomic<int64_t> records_seen_{0};
  std::atomic<int64_t> records_precomputed_{0};

  // Offers by (partition, first offset); a few per lane at most (its batches
  // in flight).
  mutable absl::Mutex offers_mu_;
  std::map<std::pair<int32_t, int64_t>,
           std::shared_ptr<const PrecomputedEffects>>
      offers_ ABSL_GUARDED_BY(offers_mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<int32_t, int64_t> next_offset_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  // Written by the projector thread (and Start) under mu_; the projector
  // thread passes its own copy to ProjectBatch.
  StoppedPartitions stopped_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace billing
