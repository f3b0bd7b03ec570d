#include "engine/structure/structure.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/customer/customer.h"
#include "engine/core/events.h"
#include "engine/core/keys.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

using limits::kEntityIdLengthMax;
using limits::kEntityNameLengthMax;
using limits::kObjectLabelLengthMax;

constexpr absl::string_view kEntityCreatedType = "structure.entity_created";
constexpr absl::string_view kMainEntityChangedType =
    "structure.main_entity_changed";
constexpr absl::string_view kEntityInvoicedSeparatelyChangedType =
    "structure.entity_invoiced_separately_changed";
constexpr absl::string_view kObjectCreatedType = "structure.object_created";
constexpr absl::string_view kAccountGroupChangedType =
    "structure.account_group_changed";
constexpr absl::string_view kObjectsReassignedType =
    "structure.objects_reassigned";

absl::Status NotFoundIn(absl::string_view field, absl::string_view what,
                        absl::string_view id, absl::string_view customer_id) {
  return absl::NotFoundError(absl::StrFormat("%s: %s is not %s of customer %s",
                                             field, QuoteValue(id), what,
                                             QuoteValue(customer_id)));
}

absl::Status ValidateE164(absl::string_view field, absl::string_view number) {
  bool ok = number.size() >= 9 && number.size() <= 16 && number[0] == '+' &&
            number[1] != '0';
  for (size_t i = 1; ok && i < number.size(); ++i) {
    ok = absl::ascii_isdigit(static_cast<unsigned char>(number[i]));
  }
  if (!ok) {
    return FieldError(field, absl::StrFormat("%s is not an E.164 number (\"+\" "
                                             "then 8 to 15 digits, e.g. "
                                             "+33142680000)",
                                             QuoteValue(number)));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::BillingEntity> RequireEntity(const StateReader& state,
                                                absl::string_view customer_id,
                                                absl::string_view entity_id,
                                                absl::string_view field) {
  if (auto s = ValidateCode(field, entity_id, kEntityIdLengthMax); !s.ok()) {
    return s;
  }
  auto entity = LoadEntity(state, customer_id, entity_id);
  if (!entity.ok()) return entity.status();
  if (!entity->has_value()) {
    return NotFoundIn(field, "a billing entity", entity_id, customer_id);
  }
  return **entity;
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

// Every object of the customer, by object_id.
absl::Status ForEachObject(
    const StateReader& state, absl::string_view customer_id,
    const std::function<absl::Status(v1::BillableObject)>& visit) {
  const std::string prefix = CustomerFamilyPrefix(kObjectPrefix, customer_id);
  absl::Status inner;
  absl::Status s = state.Scan(
      prefix, "", [&](absl::string_view key, absl::string_view value) {
        v1::BillableObject o;
        if (!o.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          inner = CorruptState(key, "billing.v1.BillableObject");
          return false;
        }
        inner = visit(std::move(o));
        return inner.ok();
      });
  return s.ok() ? inner : s;
}

absl::Status CollectSubtree(const StateReader& state,
                            absl::string_view customer_id,
                            absl::string_view root,
                            std::vector<std::string>* out) {
  out->emplace_back(root);
  std::vector<std::string> children;
  const std::string prefix = ChildrenPrefix(customer_id, root);
  absl::Status s =
      state.Scan(prefix, "", [&](absl::string_view key, absl::string_view) {
        children.emplace_back(key.substr(prefix.size()));
        return true;
      });
  if (!s.ok()) return s;
  for (const auto& child : children) {
    if (out->size() > static_cast<size_t>(kReassignObjectsMax)) break;
    if (auto c = CollectSubtree(state, customer_id, child, out); !c.ok()) {
      return c;
    }
  }
  return absl::OkStatus();
}

// --- commands ---

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideCreateEntity(
    const StateReader& state, absl::string_view customer_id,
    const v1::CreateBillingEntity& command, BusinessDate date) {
  const v1::BillingEntity& given = command.entity();
  if (auto s = ValidateCode("entity.entity_id", given.entity_id(),
                            kEntityIdLengthMax);
      !s.ok()) {
    return s;
  }
  if (auto s =
          ValidateText("entity.name", given.name(), 1, kEntityNameLengthMax);
      !s.ok()) {
    return s;
  }
  if (auto s =
          ValidateAddress(given.billing_address(), "entity.billing_address");
      !s.ok()) {
    return s;
  }
  if (!given.email().empty()) {
    if (auto s = ValidateEmail("entity.email", given.email()); !s.ok()) {
      return s;
    }
  }
  auto existing = LoadEntity(state, customer_id, given.entity_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(absl::StrFormat(
        "entity.entity_id: %s already exists for customer %s",
        QuoteValue(given.entity_id()), QuoteValue(customer_id)));
  }
  auto main = FindMainEntity(state, customer_id);
  if (!main.ok()) return main.status();

  std::vector<v1::EventEnvelope> events;
  v1::EventEnvelope created = NewEvent(kEntityCreatedType, customer_id, date);
  v1::BillingEntity* e =
      created.mutable_structure()->mutable_entity_created()->mutable_entity();
  e->set_entity_id(given.entity_id());
  e->set_name(given.name());
  *e->mutable_billing_address() = given.billing_address();
  e->set_email(given.email());
  e->set_main(false);  // made main by the event below, one rule for both
  e->set_invoiced_separately(given.invoiced_separately());
  e->set_created_on(FormatBusinessDate(date));
  events.push_back(std::move(created));
  if (given.main() || !main->has_value()) {
    v1::EventEnvelope changed =
        NewEvent(kMainEntityChangedType, customer_id, date);
    auto* c = changed.mutable_structure()->mutable_main_entity_changed();
    c->set_entity_id(given.entity_id());
    if (main->has_value()) c->set_previous_entity_id((*main)->entity_id());
    events.push_back(std::move(changed));
  }
  return events;
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideSetMainEntity(
    const StateReader& state, absl::string_view customer_id,
    const v1::SetMainEntity& command, BusinessDate date) {
  auto entity =
      RequireEntity(state, customer_id, command.entity_id(), "entity_id");
  if (!entity.ok()) return entity.status();
  auto main = FindMainEntity(state, customer_id);
  if (!main.ok()) return main.status();
  v1::EventEnvelope changed =
      NewEvent(kMainEntityChangedType, customer_id, date);
  auto* c = changed.mutable_structure()->mutable_main_entity_changed();
  c->set_entity_id(command.entity_id());
  if (main->has_value()) c->set_previous_entity_id((*main)->entity_id());
  return std::vector<v1::EventEnvelope>{std::move(changed)};
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideSetInvoicedSeparately(
    const StateReader& state, absl::string_view customer_id,
    const v1::SetEntityInvoicedSeparately& command, BusinessDate date) {
  auto entity =
      RequireEntity(state, customer_id, command.entity_id(), "entity_id");
  if (!entity.ok()) return entity.status();
  v1::EventEnvelope changed =
      NewEvent(kEntityInvoicedSeparatelyChangedType, customer_id, date);
  auto* c =
      changed.mutable_structure()->mutable_entity_invoiced_separately_changed();
  c->set_entity_id(command.entity_id());
  c->set_invoiced_separately(command.invoiced_separately());
  return std::vector<v1::EventEnvelope>{std::move(changed)};
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideCreateObject(
    const StateReader& state, absl::string_view customer_id,
    const v1::CreateObject& command, BusinessDate date) {
  const v1::BillableObject& given = command.object();
  if (auto s = ValidateObjectId("object.object_id", given.object_id());
      !s.ok()) {
    return s;
  }
  const v1::ObjectKind kind = given.kind();
  constexpr absl::string_view kKinds =
      "account, phone number, alias, option, call queue, fax line, voice "
      "menu or conference bridge";
  if (kind == v1::OBJECT_KIND_UNSPECIFIED) {
    return FieldError("object.kind",
                      absl::StrCat("is required (", kKinds, ")"));
  }
  if (!v1::ObjectKind_IsValid(kind)) {
    return FieldError("object.kind",
                      absl::StrFormat("%d is not a known kind (%s)",
                                      static_cast<int>(kind), kKinds));
  }
  const bool needs_parent =
      kind == v1::OBJECT_KIND_ALIAS || kind == v1::OBJECT_KIND_OPTION;
  if (kind == v1::OBJECT_KIND_ACCOUNT && !given.parent_id().empty()) {
    return FieldError("object.parent_id",
                      "must be empty: an account is the root of its tree");
  }
  if (needs_parent && given.parent_id().empty()) {
    return FieldError("object.parent_id",
                      "is required: an alias or option belongs to an account");
  }
  if (!given.parent_id().empty()) {
    if (auto s = ValidateObjectId("object.parent_id", given.parent_id());
        !s.ok()) {
      return s;
    }
    auto parent = LoadObject(state, customer_id, given.parent_id());
    if (!parent.ok()) return parent.status();
    if (!parent->has_value() || (*parent)->kind() != v1::OBJECT_KIND_ACCOUNT) {
      return NotFoundIn("object.parent_id", "an account", given.parent_id(),
                        customer_id);
    }
  }
  if (auto s =
          ValidateText("object.label", given.label(), 0, kObjectLabelLengthMax);
      !s.ok()) {
    return s;
  }
  if (kind == v1::OBJECT_KIND_PHONE_NUMBER) {
    if (auto s = ValidateE164("object.e164", given.e164()); !s.ok()) return s;
  } else if (!given.e164().empty()) {
    return FieldError("object.e164", "is only for phone numbers");
  }
  if (given.has_account()) {
    if (kind != v1::OBJECT_KIND_ACCOUNT) {
      return FieldError("object.account", "is only for accounts");
    }
    if (auto s = ValidateAddress(given.account().billing_address(),
                                 "object.account.billing_address");
        !s.ok()) {
      return s;
    }
    if (!given.account().email().empty()) {
      if (auto s =
              ValidateEmail("object.account.email", given.account().email());
          !s.ok()) {
        return s;
      }
    }
    if (given.account().group_role() != v1::GROUP_ROLE_NONE ||
        !given.account().group_head_id().empty()) {
      return FieldError("object.account.group_role",
                        "is set with SetAccountGroup, after creation");
    }
  }
  std::string entity_id = command.entity_id();
  if (entity_id.empty()) {
    auto main = FindMainEntity(state, customer_id);
    if (!main.ok()) return main.status();
    if (!main->has_value()) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "entity_id: customer %s has no billing entity yet; create one "
          "first",
          QuoteValue(customer_id)));
    }
    entity_id = (*main)->entity_id();
  } else if (auto e = RequireEntity(state, customer_id, entity_id, "entity_id");
             !e.ok()) {
    return e.status();
  }
  auto discount =
      ParseDiscountPercent(command.discount_percent(), "discount_percent");
  if (!discount.ok()) return discount.status();
  auto existing = LoadObject(state, customer_id, given.object_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(absl::StrFormat(
        "object.object_id: %s already exists for customer %s",
        QuoteValue(given.object_id()), QuoteValue(customer_id)));
  }
  if (kind == v1::OBJECT_KIND_PHONE_NUMBER) {
    auto holder = state.Get(E164Key(customer_id, given.e164()));
    if (!holder.ok()) return holder.status();
    if (holder->has_value()) {
      return absl::AlreadyExistsError(
          absl::StrFormat("object.e164: %s is already object %s of customer %s",
                          QuoteValue(given.e164()), QuoteValue(**holder),
                          QuoteValue(customer_id)));
    }
    // A number routes usage to one customer only.
    auto owner = state.Get(DirectoryKey(given.e164()));
    if (!owner.ok()) return owner.status();
    if (owner->has_value() && **owner != customer_id) {
      return absl::AlreadyExistsError(
          absl::StrFormat("object.e164: %s belongs to another customer",
                          QuoteValue(given.e164())));
    }
  }

  v1::EventEnvelope created = NewEvent(kObjectCreatedType, customer_id, date);
  v1::BillableObject* o =
      created.mutable_structure()->mutable_object_created()->mutable_object();
  o->set_object_id(given.object_id());
  o->set_kind(kind);
  o->set_parent_id(given.parent_id());
  o->set_label(given.label());
  o->set_e164(given.e164());
  o->set_created_on(FormatBusinessDate(date));
  o->mutable_assignment()->set_entity_id(entity_id);
  o->mutable_assignment()->set_discount_hundredths(*discount);
  o->set_assignment_month(FormatBillingMonth(BillingMonth(date)));
  if (kind == v1::OBJECT_KIND_ACCOUNT) {
    *o->mutable_account()->mutable_billing_address() =
        given.account().billing_address();
    o->mutable_account()->set_email(given.account().email());
  }
  return std::vector<v1::EventEnvelope>{std::move(created)};
}

absl::StatusOr<int> CountMembers(const StateReader& state,
                                 absl::string_view customer_id,
                                 absl::string_view head_id) {
  int members = 0;
  absl::Status s = ForEachObject(state, customer_id, [&](v1::BillableObject o) {
    if (o.account().group_role() == v1::GROUP_ROLE_MEMBER &&
        o.account().group_head_id() == head_id) {
      ++members;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return members;
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideSetAccountGroup(
    const StateReader& state, absl::string_view customer_id,
    const v1::SetAccountGroup& command, BusinessDate date) {
  if (auto s = ValidateObjectId("account_id", command.account_id()); !s.ok()) {
    return s;
  }
  auto account = LoadObject(state, customer_id, command.account_id());
  if (!account.ok()) return account.status();
  if (!account->has_value() || (*account)->kind() != v1::OBJECT_KIND_ACCOUNT) {
    return NotFoundIn("account_id", "an account", command.account_id(),
                      customer_id);
  }
  if (!v1::GroupRole_IsValid(command.role())) {
    return FieldError("role",
                      absl::StrFormat("%d is not a group role",
                                      static_cast<int>(command.role())));
  }
  const v1::AccountDetails& current = (*account)->account();
  std::string head_id;
  if (command.role() == v1::GROUP_ROLE_MEMBER) {
    if (command.head_account_id().empty()) {
      return FieldError("head_account_id", "is required for a member");
    }
    if (command.head_account_id() == command.account_id()) {
      return FieldError("head_account_id",
                        "an account cannot be a member of its own group; "
                        "make it a head");
    }
    auto head = LoadObject(state, customer_id, command.head_account_id());
    if (!head.ok()) return head.status();
    if (!head->has_value() || (*head)->kind() != v1::OBJECT_KIND_ACCOUNT) {
      return NotFoundIn("head_account_id", "an account",
                        command.head_account_id(), customer_id);
    }
    if ((*head)->account().group_role() != v1::GROUP_ROLE_HEAD) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "head_account_id: %s is not a group head; make it one first",
          QuoteValue(command.head_account_id())));
    }
    head_id = command.head_account_id();
  } else if (!command.head_account_id().empty()) {
    return FieldError("head_account_id", "is only for a member");
  }
  if (command.role() == v1::GROUP_ROLE_HEAD) {
    if (current.group_role() == v1::GROUP_ROLE_MEMBER) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "account_id: %s is a member of the group headed by %s; a head "
          "cannot be a member (remove it from that group first)",
          QuoteValue(command.account_id()),
          QuoteValue(current.group_head_id())));
    }
    head_id = command.account_id();
  }
  // A head that would stop heading must have no members left: otherwise its
  // members would name a non-head (and could form a cycle).
  if (current.group_role() == v1::GROUP_ROLE_HEAD &&
      command.role() != v1::GROUP_ROLE_HEAD) {
    auto members = CountMembers(state, customer_id, command.account_id());
    if (!members.ok()) return members.status();
    if (*members > 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "account_id: %s heads a group of %d members; move them first",
          QuoteValue(command.account_id()), *members));
    }
  }
  v1::EventEnvelope changed =
      NewEvent(kAccountGroupChangedType, customer_id, date);
  auto* c = changed.mutable_structure()->mutable_account_group_changed();
  c->set_account_id(command.account_id());
  c->set_role(command.role());
  c->set_group_head_id(head_id);
  return std::vector<v1::EventEnvelope>{std::move(changed)};
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideReassign(
    const StateReader& state, absl::string_view customer_id,
    const v1::ReassignObjects& command, BusinessDate date) {
  const v1::ObjectSelection& selection = command.selection();
  std::vector<std::string> ids;
  std::vector<v1::BillableObject> objects;
  switch (selection.selector_case()) {
    case v1::ObjectSelection::kIds: {
      const auto& given = selection.ids().object_ids();
      if (given.empty()) {
        return FieldError("selection.ids.object_ids", "is empty");
      }
      if (given.size() > kReassignObjectsMax) {
        return FieldError("selection.ids.object_ids",
                          absl::StrFormat("has %d ids, at most %d allowed",
                                          given.size(), kReassignObjectsMax));
      }
      std::set<absl::string_view> seen;
      for (int i = 0; i < given.size(); ++i) {
        const std::string field =
            absl::StrFormat("selection.ids.object_ids[%d]", i);
        if (auto s = ValidateObjectId(field, given[i]); !s.ok()) return s;
        if (!seen.insert(given[i]).second) {
          return FieldError(field, absl::StrFormat("%s is listed twice",
                                                   QuoteValue(given[i])));
        }
        auto o = LoadObject(state, customer_id, given[i]);
        if (!o.ok()) return o.status();
        if (!o->has_value()) {
          return NotFoundIn(field, "an object", given[i], customer_id);
        }
        objects.push_back(std::move(**o));
      }
      break;
    }
    case v1::ObjectSelection::kKind: {
      if (selection.kind() == v1::OBJECT_KIND_UNSPECIFIED ||
          !v1::ObjectKind_IsValid(selection.kind())) {
        return FieldError("selection.kind", "is not an object kind");
      }
      absl::Status s =
          ForEachObject(state, customer_id, [&](v1::BillableObject o) {
            if (o.kind() == selection.kind()) objects.push_back(std::move(o));
            return absl::OkStatus();
          });
      if (!s.ok()) return s;
      break;
    }
    case v1::ObjectSelection::kAll: {
      if (!selection.all()) {
        return FieldError("selection.all", "must be true when chosen");
      }
      absl::Status s =
          ForEachObject(state, customer_id, [&](v1::BillableObject o) {
            objects.push_back(std::move(o));
            return absl::OkStatus();
          });
      if (!s.ok()) return s;
      break;
    }
    case v1::ObjectSelection::kAccountWithChildren: {
      const std::string& root = selection.account_with_children();
      if (auto s = ValidateObjectId("selection.account_with_children", root);
          !s.ok()) {
        return s;
      }
      auto account = LoadObject(state, customer_id, root);
      if (!account.ok()) return account.status();
      if (!account->has_value() ||
          (*account)->kind() != v1::OBJECT_KIND_ACCOUNT) {
        return NotFoundIn("selection.account_with_children", "an account", root,
                          customer_id);
      }
      std::vector<std::string> subtree;
      if (auto s = CollectSubtree(state, customer_id, root, &subtree);
          !s.ok()) {
        return s;
      }
      for (const auto& id : subtree) {
        auto o = LoadObject(state, customer_id, id);
        if (!o.ok()) return o.status();
        if (!o->has_value()) {
          return CorruptState(ChildKey(customer_id, root, id),
                              "child of an existing object");
        }
        objects.push_back(std::move(**o));
      }
      break;
    }
    case v1::ObjectSelection::SELECTOR_NOT_SET:
      return FieldError("selection",
                        "is required: ids, kind, all or "
                        "account_with_children");
  }
  if (objects.empty()) return FieldError("selection", "selects no object");
  if (objects.size() > static_cast<size_t>(kReassignObjectsMax)) {
    return FieldError("selection",
                      absl::StrFormat("selects %d objects, at most %d allowed",
                                      objects.size(), kReassignObjectsMax));
  }
  auto entity =
      RequireEntity(state, customer_id, command.entity_id(), "entity_id");
  if (!entity.ok()) return entity.status();
  auto discount =
      ParseDiscountPercent(command.discount_percent(), "discount_percent");
  if (!discount.ok()) return discount.status();
  const BillingMonth month(date);
  const std::string month_text = FormatBillingMonth(month);
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) {
    return a.object_id() < b.object_id();
  });
  for (const auto& o : objects) {
    // Objects are billed from their creation month; a month before it has
    // nothing to reassign.
    if (o.created_on().substr(0, 7) > month_text) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "business_date: %s is in a month before object %s was created "
          "(%s)",
          FormatBusinessDate(date), QuoteValue(o.object_id()),
          QuoteValue(o.created_on())));
    }
  }
  // TODO(invoicing issue): a month already invoiced is accepted and will
  // produce a credit note; until invoices exist, every month is open.
  v1::EventEnvelope event = NewEvent(kObjectsReassignedType, customer_id, date);
  auto* r = event.mutable_structure()->mutable_objects_reassigned();
  for (const auto& o : objects) r->add_object_ids(o.object_id());
  r->mutable_assignment()->set_entity_id(command.entity_id());
  r->mutable_assignment()->set_discount_hundredths(*discount);
  r->set_effective_month(month_text);
  *r->mutable_selection() = selection;
  return std::vector<v1::EventEnvelope>{std::move(event)};
}

