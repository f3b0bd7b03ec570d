#pragma once

// absl::Status -> grpc::Status. The codes are the same numbers; the map is
// explicit so that the contract is written down (docs/api.md):
//   InvalidArgument     a field is wrong; the message names it. Do not retry.
//   NotFound            the customer or object does not exist.
//   AlreadyExists       a create whose code is taken.
//   Aborted             expected_version differs: read again, decide, retry.
//   FailedPrecondition  illegal now (idempotency key reused with another
//                       request). Do not retry as is.
//   Unavailable         retry the same request with the same key.
//   DeadlineExceeded    the caller's deadline passed; retry with the same key.
//   DataLoss            a corrupt record stopped the projector. Operators.
//   Internal            a bug. Operators.
// Anything else becomes Internal.
//
// Every message is capped (CapStatusMessage): a status message travels in
// the HTTP/2 trailers, which peers cap (grpcio: 8 KB of metadata), so a
// message that echoed a long input would turn the answer into the client's
// RESOURCE_EXHAUSTED "received initial metadata size exceeds limit".

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace billing {

// The most bytes of a status message sent to a caller. Default: 1024.
inline constexpr size_t kStatusMessageMax = 1024;

// `message` as a caller may receive it: unchanged when it is valid UTF-8 of
// at most kStatusMessageMax bytes; escaped (absl::CHexEscape) when it is not
// UTF-8; then, when longer than kStatusMessageMax, cut at a character
// boundary and ended with " ... (N bytes in all)", N the length before the
// cut. Never longer than kStatusMessageMax bytes.
std::string CapStatusMessage(absl::string_view message);

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace billing
