#include "engine/contracts/contracts.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/contracts/due.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/prices.h"
#include "engine/contracts/schedule.h"
#include "engine/customer/customer.h"
#include "engine/contracts/text.h"
#include "engine/core/keys.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

using contracts_internal::FormatMilli;
using contracts_internal::RuleTypeName;
using Events = std::vector<v1::EventEnvelope>;

constexpr size_t kCodeLengthMax = 32;
constexpr size_t kObjectIdLengthMax = 64;
constexpr size_t kTextLengthMax = 200;
constexpr size_t kInvoiceRefLengthMax = 64;
constexpr int32_t kVatRateBpMax = 10'000;
// One time entry: at most a day.
constexpr int64_t kHoursPerEntryMaxMilli = 24'000;
// Objects named in a "not covered" message.
constexpr int kObjectsListedMax = 10;

v1::EventEnvelope NewEvent(absl::string_view type,
                           absl::string_view customer_id,
                           absl::string_view effective_date) {
  v1::EventEnvelope event;
  event.set_type(std::string(type));
  event.set_customer_id(std::string(customer_id));
  event.set_effective_date(std::string(effective_date));
  event.set_schema_version(1);
  return event;
}

Events One(v1::EventEnvelope e) {
  Events out;
  out.push_back(std::move(e));
  return out;
}

absl::Status Code(absl::string_view field, absl::string_view value) {
  return ValidateCode(field, value, kCodeLengthMax);
}

absl::Status OptionalCode(absl::string_view field, absl::string_view value) {
  return value.empty() ? absl::OkStatus() : Code(field, value);
}

absl::StatusOr<BusinessDate> RequiredDate(absl::string_view field,
                                          absl::string_view text) {
  if (text.empty()) return FieldError(field, "is required");
  return ParseBusinessDate(text, field);
}

absl::StatusOr<std::optional<BusinessDate>> OptionalDate(
    absl::string_view field, absl::string_view text) {
  if (text.empty()) return std::optional<BusinessDate>();
  auto d = ParseBusinessDate(text, field);
  if (!d.ok()) return d.status();
  return std::optional<BusinessDate>(*d);
}

absl::Status NotNegativeMicros(absl::string_view field, int64_t v) {
  if (v < 0) {
    return FieldError(field, absl::StrCat(FormatMicros(v), " is negative"));
  }
  return absl::OkStatus();
}

// At most `max` (engine/contracts/limits.h): both as the integers the
// field holds, so that a caller can compare them with what it sent.
absl::Status AtMost(absl::string_view field, int64_t v, int64_t max) {
  if (v > max) {
    return FieldError(field,
                      absl::StrFormat("%d is over the maximum %d", v, max));
  }
  return absl::OkStatus();
}

// 0 to `max`.
absl::Status NotNegativeMicrosAtMost(absl::string_view field, int64_t v,
                                     int64_t max) {
  if (auto s = NotNegativeMicros(field, v); !s.ok()) return s;
  return AtMost(field, v, max);
}

absl::Status NotNegativeMilliAtMost(absl::string_view field, int64_t v,
                                    int64_t max) {
  if (v < 0) {
    return FieldError(field, absl::StrCat(FormatMilli(v), " is negative"));
  }
  return AtMost(field, v, max);
}

