#include "services/usage_service.h"

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/structure/structure.h"
#include "engine/usage/usage.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/method_handler.h"
#include "services/outside_text.h"
#include "services/status_map.h"

namespace billing {
namespace {

// Bytes of a client's own reason (RawUsage.client_reason) kept, at most.
constexpr size_t kClientReasonBytesMax = 256;
constexpr int kListLimitDefault = 1000;
constexpr int kListLimitMax = 10000;

absl::Status CheckKeyAndCustomer(absl::string_view key,
                                 absl::string_view customer_id) {
  if (auto s = ValidateIdempotencyKey("idempotency_key", key); !s.ok()) {
    return s;
  }
  return ValidateCode("customer_id", customer_id, limits::kCodeLengthMax);
}

absl::StatusOr<int> Limit(int requested) {
  if (requested < 0) {
    return FieldError("limit", absl::StrFormat("%d is negative", requested));
  }
  return requested == 0 ? kListLimitDefault
                        : std::min(requested, kListLimitMax);
}

// The index of `method` in UsageService, as the generated Service numbers
// its methods (in the order of the .proto).
int MethodIndex(absl::string_view method) {
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "billing.v1.UsageService");
  const auto* m = service == nullptr
                      ? nullptr
                      : service->FindMethodByName(std::string(method));
  // The generated code and this file name the same methods.
  if (m == nullptr) std::abort();
  return m->index();
}

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const auto& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

// One record's input: its source names it by ids when it parses, else by
// `position` (the ingestor quarantines it there).
IngestInput RecordInput(std::string bytes, std::string position) {
  v1::UsageRecord record;
  std::string source =
      record.ParseFromString(bytes)
          ? BoundedText(absl::StrFormat("grpc:%s/%s", record.platform_id(),
                                        record.record_id()))
          : std::move(position);
  return {std::move(bytes), std::move(source), ""};
}

// One IngestUsage message: a protobuf UsageRecord (else quarantined by the
// ingestor with its position).
absl::Status UsageInput(std::string bytes, int64_t n,
                        std::vector<IngestInput>& out) {
  out.push_back(RecordInput(std::move(bytes),
                            absl::StrFormat("grpc:stream message %d", n)));
  return absl::OkStatus();
}

// The records of a UsageBatch as the bytes they came in (a batch is never
// parsed and each record re-encoded): false when `bytes` hold anything but
// field 1, length-delimited, or end inside a record.
bool SplitBatch(absl::string_view bytes,
                std::vector<absl::string_view>& records) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(bytes.size()));
  constexpr uint32_t kRecordsTag =
      WireFormatLite::MakeTag(v1::UsageBatch::kRecordsFieldNumber,
                              WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  while (true) {
    const uint32_t tag = in.ReadTag();
    // 0: the end of the bytes, or a tag no message holds.
    if (tag == 0) return in.ConsumedEntireMessage();
    uint32_t length = 0;
    if (tag != kRecordsTag || !in.ReadVarint32(&length)) return false;
    const int at = in.CurrentPosition();
    if (length > bytes.size() - static_cast<size_t>(at) || !in.Skip(length)) {
      return false;
    }
    records.push_back(bytes.substr(static_cast<size_t>(at), length));
  }
}

// One IngestUsageBatches message: each record an input (quarantined by the
// ingestor, with its position, when it is not a record); a message that is
// not a UsageBatch is quarantined whole. InvalidArgument naming
// usage_batch.records when the message is over a limit: nothing of it is
// taken.
absl::Status BatchInputs(std::string bytes, int64_t n,
                         std::vector<IngestInput>& out) {
  if (bytes.size() > kUsageBatchMessageBytesMax) {
    return FieldError(
        "usage_batch.records",
        absl::StrFormat("message %d holds %d bytes, at most %d", n,
                        bytes.size(), kUsageBatchMessageBytesMax));
  }
  std::vector<absl::string_view> records;
  if (!SplitBatch(bytes, records)) {
    out.push_back({std::move(bytes),
                   absl::StrFormat("grpc:batch message %d", n),
                   "message: not a billing.v1.UsageBatch"});
    return absl::OkStatus();
  }
  if (records.size() > kUsageBatchMessageRecordsMax) {
    return FieldError(
        "usage_batch.records",
        absl::StrFormat("message %d holds %d records, at most %d", n,
                        records.size(), kUsageBatchMessageRecordsMax));
  }
  for (size_t k = 0; k < records.size(); ++k) {
    out.push_back(RecordInput(
        std::string(records[k]),
        absl::StrFormat("grpc:batch message %d record %d", n, k + 1)));
  }
  return absl::OkStatus();
}

