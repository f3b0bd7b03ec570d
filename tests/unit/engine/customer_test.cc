// Customers, as domain tests: given events (applied through ApplyRecord, as
// the projector does), when a command is decided, then these events or this
// rejection.

#include "engine/customer/customer.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/customer.pb.h"
#include "billing/v1/events.pb.h"
#include "engine/core/rejection.h"
#include "engine/core/types.h"
#include "engine/engine.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr absl::CivilDay kMarch1(2026, 3, 1);
constexpr absl::CivilDay kApril15(2026, 4, 15);

template <typename M>
M ParseTextOrDie(const std::string& text) {
  M message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message))
      << text;
  return message;
}

// Then: exactly these events, compared field by field (text format).
void ExpectEvents(const absl::StatusOr<std::vector<v1::EventEnvelope>>& got,
                  const std::vector<std::string>& expected_text) {
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), expected_text.size());
  for (size_t i = 0; i < expected_text.size(); ++i) {
    const auto expected = ParseTextOrDie<v1::EventEnvelope>(expected_text[i]);
    std::string diff;
    google::protobuf::util::MessageDifferencer differencer;
    // An empty Address means "no address" whether or not it is present.
    differencer.set_message_field_comparison(
        google::protobuf::util::MessageDifferencer::EQUIVALENT);
    differencer.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differencer.Compare(expected, (*got)[i]))
        << "event " << i << ":\n"
        << diff << "got:\n"
        << (*got)[i].DebugString();
  }
}

// The rejection of either command named `name`, or nullptr.
const Rejection* CustomerRejection(absl::string_view name) {
  for (absl::Span<const Rejection> order :
       {absl::Span<const Rejection>(create_customer::kOrder),
        absl::Span<const Rejection>(update_customer::kOrder)}) {
    const int rank = RejectionRank(order, name);
    if (rank >= 0) return &order[rank];
  }
  return nullptr;
}

// Then: this rejection, word for word, under a name its command lists with
// this code.
void ExpectRejected(const absl::StatusOr<std::vector<v1::EventEnvelope>>& got,
                    absl::StatusCode code, absl::string_view message) {
  ASSERT_FALSE(got.ok()) << "decided " << got->size() << " events";
  EXPECT_EQ(got.status().code(), code) << got.status();
  EXPECT_EQ(RejectionDetail(got.status().message()), message) << got.status();
  const Rejection* named =
      CustomerRejection(RejectionName(got.status().message()));
  ASSERT_NE(named, nullptr) << got.status();
  EXPECT_EQ(named->code, code) << got.status();
}

// A valid customer as a caller gives it: only the fields a caller sets.
v1::Customer Acme() {
  return ParseTextOrDie<v1::Customer>(R"pb(
    customer_id: "C1"
    name: "Acme"
    billing_address {
      lines: "1 rue de la Paix"
      postal_code: "75002"
      city: "Paris"
      country_code: "FR"
    }
    email: "billing@acme.example"
    vat_id: "FR40303265045"
  )pb");
}

// customer.created for Acme as of 2026-03-01, written by hand.
v1::EventEnvelope AcmeCreated() {
  return ParseTextOrDie<v1::EventEnvelope>(R"pb(
    type: "customer.created"
    customer_id: "C1"
    effective_date: "2026-03-01"
    schema_version: 1
    customer_created {
      customer {
        customer_id: "C1"
        name: "Acme"
        billing_address {
          lines: "1 rue de la Paix"
          postal_code: "75002"
          city: "Paris"
          country_code: "FR"
        }
        email: "billing@acme.example"
        vat_id: "FR40303265045"
        currency: "EUR"
        invoice_delivery_mode: INVOICE_DELIVERY_MODE_PER_ENTITY
        created_on: "2026-03-01"
        updated_on: "2026-03-01"
        version: 1
        payment_method: PAYMENT_METHOD_TRANSFER
      }
    }
  )pb");
}

v1::CreateCustomer CreateOf(v1::Customer customer) {
  v1::CreateCustomer command;
  *command.mutable_customer() = std::move(customer);
  return command;
}

v1::UpdateCustomer UpdateOf(v1::Customer customer,
                            std::vector<std::string> paths,
                            uint64_t expected_version = 0) {
  v1::UpdateCustomer command;
  *command.mutable_customer() = std::move(customer);
  for (auto& p : paths) command.mutable_update_mask()->add_paths(p);
  command.set_expected_version(expected_version);
  return command;
}

