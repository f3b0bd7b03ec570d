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

// 0 stays 0; else at least first_increment, then up to the next multiple of
// increment past it. In 128 bits: a version defined before the limits may
// hold increments near int64 max.
absl::int128 Billed(int64_t quantity, const v1::RateEntry& e) {
  if (quantity <= 0) return 0;
  const absl::int128 first = std::max<int64_t>(e.first_increment(), 0);
  if (quantity <= first) return first;
  const absl::int128 rest = quantity - first;
  const absl::int128 increment = e.increment();
  const absl::int128 steps = (rest + increment - 1) / increment;
  return first + steps * increment;
}

// billed x price / per_quantity, half away from zero (>= 0 here, so half
// up): the exact quotient, plus one when the remainder is at least half of
// per_quantity. 62 s at 20000 per 60 -> 20666.67 -> 20667; 1 at 1 per 2 ->
// 0.5 -> 1. Fits in 128 bits: both factors are below 2^63.
absl::int128 Amount(int64_t billed, const v1::RateEntry& e) {
  const absl::int128 num = absl::int128(billed) * e.price_micros();
  const absl::int128 per = e.per_quantity();
  const absl::int128 quotient = num / per;
  return num % per * 2 >= per ? quotient + 1 : quotient;
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
  const int64_t increment_max = UnitOfKind(e.kind()) == v1::USAGE_UNIT_SECONDS
                                    ? kRatedSecondsMax
                                    : kIncrementMax;
  for (const absl::Status& s :
       {Bounded(f + ".price_micros", e.price_micros(), 0, kPriceMicrosMax),
        Bounded(f + ".per_quantity", e.per_quantity(), 1, kPerQuantityMax),
        Bounded(f + ".setup_fee_micros", e.setup_fee_micros(), 0,
                kSetupFeeMicrosMax),
        Bounded(f + ".first_increment", e.first_increment(), 0, increment_max),
        Bounded(f + ".increment", e.increment(), 1, increment_max),
        ValidateText(f + ".zone_label", e.zone_label(), 0,
                     kZoneLabelCharsMax)}) {
    if (!s.ok()) return s;
  }
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

absl::StatusOr<absl::Time> ParseUsageTime(absl::string_view text,
                                          absl::string_view field) {
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

// Lays `billed` units from `start` into out's segments (durations are cut
// where the band changes; messages and bytes take the band of their start)
// and adds their amounts to `total`. OutOfRange when a segment's amount
// does not fit in int64.
absl::Status LaySegments(const v1::RatePlanVersion& version,
                         const absl::TimeZone& zone,
                         const v1::UsageRecord& record, absl::Time start,
                         int64_t billed, const std::string& start_band,
                         const std::string& prefix, v1::RatedUsage& out,
                         absl::int128& total) {
  const bool timed = UnitOfKind(record.kind()) == v1::USAGE_UNIT_SECONDS &&
                     version.bands_size() > 0;
  int64_t remaining = billed;
  absl::Time t = start;
  // Each loop ends a segment at a band change or at the end; a band change
  // happens at most at every minute boundary: bounded by the minutes in
  // kBilledSecondsMax plus one.
  for (int guard = 0; remaining > 0 && guard <= kBilledSecondsMax / 60 + 2;
       ++guard) {
    const std::string band = timed ? BandAtTime(version, zone, t) : start_band;
    int64_t length = remaining;
    if (timed) {
      // Walk minute boundaries until the band changes or the call ends.
      const absl::CivilMinute m = absl::ToCivilMinute(t, zone);
      absl::Time boundary = absl::FromCivil(m + 1, zone);
      int64_t upto = absl::ToInt64Seconds(boundary - t);
      while (upto < remaining && BandAtTime(version, zone, boundary) == band) {
        boundary += absl::Minutes(1);
        upto += 60;
      }
      length = std::min(upto, remaining);
    }
    const v1::RateEntry* e = EntryForBand(version, record.kind(), prefix, band);
    if (e == nullptr) return NoRateInBand(version, record, band);
    const absl::int128 amount = Amount(length, *e);
    if (amount > kInt64Max) {
      return RatingOverflow(
          record,
          absl::StrFormat("billed %d at %d micros per %d", length,
                          e->price_micros(), e->per_quantity()),
          amount);
    }
    v1::RatedSegment* seg = out.add_segments();
    seg->set_band(band);
    seg->set_billed_quantity(length);
    seg->set_price_micros(e->price_micros());
    seg->set_per_quantity(e->per_quantity());
    seg->set_amount_micros(static_cast<int64_t>(amount));
    total += amount;
    remaining -= length;
    t += absl::Seconds(length);
  }
  if (remaining > 0) {
    return absl::InternalError("rating did not converge");  // unreachable
  }
  return absl::OkStatus();
}

// The billed quantity, or OutOfRange when it does not fit in int64 or, for
// a duration, exceeds kBilledSecondsMax.
absl::StatusOr<int64_t> CheckedBilled(const v1::UsageRecord& record,
                                      const v1::RateEntry& e) {
  const absl::int128 billed = Billed(record.quantity(), e);
  const std::string how =
      absl::StrFormat("billed with first_increment %d and increment %d",
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
  if (auto s = LaySegments(version, zone, record, *start, *billed, start_band,
                           prefix, out, total);
      !s.ok()) {
    return s;
  }
  if (total > kInt64Max) {
    return RatingOverflow(record, "with its set-up fee and every segment",
                          total);
  }
  out.set_amount_micros(static_cast<int64_t>(total));
  return out;
}

}  // namespace billing
