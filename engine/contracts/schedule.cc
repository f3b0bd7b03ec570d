#include "engine/contracts/schedule.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"

namespace billing {
namespace {

absl::StatusOr<BusinessDate> RuleDate(const v1::BillingRule& rule,
                                      const std::string& text,
                                      absl::string_view what) {
  auto d = ParseBusinessDate(text, what);
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("rule %s/%s: %s", rule.contract_ref(), rule.rule_id(),
                        d.status().message()));
  }
  return *d;
}

absl::StatusOr<std::optional<BusinessDate>> RuleEnd(
    const v1::BillingRule& rule) {
  if (rule.end_date().empty()) return std::optional<BusinessDate>();
  auto end = RuleDate(rule, rule.end_date(), "end_date");
  if (!end.ok()) return end.status();
  return std::optional<BusinessDate>(*end);
}

bool IsSchedule(const v1::BillingRule& rule) {
  return rule.rule_type() == v1::RULE_TYPE_INSTALLMENT_SCHEDULE;
}

int MonthsBetween(BusinessDate from, BusinessDate to) {
  return static_cast<int>((to.year() - from.year()) * 12 +
                          (to.month() - from.month()));
}

}  // namespace

int PeriodMonths(v1::Periodicity periodicity) {
  switch (periodicity) {
    case v1::PERIODICITY_MONTHLY:
      return 1;
    case v1::PERIODICITY_BIMONTHLY:
      return 2;
    case v1::PERIODICITY_QUARTERLY:
      return 3;
    case v1::PERIODICITY_HALF_YEARLY:
      return 6;
    case v1::PERIODICITY_YEARLY:
      return 12;
    default:
      return 0;
  }
}

BusinessDate AddMonthsClamped(BusinessDate anchor, int months) {
  const absl::CivilMonth month =
      absl::CivilMonth(anchor.year(), anchor.month()) + months;
  // The first day of the month after, minus one: the month's last day.
  const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
  return absl::CivilDay(month.year(), month.month(),
                        std::min<int>(anchor.day(), last.day()));
}

absl::StatusOr<std::optional<RulePeriod>> RulePeriodAt(
    const v1::BillingRule& rule, int index) {
  if (index < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("period index %d is negative", index));
  }
  auto end = RuleEnd(rule);
  if (!end.ok()) return end.status();
  if (IsSchedule(rule)) {
    const auto& due = rule.installment_schedule().installments();
    if (index >= due.size()) return std::optional<RulePeriod>();
    RulePeriod p;
    p.index = index;
    auto start = RuleDate(rule, due[index].due_date(), "installment due_date");
    if (!start.ok()) return start.status();
    p.start = *start;
    p.billing_date = *start;
    if (index + 1 < due.size()) {
      auto next =
          RuleDate(rule, due[index + 1].due_date(), "installment due_date");
      if (!next.ok()) return next.status();
      p.end = *next - 1;
    } else if (end->has_value()) {
      p.end = **end;
    } else {
      return absl::InvalidArgumentError(absl::StrFormat(
          "rule %s/%s: an installment schedule without end date",
          rule.contract_ref(), rule.rule_id()));
    }
    return std::optional<RulePeriod>(p);
  }
  const int months = PeriodMonths(rule.periodicity());
  if (months == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "rule %s/%s: no periodicity", rule.contract_ref(), rule.rule_id()));
  }
  auto start = RuleDate(rule, rule.start_date(), "start_date");
  if (!start.ok()) return start.status();
  RulePeriod p;
  p.index = index;
  p.start = AddMonthsClamped(*start, index * months);
  if (end->has_value() && p.start > **end) return std::optional<RulePeriod>();
  const BusinessDate next_boundary =
      AddMonthsClamped(*start, (index + 1) * months);
  p.end = next_boundary - 1;
  if (end->has_value() && p.end > **end) p.end = **end;
  p.billing_date =
      rule.timing() == v1::BILLING_TIMING_IN_ARREARS ? next_boundary : p.start;
  return std::optional<RulePeriod>(p);
}

