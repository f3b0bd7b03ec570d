#include "storage/kafka_journal.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "storage/kafka_support.h"

namespace billing {
namespace kafka_internal {

// The completion of one Append: counts down one delivery report per entry.
struct AppendCall {
  explicit AppendCall(size_t entries) : remaining(entries) {}

  absl::Mutex mu;
  size_t remaining ABSL_GUARDED_BY(mu);
  // Offset of entry 0, from its delivery report; -1 until then.
  int64_t first_offset ABSL_GUARDED_BY(mu) = -1;
  // First failure among the entries.
  absl::Status error ABSL_GUARDED_BY(mu);

  void Finish(size_t index, rd_kafka_resp_err_t err, int64_t offset,
              absl::string_view detail) {
    absl::MutexLock lock(&mu);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (error.ok()) {
        const std::string message = absl::StrCat(
            "delivery of entry ", index, " failed: ", kafka::ErrText(err),
            detail.empty() ? "" : "; ", detail);
        // Too large for the topic: a retry would fail the same way.
        error = err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE
                    ? absl::InvalidArgumentError(message)
                    : absl::UnavailableError(message);
      }
    } else if (index == 0) {
      first_offset = offset;
    }
    --remaining;
  }
};

}  // namespace kafka_internal

namespace {

using kafka_internal::AppendCall;

// Pause between metadata attempts in Open while the topic has no leader yet
// (just created): a retry backoff, not a wait for a condition we could watch.
constexpr absl::Duration kMetadataRetryBackoff = absl::Milliseconds(100);
// Extra wait beyond message.timeout.ms for a delivery report before Append
// gives up on it; librdkafka promises one report per message within the
// message timeout, so this only bounds a librdkafka bug.
constexpr absl::Duration kDeliveryReportGrace = absl::Seconds(5);
// Largest replication factor Open asks for when it creates the topic, and the
// min.insync.replicas it sets with it: with acks=all, an acknowledged entry
// is then on at least two brokers.
constexpr int kReplicationFactorMax = 3;
constexpr int kMinInsyncReplicasMax = 2;
// Room for Kafka's record and batch framing around the largest entry, in
// bytes, in message.max.bytes (producer) and max.message.bytes (topic).
constexpr size_t kRecordFramingBytes = size_t{64} << 10;
// Most bytes of records one JournalReader::Poll returns (as the embedded
// journal's kEmbeddedJournalPollBytesMax).
constexpr size_t kPollBytesMax = size_t{16} << 20;

using kafka::ErrText;
using kafka::RemainingMs;
using kafka::SetConf;
using kafka::ToTimeoutMs;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// Settings shared by the producer and the readers.
absl::Status SetCommonConf(rd_kafka_conf_t* conf,
                           const KafkaJournalOptions& options) {
  const std::string timeout_ms =
      absl::StrCat(ToTimeoutMs(options.request_timeout));
  for (const auto& [name, value] :
       std::vector<std::pair<const char*, std::string>>{
           {"bootstrap.servers", options.bootstrap_servers},
           {"client.id", options.client_id},
           {"socket.timeout.ms", timeout_ms},
       }) {
    if (absl::Status s = SetConf(conf, name, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// What a produced message carries back in its delivery report.
struct MessageRef {
  std::shared_ptr<AppendCall> call;  // shared: a timed-out Append lets go
  size_t index;
};

struct ConsumerDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};

class KafkaJournalReader : public JournalReader {
 public:
  explicit KafkaJournalReader(rd_kafka_t* consumer) : consumer_(consumer) {}

  absl::StatusOr<std::vector<JournalRecord>> Poll(
      size_t records_max, absl::Duration timeout) override {
    std::vector<JournalRecord> records;
    if (!pending_error_.ok()) return std::exchange(pending_error_, {});
    if (records_max == 0) return records;
    const absl::Time deadline = absl::Now() + timeout;
    size_t bytes = 0;
    // At most kPollBytesMax of records (at least one): a caller's
    // records_max cannot make it hold gigabytes of usage batches at once.
    while (records.size() < records_max && bytes < kPollBytesMax) {
      // Waits only for the first record; the rest are whatever is already
      // fetched.
      const int wait_ms = records.empty() ? RemainingMs(deadline) : 0;
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), wait_ms);
      if (m == nullptr) {
        if (!records.empty() || absl::Now() >= deadline) break;
        continue;  // woken early with nothing to show: wait out the rest
      }
      std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owned(
          m, rd_kafka_message_destroy);
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;  // not an error
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        absl::Status error = ToStatus(m);
        if (records.empty()) return error;
        // The records are consumed already: hand them over, and the error
        // with the next Poll, unless it was transient.
        if (!absl::IsUnavailable(error)) pending_error_ = std::move(error);
        break;
      }
      JournalRecord record;
      record.partition = PartitionId(m->partition);
      record.offset = Offset(m->offset);
      if (m->key != nullptr) {
        record.key.assign(static_cast<const char*>(m->key), m->key_len);
      }
      if (m->payload != nullptr) {
        record.value.assign(static_cast<const char*>(m->payload), m->len);
      }
      bytes += record.key.size() + record.value.size();
      records.push_back(std::move(record));
    }
    return records;
  }

 private:
  static absl::Status ToStatus(const rd_kafka_message_t* m) {
    const std::string where =
        m->rkt != nullptr ? absl::StrCat(rd_kafka_topic_name(m->rkt), "/",
                                         m->partition, " offset ", m->offset)
                          : std::string("consumer");
    std::string detail = ErrText(m->err);
    if (char* text = static_cast<char*>(m->payload); text != nullptr) {
      detail = absl::StrCat(detail, " (", absl::string_view(text, m->len), ")");
    }
    switch (m->err) {
      case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
        // auto.offset.reset=error: the start offset is outside the log.
        // Records the caller expects are gone (or it is ahead of the log);
        // skipping to either end would bill from a wrong state.
        return absl::DataLossError(
            absl::StrCat("offset outside the log at ", where, ": ", detail));
      case RD_KAFKA_RESP_ERR__BAD_MSG:
      case RD_KAFKA_RESP_ERR__BAD_COMPRESSION:
      case RD_KAFKA_RESP_ERR_INVALID_MSG:  // Kafka's CORRUPT_MESSAGE
        return absl::DataLossError(
            absl::StrCat("corrupt record at ", where, ": ", detail));
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        return absl::NotFoundError(absl::StrCat(where, ": ", detail));
      default:
        // Connection trouble and the like: librdkafka keeps retrying.
        return absl::UnavailableError(absl::StrCat(where, ": ", detail));
    }
  }

  std::unique_ptr<rd_kafka_t, ConsumerDeleter> consumer_;
  // An error met after records were already taken, reported next time.
  absl::Status pending_error_;
};

// InvalidArgument naming the first option Open cannot work with.
absl::Status ValidateOptions(const KafkaJournalOptions& options) {
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("bootstrap_servers is empty");
  }
  if (options.topic.empty()) return absl::InvalidArgumentError("empty topic");
  if (options.partition_count < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition_count ", options.partition_count));
  }
  if (options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("request_timeout must be positive");
  }
  if (options.linger < absl::ZeroDuration() ||
      options.linger > absl::Seconds(900)) {
    return absl::InvalidArgumentError("linger must be within [0, 900 s]");
  }
  if (options.fetch_wait_max <= absl::ZeroDuration() ||
      options.fetch_wait_max > absl::Seconds(300)) {
    return absl::InvalidArgumentError(
        "fetch_wait_max must be within (0, 300 s]");
  }
  // librdkafka caps message.max.bytes at 1e9.
  if (options.record_bytes_max < 1 ||
      options.record_bytes_max > 1'000'000'000 - kRecordFramingBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("record_bytes_max ", options.record_bytes_max));
  }
  return absl::OkStatus();
}

