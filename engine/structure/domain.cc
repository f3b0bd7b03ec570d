// The structure domain's registration with the engine (engine/core/domain.h):
// which command and event cases are its own, and the public functions of
// structure/ that decide, apply and answer them. engine/engine.cc lists it.
#include "engine/core/domain.h"

#include "engine/structure/structure.h"

namespace billing {

const Domain kStructureDomain = {
    .name = "structure",
    .commands = {v1::Command::kStructure},
    .events = {v1::EventEnvelope::kStructure},
    .partition_key = [](const v1::Command& c) -> absl::string_view {
      return c.structure().customer_id();
    },
    .decide =
        [](const StateReader& state, const v1::Command& c,
           const DecideContext& context) {
          return DecideStructure(state, c.structure(), context.business_date);
        },
    .event_type =
        [](const v1::EventEnvelope& e) {
          return StructureEventType(e.structure());
        },
    .apply = ApplyStructureEvent,
    .answer =
        [](const StateReader& state, const v1::LogRecord& record,
           v1::IdempotencyRecord& idem) {
          return SetDomainAnswer(StructureAnswerFor(state, record),
                                 idem.mutable_structure());
        },
};

}  // namespace billing
