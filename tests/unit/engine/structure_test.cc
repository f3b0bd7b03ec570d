// Billing structure as domain tests (seeds 000 and 001): given commands,
// when a command is decided, then these events or this rejection, with the
// dates of a real billing calendar.

#include "engine/structure/structure.h"

#include "absl/strings/str_format.h"
#include "engine/customer/customer.h"
#include "engine/core/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/engine/ledger.h"

namespace billing {
namespace {

using ::billing::testing::CreateCustomerCommand;
using ::billing::testing::Ledger;
using ::testing::ElementsAre;

constexpr BusinessDate kJan5(2026, 1, 5);
constexpr BusinessDate kJan10(2026, 1, 10);
constexpr BusinessDate kFeb10(2026, 2, 10);
constexpr BusinessDate kMar20(2026, 3, 20);

v1::Command Structure(const std::string& customer) {
  v1::Command c;
  c.mutable_structure()->set_customer_id(customer);
  return c;
}

v1::Command CreateEntity(const std::string& id, bool main = false,
                         const std::string& customer = "C1") {
  v1::Command c = Structure(customer);
  auto* e = c.mutable_structure()->mutable_create_entity()->mutable_entity();
  e->set_entity_id(id);
  e->set_name("Site " + id);
  e->set_main(main);
  return c;
}

v1::Command CreateObject(const std::string& id, v1::ObjectKind kind,
                         const std::string& parent = "",
                         const std::string& entity = "",
                         const std::string& discount = "") {
  v1::Command c = Structure("C1");
  auto* o = c.mutable_structure()->mutable_create_object();
  o->mutable_object()->set_object_id(id);
  o->mutable_object()->set_kind(kind);
  o->mutable_object()->set_parent_id(parent);
  if (kind == v1::OBJECT_KIND_PHONE_NUMBER) {
    o->mutable_object()->set_e164("+3314268" +
                                  std::to_string(1000 + id.size()));
  }
  o->set_entity_id(entity);
  o->set_discount_percent(discount);
  return c;
}

v1::Command Reassign(const std::string& entity, const std::string& discount) {
  v1::Command c = Structure("C1");
  auto* r = c.mutable_structure()->mutable_reassign_objects();
  r->set_entity_id(entity);
  r->set_discount_percent(discount);
  return c;
}

v1::Command ReassignIds(std::vector<std::string> ids, const std::string& entity,
                        const std::string& discount) {
  v1::Command c = Reassign(entity, discount);
  for (const auto& id : ids) {
    c.mutable_structure()
        ->mutable_reassign_objects()
        ->mutable_selection()
        ->mutable_ids()
        ->add_object_ids(id);
  }
  return c;
}

v1::Command Group(const std::string& account, v1::GroupRole role,
                  const std::string& head = "") {
  v1::Command c = Structure("C1");
  auto* g = c.mutable_structure()->mutable_set_account_group();
  g->set_account_id(account);
  g->set_role(role);
  g->set_head_account_id(head);
  return c;
}

// A customer C1 with entities A (main) and B, created on 2026-01-05.
class StructureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.Given(CreateCustomerCommand("C1"), kJan5);
    ledger_.Given(CreateEntity("A"), kJan5);
    ledger_.Given(CreateEntity("B"), kJan5);
  }
  std::string Where(const absl::StatusOr<v1::AssignmentChange>& c) {
    if (!c.ok()) return std::string(c.status().message());
    return absl::StrFormat("%s/%d", c->assignment().entity_id(),
                           c->assignment().discount_hundredths());
  }
  std::string ForMonth(const std::string& object, int year, int month) {
    return Where(AssignmentForMonth(ledger_.state(), "C1", object,
                                    BillingMonth(year, month)));
  }
  std::string AtOffset(const std::string& object, int64_t offset) {
    return Where(AssignmentAtOffset(ledger_.state(), "C1", object, offset));
  }
  v1::BillingEntity Entity(const std::string& id) {
    return LoadEntity(ledger_.state(), "C1", id)->value();
  }
  v1::BillableObject Object(const std::string& id) {
    return LoadObject(ledger_.state(), "C1", id)->value();
  }

