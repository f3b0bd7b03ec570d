#pragma once

// The largest values the contracts domain takes (docs/contracts.md,
// "Limits"). Each command refuses a value over its maximum with
// InvalidArgument naming the field ("rule.quantity_milli:
// 9223372036854775807 is over the maximum 1000000000000000"), so that every
// product and sum of the due computation stays far inside 64 bits; what is
// still too large there (legal values whose product is not, an increase
// compounding, events recorded before these limits) makes that one rule an
// ANOMALY with the reason, never the whole report an error.
//
// The margins: a quantity of 10^12 units, a unit price of 10^11 major units
// (several million euros per unit even in the currencies with the smallest
// unit, VND or IDR), an index of a million points (Syntec is near 300), an
// amount of 10^15 minor units (10^13 EUR).

#include <cstdint>

namespace billing {

// Flat rule quantity, unit-of-work entry: 10^12 units, in thousandths.
inline constexpr int64_t kQuantityMilliMax = 1'000'000'000'000'000;
// Meter reading value (and a replaced meter's final value): 10^12 units.
inline constexpr int64_t kReadingMilliMax = 1'000'000'000'000'000;
// Unit price, cost price, hourly rate, and every price an increase makes:
// 100,000,000,000.000000 (10^11 major units).
inline constexpr int64_t kUnitPriceMicrosMax = 100'000'000'000'000'000;
// Index publication, Syntec reference and new index: 1,000,000.000000.
inline constexpr int64_t kIndexMicrosMax = 1'000'000'000'000;
// Installment fee and installment; a due line's amount and cost, a rule's
// total and the total due of a customer: 10^15 minor units.
inline constexpr int64_t kAmountMinorMax = 1'000'000'000'000'000;
// PERIODICITY_DAYS: the days of one period, at most ten years of 366.
inline constexpr int32_t kPeriodDaysMax = 3660;

}  // namespace billing
