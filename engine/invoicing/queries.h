#pragma once

// The preparation views (docs/invoicing.md, "Filters and views"): a paged
// list across customers over the prep/ key family, filtered by period,
// contract reference, billing and contract family, type, status, customer
// code and site, each range a CodeRange that may carry a `*` mask
// (filters.h). Pure: a function of the state it reads.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/invoicing.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"
#include "engine/invoicing/filters.h"

namespace billing {

struct PreparationFilter {
  // Preparations whose period overlaps [period_from, period_to]; nullopt:
  // open.
  std::optional<BusinessDate> period_from;
  std::optional<BusinessDate> period_to;
  // The holder's code (Preparation.holder_id).
  CodeRange customers;
  // Contract filters: a preparation matches when one contract of its lines
  // matches them all (an ad-hoc line has none; a preparation with no
  // contract matches only when no contract filter is set).
  CodeRange contract_refs;
  CodeRange billing_families;
  CodeRange contract_families;
  std::string site_code;  // a code or a mask; empty: every site
  // PREPARATION_TYPE_UNSPECIFIED: both types.
  v1::PreparationType type = v1::PREPARATION_TYPE_UNSPECIFIED;
  // Empty: every status.
  std::vector<v1::PreparationStatus> statuses;
  // false (list mode): lines, anomalies and trace cleared; true: whole.
  bool detail = false;
};

struct PreparationPage {
  // By key: holder_id, then preparation_id.
  std::vector<v1::Preparation> preparations;
  // One per preparation, in the same order: what list mode clears,
  // counted first (a list can show the anomalies without the detail).
  std::vector<v1::PreparationCounts> counts;
  // The page token's key: "<holder_id>/<preparation_id>" of the last one.
  std::string last_key;
  bool more = false;
};

// The page of matching preparations after `after_key` (a previous page's
// last_key; empty: from the start), at most `page_size`. Errors: DataLoss
// (a preparation or contract that does not parse), storage failures.
absl::StatusOr<PreparationPage> ListPreparationPage(
    const StateReader& state, const PreparationFilter& filter,
    absl::string_view after_key, size_t page_size);

// Whether `preparation` passes `filter` (contracts read from `state`).
absl::StatusOr<bool> PreparationMatches(const StateReader& state,
                                        const PreparationFilter& filter,
                                        const v1::Preparation& preparation);

// A page key as ListPreparationPage gives: "<customer code>/<id>".
// InvalidArgument naming `field` otherwise.
absl::Status ValidatePreparationPageKey(absl::string_view field,
                                        absl::string_view key);

}  // namespace billing
