#pragma once

// Rating of call detail records, pure: a record and the
// plan version in force at its start time give a RatedUsage. Time zones are
// passed in (loading one reads files, which the engine does not do).
//
// The rules, in order:
//   1. entry: among the version's entries of the record's kind, the longest
//      destination_prefix that starts the destination;
//   2. billed quantity, by the entry in force at the start: 0 stays 0 (an
//      unanswered call costs nothing: no set-up fee, no minimum); otherwise
//      at least first_increment, then rounded up to the next multiple of
//      increment past it (61 s with 60/1 -> 61 s; with 30/30 -> 90 s). With
//      intervals: at least first_increment, then rounded up to the step of
//      the interval it ends in (95 s with {0: step 60, 60: step 1} -> 95 s;
//      130 s with {0: step 20, 120: step 6} -> 132 s);
//   3. segments: the billed quantity is laid from position 0 (the start
//      time) and cut where the time band changes and where an interval of
//      the pricing entry ends; each segment is priced with its band's entry
//      for the matched prefix (or the prefix's "" entry outside any band)
//      and, when that entry has intervals, with its interval at the
//      segment's position, counted from the record's start across bands;
//   4. amount: per segment, billed x price / per_quantity rounded half away
//      from zero to the micro; plus the set-up fee, charged once, from the
//      entry in force at the start; then that entry's rounding (up, half-up
//      or down to a number of decimals) and minimum charge.
// Example: 61 s at 0.020000 EUR per 60 s, first 60 then per 1 s, set-up
// 0.050000: 0.050000 + 0.020333 = 0.070333 EUR. With intervals "the first
// minute at 0.15 per minute as one 60 s step, then 0.06 per minute per
// second", 95 s: 0.150000 + 0.06 x 35 / 60 = 0.185000 EUR.

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/v1/usage.pb.h"
#include "engine/core/rejection.h"
#include "engine/core/validation.h"

