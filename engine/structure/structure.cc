#include "engine/structure/structure.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/keys.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/structure/internal/structure_internal.h"

namespace billing {
namespace {

using limits::kCodeLengthMax;
using limits::kEntityNameLengthMax;
using limits::kObjectLabelLengthMax;
using structure_internal::FindMainEntity;
using structure_internal::ForEachObject;
using structure_internal::MustEntity;
using structure_internal::MustObject;
using structure_internal::NotFoundIn;
namespace shared = structure_rejections;

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

using Events = std::vector<v1::EventEnvelope>;

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

// The entity a command names: ENTITY_ID_INVALID, then ENTITY_NOT_FOUND.
absl::StatusOr<v1::BillingEntity> RequireEntity(const StateReader& state,
                                                absl::string_view customer_id,
                                                absl::string_view entity_id,
                                                absl::string_view field) {
  if (auto s = ValidateCode(field, entity_id, kCodeLengthMax); !s.ok()) {
    return Named(shared::kEntityIdInvalid, s);
  }
  auto entity = LoadEntity(state, customer_id, entity_id);
  if (!entity.ok()) return entity.status();
  if (!entity->has_value()) {
    return Named(shared::kEntityNotFound,
                 NotFoundIn(field, "a billing entity", entity_id, customer_id));
  }
  return **entity;
}

absl::StatusOr<int32_t> DiscountOf(absl::string_view text) {
  auto discount = ParseDiscountPercent(text, "discount_percent");
  if (!discount.ok()) {
    return Named(shared::kDiscountPercentInvalid, discount.status());
  }
  return *discount;
}

// structure.main_entity_changed to `entity_id`, from the current main one.
v1::EventEnvelope MainEntityChanged(
    absl::string_view customer_id, absl::string_view entity_id,
    const std::optional<v1::BillingEntity>& previous, BusinessDate date) {
  v1::EventEnvelope changed =
      NewEvent(kMainEntityChangedType, customer_id, date);
  auto* c = changed.mutable_structure()->mutable_main_entity_changed();
  c->set_entity_id(std::string(entity_id));
  if (previous.has_value()) c->set_previous_entity_id(previous->entity_id());
  return changed;
}

// --- create_entity, set_main_entity, set_entity_invoiced_separately ---

absl::Status ValidateEntity(const v1::BillingEntity& given) {
  if (auto s =
          ValidateCode("entity.entity_id", given.entity_id(), kCodeLengthMax);
      !s.ok()) {
    return Named(create_entity::kEntityIdInvalid, s);
  }
  if (auto s =
          ValidateText("entity.name", given.name(), 1, kEntityNameLengthMax);
      !s.ok()) {
    return Named(create_entity::kNameInvalid, s);
  }
  if (auto s =
          ValidateAddress(given.billing_address(), "entity.billing_address");
      !s.ok()) {
    return Named(create_entity::kAddressInvalid, s);
  }
  if (!given.email().empty()) {
    if (auto s = ValidateEmail("entity.email", given.email()); !s.ok()) {
      return Named(create_entity::kEmailInvalid, s);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Events> DecideCreateEntity(
    const StateReader& state, absl::string_view customer_id,
    const v1::CreateBillingEntity& command, BusinessDate date) {
  const v1::BillingEntity& given = command.entity();
  if (auto s = ValidateEntity(given); !s.ok()) return s;
  auto existing = LoadEntity(state, customer_id, given.entity_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Reject(create_entity::kAlreadyExists,
                  absl::StrFormat(
                      "entity.entity_id: %s already exists for customer %s",
                      QuoteValue(given.entity_id()), QuoteValue(customer_id)));
  }
  auto main = FindMainEntity(state, customer_id);
  if (!main.ok()) return main.status();

  Events events;
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
    events.push_back(
        MainEntityChanged(customer_id, given.entity_id(), *main, date));
  }
  return events;
}

absl::StatusOr<Events> DecideSetMainEntity(const StateReader& state,
                                           absl::string_view customer_id,
                                           const v1::SetMainEntity& command,
                                           BusinessDate date) {
  auto entity =
      RequireEntity(state, customer_id, command.entity_id(), "entity_id");
  if (!entity.ok()) return entity.status();
  auto main = FindMainEntity(state, customer_id);
  if (!main.ok()) return main.status();
  return Events{
      MainEntityChanged(customer_id, command.entity_id(), *main, date)};
}

absl::StatusOr<Events> DecideSetInvoicedSeparately(
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
  return Events{std::move(changed)};
}

// --- create_object ---

// The id, the kind, and the parent's shape (an alias or option belongs to
// an account; an account is a root).
absl::Status ValidateObjectKindAndParent(const v1::BillableObject& given) {
  namespace r = create_object;
  if (auto s = ValidateObjectId("object.object_id", given.object_id());
      !s.ok()) {
    return Named(r::kObjectIdInvalid, s);
  }
  const v1::ObjectKind kind = given.kind();
  constexpr absl::string_view kKinds =
      "account, phone number, alias, option, call queue, fax line, voice "
      "menu or conference bridge";
  if (kind == v1::OBJECT_KIND_UNSPECIFIED) {
    return Reject(r::kKindInvalid,
                  absl::StrCat("object.kind: is required (", kKinds, ")"));
  }
  if (!v1::ObjectKind_IsValid(kind)) {
    return Reject(r::kKindInvalid,
                  absl::StrFormat("object.kind: %d is not a known kind (%s)",
                                  static_cast<int>(kind), kKinds));
  }
  const bool needs_parent =
      kind == v1::OBJECT_KIND_ALIAS || kind == v1::OBJECT_KIND_OPTION;
  if (kind == v1::OBJECT_KIND_ACCOUNT && !given.parent_id().empty()) {
    return Reject(r::kParentInvalid,
                  "object.parent_id: must be empty: an account is the root of "
                  "its tree");
  }
  if (needs_parent && given.parent_id().empty()) {
    return Reject(r::kParentInvalid,
                  "object.parent_id: is required: an alias or option belongs "
                  "to an account");
  }
  if (!given.parent_id().empty()) {
    if (auto s = ValidateObjectId("object.parent_id", given.parent_id());
        !s.ok()) {
      return Named(r::kParentInvalid, s);
    }
  }
  if (given.option_type() != v1::OPTION_TYPE_UNSPECIFIED &&
      (kind != v1::OBJECT_KIND_OPTION ||
       !v1::OptionType_IsValid(given.option_type()))) {
    return Reject(r::kKindInvalid,
                  "object.option_type: only an option has one, and only "
                  "detailed-invoice is known");
  }
  return absl::OkStatus();
}

absl::Status RequireParentAccount(const StateReader& state,
                                  absl::string_view customer_id,
                                  absl::string_view parent_id) {
  if (parent_id.empty()) return absl::OkStatus();
  auto parent = LoadObject(state, customer_id, parent_id);
  if (!parent.ok()) return parent.status();
  if (!parent->has_value() || (*parent)->kind() != v1::OBJECT_KIND_ACCOUNT) {
    return Named(
        create_object::kParentNotFound,
        NotFoundIn("object.parent_id", "an account", parent_id, customer_id));
  }
  return absl::OkStatus();
}

// An account's own details: set only on accounts, groups set later.
absl::Status ValidateAccountDetails(const v1::BillableObject& given) {
  if (!given.has_account()) return absl::OkStatus();
  if (given.kind() != v1::OBJECT_KIND_ACCOUNT) {
    return FieldError("object.account", "is only for accounts");
  }
  if (auto s = ValidateAddress(given.account().billing_address(),
                               "object.account.billing_address");
      !s.ok()) {
    return s;
  }
  if (!given.account().email().empty()) {
    if (auto s = ValidateEmail("object.account.email", given.account().email());
        !s.ok()) {
      return s;
    }
  }
  if (given.account().group_role() != v1::GROUP_ROLE_NONE ||
      !given.account().group_head_id().empty()) {
    return FieldError("object.account.group_role",
                      "is set with SetAccountGroup, after creation");
  }
  return absl::OkStatus();
}

// The label, the number (phone numbers only) and the account's details.
absl::Status ValidateObjectDetails(const v1::BillableObject& given) {
  namespace r = create_object;
  if (auto s =
          ValidateText("object.label", given.label(), 0, kObjectLabelLengthMax);
      !s.ok()) {
    return Named(r::kLabelInvalid, s);
  }
  if (given.kind() == v1::OBJECT_KIND_PHONE_NUMBER) {
    if (auto s = ValidateE164("object.e164", given.e164()); !s.ok()) {
      return Named(r::kE164Invalid, s);
    }
  } else if (!given.e164().empty()) {
    return Reject(r::kE164Invalid, "object.e164: is only for phone numbers");
  }
  return Named(r::kAccountInvalid, ValidateAccountDetails(given));
}

// The entity named, or the main one when none is.
absl::StatusOr<std::string> EntityForNewObject(const StateReader& state,
                                               absl::string_view customer_id,
                                               absl::string_view entity_id) {
  if (!entity_id.empty()) {
    auto e = RequireEntity(state, customer_id, entity_id, "entity_id");
    if (!e.ok()) return e.status();
    return std::string(entity_id);
  }
  auto main = FindMainEntity(state, customer_id);
  if (!main.ok()) return main.status();
  if (!main->has_value()) {
    return Reject(create_object::kNoBillingEntity,
                  absl::StrFormat("entity_id: customer %s has no billing "
                                  "entity yet; create one first",
                                  QuoteValue(customer_id)));
  }
  return (*main)->entity_id();
}

// The id, then the number, are free (a number routes usage to one
// customer only).
absl::Status RequireObjectFree(const StateReader& state,
                               absl::string_view customer_id,
                               const v1::BillableObject& given) {
  namespace r = create_object;
  auto existing = LoadObject(state, customer_id, given.object_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Reject(r::kAlreadyExists,
                  absl::StrFormat(
                      "object.object_id: %s already exists for customer %s",
                      QuoteValue(given.object_id()), QuoteValue(customer_id)));
  }
  if (given.kind() != v1::OBJECT_KIND_PHONE_NUMBER) return absl::OkStatus();
  auto holder = state.Get(E164Key(customer_id, given.e164()));
  if (!holder.ok()) return holder.status();
  if (holder->has_value()) {
    return Reject(
        r::kE164Taken,
        absl::StrFormat("object.e164: %s is already object %s of customer %s",
                        QuoteValue(given.e164()), QuoteValue(**holder),
                        QuoteValue(customer_id)));
  }
  auto owner = state.Get(DirectoryKey(given.e164()));
  if (!owner.ok()) return owner.status();
  if (owner->has_value() && **owner != customer_id) {
    return Reject(r::kE164OfAnotherCustomer,
                  absl::StrFormat("object.e164: %s belongs to another customer",
                                  QuoteValue(given.e164())));
  }
  return absl::OkStatus();
}

v1::EventEnvelope ObjectCreated(absl::string_view customer_id,
                                const v1::BillableObject& given,
                                const std::string& entity_id, int32_t discount,
                                BusinessDate date) {
  v1::EventEnvelope created = NewEvent(kObjectCreatedType, customer_id, date);
  v1::BillableObject* o =
      created.mutable_structure()->mutable_object_created()->mutable_object();
  o->set_object_id(given.object_id());
  o->set_kind(given.kind());
  o->set_parent_id(given.parent_id());
  o->set_label(given.label());
  o->set_e164(given.e164());
  o->set_option_type(given.option_type());
  o->set_created_on(FormatBusinessDate(date));
  o->mutable_assignment()->set_entity_id(entity_id);
  o->mutable_assignment()->set_discount_hundredths(discount);
  o->set_assignment_month(FormatBillingMonth(BillingMonth(date)));
  if (given.kind() == v1::OBJECT_KIND_ACCOUNT) {
    *o->mutable_account()->mutable_billing_address() =
        given.account().billing_address();
    o->mutable_account()->set_email(given.account().email());
  }
  return created;
}

absl::StatusOr<Events> DecideCreateObject(const StateReader& state,
                                          absl::string_view customer_id,
                                          const v1::CreateObject& command,
                                          BusinessDate date) {
  const v1::BillableObject& given = command.object();
  if (auto s = ValidateObjectKindAndParent(given); !s.ok()) return s;
  if (auto s = RequireParentAccount(state, customer_id, given.parent_id());
      !s.ok()) {
    return s;
  }
  if (auto s = ValidateObjectDetails(given); !s.ok()) return s;
  auto entity_id = EntityForNewObject(state, customer_id, command.entity_id());
  if (!entity_id.ok()) return entity_id.status();
  auto discount = DiscountOf(command.discount_percent());
  if (!discount.ok()) return discount.status();
  if (auto s = RequireObjectFree(state, customer_id, given); !s.ok()) return s;
  return Events{ObjectCreated(customer_id, given, *entity_id, *discount, date)};
}

// --- set_account_group ---

absl::StatusOr<int> CountMembers(const StateReader& state,
                                 absl::string_view customer_id,
                                 absl::string_view head_id) {
  int members = 0;
  absl::Status s =
      ForEachObject(state, customer_id, "",
                    [&](const v1::BillableObject& o) -> absl::StatusOr<bool> {
                      if (o.account().group_role() == v1::GROUP_ROLE_MEMBER &&
                          o.account().group_head_id() == head_id) {
                        ++members;
                      }
                      return true;
                    });
  if (!s.ok()) return s;
  return members;
}

// The account named by `field`: an existing account of the customer.
absl::StatusOr<v1::BillableObject> LoadAccount(const StateReader& state,
                                               absl::string_view customer_id,
                                               absl::string_view account_id,
                                               absl::string_view field,
                                               const Rejection& not_found) {
  auto account = LoadObject(state, customer_id, account_id);
  if (!account.ok()) return account.status();
  if (!account->has_value() || (*account)->kind() != v1::OBJECT_KIND_ACCOUNT) {
    return Named(not_found,
                 NotFoundIn(field, "an account", account_id, customer_id));
  }
  return std::move(**account);
}

// A member's head: named, not itself, an existing group head.
absl::Status RequireHead(const StateReader& state,
                         absl::string_view customer_id,
                         const v1::SetAccountGroup& command) {
  namespace r = set_account_group;
  if (command.head_account_id().empty()) {
    return Reject(r::kHeadRequired,
                  "head_account_id: is required for a member");
  }
  if (command.head_account_id() == command.account_id()) {
    return Reject(r::kHeadIsSelf,
                  "head_account_id: an account cannot be a member of its own "
                  "group; make it a head");
  }
  auto head = LoadAccount(state, customer_id, command.head_account_id(),
                          "head_account_id", r::kHeadNotFound);
  if (!head.ok()) return head.status();
  if (head->account().group_role() != v1::GROUP_ROLE_HEAD) {
    return Reject(r::kHeadNotHead,
                  absl::StrFormat("head_account_id: %s is not a group head; "
                                  "make it one first",
                                  QuoteValue(command.head_account_id())));
  }
  return absl::OkStatus();
}

// The group rules on the account's current role: a member cannot become a
// head; a head with members cannot stop heading (its members would name a
// non-head, and could form a cycle).
absl::Status CheckRoleChange(const StateReader& state,
                             absl::string_view customer_id,
                             const v1::SetAccountGroup& command,
                             const v1::AccountDetails& current) {
  namespace r = set_account_group;
  if (command.role() == v1::GROUP_ROLE_HEAD &&
      current.group_role() == v1::GROUP_ROLE_MEMBER) {
    return Reject(
        r::kAccountIsMember,
        absl::StrFormat("account_id: %s is a member of the group headed by "
                        "%s; a head cannot be a member (remove it from that "
                        "group first)",
                        QuoteValue(command.account_id()),
                        QuoteValue(current.group_head_id())));
  }
  if (current.group_role() != v1::GROUP_ROLE_HEAD ||
      command.role() == v1::GROUP_ROLE_HEAD) {
    return absl::OkStatus();
  }
  auto members = CountMembers(state, customer_id, command.account_id());
  if (!members.ok()) return members.status();
  if (*members > 0) {
    return Reject(
        r::kAccountHeadsMembers,
        absl::StrFormat("account_id: %s heads a group of %d members; move them "
                        "first",
                        QuoteValue(command.account_id()), *members));
  }
  return absl::OkStatus();
}

absl::StatusOr<Events> DecideSetAccountGroup(const StateReader& state,
                                             absl::string_view customer_id,
                                             const v1::SetAccountGroup& command,
                                             BusinessDate date) {
  namespace r = set_account_group;
  if (auto s = ValidateObjectId("account_id", command.account_id()); !s.ok()) {
    return Named(r::kAccountIdInvalid, s);
  }
  auto account = LoadAccount(state, customer_id, command.account_id(),
                             "account_id", r::kAccountNotFound);
  if (!account.ok()) return account.status();
  if (!v1::GroupRole_IsValid(command.role())) {
    return Reject(r::kRoleInvalid,
                  absl::StrFormat("role: %d is not a group role",
                                  static_cast<int>(command.role())));
  }
  std::string head_id;
  if (command.role() == v1::GROUP_ROLE_MEMBER) {
    if (auto s = RequireHead(state, customer_id, command); !s.ok()) return s;
    head_id = command.head_account_id();
  } else if (!command.head_account_id().empty()) {
    return Reject(r::kHeadUnexpected, "head_account_id: is only for a member");
  }
  if (command.role() == v1::GROUP_ROLE_HEAD) head_id = command.account_id();
  if (auto s = CheckRoleChange(state, customer_id, command, account->account());
      !s.ok()) {
    return s;
  }
  v1::EventEnvelope changed =
      NewEvent(kAccountGroupChangedType, customer_id, date);
  auto* c = changed.mutable_structure()->mutable_account_group_changed();
  c->set_account_id(command.account_id());
  c->set_role(command.role());
  c->set_group_head_id(head_id);
  return Events{std::move(changed)};
}

// --- reassign_objects ---

absl::Status CollectSubtree(const StateReader& state,
                            absl::string_view customer_id,
                            absl::string_view root,
                            std::vector<std::string>* out) {
  out->emplace_back(root);
  std::vector<std::string> children;
  const std::string prefix = ChildrenPrefix(customer_id, root);
  // The child index holds keys only (empty values): nothing to parse.
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

// Every id well formed and listed once, before any is looked up.
absl::Status ValidateSelectedIds(
    const google::protobuf::RepeatedPtrField<std::string>& given) {
  namespace r = reassign_objects;
  if (given.empty()) {
    return Reject(r::kSelectionInvalid, "selection.ids.object_ids: is empty");
  }
  if (given.size() > kReassignObjectsMax) {
    return Reject(
        r::kSelectionInvalid,
        absl::StrFormat("selection.ids.object_ids: has %d ids, at most %d "
                        "allowed",
                        given.size(), kReassignObjectsMax));
  }
  std::set<absl::string_view> seen;
  for (int i = 0; i < given.size(); ++i) {
    const std::string field =
        absl::StrFormat("selection.ids.object_ids[%d]", i);
    if (auto s = ValidateObjectId(field, given[i]); !s.ok()) {
      return Named(r::kSelectionInvalid, s);
    }
    if (!seen.insert(given[i]).second) {
      return Reject(r::kSelectionInvalid,
                    absl::StrFormat("%s: %s is listed twice", field,
                                    QuoteValue(given[i])));
    }
  }
  return absl::OkStatus();
}

absl::Status SelectByIds(const StateReader& state,
                         absl::string_view customer_id,
                         const v1::ObjectSelection& selection,
                         std::vector<v1::BillableObject>* objects) {
  const auto& given = selection.ids().object_ids();
  if (auto s = ValidateSelectedIds(given); !s.ok()) return s;
  for (int i = 0; i < given.size(); ++i) {
    auto o = LoadObject(state, customer_id, given[i]);
    if (!o.ok()) return o.status();
    if (!o->has_value()) {
      return Named(
          reassign_objects::kObjectNotFound,
          NotFoundIn(absl::StrFormat("selection.ids.object_ids[%d]", i),
                     "an object", given[i], customer_id));
    }
    objects->push_back(std::move(**o));
  }
  return absl::OkStatus();
}

absl::Status SelectAccountWithChildren(
    const StateReader& state, absl::string_view customer_id,
    const v1::ObjectSelection& selection,
    std::vector<v1::BillableObject>* objects) {
  constexpr absl::string_view kField = "selection.account_with_children";
  const std::string& root = selection.account_with_children();
  if (auto s = ValidateObjectId(kField, root); !s.ok()) {
    return Named(reassign_objects::kSelectionInvalid, s);
  }
  auto account = LoadAccount(state, customer_id, root, kField,
                             reassign_objects::kAccountNotFound);
  if (!account.ok()) return account.status();
  std::vector<std::string> subtree;
  if (auto s = CollectSubtree(state, customer_id, root, &subtree); !s.ok()) {
    return s;
  }
  for (const auto& id : subtree) {
    auto o = LoadObject(state, customer_id, id);
    if (!o.ok()) return o.status();
    if (!o->has_value()) {
      return CorruptState(ChildKey(customer_id, root, id),
                          "child of an existing object");
    }
    objects->push_back(std::move(**o));
  }
  return absl::OkStatus();
}

// Every object of the customer, or those of `kind` when it is set.
absl::Status SelectAll(const StateReader& state, absl::string_view customer_id,
                       v1::ObjectKind kind,
                       std::vector<v1::BillableObject>* objects) {
  return ForEachObject(
      state, customer_id, "",
      [&](v1::BillableObject o) -> absl::StatusOr<bool> {
        if (kind == v1::OBJECT_KIND_UNSPECIFIED || o.kind() == kind) {
          objects->push_back(std::move(o));
        }
        return true;
      });
}

// The objects a selection names, sorted by id; at least one, at most
// kReassignObjectsMax.
absl::StatusOr<std::vector<v1::BillableObject>> SelectObjects(
    const StateReader& state, absl::string_view customer_id,
    const v1::ObjectSelection& selection) {
  namespace r = reassign_objects;
  std::vector<v1::BillableObject> objects;
  absl::Status s;
  switch (selection.selector_case()) {
    case v1::ObjectSelection::kIds:
      s = SelectByIds(state, customer_id, selection, &objects);
      break;
    case v1::ObjectSelection::kKind:
      if (selection.kind() == v1::OBJECT_KIND_UNSPECIFIED ||
          !v1::ObjectKind_IsValid(selection.kind())) {
        return Reject(r::kSelectionInvalid,
                      "selection.kind: is not an object kind");
      }
      s = SelectAll(state, customer_id, selection.kind(), &objects);
      break;
    case v1::ObjectSelection::kAll:
      if (!selection.all()) {
        return Reject(r::kSelectionInvalid,
                      "selection.all: must be true when chosen");
      }
      s = SelectAll(state, customer_id, v1::OBJECT_KIND_UNSPECIFIED, &objects);
      break;
    case v1::ObjectSelection::kAccountWithChildren:
      s = SelectAccountWithChildren(state, customer_id, selection, &objects);
      break;
    case v1::ObjectSelection::SELECTOR_NOT_SET:
      return Reject(r::kSelectionInvalid,
                    "selection: is required: ids, kind, all or "
                    "account_with_children");
  }
  if (!s.ok()) return s;
  if (objects.empty()) {
    return Reject(r::kSelectsNothing, "selection: selects no object");
  }
  if (objects.size() > static_cast<size_t>(kReassignObjectsMax)) {
    return Reject(r::kSelectsTooMany,
                  absl::StrFormat("selection: selects %d objects, at most %d "
                                  "allowed",
                                  objects.size(), kReassignObjectsMax));
  }
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) {
    return a.object_id() < b.object_id();
  });
  return objects;
}

// Objects are billed from their creation month; a month before it has
// nothing to reassign.
absl::Status RequireCreatedBy(const std::vector<v1::BillableObject>& objects,
                              BusinessDate date) {
  const std::string month_text = FormatBillingMonth(BillingMonth(date));
  for (const auto& o : objects) {
    if (o.created_on().substr(0, 7) > month_text) {
      return Reject(
          reassign_objects::kCreatedAfterMonth,
          absl::StrFormat("business_date: %s is in a month before "
                          "object %s was created (%s)",
                          FormatBusinessDate(date), QuoteValue(o.object_id()),
                          QuoteValue(o.created_on())));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Events> DecideReassign(const StateReader& state,
                                      absl::string_view customer_id,
                                      const v1::ReassignObjects& command,
                                      BusinessDate date) {
  auto objects = SelectObjects(state, customer_id, command.selection());
  if (!objects.ok()) return objects.status();
  auto entity =
      RequireEntity(state, customer_id, command.entity_id(), "entity_id");
  if (!entity.ok()) return entity.status();
  auto discount = DiscountOf(command.discount_percent());
  if (!discount.ok()) return discount.status();
  if (auto s = RequireCreatedBy(*objects, date); !s.ok()) return s;
  // TODO(invoicing): a month already invoiced is accepted and will produce
  // a credit note; until invoices exist, every month is open.
  v1::EventEnvelope event = NewEvent(kObjectsReassignedType, customer_id, date);
  auto* r = event.mutable_structure()->mutable_objects_reassigned();
  for (const auto& o : *objects) r->add_object_ids(o.object_id());
  r->mutable_assignment()->set_entity_id(command.entity_id());
  r->mutable_assignment()->set_discount_hundredths(*discount);
  r->set_effective_month(FormatBillingMonth(BillingMonth(date)));
  *r->mutable_selection() = command.selection();
  return Events{std::move(event)};
}

// --- apply ---

void PutHistory(StateWriter& state, absl::string_view customer_id,
                absl::string_view object_id, const v1::Assignment& assignment,
                absl::string_view month, const v1::EventEnvelope& event,
                const v1::LogPosition& position, absl::string_view cause) {
  v1::AssignmentChange change;
  change.set_effective_month(std::string(month));
  *change.mutable_assignment() = assignment;
  *change.mutable_position() = position;
  change.set_business_date(event.effective_date());
  change.set_cause(std::string(cause));
  PutMessage(state,
             ObjectHistoryKey(customer_id, object_id, position.offset(),
                              position.index()),
             change);
}

absl::Status ApplyEntityCreated(StateWriter& state,
                                absl::string_view customer_id,
                                const v1::BillingEntityCreated& created) {
  const v1::BillingEntity& entity = created.entity();
  auto existing = LoadEntity(state, customer_id, entity.entity_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::DataLossError(absl::StrFormat("entity %s created twice",
                                               QuoteValue(entity.entity_id())));
  }
  PutMessage(state, EntityKey(customer_id, entity.entity_id()), entity);
  return absl::OkStatus();
}

absl::Status ApplyMainEntityChanged(StateWriter& state,
                                    absl::string_view customer_id,
                                    const v1::MainEntityChanged& c) {
  auto main = MustEntity(state, customer_id, c.entity_id());
  if (!main.ok()) return main.status();
  if (!c.previous_entity_id().empty() &&
      c.previous_entity_id() != c.entity_id()) {
    auto previous = MustEntity(state, customer_id, c.previous_entity_id());
    if (!previous.ok()) return previous.status();
    previous->set_main(false);
    PutMessage(state, EntityKey(customer_id, previous->entity_id()), *previous);
  }
  main->set_main(true);
  PutMessage(state, EntityKey(customer_id, main->entity_id()), *main);
  return absl::OkStatus();
}

absl::Status ApplyInvoicedSeparatelyChanged(
    StateWriter& state, absl::string_view customer_id,
    const v1::EntityInvoicedSeparatelyChanged& c) {
  auto entity = MustEntity(state, customer_id, c.entity_id());
  if (!entity.ok()) return entity.status();
  entity->set_invoiced_separately(c.invoiced_separately());
  PutMessage(state, EntityKey(customer_id, entity->entity_id()), *entity);
  return absl::OkStatus();
}

absl::Status ApplyObjectCreated(StateWriter& state,
                                const v1::EventEnvelope& event,
                                const v1::LogPosition& position) {
  const std::string& customer_id = event.customer_id();
  const v1::BillableObject& o = event.structure().object_created().object();
  auto existing = LoadObject(state, customer_id, o.object_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::DataLossError(
        absl::StrFormat("object %s created twice", QuoteValue(o.object_id())));
  }
  PutMessage(state, ObjectKey(customer_id, o.object_id()), o);
  if (!o.parent_id().empty()) {
    state.Put(ChildKey(customer_id, o.parent_id(), o.object_id()), "");
  }
  if (!o.e164().empty()) {
    state.Put(E164Key(customer_id, o.e164()), o.object_id());
    // The directory usage ingest routes numbers with (number -> customer),
    // kept from these events (docs/usage.md).
    state.Put(DirectoryKey(o.e164()), customer_id);
  }
  PutHistory(state, customer_id, o.object_id(), o.assignment(),
             o.assignment_month(), event, position, "created");
  return absl::OkStatus();
}

absl::Status ApplyAccountGroupChanged(StateWriter& state,
                                      absl::string_view customer_id,
                                      const v1::AccountGroupChanged& c) {
  auto account = MustObject(state, customer_id, c.account_id());
  if (!account.ok()) return account.status();
  account->mutable_account()->set_group_role(c.role());
  account->mutable_account()->set_group_head_id(c.group_head_id());
  PutMessage(state, ObjectKey(customer_id, c.account_id()), *account);
  return absl::OkStatus();
}

absl::Status ApplyObjectsReassigned(StateWriter& state,
                                    const v1::EventEnvelope& event,
                                    const v1::LogPosition& position) {
  const std::string& customer_id = event.customer_id();
  const auto& r = event.structure().objects_reassigned();
  for (const std::string& id : r.object_ids()) {
    auto o = MustObject(state, customer_id, id);
    if (!o.ok()) return o.status();
    PutHistory(state, customer_id, id, r.assignment(), r.effective_month(),
               event, position, "reassigned");
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
  if (auto s = RequireCommandCustomer(state, customer_id); !s.ok()) return s;
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
  return Reject(shared::kCommandEmpty, "structure: is empty");
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
    case v1::StructureEvent::kEntityCreated:
      return ApplyEntityCreated(state, customer_id, e.entity_created());
    case v1::StructureEvent::kMainEntityChanged:
      return ApplyMainEntityChanged(state, customer_id,
                                    e.main_entity_changed());
    case v1::StructureEvent::kEntityInvoicedSeparatelyChanged:
      return ApplyInvoicedSeparatelyChanged(
          state, customer_id, e.entity_invoiced_separately_changed());
    case v1::StructureEvent::kObjectCreated:
      return ApplyObjectCreated(state, event, position);
    case v1::StructureEvent::kAccountGroupChanged:
      return ApplyAccountGroupChanged(state, customer_id,
                                      e.account_group_changed());
    case v1::StructureEvent::kObjectsReassigned:
      return ApplyObjectsReassigned(state, event, position);
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

}  // namespace billing
