#include "documents/internal/pdf_canvas.h"

#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <string>
#include <utility>

#include "documents/invoice_pdf.h"

namespace billing::documents_internal {
namespace {

constexpr double kContentBottom = kPageHeight - kMargin - kFooterHeight;

// The most bytes of one text a box is given: more than the longest box
// (a 20-line paragraph across the page) holds.
constexpr size_t kTextBytesMax = 4000;
// And per line of a box of few lines: more than a line across the page.
constexpr size_t kLineBytesMax = 200;

// The largest length <= max that does not split a UTF-8 sequence.
size_t CutPoint(const std::string& text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

void SetGray(cairo_t* cr, double gray) {
  cairo_set_source_rgb(cr, gray, gray, gray);
}

void DrawRect(cairo_t* cr, const RectOp& r) {
  cairo_rectangle(cr, r.x, r.y, r.width, r.height);
  if (r.fill_gray >= 0) {
    SetGray(cr, r.fill_gray);
    r.stroke_gray >= 0 ? cairo_fill_preserve(cr) : cairo_fill(cr);
  }
  if (r.stroke_gray >= 0) {
    SetGray(cr, r.stroke_gray);
    cairo_set_line_width(cr, 0.5);
    cairo_stroke(cr);
  }
  cairo_new_path(cr);
}

void DrawLine(cairo_t* cr, const LineOp& l) {
  SetGray(cr, l.gray);
  cairo_set_line_width(cr, l.width);
  cairo_move_to(cr, l.x1, l.y1);
  cairo_line_to(cr, l.x2, l.y2);
  cairo_stroke(cr);
}

}  // namespace

Canvas::Canvas(cairo_t* cr) : cr_(cr), context_(pango_cairo_create_context(cr)) {
  // Unhinted metrics: a PDF is scaled by its reader, so widths must be the
  // font's own, the same when measured and when drawn.
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(context_, options);
  cairo_font_options_destroy(options);
  // A left-to-right page: a name in Arabic or Hebrew is shaped right to left
  // inside its box but does not flip the box's alignment.
  pango_context_set_base_dir(context_, PANGO_DIRECTION_LTR);
}

Canvas::~Canvas() { g_object_unref(context_); }

Canvas::LayoutPtr Canvas::Layout(const Text& text, double width) {
  LayoutPtr layout(pango_layout_new(context_));
  PangoFontDescription* font = pango_font_description_new();
  pango_font_description_set_family(font, documents::kFontFamily);
  pango_font_description_set_weight(
      font, text.style.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  // Absolute size: points on the page, whatever the context's resolution.
  pango_font_description_set_absolute_size(font, text.style.size * PANGO_SCALE);
  pango_layout_set_font_description(layout.get(), font);
  pango_font_description_free(font);
  pango_layout_set_auto_dir(layout.get(), FALSE);
  pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
  // Words first; a word longer than the box (an IBAN, hostile input) breaks
  // between letters rather than running over the next column.
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  if (text.max_lines > 0) {
    pango_layout_set_height(layout.get(), -text.max_lines);
    pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
  }
  pango_layout_set_alignment(layout.get(),
                             text.align == Align::kRight    ? PANGO_ALIGN_RIGHT
                             : text.align == Align::kCenter ? PANGO_ALIGN_CENTER
                                                            : PANGO_ALIGN_LEFT);
  // The text is valid UTF-8 already (CleanText); Pango would otherwise
  // refuse it whole. Cut at kTextBytesMax: no box shows more, and cairo
  // would keep the hidden rest in the PDF's text (the "…" glyph carries
  // it), so a hostile 50,000-character label would still weigh on the file.
  const size_t n = CutPoint(
      text.text, text.max_lines > 0
                     ? std::min(kTextBytesMax, kLineBytesMax * text.max_lines)
                     : kTextBytesMax);
  pango_layout_set_text(layout.get(), text.text.data(), static_cast<int>(n));
  return layout;
}

double Canvas::Height(const Text& text, double width) {
  if (text.text.empty()) return 0;
  int w = 0, h = 0;
  pango_layout_get_size(Layout(text, width).get(), &w, &h);
  return static_cast<double>(h) / PANGO_SCALE;
}

void Canvas::Draw(const Text& text, double x, double y, double width) {
  if (text.text.empty()) return;
  LayoutPtr layout = Layout(text, width);
  SetGray(cr_, text.style.gray);
  cairo_move_to(cr_, x, y);
  pango_cairo_show_layout(cr_, layout.get());
  cairo_new_path(cr_);
}

PageFlow::PageFlow(Canvas* canvas) : canvas_(canvas) { pages_.emplace_back(); }

void PageFlow::Reserve(double height) {
  if (page_blank_ || y_ + height <= kContentBottom) {
    page_blank_ = false;
    return;
  }
  NewPage();
  page_blank_ = false;
}

void PageFlow::NewPage() {
  pages_.emplace_back();
  y_ = kMargin;
  page_blank_ = true;
  if (page_top_) page_top_(*this);
  if (table_header_) table_header_(*this);
  // What the page top drew is not the page's first block: a block that
  // does not fit below it still gets this page.
  page_blank_ = true;
}

void PageFlow::AddText(Text text, double x, double y, double width) {
  pages_.back().push_back(TextOp{std::move(text), x, y, width});
}

void PageFlow::Render(const std::function<void(Canvas&, int, int)>& foot) {
  cairo_t* cr = canvas_->cr();
  const int count = page_count();
  for (int i = 0; i < count; ++i) {
    for (const Op& op : pages_[i]) {
      if (const auto* t = std::get_if<TextOp>(&op)) {
        canvas_->Draw(t->text, t->x, t->y, t->width);
      } else if (const auto* r = std::get_if<RectOp>(&op)) {
        DrawRect(cr, *r);
      } else {
        DrawLine(cr, std::get<LineOp>(op));
      }
    }
    foot(*canvas_, i + 1, count);
    cairo_show_page(cr);
  }
}

}  // namespace billing::documents_internal
