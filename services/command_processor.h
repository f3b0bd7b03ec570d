#pragma once

// The write path. A command is routed to its customer's partition lane; each
// lane (one thread per owned partition: one writer per partition, as
// ARCHITECTURE.md asks) takes the commands queued so far as a batch, checks
// idempotency keys, decides each against the state plus the effects of the
// commands before it in the batch, appends the batch's records to the journal
// in one append (one fdatasync, or one Kafka produce round), and answers
// each caller from the projected state once the projector has applied them.
// While a batch projects, the lane decides and appends the next ones against
// the state plus the batches in flight (CommandProcessorOptions::
// batches_in_flight_max).
//
// A command is acknowledged only once its record is durable in the journal
// and applied. An append whose outcome is unknown answers UNAVAILABLE: the
// caller retries with the same key, and the projector keeps only the first
// record of a key (engine ApplyRecord, kDuplicate).

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/core/state.h"
#include "engine/usage/usage.h"
#include "services/clock.h"
#include "services/projector.h"
#include "storage/journal.h"
#include "storage/rocks_state.h"

namespace billing {

struct CommandProcessorOptions {
  // Commands decided and appended together at most. Default: 256.
  size_t batch_commands_max = 256;
  // Batches a lane has appended and not yet seen projected at most. The
  // next batch is decided against the state plus the effects of those in
  // flight (a LayeredState), so a lane does not wait for the projection
  // between appends; each command is still answered only once its record is
  // projected. 1 waits for each batch's projection before deciding the next.
  // Default: 4.
  size_t batches_in_flight_max = 4;
  // Commands waiting per partition at most; beyond, UNAVAILABLE. Default:
  // 10000.
  size_t queue_commands_max = 10000;
  // How long a command waits for its record to be projected before it is
  // answered UNAVAILABLE (it may still apply; a retry with its key is safe).
  // Default: 30 s.
  absl::Duration projection_wait = absl::Seconds(30);
  // Hands the effects of usage batches to the projector, which then need
  // not apply them again (OfferEffects). false: the projector applies every
  // record (the benchmark's baseline). Default: true.
  bool offer_effects = true;
  // Names this writer in its ownership markers (host:pid).
  std::string owner = "billingd";
};

struct CommandRequest {
  // Required; scoped to the command's customer; remembered forever.
  std::string idempotency_key;
  // "YYYY-MM-DD" or empty for the clock's date.
  std::string business_date;
  v1::Command command;
};

class CommandProcessor {
 public:
  // Catches the projection up on every owned partition, claims each with a
  // new ownership epoch, and starts the lanes. A partition the projector has
  // stopped (a corrupt record, a state ahead of its journal) is not claimed:
  // its commands answer DataLoss naming it, and nothing is appended to it.
  static absl::StatusOr<std::unique_ptr<CommandProcessor>> Start(
      Journal* journal, RocksState* state, Projector* projector,
      const BusinessClock* clock, std::vector<PartitionId> partitions,
      CommandProcessorOptions options = {});
  ~CommandProcessor();

  // Decides, appends and applies one command; blocks until answered.
  // Thread-safe. Returns the first answer for a known key, with
  // `replayed` set (a retry, or the same key twice in one lane batch: a
  // duplicate that reached the lane before its first copy was projected).
  // Errors: InvalidArgument (a field, named), NotFound, AlreadyExists,
  // Aborted (expected version), FailedPrecondition (key reused with another
  // request), Unavailable (retry with the same key), DataLoss (the
  // command's partition is stopped on a corrupt log: nothing appended),
  // Internal (the engine built a record that would not decode: not
  // appended).
  absl::StatusOr<v1::IdempotencyRecord> Execute(CommandRequest request);

  // Submits every request before waiting for any, so that the lanes decide
  // and append them in groups; one result per request, in order. Thread-safe.
  std::vector<absl::StatusOr<v1::IdempotencyRecord>> ExecuteBatch(
      std::vector<CommandRequest> requests);

  void Stop();

 private:
  struct Pending;
  struct InFlight;
  struct Lane;
  CommandProcessor(Journal* journal, RocksState* state, Projector* projector,
                   const BusinessClock* clock, CommandProcessorOptions options);
  absl::Status Claim(Lane& lane);
  // Validates and routes one request and queues `pending` on its lane.
  absl::Status Submit(CommandRequest request, Pending* pending);
  void RunLane(Lane* lane);
  // DataLoss naming the partition and why, when its projection stopped; OK
  // otherwise.
  absl::Status StoppedError(const Lane& lane) const;
  void ProcessBatch(Lane& lane, std::vector<Pending*>& batch);
  // The partition's next offset when this lane may still write to it: not
  // stopped, and still owned by the lane's epoch.
  absl::StatusOr<int64_t> NextOffsetToWrite(const Lane& lane) const;
  // A decided record: its bytes to append and how applying it went.
  struct Decided {
    std::string bytes;
    ApplyOutcome outcome;
  };
  // Decides `p` against `overlay` and applies it there at `provisional`: the
  // record to append, nullopt when the same key came earlier in the batch,
  // or the error to answer. Keeps the lane's UsageDecideMemo.
  absl::StatusOr<std::optional<Decided>> DecideInBatch(
      Lane& lane, OverlayState& overlay, Offset provisional,
      const Pending& p) const;
  // Hands the effects of a batch appended at `first` to the projector when
  // the lane's view of its partition was exactly the journal's
  // (docs/architecture.md, "Effects handed to the projection").
  void OfferEffects(const Lane& lane, const InFlight& flight, Offset first,
                    std::vector<JournalEntry> entries) const;
  // Answers the oldest batch in flight once it is projected (waiting for
  // it when `wait`; else only when it already is) and drops its effects
  // from the lane's view. Whether it was answered.
  bool RetireOldest(Lane& lane, bool wait);
  // Answers each of `answer` from the projected state (its idempotency
  // record).
  void AnswerFromState(const std::vector<Pending*>& answer) const;

  // Time zones of rate plans, loaded from the system's tzdata on first use.
  TimeZoneResolver zones_;
  Journal* const journal_;
  RocksState* const state_;
  Projector* const projector_;
  const BusinessClock* const clock_;
  const CommandProcessorOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // index: partition number
};

}  // namespace billing
