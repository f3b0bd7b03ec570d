// Not formatted by clang-format: the text protos are R"pb(...)pb" pieces
// (see contracts_fixture.h for why).
// clang-format off

// The invoicing commands (engine/invoicing/commands.h): given events (the
// state built through the engine's own commands), when a run, an ad-hoc
// line, a deletion, then the events and the preparations stored, with
// numbers a person can check.

#include "engine/invoicing/commands.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/invoicing.pb.h"
#include "engine/core/state.h"
#include "engine/core/keys.h"
#include "engine/invoicing/gather.h"
#include "engine/invoicing/runs.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/unit/engine/ledger.h"
#include "tests/unit/engine/precedence.h"

namespace billing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr BusinessDate kJan5(2026, 1, 5);
constexpr BusinessDate kMar1(2026, 3, 1);
constexpr BusinessDate kMar2(2026, 3, 2);

constexpr char kHq[] = "C1/2026-03-01..2026-03-31/C1/HQ/*/INV";
constexpr char kLyon[] = "C1/2026-03-01..2026-03-31/C1/LYON/*/INV";

v1::Command Parse(const std::string& text) {
  v1::Command command;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &command))
      << text;
  return command;
}

// The March run of C1, due as of the business date.
v1::Command MarchRun(const std::string& run_id = "RUN-1") {
  return Parse(absl::Substitute(
      R"pb(invoicing { customer_id: "C1" gather_preparations { params {
             run_id: "$0" period_start: "2026-03-01" period_end: "2026-03-31"
             scope: ACCOUNT_SCOPE_ORDINARY } } })pb",
      run_id));
}

v1::Command AddLine(const std::string& preparation_id) {
  return Parse(absl::Substitute(
      R"pb(invoicing { customer_id: "C1" add_preparation_line {
             preparation_id: "$0"
             line { article_code: "MAINT" label: "Extra visit"
                    quantity_milli: 2000 unit_price_micros: 45000000 } } })pb",
      preparation_id));
}

v1::Command Deletion(const std::string& verb, const std::string& id) {
  return Parse(absl::Substitute(
      R"pb(invoicing { customer_id: "C1" $0 { preparation_ids: "$1" } })pb",
      verb, id));
}

std::vector<std::string> Ids(const std::vector<v1::Preparation>& preps) {
  std::vector<std::string> ids;
  for (const auto& p : preps) ids.push_back(p.preparation_id());
  return ids;
}

// C1, one invoice per entity: HQ and LYON (10 % on its account); one rule
// per account, 100.00 a month in advance from March 1.
class InvoicingCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* text : {
             R"pb(contract { customer_id: "@reference" define_article {
                    article { article_code: "MAINT" label: "Maintenance"
                              vat_rate_bp: 2000 } } })pb",
             R"pb(create_customer { customer { customer_id: "C1"
                    name: "Customer C1" email: "c1@example.com"
                    billing_address { lines: "1 rue" city: "Paris"
                                      country_code: "FR" }
                    invoice_delivery_mode: INVOICE_DELIVERY_MODE_PER_ENTITY
                  } })pb",
             R"pb(structure { customer_id: "C1" create_entity {
                    entity { entity_id: "HQ" name: "Head office" } } })pb",
             R"pb(structure { customer_id: "C1" create_entity {
                    entity { entity_id: "LYON" name: "Lyon" } } })pb",
             R"pb(structure { customer_id: "C1" create_object {
                    object { object_id: "A-HQ" kind: OBJECT_KIND_ACCOUNT }
                    entity_id: "HQ" } })pb",
             R"pb(structure { customer_id: "C1" create_object {
                    object { object_id: "A-LYON" kind: OBJECT_KIND_ACCOUNT }
                    entity_id: "LYON" discount_percent: "10" } })pb",
             R"pb(contract { customer_id: "C1" create_contract { contract {
                    contract_ref: "K1" contract_family: "MAINT"
                    billing_family: "SERV" site_code: "S1"
                    start_date: "2026-01-01" } } })pb"}) {
      ledger_.Given(Parse(text), kJan5);
    }
    for (const char* entity : {"HQ", "LYON"}) {
      ledger_.Given(
          Parse(absl::Substitute(
              R"pb(contract { customer_id: "C1" create_rule { rule {
                     contract_ref: "K1" rule_id: "R-$0" label: "Rule $0"
                     rule_type: RULE_TYPE_FLAT object_ids: "A-$0"
                     article_code: "MAINT" unit_price_micros: 100000000
                     cost_price_micros: 60000000
                     periodicity: PERIODICITY_MONTHLY
                     timing: BILLING_TIMING_IN_ADVANCE
                     start_date: "2026-03-01" } } })pb",
              entity)),
          kJan5);
    }
  }

  // Decides `command` and applies its events; the one event decided.
  v1::InvoicingEvent Run(const v1::Command& command,
                         BusinessDate date = kMar1) {
    auto events = ledger_.When(command, date);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) return {};
    EXPECT_EQ(events->size(), 1u);
    v1::InvoicingEvent event = events->at(0).invoicing();
    ledger_.Apply(command, date, *std::move(events));
    return event;
  }

  std::vector<v1::Preparation> Stored() {
    auto got = ListPreparations(ledger_.state(), "C1");
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : std::vector<v1::Preparation>();
  }

  v1::Preparation StoredOne(const std::string& id) {
    auto got = LoadPreparation(ledger_.state(), "C1", id);
    EXPECT_TRUE(got.ok() && got->has_value()) << id;
    return got.ok() && got->has_value() ? **got : v1::Preparation();
  }

  // Writes `p` as a later command would (no command validates yet).
  void Store(const v1::Preparation& p) {
    ledger_state().Put(PreparationKey("C1", p.preparation_id()),
                       p.SerializeAsString());
  }

  // The test writes a preparation no command can make yet.
  MemoryState& ledger_state() { return ledger_.mutable_state(); }

  testing::Ledger ledger_;
};

