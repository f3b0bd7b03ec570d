#pragma once

// Invoices and payment notices (docs/invoices.md): the issuing company, the
// validation of preparations into drafts, the numbering of drafts by the
// one writer of their series, and their issue as documents that never
// change. proto/billing/v1/invoice.proto explains the three steps; each is
// a command of its own partition, each idempotent, so that a crash between
// them leaves drafts that the next pass numbers and issues (no number is
// ever skipped: a number is only given to a draft, and a draft is always
// issued).
//
// State keys (engine/core/keys.h lists the family):
//   ref/issuer                           billing.v1.Issuer ("@reference")
//   draft/<customer>/<draft_id>          billing.v1.InvoiceDocument, a draft
//   inv/<customer>/<number>              billing.v1.InvoiceDocument, issued
//   invn/<number, escaped>/<customer>    "" (find a document by number)
//   series/<series, escaped>             billing.v1.SeriesState
//   nlink/<customer>/<notice number>     the invoice number it became
//   snum/<series, escaped>/<customer>/<draft_id>
//                                        billing.v1.NumberAssignment
// The last two are written by the series' partition, "@series:<escaped>".
// Escaped: '%' is "%25" and '/' is "%2F", so a series or number holding '/'
// stays one key segment.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/invoice.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/core/dates.h"
#include "engine/core/domain.h"
#include "engine/core/rejection.h"
#include "engine/core/state.h"

