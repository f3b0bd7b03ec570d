#pragma once

// Field-level validation helpers. Every rejection names the field by its path
// in the request ("customer.currency") and the reason, so that a caller can fix
// the one thing that is wrong.

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace billing {

// The most bytes of an outside value that a message quotes (QuoteValue).
inline constexpr size_t kQuotePrefixMax = 40;

// Length limits of string fields, in bytes for ASCII codes and in code
// points for text (docs/api.md, "Limits and bad input"). In a namespace of
// their own so that a file's private constant of the same name stays
// unambiguous.
namespace limits {
// Every code (customer, entity, site, contract, rule, article, family,
// index, plan, zone, ...): 1 to 32 characters among A-Z a-z 0-9 . _ -.
inline constexpr size_t kCodeLengthMax = 32;
inline constexpr size_t kIdempotencyKeyLengthMax = 128;
inline constexpr size_t kObjectIdLengthMax = 64;
// RFC 5321: 254 for the address, 64 for the part before "@".
inline constexpr size_t kEmailLengthMax = 254;
inline constexpr size_t kEmailLocalPartLengthMax = 64;
// A 2-letter country prefix and 2 to 13 characters.
inline constexpr size_t kVatIdLengthMax = 15;
}  // namespace limits

// InvalidArgument "<field>: <reason>".
absl::Status FieldError(absl::string_view field, absl::string_view reason);

// An outside value for a message: escaped (absl::CHexEscape: the result is
// printable ASCII whatever the bytes) and quoted, `"C/2"`; a value longer
// than kQuotePrefixMax bytes is cut to that prefix and its length given,
// `"CCCC..."... (8000 bytes)`. Every message that echoes outside input uses
// it, so that no answer grows with the input (a gRPC status message travels
// in trailers, which the peer caps at a few KB).
std::string QuoteValue(absl::string_view value);

// InvalidArgument "<field>: is <length> characters, more than the <max>
// allowed: <QuoteValue(value)>".
absl::Status TooLongError(absl::string_view field, absl::string_view value,
                          size_t length, size_t max);

// True when `s` is valid UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), what protobuf requires of a proto3 `string`.
bool IsValidUtf8(absl::string_view s);

// The code point at s[i] in *cp; returns its length in bytes, or 0 when the
// bytes there are not UTF-8 by the rule of IsValidUtf8 (protobuf refuses to
// parse such a `string` field, so an event holding one could never be read
// back). Requires i < s.size().
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp);

// True when every byte is printable ASCII (0x21-0x7e).
bool IsPrintableAsciiToken(absl::string_view s);

// A code: 1..max_len characters among A-Z a-z 0-9 . _ -.
absl::Status ValidateCode(absl::string_view field, absl::string_view value,
                          size_t max_len);

// The one rule for human-readable text (names, labels, address lines,
// notes, reasons): min_len..max_len code points of valid UTF-8 (RFC 3629),
// without control characters (C0, DEL, C1), line or paragraph separators
// (U+2028, U+2029) or invisible format characters (Unicode Cf: zero-width
// space U+200B, bidirectional overrides and isolates U+202A-U+202E and
// U+2066-U+2069, U+FEFF, ...; ZWNJ U+200C and ZWJ U+200D are allowed, as
// Persian, Indic scripts and emoji need them); and a text that is not empty
// has at least one visible character (not only spaces or fillers).
// Rejections, in this order: not UTF-8 (byte offset), a refused character
// (its code point and position), no visible character, too short, too long.
absl::Status ValidateText(absl::string_view field, absl::string_view value,
                          size_t min_len, size_t max_len);

// One e-mail address "local@domain.tld" (no display name, no list).
absl::Status ValidateEmail(absl::string_view field, absl::string_view value);

// ISO 3166-1 alpha-2 country code in use.
absl::Status ValidateCountryCode(absl::string_view field,
                                 absl::string_view value);

// Intra-community VAT id: ISO country prefix (or "EL" for Greece) then 2 to 13
// upper-case letters or digits.
absl::Status ValidateVatId(absl::string_view field, absl::string_view value);

// A billable object's id (also a rule's object or equipment line): 1 to
// limits::kObjectIdLengthMax of A-Z a-z 0-9 . _ - + ("+" so that a phone
// number can be its own id).
absl::Status ValidateObjectId(absl::string_view field, absl::string_view id);

// Idempotency key: 1 to limits::kIdempotencyKeyLengthMax printable ASCII
// characters.
absl::Status ValidateIdempotencyKey(absl::string_view field,
                                    absl::string_view value);

}  // namespace billing
