// Not formatted by clang-format: the text protos are R"pb(...)pb" pieces.
// clang-format off

// billing.v1.InvoicingService over real gRPC on 127.0.0.1: a real
// BillingServer (embedded journal and RocksDB in a temp dir), given three
// customers set up through the other services' stubs, each with one
// account on entity HQ and one flat rule of 100.00 a month in advance from
// March 1 (C120 and C121: contract family MAINT, site PARIS; C200: RENT,
// site LYON); when a March run is simulated, started, filtered, corrected;
// then the preparations a person can check.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/substitute.h"
#include "billing/v1/contract_service.grpc.pb.h"
#include "billing/v1/customer_service.grpc.pb.h"
#include "billing/v1/invoicing_service.grpc.pb.h"
#include "billing/v1/structure_service.grpc.pb.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "services/server.h"

namespace billing {
namespace {

constexpr int kCallDeadlineS = 30;

template <typename M>
M Text(const std::string& text) {
  M m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

// Preparations by (holder, id), serialized: what "identical" compares.
std::vector<std::string> Bytes(
    const google::protobuf::RepeatedPtrField<v1::Preparation>& preps) {
  std::vector<std::string> out;
  for (const auto& p : preps) out.push_back(p.SerializeAsString());
  std::sort(out.begin(), out.end());
  return out;
}

class InvoicingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrFormat(
                "invoicing_service_%s_%d",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                getpid());
    std::filesystem::remove_all(root_);
    ServerOptions o;
    o.data_dir = root_.string();
    o.listen = "127.0.0.1:0";
    o.partitions = 2;
    o.test_clock_date = "2026-03-01";
    o.journal_sync = false;
    auto server = BillingServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(
        absl::StrFormat("127.0.0.1:%d", server_->port()),
        grpc::InsecureChannelCredentials());
    invoicing_ = v1::InvoicingService::NewStub(channel_);
    Contract("@reference", "article", R"pb(define_article {
        article { article_code: "MAINT" label: "Maintenance"
                  vat_rate_bp: 2000 } })pb");
    Customer("C120", "MAINT", "PARIS");
    Customer("C121", "MAINT", "PARIS");
    Customer("C200", "RENT", "LYON");
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(root_);
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(kCallDeadlineS));
    return ctx;
  }

  void Contract(const std::string& customer, const std::string& key,
                const std::string& body) {
    v1::ContractCommandRequest req;
    req.set_idempotency_key(key);
    *req.mutable_command() = Text<v1::ContractCommand>(
        absl::StrCat("customer_id: \"", customer, "\" ", body));
    v1::ContractAnswer out;
    auto st = v1::ContractService::NewStub(channel_)->Execute(
        Context().get(), req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void Customer(const std::string& id, const std::string& family,
                const std::string& site) {
    auto customer = Text<v1::CreateCustomerRequest>(absl::Substitute(
        R"pb(idempotency_key: "create" customer { customer_id: "$0"
             name: "Customer $0" email: "billing@example.com"
             billing_address { lines: "1 rue" city: "Paris" country_code: "FR" }
             invoice_delivery_mode: INVOICE_DELIVERY_MODE_PER_ENTITY })pb",
        id));
    v1::Customer c;
    auto st = v1::CustomerService::NewStub(channel_)->CreateCustomer(
        Context().get(), customer, &c);
    ASSERT_TRUE(st.ok()) << st.error_message();
    auto structure = v1::BillingStructureService::NewStub(channel_);
    auto entity = Text<v1::CreateBillingEntityRequest>(absl::Substitute(
        R"pb(idempotency_key: "hq" customer_id: "$0"
             entity { entity_id: "HQ" name: "Head office" })pb", id));
    v1::BillingEntity e;
    st = structure->CreateBillingEntity(Context().get(), entity, &e);
    ASSERT_TRUE(st.ok()) << st.error_message();
    auto object = Text<v1::CreateObjectRequest>(absl::Substitute(
        R"pb(idempotency_key: "a-hq" customer_id: "$0"
             object { object_id: "A-HQ" kind: OBJECT_KIND_ACCOUNT }
             entity_id: "HQ")pb", id));
    v1::BillableObject b;
    st = structure->CreateObject(Context().get(), object, &b);
    ASSERT_TRUE(st.ok()) << st.error_message();
    Contract(id, "k", absl::Substitute(R"pb(create_contract { contract {
        contract_ref: "K-$0" contract_family: "$1" billing_family: "SERV"
        site_code: "$2" start_date: "2026-01-01" } })pb", id, family, site));
    Contract(id, "r", absl::Substitute(R"pb(create_rule { rule {
        contract_ref: "K-$0" rule_id: "R1" label: "Maintenance"
        rule_type: RULE_TYPE_FLAT object_ids: "A-HQ" article_code: "MAINT"
        unit_price_micros: 100000000 cost_price_micros: 60000000
        periodicity: PERIODICITY_MONTHLY timing: BILLING_TIMING_IN_ADVANCE
        start_date: "2026-03-01" } })pb", id));
  }

  static v1::RunRequest March(const std::string& run_id = "RUN-3") {
    return Text<v1::RunRequest>(absl::Substitute(
        R"pb(idempotency_key: "$0" period_start: "2026-03-01"
             period_end: "2026-03-31" scope: ACCOUNT_SCOPE_ORDINARY)pb",
        run_id));
  }

  // The progress messages of a started run; the last one carries the
  // result.
  std::vector<v1::RunProgress> Start(const v1::RunRequest& request) {
    auto ctx = Context();
    auto reader = invoicing_->StartRun(ctx.get(), request);
    std::vector<v1::RunProgress> out;
    v1::RunProgress p;
    while (reader->Read(&p)) out.push_back(p);
    auto st = reader->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  v1::ListPreparationsResponse List(const std::string& text) {
    auto req = Text<v1::ListPreparationsRequest>(text);
    v1::ListPreparationsResponse out;
    auto st = invoicing_->ListPreparations(Context().get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  std::vector<std::string> Holders(const std::string& filter) {
    std::vector<std::string> out;
    const v1::ListPreparationsResponse listed = List(filter);
    for (const auto& p : listed.preparations()) {
      out.push_back(p.holder_id());
    }
    return out;
  }

  std::filesystem::path root_;
  std::unique_ptr<BillingServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InvoicingService::Stub> invoicing_;
};

// A simulation records nothing; the run started after it records the very
// same preparations, one per customer: 100.00 each.
TEST_F(InvoicingServiceTest, SimulateThenStartGiveIdenticalPreparations) {
  v1::RunResult simulated;
  auto st = invoicing_->SimulateRun(Context().get(), March(), &simulated);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(simulated.customers_total(), 3);
  EXPECT_EQ(simulated.customers_done(), 3);
  ASSERT_EQ(simulated.preparation_list_size(), 3);
  EXPECT_EQ(simulated.preparation_list(0).totals().net_amount_minor(), 10000);
  EXPECT_TRUE(List("detail: true").preparations().empty());

  auto progress = Start(March());
  ASSERT_FALSE(progress.empty());
  const v1::RunResult& result = progress.back().result();
  EXPECT_EQ(result.customers_total(), 3);
  EXPECT_EQ(result.customers_done(), 3);
  EXPECT_EQ(result.customers_failed(), 0);
  EXPECT_EQ(result.preparations(), 3);
  EXPECT_EQ(progress.back().customers_done(), 3);
  EXPECT_EQ(Bytes(List("detail: true").preparations()),
            Bytes(simulated.preparation_list()));
}

// Started again with the same run id: every customer answers its first
// answer, the state is byte for byte what it was.
TEST_F(InvoicingServiceTest, SecondStartWithTheSameKeyChangesNothing) {
  Start(March());
  auto before = server_->state().Checksum();
  ASSERT_TRUE(before.ok());
  auto again = Start(March());
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again.back().result().customers_done(), 3);
  EXPECT_EQ(again.back().result().preparations(), 3);
  EXPECT_EQ(*server_->state().Checksum(), *before);
}

// Masks on the customer range, the contract family and the site; list
// mode without lines; paging one at a time.
TEST_F(InvoicingServiceTest, FiltersWithMasksAndPaging) {
  Start(March());
  EXPECT_EQ(Holders(R"pb(customers { from: "C12*" to: "C12*" })pb"),
            (std::vector<std::string>{"C120", "C121"}));
  EXPECT_EQ(Holders(R"pb(site_code: "LY*")pb"),
            std::vector<std::string>{"C200"});
  EXPECT_EQ(Holders(R"pb(contract_families { from: "MAINT" to: "MAINT" }
                         contract_refs { from: "K-C121" })pb"),
            std::vector<std::string>{"C121"});
  EXPECT_TRUE(Holders(R"pb(statuses: PREPARATION_STATUS_VALIDATED)pb").empty());
  auto first = List("page_size: 2");
  ASSERT_EQ(first.preparations_size(), 2);
  EXPECT_EQ(first.preparations(0).lines_size(), 0);
  ASSERT_FALSE(first.next_page_token().empty());
  auto second = List(absl::StrCat("page_size: 2 page_token: \"",
                                  first.next_page_token(), "\""));
  ASSERT_EQ(second.preparations_size(), 1);
  EXPECT_EQ(second.preparations(0).holder_id(), "C200");
  EXPECT_TRUE(second.next_page_token().empty());
}

// 2 x 45.00 added to C120's preparation: 190.00. Deleted: pending; once
// confirmed: gone.
TEST_F(InvoicingServiceTest, AddLineDeleteConfirm) {
  Start(March());
  const std::string id = List(R"pb(customers { from: "C120" to: "C120" })pb")
                             .preparations(0).preparation_id();
  auto add = Text<v1::AddPreparationLineRequest>(absl::Substitute(
      R"pb(idempotency_key: "add-1" customer_id: "C120" preparation_id: "$0"
           line { article_code: "MAINT" label: "Extra visit"
                  quantity_milli: 2000 unit_price_micros: 45000000 })pb", id));
  v1::InvoicingAnswer answer;
  auto st = invoicing_->AddPreparationLine(Context().get(), add, &answer);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(answer.totals().net_amount_minor(), 19000);

  auto del = Text<v1::DeletePreparationsRequest>(absl::Substitute(
      R"pb(idempotency_key: "del-1" customer_id: "C120"
           preparation_ids: "$0")pb", id));
  st = invoicing_->DeletePreparations(Context().get(), del, &answer);
  ASSERT_TRUE(st.ok()) << st.error_message();
  v1::GetPreparationRequest get;
  get.set_customer_id("C120");
  get.set_preparation_id(id);
  v1::Preparation p;
  st = invoicing_->GetPreparation(Context().get(), get, &p);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(p.deletion_pending());
  EXPECT_EQ(p.totals().net_amount_minor(), 19000);

  auto confirm = Text<v1::ConfirmDeletionRequest>(absl::Substitute(
      R"pb(idempotency_key: "confirm-1" customer_id: "C120"
           preparation_ids: "$0")pb", id));
  st = invoicing_->ConfirmDeletion(Context().get(), confirm, &answer);
  ASSERT_TRUE(st.ok()) << st.error_message();
  st = invoicing_->GetPreparation(Context().get(), get, &p);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
}

// A started run records its header first (invoicing.run_started, in
// "@runs"): GetRun and ListRuns show its period, date, scope, filters and
// the progress counted from the state, 3 of 3. The same id with another
// period is refused; a start again with the same request resumes it.
TEST_F(InvoicingServiceTest, AStartedRunHasAHeaderWithItsProgress) {
  v1::RunRequest request = March("RUN-H");
  request.set_customer_from("C1*");
  request.set_customer_to("C2*");
  Start(request);
  v1::GetRunRequest get;
  get.set_run_id("RUN-H");
  v1::RunView run;
  auto st = invoicing_->GetRun(Context().get(), get, &run);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(run.header().run_id(), "RUN-H");
  EXPECT_EQ(run.header().params().period_start(), "2026-03-01");
  EXPECT_EQ(run.header().params().business_date(), "2026-03-01");
  EXPECT_EQ(run.header().params().scope(), v1::ACCOUNT_SCOPE_ORDINARY);
  EXPECT_EQ(run.header().customer_from(), "C1*");
  EXPECT_EQ(run.header().customers_total(), 3);
  EXPECT_EQ(run.header().started_on(), "2026-03-01");
  EXPECT_EQ(run.customers_done(), 3);
  EXPECT_TRUE(run.complete());

  Start(March("RUN-C12"));
  v1::ListRunsRequest list;
  list.set_page_size(1);
  v1::ListRunsResponse runs;
  st = invoicing_->ListRuns(Context().get(), list, &runs);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(runs.runs_size(), 1);
  EXPECT_EQ(runs.runs(0).header().run_id(), "RUN-C12");
  ASSERT_FALSE(runs.next_page_token().empty());
  list.set_page_token(runs.next_page_token());
  st = invoicing_->ListRuns(Context().get(), list, &runs);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(runs.runs_size(), 1);
  EXPECT_EQ(runs.runs(0).header().run_id(), "RUN-H");
  EXPECT_TRUE(runs.next_page_token().empty());

  v1::RunRequest other = request;
  other.set_period_end("2026-03-30");
  auto ctx = Context();
  auto reader = invoicing_->StartRun(ctx.get(), other);
  v1::RunProgress ignored;
  while (reader->Read(&ignored)) {}
  st = reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StartsWith(st.error_message(), "idempotency_key: "))
      << st.error_message();
  auto again = Start(request);
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again.back().result().customers_done(), 3);

  get.set_run_id("RUN-NONE");
  EXPECT_EQ(invoicing_->GetRun(Context().get(), get, &run).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.set_run_id("");
  EXPECT_EQ(invoicing_->GetRun(Context().get(), get, &run).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// A preparation id begins with its holder: GetPreparation needs no
// customer_id; one given narrows (another customer's: NOT_FOUND).
TEST_F(InvoicingServiceTest, GetPreparationFromItsIdAlone) {
  Start(March());
  const std::string id = List(R"pb(customers { from: "C121" to: "C121" })pb")
                             .preparations(0).preparation_id();
  EXPECT_EQ(id, "C121/2026-03-01..2026-03-31/C121/HQ/*/INV");
  v1::GetPreparationRequest get;
  get.set_preparation_id(id);
  v1::Preparation p;
  auto st = invoicing_->GetPreparation(Context().get(), get, &p);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(p.holder_id(), "C121");
  EXPECT_EQ(p.lines_size(), 1);
  get.set_customer_id("C120");
  EXPECT_EQ(invoicing_->GetPreparation(Context().get(), get, &p).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.clear_customer_id();
  get.set_preparation_id("no-holder");
  st = invoicing_->GetPreparation(Context().get(), get, &p);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(st.error_message(), "preparation_id:"))
      << st.error_message();
}

// List mode clears lines, anomalies and trace and counts them: each
// preparation has 1 line, no anomaly, its trace.
TEST_F(InvoicingServiceTest, ListModeCarriesCounts) {
  Start(March());
  const auto listed = List("");
  ASSERT_EQ(listed.preparations_size(), 3);
  ASSERT_EQ(listed.counts_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(listed.counts(i).preparation_id(),
              listed.preparations(i).preparation_id());
    EXPECT_EQ(listed.preparations(i).lines_size(), 0);
    EXPECT_EQ(listed.counts(i).lines(), 1);
    EXPECT_EQ(listed.counts(i).anomalies(), 0);
    EXPECT_GE(listed.counts(i).trace(), 1);
  }
}

// Each bad request is INVALID_ARGUMENT and its message starts with the
// field at fault.
TEST_F(InvoicingServiceTest, BadRequestNamesItsField) {
  auto expect_field = [&](const grpc::Status& st, const std::string& field) {
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_TRUE(absl::StartsWith(st.error_message(), field + ":"))
        << st.error_message();
  };
  v1::RunResult result;
  v1::RunRequest bad = March();
  bad.set_period_start("2026-13-01");
  expect_field(invoicing_->SimulateRun(Context().get(), bad, &result),
               "period_start");
  bad = March("");
  expect_field(invoicing_->SimulateRun(Context().get(), bad, &result),
               "idempotency_key");
  bad = March();
  bad.set_scope(v1::ACCOUNT_SCOPE_UNSPECIFIED);
  expect_field(invoicing_->SimulateRun(Context().get(), bad, &result),
               "scope");
  auto stream_ctx = Context();
  auto reader = invoicing_->StartRun(stream_ctx.get(), bad);
  v1::RunProgress ignored;
  while (reader->Read(&ignored)) {}
  expect_field(reader->Finish(), "scope");

  v1::ListPreparationsResponse list;
  auto req = Text<v1::ListPreparationsRequest>("period_end: \"2026-02-30\"");
  expect_field(invoicing_->ListPreparations(Context().get(), req, &list),
               "period_end");
  req = Text<v1::ListPreparationsRequest>("page_token: \"not-a-token\"");
  expect_field(invoicing_->ListPreparations(Context().get(), req, &list),
               "page_token");
  req.Clear();
  req.add_statuses(v1::PREPARATION_STATUS_UNSPECIFIED);
  expect_field(invoicing_->ListPreparations(Context().get(), req, &list),
               "statuses[0]");
}

}  // namespace
}  // namespace billing
