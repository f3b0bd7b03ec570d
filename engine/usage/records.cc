// Call detail records: deciding them (one command each, or a customer's
// batch in one command) and applying what was decided. One rule for both:
// RecordContext::Decide.
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/keys.h"
#include "engine/core/validation.h"
#include "engine/structure/structure.h"
#include "engine/usage/rating.h"
#include "engine/usage/usage.h"
#include "engine/usage/usage_internal.h"

namespace billing::usage_internal {

std::string PlanPrefix(absl::string_view c, absl::string_view plan) {
  return absl::StrCat(kPlanPrefix, c, "/", plan, "/");
}
std::string SeenKey(absl::string_view c, const v1::UsageRecord& r) {
  return absl::StrCat(kSeenPrefix, c, "/", r.platform_id(), "/", r.record_id());
}
std::string QuarantineKey(absl::string_view c, const v1::UsageRecord& r) {
  return absl::StrCat(kQuarantinePrefix, c, "/", r.platform_id(), "/",
                      r.record_id());
}
std::string MonthPrefix(absl::string_view family, absl::string_view c,
                        absl::string_view month, absl::string_view object) {
  return object.empty() ? absl::StrCat(family, c, "/", month, "/")
                        : absl::StrCat(family, c, "/", month, "/", object, "/");
}
std::string RecordKey(absl::string_view c, const v1::UsageRecorded& u) {
  return absl::StrCat(kRecordPrefix, c, "/", u.month(), "/", u.object_id(),
                      "/", u.record().platform_id(), "/",
                      u.record().record_id());
}
std::string TotalsKey(absl::string_view c, const v1::UsageRecorded& u) {
  const v1::RatedUsage& rated = u.rated();
  const std::string& zone =
      rated.zone_label().empty() ? rated.matched_prefix() : rated.zone_label();
  return absl::StrCat(kTotalsPrefix, c, "/", u.month(), "/", u.object_id(),
                      "/", v1::UsageKind_Name(u.record().kind()), "/", zone);
}

absl::StatusOr<std::vector<v1::RatePlanVersion>> PlanVersions(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view plan_id) {
  return ScanMessages<v1::RatePlanVersion>(
      state, PlanPrefix(customer_id, plan_id), 100'000);
}

absl::Status AddToTotals(const v1::UsageRecorded& u, v1::UsageTotals& t) {
  const v1::RatedUsage& rated = u.rated();
  const std::string& zone =
      rated.zone_label().empty() ? rated.matched_prefix() : rated.zone_label();
  auto add = [&](absl::string_view field, absl::string_view total_name,
                 int64_t total, int64_t value, int64_t& sum) -> absl::Status {
    if (value >= 0 && !__builtin_add_overflow(total, value, &sum)) {
      return absl::OkStatus();
    }
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: %d %s the month's %s %d of object %s (%s, zone %s, %s)", field,
        value, value < 0 ? "is negative: it cannot be added to" : "overflows",
        total_name, total, QuoteValue(u.object_id()),
        v1::UsageKind_Name(u.record().kind()), QuoteValue(zone), u.month()));
  };
  int64_t records, quantity, billed, amount;
  for (const absl::Status& s :
       {add("record.quantity", "quantity total", t.quantity(),
            u.record().quantity(), quantity),
        add("rated.billed_quantity", "billed quantity total",
            t.billed_quantity(), rated.billed_quantity(), billed),
        add("rated.amount_micros", "amount total", t.amount_micros(),
            rated.amount_micros(), amount),
        add("record", "count of records", t.records(), 1, records)}) {
    if (!s.ok()) return s;
  }
  // The names are the same record after record of a total: set once.
  if (t.object_id() != u.object_id()) t.set_object_id(u.object_id());
  if (t.month() != u.month()) t.set_month(u.month());
  if (t.zone() != zone) t.set_zone(zone);
  t.set_kind(u.record().kind());
  t.set_records(records);
  t.set_quantity(quantity);
  t.set_billed_quantity(billed);
  t.set_amount_micros(amount);
  return absl::OkStatus();
}

