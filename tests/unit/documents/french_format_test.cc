// French printing of amounts, rates, dates and outside text
// (documents/french_format.h). No-break spaces are written "_" in the
// expectations (Plain) so they read as printed.

#include "documents/french_format.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace billing::documents {
namespace {

std::string Plain(const std::string& s) {
  return absl::StrReplaceAll(s, {{"\xC2\xA0", "_"}});
}

TEST(FrenchFormatTest, AmountsGroupThousandsWithCommaDecimals) {
  EXPECT_EQ(Plain(FormatAmount(123456, "EUR")), "1_234,56_€");
  EXPECT_EQ(Plain(FormatAmount(29500, "EUR")), "295,00_€");
  EXPECT_EQ(Plain(FormatAmount(5, "EUR")), "0,05_€");
  EXPECT_EQ(Plain(FormatAmount(-5, "EUR")), "-0,05_€");
  EXPECT_EQ(Plain(FormatAmount(0, "EUR")), "0,00_€");
  EXPECT_EQ(Plain(FormatAmount(100000000, "EUR")), "1_000_000,00_€");
  EXPECT_EQ(Plain(FormatAmount(1234, "JPY")), "1_234_JPY");
  EXPECT_EQ(Plain(FormatAmount(1234, "KWD")), "1,234_KWD");
  EXPECT_EQ(Plain(FormatAmount(1234, "")), "12,34");
  EXPECT_EQ(Plain(FormatAmountNumber(123456, "EUR")), "1_234,56");
}

TEST(FrenchFormatTest, FixedPointIsExactAtTheInt64Limits) {
  EXPECT_EQ(Plain(FormatFixed(INT64_MIN, 2)), "-92_233_720_368_547_758,08");
  EXPECT_EQ(Plain(FormatFixed(INT64_MAX, 0)), "9_223_372_036_854_775_807");
  EXPECT_EQ(FormatFixed(-5, 3), "-0,005");
  EXPECT_EQ(FormatFixed(7, 0), "7");
  EXPECT_EQ(FormatFixed(999, 0), "999");
  EXPECT_EQ(Plain(FormatFixed(1000, 0)), "1_000");
}

TEST(FrenchFormatTest, PricesQuantitiesAndRates) {
  EXPECT_EQ(FormatMicros(100'000'000), "100,00");
  EXPECT_EQ(FormatMicros(12'500), "0,0125");
  EXPECT_EQ(FormatMicros(333'333), "0,333333");
  EXPECT_EQ(FormatMicros(1'500'000), "1,50");
  EXPECT_EQ(FormatMilli(2000), "2");
  EXPECT_EQ(FormatMilli(1500), "1,5");
  EXPECT_EQ(Plain(FormatMilli(1'234'567)), "1_234,567");
  EXPECT_EQ(FormatMilli(0), "0");
  EXPECT_EQ(Plain(FormatPercent(2000)), "20,00_%");
  EXPECT_EQ(Plain(FormatPercent(550)), "5,50_%");
  EXPECT_EQ(Plain(FormatPercent(0)), "0,00_%");
}

TEST(FrenchFormatTest, DatesAndPeriods) {
  EXPECT_EQ(FormatDate("2026-01-31"), "31/01/2026");
  EXPECT_EQ(FormatDate("31/01/2026"), "31/01/2026");  // not ISO: as given
  EXPECT_EQ(FormatDate(""), "");
  EXPECT_EQ(FormatDate("2026-1-31"), "2026-1-31");
  EXPECT_EQ(FormatPeriod("2026-01-01", "2026-01-31"),
            "du 01/01/2026 au 31/01/2026");
  EXPECT_EQ(FormatPeriod("2026-01-01", ""), "à partir du 01/01/2026");
  EXPECT_EQ(FormatPeriod("", ""), "");
  EXPECT_EQ(FormatDateTime("2026-01-05T10:15:30+01:00"), "05/01/2026 10:15:30");
  EXPECT_EQ(FormatDateTime("2026-01-05T10:15:30.25Z"), "05/01/2026 10:15:30");
  EXPECT_EQ(FormatDateTime("hier"), "hier");
}

TEST(FrenchFormatTest, IbanDurationsAndVolumes) {
  EXPECT_EQ(FormatIban("FR7630006000011234567890189"),
            "FR76 3000 6000 0112 3456 7890 189");
  EXPECT_EQ(FormatDuration(9), "9 s");
  EXPECT_EQ(FormatDuration(75), "1 min 15 s");
  EXPECT_EQ(FormatDuration(3725), "1 h 02 min 05 s");
  EXPECT_EQ(Plain(FormatBytes(512)), "512_o");
  EXPECT_EQ(Plain(FormatBytes(1536)), "1,5_Ko");
  EXPECT_EQ(Plain(FormatBytes(5 * 1024 * 1024)), "5_Mo");
  EXPECT_FALSE(FormatBytes(INT64_MAX).empty());
}

// Invalid bytes become U+FFFD one each; controls one space a run; bidi
// controls dropped; accents, RTL letters and "€" kept.
TEST(FrenchFormatTest, CleanTextKeepsLettersAndReplacesTheRest) {
  EXPECT_EQ(CleanText("Hôtel Bellevue 1 234,56 €"), "Hôtel Bellevue 1 234,56 €");
  EXPECT_EQ(CleanText("Soci\xE9t\xE9"), "Soci\xEF\xBF\xBDt\xEF\xBF\xBD");
  EXPECT_EQ(CleanText("a\r\n\tb\x7F" "c"), "a b c");
  EXPECT_EQ(CleanText(std::string("a\0b", 3)), "a b");
  EXPECT_EQ(CleanText("x\xE2\x80\xAEy\xE2\x81\xA6z"), "xyz");  // RLO, LRI
  EXPECT_EQ(CleanText("שלום"), "שלום");
  // Overlong "/" and a lone surrogate are invalid: one U+FFFD per byte.
  EXPECT_EQ(CleanText("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(CleanText("\xED\xA0\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(CleanText("\xF0\x9F\x98"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(FrenchFormatTest, CurrencyExponentsMatchIso4217) {
  EXPECT_EQ(CurrencyExponent("EUR"), 2);
  EXPECT_EQ(CurrencyExponent("JPY"), 0);
  EXPECT_EQ(CurrencyExponent("KWD"), 3);
  EXPECT_EQ(CurrencyExponent("CLF"), 4);
  EXPECT_EQ(CurrencyExponent("XXX-unknown"), 2);
}

}  // namespace
}  // namespace billing::documents
