#include "services/kafka_usage_consumer.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <deque>
#include <iostream>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/core/state.h"
#include "storage/kafka_support.h"

namespace billing {
namespace {

// A transient consumer error (a broker connection dropped, say) is logged at
// most once per this period: librdkafka reports it on every retry.
constexpr absl::Duration kErrorLogPeriod = absl::Seconds(10);
// How long a poll waits for new messages while batches are being ingested.
constexpr absl::Duration kBusyPollWait = absl::Milliseconds(2);
// Longest one metadata request waits while the consumer looks for its topic.
constexpr absl::Duration kMetadataWaitMax = absl::Seconds(1);

using kafka::ErrText;
using kafka::RemainingMs;
using kafka::SetConf;
using kafka::ToTimeoutMs;

void Log(absl::string_view topic, absl::string_view text) {
  std::cerr << absl::StrCat("usage consumer ", topic, ": ", text, "\n")
            << std::flush;
}

// A consumer for assigned partitions of the usage topic.
absl::StatusOr<rd_kafka_t*> NewConsumer(
    const KafkaUsageConsumerOptions& options) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // assign() needs a group id; a unique one, never joined (no subscribe) and
  // never committed to: positions live in the state.
  const std::string group_id =
      absl::StrCat(options.client_id, ".usage.", options.topic, ".", getpid(),
                   ".", absl::ToUnixNanos(absl::Now()));
  absl::Status s = kafka::SetConfs(
      conf, {{"bootstrap.servers", options.bootstrap_servers},
             {"client.id", options.client_id},
             {"socket.timeout.ms",
              absl::StrCat(ToTimeoutMs(options.request_timeout))}});
  if (s.ok()) {
    s = kafka::SetAssignedConsumerConf(conf, group_id, options.fetch_wait_max);
  }
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  char errstr[512];
  rd_kafka_t* consumer =
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (consumer == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(
        absl::StrCat("creating the Kafka consumer: ", errstr));
  }
  return consumer;
}

// What the metadata says of the usage topic: no problem (and its partition
// count) once every partition has a leader.
struct TopicCheck {
  std::string problem;
  bool missing = false;  // the topic does not exist (yet)
  int32_t partition_count = 0;
};

TopicCheck CheckTopic(const rd_kafka_metadata_t& md, const std::string& name) {
  const rd_kafka_metadata_topic_t* topic = kafka::FindTopic(md, name);
  if (topic == nullptr ||
      topic->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    return {.problem =
                "topic does not exist (create it: on a real cluster ops "
                "do; the mock broker takes `topic NAME N`); asking again",
            .missing = true};
  }
  if (topic->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {.problem = absl::StrCat("topic: ", ErrText(topic->err))};
  }
  if (topic->partition_cnt < 1) return {.problem = "topic has no partitions"};
  for (int p = 0; p < topic->partition_cnt; ++p) {
    if (topic->partitions[p].leader < 0) {
      return {.problem = "a partition has no leader yet"};
    }
  }
  return {.partition_count = topic->partition_cnt};
}

}  // namespace

std::string KafkaUsageConsumer::OffsetKey(absl::string_view topic,
                                          int32_t partition) {
  return absl::StrCat("ingest/kafka/", topic, "/", partition);
}

