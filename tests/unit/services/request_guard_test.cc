// The request guard's parts (services/request_guard.h) and the status
// message cap (services/status_map.h), without a server: the e2e test
// tests/e2e/hostile_requests_test.py drives them through real gRPC.

#include "services/request_guard.h"

#include <string>

#include "absl/status/status.h"
#include "billing/v1/contract_service.pb.h"
#include "billing/v1/customer.pb.h"
#include "billing/v1/customer_service.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/status_map.h"

namespace billing {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::StartsWith;

// --- CapStatusMessage / ToGrpcStatus -----------------------------------------

TEST(CapStatusMessageTest, ShortUtf8MessageIsUnchanged) {
  EXPECT_EQ(CapStatusMessage("customer.name: is required"),
            "customer.name: is required");
  EXPECT_EQ(CapStatusMessage("Soci\xc3\xa9t\xc3\xa9"), "Soci\xc3\xa9t\xc3\xa9");
}

// Whatever a domain wrote, a caller gets at most kStatusMessageMax bytes,
// with the full length said: grpcio refuses trailers over 8 KB.
TEST(CapStatusMessageTest, LongMessageIsCutWithItsLength) {
  const std::string capped = CapStatusMessage(std::string(100'000, 'x'));
  EXPECT_LE(capped.size(), kStatusMessageMax);
  EXPECT_THAT(capped, StartsWith("xxxxxxxx"));
  EXPECT_THAT(capped, EndsWith(" ... (100000 bytes in all)"));
}

// The cut never splits a UTF-8 sequence (é is two bytes).
TEST(CapStatusMessageTest, CutKeepsWholeCharacters) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "\xc3\xa9";
  const std::string capped = CapStatusMessage(text);
  EXPECT_LE(capped.size(), kStatusMessageMax);
  const size_t body = capped.find(" ... (");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(body % 2, 0u) << "cut inside a character";
}

// A message holding bytes that are not UTF-8 (a raw echo) is escaped.
TEST(CapStatusMessageTest, NonUtf8MessageIsEscaped) {
  EXPECT_EQ(CapStatusMessage("business_date: \"\xff\" is not a date"),
            "business_date: \\\"\\xff\\\" is not a date");
}

TEST(ToGrpcStatusTest, KeepsTheCodeAndCapsTheMessage) {
  const grpc::Status s =
      ToGrpcStatus(absl::InvalidArgumentError(std::string(10'000, 'm')));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(s.error_message().size(), kStatusMessageMax);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

// --- the log handler
// ------------------------------------------------------------

// protobuf names the refused field through its log; the handler keeps the
// name for this thread, once.
TEST(TakeUtf8ParseFailureFieldTest, NamesTheFieldProtobufRefused) {
  InstallRequestGuardLogHandler();
  InstallRequestGuardLogHandler();  // a second call changes nothing
  v1::Customer given;
  given.set_customer_id("C1");
  given.set_name("QQQQ");
  std::string wire = given.SerializeAsString();
  wire.replace(wire.find("QQQQ"), 4,
               "a\xff"
               "bc");
  EXPECT_EQ(TakeUtf8ParseFailureField(), std::nullopt);
  v1::Customer parsed;
  EXPECT_FALSE(parsed.ParseFromString(wire));
  EXPECT_EQ(TakeUtf8ParseFailureField(), "billing.v1.Customer.name");
  EXPECT_EQ(TakeUtf8ParseFailureField(), std::nullopt) << "taken once";
}

// Bytes that are no message name no field.
TEST(TakeUtf8ParseFailureFieldTest, GarbageNamesNoField) {
  InstallRequestGuardLogHandler();
  v1::Customer parsed;
  EXPECT_FALSE(parsed.ParseFromString(std::string("\xff\xff\xff\xff", 4)));
  EXPECT_EQ(TakeUtf8ParseFailureField(), std::nullopt);
}

// --- field paths
// ---------------------------------------------------------------

TEST(FieldPathsToTest, PathFromTheRequest) {
  const auto* create = v1::CreateCustomerRequest::descriptor();
  EXPECT_THAT(FieldPathsTo(*create, "billing.v1.Customer.name"),
              ElementsAre("customer.name"));
  EXPECT_THAT(FieldPathsTo(*create, "billing.v1.Address.lines"),
              ElementsAre("customer.billing_address.lines[]"));
  EXPECT_THAT(
      FieldPathsTo(*create, "billing.v1.CreateCustomerRequest.idempotency_key"),
      ElementsAre("idempotency_key"));
  EXPECT_THAT(FieldPathsTo(*v1::ContractCommandRequest::descriptor(),
                           "billing.v1.PriceIncrease.reason"),
              ElementsAre("command.schedule_increase.increase.reason"));
  EXPECT_TRUE(FieldPathsTo(*create, "billing.v1.Nothing.here").empty());
}

TEST(UnparsedRequestMessageTest, NamesTheFieldOrTheRequestType) {
  EXPECT_EQ(
      UnparsedRequestMessage("/billing.v1.CustomerService/CreateCustomer",
                             "billing.v1.Customer.name"),
      "customer.name: is not valid UTF-8 (field billing.v1.Customer.name; "
      "a string field holds UTF-8 text, raw bytes belong in a bytes "
      "field)");
  EXPECT_EQ(
      UnparsedRequestMessage("/billing.v1.CustomerService/CreateCustomer", ""),
      "request: not a valid billing.v1.CreateCustomerRequest message");
  // A method the pool does not know: the field's full name, or "request".
  EXPECT_THAT(UnparsedRequestMessage("/x.Y/Z", "billing.v1.Customer.name"),
              StartsWith("billing.v1.Customer.name: is not valid UTF-8"));
  EXPECT_EQ(UnparsedRequestMessage("/x.Y/Z", ""),
            "request: not a valid request message");
}

}  // namespace
}  // namespace billing
