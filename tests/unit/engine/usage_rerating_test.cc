// Re-rating after a rate-plan correction (engine/usage/rerating.cc): given
// rated records, when their plan version is corrected and the month is
// re-rated, then each changed record's new rating in one usage.rerated
// event, the totals moved, and nothing more the second time.
//
// C1 with entity A, account ACC1 and its number N1 (+33142680000); plan
// PRO from 2026-01-01: voice to +33 at 0.10 per minute, first minute then
// per second, no set-up fee, zone "France". Three March calls of 120 s:
// 120 x 0.10 / 60 = 0.200000 each, 0.600000 in the month.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/usage/usage.h"
#include "engine/usage/usage_internal.h"
#include "gtest/gtest.h"
#include "tests/unit/engine/ledger.h"
#include "tests/unit/engine/precedence.h"

namespace billing {
namespace {

using ::billing::testing::CreateCustomerCommand;
using ::billing::testing::Ledger;

constexpr BusinessDate kJan5(2026, 1, 5);
constexpr BusinessDate kApr2(2026, 4, 2);
constexpr BusinessDate kApr3(2026, 4, 3);
constexpr char kFrom[] = "2026-01-01T00:00:00+01:00";

v1::Command Usage() {
  v1::Command c;
  c.mutable_usage()->set_customer_id("C1");
  return c;
}

// PRO from `from`: voice to `prefix` at `price_micros` a minute, first
// minute then per second, zone `label`.
v1::Command Plan(int64_t price_micros, const std::string& from = kFrom,
                 const std::string& prefix = "+33",
                 const std::string& label = "France") {
  v1::Command c = Usage();
  auto* v = c.mutable_usage()->mutable_define_plan_version()->mutable_version();
  v->set_plan_id("PRO");
  v->set_effective_from(from);
  v->set_currency("EUR");
  auto* e = v->add_entries();
  e->set_kind(v1::USAGE_KIND_VOICE);
  e->set_destination_prefix(prefix);
  e->set_price_micros(price_micros);
  e->set_per_quantity(60);
  e->set_first_increment(60);
  e->set_increment(1);
  e->set_zone_label(label);
  return c;
}

v1::UsageRecord CallRecord(const std::string& id, int64_t seconds,
                           const std::string& start) {
  v1::UsageRecord r;
  r.set_platform_id("PBX1");
  r.set_record_id(id);
  r.set_object("+33142680000");
  r.set_start_time(start);
  r.set_kind(v1::USAGE_KIND_VOICE);
  r.set_quantity(seconds);
  r.set_destination("+33612345678");
  return r;
}

v1::Command Call(const std::string& id, int64_t seconds,
                 const std::string& start = "2026-03-20T10:00:00+01:00") {
  v1::Command c = Usage();
  *c.mutable_usage()->mutable_record_usage()->mutable_record() =
      CallRecord(id, seconds, start);
  return c;
}

v1::Command Rerate(const std::string& month = "2026-03",
                   const std::string& reason = "Tarif corrigé",
                   const std::string& object = "",
                   const std::string& after = "") {
  v1::Command c = Usage();
  auto* r = c.mutable_usage()->mutable_rerate_usage();
  r->set_month(month);
  r->set_object_id(object);
  r->set_reason(reason);
  r->set_after(after);
  return c;
}

class UsageReratingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Given(CreateCustomerCommand("C1"), kJan5);
    v1::Command entity;
    entity.mutable_structure()->set_customer_id("C1");
    auto* en = entity.mutable_structure()->mutable_create_entity()->mutable_entity();
    en->set_entity_id("A");
    en->set_name("Paris");
    Given(entity, kJan5);
    v1::Command account;
    account.mutable_structure()->set_customer_id("C1");
    auto* a = account.mutable_structure()->mutable_create_object()->mutable_object();
    a->set_object_id("ACC1");
    a->set_kind(v1::OBJECT_KIND_ACCOUNT);
    Given(account, kJan5);
    v1::Command number;
    number.mutable_structure()->set_customer_id("C1");
    auto* n = number.mutable_structure()->mutable_create_object()->mutable_object();
    n->set_object_id("N1");
    n->set_kind(v1::OBJECT_KIND_PHONE_NUMBER);
    n->set_parent_id("ACC1");
    n->set_e164("+33142680000");
    Given(number, kJan5);
    Given(Plan(100000), kJan5);
    v1::Command assign = Usage();
    assign.mutable_usage()->mutable_assign_plan()->set_object_id("ACC1");
    assign.mutable_usage()->mutable_assign_plan()->set_plan_id("PRO");
    Given(assign, kJan5);
  }

