// Not formatted by clang-format: the text protos here are R"pb(...)pb"
// pieces joined by StrCat, which clang-format 14's text-proto reflow
// changes (" MAINT " for "MAINT"), whatever RawStringFormats says.
// clang-format off
// Contracts, rules, reference data and their rejections, as domain tests:
// given events (applied through ApplyRecord), when a command is decided,
// then these events or this rejection, with nothing changed.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/prices.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/unit/engine/contracts_fixture.h"

namespace billing {
namespace {

using ::testing::HasSubstr;
using Code = absl::StatusCode;

// A flat monthly rule R1 on K1, 100.000000 per month in advance.
const char* const kFlatRule = R"pb(
  customer_id: "C1"
  create_rule {
    rule {
      contract_ref: "K1"
      rule_id: "R1"
      label: "Monthly maintenance"
      rule_type: RULE_TYPE_FLAT
      object_ids: "EQ-1"
      article_code: "MAINT"
      unit_price_micros: 100000000
      cost_price_micros: 60000000
      periodicity: PERIODICITY_MONTHLY
      timing: BILLING_TIMING_IN_ADVANCE
      start_date: "2026-01-15"
    }
  })pb";

void ExpectSameEvent(const v1::EventEnvelope& got, const std::string& text) {
  const auto expected = ParseTextOrDie<v1::EventEnvelope>(text);
  std::string diff;
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  EXPECT_TRUE(d.Compare(expected, got)) << diff << "got:\n"
                                        << got.DebugString();
}

// --- Reference data --------------------------------------------------------

TEST_F(ContractsTest, DefineArticleVersionsEachDefinition) {
  auto events = When(Cmd(R"pb(customer_id: "@reference"
                              define_article {
                                article {
                                  article_code: "MAINT"
                                  label: "Maintenance (new label)"
                                  vat_rate_bp: 550
                                }
                              })pb"));
  ASSERT_TRUE(events.ok()) << events.status();
  ExpectSameEvent((*events)[0], R"pb(
    type: "contract.article_defined"
    customer_id: "@reference"
    effective_date: "2026-01-10"
    schema_version: 1
    contract {
      article_defined {
        article {
          article_code: "MAINT"
          label: "Maintenance (new label)"
          vat_rate_bp: 550
          version: 2
        }
      }
    })pb");
}

TEST_F(ContractsTest, ReferenceCommandsGoToTheReferencePartition) {
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          define_article {
                            article {
                              article_code: "X"
                              label: "X"
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "customer_id: \"C1\": articles, index publications, the "
                 "company markup and hourly rates go to the partition "
                 "\"@reference\"");
  ExpectRejected(Cmd(R"pb(customer_id: "@reference"
                          create_contract {
                            contract { contract_ref: "K1" }
                          })pb"),
                 Code::kInvalidArgument,
                 "customer_id: \"@reference\" holds reference data only; "
                 "this command goes to the holder's customer code");
}

TEST_F(ContractsTest, PublishIndexTwiceForOneDateIsAlreadyExists) {
  const auto publish = Cmd(R"pb(customer_id: "@reference"
                                publish_index {
                                  publication {
                                    index_code: "SYNTEC"
                                    publication_date: "2026-01-01"
                                    value_micros: 270000000
                                  }
                                })pb");
  Run(publish);
  ExpectRejected(publish, Code::kAlreadyExists,
                 "publication.publication_date: index \"SYNTEC\" already has "
                 "a value for 2026-01-01 (270.000000)");
}

TEST_F(ContractsTest, ReferenceBadInput) {
  ExpectRejected(Cmd(R"pb(customer_id: "@reference"
                          define_article {
                            article {
                              article_code: "A"
                              label: "A"
                              vat_rate_bp: 10001
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "article.vat_rate_bp: 10001 is not between 0 and 10000 "
                 "basis points (0 % to 100 %)");
  ExpectRejected(Cmd(R"pb(customer_id: "@reference"
                          publish_index {
                            publication {
                              index_code: "SYNTEC"
                              publication_date: "2026-01-01"
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "publication.value_micros: 0.000000 is not positive");
  ExpectRejected(Cmd(R"pb(customer_id: "@reference"
                          set_company_markup {
                            markup { effective_date: "2026-13-01" }
                          })pb"),
                 Code::kInvalidArgument,
                 "markup.effective_date: \"2026-13-01\" is not a date "
                 "YYYY-MM-DD");
  ExpectRejected(Cmd(R"pb(customer_id: "@reference"
                          set_hourly_rate {
                            rate {
                              person_id: "P1"
                              effective_date: "2026-01-01"
                              rate_micros: -1
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "rate.rate_micros: -0.000001 is negative");
}

// Index values and hourly rates over their maximum.
TEST_F(ContractsTest, ReferenceValuesOverTheirMaximum) {
  ExpectRejected(Cmd(R"pb(customer_id: "@reference"
                          publish_index {
                            publication {
                              index_code: "SYNTEC"
                              publication_date: "2026-01-01"
                              value_micros: 9223372036854775807
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "publication.value_micros: 9223372036854775807 is over the "
                 "maximum 1000000000000");
  ExpectRejected(Cmd(R"pb(customer_id: "@reference"
                          set_hourly_rate {
                            rate {
                              person_id: "P1"
                              effective_date: "2026-01-01"
                              rate_micros: 9223372036854775807
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "rate.rate_micros: 9223372036854775807 is over the maximum "
                 "100000000000000000");
  Run(Cmd(R"pb(customer_id: "@reference"
               publish_index {
                 publication {
                   index_code: "SYNTEC"
                   publication_date: "2026-01-01"
                   value_micros: 1000000000000
                 }
               })pb"));
}

// --- Contracts --------------------------------------------------------------

TEST_F(ContractsTest, CreateContractWithBillToParty) {
  CreateCustomer("PAYER");
  auto events = When(Cmd(R"pb(customer_id: "C1"
                              create_contract {
                                contract {
                                  contract_ref: "K1"
                                  holder_id: "ignored"
                                  contract_family: "MAINT"
                                  billing_family: "SERV"
                                  site_code: "PARIS-2"
                                  start_date: "2026-01-01"
                                  end_date: "2028-12-31"
                                  bill_to {
                                    party_id: "PAYER"
                                    mode: BILL_TO_MODE_POST_TO_BILL_TO
                                  }
                                }
                              })pb"));
  ASSERT_TRUE(events.ok()) << events.status();
  ExpectSameEvent((*events)[0], R"pb(
    type: "contract.contract_created"
    customer_id: "C1"
    effective_date: "2026-01-10"
    schema_version: 1
    contract {
      contract_created {
        contract {
          contract_ref: "K1"
          holder_id: "C1"
          contract_family: "MAINT"
          billing_family: "SERV"
          site_code: "PARIS-2"
          start_date: "2026-01-01"
          end_date: "2028-12-31"
          bill_to { party_id: "PAYER" mode: BILL_TO_MODE_POST_TO_BILL_TO }
          created_on: "2026-01-10"
          version: 1
        }
      }
    })pb");
}

TEST_F(ContractsTest, ContractBadInputInPrecedenceOrder) {
  // The end before the start is named even though the bill-to is wrong too.
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          create_contract {
                            contract {
                              contract_ref: "K1"
                              contract_family: "F"
                              billing_family: "B"
                              start_date: "2026-01-01"
                              end_date: "2025-12-31"
                              bill_to { party_id: "NOBODY" }
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "contract.end_date: 2025-12-31 is before the start "
                 "2026-01-01");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          create_contract {
                            contract {
                              contract_ref: "K1"
                              contract_family: "F"
                              billing_family: "B"
                              start_date: "2026-01-01"
                              bill_to { party_id: "NOBODY" }
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "contract.bill_to.mode: is required with a bill-to party "
                 "(invoice the bill-to party, or post to it)");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          create_contract {
                            contract {
                              contract_ref: "K1"
                              contract_family: "F"
                              billing_family: "B"
                              start_date: "2026-01-01"
                              bill_to {
                                party_id: "NOBODY"
                                mode: BILL_TO_MODE_INVOICE_BILL_TO
                              }
                            }
                          })pb"),
                 Code::kNotFound,
                 "contract.bill_to.party_id: \"NOBODY\" is not a customer");
  ExpectRejected(Cmd(R"pb(customer_id: "C9"
                          create_contract {
                            contract {
                              contract_ref: "K1"
                              contract_family: "F"
                              billing_family: "B"
                              start_date: "2026-01-01"
                            }
                          })pb"),
                 Code::kNotFound, "customer_id: \"C9\" does not exist");
  CreateContract();
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          create_contract {
                            contract {
                              contract_ref: "K1"
                              contract_family: "F"
                              billing_family: "B"
                              start_date: "2026-01-01"
                            }
                          })pb"),
                 Code::kAlreadyExists,
                 "contract.contract_ref: \"K1\" already exists for customer "
                 "\"C1\"");
}

// --- Rules ------------------------------------------------------------------

TEST_F(ContractsTest, CreateRuleSetsTheNextTheoreticalDate) {
  CreateContract();
  auto answer = Run(Cmd(kFlatRule));
  const v1::BillingRule& r = answer.rule();
  EXPECT_EQ(r.next_theoretical_date(), "2026-01-15");
  EXPECT_EQ(r.last_theoretical_date(), "");
  EXPECT_EQ(r.last_invoice_date(), "");
  EXPECT_EQ(r.quantity_milli(), 1000);  // a flat rule bills 1 by default
  EXPECT_EQ(r.created_on(), "2026-01-10");
  EXPECT_EQ(r.version(), 1u);
  EXPECT_EQ(answer.events(), 1);
}

TEST_F(ContractsTest, RuleStartDefaultsToTheContractsAndArrearsFirstDate) {
  CreateContract("2026-01-01");
  auto answer = Run(Cmd(R"pb(customer_id: "C1"
                             create_rule {
                               rule {
                                 contract_ref: "K1"
                                 rule_id: "Q"
                                 rule_type: RULE_TYPE_FLAT
                                 object_ids: "EQ-1"
                                 article_code: "MAINT"
                                 unit_price_micros: 300000000
                                 periodicity: PERIODICITY_QUARTERLY
                                 timing: BILLING_TIMING_IN_ARREARS
                               }
                             })pb"));
  EXPECT_EQ(answer.rule().start_date(), "2026-01-01");
  EXPECT_EQ(answer.rule().next_theoretical_date(), "2026-04-01");
}

struct BadRule {
  std::string test_name;
  std::string text;  // fields of `rule` besides contract_ref and rule_id
  absl::StatusCode code;
  std::string message;
};

// Names the case in test listings (gtest would print its bytes, which
// change with every build and so would ctest's test names).
void PrintTo(const BadRule& c, std::ostream* os) { *os << c.test_name; }

class ContractRuleRejectsTest : public ContractsTest,
                              public ::testing::WithParamInterface<BadRule> {};

TEST_P(ContractRuleRejectsTest, NamesTheFieldAndChangesNothing) {
  CreateContract("2026-01-01");
  Run(Cmd(R"pb(customer_id: "C1"
               create_contract {
                 contract {
                   contract_ref: "K2"
                   contract_family: "F"
                   billing_family: "B"
                   start_date: "2026-01-01"
                   end_date: "2026-12-31"
                 }
               })pb"));
  ExpectRejected(Cmd(absl::StrCat(R"pb(customer_id: "C1"
                                       create_rule { rule { rule_id: "R1" )pb",
                                  GetParam().text, "}}")),
                 GetParam().code, GetParam().message);
}

constexpr char kValid[] = R"pb(
  rule_type: RULE_TYPE_FLAT object_ids: "EQ-1" article_code: "MAINT"
  unit_price_micros: 1000000 periodicity: PERIODICITY_MONTHLY
  timing: BILLING_TIMING_IN_ADVANCE
)pb";

std::string With(const std::string& extra, const std::string& base = kValid) {
  return base + " " + extra;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ContractRuleRejectsTest,
    ::testing::Values(
        BadRule{"MissingPeriodicity",
                R"pb(contract_ref: "K1" rule_type: RULE_TYPE_FLAT
                     object_ids: "EQ-1" article_code: "MAINT"
                     timing: BILLING_TIMING_IN_ADVANCE)pb",
                Code::kInvalidArgument,
                "rule.periodicity: is required (monthly, bimonthly, "
                "quarterly, half-yearly or yearly)"},
        BadRule{"NegativePrice",
                R"pb(contract_ref: "K1" rule_type: RULE_TYPE_FLAT
                     object_ids: "EQ-1" article_code: "MAINT"
                     unit_price_micros: -1000000
                     periodicity: PERIODICITY_MONTHLY
                     timing: BILLING_TIMING_IN_ADVANCE)pb",
                Code::kInvalidArgument,
                "rule.unit_price_micros: -1.000000 is negative"},
        BadRule{"NegativeCost",
                With(R"pb(contract_ref: "K1" cost_price_micros: -5)pb"),
                Code::kInvalidArgument,
                "rule.cost_price_micros: -0.000005 is negative"},
        BadRule{"EndBeforeStart",
                With(R"pb(contract_ref: "K1" start_date: "2026-03-01"
                          end_date: "2026-02-28")pb"),
                Code::kInvalidArgument,
                "rule.end_date: 2026-02-28 is before the start 2026-03-01"},
        BadRule{"NoObjects",
                R"pb(contract_ref: "K1" rule_type: RULE_TYPE_FLAT
                     article_code: "MAINT"
                     periodicity: PERIODICITY_MONTHLY)pb",
                Code::kInvalidArgument,
                "rule.object_ids: is required (at least one object or "
                "equipment line)"},
        BadRule{"ObjectTwice", With(R"pb(contract_ref: "K1"
                                        object_ids: "EQ-1")pb"),
                Code::kInvalidArgument,
                "rule.object_ids[1]: \"EQ-1\" is listed twice"},
        BadRule{"NoType",
                R"pb(contract_ref: "K1" object_ids: "EQ-1")pb",
                Code::kInvalidArgument,
                "rule.rule_type: is required (flat, consumed units, unit of "
                "work, time spent or installment schedule)"},
        BadRule{"FlatWithoutTiming",
                R"pb(contract_ref: "K1" rule_type: RULE_TYPE_FLAT
                     object_ids: "EQ-1" article_code: "MAINT"
                     periodicity: PERIODICITY_MONTHLY)pb",
                Code::kInvalidArgument,
                "rule.timing: is required for a flat rule (in advance or in "
                "arrears)"},
        BadRule{"MeteredInAdvance",
                R"pb(contract_ref: "K1" rule_type: RULE_TYPE_CONSUMED_UNITS
                     object_ids: "EQ-1" article_code: "MAINT"
                     periodicity: PERIODICITY_MONTHLY
                     timing: BILLING_TIMING_IN_ADVANCE)pb",
                Code::kInvalidArgument,
                "rule.timing: a consumed-units rule is billed in arrears: "
                "what is measured cannot be billed before it is"},
        BadRule{"TimeSpentWithPrice",
                R"pb(contract_ref: "K1" rule_type: RULE_TYPE_TIME_SPENT
                     object_ids: "EQ-1" article_code: "MAINT"
                     unit_price_micros: 5)pb",
                Code::kInvalidArgument,
                "rule.unit_price_micros: a time-spent rule is priced by each "
                "person's hourly rate; leave it 0"},
        BadRule{"SyntecCoefficientsNotOne",
                With(R"pb(contract_ref: "K1"
                          recurring_increase {
                            kind: INCREASE_KIND_SYNTEC
                            syntec {
                              a_micros: 150000
                              b_micros: 800000
                              reference_index_micros: 270000000
                            }
                          })pb"),
                Code::kInvalidArgument,
                "rule.recurring_increase.syntec.b_micros: a + b = 0.150000 + "
                "0.800000 = 0.950000, not 1"},
        BadRule{"SyntecWithoutReference",
                With(R"pb(contract_ref: "K1"
                          recurring_increase {
                            kind: INCREASE_KIND_SYNTEC
                            syntec { a_micros: 150000 b_micros: 850000 }
                          })pb"),
                Code::kInvalidArgument,
                "rule.recurring_increase.syntec.reference_index_micros: is "
                "required (the index value the price was agreed at), "
                "positive"},
        BadRule{"CustomPercentZero",
                With(R"pb(contract_ref: "K1"
                          recurring_increase {
                            kind: INCREASE_KIND_CUSTOM_PERCENT
                          })pb"),
                Code::kInvalidArgument,
                "rule.recurring_increase.percent_bp: 0 is not between 1 and "
                "100000 basis points (0.01 % to 1000.00 %)"},
        BadRule{"UnknownContract", With(R"pb(contract_ref: "K9")pb"),
                Code::kNotFound,
                "rule.contract_ref: \"K9\" is not a contract of customer "
                "\"C1\""},
        BadRule{"UnknownArticle",
                R"pb(contract_ref: "K1" rule_type: RULE_TYPE_FLAT
                     object_ids: "EQ-1" article_code: "NOPE"
                     periodicity: PERIODICITY_MONTHLY
                     timing: BILLING_TIMING_IN_ADVANCE)pb",
                Code::kNotFound,
                "rule.article_code: \"NOPE\" is not a defined article "
                "(define it in \"@reference\")"},
        BadRule{"StartsBeforeTheContract",
                With(R"pb(contract_ref: "K1" start_date: "2025-12-01")pb"),
                Code::kInvalidArgument,
                "rule.start_date: 2025-12-01 is before the contract's start "
                "2026-01-01"},
        BadRule{"EndsAfterTheContract",
                With(R"pb(contract_ref: "K2" end_date: "2027-01-31")pb"),
                Code::kInvalidArgument,
                "rule.end_date: 2027-01-31 is after the contract's end "
                "2026-12-31"},
        // Each value over its maximum is refused,
        // naming the field (engine/contracts/limits.h).
        BadRule{"QuantityOverTheMaximum",
                With(R"pb(contract_ref: "K1"
                          quantity_milli: 9223372036854775807)pb"),
                Code::kInvalidArgument,
                "rule.quantity_milli: 9223372036854775807 is over the "
                "maximum 1000000000000000"},
        BadRule{"PriceOverTheMaximum",
                R"pb(contract_ref: "K1" rule_type: RULE_TYPE_FLAT
                     object_ids: "EQ-1" article_code: "MAINT"
                     unit_price_micros: 9223372036854775807
                     periodicity: PERIODICITY_MONTHLY
                     timing: BILLING_TIMING_IN_ADVANCE)pb",
                Code::kInvalidArgument,
                "rule.unit_price_micros: 9223372036854775807 is over the "
                "maximum 100000000000000000"},
        BadRule{"CostOverTheMaximum",
                With(R"pb(contract_ref: "K1"
                          cost_price_micros: 100000000000000001)pb"),
                Code::kInvalidArgument,
                "rule.cost_price_micros: 100000000000000001 is over the "
                "maximum 100000000000000000"},
        BadRule{"SyntecReferenceOverTheMaximum",
                With(R"pb(contract_ref: "K1"
                          recurring_increase {
                            kind: INCREASE_KIND_SYNTEC
                            syntec {
                              a_micros: 150000
                              b_micros: 850000
                              reference_index_micros: 9223372036854775807
                            }
                          })pb"),
                Code::kInvalidArgument,
                "rule.recurring_increase.syntec.reference_index_micros: "
                "9223372036854775807 is over the maximum 1000000000000"},
        BadRule{"FeeOverTheMaximum",
                R"pb(contract_ref: "K2"
                     rule_type: RULE_TYPE_INSTALLMENT_SCHEDULE
                     object_ids: "FILE-2026" article_code: "MAINT"
                     periodicity: PERIODICITY_QUARTERLY
                     end_date: "2026-12-31"
                     installment_schedule {
                       fee_minor: 9223372036854775807
                     })pb",
                Code::kInvalidArgument,
                "rule.installment_schedule.fee_minor: 9223372036854775807 "
                "is over the maximum 1000000000000000"},
        BadRule{"InstallmentOverTheMaximum",
                R"pb(contract_ref: "K2"
                     rule_type: RULE_TYPE_INSTALLMENT_SCHEDULE
                     object_ids: "FILE-2026" article_code: "MAINT"
                     periodicity: PERIODICITY_QUARTERLY
                     end_date: "2026-12-31"
                     installment_schedule {
                       fee_minor: 100000
                       installments {
                         due_date: "2026-01-31"
                         amount_minor: 9223372036854775807
                       }
                       installments {
                         due_date: "2026-06-30"
                         amount_minor: 9223372036854775807
                       }
                     })pb",
                Code::kInvalidArgument,
                "rule.installment_schedule.installments[0].amount_minor: "
                "9223372036854775807 is over the maximum 1000000000000000"},
        // 100,000,000,000.01 EUR: under kAmountMinorMax cents, but over the
        // largest unit price an installment is billed at.
        BadRule{"FeeOverTheMaximumUnitPrice",
                R"pb(contract_ref: "K2"
                     rule_type: RULE_TYPE_INSTALLMENT_SCHEDULE
                     object_ids: "FILE-2026" article_code: "MAINT"
                     periodicity: PERIODICITY_QUARTERLY
                     end_date: "2026-12-31"
                     installment_schedule { fee_minor: 10000000000001 })pb",
                Code::kInvalidArgument,
                "rule.installment_schedule.fee_minor: 100000000000.01 EUR is "
                "over the maximum 100000000000.00 EUR (each installment is "
                "billed as one unit at a price of at most "
                "100000000000.000000)"},
        BadRule{"InstallmentsNotAddingUp",
                R"pb(contract_ref: "K2"
                     rule_type: RULE_TYPE_INSTALLMENT_SCHEDULE
                     object_ids: "FILE-2026" article_code: "MAINT"
                     periodicity: PERIODICITY_QUARTERLY
                     end_date: "2026-12-31"
                     installment_schedule {
                       fee_minor: 100000
                       installments { due_date: "2026-01-31" amount_minor: 50000 }
                       installments { due_date: "2026-06-30" amount_minor: 40000 }
                     })pb",
                Code::kInvalidArgument,
                "rule.installment_schedule.installments: add up to 900.00, "
                "not the fee 1000.00"}),
    [](const ::testing::TestParamInfo<BadRule>& info) {
      return info.param.test_name;
    });

// Two faults: the answer is the earlier one of the documented order
// (periodicity comes before the dates; the price before the periodicity).
TEST_F(ContractsTest, RuleRejectionPrecedence) {
  CreateContract();
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          create_rule {
                            rule {
                              contract_ref: "K1"
                              rule_id: "R1"
                              rule_type: RULE_TYPE_FLAT
                              object_ids: "EQ-1"
                              article_code: "MAINT"
                              unit_price_micros: -1
                              start_date: "2026-03-01"
                              end_date: "2026-01-01"
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "rule.unit_price_micros: -0.000001 is negative");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          create_rule {
                            rule {
                              contract_ref: "K1"
                              rule_id: "R1"
                              rule_type: RULE_TYPE_FLAT
                              object_ids: "EQ-1"
                              article_code: "MAINT"
                              start_date: "2026-03-01"
                              end_date: "2026-01-01"
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "rule.periodicity: is required (monthly, bimonthly, "
                 "quarterly, half-yearly or yearly)");
}

// Each maximum is itself accepted: a flat rule of 10^12 units at
// 100,000,000,000.000000, costed at the same.
TEST_F(ContractsTest, RuleValuesAtTheirMaximum) {
  CreateContract();
  v1::ContractCommand command = Cmd(kFlatRule);
  auto* rule = command.mutable_create_rule()->mutable_rule();
  rule->set_quantity_milli(kQuantityMilliMax);
  rule->set_unit_price_micros(kUnitPriceMicrosMax);
  rule->set_cost_price_micros(kUnitPriceMicrosMax);
  auto answer = Run(command);
  EXPECT_EQ(answer.rule().quantity_milli(), 1'000'000'000'000'000);
  EXPECT_EQ(answer.rule().unit_price_micros(), 100'000'000'000'000'000);
  rule->set_rule_id("R2");
  rule->set_quantity_milli(kQuantityMilliMax + 1);
  ExpectRejected(command, Code::kInvalidArgument,
                 "rule.quantity_milli: 1000000000000001 is over the maximum "
                 "1000000000000000");
}

TEST_F(ContractsTest, RuleObjectsAtTheLimit) {
  CreateContract();
  v1::ContractCommand command = Cmd(kFlatRule);
  auto* rule = command.mutable_create_rule()->mutable_rule();
  rule->clear_object_ids();
  for (int i = 0; i < kRuleObjectsMax; ++i) {
    rule->add_object_ids(absl::StrCat("EQ-", i));
  }
  EXPECT_TRUE(When(command).ok());
  rule->add_object_ids("EQ-one-too-many");
  ExpectRejected(command, Code::kInvalidArgument,
                 "rule.object_ids: has 1001 objects, at most 1000 allowed");
}

TEST_F(ContractsTest, DuplicateRuleIsAlreadyExists) {
  CreateContract();
  Run(Cmd(kFlatRule));
  ExpectRejected(Cmd(kFlatRule), Code::kAlreadyExists,
                 "rule.rule_id: \"R1\" already exists in contract \"K1\"");
}

// Even split: 1,000.00 over 12 months is 83.33 eleven times and 83.37 (the
// remainder 0.04 on the last installment).
TEST_F(ContractsTest, InstallmentEvenSplitPutsTheRemainderOnTheLast) {
  CreateContract();
  auto answer = Run(Cmd(R"pb(customer_id: "C1"
                             create_rule {
                               rule {
                                 contract_ref: "K1"
                                 rule_id: "FEE"
                                 rule_type: RULE_TYPE_INSTALLMENT_SCHEDULE
                                 object_ids: "FILE-2026"
                                 article_code: "MAINT"
                                 periodicity: PERIODICITY_MONTHLY
                                 start_date: "2026-01-01"
                                 end_date: "2026-12-31"
                                 installment_schedule { fee_minor: 100000 }
                               }
                             })pb"));
  const auto& s = answer.rule().installment_schedule();
  ASSERT_EQ(s.installments_size(), 12);
  EXPECT_TRUE(s.even_split());
  int64_t sum = 0;
  for (int i = 0; i < 11; ++i) {
    EXPECT_EQ(s.installments(i).amount_minor(), 8333);
    sum += s.installments(i).amount_minor();
  }
  EXPECT_EQ(s.installments(11).amount_minor(), 8337);
  EXPECT_EQ(sum + 8337, 100000);
  EXPECT_EQ(s.installments(0).due_date(), "2026-01-01");
  EXPECT_EQ(s.installments(11).due_date(), "2026-12-01");
  EXPECT_EQ(answer.rule().timing(), v1::BILLING_TIMING_IN_ADVANCE);
  EXPECT_EQ(answer.rule().next_theoretical_date(), "2026-01-01");
}

// 366 explicit installments (one a day over 2028, a leap year) are
// accepted; a 367th is refused.
TEST_F(ContractsTest, InstallmentsAtTheLimit) {
  CreateContract();
  v1::ContractCommand command = Cmd(R"pb(customer_id: "C1"
                                         create_rule {
                                           rule {
                                             contract_ref: "K1"
                                             rule_id: "DAILY"
                                             rule_type: RULE_TYPE_INSTALLMENT_SCHEDULE
                                             object_ids: "FILE"
                                             article_code: "MAINT"
                                             periodicity: PERIODICITY_MONTHLY
                                             start_date: "2028-01-01"
                                             end_date: "2028-12-31"
                                           }
                                         })pb");
  auto* sched =
      command.mutable_create_rule()->mutable_rule()->mutable_installment_schedule();
  for (absl::CivilDay d(2028, 1, 1); d <= absl::CivilDay(2028, 12, 31); ++d) {
    auto* inst = sched->add_installments();
    inst->set_due_date(FormatBusinessDate(d));
    inst->set_amount_minor(100);
  }
  ASSERT_EQ(sched->installments_size(), kInstallmentsMax);
  sched->set_fee_minor(100 * kInstallmentsMax);
  EXPECT_TRUE(When(command).ok());
  auto* extra = sched->add_installments();
  extra->set_due_date("2028-12-31");
  ExpectRejected(command, Code::kInvalidArgument,
                 "rule.installment_schedule.installments: has 367 "
                 "installments, at most 366 allowed");
}

// A rule carries at most kPriceHistoryMax increases.
TEST_F(ContractsTest, PriceHistoryAtTheLimit) {
  CreateContract();
  Run(Cmd(kFlatRule));
  v1::BillingRule rule = Rule("K1", "R1");
  for (int i = 0; i < kPriceHistoryMax; ++i) {
    v1::PriceChange* c = rule.add_price_history();
    c->set_seq(i + 1);
    c->set_effective_date("2026-02-01");
    c->set_kind(v1::INCREASE_KIND_CUSTOM_PERCENT);
    c->set_origin(v1::INCREASE_ORIGIN_ONE_OFF);
    c->set_percent_bp(1);
  }
  PutMessage(state_, RuleKey("C1", "K1", "R1"), rule);
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_CUSTOM_PERCENT
                              percent_bp: 300
                            }
                          })pb"),
                 Code::kFailedPrecondition,
                 "rule K1/R1 has 1000 increases, at most 1000 allowed");
}

// --- Readings ----------------------------------------------------------------

class ContractReadingsTest : public ContractsTest {
 protected:
  void SetUp() override {
    ContractsTest::SetUp();
    CreateContract();
    Run(Cmd(R"pb(customer_id: "C1"
                 create_rule {
                   rule {
                     contract_ref: "K1"
                     rule_id: "COPIES"
                     rule_type: RULE_TYPE_CONSUMED_UNITS
                     object_ids: "COPIER-1"
                     object_ids: "COPIER-2"
                     article_code: "MAINT"
                     unit_price_micros: 10000
                     periodicity: PERIODICITY_MONTHLY
                     start_date: "2026-01-01"
                   }
                 })pb"));
  }

  v1::ContractCommand Reading(const std::string& object,
                              const std::string& date, int64_t value,
                              const std::string& kind,
                              const std::string& extra = "") {
    return Cmd(absl::StrCat(
        R"pb(customer_id: "C1" record_reading { reading {
               contract_ref: "K1" rule_id: "COPIES" object_id: ")pb",
        object, "\" reading_date: \"", date, "\" value_milli: ", value,
        " kind: ", kind, " ", extra, "}}"));
  }
};

TEST_F(ContractReadingsTest, FirstReadingMustBeTheInstallation) {
  ExpectRejected(
      Reading("COPIER-1", "2026-01-05", 1000000, "READING_KIND_REGULAR"),
      Code::kInvalidArgument,
      "reading.kind: the first reading of object \"COPIER-1\" must be its "
      "installation reading");
}

TEST_F(ContractReadingsTest, ReadingForAnObjectTheRuleDoesNotCover) {
  ExpectRejected(
      Reading("PRINTER-9", "2026-01-05", 1000000,
              "READING_KIND_INSTALLATION"),
      Code::kInvalidArgument,
      "reading.object_id: \"PRINTER-9\" is not covered by rule \"COPIES\" "
      "(objects: COPIER-1, COPIER-2)");
}

TEST_F(ContractReadingsTest, ReadingsAreRecordedInDateOrder) {
  Run(Reading("COPIER-1", "2026-01-05", 1000000, "READING_KIND_INSTALLATION"));
  Run(Reading("COPIER-1", "2026-02-01", 1250000, "READING_KIND_REGULAR"));
  ExpectRejected(
      Reading("COPIER-1", "2026-01-20", 1100000, "READING_KIND_REGULAR"),
      Code::kInvalidArgument,
      "reading.reading_date: 2026-01-20 is before the object's latest "
      "reading #2 of 2026-02-01");
  ExpectRejected(
      Reading("COPIER-1", "2026-03-01", 1100000, "READING_KIND_INSTALLATION"),
      Code::kInvalidArgument,
      "reading.kind: object \"COPIER-1\" already has its installation "
      "reading; a new meter is a replacement");
}

TEST_F(ContractReadingsTest, ReadingOnAnotherKindOfRule) {
  Run(Cmd(kFlatRule));
  ExpectRejected(
      Cmd(R"pb(customer_id: "C1"
               record_reading {
                 reading {
                   contract_ref: "K1"
                   rule_id: "R1"
                   object_id: "EQ-1"
                   reading_date: "2026-01-05"
                   value_milli: 1
                   kind: READING_KIND_INSTALLATION
                 }
               })pb"),
      Code::kInvalidArgument,
      "reading.rule_id: rule \"R1\" is a flat rule; readings go to "
      "consumed-units rules");
}

TEST_F(ContractReadingsTest, ReadingBadValues) {
  ExpectRejected(
      Reading("COPIER-1", "2026-01-05", -1, "READING_KIND_INSTALLATION"),
      Code::kInvalidArgument, "reading.value_milli: -0.001 is negative");
  ExpectRejected(Reading("COPIER-1", "2026-01-05", 1,
                         "READING_KIND_INSTALLATION",
                         "old_meter_final_value_milli: 5"),
                 Code::kInvalidArgument,
                 "reading.old_meter_final_value_milli: only a meter "
                 "replacement has one");
}

// Readings over 10^12 units are refused; at it, accepted.
TEST_F(ContractReadingsTest, ReadingValuesOverTheMaximum) {
  ExpectRejected(Reading("COPIER-1", "2026-01-05", 9223372036854775807,
                         "READING_KIND_INSTALLATION"),
                 Code::kInvalidArgument,
                 "reading.value_milli: 9223372036854775807 is over the "
                 "maximum 1000000000000000");
  Run(Reading("COPIER-1", "2026-01-05", kReadingMilliMax,
              "READING_KIND_INSTALLATION"));
  ExpectRejected(Reading("COPIER-1", "2026-02-05", 0,
                         "READING_KIND_REPLACEMENT",
                         "old_meter_final_value_milli: 1000000000000001"),
                 Code::kInvalidArgument,
                 "reading.old_meter_final_value_milli: 1000000000000001 is "
                 "over the maximum 1000000000000000");
}

// The example: installation 1,000, 1,300 on 03-01, then
// 1,100 on 03-15 is refused (the meter went backwards), naming both values
// and dates; as a meter replacement the same value is taken.
TEST_F(ContractReadingsTest, ReadingBelowThePreviousIsRefused) {
  Run(Reading("COPIER-1", "2026-01-02", 1000000, "READING_KIND_INSTALLATION"));
  Run(Reading("COPIER-1", "2026-03-01", 1300000, "READING_KIND_REGULAR"));
  ExpectRejected(
      Reading("COPIER-1", "2026-03-15", 1100000, "READING_KIND_REGULAR"),
      Code::kFailedPrecondition,
      "reading.value_milli: 1100.000 on 2026-03-15 is below 1300.000 on "
      "2026-03-01 (reading #2, the previous reading of object COPIER-1); "
      "record a meter replacement if the meter was changed");
  // The same day as the previous reading: still below it.
  ExpectRejected(
      Reading("COPIER-1", "2026-03-01", 1299999, "READING_KIND_REGULAR"),
      Code::kFailedPrecondition,
      "reading.value_milli: 1299.999 on 2026-03-01 is below 1300.000 on "
      "2026-03-01 (reading #2, the previous reading of object COPIER-1); "
      "record a meter replacement if the meter was changed");
  // Another object's readings are its own.
  Run(Reading("COPIER-2", "2026-03-15", 5000, "READING_KIND_INSTALLATION"));
  // Unchanged is fine (nothing consumed), and so is a replacement.
  Run(Reading("COPIER-1", "2026-03-10", 1300000, "READING_KIND_REGULAR"));
  Run(Reading("COPIER-1", "2026-03-15", 1100000, "READING_KIND_REPLACEMENT"));
  // After it, the new meter's value is the one to stay above.
  ExpectRejected(
      Reading("COPIER-1", "2026-03-31", 1099000, "READING_KIND_REGULAR"),
      Code::kFailedPrecondition,
      "reading.value_milli: 1099.000 on 2026-03-31 is below 1100.000 on "
      "2026-03-15 (reading #4, the previous reading of object COPIER-1); "
      "record a meter replacement if the meter was changed");
  Run(Reading("COPIER-1", "2026-03-31", 1150000, "READING_KIND_REGULAR"));
}

TEST_F(ContractReadingsTest, ReadingAnswerCarriesItsSeqAndPosition) {
  auto answer = Run(
      Reading("COPIER-1", "2026-01-05", 1000000, "READING_KIND_INSTALLATION"));
  EXPECT_EQ(answer.reading().seq(), 1u);
  EXPECT_EQ(answer.reading().object_id(), "COPIER-1");
  EXPECT_EQ(answer.reading().position().offset(), next_offset_ - 1);
  auto meter = LoadMeter(state_, "C1", "COPIER-1");
  ASSERT_TRUE(meter.ok() && meter->has_value());
  EXPECT_EQ((*meter)->installed_value_milli(), 1000000);
  EXPECT_EQ((*meter)->readings(), 1u);
}

// --- Increases (commands) ---------------------------------------------------

class ContractIncreaseCommandsTest : public ContractsTest {
 protected:
  void SetUp() override {
    ContractsTest::SetUp();
    CreateContract();
    Run(Cmd(kFlatRule));
  }
};

TEST_F(ContractIncreaseCommandsTest, SyntecOneOffRecordsOldAndNewPrices) {
  Run(Cmd(R"pb(customer_id: "@reference"
               publish_index {
                 publication {
                   index_code: "SYNTEC"
                   publication_date: "2026-06-01"
                   value_micros: 280500000
                 }
               })pb"));
  auto answer = Run(Cmd(R"pb(customer_id: "C1"
                             schedule_increase {
                               contract_ref: "K1"
                               rule_id: "R1"
                               increase {
                                 effective_date: "2026-07-01"
                                 kind: INCREASE_KIND_SYNTEC
                                 syntec {
                                   a_micros: 150000
                                   b_micros: 850000
                                   reference_index_micros: 270000000
                                 }
                                 reason: "Syntec revision 2026"
                               }
                             })pb"));
  ASSERT_EQ(answer.increases_size(), 1);
  const v1::PriceChange& c = answer.increases(0).change();
  EXPECT_EQ(c.seq(), 1u);
  EXPECT_EQ(c.old_price_micros(), 100000000);
  EXPECT_EQ(c.new_price_micros(), 103305556);
  EXPECT_EQ(c.new_index_micros(), 280500000);
  EXPECT_EQ(c.new_index_date(), "2026-06-01");
  EXPECT_EQ(c.syntec().index_code(), "SYNTEC");
  EXPECT_EQ(c.origin(), v1::INCREASE_ORIGIN_ONE_OFF);
  EXPECT_EQ(c.recorded_on(), "2026-01-10");
  EXPECT_EQ(c.position().offset(), next_offset_ - 1);
  EXPECT_EQ(answer.rule().version(), 2u);
}

TEST_F(ContractIncreaseCommandsTest, IncreaseBadInput) {
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_SYNTEC
                              syntec {
                                a_micros: 200000
                                b_micros: 850000
                              }
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "increase.syntec.b_micros: a + b = 0.200000 + 0.850000 = "
                 "1.050000, not 1");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-01-14"
                              kind: INCREASE_KIND_CUSTOM_PERCENT
                              percent_bp: 300
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "increase.effective_date: 2026-01-14 is before the rule's "
                 "start 2026-01-15");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_COMPANY_MARKUP
                            }
                          })pb"),
                 Code::kFailedPrecondition,
                 "no company markup in force on 2026-07-01; set one in "
                 "\"@reference\"");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_SYNTEC
                              syntec { a_micros: 150000 b_micros: 850000 }
                            }
                          })pb"),
                 Code::kFailedPrecondition,
                 "rule K1/R1 has no Syntec reference index as of 2026-07-01; "
                 "give increase.syntec.reference_index_micros");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase { effective_date: "2026-07-01" }
                          })pb"),
                 Code::kInvalidArgument,
                 "increase.kind: is required (Syntec, company markup or "
                 "custom percent)");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R9"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_CUSTOM_PERCENT
                              percent_bp: 300
                            }
                          })pb"),
                 Code::kNotFound,
                 "rule_id: \"R9\" is not a rule of contract \"K1\"");
}

