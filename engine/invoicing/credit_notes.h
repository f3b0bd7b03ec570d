#pragma once

// Credit notes ("avoirs") and supplementary invoices (docs/credit_notes.md).
// A correction never edits an issued invoice: it is computed, not typed
// in. For each line of the customer's issued invoices, the engine
// recomputes what should have been invoiced from the current state (a
// cancelled invoice: nothing; a flat rule's period: the price in force on
// its first day as the increase history now replays it, the period as the
// rule's dates now cut it, prorated by days), compares it with what the
// line holds now (invoiced, less what credit notes credited, plus what
// supplementary invoices added, drafts included), and drafts the
// difference: a credit note where less is owed, a supplementary invoice
// where more. The same cause twice therefore never credits twice: the
// second time the difference is zero (NOTHING_TO_CORRECT).
//
// The drafts are numbered by the series' one writer (assign_numbers, the
// credit notes in a series of their own, default
// "AV-[INVOICE.YEAR]-[INVOICE.SEQ]"; supplementary invoices in the invoice
// series) and issued by issue_invoices, exactly as validated drafts are:
// services/invoice_issuer drives them. Nothing here reads a clock.
//
// State keys (engine/core/keys.h lists the family):
//   icancel/<customer>/<invoice number>   "" (the invoice is cancelled)
//   corrn/<customer>                     the last correction's seq, decimal
//   invat/<customer>/<offset, 20 digits>/<number>
//                                        "" (issued by the record at that
//                                        offset: the balance as of it)

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/invoice.pb.h"
#include "engine/core/dates.h"
#include "engine/core/rejection.h"
#include "engine/core/state.h"