absl::Status Percent(absl::string_view field, int32_t bp, int32_t min) {
  if (bp < min || bp > kPercentBpMax) {
    return FieldError(
        field,
        absl::StrFormat("%d is not between %d and %d basis points "
                        "(%s to %s)",
                        bp, min, kPercentBpMax,
                        contracts_internal::FormatPercentBp(min),
                        contracts_internal::FormatPercentBp(kPercentBpMax)));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Contract> RequireContract(const StateReader& state,
                                             absl::string_view customer_id,
                                             absl::string_view contract_ref,
                                             absl::string_view field) {
  auto c = LoadContract(state, customer_id, contract_ref);
  if (!c.ok()) return c.status();
  if (!c->has_value()) {
    return absl::NotFoundError(
        absl::StrFormat("%s: %s is not a contract of customer %s", field,
                        QuoteValue(contract_ref), QuoteValue(customer_id)));
  }
  return **c;
}

absl::StatusOr<v1::BillingRule> RequireRule(const StateReader& state,
                                            absl::string_view customer_id,
                                            absl::string_view contract_ref,
                                            absl::string_view rule_id,
                                            absl::string_view contract_field,
                                            absl::string_view rule_field) {
  auto contract =
      RequireContract(state, customer_id, contract_ref, contract_field);
  if (!contract.ok()) return contract.status();
  auto r = LoadRule(state, customer_id, contract_ref, rule_id);
  if (!r.ok()) return r.status();
  if (!r->has_value()) {
    return absl::NotFoundError(
        absl::StrFormat("%s: %s is not a rule of contract %s", rule_field,
                        QuoteValue(rule_id), QuoteValue(contract_ref)));
  }
  return **r;
}

std::string RuleName(const v1::BillingRule& rule) {
  return absl::StrCat(rule.contract_ref(), "/", rule.rule_id());
}

// A rule whose price is its own unit price (increases apply to it).
bool HasUnitPrice(v1::RuleType type) {
  return type == v1::RULE_TYPE_FLAT || type == v1::RULE_TYPE_CONSUMED_UNITS ||
         type == v1::RULE_TYPE_UNIT_OF_WORK;
}

// ---------------------------------------------------------------------------
// Reference data

absl::StatusOr<Events> DecideDefineArticle(const StateReader& state,
                                           absl::string_view partition,
                                           const v1::DefineArticle& cmd,
                                           BusinessDate business_date) {
  const v1::Article& a = cmd.article();
  if (auto s = Code("article.article_code", a.article_code()); !s.ok()) {
    return s;
  }
  if (auto s = ValidateText("article.label", a.label(), 1, kTextLengthMax);
      !s.ok()) {
    return s;
  }
  if (a.vat_rate_bp() < 0 || a.vat_rate_bp() > kVatRateBpMax) {
    return FieldError("article.vat_rate_bp",
                      absl::StrFormat("%d is not between 0 and %d basis "
                                      "points (0 %% to 100 %%)",
                                      a.vat_rate_bp(), kVatRateBpMax));
  }
  auto existing = LoadArticle(state, a.article_code());
  if (!existing.ok()) return existing.status();
  v1::EventEnvelope e = NewEvent(kArticleDefinedType, partition,
                                 FormatBusinessDate(business_date));
  v1::Article* out =
      e.mutable_contract()->mutable_article_defined()->mutable_article();
  out->set_article_code(a.article_code());
  out->set_label(a.label());
  out->set_vat_rate_bp(a.vat_rate_bp());
  out->set_version(existing->has_value() ? (*existing)->version() + 1 : 1);
  return One(std::move(e));
}

absl::StatusOr<Events> DecidePublishIndex(const StateReader& state,
                                          absl::string_view partition,
                                          const v1::PublishIndex& cmd) {
  const v1::IndexPublication& p = cmd.publication();
  if (auto s = Code("publication.index_code", p.index_code()); !s.ok()) {
    return s;
  }
  auto date =
      RequiredDate("publication.publication_date", p.publication_date());
  if (!date.ok()) return date.status();
  if (p.value_micros() <= 0) {
    return FieldError(
        "publication.value_micros",
        absl::StrCat(FormatMicros(p.value_micros()), " is not positive"));
  }
  if (auto s =
          AtMost("publication.value_micros", p.value_micros(), kIndexMicrosMax);
      !s.ok()) {
    return s;
  }
  auto existing = GetMessage<v1::IndexPublication>(
      state, IndexPublicationKey(p.index_code(), p.publication_date()));
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(absl::StrFormat(
        "publication.publication_date: index %s already has a value for "
        "%s (%s)",
        QuoteValue(p.index_code()), p.publication_date(),
        FormatMicros((*existing)->value_micros())));
  }
  v1::EventEnvelope e =
      NewEvent(kIndexPublishedType, partition, p.publication_date());
  *e.mutable_contract()->mutable_index_published()->mutable_publication() = p;
  return One(std::move(e));
}

absl::StatusOr<Events> DecideSetCompanyMarkup(absl::string_view partition,
                                              const v1::SetCompanyMarkup& cmd) {
  const v1::CompanyMarkup& m = cmd.markup();
  auto date = RequiredDate("markup.effective_date", m.effective_date());
  if (!date.ok()) return date.status();
  if (auto s = Percent("markup.percent_bp", m.percent_bp(), 0); !s.ok()) {
    return s;
  }
  v1::EventEnvelope e =
      NewEvent(kCompanyMarkupSetType, partition, m.effective_date());
  *e.mutable_contract()->mutable_company_markup_set()->mutable_markup() = m;
  return One(std::move(e));
}

absl::StatusOr<Events> DecideSetHourlyRate(absl::string_view partition,
                                           const v1::SetHourlyRate& cmd) {
  const v1::HourlyRate& r = cmd.rate();
  if (auto s = Code("rate.person_id", r.person_id()); !s.ok()) return s;
  auto date = RequiredDate("rate.effective_date", r.effective_date());
  if (!date.ok()) return date.status();
  if (auto s = NotNegativeMicrosAtMost("rate.rate_micros", r.rate_micros(),
                                       kUnitPriceMicrosMax);
      !s.ok()) {
    return s;
  }
  v1::EventEnvelope e =
      NewEvent(kHourlyRateSetType, partition, r.effective_date());
  *e.mutable_contract()->mutable_hourly_rate_set()->mutable_rate() = r;
  return One(std::move(e));
}

// ---------------------------------------------------------------------------
// Contracts

absl::StatusOr<Events> DecideCreateContract(const StateReader& state,
                                            absl::string_view customer_id,
                                            const v1::CreateContract& cmd,
                                            BusinessDate business_date) {
  const v1::Contract& c = cmd.contract();
  if (auto s = Code("contract.contract_ref", c.contract_ref()); !s.ok()) {
    return s;
  }
  if (auto s = Code("contract.contract_family", c.contract_family()); !s.ok()) {
    return s;
  }
  if (auto s = Code("contract.billing_family", c.billing_family()); !s.ok()) {
    return s;
  }
  if (auto s = OptionalCode("contract.site_code", c.site_code()); !s.ok()) {
    return s;
  }
  auto start = RequiredDate("contract.start_date", c.start_date());
  if (!start.ok()) return start.status();
  auto end = OptionalDate("contract.end_date", c.end_date());
  if (!end.ok()) return end.status();
  if (end->has_value() && **end < *start) {
    return FieldError("contract.end_date",
                      absl::StrFormat("%s is before the start %s", c.end_date(),
                                      c.start_date()));
  }
  const v1::BillTo& bill_to = c.bill_to();
  if (auto s = OptionalCode("contract.bill_to.party_id", bill_to.party_id());
      !s.ok()) {
    return s;
  }
  if (!v1::BillToMode_IsValid(bill_to.mode())) {
    return FieldError("contract.bill_to.mode",
                      absl::StrFormat("%d is not a bill-to mode",
                                      static_cast<int>(bill_to.mode())));
  }
  if (!bill_to.party_id().empty() &&
      bill_to.mode() == v1::BILL_TO_MODE_UNSPECIFIED) {
    return FieldError("contract.bill_to.mode",
                      "is required with a bill-to party (invoice the bill-to "
                      "party, or post to it)");
  }
  if (bill_to.party_id().empty() &&
      bill_to.mode() != v1::BILL_TO_MODE_UNSPECIFIED) {
    return FieldError("contract.bill_to.party_id",
                      "is required with a bill-to mode");
  }
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto existing = LoadContract(state, customer_id, c.contract_ref());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(absl::StrFormat(
        "contract.contract_ref: %s already exists for customer %s",
        QuoteValue(c.contract_ref()), QuoteValue(customer_id)));
  }
  if (!bill_to.party_id().empty()) {
    if (bill_to.party_id() == customer_id) {
      return FieldError("contract.bill_to.party_id",
                        "is the holder itself; leave it empty");
    }
    auto party = LoadCustomer(state, bill_to.party_id());
    if (!party.ok()) return party.status();
    if (!party->has_value()) {
      return absl::NotFoundError(
          absl::StrFormat("contract.bill_to.party_id: %s is not a customer",
                          QuoteValue(bill_to.party_id())));
    }
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
  if (!bill_to.party_id().empty()) *out->mutable_bill_to() = bill_to;
  out->set_created_on(FormatBusinessDate(business_date));
  out->set_version(1);
  return One(std::move(e));
}

// The rule's type, objects and article code.
absl::Status ValidateRuleIdentity(const v1::BillingRule& r) {
  if (auto s = Code("rule.contract_ref", r.contract_ref()); !s.ok()) return s;
  if (auto s = Code("rule.rule_id", r.rule_id()); !s.ok()) return s;
  if (auto s = ValidateText("rule.label", r.label(), 0, kTextLengthMax);
      !s.ok()) {
    return s;
  }
  const v1::RuleType type = r.rule_type();
  if (type == v1::RULE_TYPE_UNSPECIFIED) {
    return FieldError("rule.rule_type",
                      "is required (flat, consumed units, unit of work, time "
                      "spent or installment schedule)");
  }
  if (!v1::RuleType_IsValid(type)) {
    return FieldError(
        "rule.rule_type",
        absl::StrFormat("%d is not a rule type", static_cast<int>(type)));
  }
  if (r.object_ids_size() == 0) {
    return FieldError("rule.object_ids",
                      "is required (at least one object or equipment line)");
  }
  if (r.object_ids_size() > kRuleObjectsMax) {
    return FieldError("rule.object_ids",
                      absl::StrFormat("has %d objects, at most %d allowed",
                                      r.object_ids_size(), kRuleObjectsMax));
  }
  std::set<std::string> seen;
  for (int i = 0; i < r.object_ids_size(); ++i) {
    const std::string field = absl::StrFormat("rule.object_ids[%d]", i);
    if (auto s = ValidateObjectId(field, r.object_ids(i)); !s.ok()) return s;
    if (!seen.insert(r.object_ids(i)).second) {
      return FieldError(field, absl::StrFormat("%s is listed twice",
                                               QuoteValue(r.object_ids(i))));
    }
  }
  return Code("rule.article_code", r.article_code());
}

// Unit price, cost price and quantity: each 0 to its maximum, and only on
// the rule types that have one.
absl::Status ValidateRuleValues(const v1::BillingRule& r) {
  const v1::RuleType type = r.rule_type();
  if (auto s = NotNegativeMicrosAtMost(
          "rule.unit_price_micros", r.unit_price_micros(), kUnitPriceMicrosMax);
      !s.ok()) {
    return s;
  }
  if (!HasUnitPrice(type) && r.unit_price_micros() != 0) {
    return FieldError(
        "rule.unit_price_micros",
        type == v1::RULE_TYPE_TIME_SPENT
            ? "a time-spent rule is priced by each person's hourly rate; "
              "leave it 0"
            : "an installment schedule bills its installments; leave it 0");
  }
  if (auto s = NotNegativeMicrosAtMost(
          "rule.cost_price_micros", r.cost_price_micros(), kUnitPriceMicrosMax);
      !s.ok()) {
    return s;
  }
  if (auto s = NotNegativeMilliAtMost("rule.quantity_milli", r.quantity_milli(),
                                      kQuantityMilliMax);
      !s.ok()) {
    return s;
  }
  if (type != v1::RULE_TYPE_FLAT && r.quantity_milli() != 0) {
    return FieldError("rule.quantity_milli",
                      "only a flat rule has a fixed quantity");
  }
  return absl::OkStatus();
}

// Periodicity and timing; returns the timing to use.
absl::StatusOr<v1::BillingTiming> ValidateRuleTiming(const v1::BillingRule& r) {
  if (r.periodicity() == v1::PERIODICITY_UNSPECIFIED) {
    return FieldError("rule.periodicity",
                      "is required (monthly, bimonthly, quarterly, "
                      "half-yearly or yearly)");
  }
  if (!v1::Periodicity_IsValid(r.periodicity())) {
    return FieldError("rule.periodicity",
                      absl::StrFormat("%d is not a periodicity",
                                      static_cast<int>(r.periodicity())));
  }
  if (!v1::BillingTiming_IsValid(r.timing())) {
    return FieldError("rule.timing",
                      absl::StrFormat("%d is not a billing timing",
                                      static_cast<int>(r.timing())));
  }
  const v1::RuleType type = r.rule_type();
  const v1::BillingTiming timing = r.timing();
  if (type == v1::RULE_TYPE_FLAT) {
    if (timing == v1::BILLING_TIMING_UNSPECIFIED) {
      return FieldError("rule.timing",
                        "is required for a flat rule (in advance or in "
                        "arrears)");
    }
    return timing;
  }
  if (type == v1::RULE_TYPE_INSTALLMENT_SCHEDULE) {
    if (timing == v1::BILLING_TIMING_IN_ARREARS) {
      return FieldError("rule.timing",
                        "an installment schedule is billed in advance, on "
                        "each installment's due date");
    }
    return v1::BILLING_TIMING_IN_ADVANCE;
  }
  if (timing == v1::BILLING_TIMING_IN_ADVANCE) {
    return FieldError(
        "rule.timing",
        absl::StrFormat("a %s rule is billed in arrears: what is measured "
                        "cannot be billed before it is",
                        RuleTypeName(type)));
  }
  return v1::BILLING_TIMING_IN_ARREARS;
}

absl::Status ValidateRuleDates(const v1::BillingRule& r) {
  auto start = OptionalDate("rule.start_date", r.start_date());
  if (!start.ok()) return start.status();
  auto end = OptionalDate("rule.end_date", r.end_date());
  if (!end.ok()) return end.status();
  if (start->has_value() && end->has_value() && **end < **start) {
    return FieldError("rule.end_date",
                      absl::StrFormat("%s is before the start %s", r.end_date(),
                                      r.start_date()));
  }
  if (r.rule_type() == v1::RULE_TYPE_INSTALLMENT_SCHEDULE &&
      !end->has_value()) {
    return FieldError("rule.end_date",
                      "is required for an installment schedule (the last "
                      "day of the fiscal year)");
  }
  return OptionalCode("rule.condition_job_id", r.condition_job_id());
}

absl::Status ValidateRecurringIncrease(const v1::BillingRule& r) {
  const v1::RuleType type = r.rule_type();
  const v1::RecurringIncrease& inc = r.recurring_increase();
  if (!v1::IncreaseKind_IsValid(inc.kind())) {
    return FieldError("rule.recurring_increase.kind",
                      absl::StrFormat("%d is not an increase kind",
                                      static_cast<int>(inc.kind())));
  }
  if (inc.kind() != v1::INCREASE_KIND_UNSPECIFIED && !HasUnitPrice(type)) {
    return FieldError("rule.recurring_increase.kind",
                      absl::StrFormat("a %s rule has no unit price to "
                                      "increase",
                                      RuleTypeName(type)));
  }
  if (inc.kind() == v1::INCREASE_KIND_UNSPECIFIED &&
      (inc.has_syntec() || inc.percent_bp() != 0)) {
    return FieldError("rule.recurring_increase.kind",
                      "is required when syntec or percent_bp is given");
  }
  if (inc.kind() == v1::INCREASE_KIND_SYNTEC) {
    if (auto s = ValidateSyntecCoefficients(inc.syntec(),
                                            "rule.recurring_increase.syntec");
        !s.ok()) {
      return s;
    }
    if (auto s = OptionalCode("rule.recurring_increase.syntec.index_code",
                              inc.syntec().index_code());
        !s.ok()) {
      return s;
    }
    constexpr absl::string_view kReference =
        "rule.recurring_increase.syntec.reference_index_micros";
    if (inc.syntec().reference_index_micros() <= 0) {
      return FieldError(
          kReference,
          "is required (the index value the price was agreed at), positive");
    }
    if (auto s = AtMost(kReference, inc.syntec().reference_index_micros(),
                        kIndexMicrosMax);
        !s.ok()) {
      return s;
    }
  } else if (inc.has_syntec()) {
    return FieldError("rule.recurring_increase.syntec",
                      "only a Syntec policy has one");
  }
  if (inc.kind() == v1::INCREASE_KIND_CUSTOM_PERCENT) {
    return Percent("rule.recurring_increase.percent_bp", inc.percent_bp(), 1);
  }
  if (inc.percent_bp() != 0) {
    return FieldError("rule.recurring_increase.percent_bp",
                      "only a custom percent policy has one");
  }
  return absl::OkStatus();
}

// The fee and the installments: each 0 to kAmountMinorMax (so that their
// sum fits), at most kInstallmentsMax of them.
absl::Status ValidateScheduleShape(const v1::BillingRule& r) {
  const v1::InstallmentSchedule& sched = r.installment_schedule();
  if (r.rule_type() != v1::RULE_TYPE_INSTALLMENT_SCHEDULE) {
    if (r.has_installment_schedule()) {
      return FieldError("rule.installment_schedule",
                        "only an installment schedule rule has one");
    }
    return absl::OkStatus();
  }
  constexpr absl::string_view kFee = "rule.installment_schedule.fee_minor";
  if (sched.fee_minor() < 0) {
    return FieldError(kFee,
                      absl::StrFormat("%d is negative", sched.fee_minor()));
  }
  if (auto s = AtMost(kFee, sched.fee_minor(), kAmountMinorMax); !s.ok()) {
    return s;
  }
  if (sched.installments_size() > kInstallmentsMax) {
    return FieldError(
        "rule.installment_schedule.installments",
        absl::StrFormat("has %d installments, at most %d allowed",
                        sched.installments_size(), kInstallmentsMax));
  }
  for (int i = 0; i < sched.installments_size(); ++i) {
    const std::string field =
        absl::StrFormat("rule.installment_schedule.installments[%d]", i);
    const v1::Installment& inst = sched.installments(i);
    auto due = RequiredDate(field + ".due_date", inst.due_date());
    if (!due.ok()) return due.status();
    if (inst.amount_minor() < 0) {
      return FieldError(field + ".amount_minor",
                        absl::StrFormat("%d is negative", inst.amount_minor()));
    }
    if (auto s = AtMost(field + ".amount_minor", inst.amount_minor(),
                        kAmountMinorMax);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// The caller's fields of a rule, checked in the documented order; returns
// the timing to use.
absl::StatusOr<v1::BillingTiming> ValidateRuleShape(const v1::BillingRule& r) {
  if (auto s = ValidateRuleIdentity(r); !s.ok()) return s;
  if (auto s = ValidateRuleValues(r); !s.ok()) return s;
  auto timing = ValidateRuleTiming(r);
  if (!timing.ok()) return timing.status();
  if (auto s = ValidateRuleDates(r); !s.ok()) return s;
  if (auto s = ValidateRecurringIncrease(r); !s.ok()) return s;
  if (auto s = ValidateScheduleShape(r); !s.ok()) return s;
  return timing;
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
  return FieldError(
      "rule.installment_schedule.fee_minor",
      absl::StrFormat("%s %s is over the maximum %s %s (each installment is "
                      "billed as one unit at a price of at most %s)",
                      FormatMinor(fee_minor, currency), currency.code,
                      FormatMinor(kUnitPriceMicrosMax / *per_minor, currency),
                      currency.code, FormatMicros(kUnitPriceMicrosMax)));
}

// Installments of a new schedule rule over [start, end]: the caller's
// (checked) or an even split.
absl::StatusOr<v1::InstallmentSchedule> ResolveSchedule(
    const v1::BillingRule& r, BusinessDate start, BusinessDate end,
    const Currency& currency) {
  v1::InstallmentSchedule out;
  const v1::InstallmentSchedule& given = r.installment_schedule();
  if (auto s = FeeWithinAUnitPrice(given.fee_minor(), currency); !s.ok()) {
    return s;
  }
  out.set_fee_minor(given.fee_minor());
  const std::string field = "rule.installment_schedule.installments";
  if (given.installments_size() > 0) {
    // At most kInstallmentsMax amounts of at most kAmountMinorMax each
    // (ValidateScheduleShape): the sum fits.
    int64_t sum = 0;
    std::string previous;
    for (int i = 0; i < given.installments_size(); ++i) {
      const v1::Installment& inst = given.installments(i);
      const std::string f = absl::StrFormat("%s[%d].due_date", field, i);
      const std::string first = FormatBusinessDate(start);
      const std::string last = FormatBusinessDate(end);
      if (inst.due_date() < first || inst.due_date() > last) {
        return FieldError(f, absl::StrFormat("%s is outside the fiscal year "
                                             "%s to %s",
                                             inst.due_date(), first, last));
      }
      if (!previous.empty() && inst.due_date() <= previous) {
        return FieldError(f, absl::StrFormat("%s does not follow the "
                                             "previous installment's %s",
                                             inst.due_date(), previous));
      }
      previous = inst.due_date();
      sum += inst.amount_minor();
    }
    if (sum != given.fee_minor()) {
      return FieldError(
          field, absl::StrFormat("add up to %s, not the fee %s",
                                 FormatMinor(sum, currency),
                                 FormatMinor(given.fee_minor(), currency)));
    }
    *out.mutable_installments() = given.installments();
    return out;
  }
  const int months = PeriodMonths(r.periodicity());
  std::vector<BusinessDate> dates;
  for (int k = 0;; ++k) {
    const BusinessDate d = AddMonthsClamped(start, k * months);
    if (d > end) break;
    if (static_cast<int>(dates.size()) == kInstallmentsMax) {
      return FieldError(field, absl::StrFormat("an even split would make "
                                               "more than %d installments",
                                               kInstallmentsMax));
    }
    dates.push_back(d);
  }
  const int64_t n = static_cast<int64_t>(dates.size());
  const int64_t each = given.fee_minor() / n;
  for (int64_t k = 0; k < n; ++k) {
    v1::Installment* inst = out.add_installments();
    inst->set_due_date(FormatBusinessDate(dates[k]));
    // The remainder of the division goes on the last installment.
    inst->set_amount_minor(k + 1 < n ? each
                                     : given.fee_minor() - each * (n - 1));
  }
  out.set_even_split(true);
  return out;
}

absl::StatusOr<Events> DecideCreateRule(const StateReader& state,
                                        absl::string_view customer_id,
                                        const v1::CreateRule& cmd,
                                        BusinessDate business_date) {
  const v1::BillingRule& r = cmd.rule();
  auto timing = ValidateRuleShape(r);
  if (!timing.ok()) return timing.status();
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto contract = RequireContract(state, customer_id, r.contract_ref(),
                                  "rule.contract_ref");
  if (!contract.ok()) return contract.status();
  auto existing = LoadRule(state, customer_id, r.contract_ref(), r.rule_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(
        absl::StrFormat("rule.rule_id: %s already exists in contract %s",
                        QuoteValue(r.rule_id()), QuoteValue(r.contract_ref())));
  }
  auto article = LoadArticle(state, r.article_code());
  if (!article.ok()) return article.status();
  if (!article->has_value()) {
    return absl::NotFoundError(absl::StrFormat(
        "rule.article_code: %s is not a defined article (define it in "
        "\"%s\")",
        QuoteValue(r.article_code()), kReferencePartition));
  }
  const std::string start_text =
      r.start_date().empty() ? contract->start_date() : r.start_date();
  const std::string end_text =
      r.end_date().empty() ? contract->end_date() : r.end_date();
  if (start_text < contract->start_date()) {
    return FieldError("rule.start_date",
                      absl::StrFormat("%s is before the contract's start %s",
                                      start_text, contract->start_date()));
  }
  if (!contract->end_date().empty() && start_text > contract->end_date()) {
    return FieldError("rule.start_date",
                      absl::StrFormat("%s is after the contract's end %s",
                                      start_text, contract->end_date()));
  }
  if (!contract->end_date().empty() && end_text > contract->end_date()) {
    return FieldError("rule.end_date",
                      absl::StrFormat("%s is after the contract's end %s",
                                      end_text, contract->end_date()));
  }
  if (!end_text.empty() && end_text < start_text) {
    return FieldError(
        "rule.end_date",
        absl::StrFormat("%s is before the start %s", end_text, start_text));
  }
  auto customer = LoadCustomer(state, customer_id);
  if (!customer.ok()) return customer.status();
  auto currency = LookupCurrency((*customer)->currency(), "currency");
  if (!currency.ok()) return currency.status();

  v1::EventEnvelope e = NewEvent(kRuleCreatedType, customer_id,
                                 FormatBusinessDate(business_date));
  v1::BillingRule* out =
      e.mutable_contract()->mutable_rule_created()->mutable_rule();
  out->set_contract_ref(r.contract_ref());
  out->set_rule_id(r.rule_id());
  out->set_label(r.label());
  out->set_rule_type(r.rule_type());
  *out->mutable_object_ids() = r.object_ids();
  out->set_article_code(r.article_code());
  out->set_unit_price_micros(r.unit_price_micros());
  out->set_cost_price_micros(r.cost_price_micros());
  if (r.rule_type() == v1::RULE_TYPE_FLAT) {
    out->set_quantity_milli(r.quantity_milli() == 0 ? kMilliPerUnit
                                                    : r.quantity_milli());
  }
  out->set_periodicity(r.periodicity());
  out->set_timing(*timing);
  out->set_start_date(start_text);
  out->set_end_date(end_text);
  out->set_condition_job_id(r.condition_job_id());
  if (r.recurring_increase().kind() != v1::INCREASE_KIND_UNSPECIFIED) {
    *out->mutable_recurring_increase() = r.recurring_increase();
    if (r.recurring_increase().kind() == v1::INCREASE_KIND_SYNTEC &&
        r.recurring_increase().syntec().index_code().empty()) {
      out->mutable_recurring_increase()->mutable_syntec()->set_index_code(
          std::string(kDefaultIndexCode));
    }
  }
  if (r.rule_type() == v1::RULE_TYPE_INSTALLMENT_SCHEDULE) {
    auto start = ParseBusinessDate(start_text, "rule.start_date");
    auto end = ParseBusinessDate(end_text, "rule.end_date");
    if (!start.ok()) return start.status();
    if (!end.ok()) return end.status();
    auto sched = ResolveSchedule(r, *start, *end, *currency);
    if (!sched.ok()) return sched.status();
    *out->mutable_installment_schedule() = std::move(*sched);
  }
  auto next = FirstBillingDate(*out);
  if (!next.ok()) return next.status();
  out->set_next_theoretical_date(FormatBusinessDate(*next));
  out->set_created_on(FormatBusinessDate(business_date));
  out->set_version(1);
  return One(std::move(e));
}

absl::StatusOr<Events> DecideSetRuleDates(const StateReader& state,
                                          absl::string_view customer_id,
                                          const v1::SetRuleDates& cmd) {
  if (auto s = Code("contract_ref", cmd.contract_ref()); !s.ok()) return s;
  if (auto s = Code("rule_id", cmd.rule_id()); !s.ok()) return s;
  auto next =
      OptionalDate("next_theoretical_date", cmd.next_theoretical_date());
  if (!next.ok()) return next.status();
  auto invoiced = OptionalDate("last_invoice_date", cmd.last_invoice_date());
  if (!invoiced.ok()) return invoiced.status();
  if (!invoiced->has_value() && !cmd.last_invoice_ref().empty()) {
    return FieldError("last_invoice_date", "is required with last_invoice_ref");
  }
  if (invoiced->has_value()) {
    if (cmd.last_invoice_ref().empty()) {
      return FieldError("last_invoice_ref",
                        "is required with last_invoice_date");
    }
    if (cmd.last_invoice_ref().size() > kInvoiceRefLengthMax ||
        !IsPrintableAsciiToken(cmd.last_invoice_ref())) {
      return FieldError("last_invoice_ref",
                        absl::StrFormat("must be 1 to %d printable ASCII "
                                        "characters without spaces",
                                        kInvoiceRefLengthMax));
    }
  }
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, cmd.contract_ref(), cmd.rule_id(),
                          "contract_ref", "rule_id");
  if (!rule.ok()) return rule.status();
  std::string last_theoretical;
  if (next->has_value()) {
    auto index = RuleBillingIndex(*rule, **next);
    if (!index.ok()) {
      return FieldError(
          "next_theoretical_date",
          absl::StrFormat("%s is not a billing date of the rule (periods "
                          "are counted from its start %s)",
                          cmd.next_theoretical_date(), rule->start_date()));
    }
    if (*index > 0) {
      auto before = RuleBillingDate(*rule, *index - 1);
      if (!before.ok()) return before.status();
      last_theoretical = FormatBusinessDate(*before);
    }
  }
  v1::EventEnvelope e = NewEvent(
      kRuleDatesSetType, customer_id,
      next->has_value() ? cmd.next_theoretical_date() : rule->start_date());
  auto* set = e.mutable_contract()->mutable_rule_dates_set();
  set->set_contract_ref(cmd.contract_ref());
  set->set_rule_id(cmd.rule_id());
  set->set_next_theoretical_date(cmd.next_theoretical_date());
  set->set_last_theoretical_date(last_theoretical);
  set->set_last_invoice_date(cmd.last_invoice_date());
  set->set_last_invoice_ref(cmd.last_invoice_ref());
  return One(std::move(e));
}

absl::StatusOr<Events> DecideRecordRuleBilled(const StateReader& state,
                                              absl::string_view customer_id,
                                              const v1::RecordRuleBilled& cmd) {
  if (auto s = Code("contract_ref", cmd.contract_ref()); !s.ok()) return s;
  if (auto s = Code("rule_id", cmd.rule_id()); !s.ok()) return s;
  auto period_start = RequiredDate("period_start", cmd.period_start());
  if (!period_start.ok()) return period_start.status();
  if (cmd.invoice_ref().empty()) {
    return FieldError("invoice_ref", "is required");
  }
  if (cmd.invoice_ref().size() > kInvoiceRefLengthMax ||
      !IsPrintableAsciiToken(cmd.invoice_ref())) {
    return FieldError("invoice_ref",
                      absl::StrFormat("must be 1 to %d printable ASCII "
                                      "characters without spaces",
                                      kInvoiceRefLengthMax));
  }
  auto invoice_date = RequiredDate("invoice_date", cmd.invoice_date());
  if (!invoice_date.ok()) return invoice_date.status();
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, cmd.contract_ref(), cmd.rule_id(),
                          "contract_ref", "rule_id");
  if (!rule.ok()) return rule.status();
  RulePeriod billed;
  billed.start = *period_start;
  auto advanced = AdvanceRule(*rule, billed, cmd.invoice_ref(), *invoice_date);
  if (!advanced.ok()) return advanced.status();
  auto next =
      ParseBusinessDate(rule->next_theoretical_date(), "next_theoretical_date");
  if (!next.ok()) return next.status();
  auto period = RulePeriodBilledOn(*rule, *next);
  if (!period.ok()) return period.status();
  if (!period->has_value()) {
    return absl::InternalError("AdvanceRule accepted a finished rule");
  }
  if ((*period)->billing_date > *invoice_date) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rule %s: the period %s to %s is billable from %s, after the "
        "invoice date %s",
        RuleName(*rule), FormatBusinessDate((*period)->start),
        FormatBusinessDate((*period)->end),
        FormatBusinessDate((*period)->billing_date), cmd.invoice_date()));
  }
  if (!rule->condition_job_id().empty()) {
    auto job = LoadJob(state, customer_id, rule->condition_job_id());
    if (!job.ok()) return job.status();
    if (!job->has_value() || (*job)->completed_on() > cmd.invoice_date()) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "rule %s is held until job %s is recorded as completed",
          RuleName(*rule), QuoteValue(rule->condition_job_id())));
    }
  }
  v1::EventEnvelope e =
      NewEvent(kRuleBilledType, customer_id, cmd.invoice_date());
  auto* billed_event = e.mutable_contract()->mutable_rule_billed();
  if (rule->rule_type() == v1::RULE_TYPE_CONSUMED_UNITS) {
    for (const std::string& object : rule->object_ids()) {
      auto units =
          ComputeConsumedUnits(state, customer_id, object, *invoice_date);
      if (!units.ok()) return units.status();
      if (!units->anomaly.empty()) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "rule %s cannot be billed: %s", RuleName(*rule), units->anomaly));
      }
      auto* r = billed_event->add_readings();
      r->set_object_id(object);
      r->set_reading_seq(units->to.seq());
      r->set_value_milli(units->to.value_milli());
    }
  }
  billed_event->set_contract_ref(cmd.contract_ref());
  billed_event->set_rule_id(cmd.rule_id());
  billed_event->set_period_start(FormatBusinessDate((*period)->start));
  billed_event->set_period_end(FormatBusinessDate((*period)->end));
  billed_event->set_billing_date(rule->next_theoretical_date());
  billed_event->set_invoice_ref(cmd.invoice_ref());
  billed_event->set_invoice_date(cmd.invoice_date());
  return One(std::move(e));
}

