#pragma once

// A harness for domain tests: given commands (decided and applied through
// ApplyRecord at consecutive offsets of partition 0, as the projector would),
// when a command is decided, then its events or its rejection, and the state
// must be unchanged after a rejection.
//
//   Ledger ledger;
//   ledger.Given(CreateCustomerCommand("C1"), Day(2026, 1, 5));
//   auto events = ledger.When(command, Day(2026, 3, 20));
//   ledger.Apply(*events)  // or ExpectUnchangedAfter(...)

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "billing/v1/commands.pb.h"
#include "engine/engine.h"
#include "engine/core/state.h"
#include "gtest/gtest.h"

namespace billing::testing {

class Ledger {
 public:
  // Decides `command` on `date` and applies its events; fails the test if it
  // is rejected. Returns the offset of the record.
  int64_t Given(const v1::Command& command, BusinessDate date) {
    auto events = Decide(state_, command, date);
    EXPECT_TRUE(events.ok()) << events.status() << "\n"
                             << command.DebugString();
    if (!events.ok()) return -1;
    return Apply(command, date, std::move(*events));
  }

  // Decides only: nothing changes.
  absl::StatusOr<std::vector<v1::EventEnvelope>> When(
      const v1::Command& command, BusinessDate date) const {
    return Decide(state_, command, date);
  }

  // Decides; expects a rejection with `code` whose message contains
  // `message_part`, and checks that the state did not change.
  void ExpectRejected(const v1::Command& command, BusinessDate date,
                      absl::StatusCode code, absl::string_view message_part) {
    const auto before = state_.data();
    auto events = Decide(state_, command, date);
    ASSERT_FALSE(events.ok()) << "accepted: " << command.DebugString();
    EXPECT_EQ(events.status().code(), code) << events.status();
    EXPECT_NE(events.status().message().find(std::string(message_part)),
              std::string::npos)
        << events.status();
    EXPECT_EQ(state_.data(), before);
  }

  // Given, under the idempotency key `key` (the state remembers it, as
  // for a command sent with it).
  int64_t GivenWithKey(const v1::Command& command, BusinessDate date,
                       const std::string& key) {
    auto events = Decide(state_, command, date);
    EXPECT_TRUE(events.ok()) << events.status() << "\n"
                             << command.DebugString();
    if (!events.ok()) return -1;
    return Apply(command, date, std::move(*events), key);
  }

  // Applies decided events as one record (under `key`; empty: a key of its
  // own). Returns its offset.
  int64_t Apply(const v1::Command& command, BusinessDate date,
                std::vector<v1::EventEnvelope> events,
                const std::string& given_key = "") {
    auto customer = CommandCustomerId(command);
    const std::string key = given_key.empty()
                                ? absl::StrCat("test-key-", next_offset_)
                                : given_key;
    v1::LogRecord record = MakeCommandRecord(
        customer.ok() ? *customer : "", key, RequestFingerprint(command, ""),
        Epoch(0), date, std::move(events));
    const int64_t offset = next_offset_++;
    auto outcome = ApplyRecord(state_, PartitionId(0), Offset(offset), record);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return offset;
  }

  const MemoryState& state() const { return state_; }
  // For a test that must write what no command can make yet (a validated
  // preparation before invoices exist).
  MemoryState& mutable_state() { return state_; }
  // The offset the next record will get.
  int64_t next_offset() const { return next_offset_; }

 private:
  MemoryState state_;
  int64_t next_offset_ = 0;
};

inline v1::Command CreateCustomerCommand(const std::string& id,
                                         const std::string& name = "Acme") {
  v1::Command command;
  auto* c = command.mutable_create_customer()->mutable_customer();
  c->set_customer_id(id);
  c->set_name(name);
  return command;
}

}  // namespace billing::testing
