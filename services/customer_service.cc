#include "services/customer_service.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "services/paging.h"
#include "services/status_map.h"

namespace billing {
namespace {

grpc::Status Answer(const absl::StatusOr<v1::IdempotencyRecord>& result,
                    v1::Customer* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = result->customer();
  return grpc::Status::OK;
}

}  // namespace

grpc::Status CustomerServiceImpl::CreateCustomer(
    grpc::ServerContext*, const v1::CreateCustomerRequest* request,
    v1::Customer* response) {
  CommandRequest command;
  command.idempotency_key = request->idempotency_key();
  command.business_date = request->business_date();
  *command.command.mutable_create_customer()->mutable_customer() =
      request->customer();
  return Answer(commands_->Execute(std::move(command)), response);
}

grpc::Status CustomerServiceImpl::UpdateCustomer(
    grpc::ServerContext*, const v1::UpdateCustomerRequest* request,
    v1::Customer* response) {
  CommandRequest command;
  command.idempotency_key = request->idempotency_key();
  command.business_date = request->business_date();
  auto* update = command.command.mutable_update_customer();
  *update->mutable_customer() = request->customer();
  *update->mutable_update_mask() = request->update_mask();
  update->set_expected_version(request->expected_version());
  return Answer(commands_->Execute(std::move(command)), response);
}

grpc::Status CustomerServiceImpl::GetCustomer(
    grpc::ServerContext*, const v1::GetCustomerRequest* request,
    v1::Customer* response) {
  auto customer = CustomerById(*state_, request->customer_id());
  if (!customer.ok()) return ToGrpcStatus(customer.status());
  *response = std::move(*customer);
  return grpc::Status::OK;
}

grpc::Status CustomerServiceImpl::ListCustomers(
    grpc::ServerContext*, const v1::ListCustomersRequest* request,
    v1::ListCustomersResponse* response) {
  auto request_page =
      ReadPage(request->page_size(), request->page_token(),
               [](absl::string_view field, absl::string_view key) {
                 return ValidateCode(field, key, limits::kCodeLengthMax);
               });
  if (!request_page.ok()) return ToGrpcStatus(request_page.status());
  auto page =
      ListCustomerPage(*state_, request_page->after, request_page->size);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (auto& c : page->customers) *response->add_customers() = std::move(c);
  if (page->more) {
    response->set_next_page_token(NextPageToken(
        response->customers(response->customers_size() - 1).customer_id()));
  }
  return grpc::Status::OK;
}

}  // namespace billing
