// Increase formulas and the price chain, with numbers a person can check
// with a pencil.

#include "engine/contracts/prices.h"

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "billing/v1/contracts.pb.h"
#include "engine/contracts/limits.h"
#include "engine/core/keys.h"
#include "engine/core/state.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using absl::CivilDay;

// The issue's example: 100 x (0.15 + 0.85 x 280.5 / 270) = 103.3055555...
TEST(ContractSyntecRevisedPriceTest, IssueExample) {
  auto p =
      SyntecRevisedPrice(100'000000, 150000, 850000, 270'000000, 280'500000);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, 103'305556);
}

// Same index: the price does not move, whatever a and b.
TEST(ContractSyntecRevisedPriceTest, SameIndexKeepsThePrice) {
  EXPECT_EQ(
      *SyntecRevisedPrice(123'456789, 300000, 700000, 270'000000, 270'000000),
      123'456789);
}

// 10 x (0.5 + 0.5 x 101 / 100) = 10.05 exactly; 1 x (0 + 1 x 2/3)
// = 0.6666666... -> 0.666667 (half away from zero).
TEST(ContractSyntecRevisedPriceTest, ExactAndRounded) {
  EXPECT_EQ(
      *SyntecRevisedPrice(10'000000, 500000, 500000, 100'000000, 101'000000),
      10'050000);
  EXPECT_EQ(*SyntecRevisedPrice(1'000000, 0, 1000000, 3'000000, 2'000000),
            666667);
}

TEST(ContractSyntecRevisedPriceTest, RejectsANonPositiveIndex) {
  EXPECT_EQ(SyntecRevisedPrice(1'000000, 150000, 850000, 0, 280'500000)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ContractSyntecRevisedPriceTest, OverflowIsAnError) {
  EXPECT_EQ(SyntecRevisedPrice(std::numeric_limits<int64_t>::max(), 0, 1000000,
                               1'000000, 2'000000)
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
}

// 100 + 3 % = 103; 33.333333 + 3 % = 34.33333299 -> 34.333333;
// 0.000050 + 1 % = 0.0000505 -> 0.000051 (half away from zero).
TEST(ContractMarkedUpPriceTest, PercentInBasisPoints) {
  EXPECT_EQ(*MarkedUpPrice(100'000000, 300), 103'000000);
  EXPECT_EQ(*MarkedUpPrice(33'333333, 300), 34'333333);
  EXPECT_EQ(*MarkedUpPrice(50, 100), 51);
  EXPECT_EQ(*MarkedUpPrice(100'000000, 0), 100'000000);
}

TEST(ContractValidateSyntecCoefficientsTest, MustAddUpToOne) {
  v1::SyntecFormula f;
  f.set_a_micros(150000);
  f.set_b_micros(850000);
  EXPECT_TRUE(ValidateSyntecCoefficients(f, "increase.syntec").ok());
  f.set_b_micros(800000);
  EXPECT_EQ(ValidateSyntecCoefficients(f, "increase.syntec").message(),
            "increase.syntec.b_micros: a + b = 0.150000 + 0.800000 = "
            "0.950000, not 1");
  f.set_a_micros(-1);
  EXPECT_EQ(ValidateSyntecCoefficients(f, "increase.syntec").message(),
            "increase.syntec.a_micros: -0.000001 is not between 0 and 1");
}

v1::BillingRule FlatRule() {
  v1::BillingRule r;
  r.set_contract_ref("K1");
  r.set_rule_id("R1");
  r.set_rule_type(v1::RULE_TYPE_FLAT);
  r.set_start_date("2026-01-15");
  r.set_created_on("2026-01-10");
  r.set_periodicity(v1::PERIODICITY_MONTHLY);
  r.set_timing(v1::BILLING_TIMING_IN_ADVANCE);
  r.set_unit_price_micros(100'000000);
  return r;
}

v1::PriceChange Custom(uint32_t seq, const char* date, int32_t bp) {
  v1::PriceChange c;
  c.set_seq(seq);
  c.set_effective_date(date);
  c.set_kind(v1::INCREASE_KIND_CUSTOM_PERCENT);
  c.set_origin(v1::INCREASE_ORIGIN_ONE_OFF);
  c.set_percent_bp(bp);
  return c;
}

TEST(ContractRuleAnniversariesTest, AfterCreationUpToTheDate) {
  v1::BillingRule rule = FlatRule();
  EXPECT_EQ(
      RuleAnniversaries(rule, CivilDay(2028, 1, 15)),
      (std::vector<CivilDay>{CivilDay(2027, 1, 15), CivilDay(2028, 1, 15)}));
  EXPECT_TRUE(RuleAnniversaries(rule, CivilDay(2027, 1, 14)).empty());
  // A rule recorded long after its start: earlier anniversaries are in the
  // agreed price.
  rule.set_created_on("2027-06-01");
  EXPECT_EQ(RuleAnniversaries(rule, CivilDay(2028, 1, 15)),
            (std::vector<CivilDay>{CivilDay(2028, 1, 15)}));
}

// The chain replays in date order, whatever the recording order: +10 % on
// July 1st recorded first, +3 % on March 1st recorded second: March 103,
// July 113.3.
TEST(ContractPriceTimelineTest, ReplaysInEffectiveDateOrder) {
  MemoryState state;
  v1::BillingRule rule = FlatRule();
  *rule.add_price_history() = Custom(1, "2026-07-01", 1000);
  *rule.add_price_history() = Custom(2, "2026-03-01", 300);
  auto t = BuildPriceTimeline(state, rule, CivilDay(2026, 12, 31));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->steps.size(), 2u);
  EXPECT_EQ(t->steps[0].change.seq(), 2u);
  EXPECT_EQ(t->steps[0].change.old_price_micros(), 100'000000);
  EXPECT_EQ(t->steps[0].change.new_price_micros(), 103'000000);
  EXPECT_EQ(t->steps[1].change.old_price_micros(), 103'000000);
  EXPECT_EQ(t->steps[1].change.new_price_micros(), 113'300000);
  EXPECT_EQ(PriceAsOf(*t, rule, CivilDay(2026, 2, 28))->price_micros,
            100'000000);
  EXPECT_EQ(PriceAsOf(*t, rule, CivilDay(2026, 3, 1))->price_micros,
            103'000000);
  auto july = PriceAsOf(*t, rule, CivilDay(2026, 7, 1));
  EXPECT_EQ(july->price_micros, 113'300000);
  EXPECT_EQ(july->source.seq(), 1u);
  EXPECT_EQ(july->source.effective_date(), "2026-07-01");
}

// A cancelled entry stays in the history but no longer moves the price.
TEST(ContractPriceTimelineTest, CancelledIncreaseDoesNotApply) {
  MemoryState state;
  v1::BillingRule rule = FlatRule();
  *rule.add_price_history() = Custom(1, "2026-03-01", 300);
  rule.mutable_price_history(0)->set_cancelled_on("2026-04-02");
  *rule.add_price_history() = Custom(2, "2026-07-01", 1000);
  auto t = BuildPriceTimeline(state, rule, CivilDay(2026, 12, 31));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->steps.size(), 2u);
  EXPECT_TRUE(t->steps[0].cancelled());
  EXPECT_EQ(t->steps[1].change.old_price_micros(), 100'000000);
  EXPECT_EQ(t->steps[1].change.new_price_micros(), 110'000000);
  EXPECT_EQ(PriceAsOf(*t, rule, CivilDay(2026, 5, 1))->price_micros,
            100'000000);
}

// A recurring custom 2 % policy: the anniversary 2027-01-15 is pending
// (computed, not recorded) and prices from that day are 102.
TEST(ContractPriceTimelineTest, PendingAnniversaryFromThePolicy) {
  MemoryState state;
  v1::BillingRule rule = FlatRule();
  rule.mutable_recurring_increase()->set_kind(v1::INCREASE_KIND_CUSTOM_PERCENT);
  rule.mutable_recurring_increase()->set_percent_bp(200);
  auto t = BuildPriceTimeline(state, rule, CivilDay(2028, 1, 15));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->steps.size(), 2u);
  EXPECT_TRUE(t->steps[0].pending);
  EXPECT_EQ(t->steps[0].change.anniversary_date(), "2027-01-15");
  EXPECT_EQ(t->steps[0].change.new_price_micros(), 102'000000);
  EXPECT_EQ(t->steps[1].change.new_price_micros(), 104'040000);
  auto p = PriceAsOf(*t, rule, CivilDay(2027, 1, 15));
  EXPECT_EQ(p->price_micros, 102'000000);
  EXPECT_TRUE(p->source.pending());
  EXPECT_EQ(p->source.origin(), v1::INCREASE_ORIGIN_ANNIVERSARY);
  EXPECT_EQ(PriceAsOf(*t, rule, CivilDay(2027, 1, 14))->price_micros,
            100'000000);
}

// A Syntec policy: I_ref 270.0 agreed; SYNTEC 280.5 published 2026-12-01;
// the anniversary 2027-01-15 revises 100 to 103.305556, and I_ref becomes
// 280.5 for the next one (2028: SYNTEC 286.11).
TEST(ContractPriceTimelineTest, SyntecAnniversaryUsesTheLatestPublication) {
  MemoryState state;
  v1::IndexPublication p1;
  p1.set_index_code("SYNTEC");
  p1.set_publication_date("2026-12-01");
  p1.set_value_micros(280'500000);
  PutMessage(state, IndexPublicationKey("SYNTEC", "2026-12-01"), p1);
  v1::IndexPublication p2 = p1;
  p2.set_publication_date("2027-12-01");
  p2.set_value_micros(286'110000);
  PutMessage(state, IndexPublicationKey("SYNTEC", "2027-12-01"), p2);

  v1::BillingRule rule = FlatRule();
  auto* policy = rule.mutable_recurring_increase();
  policy->set_kind(v1::INCREASE_KIND_SYNTEC);
  policy->mutable_syntec()->set_a_micros(150000);
  policy->mutable_syntec()->set_b_micros(850000);
  policy->mutable_syntec()->set_index_code("SYNTEC");
  policy->mutable_syntec()->set_reference_index_micros(270'000000);
  auto t = BuildPriceTimeline(state, rule, CivilDay(2028, 6, 1));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->steps.size(), 2u);
  EXPECT_EQ(t->steps[0].change.syntec().reference_index_micros(), 270'000000);
  EXPECT_EQ(t->steps[0].change.new_index_micros(), 280'500000);
  EXPECT_EQ(t->steps[0].change.new_index_date(), "2026-12-01");
  EXPECT_EQ(t->steps[0].change.new_price_micros(), 103'305556);
  EXPECT_EQ(t->steps[1].change.syntec().reference_index_micros(), 280'500000);
  // 103.305556 x (0.15 x 280.5 + 0.85 x 286.11) / 280.5
  //   = 103.305556 x 285.2685 / 280.5 = 105.06175029... -> 105.061750
  EXPECT_EQ(t->steps[1].change.new_price_micros(), 105'061750);
}

TEST(ContractPriceTimelineTest,
     AnniversaryWithoutIndexMakesLaterPricesUnknown) {
  MemoryState state;
  v1::BillingRule rule = FlatRule();
  auto* policy = rule.mutable_recurring_increase();
  policy->set_kind(v1::INCREASE_KIND_SYNTEC);
  policy->mutable_syntec()->set_a_micros(150000);
  policy->mutable_syntec()->set_b_micros(850000);
  policy->mutable_syntec()->set_index_code("SYNTEC");
  policy->mutable_syntec()->set_reference_index_micros(270'000000);
  auto t = BuildPriceTimeline(state, rule, CivilDay(2027, 6, 1));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->steps[0].error,
            "anniversary 2027-01-15: no SYNTEC index published on or before "
            "2027-01-15");
  EXPECT_EQ(PriceAsOf(*t, rule, CivilDay(2027, 1, 14))->price_micros,
            100'000000);
  auto later = PriceAsOf(*t, rule, CivilDay(2027, 1, 15));
  EXPECT_EQ(later.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(later.status().message(),
            "rule K1/R1: price as of 2027-01-15 unknown: anniversary "
            "2027-01-15: no SYNTEC index published on or before 2027-01-15");
}

// A step whose new price is over kUnitPriceMicrosMax
// (100,000,000,000.000000) cannot be computed, like a missing index:
// 60,000,000,000.000000 + 100 % on 2026-03-01 is 120,000,000,000.000000;
// prices from that day are unknown, the +3 % after it too.
TEST(ContractPriceTimelineTest, NewPriceOverTheMaximumMakesLaterPricesUnknown) {
  MemoryState state;
  v1::BillingRule rule = FlatRule();
  rule.set_unit_price_micros(60'000'000'000'000000);
  *rule.add_price_history() = Custom(1, "2026-03-01", 10000);
  *rule.add_price_history() = Custom(2, "2026-07-01", 300);
  EXPECT_EQ(*RevisedPrice(rule.unit_price_micros(), rule.price_history(0)),
            120'000'000'000'000000);
  auto t = BuildPriceTimeline(state, rule, CivilDay(2026, 12, 31));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->steps.size(), 2u);
  EXPECT_EQ(t->steps[0].error,
            "2026-03-01 increase: the new price 120000000000.000000 is over "
            "the maximum unit price 100000000000.000000");
  EXPECT_EQ(t->steps[1].error,
            "follows an increase that cannot be computed (2026-03-01 "
            "increase: the new price 120000000000.000000 is over the maximum "
            "unit price 100000000000.000000)");
  EXPECT_EQ(PriceAsOf(*t, rule, CivilDay(2026, 2, 28))->price_micros,
            60'000'000'000'000000);
  auto march = PriceAsOf(*t, rule, CivilDay(2026, 3, 1));
  EXPECT_EQ(march.status().code(), absl::StatusCode::kFailedPrecondition);
  // At the maximum exactly, the step is computed: 50,000,000,000 + 100 %.
  rule.set_unit_price_micros(kUnitPriceMicrosMax / 2);
  auto at_max = BuildPriceTimeline(state, rule, CivilDay(2026, 3, 1));
  ASSERT_TRUE(at_max.ok()) << at_max.status();
  EXPECT_EQ(at_max->steps[0].error, "");
  EXPECT_EQ(PriceAsOf(*at_max, rule, CivilDay(2026, 3, 1))->price_micros,
            kUnitPriceMicrosMax);
}

TEST(ContractPriceTimelineTest, CompanyMarkupAnniversaryUsesThePolicyInForce) {
  MemoryState state;
  v1::CompanyMarkup m;
  m.set_effective_date("2026-01-01");
  m.set_percent_bp(250);
  PutMessage(state, CompanyMarkupKey("2026-01-01"), m);
  m.set_effective_date("2027-02-01");
  m.set_percent_bp(400);
  PutMessage(state, CompanyMarkupKey("2027-02-01"), m);
  v1::BillingRule rule = FlatRule();
  rule.mutable_recurring_increase()->set_kind(v1::INCREASE_KIND_COMPANY_MARKUP);
  auto t = BuildPriceTimeline(state, rule, CivilDay(2027, 6, 1));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->steps.size(), 1u);
  // 2.5 % in force on 2027-01-15 (4 % starts on 2027-02-01).
  EXPECT_EQ(t->steps[0].change.percent_bp(), 250);
  EXPECT_EQ(t->steps[0].change.new_price_micros(), 102'500000);
}

}  // namespace
}  // namespace billing
