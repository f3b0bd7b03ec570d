// The issuer's legal identifiers (engine/core/identifiers.h). Every
// valid example is either published (named beside it) or computed by hand
// in the comment above it; every refusal names the field passed in.

#include <string>

#include "absl/status/status.h"
#include "engine/core/identifiers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using ::testing::HasSubstr;

std::string Refusal(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

// --- Normalize -------------------------------------------------------------

TEST(IdentifiersTest, NormalizeRemovesSpacesAndUpperCases) {
  EXPECT_EQ(NormalizeIban("fr76 3000 6000 0112 3456 7890 189"),
            "FR7630006000011234567890189");
  EXPECT_EQ(NormalizeIdentifier(" 732 829 320 "), "732829320");
  EXPECT_EQ(NormalizeIdentifier(""), "");
  // Other bytes stay, for the check to refuse.
  EXPECT_EQ(NormalizeIdentifier("fr-76\t"), "FR-76\t");
}

// --- SIREN -------------------------------------------------------------------

// Luhn of 732829320, from the right, every second digit doubled:
//   kept    0, 3, 2, 2, 7           = 14
//   doubled 2->4, 9->18->9, 8->16->7, 3->6 = 26
// 14 + 26 = 40, a multiple of 10. The same for 732829321 gives 41.
TEST(IdentifiersTest, SirenPassingLuhnIsValid) {
  EXPECT_TRUE(ValidateSiren("issuer.siren", "732829320").ok());
  EXPECT_TRUE(ValidateSiren("issuer.siren", "552081317").ok());  // EDF
  EXPECT_TRUE(ValidateSiren("issuer.siren", "356000000").ok());  // La Poste
}

TEST(IdentifiersTest, SirenFailingLuhnIsRefused) {
  EXPECT_EQ(Refusal(ValidateSiren("issuer.siren", "732829321")),
            "issuer.siren: 732829321 fails the Luhn check");
}

TEST(IdentifiersTest, SirenOfWrongShapeIsRefused) {
  EXPECT_EQ(Refusal(ValidateSiren("issuer.siren", "73282932")),
            "issuer.siren: \"73282932\" is not a SIREN: 9 digits expected");
  EXPECT_THAT(Refusal(ValidateSiren("issuer.siren", "7328293200")),
              HasSubstr("9 digits expected"));
  EXPECT_THAT(Refusal(ValidateSiren("issuer.siren", "73282932A")),
              HasSubstr("9 digits expected"));
  // Spaces are for NormalizeIdentifier to remove, not for the check.
  EXPECT_THAT(Refusal(ValidateSiren("issuer.siren", "732 829 320")),
              HasSubstr("9 digits expected"));
  EXPECT_EQ(Refusal(ValidateSiren("issuer.siren", "")),
            "issuer.siren: is required");
}

// A hostile value is quoted escaped and cut short.
TEST(IdentifiersTest, HostileValueIsQuotedEscaped) {
  EXPECT_EQ(Refusal(ValidateSiren("issuer.siren", "73\n")),
            "issuer.siren: \"73\\n\" is not a SIREN: 9 digits expected");
  EXPECT_THAT(Refusal(ValidateSiren("issuer.siren", std::string(5000, '7'))),
              HasSubstr("(5000 bytes)"));
}

// --- SIRET -------------------------------------------------------------------

// Luhn of 73282932000074, from the right:
//   kept    4, 0, 0, 2, 9, 8, 3     = 26
//   doubled 7->14->5, 0, 0, 3->6, 2->4, 2->4, 7->14->5 = 24
// 26 + 24 = 50.
TEST(IdentifiersTest, SiretPassingLuhnIsValid) {
  EXPECT_TRUE(ValidateSiret("issuer.siret", "73282932000074").ok());
  EXPECT_TRUE(ValidateSiret("issuer.siret", "55208131766522").ok());  // EDF
}

TEST(IdentifiersTest, SiretFailingLuhnIsRefused) {
  EXPECT_EQ(Refusal(ValidateSiret("issuer.siret", "73282932000075")),
            "issuer.siret: 73282932000075 fails the Luhn check");
}

// 73282932100007 passes Luhn over 14 digits, but its first 9, 732829321,
// do not (see the SIREN test): no SIREN can start it.
TEST(IdentifiersTest, SiretWhoseSirenFailsLuhnIsRefused) {
  EXPECT_EQ(Refusal(ValidateSiret("issuer.siret", "73282932100007")),
            "issuer.siret: 73282932100007: its SIREN 732829321 fails the "
            "Luhn check");
}

TEST(IdentifiersTest, SiretOfWrongShapeIsRefused) {
  EXPECT_EQ(Refusal(ValidateSiret("issuer.siret", "7328293200007")),
            "issuer.siret: \"7328293200007\" is not a SIRET: 14 digits "
            "expected");
  EXPECT_THAT(Refusal(ValidateSiret("issuer.siret", "7328293200007X")),
              HasSubstr("14 digits expected"));
}

// La Poste's establishments: 35600000049837 fails Luhn, but its digits sum
// to 3+5+6+4+9+8+3+7 = 45, a multiple of 5. Its head office,
// 35600000000048, passes Luhn (and sums to 26).
TEST(IdentifiersTest, LaPosteSiretByDigitSum) {
  EXPECT_TRUE(ValidateSiret("issuer.siret", "35600000049837").ok());
  EXPECT_TRUE(ValidateSiret("issuer.siret", "35600000000048").ok());
}

// 35600000049838 sums to 46 and fails Luhn.
TEST(IdentifiersTest, LaPosteSiretFailingBothIsRefused) {
  EXPECT_EQ(Refusal(ValidateSiret("issuer.siret", "35600000049838")),
            "issuer.siret: 35600000049838 fails La Poste's check (the sum of "
            "its digits, 46, is not a multiple of 5)");
}

// The digit-sum rule is La Poste's alone: 73282932000004 sums to
// 7+3+2+8+2+9+3+2+4 = 40 but fails Luhn.
TEST(IdentifiersTest, DigitSumRuleIsOnlyLaPostes) {
  EXPECT_EQ(Refusal(ValidateSiret("issuer.siret", "73282932000004")),
            "issuer.siret: 73282932000004 fails the Luhn check");
}

TEST(IdentifiersTest, SiretStartsWithTheSiren) {
  EXPECT_TRUE(ValidateSiretOfSiren("issuer.siret", "73282932000074",
                                   "issuer.siren", "732829320")
                  .ok());
  EXPECT_EQ(Refusal(ValidateSiretOfSiren("issuer.siret", "55208131766522",
                                         "issuer.siren", "732829320")),
            "issuer.siret: \"55208131766522\" does not start with "
            "issuer.siren \"732829320\"");
}

// Either one missing: nothing to compare.
TEST(IdentifiersTest, SiretOfSirenWithOneMissing) {
  EXPECT_TRUE(
      ValidateSiretOfSiren("issuer.siret", "", "issuer.siren", "732829320")
          .ok());
  EXPECT_TRUE(
      ValidateSiretOfSiren("issuer.siret", "73282932000074", "issuer.siren", "")
          .ok());
}

// --- VAT id
// --------------------------------------------------------------------

// Key = (12 + 3 x (SIREN mod 97)) mod 97:
//   303265045 = 97 x 3126443 + 74; 12 + 3 x 74 = 234; 234 mod 97 = 40
//     -> FR40303265045 (the European Commission's VIES example)
//   732829320 = 97 x 7554941 + 43; 12 + 129 = 141; 141 mod 97 = 44
//   552081317 = 97 x 5691559 + 94; 12 + 282 = 294; 294 mod 97 = 3 -> "03"
TEST(IdentifiersTest, FrenchVatIdWithItsKeyIsValid) {
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "FR40303265045").ok());
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "FR44732829320").ok());
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "FR03552081317").ok());
}

