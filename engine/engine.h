#pragma once

// The engine's entry points: decide a command against state, apply a log
// record to state. Pure: no I/O, no clock, no threads. The same records
// applied in the same order give byte-identical state.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"
#include "engine/core/types.h"
#include "engine/usage/usage.h"

namespace billing {

inline constexpr absl::string_view kOwnershipClaimedType =
    "partition.ownership_claimed";
// Record layout version written today; older ones are upcast on read.
inline constexpr uint32_t kLogRecordSchemaVersion = 1;
// Largest number of events one command may produce (one journal record).
inline constexpr int kRecordEventsMax = 100'000;

// The customer a command targets: its partition key. InvalidArgument when the
// command names none.
absl::StatusOr<std::string> CommandCustomerId(const v1::Command& command);

// Decides a command on `business_date`: the events it causes, or why not.
// Changes nothing.
absl::StatusOr<std::vector<v1::EventEnvelope>> Decide(
    const StateReader& state, const v1::Command& command,
    BusinessDate business_date);

// The same, with the time zones rating may need (engine/usage/usage.h); the
// three-argument form knows only UTC. `usage_memo`: null, or kept by the
// caller as UsageDecideMemo (engine/usage/usage.h) says; decisions are the
// same with or without it.
absl::StatusOr<std::vector<v1::EventEnvelope>> Decide(
    const StateReader& state, const v1::Command& command,
    BusinessDate business_date, const TimeZoneResolver& zones,
    UsageDecideMemo* usage_memo = nullptr);

// Whether deciding `command` only reads what UsageDecideMemo keeps (a
// record_usage or record_usage_batch): before any other command of its
// customer, a kept memo forgets that customer.
bool KeepsUsageDecideMemo(const v1::Command& command);

// Whether applying the record of `command` reads and writes only keys of its
// own customer and its partition's progress (a record_usage or
// record_usage_batch: seen ids, records, totals, quarantine, its
// idempotency entry), so that records of other partitions cannot change what
// it does: a lane may hand its effects to the projection
// (storage/projection.h, PrecomputedEffects).
bool AppliesWithinItsCustomer(const v1::Command& command);

// A stable 64-bit fingerprint (FNV-1a) of a request as the caller sent it:
// the command and the business date it gave ("" when it let the server pick).
uint64_t RequestFingerprint(const v1::Command& command,
                            absl::string_view requested_business_date);

// What the state remembers of `idempotency_key` for this customer: nullopt
// when the key is new; the first answer when the fingerprint matches;
// FailedPrecondition when the key was used for another request.
absl::StatusOr<std::optional<v1::IdempotencyRecord>> LookupIdempotency(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view idempotency_key, uint64_t request_fingerprint);

// Wraps decided events into the record a writer appends.
v1::LogRecord MakeCommandRecord(absl::string_view customer_id,
                                absl::string_view idempotency_key,
                                uint64_t request_fingerprint, Epoch epoch,
                                BusinessDate business_date,
                                std::vector<v1::EventEnvelope> events);

// The marker a new owner appends before writing (docs/architecture.md).
v1::LogRecord MakeOwnershipRecord(Epoch epoch, absl::string_view owner);

enum class ApplyOutcome {
  kApplied,         // the record changed the state
  kAlreadyApplied,  // offset below the partition's progress: a redelivery
  kFenced,          // writer_epoch below the partition's epoch: ignored
  kDuplicate,       // idempotency key applied before: ignored
};

// Applies one record found at (partition, offset) and advances the
// partition's progress, all through `state` (one WriteBatch for the caller).
// DataLoss, naming the position, when the record breaks an invariant: the
// projector must stop rather than bill from a wrong state.
absl::StatusOr<ApplyOutcome> ApplyRecord(StateWriter& state,
                                         PartitionId partition, Offset offset,
                                         const v1::LogRecord& record);

// The partition's progress; an empty message before anything was applied.
absl::StatusOr<v1::PartitionProgress> LoadPartitionProgress(
    const StateReader& state, PartitionId partition);

// Kafka's default partitioner (murmur2 of the key, made positive, modulo the
// partition count), so that Java and librdkafka producers agree with us.
PartitionId PartitionOf(absl::string_view key, int32_t partition_count);

}  // namespace billing
