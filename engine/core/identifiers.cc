#include "engine/core/identifiers.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

constexpr absl::string_view kLaPosteSiren = "356000000";
constexpr size_t kSirenLength = 9;
constexpr size_t kSiretLength = 14;
constexpr size_t kFrenchVatIdLength = 13;  // FR, key, SIREN
constexpr size_t kIbanLengthMin = 15;      // Norway
constexpr size_t kIbanLengthMax = 34;      // ISO 13616-1
constexpr size_t kFrenchIbanLength = 27;
constexpr size_t kCreditorIdLengthMin = 8;  // 2 + 2 + 3 + 1
constexpr size_t kCreditorIdLengthMax = 35;  // EPC262
constexpr size_t kFrenchCreditorIdLength = 13;
constexpr size_t kMandateReferenceLengthMax = 35;  // EPC, "RUM" in France

// VAT prefixes of the EU member states (Greece: EL) and Northern Ireland.
constexpr absl::string_view kVatPrefixes =
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO "
    "SE SI SK XI";

bool IsVatPrefix(absl::string_view prefix) {
  if (prefix.size() != 2) return false;
  for (size_t i = 0; i + 2 <= kVatPrefixes.size(); i += 3) {
    if (kVatPrefixes.substr(i, 2) == prefix) return true;
  }
  return false;
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool AllUpper(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool AllUpperOrDigits(absl::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_isupper(u) && !absl::ascii_isdigit(u)) return false;
  }
  return true;
}

// Luhn: from the right, every second digit doubled (less 9 above 9); valid
// when the sum is a multiple of 10. `digits` holds digits only.
bool PassesLuhn(absl::string_view digits) {
  int sum = 0;
  bool doubled = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (doubled) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    doubled = !doubled;
  }
  return sum % 10 == 0;
}

int DigitSum(absl::string_view digits) {
  int sum = 0;
  for (char c : digits) sum += c - '0';
  return sum;
}

// `digits` of `n` characters, or the refusal naming what was expected.
absl::Status CheckDigits(absl::string_view field, absl::string_view value,
                         size_t n, absl::string_view what) {
  if (value.empty()) return FieldError(field, "is required");
  if (value.size() != n || !AllDigits(value)) {
    return FieldError(field, absl::StrFormat("%s is not a %s: %d digits "
                                             "expected",
                                             QuoteValue(value), what, n));
  }
  return absl::OkStatus();
}

// The French key of a SIREN: (12 + 3 x (SIREN mod 97)) mod 97.
int FrenchVatKey(absl::string_view siren) {
  int64_t n = 0;
  for (char c : siren) n = n * 10 + (c - '0');
  return static_cast<int>((12 + 3 * (n % 97)) % 97);
}

absl::Status CheckFrenchVatId(absl::string_view field,
                              absl::string_view vat_id) {
  if (vat_id.size() != kFrenchVatIdLength) {
    return FieldError(field, absl::StrFormat("%s is not a French VAT id: FR, "
                                             "a 2-character key and the "
                                             "9-digit SIREN expected",
                                             QuoteValue(vat_id)));
  }
  const absl::string_view key = vat_id.substr(2, 2);
  const absl::string_view siren = vat_id.substr(4);
  if (!AllDigits(siren) || !PassesLuhn(siren)) {
    return FieldError(field, absl::StrFormat("%s: its SIREN %s is not 9 "
                                             "digits passing the Luhn check",
                                             vat_id, siren));
  }
  if (!AllDigits(key)) return absl::OkStatus();  // a letter key: shape only
  const int expected = FrenchVatKey(siren);
  if ((key[0] - '0') * 10 + (key[1] - '0') != expected) {
    return FieldError(field,
                      absl::StrFormat("%s: the key %s does not match SIREN %s "
                                      "(expected %02d)",
                                      vat_id, key, siren, expected));
  }
  return absl::OkStatus();
}

