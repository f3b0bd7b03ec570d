// issue_invoices: numbered drafts become the documents that leave the
// company, and their rules' periods are billed (invoice.proto, step 3).
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/contracts/contracts.h"
#include "engine/core/events.h"
#include "engine/core/validation.h"
#include "engine/invoicing/internal/invoice_decide.h"
#include "engine/invoicing/invoices.h"

namespace billing::invoice_internal {
namespace {

namespace r = issue_invoices;

absl::Status CheckNumbers(absl::string_view customer_id,
                          const v1::IssueInvoices& command) {
  const auto& numbers = command.numbers();
  if (numbers.empty() ||
      static_cast<size_t>(numbers.size()) > kDraftsPerCommandMax) {
    return Reject(r::kNumbersInvalid,
                  absl::StrFormat("numbers: %d given, 1 to %d expected",
                                  numbers.size(), kDraftsPerCommandMax));
  }
  std::set<std::string> drafts;
  for (int i = 0; i < numbers.size(); ++i) {
    const v1::NumberAssignment& n = numbers[i];
    const bool bad = n.customer_id() != customer_id || n.draft_id().empty() ||
                     n.number().empty() ||
                     n.number().size() > kDocumentNumberLengthMax ||
                     !IsValidUtf8(n.number()) || n.seq() == 0 ||
                     !ParseBusinessDate(n.issue_date(), "issue_date").ok();
    if (bad || !drafts.insert(n.draft_id()).second) {
      return Reject(r::kNumbersInvalid,
                    absl::StrFormat("numbers[%d]: not a number given to a "
                                    "draft of customer %s (or given twice)",
                                    i, QuoteValue(customer_id)));
    }
  }
  return absl::OkStatus();
}

// The issued document: the draft, its number and dates.
v1::InvoiceDocument Issued(v1::InvoiceDocument draft,
                           const v1::NumberAssignment& n,
                           BusinessDate issue_date) {
  draft.set_number(n.number());
  draft.set_series(n.series());
  draft.set_seq(n.seq());
  draft.set_issue_date(n.issue_date());
  draft.set_due_date(DueDate(draft, issue_date));
  return draft;
}

}  // namespace

absl::StatusOr<Events> RuleBilledEvents(OverlayState& state,
                                        absl::string_view customer_id,
                                        const v1::InvoiceDocument& doc,
                                        absl::string_view invoice_ref,
                                        BusinessDate invoice_date,
                                        std::vector<std::string>* refusals) {
  Events out;
  std::set<std::tuple<std::string, std::string, std::string>> done;
  for (const v1::DocumentLine& line : doc.lines()) {
    if (line.source() != v1::LINE_SOURCE_RULE || line.rule_id().empty()) {
      continue;
    }
    if (!done.emplace(line.contract_ref(), line.rule_id(), line.period_start())
             .second) {
      continue;
    }
    v1::ContractCommand command;
    command.set_customer_id(std::string(customer_id));
    v1::RecordRuleBilled* billed = command.mutable_record_rule_billed();
    billed->set_contract_ref(line.contract_ref());
    billed->set_rule_id(line.rule_id());
    billed->set_period_start(line.period_start());
    billed->set_invoice_ref(std::string(invoice_ref));
    billed->set_invoice_date(FormatBusinessDate(invoice_date));
    auto events = DecideContract(state, command, invoice_date);
    if (!events.ok()) {
      if (!IsRejection(events.status())) return events.status();
      std::string reason = absl::StrFormat(
          "rule %s/%s, period from %s: %s", line.contract_ref(),
          line.rule_id(), line.period_start(),
          RejectionDetail(events.status().message()));
      if (refusals == nullptr) {
        return Reject(validate_preparations::kRuleNotBillable,
                      absl::StrCat(reason, "; run again"));
      }
      refusals->push_back(std::move(reason));
      continue;
    }
    for (v1::EventEnvelope& e : *events) {
      if (auto s = ApplyContractEvent(state, e, v1::LogPosition());
          !s.ok()) {
        return s;
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

absl::Status CheckRulesBillable(OverlayState& state,
                                absl::string_view customer_id,
                                const v1::InvoiceDocument& doc,
                                BusinessDate date) {
  return RuleBilledEvents(state, customer_id, doc, "DRAFT", date, nullptr)
      .status();
}

absl::StatusOr<Events> DecideIssueInvoices(const StateReader& state,
                                           absl::string_view customer_id,
                                           const v1::IssueInvoices& command,
                                           BusinessDate business_date) {
  if (auto s = CheckNumbers(customer_id, command); !s.ok()) return s;
  OverlayState overlay(&state);
  v1::EventEnvelope issued =
      NewEvent(kInvoicesIssuedType, customer_id, business_date);
  Events rules;
  for (const v1::NumberAssignment& n : command.numbers()) {
    auto draft =
        GetMessage<v1::InvoiceDocument>(state, DraftKey(customer_id, n.draft_id()));
    if (!draft.ok()) return draft.status();
    if (!draft->has_value()) {
      auto done = GetMessage<v1::InvoiceDocument>(
          state, DocumentKey(customer_id, n.number()));
      if (!done.ok()) return done.status();
      if (done->has_value() && (*done)->draft_id() == n.draft_id()) continue;
      return Reject(r::kDraftNotFound,
                    absl::StrFormat("customer %s has no draft %s for number %s",
                                    QuoteValue(customer_id),
                                    QuoteValue(n.draft_id()),
                                    QuoteValue(n.number())));
    }
    auto date = ParseBusinessDate(n.issue_date(), "issue_date");
    if (!date.ok()) return date.status();
    v1::InvoiceDocument doc = Issued(**std::move(draft), n, *date);
    std::vector<std::string> refusals;
    // A notice's invoice: the notice's issue billed the rules; a credit
    // note or a supplementary invoice corrects periods billed already.
    auto billed = doc.notice_number().empty() && doc.correction_id().empty()
                      ? RuleBilledEvents(overlay, customer_id, doc, n.number(),
                                         *date, &refusals)
                      : absl::StatusOr<Events>(Events());
    if (!billed.ok()) return billed.status();
    for (std::string& reason : refusals) {
      doc.add_issue_notes(absl::StrCat("not moved: ", reason));
    }
    for (v1::EventEnvelope& e : *billed) rules.push_back(std::move(e));
    *issued.mutable_invoice()->mutable_invoices_issued()->add_documents() =
        std::move(doc);
  }
  if (issued.invoice().invoices_issued().documents_size() == 0) {
    return Reject(r::kAlreadyIssued,
                  absl::StrFormat("customer %s: every number given is issued",
                                  QuoteValue(customer_id)));
  }
  Events out;
  out.push_back(std::move(issued));
  for (v1::EventEnvelope& e : rules) out.push_back(std::move(e));
  return out;
}

}  // namespace billing::invoice_internal
