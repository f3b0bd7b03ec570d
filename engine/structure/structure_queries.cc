// The structure's queries: entities, objects, their assignment history and
// where an object is invoiced, as the services answer them.

#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/keys.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/structure/internal/structure_internal.h"
#include "engine/structure/structure.h"

namespace billing {
namespace structure_internal {

absl::Status NotFoundIn(absl::string_view field, absl::string_view what,
                        absl::string_view id, absl::string_view customer_id) {
  return absl::NotFoundError(absl::StrFormat("%s: %s is not %s of customer %s",
                                             field, QuoteValue(id), what,
                                             QuoteValue(customer_id)));
}

absl::StatusOr<v1::BillingEntity> MustEntity(const StateReader& state,
                                             absl::string_view customer_id,
                                             absl::string_view entity_id) {
  auto e = LoadEntity(state, customer_id, entity_id);
  if (!e.ok()) return e.status();
  if (!e->has_value()) {
    return absl::DataLossError(
        absl::StrFormat("entity %s does not exist", QuoteValue(entity_id)));
  }
  return **e;
}

absl::StatusOr<v1::BillableObject> MustObject(const StateReader& state,
                                              absl::string_view customer_id,
                                              absl::string_view object_id) {
  auto o = LoadObject(state, customer_id, object_id);
  if (!o.ok()) return o.status();
  if (!o->has_value()) {
    return absl::DataLossError(
        absl::StrFormat("object %s does not exist", QuoteValue(object_id)));
  }
  return **o;
}

absl::StatusOr<std::optional<v1::BillingEntity>> FindMainEntity(
    const StateReader& state, absl::string_view customer_id) {
  auto entities = ListEntities(state, customer_id);
  if (!entities.ok()) return entities.status();
  for (auto& e : *entities) {
    if (e.main()) return std::optional<v1::BillingEntity>(std::move(e));
  }
  return std::optional<v1::BillingEntity>();
}

absl::Status ForEachObject(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view after_id,
    const std::function<absl::StatusOr<bool>(v1::BillableObject)>& visit) {
  return ForEachMessage<v1::BillableObject>(
      state, CustomerFamilyPrefix(kObjectPrefix, customer_id),
      after_id.empty() ? std::string() : ObjectKey(customer_id, after_id),
      visit);
}

}  // namespace structure_internal

namespace {

using structure_internal::ForEachObject;
using structure_internal::MustObject;
using structure_internal::NotFoundIn;

// NotFound from an as-of lookup, prefixed with the request field that asked.
absl::Status NotFoundFor(const absl::Status& s, absl::string_view field) {
  if (s.ok() || s.code() != absl::StatusCode::kNotFound) return s;
  return absl::NotFoundError(absl::StrCat(field, ": ", s.message()));
}

// The latest assignment (the one the state holds as current), with the
// history line that gives it.
absl::StatusOr<v1::AssignmentChange> LatestAssignment(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id) {
  return AssignmentAtOffset(state, customer_id, object_id,
                            std::numeric_limits<int64_t>::max());
}

absl::StatusOr<v1::AssignmentChange> ChangeAsOf(const StateReader& state,
                                                absl::string_view customer_id,
                                                absl::string_view object_id,
                                                const ObjectAsOfQuery& query) {
  switch (query.as) {
    case ObjectAsOfQuery::As::kMonth: {
      auto month = ParseBillingMonth(query.month, "month");
      if (!month.ok()) return month.status();
      auto change = AssignmentForMonth(state, customer_id, object_id, *month);
      if (!change.ok()) return NotFoundFor(change.status(), "month");
      return change;
    }
    case ObjectAsOfQuery::As::kLogOffset: {
      if (query.log_offset < -1) {
        return FieldError("log_offset",
                          absl::StrFormat("%d is below -1 (-1: before "
                                          "anything)",
                                          query.log_offset));
      }
      auto change =
          AssignmentAtOffset(state, customer_id, object_id, query.log_offset);
      if (!change.ok()) return NotFoundFor(change.status(), "log_offset");
      return change;
    }
    case ObjectAsOfQuery::As::kLatest:
      break;
  }
  return LatestAssignment(state, customer_id, object_id);
}

// The assignment `filter` lists `object` with; nullopt when it is not
// listed (another kind or entity, or created after the month).
absl::StatusOr<std::optional<v1::AssignmentChange>> ListedChange(
    const StateReader& state, absl::string_view customer_id,
    const ObjectFilter& filter, const v1::BillableObject& object) {
  using Listed = std::optional<v1::AssignmentChange>;
  if (filter.kind != v1::OBJECT_KIND_UNSPECIFIED &&
      object.kind() != filter.kind) {
    return Listed();
  }
  absl::StatusOr<v1::AssignmentChange> change =
      filter.month.has_value()
          ? AssignmentForMonth(state, customer_id, object.object_id(),
                               *filter.month)
          : LatestAssignment(state, customer_id, object.object_id());
  // Not billed in that month: created later; not listed.
  if (filter.month.has_value() && absl::IsNotFound(change.status())) {
    return Listed();
  }
  if (!change.ok()) return change.status();
  if (!filter.entity_id.empty() &&
      change->assignment().entity_id() != filter.entity_id) {
    return Listed();
  }
  return Listed(std::move(*change));
}

}  // namespace

absl::StatusOr<std::optional<v1::BillingEntity>> LoadEntity(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view entity_id) {
  return GetMessage<v1::BillingEntity>(state,
                                       EntityKey(customer_id, entity_id));
}

absl::StatusOr<std::vector<v1::BillingEntity>> ListEntities(
    const StateReader& state, absl::string_view customer_id) {
  return ScanMessages<v1::BillingEntity>(
      state, CustomerFamilyPrefix(kEntityPrefix, customer_id));
}

absl::StatusOr<std::optional<v1::BillableObject>> LoadObject(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id) {
  return GetMessage<v1::BillableObject>(state,
                                        ObjectKey(customer_id, object_id));
}

absl::StatusOr<v1::BillableObject> RequireObject(const StateReader& state,
                                                 absl::string_view customer_id,
                                                 absl::string_view object_id) {
  if (auto s = ValidateObjectId("object_id", object_id); !s.ok()) return s;
  auto object = LoadObject(state, customer_id, object_id);
  if (!object.ok()) return object.status();
  if (!object->has_value()) {
    return NotFoundIn("object_id", "an object", object_id, customer_id);
  }
  return std::move(**object);
}

absl::StatusOr<ObjectAsOf> ObjectAt(const StateReader& state,
                                    absl::string_view customer_id,
                                    absl::string_view object_id,
                                    const ObjectAsOfQuery& query) {
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  auto object = RequireObject(state, customer_id, object_id);
  if (!object.ok()) return object.status();
  auto change = ChangeAsOf(state, customer_id, object_id, query);
  if (!change.ok()) return change.status();
  return ObjectAsOf{std::move(*object), std::move(*change)};
}

absl::StatusOr<ObjectFilter> CheckObjectFilter(const StateReader& state,
                                               absl::string_view customer_id,
                                               v1::ObjectKind kind,
                                               absl::string_view entity_id,
                                               absl::string_view month) {
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  if (!v1::ObjectKind_IsValid(kind)) {
    return FieldError("kind", absl::StrFormat("%d is not an object kind",
                                              static_cast<int>(kind)));
  }
  ObjectFilter filter;
  filter.kind = kind;
  if (!entity_id.empty()) {
    if (auto s = ValidateCode("entity_id", entity_id, limits::kCodeLengthMax);
        !s.ok()) {
      return s;
    }
    auto entity = LoadEntity(state, customer_id, entity_id);
    if (!entity.ok()) return entity.status();
    if (!entity->has_value()) {
      return NotFoundIn("entity_id", "a billing entity", entity_id,
                        customer_id);
    }
    filter.entity_id = std::string(entity_id);
  }
  if (!month.empty()) {
    auto m = ParseBillingMonth(month, "month");
    if (!m.ok()) return m.status();
    filter.month = *m;
  }
  return filter;
}

absl::StatusOr<ObjectPage> ListObjectPage(const StateReader& state,
                                          absl::string_view customer_id,
                                          const ObjectFilter& filter,
                                          absl::string_view after_id,
                                          size_t page_size) {
  ObjectPage page;
  absl::Status s = ForEachObject(
      state, customer_id, after_id,
      [&](v1::BillableObject object) -> absl::StatusOr<bool> {
        auto change = ListedChange(state, customer_id, filter, object);
        if (!change.ok()) return change.status();
        if (!change->has_value()) return true;
        if (page.objects.size() == page_size) {
          page.more = true;
          return false;
        }
        page.objects.push_back({std::move(object), std::move(**change)});
        return true;
      });
  if (!s.ok()) return s;
  return page;
}

absl::StatusOr<std::vector<v1::AssignmentChange>> ObjectHistory(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id) {
  return ScanMessages<v1::AssignmentChange>(
      state, ObjectHistoryPrefix(customer_id, object_id));
}

absl::StatusOr<v1::AssignmentChange> AssignmentForMonth(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id, BillingMonth month) {
  auto history = ObjectHistory(state, customer_id, object_id);
  if (!history.ok()) return history.status();
  const std::string wanted = FormatBillingMonth(month);
  const v1::AssignmentChange* best = nullptr;
  // History is in log order: among the changes of the latest month not after
  // `wanted`, the last one in the log wins.
  for (const auto& c : *history) {
    if (c.effective_month() > wanted) continue;
    if (best == nullptr || c.effective_month() >= best->effective_month()) {
      best = &c;
    }
  }
  if (best == nullptr) {
    return absl::NotFoundError(absl::StrFormat(
        "object %s of customer %s was not billed in %s (it did not exist "
        "yet)",
        QuoteValue(object_id), QuoteValue(customer_id), wanted));
  }
  return *best;
}

absl::StatusOr<v1::AssignmentChange> AssignmentAtOffset(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id, int64_t offset) {
  auto history = ObjectHistory(state, customer_id, object_id);
  if (!history.ok()) return history.status();
  // What the state said after the record at `offset`: replay the changes up
  // to it the way Apply does (a backdated change does not move the latest).
  const v1::AssignmentChange* current = nullptr;
  for (const auto& c : *history) {
    if (c.position().offset() > offset) break;
    if (current == nullptr ||
        c.effective_month() >= current->effective_month()) {
      current = &c;
    }
  }
  if (current == nullptr) {
    return absl::NotFoundError(absl::StrFormat(
        "object %s of customer %s did not exist at log offset %d",
        QuoteValue(object_id), QuoteValue(customer_id), offset));
  }
  return *current;
}

absl::StatusOr<ResolvedBillingDetails> ResolveBillingDetails(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id) {
  auto customer = LoadCustomer(state, customer_id);
  if (!customer.ok()) return customer.status();
  if (!customer->has_value()) {
    return absl::NotFoundError(absl::StrFormat("customer_id: %s does not exist",
                                               QuoteValue(customer_id)));
  }
  auto object = LoadObject(state, customer_id, object_id);
  if (!object.ok()) return object.status();
  if (!object->has_value()) {
    return NotFoundIn("object_id", "an object", object_id, customer_id);
  }
  ResolvedBillingDetails out;
  out.billing_address = (*customer)->billing_address();
  out.email = (*customer)->email();
  out.source = "customer";
  std::string account_id = (*object)->kind() == v1::OBJECT_KIND_ACCOUNT
                               ? (*object)->object_id()
                               : (*object)->parent_id();
  if (account_id.empty()) return out;
  auto account = MustObject(state, customer_id, account_id);
  if (!account.ok()) return account.status();
  std::string source = "account";
  if (account->account().group_role() == v1::GROUP_ROLE_MEMBER) {
    auto head =
        MustObject(state, customer_id, account->account().group_head_id());
    if (!head.ok()) return head.status();
    account = std::move(head);
    source = "group_head";
  }
  out.invoice_account_id = account->object_id();
  const v1::AccountDetails& d = account->account();
  if (!d.billing_address().city().empty()) {
    out.billing_address = d.billing_address();
    out.source = source;
  }
  if (!d.email().empty()) {
    out.email = d.email();
    out.source = source;
  }
  if (source == "group_head") out.source = source;
  return out;
}

}  // namespace billing