// ISO 7064 MOD 97-10 of the IBAN with its first 4 characters moved to the
// end, letters as 10 (A) to 35 (Z). `iban` is upper-case letters and digits.
// ISO 7064 MOD 97-10 remainder of `text` (digits and upper-case letters,
// a letter read as two digits, A = 10 ... Z = 35).
int Mod97(absl::string_view text) {
  int r = 0;
  for (char c : text) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      r = (r * 10 + (c - '0')) % 97;
    } else {
      r = (r * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return r;
}

// The IBAN's 4 first characters moved to its end (ISO 13616-1).
int IbanMod97(absl::string_view iban) {
  return Mod97(absl::StrCat(iban.substr(4), iban.substr(0, 4)));
}

absl::Status CheckIbanShape(absl::string_view field, absl::string_view iban) {
  auto bad = [&](absl::string_view why) {
    return FieldError(
        field, absl::StrFormat("%s is not an IBAN: %s", QuoteValue(iban), why));
  };
  if (iban.size() < kIbanLengthMin || iban.size() > kIbanLengthMax) {
    return bad("15 to 34 characters expected");
  }
  if (!AllUpperOrDigits(iban)) {
    return bad(
        "only upper-case letters and digits (NormalizeIban removes "
        "spaces)");
  }
  if (!AllUpper(iban.substr(0, 2)) || !AllDigits(iban.substr(2, 2))) {
    return bad("2 letters of country then 2 check digits expected");
  }
  if (absl::StartsWith(iban, "FR") && iban.size() != kFrenchIbanLength) {
    return bad("a French IBAN has 27 characters");
  }
  const absl::string_view check = iban.substr(2, 2);
  if (check == "00" || check == "01" || check == "99") {
    return bad("check digits 00, 01 and 99 are never issued (02 to 98)");
  }
  return absl::OkStatus();
}

}  // namespace

std::string NormalizeIdentifier(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != ' ')
      out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

absl::Status ValidateSiren(absl::string_view field, absl::string_view siren) {
  if (absl::Status s = CheckDigits(field, siren, kSirenLength, "SIREN");
      !s.ok()) {
    return s;
  }
  if (!PassesLuhn(siren)) {
    return FieldError(field, absl::StrFormat("%s fails the Luhn check", siren));
  }
  return absl::OkStatus();
}

absl::Status ValidateSiret(absl::string_view field, absl::string_view siret) {
  if (absl::Status s = CheckDigits(field, siret, kSiretLength, "SIRET");
      !s.ok()) {
    return s;
  }
  const absl::string_view siren = siret.substr(0, kSirenLength);
  if (!PassesLuhn(siren)) {
    return FieldError(field, absl::StrFormat("%s: its SIREN %s fails the "
                                             "Luhn check",
                                             siret, siren));
  }
  if (PassesLuhn(siret)) return absl::OkStatus();
  if (siren == kLaPosteSiren) {
    if (DigitSum(siret) % 5 == 0) return absl::OkStatus();
    return FieldError(field, absl::StrFormat("%s fails La Poste's check (the "
                                             "sum of its digits, %d, is not "
                                             "a multiple of 5)",
                                             siret, DigitSum(siret)));
  }
  return FieldError(field, absl::StrFormat("%s fails the Luhn check", siret));
}

absl::Status ValidateSiretOfSiren(absl::string_view siret_field,
                                  absl::string_view siret,
                                  absl::string_view siren_field,
                                  absl::string_view siren) {
  if (siret.empty() || siren.empty() || absl::StartsWith(siret, siren)) {
    return absl::OkStatus();
  }
  return FieldError(siret_field, absl::StrFormat("%s does not start with %s %s",
                                                 QuoteValue(siret), siren_field,
                                                 QuoteValue(siren)));
}

absl::Status ValidateIssuerVatId(absl::string_view field,
                                 absl::string_view vat_id) {
  auto bad = [&](absl::string_view why) {
    return FieldError(field, absl::StrFormat("%s is not a VAT id: %s",
                                             QuoteValue(vat_id), why));
  };
  if (vat_id.empty()) return FieldError(field, "is required");
  if (vat_id.size() < 4 || vat_id.size() > limits::kVatIdLengthMax) {
    return bad("a 2-letter prefix then 2 to 13 letters or digits expected");
  }
  const absl::string_view prefix = vat_id.substr(0, 2);
  if (prefix == "GR") return bad("Greece's VAT prefix is EL");
  if (!IsVatPrefix(prefix)) {
    return bad("the prefix is not an EU member state's (or XI)");
  }
  if (!AllUpperOrDigits(vat_id.substr(2))) {
    return bad("only upper-case letters and digits may follow the prefix");
  }
  if (prefix == "FR") return CheckFrenchVatId(field, vat_id);
  return absl::OkStatus();
}

