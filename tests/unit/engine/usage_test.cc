// Usage as domain tests: rate plans, call detail records rated into totals,
// duplicates, quarantine and replay, and order independence on 100,000
// records.

#include "engine/usage/usage.h"

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/rejection.h"
#include "engine/engine.h"
#include "engine/structure/structure.h"
#include "engine/usage/rating.h"
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
    entity.mutable_structure()
        ->mutable_create_entity()
        ->mutable_entity()
        ->set_entity_id("A");
    entity.mutable_structure()
        ->mutable_create_entity()
        ->mutable_entity()
        ->set_name("Paris");
    ledger_.Given(entity, kJan5);
    v1::Command account = Structure();
    auto* a =
        account.mutable_structure()->mutable_create_object()->mutable_object();
    a->set_object_id("ACC1");
    a->set_kind(v1::OBJECT_KIND_ACCOUNT);
    ledger_.Given(account, kJan5);
    v1::Command number = Structure();
    auto* n =
        number.mutable_structure()->mutable_create_object()->mutable_object();
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

// The issue's call: 61 s at 0.020000 EUR/min, per second after the first
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

// Given a customer with a plan, when AssignRatePlan has an empty object_id,
// then INVALID_ARGUMENT naming object_id (was: NOT_FOUND "is not an object
// of customer"), and nothing changes.
TEST_F(UsageTest, AssignPlanToAnEmptyObjectIdIsInvalidArgument) {
  WithPlan();
  ledger_.ExpectRejected(AssignPlan(""), kApr2,
                         absl::StatusCode::kInvalidArgument,
                         "object_id: is required");
  ledger_.ExpectRejected(AssignPlan("N 1"), kApr2,
                         absl::StatusCode::kInvalidArgument,
                         "object_id: \"N 1\" has a character outside");
  ledger_.ExpectRejected(AssignPlan("N9"), kApr2, absl::StatusCode::kNotFound,
                         "object_id: \"N9\" is not an object of customer "
                         "\"C1\"");
}

// 10 KB of outside text in a command's field: the
// answer names the field first and stays under 300 bytes, whichever check
// refuses it.
TEST_F(UsageTest, LongFieldsAreQuotedShortInTheAnswer) {
  WithPlan();
  const std::string big(10'240, 'Z');
  v1::Command currency = DefinePlan("2026-02-01T00:00:00+01:00", 20000);
  currency.mutable_usage()
      ->mutable_define_plan_version()
      ->mutable_version()
      ->set_currency(big);
  v1::Command object = Call("R1", 61, "2026-03-20T10:00:00+01:00", big);
  v1::Command destination = Call("R1", 61);
  destination.mutable_usage()
      ->mutable_record_usage()
      ->mutable_record()
      ->set_destination(big);
  const struct {
    v1::Command command;
    std::string field;
  } cases[] = {{currency, "version.currency: "},
               {object, "record.object: "},
               {destination, "record.destination: "},
               {AssignPlan(big), "object_id: "}};
  for (const auto& c : cases) {
    auto events = Decide(ledger_.state(), c.command, kApr2);
    ASSERT_FALSE(events.ok()) << c.field;
    const std::string message(events.status().message());
    EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument)
        << message;
    EXPECT_TRUE(absl::StartsWith(message, c.field)) << message;
    EXPECT_NE(message.find("(10240 bytes)"), std::string::npos) << message;
    EXPECT_LT(message.size(), 300u) << message.substr(0, 300);
  }
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
  c.mutable_usage()
      ->mutable_define_plan_version()
      ->mutable_version()
      ->set_currency("USD");
  ledger_.ExpectRejected(c, kJan5, absl::StatusCode::kInvalidArgument,
                         "version.currency: USD differs from the customer's "
                         "currency EUR");
}

// --- Rounding in totals: the month adds the rounded amounts, never
// re-rounds. Two 62 s calls at 0.020000/min (first minute, then per second)
// with 0.05 set-up: 2 x (50000 + 20666.67 -> 20667) = 141334 (truncation
// gives 141332; rounding the exact sum once would give 141333).
TEST_F(UsageTest, TotalsAddTheRoundedAmountOfEachRecord) {
  WithPlan();
  ledger_.Given(Call("R1", 62), kApr2);
  ledger_.Given(Call("R2", 62), kApr2);
  auto totals = Totals("2026-03");
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0].billed_quantity(), 124);
  EXPECT_EQ(totals[0].amount_micros(), 141334);
}