class CustomerTest : public ::testing::Test {
 protected:
  // Given: each event in a record of its own, applied at consecutive offsets
  // of partition 0, as the projector would.
  void Given(std::vector<v1::EventEnvelope> events) {
    for (auto& event : events) {
      const std::string customer_id = event.customer_id();
      const std::string key = absl::StrCat("given-", next_offset_);
      std::vector<v1::EventEnvelope> one;
      one.push_back(std::move(event));
      v1::LogRecord record = MakeCommandRecord(
          customer_id, key, /*request_fingerprint=*/next_offset_, Epoch(0),
          kMarch1, std::move(one));
      auto outcome =
          ApplyRecord(state_, PartitionId(0), Offset(next_offset_), record);
      ASSERT_TRUE(outcome.ok()) << outcome.status();
      ASSERT_EQ(*outcome, ApplyOutcome::kApplied);
      ++next_offset_;
    }
  }

  // Applies what a command decided, as its record would be.
  void ApplyDecided(std::vector<v1::EventEnvelope> events) { Given(events); }

  absl::StatusOr<std::vector<v1::EventEnvelope>> WhenCreate(
      const v1::Customer& customer, absl::CivilDay date = kMarch1) {
    return DecideCreateCustomer(state_, CreateOf(customer), date);
  }

  absl::StatusOr<std::vector<v1::EventEnvelope>> WhenUpdate(
      const v1::UpdateCustomer& command, absl::CivilDay date = kApril15) {
    return DecideUpdateCustomer(state_, command, date);
  }

  v1::Customer Stored(absl::string_view customer_id) {
    auto c = LoadCustomer(state_, customer_id);
    EXPECT_TRUE(c.ok()) << c.status();
    EXPECT_TRUE(c.ok() && c->has_value()) << customer_id << " not stored";
    return c.ok() && c->has_value() ? **c : v1::Customer();
  }

  MemoryState state_;
  int64_t next_offset_ = 0;
};

// --- Create ---------------------------------------------------------------

// Only an id and a name: currency EUR, one invoice per entity, paying by
// transfer, created and updated on the business date, version 1.
TEST_F(CustomerTest, CreateFillsDefaults) {
  v1::Customer given;
  given.set_customer_id("C1");
  given.set_name("Acme");
  ExpectEvents(WhenCreate(given),
               {R"pb(
                  type: "customer.created"
                  customer_id: "C1"
                  effective_date: "2026-03-01"
                  schema_version: 1
                  customer_created {
                    customer {
                      customer_id: "C1"
                      name: "Acme"
                      currency: "EUR"
                      invoice_delivery_mode: INVOICE_DELIVERY_MODE_PER_ENTITY
                      created_on: "2026-03-01"
                      updated_on: "2026-03-01"
                      version: 1
                      payment_method: PAYMENT_METHOD_TRANSFER
                    }
                  }
                )pb"});
}

TEST_F(CustomerTest, CreateKeepsEveryGivenField) {
  ExpectEvents(WhenCreate(Acme()), {AcmeCreated().DebugString()});
}

TEST_F(CustomerTest, CreateKeepsGivenCurrencyAndDeliveryMode) {
  v1::Customer given = Acme();
  given.set_currency("JPY");
  given.set_invoice_delivery_mode(v1::INVOICE_DELIVERY_MODE_MIXED);
  auto events = WhenCreate(given);
  ASSERT_TRUE(events.ok()) << events.status();
  const v1::Customer& c = (*events)[0].customer_created().customer();
  EXPECT_EQ(c.currency(), "JPY");
  EXPECT_EQ(c.invoice_delivery_mode(), v1::INVOICE_DELIVERY_MODE_MIXED);
}

// created_on, updated_on and version are the engine's: a caller's values are
// ignored.
TEST_F(CustomerTest, CreateIgnoresEngineOwnedFields) {
  v1::Customer given = Acme();
  given.set_created_on("1999-01-01");
  given.set_updated_on("1999-01-01");
  given.set_version(42);
  ExpectEvents(WhenCreate(given), {AcmeCreated().DebugString()});
}

// The business date is a parameter: the engine reads no clock.
TEST_F(CustomerTest, CreateIsDatedByTheBusinessDate) {
  auto events = WhenCreate(Acme(), absl::CivilDay(2024, 2, 29));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)[0].effective_date(), "2024-02-29");
  EXPECT_EQ((*events)[0].customer_created().customer().created_on(),
            "2024-02-29");
}

// Deciding changes nothing; applying the decided event stores the customer.
TEST_F(CustomerTest, CreatedCustomerIsStoredOnceApplied) {
  auto events = WhenCreate(Acme());
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_FALSE(LoadCustomer(state_, "C1")->has_value());
  ApplyDecided(*events);
  EXPECT_EQ(Stored("C1").DebugString(),
            AcmeCreated().customer_created().customer().DebugString());
}

TEST_F(CustomerTest, CreateOfExistingCustomerIsAlreadyExists) {
  Given({AcmeCreated()});
  const auto before = state_.data();
  ExpectRejected(WhenCreate(Acme()), absl::StatusCode::kAlreadyExists,
                 "customer.customer_id: \"C1\" already exists");
  EXPECT_EQ(state_.data(), before);
}

