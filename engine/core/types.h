#pragma once

// Distinct types for ids, offsets and epochs, so that a partition number can
// never be passed where an offset is expected (Redpanda's named_type).

#include <compare>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace billing {

template <typename T, typename Tag>
class NamedType {
 public:
  using value_type = T;
  constexpr NamedType() = default;
  constexpr explicit NamedType(T value) : value_(std::move(value)) {}
  constexpr const T& value() const { return value_; }
  constexpr auto operator<=>(const NamedType&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const NamedType& v) {
    return H::combine(std::move(h), v.value_);
  }

 private:
  T value_{};
};

// Partition number of the log, 0-based.
using PartitionId = NamedType<int32_t, struct PartitionIdTag>;
// Offset of a record inside its partition, 0-based (Kafka's offset).
using Offset = NamedType<int64_t, struct OffsetTag>;
// Ownership epoch of a partition writer; 0 before any claim.
using Epoch = NamedType<uint64_t, struct EpochTag>;

}  // namespace billing
