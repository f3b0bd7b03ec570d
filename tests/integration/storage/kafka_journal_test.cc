// KafkaJournal against librdkafka's mock cluster, run as a separate broker
// process (tests/tools/mock_kafka_broker.c): the journal conformance suite,
// plus what only Kafka has: outside clients (kcat) reading what we wrote and
// writing what we read, Kafka's partitioner, unreachable brokers.
//
// One broker per test program, started on first use; one fresh topic per
// journal. The mock refuses the Admin API's CreateTopics, so topics are made
// through the broker process (KafkaBrokerProcess::CreateTopic).

#include "storage/kafka_journal.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "tests/integration/storage/journal_conformance.h"
#include "tools/kafka_broker_process.h"

namespace billing::testing {
namespace {

constexpr char kKcat[] = "/usr/bin/kcat";
// Bound on one kcat run (it connects, reads or writes a few records, exits).
constexpr absl::Duration kKcatTimeout = absl::Seconds(20);
// Bound on reading back records that are known to be in the log.
constexpr absl::Duration kReadTimeout = absl::Seconds(10);
// request_timeout of the journals under test: long enough for a loaded CI
// machine, short enough that a broken test fails fast.
constexpr absl::Duration kRequestTimeout = absl::Seconds(10);

// The program's broker, started on first use and stopped at exit.
absl::StatusOr<KafkaBrokerProcess*> SharedBroker() {
  static auto* const broker =
      new absl::StatusOr<std::unique_ptr<KafkaBrokerProcess>>(
          KafkaBrokerProcess::Start({}));
  static const int cleanup = std::atexit([] { delete broker; });
  (void)cleanup;
  if (!broker->ok()) return broker->status();
  return broker->value().get();
}

// A topic name no other journal of this program (or of another test process
// on the same broker) uses.
std::string NewTopicName() {
  static std::atomic<int> seq{0};
  return absl::StrCat("journal-test-", getpid(), "-", seq.fetch_add(1));
}

KafkaJournalOptions OptionsFor(const KafkaBrokerProcess& broker,
                               const std::string& topic) {
  KafkaJournalOptions options;
  options.bootstrap_servers = broker.bootstrap_servers();
  options.topic = topic;
  options.request_timeout = kRequestTimeout;
  // The mock holds every empty fetch for the whole wait, even when records
  // arrive meanwhile (a real broker answers at once).
  options.fetch_wait_max = absl::Milliseconds(20);
  return options;
}

class KafkaJournalFactory : public JournalFactory {
 public:
  std::string Name() const override { return "Kafka"; }

  absl::StatusOr<std::unique_ptr<Journal>> Create(int32_t partitions) override {
    absl::StatusOr<KafkaBrokerProcess*> broker = SharedBroker();
    if (!broker.ok()) return broker.status();
    std::string topic = NewTopicName();
    if (absl::Status s = (*broker)->CreateTopic(topic, partitions); !s.ok()) {
      return s;
    }
    last_topic_ = std::move(topic);
    return Reopen();
  }

  absl::StatusOr<std::unique_ptr<Journal>> Reopen() override {
    absl::StatusOr<KafkaBrokerProcess*> broker = SharedBroker();
    if (!broker.ok()) return broker.status();
    if (last_topic_.empty()) {
      return absl::FailedPreconditionError("Reopen before Create");
    }
    absl::StatusOr<std::unique_ptr<KafkaJournal>> journal =
        KafkaJournal::Open(OptionsFor(**broker, last_topic_));
    if (!journal.ok()) return journal.status();
    return std::unique_ptr<Journal>(*std::move(journal));
  }

