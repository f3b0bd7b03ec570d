#include "engine/core/money.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

// Active ISO 4217 codes (list of 2024, with XCG and ZWG), with their
// minor-unit digits. Precious metals and testing codes are left out: nobody
// is invoiced in them.
constexpr Currency kCurrencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2},
    {"ARS", 2}, {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2},
    {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
    {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
    {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2},
    {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2},
    {"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
    {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
    {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2},
    {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2},
    {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2},
    {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0},
    {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0},
    {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2},
    {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
    {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2},
    {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2},
    {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2},
    {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2},
    {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2},
    {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SLL", 2}, {"SOS", 2}, {"SRD", 2},
    {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2},
    {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2},
    {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2},
    {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2},
    {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2},
    {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
    {"ZWL", 2},
};

constexpr int64_t Pow10(int n) {
  int64_t r = 1;
  while (n-- > 0) r *= 10;
  return r;
}

absl::StatusOr<int64_t> ToInt64(absl::int128 v) {
  if (v > std::numeric_limits<int64_t>::max() ||
      v < std::numeric_limits<int64_t>::min()) {
    return absl::OutOfRangeError("amount does not fit in 64 bits");
  }
  return static_cast<int64_t>(v);
}

// Divides by a power of ten, rounding half away from zero.
absl::int128 DivRoundHalfAway(absl::int128 v, int64_t divisor) {
  const bool negative = v < 0;
  absl::int128 magnitude = negative ? -v : v;
  absl::int128 q = (magnitude + divisor / 2) / divisor;
  return negative ? -q : q;
}

// Parses [-]digits[.digits] with at most `max_decimals` decimals into an
// integer scaled by 10^scale (scale >= max_decimals).
absl::StatusOr<int64_t> ParseScaled(absl::string_view text, int max_decimals,
                                    int scale, absl::string_view field,
                                    absl::string_view what) {
  auto bad = [&](absl::string_view why) {
    return FieldError(field, absl::StrFormat("%s is not %s: %s",
                                             QuoteValue(text), what, why));
  };
  absl::string_view s = text;
  bool negative = false;
  if (!s.empty() && s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return bad("no digits");
  size_t dot = s.find('.');
  absl::string_view int_part = s.substr(0, dot);
  absl::string_view frac_part =
      dot == absl::string_view::npos ? absl::string_view() : s.substr(dot + 1);
  if (int_part.empty() ||
      (dot != absl::string_view::npos && frac_part.empty())) {
    return bad("expected digits on both sides of the point");
  }
  if (static_cast<int>(frac_part.size()) > max_decimals) {
    return bad(absl::StrFormat("more than %d decimals", max_decimals));
  }
  absl::int128 v = 0;
  for (char c : int_part) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return bad("not a decimal number");
    }
    v = v * 10 + (c - '0');
    // Only bounds the loop: the exact range check comes after the sign, so
    // that -9223372036854775808 (INT64_MIN) parses.
    if (v > absl::int128(std::numeric_limits<int64_t>::max()) + 1) {
      return bad("too large");
    }
  }
  absl::int128 frac = 0;
  for (char c : frac_part) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return bad("not a decimal number");
    }
    frac = frac * 10 + (c - '0');
  }
  v = v * Pow10(scale) +
      frac * Pow10(scale - static_cast<int>(frac_part.size()));
  if (negative) v = -v;
  auto out = ToInt64(v);
  if (!out.ok()) return bad("too large");
  return out;
}

}  // namespace

absl::StatusOr<Currency> LookupCurrency(absl::string_view code,
                                        absl::string_view field) {
  for (const Currency& c : kCurrencies) {
    if (c.code == code) return c;
  }
  return FieldError(
      field, absl::StrFormat("%s is not an ISO 4217 code", QuoteValue(code)));
}

absl::StatusOr<int64_t> RoundMicrosToMinor(absl::int128 micros,
                                           const Currency& currency) {
  return ToInt64(DivRoundHalfAway(micros, Pow10(6 - currency.exponent)));
}

absl::StatusOr<int64_t> LineAmountMinor(int64_t unit_price_micros,
                                        int64_t quantity_milli,
                                        const Currency& currency) {
  // price (1e-6) x quantity (1e-3) = 1e-9 of the major unit: exact in 128
  // bits for any pair of int64, then one rounding.
  const absl::int128 nanos =
      absl::int128(unit_price_micros) * absl::int128(quantity_milli);
  return ToInt64(DivRoundHalfAway(nanos, Pow10(9 - currency.exponent)));
}

absl::StatusOr<int64_t> AddMinor(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) {
    return absl::OutOfRangeError("amount does not fit in 64 bits");
  }
  return out;
}

absl::StatusOr<int64_t> MinorToMicros(int64_t minor, const Currency& currency) {
  return ToInt64(absl::int128(minor) * Pow10(6 - currency.exponent));
}

absl::StatusOr<int64_t> ParseMicros(absl::string_view text,
                                    absl::string_view field) {
  return ParseScaled(text, 6, 6, field, "a price with at most 6 decimals");
}

absl::StatusOr<int64_t> ParseMinor(absl::string_view text,
                                   const Currency& currency,
                                   absl::string_view field) {
  return ParseScaled(text, currency.exponent, currency.exponent, field,
                     absl::StrCat("an amount in ", currency.code));
}

absl::StatusOr<int64_t> ParseFixedPoint(absl::string_view text, int decimals,
                                        absl::string_view field,
                                        absl::string_view what) {
  return ParseScaled(text, decimals, decimals, field, what);
}

std::string FormatFixedPoint(int64_t value, int decimals) {
  if (decimals == 0) return absl::StrCat(value);
  absl::int128 v = value;
  const bool negative = v < 0;
  if (negative) v = -v;
  const int64_t p = Pow10(decimals);
  const auto whole = static_cast<uint64_t>(v / p);
  const auto frac = static_cast<uint64_t>(v % p);
  return absl::StrFormat("%s%d.%0*d", negative ? "-" : "", whole, decimals,
                         frac);
}

std::string FormatMicros(int64_t micros) { return FormatFixedPoint(micros, 6); }

std::string FormatMinor(int64_t minor, const Currency& currency) {
  return FormatFixedPoint(minor, currency.exponent);
}

int64_t PercentOfMinor(int64_t minor, int32_t ten_thousandths) {
  const absl::int128 product = absl::int128(minor) * ten_thousandths;
  const absl::int128 magnitude = product < 0 ? -product : product;
  const absl::int128 rounded = (magnitude + 5000) / 10000;
  return static_cast<int64_t>(product < 0 ? -rounded : rounded);
}

}  // namespace billing
