// Price increases: schedule a one-off, record the anniversaries a rule's
// policy implies, cancel one.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/contracts.h"
#include "engine/contracts/decide_support.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/prices.h"
#include "engine/contracts/store.h"
#include "engine/contracts/text.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"

namespace billing::contracts_internal {
namespace {

namespace rej = schedule_increase;

absl::Status ValidateIncreaseKind(v1::IncreaseKind kind) {
  if (kind == v1::INCREASE_KIND_UNSPECIFIED) {
    return FieldError("increase.kind",
                      "is required (Syntec, company markup or custom "
                      "percent)");
  }
  if (!v1::IncreaseKind_IsValid(kind)) {
    return FieldError(
        "increase.kind",
        absl::StrFormat("%d is not an increase kind", static_cast<int>(kind)));
  }
  return absl::OkStatus();
}

absl::Status ValidateSyntecIncrease(const v1::SyntecFormula& syntec) {
  if (auto s = ValidateSyntecCoefficients(syntec, "increase.syntec"); !s.ok()) {
    return s;
  }
  if (auto s = OptionalCode("increase.syntec.index_code", syntec.index_code());
      !s.ok()) {
    return s;
  }
  return NotNegativeMicrosAtMost("increase.syntec.reference_index_micros",
                                 syntec.reference_index_micros(),
                                 kIndexMicrosMax);
}

// The formula and new index: only on a Syntec increase.
absl::Status ValidateIncreaseIndex(const v1::PriceIncrease& inc) {
  if (inc.kind() == v1::INCREASE_KIND_SYNTEC) {
    if (auto s =
            Named(rej::kSyntecInvalid, ValidateSyntecIncrease(inc.syntec()));
        !s.ok()) {
      return s;
    }
    return Named(
        rej::kNewIndexInvalid,
        NotNegativeMicrosAtMost("increase.new_index_micros",
                                inc.new_index_micros(), kIndexMicrosMax));
  }
  if (inc.has_syntec()) {
    return Refuse(rej::kSyntecInvalid, "increase.syntec",
                  "only a Syntec increase has one");
  }
  if (inc.new_index_micros() != 0) {
    return Refuse(rej::kNewIndexInvalid, "increase.new_index_micros",
                  "only a Syntec increase has one");
  }
  return absl::OkStatus();
}

// A new price: only on NEW_PRICE, 0 to kUnitPriceMicrosMax.
absl::Status ValidateNewPrice(const v1::PriceIncrease& inc) {
  if (inc.kind() == v1::INCREASE_KIND_NEW_PRICE) {
    return NotNegativeMicrosAtMost("increase.new_price_micros",
                                   inc.new_price_micros(), kUnitPriceMicrosMax);
  }
  if (inc.new_price_micros() != 0) {
    return FieldError("increase.new_price_micros",
                      "only a new-price change has one");
  }
  return absl::OkStatus();
}

absl::Status ValidateIncreasePercent(const v1::PriceIncrease& inc) {
  if (inc.kind() == v1::INCREASE_KIND_CUSTOM_PERCENT) {
    return Percent("increase.percent_bp", inc.percent_bp(), 1);
  }
  if (inc.percent_bp() != 0) {
    return FieldError(
        "increase.percent_bp",
        inc.kind() == v1::INCREASE_KIND_COMPANY_MARKUP
            ? "a company markup uses the company's percent in force on the "
              "date; leave it 0"
            : "only a custom percent increase has one");
  }
  return absl::OkStatus();
}

absl::Status ValidateIncreaseShape(const v1::ScheduleIncrease& cmd) {
  if (auto s = RuleCodes("", cmd.contract_ref(), cmd.rule_id()); !s.ok()) {
    return s;
  }
  const v1::PriceIncrease& inc = cmd.increase();
  auto date = NamedIf(rej::kDateInvalid, RequiredDate("increase.effective_date",
                                                      inc.effective_date()));
  if (!date.ok()) return date.status();
  if (auto s = Named(rej::kKindInvalid, ValidateIncreaseKind(inc.kind()));
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateIncreaseIndex(inc); !s.ok()) return s;
  if (auto s = Named(rej::kNewPriceInvalid, ValidateNewPrice(inc)); !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kPercentInvalid, ValidateIncreasePercent(inc));
      !s.ok()) {
    return s;
  }
  if (inc.kind() == v1::INCREASE_KIND_NEW_PRICE && inc.reason().empty()) {
    return Refuse(rej::kReasonInvalid, "increase.reason",
                  "is required for a new price (why the price changes)");
  }
  return Named(
      rej::kReasonInvalid,
      ValidateText("increase.reason", inc.reason(), 0, kTextLengthMax));
}

// The rule can take one more increase from `effective_date` on.
absl::Status CheckRuleTakesIncrease(const v1::BillingRule& rule,
                                    absl::string_view effective_date) {
  if (!HasUnitPrice(rule.rule_type())) {
    return Reject(
        rej::kNoUnitPrice,
        absl::StrFormat("rule %s is a %s rule: it has no unit price "
                        "to increase",
                        RuleName(rule), RuleTypeName(rule.rule_type())));
  }
  if (rule.price_history_size() >= kPriceHistoryMax) {
    return Reject(rej::kPriceHistoryFull,
                  absl::StrFormat("rule %s has %d increases, at most %d "
                                  "allowed",
                                  RuleName(rule), rule.price_history_size(),
                                  kPriceHistoryMax));
  }
  if (effective_date < rule.start_date()) {
    return Refuse(rej::kBeforeRuleStart, "increase.effective_date",
                  absl::StrFormat("%s is before the rule's start %s",
                                  effective_date, rule.start_date()));
  }
  return absl::OkStatus();
}

// The Syntec formula of `change` completed from the rule's policy, the
// price history and the index published on `date`.
absl::Status ResolveSyntec(const StateReader& state,
                           const v1::BillingRule& rule,
                           const v1::PriceIncrease& inc, BusinessDate date,
                           const PriceInForce& before,
                           v1::PriceChange& change) {
  v1::SyntecFormula* f = change.mutable_syntec();
  *f = inc.syntec();
  if (f->index_code().empty()) {
    const auto& policy = rule.recurring_increase();
    f->set_index_code(policy.kind() == v1::INCREASE_KIND_SYNTEC &&
                              !policy.syntec().index_code().empty()
                          ? policy.syntec().index_code()
                          : std::string(kDefaultIndexCode));
  }
  if (f->reference_index_micros() == 0) {
    if (before.reference_index_micros <= 0) {
      return Reject(rej::kNoReferenceIndex,
                    absl::StrFormat("rule %s has no Syntec reference index as "
                                    "of %s; give "
                                    "increase.syntec.reference_index_micros",
                                    RuleName(rule), inc.effective_date()));
    }
    f->set_reference_index_micros(before.reference_index_micros);
  }
  if (inc.new_index_micros() != 0) {
    change.set_new_index_micros(inc.new_index_micros());
    return absl::OkStatus();
  }
  auto published = LatestIndexOnOrBefore(state, f->index_code(), date);
  if (!published.ok()) return published.status();
  if (!published->has_value()) {
    return Reject(rej::kNoIndex,
                  absl::StrFormat("no %s index published on or before %s; "
                                  "publish it in \"%s\" or give "
                                  "increase.new_index_micros",
                                  f->index_code(), inc.effective_date(),
                                  kReferencePartition));
  }
  change.set_new_index_micros((*published)->value_micros());
  change.set_new_index_date((*published)->publication_date());
  return absl::OkStatus();
}

// Completes `change` (kind, syntec or percent_bp set from the command) with
// what the state says on `date`: the Syntec index code, reference and new
// index, or the company markup in force.
absl::Status ResolveIncreaseParameters(const StateReader& state,
                                       const v1::BillingRule& rule,
                                       const v1::PriceIncrease& inc,
                                       BusinessDate date,
                                       const PriceInForce& before,
                                       v1::PriceChange& change) {
  if (inc.kind() == v1::INCREASE_KIND_SYNTEC) {
    return ResolveSyntec(state, rule, inc, date, before, change);
  }
  if (inc.kind() == v1::INCREASE_KIND_NEW_PRICE) {
    change.set_new_price_micros(inc.new_price_micros());
    return absl::OkStatus();
  }
  if (inc.kind() != v1::INCREASE_KIND_COMPANY_MARKUP) {
    change.set_percent_bp(inc.percent_bp());
    return absl::OkStatus();
  }
  auto markup = CompanyMarkupInForce(state, date);
  if (!markup.ok()) return markup.status();
  if (!markup->has_value()) {
    return Reject(rej::kNoMarkup,
                  absl::StrFormat("no company markup in force on %s; set one "
                                  "in \"%s\"",
                                  inc.effective_date(), kReferencePartition));
  }
  change.set_percent_bp((*markup)->percent_bp());
  return absl::OkStatus();
}

// "Syntec, I_new 280.500000 against I_ref 270.000000", "+3.00 %", "new
// price 95.000000".
std::string DescribeIncrease(const v1::PriceChange& c) {
  if (c.kind() == v1::INCREASE_KIND_NEW_PRICE) {
    return absl::StrCat("new price ", FormatMicros(c.new_price_micros()));
  }
  if (c.kind() == v1::INCREASE_KIND_SYNTEC) {
    return absl::StrFormat("Syntec, I_new %s against I_ref %s",
                           FormatMicros(c.new_index_micros()),
                           FormatMicros(c.syntec().reference_index_micros()));
  }
  return absl::StrCat(
      c.kind() == v1::INCREASE_KIND_COMPANY_MARKUP ? "company markup +" : "+",
      FormatPercentBp(c.percent_bp()));
}

// The new price of `change` from its old price: FailedPrecondition when it
// does not fit in 64 bits or is over kUnitPriceMicrosMax (legal parameters
// whose result is not: the price as it stands makes it illegal now).
absl::StatusOr<int64_t> IncreasedPrice(const v1::BillingRule& rule,
                                       const v1::PriceChange& change) {
  auto after = RevisedPrice(change.old_price_micros(), change);
  if (!after.ok()) {
    return Reject(rej::kNotComputable,
                  absl::StrFormat("rule %s: the increase of %s (%s) cannot be "
                                  "computed from the price %s: %s",
                                  RuleName(rule), change.effective_date(),
                                  DescribeIncrease(change),
                                  FormatMicros(change.old_price_micros()),
                                  after.status().message()));
  }
  if (*after > kUnitPriceMicrosMax) {
    return Reject(rej::kPriceOverMax,
                  absl::StrFormat("rule %s: the increase of %s (%s) would take "
                                  "the price from %s to %s, over the maximum "
                                  "unit price %s",
                                  RuleName(rule), change.effective_date(),
                                  DescribeIncrease(change),
                                  FormatMicros(change.old_price_micros()),
                                  FormatMicros(*after),
                                  FormatMicros(kUnitPriceMicrosMax)));
  }
  return after;
}

// The one-off change `inc` makes to the rule, priced.
absl::StatusOr<v1::PriceChange> OneOffChange(const StateReader& state,
                                             const v1::BillingRule& rule,
                                             const v1::PriceIncrease& inc,
                                             BusinessDate business_date) {
  auto date =
      ParseBusinessDate(inc.effective_date(), "increase.effective_date");
  if (!date.ok()) return date.status();
  auto timeline = BuildPriceTimeline(state, rule, *date);
  if (!timeline.ok()) return timeline.status();
  auto before = NamedIf(rej::kPriceUnknown, PriceAsOf(*timeline, rule, *date));
  if (!before.ok()) return before.status();
  v1::PriceChange change;
  change.set_seq(static_cast<uint32_t>(rule.price_history_size() + 1));
  change.set_effective_date(inc.effective_date());
  change.set_kind(inc.kind());
  change.set_origin(v1::INCREASE_ORIGIN_ONE_OFF);
  change.set_reason(inc.reason());
  change.set_recorded_on(FormatBusinessDate(business_date));
  change.set_old_price_micros(before->price_micros);
  if (auto s =
          ResolveIncreaseParameters(state, rule, inc, *date, *before, change);
      !s.ok()) {
    return s;
  }
  auto after = IncreasedPrice(rule, change);
  if (!after.ok()) return after.status();
  change.set_new_price_micros(*after);
  return change;
}

absl::Status ValidateAnniversariesShape(
    const v1::ApplyAnniversaryIncreases& cmd) {
  namespace rej = apply_anniversary_increases;
  auto as_of = NamedIf(rej::kAsOfDateInvalid,
                       RequiredDate("as_of_date", cmd.as_of_date()));
  if (!as_of.ok()) return as_of.status();
  if (auto s = Named(rej::kContractRefInvalid,
                     OptionalCode("contract_ref", cmd.contract_ref()));
      !s.ok()) {
    return s;
  }
  if (cmd.rule_id().empty()) return absl::OkStatus();
  if (cmd.contract_ref().empty()) {
    return Refuse(rej::kRuleIdInvalid, "rule_id", "needs contract_ref");
  }
  return Named(rej::kRuleIdInvalid, Code("rule_id", cmd.rule_id()));
}

// The rules the command selects: one, one contract's, or the customer's.
absl::StatusOr<std::vector<v1::BillingRule>> SelectedRules(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id) {
  std::vector<v1::BillingRule> rules;
  if (!rule_id.empty()) {
    auto rule = RequireRule(state, customer_id, contract_ref, rule_id,
                            "contract_ref", "rule_id");
    if (!rule.ok()) return rule.status();
    rules.push_back(std::move(*rule));
    return rules;
  }
  std::vector<v1::Contract> contracts;
  if (!contract_ref.empty()) {
    auto contract =
        RequireContract(state, customer_id, contract_ref, "contract_ref");
    if (!contract.ok()) return contract.status();
    contracts.push_back(std::move(*contract));
  } else {
    auto all = ListContracts(state, customer_id);
    if (!all.ok()) return all.status();
    contracts = std::move(*all);
  }
  for (const v1::Contract& c : contracts) {
    auto some = ListRules(state, customer_id, c.contract_ref());
    if (!some.ok()) return some.status();
    for (auto& r : *some) rules.push_back(std::move(r));
  }
  return rules;
}

// The events recording the rule's pending anniversaries up to `as_of`.
absl::Status AddAnniversaries(const StateReader& state,
                              absl::string_view customer_id,
                              const v1::BillingRule& rule, BusinessDate as_of,
                              BusinessDate business_date, Events& events) {
  namespace rej = apply_anniversary_increases;
  auto timeline = BuildPriceTimeline(state, rule, as_of);
  if (!timeline.ok()) return timeline.status();
  uint32_t seq = static_cast<uint32_t>(rule.price_history_size());
  for (const PriceStep& step : timeline->steps) {
    if (!step.pending) continue;
    if (!step.error.empty()) {
      return Reject(rej::kNotComputable,
                    absl::StrFormat("rule %s: %s; nothing recorded",
                                    RuleName(rule), step.error));
    }
    if (static_cast<int>(seq) >= kPriceHistoryMax) {
      return Reject(rej::kPriceHistoryFull,
                    absl::StrFormat("rule %s has %d increases, at most %d "
                                    "allowed",
                                    RuleName(rule), seq, kPriceHistoryMax));
    }
    v1::EventEnvelope e = NewEvent(kPriceIncreaseRecordedType, customer_id,
                                   step.change.effective_date());
    auto* rec = e.mutable_contract()->mutable_price_increase_recorded();
    rec->set_contract_ref(rule.contract_ref());
    rec->set_rule_id(rule.rule_id());
    v1::PriceChange* c = rec->mutable_change();
    *c = step.change;
    c->set_seq(++seq);
    c->set_recorded_on(FormatBusinessDate(business_date));
    events.push_back(std::move(e));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Events> DecideScheduleIncrease(const StateReader& state,
                                              absl::string_view customer_id,
                                              const v1::ScheduleIncrease& cmd,
                                              BusinessDate business_date) {
  if (auto s = ValidateIncreaseShape(cmd); !s.ok()) return s;
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, cmd.contract_ref(), cmd.rule_id(),
                          "contract_ref", "rule_id");
  if (!rule.ok()) return rule.status();
  const v1::PriceIncrease& inc = cmd.increase();
  if (auto s = CheckRuleTakesIncrease(*rule, inc.effective_date()); !s.ok()) {
    return s;
  }
  auto change = OneOffChange(state, *rule, inc, business_date);
  if (!change.ok()) return change.status();
  v1::EventEnvelope e =
      NewEvent(kPriceIncreaseRecordedType, customer_id, inc.effective_date());
  auto* rec = e.mutable_contract()->mutable_price_increase_recorded();
  rec->set_contract_ref(cmd.contract_ref());
  rec->set_rule_id(cmd.rule_id());
  *rec->mutable_change() = std::move(*change);
  return One(std::move(e));
}

absl::StatusOr<Events> DecideApplyAnniversaries(
    const StateReader& state, absl::string_view customer_id,
    const v1::ApplyAnniversaryIncreases& cmd, BusinessDate business_date) {
  if (auto s = ValidateAnniversariesShape(cmd); !s.ok()) return s;
  auto as_of = ParseBusinessDate(cmd.as_of_date(), "as_of_date");
  if (!as_of.ok()) return as_of.status();
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto rules =
      SelectedRules(state, customer_id, cmd.contract_ref(), cmd.rule_id());
  if (!rules.ok()) return rules.status();
  Events events;
  for (const v1::BillingRule& rule : *rules) {
    if (rule.recurring_increase().kind() == v1::INCREASE_KIND_UNSPECIFIED) {
      continue;
    }
    if (auto s = AddAnniversaries(state, customer_id, rule, *as_of,
                                  business_date, events);
        !s.ok()) {
      return s;
    }
  }
  if (events.empty()) {
    return Reject(apply_anniversary_increases::kNothingPending,
                  absl::StrFormat("no anniversary increase is pending on or "
                                  "before %s for the selected rules",
                                  cmd.as_of_date()));
  }
  return events;
}

absl::StatusOr<Events> DecideCancelIncrease(const StateReader& state,
                                            absl::string_view customer_id,
                                            const v1::CancelIncrease& cmd,
                                            BusinessDate business_date) {
  namespace rej = cancel_increase;
  if (auto s = RuleCodes("", cmd.contract_ref(), cmd.rule_id()); !s.ok()) {
    return s;
  }
  if (cmd.seq() == 0) {
    return Refuse(rej::kSeqInvalid, "seq",
                  "is required (the increase's number in the rule's history)");
  }
  if (auto s = Named(rej::kReasonInvalid,
                     ValidateText("reason", cmd.reason(), 1, kTextLengthMax));
      !s.ok()) {
    return s;
  }
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, cmd.contract_ref(), cmd.rule_id(),
                          "contract_ref", "rule_id");
  if (!rule.ok()) return rule.status();
  const v1::PriceChange* found = nullptr;
  for (const v1::PriceChange& c : rule->price_history()) {
    if (c.seq() == cmd.seq()) found = &c;
  }
  if (found == nullptr) {
    return Refuse(rej::kIncreaseNotFound, "seq",
                  absl::StrFormat("rule %s has no increase #%d",
                                  RuleName(*rule), cmd.seq()));
  }
  if (!found->cancelled_on().empty()) {
    return Reject(
        rej::kAlreadyCancelled,
        absl::StrFormat("increase #%d of rule %s was cancelled on %s",
                        cmd.seq(), RuleName(*rule), found->cancelled_on()));
  }
  v1::EventEnvelope e = NewEvent(kPriceIncreaseCancelledType, customer_id,
                                 FormatBusinessDate(business_date));
  auto* c = e.mutable_contract()->mutable_price_increase_cancelled();
  c->set_contract_ref(cmd.contract_ref());
  c->set_rule_id(cmd.rule_id());
  c->set_seq(cmd.seq());
  c->set_reason(cmd.reason());
  c->set_cancelled_on(FormatBusinessDate(business_date));
  return One(std::move(e));
}

}  // namespace billing::contracts_internal
