#pragma once

// The layout of state keys, in one place. Every key starts with a short
// family prefix and a '/'; customer ids cannot contain '/', so a customer's
// keys never collide with another's.
//
//   cust/<customer_id>                    billing.v1.Customer
//   idem/<customer_id>/<idempotency_key>  billing.v1.IdempotencyRecord
//   part/<partition, 8 decimal digits>    billing.v1.PartitionProgress
//   ent/<customer_id>/<entity_id>         billing.v1.BillingEntity
//   obj/<customer_id>/<object_id>         billing.v1.BillableObject
//   objh/<customer_id>/<object_id>/<offset, 20 digits>.<index, 10 digits>
//                                         billing.v1.AssignmentChange
//   kids/<customer_id>/<parent_id>/<child_id>   "" (the object tree)
//   e164/<customer_id>/<number>           object_id of the phone number

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

inline constexpr absl::string_view kEntityPrefix = "ent/";
inline constexpr absl::string_view kObjectPrefix = "obj/";
inline constexpr absl::string_view kObjectHistoryPrefix = "objh/";
inline constexpr absl::string_view kChildrenPrefix = "kids/";
inline constexpr absl::string_view kE164Prefix = "e164/";

// "<family><customer_id>/": every key of one family for one customer.
std::string CustomerFamilyPrefix(absl::string_view family,
                                 absl::string_view customer_id);
std::string EntityKey(absl::string_view customer_id,
                      absl::string_view entity_id);
std::string ObjectKey(absl::string_view customer_id,
                      absl::string_view object_id);
// The prefix of one object's history; its keys sort in log order.
std::string ObjectHistoryPrefix(absl::string_view customer_id,
                                absl::string_view object_id);
std::string ObjectHistoryKey(absl::string_view customer_id,
                             absl::string_view object_id, int64_t offset,
                             int32_t index);
std::string ChildrenPrefix(absl::string_view customer_id,
                           absl::string_view parent_id);
std::string ChildKey(absl::string_view customer_id,
                     absl::string_view parent_id, absl::string_view child_id);
std::string E164Key(absl::string_view customer_id, absl::string_view number);

}  // namespace billing