// The reading's own fields, in the documented order.
absl::Status ValidateReadingShape(const v1::Reading& r) {
  if (auto s = Code("reading.contract_ref", r.contract_ref()); !s.ok()) {
    return s;
  }
  if (auto s = Code("reading.rule_id", r.rule_id()); !s.ok()) return s;
  if (auto s = ValidateObjectId("reading.object_id", r.object_id()); !s.ok()) {
    return s;
  }
  auto date = RequiredDate("reading.reading_date", r.reading_date());
  if (!date.ok()) return date.status();
  if (r.kind() == v1::READING_KIND_UNSPECIFIED) {
    return FieldError("reading.kind",
                      "is required (installation, regular or replacement)");
  }
  if (!v1::ReadingKind_IsValid(r.kind())) {
    return FieldError("reading.kind",
                      absl::StrFormat("%d is not a reading kind",
                                      static_cast<int>(r.kind())));
  }
  if (auto s = NotNegativeMilliAtMost("reading.value_milli", r.value_milli(),
                                      kReadingMilliMax);
      !s.ok()) {
    return s;
  }
  if (!r.has_old_meter_final_value_milli()) return absl::OkStatus();
  if (r.kind() != v1::READING_KIND_REPLACEMENT) {
    return FieldError("reading.old_meter_final_value_milli",
                      "only a meter replacement has one");
  }
  return NotNegativeMilliAtMost("reading.old_meter_final_value_milli",
                                r.old_meter_final_value_milli(),
                                kReadingMilliMax);
}

