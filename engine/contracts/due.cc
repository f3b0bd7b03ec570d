#include "engine/contracts/due.h"

#include <map>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/prices.h"
#include "engine/contracts/schedule.h"
#include "engine/contracts/store.h"
#include "engine/contracts/text.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"

namespace billing {
namespace {

using contracts_internal::FormatMilli;

v1::ReadingRef RefOf(const v1::Reading& r) {
  v1::ReadingRef ref;
  ref.set_seq(r.seq());
  ref.set_reading_date(r.reading_date());
  ref.set_value_milli(r.value_milli());
  ref.set_kind(r.kind());
  return ref;
}

std::string DescribeSource(const v1::PriceSource& s) {
  if (s.seq() == 0 && !s.pending()) {
    return absl::StrCat("the agreed price from ", s.effective_date());
  }
  return absl::StrFormat(
      "%s %s of %s", s.pending() ? "pending anniversary increase" : "increase",
      s.pending() ? "" : absl::StrCat("#", s.seq()), s.effective_date());
}

class RuleDue {
 public:
  RuleDue(const StateReader& state, absl::string_view customer_id,
          const Currency& currency, const v1::Contract& contract,
          const v1::BillingRule& rule, BusinessDate as_of)
      : state_(state),
        customer_id_(customer_id),
        currency_(currency),
        rule_(rule),
        as_of_(as_of) {
    out_.set_contract_ref(rule.contract_ref());
    out_.set_rule_id(rule.rule_id());
    out_.set_rule_type(rule.rule_type());
    out_.set_article_code(rule.article_code());
    out_.set_billing_family(contract.billing_family());
    *out_.mutable_bill_to() = contract.bill_to();
    out_.set_catch_up(IsCatchUp(rule));
  }

  absl::StatusOr<v1::DueRule> Compute() {
    if (rule_.rule_type() == v1::RULE_TYPE_USAGE) return Usage();
    if (rule_.next_theoretical_date().empty()) {
      return Finish(v1::DUE_STATUS_ANOMALY,
                    "no next theoretical billing date: the rule is not "
                    "billed until one is set");
    }
    auto owed = OwedPeriods();
    if (!owed.ok()) return owed.status();
    if (out_.status() != v1::DUE_STATUS_UNSPECIFIED) return out_;
    if (!rule_.condition_job_id().empty()) {
      auto job = LoadJob(state_, customer_id_, rule_.condition_job_id());
      if (!job.ok()) return job.status();
      const std::string day = FormatBusinessDate(as_of_);
      if (!job->has_value() || (*job)->completed_on() > day) {
        held_ = absl::StrFormat("held until job %s is recorded as completed",
                                QuoteValue(rule_.condition_job_id()));
      }
    }
    absl::Status s = absl::OkStatus();
    switch (rule_.rule_type()) {
      case v1::RULE_TYPE_FLAT:
        s = Flat(*owed);
        break;
      case v1::RULE_TYPE_UNIT_OF_WORK:
        s = WorkUnits(*owed);
        break;
      case v1::RULE_TYPE_TIME_SPENT:
        s = Time(*owed);
        break;
      case v1::RULE_TYPE_INSTALLMENT_SCHEDULE:
        s = Installments(*owed);
        break;
      case v1::RULE_TYPE_CONSUMED_UNITS:
        s = Consumed(*owed);
        break;
      default:
        anomalies_.push_back("unknown rule type");
    }
    if (!s.ok()) return s;
    SumLines();
    if (!anomalies_.empty()) {
      for (auto& a : anomalies_) out_.add_reasons(a);
      out_.set_status(v1::DUE_STATUS_ANOMALY);
    } else if (!held_.empty()) {
      out_.add_reasons(held_);
      out_.set_status(v1::DUE_STATUS_HELD);
    } else {
      out_.set_status(v1::DUE_STATUS_DUE);
    }
    return out_;
  }