// One IngestRawUsage message: a RawUsage holding the bytes to decode. When
// it is not one, its own bytes are quarantined.
IngestInput RawMessageInput(std::string bytes, int64_t n) {
  v1::RawUsage message;
  if (!message.ParseFromString(bytes)) {
    auto bad = FirstBadStringFieldInWire(*v1::RawUsage::descriptor(), bytes,
                                         "message");
    std::string reason =
        bad.has_value() ? absl::StrCat(*bad, ": not valid UTF-8")
                        : std::string("message: not a billing.v1.RawUsage");
    return {std::move(bytes), absl::StrFormat("grpc-raw:stream message %d", n),
            std::move(reason)};
  }
  IngestInput in;
  in.raw = std::move(*message.mutable_raw());
  in.source =
      message.source().empty() ? std::string("grpc-raw") : message.source();
  if (!message.client_reason().empty()) {
    in.undecodable_reason = absl::StrCat(
        "client: ",
        BoundedText(message.client_reason(), kClientReasonBytesMax));
  }
  return in;
}

absl::Status RawInput(std::string bytes, int64_t n,
                      std::vector<IngestInput>& out) {
  out.push_back(RawMessageInput(std::move(bytes), n));
  return absl::OkStatus();
}

void AddTo(v1::IngestSummary* summary, const UsageIngestor::Summary& s) {
  summary->set_received(summary->received() + s.received);
  summary->set_rated(summary->rated() + s.rated);
  summary->set_duplicates(summary->duplicates() + s.duplicates);
  summary->set_quarantined(summary->quarantined() + s.quarantined);
}

}  // namespace

std::string UsageBatchWire(absl::Span<const std::string> records) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    for (const std::string& r : records) {
      coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
          v1::UsageBatch::kRecordsFieldNumber,
          google::protobuf::internal::WireFormatLite::
              WIRETYPE_LENGTH_DELIMITED));
      coded.WriteVarint32(static_cast<uint32_t>(r.size()));
      coded.WriteString(r);
    }
  }  // the stream writes its last bytes to `out` when it goes
  return out;
}

UsageServiceImpl::UsageServiceImpl(CommandProcessor* commands,
                                   const RocksState* state,
                                   UsageIngestLimits limits)
    : commands_(commands),
      state_(state),
      ingestor_(commands, state, limits.ingest),
      limits_(limits),
      budget_left_(limits.records_in_flight_max) {
  using Handler =
      grpc::internal::ClientStreamingHandler<UsageServiceImpl, grpc::ByteBuffer,
                                             v1::IngestSummary>;
  MarkMethodStreamed(
      MethodIndex("IngestUsage"),
      new Handler(std::mem_fn(&UsageServiceImpl::IngestUsageBytes), this));
  MarkMethodStreamed(
      MethodIndex("IngestRawUsage"),
      new Handler(std::mem_fn(&UsageServiceImpl::IngestRawUsageBytes), this));
  MarkMethodStreamed(
      MethodIndex("IngestUsageBatches"),
      new Handler(std::mem_fn(&UsageServiceImpl::IngestUsageBatchesBytes),
                  this));
}

namespace {

// The usage command of a unary request: key and customer checked, then
// `fill` sets the command's body.
template <typename Request, typename Fill>
absl::StatusOr<CommandRequest> UsageCommand(const Request& request, Fill fill) {
  if (auto s =
          CheckKeyAndCustomer(request.idempotency_key(), request.customer_id());
      !s.ok()) {
    return s;
  }
  CommandRequest command;
  command.idempotency_key = request.idempotency_key();
  command.business_date = request.business_date();
  auto* usage = command.command.mutable_usage();
  usage->set_customer_id(request.customer_id());
  fill(*usage);
  return command;
}

// The customer code and the month of a per-month query.
template <typename Request>
absl::Status CheckCustomerAndMonth(const Request& request) {
  if (auto s = ValidateCode("customer_id", request.customer_id(),
                            limits::kCodeLengthMax);
      !s.ok()) {
    return s;
  }
  return ParseBillingMonth(request.month(), "month").status();
}

}  // namespace

grpc::Status UsageServiceImpl::DefineRatePlanVersion(
    grpc::ServerContext*, const v1::DefineRatePlanVersionRequest* request,
    v1::RatePlanVersion* response) {
  auto command = UsageCommand(*request, [&](v1::UsageCommand& usage) {
    *usage.mutable_define_plan_version()->mutable_version() =
        request->version();
  });
  if (!command.ok()) return ToGrpcStatus(command.status());
  auto result = commands_->Execute(*std::move(command));
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = request->version();
  return grpc::Status::OK;
}

