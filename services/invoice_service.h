#pragma once

// billing.v1.InvoiceService: the issuing company, validation into numbered
// documents (through InvoiceIssuer, services/invoice_issuer.h), and the
// documents as JSON, PDF or HTML (documents/). Each handler decodes, calls
// and maps the status, nothing more.

#include "billing/v1/invoice_service.grpc.pb.h"
#include "services/command_processor.h"
#include "services/invoice_issuer.h"
#include "storage/rocks_state.h"

namespace billing {

class InvoiceServiceImpl final : public v1::InvoiceService::Service {
 public:
  InvoiceServiceImpl(CommandProcessor* commands, const RocksState* state)
      : commands_(commands), state_(state), issuer_(commands, state) {}

  grpc::Status SetIssuer(grpc::ServerContext* context,
                         const v1::SetIssuerRequest* request,
                         v1::Issuer* response) override;
  grpc::Status GetIssuer(grpc::ServerContext* context,
                         const v1::GetIssuerRequest* request,
                         v1::Issuer* response) override;
  grpc::Status ValidatePreparations(grpc::ServerContext* context,
                                    const v1::ValidateRequest* request,
                                    v1::ValidateResult* response) override;
  grpc::Status ValidateNotices(grpc::ServerContext* context,
                               const v1::ValidateNoticesRequest* request,
                               v1::ValidateResult* response) override;
  grpc::Status FinishPending(grpc::ServerContext* context,
                             const v1::FinishPendingRequest* request,
                             v1::ValidateResult* response) override;
  grpc::Status ListDocuments(grpc::ServerContext* context,
                             const v1::ListDocumentsRequest* request,
                             v1::ListDocumentsResponse* response) override;
  grpc::Status GetDocument(grpc::ServerContext* context,
                           const v1::GetDocumentRequest* request,
                           v1::InvoiceDocument* response) override;
  grpc::Status RenderDocument(grpc::ServerContext* context,
                              const v1::RenderDocumentRequest* request,
                              v1::RenderedDocument* response) override;

  grpc::Status CancelInvoice(grpc::ServerContext* context,
                             const v1::CancelInvoiceRequest* request,
                             v1::ValidateResult* response) override;
  grpc::Status CorrectInvoices(grpc::ServerContext* context,
                               const v1::CorrectInvoicesRequest* request,
                               v1::ValidateResult* response) override;
  grpc::Status GetBalance(grpc::ServerContext* context,
                          const v1::GetBalanceRequest* request,
                          v1::CustomerBalance* response) override;

  const InvoiceIssuer& issuer() const { return issuer_; }

 private:
  CommandProcessor* const commands_;
  const RocksState* const state_;
  const InvoiceIssuer issuer_;
};

}  // namespace billing
