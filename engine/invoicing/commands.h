#pragma once

// The invoicing domain's commands and events (docs/invoicing.md): a billing
// run over one customer records its preparations, a person adds ad-hoc
// lines to them, deletes a selection (effective once confirmed).
//
// A run is decided by GatherCustomer (gather.h), the very function a
// simulation calls, through the same RunParamsFromProto: a simulation and a
// real run over the same state give byte-identical preparations. A run
// replaces the GENERATED and ANOMALY preparations of its period and scope
// (so nothing is gathered twice); a VALIDATED or CANCELLED preparation is
// never touched, and a gathered preparation with its id is dropped.
//
// Each command's rejections are listed below in precedence order (kOrder);
// a rejection's message ends in " [NAME]" (engine/core/rejection.h).
//
// State keys (engine/core/keys.h lists the family):
//   prep/<customer_id>/<preparation_id>   billing.v1.Preparation

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/events.pb.h"
#include "billing/v1/invoicing.pb.h"
#include "billing/v1/state.pb.h"
#include "engine/core/dates.h"
#include "engine/core/domain.h"
#include "engine/core/rejection.h"
#include "engine/core/state.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/gather.h"

namespace billing {

inline constexpr absl::string_view kPreparationsGatheredType =
    "invoicing.preparations_gathered";
inline constexpr absl::string_view kPreparationLineAddedType =
    "invoicing.preparation_line_added";
inline constexpr absl::string_view kPreparationsDeletedType =
    "invoicing.preparations_deleted";
inline constexpr absl::string_view kDeletionConfirmedType =
    "invoicing.deletion_confirmed";

inline constexpr absl::string_view kPreparationPrefix = "prep/";
// Bytes of a preparation id (the gather's are customer, period, party,
// entity, family, type and bill-to: well under).
inline constexpr size_t kPreparationIdLengthMax = 512;
// Preparations one delete or confirm command names.
inline constexpr size_t kPreparationIdsMax = 1000;
// Bytes of an ad-hoc line's label.
inline constexpr size_t kAdHocLabelLengthMax = 200;

// "prep/<customer_id>/<preparation_id>".
std::string PreparationKey(absl::string_view customer_id,
                           absl::string_view preparation_id);
// "prep/<customer_id>/": every preparation of the customer.
std::string PreparationsPrefix(absl::string_view customer_id);

namespace invoicing_rejections {
inline constexpr Rejection kCustomerIdInvalid =
    customer_rejections::kCustomerIdInvalid;
inline constexpr Rejection kCustomerNotFound =
    customer_rejections::kCustomerNotFound;
// An InvoicingCommand without a body (after its customer).
inline constexpr Rejection kCommandEmpty{"INVOICING_COMMAND_EMPTY",
                                         absl::StatusCode::kInvalidArgument};
// Empty, too long, or (delete, confirm) none, too many or twice the same.
inline constexpr Rejection kPreparationIdInvalid{
    "PREPARATION_ID_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kPreparationNotFound{"PREPARATION_NOT_FOUND",
                                                absl::StatusCode::kNotFound};
}  // namespace invoicing_rejections

// gather_preparations: the customer, the parameters (run id, dates, scope,
// filters; GatherCustomer's own refusals are RUN_PARAMS_INVALID too).
namespace gather_preparations {
using invoicing_rejections::kCustomerIdInvalid;
using invoicing_rejections::kCustomerNotFound;
inline constexpr Rejection kRunIdInvalid{"RUN_ID_INVALID",
                                         absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kRunParamsInvalid{
    "RUN_PARAMS_INVALID", absl::StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kCustomerNotFound,
                                       kRunIdInvalid, kRunParamsInvalid};
}  // namespace gather_preparations

// add_preparation_line: the customer, the id, the line's fields, the
// preparation (GENERATED and not marked for deletion), the article, the
// section, then the amounts.
namespace add_preparation_line {
using invoicing_rejections::kCustomerIdInvalid;
using invoicing_rejections::kCustomerNotFound;
using invoicing_rejections::kPreparationIdInvalid;
using invoicing_rejections::kPreparationNotFound;
// No label or too long, article code not a code, quantity not > 0.
inline constexpr Rejection kLineInvalid{"AD_HOC_LINE_INVALID",
                                        absl::StatusCode::kInvalidArgument};
// VALIDATED, CANCELLED, ANOMALY, or marked for deletion.
inline constexpr Rejection kPreparationNotGenerated{
    "PREPARATION_NOT_GENERATED", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kArticleNotFound{"ARTICLE_NOT_FOUND",
                                            absl::StatusCode::kNotFound};
// entity_id names no section of the preparation.
inline constexpr Rejection kEntityNotOnPreparation{
    "ENTITY_NOT_ON_PREPARATION", absl::StatusCode::kInvalidArgument};
// The line's amount or the preparation's totals do not fit int64.
inline constexpr Rejection kAmountOutOfRange{"AMOUNT_OUT_OF_RANGE",
                                             absl::StatusCode::kOutOfRange};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kCustomerNotFound,       kPreparationIdInvalid,
    kLineInvalid,       kPreparationNotFound,    kPreparationNotGenerated,
    kArticleNotFound,   kEntityNotOnPreparation, kAmountOutOfRange};
}  // namespace add_preparation_line

// delete_preparations: the customer, the ids, each preparation (found,
// GENERATED or ANOMALY, not marked already).
namespace delete_preparations {
using invoicing_rejections::kCustomerIdInvalid;
using invoicing_rejections::kCustomerNotFound;
using invoicing_rejections::kPreparationIdInvalid;
using invoicing_rejections::kPreparationNotFound;
inline constexpr Rejection kPreparationNotDeletable{
    "PREPARATION_NOT_DELETABLE", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kDeletionPending{
    "PREPARATION_DELETION_PENDING", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid,   kCustomerNotFound,        kPreparationIdInvalid,
    kPreparationNotFound, kPreparationNotDeletable, kDeletionPending};
}  // namespace delete_preparations

// confirm_deletion: the customer, the ids, each preparation (found and
// marked for deletion).
namespace confirm_deletion {
using invoicing_rejections::kCustomerIdInvalid;
using invoicing_rejections::kCustomerNotFound;
using invoicing_rejections::kPreparationIdInvalid;
using invoicing_rejections::kPreparationNotFound;
inline constexpr Rejection kDeletionNotPending{
    "PREPARATION_DELETION_NOT_PENDING", absl::StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kCustomerNotFound, kPreparationIdInvalid,
    kPreparationNotFound, kDeletionNotPending};
}  // namespace confirm_deletion

// A list of preparation ids (delete, confirm, validate): present, at most
// kPreparationIdsMax, each a preparation id, each once.
// PREPARATION_ID_INVALID naming the element otherwise.
absl::Status CheckPreparationIds(
    const google::protobuf::RepeatedPtrField<std::string>& ids);

// The run's parameters from the command's message; an empty business date
// is `business_date`. Errors: RUN_ID_INVALID, RUN_PARAMS_INVALID.
// What a run records for one customer, and what a simulation shows: the
// customer's gathered preparations, less those whose id is a VALIDATED or
// CANCELLED preparation's, and the generated ones of the same period and
// scope they replace. DecideInvoicing's GatherPreparations is this, in an
// event; a simulation calls it alike.
absl::StatusOr<v1::PreparationsGathered> GatherRun(
    const StateReader& state, absl::string_view customer_id,
    const RunParams& params);

absl::StatusOr<RunParams> RunParamsFromProto(const v1::RunParams& params,
                                             BusinessDate business_date);

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideInvoicing(
    const StateReader& state, const v1::InvoicingCommand& command,
    BusinessDate business_date);

// The stable type name of an invoicing event ("" when the body is unset).
absl::string_view InvoicingEventType(const v1::InvoicingEvent& event);

// Errors: DataLoss (an event that does not fit the state: a preparation
// missing, an id empty).
absl::Status ApplyInvoicingEvent(StateWriter& state,
                                 const v1::EventEnvelope& event,
                                 const v1::LogPosition& position);

absl::StatusOr<v1::InvoicingAnswer> InvoicingAnswerFor(
    const StateReader& state, const v1::LogRecord& record);

// --- queries ---

// The customer's preparations in key order (by preparation id), at most
// `records_max`. DataLoss when one does not parse.
absl::StatusOr<std::vector<v1::Preparation>> ListPreparations(
    const StateReader& state, absl::string_view customer_id,
    size_t records_max = std::numeric_limits<size_t>::max());

// The holder's code a preparation id begins with (the gather's ids are
// "<holder>/<period>/...", and codes hold no "/"): "C1" for
// "C1/2026-03-01..2026-03-31/C1/HQ/*/INV". InvalidArgument naming `field`
// when the id does not begin with a customer code.
absl::StatusOr<std::string> PreparationHolder(absl::string_view field,
                                              absl::string_view preparation_id);

// One preparation; nullopt when absent.
absl::StatusOr<std::optional<v1::Preparation>> LoadPreparation(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view preparation_id);

// This domain's registration (engine/invoicing/domain.cc), listed once in
// engine/engine.cc.
extern const Domain kInvoicingDomain;

}  // namespace billing
