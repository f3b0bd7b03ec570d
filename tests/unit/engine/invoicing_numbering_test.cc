// Invoice reference templates (engine/invoicing/numbering.h): concrete
// templates, values and the numbers a person can write by hand; every
// refusal of a template, with its message.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "engine/invoicing/numbering.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using ::testing::HasSubstr;

NumberingTemplate Parsed(absl::string_view text) {
  absl::StatusOr<NumberingTemplate> t = ParseNumberingTemplate(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status();
  return t.ok() ? *std::move(t) : *ParseNumberingTemplate("[INVOICE.SEQ]");
}

// An invoice issued 2026-03-15 to C042 "Hôtel Bellevue", family SERV.
NumberingValues March15() {
  NumberingValues v;
  v.issue_date = BusinessDate(2026, 3, 15);
  v.invoice_type = "INVOICE";
  v.customer_code = "C042";
  v.customer_name = "Hôtel Bellevue";
  v.billing_family = "SERV";
  v.billing_family_label = "Services";
  v.site_code = "LYON-1";
  v.site_name = "Lyon Part-Dieu";
  v.entity_id = "E01";
  v.entity_name = "Siège";
  return v;
}

std::string Number(absl::string_view text, const NumberingValues& values,
                   uint64_t seq, int digits) {
  absl::StatusOr<std::string> n =
      RenderNumber(Parsed(text), values, seq, digits);
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? *n : "";
}

std::string Refusal(absl::string_view text) {
  absl::StatusOr<NumberingTemplate> t = ParseNumberingTemplate(text);
  EXPECT_FALSE(t.ok()) << text;
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(t.status().message());
}

// --- Numbers ---------------------------------------------------------------

// The issue's example: 2026, SERV, seq 42 padded to 5 digits.
TEST(NumberingTest, YearFamilySeqPaddedToFiveDigits) {
  EXPECT_EQ(Number("FA-[INVOICE.YEAR]-[BILLING.FAMILY]-[INVOICE.SEQ]",
                   March15(), 42, 5),
            "FA-2026-SERV-00042");
}

// Month and day are two digits: March 15 -> "03", "15"; 2026-01-05 -> "01",
// "05".
TEST(NumberingTest, MonthAndDayHaveTwoDigits) {
  const std::string t =
      "[INVOICE.YEAR][INVOICE.MONTH][INVOICE.DAY]-[INVOICE.SEQ]";
  EXPECT_EQ(Number(t, March15(), 7, 3), "20260315-007");
  NumberingValues jan5 = March15();
  jan5.issue_date = BusinessDate(2026, 1, 5);
  EXPECT_EQ(Number(t, jan5, 7, 3), "20260105-007");
}

// A year below 1000 still has 4 digits.
TEST(NumberingTest, YearIsZeroPaddedToFourDigits) {
  NumberingValues v = March15();
  v.issue_date = BusinessDate(987, 6, 1);
  EXPECT_EQ(Number("[INVOICE.YEAR]/[INVOICE.SEQ]", v, 1, 0), "0987/1");
}

// 0 digits: no padding at all.
TEST(NumberingTest, ZeroDigitsMeansNoPadding) {
  EXPECT_EQ(Number("F[INVOICE.SEQ]", March15(), 42, 0), "F42");
}

// A sequence wider than the padding is written in full, never cut (cutting
// would give two invoices one number).
TEST(NumberingTest, SeqWiderThanPaddingIsWrittenInFull) {
  EXPECT_EQ(Number("F[INVOICE.SEQ]", March15(), 123456, 5), "F123456");
}

// The largest sequence, 2^64 - 1 = 18446744073709551615 (20 digits), at
// the widest padding.
TEST(NumberingTest, LargestSeqAtWidestPadding) {
  EXPECT_EQ(Number("[INVOICE.SEQ]", March15(), UINT64_MAX, kSeqDigitsMax),
            "18446744073709551615");
  EXPECT_EQ(Number("[INVOICE.SEQ]", March15(), 1, kSeqDigitsMax),
            "00000000000000000001");
}

// A label in UTF-8: "Hôtel Bellevue" is inserted byte for byte.
TEST(NumberingTest, Utf8LabelIsInsertedAsIs) {
  EXPECT_EQ(Number("[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]", March15(), 7, 0),
            "Hôtel Bellevue-7");
  EXPECT_EQ(Number("[ENTITY.CODE.LIB]/[INVOICE.SEQ]", March15(), 7, 0),
            "Siège/7");
}

// Literal text may be UTF-8 too.
TEST(NumberingTest, Utf8LiteralText) {
  EXPECT_EQ(Number("Facture n° [INVOICE.SEQ]", March15(), 9, 2),
            "Facture n° 09");
}

// Every field, bare and labelled, in one template.
TEST(NumberingTest, EveryField) {
  EXPECT_EQ(Number("[INVOICE.TYPE]:[CUSTOMER.CODE]:[BILLING.FAMILY.LIB]:"
                   "[SITE.CODE]:[SITE.CODE.LIB]:[ENTITY.CODE]:[INVOICE.SEQ]",
                   March15(), 3, 0),
            "INVOICE:C042:Services:LYON-1:Lyon Part-Dieu:E01:3");
  NumberingValues v = March15();
  v.invoice_type = "CREDIT_NOTE";
  EXPECT_EQ(Number("[INVOICE.TYPE]-[BILLING.FAMILY]-[INVOICE.SEQ]", v, 3, 0),
            "CREDIT_NOTE-SERV-3");
}

// An empty value renders as nothing: a customer without a site.
TEST(NumberingTest, EmptyValueRendersEmpty) {
  NumberingValues v = March15();
  v.site_code.clear();
  EXPECT_EQ(Number("F-[SITE.CODE]-[INVOICE.SEQ]", v, 5, 0), "F--5");
}

// A value holding brackets is text: "[INVOICE.SEQ]" as a customer name is
// printed as those 13 characters, not replaced by the sequence.
TEST(NumberingTest, BracketsInAValueAreNotParsed) {
  NumberingValues v = March15();
  v.customer_name = "[INVOICE.SEQ]";
  EXPECT_EQ(Number("[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]", v, 5, 0),
            "[INVOICE.SEQ]-5");
  v.customer_name = "[FOO";
  EXPECT_EQ(Number("[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]", v, 5, 0), "[FOO-5");
}

// The number goes up to 64 bytes and no further: "F" + 63 digits is 64.
TEST(NumberingTest, NumberAtTheLengthLimit) {
  NumberingValues v = March15();
  v.customer_name = std::string(62, 'x');
  // 62 + "-" + "1" = 64 bytes.
  EXPECT_EQ(Number("[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]", v, 1, 0).size(), 64u);
  // 62 + "-" + "10" = 65 bytes.
  absl::StatusOr<std::string> n =
      RenderNumber(Parsed("[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]"), v, 10, 0);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(n.status().message(),
              HasSubstr("is 65 bytes, more than the 64 allowed"));
}

// The limit is bytes: "ô" is 2. 31 x "ô" (62 bytes) + "-1" = 64; one more
// "ô" = 66.
TEST(NumberingTest, LengthLimitCountsBytes) {
  NumberingValues v = March15();
  std::string name;
  for (int i = 0; i < 31; ++i) name += "ô";
  v.customer_name = name;
  const NumberingTemplate t = Parsed("[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]");
  EXPECT_TRUE(RenderNumber(t, v, 1, 0).ok());
  v.customer_name += "ô";
  EXPECT_EQ(RenderNumber(t, v, 1, 0).status().code(),
            absl::StatusCode::kOutOfRange);
}

// --- Refusals of RenderNumber ---------------------------------------------

TEST(NumberingTest, SeqZeroIsRefused) {
  absl::StatusOr<std::string> n =
      RenderNumber(Parsed("[INVOICE.SEQ]"), March15(), 0, 0);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(n.status().message(), HasSubstr("seq: is 0"));
}

TEST(NumberingTest, SeqDigitsOutOfRangeAreRefused) {
  const NumberingTemplate t = Parsed("[INVOICE.SEQ]");
  for (int digits : {-1, kSeqDigitsMax + 1}) {
    absl::StatusOr<std::string> n = RenderNumber(t, March15(), 1, digits);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument) << digits;
    EXPECT_THAT(n.status().message(), HasSubstr("seq_digits: is")) << digits;
  }
}