  // Decides and applies, keeping the record for Replayed(); the events.
  std::vector<v1::EventEnvelope> Given(const v1::Command& c, BusinessDate d) {
    auto events = ledger_.When(c, d);
    EXPECT_TRUE(events.ok()) << events.status() << "\n" << c.DebugString();
    if (!events.ok()) return {};
    log_.push_back({c, d, *events});
    ledger_.Apply(c, d, *events);
    return *events;
  }

  void ThreeCalls() {
    Given(Call("c1", 120, "2026-03-10T10:00:00+01:00"), kApr2);
    Given(Call("c2", 120, "2026-03-11T10:00:00+01:00"), kApr2);
    Given(Call("c3", 120, "2026-03-12T10:00:00+01:00"), kApr2);
  }

  v1::UsageTotals March() {
    auto t = UsageTotalsFor(ledger_.state(), "C1", "2026-03", "");
    EXPECT_TRUE(t.ok()) << t.status();
    if (!t.ok() || t->size() != 1) {
      ADD_FAILURE() << "expected one total";
      return {};
    }
    return (*t)[0];
  }

  std::vector<v1::UsageRecorded> Records() {
    auto r = RatedRecordsFor(ledger_.state(), "C1", "2026-03", "", 10000);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<v1::UsageRecorded>();
  }

  // The usage keys of the state (urec/, utot/, uplan/).
  std::map<std::string, std::string> UsageKeys(const MemoryState& state) {
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : state.data()) {
      if (k.starts_with("urec/") || k.starts_with("utot/") ||
          k.starts_with("uplan/")) {
        out[k] = v;
      }
    }
    return out;
  }

  // A state built by applying the log's events again, deciding nothing.
  Ledger Replayed() {
    Ledger again;
    for (const auto& [c, d, events] : log_) again.Apply(c, d, events);
    return again;
  }

  struct Logged {
    v1::Command command;
    BusinessDate date;
    std::vector<v1::EventEnvelope> events;
  };
  Ledger ledger_;
  std::vector<Logged> log_;
};

// Correcting a version: the same plan and effective_from defined again
// replaces its entries (the first definition stays in the log); a record
// rated after it gets the corrected price, 120 s at 0.08 = 0.160000.
TEST_F(UsageReratingTest, CorrectingAVersionReplacesItsEntries) {
  Given(Call("c1", 120), kApr2);
  Given(Plan(80000), kApr2);
  auto versions = usage_internal::PlanVersions(ledger_.state(), "C1", "PRO");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].entries(0).price_micros(), 80000);
  // The record rated before keeps its rating until re-rated.
  EXPECT_EQ(Records()[0].rated().amount_micros(), 200000);
  auto events = Given(Call("c2", 120), kApr2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].usage().recorded().rated().amount_micros(), 160000);
}

