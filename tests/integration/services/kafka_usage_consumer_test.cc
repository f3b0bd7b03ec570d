// The usage topic's consumer on real parts: the mock Kafka broker as its own
// process (records produced by kcat, an outside client, as JSON lines), the
// embedded journal, RocksDB, the projector and the command lanes.
// Given customer C1 (account ACC1 with numbers N1 +33142680000 and N2
// +33142680001, rate plan PRO on ACC1: 0.020000 EUR/min to +33, first minute
// then per second, set-up 0.05) / when records are produced to
// billing.usage.v1 / then the totals, the quarantine, the duplicates and the
// stored offsets, across restarts of the consumer.

#include "services/kafka_usage_consumer.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "engine/usage/usage.h"
#include "gtest/gtest.h"
#include "storage/embedded_journal.h"
#include "tools/kafka_broker_process.h"

namespace billing {
namespace {

using ::billing::testing::KafkaBrokerProcess;
using ::billing::testing::ProcessResult;
using ::billing::testing::RunProcess;

constexpr char kTopic[] = "billing.usage.v1";
constexpr char kKcat[] = "/usr/bin/kcat";
constexpr absl::Duration kKcatTimeout = absl::Seconds(30);
// Bound of every wait for the consumer to get somewhere.
constexpr absl::Duration kConsumeTimeout = absl::Seconds(30);
constexpr char kN1[] = "+33142680000";
constexpr char kN2[] = "+33142680001";

// One kcat -K: line: key, then a JSON UsageRecord with the proto's names.
std::string Line(const std::string& number, const std::string& id,
                 int64_t seconds, const std::string& platform = "PBX1") {
  return absl::StrFormat(
      "%s:{\"platform_id\":\"%s\",\"record_id\":\"%s\",\"object\":\"%s\","
      "\"start_time\":\"2026-03-20T10:00:00+01:00\",\"kind\":"
      "\"USAGE_KIND_VOICE\",\"quantity\":\"%d\",\"destination\":"
      "\"+33612345678\"}\n",
      number, platform, id, number, seconds);
}

// The embedded journal, with appends that can be made to fail: the next
// `n` appends answer Unavailable, after writing their entries when `land`
// (the worst case: in the log, yet unacknowledged).
class FlakyJournal final : public Journal {
 public:
  explicit FlakyJournal(Journal* inner) : inner_(inner) {}
  void FailNext(int n, bool land) {
    land_ = land;
    failures_left_ = n;
  }
  int32_t partition_count() const override { return inner_->partition_count(); }
  absl::StatusOr<Offset> Append(PartitionId partition,
                                std::vector<JournalEntry> entries) override {
    if (failures_left_.fetch_sub(1) > 0) {
      if (land_) {
        if (auto s = inner_->Append(partition, std::move(entries)); !s.ok()) {
          return s.status();
        }
      }
      return absl::UnavailableError("injected: append outcome unknown");
    }
    return inner_->Append(partition, std::move(entries));
  }
  absl::StatusOr<Offset> EndOffset(PartitionId partition) override {
    return inner_->EndOffset(partition);
  }
  absl::StatusOr<std::unique_ptr<JournalReader>> OpenReader(
      const std::vector<std::pair<PartitionId, Offset>>& start) override {
    return inner_->OpenReader(start);
  }

 private:
  Journal* const inner_;
  std::atomic<bool> land_{false};
  std::atomic<int> failures_left_{0};
};

class KafkaUsageConsumerTest : public ::testing::Test {
 protected:
  static constexpr int32_t kPartitions = 2;

  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrFormat(
                "kafka_usage_%s_%d",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                getpid());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    auto broker = KafkaBrokerProcess::Start({});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    auto journal = EmbeddedJournal::Open(
        {.dir = (root_ / "journal").string(), .partition_count = kPartitions});
    ASSERT_TRUE(journal.ok()) << journal.status();
    journal_ = std::move(*journal);
    flaky_ = std::make_unique<FlakyJournal>(journal_.get());
    auto state = RocksState::Open({.path = (root_ / "state").string()});
    ASSERT_TRUE(state.ok()) << state.status();
    state_ = std::move(*state);
    projector_ =
        std::make_unique<Projector>(flaky_.get(), state_.get(), partitions_);
    ASSERT_TRUE(projector_->Start().ok());
    auto processor = CommandProcessor::Start(
        flaky_.get(), state_.get(), projector_.get(), &clock_, partitions_);
    ASSERT_TRUE(processor.ok()) << processor.status();
    processor_ = std::move(*processor);
    ingestor_ = std::make_unique<UsageIngestor>(processor_.get(), state_.get());
    GivenCustomerWithPlan();
  }