absl::StatusOr<std::optional<int64_t>> KafkaUsageConsumer::StoredOffset(
    const StateReader& state, absl::string_view topic, int32_t partition) {
  const std::string key = OffsetKey(topic, partition);
  auto value = state.Get(key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<int64_t>();
  int64_t offset = -1;
  if (!absl::SimpleAtoi(**value, &offset) || offset < 0) {
    return CorruptState(key,
                        absl::StrCat("\"", **value, "\" is not an offset"));
  }
  return std::optional<int64_t>(offset);
}

absl::StatusOr<std::unique_ptr<KafkaUsageConsumer>> KafkaUsageConsumer::Start(
    KafkaUsageConsumerOptions options, UsageIngestor* ingestor,
    RocksState* state) {
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("bootstrap_servers is empty");
  }
  if (options.topic.empty()) return absl::InvalidArgumentError("empty topic");
  if (ingestor == nullptr || state == nullptr) {
    return absl::InvalidArgumentError("no ingestor or state");
  }
  if (options.batch_records_max < 1) {
    return absl::InvalidArgumentError("batch_records_max must be at least 1");
  }
  if (options.batches_in_flight < 1) {
    return absl::InvalidArgumentError("batches_in_flight must be at least 1");
  }
  for (const auto& [name, d] :
       std::vector<std::pair<const char*, absl::Duration>>{
           {"poll_wait", options.poll_wait},
           {"fetch_wait_max", options.fetch_wait_max},
           {"request_timeout", options.request_timeout},
           {"retry_backoff_initial", options.retry_backoff_initial},
           {"retry_backoff_max", options.retry_backoff_max}}) {
    if (d <= absl::ZeroDuration() || d > absl::Seconds(300)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be within (0, 300 s]"));
    }
  }
  std::unique_ptr<KafkaUsageConsumer> consumer(
      new KafkaUsageConsumer(std::move(options), ingestor, state));
  consumer->thread_ = std::thread([c = consumer.get()] { c->Run(); });
  return consumer;
}

KafkaUsageConsumer::~KafkaUsageConsumer() { Stop(); }

void KafkaUsageConsumer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool KafkaUsageConsumer::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

bool KafkaUsageConsumer::Pause(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

KafkaUsageCounters KafkaUsageConsumer::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

absl::Status KafkaUsageConsumer::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

int32_t KafkaUsageConsumer::partition_count() const {
  absl::MutexLock lock(&mu_);
  return partition_count_;
}

bool KafkaUsageConsumer::AwaitCounters(
    const std::function<bool(const KafkaUsageCounters&)>& done,
    absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return ended_ || done(counters_);
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  return done(counters_);
}

void KafkaUsageConsumer::Run() {
  absl::Status result = Connect();
  if (result.ok()) result = AssignStoredOffsets();
  if (result.ok()) result = Consume();
  if (absl::IsCancelled(result)) result = absl::OkStatus();  // Stop()
  if (!result.ok()) {
    Log(options_.topic, absl::StrCat("stopped: ", result.ToString()));
    if (options_.on_failure) options_.on_failure(result);
  }
  if (consumer_ != nullptr) {
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
    consumer_ = nullptr;
  }
  absl::MutexLock lock(&mu_);
  status_ = result;
  ended_ = true;
}

absl::Status KafkaUsageConsumer::Connect() {
  auto consumer = NewConsumer(options_);
  if (!consumer.ok()) return consumer.status();
  consumer_ = *consumer;
  // Errors come through rd_kafka_consumer_poll along with messages.
  rd_kafka_poll_set_consumer(consumer_);

  absl::Duration backoff = options_.retry_backoff_initial;
  std::string last_problem;
  absl::Time last_logged = absl::InfinitePast();
  while (!stopping()) {
    const rd_kafka_metadata_t* md = nullptr;
    // All topics, not ours by name: naming a missing topic may auto-create
    // it on some brokers (librdkafka's mock among them).
    // At most a second per attempt, so that Stop is not held by a broker
    // that does not answer.
    const rd_kafka_resp_err_t err = rd_kafka_metadata(
        consumer_, /*all_topics=*/1, nullptr, &md,
        ToTimeoutMs(std::min(options_.request_timeout, kMetadataWaitMax)));
    std::string problem;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      problem = absl::StrCat("metadata from ", options_.bootstrap_servers, ": ",
                             ErrText(err));
    } else {
      const TopicCheck check = CheckTopic(*md, options_.topic);
      rd_kafka_metadata_destroy(md);
      absl::MutexLock lock(&mu_);
      if (check.problem.empty()) {
        partition_count_ = check.partition_count;
        return absl::OkStatus();
      }
      if (check.missing) ++counters_.topic_waits;
      problem = check.problem;
    }
    if (problem != last_problem ||
        absl::Now() - last_logged >= absl::Seconds(30)) {
      Log(options_.topic, problem);
      last_problem = problem;
      last_logged = absl::Now();
    }
    if (!Pause(backoff)) break;
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
  }
  return absl::CancelledError("stopped");
}

