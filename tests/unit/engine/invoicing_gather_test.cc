// Not formatted by clang-format: the text protos are R"pb(...)pb" pieces
// (see contracts_fixture.h for why).
// clang-format off

// Gathering a customer into preparations (engine/invoicing/gather.h), with
// numbers a person can check: the state is built through the engine's own
// commands (Decide, then ApplyRecord), as the projector would.

#include "engine/invoicing/gather.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/substitute.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/invoicing.pb.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/filters.h"
#include "engine/invoicing/preparation.h"
#include "engine/usage/usage.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/unit/engine/ledger.h"

namespace billing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr BusinessDate kJan5(2026, 1, 5);
constexpr BusinessDate kMar1(2026, 3, 1);
constexpr BusinessDate kMar20(2026, 3, 20);
constexpr BusinessDate kMar31(2026, 3, 31);

v1::Command Cmd(const std::string& text) {
  v1::Command command;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &command))
      << text;
  return command;
}

// March 2026, due as of March 1, ordinary accounts.
RunParams March(BusinessDate business_date = kMar1) {
  RunParams p;
  p.run_id = "RUN-2026-03";
  p.period_start = BusinessDate(2026, 3, 1);
  p.period_end = kMar31;
  p.business_date = business_date;
  return p;
}

class GatherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Given(R"pb(contract { customer_id: "@reference" define_article {
                 article { article_code: "MAINT" label: "Maintenance"
                           vat_rate_bp: 2000 } } })pb");
  }

  void Given(const std::string& text, BusinessDate day = kJan5) {
    ledger_.Given(Cmd(text), day);
  }

  void Customer(const std::string& id, const std::string& mode = "",
                const std::string& city = "Paris") {
    Given(absl::Substitute(
        R"pb(create_customer { customer {
               customer_id: "$0" name: "Customer $0"
               billing_address { lines: "1 rue de la Paix" city: "$2"
                                 country_code: "FR" }
               email: "$0@example.com" $1 } })pb",
        id, mode.empty() ? "" : absl::StrCat("invoice_delivery_mode: ", mode),
        city));
  }

  // With `city`: the entity's own address and e-mail; else the customer's.
  void Entity(const std::string& id, bool separately = false,
              const std::string& city = "") {
    Given(absl::Substitute(
        R"pb(structure { customer_id: "C1" create_entity { entity {
               entity_id: "$0" name: "Entity $0" invoiced_separately: $1
               $2 } } })pb",
        id, separately ? "true" : "false",
        city.empty() ? ""
                     : absl::Substitute(
                           R"pb(billing_address { lines: "1 place" city: "$0"
                                                  country_code: "FR" }
                                email: "$1@example.com")pb",
                           city, id)));
  }

  // An account (or, with `parent`, a phone number +3314268000<n> under it).
  void Object(const std::string& id, const std::string& entity,
              const std::string& discount = "", BusinessDate day = kJan5,
              const std::string& extra = "") {
    Given(absl::Substitute(
        R"pb(structure { customer_id: "C1" create_object {
               object { object_id: "$0" $3 } entity_id: "$1"
               discount_percent: "$2" } })pb",
        id, entity, discount,
        extra.empty() ? "kind: OBJECT_KIND_ACCOUNT" : extra),
        day);
  }

  void Contract(const std::string& ref, const std::string& family = "SERV",
                const std::string& bill_to = "",
                const std::string& start = "2026-01-01") {
    Given(absl::Substitute(
        R"pb(contract { customer_id: "C1" create_contract { contract {
               contract_ref: "$0" contract_family: "MAINT"
               billing_family: "$1" site_code: "S-$0"
               start_date: "$3" $2 } } })pb",
        ref, family, bill_to, start));
  }

  // Monthly in advance from `start`: `price` per month, cost 60 %.
  void FlatRule(const std::string& ref, const std::string& rule,
                const std::vector<std::string>& objects,
                int64_t price_micros = 100000000,
                const std::string& start = "2026-03-01",
                const std::string& extra = "") {
    std::string ids;
    for (const std::string& o : objects) absl::StrAppend(&ids, " object_ids: \"", o, "\"");
    Given(absl::Substitute(
        R"pb(contract { customer_id: "C1" create_rule { rule {
               contract_ref: "$0" rule_id: "$1" label: "Rule $1"
               rule_type: RULE_TYPE_FLAT $2 article_code: "MAINT"
               unit_price_micros: $3 cost_price_micros: $4
               periodicity: PERIODICITY_MONTHLY
               timing: BILLING_TIMING_IN_ADVANCE start_date: "$5" $6 } } })pb",
        ref, rule, ids, price_micros, price_micros * 6 / 10, start, extra));
  }

  // The customer's payment method, through the customer's update command.
  void PayBy(const std::string& id, const std::string& method) {
    Given(absl::Substitute(
        R"pb(update_customer { customer { customer_id: "$0"
               payment_method: $1 }
               update_mask { paths: "payment_method" } })pb",
        id, method));
  }

  // `p` as it is once its invoice is issued (no command validates yet).
  void StoreValidated(v1::Preparation p) {
    p.set_status(v1::PREPARATION_STATUS_VALIDATED);
    ledger_.mutable_state().Put(PreparationKey(p.holder_id(), p.preparation_id()),
                                p.SerializeAsString());
  }

  std::vector<v1::Preparation> Gather(const RunParams& params = March(),
                                      const std::string& customer = "C1") {
    auto got = GatherCustomer(ledger_.state(), customer, params);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : std::vector<v1::Preparation>();
  }

  // The demo customer (billingctl demo load: a hotel group, four sites):
  // entities HQ (main, the customer's address), LYON, NICE, LILLE (their
  // own addresses; LILLE invoiced separately in the MIXED mode); one
  // account on each, LYON's at 10 %; one rule per account, 100.00 a month
  // from March (cost 60.00).
  void Demo(const std::string& mode) {
    Customer("C1", mode);
    Entity("HQ");
    Entity("LYON", false, "Lyon");
    Entity("NICE", false, "Nice");
    Entity("LILLE", /*separately=*/true, "Lille");
    Object("A-HQ", "HQ");
    Object("A-LYON", "LYON", "10");
    Object("A-NICE", "NICE");
    Object("A-LILLE", "LILLE");
    Contract("K1");
    for (const char* e : {"HQ", "LYON", "NICE", "LILLE"}) {
      FlatRule("K1", absl::StrCat("R-", e), {absl::StrCat("A-", e)});
    }
  }

  testing::Ledger ledger_;
};

std::vector<std::string> Ids(const std::vector<v1::Preparation>& preps) {
  std::vector<std::string> ids;
  for (const auto& p : preps) ids.push_back(p.preparation_id());
  return ids;
}

std::vector<std::string> Sections(const v1::Preparation& p) {
  std::vector<std::string> out;
  for (const auto& s : p.sections()) {
    out.push_back(absl::StrCat(s.entity_id(), " ", s.totals().net_amount_minor()));
  }
  return out;
}

std::vector<std::string> Reasons(const v1::Preparation& p) {
  std::vector<std::string> out;
  for (const auto& a : p.anomalies()) {
    out.push_back(absl::StrCat(v1::AnomalyKind_Name(a.kind()), ": ", a.reason()));
  }
  return out;
}

// --- the run's filters ---

