#include "engine/contracts/prices.h"

#include <algorithm>
#include <limits>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/schedule.h"
#include "engine/contracts/store.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

constexpr int64_t kBpPerUnit = 10'000;

// |num| / den rounded half away from zero, with the sign of num; den > 0.
absl::int128 DivRoundHalfAway(absl::int128 num, absl::int128 den) {
  const bool negative = num < 0;
  const absl::int128 magnitude = negative ? -num : num;
  absl::int128 q = magnitude / den;
  const absl::int128 r = magnitude % den;
  if (r * 2 >= den) ++q;
  return negative ? -q : q;
}

absl::StatusOr<int64_t> ToInt64(absl::int128 v) {
  if (v > std::numeric_limits<int64_t>::max() ||
      v < std::numeric_limits<int64_t>::min()) {
    return absl::OutOfRangeError("price does not fit in 64 bits");
  }
  return static_cast<int64_t>(v);
}

// a x b, or OutOfRange when it would not fit in 127 bits.
absl::StatusOr<absl::int128> Multiply(absl::int128 a, absl::int128 b) {
  const absl::int128 abs_a = a < 0 ? -a : a;
  const absl::int128 abs_b = b < 0 ? -b : b;
  if (abs_a != 0 && abs_b > absl::Int128Max() / abs_a) {
    return absl::OutOfRangeError("price computation overflows 128 bits");
  }
  return a * b;
}

int OriginRank(v1::IncreaseOrigin origin) {
  return origin == v1::INCREASE_ORIGIN_ANNIVERSARY ? 0 : 1;
}

std::string IndexCodeOf(const v1::SyntecFormula& f) {
  return f.index_code().empty() ? std::string(kDefaultIndexCode)
                                : f.index_code();
}

// Fills a pending anniversary's parameters from the policy and the
// reference data on its date (the index, the company markup), or sets its
// error. Errors: storage errors only.
absl::Status ResolvePendingStep(const StateReader& state,
                                const v1::RecurringIncrease& policy,
                                int64_t reference_index, PriceStep& step) {
  v1::PriceChange& c = step.change;
  auto date = ParseBusinessDate(c.effective_date(), "effective_date");
  if (!date.ok()) return date.status();
  if (c.kind() == v1::INCREASE_KIND_SYNTEC) {
    *c.mutable_syntec() = policy.syntec();
    c.mutable_syntec()->set_index_code(IndexCodeOf(policy.syntec()));
    c.mutable_syntec()->set_reference_index_micros(reference_index);
    auto published =
        LatestIndexOnOrBefore(state, c.syntec().index_code(), *date);
    if (!published.ok()) return published.status();
    if (reference_index <= 0) {
      step.error = absl::StrFormat(
          "anniversary %s: the rule has no Syntec reference index",
          c.effective_date());
    } else if (!published->has_value()) {
      step.error = absl::StrFormat(
          "anniversary %s: no %s index published on or before %s",
          c.effective_date(), c.syntec().index_code(), c.effective_date());
    } else {
      c.set_new_index_micros((*published)->value_micros());
      c.set_new_index_date((*published)->publication_date());
    }
    return absl::OkStatus();
  }
  if (c.kind() == v1::INCREASE_KIND_COMPANY_MARKUP) {
    auto markup = CompanyMarkupInForce(state, *date);
    if (!markup.ok()) return markup.status();
    if (!markup->has_value()) {
      step.error =
          absl::StrFormat("anniversary %s: no company markup in force on %s",
                          c.effective_date(), c.effective_date());
    } else {
      c.set_percent_bp((*markup)->percent_bp());
    }
    return absl::OkStatus();
  }
  c.set_percent_bp(policy.percent_bp());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> SyntecRevisedPrice(int64_t old_price_micros,
                                           int64_t a_micros, int64_t b_micros,
                                           int64_t reference_index_micros,
                                           int64_t new_index_micros) {
  if (reference_index_micros <= 0 || new_index_micros <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Syntec indexes must be positive (I_ref %s, I_new %s)",
        FormatMicros(reference_index_micros), FormatMicros(new_index_micros)));
  }
  // old x (a x I_ref + b x I_new) / (1e6 x I_ref): one division, one
  // rounding. a x I_ref and b x I_new are below 2^(20+63): no overflow.
  const absl::int128 factor = absl::int128(a_micros) * reference_index_micros +
                              absl::int128(b_micros) * new_index_micros;
  auto numerator = Multiply(old_price_micros, factor);
  if (!numerator.ok()) return numerator.status();
  const absl::int128 denominator =
      absl::int128(kMicrosPerUnit) * reference_index_micros;
  return ToInt64(DivRoundHalfAway(*numerator, denominator));
}

