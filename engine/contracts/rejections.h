#pragma once

// The contracts domain's rejections (engine/core/rejection.h): per command,
// every reason it can be refused, and kOrder, the order they are checked in
// (the first that applies is the answer). A message reads
// "<field>: <detail> [NAME]".
//
// Every command first checks customer_id: a reference command (articles,
// index publications, company markup, hourly rates) must go to "@reference",
// any other to a customer code. A field's shape errors share one name: the
// value is missing, malformed, negative, over its maximum
// (engine/contracts/limits.h: "<field>: <value> is over the maximum <max>",
// checked right after its sign), or not allowed on this kind of rule.

#include "absl/status/status.h"
#include "engine/core/rejection.h"
#include "engine/customer/customer.h"

namespace billing {

// Reasons several commands share (each command's namespace names the ones it
// uses, so that its list is complete on its own).
namespace contract_command {
using absl::StatusCode;
// The command names no body.
inline constexpr Rejection kCommandMissing{"COMMAND_MISSING",
                                           StatusCode::kInvalidArgument};
// Not a customer code, or the wrong partition for the command.
using customer_rejections::kCustomerIdInvalid;
inline constexpr Rejection kContractRefInvalid{"CONTRACT_REF_INVALID",
                                               StatusCode::kInvalidArgument};
inline constexpr Rejection kRuleIdInvalid{"RULE_ID_INVALID",
                                          StatusCode::kInvalidArgument};
using customer_rejections::kCustomerNotFound;
inline constexpr Rejection kContractNotFound{"CONTRACT_NOT_FOUND",
                                             StatusCode::kNotFound};
inline constexpr Rejection kRuleNotFound{"RULE_NOT_FOUND",
                                         StatusCode::kNotFound};
// The rule is of another type than the command needs.
inline constexpr Rejection kRuleTypeMismatch{"RULE_TYPE_MISMATCH",
                                             StatusCode::kInvalidArgument};
// A date outside the rule's start and end.
inline constexpr Rejection kDateOutsideRule{"DATE_OUTSIDE_RULE",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kPriceHistoryFull{"PRICE_HISTORY_FULL",
                                             StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {kCommandMissing, kCustomerIdInvalid};
}  // namespace contract_command

namespace define_article {
using absl::StatusCode;
using contract_command::kCustomerIdInvalid;
inline constexpr Rejection kArticleCodeInvalid{"ARTICLE_CODE_INVALID",
                                               StatusCode::kInvalidArgument};
inline constexpr Rejection kLabelInvalid{"ARTICLE_LABEL_INVALID",
                                         StatusCode::kInvalidArgument};
inline constexpr Rejection kVatRateInvalid{"ARTICLE_VAT_RATE_INVALID",
                                           StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kArticleCodeInvalid,
                                       kLabelInvalid, kVatRateInvalid};
}  // namespace define_article

namespace publish_index {
using absl::StatusCode;
using contract_command::kCustomerIdInvalid;
inline constexpr Rejection kIndexCodeInvalid{"INDEX_CODE_INVALID",
                                             StatusCode::kInvalidArgument};
inline constexpr Rejection kDateInvalid{"PUBLICATION_DATE_INVALID",
                                        StatusCode::kInvalidArgument};
inline constexpr Rejection kValueInvalid{"INDEX_VALUE_INVALID",
                                         StatusCode::kInvalidArgument};
inline constexpr Rejection kAlreadyPublished{"INDEX_ALREADY_PUBLISHED",
                                             StatusCode::kAlreadyExists};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kIndexCodeInvalid,
                                       kDateInvalid, kValueInvalid,
                                       kAlreadyPublished};
}  // namespace publish_index

namespace set_company_markup {
using absl::StatusCode;
using contract_command::kCustomerIdInvalid;
inline constexpr Rejection kDateInvalid{"MARKUP_DATE_INVALID",
                                        StatusCode::kInvalidArgument};
inline constexpr Rejection kPercentInvalid{"MARKUP_PERCENT_INVALID",
                                           StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kDateInvalid,
                                       kPercentInvalid};
}  // namespace set_company_markup

namespace set_hourly_rate {
using absl::StatusCode;
using contract_command::kCustomerIdInvalid;
inline constexpr Rejection kPersonIdInvalid{"PERSON_ID_INVALID",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kDateInvalid{"RATE_DATE_INVALID",
                                        StatusCode::kInvalidArgument};
inline constexpr Rejection kRateInvalid{"RATE_INVALID",
                                        StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kPersonIdInvalid,
                                       kDateInvalid, kRateInvalid};
}  // namespace set_hourly_rate

namespace create_contract {
using absl::StatusCode;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
inline constexpr Rejection kFamilyInvalid{"CONTRACT_FAMILY_INVALID",
                                          StatusCode::kInvalidArgument};
inline constexpr Rejection kBillingFamilyInvalid{"BILLING_FAMILY_INVALID",
                                                 StatusCode::kInvalidArgument};
inline constexpr Rejection kSiteCodeInvalid{"SITE_CODE_INVALID",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kStartDateInvalid{"START_DATE_INVALID",
                                             StatusCode::kInvalidArgument};
// Malformed, or before the start.
inline constexpr Rejection kEndDateInvalid{"END_DATE_INVALID",
                                           StatusCode::kInvalidArgument};
inline constexpr Rejection kBillToPartyInvalid{"BILL_TO_PARTY_INVALID",
                                               StatusCode::kInvalidArgument};
// Not a mode, or missing beside a bill-to party.
inline constexpr Rejection kBillToModeInvalid{"BILL_TO_MODE_INVALID",
                                              StatusCode::kInvalidArgument};
// A bill-to mode without a party.
inline constexpr Rejection kBillToPartyRequired{"BILL_TO_PARTY_REQUIRED",
                                                StatusCode::kInvalidArgument};
inline constexpr Rejection kAlreadyExists{"CONTRACT_ALREADY_EXISTS",
                                          StatusCode::kAlreadyExists};
inline constexpr Rejection kBillToPartyIsHolder{"BILL_TO_PARTY_IS_HOLDER",
                                                StatusCode::kInvalidArgument};
inline constexpr Rejection kBillToPartyNotFound{"BILL_TO_PARTY_NOT_FOUND",
                                                StatusCode::kNotFound};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid,    kContractRefInvalid, kFamilyInvalid,
    kBillingFamilyInvalid, kSiteCodeInvalid,    kStartDateInvalid,
    kEndDateInvalid,       kBillToPartyInvalid, kBillToModeInvalid,
    kBillToPartyRequired,  kCustomerNotFound,   kAlreadyExists,
    kBillToPartyIsHolder,  kBillToPartyNotFound};
}  // namespace create_contract

namespace create_rule {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kRuleIdInvalid;
inline constexpr Rejection kLabelInvalid{"RULE_LABEL_INVALID",
                                         StatusCode::kInvalidArgument};
inline constexpr Rejection kTypeInvalid{"RULE_TYPE_INVALID",
                                        StatusCode::kInvalidArgument};
// None, too many, one malformed or listed twice.
inline constexpr Rejection kObjectsInvalid{"RULE_OBJECTS_INVALID",
                                           StatusCode::kInvalidArgument};
inline constexpr Rejection kArticleCodeInvalid{"ARTICLE_CODE_INVALID",
                                               StatusCode::kInvalidArgument};
inline constexpr Rejection kUnitPriceInvalid{"RULE_UNIT_PRICE_INVALID",
                                             StatusCode::kInvalidArgument};
inline constexpr Rejection kCostPriceInvalid{"RULE_COST_PRICE_INVALID",
                                             StatusCode::kInvalidArgument};
inline constexpr Rejection kQuantityInvalid{"RULE_QUANTITY_INVALID",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kPeriodicityInvalid{"RULE_PERIODICITY_INVALID",
                                               StatusCode::kInvalidArgument};
// PERIODICITY_DAYS without period_days in 1..3660, or period_days on
// another periodicity.
inline constexpr Rejection kPeriodDaysInvalid{"RULE_PERIOD_DAYS_INVALID",
                                              StatusCode::kInvalidArgument};
inline constexpr Rejection kTimingInvalid{"RULE_TIMING_INVALID",
                                          StatusCode::kInvalidArgument};
// Outside 0..31, or given with PERIODICITY_DAYS, an installment schedule or
// a usage rule.
inline constexpr Rejection kBillingDayInvalid{"RULE_BILLING_DAY_INVALID",
                                              StatusCode::kInvalidArgument};
// no_proration on an installment schedule or a usage rule.
inline constexpr Rejection kProrationInvalid{"RULE_PRORATION_INVALID",
                                             StatusCode::kInvalidArgument};
// Not a usage kind of usage.proto, UNSPECIFIED, listed twice, or given on
// another type than USAGE.
inline constexpr Rejection kUsageKindsInvalid{"RULE_USAGE_KINDS_INVALID",
                                              StatusCode::kInvalidArgument};
inline constexpr Rejection kStartDateInvalid{"RULE_START_DATE_INVALID",
                                             StatusCode::kInvalidArgument};
// Malformed, before the start, or missing on an installment schedule.
inline constexpr Rejection kEndDateInvalid{"RULE_END_DATE_INVALID",
                                           StatusCode::kInvalidArgument};
inline constexpr Rejection kConditionJobInvalid{"RULE_CONDITION_JOB_INVALID",
                                                StatusCode::kInvalidArgument};
// rule.recurring_increase and its fields.
inline constexpr Rejection kRecurringIncreaseInvalid{
    "RULE_RECURRING_INCREASE_INVALID", StatusCode::kInvalidArgument};
// rule.installment_schedule's shape: the fee, the count, each installment.
inline constexpr Rejection kScheduleInvalid{"RULE_SCHEDULE_INVALID",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kAlreadyExists{"RULE_ALREADY_EXISTS",
                                          StatusCode::kAlreadyExists};
inline constexpr Rejection kArticleNotFound{"ARTICLE_NOT_FOUND",
                                            StatusCode::kNotFound};
// Before the contract's start or after its end.
inline constexpr Rejection kStartOutsideContract{"RULE_START_OUTSIDE_CONTRACT",
                                                 StatusCode::kInvalidArgument};
// After the contract's end, or before the rule's start taken from it.
inline constexpr Rejection kEndOutsideContract{"RULE_END_OUTSIDE_CONTRACT",
                                               StatusCode::kInvalidArgument};
// The fee is over the largest unit price in the customer's currency.
inline constexpr Rejection kFeeOverUnitPrice{"RULE_FEE_OVER_UNIT_PRICE",
                                             StatusCode::kInvalidArgument};
// The installments against the fiscal year: outside it, out of order, not
// adding up to the fee, or an even split into too many.
inline constexpr Rejection kInstallmentsMismatch{"RULE_INSTALLMENTS_MISMATCH",
                                                 StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid,   kContractRefInvalid,
    kRuleIdInvalid,       kLabelInvalid,
    kTypeInvalid,         kObjectsInvalid,
    kArticleCodeInvalid,  kUnitPriceInvalid,
    kCostPriceInvalid,    kQuantityInvalid,
    kPeriodicityInvalid,  kPeriodDaysInvalid,
    kTimingInvalid,       kBillingDayInvalid,
    kProrationInvalid,    kUsageKindsInvalid,
    kStartDateInvalid,    kEndDateInvalid,
    kConditionJobInvalid, kRecurringIncreaseInvalid,
    kScheduleInvalid,     kCustomerNotFound,
    kContractNotFound,    kAlreadyExists,
    kArticleNotFound,     kStartOutsideContract,
    kEndOutsideContract,  kFeeOverUnitPrice,
    kInstallmentsMismatch};
}  // namespace create_rule

namespace set_rule_dates {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kRuleIdInvalid;
using contract_command::kRuleNotFound;
inline constexpr Rejection kNextDateInvalid{"NEXT_DATE_INVALID",
                                            StatusCode::kInvalidArgument};
// Malformed, or missing beside last_invoice_ref.
inline constexpr Rejection kLastInvoiceDateInvalid{
    "LAST_INVOICE_DATE_INVALID", StatusCode::kInvalidArgument};
inline constexpr Rejection kLastInvoiceRefInvalid{"LAST_INVOICE_REF_INVALID",
                                                  StatusCode::kInvalidArgument};
inline constexpr Rejection kNotABillingDate{"NOT_A_BILLING_DATE",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kContractRefInvalid,     kRuleIdInvalid,
    kNextDateInvalid,   kLastInvoiceDateInvalid, kLastInvoiceRefInvalid,
    kCustomerNotFound,  kContractNotFound,       kRuleNotFound,
    kNotABillingDate};
}  // namespace set_rule_dates

namespace end_rule {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kRuleIdInvalid;
using contract_command::kRuleNotFound;
inline constexpr Rejection kEndDateInvalid{"END_DATE_INVALID",
                                           StatusCode::kInvalidArgument};
inline constexpr Rejection kReasonInvalid{"REASON_INVALID",
                                          StatusCode::kInvalidArgument};
// An installment schedule: its end is its fiscal year.
inline constexpr Rejection kRuleNotEndable{"RULE_NOT_ENDABLE",
                                           StatusCode::kFailedPrecondition};
// Before the rule's start, or not before its current end.
inline constexpr Rejection kEndNotEarlier{"END_NOT_EARLIER",
                                          StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kContractRefInvalid, kRuleIdInvalid,
    kEndDateInvalid,    kReasonInvalid,      kCustomerNotFound,
    kContractNotFound,  kRuleNotFound,       kRuleNotEndable,
    kEndNotEarlier};
}  // namespace end_rule

namespace record_rule_billed {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kRuleIdInvalid;
using contract_command::kRuleNotFound;
inline constexpr Rejection kPeriodStartInvalid{"PERIOD_START_INVALID",
                                               StatusCode::kInvalidArgument};
inline constexpr Rejection kInvoiceRefInvalid{"INVOICE_REF_INVALID",
                                              StatusCode::kInvalidArgument};
inline constexpr Rejection kInvoiceDateInvalid{"INVOICE_DATE_INVALID",
                                               StatusCode::kInvalidArgument};
// The rule has no next date, is finished, or the period is not the one at
// its next date.
inline constexpr Rejection kPeriodNotNext{"PERIOD_NOT_NEXT",
                                          StatusCode::kFailedPrecondition};
// The period is billable only after the invoice date.
inline constexpr Rejection kPeriodNotBillableYet{
    "PERIOD_NOT_BILLABLE_YET", StatusCode::kFailedPrecondition};
// A conditional rule whose job is not completed by the invoice date.
inline constexpr Rejection kRuleHeld{"RULE_HELD",
                                     StatusCode::kFailedPrecondition};
// A consumed-units rule whose readings cannot be billed.
inline constexpr Rejection kReadingAnomaly{"READING_ANOMALY",
                                           StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid,  kContractRefInvalid,   kRuleIdInvalid,
    kPeriodStartInvalid, kInvoiceRefInvalid,    kInvoiceDateInvalid,
    kCustomerNotFound,   kContractNotFound,     kRuleNotFound,
    kPeriodNotNext,      kPeriodNotBillableYet, kRuleHeld,
    kReadingAnomaly};
}  // namespace record_rule_billed

namespace record_reading {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kRuleIdInvalid;
using contract_command::kRuleNotFound;
using contract_command::kRuleTypeMismatch;
inline constexpr Rejection kObjectIdInvalid{"OBJECT_ID_INVALID",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kDateInvalid{"READING_DATE_INVALID",
                                        StatusCode::kInvalidArgument};
inline constexpr Rejection kKindInvalid{"READING_KIND_INVALID",
                                        StatusCode::kInvalidArgument};
inline constexpr Rejection kValueInvalid{"READING_VALUE_INVALID",
                                         StatusCode::kInvalidArgument};
// Negative, over the maximum, or given on another kind than a replacement.
inline constexpr Rejection kOldMeterValueInvalid{"OLD_METER_VALUE_INVALID",
                                                 StatusCode::kInvalidArgument};
inline constexpr Rejection kObjectNotCovered{"OBJECT_NOT_COVERED",
                                             StatusCode::kInvalidArgument};
// The first reading is not the installation, or a second installation.
inline constexpr Rejection kKindOutOfSequence{"READING_KIND_OUT_OF_SEQUENCE",
                                              StatusCode::kInvalidArgument};
inline constexpr Rejection kDateBeforeLatest{"READING_DATE_BEFORE_LATEST",
                                             StatusCode::kInvalidArgument};
// A regular reading below the previous one.
inline constexpr Rejection kValueBelowPrevious{"READING_BELOW_PREVIOUS",
                                               StatusCode::kFailedPrecondition};
inline constexpr Rejection kOldMeterValueBelowLatest{
    "OLD_METER_VALUE_BELOW_LATEST", StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid,
                                       kContractRefInvalid,
                                       kRuleIdInvalid,
                                       kObjectIdInvalid,
                                       kDateInvalid,
                                       kKindInvalid,
                                       kValueInvalid,
                                       kOldMeterValueInvalid,
                                       kCustomerNotFound,
                                       kContractNotFound,
                                       kRuleNotFound,
                                       kRuleTypeMismatch,
                                       kObjectNotCovered,
                                       kKindOutOfSequence,
                                       kDateBeforeLatest,
                                       kValueBelowPrevious,
                                       kOldMeterValueBelowLatest};
}  // namespace record_reading

namespace correct_reading {
using absl::StatusCode;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using end_rule::kReasonInvalid;
using record_reading::kObjectIdInvalid;
using record_reading::kValueInvalid;
inline constexpr Rejection kSeqInvalid{"READING_SEQ_INVALID",
                                       StatusCode::kInvalidArgument};
inline constexpr Rejection kReadingNotFound{"READING_NOT_FOUND",
                                            StatusCode::kNotFound};
// An installation or replacement reading: record a replacement instead.
inline constexpr Rejection kNotRegular{"READING_NOT_REGULAR",
                                       StatusCode::kFailedPrecondition};
// Below the previous reading or above the next one, or unchanged.
inline constexpr Rejection kValueOutOfOrder{"READING_VALUE_OUT_OF_ORDER",
                                            StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kObjectIdInvalid, kSeqInvalid,     kValueInvalid,
    kReasonInvalid,     kCustomerNotFound, kReadingNotFound, kNotRegular,
    kValueOutOfOrder};
}  // namespace correct_reading

namespace record_work_units {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kDateOutsideRule;
using contract_command::kRuleIdInvalid;
using contract_command::kRuleNotFound;
using contract_command::kRuleTypeMismatch;
inline constexpr Rejection kWorkDateInvalid{"WORK_DATE_INVALID",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kQuantityInvalid{"QUANTITY_INVALID",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kNoteInvalid{"NOTE_INVALID",
                                        StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kContractRefInvalid, kRuleIdInvalid,
    kWorkDateInvalid,   kQuantityInvalid,    kNoteInvalid,
    kCustomerNotFound,  kContractNotFound,   kRuleNotFound,
    kRuleTypeMismatch,  kDateOutsideRule};
}  // namespace record_work_units

namespace record_time {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kDateOutsideRule;
using contract_command::kRuleIdInvalid;
using contract_command::kRuleNotFound;
using contract_command::kRuleTypeMismatch;
using record_work_units::kNoteInvalid;
using record_work_units::kWorkDateInvalid;
using set_hourly_rate::kPersonIdInvalid;
// Not positive, or more than a day.
inline constexpr Rejection kHoursInvalid{"HOURS_INVALID",
                                         StatusCode::kInvalidArgument};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kContractRefInvalid, kRuleIdInvalid,
    kPersonIdInvalid,   kWorkDateInvalid,    kHoursInvalid,
    kNoteInvalid,       kCustomerNotFound,   kContractNotFound,
    kRuleNotFound,      kRuleTypeMismatch,   kDateOutsideRule};
}  // namespace record_time

namespace complete_job {
using absl::StatusCode;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
inline constexpr Rejection kJobIdInvalid{"JOB_ID_INVALID",
                                         StatusCode::kInvalidArgument};
inline constexpr Rejection kCompletedOnInvalid{"COMPLETED_ON_INVALID",
                                               StatusCode::kInvalidArgument};
inline constexpr Rejection kAlreadyCompleted{"JOB_ALREADY_COMPLETED",
                                             StatusCode::kAlreadyExists};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kJobIdInvalid,
                                       kCompletedOnInvalid, kCustomerNotFound,
                                       kAlreadyCompleted};
}  // namespace complete_job

namespace schedule_increase {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kPriceHistoryFull;
using contract_command::kRuleIdInvalid;
using contract_command::kRuleNotFound;
inline constexpr Rejection kDateInvalid{"INCREASE_DATE_INVALID",
                                        StatusCode::kInvalidArgument};
inline constexpr Rejection kKindInvalid{"INCREASE_KIND_INVALID",
                                        StatusCode::kInvalidArgument};
// increase.syntec and its fields, or a formula on another kind.
inline constexpr Rejection kSyntecInvalid{"INCREASE_SYNTEC_INVALID",
                                          StatusCode::kInvalidArgument};
inline constexpr Rejection kNewIndexInvalid{"INCREASE_NEW_INDEX_INVALID",
                                            StatusCode::kInvalidArgument};
// Negative or over the maximum unit price, or given on another kind.
inline constexpr Rejection kNewPriceInvalid{"INCREASE_NEW_PRICE_INVALID",
                                            StatusCode::kInvalidArgument};
inline constexpr Rejection kPercentInvalid{"INCREASE_PERCENT_INVALID",
                                           StatusCode::kInvalidArgument};
// Malformed or too long; missing on a new price.
inline constexpr Rejection kReasonInvalid{"INCREASE_REASON_INVALID",
                                          StatusCode::kInvalidArgument};
inline constexpr Rejection kNoUnitPrice{"RULE_HAS_NO_UNIT_PRICE",
                                        StatusCode::kFailedPrecondition};
inline constexpr Rejection kBeforeRuleStart{"INCREASE_BEFORE_RULE_START",
                                            StatusCode::kInvalidArgument};
// An earlier step of the rule's history cannot be computed.
inline constexpr Rejection kPriceUnknown{"PRICE_UNKNOWN",
                                         StatusCode::kFailedPrecondition};
inline constexpr Rejection kNoMarkup{"MARKUP_NOT_IN_FORCE",
                                     StatusCode::kFailedPrecondition};
inline constexpr Rejection kNoReferenceIndex{"REFERENCE_INDEX_UNKNOWN",
                                             StatusCode::kFailedPrecondition};
inline constexpr Rejection kNoIndex{"INDEX_NOT_PUBLISHED",
                                    StatusCode::kFailedPrecondition};
// The new price does not fit in 64 bits.
inline constexpr Rejection kNotComputable{"INCREASE_NOT_COMPUTABLE",
                                          StatusCode::kFailedPrecondition};
inline constexpr Rejection kPriceOverMax{"PRICE_OVER_MAXIMUM",
                                         StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {kCustomerIdInvalid, kContractRefInvalid,
                                       kRuleIdInvalid,     kDateInvalid,
                                       kKindInvalid,       kSyntecInvalid,
                                       kNewIndexInvalid,   kNewPriceInvalid,
                                       kPercentInvalid,    kReasonInvalid,
                                       kCustomerNotFound,  kContractNotFound,
                                       kRuleNotFound,      kNoUnitPrice,
                                       kPriceHistoryFull,  kBeforeRuleStart,
                                       kPriceUnknown,      kNoMarkup,
                                       kNoReferenceIndex,  kNoIndex,
                                       kNotComputable,     kPriceOverMax};
}  // namespace schedule_increase

namespace apply_anniversary_increases {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kPriceHistoryFull;
using contract_command::kRuleNotFound;
using schedule_increase::kNotComputable;
inline constexpr Rejection kAsOfDateInvalid{"AS_OF_DATE_INVALID",
                                            StatusCode::kInvalidArgument};
// Malformed, or given without contract_ref.
using contract_command::kRuleIdInvalid;
inline constexpr Rejection kNothingPending{"NOTHING_PENDING",
                                           StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kAsOfDateInvalid,  kContractRefInvalid, kRuleIdInvalid,
    kCustomerNotFound,  kContractNotFound, kRuleNotFound,       kNotComputable,
    kPriceHistoryFull,  kNothingPending};
}  // namespace apply_anniversary_increases

namespace cancel_increase {
using absl::StatusCode;
using contract_command::kContractNotFound;
using contract_command::kContractRefInvalid;
using contract_command::kCustomerIdInvalid;
using contract_command::kCustomerNotFound;
using contract_command::kRuleIdInvalid;
using contract_command::kRuleNotFound;
inline constexpr Rejection kSeqInvalid{"SEQ_INVALID",
                                       StatusCode::kInvalidArgument};
inline constexpr Rejection kReasonInvalid{"REASON_INVALID",
                                          StatusCode::kInvalidArgument};
inline constexpr Rejection kIncreaseNotFound{"INCREASE_NOT_FOUND",
                                             StatusCode::kNotFound};
inline constexpr Rejection kAlreadyCancelled{"INCREASE_ALREADY_CANCELLED",
                                             StatusCode::kFailedPrecondition};
inline constexpr Rejection kOrder[] = {
    kCustomerIdInvalid, kContractRefInvalid, kRuleIdInvalid,    kSeqInvalid,
    kReasonInvalid,     kCustomerNotFound,   kContractNotFound, kRuleNotFound,
    kIncreaseNotFound,  kAlreadyCancelled};
}  // namespace cancel_increase

}  // namespace billing
