#pragma once

// Pieces of the usage domain its own files share (usage.cc: the commands;
// records.cc: deciding and applying call detail records, one or a batch).
// Not for other domains: they go through engine/usage/usage.h.

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/v1/state.pb.h"
#include "billing/v1/usage.pb.h"
#include "engine/core/dates.h"
#include "engine/core/domain.h"
#include "engine/core/state.h"

namespace billing::usage_internal {

// Key families of the usage domain (engine/core/keys.h lists the others):
//   uplan/<customer>/<plan>/<effective_from, 20-digit unix seconds>
//                                             billing.v1.RatePlanVersion
//   uassign/<customer>/<object>               plan_id
//   useen/<customer>/<platform>/<record_id>   "r" recorded, "q" quarantined
//   utot/<customer>/<month>/<object>/<kind>/<zone>  billing.v1.UsageTotals
//   urec/<customer>/<month>/<object>/<platform>/<record_id>
//                                             billing.v1.UsageRecorded
//   uquar/<customer>/<platform>/<record_id>   billing.v1.UsageQuarantined
inline constexpr absl::string_view kPlanPrefix = "uplan/";
inline constexpr absl::string_view kAssignPrefix = "uassign/";
inline constexpr absl::string_view kSeenPrefix = "useen/";
inline constexpr absl::string_view kTotalsPrefix = "utot/";
inline constexpr absl::string_view kRecordPrefix = "urec/";
inline constexpr absl::string_view kQuarantinePrefix = "uquar/";

inline constexpr absl::string_view kRecordedType = "usage.recorded";
inline constexpr absl::string_view kQuarantinedType = "usage.quarantined";
inline constexpr absl::string_view kBatchRecordedType = "usage.batch_recorded";
inline constexpr absl::string_view kReratedType = "usage.rerated";

std::string PlanPrefix(absl::string_view c, absl::string_view plan);
std::string SeenKey(absl::string_view c, const v1::UsageRecord& r);
std::string QuarantineKey(absl::string_view c, const v1::UsageRecord& r);
std::string MonthPrefix(absl::string_view family, absl::string_view c,
                        absl::string_view month, absl::string_view object);
// urec/...: where a rated record is kept.
std::string RecordKey(absl::string_view c, const v1::UsageRecorded& u);
// utot/<customer>/<month>/<object>/<kind>/<zone>: the totals a rated record
// adds to. The zone is the entry's label, else its prefix.
std::string TotalsKey(absl::string_view c, const v1::UsageRecorded& u);

absl::StatusOr<std::vector<v1::RatePlanVersion>> PlanVersions(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view plan_id);

// Adds the record `u` to `t`, in place: the one rule for decide (which
// quarantines a record that fails it) and apply (which then never sees
// one). Every sum is checked first: OutOfRange naming the field whose month
// total would overflow, or that is negative (never decided; only a damaged
// event holds one), and `t` is left as it was.
absl::Status AddToTotals(const v1::UsageRecorded& u, v1::UsageTotals& t);

// `t` with one record's rating `old` replaced by `now` (rerating.cc): the
// billed quantity and amount move by the difference, rerated_amount_micros
// by now - old; records and quantity stay. The one rule for decide (which
// keeps a record that fails it) and apply. OutOfRange naming the field
// that would overflow or become negative.
absl::StatusOr<v1::UsageTotals> ReratedTotals(v1::UsageTotals t,
                                              const v1::RatedUsage& old,
                                              const v1::RatedUsage& now);

// How deciding one record came out.
struct RecordDecision {
  enum class Kind {
    kRated,        // `recorded` holds the rating
    kQuarantined,  // `quarantined` holds the reason
    kDuplicate,    // billed before: `refusal` is RECORD_ALREADY_BILLED
    kHeld,         // quarantined before (a batch keeps it so): `reason`
    kRefused,      // its fields, or an object not the customer's: `refusal`
  };
  Kind kind = Kind::kRefused;
  v1::UsageRecorded recorded;
  v1::UsageQuarantined quarantined;
  absl::Status refusal;
  std::string reason;
};

// Decides records of one customer, one after the other, each against the
// state plus the records decided before it here. What deciding reads beyond
// the record (its object, the object's month, its plan and versions, time
// zones, the totals it adds to) is read once per context: a batch of
// records costs one point lookup each (its id), not a dozen. Not
// thread-safe; the state must not change while it is in use.
class RecordContext {
 public:
  // `memo`: null (this context reads for itself), or kept by the caller as
  // UsageDecideMemo says.
  RecordContext(const StateReader& state, absl::string_view customer_id,
                const TimeZoneResolver& zones,
                UsageDecideMemo* memo = nullptr)
      : state_(state),
        customer_id_(customer_id),
        zones_(zones),
        memo_(memo),
        read_(memo != nullptr ? memo->Of(customer_id) : own_) {}

