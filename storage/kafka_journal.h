#pragma once

// The journal on Kafka: one topic, one journal partition per Kafka partition,
// Kafka offsets as journal offsets. Appends go through an idempotent producer
// with acks=all, so an acknowledged entry is on every in-sync replica and a
// producer retry never duplicates or reorders one. Readers assign explicit
// (partition, offset) pairs and never commit: positions live in the state
// store (ARCHITECTURE.md, "Exactly once").
//
// Works against any Kafka protocol broker; the tests use librdkafka's mock
// cluster (tests/tools/mock_kafka_broker.c). The mock refuses the Admin API's
// CreateTopics, so there the topic must exist before Open (the mock broker's
// --topic flag or `topic` command); on a real cluster Open creates it.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/journal.h"

// librdkafka's handles, kept out of this header.
struct rd_kafka_s;
struct rd_kafka_topic_s;
struct rd_kafka_queue_s;

namespace billing {

struct KafkaJournalOptions {
  // Comma-separated host:port list of brokers to bootstrap from. Required;
  // default: empty, which Open rejects.
  std::string bootstrap_servers;
  // The journal's topic. Default: "billing.events.v1".
  std::string topic = "billing.events.v1";
  // Partitions of the topic when Open has to create it. When the topic
  // exists, its own partition count wins (partition_count() reports it).
  // Default: 4.
  int32_t partition_count = 4;
  // Kafka client.id, seen in broker logs and quotas. Readers use it too.
  // Default: "billingd".
  std::string client_id = "billingd";
  // Largest key + value of one entry, in bytes; Append refuses a larger one
  // with InvalidArgument. Sizes the producer's message.max.bytes and the
  // max.message.bytes of a topic Open creates; an existing topic must allow
  // it too (brokers default to 1 MiB), or such appends fail with
  // InvalidArgument from the broker. Default: 16 MiB.
  size_t record_bytes_max = size_t{16} << 20;
  // Bound on each broker request, on Open's metadata wait (Open fails with
  // Unavailable after it), and on an append's delivery (librdkafka's
  // message.timeout.ms): an Append returns at the latest about this long
  // after its entries were queued. Default: 30 s.
  absl::Duration request_timeout = absl::Seconds(30);
  // How long the producer holds entries to fill a batch (linger.ms): adds up
  // to this much latency to an Append, lets concurrent Appends share a
  // request. Default: 5 ms (librdkafka's).
  absl::Duration linger = absl::Milliseconds(5);
  // How long a broker may hold a reader's fetch while it has no new records
  // (fetch.wait.max.ms). A real broker answers as soon as records arrive, so
  // this only sets the idle request rate; librdkafka's mock cluster holds
  // every empty fetch this long, so tests against it lower it to keep reads
  // at the tail fast. Default: 500 ms (librdkafka's).
  absl::Duration fetch_wait_max = absl::Milliseconds(500);
};

namespace kafka_internal {
struct AppendCall;  // kafka_journal.cc: one Append's delivery reports
}  // namespace kafka_internal

class KafkaJournal : public Journal {
 public:
  // Connects, finds the topic (creating it with `partition_count` partitions
  // when missing, where the brokers support CreateTopics) and learns its
  // partition count. Waits at most about request_timeout. Errors:
  // InvalidArgument (bad options), Unavailable (no broker answered, the topic
  // has no leaders yet, or CreateTopics got no answer: librdkafka's mock
  // cluster never names a controller, so there a missing topic ends here),
  // NotFound (the topic is missing and the brokers do not know CreateTopics),
  // FailedPrecondition (the brokers refused CreateTopics for a reason
  // retrying will not fix).
  static absl::StatusOr<std::unique_ptr<KafkaJournal>> Open(
      const KafkaJournalOptions& options);

  // Waits up to request_timeout for queued appends to be delivered; appends
  // still queued after that are dropped (their Append calls, which must have
  // returned before destruction, got Unavailable). Not to be called while an
  // Append, EndOffset or OpenReader call is running.
  ~KafkaJournal() override;

  KafkaJournal(const KafkaJournal&) = delete;
  KafkaJournal& operator=(const KafkaJournal&) = delete;

  int32_t partition_count() const override { return partition_count_; }
  const std::string& topic() const { return options_.topic; }

  // Produces `entries` to `partition` (explicit partition, the entry's key as
  // the Kafka key) and returns the first one's offset once every entry has a
  // successful delivery report. The entries of one call are queued together,
  // so they get consecutive offsets unless another producer writes the same
  // partition. Thread-safe; concurrent calls share producer batches.
  // Errors: InvalidArgument (bad partition, no entries, an entry larger than
  // record_bytes_max or than the topic accepts), Unavailable (delivery failed
  // or timed out, the local queue is full, or the idempotent producer hit a
  // fatal error and every later append fails too until the journal is reopened;
  // a prefix of the entries may be in the log).
  absl::StatusOr<Offset> Append(PartitionId partition,
                                std::vector<JournalEntry> entries) override;

  // The partition's high watermark, asked of its leader. Thread-safe.
  // Errors: InvalidArgument (bad partition), Unavailable.
  absl::StatusOr<Offset> EndOffset(PartitionId partition) override;

  // A consumer of its own (never subscribed, never committing) assigned the
  // given (partition, offset) pairs. An offset outside the log is reported by
  // the reader's Poll as DataLoss, never skipped. Thread-safe; each reader is
  // used by one thread at a time. Errors: InvalidArgument (bad partition,
  // negative offset, a partition twice), Unavailable.
  absl::StatusOr<std::unique_ptr<JournalReader>> OpenReader(
      const std::vector<std::pair<PartitionId, Offset>>& start) override;

 private:
  explicit KafkaJournal(KafkaJournalOptions options)
      : options_(std::move(options)) {}

  // Finds (or creates) the topic and sets partition_count_.
  absl::Status LoadTopic();
  // InvalidArgument unless 0 <= partition < partition_count_.
  absl::Status CheckPartition(PartitionId partition) const;
  // Queues `entries` (which must outlive the call's delivery reports) as one
  // batch; the error of the first entry librdkafka refused, whose report
  // `call` then gets at once.
  absl::Status Enqueue(PartitionId partition,
                       std::vector<JournalEntry>& entries,
                       const std::shared_ptr<kafka_internal::AppendCall>& call);
  // Serves the producer's delivery reports and errors until Stop.
  void ServeEvents();
  // The last error librdkafka reported on the producer, for messages.
  std::string LastProducerError() const;

  const KafkaJournalOptions options_;
  int32_t partition_count_ = 0;
  rd_kafka_s* producer_ = nullptr;
  rd_kafka_topic_s* topic_handle_ = nullptr;
  rd_kafka_queue_s* main_queue_ = nullptr;  // the producer's events
  std::thread event_thread_;
  std::atomic<bool> stopping_{false};
  // Held while one Append's entries are queued, so that they stay together in
  // the partition's queue (librdkafka numbers messages as they are created).
  absl::Mutex produce_mu_;
  // Distinguishes the consumer group ids of this journal's readers.
  std::atomic<uint64_t> reader_seq_{0};
  mutable absl::Mutex error_mu_;
  std::string last_error_ ABSL_GUARDED_BY(error_mu_);
};

}  // namespace billing