 private:
  // The rule's amount and cost: the sums of its lines (each at most
  // kAmountMinorMax, so that the sums are exact in 128 bits), or an
  // anomaly when a sum is over kAmountMinorMax.
  void SumLines() {
    absl::int128 amount = 0, cost = 0;
    for (const v1::DueLine& line : out_.lines()) {
      amount += line.amount_minor();
      cost += line.cost_minor();
    }
    if (amount > kAmountMinorMax || cost > kAmountMinorMax) {
      anomalies_.push_back(absl::StrFormat(
          "the %s of the rule's %d lines adds up to more than the maximum "
          "%s %s",
          amount > kAmountMinorMax ? "amount" : "cost", out_.lines_size(),
          FormatMinor(kAmountMinorMax, currency_), currency_.code));
      return;
    }
    out_.set_amount_minor(static_cast<int64_t>(amount));
    out_.set_cost_minor(static_cast<int64_t>(cost));
  }

  // unit_price x quantity rounded to the currency, or nullopt with an
  // anomaly when it is over kAmountMinorMax (or beyond 64 bits).
  std::optional<int64_t> LineAmount(absl::string_view where,
                                    absl::string_view what,
                                    int64_t unit_price_micros,
                                    int64_t quantity_milli) {
    auto amount = LineAmountMinor(unit_price_micros, quantity_milli, currency_);
    if (amount.ok() && *amount <= kAmountMinorMax &&
        *amount >= -kAmountMinorMax) {
      return *amount;
    }
    anomalies_.push_back(absl::StrFormat(
        "%s: the %s %s x %s is over the maximum of a line, %s %s", where, what,
        FormatMilli(quantity_milli), FormatMicros(unit_price_micros),
        FormatMinor(kAmountMinorMax, currency_), currency_.code));
    return std::nullopt;
  }

  v1::DueRule Finish(v1::DueStatus status, absl::string_view reason) {
    out_.set_status(status);
    out_.add_reasons(std::string(reason));
    return out_;
  }

  // The periods owed on as_of_, from the next theoretical date; sets a final
  // status in out_ when there are none.
  absl::StatusOr<std::vector<RulePeriod>> OwedPeriods() {
    std::vector<RulePeriod> owed;
    auto next = ParseBusinessDate(rule_.next_theoretical_date(),
                                  "next_theoretical_date");
    if (!next.ok()) return next.status();
    auto first = RulePeriodBilledOn(rule_, *next);
    if (!first.ok()) {
      Finish(v1::DUE_STATUS_ANOMALY, first.status().message());
      return owed;
    }
    std::optional<RulePeriod> p = *first;
    if (!p.has_value()) {
      Finish(v1::DUE_STATUS_FINISHED,
             absl::StrFormat("every period up to the rule's end %s is billed",
                             rule_.end_date()));
      return owed;
    }
    while (p.has_value() && p->billing_date <= as_of_) {
      if (static_cast<int>(owed.size()) == kDuePeriodsMax) {
        Finish(v1::DUE_STATUS_ANOMALY,
               absl::StrFormat("more than %d periods owed", kDuePeriodsMax));
        return owed;
      }
      owed.push_back(*p);
      auto following = RulePeriodAt(rule_, p->index + 1);
      if (!following.ok()) return following.status();
      p = *following;
    }
    if (owed.empty()) {
      Finish(v1::DUE_STATUS_NOTHING_DUE,
             absl::StrFormat("the next period is billable on %s",
                             rule_.next_theoretical_date()));
      return owed;
    }
    if (!out_.catch_up() && owed.size() > 1) {
      out_.set_periods_behind(static_cast<int32_t>(owed.size() - 1));
      owed.resize(1);
    }
    return owed;
  }

  absl::StatusOr<std::optional<PriceInForce>> PriceOn(BusinessDate day) {
    if (!timeline_.has_value()) {
      auto t = BuildPriceTimeline(state_, rule_, as_of_);
      if (!t.ok()) return t.status();
      timeline_ = std::move(*t);
    }
    auto price = PriceAsOf(*timeline_, rule_, day);
    if (!price.ok()) {
      anomalies_.push_back(std::string(price.status().message()));
      return std::optional<PriceInForce>();
    }
    return std::optional<PriceInForce>(*price);
  }

