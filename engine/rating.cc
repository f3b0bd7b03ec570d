#include "engine/rating.h"

#include <algorithm>

#include "absl/numeric/int128.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "engine/money.h"
#include "engine/validation.h"

namespace billing {
namespace {

constexpr size_t kAttributesMax = 32;
constexpr size_t kAttributeBytesMax = 256;

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
  if (!absl::StartsWith(s, "zone:") || s.size() == 5 || s.size() > 37) {
    return false;
  }
  return ValidateCode("zone", s.substr(5), 32).ok();
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

int64_t Billed(int64_t quantity, const v1::RateEntry& e) {
  if (quantity <= 0) return 0;
  const int64_t first = std::max<int64_t>(e.first_increment(), 0);
  if (quantity <= first) return first;
  const int64_t rest = quantity - first;
  const int64_t steps = (rest + e.increment() - 1) / e.increment();
  return first + steps * e.increment();
}

int64_t Amount(int64_t billed, const v1::RateEntry& e) {
  const absl::int128 num = absl::int128(billed) * e.price_micros();
  const absl::int128 per = e.per_quantity();
  // Half away from zero; prices and quantities are >= 0 here.
  return static_cast<int64_t>((num * 2 + per) / (per * 2));
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
    case absl::Weekday::monday: return 1;
    case absl::Weekday::tuesday: return 2;
    case absl::Weekday::wednesday: return 3;
    case absl::Weekday::thursday: return 4;
    case absl::Weekday::friday: return 5;
    case absl::Weekday::saturday: return 6;
    case absl::Weekday::sunday: return 7;
  }
  return 0;
}

std::string BandAtTime(const v1::RatePlanVersion& v, const absl::TimeZone& zone,
                       absl::Time t) {
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone);
  return BandAt(v, IsoWeekday(absl::CivilDay(local)),
                local.hour() * 60 + local.minute());
}

}  // namespace

absl::StatusOr<absl::Time> ParseUsageTime(absl::string_view text,
                                          absl::string_view field) {
  absl::Time t;
  std::string error;
  if (text.empty() ||
      !absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &error)) {
    return FieldError(field, absl::StrFormat("\"%s\" is not an RFC 3339 time "
                                             "with offset "
                                             "(2026-03-20T14:03:05+01:00)",
                                             absl::CHexEscape(text)));
  }
  return t;
}

