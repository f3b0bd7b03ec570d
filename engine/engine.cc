#include "engine/engine.h"

#include "absl/strings/str_format.h"
#include "engine/contracts/contracts.h"
#include "engine/core/domain.h"
#include "engine/core/fingerprint.h"
#include "engine/core/keys.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/invoices.h"
#include "engine/structure/structure.h"
#include "engine/usage/usage.h"

namespace billing {
namespace {

// The list: one line per domain. Order does not matter; no two domains share
// a command or event case.
constexpr const Domain* kDomains[] = {
    &kCustomerDomain, &kStructureDomain, &kContractsDomain,
    &kUsageDomain,    &kInvoicingDomain, &kInvoiceDomain,
};

const Domain* DomainOfCommand(const v1::Command& command) {
  for (const Domain* d : kDomains) {
    if (d->Decides(command.body_case())) return d;
  }
  return nullptr;
}

const Domain* DomainOfEvent(const v1::EventEnvelope& event) {
  for (const Domain* d : kDomains) {
    if (d->Applies(event.payload_case())) return d;
  }
  return nullptr;
}

// The stable type name that must go with each payload case; empty when the
// payload is unset.
absl::string_view TypeOfPayload(const v1::EventEnvelope& event) {
  if (event.has_ownership_claimed()) return kOwnershipClaimedType;
  const Domain* domain = DomainOfEvent(event);
  return domain == nullptr ? absl::string_view() : domain->event_type(event);
}

absl::Status Corrupt(PartitionId partition, Offset offset,
                     absl::string_view why) {
  return absl::DataLossError(
      absl::StrFormat("corrupt record at partition %d offset %d: %s",
                      partition.value(), offset.value(), why));
}

// Invariants every record must hold before any of it is applied.
absl::Status CheckRecord(PartitionId partition, Offset offset,
                         const v1::LogRecord& record) {
  if (record.schema_version() != kLogRecordSchemaVersion) {
    return Corrupt(partition, offset,
                   absl::StrFormat("unknown record schema_version %d",
                                   record.schema_version()));
  }
  if (record.events_size() == 0) return Corrupt(partition, offset, "no events");
  if (record.events_size() > kRecordEventsMax) {
    return Corrupt(partition, offset,
                   absl::StrFormat("%d events, more than %d",
                                   record.events_size(), kRecordEventsMax));
  }
  for (int i = 0; i < record.events_size(); ++i) {
    const v1::EventEnvelope& e = record.events(i);
    absl::string_view expected = TypeOfPayload(e);
    if (expected.empty()) {
      return Corrupt(partition, offset,
                     absl::StrFormat("event %d has no payload", i));
    }
    if (e.type() != expected) {
      return Corrupt(partition, offset,
                     absl::StrFormat("event %d has type %s but a %s payload", i,
                                     QuoteValue(e.type()), expected));
    }
    if (e.schema_version() != 1) {
      return Corrupt(partition, offset,
                     absl::StrFormat("event %d has unknown schema_version %d",
                                     i, e.schema_version()));
    }
    if (e.customer_id() != record.customer_id()) {
      return Corrupt(partition, offset,
                     absl::StrFormat("event %d belongs to customer %s in a "
                                     "record of customer %s",
                                     i, QuoteValue(e.customer_id()),
                                     QuoteValue(record.customer_id())));
    }
    const bool marker = e.has_ownership_claimed();
    if (marker != record.customer_id().empty() ||
        (marker && record.events_size() != 1)) {
      return Corrupt(partition, offset,
                     "an ownership marker must be alone in a record without "
                     "customer");
    }
  }
  if (!record.customer_id().empty()) {
    if (record.idempotency_key().empty()) {
      return Corrupt(partition, offset, "command record without key");
    }
  }
  return absl::OkStatus();
}

// Applies a command record's events in order, each by its domain, then
// remembers the key forever with the answer the caller gets (from the domain
// of the first event).
absl::Status ApplyCommandRecord(StateWriter& state, PartitionId partition,
                                Offset offset, const v1::LogRecord& record) {
  for (int i = 0; i < record.events_size(); ++i) {
    const v1::EventEnvelope& e = record.events(i);
    v1::LogPosition position;
    position.set_partition(partition.value());
    position.set_offset(offset.value());
    position.set_index(i);
    const Domain* domain = DomainOfEvent(e);
    absl::Status s =
        domain == nullptr
            ? absl::DataLossError("an ownership marker inside a command")
            : domain->apply(state, e, position);
    if (!s.ok()) {
      return Corrupt(partition, offset,
                     absl::StrFormat("event %d: %s", i, s.message()));
    }
  }
  v1::IdempotencyRecord idem;
  idem.set_request_fingerprint(record.request_fingerprint());
  idem.mutable_position()->set_partition(partition.value());
  idem.mutable_position()->set_offset(offset.value());
  const Domain* first = DomainOfEvent(record.events(0));
  if (auto s = first->answer(state, record, idem); !s.ok()) {
    return Corrupt(partition, offset, s.message());
  }
  PutMessage(
      state,
      IdempotencyStateKey(record.customer_id(), record.idempotency_key()),
      idem);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> CommandCustomerId(const v1::Command& command) {
  const Domain* domain = DomainOfCommand(command);
  if (domain == nullptr) return FieldError("command", "is empty");
  return std::string(domain->partition_key(command));
}

bool KeepsUsageDecideMemo(const v1::Command& command) {
  if (!command.has_usage()) return false;
  const auto body = command.usage().body_case();
  return body == v1::UsageCommand::kRecordUsage ||
         body == v1::UsageCommand::kRecordUsageBatch;
}

bool AppliesWithinItsCustomer(const v1::Command& command) {
  return KeepsUsageDecideMemo(command);
}

absl::StatusOr<std::vector<v1::EventEnvelope>> Decide(
    const StateReader& state, const v1::Command& command,
    BusinessDate business_date) {
  return Decide(state, command, business_date, UtcOnlyTimeZones());
}

absl::StatusOr<std::vector<v1::EventEnvelope>> Decide(
    const StateReader& state, const v1::Command& command,
    BusinessDate business_date, const TimeZoneResolver& zones,
    UsageDecideMemo* usage_memo) {
  const Domain* domain = DomainOfCommand(command);
  if (domain == nullptr) return FieldError("command", "is empty");
  return domain->decide(state, command,
                        DecideContext{business_date, zones, usage_memo});
}

uint64_t RequestFingerprint(const v1::Command& command,
                            absl::string_view requested_business_date) {
  uint64_t h = Fnv1a64(kFnv1aOffsetBasis, SerializeDeterministic(command));
  h = Fnv1a64(h, absl::string_view("\0date:", 6));
  return Fnv1a64(h, requested_business_date);
}

absl::StatusOr<std::optional<v1::IdempotencyRecord>> LookupIdempotency(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view idempotency_key, uint64_t request_fingerprint) {
  auto found = GetMessage<v1::IdempotencyRecord>(
      state, IdempotencyStateKey(customer_id, idempotency_key));
  if (!found.ok() || !found->has_value()) return found;
  if ((*found)->request_fingerprint() != request_fingerprint) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "idempotency_key: %s was already used for another request on "
        "customer %s (partition %d offset %d); use a new key",
        QuoteValue(idempotency_key), QuoteValue(customer_id),
        (*found)->position().partition(), (*found)->position().offset()));
  }
  return found;
}

