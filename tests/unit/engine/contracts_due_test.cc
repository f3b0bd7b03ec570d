// Not formatted by clang-format: the text protos here are R"pb(...)pb"
// pieces joined by StrCat, which clang-format 14's text-proto reflow
// changes (" MAINT " for "MAINT"), whatever RawStringFormats says.
// clang-format off
// What is due, as of a date: given contracts, rules, readings, entries and
// increases (applied through ApplyRecord), then ComputeDue's periods,
// quantities, prices and anomalies, with numbers a person can check.

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/contracts/due.h"
#include "engine/contracts/limits.h"
#include "gmock/gmock.h"
#include "tests/unit/engine/contracts_fixture.h"

namespace billing {
namespace {

using absl::CivilDay;
using ::testing::ElementsAre;

std::string Periods(const v1::DueRule& rule) {
  std::string out;
  for (const v1::DueLine& l : rule.lines()) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", l.period_start(), "..",
                    l.period_end());
  }
  return out;
}

class ContractDueTest : public ContractsTest {
 protected:
  // A flat rule R1 on K1 (contract from 2026-01-01): 100.000000 a period,
  // cost 60.000000.
  void FlatRule(const std::string& start, const std::string& periodicity,
                const std::string& timing, const std::string& extra = "") {
    Run(Cmd(absl::StrCat(R"pb(customer_id: "C1" create_rule { rule {
          contract_ref: "K1" rule_id: "R1" rule_type: RULE_TYPE_FLAT
          object_ids: "EQ-1" article_code: "MAINT"
          unit_price_micros: 100000000 cost_price_micros: 60000000
          start_date: ")pb",
                         start, "\" periodicity: ", periodicity,
                         " timing: ", timing, " ", extra, "}}")));
  }

  void Billed(const std::string& rule, const std::string& period_start,
              const std::string& invoice_ref, CivilDay invoice_date) {
    Run(Cmd(absl::StrCat(R"pb(customer_id: "C1" record_rule_billed {
          contract_ref: "K1" rule_id: ")pb",
                         rule, "\" period_start: \"", period_start,
                         "\" invoice_ref: \"", invoice_ref,
                         "\" invoice_date: \"",
                         FormatBusinessDate(invoice_date), "\"}")),
        invoice_date);
  }

  void Increase(const std::string& date, const std::string& kind,
                int percent_bp = 0) {
    Run(Cmd(absl::StrCat(R"pb(customer_id: "C1" schedule_increase {
          contract_ref: "K1" rule_id: "R1" increase { effective_date: ")pb",
                         date, "\" kind: ", kind, " percent_bp: ", percent_bp,
                         " reason: \"scheduled ahead\" }}")));
  }

  v1::DueRule OnlyRule(const v1::DueReport& report) {
    EXPECT_EQ(report.rules_size(), 1);
    return report.rules_size() > 0 ? report.rules(0) : v1::DueRule();
  }
};

// The issue's example: monthly in advance started 2026-01-15, never billed,
// as of 2026-04-01: three periods (catch-up), 3 x 100.00 = 300.00.
TEST_F(ContractDueTest, CatchUpBillsEveryPeriodSinceTheStart) {
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  const v1::DueReport report = Due(CivilDay(2026, 4, 1));
  const v1::DueRule r = OnlyRule(report);
  EXPECT_EQ(r.status(), v1::DUE_STATUS_DUE);
  EXPECT_TRUE(r.catch_up());
  EXPECT_EQ(Periods(r),
            "2026-01-15..2026-02-14, 2026-02-15..2026-03-14, "
            "2026-03-15..2026-04-14");
  for (const auto& line : r.lines()) {
    EXPECT_EQ(line.quantity_milli(), 1000);
    EXPECT_EQ(line.unit_price_micros(), 100000000);
    EXPECT_EQ(line.amount_minor(), 10000);
    EXPECT_EQ(line.cost_minor(), 6000);
    EXPECT_EQ(line.price_source().seq(), 0u);
    EXPECT_EQ(line.price_source().effective_date(), "2026-01-15");
  }
  ASSERT_EQ(r.lines_size(), 3);
  EXPECT_EQ(r.lines(1).billing_date(), "2026-02-15");
  EXPECT_EQ(r.amount_minor(), 30000);
  EXPECT_EQ(r.cost_minor(), 18000);
  EXPECT_EQ(report.amount_minor(), 30000);
  EXPECT_EQ(report.currency(), "EUR");
  EXPECT_EQ(r.billing_family(), "SERV");
  EXPECT_EQ(r.lines(0).explanation(),
            "1.000 x 100.000000, the agreed price from 2026-01-15");
}

// Once billed, the rule is no longer in catch-up: one period per run, the
// rest counted as behind.
TEST_F(ContractDueTest, AfterRealBillingOnePeriodPerRun) {
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  Billed("R1", "2026-01-15", "FA-2026-0001", CivilDay(2026, 1, 20));
  const v1::BillingRule rule = Rule("K1", "R1");
  EXPECT_EQ(rule.last_theoretical_date(), "2026-01-15");
  EXPECT_EQ(rule.next_theoretical_date(), "2026-02-15");
  EXPECT_EQ(rule.last_invoice_ref(), "FA-2026-0001");
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 4, 1)));
  EXPECT_FALSE(r.catch_up());
  EXPECT_EQ(Periods(r), "2026-02-15..2026-03-14");
  EXPECT_EQ(r.periods_behind(), 1);
}

// Quarterly in arrears from 2026-01-01: nothing on 2026-03-31, Q1 on
// 2026-04-01, Q1 and Q2 (catch-up) on 2026-07-15.
TEST_F(ContractDueTest, QuarterlyInArrears) {
  CreateContract();
  FlatRule("2026-01-01", "PERIODICITY_QUARTERLY", "BILLING_TIMING_IN_ARREARS");
  const v1::DueRule none = OnlyRule(Due(CivilDay(2026, 3, 31)));
  EXPECT_EQ(none.status(), v1::DUE_STATUS_NOTHING_DUE);
  EXPECT_THAT(none.reasons(),
              ElementsAre("the next period is billable on 2026-04-01"));
  EXPECT_EQ(Periods(OnlyRule(Due(CivilDay(2026, 4, 1)))),
            "2026-01-01..2026-03-31");
  const v1::DueRule two = OnlyRule(Due(CivilDay(2026, 7, 15)));
  ASSERT_EQ(two.lines_size(), 2);
  EXPECT_EQ(Periods(two), "2026-01-01..2026-03-31, 2026-04-01..2026-06-30");
  EXPECT_EQ(two.lines(0).billing_date(), "2026-04-01");
  EXPECT_EQ(two.lines(1).billing_date(), "2026-07-01");
  EXPECT_EQ(two.amount_minor(), 20000);
}

