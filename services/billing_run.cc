#include "services/billing_run.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "engine/core/validation.h"
#include "engine/customer/customer.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/gather.h"
#include "engine/invoicing/runs.h"

namespace billing {
namespace {

// A run id leaves room for "/<customer code>" in a 128-byte key.
constexpr size_t kRunIdLengthMax =
    limits::kIdempotencyKeyLengthMax - 1 - limits::kCodeLengthMax;

struct RunPlan {
  // What every customer's command carries (business date resolved).
  v1::RunParams params;
  RunParams engine;
  CodeRange customers;
};

// The engine names the command's fields ("params.period_start"); the
// request's are "period_start", its run id "idempotency_key".
absl::Status AsRequestField(const absl::Status& s) {
  std::string message = absl::StrReplaceAll(
      s.message(), {{"params.run_id", "idempotency_key"}, {"params.", ""}});
  return absl::Status(s.code(), message);
}

absl::StatusOr<RunPlan> PlanRun(const v1::RunRequest& request,
                                BusinessDate today) {
  if (auto s = ValidateCode("idempotency_key", request.idempotency_key(),
                            kRunIdLengthMax);
      !s.ok()) {
    return s;
  }
  RunPlan plan;
  v1::RunParams& p = plan.params;
  p.set_run_id(request.idempotency_key());
  p.set_period_start(request.period_start());
  p.set_period_end(request.period_end());
  p.set_business_date(request.business_date());
  p.set_scope(request.scope());
  p.set_contract_ref_from(request.contract_ref_from());
  p.set_contract_ref_to(request.contract_ref_to());
  p.set_billing_family(request.billing_family());
  p.set_site_code(request.site_code());
  p.set_split_by_billing_family(request.split_by_billing_family());
  auto engine = RunParamsFromProto(p, today);
  if (!engine.ok()) return AsRequestField(engine.status());
  if (engine->scope == v1::ACCOUNT_SCOPE_UNSPECIFIED) {
    return FieldError("scope", "is unspecified: ORDINARY or GROUPED");
  }
  if (engine->period_end < engine->period_start) {
    return FieldError("period_end", "is before period_start");
  }
  p.set_business_date(FormatBusinessDate(engine->business_date));
  plan.engine = *std::move(engine);
  plan.customers = {request.customer_from(), request.customer_to()};
  return plan;
}

// Visits the customers in `range`, a page at a time, in code order.
absl::Status ForEachCustomer(
    const StateReader& state, const CodeRange& range, size_t page_max,
    const std::function<absl::Status(const std::string&)>& visit) {
  std::string after;
  for (;;) {
    auto page = ListCustomerPage(state, after, page_max);
    if (!page.ok()) return page.status();
    for (const v1::Customer& c : page->customers) {
      if (!InCodeRange(range, c.customer_id())) continue;
      if (auto s = visit(c.customer_id()); !s.ok()) return s;
    }
    if (!page->more || page->customers.empty()) return absl::OkStatus();
    after = page->customers.back().customer_id();
  }
}

absl::StatusOr<int64_t> CountCustomers(const StateReader& state,
                                       const CodeRange& range,
                                       size_t page_max) {
  int64_t n = 0;
  auto s = ForEachCustomer(state, range, page_max, [&](const std::string&) {
    ++n;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return n;
}

// A run begun: its plan, the snapshot its customers are listed from, and
// its result with the customers in scope counted.
struct BegunRun {
  RunPlan plan;
  std::unique_ptr<StateReader> snapshot;
  v1::RunResult result;
};

absl::StatusOr<BegunRun> BeginRun(const v1::RunRequest& request,
                                  const RocksState& state, BusinessDate today,
                                  size_t page_max) {
  auto plan = PlanRun(request, today);
  if (!plan.ok()) return plan.status();
  BegunRun run{*std::move(plan), state.Snapshot(), {}};
  run.result.set_run_id(run.plan.engine.run_id);
  auto total = CountCustomers(*run.snapshot, run.plan.customers, page_max);
  if (!total.ok()) return total.status();
  run.result.set_customers_total(*total);
  return run;
}

void AddError(v1::RunResult& result, size_t errors_max,
              absl::string_view customer_id, const absl::Status& s) {
  result.set_customers_failed(result.customers_failed() + 1);
  if (static_cast<size_t>(result.errors_size()) < errors_max) {
    result.add_errors(absl::StrCat(customer_id, ": ", s.message()));
  }
}

v1::RunProgress Progress(const v1::RunResult& result, absl::Time started) {
  v1::RunProgress progress;
  progress.set_customers_total(result.customers_total());
  progress.set_customers_done(result.customers_done());
  progress.set_customers_failed(result.customers_failed());
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  progress.set_elapsed_ms(absl::ToInt64Milliseconds(absl::Now() - started));
  progress.set_customers_per_second(
      seconds > 0 ? static_cast<double>(result.customers_done()) / seconds
                  : 0.0);
  return progress;
}

}  // namespace

absl::StatusOr<v1::RunResult> BillingRunner::Simulate(
    const v1::RunRequest& request) const {
  const absl::Time started = absl::Now();
  auto run =
      BeginRun(request, *state_, clock_->Today(), limits_.customers_page_max);
  if (!run.ok()) return run.status();
  v1::RunResult& result = run->result;
  auto s = ForEachCustomer(
      *run->snapshot, run->plan.customers, limits_.customers_page_max,
      [&](const std::string& id) -> absl::Status {
        auto gathered = GatherRun(*run->snapshot, id, run->plan.engine);
        if (!gathered.ok()) {
          AddError(result, limits_.errors_max, id, gathered.status());
          return absl::OkStatus();
        }
        result.set_customers_done(result.customers_done() + 1);
        for (v1::Preparation& p : *gathered->mutable_preparations()) {
          result.set_preparations(result.preparations() + 1);
          if (p.status() == v1::PREPARATION_STATUS_ANOMALY) {
            result.set_preparations_in_anomaly(
                result.preparations_in_anomaly() + 1);
          }
          if (static_cast<size_t>(result.preparation_list_size()) <
              limits_.simulated_preparations_max) {
            *result.add_preparation_list() = std::move(p);
          } else {
            result.set_preparations_truncated(true);
          }
        }
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  result.set_elapsed_ms(absl::ToInt64Milliseconds(absl::Now() - started));
  return std::move(result);
}

namespace {

CommandRequest GatherCommand(const v1::RunParams& params,
                             const std::string& customer_id) {
  CommandRequest command;
  command.idempotency_key = absl::StrCat(params.run_id(), "/", customer_id);
  command.business_date = params.business_date();
  auto* invoicing = command.command.mutable_invoicing();
  invoicing->set_customer_id(customer_id);
  *invoicing->mutable_gather_preparations()->mutable_params() = params;
  return command;
}

// The run's header as a start records it.
v1::RunHeader HeaderOf(const BegunRun& run) {
  v1::RunHeader h;
  h.set_run_id(run.plan.engine.run_id);
  *h.mutable_params() = run.plan.params;
  h.set_customer_from(run.plan.customers.from);
  h.set_customer_to(run.plan.customers.to);
  h.set_customers_total(run.result.customers_total());
  return h;
}

bool SameRun(const v1::RunHeader& a, const v1::RunHeader& b) {
  return SerializeDeterministic(a.params()) ==
             SerializeDeterministic(b.params()) &&
         a.customer_from() == b.customer_from() &&
         a.customer_to() == b.customer_to();
}

// Records the run's header (invoicing.run_started, partition "@runs"),
// unless a start with the same run id did: then the header must name the
// same run. Errors: FailedPrecondition (the id names another run), the
// command's.
absl::Status RecordHeader(CommandProcessor& commands, const StateReader& state,
                          const BegunRun& run) {
  const v1::RunHeader header = HeaderOf(run);
  auto existing = LoadRun(state, header.run_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    // A start again with the same id resumes the run its header names.
    if (SameRun(**existing, header)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrFormat(
        "idempotency_key: run %s was started on %s with other parameters "
        "(period %s..%s, customers %s..%s); start a new run id",
        QuoteValue(header.run_id()), (*existing)->started_on(),
        (*existing)->params().period_start(),
        (*existing)->params().period_end(), (*existing)->customer_from(),
        (*existing)->customer_to()));
  }
  CommandRequest command;
  command.idempotency_key = header.run_id();
  command.business_date = header.params().business_date();
  auto* invoicing = command.command.mutable_invoicing();
  invoicing->set_customer_id(std::string(kRunsPartition));
  *invoicing->mutable_begin_run()->mutable_run() = header;
  return commands.Execute(std::move(command)).status();
}

}  // namespace

absl::StatusOr<v1::RunResult> BillingRunner::Start(
    const v1::RunRequest& request, const ProgressSink& progress) const {
  const absl::Time started = absl::Now();
  auto run =
      BeginRun(request, *state_, clock_->Today(), limits_.customers_page_max);
  if (!run.ok()) return run.status();
  // The header first: a run's progress is counted against it.
  if (auto s = RecordHeader(*commands_, *state_, *run); !s.ok()) return s;
  v1::RunResult& result = run->result;
  std::vector<std::string> group;
  std::vector<CommandRequest> requests;
  auto flush = [&]() -> absl::Status {
    if (group.empty()) return absl::OkStatus();
    auto answers = commands_->ExecuteBatch(std::move(requests));
    requests.clear();
    for (size_t i = 0; i < answers.size(); ++i) {
      if (auto s = Tally(group[i], answers[i], result); !s.ok()) return s;
    }
    group.clear();
    if (!progress(Progress(result, started))) {
      return absl::CancelledError("the client stopped listening");
    }
    return absl::OkStatus();
  };
  auto s = ForEachCustomer(
      *run->snapshot, run->plan.customers, limits_.customers_page_max,
      [&](const std::string& id) -> absl::Status {
        group.push_back(id);
        requests.push_back(GatherCommand(run->plan.params, id));
        return group.size() < limits_.commands_in_flight_max ? absl::OkStatus()
                                                             : flush();
      });
  if (s.ok()) s = flush();
  if (!s.ok()) return s;
  result.set_elapsed_ms(absl::ToInt64Milliseconds(absl::Now() - started));
  return std::move(result);
}

absl::Status BillingRunner::Tally(
    const std::string& customer_id,
    const absl::StatusOr<v1::IdempotencyRecord>& answer,
    v1::RunResult& result) const {
  if (!answer.ok()) {
    AddError(result, limits_.errors_max, customer_id, answer.status());
    return absl::OkStatus();
  }
  result.set_customers_done(result.customers_done() + 1);
  for (const std::string& id : answer->invoicing().preparation_ids()) {
    result.set_preparations(result.preparations() + 1);
    auto p = LoadPreparation(*state_, customer_id, id);
    if (!p.ok()) return p.status();
    if (p->has_value() && (*p)->status() == v1::PREPARATION_STATUS_ANOMALY) {
      result.set_preparations_in_anomaly(result.preparations_in_anomaly() + 1);
    }
  }
  return absl::OkStatus();
}

}  // namespace billing