// The rule the reading goes to: a consumed-units rule covering its object.
absl::Status CheckReadingRule(const v1::BillingRule& rule,
                              const v1::Reading& r) {
  if (rule.rule_type() != v1::RULE_TYPE_CONSUMED_UNITS) {
    return FieldError("reading.rule_id",
                      absl::StrFormat("rule %s is a %s rule; readings go to "
                                      "consumed-units rules",
                                      QuoteValue(r.rule_id()),
                                      RuleTypeName(rule.rule_type())));
  }
  if (std::find(rule.object_ids().begin(), rule.object_ids().end(),
                r.object_id()) != rule.object_ids().end()) {
    return absl::OkStatus();
  }
  std::vector<std::string> listed(
      rule.object_ids().begin(),
      rule.object_ids().begin() +
          std::min(rule.object_ids_size(), kObjectsListedMax));
  return FieldError(
      "reading.object_id",
      absl::StrFormat(
          "%s is not covered by rule %s (objects: %s%s)",
          QuoteValue(r.object_id()), QuoteValue(r.rule_id()),
          absl::StrJoin(listed, ", "),
          rule.object_ids_size() > kObjectsListedMax ? ", ..." : ""));
}

// A reading after the object's first, against its latest reading m: not
// a second installation, not dated before it, and (unless it is a meter
// replacement) not below it. Readings are recorded in date order, so the
// latest is the previous one in date order too and no later reading exists
// for the new one to exceed. Below it is FailedPrecondition: the command is
// well formed, the meter's history makes it illegal now.
absl::Status CheckReadingAfter(const v1::MeterState& m, const v1::Reading& r) {
  if (r.kind() == v1::READING_KIND_INSTALLATION) {
    return FieldError("reading.kind",
                      absl::StrFormat("object %s already has its installation "
                                      "reading; a new meter is a replacement",
                                      QuoteValue(r.object_id())));
  }
  if (r.reading_date() < m.latest_date()) {
    return FieldError(
        "reading.reading_date",
        absl::StrFormat("%s is before the object's latest reading #%d of %s",
                        r.reading_date(), m.readings(), m.latest_date()));
  }
  if (r.kind() == v1::READING_KIND_REGULAR &&
      r.value_milli() < m.latest_value_milli()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "reading.value_milli: %s on %s is below %s on %s (reading #%d, the "
        "previous reading of object %s); record a meter replacement if the "
        "meter was changed",
        FormatMilli(r.value_milli()), r.reading_date(),
        FormatMilli(m.latest_value_milli()), m.latest_date(), m.readings(),
        r.object_id()));
  }
  if (r.has_old_meter_final_value_milli() &&
      r.old_meter_final_value_milli() < m.latest_value_milli()) {
    return FieldError(
        "reading.old_meter_final_value_milli",
        absl::StrFormat("%s is lower than the old meter's latest reading "
                        "%s of %s",
                        FormatMilli(r.old_meter_final_value_milli()),
                        FormatMilli(m.latest_value_milli()), m.latest_date()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Events> DecideRecordReading(const StateReader& state,
                                           absl::string_view customer_id,
                                           const v1::RecordReading& cmd) {
  const v1::Reading& r = cmd.reading();
  if (auto s = ValidateReadingShape(r); !s.ok()) return s;
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, r.contract_ref(), r.rule_id(),
                          "reading.contract_ref", "reading.rule_id");
  if (!rule.ok()) return rule.status();
  if (auto s = CheckReadingRule(*rule, r); !s.ok()) return s;
  auto meter = LoadMeter(state, customer_id, r.object_id());
  if (!meter.ok()) return meter.status();
  if (!meter->has_value() && r.kind() != v1::READING_KIND_INSTALLATION) {
    return FieldError(
        "reading.kind",
        absl::StrFormat("the first reading of object %s must be its "
                        "installation reading",
                        QuoteValue(r.object_id())));
  }
  uint32_t seq = 1;
  if (meter->has_value()) {
    if (auto s = CheckReadingAfter(**meter, r); !s.ok()) return s;
    seq = (*meter)->readings() + 1;
  }
  v1::EventEnvelope e =
      NewEvent(kReadingRecordedType, customer_id, r.reading_date());
  v1::Reading* out =
      e.mutable_contract()->mutable_reading_recorded()->mutable_reading();
  *out = r;
  out->clear_position();
  out->set_seq(seq);
  return One(std::move(e));
}

// A rule of `type` whose dates hold `day`, for work units or time entries.
absl::StatusOr<v1::BillingRule> RuleForEntry(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id,
    absl::string_view prefix, v1::RuleType type, absl::string_view what,
    absl::string_view date_field, absl::string_view day) {
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, contract_ref, rule_id,
                          absl::StrCat(prefix, ".contract_ref"),
                          absl::StrCat(prefix, ".rule_id"));
  if (!rule.ok()) return rule.status();
  if (rule->rule_type() != type) {
    return FieldError(
        absl::StrCat(prefix, ".rule_id"),
        absl::StrFormat("rule %s is a %s rule; %s go to %s "
                        "rules",
                        QuoteValue(rule_id), RuleTypeName(rule->rule_type()),
                        what, RuleTypeName(type)));
  }
  if (day < rule->start_date()) {
    return FieldError(date_field,
                      absl::StrFormat("%s is before the rule's start %s", day,
                                      rule->start_date()));
  }
  if (!rule->end_date().empty() && day > rule->end_date()) {
    return FieldError(date_field,
                      absl::StrFormat("%s is after the rule's end %s", day,
                                      rule->end_date()));
  }
  return rule;
}

absl::StatusOr<Events> DecideRecordWorkUnits(const StateReader& state,
                                             absl::string_view customer_id,
                                             const v1::RecordWorkUnits& cmd) {
  const v1::WorkUnits& u = cmd.units();
  if (auto s = Code("units.contract_ref", u.contract_ref()); !s.ok()) return s;
  if (auto s = Code("units.rule_id", u.rule_id()); !s.ok()) return s;
  auto date = RequiredDate("units.work_date", u.work_date());
  if (!date.ok()) return date.status();
  if (u.quantity_milli() <= 0) {
    return FieldError(
        "units.quantity_milli",
        absl::StrCat(FormatMilli(u.quantity_milli()), " is not positive"));
  }
  if (auto s =
          AtMost("units.quantity_milli", u.quantity_milli(), kQuantityMilliMax);
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateText("units.note", u.note(), 0, kTextLengthMax);
      !s.ok()) {
    return s;
  }
  auto rule = RuleForEntry(state, customer_id, u.contract_ref(), u.rule_id(),
                           "units", v1::RULE_TYPE_UNIT_OF_WORK, "units of work",
                           "units.work_date", u.work_date());
  if (!rule.ok()) return rule.status();
  v1::EventEnvelope e =
      NewEvent(kWorkUnitsRecordedType, customer_id, u.work_date());
  v1::WorkUnits* out =
      e.mutable_contract()->mutable_work_units_recorded()->mutable_units();
  *out = u;
  out->clear_position();
  return One(std::move(e));
}

absl::StatusOr<Events> DecideRecordTime(const StateReader& state,
                                        absl::string_view customer_id,
                                        const v1::RecordTime& cmd) {
  const v1::TimeEntry& t = cmd.entry();
  if (auto s = Code("entry.contract_ref", t.contract_ref()); !s.ok()) return s;
  if (auto s = Code("entry.rule_id", t.rule_id()); !s.ok()) return s;
  if (auto s = Code("entry.person_id", t.person_id()); !s.ok()) return s;
  auto date = RequiredDate("entry.work_date", t.work_date());
  if (!date.ok()) return date.status();
  if (t.hours_milli() <= 0) {
    return FieldError(
        "entry.hours_milli",
        absl::StrCat(FormatMilli(t.hours_milli()), " is not positive"));
  }
  if (t.hours_milli() > kHoursPerEntryMaxMilli) {
    return FieldError(
        "entry.hours_milli",
        absl::StrCat(FormatMilli(t.hours_milli()), " is more than 24 hours"));
  }
  if (auto s = ValidateText("entry.note", t.note(), 0, kTextLengthMax);
      !s.ok()) {
    return s;
  }
  auto rule = RuleForEntry(state, customer_id, t.contract_ref(), t.rule_id(),
                           "entry", v1::RULE_TYPE_TIME_SPENT, "time entries",
                           "entry.work_date", t.work_date());
  if (!rule.ok()) return rule.status();
  v1::EventEnvelope e = NewEvent(kTimeRecordedType, customer_id, t.work_date());
  v1::TimeEntry* out =
      e.mutable_contract()->mutable_time_recorded()->mutable_entry();
  *out = t;
  out->clear_position();
  return One(std::move(e));
}

absl::StatusOr<Events> DecideCompleteJob(const StateReader& state,
                                         absl::string_view customer_id,
                                         const v1::CompleteJob& cmd) {
  const v1::Job& j = cmd.job();
  if (auto s = Code("job.job_id", j.job_id()); !s.ok()) return s;
  auto date = RequiredDate("job.completed_on", j.completed_on());
  if (!date.ok()) return date.status();
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto existing = LoadJob(state, customer_id, j.job_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(
        absl::StrFormat("job.job_id: job %s was recorded as completed on %s",
                        QuoteValue(j.job_id()), (*existing)->completed_on()));
  }
  v1::EventEnvelope e =
      NewEvent(kJobCompletedType, customer_id, j.completed_on());
  *e.mutable_contract()->mutable_job_completed()->mutable_job() = j;
  return One(std::move(e));
}

// ---------------------------------------------------------------------------
// Price increases

absl::Status ValidateIncreaseShape(const v1::PriceIncrease& inc) {
  auto date = RequiredDate("increase.effective_date", inc.effective_date());
  if (!date.ok()) return date.status();
  if (inc.kind() == v1::INCREASE_KIND_UNSPECIFIED) {
    return FieldError("increase.kind",
                      "is required (Syntec, company markup or custom "
                      "percent)");
  }
  if (!v1::IncreaseKind_IsValid(inc.kind())) {
    return FieldError("increase.kind",
                      absl::StrFormat("%d is not an increase kind",
                                      static_cast<int>(inc.kind())));
  }
  if (inc.kind() == v1::INCREASE_KIND_SYNTEC) {
    if (auto s = ValidateSyntecCoefficients(inc.syntec(), "increase.syntec");
        !s.ok()) {
      return s;
    }
    if (auto s = OptionalCode("increase.syntec.index_code",
                              inc.syntec().index_code());
        !s.ok()) {
      return s;
    }
    if (auto s = NotNegativeMicrosAtMost(
            "increase.syntec.reference_index_micros",
            inc.syntec().reference_index_micros(), kIndexMicrosMax);
        !s.ok()) {
      return s;
    }
    if (auto s =
            NotNegativeMicrosAtMost("increase.new_index_micros",
                                    inc.new_index_micros(), kIndexMicrosMax);
        !s.ok()) {
      return s;
    }
  } else {
    if (inc.has_syntec()) {
      return FieldError("increase.syntec", "only a Syntec increase has one");
    }
    if (inc.new_index_micros() != 0) {
      return FieldError("increase.new_index_micros",
                        "only a Syntec increase has one");
    }
  }
  if (inc.kind() == v1::INCREASE_KIND_CUSTOM_PERCENT) {
    if (auto s = Percent("increase.percent_bp", inc.percent_bp(), 1); !s.ok()) {
      return s;
    }
  } else if (inc.percent_bp() != 0) {
    return FieldError(
        "increase.percent_bp",
        inc.kind() == v1::INCREASE_KIND_COMPANY_MARKUP
            ? "a company markup uses the company's percent in force on the "
              "date; leave it 0"
            : "only a custom percent increase has one");
  }
  return ValidateText("increase.reason", inc.reason(), 0, kTextLengthMax);
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
  if (inc.kind() == v1::INCREASE_KIND_COMPANY_MARKUP) {
    auto markup = CompanyMarkupInForce(state, date);
    if (!markup.ok()) return markup.status();
    if (!markup->has_value()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("no company markup in force on %s; set one in \"%s\"",
                          inc.effective_date(), kReferencePartition));
    }
    change.set_percent_bp((*markup)->percent_bp());
    return absl::OkStatus();
  }
  if (inc.kind() != v1::INCREASE_KIND_SYNTEC) {
    change.set_percent_bp(inc.percent_bp());
    return absl::OkStatus();
  }
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
      return absl::FailedPreconditionError(absl::StrFormat(
          "rule %s has no Syntec reference index as of %s; give "
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
    return absl::FailedPreconditionError(absl::StrFormat(
        "no %s index published on or before %s; publish it in \"%s\" or "
        "give increase.new_index_micros",
        f->index_code(), inc.effective_date(), kReferencePartition));
  }
  change.set_new_index_micros((*published)->value_micros());
  change.set_new_index_date((*published)->publication_date());
  return absl::OkStatus();
}

// "Syntec, I_new 280.500000 against I_ref 270.000000", "+3.00 %".
std::string DescribeIncrease(const v1::PriceChange& c) {
  if (c.kind() == v1::INCREASE_KIND_SYNTEC) {
    return absl::StrFormat("Syntec, I_new %s against I_ref %s",
                           FormatMicros(c.new_index_micros()),
                           FormatMicros(c.syntec().reference_index_micros()));
  }
  return absl::StrCat(
      c.kind() == v1::INCREASE_KIND_COMPANY_MARKUP ? "company markup +" : "+",
      contracts_internal::FormatPercentBp(c.percent_bp()));
}

// The new price of `change` from its old price: FailedPrecondition when it
// does not fit in 64 bits or is over kUnitPriceMicrosMax (legal parameters
// whose result is not: the price as it stands makes it illegal now).
absl::StatusOr<int64_t> IncreasedPrice(const v1::BillingRule& rule,
                                       const v1::PriceChange& change) {
  auto after = RevisedPrice(change.old_price_micros(), change);
  if (!after.ok()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rule %s: the increase of %s (%s) cannot be computed from the price "
        "%s: %s",
        RuleName(rule), change.effective_date(), DescribeIncrease(change),
        FormatMicros(change.old_price_micros()), after.status().message()));
  }
  if (*after > kUnitPriceMicrosMax) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rule %s: the increase of %s (%s) would take the price from %s to "
        "%s, over the maximum unit price %s",
        RuleName(rule), change.effective_date(), DescribeIncrease(change),
        FormatMicros(change.old_price_micros()), FormatMicros(*after),
        FormatMicros(kUnitPriceMicrosMax)));
  }
  return after;
}