// --- RecordContext: what deciding reads, read once ---

absl::StatusOr<const v1::BillableObject*> RecordContext::Object(
    absl::string_view object) {
  auto it = read_.objects.find(object);
  if (it == read_.objects.end()) {
    auto id = ResolveUsageObject(state_, customer_id_, object);
    if (!id.ok()) return id.status();
    auto loaded = id->has_value() ? LoadObject(state_, customer_id_, **id)
                                  : std::optional<v1::BillableObject>();
    if (!loaded.ok()) return loaded.status();
    it = read_.objects.emplace(std::string(object), std::move(*loaded)).first;
    if (memo_ != nullptr) memo_->Added();
  }
  return it->second.has_value() ? &*it->second : nullptr;
}

// Usage totals report the entity and discount of their month
// (AssignmentForMonth), and an object has an assignment from the month of
// its creation on: its first history entry is dated then, and a
// reassignment into an earlier month is refused (RequireCreatedBy). So
// "had an assignment in `month`" is "created in or before `month`", read
// from the object itself: the history scan it replaces was 10 % of ingest's
// instructions (a RocksDB iterator per object and month of each batch).
// Both are "YYYY-MM..." texts, validated before.
bool RecordContext::ExistedIn(const v1::BillableObject& object,
                              absl::string_view month) {
  return absl::string_view(object.created_on()).substr(0, 7) <= month;
}

// The plan pricing the object: its own, else its account's; "" for none.
absl::StatusOr<const std::string*> RecordContext::PlanOf(
    const v1::BillableObject& object) {
  auto it = read_.plans.find(object.object_id());
  if (it != read_.plans.end()) return &it->second;
  std::string plan_id;
  for (const std::string& id : {object.object_id(), object.parent_id()}) {
    if (id.empty()) continue;
    auto plan = state_.Get(absl::StrCat(kAssignPrefix, customer_id_, "/", id));
    if (!plan.ok()) return plan.status();
    if (plan->has_value()) {
      plan_id = std::move(**plan);
      break;
    }
  }
  if (memo_ != nullptr) memo_->Added();
  return &read_.plans.emplace(object.object_id(), std::move(plan_id))
              .first->second;
}

absl::StatusOr<const std::vector<v1::RatePlanVersion>*> RecordContext::Versions(
    const std::string& plan_id) {
  auto it = read_.versions.find(plan_id);
  if (it == read_.versions.end()) {
    auto versions = PlanVersions(state_, customer_id_, plan_id);
    if (!versions.ok()) return versions.status();
    it = read_.versions.emplace(plan_id, std::move(*versions)).first;
    if (memo_ != nullptr) memo_->Added();
  }
  return &it->second;
}

const absl::StatusOr<absl::TimeZone>& RecordContext::Zone(
    const std::string& name) {
  auto it = zones_seen_.find(name);
  if (it == zones_seen_.end()) it = zones_seen_.emplace(name, zones_(name)).first;
  return it->second;
}

absl::StatusOr<v1::UsageTotals*> RecordContext::Totals(const std::string& key) {
  auto it = totals_.find(key);
  if (it == totals_.end()) {
    auto stored = GetMessage<v1::UsageTotals>(state_, key);
    if (!stored.ok()) return stored.status();
    it = totals_.emplace(key, stored->value_or(v1::UsageTotals())).first;
  }
  return &it->second;
}

absl::StatusOr<std::string> RecordContext::Seen(const std::string& key) {
  auto it = seen_.find(key);
  if (it != seen_.end()) return it->second;
  auto stored = state_.Get(key);
  if (!stored.ok()) return stored.status();
  return stored->value_or(std::string());
}

