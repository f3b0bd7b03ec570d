#include "engine/customer/customer.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/identifiers.h"
#include "engine/core/keys.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

using limits::kAddressLineLengthMax;
using limits::kAddressLinesMax;
using limits::kCityLengthMax;
using limits::kCodeLengthMax;
using limits::kCustomerNameLengthMax;
using limits::kPostalCodeLengthMax;
namespace reasons = customer_rejections;

// Paths an update may name, in the order their values are validated.
constexpr absl::string_view kUpdatablePaths[] = {
    "name",           "billing_address", "email",
    "vat_id",         "currency",        "invoice_delivery_mode",
    "payment_method", "siren",           "sepa_mandate"};

bool SameAddress(const v1::Address& a, const v1::Address& b) {
  return SerializeDeterministic(a) == SerializeDeterministic(b);
}

// The optional fields, each named: empty email and VAT id are allowed.
absl::Status ValidateContactFields(const v1::Customer& c,
                                   const std::string& p) {
  if (!c.email().empty()) {
    if (auto s = ValidateEmail(p + ".email", c.email()); !s.ok()) {
      return Named(reasons::kEmailInvalid, s);
    }
  }
  if (!c.vat_id().empty()) {
    if (auto s = ValidateVatId(p + ".vat_id", c.vat_id()); !s.ok()) {
      return Named(reasons::kVatIdInvalid, s);
    }
  }
  return absl::OkStatus();
}

// `defaults_allowed`: on create an empty currency and delivery mode take
// their defaults; an update may not clear them ("is required").
absl::Status ValidateBillingChoices(const v1::Customer& c, const std::string& p,
                                    bool defaults_allowed) {
  if (!c.currency().empty()) {
    if (auto s = LookupCurrency(c.currency(), p + ".currency"); !s.ok()) {
      return Named(reasons::kCurrencyInvalid, s.status());
    }
  } else if (!defaults_allowed) {
    return Named(reasons::kCurrencyInvalid,
                 FieldError(p + ".currency", "is required"));
  }
  if (!defaults_allowed &&
      c.invoice_delivery_mode() == v1::INVOICE_DELIVERY_MODE_UNSPECIFIED) {
    return Named(reasons::kDeliveryModeInvalid,
                 FieldError(p + ".invoice_delivery_mode", "is required"));
  }
  if (!v1::InvoiceDeliveryMode_IsValid(c.invoice_delivery_mode())) {
    return Named(reasons::kDeliveryModeInvalid,
                 FieldError(p + ".invoice_delivery_mode",
                            absl::StrFormat(
                                "%d is not a delivery mode",
                                static_cast<int>(c.invoice_delivery_mode()))));
  }
  return absl::OkStatus();
}

// A known value; UNSPECIFIED only where `unspecified_allowed` (a create
// takes the default; an update that does not name the field keeps it).
absl::Status ValidatePaymentMethod(const v1::Customer& c, const std::string& p,
                                   bool unspecified_allowed) {
  const std::string field = p + ".payment_method";
  if (!v1::PaymentMethod_IsValid(c.payment_method())) {
    return Named(reasons::kPaymentMethodInvalid,
                 FieldError(field, absl::StrFormat(
                                       "%d is not a payment method",
                                       static_cast<int>(c.payment_method()))));
  }
  if (!unspecified_allowed &&
      c.payment_method() == v1::PAYMENT_METHOD_UNSPECIFIED) {
    return Named(reasons::kPaymentMethodInvalid,
                 FieldError(field,
                            "is required (transfer, direct debit, "
                            "cheque or card)"));
  }
  return absl::OkStatus();
}

// The SIREN (Luhn, and the one a French VAT id holds) and the SEPA mandate
// (both fields or neither), each optional.
absl::Status ValidateLegalFields(const v1::Customer& c, const std::string& p) {
  if (!c.siren().empty()) {
    if (auto s = ValidateSiren(p + ".siren", c.siren()); !s.ok()) {
      return Named(reasons::kSirenInvalid, s);
    }
    if (auto s = ValidateVatIdOfSiren(p + ".vat_id", c.vat_id(), p + ".siren",
                                      c.siren());
        !s.ok()) {
      return Named(reasons::kSirenInvalid, s);
    }
  }
  const v1::SepaMandate& m = c.sepa_mandate();
  if (m.reference().empty() && m.signed_on().empty()) return absl::OkStatus();
  if (auto s = ValidateMandateReference(p + ".sepa_mandate.reference",
                                        m.reference());
      !s.ok()) {
    return Named(reasons::kMandateInvalid, s);
  }
  if (m.signed_on().empty()) {
    return Named(reasons::kMandateInvalid,
                 FieldError(p + ".sepa_mandate.signed_on",
                            "is required (the date the mandate was signed)"));
  }
  if (auto d = ParseBusinessDate(m.signed_on(), p + ".sepa_mandate.signed_on");
      !d.ok()) {
    return Named(reasons::kMandateInvalid, d.status());
  }
  return absl::OkStatus();
}

