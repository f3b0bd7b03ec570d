#pragma once

// Customers: decide commands, apply events. Each command's rejections are
// listed below in precedence order (kOrder: the first that applies is the
// answer); a rejection's message ends in " [NAME]" (engine/core/rejection.h).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "engine/core/dates.h"
#include "engine/core/domain.h"
#include "engine/core/rejection.h"
#include "engine/core/state.h"
#include "engine/core/validation.h"

namespace billing {

// Length limits of a customer's text fields (docs/api.md), in code points
// (engine/core/validation.h, ValidateText); its id is a code
// (limits::kCodeLengthMax).
namespace limits {
inline constexpr size_t kCustomerNameLengthMax = 200;
inline constexpr size_t kAddressLinesMax = 3;
inline constexpr size_t kAddressLineLengthMax = 100;
inline constexpr size_t kPostalCodeLengthMax = 16;
inline constexpr size_t kCityLengthMax = 100;
}  // namespace limits

// The reasons a customer's fields or its id are refused, shared by both
// commands (and, for the id, by every command that names a customer).
namespace customer_rejections {
inline constexpr Rejection kCustomerIdInvalid{
    "CUSTOMER_ID_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kCustomerNotFound{"CUSTOMER_NOT_FOUND",
                                             absl::StatusCode::kNotFound};
inline constexpr Rejection kNameInvalid{"CUSTOMER_NAME_INVALID",
                                        absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kAddressInvalid{"CUSTOMER_ADDRESS_INVALID",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kEmailInvalid{"CUSTOMER_EMAIL_INVALID",
                                         absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kVatIdInvalid{"CUSTOMER_VAT_ID_INVALID",
                                         absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kCurrencyInvalid{"CUSTOMER_CURRENCY_INVALID",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kDeliveryModeInvalid{
    "CUSTOMER_DELIVERY_MODE_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kPaymentMethodInvalid{
    "CUSTOMER_PAYMENT_METHOD_INVALID", absl::StatusCode::kInvalidArgument};
// Not 9 digits passing Luhn, or not the one a French VAT id holds.
inline constexpr Rejection kSirenInvalid{"CUSTOMER_SIREN_INVALID",
                                         absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kMandateInvalid{"CUSTOMER_SEPA_MANDATE_INVALID",
                                           absl::StatusCode::kInvalidArgument};
}  // namespace customer_rejections

// create: the fields in declaration order, then the id already taken.
namespace create_customer {
inline constexpr Rejection kAlreadyExists{"CUSTOMER_ALREADY_EXISTS",
                                          absl::StatusCode::kAlreadyExists};
inline constexpr Rejection kOrder[] = {
    customer_rejections::kCustomerIdInvalid,
    customer_rejections::kNameInvalid,
    customer_rejections::kAddressInvalid,
    customer_rejections::kEmailInvalid,
    customer_rejections::kVatIdInvalid,
    customer_rejections::kCurrencyInvalid,
    customer_rejections::kDeliveryModeInvalid,
    customer_rejections::kPaymentMethodInvalid,
    customer_rejections::kSirenInvalid,
    customer_rejections::kMandateInvalid,
    kAlreadyExists};
}  // namespace create_customer

// update: the id, the customer, expected_version, the mask (every path
// before any value), then the new values as for create (an update may not
// clear the currency or the delivery mode, nor set the payment method to
// UNSPECIFIED; a customer recorded before payment methods existed keeps
// its UNSPECIFIED, read as TRANSFER, until an update names the field).
namespace update_customer {
inline constexpr Rejection kVersionConflict{"CUSTOMER_VERSION_CONFLICT",
                                            absl::StatusCode::kAborted};
inline constexpr Rejection kUpdateMaskEmpty{"UPDATE_MASK_EMPTY",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kUpdateMaskPathInvalid{
    "UPDATE_MASK_PATH_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {
    customer_rejections::kCustomerIdInvalid,
    customer_rejections::kCustomerNotFound,
    kVersionConflict,
    kUpdateMaskEmpty,
    kUpdateMaskPathInvalid,
    customer_rejections::kNameInvalid,
    customer_rejections::kAddressInvalid,
    customer_rejections::kEmailInvalid,
    customer_rejections::kVatIdInvalid,
    customer_rejections::kCurrencyInvalid,
    customer_rejections::kDeliveryModeInvalid,
    customer_rejections::kPaymentMethodInvalid,
    customer_rejections::kSirenInvalid,
    customer_rejections::kMandateInvalid};
}  // namespace update_customer

// Stable event type names (never renamed; see docs/architecture.md).
inline constexpr absl::string_view kCustomerCreatedType = "customer.created";
inline constexpr absl::string_view kCustomerUpdatedType = "customer.updated";

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideCreateCustomer(
    const StateReader& state, const v1::CreateCustomer& command,
    BusinessDate business_date);

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideUpdateCustomer(
    const StateReader& state, const v1::UpdateCustomer& command,
    BusinessDate business_date);

// Validates every field of a customer as given by a caller; `prefix` is the
// field path of the message in the request ("customer").
absl::Status ValidateCustomerFields(const v1::Customer& customer,
                                    absl::string_view prefix);

// Applies customer.created / customer.updated. DataLoss when the event
// contradicts the state (created twice, updated before created).
absl::Status ApplyCustomerEvent(StateWriter& state,
                                const v1::EventEnvelope& event);

// A postal address: empty (no address), or 1 to 3 lines, an optional postal
// code, a city and an ISO country code. `field` prefixes the error path.
absl::Status ValidateAddress(const v1::Address& address,
                             const std::string& field);

// OK when `customer_id` is a valid code of an existing customer; otherwise
// InvalidArgument or NotFound naming the field "customer_id" (no rejection
// name: for queries, and for domains that name their own).
absl::Status RequireCustomer(const StateReader& state,
                             absl::string_view customer_id);

// RequireCustomer for a command: the same messages, named
// customer_rejections::kCustomerIdInvalid or kCustomerNotFound. Storage
// errors pass unchanged.
absl::Status RequireCommandCustomer(const StateReader& state,
                                    absl::string_view customer_id);

// The customer, as RequireCustomer refuses a bad or unknown id.
absl::StatusOr<v1::Customer> CustomerById(const StateReader& state,
                                          absl::string_view customer_id);

// One page of customers by id: at most `page_size` after `after_id` (none
// when empty), and whether more follow.
struct CustomerPage {
  std::vector<v1::Customer> customers;
  bool more = false;
};
absl::StatusOr<CustomerPage> ListCustomerPage(const StateReader& state,
                                              absl::string_view after_id,
                                              size_t page_size);

// The customer's payment method; UNSPECIFIED (a customer recorded before
// the field existed) is TRANSFER.
v1::PaymentMethod PaymentMethodOf(const v1::Customer& customer);

// The customer, or nullopt.
absl::StatusOr<std::optional<v1::Customer>> LoadCustomer(
    const StateReader& state, absl::string_view customer_id);

// This domain's registration (engine/customer/domain.cc), listed once in
// engine/engine.cc.
extern const Domain kCustomerDomain;

}  // namespace billing
