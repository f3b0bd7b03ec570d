// Periods, billing dates and AdvanceRule: pure functions of a rule, with
// dates a person can count on a calendar.

#include "engine/contracts/schedule.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "billing/v1/contracts.pb.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using absl::CivilDay;

v1::BillingRule Rule(const std::string& start, v1::Periodicity periodicity,
                     v1::BillingTiming timing, const std::string& end = "") {
  v1::BillingRule r;
  r.set_contract_ref("K1");
  r.set_rule_id("R1");
  r.set_rule_type(v1::RULE_TYPE_FLAT);
  r.set_start_date(start);
  r.set_end_date(end);
  r.set_periodicity(periodicity);
  r.set_timing(timing);
  return r;
}

std::string Describe(const RulePeriod& p) {
  return FormatBusinessDate(p.start) + ".." + FormatBusinessDate(p.end) +
         " billable " + FormatBusinessDate(p.billing_date);
}

std::vector<std::string> Periods(const v1::BillingRule& rule, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    auto p = RulePeriodAt(rule, i);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok() || !p->has_value()) break;
    out.push_back(Describe(**p));
  }
  return out;
}

TEST(ContractPeriodMonthsTest, EachPeriodicity) {
  EXPECT_EQ(PeriodMonths(v1::PERIODICITY_MONTHLY), 1);
  EXPECT_EQ(PeriodMonths(v1::PERIODICITY_BIMONTHLY), 2);
  EXPECT_EQ(PeriodMonths(v1::PERIODICITY_QUARTERLY), 3);
  EXPECT_EQ(PeriodMonths(v1::PERIODICITY_HALF_YEARLY), 6);
  EXPECT_EQ(PeriodMonths(v1::PERIODICITY_YEARLY), 12);
  EXPECT_EQ(PeriodMonths(v1::PERIODICITY_UNSPECIFIED), 0);
}

// The anchor's day, clamped to the month's last day, never drifting: Jan 31
// + 1 month is Feb 28, + 2 months is Mar 31 (not Mar 28).
TEST(ContractAddMonthsClampedTest, ClampsWithoutDrift) {
  EXPECT_EQ(AddMonthsClamped(CivilDay(2026, 1, 31), 1), CivilDay(2026, 2, 28));
  EXPECT_EQ(AddMonthsClamped(CivilDay(2026, 1, 31), 2), CivilDay(2026, 3, 31));
  EXPECT_EQ(AddMonthsClamped(CivilDay(2026, 1, 31), 3), CivilDay(2026, 4, 30));
  EXPECT_EQ(AddMonthsClamped(CivilDay(2028, 1, 31), 1), CivilDay(2028, 2, 29));
  EXPECT_EQ(AddMonthsClamped(CivilDay(2026, 1, 15), 12), CivilDay(2027, 1, 15));
  EXPECT_EQ(AddMonthsClamped(CivilDay(2026, 3, 31), -1), CivilDay(2026, 2, 28));
}

// The example: monthly in advance from 2026-01-15.
TEST(ContractRulePeriodTest, MonthlyInAdvanceAnniversaryPeriods) {
  auto rule = Rule("2026-01-15", v1::PERIODICITY_MONTHLY,
                   v1::BILLING_TIMING_IN_ADVANCE);
  EXPECT_EQ(
      Periods(rule, 3),
      (std::vector<std::string>{"2026-01-15..2026-02-14 billable 2026-01-15",
                                "2026-02-15..2026-03-14 billable 2026-02-15",
                                "2026-03-15..2026-04-14 billable 2026-03-15"}));
}

// In arrears a period is billable the day after its end.
TEST(ContractRulePeriodTest, QuarterlyInArrears) {
  auto rule = Rule("2026-01-01", v1::PERIODICITY_QUARTERLY,
                   v1::BILLING_TIMING_IN_ARREARS);
  EXPECT_EQ(
      Periods(rule, 3),
      (std::vector<std::string>{"2026-01-01..2026-03-31 billable 2026-04-01",
                                "2026-04-01..2026-06-30 billable 2026-07-01",
                                "2026-07-01..2026-09-30 billable 2026-10-01"}));
}

TEST(ContractRulePeriodTest, EndOfMonthStartClampsEachPeriod) {
  auto rule = Rule("2026-01-31", v1::PERIODICITY_MONTHLY,
                   v1::BILLING_TIMING_IN_ADVANCE);
  EXPECT_EQ(
      Periods(rule, 3),
      (std::vector<std::string>{"2026-01-31..2026-02-27 billable 2026-01-31",
                                "2026-02-28..2026-03-30 billable 2026-02-28",
                                "2026-03-31..2026-04-29 billable 2026-03-31"}));
}