// The idempotent producer's configuration.
absl::StatusOr<ConfPtr> ProducerConf(const KafkaJournalOptions& options) {
  ConfPtr conf(rd_kafka_conf_new());
  if (absl::Status s = SetCommonConf(conf.get(), options); !s.ok()) return s;
  const std::string timeout_ms =
      absl::StrCat(ToTimeoutMs(options.request_timeout));
  for (const auto& [name, value] :
       std::vector<std::pair<const char*, std::string>>{
           // No duplicates or reordering on retries, acks from every in-sync
           // replica (idempotence implies acks=all; said twice to be sure).
           {"enable.idempotence", "true"},
           // A journal has a given partition count: a topic created behind
           // our back with the broker's default count would misplace keys.
           // (Consumers never auto-create by default.)
           {"allow.auto.create.topics", "false"},
           {"acks", "all"},
           // Bounds each delivery, so that an Append's wait is bounded.
           {"message.timeout.ms", timeout_ms},
           {"request.timeout.ms", timeout_ms},
           {"message.max.bytes",
            absl::StrCat(options.record_bytes_max + kRecordFramingBytes)},
           {"linger.ms",
            absl::StrCat(absl::ToInt64Milliseconds(options.linger))},
       }) {
    if (absl::Status s = SetConf(conf.get(), name, value); !s.ok()) return s;
  }
  // Delivery reports and errors as events on the main queue, served by
  // event_thread_; the thread can then be woken to stop (rd_kafka_queue_yield).
  rd_kafka_conf_set_events(conf.get(),
                           RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);
  return conf;
}

