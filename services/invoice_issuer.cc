#include "services/invoice_issuer.h"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/fingerprint.h"
#include "engine/core/rejection.h"
#include "engine/core/validation.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/invoices.h"

namespace billing {
namespace {

constexpr size_t kErrorsMax = 100;
constexpr size_t kPendingReadMax = 100000;

// A key for a step, from what it carries: the same drafts or numbers give
// the same key, so a retry of the step is answered its first answer.
std::string StepKey(absl::string_view step,
                    const std::vector<std::string>& parts) {
  uint64_t h = kFnv1aOffsetBasis;
  for (const std::string& p : parts) {
    h = Fnv1a64(h, p);
    h = Fnv1a64(h, absl::string_view("\0", 1));
  }
  return absl::StrFormat("%s-%016x-%d", step, h, parts.size());
}

std::string CustomerOf(absl::string_view preparation_id) {
  return std::string(preparation_id.substr(0, preparation_id.find('/')));
}

void AddError(v1::ValidateResult& result, absl::string_view customer,
              const absl::Status& s) {
  if (static_cast<size_t>(result.errors_size()) < kErrorsMax) {
    result.add_errors(absl::StrCat(customer, ": ", s.message()));
  }
}

CommandRequest ValidateCommand(const std::string& key, const std::string& date,
                               const std::string& customer,
                               const std::vector<std::string>& ids) {
  CommandRequest c;
  c.idempotency_key = absl::StrCat(key, "/validate");
  c.business_date = date;
  v1::InvoiceCommand* invoice = c.command.mutable_invoice();
  invoice->set_partition(customer);
  for (const std::string& id : ids) {
    invoice->mutable_validate_preparations()->add_preparation_ids(id);
  }
  return c;
}

}  // namespace

absl::StatusOr<v1::ValidateResult> InvoiceIssuer::Validate(
    const std::string& idempotency_key, const std::string& business_date,
    const std::vector<std::string>& preparation_ids) const {
  // The key gets "/validate": room for it.
  if (auto s = ValidateIdempotencyKey("idempotency_key", idempotency_key);
      !s.ok()) {
    return s;
  }
  if (idempotency_key.size() > limits::kIdempotencyKeyLengthMax - 9) {
    return FieldError("idempotency_key", "is too long (at most 119 here)");
  }
  std::map<std::string, std::vector<std::string>> by_customer;
  for (size_t i = 0; i < preparation_ids.size(); ++i) {
    const std::string customer = CustomerOf(preparation_ids[i]);
    if (auto s = ValidateCode(absl::StrFormat("preparation_ids[%d]", i),
                              customer, limits::kCodeLengthMax);
        !s.ok()) {
      return s;
    }
    by_customer[customer].push_back(preparation_ids[i]);
  }
  std::vector<CommandRequest> requests;
  std::vector<std::string> customers;
  for (const auto& [customer, ids] : by_customer) {
    requests.push_back(
        ValidateCommand(idempotency_key, business_date, customer, ids));
    customers.push_back(customer);
  }
  auto answers = commands_->ExecuteBatch(std::move(requests));
  v1::ValidateResult result;
  std::vector<v1::InvoiceDocument> drafts;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (!answers[i].ok()) {
      if (answers[i].status().code() == absl::StatusCode::kUnavailable) {
        return answers[i].status();
      }
      AddError(result, customers[i], answers[i].status());
      continue;
    }
    result.set_preparations(result.preparations() +
                            by_customer[customers[i]].size());
  }
  // This call's drafts and the customers' other pending ones (a crash).
  const std::unique_ptr<StateReader> snapshot = state_->Snapshot();
  for (const std::string& customer : customers) {
    auto pending = ListDrafts(*snapshot, customer);
    if (!pending.ok()) return pending.status();
    for (auto& d : *pending) drafts.push_back(std::move(d));
  }
  if (auto s = Finish(drafts, result); !s.ok()) return s;
  if (auto s = AnswerFor(by_customer, result); !s.ok()) return s;
  return result;
}