absl::Status KafkaUsageConsumer::AssignStoredOffsets() {
  const int32_t count = partition_count();
  std::unique_ptr<rd_kafka_topic_partition_list_t,
                  void (*)(rd_kafka_topic_partition_list_t*)>
      assignment(rd_kafka_topic_partition_list_new(count),
                 rd_kafka_topic_partition_list_destroy);
  std::vector<std::string> starts;
  for (int32_t p = 0; p < count; ++p) {
    auto stored = StoredOffset(*state_, options_.topic, p);
    if (!stored.ok()) return stored.status();
    int64_t start = -1;
    if (stored->has_value()) {
      start = **stored;
      starts.push_back(absl::StrCat(p, "@", start));
    } else {
      // Nothing stored (a fresh or rebuilt state): the earliest record still
      // in the log, named explicitly; the ids deduplicate what was billed.
      absl::Duration backoff = options_.retry_backoff_initial;
      while (true) {
        int64_t low = -1, high = -1;
        const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            consumer_, options_.topic.c_str(), p, &low, &high,
            ToTimeoutMs(options_.request_timeout));
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          start = low;
          break;
        }
        Log(options_.topic, absl::StrCat("watermarks of partition ", p, ": ",
                                         ErrText(err), "; asking again"));
        if (!Pause(backoff)) return absl::CancelledError("stopped");
        backoff = std::min(backoff * 2, options_.retry_backoff_max);
      }
      starts.push_back(absl::StrCat(p, "@", start, " (earliest)"));
    }
    rd_kafka_topic_partition_list_add(assignment.get(), options_.topic.c_str(),
                                      p)
        ->offset = start;
  }
  if (const rd_kafka_resp_err_t err =
          rd_kafka_assign(consumer_, assignment.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(absl::StrCat(
        "assigning partitions of ", options_.topic, ": ", ErrText(err)));
  }
  Log(options_.topic, absl::StrCat("consuming ", count, " partitions from ",
                                   absl::StrJoin(starts, ", ")));
  return absl::OkStatus();
}

// One polled batch, from poll to offsets stored.
struct KafkaUsageConsumer::Batch {
  std::vector<IngestInput> inputs;
  std::map<int32_t, int64_t> next;  // partition -> next offset
  std::vector<int64_t> timestamps;  // Kafka timestamps, ms
  std::thread worker;               // runs Ingest
  // Set by the worker, under mu_, once `outcomes` is final.
  bool done = false;
  absl::StatusOr<std::vector<IngestOutcome>> outcomes;
};