// A 3 % markup scheduled for 2026-07-01 changes July's price, not June's.
TEST_F(ContractDueTest, OneOffMarkupChangesJulyNotJune) {
  CreateContract();
  FlatRule("2026-01-01", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  Increase("2026-07-01", "INCREASE_KIND_CUSTOM_PERCENT", 300);
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 7, 1)));
  ASSERT_EQ(r.lines_size(), 7);  // January to July, catch-up
  const v1::DueLine& june = r.lines(5);
  const v1::DueLine& july = r.lines(6);
  EXPECT_EQ(june.period_start(), "2026-06-01");
  EXPECT_EQ(june.unit_price_micros(), 100000000);
  EXPECT_EQ(june.amount_minor(), 10000);
  EXPECT_EQ(june.price_source().seq(), 0u);
  EXPECT_EQ(july.period_start(), "2026-07-01");
  EXPECT_EQ(july.unit_price_micros(), 103000000);
  EXPECT_EQ(july.amount_minor(), 10300);
  EXPECT_EQ(july.price_source().seq(), 1u);
  EXPECT_EQ(july.price_source().effective_date(), "2026-07-01");
  EXPECT_EQ(july.price_source().kind(), v1::INCREASE_KIND_CUSTOM_PERCENT);
  EXPECT_EQ(july.explanation(),
            "1.000 x 103.000000, increase #1 of 2026-07-01");
  EXPECT_EQ(r.amount_minor(), 6 * 10000 + 10300);
}

// The same with the company markup policy (3 % from 2026-01-01).
TEST_F(ContractDueTest, CompanyMarkupOneOffUsesThePolicyInForce) {
  Run(Cmd(R"pb(customer_id: "@reference"
               set_company_markup {
                 markup { effective_date: "2026-01-01" percent_bp: 300 }
               })pb"));
  CreateContract();
  FlatRule("2026-01-01", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  Increase("2026-07-01", "INCREASE_KIND_COMPANY_MARKUP");
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 7, 1)));
  ASSERT_EQ(r.lines_size(), 7);  // January to July, catch-up
  EXPECT_EQ(r.lines(5).unit_price_micros(), 100000000);
  EXPECT_EQ(r.lines(6).unit_price_micros(), 103000000);
  EXPECT_EQ(r.lines(6).price_source().kind(),
            v1::INCREASE_KIND_COMPANY_MARKUP);
}

// Cancelling the increase puts July back at the agreed price.
TEST_F(ContractDueTest, CancelledIncreaseNoLongerPrices) {
  CreateContract();
  FlatRule("2026-01-01", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  Increase("2026-07-01", "INCREASE_KIND_CUSTOM_PERCENT", 300);
  Run(Cmd(R"pb(customer_id: "C1"
               cancel_increase {
                 contract_ref: "K1"
                 rule_id: "R1"
                 seq: 1
                 reason: "disputed"
               })pb"));
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 7, 1)));
  ASSERT_EQ(r.lines_size(), 7);  // January to July, catch-up
  EXPECT_EQ(r.lines(6).unit_price_micros(), 100000000);
  EXPECT_EQ(r.lines(6).price_source().seq(), 0u);
}

// A recurring Syntec policy: the anniversary 2027-01-15 is priced in the
// due computation before anybody records it (pending), and recording it
// (apply_anniversary_increases) changes nothing but pending.
TEST_F(ContractDueTest, SyntecAnniversaryPendingThenRecorded) {
  Run(Cmd(R"pb(customer_id: "@reference"
               publish_index {
                 publication {
                   index_code: "SYNTEC"
                   publication_date: "2026-12-01"
                   value_micros: 280500000
                 }
               })pb"));
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_YEARLY", "BILLING_TIMING_IN_ADVANCE",
           R"pb(recurring_increase {
                  kind: INCREASE_KIND_SYNTEC
                  syntec {
                    a_micros: 150000
                    b_micros: 850000
                    reference_index_micros: 270000000
                  }
                })pb");
  const v1::DueRule before = OnlyRule(Due(CivilDay(2027, 1, 15)));
  ASSERT_EQ(before.lines_size(), 2);
  EXPECT_EQ(before.lines(0).unit_price_micros(), 100000000);
  EXPECT_EQ(before.lines(1).unit_price_micros(), 103305556);
  EXPECT_EQ(before.lines(1).amount_minor(), 10331);  // 103.305556 -> 103.31
  EXPECT_TRUE(before.lines(1).price_source().pending());
  EXPECT_EQ(before.lines(1).price_source().origin(),
            v1::INCREASE_ORIGIN_ANNIVERSARY);

  auto answer = Run(Cmd(R"pb(customer_id: "C1"
                             apply_anniversary_increases {
                               as_of_date: "2027-01-15"
                             })pb"),
                    CivilDay(2027, 1, 15));
  ASSERT_EQ(answer.increases_size(), 1);
  EXPECT_EQ(answer.increases(0).change().anniversary_date(), "2027-01-15");
  EXPECT_EQ(answer.increases(0).change().new_price_micros(), 103305556);
  EXPECT_EQ(answer.increases(0).change().seq(), 1u);
  const v1::DueRule after = OnlyRule(Due(CivilDay(2027, 1, 15)));
  ASSERT_EQ(after.lines_size(), 2);
  EXPECT_EQ(after.lines(1).unit_price_micros(), 103305556);
  EXPECT_FALSE(after.lines(1).price_source().pending());
  EXPECT_EQ(after.lines(1).price_source().seq(), 1u);
}

