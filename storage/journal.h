#pragma once

// The journal port: an append-only, partitioned log of records. Two
// implementations: EmbeddedJournal (local files, the default) and KafkaJournal
// (one topic). Both pass tests/integration/storage/journal_conformance.h.
//
// Records are opaque bytes to the journal (serialized billing.v1.LogRecord);
// the key is the partition key (customer id; empty for partition markers).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/core/types.h"

namespace billing {

struct JournalEntry {
  std::string key;
  std::string value;
};

struct JournalRecord {
  PartitionId partition;
  Offset offset;
  std::string key;
  std::string value;
};

class JournalReader {
 public:
  virtual ~JournalReader() = default;
  // Up to `records_max` records available now on the assigned partitions,
  // waiting at most `timeout` for the first; empty after the timeout. Within a
  // partition, records come in offset order, each once. Errors: DataLoss when a
  // stored record is corrupt (the caller stops), Unavailable when the log
  // cannot be reached (the caller may retry).
  virtual absl::StatusOr<std::vector<JournalRecord>> Poll(
      size_t records_max, absl::Duration timeout) = 0;
};

class Journal {
 public:
  virtual ~Journal() = default;

  virtual int32_t partition_count() const = 0;

  // Appends `entries`, in order, to `partition` and returns the offset of the
  // first once all are durable (embedded: written and fdatasync'd; Kafka:
  // acknowledged with acks=all by an idempotent producer). Thread-safe;
  // concurrent appends are committed together where the implementation can.
  // Errors: InvalidArgument (bad partition, empty entries), Unavailable (retry;
  // an unacknowledged entry may or may not be in the log).
  virtual absl::StatusOr<Offset> Append(PartitionId partition,
                                        std::vector<JournalEntry> entries) = 0;

  // The offset the next append to `partition` will get (Kafka's high
  // watermark): every record below it is durable and readable.
  virtual absl::StatusOr<Offset> EndOffset(PartitionId partition) = 0;

  // OK, or DataLoss naming where `partition` is damaged: the records below
  // EndOffset are readable, nothing after the damage is, and appends are
  // refused. Default: OK (Kafka verifies checksums as it reads: a corrupt
  // record comes back from Poll).
  virtual absl::Status PartitionDamage(PartitionId) { return absl::OkStatus(); }

  // A reader of the given partitions, each starting at the given offset
  // (never at "the end": there is no implicit offset reset).
  virtual absl::StatusOr<std::unique_ptr<JournalReader>> OpenReader(
      const std::vector<std::pair<PartitionId, Offset>>& start) = 0;
};

}  // namespace billing
