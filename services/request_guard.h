#pragma once

// The request guard: a gRPC server interceptor that answers a request no
// handler could see, and bounds every answer's message.
//
// A proto3 `string` field must hold UTF-8; a request with other bytes there
// fails to parse before any handler runs, and gRPC's sync server then
// answers INTERNAL with an empty message. The guard turns that into
//   INVALID_ARGUMENT "customer.name: is not valid UTF-8 (field
//   billing.v1.Customer.name; a string field holds UTF-8 text, raw bytes
//   belong in a bytes field)"
// naming the field by its path in the request, or, when the bytes are not a
// message at all, "request: not a valid billing.v1.CreateCustomerRequest
// message".
//
// How it knows the field: protobuf's generated parser refuses the string
// and logs "String field 'billing.v1.Customer.name' contains invalid UTF-8
// data when parsing a protocol buffer..." through its log handler. The
// guard's handler (installed once, chaining to the previous one: every log
// line still goes to stderr) records that name in a thread_local. gRPC's
// sync server parses a unary (or server-streaming) request on the thread
// that then runs the interceptors: POST_RECV_MESSAGE with no message means
// the parse failed, and the recorded name is read there; PRE_SEND_STATUS
// rewrites the answer. The record is cleared when the interceptor is made
// (before the parse) and when it is read, so a name never outlives its call.
//
// Client-streaming calls (UsageService/IngestUsage) are left to their
// handler: a failed Read there ends the loop, and the handler decides (it
// may call TakeUtf8ParseFailureField right after the failed Read, on its own
// thread). Every call's status message, whatever its handler wrote, is
// capped to kStatusMessageMax bytes (services/status_map.h).
//
// Thread-safety: the factory and its interceptors may be used from any
// thread; InstallRequestGuardLogHandler is safe to call more than once.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/server_interceptor.h"

namespace billing {

// Installs the protobuf log handler that records refused string fields
// (once per process; later calls do nothing).
void InstallRequestGuardLogHandler();

// The full name of the last string field protobuf refused as not UTF-8
// while parsing on this thread ("billing.v1.Customer.name"), and forgets
// it; nullopt when there was none since the last call.
std::optional<std::string> TakeUtf8ParseFailureField();

// Paths in messages of type `root` that reach the field of full name
// `field_full_name`, "customer.billing_address.lines[]" ("[]" for a
// repeated step); shortest first, at most `paths_max`. Empty when none.
std::vector<std::string> FieldPathsTo(const google::protobuf::Descriptor& root,
                                      absl::string_view field_full_name,
                                      size_t paths_max = 3);

// The message of the refusal of a request to `method`
// ("/billing.v1.CustomerService/CreateCustomer") that did not parse;
// `field_full_name` empty when protobuf named no field.
std::string UnparsedRequestMessage(absl::string_view method,
                                   absl::string_view field_full_name);

// For grpc::ServerBuilder::experimental().SetInterceptorCreators; installs
// the log handler too.
std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
RequestGuardInterceptorCreators();

}  // namespace billing
