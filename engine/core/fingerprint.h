#pragma once

// FNV-1a 64: a stable, seedless hash for fingerprints and state checksums
// (absl::Hash is salted per process and must not be stored).

#include <cstdint>

#include "absl/strings/string_view.h"

namespace billing {

inline constexpr uint64_t kFnv1aOffsetBasis = 0xcbf29ce484222325ULL;

inline uint64_t Fnv1a64(uint64_t h, absl::string_view bytes) {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace billing
