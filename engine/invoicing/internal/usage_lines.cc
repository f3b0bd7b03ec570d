// Rated usage into lines through usage rules (RULE_TYPE_USAGE on a
// contract: the rule's article, the objects and kinds it covers), and the
// customer's usage records not rated into anomalies. docs/invoicing.md.

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/dates.h"
#include "engine/invoicing/internal/gathered.h"
#include "engine/structure/structure.h"
#include "engine/usage/usage.h"

namespace billing::invoicing_internal {
namespace {

// Whether a usage rule covers the object's usage of this kind in `month`:
// the object is one of its objects (none named: every object), the kind
// one of its kinds (none named: every kind), and the rule runs in some day
// of the month.
bool Covers(const v1::BillingRule& rule, const v1::UsageTotals& totals,
            absl::CivilMonth month) {
  if (rule.rule_type() != v1::RULE_TYPE_USAGE) return false;
  const auto& objects = rule.object_ids();
  if (!objects.empty() && std::find(objects.begin(), objects.end(),
                                    totals.object_id()) == objects.end()) {
    return false;
  }
  const auto& kinds = rule.usage_kinds();
  if (!kinds.empty() &&
      std::find(kinds.begin(), kinds.end(),
                v1::UsageKind_Name(totals.kind())) == kinds.end()) {
    return false;
  }
  const std::string first = FormatBusinessDate(absl::CivilDay(month));
  const std::string last = FormatBusinessDate(absl::CivilDay(month + 1) - 1);
  return rule.start_date() <= last &&
         (rule.end_date().empty() || rule.end_date() >= first);
}

// The first usage rule (by contract, then rule) covering the totals.
const v1::BillingRule* CoveringRule(const CustomerView& view,
                                    const v1::UsageTotals& totals,
                                    absl::CivilMonth month) {
  for (const auto& [key, rule] : view.rules) {
    if (Covers(rule, totals, month)) return &rule;
  }
  return nullptr;
}

v1::PreparationAnomaly UsageAnomaly(v1::AnomalyKind kind,
                                    const v1::UsageTotals& t,
                                    std::string reason) {
  v1::PreparationAnomaly a;
  a.set_kind(kind);
  a.set_object_id(t.object_id());
  a.set_month(t.month());
  a.set_usage_kind(t.kind());
  a.set_usage_zone(t.zone());
  a.set_reason(std::move(reason));
  return a;
}

std::string UsageText(const v1::UsageTotals& t) {
  return absl::StrFormat("usage of %s in %s, %s zone \"%s\"", t.object_id(),
                         t.month(), v1::UsageKind_Name(t.kind()), t.zone());
}

absl::StatusOr<v1::PreparationLine> UsageLine(const CustomerView& view,
                                              const v1::BillingRule& rule,
                                              const v1::UsageTotals& t,
                                              absl::CivilMonth month) {
  v1::PreparationLine l = LineOfRule(rule, v1::LINE_SOURCE_USAGE);
  l.set_label(absl::StrCat(v1::UsageKind_Name(t.kind()), " ", t.zone(), " ",
                           t.month()));
  l.set_period_start(FormatBusinessDate(absl::CivilDay(month)));
  l.set_period_end(FormatBusinessDate(absl::CivilDay(month + 1) - 1));
  l.set_billing_date(FormatBusinessDate(absl::CivilDay(month + 1)));
  l.set_object_id(t.object_id());
  *l.mutable_assignment() = t.assignment();
  // One month's usage at its rated amount: 1.000 x amount, rounded once.
  l.set_quantity_milli(1000);
  l.set_unit_price_micros(t.amount_micros());
  auto gross = RoundMicrosToMinor(t.amount_micros(), view.currency);
  if (!gross.ok()) return gross.status();
  l.set_gross_amount_minor(*gross);
  *l.mutable_usage() = t;
  l.set_explanation(absl::StrFormat(
      "%d record(s), quantity %d, billed %d, rated %s -> %s", t.records(),
      t.quantity(), t.billed_quantity(), FormatMicros(t.amount_micros()),
      FormatMinor(*gross, view.currency)));
  PriceLine(view.currency, l);
  return l;
}

absl::Status GatherTotals(const StateReader& state, CustomerView& view,
                          const RunParams& params, const v1::UsageTotals& t,
                          absl::CivilMonth month, bool late, Gathered& out) {
  auto object = FindObject(state, view, t.object_id());
  if (!object.ok()) return object.status();
  const v1::Contract* contract = nullptr;
  const v1::BillingRule* rule = CoveringRule(view, t, month);
  if (rule != nullptr) contract = &view.contracts.at(rule->contract_ref());
  if (contract != nullptr && !ContractSelected(params, *contract)) {
    return absl::OkStatus();
  }
  Placement p = ContractPlacement(view, contract);
  auto in = PlaceInScope(state, view, params,
                         object->has_value() ? &**object : nullptr, p);
  if (!in.ok()) return in.status();
  if (!*in) return absl::OkStatus();
  if (rule == nullptr) {
    out.anomalies.push_back(
        {p, UsageAnomaly(
                v1::ANOMALY_KIND_USAGE_NOT_COVERED, t,
                absl::StrCat(UsageText(t), " is covered by no usage rule"))});
    return absl::OkStatus();
  }
  if (t.assignment().entity_id().empty()) {
    out.anomalies.push_back(
        {p,
         UsageAnomaly(v1::ANOMALY_KIND_OBJECT_WITHOUT_ENTITY, t,
                      absl::StrCat(UsageText(t), ": object ", t.object_id(),
                                   " had no billing entity in ", t.month()))});
    return absl::OkStatus();
  }
  auto line = UsageLine(view, *rule, t, month);
  if (!line.ok()) return line.status();
  p.entity_id = t.assignment().entity_id();
  if (late) {
    line->set_own_period(true);
    line->set_explanation(
        absl::StrCat("late usage of ", t.month(),
                     ", not on its month's invoice: ", line->explanation()));
  }
  out.lines.push_back({p, *std::move(line)});
  return absl::OkStatus();
}

// Records of the customer quarantined with a reason, of a month up to the
// period's last: the preparation cannot be validated while they wait.
absl::Status GatherNotRated(const StateReader& state, CustomerView& view,
                            const RunParams& params, Gathered& out) {
  auto waiting = QuarantinedUsage(state, view.customer.customer_id(),
                                  kQuarantinedUsageReadMax);
  if (!waiting.ok()) return waiting.status();
  const std::string last_month =
      FormatBillingMonth(absl::CivilMonth(params.period_end));
  for (const v1::UsageQuarantined& q : *waiting) {
    // The month as the platform wrote it (docs/usage.md); a start time
    // that names none is listed whatever the period.
    const std::string month = q.record().start_time().substr(0, 7);
    if (ParseBillingMonth(month, "start_time").ok() && month > last_month) {
      continue;
    }
    std::optional<v1::BillableObject> object;
    if (!q.object_id().empty()) {
      auto found = FindObject(state, view, q.object_id());
      if (!found.ok()) return found.status();
      object = *std::move(found);
    }
    Placement p = ContractPlacement(view, nullptr);
    auto in = PlaceInScope(state, view, params,
                           object.has_value() ? &*object : nullptr, p);
    if (!in.ok()) return in.status();
    if (!*in) continue;
    v1::PreparationAnomaly a;
    a.set_kind(v1::ANOMALY_KIND_USAGE_NOT_RATED);
    a.set_object_id(q.object_id());
    a.set_month(month);
    a.set_usage_kind(q.record().kind());
    a.set_usage_record(
        absl::StrCat(q.record().platform_id(), "/", q.record().record_id()));
    a.set_reason(absl::StrCat("usage record ", a.usage_record(), " of ", month,
                              " is not rated: ", q.reason()));
    out.anomalies.push_back({p, std::move(a)});
  }
  return absl::OkStatus();
}

using UsageKey = std::tuple<std::string, std::string, int, std::string>;

UsageKey KeyOf(const v1::UsageTotals& t) {
  return {t.object_id(), t.month(), t.kind(), t.zone()};
}

// What `now` holds beyond `billed`: nullopt when nothing was added. The
// records added are billed at their first ratings (amount less re-ratings,
// UsageTotals.rerated_amount_micros): what re-ratings moved since the
// invoice is the credit notes' (docs/credit_notes.md, cause 4), not late
// usage.
std::optional<v1::UsageTotals> Difference(const v1::UsageTotals& now,
                                          const v1::UsageTotals* billed) {
  if (billed == nullptr) return now;
  if (now.records() <= billed->records()) return std::nullopt;
  v1::UsageTotals d = now;
  d.set_records(now.records() - billed->records());
  d.set_quantity(now.quantity() - billed->quantity());
  d.set_billed_quantity(now.billed_quantity() - billed->billed_quantity());
  d.set_amount_micros(
      (now.amount_micros() - now.rerated_amount_micros()) -
      (billed->amount_micros() - billed->rerated_amount_micros()));
  d.set_rerated_amount_micros(0);
  return d;
}

// What was invoiced, per object, month, kind and zone: the usage lines of
// the customer's VALIDATED preparations, summed (view.cc), or
// RunParams.billed_usage when given.
using Billed = std::map<UsageKey, const v1::UsageTotals*>;

Billed BilledUsage(const CustomerView& view, const RunParams& params) {
  const std::vector<v1::UsageTotals>& already = params.billed_usage.has_value()
                                                    ? *params.billed_usage
                                                    : view.validated_usage;
  Billed billed;
  for (const v1::UsageTotals& b : already) billed[KeyOf(b)] = &b;
  return billed;
}

// The month's totals beyond what was invoiced of them, each on a line; a
// line of a key invoiced before is late usage, marked with its own period
// (so a run over a month already invoiced owes only what came since).
absl::Status GatherMonth(const StateReader& state, CustomerView& view,
                         const RunParams& params, const Billed& billed,
                         absl::CivilMonth month, Gathered& out) {
  auto totals = UsageTotalsFor(state, view.customer.customer_id(),
                               FormatBillingMonth(month), "");
  if (!totals.ok()) return totals.status();
  for (const v1::UsageTotals& t : *totals) {
    auto it = billed.find(KeyOf(t));
    const v1::UsageTotals* before = it == billed.end() ? nullptr : it->second;
    auto owed = Difference(t, before);
    if (!owed.has_value()) continue;
    absl::Status s = GatherTotals(state, view, params, *owed, month,
                                  /*late=*/before != nullptr, out);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Months before the period that were invoiced and have gained records
// since: the difference, on lines marked with their own period.
absl::Status GatherLateUsage(const StateReader& state, CustomerView& view,
                             const RunParams& params, const Billed& billed,
                             Gathered& out) {
  const std::string first =
      FormatBillingMonth(absl::CivilMonth(params.period_start));
  std::set<std::string> months;
  for (const auto& [key, totals] : billed) {
    if (totals->month() < first) months.insert(totals->month());
  }
  for (const std::string& text : months) {
    auto month = ParseBillingMonth(text, "billed_usage.month");
    if (!month.ok()) return month.status();
    auto totals = UsageTotalsFor(state, view.customer.customer_id(), text, "");
    if (!totals.ok()) return totals.status();
    for (const v1::UsageTotals& t : *totals) {
      auto it = billed.find(KeyOf(t));
      auto late = Difference(t, it == billed.end() ? nullptr : it->second);
      if (!late.has_value()) continue;
      absl::Status s =
          GatherTotals(state, view, params, *late, *month, /*late=*/true, out);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status GatherUsage(const StateReader& state, CustomerView& view,
                         const RunParams& params, Gathered& out) {
  const Billed billed = BilledUsage(view, params);
  absl::Status s = GatherLateUsage(state, view, params, billed, out);
  for (absl::CivilMonth month(params.period_start);
       s.ok() && month <= absl::CivilMonth(params.period_end); ++month) {
    s = GatherMonth(state, view, params, billed, month, out);
  }
  if (!s.ok()) return s;
  return GatherNotRated(state, view, params, out);
}

}  // namespace billing::invoicing_internal