  Ledger ledger_;
};

// --- entities ---

// The first entity is the main one; the second is not.
TEST_F(StructureTest, FirstEntityIsMain) {
  EXPECT_TRUE(Entity("A").main());
  EXPECT_FALSE(Entity("B").main());
}

// An entity created as main takes the role from the previous main one.
TEST_F(StructureTest, EntityCreatedAsMainTakesOver) {
  ledger_.Given(CreateEntity("C", /*main=*/true), kJan10);
  EXPECT_FALSE(Entity("A").main());
  EXPECT_TRUE(Entity("C").main());
}

// set_main_entity moves the role: exactly one main entity.
TEST_F(StructureTest, SetMainEntityMovesTheRole) {
  v1::Command c = Structure("C1");
  c.mutable_structure()->mutable_set_main_entity()->set_entity_id("B");
  ledger_.Given(c, kJan10);
  auto entities = ListEntities(ledger_.state(), "C1");
  ASSERT_TRUE(entities.ok());
  int mains = 0;
  for (const auto& e : *entities) mains += e.main();
  EXPECT_EQ(mains, 1);
  EXPECT_TRUE(Entity("B").main());
}

// Entity codes are unique within a customer.
TEST_F(StructureTest, DuplicateEntityIsAlreadyExists) {
  ledger_.ExpectRejected(CreateEntity("A"), kJan10,
                         absl::StatusCode::kAlreadyExists,
                         "entity.entity_id: \"A\" already exists");
}

// A command for a customer that does not exist names customer_id.
TEST_F(StructureTest, UnknownCustomerIsNotFound) {
  ledger_.ExpectRejected(CreateEntity("X", false, "NOPE"), kJan10,
                         absl::StatusCode::kNotFound,
                         "customer_id: \"NOPE\" does not exist");
}

// --- objects ---

// An object without entity or discount goes to the main entity at 0 %,
// from its creation month.
TEST_F(StructureTest, ObjectDefaultsToMainEntityAtZero) {
  ledger_.Given(CreateObject("ACC1", v1::OBJECT_KIND_ACCOUNT), kJan10);
  v1::BillableObject o = Object("ACC1");
  EXPECT_EQ(o.assignment().entity_id(), "A");
  EXPECT_EQ(o.assignment().discount_hundredths(), 0);
  EXPECT_EQ(o.assignment_month(), "2026-01");
  EXPECT_EQ(o.created_on(), "2026-01-10");
}

// A discount of 12.5 % is 1250 hundredths.
TEST_F(StructureTest, ObjectWithEntityAndDiscount) {
  ledger_.Given(CreateObject("Q1", v1::OBJECT_KIND_CALL_QUEUE, "", "B", "12.5"),
                kJan10);
  EXPECT_EQ(Object("Q1").assignment().entity_id(), "B");
  EXPECT_EQ(Object("Q1").assignment().discount_hundredths(), 1250);
}

// Aliases and options belong to an account.
TEST_F(StructureTest, OptionNeedsAnAccountParent) {
  ledger_.ExpectRejected(CreateObject("OPT1", v1::OBJECT_KIND_OPTION), kJan10,
                         absl::StatusCode::kInvalidArgument,
                         "object.parent_id: is required");
  ledger_.Given(CreateObject("Q1", v1::OBJECT_KIND_CALL_QUEUE), kJan10);
  ledger_.ExpectRejected(
      CreateObject("OPT1", v1::OBJECT_KIND_OPTION, "Q1"), kJan10,
      absl::StatusCode::kNotFound,
      "object.parent_id: \"Q1\" is not an account of customer \"C1\"");
}

// A phone number must be E.164 and unique within the customer.
TEST_F(StructureTest, PhoneNumberIsE164AndUnique) {
  v1::Command bad = CreateObject("N1", v1::OBJECT_KIND_PHONE_NUMBER);
  bad.mutable_structure()->mutable_create_object()->mutable_object()->set_e164(
      "0142680000");
  ledger_.ExpectRejected(bad, kJan10, absl::StatusCode::kInvalidArgument,
                         "object.e164: \"0142680000\" is not an E.164 number");
  v1::Command good = CreateObject("N1", v1::OBJECT_KIND_PHONE_NUMBER);
  ledger_.Given(good, kJan10);
  v1::Command same_number = good;
  same_number.mutable_structure()
      ->mutable_create_object()
      ->mutable_object()
      ->set_object_id("N2");
  ledger_.ExpectRejected(same_number, kJan10, absl::StatusCode::kAlreadyExists,
                         "is already object \"N1\"");
}

