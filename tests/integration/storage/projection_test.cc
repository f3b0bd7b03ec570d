// Projection on real parts: the embedded journal and RocksDB in temporary
// directories. A batch and its partition progress land in one WriteBatch; a
// crash between batches resumes where the state says; state deleted and
// rebuilt from the log is byte-identical.

#include "storage/projection.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "engine/customer/customer.h"
#include "engine/engine.h"
#include "engine/core/keys.h"
#include "gtest/gtest.h"
#include "storage/embedded_journal.h"

namespace billing {
namespace {

constexpr BusinessDate kDay(2026, 3, 20);

std::string CreateRecord(int i, Epoch epoch = Epoch(0)) {
  v1::Command command;
  v1::Customer* c = command.mutable_create_customer()->mutable_customer();
  c->set_customer_id(absl::StrFormat("C%05d", i));
  c->set_name(absl::StrFormat("Customer %d", i));
  MemoryState empty;
  auto events = Decide(empty, command, kDay);
  EXPECT_TRUE(events.ok()) << events.status();
  return SerializeDeterministic(MakeCommandRecord(
      c->customer_id(), absl::StrFormat("key-%d", i),
      RequestFingerprint(command, ""), epoch, kDay, std::move(*events)));
}

class ProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrFormat(
                "projection_%s_%d",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                getpid());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<EmbeddedJournal> OpenJournal() {
    auto j = EmbeddedJournal::Open(
        {.dir = (root_ / "journal").string(), .partition_count = 1});
    EXPECT_TRUE(j.ok()) << j.status();
    return std::move(*j);
  }
  std::unique_ptr<RocksState> OpenState(const std::string& name = "state") {
    auto s = RocksState::Open({.path = (root_ / name).string()});
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(*s);
  }
  // Appends `n` create-customer records (customers first..first+n-1) to
  // partition 0.
  void AppendCustomers(Journal& journal, int first, int n) {
    std::vector<JournalEntry> entries;
    for (int i = first; i < first + n; ++i) {
      entries.push_back({absl::StrFormat("C%05d", i), CreateRecord(i)});
    }
    ASSERT_TRUE(journal.Append(PartitionId(0), std::move(entries)).ok());
  }
  int64_t NextOffset(const RocksState& state) {
    return LoadPartitionProgress(state, PartitionId(0))->next_offset();
  }
  int CountCustomers(const RocksState& state) {
    int n = 0;
    EXPECT_TRUE(state
                    .Scan(kCustomerPrefix, "",
                          [&](absl::string_view, absl::string_view) {
                            ++n;
                            return true;
                          })
                    .ok());
    return n;
  }

  std::filesystem::path root_;
};

// A batch's state and progress are committed together.
TEST_F(ProjectionTest, BatchStoresStateAndProgressTogether) {
  auto journal = OpenJournal();
  auto state = OpenState();
  AppendCustomers(*journal, 0, 10);
  ASSERT_TRUE(ProjectToEnd(*journal, *state, {PartitionId(0)}, 4).ok());
  EXPECT_EQ(NextOffset(*state), 10);
  EXPECT_EQ(CountCustomers(*state), 10);
  auto c = LoadCustomer(*state, "C00007");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->name(), "Customer 7");
}

// A redelivered batch (offsets below the stored progress) changes nothing.
TEST_F(ProjectionTest, RedeliveryIsIgnored) {
  auto journal = OpenJournal();
  auto state = OpenState();
  AppendCustomers(*journal, 0, 5);
  ASSERT_TRUE(ProjectToEnd(*journal, *state, {PartitionId(0)}).ok());
  const std::string before = *state->Checksum();
  auto reader = journal->OpenReader({{PartitionId(0), Offset(0)}});
  auto batch = (*reader)->Poll(100, absl::Seconds(5));
  ASSERT_TRUE(batch.ok());
  auto stats = ProjectBatch(*state, *batch);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->already_applied, 5);
  EXPECT_EQ(*state->Checksum(), before);
}

// Resuming reads from the stored offsets: the second run applies only what
// was appended after the first.
TEST_F(ProjectionTest, ResumesFromStoredOffsets) {
  auto journal = OpenJournal();
  {
    auto state = OpenState();
    AppendCustomers(*journal, 0, 7);
    ASSERT_TRUE(ProjectToEnd(*journal, *state, {PartitionId(0)}).ok());
  }
  AppendCustomers(*journal, 7, 3);
  auto state = OpenState();
  auto start = StoredStartOffsets(*state, {PartitionId(0)});
  ASSERT_TRUE(start.ok());
  EXPECT_EQ((*start)[0].second, Offset(7));
  ASSERT_TRUE(ProjectToEnd(*journal, *state, {PartitionId(0)}).ok());
  EXPECT_EQ(NextOffset(*state), 10);
  EXPECT_EQ(CountCustomers(*state), 10);
}

