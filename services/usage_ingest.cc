#include "services/usage_ingest.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/fingerprint.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/engine.h"
#include "engine/usage/rating.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/json_util.h"
#include "services/outside_text.h"

namespace billing {
namespace {

// Where an input goes after decoding, validation and routing.
struct Routed {
  bool to_customer = false;
  std::string customer_id;  // to_customer: whose record it is
  std::string reason;       // !to_customer: why it is quarantined at the edge
  v1::UsageRecord record;
  bool decoded = false;
};

std::string UsageKey(const v1::UsageRecord& r) {
  return absl::StrCat("usage/", r.platform_id(), "/", r.record_id());
}

// One key per distinct input: the same message quarantined twice (a Kafka
// redelivery) is one quarantine entry.
std::string QuarantineKey(const IngestInput& in) {
  uint64_t h = Fnv1a64(kFnv1aOffsetBasis, in.source);
  h = Fnv1a64(h, absl::string_view("\0", 1));
  h = Fnv1a64(h, in.raw);
  return absl::StrFormat("quarantine/%016x", h);
}

// U+FFFD: put in place of each byte of a JSON message that is not UTF-8, so
// that the parser takes it and the field that held the byte can be named.
constexpr absl::string_view kReplacementCharacter = "\xEF\xBF\xBD";

absl::StatusOr<v1::UsageRecord> DecodeJson(absl::string_view bytes) {
  const bool utf8 = IsValidUtf8(bytes);
  v1::UsageRecord record;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field is no default
  auto s = google::protobuf::util::JsonStringToMessage(
      utf8 ? std::string(bytes) : ReplaceNonUtf8(bytes, kReplacementCharacter),
      &record, options);
  if (!s.ok()) {
    if (!utf8) return FieldError("message", "a JSON object that is not UTF-8");
    // The parser's message may quote the input: bounded, escaped if need be.
    return FieldError("message",
                      absl::StrCat("a JSON object that is not a UsageRecord: ",
                                   BoundedText(std::string(s.message()), 200)));
  }
  // Invalid bytes, or escapes that decode to no character ("\udc00").
  auto bad =
      FirstBadStringField(record, "record", utf8 ? "" : kReplacementCharacter);
  if (bad.has_value()) return FieldError(*bad, "not valid UTF-8");
  if (!utf8) return FieldError("message", "a JSON object that is not UTF-8");
  return record;
}

// The owners of the numbers and the customers one IngestBatch has looked
// up, over one snapshot: a batch's records mostly name a few numbers, and
// each lookup is a RocksDB read (about 7% of ingest's CPU before). Errors
// are not kept.
struct RouteCache {
  absl::flat_hash_map<std::string, std::optional<std::string>> owner_of;
  absl::flat_hash_map<std::string, bool> exists;
};

absl::StatusOr<std::optional<std::string>> OwnerOf(const StateReader& state,
                                                   absl::string_view number,
                                                   RouteCache& cache) {
  if (auto it = cache.owner_of.find(number); it != cache.owner_of.end()) {
    return it->second;
  }
  auto owner = CustomerOfNumber(state, number);
  if (owner.ok()) cache.owner_of.emplace(number, *owner);
  return owner;
}

bool CustomerExists(const StateReader& state, const std::string& customer_id,
                    RouteCache& cache) {
  if (auto it = cache.exists.find(customer_id); it != cache.exists.end()) {
    return it->second;
  }
  auto customer = LoadCustomer(state, customer_id);
  if (!customer.ok()) return false;
  cache.exists.emplace(customer_id, customer->has_value());
  return customer->has_value();
}

Routed Route(const StateReader& state, const IngestInput& in,
             RouteCache& cache) {
  Routed out;
  if (!in.undecodable_reason.empty()) {
    out.reason = BoundedText(in.undecodable_reason);
    return out;
  }
  auto record = UsageIngestor::Decode(in.raw);
  if (!record.ok()) {
    out.reason = BoundedText(record.status().message());
    return out;
  }
  out.record = *std::move(record);
  out.decoded = true;
  if (auto s = ValidateUsageRecord(out.record); !s.ok()) {
    out.reason = BoundedText(s.message());
    return out;
  }
  const v1::UsageRecord& r = out.record;
  std::string customer_id = r.customer_id();
  if (customer_id.empty()) {
    if (r.object().empty() || r.object()[0] != '+') {
      out.reason = absl::StrFormat(
          "record.customer_id: is required when record.object (%s) is an "
          "account's object id",
          QuoteValue(r.object()));
      return out;
    }
    auto owner = OwnerOf(state, r.object(), cache);
    if (!owner.ok() || !owner->has_value()) {
      out.reason = owner.ok() ? absl::StrFormat(
                                    "record.object: %s is not a phone "
                                    "number of any customer",
                                    QuoteValue(r.object()))
                              : BoundedText(owner.status().message());
      return out;
    }
    customer_id = **owner;
  } else {
    if (!CustomerExists(state, customer_id, cache)) {
      out.reason = absl::StrFormat("record.customer_id: %s does not exist",
                                   QuoteValue(customer_id));
      return out;
    }
  }
  out.to_customer = true;
  out.customer_id = customer_id;
  return out;
}

// One record as its own command (the replay of the edge quarantine).
CommandRequest RecordRequest(const Routed& routed) {
  CommandRequest request;
  request.idempotency_key = UsageKey(routed.record);
  auto* usage = request.command.mutable_usage();
  usage->set_customer_id(routed.customer_id);
  *usage->mutable_record_usage()->mutable_record() = routed.record;
  return request;
}

CommandRequest QuarantineRequest(const IngestInput& in, const Routed& routed) {
  CommandRequest q;
  q.idempotency_key = QuarantineKey(in);
  auto* usage = q.command.mutable_usage();
  usage->set_customer_id(std::string(kQuarantinePartitionKey));
  auto* input = usage->mutable_quarantine_input();
  input->set_raw(in.raw);
  // Decoded again: a record routed to a customer was moved into its batch.
  if (routed.decoded) {
    if (auto record = UsageIngestor::Decode(in.raw); record.ok()) {
      *input->mutable_record() = *std::move(record);
    }
  }
  input->set_source(BoundedText(in.source));
  input->set_reason(BoundedText(routed.reason));
  return q;
}

bool IsFatal(const absl::Status& s) {
  return absl::IsDataLoss(s) || absl::IsInternal(s);
}

}  // namespace

namespace {

bool LooksLikeJson(absl::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\t' ||
                              bytes[i] == '\n' || bytes[i] == '\r')) {
    ++i;
  }
  return i < bytes.size() && bytes[i] == '{';
}

}  // namespace

