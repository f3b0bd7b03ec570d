#pragma once

// Small librdkafka helpers shared by the Kafka journal and the Kafka usage
// consumer (services/kafka_usage_consumer.cc): timeouts in librdkafka's int
// milliseconds, error text, and configuration settings as statuses.

#include <librdkafka/rdkafka.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace billing::kafka {

// librdkafka takes milliseconds as int; at least 1 so that "short" never
// becomes "no wait" or "forever".
int ToTimeoutMs(absl::Duration d);

// Milliseconds left until `deadline`, 0 once it has passed.
int RemainingMs(absl::Time deadline);

// "<NAME>: <description>" of a librdkafka error code.
std::string ErrText(rd_kafka_resp_err_t err);

// Sets one configuration property. InvalidArgument naming the property, its
// value and librdkafka's reason when refused.
absl::Status SetConf(rd_kafka_conf_t* conf, const char* name,
                     const std::string& value);

}  // namespace billing::kafka