  // A line over [first.start, last.end], or nullptr (with an anomaly) when
  // its amount or cost cannot be billed. `object`: the object of a
  // consumed-units line, named in the anomaly.
  v1::DueLine* AddLine(const RulePeriod& first, const RulePeriod& last,
                       int64_t quantity_milli, int64_t unit_price_micros,
                       const v1::PriceSource& source,
                       absl::string_view object = "") {
    const std::string where = absl::StrFormat(
        "%s%s to %s",
        object.empty() ? "" : absl::StrCat("object ", object, ", "),
        FormatBusinessDate(first.start), FormatBusinessDate(last.end));
    auto amount =
        LineAmount(where, "amount", unit_price_micros, quantity_milli);
    if (!amount.has_value()) return nullptr;
    auto cost =
        LineAmount(where, "cost", rule_.cost_price_micros(), quantity_milli);
    if (!cost.has_value()) return nullptr;
    v1::DueLine* line = out_.add_lines();
    line->set_period_start(FormatBusinessDate(first.start));
    line->set_period_end(FormatBusinessDate(last.end));
    line->set_billing_date(FormatBusinessDate(last.billing_date));
    line->set_quantity_milli(quantity_milli);
    line->set_unit_price_micros(unit_price_micros);
    *line->mutable_price_source() = source;
    line->set_amount_minor(*amount);
    line->set_cost_minor(*cost);
    return line;
  }

  // A usage rule has no lines here: invoicing gathers the rated usage it
  // covers, per calendar month in arrears (its periods).
  v1::DueRule Usage() {
    return Finish(
        v1::DUE_STATUS_USAGE,
        absl::StrFormat(
            "usage rule: the rated usage of %s, %s, is gathered by invoicing "
            "per calendar month in arrears; next month billable on %s",
            rule_.object_ids().empty()
                ? std::string("every object")
                : absl::StrCat("objects ",
                               absl::StrJoin(rule_.object_ids(), ", ")),
            rule_.usage_kinds().empty()
                ? std::string("every kind")
                : absl::StrCat("kinds ",
                               absl::StrJoin(rule_.usage_kinds(), ", ")),
            rule_.next_theoretical_date().empty()
                ? std::string("(no next date)")
                : rule_.next_theoretical_date()));
  }

  // A prorated period's amount and cost: the whole period's first (so that
  // the line fits, else an anomaly), then x days / period days, rounded once.
  // False (the line removed, an anomaly) when it cannot be computed.
  bool Prorate(const RulePeriod& p, v1::DueLine& line) {
    const int days = static_cast<int>(p.end - p.start) + 1;
    const int period_days = static_cast<int>(p.full_end - p.full_start) + 1;
    auto amount =
        ProratedAmountMinor(line.unit_price_micros(), line.quantity_milli(),
                            days, period_days, currency_);
    auto cost =
        ProratedAmountMinor(rule_.cost_price_micros(), line.quantity_milli(),
                            days, period_days, currency_);
    if (!amount.ok() || !cost.ok()) {  // cannot be: the whole period fits
      anomalies_.push_back(
          absl::StrFormat("%s to %s: the prorated amount cannot be computed",
                          line.period_start(), line.period_end()));
      out_.mutable_lines()->RemoveLast();
      return false;
    }
    line.set_amount_minor(*amount);
    line.set_cost_minor(*cost);
    line.set_prorated_days(days);
    line.set_period_days(period_days);
    line.set_full_period_start(FormatBusinessDate(p.full_start));
    line.set_full_period_end(FormatBusinessDate(p.full_end));
    return true;
  }

  absl::Status Flat(const std::vector<RulePeriod>& owed) {
    for (const RulePeriod& p : owed) {
      auto price = PriceOn(p.start);
      if (!price.ok()) return price.status();
      if (!price->has_value()) continue;
      v1::DueLine* line = AddLine(p, p, rule_.quantity_milli(),
                                  (*price)->price_micros, (*price)->source);
      if (line == nullptr) continue;
      std::string explanation =
          absl::StrFormat("%s x %s", FormatMilli(rule_.quantity_milli()),
                          FormatMicros((*price)->price_micros));
      if (IsProrated(rule_, p)) {
        if (!Prorate(p, *line)) continue;
        absl::StrAppendFormat(
            &explanation, " x %d / %d days, %d of the %d days of %s to %s",
            line->prorated_days(), line->period_days(), line->prorated_days(),
            line->period_days(), line->full_period_start(),
            line->full_period_end());
      }
      line->set_explanation(
          absl::StrCat(explanation, ", ", DescribeSource((*price)->source)));
    }
    return absl::OkStatus();
  }

