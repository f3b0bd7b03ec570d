#pragma once

// Unit prices of billing rules: the increase formulas, and the price as of
// any date replayed from the rule's increase history (docs/contracts.md).
//
// The chain: start from the rule's agreed price; apply, in order of
// effective date (an anniversary before a one-off of the same day, then in
// recording order), every increase not cancelled: recorded ones with the
// parameters they were recorded with, and the anniversaries the rule's
// recurring policy implies but nobody recorded yet ("pending"), computed
// from the reference data. Each step rounds once, half away from zero, to
// six decimals. The price on a date is the chain's after the last step
// effective on or before it.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/contracts.pb.h"
#include "engine/core/dates.h"
#include "engine/core/money.h"
#include "engine/core/state.h"

namespace billing {

// Syntec coefficients are millionths: a + b must equal this.
inline constexpr int64_t kSyntecCoefficientsSum = 1'000'000;
// Percents are basis points: 10000 = 100 %. Increases go up to 1000 %.
inline constexpr int32_t kPercentBpMax = 100'000;
inline constexpr absl::string_view kDefaultIndexCode = "SYNTEC";

// new = old x (a + b x I_new / I_ref), computed exactly in 128 bits and
// rounded half away from zero to millionths: 100.000000 with a = 0.15,
// b = 0.85, I_ref = 270.0, I_new = 280.5 gives 103.305556. Errors:
// InvalidArgument when an index is not positive; OutOfRange on overflow.
absl::StatusOr<int64_t> SyntecRevisedPrice(int64_t old_price_micros,
                                           int64_t a_micros, int64_t b_micros,
                                           int64_t reference_index_micros,
                                           int64_t new_index_micros);

// new = old x (1 + percent_bp / 10000), rounded half away from zero to
// millionths: 100.000000 + 3 % = 103.000000. OutOfRange on overflow.
absl::StatusOr<int64_t> MarkedUpPrice(int64_t old_price_micros,
                                      int32_t percent_bp);

// The price `change` makes of `old_price_micros`: SyntecRevisedPrice with
// its formula and new index for a Syntec change, MarkedUpPrice with its
// percent otherwise. Errors as theirs. Does not check kUnitPriceMicrosMax
// (engine/contracts/limits.h): the callers do, each saying what it means.
absl::StatusOr<int64_t> RevisedPrice(int64_t old_price_micros,
                                     const v1::PriceChange& change);

// A prorated line: quantity x unit price x days / period_days, in the
// currency's minor units, computed exactly in 128 bits and rounded once,
// half away from zero (1.000 x 300.000000 x 50 / 90 = 166.666... -> 166.67
// EUR). Errors: OutOfRange when it does not fit; InvalidArgument when days
// is not in 0..period_days.
absl::StatusOr<int64_t> ProratedAmountMinor(int64_t unit_price_micros,
                                            int64_t quantity_milli, int days,
                                            int period_days,
                                            const Currency& currency);

// a and b each 0..1 and a + b = 1, or InvalidArgument naming
// "<field>.a_micros" / "<field>.b_micros" ("a + b = 0.150000 + 0.800000 =
// 0.950000, not 1").
absl::Status ValidateSyntecCoefficients(const v1::SyntecFormula& formula,
                                        absl::string_view field);

// The anniversaries of the rule's start (one year, two years...) that fall
// after the rule was recorded (created_on) and on or before `through`: the
// agreed price is taken to include the anniversaries before it was
// recorded.
std::vector<BusinessDate> RuleAnniversaries(const v1::BillingRule& rule,
                                            BusinessDate through);

// One step of a replayed history.
struct PriceStep {
  // Old and new prices as replayed. A pending anniversary has seq 0.
  v1::PriceChange change;
  // An anniversary of the policy not recorded yet.
  bool pending = false;
  // Non-empty when the step cannot be computed (no index published, no
  // company markup in force, a new price over kUnitPriceMicrosMax or beyond
  // 64 bits, or an earlier step that failed): prices from its date on are
  // unknown.
  std::string error;
  bool cancelled() const { return !change.cancelled_on().empty(); }
};

struct PriceTimeline {
  int64_t initial_price_micros = 0;
  // The rule's start: the agreed price's effective date.
  std::string start_date;
  // Every recorded entry (cancelled ones too) and pending anniversaries up
  // to the `through` date, in the order they apply.
  std::vector<PriceStep> steps;
};

// Replays the rule's history up to `through` (recorded entries effective
// later are included too, as scheduled). Reads index publications and the
// company markup policy from `state` (partition "@reference"). Errors:
// storage errors, DataLoss.
absl::StatusOr<PriceTimeline> BuildPriceTimeline(const StateReader& state,
                                                 const v1::BillingRule& rule,
                                                 BusinessDate through);

struct PriceInForce {
  int64_t price_micros = 0;
  v1::PriceSource source;
  // The Syntec reference index (I_ref) in force: the policy's, or the I_new
  // of the last Syntec step. 0: none.
  int64_t reference_index_micros = 0;
};

// The price in force on `date` and where it comes from. Errors:
// FailedPrecondition with the step's reason when a step effective on or
// before `date` cannot be computed.
absl::StatusOr<PriceInForce> PriceAsOf(const PriceTimeline& timeline,
                                       const v1::BillingRule& rule,
                                       BusinessDate date);

// The formula of the revision the price `source` names came from, with its
// values, for a person to check by hand (invoicing's detail per line):
//   Syntec: "P = P0 x (0.15 + 0.85 x SYNTEC 2026-01-31 / SYNTEC agreed)
//            = 200.00 x (0.15 + 0.85 x 276.5 / 270) = 203.027778"
//            (I_ref is the previous Syntec step's publication, or the
//            reference the price was agreed at)
//   percent: "P = P0 x (1 + 3.00 %) = 100.00 x 1.03 = 103.000000"
//            (company markup or custom percent)
// followed by the step (" (increase #2 of 2026-03-01)", " (anniversary
// 2027-01-01, pending)"). "" for the agreed price, a new price given, or a
// source no step of `timeline` matches.
std::string RevisionFormula(const PriceTimeline& timeline,
                            const v1::PriceSource& source);

// The rule's increase history as of `as_of` (ContractService
// GetIncreaseHistory): every recorded entry with replayed prices, the
// pending anniversaries up to the date, which entries are still scheduled,
// and the price in force on the date (or why it cannot be computed).
absl::StatusOr<v1::IncreaseHistory> IncreaseHistoryAsOf(
    const StateReader& state, const v1::BillingRule& rule, BusinessDate as_of);

}  // namespace billing