// Every field in precedence order, each refusal named.
absl::Status ValidateFields(const v1::Customer& c, absl::string_view prefix,
                            bool defaults_allowed) {
  const std::string p(prefix);
  if (auto s =
          ValidateCode(p + ".customer_id", c.customer_id(), kCodeLengthMax);
      !s.ok()) {
    return Named(reasons::kCustomerIdInvalid, s);
  }
  if (auto s = ValidateText(p + ".name", c.name(), 1, kCustomerNameLengthMax);
      !s.ok()) {
    return Named(reasons::kNameInvalid, s);
  }
  if (auto s = ValidateAddress(c.billing_address(), p + ".billing_address");
      !s.ok()) {
    return Named(reasons::kAddressInvalid, s);
  }
  if (auto s = ValidateContactFields(c, p); !s.ok()) return s;
  return ValidateBillingChoices(c, p, defaults_allowed);
}

bool MaskNames(const google::protobuf::FieldMask& mask,
               absl::string_view path) {
  return std::find(mask.paths().begin(), mask.paths().end(), path) !=
         mask.paths().end();
}

// The update's mask: not empty, every path updatable.
absl::Status ValidateUpdateMask(const google::protobuf::FieldMask& mask) {
  if (mask.paths_size() == 0) {
    return Reject(update_customer::kUpdateMaskEmpty,
                  "update_mask: is empty; name the fields to change");
  }
  for (int i = 0; i < mask.paths_size(); ++i) {
    const std::string& path = mask.paths(i);
    if (std::find(std::begin(kUpdatablePaths), std::end(kUpdatablePaths),
                  path) == std::end(kUpdatablePaths)) {
      return Reject(
          update_customer::kUpdateMaskPathInvalid,
          absl::StrFormat("update_mask.paths[%d]: %s is not an updatable "
                          "field (one of: name, billing_address, email, "
                          "vat_id, currency, invoice_delivery_mode, "
                          "payment_method, siren, sepa_mandate)",
                          i, QuoteValue(path)));
    }
  }
  return absl::OkStatus();
}

// An empty mandate is no mandate: the field stays unset, so that the
// customer's bytes do not change when none is given.
void SetMandate(const v1::SepaMandate& mandate, v1::Customer& c) {
  if (mandate.reference().empty() && mandate.signed_on().empty()) {
    c.clear_sepa_mandate();
  } else {
    *c.mutable_sepa_mandate() = mandate;
  }
}

// `old` with the masked fields taken from `given`.
v1::Customer Masked(const v1::Customer& old, const v1::Customer& given,
                    const google::protobuf::FieldMask& mask) {
  v1::Customer updated = old;
  for (const std::string& path : mask.paths()) {
    if (path == "name") {
      updated.set_name(given.name());
    } else if (path == "billing_address") {
      *updated.mutable_billing_address() = given.billing_address();
    } else if (path == "email") {
      updated.set_email(given.email());
    } else if (path == "vat_id") {
      updated.set_vat_id(given.vat_id());
    } else if (path == "currency") {
      updated.set_currency(given.currency());
    } else if (path == "invoice_delivery_mode") {
      updated.set_invoice_delivery_mode(given.invoice_delivery_mode());
    } else if (path == "payment_method") {
      updated.set_payment_method(given.payment_method());
    } else if (path == "siren") {
      updated.set_siren(given.siren());
    } else if (path == "sepa_mandate") {
      SetMandate(given.sepa_mandate(), updated);
    }
  }
  return updated;
}

// Whether `path` differs between `old` and `updated`.
bool Changed(const v1::Customer& old, const v1::Customer& updated,
             absl::string_view path) {
  if (path == "name") return old.name() != updated.name();
  if (path == "billing_address") {
    return !SameAddress(old.billing_address(), updated.billing_address());
  }
  if (path == "email") return old.email() != updated.email();
  if (path == "vat_id") return old.vat_id() != updated.vat_id();
  if (path == "currency") return old.currency() != updated.currency();
  if (path == "invoice_delivery_mode") {
    return old.invoice_delivery_mode() != updated.invoice_delivery_mode();
  }
  if (path == "payment_method") {
    return old.payment_method() != updated.payment_method();
  }
  if (path == "siren") return old.siren() != updated.siren();
  if (path == "sepa_mandate") {
    return SerializeDeterministic(old.sepa_mandate()) !=
           SerializeDeterministic(updated.sepa_mandate());
  }
  return false;
}