// --- gather ---

// Simulation and real run: the same parameters through RunParamsFromProto,
// the same GatherCustomer; what the run stores is what the simulation shows.
TEST_F(InvoicingCommandsTest, SimulationAndRealRunGiveIdenticalPreparations) {
  const v1::Command run = MarchRun();
  auto params = RunParamsFromProto(
      run.invoicing().gather_preparations().params(), kMar1);
  ASSERT_TRUE(params.ok()) << params.status();
  auto simulated = GatherCustomer(ledger_.state(), "C1", *params);
  ASSERT_TRUE(simulated.ok()) << simulated.status();
  const v1::InvoicingEvent event = Run(run);
  const auto stored = Stored();
  ASSERT_EQ(stored.size(), simulated->size());
  ASSERT_EQ(stored.size(), 2u);
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].SerializeAsString(), (*simulated)[i].SerializeAsString())
        << stored[i].preparation_id();
    EXPECT_EQ(event.preparations_gathered().preparations(i).SerializeAsString(),
              (*simulated)[i].SerializeAsString());
  }
  EXPECT_THAT(Ids(stored), ElementsAre(kHq, kLyon));
  EXPECT_EQ(stored[0].totals().net_amount_minor(), 10000);
  EXPECT_EQ(stored[1].totals().net_amount_minor(), 9000);
  EXPECT_EQ(stored[0].run_id(), "RUN-1");
}

// The event carries the run, its period and scope, and a stable type.
TEST_F(InvoicingCommandsTest, GatherEventNamesItsRunAndType) {
  auto events = ledger_.When(MarchRun(), kMar1);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->at(0).type(), "invoicing.preparations_gathered");
  const auto& g = events->at(0).invoicing().preparations_gathered();
  EXPECT_EQ(g.run_id(), "RUN-1");
  EXPECT_EQ(g.period_start(), "2026-03-01");
  EXPECT_EQ(g.period_end(), "2026-03-31");
  EXPECT_EQ(g.scope(), v1::ACCOUNT_SCOPE_ORDINARY);
  EXPECT_THAT(g.replaced_preparation_ids(), IsEmpty());
}

