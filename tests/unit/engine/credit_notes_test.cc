// Not formatted by clang-format: the text protos are R"pb(...)pb" pieces.
// clang-format off

// Credit notes and corrections (engine/invoicing/credit_notes.h): given
// invoices issued from runs, when a cause happens and a correction is
// asked for, then the credit note (or supplementary invoice) with amounts
// a person can check by hand, and the customer's balance before and after.
//
// The customer C1: one entity HQ, one account A-HQ; contract K1, rule R1,
// flat, 200.00 a month in advance from 2026-03-01, article MAINT at 20 %;
// +3 % from 2026-04-01 (increase #1, scheduled in January).

#include "engine/invoicing/credit_notes.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "billing/v1/commands.pb.h"
#include "engine/contracts/rejections.h"
#include "engine/contracts/store.h"
#include "engine/core/rejection.h"
#include "engine/invoicing/invoices.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/unit/engine/ledger.h"
#include "tests/unit/engine/precedence.h"

namespace billing {
namespace {

using ::testing::ElementsAre;

constexpr BusinessDate kJan5(2026, 1, 5);

v1::Command Parse(const std::string& text) {
  v1::Command command;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &command))
      << text;
  return command;
}

v1::Command Cancel(const std::string& number, const std::string& reason,
                   const std::string& customer = "C1") {
  v1::Command c;
  c.mutable_invoice()->set_partition(customer);
  c.mutable_invoice()->mutable_cancel_invoice()->set_invoice_number(number);
  c.mutable_invoice()->mutable_cancel_invoice()->set_reason(reason);
  return c;
}

v1::Command Correct(const std::string& reason,
                    const std::vector<std::string>& numbers = {},
                    const std::string& customer = "C1") {
  v1::Command c;
  c.mutable_invoice()->set_partition(customer);
  auto* body = c.mutable_invoice()->mutable_correct_invoices();
  body->set_reason(reason);
  for (const auto& n : numbers) body->add_invoice_numbers(n);
  return c;
}

class CreditNotesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* text : {
             R"pb(contract { customer_id: "@reference" define_article {
                    article { article_code: "MAINT" label: "Maintenance"
                              vat_rate_bp: 2000 } } })pb",
             R"pb(invoice { partition: "@reference" set_issuer { issuer {
                    legal_name: "Télécom Services" legal_form: "SAS"
                    share_capital_minor: 10000000 capital_currency: "EUR"
                    address { lines: "12 rue de la Paix" postal_code: "69002"
                              city: "Lyon" country_code: "FR" }
                    siren: "732829320" siret: "73282932000074"
                    rcs_city: "Lyon" vat_id: "FR44732829320"
                    bank { iban: "FR7630006000011234567890189" bic: "AGRIFRPP" }
                    terms { payment_delay_days: 30 late_penalty_rate_bp: 1200 }
                  } } })pb",
             R"pb(create_customer { customer { customer_id: "C1"
                    name: "Hôtel Bellevue"
                    billing_address { lines: "1 rue" city: "Paris"
                                      country_code: "FR" }
                    invoice_delivery_mode: INVOICE_DELIVERY_MODE_PER_ENTITY
                  } })pb",
             R"pb(structure { customer_id: "C1" create_entity {
                    entity { entity_id: "HQ" name: "Head office" } } })pb",
             R"pb(structure { customer_id: "C1" create_object {
                    object { object_id: "A-HQ" kind: OBJECT_KIND_ACCOUNT }
                    entity_id: "HQ" } })pb",
             R"pb(contract { customer_id: "C1" create_contract { contract {
                    contract_ref: "K1" contract_family: "MAINT"
                    billing_family: "SERV" start_date: "2026-01-01" } } })pb",
             R"pb(contract { customer_id: "C1" create_rule { rule {
                    contract_ref: "K1" rule_id: "R1" label: "Maintenance"
                    rule_type: RULE_TYPE_FLAT object_ids: "A-HQ"
                    article_code: "MAINT" unit_price_micros: 200000000
                    periodicity: PERIODICITY_MONTHLY
                    timing: BILLING_TIMING_IN_ADVANCE
                    start_date: "2026-03-01" } } })pb",
             R"pb(contract { customer_id: "C1" schedule_increase {
                    contract_ref: "K1" rule_id: "R1" increase {
                      effective_date: "2026-04-01"
                      kind: INCREASE_KIND_CUSTOM_PERCENT percent_bp: 300
                      reason: "+3 % from April" } } })pb"}) {
      ledger_.Given(Parse(text), kJan5);
    }
  }

  // Decides and applies; the events.
  std::vector<v1::EventEnvelope> Do(const v1::Command& c, BusinessDate date) {
    auto events = ledger_.When(c, date);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) return {};
    ledger_.Apply(c, date, *events);
    return *events;
  }

  // Numbers (one assign per series, as services/invoice_issuer does) and
  // issues the drafts; the documents.
  std::vector<v1::InvoiceDocument> NumberAndIssue(
      const google::protobuf::RepeatedPtrField<v1::InvoiceDocument>& drafts,
      BusinessDate date) {
    std::map<std::string, std::vector<const v1::InvoiceDocument*>> by_series;
    for (const auto& d : drafts) by_series[d.series()].push_back(&d);
    v1::Command issue;
    issue.mutable_invoice()->set_partition("C1");
    for (const auto& [series, list] : by_series) {
      v1::Command assign;
      auto* a = assign.mutable_invoice()->mutable_assign_numbers();
      a->set_series(series);
      assign.mutable_invoice()->set_partition(SeriesPartitionKey(series));
      for (const auto* d : list) *a->add_drafts() = DraftRefOf(*d);
      auto numbered = Do(assign, date);
      if (numbered.empty()) return {};
      for (const auto& n : numbered[0].invoice().numbers_assigned().numbers()) {
        *issue.mutable_invoice()->mutable_issue_invoices()->add_numbers() = n;
      }
    }
    auto issued = Do(issue, date);
    if (issued.empty()) return {};
    const auto& docs = issued[0].invoice().invoices_issued().documents();
    return {docs.begin(), docs.end()};
  }

  // The run of the month starting `start` on its first day, validated and
  // issued that day: its one invoice.
  v1::InvoiceDocument InvoiceMonth(BusinessDate start, BusinessDate end) {
    const std::string from = FormatBusinessDate(start);
    auto gathered = Do(Parse(absl::Substitute(
        R"pb(invoicing { customer_id: "C1" gather_preparations {
               params { run_id: "RUN-$0" period_start: "$0" period_end: "$1"
                        scope: ACCOUNT_SCOPE_ORDINARY } } })pb",
        from, FormatBusinessDate(end))), start);
    if (gathered.empty()) return {};
    v1::Command validate;
    validate.mutable_invoice()->set_partition("C1");
    for (const auto& p :
         gathered[0].invoicing().preparations_gathered().preparations()) {
      validate.mutable_invoice()->mutable_validate_preparations()
          ->add_preparation_ids(p.preparation_id());
    }
    auto validated = Do(validate, start);
    if (validated.empty()) return {};
    auto docs = NumberAndIssue(
        validated[0].invoice().preparations_validated().drafts(), start);
    EXPECT_EQ(docs.size(), 1u);
    return docs.empty() ? v1::InvoiceDocument() : docs[0];
  }

  // Drafts the correction and issues its documents.
  std::vector<v1::InvoiceDocument> Corrected(const v1::Command& c,
                                             BusinessDate date) {
    auto drafted = Do(c, date);
    if (drafted.empty()) return {};
    return NumberAndIssue(
        drafted[0].invoice().corrections_drafted().drafts(), date);
  }

  v1::CurrencyBalance Balance(std::optional<BusinessDate> as_of,
                              std::optional<int64_t> offset = std::nullopt) {
    auto b = CustomerBalanceOf(ledger_.state(), "C1", as_of, offset);
    EXPECT_TRUE(b.ok()) << b.status();
    if (!b.ok() || b->currencies_size() != 1) return {};
    return b->currencies(0);
  }

  // Rule METER, consumed units on COPIER-1 at 0.050000 a unit, installed
  // at 1000 on March 1st (reading #1), read 1250 on March 31st (#2).
  void AddMeter() {
    for (const char* text : {
             R"pb(contract { customer_id: "C1" create_rule { rule {
                    contract_ref: "K1" rule_id: "METER" label: "Copies"
                    rule_type: RULE_TYPE_CONSUMED_UNITS object_ids: "COPIER-1"
                    article_code: "MAINT" unit_price_micros: 50000
                    periodicity: PERIODICITY_MONTHLY
                    start_date: "2026-03-01" } } })pb",
             R"pb(contract { customer_id: "C1" record_reading { reading {
                    contract_ref: "K1" rule_id: "METER" object_id: "COPIER-1"
                    reading_date: "2026-03-01" kind: READING_KIND_INSTALLATION
                    value_milli: 1000000 } } })pb",
             R"pb(contract { customer_id: "C1" record_reading { reading {
                    contract_ref: "K1" rule_id: "METER" object_id: "COPIER-1"
                    reading_date: "2026-03-31" kind: READING_KIND_REGULAR
                    value_milli: 1250000 } } })pb"}) {
      ledger_.Given(Parse(text), kJan5);
    }
  }

  // Cause 4's setting: number N1 (+33142680000) under A-HQ, plan PRO from
  // 2026-01-01 at `price_micros` a minute to +33 (first minute, then per
  // second, zone "France"), usage rule TEL on K1 (article MAINT, 20 %),
  // and three March calls of 120 s.
  void AddUsage(int64_t price_micros) {
    for (const std::string& text : {
             std::string(R"pb(structure { customer_id: "C1" create_object {
                    object { object_id: "N1" kind: OBJECT_KIND_PHONE_NUMBER
                             parent_id: "A-HQ" e164: "+33142680000" }
                    entity_id: "HQ" } })pb"),
             PlanVersion(price_micros),
             std::string(R"pb(usage { customer_id: "C1" assign_plan {
                    object_id: "A-HQ" plan_id: "PRO" } })pb"),
             std::string(R"pb(contract { customer_id: "C1" create_rule { rule {
                    contract_ref: "K1" rule_id: "TEL" label: "Telephony"
                    rule_type: RULE_TYPE_USAGE article_code: "MAINT"
                    start_date: "2026-03-01" } } })pb")}) {
      ledger_.Given(Parse(text), kJan5);
    }
    for (int day = 10; day <= 12; ++day) UsageCall(day);
  }
  static std::string PlanVersion(int64_t price_micros) {
    return absl::Substitute(
        R"pb(usage { customer_id: "C1" define_plan_version { version {
               plan_id: "PRO" effective_from: "2026-01-01T00:00:00+01:00"
               currency: "EUR" entries { kind: USAGE_KIND_VOICE
               destination_prefix: "+33" price_micros: $0 per_quantity: 60
               first_increment: 60 increment: 1 zone_label: "France" } } } })pb",
        price_micros);
  }
  void UsageCall(int day) {
    ledger_.Given(Parse(absl::Substitute(
        R"pb(usage { customer_id: "C1" record_usage { record {
               platform_id: "PBX1" record_id: "c$0" object: "+33142680000"
               start_time: "2026-03-$0T10:00:00+01:00" kind: USAGE_KIND_VOICE
               quantity: 120 destination: "+33612345678" } } })pb", day)),
        kJan5);
  }
  // The plan corrected to `price_micros` and March re-rated.
  void CorrectPlanAndRerate(int64_t price_micros, BusinessDate date) {
    ledger_.Given(Parse(PlanVersion(price_micros)), date);
    ledger_.Given(Parse(R"pb(usage { customer_id: "C1" rerate_usage {
        month: "2026-03" reason: "Tarif corrigé" } })pb"), date);
  }
  static int UsageLineOf(const v1::InvoiceDocument& d) {
    for (int i = 0; i < d.lines_size(); ++i) {
      if (d.lines(i).source() == v1::LINE_SOURCE_USAGE) return i;
    }
    return -1;
  }

  testing::Ledger ledger_;
};

