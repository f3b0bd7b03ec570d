#pragma once

// EmbeddedJournal: the journal port on local files, the default when no Kafka
// is configured. Durable on local disk, needs no other process, survives
// kill -9 and (with `sync`) a machine crash.
//
// Layout under `dir`:
//   JOURNAL                 metadata: format version and partition count,
//                           replaced atomically (write temp, fsync, rename).
//   LOCK                    flock()ed while open: one process at a time.
//   partition-00000.log     one append-only file per partition, a sequence of
//   partition-00001.log     records (framing in embedded_journal.cc); offsets
//   ...                     are 0-based record indexes within the file.
//
// Memory: the byte position of every record is kept in memory, 8 bytes per
// record (100 M records cost 800 MB). Open() reads every partition file once
// and verifies every record's checksum.
//
// Crash recovery on Open(): a torn last record (an unfinished write: header or
// payload cut by EOF, or a checksum mismatch in the record that ends at EOF,
// with no valid record after it) is dropped by truncating the file back to the
// last good record, and reported on stderr. Any other damage is corruption of
// that partition only: Open() succeeds, the records before the damage stay
// readable, PartitionDamage() names file, partition, offset and byte
// position (DataLoss), every append to it is refused with that, and the file
// is left as it was. (billingd stops that partition: docs/operations.md.)
//
// Thread-safety: all methods are thread-safe. Readers share the journal's open
// files, so a reader may outlive the journal object that opened it; the
// directory then stays locked (Open elsewhere is FailedPrecondition) until the
// last reader is destroyed too. The LOCK is a flock(), so a fork()ed child
// inherits it: fork only while the journal is closed, or exec at once.
//
// Group commit queue: a partition queues at most one append per calling
// thread (each caller waits for its own), so the queue is bounded by the
// callers' thread count; a group takes at most group_commit_records_max
// records from it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/core/types.h"
#include "storage/journal.h"

namespace billing {

namespace embedded_journal_internal {
class Core;
}  // namespace embedded_journal_internal

struct EmbeddedJournalOptions {
  // Directory holding the journal; created (with parents) if missing.
  // Required: Open() fails with InvalidArgument when empty.
  std::string dir;

  // Number of partitions, used only when the journal is created (1 to
  // kEmbeddedJournalPartitionCountMax). On reopen the stored count wins: a
  // different value here is InvalidArgument, never a silent re-partitioning.
  // Default: 4.
  int32_t partition_count = 4;

  // When true, Append() returns only after fdatasync(): acknowledged records
  // survive a machine crash. When false they survive a process crash (they
  // are in the page cache) but not a power loss. Default: true.
  bool sync = true;

  // Most records written by one group commit (one write, one fdatasync).
  // Also the most entries one Append() may carry, since an append is never
  // split across groups. Must be >= 1. Default: 4096.
  size_t group_commit_records_max = 4096;

  // Test-only: called by the group-commit leader, with no lock held, just
  // before a group is written. Lets a test hold a write in flight while other
  // appends queue behind it. Default: empty (not called).
  std::function<void()> before_group_write_for_testing;
};

// Largest record payload, key bytes plus value bytes (64 MiB). Append()
// rejects a larger entry with InvalidArgument; Open() treats a stored length
// above it as corruption.
inline constexpr size_t kEmbeddedJournalRecordBytesMax = size_t{64} << 20;

// Most bytes of encoded records (16-byte header plus payload each) that one
// JournalReader::Poll returns (16 MiB), so a caller's records_max cannot make
// it read gigabytes at once. A single larger record is still returned alone.
inline constexpr size_t kEmbeddedJournalPollBytesMax = size_t{16} << 20;

// Encoded size of a record: header plus key plus value.
inline constexpr size_t kEmbeddedJournalRecordHeaderBytes = 16;

// Largest partition count accepted at creation.
inline constexpr int32_t kEmbeddedJournalPartitionCountMax = 1 << 16;

// Counters for tests and metrics.
struct EmbeddedJournalStats {
  // Monotonic since Open().
  int64_t appends = 0;        // Append() calls that succeeded.
  int64_t records = 0;        // Records those appends wrote.
  int64_t group_commits = 0;  // Successful write+fdatasync rounds.
  // A gauge: appends queued behind a write in flight, all partitions.
  int64_t appends_queued = 0;
};

class EmbeddedJournal : public Journal {
 public:
  // Opens the journal in `options.dir`, creating it if it does not exist.
  // Errors: InvalidArgument (bad options, partition_count differs from the
  // stored one), FailedPrecondition (another EmbeddedJournal holds the
  // directory), DataLoss (a corrupt record, a missing partition file, bad
  // metadata), or the errno-derived code of a failed system call.
  static absl::StatusOr<std::unique_ptr<EmbeddedJournal>> Open(
      const EmbeddedJournalOptions& options);

  EmbeddedJournal(const EmbeddedJournal&) = delete;
  EmbeddedJournal& operator=(const EmbeddedJournal&) = delete;
  // Must not run concurrently with a call on this object; open readers stay
  // usable.
  ~EmbeddedJournal() override;

  int32_t partition_count() const override;

  // Group commit: concurrent appends to one partition are written with one
  // pwritev() and one fdatasync(), by whichever caller finds no write in
  // flight (leader/follower); every caller returns once its records are
  // durable. Extra errors beyond the port's: InvalidArgument when an entry
  // exceeds kEmbeddedJournalRecordBytesMax or the append carries more than
  // group_commit_records_max entries. After a failed write or fdatasync the
  // partition accepts no more appends (Unavailable for that group,
  // FailedPrecondition afterwards) until the journal is reopened, because the
  // file's unsynced tail is then unknown (Linux may have dropped the dirty
  // pages); reopening recovers it.
  absl::StatusOr<Offset> Append(PartitionId partition,
                                std::vector<JournalEntry> entries) override;

  absl::StatusOr<Offset> EndOffset(PartitionId partition) override;
  absl::Status PartitionDamage(PartitionId partition) override;

  // The reader re-verifies every record's checksum as it reads it, and is
  // not thread-safe (one consumer thread at a time). A Poll returns at most
  // kEmbeddedJournalPollBytesMax of encoded records (but always at least one
  // when any is available). An empty `start` gives a reader that only waits.
  // Errors: InvalidArgument (partition out of range or listed twice),
  // OutOfRange (a start offset below 0 or beyond EndOffset: offsets are dense
  // here, so that is always a caller bug).
  absl::StatusOr<std::unique_ptr<JournalReader>> OpenReader(
      const std::vector<std::pair<PartitionId, Offset>>& start) override;

  EmbeddedJournalStats stats() const;

 private:
  explicit EmbeddedJournal(
      std::shared_ptr<embedded_journal_internal::Core> core);

  std::shared_ptr<embedded_journal_internal::Core> core_;
};

}  // namespace billing