// --- apply ---

absl::Status PutHistory(StateWriter& state, absl::string_view customer_id,
                        const v1::BillableObject& object,
                        const v1::Assignment& assignment,
                        absl::string_view month, const v1::EventEnvelope& event,
                        const v1::LogPosition& position,
                        absl::string_view cause) {
  v1::AssignmentChange change;
  change.set_effective_month(std::string(month));
  *change.mutable_assignment() = assignment;
  *change.mutable_position() = position;
  change.set_business_date(event.effective_date());
  change.set_cause(std::string(cause));
  PutMessage(state,
             ObjectHistoryKey(customer_id, object.object_id(),
                              position.offset(), position.index()),
             change);
  return absl::OkStatus();
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

}  // namespace

absl::StatusOr<BillingMonth> ParseBillingMonth(absl::string_view text,
                                               absl::string_view field) {
  bool shape = text.size() == 7 && text[4] == '-';
  for (size_t i = 0; shape && i < text.size(); ++i) {
    shape = i == 4 || absl::ascii_isdigit(static_cast<unsigned char>(text[i]));
  }
  BillingMonth month;
  if (!shape || !absl::ParseCivilTime(text, &month) ||
      FormatBillingMonth(month) != text) {
    return FieldError(
        field, absl::StrFormat("%s is not a month YYYY-MM", QuoteValue(text)));
  }
  return month;
}

