// Precedence of the contracts commands' rejections
// (engine/contracts/rejections.h): each test starts from a command that
// breaks several rules and fixes them one at a time; every answer must be
// the first rule still broken, so the names come in kOrder's order (their
// RejectionRank increases) and the command passes once all are fixed.

#include <functional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "engine/contracts/rejections.h"
#include "engine/core/rejection.h"
#include "tests/unit/engine/contracts_fixture.h"

namespace billing {
namespace {

using Fix = std::function<void(v1::ContractCommand&)>;

struct Step {
  Rejection expected;
  // What makes the expected reason go away (a field, or the state).
  Fix fix;
};

class ContractRejectionsTest : public ContractsTest {
 protected:
  // The command is refused with each step's reason in turn, each later in
  // `order` than the one before; accepted after the last fix.
  void ExpectPrecedence(absl::Span<const Rejection> order,
                        v1::ContractCommand command,
                        const std::vector<Step>& steps) {
    int previous = -1;
    for (const Step& step : steps) {
      auto got = When(command);
      ASSERT_FALSE(got.ok()) << "accepted, expected " << step.expected.name;
      const absl::string_view name = RejectionName(got.status().message());
      EXPECT_EQ(name, step.expected.name) << got.status();
      EXPECT_EQ(got.status().code(), step.expected.code) << got.status();
      const int rank = RejectionRank(order, name);
      EXPECT_GT(rank, previous) << name << " is not after the one before";
      previous = rank;
      step.fix(command);
    }
    auto last = When(command);
    EXPECT_TRUE(last.ok()) << last.status();
  }

  // Contract K1 of C1 from 2026-01-01 with the flat monthly rule R1 (100.00
  // in advance), the consumed-units rule METER on object M1, the
  // unit-of-work rule WORK and the time-spent rule TIME.
  void GivenRules() {
    CreateContract();
    Run(RuleCommand("R1", v1::RULE_TYPE_FLAT, v1::BILLING_TIMING_IN_ADVANCE));
    Run(RuleCommand("METER", v1::RULE_TYPE_CONSUMED_UNITS,
                    v1::BILLING_TIMING_IN_ARREARS));
    Run(RuleCommand("WORK", v1::RULE_TYPE_UNIT_OF_WORK,
                    v1::BILLING_TIMING_IN_ARREARS));
    v1::ContractCommand time = RuleCommand("TIME", v1::RULE_TYPE_TIME_SPENT,
                                           v1::BILLING_TIMING_IN_ARREARS);
    time.mutable_create_rule()->mutable_rule()->set_unit_price_micros(0);
    Run(time);
  }

  static v1::ContractCommand RuleCommand(const std::string& id,
                                         v1::RuleType type,
                                         v1::BillingTiming timing) {
    v1::ContractCommand c;
    c.set_customer_id("C1");
    v1::BillingRule* r = c.mutable_create_rule()->mutable_rule();
    r->set_contract_ref("K1");
    r->set_rule_id(id);
    r->set_rule_type(type);
    r->add_object_ids("M1");
    r->set_article_code("MAINT");
    r->set_unit_price_micros(100'000'000);
    r->set_periodicity(v1::PERIODICITY_MONTHLY);
    r->set_timing(timing);
    return c;
  }

  static v1::ContractCommand Reference() {
    v1::ContractCommand c;
    c.set_customer_id("C1");  // reference data goes to "@reference"
    return c;
  }
};

void ToReference(v1::ContractCommand& c) { c.set_customer_id("@reference"); }

TEST_F(ContractRejectionsTest, DefineArticle) {
  namespace r = define_article;
  v1::ContractCommand c = Reference();
  v1::Article* a = c.mutable_define_article()->mutable_article();
  a->set_article_code("A B");
  a->set_vat_rate_bp(20'000);
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, ToReference},
       {r::kArticleCodeInvalid,
        [](auto& c) {
          c.mutable_define_article()->mutable_article()->set_article_code(
              "ABO");
        }},
       {r::kLabelInvalid,
        [](auto& c) {
          c.mutable_define_article()->mutable_article()->set_label("Abo");
        }},
       {r::kVatRateInvalid, [](auto& c) {
          c.mutable_define_article()->mutable_article()->set_vat_rate_bp(2000);
        }}});
}