// "The first minute 0.15 per minute as one 60 s step, then 0.06 per minute
// per second", rounded up to the cent, at least 0.16 a call.
v1::Command DefineIntervalPlan() {
  v1::Command c = DefinePlan("2026-01-01T00:00:00+01:00", 0);
  auto* e = c.mutable_usage()
                ->mutable_define_plan_version()
                ->mutable_version()
                ->mutable_entries(0);
  e->set_per_quantity(0);
  e->set_increment(0);
  e->set_first_increment(0);
  e->set_setup_fee_micros(0);
  for (const auto& [from, price, step] :
       {std::tuple{0, 150000, 60}, std::tuple{60, 60000, 1}}) {
    auto* in = e->add_intervals();
    in->set_from_quantity(from);
    in->set_price_micros(price);
    in->set_per_quantity(60);
    in->set_increment(step);
  }
  e->mutable_rounding()->set_mode(v1::ROUNDING_MODE_UP);
  e->mutable_rounding()->set_decimals(2);
  e->set_minimum_charge_micros(160000);
  return c;
}

// Given that plan on ACC1: a 95 s call is 0.15 + 0.035 = 0.185, rounded up
// to 0.19; a 20 s call is one 60 s step, 0.15, raised to the minimum 0.16.
// The event carries every piece; the month's total adds the final amounts:
// 0.35.
TEST_F(UsageTest, IntervalsRoundingAndMinimumReachTheTotals) {
  ledger_.Given(DefineIntervalPlan(), kJan5);
  ledger_.Given(AssignPlan("ACC1"), kJan5);
  auto events = ledger_.When(Call("R1", 95), kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  const v1::RatedUsage& rated = (*events)[0].usage().recorded().rated();
  ASSERT_EQ(rated.segments_size(), 2);
  EXPECT_EQ(rated.segments(0).amount_micros(), 150000);
  EXPECT_EQ(rated.segments(1).amount_micros(), 35000);
  EXPECT_EQ(rated.unrounded_amount_micros(), 185000);
  EXPECT_EQ(rated.amount_micros(), 190000);
  ledger_.Given(Call("R1", 95), kApr2);
  ledger_.Given(Call("R2", 20), kApr2);
  auto totals = Totals("2026-03");
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0].billed_quantity(), 155);
  EXPECT_EQ(totals[0].amount_micros(), 350000);
}

// A version whose intervals do not increase is refused at definition,
// naming the field and the rejection; nothing changes.
TEST_F(UsageTest, IntervalsOutOfOrderAreRefusedAtDefinition) {
  v1::Command c = DefineIntervalPlan();
  c.mutable_usage()
      ->mutable_define_plan_version()
      ->mutable_version()
      ->mutable_entries(0)
      ->mutable_intervals(1)
      ->set_from_quantity(0);
  ledger_.ExpectRejected(c, kJan5, absl::StatusCode::kInvalidArgument,
                         "version.entries[0].intervals[1].from_quantity: 0 "
                         "must be more than intervals[0].from_quantity 0 "
                         "(intervals strictly increase) "
                         "[PLAN_ENTRIES_INVALID]");
}

// --- Limits and overflow ---

// The issue's plan PM: SMS at 0.100000 each, per message.
v1::Command DefineSmsPlan(int64_t price_micros) {
  v1::Command c = Usage();
  auto* v = c.mutable_usage()->mutable_define_plan_version()->mutable_version();
  v->set_plan_id("PM");
  v->set_effective_from("2026-01-01T00:00:00Z");
  v->set_currency("EUR");
  auto* e = v->add_entries();
  e->set_kind(v1::USAGE_KIND_SMS);
  e->set_price_micros(price_micros);
  e->set_per_quantity(1);
  e->set_increment(1);
  return c;
}

v1::Command Sms(const std::string& id, int64_t quantity) {
  v1::Command c = Call(id, quantity);
  c.mutable_usage()->mutable_record_usage()->mutable_record()->set_kind(
      v1::USAGE_KIND_SMS);
  return c;
}

v1::Command AssignPm() {
  v1::Command c = AssignPlan("N1");
  c.mutable_usage()->mutable_assign_plan()->set_plan_id("PM");
  return c;
}

