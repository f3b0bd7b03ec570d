#include "services/usage_service.h"

#include "absl/strings/str_format.h"
#include "engine/structure.h"
#include "engine/usage.h"
#include "engine/validation.h"
#include "services/status_map.h"

namespace billing {
namespace {

// Records handed to the ingestor at once from a stream: enough for the
// lanes to batch, small enough to bound memory. Default: 512.
constexpr size_t kStreamBatchRecordsMax = 512;
constexpr int kListLimitDefault = 1000;
constexpr int kListLimitMax = 10000;

absl::Status CheckKeyAndCustomer(absl::string_view key,
                                 absl::string_view customer_id) {
  if (auto s = ValidateIdempotencyKey("idempotency_key", key); !s.ok()) {
    return s;
  }
  return ValidateCode("customer_id", customer_id, 32);
}

absl::StatusOr<int> Limit(int requested) {
  if (requested < 0) {
    return FieldError("limit", absl::StrFormat("%d is negative", requested));
  }
  return requested == 0 ? kListLimitDefault : std::min(requested, kListLimitMax);
}

void AddTo(v1::IngestSummary* summary, const UsageIngestor::Summary& s) {
  summary->set_received(summary->received() + s.received);
  summary->set_rated(summary->rated() + s.rated);
  summary->set_duplicates(summary->duplicates() + s.duplicates);
  summary->set_quarantined(summary->quarantined() + s.quarantined);
}

}  // namespace

grpc::Status UsageServiceImpl::DefineRatePlanVersion(
    grpc::ServerContext*, const v1::DefineRatePlanVersionRequest* request,
    v1::RatePlanVersion* response) {
  if (auto s = CheckKeyAndCustomer(request->idempotency_key(),
                                   request->customer_id());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  CommandRequest command;
  command.idempotency_key = request->idempotency_key();
  command.business_date = request->business_date();
  auto* usage = command.command.mutable_usage();
  usage->set_customer_id(request->customer_id());
  *usage->mutable_define_plan_version()->mutable_version() =
      request->version();
  auto result = commands_->Execute(std::move(command));
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = request->version();
  return grpc::Status::OK;
}

grpc::Status UsageServiceImpl::AssignRatePlan(
    grpc::ServerContext*, const v1::AssignRatePlanRequest* request,
    v1::AssignRatePlanResponse*) {
  if (auto s = CheckKeyAndCustomer(request->idempotency_key(),
                                   request->customer_id());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  CommandRequest command;
  command.idempotency_key = request->idempotency_key();
  command.business_date = request->business_date();
  auto* usage = command.command.mutable_usage();
  usage->set_customer_id(request->customer_id());
  usage->mutable_assign_plan()->set_object_id(request->object_id());
  usage->mutable_assign_plan()->set_plan_id(request->plan_id());
  return ToGrpcStatus(commands_->Execute(std::move(command)).status());
}

absl::Status UsageServiceImpl::Flush(std::vector<IngestInput>& inputs,
                                     UsageIngestor::Summary& summary) {
  if (inputs.empty()) return absl::OkStatus();
  auto outcomes = ingestor_.IngestBatch(inputs);
  if (!outcomes.ok()) return outcomes.status();
  for (const auto& o : *outcomes) summary.Add(o);
  inputs.clear();
  return absl::OkStatus();
}

grpc::Status UsageServiceImpl::IngestUsage(
    grpc::ServerContext*, grpc::ServerReader<v1::UsageRecord>* reader,
    v1::IngestSummary* response) {
  std::vector<IngestInput> batch;
  UsageIngestor::Summary summary;
  v1::UsageRecord record;
  while (reader->Read(&record)) {
    batch.push_back({record.SerializeAsString(),
                     absl::StrFormat("grpc:%s/%s", record.platform_id(),
                                     record.record_id())});
    if (batch.size() >= kStreamBatchRecordsMax) {
      if (auto s = Flush(batch, summary); !s.ok()) return ToGrpcStatus(s);
    }
  }
  if (auto s = Flush(batch, summary); !s.ok()) return ToGrpcStatus(s);
  AddTo(response, summary);
  return grpc::Status::OK;
}

grpc::Status UsageServiceImpl::IngestRawUsage(
    grpc::ServerContext*, grpc::ServerReader<v1::RawUsage>* reader,
    v1::IngestSummary* response) {
  std::vector<IngestInput> batch;
  UsageIngestor::Summary summary;
  v1::RawUsage message;
  while (reader->Read(&message)) {
    batch.push_back({message.raw(), message.source().empty()
                                        ? std::string("grpc-raw")
                                        : message.source()});
    if (batch.size() >= kStreamBatchRecordsMax) {
      if (auto s = Flush(batch, summary); !s.ok()) return ToGrpcStatus(s);
    }
  }
  if (auto s = Flush(batch, summary); !s.ok()) return ToGrpcStatus(s);
  AddTo(response, summary);
  return grpc::Status::OK;
}

grpc::Status UsageServiceImpl::GetUsageTotals(
    grpc::ServerContext*, const v1::GetUsageTotalsRequest* request,
    v1::GetUsageTotalsResponse* response) {
  if (auto s = ValidateCode("customer_id", request->customer_id(), 32);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (auto m = ParseBillingMonth(request->month(), "month"); !m.ok()) {
    return ToGrpcStatus(m.status());
  }
  auto snapshot = state_->Snapshot();
  auto totals = UsageTotalsFor(*snapshot, request->customer_id(),
                               request->month(), request->object_id());
  if (!totals.ok()) return ToGrpcStatus(totals.status());
  auto month = ParseBillingMonth(request->month(), "month");
  for (auto& t : *totals) {
    // Entity and discount of the month: resolved now, never stored with the
    // totals, so a later reassignment in the month still moves it all.
    auto change = AssignmentForMonth(*snapshot, request->customer_id(),
                                     t.object_id(), *month);
    if (change.ok()) *t.mutable_assignment() = change->assignment();
    *response->add_totals() = std::move(t);
  }
  return grpc::Status::OK;
}

grpc::Status UsageServiceImpl::ListRatedUsage(
    grpc::ServerContext*, const v1::ListRatedUsageRequest* request,
    v1::ListRatedUsageResponse* response) {
  if (auto s = ValidateCode("customer_id", request->customer_id(), 32);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (auto m = ParseBillingMonth(request->month(), "month"); !m.ok()) {
    return ToGrpcStatus(m.status());
  }
  auto limit = Limit(request->limit());
  if (!limit.ok()) return ToGrpcStatus(limit.status());
  auto snapshot = state_->Snapshot();
  auto records = RatedRecordsFor(*snapshot, request->customer_id(),
                                 request->month(), request->object_id(),
                                 static_cast<size_t>(*limit));
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
    auto inputs =
        QuarantinedInputs(*snapshot, -1, static_cast<size_t>(*limit));
    if (!inputs.ok()) return ToGrpcStatus(inputs.status());
    for (auto& i : *inputs) *response->add_inputs() = std::move(i);
    return grpc::Status::OK;
  }
  if (auto s = ValidateCode("customer_id", request->customer_id(), 32);
      !s.ok()) {
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
    if (auto s = ValidateCode("customer_id", request->customer_id(), 32);
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