TEST_F(ContractRejectionsTest, PublishIndex) {
  namespace r = publish_index;
  v1::ContractCommand c = Reference();
  c.mutable_publish_index()->mutable_publication()->set_index_code("S/1");
  auto pub = [](v1::ContractCommand& c) {
    return c.mutable_publish_index()->mutable_publication();
  };
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, ToReference},
       {r::kIndexCodeInvalid,
        [&](auto& c) { pub(c)->set_index_code("SYNTEC"); }},
       {r::kDateInvalid,
        [&](auto& c) { pub(c)->set_publication_date("2026-01-01"); }},
       {r::kValueInvalid,
        [&](auto& c) {
          pub(c)->set_value_micros(270'000'000);
          Run(c);  // the same date is taken now
        }},
       {r::kAlreadyPublished,
        [&](auto& c) { pub(c)->set_publication_date("2026-02-01"); }}});
}

TEST_F(ContractRejectionsTest, SetCompanyMarkup) {
  namespace r = set_company_markup;
  v1::ContractCommand c = Reference();
  c.mutable_set_company_markup()->mutable_markup()->set_percent_bp(-1);
  auto m = [](v1::ContractCommand& c) {
    return c.mutable_set_company_markup()->mutable_markup();
  };
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, ToReference},
       {r::kDateInvalid,
        [&](auto& c) { m(c)->set_effective_date("2026-01-01"); }},
       {r::kPercentInvalid, [&](auto& c) { m(c)->set_percent_bp(300); }}});
}

TEST_F(ContractRejectionsTest, SetHourlyRate) {
  namespace r = set_hourly_rate;
  v1::ContractCommand c = Reference();
  c.mutable_set_hourly_rate()->mutable_rate()->set_rate_micros(-1);
  auto rate = [](v1::ContractCommand& c) {
    return c.mutable_set_hourly_rate()->mutable_rate();
  };
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, ToReference},
       {r::kPersonIdInvalid, [&](auto& c) { rate(c)->set_person_id("P1"); }},
       {r::kDateInvalid,
        [&](auto& c) { rate(c)->set_effective_date("2026-01-01"); }},
       {r::kRateInvalid,
        [&](auto& c) { rate(c)->set_rate_micros(50'000'000); }}});
}

TEST_F(ContractRejectionsTest, CreateContract) {
  namespace r = create_contract;
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  auto k = [](v1::ContractCommand& c) {
    return c.mutable_create_contract()->mutable_contract();
  };
  k(c)->set_start_date("2026-02-01");
  k(c)->set_end_date("2026-01-01");
  k(c)->set_site_code("S 1");
  k(c)->mutable_bill_to()->set_party_id("C 2");
  k(c)->mutable_bill_to()->set_mode(static_cast<v1::BillToMode>(99));
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kContractRefInvalid, [&](auto& c) { k(c)->set_contract_ref("K1"); }},
       {r::kFamilyInvalid,
        [&](auto& c) { k(c)->set_contract_family("MAINT"); }},
       {r::kBillingFamilyInvalid,
        [&](auto& c) { k(c)->set_billing_family("SERV"); }},
       {r::kSiteCodeInvalid, [&](auto& c) { k(c)->set_site_code("S1"); }},
       {r::kEndDateInvalid, [&](auto& c) { k(c)->set_end_date("2026-12-31"); }},
       {r::kBillToPartyInvalid,
        [&](auto& c) { k(c)->mutable_bill_to()->set_party_id(""); }},
       {r::kBillToModeInvalid,
        [&](auto& c) {
          k(c)->mutable_bill_to()->set_mode(v1::BILL_TO_MODE_INVOICE_BILL_TO);
        }},
       {r::kBillToPartyRequired,
        [&](auto& c) { k(c)->mutable_bill_to()->set_party_id("C9"); }},
       {r::kCustomerNotFound,
        [&](auto& c) {
          CreateCustomer("C9");
          v1::ContractCommand taken = c;
          k(taken)->clear_bill_to();
          Run(taken);
        }},
       {r::kAlreadyExists, [&](auto& c) { k(c)->set_contract_ref("K2"); }},
       {r::kBillToPartyIsHolder,
        [&](auto& c) { k(c)->mutable_bill_to()->set_party_id("C7"); }},
       {r::kBillToPartyNotFound, [&](auto&) { CreateCustomer("C7"); }}});
}

v1::BillingRule* R(v1::ContractCommand& c) {
  return c.mutable_create_rule()->mutable_rule();
}