// Protobuf first, and only a clean parse counts: JSON text never parses as a
// UsageRecord without unknown fields ('{' is the tag of a field 15 group,
// which UsageRecord has not), while protobuf bytes may well start with
// "\n{" (field 1 of 123 bytes): sniffing for '{' first took those for JSON.
// A record with unknown fields is refused like a JSON object with an unknown
// key, so nothing unchecked rides into the journal.
absl::StatusOr<v1::UsageRecord> UsageIngestor::Decode(absl::string_view bytes) {
  v1::UsageRecord record;
  const bool parsed =
      !bytes.empty() &&
      record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  const bool clean =
      parsed && record.GetReflection()->GetUnknownFields(record).empty();
  if (clean) return record;
  if (LooksLikeJson(bytes)) return DecodeJson(bytes);
  if (parsed) {
    const auto& unknown = record.GetReflection()->GetUnknownFields(record);
    return absl::InvalidArgumentError(absl::StrFormat(
        "message: a protobuf UsageRecord with unknown field %d (%d unknown "
        "in all); refused like an unknown JSON field",
        unknown.field(0).number(), unknown.field_count()));
  }
  // proto3 parsers refuse a string field that is not UTF-8: name it.
  auto bad = FirstBadStringFieldInWire(*v1::UsageRecord::descriptor(), bytes,
                                       "record");
  if (bad.has_value()) return FieldError(*bad, "not valid UTF-8");
  return absl::InvalidArgumentError(
      "message: neither a protobuf UsageRecord nor a JSON object");
}

