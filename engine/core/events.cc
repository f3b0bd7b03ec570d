#include "engine/core/events.h"

#include <string>

namespace billing {

v1::EventEnvelope NewEvent(absl::string_view type,
                           absl::string_view customer_id,
                           BusinessDate business_date) {
  v1::EventEnvelope event;
  event.set_type(std::string(type));
  event.set_customer_id(std::string(customer_id));
  event.set_effective_date(FormatBusinessDate(business_date));
  event.set_schema_version(1);
  return event;
}

std::vector<v1::EventEnvelope> OnlyEvent(v1::EventEnvelope event) {
  std::vector<v1::EventEnvelope> out;
  out.push_back(std::move(event));
  return out;
}

}  // namespace billing
