// The write path on real parts: embedded journal, RocksDB, projector thread.
// Given a journal and state / when commands are executed / then the answers,
// the records in the log and the state.

#include "services/command_processor.h"

#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "engine/core/keys.h"
#include "engine/customer/customer.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "storage/embedded_journal.h"

namespace billing {
namespace {

CommandRequest Create(const std::string& id, const std::string& key,
                      const std::string& name = "ACME SA") {
  CommandRequest r;
  r.idempotency_key = key;
  v1::Customer* c = r.command.mutable_create_customer()->mutable_customer();
  c->set_customer_id(id);
  c->set_name(name);
  return r;
}

// Customer `i` of thread `t` in the concurrent test.
std::string BatchedId(int t, int i) {
  return absl::StrFormat("T%02dC%03d", t, i);
}

CommandRequest Rename(const std::string& id, const std::string& key,
                      const std::string& name) {
  CommandRequest r;
  r.idempotency_key = key;
  auto* u = r.command.mutable_update_customer();
  u->mutable_customer()->set_customer_id(id);
  u->mutable_customer()->set_name(name);
  u->mutable_update_mask()->add_paths("name");
  return r;
}

class CommandProcessorTest : public ::testing::Test {
 protected:
  static constexpr int32_t kPartitions = 2;

  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrFormat(
                "commands_%s_%d",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                getpid());
    std::filesystem::remove_all(root_);
    auto journal = EmbeddedJournal::Open(
        {.dir = (root_ / "journal").string(), .partition_count = kPartitions});
    ASSERT_TRUE(journal.ok()) << journal.status();
    journal_ = std::move(*journal);
    auto state = RocksState::Open({.path = (root_ / "state").string()});
    ASSERT_TRUE(state.ok()) << state.status();
    state_ = std::move(*state);
    projector_ =
        std::make_unique<Projector>(journal_.get(), state_.get(), partitions_);
    ASSERT_TRUE(projector_->Start().ok());
    processor_ = StartProcessor();
  }
  void TearDown() override {
    processor_.reset();
    projector_.reset();
    state_.reset();
    journal_.reset();
    std::filesystem::remove_all(root_);
  }
  std::unique_ptr<CommandProcessor> StartProcessor(
      CommandProcessorOptions options = {}) {
    auto p = CommandProcessor::Start(journal_.get(), state_.get(),
                                     projector_.get(), &clock_, partitions_,
                                     std::move(options));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? std::move(*p) : nullptr;
  }
  int64_t RecordsInLog() {
    int64_t n = 0;
    for (PartitionId p : partitions_) n += journal_->EndOffset(p)->value();
    return n;
  }
  // Keys under `prefix` in the state.
  int CountKeys(absl::string_view prefix) {
    int n = 0;
    EXPECT_TRUE(state_
                    ->Scan(prefix, "",
                           [&](absl::string_view, absl::string_view) {
                             ++n;
                             return true;
                           })
                    .ok());
    return n;
  }
  // Command records skipped as already applied, over every partition.
  uint64_t DuplicateRecords() {
    uint64_t n = 0;
    for (PartitionId p : partitions_) {
      auto progress = LoadPartitionProgress(*state_, p);
      EXPECT_TRUE(progress.ok()) << progress.status();
      if (progress.ok()) n += progress->duplicate_records();
    }
    return n;
  }
  // The state holds `answered` byte for byte.
  void ExpectStoredAsAnswered(const v1::Customer& answered) {
    auto stored = LoadCustomer(*state_, answered.customer_id());
    ASSERT_TRUE(stored.ok()) << stored.status();
    ASSERT_TRUE(stored->has_value()) << answered.customer_id() << " not stored";
    EXPECT_EQ(SerializeDeterministic(**stored),
              SerializeDeterministic(answered))
        << answered.customer_id();
  }

