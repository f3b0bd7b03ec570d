// Money: integer minor units, unit prices in millionths, quantities in
// thousandths, one rounding per line (half away from zero). Every number here
// can be checked by hand.

#include "engine/core/money.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "engine/core/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

const Currency& Eur() {
  static const Currency c = *LookupCurrency("EUR", "currency");
  return c;
}
const Currency& Jpy() {
  static const Currency c = *LookupCurrency("JPY", "currency");
  return c;
}
const Currency& Kwd() {
  static const Currency c = *LookupCurrency("KWD", "currency");
  return c;
}

// --- LookupCurrency -------------------------------------------------------

// EUR, JPY and KWD carry 2, 0 and 3 minor-unit digits.
TEST(LookupCurrencyTest, KnownCodesCarryTheirExponent) {
  EXPECT_EQ(Eur().code, "EUR");
  EXPECT_EQ(Eur().exponent, 2);
  EXPECT_EQ(Jpy().exponent, 0);
  EXPECT_EQ(Kwd().exponent, 3);
}

// The rejection names the field and quotes the value, word for word.
TEST(LookupCurrencyTest, UnknownCodeNamesTheField) {
  auto c = LookupCurrency("EURO", "customer.currency");
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "customer.currency: \"EURO\" is not an ISO 4217 code");
}

