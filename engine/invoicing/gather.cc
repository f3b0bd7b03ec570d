#include "engine/invoicing/gather.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/contracts/due.h"
#include "engine/contracts/prices.h"
#include "engine/core/money.h"
#include "engine/core/state.h"
#include "engine/invoicing/internal/gathered.h"
#include "engine/structure/structure.h"

namespace billing {
namespace invoicing_internal {
namespace {

enum class Placed { kPlaced, kOutOfScope, kAnomaly };

std::string RuleName(const v1::DueRule& rule) {
  return absl::StrCat(rule.contract_ref(), "/", rule.rule_id());
}

// The objects of the billing structure a due line bills: its own object
// (consumed units), else the rule's; equipment lines are not in it.
absl::StatusOr<std::vector<v1::BillableObject>> LineObjects(
    const StateReader& state, CustomerView& view, const v1::BillingRule& rule,
    const v1::DueLine& line) {
  std::vector<std::string> ids;
  if (!line.object_id().empty()) {
    ids.push_back(line.object_id());
  } else {
    ids.assign(rule.object_ids().begin(), rule.object_ids().end());
  }
  std::vector<v1::BillableObject> out;
  for (const std::string& id : ids) {
    auto object = FindObject(state, view, id);
    if (!object.ok()) return object.status();
    if (object->has_value()) out.push_back(**object);
  }
  return out;
}

void AddRuleAnomaly(const Placement& placement, v1::AnomalyKind kind,
                    const v1::DueRule& rule, std::string month,
                    std::string object_id, std::string reason, Gathered& out) {
  v1::PreparationAnomaly a;
  a.set_kind(kind);
  a.set_contract_ref(rule.contract_ref());
  a.set_rule_id(rule.rule_id());
  a.set_month(std::move(month));
  a.set_object_id(std::move(object_id));
  const std::string prefix = absl::StrCat("rule ", RuleName(rule), ": ");
  // The due computation names the rule in some reasons already.
  a.set_reason(absl::StartsWith(reason, prefix) ? std::move(reason)
                                                : absl::StrCat(prefix, reason));
  out.anomalies.push_back({placement, std::move(a)});
}

std::string AssignmentText(const v1::Assignment& a) {
  return absl::StrFormat("%s, %s %%", a.entity_id(),
                         FormatFixedPoint(a.discount_hundredths(), 2));
}

// The entity and discount of a due line: those of its objects in the
// month of its first day, which must agree (one line, one entity); the
// main entity and no discount when none is in the structure.
absl::StatusOr<Placed> PlaceRuleLine(
    const StateReader& state, CustomerView& view, const RunParams& params,
    const v1::BillingRule& rule, const v1::DueRule& due,
    const v1::DueLine& line, Placement& p, v1::Assignment& assignment,
    Gathered& out) {
  auto objects = LineObjects(state, view, rule, line);
  if (!objects.ok()) return objects.status();
  auto in = PlaceInScope(state, view, params,
                         objects->empty() ? nullptr : &objects->front(), p);
  if (!in.ok()) return in.status();
  if (!*in) return Placed::kOutOfScope;
  auto day = ParseBusinessDate(line.period_start(), "due.period_start");
  if (!day.ok()) return day.status();
  const BillingMonth month(*day);
  const std::string month_text = FormatBillingMonth(month);
  assignment.set_entity_id(view.main_entity_id);
  for (size_t i = 0; i < objects->size(); ++i) {
    const v1::BillableObject& o = (*objects)[i];
    auto change = AssignmentForMonth(state, view.customer.customer_id(),
                                     o.object_id(), month);
    if (absl::IsNotFound(change.status())) {
      AddRuleAnomaly(p, v1::ANOMALY_KIND_OBJECT_WITHOUT_ENTITY, due, month_text,
                     o.object_id(),
                     absl::StrFormat("object %s had no billing entity in %s "
                                     "(created %s): its line of %s to %s "
                                     "cannot be placed",
                                     o.object_id(), month_text, o.created_on(),
                                     line.period_start(), line.period_end()),
                     out);
      return Placed::kAnomaly;
    }
    if (!change.ok()) return change.status();
    const v1::Assignment& a = change->assignment();
    if (i > 0 &&
        (a.entity_id() != assignment.entity_id() ||
         a.discount_hundredths() != assignment.discount_hundredths())) {
      AddRuleAnomaly(
          p, v1::ANOMALY_KIND_RULE_OBJECTS_SPLIT, due, month_text, "",
          absl::StrFormat("objects %s (%s) and %s (%s) differ in entity or "
                          "discount in %s: one line cannot be split",
                          (*objects)[0].object_id(), AssignmentText(assignment),
                          o.object_id(), AssignmentText(a), month_text),
          out);
      return Placed::kAnomaly;
    }
    assignment = a;
  }
  p.entity_id = assignment.entity_id();
  return Placed::kPlaced;
}

v1::PreparationLine RuleLine(const CustomerView& view,
                             const v1::BillingRule& rule,
                             const v1::DueRule& due, const v1::DueLine& d,
                             const v1::Assignment& assignment) {
  v1::PreparationLine l = LineOfRule(rule, v1::LINE_SOURCE_RULE);
  l.set_period_start(d.period_start());
  l.set_period_end(d.period_end());
  l.set_billing_date(d.billing_date());
  l.set_object_id(!d.object_id().empty()        ? d.object_id()
                  : rule.object_ids_size() == 1 ? rule.object_ids(0)
                                                : "");
  *l.mutable_assignment() = assignment;
  l.set_quantity_milli(d.quantity_milli());
  l.set_unit_price_micros(d.unit_price_micros());
  *l.mutable_price_source() = d.price_source();
  l.set_gross_amount_minor(d.amount_minor());
  l.set_cost_minor(d.cost_minor());
  if (d.has_from_reading()) *l.mutable_from_reading() = d.from_reading();
  if (d.has_to_reading()) *l.mutable_to_reading() = d.to_reading();
  l.set_carried_units_milli(d.carried_units_milli());
  l.set_explanation(
      !d.explanation().empty()
          ? d.explanation()
          : absl::StrFormat("%s x %s = %s",
                            FormatFixedPoint(d.quantity_milli(), 3),
                            FormatMicros(d.unit_price_micros()),
                            FormatMinor(d.amount_minor(), view.currency)));
  PriceLine(view.currency, l);
  return l;
}

// Where a rule's entries go when no line of it is placed (held, anomaly,
// a period already validated): the contract's key, the scope of the
// rule's first object; nullopt when out of the run's scope.
absl::StatusOr<std::optional<Placement>> RulePlacement(
    const StateReader& state, CustomerView& view, const RunParams& params,
    const v1::Contract& contract, const v1::BillingRule& rule) {
  Placement p = ContractPlacement(view, &contract);
  v1::DueLine none;
  auto objects = LineObjects(state, view, rule, none);
  if (!objects.ok()) return objects.status();
  auto in = PlaceInScope(state, view, params,
                         objects->empty() ? nullptr : &objects->front(), p);
  if (!in.ok()) return in.status();
  if (!*in) return std::optional<Placement>();
  return std::optional<Placement>(std::move(p));
}

// A due line whose period is on a VALIDATED preparation: its invoice is
// issued (its rule's dates move once the invoice is numbered, a moment
// later), so it is traced, not gathered again.
absl::StatusOr<bool> SkipValidated(const StateReader& state, CustomerView& view,
                                   const RunParams& params,
                                   const v1::Contract& contract,
                                   const v1::BillingRule& rule,
                                   const v1::DueRule& due, const v1::DueLine& d,
                                   Gathered& out) {
  auto v = view.validated_rule_periods.find(
      {due.contract_ref(), due.rule_id(), d.period_start()});
  if (v == view.validated_rule_periods.end()) return false;
  auto p = RulePlacement(state, view, params, contract, rule);
  if (!p.ok()) return p.status();
  if (p->has_value()) {
    out.trace.push_back(
        {**p, absl::StrFormat("rule %s: %s to %s is on validated preparation "
                              "%s: not gathered again",
                              RuleName(due), d.period_start(), d.period_end(),
                              v->second)});
  }
  return true;
}

// The revision formula of a line's price, from the rule's price timeline
// as the due computation replayed it (as of the business date); built
// once per rule, and only when a line's price is a revision.
class FormulaOfRule {
 public:
  FormulaOfRule(const StateReader& state, const v1::BillingRule& rule,
                BusinessDate as_of)
      : state_(state), rule_(rule), as_of_(as_of) {}
  absl::StatusOr<std::string> Of(const v1::PriceSource& source) {
    if (source.kind() == v1::INCREASE_KIND_UNSPECIFIED) return std::string();
    if (!timeline_.has_value()) {
      auto t = BuildPriceTimeline(state_, rule_, as_of_);
      if (!t.ok()) return t.status();
      timeline_ = *std::move(t);
    }
    return RevisionFormula(*timeline_, source);
  }