  std::filesystem::path root_;
  std::vector<PartitionId> partitions_ = {PartitionId(0), PartitionId(1)};
  FixedBusinessClock clock_{BusinessDate(2026, 3, 20)};
  std::unique_ptr<EmbeddedJournal> journal_;
  std::unique_ptr<RocksState> state_;
  std::unique_ptr<Projector> projector_;
  std::unique_ptr<CommandProcessor> processor_;
};

// A create is answered with the customer as applied, dated by the clock.
TEST_F(CommandProcessorTest, CreateIsAnsweredOnceApplied) {
  auto r = processor_->Execute(Create("C1", "k1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->customer().customer_id(), "C1");
  EXPECT_EQ(r->customer().created_on(), "2026-03-20");
  auto stored = LoadCustomer(*state_, "C1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->name(), "ACME SA");
}

// A request's own business date wins over the clock; a bad one names the
// field and appends nothing.
TEST_F(CommandProcessorTest, RequestBusinessDateWinsAndIsValidated) {
  CommandRequest r = Create("C1", "k1");
  r.business_date = "2026-01-31";
  EXPECT_EQ(processor_->Execute(r)->customer().created_on(), "2026-01-31");
  const int64_t before = RecordsInLog();
  CommandRequest bad = Create("C2", "k2");
  bad.business_date = "31/01/2026";
  auto s = processor_->Execute(bad);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("business_date"), std::string::npos);
  EXPECT_EQ(RecordsInLog(), before);
}

// The same key with the same request returns the first answer and writes
// nothing; with another request it is FAILED_PRECONDITION.
TEST_F(CommandProcessorTest, IdempotencyKeyReturnsTheFirstAnswer) {
  auto first = processor_->Execute(Create("C1", "k1"));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(processor_->Execute(Rename("C1", "k2", "New name")).ok());
  const int64_t before = RecordsInLog();
  auto again = processor_->Execute(Create("C1", "k1"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(first->replayed());
  EXPECT_TRUE(again->replayed()) << "a replay says so";
  EXPECT_EQ(again->customer().name(), "ACME SA") << "the first answer";
  EXPECT_EQ(again->customer().version(), 1u);
  EXPECT_EQ(RecordsInLog(), before);
  auto other = processor_->Execute(Create("C1", "k1", "Another name"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("idempotency_key"),
            std::string::npos);
}

// A rejected command appends nothing and is not remembered: fixing the
// request and retrying with the same key works.
TEST_F(CommandProcessorTest, RejectionWritesNothing) {
  CommandRequest bad = Create("C1", "k1");
  bad.command.mutable_create_customer()->mutable_customer()->set_currency(
      "EURO");
  const int64_t before = RecordsInLog();
  auto s = processor_->Execute(bad);
  EXPECT_EQ(RejectionDetail(s.status().message()),
            "customer.currency: \"EURO\" is not an ISO 4217 code");
  EXPECT_EQ(RejectionName(s.status().message()),
            customer_rejections::kCurrencyInvalid.name);
  EXPECT_EQ(RecordsInLog(), before);
  EXPECT_TRUE(processor_->Execute(Create("C1", "k1")).ok());
}

// Many concurrent callers: every command applied exactly once (each
// customer in the state once, at version 1, equal to its caller's answer;
// one record per command, at its own position; no duplicate skipped), and
// the lanes commit them in groups (fewer journal appends than commands).
TEST_F(CommandProcessorTest, ConcurrentCommandsAreBatched) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 40;
  constexpr int kCommands = kThreads * kPerThread;
  const int64_t before = RecordsInLog();
  std::vector<absl::StatusOr<v1::IdempotencyRecord>> answers(
      kCommands, absl::UnknownError("not answered"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        answers[t * kPerThread + i] = processor_->Execute(
            Create(BatchedId(t, i), "key-" + BatchedId(t, i),
                   "Name " + BatchedId(t, i)));
      }
    });
  }
  for (auto& th : threads) th.join();

  std::set<std::pair<int32_t, int64_t>> positions;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = BatchedId(t, i);
      const auto& answer = answers[t * kPerThread + i];
      ASSERT_TRUE(answer.ok()) << id << ": " << answer.status();
      EXPECT_EQ(answer->customer().customer_id(), id);
      EXPECT_EQ(answer->customer().name(), "Name " + id);
      EXPECT_EQ(answer->customer().version(), 1u) << id;
      ExpectStoredAsAnswered(answer->customer());
      positions.insert(
          {answer->position().partition(), answer->position().offset()});
    }
  }
  EXPECT_EQ(positions.size(), size_t{kCommands}) << "a record per command";
  EXPECT_EQ(CountKeys(kCustomerPrefix), kCommands);
  EXPECT_EQ(CountKeys(kIdempotencyPrefix), kCommands);
  EXPECT_EQ(RecordsInLog() - before, kCommands);
  EXPECT_EQ(DuplicateRecords(), 0u);
  const EmbeddedJournalStats stats = journal_->stats();
  EXPECT_LT(stats.appends, kCommands) << "no batching happened";
}

// Eight threads send one create with one key at once: one record is
// written, and every caller gets the same answer, which is what the state
// holds (the customer at version 1).
TEST_F(CommandProcessorTest, SameKeyFromEightThreadsWritesOnceAndAnswersAlike) {
  constexpr int kThreads = 8;
  const int64_t before = RecordsInLog();
  std::vector<absl::StatusOr<v1::IdempotencyRecord>> answers(
      kThreads, absl::UnknownError("not answered"));
  absl::Notification go;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      go.WaitForNotification();
      answers[t] = processor_->Execute(Create("C1", "same-key"));
    });
  }
  go.Notify();
  for (auto& th : threads) th.join();

  // One first answer; the seven others are that answer given again, and
  // say so (IdempotencyRecord.replayed), whether their copy met the key in
  // the state or earlier in the same lane batch.
  auto without_flag = [](v1::IdempotencyRecord a) {
    a.clear_replayed();
    return SerializeDeterministic(a);
  };
  int replayed = 0;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(answers[t].ok())
        << "thread " << t << ": " << answers[t].status();
    EXPECT_EQ(answers[t]->customer().version(), 1u);
    ExpectStoredAsAnswered(answers[t]->customer());
    EXPECT_EQ(without_flag(*answers[t]), without_flag(*answers[0]))
        << "thread " << t << " got another answer";
    replayed += answers[t]->replayed() ? 1 : 0;
  }
  EXPECT_EQ(replayed, kThreads - 1);
  EXPECT_EQ(RecordsInLog() - before, 1);
  EXPECT_EQ(CountKeys(kCustomerPrefix), 1);
  EXPECT_EQ(CountKeys(kIdempotencyPrefix), 1);
}