TEST(RunFiltersTest, MaskMatchesAPrefixOrOneCode) {
  EXPECT_TRUE(MaskMatches("", "C1"));
  EXPECT_TRUE(MaskMatches("C12*", "C12"));
  EXPECT_TRUE(MaskMatches("C12*", "C1234"));
  EXPECT_FALSE(MaskMatches("C12*", "C13"));
  EXPECT_FALSE(MaskMatches("C12*", "C1"));
  EXPECT_TRUE(MaskMatches("C12", "C12"));
  EXPECT_FALSE(MaskMatches("C12", "C123"));
  EXPECT_TRUE(MaskMatches("*", "anything"));
}

TEST(RunFiltersTest, RangesIncludeTheirBoundsAndMaskedBoundsTheirPrefix) {
  const CodeRange c10_to_c12{"C10", "C12"};
  EXPECT_TRUE(InCodeRange(c10_to_c12, "C10"));
  EXPECT_TRUE(InCodeRange(c10_to_c12, "C11A"));
  EXPECT_TRUE(InCodeRange(c10_to_c12, "C12"));
  EXPECT_FALSE(InCodeRange(c10_to_c12, "C120"));  // after C12
  EXPECT_FALSE(InCodeRange(c10_to_c12, "C09"));
  const CodeRange masked{"C10*", "C12*"};
  EXPECT_TRUE(InCodeRange(masked, "C10"));
  EXPECT_TRUE(InCodeRange(masked, "C120"));
  EXPECT_TRUE(InCodeRange(masked, "C12ZZ"));
  EXPECT_FALSE(InCodeRange(masked, "C13"));
  EXPECT_FALSE(InCodeRange(masked, "C0"));
  const CodeRange one_mask{"C12*", "C12*"};
  EXPECT_TRUE(InCodeRange(one_mask, "C12X"));
  EXPECT_FALSE(InCodeRange(one_mask, "C11"));
  EXPECT_FALSE(InCodeRange(one_mask, "C13"));
  EXPECT_TRUE(InCodeRange(CodeRange{}, "anything"));
  EXPECT_TRUE(InCodeRange(CodeRange{"", "C12*"}, "A"));
  EXPECT_FALSE(InCodeRange(CodeRange{"C12*", ""}, "C11"));
}

TEST(DiscountTest, RoundsHalfAwayFromZero) {
  EXPECT_EQ(DiscountMinor(10000, 1000), 1000);   // 10 % of 100.00
  EXPECT_EQ(DiscountMinor(10001, 1000), 1000);   // 1000.1 cents
  EXPECT_EQ(DiscountMinor(5, 1000), 1);          // 0.5 cent
  EXPECT_EQ(DiscountMinor(-5, 1000), -1);
  EXPECT_EQ(DiscountMinor(10000, 0), 0);
  EXPECT_EQ(DiscountMinor(12345, 10000), 12345);  // 100 %
  EXPECT_EQ(DiscountMinor(333, 3333), 111);       // 110.9889 -> 111
}

// --- delivery modes ---

// One preparation per entity: four, each one line of 100.00, LYON's at 90.00.
TEST_F(GatherTest, DemoPerEntityGivesOnePreparationPerEntity) {
  Demo("INVOICE_DELIVERY_MODE_PER_ENTITY");
  const auto preps = Gather();
  EXPECT_THAT(Ids(preps),
              ElementsAre("C1/2026-03-01..2026-03-31/C1/HQ/*/INV",
                          "C1/2026-03-01..2026-03-31/C1/LILLE/*/INV",
                          "C1/2026-03-01..2026-03-31/C1/LYON/*/INV",
                          "C1/2026-03-01..2026-03-31/C1/NICE/*/INV"));
  for (const auto& p : preps) {
    ASSERT_EQ(p.lines_size(), 1) << p.preparation_id();
    EXPECT_EQ(p.status(), v1::PREPARATION_STATUS_GENERATED);
    EXPECT_EQ(p.type(), v1::PREPARATION_TYPE_INVOICE);
    EXPECT_EQ(p.lines(0).gross_amount_minor(), 10000);
    EXPECT_EQ(p.lines(0).assignment().entity_id(), p.entity_id());
    EXPECT_EQ(p.billing_family(), "SERV");
    EXPECT_EQ(p.delivery_mode(), v1::INVOICE_DELIVERY_MODE_PER_ENTITY);
    EXPECT_EQ(p.invoiced_party().customer_id(), "C1");
    EXPECT_EQ(p.invoiced_party().name(), "Customer C1");
  }
  // Each entity's own address and e-mail; HQ has none: the customer's.
  EXPECT_EQ(preps[0].invoiced_party().billing_address().city(), "Paris");
  EXPECT_EQ(preps[0].invoiced_party().email(), "C1@example.com");
  EXPECT_EQ(preps[2].invoiced_party().billing_address().city(), "Lyon");
  EXPECT_EQ(preps[2].invoiced_party().email(), "LYON@example.com");
  const v1::PreparationLine& lyon = preps[2].lines(0);
  EXPECT_EQ(lyon.period_start(), "2026-03-01");
  EXPECT_EQ(lyon.period_end(), "2026-03-31");
  EXPECT_EQ(lyon.assignment().discount_hundredths(), 1000);
  EXPECT_EQ(lyon.discount_minor(), 1000);
  EXPECT_EQ(lyon.net_amount_minor(), 9000);
  EXPECT_EQ(lyon.cost_minor(), 6000);
  EXPECT_EQ(lyon.margin_minor(), 3000);
  EXPECT_EQ(lyon.object_id(), "A-LYON");
  EXPECT_EQ(lyon.unit_price_micros(), 100000000);
  EXPECT_EQ(lyon.quantity_milli(), 1000);
  EXPECT_EQ(lyon.source(), v1::LINE_SOURCE_RULE);
  EXPECT_EQ(lyon.explanation(),
            "1.000 x 100.000000, the agreed price from 2026-03-01; discount "
            "10.00 % of 100.00 = 10.00, net 90.00");
  EXPECT_EQ(preps[2].totals().net_amount_minor(), 9000);
  EXPECT_THAT(Sections(preps[2]), ElementsAre("LYON 9000"));
}

// One preparation for HQ with a section per entity: 100 + 90 + 100 + 100.
TEST_F(GatherTest, DemoMainEntityDetailedGivesOneWithSections) {
  Demo("INVOICE_DELIVERY_MODE_MAIN_ENTITY_DETAILED");
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  const v1::Preparation& p = preps[0];
  EXPECT_EQ(p.preparation_id(), "C1/2026-03-01..2026-03-31/C1/HQ/*/INV");
  EXPECT_EQ(p.entity_id(), "HQ");
  EXPECT_EQ(p.invoiced_party().billing_address().city(), "Paris");
  EXPECT_EQ(p.lines_size(), 4);
  EXPECT_THAT(Sections(p), ElementsAre("HQ 10000", "LILLE 10000",
                                       "LYON 9000", "NICE 10000"));
  EXPECT_EQ(p.sections(2).entity_name(), "Entity LYON");
  EXPECT_EQ(p.totals().gross_amount_minor(), 40000);
  EXPECT_EQ(p.totals().discount_minor(), 1000);
  EXPECT_EQ(p.totals().net_amount_minor(), 39000);
  EXPECT_EQ(p.totals().cost_minor(), 24000);
  EXPECT_EQ(p.totals().margin_minor(), 15000);
  EXPECT_EQ(p.totals().lines(), 4);
}