// Kind 0 is missing; a number outside the enum is a kind this version does
// not know (a newer client, or a typo), and says so.
TEST_F(StructureTest, ObjectKindIsRequiredThenKnown) {
  ledger_.ExpectRejected(CreateObject("K0", v1::OBJECT_KIND_UNSPECIFIED),
                         kJan10, absl::StatusCode::kInvalidArgument,
                         "object.kind: is required (account, ");
  ledger_.ExpectRejected(
      CreateObject("K99", static_cast<v1::ObjectKind>(99)), kJan10,
      absl::StatusCode::kInvalidArgument,
      "object.kind: 99 is not a known kind (account, phone number, alias, "
      "option, call queue, fax line, voice menu or conference bridge)");
}

// Names and labels follow the one text rule (engine/core/validation.h).
TEST_F(StructureTest, InvisibleEntityNameAndObjectLabelAreRefused) {
  v1::Command blank = CreateEntity("E9");
  blank.mutable_structure()
      ->mutable_create_entity()
      ->mutable_entity()
      ->set_name("   ");
  ledger_.ExpectRejected(blank, kJan10, absl::StatusCode::kInvalidArgument,
                         "entity.name: has no visible character");
  v1::Command hidden = CreateObject("ACC9", v1::OBJECT_KIND_ACCOUNT);
  hidden.mutable_structure()
      ->mutable_create_object()
      ->mutable_object()
      ->set_label(
          "Main\xe2\x80\xae"
          "site");
  ledger_.ExpectRejected(hidden, kJan10, absl::StatusCode::kInvalidArgument,
                         "object.label: has an invisible format character "
                         "U+202E at character 5");
}

// Finding 7: a 10 KB object id is named with its length, quoted short.
TEST_F(StructureTest, LongObjectIdIsRefusedWithAShortMessage) {
  ledger_.ExpectRejected(
      CreateObject(std::string(10240, 'O'), v1::OBJECT_KIND_ACCOUNT), kJan10,
      absl::StatusCode::kInvalidArgument,
      "object.object_id: is 10240 characters, more than the 64 allowed: \"" +
          std::string(40, 'O') + "\"... (10240 bytes)");
}

// An object needs an entity: a customer without any is told to create one.
TEST_F(StructureTest, ObjectBeforeAnyEntityIsFailedPrecondition) {
  ledger_.Given(CreateCustomerCommand("C2"), kJan5);
  v1::Command c = CreateObject("ACC1", v1::OBJECT_KIND_ACCOUNT);
  c.mutable_structure()->set_customer_id("C2");
  ledger_.ExpectRejected(c, kJan10, absl::StatusCode::kFailedPrecondition,
                         "has no billing entity yet");
}

// --- reassignment: the scenario ---

// Object X on A at 0 %, reassigned to B at 10 % on 2026-03-20: February is
// billed on A at 0 %, the whole of March on B at 10 %; as of the log
// position before the command, A at 0 %.
TEST_F(StructureTest, ReassignmentTakesTheWholeMonth) {
  const int64_t created =
      ledger_.Given(CreateObject("X", v1::OBJECT_KIND_ACCOUNT), kJan10);
  const int64_t reassigned =
      ledger_.Given(ReassignIds({"X"}, "B", "10"), kMar20);
  EXPECT_EQ(ForMonth("X", 2026, 1), "A/0");
  EXPECT_EQ(ForMonth("X", 2026, 2), "A/0");
  EXPECT_EQ(ForMonth("X", 2026, 3), "B/1000");
  EXPECT_EQ(ForMonth("X", 2026, 4), "B/1000");
  EXPECT_EQ(AtOffset("X", reassigned - 1), "A/0");
  EXPECT_EQ(AtOffset("X", reassigned), "B/1000");
  EXPECT_THAT(ForMonth("X", 2025, 12), ::testing::HasSubstr("did not exist"));
  EXPECT_THAT(AtOffset("X", created - 1),
              ::testing::HasSubstr("did not exist"));
  auto history = ObjectHistory(ledger_.state(), "C1", "X");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].cause(), "created");
  EXPECT_EQ((*history)[0].effective_month(), "2026-01");
  EXPECT_EQ((*history)[1].cause(), "reassigned");
  EXPECT_EQ((*history)[1].effective_month(), "2026-03");
  EXPECT_EQ((*history)[1].business_date(), "2026-03-20");
  EXPECT_EQ((*history)[1].position().offset(), reassigned);
}

