#include "services/contract_service.h"

#include "absl/strings/str_format.h"
#include "engine/contracts/contracts.h"
#include "engine/contracts/due.h"
#include "engine/contracts/prices.h"
#include "engine/contracts/store.h"
#include "engine/customer/customer.h"
#include "engine/core/validation.h"
#include "services/status_map.h"

namespace billing {
namespace {

// Contract references and rule ids: codes (engine/contracts/contracts.cc).
constexpr size_t kCodeLengthMax = 32;

absl::Status Code(absl::string_view field, absl::string_view value) {
  return ValidateCode(field, value, kCodeLengthMax);
}

absl::StatusOr<v1::BillingRule> FindRule(const StateReader& state,
                                         absl::string_view customer_id,
                                         absl::string_view contract_ref,
                                         absl::string_view rule_id) {
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  if (auto s = Code("contract_ref", contract_ref); !s.ok()) return s;
  if (auto s = Code("rule_id", rule_id); !s.ok()) return s;
  auto rule = LoadRule(state, customer_id, contract_ref, rule_id);
  if (!rule.ok()) return rule.status();
  if (!rule->has_value()) {
    return absl::NotFoundError(absl::StrFormat(
        "rule_id: %s is not a rule of contract %s of customer %s",
        QuoteValue(rule_id), QuoteValue(contract_ref),
        QuoteValue(customer_id)));
  }
  return **rule;
}

}  // namespace

grpc::Status ContractServiceImpl::Execute(
    grpc::ServerContext*, const v1::ContractCommandRequest* request,
    v1::ContractAnswer* response) {
  CommandRequest command;
  command.idempotency_key = request->idempotency_key();
  command.business_date = request->business_date();
  *command.command.mutable_contract() = request->command();
  auto result = commands_->Execute(std::move(command));
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = result->contract();
  return grpc::Status::OK;
}

grpc::Status ContractServiceImpl::GetContract(
    grpc::ServerContext*, const v1::GetContractRequest* request,
    v1::ContractDetails* response) {
  auto snapshot = state_->Snapshot();
  if (auto s = RequireCustomer(*snapshot, request->customer_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (auto s = Code("contract_ref", request->contract_ref()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto contract =
      LoadContract(*snapshot, request->customer_id(), request->contract_ref());
  if (!contract.ok()) return ToGrpcStatus(contract.status());
  if (!contract->has_value()) {
    return ToGrpcStatus(absl::NotFoundError(
        absl::StrFormat("contract_ref: %s is not a contract of customer %s",
                        QuoteValue(request->contract_ref()),
                        QuoteValue(request->customer_id()))));
  }
  auto rules =
      ListRules(*snapshot, request->customer_id(), request->contract_ref());
  if (!rules.ok()) return ToGrpcStatus(rules.status());
  *response->mutable_contract() = std::move(**contract);
  for (auto& r : *rules) *response->add_rules() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status ContractServiceImpl::ListContracts(
    grpc::ServerContext*, const v1::ListContractsRequest* request,
    v1::ListContractsResponse* response) {
  auto snapshot = state_->Snapshot();
  if (auto s = RequireCustomer(*snapshot, request->customer_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto contracts = billing::ListContracts(*snapshot, request->customer_id());
  if (!contracts.ok()) return ToGrpcStatus(contracts.status());
  for (auto& c : *contracts) *response->add_contracts() = std::move(c);
  return grpc::Status::OK;
}

grpc::Status ContractServiceImpl::GetRule(grpc::ServerContext*,
                                          const v1::GetRuleRequest* request,
                                          v1::BillingRule* response) {
  auto snapshot = state_->Snapshot();
  auto rule = FindRule(*snapshot, request->customer_id(),
                       request->contract_ref(), request->rule_id());
  if (!rule.ok()) return ToGrpcStatus(rule.status());
  *response = std::move(*rule);
  return grpc::Status::OK;
}

grpc::Status ContractServiceImpl::GetDue(grpc::ServerContext*,
                                         const v1::GetDueRequest* request,
                                         v1::DueReport* response) {
  BusinessDate as_of = clock_->Today();
  if (!request->as_of_date().empty()) {
    auto d = ParseBusinessDate(request->as_of_date(), "as_of_date");
    if (!d.ok()) return ToGrpcStatus(d.status());
    as_of = *d;
  }
  auto snapshot = state_->Snapshot();
  auto report = ComputeDue(
      *snapshot, request->customer_id(),
      DueSelection{request->contract_ref(), request->rule_id()}, as_of);
  if (!report.ok()) return ToGrpcStatus(report.status());
  *response = std::move(*report);
  return grpc::Status::OK;
}

grpc::Status ContractServiceImpl::GetIncreaseHistory(
    grpc::ServerContext*, const v1::GetIncreaseHistoryRequest* request,
    v1::IncreaseHistory* response) {
  BusinessDate as_of = clock_->Today();
  if (!request->as_of_date().empty()) {
    auto d = ParseBusinessDate(request->as_of_date(), "as_of_date");
    if (!d.ok()) return ToGrpcStatus(d.status());
    as_of = *d;
  }
  auto snapshot = state_->Snapshot();
  auto rule = FindRule(*snapshot, request->customer_id(),
                       request->contract_ref(), request->rule_id());
  if (!rule.ok()) return ToGrpcStatus(rule.status());
  auto history = IncreaseHistoryAsOf(*snapshot, *rule, as_of);
  if (!history.ok()) return ToGrpcStatus(history.status());
  *response = std::move(*history);
  return grpc::Status::OK;
}

grpc::Status ContractServiceImpl::ListReadings(
    grpc::ServerContext*, const v1::ListReadingsRequest* request,
    v1::ReadingHistory* response) {
  auto snapshot = state_->Snapshot();
  if (auto s = RequireCustomer(*snapshot, request->customer_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (auto s = ValidateObjectId("object_id", request->object_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto meter =
      LoadMeter(*snapshot, request->customer_id(), request->object_id());
  if (!meter.ok()) return ToGrpcStatus(meter.status());
  if (!meter->has_value()) {
    return ToGrpcStatus(absl::NotFoundError(absl::StrFormat(
        "object_id: object %s of customer %s has no reading",
        QuoteValue(request->object_id()), QuoteValue(request->customer_id()))));
  }
  auto readings = billing::ListReadings(*snapshot, request->customer_id(),
                                        request->object_id());
  if (!readings.ok()) return ToGrpcStatus(readings.status());
  *response->mutable_meter() = std::move(**meter);
  for (auto& r : *readings) *response->add_readings() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status ContractServiceImpl::GetReferenceData(
    grpc::ServerContext*, const v1::GetReferenceDataRequest*,
    v1::ReferenceData* response) {
  auto snapshot = state_->Snapshot();
  auto data = LoadReferenceData(*snapshot);
  if (!data.ok()) return ToGrpcStatus(data.status());
  *response = std::move(*data);
  return grpc::Status::OK;
}

}  // namespace billing