TEST(NumberingTest, YearOfFiveDigitsIsRefused) {
  NumberingValues v = March15();
  v.issue_date = BusinessDate(10000, 1, 1);
  absl::StatusOr<std::string> n =
      RenderNumber(Parsed("[INVOICE.SEQ]"), v, 1, 0);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(n.status().message(), HasSubstr("issue_date: year 10000"));
}

// A value with a control character (a line break in a label) is refused,
// naming the template field it stands for.
TEST(NumberingTest, ControlCharacterInAValueIsRefused) {
  NumberingValues v = March15();
  v.customer_name = "Hôtel\nBellevue";
  absl::StatusOr<std::string> n =
      RenderNumber(Parsed("[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]"), v, 1, 0);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(n.status().message(),
              HasSubstr("numbering value [CUSTOMER.CODE.LIB]: has a control "
                        "character U+000A"));
}

TEST(NumberingTest, InvalidUtf8InAValueIsRefused) {
  NumberingValues v = March15();
  v.site_name = "Lyon\xff";
  absl::StatusOr<std::string> n =
      RenderNumber(Parsed("[SITE.CODE.LIB]-[INVOICE.SEQ]"), v, 1, 0);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(n.status().message(),
              HasSubstr("numbering value [SITE.CODE.LIB]: is not valid UTF-8"));
}