// The event names the objects, the assignment and the month.
TEST_F(StructureTest, ReassignmentEvent) {
  ledger_.Given(CreateObject("X", v1::OBJECT_KIND_ACCOUNT), kJan10);
  auto events = ledger_.When(ReassignIds({"X"}, "B", "10"), kMar20);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  const auto& e = (*events)[0];
  EXPECT_EQ(e.type(), "structure.objects_reassigned");
  EXPECT_EQ(e.effective_date(), "2026-03-20");
  const auto& r = e.structure().objects_reassigned();
  EXPECT_THAT(r.object_ids(), ElementsAre("X"));
  EXPECT_EQ(r.assignment().entity_id(), "B");
  EXPECT_EQ(r.assignment().discount_hundredths(), 1000);
  EXPECT_EQ(r.effective_month(), "2026-03");
}

// Two reassignments in one month: the later one is the month's.
TEST_F(StructureTest, LaterChangeInTheSameMonthWins) {
  ledger_.Given(CreateObject("X", v1::OBJECT_KIND_ACCOUNT), kJan10);
  ledger_.Given(ReassignIds({"X"}, "B", "10"), BusinessDate(2026, 3, 2));
  ledger_.Given(ReassignIds({"X"}, "A", "5"), BusinessDate(2026, 3, 28));
  EXPECT_EQ(ForMonth("X", 2026, 3), "A/500");
  EXPECT_EQ(ForMonth("X", 2026, 2), "A/0");
}

// A change dated in an earlier month (entered late) enters the history for
// its month without moving the latest month's assignment.
TEST_F(StructureTest, BackdatedChangeKeepsTheLatestMonth) {
  ledger_.Given(CreateObject("X", v1::OBJECT_KIND_ACCOUNT), kJan10);
  ledger_.Given(ReassignIds({"X"}, "B", "10"), kMar20);
  ledger_.Given(ReassignIds({"X"}, "B", "20"), kFeb10);
  EXPECT_EQ(ForMonth("X", 2026, 2), "B/2000");
  EXPECT_EQ(ForMonth("X", 2026, 3), "B/1000");
  EXPECT_EQ(Object("X").assignment().discount_hundredths(), 1000);
  EXPECT_EQ(Object("X").assignment_month(), "2026-03");
}

// Selection by kind: every conference bridge, nothing else.
TEST_F(StructureTest, ReassignAllOfAKind) {
  ledger_.Given(CreateObject("CB1", v1::OBJECT_KIND_CONFERENCE_BRIDGE), kJan10);
  ledger_.Given(CreateObject("CB2", v1::OBJECT_KIND_CONFERENCE_BRIDGE), kJan10);
  ledger_.Given(CreateObject("Q1", v1::OBJECT_KIND_CALL_QUEUE), kJan10);
  v1::Command c = Reassign("B", "0");
  c.mutable_structure()
      ->mutable_reassign_objects()
      ->mutable_selection()
      ->set_kind(v1::OBJECT_KIND_CONFERENCE_BRIDGE);
  ledger_.Given(c, kMar20);
  EXPECT_EQ(ForMonth("CB1", 2026, 3), "B/0");
  EXPECT_EQ(ForMonth("CB2", 2026, 3), "B/0");
  EXPECT_EQ(ForMonth("Q1", 2026, 3), "A/0");
}

