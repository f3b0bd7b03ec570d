#pragma once

// Business dates. The engine never reads a clock: every "today" is a
// parameter, written "YYYY-MM-DD" on the wire.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace billing {

using BusinessDate = absl::CivilDay;

// Parses "YYYY-MM-DD" strictly (no time, no offset, a real calendar day).
// Errors: InvalidArgument naming `field`.
absl::StatusOr<BusinessDate> ParseBusinessDate(absl::string_view text,
                                               absl::string_view field);

// "YYYY-MM-DD".
std::string FormatBusinessDate(BusinessDate date);

}  // namespace billing
