// EmbeddedJournal: the conformance suite on local files, plus what only the
// embedded journal promises: crash recovery of a torn tail, DataLoss on
// corruption, kill -9 safety of acknowledged records, group commit, limits.

#include "storage/embedded_journal.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/journal.h"
#include "tests/integration/storage/journal_conformance.h"

namespace billing {
namespace {

// A fresh directory under the test temp dir, removed with its contents.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string base = ::testing::TempDir();
    if (base.empty() || base.back() != '/') base += '/';
    std::string pattern = base + "embedded_journal.XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    EXPECT_FALSE(path_.empty()) << "mkdtemp: " << std::strerror(errno);
  }
  ~ScopedTempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class EmbeddedFactory : public testing::JournalFactory {
 public:
  std::string Name() const override { return "embedded"; }

  absl::StatusOr<std::unique_ptr<Journal>> Create(int32_t partitions) override {
    dirs_.push_back(std::make_unique<ScopedTempDir>());
    options_ = EmbeddedJournalOptions();
    options_.dir = dirs_.back()->path();
    options_.partition_count = partitions;
    return Reopen();
  }

  absl::StatusOr<std::unique_ptr<Journal>> Reopen() override {
    absl::StatusOr<std::unique_ptr<EmbeddedJournal>> journal =
        EmbeddedJournal::Open(options_);
    if (!journal.ok()) return journal.status();
    return std::unique_ptr<Journal>(std::move(*journal));
  }

 private:
  std::vector<std::unique_ptr<ScopedTempDir>> dirs_;
  EmbeddedJournalOptions options_;
};

EmbeddedFactory factory;

}  // namespace

namespace testing {

INSTANTIATE_TEST_SUITE_P(Embedded, JournalConformanceTest,
                         ::testing::Values(&factory));
}  // namespace testing

namespace {

constexpr size_t kHeader = kEmbeddedJournalRecordHeaderBytes;

std::unique_ptr<EmbeddedJournal> MustOpen(const EmbeddedJournalOptions& o) {
  absl::StatusOr<std::unique_ptr<EmbeddedJournal>> journal =
      EmbeddedJournal::Open(o);
  EXPECT_TRUE(journal.ok()) << journal.status();
  return journal.ok() ? std::move(*journal) : nullptr;
}

EmbeddedJournalOptions Options(const std::string& dir, int32_t partitions) {
  EmbeddedJournalOptions options;
  options.dir = dir;
  options.partition_count = partitions;
  return options;
}

std::string PartitionPath(const std::string& dir, int32_t partition) {
  return absl::StrFormat("%s/partition-%05d.log", dir, partition);
}

uint64_t FileBytes(const std::string& path) {
  std::error_code ec;
  const uint64_t bytes = std::filesystem::file_size(path, ec);
  EXPECT_FALSE(ec) << path << ": " << ec.message();
  return bytes;
}

void FlipByte(const std::string& path, uint64_t position) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(file.is_open()) << path;
  file.seekg(static_cast<std::streamoff>(position));
  char c = 0;
  file.read(&c, 1);
  ASSERT_TRUE(file.good()) << "read at " << position;
  c = static_cast<char>(c ^ 0x5a);
  file.seekp(static_cast<std::streamoff>(position));
  file.write(&c, 1);
  ASSERT_TRUE(file.good()) << "write at " << position;
}

void WriteU32(const std::string& path, uint64_t position, uint32_t v) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(file.is_open()) << path;
  const char bytes[4] = {static_cast<char>(v), static_cast<char>(v >> 8),
                         static_cast<char>(v >> 16),
                         static_cast<char>(v >> 24)};
  file.seekp(static_cast<std::streamoff>(position));
  file.write(bytes, 4);
  ASSERT_TRUE(file.good());
}

// All records of `partition`, read until EndOffset (bounded).
std::vector<JournalRecord> ReadAll(Journal& journal, int32_t partition) {
  std::vector<JournalRecord> records;
  absl::StatusOr<Offset> end = journal.EndOffset(PartitionId(partition));
  EXPECT_TRUE(end.ok()) << end.status();
  if (!end.ok()) return records;
  absl::StatusOr<std::unique_ptr<JournalReader>> reader =
      journal.OpenReader({{PartitionId(partition), Offset(0)}});
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return records;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (static_cast<int64_t>(records.size()) < end->value() &&
         absl::Now() < deadline) {
    absl::StatusOr<std::vector<JournalRecord>> batch =
        (*reader)->Poll(10000, absl::Milliseconds(100));
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok()) break;
    for (JournalRecord& r : *batch) records.push_back(std::move(r));
  }
  return records;
}

