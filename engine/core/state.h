#pragma once

// The state port the engine owns. The engine reads and writes state as
// ordered key/value pairs through these interfaces; storage implements them
// over RocksDB, and MemoryState implements them in memory for tests and
// scratch replays (what-if). Keys are built by engine/core/keys.h only.

#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace billing {

class StateReader {
 public:
  virtual ~StateReader() = default;
  // OK with the value, or nullopt when the key is absent. Other codes:
  // storage failure (the caller stops).
  virtual absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) const = 0;
  // Visits, in bytewise key order, keys that start with `prefix` and sort
  // strictly after `start_after` (ignored when empty); `visit` returns false to
  // stop. Other codes: storage failure.
  using Visitor =
      std::function<bool(absl::string_view key, absl::string_view value)>;
  virtual absl::Status Scan(absl::string_view prefix,
                            absl::string_view start_after,
                            const Visitor& visit) const = 0;
};

class StateWriter : public StateReader {
 public:
  virtual void Put(absl::string_view key, absl::string_view value) = 0;
  virtual void Delete(absl::string_view key) = 0;
};

// Ordered map in memory. Not thread-safe.
class MemoryState final : public StateWriter {
 public:
  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) const override;
  absl::Status Scan(absl::string_view prefix, absl::string_view start_after,
                    const Visitor& visit) const override;
  void Put(absl::string_view key, absl::string_view value) override;
  void Delete(absl::string_view key) override;
  const std::map<std::string, std::string, std::less<>>& data() const {
    return data_;
  }

 private:
  std::map<std::string, std::string, std::less<>> data_;
};

// Buffers writes over a base reader: reads see the buffered writes first
// (read-your-writes inside one projector batch or one command batch); the
// buffered writes are then committed together (one RocksDB WriteBatch) or
// dropped. Not thread-safe; the base must not change while in use.
class OverlayState final : public StateWriter {
 public:
  explicit OverlayState(const StateReader* base) : base_(base) {}
  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) const override;
  absl::Status Scan(absl::string_view prefix, absl::string_view start_after,
                    const Visitor& visit) const override;
  void Put(absl::string_view key, absl::string_view value) override;
  void Delete(absl::string_view key) override;

  // Buffered writes in key order; nullopt is a deletion.
  const std::map<std::string, std::optional<std::string>, std::less<>>& writes()
      const {
    return writes_;
  }
  void Clear() { writes_.clear(); }

 private:
  const StateReader* base_;
  std::map<std::string, std::optional<std::string>, std::less<>> writes_;
};

// Reads a stack of overlays' buffered writes over a base: a key's value is
// its newest layer's write (a deletion hides the base's), else the base's.
// Only each layer's own writes are read, never its base. The command
// processor's lanes read their batches appended and not yet projected this
// way (services/command_processor.h). Not thread-safe; the caller keeps the
// layers alive while they are pushed, and the base changes only by what the
// layers already hold (a projection applying them).
class LayeredState final : public StateReader {
 public:
  explicit LayeredState(const StateReader* base) : base_(base) {}
  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view key) const override;
  absl::Status Scan(absl::string_view prefix, absl::string_view start_after,
                    const Visitor& visit) const override;
  // The newest layer.
  void Push(const OverlayState* layer) { layers_.push_back(layer); }
  // Drops the oldest layer (its writes are in the base now).
  void PopOldest() { layers_.pop_front(); }
  size_t size() const { return layers_.size(); }

 private:
  const StateReader* base_;
  std::deque<const OverlayState*> layers_;
};

// Reads a message stored under `key`. nullopt when absent; DataLoss naming the
// key when the bytes do not parse (a corrupt state stops the caller).
template <typename M>
absl::StatusOr<std::optional<M>> GetMessage(const StateReader& state,
                                            absl::string_view key);

// Stores `message` under `key`, serialized deterministically so that the same
// events always give byte-identical state.
void PutMessage(StateWriter& state, absl::string_view key,
                const google::protobuf::Message& message);

// Deterministic serialization (map fields sorted).
std::string SerializeDeterministic(const google::protobuf::Message& message);

absl::Status CorruptState(absl::string_view key, absl::string_view what);

// Visits, in key order, every message stored under keys that start with
// `prefix` (after `start_after` when given), with its key, until `visit`
// returns false or an error, which is returned. DataLoss naming the key when
// one does not parse. The one scan-and-parse loop: every family scan goes
// through it (or through ForEachMessage and ScanMessages below).
template <typename M>
absl::Status ForEachKeyedMessage(
    const StateReader& state, absl::string_view prefix,
    absl::string_view start_after,
    const std::function<absl::StatusOr<bool>(absl::string_view key, M)>&
        visit) {
  absl::Status inner;
  absl::Status s = state.Scan(
      prefix, start_after, [&](absl::string_view key, absl::string_view value) {
        M m;
        if (!m.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          inner = CorruptState(key, M::descriptor()->full_name());
          return false;
        }
        absl::StatusOr<bool> more = visit(key, std::move(m));
        if (!more.ok()) inner = more.status();
        return more.ok() && *more;
      });
  return s.ok() ? inner : s;
}

// The same, when the visit needs no key.
template <typename M>
absl::Status ForEachMessage(
    const StateReader& state, absl::string_view prefix,
    absl::string_view start_after,
    const std::function<absl::StatusOr<bool>(M)>& visit) {
  return ForEachKeyedMessage<M>(
      state, prefix, start_after,
      [&](absl::string_view, M m) { return visit(std::move(m)); });
}

// Every message stored under keys that start with `prefix` (after
// `start_after` when given), in key order, at most `records_max`. DataLoss
// naming the key when one does not parse.
template <typename M>
absl::StatusOr<std::vector<M>> ScanMessages(
    const StateReader& state, absl::string_view prefix,
    size_t records_max = std::numeric_limits<size_t>::max(),
    absl::string_view start_after = "") {
  std::vector<M> out;
  if (records_max == 0) return out;
  absl::Status s = ForEachMessage<M>(state, prefix, start_after,
                                     [&](M m) -> absl::StatusOr<bool> {
                                       out.push_back(std::move(m));
                                       return out.size() < records_max;
                                     });
  if (!s.ok()) return s;
  return out;
}

template <typename M>
absl::StatusOr<std::optional<M>> GetMessage(const StateReader& state,
                                            absl::string_view key) {
  auto raw = state.Get(key);
  if (!raw.ok()) return raw.status();
  if (!raw->has_value()) return std::optional<M>();
  M message;
  if (!message.ParseFromString(**raw)) {
    return CorruptState(key, M::descriptor()->full_name());
  }
  return std::optional<M>(std::move(message));
}

}  // namespace billing