// The record's price on its object's plan, into `u.rated()`: "" or the
// reason it cannot be rated (no plan, no version at its start, an unknown
// time zone, no rate, a rating beyond int64).
absl::StatusOr<std::string> RecordContext::PriceOf(
    const v1::BillableObject& object, v1::UsageRecorded& u) {
  auto plan_id = PlanOf(object);
  if (!plan_id.ok()) return plan_id.status();
  if ((*plan_id)->empty()) {
    return absl::StrFormat("no rate plan for object %s or its account",
                           QuoteValue(object.object_id()));
  }
  return PriceOnPlan(**plan_id, u);
}

absl::StatusOr<std::string> RecordContext::PriceOnPlan(
    const std::string& plan_id, v1::UsageRecorded& u) {
  auto versions = Versions(plan_id);
  if (!versions.ok()) return versions.status();
  auto start = ParseUsageTime(u.record().start_time(), "record.start_time");
  if (!start.ok()) return start.status();
  auto version = VersionAt(**versions, *start);
  if (!version.ok()) {
    return absl::StrFormat("plan %s: %s", QuoteValue(plan_id),
                           version.status().message());
  }
  const auto& zone = Zone((*version)->time_zone());
  if (!zone.ok()) {
    return absl::StrFormat("plan %s: time zone: %s", QuoteValue(plan_id),
                           zone.status().message());
  }
  auto rated = RateRecord(**version, *zone, u.record());
  if (absl::IsFailedPrecondition(rated.status()) ||
      absl::IsOutOfRange(rated.status())) {
    return std::string(rated.status().message());
  }
  if (!rated.ok()) return rated.status();
  *u.mutable_rated() = std::move(*rated);
  return std::string();
}

// In this order: the object did not exist in the record's month, then
// PriceOf's reasons, then a month total that would overflow.
absl::StatusOr<std::string> RecordContext::Rate(
    const v1::BillableObject& object, v1::UsageRecorded& u) {
  if (!ExistedIn(object, u.month())) {
    return absl::StrFormat(
        "object %s did not exist in %s (created %s): usage of a month "
        "before its creation cannot be billed",
        QuoteValue(object.object_id()), u.month(), object.created_on());
  }
  auto priced = PriceOf(object, u);
  if (!priced.ok() || !priced->empty()) return priced;
  auto totals = Totals(TotalsKey(customer_id_, u));
  if (!totals.ok()) return totals.status();
  if (auto s = AddToTotals(u, **totals); !s.ok()) {
    return std::string(s.message());
  }
  return std::string();
}

absl::StatusOr<RecordDecision> RecordContext::Decide(const v1::UsageRecord& r,
                                                     bool keep_held) {
  using Kind = RecordDecision::Kind;
  RecordDecision d;
  if (auto s = ValidateUsageRecordFields(r); !s.ok()) {
    d.refusal = s;
    return d;
  }
  auto object = Object(r.object());
  if (!object.ok()) return object.status();
  if (*object == nullptr) {
    d.refusal = Reject(
        record_usage::kObjectNotFound,
        absl::StrFormat("record.object: %s is not a phone number or "
                        "object of customer %s",
                        QuoteValue(r.object()), QuoteValue(customer_id_)));
    return d;
  }
  const std::string seen_key = SeenKey(customer_id_, r);
  auto seen = Seen(seen_key);
  if (!seen.ok()) return seen.status();
  if (*seen == "r") {
    d.kind = Kind::kDuplicate;
    d.refusal = Reject(record_usage::kAlreadyBilled,
                       absl::StrFormat("record: platform %s record %s is "
                                       "already billed",
                                       QuoteValue(r.platform_id()),
                                       QuoteValue(r.record_id())));
    return d;
  }
  if (*seen == "q" && keep_held) {
    auto held = GetMessage<v1::UsageQuarantined>(state_,
                                                 QuarantineKey(customer_id_, r));
    if (!held.ok()) return held.status();
    if (held->has_value()) {
      d.kind = Kind::kHeld;
      d.reason = (*held)->reason();
      return d;
    }
  }
  // From here on the record belongs to the customer: what cannot be rated
  // is quarantined with its reason, never dropped.
  *d.recorded.mutable_record() = r;
  d.recorded.set_object_id((*object)->object_id());
  // RFC 3339 starts with the local date as the platform wrote it.
  d.recorded.set_month(r.start_time().substr(0, 7));
  auto reason = Rate(**object, d.recorded);
  if (!reason.ok()) return reason.status();
  if (reason->empty()) {
    d.kind = Kind::kRated;
    seen_[seen_key] = "r";
    return d;
  }
  d.kind = Kind::kQuarantined;
  *d.quarantined.mutable_record() = r;
  d.quarantined.set_object_id((*object)->object_id());
  d.quarantined.set_reason(std::move(*reason));
  d.recorded.Clear();
  seen_[seen_key] = "q";
  return d;
}