// A second run of March replaces both generated preparations: still two,
// each with one 100.00 line, the second run's id.
TEST_F(InvoicingCommandsTest, RerunReplacesGeneratedAndGathersNothingTwice) {
  Run(MarchRun("RUN-1"));
  const v1::InvoicingEvent second = Run(MarchRun("RUN-2"), kMar2);
  EXPECT_THAT(second.preparations_gathered().replaced_preparation_ids(),
              ElementsAre(kHq, kLyon));
  const auto stored = Stored();
  EXPECT_THAT(Ids(stored), ElementsAre(kHq, kLyon));
  for (const auto& p : stored) {
    EXPECT_EQ(p.run_id(), "RUN-2");
    EXPECT_EQ(p.lines_size(), 1) << p.preparation_id();
  }
  EXPECT_EQ(stored[0].totals().gross_amount_minor(), 10000);
}

// A preparation the gather no longer makes is replaced too (it was of the
// period), and one of another period is not.
TEST_F(InvoicingCommandsTest, RerunRemovesStaleOfItsPeriodOnly) {
  Run(MarchRun());
  v1::Preparation stale = StoredOne(kHq);
  stale.set_preparation_id("C1/2026-03-01..2026-03-31/C1/OLD/*/INV");
  Store(stale);
  v1::Preparation february = StoredOne(kHq);
  february.set_preparation_id("C1/2026-02-01..2026-02-28/C1/HQ/*/INV");
  february.set_period_start("2026-02-01");
  february.set_period_end("2026-02-28");
  Store(february);
  Run(MarchRun("RUN-2"));
  EXPECT_THAT(Ids(Stored()),
              ElementsAre("C1/2026-02-01..2026-02-28/C1/HQ/*/INV", kHq, kLyon));
}

// A validated preparation is never touched: not replaced, not rewritten by
// a run gathering the same id; the other one is replaced.
TEST_F(InvoicingCommandsTest, RerunNeverTouchesValidated) {
  Run(MarchRun());
  v1::Preparation validated = StoredOne(kHq);
  validated.set_status(v1::PREPARATION_STATUS_VALIDATED);
  Store(validated);
  const v1::InvoicingEvent second = Run(MarchRun("RUN-2"), kMar2);
  const auto& g = second.preparations_gathered();
  EXPECT_THAT(g.replaced_preparation_ids(), ElementsAre(kLyon));
  ASSERT_EQ(g.preparations_size(), 1);
  EXPECT_EQ(g.preparations(0).preparation_id(), kLyon);
  EXPECT_EQ(StoredOne(kHq).SerializeAsString(), validated.SerializeAsString());
  EXPECT_EQ(StoredOne(kLyon).run_id(), "RUN-2");
}

// The run's answer lists what it gathered and replaced.
TEST_F(InvoicingCommandsTest, GatherAnswerListsPreparations) {
  Run(MarchRun());
  auto events = ledger_.When(MarchRun("RUN-2"), kMar2);
  ASSERT_TRUE(events.ok());
  v1::LogRecord record;
  *record.add_events() = events->at(0);
  auto answer = InvoicingAnswerFor(ledger_.state(), record);
  ASSERT_TRUE(answer.ok());
  EXPECT_THAT(answer->preparation_ids(), ElementsAre(kHq, kLyon));
  EXPECT_THAT(answer->replaced_preparation_ids(), ElementsAre(kHq, kLyon));
}

TEST_F(InvoicingCommandsTest, GatherRefusesBadParameters) {
  v1::Command run = MarchRun();
  auto* params =
      run.mutable_invoicing()->mutable_gather_preparations()->mutable_params();
  params->set_period_end("2026-02-30");
  ledger_.ExpectRejected(run, kMar1, absl::StatusCode::kInvalidArgument,
                         "[RUN_PARAMS_INVALID]");
  params->set_period_end("2026-02-28");  // before its start
  ledger_.ExpectRejected(run, kMar1, absl::StatusCode::kInvalidArgument,
                         "[RUN_PARAMS_INVALID]");
  params->set_period_end("2026-03-31");
  params->set_scope(v1::ACCOUNT_SCOPE_UNSPECIFIED);
  ledger_.ExpectRejected(run, kMar1, absl::StatusCode::kInvalidArgument,
                         "[RUN_PARAMS_INVALID]");
}