absl::Status CustomerNotFound(absl::string_view field,
                              absl::string_view customer_id) {
  return absl::NotFoundError(
      absl::StrFormat("%s: %s does not exist", field, QuoteValue(customer_id)));
}

}  // namespace

absl::Status ValidateAddress(const v1::Address& a, const std::string& field) {
  if (a.lines_size() == 0 && a.postal_code().empty() && a.city().empty() &&
      a.country_code().empty()) {
    return absl::OkStatus();  // no address
  }
  if (a.lines_size() == 0) {
    return FieldError(absl::StrCat(field, ".lines"), "is required");
  }
  if (static_cast<size_t>(a.lines_size()) > kAddressLinesMax) {
    return FieldError(absl::StrCat(field, ".lines"),
                      absl::StrFormat("has %d lines, at most %d allowed",
                                      a.lines_size(), kAddressLinesMax));
  }
  for (int i = 0; i < a.lines_size(); ++i) {
    if (auto s = ValidateText(absl::StrFormat("%s.lines[%d]", field, i),
                              a.lines(i), 1, kAddressLineLengthMax);
        !s.ok()) {
      return s;
    }
  }
  if (!a.postal_code().empty()) {
    if (auto s = ValidateText(absl::StrCat(field, ".postal_code"),
                              a.postal_code(), 1, kPostalCodeLengthMax);
        !s.ok()) {
      return s;
    }
  }
  if (auto s = ValidateText(absl::StrCat(field, ".city"), a.city(), 1,
                            kCityLengthMax);
      !s.ok()) {
    return s;
  }
  return ValidateCountryCode(absl::StrCat(field, ".country_code"),
                             a.country_code());
}

absl::Status ValidateCustomerFields(const v1::Customer& c,
                                    absl::string_view prefix) {
  if (auto s = ValidateFields(c, prefix, /*defaults_allowed=*/true); !s.ok()) {
    return s;
  }
  if (auto s = ValidatePaymentMethod(c, std::string(prefix),
                                     /*unspecified_allowed=*/true);
      !s.ok()) {
    return s;
  }
  return ValidateLegalFields(c, std::string(prefix));
}

v1::PaymentMethod PaymentMethodOf(const v1::Customer& customer) {
  return customer.payment_method() == v1::PAYMENT_METHOD_UNSPECIFIED
             ? v1::PAYMENT_METHOD_TRANSFER
             : customer.payment_method();
}