TEST(IdentifiersTest, FrenchVatIdWithAWrongKeyIsRefused) {
  EXPECT_EQ(Refusal(ValidateIssuerVatId("issuer.vat_id", "FR45732829320")),
            "issuer.vat_id: FR45732829320: the key 45 does not match SIREN "
            "732829320 (expected 44)");
  // The key is 2 digits: "3" is not "03".
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "FR3552081317")),
              HasSubstr("is not a French VAT id"));
}

// A letter in the key: shape only, the SIREN is still checked.
TEST(IdentifiersTest, FrenchVatIdWithALetterKeyIsCheckedForShape) {
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "FRK7732829320").ok());
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "FRK7732829321")),
              HasSubstr("its SIREN 732829321 is not 9 digits passing the "
                        "Luhn check"));
}

TEST(IdentifiersTest, FrenchVatIdWithABadSirenIsRefused) {
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "FR44732829321")),
              HasSubstr("its SIREN 732829321"));
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "FR4473282932A")),
              HasSubstr("its SIREN 73282932A"));
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "FR447328293200")),
              HasSubstr("is not a French VAT id"));
}

TEST(IdentifiersTest, OtherEuVatIdsAreCheckedForShape) {
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "DE123456789").ok());
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "EL094259216").ok());
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "NL123456789B01").ok());
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "XI123456789").ok());
  // 2 and 13 characters after the prefix: the limits.
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "ATU1").ok());
  EXPECT_TRUE(ValidateIssuerVatId("issuer.vat_id", "ES1234567890123").ok());
}