TEST_F(ContractDueTest, AnniversaryWithoutIndexIsAnAnomaly) {
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_YEARLY", "BILLING_TIMING_IN_ADVANCE",
           R"pb(recurring_increase {
                  kind: INCREASE_KIND_SYNTEC
                  syntec {
                    a_micros: 150000
                    b_micros: 850000
                    reference_index_micros: 270000000
                  }
                })pb");
  const v1::DueRule r = OnlyRule(Due(CivilDay(2027, 1, 15)));
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("rule K1/R1: price as of 2027-01-15 unknown: "
                          "anniversary 2027-01-15: no SYNTEC index published "
                          "on or before 2027-01-15"));
  EXPECT_EQ(Due(CivilDay(2027, 1, 15)).amount_minor(), 0);
}

// A rule whose next theoretical date was cleared is an anomaly, not billed.
TEST_F(ContractDueTest, NoNextDateIsAnAnomaly) {
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  Run(Cmd(R"pb(customer_id: "C1"
               set_rule_dates { contract_ref: "K1" rule_id: "R1" })pb"));
  const v1::DueReport report = Due(CivilDay(2026, 4, 1));
  const v1::DueRule r = OnlyRule(report);
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("no next theoretical billing date: the rule is not "
                          "billed until one is set"));
  EXPECT_EQ(r.lines_size(), 0);
  EXPECT_EQ(report.amount_minor(), 0);
}

TEST_F(ContractDueTest, FinishedRule) {
  Run(Cmd(R"pb(customer_id: "C1"
               create_contract {
                 contract {
                   contract_ref: "K1"
                   contract_family: "F"
                   billing_family: "B"
                   start_date: "2026-01-01"
                   end_date: "2026-03-31"
                 }
               })pb"));
  FlatRule("2026-01-01", "PERIODICITY_QUARTERLY", "BILLING_TIMING_IN_ADVANCE");
  Billed("R1", "2026-01-01", "FA-1", CivilDay(2026, 1, 2));
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 6, 1)));
  EXPECT_EQ(r.status(), v1::DUE_STATUS_FINISHED);
}

// A catch-up owes at most kDuePeriodsMax periods: 1,200 months from
// 1926-02-01 to 2026-01-01 are due; from 1926-01-01, 1,201 are an anomaly.
TEST_F(ContractDueTest, CatchUpPeriodsAtTheLimit) {
  CreateContract("1926-01-01");
  FlatRule("1926-02-01", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  const v1::DueRule ok = OnlyRule(Due(CivilDay(2026, 1, 1)));
  EXPECT_EQ(ok.status(), v1::DUE_STATUS_DUE);
  EXPECT_EQ(ok.lines_size(), kDuePeriodsMax);
  Run(Cmd(R"pb(customer_id: "C1"
               create_contract {
                 contract {
                   contract_ref: "K2"
                   contract_family: "F"
                   billing_family: "B"
                   start_date: "1926-01-01"
                 }
               })pb"));
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K2"
                   rule_id: "OLD"
                   rule_type: RULE_TYPE_FLAT
                   object_ids: "EQ-1"
                   article_code: "MAINT"
                   unit_price_micros: 1000000
                   periodicity: PERIODICITY_MONTHLY
                   timing: BILLING_TIMING_IN_ADVANCE
                 }
               })pb"));
  const v1::DueRule too_many = OnlyRule(Due(CivilDay(2026, 1, 1), "K2"));
  EXPECT_EQ(too_many.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(too_many.reasons(), ElementsAre("more than 1200 periods owed"));
}

// --- Values beyond what can be billed ---------------------------------------

// A second flat rule R2 on K1, yearly in advance from 2026-01-01, no cost.
v1::ContractCommand YearlyRule(const std::string& rule_id,
                               int64_t quantity_milli,
                               int64_t unit_price_micros,
                               const std::string& extra = "") {
  return Cmd(absl::StrCat(R"pb(customer_id: "C1" create_rule { rule {
        contract_ref: "K1" rule_type: RULE_TYPE_FLAT object_ids: "EQ-2"
        article_code: "MAINT" periodicity: PERIODICITY_YEARLY
        timing: BILLING_TIMING_IN_ADVANCE start_date: "2026-01-01"
        rule_id: ")pb",
                          rule_id, "\" quantity_milli: ", quantity_milli,
                          " unit_price_micros: ", unit_price_micros, " ",
                          extra, "}}"));
}

// Legal values whose product is not: 10^12 units (the maximum) at
// 100.000000 is 10^14 EUR, over the 10^13 EUR a line may hold. R2 is an
// anomaly with the reason; R1 (3 x 100.00) is still due, and the total
// is R1's.
TEST_F(ContractDueTest, AmountOverTheMaximumIsAnAnomalyOtherRulesStillDue) {
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  Run(YearlyRule("R2", kQuantityMilliMax, 100000000));
  const v1::DueReport report = Due(CivilDay(2026, 4, 1));
  ASSERT_EQ(report.rules_size(), 2);
  const v1::DueRule& r1 = report.rules(0);
  const v1::DueRule& r2 = report.rules(1);
  EXPECT_EQ(r1.rule_id(), "R1");
  EXPECT_EQ(r1.status(), v1::DUE_STATUS_DUE);
  EXPECT_EQ(r1.amount_minor(), 30000);
  EXPECT_EQ(r2.rule_id(), "R2");
  EXPECT_EQ(r2.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r2.reasons(),
              ElementsAre("2026-01-01 to 2026-12-31: the amount "
                          "1000000000000.000 x 100.000000 is over the maximum "
                          "of a line, 10000000000000.00 EUR"));
  EXPECT_EQ(r2.lines_size(), 0);
  EXPECT_EQ(report.amount_minor(), 30000);
}

// The issue's case: a rule recorded (before the limits) with quantity
// int64 max. What is due no longer fails as a whole with "OUT_OF_RANGE:
// amount does not fit in 64 bits": that rule is an anomaly, R1 is due.
TEST_F(ContractDueTest, RecordedQuantityOfInt64MaxIsAnAnomaly) {
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  RunAsRecordedBefore(YearlyRule("R2", 1000, 100000000),
                      [](std::vector<v1::EventEnvelope>& events) {
                        events.at(0)
                            .mutable_contract()
                            ->mutable_rule_created()
                            ->mutable_rule()
                            ->set_quantity_milli(
                                std::numeric_limits<int64_t>::max());
                      });
  auto report = ComputeDue(state_, "C1", DueSelection{}, CivilDay(2026, 4, 1));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rules_size(), 2);
  EXPECT_EQ(report->rules(0).status(), v1::DUE_STATUS_DUE);
  EXPECT_EQ(report->rules(1).status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(report->rules(1).reasons(),
              ElementsAre("2026-01-01 to 2026-12-31: the amount "
                          "9223372036854775.807 x 100.000000 is over the "
                          "maximum of a line, 10000000000000.00 EUR"));
  EXPECT_EQ(report->amount_minor(), 30000);
}

