// Re-rating a month's rated records after a plan version was corrected
// (RerateUsage, usage.rerated): decide rates each record again with the
// plan versions the state holds now and keeps, in the event, the new rating
// of each record that changed; apply replaces the stored rating and moves
// the month's totals. The first rating stays in the log (usage.recorded or
// usage.batch_recorded), replay never re-rates: it applies the ratings the
// events carry. docs/usage.md, "Re-rating".
#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/keys.h"
#include "engine/core/validation.h"
#include "engine/structure/structure.h"
#include "engine/usage/usage.h"
#include "engine/usage/usage_internal.h"
#include "google/protobuf/util/message_differencer.h"

namespace billing::usage_internal {

absl::StatusOr<v1::UsageTotals> ReratedTotals(v1::UsageTotals t,
                                              const v1::RatedUsage& old,
                                              const v1::RatedUsage& now) {
  // (field, total, what leaves, what comes)
  auto move = [&](absl::string_view field, int64_t total, int64_t out,
                  int64_t in, int64_t& result) -> absl::Status {
    int64_t less;
    if (!__builtin_sub_overflow(total, out, &less) && less >= 0 && in >= 0 &&
        !__builtin_add_overflow(less, in, &result)) {
      return absl::OkStatus();
    }
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: %d in place of %d does not fit the month's total %d of object "
        "%s (%s, zone %s, %s)",
        field, in, out, total, QuoteValue(t.object_id()),
        v1::UsageKind_Name(t.kind()), QuoteValue(t.zone()), t.month()));
  };
  int64_t billed, amount, delta, rerated;
  for (const absl::Status& s :
       {move("rated.billed_quantity", t.billed_quantity(),
             old.billed_quantity(), now.billed_quantity(), billed),
        move("rated.amount_micros", t.amount_micros(), old.amount_micros(),
             now.amount_micros(), amount)}) {
    if (!s.ok()) return s;
  }
  if (__builtin_sub_overflow(now.amount_micros(), old.amount_micros(),
                             &delta) ||
      __builtin_add_overflow(t.rerated_amount_micros(), delta, &rerated)) {
    return absl::OutOfRangeError(absl::StrFormat(
        "rated.amount_micros: the month's re-rated total %d of object %s "
        "overflows",
        t.rerated_amount_micros(), QuoteValue(t.object_id())));
  }
  t.set_billed_quantity(billed);
  t.set_amount_micros(amount);
  t.set_rerated_amount_micros(rerated);
  return t;
}

absl::StatusOr<std::string> RecordContext::RateAgain(v1::UsageRecorded& u) {
  return PriceOnPlan(u.rated().plan_id(), u);
}

namespace {

std::string ZoneOf(const v1::RatedUsage& r) {
  return r.zone_label().empty() ? r.matched_prefix() : r.zone_label();
}

// "<object_id>/<platform_id>/<record_id>": a record's key after its month's
// prefix, the cursor of RerateUsage.after.
std::string CursorOf(const v1::UsageRecorded& u) {
  return absl::StrCat(u.object_id(), "/", u.record().platform_id(), "/",
                      u.record().record_id());
}

// The command's fields, in kOrder after the customer; NotFound for an
// object the customer does not have.
absl::Status ValidateRerate(const StateReader& state, absl::string_view c,
                            const v1::RerateUsage& command) {
  namespace r = rerate_usage;
  if (auto m = ParseBillingMonth(command.month(), "rerate_usage.month");
      !m.ok()) {
    return Named(r::kMonthInvalid, m.status());
  }
  if (!command.object_id().empty()) {
    if (auto s =
            ValidateObjectId("rerate_usage.object_id", command.object_id());
        !s.ok()) {
      return Named(r::kObjectIdInvalid, s);
    }
    auto object = LoadObject(state, c, command.object_id());
    if (!object.ok()) return object.status();
    if (!object->has_value()) {
      return Reject(
          r::kObjectNotFound,
          absl::StrFormat("rerate_usage.object_id: %s is not an "
                          "object of customer %s",
                          QuoteValue(command.object_id()), QuoteValue(c)));
    }
  }
  if (auto s = ValidateText("rerate_usage.reason", command.reason(), 1,
                            kRerateReasonLengthMax);
      !s.ok()) {
    return Named(r::kReasonInvalid, s);
  }
  const std::string& after = command.after();
  if (after.size() > kRerateCursorBytesMax ||
      (!command.object_id().empty() && !after.empty() &&
       !absl::StartsWith(after, absl::StrCat(command.object_id(), "/")))) {
    return Reject(
        r::kAfterInvalid,
        absl::StrFormat("rerate_usage.after: %s is not a cursor "
                        "of object %s (at most %d bytes, as a "
                        "previous answer's rerate_next gives it)",
                        QuoteValue(after), QuoteValue(command.object_id()),
                        kRerateCursorBytesMax));
  }
  return absl::OkStatus();
}

// Re-rates the records of one command, in key order, into `e`.
class Rerater {
 public:
  Rerater(const StateReader& state, absl::string_view c,
          const TimeZoneResolver& zones, v1::UsageRerated& e)
      : state_(state), c_(c), context_(state, c, zones), e_(e) {}

