#pragma once

// Drawing for invoice_pdf.cc: text measured and drawn by Pango on a cairo
// PDF surface (Canvas), and a flow that places blocks down A4 pages and
// starts a new page when the next one does not fit (PageFlow). Pages are
// recorded first and drawn at the end, so each page's foot can say
// "Page i/n".

#include <cairo.h>
#include <pango/pangocairo.h>

#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace billing::documents_internal {

// A4 in PostScript points.
inline constexpr double kPageWidth = 595.28;
inline constexpr double kPageHeight = 841.89;
inline constexpr double kMargin = 40;
inline constexpr double kContentWidth = kPageWidth - 2 * kMargin;
// Room kept at the foot of every page for the legal line and "Page i/n".
inline constexpr double kFooterHeight = 44;

enum class Align { kLeft, kRight, kCenter };

struct Style {
  double size = 8;  // points
  bool bold = false;
  double gray = 0;  // 0 black .. 1 white
};

struct Text {
  std::string text;
  Style style;
  Align align = Align::kLeft;
  // Lines at most; what is longer ends in "…". 0: no limit.
  int max_lines = 0;
};

class Canvas {
 public:
  // `cr` outlives the canvas.
  explicit Canvas(cairo_t* cr);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  // The height of `text` set in a box `width` wide.
  double Height(const Text& text, double width);
  void Draw(const Text& text, double x, double y, double width);
  cairo_t* cr() const { return cr_; }

 private:
  struct LayoutDeleter {
    void operator()(PangoLayout* l) const { g_object_unref(l); }
  };
  using LayoutPtr = std::unique_ptr<PangoLayout, LayoutDeleter>;
  LayoutPtr Layout(const Text& text, double width);

  cairo_t* cr_;
  PangoContext* context_;
};

struct TextOp {
  Text text;
  double x, y, width;
};
struct RectOp {
  double x, y, width, height;
  double fill_gray;  // < 0: no fill
  double stroke_gray;  // < 0: no outline
};
struct LineOp {
  double x1, y1, x2, y2;
  double gray;
  double width;
};
using Op = std::variant<TextOp, RectOp, LineOp>;

// Places blocks down the pages. The caller asks Fits/Reserve before a block
// and draws it at y(); a block that does not fit starts a new page, on which
// the page-top callback (continuation heading, repeated table header) runs
// first.
class PageFlow {
 public:
  explicit PageFlow(Canvas* canvas);

  Canvas& canvas() { return *canvas_; }
  double y() const { return y_; }
  void Advance(double dy) { y_ += dy; }
  int page_count() const { return static_cast<int>(pages_.size()); }

  // Makes room for `height` points: a new page when the current one lacks
  // it (never for the first block of a page, so an oversized block is drawn
  // cut rather than looping).
  void Reserve(double height);
  void NewPage();
  // The first page's heading is drawn: from now on a block that does not
  // fit goes to the next page.
  void MarkUsed() { page_blank_ = false; }
  // Runs at the top of every page after the first, in order: the
  // continuation heading, then (while set) the table header.
  void set_page_top(std::function<void(PageFlow&)> f) { page_top_ = std::move(f); }
  void set_table_header(std::function<void(PageFlow&)> f) {
    table_header_ = std::move(f);
  }

  void AddText(Text text, double x, double y, double width);
  void AddRect(const RectOp& r) { pages_.back().push_back(r); }
  void AddLine(const LineOp& l) { pages_.back().push_back(l); }

  // Draws every page on the surface, each ended by `foot(page, count)`.
  void Render(const std::function<void(Canvas&, int, int)>& foot);

 private:
  Canvas* canvas_;
  std::vector<std::vector<Op>> pages_;
  double y_ = kMargin;
  bool page_blank_ = true;
  std::function<void(PageFlow&)> page_top_;
  std::function<void(PageFlow&)> table_header_;
};

}  // namespace billing::documents_internal
