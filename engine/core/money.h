#pragma once

// Money without floating point. Amounts are int64 counts of a currency's minor
// units; unit prices are int64 millionths of its major unit; quantities are
// int64 thousandths. One rounding rule everywhere: half away from zero
// ("half-up" as accountants say it: 2.675 -> 2.68, -2.675 -> -2.68), applied
// once per line. Overflow is an error (OutOfRange), never a wrap.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace billing {

// Unit prices carry six decimals: 1.000000 = kMicrosPerUnit.
inline constexpr int64_t kMicrosPerUnit = 1'000'000;
// Quantities carry three decimals: 1.5 hours = 1500.
inline constexpr int64_t kMilliPerUnit = 1'000;

// An ISO 4217 currency and its number of minor-unit digits (EUR 2, JPY 0,
// KWD 3).
struct Currency {
  absl::string_view code;
  int exponent;
};

// Errors: InvalidArgument naming `field` when `code` is not an active ISO 4217
// code ("customer.currency: \"EURO\" is not an ISO 4217 code").
absl::StatusOr<Currency> LookupCurrency(absl::string_view code,
                                        absl::string_view field);

// Rounds an amount in millionths of the major unit to the currency's minor
// units, half away from zero. Errors: OutOfRange when it does not fit int64.
absl::StatusOr<int64_t> RoundMicrosToMinor(absl::int128 micros,
                                           const Currency& currency);

// unit_price_micros x quantity_milli, rounded to minor units: the amount of
// one line. 3 x 0.333333 EUR = 0.999999 -> 1.00 EUR.
absl::StatusOr<int64_t> LineAmountMinor(int64_t unit_price_micros,
                                        int64_t quantity_milli,
                                        const Currency& currency);

// minor x rate / 10000, rounded half away from zero once, exact in 128
// bits: a discount in hundredths of a percent, a VAT rate in basis points
// (both are ten-thousandths). 100.01 at 10 % is 10.00 (1000.1 cents ->
// 1000); 0.05 at 10 % is 0.01 (0.5 cent -> 1). |rate| <= 10000 keeps the
// result within |minor|.
int64_t PercentOfMinor(int64_t minor, int32_t ten_thousandths);

// a + b; OutOfRange on overflow.
absl::StatusOr<int64_t> AddMinor(int64_t a, int64_t b);

// An amount in minor units as millionths of the major unit, exactly:
// 268 EUR -> 2680000 (2.680000); 5 JPY -> 5000000. OutOfRange when it does
// not fit int64.
absl::StatusOr<int64_t> MinorToMicros(int64_t minor, const Currency& currency);

// Parses a decimal with at most six decimals ("0.333333", "-12", "3.5") into
// millionths. Errors: InvalidArgument naming `field`.
absl::StatusOr<int64_t> ParseMicros(absl::string_view text,
                                    absl::string_view field);

// Parses a decimal with at most the currency's decimals into minor units
// ("2.68" EUR -> 268; "2.675" EUR is an error, not a rounding).
absl::StatusOr<int64_t> ParseMinor(absl::string_view text,
                                   const Currency& currency,
                                   absl::string_view field);

// Parses a decimal with at most `decimals` decimals into an integer scaled by
// 10^decimals ("10.5" with 2 -> 1050). `what` names the expected value in
// the error ("a percent with at most 2 decimals").
absl::StatusOr<int64_t> ParseFixedPoint(absl::string_view text, int decimals,
                                        absl::string_view field,
                                        absl::string_view what);

// The inverse of ParseFixedPoint: 1050 with 2 -> "10.50"; -5 with 3 ->
// "-0.005"; 7 with 0 -> "7". Exact for every int64, INT64_MIN included.
std::string FormatFixedPoint(int64_t value, int decimals);

// 333333 -> "0.333333"; -1500000 -> "-1.500000".
std::string FormatMicros(int64_t micros);

// 268 EUR -> "2.68"; 5 JPY -> "5".
std::string FormatMinor(int64_t minor, const Currency& currency);

}  // namespace billing
