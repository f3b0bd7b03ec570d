// A customer's balance: invoices minus credit notes, per currency, as of a
// date and a log offset (engine/invoicing/credit_notes.h).
#include <map>
#include <set>
#include <string>

#include "engine/core/money.h"
#include "engine/invoicing/credit_notes.h"
#include "engine/invoicing/invoices.h"

namespace billing {
namespace {

// The numbers issued by records at or before `offset`.
absl::StatusOr<std::set<std::string>> IssuedUpTo(const StateReader& state,
                                                 absl::string_view customer_id,
                                                 int64_t offset) {
  const std::string prefix = IssuedAtPrefix(customer_id);
  std::set<std::string> out;
  int64_t last = -1;
  auto s = state.Scan(prefix, "", [&](absl::string_view key, absl::string_view) {
    const absl::string_view rest = key.substr(prefix.size());
    // "<20 digits>/<number, escaped>"
    last = 0;
    for (char ch : rest.substr(0, 20)) last = last * 10 + (ch - '0');
    if (last > offset) return false;
    out.insert(std::string(rest.substr(21)));
    return true;
  });
  if (!s.ok()) return s;
  return out;
}

// Counts the document in `b`: an invoice's amounts, or a credit note's.
absl::Status Count(const v1::InvoiceDocument& d, v1::CurrencyBalance& b) {
  const bool credit = d.type() == v1::DOCUMENT_TYPE_CREDIT_NOTE;
  auto gross = AddMinor(credit ? b.credited_gross_minor()
                               : b.invoiced_gross_minor(),
                        d.gross_amount_minor());
  auto net = AddMinor(credit ? b.credited_net_minor() : b.invoiced_net_minor(),
                      d.net_amount_minor());
  if (!gross.ok()) return gross.status();
  if (!net.ok()) return net.status();
  if (credit) {
    b.set_credit_notes(b.credit_notes() + 1);
    b.set_credited_gross_minor(*gross);
    b.set_credited_net_minor(*net);
  } else {
    b.set_invoices(b.invoices() + 1);
    b.set_invoiced_gross_minor(*gross);
    b.set_invoiced_net_minor(*net);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::CustomerBalance> CustomerBalanceOf(
    const StateReader& state, absl::string_view customer_id,
    std::optional<BusinessDate> as_of, std::optional<int64_t> offset) {
  v1::CustomerBalance out;
  out.set_customer_id(std::string(customer_id));
  if (as_of.has_value()) out.set_as_of_date(FormatBusinessDate(*as_of));
  std::optional<std::set<std::string>> issued;
  if (offset.has_value()) {
    out.set_log_offset(*offset);
    auto up_to = IssuedUpTo(state, customer_id, *offset);
    if (!up_to.ok()) return up_to.status();
    issued = *std::move(up_to);
  }
  auto docs = ListDocuments(state, customer_id);
  if (!docs.ok()) return docs.status();
  std::map<std::string, v1::CurrencyBalance> by_currency;
  for (const v1::InvoiceDocument& d : *docs) {
    if (d.type() == v1::DOCUMENT_TYPE_PAYMENT_NOTICE) continue;
    if (as_of.has_value() && d.issue_date() > FormatBusinessDate(*as_of)) {
      continue;
    }
    if (issued.has_value() &&
        !issued->contains(EscapeKeySegment(d.number()))) {
      continue;
    }
    v1::CurrencyBalance& b = by_currency[d.currency()];
    b.set_currency(d.currency());
    if (auto s = Count(d, b); !s.ok()) return s;
  }
  for (auto& [currency, b] : by_currency) {
    b.set_balance_gross_minor(b.invoiced_gross_minor() -
                              b.credited_gross_minor());
    b.set_balance_net_minor(b.invoiced_net_minor() - b.credited_net_minor());
    *out.add_currencies() = std::move(b);
  }
  return out;
}

}  // namespace billing
