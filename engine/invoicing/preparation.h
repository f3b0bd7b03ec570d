#pragma once

// What the commands on a preparation (add a line, delete one) will share
// with the gather: an ad-hoc line's amounts, and a preparation's sections
// and totals from its lines. Pure.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "billing/v1/invoicing.pb.h"
#include "engine/core/money.h"

namespace billing {

// An ad-hoc line (seed 004, "services on the fly"): an article, a label, a
// quantity at a unit price, on an entity of the preparation, without
// discount or cost. The command checks the fields (article, limits).
struct AdHocLineRequest {
  std::string article_code;
  std::string label;
  int64_t quantity_milli = 0;
  int64_t unit_price_micros = 0;
  // The section it joins; empty: the preparation's entity.
  std::string entity_id;
};

// quantity x unit price, rounded once (engine/core/money.h). OutOfRange
// when it does not fit.
absl::StatusOr<v1::PreparationLine> AdHocLine(const AdHocLineRequest& request,
                                              const Currency& currency);

// Sections (one per entity of the lines, by entity_id, keeping the names
// the preparation's sections had) and totals from the lines; a GENERATED
// or ANOMALY preparation's status from its anomalies. OutOfRange when a
// sum does not fit int64; the preparation is then unchanged.
absl::Status Retotal(v1::Preparation& preparation);

}  // namespace billing
