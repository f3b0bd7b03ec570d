#pragma once

// The Kafka side of usage ingest: consumes every partition of the usage topic
// (records keyed by phone number or account; a value is a protobuf
// billing.v1.UsageRecord or one JSON object of one) and hands each polled
// batch to UsageIngestor::IngestBatch, which re-keys every record to its
// customer, rates it once (idempotency key "usage/<platform>/<record_id>")
// or quarantines it with its source "kafka:<topic>/<partition>/<offset>".
//
// Positions live in the state, never in Kafka: the next offset of each
// partition is stored under OffsetKey (ingest/kafka/<topic>/<partition>, a
// decimal string) through RocksState::Commit with sync=true, and only once
// IngestBatch has returned OK (every outcome durable). A crash between the
// two re-delivers the batch, and the ids make that harmless; a crash after
// never loses a record. The consumer `assign`s explicit offsets (the stored
// one, or the partition's low watermark when none is stored, so a fresh
// state starts from the earliest record) with auto.offset.reset=error:
// librdkafka's default ("largest") would silently skip history.
// docs/usage.md, section "Kafka".
//
// The consumer never stops on input. It stops on its own only when the state
// or the log is corrupt (IngestBatch answers DataLoss/Internal: the projector
// stopped; a stored offset is outside the log; the offsets cannot be
// written), with the reason logged and kept in status().

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/usage_ingest.h"
#include "storage/rocks_state.h"

// librdkafka's handle, kept out of this header.
struct rd_kafka_s;

namespace billing {

struct KafkaUsageConsumerOptions {
  // Comma-separated host:port list. Required; default: empty, which Start
  // rejects.
  std::string bootstrap_servers;
  // The usage topic. Default: "billing.usage.v1".
  std::string topic = "billing.usage.v1";
  // Kafka client.id. Default: "billingd.usage".
  std::string client_id = "billingd.usage";
  // Messages handed to one IngestBatch at most. Default: 1000.
  size_t batch_records_max = 1000;
  // Batches being ingested at once, each in its own IngestBatch call, so
  // that the command lanes always have the next records queued while they
  // append and wait for the projection. Offsets are stored in poll order:
  // a batch's only with (or after) those of every batch polled before it.
  // Default: 8 (4 left the two cores of bench/run_usage_ingest.sh idle
  // 15 % of the time; 8 gave about 10 % more records a second).
  size_t batches_in_flight = 8;
  // How long one poll waits for the first message of a batch; also bounds
  // how long Stop waits for an idle loop. Default: 100 ms.
  absl::Duration poll_wait = absl::Milliseconds(100);
  // fetch.wait.max.ms: how long the broker may hold an empty fetch
  // (librdkafka's mock holds every empty fetch this long). Default: 100 ms.
  absl::Duration fetch_wait_max = absl::Milliseconds(100);
  // Bound on each broker request (metadata, watermarks). Default: 10 s.
  absl::Duration request_timeout = absl::Seconds(10);
  // Backoff between retries of a batch answered Unavailable, and between
  // metadata attempts while the topic is missing: doubles from initial up to
  // max. Default: 50 ms .. 2 s.
  absl::Duration retry_backoff_initial = absl::Milliseconds(50);
  absl::Duration retry_backoff_max = absl::Seconds(2);
  // Called from the consumer thread after each batch's offsets are stored
  // (before counters() counts them),
  // with the Kafka timestamps (ms since the epoch; -1 when the message has
  // none) of its messages: the bench measures produce-to-rated latency with
  // it. Default: none.
  std::function<void(const std::vector<int64_t>& timestamps_ms)> on_committed;
  // Called once, from the consumer thread, when it stops on its own (a
  // corrupt state or log; not on Stop()), with the reason. billingd turns
  // its health to NOT_SERVING. Default: none.
  std::function<void(const absl::Status&)> on_failure;
};

// What the consumer did since Start.
struct KafkaUsageCounters {
  int64_t consumed = 0;     // messages whose batch was ingested and committed
  int64_t rated = 0;        // outcomes kRated
  int64_t duplicates = 0;   // outcomes kDuplicate
  int64_t quarantined = 0;  // outcomes kQuarantined
  int64_t batches = 0;      // IngestBatch calls that returned OK
  int64_t retries = 0;      // IngestBatch calls answered Unavailable
  int64_t topic_waits = 0;  // metadata answers without the topic (yet)
};

class KafkaUsageConsumer {
 public:
  // Validates the options and starts the consumer thread; returns at once.
  // The thread finds the topic (while it is missing it logs that and asks
  // again, backing off up to retry_backoff_max: on a real cluster ops create
  // it; on the mock, the test does), reads the stored offsets, assigns every
  // partition and loops. Errors: InvalidArgument (bad options).
  static absl::StatusOr<std::unique_ptr<KafkaUsageConsumer>> Start(
      KafkaUsageConsumerOptions options, UsageIngestor* ingestor,
      RocksState* state);