// The last period is clipped to the end date; none starts after it.
TEST(ContractRulePeriodTest, EndDateClipsTheLastPeriod) {
  auto rule = Rule("2026-01-01", v1::PERIODICITY_HALF_YEARLY,
                   v1::BILLING_TIMING_IN_ADVANCE, "2026-09-30");
  EXPECT_EQ(
      Periods(rule, 5),
      (std::vector<std::string>{"2026-01-01..2026-06-30 billable 2026-01-01",
                                "2026-07-01..2026-09-30 billable 2026-07-01"}));
}

TEST(ContractRulePeriodTest, YearlyAndBimonthly) {
  EXPECT_EQ(
      Periods(Rule("2024-02-29", v1::PERIODICITY_YEARLY,
                   v1::BILLING_TIMING_IN_ADVANCE),
              2),
      (std::vector<std::string>{"2024-02-29..2025-02-27 billable 2024-02-29",
                                "2025-02-28..2026-02-27 billable 2025-02-28"}));
  EXPECT_EQ(
      Periods(Rule("2026-01-01", v1::PERIODICITY_BIMONTHLY,
                   v1::BILLING_TIMING_IN_ARREARS),
              1),
      (std::vector<std::string>{"2026-01-01..2026-02-28 billable 2026-03-01"}));
}

TEST(ContractRulePeriodTest, InstallmentPeriodsRunToTheNextDueDate) {
  v1::BillingRule rule = Rule("2026-01-01", v1::PERIODICITY_QUARTERLY,
                              v1::BILLING_TIMING_IN_ADVANCE, "2026-12-31");
  rule.set_rule_type(v1::RULE_TYPE_INSTALLMENT_SCHEDULE);
  for (const char* d : {"2026-01-10", "2026-05-10", "2026-09-10"}) {
    rule.mutable_installment_schedule()->add_installments()->set_due_date(d);
  }
  EXPECT_EQ(
      Periods(rule, 5),
      (std::vector<std::string>{"2026-01-10..2026-05-09 billable 2026-01-10",
                                "2026-05-10..2026-09-09 billable 2026-05-10",
                                "2026-09-10..2026-12-31 billable 2026-09-10"}));
  // Past the last installment: the day after the fiscal year.
  EXPECT_EQ(*RuleBillingDate(rule, 3), CivilDay(2027, 1, 1));
  auto after = RulePeriodBilledOn(rule, CivilDay(2027, 1, 1));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(after->has_value());
}

TEST(ContractRulePeriodTest, PeriodBilledOnFindsTheIndex) {
  auto rule = Rule("2026-01-01", v1::PERIODICITY_QUARTERLY,
                   v1::BILLING_TIMING_IN_ARREARS);
  auto p = RulePeriodBilledOn(rule, CivilDay(2026, 7, 1));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ(Describe(**p), "2026-04-01..2026-06-30 billable 2026-07-01");
  EXPECT_EQ((*p)->index, 1);
}

TEST(ContractRulePeriodTest, PeriodBilledOnRejectsADateOffTheGrid) {
  auto rule = Rule("2026-01-15", v1::PERIODICITY_MONTHLY,
                   v1::BILLING_TIMING_IN_ADVANCE);
  EXPECT_EQ(RulePeriodBilledOn(rule, CivilDay(2026, 2, 1)).status().message(),
            "2026-02-01 is not a billing date of rule K1/R1");
  // In arrears, the start itself is no billing date.
  auto arrears = Rule("2026-01-15", v1::PERIODICITY_MONTHLY,
                      v1::BILLING_TIMING_IN_ARREARS);
  EXPECT_FALSE(RulePeriodBilledOn(arrears, CivilDay(2026, 1, 15)).ok());
  EXPECT_FALSE(RulePeriodBilledOn(arrears, CivilDay(2025, 12, 15)).ok());
}

TEST(ContractFirstBillingDateTest, InAdvanceTheStartInArrearsOnePeriodLater) {
  EXPECT_EQ(*FirstBillingDate(Rule("2026-01-15", v1::PERIODICITY_MONTHLY,
                                   v1::BILLING_TIMING_IN_ADVANCE)),
            CivilDay(2026, 1, 15));
  EXPECT_EQ(*FirstBillingDate(Rule("2026-01-01", v1::PERIODICITY_QUARTERLY,
                                   v1::BILLING_TIMING_IN_ARREARS)),
            CivilDay(2026, 4, 1));
}

