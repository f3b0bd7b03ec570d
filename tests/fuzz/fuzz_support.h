#pragma once

// What the fuzz targets share: the checks of a decoder's contract (a broken
// one aborts, which libFuzzer reports as a crash with the input saved), and
// a small valid state to apply records and commands on.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"
#include "engine/core/types.h"
#include "engine/usage/usage.h"

namespace billing::fuzz {

// Longest error message a decoder may answer: messages quote outside values
// cut short, never the whole input.
inline constexpr size_t kMessageBytesMax = 1024;

// Prints `what` and aborts: the contract is broken.
[[noreturn]] void Fail(absl::string_view what);

// FUZZ_CHECK(condition, message): Fail with the condition, file and line.
#define FUZZ_CHECK(condition, message)                                        \
  do {                                                                        \
    if (!(condition)) {                                                       \
      ::billing::fuzz::Fail(std::string(__FILE__ ":") +                       \
                            std::to_string(__LINE__) + ": " #condition ": " + \
                            std::string(message));                            \
    }                                                                         \
  } while (0)

// Well-formed UTF-8 (RFC 3629: no overlong form, no surrogate, at most
// U+10FFFF), the rule protobuf's parser applies to proto3 `string` fields.
bool IsValidUtf8(absl::string_view text);

// Fails unless an error's message is valid UTF-8, not empty, and at most
// kMessageBytesMax bytes. `where` names the decoder in the report.
void CheckErrorMessage(const absl::Status& status, absl::string_view where);

// The time zones rating may use here: "" and UTC, and a few IANA zones
// loaded once (Europe/Paris, America/New_York, Asia/Kolkata,
// Australia/Lord_Howe); another name is FailedPrecondition, as billingd
// answers a zone it does not know.
TimeZoneResolver FuzzTimeZones();

// A command in protobuf text format; fails when it does not parse.
v1::Command ParseCommand(absl::string_view text);

// The state the engine targets start from, applied at consecutive offsets of
// kPartition as the projector would: customer C1, entity A, account ACC1
// with its phone number N1 (+33142680000), rate plan PRO (voice, SMS and
// data to every destination, in EUR, zone Europe/Paris) assigned to ACC1;
// article MAINT (partition "@reference") and C1's contract K1.
inline constexpr PartitionId kPartition(3);
inline constexpr BusinessDate kSeedDate(2026, 1, 5);
struct SeededState {
  MemoryState state;
  int64_t next_offset = 0;  // where the next record of kPartition goes
};
const SeededState& Seeded();

// Fails unless every value of `state` parses back as what its key family
// holds (engine/core/keys.h, engine/usage/usage.cc): a message whose every string is
// valid UTF-8, or a text value (an id, "r"/"q") that is valid UTF-8.
void CheckStateParses(const MemoryState& state);

// The state with `overlay`'s writes merged (what a projector commits).
MemoryState Merged(const MemoryState& base, const OverlayState& overlay);

}  // namespace billing::fuzz