// An ad-hoc line of 2 x 45.00 on the consolidated preparation joins HQ's
// section: 390.00 + 90.00 = 480.00; taking it out again gives 390.00.
TEST_F(GatherTest, AnAdHocLineJoinsItsSectionAndTheTotals) {
  Demo("INVOICE_DELIVERY_MODE_MAIN_ENTITY_DETAILED");
  auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  v1::Preparation p = preps[0];
  auto line = AdHocLine({"MAINT", "Extra visit", 2000, 45000000, "HQ"},
                        Currency{"EUR", 2});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->source(), v1::LINE_SOURCE_AD_HOC);
  EXPECT_EQ(line->net_amount_minor(), 9000);
  EXPECT_EQ(line->explanation(), "ad-hoc line: 2.000 x 45.000000 = 90.00");
  *p.add_lines() = *line;
  ASSERT_TRUE(Retotal(p).ok());
  EXPECT_EQ(p.totals().net_amount_minor(), 48000);
  EXPECT_EQ(p.totals().lines(), 5);
  EXPECT_THAT(Sections(p), ElementsAre("HQ 19000", "LILLE 10000",
                                       "LYON 9000", "NICE 10000"));
  EXPECT_EQ(p.sections(0).entity_name(), "Entity HQ");
  p.mutable_lines()->RemoveLast();
  ASSERT_TRUE(Retotal(p).ok());
  EXPECT_EQ(p.SerializeAsString(), preps[0].SerializeAsString());
  EXPECT_EQ(AdHocLine({"MAINT", "", 1000000000000000, 100000000000000000, ""},
                      Currency{"EUR", 2})
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
}

// LILLE is invoiced on its own; HQ, LYON and NICE on the main one.
TEST_F(GatherTest, DemoMixedSeparatesTheFlaggedEntities) {
  Demo("INVOICE_DELIVERY_MODE_MIXED");
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 2u);
  EXPECT_EQ(preps[0].entity_id(), "HQ");
  EXPECT_THAT(Sections(preps[0]),
              ElementsAre("HQ 10000", "LYON 9000", "NICE 10000"));
  EXPECT_EQ(preps[0].totals().net_amount_minor(), 29000);
  EXPECT_EQ(preps[1].entity_id(), "LILLE");
  EXPECT_EQ(preps[1].invoiced_party().billing_address().city(), "Lille");
  EXPECT_THAT(Sections(preps[1]), ElementsAre("LILLE 10000"));
}

// --- billing families ---

// Equipment lines (not in the structure) go to the main entity, no discount.
TEST_F(GatherTest, TwoFamiliesSplitWhenAskedAndShareOtherwise) {
  Customer("C1");
  Entity("HQ");
  Contract("K1", "SERV");
  Contract("K2", "MAT");
  FlatRule("K1", "R1", {"EQ-1"});
  FlatRule("K2", "R1", {"EQ-2"}, 50000000);
  RunParams split = March();
  split.split_by_billing_family = true;
  const auto two = Gather(split);
  EXPECT_THAT(Ids(two), ElementsAre("C1/2026-03-01..2026-03-31/C1/HQ/MAT/INV",
                                    "C1/2026-03-01..2026-03-31/C1/HQ/SERV/INV"));
  EXPECT_EQ(two[0].totals().net_amount_minor(), 5000);
  EXPECT_EQ(two[1].totals().net_amount_minor(), 10000);
  EXPECT_EQ(two[0].lines(0).assignment().entity_id(), "HQ");
  const auto one = Gather();
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].billing_family(), "");  // the lines' families differ
  EXPECT_EQ(one[0].totals().net_amount_minor(), 15000);
}

// --- bill-to parties ---

TEST_F(GatherTest, BillToInInvoiceModeIsInvoicedWithItsOwnDetails) {
  Customer("P1", "", "Lille");
  Customer("C1");
  Entity("HQ");
  Contract("K1", "SERV",
           R"pb(bill_to { party_id: "P1" mode: BILL_TO_MODE_INVOICE_BILL_TO })pb");
  FlatRule("K1", "R1", {"EQ-1"});
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  const v1::Preparation& p = preps[0];
  EXPECT_EQ(p.preparation_id(),
            "C1/2026-03-01..2026-03-31/P1/HQ/*/INV/invoice:P1");
  EXPECT_EQ(p.holder_id(), "C1");
  EXPECT_EQ(p.invoiced_party().customer_id(), "P1");
  EXPECT_EQ(p.invoiced_party().name(), "Customer P1");
  EXPECT_EQ(p.invoiced_party().billing_address().city(), "Lille");
  EXPECT_EQ(p.invoiced_party().email(), "P1@example.com");
  EXPECT_EQ(p.bill_to().party_id(), "P1");
  EXPECT_EQ(p.bill_to().mode(), v1::BILL_TO_MODE_INVOICE_BILL_TO);
}

TEST_F(GatherTest, BillToInPostModeInvoicesTheHolderAndNamesTheParty) {
  Customer("P1", "", "Lille");
  Customer("C1");
  Entity("HQ");
  Contract("K1", "SERV",
           R"pb(bill_to { party_id: "P1" mode: BILL_TO_MODE_POST_TO_BILL_TO })pb");
  Contract("K2", "SERV");
  FlatRule("K1", "R1", {"EQ-1"});
  FlatRule("K2", "R1", {"EQ-2"});
  const auto preps = Gather();
  // The contract without bill-to is on a preparation of its own.
  EXPECT_THAT(Ids(preps),
              ElementsAre("C1/2026-03-01..2026-03-31/C1/HQ/*/INV",
                          "C1/2026-03-01..2026-03-31/C1/HQ/*/INV/post:P1"));
  const v1::Preparation& p = preps[1];
  EXPECT_EQ(p.invoiced_party().customer_id(), "C1");
  EXPECT_EQ(p.invoiced_party().billing_address().city(), "Paris");
  EXPECT_EQ(p.bill_to().party_id(), "P1");
  EXPECT_EQ(p.bill_to().mode(), v1::BILL_TO_MODE_POST_TO_BILL_TO);
  EXPECT_FALSE(preps[0].has_bill_to());
}

// --- payment notices ---

// C1 pays by direct debit: its preparation is the notice sent before the
// debit (PN), 100.00 as an invoice would be.
TEST_F(GatherTest, DirectDebitMakesAPaymentNotice) {
  Customer("C1");
  Entity("HQ");
  Contract("K1");
  FlatRule("K1", "R1", {"EQ-1"});
  EXPECT_THAT(Ids(Gather()), ElementsAre("C1/2026-03-01..2026-03-31/C1/HQ/*/INV"));
  PayBy("C1", "PAYMENT_METHOD_DIRECT_DEBIT");
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  const v1::Preparation& p = preps[0];
  EXPECT_EQ(p.preparation_id(), "C1/2026-03-01..2026-03-31/C1/HQ/*/PN");
  EXPECT_EQ(p.type(), v1::PREPARATION_TYPE_PAYMENT_NOTICE);
  EXPECT_EQ(p.invoiced_party().payment_method(), v1::PAYMENT_METHOD_DIRECT_DEBIT);
  EXPECT_EQ(p.totals().net_amount_minor(), 10000);
}