absl::StatusOr<int64_t> MarkedUpPrice(int64_t old_price_micros,
                                      int32_t percent_bp) {
  auto numerator =
      Multiply(old_price_micros, absl::int128(kBpPerUnit) + percent_bp);
  if (!numerator.ok()) return numerator.status();
  return ToInt64(DivRoundHalfAway(*numerator, kBpPerUnit));
}

absl::StatusOr<int64_t> RevisedPrice(int64_t old_price_micros,
                                     const v1::PriceChange& change) {
  if (change.kind() == v1::INCREASE_KIND_SYNTEC) {
    return SyntecRevisedPrice(old_price_micros, change.syntec().a_micros(),
                              change.syntec().b_micros(),
                              change.syntec().reference_index_micros(),
                              change.new_index_micros());
  }
  // A new price is the price given, whatever the old one.
  if (change.kind() == v1::INCREASE_KIND_NEW_PRICE) {
    return change.new_price_micros();
  }
  return MarkedUpPrice(old_price_micros, change.percent_bp());
}

absl::StatusOr<int64_t> ProratedAmountMinor(int64_t unit_price_micros,
                                            int64_t quantity_milli, int days,
                                            int period_days,
                                            const Currency& currency) {
  if (period_days <= 0 || days < 0 || days > period_days) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%d of %d days is not a proration", days, period_days));
  }
  absl::int128 minor_per_unit = 1;
  for (int i = 0; i < currency.exponent; ++i) minor_per_unit *= 10;
  // |quantity x price| < 2^126; the bound keeps the rest inside 2^127.
  const absl::int128 product = absl::int128(quantity_milli) * unit_price_micros;
  const absl::int128 factor = minor_per_unit * days;
  const absl::int128 bound = std::numeric_limits<absl::int128>::max() / factor;
  if (product > bound || product < -bound) {
    return absl::OutOfRangeError("a prorated amount beyond 128 bits");
  }
  const absl::int128 denominator =
      absl::int128(kMilliPerUnit) * kMicrosPerUnit * period_days;
  return ToInt64(DivRoundHalfAway(product * factor, denominator));
}

absl::Status ValidateSyntecCoefficients(const v1::SyntecFormula& f,
                                        absl::string_view field) {
  for (auto [name, value] :
       {std::pair<const char*, int64_t>{"a_micros", f.a_micros()},
        {"b_micros", f.b_micros()}}) {
    if (value < 0 || value > kSyntecCoefficientsSum) {
      return FieldError(
          absl::StrFormat("%s.%s", field, name),
          absl::StrFormat("%s is not between 0 and 1", FormatMicros(value)));
    }
  }
  if (f.a_micros() + f.b_micros() != kSyntecCoefficientsSum) {
    return FieldError(
        absl::StrFormat("%s.b_micros", field),
        absl::StrFormat("a + b = %s + %s = %s, not 1",
                        FormatMicros(f.a_micros()), FormatMicros(f.b_micros()),
                        FormatMicros(f.a_micros() + f.b_micros())));
  }
  return absl::OkStatus();
}

std::vector<BusinessDate> RuleAnniversaries(const v1::BillingRule& rule,
                                            BusinessDate through) {
  std::vector<BusinessDate> out;
  auto start = ParseBusinessDate(rule.start_date(), "start_date");
  if (!start.ok()) return out;
  auto created = ParseBusinessDate(rule.created_on(), "created_on");
  for (int years = 1;; ++years) {
    const BusinessDate a = AddMonthsClamped(*start, 12 * years);
    if (a > through) break;
    if (created.ok() && a <= *created) continue;
    out.push_back(a);
  }
  return out;
}