TEST_F(InvoicingCommandsTest, GatherRejectionsInPrecedenceOrder) {
  v1::Command run = MarchRun("");
  run.mutable_invoicing()->set_customer_id("bad id");
  run.mutable_invoicing()->mutable_gather_preparations()->mutable_params()
      ->set_period_start("nope");
  testing::ExpectPrecedence(
      ledger_, run, gather_preparations::kOrder, kMar1,
      testing::Then(
          testing::CustomerSteps([](v1::Command& c, const char* id) {
            c.mutable_invoicing()->set_customer_id(id);
          }),
          {{"RUN_ID_INVALID",
            [](v1::Command& c) {
              c.mutable_invoicing()->mutable_gather_preparations()
                  ->mutable_params()->set_run_id("RUN-1");
            }},
           {"RUN_PARAMS_INVALID", [](v1::Command& c) {
              c.mutable_invoicing()->mutable_gather_preparations()
                  ->mutable_params()->set_period_start("2026-03-01");
            }}}));
}

// --- add line ---

// 2 x 45.00 on HQ's 100.00: the line is 90.00, HQ's totals 190.00 in two
// lines (the line has no discount or cost: margin 100.00 - 60.00 + 90.00).
TEST_F(InvoicingCommandsTest, AddLineChangesTotalsByItsAmount) {
  Run(MarchRun());
  const v1::InvoicingEvent added = Run(AddLine(kHq));
  const auto& line = added.preparation_line_added().line();
  EXPECT_EQ(line.source(), v1::LINE_SOURCE_AD_HOC);
  EXPECT_EQ(line.gross_amount_minor(), 9000);
  EXPECT_EQ(line.assignment().entity_id(), "HQ");
  const v1::Preparation hq = StoredOne(kHq);
  EXPECT_EQ(hq.lines_size(), 2);
  EXPECT_EQ(hq.totals().gross_amount_minor(), 19000);
  EXPECT_EQ(hq.totals().net_amount_minor(), 19000);
  EXPECT_EQ(hq.totals().cost_minor(), 6000);
  EXPECT_EQ(hq.totals().margin_minor(), 13000);
  EXPECT_EQ(hq.totals().lines(), 2);
  ASSERT_EQ(hq.sections_size(), 1);
  EXPECT_EQ(hq.sections(0).totals().net_amount_minor(), 19000);
  EXPECT_EQ(StoredOne(kLyon).totals().net_amount_minor(), 9000);
}

TEST_F(InvoicingCommandsTest, AddLineOnMissingPreparationIsRefusedByName) {
  Run(MarchRun());
  ledger_.ExpectRejected(AddLine("C1/nope"), kMar1,
                         absl::StatusCode::kNotFound,
                         "[PREPARATION_NOT_FOUND]");
}

TEST_F(InvoicingCommandsTest, AddLineOnlyOnGenerated) {
  Run(MarchRun());
  v1::Preparation validated = StoredOne(kHq);
  validated.set_status(v1::PREPARATION_STATUS_VALIDATED);
  Store(validated);
  ledger_.ExpectRejected(AddLine(kHq), kMar1,
                         absl::StatusCode::kFailedPrecondition,
                         "[PREPARATION_NOT_GENERATED]");
  Run(Deletion("delete_preparations", kLyon));
  ledger_.ExpectRejected(AddLine(kLyon), kMar1,
                         absl::StatusCode::kFailedPrecondition,
                         "marked for deletion");
}

TEST_F(InvoicingCommandsTest, AddLineRejectionsInPrecedenceOrder) {
  Run(MarchRun());
  v1::Command add = AddLine("");
  add.mutable_invoicing()->set_customer_id("bad id");
  auto* line = add.mutable_invoicing()->mutable_add_preparation_line()
                   ->mutable_line();
  line->set_quantity_milli(0);
  line->set_article_code("NOPE");
  line->set_entity_id("NICE");
  auto mut = [](v1::Command& c) {
    return c.mutable_invoicing()->mutable_add_preparation_line();
  };
  testing::ExpectPrecedence(
      ledger_, add, add_preparation_line::kOrder, kMar1,
      testing::Then(
          testing::CustomerSteps([](v1::Command& c, const char* id) {
            c.mutable_invoicing()->set_customer_id(id);
          }),
          {{"PREPARATION_ID_INVALID",
            [mut](v1::Command& c) { mut(c)->set_preparation_id("C1/nope"); }},
           {"AD_HOC_LINE_INVALID",
            [mut](v1::Command& c) {
              mut(c)->mutable_line()->set_quantity_milli(1000);
            }},
           {"PREPARATION_NOT_FOUND",
            [mut](v1::Command& c) { mut(c)->set_preparation_id(kHq); }},
           {"ARTICLE_NOT_FOUND",
            [mut](v1::Command& c) {
              mut(c)->mutable_line()->set_article_code("MAINT");
            }},
           {"ENTITY_NOT_ON_PREPARATION", [mut](v1::Command& c) {
              mut(c)->mutable_line()->set_entity_id("HQ");
            }}}));
}

