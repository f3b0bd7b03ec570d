#include "engine/structure.h"

#include "engine/validation.h"

namespace billing {

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideStructure(
    const StateReader& state, const v1::StructureCommand& command,
    BusinessDate business_date) {
  return FieldError("structure", "no command of this kind is supported yet");
}

absl::string_view StructureEventType(const v1::StructureEvent& event) { return {}; }

absl::Status ApplyStructureEvent(StateWriter& state, const v1::EventEnvelope& event,
                            const v1::LogPosition& position) {
  return absl::DataLossError("unknown structure event");
}

absl::StatusOr<v1::StructureAnswer> StructureAnswerFor(const StateReader& state,
                                              const v1::LogRecord& record) {
  return v1::StructureAnswer();
}

}  // namespace billing
