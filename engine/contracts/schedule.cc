#include "engine/contracts/schedule.h"

#include <algorithm>
#include <cstdint>
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

int64_t MonthsBetween(BusinessDate from, BusinessDate to) {
  return (to.year() - from.year()) * 12 + (to.month() - from.month());
}

// a / b rounded toward minus infinity (b > 0).
int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0 && a < 0) ? 1 : 0);
}

// Far beyond any catch-up (kDuePeriodsMax) or a rule's life in days.
constexpr int64_t kPeriodIndexMax = 10'000'000;

bool InArrears(const v1::BillingRule& rule) {
  return rule.timing() == v1::BILLING_TIMING_IN_ARREARS ||
         rule.rule_type() == v1::RULE_TYPE_USAGE;
}

// The full periods of a rule: boundary n to the day before boundary n + 1,
// for every integer n; `origin` is the boundary on or before the start.
struct Grid {
  enum class Kind { kAnniversary, kAligned, kDays };
  Kind kind = Kind::kAnniversary;
  BusinessDate start;
  int months = 0;
  int days = 0;
  int billing_day = 0;
  int64_t origin = 0;

  BusinessDate Boundary(int64_t n) const {
    switch (kind) {
      case Kind::kDays:
        return start + n * days;
      case Kind::kAligned: {
        const absl::CivilMonth month = absl::CivilMonth(0, 1) + n * months;
        const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
        return absl::CivilDay(month.year(), month.month(),
                              std::min<int>(billing_day, last.day()));
      }
      case Kind::kAnniversary:
        break;
    }
    return AddMonthsClamped(start, static_cast<int>(n * months));
  }

  // The largest n whose boundary is on or before `day`.
  int64_t Floor(BusinessDate day) const {
    if (kind == Kind::kDays) return FloorDiv(day - start, days);
    const int64_t month_index = kind == Kind::kAligned
                                    ? day.year() * 12 + (day.month() - 1)
                                    : MonthsBetween(start, day);
    int64_t n = FloorDiv(month_index, months);
    while (Boundary(n) > day) --n;
    return n;
  }
};

// USAGE rules: calendar months, billed in arrears.
absl::StatusOr<Grid> MakeGrid(const v1::BillingRule& rule) {
  const bool usage = rule.rule_type() == v1::RULE_TYPE_USAGE;
  Grid g;
  if (rule.periodicity() == v1::PERIODICITY_DAYS) {
    g.kind = Grid::Kind::kDays;
    g.days = rule.period_days();
  } else {
    g.months = usage ? 1 : PeriodMonths(rule.periodicity());
    g.billing_day = usage ? 1 : rule.billing_day();
    if (g.billing_day != 0) g.kind = Grid::Kind::kAligned;
  }
  if (g.months <= 0 && g.days <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "rule %s/%s: no periodicity", rule.contract_ref(), rule.rule_id()));
  }
  auto start = RuleDate(rule, rule.start_date(), "start_date");
  if (!start.ok()) return start.status();
  g.start = *start;
  g.origin = g.kind == Grid::Kind::kAligned ? g.Floor(g.start) : 0;
  return g;
}

absl::StatusOr<std::optional<RulePeriod>> InstallmentPeriodAt(
    const v1::BillingRule& rule, int index,
    const std::optional<BusinessDate>& end) {
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
  } else if (end.has_value()) {
    p.end = *end;
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("rule %s/%s: an installment schedule without end date",
                        rule.contract_ref(), rule.rule_id()));
  }
  p.full_start = p.start;
  p.full_end = p.end;
  return std::optional<RulePeriod>(p);
}

}  // namespace

bool IsProrated(const v1::BillingRule& rule, const RulePeriod& period) {
  return rule.rule_type() == v1::RULE_TYPE_FLAT && !rule.no_proration() &&
         (period.start != period.full_start || period.end != period.full_end);
}

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
  if (IsSchedule(rule)) return InstallmentPeriodAt(rule, index, *end);
  auto grid = MakeGrid(rule);
  if (!grid.ok()) return grid.status();
  const int64_t n = grid->origin + index;
  RulePeriod p;
  p.index = index;
  p.full_start = grid->Boundary(n);
  p.full_end = grid->Boundary(n + 1) - 1;
  p.start = std::max(grid->start, p.full_start);
  if (end->has_value() && p.start > **end) return std::optional<RulePeriod>();
  p.end = p.full_end;
  if (end->has_value() && p.end > **end) p.end = **end;
  p.billing_date = InArrears(rule) ? p.end + 1 : p.start;
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
  auto period = RulePeriodAt(rule, index);
  if (!period.ok()) return period.status();
  if (period->has_value()) return (*period)->billing_date;
  // Past the rule's end: the natural billing date, one period on.
  auto grid = MakeGrid(rule);
  if (!grid.ok()) return grid.status();
  const int64_t n = grid->origin + index;
  if (InArrears(rule)) return grid->Boundary(n + 1);
  return std::max(grid->start, grid->Boundary(n));
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
  auto grid = MakeGrid(rule);
  if (!grid.ok()) return grid.status();
  // In arrears the period billed on a date ends the day before it.
  const int64_t k =
      grid->Floor(InArrears(rule) ? billing_date - 1 : billing_date) -
      grid->origin;
  if (k < 0 || k > kPeriodIndexMax) return not_a_billing_date();
  const int index = static_cast<int>(k);
  auto date = RuleBillingDate(rule, index);
  if (!date.ok()) return date.status();
  if (*date == billing_date) return index;
  // A period cut by the end, in arrears, recorded with its natural billing
  // date (the day after the full period) before that date moved to the day
  // after the end: still the same period.
  auto period = RulePeriodAt(rule, index);
  if (!period.ok()) return period.status();
  if (InArrears(rule) && period->has_value() &&
      (*period)->full_end + 1 == billing_date) {
    return index;
  }
  return not_a_billing_date();
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
