// ApplyContractEvent: one event into the state, each checked against what
// the state holds (a contradiction is DataLoss: the projector stops).

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/contracts.h"
#include "engine/contracts/schedule.h"
#include "engine/contracts/store.h"
#include "engine/core/keys.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

absl::Status Corrupt(const v1::EventEnvelope& event, absl::string_view why) {
  return absl::DataLossError(
      // The type was checked against the payload (CheckRecord): a constant.
      absl::StrFormat("%s of %s: %s", event.type(),
                      QuoteValue(event.customer_id()), why));
}

absl::StatusOr<v1::BillingRule> StoredRule(const StateReader& state,
                                           const v1::EventEnvelope& event,
                                           absl::string_view contract_ref,
                                           absl::string_view rule_id) {
  auto rule = LoadRule(state, event.customer_id(), contract_ref, rule_id);
  if (!rule.ok()) return rule.status();
  if (!rule->has_value()) {
    return Corrupt(event, absl::StrFormat("rule %s/%s does not exist",
                                          contract_ref, rule_id));
  }
  return **rule;
}

void PutRule(StateWriter& state, absl::string_view customer_id,
             v1::BillingRule rule) {
  rule.set_version(rule.version() + 1);
  PutMessage(state, RuleKey(customer_id, rule.contract_ref(), rule.rule_id()),
             rule);
}

bool IsReferenceEvent(const v1::ContractEvent& e) {
  switch (e.body_case()) {
    case v1::ContractEvent::kArticleDefined:
    case v1::ContractEvent::kIndexPublished:
    case v1::ContractEvent::kCompanyMarkupSet:
    case v1::ContractEvent::kHourlyRateSet:
      return true;
    default:
      return false;
  }
}

absl::Status ApplyArticle(StateWriter& state, const v1::EventEnvelope& event) {
  const v1::Article& a = event.contract().article_defined().article();
  auto existing = LoadArticle(state, a.article_code());
  if (!existing.ok()) return existing.status();
  const uint64_t version = existing->has_value() ? (*existing)->version() : 0;
  if (a.version() != version + 1) {
    return Corrupt(event,
                   absl::StrFormat("article %s at version %d, but the state "
                                   "is at %d",
                                   a.article_code(), a.version(), version));
  }
  PutMessage(state, ArticleKey(a.article_code()), a);
  return absl::OkStatus();
}

absl::Status ApplyIndex(StateWriter& state, const v1::EventEnvelope& event) {
  const v1::IndexPublication& p =
      event.contract().index_published().publication();
  const std::string key =
      IndexPublicationKey(p.index_code(), p.publication_date());
  auto existing = state.Get(key);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Corrupt(event,
                   absl::StrFormat("index %s already has a value for %s",
                                   p.index_code(), p.publication_date()));
  }
  PutMessage(state, key, p);
  return absl::OkStatus();
}

absl::Status ApplyContract(StateWriter& state, const v1::EventEnvelope& event) {
  const v1::Contract& c = event.contract().contract_created().contract();
  const std::string& customer = event.customer_id();
  if (c.holder_id() != customer) {
    return Corrupt(event, absl::StrCat("holder ", QuoteValue(c.holder_id())));
  }
  auto existing = LoadContract(state, customer, c.contract_ref());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Corrupt(
        event, absl::StrFormat("contract %s already exists", c.contract_ref()));
  }
  PutMessage(state, ContractKey(customer, c.contract_ref()), c);
  return absl::OkStatus();
}

absl::Status ApplyRuleCreated(StateWriter& state,
                              const v1::EventEnvelope& event) {
  const v1::BillingRule& r = event.contract().rule_created().rule();
  const std::string& customer = event.customer_id();
  auto contract = LoadContract(state, customer, r.contract_ref());
  if (!contract.ok()) return contract.status();
  if (!contract->has_value()) {
    return Corrupt(
        event, absl::StrFormat("contract %s does not exist", r.contract_ref()));
  }
  auto existing = LoadRule(state, customer, r.contract_ref(), r.rule_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value() || r.version() != 1) {
    return Corrupt(event, absl::StrFormat("rule %s/%s already exists",
                                          r.contract_ref(), r.rule_id()));
  }
  PutMessage(state, RuleKey(customer, r.contract_ref(), r.rule_id()), r);
  return absl::OkStatus();
}

// The reading's value, and the meter's copies of it.
absl::Status ApplyReadingCorrected(StateWriter& state,
                                   const v1::EventEnvelope& event) {
  const v1::ReadingCorrected& c = event.contract().reading_corrected();
  const std::string& customer = event.customer_id();
  const std::string key = ReadingKey(customer, c.object_id(), c.seq());
  auto reading = GetMessage<v1::Reading>(state, key);
  if (!reading.ok()) return reading.status();
  auto meter = LoadMeter(state, customer, c.object_id());
  if (!meter.ok()) return meter.status();
  if (!reading->has_value() || !meter->has_value()) {
    return Corrupt(event, "the reading corrected does not exist");
  }
  (*reading)->set_value_milli(c.new_value_milli());
  v1::MeterState m = **meter;
  if (m.readings() == c.seq()) m.set_latest_value_milli(c.new_value_milli());
  if (m.last_billed_seq() == c.seq()) {
    m.set_last_billed_value_milli(c.new_value_milli());
  }
  PutMessage(state, key, **reading);
  PutMessage(state, MeterKey(customer, c.object_id()), m);
  return absl::OkStatus();
}