// Another code is another customer, even with the same name.
TEST_F(CustomerTest, CreateOfAnotherCodeIsAccepted) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_customer_id("C2");
  EXPECT_TRUE(WhenCreate(given).ok());
}

// One bad field: INVALID_ARGUMENT naming exactly that field, state unchanged.
struct BadField {
  std::string test_name;
  std::function<void(v1::Customer&)> spoil;
  std::string message;
};

// Names the case in test listings (gtest would print its bytes, which
// change with every build and so would ctest's test names).
void PrintTo(const BadField& c, std::ostream* os) { *os << c.test_name; }

class CreateRejectsBadFieldTest
    : public CustomerTest,
      public ::testing::WithParamInterface<BadField> {};

TEST_P(CreateRejectsBadFieldTest, NamesTheFieldAndChangesNothing) {
  Given({AcmeCreated()});  // some state to keep unchanged
  v1::Customer given = Acme();
  given.set_customer_id("C2");
  GetParam().spoil(given);
  const auto before = state_.data();
  ExpectRejected(WhenCreate(given), absl::StatusCode::kInvalidArgument,
                 GetParam().message);
  EXPECT_EQ(state_.data(), before);
}

INSTANTIATE_TEST_SUITE_P(
    EachField, CreateRejectsBadFieldTest,
    ::testing::Values(
        BadField{"EmptyId", [](v1::Customer& c) { c.clear_customer_id(); },
                 "customer.customer_id: is required"},
        BadField{
            "LongId",
            [](v1::Customer& c) { c.set_customer_id(std::string(33, 'C')); },
            "customer.customer_id: is 33 characters, more than the 32 "
            "allowed: \"" +
                std::string(33, 'C') + "\""},
        // Finding 7: the message quotes a 40-byte prefix and the length,
        // never the 8,000 characters.
        BadField{
            "VeryLongId",
            [](v1::Customer& c) { c.set_customer_id(std::string(8000, 'C')); },
            "customer.customer_id: is 8000 characters, more than the 32 "
            "allowed: \"" +
                std::string(40, 'C') + "\"... (8000 bytes)"},
        BadField{"SlashInId", [](v1::Customer& c) { c.set_customer_id("C/2"); },
                 "customer.customer_id: \"C/2\" has a character outside A-Z "
                 "a-z 0-9 . _ -"},
        BadField{"EmptyName", [](v1::Customer& c) { c.clear_name(); },
                 "customer.name: is required"},
        BadField{"LongName",
                 [](v1::Customer& c) { c.set_name(std::string(201, 'n')); },
                 "customer.name: is 201 characters, more than the 200 allowed: "
                 "\"" +
                     std::string(40, 'n') + "\"... (201 bytes)"},
        BadField{"NewlineInName",
                 [](v1::Customer& c) { c.set_name("Acme\nCorp"); },
                 "customer.name: has a control character U+000A at "
                 "character 5"},
        // The text rule (engine/core/validation.h): a visible character, no
        // invisible format character.
        BadField{"ThreeSpacesName", [](v1::Customer& c) { c.set_name("   "); },
                 "customer.name: has no visible character"},
        BadField{"ZeroWidthSpaceInName",
                 [](v1::Customer& c) { c.set_name("Acme\xe2\x80\x8b"); },
                 "customer.name: has an invisible format character U+200B "
                 "at character 5"},
        BadField{"RightToLeftOverrideInName",
                 [](v1::Customer& c) {
                   c.set_name(
                       "Acme\xe2\x80\xae"
                       "Corp");
                 },
                 "customer.name: has an invisible format character U+202E "
                 "at character 5"},
        BadField{"BlankCity",
                 [](v1::Customer& c) {
                   c.mutable_billing_address()->set_city("  ");
                 },
                 "customer.billing_address.city: has no visible character"},
        BadField{
            "AddressWithoutLines",
            [](v1::Customer& c) { c.mutable_billing_address()->clear_lines(); },
            "customer.billing_address.lines: is required"},
        BadField{"FourAddressLines",
                 [](v1::Customer& c) {
                   for (int i = 0; i < 3; ++i) {
                     c.mutable_billing_address()->add_lines("more");
                   }
                 },
                 "customer.billing_address.lines: has 4 lines, at most 3 "
                 "allowed"},
        BadField{
            "EmptySecondAddressLine",
            [](v1::Customer& c) { c.mutable_billing_address()->add_lines(""); },
            "customer.billing_address.lines[1]: is required"},
        BadField{"TabInAddressLine",
                 [](v1::Customer& c) {
                   c.mutable_billing_address()->set_lines(0, "1\true");
                 },
                 "customer.billing_address.lines[0]: has a control "
                 "character U+0009 at character 2"},
        BadField{"LongPostalCode",
                 [](v1::Customer& c) {
                   c.mutable_billing_address()->set_postal_code(
                       std::string(17, '7'));
                 },
                 "customer.billing_address.postal_code: is 17 characters, "
                 "more than the 16 allowed: \"77777777777777777\""},
        BadField{
            "AddressWithoutCity",
            [](v1::Customer& c) { c.mutable_billing_address()->clear_city(); },
            "customer.billing_address.city: is required"},
        BadField{"AddressWithoutCountry",
                 [](v1::Customer& c) {
                   c.mutable_billing_address()->clear_country_code();
                 },
                 "customer.billing_address.country_code: is required"},
        BadField{"UnknownCountry",
                 [](v1::Customer& c) {
                   c.mutable_billing_address()->set_country_code("UK");
                 },
                 "customer.billing_address.country_code: \"UK\" is not an "
                 "ISO 3166-1 alpha-2 code"},
        BadField{"BadEmail", [](v1::Customer& c) { c.set_email("nobody"); },
                 "customer.email: \"nobody\" is not an e-mail address"},
        BadField{"LowerCaseVatId",
                 [](v1::Customer& c) { c.set_vat_id("fr40303265045"); },
                 "customer.vat_id: \"fr40303265045\" is not a VAT id: "
                 "unknown country prefix"},
        BadField{"UnknownCurrency",
                 [](v1::Customer& c) { c.set_currency("EURO"); },
                 "customer.currency: \"EURO\" is not an ISO 4217 code"},
        BadField{"UnknownDeliveryMode",
                 [](v1::Customer& c) {
                   c.set_invoice_delivery_mode(
                       static_cast<v1::InvoiceDeliveryMode>(7));
                 },
                 "customer.invoice_delivery_mode: 7 is not a delivery mode"}),
    [](const ::testing::TestParamInfo<BadField>& info) {
      return info.param.test_name;
    });

