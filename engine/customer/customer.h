#pragma once

// Customers: decide commands, apply events. Rejections, in precedence order
// (the first that applies is the answer):
//   create: customer.customer_id, customer.name, customer.billing_address.*,
//           customer.email, customer.vat_id, customer.currency,
//           customer.invoice_delivery_mode, then ALREADY_EXISTS.
//   update: customer.customer_id, NOT_FOUND, ABORTED (expected_version),
//           update_mask.paths[i], then the new values as for create.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"

namespace billing {

// Length limits of a customer's string fields (docs/api.md): bytes for the
// ASCII code, code points for text (engine/core/validation.h, ValidateText).
namespace limits {
inline constexpr size_t kCustomerIdLengthMax = 32;
inline constexpr size_t kCustomerNameLengthMax = 200;
inline constexpr size_t kAddressLinesMax = 3;
inline constexpr size_t kAddressLineLengthMax = 100;
inline constexpr size_t kPostalCodeLengthMax = 16;
inline constexpr size_t kCityLengthMax = 100;
}  // namespace limits

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
// InvalidArgument or NotFound naming the field "customer_id".
absl::Status RequireCustomer(const StateReader& state,
                             absl::string_view customer_id);

// The customer, or nullopt.
absl::StatusOr<std::optional<v1::Customer>> LoadCustomer(
    const StateReader& state, absl::string_view customer_id);

}  // namespace billing