// --- Deciding ---

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideRecord(
    const StateReader& state, absl::string_view customer_id,
    const v1::RecordUsage& command, BusinessDate date,
    const TimeZoneResolver& zones, UsageDecideMemo* memo) {
  using Kind = RecordDecision::Kind;
  RecordContext context(state, customer_id, zones, memo);
  auto d = context.Decide(command.record(), /*keep_held=*/false);
  if (!d.ok()) return d.status();
  std::vector<v1::EventEnvelope> events;
  if (d->kind == Kind::kRated) {
    events.push_back(NewEvent(kRecordedType, customer_id, date));
    *events.back().mutable_usage()->mutable_recorded() =
        std::move(d->recorded);
  } else if (d->kind == Kind::kQuarantined) {
    events.push_back(NewEvent(kQuarantinedType, customer_id, date));
    *events.back().mutable_usage()->mutable_quarantined() =
        std::move(d->quarantined);
  } else {
    return d->refusal;
  }
  return events;
}

namespace {

// Adds one record's decision to the batch's event.
void AddToBatch(RecordDecision d, v1::UsageBatchRecorded& b) {
  using Kind = RecordDecision::Kind;
  std::string* outcomes = b.mutable_outcomes();
  switch (d.kind) {
    case Kind::kRated:
      outcomes->push_back('r');
      *b.add_recorded() = std::move(d.recorded);
      return;
    case Kind::kQuarantined:
      outcomes->push_back('q');
      b.add_reasons(d.quarantined.reason());
      *b.add_quarantined() = std::move(d.quarantined);
      return;
    case Kind::kDuplicate:
      outcomes->push_back('d');
      return;
    case Kind::kHeld:
      outcomes->push_back('h');
      b.add_reasons(std::move(d.reason));
      return;
    case Kind::kRefused:
      outcomes->push_back('x');
      b.add_reasons(std::string(d.refusal.message()));
      return;
  }
}

}  // namespace

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideRecordBatch(
    const StateReader& state, absl::string_view customer_id,
    const v1::RecordUsageBatch& command, BusinessDate date,
    const TimeZoneResolver& zones, UsageDecideMemo* memo) {
  namespace rej = record_usage_batch;
  if (command.records_size() == 0 ||
      command.records_size() > kUsageBatchRecordsMax) {
    return Reject(rej::kRecordsInvalid,
                  absl::StrFormat("record_usage_batch.records: %d records; "
                                  "a batch holds 1 to %d",
                                  command.records_size(),
                                  kUsageBatchRecordsMax));
  }
  RecordContext context(state, customer_id, zones, memo);
  v1::EventEnvelope e = NewEvent(kBatchRecordedType, customer_id, date);
  v1::UsageBatchRecorded& b = *e.mutable_usage()->mutable_batch_recorded();
  b.mutable_outcomes()->reserve(command.records_size());
  for (const v1::UsageRecord& r : command.records()) {
    auto d = context.Decide(r, /*keep_held=*/true);
    if (!d.ok()) return d.status();
    AddToBatch(*std::move(d), b);
  }
  return OnlyEvent(std::move(e));
}

