#pragma once

// A billing run's header (docs/invoicing.md, "What a run is, in the log"):
// `invoicing.run_started`, recorded by the runner in the reserved partition
// "@runs" before the run's per-customer commands, with the run id as its
// idempotency key; and the views of runs with their progress, counted from
// the state (the customers of the run's range whose gather command the
// state remembers under "<run_id>/<customer_id>").
//
// "@runs" is a reserved partition key like "@reference": no customer code
// starts with "@", so it cannot collide with a customer.
//
// State keys (engine/core/keys.h lists the family):
//   run/<run_id>   billing.v1.RunHeader (partition "@runs")

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/invoicing.pb.h"
#include "engine/core/dates.h"
#include "engine/core/rejection.h"
#include "engine/core/state.h"

namespace billing {

inline constexpr absl::string_view kRunsPartition = "@runs";
inline constexpr absl::string_view kRunPrefix = "run/";
inline constexpr absl::string_view kRunStartedType = "invoicing.run_started";

// "run/<run_id>".
std::string RunKey(absl::string_view run_id);

// begin_run: the partition ("@runs"), the run id, the parameters (as a
// gather's, and the same run id), the customer range, the count, then a
// run of that id already started.
namespace begin_run {
// A begin_run outside "@runs", or another command in it.
inline constexpr Rejection kPartitionInvalid{
    "CUSTOMER_ID_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kRunIdInvalid{"RUN_ID_INVALID",
                                         absl::StatusCode::kInvalidArgument};
// The parameters, the customer range (codes or masks), a negative count.
inline constexpr Rejection kRunParamsInvalid{
    "RUN_PARAMS_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kRunAlreadyStarted{
    "RUN_ALREADY_STARTED", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {kPartitionInvalid, kRunIdInvalid,
                                       kRunParamsInvalid, kRunAlreadyStarted};
}  // namespace begin_run

// A command of partition "@runs" (begin_run, the only one), or a begin_run
// sent elsewhere (refused). `partition` is the command's customer_id.
absl::StatusOr<std::vector<v1::EventEnvelope>> DecideRunCommand(
    const StateReader& state, const v1::InvoicingCommand& command,
    BusinessDate business_date);

// DataLoss when the event is not in "@runs" or has no run id.
absl::Status ApplyRunStarted(StateWriter& state,
                             const v1::EventEnvelope& event);

// The run's header; nullopt when no run of that id started.
absl::StatusOr<std::optional<v1::RunHeader>> LoadRun(const StateReader& state,
                                                     absl::string_view run_id);

// The header with its progress: the customers of its range whose gather
// is recorded. Reads one key per customer of the state (a page of
// `customers_page_max` at a time).
absl::StatusOr<v1::RunView> RunViewOf(const StateReader& state,
                                      v1::RunHeader header,
                                      size_t customers_page_max = 1000);

struct RunPage {
  // By run id.
  std::vector<v1::RunView> runs;
  bool more = false;
};

// Runs after `after_run_id` (empty: from the first), at most `page_size`,
// each with its progress.
absl::StatusOr<RunPage> ListRunPage(const StateReader& state,
                                    absl::string_view after_run_id,
                                    size_t page_size);

}  // namespace billing
