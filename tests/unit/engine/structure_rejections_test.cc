// Precedence of the structure commands' named rejections
// (engine/structure/structure.h): a command breaking several rules answers
// with each in kOrder as the earlier ones are fixed.

#include <string>
#include <vector>

#include "billing/v1/commands.pb.h"
#include "engine/structure/structure.h"
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
constexpr BusinessDate kJan20(2026, 1, 20);
constexpr BusinessDate kFeb10(2026, 2, 10);

v1::StructureCommand& Body(v1::Command& c) { return *c.mutable_structure(); }

v1::Command ForCustomer(const std::string& customer) {
  v1::Command c;
  Body(c).set_customer_id(customer);
  return c;
}

v1::Command NewObject(const std::string& id, v1::ObjectKind kind,
                      const std::string& parent = "") {
  v1::Command c = ForCustomer("C1");
  auto* o = Body(c).mutable_create_object()->mutable_object();
  o->set_object_id(id);
  o->set_kind(kind);
  o->set_parent_id(parent);
  return c;
}

v1::Command Group(const std::string& account, v1::GroupRole role,
                  const std::string& head = "") {
  v1::Command c = ForCustomer("C1");
  auto* g = Body(c).mutable_set_account_group();
  g->set_account_id(account);
  g->set_role(role);
  g->set_head_account_id(head);
  return c;
}

std::vector<PrecedenceStep> CustomerSteps() {
  return ::billing::testing::CustomerSteps(
      [](v1::Command& c, const char* id) { Body(c).set_customer_id(id); });
}

// C1 with entities A (main) and B and accounts ACC1, ACC2, H (a head) and
// M1 (its member) from 2026-01-05; call queue X from 2026-02-10.
class StructureRejectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Given(CreateCustomerCommand("C1"), kJan5);
    for (const char* id : {"A", "B"}) {
      v1::Command e = ForCustomer("C1");
      auto* entity = Body(e).mutable_create_entity()->mutable_entity();
      entity->set_entity_id(id);
      entity->set_name(std::string("Site ") + id);
      ledger_.Given(e, kJan5);
    }
    for (const char* id : {"ACC1", "ACC2", "H", "M1"}) {
      ledger_.Given(NewObject(id, v1::OBJECT_KIND_ACCOUNT), kJan5);
    }
    ledger_.Given(Group("H", v1::GROUP_ROLE_HEAD), kJan5);
    ledger_.Given(Group("M1", v1::GROUP_ROLE_MEMBER, "H"), kJan5);
    ledger_.Given(NewObject("X", v1::OBJECT_KIND_CALL_QUEUE), kFeb10);
  }
  Ledger ledger_;
};

TEST_F(StructureRejectionsTest, CreateEntityAnswersInPrecedenceOrder) {
  v1::Command c = ForCustomer("C/1");
  auto* e = Body(c).mutable_create_entity()->mutable_entity();
  e->set_entity_id("A/1");
  e->mutable_billing_address()->add_lines("1 rue de la Paix");  // no city
  e->set_email("nobody");
  auto entity = [](v1::Command& c) {
    return Body(c).mutable_create_entity()->mutable_entity();
  };
  ExpectPrecedence(
      ledger_, c, create_entity::kOrder, kJan20,
      Then(CustomerSteps(),
           {{"ENTITY_ID_INVALID",
             [&](v1::Command& c) { entity(c)->set_entity_id("A"); }},
            {"ENTITY_NAME_INVALID",
             [&](v1::Command& c) { entity(c)->set_name("Lyon"); }},
            {"ENTITY_ADDRESS_INVALID",
             [&](v1::Command& c) { entity(c)->clear_billing_address(); }},
            {"ENTITY_EMAIL_INVALID",
             [&](v1::Command& c) { entity(c)->set_email("a@lyon.example"); }},
            {"ENTITY_ALREADY_EXISTS",
             [&](v1::Command& c) { entity(c)->set_entity_id("L"); }}}));
}

// set_main_entity and set_entity_invoiced_separately share their list.
TEST_F(StructureRejectionsTest, EntityFlagsAnswerInPrecedenceOrder) {
  for (bool main : {true, false}) {
    v1::Command c = ForCustomer("C/1");
    if (main) {
      Body(c).mutable_set_main_entity()->set_entity_id("A/1");
    } else {
      Body(c).mutable_set_entity_invoiced_separately()->set_entity_id("A/1");
    }
    auto set_id = [main](v1::Command& c, const char* id) {
      if (main) {
        Body(c).mutable_set_main_entity()->set_entity_id(id);
      } else {
        Body(c).mutable_set_entity_invoiced_separately()->set_entity_id(id);
      }
    };
    ExpectPrecedence(
        ledger_, c,
        main ? absl::Span<const Rejection>(set_main_entity::kOrder)
             : absl::Span<const Rejection>(
                   set_entity_invoiced_separately::kOrder),
        kJan20,
        Then(CustomerSteps(),
             {{"ENTITY_ID_INVALID", [&](v1::Command& c) { set_id(c, "Z"); }},
              {"ENTITY_NOT_FOUND", [&](v1::Command& c) { set_id(c, "B"); }}}));
  }
}

