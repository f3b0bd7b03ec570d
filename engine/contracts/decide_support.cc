#include "engine/contracts/decide_support.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/prices.h"
#include "engine/contracts/store.h"
#include "engine/contracts/text.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"

namespace billing::contracts_internal {

absl::Status Refuse(const Rejection& rejection, absl::string_view field,
                    absl::string_view reason) {
  return Reject(rejection, absl::StrCat(field, ": ", reason));
}

v1::EventEnvelope NewEvent(absl::string_view type,
                           absl::string_view customer_id,
                           absl::string_view effective_date) {
  v1::EventEnvelope event;
  event.set_type(std::string(type));
  event.set_customer_id(std::string(customer_id));
  event.set_effective_date(std::string(effective_date));
  event.set_schema_version(1);
  return event;
}

Events One(v1::EventEnvelope e) {
  Events out;
  out.push_back(std::move(e));
  return out;
}

absl::Status Code(absl::string_view field, absl::string_view value) {
  return ValidateCode(field, value, limits::kCodeLengthMax);
}

absl::Status OptionalCode(absl::string_view field, absl::string_view value) {
  return value.empty() ? absl::OkStatus() : Code(field, value);
}

absl::StatusOr<BusinessDate> RequiredDate(absl::string_view field,
                                          absl::string_view text) {
  if (text.empty()) return FieldError(field, "is required");
  return ParseBusinessDate(text, field);
}

absl::StatusOr<std::optional<BusinessDate>> OptionalDate(
    absl::string_view field, absl::string_view text) {
  if (text.empty()) return std::optional<BusinessDate>();
  auto d = ParseBusinessDate(text, field);
  if (!d.ok()) return d.status();
  return std::optional<BusinessDate>(*d);
}

absl::Status AtMost(absl::string_view field, int64_t v, int64_t max) {
  if (v > max) {
    return FieldError(field,
                      absl::StrFormat("%d is over the maximum %d", v, max));
  }
  return absl::OkStatus();
}

absl::Status NotNegativeMicrosAtMost(absl::string_view field, int64_t v,
                                     int64_t max) {
  if (v < 0) {
    return FieldError(field, absl::StrCat(FormatMicros(v), " is negative"));
  }
  return AtMost(field, v, max);
}

absl::Status NotNegativeMilliAtMost(absl::string_view field, int64_t v,
                                    int64_t max) {
  if (v < 0) {
    return FieldError(field, absl::StrCat(FormatMilli(v), " is negative"));
  }
  return AtMost(field, v, max);
}

absl::Status Percent(absl::string_view field, int32_t bp, int32_t min) {
  if (bp < min || bp > kPercentBpMax) {
    return FieldError(
        field, absl::StrFormat("%d is not between %d and %d basis points "
                               "(%s to %s)",
                               bp, min, kPercentBpMax, FormatPercentBp(min),
                               FormatPercentBp(kPercentBpMax)));
  }
  return absl::OkStatus();
}

absl::Status RuleCodes(absl::string_view prefix, absl::string_view contract_ref,
                       absl::string_view rule_id) {
  const std::string dot = prefix.empty() ? "" : absl::StrCat(prefix, ".");
  if (auto s = Named(contract_command::kContractRefInvalid,
                     Code(absl::StrCat(dot, "contract_ref"), contract_ref));
      !s.ok()) {
    return s;
  }
  return Named(contract_command::kRuleIdInvalid,
               Code(absl::StrCat(dot, "rule_id"), rule_id));
}

absl::Status CustomerExists(const StateReader& state,
                            absl::string_view customer_id) {
  return NamedIf(contract_command::kCustomerNotFound,
                 RequireCustomer(state, customer_id));
}

absl::StatusOr<v1::Contract> RequireContract(const StateReader& state,
                                             absl::string_view customer_id,
                                             absl::string_view contract_ref,
                                             absl::string_view field) {
  auto c = LoadContract(state, customer_id, contract_ref);
  if (!c.ok()) return c.status();
  if (!c->has_value()) {
    return Reject(
        contract_command::kContractNotFound,
        absl::StrFormat("%s: %s is not a contract of customer %s", field,
                        QuoteValue(contract_ref), QuoteValue(customer_id)));
  }
  return **c;
}

absl::StatusOr<v1::BillingRule> RequireRule(const StateReader& state,
                                            absl::string_view customer_id,
                                            absl::string_view contract_ref,
                                            absl::string_view rule_id,
                                            absl::string_view contract_field,
                                            absl::string_view rule_field) {
  auto contract =
      RequireContract(state, customer_id, contract_ref, contract_field);
  if (!contract.ok()) return contract.status();
  auto r = LoadRule(state, customer_id, contract_ref, rule_id);
  if (!r.ok()) return r.status();
  if (!r->has_value()) {
    return Reject(
        contract_command::kRuleNotFound,
        absl::StrFormat("%s: %s is not a rule of contract %s", rule_field,
                        QuoteValue(rule_id), QuoteValue(contract_ref)));
  }
  return **r;
}

std::string RuleName(const v1::BillingRule& rule) {
  return absl::StrCat(rule.contract_ref(), "/", rule.rule_id());
}

bool HasUnitPrice(v1::RuleType type) {
  return type == v1::RULE_TYPE_FLAT || type == v1::RULE_TYPE_CONSUMED_UNITS ||
         type == v1::RULE_TYPE_UNIT_OF_WORK;
}

}  // namespace billing::contracts_internal