// An increase compounding: 50,000,000,000.000000 doubled at each
// anniversary (100 %) is 10^11 (the maximum) on 2027-01-01, and 2 x 10^11
// on 2028-01-01: that period's price is unknown, the rule an anomaly; the
// 2026 and 2027 lines are shown, R1's 25 months still due.
TEST_F(ContractDueTest, CompoundingIncreasesOverTheMaximumAreAnAnomaly) {
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  Run(YearlyRule("R2", 1000, kUnitPriceMicrosMax / 2,
                 R"pb(recurring_increase {
                        kind: INCREASE_KIND_CUSTOM_PERCENT
                        percent_bp: 10000
                      })pb"));
  const v1::DueReport report = Due(CivilDay(2028, 1, 15));
  ASSERT_EQ(report.rules_size(), 2);
  const v1::DueRule& r2 = report.rules(1);
  EXPECT_EQ(r2.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r2.reasons(),
              ElementsAre("rule K1/R2: price as of 2028-01-01 unknown: "
                          "2028-01-01 anniversary: the new price "
                          "200000000000.000000 is over the maximum unit price "
                          "100000000000.000000"));
  ASSERT_EQ(r2.lines_size(), 2);
  EXPECT_EQ(r2.lines(1).unit_price_micros(), kUnitPriceMicrosMax);
  EXPECT_EQ(r2.lines(1).amount_minor(), 10'000'000'000'000);
  EXPECT_EQ(report.rules(0).status(), v1::DUE_STATUS_DUE);
  EXPECT_EQ(report.amount_minor(), 25 * 10000);
}

// Two rules of 6,000,000,000,000.00 EUR each (100,000 units at
// 60,000,000.000000): each within a line's maximum, together over the
// customer's 10,000,000,000,000.00. The second is an anomaly saying so.
TEST_F(ContractDueTest, TotalDueOverTheMaximumMakesTheRuleAnAnomaly) {
  CreateContract();
  Run(YearlyRule("A", 100000000, 60000000000000));
  Run(YearlyRule("B", 100000000, 60000000000000));
  const v1::DueReport report = Due(CivilDay(2026, 1, 1));
  ASSERT_EQ(report.rules_size(), 2);
  EXPECT_EQ(report.rules(0).status(), v1::DUE_STATUS_DUE);
  EXPECT_EQ(report.rules(0).amount_minor(), 600'000'000'000'000);
  EXPECT_EQ(report.rules(1).status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(report.rules(1).reasons(),
              ElementsAre("its 6000000000000.00 EUR and the 6000000000000.00 "
                          "EUR due on the rules before it would take the "
                          "customer's total over the maximum "
                          "10000000000000.00 EUR"));
  EXPECT_EQ(report.amount_minor(), 600'000'000'000'000);
}

// Units of work recorded before the limits: two entries of int64 max
// thousandths in January do not add up in 64 bits.
TEST_F(ContractDueTest, RecordedWorkUnitsBeyond64BitsAreAnAnomaly) {
  CreateContract();
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "PAYSLIPS"
                   rule_type: RULE_TYPE_UNIT_OF_WORK
                   object_ids: "PAYROLL"
                   article_code: "MAINT"
                   unit_price_micros: 25000000
                   periodicity: PERIODICITY_MONTHLY
                 }
               })pb"));
  for (int i = 0; i < 2; ++i) {
    RunAsRecordedBefore(
        Cmd(R"pb(customer_id: "C1"
                 record_work_units {
                   units {
                     contract_ref: "K1"
                     rule_id: "PAYSLIPS"
                     work_date: "2026-01-31"
                     quantity_milli: 1000
                   }
                 })pb"),
        [](std::vector<v1::EventEnvelope>& events) {
          events.at(0)
              .mutable_contract()
              ->mutable_work_units_recorded()
              ->mutable_units()
              ->set_quantity_milli(std::numeric_limits<int64_t>::max());
        });
  }
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 2, 1)));
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("2026-01-01 to 2026-01-31: the units of the 2 "
                          "entries do not add up in 64 bits"));
}

// Time recorded before the limits: two entries of int64 max thousandths of
// an hour by P1 in March do not add up in 64 bits.
TEST_F(ContractDueTest, RecordedHoursBeyond64BitsAreAnAnomaly) {
  Run(Cmd(R"pb(customer_id: "@reference"
               set_hourly_rate {
                 rate {
                   person_id: "P1"
                   effective_date: "2026-01-01"
                   rate_micros: 80000000
                 }
               })pb"));
  CreateContract();
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "HOURS"
                   rule_type: RULE_TYPE_TIME_SPENT
                   object_ids: "FILE-1"
                   article_code: "MAINT"
                   periodicity: PERIODICITY_MONTHLY
                   start_date: "2026-03-01"
                 }
               })pb"));
  for (int i = 0; i < 2; ++i) {
    RunAsRecordedBefore(
        Cmd(R"pb(customer_id: "C1"
                 record_time {
                   entry {
                     contract_ref: "K1"
                     rule_id: "HOURS"
                     person_id: "P1"
                     work_date: "2026-03-10"
                     hours_milli: 1000
                   }
                 })pb"),
        [](std::vector<v1::EventEnvelope>& events) {
          events.at(0)
              .mutable_contract()
              ->mutable_time_recorded()
              ->mutable_entry()
              ->set_hours_milli(std::numeric_limits<int64_t>::max());
        });
  }
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 4, 1)));
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("2026-03-01 to 2026-03-31: the hours of person "
                          "\"P1\" do not add up in 64 bits"));
}

