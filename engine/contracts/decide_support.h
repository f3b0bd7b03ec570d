#pragma once

// Private to engine/contracts: the helpers every decide file of the domain
// shares (field checks, loading what a command names, building events), and
// the per-command decide functions contracts.cc dispatches to. Each decide
// function returns its command's rejections (engine/contracts/rejections.h)
// in their order, and passes storage errors through unnamed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/contracts.pb.h"
#include "billing/v1/events.pb.h"
#include "engine/contracts/rejections.h"
#include "engine/core/dates.h"
#include "engine/core/rejection.h"
#include "engine/core/state.h"

namespace billing::contracts_internal {

using Events = std::vector<v1::EventEnvelope>;

// Labels, notes and reasons: code points.
inline constexpr size_t kTextLengthMax = 200;

// Reject(rejection, "<field>: <reason>"), as FieldError words it.
absl::Status Refuse(const Rejection& rejection, absl::string_view field,
                    absl::string_view reason);

v1::EventEnvelope NewEvent(absl::string_view type,
                           absl::string_view customer_id,
                           absl::string_view effective_date);
Events One(v1::EventEnvelope e);

// A code of 1 to limits::kCodeLengthMax characters (engine/core/validation.h).
absl::Status Code(absl::string_view field, absl::string_view value);
// Empty, or a code.
absl::Status OptionalCode(absl::string_view field, absl::string_view value);
absl::StatusOr<BusinessDate> RequiredDate(absl::string_view field,
                                          absl::string_view text);
absl::StatusOr<std::optional<BusinessDate>> OptionalDate(
    absl::string_view field, absl::string_view text);

// At most `max` (engine/contracts/limits.h): both as the integers the
// field holds, so that a caller can compare them with what it sent.
absl::Status AtMost(absl::string_view field, int64_t v, int64_t max);
// 0 to `max`, a negative value printed with six decimals / three.
absl::Status NotNegativeMicrosAtMost(absl::string_view field, int64_t v,
                                     int64_t max);
absl::Status NotNegativeMilliAtMost(absl::string_view field, int64_t v,
                                    int64_t max);
// `min` to kPercentBpMax basis points.
absl::Status Percent(absl::string_view field, int32_t bp, int32_t min);

// A command's contract_ref and rule_id ("<prefix>.contract_ref" when
// `prefix` is not empty): CONTRACT_REF_INVALID, then RULE_ID_INVALID.
absl::Status RuleCodes(absl::string_view prefix, absl::string_view contract_ref,
                       absl::string_view rule_id);

// The customer exists: CUSTOMER_NOT_FOUND.
absl::Status CustomerExists(const StateReader& state,
                            absl::string_view customer_id);
// The contract, or CONTRACT_NOT_FOUND naming `field`.
absl::StatusOr<v1::Contract> RequireContract(const StateReader& state,
                                             absl::string_view customer_id,
                                             absl::string_view contract_ref,
                                             absl::string_view field);
// The rule: CONTRACT_NOT_FOUND, then RULE_NOT_FOUND.
absl::StatusOr<v1::BillingRule> RequireRule(const StateReader& state,
                                            absl::string_view customer_id,
                                            absl::string_view contract_ref,
                                            absl::string_view rule_id,
                                            absl::string_view contract_field,
                                            absl::string_view rule_field);

// "K1/R1".
std::string RuleName(const v1::BillingRule& rule);
// A rule whose price is its own unit price (increases apply to it).
bool HasUnitPrice(v1::RuleType type);

// reference.cc
absl::StatusOr<Events> DecideDefineArticle(const StateReader& state,
                                           absl::string_view partition,
                                           const v1::DefineArticle& cmd,
                                           BusinessDate business_date);
absl::StatusOr<Events> DecidePublishIndex(const StateReader& state,
                                          absl::string_view partition,
                                          const v1::PublishIndex& cmd);
absl::StatusOr<Events> DecideSetCompanyMarkup(absl::string_view partition,
                                              const v1::SetCompanyMarkup& cmd);
absl::StatusOr<Events> DecideSetHourlyRate(absl::string_view partition,
                                           const v1::SetHourlyRate& cmd);

// rule_shape.cc: the caller's fields of a rule, in the order of
// create_rule::kOrder; returns the timing to use.
absl::StatusOr<v1::BillingTiming> ValidateRuleShape(const v1::BillingRule& r);

// rules.cc
absl::StatusOr<Events> DecideCreateContract(const StateReader& state,
                                            absl::string_view customer_id,
                                            const v1::CreateContract& cmd,
                                            BusinessDate business_date);
absl::StatusOr<Events> DecideCreateRule(const StateReader& state,
                                        absl::string_view customer_id,
                                        const v1::CreateRule& cmd,
                                        BusinessDate business_date);
absl::StatusOr<Events> DecideSetRuleDates(const StateReader& state,
                                          absl::string_view customer_id,
                                          const v1::SetRuleDates& cmd);
absl::StatusOr<Events> DecideCorrectReading(const StateReader& state,
                                            absl::string_view customer_id,
                                            const v1::CorrectReading& cmd);
absl::StatusOr<Events> DecideEndRule(const StateReader& state,
                                     absl::string_view customer_id,
                                     const v1::EndRule& cmd);
absl::StatusOr<Events> DecideRecordRuleBilled(const StateReader& state,
                                              absl::string_view customer_id,
                                              const v1::RecordRuleBilled& cmd);

// measures.cc
absl::StatusOr<Events> DecideRecordReading(const StateReader& state,
                                           absl::string_view customer_id,
                                           const v1::RecordReading& cmd);
absl::StatusOr<Events> DecideRecordWorkUnits(const StateReader& state,
                                             absl::string_view customer_id,
                                             const v1::RecordWorkUnits& cmd);
absl::StatusOr<Events> DecideRecordTime(const StateReader& state,
                                        absl::string_view customer_id,
                                        const v1::RecordTime& cmd);
absl::StatusOr<Events> DecideCompleteJob(const StateReader& state,
                                         absl::string_view customer_id,
                                         const v1::CompleteJob& cmd);

// increases.cc
absl::StatusOr<Events> DecideScheduleIncrease(const StateReader& state,
                                              absl::string_view customer_id,
                                              const v1::ScheduleIncrease& cmd,
                                              BusinessDate business_date);
absl::StatusOr<Events> DecideApplyAnniversaries(
    const StateReader& state, absl::string_view customer_id,
    const v1::ApplyAnniversaryIncreases& cmd, BusinessDate business_date);
absl::StatusOr<Events> DecideCancelIncrease(const StateReader& state,
                                            absl::string_view customer_id,
                                            const v1::CancelIncrease& cmd,
                                            BusinessDate business_date);

}  // namespace billing::contracts_internal
