// Usage as domain tests: rate plans, call detail records rated into totals,
// duplicates, quarantine and replay, and order independence on 100,000
// records.

#include "engine/usage.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_format.h"
#include "engine/structure.h"
#include "gtest/gtest.h"
#include "tests/unit/engine/ledger.h"

namespace billing {
namespace {

using ::billing::testing::CreateCustomerCommand;
using ::billing::testing::Ledger;

constexpr BusinessDate kJan5(2026, 1, 5);
constexpr BusinessDate kApr2(2026, 4, 2);

v1::Command Usage() {
  v1::Command c;
  c.mutable_usage()->set_customer_id("C1");
  return c;
}

v1::Command Structure() {
  v1::Command c;
  c.mutable_structure()->set_customer_id("C1");
  return c;
}

// Voice to +33: price_micros per minute, first minute then per second,
// set-up 0.05.
v1::Command DefinePlan(const std::string& from, int64_t price_micros) {
  v1::Command c = Usage();
  auto* v = c.mutable_usage()->mutable_define_plan_version()->mutable_version();
  v->set_plan_id("PRO");
  v->set_effective_from(from);
  v->set_currency("EUR");
  auto* e = v->add_entries();
  e->set_kind(v1::USAGE_KIND_VOICE);
  e->set_destination_prefix("+33");
  e->set_price_micros(price_micros);
  e->set_per_quantity(60);
  e->set_setup_fee_micros(50000);
  e->set_first_increment(60);
  e->set_increment(1);
  e->set_zone_label("France");
  return c;
}

v1::Command AssignPlan(const std::string& object) {
  v1::Command c = Usage();
  c.mutable_usage()->mutable_assign_plan()->set_object_id(object);
  c.mutable_usage()->mutable_assign_plan()->set_plan_id("PRO");
  return c;
}

v1::Command Call(const std::string& id, int64_t seconds,
                 const std::string& start = "2026-03-20T10:00:00+01:00",
                 const std::string& object = "+33142680000") {
  v1::Command c = Usage();
  auto* r = c.mutable_usage()->mutable_record_usage()->mutable_record();
  r->set_platform_id("PBX1");
  r->set_record_id(id);
  r->set_object(object);
  r->set_start_time(start);
  r->set_kind(v1::USAGE_KIND_VOICE);
  r->set_quantity(seconds);
  r->set_destination("+33612345678");
  return c;
}

// C1 with entity A, account ACC1 and its number N1 (+33142680000).
class UsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Given(CreateCustomerCommand("C1"), kJan5);
    v1::Command entity = Structure();
    entity.mutable_structure()->mutable_create_entity()->mutable_entity()
        ->set_entity_id("A");
    entity.mutable_structure()->mutable_create_entity()->mutable_entity()
        ->set_name("Paris");
    ledger_.Given(entity, kJan5);
    v1::Command account = Structure();
    auto* a = account.mutable_structure()->mutable_create_object()
                  ->mutable_object();
    a->set_object_id("ACC1");
    a->set_kind(v1::OBJECT_KIND_ACCOUNT);
    ledger_.Given(account, kJan5);
    v1::Command number = Structure();
    auto* n = number.mutable_structure()->mutable_create_object()
                  ->mutable_object();
    n->set_object_id("N1");
    n->set_kind(v1::OBJECT_KIND_PHONE_NUMBER);
    n->set_parent_id("ACC1");
    n->set_e164("+33142680000");
    ledger_.Given(number, kJan5);
  }
  void WithPlan() {
    ledger_.Given(DefinePlan("2026-01-01T00:00:00+01:00", 20000), kJan5);
    ledger_.Given(AssignPlan("ACC1"), kJan5);
  }
  std::vector<v1::UsageTotals> Totals(const std::string& month) {
    auto t = UsageTotalsFor(ledger_.state(), "C1", month, "");
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : std::vector<v1::UsageTotals>();
  }

