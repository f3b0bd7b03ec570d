// An invoice document's totals, VAT summary, mentions and due date
// (docs/invoices.md: the rounding rule, with a worked example).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/core/money.h"
#include "engine/invoicing/internal/invoice_decide.h"

namespace billing::invoice_internal {
namespace {

constexpr absl::string_view kEuVatPrefixes[] = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES",
    "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT",
    "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI"};

bool InEu(absl::string_view vat_id) {
  for (absl::string_view p : kEuVatPrefixes) {
    if (absl::StartsWith(vat_id, p)) return true;
  }
  return false;
}

std::string Category(const v1::InvoiceDocument& doc) {
  bool goods = false;
  bool services = false;
  for (const auto& l : doc.lines()) (l.goods() ? goods : services) = true;
  if (goods && services) {
    return "Opération mixte : livraison de biens et prestations de services";
  }
  return goods ? "Livraison de biens" : "Prestations de services";
}

}  // namespace

absl::Status TotalDocument(v1::InvoiceDocument& doc) {
  std::map<int32_t, int64_t> net_by_rate;
  std::map<std::string, std::pair<int64_t, int32_t>> by_entity;
  int64_t net = 0;
  for (const v1::DocumentLine& l : doc.lines()) {
    auto sum = AddMinor(net_by_rate[l.vat_rate_bp()], l.net_amount_minor());
    if (!sum.ok()) return sum.status();
    net_by_rate[l.vat_rate_bp()] = *sum;
    auto& [entity_net, lines] = by_entity[l.entity_id()];
    auto e = AddMinor(entity_net, l.net_amount_minor());
    if (!e.ok()) return e.status();
    entity_net = *e;
    ++lines;
    auto n = AddMinor(net, l.net_amount_minor());
    if (!n.ok()) return n.status();
    net = *n;
  }
  doc.clear_vat();
  int64_t vat = 0;
  for (const auto& [rate, rate_net] : net_by_rate) {
    v1::VatSummary* v = doc.add_vat();
    v->set_vat_rate_bp(rate);
    v->set_net_amount_minor(rate_net);
    v->set_vat_amount_minor(PercentOfMinor(rate_net, rate));
    auto t = AddMinor(vat, v->vat_amount_minor());
    if (!t.ok()) return t.status();
    vat = *t;
  }
  for (v1::DocumentSection& s : *doc.mutable_sections()) {
    s.set_net_amount_minor(by_entity[s.entity_id()].first);
    s.set_lines(by_entity[s.entity_id()].second);
  }
  auto gross = AddMinor(net, vat);
  if (!gross.ok()) return gross.status();
  doc.set_net_amount_minor(net);
  doc.set_vat_amount_minor(vat);
  doc.set_gross_amount_minor(*gross);
  doc.clear_mentions();
  for (std::string& m : VatMentions(doc)) doc.add_mentions(std::move(m));
  return absl::OkStatus();
}

std::vector<std::string> VatMentions(const v1::InvoiceDocument& doc) {
  std::vector<std::string> out = {Category(doc)};
  bool zero_rated = false;
  for (const auto& v : doc.vat()) zero_rated |= v.vat_rate_bp() == 0;
  if (!zero_rated) return out;
  const std::string& vat_id = doc.invoiced().vat_id();
  const std::string& country = doc.invoiced().billing_address().country_code();
  if (!vat_id.empty() && InEu(vat_id) && !absl::StartsWith(vat_id, "FR")) {
    out.push_back(
        "Autoliquidation : TVA due par le preneur (article 283-2 du CGI, "
        "article 196 de la directive 2006/112/CE)");
  } else if (!country.empty() && country != "FR" && vat_id.empty()) {
    out.push_back("TVA non applicable, article 259-1 du CGI");
  } else {
    out.push_back("Exonération de TVA, article 261 du CGI");
  }
  return out;
}

std::string DueDate(const v1::InvoiceDocument& doc, BusinessDate issue_date) {
  return FormatBusinessDate(issue_date +
                            doc.issuer().terms().payment_delay_days());
}

}  // namespace billing::invoice_internal