absl::StatusOr<Events> DecideScheduleIncrease(const StateReader& state,
                                              absl::string_view customer_id,
                                              const v1::ScheduleIncrease& cmd,
                                              BusinessDate business_date) {
  if (auto s = Code("contract_ref", cmd.contract_ref()); !s.ok()) return s;
  if (auto s = Code("rule_id", cmd.rule_id()); !s.ok()) return s;
  const v1::PriceIncrease& inc = cmd.increase();
  if (auto s = ValidateIncreaseShape(inc); !s.ok()) return s;
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, cmd.contract_ref(), cmd.rule_id(),
                          "contract_ref", "rule_id");
  if (!rule.ok()) return rule.status();
  if (!HasUnitPrice(rule->rule_type())) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rule %s is a %s rule: it has no unit price to increase",
        RuleName(*rule), RuleTypeName(rule->rule_type())));
  }
  if (rule->price_history_size() >= kPriceHistoryMax) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rule %s has %d increases, at most %d allowed", RuleName(*rule),
        rule->price_history_size(), kPriceHistoryMax));
  }
  if (inc.effective_date() < rule->start_date()) {
    return FieldError(
        "increase.effective_date",
        absl::StrFormat("%s is before the rule's start %s",
                        inc.effective_date(), rule->start_date()));
  }
  auto date =
      ParseBusinessDate(inc.effective_date(), "increase.effective_date");
  if (!date.ok()) return date.status();
  auto timeline = BuildPriceTimeline(state, *rule, *date);
  if (!timeline.ok()) return timeline.status();
  auto before = PriceAsOf(*timeline, *rule, *date);
  if (!before.ok()) return before.status();

  v1::PriceChange change;
  change.set_seq(static_cast<uint32_t>(rule->price_history_size() + 1));
  change.set_effective_date(inc.effective_date());
  change.set_kind(inc.kind());
  change.set_origin(v1::INCREASE_ORIGIN_ONE_OFF);
  change.set_reason(inc.reason());
  change.set_recorded_on(FormatBusinessDate(business_date));
  change.set_old_price_micros(before->price_micros);
  if (auto s =
          ResolveIncreaseParameters(state, *rule, inc, *date, *before, change);
      !s.ok()) {
    return s;
  }
  auto after = IncreasedPrice(*rule, change);
  if (!after.ok()) return after.status();
  change.set_new_price_micros(*after);

  v1::EventEnvelope e =
      NewEvent(kPriceIncreaseRecordedType, customer_id, inc.effective_date());
  auto* rec = e.mutable_contract()->mutable_price_increase_recorded();
  rec->set_contract_ref(cmd.contract_ref());
  rec->set_rule_id(cmd.rule_id());
  *rec->mutable_change() = std::move(change);
  return One(std::move(e));
}