absl::Status ApplyRuleEnded(StateWriter& state,
                            const v1::EventEnvelope& event) {
  const v1::RuleEnded& d = event.contract().rule_ended();
  auto rule = StoredRule(state, event, d.contract_ref(), d.rule_id());
  if (!rule.ok()) return rule.status();
  rule->set_end_date(d.end_date());
  PutRule(state, event.customer_id(), std::move(*rule));
  return absl::OkStatus();
}

absl::Status ApplyRuleDates(StateWriter& state,
                            const v1::EventEnvelope& event) {
  const v1::RuleDatesSet& d = event.contract().rule_dates_set();
  auto rule = StoredRule(state, event, d.contract_ref(), d.rule_id());
  if (!rule.ok()) return rule.status();
  rule->set_next_theoretical_date(d.next_theoretical_date());
  rule->set_last_theoretical_date(d.last_theoretical_date());
  rule->set_last_invoice_date(d.last_invoice_date());
  rule->set_last_invoice_ref(d.last_invoice_ref());
  PutRule(state, event.customer_id(), std::move(*rule));
  return absl::OkStatus();
}

absl::Status ApplyReading(StateWriter& state, const v1::EventEnvelope& event,
                          const v1::LogPosition& position) {
  v1::Reading r = event.contract().reading_recorded().reading();
  const std::string& customer = event.customer_id();
  auto meter = LoadMeter(state, customer, r.object_id());
  if (!meter.ok()) return meter.status();
  v1::MeterState m = meter->value_or(v1::MeterState());
  if (r.seq() != m.readings() + 1) {
    return Corrupt(event,
                   absl::StrFormat("reading #%d of object %s, but %d "
                                   "are recorded",
                                   r.seq(), r.object_id(), m.readings()));
  }
  if ((r.kind() == v1::READING_KIND_INSTALLATION) != (r.seq() == 1)) {
    return Corrupt(event, "the installation reading must be the first");
  }
  m.set_object_id(r.object_id());
  m.set_readings(r.seq());
  m.set_latest_date(r.reading_date());
  m.set_latest_value_milli(r.value_milli());
  if (r.kind() != v1::READING_KIND_REGULAR) {
    m.set_installed_seq(r.seq());
    m.set_installed_value_milli(r.value_milli());
  }
  *r.mutable_position() = position;
  PutMessage(state, ReadingKey(customer, r.object_id(), r.seq()), r);
  PutMessage(state, MeterKey(customer, r.object_id()), m);
  return absl::OkStatus();
}

absl::Status ApplyRuleBilled(StateWriter& state,
                             const v1::EventEnvelope& event) {
  const v1::RuleBilled& b = event.contract().rule_billed();
  auto rule = StoredRule(state, event, b.contract_ref(), b.rule_id());
  if (!rule.ok()) return rule.status();
  auto start = ParseBusinessDate(b.period_start(), "period_start");
  auto invoice_date = ParseBusinessDate(b.invoice_date(), "invoice_date");
  if (!start.ok()) return Corrupt(event, start.status().message());
  if (!invoice_date.ok()) {
    return Corrupt(event, invoice_date.status().message());
  }
  RulePeriod period;
  period.start = *start;
  auto advanced = AdvanceRule(*rule, period, b.invoice_ref(), *invoice_date);
  if (!advanced.ok()) return Corrupt(event, advanced.status().message());
  for (const v1::BilledReading& br : b.readings()) {
    auto meter = LoadMeter(state, event.customer_id(), br.object_id());
    if (!meter.ok()) return meter.status();
    if (!meter->has_value() || br.reading_seq() == 0 ||
        br.reading_seq() > (*meter)->readings()) {
      return Corrupt(event, absl::StrFormat("object %s has no reading #%d",
                                            br.object_id(), br.reading_seq()));
    }
    v1::MeterState m = **meter;
    m.set_last_billed_seq(br.reading_seq());
    m.set_last_billed_value_milli(br.value_milli());
    PutMessage(state, MeterKey(event.customer_id(), br.object_id()), m);
  }
  PutRule(state, event.customer_id(), std::move(*advanced));
  return absl::OkStatus();
}

// A work-units or time entry, under the rule's entries by date then log
// position.
template <typename Entry>
void PutEntry(StateWriter& state, absl::string_view prefix,
              absl::string_view customer, Entry entry,
              const v1::LogPosition& position) {
  *entry.mutable_position() = position;
  PutMessage(
      state,
      RuleEntryKey(prefix, customer, entry.contract_ref(), entry.rule_id(),
                   entry.work_date(), position.offset(), position.index()),
      entry);
}

