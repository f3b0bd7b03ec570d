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
class DB;
class Snapshot;
}  // namespace rocksdb

namespace billing {

struct RocksStateOptions {
  // Directory of the database; created when missing. Required.
  std::string path;
  // RocksDB block cache, bytes. Default: 64 MiB.
  size_t block_cache_bytes = 64 << 20;
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

  // FNV-1a 64 over every key and value in order, as 16 hex digits, and the
  // number of keys: two states with the same checksum hold the same bytes.
  absl::StatusOr<std::string> Checksum() const;

 private:
  explicit RocksState(std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
  std::atomic<int64_t> commit_count_{0};
};

}  // namespace billing