TEST_F(StructureRejectionsTest, CreateObjectAnswersInPrecedenceOrder) {
  v1::Command c = NewObject("O/1", v1::OBJECT_KIND_UNSPECIFIED);
  Body(c).set_customer_id("C/1");
  auto* o = Body(c).mutable_create_object()->mutable_object();
  o->set_label("bell\x07");
  o->set_e164("+33142680000");
  o->mutable_account()->set_email("a@b.example");
  Body(c).mutable_create_object()->set_entity_id("Z/1");
  Body(c).mutable_create_object()->set_discount_percent("200");
  auto object = [](v1::Command& c) {
    return Body(c).mutable_create_object()->mutable_object();
  };
  ExpectPrecedence(
      ledger_, c, create_object::kOrder, kJan20,
      Then(CustomerSteps(),
           {{"OBJECT_ID_INVALID",
             [&](v1::Command& c) { object(c)->set_object_id("ACC1"); }},
            {"OBJECT_KIND_INVALID",
             [&](v1::Command& c) {
               object(c)->set_kind(v1::OBJECT_KIND_OPTION);
             }},
            {"OBJECT_PARENT_INVALID",
             [&](v1::Command& c) { object(c)->set_parent_id("NOPE"); }},
            {"OBJECT_PARENT_NOT_FOUND",
             [&](v1::Command& c) { object(c)->set_parent_id("ACC1"); }},
            {"OBJECT_LABEL_INVALID",
             [&](v1::Command& c) { object(c)->set_label("Option 1"); }},
            {"OBJECT_E164_INVALID",
             [&](v1::Command& c) { object(c)->clear_e164(); }},
            {"OBJECT_ACCOUNT_INVALID",
             [&](v1::Command& c) { object(c)->clear_account(); }},
            {"ENTITY_ID_INVALID",
             [](v1::Command& c) {
               Body(c).mutable_create_object()->set_entity_id("Z");
             }},
            {"ENTITY_NOT_FOUND",
             [](v1::Command& c) {
               Body(c).mutable_create_object()->set_entity_id("B");
             }},
            {"DISCOUNT_PERCENT_INVALID",
             [](v1::Command& c) {
               Body(c).mutable_create_object()->set_discount_percent("10");
             }},
            {"OBJECT_ALREADY_EXISTS",
             [&](v1::Command& c) { object(c)->set_object_id("OPT1"); }}}));
}

// A phone number: the id taken comes before the number taken.
TEST_F(StructureRejectionsTest, CreatePhoneNumberAnswersInPrecedenceOrder) {
  v1::Command first = NewObject("N2", v1::OBJECT_KIND_PHONE_NUMBER, "ACC1");
  Body(first).mutable_create_object()->mutable_object()->set_e164(
      "+33142680000");
  ledger_.Given(first, kJan5);
  v1::Command c = NewObject("N2", v1::OBJECT_KIND_PHONE_NUMBER, "ACC1");
  auto object = [](v1::Command& c) {
    return Body(c).mutable_create_object()->mutable_object();
  };
  object(c)->set_e164("+33142680000");
  ExpectPrecedence(ledger_, c, create_object::kOrder, kJan20,
                   {{"OBJECT_ALREADY_EXISTS",
                     [&](v1::Command& c) { object(c)->set_object_id("N3"); }},
                    {"OBJECT_E164_TAKEN", [&](v1::Command& c) {
                       object(c)->set_e164("+33142680001");
                     }}});
}

TEST_F(StructureRejectionsTest, SetAccountGroupAnswersInPrecedenceOrder) {
  v1::Command c = Group("A/1", static_cast<v1::GroupRole>(99));
  Body(c).set_customer_id("C/1");
  auto group = [](v1::Command& c) {
    return Body(c).mutable_set_account_group();
  };
  ExpectPrecedence(
      ledger_, c, set_account_group::kOrder, kJan20,
      Then(
          CustomerSteps(),
          {{"ACCOUNT_ID_INVALID",
            [&](v1::Command& c) { group(c)->set_account_id("NOPE"); }},
           {"ACCOUNT_NOT_FOUND",
            [&](v1::Command& c) { group(c)->set_account_id("H"); }},
           {"GROUP_ROLE_INVALID",
            [&](v1::Command& c) { group(c)->set_role(v1::GROUP_ROLE_MEMBER); }},
           {"HEAD_ACCOUNT_ID_REQUIRED",
            [&](v1::Command& c) { group(c)->set_head_account_id("H"); }},
           {"HEAD_ACCOUNT_IS_SELF",
            [&](v1::Command& c) { group(c)->set_head_account_id("NOPE"); }},
           {"HEAD_ACCOUNT_NOT_FOUND",
            [&](v1::Command& c) { group(c)->set_head_account_id("ACC2"); }},
           {"HEAD_ACCOUNT_NOT_HEAD",
            [&](v1::Command& c) { group(c)->set_role(v1::GROUP_ROLE_NONE); }},
           {"HEAD_ACCOUNT_ID_UNEXPECTED",
            [&](v1::Command& c) { group(c)->clear_head_account_id(); }},
           {"ACCOUNT_HEADS_MEMBERS",
            [&](v1::Command& c) { group(c)->set_account_id("ACC2"); }}}));
}