// Two bad fields: the answer is always the one earlier in the documented
// order (customer_id, name, billing_address, email, vat_id, currency,
// invoice_delivery_mode, then ALREADY_EXISTS).
struct TwoBadFields {
  std::string test_name;
  std::function<void(v1::Customer&)> spoil_first;
  std::function<void(v1::Customer&)> spoil_second;
  std::string field;  // the one named
};

// Names the case in test listings (gtest would print its bytes, which
// change with every build and so would ctest's test names).
void PrintTo(const TwoBadFields& c, std::ostream* os) { *os << c.test_name; }

class CreateRejectionPrecedenceTest
    : public CustomerTest,
      public ::testing::WithParamInterface<TwoBadFields> {};

TEST_P(CreateRejectionPrecedenceTest, NamesTheEarlierField) {
  for (bool first_spoiled_first : {true, false}) {
    v1::Customer given = Acme();
    given.set_customer_id("C2");
    if (first_spoiled_first) {
      GetParam().spoil_first(given);
      GetParam().spoil_second(given);
    } else {
      GetParam().spoil_second(given);
      GetParam().spoil_first(given);
    }
    auto got = WhenCreate(given);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message().substr(0, GetParam().field.size() + 1),
              GetParam().field + ":")
        << got.status();
  }
}

void BadId(v1::Customer& c) { c.set_customer_id("C 2"); }
void BadName(v1::Customer& c) { c.clear_name(); }
void BadAddress(v1::Customer& c) { c.mutable_billing_address()->clear_city(); }
void BadEmail(v1::Customer& c) { c.set_email("nobody"); }
void BadVat(v1::Customer& c) { c.set_vat_id("FR"); }
void BadCurrency(v1::Customer& c) { c.set_currency("EURO"); }
void BadMode(v1::Customer& c) {
  c.set_invoice_delivery_mode(static_cast<v1::InvoiceDeliveryMode>(9));
}

INSTANTIATE_TEST_SUITE_P(
    DocumentedOrder, CreateRejectionPrecedenceTest,
    ::testing::Values(
        TwoBadFields{"IdBeforeName", BadId, BadName, "customer.customer_id"},
        TwoBadFields{"IdBeforeMode", BadId, BadMode, "customer.customer_id"},
        TwoBadFields{"NameBeforeAddress", BadName, BadAddress, "customer.name"},
        TwoBadFields{"AddressBeforeEmail", BadAddress, BadEmail,
                     "customer.billing_address.city"},
        TwoBadFields{"EmailBeforeVat", BadEmail, BadVat, "customer.email"},
        TwoBadFields{"VatBeforeCurrency", BadVat, BadCurrency,
                     "customer.vat_id"},
        TwoBadFields{"CurrencyBeforeMode", BadCurrency, BadMode,
                     "customer.currency"}),
    [](const ::testing::TestParamInfo<TwoBadFields>& info) {
      return info.param.test_name;
    });