// Cause 6. Given March invoiced, 200.00 net, VAT 40.00, 240.00; when it is
// cancelled on March 10, then credit note AV-2026-000001 of its one line,
// 1.000 x 200.000000 = 200.00, VAT 40.00, 240.00, naming FA-2026-000001
// line 1; the balance goes from 240.00 to 0.00.
TEST_F(CreditNotesTest, CancelledInvoiceGetsACreditNoteOfEveryLine) {
  const auto march = InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  ASSERT_EQ(march.number(), "FA-2026-000001");
  EXPECT_EQ(march.gross_amount_minor(), 24000);
  EXPECT_EQ(Balance(BusinessDate(2026, 3, 10)).balance_gross_minor(), 24000);

  auto docs = Corrected(Cancel("FA-2026-000001", "Commande annulée"),
                        BusinessDate(2026, 3, 10));
  ASSERT_EQ(docs.size(), 1u);
  const v1::InvoiceDocument& av = docs[0];
  EXPECT_EQ(av.number(), "AV-2026-000001");
  EXPECT_EQ(av.type(), v1::DOCUMENT_TYPE_CREDIT_NOTE);
  EXPECT_EQ(av.series(), "AV-2026-[INVOICE.SEQ]");
  EXPECT_EQ(av.correction_cause(), v1::CORRECTION_CAUSE_INVOICE_CANCELLED);
  EXPECT_EQ(av.correction_reason(), "Commande annulée");
  EXPECT_THAT(av.corrected_invoice_numbers(), ElementsAre("FA-2026-000001"));
  EXPECT_EQ(av.issue_date(), "2026-03-10");
  ASSERT_EQ(av.lines_size(), 1);
  EXPECT_EQ(av.lines(0).corrects().invoice_number(), "FA-2026-000001");
  EXPECT_EQ(av.lines(0).corrects().line_index(), 0);
  EXPECT_EQ(av.lines(0).quantity_milli(), 1000);
  EXPECT_EQ(av.lines(0).unit_price_micros(), 200000000);
  EXPECT_EQ(av.lines(0).net_amount_minor(), 20000);
  EXPECT_EQ(av.lines(0).vat_rate_bp(), 2000);
  EXPECT_EQ(av.net_amount_minor(), 20000);
  EXPECT_EQ(av.vat_amount_minor(), 4000);
  EXPECT_EQ(av.gross_amount_minor(), 24000);
  EXPECT_EQ(av.holder_id(), "C1");
  EXPECT_EQ(av.invoiced().name(), "Hôtel Bellevue");

  // The invoice stays as issued; the rule is not billed again.
  auto invoice = FindDocument(ledger_.state(), "FA-2026-000001");
  ASSERT_TRUE(invoice.ok() && invoice->has_value());
  EXPECT_EQ((*invoice)->gross_amount_minor(), 24000);
  auto rule = LoadRule(ledger_.state(), "C1", "K1", "R1");
  EXPECT_EQ((*rule)->next_theoretical_date(), "2026-04-01");

  const v1::CurrencyBalance after = Balance(BusinessDate(2026, 3, 10));
  EXPECT_EQ(after.invoices(), 1);
  EXPECT_EQ(after.credit_notes(), 1);
  EXPECT_EQ(after.invoiced_gross_minor(), 24000);
  EXPECT_EQ(after.credited_gross_minor(), 24000);
  EXPECT_EQ(after.balance_gross_minor(), 0);
  // As of the day before, the credit note did not exist.
  EXPECT_EQ(Balance(BusinessDate(2026, 3, 9)).balance_gross_minor(), 24000);
}

