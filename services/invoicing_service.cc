#include "services/invoicing_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_format.h"
#include "engine/core/validation.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/queries.h"
#include "engine/invoicing/runs.h"
#include "services/paging.h"
#include "services/status_map.h"

namespace billing {
namespace {

// An open bound (empty) or a date.
absl::Status ReadBound(absl::string_view text, absl::string_view field,
                       std::optional<BusinessDate>& out) {
  if (text.empty()) return absl::OkStatus();
  auto date = ParseBusinessDate(text, field);
  if (!date.ok()) return date.status();
  out = *date;
  return absl::OkStatus();
}

CodeRange Range(const v1::CodeRangeFilter& f) { return {f.from(), f.to()}; }

}  // namespace

absl::StatusOr<PreparationFilter> PreparationFilterOf(
    const v1::ListPreparationsRequest& request) {
  PreparationFilter f;
  if (auto s = ReadBound(request.period_start(), "period_start", f.period_from);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBound(request.period_end(), "period_end", f.period_to);
      !s.ok()) {
    return s;
  }
  f.customers = Range(request.customers());
  f.contract_refs = Range(request.contract_refs());
  f.billing_families = Range(request.billing_families());
  f.contract_families = Range(request.contract_families());
  f.site_code = request.site_code();
  f.type = request.type();
  for (int i = 0; i < request.statuses_size(); ++i) {
    const auto status = static_cast<v1::PreparationStatus>(request.statuses(i));
    if (!v1::PreparationStatus_IsValid(status) ||
        status == v1::PREPARATION_STATUS_UNSPECIFIED) {
      return FieldError(absl::StrFormat("statuses[%d]", i),
                        "is not a preparation status");
    }
    f.statuses.push_back(status);
  }
  if (!v1::PreparationType_IsValid(f.type)) {
    return FieldError("type", "is not a preparation type");
  }
  f.detail = request.detail();
  return f;
}

namespace {

// The invoicing command of a request: key and customer checked, then
// `fill` sets the body.
template <typename Request, typename Fill>
absl::StatusOr<CommandRequest> InvoicingCommand(const Request& request,
                                                Fill fill) {
  if (auto s =
          ValidateIdempotencyKey("idempotency_key", request.idempotency_key());
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateCode("customer_id", request.customer_id(),
                            limits::kCodeLengthMax);
      !s.ok()) {
    return s;
  }
  CommandRequest command;
  command.idempotency_key = request.idempotency_key();
  command.business_date = request.business_date();
  auto* invoicing = command.command.mutable_invoicing();
  invoicing->set_customer_id(request.customer_id());
  fill(*invoicing);
  return command;
}

grpc::Status Answer(CommandProcessor& commands,
                    absl::StatusOr<CommandRequest> command,
                    v1::InvoicingAnswer* response) {
  if (!command.ok()) return ToGrpcStatus(command.status());
  auto result = commands.Execute(*std::move(command));
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = result->invoicing();
  return grpc::Status::OK;
}

}  // namespace

grpc::Status InvoicingServiceImpl::SimulateRun(grpc::ServerContext*,
                                               const v1::RunRequest* request,
                                               v1::RunResult* response) {
  auto result = runner_.Simulate(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status InvoicingServiceImpl::StartRun(
    grpc::ServerContext* context, const v1::RunRequest* request,
    grpc::ServerWriter<v1::RunProgress>* writer) {
  auto result = runner_.Start(*request, [&](const v1::RunProgress& progress) {
    return !context->IsCancelled() && writer->Write(progress);
  });
  if (!result.ok()) return ToGrpcStatus(result.status());
  v1::RunProgress last;
  last.set_customers_total(result->customers_total());
  last.set_customers_done(result->customers_done());
  last.set_customers_failed(result->customers_failed());
  last.set_elapsed_ms(result->elapsed_ms());
  if (result->elapsed_ms() > 0) {
    last.set_customers_per_second(1000.0 * result->customers_done() /
                                  result->elapsed_ms());
  }
  *last.mutable_result() = *std::move(result);
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status InvoicingServiceImpl::ListPreparations(
    grpc::ServerContext*, const v1::ListPreparationsRequest* request,
    v1::ListPreparationsResponse* response) {
  auto filter = PreparationFilterOf(*request);
  if (!filter.ok()) return ToGrpcStatus(filter.status());
  auto request_page = ReadPage(request->page_size(), request->page_token(),
                               &ValidatePreparationPageKey);
  if (!request_page.ok()) return ToGrpcStatus(request_page.status());
  const std::unique_ptr<StateReader> snapshot = state_->Snapshot();
  auto page = ListPreparationPage(*snapshot, *filter, request_page->after,
                                  request_page->size);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (auto& p : page->preparations) {
    *response->add_preparations() = std::move(p);
  }
  for (auto& c : page->counts) *response->add_counts() = std::move(c);
  if (page->more) response->set_next_page_token(NextPageToken(page->last_key));
  return grpc::Status::OK;
}

grpc::Status InvoicingServiceImpl::GetPreparation(
    grpc::ServerContext*, const v1::GetPreparationRequest* request,
    v1::Preparation* response) {
  if (request->preparation_id().empty()) {
    return ToGrpcStatus(FieldError("preparation_id", "is empty"));
  }
  // The holder is the id's first element; customer_id, when given, narrows.
  std::string customer = request->customer_id();
  if (customer.empty()) {
    auto holder =
        PreparationHolder("preparation_id", request->preparation_id());
    if (!holder.ok()) return ToGrpcStatus(holder.status());
    customer = *std::move(holder);
  } else if (auto s =
                 ValidateCode("customer_id", customer, limits::kCodeLengthMax);
             !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto found = LoadPreparation(*state_, customer, request->preparation_id());
  if (!found.ok()) return ToGrpcStatus(found.status());
  if (!found->has_value()) {
    return ToGrpcStatus(absl::NotFoundError(absl::StrFormat(
        "preparation_id: no preparation %s of customer %s",
        QuoteValue(request->preparation_id()), QuoteValue(customer))));
  }
  *response = **std::move(found);
  return grpc::Status::OK;
}

grpc::Status InvoicingServiceImpl::AddPreparationLine(
    grpc::ServerContext*, const v1::AddPreparationLineRequest* request,
    v1::InvoicingAnswer* response) {
  return Answer(
      *commands_,
      InvoicingCommand(*request,
                       [&](v1::InvoicingCommand& c) {
                         auto* add = c.mutable_add_preparation_line();
                         add->set_preparation_id(request->preparation_id());
                         *add->mutable_line() = request->line();
                       }),
      response);
}

grpc::Status InvoicingServiceImpl::DeletePreparations(
    grpc::ServerContext*, const v1::DeletePreparationsRequest* request,
    v1::InvoicingAnswer* response) {
  return Answer(
      *commands_,
      InvoicingCommand(
          *request,
          [&](v1::InvoicingCommand& c) {
            *c.mutable_delete_preparations()->mutable_preparation_ids() =
                request->preparation_ids();
          }),
      response);
}

grpc::Status InvoicingServiceImpl::ConfirmDeletion(
    grpc::ServerContext*, const v1::ConfirmDeletionRequest* request,
    v1::InvoicingAnswer* response) {
  return Answer(*commands_,
                InvoicingCommand(
                    *request,
                    [&](v1::InvoicingCommand& c) {
                      *c.mutable_confirm_deletion()->mutable_preparation_ids() =
                          request->preparation_ids();
                    }),
                response);
}

namespace {

absl::Status ValidateRunPageKey(absl::string_view field,
                                absl::string_view key) {
  return ValidateCode(field, key, limits::kIdempotencyKeyLengthMax);
}

}  // namespace

grpc::Status InvoicingServiceImpl::ListRuns(grpc::ServerContext*,
                                            const v1::ListRunsRequest* request,
                                            v1::ListRunsResponse* response) {
  auto request_page = ReadPage(request->page_size(), request->page_token(),
                               &ValidateRunPageKey);
  if (!request_page.ok()) return ToGrpcStatus(request_page.status());
  const std::unique_ptr<StateReader> snapshot = state_->Snapshot();
  auto page = ListRunPage(*snapshot, request_page->after, request_page->size);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (auto& r : page->runs) *response->add_runs() = std::move(r);
  if (page->more && response->runs_size() > 0) {
    response->set_next_page_token(NextPageToken(
        response->runs(response->runs_size() - 1).header().run_id()));
  }
  return grpc::Status::OK;
}

grpc::Status InvoicingServiceImpl::GetRun(grpc::ServerContext*,
                                          const v1::GetRunRequest* request,
                                          v1::RunView* response) {
  if (auto s = ValidateCode("run_id", request->run_id(),
                            limits::kIdempotencyKeyLengthMax);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  const std::unique_ptr<StateReader> snapshot = state_->Snapshot();
  auto header = LoadRun(*snapshot, request->run_id());
  if (!header.ok()) return ToGrpcStatus(header.status());
  if (!header->has_value()) {
    return ToGrpcStatus(absl::NotFoundError(absl::StrFormat(
        "run_id: no run %s started", QuoteValue(request->run_id()))));
  }
  auto view = RunViewOf(*snapshot, **std::move(header));
  if (!view.ok()) return ToGrpcStatus(view.status());
  *response = *std::move(view);
  return grpc::Status::OK;
}

}  // namespace billing