TEST_F(ContractRejectionsTest, CreateRuleFields) {
  namespace r = create_rule;
  CreateContract("2026-01-01");
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  R(c)->set_label("a\x01");
  R(c)->set_unit_price_micros(-1);
  R(c)->set_cost_price_micros(-1);
  R(c)->set_quantity_milli(-1);
  R(c)->set_start_date("2026-13-01");
  R(c)->set_end_date("2025-01-01");
  R(c)->set_condition_job_id("J 1");
  R(c)->mutable_recurring_increase()->set_percent_bp(300);
  R(c)->mutable_installment_schedule()->set_fee_minor(1);
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kContractRefInvalid, [](auto& c) { R(c)->set_contract_ref("K9"); }},
       {r::kRuleIdInvalid, [](auto& c) { R(c)->set_rule_id("R1"); }},
       {r::kLabelInvalid, [](auto& c) { R(c)->set_label("Rent"); }},
       {r::kTypeInvalid,
        [](auto& c) { R(c)->set_rule_type(v1::RULE_TYPE_FLAT); }},
       {r::kObjectsInvalid, [](auto& c) { R(c)->add_object_ids("M1"); }},
       {r::kArticleCodeInvalid, [](auto& c) { R(c)->set_article_code("ABO"); }},
       {r::kUnitPriceInvalid,
        [](auto& c) { R(c)->set_unit_price_micros(100'000'000); }},
       {r::kCostPriceInvalid, [](auto& c) { R(c)->set_cost_price_micros(0); }},
       {r::kQuantityInvalid, [](auto& c) { R(c)->set_quantity_milli(0); }},
       {r::kPeriodicityInvalid,
        [](auto& c) { R(c)->set_periodicity(v1::PERIODICITY_MONTHLY); }},
       {r::kTimingInvalid,
        [](auto& c) { R(c)->set_timing(v1::BILLING_TIMING_IN_ADVANCE); }},
       {r::kStartDateInvalid,
        [](auto& c) { R(c)->set_start_date("2025-06-01"); }},
       {r::kEndDateInvalid, [](auto& c) { R(c)->set_end_date(""); }},
       {r::kConditionJobInvalid,
        [](auto& c) { R(c)->set_condition_job_id(""); }},
       {r::kRecurringIncreaseInvalid,
        [](auto& c) { R(c)->clear_recurring_increase(); }},
       {r::kScheduleInvalid,
        [](auto& c) { R(c)->clear_installment_schedule(); }},
       {r::kCustomerNotFound, [](auto& c) { c.set_customer_id("C1"); }},
       {r::kContractNotFound, [](auto& c) { R(c)->set_contract_ref("K1"); }},
       {r::kArticleNotFound, [](auto& c) { R(c)->set_article_code("MAINT"); }},
       {r::kStartOutsideContract,
        [](auto& c) { R(c)->set_start_date("2026-01-01"); }}});
}

// The period options: a usage rule given a periodicity, period days, an
// advance timing, a billing day, no_proration and a kind by its short name.
TEST_F(ContractRejectionsTest, CreateRulePeriodOptions) {
  namespace r = create_rule;
  CreateContract("2026-01-01");
  v1::ContractCommand c =
      RuleCommand("U1", v1::RULE_TYPE_USAGE, v1::BILLING_TIMING_IN_ADVANCE);
  R(c)->set_unit_price_micros(0);
  R(c)->set_periodicity(v1::PERIODICITY_DAYS);
  R(c)->set_period_days(5);
  R(c)->set_billing_day(40);
  R(c)->set_no_proration(true);
  R(c)->add_usage_kinds("VOICE");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kPeriodicityInvalid,
        [](auto& c) { R(c)->set_periodicity(v1::PERIODICITY_UNSPECIFIED); }},
       {r::kPeriodDaysInvalid, [](auto& c) { R(c)->set_period_days(0); }},
       {r::kTimingInvalid,
        [](auto& c) { R(c)->set_timing(v1::BILLING_TIMING_IN_ARREARS); }},
       {r::kBillingDayInvalid, [](auto& c) { R(c)->set_billing_day(0); }},
       {r::kProrationInvalid, [](auto& c) { R(c)->set_no_proration(false); }},
       {r::kUsageKindsInvalid,
        [](auto& c) { R(c)->set_usage_kinds(0, "USAGE_KIND_VOICE"); }}});
}

