#include "services/usage_csv.h"

#include <algorithm>
#include <array>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

constexpr std::array<absl::string_view, 7> kRequiredColumns = {
    "platform_id", "record_id", "object",     "start_time",
    "kind",        "quantity",  "destination"};
constexpr std::array<absl::string_view, 2> kOptionalColumns = {"customer_id",
                                                               "unit"};
constexpr absl::string_view kAttributePrefix = "attributes.";

absl::Status Error(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

bool IsKnownColumn(absl::string_view c) {
  auto in = [c](const auto& list) {
    return std::find(list.begin(), list.end(), c) != list.end();
  };
  return in(kRequiredColumns) || in(kOptionalColumns) ||
         (absl::StartsWith(c, kAttributePrefix) &&
          c.size() > kAttributePrefix.size());
}

// "record.<field>" for a column; "record.attributes[\"<key>\"]" for one.
std::string FieldOf(absl::string_view column) {
  if (absl::StartsWith(column, kAttributePrefix)) {
    return absl::StrCat("record.attributes[",
                        QuoteValue(column.substr(kAttributePrefix.size())),
                        "]");
  }
  return absl::StrCat("record.", column);
}

// An enum cell: "USAGE_KIND_VOICE" or "voice", any case.
template <typename Enum, typename Parse>
bool ParseEnum(absl::string_view cell, absl::string_view prefix, Parse parse,
               Enum* out) {
  const std::string name = absl::AsciiStrToUpper(cell);
  return parse(name, out) || parse(absl::StrCat(prefix, name), out);
}

absl::Status SetField(absl::string_view column, absl::string_view cell,
                      v1::UsageRecord& r) {
  const std::string value(cell);
  if (column == "platform_id")
    r.set_platform_id(value);
  else if (column == "record_id")
    r.set_record_id(value);
  else if (column == "object")
    r.set_object(value);
  else if (column == "customer_id")
    r.set_customer_id(value);
  else if (column == "start_time")
    r.set_start_time(value);
  else if (column == "destination")
    r.set_destination(value);
  else if (column == "quantity") {
    int64_t q = 0;
    if (!absl::SimpleAtoi(cell, &q)) {
      return Error("record.quantity",
                   absl::StrCat(QuoteValue(cell), " is not an integer"));
    }
    r.set_quantity(q);
  } else if (column == "kind") {
    v1::UsageKind kind;
    if (!ParseEnum(cell, "USAGE_KIND_", v1::UsageKind_Parse, &kind)) {
      return Error("record.kind",
                   absl::StrCat(QuoteValue(cell),
                                " is not a usage kind (voice, sms, mms, data, "
                                "fax)"));
    }
    r.set_kind(kind);
  } else if (column == "unit") {
    v1::UsageUnit unit;
    if (!ParseEnum(cell, "USAGE_UNIT_", v1::UsageUnit_Parse, &unit)) {
      return Error("record.unit",
                   absl::StrCat(QuoteValue(cell), " is not a usage unit"));
    }
    r.set_unit(unit);
  } else {
    (*r.mutable_attributes())[std::string(
        column.substr(kAttributePrefix.size()))] = value;
  }
  return absl::OkStatus();
}

bool IsRequired(absl::string_view column) {
  return std::find(kRequiredColumns.begin(), kRequiredColumns.end(), column) !=
         kRequiredColumns.end();
}

}  // namespace

absl::StatusOr<UsageCsvHeader> ParseUsageCsvHeader(absl::string_view line) {
  UsageCsvHeader header;
  std::set<std::string> seen;
  for (absl::string_view c : absl::StrSplit(line, ',')) {
    if (header.columns.size() == kUsageCsvColumnsMax) {
      return Error("csv header", absl::StrFormat("more than %d columns",
                                                 kUsageCsvColumnsMax));
    }
    std::string name(absl::StripAsciiWhitespace(c));
    if (!seen.insert(name).second) {
      return Error("csv header",
                   absl::StrCat("column ", QuoteValue(name), " appears twice"));
    }
    if (!IsKnownColumn(name)) header.unknown.push_back(name);
    header.columns.push_back(std::move(name));
  }
  for (absl::string_view required : kRequiredColumns) {
    if (seen.count(std::string(required)) == 0) {
      return Error(
          "csv header",
          absl::StrFormat("column \"%s\" is missing (required: %s)", required,
                          absl::StrJoin(kRequiredColumns, ", ")));
    }
  }
  return header;
}

absl::StatusOr<v1::UsageRecord> ParseUsageCsvRow(const UsageCsvHeader& header,
                                                 absl::string_view line) {
  if (!header.unknown.empty()) {
    return Error(
        absl::StrCat("csv column ", QuoteValue(header.unknown.front())),
        "not a UsageRecord field, refused as an unknown JSON field is "
        "(a platform attribute goes in a column attributes.<key>)");
  }
  std::vector<absl::string_view> cells = absl::StrSplit(line, ',');
  if (cells.size() != header.columns.size()) {
    return Error("csv", absl::StrFormat("%d cells, the header has %d columns",
                                        cells.size(), header.columns.size()));
  }
  v1::UsageRecord record;
  for (size_t i = 0; i < cells.size(); ++i) {
    const std::string& column = header.columns[i];
    if (!IsValidUtf8(cells[i])) {
      return Error(FieldOf(column), "not valid UTF-8");
    }
    if (cells[i].empty()) {
      if (IsRequired(column)) return Error(FieldOf(column), "is empty");
      continue;  // an optional field left out
    }
    if (auto s = SetField(column, cells[i], record); !s.ok()) return s;
  }
  return record;
}

}  // namespace billing
