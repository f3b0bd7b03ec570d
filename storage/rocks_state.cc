#include "storage/rocks_state.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "engine/core/fingerprint.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"

namespace billing {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrFormat("%s: %s", what, s.ToString());
  if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
    return absl::UnavailableError(message);
  }
  if (s.IsCorruption()) return absl::DataLossError(message);
  return absl::InternalError(message);
}

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

absl::string_view ToView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

absl::Status ScanDb(rocksdb::DB* db, const rocksdb::ReadOptions& base,
                    absl::string_view prefix, absl::string_view start_after,
                    const StateReader::Visitor& visit) {
  rocksdb::ReadOptions ro = base;
  // Bound the iterator to the prefix: without it, the step past the last
  // matching key walks every hidden entry (deletions, old versions) that
  // follows, which made scans of a small family cost O(size of the next).
  std::string upper(prefix);
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) {
    upper.pop_back();
  }
  rocksdb::Slice upper_slice;
  if (!upper.empty()) {
    upper.back() =
        static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
    upper_slice = rocksdb::Slice(upper);
    ro.iterate_upper_bound = &upper_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  if (start_after.empty() || start_after < prefix) {
    it->Seek(ToSlice(prefix));
  } else {
    it->Seek(ToSlice(start_after));
    if (it->Valid() && ToView(it->key()) == start_after) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    absl::string_view key = ToView(it->key());
    if (!absl::StartsWith(key, prefix)) break;
    if (!visit(key, ToView(it->value()))) break;
  }
  return FromRocks(it->status(), "scan");
}

class SnapshotReader final : public StateReader {
 public:
  SnapshotReader(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {
    read_options_.snapshot = snapshot_;
  }
  ~SnapshotReader() override { db_->ReleaseSnapshot(snapshot_); }
  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) const override {
    std::string value;
    rocksdb::Status s = db_->Get(read_options_, ToSlice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (auto st = FromRocks(s, "get"); !st.ok()) return st;
    return std::optional<std::string>(std::move(value));
  }
  absl::Status Scan(absl::string_view prefix, absl::string_view start_after,
                    const Visitor& visit) const override {
    return ScanDb(db_, read_options_, prefix, start_after, visit);
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  rocksdb::ReadOptions read_options_;
};

// One memory budget (RocksStateOptions::memory_budget_bytes): what RocksDB
// keeps per key lives in `cache`. Compaction keeps the shape
// OptimizeLevelStyleCompaction() gives it (L1 512 MiB, 64 MiB files, L0
// compacted at 2 files, no compression on L0/L1, LZ4 or Snappy below); only
// its memtables (128 MiB buffers merged two at a time: up to 768 MiB,
// counted nowhere, and a billing run's writes stayed in them) become write
// buffers of an eighth of the budget, charged to the cache.
rocksdb::Options BudgetedOptions(size_t budget,
                                 const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.IncreaseParallelism(2);
  o.OptimizeLevelStyleCompaction();
  // One buffer filling while one flushes; a full buffer is flushed alone
  // (merging two holds both in memory); writes slow down at three.
  o.write_buffer_size = budget / 8;
  o.max_write_buffer_number = 3;
  o.min_write_buffer_number_to_merge = 1;
  o.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(
      budget / 4, cache, /*allow_stall=*/false);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index (and filter) blocks in the cache, not on the heap of each open
  // file, where they grow with the data (~0.7% of it: 1.3 MiB at 185 MB).
  // High priority (evicted after data blocks), L0's pinned (fresh files, the
  // most read). Not partitioned: with partitions a run cost ~20% more CPU
  // (bench/results/billing_run.txt), one more cache lookup a read.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Bloom filters, in the files (10 bits a key, in the cache with the
  // index) and in the memtables (2% of a write buffer, in its arena): most
  // point lookups of usage ingest miss (a record id never seen, a new
  // month's totals), and without a filter each miss searched the memtable's
  // skip list and every level (a quarter of ingest's CPU in the profile of
  // docs/architecture.md, "Usage batches").
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  o.memtable_whole_key_filtering = true;
  o.memtable_prefix_bloom_size_ratio = 0.02;
  return o;
}

}  // namespace

// Shards of at least 64 MiB (at most 8). A cache entry larger than its
// shard's share is not kept, and RocksDB's default of up to 64 shards made
// a 256 MiB cache's shards 4 MiB, half of it for high-priority blocks: the Bloom filter of a 77 MB table file (3.9 MB) was
// then read from the file again at every point lookup (a 100,000-customer
// data set read 5 TB through pread in 16 minutes and slowed tenfold).
std::shared_ptr<rocksdb::Cache> NewBudgetCache(size_t budget) {
  int bits = 0;
  while (bits < 3 && (budget >> (bits + 1)) >= (size_t{64} << 20)) ++bits;
  rocksdb::LRUCacheOptions o;
  o.capacity = budget;
  o.num_shard_bits = bits;
  return rocksdb::NewLRUCache(o);
}

RocksState::RocksState(std::unique_ptr<rocksdb::DB> db,
                       std::shared_ptr<rocksdb::Cache> cache)
    : cache_(std::move(cache)), db_(std::move(db)) {}
RocksState::~RocksState() = default;

absl::StatusOr<std::unique_ptr<RocksState>> RocksState::Open(
    const RocksStateOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("state path: is required");
  }
  if (options.memory_budget_bytes < kRocksMemoryBudgetMin) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "state memory_budget_bytes: %d is below the least, %d (16 MiB)",
        options.memory_budget_bytes, kRocksMemoryBudgetMin));
  }
  std::shared_ptr<rocksdb::Cache> cache =
      NewBudgetCache(options.memory_budget_bytes);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(
      BudgetedOptions(options.memory_budget_bytes, cache), options.path, &raw);
  if (auto st = FromRocks(s, absl::StrFormat("open state %s", options.path));
      !st.ok()) {
    return st;
  }
  return std::unique_ptr<RocksState>(
      new RocksState(std::unique_ptr<rocksdb::DB>(raw), std::move(cache)));
}

