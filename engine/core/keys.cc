#include "engine/core/keys.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
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

std::string ChildKey(absl::string_view customer_id, absl::string_view parent_id,
                     absl::string_view child_id) {
  return absl::StrCat(ChildrenPrefix(customer_id, parent_id), child_id);
}

std::string E164Key(absl::string_view customer_id, absl::string_view number) {
  return absl::StrCat(kE164Prefix, customer_id, "/", number);
}

std::string ContractKey(absl::string_view customer_id,
                        absl::string_view contract_ref) {
  return absl::StrCat(kContractPrefix, customer_id, "/", contract_ref);
}

std::string ContractRulesPrefix(absl::string_view customer_id,
                                absl::string_view contract_ref) {
  return absl::StrCat(kRulePrefix, customer_id, "/", contract_ref, "/");
}

std::string RuleKey(absl::string_view customer_id,
                    absl::string_view contract_ref, absl::string_view rule_id) {
  return absl::StrCat(ContractRulesPrefix(customer_id, contract_ref), rule_id);
}

std::string MeterKey(absl::string_view customer_id,
                     absl::string_view object_id) {
  return absl::StrCat(kMeterPrefix, customer_id, "/", object_id);
}

std::string ReadingsPrefix(absl::string_view customer_id,
                           absl::string_view object_id) {
  return absl::StrCat(kReadingPrefix, customer_id, "/", object_id, "/");
}

std::string ReadingKey(absl::string_view customer_id,
                       absl::string_view object_id, uint32_t seq) {
  return absl::StrCat(ReadingsPrefix(customer_id, object_id),
                      absl::StrFormat("%010d", seq));
}

std::string RuleEntriesPrefix(absl::string_view family,
                              absl::string_view customer_id,
                              absl::string_view contract_ref,
                              absl::string_view rule_id) {
  return absl::StrCat(family, customer_id, "/", contract_ref, "/", rule_id,
                      "/");
}

std::string RuleEntryKey(absl::string_view family,
                         absl::string_view customer_id,
                         absl::string_view contract_ref,
                         absl::string_view rule_id, absl::string_view date,
                         int64_t offset, int32_t index) {
  return absl::StrCat(
      RuleEntriesPrefix(family, customer_id, contract_ref, rule_id), date,
      absl::StrFormat("/%020d.%010d", offset, index));
}

std::string JobKey(absl::string_view customer_id, absl::string_view job_id) {
  return absl::StrCat(kJobPrefix, customer_id, "/", job_id);
}

std::string ArticleKey(absl::string_view article_code) {
  return absl::StrCat(kArticlePrefix, article_code);
}

std::string IndexPublicationsPrefix(absl::string_view index_code) {
  return absl::StrCat(kIndexPublicationPrefix, index_code, "/");
}

std::string IndexPublicationKey(absl::string_view index_code,
                                absl::string_view date) {
  return absl::StrCat(IndexPublicationsPrefix(index_code), date);
}

std::string CompanyMarkupKey(absl::string_view date) {
  return absl::StrCat(kCompanyMarkupPrefix, date);
}

std::string HourlyRatesPrefix(absl::string_view person_id) {
  return absl::StrCat(kHourlyRatePrefix, person_id, "/");
}

std::string HourlyRateKey(absl::string_view person_id, absl::string_view date) {
  return absl::StrCat(HourlyRatesPrefix(person_id), date);
}

std::string DirectoryKey(absl::string_view number) {
  return absl::StrCat("dir/", number);
}

}  // namespace billing

namespace billing {
namespace {

// Families keyed "<family><customer_id>/...": the customer is the owner. The
// usage families are laid out in engine/usage/usage.cc. A new family must be added
// here (tests/integration/storage/partition_rebuild_test.cc fails on a key
// of no known family).
constexpr absl::string_view kCustomerFamilies[] = {
    "cust/",  "idem/",    "ent/",   "obj/",  "objh/", "kids/", "e164/",
    "ctr/",   "rule/",    "meter/", "read/", "work/", "time/", "job/",
    "uplan/", "uassign/", "useen/", "utot/", "urec/", "uquar/", "prep/",
    "draft/", "inv/", "nlink/",
    // Credit notes (engine/invoicing/credit_notes.h).
    "icancel/", "corrn/", "invat/"};

}  // namespace

absl::StatusOr<std::optional<std::string>> OwnerOfStateKey(
    absl::string_view key, absl::string_view value) {
  if (absl::StartsWith(key, kPartitionPrefix) ||
      absl::StartsWith(key, "ingest/")) {
    return std::nullopt;
  }
  if (absl::StartsWith(key, kReferencePrefix)) {
    return std::string("@reference");
  }
  if (absl::StartsWith(key, "uqin/")) return std::string("@quarantine");
  // Run headers (engine/invoicing/runs.h).
  if (absl::StartsWith(key, "run/")) return std::string("@runs");
  if (absl::StartsWith(key, "dir/")) return std::string(value);
  // Invoice series (engine/invoicing/invoices.h): the series' partition,
  // "@series:<escaped series>", the key's first segment.
  for (absl::string_view family : {"series/", "snum/"}) {
    if (!absl::StartsWith(key, family)) continue;
    absl::string_view rest = key.substr(family.size());
    return absl::StrCat("@series:", rest.substr(0, rest.find('/')));
  }
  // invn/<escaped number>/<customer>: the customer that issued it.
  if (absl::StartsWith(key, "invn/")) {
    return std::string(key.substr(key.rfind('/') + 1));
  }
  for (absl::string_view family : kCustomerFamilies) {
    if (!absl::StartsWith(key, family)) continue;
    absl::string_view rest = key.substr(family.size());
    return std::string(rest.substr(0, rest.find('/')));
  }
  return absl::DataLossError(absl::StrCat(
      "state key \"", absl::CHexEscape(key.substr(0, 60)),
      "\" is of no known family: the rebuild cannot tell its partition"));
}

}  // namespace billing
