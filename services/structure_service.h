#pragma once

// billing.v1.BillingStructureService: entities, billable objects, grouped
// accounts and reassignments (engine/structure/structure.h holds the rules).
// Commands become a v1::Command{structure} and go through the
// CommandProcessor; queries read a RocksDB snapshot through the engine's
// query functions.

#include "billing/v1/structure_service.grpc.pb.h"
#include "services/command_processor.h"
#include "storage/rocks_state.h"

namespace billing {

class StructureServiceImpl final : public v1::BillingStructureService::Service {
 public:
  StructureServiceImpl(CommandProcessor* commands, const RocksState* state)
      : commands_(commands), state_(state) {}

  // --- commands ---
  grpc::Status CreateBillingEntity(
      grpc::ServerContext* context,
      const v1::CreateBillingEntityRequest* request,
      v1::BillingEntity* response) override;
  grpc::Status SetMainEntity(grpc::ServerContext* context,
                             const v1::SetMainEntityRequest* request,
                             v1::BillingEntity* response) override;
  grpc::Status SetEntityInvoicedSeparately(
      grpc::ServerContext* context,
      const v1::SetEntityInvoicedSeparatelyRequest* request,
      v1::BillingEntity* response) override;
  grpc::Status CreateObject(grpc::ServerContext* context,
                            const v1::CreateObjectRequest* request,
                            v1::BillableObject* response) override;
  grpc::Status SetAccountGroup(grpc::ServerContext* context,
                               const v1::SetAccountGroupRequest* request,
                               v1::BillableObject* response) override;
  grpc::Status ReassignObjects(grpc::ServerContext* context,
                               const v1::ReassignObjectsRequest* request,
                               v1::ReassignObjectsResponse* response) override;

  // --- queries ---
  grpc::Status ListBillingEntities(
      grpc::ServerContext* context,
      const v1::ListBillingEntitiesRequest* request,
      v1::ListBillingEntitiesResponse* response) override;
  grpc::Status GetObject(grpc::ServerContext* context,
                         const v1::GetObjectRequest* request,
                         v1::ObjectView* response) override;
  grpc::Status ListObjects(grpc::ServerContext* context,
                           const v1::ListObjectsRequest* request,
                           v1::ListObjectsResponse* response) override;
  grpc::Status GetObjectHistory(
      grpc::ServerContext* context, const v1::GetObjectHistoryRequest* request,
      v1::GetObjectHistoryResponse* response) override;
  grpc::Status GetBillingDetails(grpc::ServerContext* context,
                                 const v1::GetBillingDetailsRequest* request,
                                 v1::BillingDetails* response) override;

 private:
  // Validates the key and the customer id (named as the request names them),
  // then executes `body` for `customer_id`.
  absl::StatusOr<v1::StructureAnswer> Execute(absl::string_view idempotency_key,
                                              absl::string_view business_date,
                                              absl::string_view customer_id,
                                              v1::StructureCommand body);

  CommandProcessor* const commands_;
  const RocksState* const state_;
};

}  // namespace billing
