#pragma once

// What a domain tells the engine about itself, once: the command cases it
// decides, the event cases it applies, and the functions that do it
// (Redpanda lists every Kafka handler once in handlers.h). engine/engine.cc
// keeps the one list of domains; its dispatch (partition key, decide, type
// check, apply, answer) walks that list and knows no domain by name. Adding a
// domain is its own folder plus one line in that list.

#include <array>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/position.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"

namespace billing {

// Turns a plan's IANA time zone name into a zone (engine/usage/usage.h
// says when rating asks it).
using TimeZoneResolver =
    std::function<absl::StatusOr<absl::TimeZone>(absl::string_view name)>;

class UsageDecideMemo;  // engine/usage/usage.h

// What a decide may consult besides the state. Borrowed for one call.
struct DecideContext {
  BusinessDate business_date;
  const TimeZoneResolver& zones;
  // Kept by a caller that decides one partition's commands in order (a
  // command lane), or null: what usage decisions read once and reuse.
  UsageDecideMemo* usage_memo = nullptr;
};

// Most command (and event) cases one domain registers. Unused slots hold 0,
// which is BODY_NOT_SET / PAYLOAD_NOT_SET and so never matches a real case.
inline constexpr size_t kDomainCasesMax = 4;

struct Domain {
  // Stable, lower case: "customer", "contracts", ...
  absl::string_view name;
  // The Command.body cases the domain decides.
  std::array<v1::Command::BodyCase, kDomainCasesMax> commands{};
  // The EventEnvelope.payload cases the domain writes and applies.
  std::array<v1::EventEnvelope::PayloadCase, kDomainCasesMax> events{};

  // The customer a command of this domain targets: its partition key.
  absl::string_view (*partition_key)(const v1::Command& command) = nullptr;
  // The events the command causes, or why not. Changes nothing.
  absl::StatusOr<std::vector<v1::EventEnvelope>> (*decide)(
      const StateReader& state, const v1::Command& command,
      const DecideContext& context) = nullptr;
  // The stable type name an event of this domain must carry ("" when its
  // payload names no known type).
  absl::string_view (*event_type)(const v1::EventEnvelope& event) = nullptr;
  // Applies one event found at `position`. An error means a corrupt event.
  absl::Status (*apply)(StateWriter& state, const v1::EventEnvelope& event,
                        const v1::LogPosition& position) = nullptr;
  // Sets the answer a command's caller gets into `idem`, after the record's
  // events were applied; called for records whose first event is this
  // domain's.
  absl::Status (*answer)(const StateReader& state, const v1::LogRecord& record,
                         v1::IdempotencyRecord& idem) = nullptr;

  constexpr bool Decides(v1::Command::BodyCase c) const {
    for (auto mine : commands) {
      if (mine != 0 && mine == c) return true;
    }
    return false;
  }
  constexpr bool Applies(v1::EventEnvelope::PayloadCase c) const {
    for (auto mine : events) {
      if (mine != 0 && mine == c) return true;
    }
    return false;
  }
};

// Moves a domain's answer into its field of the idempotency record.
template <typename Answer>
absl::Status SetDomainAnswer(absl::StatusOr<Answer> answer, Answer* field) {
  if (!answer.ok()) return answer.status();
  *field = std::move(*answer);
  return absl::OkStatus();
}

}  // namespace billing