  // One record: changed (its new rating in the event), unchanged, or kept
  // with a reason.
  absl::Status Examine(const v1::UsageRecorded& stored) {
    e_.set_examined(e_.examined() + 1);
    v1::UsageRecorded u = stored;
    auto reason = context_.RateAgain(u);
    if (!reason.ok()) return reason.status();
    if (reason->empty() && ZoneOf(u.rated()) != ZoneOf(stored.rated())) {
      *reason = absl::StrFormat(
          "its zone would change from %s to %s: a re-rating corrects "
          "prices, not zones",
          QuoteValue(ZoneOf(stored.rated())), QuoteValue(ZoneOf(u.rated())));
    }
    if (reason->empty()) {
      if (google::protobuf::util::MessageDifferencer::Equals(u.rated(),
                                                             stored.rated())) {
        return absl::OkStatus();
      }
      auto moved = MoveTotals(stored, u.rated());
      if (!moved.ok()) return moved.status();
      if (moved->empty()) return AddChanged(stored, u);
      *reason = std::move(*moved);
    }
    v1::RecordNotRerated* kept = e_.add_kept();
    kept->set_object_id(stored.object_id());
    kept->set_platform_id(stored.record().platform_id());
    kept->set_record_id(stored.record().record_id());
    kept->set_reason(absl::StrCat("keeps its rating: ", *reason));
    bytes_ += kept->ByteSizeLong();
    return absl::OkStatus();
  }

  bool Full() const { return bytes_ >= kRerateEventBytesMax; }

 private:
  // The month's totals with the record's rating replaced, kept for the
  // command's next records: "" or the reason they would not fit.
  absl::StatusOr<std::string> MoveTotals(const v1::UsageRecorded& stored,
                                         const v1::RatedUsage& now) {
    const std::string key = TotalsKey(c_, stored);
    auto it = totals_.find(key);
    if (it == totals_.end()) {
      auto t = GetMessage<v1::UsageTotals>(state_, key);
      if (!t.ok()) return t.status();
      it = totals_.emplace(key, t->value_or(v1::UsageTotals())).first;
    }
    auto moved = ReratedTotals(it->second, stored.rated(), now);
    if (!moved.ok()) return std::string(moved.status().message());
    it->second = std::move(*moved);
    return std::string();
  }

  absl::Status AddChanged(const v1::UsageRecorded& stored,
                          v1::UsageRecorded& u) {
    v1::RecordRerated* r = e_.add_rerated();
    r->set_object_id(stored.object_id());
    r->set_platform_id(stored.record().platform_id());
    r->set_record_id(stored.record().record_id());
    r->set_old_amount_micros(stored.rated().amount_micros());
    r->set_old_billed_quantity(stored.rated().billed_quantity());
    *r->mutable_rated() = std::move(*u.mutable_rated());
    bytes_ += r->ByteSizeLong();
    return absl::OkStatus();
  }

