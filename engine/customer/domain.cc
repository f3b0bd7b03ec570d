// The customer domain's registration with the engine (engine/core/domain.h):
// which command and event cases are its own, and the public functions of
// customer/ that decide, apply and answer them. engine/engine.cc lists it.
#include "engine/core/domain.h"

#include "engine/customer/customer.h"

namespace billing {

const Domain kCustomerDomain = {
    .name = "customer",
    .commands = {v1::Command::kCreateCustomer, v1::Command::kUpdateCustomer},
    .events = {v1::EventEnvelope::kCustomerCreated,
               v1::EventEnvelope::kCustomerUpdated},
    .partition_key = [](const v1::Command& c) -> absl::string_view {
      return c.has_create_customer()
                 ? c.create_customer().customer().customer_id()
                 : c.update_customer().customer().customer_id();
    },
    .decide =
        [](const StateReader& state, const v1::Command& c,
           const DecideContext& context) {
          return c.has_create_customer()
                     ? DecideCreateCustomer(state, c.create_customer(),
                                            context.business_date)
                     : DecideUpdateCustomer(state, c.update_customer(),
                                            context.business_date);
        },
    .event_type =
        [](const v1::EventEnvelope& e) {
          return e.has_customer_created() ? kCustomerCreatedType
                                          : kCustomerUpdatedType;
        },
    .apply =
        [](StateWriter& state, const v1::EventEnvelope& e,
           const v1::LogPosition&) { return ApplyCustomerEvent(state, e); },
    .answer =
        [](const StateReader& state, const v1::LogRecord& record,
           v1::IdempotencyRecord& idem) {
          auto customer = LoadCustomer(state, record.customer_id());
          if (!customer.ok()) return customer.status();
          if (customer->has_value()) *idem.mutable_customer() = **customer;
          return absl::OkStatus();
        },
};

}  // namespace billing