TEST_F(ContractRejectionsTest, CreateRuleAgainstTheContractAndSchedule) {
  namespace r = create_rule;
  CreateContract("2026-01-01");
  v1::ContractCommand c =
      RuleCommand("R1", v1::RULE_TYPE_FLAT, v1::BILLING_TIMING_IN_ADVANCE);
  Run(c);
  // Contract K2 ends on 2026-12-31.
  Run(Cmd(R"pb(customer_id: "C1"
               create_contract {
                 contract {
                   contract_ref: "K2"
                   contract_family: "MAINT"
                   billing_family: "SERV"
                   start_date: "2026-01-01"
                   end_date: "2026-12-31"
                 }
               })pb"));
  R(c)->set_end_date("2027-06-30");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kAlreadyExists, [](auto& c) { R(c)->set_contract_ref("K2"); }},
       {r::kEndOutsideContract,
        [](auto& c) {
          // An installment schedule over the fiscal year, its fee over the
          // largest unit price in EUR (10^11 EUR).
          v1::BillingRule* rule = R(c);
          rule->set_end_date("2026-12-31");
          rule->set_rule_type(v1::RULE_TYPE_INSTALLMENT_SCHEDULE);
          rule->set_unit_price_micros(0);
          rule->set_periodicity(v1::PERIODICITY_QUARTERLY);
          rule->mutable_installment_schedule()->set_fee_minor(
              100'000'000'000'000);
        }},
       {r::kFeeOverUnitPrice,
        [](auto& c) {
          auto* sched = R(c)->mutable_installment_schedule();
          sched->set_fee_minor(1200);
          auto* inst = sched->add_installments();
          inst->set_due_date("2026-01-01");
          inst->set_amount_minor(1000);
        }},
       {r::kInstallmentsMismatch, [](auto& c) {
          R(c)->mutable_installment_schedule()
              ->mutable_installments(0)
              ->set_amount_minor(1200);
        }}});
}

TEST_F(ContractRejectionsTest, SetRuleDates) {
  namespace r = set_rule_dates;
  GivenRules();
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  auto d = [](v1::ContractCommand& c) { return c.mutable_set_rule_dates(); };
  d(c)->set_contract_ref("K 1");
  d(c)->set_next_theoretical_date("2026-02-30");
  d(c)->set_last_invoice_ref("bad ref");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kContractRefInvalid, [&](auto& c) { d(c)->set_contract_ref("K9"); }},
       {r::kRuleIdInvalid, [&](auto& c) { d(c)->set_rule_id("R9"); }},
       {r::kNextDateInvalid,
        [&](auto& c) { d(c)->set_next_theoretical_date("2026-02-15"); }},
       {r::kLastInvoiceDateInvalid,
        [&](auto& c) { d(c)->set_last_invoice_date("2026-01-01"); }},
       {r::kLastInvoiceRefInvalid,
        [&](auto& c) { d(c)->set_last_invoice_ref("OLD-1"); }},
       {r::kCustomerNotFound, [](auto& c) { c.set_customer_id("C1"); }},
       {r::kContractNotFound, [&](auto& c) { d(c)->set_contract_ref("K1"); }},
       {r::kRuleNotFound, [&](auto& c) { d(c)->set_rule_id("R1"); }},
       {r::kNotABillingDate,
        [&](auto& c) { d(c)->set_next_theoretical_date("2026-02-01"); }}});
}