// A reader's configuration: assigned partitions under `group_id`, never
// committing, failing on a start offset outside the log.
absl::StatusOr<ConfPtr> ReaderConf(const KafkaJournalOptions& options,
                                   const std::string& group_id) {
  ConfPtr conf(rd_kafka_conf_new());
  if (absl::Status s = SetCommonConf(conf.get(), options); !s.ok()) return s;
  // librdkafka's defaults (50 MiB fetches), or more for larger entries.
  const size_t fetch_bytes_max = std::max<size_t>(
      size_t{50} << 20, options.record_bytes_max + kRecordFramingBytes);
  if (absl::Status s = kafka::SetAssignedConsumerConf(conf.get(), group_id,
                                                      options.fetch_wait_max);
      !s.ok()) {
    return s;
  }
  // Room for the largest entry (librdkafka wants the receive limit above the
  // fetch limit).
  if (absl::Status s = kafka::SetConfs(
          conf.get(), {{"fetch.max.bytes", absl::StrCat(fetch_bytes_max)},
                       {"receive.message.max.bytes",
                        absl::StrCat(fetch_bytes_max + kRecordFramingBytes)}});
      !s.ok()) {
    return s;
  }
  return conf;
}

// InvalidArgument when Append cannot take `entries`.
absl::Status CheckEntries(const std::vector<JournalEntry>& entries,
                          size_t record_bytes_max) {
  if (entries.empty()) return absl::InvalidArgumentError("no entries");
  if (entries.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("too many entries");
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t bytes = entries[i].key.size() + entries[i].value.size();
    if (bytes > record_bytes_max) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry ", i, " has ", bytes,
                       " bytes, record_bytes_max is ", record_bytes_max));
    }
  }
  return absl::OkStatus();
}

