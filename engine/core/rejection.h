#pragma once

// Named rejections. Each command lists the reasons it can be refused, in
// precedence order: the first that applies is the answer, as TigerBeetle's
// CreateTransferResult lists a transfer's. A reason has a stable name
// (UPPER_SNAKE, part of the API: clients may switch on it) and the status
// code it maps to. The status message is the human detail, naming the field
// and the value, followed by the name in brackets:
//
//   rule.article_code: no article "ABO" [ARTICLE_NOT_FOUND]
//
// Declare a command's list in its domain's header, beside the command:
//
//   namespace create_rule {
//   inline constexpr Rejection kContractNotFound{"CONTRACT_NOT_FOUND",
//                                                absl::StatusCode::kNotFound};
//   ...
//   inline constexpr Rejection kOrder[] = {kRuleIdInvalid, ...,
//                                          kContractNotFound, ...};
//   }  // namespace create_rule
//
// and refuse with Reject(create_rule::kContractNotFound, detail).

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace billing {

struct Rejection {
  absl::string_view name;
  absl::StatusCode code;
};

// The status for `rejection`: its code, message "<detail> [<NAME>]".
absl::Status Reject(const Rejection& rejection, absl::string_view detail);

// `status` with the rejection's name appended to its message and the
// rejection's code, for a detail built by a shared validator
// (FieldError, ValidateCode, ...). OK stays OK.
absl::Status Named(const Rejection& rejection, absl::Status status);

// `status` named by `rejection` when it is that refusal (the rejection's
// code); OK and other errors (storage: Unavailable, DataLoss, ...) pass
// unchanged, so that a storage failure never reads as a refusal.
absl::Status NamedIf(const Rejection& rejection, absl::Status status);
template <typename T>
absl::StatusOr<T> NamedIf(const Rejection& rejection, absl::StatusOr<T> v) {
  if (v.ok()) return v;
  return NamedIf(rejection, std::move(v).status());
}

// Whether `status` is a decided refusal: every refusal of a command is
// named (" [NAME]"); a failure of the state (Unavailable, DataLoss,
// Internal) never is, whatever its code.
bool IsRejection(const absl::Status& status);

// The name in a rejection's message ("ARTICLE_NOT_FOUND"), or "" when the
// message carries none.
absl::string_view RejectionName(absl::string_view message);

// The message without its trailing " [NAME]": the human detail alone.
absl::string_view RejectionDetail(absl::string_view message);

// The position of `name` in `order`, or -1: precedence tests compare them.
int RejectionRank(absl::Span<const Rejection> order, absl::string_view name);

}  // namespace billing