TEST(IdentifiersTest, VatIdOfWrongShapeIsRefused) {
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "DE1")),
              HasSubstr("2 to 13 letters or digits expected"));
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "ES12345678901234")),
              HasSubstr("2 to 13 letters or digits expected"));
  EXPECT_EQ(Refusal(ValidateIssuerVatId("issuer.vat_id", "DE12345-789")),
            "issuer.vat_id: \"DE12345-789\" is not a VAT id: only upper-case "
            "letters and digits may follow the prefix");
  EXPECT_EQ(Refusal(ValidateIssuerVatId("issuer.vat_id", "")),
            "issuer.vat_id: is required");
}

TEST(IdentifiersTest, NonEuPrefixIsRefused) {
  EXPECT_EQ(Refusal(ValidateIssuerVatId("issuer.vat_id", "US123456789")),
            "issuer.vat_id: \"US123456789\" is not a VAT id: the prefix is "
            "not an EU member state's (or XI)");
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "GB123456789")),
              HasSubstr("not an EU member state's"));
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "de123456789")),
              HasSubstr("not an EU member state's"));
  EXPECT_THAT(Refusal(ValidateIssuerVatId("issuer.vat_id", "GR094259216")),
              HasSubstr("Greece's VAT prefix is EL"));
}

TEST(IdentifiersTest, VatIdHoldsTheSiren) {
  EXPECT_TRUE(ValidateVatIdOfSiren("issuer.vat_id", "FR44732829320",
                                   "issuer.siren", "732829320")
                  .ok());
  EXPECT_EQ(Refusal(ValidateVatIdOfSiren("issuer.vat_id", "FR03552081317",
                                         "issuer.siren", "732829320")),
            "issuer.vat_id: \"FR03552081317\" does not hold issuer.siren "
            "\"732829320\"");
  // A foreign VAT id holds no SIREN; one missing: nothing to compare.
  EXPECT_TRUE(ValidateVatIdOfSiren("issuer.vat_id", "DE123456789",
                                   "issuer.siren", "732829320")
                  .ok());
  EXPECT_TRUE(
      ValidateVatIdOfSiren("issuer.vat_id", "", "issuer.siren", "732829320")
          .ok());
}

// --- IBAN
// ----------------------------------------------------------------------

// Published examples (SWIFT IBAN registry and the banks' own): each
// rearranged (first 4 characters moved to the end, A=10 ... Z=35) is 1
// mod 97, computed with Python's int(...) % 97 when writing this test.
TEST(IdentifiersTest, PublishedIbansAreValid) {
  for (const char* iban : {
           "FR7630006000011234567890189",  // France, 27
           "FR1420041010050500013M02606",  // France, a letter in the account
           "DE89370400440532013000",       // Germany, 22
           "GB82WEST12345698765432",       // United Kingdom, 22
           "NO9386011117947",              // Norway, 15: the shortest
           "MT84MALT011000012345MTLCAST001S",  // Malta, 31
       }) {
    EXPECT_TRUE(ValidateIban("issuer.iban", iban).ok()) << iban;
  }
}

