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

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace billing {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace billing
