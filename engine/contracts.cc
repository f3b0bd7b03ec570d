#include "engine/contracts.h"

#include "engine/validation.h"

namespace billing {

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideContract(
    const StateReader& state, const v1::ContractCommand& command,
    BusinessDate business_date) {
  return FieldError("contracts", "no command of this kind is supported yet");
}

absl::string_view ContractEventType(const v1::ContractEvent& event) { return {}; }

absl::Status ApplyContractEvent(StateWriter& state, const v1::EventEnvelope& event,
                            const v1::LogPosition& position) {
  return absl::DataLossError("unknown contracts event");
}

absl::StatusOr<v1::ContractAnswer> ContractAnswerFor(const StateReader& state,
                                              const v1::LogRecord& record) {
  return v1::ContractAnswer();
}

}  // namespace billing