// A Syntec increase with an index of int64 max names the field.
TEST_F(ContractIncreaseCommandsTest, IndexOverTheMaximumNamesTheField) {
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_SYNTEC
                              syntec {
                                a_micros: 150000
                                b_micros: 850000
                                reference_index_micros: 270000000
                              }
                              new_index_micros: 9223372036854775807
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "increase.new_index_micros: 9223372036854775807 is over the "
                 "maximum 1000000000000");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_SYNTEC
                              syntec {
                                a_micros: 150000
                                b_micros: 850000
                                reference_index_micros: 1000000000001
                              }
                              new_index_micros: 280500000
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "increase.syntec.reference_index_micros: 1000000000001 is "
                 "over the maximum 1000000000000");
}

// Legal values whose result is not: 100.000000 x (1,000,000.000000 /
// 0.000100) = 10^12, over the largest unit price 10^11. Refused, nothing
// recorded, the field values in the message.
TEST_F(ContractIncreaseCommandsTest, IncreaseOverTheMaximumPriceIsRefused) {
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_SYNTEC
                              syntec {
                                a_micros: 0
                                b_micros: 1000000
                                reference_index_micros: 100
                              }
                              new_index_micros: 1000000000000
                            }
                          })pb"),
                 Code::kFailedPrecondition,
                 "rule K1/R1: the increase of 2026-07-01 (Syntec, I_new "
                 "1000000.000000 against I_ref 0.000100) would take the "
                 "price from 100.000000 to 1000000000000.000000, over the "
                 "maximum unit price 100000000000.000000");
  // 1,000 % of a price at the maximum: the same, for a percent.
  v1::BillingRule rule = Rule("K1", "R1");
  rule.set_unit_price_micros(kUnitPriceMicrosMax);
  PutMessage(state_, RuleKey("C1", "K1", "R1"), rule);
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_CUSTOM_PERCENT
                              percent_bp: 100000
                            }
                          })pb"),
                 Code::kFailedPrecondition,
                 "rule K1/R1: the increase of 2026-07-01 (+1000.00 %) would "
                 "take the price from 100000000000.000000 to "
                 "1100000000000.000000, over the maximum unit price "
                 "100000000000.000000");
  // Beyond 64 bits: 10^11 x 10^10.
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          schedule_increase {
                            contract_ref: "K1"
                            rule_id: "R1"
                            increase {
                              effective_date: "2026-07-01"
                              kind: INCREASE_KIND_SYNTEC
                              syntec {
                                a_micros: 0
                                b_micros: 1000000
                                reference_index_micros: 100
                              }
                              new_index_micros: 1000000000000
                            }
                          })pb"),
                 Code::kFailedPrecondition,
                 "rule K1/R1: the increase of 2026-07-01 (Syntec, I_new "
                 "1000000.000000 against I_ref 0.000100) cannot be computed "
                 "from the price 100000000000.000000: price does not fit in "
                 "64 bits");
}

