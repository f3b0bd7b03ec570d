// Contracts and billing rules: create a contract, create a rule (its
// installment schedule resolved), set a rule's dates, record a period
// billed.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/contracts.h"
#include "engine/contracts/decide_support.h"
#include "engine/contracts/due.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/prices.h"
#include "engine/contracts/schedule.h"
#include "engine/contracts/store.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"

namespace billing::contracts_internal {
namespace {

constexpr size_t kInvoiceRefLengthMax = 64;

// ---------------------------------------------------------------------------
// create_contract

absl::Status ValidateContractCodes(const v1::Contract& c) {
  namespace rej = create_contract;
  if (auto s = Named(rej::kContractRefInvalid,
                     Code("contract.contract_ref", c.contract_ref()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kFamilyInvalid,
                     Code("contract.contract_family", c.contract_family()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(rej::kBillingFamilyInvalid,
                     Code("contract.billing_family", c.billing_family()));
      !s.ok()) {
    return s;
  }
  return Named(rej::kSiteCodeInvalid,
               OptionalCode("contract.site_code", c.site_code()));
}

absl::Status ValidateContractDates(const v1::Contract& c) {
  namespace rej = create_contract;
  auto start = NamedIf(rej::kStartDateInvalid,
                       RequiredDate("contract.start_date", c.start_date()));
  if (!start.ok()) return start.status();
  auto end = NamedIf(rej::kEndDateInvalid,
                     OptionalDate("contract.end_date", c.end_date()));
  if (!end.ok()) return end.status();
  if (end->has_value() && **end < *start) {
    return Refuse(rej::kEndDateInvalid, "contract.end_date",
                  absl::StrFormat("%s is before the start %s", c.end_date(),
                                  c.start_date()));
  }
  return absl::OkStatus();
}

absl::Status ValidateBillTo(const v1::BillTo& bill_to) {
  namespace rej = create_contract;
  if (auto s =
          Named(rej::kBillToPartyInvalid,
                OptionalCode("contract.bill_to.party_id", bill_to.party_id()));
      !s.ok()) {
    return s;
  }
  if (!v1::BillToMode_IsValid(bill_to.mode())) {
    return Refuse(rej::kBillToModeInvalid, "contract.bill_to.mode",
                  absl::StrFormat("%d is not a bill-to mode",
                                  static_cast<int>(bill_to.mode())));
  }
  const bool has_mode = bill_to.mode() != v1::BILL_TO_MODE_UNSPECIFIED;
  if (!bill_to.party_id().empty() && !has_mode) {
    return Refuse(rej::kBillToModeInvalid, "contract.bill_to.mode",
                  "is required with a bill-to party (invoice the bill-to "
                  "party, or post to it)");
  }
  if (bill_to.party_id().empty() && has_mode) {
    return Refuse(rej::kBillToPartyRequired, "contract.bill_to.party_id",
                  "is required with a bill-to mode");
  }
  return absl::OkStatus();
}

// The holder exists, the contract does not, the bill-to party is another
// customer.
absl::Status CheckContractAgainstState(const StateReader& state,
                                       absl::string_view customer_id,
                                       const v1::Contract& c) {
  namespace rej = create_contract;
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto existing = LoadContract(state, customer_id, c.contract_ref());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Reject(
        rej::kAlreadyExists,
        absl::StrFormat(
            "contract.contract_ref: %s already exists for customer %s",
            QuoteValue(c.contract_ref()), QuoteValue(customer_id)));
  }
  const std::string& party_id = c.bill_to().party_id();
  if (party_id.empty()) return absl::OkStatus();
  if (party_id == customer_id) {
    return Refuse(rej::kBillToPartyIsHolder, "contract.bill_to.party_id",
                  "is the holder itself; leave it empty");
  }
  auto party = LoadCustomer(state, party_id);
  if (!party.ok()) return party.status();
  if (!party->has_value()) {
    return Refuse(
        rej::kBillToPartyNotFound, "contract.bill_to.party_id",
        absl::StrFormat("%s is not a customer", QuoteValue(party_id)));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// create_rule

// The rule's dates, defaulted to the contract's: within them.
absl::StatusOr<std::pair<std::string, std::string>> RuleDatesIn(
    const v1::BillingRule& r, const v1::Contract& contract) {
  namespace rej = create_rule;
  const std::string start =
      r.start_date().empty() ? contract.start_date() : r.start_date();
  const std::string end =
      r.end_date().empty() ? contract.end_date() : r.end_date();
  const std::string& contract_end = contract.end_date();
  if (start < contract.start_date()) {
    return Refuse(rej::kStartOutsideContract, "rule.start_date",
                  absl::StrFormat("%s is before the contract's start %s", start,
                                  contract.start_date()));
  }
  if (!contract_end.empty() && start > contract_end) {
    return Refuse(rej::kStartOutsideContract, "rule.start_date",
                  absl::StrFormat("%s is after the contract's end %s", start,
                                  contract_end));
  }
  if (!contract_end.empty() && end > contract_end) {
    return Refuse(rej::kEndOutsideContract, "rule.end_date",
                  absl::StrFormat("%s is after the contract's end %s", end,
                                  contract_end));
  }
  if (!end.empty() && end < start) {
    return Refuse(rej::kEndOutsideContract, "rule.end_date",
                  absl::StrFormat("%s is before the start %s", end, start));
  }
  return std::make_pair(start, end);
}

// The customer, its contract and the article exist, the rule does not;
// returns the contract.
absl::StatusOr<v1::Contract> CheckRuleAgainstState(
    const StateReader& state, absl::string_view customer_id,
    const v1::BillingRule& r) {
  namespace rej = create_rule;
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto contract = RequireContract(state, customer_id, r.contract_ref(),
                                  "rule.contract_ref");
  if (!contract.ok()) return contract.status();
  auto existing = LoadRule(state, customer_id, r.contract_ref(), r.rule_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Reject(
        rej::kAlreadyExists,
        absl::StrFormat("rule.rule_id: %s already exists in contract %s",
                        QuoteValue(r.rule_id()), QuoteValue(r.contract_ref())));
  }
  auto article = LoadArticle(state, r.article_code());
  if (!article.ok()) return article.status();
  if (!article->has_value()) {
    return Reject(
        rej::kArticleNotFound,
        absl::StrFormat("rule.article_code: %s is not a defined "
                        "article (define it in \"%s\")",
                        QuoteValue(r.article_code()), kReferencePartition));
  }
  return contract;
}

// An installment is billed as one unit at its amount: the fee (and so
// every installment) is at most kUnitPriceMicrosMax in the currency.
absl::Status FeeWithinAUnitPrice(int64_t fee_minor, const Currency& currency) {
  auto fee_micros = MinorToMicros(fee_minor, currency);
  auto per_minor = MinorToMicros(1, currency);
  if (!per_minor.ok()) return per_minor.status();
  if (fee_micros.ok() && *fee_micros <= kUnitPriceMicrosMax) {
    return absl::OkStatus();
  }
  return Refuse(
      create_rule::kFeeOverUnitPrice, "rule.installment_schedule.fee_minor",
      absl::StrFormat("%s %s is over the maximum %s %s (each installment is "
                      "billed as one unit at a price of at most %s)",
                      FormatMinor(fee_minor, currency), currency.code,
                      FormatMinor(kUnitPriceMicrosMax / *per_minor, currency),
                      currency.code, FormatMicros(kUnitPriceMicrosMax)));
}

constexpr absl::string_view kInstallmentsField =
    "rule.installment_schedule.installments";

// The caller's installments: in [start, end], in date order, adding up to
// the fee. At most kInstallmentsMax amounts of at most kAmountMinorMax each
// (ValidateScheduleShape): the sum fits.
absl::Status CheckGivenInstallments(const v1::InstallmentSchedule& given,
                                    BusinessDate start, BusinessDate end,
                                    const Currency& currency) {
  const auto& rej = create_rule::kInstallmentsMismatch;
  const std::string first = FormatBusinessDate(start);
  const std::string last = FormatBusinessDate(end);
  int64_t sum = 0;
  std::string previous;
  for (int i = 0; i < given.installments_size(); ++i) {
    const v1::Installment& inst = given.installments(i);
    const std::string f =
        absl::StrFormat("%s[%d].due_date", kInstallmentsField, i);
    if (inst.due_date() < first || inst.due_date() > last) {
      return Refuse(rej, f,
                    absl::StrFormat("%s is outside the fiscal year %s to %s",
                                    inst.due_date(), first, last));
    }
    if (!previous.empty() && inst.due_date() <= previous) {
      return Refuse(rej, f,
                    absl::StrFormat("%s does not follow the previous "
                                    "installment's %s",
                                    inst.due_date(), previous));
    }
    previous = inst.due_date();
    sum += inst.amount_minor();
  }
  if (sum != given.fee_minor()) {
    return Refuse(rej, kInstallmentsField,
                  absl::StrFormat("add up to %s, not the fee %s",
                                  FormatMinor(sum, currency),
                                  FormatMinor(given.fee_minor(), currency)));
  }
  return absl::OkStatus();
}

// The fee split evenly over the periods from start to end; the remainder
// of the division goes on the last installment.
absl::StatusOr<v1::InstallmentSchedule> EvenSplit(int64_t fee_minor,
                                                  v1::Periodicity periodicity,
                                                  BusinessDate start,
                                                  BusinessDate end) {
  const int months = PeriodMonths(periodicity);
  std::vector<BusinessDate> dates;
  for (int k = 0;; ++k) {
    const BusinessDate d = AddMonthsClamped(start, k * months);
    if (d > end) break;
    if (static_cast<int>(dates.size()) == kInstallmentsMax) {
      return Refuse(create_rule::kInstallmentsMismatch, kInstallmentsField,
                    absl::StrFormat("an even split would make more than %d "
                                    "installments",
                                    kInstallmentsMax));
    }
    dates.push_back(d);
  }
  v1::InstallmentSchedule out;
  out.set_fee_minor(fee_minor);
  const int64_t n = static_cast<int64_t>(dates.size());
  const int64_t each = fee_minor / n;
  for (int64_t k = 0; k < n; ++k) {
    v1::Installment* inst = out.add_installments();
    inst->set_due_date(FormatBusinessDate(dates[k]));
    inst->set_amount_minor(k + 1 < n ? each : fee_minor - each * (n - 1));
  }
  out.set_even_split(true);
  return out;
}

// Installments of a new schedule rule over its dates: the caller's
// (checked) or an even split.
absl::StatusOr<v1::InstallmentSchedule> ResolveSchedule(
    const v1::BillingRule& r, absl::string_view start_text,
    absl::string_view end_text, const Currency& currency) {
  auto start = ParseBusinessDate(start_text, "rule.start_date");
  auto end = ParseBusinessDate(end_text, "rule.end_date");
  if (!start.ok()) return start.status();
  if (!end.ok()) return end.status();
  const v1::InstallmentSchedule& given = r.installment_schedule();
  if (auto s = FeeWithinAUnitPrice(given.fee_minor(), currency); !s.ok()) {
    return s;
  }
  if (given.installments_size() == 0) {
    return EvenSplit(given.fee_minor(), r.periodicity(), *start, *end);
  }
  if (auto s = CheckGivenInstallments(given, *start, *end, currency); !s.ok()) {
    return s;
  }
  v1::InstallmentSchedule out;
  out.set_fee_minor(given.fee_minor());
  *out.mutable_installments() = given.installments();
  return out;
}

// The rule as recorded: the caller's fields with the defaults filled in.
v1::BillingRule NewRule(const v1::BillingRule& r, v1::BillingTiming timing,
                        const std::pair<std::string, std::string>& dates) {
  v1::BillingRule out;
  out.set_contract_ref(r.contract_ref());
  out.set_rule_id(r.rule_id());
  out.set_label(r.label());
  out.set_rule_type(r.rule_type());
  *out.mutable_object_ids() = r.object_ids();
  out.set_article_code(r.article_code());
  out.set_unit_price_micros(r.unit_price_micros());
  out.set_cost_price_micros(r.cost_price_micros());
  if (r.rule_type() == v1::RULE_TYPE_FLAT) {
    out.set_quantity_milli(r.quantity_milli() == 0 ? kMilliPerUnit
                                                   : r.quantity_milli());
  }
  out.set_periodicity(r.periodicity());
  out.set_timing(timing);
  out.set_start_date(dates.first);
  out.set_end_date(dates.second);
  out.set_condition_job_id(r.condition_job_id());
  out.set_billing_day(r.billing_day());
  out.set_no_proration(r.no_proration());
  out.set_period_days(r.period_days());
  *out.mutable_usage_kinds() = r.usage_kinds();
  if (r.recurring_increase().kind() != v1::INCREASE_KIND_UNSPECIFIED) {
    *out.mutable_recurring_increase() = r.recurring_increase();
    if (r.recurring_increase().kind() == v1::INCREASE_KIND_SYNTEC &&
        r.recurring_increase().syntec().index_code().empty()) {
      out.mutable_recurring_increase()->mutable_syntec()->set_index_code(
          std::string(kDefaultIndexCode));
    }
  }
  return out;
}

absl::StatusOr<Currency> CustomerCurrency(const StateReader& state,
                                          absl::string_view customer_id) {
  auto customer = LoadCustomer(state, customer_id);
  if (!customer.ok()) return customer.status();
  return LookupCurrency((*customer)->currency(), "currency");
}

// ---------------------------------------------------------------------------
// set_rule_dates, record_rule_billed

// 1 to kInvoiceRefLengthMax printable ASCII characters.
absl::Status InvoiceRef(absl::string_view field, absl::string_view ref) {
  if (ref.size() > kInvoiceRefLengthMax || !IsPrintableAsciiToken(ref)) {
    return FieldError(field, absl::StrFormat("must be 1 to %d printable ASCII "
                                             "characters without spaces",
                                             kInvoiceRefLengthMax));
  }
  return absl::OkStatus();
}

absl::Status ValidateRuleDatesShape(const v1::SetRuleDates& cmd) {
  namespace rej = set_rule_dates;
  if (auto s = RuleCodes("", cmd.contract_ref(), cmd.rule_id()); !s.ok())
    return s;
  auto next = NamedIf(
      rej::kNextDateInvalid,
      OptionalDate("next_theoretical_date", cmd.next_theoretical_date()));
  if (!next.ok()) return next.status();
  auto invoiced =
      NamedIf(rej::kLastInvoiceDateInvalid,
              OptionalDate("last_invoice_date", cmd.last_invoice_date()));
  if (!invoiced.ok()) return invoiced.status();
  if (!invoiced->has_value() && !cmd.last_invoice_ref().empty()) {
    return Refuse(rej::kLastInvoiceDateInvalid, "last_invoice_date",
                  "is required with last_invoice_ref");
  }
  if (!invoiced->has_value()) return absl::OkStatus();
  if (cmd.last_invoice_ref().empty()) {
    return Refuse(rej::kLastInvoiceRefInvalid, "last_invoice_ref",
                  "is required with last_invoice_date");
  }
  return Named(rej::kLastInvoiceRefInvalid,
               InvoiceRef("last_invoice_ref", cmd.last_invoice_ref()));
}

// The billing date before `next` ("" for the first), or NOT_A_BILLING_DATE.
absl::StatusOr<std::string> BillingDateBefore(const v1::BillingRule& rule,
                                              absl::string_view next_text,
                                              BusinessDate next) {
  auto index = RuleBillingIndex(rule, next);
  if (!index.ok()) {
    return Refuse(set_rule_dates::kNotABillingDate, "next_theoretical_date",
                  absl::StrFormat("%s is not a billing date of the rule "
                                  "(periods are counted from its start %s)",
                                  next_text, rule.start_date()));
  }
  if (*index == 0) return std::string();
  auto before = RuleBillingDate(rule, *index - 1);
  if (!before.ok()) return before.status();
  return FormatBusinessDate(*before);
}

absl::Status ValidateRuleBilledShape(const v1::RecordRuleBilled& cmd) {
  namespace rej = record_rule_billed;
  if (auto s = RuleCodes("", cmd.contract_ref(), cmd.rule_id()); !s.ok())
    return s;
  auto period_start = NamedIf(rej::kPeriodStartInvalid,
                              RequiredDate("period_start", cmd.period_start()));
  if (!period_start.ok()) return period_start.status();
  if (cmd.invoice_ref().empty()) {
    return Refuse(rej::kInvoiceRefInvalid, "invoice_ref", "is required");
  }
  if (auto s = Named(rej::kInvoiceRefInvalid,
                     InvoiceRef("invoice_ref", cmd.invoice_ref()));
      !s.ok()) {
    return s;
  }
  return NamedIf(rej::kInvoiceDateInvalid,
                 RequiredDate("invoice_date", cmd.invoice_date()))
      .status();
}

// The period at the rule's next date, when it is the one billed and is
// billable by the invoice date.
absl::StatusOr<RulePeriod> PeriodToBill(const v1::BillingRule& rule,
                                        BusinessDate period_start,
                                        const v1::RecordRuleBilled& cmd,
                                        BusinessDate invoice_date) {
  namespace rej = record_rule_billed;
  RulePeriod billed;
  billed.start = period_start;
  auto advanced =
      NamedIf(rej::kPeriodNotNext,
              AdvanceRule(rule, billed, cmd.invoice_ref(), invoice_date));
  if (!advanced.ok()) return advanced.status();
  auto next =
      ParseBusinessDate(rule.next_theoretical_date(), "next_theoretical_date");
  if (!next.ok()) return next.status();
  auto period = RulePeriodBilledOn(rule, *next);
  if (!period.ok()) return period.status();
  if (!period->has_value()) {
    return absl::InternalError("AdvanceRule accepted a finished rule");
  }
  if ((*period)->billing_date > invoice_date) {
    return Reject(
        rej::kPeriodNotBillableYet,
        absl::StrFormat("rule %s: the period %s to %s is billable "
                        "from %s, after the invoice date %s",
                        RuleName(rule), FormatBusinessDate((*period)->start),
                        FormatBusinessDate((*period)->end),
                        FormatBusinessDate((*period)->billing_date),
                        cmd.invoice_date()));
  }
  return **period;
}

// A conditional rule's job is completed by the invoice date.
absl::Status CheckJobDone(const StateReader& state,
                          absl::string_view customer_id,
                          const v1::BillingRule& rule,
                          absl::string_view invoice_date) {
  if (rule.condition_job_id().empty()) return absl::OkStatus();
  auto job = LoadJob(state, customer_id, rule.condition_job_id());
  if (!job.ok()) return job.status();
  if (!job->has_value() || (*job)->completed_on() > invoice_date) {
    return Reject(
        record_rule_billed::kRuleHeld,
        absl::StrFormat("rule %s is held until job %s is recorded "
                        "as completed",
                        RuleName(rule), QuoteValue(rule.condition_job_id())));
  }
  return absl::OkStatus();
}

// The readings a consumed-units rule bills up to, one per object.
absl::Status AddBilledReadings(const StateReader& state,
                               absl::string_view customer_id,
                               const v1::BillingRule& rule,
                               BusinessDate invoice_date,
                               v1::RuleBilled& billed) {
  if (rule.rule_type() != v1::RULE_TYPE_CONSUMED_UNITS) {
    return absl::OkStatus();
  }
  for (const std::string& object : rule.object_ids()) {
    auto units = ComputeConsumedUnits(state, customer_id, object, invoice_date);
    if (!units.ok()) return units.status();
    if (!units->anomaly.empty()) {
      return Reject(record_rule_billed::kReadingAnomaly,
                    absl::StrFormat("rule %s cannot be billed: %s",
                                    RuleName(rule), units->anomaly));
    }
    auto* r = billed.add_readings();
    r->set_object_id(object);
    r->set_reading_seq(units->to.seq());
    r->set_value_milli(units->to.value_milli());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Events> DecideCreateContract(const StateReader& state,
                                            absl::string_view customer_id,
                                            const v1::CreateContract& cmd,
                                            BusinessDate business_date) {
  const v1::Contract& c = cmd.contract();
  if (auto s = ValidateContractCodes(c); !s.ok()) return s;
  if (auto s = ValidateContractDates(c); !s.ok()) return s;
  if (auto s = ValidateBillTo(c.bill_to()); !s.ok()) return s;
  if (auto s = CheckContractAgainstState(state, customer_id, c); !s.ok()) {
    return s;
  }
  v1::EventEnvelope e = NewEvent(kContractCreatedType, customer_id,
                                 FormatBusinessDate(business_date));
  v1::Contract* out =
      e.mutable_contract()->mutable_contract_created()->mutable_contract();
  out->set_contract_ref(c.contract_ref());
  out->set_holder_id(std::string(customer_id));
  out->set_contract_family(c.contract_family());
  out->set_billing_family(c.billing_family());
  out->set_site_code(c.site_code());
  out->set_start_date(c.start_date());
  out->set_end_date(c.end_date());
  if (!c.bill_to().party_id().empty()) *out->mutable_bill_to() = c.bill_to();
  out->set_created_on(FormatBusinessDate(business_date));
  out->set_version(1);
  return One(std::move(e));
}

absl::StatusOr<Events> DecideCreateRule(const StateReader& state,
                                        absl::string_view customer_id,
                                        const v1::CreateRule& cmd,
                                        BusinessDate business_date) {
  const v1::BillingRule& r = cmd.rule();
  auto timing = ValidateRuleShape(r);
  if (!timing.ok()) return timing.status();
  auto contract = CheckRuleAgainstState(state, customer_id, r);
  if (!contract.ok()) return contract.status();
  auto dates = RuleDatesIn(r, *contract);
  if (!dates.ok()) return dates.status();
  auto currency = CustomerCurrency(state, customer_id);
  if (!currency.ok()) return currency.status();
  v1::BillingRule rule = NewRule(r, *timing, *dates);
  if (r.rule_type() == v1::RULE_TYPE_INSTALLMENT_SCHEDULE) {
    auto sched = ResolveSchedule(r, dates->first, dates->second, *currency);
    if (!sched.ok()) return sched.status();
    *rule.mutable_installment_schedule() = std::move(*sched);
  }
  auto next = FirstBillingDate(rule);
  if (!next.ok()) return next.status();
  rule.set_next_theoretical_date(FormatBusinessDate(*next));
  rule.set_created_on(FormatBusinessDate(business_date));
  rule.set_version(1);
  v1::EventEnvelope e = NewEvent(kRuleCreatedType, customer_id,
                                 FormatBusinessDate(business_date));
  *e.mutable_contract()->mutable_rule_created()->mutable_rule() =
      std::move(rule);
  return One(std::move(e));
}

absl::StatusOr<Events> DecideSetRuleDates(const StateReader& state,
                                          absl::string_view customer_id,
                                          const v1::SetRuleDates& cmd) {
  if (auto s = ValidateRuleDatesShape(cmd); !s.ok()) return s;
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, cmd.contract_ref(), cmd.rule_id(),
                          "contract_ref", "rule_id");
  if (!rule.ok()) return rule.status();
  std::string last_theoretical;
  const bool has_next = !cmd.next_theoretical_date().empty();
  if (has_next) {
    auto next =
        ParseBusinessDate(cmd.next_theoretical_date(), "next_theoretical_date");
    if (!next.ok()) return next.status();
    auto before = BillingDateBefore(*rule, cmd.next_theoretical_date(), *next);
    if (!before.ok()) return before.status();
    last_theoretical = std::move(*before);
  }
  v1::EventEnvelope e =
      NewEvent(kRuleDatesSetType, customer_id,
               has_next ? cmd.next_theoretical_date() : rule->start_date());
  auto* set = e.mutable_contract()->mutable_rule_dates_set();
  set->set_contract_ref(cmd.contract_ref());
  set->set_rule_id(cmd.rule_id());
  set->set_next_theoretical_date(cmd.next_theoretical_date());
  set->set_last_theoretical_date(last_theoretical);
  set->set_last_invoice_date(cmd.last_invoice_date());
  set->set_last_invoice_ref(cmd.last_invoice_ref());
  return One(std::move(e));
}

absl::StatusOr<Events> DecideEndRule(const StateReader& state,
                                     absl::string_view customer_id,
                                     const v1::EndRule& cmd) {
  namespace rej = end_rule;
  if (auto s = RuleCodes("", cmd.contract_ref(), cmd.rule_id()); !s.ok()) {
    return s;
  }
  auto end =
      NamedIf(rej::kEndDateInvalid, RequiredDate("end_date", cmd.end_date()));
  if (!end.ok()) return end.status();
  if (auto s = NamedIf(rej::kReasonInvalid,
                       ValidateText("reason", cmd.reason(), 1, kTextLengthMax));
      !s.ok()) {
    return s;
  }
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, cmd.contract_ref(), cmd.rule_id(),
                          "contract_ref", "rule_id");
  if (!rule.ok()) return rule.status();
  if (rule->rule_type() == v1::RULE_TYPE_INSTALLMENT_SCHEDULE) {
    return Refuse(rej::kRuleNotEndable, "rule_id",
                  absl::StrFormat("rule %s is an installment schedule: its "
                                  "end is its fiscal year",
                                  RuleName(*rule)));
  }
  const std::string day = FormatBusinessDate(*end);
  if (day < rule->start_date() ||
      (!rule->end_date().empty() && day >= rule->end_date())) {
    return Refuse(rej::kEndNotEarlier, "end_date",
                  absl::StrFormat("%s is %s of rule %s: a rule is ended "
                                  "early, within its dates",
                                  day,
                                  day < rule->start_date()
                                      ? absl::StrCat("before the start ",
                                                     rule->start_date())
                                      : absl::StrCat("not before the end ",
                                                     rule->end_date()),
                                  RuleName(*rule)));
  }
  v1::EventEnvelope e = NewEvent(kRuleEndedType, customer_id, day);
  v1::RuleEnded* ended = e.mutable_contract()->mutable_rule_ended();
  ended->set_contract_ref(cmd.contract_ref());
  ended->set_rule_id(cmd.rule_id());
  ended->set_end_date(day);
  ended->set_previous_end_date(rule->end_date());
  ended->set_reason(cmd.reason());
  return One(std::move(e));
}

absl::StatusOr<Events> DecideRecordRuleBilled(const StateReader& state,
                                              absl::string_view customer_id,
                                              const v1::RecordRuleBilled& cmd) {
  if (auto s = ValidateRuleBilledShape(cmd); !s.ok()) return s;
  auto period_start = ParseBusinessDate(cmd.period_start(), "period_start");
  auto invoice_date = ParseBusinessDate(cmd.invoice_date(), "invoice_date");
  if (!period_start.ok()) return period_start.status();
  if (!invoice_date.ok()) return invoice_date.status();
  if (auto s = CustomerExists(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, cmd.contract_ref(), cmd.rule_id(),
                          "contract_ref", "rule_id");
  if (!rule.ok()) return rule.status();
  auto period = PeriodToBill(*rule, *period_start, cmd, *invoice_date);
  if (!period.ok()) return period.status();
  if (auto s = CheckJobDone(state, customer_id, *rule, cmd.invoice_date());
      !s.ok()) {
    return s;
  }
  v1::EventEnvelope e =
      NewEvent(kRuleBilledType, customer_id, cmd.invoice_date());
  auto* billed = e.mutable_contract()->mutable_rule_billed();
  if (auto s =
          AddBilledReadings(state, customer_id, *rule, *invoice_date, *billed);
      !s.ok()) {
    return s;
  }
  billed->set_contract_ref(cmd.contract_ref());
  billed->set_rule_id(cmd.rule_id());
  billed->set_period_start(FormatBusinessDate(period->start));
  billed->set_period_end(FormatBusinessDate(period->end));
  billed->set_billing_date(rule->next_theoretical_date());
  billed->set_invoice_ref(cmd.invoice_ref());
  billed->set_invoice_date(cmd.invoice_date());
  return One(std::move(e));
}

}  // namespace billing::contracts_internal
