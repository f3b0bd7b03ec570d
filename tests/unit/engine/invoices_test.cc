// Not formatted by clang-format: the text protos are R"pb(...)pb" pieces.
// clang-format off

// Invoices (engine/invoicing/invoices.h): given a customer's preparations,
// when they are validated, numbered by their series and issued, then the
// documents, numbers and rules, with amounts a person can check by hand.

#include "engine/invoicing/invoices.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/substitute.h"
#include "billing/v1/commands.pb.h"
#include "engine/contracts/contracts.h"
#include "engine/contracts/store.h"
#include "engine/core/rejection.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/internal/invoice_decide.h"
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
constexpr BusinessDate kMar2(2026, 3, 2);

constexpr char kHq[] = "C1/2026-03-01..2026-03-31/C1/HQ/*/INV";
constexpr char kLyon[] = "C1/2026-03-01..2026-03-31/C1/LYON/*/INV";

v1::Command Parse(const std::string& text) {
  v1::Command command;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &command))
      << text;
  return command;
}

// A valid issuer: SIREN 732829320 (Luhn), its SIRET 73282932000074, VAT key
// (12 + 3 x (732829320 mod 97)) mod 97 = 44, IBAN FR76 3000 6000 0112 3456
// 7890 189 (mod 97 = 1).
std::string IssuerText(const std::string& extra = "") {
  return absl::StrCat(R"pb(invoice { partition: "@reference" set_issuer { issuer {
      legal_name: "Télécom Services" legal_form: "SAS"
      share_capital_minor: 10000000 capital_currency: "EUR"
      address { lines: "12 rue de la Paix" postal_code: "69002" city: "Lyon"
                country_code: "FR" }
      siren: "732829320" siret: "73282932000074" rcs_city: "Lyon"
      vat_id: "FR44732829320"
      bank { iban: "FR76 3000 6000 0112 3456 7890 189" bic: "AGRIFRPP" }
      terms { payment_delay_days: 30 late_penalty_rate_bp: 1200 } )pb",
                      extra, "} } }");
}

v1::Command Validate(const std::vector<std::string>& ids,
                     const std::string& customer = "C1") {
  v1::Command c;
  c.mutable_invoice()->set_partition(customer);
  for (const auto& id : ids) {
    c.mutable_invoice()->mutable_validate_preparations()->add_preparation_ids(id);
  }
  return c;
}

v1::Command Assign(const std::vector<v1::InvoiceDocument>& drafts,
                   const std::string& customer = "C1") {
  v1::Command c;
  auto* a = c.mutable_invoice()->mutable_assign_numbers();
  a->set_series(drafts.at(0).series());
  c.mutable_invoice()->set_partition(SeriesPartitionKey(a->series()));
  for (const auto& d : drafts) {
    *a->add_drafts() = DraftRefOf(d);
    a->mutable_drafts()->rbegin()->set_customer_id(customer);
  }
  return c;
}

v1::Command Issue(const std::vector<v1::NumberAssignment>& numbers,
                  const std::string& customer = "C1") {
  v1::Command c;
  c.mutable_invoice()->set_partition(customer);
  for (const auto& n : numbers) {
    *c.mutable_invoice()->mutable_issue_invoices()->add_numbers() = n;
  }
  return c;
}

