#include "engine/core/validation.h"

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

struct CodePointRange {
  uint32_t first;
  uint32_t last;
};

// Refused in text: Unicode 15's format characters (general category Cf)
// except ZWNJ and ZWJ, and the line and paragraph separators (Zl, Zp), which
// act as line breaks. They are invisible: a name holding one looks like
// another name, or reorders what follows it (U+202E).
constexpr CodePointRange kRefusedFormat[] = {
    {0x00ad, 0x00ad},   {0x0600, 0x0605},   {0x061c, 0x061c},
    {0x06dd, 0x06dd},   {0x070f, 0x070f},   {0x0890, 0x0891},
    {0x08e2, 0x08e2},   {0x180e, 0x180e},   {0x200b, 0x200b},
    {0x200e, 0x200f},   {0x2028, 0x202e},   {0x2060, 0x2064},
    {0x2066, 0x206f},   {0xfeff, 0xfeff},   {0xfff9, 0xfffb},
    {0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f},
    {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
    {0xe0020, 0xe007f}};

// Allowed but not visible on their own: spaces (Zs), ZWNJ and ZWJ, the
// Hangul and Braille fillers, variation selectors.
constexpr CodePointRange kBlank[] = {
    {0x0020, 0x0020}, {0x00a0, 0x00a0},  {0x115f, 0x1160}, {0x1680, 0x1680},
    {0x2000, 0x200a}, {0x200c, 0x200d},  {0x202f, 0x202f}, {0x205f, 0x205f},
    {0x2800, 0x2800}, {0x3000, 0x3000},  {0x3164, 0x3164}, {0xfe00, 0xfe0f},
    {0xffa0, 0xffa0}, {0xe0100, 0xe01ef}};

template <size_t N>
bool InRanges(const CodePointRange (&ranges)[N], uint32_t cp) {
  for (const CodePointRange& r : ranges) {
    if (cp >= r.first && cp <= r.last) return true;
  }
  return false;
}

bool IsControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);  // C0, DEL, C1
}

// Checks every character of a text; counts its code points in *count.
absl::Status CheckTextCharacters(absl::string_view field, absl::string_view s,
                                 size_t* count) {
  size_t n = 0;
  bool visible = false;
  for (size_t i = 0; i < s.size(); ++n) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0) {
      return FieldError(field,
                        absl::StrFormat("is not valid UTF-8 (at byte %d)", i));
    }
    if (IsControl(cp)) {
      return FieldError(field,
                        absl::StrFormat("has a control character U+%04X at "
                                        "character %d",
                                        cp, n + 1));
    }
    if (InRanges(kRefusedFormat, cp)) {
      return FieldError(field,
                        absl::StrFormat("has an invisible format character "
                                        "U+%04X at character %d",
                                        cp, n + 1));
    }
    visible = visible || !InRanges(kBlank, cp);
    i += len;
  }
  if (n > 0 && !visible) {
    return FieldError(field, "has no visible character");
  }
  *count = n;
  return absl::OkStatus();
}

}  // namespace

size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t len = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xe  ? 3
                     : (c >> 3) == 0x1e ? 4
                                        : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t v = len == 1 ? c : c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 0x2) return 0;
    v = (v << 6) | (cc & 0x3f);
  }
  constexpr uint32_t kMinOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMinOfLength[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
    return 0;  // overlong, beyond Unicode, or a surrogate
  }
  *cp = v;
  return len;
}

absl::Status FieldError(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

std::string QuoteValue(absl::string_view value) {
  if (value.size() <= kQuotePrefixMax) {
    return absl::StrCat("\"", absl::CHexEscape(value), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kQuotePrefixMax)),
                      "\"... (", value.size(), " bytes)");
}

absl::Status TooLongError(absl::string_view field, absl::string_view value,
                          size_t length, size_t max) {
  return FieldError(field, absl::StrFormat("is %d characters, more than the %d "
                                           "allowed: %s",
                                           length, max, QuoteValue(value)));
}

bool IsValidUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
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
    return TooLongError(field, value, value.size(), max_len);
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      return FieldError(
          field, absl::StrFormat("%s has a character outside A-Z a-z 0-9 "
                                 ". _ -",
                                 QuoteValue(value)));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view field, absl::string_view value,
                          size_t min_len, size_t max_len) {
  size_t n = 0;
  if (auto s = CheckTextCharacters(field, value, &n); !s.ok()) return s;
  if (n < min_len) {
    return min_len == 1
               ? FieldError(field, "is required")
               : FieldError(
                     field,
                     absl::StrFormat("is shorter than %d characters", min_len));
  }
  if (n > max_len) return TooLongError(field, value, n, max_len);
  return absl::OkStatus();
}

absl::Status ValidateEmail(absl::string_view field, absl::string_view value) {
  auto bad = [&] {
    return FieldError(field, absl::StrFormat("%s is not an e-mail address",
                                             QuoteValue(value)));
  };
  if (value.size() > limits::kEmailLengthMax) {
    return TooLongError(field, value, value.size(), limits::kEmailLengthMax);
  }
  if (!IsPrintableAsciiToken(value)) return bad();
  std::vector<absl::string_view> parts = absl::StrSplit(value, '@');
  if (parts.size() != 2 || parts[0].empty() ||
      parts[0].size() > limits::kEmailLocalPartLengthMax) {
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
                      absl::StrFormat("%s is not an ISO 3166-1 alpha-2 code",
                                      QuoteValue(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidateVatId(absl::string_view field, absl::string_view value) {
  auto bad = [&](absl::string_view why) {
    return FieldError(field, absl::StrFormat("%s is not a VAT id: %s",
                                             QuoteValue(value), why));
  };
  if (value.size() < 4 || value.size() > limits::kVatIdLengthMax) {
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
  if (id.empty()) return FieldError(field, "is required");
  if (id.size() > limits::kObjectIdLengthMax) {
    return TooLongError(field, id, id.size(), limits::kObjectIdLengthMax);
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-' && c != '+') {
      return FieldError(
          field, absl::StrFormat("%s has a character outside A-Z a-z 0-9 "
                                 ". _ - +",
                                 QuoteValue(id)));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateIdempotencyKey(absl::string_view field,
                                    absl::string_view value) {
  if (value.empty()) return FieldError(field, "is required");
  if (value.size() > limits::kIdempotencyKeyLengthMax) {
    return TooLongError(field, value, value.size(),
                        limits::kIdempotencyKeyLengthMax);
  }
  if (!IsPrintableAsciiToken(value)) {
    return FieldError(field,
                      absl::StrFormat("%s must be printable ASCII without "
                                      "spaces",
                                      QuoteValue(value)));
  }
  return absl::OkStatus();
}

}  // namespace billing