// The seed of the kill test: BILLING_TEST_SEED when set (to replay a run),
// else a fresh one. Printed first, and named in every failure.
uint64_t KillSeed() {
  const char* env = std::getenv("BILLING_TEST_SEED");
  uint64_t seed = 0;
  if (env == nullptr || !absl::SimpleAtoi(env, &seed)) {
    seed = (uint64_t{std::random_device()()} << 32) | std::random_device()();
  }
  std::cout << "projection kill test: seed " << seed
            << " (replay with BILLING_TEST_SEED=" << seed << ")" << std::endl;
  return seed;
}

// Credits the killing parent grants the child ahead of the reports it has
// read: the child commits at most this many batches past the last report the
// parent saw, so a kill ordered at report R lands before R plus this many
// batches (and never past the log's end), wherever the scheduler puts either
// process.
constexpr int kCreditsAhead = 8;

// The child's side: resumes from the stored offsets, and before each batch
// takes one credit from `credits_fd` (EOF: the parent is gone, stop); after
// each commit reports the committed next offset on `report_fd`. Never
// returns.
[[noreturn]] void ProjectWithCredits(const std::filesystem::path& root,
                                     size_t batch, int credits_fd,
                                     int report_fd) {
  auto journal = EmbeddedJournal::Open(
      {.dir = (root / "journal").string(), .partition_count = 1});
  auto state = RocksState::Open({.path = (root / "state").string()});
  if (!journal.ok() || !state.ok()) _exit(3);
  auto start = StoredStartOffsets(**state, {PartitionId(0)});
  if (!start.ok()) _exit(3);
  auto reader = (*journal)->OpenReader(*start);
  if (!reader.ok()) _exit(3);
  char credit;
  while (read(credits_fd, &credit, 1) == 1) {
    auto records = (*reader)->Poll(batch, absl::Seconds(5));
    if (!records.ok() || records->empty()) _exit(4);
    auto stats = ProjectBatch(**state, *records);
    if (!stats.ok()) _exit(5);
    int64_t next = stats->next_offsets[0];
    if (write(report_fd, &next, sizeof(next)) != sizeof(next)) _exit(6);
  }
  _exit(0);
}

// The parent's side of one kill: forks a projecting child, grants credits as
// its reports come, and SIGKILLs it once a report reaches `kill_at`. Returns
// the highest next offset the child reported before it died.
int64_t ProjectAndKillAt(const std::filesystem::path& root, size_t batch,
                         int64_t kill_at) {
  int credits[2], reports[2];
  if (pipe(credits) != 0 || pipe(reports) != 0) {
    ADD_FAILURE() << "pipe: " << strerror(errno);
    return -1;
  }
  const pid_t child = fork();
  if (child < 0) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    return -1;
  }
  if (child == 0) {
    close(credits[1]);
    close(reports[0]);
    ProjectWithCredits(root, batch, credits[0], reports[1]);
  }
  close(credits[0]);
  close(reports[1]);
  const char credit = 'c';
  for (int i = 0; i < kCreditsAhead; ++i)
    EXPECT_EQ(write(credits[1], &credit, 1), 1);
  int64_t reported = -1, next = 0;
  while (reported < kill_at &&
         read(reports[0], &next, sizeof(next)) == sizeof(next)) {
    reported = next;
    if (reported < kill_at) EXPECT_EQ(write(credits[1], &credit, 1), 1);
  }
  kill(child, SIGKILL);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
      << "the child ended on its own, status " << wstatus;
  while (read(reports[0], &next, sizeof(next)) == sizeof(next)) {
    reported = std::max(reported, next);  // written before the kill
  }
  close(reports[0]);
  close(credits[1]);
  return reported;
}

