// The invoice PDF read back as a customer's tools read it: pdftotext
// (poppler-utils) for the words, pdftoppm for a page image. Each test renders
// a document built by hand (tests/unit/documents/sample_invoice.h) into a
// fresh temp folder. DOCUMENTS_TEST_OUT=<dir> keeps the files there.

#include "documents/invoice_pdf.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/documents/sample_invoice.h"

namespace billing::documents {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class InvoicePdfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* keep = std::getenv("DOCUMENTS_TEST_OUT");
    if (keep != nullptr && *keep != '\0') {
      dir_ = keep;
      ::mkdir(dir_.c_str(), 0755);
      return;
    }
    std::string tmpl = ::testing::TempDir() + "/invoice_pdf_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }

  std::string Path(const std::string& name) const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return absl::StrCat(dir_, "/", info->name(), "_", name);
  }

  // Renders `doc` to a file and returns pdftotext -layout's text, no-break
  // spaces made plain so the expectations read as printed.
  std::string RenderText(const v1::InvoiceDocument& doc) {
    const std::string pdf = Path("invoice.pdf");
    const absl::Status s = RenderInvoicePdf(doc, pdf);
    EXPECT_TRUE(s.ok()) << s;
    const std::string txt = Path("invoice.txt");
    EXPECT_EQ(Run(absl::StrCat("pdftotext -layout '", pdf, "' '", txt, "'")), 0);
    std::ifstream in(txt);
    std::stringstream text;
    text << in.rdbuf();
    return absl::StrReplaceAll(text.str(), {{"\xC2\xA0", " "}});
  }

  static int Run(const std::string& command) {
    return std::system(command.c_str());
  }

  std::string dir_;
};

// The three hand-checked lines: totals, VAT per rate, every legal mention
// of a French B2B invoice, accented names, one page.
TEST_F(InvoicePdfTest, SampleInvoiceHoldsTotalsAndLegalMentions) {
  const std::string text = RenderText(documents_test::SampleInvoice());
  for (const char* expected : {
           "Facture", "FA-2026-000123", "31/01/2026", "02/03/2026",
           "du 01/01/2026 au 31/01/2026",
           // Issuer: name, form, capital, address, SIREN, RCS, SIRET, VAT.
           "Télécom Rhône Services SAS au capital de 150 000 €",
           "12 rue de la République", "69002 Lyon", "SIREN 552100554 RCS Lyon",
           "SIRET 55210055400013", "FR40552100554",
           // Customer, its SIREN and VAT id; the ledger party; the service
           // address of the second section.
           "Hôtel Bellevue", "3 place Bellecour", "SIREN 732829320",
           "FR44732829320", "Société Générale", "8 quai Saint-Antoine",
           // Lines, subtotals, VAT per rate, totals.
           "Abonnement Pro 20 postes", "Maintenance préventive", "100,00",
           "Sous-total Réception (E1)", "200,00", "Sous-total Spa (E2)", "50,00",
           "20,00 %", "40,00 €", "10,00 %", "5,00 €", "250,00 €", "45,00 €",
           "295,00 €",
           // Payment: bank details, penalties, indemnity, discount.
           "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPP882",
           "12,00 %", "40,00 €", "Pas d'escompte pour paiement anticipé",
           "TVA acquittée sur les débits.", "Page 1/1"}) {
    EXPECT_THAT(text, HasSubstr(expected));
  }
  EXPECT_THAT(text, Not(HasSubstr("Page 1/2")));
}

// A payment notice is titled as one, and says when the amount is taken.
TEST_F(InvoicePdfTest, PaymentNoticeTitle) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  doc.set_type(v1::DOCUMENT_TYPE_PAYMENT_NOTICE);
  doc.set_number("AP-2026-000007");
  const std::string text = RenderText(doc);
  EXPECT_THAT(text, HasSubstr("Avis de prélèvement"));
  EXPECT_THAT(text, HasSubstr("295,00 € sera prélevé sur votre compte le 02/03/2026"));
  EXPECT_THAT(text, Not(HasSubstr("Facture")));
}

// 120 lines flow over several pages: every label printed, "Page i/n" on
// each, the continuation heading and table header repeated.
TEST_F(InvoicePdfTest, ManyLinesFlowOverPages) {
  const std::string text = RenderText(documents_test::ManyLinesInvoice(120));
  for (int i = 1; i <= 120; ++i) {
    EXPECT_THAT(text, HasSubstr(absl::StrFormat("Ligne n° %03d forfait café", i)));
  }
  int pages = 0;
  while (text.find(absl::StrCat("Page ", pages + 1, "/")) != std::string::npos) {
    ++pages;
  }
  ASSERT_GE(pages, 3);
  for (int p = 1; p <= pages; ++p) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("Page ", p, "/", pages)));
  }
  EXPECT_THAT(text, HasSubstr("FA-2026-000123 du 31/01/2026 · Hôtel Bellevue (suite)"));
  size_t headers = 0;
  for (size_t at = text.find("Désignation"); at != std::string::npos;
       at = text.find("Désignation", at + 1)) {
    ++headers;
  }
  EXPECT_GE(headers, static_cast<size_t>(pages - 1));
  // 120 x 10.00 = 1 200.00 net, 240.00 VAT, 1 440.00 gross.
  EXPECT_THAT(text, HasSubstr("1 440,00 €"));
}