// A bad field of a customer that exists is INVALID_ARGUMENT, not
// ALREADY_EXISTS: validation comes first.
TEST_F(CustomerTest, CreateBadFieldComesBeforeAlreadyExists) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_email("nobody");
  auto got = WhenCreate(given);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
}

// --- Update ---------------------------------------------------------------

// The mask names only `name`: the new email in the command is ignored.
TEST_F(CustomerTest, UpdateChangesOnlyMaskedFields) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_name("Acme SAS");
  given.set_email("other@acme.example");
  ExpectEvents(WhenUpdate(UpdateOf(given, {"name"})),
               {R"pb(
                  type: "customer.updated"
                  customer_id: "C1"
                  effective_date: "2026-04-15"
                  schema_version: 1
                  customer_updated {
                    customer {
                      customer_id: "C1"
                      name: "Acme SAS"
                      billing_address {
                        lines: "1 rue de la Paix"
                        postal_code: "75002"
                        city: "Paris"
                        country_code: "FR"
                      }
                      email: "billing@acme.example"
                      vat_id: "FR40303265045"
                      currency: "EUR"
                      invoice_delivery_mode: INVOICE_DELIVERY_MODE_PER_ENTITY
                      created_on: "2026-03-01"
                      updated_on: "2026-04-15"
                      version: 2
                      payment_method: PAYMENT_METHOD_TRANSFER
                    }
                    changed_fields: "name"
                  }
                )pb"});
}

// changed_fields lists what really changed, in the documented field order
// whatever the mask's order; a masked field given its current value is not
// listed.
TEST_F(CustomerTest, UpdateListsChangedFieldsInFieldOrder) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();  // same name, address and VAT id
  given.set_currency("USD");
  given.set_email("ap@acme.example");
  auto events =
      WhenUpdate(UpdateOf(given, {"currency", "vat_id", "email", "name"}));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT((*events)[0].customer_updated().changed_fields(),
              ElementsAre("email", "currency"));
}

// A mask whose values are all current still records an update (version 2)
// with nothing listed as changed.
TEST_F(CustomerTest, UpdateWithNoRealChangeListsNothing) {
  Given({AcmeCreated()});
  auto events = WhenUpdate(UpdateOf(Acme(), {"name", "email"}));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT((*events)[0].customer_updated().changed_fields(), IsEmpty());
  EXPECT_EQ((*events)[0].customer_updated().customer().version(), 2u);
}

// Optional fields are cleared by naming them with an empty value.
TEST_F(CustomerTest, UpdateClearsOptionalFields) {
  Given({AcmeCreated()});
  v1::Customer given;
  given.set_customer_id("C1");
  auto events =
      WhenUpdate(UpdateOf(given, {"email", "vat_id", "billing_address"}));
  ASSERT_TRUE(events.ok()) << events.status();
  const auto& updated = (*events)[0].customer_updated();
  EXPECT_EQ(updated.customer().email(), "");
  EXPECT_EQ(updated.customer().vat_id(), "");
  EXPECT_EQ(updated.customer().billing_address().ByteSizeLong(), 0u)
      << "an empty Address is no address";
  EXPECT_THAT(updated.changed_fields(),
              ElementsAre("billing_address", "email", "vat_id"));
}

TEST_F(CustomerTest, UpdateChangesDeliveryMode) {
  Given({AcmeCreated()});
  v1::Customer given;
  given.set_customer_id("C1");
  given.set_invoice_delivery_mode(
      v1::INVOICE_DELIVERY_MODE_MAIN_ENTITY_DETAILED);
  auto events = WhenUpdate(UpdateOf(given, {"invoice_delivery_mode"}));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)[0].customer_updated().customer().invoice_delivery_mode(),
            v1::INVOICE_DELIVERY_MODE_MAIN_ENTITY_DETAILED);
  EXPECT_THAT((*events)[0].customer_updated().changed_fields(),
              ElementsAre("invoice_delivery_mode"));
}

// Applied, the update becomes the stored customer at version 2.
TEST_F(CustomerTest, UpdatedCustomerIsStoredOnceApplied) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_name("Acme SAS");
  auto events = WhenUpdate(UpdateOf(given, {"name"}));
  ASSERT_TRUE(events.ok()) << events.status();
  ApplyDecided(*events);
  EXPECT_EQ(Stored("C1").name(), "Acme SAS");
  EXPECT_EQ(Stored("C1").version(), 2u);
}

TEST_F(CustomerTest, UpdateOfUnknownCustomerIsNotFound) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_customer_id("C9");
  ExpectRejected(WhenUpdate(UpdateOf(given, {"name"})),
                 absl::StatusCode::kNotFound,
                 "customer.customer_id: \"C9\" does not exist");
}

