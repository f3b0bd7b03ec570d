#pragma once

// The invoice document as one self-contained HTML page (inline CSS, no
// script, no outside resource), for a browser preview or an e-mail body.
// Same words as the PDF (invoice_view.h); every outside string is escaped.

#include <string>

#include "absl/status/statusor.h"
#include "billing/v1/invoice.pb.h"

namespace billing::documents {

std::string RenderInvoiceHtml(const v1::InvoiceDocument& doc);

// The document as protobuf's canonical JSON (field names as in the .proto,
// indented), for archives and other systems. Errors: InvalidArgument when
// a string field holds invalid UTF-8 (protobuf's message says which).
absl::StatusOr<std::string> RenderInvoiceJson(const v1::InvoiceDocument& doc);

}  // namespace billing::documents
