#pragma once

// Helpers shared by the structure's commands (structure.cc) and queries
// (structure_queries.cc). Not part of the domain's interface.

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/structure.pb.h"
#include "engine/core/state.h"

namespace billing::structure_internal {

// NotFound "<field>: <id> is not <what> of customer <customer_id>".
absl::Status NotFoundIn(absl::string_view field, absl::string_view what,
                        absl::string_view id, absl::string_view customer_id);

// The entity or object an event names; DataLoss when it does not exist (a
// decided event only names existing ones).
absl::StatusOr<v1::BillingEntity> MustEntity(const StateReader& state,
                                             absl::string_view customer_id,
                                             absl::string_view entity_id);
absl::StatusOr<v1::BillableObject> MustObject(const StateReader& state,
                                              absl::string_view customer_id,
                                              absl::string_view object_id);

// The customer's main entity, or nullopt before its first entity.
absl::StatusOr<std::optional<v1::BillingEntity>> FindMainEntity(
    const StateReader& state, absl::string_view customer_id);

// Every object of the customer by object_id, from after `after_id` (the
// first when empty), until `visit` returns false or an error.
absl::Status ForEachObject(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view after_id,
    const std::function<absl::StatusOr<bool>(v1::BillableObject)>& visit);

}  // namespace billing::structure_internal
