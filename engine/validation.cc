#include "engine/validation.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace billing {
namespace {

// ISO 3166-1 alpha-2, officially assigned codes.
constexpr absl::string_view kCountryCodes =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI "
    "BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN "
    "CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK "
    "FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK "
    "ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP "
    "NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF "
    "TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW";

bool IsCountryCode(absl::string_view value) {
  if (value.size() != 2) return false;
  for (size_t i = 0; i + 2 <= kCountryCodes.size(); i += 3) {
    if (kCountryCodes.substr(i, 2) == value) return true;
  }
  return false;
}

// Counts UTF-8 code points; false when the bytes are not valid UTF-8 (RFC
// 3629: no overlong forms, no surrogates, nothing above U+10FFFF; protobuf
// refuses to parse such a `string` field, so an event holding one could never
// be read back) or hold a control character (C0, DEL or C1).
bool CountCodePoints(absl::string_view s, size_t* count) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3
                 : (c >> 3) == 0x1e             ? 4
                                                : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    constexpr uint32_t kMinOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinOfLength[len] || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;  // overlong, beyond Unicode, or a surrogate
    }
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return false;  // control
    i += len;
    ++n;
  }
  *count = n;
  return true;
}

}  // namespace

absl::Status FieldError(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

bool IsPrintableAsciiToken(absl::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

absl::Status ValidateCode(absl::string_view field, absl::string_view value,
                          size_t max_len) {
  if (value.empty()) return FieldError(field, "is required");
  if (value.size() > max_len) {
    return FieldError(field, absl::StrFormat("\"%s\" is longer than %d "
                                             "characters",
                                             value, max_len));
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      return FieldError(
          field, absl::StrFormat("\"%s\" has a character outside A-Z a-z 0-9 "
                                 ". _ -",
                                 absl::CHexEscape(value)));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view field, absl::string_view value,
                          size_t min_len, size_t max_len) {
  size_t n = 0;
  if (!CountCodePoints(value, &n)) {
    return FieldError(field, "is not UTF-8 text without control characters");
  }
  if (n < min_len) {
    return min_len == 1 ? FieldError(field, "is required")
                        : FieldError(field, absl::StrFormat(
                                                "is shorter than %d characters",
                                                min_len));
  }
  if (n > max_len) {
    return FieldError(
        field, absl::StrFormat("is longer than %d characters", max_len));
  }
  return absl::OkStatus();
}

absl::Status ValidateEmail(absl::string_view field, absl::string_view value) {
  auto bad = [&] {
    return FieldError(field, absl::StrFormat("\"%s\" is not an e-mail address",
                                             absl::CHexEscape(value)));
  };
  if (value.size() > 254 || !IsPrintableAsciiToken(value)) return bad();
  std::vector<absl::string_view> parts = absl::StrSplit(value, '@');
  if (parts.size() != 2 || parts[0].empty() || parts[0].size() > 64) {
    return bad();
  }
  absl::string_view domain = parts[1];
  if (domain.size() < 3 || !absl::StrContains(domain, '.') ||
      domain.front() == '.' || domain.back() == '.' ||
      absl::StrContains(domain, "..")) {
    return bad();
  }
  for (char c : domain) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '.') {
      return bad();
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCountryCode(absl::string_view field,
                                 absl::string_view value) {
  if (value.empty()) return FieldError(field, "is required");
  if (!IsCountryCode(value)) {
    return FieldError(field,
                      absl::StrFormat("\"%s\" is not an ISO 3166-1 alpha-2 "
                                      "code",
                                      absl::CHexEscape(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidateVatId(absl::string_view field, absl::string_view value) {
  auto bad = [&](absl::string_view why) {
    return FieldError(field, absl::StrFormat("\"%s\" is not a VAT id: %s",
                                             absl::CHexEscape(value), why));
  };
  if (value.size() < 4 || value.size() > 15) {
    return bad("expected a 2-letter country prefix then 2 to 13 characters");
  }
  absl::string_view prefix = value.substr(0, 2);
  if (prefix != "EL" && prefix != "XI" && !IsCountryCode(prefix)) {
    return bad("unknown country prefix");
  }
  for (char c : value.substr(2)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        !absl::ascii_isupper(static_cast<unsigned char>(c))) {
      return bad("only upper-case letters and digits may follow the prefix");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateObjectId(absl::string_view field, absl::string_view id) {
  constexpr size_t kObjectIdLengthMax = 64;
  if (id.empty()) return FieldError(field, "is required");
  if (id.size() > kObjectIdLengthMax) {
    return FieldError(field, absl::StrFormat("is longer than %d characters",
                                             kObjectIdLengthMax));
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-' && c != '+') {
      return FieldError(
          field, absl::StrFormat("\"%s\" has a character outside A-Z a-z 0-9 "
                                 ". _ - +",
                                 absl::CHexEscape(id)));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateIdempotencyKey(absl::string_view field,
                                    absl::string_view value) {
  if (value.empty()) return FieldError(field, "is required");
  if (value.size() > 128) {
    return FieldError(field, "is longer than 128 characters");
  }
  if (!IsPrintableAsciiToken(value)) {
    return FieldError(field, "must be printable ASCII without spaces");
  }
  return absl::OkStatus();
}

}  // namespace billing