TEST_F(CustomerTest, UpdateWithMatchingExpectedVersionIsAccepted) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_name("Acme SAS");
  EXPECT_TRUE(WhenUpdate(UpdateOf(given, {"name"}, 1)).ok());
}

// The caller read version 1; someone else's update made it 2: ABORTED, read
// again and retry.
TEST_F(CustomerTest, UpdateWithStaleExpectedVersionIsAborted) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_name("Acme SAS");
  auto first = WhenUpdate(UpdateOf(given, {"name"}, 1));
  ASSERT_TRUE(first.ok()) << first.status();
  ApplyDecided(*first);
  given.set_name("Acme Group");
  ExpectRejected(WhenUpdate(UpdateOf(given, {"name"}, 1)),
                 absl::StatusCode::kAborted,
                 "expected_version: 1, but customer \"C1\" is at version 2; "
                 "read it again and retry");
}

TEST_F(CustomerTest, UpdateWithEmptyMaskIsInvalidArgument) {
  Given({AcmeCreated()});
  ExpectRejected(WhenUpdate(UpdateOf(Acme(), {})),
                 absl::StatusCode::kInvalidArgument,
                 "update_mask: is empty; name the fields to change");
}

TEST_F(CustomerTest, UpdateWithUnknownPathNamesItsIndex) {
  Given({AcmeCreated()});
  ExpectRejected(WhenUpdate(UpdateOf(Acme(), {"name", "created_on"})),
                 absl::StatusCode::kInvalidArgument,
                 "update_mask.paths[1]: \"created_on\" is not an updatable "
                 "field (one of: name, billing_address, email, vat_id, "
                 "currency, invoice_delivery_mode, payment_method, siren, "
                 "sepa_mandate)");
}

// Finding 7: a 10 KB path is quoted by a 40-byte prefix and its length.
TEST_F(CustomerTest, UpdateWithALongUnknownPathQuotesAPrefix) {
  Given({AcmeCreated()});
  ExpectRejected(WhenUpdate(UpdateOf(Acme(), {std::string(10240, 'p')})),
                 absl::StatusCode::kInvalidArgument,
                 "update_mask.paths[0]: \"" + std::string(40, 'p') +
                     "\"... (10240 bytes) is not an updatable field (one of: "
                     "name, billing_address, email, vat_id, currency, "
                     "invoice_delivery_mode, payment_method, siren, sepa_mandate)");
}

// The id is immutable and is not a path.
TEST_F(CustomerTest, UpdateOfCustomerIdPathIsRejected) {
  Given({AcmeCreated()});
  auto got = WhenUpdate(UpdateOf(Acme(), {"customer_id"}));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message().substr(0, 21), "update_mask.paths[0]:");
}

TEST_F(CustomerTest, UpdateWithBadValueNamesTheField) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_email("nobody");
  ExpectRejected(WhenUpdate(UpdateOf(given, {"email"})),
                 absl::StatusCode::kInvalidArgument,
                 "customer.email: \"nobody\" is not an e-mail address");
}

// Currency and delivery mode have defaults on create only: an update may not
// clear them.
TEST_F(CustomerTest, UpdateMayNotClearCurrency) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  ExpectRejected(WhenUpdate(UpdateOf(given, {"currency"})),
                 absl::StatusCode::kInvalidArgument,
                 "customer.currency: is required");
}

TEST_F(CustomerTest, UpdateMayNotClearDeliveryMode) {
  Given({AcmeCreated()});
  ExpectRejected(WhenUpdate(UpdateOf(Acme(), {"invoice_delivery_mode"})),
                 absl::StatusCode::kInvalidArgument,
                 "customer.invoice_delivery_mode: is required");
}

// --- Payment method (payment notices for direct debit, invoicing) ---

TEST_F(CustomerTest, CreateKeepsAGivenPaymentMethod) {
  v1::Customer given = Acme();
  given.set_payment_method(v1::PAYMENT_METHOD_DIRECT_DEBIT);
  auto events = WhenCreate(given);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)[0].customer_created().customer().payment_method(),
            v1::PAYMENT_METHOD_DIRECT_DEBIT);
}

TEST_F(CustomerTest, CreateWithAnUnknownPaymentMethodNamesTheField) {
  v1::Customer given = Acme();
  given.set_payment_method(static_cast<v1::PaymentMethod>(99));
  ExpectRejected(WhenCreate(given), absl::StatusCode::kInvalidArgument,
                 "customer.payment_method: 99 is not a payment method");
}

