// The command dispatch of the contracts domain and its event type names.
// The decide functions live by concern: reference.cc, rules.cc (and
// rule_shape.cc), measures.cc, increases.cc; apply.cc and answers.cc.

#include "engine/contracts/contracts.h"

#include <string>

#include "absl/strings/str_format.h"
#include "engine/contracts/decide_support.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

using contracts_internal::Code;
using contracts_internal::Events;
using contracts_internal::Refuse;

bool IsReferenceCommand(const v1::ContractCommand& command) {
  switch (command.body_case()) {
    case v1::ContractCommand::kDefineArticle:
    case v1::ContractCommand::kPublishIndex:
    case v1::ContractCommand::kSetCompanyMarkup:
    case v1::ContractCommand::kSetHourlyRate:
      return true;
    default:
      return false;
  }
}

// Reference data goes to "@reference", everything else to a customer code.
absl::Status CheckPartition(const v1::ContractCommand& command) {
  const auto& rej = contract_command::kCustomerIdInvalid;
  const std::string& partition = command.customer_id();
  if (IsReferenceCommand(command)) {
    if (partition == kReferencePartition) return absl::OkStatus();
    return Refuse(
        rej, "customer_id",
        absl::StrFormat("%s: articles, index publications, the company "
                        "markup and hourly rates go to the partition \"%s\"",
                        QuoteValue(partition), kReferencePartition));
  }
  if (partition == kReferencePartition) {
    return Refuse(rej, "customer_id",
                  absl::StrFormat("\"%s\" holds reference data only; this "
                                  "command goes to the holder's customer code",
                                  kReferencePartition));
  }
  return Named(rej, Code("customer_id", partition));
}

absl::StatusOr<Events> DecideReference(const StateReader& state,
                                       const v1::ContractCommand& command,
                                       BusinessDate business_date) {
  const std::string& partition = command.customer_id();
  switch (command.body_case()) {
    case v1::ContractCommand::kDefineArticle:
      return contracts_internal::DecideDefineArticle(
          state, partition, command.define_article(), business_date);
    case v1::ContractCommand::kPublishIndex:
      return contracts_internal::DecidePublishIndex(state, partition,
                                                    command.publish_index());
    case v1::ContractCommand::kSetCompanyMarkup:
      return contracts_internal::DecideSetCompanyMarkup(
          partition, command.set_company_markup());
    case v1::ContractCommand::kSetHourlyRate:
      return contracts_internal::DecideSetHourlyRate(partition,
                                                     command.set_hourly_rate());
    default:
      return absl::InternalError("not a reference command");
  }
}

}  // namespace

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideContract(
    const StateReader& state, const v1::ContractCommand& command,
    BusinessDate business_date) {
  if (command.body_case() == v1::ContractCommand::BODY_NOT_SET) {
    return Refuse(contract_command::kCommandMissing, "contract",
                  "names no command");
  }
  if (auto s = CheckPartition(command); !s.ok()) return s;
  if (IsReferenceCommand(command)) {
    return DecideReference(state, command, business_date);
  }
  const std::string& id = command.customer_id();
  switch (command.body_case()) {
    case v1::ContractCommand::kCreateContract:
      return contracts_internal::DecideCreateContract(
          state, id, command.create_contract(), business_date);
    case v1::ContractCommand::kCreateRule:
      return contracts_internal::DecideCreateRule(
          state, id, command.create_rule(), business_date);
    case v1::ContractCommand::kSetRuleDates:
      return contracts_internal::DecideSetRuleDates(state, id,
                                                    command.set_rule_dates());
    case v1::ContractCommand::kRecordRuleBilled:
      return contracts_internal::DecideRecordRuleBilled(
          state, id, command.record_rule_billed());
    case v1::ContractCommand::kRecordReading:
      return contracts_internal::DecideRecordReading(state, id,
                                                     command.record_reading());
    case v1::ContractCommand::kRecordWorkUnits:
      return contracts_internal::DecideRecordWorkUnits(
          state, id, command.record_work_units());
    case v1::ContractCommand::kRecordTime:
      return contracts_internal::DecideRecordTime(state, id,
                                                  command.record_time());
    case v1::ContractCommand::kCompleteJob:
      return contracts_internal::DecideCompleteJob(state, id,
                                                   command.complete_job());
    case v1::ContractCommand::kScheduleIncrease:
      return contracts_internal::DecideScheduleIncrease(
          state, id, command.schedule_increase(), business_date);
    case v1::ContractCommand::kApplyAnniversaryIncreases:
      return contracts_internal::DecideApplyAnniversaries(
          state, id, command.apply_anniversary_increases(), business_date);
    case v1::ContractCommand::kCancelIncrease:
      return contracts_internal::DecideCancelIncrease(
          state, id, command.cancel_increase(), business_date);
    case v1::ContractCommand::kCorrectReading:
      return contracts_internal::DecideCorrectReading(
          state, id, command.correct_reading());
    case v1::ContractCommand::kEndRule:
      return contracts_internal::DecideEndRule(state, id, command.end_rule());
    default:
      return absl::InternalError("a reference command past the dispatch");
  }
}

absl::string_view ContractEventType(const v1::ContractEvent& event) {
  switch (event.body_case()) {
    case v1::ContractEvent::kArticleDefined:
      return kArticleDefinedType;
    case v1::ContractEvent::kIndexPublished:
      return kIndexPublishedType;
    case v1::ContractEvent::kCompanyMarkupSet:
      return kCompanyMarkupSetType;
    case v1::ContractEvent::kHourlyRateSet:
      return kHourlyRateSetType;
    case v1::ContractEvent::kContractCreated:
      return kContractCreatedType;
    case v1::ContractEvent::kRuleCreated:
      return kRuleCreatedType;
    case v1::ContractEvent::kRuleDatesSet:
      return kRuleDatesSetType;
    case v1::ContractEvent::kRuleBilled:
      return kRuleBilledType;
    case v1::ContractEvent::kReadingRecorded:
      return kReadingRecordedType;
    case v1::ContractEvent::kWorkUnitsRecorded:
      return kWorkUnitsRecordedType;
    case v1::ContractEvent::kTimeRecorded:
      return kTimeRecordedType;
    case v1::ContractEvent::kJobCompleted:
      return kJobCompletedType;
    case v1::ContractEvent::kPriceIncreaseRecorded:
      return kPriceIncreaseRecordedType;
    case v1::ContractEvent::kPriceIncreaseCancelled:
      return kPriceIncreaseCancelledType;
    case v1::ContractEvent::kRuleEnded:
      return kRuleEndedType;
    case v1::ContractEvent::kReadingCorrected:
      return kReadingCorrectedType;
    case v1::ContractEvent::BODY_NOT_SET:
      break;
  }
  return {};
}

}  // namespace billing
