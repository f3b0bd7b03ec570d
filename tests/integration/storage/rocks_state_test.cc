// RocksState: the state port on a real RocksDB in a temporary directory.

#include "storage/rocks_state.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "rocksdb/cache.h"
#include "rocksdb/perf_context.h"
#include "rocksdb/perf_level.h"

namespace billing {
namespace {

class RocksStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) /
        ("rocks_state_" +
         std::string(
             ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<RocksState> Open() {
    auto s = RocksState::Open({.path = dir_.string()});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::filesystem::path dir_;
};

// Writes become visible only when committed, all together.
TEST_F(RocksStateTest, CommitWritesTheWholeOverlay) {
  auto state = Open();
  OverlayState overlay(state.get());
  overlay.Put("a/1", "one");
  overlay.Put("a/2", "two");
  EXPECT_FALSE(state->Get("a/1")->has_value());
  ASSERT_TRUE(state->Commit(overlay, /*sync=*/true).ok());
  EXPECT_EQ(state->Get("a/1")->value(), "one");
  EXPECT_EQ(state->Get("a/2")->value(), "two");
}

// A deletion in the overlay deletes the committed key.
TEST_F(RocksStateTest, CommitAppliesDeletions) {
  auto state = Open();
  OverlayState put(state.get());
  put.Put("k", "v");
  ASSERT_TRUE(state->Commit(put, false).ok());
  OverlayState del(state.get());
  del.Delete("k");
  ASSERT_TRUE(state->Commit(del, false).ok());
  EXPECT_FALSE(state->Get("k")->has_value());
}

// Scan honours the prefix, start_after and early stop, in key order.
TEST_F(RocksStateTest, ScansByPrefixAfterAKey) {
  auto state = Open();
  OverlayState o(state.get());
  for (const char* k : {"a/1", "b/1", "b/2", "b/3", "c/1"}) o.Put(k, k);
  ASSERT_TRUE(state->Commit(o, false).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(state
                  ->Scan("b/", "b/1",
                         [&](absl::string_view k, absl::string_view) {
                           seen.emplace_back(k);
                           return seen.size() < 2;
                         })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"b/2", "b/3"}));
}

// State survives a reopen; a second opener of the same directory is refused.
TEST_F(RocksStateTest, ReopensAndRefusesASecondOpener) {
  {
    auto state = Open();
    OverlayState o(state.get());
    o.Put("k", "v");
    ASSERT_TRUE(state->Commit(o, false).ok());
    auto second = RocksState::Open({.path = dir_.string()});
    EXPECT_FALSE(second.ok());
  }
  auto state = Open();
  EXPECT_EQ(state->Get("k")->value(), "v");
}

// The checksum changes with any byte and is equal for equal contents.
TEST_F(RocksStateTest, ChecksumReflectsEveryByte) {
  auto state = Open();
  OverlayState o(state.get());
  o.Put("k1", "v1");
  o.Put("k2", "v2");
  ASSERT_TRUE(state->Commit(o, false).ok());
  const std::string before = *state->Checksum();
  EXPECT_EQ(before, *state->Checksum());
  OverlayState change(state.get());
  change.Put("k2", "v3");
  ASSERT_TRUE(state->Commit(change, false).ok());
  EXPECT_NE(before, *state->Checksum());
  EXPECT_NE(before.find("/2"), std::string::npos) << before;
}

// A snapshot keeps seeing the state of its time.
TEST_F(RocksStateTest, SnapshotIsStable) {
  auto state = Open();
  OverlayState o(state.get());
  o.Put("k", "old");
  ASSERT_TRUE(state->Commit(o, false).ok());
  auto snapshot = state->Snapshot();
  OverlayState n(state.get());
  n.Put("k", "new");
  ASSERT_TRUE(state->Commit(n, false).ok());
  EXPECT_EQ(snapshot->Get("k")->value(), "old");
  EXPECT_EQ(state->Get("k")->value(), "new");
}

// A scan of a small family does not walk the deletions of the family after
// it (the iterator is bounded to the prefix). Unbounded, every scan of
// "a/" below would skip the 20,000 tombstones of "b/": ingest once slowed
// from 9,000 to 400 records/s that way.
TEST_F(RocksStateTest, ScanDoesNotWalkTheNextFamilysDeletions) {
  auto state = Open();
  OverlayState put(state.get());
  put.Put("a/1", "x");
  for (int i = 0; i < 20000; ++i) put.Put("b/" + std::to_string(i), "y");
  ASSERT_TRUE(state->Commit(put, false).ok());
  OverlayState del(state.get());
  for (int i = 0; i < 20000; ++i) del.Delete("b/" + std::to_string(i));
  ASSERT_TRUE(state->Commit(del, false).ok());
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  int seen = 0;
  ASSERT_TRUE(state
                  ->Scan("a/", "",
                         [&](absl::string_view, absl::string_view) {
                           ++seen;
                           return true;
                         })
                  .ok());
  const uint64_t skipped =
      rocksdb::get_perf_context()->internal_delete_skipped_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  EXPECT_EQ(seen, 1);
  EXPECT_LT(skipped, 100u);
}

// A budget below 16 MiB is refused, naming the field and the least.
TEST_F(RocksStateTest, RefusesABudgetBelowTheLeast) {
  auto s = RocksState::Open(
      {.path = dir_.string(), .memory_budget_bytes = size_t{8} << 20});
  ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("memory_budget_bytes: 8388608 is below "
                                      "the least, 16777216"),
            std::string_view::npos)
      << s.status();
}

// Writes `count` values of `bytes` each (distinct, so that nothing
// compresses away), 64 to a WriteBatch, keys "v/<first>"...
void WriteValues(RocksState& state, int first, int count, int bytes) {
  for (int i = first; i < first + count;) {
    OverlayState o(&state);
    for (int end = std::min(first + count, i + 64); i < end; ++i) {
      char key[16];
      snprintf(key, sizeof(key), "v/%06d", i);
      std::string value(bytes, static_cast<char>('a' + i % 26));
      snprintf(value.data(), value.size(), "%d", i * 7919);
      o.Put(key, value);
    }
    ASSERT_TRUE(state.Commit(o, false).ok());
  }
}

// The memtables are charged to the one cache: 2 MiB of writes, still in the
// memtable (a write buffer of a 32 MiB budget is 4 MiB), are cache usage.
TEST_F(RocksStateTest, MemtablesAreChargedToTheCache) {
  auto state = *RocksState::Open(
      {.path = dir_.string(), .memory_budget_bytes = size_t{32} << 20});
  WriteValues(*state, 0, 512, 4096);  // 2 MiB
  const RocksMemory m = state->Memory();
  EXPECT_GE(m.memtable_bytes, 2 << 20);
  EXPECT_GE(m.cache_bytes, m.memtable_bytes);
}

// One entry of an eighth of the budget, up to 8 MiB (the filter block of a
// 64 MB table file of small keys is about 4 MB), stays in the cache at high
// priority: RocksDB's default sharding (shards of 512 KiB for 16 and 32
// MiB, 4 MiB for 256 MiB) dropped it, and every point lookup read the
// block from the file again.
TEST(BudgetCacheTest, KeepsABigFilterBlock) {
  for (size_t mib : {16, 32, 256, 1024}) {
    std::shared_ptr<rocksdb::Cache> cache = NewBudgetCache(mib << 20);
    const size_t charge = std::min(mib << 20, size_t{64} << 20) / 8;
    ASSERT_TRUE(cache
                    ->Insert("filter", nullptr, charge,
                             [](const rocksdb::Slice&, void*) {}, nullptr,
                             rocksdb::Cache::Priority::HIGH)
                    .ok());
    rocksdb::Cache::Handle* h = cache->Lookup("filter");
    EXPECT_NE(h, nullptr) << mib << " MiB budget, entry of " << charge;
    if (h != nullptr) cache->Release(h);
  }
}

// With a 32 MiB budget, writing 96 MiB and reading it all back keeps
// RocksDB's memory in the budget: memtables at most 3 write buffers of
// 4 MiB (+1 MiB of arena rounding) while writing, and the cache (blocks,
// index partitions, memtables) at most 32 MiB after the scan, although
// the scan read three times that.
TEST_F(RocksStateTest, MemoryStaysInTheBudget) {
  const size_t budget = size_t{32} << 20;
  auto state =
      *RocksState::Open({.path = dir_.string(), .memory_budget_bytes = budget});
  int64_t memtables_max = 0;
  for (int part = 0; part < 12; ++part) {  // 12 x 8 MiB
    WriteValues(*state, part * 2048, 2048, 4096);
    memtables_max = std::max(memtables_max, state->Memory().memtable_bytes);
  }
  EXPECT_LE(memtables_max, static_cast<int64_t>(budget * 3 / 8 + (1 << 20)));
  int64_t read = 0;
  ASSERT_TRUE(state
                  ->Scan("v/", "",
                         [&](absl::string_view k, absl::string_view v) {
                           read += k.size() + v.size();
                           return true;
                         })
                  .ok());
  EXPECT_GE(read, int64_t{96} << 20);
  const RocksMemory m = state->Memory();
  EXPECT_LE(m.cache_bytes, static_cast<int64_t>(budget)) << m.cache_bytes;
}

}  // namespace
}  // namespace billing