// --- delete, confirm ---

// Delete marks HQ (still stored, pending); confirm removes it; the next
// run gathers it again.
TEST_F(InvoicingCommandsTest, DeleteThenConfirmThenRunGathersAgain) {
  Run(MarchRun());
  const v1::InvoicingEvent marked = Run(Deletion("delete_preparations", kHq));
  EXPECT_THAT(marked.preparations_deleted().preparation_ids(),
              ElementsAre(kHq));
  EXPECT_TRUE(StoredOne(kHq).deletion_pending());
  EXPECT_FALSE(StoredOne(kLyon).deletion_pending());
  ledger_.ExpectRejected(Deletion("delete_preparations", kHq), kMar1,
                         absl::StatusCode::kFailedPrecondition,
                         "[PREPARATION_DELETION_PENDING]");
  ledger_.ExpectRejected(Deletion("confirm_deletion", kLyon), kMar1,
                         absl::StatusCode::kFailedPrecondition,
                         "[PREPARATION_DELETION_NOT_PENDING]");
  Run(Deletion("confirm_deletion", kHq));
  EXPECT_THAT(Ids(Stored()), ElementsAre(kLyon));
  ledger_.ExpectRejected(Deletion("confirm_deletion", kHq), kMar1,
                         absl::StatusCode::kNotFound,
                         "[PREPARATION_NOT_FOUND]");
  const v1::InvoicingEvent again = Run(MarchRun("RUN-2"), kMar2);
  EXPECT_THAT(again.preparations_gathered().replaced_preparation_ids(),
              ElementsAre(kLyon));
  EXPECT_THAT(Ids(Stored()), ElementsAre(kHq, kLyon));
  EXPECT_EQ(StoredOne(kHq).totals().net_amount_minor(), 10000);
}

TEST_F(InvoicingCommandsTest, DeleteRefusesValidatedAndBadSelections) {
  Run(MarchRun());
  v1::Preparation validated = StoredOne(kHq);
  validated.set_status(v1::PREPARATION_STATUS_VALIDATED);
  Store(validated);
  ledger_.ExpectRejected(Deletion("delete_preparations", kHq), kMar1,
                         absl::StatusCode::kFailedPrecondition,
                         "[PREPARATION_NOT_DELETABLE]");
  v1::Command twice = Deletion("delete_preparations", kLyon);
  twice.mutable_invoicing()->mutable_delete_preparations()
      ->add_preparation_ids(kLyon);
  ledger_.ExpectRejected(twice, kMar1, absl::StatusCode::kInvalidArgument,
                         "given twice [PREPARATION_ID_INVALID]");
  v1::Command none = Deletion("delete_preparations", kLyon);
  none.mutable_invoicing()->mutable_delete_preparations()
      ->clear_preparation_ids();
  ledger_.ExpectRejected(none, kMar1, absl::StatusCode::kInvalidArgument,
                         "[PREPARATION_ID_INVALID]");
}

// At most kPreparationIdsMax ids in one command: the limit is accepted up
// to the lookups (unknown ids), one more is refused.
TEST_F(InvoicingCommandsTest, DeleteTakesAtMostPreparationIdsMax) {
  v1::Command many = Deletion("delete_preparations", "P0");
  auto* ids = many.mutable_invoicing()->mutable_delete_preparations();
  for (size_t i = 1; i < kPreparationIdsMax; ++i) {
    ids->add_preparation_ids(absl::StrCat("P", i));
  }
  ledger_.ExpectRejected(many, kMar1, absl::StatusCode::kNotFound,
                         "[PREPARATION_NOT_FOUND]");
  ids->add_preparation_ids("one more");
  ledger_.ExpectRejected(many, kMar1, absl::StatusCode::kInvalidArgument,
                         "more than 1000 [PREPARATION_ID_INVALID]");
}