namespace billing {

inline constexpr absl::string_view kCorrectionsDraftedType =
    "invoice.corrections_drafted";
// Characters of a correction's reason.
inline constexpr size_t kCorrectionReasonLengthMax = 500;
// The credit notes' numbering when the issuer has no rule for them.
inline constexpr absl::string_view kDefaultCreditNoteTemplate =
    "AV-[INVOICE.YEAR]-[INVOICE.SEQ]";

std::string CancelledInvoiceKey(absl::string_view customer_id,
                                absl::string_view number);
std::string CorrectionSeqKey(absl::string_view customer_id);
std::string IssuedAtPrefix(absl::string_view customer_id);
std::string IssuedAtKey(absl::string_view customer_id, int64_t offset,
                        absl::string_view number);

// cancel_invoice: the customer, the number, the reason, the issuer, then
// the invoice (found, an invoice that is no correction, not cancelled),
// then what is left to credit and the drafts' amounts and numbers.
namespace cancel_invoice {
inline constexpr Rejection kCustomerIdInvalid{
    "CUSTOMER_ID_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kInvoiceNumberInvalid{
    "INVOICE_NUMBER_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kReasonInvalid{"CORRECTION_REASON_INVALID",
                                          absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kIssuerNotSet{"ISSUER_NOT_SET",
                                         absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kInvoiceNotFound{"INVOICE_NOT_FOUND",
                                            absl::StatusCode::kNotFound};
// A payment notice, a credit note, or a supplementary invoice (cancel the
// invoice it corrects).
inline constexpr Rejection kNotAnInvoice{"NOT_AN_INVOICE",
                                         absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kAlreadyCancelled{
    "INVOICE_ALREADY_CANCELLED", absl::StatusCode::kFailedPrecondition};
// Every line is credited already: nothing is left.
inline constexpr Rejection kNothingToCorrect{
    "NOTHING_TO_CORRECT", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kAmountOutOfRange{"AMOUNT_OUT_OF_RANGE",
                                             absl::StatusCode::kOutOfRange};
inline constexpr Rejection kNumberTooLong{"DOCUMENT_NUMBER_TOO_LONG",
                                          absl::StatusCode::kOutOfRange};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kInvoiceNumberInvalid, kReasonInvalid,
    kIssuerNotSet,      kInvoiceNotFound,      kNotAnInvoice,
    kAlreadyCancelled,  kNothingToCorrect,     kAmountOutOfRange,
    kNumberTooLong};
}  // namespace cancel_invoice

// correct_invoices: the customer, the numbers (each well formed, none
// twice, at most 1,000), the reason, the issuer, then each invoice named
// (found, an invoice that is no correction), then the differences.
namespace correct_invoices {
using cancel_invoice::kAmountOutOfRange;
using cancel_invoice::kCustomerIdInvalid;
using cancel_invoice::kInvoiceNotFound;
using cancel_invoice::kInvoiceNumberInvalid;
using cancel_invoice::kIssuerNotSet;
using cancel_invoice::kNotAnInvoice;
using cancel_invoice::kNumberTooLong;
using cancel_invoice::kReasonInvalid;
inline constexpr Rejection kCustomerNotFound{"CUSTOMER_NOT_FOUND",
                                             absl::StatusCode::kNotFound};
// Every line is as it should be.
inline constexpr Rejection kNothingToCorrect{
    "NOTHING_TO_CORRECT", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kInvoiceNumberInvalid, kReasonInvalid,
    kCustomerNotFound,  kIssuerNotSet,         kInvoiceNotFound,
    kNotAnInvoice,      kNothingToCorrect,     kAmountOutOfRange,
    kNumberTooLong};
}  // namespace correct_invoices

// One invoice line compared with what it should be. Amounts in the
// invoice's minor units; "now" is the line as invoiced, less credited,
// plus supplemented.
struct LineDifference {
  v1::LineRef ref;
  // The entity the amounts are on: the line's, or the one its objects are
  // billed to now (a reassignment after invoicing moves the line).
  std::string entity_id;
  // The discount owed there, hundredths of a percent.
  int32_t owed_discount_hundredths = 0;
  int64_t now_gross_minor = 0;
  int64_t now_discount_minor = 0;
  int64_t now_net_minor = 0;
  int64_t owed_gross_minor = 0;
  int64_t owed_discount_minor = 0;
  int64_t owed_net_minor = 0;
  // The owed amount's quantity and unit price (for the document's line).
  int64_t owed_quantity_milli = 0;
  int64_t owed_unit_price_micros = 0;
  // True when no correction touched the line yet (on its own entity).
  bool untouched = true;
  // How the owed amount was found: "1.000 x 200.000000, the agreed price
  // from 2026-01-01", "invoice cancelled".
  std::string owed_why;
  int64_t net_difference_minor() const { return owed_net_minor - now_net_minor; }
};

// The differences of the lines of `invoices` (issued invoices of the
// customer, numbers; empty: all of them) that are not zero, in number
// then line order. `cancelled`: an invoice whose lines are owed nothing
// (being cancelled now). Lines recomputation does not cover (other rule
// types than flat, usage, ad-hoc lines) are owed what they hold now,
// except on a cancelled invoice. Errors: storage, DataLoss.
absl::StatusOr<std::vector<LineDifference>> ComputeLineDifferences(
    const StateReader& state, absl::string_view customer_id,
    const std::vector<std::string>& invoices, absl::string_view cancelled);

// Balance: invoices (supplementary included, payment notices not) minus
// credit notes, per currency, of the documents issued on or before
// `as_of` (nullopt: any date) by records at or before `offset` of the
// customer's partition (nullopt: any).
absl::StatusOr<v1::CustomerBalance> CustomerBalanceOf(
    const StateReader& state, absl::string_view customer_id,
    std::optional<BusinessDate> as_of, std::optional<int64_t> offset);

}  // namespace billing

namespace billing::invoice_internal {

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideCancelInvoice(
    const StateReader& state, absl::string_view customer_id,
    const v1::CancelInvoice& command, BusinessDate business_date);
absl::StatusOr<std::vector<v1::EventEnvelope>> DecideCorrectInvoices(
    const StateReader& state, absl::string_view customer_id,
    const v1::CorrectInvoices& command, BusinessDate business_date);
absl::Status ApplyCorrectionsDrafted(StateWriter& state,
                                     const v1::EventEnvelope& event);

}  // namespace billing::invoice_internal
