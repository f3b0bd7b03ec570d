#pragma once

// Telephony usage of one customer (SPEC.md section 3): rate plans, and call
// detail records rated into per-object, per-month totals. Deciding a record
// rates it (engine/usage/rating.h) with the plan version in force at its start
// time; the event carries the rating, so replaying the log never re-rates and
// gives byte-identical totals. Totals carry no entity or discount: those are
// taken for the record's month when a total is invoiced (AssignmentForMonth),
// so a reassignment later in the month still moves the whole month, whatever
// the order records and commands arrived in.
//
// A record is billed once: a second record with the same (platform_id,
// record_id) is ALREADY_EXISTS (ingest counts it as a duplicate). A record of
// this customer that cannot be billed becomes usage.quarantined with the
// reason, in this order: its object did not exist in the record's month
// (created later: AssignmentForMonth has no entity for it), no plan, no
// version at its start, an unknown time zone, no rate for its destination,
// a rating beyond int64 ("record.quantity: ..."), or a month total (object,
// kind, zone) that would overflow, naming the field ("record.quantity",
// "rated.billed_quantity", "rated.amount_micros"). The same record sent
// again later (replay) is rated then, if it can be. Totals therefore never
// overflow and are never negative: apply refuses, DATA_LOSS, an event that
// would make them so (decide never makes one).
//
// Rejections (the services layer quarantines these before they reach a
// customer): record.* fields (engine/usage/rating.h, including the limits there),
// record.object (NOT_FOUND when it is not a phone number or object of the
// customer), then ALREADY_EXISTS. A plan version is refused with
// INVALID_ARGUMENT naming the field ("version.entries[2]: ...") when it is
// beyond a limit or could never rate (ValidateRatePlanVersion), when the
// resolver does not know its time zone ("version.time_zone"), or when its
// currency is not the customer's ("version.currency").

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
#include "engine/core/dates.h"
#include "engine/core/state.h"

namespace billing {

// The partition key of usage inputs no customer could take (malformed
// messages, invalid records, unknown numbers): not a valid customer code, so
// it never collides with a customer.
inline constexpr absl::string_view kQuarantinePartitionKey = "@quarantine";

// Turns a plan's IANA time zone name into a zone. Injected, because loading
// a zone reads tzdata files and the engine does no I/O. Empty name: UTC.
// Asked when a version is defined (an unknown zone is refused) and when a
// record is rated; never on apply or replay (the rating is in the event).
using TimeZoneResolver =
    std::function<absl::StatusOr<absl::TimeZone>(absl::string_view name)>;

// Knows only "" and "UTC": tests and replays that need no bands.
TimeZoneResolver UtcOnlyTimeZones();

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideUsage(
    const StateReader& state, const v1::UsageCommand& command,
    BusinessDate business_date, const TimeZoneResolver& zones);

// "usage.plan_version_defined", ...; empty when unset.
absl::string_view UsageEventType(const v1::UsageEvent& event);

absl::Status ApplyUsageEvent(StateWriter& state, const v1::EventEnvelope& event,
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
// object, kind and zone, each with the entity and discount in force for its
// object in that month (AssignmentForMonth, as `object get --month` shows;
// left empty only for totals an older log recorded before the object's
// creation month). InvalidArgument naming "month" when it is not YYYY-MM.
absl::StatusOr<std::vector<v1::UsageTotals>> UsageTotalsFor(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view month, absl::string_view object_id);

// The rated records behind those totals, in key order, at most
// `records_max`.
absl::StatusOr<std::vector<v1::UsageRecorded>> RatedRecordsFor(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view month, absl::string_view object_id, size_t records_max);

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