// Selection of an account with its children: the account, its alias and
// option move; another account does not.
TEST_F(StructureTest, ReassignAccountWithChildren) {
  ledger_.Given(CreateObject("ACC1", v1::OBJECT_KIND_ACCOUNT), kJan10);
  ledger_.Given(CreateObject("AL1", v1::OBJECT_KIND_ALIAS, "ACC1"), kJan10);
  ledger_.Given(CreateObject("OPT1", v1::OBJECT_KIND_OPTION, "ACC1"), kJan10);
  ledger_.Given(CreateObject("ACC2", v1::OBJECT_KIND_ACCOUNT), kJan10);
  v1::Command c = Reassign("B", "7.25");
  c.mutable_structure()
      ->mutable_reassign_objects()
      ->mutable_selection()
      ->set_account_with_children("ACC1");
  auto events = ledger_.When(c, kMar20);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT((*events)[0].structure().objects_reassigned().object_ids(),
              ElementsAre("ACC1", "AL1", "OPT1"));
  ledger_.Given(c, kMar20);
  EXPECT_EQ(ForMonth("OPT1", 2026, 3), "B/725");
  EXPECT_EQ(ForMonth("ACC2", 2026, 3), "A/0");
}

// Selection of all objects of the customer.
TEST_F(StructureTest, ReassignAll) {
  ledger_.Given(CreateObject("ACC1", v1::OBJECT_KIND_ACCOUNT), kJan10);
  ledger_.Given(CreateObject("F1", v1::OBJECT_KIND_FAX_LINE), kJan10);
  v1::Command c = Reassign("B", "");
  c.mutable_structure()
      ->mutable_reassign_objects()
      ->mutable_selection()
      ->set_all(true);
  ledger_.Given(c, kMar20);
  EXPECT_EQ(ForMonth("ACC1", 2026, 3), "B/0");
  EXPECT_EQ(ForMonth("F1", 2026, 3), "B/0");
}

// Atomic: one unknown object in the list and nothing moves.
TEST_F(StructureTest, UnknownObjectRejectsTheWholeSelection) {
  ledger_.Given(CreateObject("X", v1::OBJECT_KIND_ACCOUNT), kJan10);
  ledger_.ExpectRejected(
      ReassignIds({"X", "GHOST"}, "B", "10"), kMar20,
      absl::StatusCode::kNotFound,
      "selection.ids.object_ids[1]: \"GHOST\" is not an object of customer "
      "\"C1\"");
}

// Bad input, each with its field, nothing changed.
TEST_F(StructureTest, ReassignmentBadInput) {
  ledger_.Given(CreateObject("X", v1::OBJECT_KIND_ACCOUNT), kJan10);
  ledger_.ExpectRejected(ReassignIds({"X"}, "Z", "10"), kMar20,
                         absl::StatusCode::kNotFound,
                         "entity_id: \"Z\" is not a billing entity");
  ledger_.ExpectRejected(ReassignIds({"X"}, "B", "100.01"), kMar20,
                         absl::StatusCode::kInvalidArgument,
                         "discount_percent: \"100.01\" is outside 0 to 100");
  ledger_.ExpectRejected(ReassignIds({"X"}, "B", "10.555"), kMar20,
                         absl::StatusCode::kInvalidArgument,
                         "discount_percent: \"10.555\" is not a percent with "
                         "at most 2 decimals");
  ledger_.ExpectRejected(ReassignIds({"X"}, "B", "-1"), kMar20,
                         absl::StatusCode::kInvalidArgument,
                         "discount_percent: \"-1\" is outside 0 to 100");
  ledger_.ExpectRejected(ReassignIds({"X", "X"}, "B", "1"), kMar20,
                         absl::StatusCode::kInvalidArgument,
                         "selection.ids.object_ids[1]: \"X\" is listed twice");
  ledger_.ExpectRejected(Reassign("B", "1"), kMar20,
                         absl::StatusCode::kInvalidArgument,
                         "selection: is required");
  v1::Command none = Reassign("B", "1");
  none.mutable_structure()
      ->mutable_reassign_objects()
      ->mutable_selection()
      ->set_kind(v1::OBJECT_KIND_VOICE_MENU);
  ledger_.ExpectRejected(none, kMar20, absl::StatusCode::kInvalidArgument,
                         "selection: selects no object");
  ledger_.ExpectRejected(
      ReassignIds({"X"}, "B", "1"), BusinessDate(2025, 12, 31),
      absl::StatusCode::kFailedPrecondition, "before object \"X\" was created");
}