 private:
  std::string last_topic_;
};

KafkaJournalFactory kafka_factory;

INSTANTIATE_TEST_SUITE_P(Kafka, JournalConformanceTest,
                         ::testing::Values(&kafka_factory));

// Polls `reader` until it has returned `count` records or `timeout` passed.
std::vector<JournalRecord> ReadRecords(JournalReader& reader, size_t count,
                                       absl::Duration timeout) {
  std::vector<JournalRecord> records;
  const absl::Time deadline = absl::Now() + timeout;
  while (records.size() < count && absl::Now() < deadline) {
    absl::StatusOr<std::vector<JournalRecord>> batch =
        reader.Poll(count - records.size(),
                    std::min(absl::Milliseconds(500), deadline - absl::Now()));
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok()) break;
    for (JournalRecord& r : *batch) records.push_back(std::move(r));
  }
  return records;
}

class KafkaJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<KafkaBrokerProcess*> broker = SharedBroker();
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *broker;
  }

  // A journal on a new topic of `partitions`.
  std::unique_ptr<KafkaJournal> NewJournal(int32_t partitions) {
    const std::string topic = NewTopicName();
    absl::Status created = broker_->CreateTopic(topic, partitions);
    EXPECT_TRUE(created.ok()) << created;
    if (!created.ok()) return nullptr;
    absl::StatusOr<std::unique_ptr<KafkaJournal>> journal =
        KafkaJournal::Open(OptionsFor(*broker_, topic));
    EXPECT_TRUE(journal.ok()) << journal.status();
    return journal.ok() ? *std::move(journal) : nullptr;
  }

  absl::StatusOr<ProcessResult> Kcat(const std::vector<std::string>& args,
                                     absl::string_view input = "") {
    // The mock holds an empty fetch for its whole wait: kcat's -e would
    // otherwise spend half a second per end of partition.
    std::vector<std::string> argv = {kKcat, "-b", broker_->bootstrap_servers(),
                                     "-X", "fetch.wait.max.ms=10"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, input, kKcatTimeout);
  }

  KafkaBrokerProcess* broker_ = nullptr;
};

// Records appended by KafkaJournal are ordinary Kafka records: kcat, an
// outside client, reads them with their keys, values and offsets.
TEST_F(KafkaJournalTest, KcatReadsAppendedRecords) {
  std::unique_ptr<KafkaJournal> journal = NewJournal(2);
  ASSERT_NE(journal, nullptr);
  absl::StatusOr<Offset> first = journal->Append(
      PartitionId(1),
      {{"cust-a", "one"}, {"cust-b", "two"}, {"cust-a", "three"}});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->value(), 0);
  first = journal->Append(PartitionId(1), {{"cust-c", "four"}});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->value(), 3);

  absl::StatusOr<ProcessResult> kcat =
      Kcat({"-C", "-t", journal->topic(), "-p", "1", "-o", "beginning", "-e",
            "-q", "-f", "%k=%s@%p:%o\\n"});
  ASSERT_TRUE(kcat.ok()) << kcat.status();
  ASSERT_EQ(kcat->exit_code, 0) << kcat->stderr_data;
  EXPECT_EQ(kcat->stdout_data,
            "cust-a=one@1:0\n"
            "cust-b=two@1:1\n"
            "cust-a=three@1:2\n"
            "cust-c=four@1:3\n");

  // Partition 0 stayed empty.
  kcat = Kcat({"-C", "-t", journal->topic(), "-p", "0", "-o", "beginning", "-e",
               "-q", "-f", "%k@%o\\n"});
  ASSERT_TRUE(kcat.ok()) << kcat.status();
  ASSERT_EQ(kcat->exit_code, 0) << kcat->stderr_data;
  EXPECT_EQ(kcat->stdout_data, "");
}