// A member cannot head: after the head id it must not name.
TEST_F(StructureRejectionsTest, MemberCannotHeadAfterHeadIdUnexpected) {
  v1::Command c = Group("M1", v1::GROUP_ROLE_HEAD, "H");
  auto group = [](v1::Command& c) {
    return Body(c).mutable_set_account_group();
  };
  ExpectPrecedence(
      ledger_, c, set_account_group::kOrder, kJan20,
      {{"HEAD_ACCOUNT_ID_UNEXPECTED",
        [&](v1::Command& c) { group(c)->clear_head_account_id(); }},
       {"ACCOUNT_IS_MEMBER",
        [&](v1::Command& c) { group(c)->set_role(v1::GROUP_ROLE_NONE); }}});
}

TEST_F(StructureRejectionsTest, ReassignByIdsAnswersInPrecedenceOrder) {
  v1::Command c = ForCustomer("C/1");
  auto* r = Body(c).mutable_reassign_objects();
  r->mutable_selection()->mutable_ids()->add_object_ids("NOPE");
  r->mutable_selection()->mutable_ids()->add_object_ids("bad id");
  r->set_entity_id("Z/1");
  r->set_discount_percent("200");
  auto reassign = [](v1::Command& c) {
    return Body(c).mutable_reassign_objects();
  };
  auto select = [&](v1::Command& c, const char* id) {
    auto* ids = reassign(c)->mutable_selection()->mutable_ids();
    ids->clear_object_ids();
    ids->add_object_ids(id);
  };
  ExpectPrecedence(
      ledger_, c, reassign_objects::kOrder, kJan20,
      Then(CustomerSteps(),
           {// every id is checked before any is looked up
            {"SELECTION_INVALID", [&](v1::Command& c) { select(c, "NOPE"); }},
            {"SELECTION_OBJECT_NOT_FOUND",
             [&](v1::Command& c) { select(c, "X"); }},
            {"ENTITY_ID_INVALID",
             [&](v1::Command& c) { reassign(c)->set_entity_id("Z"); }},
            {"ENTITY_NOT_FOUND",
             [&](v1::Command& c) { reassign(c)->set_entity_id("B"); }},
            {"DISCOUNT_PERCENT_INVALID",
             [&](v1::Command& c) { reassign(c)->set_discount_percent("10"); }},
            {"OBJECT_CREATED_AFTER_MONTH",
             [&](v1::Command& c) { select(c, "ACC1"); }}}));
}

TEST_F(StructureRejectionsTest, ReassignBySelectorAnswersInPrecedenceOrder) {
  v1::Command c = ForCustomer("C1");
  auto* r = Body(c).mutable_reassign_objects();
  r->mutable_selection()->set_account_with_children("NOPE");
  r->set_entity_id("Z/1");
  auto selection = [](v1::Command& c) {
    return Body(c).mutable_reassign_objects()->mutable_selection();
  };
  ExpectPrecedence(ledger_, c, reassign_objects::kOrder, kJan20,
                   {{"SELECTION_ACCOUNT_NOT_FOUND",
                     [&](v1::Command& c) {
                       selection(c)->set_kind(v1::OBJECT_KIND_FAX_LINE);
                     }},
                    {"SELECTION_EMPTY",
                     [&](v1::Command& c) {
                       selection(c)->set_kind(v1::OBJECT_KIND_ACCOUNT);
                     }},
                    {"ENTITY_ID_INVALID", [](v1::Command& c) {
                       Body(c).mutable_reassign_objects()->set_entity_id("B");
                     }}});
}

// A command without a body, after its customer.
TEST_F(StructureRejectionsTest, EmptyCommandIsNamed) {
  ExpectPrecedence(ledger_, ForCustomer("C9"), create_entity::kOrder, kJan20,
                   {{"CUSTOMER_NOT_FOUND",
                     [](v1::Command& c) { Body(c).set_customer_id("C1"); }}},
                   /*accepted_at_end=*/false);
  auto events = ledger_.When(ForCustomer("C1"), kJan20);
  EXPECT_EQ(RejectionName(events.status().message()),
            structure_rejections::kCommandEmpty.name);
}

}  // namespace
}  // namespace billing
