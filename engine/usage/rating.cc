#include "engine/usage/rating.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <tuple>

#include "absl/numeric/int128.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "engine/core/money.h"
#include "engine/core/rejection.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

constexpr size_t kAttributesMax = 32;
constexpr size_t kAttributeBytesMax = 256;
// A platform's record id, printable ASCII, at most (docs/usage.md).
constexpr size_t kRecordIdBytesMax = 128;

bool IsE164(absl::string_view s) {
  if (s.size() < 4 || s.size() > 16 || s[0] != '+' || s[1] == '0') {
    return false;
  }
  for (size_t i = 1; i < s.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool IsZone(absl::string_view s) {
  if (!absl::StartsWith(s, "zone:") || s.size() == 5 ||
      s.size() > 5 + kZoneCodeBytesMax) {
    return false;
  }
  return ValidateCode("zone", s.substr(5), kZoneCodeBytesMax).ok();
}

v1::UsageUnit UnitOfKind(v1::UsageKind kind) {
  switch (kind) {
    case v1::USAGE_KIND_VOICE:
    case v1::USAGE_KIND_FAX:
      return v1::USAGE_UNIT_SECONDS;
    case v1::USAGE_KIND_SMS:
    case v1::USAGE_KIND_MMS:
      return v1::USAGE_UNIT_MESSAGES;
    case v1::USAGE_KIND_DATA:
      return v1::USAGE_UNIT_BYTES;
    default:
      return v1::USAGE_UNIT_UNSPECIFIED;
  }
}

constexpr absl::int128 kInt64Max = std::numeric_limits<int64_t>::max();

// The next multiple of `step` at or above `units` (units >= 0). A step
// below 1 is never in a validated version; it counts as 1 rather than
// divide by zero.
absl::int128 StepUp(absl::int128 units, int64_t step) {
  const absl::int128 s = std::max<int64_t>(step, 1);
  return (units + s - 1) / s * s;
}

// The index of the interval of `e` that position `p` (units after the
// record's start) lies in: the last whose from_quantity is at most p.
// Intervals are sorted (validated at definition).
int IntervalAt(const v1::RateEntry& e, absl::int128 p) {
  int k = 0;
  for (int i = 1; i < e.intervals_size(); ++i) {
    if (e.intervals(i).from_quantity() <= p) k = i;
  }
  return k;
}

// 0 stays 0; else at least first_increment, then up to the next multiple of
// increment past it; with intervals, up to the step of the interval the
// quantity ends in (an interval's length is a multiple of its step, so this
// never passes the next interval's start). In 128 bits: a version defined
// before the limits may hold increments near int64 max.
absl::int128 Billed(int64_t quantity, const v1::RateEntry& e) {
  if (quantity <= 0) return 0;
  const absl::int128 first = std::max<int64_t>(e.first_increment(), 0);
  if (e.intervals_size() > 0) {
    const absl::int128 q = std::max<absl::int128>(quantity, first);
    // The interval the last unit lies in: the last one starting before q.
    const v1::RateInterval& in = e.intervals(IntervalAt(e, q - 1));
    return in.from_quantity() + StepUp(q - in.from_quantity(), in.increment());
  }
  if (quantity <= first) return first;
  return first + StepUp(quantity - first, e.increment());
}

// billed x price / per, half away from zero (>= 0 here, so half up): the
// exact quotient, plus one when the remainder is at least half of per. 62 s
// at 20000 per 60 -> 20666.67 -> 20667; 1 at 1 per 2 -> 0.5 -> 1. Fits in
// 128 bits: both factors are below 2^63. A per below 1 is never in a
// validated version; it counts as 1.
absl::int128 Amount(int64_t billed, int64_t price_micros, int64_t per) {
  const absl::int128 num = absl::int128(billed) * price_micros;
  const absl::int128 p = std::max<int64_t>(per, 1);
  const absl::int128 quotient = num / p;
  return num % p * 2 >= p ? quotient + 1 : quotient;
}

// `micros` rounded as `r` says, to r.decimals() decimals of the currency
// unit: 123401 (0.123401) up to 2 decimals is 130000 (0.13), half-up
// 120000, down 120000. Unspecified: unchanged.
absl::int128 Rounded(absl::int128 micros, const v1::AmountRounding& r) {
  if (r.mode() == v1::ROUNDING_MODE_UNSPECIFIED) return micros;
  absl::int128 unit = 1;
  for (int d = std::max(r.decimals(), 0); d < kRoundingDecimalsMax; ++d) {
    unit *= 10;
  }
  const absl::int128 quotient = micros / unit;
  const absl::int128 rest = micros % unit;
  bool up = false;
  switch (r.mode()) {
    case v1::ROUNDING_MODE_UP:
      up = rest > 0;
      break;
    case v1::ROUNDING_MODE_HALF_UP:
      up = rest * 2 >= unit;
      break;
    default:  // down (a mode outside the enum never passes validation)
      break;
  }
  return (up ? quotient + 1 : quotient) * unit;
}

// The OutOfRange a record gets when its rating does not fit in int64.
absl::Status RatingOverflow(const v1::UsageRecord& r, absl::string_view what,
                            absl::int128 value) {
  return absl::OutOfRangeError(absl::StrFormat(
      "record.quantity: %d %s gives %d, more than %d: the record cannot be "
      "rated",
      r.quantity(), what, value, kInt64Max));
}

// The band in force at local minute `minute` of ISO weekday `weekday`.
std::string BandAt(const v1::RatePlanVersion& v, int weekday, int minute) {
  for (const auto& b : v.bands()) {
    if (minute < b.start_minute() || minute >= b.end_minute()) continue;
    for (int d : b.weekdays()) {
      if (d == weekday) return b.name();
    }
  }
  return "";
}

int IsoWeekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 1;
    case absl::Weekday::tuesday:
      return 2;
    case absl::Weekday::wednesday:
      return 3;
    case absl::Weekday::thursday:
      return 4;
    case absl::Weekday::friday:
      return 5;
    case absl::Weekday::saturday:
      return 6;
    case absl::Weekday::sunday:
      return 7;
  }
  return 0;
}