// An SMS of quantity int64 max (was: rated to a total of -0.100000) is
// refused naming the field, and the state is unchanged; ingest quarantines
// it. The next SMS is rated.
TEST_F(UsageTest, QuantityAboveTheMaximumIsRefusedNamingTheField) {
  ledger_.Given(DefineSmsPlan(100000), kJan5);
  ledger_.Given(AssignPm(), kJan5);
  ledger_.ExpectRejected(Sms("S1", 9223372036854775807), kApr2,
                         absl::StatusCode::kInvalidArgument,
                         "record.quantity: 9223372036854775807 is more than "
                         "the maximum 1000000000000");
  ledger_.Given(Sms("S2", 1), kApr2);
  auto totals = Totals("2026-03");
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0].amount_micros(), 100000);
}

// A plan version over a maximum is refused at definition, naming the field.
TEST_F(UsageTest, PlanOverAMaximumIsRefusedAtDefinition) {
  ledger_.ExpectRejected(DefineSmsPlan(9223372036854775807), kJan5,
                         absl::StatusCode::kInvalidArgument,
                         "version.entries[0].price_micros: "
                         "9223372036854775807 is more than the maximum "
                         "1000000000000");
}

// Given a usage.recorded event logged before the limits that left the SMS
// quantity total of N1 in March at 9223372036854775000, an SMS of 1000
// (was: INTERNAL "decided record does not apply", forever) is quarantined on
// C1 naming record.quantity, and applies.
TEST_F(UsageTest, RecordThatWouldOverflowTheMonthsTotalIsQuarantined) {
  ledger_.Given(DefineSmsPlan(100000), kJan5);
  ledger_.Given(AssignPm(), kJan5);
  v1::EventEnvelope old = NewEvent("usage.recorded", "C1", kApr2);
  auto* u = old.mutable_usage()->mutable_recorded();
  *u->mutable_record() = Sms("OLD", 1).usage().record_usage().record();
  u->mutable_record()->set_quantity(9223372036854775000);
  u->set_object_id("N1");
  u->set_month("2026-03");
  ledger_.Apply(Sms("OLD", 1), kApr2, {old});
  auto events = ledger_.When(Sms("S1", 1000), kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type(), "usage.quarantined");
  EXPECT_EQ((*events)[0].usage().quarantined().reason(),
            "record.quantity: 1000 overflows the month's quantity total "
            "9223372036854775000 of object \"N1\" (USAGE_KIND_SMS, zone \"\", "
            "2026-03)");
  ledger_.Apply(Sms("S1", 1000), kApr2, std::move(*events));
  ASSERT_EQ(QuarantinedUsage(ledger_.state(), "C1", 10)->size(), 1u);
  EXPECT_EQ(Totals("2026-03")[0].quantity(), 9223372036854775000);
}

// Within the limits: 5,000,000 SMS at the maximum price, 1,000,000.000000
// each, is 5 x 10^18 micros; a second one would make the month's amount
// 10^19, beyond int64: quarantined naming rated.amount_micros.
TEST_F(UsageTest, AmountThatWouldOverflowTheMonthsTotalIsQuarantined) {
  ledger_.Given(DefineSmsPlan(kPriceMicrosMax), kJan5);
  ledger_.Given(AssignPm(), kJan5);
  ledger_.Given(Sms("S1", 5'000'000), kApr2);
  auto events = ledger_.When(Sms("S2", 5'000'000), kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)[0].usage().quarantined().reason(),
            "rated.amount_micros: 5000000000000000000 overflows the month's "
            "amount total 5000000000000000000 of object \"N1\" "
            "(USAGE_KIND_SMS, zone \"\", 2026-03)");
  // One record whose own amount is beyond int64 (10^12 x 10^12): quarantined
  // too (was: OUT_OF_RANGE, neither billed nor kept).
  events = ledger_.When(Sms("S3", kQuantityMax), kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)[0].type(), "usage.quarantined");
  EXPECT_NE((*events)[0].usage().quarantined().reason().find(
                "record.quantity: 1000000000000 billed 1000000000000 at "
                "1000000000000 micros per 1 gives"),
            std::string::npos);
}

