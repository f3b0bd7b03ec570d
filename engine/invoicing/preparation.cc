#include "engine/invoicing/preparation.h"

#include <map>
#include <utility>

#include "absl/strings/str_format.h"

namespace billing {
namespace {

absl::Status AddToTotals(const v1::PreparationLine& line,
                         v1::PreparationTotals& totals) {
  const int64_t add[5] = {line.gross_amount_minor(), line.discount_minor(),
                          line.net_amount_minor(), line.cost_minor(),
                          line.margin_minor()};
  int64_t next[5] = {totals.gross_amount_minor(), totals.discount_minor(),
                     totals.net_amount_minor(), totals.cost_minor(),
                     totals.margin_minor()};
  for (int i = 0; i < 5; ++i) {
    auto sum = AddMinor(next[i], add[i]);
    if (!sum.ok()) return sum.status();
    next[i] = *sum;
  }
  totals.set_gross_amount_minor(next[0]);
  totals.set_discount_minor(next[1]);
  totals.set_net_amount_minor(next[2]);
  totals.set_cost_minor(next[3]);
  totals.set_margin_minor(next[4]);
  totals.set_lines(totals.lines() + 1);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::PreparationLine> AdHocLine(const AdHocLineRequest& request,
                                              const Currency& currency) {
  auto gross = LineAmountMinor(request.unit_price_micros,
                               request.quantity_milli, currency);
  if (!gross.ok()) return gross.status();
  v1::PreparationLine l;
  l.set_source(v1::LINE_SOURCE_AD_HOC);
  l.set_article_code(request.article_code);
  l.set_label(request.label);
  l.mutable_assignment()->set_entity_id(request.entity_id);
  l.set_quantity_milli(request.quantity_milli);
  l.set_unit_price_micros(request.unit_price_micros);
  l.set_gross_amount_minor(*gross);
  l.set_net_amount_minor(*gross);
  l.set_margin_minor(*gross);
  l.set_explanation(absl::StrFormat(
      "ad-hoc line: %s x %s = %s", FormatFixedPoint(request.quantity_milli, 3),
      FormatMicros(request.unit_price_micros), FormatMinor(*gross, currency)));
  return l;
}

absl::Status Retotal(v1::Preparation& preparation) {
  std::map<std::string, v1::PreparationTotals> sections;
  v1::PreparationTotals total;
  for (const v1::PreparationLine& line : preparation.lines()) {
    absl::Status s = AddToTotals(line, sections[line.assignment().entity_id()]);
    if (s.ok()) s = AddToTotals(line, total);
    if (!s.ok()) {
      return absl::OutOfRangeError(absl::StrFormat(
          "preparation %s: its totals do not fit in 64 bits (%s)",
          preparation.preparation_id(), s.message()));
    }
  }
  std::map<std::string, std::string> names;
  for (const v1::PreparationSection& s : preparation.sections()) {
    names[s.entity_id()] = s.entity_name();
  }
  preparation.clear_sections();
  for (auto& [entity_id, totals] : sections) {
    v1::PreparationSection* s = preparation.add_sections();
    s->set_entity_id(entity_id);
    s->set_entity_name(names[entity_id]);
    *s->mutable_totals() = std::move(totals);
  }
  *preparation.mutable_totals() = std::move(total);
  if (preparation.status() == v1::PREPARATION_STATUS_GENERATED ||
      preparation.status() == v1::PREPARATION_STATUS_ANOMALY ||
      preparation.status() == v1::PREPARATION_STATUS_UNSPECIFIED) {
    preparation.set_status(preparation.anomalies().empty()
                               ? v1::PREPARATION_STATUS_GENERATED
                               : v1::PREPARATION_STATUS_ANOMALY);
  }
  return absl::OkStatus();
}

}  // namespace billing
