#include "documents/invoice_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "documents/french_format.h"
#include "documents/internal/pdf_canvas.h"
#include "documents/invoice_view.h"

namespace billing::documents {
namespace {

using documents_internal::Align;
using documents_internal::Canvas;
using documents_internal::kContentWidth;
using documents_internal::kFooterHeight;
using documents_internal::kMargin;
using documents_internal::kPageHeight;
using documents_internal::kPageWidth;
using documents_internal::LineOp;
using documents_internal::PageFlow;
using documents_internal::RectOp;
using documents_internal::Style;
using documents_internal::Text;

constexpr Style kBody{8.5};
constexpr Style kBodyBold{8.5, true};
constexpr Style kCell{7.5};
constexpr Style kCellBold{7.5, true};
constexpr Style kCaption{7, false, 0.35};
constexpr Style kFoot{6.5, false, 0.3};
constexpr double kCellPadX = 3;
constexpr double kCellPadY = 2.5;
constexpr double kRuleGray = 0.8;
constexpr double kHeaderFill = 0.9;
constexpr double kBandFill = 0.95;
// Labels may wrap, but a hostile 10,000-character label must not fill
// pages: past this many lines it ends in "…".
constexpr int kLabelLinesMax = 6;

struct Column {
  const char* header;
  double width;
  Align align;
  int max_lines;
};

// The lines table (515 points): numbers right-aligned, the label the widest.
const std::vector<Column>& LineColumns() {
  static const std::vector<Column> kColumns = {
      {"Article", 50, Align::kLeft, 2},
      {"Désignation", 142, Align::kLeft, kLabelLinesMax},
      // "01/01/2026 – 31/01/2026" on one line at 7.5 points.
      {"Période", 104, Align::kLeft, 2},
      {"Qté", 30, Align::kRight, 1},
      {"P.U. HT", 50, Align::kRight, 1},
      {"Remise", 36, Align::kRight, 1},
      {"Montant HT", 62, Align::kRight, 1},
      {"TVA", 41, Align::kRight, 1},
  };
  return kColumns;
}

const std::vector<Column>& CallColumns() {
  static const std::vector<Column> kColumns = {
      {"Ligne", 95, Align::kLeft, 2},
      {"Date et heure", 95, Align::kLeft, 1},
      {"Destination", 110, Align::kLeft, 2},
      {"Type", 55, Align::kLeft, 1},
      {"Durée / volume", 80, Align::kRight, 1},
      {"Montant HT", 80, Align::kRight, 1},
  };
  return kColumns;
}

std::vector<std::string> Headers(const std::vector<Column>& columns) {
  std::vector<std::string> out;
  for (const Column& c : columns) out.push_back(c.header);
  return out;
}

// The height of a row of cells, each set in its column less the padding.
double RowHeight(Canvas& canvas, const std::vector<Column>& columns,
                 const std::vector<std::string>& cells, Style style) {
  double h = 0;
  for (size_t i = 0; i < columns.size() && i < cells.size(); ++i) {
    const Text t{cells[i], style, columns[i].align, columns[i].max_lines};
    h = std::max(h, canvas.Height(t, columns[i].width - 2 * kCellPadX));
  }
  return std::max(h, style.size * 1.2) + 2 * kCellPadY;
}

double TableWidth(const std::vector<Column>& columns) {
  double w = 0;
  for (const Column& c : columns) w += c.width;
  return w;
}

// Draws a row `h` high at (x0, y), ruled below; asks for no room (the caller
// did).
void PlaceRow(PageFlow& flow, double x0, double y,
              const std::vector<Column>& columns,
              const std::vector<std::string>& cells, Style style, double h,
              double fill_gray) {
  const double width = TableWidth(columns);
  if (fill_gray >= 0) flow.AddRect({x0, y, width, h, fill_gray, -1});
  double x = x0;
  for (size_t i = 0; i < columns.size() && i < cells.size(); ++i) {
    flow.AddText({cells[i], style, columns[i].align, columns[i].max_lines},
                 x + kCellPadX, y + kCellPadY, columns[i].width - 2 * kCellPadX);
    x += columns[i].width;
  }
  flow.AddLine({x0, y + h, x0 + width, y + h, kRuleGray, 0.4});
}

void TableRow(PageFlow& flow, const std::vector<Column>& columns,
              const std::vector<std::string>& cells, Style style,
              double fill_gray = -1) {
  const double h = RowHeight(flow.canvas(), columns, cells, style);
  flow.Reserve(h);
  PlaceRow(flow, kMargin, flow.y(), columns, cells, style, h, fill_gray);
  flow.Advance(h);
}

// The header row, drawn where the flow is (the page top callback calls it
// too, so it asks for no room).
void TableHeader(PageFlow& flow, const std::vector<Column>& columns) {
  const std::vector<std::string> cells = Headers(columns);
  const double h = RowHeight(flow.canvas(), columns, cells, kCellBold);
  PlaceRow(flow, kMargin, flow.y(), columns, cells, kCellBold, h, kHeaderFill);
  flow.Advance(h);
}

// A block of text across the content width, moved to the next page whole
// when it does not fit.
void Paragraph(PageFlow& flow, Text text, double gap_after) {
  text.max_lines = text.max_lines > 0 ? text.max_lines : 20;
  const double h = flow.canvas().Height(text, kContentWidth);
  flow.Reserve(h);
  flow.AddText(std::move(text), kMargin, flow.y(), kContentWidth);
  flow.Advance(h + gap_after);
}

// Lines of text stacked in a box; returns the y below them.
double Stack(PageFlow& flow, const std::vector<Text>& texts, double x,
             double y, double width, double gap) {
  for (const Text& t : texts) {
    if (t.text.empty()) continue;
    const double h = flow.canvas().Height(t, width);
    flow.AddText(t, x, y, width);
    y += h + gap;
  }
  return y;
}

double IssuerBlock(PageFlow& flow, const InvoiceView& v) {
  std::vector<Text> texts = {{v.issuer_name, {12, true}, Align::kLeft, 2}};
  for (const std::string& l : v.issuer_lines) {
    texts.push_back({l, kBody, Align::kLeft, 2});
  }
  return Stack(flow, texts, kMargin, kMargin, 260, 1.5);
}

double FieldsBlock(PageFlow& flow, const InvoiceView& v, double x,
                   double width) {
  double y = Stack(flow, {{v.title, {18, true}, Align::kLeft, 1}}, x, kMargin,
                   width, 6);
  constexpr double kLabelWidth = 62;
  for (const auto& [label, value] : v.fields) {
    const Text l{label, kCaption, Align::kLeft, 1};
    const Text t{value, kBodyBold, Align::kLeft, 2};
    flow.AddText(l, x, y + 1, kLabelWidth);
    const double h = flow.canvas().Height(t, width - kLabelWidth);
    flow.AddText(t, x + kLabelWidth, y, width - kLabelWidth);
    y += h + 2;
  }
  return y;
}

double CustomerBox(PageFlow& flow, const InvoiceView& v, double x, double y,
                   double width) {
  constexpr double kPad = 8;
  std::vector<Text> texts = {{v.customer_caption, kCaption, Align::kLeft, 1},
                             {v.customer_name, {10, true}, Align::kLeft, 2}};
  for (const std::string& l : v.customer_lines) {
    texts.push_back({l, kBody, Align::kLeft, 2});
  }
  const double bottom =
      Stack(flow, texts, x + kPad, y + kPad, width - 2 * kPad, 2) + kPad - 2;
  flow.AddRect({x, y, width, bottom - y, -1, 0.55});
  return bottom;
}

// The first page's top: issuer left, title and numbers right, the invoiced
// party's box under them.
void FirstPageHeading(PageFlow& flow, const InvoiceView& v) {
  constexpr double kRightX = kMargin + 280;
  constexpr double kRightWidth = kContentWidth - 280;
  const double left = IssuerBlock(flow, v);
  const double right = FieldsBlock(flow, v, kRightX, kRightWidth);
  const double box_y = std::max(left, right) + 12;
  const double box_bottom =
      CustomerBox(flow, v, kRightX - 20, box_y, kRightWidth + 20);
  double note_bottom = box_y;
  if (!v.ledger_note.empty()) {
    note_bottom = Stack(flow, {{v.ledger_note, kBody, Align::kLeft, 3}},
                        kMargin, box_y + 8, 260, 0);
  }
  flow.Advance(std::max(box_bottom, note_bottom) + 16 - flow.y());
  flow.MarkUsed();
}

void ContinuationHeading(PageFlow& flow, const InvoiceView& v) {
  const Text name{v.issuer_name, kBodyBold, Align::kLeft, 1};
  const Text ref{v.continuation + " (suite)", kBody, Align::kRight, 1};
  flow.AddText(name, kMargin, flow.y(), 200);
  flow.AddText(ref, kMargin + 200, flow.y(), kContentWidth - 200);
  flow.Advance(flow.canvas().Height(ref, kContentWidth - 200) + 4);
  flow.AddLine({kMargin, flow.y(), kMargin + kContentWidth, flow.y(), 0.5, 0.6});
  flow.Advance(10);
}

void SectionRows(PageFlow& flow, const SectionView& s) {
  const auto& cols = LineColumns();
  if (!s.heading.empty()) {
    Text heading{s.heading, kCellBold, Align::kLeft, 2};
    Text address{s.service_address, kCaption, Align::kLeft, 2};
    const double w = kContentWidth - 2 * kCellPadX;
    double h = flow.canvas().Height(heading, w) + 2 * kCellPadY;
    if (!address.text.empty()) h += flow.canvas().Height(address, w);
    // Never a heading alone at the foot of a page: room for one line too.
    const double first = s.rows.empty() ? 0
                         : RowHeight(flow.canvas(), cols,
                                     {s.rows[0].article, s.rows[0].label,
                                      s.rows[0].period}, kCell);
    flow.Reserve(h + first);
    flow.AddRect({kMargin, flow.y(), kContentWidth, h, kBandFill, -1});
    const double y = Stack(flow, {heading, address}, kMargin + kCellPadX,
                           flow.y() + kCellPadY, w, 0);
    flow.Advance(y + kCellPadY - flow.y());
  }
  for (const LineRow& r : s.rows) {
    TableRow(flow, cols,
             {r.article, r.label, r.period, r.quantity, r.unit_price,
              r.discount, r.net, r.vat_rate},
             kCell);
  }
  if (!s.subtotal_label.empty()) {
    // Label across the columns up to the amount, which sits under
    // "Montant HT".
    const std::vector<Column> sub = {
        {"", TableWidth({cols.begin(), cols.end() - 2}), Align::kRight, 1},
        cols[cols.size() - 2], cols.back()};
    TableRow(flow, sub, {s.subtotal_label, s.subtotal, ""}, kCellBold);
  }
}

void LinesTable(PageFlow& flow, const InvoiceView& v) {
  if (!v.currency_caption.empty()) {
    Paragraph(flow, {v.currency_caption, kCaption, Align::kRight, 1}, 2);
  }
  const auto& cols = LineColumns();
  flow.Reserve(3 * RowHeight(flow.canvas(), cols, Headers(cols), kCellBold));
  TableHeader(flow, cols);
  flow.set_table_header([&cols](PageFlow& f) { TableHeader(f, cols); });
  for (const SectionView& s : v.sections) SectionRows(flow, s);
  flow.set_table_header(nullptr);
  flow.Advance(12);
}

// VAT per rate on the left, the totals on the right, moved together.
void TotalsBlock(PageFlow& flow, const InvoiceView& v) {
  const std::vector<Column> vat_cols = {{"Taux de TVA", 80, Align::kLeft, 1},
                                        {"Base HT", 95, Align::kRight, 1},
                                        {"Montant TVA", 95, Align::kRight, 1}};
  const std::vector<Column> total_cols = {{"", 110, Align::kLeft, 1},
                                          {"", 100, Align::kRight, 1}};
  constexpr double kTotalsX = kMargin + kContentWidth - 210;
  Canvas& c = flow.canvas();
  const double row = RowHeight(c, vat_cols, Headers(vat_cols), kCellBold);
  const double vat_h = row * (1 + v.vat.size());
  const double total_h = RowHeight(c, total_cols, {"T", "1"}, kBodyBold) *
                         v.totals.size();
  flow.Reserve(std::max(vat_h, total_h));
  double y = flow.y();
  PlaceRow(flow, kMargin, y, vat_cols, Headers(vat_cols), kCellBold, row,
           kHeaderFill);
  for (const VatRow& r : v.vat) {
    y += row;
    PlaceRow(flow, kMargin, y, vat_cols, {r.rate, r.base, r.vat}, kCell, row,
             -1);
  }
  y = flow.y();
  for (size_t i = 0; i < v.totals.size(); ++i) {
    const bool last = i + 1 == v.totals.size();
    const Style style = last ? kBodyBold : kBody;
    const std::vector<std::string> cells = {v.totals[i].first,
                                            v.totals[i].second};
    const double h = RowHeight(c, total_cols, cells, style);
    PlaceRow(flow, kTotalsX, y, total_cols, cells, style, h,
             last ? kHeaderFill : -1);
    y += h;
  }
  flow.Advance(std::max(vat_h, y - flow.y()) + 16);
}

// A bold caption kept with the first paragraph under it.
void Captioned(PageFlow& flow, const std::string& caption,
               const std::vector<std::string>& paragraphs) {
  if (paragraphs.empty()) return;
  const Text head{caption, kBodyBold, Align::kLeft, 1};
  const Text first{paragraphs[0], kBody};
  Canvas& c = flow.canvas();
  flow.Reserve(c.Height(head, kContentWidth) + 3 +
               c.Height(first, kContentWidth));
  Paragraph(flow, head, 3);
  for (const std::string& p : paragraphs) Paragraph(flow, {p, kBody}, 3);
  flow.Advance(8);
}

void Annex(PageFlow& flow, const InvoiceView& v) {
  if (v.calls.empty()) return;
  flow.NewPage();
  Paragraph(flow, {"Annexe : détail des communications", {11, true}}, 4);
  Paragraph(flow,
            {absl::StrCat("Numéros appelés masqués (4 derniers chiffres). ",
                          v.currency_caption,
                          v.currency_caption.empty() ? "" : ", ",
                          "hors taxes, avant l'arrondi de la ligne facturée."),
             kCaption},
            6);
  const auto& cols = CallColumns();
  TableHeader(flow, cols);
  flow.set_table_header([&cols](PageFlow& f) { TableHeader(f, cols); });
  for (const CallRow& r : v.calls) {
    TableRow(flow, cols,
             {r.object, r.when, r.destination, r.kind, r.quantity, r.amount},
             kCell);
  }
  flow.set_table_header(nullptr);
}

void Foot(Canvas& canvas, const InvoiceView& v, int page, int count) {
  const double top = kPageHeight - kMargin - kFooterHeight + 4;
  cairo_t* cr = canvas.cr();
  cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
  cairo_set_line_width(cr, 0.5);
  cairo_move_to(cr, kMargin, top);
  cairo_line_to(cr, kMargin + kContentWidth, top);
  cairo_stroke(cr);
  canvas.Draw({v.legal_footer, kFoot, Align::kCenter, 3}, kMargin, top + 4,
              kContentWidth);
  canvas.Draw({absl::StrCat("Page ", page, "/", count), {7}, Align::kRight, 1},
              kMargin, kPageHeight - kMargin - 9, kContentWidth);
}

void LayOut(PageFlow& flow, const InvoiceView& v) {
  FirstPageHeading(flow, v);
  flow.set_page_top([&v](PageFlow& f) { ContinuationHeading(f, v); });
  LinesTable(flow, v);
  TotalsBlock(flow, v);
  Captioned(flow, "Conditions de paiement", v.payment);
  Captioned(flow, "Mentions", v.mentions);
  Annex(flow, v);
}

bool FontInstalled() {
  PangoFontFamily** families = nullptr;
  int n = 0;
  pango_font_map_list_families(pango_cairo_font_map_get_default(), &families,
                               &n);
  bool found = false;
  for (int i = 0; i < n && !found; ++i) {
    found = g_ascii_strcasecmp(pango_font_family_get_name(families[i]),
                               kFontFamily) == 0;
  }
  g_free(families);
  return found;
}

// Title, author and creation date in the PDF's Info; the date is the issue
// date so the same document always gives the same bytes.
void SetMetadata(cairo_surface_t* surface, const v1::InvoiceDocument& doc,
                 const InvoiceView& v) {
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
                                 v.pdf_title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR,
                                 v.issuer_name.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
                                 "billing documents");
  const std::string& date = !doc.issue_date().empty() ? doc.issue_date()
                                                       : doc.period_end();
  if (FormatDate(date).size() == 10 && FormatDate(date)[2] == '/') {
    const std::string stamp = date + "T00:00:00Z";
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE,
                                   stamp.c_str());
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE,
                                   stamp.c_str());
  }
}