  Ledger ledger_;
};

// The call: 61 s at 0.020000 EUR/min, per second after the first
// minute, set-up 0.05 -> 0.070333, on the number's account's plan.
TEST_F(UsageTest, CallIsRatedIntoTheMonthsTotals) {
  WithPlan();
  auto events = ledger_.When(Call("R1", 61), kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  const auto& u = (*events)[0].usage().recorded();
  EXPECT_EQ((*events)[0].type(), "usage.recorded");
  EXPECT_EQ(u.object_id(), "N1");
  EXPECT_EQ(u.month(), "2026-03");
  EXPECT_EQ(u.rated().amount_micros(), 70333);
  ledger_.Given(Call("R1", 61), kApr2);
  ledger_.Given(Call("R2", 20), kApr2);  // billed 60 s: 0.07
  auto totals = Totals("2026-03");
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0].object_id(), "N1");
  EXPECT_EQ(totals[0].zone(), "France");
  EXPECT_EQ(totals[0].records(), 2);
  EXPECT_EQ(totals[0].quantity(), 81);
  EXPECT_EQ(totals[0].billed_quantity(), 121);
  EXPECT_EQ(totals[0].amount_micros(), 140333);
  auto rated = RatedRecordsFor(ledger_.state(), "C1", "2026-03", "N1", 10);
  ASSERT_TRUE(rated.ok());
  EXPECT_EQ(rated->size(), 2u) << "every total can be checked record by record";
}

// The same platform record twice is billed once.
TEST_F(UsageTest, DuplicateIsAlreadyExistsAndChangesNothing) {
  WithPlan();
  ledger_.Given(Call("R1", 61), kApr2);
  ledger_.ExpectRejected(Call("R1", 61), kApr2,
                         absl::StatusCode::kAlreadyExists,
                         "platform \"PBX1\" record \"R1\" is already billed");
}

// A record for an object the customer does not have names record.object.
TEST_F(UsageTest, UnknownObjectIsNotFound) {
  WithPlan();
  ledger_.ExpectRejected(
      Call("R1", 61, "2026-03-20T10:00:00+01:00", "+33999999999"), kApr2,
      absl::StatusCode::kNotFound,
      "record.object: \"+33999999999\" is not a phone number or object");
}

// Bad records are rejected with their field (ingest quarantines them).
TEST_F(UsageTest, InvalidRecordNamesTheField) {
  WithPlan();
  ledger_.ExpectRejected(Call("R1", -3), kApr2,
                         absl::StatusCode::kInvalidArgument,
                         "record.quantity: -3 is negative");
}

// Without a plan the record is quarantined with its reason, not dropped;
// sent again once a plan exists, it is rated once and leaves the quarantine.
TEST_F(UsageTest, QuarantineThenReplay) {
  ledger_.Given(Call("R1", 61), kApr2);
  auto waiting = QuarantinedUsage(ledger_.state(), "C1", 10);
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ((*waiting)[0].reason(),
            "no rate plan for object \"N1\" or its account");
  EXPECT_TRUE(Totals("2026-03").empty());
  WithPlan();
  ledger_.Given(Call("R1", 61), kApr2);
  EXPECT_TRUE(QuarantinedUsage(ledger_.state(), "C1", 10)->empty());
  ASSERT_EQ(Totals("2026-03").size(), 1u);
  EXPECT_EQ(Totals("2026-03")[0].amount_micros(), 70333);
  ledger_.ExpectRejected(Call("R1", 61), kApr2,
                         absl::StatusCode::kAlreadyExists, "already billed");
}

