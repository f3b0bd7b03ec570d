// Field validation: every rejection is InvalidArgument "<field>: <reason>".

#include "engine/core/validation.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "engine/core/dates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using ::testing::HasSubstr;

// Expects an InvalidArgument whose message starts with "<field>: ".
::testing::AssertionResult RejectsNaming(const absl::Status& s,
                                         absl::string_view field) {
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure()
           << "expected InvalidArgument, got " << s;
  }
  const std::string prefix = std::string(field) + ": ";
  if (s.message().substr(0, prefix.size()) != prefix) {
    return ::testing::AssertionFailure()
           << "message does not start with \"" << prefix << "\": " << s;
  }
  return ::testing::AssertionSuccess();
}

// --- FieldError -------------------------------------------------------------

TEST(FieldErrorTest, IsInvalidArgumentFieldColonReason) {
  absl::Status s = FieldError("customer.name", "is required");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "customer.name: is required");
}

// --- QuoteValue, TooLongError ---------------------------------------------

// Up to kQuotePrefixMax bytes: the whole value, escaped, in quotes.
TEST(QuoteValueTest, ShortValueIsQuotedWhole) {
  EXPECT_EQ(QuoteValue("C/2"), "\"C/2\"");
  EXPECT_EQ(QuoteValue(std::string(40, 'a')),
            "\"" + std::string(40, 'a') + "\"");
}

// Quotes and control bytes are escaped, and bytes that are not ASCII are
// \xNN: the result is printable ASCII, valid UTF-8 whatever the input.
TEST(QuoteValueTest, EscapesQuotesControlAndNonAsciiBytes) {
  EXPECT_EQ(QuoteValue("a\"b\n\xff\xc3\xa9"), "\"a\\\"b\\n\\xff\\xc3\\xa9\"");
}

// Longer: a 40-byte prefix, "..." and the full length, so that a message
// never grows with the input (an 8,000-character id is 8,000 bytes once).
TEST(QuoteValueTest, LongValueIsCutToAPrefixWithItsLength) {
  EXPECT_EQ(QuoteValue(std::string(8000, 'C')),
            "\"" + std::string(kQuotePrefixMax, 'C') + "\"... (8000 bytes)");
  // 10,000 bytes that each escape to four characters: still short.
  EXPECT_LE(QuoteValue(std::string(10000, '\xff')).size(),
            4 * kQuotePrefixMax + 32);
}

TEST(TooLongErrorTest, NamesFieldLengthLimitAndQuotesAPrefix) {
  absl::Status s =
      TooLongError("customer.customer_id", std::string(8000, 'C'), 8000, 32);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "customer.customer_id: is 8000 characters, more than the 32 "
            "allowed: \"" +
                std::string(40, 'C') + "\"... (8000 bytes)");
}

// Every validator answers a bounded message for a 10 KB value.
TEST(ValidatorsTest, TenKilobyteValuesGiveShortMessages) {
  const std::string big(10240, 'x');
  const std::string big_at = big + "@example.com";
  for (const absl::Status& s :
       {ValidateCode("code", big, 32), ValidateText("text", big, 1, 200),
        ValidateEmail("email", big_at), ValidateCountryCode("country", big),
        ValidateVatId("vat", big), ValidateObjectId("object_id", big),
        ValidateIdempotencyKey("key", big),
        ValidateCode("code", big.substr(0, 20) + "/" + big, 100000)}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_LE(s.message().size(), 200u) << s;
  }
}

// --- IsValidUtf8 ------------------------------------------------------------

TEST(IsValidUtf8Test, AcceptsTextRefusesOverlongSurrogatesAndStrayBytes) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Soci\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80 a\tb"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("abc\xc3"));       // truncated
}

// --- ValidateCode -----------------------------------------------------------

TEST(ValidateCodeTest, AcceptsLettersDigitsDotUnderscoreDash) {
  EXPECT_TRUE(ValidateCode("id", "C-001_a.B9", 32).ok());
}

TEST(ValidateCodeTest, EmptyIsRequired) {
  absl::Status s = ValidateCode("customer.customer_id", "", 32);
  EXPECT_EQ(s.message(), "customer.customer_id: is required");
}

TEST(ValidateCodeTest, AcceptsExactlyMaxLength) {
  EXPECT_TRUE(ValidateCode("id", std::string(32, 'A'), 32).ok());
}

TEST(ValidateCodeTest, RejectsOneOverMaxLength) {
  EXPECT_TRUE(
      RejectsNaming(ValidateCode("id", std::string(33, 'A'), 32), "id"));
}

