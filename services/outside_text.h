#pragma once

// Text built from outside bytes (a platform's record, a file's line, a
// client's message). Every text of the usage ingest edge that goes into a
// proto3 `string` (a quarantine reason, a source) or an error message comes
// from bytes nobody checked; it goes through these functions, so that the
// journal only ever holds valid UTF-8 (protobuf refuses to parse a `string`
// that is not, and a record that does not parse stops its partition) and a
// message never echoes a whole input. Raw bytes belong in `bytes` fields.
//
// Outside values quoted in a message go through QuoteValue, validity is
// IsValidUtf8 (engine/core/validation.h); this file adds what the ingest edge
// needs on top. No gRPC: the CSV reader, billingctl and the fuzz targets link
// it as the server does (target billing_usage_edge).

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace billing {

// Bytes of a text made of outside text (a source, a reason) at most; longer
// ones are cut (ending "..."). Default: 512.
inline constexpr size_t kOutsideTextBytesMax = 512;

// `s` with each byte that does not start a valid UTF-8 sequence replaced by
// `with` (valid sequences are kept).
std::string ReplaceNonUtf8(absl::string_view s, absl::string_view with);

// `text` as a proto3 string may hold it: unchanged when it is valid UTF-8 of
// at most `bytes_max` bytes; cut at a character boundary and ended with "..."
// when longer; escaped (absl::CHexEscape, then cut) when it is not UTF-8. For
// texts that already quote their values (a validation message) or come from a
// library that may echo its input (protobuf's JSON parser).
std::string BoundedText(absl::string_view text,
                        size_t bytes_max = kOutsideTextBytesMax);

// The path of the first `string` field of `message` (nested messages and map
// values included) that is not UTF-8, or that contains `also_bad` when it is
// not empty: "record.record_id", "record.attributes[\"trunk\"]" (the key
// escaped and cut short). nullopt when every string is text.
std::optional<std::string> FirstBadStringField(
    const google::protobuf::Message& message, absl::string_view path,
    absl::string_view also_bad = "");

// The same for protobuf wire bytes of a message of type `type` that the
// message's own parser refused: the path of the first length-delimited field
// declared `string` whose bytes are not UTF-8. nullopt when there is none or
// the bytes are not wire format at all.
std::optional<std::string> FirstBadStringFieldInWire(
    const google::protobuf::Descriptor& type, absl::string_view wire,
    absl::string_view path);

}  // namespace billing