TEST_F(CustomerTest, UpdateChangesPaymentMethod) {
  Given({AcmeCreated()});
  v1::Customer given;
  given.set_customer_id("C1");
  given.set_payment_method(v1::PAYMENT_METHOD_DIRECT_DEBIT);
  auto events = WhenUpdate(UpdateOf(given, {"payment_method"}));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)[0].customer_updated().customer().payment_method(),
            v1::PAYMENT_METHOD_DIRECT_DEBIT);
  EXPECT_THAT((*events)[0].customer_updated().changed_fields(),
              ElementsAre("payment_method"));
}

TEST_F(CustomerTest, UpdateMayNotClearPaymentMethod) {
  Given({AcmeCreated()});
  ExpectRejected(WhenUpdate(UpdateOf(Acme(), {"payment_method"})),
                 absl::StatusCode::kInvalidArgument,
                 "customer.payment_method: is required (transfer, direct "
                 "debit, cheque or card)");
}

// A customer recorded before payment methods existed has none: an update
// of another field keeps it so (read as TRANSFER), and lists no change.
TEST_F(CustomerTest, UpdateOfACustomerWithoutPaymentMethodKeepsIt) {
  v1::EventEnvelope old = AcmeCreated();
  old.mutable_customer_created()->mutable_customer()->clear_payment_method();
  Given({old});
  v1::Customer given = Acme();
  given.set_name("Acme SAS");
  auto events = WhenUpdate(UpdateOf(given, {"name"}));
  ASSERT_TRUE(events.ok()) << events.status();
  const v1::Customer& c = (*events)[0].customer_updated().customer();
  EXPECT_EQ(c.payment_method(), v1::PAYMENT_METHOD_UNSPECIFIED);
  EXPECT_EQ(PaymentMethodOf(c), v1::PAYMENT_METHOD_TRANSFER);
  EXPECT_THAT((*events)[0].customer_updated().changed_fields(),
              ElementsAre("name"));
}

// --- SIREN and SEPA mandate (printed on invoices and payment notices) ---

TEST_F(CustomerTest, CreateKeepsTheSirenAndTheMandate) {
  v1::Customer given = Acme();
  given.set_siren("303265045");  // the one FR40303265045 holds
  given.mutable_sepa_mandate()->set_reference("RUM-ACME-2026/01");
  given.mutable_sepa_mandate()->set_signed_on("2026-01-15");
  auto events = WhenCreate(given);
  ASSERT_TRUE(events.ok()) << events.status();
  const v1::Customer& c = (*events)[0].customer_created().customer();
  EXPECT_EQ(c.siren(), "303265045");
  EXPECT_EQ(c.sepa_mandate().reference(), "RUM-ACME-2026/01");
  EXPECT_EQ(c.sepa_mandate().signed_on(), "2026-01-15");
}

TEST_F(CustomerTest, ASirenFailingLuhnOrNotTheVatIdsIsRefused) {
  v1::Customer given = Acme();
  given.set_siren("303265046");
  ExpectRejected(WhenCreate(given), absl::StatusCode::kInvalidArgument,
                 "customer.siren: 303265046 fails the Luhn check");
  // Valid (La Poste's), but FR40303265045 holds 303265045.
  given.set_siren("356000000");
  ExpectRejected(WhenCreate(given), absl::StatusCode::kInvalidArgument,
                 "customer.vat_id: \"FR40303265045\" does not hold "
                 "customer.siren \"356000000\"");
  given.clear_vat_id();
  EXPECT_TRUE(WhenCreate(given).ok());
}

TEST_F(CustomerTest, AMandateNeedsItsReferenceAndItsDate) {
  v1::Customer given = Acme();
  given.mutable_sepa_mandate()->set_reference("RUM-1");
  ExpectRejected(WhenCreate(given), absl::StatusCode::kInvalidArgument,
                 "customer.sepa_mandate.signed_on: is required (the date the "
                 "mandate was signed)");
  given.mutable_sepa_mandate()->set_signed_on("2026-02-30");
  ExpectRejected(WhenCreate(given), absl::StatusCode::kInvalidArgument,
                 "customer.sepa_mandate.signed_on: \"2026-02-30\" is not a "
                 "date YYYY-MM-DD");
  given.mutable_sepa_mandate()->set_signed_on("2026-02-01");
  given.mutable_sepa_mandate()->set_reference("RUM 1");
  ExpectRejected(WhenCreate(given), absl::StatusCode::kInvalidArgument,
                 "customer.sepa_mandate.reference: \"RUM 1\" holds a "
                 "character outside the SEPA set (letters, digits and / - ? : "
                 "( ) . , ' +)");
}

