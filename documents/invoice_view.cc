#include "documents/invoice_view.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "documents/french_format.h"

namespace billing::documents {
namespace {

// D441-5 of the Code de commerce: the recovery indemnity is 40 EUR, printed
// even when the issuer left it unset (the mention is required).
constexpr int64_t kLegalRecoveryIndemnityMinor = 4000;

constexpr absl::string_view kSep = " · ";

bool IsNotice(const v1::InvoiceDocument& doc) {
  return doc.type() == v1::DOCUMENT_TYPE_PAYMENT_NOTICE;
}

bool IsCreditNote(const v1::InvoiceDocument& doc) {
  return doc.type() == v1::DOCUMENT_TYPE_CREDIT_NOTE;
}

std::string Title(const v1::InvoiceDocument& doc) {
  std::string title = IsNotice(doc)                 ? "Avis de prélèvement"
                      : IsCreditNote(doc)           ? "Avoir"
                      : !doc.correction_id().empty() ? "Facture rectificative"
                                                     : "Facture";
  if (doc.number().empty()) absl::StrAppend(&title, " (projet)");
  return title;
}

std::vector<Field> DocumentFields(const v1::InvoiceDocument& doc) {
  std::vector<Field> f;
  f.emplace_back(
      "N°", doc.number().empty() ? "non numéroté" : CleanText(doc.number()));
  if (!doc.issue_date().empty()) {
    f.emplace_back("Date", FormatDate(doc.issue_date()));
  }
  const std::string period = FormatPeriod(doc.period_start(), doc.period_end());
  if (!period.empty()) f.emplace_back("Période", period);
  if (doc.corrected_invoice_numbers_size() > 0) {
    std::vector<std::string> numbers;
    for (const auto& n : doc.corrected_invoice_numbers()) {
      numbers.push_back(CleanText(n));
    }
    f.emplace_back(numbers.size() > 1 ? "Factures d'origine n°"
                                      : "Facture d'origine n°",
                   absl::StrJoin(numbers, ", "));
  }
  if (!doc.correction_reason().empty()) {
    f.emplace_back("Motif", CleanText(doc.correction_reason()));
  }
  if (!doc.due_date().empty() && !IsCreditNote(doc)) {
    f.emplace_back(IsNotice(doc) ? "Prélevé le" : "Échéance",
                   FormatDate(doc.due_date()));
  }
  if (!doc.invoiced().customer_id().empty()) {
    f.emplace_back("Client", CleanText(doc.invoiced().customer_id()));
  }
  if (!doc.notice_number().empty()) {
    f.emplace_back("Avis de prélèvement", CleanText(doc.notice_number()));
  }
  if (!doc.invoice_number().empty()) {
    f.emplace_back("Facture", CleanText(doc.invoice_number()));
  }
  if (doc.contract_refs_size() > 0) {
    std::vector<std::string> refs;
    for (const auto& r : doc.contract_refs()) refs.push_back(CleanText(r));
    f.emplace_back("Contrats", absl::StrJoin(refs, ", "));
  }
  return f;
}

std::string ShareCapital(const v1::Issuer& issuer) {
  const std::string currency =
      issuer.capital_currency().empty() ? "EUR" : issuer.capital_currency();
  int64_t unit = 1;
  for (int i = CurrencyExponent(currency); i > 0; --i) unit *= 10;
  const int64_t capital = issuer.share_capital_minor();
  // Capital is nearly always whole: "100 000 €", not "100 000,00 €".
  if (capital % unit != 0) return FormatAmount(capital, currency);
  return absl::StrCat(FormatFixed(capital / unit, 0), kNbsp,
                      currency == "EUR" ? "€" : CleanText(currency));
}

std::string LegalFooter(const v1::Issuer& issuer) {
  std::vector<std::string> parts;
  std::string head = CleanText(issuer.legal_name());
  if (!issuer.legal_form().empty()) {
    absl::StrAppend(&head, " ", CleanText(issuer.legal_form()));
  }
  if (issuer.share_capital_minor() > 0) {
    absl::StrAppend(&head, " au capital de ", ShareCapital(issuer));
  }
  parts.push_back(head);
  const std::vector<std::string> address = AddressLines(issuer.address());
  if (!address.empty()) parts.push_back(absl::StrJoin(address, ", "));
  if (!issuer.siren().empty()) {
    std::string siren = absl::StrCat("SIREN", kNbsp, CleanText(issuer.siren()));
    if (!issuer.rcs_city().empty()) {
      absl::StrAppend(&siren, " RCS", kNbsp, CleanText(issuer.rcs_city()));
    }
    parts.push_back(siren);
  }
  if (!issuer.siret().empty()) {
    parts.push_back(absl::StrCat("SIRET", kNbsp, CleanText(issuer.siret())));
  }
  if (!issuer.vat_id().empty()) {
    parts.push_back(
        absl::StrCat("N°", kNbsp, "TVA", kNbsp, CleanText(issuer.vat_id())));
  }
  return absl::StrJoin(parts, kSep);
}

std::vector<std::string> IssuerLines(const v1::Issuer& issuer) {
  std::vector<std::string> lines = AddressLines(issuer.address());
  std::vector<std::string> contact;
  if (!issuer.phone().empty()) {
    contact.push_back(absl::StrCat("Tél. ", CleanText(issuer.phone())));
  }
  if (!issuer.email().empty()) contact.push_back(CleanText(issuer.email()));
  if (!contact.empty()) lines.push_back(absl::StrJoin(contact, kSep));
  std::vector<std::string> ids;
  if (!issuer.siret().empty()) {
    ids.push_back(absl::StrCat("SIRET ", CleanText(issuer.siret())));
  }
  if (!issuer.vat_id().empty()) {
    ids.push_back(absl::StrCat("N° TVA ", CleanText(issuer.vat_id())));
  }
  if (!ids.empty()) lines.push_back(absl::StrJoin(ids, kSep));
  return lines;
}

std::vector<std::string> PartyLines(const v1::DocumentParty& party) {
  std::vector<std::string> lines = AddressLines(party.billing_address());
  if (!party.siren().empty()) {
    lines.push_back(absl::StrCat("SIREN ", CleanText(party.siren())));
  }
  if (!party.vat_id().empty()) {
    lines.push_back(absl::StrCat("N° TVA ", CleanText(party.vat_id())));
  }
  return lines;
}

std::string PartyName(const v1::DocumentParty& party) {
  std::string name = CleanText(party.name());
  if (name.empty()) name = CleanText(party.customer_id());
  return name;
}

std::string LedgerNote(const v1::InvoiceDocument& doc) {
  const v1::DocumentParty& p = doc.ledger_party();
  if (p.name().empty() && p.customer_id().empty()) return "";
  if (p.customer_id() == doc.invoiced().customer_id()) return "";
  const std::string who = absl::StrCat(
      PartyName(p), p.customer_id().empty()
                        ? ""
                        : absl::StrCat(" (", CleanText(p.customer_id()), ")"));
  if (doc.bill_to_mode() == v1::BILL_TO_MODE_INVOICE_BILL_TO) {
    return absl::StrCat("Pour le compte de : ", who);
  }
  return absl::StrCat("Compte de règlement : ", who);
}

LineRow Row(const v1::DocumentLine& line, absl::string_view currency) {
  LineRow r;
  r.article = CleanText(line.article_code());
  r.label = CleanText(line.label());
  if (line.has_corrects()) {
    absl::StrAppend(&r.label, " (facture ",
                    CleanText(line.corrects().invoice_number()), ", ligne ",
                    line.corrects().line_index() + 1, ")");
  }
  if (!line.period_start().empty() || !line.period_end().empty()) {
    r.period = absl::StrCat(FormatDate(line.period_start()), " – ",
                            FormatDate(line.period_end()));
  }
  r.quantity = FormatMilli(line.quantity_milli());
  r.unit_price = FormatMicros(line.unit_price_micros());
  if (line.discount_hundredths() != 0) {
    r.discount = FormatPercent(line.discount_hundredths());
  }
  r.net = FormatAmountNumber(line.net_amount_minor(), currency);
  r.vat_rate = FormatPercent(line.vat_rate_bp());
  return r;
}

std::string SectionName(const v1::DocumentSection& s) {
  const std::string name = CleanText(s.entity_name());
  const std::string id = CleanText(s.entity_id());
  if (name.empty()) return id;
  if (id.empty()) return name;
  return absl::StrCat(name, " (", id, ")");
}

// The lines grouped by section, in the sections' order; lines of no listed
// section (none expected) in a last group, so no line is ever left out.
std::vector<SectionView> Sections(const v1::InvoiceDocument& doc) {
  const absl::string_view cur = doc.currency();
  std::vector<SectionView> out;
  std::vector<bool> placed(doc.lines_size(), false);
  const bool grouped = doc.sections_size() > 1;
  for (const v1::DocumentSection& s : doc.sections()) {
    SectionView v;
    const std::vector<std::string> addr = AddressLines(s.service_address());
    if (!addr.empty()) {
      v.service_address =
          absl::StrCat("Adresse de service : ", absl::StrJoin(addr, ", "));
    }
    if (grouped || !addr.empty()) v.heading = SectionName(s);
    if (grouped) {
      v.subtotal_label = absl::StrCat("Sous-total ", SectionName(s));
      v.subtotal = FormatAmountNumber(s.net_amount_minor(), cur);
    }
    for (int i = 0; i < doc.lines_size(); ++i) {
      if (placed[i] || doc.lines(i).entity_id() != s.entity_id()) continue;
      placed[i] = true;
      v.rows.push_back(Row(doc.lines(i), cur));
    }
    out.push_back(std::move(v));
  }
  SectionView rest;
  if (!out.empty()) rest.heading = "Autres lignes";
  for (int i = 0; i < doc.lines_size(); ++i) {
    if (!placed[i]) rest.rows.push_back(Row(doc.lines(i), cur));
  }
  if (!rest.rows.empty() || out.empty()) out.push_back(std::move(rest));
  return out;
}

std::vector<Field> Totals(const v1::InvoiceDocument& doc) {
  const absl::string_view cur = doc.currency();
  return {
      {"Total HT", FormatAmount(doc.net_amount_minor(), cur)},
      {"Total TVA", FormatAmount(doc.vat_amount_minor(), cur)},
      {IsNotice(doc)       ? "Total TTC à prélever"
       : IsCreditNote(doc) ? "Total TTC de l'avoir"
                           : "Total TTC",
       FormatAmount(doc.gross_amount_minor(), cur)},
  };
}

std::string BankLine(const v1::BankDetails& bank) {
  std::vector<std::string> parts;
  if (!bank.bank_name().empty()) parts.push_back(CleanText(bank.bank_name()));
  if (!bank.iban().empty()) {
    parts.push_back(absl::StrCat("IBAN ", FormatIban(bank.iban())));
  }
  if (!bank.bic().empty()) {
    parts.push_back(absl::StrCat("BIC ", CleanText(bank.bic())));
  }
  return absl::StrJoin(parts, kSep);
}

// The SEPA pre-notification's references: the creditor identifier (ICS)
// and the mandate (RUM) with its date of signature.
std::string MandateLine(const v1::InvoiceDocument& doc) {
  std::vector<std::string> parts;
  const std::string& ics = doc.issuer().sepa_creditor_id();
  if (!ics.empty()) {
    parts.push_back(absl::StrCat("Identifiant créancier SEPA (ICS) ",
                                 CleanText(ics)));
  }
  const v1::SepaMandate& m = doc.invoiced().sepa_mandate();
  if (!m.reference().empty()) {
    std::string rum =
        absl::StrCat("Référence unique de mandat (RUM) ", CleanText(m.reference()));
    if (!m.signed_on().empty()) {
      absl::StrAppend(&rum, ", signé le ", FormatDate(m.signed_on()));
    }
    parts.push_back(std::move(rum));
  }
  if (parts.empty()) return "";
  return absl::StrCat(absl::StrJoin(parts, kSep), ".");
}

std::vector<std::string> Payment(const v1::InvoiceDocument& doc) {
  const v1::PaymentTerms& t = doc.issuer().terms();
  std::vector<std::string> out;
  const std::string due = FormatDate(doc.due_date());
  const std::string gross =
      FormatAmount(doc.gross_amount_minor(), doc.currency());
  if (IsCreditNote(doc)) {
    // A credit note is owed to the customer: no due date, no penalty.
    out.push_back(absl::StrCat(
        "Avoir de ", gross,
        " à déduire de votre prochain règlement, ou remboursé par virement."));
    const std::string bank = BankLine(doc.issuer().bank());
    if (!bank.empty()) {
      out.push_back(absl::StrCat("Coordonnées bancaires : ", bank));
    }
    return out;
  }
  if (IsNotice(doc)) {
    out.push_back(absl::StrCat("Le montant de ", gross,
                               " sera prélevé sur votre compte le ", due,
                               " (prélèvement SEPA)."));
    const std::string mandate = MandateLine(doc);
    if (!mandate.empty()) out.push_back(mandate);
  } else {
    out.push_back(
        absl::StrCat("Date d'échéance : ", due, ". Règlement par virement."));
  }
  const std::string bank = BankLine(doc.issuer().bank());
  if (!bank.empty()) {
    out.push_back(absl::StrCat("Coordonnées bancaires : ", bank));
  }
  const int64_t indemnity = t.recovery_indemnity_minor() > 0
                                ? t.recovery_indemnity_minor()
                                : kLegalRecoveryIndemnityMinor;
  out.push_back(absl::StrCat(
      "En cas de retard de paiement : pénalités au taux annuel de ",
      FormatPercent(t.late_penalty_rate_bp()),
      " (art. L441-10 du Code de commerce) et indemnité forfaitaire pour "
      "frais de recouvrement de ",
      FormatAmount(indemnity, "EUR"), " (art. D441-5)."));
  out.push_back(t.early_payment_discount_bp() > 0
                    ? absl::StrCat("Escompte pour paiement anticipé : ",
                                   FormatPercent(t.early_payment_discount_bp()),
                                   ".")
                    : "Pas d'escompte pour paiement anticipé.");
  return out;
}

std::string KindName(v1::UsageKind kind) {
  switch (kind) {
    case v1::USAGE_KIND_VOICE:
      return "Appel";
    case v1::USAGE_KIND_SMS:
      return "SMS";
    case v1::USAGE_KIND_MMS:
      return "MMS";
    case v1::USAGE_KIND_DATA:
      return "Données";
    case v1::USAGE_KIND_FAX:
      return "Fax";
    default:
      return "Autre";
  }
}

std::string CallQuantity(const v1::ItemizedCall& c) {
  switch (c.kind()) {
    case v1::USAGE_KIND_VOICE:
    case v1::USAGE_KIND_FAX:
      return FormatDuration(c.quantity());
    case v1::USAGE_KIND_DATA:
      return FormatBytes(c.quantity());
    default:
      return FormatFixed(c.quantity(), 0);
  }
}

std::string CallsTotal(const v1::InvoiceDocument& doc) {
  absl::int128 sum = 0;  // 2^63 calls of 2^63 micros: no overflow
  for (const v1::ItemizedCall& c : doc.itemized_calls()) {
    sum += c.amount_micros();
  }
  if (sum > std::numeric_limits<int64_t>::max() ||
      sum < std::numeric_limits<int64_t>::min()) {
    return "—";
  }
  return FormatMicros(static_cast<int64_t>(sum));
}

std::vector<CallRow> Calls(const v1::InvoiceDocument& doc) {
  std::vector<CallRow> out;
  out.reserve(doc.itemized_calls_size());
  for (const v1::ItemizedCall& c : doc.itemized_calls()) {
    out.push_back({CleanText(c.object_id()), FormatDateTime(c.start_time()),
                   CleanText(c.destination_masked()), KindName(c.kind()),
                   CallQuantity(c), FormatMicros(c.amount_micros())});
  }
  return out;
}

}  // namespace

std::vector<std::string> AddressLines(const v1::Address& address) {
  std::vector<std::string> lines;
  for (const auto& l : address.lines()) {
    std::string c = CleanText(l);
    if (!c.empty()) lines.push_back(std::move(c));
  }
  std::string city = CleanText(address.postal_code());
  const std::string town = CleanText(address.city());
  if (!city.empty() && !town.empty()) city.push_back(' ');
  city += town;
  if (!city.empty()) lines.push_back(std::move(city));
  if (!address.country_code().empty() && address.country_code() != "FR") {
    lines.push_back(CountryName(address.country_code()));
  }
  return lines;
}

InvoiceView BuildInvoiceView(const v1::InvoiceDocument& doc) {
  InvoiceView v;
  v.title = Title(doc);
  v.fields = DocumentFields(doc);
  v.issuer_name = CleanText(doc.issuer().legal_name());
  v.issuer_lines = IssuerLines(doc.issuer());
  v.legal_footer = LegalFooter(doc.issuer());
  v.customer_caption =
      IsNotice(doc) || IsCreditNote(doc) ? "Client" : "Facturé à";
  v.customer_name = PartyName(doc.invoiced());
  v.customer_lines = PartyLines(doc.invoiced());
  v.ledger_note = LedgerNote(doc);
  if (doc.currency() == "EUR") {
    v.currency_caption = "Montants en euros";
  } else if (!doc.currency().empty()) {
    v.currency_caption =
        absl::StrCat("Montants en ", CleanText(doc.currency()));
  }
  v.sections = Sections(doc);
  for (const v1::VatSummary& s : doc.vat()) {
    v.vat.push_back({FormatPercent(s.vat_rate_bp()),
                     FormatAmount(s.net_amount_minor(), doc.currency()),
                     FormatAmount(s.vat_amount_minor(), doc.currency())});
  }
  v.totals = Totals(doc);
  v.payment = Payment(doc);
  for (const auto& m : doc.mentions()) v.mentions.push_back(CleanText(m));
  v.calls = Calls(doc);
  if (!v.calls.empty()) {
    v.calls_total_label = absl::StrCat(
        "Total : ", doc.itemized_calls_size(),
        doc.itemized_calls_size() > 1 ? " communications" : " communication");
    v.calls_total = CallsTotal(doc);
  }
  const std::string number =
      doc.number().empty()
          ? v.title
          : absl::StrCat(v.title, " n° ", CleanText(doc.number()));
  v.continuation = number;
  if (!doc.issue_date().empty()) {
    absl::StrAppend(&v.continuation, " du ", FormatDate(doc.issue_date()));
  }
  if (!v.customer_name.empty()) {
    absl::StrAppend(&v.continuation, kSep, v.customer_name);
  }
  v.pdf_title = number;
  return v;
}

}  // namespace billing::documents