 private:
  const StateReader& state_;
  const v1::BillingRule& rule_;
  const BusinessDate as_of_;
  std::optional<PriceTimeline> timeline_;
};

absl::Status GatherDueLines(const StateReader& state, CustomerView& view,
                            const RunParams& params,
                            const v1::Contract& contract,
                            const v1::BillingRule& rule, const v1::DueRule& due,
                            Gathered& out) {
  int placed = 0;
  FormulaOfRule formulas(state, rule, params.business_date);
  for (const v1::DueLine& d : due.lines()) {
    auto skip = SkipValidated(state, view, params, contract, rule, due, d, out);
    if (!skip.ok()) return skip.status();
    if (*skip) continue;
    Placement p = ContractPlacement(view, &contract);
    v1::Assignment assignment;
    auto result =
        PlaceRuleLine(state, view, params, rule, due, d, p, assignment, out);
    if (!result.ok()) return result.status();
    if (*result != Placed::kPlaced) continue;
    if (placed++ == 0) {
      out.trace.push_back(
          {p, absl::StrFormat("rule %s (%s) due%s: %d line(s), %s%s",
                              RuleName(due), v1::RuleType_Name(due.rule_type()),
                              due.catch_up() ? " (catch-up)" : "",
                              due.lines_size(),
                              FormatMinor(due.amount_minor(), view.currency),
                              due.periods_behind() > 0
                                  ? absl::StrCat(", ", due.periods_behind(),
                                                 " period(s) behind")
                                  : "")});
    }
    v1::PreparationLine line = RuleLine(view, rule, due, d, assignment);
    auto formula = formulas.Of(d.price_source());
    if (!formula.ok()) return formula.status();
    line.set_price_formula(*std::move(formula));
    out.lines.push_back({p, std::move(line)});
  }
  return absl::OkStatus();
}

// A held rule goes on the trace with its lines, not billed; a rule in
// anomaly makes its preparation an anomaly, one entry per reason.
absl::Status GatherRuleState(const StateReader& state, CustomerView& view,
                             const RunParams& params,
                             const v1::Contract& contract,
                             const v1::BillingRule& rule,
                             const v1::DueRule& due, Gathered& out) {
  auto placement = RulePlacement(state, view, params, contract, rule);
  if (!placement.ok()) return placement.status();
  if (!placement->has_value()) return absl::OkStatus();
  const Placement& p = **placement;
  std::vector<std::string> lines;
  for (const v1::DueLine& d : due.lines()) {
    lines.push_back(
        absl::StrFormat("%s to %s %s", d.period_start(), d.period_end(),
                        FormatMinor(d.amount_minor(), view.currency)));
  }
  const std::string shown =
      lines.empty() ? "no line"
                    : absl::StrCat("lines ", absl::StrJoin(lines, "; "));
  if (due.status() == v1::DUE_STATUS_HELD) {
    out.trace.push_back(
        {p, absl::StrFormat("rule %s held: %s; %s shown, not billed",
                            RuleName(due), absl::StrJoin(due.reasons(), "; "),
                            shown)});
    return absl::OkStatus();
  }
  for (const std::string& reason : due.reasons()) {
    AddRuleAnomaly(p, v1::ANOMALY_KIND_RULE, due, "", "", reason, out);
  }
  out.trace.push_back({p, absl::StrFormat("rule %s in anomaly: %s not billed",
                                          RuleName(due), shown)});
  return absl::OkStatus();
}

absl::Status GatherRule(const StateReader& state, CustomerView& view,
                        const RunParams& params, const v1::DueRule& due,
                        Gathered& out) {
  auto contract = view.contracts.find(due.contract_ref());
  auto rule = view.rules.find({due.contract_ref(), due.rule_id()});
  if (contract == view.contracts.end() || rule == view.rules.end()) {
    return absl::DataLossError(absl::StrCat(
        "rule ", RuleName(due), " is due but not in the customer's contracts"));
  }
  if (!ContractSelected(params, contract->second)) return absl::OkStatus();
  switch (due.status()) {
    case v1::DUE_STATUS_DUE:
      return GatherDueLines(state, view, params, contract->second, rule->second,
                            due, out);
    case v1::DUE_STATUS_HELD:
    case v1::DUE_STATUS_ANOMALY:
      return GatherRuleState(state, view, params, contract->second,
                             rule->second, due, out);
    default:
      return absl::OkStatus();
  }
}

}  // namespace

absl::Status GatherRules(const StateReader& state, CustomerView& view,
                         const RunParams& params, Gathered& out) {
  auto due = ComputeDue(state, view.customer.customer_id(), DueSelection{},
                        params.business_date);
  if (!due.ok()) return due.status();
  for (const v1::DueRule& rule : due->rules()) {
    absl::Status s = GatherRule(state, view, params, rule, out);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace invoicing_internal

int64_t DiscountMinor(int64_t gross_minor, int32_t discount_hundredths) {
  return PercentOfMinor(gross_minor, discount_hundredths);
}

absl::StatusOr<std::vector<v1::Preparation>> GatherCustomer(
    const StateReader& state, absl::string_view customer_id,
    const RunParams& params) {
  if (params.period_end < params.period_start) {
    return absl::InvalidArgumentError(
        absl::StrFormat("period_end: %s is before the period's start %s",
                        FormatBusinessDate(params.period_end),
                        FormatBusinessDate(params.period_start)));
  }
  if (params.scope != v1::ACCOUNT_SCOPE_ORDINARY &&
      params.scope != v1::ACCOUNT_SCOPE_GROUPED) {
    return absl::InvalidArgumentError(
        "scope: is required (ordinary or grouped accounts)");
  }
  auto view = invoicing_internal::LoadCustomerView(state, customer_id);
  if (!view.ok()) return view.status();
  invoicing_internal::Gathered gathered;
  absl::Status s =
      invoicing_internal::GatherRules(state, *view, params, gathered);
  if (s.ok())
    s = invoicing_internal::GatherUsage(state, *view, params, gathered);
  if (!s.ok()) return s;
  return invoicing_internal::GroupPreparations(state, *view, params, gathered);
}

}  // namespace billing
