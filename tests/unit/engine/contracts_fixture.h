// Not formatted by clang-format: the text protos here are R"pb(...)pb"
// pieces joined by StrCat, which clang-format 14's text-proto reflow
// changes (" MAINT " for "MAINT"), whatever RawStringFormats says.
// clang-format off
#pragma once

// Domain-test fixture of the contracts tests: commands are decided and
// their records applied through ApplyRecord, as a writer and the projector
// would; the state is in memory.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/contracts.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/contracts/contracts.h"
#include "engine/contracts/due.h"
#include "engine/engine.h"
#include "engine/core/keys.h"
#include "engine/core/rejection.h"
#include "engine/core/state.h"
#include "engine/core/types.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace billing {

template <typename M>
M ParseTextOrDie(const std::string& text) {
  M message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message))
      << text;
  return message;
}

inline v1::ContractCommand Cmd(const std::string& text) {
  return ParseTextOrDie<v1::ContractCommand>(text);
}

class ContractsTest : public ::testing::Test {
 protected:
  static constexpr absl::CivilDay kDay = absl::CivilDay(2026, 1, 10);

  // Every test starts with customer C1 (EUR) and article MAINT at 20 % VAT.
  void SetUp() override {
    CreateCustomer("C1");
    Run(Cmd(R"pb(customer_id: "@reference"
                 define_article {
                   article {
                     article_code: "MAINT"
                     label: "Maintenance"
                     vat_rate_bp: 2000
                   }
                 })pb"));
  }

  void CreateCustomer(const std::string& id, const std::string& currency = "") {
    v1::Command command;
    auto* c = command.mutable_create_customer()->mutable_customer();
    c->set_customer_id(id);
    c->set_name(absl::StrCat("Customer ", id));
    c->set_currency(currency);
    auto events = Decide(state_, command, kDay);
    ASSERT_TRUE(events.ok()) << events.status();
    Append(id, std::move(*events), kDay);
  }

  absl::StatusOr<std::vector<v1::EventEnvelope>> When(
      const v1::ContractCommand& command, absl::CivilDay day = kDay) {
    return DecideContract(state_, command, day);
  }

  // Decides and applies; fails the test when the command is rejected.
  // Returns the answer remembered with its idempotency key.
  v1::ContractAnswer Run(const v1::ContractCommand& command,
                         absl::CivilDay day = kDay) {
    auto events = When(command, day);
    EXPECT_TRUE(events.ok()) << events.status() << "\n"
                             << command.DebugString();
    if (!events.ok()) return v1::ContractAnswer();
    const std::string key = Append(command.customer_id(), *events, day);
    auto idem = GetMessage<v1::IdempotencyRecord>(
        state_, IdempotencyStateKey(command.customer_id(), key));
    EXPECT_TRUE(idem.ok() && idem->has_value());
    return idem.ok() && idem->has_value() ? (*idem)->contract()
                                          : v1::ContractAnswer();
  }

  // Given events that today's commands refuse, as an older version (before
  // the limits of engine/contracts/limits.h) decided them: decides a valid
  // `command`, lets `edit` change the events, and applies them.
  void RunAsRecordedBefore(
      const v1::ContractCommand& command,
      const std::function<void(std::vector<v1::EventEnvelope>&)>& edit,
      absl::CivilDay day = kDay) {
    auto events = When(command, day);
    ASSERT_TRUE(events.ok()) << events.status() << "\n"
                             << command.DebugString();
    edit(*events);
    Append(command.customer_id(), std::move(*events), day);
  }

  // Then: this rejection, its detail word for word and named (the message
  // ends in " [NAME]", engine/contracts/rejections.h; `name` when given),
  // and nothing changed.
  void ExpectRejected(const v1::ContractCommand& command,
                      absl::StatusCode code, absl::string_view message,
                      absl::CivilDay day = kDay, absl::string_view name = "") {
    const auto before = state_.data();
    auto got = When(command, day);
    ASSERT_FALSE(got.ok()) << "decided " << got->size() << " events:\n"
                           << (got->empty() ? "" : (*got)[0].DebugString());
    EXPECT_EQ(got.status().code(), code) << got.status();
    EXPECT_EQ(RejectionDetail(got.status().message()), message);
    EXPECT_FALSE(RejectionName(got.status().message()).empty())
        << "an unnamed refusal: " << got.status();
    if (!name.empty()) {
      EXPECT_EQ(RejectionName(got.status().message()), name);
    }
    EXPECT_EQ(state_.data(), before);
  }

  v1::DueReport Due(absl::CivilDay as_of, const std::string& contract = "",
                    const std::string& rule = "") {
    auto report = ComputeDue(state_, "C1", DueSelection{contract, rule}, as_of);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : v1::DueReport();
  }

  v1::BillingRule Rule(const std::string& contract, const std::string& rule) {
    auto r = LoadRule(state_, "C1", contract, rule);
    EXPECT_TRUE(r.ok() && r->has_value()) << contract << "/" << rule;
    return r.ok() && r->has_value() ? **r : v1::BillingRule();
  }

  // A contract K1 of C1 from `start` (open-ended).
  void CreateContract(const std::string& start = "2026-01-01",
                      const std::string& ref = "K1") {
    Run(Cmd(absl::StrCat(R"pb(customer_id: "C1"
                              create_contract {
                                contract {
                                  contract_ref: ")pb",
                         ref, R"pb(" contract_family: "MAINT"
                                  billing_family: "SERV"
                                  start_date: ")pb",
                         start, R"pb(" }
                              })pb")));
  }

  MemoryState state_;
  int64_t next_offset_ = 0;
  // Every record applied, in log order (offset = index).
  std::vector<v1::LogRecord> records_;

 private:
  std::string Append(const std::string& customer_id,
                     std::vector<v1::EventEnvelope> events,
                     absl::CivilDay day) {
    const std::string key = absl::StrCat("k", next_offset_);
    v1::LogRecord record =
        MakeCommandRecord(customer_id, key, next_offset_, Epoch(0), day,
                          std::move(events));
    records_.push_back(record);
    auto outcome =
        ApplyRecord(state_, PartitionId(0), Offset(next_offset_), record);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_TRUE(outcome.ok() && *outcome == ApplyOutcome::kApplied);
    ++next_offset_;
    return key;
  }
};

}  // namespace billing
