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

}  // namespace billing::kafka