// Three records of 21 bytes each (16 header + "k" + "vvvN") in partition 0.
constexpr uint64_t kSmallRecordBytes = kHeader + 1 + 4;
void AppendThreeSmall(const std::string& dir) {
  auto journal = MustOpen(Options(dir, 1));
  ASSERT_NE(journal, nullptr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        journal->Append(PartitionId(0), {{"k", absl::StrCat("vvv", i)}}).ok());
  }
  ASSERT_EQ(FileBytes(PartitionPath(dir, 0)), 3 * kSmallRecordBytes);
}

// After reopening a journal whose third record was torn: two records left,
// the file cut back to them, and the journal appends at offset 2 again.
void ExpectTornThirdRecordDropped(const std::string& dir) {
  {
    auto journal = MustOpen(Options(dir, 1));
    ASSERT_NE(journal, nullptr);
    EXPECT_EQ(FileBytes(PartitionPath(dir, 0)), 2 * kSmallRecordBytes);
    std::vector<JournalRecord> records = ReadAll(*journal, 0);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].value, "vvv0");
    EXPECT_EQ(records[1].value, "vvv1");
    absl::StatusOr<Offset> next =
        journal->Append(PartitionId(0), {{"k", "new2"}});
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(*next, Offset(2));
  }
  auto journal = MustOpen(Options(dir, 1));
  ASSERT_NE(journal, nullptr);
  std::vector<JournalRecord> records = ReadAll(*journal, 0);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].value, "new2");
}

// A last record cut by EOF (an unfinished write: a kill during write()) is
// dropped on reopen, whether the cut falls in its payload or its header.
TEST(EmbeddedJournalTest, TornLastRecordCutByEofIsDropped) {
  for (uint64_t cut :
       {uint64_t{1}, uint64_t{3}, uint64_t{5}, kSmallRecordBytes - kHeader,
        kSmallRecordBytes - 5, kSmallRecordBytes - 1}) {
    SCOPED_TRACE(absl::StrCat("cut ", cut, " bytes"));
    ScopedTempDir dir;
    AppendThreeSmall(dir.path());
    std::filesystem::resize_file(PartitionPath(dir.path(), 0),
                                 3 * kSmallRecordBytes - cut);
    ExpectTornThirdRecordDropped(dir.path());
  }
}

// A last record that ends at EOF but fails its checksum (some of its pages
// never reached the disk) is dropped on reopen, wherever the damage is.
TEST(EmbeddedJournalTest, CorruptLastRecordIsDropped) {
  for (uint64_t at : {uint64_t{8}, kHeader, kSmallRecordBytes - 1}) {
    SCOPED_TRACE(absl::StrCat("byte ", at, " of the last record flipped"));
    ScopedTempDir dir;
    AppendThreeSmall(dir.path());
    FlipByte(PartitionPath(dir.path(), 0), 2 * kSmallRecordBytes + at);
    ExpectTornThirdRecordDropped(dir.path());
  }
}

// Damage to a record followed by more data is corruption, not a torn write,
// and of that partition only: Open succeeds, PartitionDamage is DataLoss
// naming file, partition, offset and byte position, the record before it is
// readable, appends are refused, and the file is left as it was.
TEST(EmbeddedJournalTest, CorruptionInTheMiddleIsDataLossNamingTheOffset) {
  ScopedTempDir dir;
  AppendThreeSmall(dir.path());
  const std::string path = PartitionPath(dir.path(), 0);
  FlipByte(path, kSmallRecordBytes + kHeader + 2);  // Record 1's value.
  auto journal = MustOpen(Options(dir.path(), 1));
  ASSERT_NE(journal, nullptr);
  const absl::Status damage = journal->PartitionDamage(PartitionId(0));
  ASSERT_EQ(damage.code(), absl::StatusCode::kDataLoss) << damage;
  const std::string message(damage.message());
  EXPECT_TRUE(absl::StrContains(message, "partition-00000.log")) << message;
  EXPECT_TRUE(absl::StrContains(message, "partition 0,")) << message;
  EXPECT_TRUE(absl::StrContains(message, "offset 1,")) << message;
  EXPECT_TRUE(absl::StrContains(
      message, absl::StrCat("byte position ", kSmallRecordBytes, ":")))
      << message;
  EXPECT_EQ(journal->EndOffset(PartitionId(0))->value(), 1);
  auto appended = journal->Append(PartitionId(0), {{"k", "v"}});
  EXPECT_EQ(appended.status().code(), absl::StatusCode::kDataLoss)
      << appended.status();
  journal.reset();
  EXPECT_EQ(FileBytes(path), 3 * kSmallRecordBytes);
}