// The same cause twice never credits twice.
TEST_F(CreditNotesTest, CancellingTwiceOrCorrectingAfterCreditsNothingMore) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  Corrected(Cancel("FA-2026-000001", "Commande annulée"), BusinessDate(2026, 3, 10));
  ledger_.ExpectRejected(Cancel("FA-2026-000001", "encore"), BusinessDate(2026, 3, 11),
                         absl::StatusCode::kFailedPrecondition,
                         "invoice_number: \"FA-2026-000001\" is cancelled "
                         "already [INVOICE_ALREADY_CANCELLED]");
  ledger_.ExpectRejected(Correct("recompute"), BusinessDate(2026, 3, 11),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");
}

// A credit note drafted but not numbered yet (a crash between the steps)
// counts as credited: correcting again drafts nothing.
TEST_F(CreditNotesTest, APendingCreditNoteCountsAsCredited) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" cancel_increase {
      contract_ref: "K1" rule_id: "R1" seq: 1 reason: "contestée" } })pb"),
                BusinessDate(2026, 4, 10));
  auto drafted = Do(Correct("Hausse annulée"), BusinessDate(2026, 4, 10));
  ASSERT_EQ(drafted.size(), 1u);
  EXPECT_EQ(ListDrafts(ledger_.state(), "C1")->size(), 1u);
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 4, 10),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");
}

// Nothing changed since the invoices: recomputing finds every line as
// invoiced (the recomputation agrees with the run's).
TEST_F(CreditNotesTest, NothingChangedNothingToCorrect) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  ledger_.ExpectRejected(Correct("check"), BusinessDate(2026, 4, 2),
                         absl::StatusCode::kFailedPrecondition,
                         "customer \"C1\": every invoice line holds what is "
                         "owed (credited and supplemented included) "
                         "[NOTHING_TO_CORRECT]");
}

// Cause 1. Given March invoiced at 200.00 and April, May, June at 206.00
// (+3 % from April); when the increase is cancelled in July and the
// customer's invoices are corrected, then one credit note of three lines,
// each 1.000 x 6.000000 = 6.00 referencing FA-2026-000002, 3 and 4 (March
// untouched): 18.00 net, VAT 20 % 3.60, 21.60. The balance goes from
// 240.00 + 3 x 247.20 = 981.60 to 960.00 (4 x 240.00). Again: nothing.
TEST_F(CreditNotesTest, CancelledIncreaseCreditsEachPeriodBilledAtTheHigherPrice) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  const auto april = InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  ASSERT_EQ(april.lines_size(), 1);
  EXPECT_EQ(april.lines(0).unit_price_micros(), 206000000);
  InvoiceMonth(BusinessDate(2026, 5, 1), BusinessDate(2026, 5, 31));
  const auto june = InvoiceMonth(BusinessDate(2026, 6, 1), BusinessDate(2026, 6, 30));
  EXPECT_EQ(june.number(), "FA-2026-000004");
  EXPECT_EQ(Balance(BusinessDate(2026, 7, 2)).balance_gross_minor(), 98160);

  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" cancel_increase {
      contract_ref: "K1" rule_id: "R1" seq: 1
      reason: "Hausse contestée" } })pb"), BusinessDate(2026, 7, 2));
  auto docs = Corrected(Correct("Hausse de 3 % annulée"), BusinessDate(2026, 7, 2));
  ASSERT_EQ(docs.size(), 1u);
  const v1::InvoiceDocument& av = docs[0];
  EXPECT_EQ(av.number(), "AV-2026-000001");
  EXPECT_EQ(av.correction_cause(), v1::CORRECTION_CAUSE_RECOMPUTED);
  EXPECT_THAT(av.corrected_invoice_numbers(),
              ElementsAre("FA-2026-000002", "FA-2026-000003", "FA-2026-000004"));
  ASSERT_EQ(av.lines_size(), 3);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(av.lines(i).corrects().invoice_number(),
              absl::StrCat("FA-2026-00000", i + 2));
    EXPECT_EQ(av.lines(i).corrects().line_index(), 0);
    EXPECT_EQ(av.lines(i).quantity_milli(), 1000);
    EXPECT_EQ(av.lines(i).unit_price_micros(), 6000000);
    EXPECT_EQ(av.lines(i).net_amount_minor(), 600);
    EXPECT_EQ(av.lines(i).vat_rate_bp(), 2000);
  }
  EXPECT_EQ(av.lines(0).period_start(), "2026-04-01");
  EXPECT_EQ(av.lines(0).explanation(),
            "FA-2026-000002 line 1: holds 206.00 net, owed 200.00 net (1.000 x "
            "200.000000, the agreed price from 2026-03-01): credited 6.00");
  EXPECT_EQ(av.net_amount_minor(), 1800);
  EXPECT_EQ(av.vat_amount_minor(), 360);
  EXPECT_EQ(av.gross_amount_minor(), 2160);
  EXPECT_EQ(av.period_start(), "2026-04-01");
  EXPECT_EQ(av.period_end(), "2026-06-30");

  EXPECT_EQ(Balance(BusinessDate(2026, 7, 1)).balance_gross_minor(), 98160);
  EXPECT_EQ(Balance(BusinessDate(2026, 7, 2)).balance_gross_minor(), 96000);
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 7, 3),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");
  // Cancelling April now credits what is left of it: 200.00.
  auto rest = Corrected(Cancel("FA-2026-000002", "Avril annulé"), BusinessDate(2026, 7, 3));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].number(), "AV-2026-000002");
  EXPECT_EQ(rest[0].lines(0).net_amount_minor(), 20000);
  EXPECT_EQ(rest[0].lines(0).quantity_milli(), 1000);
  EXPECT_EQ(rest[0].lines(0).unit_price_micros(), 200000000);
  EXPECT_EQ(rest[0].gross_amount_minor(), 24000);
}