TEST_F(ContractRejectionsTest, RecordRuleBilled) {
  namespace r = record_rule_billed;
  GivenRules();
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "HELD"
                   rule_type: RULE_TYPE_FLAT
                   object_ids: "M1"
                   article_code: "MAINT"
                   unit_price_micros: 1000000
                   periodicity: PERIODICITY_MONTHLY
                   timing: BILLING_TIMING_IN_ARREARS
                   condition_job_id: "J1"
                 }
               })pb"));
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  auto b = [](v1::ContractCommand& c) {
    return c.mutable_record_rule_billed();
  };
  b(c)->set_invoice_ref("bad ref");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kContractRefInvalid, [&](auto& c) { b(c)->set_contract_ref("K9"); }},
       {r::kRuleIdInvalid, [&](auto& c) { b(c)->set_rule_id("R9"); }},
       {r::kPeriodStartInvalid,
        [&](auto& c) { b(c)->set_period_start("2026-02-01"); }},
       {r::kInvoiceRefInvalid, [&](auto& c) { b(c)->set_invoice_ref("F-1"); }},
       {r::kInvoiceDateInvalid,
        [&](auto& c) { b(c)->set_invoice_date("2026-01-15"); }},
       {r::kCustomerNotFound, [](auto& c) { c.set_customer_id("C1"); }},
       {r::kContractNotFound, [&](auto& c) { b(c)->set_contract_ref("K1"); }},
       {r::kRuleNotFound, [&](auto& c) { b(c)->set_rule_id("HELD"); }},
       {r::kPeriodNotNext,
        [&](auto& c) { b(c)->set_period_start("2026-01-01"); }},
       {r::kPeriodNotBillableYet,
        [&](auto& c) { b(c)->set_invoice_date("2026-02-01"); }},
       {r::kRuleHeld, [&](auto&) {
          Run(Cmd(R"pb(customer_id: "C1"
                       complete_job {
                         job { job_id: "J1" completed_on: "2026-01-20" }
                       })pb"));
        }}});
}

TEST_F(ContractRejectionsTest, RecordRuleBilledReadingAnomaly) {
  namespace r = record_rule_billed;
  GivenRules();
  v1::ContractCommand c = Cmd(R"pb(customer_id: "C1"
                                   record_rule_billed {
                                     contract_ref: "K1"
                                     rule_id: "METER"
                                     period_start: "2026-01-01"
                                     invoice_ref: "F-1"
                                     invoice_date: "2026-02-01"
                                   })pb");
  ExpectPrecedence(r::kOrder, c,
                   {{r::kReadingAnomaly, [&](auto&) {
                       Run(Cmd(R"pb(customer_id: "C1"
                                    record_reading {
                                      reading {
                                        contract_ref: "K1"
                                        rule_id: "METER"
                                        object_id: "M1"
                                        reading_date: "2026-01-01"
                                        kind: READING_KIND_INSTALLATION
                                      }
                                    })pb"));
                     }}});
}

v1::Reading* Rd(v1::ContractCommand& c) {
  return c.mutable_record_reading()->mutable_reading();
}

TEST_F(ContractRejectionsTest, RecordReading) {
  namespace r = record_reading;
  GivenRules();
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  Rd(c)->set_object_id("M 1");
  Rd(c)->set_value_milli(-1);
  Rd(c)->set_old_meter_final_value_milli(1);
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kContractRefInvalid, [](auto& c) { Rd(c)->set_contract_ref("K9"); }},
       {r::kRuleIdInvalid, [](auto& c) { Rd(c)->set_rule_id("R1"); }},
       {r::kObjectIdInvalid, [](auto& c) { Rd(c)->set_object_id("M2"); }},
       {r::kDateInvalid,
        [](auto& c) { Rd(c)->set_reading_date("2026-02-01"); }},
       {r::kKindInvalid,
        [](auto& c) { Rd(c)->set_kind(v1::READING_KIND_REGULAR); }},
       {r::kValueInvalid, [](auto& c) { Rd(c)->set_value_milli(500'000); }},
       {r::kOldMeterValueInvalid,
        [](auto& c) { Rd(c)->clear_old_meter_final_value_milli(); }},
       {r::kCustomerNotFound, [](auto& c) { c.set_customer_id("C1"); }},
       {r::kContractNotFound, [](auto& c) { Rd(c)->set_contract_ref("K1"); }},
       {r::kRuleTypeMismatch, [](auto& c) { Rd(c)->set_rule_id("METER"); }},
       {r::kObjectNotCovered, [](auto& c) { Rd(c)->set_object_id("M1"); }},
       {r::kKindOutOfSequence,
        [&](auto& c) {
          v1::ContractCommand install = c;
          Rd(install)->set_kind(v1::READING_KIND_INSTALLATION);
          Rd(install)->set_reading_date("2026-03-01");
          Rd(install)->set_value_milli(1'000'000);
          Run(install);
        }},
       {r::kDateBeforeLatest,
        [](auto& c) { Rd(c)->set_reading_date("2026-04-01"); }},
       {r::kValueBelowPrevious,
        [](auto& c) {
          Rd(c)->set_kind(v1::READING_KIND_REPLACEMENT);
          Rd(c)->set_old_meter_final_value_milli(1);
        }},
       {r::kOldMeterValueBelowLatest,
        [](auto& c) { Rd(c)->set_old_meter_final_value_milli(1'200'000); }}});
}

TEST_F(ContractRejectionsTest, RecordWorkUnits) {
  namespace r = record_work_units;
  GivenRules();
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  auto u = [](v1::ContractCommand& c) {
    return c.mutable_record_work_units()->mutable_units();
  };
  u(c)->set_note("a\x01");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kContractRefInvalid, [&](auto& c) { u(c)->set_contract_ref("K9"); }},
       {r::kRuleIdInvalid, [&](auto& c) { u(c)->set_rule_id("R9"); }},
       {r::kWorkDateInvalid,
        [&](auto& c) { u(c)->set_work_date("2025-12-31"); }},
       {r::kQuantityInvalid, [&](auto& c) { u(c)->set_quantity_milli(2000); }},
       {r::kNoteInvalid, [&](auto& c) { u(c)->set_note("Repairs"); }},
       {r::kCustomerNotFound, [](auto& c) { c.set_customer_id("C1"); }},
       {r::kContractNotFound, [&](auto& c) { u(c)->set_contract_ref("K1"); }},
       {r::kRuleNotFound, [&](auto& c) { u(c)->set_rule_id("R1"); }},
       {r::kRuleTypeMismatch, [&](auto& c) { u(c)->set_rule_id("WORK"); }},
       {r::kDateOutsideRule,
        [&](auto& c) { u(c)->set_work_date("2026-01-05"); }}});
}