absl::StatusOr<BusinessDate> RuleBillingDate(const v1::BillingRule& rule,
                                             int index) {
  if (IsSchedule(rule)) {
    const auto& due = rule.installment_schedule().installments();
    if (index >= 0 && index < due.size()) {
      return RuleDate(rule, due[index].due_date(), "installment due_date");
    }
    auto end = RuleDate(rule, rule.end_date(), "end_date");
    if (!end.ok()) return end.status();
    return *end + 1;
  }
  const int months = PeriodMonths(rule.periodicity());
  if (months == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "rule %s/%s: no periodicity", rule.contract_ref(), rule.rule_id()));
  }
  auto start = RuleDate(rule, rule.start_date(), "start_date");
  if (!start.ok()) return start.status();
  const int boundary =
      rule.timing() == v1::BILLING_TIMING_IN_ARREARS ? index + 1 : index;
  return AddMonthsClamped(*start, boundary * months);
}

absl::StatusOr<BusinessDate> FirstBillingDate(const v1::BillingRule& rule) {
  return RuleBillingDate(rule, 0);
}

absl::StatusOr<int> RuleBillingIndex(const v1::BillingRule& rule,
                                     BusinessDate billing_date) {
  auto not_a_billing_date = [&] {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is not a billing date of rule %s/%s",
        FormatBusinessDate(billing_date), rule.contract_ref(), rule.rule_id()));
  };
  if (IsSchedule(rule)) {
    const auto& due = rule.installment_schedule().installments();
    for (int i = 0; i < due.size(); ++i) {
      if (due[i].due_date() == FormatBusinessDate(billing_date)) return i;
    }
    auto after = RuleBillingDate(rule, due.size());
    if (!after.ok()) return after.status();
    if (*after == billing_date) return due.size();
    return not_a_billing_date();
  }
  const int months = PeriodMonths(rule.periodicity());
  if (months == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "rule %s/%s: no periodicity", rule.contract_ref(), rule.rule_id()));
  }
  auto start = RuleDate(rule, rule.start_date(), "start_date");
  if (!start.ok()) return start.status();
  const int diff = MonthsBetween(*start, billing_date);
  if (diff < 0 || diff % months != 0) return not_a_billing_date();
  const int boundary = diff / months;
  if (AddMonthsClamped(*start, boundary * months) != billing_date) {
    return not_a_billing_date();
  }
  const int index =
      rule.timing() == v1::BILLING_TIMING_IN_ARREARS ? boundary - 1 : boundary;
  if (index < 0) return not_a_billing_date();
  return index;
}

absl::StatusOr<std::optional<RulePeriod>> RulePeriodBilledOn(
    const v1::BillingRule& rule, BusinessDate billing_date) {
  auto index = RuleBillingIndex(rule, billing_date);
  if (!index.ok()) return index.status();
  return RulePeriodAt(rule, *index);
}

bool IsCatchUp(const v1::BillingRule& rule) {
  return rule.last_theoretical_date().empty() &&
         rule.last_invoice_date().empty() && rule.last_invoice_ref().empty();
}

absl::StatusOr<v1::BillingRule> AdvanceRule(const v1::BillingRule& rule,
                                            const RulePeriod& billed_period,
                                            absl::string_view invoice_ref,
                                            BusinessDate invoice_date) {
  if (rule.next_theoretical_date().empty()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rule %s/%s has no next theoretical billing date; set one first",
        rule.contract_ref(), rule.rule_id()));
  }
  auto next =
      RuleDate(rule, rule.next_theoretical_date(), "next_theoretical_date");
  if (!next.ok()) return next.status();
  auto due = RulePeriodBilledOn(rule, *next);
  if (!due.ok()) return due.status();
  if (!due->has_value()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rule %s/%s is finished: every period up to its end %s is billed",
        rule.contract_ref(), rule.rule_id(), rule.end_date()));
  }
  const RulePeriod& expected = **due;
  if (billed_period.start != expected.start) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rule %s/%s: the period starting %s is not the one at its next "
        "theoretical date %s (%s to %s); periods are billed in order",
        rule.contract_ref(), rule.rule_id(),
        FormatBusinessDate(billed_period.start), rule.next_theoretical_date(),
        FormatBusinessDate(expected.start), FormatBusinessDate(expected.end)));
  }
  auto following = RuleBillingDate(rule, expected.index + 1);
  if (!following.ok()) return following.status();
  v1::BillingRule out = rule;
  out.set_last_theoretical_date(rule.next_theoretical_date());
  out.set_next_theoretical_date(FormatBusinessDate(*following));
  out.set_last_invoice_date(FormatBusinessDate(invoice_date));
  out.set_last_invoice_ref(std::string(invoice_ref));
  return out;
}

}  // namespace billing
