#pragma once

// Gathering one customer for a billing run (docs/invoicing.md): every rule
// due as of the business date, the period's rated usage, each line with its
// object's entity and discount for its month, grouped into preparations,
// one per invoice to be. A pure function of the state and the parameters:
// the same state and parameters give byte-identical preparations (no clock,
// no I/O, deterministic order). A simulation and a real run call it alike.

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

// Quarantined usage records of one customer read per gather, one anomaly
// each; beyond, the first ones are listed (the preparation is in anomaly
// either way).
inline constexpr size_t kQuarantinedUsageReadMax = 1000;

struct RunParams {
  // The run's id (the run command's idempotency key); copied to each
  // preparation.
  std::string run_id;
  // The period invoiced: its months are the usage months gathered.
  // period_start <= period_end.
  BusinessDate period_start;
  BusinessDate period_end;
  // Rules are due as of this date (ComputeDue: catch-up included).
  BusinessDate business_date;
  // ORDINARY or GROUPED; UNSPECIFIED is refused.
  v1::AccountScope scope = v1::ACCOUNT_SCOPE_ORDINARY;
  // Filters (filters.h); empty: everything.
  CodeRange contract_refs;
  std::string billing_family;  // a code or a mask ("SERV*")
  std::string site_code;       // a code or a mask
  // Usage already invoiced, per object, month, kind and zone, for months
  // before the period: a month named here that has gained records since
  // gets a line for the difference, own_period set. nullopt (every run's
  // decision): the usage lines of the customer's VALIDATED preparations,
  // summed. Given: those totals instead, for a test or a tool that states
  // what was billed elsewhere; the run command cannot set it.
  std::optional<std::vector<v1::UsageTotals>> billed_usage;
  // One preparation per billing family (the issuing company's setting).
  // Default: false, the families share a preparation.
  bool split_by_billing_family = false;
};

// The customer's preparations for the run, by preparation_id. What the
// customer's VALIDATED preparations hold is not gathered again: their rule
// periods (contract_ref, rule_id, period_start) are skipped, with a trace
// entry, and their usage months give late usage only (billed_usage). A
// customer
// with nothing to invoice and no anomaly has none.
// Errors: InvalidArgument (the parameters: a period ending before it
// starts, no scope), InvalidArgument or NotFound naming "customer_id",
// DataLoss (a corrupt state).
absl::StatusOr<std::vector<v1::Preparation>> GatherCustomer(
    const StateReader& state, absl::string_view customer_id,
    const RunParams& params);

// discount = round_half_away(gross x discount_hundredths / 10000); exact in
// 128 bits. 100.01 at 10 % is 10.00 (1000.1 cents -> 1000); 0.05 at 10 %
// is 0.01 (0.5 cent -> 1).
int64_t DiscountMinor(int64_t gross_minor, int32_t discount_hundredths);

}  // namespace billing