absl::Status ApplyJob(StateWriter& state, const v1::EventEnvelope& event) {
  const v1::Job& j = event.contract().job_completed().job();
  auto existing = LoadJob(state, event.customer_id(), j.job_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Corrupt(event,
                   absl::StrFormat("job %s already completed", j.job_id()));
  }
  PutMessage(state, JobKey(event.customer_id(), j.job_id()), j);
  return absl::OkStatus();
}

absl::Status ApplyIncrease(StateWriter& state, const v1::EventEnvelope& event,
                           const v1::LogPosition& position) {
  const auto& rec = event.contract().price_increase_recorded();
  auto rule = StoredRule(state, event, rec.contract_ref(), rec.rule_id());
  if (!rule.ok()) return rule.status();
  if (rec.change().seq() !=
      static_cast<uint32_t>(rule->price_history_size() + 1)) {
    return Corrupt(
        event, absl::StrFormat("increase #%d, but the rule has %d",
                               rec.change().seq(), rule->price_history_size()));
  }
  v1::PriceChange* c = rule->add_price_history();
  *c = rec.change();
  *c->mutable_position() = position;
  PutRule(state, event.customer_id(), std::move(*rule));
  return absl::OkStatus();
}

absl::Status ApplyCancel(StateWriter& state, const v1::EventEnvelope& event) {
  const auto& cancel = event.contract().price_increase_cancelled();
  auto rule = StoredRule(state, event, cancel.contract_ref(), cancel.rule_id());
  if (!rule.ok()) return rule.status();
  v1::PriceChange* found = nullptr;
  for (auto& c : *rule->mutable_price_history()) {
    if (c.seq() == cancel.seq()) found = &c;
  }
  if (found == nullptr || !found->cancelled_on().empty()) {
    return Corrupt(
        event, absl::StrFormat("increase #%d is not in force", cancel.seq()));
  }
  found->set_cancelled_on(cancel.cancelled_on());
  found->set_cancel_reason(cancel.reason());
  PutRule(state, event.customer_id(), std::move(*rule));
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyContractEvent(StateWriter& state,
                                const v1::EventEnvelope& event,
                                const v1::LogPosition& position) {
  const v1::ContractEvent& ce = event.contract();
  const std::string& customer = event.customer_id();
  if (IsReferenceEvent(ce) != (customer == kReferencePartition)) {
    return Corrupt(event,
                   "reference data outside the partition \"@reference\""
                   " or customer data inside it");
  }
  switch (ce.body_case()) {
    case v1::ContractEvent::kArticleDefined:
      return ApplyArticle(state, event);
    case v1::ContractEvent::kIndexPublished:
      return ApplyIndex(state, event);
    case v1::ContractEvent::kCompanyMarkupSet: {
      const v1::CompanyMarkup& m = ce.company_markup_set().markup();
      PutMessage(state, CompanyMarkupKey(m.effective_date()), m);
      return absl::OkStatus();
    }
    case v1::ContractEvent::kHourlyRateSet: {
      const v1::HourlyRate& r = ce.hourly_rate_set().rate();
      PutMessage(state, HourlyRateKey(r.person_id(), r.effective_date()), r);
      return absl::OkStatus();
    }
    case v1::ContractEvent::kContractCreated:
      return ApplyContract(state, event);
    case v1::ContractEvent::kRuleCreated:
      return ApplyRuleCreated(state, event);
    case v1::ContractEvent::kRuleDatesSet:
      return ApplyRuleDates(state, event);
    case v1::ContractEvent::kRuleEnded:
      return ApplyRuleEnded(state, event);
    case v1::ContractEvent::kReadingCorrected:
      return ApplyReadingCorrected(state, event);
    case v1::ContractEvent::kRuleBilled:
      return ApplyRuleBilled(state, event);
    case v1::ContractEvent::kReadingRecorded:
      return ApplyReading(state, event, position);
    case v1::ContractEvent::kWorkUnitsRecorded:
      PutEntry(state, kWorkUnitsPrefix, customer,
               ce.work_units_recorded().units(), position);
      return absl::OkStatus();
    case v1::ContractEvent::kTimeRecorded:
      PutEntry(state, kTimeEntryPrefix, customer, ce.time_recorded().entry(),
               position);
      return absl::OkStatus();
    case v1::ContractEvent::kJobCompleted:
      return ApplyJob(state, event);
    case v1::ContractEvent::kPriceIncreaseRecorded:
      return ApplyIncrease(state, event, position);
    case v1::ContractEvent::kPriceIncreaseCancelled:
      return ApplyCancel(state, event);
    case v1::ContractEvent::BODY_NOT_SET:
      break;
  }
  return Corrupt(event, "no contract event");
}

}  // namespace billing
