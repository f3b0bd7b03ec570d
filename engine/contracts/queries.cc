#include "engine/contracts/queries.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "engine/contracts/prices.h"
#include "engine/contracts/store.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"

namespace billing {
namespace {

absl::Status Code(absl::string_view field, absl::string_view value) {
  return ValidateCode(field, value, limits::kCodeLengthMax);
}

}  // namespace

absl::StatusOr<v1::ContractDetails> ContractDetailsOf(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref) {
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  if (auto s = Code("contract_ref", contract_ref); !s.ok()) return s;
  auto contract = LoadContract(state, customer_id, contract_ref);
  if (!contract.ok()) return contract.status();
  if (!contract->has_value()) {
    return absl::NotFoundError(
        absl::StrFormat("contract_ref: %s is not a contract of customer %s",
                        QuoteValue(contract_ref), QuoteValue(customer_id)));
  }
  auto rules = ListRules(state, customer_id, contract_ref);
  if (!rules.ok()) return rules.status();
  v1::ContractDetails out;
  *out.mutable_contract() = std::move(**contract);
  for (auto& r : *rules) *out.add_rules() = std::move(r);
  return out;
}

absl::StatusOr<std::vector<v1::Contract>> ContractsOf(
    const StateReader& state, absl::string_view customer_id) {
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  return ListContracts(state, customer_id);
}

absl::StatusOr<v1::BillingRule> RuleOf(const StateReader& state,
                                       absl::string_view customer_id,
                                       absl::string_view contract_ref,
                                       absl::string_view rule_id) {
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  if (auto s = Code("contract_ref", contract_ref); !s.ok()) return s;
  if (auto s = Code("rule_id", rule_id); !s.ok()) return s;
  auto rule = LoadRule(state, customer_id, contract_ref, rule_id);
  if (!rule.ok()) return rule.status();
  if (!rule->has_value()) {
    return absl::NotFoundError(absl::StrFormat(
        "rule_id: %s is not a rule of contract %s of customer %s",
        QuoteValue(rule_id), QuoteValue(contract_ref),
        QuoteValue(customer_id)));
  }
  return **rule;
}

absl::StatusOr<v1::IncreaseHistory> IncreaseHistoryOf(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id,
    BusinessDate as_of) {
  auto rule = RuleOf(state, customer_id, contract_ref, rule_id);
  if (!rule.ok()) return rule.status();
  return IncreaseHistoryAsOf(state, *rule, as_of);
}

absl::StatusOr<v1::ReadingHistory> ReadingHistoryOf(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id) {
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  if (auto s = ValidateObjectId("object_id", object_id); !s.ok()) return s;
  auto meter = LoadMeter(state, customer_id, object_id);
  if (!meter.ok()) return meter.status();
  if (!meter->has_value()) {
    return absl::NotFoundError(
        absl::StrFormat("object_id: object %s of customer %s has no reading",
                        QuoteValue(object_id), QuoteValue(customer_id)));
  }
  auto readings = ListReadings(state, customer_id, object_id);
  if (!readings.ok()) return readings.status();
  v1::ReadingHistory out;
  *out.mutable_meter() = std::move(**meter);
  for (auto& r : *readings) *out.add_readings() = std::move(r);
  return out;
}

}  // namespace billing
