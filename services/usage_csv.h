#pragma once

// The CSV form of usage records (`billingctl usage import calls.csv`): a
// header line of UsageRecord field names, then one record per line, cells
// split on ',' (no quoting). Pure functions, no gRPC and no I/O, so that the
// CLI, the server's tests and the fuzz targets call the same reader
// (target billing_usage_edge).
//
// Columns:
//   required  platform_id record_id object start_time kind quantity
//             destination (a file without one of them is refused whole:
//             without `quantity` every row would be rated at 0 and use up
//             its record id)
//   optional  customer_id, unit, attributes.<key> (one platform attribute)
// `kind` and `unit` take the enum name ("USAGE_KIND_VOICE") or its short
// form, any case ("voice"). A column that names no field is treated as an
// unknown JSON field is: every row is refused naming it (the JSON decoder
// refuses unknown fields rather than guess).
//
// Errors are InvalidArgument with a message naming the field or column,
// valid UTF-8, quoting outside values escaped and cut short (QuoteValue,
// engine/core/validation.h).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/usage.pb.h"

namespace billing {

// Columns of a header line at most. Default: 64.
inline constexpr size_t kUsageCsvColumnsMax = 64;

struct UsageCsvHeader {
  // The column names as written (spaces around them trimmed).
  std::vector<std::string> columns;
  // Columns that name no field, in order; rows are refused while any.
  std::vector<std::string> unknown;
};

// The header line. InvalidArgument "csv header: column \"quantity\" is
// missing (...)", or a column twice, or more than kUsageCsvColumnsMax.
absl::StatusOr<UsageCsvHeader> ParseUsageCsvHeader(absl::string_view line);

// One data line (without its line end) under `header`: the record, or
// InvalidArgument naming the field ("record.quantity: is empty",
// "record.record_id: not valid UTF-8", "record.kind: \"x\" is not a usage
// kind ...", "csv: 5 cells, the header has 7 columns").
absl::StatusOr<v1::UsageRecord> ParseUsageCsvRow(const UsageCsvHeader& header,
                                                 absl::string_view line);

}  // namespace billing
