// validate_notices: issued payment notices become invoice drafts (seed
// 002, "valider les avis en factures"), numbered and issued as any draft.
// The notice's issue billed its rules; the invoice's does not again.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/internal/invoice_decide.h"
#include "engine/invoicing/invoices.h"

namespace billing::invoice_internal {
namespace {

namespace r = validate_notices;

absl::Status CheckNumbers(const v1::ValidateNotices& command) {
  const auto& numbers = command.notice_numbers();
  if (numbers.empty() ||
      static_cast<size_t>(numbers.size()) > kDraftsPerCommandMax) {
    return Reject(r::kNoticeNumberInvalid,
                  absl::StrFormat("notice_numbers: %d given, 1 to %d expected",
                                  numbers.size(), kDraftsPerCommandMax));
  }
  std::set<std::string> seen;
  for (int i = 0; i < numbers.size(); ++i) {
    if (numbers[i].empty() || numbers[i].size() > kDocumentNumberLengthMax ||
        !IsValidUtf8(numbers[i]) || !seen.insert(numbers[i]).second) {
      return Reject(r::kNoticeNumberInvalid,
                    absl::StrFormat("notice_numbers[%d]: %s is not a number "
                                    "(or is given twice)",
                                    i, QuoteValue(numbers[i])));
    }
  }
  return absl::OkStatus();
}

// The notice, issued, of this customer, not yet invoiced nor drafted.
absl::StatusOr<v1::InvoiceDocument> Notice(const StateReader& state,
                                           absl::string_view customer_id,
                                           const std::string& number) {
  auto doc = GetMessage<v1::InvoiceDocument>(state,
                                             DocumentKey(customer_id, number));
  if (!doc.ok()) return doc.status();
  if (!doc->has_value() ||
      (*doc)->type() != v1::DOCUMENT_TYPE_PAYMENT_NOTICE) {
    return Reject(r::kNoticeNotFound,
                  absl::StrFormat("customer %s has no payment notice %s",
                                  QuoteValue(customer_id), QuoteValue(number)));
  }
  auto link = state.Get(NoticeLinkKey(customer_id, number));
  if (!link.ok()) return link.status();
  auto draft = state.Get(DraftKey(customer_id, NoticeDraftId(number)));
  if (!draft.ok()) return draft.status();
  if (link->has_value() || draft->has_value()) {
    return Reject(r::kNoticeInvoiced,
                  absl::StrFormat("payment notice %s is invoiced already%s",
                                  QuoteValue(number),
                                  link->has_value()
                                      ? absl::StrCat(" (", **link, ")")
                                      : " (its invoice waits for a number)"));
  }
  return **std::move(doc);
}

}  // namespace

absl::StatusOr<Events> DecideValidateNotices(const StateReader& state,
                                             absl::string_view customer_id,
                                             const v1::ValidateNotices& command,
                                             BusinessDate business_date) {
  if (auto s = NamedIf(r::kCustomerIdInvalid,
                       ValidateCode("customer_id", customer_id,
                                    limits::kCodeLengthMax));
      !s.ok()) {
    return s;
  }
  if (auto s = CheckNumbers(command); !s.ok()) return s;
  auto issuer = LoadIssuer(state);
  if (!issuer.ok()) return issuer.status();
  if (!issuer->has_value()) {
    return Reject(r::kIssuerNotSet, "no issuing company is set");
  }
  v1::EventEnvelope e =
      NewEvent(kPreparationsValidatedType, customer_id, business_date);
  auto* body = e.mutable_invoice()->mutable_preparations_validated();
  for (const std::string& number : command.notice_numbers()) {
    auto notice = Notice(state, customer_id, number);
    if (!notice.ok()) return notice.status();
    v1::InvoiceDocument draft = *std::move(notice);
    draft.clear_number();
    draft.clear_series();
    draft.clear_seq();
    draft.clear_issue_date();
    draft.clear_due_date();
    draft.clear_issue_notes();
    draft.set_type(v1::DOCUMENT_TYPE_INVOICE);
    draft.set_draft_id(NoticeDraftId(number));
    draft.set_notice_number(number);
    draft.set_draft_date(FormatBusinessDate(business_date));
    *draft.mutable_issuer() = **issuer;
    draft.mutable_issuer()->clear_numbering();
    if (auto s = NumberDraft(state, **issuer, business_date, draft); !s.ok()) {
      return s;
    }
    *body->add_drafts() = std::move(draft);
  }
  return Events{std::move(e)};
}

}  // namespace billing::invoice_internal