namespace {

// The anniversaries of the rule's policy up to `through` that no recorded
// entry stands for.
void AddPendingAnniversaries(const v1::BillingRule& rule, BusinessDate through,
                             std::vector<PriceStep>& steps) {
  const v1::RecurringIncrease& policy = rule.recurring_increase();
  if (policy.kind() == v1::INCREASE_KIND_UNSPECIFIED) return;
  for (BusinessDate a : RuleAnniversaries(rule, through)) {
    const std::string date = FormatBusinessDate(a);
    const bool recorded =
        std::any_of(rule.price_history().begin(), rule.price_history().end(),
                    [&](const v1::PriceChange& c) {
                      return c.origin() == v1::INCREASE_ORIGIN_ANNIVERSARY &&
                             c.anniversary_date() == date;
                    });
    if (recorded) continue;
    PriceStep step;
    step.pending = true;
    step.change.set_effective_date(date);
    step.change.set_anniversary_date(date);
    step.change.set_kind(policy.kind());
    step.change.set_origin(v1::INCREASE_ORIGIN_ANNIVERSARY);
    step.change.set_reason("anniversary increase by the rule's policy");
    steps.push_back(std::move(step));
  }
}

// By effective date, an anniversary before a one-off of the same day, then
// in recording order.
void SortSteps(std::vector<PriceStep>& steps) {
  std::stable_sort(steps.begin(), steps.end(),
                   [](const PriceStep& x, const PriceStep& y) {
                     const auto& a = x.change;
                     const auto& b = y.change;
                     if (a.effective_date() != b.effective_date()) {
                       return a.effective_date() < b.effective_date();
                     }
                     if (OriginRank(a.origin()) != OriginRank(b.origin())) {
                       return OriginRank(a.origin()) < OriginRank(b.origin());
                     }
                     return a.seq() < b.seq();
                   });
}

// The price `step` makes of `price`, or its error ("<date> increase: ...").
absl::StatusOr<int64_t> StepPrice(int64_t price, const PriceStep& step) {
  const v1::PriceChange& c = step.change;
  absl::StatusOr<int64_t> next = RevisedPrice(price, c);
  if (next.ok() && *next > kUnitPriceMicrosMax) {
    next = absl::OutOfRangeError(absl::StrFormat(
        "the new price %s is over the maximum unit price %s",
        FormatMicros(*next), FormatMicros(kUnitPriceMicrosMax)));
  }
  if (next.ok()) return next;
  return absl::OutOfRangeError(absl::StrFormat(
      "%s %s: %s", c.effective_date(),
      step.pending ? "anniversary" : "increase", next.status().message()));
}

// Replays the sorted steps from the agreed price: old and new prices of
// each, pending ones resolved from the reference data; from the first step
// that cannot be computed on, every step carries an error.
absl::Status ReplaySteps(const StateReader& state, const v1::BillingRule& rule,
                         std::vector<PriceStep>& steps) {
  const v1::RecurringIncrease& policy = rule.recurring_increase();
  int64_t price = rule.unit_price_micros();
  int64_t reference_index = policy.kind() == v1::INCREASE_KIND_SYNTEC
                                ? policy.syntec().reference_index_micros()
                                : 0;
  std::string failed;  // the first error; every later step inherits it
  for (PriceStep& step : steps) {
    v1::PriceChange& c = step.change;
    if (!failed.empty()) {
      step.error = absl::StrFormat(
          "follows an increase that cannot be "
          "computed (%s)",
          failed);
      c.clear_old_price_micros();
      c.clear_new_price_micros();
      continue;
    }
    if (step.pending) {
      if (auto st = ResolvePendingStep(state, policy, reference_index, step);
          !st.ok()) {
        return st;
      }
    }
    if (!step.error.empty()) {
      failed = step.error;
      continue;
    }
    auto next = StepPrice(price, step);
    if (!next.ok()) {
      step.error = std::string(next.status().message());
      failed = step.error;
      continue;
    }
    c.set_old_price_micros(price);
    c.set_new_price_micros(*next);
    if (step.cancelled()) continue;
    price = *next;
    if (c.kind() == v1::INCREASE_KIND_SYNTEC) {
      reference_index = c.new_index_micros();
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PriceTimeline> BuildPriceTimeline(const StateReader& state,
                                                 const v1::BillingRule& rule,
                                                 BusinessDate through) {
  PriceTimeline timeline;
  timeline.initial_price_micros = rule.unit_price_micros();
  timeline.start_date = rule.start_date();
  for (const v1::PriceChange& c : rule.price_history()) {
    PriceStep step;
    step.change = c;
    timeline.steps.push_back(std::move(step));
  }
  AddPendingAnniversaries(rule, through, timeline.steps);
  SortSteps(timeline.steps);
  if (auto s = ReplaySteps(state, rule, timeline.steps); !s.ok()) return s;
  return timeline;
}

absl::StatusOr<PriceInForce> PriceAsOf(const PriceTimeline& timeline,
                                       const v1::BillingRule& rule,
                                       BusinessDate date) {
  PriceInForce out;
  out.price_micros = timeline.initial_price_micros;
  out.source.set_effective_date(timeline.start_date);
  out.reference_index_micros =
      rule.recurring_increase().kind() == v1::INCREASE_KIND_SYNTEC
          ? rule.recurring_increase().syntec().reference_index_micros()
          : 0;
  const std::string day = FormatBusinessDate(date);
  for (const PriceStep& step : timeline.steps) {
    const v1::PriceChange& c = step.change;
    if (c.effective_date() > day) break;
    if (!step.error.empty()) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "rule %s/%s: price as of %s unknown: %s", rule.contract_ref(),
          rule.rule_id(), day, step.error));
    }
    if (step.cancelled()) continue;
    out.price_micros = c.new_price_micros();
    out.source.set_seq(c.seq());
    out.source.set_effective_date(c.effective_date());
    out.source.set_kind(c.kind());
    out.source.set_origin(c.origin());
    out.source.set_pending(step.pending);
    if (c.kind() == v1::INCREASE_KIND_SYNTEC) {
      out.reference_index_micros = c.new_index_micros();
    }
  }
  return out;
}

absl::StatusOr<v1::IncreaseHistory> IncreaseHistoryAsOf(
    const StateReader& state, const v1::BillingRule& rule, BusinessDate as_of) {
  auto timeline = BuildPriceTimeline(state, rule, as_of);
  if (!timeline.ok()) return timeline.status();
  v1::IncreaseHistory out;
  out.set_contract_ref(rule.contract_ref());
  out.set_rule_id(rule.rule_id());
  const std::string day = FormatBusinessDate(as_of);
  out.set_as_of_date(day);
  out.set_initial_price_micros(timeline->initial_price_micros);
  for (const PriceStep& step : timeline->steps) {
    v1::IncreaseHistoryEntry* e = out.add_entries();
    *e->mutable_change() = step.change;
    e->set_pending(step.pending);
    e->set_scheduled(step.change.effective_date() > day);
  }
  auto price = PriceAsOf(*timeline, rule, as_of);
  if (price.ok()) {
    out.set_price_micros(price->price_micros);
    *out.mutable_price_source() = price->source;
  } else {
    out.set_price_error(std::string(price.status().message()));
  }
  return out;
}

namespace {

// Micros without trailing zeros, keeping `decimals_min`: 0.150000 ->
// "0.15", 270.000000 -> "270", with 2: 200.000000 -> "200.00".
std::string Trimmed(int64_t micros, size_t decimals_min) {
  std::string text = FormatMicros(micros);
  const size_t dot = text.find('.');
  size_t keep = text.size();
  while (keep > dot + 1 + decimals_min && text[keep - 1] == '0') --keep;
  if (keep == dot + 1) --keep;  // no decimals left: drop the dot
  return text.substr(0, keep);
}

// The index publication I_ref stands for: the previous Syntec step's.
std::string ReferenceLabel(const std::vector<PriceStep>& steps, size_t at,
                           const std::string& index) {
  for (size_t i = at; i-- > 0;) {
    const PriceStep& s = steps[i];
    if (s.cancelled() || s.change.kind() != v1::INCREASE_KIND_SYNTEC) continue;
    return absl::StrCat(index, " ", s.change.new_index_date());
  }
  return absl::StrCat(index, " agreed");
}

std::string StepLabel(const PriceStep& step) {
  const v1::PriceChange& c = step.change;
  if (step.pending) {
    return absl::StrFormat(" (anniversary %s, pending)", c.effective_date());
  }
  return absl::StrFormat(" (increase #%d of %s)", c.seq(), c.effective_date());
}

std::string SyntecFormula(const std::vector<PriceStep>& steps, size_t at) {
  const v1::PriceChange& c = steps[at].change;
  const v1::SyntecFormula& f = c.syntec();
  const std::string index =
      f.index_code().empty() ? std::string(kDefaultIndexCode) : f.index_code();
  const std::string a = Trimmed(f.a_micros(), 0);
  const std::string b = Trimmed(f.b_micros(), 0);
  return absl::StrFormat(
      "P = P0 x (%s + %s x %s %s / %s) = %s x (%s + %s x %s / %s) = %s", a, b,
      index, c.new_index_date(), ReferenceLabel(steps, at, index),
      Trimmed(c.old_price_micros(), 2), a, b, Trimmed(c.new_index_micros(), 0),
      Trimmed(f.reference_index_micros(), 0),
      FormatMicros(c.new_price_micros()));
}

std::string PercentFormula(const v1::PriceChange& c) {
  return absl::StrFormat("P = P0 x (1 + %s %%) = %s x %s = %s",
                         FormatFixedPoint(c.percent_bp(), 2),
                         Trimmed(c.old_price_micros(), 2),
                         Trimmed(1'000'000 + int64_t{c.percent_bp()} * 100, 0),
                         FormatMicros(c.new_price_micros()));
}

}  // namespace

std::string RevisionFormula(const PriceTimeline& timeline,
                            const v1::PriceSource& source) {
  const std::vector<PriceStep>& steps = timeline.steps;
  for (size_t i = 0; i < steps.size(); ++i) {
    const PriceStep& step = steps[i];
    const v1::PriceChange& c = step.change;
    if (step.cancelled() || !step.error.empty() || c.seq() != source.seq() ||
        step.pending != source.pending() ||
        c.effective_date() != source.effective_date()) {
      continue;
    }
    switch (c.kind()) {
      case v1::INCREASE_KIND_SYNTEC:
        return SyntecFormula(steps, i) + StepLabel(step);
      case v1::INCREASE_KIND_COMPANY_MARKUP:
      case v1::INCREASE_KIND_CUSTOM_PERCENT:
        return PercentFormula(c) + StepLabel(step);
      default:
        return "";
    }
  }
  return "";
}

}  // namespace billing
