#pragma once

// The billing structure: billing entities, billable objects in a tree under
// accounts, grouped accounts, and reassignments that take effect for a whole
// billing month. Decide/Apply for the commands, and the queries the services
// answer from state.
//
// Each command's rejections are listed below in precedence order (kOrder:
// the first that applies is the answer); a rejection's message ends in
// " [NAME]" (engine/core/rejection.h). Every command first names its
// customer (CUSTOMER_ID_INVALID, CUSTOMER_NOT_FOUND), then its own fields.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "billing/v1/structure.pb.h"
#include "engine/core/dates.h"
#include "engine/core/domain.h"
#include "engine/core/rejection.h"
#include "engine/core/state.h"
#include "engine/customer/customer.h"

namespace billing {

// Length limits of the structure's text fields (docs/api.md), in code
// points; entity ids are codes (limits::kCodeLengthMax), object ids
// limits::kObjectIdLengthMax (engine/core/validation.h).
namespace limits {
inline constexpr size_t kEntityNameLengthMax = 200;
inline constexpr size_t kObjectLabelLengthMax = 200;
}  // namespace limits

// Reasons shared by several structure commands.
namespace structure_rejections {
inline constexpr Rejection kCustomerIdInvalid =
    customer_rejections::kCustomerIdInvalid;
inline constexpr Rejection kCustomerNotFound =
    customer_rejections::kCustomerNotFound;
inline constexpr Rejection kEntityIdInvalid{"ENTITY_ID_INVALID",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kEntityNotFound{"ENTITY_NOT_FOUND",
                                           absl::StatusCode::kNotFound};
inline constexpr Rejection kDiscountPercentInvalid{
    "DISCOUNT_PERCENT_INVALID", absl::StatusCode::kInvalidArgument};
// A StructureCommand without a body (after its customer).
inline constexpr Rejection kCommandEmpty{"STRUCTURE_COMMAND_EMPTY",
                                         absl::StatusCode::kInvalidArgument};
}  // namespace structure_rejections

namespace create_entity {
using structure_rejections::kCustomerIdInvalid;
using structure_rejections::kCustomerNotFound;
using structure_rejections::kEntityIdInvalid;
inline constexpr Rejection kNameInvalid{"ENTITY_NAME_INVALID",
                                        absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kAddressInvalid{"ENTITY_ADDRESS_INVALID",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kEmailInvalid{"ENTITY_EMAIL_INVALID",
                                         absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kAlreadyExists{"ENTITY_ALREADY_EXISTS",
                                          absl::StatusCode::kAlreadyExists};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kCustomerNotFound, kEntityIdInvalid, kNameInvalid,
    kAddressInvalid,    kEmailInvalid,     kAlreadyExists};
}  // namespace create_entity

// set_main_entity and set_entity_invoiced_separately: the entity named.
namespace set_main_entity {
using structure_rejections::kCustomerIdInvalid;
using structure_rejections::kCustomerNotFound;
using structure_rejections::kEntityIdInvalid;
using structure_rejections::kEntityNotFound;
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kCustomerNotFound,
                                       kEntityIdInvalid, kEntityNotFound};
}  // namespace set_main_entity
namespace set_entity_invoiced_separately {
using set_main_entity::kOrder;
}  // namespace set_entity_invoiced_separately

// create_object: the object's fields (kind required, then a known one; an
// alias or option needs an account as parent, an account has none), the
// entity (the main one when none is named), the discount, then the id and
// the number already taken.
namespace create_object {
using structure_rejections::kCustomerIdInvalid;
using structure_rejections::kCustomerNotFound;
using structure_rejections::kDiscountPercentInvalid;
using structure_rejections::kEntityIdInvalid;
using structure_rejections::kEntityNotFound;
inline constexpr Rejection kObjectIdInvalid{"OBJECT_ID_INVALID",
                                            absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kKindInvalid{"OBJECT_KIND_INVALID",
                                        absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kParentInvalid{"OBJECT_PARENT_INVALID",
                                          absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kParentNotFound{"OBJECT_PARENT_NOT_FOUND",
                                           absl::StatusCode::kNotFound};
inline constexpr Rejection kLabelInvalid{"OBJECT_LABEL_INVALID",
                                         absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kE164Invalid{"OBJECT_E164_INVALID",
                                        absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kAccountInvalid{"OBJECT_ACCOUNT_INVALID",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kNoBillingEntity{
    "NO_BILLING_ENTITY", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kAlreadyExists{"OBJECT_ALREADY_EXISTS",
                                          absl::StatusCode::kAlreadyExists};
inline constexpr Rejection kE164Taken{"OBJECT_E164_TAKEN",
                                      absl::StatusCode::kAlreadyExists};
inline constexpr Rejection kE164OfAnotherCustomer{
    "OBJECT_E164_OF_ANOTHER_CUSTOMER", absl::StatusCode::kAlreadyExists};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid,
                                       kCustomerNotFound,
                                       kObjectIdInvalid,
                                       kKindInvalid,
                                       kParentInvalid,
                                       kParentNotFound,
                                       kLabelInvalid,
                                       kE164Invalid,
                                       kAccountInvalid,
                                       kNoBillingEntity,
                                       kEntityIdInvalid,
                                       kEntityNotFound,
                                       kDiscountPercentInvalid,
                                       kAlreadyExists,
                                       kE164Taken,
                                       kE164OfAnotherCustomer};
}  // namespace create_object

// set_account_group: the account, the role, the head a member names, then
// the group rules (a head cannot be a member; a head with members cannot
// leave its role).
namespace set_account_group {
using structure_rejections::kCustomerIdInvalid;
using structure_rejections::kCustomerNotFound;
inline constexpr Rejection kAccountIdInvalid{
    "ACCOUNT_ID_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kAccountNotFound{"ACCOUNT_NOT_FOUND",
                                            absl::StatusCode::kNotFound};
inline constexpr Rejection kRoleInvalid{"GROUP_ROLE_INVALID",
                                        absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kHeadRequired{"HEAD_ACCOUNT_ID_REQUIRED",
                                         absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kHeadIsSelf{"HEAD_ACCOUNT_IS_SELF",
                                       absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kHeadNotFound{"HEAD_ACCOUNT_NOT_FOUND",
                                         absl::StatusCode::kNotFound};
inline constexpr Rejection kHeadNotHead{"HEAD_ACCOUNT_NOT_HEAD",
                                        absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kHeadUnexpected{"HEAD_ACCOUNT_ID_UNEXPECTED",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kAccountIsMember{
    "ACCOUNT_IS_MEMBER", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kAccountHeadsMembers{
    "ACCOUNT_HEADS_MEMBERS", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kCustomerNotFound, kAccountIdInvalid,
    kAccountNotFound,   kRoleInvalid,      kHeadRequired,
    kHeadIsSelf,        kHeadNotFound,     kHeadNotHead,
    kHeadUnexpected,    kAccountIsMember,  kAccountHeadsMembers};
}  // namespace set_account_group

// reassign_objects: the selection (its shape, every id before any lookup,
// then the objects it finds), the entity, the discount, then an object
// created after the effective month.
namespace reassign_objects {
using structure_rejections::kCustomerIdInvalid;
using structure_rejections::kCustomerNotFound;
using structure_rejections::kDiscountPercentInvalid;
using structure_rejections::kEntityIdInvalid;
using structure_rejections::kEntityNotFound;
inline constexpr Rejection kSelectionInvalid{
    "SELECTION_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kObjectNotFound{"SELECTION_OBJECT_NOT_FOUND",
                                           absl::StatusCode::kNotFound};
inline constexpr Rejection kAccountNotFound{"SELECTION_ACCOUNT_NOT_FOUND",
                                            absl::StatusCode::kNotFound};
inline constexpr Rejection kSelectsNothing{"SELECTION_EMPTY",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kSelectsTooMany{"SELECTION_TOO_LARGE",
                                           absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kCreatedAfterMonth{
    "OBJECT_CREATED_AFTER_MONTH", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid,      kCustomerNotFound, kSelectionInvalid,
    kObjectNotFound,         kAccountNotFound,  kSelectsNothing,
    kSelectsTooMany,         kEntityIdInvalid,  kEntityNotFound,
    kDiscountPercentInvalid, kCreatedAfterMonth};
}  // namespace reassign_objects

// Largest number of objects one reassignment may move (one event, one
// journal record, one WriteBatch).
inline constexpr int kReassignObjectsMax = 100'000;

// --- engine.cc dispatch ---

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideStructure(
    const StateReader& state, const v1::StructureCommand& command,
    BusinessDate business_date);

// "structure.entity_created", ...; empty when unset.
absl::string_view StructureEventType(const v1::StructureEvent& event);

absl::Status ApplyStructureEvent(StateWriter& state,
                                 const v1::EventEnvelope& event,
                                 const v1::LogPosition& position);

absl::StatusOr<v1::StructureAnswer> StructureAnswerFor(
    const StateReader& state, const v1::LogRecord& record);

// --- queries ---

using BillingMonth = absl::CivilMonth;

// "YYYY-MM" strictly. InvalidArgument naming `field`.
absl::StatusOr<BillingMonth> ParseBillingMonth(absl::string_view text,
                                               absl::string_view field);
std::string FormatBillingMonth(BillingMonth month);

// "10.5" -> 1050 hundredths; 0 to 100 with at most two decimals; empty: 0.
absl::StatusOr<int32_t> ParseDiscountPercent(absl::string_view text,
                                             absl::string_view field);

absl::StatusOr<std::optional<v1::BillingEntity>> LoadEntity(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view entity_id);
// By entity_id.
absl::StatusOr<std::vector<v1::BillingEntity>> ListEntities(
    const StateReader& state, absl::string_view customer_id);

absl::StatusOr<std::optional<v1::BillableObject>> LoadObject(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id);

// The object, for a query: InvalidArgument naming "object_id" when the id
// is malformed (before NotFound), NotFound when the customer has none.
absl::StatusOr<v1::BillableObject> RequireObject(const StateReader& state,
                                                 absl::string_view customer_id,
                                                 absl::string_view object_id);

// An object and the assignment change in force as of a month, a log offset
// or (neither) the latest.
struct ObjectAsOfQuery {
  enum class As { kLatest, kMonth, kLogOffset };
  As as = As::kLatest;
  std::string month;       // "YYYY-MM", for kMonth
  int64_t log_offset = 0;  // -1 (before anything) or more, for kLogOffset
};
struct ObjectAsOf {
  v1::BillableObject object;
  v1::AssignmentChange change;
};
// Refuses, in order: the customer, the object id (RequireObject), the month
// or a log offset below -1; NotFound naming "month" or "log_offset" when
// the object did not exist then.
absl::StatusOr<ObjectAsOf> ObjectAt(const StateReader& state,
                                    absl::string_view customer_id,
                                    absl::string_view object_id,
                                    const ObjectAsOfQuery& query);

// Which objects a listing shows: of a kind (UNSPECIFIED: all), assigned to
// an entity (empty: any), as of a month (none: the latest assignment; an
// object created after the month is not listed).
struct ObjectFilter {
  v1::ObjectKind kind = v1::OBJECT_KIND_UNSPECIFIED;
  std::string entity_id;
  std::optional<absl::CivilMonth> month;
};
// The filter of a listing request, checked in order: the customer, the
// kind, the entity (a code of an existing entity), the month (YYYY-MM).
absl::StatusOr<ObjectFilter> CheckObjectFilter(const StateReader& state,
                                               absl::string_view customer_id,
                                               v1::ObjectKind kind,
                                               absl::string_view entity_id,
                                               absl::string_view month);
// One page: at most `page_size` objects by id after `after_id` (none when
// empty) that pass `filter`, with their assignment, and whether more follow.
struct ObjectPage {
  std::vector<ObjectAsOf> objects;
  bool more = false;
};
absl::StatusOr<ObjectPage> ListObjectPage(const StateReader& state,
                                          absl::string_view customer_id,
                                          const ObjectFilter& filter,
                                          absl::string_view after_id,
                                          size_t page_size);

// Every assignment change of an object, in log order.
absl::StatusOr<std::vector<v1::AssignmentChange>> ObjectHistory(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id);

// The change in force for `month`: the latest month not after it, and within
// a month the latest in the log. NotFound when the object did not exist then.
absl::StatusOr<v1::AssignmentChange> AssignmentForMonth(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id, BillingMonth month);

// The change in force as the log stood just after the record at `offset` of
// the customer's partition: the latest by log position up to it. NotFound
// when the object did not exist yet.
absl::StatusOr<v1::AssignmentChange> AssignmentAtOffset(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id, int64_t offset);

struct ResolvedBillingDetails {
  std::string invoice_account_id;
  v1::Address billing_address;
  std::string email;
  std::string source;  // "account", "group_head" or "customer"
};

// Where an object's charges are invoiced (seed 001): a grouped member's on
// its head's invoice with the head's details; otherwise its account's own
// details; each empty field falls back to the customer's.
absl::StatusOr<ResolvedBillingDetails> ResolveBillingDetails(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view object_id);

// This domain's registration (engine/structure/domain.cc), listed once in
// engine/engine.cc.
extern const Domain kStructureDomain;

}  // namespace billing
