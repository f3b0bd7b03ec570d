// cancel_invoice and correct_invoices: the differences of
// credit_lines.cc drafted as credit notes and supplementary invoices
// (engine/invoicing/credit_notes.h), numbered and issued afterwards like
// any draft.
#include "engine/invoicing/credit_notes.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/core/events.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/internal/invoice_decide.h"
#include "engine/invoicing/invoices.h"
#include "engine/structure/structure.h"

namespace billing {

std::string CancelledInvoiceKey(absl::string_view customer_id,
                                absl::string_view number) {
  return absl::StrCat("icancel/", customer_id, "/", EscapeKeySegment(number));
}
std::string CorrectionSeqKey(absl::string_view customer_id) {
  return absl::StrCat("corrn/", customer_id);
}
std::string IssuedAtPrefix(absl::string_view customer_id) {
  return absl::StrCat("invat/", customer_id, "/");
}
std::string IssuedAtKey(absl::string_view customer_id, int64_t offset,
                        absl::string_view number) {
  return absl::StrCat(IssuedAtPrefix(customer_id),
                      absl::StrFormat("%020d", offset), "/",
                      EscapeKeySegment(number));
}

}  // namespace billing

namespace billing::invoice_internal {
namespace {

namespace r = cancel_invoice;

using Invoices = std::map<std::string, v1::InvoiceDocument>;

// What every draft of one correction carries.
struct Correction {
  const StateReader& state;
  absl::string_view customer_id;
  v1::Issuer issuer;  // with a credit-note numbering rule
  BusinessDate date;
  std::string id;
  v1::CorrectionCause cause;
  std::string reason;
};

v1::Issuer WithCreditNoteRule(v1::Issuer issuer) {
  for (const v1::NumberingRule& rule : issuer.numbering()) {
    if (rule.document_type() == v1::DOCUMENT_TYPE_CREDIT_NOTE &&
        rule.delivery_mode() == v1::INVOICE_DELIVERY_MODE_UNSPECIFIED) {
      return issuer;
    }
  }
  v1::NumberingRule* rule = issuer.add_numbering();
  rule->set_document_type(v1::DOCUMENT_TYPE_CREDIT_NOTE);
  rule->set_template_(std::string(kDefaultCreditNoteTemplate));
  rule->set_seq_digits(6);
  return issuer;
}

absl::Status CheckNumber(absl::string_view field, absl::string_view number) {
  if (number.empty() || number.size() > kDocumentNumberLengthMax ||
      !IsValidUtf8(number)) {
    return Reject(r::kInvoiceNumberInvalid,
                  absl::StrFormat("%s: is not a document number (1 to %d "
                                  "bytes of UTF-8)",
                                  field, kDocumentNumberLengthMax));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Issuer> IssuerOf(const StateReader& state) {
  auto issuer = LoadIssuer(state);
  if (!issuer.ok()) return issuer.status();
  if (!issuer->has_value()) {
    return Reject(r::kIssuerNotSet,
                  "no issuing company is set: set_issuer first (billingctl "
                  "issuer set)");
  }
  return WithCreditNoteRule(**std::move(issuer));
}

absl::StatusOr<std::string> NextCorrectionId(const StateReader& state,
                                             absl::string_view customer_id) {
  auto seq = state.Get(CorrectionSeqKey(customer_id));
  if (!seq.ok()) return seq.status();
  uint64_t n = 0;
  if (seq->has_value() && !absl::SimpleAtoi(**seq, &n)) {
    return absl::DataLossError("corrn: not a number");
  }
  return absl::StrFormat("CORR-%06d", n + 1);
}

// The invoice, found and correctable.
absl::StatusOr<v1::InvoiceDocument> CorrectableInvoice(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view field, absl::string_view number) {
  auto doc = GetMessage<v1::InvoiceDocument>(
      state, DocumentKey(customer_id, number));
  if (!doc.ok()) return doc.status();
  if (!doc->has_value()) {
    return Reject(r::kInvoiceNotFound,
                  absl::StrFormat("%s: customer %s has no document %s", field,
                                  QuoteValue(customer_id), QuoteValue(number)));
  }
  const v1::InvoiceDocument& d = **doc;
  if (d.type() != v1::DOCUMENT_TYPE_INVOICE || !d.correction_id().empty()) {
    return Reject(
        r::kNotAnInvoice,
        absl::StrFormat(
            "%s: %s is %s, not an invoice that can be corrected%s", field,
            QuoteValue(number),
            d.type() == v1::DOCUMENT_TYPE_CREDIT_NOTE ? "a credit note"
            : d.type() == v1::DOCUMENT_TYPE_PAYMENT_NOTICE
                ? "a payment notice"
                : "a supplementary invoice",
            d.correction_id().empty()
                ? ""
                : absl::StrCat(" (it corrects ",
                               absl::StrJoin(d.corrected_invoice_numbers(),
                                             ", "),
                               ")")));
  }
  return **std::move(doc);
}

// The line crediting (credit) or supplementing the invoice line by the
// difference, on the difference's entity: quantity x unit price where the
// difference is one (a price, units, a whole line), a discount change as
// 1 x its net, else 1 x the amount.
absl::StatusOr<v1::DocumentLine> CorrectionLine(
    const v1::InvoiceDocument& invoice, const LineDifference& d, bool credit) {
  const v1::DocumentLine& line = invoice.lines(d.ref.line_index());
  v1::DocumentLine out = line;
  const int sign = credit ? 1 : -1;
  out.set_entity_id(d.entity_id);
  out.set_discount_hundredths(d.owed_discount_hundredths);
  out.set_gross_amount_minor(sign * (d.now_gross_minor - d.owed_gross_minor));
  out.set_discount_minor(sign *
                         (d.now_discount_minor - d.owed_discount_minor));
  out.set_net_amount_minor(sign * (d.now_net_minor - d.owed_net_minor));
  *out.mutable_corrects() = d.ref;
  auto currency = LookupCurrency(invoice.currency(), "currency");
  if (!currency.ok()) return currency.status();
  const int64_t price_diff =
      sign * (line.unit_price_micros() - d.owed_unit_price_micros);
  const int64_t units_diff =
      sign * (line.quantity_milli() - d.owed_quantity_milli);
  auto by_price = LineAmountMinor(price_diff, line.quantity_milli(), *currency);
  auto by_units = LineAmountMinor(line.unit_price_micros(), units_diff, *currency);
  const bool nothing_owed = d.owed_gross_minor == 0 && d.owed_net_minor == 0;
  const bool nothing_held = d.now_gross_minor == 0 && d.now_net_minor == 0;
  if (d.untouched && nothing_owed) {
    // The line as invoiced.
    out.set_discount_hundredths(line.discount_hundredths());
  } else if (nothing_held && d.owed_quantity_milli > 0) {
    // The line as owed, on an entity that held none of it.
    out.set_quantity_milli(d.owed_quantity_milli);
    out.set_unit_price_micros(d.owed_unit_price_micros);
  } else if (d.untouched && price_diff != 0 &&
             d.owed_quantity_milli == line.quantity_milli() && by_price.ok() &&
             *by_price == out.gross_amount_minor()) {
    out.set_unit_price_micros(price_diff);
  } else if (d.untouched && units_diff != 0 &&
             d.owed_unit_price_micros == line.unit_price_micros() &&
             by_units.ok() && *by_units == out.gross_amount_minor()) {
    out.set_quantity_milli(units_diff);
  } else {
    if (out.gross_amount_minor() == 0) {
      // A discount changed: the net difference as one amount.
      out.set_gross_amount_minor(out.net_amount_minor());
      out.set_discount_minor(0);
      out.set_discount_hundredths(0);
    }
    auto micros = MinorToMicros(out.gross_amount_minor(), *currency);
    if (!micros.ok()) return micros.status();
    out.set_quantity_milli(1000);
    out.set_unit_price_micros(*micros);
  }
  out.set_explanation(absl::StrFormat(
      "%s line %d: holds %s net, owed %s net (%s): %s %s",
      invoice.number(), d.ref.line_index() + 1,
      FormatMinor(d.now_net_minor, *currency),
      FormatMinor(d.owed_net_minor, *currency), d.owed_why,
      credit ? "credited" : "supplemented",
      FormatMinor(out.net_amount_minor(), *currency)));
  return out;
}

// The header of a correction: the first corrected invoice's parties and
// grouping, the current issuer.
v1::InvoiceDocument CorrectionHeader(const Correction& c,
                                     const v1::InvoiceDocument& invoice,
                                     absl::string_view entity_id, bool credit,
                                     std::string draft_id) {
  v1::InvoiceDocument doc;
  doc.set_type(credit ? v1::DOCUMENT_TYPE_CREDIT_NOTE
                      : v1::DOCUMENT_TYPE_INVOICE);
  doc.set_draft_id(std::move(draft_id));
  *doc.mutable_issuer() = c.issuer;
  doc.mutable_issuer()->clear_numbering();
  *doc.mutable_invoiced() = invoice.invoiced();
  doc.set_holder_id(invoice.holder_id());
  *doc.mutable_ledger_party() = invoice.ledger_party();
  doc.set_bill_to_mode(invoice.bill_to_mode());
  doc.set_delivery_mode(invoice.delivery_mode());
  doc.set_billing_family(invoice.billing_family());
  doc.set_currency(invoice.currency());
  doc.set_entity_id(std::string(entity_id));
  doc.set_draft_date(FormatBusinessDate(c.date));
  doc.set_correction_id(c.id);
  doc.set_correction_cause(c.cause);
  doc.set_correction_reason(c.reason);
  return doc;
}

// Period, contracts, sections and corrected numbers from the lines; a
// section of an entity no corrected invoice had (a line moved to it) from
// the entity's record.
absl::Status Summarize(const StateReader& state, const Invoices& invoices,
                       v1::InvoiceDocument& doc) {
  std::set<std::string> numbers, contracts, entities, seen;
  for (const v1::DocumentLine& l : doc.lines()) {
    numbers.insert(l.corrects().invoice_number());
    if (!l.contract_ref().empty()) contracts.insert(l.contract_ref());
    entities.insert(l.entity_id());
    if (doc.period_start().empty() || l.period_start() < doc.period_start()) {
      doc.set_period_start(l.period_start());
    }
    doc.set_period_end(std::max(doc.period_end(), l.period_end()));
  }
  for (const std::string& n : numbers) {
    doc.add_corrected_invoice_numbers(n);
    for (const v1::DocumentSection& s : invoices.at(n).sections()) {
      if (entities.contains(s.entity_id()) && seen.insert(s.entity_id()).second) {
        *doc.add_sections() = s;
      }
    }
  }
  for (const std::string& e : entities) {
    if (seen.contains(e)) continue;
    auto entity = LoadEntity(state, doc.holder_id(), e);
    if (!entity.ok()) return entity.status();
    v1::DocumentSection* s = doc.add_sections();
    s->set_entity_id(e);
    if (entity->has_value()) s->set_entity_name((*entity)->name());
  }
  for (const std::string& k : contracts) doc.add_contract_refs(k);
  return absl::OkStatus();
}

// Lines of the same party, currency and grouping share a document; per
// entity when the customer is invoiced per entity.
std::string GroupKey(const v1::InvoiceDocument& d, absl::string_view entity) {
  return absl::StrCat(d.invoiced().customer_id(), "|", d.currency(), "|",
                      d.billing_family(), "|", entity, "|", d.bill_to_mode(),
                      "|", d.ledger_party().customer_id(), "|",
                      d.delivery_mode());
}

// The entity a correction line's document is addressed to.
std::string DocumentEntity(const v1::InvoiceDocument& invoice,
                           const LineDifference& d) {
  return invoice.delivery_mode() == v1::INVOICE_DELIVERY_MODE_PER_ENTITY
             ? d.entity_id
             : invoice.entity_id();
}

absl::StatusOr<std::vector<v1::InvoiceDocument>> DraftsOf(
    const Correction& c, const Invoices& invoices,
    const std::vector<LineDifference>& differences) {
  // (supplement?, group key) -> the document's entity and its lines.
  std::map<std::pair<bool, std::string>,
           std::pair<std::string, std::vector<const LineDifference*>>>
      groups;
  for (const LineDifference& d : differences) {
    const bool credit = d.net_difference_minor() < 0;
    const v1::InvoiceDocument& invoice = invoices.at(d.ref.invoice_number());
    const std::string entity = DocumentEntity(invoice, d);
    auto& group = groups[{!credit, GroupKey(invoice, entity)}];
    group.first = entity;
    group.second.push_back(&d);
  }
  std::vector<v1::InvoiceDocument> out;
  int credits = 0, supplements = 0;
  for (const auto& [key, group] : groups) {
    const bool credit = !key.first;
    const auto& [entity, list] = group;
    v1::InvoiceDocument doc = CorrectionHeader(
        c, invoices.at(list.front()->ref.invoice_number()), entity, credit,
        absl::StrCat(c.id, credit ? "/AV" : "/FA",
                     credit ? ++credits : ++supplements));
    for (const LineDifference* d : list) {
      auto line = CorrectionLine(invoices.at(d->ref.invoice_number()), *d,
                                 credit);
      if (!line.ok()) return NamedIf(r::kAmountOutOfRange, line.status());
      *doc.add_lines() = *std::move(line);
    }
    if (auto s = Summarize(c.state, invoices, doc); !s.ok()) return s;
    if (auto s = NamedIf(r::kAmountOutOfRange, TotalDocument(doc)); !s.ok()) {
      return s;
    }
    if (auto s = NumberDraft(c.state, c.issuer, c.date, doc); !s.ok()) return s;
    out.push_back(std::move(doc));
  }
  return out;
}

// Drafts the differences of `numbers` (empty: every invoice), refused
// with `nothing` when there are none.
absl::StatusOr<Events> DecideCorrection(Correction& c,
                                        const std::vector<std::string>& numbers,
                                        absl::string_view cancelled,
                                        const Rejection& nothing) {
  auto differences =
      ComputeLineDifferences(c.state, c.customer_id, numbers, cancelled);
  if (!differences.ok()) return differences.status();
  if (differences->empty()) {
    return Reject(nothing,
                  absl::StrFormat(
                      "customer %s: every invoice line%s holds what is owed "
                      "(credited and supplemented included)",
                      QuoteValue(c.customer_id),
                      numbers.empty() ? ""
                                      : absl::StrCat(" of ", numbers.front(),
                                                     numbers.size() > 1
                                                         ? " and others"
                                                         : "")));
  }
  Invoices invoices;
  for (const LineDifference& d : *differences) {
    const std::string& n = d.ref.invoice_number();
    if (invoices.contains(n)) continue;
    auto doc = GetMessage<v1::InvoiceDocument>(c.state,
                                               DocumentKey(c.customer_id, n));
    if (!doc.ok()) return doc.status();
    if (!doc->has_value()) return absl::InternalError("an invoice vanished");
    invoices.emplace(n, **std::move(doc));
  }
  auto drafts = DraftsOf(c, invoices, *differences);
  if (!drafts.ok()) return drafts.status();
  v1::EventEnvelope e =
      NewEvent(kCorrectionsDraftedType, c.customer_id, c.date);
  v1::CorrectionsDrafted* body =
      e.mutable_invoice()->mutable_corrections_drafted();
  body->set_correction_id(c.id);
  body->set_cause(c.cause);
  body->set_cancelled_invoice_number(std::string(cancelled));
  for (v1::InvoiceDocument& d : *drafts) *body->add_drafts() = std::move(d);
  return Events{std::move(e)};
}

absl::Status CheckReason(absl::string_view reason) {
  return NamedIf(r::kReasonInvalid,
                 ValidateText("reason", reason, 1, kCorrectionReasonLengthMax));
}

absl::Status CheckCustomerId(absl::string_view customer_id) {
  return NamedIf(r::kCustomerIdInvalid,
                 ValidateCode("customer_id", customer_id,
                              limits::kCodeLengthMax));
}

}  // namespace

absl::StatusOr<Events> DecideCancelInvoice(const StateReader& state,
                                           absl::string_view customer_id,
                                           const v1::CancelInvoice& command,
                                           BusinessDate business_date) {
  if (auto s = CheckCustomerId(customer_id); !s.ok()) return s;
  if (auto s = CheckNumber("invoice_number", command.invoice_number());
      !s.ok()) {
    return s;
  }
  if (auto s = CheckReason(command.reason()); !s.ok()) return s;
  auto issuer = IssuerOf(state);
  if (!issuer.ok()) return issuer.status();
  auto invoice = CorrectableInvoice(state, customer_id, "invoice_number",
                                    command.invoice_number());
  if (!invoice.ok()) return invoice.status();
  auto cancelled =
      state.Get(CancelledInvoiceKey(customer_id, command.invoice_number()));
  if (!cancelled.ok()) return cancelled.status();
  if (cancelled->has_value()) {
    return Reject(r::kAlreadyCancelled,
                  absl::StrFormat("invoice_number: %s is cancelled already",
                                  QuoteValue(command.invoice_number())));
  }
  auto id = NextCorrectionId(state, customer_id);
  if (!id.ok()) return id.status();
  Correction c{state,   customer_id, *std::move(issuer),
               business_date, *id, v1::CORRECTION_CAUSE_INVOICE_CANCELLED,
               command.reason()};
  return DecideCorrection(c, {command.invoice_number()},
                          command.invoice_number(), r::kNothingToCorrect);
}

absl::StatusOr<Events> DecideCorrectInvoices(
    const StateReader& state, absl::string_view customer_id,
    const v1::CorrectInvoices& command, BusinessDate business_date) {
  namespace q = correct_invoices;
  if (auto s = CheckCustomerId(customer_id); !s.ok()) return s;
  const auto& numbers = command.invoice_numbers();
  if (static_cast<size_t>(numbers.size()) > kDraftsPerCommandMax) {
    return Reject(q::kInvoiceNumberInvalid,
                  absl::StrFormat("invoice_numbers: %d given, at most %d",
                                  numbers.size(), kDraftsPerCommandMax));
  }
  std::set<std::string> seen;
  for (int i = 0; i < numbers.size(); ++i) {
    const std::string field = absl::StrFormat("invoice_numbers[%d]", i);
    if (auto s = CheckNumber(field, numbers[i]); !s.ok()) return s;
    if (!seen.insert(numbers[i]).second) {
      return Reject(q::kInvoiceNumberInvalid,
                    absl::StrCat(field, ": given twice"));
    }
  }
  if (auto s = CheckReason(command.reason()); !s.ok()) return s;
  auto customer = LoadCustomer(state, customer_id);
  if (!customer.ok()) return customer.status();
  if (!customer->has_value()) {
    return Reject(q::kCustomerNotFound,
                  absl::StrFormat("customer_id: no customer %s",
                                  QuoteValue(customer_id)));
  }
  auto issuer = IssuerOf(state);
  if (!issuer.ok()) return issuer.status();
  for (int i = 0; i < numbers.size(); ++i) {
    auto invoice = CorrectableInvoice(
        state, customer_id, absl::StrFormat("invoice_numbers[%d]", i),
        numbers[i]);
    if (!invoice.ok()) return invoice.status();
  }
  auto id = NextCorrectionId(state, customer_id);
  if (!id.ok()) return id.status();
  Correction c{state,   customer_id, *std::move(issuer),
               business_date, *id, v1::CORRECTION_CAUSE_RECOMPUTED,
               command.reason()};
  return DecideCorrection(c, {numbers.begin(), numbers.end()}, "",
                          q::kNothingToCorrect);
}

absl::Status ApplyCorrectionsDrafted(StateWriter& state,
                                     const v1::EventEnvelope& event) {
  const std::string& customer = event.customer_id();
  const v1::CorrectionsDrafted& c = event.invoice().corrections_drafted();
  if (c.correction_id().empty() || c.drafts().empty()) {
    return absl::DataLossError(absl::StrFormat(
        "%s of %s: a correction without id or drafts", event.type(),
        QuoteValue(customer)));
  }
  auto seq = state.Get(CorrectionSeqKey(customer));
  if (!seq.ok()) return seq.status();
  uint64_t n = 0;
  if (seq->has_value() && !absl::SimpleAtoi(**seq, &n)) {
    return absl::DataLossError("corrn: not a number");
  }
  state.Put(CorrectionSeqKey(customer), absl::StrCat(n + 1));
  for (const v1::InvoiceDocument& d : c.drafts()) {
    if (d.draft_id().empty()) {
      return absl::DataLossError("a correction draft without id");
    }
    PutMessage(state, DraftKey(customer, d.draft_id()), d);
  }
  if (!c.cancelled_invoice_number().empty()) {
    state.Put(CancelledInvoiceKey(customer, c.cancelled_invoice_number()), "");
  }
  return absl::OkStatus();
}

}  // namespace billing::invoice_internal