// A version logged before the limits with a price of int64 max: a 2 s call
// on it (was: -0.000002) is quarantined naming the quantity.
TEST_F(UsageTest, PlanLoggedBeforeTheLimitsQuarantinesInsteadOfWrapping) {
  v1::Command define = DefineSmsPlan(0);
  v1::EventEnvelope old = NewEvent("usage.plan_version_defined", "C1", kJan5);
  auto* v =
      old.mutable_usage()->mutable_plan_version_defined()->mutable_version();
  *v = define.usage().define_plan_version().version();
  v->mutable_entries(0)->set_kind(v1::USAGE_KIND_VOICE);
  v->mutable_entries(0)->set_price_micros(std::numeric_limits<int64_t>::max());
  ledger_.Apply(define, kJan5, {old});
  ledger_.Given(AssignPm(), kJan5);
  auto events = ledger_.When(Call("R1", 2), kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)[0].usage().quarantined().reason(),
            "record.quantity: 2 billed 2 at 9223372036854775807 micros per 1 "
            "gives 18446744073709551614, more than 9223372036854775807: the "
            "record cannot be rated");
}

// The totals never take a value that overflows or is negative: an event
// that would (damaged, or decided by a bug) stops its application with
// DATA_LOSS naming the field.
TEST_F(UsageTest, ApplyRefusesARecordThatWouldOverflowTheTotals) {
  auto recorded = [](const std::string& id, int64_t quantity, int64_t amount) {
    v1::EventEnvelope e = NewEvent("usage.recorded", "C1", kApr2);
    auto* u = e.mutable_usage()->mutable_recorded();
    *u->mutable_record() = Sms(id, 1).usage().record_usage().record();
    u->mutable_record()->set_quantity(quantity);
    u->set_object_id("N1");
    u->set_month("2026-03");
    u->mutable_rated()->set_amount_micros(amount);
    return e;
  };
  OverlayState state(&ledger_.state());
  ASSERT_TRUE(
      ApplyUsageEvent(state, recorded("A", 9223372036854775000, 0), {}).ok());
  absl::Status s = ApplyUsageEvent(state, recorded("B", 1000, 0), {});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(),
            "usage record PBX1/B does not add to its totals: record.quantity: "
            "1000 overflows the month's quantity total 9223372036854775000 of "
            "object \"N1\" (USAGE_KIND_SMS, zone \"\", 2026-03)");
  s = ApplyUsageEvent(state, recorded("C", 1, -100000), {});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("rated.amount_micros: -100000 is negative"),
            std::string::npos)
      << s;
}

// --- Plans that can never rate (finding 9): the time zone is resolved at
// definition with the resolver Decide is given.
TEST_F(UsageTest, UnknownTimeZoneIsRefusedAtDefinition) {
  const TimeZoneResolver zones =
      [](absl::string_view name) -> absl::StatusOr<absl::TimeZone> {
    if (name.empty() || name == "Europe/Paris") return absl::UTCTimeZone();
    return absl::FailedPreconditionError("not known");
  };
  v1::Command c = DefinePlan("2026-01-01T00:00:00+01:00", 20000);
  auto* v = c.mutable_usage()->mutable_define_plan_version()->mutable_version();
  v->set_time_zone("Mars/Olympus");
  auto events = Decide(ledger_.state(), c, kJan5, zones);
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RejectionDetail(events.status().message()),
            "version.time_zone: \"Mars/Olympus\" is not a known time zone");
  EXPECT_EQ(RejectionName(events.status().message()),
            define_plan_version::kTimeZoneUnknown.name);
  v->set_time_zone("Europe/Paris");
  EXPECT_TRUE(Decide(ledger_.state(), c, kJan5, zones).ok());
}

// --- The object in the record's month (smaller finding): usage totals
// report the entity of their month, and object get --month agrees. ---

v1::Command CreateNumber(const std::string& id, const std::string& e164) {
  v1::Command c = Structure();
  auto* n = c.mutable_structure()->mutable_create_object()->mutable_object();
  n->set_object_id(id);
  n->set_kind(v1::OBJECT_KIND_PHONE_NUMBER);
  n->set_parent_id("ACC1");
  n->set_e164(e164);
  return c;
}

// Created on 2025-12-10 and still there: its March 2026 usage is rated and
// its totals show entity A, as AssignmentForMonth(2026-03) does.
TEST_F(UsageTest, UsageOfAMonthTheObjectExistedInShowsItsEntity) {
  WithPlan();
  ledger_.Given(CreateNumber("N2", "+33142680002"), BusinessDate(2025, 12, 10));
  ledger_.Given(Call("R1", 60, "2026-03-20T10:00:00+01:00", "+33142680002"),
                kApr2);
  auto totals = UsageTotalsFor(ledger_.state(), "C1", "2026-03", "N2");
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].assignment().entity_id(), "A");
  auto change =
      AssignmentForMonth(ledger_.state(), "C1", "N2", BillingMonth(2026, 3));
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(change->assignment().entity_id(), "A");
}

