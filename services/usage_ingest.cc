#include "services/usage_ingest.h"

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/customer/customer.h"
#include "engine/engine.h"
#include "engine/core/fingerprint.h"
#include "engine/usage/rating.h"
#include "engine/core/validation.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/json_util.h"
#include "services/outside_text.h"

namespace billing {
namespace {

// Where an input goes after decoding, validation and routing.
struct Routed {
  bool to_customer = false;
  CommandRequest request;  // to_customer: the RecordUsage command
  std::string customer_id;
  std::string reason;  // !to_customer: why it is quarantined at the edge
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

Routed Route(const StateReader& state, const IngestInput& in) {
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
  out.record = *record;
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
    auto owner = CustomerOfNumber(state, r.object());
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
    auto customer = LoadCustomer(state, customer_id);
    if (!customer.ok() || !customer->has_value()) {
      out.reason = absl::StrFormat("record.customer_id: %s does not exist",
                                   QuoteValue(customer_id));
      return out;
    }
  }
  out.to_customer = true;
  out.customer_id = customer_id;
  out.request.idempotency_key = UsageKey(r);
  auto* usage = out.request.command.mutable_usage();
  usage->set_customer_id(customer_id);
  *usage->mutable_record_usage()->mutable_record() = r;
  return out;
}

CommandRequest QuarantineRequest(const IngestInput& in, const Routed& routed) {
  CommandRequest q;
  q.idempotency_key = QuarantineKey(in);
  auto* usage = q.command.mutable_usage();
  usage->set_customer_id(std::string(kQuarantinePartitionKey));
  auto* input = usage->mutable_quarantine_input();
  input->set_raw(in.raw);
  if (routed.decoded) *input->mutable_record() = routed.record;
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

absl::StatusOr<std::vector<IngestOutcome>> UsageIngestor::IngestBatch(
    absl::Span<const IngestInput> inputs) {
  std::vector<IngestOutcome> outcomes(inputs.size());
  std::vector<Routed> routed;
  routed.reserve(inputs.size());
  auto snapshot = state_->Snapshot();
  for (const IngestInput& in : inputs) routed.push_back(Route(*snapshot, in));

  // Records for customers: a record seen before (or twice in this batch) is
  // a duplicate; the engine's forever-seen check backs this count up.
  std::vector<CommandRequest> requests;
  std::vector<size_t> request_of;
  std::set<std::string> keys_in_batch;
  for (size_t i = 0; i < routed.size(); ++i) {
    Routed& r = routed[i];
    if (!r.to_customer) continue;
    const uint64_t fingerprint = RequestFingerprint(r.request.command, "");
    auto known = LookupIdempotency(*snapshot, r.customer_id,
                                   r.request.idempotency_key, fingerprint);
    if (!known.ok() && !absl::IsFailedPrecondition(known.status())) {
      return known.status();
    }
    if (!known.ok() ||
        !keys_in_batch.insert(r.request.idempotency_key).second) {
      // The same id with other content, or twice in one batch: billed once.
      outcomes[i] = {IngestOutcome::Kind::kDuplicate, r.customer_id, ""};
      continue;
    }
    if (known->has_value()) {
      const v1::UsageAnswer& answer = (*known)->usage();
      outcomes[i] =
          answer.quarantine_reason().empty()
              ? IngestOutcome{IngestOutcome::Kind::kDuplicate, r.customer_id,
                              ""}
              : IngestOutcome{IngestOutcome::Kind::kQuarantined, r.customer_id,
                              answer.quarantine_reason()};
      continue;
    }
    request_of.push_back(i);
    requests.push_back(r.request);
  }
  auto results = commands_->ExecuteBatch(std::move(requests));
  for (size_t k = 0; k < results.size(); ++k) {
    const size_t i = request_of[k];
    const auto& result = results[k];
    if (result.ok()) {
      const v1::UsageAnswer& answer = result->usage();
      outcomes[i] = answer.quarantine_reason().empty()
                        ? IngestOutcome{IngestOutcome::Kind::kRated,
                                        routed[i].customer_id, ""}
                        : IngestOutcome{IngestOutcome::Kind::kQuarantined,
                                        routed[i].customer_id,
                                        answer.quarantine_reason()};
    } else if (absl::IsAlreadyExists(result.status())) {
      outcomes[i] = {IngestOutcome::Kind::kDuplicate, routed[i].customer_id,
                     ""};
    } else if (absl::IsInvalidArgument(result.status()) ||
               absl::IsNotFound(result.status())) {
      // The customer refused it (its object went away meanwhile): it goes to
      // the edge quarantine with the customer's reason.
      routed[i].to_customer = false;
      routed[i].reason = std::string(result.status().message());
    } else if (IsFatal(result.status())) {
      return result.status();
    } else {
      return absl::UnavailableError(absl::StrFormat(
          "outcome of %s unknown (%s); send the batch again",
          routed[i].request.idempotency_key, result.status().message()));
    }
  }

  // What no customer took goes to "@quarantine", durably, before we return.
  std::vector<CommandRequest> quarantine;
  std::vector<size_t> quarantine_of;
  for (size_t i = 0; i < routed.size(); ++i) {
    if (routed[i].to_customer) continue;
    quarantine_of.push_back(i);
    quarantine.push_back(QuarantineRequest(inputs[i], routed[i]));
  }
  auto held = commands_->ExecuteBatch(std::move(quarantine));
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

absl::StatusOr<UsageIngestor::Summary> UsageIngestor::ReplayQuarantine(
    absl::string_view customer_id) {
  constexpr size_t kReplayRecordsMax = 10'000;
  Summary summary;
  auto snapshot = state_->Snapshot();
  if (!customer_id.empty()) {
    auto held = QuarantinedUsage(*snapshot, customer_id, kReplayRecordsMax);
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
    auto results = commands_->ExecuteBatch(std::move(requests));
    for (const auto& result : results) {
      if (result.ok()) {
        summary.Add(result->usage().quarantine_reason().empty()
                        ? IngestOutcome{IngestOutcome::Kind::kRated, "", ""}
                        : IngestOutcome{IngestOutcome::Kind::kQuarantined, "",
                                        result->usage().quarantine_reason()});
      } else if (absl::IsAlreadyExists(result.status())) {
        summary.Add({IngestOutcome::Kind::kDuplicate, "", ""});
      } else if (IsFatal(result.status()) ||
                 absl::IsUnavailable(result.status())) {
        return result.status();
      } else {
        summary.Add({IngestOutcome::Kind::kQuarantined, "",
                     std::string(result.status().message())});
      }
    }
    return summary;
  }

  auto held = QuarantinedInputs(*snapshot, -1, kReplayRecordsMax);
  if (!held.ok()) return held.status();
  std::vector<CommandRequest> requests;
  std::vector<const v1::QuarantinedInput*> request_of;
  std::vector<std::string> customer_of;
  for (const auto& q : *held) {
    Routed r = Route(*snapshot, {q.input().raw(), q.input().source()});
    if (!r.to_customer) {
      summary.Add({IngestOutcome::Kind::kQuarantined, "", r.reason});
      continue;
    }
    request_of.push_back(&q);
    customer_of.push_back(r.customer_id);
    requests.push_back(std::move(r.request));
  }
  auto results = commands_->ExecuteBatch(std::move(requests));
  std::vector<CommandRequest> releases;
  for (size_t k = 0; k < results.size(); ++k) {
    IngestOutcome outcome;
    if (results[k].ok()) {
      outcome = results[k]->usage().quarantine_reason().empty()
                    ? IngestOutcome{IngestOutcome::Kind::kRated, "", ""}
                    : IngestOutcome{IngestOutcome::Kind::kQuarantined, "",
                                    results[k]->usage().quarantine_reason()};
    } else if (absl::IsAlreadyExists(results[k].status())) {
      outcome = {IngestOutcome::Kind::kDuplicate, "", ""};
    } else if (IsFatal(results[k].status()) ||
               absl::IsUnavailable(results[k].status())) {
      return results[k].status();
    } else {
      summary.Add({IngestOutcome::Kind::kQuarantined, "",
                   std::string(results[k].status().message())});
      continue;  // still no home: it stays
    }
    summary.Add(outcome);
    CommandRequest release;
    release.idempotency_key =
        absl::StrFormat("release/%d", request_of[k]->offset());
    auto* usage = release.command.mutable_usage();
    usage->set_customer_id(std::string(kQuarantinePartitionKey));
    usage->mutable_release_quarantined()->set_offset(request_of[k]->offset());
    usage->mutable_release_quarantined()->set_outcome(
        outcome.kind == IngestOutcome::Kind::kDuplicate
            ? "duplicate"
            : absl::StrCat("customer ", customer_of[k]));
    releases.push_back(std::move(release));
  }
  for (const auto& r : commands_->ExecuteBatch(std::move(releases))) {
    if (!r.ok() && !absl::IsNotFound(r.status())) return r.status();
  }
  return summary;
}

}  // namespace billing
