#pragma once

// billing.v1.CustomerService: decode, validate, call, map the status.
// Commands go through the CommandProcessor; queries read the RocksDB state.

#include "billing/v1/customer_service.grpc.pb.h"
#include "services/command_processor.h"
#include "storage/rocks_state.h"

namespace billing {

class CustomerServiceImpl final : public v1::CustomerService::Service {
 public:
  CustomerServiceImpl(CommandProcessor* commands, const RocksState* state)
      : commands_(commands), state_(state) {}

  grpc::Status CreateCustomer(grpc::ServerContext* context,
                              const v1::CreateCustomerRequest* request,
                              v1::Customer* response) override;
  grpc::Status UpdateCustomer(grpc::ServerContext* context,
                              const v1::UpdateCustomerRequest* request,
                              v1::Customer* response) override;
  grpc::Status GetCustomer(grpc::ServerContext* context,
                           const v1::GetCustomerRequest* request,
                           v1::Customer* response) override;
  grpc::Status ListCustomers(grpc::ServerContext* context,
                             const v1::ListCustomersRequest* request,
                             v1::ListCustomersResponse* response) override;

 private:
  CommandProcessor* const commands_;
  const RocksState* const state_;
};

}  // namespace billing
