// The journal port's conformance suite (see journal_conformance.h). Every test
// gets a fresh journal from the factory. Waits are bounded conditions (Poll
// with a timeout, in a loop with a deadline), never sleeps, and the whole
// suite stays within a few seconds so it can also run against a Kafka mock
// cluster.

#include "tests/integration/storage/journal_conformance.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/journal.h"

namespace billing::testing {

// GoogleTest prints the parameter into test listings, and
// gtest_discover_tests puts it into the CTest name: printing the factory's
// name rather than its address keeps names stable from build to build
// ("Embedded/JournalConformanceTest.RecordsSurviveReopen/embedded"). Defined
// before the TEST_Ps, whose registration instantiates the printer here.
// Every file of a test binary that instantiates the suite must declare it
// too (it belongs in journal_conformance.h).
void PrintTo(JournalFactory* factory, std::ostream* os) {
  *os << factory->Name();
}
namespace {

// How long a test waits for records it expects; generous because a Kafka
// consumer's first fetch can be slow, and only ever spent on failure.
constexpr absl::Duration kExpectBound = absl::Seconds(10);
// Poll timeout when nothing is expected (the suite's only deliberate wait).
constexpr absl::Duration kQuietPoll = absl::Milliseconds(50);

#define JOURNAL_ASSERT_OK(expr)                         \
  do {                                                  \
    const absl::Status journal_status = (expr);         \
    ASSERT_TRUE(journal_status.ok()) << journal_status; \
  } while (false)

std::vector<JournalEntry> Entries(
    std::initializer_list<std::pair<std::string, std::string>> kvs) {
  std::vector<JournalEntry> entries;
  for (const auto& [key, value] : kvs) entries.push_back({key, value});
  return entries;
}

// Polls until `count` records arrived (or more), an error, or `bound`.
absl::StatusOr<std::vector<JournalRecord>> PollUntil(
    JournalReader& reader, size_t count, size_t records_max = 1000,
    absl::Duration bound = kExpectBound) {
  std::vector<JournalRecord> records;
  const absl::Time deadline = absl::Now() + bound;
  while (records.size() < count && absl::Now() < deadline) {
    absl::StatusOr<std::vector<JournalRecord>> batch =
        reader.Poll(records_max, absl::Milliseconds(200));
    if (!batch.ok()) return batch.status();
    if (batch->size() > records_max) {
      return absl::InternalError(absl::StrCat("Poll returned ", batch->size(),
                                              " records, records_max was ",
                                              records_max));
    }
    for (JournalRecord& r : *batch) records.push_back(std::move(r));
  }
  return records;
}

std::unique_ptr<JournalReader> MustOpenReader(
    Journal& journal, std::vector<std::pair<PartitionId, Offset>> start) {
  absl::StatusOr<std::unique_ptr<JournalReader>> reader =
      journal.OpenReader(start);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? std::move(*reader) : nullptr;
}

// Append then read back: the same keys and values, in append order, with
// their partition and offset.
TEST_P(JournalConformanceTest, AppendThenReadBackInOrderWithKeys) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(1);
  ASSERT_TRUE(journal.ok()) << journal.status();
  const std::string binary_value("v\0\xff\n", 4);
  absl::StatusOr<Offset> first = (*journal)->Append(
      PartitionId(0),
      Entries({{"cust-1", "a"}, {"cust-2", binary_value}, {"", "marker"}}));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, Offset(0));
  first = (*journal)->Append(PartitionId(0), Entries({{"cust-1", ""}}));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, Offset(3));

  auto reader = MustOpenReader(**journal, {{PartitionId(0), Offset(0)}});
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> records = PollUntil(*reader, 4);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 4u);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"cust-1", "a"},
      {"cust-2", binary_value},
      {"", "marker"},
      {"cust-1", ""}};
  for (size_t i = 0; i < want.size(); ++i) {
    const JournalRecord& r = (*records)[i];
    EXPECT_EQ(r.partition, PartitionId(0)) << i;
    EXPECT_EQ(r.offset, Offset(static_cast<int64_t>(i))) << i;
    EXPECT_EQ(r.key, want[i].first) << i;
    EXPECT_EQ(r.value, want[i].second) << i;
  }
}

