#include "storage/kafka_support.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace billing::kafka {

int ToTimeoutMs(absl::Duration d) {
  const int64_t ms = absl::ToInt64Milliseconds(d);
  return static_cast<int>(std::clamp<int64_t>(ms, 1, INT_MAX));
}

int RemainingMs(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  return left <= absl::ZeroDuration() ? 0 : ToTimeoutMs(left);
}

std::string ErrText(rd_kafka_resp_err_t err) {
  return absl::StrCat(rd_kafka_err2name(err), ": ", rd_kafka_err2str(err));
}

absl::Status SetConf(rd_kafka_conf_t* conf, const char* name,
                     const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("librdkafka ", name, "=", value, ": ", errstr));
  }
  return absl::OkStatus();
}

absl::Status SetConfs(
    rd_kafka_conf_t* conf,
    std::initializer_list<std::pair<const char*, std::string>> settings) {
  for (const auto& [name, value] : settings) {
    if (absl::Status s = SetConf(conf, name, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SetAssignedConsumerConf(rd_kafka_conf_t* conf,
                                     const std::string& group_id,
                                     absl::Duration fetch_wait_max) {
  return SetConfs(conf, {
                            {"group.id", group_id},
                            {"enable.auto.commit", "false"},
                            {"enable.auto.offset.store", "false"},
                            {"auto.offset.reset", "error"},
                            {"enable.partition.eof", "false"},
                            {"check.crcs", "true"},
                            {"fetch.wait.max.ms",
                             absl::StrCat(ToTimeoutMs(fetch_wait_max))},
                        });
}

const rd_kafka_metadata_topic_t* FindTopic(const rd_kafka_metadata_t& md,
                                           const std::string& name) {
  const rd_kafka_metadata_topic_t* topic = nullptr;
  for (int i = 0; i < md.topic_cnt; ++i) {
    if (name == md.topics[i].topic) topic = &md.topics[i];
  }
  return topic;
}

}  // namespace billing::kafka
