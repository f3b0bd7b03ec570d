// Precedence of the usage commands' named rejections
// (engine/usage/usage.h): a command breaking several rules answers with
// each in kOrder as the earlier ones are fixed.

#include <string>
#include <vector>

#include "billing/v1/commands.pb.h"
#include "engine/usage/rating.h"
#include "engine/usage/usage.h"
#include "gtest/gtest.h"
#include "tests/unit/engine/ledger.h"
#include "tests/unit/engine/precedence.h"

namespace billing {
namespace {

using ::billing::testing::CreateCustomerCommand;
using ::billing::testing::ExpectPrecedence;
using ::billing::testing::Ledger;
using ::billing::testing::PrecedenceStep;
using ::billing::testing::Then;

constexpr BusinessDate kJan5(2026, 1, 5);
constexpr BusinessDate kApr2(2026, 4, 2);

v1::UsageCommand& Body(v1::Command& c) { return *c.mutable_usage(); }

v1::Command ForCustomer(const std::string& customer) {
  v1::Command c;
  Body(c).set_customer_id(customer);
  return c;
}

v1::Command Structure(v1::StructureCommand body) {
  v1::Command c;
  *c.mutable_structure() = std::move(body);
  c.mutable_structure()->set_customer_id("C1");
  return c;
}

v1::RateEntry VoiceToFrance() {
  v1::RateEntry e;
  e.set_kind(v1::USAGE_KIND_VOICE);
  e.set_destination_prefix("+33");
  e.set_price_micros(20000);
  e.set_per_quantity(60);
  e.set_increment(1);
  return e;
}

v1::Command ValidCall(const std::string& id) {
  v1::Command c = ForCustomer("C1");
  auto* r = Body(c).mutable_record_usage()->mutable_record();
  r->set_platform_id("PBX1");
  r->set_record_id(id);
  r->set_object("+33142680000");
  r->set_start_time("2026-03-20T10:00:00+01:00");
  r->set_kind(v1::USAGE_KIND_VOICE);
  r->set_quantity(61);
  r->set_destination("+33612345678");
  return c;
}

std::vector<PrecedenceStep> CustomerSteps() {
  return ::billing::testing::CustomerSteps(
      [](v1::Command& c, const char* id) { Body(c).set_customer_id(id); });
}

// C1 (EUR) with entity A, account ACC1 and its number N1 (+33142680000)
// priced by plan PRO, and record PBX1/R1 billed.
class UsageRejectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Given(CreateCustomerCommand("C1"), kJan5);
    v1::StructureCommand entity;
    entity.mutable_create_entity()->mutable_entity()->set_entity_id("A");
    entity.mutable_create_entity()->mutable_entity()->set_name("Paris");
    ledger_.Given(Structure(entity), kJan5);
    v1::StructureCommand account;
    account.mutable_create_object()->mutable_object()->set_object_id("ACC1");
    account.mutable_create_object()->mutable_object()->set_kind(
        v1::OBJECT_KIND_ACCOUNT);
    ledger_.Given(Structure(account), kJan5);
    v1::StructureCommand number;
    auto* n = number.mutable_create_object()->mutable_object();
    n->set_object_id("N1");
    n->set_kind(v1::OBJECT_KIND_PHONE_NUMBER);
    n->set_parent_id("ACC1");
    n->set_e164("+33142680000");
    ledger_.Given(Structure(number), kJan5);
    v1::Command plan = ForCustomer("C1");
    auto* v = Body(plan).mutable_define_plan_version()->mutable_version();
    v->set_plan_id("PRO");
    v->set_effective_from("2026-01-01T00:00:00+01:00");
    v->set_currency("EUR");
    *v->add_entries() = VoiceToFrance();
    ledger_.Given(plan, kJan5);
    v1::Command assign = ForCustomer("C1");
    Body(assign).mutable_assign_plan()->set_object_id("ACC1");
    Body(assign).mutable_assign_plan()->set_plan_id("PRO");
    ledger_.Given(assign, kJan5);
    ledger_.Given(ValidCall("R1"), kApr2);
  }
  Ledger ledger_;
};

TEST_F(UsageRejectionsTest, DefinePlanVersionAnswersInPrecedenceOrder) {
  v1::Command c = ForCustomer("C/1");
  auto version = [](v1::Command& c) {
    return Body(c).mutable_define_plan_version()->mutable_version();
  };
  auto* v = version(c);
  v->set_plan_id("P/1");
  v->set_effective_from("soon");
  v->set_currency("ZZZ");
  v->set_time_zone("../etc");
  auto* band = v->add_bands();
  band->set_name("night");
  band->set_start_minute(600);
  band->set_end_minute(60);
  ExpectPrecedence(
      ledger_, c, define_plan_version::kOrder, kApr2,
      Then(
          CustomerSteps(),
          {{"PLAN_ID_INVALID",
            [&](v1::Command& c) { version(c)->set_plan_id("NEW"); }},
           {"PLAN_EFFECTIVE_FROM_INVALID",
            [&](v1::Command& c) {
              version(c)->set_effective_from("2026-02-01T00:00:00Z");
            }},
           {"PLAN_CURRENCY_INVALID",
            [&](v1::Command& c) { version(c)->set_currency("USD"); }},
           {"PLAN_TIME_ZONE_INVALID",
            [&](v1::Command& c) { version(c)->set_time_zone("Mars/Olympus"); }},
           {"PLAN_BANDS_INVALID",
            [&](v1::Command& c) { version(c)->clear_bands(); }},
           {"PLAN_ENTRIES_INVALID",
            [&](v1::Command& c) {
              *version(c)->add_entries() = VoiceToFrance();
            }},
           {"PLAN_TIME_ZONE_UNKNOWN",
            [&](v1::Command& c) { version(c)->set_time_zone("UTC"); }},
           {"PLAN_CURRENCY_NOT_CUSTOMERS",
            [&](v1::Command& c) { version(c)->set_currency("EUR"); }}}));
}

