#pragma once

// billing.v1.InvoicingService: billing runs (through BillingRunner,
// services/billing_run.h) and the preparations they made. Commands become a
// v1::Command{invoicing} and go through the CommandProcessor; the views read
// a RocksDB snapshot through the engine's query (engine/invoicing/
// queries.h). Each handler decodes, calls and maps the status, nothing
// more.

#include "billing/v1/invoicing_service.grpc.pb.h"
#include "engine/invoicing/queries.h"
#include "services/billing_run.h"
#include "services/clock.h"
#include "services/command_processor.h"
#include "storage/rocks_state.h"

namespace billing {

// The filter of a list request (InvalidArgument naming the field); also
// the selection of a validation (services/invoice_service.h).
absl::StatusOr<PreparationFilter> PreparationFilterOf(
    const v1::ListPreparationsRequest& request);

class InvoicingServiceImpl final : public v1::InvoicingService::Service {
 public:
  InvoicingServiceImpl(CommandProcessor* commands, const RocksState* state,
                       const BusinessClock* clock)
      : commands_(commands), state_(state), runner_(commands, state, clock) {}

  grpc::Status SimulateRun(grpc::ServerContext* context,
                           const v1::RunRequest* request,
                           v1::RunResult* response) override;
  grpc::Status StartRun(grpc::ServerContext* context,
                        const v1::RunRequest* request,
                        grpc::ServerWriter<v1::RunProgress>* writer) override;
  grpc::Status ListPreparations(
      grpc::ServerContext* context, const v1::ListPreparationsRequest* request,
      v1::ListPreparationsResponse* response) override;
  grpc::Status GetPreparation(grpc::ServerContext* context,
                              const v1::GetPreparationRequest* request,
                              v1::Preparation* response) override;
  grpc::Status AddPreparationLine(grpc::ServerContext* context,
                                  const v1::AddPreparationLineRequest* request,
                                  v1::InvoicingAnswer* response) override;
  grpc::Status DeletePreparations(grpc::ServerContext* context,
                                  const v1::DeletePreparationsRequest* request,
                                  v1::InvoicingAnswer* response) override;
  grpc::Status ConfirmDeletion(grpc::ServerContext* context,
                               const v1::ConfirmDeletionRequest* request,
                               v1::InvoicingAnswer* response) override;
  grpc::Status ListRuns(grpc::ServerContext* context,
                        const v1::ListRunsRequest* request,
                        v1::ListRunsResponse* response) override;
  grpc::Status GetRun(grpc::ServerContext* context,
                      const v1::GetRunRequest* request,
                      v1::RunView* response) override;

 private:
  CommandProcessor* const commands_;
  const RocksState* const state_;
  const BillingRunner runner_;
};

}  // namespace billing