bool AllPartitionsLed(const rd_kafka_metadata_topic_t& topic) {
  bool all_led = true;
  for (int p = 0; p < topic.partition_cnt; ++p) {
    all_led = all_led && topic.partitions[p].leader >= 0 &&
              topic.partitions[p].err == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  return all_led;
}

// The error of a CreateTopics answer (NO_ERROR when the topic was made) and
// its text; TIMED_OUT when no answer came within `wait_ms`.
std::pair<rd_kafka_resp_err_t, std::string> CreateTopicsResult(
    rd_kafka_queue_t* result_queue, int wait_ms) {
  rd_kafka_event_t* ev = rd_kafka_queue_poll(result_queue, wait_ms);
  if (ev == nullptr) {
    return {RD_KAFKA_RESP_ERR__TIMED_OUT, "no CreateTopics result in time"};
  }
  rd_kafka_resp_err_t create_err = rd_kafka_event_error(ev);
  std::string create_text = rd_kafka_event_error_string(ev);
  if (const rd_kafka_CreateTopics_result_t* result =
          rd_kafka_event_CreateTopics_result(ev);
      result != nullptr && create_err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    size_t count = 0;
    const rd_kafka_topic_result_t** topics =
        rd_kafka_CreateTopics_result_topics(result, &count);
    if (count == 1) {
      create_err = rd_kafka_topic_result_error(topics[0]);
      const char* text = rd_kafka_topic_result_error_string(topics[0]);
      create_text = text != nullptr ? text : rd_kafka_err2str(create_err);
    }
  }
  rd_kafka_event_destroy(ev);
  return {create_err, create_text};
}

// A failed CreateTopics as a status: Unavailable when worth retrying,
// NotFound when the broker cannot create topics, else FailedPrecondition.
absl::Status CreateTopicFailure(const KafkaJournalOptions& options,
                                rd_kafka_resp_err_t create_err,
                                absl::string_view create_text) {
  const std::string message = absl::StrCat(
      "topic '", options.topic, "' does not exist and creating it with ",
      options.partition_count,
      " partitions failed: ", rd_kafka_err2name(create_err), ": ", create_text,
      " (librdkafka's mock cluster does not support CreateTopics: "
      "create the topic with the broker first)");
  switch (create_err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
      return absl::UnavailableError(message);
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
      return absl::NotFoundError(message);
    default:
      return absl::FailedPreconditionError(message);
  }
}

// Creates the journal's topic with `replication` replicas, waiting at most
// `remaining_ms` (at least 1) for the broker. OK also when it already exists.
absl::Status CreateTopic(rd_kafka_t* producer,
                         const KafkaJournalOptions& options, int replication,
                         int remaining_ms) {
  char errstr[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(options.topic.c_str(), options.partition_count,
                            replication, errstr, sizeof(errstr));
  if (new_topic == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("topic '", options.topic, "': ", errstr));
  }
  rd_kafka_NewTopic_set_config(
      new_topic, "min.insync.replicas",
      absl::StrCat(std::min(replication, kMinInsyncReplicasMax)).c_str());
  rd_kafka_NewTopic_set_config(
      new_topic, "max.message.bytes",
      absl::StrCat(options.record_bytes_max + kRecordFramingBytes).c_str());
  rd_kafka_AdminOptions_t* admin_options =
      rd_kafka_AdminOptions_new(producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  const int admin_ms = std::max(remaining_ms, 1);
  rd_kafka_AdminOptions_set_request_timeout(admin_options, admin_ms, nullptr,
                                            0);
  rd_kafka_AdminOptions_set_operation_timeout(admin_options, admin_ms, nullptr,
                                              0);
  rd_kafka_queue_t* result_queue = rd_kafka_queue_new(producer);
  rd_kafka_CreateTopics(producer, &new_topic, 1, admin_options, result_queue);
  // The admin request answers by its own timeout; the extra second covers
  // the hand-over to the queue.
  const auto [create_err, create_text] =
      CreateTopicsResult(result_queue, admin_ms + 1000);
  rd_kafka_queue_destroy(result_queue);
  rd_kafka_AdminOptions_destroy(admin_options);
  rd_kafka_NewTopic_destroy(new_topic);
  if (create_err != RD_KAFKA_RESP_ERR_NO_ERROR &&
      create_err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    return CreateTopicFailure(options, create_err, create_text);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaJournal>> KafkaJournal::Open(
    const KafkaJournalOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  auto conf = ProducerConf(options);
  if (!conf.ok()) return conf.status();

  std::unique_ptr<KafkaJournal> journal(new KafkaJournal(options));
  char errstr[512];
  journal->producer_ =
      rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof(errstr));
  if (journal->producer_ == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("creating the Kafka producer: ", errstr));
  }
  static_cast<void>(conf->release());  // owned by the producer now
  journal->main_queue_ = rd_kafka_queue_get_main(journal->producer_);
  journal->event_thread_ =
      std::thread([j = journal.get()] { j->ServeEvents(); });
  // Before any topic handle exists: a handle makes librdkafka ask metadata
  // for the topic by name, which some brokers (librdkafka's mock, brokers
  // older than 0.11) answer by auto-creating it with their default partition
  // count, whatever allow.auto.create.topics says.
  if (absl::Status s = journal->LoadTopic(); !s.ok()) return s;
  journal->topic_handle_ =
      rd_kafka_topic_new(journal->producer_, options.topic.c_str(), nullptr);
  if (journal->topic_handle_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "topic '", options.topic, "': ", ErrText(rd_kafka_last_error())));
  }
  return journal;
}

