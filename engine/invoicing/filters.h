#pragma once

// The filters of a billing run and of the preparation views: a code range
// or a single code, either bound of which may end in a `*` mask
// ("C12*": every code starting with C12). Compared byte by byte, as the
// codes' alphabet (A-Z a-z 0-9 . _ -) sorts.

#include <string>

#include "absl/strings/string_view.h"

namespace billing {

// One code or pattern. Empty: every code. "C12*": codes starting with
// "C12". Otherwise that code exactly. A `*` anywhere but last is an
// ordinary character (codes never hold one, so it matches nothing).
bool MaskMatches(absl::string_view pattern, absl::string_view code);

// From `from` to `to`, both included; an empty bound is open. A masked
// bound stands for every code it matches: from "C12*" starts at "C12",
// to "C12*" ends after the last code starting with "C12". from == to ==
// "C12*" is MaskMatches("C12*").
struct CodeRange {
  std::string from;
  std::string to;
};
bool InCodeRange(const CodeRange& range, absl::string_view code);

}  // namespace billing
