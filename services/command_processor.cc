#include "services/command_processor.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/store.h"
#include "engine/core/keys.h"
#include "engine/core/record_codec.h"
#include "engine/core/validation.h"
#include "engine/engine.h"
#include "engine/invoicing/invoices.h"
#include "engine/invoicing/runs.h"

namespace billing {

struct CommandProcessor::Pending {
  CommandRequest request;
  std::string customer_id;
  BusinessDate business_date;
  uint64_t fingerprint = 0;
  // Answered with the first answer of a key that came earlier in its batch.
  bool replayed = false;
  absl::StatusOr<v1::IdempotencyRecord> result;
  absl::Notification done;

  void Reply(absl::StatusOr<v1::IdempotencyRecord> r) {
    result = std::move(r);
    done.Notify();
  }
};

// A batch appended and not yet projected: its effects, as deciding it
// applied them, and the commands waiting for its projection.
struct CommandProcessor::InFlight {
  explicit InFlight(const StateReader* view)
      : effects(std::make_shared<OverlayState>(view)) {}
  // Shared with the projector when handed over (OfferEffects); not changed
  // once the batch is decided.
  std::shared_ptr<OverlayState> effects;
  std::vector<Pending*> answer;
  int64_t last_offset = -1;  // its last record's (or the batch before's)
  absl::Time deadline;       // of the wait for its projection
  // What handing its effects over needs: the partition's progress as the
  // lane read it before the batch, each record's apply outcome, and whether
  // every record applies within its customer (AppliesWithinItsCustomer).
  std::optional<std::string> progress_before;
  std::vector<ApplyOutcome> outcomes;
  bool offerable = true;
};

struct CommandProcessor::Lane {
  explicit Lane(const StateReader* state) : view(state) {}
  PartitionId partition;
  Epoch epoch;
  bool owned = false;  // this instance writes the partition
  // The lane thread's own: the batches in flight, oldest first; the state
  // as they leave it; the provisional offset after the newest.
  std::deque<std::unique_ptr<InFlight>> in_flight;
  LayeredState view;
  // What usage decisions read once for the batches after (its contract in
  // engine/usage/usage.h): forgotten per customer before any other command
  // of it, cleared whenever what was appended is not known for sure.
  UsageDecideMemo usage_memo;
  int64_t provisional_next = 0;
  // Since the batches in flight last started from the projected state: every
  // append landed at its provisional offset and no record that did not apply
  // left writes in an overlay. While true, the lane's view of its partition
  // is exactly what the journal holds, so its effects may be handed over.
  bool chain_exact = false;
  std::thread thread;
  absl::Mutex mu;
  std::deque<Pending*> queue ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
};

CommandProcessor::CommandProcessor(Journal* journal, RocksState* state,
                                   Projector* projector,
                                   const BusinessClock* clock,
                                   CommandProcessorOptions options)
    : zones_([](absl::string_view name) -> absl::StatusOr<absl::TimeZone> {
        absl::TimeZone zone;
        if (name.empty()) return absl::UTCTimeZone();
        if (!absl::LoadTimeZone(std::string(name), &zone)) {
          return absl::FailedPreconditionError(
              absl::StrFormat("\"%s\" is not a known time zone", name));
        }
        return zone;
      }),
      journal_(journal),
      state_(state),
      projector_(projector),
      clock_(clock),
      options_(std::move(options)) {}

CommandProcessor::~CommandProcessor() { Stop(); }

absl::StatusOr<std::unique_ptr<CommandProcessor>> CommandProcessor::Start(
    Journal* journal, RocksState* state, Projector* projector,
    const BusinessClock* clock, std::vector<PartitionId> partitions,
    CommandProcessorOptions options) {
  std::unique_ptr<CommandProcessor> p(
      new CommandProcessor(journal, state, projector, clock, options));
  for (int32_t i = 0; i < journal->partition_count(); ++i) {
    auto lane = std::make_unique<Lane>(state);
    lane->partition = PartitionId(i);
    p->lanes_.push_back(std::move(lane));
  }
  for (PartitionId partition : partitions) {
    Lane& lane = *p->lanes_.at(partition.value());
    if (auto s = p->Claim(lane); !s.ok()) return s;
  }
  for (auto& lane : p->lanes_) {
    if (lane->owned) {
      Lane* raw = lane.get();
      lane->thread = std::thread([q = p.get(), raw] { q->RunLane(raw); });
    }
  }
  return p;
}

absl::Status CommandProcessor::Claim(Lane& lane) {
  // A stopped partition is not claimed: nothing may be written behind a
  // record the projection could not apply. Its commands are refused.
  if (absl::Status s = projector_->PartitionStatus(lane.partition);
      absl::IsDataLoss(s)) {
    return absl::OkStatus();
  }
  const absl::Time deadline = absl::Now() + options_.projection_wait;
  auto end = journal_->EndOffset(lane.partition);
  if (!end.ok()) return end.status();
  if (end->value() > 0) {
    if (auto s = projector_->WaitApplied(lane.partition,
                                         Offset(end->value() - 1), deadline);
        !s.ok()) {
      // Stopped while catching up: refused like one stopped at start.
      return absl::IsDataLoss(s) ? absl::OkStatus() : s;
    }
  }
  auto progress = LoadPartitionProgress(*state_, lane.partition);
  if (!progress.ok()) return progress.status();
  const Epoch epoch(progress->epoch() + 1);
  auto marker = EncodeRecord(MakeOwnershipRecord(epoch, options_.owner));
  if (!marker.ok()) return marker.status();
  std::vector<JournalEntry> entries;
  entries.push_back({"", std::move(marker->bytes)});
  auto offset = journal_->Append(lane.partition, std::move(entries));
  if (!offset.ok()) return offset.status();
  if (auto s = projector_->WaitApplied(lane.partition, *offset, deadline);
      !s.ok()) {
    return s;
  }
  progress = LoadPartitionProgress(*state_, lane.partition);
  if (!progress.ok()) return progress.status();
  if (progress->epoch() != epoch.value()) {
    return absl::UnavailableError(absl::StrFormat(
        "partition %d: claimed epoch %d but another owner holds epoch %d",
        lane.partition.value(), epoch.value(), progress->epoch()));
  }
  lane.epoch = epoch;
  lane.owned = true;
  lane.usage_memo.Clear();
  return absl::OkStatus();
}

void CommandProcessor::Stop() {
  for (auto& lane : lanes_) {
    {
      absl::MutexLock lock(&lane->mu);
      lane->stopping = true;
    }
    if (lane->thread.joinable()) lane->thread.join();
    absl::MutexLock lock(&lane->mu);
    for (Pending* p : lane->queue) {
      p->Reply(absl::UnavailableError("billingd is stopping; retry"));
    }
    lane->queue.clear();
  }
}

namespace {

constexpr size_t kSeriesPartitionKeyLengthMax = 400;

// A key found applied before the command was decided: its first answer,
// marked as given again (IdempotencyRecord.replayed); errors unchanged.
absl::StatusOr<v1::IdempotencyRecord> Replayed(
    absl::StatusOr<std::optional<v1::IdempotencyRecord>> known) {
  if (!known.ok()) return known.status();
  (*known)->set_replayed(true);
  return std::move(**known);
}

absl::Status ValidatePartitionKey(absl::string_view key) {
  if (key == kReferencePartition || key == kQuarantinePartitionKey ||
      key == kRunsPartition) {
    return absl::OkStatus();
  }
  if (absl::StartsWith(key, kSeriesPartitionPrefix)) {
    if (key.size() > kSeriesPartitionPrefix.size() &&
        key.size() <= kSeriesPartitionKeyLengthMax && IsValidUtf8(key) &&
        !absl::StrContains(key, '/')) {
      return absl::OkStatus();
    }
    return FieldError("partition", "not an invoice series");
  }
  return ValidateCode("customer.customer_id", key, limits::kCodeLengthMax);
}

}  // namespace

absl::Status CommandProcessor::Submit(CommandRequest request,
                                      Pending* pending) {
  if (auto s =
          ValidateIdempotencyKey("idempotency_key", request.idempotency_key);
      !s.ok()) {
    return s;
  }
  auto customer_id = CommandCustomerId(request.command);
  if (!customer_id.ok()) return customer_id.status();
  // The partition key must be valid before routing; the engine re-checks.
  // "@reference" (company-wide reference data, engine/contracts/store.h) and
  // "@quarantine" (usage no customer could take, services/usage_ingest.h)
  // "@series:<series>" (an invoice series' one writer,
  // engine/invoicing/invoices.h) and "@runs" (billing run headers,
  // engine/invoicing/runs.h) are the partition keys that are not customer
  // codes.
  if (auto s = ValidatePartitionKey(*customer_id); !s.ok()) return s;
  pending->customer_id = *customer_id;
  if (request.business_date.empty()) {
    pending->business_date = clock_->Today();
  } else {
    auto date = ParseBusinessDate(request.business_date, "business_date");
    if (!date.ok()) return date.status();
    pending->business_date = *date;
  }
  pending->fingerprint =
      RequestFingerprint(request.command, request.business_date);
  pending->request = std::move(request);

  Lane& lane = *lanes_.at(
      PartitionOf(pending->customer_id, journal_->partition_count()).value());
  if (absl::Status stop = StoppedError(lane); !stop.ok()) return stop;
  if (!lane.owned) {
    return absl::UnavailableError(absl::StrFormat(
        "partition %d is not owned by this instance", lane.partition.value()));
  }
  absl::MutexLock lock(&lane.mu);
  if (lane.stopping) return absl::UnavailableError("billingd is stopping");
  if (lane.queue.size() >= options_.queue_commands_max) {
    return absl::UnavailableError(
        absl::StrFormat("partition %d has %d commands waiting; retry later",
                        lane.partition.value(), lane.queue.size()));
  }
  lane.queue.push_back(pending);
  return absl::OkStatus();
}

absl::StatusOr<v1::IdempotencyRecord> CommandProcessor::Execute(
    CommandRequest request) {
  Pending pending;
  if (auto s = Submit(std::move(request), &pending); !s.ok()) return s;
  pending.done.WaitForNotification();
  return std::move(pending.result);
}

std::vector<absl::StatusOr<v1::IdempotencyRecord>>
CommandProcessor::ExecuteBatch(std::vector<CommandRequest> requests) {
  std::vector<Pending> pendings(requests.size());
  std::vector<absl::StatusOr<v1::IdempotencyRecord>> results(requests.size());
  std::vector<bool> queued(requests.size(), false);
  for (size_t i = 0; i < requests.size(); ++i) {
    absl::Status s = Submit(std::move(requests[i]), &pendings[i]);
    if (s.ok()) {
      queued[i] = true;
    } else {
      results[i] = s;
    }
  }
  for (size_t i = 0; i < pendings.size(); ++i) {
    if (!queued[i]) continue;
    pendings[i].done.WaitForNotification();
    results[i] = std::move(pendings[i].result);
  }
  return results;
}

void CommandProcessor::RunLane(Lane* lane) {
  std::vector<Pending*> batch;
  while (true) {
    batch.clear();
    bool stopping;
    {
      absl::MutexLock lock(&lane->mu);
      if (lane->in_flight.empty()) {
        lane->mu.Await(absl::Condition(
            +[](Lane* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->mu) {
              return l->stopping || !l->queue.empty();
            },
            lane));
      }
      stopping = lane->stopping;
      const bool room = lane->in_flight.size() <
                        std::max<size_t>(options_.batches_in_flight_max, 1);
      while (!stopping && room && !lane->queue.empty() &&
             batch.size() < options_.batch_commands_max) {
        batch.push_back(lane->queue.front());
        lane->queue.pop_front();
      }
    }
    if (!batch.empty()) {
      ProcessBatch(*lane, batch);
      while (!lane->in_flight.empty() && RetireOldest(*lane, false)) {
      }
    } else if (!lane->in_flight.empty()) {
      // Nothing to decide, or no room: wait for the oldest projection.
      RetireOldest(*lane, true);
    } else if (stopping) {
      return;  // Stop() answers what is still queued
    }
  }
}

absl::Status CommandProcessor::StoppedError(const Lane& lane) const {
  absl::Status s = projector_->PartitionStatus(lane.partition);
  if (s.ok() || !absl::IsDataLoss(s)) return absl::OkStatus();
  return absl::DataLossError(absl::StrFormat(
      "partition %d is stopped; commands for its customers are refused and "
      "nothing is written until it is repaired (docs/operations.md): %s",
      lane.partition.value(), s.message()));
}

absl::StatusOr<int64_t> CommandProcessor::NextOffsetToWrite(
    const Lane& lane) const {
  // The partition may have stopped since these were queued: nothing is
  // decided or appended behind a record the projection could not apply.
  if (absl::Status stop = StoppedError(lane); !stop.ok()) return stop;
  auto progress = LoadPartitionProgress(*state_, lane.partition);
  if (!progress.ok()) return progress.status();
  if (progress->epoch() != lane.epoch.value()) {
    return absl::UnavailableError(absl::StrFormat(
        "partition %d is now owned by epoch %d; retry with the same key",
        lane.partition.value(), progress->epoch()));
  }
  return progress->next_offset();
}

namespace {

// What a command whose record's outcome is not known is answered.
absl::Status OutcomeUnknown(absl::Status s) {
  if (s.ok() || absl::IsDataLoss(s) || absl::IsInternal(s)) return s;
  return absl::UnavailableError(absl::StrFormat(
      "outcome unknown (%s); retry with the same key", s.message()));
}

}  // namespace

void CommandProcessor::ProcessBatch(Lane& lane, std::vector<Pending*>& batch) {
  auto next_offset = NextOffsetToWrite(lane);
  if (!next_offset.ok()) {
    lane.usage_memo.Clear();  // another owner, or a stopped partition
    for (Pending* p : batch) p->Reply(next_offset.status());
    return;
  }
  // Decide against the state plus the batches in flight plus this batch's
  // own earlier effects. The provisional offsets only order the overlays;
  // real ones come from the append.
  if (lane.in_flight.empty()) lane.chain_exact = true;
  const int64_t first_provisional =
      lane.in_flight.empty() ? *next_offset : lane.provisional_next;
  int64_t provisional = first_provisional;
  auto flight = std::make_unique<InFlight>(&lane.view);
  if (auto before = lane.view.Get(PartitionProgressKey(lane.partition));
      before.ok()) {
    flight->progress_before = std::move(*before);
  } else {
    flight->offerable = false;
  }
  std::vector<JournalEntry> entries;
  for (Pending* p : batch) {
    auto known = LookupIdempotency(*state_, p->customer_id,
                                   p->request.idempotency_key, p->fingerprint);
    if (!known.ok() || known->has_value()) {
      p->Reply(Replayed(std::move(known)));
      continue;
    }
    auto decided =
        DecideInBatch(lane, *flight->effects, Offset(provisional), *p);
    if (!decided.ok()) {
      // A record that did not apply may have left writes in the overlay.
      if (absl::IsInternal(decided.status())) lane.chain_exact = false;
      p->Reply(decided.status());
      continue;
    }
    if (decided->has_value()) {
      ++provisional;
      flight->offerable =
          flight->offerable && AppliesWithinItsCustomer(p->request.command);
      flight->outcomes.push_back((*decided)->outcome);
      entries.push_back({p->customer_id, std::move((*decided)->bytes)});
    } else {
      p->replayed = true;  // the same key earlier in this batch or in flight
    }
    flight->answer.push_back(p);
  }
  if (!entries.empty()) {
    const int64_t count = static_cast<int64_t>(entries.size());
    std::vector<JournalEntry> offered;
    if (options_.offer_effects && flight->offerable && lane.chain_exact) {
      offered = entries;
    }
    auto first = journal_->Append(lane.partition, std::move(entries));
    if (first.ok() && first->value() != first_provisional) {
      lane.chain_exact = false;  // another record came in between
    } else if (first.ok() && !offered.empty()) {
      OfferEffects(lane, *flight, *first, std::move(offered));
    }
    if (!first.ok()) {
      lane.usage_memo.Clear();  // it may hold reads of this batch's effects
      for (Pending* p : flight->answer) p->Reply(OutcomeUnknown(first.status()));
      // Nothing more is decided on top of a record whose outcome is
      // unknown: the batches before it are answered first.
      while (!lane.in_flight.empty()) RetireOldest(lane, true);
      return;
    }
    flight->last_offset = first->value() + count - 1;
    lane.provisional_next = provisional;
  } else if (!lane.in_flight.empty()) {
    // Only keys of batches in flight: answered once those are projected.
    flight->last_offset = lane.in_flight.back()->last_offset;
  }
  if (flight->last_offset < 0) {
    AnswerFromState(flight->answer);
    return;
  }
  flight->deadline = absl::Now() + options_.projection_wait;
  lane.view.Push(flight->effects.get());
  lane.in_flight.push_back(std::move(flight));
}

bool CommandProcessor::RetireOldest(Lane& lane, bool wait) {
  InFlight& f = *lane.in_flight.front();
  absl::Status s;
  if (wait) {
    s = projector_->WaitApplied(lane.partition, Offset(f.last_offset),
                                f.deadline);
  } else if (projector_->NextOffset(lane.partition) <= f.last_offset) {
    return false;
  }
  if (s.ok()) {
    AnswerFromState(f.answer);
  } else {
    lane.usage_memo.Clear();
    for (Pending* p : f.answer) p->Reply(OutcomeUnknown(s));
  }
  lane.view.PopOldest();
  lane.in_flight.pop_front();
  return true;
}

void CommandProcessor::AnswerFromState(
    const std::vector<Pending*>& answer) const {
  for (Pending* p : answer) {
    auto known = LookupIdempotency(*state_, p->customer_id,
                                   p->request.idempotency_key, p->fingerprint);
    if (!known.ok()) {
      p->Reply(known.status());
    } else if (!known->has_value()) {
      p->Reply(absl::UnavailableError(
          "the record was fenced by a newer owner of the partition; retry "
          "with the same key"));
    } else {
      if (p->replayed) (*known)->set_replayed(true);
      p->Reply(**known);
    }
  }
}

void CommandProcessor::OfferEffects(const Lane& lane, const InFlight& flight,
                                    Offset first,
                                    std::vector<JournalEntry> entries) const {
  auto offer = std::make_shared<PrecomputedEffects>();
  offer->partition = lane.partition;
  offer->first = first;
  offer->progress_before = flight.progress_before;
  offer->entries = std::move(entries);
  offer->outcomes = flight.outcomes;
  offer->effects = flight.effects;
  projector_->Offer(std::move(offer));
}

absl::StatusOr<std::optional<CommandProcessor::Decided>>
CommandProcessor::DecideInBatch(
    Lane& lane, OverlayState& overlay, Offset provisional,
    const Pending& p) const {
  const CommandRequest& r = p.request;
  auto in_batch = LookupIdempotency(overlay, p.customer_id, r.idempotency_key,
                                    p.fingerprint);
  if (!in_batch.ok()) return in_batch.status();
  // The same key earlier in this batch: answered as that one is.
  if (in_batch->has_value()) return std::optional<Decided>();
  if (!KeepsUsageDecideMemo(r.command)) lane.usage_memo.Forget(p.customer_id);
  auto events =
      Decide(overlay, r.command, p.business_date, zones_, &lane.usage_memo);
  if (!events.ok()) return events.status();
  // What is applied here is the record parsed back from the bytes to be
  // appended: exactly what the projection will read.
  auto record = EncodeRecord(
      MakeCommandRecord(p.customer_id, r.idempotency_key, p.fingerprint,
                        lane.epoch, p.business_date, std::move(*events)));
  if (!record.ok()) return record.status();
  auto applied =
      ApplyRecord(overlay, lane.partition, provisional, *record->decoded);
  if (!applied.ok()) {
    // The engine refused its own decision: a bug, never written.
    return absl::InternalError(absl::StrFormat(
        "decided record does not apply: %s", applied.status().message()));
  }
  return std::optional<Decided>(Decided{std::move(record->bytes), *applied});
}

}  // namespace billing