absl::Status KafkaJournal::LoadTopic() {
  const absl::Time deadline = absl::Now() + options_.request_timeout;
  bool create_tried = false;
  std::string last_problem = "no answer";
  while (absl::Now() < deadline) {
    const rd_kafka_metadata_t* md = nullptr;
    // All topics, not ours by name: naming a missing topic may auto-create
    // it (see Open).
    const rd_kafka_resp_err_t err = rd_kafka_metadata(
        producer_, /*all_topics=*/1, nullptr, &md, RemainingMs(deadline));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Unreachable brokers: rd_kafka_metadata mostly waits out the time
      // itself; an early answer (refused connection) is retried after the
      // backoff.
      last_problem = ErrText(err);
      absl::SleepFor(std::min(kMetadataRetryBackoff, deadline - absl::Now()));
      continue;
    }
    std::unique_ptr<const rd_kafka_metadata_t,
                    void (*)(const rd_kafka_metadata_t*)>
        owned(md, rd_kafka_metadata_destroy);
    const rd_kafka_metadata_topic_t* topic =
        kafka::FindTopic(*md, options_.topic);
    const rd_kafka_resp_err_t topic_err =
        topic == nullptr ? RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART : topic->err;
    if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR && topic->partition_cnt > 0) {
      if (AllPartitionsLed(*topic)) {
        partition_count_ = topic->partition_cnt;
        return absl::OkStatus();
      }
      last_problem = "a partition has no leader";
    } else if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
               !create_tried) {
      create_tried = true;
      const int replication =
          std::clamp(md->broker_cnt, 1, kReplicationFactorMax);
      owned.reset();
      if (absl::Status s = CreateTopic(producer_, options_, replication,
                                       RemainingMs(deadline));
          !s.ok()) {
        return s;
      }
      continue;  // look again: the new topic's leaders
    } else {
      last_problem = ErrText(topic_err);
    }
    // The topic exists (or was just created) but is not ready: back off.
    absl::SleepFor(std::min(kMetadataRetryBackoff, deadline - absl::Now()));
  }
  return absl::UnavailableError(absl::StrCat(
      "Kafka topic '", options_.topic, "' at ", options_.bootstrap_servers,
      " not ready within ", absl::FormatDuration(options_.request_timeout),
      ": ", last_problem, create_tried ? " (after creating it)" : "",
      "; last client error: ", LastProducerError()));
}

