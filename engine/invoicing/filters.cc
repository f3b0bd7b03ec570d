#include "engine/invoicing/filters.h"

#include "absl/strings/match.h"

namespace billing {
namespace {

// The prefix a masked pattern stands for; nullopt-like false when the
// pattern is no mask.
bool MaskPrefix(absl::string_view pattern, absl::string_view& prefix) {
  if (!absl::EndsWith(pattern, "*")) return false;
  prefix = pattern.substr(0, pattern.size() - 1);
  return true;
}

}  // namespace

bool MaskMatches(absl::string_view pattern, absl::string_view code) {
  if (pattern.empty()) return true;
  absl::string_view prefix;
  if (MaskPrefix(pattern, prefix)) return absl::StartsWith(code, prefix);
  return code == pattern;
}

bool InCodeRange(const CodeRange& range, absl::string_view code) {
  absl::string_view prefix;
  if (!range.from.empty()) {
    // A masked lower bound starts at its prefix: "C12" < "C120" < "C12A".
    const absl::string_view low =
        MaskPrefix(range.from, prefix) ? prefix : absl::string_view(range.from);
    if (code < low) return false;
  }
  if (!range.to.empty()) {
    if (MaskPrefix(range.to, prefix)) {
      // Every code starting with the prefix is in, and what sorts below it.
      if (!absl::StartsWith(code, prefix) && code > prefix) return false;
    } else if (code > range.to) {
      return false;
    }
  }
  return true;
}

}  // namespace billing
