#include "engine/core/state.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace billing {

absl::StatusOr<std::optional<std::string>> MemoryState::Get(
    absl::string_view key) const {
  auto it = data_.find(key);
  if (it == data_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

absl::Status MemoryState::Scan(absl::string_view prefix,
                               absl::string_view start_after,
                               const Visitor& visit) const {
  // A start_after below the prefix constrains nothing: start at the prefix
  // (upper_bound could land on another family's key and end the scan).
  auto it = start_after.empty() || start_after < prefix
                ? data_.lower_bound(prefix)
                : data_.upper_bound(start_after);
  for (; it != data_.end() && absl::StartsWith(it->first, prefix); ++it) {
    if (!visit(it->first, it->second)) break;
  }
  return absl::OkStatus();
}

void MemoryState::Put(absl::string_view key, absl::string_view value) {
  data_.insert_or_assign(std::string(key), std::string(value));
}

void MemoryState::Delete(absl::string_view key) {
  auto it = data_.find(key);
  if (it != data_.end()) data_.erase(it);
}

absl::StatusOr<std::optional<std::string>> OverlayState::Get(
    absl::string_view key) const {
  auto it = writes_.find(key);
  if (it != writes_.end()) return it->second;
  return base_->Get(key);
}

absl::Status OverlayState::Scan(absl::string_view prefix,
                                absl::string_view start_after,
                                const Visitor& visit) const {
  // Merge the base's keys with the buffered writes, both in key order. The
  // base is scanned fully over the prefix; overlays are small (one batch).
  auto it = start_after.empty() || start_after < prefix
                ? writes_.lower_bound(prefix)
                : writes_.upper_bound(start_after);
  bool stopped = false;
  absl::Status status = base_->Scan(
      prefix, start_after, [&](absl::string_view key, absl::string_view value) {
        for (; it != writes_.end() && absl::StartsWith(it->first, prefix) &&
               it->first < key;
             ++it) {
          if (it->second.has_value() && !visit(it->first, *it->second)) {
            stopped = true;
            return false;
          }
        }
        if (it != writes_.end() && it->first == key) {
          const auto& overlay = it->second;
          ++it;
          if (!overlay.has_value()) return true;  // deleted in the overlay
          if (!visit(key, *overlay)) {
            stopped = true;
            return false;
          }
          return true;
        }
        if (!visit(key, value)) {
          stopped = true;
          return false;
        }
        return true;
      });
  if (!status.ok() || stopped) return status;
  for (; it != writes_.end() && absl::StartsWith(it->first, prefix); ++it) {
    if (it->second.has_value() && !visit(it->first, *it->second)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> LayeredState::Get(
    absl::string_view key) const {
  for (auto layer = layers_.rbegin(); layer != layers_.rend(); ++layer) {
    auto it = (*layer)->writes().find(key);
    if (it != (*layer)->writes().end()) return it->second;
  }
  return base_->Get(key);
}

absl::Status LayeredState::Scan(absl::string_view prefix,
                                absl::string_view start_after,
                                const Visitor& visit) const {
  // The layers' writes under the prefix, newest winning, merged over the
  // base as one overlay merges its own.
  OverlayState merged(base_);
  for (const OverlayState* layer : layers_) {
    const auto& writes = layer->writes();
    for (auto it = writes.lower_bound(prefix);
         it != writes.end() && absl::StartsWith(it->first, prefix); ++it) {
      if (it->second.has_value()) {
        merged.Put(it->first, *it->second);
      } else {
        merged.Delete(it->first);
      }
    }
  }
  return merged.Scan(prefix, start_after, visit);
}

void OverlayState::Put(absl::string_view key, absl::string_view value) {
  writes_.insert_or_assign(std::string(key), std::string(value));
}

void OverlayState::Delete(absl::string_view key) {
  writes_.insert_or_assign(std::string(key), std::nullopt);
}

// Sized once, written in one pass into the string (a StringOutputStream
// grew it step by step: a third of the cost for a usage record's ~250
// bytes).
std::string SerializeDeterministic(const google::protobuf::Message& message) {
  const size_t size = message.ByteSizeLong();
  std::string out(size, '\0');
  {
    google::protobuf::io::ArrayOutputStream array(out.data(),
                                                  static_cast<int>(size));
    google::protobuf::io::CodedOutputStream coded(&array);
    coded.SetSerializationDeterministic(true);
    message.SerializeWithCachedSizes(&coded);
  }
  return out;
}

void PutMessage(StateWriter& state, absl::string_view key,
                const google::protobuf::Message& message) {
  state.Put(key, SerializeDeterministic(message));
}

absl::Status CorruptState(absl::string_view key, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("state key \"", absl::CHexEscape(key),
                                          "\" does not hold a valid ", what));
}

}  // namespace billing