// The anniversary command records nothing when a pending anniversary
// would take the price over the maximum: R1 at 100,000,000,000.000000
// (the maximum) with a recurring 2 %.
TEST_F(ContractIncreaseCommandsTest, AnniversaryOverTheMaximumPriceIsRefused) {
  CreateContract("2026-01-01", "K2");
  v1::ContractCommand command = Cmd(kFlatRule);
  auto* rule = command.mutable_create_rule()->mutable_rule();
  rule->set_contract_ref("K2");
  rule->set_unit_price_micros(kUnitPriceMicrosMax);
  rule->mutable_recurring_increase()->set_kind(
      v1::INCREASE_KIND_CUSTOM_PERCENT);
  rule->mutable_recurring_increase()->set_percent_bp(200);
  Run(command);
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          apply_anniversary_increases {
                            as_of_date: "2027-01-15"
                            contract_ref: "K2"
                          })pb"),
                 Code::kFailedPrecondition,
                 "rule K2/R1: 2027-01-15 anniversary: the new price "
                 "102000000000.000000 is over the maximum unit price "
                 "100000000000.000000; nothing recorded");
}

TEST_F(ContractIncreaseCommandsTest, CancelTwiceIsFailedPrecondition) {
  Run(Cmd(R"pb(customer_id: "C1"
               schedule_increase {
                 contract_ref: "K1"
                 rule_id: "R1"
                 increase {
                   effective_date: "2026-07-01"
                   kind: INCREASE_KIND_CUSTOM_PERCENT
                   percent_bp: 300
                 }
               })pb"));
  const auto cancel = Cmd(R"pb(customer_id: "C1"
                               cancel_increase {
                                 contract_ref: "K1"
                                 rule_id: "R1"
                                 seq: 1
                                 reason: "disputed by the customer"
                               })pb");
  auto answer = Run(cancel, absl::CivilDay(2026, 8, 3));
  EXPECT_EQ(answer.rule().price_history(0).cancelled_on(), "2026-08-03");
  EXPECT_EQ(answer.rule().price_history(0).cancel_reason(),
            "disputed by the customer");
  ExpectRejected(cancel, Code::kFailedPrecondition,
                 "increase #1 of rule K1/R1 was cancelled on 2026-08-03");
  auto other = cancel;
  other.mutable_cancel_increase()->set_seq(7);
  ExpectRejected(other, Code::kNotFound, "seq: rule K1/R1 has no increase #7");
}

TEST_F(ContractIncreaseCommandsTest, AnniversaryCommandWithNothingPending) {
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          apply_anniversary_increases {
                            as_of_date: "2027-06-01"
                          })pb"),
                 Code::kFailedPrecondition,
                 "no anniversary increase is pending on or before 2027-06-01 "
                 "for the selected rules");
}

