#pragma once

// The invoice document as a PDF a customer receives: A4, French, every
// mention of a B2B invoice (Code de commerce L441-9, CGI art. 242 nonies A),
// lines flowing over as many pages as needed with the table header repeated,
// "Page i/n" and the issuer's legal line at the foot of every page, and the
// itemized calls in an annex. What is printed is BuildInvoiceView's text
// (invoice_view.h).
//
// Text is shaped by Pango with the DejaVu Sans font (fonts-dejavu-core) and
// drawn by cairo, which embeds the subset of the font used: accents, "€"
// and right-to-left names print as such. The output is deterministic (same
// document, same bytes): the PDF's creation date is the issue date.
//
// Thread-safety: the functions may be called from several threads at once
// (each call has its own cairo surface and Pango context).

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "billing/v1/invoice.pb.h"

namespace billing::documents {

// The font every document is set in; its absence is an error, not a silent
// fallback to whatever fontconfig finds (boxes instead of letters).
inline constexpr char kFontFamily[] = "DejaVu Sans";

// The PDF's bytes. Errors: FailedPrecondition when kFontFamily is not
// installed; Internal when cairo fails (its message given).
absl::StatusOr<std::string> RenderInvoicePdfBytes(
    const v1::InvoiceDocument& doc);

// RenderInvoicePdfBytes written to `path` (replaced when it exists). Errors:
// those of RenderInvoicePdfBytes; Unavailable naming the path when it
// cannot be written.
absl::Status RenderInvoicePdf(const v1::InvoiceDocument& doc,
                              const std::string& path);

}  // namespace billing::documents
