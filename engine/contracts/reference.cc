// Reference data, partition "@reference": articles, index publications,
// the company markup and hourly rates.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/contracts.h"
#include "engine/contracts/decide_support.h"
#include "engine/contracts/limits.h"
#include "engine/contracts/store.h"
#include "engine/core/keys.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"

namespace billing::contracts_internal {
namespace {

constexpr int32_t kVatRateBpMax = 10'000;

}  // namespace

absl::StatusOr<Events> DecideDefineArticle(const StateReader& state,
                                           absl::string_view partition,
                                           const v1::DefineArticle& cmd,
                                           BusinessDate business_date) {
  namespace r = define_article;
  const v1::Article& a = cmd.article();
  if (auto s = Named(r::kArticleCodeInvalid,
                     Code("article.article_code", a.article_code()));
      !s.ok()) {
    return s;
  }
  if (auto s = Named(r::kLabelInvalid, ValidateText("article.label", a.label(),
                                                    1, kTextLengthMax));
      !s.ok()) {
    return s;
  }
  if (a.vat_rate_bp() < 0 || a.vat_rate_bp() > kVatRateBpMax) {
    return Reject(r::kVatRateInvalid,
                  absl::StrFormat("article.vat_rate_bp: %d is not between 0 "
                                  "and %d basis points (0 %% to 100 %%)",
                                  a.vat_rate_bp(), kVatRateBpMax));
  }
  auto existing = LoadArticle(state, a.article_code());
  if (!existing.ok()) return existing.status();
  v1::EventEnvelope e = NewEvent(kArticleDefinedType, partition,
                                 FormatBusinessDate(business_date));
  v1::Article* out =
      e.mutable_contract()->mutable_article_defined()->mutable_article();
  out->set_article_code(a.article_code());
  out->set_label(a.label());
  out->set_vat_rate_bp(a.vat_rate_bp());
  out->set_version(existing->has_value() ? (*existing)->version() + 1 : 1);
  return One(std::move(e));
}

absl::StatusOr<Events> DecidePublishIndex(const StateReader& state,
                                          absl::string_view partition,
                                          const v1::PublishIndex& cmd) {
  namespace r = publish_index;
  const v1::IndexPublication& p = cmd.publication();
  if (auto s = Named(r::kIndexCodeInvalid,
                     Code("publication.index_code", p.index_code()));
      !s.ok()) {
    return s;
  }
  auto date = NamedIf(
      r::kDateInvalid,
      RequiredDate("publication.publication_date", p.publication_date()));
  if (!date.ok()) return date.status();
  if (p.value_micros() <= 0) {
    return Reject(r::kValueInvalid, absl::StrCat("publication.value_micros: ",
                                                 FormatMicros(p.value_micros()),
                                                 " is not positive"));
  }
  if (auto s =
          Named(r::kValueInvalid, AtMost("publication.value_micros",
                                         p.value_micros(), kIndexMicrosMax));
      !s.ok()) {
    return s;
  }
  auto existing = GetMessage<v1::IndexPublication>(
      state, IndexPublicationKey(p.index_code(), p.publication_date()));
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Reject(
        r::kAlreadyPublished,
        absl::StrFormat("publication.publication_date: index %s already has "
                        "a value for %s (%s)",
                        QuoteValue(p.index_code()), p.publication_date(),
                        FormatMicros((*existing)->value_micros())));
  }
  v1::EventEnvelope e =
      NewEvent(kIndexPublishedType, partition, p.publication_date());
  *e.mutable_contract()->mutable_index_published()->mutable_publication() = p;
  return One(std::move(e));
}

absl::StatusOr<Events> DecideSetCompanyMarkup(absl::string_view partition,
                                              const v1::SetCompanyMarkup& cmd) {
  namespace r = set_company_markup;
  const v1::CompanyMarkup& m = cmd.markup();
  auto date = NamedIf(r::kDateInvalid, RequiredDate("markup.effective_date",
                                                    m.effective_date()));
  if (!date.ok()) return date.status();
  if (auto s = Named(r::kPercentInvalid,
                     Percent("markup.percent_bp", m.percent_bp(), 0));
      !s.ok()) {
    return s;
  }
  v1::EventEnvelope e =
      NewEvent(kCompanyMarkupSetType, partition, m.effective_date());
  *e.mutable_contract()->mutable_company_markup_set()->mutable_markup() = m;
  return One(std::move(e));
}

absl::StatusOr<Events> DecideSetHourlyRate(absl::string_view partition,
                                           const v1::SetHourlyRate& cmd) {
  namespace r = set_hourly_rate;
  const v1::HourlyRate& rate = cmd.rate();
  if (auto s =
          Named(r::kPersonIdInvalid, Code("rate.person_id", rate.person_id()));
      !s.ok()) {
    return s;
  }
  auto date = NamedIf(r::kDateInvalid, RequiredDate("rate.effective_date",
                                                    rate.effective_date()));
  if (!date.ok()) return date.status();
  if (auto s =
          Named(r::kRateInvalid,
                NotNegativeMicrosAtMost("rate.rate_micros", rate.rate_micros(),
                                        kUnitPriceMicrosMax));
      !s.ok()) {
    return s;
  }
  v1::EventEnvelope e =
      NewEvent(kHourlyRateSetType, partition, rate.effective_date());
  *e.mutable_contract()->mutable_hourly_rate_set()->mutable_rate() = rate;
  return One(std::move(e));
}

}  // namespace billing::contracts_internal