  void TearDown() override {
    consumer_.reset();
    processor_.reset();
    projector_.reset();
    state_.reset();
    flaky_.reset();
    journal_.reset();
    broker_.reset();
    std::filesystem::remove_all(root_);
  }

  void Given(v1::Command command, const std::string& key) {
    CommandRequest r;
    r.idempotency_key = key;
    r.command = std::move(command);
    auto answer = processor_->Execute(std::move(r));
    ASSERT_TRUE(answer.ok()) << key << ": " << answer.status();
  }

  void GivenCustomerWithPlan() {
    v1::Command c;
    c.mutable_create_customer()->mutable_customer()->set_customer_id("C1");
    c.mutable_create_customer()->mutable_customer()->set_name("ACME SA");
    Given(c, "customer");
    v1::Command entity;
    entity.mutable_structure()->set_customer_id("C1");
    auto* e =
        entity.mutable_structure()->mutable_create_entity()->mutable_entity();
    e->set_entity_id("A");
    e->set_name("Paris");
    Given(entity, "entity");
    v1::Command account;
    account.mutable_structure()->set_customer_id("C1");
    auto* a =
        account.mutable_structure()->mutable_create_object()->mutable_object();
    a->set_object_id("ACC1");
    a->set_kind(v1::OBJECT_KIND_ACCOUNT);
    Given(account, "account");
    int n = 0;
    for (const char* e164 : {kN1, kN2}) {
      ++n;
      v1::Command number;
      number.mutable_structure()->set_customer_id("C1");
      auto* o =
          number.mutable_structure()->mutable_create_object()->mutable_object();
      o->set_object_id(absl::StrCat("N", n));
      o->set_kind(v1::OBJECT_KIND_PHONE_NUMBER);
      o->set_parent_id("ACC1");
      o->set_e164(e164);
      Given(number, absl::StrCat("number", n));
    }
    v1::Command plan;
    plan.mutable_usage()->set_customer_id("C1");
    auto* v =
        plan.mutable_usage()->mutable_define_plan_version()->mutable_version();
    v->set_plan_id("PRO");
    v->set_effective_from("2026-01-01T00:00:00+01:00");
    v->set_currency("EUR");
    auto* entry = v->add_entries();
    entry->set_kind(v1::USAGE_KIND_VOICE);
    entry->set_destination_prefix("+33");
    entry->set_price_micros(20000);
    entry->set_per_quantity(60);
    entry->set_setup_fee_micros(50000);
    entry->set_first_increment(60);
    entry->set_increment(1);
    entry->set_zone_label("France");
    Given(plan, "plan");
    v1::Command assign;
    assign.mutable_usage()->set_customer_id("C1");
    assign.mutable_usage()->mutable_assign_plan()->set_object_id("ACC1");
    assign.mutable_usage()->mutable_assign_plan()->set_plan_id("PRO");
    Given(assign, "assign");
  }

  // kcat -P -K: -l FILE, to one partition so that offsets are known.
  void Produce(int32_t partition, const std::string& lines) {
    const std::string file =
        (root_ / absl::StrCat("records.", ++files_, ".jsonl")).string();
    {
      std::ofstream out(file);
      out << lines;
    }
    absl::StatusOr<ProcessResult> kcat =
        RunProcess({kKcat, "-P", "-b", broker_->bootstrap_servers(), "-t",
                    kTopic, "-p", absl::StrCat(partition), "-K:", "-l", file},
                   "", kKcatTimeout);
    ASSERT_TRUE(kcat.ok()) << kcat.status();
    ASSERT_EQ(kcat->exit_code, 0) << kcat->stderr_data;
  }

