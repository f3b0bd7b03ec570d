// ContractAnswerFor: what a contracts command answers, read from the state
// right after its record applied.

#include <string>

#include "engine/contracts/contracts.h"
#include "engine/contracts/store.h"
#include "engine/core/keys.h"

namespace billing {
namespace {

// The rule as stored now, when it exists.
absl::Status SetRule(const StateReader& state, absl::string_view customer,
                     absl::string_view contract_ref, absl::string_view rule_id,
                     v1::ContractAnswer& answer) {
  auto rule = LoadRule(state, customer, contract_ref, rule_id);
  if (!rule.ok()) return rule.status();
  if (rule->has_value()) *answer.mutable_rule() = **rule;
  return absl::OkStatus();
}

// Every increase the record holds, as the rule's history has it now; the
// rule itself when there is one increase.
absl::Status SetIncreases(const StateReader& state, const v1::LogRecord& record,
                          v1::ContractAnswer& answer) {
  const std::string& customer = record.customer_id();
  for (const v1::EventEnvelope& e : record.events()) {
    const auto& rec = e.contract().price_increase_recorded();
    auto rule = LoadRule(state, customer, rec.contract_ref(), rec.rule_id());
    if (!rule.ok()) return rule.status();
    v1::RecordedIncrease* out = answer.add_increases();
    out->set_contract_ref(rec.contract_ref());
    out->set_rule_id(rec.rule_id());
    *out->mutable_change() = rec.change();
    if (!rule->has_value()) continue;
    for (const auto& c : (*rule)->price_history()) {
      if (c.seq() == rec.change().seq()) *out->mutable_change() = c;
    }
  }
  if (record.events_size() != 1) return absl::OkStatus();
  const auto& rec = record.events(0).contract().price_increase_recorded();
  return SetRule(state, customer, rec.contract_ref(), rec.rule_id(), answer);
}

// The answer of a record whose first event is `ce` and which names a
// stored object (article, contract, reading).
absl::Status SetStored(const StateReader& state, absl::string_view customer,
                       const v1::ContractEvent& ce,
                       v1::ContractAnswer& answer) {
  switch (ce.body_case()) {
    case v1::ContractEvent::kArticleDefined: {
      auto a =
          LoadArticle(state, ce.article_defined().article().article_code());
      if (!a.ok()) return a.status();
      if (a->has_value()) *answer.mutable_article() = **a;
      return absl::OkStatus();
    }
    case v1::ContractEvent::kContractCreated: {
      auto c = LoadContract(state, customer,
                            ce.contract_created().contract().contract_ref());
      if (!c.ok()) return c.status();
      if (c->has_value()) *answer.mutable_contract() = **c;
      return absl::OkStatus();
    }
    case v1::ContractEvent::kReadingRecorded: {
      const v1::Reading& r = ce.reading_recorded().reading();
      auto stored = GetMessage<v1::Reading>(
          state, ReadingKey(customer, r.object_id(), r.seq()));
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) *answer.mutable_reading() = **stored;
      return absl::OkStatus();
    }
    case v1::ContractEvent::kReadingCorrected: {
      const v1::ReadingCorrected& r = ce.reading_corrected();
      auto stored = GetMessage<v1::Reading>(
          state, ReadingKey(customer, r.object_id(), r.seq()));
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) *answer.mutable_reading() = **stored;
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<v1::ContractAnswer> ContractAnswerFor(
    const StateReader& state, const v1::LogRecord& record) {
  v1::ContractAnswer answer;
  answer.set_events(record.events_size());
  const v1::ContractEvent& ce = record.events(0).contract();
  const std::string& customer = record.customer_id();
  absl::Status s = absl::OkStatus();
  switch (ce.body_case()) {
    case v1::ContractEvent::kIndexPublished:
      *answer.mutable_index_publication() = ce.index_published().publication();
      break;
    case v1::ContractEvent::kCompanyMarkupSet:
      *answer.mutable_company_markup() = ce.company_markup_set().markup();
      break;
    case v1::ContractEvent::kHourlyRateSet:
      *answer.mutable_hourly_rate() = ce.hourly_rate_set().rate();
      break;
    case v1::ContractEvent::kRuleCreated:
      s = SetRule(state, customer, ce.rule_created().rule().contract_ref(),
                  ce.rule_created().rule().rule_id(), answer);
      break;
    case v1::ContractEvent::kRuleDatesSet:
      s = SetRule(state, customer, ce.rule_dates_set().contract_ref(),
                  ce.rule_dates_set().rule_id(), answer);
      break;
    case v1::ContractEvent::kRuleBilled:
      s = SetRule(state, customer, ce.rule_billed().contract_ref(),
                  ce.rule_billed().rule_id(), answer);
      break;
    case v1::ContractEvent::kRuleEnded:
      s = SetRule(state, customer, ce.rule_ended().contract_ref(),
                  ce.rule_ended().rule_id(), answer);
      break;
    case v1::ContractEvent::kWorkUnitsRecorded:
      *answer.mutable_work_units() = ce.work_units_recorded().units();
      break;
    case v1::ContractEvent::kTimeRecorded:
      *answer.mutable_time_entry() = ce.time_recorded().entry();
      break;
    case v1::ContractEvent::kJobCompleted:
      *answer.mutable_job() = ce.job_completed().job();
      break;
    case v1::ContractEvent::kPriceIncreaseRecorded:
      s = SetIncreases(state, record, answer);
      break;
    case v1::ContractEvent::kPriceIncreaseCancelled:
      s = SetRule(state, customer, ce.price_increase_cancelled().contract_ref(),
                  ce.price_increase_cancelled().rule_id(), answer);
      break;
    default:
      s = SetStored(state, customer, ce, answer);
  }
  if (!s.ok()) return s;
  return answer;
}

}  // namespace billing
