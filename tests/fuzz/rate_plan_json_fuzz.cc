// The rate plan JSON of `billingctl plan define --file` (services/
// ctl_usage.cc parses it with google::protobuf::util::JsonStringToMessage
// into a RatePlanVersion), then what billingd does with that version: the
// define command decided on a valid state, its record applied, the plan
// assigned and a few records rated with it.
//
// Contract:
// - the JSON either parses or the CLI stops (no assertion on protobuf's own
//   message: it is printed to the terminal, not stored);
// - what the CLI sends and billingd parses back is decided: a refusal has a
//   code a caller can act on (InvalidArgument, FailedPrecondition, NotFound,
//   AlreadyExists, OutOfRange) and a bounded UTF-8 message; never Internal
//   or DataLoss;
// - an accepted version's record serializes, parses back and applies, and
//   the state then parses; each record rated with it (a call, an SMS of the
//   largest quantity, data, a zero-length call) is decided and applied in
//   the same way (rated, quarantined with a reason, or refused): a decided
//   record always applies.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/usage.pb.h"
#include "engine/engine.h"
#include "fuzz_support.h"
#include "google/protobuf/util/json_util.h"

namespace billing::fuzz {
namespace {

// Decides `command` on `state` and, when accepted, applies its record at the
// next offset; false when refused. Fails on a broken contract.
bool DecideAndApply(MemoryState& state, int64_t& offset,
                    const v1::Command& command, absl::string_view what) {
  auto events =
      Decide(state, command, BusinessDate(2026, 4, 2), FuzzTimeZones());
  if (!events.ok()) {
    const absl::Status& s = events.status();
    FUZZ_CHECK(
        !absl::IsInternal(s) && !absl::IsDataLoss(s) && !absl::IsUnknown(s),
        absl::StrCat(what, ": ", s.ToString()));
    CheckErrorMessage(s, what);
    return false;
  }
  v1::LogRecord record = MakeCommandRecord(
      *CommandCustomerId(command), absl::StrCat("fuzz-", offset),
      RequestFingerprint(command, ""), Epoch(0), BusinessDate(2026, 4, 2),
      std::move(*events));
  v1::LogRecord back;
  FUZZ_CHECK(back.ParseFromString(SerializeDeterministic(record)),
             absl::StrCat(what, ": the decided record does not parse back"));
  OverlayState overlay(&state);
  auto applied = ApplyRecord(overlay, kPartition, Offset(offset), back);
  FUZZ_CHECK(applied.ok(), absl::StrCat(what,
                                        ": decided record does not "
                                        "apply: ",
                                        applied.status().ToString()));
  state = Merged(state, overlay);
  ++offset;
  CheckStateParses(state);
  return true;
}

v1::Command Usage() {
  v1::Command c;
  c.mutable_usage()->set_customer_id("C1");
  return c;
}

v1::Command Record(const std::string& id, v1::UsageKind kind, int64_t quantity,
                   const std::string& start, const std::string& destination) {
  v1::Command c = Usage();
  auto* r = c.mutable_usage()->mutable_record_usage()->mutable_record();
  r->set_platform_id("PBX1");
  r->set_record_id(id);
  r->set_object("+33142680000");
  r->set_start_time(start);
  r->set_kind(kind);
  r->set_quantity(quantity);
  r->set_destination(destination);
  return c;
}

void Run(const v1::RatePlanVersion& sent) {
  // What billingd receives: the message through the wire. A string that is
  // not UTF-8 fails there (the server's gRPC layer answers it).
  v1::RatePlanVersion version;
  if (!version.ParseFromString(sent.SerializeAsString())) return;
  MemoryState state = Seeded().state;
  int64_t offset = Seeded().next_offset;
  v1::Command define = Usage();
  *define.mutable_usage()->mutable_define_plan_version()->mutable_version() =
      version;
  if (!DecideAndApply(state, offset, define, "define plan")) return;
  v1::Command assign = Usage();
  assign.mutable_usage()->mutable_assign_plan()->set_object_id("N1");
  assign.mutable_usage()->mutable_assign_plan()->set_plan_id(version.plan_id());
  if (!DecideAndApply(state, offset, assign, "assign plan")) return;
  const std::vector<v1::Command> records = {
      Record("r1", v1::USAGE_KIND_VOICE, 61, "2026-03-20T10:00:00+01:00",
             "+33612345678"),
      Record("r2", v1::USAGE_KIND_VOICE, 7 * 24 * 3600,
             "2026-03-28T23:59:59+01:00", "+4930123456"),
      Record("r3", v1::USAGE_KIND_SMS, INT64_MAX, "2026-03-20T10:00:00Z",
             "+33612345678"),
      Record("r4", v1::USAGE_KIND_SMS, 1, "2026-03-20T10:00:00Z",
             "+33612345678"),
      Record("r5", v1::USAGE_KIND_DATA, 10 * 1048576,
             "2026-03-21T00:30:00+01:00", "zone:EU-ROAMING"),
      Record("r6", v1::USAGE_KIND_VOICE, 0, "2026-03-20T10:00:00+01:00",
             "+33612345678")};
  for (const v1::Command& r : records) {
    DecideAndApply(state, offset, r, "record usage");
  }
}

}  // namespace
}  // namespace billing::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  billing::v1::RatePlanVersion version;
  // As billingctl parses the file (default options: unknown fields refused).
  auto parsed = google::protobuf::util::JsonStringToMessage(
      std::string(reinterpret_cast<const char*>(data), size), &version);
  if (!parsed.ok()) return 0;
  billing::fuzz::Run(version);
  return 0;
}