// An installment recorded (before the limits) at int64 max cents cannot be
// billed as one unit: an anomaly; the other installments are shown.
TEST_F(ContractDueTest, RecordedInstallmentBeyondAUnitPriceIsAnAnomaly) {
  CreateContract();
  RunAsRecordedBefore(
      Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "FEE"
                   rule_type: RULE_TYPE_INSTALLMENT_SCHEDULE
                   object_ids: "FILE-2026"
                   article_code: "MAINT"
                   periodicity: PERIODICITY_QUARTERLY
                   end_date: "2026-12-31"
                   installment_schedule { fee_minor: 100000 }
                 }
               })pb"),
      [](std::vector<v1::EventEnvelope>& events) {
        events.at(0)
            .mutable_contract()
            ->mutable_rule_created()
            ->mutable_rule()
            ->mutable_installment_schedule()
            ->mutable_installments(1)
            ->set_amount_minor(std::numeric_limits<int64_t>::max());
      });
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 4, 1)));
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("installment 2 of 4 due 2026-04-01: "
                          "92233720368547758.07 EUR is over the maximum unit "
                          "price 100000000000.000000"));
  ASSERT_EQ(r.lines_size(), 1);
  EXPECT_EQ(r.lines(0).amount_minor(), 25000);
}

// --- Consumed units -------------------------------------------------------

class ContractMeterDueTest : public ContractDueTest {
 protected:
  void SetUp() override {
    ContractDueTest::SetUp();
    CreateContract();
    // 0.050000 a copy, monthly in arrears.
    Run(Cmd(R"pb(customer_id: "C1"
                 create_rule {
                   rule {
                     contract_ref: "K1"
                     rule_id: "COPIES"
                     rule_type: RULE_TYPE_CONSUMED_UNITS
                     object_ids: "COPIER-1"
                     article_code: "MAINT"
                     unit_price_micros: 50000
                     periodicity: PERIODICITY_MONTHLY
                     start_date: "2026-01-01"
                   }
                 })pb"));
  }

  static v1::ContractCommand ReadingCmd(const std::string& date,
                                        int64_t value_milli,
                                        const std::string& kind,
                                        const std::string& extra = "") {
    return Cmd(absl::StrCat(R"pb(customer_id: "C1" record_reading { reading {
          contract_ref: "K1" rule_id: "COPIES" object_id: "COPIER-1"
          reading_date: ")pb",
                            date, "\" value_milli: ", value_milli,
                            " kind: ", kind, " ", extra, "}}"));
  }

  void Reading(const std::string& date, int64_t value_milli,
               const std::string& kind) {
    Run(ReadingCmd(date, value_milli, kind));
  }

  // A reading recorded before readings going backwards (or beyond the
  // limits) were refused: `decided` as decided, its event edited.
  void ReadingAsRecordedBefore(const v1::ContractCommand& decided,
                               const std::function<void(v1::Reading&)>& edit) {
    RunAsRecordedBefore(decided, [&](std::vector<v1::EventEnvelope>& events) {
      ASSERT_EQ(events.size(), 1u);
      edit(*events[0]
                 .mutable_contract()
                ->mutable_reading_recorded()
                ->mutable_reading());
    });
  }

  // The same for a regular reading whose event carries `value_milli`.
  void ReadingAsRecordedBefore(const std::string& date, int64_t decided_milli,
                               int64_t value_milli) {
    ReadingAsRecordedBefore(
        ReadingCmd(date, decided_milli, "READING_KIND_REGULAR"),
        [&](v1::Reading& r) { r.set_value_milli(value_milli); });
  }
};

// Installation at 1,000, reading 1,250: 250 units billed. Then the meter
// is replaced by a new one installed at 80, read at 300: 220 units billed.
TEST_F(ContractMeterDueTest, UnitsSinceTheLastBilledReadingAcrossAReplacement) {
  Reading("2026-01-02", 1000000, "READING_KIND_INSTALLATION");
  Reading("2026-01-31", 1250000, "READING_KIND_REGULAR");
  const v1::DueRule january = OnlyRule(Due(CivilDay(2026, 2, 1)));
  ASSERT_EQ(january.lines_size(), 1);
  const v1::DueLine& l = january.lines(0);
  EXPECT_EQ(l.object_id(), "COPIER-1");
  EXPECT_EQ(l.quantity_milli(), 250000);
  EXPECT_EQ(l.from_reading().value_milli(), 1000000);
  EXPECT_EQ(l.from_reading().kind(), v1::READING_KIND_INSTALLATION);
  EXPECT_EQ(l.to_reading().value_milli(), 1250000);
  EXPECT_EQ(l.amount_minor(), 1250);  // 250 x 0.05 = 12.50
  EXPECT_EQ(l.period_start(), "2026-01-01");
  EXPECT_EQ(l.period_end(), "2026-01-31");
  EXPECT_EQ(l.explanation(),
            "object COPIER-1: reading #1 of 2026-01-02 (installation) to "
            "reading #2 of 2026-01-31: 1250.000 - 1000.000 = 250.000 units, x "
            "0.050000, the agreed price from 2026-01-01");

  Billed("COPIES", "2026-01-01", "FA-1", CivilDay(2026, 2, 1));
  auto meter = LoadMeter(state_, "C1", "COPIER-1");
  EXPECT_EQ((*meter)->last_billed_seq(), 2u);
  EXPECT_EQ((*meter)->last_billed_value_milli(), 1250000);

  Reading("2026-02-10", 80000, "READING_KIND_REPLACEMENT");
  Reading("2026-02-28", 300000, "READING_KIND_REGULAR");
  const v1::DueRule february = OnlyRule(Due(CivilDay(2026, 3, 1)));
  ASSERT_EQ(february.lines_size(), 1);
  EXPECT_EQ(february.lines(0).quantity_milli(), 220000);
  EXPECT_EQ(february.lines(0).carried_units_milli(), 0);
  EXPECT_EQ(february.lines(0).from_reading().value_milli(), 80000);
  EXPECT_EQ(february.lines(0).from_reading().kind(),
            v1::READING_KIND_REPLACEMENT);
  EXPECT_EQ(february.lines(0).amount_minor(), 1100);  // 220 x 0.05 = 11.00
}

// The old meter's last value is carried: billed at 1,250, old meter read
// 1,300 at its removal, new one from 80 to 300: 50 + 220 = 270 units.
TEST_F(ContractMeterDueTest, ReplacedMetersFinalUnitsAreCarried) {
  Reading("2026-01-02", 1000000, "READING_KIND_INSTALLATION");
  Reading("2026-01-31", 1250000, "READING_KIND_REGULAR");
  Billed("COPIES", "2026-01-01", "FA-1", CivilDay(2026, 2, 1));
  Run(Cmd(R"pb(customer_id: "C1"
               record_reading {
                 reading {
                   contract_ref: "K1"
                   rule_id: "COPIES"
                   object_id: "COPIER-1"
                   reading_date: "2026-02-10"
                   value_milli: 80000
                   kind: READING_KIND_REPLACEMENT
                   old_meter_final_value_milli: 1300000
                 }
               })pb"));
  Reading("2026-02-28", 300000, "READING_KIND_REGULAR");
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 3, 1)));
  ASSERT_EQ(r.lines_size(), 1);
  EXPECT_EQ(r.lines(0).carried_units_milli(), 50000);
  EXPECT_EQ(r.lines(0).quantity_milli(), 270000);
}

