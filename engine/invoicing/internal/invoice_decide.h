#pragma once

// The invoice commands' decisions, one file each (issuer.cc, drafts.cc,
// numbers.cc, issue.cc); invoice_domain.cc dispatches to them.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/invoice.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"

namespace billing::invoice_internal {

using Events = std::vector<v1::EventEnvelope>;

absl::StatusOr<Events> DecideSetIssuer(const StateReader& state,
                                       absl::string_view partition,
                                       const v1::SetIssuer& command,
                                       BusinessDate business_date);
absl::StatusOr<Events> DecideValidatePreparations(
    const StateReader& state, absl::string_view customer_id,
    const v1::ValidatePreparations& command, BusinessDate business_date);
absl::StatusOr<Events> DecideValidateNotices(const StateReader& state,
                                             absl::string_view customer_id,
                                             const v1::ValidateNotices& command,
                                             BusinessDate business_date);
absl::StatusOr<Events> DecideAssignNumbers(const StateReader& state,
                                           absl::string_view partition,
                                           const v1::AssignNumbers& command,
                                           BusinessDate business_date);
absl::StatusOr<Events> DecideIssueInvoices(const StateReader& state,
                                           absl::string_view customer_id,
                                           const v1::IssueInvoices& command,
                                           BusinessDate business_date);

// Checks an issuer for set_issuer; fills in the default numbering rules
// when none is given. Errors: ISSUER_INVALID, NUMBERING_TEMPLATE_INVALID.
absl::StatusOr<v1::Issuer> CheckedIssuer(v1::Issuer issuer);

// VAT per rate on the sum of each rate's net lines, then the document's
// totals (docs/invoices.md). OutOfRange when a sum does not fit.
absl::Status TotalDocument(v1::InvoiceDocument& doc);

// The contract.rule_billed events of the document's RULE lines, in line
// order, each decided against `state` with the earlier ones applied (a
// catch-up's periods follow each other): the rules' next dates advance,
// readings and installments are billed. `refusals`: where a line's period
// can no longer be billed (its rule moved since), the reason, and no event
// for it; nullptr: the first such reason is RULE_NOT_BILLABLE.
absl::StatusOr<Events> RuleBilledEvents(OverlayState& state,
                                        absl::string_view customer_id,
                                        const v1::InvoiceDocument& doc,
                                        absl::string_view invoice_ref,
                                        BusinessDate invoice_date,
                                        std::vector<std::string>* refusals);

// RuleBilledEvents with the draft id as the reference: OK when every rule
// line of the draft can be billed on `date` (applied to `state`, so that
// the next draft of the same validation follows).
absl::Status CheckRulesBillable(OverlayState& state,
                                absl::string_view customer_id,
                                const v1::InvoiceDocument& doc,
                                BusinessDate date);

// The legal mentions the document's VAT asks for (docs/invoices.md).
std::vector<std::string> VatMentions(const v1::InvoiceDocument& doc);

// The draft's series and number parts from the issuer's numbering rule for
// its type and delivery mode (values as of `date`). DOCUMENT_NUMBER_TOO_LONG
// when its number could exceed 64 bytes.
absl::Status NumberDraft(const StateReader& state, const v1::Issuer& issuer,
                         BusinessDate date, v1::InvoiceDocument& doc);

// The due date: the issue date plus the issuer's payment delay.
std::string DueDate(const v1::InvoiceDocument& doc, BusinessDate issue_date);

}  // namespace billing::invoice_internal