// A record produced by an outside client (kcat) is read by the journal's
// reader, at the offset Kafka gave it.
TEST_F(KafkaJournalTest, ReaderReadsRecordsProducedByKcat) {
  std::unique_ptr<KafkaJournal> journal = NewJournal(3);
  ASSERT_NE(journal, nullptr);
  absl::StatusOr<ProcessResult> kcat =
      Kcat({"-P", "-t", journal->topic(), "-p", "2", "-K:"},
           "k1:first value\nk2:second value\n");
  ASSERT_TRUE(kcat.ok()) << kcat.status();
  ASSERT_EQ(kcat->exit_code, 0) << kcat->stderr_data;

  absl::StatusOr<Offset> end = journal->EndOffset(PartitionId(2));
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->value(), 2);

  absl::StatusOr<std::unique_ptr<JournalReader>> reader =
      journal->OpenReader({{PartitionId(2), Offset(0)}});
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<JournalRecord> records = ReadRecords(**reader, 2, kReadTimeout);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].partition, PartitionId(2));
  EXPECT_EQ(records[0].offset, Offset(0));
  EXPECT_EQ(records[0].key, "k1");
  EXPECT_EQ(records[0].value, "first value");
  EXPECT_EQ(records[1].offset, Offset(1));
  EXPECT_EQ(records[1].key, "k2");
  EXPECT_EQ(records[1].value, "second value");

  // Our own append lands after kcat's records.
  absl::StatusOr<Offset> ours = journal->Append(PartitionId(2), {{"k3", "v3"}});
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ(ours->value(), 2);
}

// billing::PartitionOf is Kafka's default partitioner: it agrees with
// librdkafka's murmur2 partitioner (the Java client's), so a key goes to the
// same partition whichever client produces it.
TEST(KafkaPartitionerTest, PartitionOfAgreesWithLibrdkafkaMurmur2) {
  std::vector<std::string> keys = {"",
                                   "a",
                                   "ab",
                                   "abc",
                                   "abcd",
                                   "abcde",
                                   "customer-\xc3\xa9t\xc3\xa9",
                                   std::string("\0\x01\xff\x80", 4)};
  for (int i = 0; i < 400; ++i) keys.push_back(absl::StrCat("customer-", i));
  for (int i = 0; i < 100; ++i) {
    keys.push_back(absl::StrCat("+4420", 70000000 + i * 7919));
  }
  for (const int32_t partitions : {1, 3, 4, 12, 100, 1000}) {
    for (const std::string& key : keys) {
      // A non-null pointer for the empty key: a null key would be random.
      const int32_t expected = rd_kafka_msg_partitioner_murmur2(
          nullptr, key.data(), key.size(), partitions, nullptr, nullptr);
      EXPECT_EQ(PartitionOf(key, partitions).value(), expected)
          << "key '" << key << "', " << partitions << " partitions";
    }
  }
}

// Open against an address where nothing listens fails with Unavailable once
// request_timeout has passed, not later.
TEST(KafkaJournalOpenTest, UnreachableBrokersAreUnavailable) {
  KafkaJournalOptions options;
  options.bootstrap_servers = "127.0.0.1:1";
  options.topic = "unreachable";
  options.request_timeout = absl::Milliseconds(500);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<KafkaJournal>> journal =
      KafkaJournal::Open(options);
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_TRUE(absl::IsUnavailable(journal.status())) << journal.status();
  EXPECT_LT(elapsed, absl::Seconds(10));
}

// Options are checked before anything connects.
TEST(KafkaJournalOpenTest, BadOptionsAreInvalidArgument) {
  KafkaJournalOptions options;
  EXPECT_TRUE(absl::IsInvalidArgument(KafkaJournal::Open(options).status()));
  options.bootstrap_servers = "127.0.0.1:1";
  options.partition_count = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(KafkaJournal::Open(options).status()));
  options.partition_count = 4;
  options.request_timeout = absl::ZeroDuration();
  EXPECT_TRUE(absl::IsInvalidArgument(KafkaJournal::Open(options).status()));
}

// When the topic exists, its partition count wins over the option.
TEST_F(KafkaJournalTest, ExistingTopicsPartitionCountWins) {
  const std::string topic = NewTopicName();
  ASSERT_TRUE(broker_->CreateTopic(topic, 3).ok());
  KafkaJournalOptions options = OptionsFor(*broker_, topic);
  options.partition_count = 8;
  absl::StatusOr<std::unique_ptr<KafkaJournal>> journal =
      KafkaJournal::Open(options);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_EQ((*journal)->partition_count(), 3);
}

