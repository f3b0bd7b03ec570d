#pragma once

// Paged lists (docs/api.md): page_size 0 is the default, above the maximum
// is the maximum, negative is refused; the page token is the last key of the
// previous page, base64url: opaque to callers, stable across restarts. Every
// List* method of the API reads its page through these.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace billing {

inline constexpr int kPageSizeDefault = 100;
inline constexpr int kPageSizeMax = 1000;

struct PageRequest {
  size_t size = kPageSizeDefault;
  // The last key of the previous page; empty for the first page.
  std::string after;
};

// `valid_key` checks a decoded token ("page_token" is the field it names);
// a token that does not decode or does not check is "not a token this API
// gave".
absl::StatusOr<PageRequest> ReadPage(
    int page_size, absl::string_view page_token,
    absl::Status (*valid_key)(absl::string_view field, absl::string_view key));

// The token that resumes after `last_key`.
std::string NextPageToken(absl::string_view last_key);

}  // namespace billing