// A length field corrupted in the middle so that its record seems to run
// past EOF must not pass for a torn tail (that would truncate acknowledged
// records after it): a valid record follows, so it is DataLoss.
TEST(EmbeddedJournalTest, CorruptLengthInTheMiddleIsNotATornTail) {
  ScopedTempDir dir;
  AppendThreeSmall(dir.path());
  const std::string path = PartitionPath(dir.path(), 0);
  WriteU32(path, kSmallRecordBytes + 4, 1000);  // Record 1's payload_bytes.
  auto journal = MustOpen(Options(dir.path(), 1));
  ASSERT_NE(journal, nullptr);
  const absl::Status damage = journal->PartitionDamage(PartitionId(0));
  ASSERT_EQ(damage.code(), absl::StatusCode::kDataLoss) << damage;
  EXPECT_TRUE(absl::StrContains(damage.message(), "offset 1,")) << damage;
  journal.reset();
  EXPECT_EQ(FileBytes(path), 3 * kSmallRecordBytes);
}

// The partition count is fixed at creation: reopening with another count is
// InvalidArgument (and the stored journal still opens with its own count).
TEST(EmbeddedJournalTest, PartitionCountMismatchOnReopenIsInvalidArgument) {
  ScopedTempDir dir;
  { ASSERT_NE(MustOpen(Options(dir.path(), 3)), nullptr); }
  absl::StatusOr<std::unique_ptr<EmbeddedJournal>> journal =
      EmbeddedJournal::Open(Options(dir.path(), 4));
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kInvalidArgument)
      << journal.status();
  auto reopened = MustOpen(Options(dir.path(), 3));
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->partition_count(), 3);
}

// One journal object per directory: a second Open while the first is live
// is FailedPrecondition; after the first closes, Open works again.
TEST(EmbeddedJournalTest, SecondOpenOfALiveDirectoryFails) {
  ScopedTempDir dir;
  auto first = MustOpen(Options(dir.path(), 1));
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<EmbeddedJournal>> second =
      EmbeddedJournal::Open(Options(dir.path(), 1));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition)
      << second.status();
  first.reset();
  EXPECT_NE(MustOpen(Options(dir.path(), 1)), nullptr);
}

// A deleted partition file is reported, not silently recreated empty.
TEST(EmbeddedJournalTest, MissingPartitionFileIsDataLoss) {
  ScopedTempDir dir;
  { ASSERT_NE(MustOpen(Options(dir.path(), 2)), nullptr); }
  std::filesystem::remove(PartitionPath(dir.path(), 1));
  absl::StatusOr<std::unique_ptr<EmbeddedJournal>> journal =
      EmbeddedJournal::Open(Options(dir.path(), 2));
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kDataLoss)
      << journal.status();
}