absl::StatusOr<Events> DecideApplyAnniversaries(
    const StateReader& state, absl::string_view customer_id,
    const v1::ApplyAnniversaryIncreases& cmd, BusinessDate business_date) {
  auto as_of = RequiredDate("as_of_date", cmd.as_of_date());
  if (!as_of.ok()) return as_of.status();
  if (auto s = OptionalCode("contract_ref", cmd.contract_ref()); !s.ok()) {
    return s;
  }
  if (!cmd.rule_id().empty()) {
    if (cmd.contract_ref().empty()) {
      return FieldError("rule_id", "needs contract_ref");
    }
    if (auto s = Code("rule_id", cmd.rule_id()); !s.ok()) return s;
  }
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  std::vector<v1::BillingRule> rules;
  if (!cmd.rule_id().empty()) {
    auto rule = RequireRule(state, customer_id, cmd.contract_ref(),
                            cmd.rule_id(), "contract_ref", "rule_id");
    if (!rule.ok()) return rule.status();
    rules.push_back(std::move(*rule));
  } else {
    std::vector<v1::Contract> contracts;
    if (!cmd.contract_ref().empty()) {
      auto contract = RequireContract(state, customer_id, cmd.contract_ref(),
                                      "contract_ref");
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
  }
  Events events;
  for (const v1::BillingRule& rule : rules) {
    if (rule.recurring_increase().kind() == v1::INCREASE_KIND_UNSPECIFIED) {
      continue;
    }
    auto timeline = BuildPriceTimeline(state, rule, *as_of);
    if (!timeline.ok()) return timeline.status();
    uint32_t seq = static_cast<uint32_t>(rule.price_history_size());
    for (const PriceStep& step : timeline->steps) {
      if (!step.pending) continue;
      if (!step.error.empty()) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "rule %s: %s; nothing recorded", RuleName(rule), step.error));
      }
      if (static_cast<int>(seq) >= kPriceHistoryMax) {
        return absl::FailedPreconditionError(
            absl::StrFormat("rule %s has %d increases, at most %d allowed",
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
  }
  if (events.empty()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "no anniversary increase is pending on or before %s for the "
        "selected rules",
        cmd.as_of_date()));
  }
  return events;
}