  // `keep_held`: a record quarantined before stays so (kHeld, the batch's
  // rule: a resent record is answered, not re-rated); otherwise it is rated
  // again (record_usage: the replay of a customer's quarantine). Errors:
  // the state's.
  absl::StatusOr<RecordDecision> Decide(const v1::UsageRecord& r,
                                        bool keep_held);

  // A rated record rated again (rerating.cc) on the plan that rated it,
  // `u.rated().plan_id()` (not the object's plan now: an assignment holds
  // from its day on), with that plan's versions as the state holds them:
  // "" and `u.rated()` replaced, or the reason it cannot be rated now (as
  // PriceOf gives it). Errors: the state's.
  absl::StatusOr<std::string> RateAgain(v1::UsageRecorded& u);

 private:
  // The object `object` names, nullptr when it is not the customer's.
  absl::StatusOr<const v1::BillableObject*> Object(absl::string_view object);
  // Whether the object existed in `month` (it has an assignment then).
  static bool ExistedIn(const v1::BillableObject& object,
                        absl::string_view month);
  absl::StatusOr<const std::string*> PlanOf(const v1::BillableObject& object);
  absl::StatusOr<const std::vector<v1::RatePlanVersion>*> Versions(
      const std::string& plan_id);
  const absl::StatusOr<absl::TimeZone>& Zone(const std::string& name);
  // The month's totals `u` adds to, as this context has them.
  absl::StatusOr<v1::UsageTotals*> Totals(const std::string& key);
  // "" (new), "r" or "q", with this context's own decisions.
  absl::StatusOr<std::string> Seen(const std::string& key);
  // Rates `u.record()` on `object`: "" when billed (and added to the
  // totals), else the reason it is quarantined with.
  absl::StatusOr<std::string> Rate(const v1::BillableObject& object,
                                   v1::UsageRecorded& u);
  absl::StatusOr<std::string> PriceOf(const v1::BillableObject& object,
                                      v1::UsageRecorded& u);
  // PriceOf once the plan is known.
  absl::StatusOr<std::string> PriceOnPlan(const std::string& plan_id,
                                          v1::UsageRecorded& u);

  const StateReader& state_;
  const std::string customer_id_;
  const TimeZoneResolver& zones_;
  UsageDecideMemo* const memo_;
  UsageDecideMemo::Customer own_;
  UsageDecideMemo::Customer& read_;  // objects, plans, versions
  absl::flat_hash_map<std::string, absl::StatusOr<absl::TimeZone>> zones_seen_;
  absl::flat_hash_map<std::string, v1::UsageTotals> totals_;
  absl::flat_hash_map<std::string, std::string> seen_;
};

// RecordUsage: the record's events, or its rejection.
absl::StatusOr<std::vector<v1::EventEnvelope>> DecideRecord(
    const StateReader& state, absl::string_view customer_id,
    const v1::RecordUsage& command, BusinessDate date,
    const TimeZoneResolver& zones, UsageDecideMemo* memo);

// RecordUsageBatch: one usage.batch_recorded event with every record's
// outcome.
absl::StatusOr<std::vector<v1::EventEnvelope>> DecideRecordBatch(
    const StateReader& state, absl::string_view customer_id,
    const v1::RecordUsageBatch& command, BusinessDate date,
    const TimeZoneResolver& zones, UsageDecideMemo* memo);

absl::Status ApplyRecorded(StateWriter& state, absl::string_view c,
                           const v1::UsageRecorded& u);
absl::Status ApplyQuarantined(StateWriter& state, absl::string_view c,
                              const v1::UsageQuarantined& q);
absl::Status ApplyBatchRecorded(StateWriter& state, absl::string_view c,
                                const v1::UsageBatchRecorded& b);

// RerateUsage (rerating.cc): one usage.rerated event, or its rejection.
absl::StatusOr<std::vector<v1::EventEnvelope>> DecideRerate(
    const StateReader& state, absl::string_view customer_id,
    const v1::RerateUsage& command, BusinessDate date,
    const TimeZoneResolver& zones);
// Replaces each re-rated record's rating and moves its totals. DataLoss
// when a record is missing, does not hold the old amount the event names,
// or would change zone: decide never writes such an event.
absl::Status ApplyRerated(StateWriter& state, absl::string_view c,
                          const v1::UsageRerated& r);

}  // namespace billing::usage_internal