// Offsets are 0-based and consecutive per partition: an append of n entries
// returns the first, and the next append gets first + n.
TEST_P(JournalConformanceTest, OffsetsAreConsecutiveFromZeroPerPartition) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(2);
  ASSERT_TRUE(journal.ok()) << journal.status();
  int64_t expected = 0;
  for (int batch = 1; batch <= 4; ++batch) {
    std::vector<JournalEntry> entries;
    for (int i = 0; i < batch; ++i) {
      entries.push_back({"k", absl::StrCat(batch, "-", i)});
    }
    absl::StatusOr<Offset> first =
        (*journal)->Append(PartitionId(1), std::move(entries));
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(*first, Offset(expected));
    expected += batch;
  }
  auto reader = MustOpenReader(**journal, {{PartitionId(1), Offset(0)}});
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> records =
      PollUntil(*reader, static_cast<size_t>(expected));
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), static_cast<size_t>(expected));
  for (int64_t i = 0; i < expected; ++i) {
    EXPECT_EQ((*records)[static_cast<size_t>(i)].offset, Offset(i));
  }
}

// EndOffset is 0 on an empty partition and then the offset the next append
// gets.
TEST_P(JournalConformanceTest, EndOffsetIsTheNextAppendOffset) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(2);
  ASSERT_TRUE(journal.ok()) << journal.status();
  absl::StatusOr<Offset> end = (*journal)->EndOffset(PartitionId(0));
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, Offset(0));

  ASSERT_TRUE((*journal)
                  ->Append(PartitionId(0), Entries({{"a", "1"}, {"b", "2"}}))
                  .ok());
  end = (*journal)->EndOffset(PartitionId(0));
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, Offset(2));
  absl::StatusOr<Offset> next =
      (*journal)->Append(PartitionId(0), Entries({{"c", "3"}}));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, *end);
  end = (*journal)->EndOffset(PartitionId(0));
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, Offset(3));
}

// Partitions are independent logs: each numbers from 0, and a reader of one
// partition sees none of another's records.
TEST_P(JournalConformanceTest, PartitionsAreIndependent) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(3);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_EQ((*journal)->partition_count(), 3);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Offset> p0 =
        (*journal)->Append(PartitionId(0), Entries({{"zero", "x"}}));
    ASSERT_TRUE(p0.ok()) << p0.status();
    EXPECT_EQ(*p0, Offset(i));
  }
  absl::StatusOr<Offset> p2 =
      (*journal)->Append(PartitionId(2), Entries({{"two", "y"}}));
  ASSERT_TRUE(p2.ok()) << p2.status();
  EXPECT_EQ(*p2, Offset(0));

  absl::StatusOr<Offset> end1 = (*journal)->EndOffset(PartitionId(1));
  ASSERT_TRUE(end1.ok()) << end1.status();
  EXPECT_EQ(*end1, Offset(0));
  absl::StatusOr<Offset> end2 = (*journal)->EndOffset(PartitionId(2));
  ASSERT_TRUE(end2.ok()) << end2.status();
  EXPECT_EQ(*end2, Offset(1));

  auto reader = MustOpenReader(**journal, {{PartitionId(2), Offset(0)}});
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> records = PollUntil(*reader, 1);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].partition, PartitionId(2));
  EXPECT_EQ((*records)[0].key, "two");
  absl::StatusOr<std::vector<JournalRecord>> more =
      reader->Poll(100, kQuietPoll);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_TRUE(more->empty());
}

// One reader of several partitions gets all their records, each partition's
// in offset order, and no more than records_max per Poll.
TEST_P(JournalConformanceTest, ReaderOfSeveralPartitionsKeepsEachInOrder) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(2);
  ASSERT_TRUE(journal.ok()) << journal.status();
  for (int i = 0; i < 5; ++i) {
    for (int32_t p = 0; p < 2; ++p) {
      ASSERT_TRUE((*journal)
                      ->Append(PartitionId(p), Entries({{absl::StrCat("p", p),
                                                         absl::StrCat(i)}}))
                      .ok());
    }
  }
  auto reader = MustOpenReader(
      **journal, {{PartitionId(0), Offset(0)}, {PartitionId(1), Offset(0)}});
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> records =
      PollUntil(*reader, 10, /*records_max=*/3);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 10u);
  absl::flat_hash_map<int32_t, int64_t> next;
  for (const JournalRecord& r : *records) {
    EXPECT_EQ(r.offset, Offset(next[r.partition.value()]))
        << "partition " << r.partition.value();
    EXPECT_EQ(r.key, absl::StrCat("p", r.partition.value()));
    EXPECT_EQ(r.value, absl::StrCat(r.offset.value()));
    ++next[r.partition.value()];
  }
  EXPECT_EQ(next[0], 5);
  EXPECT_EQ(next[1], 5);
}

