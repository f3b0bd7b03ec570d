#pragma once

// Drives the three steps of issuing (proto/billing/v1/invoice.proto):
// validate per customer, number per series, issue per customer, each a
// command with a key derived from what it carries, so that any step can be
// run again and gives what it gave. Holds no state: what is pending is the
// drafts in the state (engine/invoicing/invoices.h ListAllDrafts).
//
// Gapless whatever fails: a number is given only to a draft (by the
// series' one writer), and every draft is numbered and issued by the next
// pass, this call's retry, another validation of the customer, or
// FinishPending (billingd runs it when it starts).

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "billing/v1/invoice_service.pb.h"
#include "services/command_processor.h"
#include "storage/rocks_state.h"

namespace billing {

class InvoiceIssuer {
 public:
  InvoiceIssuer(CommandProcessor* commands, const RocksState* state)
      : commands_(commands), state_(state) {}

  // Validates the preparations (by customer: a preparation id's first
  // segment), then numbers and issues their drafts and the customers'
  // pending ones. A customer refused is listed in errors; the others go
  // on. Errors: InvalidArgument (the key, an id), storage failures, and
  // UNAVAILABLE when a step could not be written (retry with the key).
  absl::StatusOr<v1::ValidateResult> Validate(
      const std::string& idempotency_key, const std::string& business_date,
      const std::vector<std::string>& preparation_ids) const;

  // The customer's payment notices validated into invoice drafts, then
  // numbered and issued like Validate's.
  absl::StatusOr<v1::ValidateResult> ValidateNotices(
      const v1::ValidateNoticesRequest& request) const;

  // Numbers and issues every pending draft of every customer.
  absl::StatusOr<v1::ValidateResult> FinishPending() const;

  // A correction (cancel_invoice or correct_invoices, docs/credit_notes.md)
  // drafted in the customer's partition under `key`, then its drafts and
  // the customer's pending ones numbered and issued like Validate's. The
  // result holds the correction's documents, whoever issued them (a retry
  // with the key gets them too). Errors: the command's refusal, storage
  // failures, UNAVAILABLE when a step could not be written.
  absl::StatusOr<v1::ValidateResult> Correct(const std::string& key,
                                             const std::string& business_date,
                                             v1::InvoiceCommand command) const;

 private:
  // Numbers (per series) and issues (per customer) `drafts`; the documents
  // issued into `result`.
  absl::Status Finish(const std::vector<v1::InvoiceDocument>& drafts,
                      v1::ValidateResult& result) const;
  absl::StatusOr<std::vector<v1::NumberAssignment>> Number(
      const std::vector<v1::InvoiceDocument>& drafts) const;
  // The answer of Validate: the documents of the call's preparations and
  // the drafts its customers still have.
  absl::Status AnswerFor(
      const std::map<std::string, std::vector<std::string>>& by_customer,
      v1::ValidateResult& result) const;
  absl::Status IssueAll(const std::vector<v1::NumberAssignment>& numbers,
                        v1::ValidateResult& result) const;

  CommandProcessor* const commands_;
  const RocksState* const state_;
};

}  // namespace billing