// The issue's case: 3 x 120 s at 0.10 = 0.600000; the version corrected to
// 0.08 a minute; re-rating March gives one usage.rerated event with each
// record's new rating, 120 x 0.08 / 60 = 0.160000 (old 0.200000), the
// totals 3 x 0.16 = 0.480000 (re-rated by -0.120000), records and seconds
// unchanged; the answer counts 3 examined, 3 changed, -0.120000.
TEST_F(UsageReratingTest, RerateAfterCorrectionRatesEachRecordAgain) {
  ThreeCalls();
  EXPECT_EQ(March().amount_micros(), 600000);
  Given(Plan(80000), kApr3);
  auto events = Given(Rerate(), kApr3);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type(), "usage.rerated");
  const v1::UsageRerated& e = events[0].usage().rerated();
  EXPECT_EQ(e.month(), "2026-03");
  EXPECT_EQ(e.reason(), "Tarif corrigé");
  EXPECT_EQ(e.examined(), 3);
  EXPECT_EQ(e.next(), "");
  EXPECT_EQ(e.kept_size(), 0);
  ASSERT_EQ(e.rerated_size(), 3);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(e.rerated(i).object_id(), "N1");
    EXPECT_EQ(e.rerated(i).record_id(), absl::StrCat("c", i + 1));
    EXPECT_EQ(e.rerated(i).old_amount_micros(), 200000);
    EXPECT_EQ(e.rerated(i).rated().amount_micros(), 160000);
    EXPECT_EQ(e.rerated(i).rated().billed_quantity(), 120);
    EXPECT_EQ(e.rerated(i).rated().segments(0).price_micros(), 80000);
  }
  for (const auto& r : Records()) EXPECT_EQ(r.rated().amount_micros(), 160000);
  const v1::UsageTotals t = March();
  EXPECT_EQ(t.records(), 3);
  EXPECT_EQ(t.quantity(), 360);
  EXPECT_EQ(t.billed_quantity(), 360);
  EXPECT_EQ(t.amount_micros(), 480000);
  EXPECT_EQ(t.rerated_amount_micros(), -120000);
  EXPECT_EQ(t.zone(), "France");

  v1::LogRecord record;
  *record.add_events() = events[0];
  auto answer = UsageAnswerFor(ledger_.state(), record);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->rerate_examined(), 3);
  EXPECT_EQ(answer->rerate_changed(), 3);
  EXPECT_EQ(answer->rerate_delta_micros(), -120000);
  EXPECT_EQ(answer->rerate_next(), "");
}

// Re-rating twice changes nothing the second time: the event examines the
// 3 records and re-rates none; the records and totals stay as they are.
TEST_F(UsageReratingTest, RerateTwiceChangesNothingTheSecondTime) {
  ThreeCalls();
  Given(Plan(80000), kApr3);
  Given(Rerate(), kApr3);
  const auto before = UsageKeys(ledger_.state());
  auto events = Given(Rerate(), kApr3);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].usage().rerated().examined(), 3);
  EXPECT_EQ(events[0].usage().rerated().rerated_size(), 0);
  EXPECT_EQ(events[0].usage().rerated().kept_size(), 0);
  EXPECT_EQ(UsageKeys(ledger_.state()), before);
  EXPECT_EQ(March().amount_micros(), 480000);
}

// Replay never re-rates: the state rebuilt by applying the log's events,
// deciding nothing, is byte-identical (the records, the totals, and every
// other key), although the plan changed between the ratings.
TEST_F(UsageReratingTest, ReplayOfTheLogGivesTheSameState) {
  ThreeCalls();
  Given(Plan(80000), kApr3);
  Given(Rerate(), kApr3);
  Given(Plan(90000), kApr3);  // corrected again, not re-rated
  Given(Call("c4", 60, "2026-03-13T10:00:00+01:00"), kApr3);
  EXPECT_EQ(March().amount_micros(), 480000 + 90000);
  const Ledger again = Replayed();
  EXPECT_EQ(again.state().data(), ledger_.state().data());
}