// The invoiced party's method decides: P1 pays by direct debit, C1 by
// cheque. K1 invoices P1 (INVOICE_BILL_TO): a notice; K2 only posts to P1
// (the holder is invoiced): an invoice.
TEST_F(GatherTest, TheBillToPartysMethodDecidesInInvoiceMode) {
  Customer("P1", "", "Lille");
  PayBy("P1", "PAYMENT_METHOD_DIRECT_DEBIT");
  Customer("C1");
  PayBy("C1", "PAYMENT_METHOD_CHEQUE");
  Entity("HQ");
  Contract("K1", "SERV",
           R"pb(bill_to { party_id: "P1" mode: BILL_TO_MODE_INVOICE_BILL_TO })pb");
  Contract("K2", "SERV",
           R"pb(bill_to { party_id: "P1" mode: BILL_TO_MODE_POST_TO_BILL_TO })pb");
  FlatRule("K1", "R1", {"EQ-1"});
  FlatRule("K2", "R1", {"EQ-2"});
  const auto preps = Gather();
  EXPECT_THAT(Ids(preps),
              ElementsAre("C1/2026-03-01..2026-03-31/C1/HQ/*/INV/post:P1",
                          "C1/2026-03-01..2026-03-31/P1/HQ/*/PN/invoice:P1"));
  ASSERT_EQ(preps.size(), 2u);
  EXPECT_EQ(preps[0].type(), v1::PREPARATION_TYPE_INVOICE);
  EXPECT_EQ(preps[0].invoiced_party().payment_method(), v1::PAYMENT_METHOD_CHEQUE);
  EXPECT_EQ(preps[1].type(), v1::PREPARATION_TYPE_PAYMENT_NOTICE);
  EXPECT_EQ(preps[1].invoiced_party().payment_method(),
            v1::PAYMENT_METHOD_DIRECT_DEBIT);
}

// A group head is an account of the holder, with no method of its own:
// the holder's direct debit makes the head's preparation a notice.
TEST_F(GatherTest, AGroupHeadsPreparationTakesTheHoldersMethod) {
  Customer("C1");
  PayBy("C1", "PAYMENT_METHOD_DIRECT_DEBIT");
  Entity("HQ");
  Object("H1", "HQ");
  Given(R"pb(structure { customer_id: "C1" set_account_group {
               account_id: "H1" role: GROUP_ROLE_HEAD } })pb");
  Contract("K1");
  FlatRule("K1", "R-H1", {"H1"});
  RunParams grouped = March();
  grouped.scope = v1::ACCOUNT_SCOPE_GROUPED;
  EXPECT_THAT(Ids(Gather(grouped)),
              ElementsAre("C1/2026-03-01..2026-03-31/C1.H1/HQ/*/PN"));
}

// --- grouped accounts ---

// Head H1 (entity HQ, its own address in Marseille) and member M1 (entity
// LYON, 10 %): the member's 100.00 is on the head's preparation at 90.00,
// with the head's details; an ordinary run gathers neither.
TEST_F(GatherTest, GroupedMemberIsOnTheHeadsPreparationAtItsOwnPrices) {
  Customer("C1");
  Entity("HQ");
  Entity("LYON");
  Object("H1", "HQ", "", kJan5,
         R"pb(kind: OBJECT_KIND_ACCOUNT account { billing_address {
                lines: "2 quai" city: "Marseille" country_code: "FR" } })pb");
  Object("M1", "LYON", "10");
  Object("O1", "HQ");
  Given(R"pb(structure { customer_id: "C1" set_account_group {
               account_id: "H1" role: GROUP_ROLE_HEAD } })pb");
  Given(R"pb(structure { customer_id: "C1" set_account_group {
               account_id: "M1" role: GROUP_ROLE_MEMBER head_account_id: "H1" } })pb");
  Contract("K1");
  FlatRule("K1", "R-H1", {"H1"}, 50000000);
  FlatRule("K1", "R-M1", {"M1"});
  FlatRule("K1", "R-O1", {"O1"}, 20000000);
  RunParams grouped = March();
  grouped.scope = v1::ACCOUNT_SCOPE_GROUPED;
  const auto preps = Gather(grouped);
  ASSERT_EQ(preps.size(), 1u);
  const v1::Preparation& p = preps[0];
  EXPECT_EQ(p.preparation_id(), "C1/2026-03-01..2026-03-31/C1.H1/HQ/*/INV");
  EXPECT_EQ(p.scope(), v1::ACCOUNT_SCOPE_GROUPED);
  EXPECT_EQ(p.invoiced_party().account_id(), "H1");
  EXPECT_EQ(p.invoiced_party().billing_address().city(), "Marseille");
  ASSERT_EQ(p.lines_size(), 2);
  EXPECT_EQ(p.lines(0).object_id(), "H1");
  EXPECT_EQ(p.lines(0).net_amount_minor(), 5000);
  EXPECT_EQ(p.lines(1).object_id(), "M1");
  EXPECT_EQ(p.lines(1).assignment().entity_id(), "LYON");
  EXPECT_EQ(p.lines(1).net_amount_minor(), 9000);
  EXPECT_THAT(Sections(p), ElementsAre("HQ 5000", "LYON 9000"));
  // The ordinary run has only O1.
  const auto ordinary = Gather();
  ASSERT_EQ(ordinary.size(), 1u);
  ASSERT_EQ(ordinary[0].lines_size(), 1);
  EXPECT_EQ(ordinary[0].lines(0).object_id(), "O1");
  EXPECT_EQ(ordinary[0].invoiced_party().account_id(), "");
}

// --- months ---

// A1 on HQ from January, moved to LYON at 10 % on March 20: the three
// months of catch-up are January and February on HQ, all of March on LYON.
TEST_F(GatherTest, AReassignmentOnThe20thMovesTheWholeMonth) {
  Customer("C1");
  Entity("HQ");
  Entity("LYON");
  Object("A1", "HQ");
  Contract("K1");
  FlatRule("K1", "R1", {"A1"}, 100000000, "2026-01-01");
  Given(R"pb(structure { customer_id: "C1" reassign_objects {
               selection { ids { object_ids: "A1" } } entity_id: "LYON"
               discount_percent: "10" } })pb",
        kMar20);
  const auto preps = Gather(March(kMar31));
  ASSERT_EQ(preps.size(), 2u);
  EXPECT_EQ(preps[0].entity_id(), "HQ");
  ASSERT_EQ(preps[0].lines_size(), 2);
  EXPECT_EQ(preps[0].lines(0).period_start(), "2026-01-01");
  EXPECT_EQ(preps[0].lines(1).period_start(), "2026-02-01");
  EXPECT_EQ(preps[0].totals().net_amount_minor(), 20000);
  EXPECT_EQ(preps[1].entity_id(), "LYON");
  ASSERT_EQ(preps[1].lines_size(), 1);
  EXPECT_EQ(preps[1].lines(0).period_start(), "2026-03-01");
  EXPECT_EQ(preps[1].lines(0).net_amount_minor(), 9000);
  EXPECT_THAT(preps[0].trace(),
              ElementsAre("rule K1/R1 (RULE_TYPE_FLAT) due (catch-up): 3 "
                          "line(s), 300.00"));
}

// --- filters ---

