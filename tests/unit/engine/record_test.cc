// Log records applied to state (ApplyRecord): idempotency, redelivery, the
// ownership fence, corrupt records, determinism; and the request fingerprint
// and partitioner that writers rely on.

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/customer/customer.h"
#include "engine/engine.h"
#include "engine/core/keys.h"
#include "engine/core/state.h"
#include "engine/core/types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::CivilDay kMarch1(2026, 3, 1);
constexpr PartitionId kPartition(3);

v1::Command CreateCommand(absl::string_view customer_id,
                          absl::string_view name) {
  v1::Command command;
  auto* c = command.mutable_create_customer()->mutable_customer();
  c->set_customer_id(std::string(customer_id));
  c->set_name(std::string(name));
  return command;
}

v1::Command RenameCommand(absl::string_view customer_id,
                          absl::string_view name) {
  v1::Command command;
  auto* u = command.mutable_update_customer();
  u->mutable_customer()->set_customer_id(std::string(customer_id));
  u->mutable_customer()->set_name(std::string(name));
  u->mutable_update_mask()->add_paths("name");
  return command;
}

// The record a writer of `epoch` appends for `command`, decided on `state`.
v1::LogRecord CommandRecord(const StateReader& state,
                            const v1::Command& command, absl::string_view key,
                            Epoch epoch = Epoch(0)) {
  auto events = Decide(state, command, kMarch1);
  EXPECT_TRUE(events.ok()) << events.status();
  return MakeCommandRecord(
      *CommandCustomerId(command), key,
      RequestFingerprint(command, "2026-03-01"), epoch, kMarch1,
      events.ok() ? *std::move(events) : std::vector<v1::EventEnvelope>{});
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

class RecordTest : public ::testing::Test {
 protected:
  absl::StatusOr<ApplyOutcome> Apply(int64_t offset,
                                     const v1::LogRecord& record) {
    return ApplyRecord(state_, kPartition, Offset(offset), record);
  }

  // Applies and expects `expected`.
  void ApplyExpecting(int64_t offset, const v1::LogRecord& record,
                      ApplyOutcome expected) {
    auto outcome = Apply(offset, record);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(*outcome, expected) << "at offset " << offset;
  }

  v1::PartitionProgress Progress() {
    auto p = LoadPartitionProgress(state_, kPartition);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : v1::PartitionProgress();
  }

  std::optional<v1::Customer> Customer(absl::string_view id) {
    auto c = LoadCustomer(state_, id);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : std::nullopt;
  }

  std::optional<v1::IdempotencyRecord> Idempotency(absl::string_view id,
                                                   absl::string_view key) {
    auto r =
        GetMessage<v1::IdempotencyRecord>(state_, IdempotencyStateKey(id, key));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::nullopt;
  }

  MemoryState state_;
};

// --- Commands and records
// -----------------------------------------------------

TEST(CommandTest, EmptyCommandIsInvalidArgument) {
  MemoryState state;
  EXPECT_EQ(Message(Decide(state, v1::Command(), kMarch1).status()),
            "command: is empty");
  EXPECT_EQ(CommandCustomerId(v1::Command()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CommandTest, CustomerIdIsThePartitionKey) {
  EXPECT_EQ(*CommandCustomerId(CreateCommand("C1", "Acme")), "C1");
  EXPECT_EQ(*CommandCustomerId(RenameCommand("C2", "Beta")), "C2");
}

// The record carries everything a projector and a retrying caller need, and
// stamps each event with the command's key.
TEST(CommandTest, MakeCommandRecordFillsEveryField) {
  MemoryState state;
  v1::LogRecord record =
      CommandRecord(state, CreateCommand("C1", "Acme"), "k1", Epoch(4));
  EXPECT_EQ(record.schema_version(), kLogRecordSchemaVersion);
  EXPECT_EQ(record.customer_id(), "C1");
  EXPECT_EQ(record.idempotency_key(), "k1");
  EXPECT_EQ(record.request_fingerprint(),
            RequestFingerprint(CreateCommand("C1", "Acme"), "2026-03-01"));
  EXPECT_EQ(record.writer_epoch(), 4u);
  EXPECT_EQ(record.business_date(), "2026-03-01");
  ASSERT_EQ(record.events_size(), 1);
  EXPECT_EQ(record.events(0).idempotency_key(), "k1");
}

TEST(CommandTest, MakeOwnershipRecordIsALoneMarker) {
  v1::LogRecord record = MakeOwnershipRecord(Epoch(2), "host-a:42");
  EXPECT_EQ(record.customer_id(), "");
  EXPECT_EQ(record.writer_epoch(), 2u);
  ASSERT_EQ(record.events_size(), 1);
  EXPECT_EQ(record.events(0).type(), kOwnershipClaimedType);
  EXPECT_EQ(record.events(0).ownership_claimed().epoch(), 2u);
  EXPECT_EQ(record.events(0).ownership_claimed().owner(), "host-a:42");
}

// --- RequestFingerprint
// -------------------------------------------------------

// FNV-1a 64 over the deterministic serialization of
//   create_customer { customer { customer_id: "C1" name: "Acme" } }
// = 0a 0c 0a 0a 0a 02 'C' '1' 12 04 'A' 'c' 'm' 'e',
// then the 6 bytes "\0date:", then the requested date. Computed outside the
// engine; a change of serialization or of the hash breaks every stored
// idempotency record, so it must show here.
TEST(RequestFingerprintTest, IsPinnedForAFixedCommand) {
  EXPECT_EQ(RequestFingerprint(CreateCommand("C1", "Acme"), "2026-03-01"),
            0x5b66496e810299cdULL);
}

TEST(RequestFingerprintTest, IsPinnedWithoutRequestedDate) {
  EXPECT_EQ(RequestFingerprint(CreateCommand("C1", "Acme"), ""),
            0x4a7f5ab0ae0354a9ULL);
}

TEST(RequestFingerprintTest, IsStableAcrossCalls) {
  EXPECT_EQ(RequestFingerprint(CreateCommand("C1", "Acme"), "2026-03-01"),
            RequestFingerprint(CreateCommand("C1", "Acme"), "2026-03-01"));
}

// The same command for another business date is another request.
TEST(RequestFingerprintTest, DependsOnRequestedBusinessDate) {
  const v1::Command c = CreateCommand("C1", "Acme");
  const uint64_t none = RequestFingerprint(c, "");
  const uint64_t march1 = RequestFingerprint(c, "2026-03-01");
  const uint64_t march2 = RequestFingerprint(c, "2026-03-02");
  EXPECT_NE(none, march1);
  EXPECT_NE(march1, march2);
  EXPECT_NE(none, march2);
}

TEST(RequestFingerprintTest, DependsOnCommand) {
  EXPECT_NE(RequestFingerprint(CreateCommand("C1", "Acme"), ""),
            RequestFingerprint(CreateCommand("C1", "Acme SAS"), ""));
}

// --- Idempotency
// --------------------------------------------------------------

// The key is remembered with the fingerprint, the record's position and the
// answer the caller got: the customer as created.
TEST_F(RecordTest, IdempotencyRecordHoldsTheFirstAnswer) {
  const v1::Command create = CreateCommand("C1", "Acme");
  ApplyExpecting(0, CommandRecord(state_, create, "k1"),
                 ApplyOutcome::kApplied);
  auto idem = Idempotency("C1", "k1");
  ASSERT_TRUE(idem.has_value());
  EXPECT_EQ(idem->request_fingerprint(),
            RequestFingerprint(create, "2026-03-01"));
  EXPECT_EQ(idem->position().partition(), 3);
  EXPECT_EQ(idem->position().offset(), 0);
  EXPECT_EQ(idem->position().index(), 0);
  ASSERT_TRUE(idem->has_customer());
  EXPECT_EQ(idem->customer().name(), "Acme");
  EXPECT_EQ(idem->customer().version(), 1u);
}

// Later commands do not rewrite an earlier key's answer.
TEST_F(RecordTest, IdempotencyRecordKeepsItsAnswerAfterLaterUpdates) {
  ApplyExpecting(0, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1"),
                 ApplyOutcome::kApplied);
  ApplyExpecting(1,
                 CommandRecord(state_, RenameCommand("C1", "Acme SAS"), "k2"),
                 ApplyOutcome::kApplied);
  EXPECT_EQ(Idempotency("C1", "k1")->customer().version(), 1u);
  EXPECT_EQ(Idempotency("C1", "k1")->customer().name(), "Acme");
  EXPECT_EQ(Idempotency("C1", "k2")->customer().version(), 2u);
  EXPECT_EQ(Idempotency("C1", "k2")->position().offset(), 1);
}

TEST_F(RecordTest, LookupIdempotencyOfNewKeyIsNullopt) {
  auto found = LookupIdempotency(state_, "C1", "k1", 42);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
}

// A retry (same key, same request) gets the first answer back.
TEST_F(RecordTest, LookupIdempotencyWithSameFingerprintReturnsFirstAnswer) {
  const v1::Command create = CreateCommand("C1", "Acme");
  ApplyExpecting(0, CommandRecord(state_, create, "k1"),
                 ApplyOutcome::kApplied);
  auto found = LookupIdempotency(state_, "C1", "k1",
                                 RequestFingerprint(create, "2026-03-01"));
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->customer().name(), "Acme");
}

// The same key for another request: FAILED_PRECONDITION, do not retry.
TEST_F(RecordTest, LookupIdempotencyWithOtherFingerprintIsFailedPrecondition) {
  const v1::Command create = CreateCommand("C1", "Acme");
  ApplyExpecting(0, CommandRecord(state_, create, "k1"),
                 ApplyOutcome::kApplied);
  auto found = LookupIdempotency(state_, "C1", "k1",
                                 RequestFingerprint(create, "2026-03-02"));
  ASSERT_EQ(found.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(found.status()),
            "idempotency_key: \"k1\" was already used for another request on "
            "customer \"C1\" (partition 3 offset 0); use a new key");
}

// Keys are scoped to the customer.
TEST_F(RecordTest, IdempotencyKeyIsScopedToTheCustomer) {
  ApplyExpecting(0, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1"),
                 ApplyOutcome::kApplied);
  auto found = LookupIdempotency(state_, "C2", "k1", 42);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
  ApplyExpecting(1, CommandRecord(state_, CreateCommand("C2", "Beta"), "k1"),
                 ApplyOutcome::kApplied);
}

// A second record with a key already applied (a retried append whose
// acknowledgement was lost) is skipped and counted; the first answer stays.
TEST_F(RecordTest, SecondRecordWithSameKeyIsDuplicate) {
  const v1::LogRecord create =
      CommandRecord(state_, CreateCommand("C1", "Acme"), "k1");
  ApplyExpecting(0, create, ApplyOutcome::kApplied);
  const v1::LogRecord rename =
      CommandRecord(state_, RenameCommand("C1", "Acme SAS"), "k1");
  const std::string idem_before =
      state_.data().at(IdempotencyStateKey("C1", "k1"));
  ApplyExpecting(1, rename, ApplyOutcome::kDuplicate);
  EXPECT_EQ(Customer("C1")->name(), "Acme");
  EXPECT_EQ(state_.data().at(IdempotencyStateKey("C1", "k1")), idem_before);
  EXPECT_EQ(Progress().duplicate_records(), 1u);
  EXPECT_EQ(Progress().next_offset(), 2);
}

// --- Progress and redelivery
// --------------------------------------------------

TEST_F(RecordTest, ProgressStartsEmpty) {
  EXPECT_EQ(Progress().next_offset(), 0);
  EXPECT_EQ(Progress().epoch(), 0u);
}

// Offsets may have gaps (compaction, transaction markers): progress moves to
// one past the applied record.
TEST_F(RecordTest, ProgressMovesPastTheAppliedOffset) {
  ApplyExpecting(5, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1"),
                 ApplyOutcome::kApplied);
  EXPECT_EQ(Progress().next_offset(), 6);
}

// A record redelivered below the progress changes nothing, not even bytes.
TEST_F(RecordTest, RedeliveryBelowProgressIsAlreadyApplied) {
  const v1::LogRecord create =
      CommandRecord(state_, CreateCommand("C1", "Acme"), "k1");
  ApplyExpecting(0, create, ApplyOutcome::kApplied);
  ApplyExpecting(1, CommandRecord(state_, RenameCommand("C1", "B"), "k2"),
                 ApplyOutcome::kApplied);
  const auto before = state_.data();
  ApplyExpecting(0, create, ApplyOutcome::kAlreadyApplied);
  EXPECT_EQ(state_.data(), before);
}

// Below the progress a record is not even read: a record that would be
// corrupt at a new offset is still just a redelivery.
TEST_F(RecordTest, RedeliveryIsNotChecked) {
  ApplyExpecting(0, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1"),
                 ApplyOutcome::kApplied);
  const auto before = state_.data();
  ApplyExpecting(0, v1::LogRecord(), ApplyOutcome::kAlreadyApplied);
  EXPECT_EQ(state_.data(), before);
}

// Each partition has its own progress.
TEST_F(RecordTest, PartitionsProgressIndependently) {
  ApplyExpecting(7, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1"),
                 ApplyOutcome::kApplied);
  auto outcome =
      ApplyRecord(state_, PartitionId(4), Offset(0),
                  CommandRecord(state_, CreateCommand("C2", "Beta"), "k1"));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, ApplyOutcome::kApplied);
  EXPECT_EQ(LoadPartitionProgress(state_, PartitionId(4))->next_offset(), 1);
  EXPECT_EQ(Progress().next_offset(), 8);
}

// --- Ownership fence
// ----------------------------------------------------------

TEST_F(RecordTest, OwnershipClaimRaisesTheEpoch) {
  ApplyExpecting(0, MakeOwnershipRecord(Epoch(1), "a"), ApplyOutcome::kApplied);
  EXPECT_EQ(Progress().epoch(), 1u);
  EXPECT_EQ(Progress().next_offset(), 1);
}

// After the claim of epoch 1, a record of epoch 0 (the previous owner's) is
// ignored: no customer, no idempotency key, counted as fenced.
TEST_F(RecordTest, RecordOfOlderEpochAfterClaimIsFenced) {
  ApplyExpecting(0, MakeOwnershipRecord(Epoch(1), "a"), ApplyOutcome::kApplied);
  ApplyExpecting(
      1, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1", Epoch(0)),
      ApplyOutcome::kFenced);
  EXPECT_FALSE(Customer("C1").has_value());
  EXPECT_FALSE(Idempotency("C1", "k1").has_value());
  EXPECT_EQ(Progress().fenced_records(), 1u);
  EXPECT_EQ(Progress().next_offset(), 2);
}

TEST_F(RecordTest, RecordOfClaimedEpochApplies) {
  ApplyExpecting(0, MakeOwnershipRecord(Epoch(1), "a"), ApplyOutcome::kApplied);
  ApplyExpecting(
      1, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1", Epoch(1)),
      ApplyOutcome::kApplied);
  EXPECT_TRUE(Customer("C1").has_value());
  EXPECT_EQ(Progress().fenced_records(), 0u);
}

// The fenced writer's caller retries with the same key through the new
// owner: the key was never taken, so the retry applies.
TEST_F(RecordTest, FencedRecordDoesNotTakeItsKey) {
  ApplyExpecting(0, MakeOwnershipRecord(Epoch(1), "a"), ApplyOutcome::kApplied);
  const v1::Command create = CreateCommand("C1", "Acme");
  ApplyExpecting(1, CommandRecord(state_, create, "k1", Epoch(0)),
                 ApplyOutcome::kFenced);
  ApplyExpecting(2, CommandRecord(state_, create, "k1", Epoch(1)),
                 ApplyOutcome::kApplied);
  EXPECT_EQ(Idempotency("C1", "k1")->position().offset(), 2);
}

// A claim not above the current epoch is a stale owner's: ignored, and the
// current owner's records keep applying.
TEST_F(RecordTest, StaleClaimIsIgnored) {
  ApplyExpecting(0, MakeOwnershipRecord(Epoch(2), "b"), ApplyOutcome::kApplied);
  ApplyExpecting(1, MakeOwnershipRecord(Epoch(1), "a"), ApplyOutcome::kFenced);
  ApplyExpecting(2, MakeOwnershipRecord(Epoch(2), "a"), ApplyOutcome::kFenced);
  EXPECT_EQ(Progress().epoch(), 2u);
  EXPECT_EQ(Progress().next_offset(), 3);
  ApplyExpecting(
      3, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1", Epoch(2)),
      ApplyOutcome::kApplied);
}

// Records of epoch 0 apply while nobody has claimed the partition.
TEST_F(RecordTest, RecordsBeforeAnyClaimApply) {
  ApplyExpecting(
      0, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1", Epoch(0)),
      ApplyOutcome::kApplied);
  EXPECT_EQ(Progress().fenced_records(), 0u);
}

// --- Corrupt records
// ----------------------------------------------------------

// One way to spoil a valid record, and what the DataLoss message says after
// "corrupt record at partition 3 offset 7: ".
struct Corruption {
  std::string test_name;
  std::function<void(v1::LogRecord&)> spoil;
  std::string reason;
};

// Names the case in test listings (gtest would print its bytes, which
// change with every build and so would ctest's test names).
void PrintTo(const Corruption& c, std::ostream* os) { *os << c.test_name; }

class CorruptRecordTest : public RecordTest,
                          public ::testing::WithParamInterface<Corruption> {};

// The projector must stop: DataLoss naming the position, nothing written, and
// progress does not move (the offset is read again after a fix).
TEST_P(CorruptRecordTest, IsDataLossNamingPositionAndChangesNothing) {
  ApplyExpecting(0, CommandRecord(state_, CreateCommand("C0", "Zero"), "k0"),
                 ApplyOutcome::kApplied);
  v1::LogRecord record =
      CommandRecord(state_, CreateCommand("C1", "Acme"), "k1");
  GetParam().spoil(record);
  const auto before = state_.data();
  auto outcome = Apply(7, record);
  ASSERT_EQ(outcome.status().code(), absl::StatusCode::kDataLoss)
      << outcome.status();
  EXPECT_EQ(Message(outcome.status()),
            "corrupt record at partition 3 offset 7: " + GetParam().reason);
  EXPECT_EQ(state_.data(), before);
}

v1::EventEnvelope Marker(uint64_t epoch) {
  return MakeOwnershipRecord(Epoch(epoch), "x").events(0);
}

INSTANTIATE_TEST_SUITE_P(
    Invariants, CorruptRecordTest,
    ::testing::Values(
        Corruption{"TypeNotMatchingPayload",
                   [](v1::LogRecord& r) {
                     r.mutable_events(0)->set_type("customer.updated");
                   },
                   "event 0 has type \"customer.updated\" but a "
                   "customer.created payload"},
        Corruption{"UnknownTypeName",
                   [](v1::LogRecord& r) {
                     r.mutable_events(0)->set_type("CustomerCreated");
                   },
                   "event 0 has type \"CustomerCreated\" but a "
                   "customer.created payload"},
        Corruption{"EventWithoutPayload",
                   [](v1::LogRecord& r) {
                     r.mutable_events(0)->clear_customer_created();
                   },
                   "event 0 has no payload"},
        Corruption{"NoEvents", [](v1::LogRecord& r) { r.clear_events(); },
                   "no events"},
        Corruption{"UnknownRecordSchemaVersion",
                   [](v1::LogRecord& r) { r.set_schema_version(2); },
                   "unknown record schema_version 2"},
        Corruption{"MissingRecordSchemaVersion",
                   [](v1::LogRecord& r) { r.set_schema_version(0); },
                   "unknown record schema_version 0"},
        Corruption{"UnknownEventSchemaVersion",
                   [](v1::LogRecord& r) {
                     r.mutable_events(0)->set_schema_version(2);
                   },
                   "event 0 has unknown schema_version 2"},
        Corruption{"EventOfAnotherCustomer",
                   [](v1::LogRecord& r) {
                     r.mutable_events(0)->set_customer_id("C2");
                   },
                   "event 0 belongs to customer \"C2\" in a record of "
                   "customer \"C1\""},
        Corruption{"SecondEventOfAnotherCustomer",
                   [](v1::LogRecord& r) {
                     *r.add_events() = r.events(0);
                     r.mutable_events(1)->set_customer_id("C2");
                   },
                   "event 1 belongs to customer \"C2\" in a record of "
                   "customer \"C1\""},
        Corruption{"MarkerInCommandRecord",
                   [](v1::LogRecord& r) {
                     v1::EventEnvelope m = Marker(1);
                     m.set_customer_id("C1");
                     *r.add_events() = m;
                   },
                   "an ownership marker must be alone in a record without "
                   "customer"},
        Corruption{"TwoMarkers",
                   [](v1::LogRecord& r) {
                     r.clear_customer_id();
                     r.clear_idempotency_key();
                     r.clear_events();
                     *r.add_events() = Marker(1);
                     *r.add_events() = Marker(2);
                   },
                   "an ownership marker must be alone in a record without "
                   "customer"},
        Corruption{"CustomerEventInRecordWithoutCustomer",
                   [](v1::LogRecord& r) {
                     r.clear_customer_id();
                     r.mutable_events(0)->clear_customer_id();
                   },
                   "an ownership marker must be alone in a record without "
                   "customer"},
        Corruption{"CommandRecordWithoutKey",
                   [](v1::LogRecord& r) { r.clear_idempotency_key(); },
                   "command record without key"}),
    [](const ::testing::TestParamInfo<Corruption>& info) {
      return info.param.test_name;
    });

// Records that pass the shape checks but contradict the state. Part of the
// record may have been written through `state` when this is found: the caller
// applies through an OverlayState (one WriteBatch) and drops it.
TEST_F(RecordTest, CreatedTwiceIsDataLossNamingPosition) {
  const v1::LogRecord create =
      CommandRecord(state_, CreateCommand("C1", "Acme"), "k1");
  ApplyExpecting(0, create, ApplyOutcome::kApplied);
  v1::LogRecord again = create;
  again.set_idempotency_key("k2");
  auto outcome = Apply(1, again);
  ASSERT_EQ(outcome.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Message(outcome.status()),
            "corrupt record at partition 3 offset 1: event 0: "
            "customer.created for \"C1\", which already exists");
}

TEST_F(RecordTest, PayloadOfAnotherCustomerIsDataLoss) {
  v1::LogRecord record =
      CommandRecord(state_, CreateCommand("C1", "Acme"), "k1");
  record.mutable_events(0)
      ->mutable_customer_created()
      ->mutable_customer()
      ->set_customer_id("C2");
  auto outcome = Apply(0, record);
  ASSERT_EQ(outcome.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(outcome.status()),
              StartsWith("corrupt record at partition 3 offset 0: event 0: "));
  EXPECT_THAT(Message(outcome.status()), HasSubstr("carries customer \"C2\""));
}

// Two creates of one customer in one record: the second contradicts the
// first. Applied through an overlay, as the projector does, the base is
// untouched.
TEST_F(RecordTest, ContradictionInsideOneRecordLeavesBaseUntouched) {
  v1::LogRecord record =
      CommandRecord(state_, CreateCommand("C1", "Acme"), "k1");
  *record.add_events() = record.events(0);
  OverlayState batch(&state_);
  auto outcome = ApplyRecord(batch, kPartition, Offset(0), record);
  ASSERT_EQ(outcome.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(outcome.status()),
              StartsWith("corrupt record at partition 3 offset 0: event 1: "));
  EXPECT_TRUE(state_.data().empty());
}

// Progress that does not parse stops the projector with the key named.
TEST_F(RecordTest, CorruptProgressIsDataLoss) {
  state_.Put(PartitionProgressKey(kPartition), "\xff\xff");
  auto outcome =
      Apply(0, CommandRecord(state_, CreateCommand("C1", "Acme"), "k1"));
  ASSERT_EQ(outcome.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(outcome.status()), HasSubstr("part/00000003"));
}

// --- Determinism
// --------------------------------------------------------------

// A log exercising every outcome: a claim, creates, updates, a fenced
// record, a duplicate key, a stale claim.
std::vector<std::pair<int64_t, v1::LogRecord>> SampleLog() {
  MemoryState scratch;  // to decide the commands against
  std::vector<std::pair<int64_t, v1::LogRecord>> log;
  auto add = [&](int64_t offset, v1::LogRecord record) {
    auto s = ApplyRecord(scratch, kPartition, Offset(offset), record);
    EXPECT_TRUE(s.ok()) << s.status();
    log.emplace_back(offset, std::move(record));
  };
  add(0, MakeOwnershipRecord(Epoch(1), "a"));
  add(1, CommandRecord(scratch, CreateCommand("C1", "Soci\xc3\xa9t\xc3\xa9"),
                       "k1", Epoch(1)));
  add(2, CommandRecord(scratch, CreateCommand("C2", "Beta"), "k1", Epoch(1)));
  add(4, CommandRecord(scratch, RenameCommand("C1", "Acme"), "k2", Epoch(1)));
  add(5, CommandRecord(scratch, CreateCommand("C3", "Old"), "k1", Epoch(0)));
  add(6, CommandRecord(scratch, RenameCommand("C2", "Gamma"), "k1", Epoch(1)));
  add(7, MakeOwnershipRecord(Epoch(1), "stale"));
  add(8,
      CommandRecord(scratch, RenameCommand("C1", "Acme SAS"), "k3", Epoch(1)));
  return log;
}

// Replaying the same log into two fresh states gives the same bytes.
TEST(DeterminismTest, TwoReplaysGiveByteIdenticalState) {
  const auto log = SampleLog();
  MemoryState a;
  MemoryState b;
  for (const auto& [offset, record] : log) {
    ASSERT_TRUE(ApplyRecord(a, kPartition, Offset(offset), record).ok());
  }
  for (const auto& [offset, record] : log) {
    ASSERT_TRUE(ApplyRecord(b, kPartition, Offset(offset), record).ok());
  }
  EXPECT_EQ(a.data(), b.data());
  EXPECT_EQ(a.data().size(), 7u);  // 2 customers, 4 keys, 1 progress
}

// Applying through an overlay (as the projector batches) writes the same
// bytes as applying directly.
TEST(DeterminismTest, OverlayReplayWritesTheSameBytes) {
  const auto log = SampleLog();
  MemoryState direct;
  MemoryState base;
  OverlayState batch(&base);
  for (const auto& [offset, record] : log) {
    ASSERT_TRUE(ApplyRecord(direct, kPartition, Offset(offset), record).ok());
    ASSERT_TRUE(ApplyRecord(batch, kPartition, Offset(offset), record).ok());
  }
  for (const auto& [key, value] : batch.writes()) {
    ASSERT_TRUE(value.has_value()) << key;
    base.Put(key, *value);
  }
  EXPECT_EQ(base.data(), direct.data());
}

// Replaying the log a second time over its own result is all redelivery.
TEST(DeterminismTest, ReplayOverItselfChangesNothing) {
  const auto log = SampleLog();
  MemoryState state;
  for (const auto& [offset, record] : log) {
    ASSERT_TRUE(ApplyRecord(state, kPartition, Offset(offset), record).ok());
  }
  const auto before = state.data();
  for (const auto& [offset, record] : log) {
    auto outcome = ApplyRecord(state, kPartition, Offset(offset), record);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(*outcome, ApplyOutcome::kAlreadyApplied);
  }
  EXPECT_EQ(state.data(), before);
}

// --- PartitionOf
// --------------------------------------------------------------

// Kafka's own murmur2 vectors (clients UtilsTest.testMurmur2), made positive
// as its default partitioner does (h & 0x7fffffff). With INT32_MAX
// partitions the modulo leaves the positive hash as it is.
TEST(PartitionOfTest, MatchesKafkaMurmur2Vectors) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  const std::pair<const char*, int32_t> kVectors[] = {
      {"21", -973932308},
      {"foobar", -790332482},
      {"a-little-bit-long-string", -985981536},
      {"a-little-bit-longer-string", -1486304829},
      {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
      {"abc", 479470107},
  };
  for (const auto& [key, murmur2] : kVectors) {
    const int32_t positive =
        static_cast<int32_t>(static_cast<uint32_t>(murmur2) & 0x7fffffffu);
    EXPECT_EQ(PartitionOf(key, kMax).value(), positive % kMax) << key;
  }
}

// The same vectors on 12 partitions, worked out by hand from the above.
TEST(PartitionOfTest, MatchesKafkaOnTwelvePartitions) {
  EXPECT_EQ(PartitionOf("21", 12).value(), 0);      // 1173551340 % 12
  EXPECT_EQ(PartitionOf("foobar", 12).value(), 6);  // 1357151166 % 12
  EXPECT_EQ(PartitionOf("a-little-bit-long-string", 12).value(), 8);
  EXPECT_EQ(PartitionOf("a-little-bit-longer-string", 12).value(), 11);
  EXPECT_EQ(PartitionOf("abc", 12).value(), 3);  // 479470107 % 12
}

TEST(PartitionOfTest, IsDeterministicAndInRange) {
  for (int i = 0; i < 1000; ++i) {
    const std::string key = absl::StrCat("C", i);
    const PartitionId p = PartitionOf(key, 16);
    EXPECT_GE(p.value(), 0);
    EXPECT_LT(p.value(), 16);
    EXPECT_EQ(PartitionOf(key, 16), p);
  }
}

TEST(PartitionOfTest, OnePartitionIsZero) {
  EXPECT_EQ(PartitionOf("anything", 1).value(), 0);
  EXPECT_EQ(PartitionOf("", 1).value(), 0);
}

// Keys with bytes above 0x7f are hashed as unsigned bytes, as Java's
// (byte & 0xff) does; all tail lengths 0 to 3 stay in range.
TEST(PartitionOfTest, HighBytesAndTailsStayInRange) {
  for (const std::string& key :
       {std::string("\xff"), std::string("\xff\xfe"),
        std::string("\xff\xfe\xfd"), std::string("\xff\xfe\xfd\xfc"),
        std::string("Soci\xc3\xa9t\xc3\xa9")}) {
    const PartitionId p = PartitionOf(key, 7);
    EXPECT_GE(p.value(), 0);
    EXPECT_LT(p.value(), 7);
  }
}

}  // namespace
}  // namespace billing