// A version added within the month re-rates only the records it now
// holds: from 2026-03-11 at 0.05 a minute, c2 and c3 are 0.100000, c1
// keeps 0.200000; the totals 0.400000.
TEST_F(UsageReratingTest, AVersionAddedWithinTheMonthRatesTheRecordsAfterIt) {
  ThreeCalls();
  Given(Plan(50000, "2026-03-11T00:00:00+01:00"), kApr3);
  auto events = Given(Rerate(), kApr3);
  ASSERT_EQ(events.size(), 1u);
  const v1::UsageRerated& e = events[0].usage().rerated();
  ASSERT_EQ(e.rerated_size(), 2);
  EXPECT_EQ(e.rerated(0).record_id(), "c2");
  EXPECT_EQ(e.rerated(0).rated().amount_micros(), 100000);
  EXPECT_EQ(e.rerated(0).rated().plan_effective_from(),
            "2026-03-11T00:00:00+01:00");
  EXPECT_EQ(March().amount_micros(), 400000);
}

// A record the corrected version cannot rate (its +33 entry replaced by
// +44) keeps its rating, listed with the reason; never dropped: the totals
// stay 0.600000.
TEST_F(UsageReratingTest, ARecordThatCannotBeRatedNowKeepsItsRating) {
  Given(Call("c1", 120), kApr2);
  Given(Plan(80000, kFrom, "+44", "UK"), kApr3);
  auto events = Given(Rerate(), kApr3);
  ASSERT_EQ(events.size(), 1u);
  const v1::UsageRerated& e = events[0].usage().rerated();
  EXPECT_EQ(e.rerated_size(), 0);
  ASSERT_EQ(e.kept_size(), 1);
  EXPECT_EQ(e.kept(0).record_id(), "c1");
  EXPECT_TRUE(e.kept(0).reason().starts_with("keeps its rating: "))
      << e.kept(0).reason();
  EXPECT_NE(e.kept(0).reason().find("+33612345678"), std::string::npos)
      << e.kept(0).reason();
  EXPECT_EQ(Records()[0].rated().amount_micros(), 200000);
  EXPECT_EQ(March().amount_micros(), 200000);
}

// A correction that would move a record to another zone (label "France"
// to "France fixe") keeps its rating: a re-rating corrects prices.
TEST_F(UsageReratingTest, AZoneChangeKeepsTheRating) {
  Given(Call("c1", 120), kApr2);
  Given(Plan(80000, kFrom, "+33", "France fixe"), kApr3);
  auto events = Given(Rerate(), kApr3);
  ASSERT_EQ(events.size(), 1u);
  const v1::UsageRerated& e = events[0].usage().rerated();
  ASSERT_EQ(e.kept_size(), 1);
  EXPECT_EQ(e.kept(0).reason(),
            "keeps its rating: its zone would change from \"France\" to "
            "\"France fixe\": a re-rating corrects prices, not zones");
  EXPECT_EQ(March().amount_micros(), 200000);
}

// One command examines at most kRerateRecordsMax (1,000) records: 1,001
// calls re-rate in two commands, the first answering the cursor of its
// last record, the second the one left and no cursor.
TEST_F(UsageReratingTest, AMonthOfMoreThanKRerateRecordsMaxTakesTwoCommands) {
  v1::Command batch = Usage();
  for (int i = 0; i < kRerateRecordsMax + 1; ++i) {
    *batch.mutable_usage()->mutable_record_usage_batch()->add_records() =
        CallRecord(absl::StrFormat("c%05d", i), 120, "2026-03-10T10:00:00+01:00");
  }
  Given(batch, kApr2);
  EXPECT_EQ(March().amount_micros(), 1001 * 200000);
  Given(Plan(80000), kApr3);
  auto first = Given(Rerate(), kApr3);
  ASSERT_EQ(first.size(), 1u);
  const v1::UsageRerated& e1 = first[0].usage().rerated();
  EXPECT_EQ(e1.examined(), kRerateRecordsMax);
  EXPECT_EQ(e1.rerated_size(), kRerateRecordsMax);
  EXPECT_EQ(e1.next(), "N1/PBX1/c00999");
  EXPECT_LT(first[0].ByteSizeLong(), 512u * 1024);
  auto second = Given(Rerate("2026-03", "Tarif corrigé", "", e1.next()), kApr3);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].usage().rerated().examined(), 1);
  EXPECT_EQ(second[0].usage().rerated().rerated(0).record_id(), "c01000");
  EXPECT_EQ(second[0].usage().rerated().next(), "");
  EXPECT_EQ(March().amount_micros(), 1001 * 160000);
}