// Cause 5. Given March (200.00) and April (206.00, +3 %) invoiced in
// advance; when the rule is ended on 2026-04-10, then April is owed 10 of
// its 30 days, 1.000 x 206.000000 x 10 / 30 = 68.666... = 68.67 (rounded
// once, the pre-billing's proration), so the credit note credits 206.00 -
// 68.67 = 137.33 as 1 x 137.33, VAT 20 % of 137.33 = 27.466 = 27.47,
// gross 164.80; March is untouched. The balance: 240.00 + 247.20 =
// 487.20, then 322.40.
TEST_F(CreditNotesTest, RuleEndedEarlyCreditsTheUnusedDaysProrated) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  EXPECT_EQ(Balance(BusinessDate(2026, 4, 11)).balance_gross_minor(), 48720);
  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" end_rule {
      contract_ref: "K1" rule_id: "R1" end_date: "2026-04-10"
      reason: "Ligne résiliée" } })pb"), BusinessDate(2026, 4, 11));
  auto docs = Corrected(Correct("Résiliation au 10 avril"), BusinessDate(2026, 4, 11));
  ASSERT_EQ(docs.size(), 1u);
  const v1::InvoiceDocument& av = docs[0];
  EXPECT_THAT(av.corrected_invoice_numbers(), ElementsAre("FA-2026-000002"));
  ASSERT_EQ(av.lines_size(), 1);
  EXPECT_EQ(av.lines(0).quantity_milli(), 1000);
  EXPECT_EQ(av.lines(0).unit_price_micros(), 137330000);
  EXPECT_EQ(av.lines(0).net_amount_minor(), 13733);
  EXPECT_EQ(av.lines(0).explanation(),
            "FA-2026-000002 line 1: holds 206.00 net, owed 68.67 net (1.000 x "
            "206.000000 x 10 / 30 days (2026-04-01 to 2026-04-10), increase "
            "#1 of 2026-04-01): credited 137.33");
  EXPECT_EQ(av.vat_amount_minor(), 2747);
  EXPECT_EQ(av.gross_amount_minor(), 16480);
  EXPECT_EQ(Balance(BusinessDate(2026, 4, 11)).balance_gross_minor(), 32240);
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 4, 12),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");
}

// A period the new end removes entirely is owed nothing: ended on March
// 20, April (206.00) is credited whole and March's 11 unused days:
// 200.00 - 200.00 x 20 / 31 (129.03) = 70.97.
TEST_F(CreditNotesTest, RuleEndedBeforeAPeriodCreditsItWhole) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" end_rule {
      contract_ref: "K1" rule_id: "R1" end_date: "2026-03-20"
      reason: "Ligne résiliée" } })pb"), BusinessDate(2026, 4, 11));
  auto docs = Corrected(Correct("Résiliation au 20 mars"), BusinessDate(2026, 4, 11));
  ASSERT_EQ(docs.size(), 1u);
  ASSERT_EQ(docs[0].lines_size(), 2);
  EXPECT_EQ(docs[0].lines(0).net_amount_minor(), 7097);
  EXPECT_EQ(docs[0].lines(1).net_amount_minor(), 20600);
  EXPECT_EQ(docs[0].lines(1).unit_price_micros(), 206000000);
  EXPECT_EQ(docs[0].net_amount_minor(), 27697);
}

TEST_F(CreditNotesTest, EndRuleRefusalsNameTheField) {
  ledger_.ExpectRejected(Parse(R"pb(contract { customer_id: "C1" end_rule {
      contract_ref: "K1" rule_id: "R1" end_date: "2026-02-28" reason: "x" } })pb"),
                         BusinessDate(2026, 4, 11), absl::StatusCode::kFailedPrecondition,
                         "end_date: 2026-02-28 is before the start 2026-03-01 "
                         "of rule K1/R1");
  ledger_.ExpectRejected(Parse(R"pb(contract { customer_id: "C1" end_rule {
      contract_ref: "K1" rule_id: "R1" end_date: "2026-04-31" reason: "x" } })pb"),
                         BusinessDate(2026, 4, 11), absl::StatusCode::kInvalidArgument,
                         "END_DATE_INVALID");
  ledger_.ExpectRejected(Parse(R"pb(contract { customer_id: "C1" end_rule {
      contract_ref: "K1" rule_id: "R1" end_date: "2026-04-30" reason: "" } })pb"),
                         BusinessDate(2026, 4, 11), absl::StatusCode::kInvalidArgument,
                         "REASON_INVALID");
  ledger_.ExpectRejected(Parse(R"pb(contract { customer_id: "C1" end_rule {
      contract_ref: "K1" rule_id: "R9" end_date: "2026-04-30" reason: "x" } })pb"),
                         BusinessDate(2026, 4, 11), absl::StatusCode::kNotFound,
                         "RULE_NOT_FOUND");
}

// Cause 3. Given a consumed-units rule METER on COPIER-1 at 0.050000 a
// unit (in arrears), installed at 1000 on March 1st and read 1250 on
// March 31st: April's invoice FA-2026-000002 bills 250 units = 12.50
// (beside R1's April, 206.00). When reading #2 is corrected to 1200, then a
// credit note of 50.000 x 0.050000 = 2.50, VAT 0.50, 3.00. When it is
// corrected again, to 1300: the line holds 10.00 and is owed 300 units =
// 15.00, so a supplementary invoice FA-2026-000003 of 1 x 5.00, VAT 1.00,
// 6.00. The balance: 240.00 + 262.20 = 502.20, then 499.20, then 505.20.
TEST_F(CreditNotesTest, CorrectedReadingCreditsOrSupplements) {
  AddMeter();
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  const auto april = InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  int meter = -1;
  for (int i = 0; i < april.lines_size(); ++i) {
    if (april.lines(i).rule_id() == "METER") meter = i;
  }
  ASSERT_GE(meter, 0) << april.DebugString();
  EXPECT_EQ(april.lines(meter).quantity_milli(), 250000);
  EXPECT_EQ(april.lines(meter).net_amount_minor(), 1250);
  EXPECT_EQ(april.gross_amount_minor(), 26220);  // (206.00 + 12.50) x 1.2
  EXPECT_EQ(Balance(BusinessDate(2026, 4, 5)).balance_gross_minor(), 50220);

  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" correct_reading {
      object_id: "COPIER-1" seq: 2 value_milli: 1200000
      reason: "Relevé mal saisi" } })pb"), BusinessDate(2026, 4, 5));
  auto credit = Corrected(Correct("Relevé corrigé"), BusinessDate(2026, 4, 5));
  ASSERT_EQ(credit.size(), 1u);
  EXPECT_EQ(credit[0].type(), v1::DOCUMENT_TYPE_CREDIT_NOTE);
  ASSERT_EQ(credit[0].lines_size(), 1);
  EXPECT_EQ(credit[0].lines(0).corrects().line_index(), meter);
  EXPECT_EQ(credit[0].lines(0).quantity_milli(), 50000);
  EXPECT_EQ(credit[0].lines(0).unit_price_micros(), 50000);
  EXPECT_EQ(credit[0].net_amount_minor(), 250);
  EXPECT_EQ(credit[0].vat_amount_minor(), 50);
  EXPECT_EQ(credit[0].gross_amount_minor(), 300);
  EXPECT_EQ(Balance(BusinessDate(2026, 4, 5)).balance_gross_minor(), 49920);

  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" correct_reading {
      object_id: "COPIER-1" seq: 2 value_milli: 1300000
      reason: "Relevé vérifié sur place" } })pb"), BusinessDate(2026, 4, 6));
  auto more = Corrected(Correct("Relevé vérifié"), BusinessDate(2026, 4, 6));
  ASSERT_EQ(more.size(), 1u);
  const v1::InvoiceDocument& fa = more[0];
  EXPECT_EQ(fa.type(), v1::DOCUMENT_TYPE_INVOICE);
  EXPECT_EQ(fa.number(), "FA-2026-000003");
  EXPECT_THAT(fa.corrected_invoice_numbers(), ElementsAre("FA-2026-000002"));
  ASSERT_EQ(fa.lines_size(), 1);
  EXPECT_EQ(fa.lines(0).quantity_milli(), 1000);
  EXPECT_EQ(fa.lines(0).unit_price_micros(), 5000000);
  EXPECT_EQ(fa.net_amount_minor(), 500);
  EXPECT_EQ(fa.vat_amount_minor(), 100);
  EXPECT_EQ(fa.gross_amount_minor(), 600);
  EXPECT_EQ(Balance(BusinessDate(2026, 4, 6)).balance_gross_minor(), 50520);
  // A supplementary invoice bills no rule again.
  auto rule = LoadRule(ledger_.state(), "C1", "K1", "METER");
  EXPECT_EQ((*rule)->last_invoice_ref(), "FA-2026-000002");
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 4, 7),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");
  // A reading below the previous one is refused, named.
  ledger_.ExpectRejected(Parse(R"pb(contract { customer_id: "C1" correct_reading {
      object_id: "COPIER-1" seq: 2 value_milli: 900000 reason: "x" } })pb"),
                         BusinessDate(2026, 4, 7), absl::StatusCode::kFailedPrecondition,
                         "value_milli: 900.000 is below 1000.000, reading #1 of "
                         "2026-03-01 [READING_VALUE_OUT_OF_ORDER]");
}

