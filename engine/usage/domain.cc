// The usage domain's registration with the engine (engine/core/domain.h):
// which command and event cases are its own, and the public functions of
// usage/ that decide, apply and answer them. engine/engine.cc lists it.
#include "engine/core/domain.h"

#include "engine/usage/usage.h"

namespace billing {

const Domain kUsageDomain = {
    .name = "usage",
    .commands = {v1::Command::kUsage},
    .events = {v1::EventEnvelope::kUsage},
    .partition_key = [](const v1::Command& c) -> absl::string_view {
      return c.usage().customer_id();
    },
    .decide =
        [](const StateReader& state, const v1::Command& c,
           const DecideContext& context) {
          return DecideUsage(state, c.usage(), context.business_date,
                             context.zones, context.usage_memo);
        },
    .event_type =
        [](const v1::EventEnvelope& e) { return UsageEventType(e.usage()); },
    .apply = ApplyUsageEvent,
    .answer =
        [](const StateReader& state, const v1::LogRecord& record,
           v1::IdempotencyRecord& idem) {
          return SetDomainAnswer(UsageAnswerFor(state, record),
                                 idem.mutable_usage());
        },
};

}  // namespace billing