// Refusals name the field and the reason; nothing changes.
TEST_F(UsageReratingTest, RefusalsNameTheFieldAndReason) {
  ThreeCalls();
  ledger_.ExpectRejected(Rerate("2026-13"), kApr3,
                         absl::StatusCode::kInvalidArgument,
                         "rerate_usage.month");
  ledger_.ExpectRejected(Rerate("2026-13"), kApr3,
                         absl::StatusCode::kInvalidArgument,
                         "[RERATE_MONTH_INVALID]");
  ledger_.ExpectRejected(Rerate("2026-03", "R", "NOPE"), kApr3,
                         absl::StatusCode::kNotFound,
                         "rerate_usage.object_id: \"NOPE\" is not an object "
                         "of customer \"C1\" [OBJECT_NOT_FOUND]");
  ledger_.ExpectRejected(Rerate("2026-03", ""), kApr3,
                         absl::StatusCode::kInvalidArgument,
                         "rerate_usage.reason");
  ledger_.ExpectRejected(Rerate("2026-03", std::string(501, 'x')), kApr3,
                         absl::StatusCode::kInvalidArgument,
                         "[RERATE_REASON_INVALID]");
  ledger_.ExpectRejected(Rerate("2026-03", "R", "N1", "ACC1/PBX1/c1"), kApr3,
                         absl::StatusCode::kInvalidArgument,
                         "rerate_usage.after: \"ACC1/PBX1/c1\" is not a "
                         "cursor of object \"N1\"");
  ledger_.ExpectRejected(Rerate("2026-04"), kApr3,
                         absl::StatusCode::kFailedPrecondition,
                         "rerate_usage: customer \"C1\" has no rated record "
                         "in 2026-04 [NOTHING_TO_RERATE]");
  ledger_.ExpectRejected(Rerate("2026-03", "R", "ACC1"), kApr3,
                         absl::StatusCode::kFailedPrecondition,
                         "[NOTHING_TO_RERATE]");
}

void SetCustomer(v1::Command& c, const char* id) {
  c.mutable_usage()->set_customer_id(id);
}

// Each rule in rerate_usage::kOrder, broken together, answered in order.
TEST_F(UsageReratingTest, RejectionPrecedence) {
  ThreeCalls();
  v1::Command broken = Rerate("2026-13", "", "bad id!", std::string(300, 'x'));
  SetCustomer(broken, "bad id!");
  testing::ExpectPrecedence(
      ledger_, broken, rerate_usage::kOrder, kApr3,
      testing::Then(
          testing::CustomerSteps(SetCustomer),
          {{"RERATE_MONTH_INVALID",
            [](v1::Command& c) {
              c.mutable_usage()->mutable_rerate_usage()->set_month("2026-04");
            }},
           {"OBJECT_ID_INVALID",
            [](v1::Command& c) {
              c.mutable_usage()->mutable_rerate_usage()->set_object_id("NOPE");
            }},
           {"OBJECT_NOT_FOUND",
            [](v1::Command& c) {
              c.mutable_usage()->mutable_rerate_usage()->set_object_id("N1");
            }},
           {"RERATE_REASON_INVALID",
            [](v1::Command& c) {
              c.mutable_usage()->mutable_rerate_usage()->set_reason("R");
            }},
           {"RERATE_AFTER_INVALID",
            [](v1::Command& c) {
              c.mutable_usage()->mutable_rerate_usage()->set_after("");
            }},
           {"NOTHING_TO_RERATE", [](v1::Command& c) {
              c.mutable_usage()->mutable_rerate_usage()->set_month("2026-03");
            }}}));
}

}  // namespace
}  // namespace billing
