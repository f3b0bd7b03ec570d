// set_issuer: the issuing company ("établissement"), its legal mentions,
// payment terms and numbering rules (engine/invoicing/invoices.h).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/store.h"
#include "engine/core/events.h"
#include "engine/core/identifiers.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/internal/invoice_decide.h"
#include "engine/invoicing/invoices.h"
#include "engine/invoicing/numbering.h"

namespace billing::invoice_internal {
namespace {

namespace r = set_issuer;

constexpr size_t kLegalTextMax = 200;
constexpr int32_t kPaymentDelayDaysMax = 60;
constexpr int32_t kRateBpMax = 100000;  // 1000 % a year
constexpr int kSeqDigitsMax = 12;
constexpr size_t kNumberingRulesMax = 16;

absl::Status Invalid(const absl::Status& s) { return Named(r::kIssuerInvalid, s); }

absl::Status CheckLegalTexts(const v1::Issuer& i) {
  if (auto s = ValidateText("issuer.legal_name", i.legal_name(), 1,
                            kLegalTextMax);
      !s.ok()) {
    return Invalid(s);
  }
  if (auto s = ValidateText("issuer.legal_form", i.legal_form(), 1, 32);
      !s.ok()) {
    return Invalid(s);
  }
  if (i.share_capital_minor() < 0) {
    return Reject(r::kIssuerInvalid,
                  absl::StrFormat("issuer.share_capital_minor: %d is negative",
                                  i.share_capital_minor()));
  }
  if (auto c = LookupCurrency(i.capital_currency(), "issuer.capital_currency");
      !c.ok()) {
    return Invalid(c.status());
  }
  if (auto s = ValidateAddress(i.address(), "issuer.address"); !s.ok()) {
    return Invalid(s);
  }
  if (i.address().city().empty()) {
    return Reject(r::kIssuerInvalid, "issuer.address: is required");
  }
  if (auto s = ValidateText("issuer.rcs_city", i.rcs_city(), 1, 100);
      !s.ok()) {
    return Invalid(s);
  }
  return absl::OkStatus();
}

absl::Status CheckIdentifiers(v1::Issuer& i) {
  if (auto s = ValidateSiren("issuer.siren", i.siren()); !s.ok()) {
    return Invalid(s);
  }
  if (auto s = ValidateSiret("issuer.siret", i.siret()); !s.ok()) {
    return Invalid(s);
  }
  if (auto s = ValidateSiretOfSiren("issuer.siret", i.siret(), "issuer.siren",
                                    i.siren());
      !s.ok()) {
    return Invalid(s);
  }
  if (auto s = ValidateIssuerVatId("issuer.vat_id", i.vat_id()); !s.ok()) {
    return Invalid(s);
  }
  if (auto s = ValidateVatIdOfSiren("issuer.vat_id", i.vat_id(),
                                    "issuer.siren", i.siren());
      !s.ok()) {
    return Invalid(s);
  }
  i.mutable_bank()->set_iban(NormalizeIban(i.bank().iban()));
  if (auto s = ValidateIban("issuer.bank.iban", i.bank().iban()); !s.ok()) {
    return Invalid(s);
  }
  if (auto s = ValidateBic("issuer.bank.bic", i.bank().bic()); !s.ok()) {
    return Invalid(s);
  }
  if (!i.email().empty()) {
    if (auto s = ValidateEmail("issuer.email", i.email()); !s.ok()) {
      return Invalid(s);
    }
  }
  if (auto s = ValidateText("issuer.phone", i.phone(), 0, 32); !s.ok()) {
    return Invalid(s);
  }
  if (!i.sepa_creditor_id().empty()) {
    i.set_sepa_creditor_id(NormalizeIdentifier(i.sepa_creditor_id()));
    if (auto s = ValidateSepaCreditorId("issuer.sepa_creditor_id",
                                        i.sepa_creditor_id());
        !s.ok()) {
      return Invalid(s);
    }
  }
  return ValidateText("issuer.bank.bank_name", i.bank().bank_name(), 0,
                      kLegalTextMax);
}

absl::Status CheckTerms(v1::PaymentTerms& t) {
  if (t.payment_delay_days() < 0 ||
      t.payment_delay_days() > kPaymentDelayDaysMax) {
    return Reject(r::kIssuerInvalid,
                  absl::StrFormat("issuer.terms.payment_delay_days: %d is not "
                                  "0 to %d (Code de commerce L441-10)",
                                  t.payment_delay_days(),
                                  kPaymentDelayDaysMax));
  }
  if (t.late_penalty_rate_bp() <= 0 || t.late_penalty_rate_bp() > kRateBpMax) {
    return Reject(
        r::kIssuerInvalid,
        absl::StrFormat("issuer.terms.late_penalty_rate_bp: %d is not 1 to %d "
                        "(a late-payment penalty rate is required)",
                        t.late_penalty_rate_bp(), kRateBpMax));
  }
  if (t.early_payment_discount_bp() < 0 ||
      t.early_payment_discount_bp() > 10000) {
    return Reject(r::kIssuerInvalid,
                  absl::StrFormat("issuer.terms.early_payment_discount_bp: %d "
                                  "is not 0 to 10000",
                                  t.early_payment_discount_bp()));
  }
  if (t.recovery_indemnity_minor() == 0) t.set_recovery_indemnity_minor(4000);
  if (t.recovery_indemnity_minor() < 0) {
    return Reject(r::kIssuerInvalid,
                  "issuer.terms.recovery_indemnity_minor: is negative");
  }
  return absl::OkStatus();
}

void AddDefaultRule(v1::Issuer& i, v1::DocumentType type,
                    absl::string_view prefix) {
  for (const v1::NumberingRule& rule : i.numbering()) {
    if (rule.document_type() == type &&
        rule.delivery_mode() == v1::INVOICE_DELIVERY_MODE_UNSPECIFIED) {
      return;
    }
  }
  v1::NumberingRule* rule = i.add_numbering();
  rule->set_document_type(type);
  rule->set_template_(absl::StrCat(
      prefix, "-[INVOICE.YEAR]-",
      i.split_by_billing_family() ? "[BILLING.FAMILY]-" : "", "[INVOICE.SEQ]"));
  rule->set_seq_digits(6);
}

absl::Status CheckRule(const v1::Issuer& i, int index) {
  const v1::NumberingRule& rule = i.numbering(index);
  const std::string field = absl::StrFormat("issuer.numbering[%d]", index);
  if (rule.document_type() == v1::DOCUMENT_TYPE_UNSPECIFIED ||
      !v1::DocumentType_IsValid(rule.document_type())) {
    return Reject(r::kNumberingInvalid,
                  absl::StrCat(field, ".document_type: is required"));
  }
  if (!v1::InvoiceDeliveryMode_IsValid(rule.delivery_mode())) {
    return Reject(r::kNumberingInvalid,
                  absl::StrCat(field, ".delivery_mode: unknown"));
  }
  if (rule.seq_digits() < 0 || rule.seq_digits() > kSeqDigitsMax) {
    return Reject(r::kNumberingInvalid,
                  absl::StrFormat("%s.seq_digits: %d is not 0 to %d", field,
                                  rule.seq_digits(), kSeqDigitsMax));
  }
  auto parsed = ParseNumberingTemplate(rule.template_());
  if (!parsed.ok()) {
    return Reject(r::kNumberingInvalid,
                  absl::StrCat(field, ".template: ", parsed.status().message()));
  }
  if (i.split_by_billing_family() &&
      rule.document_type() == v1::DOCUMENT_TYPE_INVOICE &&
      !parsed->Uses(NumberingField::kBillingFamily)) {
    return Reject(r::kNumberingInvalid,
                  absl::StrCat(field,
                               ".template: the issuer splits invoices by "
                               "billing family, so the family must be part "
                               "of the reference: add [BILLING.FAMILY]"));
  }
  for (int j = 0; j < index; ++j) {
    const v1::NumberingRule& other = i.numbering(j);
    if (other.document_type() == rule.document_type() &&
        other.delivery_mode() == rule.delivery_mode()) {
      return Reject(r::kNumberingInvalid,
                    absl::StrFormat("%s: a second rule for %s and %s", field,
                                    v1::DocumentType_Name(rule.document_type()),
                                    v1::InvoiceDeliveryMode_Name(
                                        rule.delivery_mode())));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNumbering(v1::Issuer& i) {
  if (static_cast<size_t>(i.numbering_size()) > kNumberingRulesMax) {
    return Reject(r::kNumberingInvalid,
                  absl::StrFormat("issuer.numbering: %d rules, more than %d",
                                  i.numbering_size(), kNumberingRulesMax));
  }
  for (int k = 0; k < i.numbering_size(); ++k) {
    if (auto s = CheckRule(i, k); !s.ok()) return s;
  }
  AddDefaultRule(i, v1::DOCUMENT_TYPE_INVOICE, "FA");
  AddDefaultRule(i, v1::DOCUMENT_TYPE_PAYMENT_NOTICE, "AP");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Issuer> CheckedIssuer(v1::Issuer issuer) {
  issuer.set_version(0);
  if (auto s = CheckLegalTexts(issuer); !s.ok()) return s;
  if (auto s = CheckIdentifiers(issuer); !s.ok()) return Invalid(s);
  if (auto s = CheckTerms(*issuer.mutable_terms()); !s.ok()) return s;
  if (auto s = CheckNumbering(issuer); !s.ok()) return s;
  return issuer;
}

absl::StatusOr<Events> DecideSetIssuer(const StateReader& state,
                                       absl::string_view partition,
                                       const v1::SetIssuer& command,
                                       BusinessDate business_date) {
  if (partition != kReferencePartition) {
    return Reject(r::kWrongPartition,
                  absl::StrFormat("partition: set_issuer goes to %s, not %s",
                                  kReferencePartition, QuoteValue(partition)));
  }
  auto issuer = CheckedIssuer(command.issuer());
  if (!issuer.ok()) return issuer.status();
  auto previous = LoadIssuer(state);
  if (!previous.ok()) return previous.status();
  issuer->set_version(previous->has_value() ? (*previous)->version() + 1 : 1);
  v1::EventEnvelope e = NewEvent(kIssuerSetType, partition, business_date);
  *e.mutable_invoice()->mutable_issuer_set()->mutable_issuer() =
      *std::move(issuer);
  return Events{std::move(e)};
}

}  // namespace billing::invoice_internal
