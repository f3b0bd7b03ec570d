#include "documents/french_format.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace billing::documents {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the code point at s[i] (RFC 3629: no overlongs, no surrogates, at
// most U+10FFFF). Returns its length, 0 when s[i] does not start one.
size_t DecodeAt(absl::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t lead = b(0);
  if (lead < 0x80) {
    *cp = lead;
    return 1;
  }
  size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (len == 0 || lead > 0xF4 || i + len > s.size()) return 0;
  uint32_t v = lead & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  const uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

bool IsControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x2028 ||
         cp == 0x2029;
}

bool IsBidiControl(uint32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// "1234567" -> "1 234 567" with no-break spaces.
std::string GroupThousands(absl::string_view digits) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) absl::StrAppend(&out, kNbsp);
    out.push_back(digits[i]);
  }
  return out;
}

std::string CurrencySuffix(absl::string_view currency) {
  if (currency == "EUR") return "€";
  return CleanText(currency);
}

bool IsDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Trailing zeros of the fraction dropped down to `keep` decimals.
std::string TrimFraction(std::string text, size_t keep) {
  const size_t comma = text.find(',');
  if (comma == std::string::npos) return text;
  size_t end = text.size();
  while (end > comma + 1 + keep && text[end - 1] == '0') --end;
  if (end == comma + 1) --end;  // no decimals left: drop the comma too
  text.resize(end);
  return text;
}

}  // namespace

std::string CleanText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_controls = false;
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    size_t len = DecodeAt(text, i, &cp);
    if (len == 0) {
      cp = kReplacement;
      len = 1;
    }
    i += len;
    if (IsBidiControl(cp)) continue;
    if (!IsControl(cp)) {
      AppendUtf8(cp, &out);
      in_controls = false;
    } else if (!in_controls) {
      // A run of controls ("\r\n", "\x07\t") is one space.
      out.push_back(' ');
      in_controls = true;
    }
  }
  return out;
}

int CurrencyExponent(absl::string_view currency) {
  // The ISO 4217 codes whose minor unit is not the cent.
  static constexpr struct {
    absl::string_view code;
    int exponent;
  } kOther[] = {
      {"BHD", 3}, {"BIF", 0}, {"CLF", 4}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0},
      {"IQD", 3}, {"ISK", 0}, {"JOD", 3}, {"JPY", 0}, {"KMF", 0}, {"KRW", 0},
      {"KWD", 3}, {"LYD", 3}, {"OMR", 3}, {"PYG", 0}, {"RWF", 0}, {"TND", 3},
      {"UGX", 0}, {"UYI", 0}, {"UYW", 4}, {"VND", 0}, {"VUV", 0}, {"XAF", 0},
      {"XOF", 0}, {"XPF", 0},
  };
  for (const auto& c : kOther) {
    if (c.code == currency) return c.exponent;
  }
  return 2;
}

std::string FormatFixed(int64_t value, int decimals) {
  // The magnitude as unsigned: exact for INT64_MIN too.
  const uint64_t magnitude =
      value < 0 ? uint64_t{0} - static_cast<uint64_t>(value) : value;
  std::string digits = absl::StrCat(magnitude);
  if (digits.size() <= static_cast<size_t>(decimals)) {
    digits.insert(0, decimals + 1 - digits.size(), '0');
  }
  const size_t int_len = digits.size() - decimals;
  std::string out = value < 0 ? "-" : "";
  out += GroupThousands(absl::string_view(digits).substr(0, int_len));
  if (decimals > 0) absl::StrAppend(&out, ",", digits.substr(int_len));
  return out;
}

std::string FormatAmountNumber(int64_t minor, absl::string_view currency) {
  return FormatFixed(minor, CurrencyExponent(currency));
}

std::string FormatAmount(int64_t minor, absl::string_view currency) {
  const std::string suffix = CurrencySuffix(currency);
  std::string out = FormatAmountNumber(minor, currency);
  if (!suffix.empty()) absl::StrAppend(&out, kNbsp, suffix);
  return out;
}

