#pragma once

// Billing runs over gRPC (billing.v1.InvoicingService SimulateRun and
// StartRun; docs/invoicing.md). The customers in scope are listed from one
// state snapshot (customer code range, masks allowed), a page at a time.
//
// Simulate: GatherCustomer on that snapshot per customer, nothing recorded;
// the preparations a real run would record (those whose id is a VALIDATED
// or CANCELLED preparation's are dropped, as the run's decision drops
// them).
//
// Start: first the run's header (invoicing.run_started, partition "@runs",
// idempotency key the run id; engine/invoicing/runs.h), unless a start with
// the same run id recorded it (then it must name the same run:
// FailedPrecondition otherwise); then one GatherPreparations command per
// customer through the
// CommandProcessor, idempotency key "<run_id>/<customer_id>": a run started
// again with the same run id gathers nobody twice (its customers answer
// their first answer). A few commands in flight at once; progress reported
// after each group; memory bounded by a page of customers and a group of
// answers, whatever the number of customers.
//
// Both resolve an empty business date to the clock's date once, so that
// both gather as of the same date.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "billing/v1/invoicing_service.pb.h"
#include "services/clock.h"
#include "services/command_processor.h"
#include "storage/rocks_state.h"

namespace billing {

struct BillingRunLimits {
  // Gather commands submitted together (ExecuteBatch). Default: 64.
  size_t commands_in_flight_max = 64;
  // Customers read from the snapshot per page. Default: 1000.
  size_t customers_page_max = 1000;
  // Preparations a simulation returns; beyond, counted and truncated.
  // Default: 10000.
  size_t simulated_preparations_max = 10000;
  // Customer errors listed in a result. Default: 100.
  size_t errors_max = 100;
};

class BillingRunner {
 public:
  // Called after each group of customers; false stops the run (the
  // client went away): Cancelled.
  using ProgressSink = std::function<bool(const v1::RunProgress&)>;

  BillingRunner(CommandProcessor* commands, const RocksState* state,
                const BusinessClock* clock, BillingRunLimits limits = {})
      : commands_(commands), state_(state), clock_(clock), limits_(limits) {}

  // Errors: InvalidArgument naming the request's field; DataLoss, storage
  // failures. A customer whose gather fails is counted and listed in
  // errors, the run goes on.
  absl::StatusOr<v1::RunResult> Simulate(const v1::RunRequest& request) const;
  absl::StatusOr<v1::RunResult> Start(const v1::RunRequest& request,
                                      const ProgressSink& progress) const;

 private:
  // Counts one customer's answer into `result` (preparations in anomaly
  // read from the state). Errors: storage failures.
  absl::Status Tally(const std::string& customer_id,
                     const absl::StatusOr<v1::IdempotencyRecord>& answer,
                     v1::RunResult& result) const;

  CommandProcessor* const commands_;
  const RocksState* const state_;
  const BusinessClock* const clock_;
  const BillingRunLimits limits_;
};

}  // namespace billing