// Cause 2. Given April invoiced to HQ (206.00, no discount; the customer is
// invoiced per entity); when A-HQ is reassigned to LYON at 10 % on April
// 20th (for the whole of April), then a credit note on HQ of the line as
// invoiced, 1.000 x 206.000000 = 206.00 (247.20 with VAT), and a
// supplementary invoice on LYON of 1.000 x 206.000000 less 10 % = 20.60,
// net 185.40, VAT 37.08, 222.48. March (HQ then) is untouched. The
// balance: 487.20, then 487.20 - 247.20 + 222.48 = 462.48. A discount
// change alone (LYON at 15 % from April) then credits 1 x 10.30: 206.00 x
// 5 %.
TEST_F(CreditNotesTest, ReassignmentAfterInvoicingMovesTheLine) {
  ledger_.Given(Parse(R"pb(structure { customer_id: "C1" create_entity {
      entity { entity_id: "LYON" name: "Lyon" } } })pb"), kJan5);
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  ledger_.Given(Parse(R"pb(structure { customer_id: "C1" reassign_objects {
      selection { ids { object_ids: "A-HQ" } } entity_id: "LYON"
      discount_percent: "10" } })pb"), BusinessDate(2026, 4, 20));
  auto docs = Corrected(Correct("Réaffectation à Lyon"), BusinessDate(2026, 4, 21));
  ASSERT_EQ(docs.size(), 2u);
  const v1::InvoiceDocument& av =
      docs[0].type() == v1::DOCUMENT_TYPE_CREDIT_NOTE ? docs[0] : docs[1];
  const v1::InvoiceDocument& fa =
      docs[0].type() == v1::DOCUMENT_TYPE_CREDIT_NOTE ? docs[1] : docs[0];
  EXPECT_EQ(av.number(), "AV-2026-000001");
  EXPECT_EQ(av.entity_id(), "HQ");
  ASSERT_EQ(av.lines_size(), 1);
  EXPECT_EQ(av.lines(0).entity_id(), "HQ");
  EXPECT_EQ(av.lines(0).corrects().invoice_number(), "FA-2026-000002");
  EXPECT_EQ(av.lines(0).unit_price_micros(), 206000000);
  EXPECT_EQ(av.gross_amount_minor(), 24720);
  EXPECT_EQ(fa.number(), "FA-2026-000003");
  EXPECT_EQ(fa.entity_id(), "LYON");
  ASSERT_EQ(fa.lines_size(), 1);
  EXPECT_EQ(fa.lines(0).entity_id(), "LYON");
  EXPECT_EQ(fa.lines(0).corrects().invoice_number(), "FA-2026-000002");
  EXPECT_EQ(fa.lines(0).quantity_milli(), 1000);
  EXPECT_EQ(fa.lines(0).unit_price_micros(), 206000000);
  EXPECT_EQ(fa.lines(0).discount_hundredths(), 1000);
  EXPECT_EQ(fa.lines(0).discount_minor(), 2060);
  EXPECT_EQ(fa.net_amount_minor(), 18540);
  EXPECT_EQ(fa.vat_amount_minor(), 3708);
  EXPECT_EQ(fa.gross_amount_minor(), 22248);
  ASSERT_EQ(fa.sections_size(), 1);
  EXPECT_EQ(fa.sections(0).entity_name(), "Lyon");
  EXPECT_EQ(Balance(BusinessDate(2026, 4, 20)).balance_gross_minor(), 48720);
  EXPECT_EQ(Balance(BusinessDate(2026, 4, 21)).balance_gross_minor(), 46248);
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 4, 22),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");

  ledger_.Given(Parse(R"pb(structure { customer_id: "C1" reassign_objects {
      selection { ids { object_ids: "A-HQ" } } entity_id: "LYON"
      discount_percent: "15" } })pb"), BusinessDate(2026, 4, 25));
  auto discount = Corrected(Correct("Remise 15 %"), BusinessDate(2026, 4, 25));
  ASSERT_EQ(discount.size(), 1u);
  EXPECT_EQ(discount[0].type(), v1::DOCUMENT_TYPE_CREDIT_NOTE);
  EXPECT_EQ(discount[0].entity_id(), "LYON");
  ASSERT_EQ(discount[0].lines_size(), 1);
  EXPECT_EQ(discount[0].lines(0).quantity_milli(), 1000);
  EXPECT_EQ(discount[0].lines(0).net_amount_minor(), 1030);
  EXPECT_EQ(discount[0].lines(0).unit_price_micros(), 10300000);
  EXPECT_EQ(discount[0].lines(0).discount_minor(), 0);
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 4, 26),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");
}

// The balance as of a log offset: before the credit note's record, the
// invoice alone.
TEST_F(CreditNotesTest, BalanceAsOfALogOffset) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  const int64_t before = ledger_.next_offset() - 1;
  Corrected(Cancel("FA-2026-000001", "Commande annulée"), BusinessDate(2026, 3, 10));
  EXPECT_EQ(Balance(std::nullopt, before).balance_gross_minor(), 24000);
  EXPECT_EQ(Balance(std::nullopt, before).credit_notes(), 0);
  EXPECT_EQ(Balance(std::nullopt, ledger_.next_offset()).balance_gross_minor(), 0);
  auto none = CustomerBalanceOf(ledger_.state(), "C1", std::nullopt, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->currencies_size(), 0);
}