// The history as of a date: a one-off after the date is "scheduled", the
// policy's anniversary before it "pending", and the price in force is the
// pending anniversary's (100 x 1.02 = 102.000000).
TEST_F(ContractIncreaseCommandsTest, IncreaseHistoryAsOfADate) {
  Run(Cmd(R"pb(customer_id: "C1"
               schedule_increase {
                 contract_ref: "K1"
                 rule_id: "R1"
                 increase {
                   effective_date: "2027-07-01"
                   kind: INCREASE_KIND_CUSTOM_PERCENT
                   percent_bp: 300
                 }
               })pb"));
  v1::BillingRule rule = Rule("K1", "R1");
  rule.mutable_recurring_increase()->set_kind(
      v1::INCREASE_KIND_CUSTOM_PERCENT);
  rule.mutable_recurring_increase()->set_percent_bp(200);
  auto h = IncreaseHistoryAsOf(state_, rule, absl::CivilDay(2027, 3, 1));
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->entries_size(), 2);
  EXPECT_TRUE(h->entries(0).pending());
  EXPECT_EQ(h->entries(0).change().effective_date(), "2027-01-15");
  EXPECT_FALSE(h->entries(0).scheduled());
  EXPECT_TRUE(h->entries(1).scheduled());
  EXPECT_EQ(h->entries(1).change().old_price_micros(), 102000000);
  EXPECT_EQ(h->entries(1).change().new_price_micros(), 105060000);
  EXPECT_EQ(h->price_micros(), 102000000);
  EXPECT_TRUE(h->price_source().pending());
  EXPECT_EQ(h->initial_price_micros(), 100000000);
}

