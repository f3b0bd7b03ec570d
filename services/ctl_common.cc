#include "services/ctl_common.h"

#include <chrono>
#include <iostream>
#include <random>

#include "absl/strings/str_format.h"
#include "engine/core/money.h"
#include "google/protobuf/util/json_util.h"

namespace billing::ctl {

std::shared_ptr<grpc::Channel> Global::Channel() const {
  return grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> Global::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(timeout_s));
  return ctx;
}

ExitCode Fail(const grpc::Status& s) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int code = s.error_code();
  std::cerr << "error: " << (code >= 0 && code <= 16 ? kNames[code] : "?")
            << ": " << s.error_message() << std::endl;
  return 1;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

std::string NewIdempotencyKey() {
  std::random_device rd;
  return absl::StrFormat("ctl-%08x%08x%08x%08x", rd(), rd(), rd(), rd());
}

std::string Pad(const std::string& text, size_t width) {
  size_t points = 0;
  for (unsigned char c : text) points += (c & 0xc0) != 0x80;
  return points >= width ? text : text + std::string(width - points, ' ');
}

std::string Amount(int64_t minor, const std::string& currency) {
  auto c = LookupCurrency(currency, "currency");
  return c.ok() ? FormatMinor(minor, *c) : FormatFixedPoint(minor, 2);
}

}  // namespace billing::ctl
