#include "services/request_guard.h"

#include <deque>
#include <mutex>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/stubs/logging.h"
#include "services/status_map.h"

namespace billing {
namespace {

namespace pb = google::protobuf;
using grpc::experimental::InterceptionHookPoints;

// Depth of the search for a field's path in a request: deeper than any of
// our requests nest (ContractCommandRequest.command.create_rule.rule...).
constexpr int kFieldPathDepthMax = 8;
// Fields visited by one search at most (it runs on refused requests only;
// the bound keeps a wide or recursive schema cheap).
constexpr int kFieldPathStepsMax = 10'000;

// The string field protobuf last refused on this thread; empty: none.
thread_local std::string t_refused_field;

pb::LogHandler* g_previous_log_handler = nullptr;

// protobuf's PrintUTF8ErrorLog (wire_format_lite.cc), for a parse.
constexpr absl::string_view kUtf8LogPrefix = "String field '";
constexpr absl::string_view kUtf8LogParsing =
    "' contains invalid UTF-8 data when parsing";

void RecordingLogHandler(pb::LogLevel level, const char* filename, int line,
                         const std::string& message) {
  absl::string_view m(message);
  if (absl::StartsWith(m, kUtf8LogPrefix)) {
    absl::string_view rest = m.substr(kUtf8LogPrefix.size());
    const size_t end = rest.find(kUtf8LogParsing);
    if (end != absl::string_view::npos) {
      t_refused_field = std::string(rest.substr(0, end));
    }
  }
  // Every line still goes where it went before (stderr by default).
  if (g_previous_log_handler != nullptr) {
    g_previous_log_handler(level, filename, line, message);
  }
}

// "/billing.v1.CustomerService/CreateCustomer" -> its input type, or null.
const pb::Descriptor* RequestType(absl::string_view method) {
  if (absl::StartsWith(method, "/")) method.remove_prefix(1);
  const std::string name = absl::StrReplaceAll(method, {{"/", "."}});
  const pb::MethodDescriptor* m =
      pb::DescriptorPool::generated_pool()->FindMethodByName(name);
  return m == nullptr ? nullptr : m->input_type();
}

class RequestGuard final : public grpc::experimental::Interceptor {
 public:
  explicit RequestGuard(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method()),
        single_request_(
            info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY ||
            info->type() ==
                grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING) {
    // Made before the request is parsed, on the thread that parses it: a
    // name left by any earlier parse on this thread is not this call's.
    t_refused_field.clear();
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (single_request_ && !request_seen_ &&
        methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE)) {
      request_seen_ = true;
      std::string field = std::exchange(t_refused_field, {});
      if (methods->GetRecvMessage() == nullptr) {
        refusal_ = UnparsedRequestMessage(method_, field);
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      if (refusal_.has_value() &&
          status.error_code() == grpc::StatusCode::INTERNAL) {
        // What gRPC answers for a request that did not parse.
        methods->ModifySendStatus(
            grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, *refusal_));
      } else if (status.error_message().size() > kStatusMessageMax) {
        methods->ModifySendStatus(grpc::Status(
            status.error_code(), CapStatusMessage(status.error_message()),
            status.error_details()));
      }
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  const bool single_request_;
  bool request_seen_ = false;
  std::optional<std::string> refusal_;
};

class RequestGuardFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RequestGuard(info);
  }
};

// One step of the breadth-first search of FieldPathsTo.
struct PathStep {
  const pb::Descriptor* type;
  std::string path;
  int depth;
};

std::string Join(absl::string_view path, const pb::FieldDescriptor& f) {
  return absl::StrCat(path, path.empty() ? "" : ".", f.name(),
                      f.is_repeated() ? "[]" : "");
}

}  // namespace

void InstallRequestGuardLogHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_previous_log_handler = pb::SetLogHandler(&RecordingLogHandler);
  });
}

std::optional<std::string> TakeUtf8ParseFailureField() {
  if (t_refused_field.empty()) return std::nullopt;
  return std::exchange(t_refused_field, {});
}

std::vector<std::string> FieldPathsTo(const pb::Descriptor& root,
                                      absl::string_view field_full_name,
                                      size_t paths_max) {
  std::vector<std::string> paths;
  std::deque<PathStep> queue = {{&root, "", 0}};
  int steps = 0;
  while (!queue.empty() && paths.size() < paths_max &&
         steps < kFieldPathStepsMax) {
    PathStep step = std::move(queue.front());
    queue.pop_front();
    for (int i = 0; i < step.type->field_count(); ++i) {
      const pb::FieldDescriptor& f = *step.type->field(i);
      ++steps;
      if (f.full_name() == field_full_name && paths.size() < paths_max) {
        paths.push_back(Join(step.path, f));
      }
      if (f.message_type() != nullptr && step.depth < kFieldPathDepthMax) {
        queue.push_back({f.message_type(), Join(step.path, f), step.depth + 1});
      }
    }
  }
  return paths;
}

std::string UnparsedRequestMessage(absl::string_view method,
                                   absl::string_view field_full_name) {
  const pb::Descriptor* type = RequestType(method);
  if (field_full_name.empty()) {
    return absl::StrCat("request: not a valid ",
                        type == nullptr ? "request" : type->full_name(),
                        " message");
  }
  std::vector<std::string> paths;
  if (type != nullptr) paths = FieldPathsTo(*type, field_full_name);
  const std::string named = paths.empty() ? std::string(field_full_name)
                                          : absl::StrJoin(paths, " or ");
  return absl::StrCat(named, ": is not valid UTF-8 (field ", field_full_name,
                      "; a string field holds UTF-8 text, raw bytes belong "
                      "in a bytes field)");
}

std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
RequestGuardInterceptorCreators() {
  InstallRequestGuardLogHandler();
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      creators;
  creators.push_back(std::make_unique<RequestGuardFactory>());
  return creators;
}

}  // namespace billing
