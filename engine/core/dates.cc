#include "engine/core/dates.h"

#include "absl/strings/str_format.h"
#include "engine/core/validation.h"

namespace billing {

absl::StatusOr<BusinessDate> ParseBusinessDate(absl::string_view text,
                                               absl::string_view field) {
  BusinessDate day;
  // absl accepts "2026-3-1" and normalizes "2026-02-30"; a billing date must
  // be exactly ten characters and round-trip unchanged.
  bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-';
  for (size_t i = 0; shape && i < text.size(); ++i) {
    shape = i == 4 || i == 7 || (text[i] >= '0' && text[i] <= '9');
  }
  if (!shape || !absl::ParseCivilTime(text, &day) ||
      FormatBusinessDate(day) != text) {
    return FieldError(field, absl::StrFormat("%s is not a date YYYY-MM-DD",
                                             QuoteValue(text)));
  }
  return day;
}

std::string FormatBusinessDate(BusinessDate date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(),
                         date.day());
}

}  // namespace billing