namespace {

// The outcome of a record whose customer answered: `billed` when the answer
// carries no quarantine reason.
IngestOutcome OutcomeOfAnswer(const v1::UsageAnswer& answer,
                              std::string customer_id,
                              IngestOutcome::Kind billed) {
  if (answer.quarantine_reason().empty()) {
    return {billed, std::move(customer_id), ""};
  }
  return {IngestOutcome::Kind::kQuarantined, std::move(customer_id),
          answer.quarantine_reason()};
}

// The routed records of one customer that go in one RecordUsageBatch: the
// inputs' indexes, in input order.
struct CustomerBatch {
  std::string customer_id;
  std::vector<size_t> inputs;
  size_t bytes = 0;
};

// Groups the routed records by customer, in input order, into batches of
// at most `options`' records and bytes. A record id twice for one customer
// in these inputs is a duplicate at once (billed once).
std::vector<CustomerBatch> GroupByCustomer(
    absl::Span<const IngestInput> inputs, const std::vector<Routed>& routed,
    const UsageIngestOptions& options, std::vector<IngestOutcome>& outcomes) {
  std::vector<CustomerBatch> batches;
  absl::flat_hash_map<std::string, size_t> open;  // customer -> batch
  absl::flat_hash_set<std::string> ids;
  for (size_t i = 0; i < routed.size(); ++i) {
    const Routed& r = routed[i];
    if (!r.to_customer) continue;
    if (!ids.insert(absl::StrCat(r.customer_id, "/", UsageKey(r.record)))
             .second) {
      outcomes[i] = {IngestOutcome::Kind::kDuplicate, r.customer_id, ""};
      continue;
    }
    auto [it, fresh] = open.try_emplace(r.customer_id, batches.size());
    if (!fresh) {
      const CustomerBatch& b = batches[it->second];
      if (b.inputs.size() >= options.records_per_command_max ||
          b.bytes + inputs[i].raw.size() > options.command_bytes_max) {
        it->second = batches.size();
        fresh = true;
      }
    }
    if (fresh) batches.push_back({r.customer_id, {}, 0});
    CustomerBatch& b = batches[it->second];
    b.inputs.push_back(i);
    b.bytes += inputs[i].raw.size();
  }
  return batches;
}

// The batch's command. Its key names its content (two 64-bit hashes of the
// command): a batch sent again as it was is answered from its first
// answer, marked replayed; any other batch is decided, record by record,
// against the ids its customer billed. Moves the records out of `routed`.
CommandRequest BatchRequest(const CustomerBatch& batch,
                            std::vector<Routed>& routed) {
  CommandRequest request;
  auto* usage = request.command.mutable_usage();
  usage->set_customer_id(batch.customer_id);
  auto* records = usage->mutable_record_usage_batch()->mutable_records();
  records->Reserve(static_cast<int>(batch.inputs.size()));
  for (size_t i : batch.inputs) *records->Add() = std::move(routed[i].record);
  const std::string bytes = SerializeDeterministic(request.command);
  constexpr uint64_t kSecondBasis = 0x9e3779b97f4a7c15ULL;
  request.idempotency_key =
      absl::StrFormat("ubatch/%d/%016x%016x", batch.inputs.size(),
                      Fnv1a64(kFnv1aOffsetBasis, bytes),
                      Fnv1a64(kFnv1aOffsetBasis ^ kSecondBasis, bytes));
  return request;
}

// The outcomes a customer's answer gives its batch's records (one byte
// each, UsageBatchRecorded). A record the customer refused (its object is
// not the customer's) goes to the edge quarantine with the customer's
// reason. A replayed answer's rated records were rated by the first copy:
// duplicates now.
absl::Status TakeBatchAnswer(const v1::IdempotencyRecord& answer,
                             const CustomerBatch& batch,
                             std::vector<Routed>& routed,
                             std::vector<IngestOutcome>& outcomes) {
  const std::string& kinds = answer.usage().batch_outcomes();
  const auto& reasons = answer.usage().batch_reasons();
  if (kinds.size() != batch.inputs.size()) {
    return absl::InternalError(absl::StrFormat(
        "customer %s answered %d outcomes for a batch of %d records",
        batch.customer_id, kinds.size(), batch.inputs.size()));
  }
  int next_reason = 0;
  auto reason = [&]() -> std::string {
    return next_reason < reasons.size() ? reasons[next_reason++] : "";
  };
  using Kind = IngestOutcome::Kind;
  for (size_t j = 0; j < kinds.size(); ++j) {
    const size_t i = batch.inputs[j];
    const std::string& c = batch.customer_id;
    switch (kinds[j]) {
      case 'r':
        outcomes[i] = {answer.replayed() ? Kind::kDuplicate : Kind::kRated, c,
                       ""};
        break;
      case 'd':
        outcomes[i] = {Kind::kDuplicate, c, ""};
        break;
      case 'q':
      case 'h':
        outcomes[i] = {Kind::kQuarantined, c, reason()};
        break;
      default:  // 'x'
        routed[i].to_customer = false;
        routed[i].reason = reason();
    }
  }
  return absl::OkStatus();
}

// Takes the customers' answers into `outcomes`. A batch its customer
// refused whole (the customer went away) goes to the edge quarantine with
// the customer's reason. Errors: the call's (an outcome unknown).
absl::Status TakeCustomerResults(
    const std::vector<absl::StatusOr<v1::IdempotencyRecord>>& results,
    const std::vector<CustomerBatch>& batches, std::vector<Routed>& routed,
    std::vector<IngestOutcome>& outcomes) {
  for (size_t k = 0; k < results.size(); ++k) {
    const auto& result = results[k];
    if (result.ok()) {
      if (auto s = TakeBatchAnswer(*result, batches[k], routed, outcomes);
          !s.ok()) {
        return s;
      }
    } else if (absl::IsInvalidArgument(result.status()) ||
               absl::IsNotFound(result.status())) {
      for (size_t i : batches[k].inputs) {
        routed[i].to_customer = false;
        routed[i].reason = std::string(result.status().message());
      }
    } else if (IsFatal(result.status())) {
      return result.status();
    } else {
      return absl::UnavailableError(absl::StrFormat(
          "outcome of a batch of %d records of customer %s unknown (%s); "
          "send the batch again",
          batches[k].inputs.size(), batches[k].customer_id,
          result.status().message()));
    }
  }
  return absl::OkStatus();
}

// Holds what no customer took in "@quarantine", durably.
absl::Status QuarantineAtEdge(CommandProcessor& commands,
                              absl::Span<const IngestInput> inputs,
                              const std::vector<Routed>& routed,
                              std::vector<IngestOutcome>& outcomes) {
  std::vector<CommandRequest> quarantine;
  std::vector<size_t> quarantine_of;
  for (size_t i = 0; i < routed.size(); ++i) {
    if (routed[i].to_customer) continue;
    quarantine_of.push_back(i);
    quarantine.push_back(QuarantineRequest(inputs[i], routed[i]));
  }
  auto held = commands.ExecuteBatch(std::move(quarantine));
  for (size_t k = 0; k < held.size(); ++k) {
    const size_t i = quarantine_of[k];
    if (!held[k].ok()) {
      if (IsFatal(held[k].status())) return held[k].status();
      return absl::UnavailableError(absl::StrFormat(
          "quarantine of %s not acknowledged (%s); send the batch again",
          BoundedText(inputs[i].source, 128), held[k].status().message()));
    }
    outcomes[i] = {IngestOutcome::Kind::kQuarantined, "", routed[i].reason};
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<IngestOutcome>> UsageIngestor::IngestBatch(
    absl::Span<const IngestInput> inputs) {
  std::vector<IngestOutcome> outcomes(inputs.size());
  std::vector<Routed> routed;
  routed.reserve(inputs.size());
  {
    auto snapshot = state_->Snapshot();
    RouteCache cache;
    for (const IngestInput& in : inputs) {
      routed.push_back(Route(*snapshot, in, cache));
    }
  }
  const std::vector<CustomerBatch> batches =
      GroupByCustomer(inputs, routed, options_, outcomes);
  std::vector<CommandRequest> requests;
  requests.reserve(batches.size());
  for (const CustomerBatch& b : batches) {
    requests.push_back(BatchRequest(b, routed));
  }
  auto results = commands_->ExecuteBatch(std::move(requests));
  if (absl::Status s = TakeCustomerResults(results, batches, routed, outcomes);
      !s.ok()) {
    return s;
  }
  // What no customer took goes to "@quarantine", durably, before we return.
  if (absl::Status s = QuarantineAtEdge(*commands_, inputs, routed, outcomes);
      !s.ok()) {
    return s;
  }
  return outcomes;
}

void UsageIngestor::Summary::Add(const IngestOutcome& o) {
  ++received;
  switch (o.kind) {
    case IngestOutcome::Kind::kRated:
      ++rated;
      break;
    case IngestOutcome::Kind::kDuplicate:
      ++duplicates;
      break;
    case IngestOutcome::Kind::kQuarantined:
      ++quarantined;
      break;
  }
}

namespace {

// Most quarantined records one replay sends again.
constexpr size_t kReplayRecordsMax = 10'000;

// How a replayed record came out; the error when the replay must stop.
// `rehomed` is false when its customer refused it again: it stays
// quarantined, with the reason.
absl::StatusOr<IngestOutcome> ReplayedOutcome(
    const absl::StatusOr<v1::IdempotencyRecord>& result, bool& rehomed) {
  rehomed = true;
  if (result.ok()) {
    return OutcomeOfAnswer(result->usage(), "",
                           result->replayed() ? IngestOutcome::Kind::kDuplicate
                                              : IngestOutcome::Kind::kRated);
  }
  if (absl::IsAlreadyExists(result.status())) {
    return IngestOutcome{IngestOutcome::Kind::kDuplicate, "", ""};
  }
  if (IsFatal(result.status()) || absl::IsUnavailable(result.status())) {
    return result.status();
  }
  rehomed = false;
  return IngestOutcome{IngestOutcome::Kind::kQuarantined, "",
                       std::string(result.status().message())};
}

// Rates a customer's quarantined records again.
absl::StatusOr<UsageIngestor::Summary> ReplayCustomer(
    CommandProcessor& commands, const StateReader& snapshot,
    absl::string_view customer_id) {
  auto held = QuarantinedUsage(snapshot, customer_id, kReplayRecordsMax);
  if (!held.ok()) return held.status();
  std::vector<CommandRequest> requests;
  for (const auto& q : *held) {
    CommandRequest r;
    // A new key per replay: the first attempt's answer (quarantined) is
    // not the one wanted now. Billing once rests on the engine's
    // forever-seen record ids, not on this key.
    r.idempotency_key = absl::StrFormat(
        "replay/%016x",
        Fnv1a64(Fnv1a64(kFnv1aOffsetBasis, UsageKey(q.record())),
                absl::StrCat(absl::ToUnixNanos(absl::Now()))));
    auto* usage = r.command.mutable_usage();
    usage->set_customer_id(std::string(customer_id));
    *usage->mutable_record_usage()->mutable_record() = q.record();
    requests.push_back(std::move(r));
  }
  UsageIngestor::Summary summary;
  for (const auto& result : commands.ExecuteBatch(std::move(requests))) {
    bool rehomed = false;
    auto outcome = ReplayedOutcome(result, rehomed);
    if (!outcome.ok()) return outcome.status();
    summary.Add(*outcome);
  }
  return summary;
}

// The command that takes a re-homed input out of "@quarantine".
CommandRequest ReleaseRequest(int64_t offset, const IngestOutcome& outcome,
                              absl::string_view customer_id) {
  CommandRequest release;
  release.idempotency_key = absl::StrFormat("release/%d", offset);
  auto* usage = release.command.mutable_usage();
  usage->set_customer_id(std::string(kQuarantinePartitionKey));
  usage->mutable_release_quarantined()->set_offset(offset);
  usage->mutable_release_quarantined()->set_outcome(
      outcome.kind == IngestOutcome::Kind::kDuplicate
          ? "duplicate"
          : absl::StrCat("customer ", customer_id));
  return release;
}

// Routes the inputs held in "@quarantine" again; those a customer takes now
// leave it.
absl::StatusOr<UsageIngestor::Summary> ReplayEdge(CommandProcessor& commands,
                                                  const StateReader& snapshot) {
  auto held = QuarantinedInputs(snapshot, -1, kReplayRecordsMax);
  if (!held.ok()) return held.status();
  UsageIngestor::Summary summary;
  std::vector<CommandRequest> requests;
  std::vector<const v1::QuarantinedInput*> request_of;
  std::vector<std::string> customer_of;
  RouteCache cache;
  for (const auto& q : *held) {
    Routed r =
        Route(snapshot, {q.input().raw(), q.input().source(), ""}, cache);
    if (!r.to_customer) {
      summary.Add({IngestOutcome::Kind::kQuarantined, "", r.reason});
      continue;
    }
    request_of.push_back(&q);
    customer_of.push_back(r.customer_id);
    requests.push_back(RecordRequest(r));
  }
  auto results = commands.ExecuteBatch(std::move(requests));
  std::vector<CommandRequest> releases;
  for (size_t k = 0; k < results.size(); ++k) {
    bool rehomed = false;
    auto outcome = ReplayedOutcome(results[k], rehomed);
    if (!outcome.ok()) return outcome.status();
    summary.Add(*outcome);
    if (!rehomed) continue;  // still no home: it stays
    releases.push_back(
        ReleaseRequest(request_of[k]->offset(), *outcome, customer_of[k]));
  }
  for (const auto& r : commands.ExecuteBatch(std::move(releases))) {
    if (!r.ok() && !absl::IsNotFound(r.status())) return r.status();
  }
  return summary;
}

}  // namespace

absl::StatusOr<UsageIngestor::Summary> UsageIngestor::ReplayQuarantine(
    absl::string_view customer_id) {
  auto snapshot = state_->Snapshot();
  if (!customer_id.empty()) {
    return ReplayCustomer(*commands_, *snapshot, customer_id);
  }
  return ReplayEdge(*commands_, *snapshot);
}

}  // namespace billing