std::string BandAtTime(const v1::RatePlanVersion& v, const absl::TimeZone& zone,
                       absl::Time t) {
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone);
  return BandAt(v, IsoWeekday(absl::CivilDay(local)),
                local.hour() * 60 + local.minute());
}

absl::Status ValidateTimeZoneName(absl::string_view name) {
  constexpr absl::string_view kField = "version.time_zone";
  if (name.size() > kTimeZoneNameBytesMax) {
    return FieldError(
        kField, absl::StrFormat("%s is longer than %d bytes", QuoteValue(name),
                                kTimeZoneNameBytesMax));
  }
  // IANA names: "Europe/Paris", "America/Argentina/Buenos_Aires",
  // "Etc/GMT+5". No dots, no empty component: never a path outside tzdata.
  bool ok = name.empty() || (name.front() != '/' && name.back() != '/' &&
                             !absl::StrContains(name, "//"));
  for (char c : name) {
    ok &= absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' ||
          c == '_' || c == '+' || c == '-';
  }
  if (!ok) {
    return FieldError(kField, absl::StrFormat("%s is not an IANA time zone "
                                              "name (\"Europe/Paris\")",
                                              QuoteValue(name)));
  }
  return absl::OkStatus();
}

absl::Status ValidateBands(const v1::RatePlanVersion& v) {
  if (v.bands_size() > kTimeBandsMax) {
    return FieldError("version.bands",
                      absl::StrFormat("has %d bands, at most %d allowed",
                                      v.bands_size(), kTimeBandsMax));
  }
  for (int i = 0; i < v.bands_size(); ++i) {
    const auto& b = v.bands(i);
    const std::string f = absl::StrFormat("version.bands[%d]", i);
    if (auto s = ValidateCode(f + ".name", b.name(), limits::kCodeLengthMax);
        !s.ok()) {
      return s;
    }
    if (b.start_minute() < 0 || b.end_minute() > 1440 ||
        b.start_minute() >= b.end_minute()) {
      return FieldError(f, "needs 0 <= start_minute < end_minute <= 1440");
    }
    if (b.weekdays_size() == 0) return FieldError(f + ".weekdays", "is empty");
    if (b.weekdays_size() > 7) {
      return FieldError(f + ".weekdays", "has more than 7 days");
    }
    for (int d : b.weekdays()) {
      if (d < 1 || d > 7) {
        return FieldError(f + ".weekdays",
                          absl::StrFormat("%d is not 1 (Monday) to 7", d));
      }
    }
  }
  return absl::OkStatus();
}

// "", "+" and digits (an E.164 prefix, never starting with 0), or "zone:"
// and code characters: anything else can never match a destination
// (ValidateUsageRecord admits only E.164 numbers and zones).
absl::Status ValidatePrefix(const std::string& field, absl::string_view p) {
  bool ok = true;
  if (absl::StartsWith(p, "zone:")) {
    ok = p.size() <= 5 + kZoneCodeBytesMax &&
         (p.size() == 5 ||
          ValidateCode("", p.substr(5), kZoneCodeBytesMax).ok());
  } else if (!p.empty()) {
    ok = p[0] == '+' && p.size() <= kE164PrefixBytesMax &&
         (p.size() == 1 || p[1] != '0');
    for (char c : p.substr(1)) {
      ok &= absl::ascii_isdigit(static_cast<unsigned char>(c));
    }
  }
  if (!ok) {
    return FieldError(field,
                      absl::StrFormat("%s is not \"+\" and digits (an E.164 "
                                      "prefix such as \"+336\") nor \"zone:\" "
                                      "and a code",
                                      QuoteValue(p)));
  }
  return absl::OkStatus();
}

