// The reads GatherCustomer shares: the customer, its entities, contracts
// and rules once; objects and group heads as lines need them.

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/store.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/filters.h"
#include "engine/invoicing/gather.h"
#include "engine/invoicing/internal/gathered.h"
#include "engine/structure/structure.h"

namespace billing::invoicing_internal {
namespace {

using UsageKey = std::tuple<std::string, std::string, int, std::string>;

void AddUsage(const v1::UsageTotals& u,
              std::map<UsageKey, v1::UsageTotals>& sum) {
  auto [it, fresh] = sum.try_emplace(
      UsageKey{u.object_id(), u.month(), u.kind(), u.zone()}, u);
  if (fresh) return;
  v1::UsageTotals& t = it->second;
  t.set_records(t.records() + u.records());
  t.set_quantity(t.quantity() + u.quantity());
  t.set_billed_quantity(t.billed_quantity() + u.billed_quantity());
  t.set_amount_micros(t.amount_micros() + u.amount_micros());
  t.set_rerated_amount_micros(t.rerated_amount_micros() +
                              u.rerated_amount_micros());
}

// What the customer's VALIDATED preparations already bill: their rule
// periods and their usage lines' totals. Generated, anomaly and cancelled
// ones bill nothing (a run replaces the first two).
absl::Status LoadValidated(const StateReader& state, CustomerView& view) {
  auto stored = ListPreparations(state, view.customer.customer_id());
  if (!stored.ok()) return stored.status();
  std::map<UsageKey, v1::UsageTotals> usage;
  for (const v1::Preparation& p : *stored) {
    if (p.status() != v1::PREPARATION_STATUS_VALIDATED) continue;
    for (const v1::PreparationLine& l : p.lines()) {
      if (l.source() == v1::LINE_SOURCE_RULE) {
        view.validated_rule_periods.emplace(
            std::make_tuple(l.contract_ref(), l.rule_id(), l.period_start()),
            p.preparation_id());
      } else if (l.source() == v1::LINE_SOURCE_USAGE) {
        AddUsage(l.usage(), usage);
      }
    }
  }
  for (auto& [key, totals] : usage) {
    view.validated_usage.push_back(std::move(totals));
  }
  return absl::OkStatus();
}

// The payment method of every party the customer's contracts invoice.
absl::Status LoadPaymentMethods(const StateReader& state, CustomerView& view) {
  view.payment_methods[view.customer.customer_id()] =
      PaymentMethodOf(view.customer);
  for (const auto& [ref, contract] : view.contracts) {
    const v1::BillTo& b = contract.bill_to();
    if (b.mode() != v1::BILL_TO_MODE_INVOICE_BILL_TO || b.party_id().empty() ||
        view.payment_methods.contains(b.party_id())) {
      continue;
    }
    auto party = LoadCustomer(state, b.party_id());
    if (!party.ok()) return party.status();
    // Checked when the contract was made; a party gone reads as TRANSFER.
    view.payment_methods[b.party_id()] = party->has_value()
                                             ? PaymentMethodOf(**party)
                                             : v1::PAYMENT_METHOD_TRANSFER;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CustomerView> LoadCustomerView(const StateReader& state,
                                              absl::string_view customer_id) {
  CustomerView view;
  auto customer = CustomerById(state, customer_id);
  if (!customer.ok()) return customer.status();
  view.customer = *std::move(customer);
  auto currency = LookupCurrency(view.customer.currency(), "customer.currency");
  if (!currency.ok()) return currency.status();
  view.currency = *currency;
  auto entities = ListEntities(state, customer_id);
  if (!entities.ok()) return entities.status();
  for (v1::BillingEntity& e : *entities) {
    if (e.main()) view.main_entity_id = e.entity_id();
    std::string id = e.entity_id();
    view.entities.emplace(std::move(id), std::move(e));
  }
  auto contracts = ListContracts(state, customer_id);
  if (!contracts.ok()) return contracts.status();
  for (v1::Contract& c : *contracts) {
    auto rules = ListRules(state, customer_id, c.contract_ref());
    if (!rules.ok()) return rules.status();
    for (v1::BillingRule& r : *rules) {
      auto key = std::make_pair(r.contract_ref(), r.rule_id());
      view.rules.emplace(std::move(key), std::move(r));
    }
    std::string ref = c.contract_ref();
    view.contracts.emplace(std::move(ref), std::move(c));
  }
  if (auto s = LoadPaymentMethods(state, view); !s.ok()) return s;
  if (auto s = LoadValidated(state, view); !s.ok()) return s;
  return view;
}

absl::StatusOr<std::optional<v1::BillableObject>> FindObject(
    const StateReader& state, CustomerView& view, const std::string& id) {
  auto it = view.objects.find(id);
  if (it != view.objects.end()) return it->second;
  auto object = LoadObject(state, view.customer.customer_id(), id);
  if (!object.ok()) return object.status();
  view.objects.emplace(id, *object);
  return *std::move(object);
}

absl::StatusOr<std::string> GroupHeadOf(const StateReader& state,
                                        CustomerView& view,
                                        const v1::BillableObject& object) {
  const std::string& account_id = object.kind() == v1::OBJECT_KIND_ACCOUNT
                                      ? object.object_id()
                                      : object.parent_id();
  if (account_id.empty()) return std::string();
  auto account = FindObject(state, view, account_id);
  if (!account.ok()) return account.status();
  if (!account->has_value()) return std::string();
  const v1::AccountDetails& details = (*account)->account();
  switch (details.group_role()) {
    case v1::GROUP_ROLE_HEAD:
      return account_id;
    case v1::GROUP_ROLE_MEMBER:
      return details.group_head_id();
    default:
      return std::string();
  }
}

Placement ContractPlacement(const CustomerView& view,
                            const v1::Contract* contract) {
  Placement p;
  if (contract != nullptr) {
    if (!contract->bill_to().party_id().empty())
      p.bill_to = contract->bill_to();
    p.billing_family = contract->billing_family();
  }
  p.entity_id = view.main_entity_id;
  return p;
}

absl::StatusOr<bool> PlaceInScope(const StateReader& state, CustomerView& view,
                                  const RunParams& params,
                                  const v1::BillableObject* object,
                                  Placement& placement) {
  std::string head;
  if (object != nullptr) {
    auto h = GroupHeadOf(state, view, *object);
    if (!h.ok()) return h.status();
    head = *std::move(h);
  }
  const v1::AccountScope scope =
      head.empty() ? v1::ACCOUNT_SCOPE_ORDINARY : v1::ACCOUNT_SCOPE_GROUPED;
  if (scope != params.scope) return false;
  if (head.empty()) return true;
  // The head's preparation is addressed as the head's entity is (the
  // period's first month); a head that did not exist then: the main one.
  auto change = AssignmentForMonth(state, view.customer.customer_id(), head,
                                   absl::CivilMonth(params.period_start));
  if (!change.ok() && !absl::IsNotFound(change.status())) {
    return change.status();
  }
  placement.head_account_id = head;
  placement.head_entity_id =
      change.ok() ? change->assignment().entity_id() : view.main_entity_id;
  return true;
}

bool ContractSelected(const RunParams& params, const v1::Contract& contract) {
  return InCodeRange(params.contract_refs, contract.contract_ref()) &&
         MaskMatches(params.billing_family, contract.billing_family()) &&
         MaskMatches(params.site_code, contract.site_code());
}

v1::PreparationLine LineOfRule(const v1::BillingRule& rule,
                               v1::LineSource source) {
  v1::PreparationLine l;
  l.set_source(source);
  l.set_contract_ref(rule.contract_ref());
  l.set_rule_id(rule.rule_id());
  l.set_rule_type(rule.rule_type());
  l.set_article_code(rule.article_code());
  l.set_label(rule.label());
  return l;
}

void PriceLine(const Currency& currency, v1::PreparationLine& line) {
  const int32_t discount = line.assignment().discount_hundredths();
  const int64_t gross = line.gross_amount_minor();
  line.set_discount_minor(DiscountMinor(gross, discount));
  line.set_net_amount_minor(gross - line.discount_minor());
  line.set_margin_minor(line.net_amount_minor() - line.cost_minor());
  if (discount == 0) return;
  absl::StrAppend(
      line.mutable_explanation(),
      absl::StrFormat("; discount %s %% of %s = %s, net %s",
                      FormatFixedPoint(discount, 2),
                      FormatMinor(gross, currency),
                      FormatMinor(line.discount_minor(), currency),
                      FormatMinor(line.net_amount_minor(), currency)));
}

}  // namespace billing::invoicing_internal