// A real crash (SIGKILL of a process in the middle of projecting), three
// times at seeded random points with seeded random batch sizes: each time
// the state at restart holds a prefix of the log, some but not all of it, at
// or past what the child reported committed, with state and progress
// agreeing; the last run resumes to the end, byte-identical to a clean
// projection of the same log.
TEST_F(ProjectionTest, SurvivesKillNineAndResumes) {
  constexpr int kRecords = 20000;
  constexpr int kKills = 3;
  constexpr size_t kBatchMax = 16;
  // Kill points stay below this, so that even the most a child can commit
  // past its kill point leaves records unapplied.
  constexpr int64_t kKillAtMax = kRecords - (kCreditsAhead + 1) * kBatchMax;
  const uint64_t seed = KillSeed();
  SCOPED_TRACE(absl::StrFormat("seed %d (BILLING_TEST_SEED)", seed));
  std::mt19937_64 rng(seed);
  {
    auto journal = OpenJournal();
    for (int i = 0; i < kRecords; i += 1000) AppendCustomers(*journal, i, 1000);
  }
  int64_t resumed_at = 0;
  for (int k = 0; k < kKills; ++k) {
    const size_t batch =
        std::uniform_int_distribution<size_t>(1, kBatchMax)(rng);
    // Spread the kills: this one falls in its share of what is left.
    const int64_t share = (kKillAtMax - resumed_at) / (kKills - k);
    const int64_t kill_at = std::uniform_int_distribution<int64_t>(
        resumed_at + 1, resumed_at + share)(rng);
    SCOPED_TRACE(
        absl::StrFormat("kill %d: batch %d, at offset %d", k, batch, kill_at));
    const int64_t reported = ProjectAndKillAt(root_, batch, kill_at);
    ASSERT_GE(reported, kill_at) << "the child died before the kill point";

    auto state = OpenState();
    const int64_t previous = resumed_at;
    resumed_at = NextOffset(*state);
    std::cout << absl::StrFormat(
        "kill %d: batch %d, killed at report %d, state holds %d "
        "of %d records\n",
        k, batch, reported, resumed_at, kRecords);
    // Mid-way: some records applied in this run, not all of the log.
    EXPECT_GT(resumed_at, previous);
    EXPECT_GE(resumed_at, reported) << "a reported commit was lost";
    EXPECT_LE(resumed_at, reported + int64_t{kCreditsAhead} * int64_t(batch));
    ASSERT_LT(resumed_at, kRecords) << "the kill came after the last record";
    EXPECT_EQ(CountCustomers(*state), resumed_at)
        << "state and progress were committed together";
    EXPECT_TRUE(LoadCustomer(*state, absl::StrFormat("C%05d", resumed_at - 1))
                    ->has_value());
    EXPECT_FALSE(LoadCustomer(*state, absl::StrFormat("C%05d", resumed_at))
                     ->has_value());
  }
  auto journal = OpenJournal();
  auto state = OpenState();
  ASSERT_TRUE(ProjectToEnd(*journal, *state, {PartitionId(0)}).ok());
  EXPECT_EQ(NextOffset(*state), kRecords);
  auto clean = OpenState("clean");
  ASSERT_TRUE(ProjectToEnd(*journal, *clean, {PartitionId(0)}).ok());
  EXPECT_EQ(*state->Checksum(), *clean->Checksum());
}

// State deleted and rebuilt from the log is byte-identical.
TEST_F(ProjectionTest, RebuildFromTheLogIsByteIdentical) {
  auto journal = OpenJournal();
  AppendCustomers(*journal, 0, 200);
  std::string first;
  {
    auto state = OpenState();
    ASSERT_TRUE(ProjectToEnd(*journal, *state, {PartitionId(0)}, 13).ok());
    first = *state->Checksum();
  }
  ASSERT_TRUE(RocksState::Destroy((root_ / "state").string()).ok());
  auto state = OpenState();
  EXPECT_EQ(CountCustomers(*state), 0);
  ASSERT_TRUE(ProjectToEnd(*journal, *state, {PartitionId(0)}, 64).ok());
  EXPECT_EQ(*state->Checksum(), first);
}

// ProjectToEnd projects groups of partitions at once (one thread each): 4
// partitions of 50 customers each give, byte for byte, the state that
// projecting one partition after the other gives.
TEST_F(ProjectionTest, PartitionsProjectedAtOnceGiveTheStateOfOneByOne) {
  constexpr int32_t kPartitions = 4;
  auto journal = EmbeddedJournal::Open(
      {.dir = (root_ / "journal4").string(), .partition_count = kPartitions});
  ASSERT_TRUE(journal.ok()) << journal.status();
  std::vector<PartitionId> all;
  for (int32_t p = 0; p < kPartitions; ++p) {
    all.push_back(PartitionId(p));
    std::vector<JournalEntry> entries;
    for (int i = 0; i < 50; ++i) {
      const int n = p * 50 + i;
      entries.push_back({absl::StrFormat("C%05d", n), CreateRecord(n)});
    }
    ASSERT_TRUE((*journal)->Append(PartitionId(p), std::move(entries)).ok());
  }
  auto one_by_one = OpenState("one_by_one");
  for (PartitionId p : all) {
    ASSERT_TRUE(ProjectToEnd(**journal, *one_by_one, {p}, 7).ok());
  }
  auto at_once = OpenState("at_once");
  ASSERT_TRUE(ProjectToEnd(**journal, *at_once, all, 7).ok());
  EXPECT_EQ(CountCustomers(*at_once), 200);
  EXPECT_EQ(*at_once->Checksum(), *one_by_one->Checksum());
}