TEST_F(UsageRejectionsTest, AssignPlanAnswersInPrecedenceOrder) {
  v1::Command c = ForCustomer("C/1");
  auto assign = [](v1::Command& c) { return Body(c).mutable_assign_plan(); };
  assign(c)->set_object_id("O/1");
  assign(c)->set_plan_id("P/1");
  ExpectPrecedence(
      ledger_, c, assign_plan::kOrder, kApr2,
      Then(CustomerSteps(),
           {{"OBJECT_ID_INVALID",
             [&](v1::Command& c) { assign(c)->set_object_id("NOPE"); }},
            {"OBJECT_NOT_FOUND",
             [&](v1::Command& c) { assign(c)->set_object_id("N1"); }},
            {"PLAN_ID_INVALID",
             [&](v1::Command& c) { assign(c)->set_plan_id("NEW"); }},
            {"PLAN_HAS_NO_VERSION",
             [&](v1::Command& c) { assign(c)->set_plan_id("PRO"); }}}));
}

TEST_F(UsageRejectionsTest, RecordUsageAnswersInPrecedenceOrder) {
  v1::Command c = ValidCall("");
  Body(c).set_customer_id("C/1");
  auto record = [](v1::Command& c) {
    return Body(c).mutable_record_usage()->mutable_record();
  };
  auto* r = record(c);
  r->set_platform_id("P/1");
  r->set_object("");
  r->set_start_time("soon");
  r->set_kind(v1::USAGE_KIND_UNSPECIFIED);
  r->set_quantity(-1);
  r->set_unit(v1::USAGE_UNIT_BYTES);
  r->set_destination("123");
  for (int i = 0; i < 33; ++i) {
    (*r->mutable_attributes())[std::to_string(i)] = "x";
  }
  ExpectPrecedence(
      ledger_, c, record_usage::kOrder, kApr2,
      Then(
          CustomerSteps(),
          {{"RECORD_PLATFORM_ID_INVALID",
            [&](v1::Command& c) { record(c)->set_platform_id("PBX1"); }},
           {"RECORD_ID_INVALID",
            [&](v1::Command& c) { record(c)->set_record_id("R1"); }},
           {"RECORD_OBJECT_INVALID",
            [&](v1::Command& c) { record(c)->set_object("NOPE"); }},
           {"RECORD_START_TIME_INVALID",
            [&](v1::Command& c) {
              record(c)->set_start_time("2026-03-20T10:00:00+01:00");
            }},
           {"RECORD_KIND_INVALID",
            [&](v1::Command& c) { record(c)->set_kind(v1::USAGE_KIND_VOICE); }},
           {"RECORD_QUANTITY_INVALID",
            [&](v1::Command& c) {
              record(c)->set_quantity(kRatedSecondsMax + 1);
            }},
           {"RECORD_UNIT_INVALID",
            [&](v1::Command& c) {
              record(c)->set_unit(v1::USAGE_UNIT_SECONDS);
            }},
           {"RECORD_DURATION_TOO_LONG",
            [&](v1::Command& c) { record(c)->set_quantity(61); }},
           {"RECORD_DESTINATION_INVALID",
            [&](v1::Command& c) {
              record(c)->set_destination("+33612345678");
            }},
           {"RECORD_ATTRIBUTES_INVALID",
            [&](v1::Command& c) { record(c)->clear_attributes(); }},
           {"RECORD_OBJECT_NOT_FOUND",
            [&](v1::Command& c) { record(c)->set_object("+33142680000"); }},
           {"RECORD_ALREADY_BILLED",
            [&](v1::Command& c) { record(c)->set_record_id("R2"); }}}));
}

// A batch's own records never refuse it: each has its outcome
// (usage_test.cc). The batch is refused for its customer, then its size.
TEST_F(UsageRejectionsTest, RecordUsageBatchAnswersInPrecedenceOrder) {
  v1::Command c = ForCustomer("C/1");
  Body(c).mutable_record_usage_batch();
  ExpectPrecedence(
      ledger_, c, record_usage_batch::kOrder, kApr2,
      Then(CustomerSteps(),
           {{"RECORD_BATCH_SIZE_INVALID", [&](v1::Command& c) {
               *Body(c).mutable_record_usage_batch()->add_records() =
                   ValidCall("R9").usage().record_usage().record();
             }}}));
}

// The "@quarantine" partition takes quarantine commands only; customers
// take everything else.
TEST_F(UsageRejectionsTest, MisplacedAndEmptyCommandsAreNamed) {
  v1::Command c = ValidCall("R3");
  Body(c).set_customer_id(std::string(kQuarantinePartitionKey));
  auto name = [&](const v1::Command& c) {
    return std::string(
        RejectionName(ledger_.When(c, kApr2).status().message()));
  };
  EXPECT_EQ(name(c), usage_rejections::kCommandMisplaced.name);
  v1::Command q = ForCustomer("C1");
  Body(q).mutable_quarantine_input()->set_source("csv");
  EXPECT_EQ(name(q), usage_rejections::kCommandMisplaced.name);
  Body(q).set_customer_id(std::string(kQuarantinePartitionKey));
  EXPECT_EQ(name(q), quarantine_input::kReasonRequired.name);
  EXPECT_EQ(name(ForCustomer("C1")), usage_rejections::kCommandEmpty.name);
}

}  // namespace
}  // namespace billing