// --- what the caller may not say ---

// The usage already billed is the state's (validated preparations), never
// the caller's.
TEST_F(InvoicingCommandsTest, ARunMayNotStateTheUsageBilled) {
  v1::Command run = MarchRun();
  run.mutable_invoicing()->mutable_gather_preparations()->mutable_params()
      ->add_billed_usage()->set_object_id("N1");
  ledger_.ExpectRejected(
      run, kMar1, absl::StatusCode::kInvalidArgument,
      "params.billed_usage: must be empty; the usage already billed is read "
      "from the validated preparations [RUN_PARAMS_INVALID]");
}

// --- preparation ids ---

TEST(PreparationHolderTest, IsTheIdsFirstElement) {
  auto holder = PreparationHolder("preparation_id", kHq);
  ASSERT_TRUE(holder.ok()) << holder.status();
  EXPECT_EQ(*holder, "C1");
  for (const char* bad : {"C1", "/2026", "C 1/x", ""}) {
    auto got = PreparationHolder("preparation_id", bad);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(PreparationHolder("preparation_id", "C1").status().message(),
            "preparation_id: \"C1\" does not begin with a customer code and "
            "\"/\"");
}

// --- the run's header (partition "@runs") ---

// The header of RUN-1 as a runner records it: March, every customer, 2 in
// scope.
v1::Command BeginRunCommand(const std::string& run_id = "RUN-1",
                            const std::string& partition = "@runs") {
  return Parse(absl::Substitute(
      R"pb(invoicing { customer_id: "$1" begin_run { run {
             run_id: "$0" customers_total: 2
             params { run_id: "$0" period_start: "2026-03-01"
                      period_end: "2026-03-31" business_date: "2026-03-01"
                      scope: ACCOUNT_SCOPE_ORDINARY } } } })pb",
      run_id, partition));
}

// invoicing.run_started in "@runs", dated by the command; stored at
// run/<run_id>; its answer names the run.
TEST_F(InvoicingCommandsTest, BeginRunRecordsTheHeader) {
  auto events = ledger_.When(BeginRunCommand(), kMar2);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  const v1::EventEnvelope& e = events->at(0);
  EXPECT_EQ(e.type(), "invoicing.run_started");
  EXPECT_EQ(e.customer_id(), "@runs");
  EXPECT_EQ(e.invoicing().run_started().run().started_on(), "2026-03-02");
  v1::LogRecord record;
  *record.add_events() = e;
  auto answer = InvoicingAnswerFor(ledger_.state(), record);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->run_id(), "RUN-1");
  ledger_.Apply(BeginRunCommand(), kMar2, *events);
  auto stored = LoadRun(ledger_.state(), "RUN-1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->customers_total(), 2);
  EXPECT_EQ((*stored)->params().period_end(), "2026-03-31");
  EXPECT_TRUE(ledger_.state().data().contains("run/RUN-1"));
  auto owner = OwnerOfStateKey("run/RUN-1", "");
  ASSERT_TRUE(owner.ok() && owner->has_value());
  EXPECT_EQ(**owner, "@runs");
  ledger_.ExpectRejected(BeginRunCommand(), kMar2,
                         absl::StatusCode::kFailedPrecondition,
                         "run.run_id: run \"RUN-1\" started on 2026-03-02 "
                         "[RUN_ALREADY_STARTED]");
}