TEST_F(ContractRejectionsTest, RecordTime) {
  namespace r = record_time;
  GivenRules();
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  auto t = [](v1::ContractCommand& c) {
    return c.mutable_record_time()->mutable_entry();
  };
  t(c)->set_hours_milli(25'000);
  t(c)->set_note("a\x01");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kContractRefInvalid, [&](auto& c) { t(c)->set_contract_ref("K9"); }},
       {r::kRuleIdInvalid, [&](auto& c) { t(c)->set_rule_id("R9"); }},
       {r::kPersonIdInvalid, [&](auto& c) { t(c)->set_person_id("P1"); }},
       {r::kWorkDateInvalid,
        [&](auto& c) { t(c)->set_work_date("2025-12-31"); }},
       {r::kHoursInvalid, [&](auto& c) { t(c)->set_hours_milli(1500); }},
       {r::kNoteInvalid, [&](auto& c) { t(c)->set_note("Visit"); }},
       {r::kCustomerNotFound, [](auto& c) { c.set_customer_id("C1"); }},
       {r::kContractNotFound, [&](auto& c) { t(c)->set_contract_ref("K1"); }},
       {r::kRuleNotFound, [&](auto& c) { t(c)->set_rule_id("R1"); }},
       {r::kRuleTypeMismatch, [&](auto& c) { t(c)->set_rule_id("TIME"); }},
       {r::kDateOutsideRule,
        [&](auto& c) { t(c)->set_work_date("2026-01-05"); }}});
}

TEST_F(ContractRejectionsTest, CompleteJob) {
  namespace r = complete_job;
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  auto j = [](v1::ContractCommand& c) {
    return c.mutable_complete_job()->mutable_job();
  };
  j(c);
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kJobIdInvalid, [&](auto& c) { j(c)->set_job_id("J1"); }},
       {r::kCompletedOnInvalid,
        [&](auto& c) { j(c)->set_completed_on("2026-01-05"); }},
       {r::kCustomerNotFound,
        [&](auto& c) {
          c.set_customer_id("C1");
          Run(c);
        }},
       {r::kAlreadyCompleted, [&](auto& c) { j(c)->set_job_id("J2"); }}});
}

v1::PriceIncrease* Inc(v1::ContractCommand& c) {
  return c.mutable_schedule_increase()->mutable_increase();
}

