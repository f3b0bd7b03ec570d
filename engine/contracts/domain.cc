// The contracts domain's registration with the engine (engine/core/domain.h):
// which command and event cases are its own, and the public functions of
// contracts/ that decide, apply and answer them. engine/engine.cc lists it.
#include "engine/core/domain.h"

#include "engine/contracts/contracts.h"

namespace billing {

const Domain kContractsDomain = {
    .name = "contracts",
    .commands = {v1::Command::kContract},
    .events = {v1::EventEnvelope::kContract},
    .partition_key = [](const v1::Command& c) -> absl::string_view {
      return c.contract().customer_id();
    },
    .decide =
        [](const StateReader& state, const v1::Command& c,
           const DecideContext& context) {
          return DecideContract(state, c.contract(), context.business_date);
        },
    .event_type =
        [](const v1::EventEnvelope& e) {
          return ContractEventType(e.contract());
        },
    .apply = ApplyContractEvent,
    .answer =
        [](const StateReader& state, const v1::LogRecord& record,
           v1::IdempotencyRecord& idem) {
          return SetDomainAnswer(ContractAnswerFor(state, record),
                                 idem.mutable_contract());
        },
};

}  // namespace billing
