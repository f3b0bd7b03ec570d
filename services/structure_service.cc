#include "services/structure_service.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/structure/structure.h"
#include "services/paging.h"
#include "services/status_map.h"

namespace billing {
namespace {

grpc::Status EntityAnswer(const absl::StatusOr<v1::StructureAnswer>& answer,
                          v1::BillingEntity* response) {
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  *response = answer->entity();
  return grpc::Status::OK;
}

grpc::Status ObjectAnswer(const absl::StatusOr<v1::StructureAnswer>& answer,
                          v1::BillableObject* response) {
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  *response = answer->object();
  return grpc::Status::OK;
}

}  // namespace

absl::StatusOr<v1::StructureAnswer> StructureServiceImpl::Execute(
    absl::string_view idempotency_key, absl::string_view business_date,
    absl::string_view customer_id, v1::StructureCommand body) {
  // Checked here so that the error names the request's fields (the command
  // processor would name the customer id "customer.customer_id").
  if (auto s = ValidateIdempotencyKey("idempotency_key", idempotency_key);
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateCode("customer_id", customer_id, limits::kCodeLengthMax);
      !s.ok()) {
    return s;
  }
  CommandRequest command;
  command.idempotency_key = std::string(idempotency_key);
  command.business_date = std::string(business_date);
  body.set_customer_id(std::string(customer_id));
  *command.command.mutable_structure() = std::move(body);
  auto result = commands_->Execute(std::move(command));
  if (!result.ok()) return result.status();
  if (!result->has_structure()) {
    // Only reachable if a key's stored answer belongs to another domain,
    // which the request fingerprint rules out.
    return absl::InternalError(
        "idempotency_key: the stored answer is not a structure answer");
  }
  return std::move(*result->mutable_structure());
}

// --- commands ---

grpc::Status StructureServiceImpl::CreateBillingEntity(
    grpc::ServerContext*, const v1::CreateBillingEntityRequest* request,
    v1::BillingEntity* response) {
  v1::StructureCommand body;
  *body.mutable_create_entity()->mutable_entity() = request->entity();
  return EntityAnswer(
      Execute(request->idempotency_key(), request->business_date(),
              request->customer_id(), std::move(body)),
      response);
}

grpc::Status StructureServiceImpl::SetMainEntity(
    grpc::ServerContext*, const v1::SetMainEntityRequest* request,
    v1::BillingEntity* response) {
  v1::StructureCommand body;
  body.mutable_set_main_entity()->set_entity_id(request->entity_id());
  return EntityAnswer(
      Execute(request->idempotency_key(), request->business_date(),
              request->customer_id(), std::move(body)),
      response);
}

grpc::Status StructureServiceImpl::SetEntityInvoicedSeparately(
    grpc::ServerContext*, const v1::SetEntityInvoicedSeparatelyRequest* request,
    v1::BillingEntity* response) {
  v1::StructureCommand body;
  auto* c = body.mutable_set_entity_invoiced_separately();
  c->set_entity_id(request->entity_id());
  c->set_invoiced_separately(request->invoiced_separately());
  return EntityAnswer(
      Execute(request->idempotency_key(), request->business_date(),
              request->customer_id(), std::move(body)),
      response);
}

grpc::Status StructureServiceImpl::CreateObject(
    grpc::ServerContext*, const v1::CreateObjectRequest* request,
    v1::BillableObject* response) {
  v1::StructureCommand body;
  auto* c = body.mutable_create_object();
  *c->mutable_object() = request->object();
  c->set_entity_id(request->entity_id());
  c->set_discount_percent(request->discount_percent());
  return ObjectAnswer(
      Execute(request->idempotency_key(), request->business_date(),
              request->customer_id(), std::move(body)),
      response);
}

grpc::Status StructureServiceImpl::SetAccountGroup(
    grpc::ServerContext*, const v1::SetAccountGroupRequest* request,
    v1::BillableObject* response) {
  v1::StructureCommand body;
  auto* c = body.mutable_set_account_group();
  c->set_account_id(request->account_id());
  c->set_role(request->role());
  c->set_head_account_id(request->head_account_id());
  return ObjectAnswer(
      Execute(request->idempotency_key(), request->business_date(),
              request->customer_id(), std::move(body)),
      response);
}

grpc::Status StructureServiceImpl::ReassignObjects(
    grpc::ServerContext*, const v1::ReassignObjectsRequest* request,
    v1::ReassignObjectsResponse* response) {
  v1::StructureCommand body;
  auto* c = body.mutable_reassign_objects();
  *c->mutable_selection() = request->selection();
  c->set_entity_id(request->entity_id());
  c->set_discount_percent(request->discount_percent());
  auto answer = Execute(request->idempotency_key(), request->business_date(),
                        request->customer_id(), std::move(body));
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  response->set_reassigned_count(answer->reassigned_count());
  response->set_effective_month(answer->effective_month());
  return grpc::Status::OK;
}

// --- queries ---

grpc::Status StructureServiceImpl::ListBillingEntities(
    grpc::ServerContext*, const v1::ListBillingEntitiesRequest* request,
    v1::ListBillingEntitiesResponse* response) {
  auto snapshot = state_->Snapshot();
  if (auto s = RequireCustomer(*snapshot, request->customer_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto entities = ListEntities(*snapshot, request->customer_id());
  if (!entities.ok()) return ToGrpcStatus(entities.status());
  for (auto& e : *entities) *response->add_entities() = std::move(e);
  return grpc::Status::OK;
}

grpc::Status StructureServiceImpl::GetObject(
    grpc::ServerContext*, const v1::GetObjectRequest* request,
    v1::ObjectView* response) {
  ObjectAsOfQuery query;
  switch (request->as_of_case()) {
    case v1::GetObjectRequest::kMonth:
      query.as = ObjectAsOfQuery::As::kMonth;
      query.month = request->month();
      break;
    case v1::GetObjectRequest::kLogOffset:
      query.as = ObjectAsOfQuery::As::kLogOffset;
      query.log_offset = request->log_offset();
      break;
    case v1::GetObjectRequest::AS_OF_NOT_SET:
      break;
  }
  auto found = ObjectAt(*state_->Snapshot(), request->customer_id(),
                        request->object_id(), query);
  if (!found.ok()) return ToGrpcStatus(found.status());
  *response->mutable_object() = std::move(found->object);
  *response->mutable_assignment() = found->change.assignment();
  *response->mutable_change() = std::move(found->change);
  return grpc::Status::OK;
}

grpc::Status StructureServiceImpl::ListObjects(
    grpc::ServerContext*, const v1::ListObjectsRequest* request,
    v1::ListObjectsResponse* response) {
  auto snapshot = state_->Snapshot();
  auto filter =
      CheckObjectFilter(*snapshot, request->customer_id(), request->kind(),
                        request->entity_id(), request->month());
  if (!filter.ok()) return ToGrpcStatus(filter.status());
  auto request_page =
      ReadPage(request->page_size(), request->page_token(), ValidateObjectId);
  if (!request_page.ok()) return ToGrpcStatus(request_page.status());
  auto page = ListObjectPage(*snapshot, request->customer_id(), *filter,
                             request_page->after, request_page->size);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (auto& found : page->objects) {
    v1::ObjectView* view = response->add_objects();
    *view->mutable_assignment() = found.change.assignment();
    *view->mutable_change() = std::move(found.change);
    *view->mutable_object() = std::move(found.object);
  }
  if (page->more) {
    response->set_next_page_token(NextPageToken(
        response->objects(response->objects_size() - 1).object().object_id()));
  }
  return grpc::Status::OK;
}

grpc::Status StructureServiceImpl::GetObjectHistory(
    grpc::ServerContext*, const v1::GetObjectHistoryRequest* request,
    v1::GetObjectHistoryResponse* response) {
  auto snapshot = state_->Snapshot();
  if (auto s = RequireCustomer(*snapshot, request->customer_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto object =
      RequireObject(*snapshot, request->customer_id(), request->object_id());
  if (!object.ok()) return ToGrpcStatus(object.status());
  auto history =
      ObjectHistory(*snapshot, request->customer_id(), request->object_id());
  if (!history.ok()) return ToGrpcStatus(history.status());
  for (auto& c : *history) *response->add_changes() = std::move(c);
  return grpc::Status::OK;
}

grpc::Status StructureServiceImpl::GetBillingDetails(
    grpc::ServerContext*, const v1::GetBillingDetailsRequest* request,
    v1::BillingDetails* response) {
  auto snapshot = state_->Snapshot();
  if (auto s = RequireCustomer(*snapshot, request->customer_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (auto s = ValidateObjectId("object_id", request->object_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto details = ResolveBillingDetails(*snapshot, request->customer_id(),
                                       request->object_id());
  if (!details.ok()) return ToGrpcStatus(details.status());
  response->set_invoice_account_id(std::move(details->invoice_account_id));
  *response->mutable_billing_address() = std::move(details->billing_address);
  response->set_email(std::move(details->email));
  response->set_source(std::move(details->source));
  return grpc::Status::OK;
}

}  // namespace billing
