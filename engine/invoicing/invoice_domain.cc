// The invoice commands' dispatch, their events' apply and answers, and the
// registration (engine/core/domain.h) engine/engine.cc lists.
#include <string>

#include "absl/strings/str_format.h"
#include "engine/core/domain.h"
#include "engine/core/validation.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/credit_notes.h"
#include "engine/invoicing/internal/invoice_decide.h"
#include "engine/invoicing/invoices.h"

namespace billing {
namespace {

using invoice_internal::Events;

absl::Status Corrupt(const v1::EventEnvelope& e, absl::string_view why) {
  return absl::DataLossError(
      absl::StrFormat("%s of %s: %s", e.type(), QuoteValue(e.customer_id()), why));
}

absl::Status ApplyValidated(StateWriter& state, const v1::EventEnvelope& e) {
  const std::string& customer = e.customer_id();
  const v1::PreparationsValidated& v = e.invoice().preparations_validated();
  for (const std::string& id : v.preparation_ids()) {
    auto p = LoadPreparation(state, customer, id);
    if (!p.ok()) return p.status();
    if (!p->has_value()) return Corrupt(e, "a preparation validated is absent");
    (*p)->set_status(v1::PREPARATION_STATUS_VALIDATED);
    PutMessage(state, PreparationKey(customer, id), **p);
  }
  for (const v1::InvoiceDocument& d : v.drafts()) {
    if (d.draft_id().empty()) return Corrupt(e, "a draft without id");
    PutMessage(state, DraftKey(customer, d.draft_id()), d);
  }
  return absl::OkStatus();
}

absl::Status ApplyNumbers(StateWriter& state, const v1::EventEnvelope& e) {
  const v1::NumbersAssigned& n = e.invoice().numbers_assigned();
  if (e.customer_id() != SeriesPartitionKey(n.series())) {
    return Corrupt(e, "numbers of another series");
  }
  auto series = LoadSeries(state, n.series());
  if (!series.ok()) return series.status();
  v1::SeriesState s = series->value_or(v1::SeriesState());
  for (const v1::NumberAssignment& a : n.numbers()) {
    const std::string key =
        SeriesDraftKey(n.series(), a.customer_id(), a.draft_id());
    auto given = GetMessage<v1::NumberAssignment>(state, key);
    if (!given.ok()) return given.status();
    if (given->has_value()) continue;
    if (a.seq() != s.last_seq() + 1) return Corrupt(e, "a gap in the series");
    s.set_last_seq(a.seq());
    s.set_last_number(a.number());
    PutMessage(state, key, a);
  }
  if (s.last_seq() != n.last_seq()) return Corrupt(e, "last_seq disagrees");
  s.set_series(n.series());
  s.set_last_issue_date(n.last_issue_date());
  PutMessage(state, SeriesStateKey(n.series()), s);
  return absl::OkStatus();
}

absl::Status ApplyIssued(StateWriter& state, const v1::EventEnvelope& e,
                         const v1::LogPosition& position) {
  const std::string& customer = e.customer_id();
  for (const v1::InvoiceDocument& d : e.invoice().invoices_issued().documents()) {
    if (d.number().empty()) return Corrupt(e, "a document without number");
    state.Delete(DraftKey(customer, d.draft_id()));
    PutMessage(state, DocumentKey(customer, d.number()), d);
    state.Put(DocumentNumberPrefix(d.number()) + customer, "");
    if (!d.notice_number().empty()) {
      state.Put(NoticeLinkKey(customer, d.notice_number()), d.number());
    }
    // The balance as of a log offset (credit_notes.h).
    state.Put(IssuedAtKey(customer, position.offset(), d.number()), "");
    if (d.preparation_id().empty()) continue;  // a credit note, a correction
    auto p = LoadPreparation(state, customer, d.preparation_id());
    if (!p.ok()) return p.status();
    if (p->has_value()) {
      (*p)->add_document_numbers(d.number());
      PutMessage(state, PreparationKey(customer, d.preparation_id()), **p);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideInvoice(
    const StateReader& state, const v1::InvoiceCommand& command,
    BusinessDate business_date) {
  using namespace invoice_internal;
  const std::string& partition = command.partition();
  switch (command.body_case()) {
    case v1::InvoiceCommand::kSetIssuer:
      return DecideSetIssuer(state, partition, command.set_issuer(),
                             business_date);
    case v1::InvoiceCommand::kValidatePreparations:
      return DecideValidatePreparations(
          state, partition, command.validate_preparations(), business_date);
    case v1::InvoiceCommand::kAssignNumbers:
      return DecideAssignNumbers(state, partition, command.assign_numbers(),
                                 business_date);
    case v1::InvoiceCommand::kIssueInvoices:
      return DecideIssueInvoices(state, partition, command.issue_invoices(),
                                 business_date);
    case v1::InvoiceCommand::kValidateNotices:
      return DecideValidateNotices(state, partition, command.validate_notices(),
                                   business_date);
    case v1::InvoiceCommand::kCancelInvoice:
      return DecideCancelInvoice(state, partition, command.cancel_invoice(),
                                 business_date);
    case v1::InvoiceCommand::kCorrectInvoices:
      return DecideCorrectInvoices(state, partition,
                                   command.correct_invoices(), business_date);
    case v1::InvoiceCommand::BODY_NOT_SET:
      break;
  }
  return Reject(invoice_rejections::kCommandEmpty,
                "invoice command: no body (or one not built yet)");
}

absl::string_view InvoiceEventType(const v1::InvoiceEvent& event) {
  switch (event.body_case()) {
    case v1::InvoiceEvent::kIssuerSet:
      return kIssuerSetType;
    case v1::InvoiceEvent::kPreparationsValidated:
      return kPreparationsValidatedType;
    case v1::InvoiceEvent::kNumbersAssigned:
      return kNumbersAssignedType;
    case v1::InvoiceEvent::kInvoicesIssued:
      return kInvoicesIssuedType;
    case v1::InvoiceEvent::kCorrectionsDrafted:
      return kCorrectionsDraftedType;
    case v1::InvoiceEvent::BODY_NOT_SET:
      break;
  }
  return "";
}

absl::Status ApplyInvoiceEvent(StateWriter& state,
                               const v1::EventEnvelope& event,
                               const v1::LogPosition& position) {
  const v1::InvoiceEvent& e = event.invoice();
  switch (e.body_case()) {
    case v1::InvoiceEvent::kIssuerSet:
      if (event.customer_id() != "@reference") {
        return Corrupt(event, "the issuer outside @reference");
      }
      PutMessage(state, IssuerKey(), e.issuer_set().issuer());
      return absl::OkStatus();
    case v1::InvoiceEvent::kPreparationsValidated:
      return ApplyValidated(state, event);
    case v1::InvoiceEvent::kNumbersAssigned:
      return ApplyNumbers(state, event);
    case v1::InvoiceEvent::kInvoicesIssued:
      return ApplyIssued(state, event, position);
    case v1::InvoiceEvent::kCorrectionsDrafted:
      return invoice_internal::ApplyCorrectionsDrafted(state, event);
    case v1::InvoiceEvent::BODY_NOT_SET:
      break;
  }
  return Corrupt(event, "no body");
}

absl::StatusOr<v1::InvoiceAnswer> InvoiceAnswerFor(
    const StateReader&, const v1::LogRecord& record) {
  v1::InvoiceAnswer answer;
  const v1::InvoiceEvent& e = record.events(0).invoice();
  switch (e.body_case()) {
    case v1::InvoiceEvent::kIssuerSet:
      *answer.mutable_issuer() = e.issuer_set().issuer();
      break;
    case v1::InvoiceEvent::kPreparationsValidated:
      *answer.mutable_drafts() = e.preparations_validated().drafts();
      break;
    case v1::InvoiceEvent::kNumbersAssigned:
      *answer.mutable_numbers() = e.numbers_assigned().numbers();
      break;
    case v1::InvoiceEvent::kInvoicesIssued:
      for (const auto& d : e.invoices_issued().documents()) {
        answer.add_issued_numbers(d.number());
      }
      break;
    case v1::InvoiceEvent::kCorrectionsDrafted:
      *answer.mutable_drafts() = e.corrections_drafted().drafts();
      answer.set_correction_id(e.corrections_drafted().correction_id());
      break;
    case v1::InvoiceEvent::BODY_NOT_SET:
      break;
  }
  return answer;
}

const Domain kInvoiceDomain = {
    .name = "invoice",
    .commands = {v1::Command::kInvoice},
    .events = {v1::EventEnvelope::kInvoice},
    .partition_key = [](const v1::Command& c) -> absl::string_view {
      return c.invoice().partition();
    },
    .decide =
        [](const StateReader& state, const v1::Command& c,
           const DecideContext& context) {
          return DecideInvoice(state, c.invoice(), context.business_date);
        },
    .event_type =
        [](const v1::EventEnvelope& e) { return InvoiceEventType(e.invoice()); },
    .apply = ApplyInvoiceEvent,
    .answer =
        [](const StateReader& state, const v1::LogRecord& record,
           v1::IdempotencyRecord& idem) {
          return SetDomainAnswer(InvoiceAnswerFor(state, record),
                                 idem.mutable_invoice());
        },
};

}  // namespace billing