  absl::Status WorkUnits(const std::vector<RulePeriod>& owed) {
    for (const RulePeriod& p : owed) {
      auto entries = ListWorkUnits(state_, customer_id_, rule_.contract_ref(),
                                   rule_.rule_id(), p.start, p.end);
      if (!entries.ok()) return entries.status();
      int64_t quantity = 0;
      bool fits = true;
      for (const auto& e : *entries) {
        fits = fits &&
               !__builtin_add_overflow(quantity, e.quantity_milli(), &quantity);
      }
      if (!fits) {
        anomalies_.push_back(absl::StrFormat(
            "%s to %s: the units of the %d entries do not add up in 64 bits",
            FormatBusinessDate(p.start), FormatBusinessDate(p.end),
            entries->size()));
        continue;
      }
      auto price = PriceOn(p.start);
      if (!price.ok()) return price.status();
      if (!price->has_value()) continue;
      v1::DueLine* line =
          AddLine(p, p, quantity, (*price)->price_micros, (*price)->source);
      if (line == nullptr) continue;
      line->set_explanation(absl::StrFormat(
          "%d entries, %s units dated %s to %s, x %s, %s", entries->size(),
          FormatMilli(quantity), FormatBusinessDate(p.start),
          FormatBusinessDate(p.end), FormatMicros((*price)->price_micros),
          DescribeSource((*price)->source)));
    }
    return absl::OkStatus();
  }