TEST_F(GatherTest, FiltersNarrowTheContracts) {
  Customer("C1");
  Entity("HQ");
  Contract("K1", "SERV");
  Contract("K2", "MAT");
  Contract("K3", "SERV");
  FlatRule("K1", "R1", {"EQ-1"});
  FlatRule("K2", "R1", {"EQ-2"});
  FlatRule("K3", "R1", {"EQ-3"});
  auto refs_of = [](const std::vector<v1::Preparation>& preps) {
    std::vector<std::string> refs;
    for (const auto& p : preps) {
      for (const auto& l : p.lines()) refs.push_back(l.contract_ref());
    }
    return refs;
  };
  RunParams range = March();
  range.contract_refs = {"K2", "K3"};
  EXPECT_THAT(refs_of(Gather(range)), ElementsAre("K2", "K3"));
  RunParams family = March();
  family.billing_family = "SE*";
  EXPECT_THAT(refs_of(Gather(family)), ElementsAre("K1", "K3"));
  RunParams site = March();
  site.site_code = "S-K2";
  EXPECT_THAT(refs_of(Gather(site)), ElementsAre("K2"));
}

// --- held rules and anomalies ---

TEST_F(GatherTest, AHeldRuleIsTracedNotBilled) {
  Customer("C1");
  Entity("HQ");
  Contract("K1");
  FlatRule("K1", "R1", {"EQ-1"});
  FlatRule("K1", "R2", {"EQ-2"}, 30000000, "2026-03-01",
           R"pb(condition_job_id: "JOB-7")pb");
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  EXPECT_EQ(preps[0].lines_size(), 1);
  EXPECT_EQ(preps[0].totals().net_amount_minor(), 10000);
  ASSERT_EQ(preps[0].trace_size(), 2);
  EXPECT_THAT(preps[0].trace(1), HasSubstr("rule K1/R2 held: "));
  EXPECT_THAT(preps[0].trace(1),
              HasSubstr("lines 2026-03-01 to 2026-03-31 30.00 shown, not billed"));
}

// Every reason the rule part can give, on one preparation in anomaly.
TEST_F(GatherTest, EveryRuleAnomalyIsListed) {
  Customer("C1");
  Entity("HQ");
  Entity("LYON");
  Object("A-HQ", "HQ");
  Object("A-LYON", "LYON");
  Object("LATE", "HQ", "", BusinessDate(2026, 4, 2));
  Contract("K1");
  // No next date.
  FlatRule("K1", "NONEXT", {"EQ-1"});
  Given(R"pb(contract { customer_id: "C1" set_rule_dates {
               contract_ref: "K1" rule_id: "NONEXT" } })pb");
  // A price that cannot be computed: a Syntec anniversary with no index.
  Contract("K0", "SERV", "", "2025-03-01");
  FlatRule("K0", "SYNTEC", {"EQ-2"}, 100000000, "2025-03-01",
           R"pb(recurring_increase { kind: INCREASE_KIND_SYNTEC syntec {
                  a_micros: 150000 b_micros: 850000
                  reference_index_micros: 270000000 } })pb");
  // One line over two entities.
  FlatRule("K1", "SPLIT", {"A-HQ", "A-LYON"});
  // An object created in April, billed for March.
  FlatRule("K1", "EARLY", {"LATE"});
  // A reading below the last billed one, as an older journal holds it.
  Given(R"pb(contract { customer_id: "C1" create_rule { rule {
               contract_ref: "K1" rule_id: "METER"
               rule_type: RULE_TYPE_CONSUMED_UNITS object_ids: "COPIER-1"
               article_code: "MAINT" unit_price_micros: 50000
               periodicity: PERIODICITY_MONTHLY start_date: "2026-01-01" } } })pb");
  auto reading = [](const std::string& date, int64_t value, const char* kind) {
    return absl::Substitute(
        R"pb(contract { customer_id: "C1" record_reading { reading {
               contract_ref: "K1" rule_id: "METER" object_id: "COPIER-1"
               reading_date: "$0" value_milli: $1 kind: $2 } } })pb",
        date, value, kind);
  };
  Given(reading("2026-01-02", 1000000, "READING_KIND_INSTALLATION"),
        BusinessDate(2026, 1, 2));
  Given(reading("2026-01-31", 1250000, "READING_KIND_REGULAR"),
        BusinessDate(2026, 1, 31));
  Given(R"pb(contract { customer_id: "C1" record_rule_billed {
               contract_ref: "K1" rule_id: "METER" period_start: "2026-01-01"
               invoice_ref: "FA-1" invoice_date: "2026-02-01" } })pb",
        BusinessDate(2026, 2, 1));
  const v1::Command lower = Cmd(reading("2026-02-28", 1250000, "READING_KIND_REGULAR"));
  auto events = ledger_.When(lower, BusinessDate(2026, 2, 28));
  ASSERT_TRUE(events.ok()) << events.status();
  (*events)[0].mutable_contract()->mutable_reading_recorded()
      ->mutable_reading()->set_value_milli(1200000);
  ledger_.Apply(lower, BusinessDate(2026, 2, 28), std::move(*events));

  const auto preps = Gather(March(BusinessDate(2026, 4, 2)));
  ASSERT_EQ(preps.size(), 1u);
  const v1::Preparation& p = preps[0];
  EXPECT_EQ(p.status(), v1::PREPARATION_STATUS_ANOMALY);
  EXPECT_THAT(Reasons(p), ElementsAre(
      "ANOMALY_KIND_RULE: rule K0/SYNTEC: price as of 2026-03-01 unknown: "
      "anniversary 2026-03-01: no SYNTEC index published on or before "
      "2026-03-01",
      "ANOMALY_KIND_RULE: rule K0/SYNTEC: price as of 2026-04-01 unknown: "
      "anniversary 2026-03-01: no SYNTEC index published on or before "
      "2026-03-01",
      "ANOMALY_KIND_OBJECT_WITHOUT_ENTITY: rule K1/EARLY: object LATE had no "
      "billing entity in 2026-03 (created 2026-04-02): its line of 2026-03-01 "
      "to 2026-03-31 cannot be placed",
      "ANOMALY_KIND_RULE: rule K1/METER: object COPIER-1: reading #3 of "
      "2026-02-28 (1200.000) is lower than the last billed reading 1250.000 of "
      "2026-01-31 and is not flagged as a meter replacement",
      "ANOMALY_KIND_RULE: rule K1/NONEXT: no next theoretical billing date: the "
      "rule is not billed until one is set",
      "ANOMALY_KIND_RULE_OBJECTS_SPLIT: rule K1/SPLIT: objects A-HQ (HQ, 0.00 %) "
      "and A-LYON (LYON, 0.00 %) differ in entity or discount in 2026-03: one "
      "line cannot be split",
      "ANOMALY_KIND_RULE_OBJECTS_SPLIT: rule K1/SPLIT: objects A-HQ (HQ, 0.00 %) "
      "and A-LYON (LYON, 0.00 %) differ in entity or discount in 2026-04: one "
      "line cannot be split"));
  EXPECT_EQ(p.anomalies(2).object_id(), "LATE");
  EXPECT_EQ(p.anomalies(2).month(), "2026-03");
  EXPECT_EQ(p.anomalies(4).rule_id(), "NONEXT");
  // EARLY's April line is billed: LATE exists in April.
  ASSERT_EQ(p.lines_size(), 1);
  EXPECT_EQ(p.lines(0).rule_id(), "EARLY");
  EXPECT_EQ(p.lines(0).period_start(), "2026-04-01");
}

