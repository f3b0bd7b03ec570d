#include "services/paging.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "engine/core/validation.h"

namespace billing {

absl::StatusOr<PageRequest> ReadPage(
    int page_size, absl::string_view page_token,
    absl::Status (*valid_key)(absl::string_view field, absl::string_view key)) {
  if (page_size < 0) {
    return FieldError("page_size",
                      absl::StrFormat("%d is negative", page_size));
  }
  PageRequest page;
  page.size =
      page_size == 0 ? kPageSizeDefault : std::min(page_size, kPageSizeMax);
  if (!page_token.empty() &&
      (!absl::WebSafeBase64Unescape(page_token, &page.after) ||
       !valid_key("page_token", page.after).ok())) {
    return FieldError("page_token", "is not a token this API gave");
  }
  return page;
}

std::string NextPageToken(absl::string_view last_key) {
  return absl::WebSafeBase64Escape(last_key);
}

}  // namespace billing