// Created on 2026-12-01: it did not exist in March 2026 (object get --month
// 2026-03 says so), so its March usage is quarantined with that reason
// (was: rated, with an empty entity).
TEST_F(UsageTest, UsageOfAMonthBeforeTheObjectsCreationIsQuarantined) {
  WithPlan();
  ledger_.Given(CreateNumber("N3", "+33142680003"), BusinessDate(2026, 12, 1));
  auto events = ledger_.When(
      Call("R1", 60, "2026-03-20T10:00:00+01:00", "+33142680003"), kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type(), "usage.quarantined");
  EXPECT_EQ((*events)[0].usage().quarantined().reason(),
            "object \"N3\" did not exist in 2026-03 (created 2026-12-01): "
            "usage of a month before its creation cannot be billed");
  EXPECT_TRUE(absl::IsNotFound(
      AssignmentForMonth(ledger_.state(), "C1", "N3", BillingMonth(2026, 3))
          .status()));
  // December usage of it is rated.
  ledger_.Given(Call("R2", 60, "2026-12-02T10:00:00+01:00", "+33142680003"),
                kApr2);
  EXPECT_EQ(UsageTotalsFor(ledger_.state(), "C1", "2026-12", "N3")->size(), 1u);
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
  for (int i = 0; i < kRecords / 10; ++i)
    messy.push_back(clean[rng() % kRecords]);
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


// --- Usage batches: a customer's records decided together ---

// The records of `calls` (record_usage commands) as one record_usage_batch.
v1::Command Batch(const std::vector<v1::Command>& calls) {
  v1::Command c = Usage();
  auto* records = c.mutable_usage()->mutable_record_usage_batch();
  for (const auto& call : calls) {
    *records->add_records() = call.usage().record_usage().record();
  }
  return c;
}

// Given R0 billed, a batch of: R1 (61 s: 0.070333), R0 again (billed
// before), a number that is not C1's, a December 2025 call (N1 was created
// in January 2026: quarantined), R1 again (earlier in the batch). One event;
// each record's outcome in order, "rdxqd", with the reasons of x and q.
TEST_F(UsageTest, BatchDecidesEachRecordAsItsOwnCommandWould) {
  WithPlan();
  ledger_.Given(Call("R0", 61), kApr2);
  const v1::Command batch = Batch(
      {Call("R1", 61), Call("R0", 61),
       Call("R2", 61, "2026-03-20T10:00:00+01:00", "+33999999999"),
       Call("R3", 61, "2025-12-20T10:00:00+01:00"), Call("R1", 61)});
  auto events = ledger_.When(batch, kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type(), "usage.batch_recorded");
  const v1::UsageBatchRecorded& b = (*events)[0].usage().batch_recorded();
  EXPECT_EQ(b.outcomes(), "rdxqd");
  ASSERT_EQ(b.recorded_size(), 1);
  EXPECT_EQ(b.recorded(0).record().record_id(), "R1");
  EXPECT_EQ(b.recorded(0).rated().amount_micros(), 70333);
  ASSERT_EQ(b.quarantined_size(), 1);
  EXPECT_EQ(b.quarantined(0).record().record_id(), "R3");
  ASSERT_EQ(b.reasons_size(), 2);
  EXPECT_EQ(b.reasons(0),
            "record.object: \"+33999999999\" is not a phone number or object "
            "of customer \"C1\" [RECORD_OBJECT_NOT_FOUND]");
  EXPECT_EQ(b.reasons(1),
            "object \"N1\" did not exist in 2025-12 (created 2026-01-05): "
            "usage of a month before its creation cannot be billed");

  ledger_.GivenWithKey(batch, kApr2, "ubatch/1");
  ASSERT_EQ(Totals("2026-03").size(), 1u);
  EXPECT_EQ(Totals("2026-03")[0].records(), 2);
  EXPECT_EQ(Totals("2026-03")[0].amount_micros(), 2 * 70333);
  EXPECT_EQ(QuarantinedUsage(ledger_.state(), "C1", 10)->size(), 1u);
  // The batch's stored answer: one byte a record, and the reasons.
  auto idem = LookupIdempotency(ledger_.state(), "C1", "ubatch/1",
                                RequestFingerprint(batch, ""));
  ASSERT_TRUE(idem.ok() && idem->has_value());
  EXPECT_EQ((*idem)->usage().batch_outcomes(), "rdxqd");
  EXPECT_EQ((*idem)->usage().batch_reasons_size(), 2);
}

// A record quarantined before is held ('h', with its reason) by a batch:
// sent again it is answered, not re-rated (as its stored answer did when
// each record was its own command). The replay of the customer's quarantine
// (record_usage) still rates it.
TEST_F(UsageTest, BatchHoldsARecordQuarantinedBefore) {
  ledger_.Given(Call("R1", 61), kApr2);
  WithPlan();
  auto events = ledger_.When(Batch({Call("R1", 61)}), kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  const v1::UsageBatchRecorded& b = (*events)[0].usage().batch_recorded();
  EXPECT_EQ(b.outcomes(), "h");
  ASSERT_EQ(b.reasons_size(), 1);
  EXPECT_EQ(b.reasons(0), "no rate plan for object \"N1\" or its account");
  EXPECT_EQ(b.recorded_size() + b.quarantined_size(), 0);
  ledger_.Given(Call("R1", 61), kApr2);
  EXPECT_EQ(Totals("2026-03")[0].amount_micros(), 70333);
}

// A batch decided before an earlier record of the same id was applied (a
// retried append racing its first copy): applying it skips that record,
// deterministically; the first one counts.
TEST_F(UsageTest, BatchApplySkipsARecordBilledMeanwhile) {
  WithPlan();
  const v1::Command batch = Batch({Call("R1", 61), Call("R2", 120)});
  auto events = ledger_.When(batch, kApr2);
  ASSERT_TRUE(events.ok()) << events.status();
  ledger_.Given(Call("R1", 61), kApr2);
  ledger_.Apply(batch, kApr2, std::move(*events));
  ASSERT_EQ(Totals("2026-03").size(), 1u);
  EXPECT_EQ(Totals("2026-03")[0].records(), 2);
  // 0.070333 + (0.05 + 0.04)
  EXPECT_EQ(Totals("2026-03")[0].amount_micros(), 70333 + 90000);
}

TEST_F(UsageTest, EmptyBatchIsRefused) {
  ledger_.ExpectRejected(Batch({}), kApr2, absl::StatusCode::kInvalidArgument,
                         "record_usage_batch.records: 0 records; a batch "
                         "holds 1 to 10000 [RECORD_BATCH_SIZE_INVALID]");
}

// The usage families of the state (records, totals, ids, quarantine).
std::map<std::string, std::string> UsageFamilies(const MemoryState& state) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : state.data()) {
    for (absl::string_view family : {"urec/", "utot/", "useen/", "uquar/"}) {
      if (absl::StartsWith(key, family)) out.emplace(key, value);
    }
  }
  return out;
}

