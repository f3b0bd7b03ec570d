#pragma once

// What GatherCustomer collects before grouping (engine/invoicing/gather.h),
// and the reads it shares. Private to engine/invoicing.

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "billing/v1/contracts.pb.h"
#include "billing/v1/customer.pb.h"
#include "billing/v1/invoicing.pb.h"
#include "billing/v1/structure.pb.h"
#include "engine/core/money.h"
#include "engine/core/state.h"
#include "engine/invoicing/gather.h"

namespace billing::invoicing_internal {

// Where a line, an anomaly or a trace entry goes, before the grouping key
// (invoiced party, entity by delivery mode, family, type) is derived.
struct Placement {
  // The contract's bill-to party and mode; empty: none (or no contract).
  v1::BillTo bill_to;
  // The contract's; empty without a contract.
  std::string billing_family;
  // A grouped account's head, whose preparation the line joins; empty for
  // ordinary accounts.
  std::string head_account_id;
  // The head's entity in the period's first month (grouped only).
  std::string head_entity_id;
  // The line's entity (its section); the main entity when it has no object.
  std::string entity_id;
};

struct Gathered {
  struct Line {
    Placement placement;
    v1::PreparationLine line;
  };
  struct Anomaly {
    Placement placement;
    v1::PreparationAnomaly anomaly;
  };
  struct Trace {
    Placement placement;
    std::string text;
  };
  std::vector<Line> lines;
  std::vector<Anomaly> anomalies;
  std::vector<Trace> trace;
};

// What the gather reads once per customer, and the objects it has looked up.
struct CustomerView {
  v1::Customer customer;
  Currency currency;
  // By entity_id.
  std::map<std::string, v1::BillingEntity> entities;
  // Empty: the customer has no entity.
  std::string main_entity_id;
  std::map<std::string, v1::Contract> contracts;
  // By (contract_ref, rule_id).
  std::map<std::pair<std::string, std::string>, v1::BillingRule> rules;
  // Looked up so far; nullopt: not an object of the billing structure (an
  // equipment line).
  std::map<std::string, std::optional<v1::BillableObject>> objects;
  // The payment method of each party invoiced: the customer, and the
  // bill-to parties of its contracts in mode INVOICE_BILL_TO.
  std::map<std::string, v1::PaymentMethod> payment_methods;
  // From the customer's VALIDATED preparations (what a run must not gather
  // again): each rule period billed, (contract_ref, rule_id, period_start)
  // -> the preparation's id; and the usage billed per (object, month,
  // kind, zone), summed over them (late-usage lines hold differences).
  std::map<std::tuple<std::string, std::string, std::string>, std::string>
      validated_rule_periods;
  std::vector<v1::UsageTotals> validated_usage;
};

absl::StatusOr<CustomerView> LoadCustomerView(const StateReader& state,
                                              absl::string_view customer_id);

// The object, or nullopt when the structure has none of that id.
absl::StatusOr<std::optional<v1::BillableObject>> FindObject(
    const StateReader& state, CustomerView& view, const std::string& id);

// The head of the grouped account the object is billed through (itself for
// a head account); empty when its account is ordinary or it has none.
absl::StatusOr<std::string> GroupHeadOf(const StateReader& state,
                                        CustomerView& view,
                                        const v1::BillableObject& object);

// A placement for a contract's lines before their objects are known: the
// contract's bill-to and family, the main entity.
Placement ContractPlacement(const CustomerView& view,
                            const v1::Contract* contract);

// Fills head_account_id and head_entity_id for a grouped object; false when
// the object's scope is not the run's.
absl::StatusOr<bool> PlaceInScope(const StateReader& state, CustomerView& view,
                                  const RunParams& params,
                                  const v1::BillableObject* object,
                                  Placement& placement);

bool ContractSelected(const RunParams& params, const v1::Contract& contract);

// A line of the rule: its source, contract, rule, type, article and label.
v1::PreparationLine LineOfRule(const v1::BillingRule& rule,
                               v1::LineSource source);

// The line's discount, net amount and margin from its gross amount, cost
// and assignment; the explanation gains the discount when there is one.
void PriceLine(const Currency& currency, v1::PreparationLine& line);

// Rules due (ComputeDue) of the selected contracts: lines, held rules in
// the trace, anomalies.
absl::Status GatherRules(const StateReader& state, CustomerView& view,
                         const RunParams& params, Gathered& out);

// The period's rated usage through usage rules, and the customer's usage
// records not rated.
absl::Status GatherUsage(const StateReader& state, CustomerView& view,
                         const RunParams& params, Gathered& out);

// Lines, anomalies and trace into preparations, by preparation_id.
absl::StatusOr<std::vector<v1::Preparation>> GroupPreparations(
    const StateReader& state, const CustomerView& view, const RunParams& params,
    const Gathered& gathered);

}  // namespace billing::invoicing_internal
