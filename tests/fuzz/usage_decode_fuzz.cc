// UsageIngestor::Decode (services/usage_ingest.h): the bytes of one usage
// message from Kafka, the gRPC raw stream or a file, as protobuf or JSON.
//
// Contract:
// - an error is InvalidArgument with a bounded UTF-8 message (it becomes the
//   quarantine reason, a proto3 string written to the journal);
// - a decoded record is one the journal can hold: it serializes and parses
//   back equal (every string valid UTF-8), it keeps no unknown field (the
//   JSON form refuses them), and its protobuf bytes and its JSON decode
//   again to the same record (the gRPC stream and the Kafka topic carry
//   either);
// - validation of a decoded record is OK or InvalidArgument with a bounded
//   UTF-8 message (also a quarantine reason).

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "billing/v1/usage.pb.h"
#include "engine/usage/rating.h"
#include "engine/core/state.h"
#include "fuzz_support.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/usage_ingest.h"

namespace billing::fuzz {
namespace {

using google::protobuf::util::MessageDifferencer;

void CheckDecodesAgain(absl::string_view bytes, const v1::UsageRecord& want,
                       absl::string_view form) {
  auto again = UsageIngestor::Decode(bytes);
  FUZZ_CHECK(again.ok(),
             absl::StrCat("the record's own ", form,
                          " does not decode: ", again.status().ToString()));
  FUZZ_CHECK(
      MessageDifferencer::Equals(*again, want),
      absl::StrCat("the record's own ", form,
                   " decodes to another record: ", again->ShortDebugString()));
}

void CheckRecord(const v1::UsageRecord& record) {
  // Unknown fields would reach the journal unseen, as bytes nobody checked,
  // and only on the protobuf path: the JSON path refuses an unknown field.
  FUZZ_CHECK(record.GetReflection()->GetUnknownFields(record).empty(),
             absl::StrCat(
                 "a decoded record keeps ",
                 record.GetReflection()->GetUnknownFields(record).field_count(),
                 " unknown field(s)"));
  const std::string wire = SerializeDeterministic(record);
  v1::UsageRecord back;
  FUZZ_CHECK(back.ParseFromString(wire),
             "a decoded record does not parse back (a string that is not "
             "UTF-8 would poison the journal)");
  FUZZ_CHECK(MessageDifferencer::Equals(back, record),
             "a decoded record parses back different");
  // An empty record's protobuf is no bytes, which Decode refuses by design.
  if (!wire.empty()) CheckDecodesAgain(wire, record, "protobuf");
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  FUZZ_CHECK(
      google::protobuf::util::MessageToJsonString(record, &json, options).ok(),
      "a decoded record does not print as JSON");
  CheckDecodesAgain(json, record, "JSON");

  absl::Status valid = ValidateUsageRecord(record);
  if (!valid.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(valid), valid.ToString());
    CheckErrorMessage(valid, "ValidateUsageRecord");
  }
}

}  // namespace
}  // namespace billing::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace billing;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto record = UsageIngestor::Decode(bytes);
  if (!record.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(record.status()),
               record.status().ToString());
    fuzz::CheckErrorMessage(record.status(), "UsageIngestor::Decode");
    return 0;
  }
  fuzz::CheckRecord(*record);
  return 0;
}