// A value the template does not use is not checked: it cannot reach the
// number.
TEST(NumberingTest, UnusedValueIsNotChecked) {
  NumberingValues v = March15();
  v.site_name = "bad\n";
  EXPECT_EQ(Number("F[INVOICE.SEQ]", v, 1, 0), "F1");
}

// --- Series ----------------------------------------------------------------

TEST(NumberingTest, SeriesKeepsTheSeqPlaceholder) {
  const NumberingTemplate t =
      Parsed("FA-[INVOICE.YEAR]-[BILLING.FAMILY]-[INVOICE.SEQ]");
  EXPECT_EQ(SeriesOf(t, March15()), "FA-2026-SERV-[INVOICE.SEQ]");
}

// A new year starts a new series; a new month does not when the template
// names only the year.
TEST(NumberingTest, SeriesChangesWithTheFieldsTheTemplateNames) {
  const NumberingTemplate t = Parsed("FA-[INVOICE.YEAR]-[INVOICE.SEQ]");
  NumberingValues april = March15();
  april.issue_date = BusinessDate(2026, 4, 1);
  NumberingValues next_year = March15();
  next_year.issue_date = BusinessDate(2027, 1, 1);
  EXPECT_EQ(SeriesOf(t, april), SeriesOf(t, March15()));
  EXPECT_NE(SeriesOf(t, next_year), SeriesOf(t, March15()));
  EXPECT_EQ(SeriesOf(t, next_year), "FA-2027-[INVOICE.SEQ]");
}

// A template without CUSTOMER.CODE numbers every customer in one series.
TEST(NumberingTest, SeriesWithoutCustomerIsShared) {
  const NumberingTemplate t = Parsed("FA-[INVOICE.SEQ]");
  NumberingValues other = March15();
  other.customer_code = "C999";
  EXPECT_EQ(SeriesOf(t, other), SeriesOf(t, March15()));
  EXPECT_FALSE(t.Uses(NumberingField::kCustomerCode));
  EXPECT_TRUE(Parsed("[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]")
                  .Uses(NumberingField::kCustomerCode));
}

// A value cannot forge a second placeholder in the key: '[', ']' and '\'
// are escaped, so "[INVOICE.SEQ]" as a name and the real placeholder stay
// apart, and the number is still the unescaped key with the seq written in.
TEST(NumberingTest, SeriesEscapesBracketsAndBackslashes) {
  const NumberingTemplate t = Parsed("FA-[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]");
  NumberingValues v = March15();
  v.customer_name = "[INVOICE.SEQ]";
  EXPECT_EQ(SeriesOf(t, v), "FA-\\[INVOICE.SEQ\\]-[INVOICE.SEQ]");
  v.customer_name = "A\\[1]";
  EXPECT_EQ(SeriesOf(t, v), "FA-A\\\\\\[1\\]-[INVOICE.SEQ]");
  EXPECT_EQ(*RenderNumber(t, v, 7, 0), "FA-A\\[1]-7");
  // Literal backslashes are escaped too: "A\" then a value "[" is not "A\[".
  const NumberingTemplate back = Parsed("A\\[SITE.CODE.LIB][INVOICE.SEQ]");
  v.site_name = "[";
  EXPECT_EQ(SeriesOf(back, v), "A\\\\\\[[INVOICE.SEQ]");
}

// Two customers whose names differ only in where a bracket sits get two
// keys (without escaping both would read "X[INVOICE.SEQ]...").
TEST(NumberingTest, SeriesOfForgedNamesStayDistinct) {
  const NumberingTemplate t =
      Parsed("[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]-[SITE.CODE.LIB]");
  NumberingValues a = March15();
  a.customer_name = "A";
  a.site_name = "[INVOICE.SEQ]-B";
  NumberingValues b = March15();
  b.customer_name = "A-[INVOICE.SEQ]";
  b.site_name = "B";
  EXPECT_NE(SeriesOf(t, a), SeriesOf(t, b));
}

