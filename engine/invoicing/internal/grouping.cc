// Lines into preparations, one per invoice to be: by invoiced party, the
// entity the customer's delivery mode addresses, billing family (when
// split) and type. docs/invoicing.md, "Grouping into preparations".

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/core/dates.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/internal/gathered.h"
#include "engine/invoicing/preparation.h"
#include "engine/structure/structure.h"

namespace billing::invoicing_internal {
namespace {

struct Key {
  std::string party_id;
  std::string head_account_id;
  std::string entity_id;
  std::string billing_family;
  std::string bill_to_party_id;
  int bill_to_mode = 0;
  int type = 0;
  auto Tie() const {
    return std::tie(party_id, head_account_id, entity_id, billing_family,
                    bill_to_party_id, bill_to_mode, type);
  }
  bool operator<(const Key& other) const { return Tie() < other.Tie(); }
};

v1::InvoiceDeliveryMode DeliveryMode(const CustomerView& view) {
  const v1::InvoiceDeliveryMode mode = view.customer.invoice_delivery_mode();
  return mode == v1::INVOICE_DELIVERY_MODE_UNSPECIFIED
             ? v1::INVOICE_DELIVERY_MODE_PER_ENTITY
             : mode;
}

// The entity a line of `entity` is invoiced to, by the delivery mode.
std::string AddressedEntity(const CustomerView& view,
                            const std::string& entity) {
  switch (DeliveryMode(view)) {
    case v1::INVOICE_DELIVERY_MODE_MAIN_ENTITY_DETAILED:
      return view.main_entity_id;
    case v1::INVOICE_DELIVERY_MODE_MIXED: {
      auto it = view.entities.find(entity);
      const bool own =
          it != view.entities.end() && it->second.invoiced_separately();
      return own ? entity : view.main_entity_id;
    }
    default:
      return entity;
  }
}

v1::PaymentMethod PaymentMethodFor(const CustomerView& view,
                                   const std::string& party_id) {
  auto it = view.payment_methods.find(party_id);
  return it == view.payment_methods.end() ? v1::PAYMENT_METHOD_TRANSFER
                                          : it->second;
}

Key KeyOf(const CustomerView& view, const RunParams& params,
          const Placement& p) {
  Key k;
  k.party_id = p.bill_to.mode() == v1::BILL_TO_MODE_INVOICE_BILL_TO
                   ? p.bill_to.party_id()
                   : view.customer.customer_id();
  k.head_account_id = p.head_account_id;
  k.entity_id = AddressedEntity(
      view, p.head_account_id.empty() ? p.entity_id : p.head_entity_id);
  if (params.split_by_billing_family) k.billing_family = p.billing_family;
  k.bill_to_party_id = p.bill_to.party_id();
  k.bill_to_mode = p.bill_to.mode();
  // The invoiced party's method: a group head is an account of the holder
  // (no method of its own), so the holder's; a bill-to party's in mode
  // INVOICE_BILL_TO. Direct debit: a payment notice (docs/invoicing.md).
  k.type = PaymentMethodFor(view, k.party_id) == v1::PAYMENT_METHOD_DIRECT_DEBIT
               ? v1::PREPARATION_TYPE_PAYMENT_NOTICE
               : v1::PREPARATION_TYPE_INVOICE;
  return k;
}

// "<holder>/<start>..<end>/<party>[.<head>]/<entity|->/<family|*>/<INV|PN>"
// and "/<mode>:<bill-to party>" when the contracts have one.
std::string PreparationId(const CustomerView& view, const RunParams& params,
                          const Key& k) {
  std::string id = absl::StrCat(
      view.customer.customer_id(), "/", FormatBusinessDate(params.period_start),
      "..", FormatBusinessDate(params.period_end), "/", k.party_id,
      k.head_account_id.empty() ? "" : ".", k.head_account_id, "/",
      k.entity_id.empty() ? "-" : k.entity_id, "/",
      k.billing_family.empty() ? "*" : k.billing_family, "/",
      k.type == v1::PREPARATION_TYPE_PAYMENT_NOTICE ? "PN" : "INV");
  if (!k.bill_to_party_id.empty()) {
    absl::StrAppend(&id, "/",
                    k.bill_to_mode == v1::BILL_TO_MODE_INVOICE_BILL_TO
                        ? "invoice:"
                        : "post:",
                    k.bill_to_party_id);
  }
  return id;
}

// The invoiced party with its billing details as the state holds them now.
absl::StatusOr<v1::InvoicedParty> PartyOf(const StateReader& state,
                                          const CustomerView& view,
                                          const Key& k) {
  v1::InvoicedParty party;
  party.set_customer_id(k.party_id);
  party.set_account_id(k.head_account_id);
  party.set_payment_method(PaymentMethodFor(view, k.party_id));
  const v1::Customer* customer = &view.customer;
  std::optional<v1::Customer> bill_to;
  if (k.party_id != view.customer.customer_id()) {
    auto loaded = LoadCustomer(state, k.party_id);
    if (!loaded.ok()) return loaded.status();
    bill_to = *std::move(loaded);
    if (!bill_to.has_value())
      return party;  // checked when the contract was made
    customer = &*bill_to;
  }
  party.set_name(customer->name());
  party.set_vat_id(customer->vat_id());
  party.set_siren(customer->siren());
  if (customer->has_sepa_mandate()) {
    *party.mutable_sepa_mandate() = customer->sepa_mandate();
  }
  *party.mutable_billing_address() = customer->billing_address();
  party.set_email(customer->email());
  if (bill_to.has_value()) return party;
  if (!k.head_account_id.empty()) {
    auto details = ResolveBillingDetails(state, view.customer.customer_id(),
                                         k.head_account_id);
    if (!details.ok()) return details.status();
    *party.mutable_billing_address() = details->billing_address;
    party.set_email(details->email);
    return party;
  }
  auto entity = view.entities.find(k.entity_id);
  if (entity == view.entities.end()) return party;
  if (!entity->second.billing_address().city().empty()) {
    *party.mutable_billing_address() = entity->second.billing_address();
  }
  if (!entity->second.email().empty()) party.set_email(entity->second.email());
  return party;
}

struct Building {
  v1::Preparation preparation;
  std::set<std::string> families;
};

absl::StatusOr<Building*> PreparationFor(const StateReader& state,
                                         const CustomerView& view,
                                         const RunParams& params,
                                         const Placement& p,
                                         std::map<Key, Building>& building) {
  const Key k = KeyOf(view, params, p);
  auto it = building.find(k);
  if (it != building.end()) return &it->second;
  auto party = PartyOf(state, view, k);
  if (!party.ok()) return party.status();
  v1::Preparation& prep = building[k].preparation;
  prep.set_preparation_id(PreparationId(view, params, k));
  prep.set_run_id(params.run_id);
  prep.set_period_start(FormatBusinessDate(params.period_start));
  prep.set_period_end(FormatBusinessDate(params.period_end));
  prep.set_business_date(FormatBusinessDate(params.business_date));
  prep.set_scope(params.scope);
  prep.set_type(static_cast<v1::PreparationType>(k.type));
  *prep.mutable_invoiced_party() = *std::move(party);
  prep.set_holder_id(view.customer.customer_id());
  if (!k.bill_to_party_id.empty()) *prep.mutable_bill_to() = p.bill_to;
  prep.set_delivery_mode(DeliveryMode(view));
  prep.set_billing_family(k.billing_family);
  prep.set_entity_id(k.entity_id);
  prep.set_currency(view.customer.currency());
  return &building[k];
}

void AddLine(const Gathered::Line& line, Building& b) {
  if (!line.placement.billing_family.empty()) {
    b.families.insert(line.placement.billing_family);
  }
  *b.preparation.add_lines() = line.line;
}

v1::Preparation Finish(const CustomerView& view, Building b) {
  v1::Preparation prep = std::move(b.preparation);
  absl::Status totals = Retotal(prep);
  if (!totals.ok()) {
    v1::PreparationAnomaly* a = prep.add_anomalies();
    a->set_kind(v1::ANOMALY_KIND_AMOUNT);
    a->set_reason(std::string(totals.message()));
    prep.set_status(v1::PREPARATION_STATUS_ANOMALY);
  }
  for (v1::PreparationSection& s : *prep.mutable_sections()) {
    auto e = view.entities.find(s.entity_id());
    if (e != view.entities.end()) s.set_entity_name(e->second.name());
  }
  if (prep.billing_family().empty() && b.families.size() == 1) {
    prep.set_billing_family(*b.families.begin());
  }
  return prep;
}

}  // namespace

absl::StatusOr<std::vector<v1::Preparation>> GroupPreparations(
    const StateReader& state, const CustomerView& view, const RunParams& params,
    const Gathered& gathered) {
  std::map<Key, Building> building;
  for (const Gathered::Line& line : gathered.lines) {
    auto b = PreparationFor(state, view, params, line.placement, building);
    if (!b.ok()) return b.status();
    AddLine(line, **b);
  }
  for (const Gathered::Anomaly& a : gathered.anomalies) {
    auto b = PreparationFor(state, view, params, a.placement, building);
    if (!b.ok()) return b.status();
    *(*b)->preparation.add_anomalies() = a.anomaly;
  }
  // Trace entries join the preparation of their key when it exists: a
  // held rule alone makes no preparation.
  for (const Gathered::Trace& t : gathered.trace) {
    auto it = building.find(KeyOf(view, params, t.placement));
    if (it != building.end()) it->second.preparation.add_trace(t.text);
  }
  std::vector<v1::Preparation> out;
  out.reserve(building.size());
  for (auto& [key, b] : building) out.push_back(Finish(view, std::move(b)));
  std::sort(out.begin(), out.end(),
            [](const v1::Preparation& a, const v1::Preparation& b) {
              return a.preparation_id() < b.preparation_id();
            });
  return out;
}

}  // namespace billing::invoicing_internal