// Refusals name the field and the reason, in cancel_invoice::kOrder, and
// change nothing.
TEST_F(CreditNotesTest, RefusalsNameTheFieldAndChangeNothing) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  const BusinessDate d(2026, 3, 10);
  ledger_.ExpectRejected(Cancel("FA-1", "x", "C 1"), d,
                         absl::StatusCode::kInvalidArgument,
                         "CUSTOMER_ID_INVALID");
  ledger_.ExpectRejected(Cancel("", "x"), d, absl::StatusCode::kInvalidArgument,
                         "invoice_number: is not a document number");
  ledger_.ExpectRejected(Cancel("FA-2026-000001", ""), d,
                         absl::StatusCode::kInvalidArgument,
                         "reason: ");
  ledger_.ExpectRejected(Cancel("FA-2026-000001", "x\x01"), d,
                         absl::StatusCode::kInvalidArgument,
                         "CORRECTION_REASON_INVALID");
  ledger_.ExpectRejected(Cancel("FA-2026-999999", "x"), d,
                         absl::StatusCode::kNotFound,
                         "invoice_number: customer \"C1\" has no document "
                         "\"FA-2026-999999\" [INVOICE_NOT_FOUND]");
  Corrected(Cancel("FA-2026-000001", "Commande annulée"), d);
  ledger_.ExpectRejected(Cancel("AV-2026-000001", "x"), d,
                         absl::StatusCode::kFailedPrecondition,
                         "invoice_number: \"AV-2026-000001\" is a credit note, "
                         "not an invoice that can be corrected (it corrects "
                         "FA-2026-000001) [NOT_AN_INVOICE]");
  ledger_.ExpectRejected(Correct("x", {"FA-2026-000001", "FA-2026-000001"}), d,
                         absl::StatusCode::kInvalidArgument,
                         "invoice_numbers[1]: given twice [INVOICE_NUMBER_INVALID]");
  ledger_.ExpectRejected(Correct("x", {}, "C9"), d,
                         absl::StatusCode::kNotFound, "CUSTOMER_NOT_FOUND");
  ledger_.ExpectRejected(Correct("x", {"AV-2026-000001"}), d,
                         absl::StatusCode::kFailedPrecondition,
                         "invoice_numbers[0]: \"AV-2026-000001\" is a credit note");
}

// Precedence: each command broken every way, fixed one way at a time, is
// refused in its kOrder, then accepted.
TEST_F(CreditNotesTest, CancelInvoiceRefusalsComeInOrder) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  testing::ExpectPrecedence(
      ledger_, Cancel("", "", "C 1"), cancel_invoice::kOrder,
      BusinessDate(2026, 3, 10),
      {{"CUSTOMER_ID_INVALID",
        [](v1::Command& c) { c.mutable_invoice()->set_partition("C1"); }},
       {"INVOICE_NUMBER_INVALID",
        [](v1::Command& c) {
          c.mutable_invoice()->mutable_cancel_invoice()->set_invoice_number(
              "FA-2026-000009");
        }},
       {"CORRECTION_REASON_INVALID",
        [](v1::Command& c) {
          c.mutable_invoice()->mutable_cancel_invoice()->set_reason("Annulée");
        }},
       {"INVOICE_NOT_FOUND", [](v1::Command& c) {
          c.mutable_invoice()->mutable_cancel_invoice()->set_invoice_number(
              "FA-2026-000001");
        }}});
}

TEST_F(CreditNotesTest, CorrectInvoicesRefusalsComeInOrder) {
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  auto numbers = [](v1::Command& c, const char* n) {
    c.mutable_invoice()->mutable_correct_invoices()->set_invoice_numbers(0, n);
  };
  testing::ExpectPrecedence(
      ledger_, Correct("", {""}, "C 1"), correct_invoices::kOrder,
      BusinessDate(2026, 3, 10),
      {{"CUSTOMER_ID_INVALID",
        [](v1::Command& c) { c.mutable_invoice()->set_partition("C9"); }},
       {"INVOICE_NUMBER_INVALID",
        [numbers](v1::Command& c) { numbers(c, "FA-2026-000009"); }},
       {"CORRECTION_REASON_INVALID",
        [](v1::Command& c) {
          c.mutable_invoice()->mutable_correct_invoices()->set_reason("x");
        }},
       {"CUSTOMER_NOT_FOUND",
        [](v1::Command& c) { c.mutable_invoice()->set_partition("C1"); }},
       {"INVOICE_NOT_FOUND",
        [numbers](v1::Command& c) { numbers(c, "FA-2026-000001"); }},
       {"NOTHING_TO_CORRECT", [](v1::Command&) {}}},
      /*accepted_at_end=*/false);
}

TEST_F(CreditNotesTest, EndRuleRefusalsComeInOrder) {
  auto end = [](v1::Command& c) {
    return c.mutable_contract()->mutable_end_rule();
  };
  v1::Command broken = Parse(R"pb(contract { customer_id: "C 1" end_rule {
      contract_ref: "" rule_id: "" end_date: "2026-02-30" reason: "" } })pb");
  testing::ExpectPrecedence(
      ledger_, broken, end_rule::kOrder, BusinessDate(2026, 4, 11),
      {{"CUSTOMER_ID_INVALID",
        [](v1::Command& c) { c.mutable_contract()->set_customer_id("C9"); }},
       {"CONTRACT_REF_INVALID",
        [end](v1::Command& c) { end(c)->set_contract_ref("K9"); }},
       {"RULE_ID_INVALID", [end](v1::Command& c) { end(c)->set_rule_id("R9"); }},
       {"END_DATE_INVALID",
        [end](v1::Command& c) { end(c)->set_end_date("2026-02-01"); }},
       {"REASON_INVALID", [end](v1::Command& c) { end(c)->set_reason("x"); }},
       {"CUSTOMER_NOT_FOUND",
        [](v1::Command& c) { c.mutable_contract()->set_customer_id("C1"); }},
       {"CONTRACT_NOT_FOUND",
        [end](v1::Command& c) { end(c)->set_contract_ref("K1"); }},
       {"RULE_NOT_FOUND", [end](v1::Command& c) { end(c)->set_rule_id("R1"); }},
       {"END_NOT_EARLIER",
        [end](v1::Command& c) { end(c)->set_end_date("2026-04-10"); }}});
}

TEST_F(CreditNotesTest, CorrectReadingRefusalsComeInOrder) {
  AddMeter();
  auto fix = [](v1::Command& c) {
    return c.mutable_contract()->mutable_correct_reading();
  };
  v1::Command broken = Parse(R"pb(contract { customer_id: "C 1"
      correct_reading { object_id: "" seq: 0 value_milli: -1 reason: "" } })pb");
  testing::ExpectPrecedence(
      ledger_, broken, correct_reading::kOrder, BusinessDate(2026, 4, 11),
      {{"CUSTOMER_ID_INVALID",
        [](v1::Command& c) { c.mutable_contract()->set_customer_id("C9"); }},
       {"OBJECT_ID_INVALID",
        [fix](v1::Command& c) { fix(c)->set_object_id("COPIER-9"); }},
       {"READING_SEQ_INVALID", [fix](v1::Command& c) { fix(c)->set_seq(1); }},
       {"READING_VALUE_INVALID",
        [fix](v1::Command& c) { fix(c)->set_value_milli(900000); }},
       {"REASON_INVALID", [fix](v1::Command& c) { fix(c)->set_reason("x"); }},
       {"CUSTOMER_NOT_FOUND",
        [](v1::Command& c) { c.mutable_contract()->set_customer_id("C1"); }},
       {"READING_NOT_FOUND",
        [fix](v1::Command& c) { fix(c)->set_object_id("COPIER-1"); }},
       {"READING_NOT_REGULAR", [fix](v1::Command& c) { fix(c)->set_seq(2); }},
       {"READING_VALUE_OUT_OF_ORDER",
        [fix](v1::Command& c) { fix(c)->set_value_milli(1200000); }}});
}