// C1, one invoice per entity: HQ and LYON (10 % on its account); one rule
// per account, 100.00 a month in advance from March 1, article at 20 %.
class InvoicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* text : {
             R"pb(contract { customer_id: "@reference" define_article {
                    article { article_code: "MAINT" label: "Maintenance"
                              vat_rate_bp: 2000 } } })pb",
             R"pb(contract { customer_id: "@reference" define_article {
                    article { article_code: "HARDW" label: "Matériel"
                              vat_rate_bp: 550 } } })pb",
             R"pb(create_customer { customer { customer_id: "C1"
                    name: "Hôtel Bellevue" email: "c1@example.com"
                    siren: "303265045" vat_id: "FR40303265045"
                    billing_address { lines: "1 rue" city: "Paris"
                                      country_code: "FR" }
                    invoice_delivery_mode: INVOICE_DELIVERY_MODE_PER_ENTITY
                  } })pb",
             R"pb(structure { customer_id: "C1" create_entity {
                    entity { entity_id: "HQ" name: "Head office" } } })pb",
             R"pb(structure { customer_id: "C1" create_entity {
                    entity { entity_id: "LYON" name: "Lyon" } } })pb",
             R"pb(structure { customer_id: "C1" create_object {
                    object { object_id: "A-HQ" kind: OBJECT_KIND_ACCOUNT }
                    entity_id: "HQ" } })pb",
             R"pb(structure { customer_id: "C1" create_object {
                    object { object_id: "A-LYON" kind: OBJECT_KIND_ACCOUNT }
                    entity_id: "LYON" discount_percent: "10" } })pb",
             R"pb(contract { customer_id: "C1" create_contract { contract {
                    contract_ref: "K1" contract_family: "MAINT"
                    billing_family: "SERV" site_code: "S1"
                    start_date: "2026-01-01" } } })pb"}) {
      ledger_.Given(Parse(text), kJan5);
    }
    for (const char* entity : {"HQ", "LYON"}) {
      ledger_.Given(Parse(absl::Substitute(
          R"pb(contract { customer_id: "C1" create_rule { rule {
                 contract_ref: "K1" rule_id: "R-$0" label: "Rule $0"
                 rule_type: RULE_TYPE_FLAT object_ids: "A-$0"
                 article_code: "MAINT" unit_price_micros: 100000000
                 periodicity: PERIODICITY_MONTHLY
                 timing: BILLING_TIMING_IN_ADVANCE
                 start_date: "2026-03-01" } } })pb", entity)), kJan5);
    }
  }

  void SetIssuer(const std::string& extra = "") {
    ledger_.Given(Parse(IssuerText(extra)), kJan5);
  }

  void RunMarch(BusinessDate date = kMar1) {
    ledger_.Given(Parse(R"pb(invoicing { customer_id: "C1" gather_preparations {
        params { run_id: "RUN-3" period_start: "2026-03-01"
                 period_end: "2026-03-31" scope: ACCOUNT_SCOPE_ORDINARY } } })pb"),
                  date);
  }

  // Decides and applies; the answer's events.
  std::vector<v1::EventEnvelope> Do(const v1::Command& c, BusinessDate date) {
    auto events = ledger_.When(c, date);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) return {};
    ledger_.Apply(c, date, *events);
    return *events;
  }

  // Validates, numbers and issues `ids`; the issued documents.
  std::vector<v1::InvoiceDocument> IssueAll(const std::vector<std::string>& ids,
                                            BusinessDate date = kMar2) {
    auto validated = Do(Validate(ids), date);
    if (validated.empty()) return {};
    // One assign per series, as services/invoice_issuer does.
    std::map<std::string, std::vector<v1::InvoiceDocument>> by_series;
    for (const auto& d : validated[0].invoice().preparations_validated().drafts()) {
      by_series[d.series()].push_back(d);
    }
    std::vector<v1::NumberAssignment> n;
    for (const auto& [series, drafts] : by_series) {
      auto numbered = Do(Assign(drafts), date);
      if (numbered.empty()) return {};
      for (const auto& a : numbered[0].invoice().numbers_assigned().numbers()) {
        n.push_back(a);
      }
    }
    auto issued = Do(Issue(n), date);
    if (issued.empty()) return {};
    const auto& docs = issued[0].invoice().invoices_issued().documents();
    return {docs.begin(), docs.end()};
  }

  // C1 signs a SEPA mandate.
  void GiveMandate() {
    ledger_.Given(Parse(R"pb(update_customer {
        customer { customer_id: "C1"
                   sepa_mandate { reference: "RUM-C1-0001"
                                  signed_on: "2025-12-01" } }
        update_mask { paths: "sepa_mandate" } })pb"),
                  kJan5);
  }

  // The gathered preparation `id` made a payment notice, as a direct-debit
  // customer's is.
  void MakeNotice(const std::string& id) {
    auto prep = LoadPreparation(ledger_.state(), "C1", id);
    ASSERT_TRUE(prep.ok() && prep->has_value());
    v1::Preparation p = **prep;
    p.set_type(v1::PREPARATION_TYPE_PAYMENT_NOTICE);
    PutMessage(ledger_.mutable_state(), PreparationKey("C1", id), p);
  }

  testing::Ledger ledger_;
};

