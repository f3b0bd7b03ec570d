#include "engine/usage/usage.h"

#include <algorithm>
#include <limits>

#include "absl/numeric/int128.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/keys.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/structure/structure.h"
#include "engine/usage/rating.h"
#include "engine/usage/usage_internal.h"

namespace billing {
namespace {

using usage_internal::ApplyBatchRecorded;
using usage_internal::ApplyQuarantined;
using usage_internal::ApplyRecorded;
using usage_internal::ApplyRerated;
using usage_internal::DecideRecord;
using usage_internal::DecideRecordBatch;
using usage_internal::DecideRerate;
using usage_internal::kAssignPrefix;
using usage_internal::kBatchRecordedType;
using usage_internal::kQuarantinedType;
using usage_internal::kQuarantinePrefix;
using usage_internal::kRecordedType;
using usage_internal::kRecordPrefix;
using usage_internal::kReratedType;
using usage_internal::kTotalsPrefix;
using usage_internal::MonthPrefix;
using usage_internal::PlanPrefix;
using usage_internal::PlanVersions;

constexpr absl::string_view kPlanVersionDefinedType =
    "usage.plan_version_defined";
constexpr absl::string_view kPlanAssignedType = "usage.plan_assigned";
constexpr absl::string_view kInputQuarantinedType = "usage.input_quarantined";
constexpr absl::string_view kQuarantineReleasedType =
    "usage.quarantine_released";
//   uqin/<offset, 20 digits>                  billing.v1.QuarantinedInput
//                                             (the "@quarantine" partition)
constexpr absl::string_view kInputPrefix = "uqin/";

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideDefinePlan(
    const StateReader& state, absl::string_view customer_id,
    const v1::DefineRatePlanVersion& command, BusinessDate date,
    const TimeZoneResolver& zones) {
  namespace r = define_plan_version;
  if (auto s = ValidateRatePlanVersion(command.version()); !s.ok()) return s;
  // A zone the resolver does not know would quarantine every record the
  // version prices: refused now. Records are rated at decide time with the
  // rating in their event, so a replay never needs the zone again.
  if (auto zone = zones(command.version().time_zone()); !zone.ok()) {
    return Reject(r::kTimeZoneUnknown,
                  absl::StrFormat("version.time_zone: %s is not a known time "
                                  "zone",
                                  QuoteValue(command.version().time_zone())));
  }
  auto customer = CustomerById(state, customer_id);
  if (!customer.ok()) return customer.status();
  if (command.version().currency() != customer->currency()) {
    return Reject(
        r::kCurrencyNotCustomers,
        absl::StrFormat("version.currency: %s differs from the "
                        "customer's currency %s",
                        command.version().currency(), customer->currency()));
  }
  v1::EventEnvelope e = NewEvent(kPlanVersionDefinedType, customer_id, date);
  *e.mutable_usage()->mutable_plan_version_defined()->mutable_version() =
      command.version();
  return OnlyEvent(std::move(e));
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideAssignPlan(
    const StateReader& state, absl::string_view customer_id,
    const v1::AssignRatePlan& command, BusinessDate date) {
  namespace r = assign_plan;
  if (auto s = ValidateObjectId("object_id", command.object_id()); !s.ok()) {
    return Named(r::kObjectIdInvalid, s);
  }
  auto object = LoadObject(state, customer_id, command.object_id());
  if (!object.ok()) return object.status();
  if (!object->has_value()) {
    return Reject(r::kObjectNotFound,
                  absl::StrFormat("object_id: %s is not an object of customer "
                                  "%s",
                                  QuoteValue(command.object_id()),
                                  QuoteValue(customer_id)));
  }
  if (auto s =
          ValidateCode("plan_id", command.plan_id(), limits::kCodeLengthMax);
      !s.ok()) {
    return Named(r::kPlanIdInvalid, s);
  }
  auto versions = PlanVersions(state, customer_id, command.plan_id());
  if (!versions.ok()) return versions.status();
  if (versions->empty()) {
    return Reject(r::kPlanHasNoVersion,
                  absl::StrFormat("plan_id: plan %s has no version; define "
                                  "one first",
                                  QuoteValue(command.plan_id())));
  }
  v1::EventEnvelope e = NewEvent(kPlanAssignedType, customer_id, date);
  e.mutable_usage()->mutable_plan_assigned()->set_object_id(
      command.object_id());
  e.mutable_usage()->mutable_plan_assigned()->set_plan_id(command.plan_id());
  return OnlyEvent(std::move(e));
}

std::string InputKey(int64_t offset) {
  return absl::StrCat(kInputPrefix, absl::StrFormat("%020d", offset));
}

// The "@quarantine" partition takes quarantine commands only.
absl::StatusOr<std::vector<v1::EventEnvelope>> DecideQuarantine(
    const StateReader& state, const v1::UsageCommand& command,
    BusinessDate business_date) {
  v1::EventEnvelope e;
  if (command.has_quarantine_input()) {
    const auto& in = command.quarantine_input();
    if (in.source().empty()) {
      return Reject(quarantine_input::kSourceRequired,
                    "quarantine_input.source: is required");
    }
    if (in.reason().empty()) {
      return Reject(quarantine_input::kReasonRequired,
                    "quarantine_input.reason: is required");
    }
    e = NewEvent(kInputQuarantinedType, kQuarantinePartitionKey, business_date);
    *e.mutable_usage()->mutable_input_quarantined() = in;
  } else if (command.has_release_quarantined()) {
    const auto& r = command.release_quarantined();
    auto held = GetMessage<v1::QuarantinedInput>(state, InputKey(r.offset()));
    if (!held.ok()) return held.status();
    if (!held->has_value()) {
      return Reject(release_quarantined::kInputNotFound,
                    absl::StrFormat("release_quarantined.offset: %d holds no "
                                    "quarantined input",
                                    r.offset()));
    }
    e = NewEvent(kQuarantineReleasedType, kQuarantinePartitionKey,
                 business_date);
    *e.mutable_usage()->mutable_quarantine_released() = r;
  } else {
    return Reject(usage_rejections::kCommandMisplaced,
                  "usage: only quarantine commands go to @quarantine");
  }
  return OnlyEvent(std::move(e));
}

}  // namespace

TimeZoneResolver UtcOnlyTimeZones() {
  return [](absl::string_view name) -> absl::StatusOr<absl::TimeZone> {
    if (name.empty() || name == "UTC") return absl::UTCTimeZone();
    return absl::FailedPreconditionError(
        absl::StrFormat("time zone %s is not loaded here", QuoteValue(name)));
  };
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideUsage(
    const StateReader& state, const v1::UsageCommand& command,
    BusinessDate business_date, const TimeZoneResolver& zones,
    UsageDecideMemo* memo) {
  const std::string& customer_id = command.customer_id();
  if (customer_id == kQuarantinePartitionKey) {
    return DecideQuarantine(state, command, business_date);
  }
  if (auto s = RequireCommandCustomer(state, customer_id); !s.ok()) return s;
  switch (command.body_case()) {
    case v1::UsageCommand::kDefinePlanVersion:
      return DecideDefinePlan(state, customer_id, command.define_plan_version(),
                              business_date, zones);
    case v1::UsageCommand::kAssignPlan:
      return DecideAssignPlan(state, customer_id, command.assign_plan(),
                              business_date);
    case v1::UsageCommand::kRecordUsage:
      return DecideRecord(state, customer_id, command.record_usage(),
                          business_date, zones, memo);
    case v1::UsageCommand::kRecordUsageBatch:
      return DecideRecordBatch(state, customer_id,
                               command.record_usage_batch(), business_date,
                               zones, memo);
    case v1::UsageCommand::kRerateUsage:
      return DecideRerate(state, customer_id, command.rerate_usage(),
                          business_date, zones);
    case v1::UsageCommand::kQuarantineInput:
    case v1::UsageCommand::kReleaseQuarantined:
      return Reject(usage_rejections::kCommandMisplaced,
                    "usage: quarantine commands go to @quarantine only");
    case v1::UsageCommand::BODY_NOT_SET:
      break;
  }
  return Reject(usage_rejections::kCommandEmpty, "usage: is empty");
}

absl::string_view UsageEventType(const v1::UsageEvent& event) {
  switch (event.body_case()) {
    case v1::UsageEvent::kPlanVersionDefined:
      return kPlanVersionDefinedType;
    case v1::UsageEvent::kPlanAssigned:
      return kPlanAssignedType;
    case v1::UsageEvent::kRecorded:
      return kRecordedType;
    case v1::UsageEvent::kQuarantined:
      return kQuarantinedType;
    case v1::UsageEvent::kBatchRecorded:
      return kBatchRecordedType;
    case v1::UsageEvent::kRerated:
      return kReratedType;
    case v1::UsageEvent::kInputQuarantined:
      return kInputQuarantinedType;
    case v1::UsageEvent::kQuarantineReleased:
      return kQuarantineReleasedType;
    case v1::UsageEvent::BODY_NOT_SET:
      break;
  }
  return {};
}

absl::Status ApplyUsageEvent(StateWriter& state, const v1::EventEnvelope& event,
                             const v1::LogPosition& position) {
  const std::string& c = event.customer_id();
  const v1::UsageEvent& e = event.usage();
  switch (e.body_case()) {
    case v1::UsageEvent::kPlanVersionDefined: {
      const auto& v = e.plan_version_defined().version();
      auto from = ParseUsageTime(v.effective_from(), "version.effective_from");
      if (!from.ok()) return absl::DataLossError(from.status().message());
      PutMessage(
          state,
          absl::StrCat(PlanPrefix(c, v.plan_id()),
                       absl::StrFormat("%020d", absl::ToUnixSeconds(*from))),
          v);
      return absl::OkStatus();
    }
    case v1::UsageEvent::kPlanAssigned:
      state.Put(
          absl::StrCat(kAssignPrefix, c, "/", e.plan_assigned().object_id()),
          e.plan_assigned().plan_id());
      return absl::OkStatus();
    case v1::UsageEvent::kRecorded:
      return ApplyRecorded(state, c, e.recorded());
    case v1::UsageEvent::kQuarantined:
      return ApplyQuarantined(state, c, e.quarantined());
    case v1::UsageEvent::kBatchRecorded:
      return ApplyBatchRecorded(state, c, e.batch_recorded());
    case v1::UsageEvent::kRerated:
      return ApplyRerated(state, c, e.rerated());
    case v1::UsageEvent::kInputQuarantined: {
      v1::QuarantinedInput held;
      *held.mutable_input() = e.input_quarantined();
      held.set_offset(position.offset());
      PutMessage(state, InputKey(position.offset()), held);
      return absl::OkStatus();
    }
    case v1::UsageEvent::kQuarantineReleased:
      state.Delete(InputKey(e.quarantine_released().offset()));
      return absl::OkStatus();
    case v1::UsageEvent::BODY_NOT_SET:
      break;
  }
  return absl::DataLossError("usage event without body");
}

absl::StatusOr<v1::UsageAnswer> UsageAnswerFor(const StateReader& state,
                                               const v1::LogRecord& record) {
  v1::UsageAnswer answer;
  const v1::UsageEvent& e = record.events(0).usage();
  if (e.has_recorded()) {
    *answer.mutable_rated() = e.recorded().rated();
    answer.set_object_id(e.recorded().object_id());
    answer.set_month(e.recorded().month());
  } else if (e.has_quarantined()) {
    answer.set_quarantine_reason(e.quarantined().reason());
    answer.set_object_id(e.quarantined().object_id());
  } else if (e.has_batch_recorded()) {
    answer.set_batch_outcomes(e.batch_recorded().outcomes());
    *answer.mutable_batch_reasons() = e.batch_recorded().reasons();
  } else if (e.has_rerated()) {
    const v1::UsageRerated& r = e.rerated();
    answer.set_rerate_examined(r.examined());
    answer.set_rerate_changed(r.rerated_size());
    *answer.mutable_rerate_kept() = r.kept();
    // Each difference fits int64 (amounts are >= 0); their sum, of at most
    // kRerateRecordsMax, in 128 bits, is clamped to int64 for the answer.
    absl::int128 delta = 0;
    for (const v1::RecordRerated& x : r.rerated()) {
      delta += absl::int128(x.rated().amount_micros()) - x.old_amount_micros();
    }
    const absl::int128 clamped =
        std::clamp<absl::int128>(delta, std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::max());
    answer.set_rerate_delta_micros(static_cast<int64_t>(clamped));
    answer.set_rerate_next(r.next());
  }
  return answer;
}

absl::StatusOr<std::optional<std::string>> ResolveUsageObject(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object) {
  if (!object.empty() && object[0] == '+') {
    return state.Get(E164Key(customer_id, object));
  }
  auto o = LoadObject(state, customer_id, object);
  if (!o.ok()) return o.status();
  if (!o->has_value()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(object));
}

absl::StatusOr<std::vector<v1::UsageTotals>> UsageTotalsFor(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view month, absl::string_view object_id) {
  auto billing_month = ParseBillingMonth(month, "month");
  if (!billing_month.ok()) return billing_month.status();
  auto totals = ScanMessages<v1::UsageTotals>(
      state, MonthPrefix(kTotalsPrefix, customer_id, month, object_id),
      1'000'000);
  if (!totals.ok()) return totals.status();
  for (auto& t : *totals) {
    // Resolved now, never stored: a reassignment later in the month still
    // moves it all. Every rated record's object existed in its month
    // (RateOnObject), so only totals from an older log lack one.
    auto change =
        AssignmentForMonth(state, customer_id, t.object_id(), *billing_month);
    if (change.ok()) {
      *t.mutable_assignment() = change->assignment();
    } else if (!absl::IsNotFound(change.status())) {
      return change.status();
    }
  }
  return totals;
}

absl::StatusOr<std::vector<v1::UsageRecorded>> RatedRecordsFor(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view month, absl::string_view object_id, size_t records_max) {
  return ScanMessages<v1::UsageRecorded>(
      state, MonthPrefix(kRecordPrefix, customer_id, month, object_id),
      records_max);
}

absl::StatusOr<std::vector<v1::QuarantinedInput>> QuarantinedInputs(
    const StateReader& state, int64_t after_offset, size_t records_max) {
  return ScanMessages<v1::QuarantinedInput>(
      state, kInputPrefix, records_max,
      after_offset < 0 ? std::string() : InputKey(after_offset));
}

absl::StatusOr<std::optional<std::string>> CustomerOfNumber(
    const StateReader& state, absl::string_view e164) {
  return state.Get(DirectoryKey(e164));
}

absl::StatusOr<std::vector<v1::UsageQuarantined>> QuarantinedUsage(
    const StateReader& state, absl::string_view customer_id,
    size_t records_max) {
  return ScanMessages<v1::UsageQuarantined>(
      state, absl::StrCat(kQuarantinePrefix, customer_id, "/"), records_max);
}

}  // namespace billing
