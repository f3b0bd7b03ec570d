#pragma once

// The edge of usage ingest: whatever carries records in (the Kafka usage
// topic, the gRPC stream, a file) hands them here. A record is validated,
// routed to its customer (phone numbers through the directory the structure
// events keep; accounts by the record's customer_id), and recorded through
// the command processor, a customer's records of a call together in one
// RecordUsageBatch (docs/architecture.md, "Usage batches"): billed once by
// (platform_id, record_id), forever, however often it is sent. What cannot reach a customer is quarantined in the "@quarantine"
// partition with its source and reason; nothing is dropped.
//
// Every outcome is durable when IngestBatch returns: a caller may then
// commit its own input position (a Kafka offset) and never lose a record.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "billing/v1/usage.pb.h"
#include "engine/usage/usage.h"
#include "services/command_processor.h"
#include "storage/rocks_state.h"

namespace billing {

struct IngestInput {
  // The message as received (kept in quarantine when it does not decode).
  std::string raw;
  // Where it came from: "kafka:<topic>/<partition>/<offset>",
  // "grpc:<platform>/<record>", "grpc:stream message <n>",
  // "file:<name>:<line>". Outside text: kept bounded (services/outside_text.h).
  std::string source;
  // Set when the input is known not to be a record (a CSV row with an empty
  // required cell, as its sender said; a stream message that is not the
  // stream's type): why. The input is then quarantined with this reason
  // without being decoded. Outside text: kept bounded.
  std::string undecodable_reason;
};

struct IngestOutcome {
  enum class Kind {
    kRated,        // recorded on its customer
    kDuplicate,    // that platform record was billed before: counted only
    kQuarantined,  // kept aside with `reason` (at the edge or the customer)
  };
  Kind kind = Kind::kQuarantined;
  std::string customer_id;  // empty when quarantined at the edge
  std::string reason;       // kQuarantined: why
};

struct UsageIngestOptions {
  // A customer's records of one IngestBatch go to its lane as
  // RecordUsageBatch commands (one journal record each) of at most this
  // many records and bytes of input: what bounds a journal record (Kafka's
  // 16 MiB record_bytes_max, with the rating about twice the input).
  // Default: 1000 records, 1 MiB.
  size_t records_per_command_max = 1000;
  size_t command_bytes_max = size_t{1} << 20;
};

class UsageIngestor {
 public:
  UsageIngestor(CommandProcessor* commands, const RocksState* state,
                UsageIngestOptions options = {})
      : commands_(commands), state_(state), options_(options) {}

  // Decodes each input (a protobuf UsageRecord, or one JSON object with the
  // proto's field names), routes and records it; all inputs are submitted
  // together so the lanes batch them. One outcome per input, in order.
  // Errors (of the whole call): Unavailable when some outcome is unknown;
  // retry the same inputs (ids and keys make that safe). DataLoss/Internal
  // when the projector stopped.
  absl::StatusOr<std::vector<IngestOutcome>> IngestBatch(
      absl::Span<const IngestInput> inputs);

  struct Summary {
    int64_t received = 0;
    int64_t rated = 0;
    int64_t duplicates = 0;
    int64_t quarantined = 0;
    void Add(const IngestOutcome& o);
  };

  // Sends quarantined inputs through routing again: with `customer_id`
  // empty, the "@quarantine" partition's inputs (those that now reach a
  // customer leave it); otherwise that customer's unrated records (rated now
  // if a plan covers them). Each record is still billed at most once.
  absl::StatusOr<Summary> ReplayQuarantine(absl::string_view customer_id);

  // Decodes one message. InvalidArgument naming what is wrong when the bytes
  // are neither a UsageRecord nor a JSON object of one, or when a string
  // field is not UTF-8 ("record.record_id: not valid UTF-8"): a decoded
  // record always serializes and parses back. The message is valid UTF-8 of
  // bounded length (it becomes a quarantine reason).
  static absl::StatusOr<v1::UsageRecord> Decode(absl::string_view bytes);

 private:
  CommandProcessor* const commands_;
  const RocksState* const state_;
  const UsageIngestOptions options_;
};

}  // namespace billing