// Progress is counted from the state: the customers of the run's range
// whose gather the state remembers under "<run_id>/<customer>". C1 is
// gathered, C2 not yet: 1 of 2; then both: complete.
TEST_F(InvoicingCommandsTest, RunProgressIsCountedFromTheState) {
  ledger_.Given(Parse(R"pb(create_customer { customer { customer_id: "C2"
                             name: "Customer C2" } })pb"),
                kJan5);
  ledger_.Given(BeginRunCommand(), kMar1);
  ledger_.GivenWithKey(MarchRun(), kMar1, "RUN-1/C1");
  auto header = LoadRun(ledger_.state(), "RUN-1");
  ASSERT_TRUE(header.ok() && header->has_value());
  auto view = RunViewOf(ledger_.state(), **header);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->customers_done(), 1);
  EXPECT_FALSE(view->complete());
  v1::Command c2 = MarchRun();
  c2.mutable_invoicing()->set_customer_id("C2");
  ledger_.GivenWithKey(c2, kMar1, "RUN-1/C2");
  view = RunViewOf(ledger_.state(), **header, /*customers_page_max=*/1);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->customers_done(), 2);
  EXPECT_TRUE(view->complete());
  // A run over C2 only counts C2.
  v1::RunHeader only_c2 = **header;
  only_c2.set_customer_from("C2");
  only_c2.set_customer_to("C2");
  only_c2.set_customers_total(1);
  EXPECT_EQ(RunViewOf(ledger_.state(), only_c2)->customers_done(), 1);
}

TEST_F(InvoicingCommandsTest, RunsAreListedByIdInPages) {
  for (const char* id : {"RUN-B", "RUN-A", "RUN-C"}) {
    ledger_.Given(BeginRunCommand(id), kMar1);
  }
  auto first = ListRunPage(ledger_.state(), "", 2);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->runs.size(), 2u);
  EXPECT_EQ(first->runs[0].header().run_id(), "RUN-A");
  EXPECT_EQ(first->runs[1].header().run_id(), "RUN-B");
  EXPECT_TRUE(first->more);
  auto second = ListRunPage(ledger_.state(), "RUN-B", 2);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->runs.size(), 1u);
  EXPECT_EQ(second->runs[0].header().run_id(), "RUN-C");
  EXPECT_EQ(second->runs[0].customers_done(), 0);
  EXPECT_FALSE(second->more);
}

// "@runs" takes run headers only, and a header goes nowhere else; then
// the header's own fields, in order.
TEST_F(InvoicingCommandsTest, BeginRunAnswersInPrecedenceOrder) {
  ledger_.ExpectRejected(
      Parse(R"pb(invoicing { customer_id: "@runs" gather_preparations {} })pb"),
      kMar1, absl::StatusCode::kInvalidArgument,
      "customer_id: \"@runs\" holds run headers only; this command goes to "
      "the holder's customer code [CUSTOMER_ID_INVALID]");
  ledger_.ExpectRejected(BeginRunCommand("RUN-1", "C1"), kMar1,
                         absl::StatusCode::kInvalidArgument,
                         "customer_id: \"C1\": a run's header goes to the "
                         "partition \"@runs\" [CUSTOMER_ID_INVALID]");
  v1::Command c = BeginRunCommand("RUN 1", "C1");
  auto* run = c.mutable_invoicing()->mutable_begin_run()->mutable_run();
  run->mutable_params()->set_period_start("nope");
  run->set_customers_total(-1);
  ledger_.Given(BeginRunCommand("RUN-1"), kMar1);
  using Step = testing::PrecedenceStep;
  testing::ExpectPrecedence(
      ledger_, c, begin_run::kOrder, kMar1,
      std::vector<Step>{
          {"CUSTOMER_ID_INVALID",
           [](v1::Command& c) { c.mutable_invoicing()->set_customer_id("@runs"); }},
          {"RUN_ID_INVALID",
           [](v1::Command& c) {
             auto* r = c.mutable_invoicing()->mutable_begin_run()->mutable_run();
             r->set_run_id("RUN-1");
             r->mutable_params()->set_run_id("RUN-1");
           }},
          {"RUN_PARAMS_INVALID",
           [](v1::Command& c) {
             auto* r = c.mutable_invoicing()->mutable_begin_run()->mutable_run();
             r->mutable_params()->set_period_start("2026-03-01");
             r->set_customers_total(2);
           }},
          {"RUN_ALREADY_STARTED", [](v1::Command&) {}}},
      /*accepted_at_end=*/false);
}

TEST_F(InvoicingCommandsTest, EmptyCommandIsRefusedByName) {
  ledger_.ExpectRejected(Parse(R"pb(invoicing { customer_id: "C1" })pb"),
                         kMar1, absl::StatusCode::kInvalidArgument,
                         "[INVOICING_COMMAND_EMPTY]");
}

}  // namespace
}  // namespace billing
