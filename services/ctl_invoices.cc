// billingctl issuer set|show
// billingctl prep validate
// billingctl invoice list|show|render|finish, notice list|show|render
// billingctl credit-note create|correct|list|show|render, balance
//
// Invoices over billing.v1.InvoiceService (docs/invoices.md): the verb
// table, the printers of its answers, and `render`, which writes the PDF,
// HTML or JSON the server made to a file. Amounts through the engine's
// money formatting; no floating point.

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "billing/v1/invoice_service.grpc.pb.h"
#include "engine/core/money.h"
#include "services/ctl_verbs.h"

namespace billing::ctl {
namespace {

std::string Rate(int32_t bp) {
  return absl::StrCat(FormatFixedPoint(bp, 2), " %");
}

std::string TypeName(const v1::InvoiceDocument& d) {
  switch (d.type()) {
    case v1::DOCUMENT_TYPE_PAYMENT_NOTICE:
      return "notice";
    case v1::DOCUMENT_TYPE_CREDIT_NOTE:
      return "credit";
    default:
      return d.correction_id().empty() ? "invoice" : "suppl";
  }
}

std::string DocumentRow(const v1::InvoiceDocument& d) {
  return absl::StrFormat(
      "%s %s %s %s %s..%s %12s %10s %12s %s", Pad(d.number(), 22),
      Pad(TypeName(d), 7),
      d.issue_date(), Pad(d.invoiced().customer_id(), 12), d.period_start(),
      d.period_end(), Amount(d.net_amount_minor(), d.currency()),
      Amount(d.vat_amount_minor(), d.currency()),
      Amount(d.gross_amount_minor(), d.currency()), d.currency());
}

std::string DocumentHeader() {
  return absl::StrFormat("%s %s %s %s %s %12s %10s %12s", Pad("NUMBER", 22),
                         Pad("TYPE", 7), Pad("ISSUED", 10), Pad("CUSTOMER", 12),
                         Pad("PERIOD", 22), "NET", "VAT", "GROSS");
}

std::string DocumentText(const v1::InvoiceDocument& d) {
  const std::string& cur = d.currency();
  std::string out = absl::StrFormat(
      "%s %s  issued %s  due %s  period %s..%s\n",
      d.type() == v1::DOCUMENT_TYPE_PAYMENT_NOTICE ? "Payment notice"
      : d.type() == v1::DOCUMENT_TYPE_CREDIT_NOTE  ? "Credit note"
      : d.correction_id().empty()                  ? "Invoice"
                                                   : "Supplementary invoice",
      d.number(), d.issue_date(), d.due_date(), d.period_start(),
      d.period_end());
  if (!d.correction_id().empty()) {
    absl::StrAppendFormat(&out, "corrects %s (%s): %s\n",
                          absl::StrJoin(d.corrected_invoice_numbers(), ", "),
                          d.correction_id(), d.correction_reason());
  }
  absl::StrAppendFormat(&out, "from  %s %s, SIREN %s, VAT %s\n",
                        d.issuer().legal_name(), d.issuer().legal_form(),
                        d.issuer().siren(), d.issuer().vat_id());
  absl::StrAppendFormat(&out, "to    %s (%s)%s\n", d.invoiced().name(),
                        d.invoiced().customer_id(),
                        d.ledger_party().customer_id().empty()
                            ? ""
                            : absl::StrCat(", ledger ",
                                           d.ledger_party().customer_id()));
  if (!d.billing_family().empty()) {
    absl::StrAppendFormat(&out, "family %s\n", d.billing_family());
  }
  for (const v1::DocumentSection& s : d.sections()) {
    absl::StrAppendFormat(&out, "\n  [%s %s] %s net\n", s.entity_id(),
                          s.entity_name(), Amount(s.net_amount_minor(), cur));
    for (const v1::DocumentLine& l : d.lines()) {
      if (l.entity_id() != s.entity_id()) continue;
      absl::StrAppendFormat(
          &out, "    %s %s %s..%s  %s x %s  -%s  = %s  VAT %s%s\n",
          l.article_code(), l.label(), l.period_start(), l.period_end(),
          FormatFixedPoint(l.quantity_milli(), 3),
          FormatFixedPoint(l.unit_price_micros(), 6),
          Amount(l.discount_minor(), cur), Amount(l.net_amount_minor(), cur),
          Rate(l.vat_rate_bp()), l.own_period() ? "  (late usage)" : "");
      if (!l.explanation().empty()) {
        absl::StrAppend(&out, "      ", l.explanation(), "\n");
      }
    }
  }
  out += "\n";
  for (const v1::VatSummary& v : d.vat()) {
    absl::StrAppendFormat(&out, "  VAT %s on %s: %s\n", Rate(v.vat_rate_bp()),
                          Amount(v.net_amount_minor(), cur),
                          Amount(v.vat_amount_minor(), cur));
  }
  absl::StrAppendFormat(&out, "  net %s  VAT %s  gross %s %s\n",
                        Amount(d.net_amount_minor(), cur),
                        Amount(d.vat_amount_minor(), cur),
                        Amount(d.gross_amount_minor(), cur), cur);
  for (const std::string& m : d.mentions()) absl::StrAppend(&out, "  ", m, "\n");
  for (const std::string& n : d.issue_notes()) {
    absl::StrAppend(&out, "  note: ", n, "\n");
  }
  return out;
}

void PrintDocument(const v1::InvoiceDocument& d) { std::cout << DocumentText(d); }

void PrintIssuer(const v1::Issuer& i) {
  std::cout << absl::StrFormat(
      "%s %s, capital %s %s, SIREN %s, SIRET %s, RCS %s, VAT %s\n"
      "IBAN %s BIC %s; payment %d days, penalty %s a year\n",
      i.legal_name(), i.legal_form(),
      FormatFixedPoint(i.share_capital_minor(), 2), i.capital_currency(),
      i.siren(), i.siret(), i.rcs_city(), i.vat_id(), i.bank().iban(),
      i.bank().bic(), i.terms().payment_delay_days(),
      Rate(i.terms().late_penalty_rate_bp()));
  if (!i.sepa_creditor_id().empty()) {
    std::cout << "SEPA creditor id " << i.sepa_creditor_id() << "\n";
  }
  for (const v1::NumberingRule& r : i.numbering()) {
    std::cout << absl::StrFormat("numbering %s %s: %s (%d digits)\n",
                                 CliName(r.document_type()),
                                 r.delivery_mode() == 0
                                     ? "any-mode"
                                     : CliName(r.delivery_mode()),
                                 r.template_(), r.seq_digits());
  }
  std::cout << "version " << i.version() << "\n";
}

void PrintValidation(const v1::ValidateResult& r) {
  std::cout << absl::StrFormat("%d preparation(s) validated, %d document(s) "
                               "issued, %d draft(s) pending\n",
                               r.preparations(), r.documents_size(),
                               r.drafts_pending());
  if (r.documents_size() > 0) std::cout << DocumentHeader() << "\n";
  for (const auto& d : r.documents()) std::cout << DocumentRow(d) << "\n";
  for (const auto& e : r.errors()) std::cout << "refused: " << e << "\n";
}

void PrintCorrection(const v1::ValidateResult& r) {
  std::cout << absl::StrFormat("%d document(s) issued, %d draft(s) pending\n",
                               r.documents_size(), r.drafts_pending());
  if (r.documents_size() > 0) std::cout << DocumentHeader() << "\n";
  for (const auto& d : r.documents()) std::cout << DocumentRow(d) << "\n";
}

void PrintBalance(const v1::CustomerBalance& b) {
  std::cout << absl::StrFormat(
      "customer %s%s%s\n", b.customer_id(),
      b.as_of_date().empty() ? "" : absl::StrCat("  as of ", b.as_of_date()),
      b.has_log_offset() ? absl::StrCat("  log offset ", b.log_offset()) : "");
  std::cout << absl::StrFormat("%-8s %8s %12s %8s %12s %12s %12s\n",
                               "CURRENCY", "INVOICES", "INVOICED", "CREDITS",
                               "CREDITED", "BALANCE", "NET");
  for (const v1::CurrencyBalance& c : b.currencies()) {
    const std::string& cur = c.currency();
    std::cout << absl::StrFormat(
        "%-8s %8d %12s %8d %12s %12s %12s\n", cur, c.invoices(),
        Amount(c.invoiced_gross_minor(), cur), c.credit_notes(),
        Amount(c.credited_gross_minor(), cur),
        Amount(c.balance_gross_minor(), cur),
        Amount(c.balance_net_minor(), cur));
  }
}

void PrintPage(const Answer& a) {
  const auto& page = static_cast<const v1::ListDocumentsResponse&>(a.response);
  if (a.first_page) std::cout << DocumentHeader() << "\n";
  for (const auto& d : page.documents()) std::cout << DocumentRow(d) << "\n";
  if (!a.all_pages && !page.next_page_token().empty()) {
    std::cout << "next page: --page-token " << page.next_page_token() << "\n";
  }
}

std::vector<Flag> SelectionFlags() {
  std::vector<Flag> flags = {
      Opt("--ids", "preparation_ids", "ID,ID... (else the filters below)")
          .Mode(kCommaList),
      Opt("--period-start", "selection.period_start", "Overlapping from"),
      Opt("--period-end", "selection.period_end", "Overlapping to"),
      Opt("--site", "selection.site_code", "A site code or a mask"),
      Opt("--statuses", "selection.statuses", "").Mode(kCommaList)};
  for (const auto& [flag, field] :
       std::vector<std::pair<std::string, std::string>>{
           {"customer", "customers"},
           {"contract", "contract_refs"},
           {"billing-family", "billing_families"},
           {"contract-family", "contract_families"}}) {
    flags.push_back(Opt("--" + flag + "-from", "selection." + field + ".from",
                        "From this code or mask, included"));
    flags.push_back(Opt("--" + flag + "-to", "selection." + field + ".to",
                        "To this code or mask, included"));
  }
  return flags;
}

std::vector<Flag> ListFlags(const std::string& type) {
  std::vector<Flag> flags = {
      Opt("--customer", "customer_id", "One customer's documents"),
      Opt("--period-start", "period_start", "Overlapping from YYYY-MM-DD"),
      Opt("--period-end", "period_end", "Overlapping to YYYY-MM-DD"),
      Opt("--series", "series", "One series, e.g. FA-2026-[INVOICE.SEQ]"),
      Opt("--page-size", "page_size", "1..1000 (default 100)"),
      Opt("--page-token", "page_token", "From a previous page")};
  if (!type.empty()) flags.push_back(Const("type", type));
  return flags;
}

// docs/credit_notes.md.
std::vector<Verb> CreditNoteVerbs() {
  return {
      {{"credit-note", "create"},
       "Cancel an issued invoice: a credit note of every line",
       "InvoiceService.CancelInvoice",
       "",
       {Req("--invoice", "invoice_number", "The invoice's number"),
        Req("--reason", "reason", "Printed on the credit note")},
       Prints(&PrintCorrection),
       kCommand},
      {{"credit-note", "correct"},
       "Recompute a customer's invoices and issue the differences (credit "
       "notes, supplementary invoices)",
       "InvoiceService.CorrectInvoices",
       "",
       {Req("--customer", "customer_id", "The customer"),
        Opt("--invoices", "invoice_numbers", "NUMBER,NUMBER... (else all)")
            .Mode(kCommaList),
        Req("--reason", "reason", "Printed on the documents")},
       Prints(&PrintCorrection),
       kCommand},
      {{"balance"},
       "A customer's invoices minus credit notes, per currency",
       "InvoiceService.GetBalance",
       "",
       {Req("--customer", "customer_id", "The customer"),
        Opt("--as-of", "as_of_date", "YYYY-MM-DD: documents issued by then"),
        Opt("--log-offset", "log_offset",
            "Offset in the customer's partition: documents issued by that "
            "record (-1: before anything)")},
       Prints(&PrintBalance)},
  };
}

std::vector<Verb> InvoiceVerbs() {
  std::vector<Verb> verbs = {
      {{"issuer", "set"},
       "Set the issuing company (legal mentions, terms, numbering) from JSON",
       "InvoiceService.SetIssuer",
       "",
       {Req("--file", "issuer", "JSON of billing.v1.Issuer").Mode(kJsonFile)},
       Prints(&PrintIssuer),
       kCommand},
      {{"issuer", "show"},
       "The issuing company",
       "InvoiceService.GetIssuer",
       "",
       {},
       Prints(&PrintIssuer)},
      {{"prep", "validate"},
       "Validate preparations into numbered invoices or notices",
       "InvoiceService.ValidatePreparations",
       "",
       SelectionFlags(),
       Prints(&PrintValidation),
       kCommand},
      {{"notice", "validate"},
       "Validate issued payment notices into invoices",
       "InvoiceService.ValidateNotices",
       "",
       {Req("--customer", "customer_id", "The notices' customer"),
        Req("--numbers", "notice_numbers", "NUMBER,NUMBER...")
            .Mode(kCommaList)},
       Prints(&PrintValidation),
       kCommand},
      {{"invoice", "finish"},
       "Number and issue every draft a crash left pending",
       "InvoiceService.FinishPending",
       "",
       {},
       Prints(&PrintValidation)},
  };
  for (Verb& v : CreditNoteVerbs()) verbs.push_back(std::move(v));
  for (const auto& [noun, type] :
       std::vector<std::pair<std::string, std::string>>{
           {"invoice", ""},
           {"notice", "payment-notice"},
           {"credit-note", "credit-note"}}) {
    verbs.push_back({{noun, "list"},
                     "Issued documents, one line each",
                     "InvoiceService.ListDocuments",
                     "",
                     ListFlags(type),
                     PrintPage,
                     kPaged});
    verbs.push_back({{noun, "show"},
                     "One document: parties, sections, lines, VAT, totals",
                     "InvoiceService.GetDocument",
                     "",
                     {Req("number", "number", "Document number")},
                     Prints(&PrintDocument)});
  }
  return verbs;
}

struct RenderFlags {
  std::string number, pdf, html, json;
};

ExitCode Render(const Global& g, const RenderFlags& f) {
  const int chosen = !f.pdf.empty() + !f.html.empty() + !f.json.empty();
  if (chosen != 1) {
    return UsageFail(absl::InvalidArgumentError(
        "render: give exactly one of --pdf FILE, --html FILE, --json FILE"));
  }
  v1::RenderDocumentRequest request;
  request.set_number(f.number);
  request.set_format(!f.pdf.empty()    ? v1::RENDER_FORMAT_PDF
                     : !f.html.empty() ? v1::RENDER_FORMAT_HTML
                                       : v1::RENDER_FORMAT_JSON);
  const std::string& path = !f.pdf.empty() ? f.pdf : !f.html.empty() ? f.html : f.json;
  v1::RenderedDocument rendered;
  auto stub = v1::InvoiceService::NewStub(g.Channel());
  grpc::Status s = stub->RenderDocument(g.Context().get(), request, &rendered);
  if (!s.ok()) return Fail(s);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << rendered.content();
  out.close();
  if (!out) {
    std::cerr << "error: cannot write " << path << "\n";
    return 1;
  }
  std::cout << absl::StrFormat("%s: %d bytes of %s written to %s\n",
                               rendered.number(), rendered.content().size(),
                               rendered.content_type(), path);
  return 0;
}

void RegisterRender(CLI::App& app, const Global& g, ExitCode* exit_code,
                    const std::string& noun) {
  auto f = std::make_shared<RenderFlags>();
  CLI::App* cmd = NounAt(app, {noun}, "")->add_subcommand(
      "render", "Write a document as PDF, HTML or JSON to a file");
  cmd->add_option("number", f->number, "Document number")->required();
  cmd->add_option("--pdf", f->pdf, "PDF file to write");
  cmd->add_option("--html", f->html, "HTML file to write");
  cmd->add_option("--json", f->json, "JSON file to write");
  cmd->callback([&g, exit_code, f] { *exit_code = Render(g, *f); });
}

}  // namespace

void RegisterInvoiceCommands(CLI::App& app, const Global& g,
                             ExitCode* exit_code) {
  RegisterVerbs(app, g, exit_code, *v1::ValidateRequest::descriptor()->file(),
                {{{"issuer"}, "The issuing company (établissement)"},
                 {{"invoice"}, "Issued invoices"},
                 {{"notice"}, "Issued payment notices"},
                 {{"credit-note"}, "Credit notes (avoirs) and corrections"}},
                InvoiceVerbs());
  RegisterRender(app, g, exit_code, "invoice");
  RegisterRender(app, g, exit_code, "notice");
  RegisterRender(app, g, exit_code, "credit-note");
}

}  // namespace billing::ctl
