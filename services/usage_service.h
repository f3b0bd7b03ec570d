#pragma once

// billing.v1.UsageService: rate plans, ingest over a client stream, rated
// totals and records, the quarantine and its replay.

#include "billing/v1/usage_service.grpc.pb.h"
#include "services/command_processor.h"
#include "services/usage_ingest.h"
#include "storage/rocks_state.h"

namespace billing {

class UsageServiceImpl final : public v1::UsageService::Service {
 public:
  UsageServiceImpl(CommandProcessor* commands, const RocksState* state)
      : commands_(commands), state_(state), ingestor_(commands, state) {}

  grpc::Status DefineRatePlanVersion(
      grpc::ServerContext* context,
      const v1::DefineRatePlanVersionRequest* request,
      v1::RatePlanVersion* response) override;
  grpc::Status AssignRatePlan(grpc::ServerContext* context,
                              const v1::AssignRatePlanRequest* request,
                              v1::AssignRatePlanResponse* response) override;
  grpc::Status IngestUsage(grpc::ServerContext* context,
                           grpc::ServerReader<v1::UsageRecord>* reader,
                           v1::IngestSummary* response) override;
  grpc::Status IngestRawUsage(grpc::ServerContext* context,
                              grpc::ServerReader<v1::RawUsage>* reader,
                              v1::IngestSummary* response) override;
  grpc::Status GetUsageTotals(grpc::ServerContext* context,
                              const v1::GetUsageTotalsRequest* request,
                              v1::GetUsageTotalsResponse* response) override;
  grpc::Status ListRatedUsage(grpc::ServerContext* context,
                              const v1::ListRatedUsageRequest* request,
                              v1::ListRatedUsageResponse* response) override;
  grpc::Status ListQuarantine(grpc::ServerContext* context,
                              const v1::ListQuarantineRequest* request,
                              v1::ListQuarantineResponse* response) override;
  grpc::Status ReplayQuarantine(grpc::ServerContext* context,
                                const v1::ReplayQuarantineRequest* request,
                                v1::IngestSummary* response) override;

 private:
  CommandProcessor* const commands_;
  const RocksState* const state_;
  // Ingests `inputs` and adds their outcomes to `summary`; clears inputs.
  absl::Status Flush(std::vector<IngestInput>& inputs,
                     UsageIngestor::Summary& summary);

  UsageIngestor ingestor_;
};

}  // namespace billing
