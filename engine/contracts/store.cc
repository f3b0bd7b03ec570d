#include "engine/contracts/store.h"

#include "engine/core/keys.h"

namespace billing {
namespace {

// The last message under `prefix` whose key suffix (a "YYYY-MM-DD" date)
// is on or before `date`. Keys sort by date, so the scan stops at the first
// later one.
template <typename M>
absl::StatusOr<std::optional<M>> LatestDatedOnOrBefore(
    const StateReader& state, const std::string& prefix, BusinessDate date) {
  const std::string last_key = prefix + FormatBusinessDate(date);
  std::optional<M> found;
  absl::Status s = ForEachKeyedMessage<M>(
      state, prefix, "",
      [&](absl::string_view key, M m) -> absl::StatusOr<bool> {
        if (key > last_key) return false;
        found = std::move(m);
        return true;
      });
  if (!s.ok()) return s;
  return found;
}

template <typename M>
absl::StatusOr<std::vector<M>> EntriesBetween(const StateReader& state,
                                              const std::string& prefix,
                                              BusinessDate from,
                                              BusinessDate to) {
  // Keys are <prefix><date>/<position>: every key of `from` sorts after
  // <prefix><from>, every key of an earlier day before it; stop at the first
  // key past `to`.
  const std::string first = prefix + FormatBusinessDate(from);
  const std::string past = prefix + FormatBusinessDate(to + 1);
  std::vector<M> out;
  absl::Status s = ForEachKeyedMessage<M>(
      state, prefix, first,
      [&](absl::string_view key, M m) -> absl::StatusOr<bool> {
        if (key >= past) return false;
        out.push_back(std::move(m));
        return true;
      });
  if (!s.ok()) return s;
  return out;
}

}  // namespace

absl::StatusOr<std::optional<v1::Contract>> LoadContract(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref) {
  return GetMessage<v1::Contract>(state,
                                  ContractKey(customer_id, contract_ref));
}

absl::StatusOr<std::vector<v1::Contract>> ListContracts(
    const StateReader& state, absl::string_view customer_id) {
  return ListMessages<v1::Contract>(
      state, CustomerFamilyPrefix(kContractPrefix, customer_id));
}

absl::StatusOr<std::optional<v1::BillingRule>> LoadRule(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id) {
  return GetMessage<v1::BillingRule>(
      state, RuleKey(customer_id, contract_ref, rule_id));
}

absl::StatusOr<std::vector<v1::BillingRule>> ListRules(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref) {
  return ListMessages<v1::BillingRule>(
      state, ContractRulesPrefix(customer_id, contract_ref));
}

absl::StatusOr<std::optional<v1::MeterState>> LoadMeter(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id) {
  return GetMessage<v1::MeterState>(state, MeterKey(customer_id, object_id));
}

absl::StatusOr<std::vector<v1::Reading>> ListReadings(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id) {
  return ListMessages<v1::Reading>(state,
                                   ReadingsPrefix(customer_id, object_id));
}

absl::StatusOr<std::vector<v1::WorkUnits>> ListWorkUnits(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id,
    BusinessDate from, BusinessDate to) {
  return EntriesBetween<v1::WorkUnits>(
      state,
      RuleEntriesPrefix(kWorkUnitsPrefix, customer_id, contract_ref, rule_id),
      from, to);
}

absl::StatusOr<std::vector<v1::TimeEntry>> ListTimeEntries(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view contract_ref, absl::string_view rule_id,
    BusinessDate from, BusinessDate to) {
  return EntriesBetween<v1::TimeEntry>(
      state,
      RuleEntriesPrefix(kTimeEntryPrefix, customer_id, contract_ref, rule_id),
      from, to);
}

absl::StatusOr<std::optional<v1::Job>> LoadJob(const StateReader& state,
                                               absl::string_view customer_id,
                                               absl::string_view job_id) {
  return GetMessage<v1::Job>(state, JobKey(customer_id, job_id));
}

absl::StatusOr<std::optional<v1::Article>> LoadArticle(
    const StateReader& state, absl::string_view article_code) {
  return GetMessage<v1::Article>(state, ArticleKey(article_code));
}

absl::StatusOr<std::optional<v1::IndexPublication>> LatestIndexOnOrBefore(
    const StateReader& state, absl::string_view index_code, BusinessDate date) {
  return LatestDatedOnOrBefore<v1::IndexPublication>(
      state, IndexPublicationsPrefix(index_code), date);
}

absl::StatusOr<std::optional<v1::CompanyMarkup>> CompanyMarkupInForce(
    const StateReader& state, BusinessDate date) {
  return LatestDatedOnOrBefore<v1::CompanyMarkup>(
      state, std::string(kCompanyMarkupPrefix), date);
}

absl::StatusOr<std::optional<v1::HourlyRate>> HourlyRateInForce(
    const StateReader& state, absl::string_view person_id, BusinessDate date) {
  return LatestDatedOnOrBefore<v1::HourlyRate>(
      state, HourlyRatesPrefix(person_id), date);
}

absl::StatusOr<TimeGroups> GroupTimeEntries(const StateReader& state,
                                            absl::string_view customer_id,
                                            absl::string_view contract_ref,
                                            absl::string_view rule_id,
                                            BusinessDate from, BusinessDate to) {
  auto entries =
      ListTimeEntries(state, customer_id, contract_ref, rule_id, from, to);
  if (!entries.ok()) return entries.status();
  TimeGroups out;
  for (const v1::TimeEntry& e : *entries) {
    auto day = ParseBusinessDate(e.work_date(), "work_date");
    if (!day.ok()) return day.status();
    auto rate = HourlyRateInForce(state, e.person_id(), *day);
    if (!rate.ok()) return rate.status();
    if (!rate->has_value()) {
      out.unpriced.emplace_back(e.person_id(), e.work_date());
      continue;
    }
    auto& g = out.hours_and_rate[{e.person_id(), (*rate)->effective_date()}];
    if (__builtin_add_overflow(g.first, e.hours_milli(), &g.first)) {
      out.overflow_person = e.person_id();
      return out;
    }
    g.second = (*rate)->rate_micros();
  }
  return out;
}

absl::StatusOr<v1::ReferenceData> LoadReferenceData(const StateReader& state) {
  v1::ReferenceData out;
  absl::Status s =
      ScanMessages<v1::Article>(state, kArticlePrefix, [&](v1::Article m) {
        *out.add_articles() = std::move(m);
        return true;
      });
  if (s.ok()) {
    s = ScanMessages<v1::IndexPublication>(
        state, kIndexPublicationPrefix, [&](v1::IndexPublication m) {
          *out.add_index_publications() = std::move(m);
          return true;
        });
  }
  if (s.ok()) {
    s = ScanMessages<v1::CompanyMarkup>(
        state, kCompanyMarkupPrefix, [&](v1::CompanyMarkup m) {
          *out.add_company_markups() = std::move(m);
          return true;
        });
  }
  if (s.ok()) {
    s = ScanMessages<v1::HourlyRate>(state, kHourlyRatePrefix,
                                     [&](v1::HourlyRate m) {
                                       *out.add_hourly_rates() = std::move(m);
                                       return true;
                                     });
  }
  if (!s.ok()) return s;
  return out;
}

}  // namespace billing
