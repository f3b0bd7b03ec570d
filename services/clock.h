#pragma once

// Where billingd's business date comes from. The engine reads no clock; the
// services layer supplies "today" from the system clock, or from a fixed test
// clock so that tests move time without sleeping. A request's own business
// date wins over both.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/core/dates.h"

namespace billing {

class BusinessClock {
 public:
  virtual ~BusinessClock() = default;
  // Today's business date. Thread-safe.
  virtual BusinessDate Today() const = 0;
};

// The system clock's date in `zone` (e.g. Europe/Paris: a French billing day
// starts at local midnight, not UTC's).
class SystemBusinessClock final : public BusinessClock {
 public:
  // Errors: InvalidArgument when the zone is unknown.
  static absl::StatusOr<std::unique_ptr<SystemBusinessClock>> Create(
      const std::string& zone_name);
  BusinessDate Today() const override;

 private:
  explicit SystemBusinessClock(absl::TimeZone zone) : zone_(zone) {}
  absl::TimeZone zone_;
};

// A date set by hand (billingd --test_clock_date), movable in tests.
class FixedBusinessClock final : public BusinessClock {
 public:
  explicit FixedBusinessClock(BusinessDate date) : date_(date) {}
  BusinessDate Today() const override;
  void Set(BusinessDate date);

 private:
  mutable absl::Mutex mu_;
  BusinessDate date_ ABSL_GUARDED_BY(mu_);
};

}  // namespace billing
