// What an invoice prints, before layout (documents/invoice_view.h), and the
// HTML and JSON renderings of it (documents/invoice_html.h).

#include "documents/invoice_view.h"

#include <google/protobuf/util/json_util.h>

#include <string>

#include "absl/strings/str_replace.h"
#include "documents/invoice_html.h"
#include "documents/invoice_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/documents/sample_invoice.h"

namespace billing::documents {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

std::string Plain(std::string s) {
  return absl::StrReplaceAll(s, {{"\xC2\xA0", " "}});
}

// Two sections: each has a heading and a subtotal; the second its service
// address; the lines sit under their own section.
TEST(InvoiceViewTest, SectionsGroupLinesWithSubtotals) {
  const InvoiceView v = BuildInvoiceView(documents_test::SampleInvoice());
  ASSERT_EQ(v.sections.size(), 2u);
  EXPECT_EQ(v.sections[0].heading, "Réception (E1)");
  EXPECT_EQ(v.sections[0].service_address, "");
  EXPECT_EQ(v.sections[0].rows.size(), 2u);
  EXPECT_EQ(Plain(v.sections[0].subtotal), "200,00");
  EXPECT_EQ(v.sections[1].heading, "Spa (E2)");
  EXPECT_EQ(v.sections[1].service_address,
            "Adresse de service : 8 quai Saint-Antoine, 69002 Lyon");
  ASSERT_EQ(v.sections[1].rows.size(), 1u);
  const LineRow& r = v.sections[1].rows[0];
  EXPECT_EQ(r.article, "MAINT");
  EXPECT_EQ(r.period, "01/01/2026 – 31/01/2026");
  EXPECT_EQ(r.quantity, "1");
  EXPECT_EQ(r.unit_price, "50,00");
  EXPECT_EQ(r.discount, "");
  EXPECT_EQ(Plain(r.net), "50,00");
  EXPECT_EQ(Plain(r.vat_rate), "10,00 %");
}

// No sections: one group, no heading, no subtotal.
TEST(InvoiceViewTest, NoSectionsIsOneGroup) {
  const InvoiceView v = BuildInvoiceView(documents_test::ManyLinesInvoice(3));
  ASSERT_EQ(v.sections.size(), 1u);
  EXPECT_EQ(v.sections[0].heading, "");
  EXPECT_EQ(v.sections[0].subtotal_label, "");
  EXPECT_EQ(v.sections[0].rows.size(), 3u);
}

// A line of no listed section is printed anyway, in a last group.
TEST(InvoiceViewTest, LineOfNoSectionIsNotLost) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  doc.mutable_lines(2)->set_entity_id("E9");
  const InvoiceView v = BuildInvoiceView(doc);
  ASSERT_EQ(v.sections.size(), 3u);
  EXPECT_EQ(v.sections[2].heading, "Autres lignes");
  EXPECT_EQ(v.sections[2].rows.size(), 1u);
}

TEST(InvoiceViewTest, TotalsVatAndLegalFooter) {
  const InvoiceView v = BuildInvoiceView(documents_test::SampleInvoice());
  ASSERT_EQ(v.totals.size(), 3u);
  EXPECT_THAT(v.totals[0], Pair("Total HT", "250,00\xC2\xA0€"));
  EXPECT_THAT(v.totals[1], Pair("Total TVA", "45,00\xC2\xA0€"));
  EXPECT_THAT(v.totals[2], Pair("Total TTC", "295,00\xC2\xA0€"));
  ASSERT_EQ(v.vat.size(), 2u);
  EXPECT_EQ(Plain(v.vat[0].rate + " " + v.vat[0].base + " " + v.vat[0].vat),
            "20,00 % 200,00 € 40,00 €");
  EXPECT_EQ(Plain(v.legal_footer),
            "Télécom Rhône Services SAS au capital de 150 000 € · "
            "12 rue de la République, 69002 Lyon · SIREN 552100554 RCS Lyon · "
            "SIRET 55210055400013 · N° TVA FR40552100554");
  EXPECT_EQ(v.ledger_note, "Compte de règlement : Société Générale (C-2002)");
}

