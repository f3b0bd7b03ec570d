#include "documents/invoice_html.h"

#include <google/protobuf/util/json_util.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "documents/invoice_view.h"

namespace billing::documents {
namespace {

// Text and attribute values both: the five characters HTML gives meaning.
std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

constexpr char kStyle[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:13px;"
    "max-width:820px;margin:24px auto;color:#111}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{padding:3px 5px;border-bottom:1px solid #ccc;vertical-align:top}"
    "th{background:#e6e6e6;text-align:left}"
    ".n{text-align:right;white-space:nowrap}"
    ".band td{background:#f2f2f2;font-weight:bold}"
    ".head{display:flex;justify-content:space-between;gap:24px}"
    ".party{border:1px solid #888;padding:8px;margin:12px 0 12px auto;"
    "width:45%}.small{color:#555;font-size:11px}"
    ".totals{width:45%;margin-left:auto}.totals tr:last-child td"
    "{font-weight:bold;background:#e6e6e6}";

std::string Row(const std::vector<std::string>& cells,
                const std::vector<bool>& numeric, const char* tag = "td") {
  std::string out = "<tr>";
  for (size_t i = 0; i < cells.size(); ++i) {
    const bool n = i < numeric.size() && numeric[i];
    absl::StrAppend(&out, "<", tag, n ? " class=\"n\">" : ">",
                    Escape(cells[i]), "</", tag, ">");
  }
  return out + "</tr>\n";
}

std::string Lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) absl::StrAppend(&out, Escape(l), "<br>");
  return out;
}

std::string Heading(const InvoiceView& v) {
  std::string out = "<div class=\"head\"><div><strong>" +
                    Escape(v.issuer_name) + "</strong><br>" +
                    Lines(v.issuer_lines) + "</div><div><h1>" +
                    Escape(v.title) + "</h1><table>";
  for (const auto& [label, value] : v.fields) {
    absl::StrAppend(&out, "<tr><td class=\"small\">", Escape(label),
                    "</td><td><strong>", Escape(value), "</strong></td></tr>");
  }
  absl::StrAppend(&out, "</table></div></div>\n<div class=\"party\">",
                  "<span class=\"small\">", Escape(v.customer_caption),
                  "</span><br><strong>", Escape(v.customer_name),
                  "</strong><br>", Lines(v.customer_lines), "</div>\n");
  if (!v.ledger_note.empty()) {
    absl::StrAppend(&out, "<p>", Escape(v.ledger_note), "</p>\n");
  }
  return out;
}

std::string LinesTable(const InvoiceView& v) {
  const std::vector<bool> num = {false, false, false, true,
                                 true,  true,  true,  true};
  std::string out = "<p class=\"small n\">" + Escape(v.currency_caption) +
                    "</p><table>\n" +
                    Row({"Article", "Désignation", "Période", "Qté", "P.U. HT",
                         "Remise", "Montant HT", "TVA"},
                        num, "th");
  for (const SectionView& s : v.sections) {
    if (!s.heading.empty()) {
      absl::StrAppend(&out, "<tr class=\"band\"><td colspan=\"8\">",
                      Escape(s.heading), "<br><span class=\"small\">",
                      Escape(s.service_address), "</span></td></tr>\n");
    }
    for (const LineRow& r : s.rows) {
      out += Row({r.article, r.label, r.period, r.quantity, r.unit_price,
                  r.discount, r.net, r.vat_rate},
                 num);
    }
    if (!s.subtotal_label.empty()) {
      absl::StrAppend(&out, "<tr><td colspan=\"6\" class=\"n\"><strong>",
                      Escape(s.subtotal_label), "</strong></td><td class=\"n\">",
                      "<strong>", Escape(s.subtotal), "</strong></td><td></td></tr>\n");
    }
  }
  return out + "</table>\n";
}

std::string Totals(const InvoiceView& v) {
  std::string out = "<table style=\"width:50%;margin-top:12px\">" +
                    Row({"Taux de TVA", "Base HT", "Montant TVA"},
                        {false, true, true}, "th");
  for (const VatRow& r : v.vat) {
    out += Row({r.rate, r.base, r.vat}, {false, true, true});
  }
  out += "</table>\n<table class=\"totals\">";
  for (const auto& [label, value] : v.totals) {
    out += Row({label, value}, {false, true});
  }
  return out + "</table>\n";
}

std::string Paragraphs(const std::string& caption,
                       const std::vector<std::string>& paragraphs) {
  if (paragraphs.empty()) return "";
  std::string out = "<h3>" + Escape(caption) + "</h3>\n";
  for (const std::string& p : paragraphs) {
    absl::StrAppend(&out, "<p>", Escape(p), "</p>\n");
  }
  return out;
}

std::string Annex(const InvoiceView& v) {
  if (v.calls.empty()) return "";
  const std::vector<bool> num = {false, false, false, false, true, true};
  std::string out =
      "<h2>Annexe : détail des communications</h2>\n<table>" +
      Row({"Ligne", "Date et heure", "Destination", "Type", "Durée / volume",
           "Montant HT"},
          num, "th");
  for (const CallRow& r : v.calls) {
    out += Row({r.object, r.when, r.destination, r.kind, r.quantity, r.amount},
               num);
  }
  return out + "</table>\n";
}

}  // namespace

std::string RenderInvoiceHtml(const v1::InvoiceDocument& doc) {
  const InvoiceView v = BuildInvoiceView(doc);
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
      "<title>",
      Escape(v.pdf_title), "</title><style>", kStyle, "</style></head><body>\n",
      Heading(v), LinesTable(v), Totals(v),
      Paragraphs("Conditions de paiement", v.payment),
      Paragraphs("Mentions", v.mentions), Annex(v),
      "<footer class=\"small\"><hr>", Escape(v.legal_footer),
      "</footer>\n</body></html>\n");
}

absl::StatusOr<std::string> RenderInvoiceJson(const v1::InvoiceDocument& doc) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string out;
  const auto status =
      google::protobuf::util::MessageToJsonString(doc, &out, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "documents: JSON of invoice ", doc.number(), ": ",
        std::string(status.message())));
  }
  return out;
}

}  // namespace billing::documents