absl::Status InvoiceIssuer::AnswerFor(
    const std::map<std::string, std::vector<std::string>>& by_customer,
    v1::ValidateResult& result) const {
  // The documents of the call's preparations, whoever issued them (this
  // call, its first attempt before a crash, a concurrent pass): a retry
  // with the key answers what the first call would have.
  result.clear_documents();
  int64_t pending = 0;
  const std::unique_ptr<StateReader> snapshot = state_->Snapshot();
  for (const auto& [customer, ids] : by_customer) {
    for (const std::string& id : ids) {
      auto prep = LoadPreparation(*snapshot, customer, id);
      if (!prep.ok()) return prep.status();
      if (!prep->has_value()) continue;
      for (const std::string& number : (*prep)->document_numbers()) {
        auto doc = GetMessage<v1::InvoiceDocument>(
            *snapshot, DocumentKey(customer, number));
        if (!doc.ok()) return doc.status();
        if (doc->has_value()) *result.add_documents() = **std::move(doc);
      }
    }
    auto drafts = ListDrafts(*snapshot, customer);
    if (!drafts.ok()) return drafts.status();
    pending += static_cast<int64_t>(drafts->size());
  }
  result.set_drafts_pending(pending);
  return absl::OkStatus();
}

absl::StatusOr<v1::ValidateResult> InvoiceIssuer::ValidateNotices(
    const v1::ValidateNoticesRequest& request) const {
  if (auto s = ValidateIdempotencyKey("idempotency_key",
                                      request.idempotency_key());
      !s.ok()) {
    return s;
  }
  CommandRequest c;
  c.idempotency_key = request.idempotency_key();
  c.business_date = request.business_date();
  v1::InvoiceCommand* invoice = c.command.mutable_invoice();
  invoice->set_partition(request.customer_id());
  *invoice->mutable_validate_notices()->mutable_notice_numbers() =
      request.notice_numbers();
  auto answer = commands_->Execute(std::move(c));
  if (!answer.ok()) return answer.status();
  auto drafts = ListDrafts(*state_->Snapshot(), request.customer_id());
  if (!drafts.ok()) return drafts.status();
  v1::ValidateResult result;
  if (auto s = Finish(*drafts, result); !s.ok()) return s;
  auto left = ListAllDrafts(*state_->Snapshot(), kPendingReadMax);
  if (!left.ok()) return left.status();
  result.set_drafts_pending(static_cast<int64_t>(left->size()));
  return result;
}

absl::StatusOr<v1::ValidateResult> InvoiceIssuer::FinishPending() const {
  auto drafts = ListAllDrafts(*state_->Snapshot(), kPendingReadMax);
  if (!drafts.ok()) return drafts.status();
  v1::ValidateResult result;
  if (auto s = Finish(*drafts, result); !s.ok()) return s;
  return result;
}

absl::StatusOr<v1::ValidateResult> InvoiceIssuer::Correct(
    const std::string& key, const std::string& business_date,
    v1::InvoiceCommand command) const {
  if (auto s = ValidateIdempotencyKey("idempotency_key", key); !s.ok()) {
    return s;
  }
  const std::string customer = command.partition();
  CommandRequest c;
  c.idempotency_key = key;
  c.business_date = business_date;
  *c.command.mutable_invoice() = std::move(command);
  auto answer = commands_->Execute(std::move(c));
  if (!answer.ok()) return answer.status();
  const std::string& id = answer->invoice().correction_id();
  auto drafts = ListDrafts(*state_->Snapshot(), customer);
  if (!drafts.ok()) return drafts.status();
  v1::ValidateResult result;
  if (auto s = Finish(*drafts, result); !s.ok()) return s;
  result.clear_documents();
  const std::unique_ptr<StateReader> snapshot = state_->Snapshot();
  auto docs = ListDocuments(*snapshot, customer);
  if (!docs.ok()) return docs.status();
  for (v1::InvoiceDocument& d : *docs) {
    if (d.correction_id() == id) *result.add_documents() = std::move(d);
  }
  auto left = ListDrafts(*snapshot, customer);
  if (!left.ok()) return left.status();
  result.set_drafts_pending(static_cast<int64_t>(left->size()));
  return result;
}