// '/' would break the state key layout ("cust/<id>").
TEST(ValidateCodeTest, RejectsSlash) {
  EXPECT_TRUE(RejectsNaming(ValidateCode("id", "a/b", 32), "id"));
}

TEST(ValidateCodeTest, RejectsSpaceAndNonAscii) {
  EXPECT_TRUE(RejectsNaming(ValidateCode("id", "a b", 32), "id"));
  EXPECT_TRUE(
      RejectsNaming(ValidateCode("id", "Soci\xc3\xa9t\xc3\xa9", 32), "id"));
}

// --- ValidateText -----------------------------------------------------------

// "Société Générale" is 16 characters (18 bytes): limits count code points.
TEST(ValidateTextTest, CountsCodePointsNotBytes) {
  EXPECT_TRUE(ValidateText(
                  "name", "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale", 1, 16)
                  .ok());
}

TEST(ValidateTextTest, RejectsOneCodePointOverMax) {
  absl::Status s = ValidateText(
      "name", "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale", 1, 15);
  EXPECT_EQ(s.message(),
            "name: is 16 characters, more than the 15 allowed: "
            "\"Soci\\xc3\\xa9t\\xc3\\xa9 G\\xc3\\xa9n\\xc3\\xa9rale\"");
}

TEST(ValidateTextTest, AcceptsFourByteCharacters) {
  // U+1F600, one code point.
  EXPECT_TRUE(ValidateText("name", "\xf0\x9f\x98\x80", 1, 1).ok());
}

TEST(ValidateTextTest, EmptyIsRequiredWhenMinIsOne) {
  EXPECT_EQ(ValidateText("customer.name", "", 1, 200).message(),
            "customer.name: is required");
}

TEST(ValidateTextTest, ShorterThanMinIsNamed) {
  EXPECT_EQ(ValidateText("code", "a", 2, 10).message(),
            "code: is shorter than 2 characters");
}

class ValidateTextRejectsBytesTest
    : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidateTextRejectsBytesTest, AsNotUtf8OrControl) {
  absl::Status s = ValidateText("customer.name", GetParam(), 1, 200);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              ::testing::AnyOf(
                  ::testing::StartsWith("customer.name: is not valid UTF-8 "
                                        "(at byte "),
                  ::testing::StartsWith("customer.name: has a control "
                                        "character U+")));
}

// The message says where: the byte offset of bad UTF-8, the code point and
// the character (from 1) of a control character.
TEST(ValidateTextTest, NamesWhereTheBytesAreWrong) {
  EXPECT_EQ(ValidateText("customer.name", "abc\xff", 1, 200).message(),
            "customer.name: is not valid UTF-8 (at byte 3)");
  EXPECT_EQ(ValidateText("customer.name", "Soci\xc3\xa9t\xc3\xa9\n", 1, 200)
                .message(),
            "customer.name: has a control character U+000A at character 8");
}

// --- the text rule: visible, no invisible format characters -----------------

struct InvisibleText {
  std::string test_name;
  std::string text;
  std::string message;
};

void PrintTo(const InvisibleText& c, std::ostream* os) { *os << c.test_name; }

class ValidateTextRejectsInvisibleTest
    : public ::testing::TestWithParam<InvisibleText> {};

// Each of these looks empty, or like another name, or reorders what follows
// it on screen; none is a name a person typed on purpose.
TEST_P(ValidateTextRejectsInvisibleTest, NamesTheFieldAndTheCharacter) {
  absl::Status s = ValidateText("customer.name", GetParam().text, 1, 200);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "customer.name: " + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Names, ValidateTextRejectsInvisibleTest,
    ::testing::Values(
        InvisibleText{"ThreeSpaces", "   ", "has no visible character"},
        InvisibleText{"NoBreakSpaceAndIdeographicSpace", "\xc2\xa0\xe3\x80\x80",
                      "has no visible character"},
        InvisibleText{"HangulFiller", "\xe3\x85\xa4",
                      "has no visible character"},
        InvisibleText{"ZeroWidthSpace", "Acme\xe2\x80\x8b",
                      "has an invisible format character U+200B at "
                      "character 5"},
        InvisibleText{"OnlyAZeroWidthSpace", "\xe2\x80\x8b",
                      "has an invisible format character U+200B at "
                      "character 1"},
        InvisibleText{"RightToLeftOverride",
                      "Acme\xe2\x80\xae"
                      "Corp",
                      "has an invisible format character U+202E at "
                      "character 5"},
        InvisibleText{"RightToLeftIsolate",
                      "\xe2\x81\xa7"
                      "Acme",
                      "has an invisible format character U+2067 at "
                      "character 1"},
        InvisibleText{"ByteOrderMark",
                      "\xef\xbb\xbf"
                      "Acme",
                      "has an invisible format character U+FEFF at "
                      "character 1"},
        InvisibleText{"SoftHyphen",
                      "Ac\xc2\xad"
                      "me",
                      "has an invisible format character U+00AD at "
                      "character 3"},
        InvisibleText{"LineSeparator",
                      "Acme\xe2\x80\xa8"
                      "Corp",
                      "has an invisible format character U+2028 at "
                      "character 5"},
        InvisibleText{"TagCharacter", "Acme\xf3\xa0\x80\x81",
                      "has an invisible format character U+E0001 at "
                      "character 5"}),
    [](const ::testing::TestParamInfo<InvisibleText>& info) {
      return info.param.test_name;
    });