absl::Status ValidateUsageRecord(const v1::UsageRecord& r) {
  if (auto s = ValidateCode("record.platform_id", r.platform_id(), 32);
      !s.ok()) {
    return s;
  }
  if (r.record_id().empty()) return FieldError("record.record_id", "is required");
  if (r.record_id().size() > 128 || !IsPrintableAsciiToken(r.record_id())) {
    return FieldError("record.record_id",
                      "must be 1 to 128 printable ASCII characters");
  }
  if (r.object().empty()) return FieldError("record.object", "is required");
  if (r.object().size() > 64 || !IsPrintableAsciiToken(r.object())) {
    return FieldError("record.object",
                      absl::StrFormat("\"%s\" is not a phone number or an "
                                      "object id",
                                      absl::CHexEscape(r.object())));
  }
  if (auto t = ParseUsageTime(r.start_time(), "record.start_time"); !t.ok()) {
    return t.status();
  }
  if (r.kind() == v1::USAGE_KIND_UNSPECIFIED ||
      !v1::UsageKind_IsValid(r.kind())) {
    return FieldError("record.kind", "is not a usage kind (voice, sms, mms, "
                                     "data, fax)");
  }
  if (r.quantity() < 0) {
    return FieldError("record.quantity",
                      absl::StrFormat("%d is negative", r.quantity()));
  }
  if (r.unit() != v1::USAGE_UNIT_UNSPECIFIED &&
      r.unit() != UnitOfKind(r.kind())) {
    return FieldError("record.unit", absl::StrFormat(
                                         "%s does not fit a %s record",
                                         v1::UsageUnit_Name(r.unit()),
                                         v1::UsageKind_Name(r.kind())));
  }
  if (UnitOfKind(r.kind()) == v1::USAGE_UNIT_SECONDS &&
      r.quantity() > kRatedSecondsMax) {
    return FieldError("record.quantity",
                      absl::StrFormat("%d seconds is longer than %d", r.quantity(),
                                      kRatedSecondsMax));
  }
  if (!IsE164(r.destination()) && !IsZone(r.destination())) {
    return FieldError("record.destination",
                      absl::StrFormat("\"%s\" is not an E.164 number or a zone "
                                      "\"zone:<code>\"",
                                      absl::CHexEscape(r.destination())));
  }
  if (r.attributes_size() > static_cast<int>(kAttributesMax)) {
    return FieldError("record.attributes",
                      absl::StrFormat("has %d entries, at most %d allowed",
                                      r.attributes_size(), kAttributesMax));
  }
  for (const auto& [k, v] : r.attributes()) {
    if (k.size() > kAttributeBytesMax || v.size() > kAttributeBytesMax) {
      return FieldError(absl::StrFormat("record.attributes[%s]",
                                        absl::CHexEscape(k.substr(0, 32))),
                        absl::StrFormat("is longer than %d bytes",
                                        kAttributeBytesMax));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRatePlanVersion(const v1::RatePlanVersion& v) {
  if (auto s = ValidateCode("plan.plan_id", v.plan_id(), 32); !s.ok()) return s;
  if (auto t = ParseUsageTime(v.effective_from(), "plan.effective_from");
      !t.ok()) {
    return t.status();
  }
  if (auto c = LookupCurrency(v.currency(), "plan.currency"); !c.ok()) {
    return c.status();
  }
  for (int i = 0; i < v.bands_size(); ++i) {
    const auto& b = v.bands(i);
    const std::string f = absl::StrFormat("plan.bands[%d]", i);
    if (auto s = ValidateCode(f + ".name", b.name(), 32); !s.ok()) return s;
    if (b.start_minute() < 0 || b.end_minute() > 1440 ||
        b.start_minute() >= b.end_minute()) {
      return FieldError(f, "needs 0 <= start_minute < end_minute <= 1440");
    }
    if (b.weekdays_size() == 0) return FieldError(f + ".weekdays", "is empty");
    for (int d : b.weekdays()) {
      if (d < 1 || d > 7) {
        return FieldError(f + ".weekdays",
                          absl::StrFormat("%d is not 1 (Monday) to 7", d));
      }
    }
  }
  for (int i = 0; i < v.entries_size(); ++i) {
    const auto& e = v.entries(i);
    const std::string f = absl::StrFormat("plan.entries[%d]", i);
    if (e.kind() == v1::USAGE_KIND_UNSPECIFIED ||
        !v1::UsageKind_IsValid(e.kind())) {
      return FieldError(f + ".kind", "is not a usage kind");
    }
    if (e.price_micros() < 0) return FieldError(f + ".price_micros", "is negative");
    if (e.setup_fee_micros() < 0) {
      return FieldError(f + ".setup_fee_micros", "is negative");
    }
    if (e.per_quantity() < 1) {
      return FieldError(f + ".per_quantity", "must be at least 1");
    }
    if (e.increment() < 1) return FieldError(f + ".increment", "must be at least 1");
    if (e.first_increment() < 0) {
      return FieldError(f + ".first_increment", "is negative");
    }
    if (!e.band().empty()) {
      bool defined = false;
      for (const auto& b : v.bands()) defined |= b.name() == e.band();
      if (!defined) {
        return FieldError(f + ".band", absl::StrFormat("\"%s\" is not a band "
                                                       "of the plan",
                                                       e.band()));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const v1::RatePlanVersion*> VersionAt(
    const std::vector<v1::RatePlanVersion>& versions, absl::Time start) {
  const v1::RatePlanVersion* best = nullptr;
  absl::Time best_from = absl::InfinitePast();
  for (const auto& v : versions) {
    auto from = ParseUsageTime(v.effective_from(), "plan.effective_from");
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

absl::StatusOr<v1::RatedUsage> RateRecord(const v1::RatePlanVersion& version,
                                          const absl::TimeZone& zone,
                                          const v1::UsageRecord& record) {
  auto start = ParseUsageTime(record.start_time(), "record.start_time");
  if (!start.ok()) return start.status();
  // 1. The longest matching prefix among the kind's entries.
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
  if (base == nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "no rate for %s to %s in plan %s (version from %s)",
        v1::UsageKind_Name(record.kind()), record.destination(),
        version.plan_id(), version.effective_from()));
  }
  const std::string& prefix = base->destination_prefix();
  auto entry_for_band = [&](const std::string& band) -> const v1::RateEntry* {
    const v1::RateEntry* fallback = nullptr;
    for (const auto& e : version.entries()) {
      if (e.kind() != record.kind() || e.destination_prefix() != prefix) {
        continue;
      }
      if (e.band() == band) return &e;
      if (e.band().empty()) fallback = &e;
    }
    return fallback;
  };
  // The entry at the start gives the increments and the set-up fee.
  const std::string start_band =
      version.bands_size() > 0 ? BandAtTime(version, zone, *start) : "";
  const v1::RateEntry* first = entry_for_band(start_band);
  if (first == nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "no rate for %s to %s in band \"%s\" of plan %s",
        v1::UsageKind_Name(record.kind()), record.destination(), start_band,
        version.plan_id()));
  }
  v1::RatedUsage out;
  out.set_plan_id(version.plan_id());
  out.set_plan_effective_from(version.effective_from());
  out.set_matched_prefix(prefix);
  out.set_zone_label(first->zone_label());
  const int64_t billed = Billed(record.quantity(), *first);
  out.set_billed_quantity(billed);
  if (billed == 0) return out;
  out.set_setup_fee_micros(first->setup_fee_micros());
  absl::int128 total = first->setup_fee_micros();

  // 2. Segments: only durations are laid on the clock; messages and bytes
  // take the band of their start.
  const bool timed = UnitOfKind(record.kind()) == v1::USAGE_UNIT_SECONDS &&
                     version.bands_size() > 0;
  int64_t remaining = billed;
  absl::Time t = *start;
  // Each loop ends a segment at a band change or at the end; a band change
  // happens at most at every minute boundary: bounded by the minutes in
  // kRatedSecondsMax plus one.
  for (int guard = 0; remaining > 0 && guard <= kRatedSecondsMax / 60 + 2;
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
    const v1::RateEntry* e = entry_for_band(band);
    if (e == nullptr) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "no rate for %s to %s in band \"%s\" of plan %s",
          v1::UsageKind_Name(record.kind()), record.destination(), band,
          version.plan_id()));
    }
    v1::RatedSegment* seg = out.add_segments();
    seg->set_band(band);
    seg->set_billed_quantity(length);
    seg->set_price_micros(e->price_micros());
    seg->set_per_quantity(e->per_quantity());
    seg->set_amount_micros(Amount(length, *e));
    total += seg->amount_micros();
    remaining -= length;
    t += absl::Seconds(length);
  }
  if (remaining > 0) {
    return absl::InternalError("rating did not converge");  // unreachable
  }
  if (total > std::numeric_limits<int64_t>::max()) {
    return absl::OutOfRangeError("amount does not fit in 64 bits");
  }
  out.set_amount_micros(static_cast<int64_t>(total));
  return out;
}

}  // namespace billing