// A reading lower than the last billed one, not flagged as a replacement,
// is an anomaly: nothing billed, the reason given. (Such a reading is
// refused today; a journal written before still holds it.)
TEST_F(ContractMeterDueTest, LowerReadingIsAnAnomaly) {
  Reading("2026-01-02", 1000000, "READING_KIND_INSTALLATION");
  Reading("2026-01-31", 1250000, "READING_KIND_REGULAR");
  Billed("COPIES", "2026-01-01", "FA-1", CivilDay(2026, 2, 1));
  ReadingAsRecordedBefore("2026-02-28", 1250000, 1200000);
  const v1::DueReport report = Due(CivilDay(2026, 3, 1));
  const v1::DueRule r = OnlyRule(report);
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("object COPIER-1: reading #3 of 2026-02-28 "
                          "(1200.000) is lower than the last billed reading "
                          "1250.000 of 2026-01-31 and is not flagged as a "
                          "meter replacement"));
  EXPECT_EQ(report.amount_minor(), 0);
  // And real billing refuses it.
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          record_rule_billed {
                            contract_ref: "K1"
                            rule_id: "COPIES"
                            period_start: "2026-02-01"
                            invoice_ref: "FA-2"
                            invoice_date: "2026-03-01"
                          })pb"),
                 absl::StatusCode::kFailedPrecondition,
                 "rule K1/COPIES cannot be billed: object COPIER-1: reading "
                 "#3 of 2026-02-28 (1200.000) is lower than the last billed "
                 "reading 1250.000 of 2026-01-31 and is not flagged as a "
                 "meter replacement");
}

// The example: installation 1,000, 1,300 on 03-01;
// 1,100 on 03-15 is refused, and what is due as of 04-01 stays 300 units
// (15.00 at 0.05), DUE.
TEST_F(ContractMeterDueTest, BackwardsReadingIsRefusedAndTheBillStays) {
  Reading("2026-01-02", 1000000, "READING_KIND_INSTALLATION");
  Reading("2026-03-01", 1300000, "READING_KIND_REGULAR");
  ExpectRejected(ReadingCmd("2026-03-15", 1100000, "READING_KIND_REGULAR"),
                 absl::StatusCode::kFailedPrecondition,
                 "reading.value_milli: 1100.000 on 2026-03-15 is below "
                 "1300.000 on 2026-03-01 (reading #2, the previous reading of "
                 "object COPIER-1); record a meter replacement if the meter "
                 "was changed");
  const v1::DueReport report = Due(CivilDay(2026, 4, 1));
  const v1::DueRule r = OnlyRule(report);
  EXPECT_EQ(r.status(), v1::DUE_STATUS_DUE);
  ASSERT_EQ(r.lines_size(), 1);
  EXPECT_EQ(r.lines(0).quantity_milli(), 300000);
  EXPECT_EQ(r.lines(0).to_reading().value_milli(), 1300000);
  EXPECT_EQ(report.amount_minor(), 1500);
}

// The reading to stay above is the previous one, not the last billed one:
// billed at 1,250, read 1,400 on 02-20, then 1,300 on 02-28 is refused
// (although above 1,250).
TEST_F(ContractMeterDueTest, BackwardsFromThePreviousNotTheLastBilled) {
  Reading("2026-01-02", 1000000, "READING_KIND_INSTALLATION");
  Reading("2026-01-31", 1250000, "READING_KIND_REGULAR");
  Billed("COPIES", "2026-01-01", "FA-1", CivilDay(2026, 2, 1));
  Reading("2026-02-20", 1400000, "READING_KIND_REGULAR");
  ExpectRejected(ReadingCmd("2026-02-28", 1300000, "READING_KIND_REGULAR"),
                 absl::StatusCode::kFailedPrecondition,
                 "reading.value_milli: 1300.000 on 2026-02-28 is below "
                 "1400.000 on 2026-02-20 (reading #3, the previous reading of "
                 "object COPIER-1); record a meter replacement if the meter "
                 "was changed");
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 3, 1)));
  ASSERT_EQ(r.lines_size(), 1);
  EXPECT_EQ(r.lines(0).quantity_milli(), 150000);  // 1,400 - 1,250
}

// A journal written before the refusal holds 1,000, 1,300, 1,100: the due
// computation no longer bills 100 units from it, it reports the anomaly.
// The correction is a new event: a meter replacement recorded after it,
// here with the old meter's final value 1,300 and the new one at 50, read
// 80 on 03-31: 300 + 30 = 330 units.
TEST_F(ContractMeterDueTest, RecordedBackwardsReadingIsAnAnomaly) {
  Reading("2026-01-02", 1000000, "READING_KIND_INSTALLATION");
  Reading("2026-03-01", 1300000, "READING_KIND_REGULAR");
  ReadingAsRecordedBefore("2026-03-15", 1300000, 1100000);
  const v1::DueReport report = Due(CivilDay(2026, 4, 1));
  const v1::DueRule r = OnlyRule(report);
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("object COPIER-1: reading #3 of 2026-03-15 "
                          "(1100.000) is lower than the previous reading #2 "
                          "of 2026-03-01 (1300.000) and is not flagged as a "
                          "meter replacement"));
  EXPECT_EQ(r.lines_size(), 0);
  EXPECT_EQ(report.amount_minor(), 0);

  Run(ReadingCmd("2026-03-20", 50000, "READING_KIND_REPLACEMENT",
                 "old_meter_final_value_milli: 1300000"));
  Reading("2026-03-31", 80000, "READING_KIND_REGULAR");
  const v1::DueRule corrected = OnlyRule(Due(CivilDay(2026, 4, 1)));
  EXPECT_EQ(corrected.status(), v1::DUE_STATUS_DUE);
  ASSERT_EQ(corrected.lines_size(), 1);
  EXPECT_EQ(corrected.lines(0).carried_units_milli(), 300000);
  EXPECT_EQ(corrected.lines(0).quantity_milli(), 330000);
}