TEST_F(ContractsTest, ReferenceDataIsListedByFamily) {
  Run(Cmd(R"pb(customer_id: "@reference"
               set_hourly_rate {
                 rate {
                   person_id: "P1"
                   effective_date: "2026-01-01"
                   rate_micros: 80000000
                 }
               })pb"));
  Run(Cmd(R"pb(customer_id: "@reference"
               set_company_markup {
                 markup { effective_date: "2026-01-01" percent_bp: 300 }
               })pb"));
  auto data = LoadReferenceData(state_);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->articles_size(), 1);
  EXPECT_EQ(data->articles(0).article_code(), "MAINT");
  EXPECT_EQ(data->hourly_rates_size(), 1);
  EXPECT_EQ(data->company_markups(0).percent_bp(), 300);
  EXPECT_EQ(data->index_publications_size(), 0);
}

// --- Work units, time, jobs ----------------------------------------------------

TEST_F(ContractsTest, WorkUnitsAndTimeGoToTheirRuleTypesWithinItsDates) {
  CreateContract();
  Run(Cmd(kFlatRule));
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          record_work_units {
                            units {
                              contract_ref: "K1"
                              rule_id: "R1"
                              work_date: "2026-02-01"
                              quantity_milli: 12000
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "units.rule_id: rule \"R1\" is a flat rule; units of work go "
                 "to unit-of-work rules");
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "HOURS"
                   rule_type: RULE_TYPE_TIME_SPENT
                   object_ids: "FILE-1"
                   article_code: "MAINT"
                   periodicity: PERIODICITY_MONTHLY
                   start_date: "2026-03-01"
                 }
               })pb"));
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          record_time {
                            entry {
                              contract_ref: "K1"
                              rule_id: "HOURS"
                              person_id: "P1"
                              work_date: "2026-02-27"
                              hours_milli: 1500
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "entry.work_date: 2026-02-27 is before the rule's start "
                 "2026-03-01");
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          record_time {
                            entry {
                              contract_ref: "K1"
                              rule_id: "HOURS"
                              person_id: "P1"
                              work_date: "2026-03-02"
                              hours_milli: 24001
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "entry.hours_milli: 24.001 is more than 24 hours");
}

// A unit-of-work entry over 10^12 units names the field.
TEST_F(ContractsTest, WorkUnitsOverTheMaximum) {
  CreateContract();
  Run(Cmd(R"pb(customer_id: "C1"
               create_rule {
                 rule {
                   contract_ref: "K1"
                   rule_id: "PAYSLIPS"
                   rule_type: RULE_TYPE_UNIT_OF_WORK
                   object_ids: "PAYROLL"
                   article_code: "MAINT"
                   unit_price_micros: 25000000
                   periodicity: PERIODICITY_MONTHLY
                 }
               })pb"));
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          record_work_units {
                            units {
                              contract_ref: "K1"
                              rule_id: "PAYSLIPS"
                              work_date: "2026-02-01"
                              quantity_milli: 9223372036854775807
                            }
                          })pb"),
                 Code::kInvalidArgument,
                 "units.quantity_milli: 9223372036854775807 is over the "
                 "maximum 1000000000000000");
}

