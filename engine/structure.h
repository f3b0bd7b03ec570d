#pragma once

// The structure domain's entry points, called by engine.cc's dispatch.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/dates.h"
#include "engine/state.h"

namespace billing {

// Decides a structure command. Changes nothing.
absl::StatusOr<std::vector<v1::EventEnvelope>> DecideStructure(
    const StateReader& state, const v1::StructureCommand& command,
    BusinessDate business_date);

// The stable type name of an event ("structure...."); empty when unset.
absl::string_view StructureEventType(const v1::StructureEvent& event);

// Applies one event found at `position`. DataLoss when it contradicts the
// state.
absl::Status ApplyStructureEvent(StateWriter& state, const v1::EventEnvelope& event,
                            const v1::LogPosition& position);

// The answer remembered with the command's idempotency key, computed from the
// state right after the record applied.
absl::StatusOr<v1::StructureAnswer> StructureAnswerFor(const StateReader& state,
                                              const v1::LogRecord& record);

}  // namespace billing