absl::Status RocksState::Destroy(const std::string& path) {
  return FromRocks(rocksdb::DestroyDB(path, rocksdb::Options()),
                   absl::StrFormat("destroy state %s", path));
}

absl::StatusOr<std::optional<std::string>> RocksState::Get(
    absl::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (auto st = FromRocks(s, "get"); !st.ok()) return st;
  return std::optional<std::string>(std::move(value));
}

absl::Status RocksState::Scan(absl::string_view prefix,
                              absl::string_view start_after,
                              const Visitor& visit) const {
  return ScanDb(db_.get(), rocksdb::ReadOptions(), prefix, start_after, visit);
}

absl::Status RocksState::Commit(const OverlayState& overlay, bool sync) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : overlay.writes()) {
    rocksdb::Status s = value.has_value()
                            ? batch.Put(ToSlice(key), ToSlice(*value))
                            : batch.Delete(ToSlice(key));
    if (auto st = FromRocks(s, "batch"); !st.ok()) return st;
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  absl::Status s = FromRocks(db_->Write(wo, &batch), "commit");
  if (s.ok()) commit_count_.fetch_add(1);
  return s;
}

std::unique_ptr<StateReader> RocksState::Snapshot() const {
  return std::make_unique<SnapshotReader>(db_.get());
}

RocksMemory RocksState::Memory() const {
  RocksMemory m;
  m.cache_bytes = static_cast<int64_t>(cache_->GetUsage());
  m.cache_pinned_bytes = static_cast<int64_t>(cache_->GetPinnedUsage());
  uint64_t v = 0;
  if (db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) {
    m.memtable_bytes = static_cast<int64_t>(v);
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem,
                          &v)) {
    m.table_readers_bytes = static_cast<int64_t>(v);
  }
  return m;
}

absl::StatusOr<std::string> RocksState::Checksum() const {
  uint64_t h = kFnv1aOffsetBasis;
  uint64_t keys = 0;
  auto add = [&](absl::string_view bytes) {
    const uint64_t n = bytes.size();
    h = Fnv1a64(
        h, absl::string_view(reinterpret_cast<const char*>(&n), sizeof(n)));
    h = Fnv1a64(h, bytes);
  };
  absl::Status s = Scan("", "", [&](absl::string_view k, absl::string_view v) {
    add(k);
    add(v);
    ++keys;
    return true;
  });
  if (!s.ok()) return s;
  return absl::StrFormat("%016x/%d", h, keys);
}

}  // namespace billing
