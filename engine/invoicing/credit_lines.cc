// What each invoice line holds now and what it should hold
// (engine/invoicing/credit_notes.h ComputeLineDifferences): the pure half
// of corrections.
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/prices.h"
#include "engine/contracts/schedule.h"
#include "engine/contracts/store.h"
#include "engine/core/money.h"
#include "engine/invoicing/credit_notes.h"
#include "engine/invoicing/gather.h"
#include "engine/invoicing/invoices.h"
#include "engine/structure/structure.h"
#include "engine/usage/usage.h"

namespace billing {
namespace {

// Periods looked through to find a line's (a rule of daily periods over
// years has a few thousand).
constexpr int kPeriodSearchMax = 100000;

struct Amounts {
  int64_t gross = 0;
  int64_t discount = 0;
  int64_t net = 0;
  bool any = false;  // a correction touched it
};

// An invoice line (number, index) on one entity.
using LineKey = std::tuple<std::string, int, std::string>;

// What credit notes (minus) and supplementary invoices (plus), issued or
// drafted, did to each invoice line, per entity.
void CollectAdjustments(const std::vector<v1::InvoiceDocument>& docs,
                        std::map<LineKey, Amounts>& out) {
  for (const v1::InvoiceDocument& d : docs) {
    if (d.correction_id().empty()) continue;
    const int sign = d.type() == v1::DOCUMENT_TYPE_CREDIT_NOTE ? -1 : 1;
    for (const v1::DocumentLine& l : d.lines()) {
      if (!l.has_corrects()) continue;
      Amounts& a = out[{l.corrects().invoice_number(),
                        l.corrects().line_index(), l.entity_id()}];
      a.gross += sign * l.gross_amount_minor();
      a.discount += sign * l.discount_minor();
      a.net += sign * l.net_amount_minor();
      a.any = true;
    }
  }
}

// True for an issued invoice that can be corrected: not a notice, not a
// credit note, not itself a correction.
bool Correctable(const v1::InvoiceDocument& d) {
  return d.type() == v1::DOCUMENT_TYPE_INVOICE && d.correction_id().empty() &&
         !d.number().empty();
}

absl::StatusOr<std::optional<RulePeriod>> PeriodStarting(
    const v1::BillingRule& rule, BusinessDate start) {
  for (int i = 0; i < kPeriodSearchMax; ++i) {
    auto p = RulePeriodAt(rule, i);
    if (!p.ok()) return p.status();
    if (!p->has_value() || (*p)->start > start) return std::nullopt;
    if ((*p)->start == start) return *p;
  }
  return std::nullopt;
}

std::string DescribePrice(const v1::PriceSource& s) {
  if (s.seq() == 0 && !s.pending()) {
    return absl::StrCat("the agreed price from ", s.effective_date());
  }
  return absl::StrFormat(
      "%s of %s", s.pending() ? "pending anniversary increase"
                              : absl::StrCat("increase #", s.seq()),
      s.effective_date());
}

// The units a rule's period is owed, with how they were found: a flat
// rule's quantity, or the work units recorded for the period now (an entry
// dated in a period invoiced already is owed there).
absl::StatusOr<int64_t> OwedUnits(const StateReader& state,
                                  absl::string_view customer_id,
                                  const v1::BillingRule& r, const RulePeriod& p,
                                  std::string& why) {
  if (r.rule_type() != v1::RULE_TYPE_UNIT_OF_WORK) {
    why = FormatFixedPoint(r.quantity_milli(), 3);
    return r.quantity_milli();
  }
  auto entries = ListWorkUnits(state, customer_id, r.contract_ref(),
                               r.rule_id(), p.start, p.end);
  if (!entries.ok()) return entries.status();
  int64_t units = 0;
  for (const v1::WorkUnits& e : *entries) {
    if (__builtin_add_overflow(units, e.quantity_milli(), &units)) {
      return absl::OutOfRangeError("work units beyond 64 bits");
    }
  }
  why = absl::StrFormat("%d entries, %s units dated %s to %s", entries->size(),
                        FormatFixedPoint(units, 3), FormatBusinessDate(p.start),
                        FormatBusinessDate(p.end));
  return units;
}

// A flat or unit-of-work rule's period as the state now gives it: the
// price in force on its first day, the period as the rule's dates cut it,
// a flat rule prorated by days, the work units recorded for it now.
// false: not recomputed (another rule type, the rule gone, a price that
// cannot be computed: the line is left as it is).
absl::StatusOr<bool> OwedOfRuleLine(const StateReader& state,
                                    const v1::InvoiceDocument& invoice,
                                    const v1::DocumentLine& line,
                                    LineDifference& d) {
  auto rule = LoadRule(state, invoice.holder_id(), line.contract_ref(),
                       line.rule_id());
  if (!rule.ok()) return rule.status();
  if (!rule->has_value() ||
      ((*rule)->rule_type() != v1::RULE_TYPE_FLAT &&
       (*rule)->rule_type() != v1::RULE_TYPE_UNIT_OF_WORK)) {
    return false;
  }
  const v1::BillingRule& r = **rule;
  auto start = ParseBusinessDate(line.period_start(), "period_start");
  auto currency = LookupCurrency(invoice.currency(), "currency");
  if (!start.ok() || !currency.ok()) return false;
  auto period = PeriodStarting(r, *start);
  if (!period.ok()) return false;
  if (!period->has_value()) {
    d.owed_why = absl::StrFormat("the rule ends on %s, before the period",
                                 r.end_date());
    return true;
  }
  const RulePeriod& p = **period;
  auto timeline = BuildPriceTimeline(state, r, p.start);
  if (!timeline.ok()) return timeline.status();
  auto price = PriceAsOf(*timeline, r, p.start);
  if (!price.ok()) return false;
  std::string why;
  auto units = OwedUnits(state, invoice.holder_id(), r, p, why);
  if (absl::IsOutOfRange(units.status())) return false;
  if (!units.ok()) return units.status();
  absl::StatusOr<int64_t> gross = 0;
  absl::StrAppendFormat(&why, " x %s", FormatMicros(price->price_micros));
  if (r.rule_type() == v1::RULE_TYPE_FLAT && IsProrated(r, p)) {
    const int days = static_cast<int>(p.end - p.start) + 1;
    const int full = static_cast<int>(p.full_end - p.full_start) + 1;
    gross = ProratedAmountMinor(price->price_micros, *units, days, full,
                                *currency);
    absl::StrAppendFormat(&why, " x %d / %d days (%s to %s)", days, full,
                          FormatBusinessDate(p.start),
                          FormatBusinessDate(p.end));
  } else {
    gross = LineAmountMinor(price->price_micros, *units, *currency);
  }
  if (!gross.ok()) return false;
  d.owed_quantity_milli = *units;
  d.owed_unit_price_micros = price->price_micros;
  d.owed_gross_minor = *gross;
  d.owed_discount_minor = DiscountMinor(*gross, line.discount_hundredths());
  d.owed_net_minor = *gross - d.owed_discount_minor;
  d.owed_why = absl::StrCat(why, ", ", DescribePrice(price->source));
  return true;
}

// The reading `ref` names as the state holds it now; nullopt when gone.
absl::StatusOr<std::optional<int64_t>> ReadingNow(
    const std::vector<v1::Reading>& readings, const v1::ReadingRef& ref) {
  for (const v1::Reading& r : readings) {
    if (r.seq() == ref.seq()) return r.value_milli();
  }
  return std::nullopt;
}

// A consumed-units line whose readings were corrected since: the units
// move by the readings' changes, at the line's unit price. false: not
// recomputed (no readings on the line, or none changed).
absl::StatusOr<bool> OwedOfConsumedLine(const StateReader& state,
                                        const v1::InvoiceDocument& invoice,
                                        const v1::DocumentLine& line,
                                        LineDifference& d) {
  if (!line.has_to_reading() || line.object_id().empty()) return false;
  auto readings = ListReadings(state, invoice.holder_id(), line.object_id());
  if (!readings.ok()) return readings.status();
  auto to = ReadingNow(*readings, line.to_reading());
  if (!to.ok()) return to.status();
  if (!to->has_value()) return false;
  int64_t delta = **to - line.to_reading().value_milli();
  std::string why = absl::StrFormat(
      "reading #%d %s", line.to_reading().seq(),
      FormatFixedPoint(**to, 3));
  if (line.has_from_reading() && line.from_reading().seq() > 0) {
    auto from = ReadingNow(*readings, line.from_reading());
    if (!from.ok()) return from.status();
    if (!from->has_value()) return false;
    delta -= **from - line.from_reading().value_milli();
    why = absl::StrFormat("reading #%d %s to %s", line.from_reading().seq(),
                          FormatFixedPoint(**from, 3), why);
  }
  if (delta == 0) return false;
  auto currency = LookupCurrency(invoice.currency(), "currency");
  if (!currency.ok()) return false;
  const int64_t units = line.quantity_milli() + delta;
  auto gross = LineAmountMinor(line.unit_price_micros(), units, *currency);
  if (!gross.ok()) return false;
  d.owed_quantity_milli = units;
  d.owed_unit_price_micros = line.unit_price_micros();
  d.owed_gross_minor = *gross;
  d.owed_discount_minor = DiscountMinor(*gross, line.discount_hundredths());
  d.owed_net_minor = *gross - d.owed_discount_minor;
  d.owed_why = absl::StrFormat("%s: %s units x %s", why,
                               FormatFixedPoint(units, 3),
                               FormatMicros(line.unit_price_micros()));
  return true;
}

// A time-spent rule's period on the customer's invoices: the gross its
// lines billed (one line per person and rate), and the line that takes the
// period's difference (the first of an invoice not cancelled).
using PeriodKey = std::tuple<std::string, std::string, std::string>;
struct PeriodBilled {
  int64_t gross_minor = 0;
  std::optional<v1::LineRef> takes_difference;
};
using PeriodBilledMap = std::map<PeriodKey, PeriodBilled>;

// What a time-spent period is owed now: each time entry of the period at
// its person's hourly rate in force on its day, a line per (person, rate)
// rounded as the pre-billing rounds it. nullopt: a person without a rate,
// or amounts that do not fit (left as invoiced).
absl::StatusOr<std::optional<int64_t>> OwedOfTimePeriod(
    const StateReader& state, absl::string_view customer_id,
    const v1::BillingRule& r, const RulePeriod& p, const Currency& currency,
    std::string& why) {
  auto grouped = GroupTimeEntries(state, customer_id, r.contract_ref(),
                                  r.rule_id(), p.start, p.end);
  if (!grouped.ok()) return grouped.status();
  if (!grouped->unpriced.empty() || grouped->overflow_person.has_value()) {
    return std::nullopt;
  }
  const auto& groups = grouped->hours_and_rate;
  int64_t gross = 0;
  for (const auto& [key, value] : groups) {
    auto amount = LineAmountMinor(value.second, value.first, currency);
    if (!amount.ok() || __builtin_add_overflow(gross, *amount, &gross)) {
      return std::nullopt;
    }
    absl::StrAppendFormat(&why, "%s%s h by %s at %s/h", why.empty() ? "" : " + ",
                          FormatFixedPoint(value.first, 3), key.first,
                          FormatMicros(value.second));
  }
  if (why.empty()) why = "no time recorded";
  return gross;
}

// A time-spent line (rule lines of one period: one per person and rate):
// the period's first line on an invoice not cancelled is owed what it was
// invoiced plus what the period is owed now beyond what its lines billed
// (a time entry recorded late, an hourly rate set back in time); the
// others what they hold. false: another rule type, not the period's
// taking line, or not recomputable.
absl::StatusOr<bool> OwedOfTimeLine(const StateReader& state,
                                    const v1::InvoiceDocument& invoice,
                                    int index, const PeriodBilledMap& billed,
                                    LineDifference& d) {
  const v1::DocumentLine& line = invoice.lines(index);
  auto it = billed.find({line.contract_ref(), line.rule_id(),
                         line.period_start()});
  if (it == billed.end() || !it->second.takes_difference.has_value() ||
      it->second.takes_difference->invoice_number() != invoice.number() ||
      it->second.takes_difference->line_index() != index) {
    return false;
  }
  auto rule = LoadRule(state, invoice.holder_id(), line.contract_ref(),
                       line.rule_id());
  if (!rule.ok()) return rule.status();
  if (!rule->has_value() ||
      (*rule)->rule_type() != v1::RULE_TYPE_TIME_SPENT) {
    return false;
  }
  auto start = ParseBusinessDate(line.period_start(), "period_start");
  auto currency = LookupCurrency(invoice.currency(), "currency");
  if (!start.ok() || !currency.ok()) return false;
  auto period = PeriodStarting(**rule, *start);
  if (!period.ok() || !period->has_value()) return false;
  std::string why;
  auto owed = OwedOfTimePeriod(state, invoice.holder_id(), **rule, **period,
                               *currency, why);
  if (!owed.ok()) return owed.status();
  if (!owed->has_value()) return false;
  const int64_t gross =
      line.gross_amount_minor() + (**owed - it->second.gross_minor);
  if (gross == line.gross_amount_minor()) return false;
  auto micros = MinorToMicros(gross, *currency);
  if (!micros.ok()) return false;
  d.owed_quantity_milli = 1000;
  d.owed_unit_price_micros = *micros;
  d.owed_gross_minor = gross;
  d.owed_why = absl::StrFormat(
      "the period is owed %s (%s), its lines billed %s",
      FormatMinor(**owed, *currency), why,
      FormatMinor(it->second.gross_minor, *currency));
  return true;
}

// A usage line's totals key: object, month, kind, zone.
using UsageKey = std::tuple<std::string, std::string, int, std::string>;

UsageKey UsageKeyOf(const v1::UsageTotals& t) {
  return {t.object_id(), t.month(), t.kind(), t.zone()};
}

// What the customer's invoices billed of one usage key: the re-ratings
// their lines included (UsageTotals.rerated_amount_micros, summed), and
// the line that takes the re-ratings since (the first, in number order,
// of an invoice not cancelled).
struct UsageBilled {
  int64_t rerated_micros = 0;
  std::optional<v1::LineRef> takes_rerating;
};
using UsageBilledMap = std::map<UsageKey, UsageBilled>;

// A usage line re-rated since its invoice (docs/credit_notes.md, cause 4):
// the line that takes the key's re-ratings is owed its amount plus what
// re-ratings moved the month's totals by since what the invoices billed
// (the records it billed at their ratings now; records of the month not
// invoiced yet are billed at their first rating as late usage, and their
// re-rating lands here). false: not a usage line, not the key's taking
// line, or nothing re-rated since.
absl::StatusOr<bool> OwedOfUsageLine(const StateReader& state,
                                     const v1::InvoiceDocument& invoice,
                                     int index, const UsageBilledMap& billed,
                                     LineDifference& d) {
  const v1::DocumentLine& line = invoice.lines(index);
  if (line.source() != v1::LINE_SOURCE_USAGE || !line.has_usage()) {
    return false;
  }
  const v1::UsageTotals& u = line.usage();
  auto it = billed.find(UsageKeyOf(u));
  if (it == billed.end() || !it->second.takes_rerating.has_value() ||
      it->second.takes_rerating->invoice_number() != invoice.number() ||
      it->second.takes_rerating->line_index() != index) {
    return false;
  }
  auto totals = UsageTotalsFor(state, invoice.holder_id(), u.month(),
                               u.object_id());
  if (!totals.ok()) return totals.status();
  int64_t since = 0;
  for (const v1::UsageTotals& t : *totals) {
    if (UsageKeyOf(t) == UsageKeyOf(u)) {
      since = t.rerated_amount_micros() - it->second.rerated_micros;
    }
  }
  if (since == 0) return false;
  auto currency = LookupCurrency(invoice.currency(), "currency");
  if (!currency.ok()) return false;
  const int64_t micros = u.amount_micros() + since;
  auto gross = RoundMicrosToMinor(micros, *currency);
  if (!gross.ok()) return false;
  d.owed_quantity_milli = 1000;
  d.owed_unit_price_micros = micros;
  d.owed_gross_minor = *gross;
  d.owed_why = absl::StrFormat(
      "%d record(s) rated %s, re-rated since the invoice by %s: %s",
      u.records(), FormatMicros(u.amount_micros()), FormatMicros(since),
      FormatMicros(micros));
  return true;
}

// Where the line's objects are billed for its month now: their entity and
// discount (structure as-of queries). nullopt: not known (no object of the
// line in the structure, or objects that disagree): left as invoiced.
struct Placement {
  std::string entity_id;
  int32_t discount_hundredths = 0;
};

absl::StatusOr<std::optional<Placement>> PlacementNow(
    const StateReader& state, const v1::InvoiceDocument& invoice,
    const v1::DocumentLine& line) {
  std::vector<std::string> objects;
  if (!line.object_id().empty()) {
    objects.push_back(line.object_id());
  } else if (!line.rule_id().empty()) {
    auto rule = LoadRule(state, invoice.holder_id(), line.contract_ref(),
                         line.rule_id());
    if (!rule.ok()) return rule.status();
    if (rule->has_value()) {
      objects.assign((*rule)->object_ids().begin(), (*rule)->object_ids().end());
    }
  }
  auto day = ParseBusinessDate(line.period_start(), "period_start");
  if (!day.ok()) return std::nullopt;
  std::optional<Placement> out;
  for (const std::string& o : objects) {
    auto change = AssignmentForMonth(state, invoice.holder_id(), o,
                                     BillingMonth(*day));
    if (absl::IsNotFound(change.status())) continue;
    if (!change.ok()) return change.status();
    Placement p{change->assignment().entity_id(),
                change->assignment().discount_hundredths()};
    if (out.has_value() && (out->entity_id != p.entity_id ||
                            out->discount_hundredths != p.discount_hundredths)) {
      return std::nullopt;
    }
    out = p;
  }
  return out;
}

// The line's owed gross, quantity and unit price from the current state
// (cancelled: nothing; usage re-rated, flat, work units or consumed units:
// recomputed; else as invoiced), in `d`.
// What the customer's invoices billed, for the lines recomputed from
// their key rather than alone (usage lines, time-spent periods).
struct Billed {
  UsageBilledMap usage;
  PeriodBilledMap periods;
};

absl::Status OwedGross(const StateReader& state,
                       const v1::InvoiceDocument& invoice, int index,
                       const Billed& billed, bool cancelled,
                       LineDifference& d) {
  const v1::DocumentLine& line = invoice.lines(index);
  if (cancelled) {
    d.owed_why = absl::StrCat("invoice ", invoice.number(), " cancelled");
    return absl::OkStatus();
  }
  auto rerated = OwedOfUsageLine(state, invoice, index, billed.usage, d);
  if (!rerated.ok()) return rerated.status();
  if (*rerated) return absl::OkStatus();
  auto timed = OwedOfTimeLine(state, invoice, index, billed.periods, d);
  if (!timed.ok()) return timed.status();
  if (*timed) return absl::OkStatus();
  if (line.source() == v1::LINE_SOURCE_RULE && !line.rule_id().empty()) {
    auto rule_line = OwedOfRuleLine(state, invoice, line, d);
    if (!rule_line.ok()) return rule_line.status();
    if (*rule_line) return absl::OkStatus();
    auto consumed = OwedOfConsumedLine(state, invoice, line, d);
    if (!consumed.ok()) return consumed.status();
    if (*consumed) return absl::OkStatus();
  }
  d.owed_gross_minor = line.gross_amount_minor();
  d.owed_quantity_milli = line.quantity_milli();
  d.owed_unit_price_micros = line.unit_price_micros();
  d.owed_why = "as invoiced";
  return absl::OkStatus();
}

// The differences of one invoice line: on each entity that holds some of
// it or should, what it holds now against what it is owed there.
absl::Status DifferencesOf(const StateReader& state,
                           const v1::InvoiceDocument& invoice, int index,
                           const std::map<LineKey, Amounts>& adjustments,
                           const Billed& billed, bool cancelled,
                           std::vector<LineDifference>& out) {
  const v1::DocumentLine& line = invoice.lines(index);
  std::map<std::string, Amounts> now;
  now[line.entity_id()] = {line.gross_amount_minor(), line.discount_minor(),
                           line.net_amount_minor(), false};
  for (auto it = adjustments.lower_bound({invoice.number(), index, ""});
       it != adjustments.end() && std::get<0>(it->first) == invoice.number() &&
       std::get<1>(it->first) == index;
       ++it) {
    Amounts& a = now[std::get<2>(it->first)];
    a.gross += it->second.gross;
    a.discount += it->second.discount;
    a.net += it->second.net;
    a.any = true;
  }
  LineDifference owed;
  owed.ref.set_invoice_number(invoice.number());
  owed.ref.set_line_index(index);
  if (auto s = OwedGross(state, invoice, index, billed, cancelled, owed);
      !s.ok()) {
    return s;
  }
  Placement where{line.entity_id(), line.discount_hundredths()};
  if (!cancelled) {
    auto placed = PlacementNow(state, invoice, line);
    if (!placed.ok()) return placed.status();
    if (placed->has_value()) where = **placed;
  }
  if (where.entity_id != line.entity_id() ||
      where.discount_hundredths != line.discount_hundredths()) {
    absl::StrAppendFormat(&owed.owed_why, "; entity %s, discount %s %% in %s",
                          where.entity_id,
                          FormatFixedPoint(where.discount_hundredths, 2),
                          line.period_start().substr(0, 7));
  }
  owed.owed_discount_minor =
      DiscountMinor(owed.owed_gross_minor, where.discount_hundredths);
  owed.owed_net_minor = owed.owed_gross_minor - owed.owed_discount_minor;
  now.try_emplace(where.entity_id);
  for (const auto& [entity, held] : now) {
    LineDifference d = owed;
    d.entity_id = entity;
    d.untouched = !held.any && entity == line.entity_id();
    d.now_gross_minor = held.gross;
    d.now_discount_minor = held.discount;
    d.now_net_minor = held.net;
    if (entity == where.entity_id) {
      d.owed_discount_hundredths = where.discount_hundredths;
    } else {
      d.owed_gross_minor = d.owed_discount_minor = d.owed_net_minor = 0;
      d.owed_quantity_milli = 0;
      d.owed_discount_hundredths = line.discount_hundredths();
      d.owed_why = cancelled ? owed.owed_why
                             : absl::StrFormat("billed to entity %s in %s",
                                               where.entity_id,
                                               line.period_start().substr(0, 7));
    }
    if (d.net_difference_minor() != 0) out.push_back(std::move(d));
  }
  return absl::OkStatus();
}

// What each usage key's lines and each rule period's lines billed, over
// every issued invoice (whatever `invoices` names: the line taking a key's
// difference is the same for any request).
void CollectBilled(const std::vector<v1::InvoiceDocument>& docs,
                   const std::set<std::string>& cancelled, Billed& out) {
  for (const v1::InvoiceDocument& invoice : docs) {
    if (!Correctable(invoice)) continue;
    const bool taking = !cancelled.contains(invoice.number());
    for (int i = 0; i < invoice.lines_size(); ++i) {
      const v1::DocumentLine& l = invoice.lines(i);
      v1::LineRef ref;
      ref.set_invoice_number(invoice.number());
      ref.set_line_index(i);
      if (l.source() == v1::LINE_SOURCE_USAGE && l.has_usage()) {
        UsageBilled& b = out.usage[UsageKeyOf(l.usage())];
        b.rerated_micros += l.usage().rerated_amount_micros();
        if (taking && !b.takes_rerating.has_value()) b.takes_rerating = ref;
      } else if (l.source() == v1::LINE_SOURCE_RULE && !l.rule_id().empty()) {
        PeriodBilled& b =
            out.periods[{l.contract_ref(), l.rule_id(), l.period_start()}];
        b.gross_minor += l.gross_amount_minor();
        if (taking && !b.takes_difference.has_value()) {
          b.takes_difference = ref;
        }
      }
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<LineDifference>> ComputeLineDifferences(
    const StateReader& state, absl::string_view customer_id,
    const std::vector<std::string>& invoices, absl::string_view cancelled) {
  auto docs = ListDocuments(state, customer_id);
  if (!docs.ok()) return docs.status();
  auto drafts = ListDrafts(state, customer_id);
  if (!drafts.ok()) return drafts.status();
  std::map<LineKey, Amounts> adjustments;
  CollectAdjustments(*docs, adjustments);
  CollectAdjustments(*drafts, adjustments);
  std::set<std::string> cancelled_numbers;
  for (const v1::InvoiceDocument& invoice : *docs) {
    if (!Correctable(invoice)) continue;
    auto c = state.Get(CancelledInvoiceKey(customer_id, invoice.number()));
    if (!c.ok()) return c.status();
    if (c->has_value() || invoice.number() == cancelled) {
      cancelled_numbers.insert(invoice.number());
    }
  }
  Billed billed;
  CollectBilled(*docs, cancelled_numbers, billed);
  const std::set<std::string> named(invoices.begin(), invoices.end());
  std::vector<LineDifference> out;
  for (const v1::InvoiceDocument& invoice : *docs) {
    if (!Correctable(invoice)) continue;
    if (!named.empty() && !named.contains(invoice.number())) continue;
    const bool is_cancelled = cancelled_numbers.contains(invoice.number());
    for (int i = 0; i < invoice.lines_size(); ++i) {
      if (auto s = DifferencesOf(state, invoice, i, adjustments, billed,
                                 is_cancelled, out);
          !s.ok()) {
        return s;
      }
    }
  }
  return out;
}

}  // namespace billing