namespace billing {

inline constexpr absl::string_view kIssuerSetType = "invoice.issuer_set";
inline constexpr absl::string_view kPreparationsValidatedType =
    "invoice.preparations_validated";
inline constexpr absl::string_view kNumbersAssignedType =
    "invoice.numbers_assigned";
inline constexpr absl::string_view kInvoicesIssuedType = "invoice.issued";

inline constexpr absl::string_view kSeriesPartitionPrefix = "@series:";
// Drafts one assign or issue command carries; preparations one validation
// names.
inline constexpr size_t kDraftsPerCommandMax = 1000;
// Bytes of a document number.
inline constexpr size_t kDocumentNumberLengthMax = 64;

std::string EscapeKeySegment(absl::string_view text);
std::string IssuerKey();
std::string DraftKey(absl::string_view customer_id, absl::string_view draft_id);
std::string DraftsPrefix(absl::string_view customer_id);
std::string DocumentKey(absl::string_view customer_id,
                        absl::string_view number);
std::string DocumentsPrefix(absl::string_view customer_id);
std::string DocumentNumberPrefix(absl::string_view number);
std::string SeriesPartitionKey(absl::string_view series);
std::string SeriesStateKey(absl::string_view series);
// "nlink/<customer>/<notice number>": the invoice a notice became.
std::string NoticeLinkKey(absl::string_view customer_id,
                          absl::string_view notice_number);
// The draft id of a notice's invoice: "<notice number>#INVOICE".
std::string NoticeDraftId(absl::string_view notice_number);
std::string SeriesDraftKey(absl::string_view series,
                           absl::string_view customer_id,
                           absl::string_view draft_id);

namespace invoice_rejections {
inline constexpr Rejection kCommandEmpty{"INVOICE_COMMAND_EMPTY",
                                         absl::StatusCode::kInvalidArgument};
// A command sent to a partition that is not its own.
inline constexpr Rejection kWrongPartition{"INVOICE_WRONG_PARTITION",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kIssuerNotSet{"ISSUER_NOT_SET",
                                         absl::StatusCode::kFailedPrecondition};
}  // namespace invoice_rejections

// set_issuer: the partition, then the fields in proto order, then the
// numbering rules (a template with an unknown field names it).
namespace set_issuer {
using invoice_rejections::kWrongPartition;
inline constexpr Rejection kIssuerInvalid{"ISSUER_INVALID",
                                          absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kNumberingInvalid{
    "NUMBERING_TEMPLATE_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kWrongPartition, kIssuerInvalid,
                                       kNumberingInvalid};
}  // namespace set_issuer

// validate_preparations: the customer, the ids, the issuer, then each
// preparation (found, not in anomaly, generated), then its document (its
// articles, its number's length, its amounts).
namespace validate_preparations {
using invoice_rejections::kIssuerNotSet;
inline constexpr Rejection kCustomerIdInvalid{
    "CUSTOMER_ID_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kCustomerNotFound{"CUSTOMER_NOT_FOUND",
                                             absl::StatusCode::kNotFound};
inline constexpr Rejection kPreparationIdInvalid{
    "PREPARATION_ID_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kPreparationNotFound{"PREPARATION_NOT_FOUND",
                                                absl::StatusCode::kNotFound};
// With every reason of the preparation.
inline constexpr Rejection kPreparationInAnomaly{
    "PREPARATION_IN_ANOMALY", absl::StatusCode::kFailedPrecondition};
// VALIDATED, CANCELLED or marked for deletion.
inline constexpr Rejection kPreparationNotGenerated{
    "PREPARATION_NOT_GENERATED", absl::StatusCode::kFailedPrecondition};
// Empty: nothing to invoice.
inline constexpr Rejection kPreparationEmpty{
    "PREPARATION_EMPTY", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kArticleNotFound{"ARTICLE_NOT_FOUND",
                                            absl::StatusCode::kNotFound};
// A payment notice announces a SEPA direct debit: the issuer's creditor
// identifier and the invoiced party's mandate are printed on it.
inline constexpr Rejection kDirectDebitDetailsMissing{
    "DIRECT_DEBIT_DETAILS_MISSING", absl::StatusCode::kFailedPrecondition};
// A rule line whose period can no longer be billed (its rule moved since
// the run): run again.
inline constexpr Rejection kRuleNotBillable{
    "RULE_NOT_BILLABLE", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kNumberTooLong{"DOCUMENT_NUMBER_TOO_LONG",
                                          absl::StatusCode::kOutOfRange};
inline constexpr Rejection kAmountOutOfRange{"AMOUNT_OUT_OF_RANGE",
                                             absl::StatusCode::kOutOfRange};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid,       kCustomerNotFound,     kPreparationIdInvalid,
    kIssuerNotSet,            kPreparationNotFound,  kPreparationInAnomaly,
    kPreparationNotGenerated, kPreparationEmpty,     kArticleNotFound,
    kDirectDebitDetailsMissing, kRuleNotBillable,    kNumberTooLong,
    kAmountOutOfRange};
}  // namespace validate_preparations

// validate_notices: the customer, the numbers, the issuer, then each
// notice (issued, of the customer, not invoiced or drafted already).
namespace validate_notices {
using invoice_rejections::kIssuerNotSet;
using validate_preparations::kCustomerIdInvalid;
inline constexpr Rejection kNoticeNumberInvalid{
    "NOTICE_NUMBER_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kNoticeNotFound{"NOTICE_NOT_FOUND",
                                           absl::StatusCode::kNotFound};
inline constexpr Rejection kNoticeInvoiced{
    "NOTICE_INVOICED", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kNoticeNumberInvalid,
                                       kIssuerNotSet, kNoticeNotFound,
                                       kNoticeInvoiced};
}  // namespace validate_notices

// assign_numbers: the partition and series, then the drafts' shape.
namespace assign_numbers {
using invoice_rejections::kWrongPartition;
inline constexpr Rejection kDraftsInvalid{"DRAFTS_INVALID",
                                          absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kWrongPartition, kDraftsInvalid};
}  // namespace assign_numbers

// issue_invoices: the customer, the numbers' shape, then each (its draft,
// or its document already issued with that very number).
namespace issue_invoices {
inline constexpr Rejection kNumbersInvalid{"NUMBERS_INVALID",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kDraftNotFound{
    "DRAFT_NOT_FOUND", absl::StatusCode::kFailedPrecondition};
// Every number of the command is issued already (a retry): nothing to do.
inline constexpr Rejection kAlreadyIssued{"ALREADY_ISSUED",
                                          absl::StatusCode::kAlreadyExists};
inline constexpr Rejection kOrder[] = {kNumbersInvalid, kDraftNotFound,
                                       kAlreadyIssued};
}  // namespace issue_invoices

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideInvoice(
    const StateReader& state, const v1::InvoiceCommand& command,
    BusinessDate business_date);
absl::string_view InvoiceEventType(const v1::InvoiceEvent& event);
absl::Status ApplyInvoiceEvent(StateWriter& state,
                               const v1::EventEnvelope& event,
                               const v1::LogPosition& position);
absl::StatusOr<v1::InvoiceAnswer> InvoiceAnswerFor(const StateReader& state,
                                                   const v1::LogRecord& record);

// --- queries ---

// nullopt until set.
absl::StatusOr<std::optional<v1::Issuer>> LoadIssuer(const StateReader& state);
// The customer's drafts waiting for a number or their issue, by draft id.
absl::StatusOr<std::vector<v1::InvoiceDocument>> ListDrafts(
    const StateReader& state, absl::string_view customer_id);
// Every customer's drafts (a scan of draft/): what a restart finishes.
absl::StatusOr<std::vector<v1::InvoiceDocument>> ListAllDrafts(
    const StateReader& state, size_t records_max);
// The customer's issued documents, by number.
absl::StatusOr<std::vector<v1::InvoiceDocument>> ListDocuments(
    const StateReader& state, absl::string_view customer_id);
// A document by number (any customer); nullopt when none.
absl::StatusOr<std::optional<v1::InvoiceDocument>> FindDocument(
    const StateReader& state, absl::string_view number);
absl::StatusOr<std::optional<v1::SeriesState>> LoadSeries(
    const StateReader& state, absl::string_view series);

// What assign_numbers needs of a draft to number it: its customer (the
// holder), id, date and number parts.
v1::DraftRef DraftRefOf(const v1::InvoiceDocument& draft);

extern const Domain kInvoiceDomain;

}  // namespace billing
