#include "services/status_map.h"

#include <string>

namespace billing {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return grpc::Status::OK;
    case absl::StatusCode::kInvalidArgument:
      return {grpc::StatusCode::INVALID_ARGUMENT, message};
    case absl::StatusCode::kNotFound:
      return {grpc::StatusCode::NOT_FOUND, message};
    case absl::StatusCode::kAlreadyExists:
      return {grpc::StatusCode::ALREADY_EXISTS, message};
    case absl::StatusCode::kAborted:
      return {grpc::StatusCode::ABORTED, message};
    case absl::StatusCode::kFailedPrecondition:
      return {grpc::StatusCode::FAILED_PRECONDITION, message};
    case absl::StatusCode::kUnavailable:
      return {grpc::StatusCode::UNAVAILABLE, message};
    case absl::StatusCode::kDeadlineExceeded:
      return {grpc::StatusCode::DEADLINE_EXCEEDED, message};
    case absl::StatusCode::kCancelled:
      return {grpc::StatusCode::UNAVAILABLE, message};
    case absl::StatusCode::kDataLoss:
      return {grpc::StatusCode::DATA_LOSS, message};
    case absl::StatusCode::kOutOfRange:
      return {grpc::StatusCode::OUT_OF_RANGE, message};
    default:
      return {grpc::StatusCode::INTERNAL, message};
  }
}

}  // namespace billing