// Readings recorded before the limits: a reading of int64
// max makes an amount over the maximum, an anomaly naming the object and
// the period; the customer's report is still computed.
TEST_F(ContractMeterDueTest, RecordedReadingOfInt64MaxIsAnAnomaly) {
  Reading("2026-01-02", 1000000, "READING_KIND_INSTALLATION");
  ReadingAsRecordedBefore("2026-01-31", 1000000,
                          std::numeric_limits<int64_t>::max());
  const v1::DueReport report = Due(CivilDay(2026, 2, 1));
  const v1::DueRule r = OnlyRule(report);
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("object COPIER-1, 2026-01-01 to 2026-01-31: the "
                          "amount 9223372036853775.807 x 0.050000 is over the "
                          "maximum of a line, 10000000000000.00 EUR"));
  EXPECT_EQ(r.lines_size(), 0);
  EXPECT_EQ(report.amount_minor(), 0);
}

// Installed at 1,000; replaced, the old meter's last value recorded as
// int64 max (9223372036854775.807): 9223372036853775.807 units carried;
// the new meter from 0 to 2,000 adds 2,000.000: more than 64 bits hold.
TEST_F(ContractMeterDueTest, CarriedUnitsBeyond64BitsAreAnAnomaly) {
  Reading("2026-01-02", 1000000, "READING_KIND_INSTALLATION");
  ReadingAsRecordedBefore(
      ReadingCmd("2026-01-10", 0, "READING_KIND_REPLACEMENT",
                 "old_meter_final_value_milli: 1000000"),
      [](v1::Reading& r) {
        r.set_old_meter_final_value_milli(std::numeric_limits<int64_t>::max());
      });
  Reading("2026-01-31", 2000000, "READING_KIND_REGULAR");
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 2, 1)));
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("object COPIER-1: the units consumed "
                          "(9223372036853775.807 carried from replaced "
                          "meters, plus 2000.000 since reading #2 of "
                          "2026-01-10) do not fit in 64 bits"));
}

TEST_F(ContractMeterDueTest, NoInstallationReadingIsAnAnomaly) {
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 2, 1)));
  EXPECT_EQ(r.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(r.reasons(),
              ElementsAre("object COPIER-1 has no installation reading on or "
                          "before 2026-02-01"));
}

// --- Units of work, time spent, installments, conditions ---------------------

// Payslips at 25.00: 12 in January, 15 in February; monthly in arrears,
// as of 2026-03-01 (catch-up): 300.00 + 375.00.
TEST_F(ContractDueTest, UnitsOfWorkPerPeriod) {
  CreateContract();
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "PAYSLIPS"
                   rule_type: RULE_TYPE_UNIT_OF_WORK
                   object_ids: "PAYROLL"
                   article_code: "MAINT"
                   unit_price_micros: 25000000
                   periodicity: PERIODICITY_MONTHLY
                 }
               })pb"));
  for (const auto& [date, qty] :
       std::vector<std::pair<std::string, int>>{{"2026-01-31", 7000},
                                                {"2026-01-31", 5000},
                                                {"2026-02-27", 15000},
                                                {"2026-03-01", 99000}}) {
    Run(Cmd(absl::StrCat(R"pb(customer_id: "C1" record_work_units { units {
          contract_ref: "K1" rule_id: "PAYSLIPS" work_date: ")pb",
                         date, "\" quantity_milli: ", qty,
                         " note: \"payslips\"}}")));
  }
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 3, 1)));
  ASSERT_EQ(r.lines_size(), 2);
  EXPECT_EQ(r.lines(0).quantity_milli(), 12000);
  EXPECT_EQ(r.lines(0).amount_minor(), 30000);
  EXPECT_EQ(r.lines(1).quantity_milli(), 15000);
  EXPECT_EQ(r.lines(1).amount_minor(), 37500);
  EXPECT_EQ(r.lines(0).explanation(),
            "2 entries, 12.000 units dated 2026-01-01 to 2026-01-31, x "
            "25.000000, the agreed price from 2026-01-01");
}

// Time spent: P1 at 80.00/h, 90.00/h from 2026-03-15; March: 2.5 h on the
// 10th (200.00) and 1.5 h on the 20th (135.00). P2 has no rate: anomaly.
TEST_F(ContractDueTest, TimeSpentAtTheRateInForceOnEachDay) {
  Run(Cmd(R"pb(customer_id: "@reference"
               set_hourly_rate {
                 rate {
                   person_id: "P1"
                   effective_date: "2026-01-01"
                   rate_micros: 80000000
                 }
               })pb"));
  Run(Cmd(R"pb(customer_id: "@reference"
               set_hourly_rate {
                 rate {
                   person_id: "P1"
                   effective_date: "2026-03-15"
                   rate_micros: 90000000
                 }
               })pb"));
  CreateContract();
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "HOURS"
                   rule_type: RULE_TYPE_TIME_SPENT
                   object_ids: "FILE-1"
                   article_code: "MAINT"
                   periodicity: PERIODICITY_MONTHLY
                   start_date: "2026-03-01"
                 }
               })pb"));
  auto time = [&](const std::string& person, const std::string& date,
                  int hours_milli) {
    Run(Cmd(absl::StrCat(R"pb(customer_id: "C1" record_time { entry {
          contract_ref: "K1" rule_id: "HOURS" person_id: ")pb",
                         person, "\" work_date: \"", date,
                         "\" hours_milli: ", hours_milli, "}}")));
  };
  time("P1", "2026-03-10", 2500);
  time("P1", "2026-03-20", 1500);
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 4, 1)));
  ASSERT_EQ(r.lines_size(), 2);
  EXPECT_EQ(r.lines(0).quantity_milli(), 2500);
  EXPECT_EQ(r.lines(0).unit_price_micros(), 80000000);
  EXPECT_EQ(r.lines(0).amount_minor(), 20000);
  EXPECT_EQ(r.lines(0).price_source().person_id(), "P1");
  EXPECT_EQ(r.lines(0).price_source().rate_effective_date(), "2026-01-01");
  EXPECT_EQ(r.lines(1).amount_minor(), 13500);
  EXPECT_EQ(r.lines(1).explanation(),
            "1.500 h by P1 at 90.000000/h (rate from 2026-03-15)");
  EXPECT_EQ(r.amount_minor(), 33500);

  time("P2", "2026-03-11", 1000);
  const v1::DueRule missing = OnlyRule(Due(CivilDay(2026, 4, 1)));
  EXPECT_EQ(missing.status(), v1::DUE_STATUS_ANOMALY);
  EXPECT_THAT(missing.reasons(),
              ElementsAre("person \"P2\" has no hourly sale rate on "
                          "2026-03-11"));
}