// 100 % is a valid discount; two decimals are kept exactly.
TEST_F(StructureTest, DiscountBounds) {
  ledger_.Given(CreateObject("X", v1::OBJECT_KIND_ACCOUNT), kJan10);
  ledger_.Given(ReassignIds({"X"}, "B", "100"), kMar20);
  EXPECT_EQ(ForMonth("X", 2026, 3), "B/10000");
  ledger_.Given(ReassignIds({"X"}, "B", "0.01"), BusinessDate(2026, 4, 1));
  EXPECT_EQ(ForMonth("X", 2026, 4), "B/1");
}

// --- grouped accounts (seed 001) ---

class GroupTest : public StructureTest {
 protected:
  void SetUp() override {
    StructureTest::SetUp();
    for (const char* id : {"H", "M1", "M2", "H2"}) {
      ledger_.Given(CreateObject(id, v1::OBJECT_KIND_ACCOUNT), kJan10);
    }
    ledger_.Given(Group("H", v1::GROUP_ROLE_HEAD), kJan10);
    ledger_.Given(Group("M1", v1::GROUP_ROLE_MEMBER, "H"), kJan10);
  }
};

// A head names itself; a member names its head.
TEST_F(GroupTest, HeadNamesItselfMemberNamesTheHead) {
  EXPECT_EQ(Object("H").account().group_role(), v1::GROUP_ROLE_HEAD);
  EXPECT_EQ(Object("H").account().group_head_id(), "H");
  EXPECT_EQ(Object("M1").account().group_role(), v1::GROUP_ROLE_MEMBER);
  EXPECT_EQ(Object("M1").account().group_head_id(), "H");
}

// A head cannot be a member: a member cannot become a head.
TEST_F(GroupTest, MemberCannotBecomeHead) {
  ledger_.ExpectRejected(Group("M1", v1::GROUP_ROLE_HEAD), kFeb10,
                         absl::StatusCode::kFailedPrecondition,
                         "a head cannot be a member");
}

// A member must name a head.
TEST_F(GroupTest, MemberMustNameAHead) {
  ledger_.ExpectRejected(Group("M2", v1::GROUP_ROLE_MEMBER, "M1"), kFeb10,
                         absl::StatusCode::kFailedPrecondition,
                         "head_account_id: \"M1\" is not a group head");
  ledger_.ExpectRejected(Group("M2", v1::GROUP_ROLE_MEMBER, "NOPE"), kFeb10,
                         absl::StatusCode::kNotFound,
                         "head_account_id: \"NOPE\" is not an account");
  ledger_.ExpectRejected(Group("M2", v1::GROUP_ROLE_MEMBER), kFeb10,
                         absl::StatusCode::kInvalidArgument,
                         "head_account_id: is required for a member");
}

// A head with members cannot leave its role or join another group (which
// would make a cycle: H member of H2 while M1 names H).
TEST_F(GroupTest, HeadWithMembersCannotLeave) {
  ledger_.Given(Group("H2", v1::GROUP_ROLE_HEAD), kFeb10);
  ledger_.ExpectRejected(Group("H", v1::GROUP_ROLE_MEMBER, "H2"), kFeb10,
                         absl::StatusCode::kFailedPrecondition,
                         "heads a group of 1 members");
  ledger_.ExpectRejected(Group("H", v1::GROUP_ROLE_NONE), kFeb10,
                         absl::StatusCode::kFailedPrecondition,
                         "heads a group of 1 members");
}

// An account cannot be its own member.
TEST_F(GroupTest, AccountCannotBeItsOwnMember) {
  ledger_.ExpectRejected(Group("H", v1::GROUP_ROLE_MEMBER, "H"), kFeb10,
                         absl::StatusCode::kInvalidArgument,
                         "cannot be a member of its own group");
}

