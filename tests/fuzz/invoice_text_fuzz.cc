// Outside text on a printed invoice (documents/): CleanText, the French
// number formats, BuildInvoiceView, RenderInvoiceHtml and RenderInvoiceJson
// over a document whose strings and amounts come from the input. The whole
// input goes to CleanText; then it is cut at each 0x1E byte and the pieces
// fill the document's string fields in turn (names, labels, dates, number,
// currency, mentions, itemized calls), their first 8 bytes its amounts. The
// PDF (Pango, cairo) is not run here: its libraries are not instrumented and
// their caches look like leaks to LeakSanitizer; tests/integration/documents
// renders hostile strings to PDF.
//
// Contract:
// - CleanText gives valid UTF-8 with no control character and no bidi
//   embedding, override or isolate, is idempotent, and at most triples the
//   size (a bad byte becomes U+FFFD's three bytes);
// - FormatFixed reads back as its value (no-break spaces and comma removed);
// - every string of the view, and the HTML, is valid UTF-8; the HTML holds
//   no "<script" (outside text is escaped);
// - RenderInvoiceJson answers InvalidArgument when some string is not UTF-8,
//   and otherwise JSON that parses back to the same document.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "billing/v1/invoice.pb.h"
#include "documents/french_format.h"
#include "documents/invoice_html.h"
#include "documents/invoice_json.h"
#include "documents/invoice_view.h"
#include "fuzz_support.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace billing::fuzz {
namespace {

void CheckCleanText(absl::string_view input) {
  const std::string clean = documents::CleanText(input);
  FUZZ_CHECK(IsValidUtf8(clean), "CleanText output is not UTF-8");
  for (unsigned char c : clean) {
    FUZZ_CHECK(c >= 0x20 && c != 0x7F, absl::StrCat("control byte ", c));
  }
  for (const char* bidi : {"\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC",
                           "\xE2\x80\xAD", "\xE2\x80\xAE", "\xE2\x81\xA6",
                           "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9"}) {
    FUZZ_CHECK(clean.find(bidi) == std::string::npos, "bidi control kept");
  }
  FUZZ_CHECK(documents::CleanText(clean) == clean, "CleanText not idempotent");
  FUZZ_CHECK(clean.size() <= 3 * input.size(), "CleanText grew past 3x");
}

int64_t Int64Of(absl::string_view piece) {
  uint64_t v = 0;
  std::memcpy(&v, piece.data(), std::min<size_t>(piece.size(), sizeof(v)));
  return static_cast<int64_t>(v);
}

void CheckFixed(int64_t value, int decimals) {
  std::string text = documents::FormatFixed(value, decimals);
  text = absl::StrReplaceAll(text, {{"\xC2\xA0", ""}, {",", ""}});
  int64_t back = 0;
  FUZZ_CHECK(absl::SimpleAtoi(text, &back) && back == value,
             absl::StrCat(value, " with ", decimals, " decimals reads ", text));
}

// The document the pieces make: each string field takes the next piece.
v1::InvoiceDocument Document(const std::vector<absl::string_view>& pieces) {
  size_t i = 0;
  auto next = [&]() -> std::string {
    return pieces.empty() ? "" : std::string(pieces[i++ % pieces.size()]);
  };
  v1::InvoiceDocument d;
  d.set_number(next());
  d.set_type(Int64Of(next()) % 2 ? v1::DOCUMENT_TYPE_PAYMENT_NOTICE
                                 : v1::DOCUMENT_TYPE_INVOICE);
  d.set_issue_date(next());
  d.set_period_start(next());
  d.set_currency(next());
  d.mutable_issuer()->set_legal_name(next());
  d.mutable_issuer()->mutable_address()->add_lines(next());
  d.mutable_issuer()->mutable_bank()->set_iban(next());
  d.mutable_invoiced()->set_name(next());
  d.mutable_invoiced()->mutable_billing_address()->set_country_code(next());
  v1::DocumentSection* s = d.add_sections();
  s->set_entity_id("E");
  s->set_entity_name(next());
  for (size_t n = 0; n < std::min<size_t>(pieces.size(), 8); ++n) {
    v1::DocumentLine* l = d.add_lines();
    l->set_entity_id(n % 2 ? "E" : next());
    l->set_article_code(next());
    l->set_label(next());
    l->set_period_end(next());
    l->set_quantity_milli(Int64Of(next()));
    l->set_unit_price_micros(Int64Of(next()));
    l->set_net_amount_minor(Int64Of(next()));
    l->set_vat_rate_bp(static_cast<int32_t>(Int64Of(next())));
  }
  d.add_vat()->set_vat_amount_minor(Int64Of(next()));
  d.set_gross_amount_minor(Int64Of(next()));
  d.add_mentions(next());
  v1::ItemizedCall* c = d.add_itemized_calls();
  c->set_start_time(next());
  c->set_destination_masked(next());
  c->set_kind(static_cast<v1::UsageKind>(Int64Of(next()) & 7));
  c->set_quantity(Int64Of(next()));
  return d;
}

void CheckView(const documents::InvoiceView& v) {
  std::vector<std::string> all = {v.title, v.issuer_name, v.legal_footer,
                                  v.customer_name, v.continuation};
  for (const auto& f : v.fields) all.push_back(f.first + f.second);
  for (const auto& s : v.sections) {
    all.push_back(s.heading + s.service_address + s.subtotal);
    for (const auto& r : s.rows) {
      all.push_back(r.article + r.label + r.period + r.quantity + r.unit_price +
                    r.net + r.vat_rate);
    }
  }
  for (const auto& p : v.payment) all.push_back(p);
  for (const auto& c : v.calls) all.push_back(c.when + c.quantity + c.amount);
  for (const std::string& s : all) {
    FUZZ_CHECK(IsValidUtf8(s), "a printed string is not UTF-8");
  }
}

void CheckJson(const v1::InvoiceDocument& doc) {
  const auto json = documents::RenderInvoiceJson(doc);
  if (!json.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(json.status()),
               json.status().ToString());
    CheckErrorMessage(json.status(), "RenderInvoiceJson");
    return;
  }
  v1::InvoiceDocument back;
  FUZZ_CHECK(google::protobuf::util::JsonStringToMessage(*json, &back).ok(),
             "JSON does not parse back");
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(back, doc),
             "JSON parses back to another document");
}

}  // namespace
}  // namespace billing::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace billing;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::CheckCleanText(input);
  const int64_t value = fuzz::Int64Of(input);
  fuzz::CheckFixed(value, static_cast<int>(size % 7));
  const std::vector<absl::string_view> pieces = absl::StrSplit(input, '\x1E');
  const v1::InvoiceDocument doc = fuzz::Document(pieces);
  fuzz::CheckView(documents::BuildInvoiceView(doc));
  const std::string html = documents::RenderInvoiceHtml(doc);
  FUZZ_CHECK(fuzz::IsValidUtf8(html), "HTML is not UTF-8");
  FUZZ_CHECK(html.find("<script") == std::string::npos, "unescaped <script");
  fuzz::CheckJson(doc);
  return 0;
}
