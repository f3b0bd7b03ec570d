// The invoicing domain's registration with the engine (engine/core/domain.h):
// which command and event cases are its own, and the public functions of
// invoicing/ that decide, apply and answer them. engine/engine.cc lists it.
#include "engine/core/domain.h"

#include "engine/invoicing/commands.h"

namespace billing {

const Domain kInvoicingDomain = {
    .name = "invoicing",
    .commands = {v1::Command::kInvoicing},
    .events = {v1::EventEnvelope::kInvoicing},
    .partition_key = [](const v1::Command& c) -> absl::string_view {
      return c.invoicing().customer_id();
    },
    .decide =
        [](const StateReader& state, const v1::Command& c,
           const DecideContext& context) {
          return DecideInvoicing(state, c.invoicing(), context.business_date);
        },
    .event_type =
        [](const v1::EventEnvelope& e) {
          return InvoicingEventType(e.invoicing());
        },
    .apply = ApplyInvoicingEvent,
    .answer =
        [](const StateReader& state, const v1::LogRecord& record,
           v1::IdempotencyRecord& idem) {
          return SetDomainAnswer(InvoicingAnswerFor(state, record),
                                 idem.mutable_invoicing());
        },
};

}  // namespace billing
