#pragma once

// The layout of state keys, in one place. Every key starts with a short
// family prefix and a '/'; customer ids cannot contain '/', so a customer's
// keys never collide with another's.
//
//   cust/<customer_id>                    billing.v1.Customer
//   idem/<customer_id>/<idempotency_key>  billing.v1.IdempotencyRecord
//   part/<partition, 8 decimal digits>    billing.v1.PartitionProgress
//   ent/<customer_id>/<entity_id>         billing.v1.BillingEntity
//   obj/<customer_id>/<object_id>         billing.v1.BillableObject
//   objh/<customer_id>/<object_id>/<offset, 20 digits>.<index, 10 digits>
//                                         billing.v1.AssignmentChange
//   kids/<customer_id>/<parent_id>/<child_id>   "" (the object tree)
//   e164/<customer_id>/<number>           object_id of the phone number
//   dir/<number>                          customer_id: the directory that
//                                         routes usage by phone number
//   prep/<customer_id>/<preparation_id>   billing.v1.Preparation
//                                         (engine/invoicing/commands.h)
//   run/<run_id>                          billing.v1.RunHeader (partition
//                                         "@runs", engine/invoicing/runs.h)
//   draft/<customer_id>/<draft_id>, inv/<customer_id>/<number>,
//   invn/<number>/<customer_id>, series/<series>, snum/<series>/...,
//   ref/issuer                            invoices and their series
//                                         (engine/invoicing/invoices.h)
//   icancel/<customer_id>/<number>, corrn/<customer_id>,
//   invat/<customer_id>/<offset>/<number> credit notes, corrections and
//                                         the balance as of an offset
//                                         (engine/invoicing/credit_notes.h)
//   usage keys (uplan/, uassign/, useen/, utot/, urec/, uquar/, uqin/):
//                                         engine/usage/usage.cc
//   ingest/kafka/<topic>/<partition>      next offset of the usage topic,
//                                         written by the Kafka usage consumer
//                                         (services/kafka_usage_consumer.h),
//                                         not by the projection: a state
//                                         rebuilt from the log lacks it and
//                                         the consumer starts at the earliest
//                                         offset, deduplicated by record ids
//   ctr/<customer_id>/<contract_ref>      billing.v1.Contract
//   rule/<customer_id>/<contract_ref>/<rule_id>   billing.v1.BillingRule
//   meter/<customer_id>/<object_id>       billing.v1.MeterState
//   read/<customer_id>/<object_id>/<seq, 10 digits>   billing.v1.Reading
//   work/<customer_id>/<contract_ref>/<rule_id>/<date>/<offset, 20>.<index, 10>
//                                         billing.v1.WorkUnits
//   time/<customer_id>/<contract_ref>/<rule_id>/<date>/<offset, 20>.<index, 10>
//                                         billing.v1.TimeEntry
//   job/<customer_id>/<job_id>            billing.v1.Job
//   ref/art/<article_code>                billing.v1.Article (partition
//                                         "@reference", like every ref/ key)
//   ref/idx/<index_code>/<date>           billing.v1.IndexPublication
//   ref/markup/<date>                     billing.v1.CompanyMarkup
//   ref/rate/<person_id>/<date>           billing.v1.HourlyRate

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/core/types.h"

