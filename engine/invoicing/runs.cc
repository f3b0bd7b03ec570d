#include "engine/invoicing/runs.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/keys.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/filters.h"

namespace billing {
namespace {

// A customer code, or one with a trailing "*" mask; empty is open.
absl::Status CheckCodeOrMask(absl::string_view field, absl::string_view text) {
  if (text.empty() || text == "*") return absl::OkStatus();
  absl::string_view code = text;
  if (absl::EndsWith(code, "*")) code.remove_suffix(1);
  return Named(begin_run::kRunParamsInvalid,
               ValidateCode(field, code, limits::kCodeLengthMax));
}

absl::Status CheckHeader(const v1::RunHeader& run, BusinessDate business_date) {
  namespace r = begin_run;
  if (auto s = ValidateCode("run.run_id", run.run_id(),
                            limits::kIdempotencyKeyLengthMax);
      !s.ok()) {
    return Named(r::kRunIdInvalid, s);
  }
  auto params = RunParamsFromProto(run.params(), business_date);
  if (!params.ok()) {
    // Named already (RUN_ID_INVALID, RUN_PARAMS_INVALID); its fields are
    // "params.*", the command's "run.params.*".
    return absl::Status(params.status().code(),
                        absl::StrCat("run.", params.status().message()));
  }
  if (run.params().run_id() != run.run_id()) {
    return Reject(
        r::kRunParamsInvalid,
        absl::StrFormat("run.params.run_id: %s is not the run's id %s",
                        QuoteValue(run.params().run_id()),
                        QuoteValue(run.run_id())));
  }
  if (auto s = CheckCodeOrMask("run.customer_from", run.customer_from());
      !s.ok()) {
    return s;
  }
  if (auto s = CheckCodeOrMask("run.customer_to", run.customer_to()); !s.ok()) {
    return s;
  }
  if (run.customers_total() < 0) {
    return Reject(r::kRunParamsInvalid,
                  absl::StrFormat("run.customers_total: %d is negative",
                                  run.customers_total()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string RunKey(absl::string_view run_id) {
  return absl::StrCat(kRunPrefix, run_id);
}

absl::StatusOr<std::vector<v1::EventEnvelope>> DecideRunCommand(
    const StateReader& state, const v1::InvoicingCommand& command,
    BusinessDate business_date) {
  namespace r = begin_run;
  if (command.customer_id() != kRunsPartition) {
    return Reject(
        r::kPartitionInvalid,
        absl::StrFormat("customer_id: %s: a run's header goes to "
                        "the partition \"%s\"",
                        QuoteValue(command.customer_id()), kRunsPartition));
  }
  if (!command.has_begin_run()) {
    return Reject(r::kPartitionInvalid,
                  absl::StrFormat("customer_id: \"%s\" holds run headers "
                                  "only; this command goes to the holder's "
                                  "customer code",
                                  kRunsPartition));
  }
  v1::RunHeader run = command.begin_run().run();
  if (auto s = CheckHeader(run, business_date); !s.ok()) return s;
  auto existing = LoadRun(state, run.run_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Reject(
        r::kRunAlreadyStarted,
        absl::StrFormat("run.run_id: run %s started on %s",
                        QuoteValue(run.run_id()), (*existing)->started_on()));
  }
  run.set_started_on(FormatBusinessDate(business_date));
  v1::EventEnvelope e =
      NewEvent(kRunStartedType, kRunsPartition, business_date);
  *e.mutable_invoicing()->mutable_run_started()->mutable_run() = std::move(run);
  return OnlyEvent(std::move(e));
}

absl::Status ApplyRunStarted(StateWriter& state,
                             const v1::EventEnvelope& event) {
  const v1::RunHeader& run = event.invoicing().run_started().run();
  if (event.customer_id() != kRunsPartition || run.run_id().empty()) {
    return absl::DataLossError(absl::StrFormat(
        "invoicing.run_started of run %s in partition %s, not \"%s\"",
        QuoteValue(run.run_id()), QuoteValue(event.customer_id()),
        kRunsPartition));
  }
  PutMessage(state, RunKey(run.run_id()), run);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::RunHeader>> LoadRun(const StateReader& state,
                                                     absl::string_view run_id) {
  return GetMessage<v1::RunHeader>(state, RunKey(run_id));
}

absl::StatusOr<v1::RunView> RunViewOf(const StateReader& state,
                                      v1::RunHeader header,
                                      size_t customers_page_max) {
  const CodeRange range{header.customer_from(), header.customer_to()};
  int64_t done = 0;
  std::string after;
  for (;;) {
    auto page = ListCustomerPage(state, after, customers_page_max);
    if (!page.ok()) return page.status();
    for (const v1::Customer& c : page->customers) {
      if (!InCodeRange(range, c.customer_id())) continue;
      // The runner's key for this customer (services/billing_run.cc).
      auto idem = state.Get(IdempotencyStateKey(
          c.customer_id(),
          absl::StrCat(header.run_id(), "/", c.customer_id())));
      if (!idem.ok()) return idem.status();
      if (idem->has_value()) ++done;
    }
    if (!page->more || page->customers.empty()) break;
    after = page->customers.back().customer_id();
  }
  v1::RunView view;
  view.set_customers_done(done);
  view.set_complete(done >= header.customers_total());
  *view.mutable_header() = std::move(header);
  return view;
}

absl::StatusOr<RunPage> ListRunPage(const StateReader& state,
                                    absl::string_view after_run_id,
                                    size_t page_size) {
  auto headers = ScanMessages<v1::RunHeader>(
      state, kRunPrefix, page_size + 1,
      after_run_id.empty() ? std::string() : RunKey(after_run_id));
  if (!headers.ok()) return headers.status();
  RunPage page;
  page.more = headers->size() > page_size;
  if (page.more) headers->pop_back();
  for (v1::RunHeader& h : *headers) {
    auto view = RunViewOf(state, std::move(h));
    if (!view.ok()) return view.status();
    page.runs.push_back(*std::move(view));
  }
  return page;
}

}  // namespace billing