std::string FormatBillingMonth(BillingMonth month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}

absl::StatusOr<int32_t> ParseDiscountPercent(absl::string_view text,
                                             absl::string_view field) {
  if (text.empty()) return 0;
  auto v = ParseFixedPoint(text, 2, field, "a percent with at most 2 decimals");
  if (!v.ok()) return v.status();
  if (*v < 0 || *v > 10000) {
    return FieldError(
        field, absl::StrFormat("%s is outside 0 to 100", QuoteValue(text)));
  }
  return static_cast<int32_t>(*v);
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideStructure(
    const StateReader& state, const v1::StructureCommand& command,
    BusinessDate business_date) {
  const std::string& customer_id = command.customer_id();
  if (auto s = RequireCustomer(state, customer_id); !s.ok()) return s;
  switch (command.body_case()) {
    case v1::StructureCommand::kCreateEntity:
      return DecideCreateEntity(state, customer_id, command.create_entity(),
                                business_date);
    case v1::StructureCommand::kSetMainEntity:
      return DecideSetMainEntity(state, customer_id, command.set_main_entity(),
                                 business_date);
    case v1::StructureCommand::kSetEntityInvoicedSeparately:
      return DecideSetInvoicedSeparately(
          state, customer_id, command.set_entity_invoiced_separately(),
          business_date);
    case v1::StructureCommand::kCreateObject:
      return DecideCreateObject(state, customer_id, command.create_object(),
                                business_date);
    case v1::StructureCommand::kSetAccountGroup:
      return DecideSetAccountGroup(state, customer_id,
                                   command.set_account_group(), business_date);
    case v1::StructureCommand::kReassignObjects:
      return DecideReassign(state, customer_id, command.reassign_objects(),
                            business_date);
    case v1::StructureCommand::BODY_NOT_SET:
      break;
  }
  return FieldError("structure", "is empty");
}

absl::string_view StructureEventType(const v1::StructureEvent& event) {
  switch (event.body_case()) {
    case v1::StructureEvent::kEntityCreated:
      return kEntityCreatedType;
    case v1::StructureEvent::kMainEntityChanged:
      return kMainEntityChangedType;
    case v1::StructureEvent::kEntityInvoicedSeparatelyChanged:
      return kEntityInvoicedSeparatelyChangedType;
    case v1::StructureEvent::kObjectCreated:
      return kObjectCreatedType;
    case v1::StructureEvent::kAccountGroupChanged:
      return kAccountGroupChangedType;
    case v1::StructureEvent::kObjectsReassigned:
      return kObjectsReassignedType;
    case v1::StructureEvent::BODY_NOT_SET:
      break;
  }
  return {};
}

absl::Status ApplyStructureEvent(StateWriter& state,
                                 const v1::EventEnvelope& event,
                                 const v1::LogPosition& position) {
  const std::string& customer_id = event.customer_id();
  const v1::StructureEvent& e = event.structure();
  switch (e.body_case()) {
    case v1::StructureEvent::kEntityCreated: {
      const v1::BillingEntity& entity = e.entity_created().entity();
      auto existing = LoadEntity(state, customer_id, entity.entity_id());
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        return absl::DataLossError(absl::StrFormat(
            "entity %s created twice", QuoteValue(entity.entity_id())));
      }
      PutMessage(state, EntityKey(customer_id, entity.entity_id()), entity);
      return absl::OkStatus();
    }
    case v1::StructureEvent::kMainEntityChanged: {
      const auto& c = e.main_entity_changed();
      auto main = MustEntity(state, customer_id, c.entity_id());
      if (!main.ok()) return main.status();
      if (!c.previous_entity_id().empty() &&
          c.previous_entity_id() != c.entity_id()) {
        auto previous = MustEntity(state, customer_id, c.previous_entity_id());
        if (!previous.ok()) return previous.status();
        previous->set_main(false);
        PutMessage(state, EntityKey(customer_id, previous->entity_id()),
                   *previous);
      }
      main->set_main(true);
      PutMessage(state, EntityKey(customer_id, main->entity_id()), *main);
      return absl::OkStatus();
    }
    case v1::StructureEvent::kEntityInvoicedSeparatelyChanged: {
      const auto& c = e.entity_invoiced_separately_changed();
      auto entity = MustEntity(state, customer_id, c.entity_id());
      if (!entity.ok()) return entity.status();
      entity->set_invoiced_separately(c.invoiced_separately());
      PutMessage(state, EntityKey(customer_id, entity->entity_id()), *entity);
      return absl::OkStatus();
    }
    case v1::StructureEvent::kObjectCreated: {
      const v1::BillableObject& o = e.object_created().object();
      auto existing = LoadObject(state, customer_id, o.object_id());
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        return absl::DataLossError(absl::StrFormat("object %s created twice",
                                                   QuoteValue(o.object_id())));
      }
      PutMessage(state, ObjectKey(customer_id, o.object_id()), o);
      if (!o.parent_id().empty()) {
        state.Put(ChildKey(customer_id, o.parent_id(), o.object_id()), "");
      }
      if (!o.e164().empty()) {
        state.Put(E164Key(customer_id, o.e164()), o.object_id());
        // The directory usage ingest routes numbers with (number ->
        // customer), kept from these events (docs/usage.md).
        state.Put(DirectoryKey(o.e164()), customer_id);
      }
      return PutHistory(state, customer_id, o, o.assignment(),
                        o.assignment_month(), event, position, "created");
    }
    case v1::StructureEvent::kAccountGroupChanged: {
      const auto& c = e.account_group_changed();
      auto account = MustObject(state, customer_id, c.account_id());
      if (!account.ok()) return account.status();
      account->mutable_account()->set_group_role(c.role());
      account->mutable_account()->set_group_head_id(c.group_head_id());
      PutMessage(state, ObjectKey(customer_id, c.account_id()), *account);
      return absl::OkStatus();
    }
    case v1::StructureEvent::kObjectsReassigned: {
      const auto& r = e.objects_reassigned();
      for (const std::string& id : r.object_ids()) {
        auto o = MustObject(state, customer_id, id);
        if (!o.ok()) return o.status();
        if (auto s =
                PutHistory(state, customer_id, *o, r.assignment(),
                           r.effective_month(), event, position, "reassigned");
            !s.ok()) {
          return s;
        }
        // The current assignment is the latest month's; a backdated change
        // only enters the history.
        if (r.effective_month() >= o->assignment_month()) {
          *o->mutable_assignment() = r.assignment();
          o->set_assignment_month(r.effective_month());
          PutMessage(state, ObjectKey(customer_id, id), *o);
        }
      }
      return absl::OkStatus();
    }
    case v1::StructureEvent::BODY_NOT_SET:
      break;
  }
  return absl::DataLossError("structure event without body");
}