// --- what validated preparations hold ---

RunParams April() {
  RunParams p;
  p.run_id = "RUN-2026-04";
  p.period_start = BusinessDate(2026, 4, 1);
  p.period_end = BusinessDate(2026, 4, 30);
  p.business_date = BusinessDate(2026, 4, 1);
  return p;
}

// R1 (100.00 a month from March, never billed) is due for March and April
// as of April 1 (catch-up). March's preparation is validated but its
// invoice not numbered yet (the rule's dates have not moved): the April
// run bills April only, and its trace says why March is not there.
TEST_F(GatherTest, ARulePeriodOnAValidatedPreparationIsNotGatheredAgain) {
  Customer("C1");
  Entity("HQ");
  Object("A1", "HQ");
  Contract("K1");
  FlatRule("K1", "R1", {"A1"});
  const auto before = Gather(April());
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(before[0].lines_size(), 2);  // March and April
  EXPECT_EQ(before[0].totals().net_amount_minor(), 20000);

  const auto march = Gather();
  ASSERT_EQ(march.size(), 1u);
  StoreValidated(march[0]);
  const auto preps = Gather(April());
  ASSERT_EQ(preps.size(), 1u);
  const v1::Preparation& p = preps[0];
  EXPECT_EQ(p.preparation_id(), "C1/2026-04-01..2026-04-30/C1/HQ/*/INV");
  ASSERT_EQ(p.lines_size(), 1);
  EXPECT_EQ(p.lines(0).period_start(), "2026-04-01");
  EXPECT_EQ(p.totals().net_amount_minor(), 10000);
  EXPECT_THAT(p.trace(), ::testing::Contains(
      "rule K1/R1: 2026-03-01 to 2026-03-31 is on validated preparation "
      "C1/2026-03-01..2026-03-31/C1/HQ/*/INV: not gathered again"));
  // The same preparation generated (not validated) holds nothing back.
  ledger_.mutable_state().Put(PreparationKey("C1", march[0].preparation_id()),
                              march[0].SerializeAsString());
  EXPECT_EQ(Gather(April())[0].lines_size(), 2);
}

// --- revision formulas (detail per line) ---

// Yearly from 2025-03-01, 200.00, Syntec policy 0.15 + 0.85 x I_new /
// I_ref with I_ref 270.0; SYNTEC 276.5 published 2026-01-31. The
// anniversary 2026-03-01 (pending, not recorded): 200 x (0.15 + 0.85 x
// 276.5 / 270) = 200 x 1.020462963 = 204.092593, a line of 204.09; the
// first year, at the agreed price, has no formula.
TEST_F(GatherTest, ASyntecRevisionShowsItsFormulaWithItsValues) {
  Given(R"pb(contract { customer_id: "@reference" publish_index {
               publication { index_code: "SYNTEC" publication_date: "2026-01-31"
                             value_micros: 276500000 } } })pb");
  Customer("C1");
  Entity("HQ");
  Contract("K1", "SERV", "", "2025-03-01");
  Given(R"pb(contract { customer_id: "C1" create_rule { rule {
               contract_ref: "K1" rule_id: "R1" label: "Rule R1"
               rule_type: RULE_TYPE_FLAT object_ids: "EQ-1"
               article_code: "MAINT" unit_price_micros: 200000000
               periodicity: PERIODICITY_YEARLY
               timing: BILLING_TIMING_IN_ADVANCE start_date: "2025-03-01"
               recurring_increase { kind: INCREASE_KIND_SYNTEC syntec {
                 a_micros: 150000 b_micros: 850000
                 reference_index_micros: 270000000 } } } } })pb");
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  ASSERT_EQ(preps[0].lines_size(), 2);
  const v1::PreparationLine& first = preps[0].lines(0);
  EXPECT_EQ(first.period_start(), "2025-03-01");
  EXPECT_EQ(first.price_formula(), "");
  const v1::PreparationLine& revised = preps[0].lines(1);
  EXPECT_EQ(revised.period_start(), "2026-03-01");
  EXPECT_EQ(revised.unit_price_micros(), 204092593);
  EXPECT_EQ(revised.gross_amount_minor(), 20409);
  EXPECT_EQ(revised.price_formula(),
            "P = P0 x (0.15 + 0.85 x SYNTEC 2026-01-31 / SYNTEC agreed) = "
            "200.00 x (0.15 + 0.85 x 276.5 / 270) = 204.092593 (anniversary "
            "2026-03-01, pending)");
}

// A recorded one-off of +3 % on March 1: 100.00 x 1.03 = 103.00.
TEST_F(GatherTest, APercentIncreaseShowsItsFormula) {
  Customer("C1");
  Entity("HQ");
  Contract("K1");
  FlatRule("K1", "R1", {"EQ-1"});
  Given(R"pb(contract { customer_id: "C1" schedule_increase {
               contract_ref: "K1" rule_id: "R1" increase {
                 effective_date: "2026-03-01" kind: INCREASE_KIND_CUSTOM_PERCENT
                 percent_bp: 300 reason: "2026 terms" } } })pb");
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  ASSERT_EQ(preps[0].lines_size(), 1);
  const v1::PreparationLine& l = preps[0].lines(0);
  EXPECT_EQ(l.unit_price_micros(), 103000000);
  EXPECT_EQ(l.gross_amount_minor(), 10300);
  EXPECT_EQ(l.price_formula(),
            "P = P0 x (1 + 3.00 %) = 100.00 x 1.03 = 103.000000 (increase #1 "
            "of 2026-03-01)");
}

// --- usage ---

class GatherUsageTest : public GatherTest {
 protected:
  // C1: entity HQ, account ACC1 with number N1 (+33142680000) priced by
  // plan PRO: voice to +33 at 0.020000 a minute, first minute then per
  // second, set-up 0.05 (a 61 s call is 0.070333).
  void SetUp() override {
    GatherTest::SetUp();
    Customer("C1");
    Entity("HQ");
    Entity("LYON");
    Object("ACC1", "HQ");
    Object("N1", "LYON", "10", kJan5,
           R"pb(kind: OBJECT_KIND_PHONE_NUMBER parent_id: "ACC1"
                e164: "+33142680000")pb");
    Object("N2", "HQ", "", kJan5,
           R"pb(kind: OBJECT_KIND_PHONE_NUMBER e164: "+33142680002")pb");
    Given(R"pb(usage { customer_id: "C1" define_plan_version { version {
                 plan_id: "PRO" effective_from: "2026-01-01T00:00:00Z"
                 currency: "EUR" entries { kind: USAGE_KIND_VOICE
                 destination_prefix: "+33" price_micros: 20000
                 per_quantity: 60 setup_fee_micros: 50000 first_increment: 60
                 increment: 1 zone_label: "France" } } } })pb");
    Given(R"pb(usage { customer_id: "C1" assign_plan {
                 object_id: "N1" plan_id: "PRO" } })pb");
    Contract("K1");
  }

  void Call(const std::string& id, int64_t seconds, const std::string& number,
            const std::string& start = "2026-03-20T10:00:00+01:00") {
    Given(absl::Substitute(
        R"pb(usage { customer_id: "C1" record_usage { record {
               platform_id: "PBX1" record_id: "$0" object: "$1"
               start_time: "$2" kind: USAGE_KIND_VOICE quantity: $3
               destination: "+33612345678" } } })pb",
        id, number, start, seconds),
        kMar20);
  }

  // A usage rule on K1 (article MAINT) for these objects and kinds.
  void UsageRule(const std::string& rule, const std::string& objects,
                 const std::string& kinds) {
    Given(absl::Substitute(
        R"pb(contract { customer_id: "C1" create_rule { rule {
               contract_ref: "K1" rule_id: "$0" label: "Telephony"
               rule_type: RULE_TYPE_USAGE $1 $2 article_code: "MAINT"
               start_date: "2026-01-01" } } })pb",
        rule, objects, kinds));
  }
};

