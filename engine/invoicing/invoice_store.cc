// Invoice state keys and queries (engine/invoicing/invoices.h).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/invoicing/invoices.h"

namespace billing {

std::string EscapeKeySegment(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

std::string IssuerKey() { return "ref/issuer"; }

std::string DraftsPrefix(absl::string_view customer_id) {
  return absl::StrCat("draft/", customer_id, "/");
}
std::string DraftKey(absl::string_view customer_id,
                     absl::string_view draft_id) {
  return absl::StrCat(DraftsPrefix(customer_id), draft_id);
}
std::string DocumentsPrefix(absl::string_view customer_id) {
  return absl::StrCat("inv/", customer_id, "/");
}
std::string DocumentKey(absl::string_view customer_id,
                        absl::string_view number) {
  return absl::StrCat(DocumentsPrefix(customer_id), number);
}
std::string DocumentNumberPrefix(absl::string_view number) {
  return absl::StrCat("invn/", EscapeKeySegment(number), "/");
}
std::string NoticeLinkKey(absl::string_view customer_id,
                          absl::string_view notice_number) {
  return absl::StrCat("nlink/", customer_id, "/", notice_number);
}
std::string NoticeDraftId(absl::string_view notice_number) {
  return absl::StrCat(notice_number, "#INVOICE");
}
std::string SeriesPartitionKey(absl::string_view series) {
  return absl::StrCat(kSeriesPartitionPrefix, EscapeKeySegment(series));
}
std::string SeriesStateKey(absl::string_view series) {
  return absl::StrCat("series/", EscapeKeySegment(series));
}
std::string SeriesDraftKey(absl::string_view series,
                           absl::string_view customer_id,
                           absl::string_view draft_id) {
  return absl::StrCat("snum/", EscapeKeySegment(series), "/", customer_id, "/",
                      draft_id);
}

absl::StatusOr<std::optional<v1::Issuer>> LoadIssuer(const StateReader& state) {
  return GetMessage<v1::Issuer>(state, IssuerKey());
}

absl::StatusOr<std::vector<v1::InvoiceDocument>> ListDrafts(
    const StateReader& state, absl::string_view customer_id) {
  return ScanMessages<v1::InvoiceDocument>(state, DraftsPrefix(customer_id));
}

absl::StatusOr<std::vector<v1::InvoiceDocument>> ListAllDrafts(
    const StateReader& state, size_t records_max) {
  return ScanMessages<v1::InvoiceDocument>(state, "draft/", records_max);
}

absl::StatusOr<std::vector<v1::InvoiceDocument>> ListDocuments(
    const StateReader& state, absl::string_view customer_id) {
  return ScanMessages<v1::InvoiceDocument>(state, DocumentsPrefix(customer_id));
}

absl::StatusOr<std::optional<v1::InvoiceDocument>> FindDocument(
    const StateReader& state, absl::string_view number) {
  const std::string prefix = DocumentNumberPrefix(number);
  std::string customer;
  auto s = state.Scan(prefix, "",
                      [&](absl::string_view key, absl::string_view) {
                        customer = std::string(key.substr(prefix.size()));
                        return false;
                      });
  if (!s.ok()) return s;
  if (customer.empty()) return std::nullopt;
  return GetMessage<v1::InvoiceDocument>(state, DocumentKey(customer, number));
}

absl::StatusOr<std::optional<v1::SeriesState>> LoadSeries(
    const StateReader& state, absl::string_view series) {
  return GetMessage<v1::SeriesState>(state, SeriesStateKey(series));
}

}  // namespace billing