grpc::Status UsageServiceImpl::AssignRatePlan(
    grpc::ServerContext*, const v1::AssignRatePlanRequest* request,
    v1::AssignRatePlanResponse*) {
  auto command = UsageCommand(*request, [&](v1::UsageCommand& usage) {
    usage.mutable_assign_plan()->set_object_id(request->object_id());
    usage.mutable_assign_plan()->set_plan_id(request->plan_id());
  });
  if (!command.ok()) return ToGrpcStatus(command.status());
  return ToGrpcStatus(commands_->Execute(*std::move(command)).status());
}

grpc::Status UsageServiceImpl::RerateUsage(
    grpc::ServerContext*, const v1::RerateUsageRequest* request,
    v1::RerateUsageResponse* response) {
  auto command = UsageCommand(*request, [&](v1::UsageCommand& usage) {
    v1::RerateUsage* r = usage.mutable_rerate_usage();
    r->set_month(request->month());
    r->set_object_id(request->object_id());
    r->set_reason(request->reason());
    r->set_after(request->after());
  });
  if (!command.ok()) return ToGrpcStatus(command.status());
  auto result = commands_->Execute(*std::move(command));
  if (!result.ok()) return ToGrpcStatus(result.status());
  const v1::UsageAnswer& a = result->usage();
  response->set_examined(a.rerate_examined());
  response->set_changed(a.rerate_changed());
  *response->mutable_kept() = a.rerate_kept();
  response->set_delta_micros(a.rerate_delta_micros());
  response->set_next(a.rerate_next());
  return grpc::Status::OK;
}

absl::Status UsageServiceImpl::Flush(std::vector<IngestInput>& inputs,
                                     UsageIngestor::Summary& summary) {
  if (inputs.empty()) return absl::OkStatus();
  absl::Duration backoff = limits_.retry_backoff;
  absl::StatusOr<std::vector<IngestOutcome>> outcomes;
  for (int attempt = 1;; ++attempt) {
    outcomes = ingestor_.IngestBatch(inputs);
    if (outcomes.ok() || !absl::IsUnavailable(outcomes.status()) ||
        attempt >= limits_.attempts_max) {
      break;
    }
    absl::SleepFor(backoff);  // the lanes are full: give them time
    backoff = backoff * 2;
  }
  GiveBudget(static_cast<int64_t>(inputs.size()));
  if (!outcomes.ok()) return outcomes.status();
  for (const auto& o : *outcomes) summary.Add(o);
  inputs.clear();
  return absl::OkStatus();
}

bool UsageServiceImpl::TakeBudget(bool wait) {
  absl::MutexLock lock(&budget_mu_);
  auto left = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(budget_mu_) {
    return budget_left_ > 0;
  };
  if (!left()) {
    if (!wait) return false;
    if (!budget_mu_.AwaitWithTimeout(absl::Condition(&left),
                                     limits_.budget_wait_max)) {
      return false;
    }
  }
  --budget_left_;
  return true;
}

void UsageServiceImpl::GiveBudget(int64_t records) {
  absl::MutexLock lock(&budget_mu_);
  budget_left_ += records;
}

grpc::Status UsageServiceImpl::IngestStream(
    grpc::ServerReader<grpc::ByteBuffer>* reader, const ToInputs& to_inputs,
    absl::string_view unit, v1::IngestSummary* response) {
  std::vector<IngestInput> batch;
  std::vector<IngestInput> inputs;
  UsageIngestor::Summary summary;
  grpc::ByteBuffer message;
  int64_t n = 0;      // messages read
  int64_t taken = 0;  // their inputs (`unit`)
  // What the caller can tell from a failed call: the messages accounted for.
  auto failed = [&](const absl::Status& s) {
    return ToGrpcStatus(absl::Status(
        s.code(), absl::StrFormat(
                      "%s; this call took %d of the %d %s read (rated %d, "
                      "duplicates %d, quarantined %d): send the rest again "
                      "(ids make it safe)",
                      s.message(), summary.received, taken, unit, summary.rated,
                      summary.duplicates, summary.quarantined)));
  };
  // Read cannot fail on a message's content (bytes are not deserialized):
  // false is the end of the stream or a broken call, never a bad message.
  while (reader->Read(&message)) {
    ++n;
    inputs.clear();
    absl::Status made = to_inputs(Bytes(message), n, inputs);
    message.Clear();
    if (!made.ok()) {
      // Over a limit: what came before is ingested, this message is not.
      if (auto s = Flush(batch, summary); !s.ok()) return failed(s);
      return failed(made);
    }
    for (IngestInput& in : inputs) {
      ++taken;
      if (!TakeBudget(/*wait=*/false)) {
        // The budget is spent: ingest what this stream holds, then wait
        // holding nothing.
        if (auto s = Flush(batch, summary); !s.ok()) return failed(s);
        if (!TakeBudget(/*wait=*/true)) {
          return failed(absl::UnavailableError(absl::StrFormat(
              "billingd has %d usage records in flight from its streams; no "
              "room within %s",
              limits_.records_in_flight_max,
              absl::FormatDuration(limits_.budget_wait_max))));
        }
      }
      batch.push_back(std::move(in));
      if (batch.size() >= limits_.stream_batch_records_max) {
        if (auto s = Flush(batch, summary); !s.ok()) return failed(s);
      }
    }
  }
  if (auto s = Flush(batch, summary); !s.ok()) return failed(s);
  AddTo(response, summary);
  return grpc::Status::OK;
}