namespace billing {

// Longest a record may last to be rated: 7 days of seconds. Beyond, the
// record is quarantined (a platform clock or unit error, not a call).
inline constexpr int64_t kRatedSecondsMax = int64_t{7} * 24 * 3600;

// --- Limits (docs/usage.md, "Limits") ---
// Chosen to cover real telephony with a wide margin. A record beyond them is
// refused by ValidateUsageRecord (ingest quarantines it naming the field); a
// plan version beyond them is refused at definition, INVALID_ARGUMENT naming
// the field. Within them a product can still exceed int64 (10^12 units at
// 10^12 micros), so rating and totals check every product and sum: such a
// record is quarantined on its customer naming the field, never wrapped.

// UsageRecord.quantity, in the kind's unit: 10^12 (1 TB of data in one
// record; seconds are further bounded by kRatedSecondsMax).
inline constexpr int64_t kQuantityMax = 1'000'000'000'000;
// RateEntry.price_micros: 10^12 millionths, 1,000,000 currency units per
// per_quantity.
inline constexpr int64_t kPriceMicrosMax = 1'000'000'000'000;
// RateEntry.setup_fee_micros: 10^12 millionths.
inline constexpr int64_t kSetupFeeMicrosMax = 1'000'000'000'000;
// RateEntry.per_quantity: 1 to 10^12 units (a price per TB).
inline constexpr int64_t kPerQuantityMax = 1'000'000'000'000;
// RateEntry.increment (1 to it) and first_increment (0 to it), in units;
// for kinds counted in seconds at most kRatedSecondsMax.
inline constexpr int64_t kIncrementMax = 1'000'000'000'000;
// A timed record's billed duration can reach the call plus one increment,
// or the first increment: at most this, which bounds the segments laid on
// the clock.
inline constexpr int64_t kBilledSecondsMax = 2 * kRatedSecondsMax;
// RateEntry.intervals: at most 16 (real tariffs have two or three).
inline constexpr int kRateIntervalsMax = 16;
// RateEntry.minimum_charge_micros: 0 to 10^12 millionths.
inline constexpr int64_t kMinimumChargeMicrosMax = 1'000'000'000'000;
// AmountRounding.decimals: 0 to 6 (6 is the micro: no change).
inline constexpr int kRoundingDecimalsMax = 6;
// RatePlanVersion.entries: 1 to 4096; bands: at most 64.
inline constexpr int kRateEntriesMax = 4096;
inline constexpr int kTimeBandsMax = 64;
// RateEntry.destination_prefix: "", "+" then up to 15 digits (not starting
// with 0), or "zone:" then a code (limits::kCodeLengthMax characters).
inline constexpr size_t kE164PrefixBytesMax = 16;
inline constexpr size_t kZoneCodeBytesMax = limits::kCodeLengthMax;
// RateEntry.zone_label: at most 64 characters of UTF-8 text.
inline constexpr size_t kZoneLabelCharsMax = 64;
// RatePlanVersion.time_zone: an IANA name of at most 64 bytes of
// A-Z a-z 0-9 / _ + -, known to the resolver.
inline constexpr size_t kTimeZoneNameBytesMax = 64;

// The reasons a record's fields are refused, in precedence order (the
// first reasons of usage's record_usage, engine/usage/usage.h).
namespace usage_record_rejections {
inline constexpr Rejection kPlatformIdInvalid{
    "RECORD_PLATFORM_ID_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kRecordIdInvalid{"RECORD_ID_INVALID",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kObjectInvalid{"RECORD_OBJECT_INVALID",
                                          absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kStartTimeInvalid{
    "RECORD_START_TIME_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kKindInvalid{"RECORD_KIND_INVALID",
                                        absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kQuantityInvalid{"RECORD_QUANTITY_INVALID",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kUnitInvalid{"RECORD_UNIT_INVALID",
                                        absl::StatusCode::kInvalidArgument};
// A duration beyond kRatedSecondsMax (checked once the unit fits the kind).
inline constexpr Rejection kDurationTooLong{"RECORD_DURATION_TOO_LONG",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kDestinationInvalid{
    "RECORD_DESTINATION_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kAttributesInvalid{
    "RECORD_ATTRIBUTES_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {
    kPlatformIdInvalid,  kRecordIdInvalid,  kObjectInvalid, kStartTimeInvalid,
    kKindInvalid,        kQuantityInvalid,  kUnitInvalid,   kDurationTooLong,
    kDestinationInvalid, kAttributesInvalid};
}  // namespace usage_record_rejections

// The reasons a plan version is refused on its own, one per field, in
// precedence order (the first reasons of usage's define_plan_version).
namespace plan_version_rejections {
inline constexpr Rejection kPlanIdInvalid{"PLAN_ID_INVALID",
                                          absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kEffectiveFromInvalid{
    "PLAN_EFFECTIVE_FROM_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kCurrencyInvalid{"PLAN_CURRENCY_INVALID",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kTimeZoneInvalid{"PLAN_TIME_ZONE_INVALID",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kBandsInvalid{"PLAN_BANDS_INVALID",
                                         absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kEntriesInvalid{"PLAN_ENTRIES_INVALID",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kPlanIdInvalid,   kEffectiveFromInvalid,
                                       kCurrencyInvalid, kTimeZoneInvalid,
                                       kBandsInvalid,    kEntriesInvalid};
}  // namespace plan_version_rejections

// RFC 3339 with an offset or Z. InvalidArgument naming `field`.
absl::StatusOr<absl::Time> ParseUsageTime(absl::string_view text,
                                          absl::string_view field);
// ParseUsageTime's fast path: the canonical form only
// (YYYY-MM-DDTHH:MM:SS[.f], 1 to 9 digits of fraction, Z or +HH:MM/-HH:MM,
// every field in range); nullopt for anything else, which absl's parser
// then reads or refuses. Where it reads a time, absl reads the same one
// (RatingTest.CanonicalTimesParseAsAbslParsesThem).
std::optional<absl::Time> ParseCanonicalUsageTime(absl::string_view text);

// Every field of a record, in declaration order: the first bad one is named
// ("record.destination: \"123\" is not E.164 or a zone"), with its
// rejection (usage_record_rejections).
absl::Status ValidateUsageRecordFields(const v1::UsageRecord& record);

// The same detail without the rejection's name: the reason ingest
// quarantines an invalid record with.
absl::Status ValidateUsageRecord(const v1::UsageRecord& record);

// A plan version's own consistency, fields named "version.<field>": ids,
// the time zone's spelling (whether it is known is for the caller, which
// has the resolver), bands within a day, 1 to kRateEntriesMax entries each
// within the limits above, prefixes that can match a destination, bands
// defined, no two entries for the same (kind, prefix, band); an entry's
// intervals start at 0, strictly increase, each step divides its
// interval's length, and the entry's own price, per_quantity and increment
// are then 0; a rounding mode known, its decimals 0 to 6. Each refusal
// named by its field (plan_version_rejections):
// "version.entries[0].intervals[1].from_quantity: ...".
absl::Status ValidateRatePlanVersion(const v1::RatePlanVersion& version);

// The version in force at `start`: the latest effective_from not after it.
// NotFound when every version starts later. Versions need not be sorted.
absl::StatusOr<const v1::RatePlanVersion*> VersionAt(
    const std::vector<v1::RatePlanVersion>& versions, absl::Time start);

// Rates `record` with `version`; `zone` is the version's time zone, loaded
// by the caller. FailedPrecondition when no entry matches; OutOfRange,
// naming the field, when the billed quantity or an amount does not fit in
// int64 or a timed record would be billed beyond kBilledSecondsMax (a
// version defined before the limits). The record is then quarantined with
// that reason. Every amount is >= 0.
absl::StatusOr<v1::RatedUsage> RateRecord(const v1::RatePlanVersion& version,
                                          const absl::TimeZone& zone,
                                          const v1::UsageRecord& record);

}  // namespace billing
