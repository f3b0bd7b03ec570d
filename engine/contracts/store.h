#pragma once

// Reading the contracts domain's state (keys in engine/core/keys.h). Every
// function returns DataLoss naming the key when stored bytes do not parse,
// and passes storage errors through.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/contracts.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"

namespace billing {

// The reserved partition key of company-wide reference data (articles,
// index publications, company markup, hourly rates). Not a valid customer
// code ('@' is outside A-Z a-z 0-9 . _ -), so it never collides with one.
inline constexpr absl::string_view kReferencePartition = "@reference";

// Visits every message stored under `prefix`, in key order; `visit` returns
// false to stop.
template <typename M>
absl::Status ScanMessages(const StateReader& state, absl::string_view prefix,
                          const std::function<bool(M)>& visit) {
  absl::Status inner;
  absl::Status s = state.Scan(
      prefix, "", [&](absl::string_view key, absl::string_view value) {
        M m;
        if (!m.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          inner = CorruptState(key, M::descriptor()->full_name());
          return false;
        }
        return visit(std::move(m));
      });
  return s.ok() ? inner : s;
}

template <typename M>
absl::StatusOr<std::vector<M>> ListMessages(const StateReader& state,
                                            absl::string_view prefix) {
  std::vector<M> out;
  absl::Status s = ScanMessages<M>(state, prefix, [&](M m) {
    out.push_back(std::move(m));
    return true;
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::optional<v1::Contract>> LoadContract(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref);
// By contract_ref.
absl::StatusOr<std::vector<v1::Contract>> ListContracts(
    const StateReader& state, absl::string_view customer_id);

absl::StatusOr<std::optional<v1::BillingRule>> LoadRule(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id);
// One contract's rules, by rule_id.
absl::StatusOr<std::vector<v1::BillingRule>> ListRules(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref);

absl::StatusOr<std::optional<v1::MeterState>> LoadMeter(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id);
// One object's readings, by seq (which is date order).
absl::StatusOr<std::vector<v1::Reading>> ListReadings(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id);

// A rule's work units / time entries dated from `from` to `to` (both
// included), by date then log order.
absl::StatusOr<std::vector<v1::WorkUnits>> ListWorkUnits(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id,
    BusinessDate from, BusinessDate to);
absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntries(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id,
    BusinessDate from, BusinessDate to);

absl::StatusOr<std::optional<v1::Job>> LoadJob(const StateReader& state,
                                               absl::string_view customer_id,
                                               absl::string_view job_id);

absl::StatusOr<std::optional<v1::Article>> LoadArticle(
    const StateReader& state, absl::string_view article_code);
// The latest publication of `index_code` dated on or before `date`.
absl::StatusOr<std::optional<v1::IndexPublication>> LatestIndexOnOrBefore(
    const StateReader& state, absl::string_view index_code, BusinessDate date);
// The company markup in force on `date` (the latest effective on or before).
absl::StatusOr<std::optional<v1::CompanyMarkup>> CompanyMarkupInForce(
    const StateReader& state, BusinessDate date);
// The person's hourly rate in force on `date`.
absl::StatusOr<std::optional<v1::HourlyRate>> HourlyRateInForce(
    const StateReader& state, absl::string_view person_id, BusinessDate date);

// A time-spent period's hours grouped per (person, rate's effective date),
// each group at its rate: what the pre-billing bills and what a credit note
// recomputes, from one place. `unpriced` lists "person on work_date" for
// entries whose person has no rate that day (left out of the groups);
// `overflow_person` is set when a person's hours do not add up in 64 bits
// (the groups are then incomplete and must not be billed).
struct TimeGroups {
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>>
      hours_and_rate;  // (person, rate date) -> (hours_milli, rate_micros)
  std::vector<std::pair<std::string, std::string>> unpriced;  // person, day
  std::optional<std::string> overflow_person;
};
absl::StatusOr<TimeGroups> GroupTimeEntries(const StateReader& state,
                                            absl::string_view customer_id,
                                            absl::string_view contract_ref,
                                            absl::string_view rule_id,
                                            BusinessDate from, BusinessDate to);

// Every article, index publication, company markup and hourly rate.
absl::StatusOr<v1::ReferenceData> LoadReferenceData(const StateReader& state);

}  // namespace billing
