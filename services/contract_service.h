#pragma once

// billing.v1.ContractService: contracts, billing rules, readings, units of
// work, time spent, price increases and the reference data
// (engine/contracts/contracts.h holds the rules). Commands become a
// v1::Command{contract} and go through the CommandProcessor; queries read a
// RocksDB snapshot and return what the engine's query answers
// (engine/contracts/queries.h, ComputeDue, LoadReferenceData). Each handler
// decodes, calls and maps the status, nothing more. A query without
// as_of_date uses the server's business date.

#include "billing/v1/contract_service.grpc.pb.h"
#include "services/clock.h"
#include "services/command_processor.h"
#include "storage/rocks_state.h"

namespace billing {

class ContractServiceImpl final : public v1::ContractService::Service {
 public:
  ContractServiceImpl(CommandProcessor* commands, const RocksState* state,
                      const BusinessClock* clock)
      : commands_(commands), state_(state), clock_(clock) {}

  grpc::Status Execute(grpc::ServerContext* context,
                       const v1::ContractCommandRequest* request,
                       v1::ContractAnswer* response) override;
  grpc::Status GetContract(grpc::ServerContext* context,
                           const v1::GetContractRequest* request,
                           v1::ContractDetails* response) override;
  grpc::Status ListContracts(grpc::ServerContext* context,
                             const v1::ListContractsRequest* request,
                             v1::ListContractsResponse* response) override;
  grpc::Status GetRule(grpc::ServerContext* context,
                       const v1::GetRuleRequest* request,
                       v1::BillingRule* response) override;
  grpc::Status GetDue(grpc::ServerContext* context,
                      const v1::GetDueRequest* request,
                      v1::DueReport* response) override;
  grpc::Status GetIncreaseHistory(grpc::ServerContext* context,
                                  const v1::GetIncreaseHistoryRequest* request,
                                  v1::IncreaseHistory* response) override;
  grpc::Status ListReadings(grpc::ServerContext* context,
                            const v1::ListReadingsRequest* request,
                            v1::ReadingHistory* response) override;
  grpc::Status GetReferenceData(grpc::ServerContext* context,
                                const v1::GetReferenceDataRequest* request,
                                v1::ReferenceData* response) override;

 private:
  CommandProcessor* const commands_;
  const RocksState* const state_;
  const BusinessClock* const clock_;
};

}  // namespace billing
