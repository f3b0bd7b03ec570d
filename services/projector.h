#pragma once

// The projector loop: one thread that tails the journal's owned partitions
// from the offsets stored in the state and projects each polled batch in one
// WriteBatch (storage/projection.h). Writers wait on it to acknowledge a
// command only once its record is applied (read-your-writes, and the epoch
// fence of docs/architecture.md).
//
// A corrupt record stops the projector for good: status() names the position
// and the reason, every waiter gets that error, and state stays as of the last
// good batch (a wrong bill is worse than no bill).

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/journal.h"
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
};

class Projector {
 public:
  Projector(Journal* journal, RocksState* state,
            std::vector<PartitionId> partitions, ProjectorOptions options = {});
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // Opens the reader at the stored offsets and starts the thread.
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
  // Records applied since Start (any outcome).
  int64_t records_seen() const { return records_seen_.load(); }

 private:
  void Run();

  Journal* const journal_;
  RocksState* const state_;
  const std::vector<PartitionId> partitions_;
  const ProjectorOptions options_;
  std::unique_ptr<JournalReader> reader_;
  std::thread thread_;
  std::atomic<int64_t> records_seen_{0};

  mutable absl::Mutex mu_;
  absl::flat_hash_map<int32_t, int64_t> next_offset_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace billing