TEST_F(InvoicesTest, IssuerDefaultsItsNumberingAndNormalizesTheIban) {
  SetIssuer();
  auto issuer = LoadIssuer(ledger_.state());
  ASSERT_TRUE(issuer.ok() && issuer->has_value());
  EXPECT_EQ((*issuer)->bank().iban(), "FR7630006000011234567890189");
  ASSERT_EQ((*issuer)->numbering_size(), 2);
  EXPECT_EQ((*issuer)->numbering(0).template_(), "FA-[INVOICE.YEAR]-[INVOICE.SEQ]");
  EXPECT_EQ((*issuer)->numbering(1).template_(), "AP-[INVOICE.YEAR]-[INVOICE.SEQ]");
  EXPECT_EQ((*issuer)->terms().recovery_indemnity_minor(), 4000);
  EXPECT_EQ((*issuer)->version(), 1u);
}

TEST_F(InvoicesTest, IssuerRefusalsNameTheField) {
  ledger_.ExpectRejected(
      Parse(absl::StrReplaceAll(IssuerText(), {{"732829320\" siret", "732829321\" siret"}})),
      kJan5, absl::StatusCode::kInvalidArgument, "issuer.siren");
  ledger_.ExpectRejected(
      Parse(IssuerText(R"pb(numbering { document_type: DOCUMENT_TYPE_INVOICE
                             template: "FA-[INVOICE.YERA]-[INVOICE.SEQ]" })pb")),
      kJan5, absl::StatusCode::kInvalidArgument, "[INVOICE.YERA]");
  ledger_.ExpectRejected(
      Parse(IssuerText(R"pb(split_by_billing_family: true
                           numbering { document_type: DOCUMENT_TYPE_INVOICE
                             template: "FA-[INVOICE.YEAR]-[INVOICE.SEQ]" })pb")),
      kJan5, absl::StatusCode::kInvalidArgument, "add [BILLING.FAMILY]");
  auto wrong = Parse(IssuerText());
  wrong.mutable_invoice()->set_partition("C1");
  ledger_.ExpectRejected(wrong, kJan5, absl::StatusCode::kInvalidArgument,
                         "set_issuer goes to @reference");
}

TEST_F(InvoicesTest, ValidationWithoutIssuerIsRefused) {
  RunMarch();
  ledger_.ExpectRejected(Validate({kHq}), kMar2,
                         absl::StatusCode::kFailedPrecondition, "ISSUER_NOT_SET");
}

// HQ: 100.00 at 20 %: VAT 20.00, 120.00; LYON: 100.00 less 10 % = 90.00,
// VAT 18.00, 108.00. Numbers FA-2026-000001 and 000002, due 30 days after
// 2026-03-02: 2026-04-01.
TEST_F(InvoicesTest, PerEntityPreparationsBecomeTwoNumberedInvoices) {
  SetIssuer();
  RunMarch();
  auto docs = IssueAll({kHq, kLyon});
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].number(), "FA-2026-000001");
  EXPECT_EQ(docs[0].net_amount_minor(), 10000);
  EXPECT_EQ(docs[0].vat_amount_minor(), 2000);
  EXPECT_EQ(docs[0].gross_amount_minor(), 12000);
  EXPECT_EQ(docs[1].number(), "FA-2026-000002");
  EXPECT_EQ(docs[1].lines(0).discount_minor(), 1000);
  EXPECT_EQ(docs[1].net_amount_minor(), 9000);
  EXPECT_EQ(docs[1].vat_amount_minor(), 1800);
  EXPECT_EQ(docs[1].gross_amount_minor(), 10800);
  EXPECT_EQ(docs[1].issue_date(), "2026-03-02");
  EXPECT_EQ(docs[1].due_date(), "2026-04-01");
  EXPECT_EQ(docs[1].invoiced().name(), "Hôtel Bellevue");
  EXPECT_EQ(docs[1].issuer().siren(), "732829320");
  EXPECT_THAT(docs[1].mentions(), ElementsAre("Prestations de services"));
  // Stored, findable by number, the draft gone, the preparation pointing at it.
  auto found = FindDocument(ledger_.state(), "FA-2026-000002");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->gross_amount_minor(), 10800);
  EXPECT_TRUE(ListDrafts(ledger_.state(), "C1")->empty());
  auto prep = LoadPreparation(ledger_.state(), "C1", kLyon);
  ASSERT_TRUE(prep.ok() && prep->has_value());
  EXPECT_EQ((*prep)->status(), v1::PREPARATION_STATUS_VALIDATED);
  EXPECT_THAT((*prep)->document_numbers(), ElementsAre("FA-2026-000002"));
}

