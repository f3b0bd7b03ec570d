// The decimal and date parsers that read text people type: the engine's
// ParseFixedPoint (billingctl's one decimal parser too: services/ctl_verbs.h
// scales every flag with it), ParseMicros, ParseMinor (engine/core/money.h),
// ParseBusinessDate (engine/core/dates.h) and ParseUsageTime
// (engine/usage/rating.h). The first input byte picks the number of decimals
// (0 to 6); the rest is the text.
//
// Contract:
// - a parsed value prints back (FormatFixedPoint, FormatMicros, FormatMinor,
//   FormatBusinessDate, RFC 3339 in UTC) to text that parses to the same value;
//   a business date prints back to the very text;
// - an engine error is InvalidArgument with a bounded UTF-8 message (it
//   reaches callers and logs).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/core/dates.h"
#include "engine/core/money.h"
#include "engine/usage/rating.h"
#include "fuzz_support.h"

namespace billing::fuzz {
namespace {

// An engine parser's answer: its value, or nullopt after checking the error.
template <typename T>
std::optional<T> Checked(const absl::StatusOr<T>& parsed,
                         absl::string_view what) {
  if (parsed.ok()) return *parsed;
  FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()),
             absl::StrCat(what, ": ", parsed.status().ToString()));
  CheckErrorMessage(parsed.status(), what);
  return std::nullopt;
}

void Decimals(const std::string& text, int decimals) {
  const auto fixed = Checked(
      ParseFixedPoint(text, decimals, "flag", "a decimal"), "ParseFixedPoint");
  if (fixed.has_value()) {
    const std::string printed = FormatFixedPoint(*fixed, decimals);
    auto back = ParseFixedPoint(printed, decimals, "flag", "a decimal");
    FUZZ_CHECK(back.ok() && *back == *fixed,
               absl::StrCat(*fixed, " prints as ", printed,
                            " which parses differently"));
  }
  if (auto micros = Checked(ParseMicros(text, "price"), "ParseMicros")) {
    auto back = ParseMicros(FormatMicros(*micros), "price");
    FUZZ_CHECK(
        back.ok() && *back == *micros,
        absl::StrCat("micros ", *micros, " print as ", FormatMicros(*micros)));
  }
  static const Currency kCurrencies[] = {
      {"JPY", 0}, {"EUR", 2}, {"KWD", 3}, {"CLF", 4}};
  const Currency& c = kCurrencies[decimals % 4];
  if (auto minor = Checked(ParseMinor(text, c, "amount"), "ParseMinor")) {
    auto back = ParseMinor(FormatMinor(*minor, c), c, "amount");
    FUZZ_CHECK(
        back.ok() && *back == *minor,
        absl::StrCat("minor ", *minor, " prints as ", FormatMinor(*minor, c)));
  }
}

void Dates(const std::string& text) {
  if (auto day =
          Checked(ParseBusinessDate(text, "date"), "ParseBusinessDate")) {
    FUZZ_CHECK(FormatBusinessDate(*day) == text,
               absl::StrCat("a date prints as ", FormatBusinessDate(*day)));
  }
  if (auto t = Checked(ParseUsageTime(text, "start_time"), "ParseUsageTime")) {
    // Printed in UTC at full precision (absl keeps quarter nanoseconds: a
    // tenth fractional digit counts); a year the offset moves out of 0000
    // to 9999 has no four-digit form to print.
    const absl::CivilSecond utc = absl::ToCivilSecond(*t, absl::UTCTimeZone());
    if (utc.year() < 0 || utc.year() > 9999) return;
    const std::string printed =
        absl::FormatTime("%E4Y-%m-%dT%H:%M:%E*SZ", *t, absl::UTCTimeZone());
    auto back = ParseUsageTime(printed, "start_time");
    FUZZ_CHECK(back.ok() && *back == *t,
               absl::StrCat("a time prints as ", printed,
                            " which parses differently"));
  }
}

}  // namespace
}  // namespace billing::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int decimals = data[0] % 7;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  billing::fuzz::Decimals(text, decimals);
  billing::fuzz::Dates(text);
  return 0;
}
