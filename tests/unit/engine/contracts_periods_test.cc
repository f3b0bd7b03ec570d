// Periods aligned on a billing day, proration by days, periods of a fixed
// number of days, price decreases and usage rules, with numbers a person can
// check on a calendar (docs/contracts.md, "Periods, billing day and
// proration").

#include <string>
#include <vector>

#include "engine/contracts/schedule.h"
#include "tests/unit/engine/contracts_fixture.h"

namespace billing {
namespace {

using absl::CivilDay;

struct Shape {
  v1::Periodicity periodicity = v1::PERIODICITY_QUARTERLY;
  v1::BillingTiming timing = v1::BILLING_TIMING_IN_ADVANCE;
  std::string start;
  std::string end;
  int billing_day = 0;
  int period_days = 0;
  bool no_proration = false;
  int64_t price_micros = 300'000'000;
  int64_t cost_micros = 0;
};

v1::ContractCommand FlatRule(const Shape& s, const std::string& id = "R1") {
  v1::ContractCommand c;
  c.set_customer_id("C1");
  v1::BillingRule* r = c.mutable_create_rule()->mutable_rule();
  r->set_contract_ref("K1");
  r->set_rule_id(id);
  r->set_rule_type(v1::RULE_TYPE_FLAT);
  r->add_object_ids("EQ-1");
  r->set_article_code("MAINT");
  r->set_unit_price_micros(s.price_micros);
  r->set_cost_price_micros(s.cost_micros);
  r->set_periodicity(s.periodicity);
  r->set_timing(s.timing);
  r->set_start_date(s.start);
  r->set_end_date(s.end);
  r->set_billing_day(s.billing_day);
  r->set_period_days(s.period_days);
  r->set_no_proration(s.no_proration);
  return c;
}

// "2026-02-10..2026-03-31 @2026-02-10 16667 (50/90 of
// 2026-01-01..2026-03-31)"; the last part only for a prorated line.
std::string Describe(const v1::DueLine& l) {
  std::string out = absl::StrCat(l.period_start(), "..", l.period_end(), " @",
                                 l.billing_date(), " ", l.amount_minor());
  if (l.prorated_days() != 0) {
    absl::StrAppend(&out, " (", l.prorated_days(), "/", l.period_days(), " of ",
                    l.full_period_start(), "..", l.full_period_end(), ")");
  }
  return out;
}

class ContractPeriodsTest : public ContractsTest {
 protected:
  std::vector<std::string> Lines(CivilDay as_of) {
    const v1::DueReport report = Due(as_of);
    EXPECT_EQ(report.rules_size(), 1);
    std::vector<std::string> out;
    if (report.rules_size() == 0) return out;
    EXPECT_EQ(report.rules(0).status(), v1::DUE_STATUS_DUE)
        << report.DebugString();
    for (const v1::DueLine& l : report.rules(0).lines()) {
      out.push_back(Describe(l));
    }
    return out;
  }

  void Billed(const std::string& period_start, CivilDay invoice_date) {
    v1::ContractCommand c;
    c.set_customer_id("C1");
    auto* b = c.mutable_record_rule_billed();
    b->set_contract_ref("K1");
    b->set_rule_id("R1");
    b->set_period_start(period_start);
    b->set_invoice_ref("FA-" + period_start);
    b->set_invoice_date(FormatBusinessDate(invoice_date));
    Run(c, invoice_date);
  }