// A 1,000.00 fee in 12 monthly installments: as of 2026-03-05 (catch-up),
// January, February and March: 3 x 83.33 = 249.99.
TEST_F(ContractDueTest, InstallmentsDueOnTheirDates) {
  CreateContract();
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "FEE"
                   rule_type: RULE_TYPE_INSTALLMENT_SCHEDULE
                   object_ids: "FILE-2026"
                   article_code: "MAINT"
                   periodicity: PERIODICITY_MONTHLY
                   end_date: "2026-12-31"
                   installment_schedule { fee_minor: 100000 }
                 }
               })pb"));
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 3, 5)));
  ASSERT_EQ(r.lines_size(), 3);
  EXPECT_EQ(r.lines(2).period_start(), "2026-03-01");
  EXPECT_EQ(r.lines(2).amount_minor(), 8333);
  EXPECT_EQ(r.lines(2).price_source().installment(), 3);
  EXPECT_EQ(r.amount_minor(), 24999);
  EXPECT_EQ(r.lines(0).explanation(),
            "installment 1 of 12 due 2026-01-01: 83.33 of the fee 1000.00");
  // The last one carries the remainder.
  const v1::DueRule all = OnlyRule(Due(CivilDay(2026, 12, 31)));
  ASSERT_EQ(all.lines_size(), 12);
  EXPECT_EQ(all.lines(11).amount_minor(), 8337);
  EXPECT_EQ(all.amount_minor(), 100000);
}

TEST_F(ContractDueTest, ExplicitInstallments) {
  CreateContract();
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "FEE"
                   rule_type: RULE_TYPE_INSTALLMENT_SCHEDULE
                   object_ids: "FILE-2026"
                   article_code: "MAINT"
                   periodicity: PERIODICITY_QUARTERLY
                   end_date: "2026-12-31"
                   installment_schedule {
                     fee_minor: 120000
                     installments { due_date: "2026-01-31" amount_minor: 60000 }
                     installments { due_date: "2026-06-30" amount_minor: 40000 }
                     installments { due_date: "2026-10-31" amount_minor: 20000 }
                   }
                 }
               })pb"));
  const v1::DueRule r = OnlyRule(Due(CivilDay(2026, 7, 1)));
  ASSERT_EQ(r.lines_size(), 2);
  EXPECT_EQ(Periods(r), "2026-01-31..2026-06-29, 2026-06-30..2026-10-30");
  EXPECT_EQ(r.amount_minor(), 100000);
}

// A conditional line is held until its job is completed.
TEST_F(ContractDueTest, ConditionalRuleHeldUntilItsJobIsCompleted) {
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE",
           R"pb(condition_job_id: "JOB-7")pb");
  const v1::DueReport held = Due(CivilDay(2026, 2, 1));
  EXPECT_EQ(OnlyRule(held).status(), v1::DUE_STATUS_HELD);
  EXPECT_THAT(OnlyRule(held).reasons(),
              ElementsAre("held until job \"JOB-7\" is recorded as "
                          "completed"));
  EXPECT_EQ(OnlyRule(held).lines_size(), 1);  // shown, not counted
  EXPECT_EQ(held.amount_minor(), 0);
  Run(Cmd(R"pb(customer_id: "C1"
               complete_job {
                 job { job_id: "JOB-7" completed_on: "2026-01-28" }
               })pb"));
  const v1::DueReport done = Due(CivilDay(2026, 2, 1));
  EXPECT_EQ(OnlyRule(done).status(), v1::DUE_STATUS_DUE);
  EXPECT_EQ(done.amount_minor(), 10000);
  // As of a date before the completion, still held.
  EXPECT_EQ(OnlyRule(Due(CivilDay(2026, 1, 20))).status(),
            v1::DUE_STATUS_HELD);
}

TEST_F(ContractDueTest, SelectionAndNotFound) {
  CreateContract();
  FlatRule("2026-01-15", "PERIODICITY_MONTHLY", "BILLING_TIMING_IN_ADVANCE");
  EXPECT_EQ(Due(CivilDay(2026, 2, 1), "K1", "R1").rules_size(), 1);
  auto missing = ComputeDue(state_, "C1", DueSelection{"K1", "R9"},
                            CivilDay(2026, 2, 1));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "rule_id: \"R9\" is not a rule of contract \"K1\"");
  auto no_customer =
      ComputeDue(state_, "C9", DueSelection{}, CivilDay(2026, 2, 1));
  EXPECT_EQ(no_customer.status().message(),
            "customer_id: \"C9\" does not exist");
  auto rule_only =
      ComputeDue(state_, "C1", DueSelection{"", "R1"}, CivilDay(2026, 2, 1));
  EXPECT_EQ(rule_only.status().message(), "rule_id: needs contract_ref");
}

// A billing run as of a date before the period's billing date is refused.
TEST_F(ContractDueTest, RecordRuleBilledRefusesAPeriodNotYetBillable) {
  CreateContract();
  FlatRule("2026-01-01", "PERIODICITY_QUARTERLY", "BILLING_TIMING_IN_ARREARS");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          record_rule_billed {
                            contract_ref: "K1"
                            rule_id: "R1"
                            period_start: "2026-01-01"
                            invoice_ref: "FA-1"
                            invoice_date: "2026-03-31"
                          })pb"),
                 absl::StatusCode::kFailedPrecondition,
                 "rule K1/R1: the period 2026-01-01 to 2026-03-31 is billable "
                 "from 2026-04-01, after the invoice date 2026-03-31");
}

}  // namespace
}  // namespace billing
