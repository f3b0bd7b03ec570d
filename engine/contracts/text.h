#pragma once

// Small text helpers of the contracts domain, for messages and
// explanations a person reads.

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "billing/v1/contracts.pb.h"

namespace billing::contracts_internal {

// Thousandths with three decimals: 1250000 -> "1250.000".
inline std::string FormatMilli(int64_t milli) {
  const bool negative = milli < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(milli)
                                      : static_cast<uint64_t>(milli);
  return absl::StrFormat("%s%d.%03d", negative ? "-" : "", magnitude / 1000,
                         magnitude % 1000);
}

// Basis points as a percent: 300 -> "3.00 %".
inline std::string FormatPercentBp(int64_t bp) {
  const bool negative = bp < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(bp) : static_cast<uint64_t>(bp);
  return absl::StrFormat("%s%d.%02d %%", negative ? "-" : "", magnitude / 100,
                         magnitude % 100);
}

inline const char* ReadingKindName(v1::ReadingKind kind) {
  switch (kind) {
    case v1::READING_KIND_INSTALLATION:
      return "installation";
    case v1::READING_KIND_REGULAR:
      return "regular";
    case v1::READING_KIND_REPLACEMENT:
      return "meter replacement";
    default:
      return "unknown kind";
  }
}

inline const char* RuleTypeName(v1::RuleType type) {
  switch (type) {
    case v1::RULE_TYPE_FLAT:
      return "flat";
    case v1::RULE_TYPE_CONSUMED_UNITS:
      return "consumed-units";
    case v1::RULE_TYPE_UNIT_OF_WORK:
      return "unit-of-work";
    case v1::RULE_TYPE_TIME_SPENT:
      return "time-spent";
    case v1::RULE_TYPE_INSTALLMENT_SCHEDULE:
      return "installment-schedule";
    case v1::RULE_TYPE_USAGE:
      return "usage";
    default:
      return "unknown";
  }
}

}  // namespace billing::contracts_internal
