#pragma once

// The billing structure (SPEC.md section 1): billing entities, billable
// objects in a tree under accounts, grouped accounts, and reassignments that
// take effect for a whole billing month. Decide/Apply for the commands, and
// the queries the services answer from state.
//
// Rejections, in precedence order (the first that applies is the answer):
//   every command: customer_id (NOT_FOUND when the customer does not exist),
//     then the command's own fields in the order below.
//   create_entity: entity.entity_id, entity.name, entity.billing_address.*,
//     entity.email, then ALREADY_EXISTS.
//   set_main_entity, set_entity_invoiced_separately: entity_id (NOT_FOUND).
//   create_object: object.object_id, object.kind (required, then a known
//     kind), object.parent_id,
//     object.label, object.e164, object.account, entity_id, discount_percent,
//     then ALREADY_EXISTS (object id, then phone number).
//   set_account_group: account_id, role, head_account_id, then the group
//     rules (a head cannot be a member; a member names a head; a head with
//     members cannot leave its role).
//   reassign_objects: selection, entity_id, discount_percent, then
//     FAILED_PRECONDITION for an object created after the effective month.

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/state.pb.h"
#include "billing/v1/structure.pb.h"
#include "engine/core/dates.h"
#include "engine/core/state.h"

namespace billing {

// Length limits of the structure's string fields (docs/api.md); object ids
// are limits::kObjectIdLengthMax (engine/core/validation.h).
namespace limits {
inline constexpr size_t kEntityIdLengthMax = 32;
inline constexpr size_t kEntityNameLengthMax = 200;
inline constexpr size_t kObjectLabelLengthMax = 200;
}  // namespace limits

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

}  // namespace billing
