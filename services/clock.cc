#include "services/clock.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace billing {

absl::StatusOr<std::unique_ptr<SystemBusinessClock>>
SystemBusinessClock::Create(const std::string& zone_name) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(zone_name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "business_timezone: \"", zone_name, "\" is not a known time zone"));
  }
  return std::unique_ptr<SystemBusinessClock>(new SystemBusinessClock(zone));
}

BusinessDate SystemBusinessClock::Today() const {
  return absl::ToCivilDay(absl::Now(), zone_);
}

BusinessDate FixedBusinessClock::Today() const {
  absl::MutexLock lock(&mu_);
  return date_;
}

void FixedBusinessClock::Set(BusinessDate date) {
  absl::MutexLock lock(&mu_);
  date_ = date;
}

}  // namespace billing
