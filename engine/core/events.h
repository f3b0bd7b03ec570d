#pragma once

// Building event envelopes: one place for the fields every event carries.

#include <vector>

#include "absl/strings/string_view.h"
#include "billing/v1/events.pb.h"
#include "engine/core/dates.h"

namespace billing {

// An envelope of `type` for `customer_id`, holding from `business_date`,
// schema version 1; the caller sets the payload. The idempotency key is set
// when the events are wrapped into a record (MakeCommandRecord).
v1::EventEnvelope NewEvent(absl::string_view type,
                           absl::string_view customer_id,
                           BusinessDate business_date);

// `event` alone, moved: a braced list would copy it (an initializer_list's
// elements are const), thousands of rated records for a usage batch.
std::vector<v1::EventEnvelope> OnlyEvent(v1::EventEnvelope event);

}  // namespace billing
