// validate_preparations: preparations become VALIDATED and each gives its
// drafts, the whole document but its number and dates (invoice.proto).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/contracts/store.h"
#include "engine/core/events.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/internal/invoice_decide.h"
#include "engine/invoicing/invoices.h"
#include "engine/invoicing/numbering.h"
#include "engine/core/keys.h"
#include "engine/structure/structure.h"
#include "engine/usage/usage.h"
#include "absl/strings/ascii.h"

namespace billing::invoice_internal {
namespace {

namespace r = validate_preparations;

// What every draft of one validation reads.
struct DraftContext {
  const StateReader& state;
  absl::string_view customer_id;
  const v1::Issuer& issuer;
  BusinessDate date;
};

// The preparation, validatable: found, not in anomaly (every reason
// named), generated and not marked for deletion, not empty.
absl::StatusOr<v1::Preparation> Validatable(const StateReader& state,
                                            absl::string_view customer_id,
                                            absl::string_view id) {
  auto found = LoadPreparation(state, customer_id, id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return Reject(r::kPreparationNotFound,
                  absl::StrFormat("no preparation %s of customer %s",
                                  QuoteValue(id), QuoteValue(customer_id)));
  }
  const v1::Preparation& p = **found;
  if (p.status() == v1::PREPARATION_STATUS_ANOMALY || p.anomalies_size() > 0) {
    std::vector<std::string> reasons;
    for (const auto& a : p.anomalies()) reasons.push_back(a.reason());
    return Reject(r::kPreparationInAnomaly,
                  absl::StrFormat("preparation %s is in anomaly: %s; run "
                                  "again once corrected",
                                  QuoteValue(id), absl::StrJoin(reasons, "; ")));
  }
  if (p.status() != v1::PREPARATION_STATUS_GENERATED || p.deletion_pending()) {
    return Reject(r::kPreparationNotGenerated,
                  absl::StrFormat("preparation %s is %s%s: only generated "
                                  "preparations are validated",
                                  QuoteValue(id),
                                  v1::PreparationStatus_Name(p.status()),
                                  p.deletion_pending()
                                      ? ", marked for deletion"
                                      : ""));
  }
  if (p.lines_size() == 0) {
    return Reject(r::kPreparationEmpty,
                  absl::StrFormat("preparation %s has no line", QuoteValue(id)));
  }
  return **std::move(found);
}

// The line's billing family: its contract's; an ad-hoc line's is the
// preparation's.
absl::StatusOr<std::string> LineFamily(const DraftContext& c,
                                       const v1::Preparation& p,
                                       const v1::PreparationLine& line) {
  if (line.contract_ref().empty()) return p.billing_family();
  auto contract = LoadContract(c.state, p.holder_id(), line.contract_ref());
  if (!contract.ok()) return contract.status();
  if (!contract->has_value()) return p.billing_family();
  return (*contract)->billing_family();
}

// The preparation's lines by billing family: one group when the issuer
// does not split or the lines share a family.
absl::StatusOr<std::map<std::string, std::vector<int>>> FamilyGroups(
    const DraftContext& c, const v1::Preparation& p) {
  std::map<std::string, std::vector<int>> groups;
  for (int i = 0; i < p.lines_size(); ++i) {
    auto family = LineFamily(c, p, p.lines(i));
    if (!family.ok()) return family.status();
    groups[*family].push_back(i);
  }
  if (groups.size() > 1 && !c.issuer.split_by_billing_family()) {
    std::vector<int> all;
    for (int i = 0; i < p.lines_size(); ++i) all.push_back(i);
    groups.clear();
    groups[p.billing_family()] = std::move(all);
  }
  return groups;
}

absl::StatusOr<v1::DocumentParty> PartyFromCustomer(
    const StateReader& state, absl::string_view customer_id) {
  auto customer = LoadCustomer(state, customer_id);
  if (!customer.ok()) return customer.status();
  v1::DocumentParty party;
  party.set_customer_id(std::string(customer_id));
  if (!customer->has_value()) return party;
  const v1::Customer& k = **customer;
  party.set_name(k.name());
  *party.mutable_billing_address() = k.billing_address();
  party.set_vat_id(k.vat_id());
  party.set_email(k.email());
  party.set_siren(k.siren());
  if (k.has_sepa_mandate()) *party.mutable_sepa_mandate() = k.sepa_mandate();
  return party;
}

absl::Status SetParties(const DraftContext& c, const v1::Preparation& p,
                        v1::InvoiceDocument& doc) {
  const v1::InvoicedParty& ip = p.invoiced_party();
  v1::DocumentParty* invoiced = doc.mutable_invoiced();
  auto record = PartyFromCustomer(c.state, ip.customer_id());
  if (!record.ok()) return record.status();
  *invoiced = *std::move(record);
  invoiced->set_name(ip.name());
  *invoiced->mutable_billing_address() = ip.billing_address();
  invoiced->set_email(ip.email());
  invoiced->set_vat_id(ip.vat_id());
  // A preparation gathered before the fields existed: the record's.
  if (!ip.siren().empty()) invoiced->set_siren(ip.siren());
  if (ip.has_sepa_mandate()) {
    *invoiced->mutable_sepa_mandate() = ip.sepa_mandate();
  }
  doc.set_bill_to_mode(p.bill_to().mode());
  const bool post_to = p.bill_to().mode() == v1::BILL_TO_MODE_POST_TO_BILL_TO;
  const bool invoice_to =
      p.bill_to().mode() == v1::BILL_TO_MODE_INVOICE_BILL_TO;
  if (post_to || invoice_to) {
    auto ledger = PartyFromCustomer(
        c.state, post_to ? p.bill_to().party_id() : p.holder_id());
    if (!ledger.ok()) return ledger.status();
    *doc.mutable_ledger_party() = *std::move(ledger);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::DocumentLine> DocumentLineOf(
    const DraftContext& c, const v1::PreparationLine& line) {
  auto article = LoadArticle(c.state, line.article_code());
  if (!article.ok()) return article.status();
  if (!article->has_value()) {
    return Reject(r::kArticleNotFound,
                  absl::StrFormat("line %s: no article %s", QuoteValue(line.label()),
                                  QuoteValue(line.article_code())));
  }
  v1::DocumentLine out;
  out.set_source(line.source());
  out.set_article_code(line.article_code());
  // A rule without a label prints its article's.
  out.set_label(line.label().empty() ? (*article)->label() : line.label());
  out.set_period_start(line.period_start());
  out.set_period_end(line.period_end());
  out.set_quantity_milli(line.quantity_milli());
  out.set_unit_price_micros(line.unit_price_micros());
  out.set_discount_hundredths(line.assignment().discount_hundredths());
  out.set_gross_amount_minor(line.gross_amount_minor());
  out.set_discount_minor(line.discount_minor());
  out.set_net_amount_minor(line.net_amount_minor());
  out.set_vat_rate_bp((*article)->vat_rate_bp());
  out.set_entity_id(line.assignment().entity_id());
  out.set_object_id(line.object_id());
  out.set_contract_ref(line.contract_ref());
  out.set_rule_id(line.rule_id());
  if (line.has_usage()) *out.mutable_usage() = line.usage();
  if (line.has_from_reading()) *out.mutable_from_reading() = line.from_reading();
  if (line.has_to_reading()) *out.mutable_to_reading() = line.to_reading();
  out.set_carried_units_milli(line.carried_units_milli());
  out.set_own_period(line.own_period());
  return out;
}

bool SameAddress(const v1::Address& a, const v1::Address& b) {
  return SerializeDeterministic(a) == SerializeDeterministic(b);
}

// One section per entity of the document's lines, in the preparation's
// order, each with the entity's address where it differs from the
// invoiced party's.
absl::Status SetSections(const DraftContext& c, const v1::Preparation& p,
                         v1::InvoiceDocument& doc) {
  std::set<std::string> present;
  for (const auto& l : doc.lines()) present.insert(l.entity_id());
  for (const v1::PreparationSection& s : p.sections()) {
    if (!present.contains(s.entity_id())) continue;
    v1::DocumentSection* out = doc.add_sections();
    out->set_entity_id(s.entity_id());
    out->set_entity_name(s.entity_name());
    auto entity = LoadEntity(c.state, p.holder_id(), s.entity_id());
    if (!entity.ok()) return entity.status();
    if (entity->has_value() && (*entity)->has_billing_address() &&
        !SameAddress((*entity)->billing_address(),
                     doc.invoiced().billing_address())) {
      *out->mutable_service_address() = (*entity)->billing_address();
    }
  }
  return absl::OkStatus();
}


// Calls listed per document at most; beyond, the first ones and a mention.
constexpr size_t kItemizedCallsMax = 5000;

// Whether the object's account (the object itself, or its parent) holds a
// detailed-invoice option (seed 000's FACTURE DETAILLEE).
absl::StatusOr<bool> Itemized(const StateReader& state,
                              absl::string_view holder,
                              absl::string_view object_id) {
  auto object = LoadObject(state, holder, object_id);
  if (!object.ok()) return object.status();
  if (!object->has_value()) return false;
  const std::string account = (*object)->kind() == v1::OBJECT_KIND_ACCOUNT
                                  ? (*object)->object_id()
                                  : (*object)->parent_id();
  if (account.empty()) return false;
  bool detailed = false;
  const std::string prefix = ChildrenPrefix(holder, account);
  std::vector<std::string> children;
  auto s = state.Scan(prefix, "", [&](absl::string_view key, absl::string_view) {
    children.emplace_back(key.substr(prefix.size()));
    return true;
  });
  if (!s.ok()) return s;
  for (const std::string& child : children) {
    auto o = LoadObject(state, holder, child);
    if (!o.ok()) return o.status();
    detailed |= o->has_value() &&
                (*o)->option_type() == v1::OPTION_TYPE_DETAILED_INVOICE;
  }
  return detailed;
}

// "+33612345678" -> "+3361234XXXX" (CNIL: the last four digits masked).
std::string Masked(absl::string_view destination) {
  std::string out(destination);
  for (size_t i = out.size(), n = 0; i > 0 && n < 4; --i) {
    if (absl::ascii_isdigit(out[i - 1])) {
      out[i - 1] = 'X';
      ++n;
    }
  }
  return out;
}

// The rated records behind the document's usage lines, for objects whose
// account asks for a detailed invoice.
absl::Status AddItemizedCalls(const DraftContext& c, v1::InvoiceDocument& doc) {
  std::set<std::pair<std::string, std::string>> done;
  for (const v1::DocumentLine& line : doc.lines()) {
    const v1::UsageTotals& u = line.usage();
    if (line.source() != v1::LINE_SOURCE_USAGE ||
        !done.emplace(u.object_id(), u.month()).second) {
      continue;
    }
    auto itemized = Itemized(c.state, doc.holder_id(), u.object_id());
    if (!itemized.ok()) return itemized.status();
    if (!*itemized) continue;
    const size_t room = kItemizedCallsMax - doc.itemized_calls_size();
    auto records =
        RatedRecordsFor(c.state, doc.holder_id(), u.month(), u.object_id(),
                        room + 1);
    if (!records.ok()) return records.status();
    for (size_t i = 0; i < records->size() && i < room; ++i) {
      const v1::UsageRecorded& r = (*records)[i];
      v1::ItemizedCall* call = doc.add_itemized_calls();
      call->set_object_id(r.object_id());
      call->set_start_time(r.record().start_time());
      call->set_destination_masked(Masked(r.record().destination()));
      call->set_kind(r.record().kind());
      call->set_quantity(r.record().quantity());
      call->set_amount_micros(r.rated().amount_micros());
    }
    if (records->size() > room) {
      doc.add_mentions(absl::StrFormat(
          "Détail des appels limité aux %d premiers", kItemizedCallsMax));
      break;
    }
  }
  return absl::OkStatus();
}

// A payment notice prints the issuer's SEPA creditor identifier and the
// invoiced party's mandate; without them it cannot announce a debit.
absl::Status CheckDirectDebit(const DraftContext& c,
                              const v1::InvoiceDocument& doc) {
  if (doc.type() != v1::DOCUMENT_TYPE_PAYMENT_NOTICE) {
    return absl::OkStatus();
  }
  if (c.issuer.sepa_creditor_id().empty()) {
    return Reject(r::kDirectDebitDetailsMissing,
                  absl::StrFormat("preparation %s is a payment notice: "
                                  "issuer.sepa_creditor_id is not set "
                                  "(billingctl issuer set --file with "
                                  "\"sepa_creditor_id\")",
                                  QuoteValue(doc.preparation_id())));
  }
  if (!doc.invoiced().has_sepa_mandate()) {
    return Reject(
        r::kDirectDebitDetailsMissing,
        absl::StrFormat("preparation %s is a payment notice: customer %s has "
                        "no sepa_mandate (billingctl customer update --id %s "
                        "--mandate-ref ... --mandate-signed ...)",
                        QuoteValue(doc.preparation_id()),
                        QuoteValue(doc.invoiced().customer_id()),
                        doc.invoiced().customer_id()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::InvoiceDocument> Draft(const DraftContext& c,
                                          const v1::Preparation& p,
                                          const std::string& family,
                                          const std::vector<int>& lines,
                                          bool several) {
  v1::InvoiceDocument doc;
  doc.set_type(p.type() == v1::PREPARATION_TYPE_PAYMENT_NOTICE
                   ? v1::DOCUMENT_TYPE_PAYMENT_NOTICE
                   : v1::DOCUMENT_TYPE_INVOICE);
  doc.set_draft_id(several ? absl::StrCat(p.preparation_id(), "#", family)
                           : p.preparation_id());
  doc.set_preparation_id(p.preparation_id());
  doc.set_run_id(p.run_id());
  doc.set_period_start(p.period_start());
  doc.set_period_end(p.period_end());
  *doc.mutable_issuer() = c.issuer;
  doc.mutable_issuer()->clear_numbering();
  doc.set_holder_id(p.holder_id());
  doc.set_entity_id(p.entity_id());
  doc.set_delivery_mode(p.delivery_mode());
  doc.set_billing_family(family);
  doc.set_currency(p.currency());
  doc.set_draft_date(FormatBusinessDate(c.date));
  if (auto s = SetParties(c, p, doc); !s.ok()) return s;
  if (auto s = CheckDirectDebit(c, doc); !s.ok()) return s;
  std::set<std::string> contracts;
  for (int i : lines) {
    auto line = DocumentLineOf(c, p.lines(i));
    if (!line.ok()) return line.status();
    if (!line->contract_ref().empty()) contracts.insert(line->contract_ref());
    *doc.add_lines() = *std::move(line);
  }
  for (const std::string& ref : contracts) doc.add_contract_refs(ref);
  if (auto s = SetSections(c, p, doc); !s.ok()) return s;
  if (auto s = NamedIf(r::kAmountOutOfRange, TotalDocument(doc)); !s.ok()) {
    return s;
  }
  if (auto s = AddItemizedCalls(c, doc); !s.ok()) return s;
  if (auto s = NumberDraft(c.state, c.issuer, c.date, doc); !s.ok()) return s;
  return doc;
}

const v1::NumberingRule* RuleFor(const v1::Issuer& issuer,
                                 v1::DocumentType type,
                                 v1::InvoiceDeliveryMode mode) {
  const v1::NumberingRule* fallback = nullptr;
  for (const v1::NumberingRule& rule : issuer.numbering()) {
    if (rule.document_type() != type) continue;
    if (rule.delivery_mode() == mode) return &rule;
    if (rule.delivery_mode() == v1::INVOICE_DELIVERY_MODE_UNSPECIFIED) {
      fallback = &rule;
    }
  }
  return fallback;
}

absl::StatusOr<NumberingValues> ValuesOf(const StateReader& state,
                                         BusinessDate date,
                                         const v1::InvoiceDocument& doc) {
  NumberingValues v;
  v.issue_date = date;
  v.invoice_type = doc.type() == v1::DOCUMENT_TYPE_PAYMENT_NOTICE ? "NOTICE"
                   : doc.type() == v1::DOCUMENT_TYPE_CREDIT_NOTE ? "CREDIT_NOTE"
                                                                 : "INVOICE";
  v.customer_code = doc.invoiced().customer_id();
  v.customer_name = doc.invoiced().name();
  v.billing_family = doc.billing_family();
  v.billing_family_label = doc.billing_family();
  v.entity_id = doc.entity_id();
  for (const auto& s : doc.sections()) {
    if (s.entity_id() == doc.entity_id()) v.entity_name = s.entity_name();
  }
  std::string site;
  for (const auto& ref : doc.contract_refs()) {
    auto contract = LoadContract(state, doc.holder_id(), ref);
    if (!contract.ok()) return contract.status();
    if (contract->has_value() && site.empty()) site = (*contract)->site_code();
  }
  v.site_code = site;
  v.site_name = site;
  return v;
}

struct NumberParts {
  std::string prefix;
  std::string suffix;
};

// The text before and after the seq in the numbers of the series: the
// numbers of seq 1 and 2 differ in that one character only.
absl::StatusOr<NumberParts> SplitNumber(const NumberingTemplate& t,
                                        const NumberingValues& values) {
  auto one = RenderNumber(t, values, 1, 0);
  if (!one.ok()) return one.status();
  auto two = RenderNumber(t, values, 2, 0);
  if (!two.ok()) return two.status();
  size_t i = 0;
  while (i < one->size() && (*one)[i] == (*two)[i]) ++i;
  return NumberParts{one->substr(0, i), one->substr(i + 1)};
}

}  // namespace

absl::Status NumberDraft(const StateReader& state, const v1::Issuer& issuer,
                         BusinessDate date, v1::InvoiceDocument& doc) {
  const v1::NumberingRule* rule =
      RuleFor(issuer, doc.type(), doc.delivery_mode());
  if (rule == nullptr) {
    return absl::InternalError("the issuer has no default numbering rule");
  }
  auto parsed = ParseNumberingTemplate(rule->template_());
  if (!parsed.ok()) return parsed.status();
  auto values = ValuesOf(state, date, doc);
  if (!values.ok()) return values.status();
  auto parts = SplitNumber(*parsed, *values);
  if (!parts.ok()) {
    return Reject(r::kNumberTooLong,
                  absl::StrFormat("draft %s: %s", QuoteValue(doc.draft_id()),
                                  parts.status().message()));
  }
  doc.set_series(SeriesOf(*parsed, *values));
  doc.set_number_prefix(parts->prefix);
  doc.set_number_suffix(parts->suffix);
  doc.set_seq_digits(rule->seq_digits());
  // The longest a seq can be written: 20 digits (uint64).
  const size_t longest = parts->prefix.size() + parts->suffix.size() +
                         std::max<size_t>(20, rule->seq_digits());
  if (longest > kDocumentNumberLengthMax) {
    return Reject(r::kNumberTooLong,
                  absl::StrFormat("draft %s: its number %s could be %d "
                                  "bytes, more than %d (numbering template %s)",
                                  QuoteValue(doc.draft_id()),
                                  QuoteValue(doc.series()), longest,
                                  kDocumentNumberLengthMax,
                                  QuoteValue(rule->template_())));
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::vector<v1::InvoiceDocument>> DraftsOf(
    const DraftContext& c, const v1::Preparation& p) {
  auto groups = FamilyGroups(c, p);
  if (!groups.ok()) return groups.status();
  std::vector<v1::InvoiceDocument> out;
  for (const auto& [family, lines] : *groups) {
    auto doc = Draft(c, p, family, lines, groups->size() > 1);
    if (!doc.ok()) return doc.status();
    out.push_back(*std::move(doc));
  }
  return out;
}

}  // namespace

absl::StatusOr<Events> DecideValidatePreparations(
    const StateReader& state, absl::string_view customer_id,
    const v1::ValidatePreparations& command, BusinessDate business_date) {
  if (auto s = NamedIf(r::kCustomerIdInvalid,
                       ValidateCode("customer_id", customer_id,
                                    limits::kCodeLengthMax));
      !s.ok()) {
    return s;
  }
  auto customer = LoadCustomer(state, customer_id);
  if (!customer.ok()) return customer.status();
  if (!customer->has_value()) {
    return Reject(r::kCustomerNotFound,
                  absl::StrFormat("customer_id: no customer %s",
                                  QuoteValue(customer_id)));
  }
  if (auto s = CheckPreparationIds(command.preparation_ids()); !s.ok()) {
    return s;
  }
  auto issuer = LoadIssuer(state);
  if (!issuer.ok()) return issuer.status();
  if (!issuer->has_value()) {
    return Reject(r::kIssuerNotSet,
                  "no issuing company is set: set_issuer first (billingctl "
                  "issuer set)");
  }
  DraftContext c{state, customer_id, **issuer, business_date};
  v1::EventEnvelope e =
      NewEvent(kPreparationsValidatedType, customer_id, business_date);
  v1::PreparationsValidated* body =
      e.mutable_invoice()->mutable_preparations_validated();
  OverlayState billed(&state);
  for (const std::string& id : command.preparation_ids()) {
    auto p = Validatable(state, customer_id, id);
    if (!p.ok()) return p.status();
    auto drafts = DraftsOf(c, *p);
    if (!drafts.ok()) return drafts.status();
    for (v1::InvoiceDocument& d : *drafts) {
      if (auto s = CheckRulesBillable(billed, customer_id, d, business_date);
          !s.ok()) {
        return s;
      }
      *body->add_drafts() = std::move(d);
    }
    body->add_preparation_ids(id);
  }
  return Events{std::move(e)};
}

}  // namespace billing::invoice_internal