// Paper format in, normalized, then checked.
TEST(IdentifiersTest, IbanWithSpacesIsValidOnceNormalized) {
  const std::string typed = "FR76 3000 6000 0112 3456 7890 189";
  EXPECT_THAT(Refusal(ValidateIban("issuer.iban", typed)),
              HasSubstr("NormalizeIban removes spaces"));
  EXPECT_TRUE(ValidateIban("issuer.iban", NormalizeIban(typed)).ok());
  EXPECT_TRUE(
      ValidateIban("issuer.iban", NormalizeIban("fr14 2004 1010 0505 0001 "
                                                "3m02 606"))
          .ok());
}

// The last digit changed, 9 -> 8: the rearranged number is 71 mod 97.
TEST(IdentifiersTest, IbanFailingMod97IsRefused) {
  EXPECT_EQ(Refusal(ValidateIban("issuer.iban", "FR7630006000011234567890188")),
            "issuer.iban: FR7630006000011234567890188 fails the IBAN check "
            "(ISO 13616 mod 97)");
  // Two digits swapped (the error mod 97 is made to catch).
  EXPECT_THAT(
      Refusal(ValidateIban("issuer.iban", "FR7630006000011234567890198")),
      HasSubstr("fails the IBAN check"));
}

TEST(IdentifiersTest, FrenchIbanMustHave27Characters) {
  EXPECT_THAT(
      Refusal(ValidateIban("issuer.iban", "FR763000600001123456789018")),
      HasSubstr("a French IBAN has 27 characters"));
}

TEST(IdentifiersTest, IbanOfWrongShapeIsRefused) {
  EXPECT_THAT(Refusal(ValidateIban("issuer.iban", "NO938601111794")),
              HasSubstr("15 to 34 characters expected"));
  EXPECT_THAT(
      Refusal(ValidateIban("issuer.iban", "DE89" + std::string(31, '0'))),
      HasSubstr("15 to 34 characters expected"));
  EXPECT_THAT(Refusal(ValidateIban("issuer.iban", "7689370400440532013000")),
              HasSubstr("2 letters of country then 2 check digits"));
  EXPECT_THAT(Refusal(ValidateIban("issuer.iban", "DEX9370400440532013000")),
              HasSubstr("2 letters of country then 2 check digits"));
  EXPECT_THAT(Refusal(ValidateIban("issuer.iban", "de89370400440532013000")),
              HasSubstr("only upper-case letters and digits"));
  EXPECT_EQ(Refusal(ValidateIban("issuer.iban", "")),
            "issuer.iban: is required");
}

// Check digits 00, 01 and 99 pass mod 97 as aliases of 97, 98 and 02
// (97 = 0, 98 = 1, 99 = 2 mod 97) but are never issued. The valid IBANs
// below were made by computing 98 - (rearranged with "00") mod 97 for
// account numbers 77, 83 and 89 at bank 30006, branch 00001, RIB key 89.
TEST(IdentifiersTest, AliasCheckDigitsAreRefused) {
  EXPECT_TRUE(ValidateIban("issuer.iban", "FR0230006000010000000007789").ok());
  EXPECT_TRUE(ValidateIban("issuer.iban", "FR9830006000010000000008389").ok());
  EXPECT_TRUE(ValidateIban("issuer.iban", "FR9730006000010000000008989").ok());
  for (const char* alias :
       {"FR9930006000010000000007789", "FR0130006000010000000008389",
        "FR0030006000010000000008989"}) {
    EXPECT_THAT(Refusal(ValidateIban("issuer.iban", alias)),
                HasSubstr("check digits 00, 01 and 99 are never issued"))
        << alias;
  }
}

// --- BIC
// -----------------------------------------------------------------------

TEST(IdentifiersTest, BicsOf8And11AreValid) {
  EXPECT_TRUE(ValidateBic("issuer.bic", "BNPAFRPP").ok());     // BNP Paribas
  EXPECT_TRUE(ValidateBic("issuer.bic", "DEUTDEFF500").ok());  // a branch
  EXPECT_TRUE(ValidateBic("issuer.bic", "SOGEFRPPXXX").ok());  // head office
}