  // Stop().
  ~KafkaUsageConsumer();
  KafkaUsageConsumer(const KafkaUsageConsumer&) = delete;
  KafkaUsageConsumer& operator=(const KafkaUsageConsumer&) = delete;

  // Ends the loop and joins the thread; idempotent. Returns within about
  // poll_wait, plus the IngestBatch call in progress (bounded by the command
  // processor's projection_wait): a batch being ingested is finished and its
  // offsets stored, or (when it fails) left to be re-delivered.
  void Stop();

  KafkaUsageCounters counters() const;
  // OK while running or after Stop(); the reason when it stopped on its own.
  absl::Status status() const;
  // Partitions of the topic once assigned; 0 before.
  int32_t partition_count() const;

  // Blocks until `done(counters())` holds, the consumer stopped on an error,
  // or `timeout` passes. True when `done` holds.
  bool AwaitCounters(const std::function<bool(const KafkaUsageCounters&)>& done,
                     absl::Duration timeout) const;

  // "ingest/kafka/<topic>/<partition>": the next offset to consume, as a
  // decimal string.
  static std::string OffsetKey(absl::string_view topic, int32_t partition);
  // The stored next offset; nullopt when none. DataLoss when the value is
  // not a non-negative decimal.
  static absl::StatusOr<std::optional<int64_t>> StoredOffset(
      const StateReader& state, absl::string_view topic, int32_t partition);

 private:
  KafkaUsageConsumer(KafkaUsageConsumerOptions options, UsageIngestor* ingestor,
                     RocksState* state)
      : options_(std::move(options)), ingestor_(ingestor), state_(state) {}

  struct Batch;

  void Run();
  // The loop proper; returns why it ended (Cancelled on Stop).
  absl::Status Consume();
  // Fills `batch` with up to batch_records_max messages, waiting at most
  // `wait` for the first. DataLoss for a corrupt record or an offset outside
  // the log (`batch` holds what came before it).
  absl::Status PollBatch(absl::Duration wait, Batch& batch,
                         absl::Time& last_error_log);
  // IngestBatch, again while Unavailable (Cancelled when stopping).
  absl::StatusOr<std::vector<IngestOutcome>> Ingest(
      const std::vector<IngestInput>& inputs);
  // Stores the offsets of the finished batches at the front of `in_flight`
  // (one synced WriteBatch) and counts them; the error of the first failed
  // one, which stays in `in_flight`.
  absl::Status CommitDone(std::deque<std::unique_ptr<Batch>>& in_flight);
  // Stores the next offset to consume of each partition, synced.
  absl::Status StoreOffsets(const std::map<int32_t, int64_t>& next);
  // Creates the consumer and learns the topic's partition count, retrying
  // while the topic is missing. OK with consumer_ set, or Cancelled on Stop.
  absl::Status Connect();
  absl::Status AssignStoredOffsets();
  // Waits `d` or until Stop; false when stopping.
  bool Pause(absl::Duration d);
  bool stopping() const;

  const KafkaUsageConsumerOptions options_;
  UsageIngestor* const ingestor_;
  RocksState* const state_;
  rd_kafka_s* consumer_ = nullptr;  // used by the consumer thread only
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  KafkaUsageCounters counters_ ABSL_GUARDED_BY(mu_);
  int32_t partition_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace billing
