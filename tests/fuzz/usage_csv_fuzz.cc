// The CSV reader of `billingctl usage import` (services/usage_csv.h:
// ParseUsageCsvHeader, ParseUsageCsvRow; the CLI sends a row's record as
// protobuf bytes, or the raw line with the reason it is not a record), and
// what billingd does with those bytes (UsageIngestor::Decode).
//
// Contract:
// - the header and each row either parse or answer InvalidArgument with a
//   bounded UTF-8 message (it names the column or field, and travels as the
//   row's quarantine reason);
// - a row's record serializes and parses back equal (every string valid
//   UTF-8), and its protobuf bytes decode on the server to the same record.
//
// ReadFile below follows the import loop of services/ctl_usage.cc (lines,
// '\r' dropped, blank lines skipped, the first other line is the header).

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "billing/v1/usage.pb.h"
#include "engine/core/state.h"
#include "fuzz_support.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/usage_csv.h"
#include "services/usage_ingest.h"

namespace billing::fuzz {
namespace {

using google::protobuf::util::MessageDifferencer;

void CheckRow(const UsageCsvHeader& header, absl::string_view line) {
  auto record = ParseUsageCsvRow(header, line);
  if (!record.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(record.status()),
               record.status().ToString());
    CheckErrorMessage(record.status(), "ParseUsageCsvRow");
    return;
  }
  const std::string wire = SerializeDeterministic(*record);
  v1::UsageRecord back;
  FUZZ_CHECK(back.ParseFromString(wire),
             "a CSV row's record does not parse back (a string that is not "
             "UTF-8 would poison the journal)");
  FUZZ_CHECK(MessageDifferencer::Equals(back, *record),
             "a CSV row's record parses back different");
  auto decoded = UsageIngestor::Decode(record->SerializeAsString());
  FUZZ_CHECK(decoded.ok(), absl::StrCat("a CSV row's bytes do not decode on "
                                        "the server: ",
                                        decoded.status().ToString()));
  FUZZ_CHECK(MessageDifferencer::Equals(*decoded, *record),
             "a CSV row's bytes decode to another record on the server");
}

void ReadFile(absl::string_view text) {
  bool have_header = false;
  UsageCsvHeader header;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    std::string line(raw);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (!have_header) {
      auto parsed = ParseUsageCsvHeader(line);
      if (!parsed.ok()) {
        FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()),
                   parsed.status().ToString());
        CheckErrorMessage(parsed.status(), "ParseUsageCsvHeader");
        return;  // the import stops before sending anything
      }
      header = std::move(*parsed);
      have_header = true;
      continue;
    }
    CheckRow(header, line);
  }
}

}  // namespace
}  // namespace billing::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  billing::fuzz::ReadFile(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
