#include "services/status_map.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/core/validation.h"

namespace billing {

std::string CapStatusMessage(absl::string_view message) {
  std::string text =
      IsValidUtf8(message) ? std::string(message) : absl::CHexEscape(message);
  if (text.size() <= kStatusMessageMax) return text;
  const std::string tail =
      absl::StrCat(" ... (", text.size(), " bytes in all)");
  size_t keep = kStatusMessageMax - tail.size();
  // Back off to the start of a character: never cut a UTF-8 sequence.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xc0) == 0x80) {
    --keep;
  }
  text.resize(keep);
  text += tail;
  return text;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const std::string message = CapStatusMessage(status.message());
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