// min <= value <= max, or the field's error.
absl::Status Bounded(const std::string& field, int64_t value, int64_t min,
                     int64_t max) {
  if (value < min) {
    return FieldError(
        field, min == 0
                   ? absl::StrFormat("%d is negative", value)
                   : absl::StrFormat("%d must be at least %d", value, min));
  }
  if (value > max) {
    return FieldError(
        field, absl::StrFormat("%d is more than the maximum %d", value, max));
  }
  return absl::OkStatus();
}

// With intervals, the entry's own price fields would be a second price
// that never applies: refused rather than silently ignored.
absl::Status UnsetWithIntervals(const std::string& field, int64_t value) {
  if (value == 0) return absl::OkStatus();
  return FieldError(field,
                    absl::StrFormat("%d must be 0 when the entry has intervals "
                                    "(each interval has its own)",
                                    value));
}

// One interval's own fields; `quantity_max` bounds positions and steps
// (seconds for voice and fax).
absl::Status ValidateInterval(const std::string& g, const v1::RateEntry& e,
                              int i, int64_t quantity_max) {
  const v1::RateInterval& in = e.intervals(i);
  if (i == 0 && in.from_quantity() != 0) {
    return FieldError(g + ".from_quantity",
                      absl::StrFormat("%d must be 0: the first interval starts "
                                      "at the record's start",
                                      in.from_quantity()));
  }
  if (i > 0 && in.from_quantity() <= e.intervals(i - 1).from_quantity()) {
    return FieldError(
        g + ".from_quantity",
        absl::StrFormat("%d must be more than intervals[%d].from_quantity %d "
                        "(intervals strictly increase)",
                        in.from_quantity(), i - 1,
                        e.intervals(i - 1).from_quantity()));
  }
  for (const absl::Status& s :
       {Bounded(g + ".from_quantity", in.from_quantity(), 0, quantity_max),
        Bounded(g + ".price_micros", in.price_micros(), 0, kPriceMicrosMax),
        Bounded(g + ".per_quantity", in.per_quantity(), 1, kPerQuantityMax),
        Bounded(g + ".increment", in.increment(), 1, quantity_max)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// At most kRateIntervalsMax, each valid, and each step dividing its
// interval's length: a step may not run past the next interval's start.
absl::Status ValidateIntervals(const std::string& f, const v1::RateEntry& e,
                               int64_t quantity_max) {
  if (e.intervals_size() > kRateIntervalsMax) {
    return FieldError(f + ".intervals",
                      absl::StrFormat("has %d intervals, at most %d allowed",
                                      e.intervals_size(), kRateIntervalsMax));
  }
  for (int i = 0; i < e.intervals_size(); ++i) {
    const std::string g = absl::StrFormat("%s.intervals[%d]", f, i);
    if (auto s = ValidateInterval(g, e, i, quantity_max); !s.ok()) return s;
  }
  for (int i = 0; i + 1 < e.intervals_size(); ++i) {
    const v1::RateInterval& in = e.intervals(i);
    const int64_t length =
        e.intervals(i + 1).from_quantity() - in.from_quantity();
    if (length % in.increment() != 0) {
      return FieldError(
          absl::StrFormat("%s.intervals[%d].increment", f, i),
          absl::StrFormat("%d does not divide the interval's length %d "
                          "(intervals[%d].from_quantity - from_quantity): its "
                          "last step would run into the next interval",
                          in.increment(), length, i + 1));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRounding(const std::string& f,
                              const v1::AmountRounding& r) {
  if (!v1::RoundingMode_IsValid(r.mode())) {
    return FieldError(f + ".mode",
                      absl::StrFormat("%d is not a rounding mode (up, half-up, "
                                      "down)",
                                      static_cast<int>(r.mode())));
  }
  if (r.mode() == v1::ROUNDING_MODE_UNSPECIFIED && r.decimals() != 0) {
    return FieldError(f + ".decimals",
                      absl::StrFormat("%d is given without a mode (up, "
                                      "half-up, down)",
                                      r.decimals()));
  }
  return Bounded(f + ".decimals", r.decimals(), 0, kRoundingDecimalsMax);
}

// The entry's amounts and steps, in declaration order.
absl::Status ValidateEntryAmounts(const std::string& f,
                                  const v1::RateEntry& e) {
  const int64_t quantity_max = UnitOfKind(e.kind()) == v1::USAGE_UNIT_SECONDS
                                   ? kRatedSecondsMax
                                   : kIncrementMax;
  const bool intervals = e.intervals_size() > 0;
  for (const absl::Status& s :
       {intervals ? UnsetWithIntervals(f + ".price_micros", e.price_micros())
                  : Bounded(f + ".price_micros", e.price_micros(), 0,
                            kPriceMicrosMax),
        intervals ? UnsetWithIntervals(f + ".per_quantity", e.per_quantity())
                  : Bounded(f + ".per_quantity", e.per_quantity(), 1,
                            kPerQuantityMax),
        Bounded(f + ".setup_fee_micros", e.setup_fee_micros(), 0,
                kSetupFeeMicrosMax),
        Bounded(f + ".first_increment", e.first_increment(), 0, quantity_max),
        intervals ? UnsetWithIntervals(f + ".increment", e.increment())
                  : Bounded(f + ".increment", e.increment(), 1, quantity_max),
        ValidateText(f + ".zone_label", e.zone_label(), 0, kZoneLabelCharsMax),
        ValidateIntervals(f, e, quantity_max),
        ValidateRounding(f + ".rounding", e.rounding()),
        Bounded(f + ".minimum_charge_micros", e.minimum_charge_micros(), 0,
                kMinimumChargeMicrosMax)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateEntry(const v1::RatePlanVersion& v, int i) {
  const auto& e = v.entries(i);
  const std::string f = absl::StrFormat("version.entries[%d]", i);
  if (e.kind() == v1::USAGE_KIND_UNSPECIFIED ||
      !v1::UsageKind_IsValid(e.kind())) {
    return FieldError(f + ".kind", "is not a usage kind");
  }
  if (auto s =
          ValidatePrefix(f + ".destination_prefix", e.destination_prefix());
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateEntryAmounts(f, e); !s.ok()) return s;
  if (!e.band().empty()) {
    bool defined = false;
    for (const auto& b : v.bands()) defined |= b.name() == e.band();
    if (!defined) {
      return FieldError(f + ".band", absl::StrFormat("%s is not a band of the "
                                                     "plan",
                                                     QuoteValue(e.band())));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEntries(const v1::RatePlanVersion& v) {
  if (v.entries_size() == 0) {
    return FieldError("version.entries", "at least one entry is required");
  }
  if (v.entries_size() > kRateEntriesMax) {
    return FieldError("version.entries",
                      absl::StrFormat("has %d entries, at most %d allowed",
                                      v.entries_size(), kRateEntriesMax));
  }
  // Two entries for one (kind, prefix, band): which one prices is a guess.
  std::map<std::tuple<int, std::string, std::string>, int> first_of;
  for (int i = 0; i < v.entries_size(); ++i) {
    if (auto s = ValidateEntry(v, i); !s.ok()) return s;
    const auto& e = v.entries(i);
    auto [it, inserted] =
        first_of.emplace(std::make_tuple(static_cast<int>(e.kind()),
                                         e.destination_prefix(), e.band()),
                         i);
    if (!inserted) {
      return FieldError(absl::StrFormat("version.entries[%d]", i),
                        absl::StrFormat("duplicates entries[%d] (kind, "
                                        "prefix, band)",
                                        it->second));
    }
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// The digits of text[at, at + n) as a number; -1 when one is not a digit.
int Digits(absl::string_view text, size_t at, size_t n) {
  int value = 0;
  for (size_t i = at; i < at + n; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<absl::Time> ParseCanonicalUsageTime(absl::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM), every field in range.
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const int year = Digits(text, 0, 4), month = Digits(text, 5, 2),
            day = Digits(text, 8, 2), hour = Digits(text, 11, 2),
            minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return std::nullopt;
  }
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  if (civil.day() != day) return std::nullopt;  // February 30
  size_t at = 19;
  int64_t nanos = 0;
  if (text[at] == '.') {
    size_t digits = 0;
    for (++at; at < text.size() && absl::ascii_isdigit(text[at]); ++at) {
      if (++digits > 9) return std::nullopt;
      nanos = nanos * 10 + (text[at] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int offset_minutes = 0;
  if (text.substr(at) != "Z") {
    if (text.size() != at + 6 || (text[at] != '+' && text[at] != '-') ||
        text[at + 3] != ':') {
      return std::nullopt;
    }
    const int hours = Digits(text, at + 1, 2), minutes = Digits(text, at + 4, 2);
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) {
      return std::nullopt;
    }
    offset_minutes = (text[at] == '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return absl::FromCivil(civil, absl::UTCTimeZone()) -
         absl::Minutes(offset_minutes) + absl::Nanoseconds(nanos);
}

absl::StatusOr<absl::Time> ParseUsageTime(absl::string_view text,
                                          absl::string_view field) {
  // Records nearly always come in the canonical form: read it directly
  // (absl's parser is a tenth of a record's cost, and a record's time is
  // read several times). Anything else is left to absl, which then decides.
  if (auto fast = ParseCanonicalUsageTime(text); fast.has_value()) {
    return *fast;
  }
  absl::Time t;
  std::string error;
  // Four-digit years only: absl reads any number of digits and a sign, and
  // the record's month is the text's first 7 characters ("YYYY-MM").
  const bool four_digit_year =
      text.size() >= 8 && text[4] == '-' && text[7] == '-' &&
      std::all_of(text.begin(), text.begin() + 4, [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      });
  if (!four_digit_year || text.size() > 64 ||
      !absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &error)) {
    return FieldError(field, absl::StrFormat("%s is not an RFC 3339 time "
                                             "with offset "
                                             "(2026-03-20T14:03:05+01:00)",
                                             QuoteValue(text)));
  }
  return t;
}

namespace {

namespace rr = usage_record_rejections;

// platform_id, record_id and object: what identifies the record.
absl::Status ValidateRecordIds(const v1::UsageRecord& r) {
  if (auto s = ValidateCode("record.platform_id", r.platform_id(),
                            limits::kCodeLengthMax);
      !s.ok()) {
    return Named(rr::kPlatformIdInvalid, s);
  }
  if (r.record_id().empty()) {
    return Reject(rr::kRecordIdInvalid, "record.record_id: is required");
  }
  if (r.record_id().size() > kRecordIdBytesMax) {
    return Named(rr::kRecordIdInvalid,
                 TooLongError("record.record_id", r.record_id(),
                              r.record_id().size(), kRecordIdBytesMax));
  }
  if (!IsPrintableAsciiToken(r.record_id())) {
    return Reject(
        rr::kRecordIdInvalid,
        absl::StrFormat("record.record_id: %s is not printable ASCII "
                        "(1 to %d characters, no spaces)",
                        QuoteValue(r.record_id()), kRecordIdBytesMax));
  }
  if (r.object().empty()) {
    return Reject(rr::kObjectInvalid, "record.object: is required");
  }
  if (r.object().size() > limits::kObjectIdLengthMax ||
      !IsPrintableAsciiToken(r.object())) {
    return Reject(rr::kObjectInvalid,
                  absl::StrFormat("record.object: %s is not a phone number or "
                                  "an object id",
                                  QuoteValue(r.object())));
  }
  return absl::OkStatus();
}

// start_time, kind, quantity and unit: what is measured.
absl::Status ValidateRecordMeasure(const v1::UsageRecord& r) {
  if (auto t = ParseUsageTime(r.start_time(), "record.start_time"); !t.ok()) {
    return Named(rr::kStartTimeInvalid, t.status());
  }
  if (r.kind() == v1::USAGE_KIND_UNSPECIFIED ||
      !v1::UsageKind_IsValid(r.kind())) {
    return Reject(rr::kKindInvalid,
                  "record.kind: is not a usage kind (voice, sms, mms, data, "
                  "fax)");
  }
  if (r.quantity() < 0) {
    return Reject(
        rr::kQuantityInvalid,
        absl::StrFormat("record.quantity: %d is negative", r.quantity()));
  }
  if (r.quantity() > kQuantityMax) {
    return Reject(rr::kQuantityInvalid,
                  absl::StrFormat("record.quantity: %d is more than the "
                                  "maximum %d",
                                  r.quantity(), kQuantityMax));
  }
  if (r.unit() != v1::USAGE_UNIT_UNSPECIFIED &&
      r.unit() != UnitOfKind(r.kind())) {
    return Reject(rr::kUnitInvalid,
                  absl::StrFormat("record.unit: %s does not fit a %s record",
                                  v1::UsageUnit_Name(r.unit()),
                                  v1::UsageKind_Name(r.kind())));
  }
  if (UnitOfKind(r.kind()) == v1::USAGE_UNIT_SECONDS &&
      r.quantity() > kRatedSecondsMax) {
    return Reject(rr::kDurationTooLong,
                  absl::StrFormat("record.quantity: %d seconds is longer than "
                                  "%d",
                                  r.quantity(), kRatedSecondsMax));
  }
  return absl::OkStatus();
}

// destination and attributes.
absl::Status ValidateRecordDestination(const v1::UsageRecord& r) {
  if (!IsE164(r.destination()) && !IsZone(r.destination())) {
    return Reject(rr::kDestinationInvalid,
                  absl::StrFormat("record.destination: %s is not an E.164 "
                                  "number or a zone \"zone:<code>\"",
                                  QuoteValue(r.destination())));
  }
  if (r.attributes_size() > static_cast<int>(kAttributesMax)) {
    return Reject(rr::kAttributesInvalid,
                  absl::StrFormat("record.attributes: has %d entries, at most "
                                  "%d allowed",
                                  r.attributes_size(), kAttributesMax));
  }
  for (const auto& [k, v] : r.attributes()) {
    if (k.size() > kAttributeBytesMax || v.size() > kAttributeBytesMax) {
      return Reject(
          rr::kAttributesInvalid,
          absl::StrFormat(
              "record.attributes[%s]: %s is %d bytes, more than the %d "
              "allowed",
              QuoteValue(k),
              k.size() > kAttributeBytesMax ? "its key" : "its value",
              std::max(k.size(), v.size()), kAttributeBytesMax));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateUsageRecordFields(const v1::UsageRecord& r) {
  if (auto s = ValidateRecordIds(r); !s.ok()) return s;
  if (auto s = ValidateRecordMeasure(r); !s.ok()) return s;
  return ValidateRecordDestination(r);
}

absl::Status ValidateUsageRecord(const v1::UsageRecord& r) {
  absl::Status s = ValidateUsageRecordFields(r);
  if (s.ok()) return s;
  return absl::Status(s.code(), RejectionDetail(s.message()));
}

absl::Status ValidateRatePlanVersion(const v1::RatePlanVersion& v) {
  namespace r = plan_version_rejections;
  if (auto s =
          ValidateCode("version.plan_id", v.plan_id(), limits::kCodeLengthMax);
      !s.ok()) {
    return Named(r::kPlanIdInvalid, s);
  }
  if (auto t = ParseUsageTime(v.effective_from(), "version.effective_from");
      !t.ok()) {
    return Named(r::kEffectiveFromInvalid, t.status());
  }
  if (auto c = LookupCurrency(v.currency(), "version.currency"); !c.ok()) {
    return Named(r::kCurrencyInvalid, c.status());
  }
  if (auto s = ValidateTimeZoneName(v.time_zone()); !s.ok()) {
    return Named(r::kTimeZoneInvalid, s);
  }
  if (auto s = ValidateBands(v); !s.ok()) return Named(r::kBandsInvalid, s);
  return Named(r::kEntriesInvalid, ValidateEntries(v));
}

absl::StatusOr<const v1::RatePlanVersion*> VersionAt(
    const std::vector<v1::RatePlanVersion>& versions, absl::Time start) {
  const v1::RatePlanVersion* best = nullptr;
  absl::Time best_from = absl::InfinitePast();
  for (const auto& v : versions) {
    auto from = ParseUsageTime(v.effective_from(), "version.effective_from");
    if (!from.ok()) return from.status();
    if (*from <= start && (best == nullptr || *from >= best_from)) {
      best = &v;
      best_from = *from;
    }
  }
  if (best == nullptr) {
    return absl::NotFoundError(absl::StrFormat(
        "no rate plan version in force at %s",
        absl::FormatTime(absl::RFC3339_sec, start, absl::UTCTimeZone())));
  }
  return best;
}

namespace {

// Among the version's entries of the record's kind, the longest
// destination_prefix that starts its destination; among equals the "" band
// one. nullptr when none matches.
const v1::RateEntry* LongestPrefixEntry(const v1::RatePlanVersion& version,
                                        const v1::UsageRecord& record) {
  const v1::RateEntry* base = nullptr;
  int longest = -1;
  for (const auto& e : version.entries()) {
    if (e.kind() != record.kind() ||
        !absl::StartsWith(record.destination(), e.destination_prefix())) {
      continue;
    }
    const int len = static_cast<int>(e.destination_prefix().size());
    if (len > longest || (len == longest && e.band().empty())) {
      longest = len;
      base = &e;
    }
  }
  return base;
}

// The entry of `prefix` for `band`, else the prefix's "" entry.
const v1::RateEntry* EntryForBand(const v1::RatePlanVersion& version,
                                  v1::UsageKind kind, const std::string& prefix,
                                  const std::string& band) {
  const v1::RateEntry* fallback = nullptr;
  for (const auto& e : version.entries()) {
    if (e.kind() != kind || e.destination_prefix() != prefix) continue;
    if (e.band() == band) return &e;
    if (e.band().empty()) fallback = &e;
  }
  return fallback;
}

absl::Status NoRateInBand(const v1::RatePlanVersion& version,
                          const v1::UsageRecord& record,
                          const std::string& band) {
  return absl::FailedPreconditionError(
      absl::StrFormat("no rate for %s to %s in band %s of plan %s",
                      v1::UsageKind_Name(record.kind()), record.destination(),
                      QuoteValue(band), version.plan_id()));
}

// What prices one piece of a record: its band's entry, and the interval of
// that entry at the piece's position.
struct Piece {
  int64_t price_micros;
  int64_t per_quantity;
  // 1-based index of the interval; 0 when the entry has no intervals.
  int interval;
  // Units until the interval ends (the rest of the record in the last one).
  int64_t length_max;
};

Piece PieceAt(const v1::RateEntry& e, int64_t position, int64_t remaining) {
  if (e.intervals_size() == 0) {
    return {e.price_micros(), e.per_quantity(), 0, remaining};
  }
  const int k = IntervalAt(e, position);
  const v1::RateInterval& in = e.intervals(k);
  int64_t length = remaining;
  if (k + 1 < e.intervals_size()) {
    length = std::min(length, e.intervals(k + 1).from_quantity() - position);
  }
  return {in.price_micros(), in.per_quantity(), k + 1, length};
}

// Seconds from `t` until the band changes (`band` is the band at t), at most
// `length_max`: walks minute boundaries, where bands change.
int64_t UntilBandChange(const v1::RatePlanVersion& version,
                        const absl::TimeZone& zone, absl::Time t,
                        const std::string& band, int64_t length_max) {
  const absl::CivilMinute m = absl::ToCivilMinute(t, zone);
  absl::Time boundary = absl::FromCivil(m + 1, zone);
  int64_t upto = absl::ToInt64Seconds(boundary - t);
  while (upto < length_max && BandAtTime(version, zone, boundary) == band) {
    boundary += absl::Minutes(1);
    upto += 60;
  }
  return std::min(upto, length_max);
}

// What LaySegments needs of the record besides the units to lay.
struct Laying {
  const v1::RatePlanVersion& version;
  const absl::TimeZone& zone;
  const v1::UsageRecord& record;
  absl::Time start;
  const std::string& start_band;
  const std::string& prefix;
};

// Lays `billed` units from position 0 (the start time) into out's segments
// (durations are cut where the band changes; messages and bytes take the
// band of their start; both where the pricing entry's interval ends) and
// adds their amounts to `total`. OutOfRange when a segment's amount does
// not fit in int64.
absl::Status LaySegments(const Laying& l, int64_t billed, v1::RatedUsage& out,
                         absl::int128& total) {
  const bool timed = UnitOfKind(l.record.kind()) == v1::USAGE_UNIT_SECONDS &&
                     l.version.bands_size() > 0;
  // Whether an entry with intervals priced a segment: then every segment
  // shows its position; without, the segments are exactly what they were
  // before intervals existed (from_quantity 0 is not serialized).
  bool with_intervals = false;
  int64_t position = 0;
  // Each loop ends a segment at a band change, at an interval's end or at
  // the end. A band changes at most at every minute boundary, and the
  // prefix's entries (one per band, plus "") have at most
  // kRateIntervalsMax intervals each: bounded.
  constexpr int64_t kSegmentsMax =
      kBilledSecondsMax / 60 + 2 + (kTimeBandsMax + 1) * kRateIntervalsMax;
  for (int64_t guard = 0; position < billed && guard <= kSegmentsMax; ++guard) {
    const absl::Time t = l.start + absl::Seconds(position);
    const std::string band =
        timed ? BandAtTime(l.version, l.zone, t) : l.start_band;
    const v1::RateEntry* e =
        EntryForBand(l.version, l.record.kind(), l.prefix, band);
    if (e == nullptr) return NoRateInBand(l.version, l.record, band);
    const Piece piece = PieceAt(*e, position, billed - position);
    const int64_t length =
        timed ? UntilBandChange(l.version, l.zone, t, band, piece.length_max)
              : piece.length_max;
    const absl::int128 amount =
        Amount(length, piece.price_micros, piece.per_quantity);
    if (amount > kInt64Max) {
      return RatingOverflow(
          l.record,
          absl::StrFormat("billed %d at %d micros per %d", length,
                          piece.price_micros, piece.per_quantity),
          amount);
    }
    v1::RatedSegment* seg = out.add_segments();
    seg->set_band(band);
    seg->set_billed_quantity(length);
    seg->set_price_micros(piece.price_micros);
    seg->set_per_quantity(piece.per_quantity);
    seg->set_amount_micros(static_cast<int64_t>(amount));
    seg->set_from_quantity(position);
    seg->set_interval(piece.interval);
    with_intervals |= piece.interval > 0;
    total += amount;
    position += length;
  }
  if (position < billed) {
    return absl::InternalError("rating did not converge");  // unreachable
  }
  if (!with_intervals) {
    for (auto& seg : *out.mutable_segments()) seg.clear_from_quantity();
  }
  return absl::OkStatus();
}

// The billed quantity, or OutOfRange when it does not fit in int64 or, for
// a duration, exceeds kBilledSecondsMax.
absl::StatusOr<int64_t> CheckedBilled(const v1::UsageRecord& record,
                                      const v1::RateEntry& e) {
  const absl::int128 billed = Billed(record.quantity(), e);
  const std::string how =
      e.intervals_size() > 0
          ? absl::StrFormat(
                "billed with first_increment %d and the steps "
                "of %d intervals",
                e.first_increment(), e.intervals_size())
          : absl::StrFormat("billed with first_increment %d and increment %d",
                            e.first_increment(), e.increment());
  if (billed > kInt64Max) return RatingOverflow(record, how, billed);
  if (UnitOfKind(record.kind()) == v1::USAGE_UNIT_SECONDS &&
      billed > kBilledSecondsMax) {
    return absl::OutOfRangeError(absl::StrFormat(
        "record.quantity: %d s %s gives %d s, longer than %d s: the record "
        "cannot be rated",
        record.quantity(), how, billed, kBilledSecondsMax));
  }
  return static_cast<int64_t>(billed);
}

// Sets out.amount_micros from `total` (set-up fee plus segments): as it is,
// or, when the entry in force at the start rounds or has a minimum charge,
// max(rounded, minimum) with both shown. OutOfRange beyond int64.
absl::Status SetAmount(const v1::UsageRecord& record, const v1::RateEntry& e,
                       absl::int128 total, v1::RatedUsage& out) {
  if (total > kInt64Max) {
    return RatingOverflow(record, "with its set-up fee and every segment",
                          total);
  }
  const bool rounds = e.rounding().mode() != v1::ROUNDING_MODE_UNSPECIFIED;
  if (rounds || e.minimum_charge_micros() > 0) {
    out.set_unrounded_amount_micros(static_cast<int64_t>(total));
    if (rounds) *out.mutable_rounding() = e.rounding();
    out.set_minimum_charge_micros(e.minimum_charge_micros());
    total = std::max<absl::int128>(Rounded(total, e.rounding()),
                                   e.minimum_charge_micros());
    if (total > kInt64Max) {
      return RatingOverflow(record, "rounded up", total);
    }
  }
  out.set_amount_micros(static_cast<int64_t>(total));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::RatedUsage> RateRecord(const v1::RatePlanVersion& version,
                                          const absl::TimeZone& zone,
                                          const v1::UsageRecord& record) {
  auto start = ParseUsageTime(record.start_time(), "record.start_time");
  if (!start.ok()) return start.status();
  // 1. The longest matching prefix among the kind's entries.
  const v1::RateEntry* base = LongestPrefixEntry(version, record);
  if (base == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrFormat("no rate for %s to %s in plan %s (version from %s)",
                        v1::UsageKind_Name(record.kind()), record.destination(),
                        version.plan_id(), version.effective_from()));
  }
  const std::string& prefix = base->destination_prefix();
  // The entry at the start gives the increments and the set-up fee.
  const std::string start_band =
      version.bands_size() > 0 ? BandAtTime(version, zone, *start) : "";
  const v1::RateEntry* first =
      EntryForBand(version, record.kind(), prefix, start_band);
  if (first == nullptr) return NoRateInBand(version, record, start_band);
  v1::RatedUsage out;
  out.set_plan_id(version.plan_id());
  out.set_plan_effective_from(version.effective_from());
  out.set_matched_prefix(prefix);
  out.set_zone_label(first->zone_label());
  // 2. The billed quantity.
  auto billed = CheckedBilled(record, *first);
  if (!billed.ok()) return billed.status();
  out.set_billed_quantity(*billed);
  if (*billed == 0) return out;
  out.set_setup_fee_micros(first->setup_fee_micros());
  absl::int128 total = first->setup_fee_micros();
  // 3. Segments, each rounded on its own.
  const Laying laying{version, zone, record, *start, start_band, prefix};
  if (auto s = LaySegments(laying, *billed, out, total); !s.ok()) return s;
  // 4. The record's rounding and minimum.
  if (auto s = SetAmount(record, *first, total, out); !s.ok()) return s;
  return out;
}

}  // namespace billing