absl::StatusOr<Events> DecideCancelIncrease(const StateReader& state,
                                            absl::string_view customer_id,
                                            const v1::CancelIncrease& cmd,
                                            BusinessDate business_date) {
  if (auto s = Code("contract_ref", cmd.contract_ref()); !s.ok()) return s;
  if (auto s = Code("rule_id", cmd.rule_id()); !s.ok()) return s;
  if (cmd.seq() == 0) {
    return FieldError("seq",
                      "is required (the increase's number in the "
                      "rule's history)");
  }
  if (auto s = ValidateText("reason", cmd.reason(), 1, kTextLengthMax);
      !s.ok()) {
    return s;
  }
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto rule = RequireRule(state, customer_id, cmd.contract_ref(), cmd.rule_id(),
                          "contract_ref", "rule_id");
  if (!rule.ok()) return rule.status();
  const v1::PriceChange* found = nullptr;
  for (const v1::PriceChange& c : rule->price_history()) {
    if (c.seq() == cmd.seq()) found = &c;
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrFormat(
        "seq: rule %s has no increase #%d", RuleName(*rule), cmd.seq()));
  }
  if (!found->cancelled_on().empty()) {
    return absl::FailedPreconditionError(
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

bool IsReferenceCommand(const v1::ContractCommand& command) {
  switch (command.body_case()) {
    case v1::ContractCommand::kDefineArticle:
    case v1::ContractCommand::kPublishIndex:
    case v1::ContractCommand::kSetCompanyMarkup:
    case v1::ContractCommand::kSetHourlyRate:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// Apply

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
  if (!invoice_date.ok())
    return Corrupt(event, invoice_date.status().message());
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

}  // namespace

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideContract(
    const StateReader& state, const v1::ContractCommand& command,
    BusinessDate business_date) {
  const std::string& partition = command.customer_id();
  if (command.body_case() == v1::ContractCommand::BODY_NOT_SET) {
    return FieldError("contract", "names no command");
  }
  if (IsReferenceCommand(command)) {
    if (partition != kReferencePartition) {
      return FieldError(
          "customer_id",
          absl::StrFormat("%s: articles, index publications, the company "
                          "markup and hourly rates go to the partition \"%s\"",
                          QuoteValue(partition), kReferencePartition));
    }
  } else if (partition == kReferencePartition) {
    return FieldError("customer_id",
                      absl::StrFormat("\"%s\" holds reference data only; "
                                      "this command goes to the holder's "
                                      "customer code",
                                      kReferencePartition));
  } else if (auto s = Code("customer_id", partition); !s.ok()) {
    return s;
  }
  switch (command.body_case()) {
    case v1::ContractCommand::kDefineArticle:
      return DecideDefineArticle(state, partition, command.define_article(),
                                 business_date);
    case v1::ContractCommand::kPublishIndex:
      return DecidePublishIndex(state, partition, command.publish_index());
    case v1::ContractCommand::kSetCompanyMarkup:
      return DecideSetCompanyMarkup(partition, command.set_company_markup());
    case v1::ContractCommand::kSetHourlyRate:
      return DecideSetHourlyRate(partition, command.set_hourly_rate());
    case v1::ContractCommand::kCreateContract:
      return DecideCreateContract(state, partition, command.create_contract(),
                                  business_date);
    case v1::ContractCommand::kCreateRule:
      return DecideCreateRule(state, partition, command.create_rule(),
                              business_date);
    case v1::ContractCommand::kSetRuleDates:
      return DecideSetRuleDates(state, partition, command.set_rule_dates());
    case v1::ContractCommand::kRecordRuleBilled:
      return DecideRecordRuleBilled(state, partition,
                                    command.record_rule_billed());
    case v1::ContractCommand::kRecordReading:
      return DecideRecordReading(state, partition, command.record_reading());
    case v1::ContractCommand::kRecordWorkUnits:
      return DecideRecordWorkUnits(state, partition,
                                   command.record_work_units());
    case v1::ContractCommand::kRecordTime:
      return DecideRecordTime(state, partition, command.record_time());
    case v1::ContractCommand::kCompleteJob:
      return DecideCompleteJob(state, partition, command.complete_job());
    case v1::ContractCommand::kScheduleIncrease:
      return DecideScheduleIncrease(state, partition,
                                    command.schedule_increase(), business_date);
    case v1::ContractCommand::kApplyAnniversaryIncreases:
      return DecideApplyAnniversaries(state, partition,
                                      command.apply_anniversary_increases(),
                                      business_date);
    case v1::ContractCommand::kCancelIncrease:
      return DecideCancelIncrease(state, partition, command.cancel_increase(),
                                  business_date);
    case v1::ContractCommand::BODY_NOT_SET:
      break;
  }
  return FieldError("contract", "names no command");
}

absl::string_view ContractEventType(const v1::ContractEvent& event) {
  switch (event.body_case()) {
    case v1::ContractEvent::kArticleDefined:
      return kArticleDefinedType;
    case v1::ContractEvent::kIndexPublished:
      return kIndexPublishedType;
    case v1::ContractEvent::kCompanyMarkupSet:
      return kCompanyMarkupSetType;
    case v1::ContractEvent::kHourlyRateSet:
      return kHourlyRateSetType;
    case v1::ContractEvent::kContractCreated:
      return kContractCreatedType;
    case v1::ContractEvent::kRuleCreated:
      return kRuleCreatedType;
    case v1::ContractEvent::kRuleDatesSet:
      return kRuleDatesSetType;
    case v1::ContractEvent::kRuleBilled:
      return kRuleBilledType;
    case v1::ContractEvent::kReadingRecorded:
      return kReadingRecordedType;
    case v1::ContractEvent::kWorkUnitsRecorded:
      return kWorkUnitsRecordedType;
    case v1::ContractEvent::kTimeRecorded:
      return kTimeRecordedType;
    case v1::ContractEvent::kJobCompleted:
      return kJobCompletedType;
    case v1::ContractEvent::kPriceIncreaseRecorded:
      return kPriceIncreaseRecordedType;
    case v1::ContractEvent::kPriceIncreaseCancelled:
      return kPriceIncreaseCancelledType;
    case v1::ContractEvent::BODY_NOT_SET:
      break;
  }
  return {};
}

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
    case v1::ContractEvent::kArticleDefined: {
      const v1::Article& a = ce.article_defined().article();
      auto existing = LoadArticle(state, a.article_code());
      if (!existing.ok()) return existing.status();
      const uint64_t version =
          existing->has_value() ? (*existing)->version() : 0;
      if (a.version() != version + 1) {
        return Corrupt(event,
                       absl::StrFormat("article %s at version %d, but "
                                       "the state is at %d",
                                       a.article_code(), a.version(), version));
      }
      PutMessage(state, ArticleKey(a.article_code()), a);
      return absl::OkStatus();
    }
    case v1::ContractEvent::kIndexPublished: {
      const v1::IndexPublication& p = ce.index_published().publication();
      const std::string key =
          IndexPublicationKey(p.index_code(), p.publication_date());
      auto existing = state.Get(key);
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        return Corrupt(event,
                       absl::StrFormat("index %s already has a value "
                                       "for %s",
                                       p.index_code(), p.publication_date()));
      }
      PutMessage(state, key, p);
      return absl::OkStatus();
    }
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
    case v1::ContractEvent::kContractCreated: {
      const v1::Contract& c = ce.contract_created().contract();
      if (c.holder_id() != customer) {
        return Corrupt(event,
                       absl::StrCat("holder ", QuoteValue(c.holder_id())));
      }
      auto existing = LoadContract(state, customer, c.contract_ref());
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        return Corrupt(event, absl::StrFormat("contract %s already exists",
                                              c.contract_ref()));
      }
      PutMessage(state, ContractKey(customer, c.contract_ref()), c);
      return absl::OkStatus();
    }
    case v1::ContractEvent::kRuleCreated: {
      const v1::BillingRule& r = ce.rule_created().rule();
      auto contract = LoadContract(state, customer, r.contract_ref());
      if (!contract.ok()) return contract.status();
      if (!contract->has_value()) {
        return Corrupt(event, absl::StrFormat("contract %s does not exist",
                                              r.contract_ref()));
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
    case v1::ContractEvent::kRuleDatesSet: {
      const v1::RuleDatesSet& d = ce.rule_dates_set();
      auto rule = StoredRule(state, event, d.contract_ref(), d.rule_id());
      if (!rule.ok()) return rule.status();
      rule->set_next_theoretical_date(d.next_theoretical_date());
      rule->set_last_theoretical_date(d.last_theoretical_date());
      rule->set_last_invoice_date(d.last_invoice_date());
      rule->set_last_invoice_ref(d.last_invoice_ref());
      PutRule(state, customer, std::move(*rule));
      return absl::OkStatus();
    }
    case v1::ContractEvent::kRuleBilled:
      return ApplyRuleBilled(state, event);
    case v1::ContractEvent::kReadingRecorded:
      return ApplyReading(state, event, position);
    case v1::ContractEvent::kWorkUnitsRecorded: {
      v1::WorkUnits u = ce.work_units_recorded().units();
      *u.mutable_position() = position;
      PutMessage(state,
                 RuleEntryKey(kWorkUnitsPrefix, customer, u.contract_ref(),
                              u.rule_id(), u.work_date(), position.offset(),
                              position.index()),
                 u);
      return absl::OkStatus();
    }
    case v1::ContractEvent::kTimeRecorded: {
      v1::TimeEntry t = ce.time_recorded().entry();
      *t.mutable_position() = position;
      PutMessage(state,
                 RuleEntryKey(kTimeEntryPrefix, customer, t.contract_ref(),
                              t.rule_id(), t.work_date(), position.offset(),
                              position.index()),
                 t);
      return absl::OkStatus();
    }
    case v1::ContractEvent::kJobCompleted: {
      const v1::Job& j = ce.job_completed().job();
      auto existing = LoadJob(state, customer, j.job_id());
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        return Corrupt(event,
                       absl::StrFormat("job %s already completed", j.job_id()));
      }
      PutMessage(state, JobKey(customer, j.job_id()), j);
      return absl::OkStatus();
    }
    case v1::ContractEvent::kPriceIncreaseRecorded: {
      const auto& rec = ce.price_increase_recorded();
      auto rule = StoredRule(state, event, rec.contract_ref(), rec.rule_id());
      if (!rule.ok()) return rule.status();
      if (rec.change().seq() !=
          static_cast<uint32_t>(rule->price_history_size() + 1)) {
        return Corrupt(event, absl::StrFormat("increase #%d, but the rule has "
                                              "%d",
                                              rec.change().seq(),
                                              rule->price_history_size()));
      }
      v1::PriceChange* c = rule->add_price_history();
      *c = rec.change();
      *c->mutable_position() = position;
      PutRule(state, customer, std::move(*rule));
      return absl::OkStatus();
    }
    case v1::ContractEvent::kPriceIncreaseCancelled: {
      const auto& cancel = ce.price_increase_cancelled();
      auto rule =
          StoredRule(state, event, cancel.contract_ref(), cancel.rule_id());
      if (!rule.ok()) return rule.status();
      v1::PriceChange* found = nullptr;
      for (auto& c : *rule->mutable_price_history()) {
        if (c.seq() == cancel.seq()) found = &c;
      }
      if (found == nullptr || !found->cancelled_on().empty()) {
        return Corrupt(event, absl::StrFormat("increase #%d is not in force",
                                              cancel.seq()));
      }
      found->set_cancelled_on(cancel.cancelled_on());
      found->set_cancel_reason(cancel.reason());
      PutRule(state, customer, std::move(*rule));
      return absl::OkStatus();
    }
    case v1::ContractEvent::BODY_NOT_SET:
      break;
  }
  return Corrupt(event, "no contract event");
}