cairo_status_t AppendBytes(void* closure, const unsigned char* data,
                           unsigned int length) {
  static_cast<std::string*>(closure)->append(
      reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};

}  // namespace

absl::StatusOr<std::string> RenderInvoicePdfBytes(
    const v1::InvoiceDocument& doc) {
  if (!FontInstalled()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "documents: the font \"", kFontFamily,
        "\" is not installed (Debian package fonts-dejavu-core)"));
  }
  const InvoiceView v = BuildInvoiceView(doc);
  std::string out;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      cairo_pdf_surface_create_for_stream(AppendBytes, &out, kPageWidth,
                                          kPageHeight));
  SetMetadata(surface.get(), doc, v);
  {
    std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface.get()));
    Canvas canvas(cr.get());
    PageFlow flow(&canvas);
    LayOut(flow, v);
    flow.Render([&v](Canvas& c, int page, int count) {
      Foot(c, v, page, count);
    });
  }
  cairo_surface_finish(surface.get());
  const cairo_status_t status = cairo_surface_status(surface.get());
  if (status != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("documents: cairo: ", cairo_status_to_string(status)));
  }
  return out;
}

absl::Status RenderInvoicePdf(const v1::InvoiceDocument& doc,
                              const std::string& path) {
  absl::StatusOr<std::string> pdf = RenderInvoicePdfBytes(doc);
  if (!pdf.ok()) return pdf.status();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("documents: cannot write ", path, ": ", std::strerror(errno)));
  }
  const bool written = std::fwrite(pdf->data(), 1, pdf->size(), f) == pdf->size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    return absl::UnavailableError(
        absl::StrCat("documents: cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace billing::documents
