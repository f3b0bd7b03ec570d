#pragma once

// The invoice document as protobuf's JSON (field names as in the .proto,
// indented), for archives and other systems; JsonStringToMessage reads it
// back to the same document.

#include <string>

#include "absl/status/statusor.h"
#include "billing/v1/invoice.pb.h"

namespace billing::documents {

// Errors: InvalidArgument naming the first string field that holds invalid
// UTF-8 ("invoiced.name"), which only the C++ API can set: protobuf 3.21's
// printer would silently cut the string at the first bad byte.
absl::StatusOr<std::string> RenderInvoiceJson(const v1::InvoiceDocument& doc);

}  // namespace billing::documents
