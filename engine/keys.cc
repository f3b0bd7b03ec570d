#include "engine/keys.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace billing {

std::string CustomerKey(absl::string_view customer_id) {
  return absl::StrCat(kCustomerPrefix, customer_id);
}

std::string IdempotencyStateKey(absl::string_view customer_id,
                                absl::string_view idempotency_key) {
  return absl::StrCat(kIdempotencyPrefix, customer_id, "/", idempotency_key);
}

std::string PartitionProgressKey(PartitionId partition) {
  return absl::StrFormat("%s%08d", kPartitionPrefix, partition.value());
}

}  // namespace billing
