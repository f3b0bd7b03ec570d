#pragma once

// billing.v1.UsageService: rate plans, ingest over a client stream, rated
// totals and records, the quarantine and its replay.
//
// The two ingest streams read their messages as raw bytes (grpc::ByteBuffer),
// not through the generated ServerReader<UsageRecord>: a sync ServerReader's
// Read returns false on a message that does not deserialize, exactly as at
// the end of the stream, so the rest of the stream would be dropped and the
// call answered OK. Reading bytes cannot fail; the ingestor decodes them and
// quarantines what is not a record, with its position in the stream. The
// method names, types on the wire and reflection are unchanged.

#include <functional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "billing/v1/usage_service.grpc.pb.h"
#include "grpcpp/support/byte_buffer.h"
#include "services/command_processor.h"
#include "services/usage_ingest.h"
#include "storage/rocks_state.h"

namespace billing {

// Limits of the ingest streams (docs/usage.md, "Ingest streams: memory and
// retries"). Each is tested at its limit in usage_ingest_test.
// The bounds of one IngestUsageBatches message (billing.v1.UsageBatch),
// under gRPC's own 4 MiB receive limit so that it is this service that
// names the field: 4096 records, 2 MiB.
inline constexpr size_t kUsageBatchMessageRecordsMax = 4096;
inline constexpr size_t kUsageBatchMessageBytesMax = size_t{2} << 20;

// The bytes of a billing.v1.UsageBatch holding `records` (each a serialized
// UsageRecord, or any bytes: hostile input for tests), as they are: a client
// that holds serialized records sends them without parsing them again.
std::string UsageBatchWire(absl::Span<const std::string> records);

struct UsageIngestLimits {
  // Records read from every ingest stream together and not yet answered, at
  // most: what bounds billingd's memory whatever the number of streams (each
  // in-flight record holds about 2 KB: its bytes, the decoded record, the
  // command and its answer). A stream that finds the budget spent first
  // ingests what it holds, then waits, holding nothing (so streams never
  // wait on each other). Default: 8192 (16 stream batches of 512).
  int64_t records_in_flight_max = 8192;
  // Longest a stream waits for that budget before it answers UNAVAILABLE
  // with what it took so far. Default: 30 s.
  absl::Duration budget_wait_max = absl::Seconds(30);
  // Attempts of one batch answered UNAVAILABLE by the lanes ("partition N
  // has 10000 commands waiting"), at most, backing off from retry_backoff
  // (doubling) between them; then the call answers UNAVAILABLE with what it
  // took so far. Resending is safe (ids and keys): a record that landed in a
  // failed attempt counts as a duplicate in the next. Default: 6 attempts,
  // 50 ms doubling (at most 1.55 s of backoff in all).
  int attempts_max = 6;
  absl::Duration retry_backoff = absl::Milliseconds(50);
  // Records a stream hands the ingestor at once (whatever the messages
  // holding them): enough for the lanes to batch, small enough to bound
  // memory and the time a lane spends on one stream. Default: 512.
  size_t stream_batch_records_max = 512;
  // How a stream batch's records go to the lanes (services/usage_ingest.h).
  UsageIngestOptions ingest;
};

class UsageServiceImpl final : public v1::UsageService::Service {
 public:
  UsageServiceImpl(CommandProcessor* commands, const RocksState* state,
                   UsageIngestLimits limits = {});

  grpc::Status DefineRatePlanVersion(
      grpc::ServerContext* context,
      const v1::DefineRatePlanVersionRequest* request,
      v1::RatePlanVersion* response) override;
  grpc::Status AssignRatePlan(grpc::ServerContext* context,
                              const v1::AssignRatePlanRequest* request,
                              v1::AssignRatePlanResponse* response) override;
  // IngestUsage, IngestRawUsage and IngestUsageBatches, on raw message
  // bytes (see the top).
  grpc::Status IngestUsageBytes(grpc::ServerContext* context,
                                grpc::ServerReader<grpc::ByteBuffer>* reader,
                                v1::IngestSummary* response);
  grpc::Status IngestRawUsageBytes(grpc::ServerContext* context,
                                   grpc::ServerReader<grpc::ByteBuffer>* reader,
                                   v1::IngestSummary* response);
  grpc::Status IngestUsageBatchesBytes(
      grpc::ServerContext* context,
      grpc::ServerReader<grpc::ByteBuffer>* reader,
      v1::IngestSummary* response);
  grpc::Status GetUsageTotals(grpc::ServerContext* context,
                              const v1::GetUsageTotalsRequest* request,
                              v1::GetUsageTotalsResponse* response) override;
  grpc::Status ListRatedUsage(grpc::ServerContext* context,
                              const v1::ListRatedUsageRequest* request,
                              v1::ListRatedUsageResponse* response) override;
  grpc::Status ListQuarantine(grpc::ServerContext* context,
                              const v1::ListQuarantineRequest* request,
                              v1::ListQuarantineResponse* response) override;
  grpc::Status ReplayQuarantine(grpc::ServerContext* context,
                                const v1::ReplayQuarantineRequest* request,
                                v1::IngestSummary* response) override;
  // One RerateUsage command (a page of at most kRerateRecordsMax records).
  grpc::Status RerateUsage(grpc::ServerContext* context,
                           const v1::RerateUsageRequest* request,
                           v1::RerateUsageResponse* response) override;

 private:
  CommandProcessor* const commands_;
  const RocksState* const state_;
  // Ingests `inputs` (retrying UNAVAILABLE within limits_), adds their
  // outcomes to `summary`, clears inputs and gives their budget back.
  absl::Status Flush(std::vector<IngestInput>& inputs,
                     UsageIngestor::Summary& summary);
  // Takes one record of the in-flight budget; false after budget_wait_max.
  bool TakeBudget(bool wait);
  void GiveBudget(int64_t records);
  // Makes the inputs of one message (its bytes and 1-based position in the
  // stream) into `out`; an error (a message over a limit) ends the call.
  using ToInputs = std::function<absl::Status(std::string, int64_t,
                                              std::vector<IngestInput>&)>;
  // Reads every message of a stream, makes each its inputs, ingests them in
  // batches of limits_.stream_batch_records_max.
  // `unit` names what an error counts ("messages", "records").
  grpc::Status IngestStream(grpc::ServerReader<grpc::ByteBuffer>* reader,
                            const ToInputs& to_inputs, absl::string_view unit,
                            v1::IngestSummary* response);

  UsageIngestor ingestor_;
  const UsageIngestLimits limits_;
  absl::Mutex budget_mu_;
  // Records of the budget not taken by a stream.
  int64_t budget_left_ ABSL_GUARDED_BY(budget_mu_);
};

}  // namespace billing
