// What is measured: meter readings, units of work, time spent, and the
// jobs conditional rules wait for.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/contracts/contracts.h"
#include "engine/contracts/decide_support.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/store.h"
#include "engine/contracts/text.h"
#include "engine/core/validation.h"

namespace billing::contracts_internal {
namespace {

// One time entry: at most a day.
constexpr int64_t kHoursPerEntryMaxMilli = 24'000;
// Objects named in a "not covered" message.
constexpr int kObjectsListedMax = 10;

absl::Status ValidateReadingKind(v1::ReadingKind kind) {
  if (kind == v1::READING_KIND_UNSPECIFIED) {
    return FieldError("reading.kind",
                      "is required (installation, regular or replacement)");
  }
  if (!v1::ReadingKind_IsValid(kind)) {
    return FieldError(
        "reading.kind",
        absl::StrFormat("%d is not a reading kind", static_cast<int>(kind)));
  }
  return absl::OkStatus();
}

absl::Status ValidateOldMeterValue(const v1::Reading& r) {
  if (!r.has_old_meter_final_value_milli()) return absl::OkStatus();
  if (r.kind() != v1::READING_KIND_REPLACEMENT) {
    return FieldError("reading.old_meter_final_value_milli",
                      "only a meter replacement has one");
  }
  return NotNegativeMilliAtMost("reading.old_meter_final_value_milli",
                                r.old_meter_final_value_milli(),
                                kReadingMilliMax);
}

// The reading's own fields, in the order of record_reading::kOrder.
absl::Status ValidateReadingShape(const v1::Reading& r) {
  namespace rej = record_reading;
  if (auto s = Named(rej::kContractRefInvalid,
                     Code("reading.contract_ref", r.contract_ref()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kRuleIdInvalid, Code("reading.rule_id", r.rule_id()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kObjectIdInvalid,
                     ValidateObjectId("reading.object_id", r.object_id()));
      !s.ok()) {
    return s;
  }
  auto date = NamedIf(rej::kDateInvalid,
                      RequiredDate("reading.reading_date", r.reading_date()));
  if (!date.ok()) return date.status();
  if (auto s = Named(rej::kKindInvalid, ValidateReadingKind(r.kind()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kValueInvalid,
                     NotNegativeMilliAtMost("reading.value_milli",
                                            r.value_milli(), kReadingMilliMax));
      !s.ok()) {
    return s;
  }
  return Named(rej::kOldMeterValueInvalid, ValidateOldMeterValue(r));
}

// The rule the reading goes to: a consumed-units rule covering its object.
absl::Status CheckReadingRule(const v1::BillingRule& rule,
                              const v1::Reading& r) {
  namespace rej = record_reading;
  if (rule.rule_type() != v1::RULE_TYPE_CONSUMED_UNITS) {
    return Refuse(rej::kRuleTypeMismatch, "reading.rule_id",
                  absl::StrFormat("rule %s is a %s rule; readings go to "
                                  "consumed-units rules",
                                  QuoteValue(r.rule_id()),
                                  RuleTypeName(rule.rule_type())));
  }
  if (std::find(rule.object_ids().begin(), rule.object_ids().end(),
                r.object_id()) != rule.object_ids().end()) {
    return absl::OkStatus();
  }
  std::vector<std::string> listed(
      rule.object_ids().begin(),
      rule.object_ids().begin() +
          std::min(rule.object_ids_size(), kObjectsListedMax));
  return Refuse(rej::kObjectNotCovered, "reading.object_id",
                absl::StrFormat(
                    "%s is not covered by rule %s (objects: %s%s)",
                    QuoteValue(r.object_id()), QuoteValue(r.rule_id()),
                    absl::StrJoin(listed, ", "),
                    rule.object_ids_size() > kObjectsListedMax ? ", ..." : ""));
}

// A reading after the object's first, against its latest reading m: not
// a second installation, not dated before it, and (unless it is a meter
// replacement) not below it. Readings are recorded in date order, so the
// latest is the previous one in date order too and no later reading exists
// for the new one to exceed. Below it is FailedPrecondition: the command is
// well formed, the meter's history makes it illegal now.
absl::Status CheckReadingAfter(const v1::MeterState& m, const v1::Reading& r) {
  namespace rej = record_reading;
  if (r.kind() == v1::READING_KIND_INSTALLATION) {
    return Refuse(rej::kKindOutOfSequence, "reading.kind",
                  absl::StrFormat("object %s already has its installation "
                                  "reading; a new meter is a replacement",
                                  QuoteValue(r.object_id())));
  }
  if (r.reading_date() < m.latest_date()) {
    return Refuse(
        rej::kDateBeforeLatest, "reading.reading_date",
        absl::StrFormat("%s is before the object's latest reading #%d of %s",
                        r.reading_date(), m.readings(), m.latest_date()));
  }
  if (r.kind() == v1::READING_KIND_REGULAR &&
      r.value_milli() < m.latest_value_milli()) {
    return Refuse(
        rej::kValueBelowPrevious, "reading.value_milli",
        absl::StrFormat("%s on %s is below %s on %s (reading #%d, the "
                        "previous reading of object %s); record a meter "
                        "replacement if the meter was changed",
                        FormatMilli(r.value_milli()), r.reading_date(),
                        FormatMilli(m.latest_value_milli()), m.latest_date(),
                        m.readings(), r.object_id()));
  }
  if (r.has_old_meter_final_value_milli() &&
      r.old_meter_final_value_milli() < m.latest_value_milli()) {
    return Refuse(
        rej::kOldMeterValueBelowLatest, "reading.old_meter_final_value_milli",
        absl::StrFormat("%s is lower than the old meter's latest reading "
                        "%s of %s",
                        FormatMilli(r.old_meter_final_value_milli()),
                        FormatMilli(m.latest_value_milli()), m.latest_date()));
  }
  return absl::OkStatus();
}

// Where a work-units or time entry goes: its prefix ("units", "entry"),
// the rule type it needs, and what it is called in a message.
struct EntryTarget {
  absl::string_view prefix;
  v1::RuleType type;
  absl::string_view what;
};

// A rule of the target's type whose dates hold `day`.
absl::StatusOr<v1::BillingRule> RuleForEntry(const StateReader& state,
                                             absl::string_view customer_id,
                                             absl::string_view contract_ref,
                                             absl::string_view rule_id,
                                             const EntryTarget& target,
                                             absl::string_view day) {
  namespace rej = contract_command;
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  const std::string rule_field = absl::StrCat(target.prefix, ".rule_id");
  auto rule =
      RequireRule(state, customer_id, contract_ref, rule_id,
                  absl::StrCat(target.prefix, ".contract_ref"), rule_field);
  if (!rule.ok()) return rule.status();
  if (rule->rule_type() != target.type) {
    return Refuse(
        rej::kRuleTypeMismatch, rule_field,
        absl::StrFormat("rule %s is a %s rule; %s go to %s rules",
                        QuoteValue(rule_id), RuleTypeName(rule->rule_type()),
                        target.what, RuleTypeName(target.type)));
  }
  const std::string date_field = absl::StrCat(target.prefix, ".work_date");
  if (day < rule->start_date()) {
    return Refuse(rej::kDateOutsideRule, date_field,
                  absl::StrFormat("%s is before the rule's start %s", day,
                                  rule->start_date()));
  }
  if (!rule->end_date().empty() && day > rule->end_date()) {
    return Refuse(rej::kDateOutsideRule, date_field,
                  absl::StrFormat("%s is after the rule's end %s", day,
                                  rule->end_date()));
  }
  return rule;
}

absl::Status ValidateWorkUnits(const v1::WorkUnits& u) {
  namespace rej = record_work_units;
  if (auto s = RuleCodes("units", u.contract_ref(), u.rule_id()); !s.ok()) {
    return s;
  }
  auto date = NamedIf(rej::kWorkDateInvalid,
                      RequiredDate("units.work_date", u.work_date()));
  if (!date.ok()) return date.status();
  if (u.quantity_milli() <= 0) {
    return Refuse(
        rej::kQuantityInvalid, "units.quantity_milli",
        absl::StrCat(FormatMilli(u.quantity_milli()), " is not positive"));
  }
  if (auto s = Named(rej::kQuantityInvalid,
                     AtMost("units.quantity_milli", u.quantity_milli(),
                            kQuantityMilliMax));
      !s.ok()) {
    return s;
  }
  return Named(rej::kNoteInvalid,
               ValidateText("units.note", u.note(), 0, kTextLengthMax));
}

absl::Status ValidateTimeEntry(const v1::TimeEntry& t) {
  namespace rej = record_time;
  if (auto s = RuleCodes("entry", t.contract_ref(), t.rule_id()); !s.ok()) {
    return s;
  }
  if (auto s =
          Named(rej::kPersonIdInvalid, Code("entry.person_id", t.person_id()));
      !s.ok()) {
    return s;
  }
  auto date = NamedIf(rej::kWorkDateInvalid,
                      RequiredDate("entry.work_date", t.work_date()));
  if (!date.ok()) return date.status();
  if (t.hours_milli() <= 0) {
    return Refuse(
        rej::kHoursInvalid, "entry.hours_milli",
        absl::StrCat(FormatMilli(t.hours_milli()), " is not positive"));
  }
  if (t.hours_milli() > kHoursPerEntryMaxMilli) {
    return Refuse(
        rej::kHoursInvalid, "entry.hours_milli",
        absl::StrCat(FormatMilli(t.hours_milli()), " is more than 24 hours"));
  }
  return Named(rej::kNoteInvalid,
               ValidateText("entry.note", t.note(), 0, kTextLengthMax));
}

}  // namespace

absl::StatusOr<Events> DecideRecordReading(const StateReader& state,
                                           absl::string_view customer_id,
                                           const v1::RecordReading& cmd) {
  const v1::Reading& r = cmd.reading();
  if (auto s = ValidateReadingShape(r); !s.ok()) return s;
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, r.contract_ref(), r.rule_id(),
                          "reading.contract_ref", "reading.rule_id");
  if (!rule.ok()) return rule.status();
  if (auto s = CheckReadingRule(*rule, r); !s.ok()) return s;
  auto meter = LoadMeter(state, customer_id, r.object_id());
  if (!meter.ok()) return meter.status();
  if (!meter->has_value() && r.kind() != v1::READING_KIND_INSTALLATION) {
    return Refuse(record_reading::kKindOutOfSequence, "reading.kind",
                  absl::StrFormat("the first reading of object %s must be "
                                  "its installation reading",
                                  QuoteValue(r.object_id())));
  }
  uint32_t seq = 1;
  if (meter->has_value()) {
    if (auto s = CheckReadingAfter(**meter, r); !s.ok()) return s;
    seq = (*meter)->readings() + 1;
  }
  v1::EventEnvelope e =
      NewEvent(kReadingRecordedType, customer_id, r.reading_date());
  v1::Reading* out =
      e.mutable_contract()->mutable_reading_recorded()->mutable_reading();
  *out = r;
  out->clear_position();
  out->set_seq(seq);
  return One(std::move(e));
}

namespace {

// The reading's value between its neighbours' (kValueOutOfOrder).
absl::Status CheckCorrectedValue(const std::vector<v1::Reading>& readings,
                                 size_t at, int64_t value) {
  namespace rej = correct_reading;
  const v1::Reading& r = readings[at];
  if (value == r.value_milli()) {
    return Refuse(rej::kValueOutOfOrder, "value_milli",
                  absl::StrFormat("reading #%d of object %s is %s already",
                                  r.seq(), r.object_id(),
                                  FormatMilli(value)));
  }
  if (at > 0 && value < readings[at - 1].value_milli()) {
    return Refuse(rej::kValueOutOfOrder, "value_milli",
                  absl::StrFormat("%s is below %s, reading #%d of %s",
                                  FormatMilli(value),
                                  FormatMilli(readings[at - 1].value_milli()),
                                  readings[at - 1].seq(),
                                  readings[at - 1].reading_date()));
  }
  if (at + 1 < readings.size() &&
      readings[at + 1].kind() == v1::READING_KIND_REGULAR &&
      value > readings[at + 1].value_milli()) {
    return Refuse(rej::kValueOutOfOrder, "value_milli",
                  absl::StrFormat("%s is above %s, reading #%d of %s",
                                  FormatMilli(value),
                                  FormatMilli(readings[at + 1].value_milli()),
                                  readings[at + 1].seq(),
                                  readings[at + 1].reading_date()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Events> DecideCorrectReading(const StateReader& state,
                                            absl::string_view customer_id,
                                            const v1::CorrectReading& cmd) {
  namespace rej = correct_reading;
  if (auto s = NamedIf(rej::kObjectIdInvalid,
                       ValidateObjectId("object_id", cmd.object_id()));
      !s.ok()) {
    return s;
  }
  if (cmd.seq() == 0) {
    return Refuse(rej::kSeqInvalid, "seq", "is required (1 or more)");
  }
  if (cmd.value_milli() < 0 || cmd.value_milli() > kReadingMilliMax) {
    return Named(rej::kValueInvalid,
                 NotNegativeMilliAtMost("value_milli", cmd.value_milli(),
                                        kReadingMilliMax));
  }
  if (auto s = NamedIf(rej::kReasonInvalid,
                       ValidateText("reason", cmd.reason(), 1, kTextLengthMax));
      !s.ok()) {
    return s;
  }
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto readings = ListReadings(state, customer_id, cmd.object_id());
  if (!readings.ok()) return readings.status();
  size_t at = 0;
  while (at < readings->size() && (*readings)[at].seq() != cmd.seq()) ++at;
  if (at == readings->size()) {
    return Refuse(rej::kReadingNotFound, "seq",
                  absl::StrFormat("object %s has no reading #%d",
                                  QuoteValue(cmd.object_id()), cmd.seq()));
  }
  const v1::Reading& r = (*readings)[at];
  if (r.kind() != v1::READING_KIND_REGULAR) {
    return Refuse(rej::kNotRegular, "seq",
                  absl::StrFormat("reading #%d of object %s is an %s reading: "
                                  "record a meter replacement instead",
                                  r.seq(), r.object_id(),
                                  v1::ReadingKind_Name(r.kind())));
  }
  if (auto s = CheckCorrectedValue(*readings, at, cmd.value_milli()); !s.ok()) {
    return s;
  }
  v1::EventEnvelope e =
      NewEvent(kReadingCorrectedType, customer_id, r.reading_date());
  v1::ReadingCorrected* c = e.mutable_contract()->mutable_reading_corrected();
  c->set_object_id(cmd.object_id());
  c->set_seq(cmd.seq());
  c->set_old_value_milli(r.value_milli());
  c->set_new_value_milli(cmd.value_milli());
  c->set_reason(cmd.reason());
  return One(std::move(e));
}

absl::StatusOr<Events> DecideRecordWorkUnits(const StateReader& state,
                                             absl::string_view customer_id,
                                             const v1::RecordWorkUnits& cmd) {
  const v1::WorkUnits& u = cmd.units();
  if (auto s = ValidateWorkUnits(u); !s.ok()) return s;
  auto rule = RuleForEntry(
      state, customer_id, u.contract_ref(), u.rule_id(),
      {"units", v1::RULE_TYPE_UNIT_OF_WORK, "units of work"}, u.work_date());
  if (!rule.ok()) return rule.status();
  v1::EventEnvelope e =
      NewEvent(kWorkUnitsRecordedType, customer_id, u.work_date());
  v1::WorkUnits* out =
      e.mutable_contract()->mutable_work_units_recorded()->mutable_units();
  *out = u;
  out->clear_position();
  return One(std::move(e));
}

absl::StatusOr<Events> DecideRecordTime(const StateReader& state,
                                        absl::string_view customer_id,
                                        const v1::RecordTime& cmd) {
  const v1::TimeEntry& t = cmd.entry();
  if (auto s = ValidateTimeEntry(t); !s.ok()) return s;
  auto rule = RuleForEntry(state, customer_id, t.contract_ref(), t.rule_id(),
                           {"entry", v1::RULE_TYPE_TIME_SPENT, "time entries"},
                           t.work_date());
  if (!rule.ok()) return rule.status();
  v1::EventEnvelope e = NewEvent(kTimeRecordedType, customer_id, t.work_date());
  v1::TimeEntry* out =
      e.mutable_contract()->mutable_time_recorded()->mutable_entry();
  *out = t;
  out->clear_position();
  return One(std::move(e));
}

absl::StatusOr<Events> DecideCompleteJob(const StateReader& state,
                                         absl::string_view customer_id,
                                         const v1::CompleteJob& cmd) {
  namespace rej = complete_job;
  const v1::Job& j = cmd.job();
  if (auto s = Named(rej::kJobIdInvalid, Code("job.job_id", j.job_id()));
      !s.ok()) {
    return s;
  }
  auto date = NamedIf(rej::kCompletedOnInvalid,
                      RequiredDate("job.completed_on", j.completed_on()));
  if (!date.ok()) return date.status();
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto existing = LoadJob(state, customer_id, j.job_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Refuse(
        rej::kAlreadyCompleted, "job.job_id",
        absl::StrFormat("job %s was recorded as completed on %s",
                        QuoteValue(j.job_id()), (*existing)->completed_on()));
  }
  v1::EventEnvelope e =
      NewEvent(kJobCompletedType, customer_id, j.completed_on());
  *e.mutable_contract()->mutable_job_completed()->mutable_job() = j;
  return One(std::move(e));
}

}  // namespace billing::contracts_internal