TEST_F(InvoicesTest, IssuingMovesTheRulesSoTheNextRunOwesTheNextPeriod) {
  SetIssuer();
  RunMarch();
  auto docs = IssueAll({kHq, kLyon});
  ASSERT_EQ(docs.size(), 2u);
  auto rule = LoadRule(ledger_.state(), "C1", "K1", "R-HQ");
  ASSERT_TRUE(rule.ok() && rule->has_value());
  EXPECT_EQ((*rule)->next_theoretical_date(), "2026-04-01");
  EXPECT_EQ((*rule)->last_invoice_ref(), "FA-2026-000001");
  EXPECT_EQ((*rule)->last_invoice_date(), "2026-03-02");
  // The March run again gathers nothing (March is billed); April's run the
  // April period.
  ledger_.Given(Parse(R"pb(invoicing { customer_id: "C1" gather_preparations {
      params { run_id: "RUN-4" period_start: "2026-04-01"
               period_end: "2026-04-30" scope: ACCOUNT_SCOPE_ORDINARY } } })pb"),
                BusinessDate(2026, 4, 1));
  auto april = LoadPreparation(ledger_.state(), "C1",
                               "C1/2026-04-01..2026-04-30/C1/HQ/*/INV");
  ASSERT_TRUE(april.ok() && april->has_value());
  ASSERT_EQ((*april)->lines_size(), 1);
  EXPECT_EQ((*april)->lines(0).period_start(), "2026-04-01");
}

TEST_F(InvoicesTest, NumbersAreGaplessAndRetriesGetTheSameNumber) {
  SetIssuer();
  RunMarch();
  auto validated = Do(Validate({kHq, kLyon}), kMar2);
  ASSERT_EQ(validated.size(), 1u);
  const auto& d = validated[0].invoice().preparations_validated().drafts();
  auto first = Do(Assign({d[0]}), kMar2);
  auto both = Do(Assign({d[0], d[1]}), kMar2);  // a retry with one more
  ASSERT_EQ(both.size(), 1u);
  const auto& n = both[0].invoice().numbers_assigned();
  ASSERT_EQ(n.numbers_size(), 2);
  EXPECT_EQ(n.numbers(0).number(), "FA-2026-000001");
  EXPECT_EQ(n.numbers(1).number(), "FA-2026-000002");
  EXPECT_EQ(n.last_seq(), 2u);
  auto series = LoadSeries(ledger_.state(), "FA-2026-[INVOICE.SEQ]");
  ASSERT_TRUE(series.ok() && series->has_value());
  EXPECT_EQ((*series)->last_seq(), 2u);
  // Issued once; the same numbers again change nothing.
  Do(Issue({n.numbers().begin(), n.numbers().end()}), kMar2);
  ledger_.ExpectRejected(Issue({n.numbers().begin(), n.numbers().end()}), kMar2,
                         absl::StatusCode::kAlreadyExists, "ALREADY_ISSUED");
}

// A draft validated on the 1st numbered after one of the 5th gets the 5th:
// issue dates never go down with the number.
TEST_F(InvoicesTest, IssueDatesNeverDecreaseWithTheNumber) {
  SetIssuer();
  RunMarch();
  auto validated = Do(Validate({kHq, kLyon}), kMar2);
  auto d = validated.at(0).invoice().preparations_validated().drafts();
  d[0].set_draft_date("2026-03-05");
  d[1].set_draft_date("2026-03-01");
  auto n = Do(Assign({d[0], d[1]}), kMar2);
  const auto& numbers = n.at(0).invoice().numbers_assigned().numbers();
  EXPECT_EQ(numbers[0].issue_date(), "2026-03-05");
  EXPECT_EQ(numbers[1].issue_date(), "2026-03-05");
}

TEST_F(InvoicesTest, AssignNumbersOnlyInItsSeriesPartition) {
  SetIssuer();
  RunMarch();
  auto validated = Do(Validate({kHq}), kMar2);
  auto d = validated.at(0).invoice().preparations_validated().drafts();
  auto command = Assign({d[0]});
  command.mutable_invoice()->set_partition("@series:OTHER");
  ledger_.ExpectRejected(command, kMar2, absl::StatusCode::kInvalidArgument,
                         "INVOICE_WRONG_PARTITION");
  // A draft whose number is not of the series is refused.
  auto forged = Assign({d[0]});
  forged.mutable_invoice()->mutable_assign_numbers()->mutable_drafts(0)
      ->set_number_prefix("FB-2026-");
  ledger_.ExpectRejected(forged, kMar2, absl::StatusCode::kInvalidArgument,
                         "is not of the series");
}

