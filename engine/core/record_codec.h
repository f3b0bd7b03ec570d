#pragma once

// The writer's side of the log boundary: a record is appended only as bytes
// that every reader decodes back into the same record. proto3 `string`
// fields must hold valid UTF-8; protobuf serializes an invalid one anyway
// (and logs), and the parse on the reader's side then fails, so a record
// built from unchecked outside text would poison its partition. EncodeRecord
// catches that before the append (the reader's side is ProjectBatch): it
// parses its own bytes back, and names the bad field when they do not decode.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "billing/v1/events.pb.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/message.h"

namespace billing {

// The path of the first string field of `message`, in field order and
// recursing into sub-messages, repeated fields and maps, that is not valid
// UTF-8 ("events[0].usage.recorded.record.record_id"); nullopt when every
// string is valid. Validity is protobuf's own rule (the one its parser
// applies), so "valid here" means "decodes there".
std::optional<std::string> FirstInvalidUtf8Field(
    const google::protobuf::Message& message);

struct EncodedRecord {
  std::string bytes;  // what the journal stores (deterministic)
  // `bytes` parsed back: what every reader sees (on `arena`, which owns it).
  std::unique_ptr<google::protobuf::Arena> arena;
  const v1::LogRecord* decoded = nullptr;
};

// Serializes `record` deterministically and parses the bytes back.
// Internal, naming the customer and the field, when a string field is not
// valid UTF-8 or the bytes do not decode: such a record must never be
// appended (it is the engine's bug: outside text reached an event unchecked).
absl::StatusOr<EncodedRecord> EncodeRecord(const v1::LogRecord& record);

}  // namespace billing
