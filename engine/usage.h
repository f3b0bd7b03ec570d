#pragma once

// Telephony usage of one customer (SPEC.md section 3): rate plans, and call
// detail records rated into per-object, per-month totals. Deciding a record
// rates it (engine/rating.h) with the plan version in force at its start
// time; the event carries the rating, so replaying the log never re-rates and
// gives byte-identical totals. Totals carry no entity or discount: those are
// taken for the record's month when a total is invoiced (AssignmentForMonth),
// so a reassignment later in the month still moves the whole month, whatever
// the order records and commands arrived in.
//
// A record is billed once: a second record with the same (platform_id,
// record_id) is ALREADY_EXISTS (ingest counts it as a duplicate). A record of
// this customer that cannot be rated (no plan, no version at its start, no
// rate for its destination) becomes usage.quarantined with the reason; the
// same record sent again later (replay) is rated then.
//
// Rejections (the services layer quarantines these before they reach a
// customer): record.* fields (engine/rating.h), record.object (NOT_FOUND when
// it is not a phone number or object of the customer), then ALREADY_EXISTS.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "billing/v1/usage.pb.h"
#include "engine/dates.h"
#include "engine/state.h"

namespace billing {

// The partition key of usage inputs no customer could take (malformed
// messages, invalid records, unknown numbers): not a valid customer code, so
// it never collides with a customer.
inline constexpr absl::string_view kQuarantinePartitionKey = "@quarantine";

// Turns a plan's IANA time zone name into a zone. Injected, because loading
// a zone reads tzdata files and the engine does no I/O. Empty name: UTC.
using TimeZoneResolver =
    std::function<absl::StatusOr<absl::TimeZone>(absl::string_view name)>;

// Knows only "" and "UTC": tests and replays that need no bands.
TimeZoneResolver UtcOnlyTimeZones();

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideUsage(
    const StateReader& state, const v1::UsageCommand& command,
    BusinessDate business_date, const TimeZoneResolver& zones);

// "usage.plan_version_defined", ...; empty when unset.
absl::string_view UsageEventType(const v1::UsageEvent& event);

absl::Status ApplyUsageEvent(StateWriter& state,
                             const v1::EventEnvelope& event,
                             const v1::LogPosition& position);

absl::StatusOr<v1::UsageAnswer> UsageAnswerFor(const StateReader& state,
                                               const v1::LogRecord& record);

// --- queries ---

// The object a record's `object` names: an E.164 number of one of the
// customer's phone numbers, or an object id. nullopt when neither.
absl::StatusOr<std::optional<std::string>> ResolveUsageObject(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object);

// Totals of `month` ("YYYY-MM"), for one object or (empty) every object, by
// object, kind and zone.
absl::StatusOr<std::vector<v1::UsageTotals>> UsageTotalsFor(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view month, absl::string_view object_id);

// The rated records behind those totals, in key order, at most
// `records_max`.
absl::StatusOr<std::vector<v1::UsageRecorded>> RatedRecordsFor(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view month, absl::string_view object_id,
    size_t records_max);

// Inputs waiting in the "@quarantine" partition, by offset, at most
// `records_max`, from `after_offset` (exclusive; -1 for the first).
absl::StatusOr<std::vector<v1::QuarantinedInput>> QuarantinedInputs(
    const StateReader& state, int64_t after_offset, size_t records_max);

// The customer whose directory entry holds this E.164 number; nullopt when
// no customer has it.
absl::StatusOr<std::optional<std::string>> CustomerOfNumber(
    const StateReader& state, absl::string_view e164);

// Records of the customer waiting in quarantine, with their reasons.
absl::StatusOr<std::vector<v1::UsageQuarantined>> QuarantinedUsage(
    const StateReader& state, absl::string_view customer_id,
    size_t records_max);

}  // namespace billing
