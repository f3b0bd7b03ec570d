#include "engine/core/rejection.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace billing {
namespace {

bool IsName(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c) && c != '_') {
      return false;
    }
  }
  return true;
}

// The offset of " [NAME]" at the end of `message`, or npos.
size_t NameStart(absl::string_view message) {
  if (message.empty() || message.back() != ']') return absl::string_view::npos;
  const size_t open = message.rfind(" [");
  if (open == absl::string_view::npos) return open;
  const absl::string_view name =
      message.substr(open + 2, message.size() - open - 3);
  return IsName(name) ? open : absl::string_view::npos;
}

}  // namespace

absl::Status Reject(const Rejection& rejection, absl::string_view detail) {
  return absl::Status(rejection.code,
                      absl::StrCat(detail, " [", rejection.name, "]"));
}

absl::Status Named(const Rejection& rejection, absl::Status status) {
  if (status.ok()) return status;
  return Reject(rejection, status.message());
}

absl::Status NamedIf(const Rejection& rejection, absl::Status status) {
  if (status.ok() || status.code() != rejection.code) return status;
  return Named(rejection, std::move(status));
}

bool IsRejection(const absl::Status& status) {
  return !status.ok() && !RejectionName(status.message()).empty();
}

absl::string_view RejectionName(absl::string_view message) {
  const size_t open = NameStart(message);
  if (open == absl::string_view::npos) return {};
  return message.substr(open + 2, message.size() - open - 3);
}

absl::string_view RejectionDetail(absl::string_view message) {
  const size_t open = NameStart(message);
  return open == absl::string_view::npos ? message : message.substr(0, open);
}

int RejectionRank(absl::Span<const Rejection> order, absl::string_view name) {
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace billing
