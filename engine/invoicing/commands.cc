#include "engine/invoicing/commands.h"

#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/store.h"
#include "engine/core/events.h"
#include "engine/core/money.h"
#include "engine/core/validation.h"
#include "engine/invoicing/preparation.h"
#include "engine/invoicing/runs.h"

namespace billing {
namespace {

bool Replaceable(const v1::Preparation& p) {
  return p.status() == v1::PREPARATION_STATUS_GENERATED ||
         p.status() == v1::PREPARATION_STATUS_ANOMALY;
}

absl::Status CheckPreparationId(absl::string_view field, absl::string_view id) {
  if (id.empty()) {
    return Reject(invoicing_rejections::kPreparationIdInvalid,
                  absl::StrCat(field, ": is empty"));
  }
  if (id.size() > kPreparationIdLengthMax || !IsValidUtf8(id)) {
    return Reject(invoicing_rejections::kPreparationIdInvalid,
                  absl::StrFormat("%s: %s is not a preparation id", field,
                                  QuoteValue(id)));
  }
  return absl::OkStatus();
}

// The preparation `id` of the customer, or PREPARATION_NOT_FOUND.
absl::StatusOr<v1::Preparation> RequirePreparation(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view field, absl::string_view id) {
  auto found = LoadPreparation(state, customer_id, id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return Reject(invoicing_rejections::kPreparationNotFound,
                  absl::StrFormat("%s: no preparation %s of customer %s", field,
                                  QuoteValue(id), QuoteValue(customer_id)));
  }
  return **std::move(found);
}

absl::StatusOr<BusinessDate> ParamDate(absl::string_view text,
                                       absl::string_view field) {
  return NamedIf(gather_preparations::kRunParamsInvalid,
                 ParseBusinessDate(text, field));
}

// --- gather ---

// The event of a run: the gathered preparations but those whose id is a
// preparation the run may not touch; the replaceable ones of the period.
absl::StatusOr<v1::PreparationsGathered> GatheredEvent(
    const StateReader& state, absl::string_view customer_id,
    const RunParams& params, std::vector<v1::Preparation> gathered) {
  auto stored = ListPreparations(state, customer_id);
  if (!stored.ok()) return stored.status();
  v1::PreparationsGathered e;
  e.set_run_id(params.run_id);
  e.set_period_start(FormatBusinessDate(params.period_start));
  e.set_period_end(FormatBusinessDate(params.period_end));
  e.set_scope(params.scope);
  std::set<std::string> untouchable;
  for (const v1::Preparation& p : *stored) {
    const bool same_run_scope = p.period_start() == e.period_start() &&
                                p.period_end() == e.period_end() &&
                                p.scope() == e.scope();
    if (same_run_scope && Replaceable(p)) {
      e.add_replaced_preparation_ids(p.preparation_id());
    } else if (!Replaceable(p)) {
      untouchable.insert(p.preparation_id());
    }
  }
  for (v1::Preparation& p : gathered) {
    if (untouchable.contains(p.preparation_id())) continue;
    *e.add_preparations() = std::move(p);
  }
  return e;
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideGather(
    const StateReader& state, absl::string_view customer_id,
    const v1::GatherPreparations& command, BusinessDate business_date) {
  auto params = RunParamsFromProto(command.params(), business_date);
  if (!params.ok()) return params.status();
  auto body = GatherRun(state, customer_id, *params);
  if (!body.ok()) return body.status();
  v1::EventEnvelope e =
      NewEvent(kPreparationsGatheredType, customer_id, business_date);
  *e.mutable_invoicing()->mutable_preparations_gathered() = *std::move(body);
  return OnlyEvent(std::move(e));
}

// --- add line ---

absl::Status CheckAdHocLine(const v1::AdHocLine& line) {
  namespace r = add_preparation_line;
  if (auto s =
          ValidateText("line.label", line.label(), 1, kAdHocLabelLengthMax);
      !s.ok()) {
    return Named(r::kLineInvalid, s);
  }
  if (auto s = ValidateCode("line.article_code", line.article_code(),
                            limits::kCodeLengthMax);
      !s.ok()) {
    return Named(r::kLineInvalid, s);
  }
  if (line.quantity_milli() <= 0) {
    return Reject(r::kLineInvalid,
                  absl::StrFormat("line.quantity_milli: %d is not > 0",
                                  line.quantity_milli()));
  }
  return absl::OkStatus();
}

// The preparation with the line, after its own checks (status, article,
// section, amounts).
absl::StatusOr<v1::PreparationLineAdded> LineAdded(const StateReader& state,
                                                   v1::Preparation prep,
                                                   const v1::AdHocLine& line) {
  namespace r = add_preparation_line;
  if (prep.status() != v1::PREPARATION_STATUS_GENERATED ||
      prep.deletion_pending()) {
    return Reject(r::kPreparationNotGenerated,
                  absl::StrFormat(
                      "preparation %s is %s%s: lines are added to "
                      "generated preparations only",
                      QuoteValue(prep.preparation_id()),
                      v1::PreparationStatus_Name(prep.status()),
                      prep.deletion_pending() ? ", marked for deletion" : ""));
  }
  auto article = LoadArticle(state, line.article_code());
  if (!article.ok()) return article.status();
  if (!article->has_value()) {
    return Reject(r::kArticleNotFound,
                  absl::StrFormat("line.article_code: no article %s",
                                  QuoteValue(line.article_code())));
  }
  AdHocLineRequest request{
      line.article_code(), line.label(), line.quantity_milli(),
      line.unit_price_micros(),
      line.entity_id().empty() ? prep.entity_id() : line.entity_id()};
  bool on_preparation = request.entity_id == prep.entity_id();
  for (const v1::PreparationSection& s : prep.sections()) {
    on_preparation = on_preparation || s.entity_id() == request.entity_id;
  }
  if (!on_preparation) {
    return Reject(r::kEntityNotOnPreparation,
                  absl::StrFormat("line.entity_id: %s has no section on "
                                  "preparation %s",
                                  QuoteValue(request.entity_id),
                                  QuoteValue(prep.preparation_id())));
  }
  auto currency = LookupCurrency(prep.currency(), "preparation.currency");
  if (!currency.ok()) return currency.status();
  auto added = NamedIf(r::kAmountOutOfRange, AdHocLine(request, *currency));
  if (!added.ok()) return added.status();
  *prep.add_lines() = *added;
  if (auto s = NamedIf(r::kAmountOutOfRange, Retotal(prep)); !s.ok()) return s;
  v1::PreparationLineAdded e;
  *e.mutable_line() = *std::move(added);
  *e.mutable_preparation() = std::move(prep);
  return e;
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideAddLine(
    const StateReader& state, absl::string_view customer_id,
    const v1::AddPreparationLine& command, BusinessDate business_date) {
  if (auto s = CheckPreparationId("preparation_id", command.preparation_id());
      !s.ok()) {
    return s;
  }
  if (auto s = CheckAdHocLine(command.line()); !s.ok()) return s;
  auto prep = RequirePreparation(state, customer_id, "preparation_id",
                                 command.preparation_id());
  if (!prep.ok()) return prep.status();
  auto body = LineAdded(state, *std::move(prep), command.line());
  if (!body.ok()) return body.status();
  v1::EventEnvelope e =
      NewEvent(kPreparationLineAddedType, customer_id, business_date);
  *e.mutable_invoicing()->mutable_preparation_line_added() = *std::move(body);
  return OnlyEvent(std::move(e));
}

// --- delete, confirm ---

// Why preparation `p` may not be marked (delete) or removed (confirm), or
// OK.
absl::Status DeletionRefusal(const v1::Preparation& p, bool confirming) {
  const std::string id = QuoteValue(p.preparation_id());
  if (confirming) {
    if (p.deletion_pending()) return absl::OkStatus();
    return Reject(
        confirm_deletion::kDeletionNotPending,
        absl::StrFormat("preparation %s is not marked for deletion", id));
  }
  if (!Replaceable(p)) {
    return Reject(delete_preparations::kPreparationNotDeletable,
                  absl::StrFormat("preparation %s is %s", id,
                                  v1::PreparationStatus_Name(p.status())));
  }
  if (p.deletion_pending()) {
    return Reject(delete_preparations::kDeletionPending,
                  absl::StrFormat("preparation %s is already marked for "
                                  "deletion",
                                  id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideDeletion(
    const StateReader& state, absl::string_view customer_id,
    const google::protobuf::RepeatedPtrField<std::string>& ids, bool confirming,
    BusinessDate business_date) {
  if (auto s = CheckPreparationIds(ids); !s.ok()) return s;
  for (int i = 0; i < ids.size(); ++i) {
    auto p = RequirePreparation(
        state, customer_id, absl::StrFormat("preparation_ids[%d]", i), ids[i]);
    if (!p.ok()) return p.status();
    if (auto s = DeletionRefusal(*p, confirming); !s.ok()) return s;
  }
  v1::EventEnvelope e =
      NewEvent(confirming ? kDeletionConfirmedType : kPreparationsDeletedType,
               customer_id, business_date);
  auto* out = confirming ? e.mutable_invoicing()
                               ->mutable_deletion_confirmed()
                               ->mutable_preparation_ids()
                         : e.mutable_invoicing()
                               ->mutable_preparations_deleted()
                               ->mutable_preparation_ids();
  *out = ids;
  return OnlyEvent(std::move(e));
}

// --- apply ---

absl::Status ApplyGathered(StateWriter& state, absl::string_view customer_id,
                           const v1::PreparationsGathered& e) {
  for (const std::string& id : e.replaced_preparation_ids()) {
    state.Delete(PreparationKey(customer_id, id));
  }
  for (const v1::Preparation& p : e.preparations()) {
    // The gather makes ids from the customer; an empty one cannot be keyed.
    if (p.preparation_id().empty() || p.holder_id() != customer_id) {
      return absl::DataLossError(absl::StrFormat(
          "preparation %s of holder %s in an event of customer %s",
          QuoteValue(p.preparation_id()), QuoteValue(p.holder_id()),
          QuoteValue(customer_id)));
    }
    PutMessage(state, PreparationKey(customer_id, p.preparation_id()), p);
  }
  return absl::OkStatus();
}

// Each preparation named must exist: decide checked it, so a missing one
// is a corrupt event.
absl::Status ApplyDeletion(
    StateWriter& state, absl::string_view customer_id,
    const google::protobuf::RepeatedPtrField<std::string>& ids,
    bool confirming) {
  for (const std::string& id : ids) {
    auto p = LoadPreparation(state, customer_id, id);
    if (!p.ok()) return p.status();
    if (!p->has_value()) {
      return absl::DataLossError(
          absl::StrFormat("no preparation %s to delete", QuoteValue(id)));
    }
    if (confirming) {
      state.Delete(PreparationKey(customer_id, id));
    } else {
      (*p)->set_deletion_pending(true);
      PutMessage(state, PreparationKey(customer_id, id), **p);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckPreparationIds(
    const google::protobuf::RepeatedPtrField<std::string>& ids) {
  const Rejection& r = invoicing_rejections::kPreparationIdInvalid;
  if (ids.empty()) return Reject(r, "preparation_ids: none given");
  if (static_cast<size_t>(ids.size()) > kPreparationIdsMax) {
    return Reject(r, absl::StrFormat("preparation_ids: %d, more than %d",
                                     ids.size(), kPreparationIdsMax));
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (int i = 0; i < ids.size(); ++i) {
    const std::string field = absl::StrFormat("preparation_ids[%d]", i);
    if (auto s = CheckPreparationId(field, ids[i]); !s.ok()) return s;
    if (!seen.insert(ids[i]).second) {
      return Reject(
          r, absl::StrFormat("%s: %s given twice", field, QuoteValue(ids[i])));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PreparationsGathered> GatherRun(
    const StateReader& state, absl::string_view customer_id,
    const RunParams& params) {
  auto gathered = NamedIf(gather_preparations::kRunParamsInvalid,
                          GatherCustomer(state, customer_id, params));
  if (!gathered.ok()) return gathered.status();
  return GatheredEvent(state, customer_id, params, *std::move(gathered));
}

std::string PreparationKey(absl::string_view customer_id,
                           absl::string_view preparation_id) {
  return absl::StrCat(PreparationsPrefix(customer_id), preparation_id);
}

std::string PreparationsPrefix(absl::string_view customer_id) {
  return absl::StrCat(kPreparationPrefix, customer_id, "/");
}

absl::StatusOr<RunParams> RunParamsFromProto(const v1::RunParams& params,
                                             BusinessDate business_date) {
  namespace r = gather_preparations;
  if (auto s = ValidateCode("params.run_id", params.run_id(),
                            limits::kIdempotencyKeyLengthMax);
      !s.ok()) {
    return Named(r::kRunIdInvalid, s);
  }
  RunParams p;
  p.run_id = params.run_id();
  auto start = ParamDate(params.period_start(), "params.period_start");
  if (!start.ok()) return start.status();
  auto end = ParamDate(params.period_end(), "params.period_end");
  if (!end.ok()) return end.status();
  p.period_start = *start;
  p.period_end = *end;
  p.business_date = business_date;
  if (!params.business_date().empty()) {
    auto date = ParamDate(params.business_date(), "params.business_date");
    if (!date.ok()) return date.status();
    p.business_date = *date;
  }
  p.scope = params.scope();
  p.contract_refs = {params.contract_ref_from(), params.contract_ref_to()};
  p.billing_family = params.billing_family();
  p.site_code = params.site_code();
  // What was billed is the state's to say (the validated preparations),
  // never the caller's.
  if (!params.billed_usage().empty()) {
    return Reject(r::kRunParamsInvalid,
                  "params.billed_usage: must be empty; the usage already "
                  "billed is read from the validated preparations");
  }
  p.split_by_billing_family = params.split_by_billing_family();
  return p;
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideInvoicing(
    const StateReader& state, const v1::InvoicingCommand& command,
    BusinessDate business_date) {
  const std::string& c = command.customer_id();
  // The reserved partition of run headers takes begin_run only, and
  // begin_run goes nowhere else (runs.h).
  if (c == kRunsPartition ||
      command.body_case() == v1::InvoicingCommand::kBeginRun) {
    return DecideRunCommand(state, command, business_date);
  }
  if (auto s = RequireCommandCustomer(state, c); !s.ok()) return s;
  switch (command.body_case()) {
    case v1::InvoicingCommand::kGatherPreparations:
      return DecideGather(state, c, command.gather_preparations(),
                          business_date);
    case v1::InvoicingCommand::kAddPreparationLine:
      return DecideAddLine(state, c, command.add_preparation_line(),
                           business_date);
    case v1::InvoicingCommand::kDeletePreparations:
      return DecideDeletion(state, c,
                            command.delete_preparations().preparation_ids(),
                            /*confirming=*/false, business_date);
    case v1::InvoicingCommand::kConfirmDeletion:
      return DecideDeletion(state, c,
                            command.confirm_deletion().preparation_ids(),
                            /*confirming=*/true, business_date);
    case v1::InvoicingCommand::kBeginRun:  // DecideRunCommand, above
    case v1::InvoicingCommand::BODY_NOT_SET:
      break;
  }
  return Reject(invoicing_rejections::kCommandEmpty, "invoicing: is empty");
}

absl::string_view InvoicingEventType(const v1::InvoicingEvent& event) {
  switch (event.body_case()) {
    case v1::InvoicingEvent::kPreparationsGathered:
      return kPreparationsGatheredType;
    case v1::InvoicingEvent::kPreparationLineAdded:
      return kPreparationLineAddedType;
    case v1::InvoicingEvent::kPreparationsDeleted:
      return kPreparationsDeletedType;
    case v1::InvoicingEvent::kDeletionConfirmed:
      return kDeletionConfirmedType;
    case v1::InvoicingEvent::kRunStarted:
      return kRunStartedType;
    case v1::InvoicingEvent::BODY_NOT_SET:
      break;
  }
  return {};
}

absl::Status ApplyInvoicingEvent(StateWriter& state,
                                 const v1::EventEnvelope& event,
                                 const v1::LogPosition&) {
  const std::string& c = event.customer_id();
  const v1::InvoicingEvent& e = event.invoicing();
  switch (e.body_case()) {
    case v1::InvoicingEvent::kPreparationsGathered:
      return ApplyGathered(state, c, e.preparations_gathered());
    case v1::InvoicingEvent::kPreparationLineAdded: {
      const v1::Preparation& p = e.preparation_line_added().preparation();
      auto found = LoadPreparation(state, c, p.preparation_id());
      if (!found.ok()) return found.status();
      if (!found->has_value()) {
        return absl::DataLossError(
            absl::StrFormat("no preparation %s to add a line to",
                            QuoteValue(p.preparation_id())));
      }
      PutMessage(state, PreparationKey(c, p.preparation_id()), p);
      return absl::OkStatus();
    }
    case v1::InvoicingEvent::kPreparationsDeleted:
      return ApplyDeletion(state, c, e.preparations_deleted().preparation_ids(),
                           /*confirming=*/false);
    case v1::InvoicingEvent::kDeletionConfirmed:
      return ApplyDeletion(state, c, e.deletion_confirmed().preparation_ids(),
                           /*confirming=*/true);
    case v1::InvoicingEvent::kRunStarted:
      return ApplyRunStarted(state, event);
    case v1::InvoicingEvent::BODY_NOT_SET:
      break;
  }
  return absl::DataLossError("invoicing event without body");
}

absl::StatusOr<v1::InvoicingAnswer> InvoicingAnswerFor(
    const StateReader&, const v1::LogRecord& record) {
  v1::InvoicingAnswer answer;
  const v1::InvoicingEvent& e = record.events(0).invoicing();
  switch (e.body_case()) {
    case v1::InvoicingEvent::kPreparationsGathered:
      for (const auto& p : e.preparations_gathered().preparations()) {
        answer.add_preparation_ids(p.preparation_id());
      }
      *answer.mutable_replaced_preparation_ids() =
          e.preparations_gathered().replaced_preparation_ids();
      break;
    case v1::InvoicingEvent::kPreparationLineAdded: {
      const v1::Preparation& p = e.preparation_line_added().preparation();
      answer.add_preparation_ids(p.preparation_id());
      *answer.mutable_totals() = p.totals();
      break;
    }
    case v1::InvoicingEvent::kPreparationsDeleted:
      *answer.mutable_preparation_ids() =
          e.preparations_deleted().preparation_ids();
      break;
    case v1::InvoicingEvent::kDeletionConfirmed:
      *answer.mutable_preparation_ids() =
          e.deletion_confirmed().preparation_ids();
      break;
    case v1::InvoicingEvent::kRunStarted:
      answer.set_run_id(e.run_started().run().run_id());
      break;
    case v1::InvoicingEvent::BODY_NOT_SET:
      break;
  }
  return answer;
}

absl::StatusOr<std::vector<v1::Preparation>> ListPreparations(
    const StateReader& state, absl::string_view customer_id,
    size_t records_max) {
  return ScanMessages<v1::Preparation>(state, PreparationsPrefix(customer_id),
                                       records_max);
}

absl::StatusOr<std::string> PreparationHolder(
    absl::string_view field, absl::string_view preparation_id) {
  const absl::string_view holder =
      preparation_id.substr(0, preparation_id.find('/'));
  if (holder.size() == preparation_id.size() ||
      !ValidateCode(field, holder, limits::kCodeLengthMax).ok()) {
    return FieldError(field, absl::StrFormat("%s does not begin with a "
                                             "customer code and \"/\"",
                                             QuoteValue(preparation_id)));
  }
  return std::string(holder);
}

absl::StatusOr<std::optional<v1::Preparation>> LoadPreparation(
    const StateReader& state, absl::string_view customer_id,
    absl::string_view preparation_id) {
  return GetMessage<v1::Preparation>(
      state, PreparationKey(customer_id, preparation_id));
}

}  // namespace billing