// Names people write: spaces between words, a no-break space, ZWNJ in
// Persian (U+200C between two letters), ZWJ in an emoji sequence.
TEST(ValidateTextTest, AcceptsVisibleTextWithSpacesAndJoiners) {
  EXPECT_TRUE(ValidateText("name", "  Acme  Corp ", 1, 200).ok());
  EXPECT_TRUE(ValidateText("name", "Acme\xc2\xa0SA", 1, 200).ok());
  EXPECT_TRUE(ValidateText("name",
                           "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8"
                           "\xa7\xd9\x87\xd9\x85",
                           1, 200)
                  .ok());
  EXPECT_TRUE(ValidateText("name",
                           "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", 1,
                           200)
                  .ok());
}

// An optional text (min 0) may be empty, but not blank.
TEST(ValidateTextTest, OptionalTextMayBeEmptyButNotBlank) {
  EXPECT_TRUE(ValidateText("object.label", "", 0, 200).ok());
  EXPECT_EQ(ValidateText("object.label", " ", 0, 200).message(),
            "object.label: has no visible character");
}

// Each of these is either not UTF-8 (RFC 3629) or holds a control character.
// Protobuf refuses to parse invalid UTF-8 in a `string` field, so letting one
// through would write an event no projector can read.
INSTANTIATE_TEST_SUITE_P(
    InvalidUtf8, ValidateTextRejectsBytesTest,
    ::testing::Values(std::string("\xff"),              // never valid
                      std::string("abc\xc3"),           // truncated
                      std::string("\xa9"),              // lone continuation
                      std::string("\xc3(", 2),          // bad continuation
                      std::string("\xc0\xaf"),          // overlong '/'
                      std::string("\xe0\x80\xaf"),      // overlong, 3 bytes
                      std::string("\xf0\x80\x80\xaf"),  // overlong, 4 bytes
                      std::string("\xed\xa0\x80"),      // surrogate U+D800
                      std::string("\xf4\x90\x80\x80"),  // U+110000
                      std::string("\xf8\x88\x80\x80\x80")));  // 5 bytes

INSTANTIATE_TEST_SUITE_P(
    ControlCharacters, ValidateTextRejectsBytesTest,
    ::testing::Values(std::string("a\tb"), std::string("a\nb"),
                      std::string("a\x7f"
                                  "b"),
                      std::string("a\0b", 3),
                      std::string("a\xc2\x85"
                                  "b")));  // U+0085 (C1, NEL)

// --- ValidateEmail ----------------------------------------------------------

TEST(ValidateEmailTest, AcceptsPlainAddress) {
  EXPECT_TRUE(ValidateEmail("email", "billing@example.com").ok());
  EXPECT_TRUE(ValidateEmail("email", "first.last+tag@sub.example-1.fr").ok());
}

TEST(ValidateEmailTest, RejectionQuotesTheValue) {
  EXPECT_EQ(ValidateEmail("customer.email", "nobody").message(),
            "customer.email: \"nobody\" is not an e-mail address");
}

class ValidateEmailRejectsTest : public ::testing::TestWithParam<std::string> {
};

TEST_P(ValidateEmailRejectsTest, NamesTheField) {
  EXPECT_TRUE(RejectsNaming(ValidateEmail("customer.email", GetParam()),
                            "customer.email"))
      << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, ValidateEmailRejectsTest,
    ::testing::Values("", "a@b", "@example.com", "a@", "a@@example.com",
                      "a@example.com,b@example.com", "Name <a@example.com>",
                      "a b@example.com", "a@.example.com", "a@example.com.",
                      "a@example..com", "a@exa_mple.com",
                      std::string(65, 'a') + "@example.com",
                      "a@" + std::string(250, 'b') + ".com",
                      "caf\xc3\xa9@example.com"));

