#pragma once

// The layout of state keys, in one place. Every key starts with a short
// family prefix and a '/'; customer ids cannot contain '/', so a customer's
// keys never collide with another's.
//
//   cust/<customer_id>                    billing.v1.Customer
//   idem/<customer_id>/<idempotency_key>  billing.v1.IdempotencyRecord
//   part/<partition, 8 decimal digits>    billing.v1.PartitionProgress

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>

#include "engine/types.h"

namespace billing {

inline constexpr absl::string_view kCustomerPrefix = "cust/";
inline constexpr absl::string_view kIdempotencyPrefix = "idem/";
inline constexpr absl::string_view kPartitionPrefix = "part/";

std::string CustomerKey(absl::string_view customer_id);
std::string IdempotencyStateKey(absl::string_view customer_id,
                                absl::string_view idempotency_key);
std::string PartitionProgressKey(PartitionId partition);

}  // namespace billing
