#pragma once

// The contracts domain: reference data (articles, index publications,
// company markup, hourly rates; partition "@reference"), contracts, billing
// rules, readings, units of work, time spent, jobs and price increases.
// docs/contracts.md explains the model; engine/contracts/schedule.h the
// periods, engine/contracts/prices.h the prices, engine/contracts/due.h what
// is due.
//
// Rejections, in precedence order (the first that applies is the answer).
// Every command first checks customer_id: a reference command must go to
// "@reference", any other to a customer code (InvalidArgument
// "customer_id"). Every number is checked against its maximum
// (engine/contracts/limits.h) right after its sign: InvalidArgument
// "<field>: <value> is over the maximum <max>". Then, per command:
//   define_article: article.article_code, article.label,
//       article.vat_rate_bp.
//   publish_index: publication.index_code, publication.publication_date,
//       publication.value_micros, then ALREADY_EXISTS.
//   set_company_markup: markup.effective_date, markup.percent_bp.
//   set_hourly_rate: rate.person_id, rate.effective_date, rate.rate_micros.
//   create_contract: contract.contract_ref, contract.contract_family,
//       contract.billing_family, contract.site_code, contract.start_date,
//       contract.end_date, contract.bill_to.party_id, contract.bill_to.mode;
//       then NOT_FOUND (customer), ALREADY_EXISTS (contract), NOT_FOUND /
//       InvalidArgument contract.bill_to.party_id (no such customer; the
//       holder itself).
//   create_rule: rule.contract_ref, rule.rule_id, rule.label,
//       rule.rule_type, rule.object_ids, rule.article_code,
//       rule.unit_price_micros, rule.cost_price_micros, rule.quantity_milli,
//       rule.periodicity, rule.timing, rule.start_date, rule.end_date,
//       rule.condition_job_id, rule.recurring_increase,
//       rule.installment_schedule (shape); then NOT_FOUND (customer,
//       contract), ALREADY_EXISTS (rule), NOT_FOUND rule.article_code, then
//       rule.start_date / rule.end_date against the contract's dates, then
//       rule.installment_schedule.fee_minor against the largest unit price
//       in the customer's currency, then rule.installment_schedule against
//       the fiscal year.
//   set_rule_dates: contract_ref, rule_id, next_theoretical_date,
//       last_invoice_date, last_invoice_ref; NOT_FOUND; then
//       next_theoretical_date must be a billing date of the rule.
//   record_rule_billed: contract_ref, rule_id, period_start, invoice_ref,
//       invoice_date; NOT_FOUND; then FAILED_PRECONDITION (no next date,
//       finished, not the period at the next date, held, reading anomaly).
//   record_reading: reading.contract_ref, reading.rule_id,
//       reading.object_id, reading.reading_date, reading.kind,
//       reading.value_milli, reading.old_meter_final_value_milli; NOT_FOUND;
//       then reading.rule_id (not a consumed-units rule), reading.object_id
//       (not covered by the rule), reading.kind (first must be the
//       installation; only one installation), reading.reading_date (before
//       the object's latest reading), then FAILED_PRECONDITION
//       "reading.value_milli: ..." (a regular reading below the object's
//       latest reading, which is the previous one in date order: readings
//       are recorded in date order), then
//       reading.old_meter_final_value_milli (below the old meter's latest
//       reading).
//   record_work_units / record_time: contract_ref, rule_id, date, quantity
//       or person and hours, note; NOT_FOUND; then rule_id (wrong rule
//       type), the date outside the rule's dates.
//   complete_job: job.job_id, job.completed_on; NOT_FOUND (customer);
//       ALREADY_EXISTS (already completed).
//   schedule_increase: contract_ref, rule_id, increase.effective_date,
//       increase.kind, increase.syntec.*, increase.new_index_micros,
//       increase.percent_bp, increase.reason; NOT_FOUND; then
//       FAILED_PRECONDITION (the rule has no unit price to increase),
//       increase.effective_date (before the rule's start), then
//       FAILED_PRECONDITION (no index, no markup, no reference index, price
//       unknown, the new price beyond 64 bits or over kUnitPriceMicrosMax).
//   apply_anniversary_increases: as_of_date, contract_ref, rule_id;
//       NOT_FOUND; FAILED_PRECONDITION (an increase cannot be computed, its
//       new price over kUnitPriceMicrosMax included; nothing pending).
//   cancel_increase: contract_ref, rule_id, seq, reason; NOT_FOUND (rule,
//       then seq); FAILED_PRECONDITION (already cancelled).

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/store.h"
#include "engine/core/dates.h"
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

// Limits, each tested at the limit.
// Objects or equipment lines one rule bills.
inline constexpr int kRuleObjectsMax = 1000;
// Installments of one schedule (a daily schedule over a leap year).
inline constexpr int kInstallmentsMax = 366;
// Increase history entries of one rule.
inline constexpr int kPriceHistoryMax = 1000;

// Decides a contracts command. Changes nothing.
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

}  // namespace billing