absl::Status KafkaUsageConsumer::PollBatch(absl::Duration wait, Batch& batch,
                                           absl::Time& last_error_log) {
  const std::string source_prefix = absl::StrCat("kafka:", options_.topic, "/");
  const absl::Time deadline = absl::Now() + wait;
  while (batch.inputs.size() < options_.batch_records_max) {
    // Waits only for the first message; the rest is what is fetched.
    const int wait_ms = batch.inputs.empty() ? RemainingMs(deadline) : 0;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, wait_ms);
    if (m == nullptr) {
      if (!batch.inputs.empty() || absl::Now() >= deadline) break;
      continue;
    }
    std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owned(
        m, rd_kafka_message_destroy);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string where =
          m->rkt != nullptr ? absl::StrCat(rd_kafka_topic_name(m->rkt), "/",
                                           m->partition, " offset ", m->offset)
                            : std::string("consumer");
      std::string detail = ErrText(m->err);
      if (m->payload != nullptr) {
        absl::StrAppend(
            &detail, " (",
            absl::string_view(static_cast<const char*>(m->payload), m->len),
            ")");
      }
      switch (m->err) {
        case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
        case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
          // The stored position is outside the log: records were deleted
          // before we consumed them, or the topic was recreated. Skipping to
          // an end would lose or double-read usage silently.
          return absl::DataLossError(absl::StrCat(
              "stored offset outside the log at ", where, ": ", detail));
        case RD_KAFKA_RESP_ERR__BAD_MSG:
        case RD_KAFKA_RESP_ERR__BAD_COMPRESSION:
        case RD_KAFKA_RESP_ERR_INVALID_MSG:
          return absl::DataLossError(
              absl::StrCat("corrupt record at ", where, ": ", detail));
        default:
          // Connection trouble, a leader moving: librdkafka keeps retrying.
          if (absl::Now() - last_error_log >= kErrorLogPeriod) {
            Log(options_.topic,
                absl::StrCat(where, ": ", detail, " (librdkafka retries)"));
            last_error_log = absl::Now();
          }
          continue;
      }
    }
    IngestInput input;
    if (m->payload != nullptr) {
      input.raw.assign(static_cast<const char*>(m->payload), m->len);
    }
    input.source = absl::StrCat(source_prefix, m->partition, "/", m->offset);
    batch.inputs.push_back(std::move(input));
    int64_t& next = batch.next[m->partition];
    next = std::max(next, m->offset + 1);
    rd_kafka_timestamp_type_t type;
    batch.timestamps.push_back(rd_kafka_message_timestamp(m, &type));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IngestOutcome>> KafkaUsageConsumer::Ingest(
    const std::vector<IngestInput>& inputs) {
  absl::Duration backoff = options_.retry_backoff_initial;
  while (true) {
    absl::StatusOr<std::vector<IngestOutcome>> outcomes =
        ingestor_->IngestBatch(inputs);
    if (outcomes.ok()) {
      if (outcomes->size() != inputs.size()) {
        return absl::InternalError(
            absl::StrCat("IngestBatch answered ", outcomes->size(),
                         " outcomes for ", inputs.size(), " inputs"));
      }
      return outcomes;
    }
    const absl::Status& s = outcomes.status();
    if (absl::IsDataLoss(s) || absl::IsInternal(s)) {
      return absl::Status(s.code(),
                          absl::StrCat("ingest failed, the projector stopped "
                                       "(offsets not moved): ",
                                       s.message()));
    }
    // Unavailable (an outcome unknown): the same inputs again; ids and keys
    // make that safe. Anything else is not expected from IngestBatch;
    // retrying keeps every record rather than dropping one.
    {
      absl::MutexLock lock(&mu_);
      ++counters_.retries;
    }
    Log(options_.topic,
        absl::StrCat("batch of ", inputs.size(), " from ",
                     inputs.front().source, ": ", s.ToString(),
                     "; retrying in ", absl::FormatDuration(backoff)));
    // Stopped while retrying: nothing stored, the batch is consumed again by
    // the next run.
    if (!Pause(backoff)) return absl::CancelledError("stopped");
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
  }
}

absl::Status KafkaUsageConsumer::StoreOffsets(
    const std::map<int32_t, int64_t>& next) {
  OverlayState overlay(state_);
  for (const auto& [partition, offset] : next) {
    overlay.Put(OffsetKey(options_.topic, partition), absl::StrCat(offset));
  }
  if (absl::Status s = state_->Commit(overlay, /*sync=*/true); !s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat("storing offsets after a batch was ingested "
                               "(it will be re-delivered and deduplicated): ",
                               s.message()));
  }
  return absl::OkStatus();
}