// A reader starting mid-log gets the records from its start offset on.
TEST_P(JournalConformanceTest, ReaderStartingMidLog) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(1);
  ASSERT_TRUE(journal.ok()) << journal.status();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*journal)
                    ->Append(PartitionId(0), Entries({{"k", absl::StrCat(i)}}))
                    .ok());
  }
  auto reader = MustOpenReader(**journal, {{PartitionId(0), Offset(4)}});
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> records = PollUntil(*reader, 2);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].offset, Offset(4));
  EXPECT_EQ((*records)[0].value, "4");
  EXPECT_EQ((*records)[1].offset, Offset(5));
  EXPECT_EQ((*records)[1].value, "5");
}

// Poll with nothing to read returns an empty batch, not an error, after its
// timeout: both on an empty partition and at the end of a read log.
TEST_P(JournalConformanceTest, PollTimeoutReturnsEmptyWithoutError) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(2);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto empty = MustOpenReader(**journal, {{PartitionId(1), Offset(0)}});
  ASSERT_NE(empty, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> none = empty->Poll(10, kQuietPoll);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE((*journal)->Append(PartitionId(0), Entries({{"k", "v"}})).ok());
  auto reader = MustOpenReader(**journal, {{PartitionId(0), Offset(0)}});
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> one = PollUntil(*reader, 1);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), 1u);
  none = reader->Poll(10, kQuietPoll);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

// A reader sees records appended after it was opened: both when it polls
// after the append, and when the append lands while it waits in Poll.
TEST_P(JournalConformanceTest, ReaderSeesRecordsAppendedAfterItOpened) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(1);
  ASSERT_TRUE(journal.ok()) << journal.status();
  auto reader = MustOpenReader(**journal, {{PartitionId(0), Offset(0)}});
  ASSERT_NE(reader, nullptr);

  ASSERT_TRUE(
      (*journal)->Append(PartitionId(0), Entries({{"k", "first"}})).ok());
  absl::StatusOr<std::vector<JournalRecord>> records = PollUntil(*reader, 1);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].value, "first");

  // The append runs while the reader is (most likely) inside Poll; either
  // way the bounded poll below must return it.
  absl::Status append_status;
  std::thread appender([&] {
    append_status =
        (*journal)->Append(PartitionId(0), Entries({{"k", "second"}})).status();
  });
  records = PollUntil(*reader, 1);
  appender.join();
  JOURNAL_ASSERT_OK(append_status);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].offset, Offset(1));
  EXPECT_EQ((*records)[0].value, "second");
}

// Records survive destroying the journal and reopening it, as after a
// restart, and appends continue at the old end.
TEST_P(JournalConformanceTest, RecordsSurviveReopen) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(2);
  ASSERT_TRUE(journal.ok()) << journal.status();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*journal)
                    ->Append(PartitionId(i % 2),
                             Entries({{absl::StrCat("k", i), absl::StrCat(i)}}))
                    .ok());
  }
  journal->reset();

  journal = GetParam()->Reopen();
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_EQ((*journal)->partition_count(), 2);
  absl::StatusOr<Offset> end0 = (*journal)->EndOffset(PartitionId(0));
  ASSERT_TRUE(end0.ok()) << end0.status();
  EXPECT_EQ(*end0, Offset(2));
  auto reader = MustOpenReader(
      **journal, {{PartitionId(0), Offset(0)}, {PartitionId(1), Offset(0)}});
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> records = PollUntil(*reader, 3);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  absl::flat_hash_map<std::string, std::pair<int32_t, int64_t>> where;
  for (const JournalRecord& r : *records) {
    where[r.key] = {r.partition.value(), r.offset.value()};
    EXPECT_EQ(r.key, absl::StrCat("k", r.value));
  }
  EXPECT_EQ(where["k0"], std::make_pair(0, int64_t{0}));
  EXPECT_EQ(where["k1"], std::make_pair(1, int64_t{0}));
  EXPECT_EQ(where["k2"], std::make_pair(0, int64_t{1}));

  absl::StatusOr<Offset> next =
      (*journal)->Append(PartitionId(0), Entries({{"k3", "3"}}));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, Offset(2));
}