// 500 records over days, hours and durations, 50 sent twice, some
// quarantined (December 2025), in batches of 37 or one command each: the
// same usage state, byte for byte.
TEST_F(UsageTest, BatchesGiveTheStateOfOneCommandPerRecord) {
  WithPlan();
  Ledger batched;
  std::swap(batched, ledger_);
  SetUp();
  WithPlan();
  std::vector<v1::Command> calls;
  for (int i = 0; i < 450; ++i) {
    calls.push_back(Call(absl::StrCat("R", i), 1 + (i * 37) % 900,
                         absl::StrFormat("%s-%02dT%02d:00:00+01:00",
                                         i % 17 == 0 ? "2025-12" : "2026-03",
                                         1 + i % 28, i % 24)));
  }
  for (int i = 0; i < 50; ++i) calls.push_back(calls[i * 7]);
  for (const auto& c : calls) {
    auto events = ledger_.When(c, kApr2);
    if (events.ok()) ledger_.Apply(c, kApr2, std::move(*events));
  }
  for (size_t i = 0; i < calls.size(); i += 37) {
    std::vector<v1::Command> part(
        calls.begin() + i, calls.begin() + std::min(calls.size(), i + 37));
    batched.Given(Batch(part), kApr2);
  }
  const auto one_by_one = UsageFamilies(ledger_.state());
  EXPECT_GT(one_by_one.size(), 900u);
  EXPECT_EQ(UsageFamilies(batched.state()), one_by_one);
}

}  // namespace
}  // namespace billing