absl::StatusOr<std::optional<v1::Customer>> LoadCustomer(
    const StateReader& state, absl::string_view customer_id) {
  return GetMessage<v1::Customer>(state, CustomerKey(customer_id));
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideCreateCustomer(
    const StateReader& state, const v1::CreateCustomer& command,
    BusinessDate business_date) {
  const v1::Customer& given = command.customer();
  if (auto s = ValidateCustomerFields(given, "customer"); !s.ok()) return s;
  auto existing = LoadCustomer(state, given.customer_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Reject(create_customer::kAlreadyExists,
                  absl::StrFormat("customer.customer_id: %s already exists",
                                  QuoteValue(given.customer_id())));
  }
  v1::EventEnvelope event =
      NewEvent(kCustomerCreatedType, given.customer_id(), business_date);
  v1::Customer* c = event.mutable_customer_created()->mutable_customer();
  c->set_customer_id(given.customer_id());
  c->set_name(given.name());
  *c->mutable_billing_address() = given.billing_address();
  c->set_email(given.email());
  c->set_vat_id(given.vat_id());
  c->set_currency(given.currency().empty() ? "EUR" : given.currency());
  c->set_invoice_delivery_mode(given.invoice_delivery_mode() ==
                                       v1::INVOICE_DELIVERY_MODE_UNSPECIFIED
                                   ? v1::INVOICE_DELIVERY_MODE_PER_ENTITY
                                   : given.invoice_delivery_mode());
  c->set_payment_method(PaymentMethodOf(given));
  c->set_siren(given.siren());
  SetMandate(given.sepa_mandate(), *c);
  c->set_created_on(FormatBusinessDate(business_date));
  c->set_updated_on(FormatBusinessDate(business_date));
  c->set_version(1);
  return OnlyEvent(std::move(event));
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideUpdateCustomer(
    const StateReader& state, const v1::UpdateCustomer& command,
    BusinessDate business_date) {
  const v1::Customer& given = command.customer();
  if (auto s = ValidateCode("customer.customer_id", given.customer_id(),
                            kCodeLengthMax);
      !s.ok()) {
    return Named(reasons::kCustomerIdInvalid, s);
  }
  auto existing = LoadCustomer(state, given.customer_id());
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) {
    return Named(reasons::kCustomerNotFound,
                 CustomerNotFound("customer.customer_id", given.customer_id()));
  }
  const v1::Customer& old = **existing;
  if (command.expected_version() != 0 &&
      command.expected_version() != old.version()) {
    return Reject(
        update_customer::kVersionConflict,
        absl::StrFormat("expected_version: %d, but customer %s is at version "
                        "%d; read it again and retry",
                        command.expected_version(),
                        QuoteValue(old.customer_id()), old.version()));
  }
  if (auto s = ValidateUpdateMask(command.update_mask()); !s.ok()) return s;
  v1::Customer updated = Masked(old, given, command.update_mask());
  if (auto s = ValidateFields(updated, "customer", /*defaults_allowed=*/false);
      !s.ok()) {
    return s;
  }
  if (auto s = ValidatePaymentMethod(
          updated, "customer",
          /*unspecified_allowed=*/
          !MaskNames(command.update_mask(), "payment_method"));
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateLegalFields(updated, "customer"); !s.ok()) return s;

  v1::EventEnvelope event =
      NewEvent(kCustomerUpdatedType, old.customer_id(), business_date);
  auto* payload = event.mutable_customer_updated();
  for (absl::string_view path : kUpdatablePaths) {
    if (Changed(old, updated, path)) {
      payload->add_changed_fields(std::string(path));
    }
  }
  updated.set_updated_on(FormatBusinessDate(business_date));
  updated.set_version(old.version() + 1);
  *payload->mutable_customer() = std::move(updated);
  return OnlyEvent(std::move(event));
}

absl::Status ApplyCustomerEvent(StateWriter& state,
                                const v1::EventEnvelope& event) {
  const bool created = event.has_customer_created();
  const v1::Customer& c = created ? event.customer_created().customer()
                                  : event.customer_updated().customer();
  if (c.customer_id() != event.customer_id()) {
    return absl::DataLossError(
        absl::StrFormat("%s carries customer %s in an envelope of customer %s",
                        QuoteValue(event.type()), QuoteValue(c.customer_id()),
                        QuoteValue(event.customer_id())));
  }
  auto existing = LoadCustomer(state, c.customer_id());
  if (!existing.ok()) return existing.status();
  if (created && existing->has_value()) {
    return absl::DataLossError(
        absl::StrFormat("customer.created for %s, which already exists",
                        QuoteValue(c.customer_id())));
  }
  if (!created) {
    if (!existing->has_value()) {
      return absl::DataLossError(
          absl::StrFormat("customer.updated for %s, which does not exist",
                          QuoteValue(c.customer_id())));
    }
    if (c.version() != (*existing)->version() + 1) {
      return absl::DataLossError(absl::StrFormat(
          "customer.updated for %s to version %d, but the state is at "
          "version %d",
          QuoteValue(c.customer_id()), c.version(), (*existing)->version()));
    }
  }
  PutMessage(state, CustomerKey(c.customer_id()), c);
  return absl::OkStatus();
}

absl::StatusOr<v1::Customer> CustomerById(const StateReader& state,
                                          absl::string_view customer_id) {
  if (auto s = ValidateCode("customer_id", customer_id, kCodeLengthMax);
      !s.ok()) {
    return s;
  }
  auto customer = LoadCustomer(state, customer_id);
  if (!customer.ok()) return customer.status();
  if (!customer->has_value())
    return CustomerNotFound("customer_id", customer_id);
  return std::move(**customer);
}

absl::Status RequireCustomer(const StateReader& state,
                             absl::string_view customer_id) {
  return CustomerById(state, customer_id).status();
}

absl::Status RequireCommandCustomer(const StateReader& state,
                                    absl::string_view customer_id) {
  absl::Status s = RequireCustomer(state, customer_id);
  if (absl::IsInvalidArgument(s)) return Named(reasons::kCustomerIdInvalid, s);
  if (absl::IsNotFound(s)) return Named(reasons::kCustomerNotFound, s);
  return s;
}

absl::StatusOr<CustomerPage> ListCustomerPage(const StateReader& state,
                                              absl::string_view after_id,
                                              size_t page_size) {
  auto customers = ScanMessages<v1::Customer>(
      state, kCustomerPrefix, page_size + 1,
      after_id.empty() ? std::string() : CustomerKey(after_id));
  if (!customers.ok()) return customers.status();
  CustomerPage page;
  page.more = customers->size() > page_size;
  if (page.more) customers->pop_back();
  page.customers = std::move(*customers);
  return page;
}

}  // namespace billing