absl::Status KafkaUsageConsumer::CommitDone(
    std::deque<std::unique_ptr<Batch>>& in_flight) {
  // The finished batches at the front, in poll order: a batch's offsets are
  // stored only with (or after) those of every batch polled before it.
  std::vector<std::unique_ptr<Batch>> finished;
  absl::Status error;
  {
    absl::MutexLock lock(&mu_);
    while (!in_flight.empty() && in_flight.front()->done) {
      if (!in_flight.front()->outcomes.ok()) {
        error = in_flight.front()->outcomes.status();
        break;
      }
      finished.push_back(std::move(in_flight.front()));
      in_flight.pop_front();
    }
  }
  if (finished.empty()) return error;
  std::map<int32_t, int64_t> next;
  KafkaUsageCounters delta;
  for (auto& b : finished) {
    b->worker.join();  // it has set `done`: returns at once
    for (const auto& [partition, offset] : b->next) {
      int64_t& n = next[partition];
      n = std::max(n, offset);
    }
    delta.consumed += static_cast<int64_t>(b->inputs.size());
    ++delta.batches;
    for (const IngestOutcome& o : *b->outcomes) {
      switch (o.kind) {
        case IngestOutcome::Kind::kRated:
          ++delta.rated;
          break;
        case IngestOutcome::Kind::kDuplicate:
          ++delta.duplicates;
          break;
        case IngestOutcome::Kind::kQuarantined:
          ++delta.quarantined;
          break;
      }
    }
  }
  if (absl::Status s = StoreOffsets(next); !s.ok()) return s;
  // The callback before the counters: whoever waits on the counters sees
  // the callback's effects too.
  if (options_.on_committed) {
    std::vector<int64_t> timestamps;
    for (const auto& b : finished) {
      timestamps.insert(timestamps.end(), b->timestamps.begin(),
                        b->timestamps.end());
    }
    options_.on_committed(timestamps);
  }
  {
    absl::MutexLock lock(&mu_);
    counters_.consumed += delta.consumed;
    counters_.rated += delta.rated;
    counters_.duplicates += delta.duplicates;
    counters_.quarantined += delta.quarantined;
    counters_.batches += delta.batches;
  }
  return error;
}

absl::Status KafkaUsageConsumer::Consume() {
  std::deque<std::unique_ptr<Batch>> in_flight;
  absl::Time last_error_log = absl::InfinitePast();
  absl::Status result;
  while (result.ok()) {
    if (stopping()) {
      result = absl::CancelledError("stopped");
      break;
    }
    if (in_flight.size() < options_.batches_in_flight) {
      // While batches are being ingested, poll briefly so that a finished
      // one has its offsets stored without waiting for new messages.
      const absl::Duration wait =
          in_flight.empty() ? options_.poll_wait
                            : std::min(options_.poll_wait, kBusyPollWait);
      auto batch = std::make_unique<Batch>();
      result = PollBatch(wait, *batch, last_error_log);
      if (!batch->inputs.empty()) {
        Batch* b = batch.get();
        in_flight.push_back(std::move(batch));
        b->worker = std::thread([this, b] {
          auto outcomes = Ingest(b->inputs);
          absl::MutexLock lock(&mu_);
          b->outcomes = std::move(outcomes);
          b->done = true;
        });
      }
    } else {
      // Every slot taken: wait (bounded) for the oldest batch.
      Batch* oldest = in_flight.front().get();
      absl::MutexLock lock(&mu_);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return oldest->done || stopping_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), options_.poll_wait);
    }
    if (absl::Status s = CommitDone(in_flight); !s.ok() && result.ok()) {
      result = s;
    }
  }
  // Ending (Stop, or an error): batches being ingested finish (a retry loop
  // ends at once), and the offsets of those finished in order are stored.
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& b : in_flight) {
    if (b->worker.joinable()) b->worker.join();
  }
  if (absl::Status s = CommitDone(in_flight);
      !s.ok() && !absl::IsCancelled(s)) {
    if (result.ok() || absl::IsCancelled(result)) result = s;
  }
  return result;
}

}  // namespace billing