v1::LogRecord MakeCommandRecord(absl::string_view customer_id,
                                absl::string_view idempotency_key,
                                uint64_t request_fingerprint, Epoch epoch,
                                BusinessDate business_date,
                                std::vector<v1::EventEnvelope> events) {
  v1::LogRecord record;
  record.set_schema_version(kLogRecordSchemaVersion);
  record.set_customer_id(std::string(customer_id));
  record.set_idempotency_key(std::string(idempotency_key));
  record.set_request_fingerprint(request_fingerprint);
  record.set_writer_epoch(epoch.value());
  record.set_business_date(FormatBusinessDate(business_date));
  for (auto& e : events) {
    e.set_idempotency_key(std::string(idempotency_key));
    *record.add_events() = std::move(e);
  }
  return record;
}

v1::LogRecord MakeOwnershipRecord(Epoch epoch, absl::string_view owner) {
  v1::LogRecord record;
  record.set_schema_version(kLogRecordSchemaVersion);
  record.set_writer_epoch(epoch.value());
  v1::EventEnvelope* e = record.add_events();
  e->set_type(std::string(kOwnershipClaimedType));
  e->set_schema_version(1);
  e->mutable_ownership_claimed()->set_epoch(epoch.value());
  e->mutable_ownership_claimed()->set_owner(std::string(owner));
  return record;
}