absl::Status ValidateVatIdOfSiren(absl::string_view vat_field,
                                  absl::string_view vat_id,
                                  absl::string_view siren_field,
                                  absl::string_view siren) {
  if (vat_id.empty() || siren.empty() || !absl::StartsWith(vat_id, "FR") ||
      absl::EndsWith(vat_id, siren)) {
    return absl::OkStatus();
  }
  return FieldError(
      vat_field, absl::StrFormat("%s does not hold %s %s", QuoteValue(vat_id),
                                 siren_field, QuoteValue(siren)));
}

absl::Status ValidateIban(absl::string_view field, absl::string_view iban) {
  if (iban.empty()) return FieldError(field, "is required");
  if (absl::Status s = CheckIbanShape(field, iban); !s.ok()) return s;
  if (IbanMod97(iban) != 1) {
    return FieldError(field, absl::StrFormat("%s fails the IBAN check "
                                             "(ISO 13616 mod 97)",
                                             iban));
  }
  return absl::OkStatus();
}

absl::Status ValidateBic(absl::string_view field, absl::string_view bic) {
  if (bic.empty()) return FieldError(field, "is required");
  if ((bic.size() != 8 && bic.size() != 11) || !AllUpper(bic.substr(0, 6)) ||
      !AllUpperOrDigits(bic.substr(6))) {
    return FieldError(
        field,
        absl::StrFormat("%s is not a BIC: 4 letters (institution), 2 letters "
                        "(country), 2 letters or digits (location), "
                        "optionally 3 letters or digits (branch) expected",
                        QuoteValue(bic)));
  }
  return absl::OkStatus();
}

absl::Status ValidateSepaCreditorId(absl::string_view field,
                                    absl::string_view id) {
  auto bad = [&](absl::string_view why) {
    return FieldError(field, absl::StrFormat("%s is not a SEPA creditor "
                                             "identifier: %s",
                                             QuoteValue(id), why));
  };
  if (id.empty()) return FieldError(field, "is required");
  if (id.size() < kCreditorIdLengthMin || id.size() > kCreditorIdLengthMax) {
    return bad("8 to 35 characters expected");
  }
  if (!AllUpperOrDigits(id)) {
    return bad("only upper-case letters and digits (NormalizeIdentifier "
               "removes spaces)");
  }
  if (!AllUpper(id.substr(0, 2)) || !AllDigits(id.substr(2, 2))) {
    return bad("2 letters of country then 2 check digits expected");
  }
  if (absl::StartsWith(id, "FR") && id.size() != kFrenchCreditorIdLength) {
    return bad("a French one has 13 characters (FR, 2 check digits, 3 of "
               "business code, 6 of national identifier)");
  }
  // The business code (characters 5 to 7) is not part of the check.
  if (Mod97(absl::StrCat(id.substr(7), id.substr(0, 4))) != 1) {
    return bad("its check digits do not match (EPC262, ISO 7064 mod 97)");
  }
  return absl::OkStatus();
}

absl::Status ValidateMandateReference(absl::string_view field,
                                      absl::string_view reference) {
  if (reference.empty()) return FieldError(field, "is required");
  if (reference.size() > kMandateReferenceLengthMax) {
    return FieldError(field, absl::StrFormat("%d characters; at most %d",
                                             reference.size(),
                                             kMandateReferenceLengthMax));
  }
  constexpr absl::string_view kAllowedSigns = "/-?:().,'+";
  for (char c : reference) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && !absl::StrContains(kAllowedSigns, c)) {
      return FieldError(
          field, absl::StrFormat("%s holds a character outside the SEPA set "
                                 "(letters, digits and / - ? : ( ) . , ' +)",
                                 QuoteValue(reference)));
    }
  }
  if (absl::StartsWith(reference, "/") || absl::EndsWith(reference, "/") ||
      absl::StrContains(reference, "//")) {
    return FieldError(field, absl::StrFormat("%s may not start or end with / "
                                             "nor hold //",
                                             QuoteValue(reference)));
  }
  return absl::OkStatus();
}

}  // namespace billing
