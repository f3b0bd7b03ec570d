#pragma once

// The invoice document as one self-contained HTML page (inline CSS, no
// script, no outside resource), for a browser preview or an e-mail body.
// Same words as the PDF (invoice_view.h); every outside string is escaped.

#include <string>

#include "billing/v1/invoice.pb.h"

namespace billing::documents {

std::string RenderInvoiceHtml(const v1::InvoiceDocument& doc);

}  // namespace billing::documents