// The flake of KafkaUsageConsumerTest.RatesDeduplicatesAndQuarantinesFromKcat,
// at its root: a copy of a request that reaches the lane in the same batch
// as its first copy (before that one is projected) got the first answer as
// if it were its own. It is the first answer given again: replayed says so.
TEST_F(CommandProcessorTest, SameKeyTwiceInOneBatchAnswersTheSecondAsReplayed) {
  std::vector<CommandRequest> twice;
  twice.push_back(Create("C1", "k1"));
  twice.push_back(Create("C1", "k1"));
  auto answers = processor_->ExecuteBatch(std::move(twice));
  ASSERT_EQ(answers.size(), 2u);
  ASSERT_TRUE(answers[0].ok()) << answers[0].status();
  ASSERT_TRUE(answers[1].ok()) << answers[1].status();
  EXPECT_FALSE(answers[0]->replayed());
  EXPECT_TRUE(answers[1]->replayed());
  EXPECT_EQ(answers[1]->customer().version(), 1u);
  EXPECT_EQ(CountKeys(kIdempotencyPrefix), 1);
}

// Each command its own lane batch, up to 4 batches appended before the
// first is projected: a batch is decided against the state plus the
// batches in flight, so each rename finds the customer the one before left
// (versions 1 to 4), a key sent again while its first copy is in flight is
// that copy's answer given again, and the log holds one record per command,
// as when each batch waits for its projection (batches_in_flight_max 1).
TEST_F(CommandProcessorTest, BatchesInFlightSeeTheEffectsOfThoseBefore) {
  for (size_t in_flight : {size_t{4}, size_t{1}}) {
    SCOPED_TRACE(absl::StrFormat("batches_in_flight_max %d", in_flight));
    processor_.reset();
    processor_ = StartProcessor(
        {.batch_commands_max = 1, .batches_in_flight_max = in_flight});
    ASSERT_NE(processor_, nullptr);
    const std::string id = absl::StrFormat("F%d", in_flight);
    const int64_t before = RecordsInLog();
    std::vector<CommandRequest> requests;
    requests.push_back(Create(id, id + "-k1", "A"));
    requests.push_back(Rename(id, id + "-k2", "B"));
    requests.push_back(Rename(id, id + "-k3", "C"));
    requests.push_back(Create(id, id + "-k1", "A"));
    requests.push_back(Rename(id, id + "-k4", "D"));
    auto answers = processor_->ExecuteBatch(std::move(requests));
    ASSERT_EQ(answers.size(), 5u);
    for (const auto& a : answers) ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(answers[0]->customer().version(), 1u);
    EXPECT_EQ(answers[1]->customer().version(), 2u);
    EXPECT_EQ(answers[2]->customer().version(), 3u);
    EXPECT_EQ(answers[2]->customer().name(), "C");
    EXPECT_TRUE(answers[3]->replayed());
    EXPECT_EQ(answers[3]->customer().version(), 1u);
    EXPECT_EQ(answers[4]->customer().version(), 4u);
    ExpectStoredAsAnswered(answers[4]->customer());
    EXPECT_EQ(RecordsInLog() - before, 4);
    EXPECT_EQ(DuplicateRecords(), 0u);
  }
}

// A second writer claims the partitions with a higher epoch; the first one's
// commands are then refused UNAVAILABLE, and nothing it decided applies.
TEST_F(CommandProcessorTest, NewOwnerFencesTheOldOne) {
  auto newer = StartProcessor();
  ASSERT_NE(newer, nullptr);
  auto stale = processor_->Execute(Create("C1", "k1"));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(LoadCustomer(*state_, "C1")->has_value());
  auto fresh = newer->Execute(Create("C1", "k1"));
  EXPECT_TRUE(fresh.ok()) << fresh.status();
}

// A corrupt record in the log stops the projector; commands then fail with
// DATA_LOSS naming the position instead of deciding on a stale state.
TEST_F(CommandProcessorTest, CorruptLogStopsCommands) {
  const PartitionId p = PartitionOf("C1", kPartitions);
  auto offset = journal_->Append(p, {{"C1", "garbage"}});
  ASSERT_TRUE(offset.ok());
  auto r = processor_->Execute(Create("C1", "k1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_NE(r.status().message().find(absl::StrFormat(
                "partition %d offset %d", p.value(), offset->value())),
            std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace billing