namespace billing {

inline constexpr absl::string_view kCustomerPrefix = "cust/";
inline constexpr absl::string_view kIdempotencyPrefix = "idem/";
inline constexpr absl::string_view kPartitionPrefix = "part/";

std::string CustomerKey(absl::string_view customer_id);
std::string IdempotencyStateKey(absl::string_view customer_id,
                                absl::string_view idempotency_key);
std::string PartitionProgressKey(PartitionId partition);

inline constexpr absl::string_view kEntityPrefix = "ent/";
inline constexpr absl::string_view kObjectPrefix = "obj/";
inline constexpr absl::string_view kObjectHistoryPrefix = "objh/";
inline constexpr absl::string_view kChildrenPrefix = "kids/";
inline constexpr absl::string_view kE164Prefix = "e164/";

// "<family><customer_id>/": every key of one family for one customer.
std::string CustomerFamilyPrefix(absl::string_view family,
                                 absl::string_view customer_id);
std::string EntityKey(absl::string_view customer_id,
                      absl::string_view entity_id);
std::string ObjectKey(absl::string_view customer_id,
                      absl::string_view object_id);
// The prefix of one object's history; its keys sort in log order.
std::string ObjectHistoryPrefix(absl::string_view customer_id,
                                absl::string_view object_id);
std::string ObjectHistoryKey(absl::string_view customer_id,
                             absl::string_view object_id, int64_t offset,
                             int32_t index);
std::string ChildrenPrefix(absl::string_view customer_id,
                           absl::string_view parent_id);
std::string ChildKey(absl::string_view customer_id, absl::string_view parent_id,
                     absl::string_view child_id);
std::string E164Key(absl::string_view customer_id, absl::string_view number);
std::string DirectoryKey(absl::string_view number);

// Contracts (engine/contracts*.h).
inline constexpr absl::string_view kContractPrefix = "ctr/";
inline constexpr absl::string_view kRulePrefix = "rule/";
inline constexpr absl::string_view kMeterPrefix = "meter/";
inline constexpr absl::string_view kReadingPrefix = "read/";
inline constexpr absl::string_view kWorkUnitsPrefix = "work/";
inline constexpr absl::string_view kTimeEntryPrefix = "time/";
inline constexpr absl::string_view kJobPrefix = "job/";
inline constexpr absl::string_view kReferencePrefix = "ref/";
inline constexpr absl::string_view kArticlePrefix = "ref/art/";
inline constexpr absl::string_view kIndexPublicationPrefix = "ref/idx/";
inline constexpr absl::string_view kCompanyMarkupPrefix = "ref/markup/";
inline constexpr absl::string_view kHourlyRatePrefix = "ref/rate/";

std::string ContractKey(absl::string_view customer_id,
                        absl::string_view contract_ref);
// "rule/<customer_id>/<contract_ref>/": the rules of one contract.
std::string ContractRulesPrefix(absl::string_view customer_id,
                                absl::string_view contract_ref);
std::string RuleKey(absl::string_view customer_id,
                    absl::string_view contract_ref, absl::string_view rule_id);
std::string MeterKey(absl::string_view customer_id,
                     absl::string_view object_id);
std::string ReadingsPrefix(absl::string_view customer_id,
                           absl::string_view object_id);
std::string ReadingKey(absl::string_view customer_id,
                       absl::string_view object_id, uint32_t seq);
// Work units and time entries of one rule; their keys sort by date, then in
// log order.
std::string RuleEntriesPrefix(absl::string_view family,
                              absl::string_view customer_id,
                              absl::string_view contract_ref,
                              absl::string_view rule_id);
std::string RuleEntryKey(absl::string_view family,
                         absl::string_view customer_id,
                         absl::string_view contract_ref,
                         absl::string_view rule_id, absl::string_view date,
                         int64_t offset, int32_t index);
std::string JobKey(absl::string_view customer_id, absl::string_view job_id);
std::string ArticleKey(absl::string_view article_code);
// "ref/idx/<index_code>/": one index's publications, by date.
std::string IndexPublicationsPrefix(absl::string_view index_code);
std::string IndexPublicationKey(absl::string_view index_code,
                                absl::string_view date);
std::string CompanyMarkupKey(absl::string_view date);
// "ref/rate/<person_id>/": one person's rates, by date.
std::string HourlyRatesPrefix(absl::string_view person_id);
std::string HourlyRateKey(absl::string_view person_id, absl::string_view date);

}  // namespace billing

namespace billing {

// The partition key (a customer id, "@reference", "@quarantine" or "@runs")
// whose records wrote `key`: what a rebuild of that partition deletes first.
// nullopt for keys no record writes: part/ (a partition's progress, reset on
// its own) and ingest/ (Kafka usage offsets, kept: records ingested again are
// deduplicated by their ids). DataLoss for a key of no known family: a
// rebuild refuses rather than leave a key behind. `value` is needed for dir/
// keys, whose value is the owning customer.
absl::StatusOr<std::optional<std::string>> OwnerOfStateKey(
    absl::string_view key, absl::string_view value);

}  // namespace billing
