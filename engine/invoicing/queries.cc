#include "engine/invoicing/queries.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/contracts/store.h"
#include "engine/core/validation.h"
#include "engine/invoicing/commands.h"

namespace billing {
namespace {

bool ContractFilterSet(const PreparationFilter& f) {
  return !f.contract_refs.from.empty() || !f.contract_refs.to.empty() ||
         !f.billing_families.from.empty() || !f.billing_families.to.empty() ||
         !f.contract_families.from.empty() || !f.contract_families.to.empty() ||
         !f.site_code.empty();
}

bool ContractMatches(const PreparationFilter& f, const v1::Contract& c) {
  return InCodeRange(f.contract_refs, c.contract_ref()) &&
         InCodeRange(f.billing_families, c.billing_family()) &&
         InCodeRange(f.contract_families, c.contract_family()) &&
         MaskMatches(f.site_code, c.site_code());
}

// The fields of the preparation itself (no contract read).
bool OwnFieldsMatch(const PreparationFilter& f, const v1::Preparation& p) {
  // "YYYY-MM-DD" sorts as the dates do.
  if (f.period_from && p.period_end() < FormatBusinessDate(*f.period_from)) {
    return false;
  }
  if (f.period_to && p.period_start() > FormatBusinessDate(*f.period_to)) {
    return false;
  }
  if (!InCodeRange(f.customers, p.holder_id())) return false;
  if (f.type != v1::PREPARATION_TYPE_UNSPECIFIED && p.type() != f.type) {
    return false;
  }
  return f.statuses.empty() || std::find(f.statuses.begin(), f.statuses.end(),
                                         p.status()) != f.statuses.end();
}

v1::PreparationCounts CountsOf(const v1::Preparation& p) {
  v1::PreparationCounts c;
  c.set_holder_id(p.holder_id());
  c.set_preparation_id(p.preparation_id());
  c.set_lines(p.lines_size());
  c.set_anomalies(p.anomalies_size());
  c.set_trace(p.trace_size());
  return c;
}

void ToListMode(v1::Preparation& p) {
  p.clear_lines();
  p.clear_anomalies();
  p.clear_trace();
}

}  // namespace

absl::StatusOr<bool> PreparationMatches(const StateReader& state,
                                        const PreparationFilter& filter,
                                        const v1::Preparation& preparation) {
  if (!OwnFieldsMatch(filter, preparation)) return false;
  if (!ContractFilterSet(filter)) return true;
  std::set<std::string> refs;
  for (const v1::PreparationLine& line : preparation.lines()) {
    if (!line.contract_ref().empty()) refs.insert(line.contract_ref());
  }
  for (const std::string& ref : refs) {
    auto contract = LoadContract(state, preparation.holder_id(), ref);
    if (!contract.ok()) return contract.status();
    if (contract->has_value() && ContractMatches(filter, **contract)) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<PreparationPage> ListPreparationPage(
    const StateReader& state, const PreparationFilter& filter,
    absl::string_view after_key, size_t page_size) {
  PreparationPage page;
  const std::string start_after =
      after_key.empty() ? std::string()
                        : absl::StrCat(kPreparationPrefix, after_key);
  absl::Status s = ForEachKeyedMessage<v1::Preparation>(
      state, kPreparationPrefix, start_after,
      [&](absl::string_view key, v1::Preparation p) -> absl::StatusOr<bool> {
        auto match = PreparationMatches(state, filter, p);
        if (!match.ok()) return match.status();
        if (!*match) return true;
        if (page.preparations.size() == page_size) {
          page.more = true;
          return false;
        }
        page.counts.push_back(CountsOf(p));
        if (!filter.detail) ToListMode(p);
        page.preparations.push_back(std::move(p));
        page.last_key = std::string(key.substr(kPreparationPrefix.size()));
        return true;
      });
  if (!s.ok()) return s;
  return page;
}

absl::Status ValidatePreparationPageKey(absl::string_view field,
                                        absl::string_view key) {
  const size_t slash = key.find('/');
  if (slash == absl::string_view::npos) {
    return FieldError(field, "no \"/\" between customer and preparation");
  }
  if (auto s =
          ValidateCode(field, key.substr(0, slash), limits::kCodeLengthMax);
      !s.ok()) {
    return s;
  }
  const absl::string_view id = key.substr(slash + 1);
  if (id.empty() || id.size() > kPreparationIdLengthMax) {
    return FieldError(field, "preparation id empty or too long");
  }
  return absl::OkStatus();
}

}  // namespace billing