TEST_F(InvoicesTest, ValidatedPreparationsAreNotValidatedTwice) {
  SetIssuer();
  RunMarch();
  Do(Validate({kHq}), kMar2);
  ledger_.ExpectRejected(Validate({kHq}), kMar2,
                         absl::StatusCode::kFailedPrecondition,
                         "PREPARATION_NOT_GENERATED");
  ledger_.ExpectRejected(Validate({"C1/none"}), kMar2,
                         absl::StatusCode::kNotFound, "PREPARATION_NOT_FOUND");
}

TEST_F(InvoicesTest, APreparationInAnomalyIsRefusedWithEveryReason) {
  SetIssuer();
  RunMarch();
  auto prep = LoadPreparation(ledger_.state(), "C1", kHq);
  ASSERT_TRUE(prep.ok() && prep->has_value());
  v1::Preparation p = **prep;
  p.set_status(v1::PREPARATION_STATUS_ANOMALY);
  p.add_anomalies()->set_reason("rule K1/R-HQ: no next theoretical date");
  p.add_anomalies()->set_reason("object N1 has no entity in 2026-03");
  PutMessage(ledger_.mutable_state(), PreparationKey("C1", kHq), p);
  ledger_.ExpectRejected(Validate({kHq}), kMar2,
                         absl::StatusCode::kFailedPrecondition,
                         "no next theoretical date; object N1 has no entity");
}

// K2 (family HARD, 5.5 %) bills A-HQ too: the HQ preparation holds both
// families. Split on: two invoices, each family in its number.
TEST_F(InvoicesTest, TwoFamiliesGiveTwoInvoicesWhenTheIssuerSplits) {
  SetIssuer(R"pb(split_by_billing_family: true)pb");
  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" create_contract { contract {
      contract_ref: "K2" contract_family: "HW" billing_family: "HARD"
      site_code: "S1" start_date: "2026-01-01" } } })pb"), kJan5);
  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" create_rule { rule {
      contract_ref: "K2" rule_id: "R-HW" label: "Switch rental"
      rule_type: RULE_TYPE_FLAT object_ids: "A-HQ" article_code: "HARDW"
      unit_price_micros: 40000000 periodicity: PERIODICITY_MONTHLY
      timing: BILLING_TIMING_IN_ADVANCE start_date: "2026-03-01" } } })pb"), kJan5);
  RunMarch();
  auto docs = IssueAll({kHq});
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].billing_family(), "HARD");
  EXPECT_EQ(docs[0].number(), "FA-2026-HARD-000001");
  // 40.00 at 5.5 %: 2.20.
  EXPECT_EQ(docs[0].vat_amount_minor(), 220);
  EXPECT_EQ(docs[1].number(), "FA-2026-SERV-000001");
  EXPECT_EQ(docs[1].gross_amount_minor(), 12000);
}

TEST_F(InvoicesTest, TwoFamiliesShareOneInvoiceWhenTheIssuerDoesNotSplit) {
  SetIssuer();
  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" create_contract { contract {
      contract_ref: "K2" contract_family: "HW" billing_family: "HARD"
      site_code: "S1" start_date: "2026-01-01" } } })pb"), kJan5);
  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" create_rule { rule {
      contract_ref: "K2" rule_id: "R-HW" label: "Switch rental"
      rule_type: RULE_TYPE_FLAT object_ids: "A-HQ" article_code: "HARDW"
      unit_price_micros: 40000000 periodicity: PERIODICITY_MONTHLY
      timing: BILLING_TIMING_IN_ADVANCE start_date: "2026-03-01" } } })pb"), kJan5);
  RunMarch();
  auto docs = IssueAll({kHq});
  ASSERT_EQ(docs.size(), 1u);
  // 100.00 at 20 % and 40.00 at 5.5 %: VAT 20.00 + 2.20, gross 162.20.
  ASSERT_EQ(docs[0].vat_size(), 2);
  EXPECT_EQ(docs[0].vat(0).vat_rate_bp(), 550);
  EXPECT_EQ(docs[0].vat(0).vat_amount_minor(), 220);
  EXPECT_EQ(docs[0].vat(1).vat_amount_minor(), 2000);
  EXPECT_EQ(docs[0].gross_amount_minor(), 16220);
}