// Two 61 s calls of N1 (LYON, 10 %) in March: 2 x 0.070333 = 0.140666,
// 0.14 on the line, 10 % is 0.014 -> 0.01, net 0.13; on LYON's preparation.
TEST_F(GatherUsageTest, RatedUsageReachesALineThroughAUsageRule) {
  UsageRule("TEL", R"pb(object_ids: "N1")pb",
            R"pb(usage_kinds: "USAGE_KIND_VOICE")pb");
  Call("c-1", 61, "+33142680000");
  Call("c-2", 61, "+33142680000", "2026-03-21T10:00:00+01:00");
  Call("c-feb", 61, "+33142680000", "2026-02-21T10:00:00+01:00");
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  const v1::Preparation& p = preps[0];
  EXPECT_EQ(p.preparation_id(), "C1/2026-03-01..2026-03-31/C1/LYON/*/INV");
  EXPECT_EQ(p.status(), v1::PREPARATION_STATUS_GENERATED);
  ASSERT_EQ(p.lines_size(), 1);  // February is not in the period
  const v1::PreparationLine& l = p.lines(0);
  EXPECT_EQ(l.source(), v1::LINE_SOURCE_USAGE);
  EXPECT_EQ(l.contract_ref(), "K1");
  EXPECT_EQ(l.rule_id(), "TEL");
  EXPECT_EQ(l.article_code(), "MAINT");
  EXPECT_EQ(l.object_id(), "N1");
  EXPECT_EQ(l.label(), "USAGE_KIND_VOICE France 2026-03");
  EXPECT_EQ(l.period_start(), "2026-03-01");
  EXPECT_EQ(l.period_end(), "2026-03-31");
  EXPECT_EQ(l.usage().records(), 2);
  EXPECT_EQ(l.usage().quantity(), 122);
  EXPECT_EQ(l.usage().billed_quantity(), 122);
  EXPECT_EQ(l.usage().amount_micros(), 140666);
  EXPECT_EQ(l.usage().zone(), "France");
  EXPECT_EQ(l.quantity_milli(), 1000);
  EXPECT_EQ(l.unit_price_micros(), 140666);
  EXPECT_EQ(l.gross_amount_minor(), 14);
  EXPECT_EQ(l.discount_minor(), 1);
  EXPECT_EQ(l.net_amount_minor(), 13);
  EXPECT_EQ(l.cost_minor(), 0);
  EXPECT_EQ(l.margin_minor(), 13);
  EXPECT_FALSE(l.own_period());
  EXPECT_EQ(l.explanation(),
            "2 record(s), quantity 122, billed 122, rated 0.140666 -> 0.14; "
            "discount 10.00 % of 0.14 = 0.01, net 0.13");
}

// February was invoiced with one call (its totals, as a validated
// preparation keeps them); a second February call arriving later is billed
// on March's preparation, marked with its own period: 0.070333 -> 0.07,
// 10 % -> 0.01, net 0.06.
TEST_F(GatherUsageTest, LateUsageOfAnInvoicedMonthIsBilledOnItsOwnPeriod) {
  UsageRule("TEL", "", "");
  Call("c-feb-1", 61, "+33142680000", "2026-02-10T10:00:00+01:00");
  RunParams march = March();
  auto billed = UsageTotalsFor(ledger_.state(), "C1", "2026-02", "");
  ASSERT_TRUE(billed.ok()) << billed.status();
  march.billed_usage = *billed;
  EXPECT_TRUE(Gather(march).empty());  // nothing new in February, none in March
  Call("c-feb-2", 61, "+33142680000", "2026-02-11T10:00:00+01:00");
  const auto preps = Gather(march);
  ASSERT_EQ(preps.size(), 1u);
  ASSERT_EQ(preps[0].lines_size(), 1);
  const v1::PreparationLine& l = preps[0].lines(0);
  EXPECT_TRUE(l.own_period());
  EXPECT_EQ(l.period_start(), "2026-02-01");
  EXPECT_EQ(l.period_end(), "2026-02-28");
  EXPECT_EQ(l.usage().records(), 1);
  EXPECT_EQ(l.usage().amount_micros(), 70333);
  EXPECT_EQ(l.net_amount_minor(), 6);
  EXPECT_EQ(l.explanation(),
            "late usage of 2026-02, not on its month's invoice: 1 record(s), "
            "quantity 61, billed 61, rated 0.070333 -> 0.07; discount 10.00 % "
            "of 0.07 = 0.01, net 0.06");
}

// The run reads what was billed from the state: March's preparation (one
// 61 s call of N1, 0.070333) is validated; a second March call arrives
// late; the April run gets a March line for the difference alone (1
// record, 0.07, 10 % -> net 0.06), own_period set. Once April's
// preparation is validated too, a third late call is again the only one
// on May's: the two validated preparations' March totals are summed.
TEST_F(GatherUsageTest, LateUsageIsReadFromValidatedPreparations) {
  UsageRule("TEL", "", "");
  Call("c-mar-1", 61, "+33142680000", "2026-03-10T10:00:00+01:00");
  const auto march = Gather();
  ASSERT_EQ(march.size(), 1u);
  ASSERT_EQ(march[0].lines_size(), 1);
  EXPECT_EQ(march[0].lines(0).usage().records(), 1);
  StoreValidated(march[0]);
  EXPECT_TRUE(Gather(April()).empty());  // nothing new of March
  Call("c-mar-2", 61, "+33142680000", "2026-03-11T10:00:00+01:00");
  const auto april = Gather(April());
  ASSERT_EQ(april.size(), 1u);
  EXPECT_EQ(april[0].preparation_id(), "C1/2026-04-01..2026-04-30/C1/LYON/*/INV");
  ASSERT_EQ(april[0].lines_size(), 1);
  const v1::PreparationLine& l = april[0].lines(0);
  EXPECT_TRUE(l.own_period());
  EXPECT_EQ(l.period_start(), "2026-03-01");
  EXPECT_EQ(l.period_end(), "2026-03-31");
  EXPECT_EQ(l.usage().records(), 1);
  EXPECT_EQ(l.usage().quantity(), 61);
  EXPECT_EQ(l.usage().amount_micros(), 70333);
  EXPECT_EQ(l.gross_amount_minor(), 7);
  EXPECT_EQ(l.net_amount_minor(), 6);

  StoreValidated(april[0]);
  Call("c-mar-3", 61, "+33142680000", "2026-03-12T10:00:00+01:00");
  RunParams may = April();
  may.period_start = BusinessDate(2026, 5, 1);
  may.period_end = BusinessDate(2026, 5, 31);
  may.business_date = BusinessDate(2026, 5, 1);
  const auto later = Gather(may);
  ASSERT_EQ(later.size(), 1u);
  ASSERT_EQ(later[0].lines_size(), 1);
  EXPECT_EQ(later[0].lines(0).usage().records(), 1);
  EXPECT_EQ(later[0].lines(0).usage().amount_micros(), 70333);
  EXPECT_TRUE(later[0].lines(0).own_period());
}