// --- Applying ---

namespace {

// Adds `u` to `totals`.
absl::Status AddToStoredTotals(const v1::UsageRecorded& u,
                               v1::UsageTotals& totals) {
  if (absl::Status added = AddToTotals(u, totals); !added.ok()) {
    // Decide quarantined every record whose sums would not fit: one here is
    // a damaged or foreign event, and stops the projection (a wrong bill is
    // worse than none).
    return absl::DataLossError(absl::StrFormat(
        "usage record %s/%s does not add to its totals: %s",
        u.record().platform_id(), absl::CHexEscape(u.record().record_id()),
        added.message()));
  }
  return absl::OkStatus();
}

// Marks `u` billed and keeps it; `before` is what its id held.
void KeepRecorded(StateWriter& state, absl::string_view c,
                  const v1::UsageRecorded& u,
                  const std::optional<std::string>& before) {
  state.Put(SeenKey(c, u.record()), "r");
  // Only a record quarantined before leaves the quarantine: a blind delete
  // per record would leave a tombstone per record behind.
  if (before.has_value()) state.Delete(QuarantineKey(c, u.record()));
  PutMessage(state, RecordKey(c, u), u);
}

}  // namespace

absl::Status ApplyRecorded(StateWriter& state, absl::string_view c,
                           const v1::UsageRecorded& u) {
  auto before = state.Get(SeenKey(c, u.record()));
  if (!before.ok()) return before.status();
  if (before->has_value() && **before == "r") {
    return absl::DataLossError(
        absl::StrFormat("usage record %s/%s recorded twice",
                        u.record().platform_id(), u.record().record_id()));
  }
  KeepRecorded(state, c, u, *before);
  const std::string key = TotalsKey(c, u);
  auto totals = GetMessage<v1::UsageTotals>(state, key);
  if (!totals.ok()) return totals.status();
  v1::UsageTotals t = totals->value_or(v1::UsageTotals());
  if (auto s = AddToStoredTotals(u, t); !s.ok()) return s;
  PutMessage(state, key, t);
  return absl::OkStatus();
}

absl::Status ApplyQuarantined(StateWriter& state, absl::string_view c,
                              const v1::UsageQuarantined& q) {
  state.Put(SeenKey(c, q.record()), "q");
  PutMessage(state, QuarantineKey(c, q.record()), q);
  return absl::OkStatus();
}

// Each record as its own event would apply it, except that a record whose
// id was billed before is skipped (a batch decided before an earlier
// append of the same id was projected: the first one counts), and that each
// month total is read and written once.
absl::Status ApplyBatchRecorded(StateWriter& state, absl::string_view c,
                                const v1::UsageBatchRecorded& b) {
  std::map<std::string, v1::UsageTotals> totals;
  for (const v1::UsageRecorded& u : b.recorded()) {
    auto before = state.Get(SeenKey(c, u.record()));
    if (!before.ok()) return before.status();
    if (before->has_value() && **before == "r") continue;
    KeepRecorded(state, c, u, *before);
    auto [it, fresh] = totals.try_emplace(TotalsKey(c, u));
    if (fresh) {
      auto stored = GetMessage<v1::UsageTotals>(state, it->first);
      if (!stored.ok()) return stored.status();
      it->second = stored->value_or(v1::UsageTotals());
    }
    if (auto s = AddToStoredTotals(u, it->second); !s.ok()) return s;
  }
  for (const auto& [key, t] : totals) PutMessage(state, key, t);
  for (const v1::UsageQuarantined& q : b.quarantined()) {
    auto before = state.Get(SeenKey(c, q.record()));
    if (!before.ok()) return before.status();
    if (before->has_value() && **before == "r") continue;
    if (auto s = ApplyQuarantined(state, c, q); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace billing::usage_internal