// A direct-debit customer's preparation is a payment notice: AP-2026-000001,
// its rules billed by the notice. Validated into an invoice, it is
// FA-2026-000001 with the same lines and totals, the notice named; the
// rules are not billed twice; a second validation is refused.
TEST_F(InvoicesTest, APaymentNoticeValidatedIntoAnInvoice) {
  SetIssuer(R"pb(sepa_creditor_id: "FR72 ZZZ 123456")pb");
  GiveMandate();
  RunMarch();
  MakeNotice(kHq);
  auto notices = IssueAll({kHq});
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].number(), "AP-2026-000001");
  EXPECT_EQ(notices[0].type(), v1::DOCUMENT_TYPE_PAYMENT_NOTICE);
  // The SEPA pre-notification's references, the ICS normalized.
  EXPECT_EQ(notices[0].issuer().sepa_creditor_id(), "FR72ZZZ123456");
  EXPECT_EQ(notices[0].invoiced().sepa_mandate().reference(), "RUM-C1-0001");
  EXPECT_EQ(notices[0].invoiced().sepa_mandate().signed_on(), "2025-12-01");
  auto rule = LoadRule(ledger_.state(), "C1", "K1", "R-HQ");
  EXPECT_EQ((*rule)->next_theoretical_date(), "2026-04-01");

  v1::Command notice = Parse(R"pb(invoice { partition: "C1" validate_notices {
      notice_numbers: "AP-2026-000001" } })pb");
  auto validated = Do(notice, BusinessDate(2026, 3, 10));
  ASSERT_EQ(validated.size(), 1u);
  const auto& drafts = validated[0].invoice().preparations_validated().drafts();
  ASSERT_EQ(drafts.size(), 1);
  auto numbered = Do(Assign({drafts[0]}), BusinessDate(2026, 3, 10));
  const auto& n = numbered.at(0).invoice().numbers_assigned().numbers();
  auto issued = Do(Issue({n.begin(), n.end()}), BusinessDate(2026, 3, 10));
  ASSERT_EQ(issued.size(), 1u);  // no contract.rule_billed: billed already
  const auto& invoice = issued[0].invoice().invoices_issued().documents(0);
  EXPECT_EQ(invoice.number(), "FA-2026-000001");
  EXPECT_EQ(invoice.type(), v1::DOCUMENT_TYPE_INVOICE);
  EXPECT_EQ(invoice.notice_number(), "AP-2026-000001");
  EXPECT_EQ(invoice.issue_date(), "2026-03-10");
  EXPECT_EQ(invoice.gross_amount_minor(), notices[0].gross_amount_minor());
  EXPECT_EQ((*LoadRule(ledger_.state(), "C1", "K1", "R-HQ"))
                ->next_theoretical_date(), "2026-04-01");
  ledger_.ExpectRejected(notice, BusinessDate(2026, 3, 11),
                         absl::StatusCode::kFailedPrecondition,
                         "invoiced already (FA-2026-000001)");
  ledger_.ExpectRejected(
      Parse(R"pb(invoice { partition: "C1" validate_notices {
          notice_numbers: "FA-2026-000001" } })pb"),
      BusinessDate(2026, 3, 11), absl::StatusCode::kNotFound,
      "NOTICE_NOT_FOUND");
}

// A payment notice announces a debit: without the issuer's creditor id, or
// without the customer's mandate, it is refused, named, and nothing is
// recorded.
TEST_F(InvoicesTest, APaymentNoticeNeedsTheCreditorIdAndTheMandate) {
  SetIssuer();
  RunMarch();
  MakeNotice(kHq);
  ledger_.ExpectRejected(Validate({kHq}), kMar2,
                         absl::StatusCode::kFailedPrecondition,
                         "issuer.sepa_creditor_id is not set");
  ledger_.ExpectRejected(Validate({kHq}), kMar2,
                         absl::StatusCode::kFailedPrecondition,
                         "DIRECT_DEBIT_DETAILS_MISSING");
  SetIssuer(R"pb(sepa_creditor_id: "FR72ZZZ123456")pb");
  ledger_.ExpectRejected(Validate({kHq}), kMar2,
                         absl::StatusCode::kFailedPrecondition,
                         "customer \"C1\" has no sepa_mandate");
  // A creditor id whose check digits are wrong is refused when set.
  ledger_.ExpectRejected(Parse(IssuerText(R"pb(sepa_creditor_id: "FR73ZZZ123456")pb")),
                         kMar2, absl::StatusCode::kInvalidArgument,
                         "issuer.sepa_creditor_id: \"FR73ZZZ123456\" is not a "
                         "SEPA creditor identifier");
  GiveMandate();
  EXPECT_EQ(IssueAll({kHq}).size(), 1u);
}