  std::unique_ptr<KafkaUsageConsumer> StartConsumer(
      std::function<void(const absl::Status&)> on_failure = nullptr) {
    KafkaUsageConsumerOptions o;
    o.on_failure = std::move(on_failure);
    o.bootstrap_servers = broker_->bootstrap_servers();
    o.topic = kTopic;
    o.batch_records_max = 100;
    auto c = KafkaUsageConsumer::Start(o, ingestor_.get(), state_.get());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // Waits until the consumer has committed `n` messages since its start.
  void AwaitConsumed(KafkaUsageConsumer& c, int64_t n) {
    const bool done = c.AwaitCounters(
        [n](const KafkaUsageCounters& k) { return k.consumed >= n; },
        kConsumeTimeout);
    ASSERT_TRUE(done) << "consumed " << c.counters().consumed << " of " << n
                      << " within " << kConsumeTimeout
                      << "; status: " << c.status();
  }

  std::optional<int64_t> Stored(int32_t partition) {
    auto s = KafkaUsageConsumer::StoredOffset(*state_, kTopic, partition);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : std::nullopt;
  }

  // "object records quantity billed amount", one per total of March.
  std::vector<std::string> MarchTotals() {
    std::vector<std::string> out;
    auto totals = UsageTotalsFor(*state_, "C1", "2026-03", "");
    EXPECT_TRUE(totals.ok()) << totals.status();
    if (!totals.ok()) return out;
    for (const auto& t : *totals) {
      out.push_back(absl::StrFormat("%s %s %d %d %d %d", t.object_id(),
                                    t.zone(), t.records(), t.quantity(),
                                    t.billed_quantity(), t.amount_micros()));
    }
    return out;
  }

  std::vector<v1::QuarantinedInput> Quarantine() {
    auto q = QuarantinedInputs(*state_, -1, 100);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? *q : std::vector<v1::QuarantinedInput>();
  }

  std::filesystem::path root_;
  int files_ = 0;
  std::vector<PartitionId> partitions_ = {PartitionId(0), PartitionId(1)};
  FixedBusinessClock clock_{BusinessDate(2026, 3, 20)};
  std::unique_ptr<KafkaBrokerProcess> broker_;
  std::unique_ptr<EmbeddedJournal> journal_;
  std::unique_ptr<FlakyJournal> flaky_;
  std::unique_ptr<RocksState> state_;
  std::unique_ptr<Projector> projector_;
  std::unique_ptr<CommandProcessor> processor_;
  std::unique_ptr<UsageIngestor> ingestor_;
  std::unique_ptr<KafkaUsageConsumer> consumer_;
};

// Records produced before the consumer ever ran are all consumed (a state
// with no stored offset starts at the earliest): the 61 s call is
// 0.070333, a 20 s call 0.070000 (first minute), the duplicate is counted
// and not billed, a malformed message and a record for an unknown number are
// quarantined with their source topic/partition/offset, and the next offsets
// are stored.
TEST_F(KafkaUsageConsumerTest, RatesDeduplicatesAndQuarantinesFromKcat) {
  ASSERT_TRUE(broker_->CreateTopic(kTopic, kPartitions).ok());
  Produce(0, Line(kN1, "R1", 61) + Line(kN1, "R2", 20) + Line(kN1, "R1", 61) +
                 std::string(kN1) + ":this is not a usage record\n" +
                 Line("+33999999999", "R3", 30));
  Produce(1, Line(kN2, "R4", 61));

  consumer_ = StartConsumer();
  ASSERT_NE(consumer_, nullptr);
  AwaitConsumed(*consumer_, 6);
  const KafkaUsageCounters k = consumer_->counters();
  EXPECT_EQ(k.consumed, 6);
  EXPECT_EQ(k.rated, 3);
  EXPECT_EQ(k.duplicates, 1);
  EXPECT_EQ(k.quarantined, 2);
  EXPECT_GE(k.batches, 1);
  EXPECT_EQ(consumer_->partition_count(), 2);

  EXPECT_EQ(MarchTotals(),
            (std::vector<std::string>{"N1 France 2 81 121 140333",
                                      "N2 France 1 61 61 70333"}));
  auto rated = RatedRecordsFor(*state_, "C1", "2026-03", "N2", 10);
  ASSERT_TRUE(rated.ok()) << rated.status();
  ASSERT_EQ(rated->size(), 1u);
  EXPECT_EQ((*rated)[0].rated().amount_micros(), 70333);

  std::vector<v1::QuarantinedInput> q = Quarantine();
  ASSERT_EQ(q.size(), 2u);
  std::map<std::string, v1::QuarantineInput> by_source;
  for (const auto& held : q) by_source[held.input().source()] = held.input();
  ASSERT_EQ(by_source.count("kafka:billing.usage.v1/0/3"), 1u);
  EXPECT_EQ(by_source["kafka:billing.usage.v1/0/3"].raw(),
            "this is not a usage record");
  EXPECT_NE(by_source["kafka:billing.usage.v1/0/3"].reason(), "");
  ASSERT_EQ(by_source.count("kafka:billing.usage.v1/0/4"), 1u);
  const v1::QuarantineInput& unknown = by_source["kafka:billing.usage.v1/0/4"];
  EXPECT_EQ(unknown.record().record_id(), "R3");
  EXPECT_NE(unknown.reason().find("+33999999999"), std::string::npos)
      << unknown.reason();

  EXPECT_EQ(Stored(0), 5);
  EXPECT_EQ(Stored(1), 1);
  consumer_->Stop();
  EXPECT_TRUE(consumer_->status().ok()) << consumer_->status();
}

// A new consumer on the same state resumes from the stored offsets: only the
// new records are consumed, and a record id sent again is not billed again.
// Then the crash between ingest and offset store, replayed: offsets rewound
// to 0 re-deliver everything, and nothing is billed or quarantined twice.
TEST_F(KafkaUsageConsumerTest, RestartResumesFromStoredOffsetsWithoutDoubles) {
  ASSERT_TRUE(broker_->CreateTopic(kTopic, kPartitions).ok());
  Produce(0, Line(kN1, "A1", 61) + Line(kN1, "A2", 120) + std::string(kN1) +
                 ":{\"not\": \"a record\"}\n");
  Produce(1, Line(kN2, "A3", 61));
  consumer_ = StartConsumer();
  ASSERT_NE(consumer_, nullptr);
  AwaitConsumed(*consumer_, 4);
  consumer_->Stop();
  ASSERT_TRUE(consumer_->status().ok()) << consumer_->status();
  EXPECT_EQ(consumer_->counters().rated, 3);
  const std::vector<std::string> first = MarchTotals();
  // 120 s: 0.05 + 0.04 = 0.09.
  EXPECT_EQ(first, (std::vector<std::string>{"N1 France 2 181 181 160333",
                                             "N2 France 1 61 61 70333"}));
  EXPECT_EQ(Stored(0), 3);
  EXPECT_EQ(Stored(1), 1);

  // While no consumer runs: new records, one of them an id billed before.
  Produce(0, Line(kN1, "B1", 61) + Line(kN1, "A1", 61));
  Produce(1, Line(kN2, "B2", 20));
  consumer_ = StartConsumer();
  ASSERT_NE(consumer_, nullptr);
  AwaitConsumed(*consumer_, 3);
  consumer_->Stop();
  KafkaUsageCounters k = consumer_->counters();
  EXPECT_EQ(k.consumed, 3) << "only what came after the stored offsets";
  EXPECT_EQ(k.rated, 2);
  EXPECT_EQ(k.duplicates, 1);
  EXPECT_EQ(k.quarantined, 0);
  const std::vector<std::string> second = MarchTotals();
  EXPECT_EQ(second, (std::vector<std::string>{"N1 France 3 242 242 230666",
                                              "N2 France 2 81 121 140333"}));
  EXPECT_EQ(Stored(0), 5);
  EXPECT_EQ(Stored(1), 2);
  ASSERT_EQ(Quarantine().size(), 1u);

  // A crash after IngestBatch but before the offsets were stored: the state
  // holds older offsets than what was ingested. Everything is re-delivered.
  OverlayState rewind(state_.get());
  rewind.Put(KafkaUsageConsumer::OffsetKey(kTopic, 0), "0");
  rewind.Put(KafkaUsageConsumer::OffsetKey(kTopic, 1), "0");
  ASSERT_TRUE(state_->Commit(rewind, /*sync=*/true).ok());
  consumer_ = StartConsumer();
  ASSERT_NE(consumer_, nullptr);
  AwaitConsumed(*consumer_, 7);
  consumer_->Stop();
  k = consumer_->counters();
  EXPECT_EQ(k.consumed, 7);
  EXPECT_EQ(k.rated, 0);
  EXPECT_EQ(k.duplicates, 6);
  EXPECT_EQ(k.quarantined, 1) << "the malformed message, answered again";
  EXPECT_EQ(MarchTotals(), second);
  EXPECT_EQ(Quarantine().size(), 1u) << "kept once";
  EXPECT_EQ(Stored(0), 5);
  EXPECT_EQ(Stored(1), 2);
}

// The topic does not exist yet when the consumer starts (ops have not
// created it): the consumer waits for it, without crashing, and consumes it
// from the earliest offset once it exists. Stop ends an idle consumer
// promptly.
TEST_F(KafkaUsageConsumerTest, WaitsForAMissingTopicAndStopsPromptly) {
  consumer_ = StartConsumer();
  ASSERT_NE(consumer_, nullptr);
  ASSERT_TRUE(consumer_->AwaitCounters(
      [](const KafkaUsageCounters& k) { return k.topic_waits >= 2; },
      kConsumeTimeout))
      << "the consumer never saw the topic missing";
  EXPECT_EQ(consumer_->partition_count(), 0);
  EXPECT_TRUE(consumer_->status().ok());
  ASSERT_TRUE(broker_->CreateTopic(kTopic, kPartitions).ok());
  Produce(1, Line(kN2, "L1", 61));
  AwaitConsumed(*consumer_, 1);
  EXPECT_EQ(consumer_->counters().rated, 1);
  EXPECT_EQ(MarchTotals(),
            (std::vector<std::string>{"N2 France 1 61 61 70333"}));
  const absl::Time before = absl::Now();
  consumer_->Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));
  EXPECT_TRUE(consumer_->status().ok()) << consumer_->status();
  EXPECT_EQ(Stored(1), 1);
  EXPECT_EQ(Stored(0), std::nullopt) << "nothing consumed there yet";
}

