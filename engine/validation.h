#pragma once

// Field-level validation helpers. Every rejection names the field by its path
// in the request ("customer.currency") and the reason, so that a caller can fix
// the one thing that is wrong.

#include "absl/strings/string_view.h"
#include <string_view>

#include "absl/status/status.h"

namespace billing {

// InvalidArgument "<field>: <reason>".
absl::Status FieldError(absl::string_view field, absl::string_view reason);

// True when every byte is printable ASCII (0x21-0x7e).
bool IsPrintableAsciiToken(absl::string_view s);

// A code: 1..max_len characters among A-Z a-z 0-9 . _ -.
absl::Status ValidateCode(absl::string_view field, absl::string_view value,
                          size_t max_len);

// A UTF-8 text of min_len..max_len code points, no control characters.
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

// A billable object's id (also a rule's object or equipment line): 1 to 64
// of A-Z a-z 0-9 . _ - + ("+" so that a phone number can be its own id).
absl::Status ValidateObjectId(absl::string_view field, absl::string_view id);

// Idempotency key: 1 to 128 printable ASCII characters.
absl::Status ValidateIdempotencyKey(absl::string_view field,
                                    absl::string_view value);

}  // namespace billing
