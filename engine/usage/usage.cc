#include "engine/usage/usage.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/keys.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/structure/structure.h"
#include "engine/usage/rating.h"

namespace billing {
namespace {

constexpr absl::string_view kPlanVersionDefinedType =
    "usage.plan_version_defined";
constexpr absl::string_view kPlanAssignedType = "usage.plan_assigned";
constexpr absl::string_view kRecordedType = "usage.recorded";
constexpr absl::string_view kQuarantinedType = "usage.quarantined";
constexpr absl::string_view kInputQuarantinedType = "usage.input_quarantined";
constexpr absl::string_view kQuarantineReleasedType =
    "usage.quarantine_released";
//   uqin/<offset, 20 digits>                  billing.v1.QuarantinedInput
//                                             (the "@quarantine" partition)
constexpr absl::string_view kInputPrefix = "uqin/";

// Key families of the usage domain (engine/core/keys.h lists the others):
//   uplan/<customer>/<plan>/<effective_from, 20-digit unix seconds>
//                                             billing.v1.RatePlanVersion
//   uassign/<customer>/<object>               plan_id
//   useen/<customer>/<platform>/<record_id>   "r" recorded, "q" quarantined
//   utot/<customer>/<month>/<object>/<kind>/<zone>  billing.v1.UsageTotals
//   urec/<customer>/<month>/<object>/<platform>/<record_id>
//                                             billing.v1.UsageRecorded
//   uquar/<customer>/<platform>/<record_id>   billing.v1.UsageQuarantined
constexpr absl::string_view kPlanPrefix = "uplan/";
constexpr absl::string_view kAssignPrefix = "uassign/";
constexpr absl::string_view kSeenPrefix = "useen/";
constexpr absl::string_view kTotalsPrefix = "utot/";
constexpr absl::string_view kRecordPrefix = "urec/";
constexpr absl::string_view kQuarantinePrefix = "uquar/";

std::string PlanPrefix(absl::string_view c, absl::string_view plan) {
  return absl::StrCat(kPlanPrefix, c, "/", plan, "/");
}
std::string SeenKey(absl::string_view c, const v1::UsageRecord& r) {
  return absl::StrCat(kSeenPrefix, c, "/", r.platform_id(), "/", r.record_id());
}
std::string QuarantineKey(absl::string_view c, const v1::UsageRecord& r) {
  return absl::StrCat(kQuarantinePrefix, c, "/", r.platform_id(), "/",
                      r.record_id());
}
std::string MonthPrefix(absl::string_view family, absl::string_view c,
                        absl::string_view month, absl::string_view object) {
  return object.empty() ? absl::StrCat(family, c, "/", month, "/")
                        : absl::StrCat(family, c, "/", month, "/", object, "/");
}

absl::StatusOr<std::vector<v1::RatePlanVersion>> PlanVersions(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view plan_id) {
  return ScanMessages<v1::RatePlanVersion>(
      state, PlanPrefix(customer_id, plan_id), 100'000);
}

// The plan pricing `object_id`: its own, else its account's.
absl::StatusOr<std::string> PlanOf(const StateReader& state,
                                   absl::string_view customer_id,
                                   const v1::BillableObject& object) {
  for (const std::string& id : {object.object_id(), object.parent_id()}) {
    if (id.empty()) continue;
    auto plan = state.Get(absl::StrCat(kAssignPrefix, customer_id, "/", id));
    if (!plan.ok()) return plan.status();
    if (plan->has_value()) return **plan;
  }
  return std::string();
}

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
  return std::vector<v1::EventEnvelope>{std::move(e)};
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
  return std::vector<v1::EventEnvelope>{std::move(e)};
}

// utot/<customer>/<month>/<object>/<kind>/<zone>: the totals a rated record
// adds to. The zone is the entry's label, else its prefix.
std::string TotalsKey(absl::string_view customer_id,
                      const v1::UsageRecorded& u) {
  const v1::RatedUsage& rated = u.rated();
  const std::string& zone =
      rated.zone_label().empty() ? rated.matched_prefix() : rated.zone_label();
  return absl::StrCat(
      MonthPrefix(kTotalsPrefix, customer_id, u.month(), u.object_id()),
      v1::UsageKind_Name(u.record().kind()), "/", zone);
}

// `t` with the record `u` added: the one rule for decide (which quarantines
// a record that fails it) and apply (which then never sees one). Every sum
// is checked: OutOfRange naming the field whose month total would overflow,
// or that is negative (never decided; only a damaged event holds one).
absl::StatusOr<v1::UsageTotals> AddedToTotals(v1::UsageTotals t,
                                              const v1::UsageRecorded& u) {
  const v1::RatedUsage& rated = u.rated();
  t.set_object_id(u.object_id());
  t.set_month(u.month());
  t.set_kind(u.record().kind());
  t.set_zone(rated.zone_label().empty() ? rated.matched_prefix()
                                        : rated.zone_label());
  auto add = [&](absl::string_view field, absl::string_view total_name,
                 int64_t total, int64_t value, int64_t& sum) -> absl::Status {
    if (value >= 0 && !__builtin_add_overflow(total, value, &sum)) {
      return absl::OkStatus();
    }
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: %d %s the month's %s %d of object %s (%s, zone %s, %s)", field,
        value, value < 0 ? "is negative: it cannot be added to" : "overflows",
        total_name, total, QuoteValue(t.object_id()),
        v1::UsageKind_Name(t.kind()), QuoteValue(t.zone()), t.month()));
  };
  int64_t records, quantity, billed, amount;
  for (const absl::Status& s :
       {add("record.quantity", "quantity total", t.quantity(),
            u.record().quantity(), quantity),
        add("rated.billed_quantity", "billed quantity total",
            t.billed_quantity(), rated.billed_quantity(), billed),
        add("rated.amount_micros", "amount total", t.amount_micros(),
            rated.amount_micros(), amount),
        add("record", "count of records", t.records(), 1, records)}) {
    if (!s.ok()) return s;
  }
  t.set_records(records);
  t.set_quantity(quantity);
  t.set_billed_quantity(billed);
  t.set_amount_micros(amount);
  return t;
}