absl::StatusOr<v1::PartitionProgress> LoadPartitionProgress(
    const StateReader& state, PartitionId partition) {
  auto found =
      GetMessage<v1::PartitionProgress>(state, PartitionProgressKey(partition));
  if (!found.ok()) return found.status();
  return found->value_or(v1::PartitionProgress());
}

absl::StatusOr<ApplyOutcome> ApplyRecord(StateWriter& state,
                                         PartitionId partition, Offset offset,
                                         const v1::LogRecord& record) {
  auto progress = LoadPartitionProgress(state, partition);
  if (!progress.ok()) return progress.status();
  if (offset.value() < progress->next_offset()) {
    return ApplyOutcome::kAlreadyApplied;
  }
  if (auto s = CheckRecord(partition, offset, record); !s.ok()) return s;

  ApplyOutcome outcome = ApplyOutcome::kApplied;
  const v1::EventEnvelope& first = record.events(0);
  if (first.has_ownership_claimed()) {
    // A claim not above the current epoch is a stale owner's: ignored.
    if (first.ownership_claimed().epoch() > progress->epoch()) {
      progress->set_epoch(first.ownership_claimed().epoch());
    } else {
      outcome = ApplyOutcome::kFenced;
    }
  } else if (auto seen = state.Get(IdempotencyStateKey(
                 record.customer_id(), record.idempotency_key()));
             !seen.ok() || seen->has_value()) {
    if (!seen.ok()) return seen.status();
    // The key was applied before: a writer's retry of an append whose
    // acknowledgement was lost, or a conflicting request racing the first.
    // Skipped: the first record with a key is the only one that counts.
    progress->set_duplicate_records(progress->duplicate_records() + 1);
    outcome = ApplyOutcome::kDuplicate;
  } else if (record.writer_epoch() < progress->epoch()) {
    // Appended by a writer that lost ownership: ignored by every projector,
    // deterministically. Its caller is answered UNAVAILABLE and retries.
    progress->set_fenced_records(progress->fenced_records() + 1);
    outcome = ApplyOutcome::kFenced;
  } else if (auto s = ApplyCommandRecord(state, partition, offset, record);
             !s.ok()) {
    return s;
  }
  progress->set_next_offset(offset.value() + 1);
  PutMessage(state, PartitionProgressKey(partition), *progress);
  return outcome;
}

PartitionId PartitionOf(absl::string_view key, int32_t partition_count) {
  // Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), on
  // unsigned 32-bit arithmetic.
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const size_t length = key.size();
  uint32_t h = kSeed ^ static_cast<uint32_t>(length);
  const size_t length4 = length / 4;
  for (size_t i = 0; i < length4; ++i) {
    const size_t i4 = i * 4;
    uint32_t k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) |
                 (static_cast<uint32_t>(data[i4 + 3]) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const size_t tail = length & ~size_t{3};
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(data[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(data[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= data[tail];
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return PartitionId(static_cast<int32_t>(
      (h & 0x7fffffff) % static_cast<uint32_t>(partition_count)));
}

}  // namespace billing