TEST(InvoiceViewTest, PaymentTermsMentions) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  InvoiceView v = BuildInvoiceView(doc);
  ASSERT_EQ(v.payment.size(), 4u);
  EXPECT_EQ(v.payment[0],
            "Date d'échéance : 02/03/2026. Règlement par virement.");
  EXPECT_EQ(
      v.payment[1],
      "Coordonnées bancaires : Crédit Agricole Centre-Est · IBAN FR76 3000 "
      "6000 0112 3456 7890 189 · BIC AGRIFRPP882");
  EXPECT_EQ(
      Plain(v.payment[2]),
      "En cas de retard de paiement : pénalités au taux annuel de 12,00 % "
      "(art. L441-10 du Code de commerce) et indemnité forfaitaire pour "
      "frais de recouvrement de 40,00 € (art. D441-5).");
  EXPECT_EQ(v.payment[3], "Pas d'escompte pour paiement anticipé.");
  // The indemnity is printed at its legal 40 EUR when unset; a discount
  // given is printed.
  doc.mutable_issuer()->mutable_terms()->set_recovery_indemnity_minor(0);
  doc.mutable_issuer()->mutable_terms()->set_early_payment_discount_bp(150);
  v = BuildInvoiceView(doc);
  EXPECT_THAT(Plain(v.payment[2]), HasSubstr("recouvrement de 40,00 €"));
  EXPECT_EQ(Plain(v.payment[3]), "Escompte pour paiement anticipé : 1,50 %.");
}

TEST(InvoiceViewTest, NoticeAndDraftTitles) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  EXPECT_EQ(BuildInvoiceView(doc).title, "Facture");
  doc.set_type(v1::DOCUMENT_TYPE_PAYMENT_NOTICE);
  EXPECT_EQ(BuildInvoiceView(doc).title, "Avis de prélèvement");
  EXPECT_THAT(BuildInvoiceView(doc).fields,
              testing::Contains(Pair("Prélevé le", "02/03/2026")));
  doc.clear_number();
  EXPECT_EQ(BuildInvoiceView(doc).title, "Avis de prélèvement (projet)");
}

// A payment notice is the SEPA pre-notification: amount, date, the
// creditor identifier and the mandate with its date of signature.
TEST(InvoiceViewTest, NoticePrintsCreditorIdAndMandate) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  doc.set_type(v1::DOCUMENT_TYPE_PAYMENT_NOTICE);
  doc.mutable_issuer()->set_sepa_creditor_id("FR72ZZZ123456");
  doc.mutable_invoiced()->mutable_sepa_mandate()->set_reference("RUM-C1001-01");
  doc.mutable_invoiced()->mutable_sepa_mandate()->set_signed_on("2025-09-15");
  const InvoiceView v = BuildInvoiceView(doc);
  ASSERT_GE(v.payment.size(), 2u);
  EXPECT_THAT(Plain(v.payment[0]),
              HasSubstr("sera prélevé sur votre compte le 02/03/2026"));
  EXPECT_EQ(v.payment[1],
            "Identifiant créancier SEPA (ICS) FR72ZZZ123456 · Référence "
            "unique de mandat (RUM) RUM-C1001-01, signé le 15/09/2025.");
  // An invoice prints neither.
  doc.set_type(v1::DOCUMENT_TYPE_INVOICE);
  EXPECT_THAT(BuildInvoiceView(doc).payment,
              testing::Not(testing::Contains(HasSubstr("ICS"))));
}

// A credit note (docs/credit_notes.md): "Avoir", the invoice it corrects
// and the reason in the fields, no due date, each line naming the invoice
// line it credits, and no late-payment terms.
TEST(InvoiceViewTest, CreditNoteNamesTheInvoiceItCorrects) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  doc.set_type(v1::DOCUMENT_TYPE_CREDIT_NOTE);
  doc.set_number("AV-2026-000001");
  doc.set_correction_id("CORR-000001");
  doc.set_correction_reason("Commande annulée");
  doc.add_corrected_invoice_numbers("FA-2026-000123");
  doc.mutable_lines(0)->mutable_corrects()->set_invoice_number(
      "FA-2026-000123");
  doc.mutable_lines(0)->mutable_corrects()->set_line_index(0);
  const InvoiceView v = BuildInvoiceView(doc);
  EXPECT_EQ(v.title, "Avoir");
  EXPECT_EQ(v.customer_caption, "Client");
  EXPECT_THAT(v.fields,
              testing::Contains(Pair("Facture d'origine n°", "FA-2026-000123")));
  EXPECT_THAT(v.fields, testing::Contains(Pair("Motif", "Commande annulée")));
  EXPECT_THAT(v.fields, Not(testing::Contains(Pair("Échéance", "02/03/2026"))));
  EXPECT_THAT(v.sections[0].rows[0].label,
              HasSubstr("(facture FA-2026-000123, ligne 1)"));
  EXPECT_EQ(v.totals.back().first, "Total TTC de l'avoir");
  ASSERT_EQ(v.payment.size(), 2u);
  EXPECT_THAT(Plain(v.payment[0]), HasSubstr("Avoir de 295,00 €"));
  EXPECT_EQ(v.pdf_title, "Avoir n° AV-2026-000001");
  EXPECT_THAT(Plain(RenderInvoiceHtml(doc)), HasSubstr("Facture d&#39;origine"));
}