absl::Status InvoiceIssuer::Finish(
    const std::vector<v1::InvoiceDocument>& drafts,
    v1::ValidateResult& result) const {
  if (drafts.empty()) return absl::OkStatus();
  auto numbers = Number(drafts);
  if (!numbers.ok()) return numbers.status();
  return IssueAll(*numbers, result);
}

absl::StatusOr<std::vector<v1::NumberAssignment>> InvoiceIssuer::Number(
    const std::vector<v1::InvoiceDocument>& drafts) const {
  // Per series, in (customer, draft) order: one command per series and
  // chunk; the series' lane numbers them in log order.
  std::map<std::string, std::vector<const v1::InvoiceDocument*>> by_series;
  for (const auto& d : drafts) by_series[d.series()].push_back(&d);
  std::vector<CommandRequest> requests;
  for (auto& [series, list] : by_series) {
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) {
      return std::tie(a->holder_id(), a->draft_id()) <
             std::tie(b->holder_id(), b->draft_id());
    });
    for (size_t at = 0; at < list.size(); at += kDraftsPerCommandMax) {
      CommandRequest c;
      v1::InvoiceCommand* invoice = c.command.mutable_invoice();
      invoice->set_partition(SeriesPartitionKey(series));
      v1::AssignNumbers* assign = invoice->mutable_assign_numbers();
      assign->set_series(series);
      std::vector<std::string> parts = {series};
      for (size_t i = at; i < std::min(list.size(), at + kDraftsPerCommandMax);
           ++i) {
        const v1::InvoiceDocument& d = *list[i];
        *assign->add_drafts() = DraftRefOf(d);
        parts.push_back(absl::StrCat(d.holder_id(), "/", d.draft_id()));
      }
      c.idempotency_key = StepKey("number", parts);
      c.business_date = list[at]->draft_date();
      requests.push_back(std::move(c));
    }
  }
  std::vector<v1::NumberAssignment> out;
  for (auto& answer : commands_->ExecuteBatch(std::move(requests))) {
    if (!answer.ok()) return answer.status();
    for (const auto& n : answer->invoice().numbers()) out.push_back(n);
  }
  return out;
}

absl::Status InvoiceIssuer::IssueAll(
    const std::vector<v1::NumberAssignment>& numbers,
    v1::ValidateResult& result) const {
  std::map<std::string, std::vector<const v1::NumberAssignment*>> by_customer;
  for (const auto& n : numbers) by_customer[n.customer_id()].push_back(&n);
  std::vector<CommandRequest> requests;
  std::vector<std::string> order;
  std::vector<std::vector<std::string>> numbers_of;
  for (const auto& [customer, list] : by_customer) {
    for (size_t at = 0; at < list.size(); at += kDraftsPerCommandMax) {
      CommandRequest c;
      v1::InvoiceCommand* invoice = c.command.mutable_invoice();
      invoice->set_partition(customer);
      std::vector<std::string> parts;
      for (size_t i = at; i < std::min(list.size(), at + kDraftsPerCommandMax);
           ++i) {
        *invoice->mutable_issue_invoices()->add_numbers() = *list[i];
        parts.push_back(list[i]->number());
      }
      c.idempotency_key = StepKey("issue", parts);
      // parts is moved into numbers_of below.
      c.business_date = list[at]->issue_date();
      requests.push_back(std::move(c));
      order.push_back(customer);
      numbers_of.push_back(std::move(parts));
    }
  }
  auto answers = commands_->ExecuteBatch(std::move(requests));
  const std::unique_ptr<StateReader> snapshot = state_->Snapshot();
  for (size_t i = 0; i < answers.size(); ++i) {
    const bool already =
        !answers[i].ok() &&
        RejectionName(answers[i].status().message()) == "ALREADY_ISSUED";
    if (!answers[i].ok() && !already) return answers[i].status();
    // Issued by this call or, ALREADY_ISSUED, by an earlier pass.
    for (const std::string& number : numbers_of[i]) {
      auto doc = GetMessage<v1::InvoiceDocument>(
          *snapshot, DocumentKey(order[i], number));
      if (!doc.ok()) return doc.status();
      if (doc->has_value()) *result.add_documents() = **std::move(doc);
    }
  }
  return absl::OkStatus();
}

}  // namespace billing