// IngestBatch answers Unavailable (the journal's appends fail; the first one
// after writing its entries, so they are in the log unacknowledged): the
// consumer sends the same batch again after a backoff, the offsets move only
// once it succeeded, and nothing is billed twice.
TEST_F(KafkaUsageConsumerTest, UnavailableBatchIsRetriedWithoutDoubles) {
  ASSERT_TRUE(broker_->CreateTopic(kTopic, kPartitions).ok());
  flaky_->FailNext(3, /*land=*/true);
  Produce(0, Line(kN1, "U1", 61) + Line(kN1, "U2", 20));
  Produce(1, Line(kN2, "U3", 61));
  consumer_ = StartConsumer();
  ASSERT_NE(consumer_, nullptr);
  AwaitConsumed(*consumer_, 3);
  consumer_->Stop();
  EXPECT_TRUE(consumer_->status().ok()) << consumer_->status();
  const KafkaUsageCounters k = consumer_->counters();
  EXPECT_GE(k.retries, 1);
  EXPECT_EQ(k.consumed, 3);
  // Landed in a failed attempt: reported as duplicates by the retry.
  EXPECT_EQ(k.rated + k.duplicates, 3);
  EXPECT_EQ(k.quarantined, 0);
  EXPECT_EQ(MarchTotals(),
            (std::vector<std::string>{"N1 France 2 81 121 140333",
                                      "N2 France 1 61 61 70333"}));
  EXPECT_EQ(Stored(0), 2);
  EXPECT_EQ(Stored(1), 1);
}