TEST(IdentifiersTest, BicOfWrongShapeIsRefused) {
  EXPECT_EQ(Refusal(ValidateBic("issuer.bic", "BNPAFRP")),
            "issuer.bic: \"BNPAFRP\" is not a BIC: 4 letters (institution), "
            "2 letters (country), 2 letters or digits (location), optionally "
            "3 letters or digits (branch) expected");
  for (const char* bad : {"BNPAFRPPX", "BNPAFRPPXX", "BNPAFRPPXXXX", "BNP1FRPP",
                          "BNPAF1PP", "BNPAFRP-", "BNPAFRPPXX-", "bnpafrpp"}) {
    EXPECT_THAT(Refusal(ValidateBic("issuer.bic", bad)),
                HasSubstr("is not a BIC"))
        << bad;
  }
  EXPECT_EQ(Refusal(ValidateBic("issuer.bic", "")), "issuer.bic: is required");
}

// --- SEPA creditor identifier and mandate reference ------------------------

// FR72ZZZ123456: 123456 FR 00 -> 1234561527 00, mod 97 = 26, 98 - 26 = 72.
TEST(IdentifiersTest, SepaCreditorIdsWithTheirCheckDigitsAreValid) {
  EXPECT_TRUE(ValidateSepaCreditorId("issuer.sepa_creditor_id", "FR72ZZZ123456")
                  .ok());
  // The business code is outside the check: any 3 characters keep it valid.
  EXPECT_TRUE(ValidateSepaCreditorId("issuer.sepa_creditor_id", "FR72ABC123456")
                  .ok());
  EXPECT_TRUE(
      ValidateSepaCreditorId("issuer.sepa_creditor_id", "DE98ZZZ09999999999")
          .ok());  // the Bundesbank's test identifier
}

TEST(IdentifiersTest, SepaCreditorIdOfWrongCheckOrShapeIsRefused) {
  EXPECT_EQ(
      Refusal(ValidateSepaCreditorId("issuer.sepa_creditor_id", "FR73ZZZ123456")),
      "issuer.sepa_creditor_id: \"FR73ZZZ123456\" is not a SEPA creditor "
      "identifier: its check digits do not match (EPC262, ISO 7064 mod 97)");
  EXPECT_THAT(
      Refusal(ValidateSepaCreditorId("issuer.sepa_creditor_id", "FR72ZZZ12345")),
      HasSubstr("a French one has 13 characters"));
  EXPECT_THAT(
      Refusal(ValidateSepaCreditorId("issuer.sepa_creditor_id", "fr72zzz123456")),
      HasSubstr("only upper-case letters and digits"));
  EXPECT_THAT(
      Refusal(ValidateSepaCreditorId("issuer.sepa_creditor_id", "7272ZZZ123456")),
      HasSubstr("2 letters of country then 2 check digits"));
  EXPECT_THAT(Refusal(ValidateSepaCreditorId("issuer.sepa_creditor_id", "FR72")),
              HasSubstr("8 to 35 characters"));
  EXPECT_EQ(Refusal(ValidateSepaCreditorId("issuer.sepa_creditor_id", "")),
            "issuer.sepa_creditor_id: is required");
}

TEST(IdentifiersTest, MandateReferencesOfTheSepaSetAreValid) {
  EXPECT_TRUE(ValidateMandateReference("m", "RUM-2026/000123").ok());
  EXPECT_TRUE(ValidateMandateReference("m", "a(b).c,d'e+f?g:h").ok());
  EXPECT_TRUE(
      ValidateMandateReference("m", "12345678901234567890123456789012345").ok());
}

TEST(IdentifiersTest, MandateReferenceOutsideTheSepaSetIsRefused) {
  EXPECT_EQ(Refusal(ValidateMandateReference("customer.sepa_mandate.reference",
                                             "RUM 1")),
            "customer.sepa_mandate.reference: \"RUM 1\" holds a character "
            "outside the SEPA set (letters, digits and / - ? : ( ) . , ' +)");
  EXPECT_THAT(Refusal(ValidateMandateReference("m", "R\xc3\xa9f")),
              HasSubstr("outside the SEPA set"));
  EXPECT_THAT(Refusal(ValidateMandateReference(
                  "m", "123456789012345678901234567890123456")),
              HasSubstr("36 characters; at most 35"));
  for (const char* bad : {"/RUM", "RUM/", "RUM//1"}) {
    EXPECT_THAT(Refusal(ValidateMandateReference("m", bad)),
                HasSubstr("may not start or end with /"))
        << bad;
  }
  EXPECT_EQ(Refusal(ValidateMandateReference("m", "")), "m: is required");
}

}  // namespace
}  // namespace billing
