#include "services/invoice_service.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "documents/invoice_html.h"
#include "documents/invoice_json.h"
#include "documents/invoice_pdf.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/credit_notes.h"
#include "engine/invoicing/invoices.h"
#include "engine/invoicing/queries.h"
#include "services/invoicing_service.h"
#include "services/paging.h"
#include "services/status_map.h"

namespace billing {
namespace {

constexpr absl::string_view kDocumentFamily = "inv/";
constexpr size_t kSelectionMax = 100000;

absl::Status ValidateDocumentPageKey(absl::string_view field,
                                     absl::string_view key) {
  if (key.empty() || key.size() > 700 || !IsValidUtf8(key) ||
      !absl::StrContains(key, '/')) {
    return FieldError(field, "is not a document page key");
  }
  return absl::OkStatus();
}

bool Matches(const v1::ListDocumentsRequest& r, const v1::InvoiceDocument& d) {
  if (!r.series().empty() && d.series() != r.series()) return false;
  if (r.type() != v1::DOCUMENT_TYPE_UNSPECIFIED && d.type() != r.type()) {
    return false;
  }
  if (!r.period_start().empty() && d.period_end() < r.period_start()) {
    return false;
  }
  return r.period_end().empty() || d.period_start() <= r.period_end();
}

// Every preparation id the selection lists, all pages.
absl::StatusOr<std::vector<std::string>> Selected(
    const StateReader& state, const v1::ListPreparationsRequest& selection) {
  auto filter = PreparationFilterOf(selection);
  if (!filter.ok()) return filter.status();
  std::vector<std::string> ids;
  std::string after;
  for (;;) {
    auto page = ListPreparationPage(state, *filter, after, kPageSizeMax);
    if (!page.ok()) return page.status();
    for (const auto& p : page->preparations) ids.push_back(p.preparation_id());
    if (!page->more || ids.size() >= kSelectionMax) break;
    after = page->last_key;
  }
  return ids;
}

}  // namespace

grpc::Status InvoiceServiceImpl::SetIssuer(grpc::ServerContext*,
                                           const v1::SetIssuerRequest* request,
                                           v1::Issuer* response) {
  if (auto s =
          ValidateIdempotencyKey("idempotency_key", request->idempotency_key());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  CommandRequest c;
  c.idempotency_key = request->idempotency_key();
  c.business_date = request->business_date();
  c.command.mutable_invoice()->set_partition("@reference");
  *c.command.mutable_invoice()->mutable_set_issuer()->mutable_issuer() =
      request->issuer();
  auto answer = commands_->Execute(std::move(c));
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  *response = answer->invoice().issuer();
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::GetIssuer(grpc::ServerContext*,
                                           const v1::GetIssuerRequest*,
                                           v1::Issuer* response) {
  auto issuer = LoadIssuer(*state_);
  if (!issuer.ok()) return ToGrpcStatus(issuer.status());
  if (!issuer->has_value()) {
    return ToGrpcStatus(absl::NotFoundError(
        "no issuing company is set (billingctl issuer set --file ...)"));
  }
  *response = **std::move(issuer);
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::ValidatePreparations(
    grpc::ServerContext*, const v1::ValidateRequest* request,
    v1::ValidateResult* response) {
  std::vector<std::string> ids(request->preparation_ids().begin(),
                               request->preparation_ids().end());
  if (ids.empty()) {
    auto selected = Selected(*state_->Snapshot(), request->selection());
    if (!selected.ok()) return ToGrpcStatus(selected.status());
    ids = *std::move(selected);
  }
  auto result = issuer_.Validate(request->idempotency_key(),
                                 request->business_date(), ids);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::ValidateNotices(
    grpc::ServerContext*, const v1::ValidateNoticesRequest* request,
    v1::ValidateResult* response) {
  auto result = issuer_.ValidateNotices(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::FinishPending(
    grpc::ServerContext*, const v1::FinishPendingRequest*,
    v1::ValidateResult* response) {
  auto result = issuer_.FinishPending();
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::ListDocuments(
    grpc::ServerContext*, const v1::ListDocumentsRequest* request,
    v1::ListDocumentsResponse* response) {
  if (!request->customer_id().empty()) {
    if (auto s = ValidateCode("customer_id", request->customer_id(),
                              limits::kCodeLengthMax);
        !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  auto page = ReadPage(request->page_size(), request->page_token(),
                       &ValidateDocumentPageKey);
  if (!page.ok()) return ToGrpcStatus(page.status());
  const std::string prefix =
      request->customer_id().empty()
          ? std::string(kDocumentFamily)
          : DocumentsPrefix(request->customer_id());
  const std::string after =
      page->after.empty() ? "" : absl::StrCat(kDocumentFamily, page->after);
  std::string last;
  bool more = false;
  auto s = ForEachKeyedMessage<v1::InvoiceDocument>(
      *state_->Snapshot(), prefix, after,
      [&](absl::string_view key, v1::InvoiceDocument d) -> absl::StatusOr<bool> {
        if (static_cast<size_t>(response->documents_size()) >= page->size) {
          more = true;
          return false;
        }
        last = std::string(key.substr(kDocumentFamily.size()));
        if (!Matches(*request, d)) return true;
        if (!request->detail()) {
          d.clear_lines();
          d.clear_itemized_calls();
        }
        *response->add_documents() = std::move(d);
        return true;
      });
  if (!s.ok()) return ToGrpcStatus(s);
  if (more) response->set_next_page_token(NextPageToken(last));
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::GetDocument(
    grpc::ServerContext*, const v1::GetDocumentRequest* request,
    v1::InvoiceDocument* response) {
  if (request->number().empty() ||
      request->number().size() > kDocumentNumberLengthMax ||
      !IsValidUtf8(request->number())) {
    return ToGrpcStatus(FieldError("number", "is not a document number"));
  }
  auto doc = FindDocument(*state_, request->number());
  if (!doc.ok()) return ToGrpcStatus(doc.status());
  if (!doc->has_value()) {
    return ToGrpcStatus(absl::NotFoundError(absl::StrFormat(
        "number: no document %s", QuoteValue(request->number()))));
  }
  *response = **std::move(doc);
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::RenderDocument(
    grpc::ServerContext* context, const v1::RenderDocumentRequest* request,
    v1::RenderedDocument* response) {
  v1::GetDocumentRequest get;
  get.set_number(request->number());
  v1::InvoiceDocument doc;
  if (grpc::Status s = GetDocument(context, &get, &doc); !s.ok()) return s;
  response->set_number(doc.number());
  switch (request->format()) {
    case v1::RENDER_FORMAT_HTML:
      response->set_content_type("text/html; charset=utf-8");
      response->set_content(documents::RenderInvoiceHtml(doc));
      return grpc::Status::OK;
    case v1::RENDER_FORMAT_JSON: {
      auto json = documents::RenderInvoiceJson(doc);
      if (!json.ok()) return ToGrpcStatus(json.status());
      response->set_content_type("application/json");
      response->set_content(*std::move(json));
      return grpc::Status::OK;
    }
    case v1::RENDER_FORMAT_PDF:
    case v1::RENDER_FORMAT_UNSPECIFIED: {
      auto pdf = documents::RenderInvoicePdfBytes(doc);
      if (!pdf.ok()) return ToGrpcStatus(pdf.status());
      response->set_content_type("application/pdf");
      response->set_content(*std::move(pdf));
      return grpc::Status::OK;
    }
    default:
      return ToGrpcStatus(FieldError("format", "is not a render format"));
  }
}

}  // namespace billing

namespace billing {

grpc::Status InvoiceServiceImpl::CancelInvoice(
    grpc::ServerContext*, const v1::CancelInvoiceRequest* request,
    v1::ValidateResult* response) {
  const std::string& number = request->invoice_number();
  if (number.empty() || number.size() > kDocumentNumberLengthMax ||
      !IsValidUtf8(number)) {
    return ToGrpcStatus(
        FieldError("invoice_number", "is not a document number"));
  }
  auto doc = FindDocument(*state_, number);
  if (!doc.ok()) return ToGrpcStatus(doc.status());
  if (!doc->has_value()) {
    return ToGrpcStatus(absl::NotFoundError(absl::StrFormat(
        "invoice_number: no document %s [INVOICE_NOT_FOUND]",
        QuoteValue(number))));
  }
  v1::InvoiceCommand command;
  // The document lives in its holder's partition.
  command.set_partition((*doc)->holder_id());
  command.mutable_cancel_invoice()->set_invoice_number(number);
  command.mutable_cancel_invoice()->set_reason(request->reason());
  auto result = issuer_.Correct(request->idempotency_key(),
                                request->business_date(), std::move(command));
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::CorrectInvoices(
    grpc::ServerContext*, const v1::CorrectInvoicesRequest* request,
    v1::ValidateResult* response) {
  if (auto s = ValidateCode("customer_id", request->customer_id(),
                            limits::kCodeLengthMax);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  v1::InvoiceCommand command;
  command.set_partition(request->customer_id());
  v1::CorrectInvoices* body = command.mutable_correct_invoices();
  *body->mutable_invoice_numbers() = request->invoice_numbers();
  body->set_reason(request->reason());
  auto result = issuer_.Correct(request->idempotency_key(),
                                request->business_date(), std::move(command));
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status InvoiceServiceImpl::GetBalance(
    grpc::ServerContext*, const v1::GetBalanceRequest* request,
    v1::CustomerBalance* response) {
  if (auto s = ValidateCode("customer_id", request->customer_id(),
                            limits::kCodeLengthMax);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  std::optional<BusinessDate> as_of;
  if (!request->as_of_date().empty()) {
    auto date = ParseBusinessDate(request->as_of_date(), "as_of_date");
    if (!date.ok()) return ToGrpcStatus(date.status());
    as_of = *date;
  }
  std::optional<int64_t> offset;
  if (request->has_log_offset()) {
    if (request->log_offset() < -1) {
      return ToGrpcStatus(FieldError("log_offset", "is below -1"));
    }
    offset = request->log_offset();
  }
  const std::unique_ptr<StateReader> snapshot = state_->Snapshot();
  auto customer = LoadCustomer(*snapshot, request->customer_id());
  if (!customer.ok()) return ToGrpcStatus(customer.status());
  if (!customer->has_value()) {
    return ToGrpcStatus(absl::NotFoundError(absl::StrFormat(
        "customer_id: no customer %s", QuoteValue(request->customer_id()))));
  }
  auto balance =
      CustomerBalanceOf(*snapshot, request->customer_id(), as_of, offset);
  if (!balance.ok()) return ToGrpcStatus(balance.status());
  *response = *std::move(balance);
  return grpc::Status::OK;
}

}  // namespace billing