std::string FormatMicros(int64_t micros) {
  return TrimFraction(FormatFixed(micros, 6), 2);
}

std::string FormatMilli(int64_t milli) {
  return TrimFraction(FormatFixed(milli, 3), 0);
}

std::string FormatPercent(int64_t hundredths) {
  return absl::StrCat(FormatFixed(hundredths, 2), kNbsp, "%");
}

std::string FormatDate(absl::string_view iso_date) {
  if (iso_date.size() == 10 && iso_date[4] == '-' && iso_date[7] == '-' &&
      IsDigits(iso_date.substr(0, 4)) && IsDigits(iso_date.substr(5, 2)) &&
      IsDigits(iso_date.substr(8, 2))) {
    return absl::StrCat(iso_date.substr(8, 2), "/", iso_date.substr(5, 2), "/",
                        iso_date.substr(0, 4));
  }
  return CleanText(iso_date);
}

std::string FormatPeriod(absl::string_view start, absl::string_view end) {
  if (start.empty() && end.empty()) return "";
  if (end.empty()) return absl::StrCat("à partir du ", FormatDate(start));
  if (start.empty()) return absl::StrCat("jusqu'au ", FormatDate(end));
  return absl::StrCat("du ", FormatDate(start), " au ", FormatDate(end));
}

std::string FormatDateTime(absl::string_view rfc3339) {
  if (rfc3339.size() >= 19 && (rfc3339[10] == 'T' || rfc3339[10] == 't') &&
      rfc3339[13] == ':' && rfc3339[16] == ':' &&
      IsDigits(rfc3339.substr(11, 2)) && IsDigits(rfc3339.substr(14, 2)) &&
      IsDigits(rfc3339.substr(17, 2))) {
    const std::string date = FormatDate(rfc3339.substr(0, 10));
    if (date.size() == 10 && date[2] == '/') {
      return absl::StrCat(date, " ", rfc3339.substr(11, 8));
    }
  }
  return CleanText(rfc3339);
}

std::string FormatIban(absl::string_view iban) {
  std::string out;
  for (size_t i = 0; i < iban.size(); i += 4) {
    if (i > 0) out.push_back(' ');
    absl::StrAppend(&out, iban.substr(i, 4));
  }
  return CleanText(out);
}

std::string FormatDuration(int64_t seconds) {
  if (seconds < 0) return absl::StrCat(seconds, " s");
  const int64_t h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
  if (h > 0) return absl::StrFormat("%d h %02d min %02d s", h, m, s);
  if (m > 0) return absl::StrFormat("%d min %02d s", m, s);
  return absl::StrFormat("%d s", s);
}

std::string FormatBytes(int64_t bytes) {
  static constexpr absl::string_view kUnits[] = {"o", "Ko", "Mo", "Go", "To"};
  if (bytes < 1024) return absl::StrCat(bytes, kNbsp, "o");
  // Tenths of the unit, rounded half up, in 128 bits: no overflow near
  // INT64_MAX.
  int unit = 0;
  __int128 scale = 1;
  while (unit < 4 && bytes >= scale * 1024) {
    scale *= 1024;
    ++unit;
  }
  const int64_t tenths =
      static_cast<int64_t>((static_cast<__int128>(bytes) * 10 + scale / 2) /
                           scale);
  return absl::StrCat(TrimFraction(FormatFixed(tenths, 1), 0), kNbsp,
                      kUnits[unit]);
}

std::string CountryName(absl::string_view code) {
  static constexpr struct {
    absl::string_view code, name;
  } kNames[] = {
      {"FR", "France"},     {"BE", "Belgique"},  {"CH", "Suisse"},
      {"LU", "Luxembourg"}, {"MC", "Monaco"},    {"DE", "Allemagne"},
      {"ES", "Espagne"},    {"IT", "Italie"},    {"GB", "Royaume-Uni"},
      {"NL", "Pays-Bas"},   {"PT", "Portugal"},  {"US", "États-Unis"},
  };
  for (const auto& n : kNames) {
    if (n.code == code) return std::string(n.name);
  }
  return CleanText(code);
}

}  // namespace billing::documents