TEST(InvoiceViewTest, FieldsNameNumberDatesAndCustomer) {
  const InvoiceView v = BuildInvoiceView(documents_test::SampleInvoice());
  EXPECT_THAT(
      v.fields,
      ElementsAre(Pair("N°", "FA-2026-000123"), Pair("Date", "31/01/2026"),
                  Pair("Période", "du 01/01/2026 au 31/01/2026"),
                  Pair("Échéance", "02/03/2026"), Pair("Client", "C-1001")));
  EXPECT_THAT(v.customer_lines,
              ElementsAre("3 place Bellecour", "69002 Lyon", "SIREN 732829320",
                          "N° TVA FR44732829320"));
}

// A discount prints as a percent in its column, the net after it. (The
// operation's category is the engine's mention, documents/ adds none.)
TEST(InvoiceViewTest, DiscountPrintsAsPercent) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  v1::DocumentLine* l = doc.mutable_lines(0);
  l->set_discount_hundredths(1000);  // 10 %: 100.00 - 10.00 = 90.00
  l->set_discount_minor(1000);
  l->set_net_amount_minor(9000);
  const InvoiceView v = BuildInvoiceView(doc);
  EXPECT_EQ(Plain(v.sections[0].rows[0].discount), "10,00 %");
  EXPECT_EQ(Plain(v.sections[0].rows[0].net), "90,00");
}

// HTML: the same words, outside text escaped.
TEST(InvoiceHtmlTest, HoldsTotalsAndEscapesOutsideText) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  doc.mutable_lines(0)->set_label("<script>alert('x')</script> & co");
  const std::string html = Plain(RenderInvoiceHtml(doc));
  EXPECT_THAT(html, HasSubstr("<html lang=\"fr\">"));
  EXPECT_THAT(html, HasSubstr("295,00 €"));
  EXPECT_THAT(html, HasSubstr("Hôtel Bellevue"));
  EXPECT_THAT(
      html,
      HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
}

// JSON: protobuf's printer, field names as in the .proto; parses back to
// the same document.
TEST(InvoiceJsonTest, RoundTrips) {
  const v1::InvoiceDocument doc = documents_test::SampleInvoice();
  const absl::StatusOr<std::string> json = RenderInvoiceJson(doc);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"gross_amount_minor\": \"29500\""));
  v1::InvoiceDocument back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &back).ok());
  EXPECT_EQ(back.SerializeAsString(), doc.SerializeAsString());
}

// Invalid UTF-8 (set through the C++ API) is refused with the field named:
// protobuf's printer would cut the string at the bad byte ("Soci").
TEST(InvoiceJsonTest, InvalidUtf8IsAnError) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  doc.mutable_invoiced()->set_name("Soci\xE9t\xE9");
  const absl::StatusOr<std::string> json = RenderInvoiceJson(doc);
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(json.status().message(),
            "documents: JSON of invoice FA-2026-000123: invoiced.name is not "
            "valid UTF-8");
  // In a repeated nested message, the index is named.
  doc = documents_test::SampleInvoice();
  doc.mutable_lines(2)->set_label("\xFF");
  EXPECT_THAT(std::string(RenderInvoiceJson(doc).status().message()),
              HasSubstr("lines[2].label is not valid UTF-8"));
}

}  // namespace
}  // namespace billing::documents