// The price is the version's in force at the record's start time: a call on
// 2026-03-14 at 0.02/min, one on 2026-03-16 at 0.04/min (version from the
// 15th), whatever order they arrive in.
TEST_F(UsageTest, PriceInForceAtTheStartTime) {
  WithPlan();
  ledger_.Given(DefinePlan("2026-03-15T00:00:00+01:00", 40000), kJan5);
  ledger_.Given(Call("LATE", 60, "2026-03-16T09:00:00+01:00"), kApr2);
  ledger_.Given(Call("EARLY", 60, "2026-03-14T09:00:00+01:00"), kApr2);
  auto rated = RatedRecordsFor(ledger_.state(), "C1", "2026-03", "N1", 10);
  ASSERT_TRUE(rated.ok());
  ASSERT_EQ(rated->size(), 2u);
  // Keys sort by record id: EARLY then LATE.
  EXPECT_EQ((*rated)[0].rated().amount_micros(), 70000);  // 0.02 + 0.05
  EXPECT_EQ((*rated)[1].rated().amount_micros(), 90000);  // 0.04 + 0.05
}

// The month is the platform's local date: 00:30 on April 1st in Paris is
// April, although it is still March 31st in UTC.
TEST_F(UsageTest, MonthIsThePlatformsLocalDate) {
  WithPlan();
  ledger_.Given(Call("R1", 60, "2026-04-01T00:30:00+02:00"), kApr2);
  EXPECT_TRUE(Totals("2026-03").empty());
  EXPECT_EQ(Totals("2026-04").size(), 1u);
}

// A plan whose currency differs from the customer's is refused.
TEST_F(UsageTest, PlanCurrencyMustBeTheCustomers) {
  v1::Command c = DefinePlan("2026-01-01T00:00:00+01:00", 20000);
  c.mutable_usage()->mutable_define_plan_version()->mutable_version()
      ->set_currency("USD");
  ledger_.ExpectRejected(c, kJan5, absl::StatusCode::kInvalidArgument,
                         "plan.currency: USD differs from the customer's "
                         "currency EUR");
}

// 100,000 records, 10 % sent twice, shuffled (late ones after later ones):
// exactly the totals of the clean ordered set.
TEST_F(UsageTest, ShuffledDuplicatedLateRecordsGiveTheCleanTotals) {
  WithPlan();
  constexpr int kRecords = 100'000;
  std::vector<v1::Command> clean;
  clean.reserve(kRecords);
  for (int i = 0; i < kRecords; ++i) {
    const int day = 1 + i % 28;
    clean.push_back(Call(absl::StrFormat("R%06d", i), 1 + (i * 7919) % 900,
                         absl::StrFormat("2026-03-%02dT%02d:%02d:00+01:00", day,
                                         8 + i % 10, i % 60)));
  }
  Ledger ordered_ledger;
  std::swap(ordered_ledger, ledger_);
  // Rebuild the same setup in both ledgers.
  ledger_ = Ledger();
  SetUp();
  WithPlan();
  Ledger shuffled_ledger;
  std::swap(shuffled_ledger, ledger_);

  for (const auto& c : clean) ordered_ledger.Given(c, kApr2);

  std::vector<v1::Command> messy = clean;
  std::mt19937 rng(20261123);
  for (int i = 0; i < kRecords / 10; ++i) messy.push_back(clean[rng() % kRecords]);
  std::shuffle(messy.begin(), messy.end(), rng);
  int duplicates = 0;
  for (const auto& c : messy) {
    auto events = shuffled_ledger.When(c, kApr2);
    if (!events.ok()) {
      ASSERT_EQ(events.status().code(), absl::StatusCode::kAlreadyExists)
          << events.status();
      ++duplicates;
      continue;
    }
    shuffled_ledger.Apply(c, kApr2, std::move(*events));
  }
  EXPECT_EQ(duplicates, kRecords / 10);
  auto a = UsageTotalsFor(ordered_ledger.state(), "C1", "2026-03", "");
  auto b = UsageTotalsFor(shuffled_ledger.state(), "C1", "2026-03", "");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), 1u);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*a)[0].records(), kRecords);
  EXPECT_EQ((*a)[0].SerializeAsString(), (*b)[0].SerializeAsString());
}

}  // namespace
}  // namespace billing