TEST(CreditNoteRejections, OrdersAreListed) {
  EXPECT_LT(RejectionRank(cancel_invoice::kOrder, "INVOICE_NUMBER_INVALID"),
            RejectionRank(cancel_invoice::kOrder, "INVOICE_NOT_FOUND"));
  EXPECT_LT(RejectionRank(correct_invoices::kOrder, "CORRECTION_REASON_INVALID"),
            RejectionRank(correct_invoices::kOrder, "CUSTOMER_NOT_FOUND"));
}

// Cause 4. Given March invoiced with R1 (200.00) and the usage of three
// 120 s calls at 0.10 a minute (3 x 0.200000 = 0.60); when the plan's
// version is corrected to 0.08 a minute, March re-rated (3 x 0.160000 =
// 0.48) and the invoices corrected, then a credit note of the usage line
// alone, 1.000 x 0.120000 = 0.12, VAT 20 % 0.024 -> 0.02, 0.14; R1 is
// untouched. The same correction again: NOTHING_TO_CORRECT.
TEST_F(CreditNotesTest, ReratedUsageCreditsTheDifferenceOfItsLine) {
  AddUsage(100000);
  const auto march = InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  const int usage = UsageLineOf(march);
  ASSERT_EQ(usage, 1);  // after R1's line
  EXPECT_EQ(march.lines(usage).net_amount_minor(), 60);
  EXPECT_EQ(march.lines(usage).usage().amount_micros(), 600000);
  EXPECT_EQ(march.net_amount_minor(), 20060);

  CorrectPlanAndRerate(80000, BusinessDate(2026, 4, 2));
  auto docs = Corrected(Correct("Tarif voix corrigé"), BusinessDate(2026, 4, 2));
  ASSERT_EQ(docs.size(), 1u);
  const v1::InvoiceDocument& av = docs[0];
  EXPECT_EQ(av.number(), "AV-2026-000001");
  EXPECT_EQ(av.type(), v1::DOCUMENT_TYPE_CREDIT_NOTE);
  EXPECT_THAT(av.corrected_invoice_numbers(), ElementsAre("FA-2026-000001"));
  ASSERT_EQ(av.lines_size(), 1);
  EXPECT_EQ(av.lines(0).corrects().line_index(), usage);
  EXPECT_EQ(av.lines(0).quantity_milli(), 1000);
  EXPECT_EQ(av.lines(0).unit_price_micros(), 120000);
  EXPECT_EQ(av.lines(0).net_amount_minor(), 12);
  EXPECT_EQ(av.lines(0).explanation(),
            absl::StrCat("FA-2026-000001 line ", usage + 1,
                         ": holds 0.60 net, owed 0.48 net (3 record(s) rated "
                         "0.600000, re-rated since the invoice by -0.120000: "
                         "0.480000): credited 0.12"));
  EXPECT_EQ(av.net_amount_minor(), 12);
  EXPECT_EQ(av.vat_amount_minor(), 2);
  EXPECT_EQ(av.gross_amount_minor(), 14);
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 4, 3),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");
  // Re-rating again changes nothing, so there is still nothing to correct.
  ledger_.Given(Parse(R"pb(usage { customer_id: "C1" rerate_usage {
      month: "2026-03" reason: "encore" } })pb"), BusinessDate(2026, 4, 3));
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 4, 3),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");
}

// A rise: corrected to 0.15 a minute, each call 0.300000, 0.90 in all:
// a supplementary invoice FA-2026-000002 of 1.000 x 0.300000 = 0.30, VAT
// 0.06, 0.36.
TEST_F(CreditNotesTest, RerateUpwardsGivesASupplementaryInvoice) {
  AddUsage(100000);
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  CorrectPlanAndRerate(150000, BusinessDate(2026, 4, 2));
  auto docs = Corrected(Correct("Tarif voix corrigé"), BusinessDate(2026, 4, 2));
  ASSERT_EQ(docs.size(), 1u);
  const v1::InvoiceDocument& fa = docs[0];
  EXPECT_EQ(fa.type(), v1::DOCUMENT_TYPE_INVOICE);
  EXPECT_EQ(fa.number(), "FA-2026-000002");
  EXPECT_THAT(fa.corrected_invoice_numbers(), ElementsAre("FA-2026-000001"));
  ASSERT_EQ(fa.lines_size(), 1);
  EXPECT_EQ(fa.lines(0).quantity_milli(), 1000);
  EXPECT_EQ(fa.lines(0).unit_price_micros(), 300000);
  EXPECT_EQ(fa.net_amount_minor(), 30);
  EXPECT_EQ(fa.vat_amount_minor(), 6);
  EXPECT_EQ(fa.gross_amount_minor(), 36);
}

// A call of March arriving after the invoice and the re-rating is billed
// as late usage at its own rating (0.16) by April's run, and the
// correction still credits the three invoiced calls' 0.12 only: in all
// 0.60 - 0.12 + 0.16 = 0.64 = 4 x 0.16.
TEST_F(CreditNotesTest, LateUsageAfterARerateIsNotCreditedTwice) {
  AddUsage(100000);
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  CorrectPlanAndRerate(80000, BusinessDate(2026, 4, 1));
  UsageCall(13);
  const auto april = InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  const int late = UsageLineOf(april);
  ASSERT_GE(late, 0);
  EXPECT_TRUE(april.lines(late).own_period());
  EXPECT_EQ(april.lines(late).usage().records(), 1);
  EXPECT_EQ(april.lines(late).usage().amount_micros(), 160000);
  EXPECT_EQ(april.lines(late).net_amount_minor(), 16);
  auto docs = Corrected(Correct("Tarif voix corrigé"), BusinessDate(2026, 4, 2));
  ASSERT_EQ(docs.size(), 1u);
  ASSERT_EQ(docs[0].lines_size(), 1);
  EXPECT_EQ(docs[0].lines(0).corrects().invoice_number(), "FA-2026-000001");
  EXPECT_EQ(docs[0].lines(0).net_amount_minor(), 12);
}

