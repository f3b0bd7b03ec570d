#pragma once

// Invoice documents built by hand for the documents tests, with numbers a
// person can check: three lines, 2 x 100.00 EUR at 20 % and 1 x 50.00 EUR at
// 10 %, in two sections (the second with its own service address): net
// 250.00, VAT 40.00 + 5.00 = 45.00, gross 295.00.

#include <string>

#include "absl/strings/str_format.h"
#include "billing/v1/invoice.pb.h"

namespace billing::documents_test {

inline v1::Address MakeAddress(const std::string& line,
                               const std::string& postal_code,
                               const std::string& city) {
  v1::Address a;
  a.add_lines(line);
  a.set_postal_code(postal_code);
  a.set_city(city);
  a.set_country_code("FR");
  return a;
}

inline v1::Issuer SampleIssuer() {
  v1::Issuer i;
  i.set_legal_name("Télécom Rhône Services");
  i.set_legal_form("SAS");
  i.set_share_capital_minor(15'000'000);  // 150 000 EUR
  i.set_capital_currency("EUR");
  *i.mutable_address() =
      MakeAddress("12 rue de la République", "69002", "Lyon");
  i.set_siren("552100554");
  i.set_siret("55210055400013");
  i.set_rcs_city("Lyon");
  i.set_vat_id("FR40552100554");
  i.mutable_bank()->set_iban("FR7630006000011234567890189");
  i.mutable_bank()->set_bic("AGRIFRPP882");
  i.mutable_bank()->set_bank_name("Crédit Agricole Centre-Est");
  i.mutable_terms()->set_payment_delay_days(30);
  i.mutable_terms()->set_late_penalty_rate_bp(1200);  // 12 % a year
  i.mutable_terms()->set_recovery_indemnity_minor(4000);
  i.set_email("facturation@telecom-rhone.fr");
  i.set_phone("04 72 00 00 00");
  return i;
}

inline v1::DocumentLine MakeLine(const std::string& entity,
                                 const std::string& article,
                                 const std::string& label, int64_t qty_milli,
                                 int64_t unit_micros, int64_t net_minor,
                                 int32_t vat_bp) {
  v1::DocumentLine l;
  l.set_source(v1::LINE_SOURCE_RULE);
  l.set_entity_id(entity);
  l.set_article_code(article);
  l.set_label(label);
  l.set_period_start("2026-01-01");
  l.set_period_end("2026-01-31");
  l.set_quantity_milli(qty_milli);
  l.set_unit_price_micros(unit_micros);
  l.set_gross_amount_minor(net_minor);
  l.set_net_amount_minor(net_minor);
  l.set_vat_rate_bp(vat_bp);
  return l;
}

// The document header every sample shares: issuer, invoiced party, dates.
inline v1::InvoiceDocument SampleHeader() {
  v1::InvoiceDocument d;
  d.set_number("FA-2026-000123");
  d.set_type(v1::DOCUMENT_TYPE_INVOICE);
  d.set_series("FA-2026-");
  d.set_seq(123);
  d.set_issue_date("2026-01-31");
  d.set_due_date("2026-03-02");
  d.set_period_start("2026-01-01");
  d.set_period_end("2026-01-31");
  d.set_currency("EUR");
  *d.mutable_issuer() = SampleIssuer();
  v1::DocumentParty* c = d.mutable_invoiced();
  c->set_customer_id("C-1001");
  c->set_name("Hôtel Bellevue");
  *c->mutable_billing_address() =
      MakeAddress("3 place Bellecour", "69002", "Lyon");
  c->set_siren("732829320");
  c->set_vat_id("FR44732829320");
  d.set_holder_id("C-1001");
  return d;
}

inline v1::InvoiceDocument SampleInvoice() {
  v1::InvoiceDocument d = SampleHeader();
  d.set_bill_to_mode(v1::BILL_TO_MODE_POST_TO_BILL_TO);
  d.mutable_ledger_party()->set_customer_id("C-2002");
  d.mutable_ledger_party()->set_name("Société Générale");
  v1::DocumentSection* s1 = d.add_sections();
  s1->set_entity_id("E1");
  s1->set_entity_name("Réception");
  s1->set_net_amount_minor(20000);
  s1->set_lines(2);
  v1::DocumentSection* s2 = d.add_sections();
  s2->set_entity_id("E2");
  s2->set_entity_name("Spa");
  *s2->mutable_service_address() =
      MakeAddress("8 quai Saint-Antoine", "69002", "Lyon");
  s2->set_net_amount_minor(5000);
  s2->set_lines(1);
  *d.add_lines() = MakeLine("E1", "ABO-PRO", "Abonnement Pro 20 postes", 1000,
                            100'000'000, 10000, 2000);
  *d.add_lines() = MakeLine("E1", "OPT-STD", "Option standard téléphonique",
                            1000, 100'000'000, 10000, 2000);
  *d.add_lines() = MakeLine("E2", "MAINT", "Maintenance préventive", 1000,
                            50'000'000, 5000, 1000);
  v1::VatSummary* v20 = d.add_vat();
  v20->set_vat_rate_bp(2000);
  v20->set_net_amount_minor(20000);
  v20->set_vat_amount_minor(4000);
  v1::VatSummary* v10 = d.add_vat();
  v10->set_vat_rate_bp(1000);
  v10->set_net_amount_minor(5000);
  v10->set_vat_amount_minor(500);
  d.set_net_amount_minor(25000);
  d.set_vat_amount_minor(4500);
  d.set_gross_amount_minor(29500);
  d.add_mentions("TVA acquittée sur les débits.");
  return d;
}

// `n` lines of 1 x 10.00 EUR at 20 %, labelled "Ligne n° 001 ..." so a test
// finds each in the text; one section (no headings); totals consistent.
inline v1::InvoiceDocument ManyLinesInvoice(int n) {
  v1::InvoiceDocument d = SampleHeader();
  for (int i = 1; i <= n; ++i) {
    *d.add_lines() = MakeLine("", absl::StrFormat("ART%03d", i),
                              absl::StrFormat("Ligne n° %03d forfait café", i),
                              1000, 10'000'000, 1000, 2000);
  }
  v1::VatSummary* v = d.add_vat();
  v->set_vat_rate_bp(2000);
  v->set_net_amount_minor(1000LL * n);
  v->set_vat_amount_minor(200LL * n);
  d.set_net_amount_minor(1000LL * n);
  d.set_vat_amount_minor(200LL * n);
  d.set_gross_amount_minor(1200LL * n);
  return d;
}

}  // namespace billing::documents_test
