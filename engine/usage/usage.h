#pragma once

// Telephony usage of one customer: rate plans, and call
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
// Each command's rejections are listed below in precedence order (kOrder:
// the first that applies is the answer); a rejection's message ends in
// " [NAME]" (engine/core/rejection.h). Ingest quarantines a record refused
// by its fields before it reaches a customer (ValidateUsageRecord, the
// detail without the name). A plan version is refused naming the field
// ("version.entries[2]: ...") when it is beyond a limit or could never rate
// (ValidateRatePlanVersion), when the resolver does not know its time zone,
// or when its currency is not the customer's.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "billing/v1/structure.pb.h"
#include "billing/v1/usage.pb.h"
#include "engine/core/dates.h"
#include "engine/core/domain.h"
#include "engine/core/rejection.h"
#include "engine/core/state.h"
#include "engine/customer/customer.h"
#include "engine/usage/rating.h"

namespace billing {

namespace usage_rejections {
inline constexpr Rejection kCustomerIdInvalid =
    customer_rejections::kCustomerIdInvalid;
inline constexpr Rejection kCustomerNotFound =
    customer_rejections::kCustomerNotFound;
// A UsageCommand without a body (after its customer).
inline constexpr Rejection kCommandEmpty{"USAGE_COMMAND_EMPTY",
                                         absl::StatusCode::kInvalidArgument};
// A quarantine command for a customer, or a customer's command for the
// "@quarantine" partition.
inline constexpr Rejection kCommandMisplaced{
    "USAGE_COMMAND_MISPLACED", absl::StatusCode::kInvalidArgument};
}  // namespace usage_rejections

// define_plan_version: the customer, the version's own fields, then its
// time zone and currency against the resolver and the customer.
namespace define_plan_version {
using usage_rejections::kCustomerIdInvalid;
using usage_rejections::kCustomerNotFound;
inline constexpr Rejection kTimeZoneUnknown{"PLAN_TIME_ZONE_UNKNOWN",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kCurrencyNotCustomers{
    "PLAN_CURRENCY_NOT_CUSTOMERS", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid,
    kCustomerNotFound,
    plan_version_rejections::kPlanIdInvalid,
    plan_version_rejections::kEffectiveFromInvalid,
    plan_version_rejections::kCurrencyInvalid,
    plan_version_rejections::kTimeZoneInvalid,
    plan_version_rejections::kBandsInvalid,
    plan_version_rejections::kEntriesInvalid,
    kTimeZoneUnknown,
    kCurrencyNotCustomers};
}  // namespace define_plan_version

// assign_plan: the object, then the plan (which needs a version).
namespace assign_plan {
using usage_rejections::kCustomerIdInvalid;
using usage_rejections::kCustomerNotFound;
inline constexpr Rejection kObjectIdInvalid{"OBJECT_ID_INVALID",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kObjectNotFound{"OBJECT_NOT_FOUND",
                                           absl::StatusCode::kNotFound};
inline constexpr Rejection kPlanIdInvalid =
    plan_version_rejections::kPlanIdInvalid;
inline constexpr Rejection kPlanHasNoVersion{
    "PLAN_HAS_NO_VERSION", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kCustomerNotFound,
                                       kObjectIdInvalid,   kObjectNotFound,
                                       kPlanIdInvalid,     kPlanHasNoVersion};
}  // namespace assign_plan

// record_usage: the record's fields (usage_record_rejections), its object
// (a phone number or object of the customer), then a record already billed
// (ingest counts it as a duplicate). A record that passes them but cannot
// be rated is quarantined, not refused (see above).
namespace record_usage {
using usage_rejections::kCustomerIdInvalid;
using usage_rejections::kCustomerNotFound;
inline constexpr Rejection kObjectNotFound{"RECORD_OBJECT_NOT_FOUND",
                                           absl::StatusCode::kNotFound};
inline constexpr Rejection kAlreadyBilled{"RECORD_ALREADY_BILLED",
                                          absl::StatusCode::kAlreadyExists};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid,
    kCustomerNotFound,
    usage_record_rejections::kPlatformIdInvalid,
    usage_record_rejections::kRecordIdInvalid,
    usage_record_rejections::kObjectInvalid,
    usage_record_rejections::kStartTimeInvalid,
    usage_record_rejections::kKindInvalid,
    usage_record_rejections::kQuantityInvalid,
    usage_record_rejections::kUnitInvalid,
    usage_record_rejections::kDurationTooLong,
    usage_record_rejections::kDestinationInvalid,
    usage_record_rejections::kAttributesInvalid,
    kObjectNotFound,
    kAlreadyBilled};
}  // namespace record_usage

// record_usage_batch: the records of one customer decided together (ingest's
// path). Each record is decided as record_usage decides it, except that a
// record quarantined before is answered with its reason ('h'), not rated
// again; a record refused or billed before does not refuse the batch: its
// outcome says so. Most records in one batch: kUsageBatchRecordsMax.
inline constexpr int kUsageBatchRecordsMax = 10'000;
namespace record_usage_batch {
using usage_rejections::kCustomerIdInvalid;
using usage_rejections::kCustomerNotFound;
inline constexpr Rejection kRecordsInvalid{"RECORD_BATCH_SIZE_INVALID",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kCustomerNotFound,
                                       kRecordsInvalid};
}  // namespace record_usage_batch

// rerate_usage: the records of a month rated again with the plan versions
// the state now holds (engine/usage/rerating.cc, docs/usage.md
// "Re-rating"). One command examines at most kRerateRecordsMax records, and
// stops earlier once its event holds kRerateEventBytesMax bytes of
// re-ratings (a journal record stays well under 1 MiB); the answer's
// rerate_next is the cursor of the next command. A page that changes
// nothing is still written (the cursor, and the records examined); a month
// with no rated record (of the object) after the cursor is refused
// NOTHING_TO_RERATE.
inline constexpr int kRerateRecordsMax = 1'000;
inline constexpr size_t kRerateEventBytesMax = 512 * 1024;
// Characters of a re-rating's reason.
inline constexpr size_t kRerateReasonLengthMax = 500;
// Bytes of RerateUsage.after (an object id, a platform id and a record id
// with two slashes fit).
inline constexpr size_t kRerateCursorBytesMax = 256;
namespace rerate_usage {
using usage_rejections::kCustomerIdInvalid;
using usage_rejections::kCustomerNotFound;
inline constexpr Rejection kMonthInvalid{"RERATE_MONTH_INVALID",
                                         absl::StatusCode::kInvalidArgument};
using assign_plan::kObjectIdInvalid;
using assign_plan::kObjectNotFound;
inline constexpr Rejection kReasonInvalid{"RERATE_REASON_INVALID",
                                          absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kAfterInvalid{"RERATE_AFTER_INVALID",
                                         absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kNothingToRerate{
    "NOTHING_TO_RERATE", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kCustomerNotFound, kMonthInvalid,  kObjectIdInvalid,
    kObjectNotFound,    kReasonInvalid,    kAfterInvalid,  kNothingToRerate};
}  // namespace rerate_usage

// The "@quarantine" partition's commands.
namespace quarantine_input {
inline constexpr Rejection kSourceRequired{"QUARANTINE_SOURCE_REQUIRED",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kReasonRequired{"QUARANTINE_REASON_REQUIRED",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kSourceRequired, kReasonRequired};
}  // namespace quarantine_input
namespace release_quarantined {
inline constexpr Rejection kInputNotFound{"QUARANTINED_INPUT_NOT_FOUND",
                                          absl::StatusCode::kNotFound};
inline constexpr Rejection kOrder[] = {kInputNotFound};
}  // namespace release_quarantined

// The partition key of usage inputs no customer could take (malformed
// messages, invalid records, unknown numbers): not a valid customer code, so
// it never collides with a customer.
inline constexpr absl::string_view kQuarantinePartitionKey = "@quarantine";

// TimeZoneResolver (engine/core/domain.h) turns a plan's IANA time zone
// name into a zone. Injected, because loading a zone reads tzdata files and
// the engine does no I/O. Empty name: UTC. Asked when a version is defined
// (an unknown zone is refused) and when a record is rated; never on apply or
// replay (the rating is in the event).

// Knows only "" and "UTC": tests and replays that need no bands.
TimeZoneResolver UtcOnlyTimeZones();

namespace usage_internal {
class RecordContext;
}  // namespace usage_internal

// What deciding call detail records reads that only the customer's own
// commands other than records can change: the objects records name (by
// number or id), each object's plan, each plan's versions. A caller that
// decides a partition's commands one after the other, against the state
// plus its own decisions in flight (a command lane), keeps one across
// batches, so that a customer's objects and plans are read once, not once
// per batch (with ~100 records a batch they were 15 % of ingest's
// instructions). Its contract, for the caller:
//   - Forget(customer) before deciding any command of that customer that is
//     not record_usage or record_usage_batch (structure, plans, anything);
//   - Clear() when a decided record's append may not have happened (an
//     unknown outcome), or when the partition may have been written by
//     anyone else (ownership lost or claimed again).
// The keys it stands for (obj/, e164/, uassign/, uplan/ of the customer)
// are written only by the applies of those commands' events, which carry
// the customer's id and land in its partition. At most kEntriesMax
// entries: beyond, it starts again empty. Not thread-safe.
class UsageDecideMemo {
 public:
  static constexpr size_t kEntriesMax = 50'000;

  void Forget(absl::string_view customer_id) { customers_.erase(customer_id); }
  void Clear() {
    customers_.clear();
    entries_ = 0;
  }
  size_t entries() const { return entries_; }

 private:
  friend class usage_internal::RecordContext;
  struct Customer {
    // By the name a record gives; nullopt: not the customer's.
    absl::flat_hash_map<std::string, std::optional<v1::BillableObject>>
        objects;
    absl::flat_hash_map<std::string, std::string> plans;  // object -> plan
    absl::flat_hash_map<std::string, std::vector<v1::RatePlanVersion>>
        versions;
  };
  // The customer's entries (cleared first when over kEntriesMax).
  Customer& Of(absl::string_view customer_id) {
    if (entries_ > kEntriesMax) Clear();
    return customers_[customer_id];
  }
  void Added() { ++entries_; }

  absl::flat_hash_map<std::string, Customer> customers_;
  size_t entries_ = 0;
};

// `memo`: null, or kept as UsageDecideMemo says.
absl::StatusOr<std::vector<v1::EventEnvelope>> DecideUsage(
    const StateReader& state, const v1::UsageCommand& command,
    BusinessDate business_date, const TimeZoneResolver& zones,
    UsageDecideMemo* memo = nullptr);

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

// This domain's registration (engine/usage/domain.cc), listed once in
// engine/engine.cc.
extern const Domain kUsageDomain;

}  // namespace billing