// A missing topic is never created behind our back with the broker's default
// partition count: Open asks CreateTopics, which the mock cluster refuses (its
// admin request waits for a controller the mock never names), so Open fails
// within request_timeout instead.
TEST_F(KafkaJournalTest, MissingTopicOnMockClusterFailsOpen) {
  KafkaJournalOptions options = OptionsFor(*broker_, NewTopicName());
  options.request_timeout = absl::Milliseconds(500);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<KafkaJournal>> journal =
      KafkaJournal::Open(options);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  ASSERT_FALSE(journal.ok());
  EXPECT_TRUE(absl::IsUnavailable(journal.status()) ||
              absl::IsNotFound(journal.status()))
      << journal.status();
  EXPECT_NE(journal.status().message().find("CreateTopics"),
            absl::string_view::npos)
      << journal.status();
}

// Concurrent appends from many threads to one partition each get their own
// range of consecutive offsets, and the log holds every entry once, each
// call's entries together and in order.
TEST_F(KafkaJournalTest, ConcurrentAppendsKeepEachCallContiguous) {
  std::unique_ptr<KafkaJournal> journal = NewJournal(1);
  ASSERT_NE(journal, nullptr);
  constexpr int kThreads = 8;
  constexpr int kAppendsPerThread = 25;
  constexpr int kEntriesPerAppend = 3;
  std::vector<std::vector<std::pair<int64_t, std::string>>> firsts(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int a = 0; a < kAppendsPerThread; ++a) {
        std::vector<JournalEntry> entries;
        const std::string call = absl::StrCat("t", t, "a", a);
        for (int e = 0; e < kEntriesPerAppend; ++e) {
          entries.push_back({call, absl::StrCat(call, "e", e)});
        }
        absl::StatusOr<Offset> first =
            journal->Append(PartitionId(0), std::move(entries));
        EXPECT_TRUE(first.ok()) << first.status();
        if (first.ok()) firsts[t].emplace_back(first->value(), call);
      }
    });
  }
  for (std::thread& t : threads) t.join();

  constexpr int kTotal = kThreads * kAppendsPerThread * kEntriesPerAppend;
  absl::StatusOr<Offset> end = journal->EndOffset(PartitionId(0));
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->value(), kTotal);

  absl::StatusOr<std::unique_ptr<JournalReader>> reader =
      journal->OpenReader({{PartitionId(0), Offset(0)}});
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<JournalRecord> records =
      ReadRecords(**reader, kTotal, kReadTimeout);
  ASSERT_EQ(records.size(), static_cast<size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(records[i].offset, Offset(i));
  for (const auto& per_thread : firsts) {
    ASSERT_EQ(per_thread.size(), static_cast<size_t>(kAppendsPerThread));
    for (const auto& [first, call] : per_thread) {
      for (int e = 0; e < kEntriesPerAppend; ++e) {
        const JournalRecord& r = records[first + e];
        EXPECT_EQ(r.key, call);
        EXPECT_EQ(r.value, absl::StrCat(call, "e", e));
      }
    }
  }
}

// A reader told to start beyond the end of the log reports DataLoss: the
// journal never jumps to an end (auto.offset.reset=error).
TEST_F(KafkaJournalTest, ReaderStartingPastTheEndIsDataLoss) {
  std::unique_ptr<KafkaJournal> journal = NewJournal(1);
  ASSERT_NE(journal, nullptr);
  ASSERT_TRUE(journal->Append(PartitionId(0), {{"k", "v0"}, {"k", "v1"}}).ok());
  absl::StatusOr<std::unique_ptr<JournalReader>> reader =
      journal->OpenReader({{PartitionId(0), Offset(5)}});
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::Status status;
  const absl::Time deadline = absl::Now() + kReadTimeout;
  while (status.ok() && absl::Now() < deadline) {
    absl::StatusOr<std::vector<JournalRecord>> batch =
        (*reader)->Poll(10, absl::Milliseconds(500));
    if (batch.ok()) {
      EXPECT_TRUE(batch->empty())
          << "read offset " << batch->front().offset.value();
    }
    status = batch.status();
  }
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
}