// A 10 KB code is quoted as its first kQuotePrefixMax
// bytes and its length, not echoed whole: the message stays under 300 bytes
// and still names the field first.
TEST(LookupCurrencyTest, LongCodeIsQuotedShort) {
  auto c = LookupCurrency(std::string(10'240, 'E'), "customer.currency");
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "customer.currency: \"" + std::string(kQuotePrefixMax, 'E') +
                "\"... (10240 bytes) is not an ISO 4217 code");
  EXPECT_LT(c.status().message().size(), 300u);
}

// Bytes that are not printable are escaped: the message is printable ASCII.
TEST(LookupCurrencyTest, NonPrintableCodeIsEscaped) {
  auto c = LookupCurrency("E\xffR\n", "customer.currency");
  EXPECT_EQ(c.status().message(),
            "customer.currency: \"E\\xffR\\n\" is not an ISO 4217 code");
}

// Codes are upper case; "eur" is not looked up case-insensitively.
TEST(LookupCurrencyTest, LowerCaseCodeIsRejected) {
  EXPECT_EQ(LookupCurrency("eur", "currency").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LookupCurrencyTest, EmptyCodeIsRejected) {
  EXPECT_EQ(LookupCurrency("", "currency").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// --- LineAmountMinor --------------------------------------------------------

// 3 x 0.333333 EUR = 0.999999 EUR, rounded once per line: 1.00 EUR.
TEST(LineAmountMinorTest, ThreeThirdsOfAEuroIsOneEuro) {
  EXPECT_EQ(LineAmountMinor(333333, 3000, Eur()).value(), 100);
}

// 1.5 hours at 80.00 EUR = 120.00 EUR.
TEST(LineAmountMinorTest, FractionalQuantity) {
  EXPECT_EQ(LineAmountMinor(80'000'000, 1500, Eur()).value(), 12000);
}

// 0.5 x 0.01 EUR = 0.005 EUR: half a cent rounds away from zero, to 0.01.
TEST(LineAmountMinorTest, HalfACentRoundsUp) {
  EXPECT_EQ(LineAmountMinor(10'000, 500, Eur()).value(), 1);
}

// A credit line: -1 x 2.675 EUR = -2.675 EUR -> -2.68 EUR.
TEST(LineAmountMinorTest, NegativeQuantityRoundsAwayFromZero) {
  EXPECT_EQ(LineAmountMinor(2'675'000, -1000, Eur()).value(), -268);
}

// 3 x 0.5 JPY = 1.5 JPY -> 2 JPY (no minor unit).
TEST(LineAmountMinorTest, YenRoundsToWholeUnits) {
  EXPECT_EQ(LineAmountMinor(500'000, 3000, Jpy()).value(), 2);
}

// 2 x 1.2345 KWD = 2.469 KWD exactly: 2469 fils, no rounding.
TEST(LineAmountMinorTest, DinarKeepsThreeDecimals) {
  EXPECT_EQ(LineAmountMinor(1'234'500, 2000, Kwd()).value(), 2469);
}

// 9223372036854.775807 EUR x 1000 units = about 9.2e15 EUR = 9.2e17 cents:
// still fits in int64.
TEST(LineAmountMinorTest, LargestPriceTimesThousandFits) {
  // INT64_MAX * 1e6 nanos / 1e7 = INT64_MAX / 10, rounded half away.
  EXPECT_EQ(LineAmountMinor(kInt64Max, 1'000'000, Eur()).value(),
            922337203685477581);
}

// INT64_MAX millionths x one million units does not fit: OutOfRange, never a
// wrapped (negative or small) amount.
TEST(LineAmountMinorTest, OverflowIsOutOfRange) {
  auto amount = LineAmountMinor(kInt64Max, 1'000'000'000, Eur());
  EXPECT_EQ(amount.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(LineAmountMinorTest, NegativeOverflowIsOutOfRange) {
  auto amount = LineAmountMinor(kInt64Min, kInt64Max, Eur());
  EXPECT_EQ(amount.status().code(), absl::StatusCode::kOutOfRange);
}

// --- RoundMicrosToMinor -----------------------------------------------------

// 2.675 -> 2.68 (the classic binary floating point trap gives 2.67).
TEST(RoundMicrosToMinorTest, HalfRoundsAwayFromZero) {
  EXPECT_EQ(RoundMicrosToMinor(2'675'000, Eur()).value(), 268);
}

TEST(RoundMicrosToMinorTest, NegativeHalfRoundsAwayFromZero) {
  EXPECT_EQ(RoundMicrosToMinor(-2'675'000, Eur()).value(), -268);
}

// 0.004999 is below half a cent: 0.00.
TEST(RoundMicrosToMinorTest, JustBelowHalfRoundsDown) {
  EXPECT_EQ(RoundMicrosToMinor(4999, Eur()).value(), 0);
}

// 0.005 is exactly half a cent: 0.01.
TEST(RoundMicrosToMinorTest, ExactlyHalfRoundsUp) {
  EXPECT_EQ(RoundMicrosToMinor(5000, Eur()).value(), 1);
}

TEST(RoundMicrosToMinorTest, NegativeJustBelowHalfRoundsToZero) {
  EXPECT_EQ(RoundMicrosToMinor(-4999, Eur()).value(), 0);
}

// JPY has no minor unit: 2.5 -> 3, 2.499999 -> 2, -2.5 -> -3.
TEST(RoundMicrosToMinorTest, YenRoundsHalfAwayToWholeUnits) {
  EXPECT_EQ(RoundMicrosToMinor(2'500'000, Jpy()).value(), 3);
  EXPECT_EQ(RoundMicrosToMinor(2'499'999, Jpy()).value(), 2);
  EXPECT_EQ(RoundMicrosToMinor(-2'500'000, Jpy()).value(), -3);
}

// KWD has three decimals: 1.2345 -> 1.235, 1.234499 -> 1.234.
TEST(RoundMicrosToMinorTest, DinarRoundsToThreeDecimals) {
  EXPECT_EQ(RoundMicrosToMinor(1'234'500, Kwd()).value(), 1235);
  EXPECT_EQ(RoundMicrosToMinor(1'234'499, Kwd()).value(), 1234);
  EXPECT_EQ(RoundMicrosToMinor(-1'234'500, Kwd()).value(), -1235);
}

// A 128-bit intermediate that does not fit in int64 minor units.
TEST(RoundMicrosToMinorTest, OverflowIsOutOfRange) {
  const absl::int128 huge = absl::int128(kInt64Max) * 1'000'000;
  EXPECT_EQ(RoundMicrosToMinor(huge, Eur()).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(RoundMicrosToMinor(-huge, Eur()).status().code(),
            absl::StatusCode::kOutOfRange);
}

// --- AddMinor
// -----------------------------------------------------------------

TEST(AddMinorTest, AddsExactly) { EXPECT_EQ(AddMinor(268, -100).value(), 168); }

TEST(AddMinorTest, OverflowIsOutOfRange) {
  EXPECT_EQ(AddMinor(kInt64Max, 1).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(AddMinorTest, UnderflowIsOutOfRange) {
  EXPECT_EQ(AddMinor(kInt64Min, -1).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(AddMinorTest, ExtremesThatFitAreAccepted) {
  EXPECT_EQ(AddMinor(kInt64Max, kInt64Min).value(), -1);
}

// --- ParseMicros ------------------------------------------------------------

TEST(ParseMicrosTest, AcceptsDecimalsUpToSix) {
  EXPECT_EQ(ParseMicros("0.333333", "price").value(), 333333);
  EXPECT_EQ(ParseMicros("3.5", "price").value(), 3'500'000);
  EXPECT_EQ(ParseMicros("-12", "price").value(), -12'000'000);
  EXPECT_EQ(ParseMicros("0", "price").value(), 0);
}

// The int64 extremes, written as prices, parse exactly.
TEST(ParseMicrosTest, AcceptsInt64Extremes) {
  EXPECT_EQ(ParseMicros("9223372036854.775807", "price").value(), kInt64Max);
  EXPECT_EQ(ParseMicros("-9223372036854.775808", "price").value(), kInt64Min);
}

TEST(ParseMicrosTest, OneMillionthAboveInt64IsRejected) {
  auto v = ParseMicros("9223372036854.775808", "rule.unit_price");
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(v.status().message()),
              StartsWith("rule.unit_price: "));
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("too large"));
}

TEST(ParseMicrosTest, SevenDecimalsAreRejectedNotRounded) {
  auto v = ParseMicros("0.3333333", "rule.unit_price");
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(),
            "rule.unit_price: \"0.3333333\" is not a price with at most 6 "
            "decimals: more than 6 decimals");
}

// A 10 KB number is refused naming the field, quoting a short prefix.
TEST(ParseMicrosTest, LongTextIsQuotedShort) {
  auto v = ParseMicros(std::string(10'240, '9'), "rule.unit_price");
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(),
            "rule.unit_price: \"" + std::string(kQuotePrefixMax, '9') +
                "\"... (10240 bytes) is not a price with at most 6 decimals: "
                "too large");
  EXPECT_LT(v.status().message().size(), 300u);
}

// Malformed numbers, each rejected as InvalidArgument naming the field.
class ParseMicrosRejectsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ParseMicrosRejectsTest, NamesTheField) {
  auto v = ParseMicros(GetParam(), "rule.unit_price");
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument)
      << "input \"" << GetParam() << "\"";
  EXPECT_THAT(std::string(v.status().message()),
              StartsWith("rule.unit_price: "));
}

INSTANTIATE_TEST_SUITE_P(Malformed, ParseMicrosRejectsTest,
                         ::testing::Values("1.", ".5", "abc", "", "--1", "-",
                                           "+1", " 1", "1 ", "1e3", "1,5",
                                           "1.2.3", "0x10"));

// --- ParseMinor -------------------------------------------------------------

TEST(ParseMinorTest, AcceptsTheCurrencyDecimals) {
  EXPECT_EQ(ParseMinor("2.68", Eur(), "amount").value(), 268);
  EXPECT_EQ(ParseMinor("-0.05", Eur(), "amount").value(), -5);
  EXPECT_EQ(ParseMinor("2.6", Eur(), "amount").value(), 260);
  EXPECT_EQ(ParseMinor("5", Jpy(), "amount").value(), 5);
  EXPECT_EQ(ParseMinor("1.235", Kwd(), "amount").value(), 1235);
}

// 2.675 EUR has a third decimal: an error, not a rounding.
TEST(ParseMinorTest, MoreDecimalsThanTheCurrencyIsRejected) {
  auto v = ParseMinor("2.675", Eur(), "line.amount");
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(),
            "line.amount: \"2.675\" is not an amount in EUR: more than 2 "
            "decimals");
}

// JPY takes no decimals at all, not even ".0".
TEST(ParseMinorTest, YenWithDecimalsIsRejected) {
  EXPECT_EQ(ParseMinor("5.0", Jpy(), "amount").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// With no decimals the int64 extremes are written in full; the lowest one has
// a magnitude one above INT64_MAX and must still parse.
TEST(ParseMinorTest, YenAcceptsInt64Extremes) {
  EXPECT_EQ(ParseMinor("9223372036854775807", Jpy(), "amount").value(),
            kInt64Max);
  EXPECT_EQ(ParseMinor("-9223372036854775808", Jpy(), "amount").value(),
            kInt64Min);
}

TEST(ParseMinorTest, YenOneAboveInt64MaxIsRejected) {
  EXPECT_EQ(ParseMinor("9223372036854775808", Jpy(), "amount").status().code(),
            absl::StatusCode::kInvalidArgument);
}

class ParseMinorRejectsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ParseMinorRejectsTest, NamesTheField) {
  auto v = ParseMinor(GetParam(), Eur(), "line.amount");
  ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument)
      << "input \"" << GetParam() << "\"";
  EXPECT_THAT(std::string(v.status().message()), StartsWith("line.amount: "));
}

INSTANTIATE_TEST_SUITE_P(Malformed, ParseMinorRejectsTest,
                         ::testing::Values("1.", ".5", "abc", "", "--1",
                                           "2.675", "99999999999999999999"));

// --- FormatMicros / FormatMinor ---------------------------------------------

TEST(FormatMicrosTest, WritesSixDecimals) {
  EXPECT_EQ(FormatMicros(333333), "0.333333");
  EXPECT_EQ(FormatMicros(-1'500'000), "-1.500000");
  EXPECT_EQ(FormatMicros(0), "0.000000");
  EXPECT_EQ(FormatMicros(-1), "-0.000001");
}

TEST(FormatMicrosTest, RoundTripsThroughParseMicros) {
  for (int64_t v :
       {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{333333},
        int64_t{-1'500'000}, int64_t{12'345'678'901}, kInt64Max, kInt64Min}) {
    EXPECT_EQ(ParseMicros(FormatMicros(v), "price").value(), v)
        << FormatMicros(v);
  }
}

TEST(FormatMinorTest, WritesTheCurrencyDecimals) {
  EXPECT_EQ(FormatMinor(268, Eur()), "2.68");
  EXPECT_EQ(FormatMinor(-5, Eur()), "-0.05");
  EXPECT_EQ(FormatMinor(5, Jpy()), "5");
  EXPECT_EQ(FormatMinor(-5, Jpy()), "-5");
  EXPECT_EQ(FormatMinor(1235, Kwd()), "1.235");
  EXPECT_EQ(FormatMinor(7, Kwd()), "0.007");
}

TEST(FormatMinorTest, RoundTripsThroughParseMinor) {
  for (const Currency* c : {&Eur(), &Jpy(), &Kwd()}) {
    for (int64_t v : {int64_t{0}, int64_t{268}, int64_t{-5}, int64_t{100},
                      kInt64Max, kInt64Min}) {
      EXPECT_EQ(ParseMinor(FormatMinor(v, *c), *c, "amount").value(), v)
          << c->code << " " << FormatMinor(v, *c);
    }
  }
}

}  // namespace
}  // namespace billing

namespace billing {
namespace {

// One fixed-point formatter for every decimal billingctl and the engine
// print (money, prices, quantities, percents), exact at the int64 limits.
TEST(FormatFixedPointTest, PrintsEveryInt64Exactly) {
  EXPECT_EQ(FormatFixedPoint(1050, 2), "10.50");
  EXPECT_EQ(FormatFixedPoint(-5, 3), "-0.005");
  EXPECT_EQ(FormatFixedPoint(7, 0), "7");
  EXPECT_EQ(FormatFixedPoint(0, 6), "0.000000");
  EXPECT_EQ(FormatFixedPoint(std::numeric_limits<int64_t>::min(), 6),
            "-9223372036854.775808");
  EXPECT_EQ(FormatFixedPoint(std::numeric_limits<int64_t>::max(), 2),
            "92233720368547758.07");
}

}  // namespace
}  // namespace billing
