#pragma once

// Rating of call detail records (SPEC.md section 3), pure: a record and the
// plan version in force at its start time give a RatedUsage. Time zones are
// passed in (loading one reads files, which the engine does not do).
//
// The rules, in order:
//   1. entry: among the version's entries of the record's kind, the longest
//      destination_prefix that starts the destination;
//   2. billed quantity: 0 stays 0 (an unanswered call costs nothing, no
//      set-up fee); otherwise at least first_increment, then rounded up to
//      the next multiple of increment past it (61 s with 60/1 -> 61 s; with
//      30/30 -> 90 s);
//   3. time bands: the billed duration is laid from the start time and cut
//      where the band changes; each segment is priced with its band's entry
//      for the matched prefix (or the prefix's "" entry outside any band);
//      the set-up fee is charged once, from the entry in force at the start;
//   4. amount: per segment, billed x price / per_quantity rounded half away
//      from zero to the micro; plus the set-up fee.
// Example: 61 s at 0.020000 EUR per 60 s, first 60 then per 1 s, set-up
// 0.050000: 0.050000 + 0.020333 = 0.070333 EUR.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/v1/usage.pb.h"

namespace billing {

// Longest a record may last to be rated: 7 days of seconds. Beyond, the
// record is quarantined (a platform clock or unit error, not a call).
inline constexpr int64_t kRatedSecondsMax = 7 * 24 * 3600;

// RFC 3339 with an offset or Z. InvalidArgument naming `field`.
absl::StatusOr<absl::Time> ParseUsageTime(absl::string_view text,
                                          absl::string_view field);

// Every field of a record, in declaration order: the first bad one is named
// ("record.destination: \"123\" is not E.164 or a zone").
absl::Status ValidateUsageRecord(const v1::UsageRecord& record);

// A plan version's own consistency (ids, prices >= 0, per_quantity and
// increment >= 1, bands within a day, entries' bands defined).
absl::Status ValidateRatePlanVersion(const v1::RatePlanVersion& version);

// The version in force at `start`: the latest effective_from not after it.
// NotFound when every version starts later. Versions need not be sorted.
absl::StatusOr<const v1::RatePlanVersion*> VersionAt(
    const std::vector<v1::RatePlanVersion>& versions, absl::Time start);

// Rates `record` with `version`; `zone` is the version's time zone, loaded
// by the caller. FailedPrecondition when no entry matches (the record is
// then quarantined with that reason).
absl::StatusOr<v1::RatedUsage> RateRecord(const v1::RatePlanVersion& version,
                                          const absl::TimeZone& zone,
                                          const v1::UsageRecord& record);

}  // namespace billing