// A record that is not a LogRecord stops the projection with its position,
// and nothing of its batch is committed.
TEST_F(ProjectionTest, CorruptRecordStopsWithItsPosition) {
  auto journal = OpenJournal();
  auto state = OpenState();
  AppendCustomers(*journal, 0, 3);
  ASSERT_TRUE(ProjectToEnd(*journal, *state, {PartitionId(0)}).ok());
  const std::string before = *state->Checksum();
  AppendCustomers(*journal, 3, 1);
  ASSERT_TRUE(
      journal->Append(PartitionId(0), {{"C99999", "\xff\xff not a record"}})
          .ok());
  absl::Status s = ProjectToEnd(*journal, *state, {PartitionId(0)});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("partition 0 offset 4"), std::string::npos) << s;
  EXPECT_EQ(*state->Checksum(), before) << "the batch was not committed";
}

// A record whose key differs from its customer is corrupt.
TEST_F(ProjectionTest, KeyMustMatchTheRecordsCustomer) {
  auto journal = OpenJournal();
  auto state = OpenState();
  ASSERT_TRUE(
      journal->Append(PartitionId(0), {{"OTHER", CreateRecord(1)}}).ok());
  absl::Status s = ProjectToEnd(*journal, *state, {PartitionId(0)});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

// After an ownership claim at epoch 2, a record of epoch 1 is skipped by the
// projection (the log's own fence), and one of epoch 2 applies.
TEST_F(ProjectionTest, StaleEpochRecordsAreFenced) {
  auto journal = OpenJournal();
  auto state = OpenState();
  ASSERT_TRUE(journal
                  ->Append(PartitionId(0),
                           {{"", SerializeDeterministic(
                                     MakeOwnershipRecord(Epoch(2), "new"))},
                            {"C00001", CreateRecord(1, Epoch(1))},
                            {"C00002", CreateRecord(2, Epoch(2))}})
                  .ok());
  ASSERT_TRUE(ProjectToEnd(*journal, *state, {PartitionId(0)}).ok());
  EXPECT_FALSE(LoadCustomer(*state, "C00001")->has_value());
  EXPECT_TRUE(LoadCustomer(*state, "C00002")->has_value());
  auto progress = LoadPartitionProgress(*state, PartitionId(0));
  EXPECT_EQ(progress->epoch(), 2u);
  EXPECT_EQ(progress->fenced_records(), 1u);
}

// --- Effects handed over by a lane (PrecomputedEffects) ---

// Every record of partition 0, in order.
std::vector<JournalRecord> ReadAll(Journal& journal) {
  std::vector<JournalRecord> out;
  const int64_t end = journal.EndOffset(PartitionId(0))->value();
  auto reader = journal.OpenReader({{PartitionId(0), Offset(0)}});
  EXPECT_TRUE(reader.ok()) << reader.status();
  while (static_cast<int64_t>(out.size()) < end) {
    auto batch = (*reader)->Poll(4096, absl::Seconds(10));
    EXPECT_TRUE(batch.ok() && !batch->empty());
    if (!batch.ok() || batch->empty()) break;
    for (JournalRecord& r : *batch) out.push_back(std::move(r));
  }
  return out;
}

// What a lane hands over for `run`: the records applied over `state` as it
// stands, as deciding them applied them.
std::shared_ptr<PrecomputedEffects> EffectsOf(
    const RocksState& state, const std::vector<JournalRecord>& run) {
  auto offer = std::make_shared<PrecomputedEffects>();
  offer->partition = run.front().partition;
  offer->first = run.front().offset;
  offer->progress_before =
      *state.Get(PartitionProgressKey(offer->partition));
  auto effects = std::make_shared<OverlayState>(&state);
  for (const JournalRecord& r : run) {
    v1::LogRecord record;
    EXPECT_TRUE(record.ParseFromString(r.value));
    auto outcome = ApplyRecord(*effects, r.partition, r.offset, record);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    offer->outcomes.push_back(*outcome);
    offer->entries.push_back({r.key, r.value});
  }
  offer->effects = std::move(effects);
  return offer;
}

PrecomputedLookup OnlyAt(std::shared_ptr<const PrecomputedEffects> offer) {
  return [offer](PartitionId p, Offset o) {
    return p.value() == offer->partition.value() &&
                   o.value() == offer->first.value()
               ? offer
               : nullptr;
  };
}

class HandedEffectsTest : public ProjectionTest {
 protected:
  // Given customers 0..4 projected and 5..8 appended after them; `plain_`
  // is the state those 9 records give applied one by one.
  void SetUp() override {
    ProjectionTest::SetUp();
    journal_ = OpenJournal();
    state_ = OpenState();
    AppendCustomers(*journal_, 0, 5);
    ASSERT_TRUE(ProjectToEnd(*journal_, *state_, {PartitionId(0)}).ok());
    AppendCustomers(*journal_, 5, 4);
    std::vector<JournalRecord> all = ReadAll(*journal_);
    ASSERT_EQ(all.size(), 9u);
    run_.assign(all.begin() + 5, all.end());
    auto plain = OpenState("plain");
    ASSERT_TRUE(ProjectToEnd(*journal_, *plain, {PartitionId(0)}).ok());
    plain_ = *plain->Checksum();
  }
  void TearDown() override {
    state_.reset();
    journal_.reset();
    ProjectionTest::TearDown();
  }

  // Projects the run with only `offer` offered: it is not taken, and the
  // state is the one applying each record gives.
  void ExpectAppliedAgain(std::shared_ptr<const PrecomputedEffects> offer) {
    const PrecomputedLookup lookup = OnlyAt(std::move(offer));
    auto stats = ProjectBatch(*state_, run_, nullptr, &lookup);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->precomputed, 0);
    EXPECT_EQ(*state_->Checksum(), plain_);
  }

  std::unique_ptr<EmbeddedJournal> journal_;
  std::unique_ptr<RocksState> state_;
  std::vector<JournalRecord> run_;  // offsets 5..8
  std::string plain_;
};

