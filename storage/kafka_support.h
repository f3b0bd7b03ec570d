#pragma once

// Small librdkafka helpers shared by the Kafka journal and the Kafka usage
// consumer (services/kafka_usage_consumer.cc): timeouts in librdkafka's int
// milliseconds, error text, configuration settings as statuses, and a topic in
// metadata.

#include <librdkafka/rdkafka.h>

#include <initializer_list>
#include <string>
#include <utility>

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

// Sets each (name, value) in order; the first refusal, as SetConf says it.
absl::Status SetConfs(
    rd_kafka_conf_t* conf,
    std::initializer_list<std::pair<const char*, std::string>> settings);

// The settings of a consumer that is assigned partitions (never subscribes)
// under `group_id` and never commits: a start offset outside the log is an
// error, never a silent jump to an end (librdkafka's default, "largest",
// skips history), checksums are verified (a corrupt record is DataLoss), and
// a fetch waits at most `fetch_wait_max`.
absl::Status SetAssignedConsumerConf(rd_kafka_conf_t* conf,
                                     const std::string& group_id,
                                     absl::Duration fetch_wait_max);

// The topic called `name` in `md`, or nullptr when it lists none.
const rd_kafka_metadata_topic_t* FindTopic(const rd_kafka_metadata_t& md,
                                           const std::string& name);

}  // namespace billing::kafka