// The customer's SIREN and VAT id are printed on its invoices (a mandatory
// mention of a B2B invoice).
TEST_F(InvoicesTest, TheInvoiceCarriesTheCustomersSirenAndVatId) {
  SetIssuer();
  RunMarch();
  auto docs = IssueAll({kHq});
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].invoiced().siren(), "303265045");
  EXPECT_EQ(docs[0].invoiced().vat_id(), "FR40303265045");
}

// The three delivery modes over HQ (100.00) and LYON (100.00 - 10 % =
// 90.00), 20 % VAT. PER_ENTITY: two invoices, 120.00 and 108.00.
// MAIN_ENTITY_DETAILED: one invoice to the main entity HQ, a section per
// entity with its subtotal (100.00, 90.00), VAT 38.00 on 190.00, 228.00.
// MIXED with LYON invoiced separately: as PER_ENTITY.
TEST_F(InvoicesTest, DeliveryModesGiveTheirDocuments) {
  SetIssuer();
  ledger_.Given(Parse(R"pb(update_customer {
      customer { customer_id: "C1"
                 invoice_delivery_mode: INVOICE_DELIVERY_MODE_MAIN_ENTITY_DETAILED }
      update_mask { paths: "invoice_delivery_mode" } })pb"), kJan5);
  RunMarch();
  auto docs = IssueAll({"C1/2026-03-01..2026-03-31/C1/HQ/*/INV"});
  ASSERT_EQ(docs.size(), 1u);
  const v1::InvoiceDocument& d = docs[0];
  ASSERT_EQ(d.sections_size(), 2);
  EXPECT_EQ(d.sections(0).entity_id(), "HQ");
  EXPECT_EQ(d.sections(0).net_amount_minor(), 10000);
  EXPECT_EQ(d.sections(1).entity_id(), "LYON");
  EXPECT_EQ(d.sections(1).net_amount_minor(), 9000);
  ASSERT_EQ(d.vat_size(), 1);
  EXPECT_EQ(d.vat(0).net_amount_minor(), 19000);
  EXPECT_EQ(d.vat(0).vat_amount_minor(), 3800);
  EXPECT_EQ(d.gross_amount_minor(), 22800);
  EXPECT_EQ(d.entity_id(), "HQ");
}

TEST_F(InvoicesTest, MixedModeInvoicesTheSeparateEntityOnItsOwn) {
  SetIssuer();
  ledger_.Given(Parse(R"pb(update_customer {
      customer { customer_id: "C1"
                 invoice_delivery_mode: INVOICE_DELIVERY_MODE_MIXED }
      update_mask { paths: "invoice_delivery_mode" } })pb"), kJan5);
  ledger_.Given(Parse(R"pb(structure { customer_id: "C1"
      set_entity_invoiced_separately { entity_id: "LYON"
                                       invoiced_separately: true } })pb"),
                kJan5);
  RunMarch();
  auto docs = IssueAll({kHq, kLyon});
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].gross_amount_minor(), 12000);
  EXPECT_EQ(docs[1].gross_amount_minor(), 10800);
  EXPECT_EQ(docs[1].sections(0).entity_id(), "LYON");
}

// P1 pays for contract KB (20.00 a month on A-HQ). INVOICE_BILL_TO: the
// invoice is made out to P1, with its address; the holder C1 is named as
// the ledger party. POST_TO_BILL_TO: made out to C1 with C1's address; P1
// named in the header as the party whose ledger gets the posting.
class BillToTest : public InvoicesTest,
                   public ::testing::WithParamInterface<const char*> {};