grpc::Status UsageServiceImpl::IngestUsageBytes(
    grpc::ServerContext*, grpc::ServerReader<grpc::ByteBuffer>* reader,
    v1::IngestSummary* response) {
  return IngestStream(reader, UsageInput, "messages", response);
}

grpc::Status UsageServiceImpl::IngestRawUsageBytes(
    grpc::ServerContext*, grpc::ServerReader<grpc::ByteBuffer>* reader,
    v1::IngestSummary* response) {
  return IngestStream(reader, RawInput, "messages", response);
}

grpc::Status UsageServiceImpl::IngestUsageBatchesBytes(
    grpc::ServerContext*, grpc::ServerReader<grpc::ByteBuffer>* reader,
    v1::IngestSummary* response) {
  return IngestStream(reader, BatchInputs, "records", response);
}

grpc::Status UsageServiceImpl::GetUsageTotals(
    grpc::ServerContext*, const v1::GetUsageTotalsRequest* request,
    v1::GetUsageTotalsResponse* response) {
  if (auto s = CheckCustomerAndMonth(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto snapshot = state_->Snapshot();
  if (auto s = RequireCustomer(*snapshot, request->customer_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto totals = UsageTotalsFor(*snapshot, request->customer_id(),
                               request->month(), request->object_id());
  if (!totals.ok()) return ToGrpcStatus(totals.status());
  // Each total carries its month's entity and discount (UsageTotalsFor).
  for (auto& t : *totals) *response->add_totals() = std::move(t);
  return grpc::Status::OK;
}

grpc::Status UsageServiceImpl::ListRatedUsage(
    grpc::ServerContext*, const v1::ListRatedUsageRequest* request,
    v1::ListRatedUsageResponse* response) {
  if (auto s = CheckCustomerAndMonth(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto limit = Limit(request->limit());
  if (!limit.ok()) return ToGrpcStatus(limit.status());
  auto snapshot = state_->Snapshot();
  if (auto s = RequireCustomer(*snapshot, request->customer_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto records =
      RatedRecordsFor(*snapshot, request->customer_id(), request->month(),
                      request->object_id(), static_cast<size_t>(*limit));
  if (!records.ok()) return ToGrpcStatus(records.status());
  for (auto& r : *records) *response->add_records() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status UsageServiceImpl::ListQuarantine(
    grpc::ServerContext*, const v1::ListQuarantineRequest* request,
    v1::ListQuarantineResponse* response) {
  auto limit = Limit(request->limit());
  if (!limit.ok()) return ToGrpcStatus(limit.status());
  auto snapshot = state_->Snapshot();
  if (request->customer_id().empty()) {
    auto inputs = QuarantinedInputs(*snapshot, -1, static_cast<size_t>(*limit));
    if (!inputs.ok()) return ToGrpcStatus(inputs.status());
    for (auto& i : *inputs) *response->add_inputs() = std::move(i);
    return grpc::Status::OK;
  }
  if (auto s = RequireCustomer(*snapshot, request->customer_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto records = QuarantinedUsage(*snapshot, request->customer_id(),
                                  static_cast<size_t>(*limit));
  if (!records.ok()) return ToGrpcStatus(records.status());
  for (auto& r : *records) *response->add_records() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status UsageServiceImpl::ReplayQuarantine(
    grpc::ServerContext*, const v1::ReplayQuarantineRequest* request,
    v1::IngestSummary* response) {
  if (!request->customer_id().empty()) {
    if (auto s = RequireCustomer(*state_->Snapshot(), request->customer_id());
        !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  auto summary = ingestor_.ReplayQuarantine(request->customer_id());
  if (!summary.ok()) return ToGrpcStatus(summary.status());
  AddTo(response, *summary);
  return grpc::Status::OK;
}

}  // namespace billing