// Itemized calls go to an annex, with the masked numbers and durations.
TEST_F(InvoicePdfTest, ItemizedCallsAnnex) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  for (int i = 0; i < 60; ++i) {
    v1::ItemizedCall* c = doc.add_itemized_calls();
    c->set_object_id("0472000001");
    c->set_start_time(absl::StrFormat("2026-01-%02dT10:15:30+01:00", i % 28 + 1));
    c->set_destination_masked(absl::StrFormat("06123%01dXXXX", i % 10));
    c->set_kind(i % 3 == 0 ? v1::USAGE_KIND_SMS : v1::USAGE_KIND_VOICE);
    c->set_quantity(i % 3 == 0 ? 1 : 75);
    c->set_amount_micros(12500);
  }
  const std::string text = RenderText(doc);
  EXPECT_THAT(text, HasSubstr("Annexe : détail des communications"));
  EXPECT_THAT(text, HasSubstr("05/01/2026 10:15:30"));
  EXPECT_THAT(text, HasSubstr("061234XXXX"));
  EXPECT_THAT(text, HasSubstr("1 min 15 s"));
  EXPECT_THAT(text, HasSubstr("0,0125"));
  EXPECT_THAT(text, HasSubstr("Page 3/3"));
}

// Hostile strings set through the C++ API (protobuf does not check UTF-8
// there): a 20,000-character label, control characters, right-to-left
// text, a bidi override, invalid UTF-8 bytes, a NUL. Rendered, readable,
// invalid bytes replaced by U+FFFD.
TEST_F(InvoicePdfTest, HostileStringsRenderReadably) {
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  doc.mutable_lines(0)->set_label(std::string(20000, 'W'));
  doc.mutable_lines(1)->set_label("Bip\x07\x01\tretour\r\nligne");
  doc.mutable_lines(2)->set_label("שלום עולם مرحبا Maintenance");
  doc.mutable_invoiced()->set_name("Soci\xE9t\xE9 \xFF\xFEG\xC3n\xE9rale");
  const char kNul[] = "Nul\0Octet \xE2\x80\xAEtxet";
  doc.mutable_issuer()->set_legal_name(std::string(kNul, sizeof(kNul) - 1));
  doc.mutable_sections(0)->set_entity_name(std::string(3000, 'x') + " fin");
  doc.add_mentions(std::string(50000, 'm'));
  const std::string text = RenderText(doc);
  EXPECT_THAT(text, HasSubstr("Bip retour ligne"));
  EXPECT_THAT(text, HasSubstr("Soci\xEF\xBF\xBDt\xEF\xBF\xBD"));  // Soci�t�
  EXPECT_THAT(text, HasSubstr("Nul Octet txet"));  // the override dropped
  EXPECT_THAT(text, HasSubstr("Maintenance"));
  // The long label cut (six lines end in "…"), not the page; the PDF keeps
  // no hidden rest of it.
  EXPECT_THAT(text, HasSubstr("WWWWWWWWWW"));
  const size_t ws = std::count(text.begin(), text.end(), 'W');
  EXPECT_LT(ws, 4000u);
  EXPECT_THAT(text, HasSubstr("295,00 €"));
}

// A default (empty) document and extreme amounts do not crash.
TEST_F(InvoicePdfTest, EmptyAndExtremeDocumentsRender) {
  EXPECT_TRUE(RenderInvoicePdfBytes(v1::InvoiceDocument()).ok());
  v1::InvoiceDocument doc = documents_test::SampleInvoice();
  doc.set_gross_amount_minor(INT64_MIN);
  doc.mutable_lines(0)->set_net_amount_minor(INT64_MAX);
  doc.mutable_lines(0)->set_quantity_milli(INT64_MIN);
  doc.mutable_vat(0)->set_vat_rate_bp(INT32_MIN);
  const std::string text = RenderText(doc);
  EXPECT_THAT(text, HasSubstr("-92 233 720 368 547 758,08 €"));
}

// Same document, same bytes (the creation date is the issue date).
TEST_F(InvoicePdfTest, OutputIsDeterministic) {
  const auto a = RenderInvoicePdfBytes(documents_test::SampleInvoice());
  const auto b = RenderInvoicePdfBytes(documents_test::SampleInvoice());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->rfind("%PDF-", 0), 0u);
}

// A path that cannot be written is named in the error.
TEST_F(InvoicePdfTest, UnwritablePathIsNamed) {
  const absl::Status s =
      RenderInvoicePdf(documents_test::SampleInvoice(), "/nonexistent/dir/x.pdf");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("/nonexistent/dir/x.pdf"));
}

// The first page rasterizes (pdftoppm -r 60), the image a person looks at.
TEST_F(InvoicePdfTest, FirstPageRasterizes) {
  const std::string pdf = Path("invoice.pdf");
  ASSERT_TRUE(RenderInvoicePdf(documents_test::SampleInvoice(), pdf).ok());
  ASSERT_EQ(Run(absl::StrCat("pdftoppm -png -r 60 -f 1 -l 1 '", pdf, "' '",
                             Path("page"), "'")),
            0);
  struct stat st;
  ASSERT_EQ(::stat((Path("page") + "-1.png").c_str(), &st), 0);
  EXPECT_GT(st.st_size, 1000);
}

}  // namespace
}  // namespace billing::documents