absl::StatusOr<v1::ContractAnswer> ContractAnswerFor(
    const StateReader& state, const v1::LogRecord& record) {
  v1::ContractAnswer answer;
  answer.set_events(record.events_size());
  const v1::EventEnvelope& first = record.events(0);
  const v1::ContractEvent& ce = first.contract();
  const std::string& customer = record.customer_id();
  auto set_rule = [&](absl::string_view contract_ref,
                      absl::string_view rule_id) -> absl::Status {
    auto rule = LoadRule(state, customer, contract_ref, rule_id);
    if (!rule.ok()) return rule.status();
    if (rule->has_value()) *answer.mutable_rule() = **rule;
    return absl::OkStatus();
  };
  absl::Status s = absl::OkStatus();
  switch (ce.body_case()) {
    case v1::ContractEvent::kArticleDefined: {
      auto a =
          LoadArticle(state, ce.article_defined().article().article_code());
      if (!a.ok()) return a.status();
      if (a->has_value()) *answer.mutable_article() = **a;
      break;
    }
    case v1::ContractEvent::kIndexPublished:
      *answer.mutable_index_publication() = ce.index_published().publication();
      break;
    case v1::ContractEvent::kCompanyMarkupSet:
      *answer.mutable_company_markup() = ce.company_markup_set().markup();
      break;
    case v1::ContractEvent::kHourlyRateSet:
      *answer.mutable_hourly_rate() = ce.hourly_rate_set().rate();
      break;
    case v1::ContractEvent::kContractCreated: {
      auto c = LoadContract(state, customer,
                            ce.contract_created().contract().contract_ref());
      if (!c.ok()) return c.status();
      if (c->has_value()) *answer.mutable_contract() = **c;
      break;
    }
    case v1::ContractEvent::kRuleCreated:
      s = set_rule(ce.rule_created().rule().contract_ref(),
                   ce.rule_created().rule().rule_id());
      break;
    case v1::ContractEvent::kRuleDatesSet:
      s = set_rule(ce.rule_dates_set().contract_ref(),
                   ce.rule_dates_set().rule_id());
      break;
    case v1::ContractEvent::kRuleBilled:
      s = set_rule(ce.rule_billed().contract_ref(), ce.rule_billed().rule_id());
      break;
    case v1::ContractEvent::kReadingRecorded: {
      const v1::Reading& r = ce.reading_recorded().reading();
      auto stored = GetMessage<v1::Reading>(
          state, ReadingKey(customer, r.object_id(), r.seq()));
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) *answer.mutable_reading() = **stored;
      break;
    }
    case v1::ContractEvent::kWorkUnitsRecorded:
      *answer.mutable_work_units() = ce.work_units_recorded().units();
      break;
    case v1::ContractEvent::kTimeRecorded:
      *answer.mutable_time_entry() = ce.time_recorded().entry();
      break;
    case v1::ContractEvent::kJobCompleted:
      *answer.mutable_job() = ce.job_completed().job();
      break;
    case v1::ContractEvent::kPriceIncreaseRecorded: {
      for (const v1::EventEnvelope& e : record.events()) {
        const auto& rec = e.contract().price_increase_recorded();
        auto rule =
            LoadRule(state, customer, rec.contract_ref(), rec.rule_id());
        if (!rule.ok()) return rule.status();
        v1::RecordedIncrease* out = answer.add_increases();
        out->set_contract_ref(rec.contract_ref());
        out->set_rule_id(rec.rule_id());
        *out->mutable_change() = rec.change();
        if (rule->has_value()) {
          for (const auto& c : (*rule)->price_history()) {
            if (c.seq() == rec.change().seq()) *out->mutable_change() = c;
          }
        }
      }
      if (record.events_size() == 1) {
        const auto& rec = ce.price_increase_recorded();
        s = set_rule(rec.contract_ref(), rec.rule_id());
      }
      break;
    }
    case v1::ContractEvent::kPriceIncreaseCancelled:
      s = set_rule(ce.price_increase_cancelled().contract_ref(),
                   ce.price_increase_cancelled().rule_id());
      break;
    case v1::ContractEvent::BODY_NOT_SET:
      break;
  }
  if (!s.ok()) return s;
  return answer;
}

}  // namespace billing