// A reader at the end of the log waits, then sees a record appended later.
TEST_F(KafkaJournalTest, ReaderAtTheEndSeesLaterAppends) {
  std::unique_ptr<KafkaJournal> journal = NewJournal(2);
  ASSERT_NE(journal, nullptr);
  ASSERT_TRUE(journal->Append(PartitionId(1), {{"k", "old"}}).ok());
  absl::StatusOr<std::unique_ptr<JournalReader>> reader =
      journal->OpenReader({{PartitionId(1), Offset(1)}});
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::vector<JournalRecord>> nothing =
      (*reader)->Poll(10, absl::Milliseconds(200));
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_TRUE(nothing->empty());

  ASSERT_TRUE(journal->Append(PartitionId(1), {{"k", "new"}}).ok());
  std::vector<JournalRecord> records = ReadRecords(**reader, 1, kReadTimeout);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].offset, Offset(1));
  EXPECT_EQ(records[0].value, "new");
}

// A cluster of three brokers (topic made by the broker's --topic flag):
// partitions led by different brokers are all written and read through the
// one bootstrap list.
TEST(KafkaMultiBrokerTest, EveryPartitionOfAThreeBrokerClusterWorks) {
  constexpr int32_t kPartitions = 6;
  absl::StatusOr<std::unique_ptr<KafkaBrokerProcess>> broker =
      KafkaBrokerProcess::Start({absl::StrCat("multi:", kPartitions)},
                                /*brokers=*/3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  EXPECT_EQ(std::vector<std::string>(
                absl::StrSplit((*broker)->bootstrap_servers(), ','))
                .size(),
            3u)
      << (*broker)->bootstrap_servers();
  absl::StatusOr<std::unique_ptr<KafkaJournal>> journal =
      KafkaJournal::Open(OptionsFor(**broker, "multi"));
  ASSERT_TRUE(journal.ok()) << journal.status();
  ASSERT_EQ((*journal)->partition_count(), kPartitions);

  std::vector<std::pair<PartitionId, Offset>> start;
  for (int32_t p = 0; p < kPartitions; ++p) {
    absl::StatusOr<Offset> first = (*journal)->Append(
        PartitionId(p), {{absl::StrCat("key-", p), absl::StrCat("value-", p)}});
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(first->value(), 0);
    absl::StatusOr<Offset> end = (*journal)->EndOffset(PartitionId(p));
    ASSERT_TRUE(end.ok()) << end.status();
    EXPECT_EQ(end->value(), 1);
    start.push_back({PartitionId(p), Offset(0)});
  }
  absl::StatusOr<std::unique_ptr<JournalReader>> reader =
      (*journal)->OpenReader(start);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<JournalRecord> records =
      ReadRecords(**reader, kPartitions, kReadTimeout);
  ASSERT_EQ(records.size(), static_cast<size_t>(kPartitions));
  std::map<int32_t, std::string> by_partition;
  for (const JournalRecord& r : records) {
    EXPECT_EQ(r.key, absl::StrCat("key-", r.partition.value()));
    by_partition[r.partition.value()] = r.value;
  }
  for (int32_t p = 0; p < kPartitions; ++p) {
    EXPECT_EQ(by_partition[p], absl::StrCat("value-", p));
  }
}

// Bad arguments are refused before anything is produced or assigned.
TEST_F(KafkaJournalTest, BadArgumentsAreInvalidArgument) {
  std::unique_ptr<KafkaJournal> journal = NewJournal(2);
  ASSERT_NE(journal, nullptr);
  EXPECT_TRUE(absl::IsInvalidArgument(
      journal->Append(PartitionId(2), {{"k", "v"}}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      journal->Append(PartitionId(-1), {{"k", "v"}}).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(journal->Append(PartitionId(0), {}).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(journal->EndOffset(PartitionId(2)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      journal->OpenReader({{PartitionId(0), Offset(-1)}}).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(journal
                                  ->OpenReader({{PartitionId(0), Offset(0)},
                                                {PartitionId(0), Offset(1)}})
                                  .status()));
  absl::StatusOr<Offset> end = journal->EndOffset(PartitionId(0));
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(end->value(), 0);
}

}  // namespace
}  // namespace billing::testing