TEST_F(ContractRejectionsTest, ScheduleIncreaseFields) {
  namespace r = schedule_increase;
  GivenRules();
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  Inc(c)->mutable_syntec()->set_a_micros(1);
  Inc(c)->set_new_index_micros(1);
  Inc(c)->set_percent_bp(-1);
  Inc(c)->set_reason("a\x01");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kContractRefInvalid,
        [](auto& c) { c.mutable_schedule_increase()->set_contract_ref("K9"); }},
       {r::kRuleIdInvalid,
        [](auto& c) { c.mutable_schedule_increase()->set_rule_id("TIME"); }},
       {r::kDateInvalid,
        [](auto& c) { Inc(c)->set_effective_date("2025-06-01"); }},
       {r::kKindInvalid,
        [](auto& c) { Inc(c)->set_kind(v1::INCREASE_KIND_CUSTOM_PERCENT); }},
       {r::kSyntecInvalid, [](auto& c) { Inc(c)->clear_syntec(); }},
       {r::kNewIndexInvalid, [](auto& c) { Inc(c)->set_new_index_micros(0); }},
       {r::kPercentInvalid, [](auto& c) { Inc(c)->set_percent_bp(300); }},
       {r::kReasonInvalid, [](auto& c) { Inc(c)->set_reason("Indexation"); }},
       {r::kCustomerNotFound, [](auto& c) { c.set_customer_id("C1"); }},
       {r::kContractNotFound,
        [](auto& c) { c.mutable_schedule_increase()->set_contract_ref("K1"); }},
       {r::kNoUnitPrice,
        [](auto& c) { c.mutable_schedule_increase()->set_rule_id("R1"); }},
       {r::kBeforeRuleStart,
        [](auto& c) { Inc(c)->set_effective_date("2026-06-01"); }}});
}

// A new price (how a price goes down): its price, no percent, a reason.
TEST_F(ContractRejectionsTest, ScheduleNewPrice) {
  namespace r = schedule_increase;
  GivenRules();
  v1::ContractCommand c;
  c.set_customer_id("C1");
  c.mutable_schedule_increase()->set_contract_ref("K1");
  c.mutable_schedule_increase()->set_rule_id("R1");
  Inc(c)->set_effective_date("2026-06-01");
  Inc(c)->set_kind(v1::INCREASE_KIND_NEW_PRICE);
  Inc(c)->set_new_price_micros(-1);
  Inc(c)->set_percent_bp(300);
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kNewPriceInvalid,
        [](auto& c) { Inc(c)->set_new_price_micros(95'000'000); }},
       {r::kPercentInvalid, [](auto& c) { Inc(c)->set_percent_bp(0); }},
       {r::kReasonInvalid,
        [](auto& c) { Inc(c)->set_reason("renegotiated"); }}});
}

TEST_F(ContractRejectionsTest, ScheduleIncreaseAgainstThePrice) {
  namespace r = schedule_increase;
  GivenRules();
  v1::ContractCommand c = Cmd(R"pb(customer_id: "C1"
                                   schedule_increase {
                                     contract_ref: "K1"
                                     rule_id: "R1"
                                     increase {
                                       effective_date: "2026-06-01"
                                       kind: INCREASE_KIND_COMPANY_MARKUP
                                     }
                                   })pb");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kNoMarkup,
        [](auto& c) {
          // A Syntec increase on a rule without a reference index.
          Inc(c)->set_kind(v1::INCREASE_KIND_SYNTEC);
          Inc(c)->mutable_syntec()->set_a_micros(150'000);
          Inc(c)->mutable_syntec()->set_b_micros(850'000);
        }},
       {r::kNoReferenceIndex,
        [](auto& c) {
          Inc(c)->mutable_syntec()->set_reference_index_micros(270'000'000);
        }},
       {r::kNoIndex,
        [&](auto& c) {
          // A rule at the largest unit price: any rise takes it over.
          v1::ContractCommand big = RuleCommand("BIG", v1::RULE_TYPE_FLAT,
                                                v1::BILLING_TIMING_IN_ADVANCE);
          R(big)->set_unit_price_micros(kUnitPriceMicrosMax);
          Run(big);
          c.mutable_schedule_increase()->set_rule_id("BIG");
          Inc(c)->set_new_index_micros(280'500'000);
        }},
       {r::kPriceOverMax,
        [](auto& c) { c.mutable_schedule_increase()->set_rule_id("R1"); }}});
}

