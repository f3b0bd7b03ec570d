#pragma once

// What is due: for a business date, per billing rule, the periods owed, the
// quantities, the unit prices with the history entry each came from, the
// amounts, and the anomalies with their reasons. A pure function of the
// state and the date: the same state and date always give the same report.
//
// Per rule (docs/contracts.md):
//   - no next theoretical date: ANOMALY, not billed;
//   - the periods owed are those whose billing date is on or before the
//     date, from the next theoretical date on, up to the rule's end; a rule
//     in catch-up (never billed) owes all of them, any other rule the first
//     one only (periods_behind counts the rest);
//   - none owed: NOTHING_DUE, or FINISHED past the rule's end;
//   - a conditional rule whose job is not completed on the date: HELD, its
//     lines shown but not counted;
//   - flat: the rule's quantity per period at the price in force on the
//     period's first day; unit of work: the units dated in the period;
//     time spent: the hours dated in the period, per person and hourly rate
//     in force on each entry's date; installment schedule: the installment;
//     consumed units: per object, the units since the last billed reading
//     (or the installation) up to the latest reading on or before the date,
//     plus units carried from replaced meters, over the owed periods;
//   - a reading lower than the last billed one or than the reading before
//     it (not a replacement), a missing installation reading, a person
//     without a rate, a price that cannot be computed (an increase over
//     kUnitPriceMicrosMax), a line whose amount or cost is over
//     kAmountMinorMax (engine/contracts/limits.h), units or hours that do
//     not add up in 64 bits, an installment over the largest unit price, a
//     rule total over kAmountMinorMax: ANOMALY
//     with the reason (a line that cannot be billed is left out, the
//     rule's other lines are shown);
//   - a DUE rule that would take the report's total over kAmountMinorMax:
//     ANOMALY saying so, not counted.
// A rule that cannot be computed never makes the report an error: the
// errors are the selection's (below) and the state's.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/contracts.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"

namespace billing {

// Periods one catch-up may owe per rule (100 years of months); beyond, the
// rule is an anomaly rather than a runaway computation.
inline constexpr int kDuePeriodsMax = 1200;

struct DueSelection {
  // Empty: every contract of the customer.
  std::string contract_ref;
  // Empty: every rule of the selected contracts (needs contract_ref).
  std::string rule_id;
};

// Errors: InvalidArgument (selection fields), NotFound (customer, contract,
// rule), DataLoss (a corrupt state).
absl::StatusOr<v1::DueReport> ComputeDue(const StateReader& state,
                                         absl::string_view customer_id,
                                         const DueSelection& selection,
                                         BusinessDate as_of);

// The units consumed on one object since its last billed reading, as of a
// date. `anomaly` is set (with `reason`) when they cannot be billed.
struct ConsumedUnits {
  std::string anomaly;
  v1::ReadingRef from;
  v1::ReadingRef to;
  // Units consumed on replaced meters, included in units_milli.
  int64_t carried_units_milli = 0;
  int64_t units_milli = 0;
};

// Walks the object's readings dated on or before `as_of`.
absl::StatusOr<ConsumedUnits> ComputeConsumedUnits(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id, BusinessDate as_of);

}  // namespace billing