TEST_P(BillToTest, TheDocumentNamesThePartiesPerTheMode) {
  const std::string mode = GetParam();
  const bool invoice_to = mode == "BILL_TO_MODE_INVOICE_BILL_TO";
  SetIssuer();
  ledger_.Given(Parse(R"pb(create_customer { customer { customer_id: "P1"
      name: "Payeur Lille" billing_address { lines: "3 place Rihour"
      city: "Lille" country_code: "FR" } } })pb"), kJan5);
  ledger_.Given(Parse(absl::Substitute(R"pb(contract { customer_id: "C1"
      create_contract { contract { contract_ref: "KB" contract_family: "MAINT"
      billing_family: "SERV" site_code: "S1" start_date: "2026-01-01"
      bill_to { party_id: "P1" mode: $0 } } } })pb", mode)), kJan5);
  ledger_.Given(Parse(R"pb(contract { customer_id: "C1" create_rule { rule {
      contract_ref: "KB" rule_id: "R-B" label: "Paid by P1"
      rule_type: RULE_TYPE_FLAT object_ids: "A-HQ" article_code: "MAINT"
      unit_price_micros: 20000000 periodicity: PERIODICITY_MONTHLY
      timing: BILLING_TIMING_IN_ADVANCE start_date: "2026-03-01" } } })pb"),
                kJan5);
  RunMarch();
  const std::string id = absl::StrCat(
      "C1/2026-03-01..2026-03-31/", invoice_to ? "P1" : "C1", "/HQ/*/INV/",
      invoice_to ? "invoice:P1" : "post:P1");
  auto docs = IssueAll({id});
  ASSERT_EQ(docs.size(), 1u);
  const v1::InvoiceDocument& d = docs[0];
  EXPECT_EQ(d.holder_id(), "C1");
  EXPECT_EQ(d.gross_amount_minor(), 2400);  // 20.00 + 20 % VAT
  EXPECT_EQ(d.invoiced().customer_id(), invoice_to ? "P1" : "C1");
  EXPECT_EQ(d.invoiced().billing_address().city(), invoice_to ? "Lille" : "Paris");
  EXPECT_EQ(d.ledger_party().customer_id(), invoice_to ? "C1" : "P1");
  EXPECT_EQ(d.ledger_party().name(), invoice_to ? "Hôtel Bellevue" : "Payeur Lille");
}

INSTANTIATE_TEST_SUITE_P(Modes, BillToTest,
                         ::testing::Values("BILL_TO_MODE_INVOICE_BILL_TO",
                                           "BILL_TO_MODE_POST_TO_BILL_TO"));

// The rounding rule: VAT per rate on the sum of that rate's net lines,
// rounded once. Three lines of 10.01 at 20 %: 30.03 x 20 % = 6.006 -> 6.01
// (line by line it would be 3 x 2.00 = 6.00).
TEST(InvoiceTotalsTest, VatIsRoundedOncePerRateOnTheSumOfItsLines) {
  v1::InvoiceDocument doc;
  for (int i = 0; i < 3; ++i) {
    auto* l = doc.add_lines();
    l->set_net_amount_minor(1001);
    l->set_vat_rate_bp(2000);
  }
  ASSERT_TRUE(invoice_internal::TotalDocument(doc).ok());
  EXPECT_EQ(doc.net_amount_minor(), 3003);
  EXPECT_EQ(doc.vat_amount_minor(), 601);
  EXPECT_EQ(doc.gross_amount_minor(), 3604);
}

TEST(InvoiceTotalsTest, ReverseChargeIsMentionedForAnEuCustomerAtZeroVat) {
  v1::InvoiceDocument doc;
  doc.mutable_invoiced()->set_vat_id("DE123456789");
  auto* l = doc.add_lines();
  l->set_net_amount_minor(10000);
  l->set_vat_rate_bp(0);
  ASSERT_TRUE(invoice_internal::TotalDocument(doc).ok());
  EXPECT_THAT(doc.mentions(), ElementsAre("Prestations de services",
                                          HasSubstr("Autoliquidation")));
}

TEST(InvoiceKeysTest, SeriesAndNumbersWithSlashesStayOneSegment) {
  EXPECT_EQ(SeriesPartitionKey("FA/2026/[INVOICE.SEQ]"),
            "@series:FA%2F2026%2F[INVOICE.SEQ]");
  EXPECT_EQ(DocumentNumberPrefix("FA/1%"), "invn/FA%2F1%25/");
}

}  // namespace
}  // namespace billing