// --- ValidateCountryCode ----------------------------------------------------

TEST(ValidateCountryCodeTest, AcceptsAssignedCodes) {
  EXPECT_TRUE(ValidateCountryCode("c", "FR").ok());
  EXPECT_TRUE(ValidateCountryCode("c", "GR").ok());
  EXPECT_TRUE(ValidateCountryCode("c", "AD").ok());
  EXPECT_TRUE(ValidateCountryCode("c", "ZW").ok());
}

TEST(ValidateCountryCodeTest, EmptyIsRequired) {
  EXPECT_EQ(ValidateCountryCode("a.country_code", "").message(),
            "a.country_code: is required");
}

TEST(ValidateCountryCodeTest, RejectsLowerCase) {
  EXPECT_EQ(ValidateCountryCode("a.country_code", "fr").message(),
            "a.country_code: \"fr\" is not an ISO 3166-1 alpha-2 code");
}

// "UK" and "EL" are not ISO 3166-1 codes (GB and GR are); "FRA" is alpha-3.
TEST(ValidateCountryCodeTest, RejectsUnassignedAndAlpha3) {
  for (const char* code : {"UK", "EL", "XX", "FRA", "F"}) {
    EXPECT_TRUE(RejectsNaming(ValidateCountryCode("c", code), "c")) << code;
  }
}

// --- ValidateVatId ----------------------------------------------------------

TEST(ValidateVatIdTest, AcceptsFrenchVatId) {
  EXPECT_TRUE(ValidateVatId("vat", "FR40303265045").ok());
}

// Greece uses the prefix EL, not its ISO code.
TEST(ValidateVatIdTest, AcceptsGreekElPrefix) {
  EXPECT_TRUE(ValidateVatId("vat", "EL094259216").ok());
}

TEST(ValidateVatIdTest, AcceptsNorthernIrelandXiPrefix) {
  EXPECT_TRUE(ValidateVatId("vat", "XI123456789").ok());
}

TEST(ValidateVatIdTest, RejectsLowerCasePrefix) {
  EXPECT_EQ(ValidateVatId("customer.vat_id", "fr40303265045").message(),
            "customer.vat_id: \"fr40303265045\" is not a VAT id: unknown "
            "country prefix");
}

TEST(ValidateVatIdTest, RejectsLowerCaseAfterPrefix) {
  absl::Status s = ValidateVatId("customer.vat_id", "ESb12345678");
  EXPECT_TRUE(RejectsNaming(s, "customer.vat_id"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("upper-case letters and digits"));
}

TEST(ValidateVatIdTest, RejectsUnknownPrefix) {
  EXPECT_TRUE(RejectsNaming(ValidateVatId("vat", "ZZ123456"), "vat"));
}

TEST(ValidateVatIdTest, RejectsSpaces) {
  EXPECT_TRUE(RejectsNaming(ValidateVatId("vat", "FR 40303265045"), "vat"));
}

// Prefix plus 2 to 13 characters: 4 to 15 in all.
TEST(ValidateVatIdTest, LengthLimits) {
  EXPECT_TRUE(ValidateVatId("vat", "FR12").ok());
  EXPECT_TRUE(ValidateVatId("vat", "FR" + std::string(13, '1')).ok());
  EXPECT_TRUE(RejectsNaming(ValidateVatId("vat", "FR1"), "vat"));
  EXPECT_TRUE(
      RejectsNaming(ValidateVatId("vat", "FR" + std::string(14, '1')), "vat"));
}

// --- ValidateIdempotencyKey -------------------------------------------------

TEST(ValidateIdempotencyKeyTest, AcceptsPrintableAscii) {
  EXPECT_TRUE(
      ValidateIdempotencyKey("idempotency_key", "req-2026-03-01/42:a~z").ok());
}

TEST(ValidateIdempotencyKeyTest, EmptyIsRequired) {
  EXPECT_EQ(ValidateIdempotencyKey("idempotency_key", "").message(),
            "idempotency_key: is required");
}

TEST(ValidateIdempotencyKeyTest, AcceptsExactly128Characters) {
  EXPECT_TRUE(
      ValidateIdempotencyKey("idempotency_key", std::string(128, 'k')).ok());
}

TEST(ValidateIdempotencyKeyTest, Rejects129Characters) {
  EXPECT_EQ(ValidateIdempotencyKey("idempotency_key", std::string(129, 'k'))
                .message(),
            "idempotency_key: is 129 characters, more than the 128 allowed: "
            "\"" +
                std::string(40, 'k') + "\"... (129 bytes)");
}

TEST(ValidateIdempotencyKeyTest, RejectsSpaces) {
  EXPECT_EQ(ValidateIdempotencyKey("idempotency_key", "my key").message(),
            "idempotency_key: \"my key\" must be printable ASCII without "
            "spaces");
}

TEST(ValidateIdempotencyKeyTest, RejectsNonAsciiAndControl) {
  EXPECT_TRUE(
      RejectsNaming(ValidateIdempotencyKey("idempotency_key", "cl\xc3\xa9"),
                    "idempotency_key"));
  EXPECT_TRUE(RejectsNaming(ValidateIdempotencyKey("idempotency_key", "a\tb"),
                            "idempotency_key"));
}

// --- ParseBusinessDate ------------------------------------------------------

TEST(ParseBusinessDateTest, AcceptsLeapDay) {
  auto d = ParseBusinessDate("2024-02-29", "business_date");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, absl::CivilDay(2024, 2, 29));
}

