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

std::string CustomerFamilyPrefix(absl::string_view family,
                                 absl::string_view customer_id) {
  return absl::StrCat(family, customer_id, "/");
}

std::string EntityKey(absl::string_view customer_id,
                      absl::string_view entity_id) {
  return absl::StrCat(kEntityPrefix, customer_id, "/", entity_id);
}

std::string ObjectKey(absl::string_view customer_id,
                      absl::string_view object_id) {
  return absl::StrCat(kObjectPrefix, customer_id, "/", object_id);
}

std::string ObjectHistoryPrefix(absl::string_view customer_id,
                                absl::string_view object_id) {
  return absl::StrCat(kObjectHistoryPrefix, customer_id, "/", object_id, "/");
}

std::string ObjectHistoryKey(absl::string_view customer_id,
                             absl::string_view object_id, int64_t offset,
                             int32_t index) {
  return absl::StrCat(ObjectHistoryPrefix(customer_id, object_id),
                      absl::StrFormat("%020d.%010d", offset, index));
}

std::string ChildrenPrefix(absl::string_view customer_id,
                           absl::string_view parent_id) {
  return absl::StrCat(kChildrenPrefix, customer_id, "/", parent_id, "/");
}

std::string ChildKey(absl::string_view customer_id,
                     absl::string_view parent_id, absl::string_view child_id) {
  return absl::StrCat(ChildrenPrefix(customer_id, parent_id), child_id);
}

std::string E164Key(absl::string_view customer_id, absl::string_view number) {
  return absl::StrCat(kE164Prefix, customer_id, "/", number);
}

}  // namespace billing
