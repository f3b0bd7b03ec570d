// The caller's fields of a new billing rule, checked before any state is
// read, in the order of create_rule::kOrder.

#include <set>
#include <string>

#include "absl/strings/str_format.h"
#include "billing/v1/usage.pb.h"
#include "engine/contracts/contracts.h"
#include "engine/contracts/decide_support.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/prices.h"
#include "engine/contracts/text.h"
#include "engine/core/validation.h"

namespace billing::contracts_internal {
namespace {

namespace rej = create_rule;

// At least one, except for a usage rule (none: every object).
absl::Status ValidateObjectIds(const v1::BillingRule& r) {
  if (r.object_ids_size() == 0 && r.rule_type() != v1::RULE_TYPE_USAGE) {
    return FieldError("rule.object_ids",
                      "is required (at least one object or equipment line)");
  }
  if (r.object_ids_size() > kRuleObjectsMax) {
    return FieldError("rule.object_ids",
                      absl::StrFormat("has %d objects, at most %d allowed",
                                      r.object_ids_size(), kRuleObjectsMax));
  }
  std::set<std::string> seen;
  for (int i = 0; i < r.object_ids_size(); ++i) {
    const std::string field = absl::StrFormat("rule.object_ids[%d]", i);
    if (auto s = ValidateObjectId(field, r.object_ids(i)); !s.ok()) return s;
    if (!seen.insert(r.object_ids(i)).second) {
      return FieldError(field, absl::StrFormat("%s is listed twice",
                                               QuoteValue(r.object_ids(i))));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRuleType(v1::RuleType type) {
  if (type == v1::RULE_TYPE_UNSPECIFIED) {
    return FieldError("rule.rule_type",
                      "is required (flat, consumed units, unit of work, time "
                      "spent or installment schedule)");
  }
  if (!v1::RuleType_IsValid(type)) {
    return FieldError(
        "rule.rule_type",
        absl::StrFormat("%d is not a rule type", static_cast<int>(type)));
  }
  return absl::OkStatus();
}

// The rule's codes, label, type, objects and article code.
absl::Status ValidateRuleIdentity(const v1::BillingRule& r) {
  if (auto s = Named(rej::kContractRefInvalid,
                     Code("rule.contract_ref", r.contract_ref()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kRuleIdInvalid, Code("rule.rule_id", r.rule_id()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kLabelInvalid,
                     ValidateText("rule.label", r.label(), 0, kTextLengthMax));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kTypeInvalid, ValidateRuleType(r.rule_type()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kObjectsInvalid, ValidateObjectIds(r)); !s.ok()) {
    return s;
  }
  return Named(rej::kArticleCodeInvalid,
               Code("rule.article_code", r.article_code()));
}

constexpr absl::string_view kUsageIsRated =
    "a usage rule bills rated usage (its prices are the plan's); leave it 0";

std::string NoUnitPriceWhy(v1::RuleType type) {
  if (type == v1::RULE_TYPE_TIME_SPENT) {
    return "a time-spent rule is priced by each person's hourly rate; leave "
           "it 0";
  }
  if (type == v1::RULE_TYPE_USAGE) return std::string(kUsageIsRated);
  return "an installment schedule bills its installments; leave it 0";
}

absl::Status ValidateUnitPrice(const v1::BillingRule& r) {
  const v1::RuleType type = r.rule_type();
  if (auto s = NotNegativeMicrosAtMost(
          "rule.unit_price_micros", r.unit_price_micros(), kUnitPriceMicrosMax);
      !s.ok()) {
    return s;
  }
  if (!HasUnitPrice(type) && r.unit_price_micros() != 0) {
    return FieldError("rule.unit_price_micros", NoUnitPriceWhy(type));
  }
  return absl::OkStatus();
}

absl::Status ValidateCostPrice(const v1::BillingRule& r) {
  if (auto s = NotNegativeMicrosAtMost(
          "rule.cost_price_micros", r.cost_price_micros(), kUnitPriceMicrosMax);
      !s.ok()) {
    return s;
  }
  if (r.rule_type() == v1::RULE_TYPE_USAGE && r.cost_price_micros() != 0) {
    return FieldError("rule.cost_price_micros", kUsageIsRated);
  }
  return absl::OkStatus();
}

absl::Status ValidateQuantity(const v1::BillingRule& r) {
  if (auto s = NotNegativeMilliAtMost("rule.quantity_milli", r.quantity_milli(),
                                      kQuantityMilliMax);
      !s.ok()) {
    return s;
  }
  if (r.rule_type() != v1::RULE_TYPE_FLAT && r.quantity_milli() != 0) {
    return FieldError("rule.quantity_milli",
                      "only a flat rule has a fixed quantity");
  }
  return absl::OkStatus();
}

// Unit price, cost price and quantity: each 0 to its maximum, and only on
// the rule types that have one.
absl::Status ValidateRuleValues(const v1::BillingRule& r) {
  if (auto s = Named(rej::kUnitPriceInvalid, ValidateUnitPrice(r)); !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kCostPriceInvalid, ValidateCostPrice(r)); !s.ok()) {
    return s;
  }
  return Named(rej::kQuantityInvalid, ValidateQuantity(r));
}

absl::Status ValidatePeriodicity(v1::RuleType type,
                                 v1::Periodicity periodicity) {
  if (type == v1::RULE_TYPE_USAGE) {
    if (periodicity == v1::PERIODICITY_UNSPECIFIED) return absl::OkStatus();
    return FieldError("rule.periodicity",
                      "a usage rule is billed per calendar month; leave it "
                      "unspecified");
  }
  if (periodicity == v1::PERIODICITY_UNSPECIFIED) {
    return FieldError("rule.periodicity",
                      "is required (monthly, bimonthly, quarterly, "
                      "half-yearly or yearly)");
  }
  if (!v1::Periodicity_IsValid(periodicity)) {
    return FieldError("rule.periodicity",
                      absl::StrFormat("%d is not a periodicity",
                                      static_cast<int>(periodicity)));
  }
  if (periodicity == v1::PERIODICITY_DAYS &&
      type == v1::RULE_TYPE_INSTALLMENT_SCHEDULE) {
    return FieldError("rule.periodicity",
                      "an installment schedule is split by months, not days");
  }
  return absl::OkStatus();
}

absl::Status ValidatePeriodDays(const v1::BillingRule& r) {
  constexpr absl::string_view kField = "rule.period_days";
  if (r.periodicity() != v1::PERIODICITY_DAYS) {
    if (r.period_days() == 0) return absl::OkStatus();
    return FieldError(kField, "only a rule billed every n days has one");
  }
  if (r.period_days() < 1 || r.period_days() > kPeriodDaysMax) {
    return FieldError(kField, absl::StrFormat("%d is not between 1 and %d days",
                                              r.period_days(), kPeriodDaysMax));
  }
  return absl::OkStatus();
}

// The timing the rule's type allows: flat, either one (required); an
// installment schedule in advance; what is measured in arrears.
absl::StatusOr<v1::BillingTiming> ResolveTiming(v1::RuleType type,
                                                v1::BillingTiming timing) {
  if (!v1::BillingTiming_IsValid(timing)) {
    return FieldError("rule.timing",
                      absl::StrFormat("%d is not a billing timing",
                                      static_cast<int>(timing)));
  }
  if (type == v1::RULE_TYPE_FLAT) {
    if (timing == v1::BILLING_TIMING_UNSPECIFIED) {
      return FieldError("rule.timing",
                        "is required for a flat rule (in advance or in "
                        "arrears)");
    }
    return timing;
  }
  if (type == v1::RULE_TYPE_INSTALLMENT_SCHEDULE) {
    if (timing == v1::BILLING_TIMING_IN_ARREARS) {
      return FieldError("rule.timing",
                        "an installment schedule is billed in advance, on "
                        "each installment's due date");
    }
    return v1::BILLING_TIMING_IN_ADVANCE;
  }
  if (timing == v1::BILLING_TIMING_IN_ADVANCE) {
    return FieldError(
        "rule.timing",
        absl::StrFormat("a %s rule is billed in arrears: what is measured "
                        "cannot be billed before it is",
                        RuleTypeName(type)));
  }
  return v1::BILLING_TIMING_IN_ARREARS;
}

// A rule type whose periods are not the rule's own: an installment
// schedule's are its installments, a usage rule's calendar months.
bool HasOwnPeriods(v1::RuleType type) {
  return type != v1::RULE_TYPE_INSTALLMENT_SCHEDULE &&
         type != v1::RULE_TYPE_USAGE;
}

absl::Status ValidateBillingDay(const v1::BillingRule& r) {
  constexpr absl::string_view kField = "rule.billing_day";
  if (r.billing_day() < 0 || r.billing_day() > 31) {
    return FieldError(
        kField, absl::StrFormat("%d is not between 0 and 31", r.billing_day()));
  }
  if (r.billing_day() == 0) return absl::OkStatus();
  if (r.periodicity() == v1::PERIODICITY_DAYS) {
    return FieldError(kField,
                      "a rule billed every n days counts them from its "
                      "start; leave it 0");
  }
  if (!HasOwnPeriods(r.rule_type())) {
    return FieldError(kField,
                      absl::StrFormat("a %s rule has no billing day; leave it "
                                      "0",
                                      RuleTypeName(r.rule_type())));
  }
  return absl::OkStatus();
}

absl::Status ValidateUsageKinds(const v1::BillingRule& r) {
  if (r.rule_type() != v1::RULE_TYPE_USAGE) {
    if (r.usage_kinds_size() == 0) return absl::OkStatus();
    return FieldError("rule.usage_kinds", "only a usage rule has them");
  }
  std::set<std::string> seen;
  for (int i = 0; i < r.usage_kinds_size(); ++i) {
    const std::string field = absl::StrFormat("rule.usage_kinds[%d]", i);
    const std::string& name = r.usage_kinds(i);
    v1::UsageKind kind = v1::USAGE_KIND_UNSPECIFIED;
    if (!v1::UsageKind_Parse(name, &kind) ||
        kind == v1::USAGE_KIND_UNSPECIFIED) {
      return FieldError(field, absl::StrFormat("%s is not a usage kind "
                                               "(USAGE_KIND_VOICE, ...)",
                                               QuoteValue(name)));
    }
    if (!seen.insert(name).second) {
      return FieldError(
          field, absl::StrFormat("%s is listed twice", QuoteValue(name)));
    }
  }
  return absl::OkStatus();
}

// Billing day, proration and usage kinds, on the types that have them.
absl::Status ValidatePeriodOptions(const v1::BillingRule& r) {
  if (auto s = Named(rej::kBillingDayInvalid, ValidateBillingDay(r)); !s.ok()) {
    return s;
  }
  if (r.no_proration() && !HasOwnPeriods(r.rule_type())) {
    return Refuse(rej::kProrationInvalid, "rule.no_proration",
                  absl::StrFormat("a %s rule is not prorated; leave it false",
                                  RuleTypeName(r.rule_type())));
  }
  return Named(rej::kUsageKindsInvalid, ValidateUsageKinds(r));
}

absl::Status ValidateEndDate(const v1::BillingRule& r,
                             const std::optional<BusinessDate>& start) {
  auto end = OptionalDate("rule.end_date", r.end_date());
  if (!end.ok()) return end.status();
  if (start.has_value() && end->has_value() && **end < *start) {
    return FieldError("rule.end_date",
                      absl::StrFormat("%s is before the start %s", r.end_date(),
                                      r.start_date()));
  }
  if (r.rule_type() == v1::RULE_TYPE_INSTALLMENT_SCHEDULE &&
      !end->has_value()) {
    return FieldError("rule.end_date",
                      "is required for an installment schedule (the last "
                      "day of the fiscal year)");
  }
  return absl::OkStatus();
}

absl::Status ValidateRuleDates(const v1::BillingRule& r) {
  auto start = NamedIf(rej::kStartDateInvalid,
                       OptionalDate("rule.start_date", r.start_date()));
  if (!start.ok()) return start.status();
  if (auto s = Named(rej::kEndDateInvalid, ValidateEndDate(r, *start));
      !s.ok()) {
    return s;
  }
  return Named(rej::kConditionJobInvalid,
               OptionalCode("rule.condition_job_id", r.condition_job_id()));
}

absl::Status ValidateSyntecPolicy(const v1::SyntecFormula& syntec) {
  if (auto s =
          ValidateSyntecCoefficients(syntec, "rule.recurring_increase.syntec");
      !s.ok()) {
    return s;
  }
  if (auto s = OptionalCode("rule.recurring_increase.syntec.index_code",
                            syntec.index_code());
      !s.ok()) {
    return s;
  }
  constexpr absl::string_view kReference =
      "rule.recurring_increase.syntec.reference_index_micros";
  if (syntec.reference_index_micros() <= 0) {
    return FieldError(
        kReference,
        "is required (the index value the price was agreed at), positive");
  }
  return AtMost(kReference, syntec.reference_index_micros(), kIndexMicrosMax);
}

absl::Status ValidateRecurringIncrease(const v1::BillingRule& r) {
  const v1::RuleType type = r.rule_type();
  const v1::RecurringIncrease& inc = r.recurring_increase();
  if (!v1::IncreaseKind_IsValid(inc.kind())) {
    return FieldError("rule.recurring_increase.kind",
                      absl::StrFormat("%d is not an increase kind",
                                      static_cast<int>(inc.kind())));
  }
  if (inc.kind() == v1::INCREASE_KIND_NEW_PRICE) {
    return FieldError("rule.recurring_increase.kind",
                      "a new price is a one-off change (schedule it); a "
                      "policy is Syntec, company markup or custom percent");
  }
  if (inc.kind() != v1::INCREASE_KIND_UNSPECIFIED && !HasUnitPrice(type)) {
    return FieldError("rule.recurring_increase.kind",
                      absl::StrFormat("a %s rule has no unit price to "
                                      "increase",
                                      RuleTypeName(type)));
  }
  if (inc.kind() == v1::INCREASE_KIND_UNSPECIFIED &&
      (inc.has_syntec() || inc.percent_bp() != 0)) {
    return FieldError("rule.recurring_increase.kind",
                      "is required when syntec or percent_bp is given");
  }
  if (inc.kind() == v1::INCREASE_KIND_SYNTEC) {
    if (auto s = ValidateSyntecPolicy(inc.syntec()); !s.ok()) return s;
  } else if (inc.has_syntec()) {
    return FieldError("rule.recurring_increase.syntec",
                      "only a Syntec policy has one");
  }
  if (inc.kind() == v1::INCREASE_KIND_CUSTOM_PERCENT) {
    return Percent("rule.recurring_increase.percent_bp", inc.percent_bp(), 1);
  }
  if (inc.percent_bp() != 0) {
    return FieldError("rule.recurring_increase.percent_bp",
                      "only a custom percent policy has one");
  }
  return absl::OkStatus();
}

// An amount of a schedule: 0 to kAmountMinorMax.
absl::Status ScheduleAmount(absl::string_view field, int64_t minor) {
  if (minor < 0) {
    return FieldError(field, absl::StrFormat("%d is negative", minor));
  }
  return AtMost(field, minor, kAmountMinorMax);
}

// The fee and the installments: each 0 to kAmountMinorMax (so that their
// sum fits), at most kInstallmentsMax of them.
absl::Status ValidateScheduleShape(const v1::BillingRule& r) {
  const v1::InstallmentSchedule& sched = r.installment_schedule();
  if (r.rule_type() != v1::RULE_TYPE_INSTALLMENT_SCHEDULE) {
    if (r.has_installment_schedule()) {
      return FieldError("rule.installment_schedule",
                        "only an installment schedule rule has one");
    }
    return absl::OkStatus();
  }
  if (auto s = ScheduleAmount("rule.installment_schedule.fee_minor",
                              sched.fee_minor());
      !s.ok()) {
    return s;
  }
  if (sched.installments_size() > kInstallmentsMax) {
    return FieldError(
        "rule.installment_schedule.installments",
        absl::StrFormat("has %d installments, at most %d allowed",
                        sched.installments_size(), kInstallmentsMax));
  }
  for (int i = 0; i < sched.installments_size(); ++i) {
    const std::string field =
        absl::StrFormat("rule.installment_schedule.installments[%d]", i);
    const v1::Installment& inst = sched.installments(i);
    auto due = RequiredDate(field + ".due_date", inst.due_date());
    if (!due.ok()) return due.status();
    if (auto s = ScheduleAmount(field + ".amount_minor", inst.amount_minor());
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::BillingTiming> ValidateRuleShape(const v1::BillingRule& r) {
  if (auto s = ValidateRuleIdentity(r); !s.ok()) return s;
  if (auto s = ValidateRuleValues(r); !s.ok()) return s;
  if (auto s = Named(rej::kPeriodicityInvalid,
                     ValidatePeriodicity(r.rule_type(), r.periodicity()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kPeriodDaysInvalid, ValidatePeriodDays(r)); !s.ok()) {
    return s;
  }
  auto timing =
      NamedIf(rej::kTimingInvalid, ResolveTiming(r.rule_type(), r.timing()));
  if (!timing.ok()) return timing.status();
  if (auto s = ValidatePeriodOptions(r); !s.ok()) return s;
  if (auto s = ValidateRuleDates(r); !s.ok()) return s;
  if (auto s =
          Named(rej::kRecurringIncreaseInvalid, ValidateRecurringIncrease(r));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kScheduleInvalid, ValidateScheduleShape(r));
      !s.ok()) {
    return s;
  }
  return timing;
}

}  // namespace billing::contracts_internal
