#include "engine/core/dates.h"

#include "absl/strings/str_format.h"
#include "engine/core/validation.h"

namespace billing {

absl::StatusOr<BusinessDate> ParseBusinessDate(absl::string_view text,
                                               absl::string_view field) {
  // Exactly YYYY-MM-DD, a day that exists (absl would accept "2026-3-1" and
  // normalize "2026-02-30"): read by hand, since dates are read on every
  // rule period and invoice line (a tenth of an invoice's CPU through absl).
  bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-';
  int fields[3] = {0, 0, 0};
  for (size_t i = 0; shape && i < text.size(); ++i) {
    if (i == 4 || i == 7) continue;
    shape = text[i] >= '0' && text[i] <= '9';
    int& f = fields[i < 4 ? 0 : i < 7 ? 1 : 2];
    f = f * 10 + (text[i] - '0');
  }
  const BusinessDate day(fields[0], fields[1], fields[2]);
  if (!shape || day.year() != fields[0] || day.month() != fields[1] ||
      day.day() != fields[2]) {
    return FieldError(field, absl::StrFormat("%s is not a date YYYY-MM-DD",
                                             QuoteValue(text)));
  }
  return day;
}

std::string FormatBusinessDate(BusinessDate date) {
  const int64_t year = date.year();
  if (year < 0 || year > 9999) {
    return absl::StrFormat("%04d-%02d-%02d", year, date.month(), date.day());
  }
  std::string out = "0000-00-00";
  auto put = [&](size_t end, int64_t value) {
    for (size_t i = end; value > 0; --i, value /= 10) {
      out[i] = static_cast<char>('0' + value % 10);
    }
  };
  put(3, year);
  put(6, date.month());
  put(9, date.day());
  return out;
}

}  // namespace billing