TEST(ParseBusinessDateTest, FormatRoundTrips) {
  EXPECT_EQ(FormatBusinessDate(absl::CivilDay(2026, 3, 1)), "2026-03-01");
  EXPECT_EQ(
      FormatBusinessDate(*ParseBusinessDate("2026-12-31", "business_date")),
      "2026-12-31");
}

// absl would normalize February 30th to March 2nd; a billing date must not.
TEST(ParseBusinessDateTest, RejectsFebruaryThirtieth) {
  auto d = ParseBusinessDate("2026-02-30", "business_date");
  ASSERT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(),
            "business_date: \"2026-02-30\" is not a date YYYY-MM-DD");
}

TEST(ParseBusinessDateTest, RejectsLeapDayOfCommonYear) {
  EXPECT_TRUE(
      RejectsNaming(ParseBusinessDate("2025-02-29", "business_date").status(),
                    "business_date"));
}

TEST(ParseBusinessDateTest, RejectsUnpaddedMonthAndDay) {
  EXPECT_TRUE(
      RejectsNaming(ParseBusinessDate("2026-3-1", "business_date").status(),
                    "business_date"));
}

TEST(ParseBusinessDateTest, RejectsTimeOfDay) {
  EXPECT_TRUE(RejectsNaming(
      ParseBusinessDate("2026-03-01T00:00", "business_date").status(),
      "business_date"));
}

// Finding 7: a 10 KB "date" is quoted by a 40-byte prefix and its length.
TEST(ParseBusinessDateTest, LongTextIsQuotedShort) {
  auto d = ParseBusinessDate(std::string(10240, '1'), "business_date");
  EXPECT_EQ(d.status().message(),
            "business_date: \"" + std::string(40, '1') +
                "\"... (10240 bytes) is not a date YYYY-MM-DD");
}

// The hand-written reader and writer against absl's: every day from 1600
// to 2400 formats as "%04d-%02d-%02d" and reads back as itself, and
// each day's neighbours past its month's end ("2026-04-31") are refused.
TEST(ParseBusinessDateTest, EveryDayOfEightCenturiesRoundTripsAsAbslFormats) {
  for (absl::CivilDay d(1600, 1, 1); d < absl::CivilDay(2400, 1, 1); ++d) {
    const std::string text =
        absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
    ASSERT_EQ(FormatBusinessDate(d), text);
    auto back = ParseBusinessDate(text, "d");
    ASSERT_TRUE(back.ok()) << text << ": " << back.status();
    ASSERT_EQ(*back, d) << text;
    if (absl::CivilDay(d + 1).month() != d.month()) {
      for (int past = d.day() + 1; past <= 39; ++past) {
        const std::string bad =
            absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), past);
        ASSERT_FALSE(ParseBusinessDate(bad, "d").ok()) << bad;
      }
    }
  }
  EXPECT_EQ(FormatBusinessDate(absl::CivilDay(0, 1, 1)), "0000-01-01");
  EXPECT_EQ(FormatBusinessDate(absl::CivilDay(12345, 6, 7)), "12345-06-07");
}

TEST(ParseBusinessDateTest, RejectsOtherShapes) {
  for (const char* text :
       {"", "2026-03-01 ", " 2026-03-01", "2026/03/01", "01-03-2026",
        "2026-13-01", "2026-00-10", "2026-03-00"}) {
    EXPECT_TRUE(RejectsNaming(ParseBusinessDate(text, "d").status(), "d"))
        << "\"" << text << "\"";
  }
}

}  // namespace
}  // namespace billing