absl::StatusOr<v1::StructureAnswer> StructureAnswerFor(
    const StateReader& state, const v1::LogRecord& record) {
  v1::StructureAnswer answer;
  const std::string& customer_id = record.customer_id();
  const v1::StructureEvent& first = record.events(0).structure();
  std::string entity_id, object_id;
  switch (first.body_case()) {
    case v1::StructureEvent::kEntityCreated:
      entity_id = first.entity_created().entity().entity_id();
      break;
    case v1::StructureEvent::kMainEntityChanged:
      entity_id = first.main_entity_changed().entity_id();
      break;
    case v1::StructureEvent::kEntityInvoicedSeparatelyChanged:
      entity_id = first.entity_invoiced_separately_changed().entity_id();
      break;
    case v1::StructureEvent::kObjectCreated:
      object_id = first.object_created().object().object_id();
      break;
    case v1::StructureEvent::kAccountGroupChanged:
      object_id = first.account_group_changed().account_id();
      break;
    case v1::StructureEvent::kObjectsReassigned:
      answer.set_reassigned_count(first.objects_reassigned().object_ids_size());
      answer.set_effective_month(first.objects_reassigned().effective_month());
      break;
    case v1::StructureEvent::BODY_NOT_SET:
      break;
  }
  if (!entity_id.empty()) {
    auto e = MustEntity(state, customer_id, entity_id);
    if (!e.ok()) return e.status();
    *answer.mutable_entity() = std::move(*e);
  }
  if (!object_id.empty()) {
    auto o = MustObject(state, customer_id, object_id);
    if (!o.ok()) return o.status();
    *answer.mutable_object() = std::move(*o);
  }
  return answer;
}

// --- queries ---

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