KafkaJournal::~KafkaJournal() {
  if (producer_ != nullptr) {
    // Deliver what is queued; what is left after the bound is purged, so
    // that its delivery reports (errors) still reach event_thread_.
    if (rd_kafka_flush(producer_, ToTimeoutMs(options_.request_timeout)) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_purge(producer_,
                     RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_flush(producer_, ToTimeoutMs(absl::Seconds(1)));
    }
  }
  if (event_thread_.joinable()) {
    stopping_.store(true);
    rd_kafka_queue_yield(main_queue_);
    event_thread_.join();
  }
  if (main_queue_ != nullptr) rd_kafka_queue_destroy(main_queue_);
  if (topic_handle_ != nullptr) rd_kafka_topic_destroy(topic_handle_);
  if (producer_ != nullptr) rd_kafka_destroy(producer_);
}

void KafkaJournal::ServeEvents() {
  while (!stopping_.load()) {
    rd_kafka_event_t* ev = rd_kafka_queue_poll(main_queue_, -1);
    if (ev == nullptr) continue;  // yielded: look at stopping_
    switch (rd_kafka_event_type(ev)) {
      case RD_KAFKA_EVENT_DR: {
        const rd_kafka_message_t* m;
        while ((m = rd_kafka_event_message_next(ev)) != nullptr) {
          std::unique_ptr<MessageRef> ref(
              static_cast<MessageRef*>(m->_private));
          if (ref == nullptr) continue;
          std::string detail;
          if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            char fatal[512];
            rd_kafka_fatal_error(producer_, fatal, sizeof(fatal));
            detail = absl::StrCat("fatal producer error: ", fatal);
          }
          ref->call->Finish(ref->index, m->err, m->offset, detail);
        }
        break;
      }
      case RD_KAFKA_EVENT_ERROR: {
        absl::MutexLock lock(&error_mu_);
        last_error_ =
            absl::StrCat(rd_kafka_event_error_is_fatal(ev) ? "fatal: " : "",
                         rd_kafka_err2name(rd_kafka_event_error(ev)), ": ",
                         rd_kafka_event_error_string(ev));
        break;
      }
      default:
        break;
    }
    rd_kafka_event_destroy(ev);
  }
}

std::string KafkaJournal::LastProducerError() const {
  absl::MutexLock lock(&error_mu_);
  return last_error_.empty() ? "none" : last_error_;
}

absl::StatusOr<Offset> KafkaJournal::Append(PartitionId partition,
                                            std::vector<JournalEntry> entries) {
  if (absl::Status s = CheckPartition(partition); !s.ok()) return s;
  if (absl::Status s = CheckEntries(entries, options_.record_bytes_max);
      !s.ok()) {
    return s;
  }
  auto call = std::make_shared<AppendCall>(entries.size());
  const absl::Status enqueue_error = Enqueue(partition, entries, call);

  // Every queued entry gets a report within message.timeout.ms.
  const absl::Time deadline =
      absl::Now() + options_.request_timeout + kDeliveryReportGrace;
  absl::MutexLock lock(&call->mu);
  auto done = [&call]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(call->mu) {
    return call->remaining == 0;
  };
  if (!call->mu.AwaitWithDeadline(absl::Condition(&done), deadline)) {
    return absl::UnavailableError(absl::StrCat(
        "no delivery report for ", call->remaining, " of ", entries.size(),
        " entries to ", options_.topic, "/", partition.value(), " within ",
        absl::FormatDuration(options_.request_timeout + kDeliveryReportGrace),
        "; last client error: ", LastProducerError()));
  }
  if (!enqueue_error.ok()) return enqueue_error;
  if (!call->error.ok()) return call->error;
  return Offset(call->first_offset);
}