// Work units (second task). Rule WORK, unit of work at 50.00 a unit,
// monthly in arrears from 2026-03-01: 3 units dated in March are on
// April's invoice (FA-2026-000002, 3.000 x 50.000000 = 150.00, beside R1's
// April 206.00). 2 more units dated 2026-03-20 recorded after it are owed
// there: correcting issues a supplementary invoice FA-2026-000003 of
// 2.000 x 50.000000 = 100.00 (the difference of units at the line's
// price), VAT 20.00, 120.00. Again: NOTHING_TO_CORRECT.
TEST_F(CreditNotesTest, WorkUnitsRecordedAfterTheInvoiceAreSupplemented) {
  for (const char* text : {
           R"pb(contract { customer_id: "C1" create_rule { rule {
                  contract_ref: "K1" rule_id: "WORK" label: "Payslips"
                  rule_type: RULE_TYPE_UNIT_OF_WORK object_ids: "A-HQ"
                  article_code: "MAINT" unit_price_micros: 50000000
                  periodicity: PERIODICITY_MONTHLY
                  timing: BILLING_TIMING_IN_ARREARS
                  start_date: "2026-03-01" } } })pb",
           R"pb(contract { customer_id: "C1" record_work_units { units {
                  contract_ref: "K1" rule_id: "WORK" work_date: "2026-03-10"
                  quantity_milli: 3000 } } })pb"}) {
    ledger_.Given(Parse(text), kJan5);
  }
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  const auto april = InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  ASSERT_EQ(april.number(), "FA-2026-000002");
  int work = -1;
  for (int i = 0; i < april.lines_size(); ++i) {
    if (april.lines(i).rule_id() == "WORK") work = i;
  }
  ASSERT_GE(work, 0);
  EXPECT_EQ(april.lines(work).quantity_milli(), 3000);
  EXPECT_EQ(april.lines(work).net_amount_minor(), 15000);
  ledger_.ExpectRejected(Correct("check"), BusinessDate(2026, 4, 2),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");

  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" record_work_units {
      units { contract_ref: "K1" rule_id: "WORK" work_date: "2026-03-20"
              quantity_milli: 2000 } } })pb"), BusinessDate(2026, 4, 5));
  auto docs = Corrected(Correct("Bulletins oubliés"), BusinessDate(2026, 4, 5));
  ASSERT_EQ(docs.size(), 1u);
  const v1::InvoiceDocument& fa = docs[0];
  EXPECT_EQ(fa.type(), v1::DOCUMENT_TYPE_INVOICE);
  EXPECT_EQ(fa.number(), "FA-2026-000003");
  EXPECT_THAT(fa.corrected_invoice_numbers(), ElementsAre("FA-2026-000002"));
  ASSERT_EQ(fa.lines_size(), 1);
  EXPECT_EQ(fa.lines(0).corrects().line_index(), work);
  EXPECT_EQ(fa.lines(0).quantity_milli(), 2000);
  EXPECT_EQ(fa.lines(0).unit_price_micros(), 50000000);
  EXPECT_EQ(fa.lines(0).explanation(),
            absl::StrCat("FA-2026-000002 line ", work + 1,
                         ": holds 150.00 net, owed 250.00 net (2 entries, "
                         "5.000 units dated 2026-03-01 to 2026-03-31 x "
                         "50.000000, the agreed price from 2026-03-01): "
                         "supplemented 100.00"));
  EXPECT_EQ(fa.net_amount_minor(), 10000);
  EXPECT_EQ(fa.vat_amount_minor(), 2000);
  EXPECT_EQ(fa.gross_amount_minor(), 12000);
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 4, 6),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");
}

// Time spent (second task). Rule HOURS, time spent, monthly in arrears
// from 2026-03-01; P1 at 80.00 an hour. 2.5 h on 2026-03-10 are on
// April's invoice (200.00). 1.5 h more dated 2026-03-20, recorded after
// it: the period is owed 4.000 h x 80.00 = 320.00, its line billed 200.00,
// so a supplementary invoice of 1 x 120.00, VAT 24.00, 144.00. Then P1's
// rate set back to 70.00 from 2026-03-15: the period is owed 2.5 x 80.00 +
// 1.5 x 70.00 = 305.00, a credit note of 15.00 + 3.00.
TEST_F(CreditNotesTest, TimeRecordedOrRepricedAfterTheInvoiceIsCorrected) {
  for (const char* text : {
           R"pb(contract { customer_id: "@reference" set_hourly_rate { rate {
                  person_id: "P1" effective_date: "2026-01-01"
                  rate_micros: 80000000 } } })pb",
           R"pb(contract { customer_id: "C1" create_rule { rule {
                  contract_ref: "K1" rule_id: "HOURS" label: "Support"
                  rule_type: RULE_TYPE_TIME_SPENT object_ids: "A-HQ"
                  article_code: "MAINT" periodicity: PERIODICITY_MONTHLY
                  timing: BILLING_TIMING_IN_ARREARS
                  start_date: "2026-03-01" } } })pb",
           R"pb(contract { customer_id: "C1" record_time { entry {
                  contract_ref: "K1" rule_id: "HOURS" person_id: "P1"
                  work_date: "2026-03-10" hours_milli: 2500 } } })pb"}) {
    ledger_.Given(Parse(text), kJan5);
  }
  InvoiceMonth(BusinessDate(2026, 3, 1), BusinessDate(2026, 3, 31));
  const auto april = InvoiceMonth(BusinessDate(2026, 4, 1), BusinessDate(2026, 4, 30));
  int hours = -1;
  for (int i = 0; i < april.lines_size(); ++i) {
    if (april.lines(i).rule_id() == "HOURS") hours = i;
  }
  ASSERT_GE(hours, 0);
  EXPECT_EQ(april.lines(hours).net_amount_minor(), 20000);
  ledger_.ExpectRejected(Correct("check"), BusinessDate(2026, 4, 2),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");

  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" record_time { entry {
      contract_ref: "K1" rule_id: "HOURS" person_id: "P1"
      work_date: "2026-03-20" hours_milli: 1500 } } })pb"), BusinessDate(2026, 4, 5));
  auto docs = Corrected(Correct("Heures oubliées"), BusinessDate(2026, 4, 5));
  ASSERT_EQ(docs.size(), 1u);
  const v1::InvoiceDocument& fa = docs[0];
  EXPECT_EQ(fa.type(), v1::DOCUMENT_TYPE_INVOICE);
  EXPECT_THAT(fa.corrected_invoice_numbers(), ElementsAre("FA-2026-000002"));
  ASSERT_EQ(fa.lines_size(), 1);
  EXPECT_EQ(fa.lines(0).corrects().line_index(), hours);
  EXPECT_EQ(fa.lines(0).explanation(),
            absl::StrCat("FA-2026-000002 line ", hours + 1,
                         ": holds 200.00 net, owed 320.00 net (the period is "
                         "owed 320.00 (4.000 h by P1 at 80.000000/h), its "
                         "lines billed 200.00): supplemented 120.00"));
  EXPECT_EQ(fa.net_amount_minor(), 12000);
  EXPECT_EQ(fa.vat_amount_minor(), 2400);
  EXPECT_EQ(fa.gross_amount_minor(), 14400);
  ledger_.ExpectRejected(Correct("again"), BusinessDate(2026, 4, 6),
                         absl::StatusCode::kFailedPrecondition,
                         "NOTHING_TO_CORRECT");

  ledger_.Given(Parse(R"pb(contract { customer_id: "@reference"
      set_hourly_rate { rate { person_id: "P1" effective_date: "2026-03-15"
                               rate_micros: 70000000 } } })pb"),
                BusinessDate(2026, 4, 7));
  auto credit = Corrected(Correct("Taux corrigé"), BusinessDate(2026, 4, 7));
  ASSERT_EQ(credit.size(), 1u);
  EXPECT_EQ(credit[0].type(), v1::DOCUMENT_TYPE_CREDIT_NOTE);
  EXPECT_EQ(credit[0].net_amount_minor(), 1500);
  EXPECT_EQ(credit[0].vat_amount_minor(), 300);
  EXPECT_EQ(credit[0].gross_amount_minor(), 1800);
}

}  // namespace
}  // namespace billing