// A run over a month already invoiced owes only what came since: March's
// preparation (one call, 0.070333) is validated; March run again gathers no
// usage; a second March call makes the re-run owe that call alone (0.07,
// 10 % -> net 0.06), marked as usage that missed its month's invoice.
TEST_F(GatherUsageTest, ARunOverAnInvoicedMonthOwesOnlyTheUsageSince) {
  UsageRule("TEL", "", "");
  Call("c-mar-1", 61, "+33142680000", "2026-03-10T10:00:00+01:00");
  const auto march = Gather();
  ASSERT_EQ(march.size(), 1u);
  StoreValidated(march[0]);
  for (const auto& p : Gather()) EXPECT_EQ(p.lines_size(), 0) << p.DebugString();
  Call("c-mar-2", 61, "+33142680000", "2026-03-11T10:00:00+01:00");
  const auto again = Gather();
  ASSERT_EQ(again.size(), 1u);
  ASSERT_EQ(again[0].lines_size(), 1);
  const v1::PreparationLine& l = again[0].lines(0);
  EXPECT_EQ(l.usage().records(), 1);
  EXPECT_EQ(l.usage().amount_micros(), 70333);
  EXPECT_EQ(l.net_amount_minor(), 6);
  EXPECT_TRUE(l.own_period());
  EXPECT_EQ(l.period_start(), "2026-03-01");
}

// A rule for SMS only does not cover voice.
TEST_F(GatherUsageTest, AUsageRuleCoversOnlyItsKindsAndObjects) {
  UsageRule("SMS", "", R"pb(usage_kinds: "USAGE_KIND_SMS")pb");
  UsageRule("OTHER", R"pb(object_ids: "N2")pb", "");
  Call("c-1", 61, "+33142680000");
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  EXPECT_EQ(preps[0].lines_size(), 0);
  EXPECT_THAT(Reasons(preps[0]),
              ElementsAre("ANOMALY_KIND_USAGE_NOT_COVERED: usage of N1 in "
                          "2026-03, USAGE_KIND_VOICE zone \"France\" is "
                          "covered by no usage rule"));
}

// ACC1 (N1's account) is a member of head H1: N1's usage is on H1's
// preparation at N1's own plan and discount (net 0.06 for one call).
TEST_F(GatherUsageTest, AGroupedMembersUsageIsOnTheHeadsPreparation) {
  Object("H1", "HQ");
  Given(R"pb(structure { customer_id: "C1" set_account_group {
               account_id: "H1" role: GROUP_ROLE_HEAD } })pb");
  Given(R"pb(structure { customer_id: "C1" set_account_group {
               account_id: "ACC1" role: GROUP_ROLE_MEMBER head_account_id: "H1" } })pb");
  UsageRule("TEL", "", "");
  Call("c-1", 61, "+33142680000");
  RunParams grouped = March();
  grouped.scope = v1::ACCOUNT_SCOPE_GROUPED;
  const auto preps = Gather(grouped);
  ASSERT_EQ(preps.size(), 1u);
  EXPECT_EQ(preps[0].preparation_id(),
            "C1/2026-03-01..2026-03-31/C1.H1/HQ/*/INV");
  EXPECT_EQ(preps[0].invoiced_party().account_id(), "H1");
  ASSERT_EQ(preps[0].lines_size(), 1);
  EXPECT_EQ(preps[0].lines(0).object_id(), "N1");
  EXPECT_EQ(preps[0].lines(0).usage().amount_micros(), 70333);
  EXPECT_EQ(preps[0].lines(0).assignment().entity_id(), "LYON");
  EXPECT_EQ(preps[0].lines(0).net_amount_minor(), 6);  // 0.07 - 0.01
  EXPECT_THAT(Sections(preps[0]), ElementsAre("LYON 6"));
  // The ordinary run does not see it.
  EXPECT_TRUE(Gather().empty());
}

// Usage of N1 no usage rule covers, and N2's call that no plan can rate.
TEST_F(GatherUsageTest, UsageNotCoveredAndNotRatedAreAnomalies) {
  Call("c-1", 61, "+33142680000");
  Call("c-2", 61, "+33142680002");
  const auto preps = Gather();
  ASSERT_EQ(preps.size(), 1u);
  EXPECT_EQ(preps[0].status(), v1::PREPARATION_STATUS_ANOMALY);
  EXPECT_EQ(preps[0].lines_size(), 0);
  ASSERT_EQ(preps[0].anomalies_size(), 2);
  const v1::PreparationAnomaly& uncovered = preps[0].anomalies(0);
  EXPECT_EQ(uncovered.kind(), v1::ANOMALY_KIND_USAGE_NOT_COVERED);
  EXPECT_EQ(uncovered.reason(),
            "usage of N1 in 2026-03, USAGE_KIND_VOICE zone \"France\" is "
            "covered by no usage rule");
  EXPECT_EQ(uncovered.object_id(), "N1");
  EXPECT_EQ(uncovered.month(), "2026-03");
  EXPECT_EQ(uncovered.usage_zone(), "France");
  const v1::PreparationAnomaly& unrated = preps[0].anomalies(1);
  EXPECT_EQ(unrated.kind(), v1::ANOMALY_KIND_USAGE_NOT_RATED);
  EXPECT_EQ(unrated.usage_record(), "PBX1/c-2");
  EXPECT_EQ(unrated.object_id(), "N2");
  EXPECT_THAT(unrated.reason(),
              HasSubstr("usage record PBX1/c-2 of 2026-03 is not rated: "));
}

// --- determinism ---

TEST_F(GatherTest, TheSameStateGivesIdenticalPreparations) {
  Demo("INVOICE_DELIVERY_MODE_MIXED");
  FlatRule("K1", "SPLIT", {"A-HQ", "A-LYON"});
  const auto first = Gather();
  const auto second = Gather();
  ASSERT_EQ(first.size(), second.size());
  ASSERT_FALSE(first.empty());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].SerializeAsString(), second[i].SerializeAsString());
  }
  EXPECT_EQ(first[0].run_id(), "RUN-2026-03");
  EXPECT_EQ(first[0].business_date(), "2026-03-01");
}

TEST_F(GatherTest, BadParametersAreRefused) {
  Customer("C1");
  RunParams backwards = March();
  backwards.period_end = BusinessDate(2026, 2, 1);
  EXPECT_EQ(GatherCustomer(ledger_.state(), "C1", backwards).status().code(),
            absl::StatusCode::kInvalidArgument);
  RunParams no_scope = March();
  no_scope.scope = v1::ACCOUNT_SCOPE_UNSPECIFIED;
  EXPECT_EQ(GatherCustomer(ledger_.state(), "C1", no_scope).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GatherCustomer(ledger_.state(), "NOPE", March()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace billing
