// Precedence of the customer commands' named rejections
// (engine/customer/customer.h): a command breaking every rule answers with
// each in kOrder as the earlier ones are fixed.

#include "billing/v1/commands.pb.h"
#include "engine/customer/customer.h"
#include "gtest/gtest.h"
#include "tests/unit/engine/ledger.h"
#include "tests/unit/engine/precedence.h"

namespace billing {
namespace {

using ::billing::testing::CreateCustomerCommand;
using ::billing::testing::ExpectPrecedence;
using ::billing::testing::Ledger;

constexpr BusinessDate kMar1(2026, 3, 1);

// Every field of `c` wrong, each in its own way.
void SpoilEveryField(v1::Customer& c) {
  c.set_name("");
  c.mutable_billing_address()->add_lines("1 rue de la Paix");  // no city
  c.set_email("nobody");
  c.set_vat_id("XX");
  c.set_currency("ZZZ");
  c.set_invoice_delivery_mode(static_cast<v1::InvoiceDeliveryMode>(99));
  c.set_payment_method(static_cast<v1::PaymentMethod>(99));
  c.set_siren("303265046");                          // fails Luhn
  c.mutable_sepa_mandate()->set_reference("RUM 1");  // a space
}

v1::Customer& Fields(v1::Command& c) {
  return c.has_create_customer()
             ? *c.mutable_create_customer()->mutable_customer()
             : *c.mutable_update_customer()->mutable_customer();
}

// The fixes of SpoilEveryField, in create's order.
std::vector<testing::PrecedenceStep> FieldSteps() {
  return {
      {"CUSTOMER_NAME_INVALID",
       [](v1::Command& c) { Fields(c).set_name("Acme"); }},
      {"CUSTOMER_ADDRESS_INVALID",
       [](v1::Command& c) { Fields(c).clear_billing_address(); }},
      {"CUSTOMER_EMAIL_INVALID",
       [](v1::Command& c) { Fields(c).set_email("billing@acme.example"); }},
      {"CUSTOMER_VAT_ID_INVALID",
       [](v1::Command& c) { Fields(c).set_vat_id("FR40303265045"); }},
      {"CUSTOMER_CURRENCY_INVALID",
       [](v1::Command& c) { Fields(c).set_currency("EUR"); }},
      {"CUSTOMER_DELIVERY_MODE_INVALID",
       [](v1::Command& c) {
         Fields(c).set_invoice_delivery_mode(
             v1::INVOICE_DELIVERY_MODE_PER_ENTITY);
       }},
      {"CUSTOMER_PAYMENT_METHOD_INVALID",
       [](v1::Command& c) {
         Fields(c).set_payment_method(v1::PAYMENT_METHOD_CHEQUE);
       }},
      // The VAT id FR40303265045 holds it.
      {"CUSTOMER_SIREN_INVALID",
       [](v1::Command& c) { Fields(c).set_siren("303265045"); }},
      {"CUSTOMER_SEPA_MANDATE_INVALID",
       [](v1::Command& c) {
         Fields(c).mutable_sepa_mandate()->set_reference("RUM-1");
         Fields(c).mutable_sepa_mandate()->set_signed_on("2026-02-01");
       }},
  };
}

class CustomerRejectionsTest : public ::testing::Test {
 protected:
  void SetUp() override { ledger_.Given(CreateCustomerCommand("C1"), kMar1); }
  Ledger ledger_;
};

// create: the id, every field in order, then the id already taken.
TEST_F(CustomerRejectionsTest, CreateAnswersInPrecedenceOrder) {
  v1::Command c = CreateCustomerCommand("C/1");
  SpoilEveryField(Fields(c));
  std::vector<testing::PrecedenceStep> steps = {
      {"CUSTOMER_ID_INVALID",
       [](v1::Command& c) { Fields(c).set_customer_id("C1"); }}};
  for (auto& s : FieldSteps()) steps.push_back(std::move(s));
  steps.push_back({"CUSTOMER_ALREADY_EXISTS",
                   [](v1::Command& c) { Fields(c).set_customer_id("C2"); }});
  ExpectPrecedence(ledger_, c, create_customer::kOrder, kMar1, steps);
}

// update: the id, the customer, the version, the mask, then the values
// (an update may not clear the currency or the delivery mode).
TEST_F(CustomerRejectionsTest, UpdateAnswersInPrecedenceOrder) {
  v1::Command c;
  auto* u = c.mutable_update_customer();
  u->mutable_customer()->set_customer_id("C/1");
  SpoilEveryField(*u->mutable_customer());
  u->mutable_customer()->set_currency("");
  u->mutable_customer()->set_invoice_delivery_mode(
      v1::INVOICE_DELIVERY_MODE_UNSPECIFIED);
  u->set_expected_version(7);
  std::vector<testing::PrecedenceStep> steps = {
      {"CUSTOMER_ID_INVALID",
       [](v1::Command& c) { Fields(c).set_customer_id("C9"); }},
      {"CUSTOMER_NOT_FOUND",
       [](v1::Command& c) { Fields(c).set_customer_id("C1"); }},
      {"CUSTOMER_VERSION_CONFLICT",
       [](v1::Command& c) {
         c.mutable_update_customer()->set_expected_version(1);
       }},
      {"UPDATE_MASK_EMPTY",
       [](v1::Command& c) {
         c.mutable_update_customer()->mutable_update_mask()->add_paths(
             "customer_id");
       }},
      {"UPDATE_MASK_PATH_INVALID",
       [](v1::Command& c) {
         auto* mask = c.mutable_update_customer()->mutable_update_mask();
         mask->clear_paths();
         for (const char* p : {"name", "billing_address", "email", "vat_id",
                               "currency", "invoice_delivery_mode",
                               "payment_method", "siren", "sepa_mandate"}) {
           mask->add_paths(p);
         }
       }},
  };
  for (auto& s : FieldSteps()) steps.push_back(std::move(s));
  ExpectPrecedence(ledger_, c, update_customer::kOrder, kMar1, steps);
}

}  // namespace
}  // namespace billing