TEST(ContractIsCatchUpTest, OnlyWhenAllThreeAreEmpty) {
  auto rule = Rule("2026-01-15", v1::PERIODICITY_MONTHLY,
                   v1::BILLING_TIMING_IN_ADVANCE);
  EXPECT_TRUE(IsCatchUp(rule));
  auto a = rule;
  a.set_last_theoretical_date("2026-01-15");
  EXPECT_FALSE(IsCatchUp(a));
  auto b = rule;
  b.set_last_invoice_date("2026-01-20");
  EXPECT_FALSE(IsCatchUp(b));
  auto c = rule;
  c.set_last_invoice_ref("FA-1");
  EXPECT_FALSE(IsCatchUp(c));
}

// Real billing moves the dates forward by one period per billed period.
TEST(ContractAdvanceRuleTest, MovesNextAndLastTheoreticalOnePeriod) {
  auto rule = Rule("2026-01-15", v1::PERIODICITY_MONTHLY,
                   v1::BILLING_TIMING_IN_ADVANCE);
  rule.set_next_theoretical_date("2026-01-15");
  auto first = RulePeriodBilledOn(rule, CivilDay(2026, 1, 15));
  ASSERT_TRUE(first.ok() && first->has_value());
  auto once = AdvanceRule(rule, **first, "FA-2026-0001", CivilDay(2026, 1, 20));
  ASSERT_TRUE(once.ok()) << once.status();
  EXPECT_EQ(once->last_theoretical_date(), "2026-01-15");
  EXPECT_EQ(once->next_theoretical_date(), "2026-02-15");
  EXPECT_EQ(once->last_invoice_date(), "2026-01-20");
  EXPECT_EQ(once->last_invoice_ref(), "FA-2026-0001");
  EXPECT_FALSE(IsCatchUp(*once));

  auto second = RulePeriodBilledOn(*once, CivilDay(2026, 2, 15));
  ASSERT_TRUE(second.ok() && second->has_value());
  auto twice =
      AdvanceRule(*once, **second, "FA-2026-0002", CivilDay(2026, 2, 16));
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->last_theoretical_date(), "2026-02-15");
  EXPECT_EQ(twice->next_theoretical_date(), "2026-03-15");
}

TEST(ContractAdvanceRuleTest, InArrearsMovesFromBillingDateToBillingDate) {
  auto rule = Rule("2026-01-01", v1::PERIODICITY_QUARTERLY,
                   v1::BILLING_TIMING_IN_ARREARS);
  rule.set_next_theoretical_date("2026-04-01");
  RulePeriod q1;
  q1.start = CivilDay(2026, 1, 1);
  auto out = AdvanceRule(rule, q1, "FA-9", CivilDay(2026, 4, 2));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->last_theoretical_date(), "2026-04-01");
  EXPECT_EQ(out->next_theoretical_date(), "2026-07-01");
}

TEST(ContractAdvanceRuleTest, RefusesAPeriodOutOfOrder) {
  auto rule = Rule("2026-01-15", v1::PERIODICITY_MONTHLY,
                   v1::BILLING_TIMING_IN_ADVANCE);
  rule.set_next_theoretical_date("2026-01-15");
  RulePeriod february;
  february.start = CivilDay(2026, 2, 15);
  auto out = AdvanceRule(rule, february, "FA-1", CivilDay(2026, 2, 20));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(out.status().message(),
            "rule K1/R1: the period starting 2026-02-15 is not the one at its "
            "next theoretical date 2026-01-15 (2026-01-15 to 2026-02-14); "
            "periods are billed in order");
}

TEST(ContractAdvanceRuleTest, RefusesARuleWithoutNextDate) {
  auto rule = Rule("2026-01-15", v1::PERIODICITY_MONTHLY,
                   v1::BILLING_TIMING_IN_ADVANCE);
  RulePeriod p;
  p.start = CivilDay(2026, 1, 15);
  auto out = AdvanceRule(rule, p, "FA-1", CivilDay(2026, 1, 20));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(out.status().message(),
            "rule K1/R1 has no next theoretical billing date; set one first");
}

TEST(ContractAdvanceRuleTest, RefusesAFinishedRule) {
  auto rule = Rule("2026-01-01", v1::PERIODICITY_QUARTERLY,
                   v1::BILLING_TIMING_IN_ADVANCE, "2026-03-31");
  rule.set_next_theoretical_date("2026-04-01");
  RulePeriod p;
  p.start = CivilDay(2026, 4, 1);
  auto out = AdvanceRule(rule, p, "FA-1", CivilDay(2026, 4, 2));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(out.status().message(),
            "rule K1/R1 is finished: every period up to its end 2026-03-31 is "
            "billed");
}

}  // namespace
}  // namespace billing
