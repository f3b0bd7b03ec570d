#pragma once

// Precedence tests of named rejections: start from a command that breaks
// several rules, fix them one at a time, and check that each answer is the
// next rule still broken, in its command's kOrder.
//
//   ExpectPrecedence(ledger, broken, create_customer::kOrder, date,
//                    {{"CUSTOMER_ID_INVALID", [](v1::Command& c) {...}},
//                     ...});

#include <functional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "billing/v1/commands.pb.h"
#include "engine/core/rejection.h"
#include "gtest/gtest.h"
#include "tests/unit/engine/ledger.h"

namespace billing::testing {

struct PrecedenceStep {
  std::string name;                       // the rejection expected now
  std::function<void(v1::Command&)> fix;  // what makes it go away
};

// `first`, then `rest`.
inline std::vector<PrecedenceStep> Then(std::vector<PrecedenceStep> first,
                                        std::vector<PrecedenceStep> rest) {
  for (auto& s : rest) first.push_back(std::move(s));
  return first;
}

// The two steps a command naming a malformed customer id starts with: it
// becomes "C9" (unknown), then "C1"; `set` sets the command's customer id.
inline std::vector<PrecedenceStep> CustomerSteps(void (*set)(v1::Command&,
                                                             const char*)) {
  return {{"CUSTOMER_ID_INVALID", [set](v1::Command& c) { set(c, "C9"); }},
          {"CUSTOMER_NOT_FOUND", [set](v1::Command& c) { set(c, "C1"); }}};
}

// Each step's rejection must carry its name and code from `order`, rank
// after the previous step's; once every step is fixed the command is
// accepted when `accepted_at_end`.
inline void ExpectPrecedence(const Ledger& ledger, v1::Command command,
                             absl::Span<const Rejection> order,
                             BusinessDate date,
                             const std::vector<PrecedenceStep>& steps,
                             bool accepted_at_end = true) {
  int previous_rank = -1;
  for (const PrecedenceStep& step : steps) {
    SCOPED_TRACE(step.name);
    auto events = ledger.When(command, date);
    ASSERT_FALSE(events.ok()) << "accepted: " << command.DebugString();
    const absl::string_view name = RejectionName(events.status().message());
    EXPECT_EQ(name, step.name) << events.status();
    const int rank = RejectionRank(order, name);
    ASSERT_GE(rank, 0) << name << " is not in the command's kOrder";
    EXPECT_GT(rank, previous_rank) << "out of precedence order";
    EXPECT_EQ(events.status().code(), order[rank].code) << events.status();
    previous_rank = rank;
    step.fix(command);
  }
  if (accepted_at_end) {
    auto events = ledger.When(command, date);
    EXPECT_TRUE(events.ok()) << events.status() << "\n"
                             << command.DebugString();
  }
}

}  // namespace billing::testing
