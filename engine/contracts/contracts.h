#pragma once

// The contracts domain: reference data (articles, index publications,
// company markup, hourly rates; partition "@reference"), contracts, billing
// rules, readings, units of work, time spent, jobs and price increases.
// docs/contracts.md explains the model; engine/contracts/schedule.h the
// periods, engine/contracts/prices.h the prices, engine/contracts/due.h what
// is due.
//
// Each command's rejections, named and in precedence order (the first that
// applies is the answer): engine/contracts/rejections.h.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/rejections.h"
#include "engine/contracts/store.h"
#include "engine/core/dates.h"
#include "engine/core/domain.h"
#include "engine/core/state.h"

namespace billing {

// Stable event type names (never renamed; see docs/architecture.md).
inline constexpr absl::string_view kArticleDefinedType =
    "contract.article_defined";
inline constexpr absl::string_view kIndexPublishedType =
    "contract.index_published";
inline constexpr absl::string_view kCompanyMarkupSetType =
    "contract.company_markup_set";
inline constexpr absl::string_view kHourlyRateSetType =
    "contract.hourly_rate_set";
inline constexpr absl::string_view kContractCreatedType =
    "contract.contract_created";
inline constexpr absl::string_view kRuleCreatedType = "contract.rule_created";
inline constexpr absl::string_view kRuleDatesSetType =
    "contract.rule_dates_set";
inline constexpr absl::string_view kRuleBilledType = "contract.rule_billed";
inline constexpr absl::string_view kReadingRecordedType =
    "contract.reading_recorded";
inline constexpr absl::string_view kWorkUnitsRecordedType =
    "contract.work_units_recorded";
inline constexpr absl::string_view kTimeRecordedType = "contract.time_recorded";
inline constexpr absl::string_view kJobCompletedType = "contract.job_completed";
inline constexpr absl::string_view kPriceIncreaseRecordedType =
    "contract.price_increase_recorded";
inline constexpr absl::string_view kPriceIncreaseCancelledType =
    "contract.price_increase_cancelled";
inline constexpr absl::string_view kRuleEndedType = "contract.rule_ended";
inline constexpr absl::string_view kReadingCorrectedType =
    "contract.reading_corrected";

// Limits, each tested at the limit.
// Objects or equipment lines one rule bills.
inline constexpr int kRuleObjectsMax = 1000;
// Installments of one schedule (a daily schedule over a leap year).
inline constexpr int kInstallmentsMax = 366;
// Increase history entries of one rule.
inline constexpr int kPriceHistoryMax = 1000;

// Decides a contracts command. Changes nothing. A refusal is one of the
// command's rejections (engine/contracts/rejections.h), its message ending
// in " [NAME]"; storage errors pass through unnamed.
absl::StatusOr<std::vector<v1::EventEnvelope>> DecideContract(
    const StateReader& state, const v1::ContractCommand& command,
    BusinessDate business_date);

// The stable type name of an event ("contract...."); empty when unset.
absl::string_view ContractEventType(const v1::ContractEvent& event);

// Applies one event found at `position`. DataLoss when it contradicts the
// state. Reads only the event's own partition's keys (never reference data),
// so that partitions replay independently.
absl::Status ApplyContractEvent(StateWriter& state,
                                const v1::EventEnvelope& event,
                                const v1::LogPosition& position);

// The answer remembered with the command's idempotency key, computed from
// the state right after the record applied.
absl::StatusOr<v1::ContractAnswer> ContractAnswerFor(
    const StateReader& state, const v1::LogRecord& record);

// This domain's registration (engine/contracts/domain.cc), listed once in
// engine/engine.cc.
extern const Domain kContractsDomain;

}  // namespace billing
