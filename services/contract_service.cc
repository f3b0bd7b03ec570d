#include "services/contract_service.h"

#include <utility>

#include "engine/contracts/due.h"
#include "engine/contracts/queries.h"
#include "engine/contracts/store.h"
#include "services/status_map.h"

namespace billing {
namespace {

// The request's as_of_date, or the server's business date when empty.
absl::StatusOr<BusinessDate> AsOf(absl::string_view text,
                                  const BusinessClock& clock) {
  if (text.empty()) return clock.Today();
  return ParseBusinessDate(text, "as_of_date");
}

// The engine's answer into the response, or its status.
template <typename M>
grpc::Status Answer(absl::StatusOr<M> answer, M* response) {
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  *response = std::move(*answer);
  return grpc::Status::OK;
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
  return Answer(ContractDetailsOf(*snapshot, request->customer_id(),
                                  request->contract_ref()),
                response);
}

grpc::Status ContractServiceImpl::ListContracts(
    grpc::ServerContext*, const v1::ListContractsRequest* request,
    v1::ListContractsResponse* response) {
  auto snapshot = state_->Snapshot();
  auto contracts = ContractsOf(*snapshot, request->customer_id());
  if (!contracts.ok()) return ToGrpcStatus(contracts.status());
  for (auto& c : *contracts) *response->add_contracts() = std::move(c);
  return grpc::Status::OK;
}

grpc::Status ContractServiceImpl::GetRule(grpc::ServerContext*,
                                          const v1::GetRuleRequest* request,
                                          v1::BillingRule* response) {
  auto snapshot = state_->Snapshot();
  return Answer(RuleOf(*snapshot, request->customer_id(),
                       request->contract_ref(), request->rule_id()),
                response);
}

grpc::Status ContractServiceImpl::GetDue(grpc::ServerContext*,
                                         const v1::GetDueRequest* request,
                                         v1::DueReport* response) {
  auto as_of = AsOf(request->as_of_date(), *clock_);
  if (!as_of.ok()) return ToGrpcStatus(as_of.status());
  auto snapshot = state_->Snapshot();
  return Answer(
      ComputeDue(*snapshot, request->customer_id(),
                 DueSelection{request->contract_ref(), request->rule_id()},
                 *as_of),
      response);
}

grpc::Status ContractServiceImpl::GetIncreaseHistory(
    grpc::ServerContext*, const v1::GetIncreaseHistoryRequest* request,
    v1::IncreaseHistory* response) {
  auto as_of = AsOf(request->as_of_date(), *clock_);
  if (!as_of.ok()) return ToGrpcStatus(as_of.status());
  auto snapshot = state_->Snapshot();
  return Answer(
      IncreaseHistoryOf(*snapshot, request->customer_id(),
                        request->contract_ref(), request->rule_id(), *as_of),
      response);
}

grpc::Status ContractServiceImpl::ListReadings(
    grpc::ServerContext*, const v1::ListReadingsRequest* request,
    v1::ReadingHistory* response) {
  auto snapshot = state_->Snapshot();
  return Answer(
      ReadingHistoryOf(*snapshot, request->customer_id(), request->object_id()),
      response);
}

grpc::Status ContractServiceImpl::GetReferenceData(
    grpc::ServerContext*, const v1::GetReferenceDataRequest*,
    v1::ReferenceData* response) {
  auto snapshot = state_->Snapshot();
  return Answer(LoadReferenceData(*snapshot), response);
}

}  // namespace billing
