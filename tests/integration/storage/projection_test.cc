// Projection on real parts: the embedded journal and RocksDB in temporary
// directories. A batch and its partition progress land in one WriteBatch; a
// crash between batches resumes where the state says; state deleted and
// rebuilt from the log is byte-identical.

#include "storage/projection.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/str_format.h"
#include "engine/customer.h"
#include "engine/engine.h"
#include "engine/keys.h"
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
            absl::StrFormat("projection_%s_%d",
                            ::testing::UnitTest::GetInstance()
                                ->current_test_info()
                                ->name(),
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

// A real crash (SIGKILL of a process in the middle of projecting) leaves the
// state at a batch boundary; the next run resumes and ends byte-identical to
// a clean projection of the same log.
TEST_F(ProjectionTest, SurvivesKillNineAndResumes) {
  constexpr int kRecords = 20000;
  constexpr size_t kBatch = 7;
  {
    auto journal = OpenJournal();
    for (int i = 0; i < kRecords; i += 1000) AppendCustomers(*journal, i, 1000);
  }
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    auto journal = EmbeddedJournal::Open(
        {.dir = (root_ / "journal").string(), .partition_count = 1});
    auto state = RocksState::Open({.path = (root_ / "state").string()});
    if (!journal.ok() || !state.ok()) _exit(3);
    auto reader = (*journal)->OpenReader({{PartitionId(0), Offset(0)}});
    while (true) {
      auto batch = (*reader)->Poll(kBatch, absl::Seconds(5));
      if (!batch.ok() || batch->empty()) _exit(4);
      auto stats = ProjectBatch(**state, *batch);
      if (!stats.ok()) _exit(5);
      // Report the committed progress after each commit.
      int64_t next = stats->next_offsets[0];
      if (write(pipe_fds[1], &next, sizeof(next)) != sizeof(next)) _exit(6);
    }
  }
  close(pipe_fds[1]);
  // Kill after 100 committed batches; the child keeps going meanwhile, so
  // the kill lands at an arbitrary point of a later batch.
  std::set<int64_t> committed = {0};
  int64_t next = 0;
  while (committed.size() <= 100 &&
         read(pipe_fds[0], &next, sizeof(next)) == sizeof(next)) {
    committed.insert(next);
  }
  ASSERT_GT(committed.size(), 100u);
  kill(child, SIGKILL);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  while (read(pipe_fds[0], &next, sizeof(next)) == sizeof(next)) {
    committed.insert(next);  // reports written before the kill
  }
  close(pipe_fds[0]);
  ASSERT_TRUE(WIFSIGNALED(wstatus));

  auto journal = OpenJournal();
  auto state = OpenState();
  const int64_t resumed_at = NextOffset(*state);
  // Progress is always a commit point: one reported, or the one committed
  // just before the kill and not reported yet.
  EXPECT_TRUE(committed.count(resumed_at) == 1 ||
              resumed_at > *committed.rbegin())
      << resumed_at;
  EXPECT_GE(resumed_at, *committed.rbegin());
  EXPECT_EQ(CountCustomers(*state), resumed_at)
      << "state and progress were committed together";
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

}  // namespace
}  // namespace billing