// Rates `u.record()` on its object into `u.rated()`. Returns "" when it can
// be billed, else the reason it is quarantined with (in this order): the
// object did not exist in the record's month, no plan, no version at its
// start, an unknown time zone, no rate for it, a rating beyond int64, a
// month total that would overflow. Other errors: the state's.
absl::StatusOr<std::string> RateOnObject(const StateReader& state,
                                         absl::string_view customer_id,
                                         const v1::BillableObject& object,
                                         const TimeZoneResolver& zones,
                                         v1::UsageRecorded& u) {
  const v1::UsageRecord& r = u.record();
  // Usage totals report the entity and discount of their month
  // (AssignmentForMonth): a month before the object's creation has none.
  auto month = ParseBillingMonth(u.month(), "record.start_time");
  if (!month.ok()) return month.status();
  auto change =
      AssignmentForMonth(state, customer_id, object.object_id(), *month);
  if (absl::IsNotFound(change.status())) {
    return absl::StrFormat(
        "object %s did not exist in %s (created %s): usage of a month "
        "before its creation cannot be billed",
        QuoteValue(object.object_id()), u.month(), object.created_on());
  }
  if (!change.ok()) return change.status();
  auto plan_id = PlanOf(state, customer_id, object);
  if (!plan_id.ok()) return plan_id.status();
  if (plan_id->empty()) {
    return absl::StrFormat("no rate plan for object %s or its account",
                           QuoteValue(object.object_id()));
  }
  auto versions = PlanVersions(state, customer_id, *plan_id);
  if (!versions.ok()) return versions.status();
  auto start = ParseUsageTime(r.start_time(), "record.start_time");
  if (!start.ok()) return start.status();
  auto version = VersionAt(*versions, *start);
  if (!version.ok()) {
    return absl::StrFormat("plan %s: %s", QuoteValue(*plan_id),
                           version.status().message());
  }
  auto zone = zones((*version)->time_zone());
  if (!zone.ok()) {
    return absl::StrFormat("plan %s: time zone: %s", QuoteValue(*plan_id),
                           zone.status().message());
  }
  auto rated = RateRecord(**version, *zone, r);
  if (absl::IsFailedPrecondition(rated.status()) ||
      absl::IsOutOfRange(rated.status())) {
    return std::string(rated.status().message());
  }
  if (!rated.ok()) return rated.status();
  *u.mutable_rated() = std::move(*rated);
  auto totals = GetMessage<v1::UsageTotals>(state, TotalsKey(customer_id, u));
  if (!totals.ok()) return totals.status();
  auto added = AddedToTotals(totals->value_or(v1::UsageTotals()), u);
  if (!added.ok()) return std::string(added.status().message());
  return std::string();
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideRecord(
    const StateReader& state, absl::string_view customer_id,
    const v1::RecordUsage& command, BusinessDate date,
    const TimeZoneResolver& zones) {
  const v1::UsageRecord& r = command.record();
  if (auto s = ValidateUsageRecordFields(r); !s.ok()) return s;
  auto object_id = ResolveUsageObject(state, customer_id, r.object());
  if (!object_id.ok()) return object_id.status();
  auto object = object_id->has_value()
                    ? LoadObject(state, customer_id, **object_id)
                    : std::optional<v1::BillableObject>();
  if (!object.ok()) return object.status();
  if (!object->has_value()) {
    return Reject(
        record_usage::kObjectNotFound,
        absl::StrFormat("record.object: %s is not a phone number or "
                        "object of customer %s",
                        QuoteValue(r.object()), QuoteValue(customer_id)));
  }
  auto seen = state.Get(SeenKey(customer_id, r));
  if (!seen.ok()) return seen.status();
  if (seen->has_value() && **seen == "r") {
    return Reject(record_usage::kAlreadyBilled,
                  absl::StrFormat("record: platform %s record %s is already "
                                  "billed",
                                  QuoteValue(r.platform_id()),
                                  QuoteValue(r.record_id())));
  }
  // From here on the record belongs to the customer: what cannot be rated
  // is quarantined with its reason, never dropped.
  v1::UsageRecorded u;
  *u.mutable_record() = r;
  u.set_object_id(**object_id);
  // RFC 3339 starts with the local date as the platform wrote it.
  u.set_month(r.start_time().substr(0, 7));
  auto reason = RateOnObject(state, customer_id, **object, zones, u);
  if (!reason.ok()) return reason.status();
  if (!reason->empty()) {
    v1::EventEnvelope e = NewEvent(kQuarantinedType, customer_id, date);
    auto* q = e.mutable_usage()->mutable_quarantined();
    *q->mutable_record() = r;
    q->set_object_id(**object_id);
    q->set_reason(std::move(*reason));
    return std::vector<v1::EventEnvelope>{std::move(e)};
  }
  v1::EventEnvelope e = NewEvent(kRecordedType, customer_id, date);
  *e.mutable_usage()->mutable_recorded() = std::move(u);
  return std::vector<v1::EventEnvelope>{std::move(e)};
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
  return std::vector<v1::EventEnvelope>{std::move(e)};
}

// Decide quarantined every record whose sums would not fit: one here is a
// damaged or foreign event, and stops the projection (a wrong bill is worse
// than none).
absl::Status AddToTotals(StateWriter& state, absl::string_view customer_id,
                         const v1::UsageRecorded& u) {
  const std::string key = TotalsKey(customer_id, u);
  auto totals = GetMessage<v1::UsageTotals>(state, key);
  if (!totals.ok()) return totals.status();
  auto added = AddedToTotals(totals->value_or(v1::UsageTotals()), u);
  if (!added.ok()) {
    return absl::DataLossError(absl::StrFormat(
        "usage record %s/%s does not add to its totals: %s",
        u.record().platform_id(), absl::CHexEscape(u.record().record_id()),
        added.status().message()));
  }
  PutMessage(state, key, *added);
  return absl::OkStatus();
}

absl::Status ApplyRecorded(StateWriter& state, absl::string_view c,
                           const v1::UsageRecorded& u) {
  const std::string seen = SeenKey(c, u.record());
  auto before = state.Get(seen);
  if (!before.ok()) return before.status();
  if (before->has_value() && **before == "r") {
    return absl::DataLossError(
        absl::StrFormat("usage record %s/%s recorded twice",
                        u.record().platform_id(), u.record().record_id()));
  }
  state.Put(seen, "r");
  // Only a record quarantined before leaves the quarantine: a blind delete
  // per record would leave a tombstone per record behind.
  if (before->has_value()) state.Delete(QuarantineKey(c, u.record()));
  PutMessage(
      state,
      absl::StrCat(MonthPrefix(kRecordPrefix, c, u.month(), u.object_id()),
                   u.record().platform_id(), "/", u.record().record_id()),
      u);
  return AddToTotals(state, c, u);
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
    BusinessDate business_date, const TimeZoneResolver& zones) {
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
    case v1::UsageEvent::kQuarantined: {
      const auto& q = e.quarantined();
      state.Put(SeenKey(c, q.record()), "q");
      PutMessage(state, QuarantineKey(c, q.record()), q);
      return absl::OkStatus();
    }
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