  const StateReader& state_;
  const std::string c_;
  RecordContext context_;
  v1::UsageRerated& e_;
  absl::flat_hash_map<std::string, v1::UsageTotals> totals_;
  size_t bytes_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideRerate(
    const StateReader& state, absl::string_view customer_id,
    const v1::RerateUsage& command, BusinessDate date,
    const TimeZoneResolver& zones) {
  if (auto s = ValidateRerate(state, customer_id, command); !s.ok()) return s;
  v1::EventEnvelope envelope = NewEvent(kReratedType, customer_id, date);
  v1::UsageRerated& e = *envelope.mutable_usage()->mutable_rerated();
  e.set_month(command.month());
  e.set_object_id(command.object_id());
  e.set_reason(command.reason());
  e.set_after(command.after());
  Rerater rerater(state, customer_id, zones, e);
  const std::string all =
      MonthPrefix(kRecordPrefix, customer_id, command.month(), "");
  std::string last;
  absl::Status s = ForEachKeyedMessage<v1::UsageRecorded>(
      state,
      MonthPrefix(kRecordPrefix, customer_id, command.month(),
                  command.object_id()),
      command.after().empty() ? "" : absl::StrCat(all, command.after()),
      [&](absl::string_view, v1::UsageRecorded u) -> absl::StatusOr<bool> {
        if (e.examined() >= kRerateRecordsMax || rerater.Full()) {
          e.set_next(last);  // more follow: the next command's cursor
          return false;
        }
        if (auto examined = rerater.Examine(u); !examined.ok()) {
          return examined;
        }
        last = CursorOf(u);
        return true;
      });
  if (!s.ok()) return s;
  if (e.examined() == 0) {
    return Reject(
        rerate_usage::kNothingToRerate,
        absl::StrFormat(
            "rerate_usage: customer %s has no rated record in %s%s%s",
            QuoteValue(customer_id), command.month(),
            command.object_id().empty()
                ? ""
                : absl::StrCat(" of object ", QuoteValue(command.object_id())),
            command.after().empty()
                ? ""
                : absl::StrCat(" after ", QuoteValue(command.after()))));
  }
  return OnlyEvent(std::move(envelope));
}

namespace {

absl::Status DamagedRerating(const v1::RecordRerated& r,
                             absl::string_view why) {
  return absl::DataLossError(absl::StrFormat(
      "usage.rerated: record %s/%s of object %s %s",
      absl::CHexEscape(r.platform_id()), absl::CHexEscape(r.record_id()),
      QuoteValue(r.object_id()), why));
}

}  // namespace

absl::Status ApplyRerated(StateWriter& state, absl::string_view c,
                          const v1::UsageRerated& e) {
  for (const v1::RecordRerated& r : e.rerated()) {
    const std::string key =
        absl::StrCat(MonthPrefix(kRecordPrefix, c, e.month(), r.object_id()),
                     r.platform_id(), "/", r.record_id());
    auto stored = GetMessage<v1::UsageRecorded>(state, key);
    if (!stored.ok()) return stored.status();
    // Decide re-rated what it read in the same order: another amount here
    // is a damaged or foreign event, and stops the projection.
    if (!stored->has_value()) return DamagedRerating(r, "is not rated");
    v1::UsageRecorded& u = **stored;
    if (u.rated().amount_micros() != r.old_amount_micros() ||
        u.rated().billed_quantity() != r.old_billed_quantity()) {
      return DamagedRerating(
          r, absl::StrFormat("holds %d micros, not the %d re-rated",
                             u.rated().amount_micros(), r.old_amount_micros()));
    }
    if (ZoneOf(u.rated()) != ZoneOf(r.rated())) {
      return DamagedRerating(r, "would change zone");
    }
    const std::string totals_key = TotalsKey(c, u);
    auto totals = GetMessage<v1::UsageTotals>(state, totals_key);
    if (!totals.ok()) return totals.status();
    auto moved = ReratedTotals(totals->value_or(v1::UsageTotals()), u.rated(),
                               r.rated());
    if (!moved.ok()) return DamagedRerating(r, moved.status().message());
    *u.mutable_rated() = r.rated();
    PutMessage(state, key, u);
    PutMessage(state, totals_key, *moved);
  }
  return absl::OkStatus();
}

}  // namespace billing::usage_internal