absl::Status KafkaJournal::Enqueue(PartitionId partition,
                                   std::vector<JournalEntry>& entries,
                                   const std::shared_ptr<AppendCall>& call) {
  std::vector<rd_kafka_message_t> messages(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    rd_kafka_message_t& m = messages[i];
    std::memset(&m, 0, sizeof(m));
    m.payload = entries[i].value.data();
    m.len = entries[i].value.size();
    // A non-null key of length 0 stays an empty (not a null) Kafka key.
    m.key = entries[i].key.data();
    m.key_len = entries[i].key.size();
    m._private = new MessageRef{call, i};
  }
  int queued = 0;
  {
    absl::MutexLock lock(&produce_mu_);
    queued = rd_kafka_produce_batch(topic_handle_, partition.value(),
                                    RD_KAFKA_MSG_F_COPY, messages.data(),
                                    static_cast<int>(messages.size()));
  }
  absl::Status enqueue_error;
  if (queued == static_cast<int>(messages.size())) return enqueue_error;
  for (size_t i = 0; i < messages.size(); ++i) {
    const rd_kafka_resp_err_t err = messages[i].err;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    // Not queued: no delivery report will come for it.
    delete static_cast<MessageRef*>(messages[i]._private);
    if (enqueue_error.ok()) {
      const std::string message = absl::StrCat(
          "queueing entry ", i, " of ", messages.size(), " for ",
          options_.topic, "/", partition.value(), ": ", ErrText(err),
          err == RD_KAFKA_RESP_ERR__FATAL
              ? absl::StrCat(" (", LastProducerError(), ")")
              : "");
      enqueue_error = err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE
                          ? absl::InvalidArgumentError(message)
                          : absl::UnavailableError(message);
    }
    call->Finish(i, err, -1, "");
  }
  return enqueue_error;
}

absl::Status KafkaJournal::CheckPartition(PartitionId partition) const {
  if (partition.value() < 0 || partition.value() >= partition_count_) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition ", partition.value(), " not in [0, ",
                     partition_count_, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Offset> KafkaJournal::EndOffset(PartitionId partition) {
  if (absl::Status s = CheckPartition(partition); !s.ok()) return s;
  int64_t low = -1, high = -1;
  const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      producer_, options_.topic.c_str(), partition.value(), &low, &high,
      ToTimeoutMs(options_.request_timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("watermarks of ", options_.topic,
                                               "/", partition.value(), ": ",
                                               ErrText(err)));
  }
  return Offset(high);
}

absl::StatusOr<std::unique_ptr<JournalReader>> KafkaJournal::OpenReader(
    const std::vector<std::pair<PartitionId, Offset>>& start) {
  std::set<int32_t> seen;
  for (const auto& [partition, offset] : start) {
    if (absl::Status s = CheckPartition(partition); !s.ok()) return s;
    // Negative offsets are librdkafka's logical ones (beginning, end,
    // stored): the port has no implicit position.
    if (offset.value() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "offset ", offset.value(), " for partition ", partition.value()));
    }
    if (!seen.insert(partition.value()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("partition ", partition.value(), " given twice"));
    }
  }

  // assign() needs a group id in librdkafka; a unique one, never joined (no
  // subscribe) and never committed to, so readers never share a position.
  const std::string group_id = absl::StrCat(
      options_.client_id, ".journal-reader.", options_.topic, ".", getpid(),
      ".", reinterpret_cast<uintptr_t>(this), ".", reader_seq_.fetch_add(1),
      ".", absl::ToUnixNanos(absl::Now()));
  auto conf = ReaderConf(options_, group_id);
  if (!conf.ok()) return conf.status();
  char errstr[512];
  rd_kafka_t* rk =
      rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof(errstr));
  if (rk == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("creating a Kafka consumer: ", errstr));
  }
  static_cast<void>(conf->release());  // owned by the consumer now
  std::unique_ptr<rd_kafka_t, ConsumerDeleter> consumer(rk);
  // Errors come through rd_kafka_consumer_poll along with records.
  rd_kafka_poll_set_consumer(rk);

  std::unique_ptr<rd_kafka_topic_partition_list_t,
                  void (*)(rd_kafka_topic_partition_list_t*)>
      assignment(rd_kafka_topic_partition_list_new(
                     static_cast<int>(std::max<size_t>(start.size(), 1))),
                 rd_kafka_topic_partition_list_destroy);
  for (const auto& [partition, offset] : start) {
    rd_kafka_topic_partition_list_add(assignment.get(), options_.topic.c_str(),
                                      partition.value())
        ->offset = offset.value();
  }
  if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk, assignment.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat(
        "assigning partitions of ", options_.topic, ": ", ErrText(err)));
  }
  return std::make_unique<KafkaJournalReader>(consumer.release());
}

}  // namespace billing
