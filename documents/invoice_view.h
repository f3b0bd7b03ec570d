#pragma once

// What an invoice document prints, as text, before any layout: every string
// the PDF and the HTML show, formatted the French way (french_format.h) and
// cleaned (CleanText), grouped as the page groups them. Both renderers draw
// this and nothing else, so they print the same words; tests read it
// without a PDF.

#include <string>
#include <utility>
#include <vector>

#include "billing/v1/invoice.pb.h"

namespace billing::documents {

// One printed line of the lines table. Amounts without the currency: the
// table's caption names it.
struct LineRow {
  std::string article;
  std::string label;
  std::string period;    // "01/01/2026 – 31/01/2026"
  std::string quantity;  // "2", "1,5"
  std::string unit_price;
  std::string discount;  // "10,00 %", or empty
  std::string net;
  std::string vat_rate;  // "20,00 %"
};

// One entity's lines (DocumentSection), or the whole table when the document
// has no sections.
struct SectionView {
  // Empty: no heading row (a document with one section and no service
  // address, or none).
  std::string heading;           // "Site de Lyon (ENT-1)"
  std::string service_address;   // one line; empty when it does not differ
  std::vector<LineRow> rows;
  // Empty: no subtotal row (a single group).
  std::string subtotal_label;    // "Sous-total Site de Lyon"
  std::string subtotal;          // "250,00"
};

struct VatRow {
  std::string rate;  // "20,00 %"
  std::string base;  // "200,00 €"
  std::string vat;   // "40,00 €"
};

struct CallRow {
  std::string object;
  std::string when;         // "05/01/2026 10:15:30"
  std::string destination;  // masked, as the document holds it
  std::string kind;         // "Voix", "SMS", ...
  std::string quantity;     // "1 min 15 s", "1,5 Mo", "1"
  std::string amount;       // "0,0125" (unit price precision)
};

// A label and its value ("N°", "FA-2026-000123").
using Field = std::pair<std::string, std::string>;

struct InvoiceView {
  std::string title;  // "Facture", "Avis de prélèvement" (+ " (projet)")
  // The document's identification, top right: number, dates, period,
  // customer code, linked notice or invoice.
  std::vector<Field> fields;
  // Issuer: legal name first, then address and contact lines.
  std::string issuer_name;
  std::vector<std::string> issuer_lines;
  // The legal line printed at the foot of every page: form, capital,
  // address, SIREN, RCS, SIRET, VAT id.
  std::string legal_footer;
  // Invoiced party: name, address lines, SIREN, VAT id.
  std::string customer_caption;  // "Facturé à"
  std::string customer_name;
  std::vector<std::string> customer_lines;
  // The other party the header names (ledger party or contract holder);
  // empty when none.
  std::string ledger_note;
  // "Montants en euros" (the table's amounts carry no currency).
  std::string currency_caption;
  std::vector<SectionView> sections;
  std::vector<VatRow> vat;
  std::vector<Field> totals;  // Total HT, Total TVA, Total TTC (last)
  // Due date, payment means, bank details, penalties, indemnity, discount.
  std::vector<std::string> payment;
  std::vector<std::string> mentions;
  std::vector<CallRow> calls;  // the annex; empty: none
  // "FA-2026-000123 du 31/01/2026 · Hôtel Bellevue", for continuation pages.
  std::string continuation;
  // PDF metadata.
  std::string pdf_title;
};

InvoiceView BuildInvoiceView(const v1::InvoiceDocument& doc);

// An address as printed lines: street lines, "69001 Lyon", the country when
// not France. Empty fields are skipped.
std::vector<std::string> AddressLines(const v1::Address& address);

}  // namespace billing::documents