// A stored offset outside the log (records deleted before they were
// consumed, or a recreated topic) is never skipped silently to an end: the
// consumer stops with DataLoss naming the partition, and stores nothing.
TEST_F(KafkaUsageConsumerTest, StoredOffsetOutsideTheLogStopsWithDataLoss) {
  ASSERT_TRUE(broker_->CreateTopic(kTopic, kPartitions).ok());
  Produce(0, Line(kN1, "D1", 61));
  OverlayState ahead(state_.get());
  ahead.Put(KafkaUsageConsumer::OffsetKey(kTopic, 0), "100");
  ASSERT_TRUE(state_->Commit(ahead, /*sync=*/true).ok());
  absl::Mutex mu;
  std::vector<absl::Status> failures;
  consumer_ = StartConsumer([&](const absl::Status& s) {
    absl::MutexLock lock(&mu);
    failures.push_back(s);
  });
  ASSERT_NE(consumer_, nullptr);
  // Returns when the consumer ends on its own.
  EXPECT_FALSE(consumer_->AwaitCounters(
      [](const KafkaUsageCounters&) { return false; }, kConsumeTimeout));
  const absl::Status s = consumer_->status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("billing.usage.v1/0"), std::string::npos) << s;
  EXPECT_EQ(consumer_->counters().consumed, 0);
  EXPECT_EQ(Stored(0), 100);
  EXPECT_TRUE(MarchTotals().empty());
  consumer_->Stop();
  absl::MutexLock lock(&mu);
  ASSERT_EQ(failures.size(), 1u) << "on_failure once";
  EXPECT_EQ(failures[0], s);
}

// Bad options are refused at Start.
TEST(KafkaUsageConsumerOptionsTest, RefusesBadOptions) {
  KafkaUsageConsumerOptions o;
  auto c = KafkaUsageConsumer::Start(o, nullptr, nullptr);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KafkaUsageConsumer::OffsetKey("billing.usage.v1", 3),
            "ingest/kafka/billing.usage.v1/3");
}

}  // namespace
}  // namespace billing