TEST_F(ContractsTest, JobCompletedOnce) {
  const auto complete = Cmd(R"pb(customer_id: "C1"
                                 complete_job {
                                   job { job_id: "J1" completed_on: "2026-02-03" }
                                 })pb");
  Run(complete);
  ExpectRejected(complete, Code::kAlreadyExists,
                 "job.job_id: job \"J1\" was recorded as completed on "
                 "2026-02-03");
}

// --- Rule dates -----------------------------------------------------------------

TEST_F(ContractsTest, SetRuleDatesMustLandOnABillingDate) {
  CreateContract();
  Run(Cmd(kFlatRule));
  ExpectRejected(Cmd(R"pb(customer_id: "C1"
                          set_rule_dates {
                            contract_ref: "K1"
                            rule_id: "R1"
                            next_theoretical_date: "2026-03-01"
                          })pb"),
                 Code::kInvalidArgument,
                 "next_theoretical_date: 2026-03-01 is not a billing date of "
                 "the rule (periods are counted from its start 2026-01-15)");
  auto answer = Run(Cmd(R"pb(customer_id: "C1"
                             set_rule_dates {
                               contract_ref: "K1"
                               rule_id: "R1"
                               next_theoretical_date: "2026-03-15"
                               last_invoice_date: "2026-02-16"
                               last_invoice_ref: "OLD-42"
                             })pb"));
  EXPECT_EQ(answer.rule().next_theoretical_date(), "2026-03-15");
  EXPECT_EQ(answer.rule().last_theoretical_date(), "2026-02-15");
  EXPECT_EQ(answer.rule().last_invoice_ref(), "OLD-42");
}

// A corrupt event stops the projection (DataLoss naming the position):
// a reading out of sequence, reference data in a customer's partition.
TEST_F(ContractsTest, CorruptEventsAreDataLoss) {
  CreateContract();
  auto apply = [&](const std::string& customer, const std::string& text) {
    v1::EventEnvelope e = ParseTextOrDie<v1::EventEnvelope>(text);
    std::vector<v1::EventEnvelope> events{e};
    v1::LogRecord record = MakeCommandRecord(
        customer, "corrupt", 1, Epoch(0), kDay, std::move(events));
    return ApplyRecord(state_, PartitionId(0), Offset(next_offset_), record);
  };
  auto skipped = apply("C1", R"pb(
    type: "contract.reading_recorded"
    customer_id: "C1"
    schema_version: 1
    contract {
      reading_recorded {
        reading {
          object_id: "M1"
          seq: 2
          kind: READING_KIND_REGULAR
          reading_date: "2026-01-02"
        }
      }
    })pb");
  EXPECT_EQ(skipped.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(skipped.status().message()),
              HasSubstr("reading #2 of object M1, but 0 are recorded"));
  auto misplaced = apply("C1", R"pb(
    type: "contract.company_markup_set"
    customer_id: "C1"
    schema_version: 1
    contract {
      company_markup_set {
        markup { effective_date: "2026-01-01" percent_bp: 300 }
      }
    })pb");
  EXPECT_EQ(misplaced.status().code(), absl::StatusCode::kDataLoss);
}

// Each record's events replay to the same state: the state is a function of
// the log (a scratch replay gives byte-identical data).
TEST_F(ContractsTest, ReplayGivesIdenticalState) {
  CreateContract();
  Run(Cmd(kFlatRule));
  Run(Cmd(R"pb(customer_id: "C1"
               schedule_increase {
                 contract_ref: "K1"
                 rule_id: "R1"
                 increase {
                   effective_date: "2026-07-01"
                   kind: INCREASE_KIND_CUSTOM_PERCENT
                   percent_bp: 300
                 }
               })pb"));
  Run(Cmd(R"pb(customer_id: "C1"
               cancel_increase {
                 contract_ref: "K1"
                 rule_id: "R1"
                 seq: 1
                 reason: "disputed"
               })pb"));
  MemoryState replay;
  for (size_t i = 0; i < records_.size(); ++i) {
    auto outcome = ApplyRecord(replay, PartitionId(0),
                               Offset(static_cast<int64_t>(i)), records_[i]);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
  }
  EXPECT_EQ(replay.data(), state_.data());
}

}  // namespace
}  // namespace billing
