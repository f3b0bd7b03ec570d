#pragma once

// When a billing rule is billed: its periods and billing dates, and how real
// billing moves them (AdvanceRule). Pure functions of the rule.
//
// Period convention (docs/contracts.md): anniversary periods counted from
// the rule's start date. Boundary k is the start plus k x (months of the
// periodicity), on the start's day of month, clamped to the month's last day
// (a rule started on Jan 31 has boundaries Feb 28/29, Mar 31, Apr 30...).
// Period k runs from boundary k to the day before boundary k+1, clipped to
// the rule's end date; a period starting after the end does not exist.
//   in advance: period k is billable from boundary k (its first day);
//   in arrears: from boundary k+1 (the day after its natural end).
// An installment schedule's periods run from one installment's due date to
// the day before the next (the last one to the end of the fiscal year); each
// is billable on its due date.
//
// Example: monthly in advance from 2026-01-15: periods Jan 15 - Feb 14
// (billable Jan 15), Feb 15 - Mar 14 (Feb 15), Mar 15 - Apr 14 (Mar 15).
// Quarterly in arrears from 2026-01-01: Jan 1 - Mar 31 billable Apr 1.

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/contracts.pb.h"
#include "engine/core/dates.h"

namespace billing {

// Months in one period: 1, 2, 3, 6, 12; 0 for PERIODICITY_UNSPECIFIED.
int PeriodMonths(v1::Periodicity periodicity);

// `anchor` plus `months` (may be negative) on the anchor's day of month,
// clamped to the last day of the target month: (2026-01-31, 1) -> 2026-02-28.
BusinessDate AddMonthsClamped(BusinessDate anchor, int months);

// One period of a rule.
struct RulePeriod {
  // 0-based index of the period from the rule's start (installment index
  // for a schedule).
  int index = 0;
  BusinessDate start;
  // Last day, clipped to the rule's end date.
  BusinessDate end;
  // The first day it may be billed.
  BusinessDate billing_date;
};

// Period `index` of the rule, or nullopt when it starts after the rule's end
// (or is past the schedule's last installment). Errors: InvalidArgument when
// the rule's dates or periodicity do not parse (a corrupt rule).
absl::StatusOr<std::optional<RulePeriod>> RulePeriodAt(
    const v1::BillingRule& rule, int index);

// The period billable on `billing_date`: nullopt when that date lies after
// the rule's last period (the rule is finished). Errors: InvalidArgument
// when `billing_date` is not one of the rule's billing dates.
absl::StatusOr<std::optional<RulePeriod>> RulePeriodBilledOn(
    const v1::BillingRule& rule, BusinessDate billing_date);

// The billing date of period `index` even past the rule's end (for an
// installment schedule past its last installment: the day after the fiscal
// year), so that a finished rule still has a next date one period on.
absl::StatusOr<BusinessDate> RuleBillingDate(const v1::BillingRule& rule,
                                             int index);

// The index of the period billable on `billing_date`, even past the rule's
// end (the day after an installment schedule's fiscal year is the index
// past its last installment). Errors: InvalidArgument when `billing_date` is
// not one of the rule's billing dates.
absl::StatusOr<int> RuleBillingIndex(const v1::BillingRule& rule,
                                     BusinessDate billing_date);

// The next theoretical date of a new rule: the billing date of period 0.
absl::StatusOr<BusinessDate> FirstBillingDate(const v1::BillingRule& rule);

// True when last theoretical date, last invoice date and last invoice
// reference are all empty: the first run bills every period owed since the
// rule's start (catch-up billing, seed 003).
bool IsCatchUp(const v1::BillingRule& rule);

// Real billing of `billed_period` (invoice `invoice_ref` dated
// `invoice_date`): the last theoretical date becomes the next one, the next
// moves one period forward, the last invoice date and reference are set.
// Returns the rule so changed (version not touched). Errors:
// FailedPrecondition when the rule has no next theoretical date, is
// finished, or `billed_period` is not the period at its next date.
absl::StatusOr<v1::BillingRule> AdvanceRule(const v1::BillingRule& rule,
                                            const RulePeriod& billed_period,
                                            absl::string_view invoice_ref,
                                            BusinessDate invoice_date);

}  // namespace billing