// Only accounts take part in groups.
TEST_F(GroupTest, OnlyAccounts) {
  ledger_.Given(CreateObject("Q1", v1::OBJECT_KIND_CALL_QUEUE), kJan10);
  ledger_.ExpectRejected(Group("Q1", v1::GROUP_ROLE_HEAD), kFeb10,
                         absl::StatusCode::kNotFound,
                         "account_id: \"Q1\" is not an account");
}

// A member's consumption goes on its head's invoice with the head's billing
// details; its own discount stays its own.
TEST_F(GroupTest, MemberIsInvoicedWithTheHeadsDetails) {
  v1::Command head_details = CreateObject("H3", v1::OBJECT_KIND_ACCOUNT);
  auto* acc = head_details.mutable_structure()
                  ->mutable_create_object()
                  ->mutable_object()
                  ->mutable_account();
  acc->set_email("compta@head.example");
  acc->mutable_billing_address()->add_lines("1 place du Capitole");
  acc->mutable_billing_address()->set_city("Toulouse");
  acc->mutable_billing_address()->set_country_code("FR");
  ledger_.Given(head_details, kJan10);
  ledger_.Given(Group("H3", v1::GROUP_ROLE_HEAD), kJan10);
  ledger_.Given(Group("M2", v1::GROUP_ROLE_MEMBER, "H3"), kJan10);
  ledger_.Given(CreateObject("OPT", v1::OBJECT_KIND_OPTION, "M2", "B", "15"),
                kJan10);
  auto details = ResolveBillingDetails(ledger_.state(), "C1", "OPT");
  ASSERT_TRUE(details.ok()) << details.status();
  EXPECT_EQ(details->invoice_account_id, "H3");
  EXPECT_EQ(details->email, "compta@head.example");
  EXPECT_EQ(details->billing_address.city(), "Toulouse");
  EXPECT_EQ(details->source, "group_head");
  EXPECT_EQ(ForMonth("OPT", 2026, 1), "B/1500") << "the member's own discount";
}

// Without details of its own, an account is invoiced with the customer's.
TEST_F(GroupTest, AccountFallsBackToTheCustomersDetails) {
  auto details = ResolveBillingDetails(ledger_.state(), "C1", "M2");
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->invoice_account_id, "M2");
  EXPECT_EQ(details->source, "customer");
}

// --- scale: the 10,000 objects ---

// "All objects" of a customer with 10,000 objects is one event in one
// record, applied in one ApplyRecord (one WriteBatch for the projector).
TEST_F(StructureTest, ReassignTenThousandObjectsInOneRecord) {
  for (int i = 0; i < 10'000; ++i) {
    ledger_.Given(
        CreateObject(absl::StrFormat("Q%05d", i), v1::OBJECT_KIND_CALL_QUEUE),
        kJan10);
  }
  v1::Command c = Reassign("B", "3");
  c.mutable_structure()
      ->mutable_reassign_objects()
      ->mutable_selection()
      ->set_all(true);
  auto events = ledger_.When(c, kMar20);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].structure().objects_reassigned().object_ids_size(),
            10'000);
  const int64_t offset = ledger_.Apply(c, kMar20, std::move(*events));
  // One record: every object's new history line sits at that record's
  // offset, event 0 (the ledger numbers records; this checks where the
  // 10,000 changes landed).
  int at_record = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto history =
        ObjectHistory(ledger_.state(), "C1", absl::StrFormat("Q%05d", i));
    ASSERT_TRUE(history.ok()) << history.status();
    ASSERT_EQ(history->size(), 2u) << "created, then reassigned";
    const v1::LogPosition& p = history->back().position();
    at_record += p.offset() == offset && p.index() == 0;
  }
  EXPECT_EQ(at_record, 10'000);
  EXPECT_EQ(ForMonth("Q00000", 2026, 3), "B/300");
  EXPECT_EQ(ForMonth("Q09999", 2026, 3), "B/300");
  EXPECT_EQ(ForMonth("Q09999", 2026, 2), "A/0");
}

}  // namespace
}  // namespace billing