TEST_F(ContractRejectionsTest, ApplyAnniversaryIncreases) {
  namespace r = apply_anniversary_increases;
  GivenRules();
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  auto a = [](v1::ContractCommand& c) {
    return c.mutable_apply_anniversary_increases();
  };
  a(c)->set_contract_ref("K 1");
  a(c)->set_rule_id("R9");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kAsOfDateInvalid,
        [&](auto& c) { a(c)->set_as_of_date("2027-06-01"); }},
       {r::kContractRefInvalid, [&](auto& c) { a(c)->set_contract_ref(""); }},
       {r::kRuleIdInvalid, [&](auto& c) { a(c)->set_contract_ref("K9"); }},
       {r::kCustomerNotFound, [](auto& c) { c.set_customer_id("C1"); }},
       {r::kContractNotFound, [&](auto& c) { a(c)->set_contract_ref("K1"); }},
       {r::kRuleNotFound,
        [&](auto& c) {
          // A rule with a 3 % policy, but an anniversary only in 2027.
          a(c)->set_rule_id("UP");
          v1::ContractCommand up = RuleCommand("UP", v1::RULE_TYPE_FLAT,
                                               v1::BILLING_TIMING_IN_ADVANCE);
          auto* policy = R(up)->mutable_recurring_increase();
          policy->set_kind(v1::INCREASE_KIND_CUSTOM_PERCENT);
          policy->set_percent_bp(300);
          Run(up);
          a(c)->set_as_of_date("2026-06-01");
        }},
       {r::kNothingPending,
        [&](auto& c) { a(c)->set_as_of_date("2027-01-10"); }}});
}

TEST_F(ContractRejectionsTest, ApplyAnniversaryThatCannotBeComputed) {
  namespace r = apply_anniversary_increases;
  GivenRules();
  v1::ContractCommand up =
      RuleCommand("UP", v1::RULE_TYPE_FLAT, v1::BILLING_TIMING_IN_ADVANCE);
  auto* policy = R(up)->mutable_recurring_increase();
  policy->set_kind(v1::INCREASE_KIND_COMPANY_MARKUP);
  Run(up);
  v1::ContractCommand c = Cmd(R"pb(customer_id: "C1"
                                   apply_anniversary_increases {
                                     as_of_date: "2027-01-10"
                                     contract_ref: "K1"
                                     rule_id: "UP"
                                   })pb");
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kNotComputable, [&](auto&) {
          Run(Cmd(R"pb(customer_id: "@reference"
                       set_company_markup {
                         markup { effective_date: "2026-01-01" percent_bp: 300 }
                       })pb"));
        }}});
}

TEST_F(ContractRejectionsTest, CancelIncrease) {
  namespace r = cancel_increase;
  GivenRules();
  Run(Cmd(R"pb(customer_id: "C1"
               schedule_increase {
                 contract_ref: "K1"
                 rule_id: "R1"
                 increase {
                   effective_date: "2026-06-01"
                   kind: INCREASE_KIND_CUSTOM_PERCENT
                   percent_bp: 300
                 }
               })pb"));
  v1::ContractCommand c;
  c.set_customer_id("@reference");
  auto x = [](v1::ContractCommand& c) { return c.mutable_cancel_increase(); };
  x(c);
  ExpectPrecedence(
      r::kOrder, c,
      {{r::kCustomerIdInvalid, [](auto& c) { c.set_customer_id("C9"); }},
       {r::kContractRefInvalid, [&](auto& c) { x(c)->set_contract_ref("K9"); }},
       {r::kRuleIdInvalid, [&](auto& c) { x(c)->set_rule_id("R9"); }},
       {r::kSeqInvalid, [&](auto& c) { x(c)->set_seq(2); }},
       {r::kReasonInvalid, [&](auto& c) { x(c)->set_reason("Agreed"); }},
       {r::kCustomerNotFound, [](auto& c) { c.set_customer_id("C1"); }},
       {r::kContractNotFound, [&](auto& c) { x(c)->set_contract_ref("K1"); }},
       {r::kRuleNotFound, [&](auto& c) { x(c)->set_rule_id("R1"); }},
       {r::kIncreaseNotFound,
        [&](auto& c) {
          x(c)->set_seq(1);
          Run(c);
        }},
       {r::kAlreadyCancelled, [&](auto& c) {
          x(c)->set_seq(2);
          Run(Cmd(R"pb(customer_id: "C1"
                       schedule_increase {
                         contract_ref: "K1"
                         rule_id: "R1"
                         increase {
                           effective_date: "2026-07-01"
                           kind: INCREASE_KIND_CUSTOM_PERCENT
                           percent_bp: 200
                         }
                       })pb"));
        }}});
}

}  // namespace
}  // namespace billing