// Updating the mandate changes it and lists it; an update naming it empty
// removes it (the field unset, not an empty message).
TEST_F(CustomerTest, UpdateSetsAndClearsTheMandate) {
  Given({AcmeCreated()});
  v1::Customer given;
  given.set_customer_id("C1");
  given.mutable_sepa_mandate()->set_reference("RUM-2");
  given.mutable_sepa_mandate()->set_signed_on("2026-03-01");
  auto events = WhenUpdate(UpdateOf(given, {"sepa_mandate", "siren"}));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)[0].customer_updated().customer().sepa_mandate().reference(),
            "RUM-2");
  EXPECT_THAT((*events)[0].customer_updated().changed_fields(),
              ElementsAre("sepa_mandate"));
  Given(*events);
  given.clear_sepa_mandate();
  events = WhenUpdate(UpdateOf(given, {"sepa_mandate"}));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_FALSE((*events)[0].customer_updated().customer().has_sepa_mandate());
}

TEST_F(CustomerTest, RejectedUpdateChangesNothing) {
  Given({AcmeCreated()});
  const auto before = state_.data();
  v1::Customer given = Acme();
  given.set_email("nobody");
  EXPECT_FALSE(WhenUpdate(UpdateOf(given, {"email"})).ok());
  EXPECT_EQ(state_.data(), before);
}

// Update precedence: customer.customer_id, NOT_FOUND, ABORTED,
// update_mask.paths[i], then the new values in create's order.

TEST_F(CustomerTest, UpdateBadIdComesBeforeEmptyMask) {
  v1::Customer given;
  given.set_customer_id("C/1");
  auto got = WhenUpdate(UpdateOf(given, {}));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message().substr(0, 21), "customer.customer_id:");
}

TEST_F(CustomerTest, UpdateNotFoundComesBeforeExpectedVersionAndMask) {
  v1::Customer given = Acme();
  given.set_email("nobody");
  EXPECT_EQ(WhenUpdate(UpdateOf(given, {"bogus"}, 7)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CustomerTest, UpdateAbortedComesBeforeMaskAndValues) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_email("nobody");
  EXPECT_EQ(WhenUpdate(UpdateOf(given, {})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WhenUpdate(UpdateOf(given, {}, 2)).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(WhenUpdate(UpdateOf(given, {"email", "bogus"}, 2)).status().code(),
            absl::StatusCode::kAborted);
}

// A bad path after a bad value: the path is named, whichever value check
// comes first (email's format, or currency's presence).
TEST_F(CustomerTest, UpdateBadPathComesBeforeBadValues) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.set_email("nobody");
  for (const char* first : {"email", "currency"}) {
    ExpectRejected(WhenUpdate(UpdateOf(given, {first, "bogus"})),
                   absl::StatusCode::kInvalidArgument,
                   "update_mask.paths[1]: \"bogus\" is not an updatable field "
                   "(one of: name, billing_address, email, vat_id, currency, "
                   "invoice_delivery_mode, payment_method, siren, sepa_mandate)");
  }
}

// Values are checked in create's order whatever the mask's order: an empty
// name is named before a missing currency.
TEST_F(CustomerTest, UpdateValuesFollowCreateOrder) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.clear_name();
  given.clear_currency();
  ExpectRejected(WhenUpdate(UpdateOf(given, {"currency", "name"})),
                 absl::StatusCode::kInvalidArgument,
                 "customer.name: is required");
}

TEST_F(CustomerTest, UpdateMissingCurrencyComesBeforeBadDeliveryMode) {
  Given({AcmeCreated()});
  v1::Customer given = Acme();
  given.clear_currency();
  BadMode(given);
  ExpectRejected(
      WhenUpdate(UpdateOf(given, {"invoice_delivery_mode", "currency"})),
      absl::StatusCode::kInvalidArgument, "customer.currency: is required");
}

// --- Apply ------------------------------------------------------------------

TEST_F(CustomerTest, ApplyCreatedTwiceIsDataLoss) {
  Given({AcmeCreated()});
  EXPECT_EQ(ApplyCustomerEvent(state_, AcmeCreated()).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(CustomerTest, ApplyUpdateOfUnknownCustomerIsDataLoss) {
  v1::EventEnvelope updated;
  updated.set_type("customer.updated");
  updated.set_customer_id("C1");
  *updated.mutable_customer_updated()->mutable_customer() =
      AcmeCreated().customer_created().customer();
  updated.mutable_customer_updated()->mutable_customer()->set_version(2);
  EXPECT_EQ(ApplyCustomerEvent(state_, updated).code(),
            absl::StatusCode::kDataLoss);
}

// An update must move the version by exactly one.
TEST_F(CustomerTest, ApplyUpdateSkippingAVersionIsDataLoss) {
  Given({AcmeCreated()});
  v1::EventEnvelope updated;
  updated.set_type("customer.updated");
  updated.set_customer_id("C1");
  *updated.mutable_customer_updated()->mutable_customer() =
      AcmeCreated().customer_created().customer();
  updated.mutable_customer_updated()->mutable_customer()->set_version(3);
  EXPECT_EQ(ApplyCustomerEvent(state_, updated).code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace billing
