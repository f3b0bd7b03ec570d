#pragma once

// When a billing rule is billed: its periods and billing dates, and how real
// billing moves them (AdvanceRule). Pure functions of the rule.
//
// Period convention (docs/contracts.md, "Periods, billing day and
// proration"). Every rule has full periods, boundary n to the day before
// boundary n + 1:
//   - billing_day 0: anniversary periods counted from the rule's start date.
//     Boundary k is the start plus k x (months of the periodicity), on the
//     start's day of month, clamped to the month's last day (a rule started
//     on Jan 31 has boundaries Feb 28/29, Mar 31, Apr 30...);
//   - billing_day 1..31: boundaries on that day (clamped to the month's end)
//     of the months aligned on the calendar (every month; odd months for
//     bimonthly; Jan/Apr/Jul/Oct; Jan/Jul; Jan);
//   - PERIODICITY_DAYS: the start plus k x period_days;
//   - USAGE rules: calendar months (billing day 1), in arrears.
// Period 0 runs from the rule's start to the day before the first boundary
// after it (a piece of the full period containing the start when the start
// is not on a boundary), period k from the k-th boundary after it; the last
// is clipped to the rule's end date; a period starting after the end does
// not exist. RulePeriod.full_start/full_end give the full period.
//   in advance: a period is billable from its first day;
//   in arrears: from the day after its last day (the end date's next day
//   for a period cut by it).
// An installment schedule's periods run from one installment's due date to
// the day before the next (the last one to the end of the fiscal year); each
// is billable on its due date.
//
// Example: monthly in advance from 2026-01-15: periods Jan 15 - Feb 14
// (billable Jan 15), Feb 15 - Mar 14 (Feb 15), Mar 15 - Apr 14 (Mar 15).
// Quarterly in arrears from 2026-01-01: Jan 1 - Mar 31 billable Apr 1.
// Quarterly, billing day 1, from 2026-02-10 in advance: Feb 10 - Mar 31
// (50 of the 90 days of Jan 1 - Mar 31), then Apr 1 - Jun 30.

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
  // The full period that contains it (equal to start and end unless the
  // period is the piece before the first boundary or is cut by the end).
  BusinessDate full_start;
  BusinessDate full_end;
};

// True when `period` is shorter than its full period and the rule bills it
// prorated by days: a FLAT rule without no_proration.
bool IsProrated(const v1::BillingRule& rule, const RulePeriod& period);

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