  absl::Status Time(const std::vector<RulePeriod>& owed) {
    for (const RulePeriod& p : owed) {
      auto grouped = GroupTimeEntries(state_, customer_id_,
                                      rule_.contract_ref(), rule_.rule_id(),
                                      p.start, p.end);
      if (!grouped.ok()) return grouped.status();
      for (const auto& [person, day] : grouped->unpriced) {
        anomalies_.push_back(
            absl::StrFormat("person %s has no hourly sale rate on %s",
                            QuoteValue(person), day));
      }
      if (grouped->overflow_person.has_value()) {
        anomalies_.push_back(absl::StrFormat(
            "%s to %s: the hours of person %s do not add up in 64 bits",
            FormatBusinessDate(p.start), FormatBusinessDate(p.end),
            QuoteValue(*grouped->overflow_person)));
        return absl::OkStatus();
      }
      const auto& groups = grouped->hours_and_rate;
      if (groups.empty()) {
        v1::DueLine* line = AddLine(p, p, 0, 0, v1::PriceSource());
        if (line != nullptr) {
          line->set_explanation("no time recorded in the period");
        }
        continue;
      }
      for (const auto& [key, value] : groups) {
        v1::PriceSource source;
        source.set_person_id(key.first);
        source.set_rate_effective_date(key.second);
        v1::DueLine* line = AddLine(p, p, value.first, value.second, source);
        if (line == nullptr) continue;
        line->set_explanation(absl::StrFormat(
            "%s h by %s at %s/h (rate from %s)", FormatMilli(value.first),
            key.first, FormatMicros(value.second), key.second));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Installments(const std::vector<RulePeriod>& owed) {
    const auto& due = rule_.installment_schedule().installments();
    for (const RulePeriod& p : owed) {
      const v1::Installment& inst = due[p.index];
      // Billed as one unit at its amount (a unit price).
      auto price = MinorToMicros(inst.amount_minor(), currency_);
      if (!price.ok() || *price > kUnitPriceMicrosMax) {
        anomalies_.push_back(absl::StrFormat(
            "installment %d of %d due %s: %s %s is over the maximum unit "
            "price %s",
            p.index + 1, due.size(), inst.due_date(),
            FormatMinor(inst.amount_minor(), currency_), currency_.code,
            FormatMicros(kUnitPriceMicrosMax)));
        continue;
      }
      v1::PriceSource source;
      source.set_installment(p.index + 1);
      source.set_effective_date(inst.due_date());
      v1::DueLine* line = AddLine(p, p, kMilliPerUnit, *price, source);
      if (line == nullptr) continue;
      line->set_explanation(absl::StrFormat(
          "installment %d of %d due %s: %s of the fee %s", p.index + 1,
          due.size(), inst.due_date(),
          FormatMinor(inst.amount_minor(), currency_),
          FormatMinor(rule_.installment_schedule().fee_minor(), currency_)));
    }
    return absl::OkStatus();
  }

  absl::Status Consumed(const std::vector<RulePeriod>& owed) {
    auto price = PriceOn(owed.front().start);
    if (!price.ok()) return price.status();
    if (!price->has_value()) return absl::OkStatus();
    for (const std::string& object : rule_.object_ids()) {
      auto units = ComputeConsumedUnits(state_, customer_id_, object, as_of_);
      if (!units.ok()) return units.status();
      if (!units->anomaly.empty()) {
        anomalies_.push_back(units->anomaly);
        continue;
      }
      v1::DueLine* l =
          AddLine(owed.front(), owed.back(), units->units_milli,
                  (*price)->price_micros, (*price)->source, object);
      if (l == nullptr) continue;
      l->set_object_id(object);
      *l->mutable_from_reading() = units->from;
      *l->mutable_to_reading() = units->to;
      l->set_carried_units_milli(units->carried_units_milli);
      std::string how =
          absl::StrFormat("%s - %s", FormatMilli(units->to.value_milli()),
                          FormatMilli(units->from.value_milli()));
      if (units->carried_units_milli != 0) {
        absl::StrAppend(&how, " + ", FormatMilli(units->carried_units_milli),
                        " from the replaced meter");
      }
      l->set_explanation(absl::StrFormat(
          "object %s: reading #%d of %s (%s) to reading #%d of %s: %s = %s "
          "units, x %s, %s",
          object, units->from.seq(), units->from.reading_date(),
          contracts_internal::ReadingKindName(units->from.kind()),
          units->to.seq(), units->to.reading_date(), how,
          FormatMilli(units->units_milli), FormatMicros((*price)->price_micros),
          DescribeSource((*price)->source)));
    }
    return absl::OkStatus();
  }

  const StateReader& state_;
  const std::string customer_id_;
  const Currency currency_;
  const v1::BillingRule& rule_;
  const BusinessDate as_of_;
  v1::DueRule out_;
  std::optional<PriceTimeline> timeline_;
  std::vector<std::string> anomalies_;
  std::string held_;
};

// "object X: reading #3 of 2026-03-15 (1100.000) is lower than ... and is
// not flagged as a meter replacement": `r` below `previous`, the reading
// just before it. When `previous` is the base (the last billed reading, or
// the meter's installation), it is named as such.
std::string LowerReadingAnomaly(absl::string_view object_id,
                                const v1::Reading& r,
                                const v1::Reading& previous,
                                const v1::Reading& base, uint32_t billed_seq) {
  const std::string than =
      previous.seq() == base.seq()
          ? absl::StrFormat(
                "the %s %s of %s",
                base.seq() == billed_seq ? "last billed reading"
                                         : "meter's installation reading",
                FormatMilli(base.value_milli()), base.reading_date())
          : absl::StrFormat("the previous reading #%d of %s (%s)",
                            previous.seq(), previous.reading_date(),
                            FormatMilli(previous.value_milli()));
  return absl::StrFormat(
      "object %s: reading #%d of %s (%s) is lower than %s and is not flagged "
      "as a meter replacement",
      object_id, r.seq(), r.reading_date(), FormatMilli(r.value_milli()), than);
}

// Adds to `carried` the units of the meter that the replacement `r`
// removes: its final value (or its latest reading) minus the base. Returns
// the anomaly when they cannot be counted, else "".
std::string CarryReplacedMeter(absl::string_view object_id,
                               const v1::Reading& r, const v1::Reading& base,
                               const v1::Reading& latest, int64_t& carried) {
  const int64_t old_end = r.has_old_meter_final_value_milli()
                              ? r.old_meter_final_value_milli()
                              : latest.value_milli();
  if (old_end < base.value_milli()) {
    return absl::StrFormat(
        "object %s: the replaced meter's last value %s (reading #%d) is "
        "lower than its last billed reading %s",
        object_id, FormatMilli(old_end), r.seq(),
        FormatMilli(base.value_milli()));
  }
  // Both values are not negative: the difference fits, the sum may not.
  if (__builtin_add_overflow(carried, old_end - base.value_milli(), &carried)) {
    return absl::StrFormat(
        "object %s: the units carried from replaced meters up to reading "
        "#%d of %s do not fit in 64 bits",
        object_id, r.seq(), r.reading_date());
  }
  return "";
}

// A DUE rule counts in the report's total unless it would take it over
// kAmountMinorMax: then it is an anomaly saying so.
void CountInTotal(const Currency& currency, v1::DueRule& due, int64_t& total) {
  if (due.status() != v1::DUE_STATUS_DUE) return;
  // Both at most kAmountMinorMax: the sum fits.
  if (total + due.amount_minor() <= kAmountMinorMax) {
    total += due.amount_minor();
    return;
  }
  due.set_status(v1::DUE_STATUS_ANOMALY);
  due.add_reasons(absl::StrFormat(
      "its %s %s and the %s %s due on the rules before it would take the "
      "customer's total over the maximum %s %s",
      FormatMinor(due.amount_minor(), currency), currency.code,
      FormatMinor(total, currency), currency.code,
      FormatMinor(kAmountMinorMax, currency), currency.code));
}

}  // namespace

namespace {

// Where a walk over an object's readings stands.
struct MeterWalk {
  bool installed = false;
  v1::Reading base;
  v1::Reading latest;
  // Units of replaced meters not billed yet: each at most int64 max (values
  // are not negative), their sum checked.
  int64_t carried = 0;
  // The first reading not billed yet below the one before it, until a
  // meter replacement after it says where the meter stood.
  std::string backwards;
};

// One reading into the walk; returns an anomaly, or "".
std::string WalkReading(absl::string_view object_id, const v1::Reading& r,
                        uint32_t billed_seq, MeterWalk& w) {
  switch (r.kind()) {
    case v1::READING_KIND_INSTALLATION:
      w.installed = true;
      w.base = w.latest = r;
      w.carried = 0;
      w.backwards.clear();
      break;
    case v1::READING_KIND_REPLACEMENT: {
      std::string anomaly =
          CarryReplacedMeter(object_id, r, w.base, w.latest, w.carried);
      if (!anomaly.empty()) return anomaly;
      w.base = w.latest = r;
      w.backwards.clear();
      break;
    }
    default:
      // A meter does not go backwards: a reading not billed yet below the
      // one before it (refused by record_reading today; a journal written
      // before may hold one) bills nothing until a replacement is recorded
      // after it (readings are never edited: the correction is a new event).
      if (w.backwards.empty() && r.seq() > billed_seq &&
          r.value_milli() < w.latest.value_milli()) {
        w.backwards =
            LowerReadingAnomaly(object_id, r, w.latest, w.base, billed_seq);
      }
      w.latest = r;
  }
  if (r.seq() == billed_seq) {
    w.base = r;
    w.carried = 0;
  }
  return std::string();
}

// The units of a finished walk, or its anomaly.
ConsumedUnits UnitsOfWalk(absl::string_view object_id, absl::string_view day,
                          uint32_t billed_seq, MeterWalk& w) {
  ConsumedUnits out;
  if (!w.installed) {
    out.anomaly =
        absl::StrFormat("object %s has no installation reading on or before %s",
                        object_id, day);
    return out;
  }
  if (!w.backwards.empty()) {
    out.anomaly = std::move(w.backwards);
    return out;
  }
  if (w.latest.value_milli() < w.base.value_milli()) {
    // Caught above for every reading after the base; kept so that the
    // units below are never negative.
    out.anomaly =
        LowerReadingAnomaly(object_id, w.latest, w.base, w.base, billed_seq);
    return out;
  }
  const int64_t on_meter = w.latest.value_milli() - w.base.value_milli();
  int64_t units = 0;
  if (__builtin_add_overflow(w.carried, on_meter, &units)) {
    out.anomaly = absl::StrFormat(
        "object %s: the units consumed (%s carried from replaced meters, "
        "plus %s since reading #%d of %s) do not fit in 64 bits",
        object_id, FormatMilli(w.carried), FormatMilli(on_meter), w.base.seq(),
        w.base.reading_date());
    return out;
  }
  out.from = RefOf(w.base);
  out.to = RefOf(w.latest);
  out.carried_units_milli = w.carried;
  out.units_milli = units;
  return out;
}

// The selection's codes: customer_id, contract_ref, rule_id (which needs
// contract_ref).
absl::Status ValidateSelection(absl::string_view customer_id,
                               const DueSelection& selection) {
  if (auto s = ValidateCode("customer_id", customer_id, limits::kCodeLengthMax);
      !s.ok()) {
    return s;
  }
  if (!selection.contract_ref.empty()) {
    if (auto s = ValidateCode("contract_ref", selection.contract_ref,
                              limits::kCodeLengthMax);
        !s.ok()) {
      return s;
    }
  }
  if (selection.rule_id.empty()) return absl::OkStatus();
  if (selection.contract_ref.empty()) {
    return FieldError("rule_id", "needs contract_ref");
  }
  return ValidateCode("rule_id", selection.rule_id, limits::kCodeLengthMax);
}

absl::StatusOr<std::vector<v1::Contract>> SelectedContracts(
    const StateReader& state, absl::string_view customer_id,
    const DueSelection& selection) {
  if (selection.contract_ref.empty()) {
    return ListContracts(state, customer_id);
  }
  auto one = LoadContract(state, customer_id, selection.contract_ref);
  if (!one.ok()) return one.status();
  if (!one->has_value()) {
    return absl::NotFoundError(absl::StrFormat(
        "contract_ref: %s is not a contract of customer %s",
        QuoteValue(selection.contract_ref), QuoteValue(customer_id)));
  }
  std::vector<v1::Contract> out;
  out.push_back(std::move(**one));
  return out;
}

absl::StatusOr<std::vector<v1::BillingRule>> SelectedRules(
    const StateReader& state, absl::string_view customer_id,
    const v1::Contract& contract, const DueSelection& selection) {
  if (selection.rule_id.empty()) {
    return ListRules(state, customer_id, contract.contract_ref());
  }
  auto one =
      LoadRule(state, customer_id, contract.contract_ref(), selection.rule_id);
  if (!one.ok()) return one.status();
  if (!one->has_value()) {
    return absl::NotFoundError(absl::StrFormat(
        "rule_id: %s is not a rule of contract %s",
        QuoteValue(selection.rule_id), QuoteValue(contract.contract_ref())));
  }
  std::vector<v1::BillingRule> out;
  out.push_back(std::move(**one));
  return out;
}

}  // namespace

absl::StatusOr<ConsumedUnits> ComputeConsumedUnits(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id, BusinessDate as_of) {
  auto meter = LoadMeter(state, customer_id, object_id);
  if (!meter.ok()) return meter.status();
  auto readings = ListReadings(state, customer_id, object_id);
  if (!readings.ok()) return readings.status();
  const uint32_t billed_seq =
      meter->has_value() ? (*meter)->last_billed_seq() : 0;
  const std::string day = FormatBusinessDate(as_of);
  MeterWalk walk;
  for (const v1::Reading& r : *readings) {
    if (r.reading_date() > day) break;
    std::string anomaly = WalkReading(object_id, r, billed_seq, walk);
    if (!anomaly.empty()) {
      ConsumedUnits out;
      out.anomaly = std::move(anomaly);
      return out;
    }
  }
  return UnitsOfWalk(object_id, day, billed_seq, walk);
}

absl::StatusOr<v1::DueReport> ComputeDue(const StateReader& state,
                                         absl::string_view customer_id,
                                         const DueSelection& selection,
                                         BusinessDate as_of) {
  if (auto s = ValidateSelection(customer_id, selection); !s.ok()) return s;
  auto customer = LoadCustomer(state, customer_id);
  if (!customer.ok()) return customer.status();
  if (!customer->has_value()) {
    return absl::NotFoundError(absl::StrFormat("customer_id: %s does not exist",
                                               QuoteValue(customer_id)));
  }
  auto currency = LookupCurrency((*customer)->currency(), "currency");
  if (!currency.ok()) return currency.status();
  auto contracts = SelectedContracts(state, customer_id, selection);
  if (!contracts.ok()) return contracts.status();

  v1::DueReport report;
  report.set_customer_id(std::string(customer_id));
  report.set_as_of_date(FormatBusinessDate(as_of));
  report.set_currency((*customer)->currency());
  int64_t total = 0;
  for (const v1::Contract& contract : *contracts) {
    auto rules = SelectedRules(state, customer_id, contract, selection);
    if (!rules.ok()) return rules.status();
    for (const v1::BillingRule& rule : *rules) {
      auto due = RuleDue(state, customer_id, *currency, contract, rule, as_of)
                     .Compute();
      if (!due.ok()) return due.status();
      CountInTotal(*currency, *due, total);
      *report.add_rules() = std::move(*due);
    }
  }
  report.set_amount_minor(total);
  return report;
}

}  // namespace billing
