#pragma once

// Checks of the legal identifiers an invoice prints, the issuing
// company's and the customer's (French mandatory mentions: SIREN or SIRET,
// intra-community VAT id; bank details for payment: IBAN, BIC; SEPA direct
// debit: creditor identifier, mandate reference). Pure: check digits and
// shape only, no registry look-up (a well-formed SIREN may still belong to
// nobody).
//
// Every check takes the identifier in its stored form: no spaces, upper
// case. Input typed for people ("732 829 320", "fr76 3000 6000 ...") goes
// through NormalizeIdentifier first, and the normalized text is what is
// stored and checked. Each returns OK or InvalidArgument
// "<field>: <reason>", naming the `field` passed in:
//
//   issuer.siren: 732829321 fails the Luhn check

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace billing {

// `text` without its ASCII spaces, a-z upper-cased: "fr76 3000 6000 0112"
// -> "FR763000600000112". Other bytes are kept (the checks refuse them).
std::string NormalizeIdentifier(absl::string_view text);

// The IBAN's stored form: NormalizeIdentifier (the paper format writes an
// IBAN in groups of 4, ISO 13616-1 section 5).
inline std::string NormalizeIban(absl::string_view text) {
  return NormalizeIdentifier(text);
}

// SIREN: 9 digits whose Luhn sum is a multiple of 10 (INSEE).
absl::Status ValidateSiren(absl::string_view field, absl::string_view siren);

// SIRET: 14 digits, the SIREN then the establishment's 5 (NIC); its first 9
// are a valid SIREN and the 14 pass Luhn, except La Poste's (SIREN
// 356000000), whose establishments are numbered so that the sum of the 14
// digits is a multiple of 5 instead (INSEE; its head office,
// 35600000000048, passes Luhn).
absl::Status ValidateSiret(absl::string_view field, absl::string_view siret);

// When both are given (neither empty), the SIRET starts with the SIREN.
// Run after ValidateSiren and ValidateSiret: compares, nothing else.
// Names `siret_field`: issuer.siret: "55208131766522" does not start with
// issuer.siren "732829320".
absl::Status ValidateSiretOfSiren(absl::string_view siret_field,
                                  absl::string_view siret,
                                  absl::string_view siren_field,
                                  absl::string_view siren);

// An intra-community VAT id of an EU member state (prefix EL for Greece)
// or of Northern Ireland (XI), stricter than ValidateVatId
// (engine/core/validation.h), which takes any ISO country's shape:
//  - FR: "FR", a 2-character key, a valid SIREN. A key of 2 digits must be
//    (12 + 3 x (SIREN mod 97)) mod 97: SIREN 303265045 -> 40,
//    FR40303265045. A key holding a letter (the tax office issues some)
//    is checked for shape only: 2 upper-case letters or digits.
//  - other prefixes: 2 to 13 upper-case letters or digits (shape only).
absl::Status ValidateIssuerVatId(absl::string_view field,
                                 absl::string_view vat_id);

// When both are given, a French VAT id holds the SIREN (its last 9
// digits); a VAT id of another country is not compared.
absl::Status ValidateVatIdOfSiren(absl::string_view vat_field,
                                  absl::string_view vat_id,
                                  absl::string_view siren_field,
                                  absl::string_view siren);

// IBAN (ISO 13616), stored form: 2 letters of country, 2 check digits
// (02 to 98), then letters and digits; 15 to 34 characters, 27 for FR
// (other countries' lengths are not checked); mod 97 of the rearranged
// number is 1 (ISO 7064 MOD 97-10). The French RIB key inside is not
// checked separately (the mod-97 check covers the same digits).
absl::Status ValidateIban(absl::string_view field, absl::string_view iban);

// BIC (ISO 9362), stored form: 8 or 11 characters, 4 letters (institution),
// 2 letters (country), 2 letters or digits (location), optionally 3
// letters or digits (branch). Shape only: the country is not looked up.
absl::Status ValidateBic(absl::string_view field, absl::string_view bic);

// SEPA creditor identifier ("ICS" in France; EPC262), stored form: 2
// letters of country, 2 check digits, a 3-character business code (often
// "ZZZ"), then the national identifier; 8 to 35 upper-case letters or
// digits, 13 for FR. The check digits make ISO 7064 MOD 97-10 of the
// national identifier, the country and the check digits equal 1; the
// business code is left out: FR72ZZZ123456, DE98ZZZ09999999999 (the
// Bundesbank's test identifier).
absl::Status ValidateSepaCreditorId(absl::string_view field,
                                    absl::string_view id);

// A SEPA mandate reference ("RUM"): 1 to 35 characters among letters,
// digits and / - ? : ( ) . , ' + (EPC's restricted set, no space), not
// starting or ending with '/' nor holding "//". Case is kept.
absl::Status ValidateMandateReference(absl::string_view field,
                                      absl::string_view reference);

}  // namespace billing
