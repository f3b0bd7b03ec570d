#pragma once

// The contracts domain's queries, answered with the messages of
// billing/v1/contracts.proto; services/contract_service.cc decodes the
// request, calls one of these (or ComputeDue, LoadReferenceData) and maps
// the status. Errors: InvalidArgument naming the field, NotFound (customer,
// contract, rule, object without readings), storage errors and DataLoss.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/contracts.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"

namespace billing {

// The contract and its rules, by rule_id.
absl::StatusOr<v1::ContractDetails> ContractDetailsOf(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref);

// Every contract of the customer, by contract_ref.
absl::StatusOr<std::vector<v1::Contract>> ContractsOf(
    const StateReader& state, absl::string_view customer_id);

absl::StatusOr<v1::BillingRule> RuleOf(const StateReader& state,
                                       absl::string_view customer_id,
                                       absl::string_view contract_ref,
                                       absl::string_view rule_id);

// The rule's increase history replayed as of `as_of` (IncreaseHistoryAsOf).
absl::StatusOr<v1::IncreaseHistory> IncreaseHistoryOf(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id,
    BusinessDate as_of);

// The object's meter state and readings, oldest first.
absl::StatusOr<v1::ReadingHistory> ReadingHistoryOf(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id);

}  // namespace billing
