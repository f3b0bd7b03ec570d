#pragma once

// The state store over RocksDB: the engine's StateReader on the latest
// committed state, and atomic commits of an OverlayState's writes (state and
// partition progress together, one WriteBatch).

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/core/state.h"

namespace rocksdb {
class Cache;
class DB;
class Snapshot;
}  // namespace rocksdb

namespace billing {

// The least memory budget RocksState accepts, bytes: below it the write
// buffers (an eighth of the budget each) would flush every 2 MiB.
inline constexpr size_t kRocksMemoryBudgetMin = size_t{16} << 20;

struct RocksStateOptions {
  // Directory of the database; created when missing. Required.
  std::string path;
  // What RocksDB may hold in memory for this state, bytes: ONE LRU cache of
  // this capacity holds the data blocks, the index and filter blocks
  // (cache_index_and_filter_blocks) and the memtables (a WriteBufferManager
  // charges them to the cache), so whatever the memtables take is evicted
  // from the blocks. Memtables: write buffers of an eighth of it, each
  // flushed when full, writes slowed at three (a quarter is the usual
  // ceiling: one filling, one flushing). Not in it: blocks pinned by open
  // iterators beyond the capacity (the cache is not strict: reads never
  // fail for memory), table readers' per-file objects
  // (`RocksMemory::table_readers_bytes`) and the process's own heap. At
  // least kRocksMemoryBudgetMin. Default: 256 MiB.
  size_t memory_budget_bytes = size_t{256} << 20;
};

// The one cache of a memory budget (blocks, index and filter blocks,
// memtables), in shards of at least 64 MiB: an entry larger than its
// shard's share is never kept, so a large file's filter block must fit.
std::shared_ptr<rocksdb::Cache> NewBudgetCache(size_t budget_bytes);

// RocksDB's own accounting of its memory, bytes (see RocksStateOptions).
struct RocksMemory {
  // In the shared cache: blocks plus the memtables' reservation.
  int64_t cache_bytes = 0;
  // Of cache_bytes, entries in use now (pinned by readers or the memtables).
  int64_t cache_pinned_bytes = 0;
  // Memtables, active and immutable (already in cache_bytes).
  int64_t memtable_bytes = 0;
  // Table readers outside the cache (per open file).
  int64_t table_readers_bytes = 0;
};

class RocksState final : public StateReader {
 public:
  // Errors: Unavailable when the directory is locked by another process,
  // Internal for other RocksDB failures.
  static absl::StatusOr<std::unique_ptr<RocksState>> Open(
      const RocksStateOptions& options);
  // Deletes the database at `path` (state is a projection: rebuildable).
  static absl::Status Destroy(const std::string& path);
  ~RocksState() override;

  // Thread-safe. Read the latest committed state.
  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) const override;
  absl::Status Scan(absl::string_view prefix, absl::string_view start_after,
                    const Visitor& visit) const override;

  // Writes every buffered write of `overlay` in one WriteBatch. `sync`: fsync
  // the WAL before returning (needed only where the state itself is the only
  // durable copy; the projector does not, the journal is).
  absl::Status Commit(const OverlayState& overlay, bool sync);

  // Successful Commit calls (WriteBatches written) since Open. Thread-safe.
  int64_t commit_count() const { return commit_count_.load(); }

  // A consistent view of the state as committed now; it must not outlive
  // this object. Thread-safe.
  std::unique_ptr<StateReader> Snapshot() const;

  // RocksDB's memory now, as its properties report it. Thread-safe.
  RocksMemory Memory() const;

  // FNV-1a 64 over every key and value in order, as 16 hex digits, and the
  // number of keys: two states with the same checksum hold the same bytes.
  absl::StatusOr<std::string> Checksum() const;

 private:
  RocksState(std::unique_ptr<rocksdb::DB> db,
             std::shared_ptr<rocksdb::Cache> cache);
  // The cache first: the database, destroyed before it, releases its blocks
  // and memtable reservations into it.
  std::shared_ptr<rocksdb::Cache> cache_;
  std::unique_ptr<rocksdb::DB> db_;
  std::atomic<int64_t> commit_count_{0};
};

}  // namespace billing