// Two templates that write the same numbers share a series: a template
// changed from the year field to the year written out continues the count
// (a fresh count would number "FA-2026-1" twice).
TEST(NumberingTest, TemplatesWritingTheSameNumbersShareTheSeries) {
  EXPECT_EQ(SeriesOf(Parsed("FA-[INVOICE.YEAR]-[INVOICE.SEQ]"), March15()),
            SeriesOf(Parsed("FA-2026-[INVOICE.SEQ]"), March15()));
}

// The key's promise (numbering.h): unescape it, write the sequence in
// place of its one bare "[INVOICE.SEQ]", and you have the number.
std::string NumberFromSeries(absl::string_view series, absl::string_view seq) {
  std::string out;
  for (size_t i = 0; i < series.size(); ++i) {
    if (series[i] == '\\') {
      out.push_back(series[++i]);
    } else if (series[i] == '[') {
      EXPECT_EQ(series.substr(i, 13), "[INVOICE.SEQ]");
      out.append(seq.data(), seq.size());
      i += 12;
    } else {
      out.push_back(series[i]);
    }
  }
  return out;
}

TEST(NumberingTest, NumberIsTheSeriesWithTheSeqWrittenIn) {
  const NumberingTemplate t =
      Parsed("\\[CUSTOMER.CODE.LIB]/[INVOICE.SEQ]/[SITE.CODE.LIB]");
  for (const char* name : {"Hôtel Bellevue", "[INVOICE.SEQ]", "a\\]b[", ""}) {
    NumberingValues v = March15();
    v.customer_name = name;
    v.site_name = std::string(name) + "]";
    EXPECT_EQ(NumberFromSeries(SeriesOf(t, v), "0042"),
              *RenderNumber(t, v, 42, 4))
        << name;
  }
}

TEST(NumberingTest, SeriesOfAnEmptyValue) {
  NumberingValues v = March15();
  v.billing_family.clear();
  EXPECT_EQ(SeriesOf(Parsed("F[BILLING.FAMILY]/[INVOICE.SEQ]"), v),
            "F/[INVOICE.SEQ]");
}

// --- Parsing ---------------------------------------------------------------

TEST(NumberingTest, ParsedPieces) {
  const NumberingTemplate t = Parsed("FA-[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]");
  EXPECT_EQ(t.text(), "FA-[CUSTOMER.CODE.LIB]-[INVOICE.SEQ]");
  ASSERT_EQ(t.pieces().size(), 4u);
  EXPECT_FALSE(t.pieces()[0].is_field);
  EXPECT_EQ(t.pieces()[0].literal, "FA-");
  EXPECT_TRUE(t.pieces()[1].is_field);
  EXPECT_EQ(t.pieces()[1].field, NumberingField::kCustomerCode);
  EXPECT_TRUE(t.pieces()[1].label);
  EXPECT_EQ(t.pieces()[2].literal, "-");
  EXPECT_EQ(t.pieces()[3].field, NumberingField::kInvoiceSeq);
  EXPECT_FALSE(t.pieces()[3].label);
}

TEST(NumberingTest, TemplateOfOnlyTheSeq) {
  EXPECT_EQ(Number("[INVOICE.SEQ]", March15(), 42, 5), "00042");
}

// 128 bytes is allowed, 129 is not.
TEST(NumberingTest, TemplateAtTheLengthLimit) {
  const std::string seq = "[INVOICE.SEQ]";  // 13 bytes
  EXPECT_TRUE(ParseNumberingTemplate(std::string(115, 'F') + seq).ok());
  EXPECT_THAT(Refusal(std::string(116, 'F') + seq),
              HasSubstr("numbering template: is 129 bytes, more than the 128 "
                        "allowed"));
}

// --- Refusals of a template, one per reason ---------------------------------

TEST(NumberingTest, EmptyTemplateIsRefused) {
  EXPECT_EQ(Refusal(""), "numbering template: is required");
}

TEST(NumberingTest, InvalidUtf8TemplateIsRefused) {
  EXPECT_EQ(Refusal("FA\xc3-[INVOICE.SEQ]"),
            "numbering template: is not valid UTF-8 (at byte 2)");
}