// Bad options are InvalidArgument.
TEST(EmbeddedJournalTest, BadOptionsAreInvalidArgument) {
  ScopedTempDir dir;
  EmbeddedJournalOptions no_dir;
  EXPECT_EQ(EmbeddedJournal::Open(no_dir).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EmbeddedJournal::Open(Options(dir.path(), 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EmbeddedJournalOptions no_group = Options(dir.path(), 1);
  no_group.group_commit_records_max = 0;
  EXPECT_EQ(EmbeddedJournal::Open(no_group).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A reader may not start beyond the end (offsets are dense: a caller bug).
TEST(EmbeddedJournalTest, ReaderStartBeyondEndIsOutOfRange) {
  ScopedTempDir dir;
  auto journal = MustOpen(Options(dir.path(), 1));
  ASSERT_NE(journal, nullptr);
  ASSERT_TRUE(journal->Append(PartitionId(0), {{"k", "v"}}).ok());
  EXPECT_TRUE(journal->OpenReader({{PartitionId(0), Offset(1)}}).ok());
  EXPECT_EQ(journal->OpenReader({{PartitionId(0), Offset(2)}}).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(journal->OpenReader({{PartitionId(0), Offset(-1)}}).status().code(),
            absl::StatusCode::kOutOfRange);
}

// kEmbeddedJournalRecordBytesMax: a record with exactly that many key and
// value bytes round-trips; one byte more is InvalidArgument.
TEST(EmbeddedJournalTest, RecordAtBytesMaxRoundTripsOneMoreIsRejected) {
  ScopedTempDir dir;
  auto journal = MustOpen(Options(dir.path(), 1));
  ASSERT_NE(journal, nullptr);
  std::string value(kEmbeddedJournalRecordBytesMax - 1, 'x');
  value.front() = 'a';
  value.back() = 'z';
  absl::StatusOr<Offset> too_big =
      journal->Append(PartitionId(0), {{"kk", value}});
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kInvalidArgument)
      << too_big.status();
  absl::StatusOr<Offset> at_max =
      journal->Append(PartitionId(0), {{"k", value}});
  ASSERT_TRUE(at_max.ok()) << at_max.status();
  EXPECT_EQ(*at_max, Offset(0));
  journal.reset();

  journal = MustOpen(Options(dir.path(), 1));  // Scans it on Open too.
  ASSERT_NE(journal, nullptr);
  std::vector<JournalRecord> records = ReadAll(*journal, 0);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "k");
  EXPECT_TRUE(records[0].value == value) << "64 MiB value differs";
}

// group_commit_records_max bounds one append: exactly max entries are
// accepted, one more is InvalidArgument.
TEST(EmbeddedJournalTest, AppendOfGroupCommitRecordsMaxEntries) {
  ScopedTempDir dir;
  EmbeddedJournalOptions options = Options(dir.path(), 1);
  options.group_commit_records_max = 8;
  auto journal = MustOpen(options);
  ASSERT_NE(journal, nullptr);
  std::vector<JournalEntry> entries(8, JournalEntry{"k", "v"});
  absl::StatusOr<Offset> at_max = journal->Append(PartitionId(0), entries);
  ASSERT_TRUE(at_max.ok()) << at_max.status();
  entries.push_back({"k", "v"});
  EXPECT_EQ(journal->Append(PartitionId(0), entries).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Offset> end = journal->EndOffset(PartitionId(0));
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, Offset(8));
}

// Group commit: appends that queue while a write is in flight go out
// together, at most group_commit_records_max records per write+fdatasync.
// With one write held, 7 one-record appends queued and a max of 4, the
// groups are {1}, {4}, {3}: 3 group commits for 8 appends.
TEST(EmbeddedJournalTest, QueuedAppendsShareGroupCommits) {
  ScopedTempDir dir;
  absl::Notification first_write_started;
  absl::Notification release_first_write;
  std::atomic<int> writes{0};
  EmbeddedJournalOptions options = Options(dir.path(), 1);
  options.group_commit_records_max = 4;
  options.before_group_write_for_testing = [&] {
    if (writes.fetch_add(1) == 0) {
      first_write_started.Notify();
      release_first_write.WaitForNotification();
    }
  };
  auto journal = MustOpen(options);
  ASSERT_NE(journal, nullptr);

  std::vector<absl::Status> results(8);
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    results[0] = journal->Append(PartitionId(0), {{"k", "0"}}).status();
  });
  ASSERT_TRUE(
      first_write_started.WaitForNotificationWithTimeout(absl::Seconds(10)));
  for (int i = 1; i < 8; ++i) {
    threads.emplace_back([&, i] {
      results[i] =
          journal->Append(PartitionId(0), {{"k", absl::StrCat(i)}}).status();
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (journal->stats().appends_queued < 7 && absl::Now() < deadline) {
    std::this_thread::yield();
  }
  const int64_t queued = journal->stats().appends_queued;
  release_first_write.Notify();
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(queued, 7);
  for (const absl::Status& status : results) EXPECT_TRUE(status.ok()) << status;

  const EmbeddedJournalStats stats = journal->stats();
  EXPECT_EQ(stats.appends, 8);
  EXPECT_EQ(stats.records, 8);
  EXPECT_EQ(stats.group_commits, 3);
  EXPECT_EQ(stats.appends_queued, 0);
  EXPECT_EQ(writes.load(), 3);
  EXPECT_EQ(ReadAll(*journal, 0).size(), 8u);
}

// A Poll returns records_max records when that many are ready, across the
// reader's partitions, and the rest on the next Poll.
TEST(EmbeddedJournalTest, PollReturnsRecordsMaxWhenAvailable) {
  ScopedTempDir dir;
  auto journal = MustOpen(Options(dir.path(), 2));
  ASSERT_NE(journal, nullptr);
  for (int32_t p = 0; p < 2; ++p) {
    ASSERT_TRUE(
        journal->Append(PartitionId(p), {{"k", "0"}, {"k", "1"}, {"k", "2"}})
            .ok());
  }
  absl::StatusOr<std::unique_ptr<JournalReader>> reader = journal->OpenReader(
      {{PartitionId(0), Offset(0)}, {PartitionId(1), Offset(0)}});
  ASSERT_TRUE(reader.ok()) << reader.status();
  for (size_t want : {1u, 4u, 1u}) {
    absl::StatusOr<std::vector<JournalRecord>> batch =
        (*reader)->Poll(want, absl::ZeroDuration());
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_EQ(batch->size(), want);
  }
  absl::StatusOr<std::vector<JournalRecord>> none =
      (*reader)->Poll(10, absl::ZeroDuration());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

// kEmbeddedJournalPollBytesMax: records filling it exactly come in one Poll;
// the next record waits for the next Poll.
TEST(EmbeddedJournalTest, PollReturnsAtMostPollBytesMax) {
  ScopedTempDir dir;
  auto journal = MustOpen(Options(dir.path(), 1));
  ASSERT_NE(journal, nullptr);
  constexpr size_t kRecords = 4;
  static_assert(kEmbeddedJournalPollBytesMax % kRecords == 0);
  const std::string value(kEmbeddedJournalPollBytesMax / kRecords - kHeader - 1,
                          'v');
  for (size_t i = 0; i < kRecords + 1; ++i) {
    ASSERT_TRUE(journal->Append(PartitionId(0), {{"k", value}}).ok());
  }
  absl::StatusOr<std::unique_ptr<JournalReader>> reader =
      journal->OpenReader({{PartitionId(0), Offset(0)}});
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::vector<JournalRecord>> first =
      (*reader)->Poll(100, absl::ZeroDuration());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), kRecords);
  absl::StatusOr<std::vector<JournalRecord>> second =
      (*reader)->Poll(100, absl::ZeroDuration());
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].offset, Offset(kRecords));
}

// kill -9 test. The child opens the journal and appends from 4 threads,
// reporting each acknowledged (thread, seq, partition, offset) through a
// pipe; the parent kills it with SIGKILL after enough acknowledgements and
// checks, after reopening, that every acknowledged record is there intact
// and that nothing else is there but whole, valid records in append order.
constexpr int kChildThreads = 4;
constexpr int32_t kChildPartitions = 2;

struct Ack {
  int32_t thread;
  int32_t partition;
  int64_t seq;
  int64_t offset;
};
static_assert(sizeof(Ack) == 24 && sizeof(Ack) <= PIPE_BUF,
              "one write() per ack keeps acks whole on the pipe");

// Deterministic value of a thread's seq-th record; lengths vary from 40 B to
// ~12 KiB so records straddle pages and groups differ in size.
std::string ChildValue(int thread, int64_t seq) {
  std::string value = absl::StrCat(thread, ":", seq, ":");
  const size_t filler = 40 + static_cast<size_t>((seq * 7919 + thread) % 12000);
  for (size_t i = 0; i < filler; ++i) {
    value.push_back(static_cast<char>('a' + (i + seq + thread) % 26));
  }
  return value;
}

[[noreturn]] void RunChild(const std::string& dir, int ack_fd) {
  absl::StatusOr<std::unique_ptr<EmbeddedJournal>> journal =
      EmbeddedJournal::Open(Options(dir, kChildPartitions));
  if (!journal.ok()) _exit(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&, t] {
      const int32_t partition = t % kChildPartitions;
      for (int64_t seq = 0;; ++seq) {
        absl::StatusOr<Offset> offset =
            (*journal)->Append(PartitionId(partition),
                               {{absl::StrCat("t", t), ChildValue(t, seq)}});
        if (!offset.ok()) _exit(3);
        const Ack ack{t, partition, seq, offset->value()};
        if (write(ack_fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(4);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  _exit(5);  // Unreachable: the threads append until killed.
}

TEST(EmbeddedJournalTest, KillNineKeepsEveryAcknowledgedRecord) {
  constexpr size_t kAcksBeforeKill = 400;
  ScopedTempDir dir;
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0) << std::strerror(errno);
  const pid_t child = fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    close(pipe_fds[0]);
    RunChild(dir.path(), pipe_fds[1]);
  }
  close(pipe_fds[1]);

  std::vector<Ack> acks;
  auto read_ack = [&](int timeout_ms) {
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return false;
    Ack ack;
    const ssize_t n = read(pipe_fds[0], &ack, sizeof(ack));
    if (n != sizeof(ack)) return false;  // EOF: the child is gone.
    acks.push_back(ack);
    return true;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (acks.size() < kAcksBeforeKill && absl::Now() < deadline) {
    if (!read_ack(100)) {
      int status = 0;
      if (waitpid(child, &status, WNOHANG) == child) break;  // Died early.
    }
  }
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child ended on its own, exit status "
      << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  // Acks written before the kill are acknowledged records too.
  while (read_ack(0)) {
  }
  close(pipe_fds[0]);
  ASSERT_GE(acks.size(), kAcksBeforeKill);

  auto journal = MustOpen(Options(dir.path(), kChildPartitions));
  ASSERT_NE(journal, nullptr);
  // (thread, seq) -> (partition, offset) of every record in the log.
  absl::flat_hash_map<std::pair<int, int64_t>, std::pair<int32_t, int64_t>>
      stored;
  for (int32_t p = 0; p < kChildPartitions; ++p) {
    std::vector<JournalRecord> records = ReadAll(*journal, p);
    absl::StatusOr<Offset> end = journal->EndOffset(PartitionId(p));
    ASSERT_TRUE(end.ok());
    ASSERT_EQ(static_cast<int64_t>(records.size()), end->value());
    absl::flat_hash_map<int, int64_t> next_seq;
    for (const JournalRecord& r : records) {
      int thread = -1;
      int64_t seq = -1;
      const std::vector<absl::string_view> parts =
          absl::StrSplit(r.value, absl::MaxSplits(':', 2));
      ASSERT_EQ(parts.size(), 3u) << r.offset.value();
      ASSERT_TRUE(absl::SimpleAtoi(parts[0], &thread));
      ASSERT_TRUE(absl::SimpleAtoi(parts[1], &seq));
      ASSERT_EQ(r.key, absl::StrCat("t", thread));
      ASSERT_EQ(thread % kChildPartitions, p);
      // Whole: the value is exactly what was appended. In order: each
      // thread's records are its appends 0, 1, 2... with no gap or repeat.
      ASSERT_TRUE(r.value == ChildValue(thread, seq))
          << "damaged record at partition " << p << " offset "
          << r.offset.value();
      ASSERT_EQ(seq, next_seq[thread]) << "thread " << thread;
      ++next_seq[thread];
      stored[{thread, seq}] = {p, r.offset.value()};
    }
  }
  for (const Ack& ack : acks) {
    auto it = stored.find(std::make_pair(int{ack.thread}, ack.seq));
    ASSERT_NE(it, stored.end())
        << "acknowledged record of thread " << ack.thread << " seq " << ack.seq
        << " is missing";
    EXPECT_EQ(it->second, std::make_pair(ack.partition, ack.offset));
  }
  // The recovered journal takes appends at its end.
  absl::StatusOr<Offset> end = journal->EndOffset(PartitionId(0));
  ASSERT_TRUE(end.ok());
  absl::StatusOr<Offset> next = journal->Append(PartitionId(0), {{"k", "v"}});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, *end);
  std::cerr << acks.size() << " acknowledged, " << stored.size()
            << " records recovered\n";
}

}  // namespace
}  // namespace billing