// 8 threads x 200 appends over 2 partitions: every record is present exactly
// once at the offset its append returned, and each thread's records keep the
// thread's order within the partition's single total order.
TEST_P(JournalConformanceTest, ConcurrentAppendsKeepEveryRecordOnceInOrder) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  constexpr int32_t kPartitions = 2;
  absl::StatusOr<std::unique_ptr<Journal>> journal =
      GetParam()->Create(kPartitions);
  ASSERT_TRUE(journal.ok()) << journal.status();

  // acked[t][i]: the offset thread t's record i got.
  std::vector<std::vector<int64_t>> acked(kThreads);
  std::vector<absl::Status> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<Offset> offset = (*journal)->Append(
            PartitionId(t % kPartitions),
            Entries({{absl::StrCat("t", t), absl::StrCat(i)}}));
        if (!offset.ok()) {
          errors[t] = offset.status();
          return;
        }
        acked[t].push_back(offset->value());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) JOURNAL_ASSERT_OK(errors[t]);

  std::vector<std::pair<PartitionId, Offset>> start;
  for (int32_t p = 0; p < kPartitions; ++p) {
    start.push_back({PartitionId(p), Offset(0)});
    absl::StatusOr<Offset> end = (*journal)->EndOffset(PartitionId(p));
    ASSERT_TRUE(end.ok()) << end.status();
    EXPECT_EQ(*end, Offset(kThreads / kPartitions * kPerThread));
  }
  auto reader = MustOpenReader(**journal, start);
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> records =
      PollUntil(*reader, kThreads * kPerThread);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), static_cast<size_t>(kThreads * kPerThread));

  absl::flat_hash_map<int32_t, int64_t> next_offset;
  std::vector<int> next_seq(kThreads, 0);
  for (const JournalRecord& r : *records) {
    const int32_t p = r.partition.value();
    ASSERT_EQ(r.offset, Offset(next_offset[p]))
        << "partition " << p << " is not read in offset order";
    ++next_offset[p];
    ASSERT_EQ(r.key.substr(0, 1), "t");
    const int t = std::stoi(r.key.substr(1));
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(p, t % kPartitions) << r.key;
    // Each thread's next record must be the next one it appended: none
    // missing, duplicated or reordered.
    ASSERT_EQ(r.value, absl::StrCat(next_seq[t])) << r.key;
    EXPECT_EQ(acked[t][static_cast<size_t>(next_seq[t])], r.offset.value())
        << r.key << " " << r.value;
    ++next_seq[t];
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next_seq[t], kPerThread);
}

// An append with no entries is InvalidArgument, and appends nothing.
TEST_P(JournalConformanceTest, EmptyAppendIsInvalidArgument) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(1);
  ASSERT_TRUE(journal.ok()) << journal.status();
  absl::StatusOr<Offset> offset = (*journal)->Append(PartitionId(0), {});
  EXPECT_EQ(offset.status().code(), absl::StatusCode::kInvalidArgument)
      << offset.status();
  absl::StatusOr<Offset> end = (*journal)->EndOffset(PartitionId(0));
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, Offset(0));
}

// A partition outside [0, partition_count) is InvalidArgument for Append,
// EndOffset and OpenReader.
TEST_P(JournalConformanceTest, OutOfRangePartitionIsInvalidArgument) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(2);
  ASSERT_TRUE(journal.ok()) << journal.status();
  for (int32_t bad : {-1, 2}) {
    EXPECT_EQ((*journal)
                  ->Append(PartitionId(bad), Entries({{"k", "v"}}))
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_EQ((*journal)->EndOffset(PartitionId(bad)).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_EQ(
        (*journal)->OpenReader({{PartitionId(bad), Offset(0)}}).status().code(),
        absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

// A 1 MiB record round-trips byte for byte.
TEST_P(JournalConformanceTest, LargeRecordRoundTrips) {
  absl::StatusOr<std::unique_ptr<Journal>> journal = GetParam()->Create(1);
  ASSERT_TRUE(journal.ok()) << journal.status();
  std::string value(size_t{1} << 20, '\0');
  for (size_t i = 0; i < value.size(); ++i) {
    value[i] = static_cast<char>((i * 131) % 251);
  }
  absl::StatusOr<Offset> offset =
      (*journal)->Append(PartitionId(0), {{"big", value}});
  ASSERT_TRUE(offset.ok()) << offset.status();
  auto reader = MustOpenReader(**journal, {{PartitionId(0), Offset(0)}});
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<std::vector<JournalRecord>> records = PollUntil(*reader, 1);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].key, "big");
  EXPECT_TRUE((*records)[0].value == value) << "1 MiB value differs";
}

}  // namespace
}  // namespace billing::testing