TEST(NumberingTest, ControlCharacterInTemplateIsRefused) {
  EXPECT_EQ(Refusal("FA\t[INVOICE.SEQ]"),
            "numbering template: has a control character U+0009 at "
            "character 3");
}

// A right-to-left override would print the number reversed.
TEST(NumberingTest, InvisibleFormatCharacterInTemplateIsRefused) {
  EXPECT_THAT(Refusal("FA\u202e[INVOICE.SEQ]"),
              HasSubstr("invisible format character U+202E"));
}

TEST(NumberingTest, UnclosedBracketIsRefused) {
  EXPECT_EQ(Refusal("FA-[INVOICE.SEQ"),
            "numbering template: unclosed '[' at 3");
  // A '[' inside a field leaves the first one unclosed.
  EXPECT_EQ(Refusal("[INVOICE.SEQ]-[A[B]"),
            "numbering template: unclosed '[' at 14");
}

TEST(NumberingTest, StrayClosingBracketIsRefused) {
  EXPECT_EQ(Refusal("FA]-[INVOICE.SEQ]"),
            "numbering template: ']' without '[' at 2");
}

// The issue's example message, with the byte offset of the '['.
TEST(NumberingTest, UnknownFieldIsRefusedNamingIt) {
  EXPECT_EQ(Refusal("FA-[FOO.BAR]-[INVOICE.SEQ]"),
            "numbering template: unknown field [FOO.BAR] at 3");
  EXPECT_EQ(Refusal("[INVOICE.SEQ][]"),
            "numbering template: unknown field [] at 13");
  EXPECT_EQ(Refusal("[CUSTOMER.LIB][INVOICE.SEQ]"),
            "numbering template: unknown field [CUSTOMER.LIB] at 0");
}

// Offsets are bytes: "é" is 2, so the '[' after "Fé-" is at 4.
TEST(NumberingTest, UnknownFieldOffsetCountsBytes) {
  EXPECT_EQ(Refusal("Fé-[X][INVOICE.SEQ]"),
            "numbering template: unknown field [X] at 4");
}

// Field names are upper case; the refusal gives the right spelling.
TEST(NumberingTest, LowerCaseFieldIsRefusedWithTheSpelling) {
  EXPECT_EQ(Refusal("FA-[invoice.seq]"),
            "numbering template: unknown field [invoice.seq] at 3 (field "
            "names are upper case: [INVOICE.SEQ])");
  EXPECT_EQ(Refusal("[Customer.Code.Lib]-[INVOICE.SEQ]"),
            "numbering template: unknown field [Customer.Code.Lib] at 0 "
            "(field names are upper case: [CUSTOMER.CODE.LIB])");
}

TEST(NumberingTest, LabelOnAFieldWithoutOneIsRefused) {
  EXPECT_EQ(Refusal("FA-[INVOICE.SEQ.LIB]"),
            "numbering template: [INVOICE.SEQ.LIB] at 3: INVOICE.SEQ has no "
            "label (.LIB)");
  EXPECT_THAT(Refusal("[INVOICE.YEAR.LIB][INVOICE.SEQ]"),
              HasSubstr("INVOICE.YEAR has no label"));
}

TEST(NumberingTest, TemplateWithoutSeqIsRefused) {
  EXPECT_EQ(Refusal("FA-[INVOICE.YEAR]"),
            "numbering template: has no [INVOICE.SEQ]");
}

TEST(NumberingTest, TemplateWithTwoSeqsIsRefused) {
  EXPECT_EQ(Refusal("[INVOICE.SEQ]-[INVOICE.SEQ]"),
            "numbering template: has 2 [INVOICE.SEQ], one is required (the "
            "second at 14)");
}

// Precedence: a template both too long and without a sequence is refused
// for its length (the first reason in the order of numbering.h).
TEST(NumberingTest, RefusalsComeInTheirOrder) {
  EXPECT_THAT(Refusal(std::string(200, 'F')), HasSubstr("is 200 bytes"));
  EXPECT_THAT(Refusal("\x01[FOO]"), HasSubstr("control character"));
  EXPECT_THAT(Refusal("[FOO]]"), HasSubstr("unknown field [FOO]"));
  EXPECT_THAT(Refusal("[FOO][INVOICE.SEQ"), HasSubstr("unknown field [FOO]"));
  EXPECT_THAT(Refusal("[INVOICE.SEQ.LIB]"), HasSubstr("has no label"));
}

}  // namespace
}  // namespace billing