// An offer that matches the journal byte for byte, over the progress the
// lane read, is taken: the 4 records are not applied again, and the state
// is byte-identical to applying them.
TEST_F(HandedEffectsTest, MatchingOfferIsTaken) {
  const PrecomputedLookup lookup = OnlyAt(EffectsOf(*state_, run_));
  auto stats = ProjectBatch(*state_, run_, nullptr, &lookup);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->precomputed, 4);
  EXPECT_EQ(stats->applied, 4);
  EXPECT_EQ(stats->next_offsets.at(0), 9);
  EXPECT_EQ(*state_->Checksum(), plain_);
}

// Offers that do not match what the journal holds are ignored: each record
// is applied again, and the state is as without an offer.
TEST_F(HandedEffectsTest, OfferOfOtherBytesIsIgnored) {
  auto offer = EffectsOf(*state_, run_);
  offer->entries[2].value.back() ^= 1;
  offer->effects = std::make_shared<OverlayState>(state_.get());  // wrong
  ExpectAppliedAgain(offer);
}

TEST_F(HandedEffectsTest, OfferOverAnotherProgressIsIgnored) {
  auto offer = EffectsOf(*state_, run_);
  v1::PartitionProgress other;
  other.set_next_offset(5);
  other.set_fenced_records(1);  // a record the lane did not see
  offer->progress_before = SerializeDeterministic(other);
  offer->effects = std::make_shared<OverlayState>(state_.get());
  ExpectAppliedAgain(offer);
}

// A poll that ends inside the run applies what it holds one by one; the
// rest comes with the next poll.
TEST_F(HandedEffectsTest, RunCutByThePollIsAppliedAgain) {
  const PrecomputedLookup lookup = OnlyAt(EffectsOf(*state_, run_));
  std::vector<JournalRecord> head(run_.begin(), run_.begin() + 2);
  std::vector<JournalRecord> rest(run_.begin() + 2, run_.end());
  auto first = ProjectBatch(*state_, head, nullptr, &lookup);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->precomputed, 0);
  auto second = ProjectBatch(*state_, rest, nullptr, &lookup);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->precomputed, 0);
  EXPECT_EQ(*state_->Checksum(), plain_);
}

// A stopped partition never takes an offer (its records before the stop
// are applied one by one).
TEST_F(HandedEffectsTest, StoppedPartitionAppliesAgain) {
  const PrecomputedLookup lookup = OnlyAt(EffectsOf(*state_, run_));
  StoppedPartitions stopped;
  stopped[0] = StoppedPartition{PartitionId(0), Offset(100),
                                absl::DataLossError("stopped for the test")};
  auto stats = ProjectBatch(*state_, run_, &stopped, &lookup);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->precomputed, 0);
  EXPECT_EQ(stats->applied, 4);
  EXPECT_EQ(*state_->Checksum(), plain_);
}

}  // namespace
}  // namespace billing