  // A new price from 2026-03-01.
  v1::ContractCommand Change(int64_t new_price_micros,
                             const std::string& reason) {
    v1::ContractCommand c;
    c.set_customer_id("C1");
    auto* s = c.mutable_schedule_increase();
    s->set_contract_ref("K1");
    s->set_rule_id("R1");
    v1::PriceIncrease* inc = s->mutable_increase();
    inc->set_effective_date("2026-03-01");
    inc->set_kind(v1::INCREASE_KIND_NEW_PRICE);
    inc->set_new_price_micros(new_price_micros);
    inc->set_reason(reason);
    return c;
  }
};

// The issue's example: quarterly, 300.00, billing day 1, from 2026-02-10 in
// advance. Feb 10 to Mar 31 is 50 of the 90 days of Jan 1 to Mar 31:
// 300.00 x 50 / 90 = 166.666... -> 166.67; then Apr 1 to Jun 30 at 300.00.
// The cost, 180.00 a quarter, is prorated the same way: 100.00.
TEST_F(ContractPeriodsTest, QuarterlyOnBillingDayOneProratesTheFirstPiece) {
  CreateContract();
  Shape s;
  s.start = "2026-02-10";
  s.billing_day = 1;
  s.cost_micros = 180'000'000;
  const v1::ContractAnswer created = Run(FlatRule(s));
  EXPECT_EQ(created.rule().next_theoretical_date(), "2026-02-10");
  EXPECT_EQ(created.rule().billing_day(), 1);
  EXPECT_EQ(Lines(CivilDay(2026, 4, 1)),
            (std::vector<std::string>{
                "2026-02-10..2026-03-31 @2026-02-10 16667 (50/90 of "
                "2026-01-01..2026-03-31)",
                "2026-04-01..2026-06-30 @2026-04-01 30000"}));
  const v1::DueRule rule = Due(CivilDay(2026, 4, 1)).rules(0);
  EXPECT_EQ(rule.lines(0).cost_minor(), 10000);
  EXPECT_EQ(rule.lines(0).explanation(),
            "1.000 x 300.000000 x 50 / 90 days, 50 of the 90 days of "
            "2026-01-01 to 2026-03-31, the agreed price from 2026-02-10");
  EXPECT_EQ(rule.amount_minor(), 46667);
  EXPECT_EQ(rule.lines(1).cost_minor(), 18000);
}

// In advance, a rule ending on 2026-05-15 bills its last piece on Apr 1:
// Apr 1 to May 15 is 45 of the 91 days of the second quarter,
// 300.00 x 45 / 91 = 148.3516... -> 148.35.
TEST_F(ContractPeriodsTest, EndingMidPeriodInAdvance) {
  CreateContract();
  Shape s;
  s.start = "2026-01-01";
  s.end = "2026-05-15";
  s.billing_day = 1;
  Run(FlatRule(s));
  EXPECT_EQ(Lines(CivilDay(2026, 4, 1)),
            (std::vector<std::string>{
                "2026-01-01..2026-03-31 @2026-01-01 30000",
                "2026-04-01..2026-05-15 @2026-04-01 14835 (45/91 of "
                "2026-04-01..2026-06-30)"}));
}

// In arrears, the piece cut by the end is billable the day after the end
// (May 16), not after the natural quarter (Jul 1).
TEST_F(ContractPeriodsTest, EndingMidPeriodInArrearsIsBillableTheDayAfter) {
  CreateContract();
  Shape s;
  s.timing = v1::BILLING_TIMING_IN_ARREARS;
  s.start = "2026-01-01";
  s.end = "2026-05-15";
  s.billing_day = 1;
  Run(FlatRule(s));
  EXPECT_EQ(
      Lines(CivilDay(2026, 5, 15)),
      (std::vector<std::string>{"2026-01-01..2026-03-31 @2026-04-01 30000"}));
  Billed("2026-01-01", CivilDay(2026, 4, 2));
  EXPECT_EQ(Rule("K1", "R1").next_theoretical_date(), "2026-05-16");
  EXPECT_EQ(Due(CivilDay(2026, 5, 15)).rules(0).status(),
            v1::DUE_STATUS_NOTHING_DUE);
  EXPECT_EQ(Lines(CivilDay(2026, 5, 16)),
            (std::vector<std::string>{
                "2026-04-01..2026-05-15 @2026-05-16 14835 (45/91 of "
                "2026-04-01..2026-06-30)"}));
  Billed("2026-04-01", CivilDay(2026, 5, 16));
  EXPECT_EQ(Due(CivilDay(2026, 7, 1)).rules(0).status(),
            v1::DUE_STATUS_FINISHED);
}

// Without a billing day, anniversary periods as before; a piece cut by the
// end is prorated over its anniversary period: Jan 15 to Feb 14 is 31 days,
// Feb 15 to Feb 28 is 14 of the 28 days of Feb 15 to Mar 14: 50.00.
TEST_F(ContractPeriodsTest, AnniversaryPeriodCutByTheEnd) {
  CreateContract();
  Shape s;
  s.periodicity = v1::PERIODICITY_MONTHLY;
  s.start = "2026-01-15";
  s.end = "2026-02-28";
  s.price_micros = 100'000'000;
  Run(FlatRule(s));
  EXPECT_EQ(Lines(CivilDay(2026, 3, 1)),
            (std::vector<std::string>{
                "2026-01-15..2026-02-14 @2026-01-15 10000",
                "2026-02-15..2026-02-28 @2026-02-15 5000 (14/28 of "
                "2026-02-15..2026-03-14)"}));
}

// Billing day 31, monthly: clamped to Feb 28 (Feb 29 in 2028). From
// 2026-02-10: Feb 10 to Feb 27 is 18 of the 28 days of Jan 31 to Feb 27,
// 100.00 x 18 / 28 = 64.2857... -> 64.29; then Feb 28 to Mar 30, Mar 31 to
// Apr 29.
TEST_F(ContractPeriodsTest, MonthlyBillingDay31ClampedInFebruary) {
  CreateContract();
  Shape s;
  s.periodicity = v1::PERIODICITY_MONTHLY;
  s.start = "2026-02-10";
  s.billing_day = 31;
  s.price_micros = 100'000'000;
  Run(FlatRule(s));
  EXPECT_EQ(Lines(CivilDay(2026, 3, 31)),
            (std::vector<std::string>{
                "2026-02-10..2026-02-27 @2026-02-10 6429 (18/28 of "
                "2026-01-31..2026-02-27)",
                "2026-02-28..2026-03-30 @2026-02-28 10000",
                "2026-03-31..2026-04-29 @2026-03-31 10000"}));
  v1::BillingRule leap = Rule("K1", "R1");
  leap.set_start_date("2028-02-10");
  auto first = RulePeriodAt(leap, 0);
  auto second = RulePeriodAt(leap, 1);
  ASSERT_TRUE(first.ok() && first->has_value() && second.ok() &&
              second->has_value());
  EXPECT_EQ((*first)->end, CivilDay(2028, 2, 28));
  EXPECT_EQ((*first)->full_start, CivilDay(2028, 1, 31));
  EXPECT_EQ((*second)->start, CivilDay(2028, 2, 29));
  EXPECT_EQ((*second)->end, CivilDay(2028, 3, 30));
}

// Aligned on the calendar: half-years start in January and July, years in
// January, bimonthly periods in odd months.
TEST(ContractAlignedPeriodsTest, LongerPeriodsAlignOnCalendarMonths) {
  v1::BillingRule r;
  r.set_contract_ref("K1");
  r.set_rule_id("R1");
  r.set_rule_type(v1::RULE_TYPE_FLAT);
  r.set_timing(v1::BILLING_TIMING_IN_ADVANCE);
  r.set_start_date("2026-04-20");
  r.set_billing_day(1);
  auto full = [&](v1::Periodicity p, int index) {
    r.set_periodicity(p);
    auto period = RulePeriodAt(r, index);
    EXPECT_TRUE(period.ok() && period->has_value());
    if (!period.ok() || !period->has_value()) return std::string();
    return absl::StrCat(FormatBusinessDate((*period)->start), "..",
                        FormatBusinessDate((*period)->end), " of ",
                        FormatBusinessDate((*period)->full_start), "..",
                        FormatBusinessDate((*period)->full_end));
  };
  EXPECT_EQ(full(v1::PERIODICITY_HALF_YEARLY, 0),
            "2026-04-20..2026-06-30 of 2026-01-01..2026-06-30");
  EXPECT_EQ(full(v1::PERIODICITY_HALF_YEARLY, 1),
            "2026-07-01..2026-12-31 of 2026-07-01..2026-12-31");
  EXPECT_EQ(full(v1::PERIODICITY_YEARLY, 0),
            "2026-04-20..2026-12-31 of 2026-01-01..2026-12-31");
  EXPECT_EQ(full(v1::PERIODICITY_BIMONTHLY, 0),
            "2026-04-20..2026-04-30 of 2026-03-01..2026-04-30");
  EXPECT_EQ(full(v1::PERIODICITY_BIMONTHLY, 1),
            "2026-05-01..2026-06-30 of 2026-05-01..2026-06-30");
}

// no_proration: the first piece is billed as a whole quarter.
TEST_F(ContractPeriodsTest, NoProrationBillsTheWholeFirstPeriod) {
  CreateContract();
  Shape s;
  s.start = "2026-02-10";
  s.billing_day = 1;
  s.no_proration = true;
  Run(FlatRule(s));
  EXPECT_EQ(
      Lines(CivilDay(2026, 2, 10)),
      (std::vector<std::string>{"2026-02-10..2026-03-31 @2026-02-10 30000"}));
}

// Every 14 days from 2026-01-05, 70.00, ending 2026-02-08: Jan 5 to 18,
// Jan 19 to Feb 1, then Feb 2 to Feb 8, 7 of the 14 days: 35.00.
TEST_F(ContractPeriodsTest, PeriodsOfFourteenDays) {
  CreateContract();
  Shape s;
  s.periodicity = v1::PERIODICITY_DAYS;
  s.period_days = 14;
  s.start = "2026-01-05";
  s.end = "2026-02-08";
  s.price_micros = 70'000'000;
  Run(FlatRule(s));
  EXPECT_EQ(Lines(CivilDay(2026, 2, 2)),
            (std::vector<std::string>{
                "2026-01-05..2026-01-18 @2026-01-05 7000",
                "2026-01-19..2026-02-01 @2026-01-19 7000",
                "2026-02-02..2026-02-08 @2026-02-02 3500 (7/14 of "
                "2026-02-02..2026-02-15)"}));
  s.billing_day = 1;
  ExpectRejected(FlatRule(s, "R2"), absl::StatusCode::kInvalidArgument,
                 "rule.billing_day: a rule billed every n days counts them "
                 "from its start; leave it 0",
                 kDay, "RULE_BILLING_DAY_INVALID");
  s.billing_day = 0;
  s.period_days = 3661;
  ExpectRejected(FlatRule(s, "R2"), absl::StatusCode::kInvalidArgument,
                 "rule.period_days: 3661 is not between 1 and 3660 days", kDay,
                 "RULE_PERIOD_DAYS_INVALID");
  s.periodicity = v1::PERIODICITY_MONTHLY;
  s.billing_day = 32;
  s.period_days = 0;
  ExpectRejected(FlatRule(s, "R2"), absl::StatusCode::kInvalidArgument,
                 "rule.billing_day: 32 is not between 0 and 31", kDay,
                 "RULE_BILLING_DAY_INVALID");
}

// A decrease: a new price of 95.000000 from 2026-03-01 (it was 100.000000),
// with its reason, in the same history; March is billed at 95.00. An
// increase the same way still works (then 120.000000 from 2026-04-01).
TEST_F(ContractPeriodsTest, PriceDecreaseWithItsReason) {
  CreateContract();
  Shape s;
  s.periodicity = v1::PERIODICITY_MONTHLY;
  s.start = "2026-01-01";
  s.price_micros = 100'000'000;
  Run(FlatRule(s));
  ExpectRejected(Change(95'000'000, ""), absl::StatusCode::kInvalidArgument,
                 "increase.reason: is required for a new price (why the price "
                 "changes)",
                 kDay, "INCREASE_REASON_INVALID");
  const v1::ContractAnswer a = Run(Change(95'000'000, "loyalty discount"));
  ASSERT_EQ(a.increases_size(), 1);
  const v1::PriceChange& c = a.increases(0).change();
  EXPECT_EQ(c.kind(), v1::INCREASE_KIND_NEW_PRICE);
  EXPECT_EQ(c.old_price_micros(), 100'000'000);
  EXPECT_EQ(c.new_price_micros(), 95'000'000);
  EXPECT_EQ(c.reason(), "loyalty discount");
  EXPECT_EQ(Rule("K1", "R1").price_history(0).reason(), "loyalty discount");
  v1::ContractCommand up = Change(120'000'000, "new equipment");
  up.mutable_schedule_increase()->mutable_increase()->set_effective_date(
      "2026-04-01");
  Run(up);
  const v1::DueRule due = Due(CivilDay(2026, 4, 1)).rules(0);
  ASSERT_EQ(due.lines_size(), 4);
  EXPECT_EQ(due.lines(2).unit_price_micros(), 95'000'000);
  EXPECT_EQ(due.lines(2).amount_minor(), 9500);
  EXPECT_EQ(due.lines(2).price_source().seq(), 1u);
  EXPECT_EQ(due.lines(2).explanation(),
            "1.000 x 95.000000, increase #1 of 2026-03-01");
  EXPECT_EQ(due.lines(3).amount_minor(), 12000);
  EXPECT_EQ(due.amount_minor(), 41500);
}

v1::ContractCommand UsageRule() {
  v1::ContractCommand c;
  c.set_customer_id("C1");
  v1::BillingRule* r = c.mutable_create_rule()->mutable_rule();
  r->set_contract_ref("K1");
  r->set_rule_id("CALLS");
  r->set_rule_type(v1::RULE_TYPE_USAGE);
  r->set_article_code("MAINT");
  r->set_start_date("2026-01-10");
  r->add_usage_kinds("USAGE_KIND_VOICE");
  r->add_usage_kinds("USAGE_KIND_SMS");
  return c;
}

// A usage rule: every object, voice and SMS, billed per calendar month in
// arrears (next date Feb 1); ComputeDue shows it with no lines.
TEST_F(ContractPeriodsTest, UsageRuleCreatedAndShownByComputeDue) {
  CreateContract();
  v1::ContractCommand bad = UsageRule();
  bad.mutable_create_rule()->mutable_rule()->set_unit_price_micros(1);
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument,
                 "rule.unit_price_micros: a usage rule bills rated usage (its "
                 "prices are the plan's); leave it 0",
                 kDay, "RULE_UNIT_PRICE_INVALID");
  bad = UsageRule();
  bad.mutable_create_rule()->mutable_rule()->set_periodicity(
      v1::PERIODICITY_MONTHLY);
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument,
                 "rule.periodicity: a usage rule is billed per calendar "
                 "month; leave it unspecified",
                 kDay, "RULE_PERIODICITY_INVALID");
  bad = UsageRule();
  bad.mutable_create_rule()->mutable_rule()->set_usage_kinds(0, "VOICE");
  ExpectRejected(bad, absl::StatusCode::kInvalidArgument,
                 "rule.usage_kinds[0]: \"VOICE\" is not a usage kind "
                 "(USAGE_KIND_VOICE, ...)",
                 kDay, "RULE_USAGE_KINDS_INVALID");
  const v1::ContractAnswer a = Run(UsageRule());
  EXPECT_EQ(a.rule().timing(), v1::BILLING_TIMING_IN_ARREARS);
  EXPECT_EQ(a.rule().next_theoretical_date(), "2026-02-01");
  EXPECT_EQ(a.rule().usage_kinds_size(), 2);
  const v1::DueReport report = Due(CivilDay(2026, 3, 1));
  ASSERT_EQ(report.rules_size(), 1);
  const v1::DueRule& r = report.rules(0);
  EXPECT_EQ(r.status(), v1::DUE_STATUS_USAGE);
  EXPECT_EQ(r.rule_type(), v1::RULE_TYPE_USAGE);
  EXPECT_EQ(r.article_code(), "MAINT");
  EXPECT_EQ(r.lines_size(), 0);
  ASSERT_EQ(r.reasons_size(), 1);
  EXPECT_EQ(r.reasons(0),
            "usage rule: the rated usage of every object, kinds "
            "USAGE_KIND_VOICE, USAGE_KIND_SMS, is gathered by invoicing per "
            "calendar month in arrears; next month billable on 2026-02-01");
  EXPECT_EQ(report.amount_minor(), 0);
}

}  // namespace
}  // namespace billing
