// The scale case on real parts: a customer with 10,000 objects, a
// reassignment of "all objects" is one journal record, one event, and one
// RocksDB WriteBatch when projected.

#include <filesystem>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "engine/engine.h"
#include "engine/structure/structure.h"
#include "gtest/gtest.h"
#include "storage/embedded_journal.h"
#include "storage/projection.h"

namespace billing {
namespace {

constexpr BusinessDate kJan10(2026, 1, 10);
constexpr BusinessDate kMar20(2026, 3, 20);
constexpr int kObjects = 10'000;

class ReassignProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrFormat("reassign_%d", getpid());
    std::filesystem::remove_all(root_);
    journal_ = *EmbeddedJournal::Open(
        {.dir = (root_ / "journal").string(), .partition_count = 1});
    state_ = *RocksState::Open({.path = (root_ / "state").string()});
  }
  void TearDown() override {
    state_.reset();
    journal_.reset();
    std::filesystem::remove_all(root_);
  }
  // Decides against the projected state, appends, projects: one command.
  void Run(const v1::Command& command, BusinessDate date) {
    auto events = Decide(*state_, command, date);
    ASSERT_TRUE(events.ok()) << events.status();
    const std::string key = absl::StrFormat("k%d", ++keys_);
    v1::LogRecord record = MakeCommandRecord(
        *CommandCustomerId(command), key, RequestFingerprint(command, ""),
        Epoch(0), date, std::move(*events));
    pending_.push_back({record.customer_id(), SerializeDeterministic(record)});
  }
  void Flush() {
    if (pending_.empty()) return;
    ASSERT_TRUE(journal_->Append(PartitionId(0), std::move(pending_)).ok());
    pending_.clear();
    ASSERT_TRUE(ProjectToEnd(*journal_, *state_, {PartitionId(0)}).ok());
  }
  v1::Command Structure() {
    v1::Command c;
    c.mutable_structure()->set_customer_id("C1");
    return c;
  }

  std::filesystem::path root_;
  std::unique_ptr<EmbeddedJournal> journal_;
  std::unique_ptr<RocksState> state_;
  std::vector<JournalEntry> pending_;
  int keys_ = 0;
};

TEST_F(ReassignProjectionTest, AllOfTenThousandObjectsIsOneWriteBatch) {
  v1::Command customer;
  customer.mutable_create_customer()->mutable_customer()->set_customer_id("C1");
  customer.mutable_create_customer()->mutable_customer()->set_name("Big");
  Run(customer, kJan10);
  Flush();
  for (const char* id : {"A", "B"}) {
    v1::Command e = Structure();
    auto* entity =
        e.mutable_structure()->mutable_create_entity()->mutable_entity();
    entity->set_entity_id(id);
    entity->set_name(id);
    Run(e, kJan10);
    Flush();
  }
  // Objects go in in chunks: each Decide sees the projected state.
  for (int i = 0; i < kObjects; ++i) {
    v1::Command o = Structure();
    auto* object =
        o.mutable_structure()->mutable_create_object()->mutable_object();
    object->set_object_id(absl::StrFormat("OBJ%05d", i));
    object->set_kind(v1::OBJECT_KIND_CALL_QUEUE);
    Run(o, kJan10);
    if (pending_.size() == 1000) Flush();
  }
  Flush();

  v1::Command all = Structure();
  auto* r = all.mutable_structure()->mutable_reassign_objects();
  r->mutable_selection()->set_all(true);
  r->set_entity_id("B");
  r->set_discount_percent("10");
  const absl::Time start = absl::Now();
  Run(all, kMar20);
  ASSERT_EQ(pending_.size(), 1u) << "one command, one journal record";
  v1::LogRecord record;
  ASSERT_TRUE(record.ParseFromString(pending_[0].value));
  ASSERT_EQ(record.events_size(), 1);
  EXPECT_EQ(record.events(0).structure().objects_reassigned().object_ids_size(),
            kObjects);
  const int64_t commits_before = state_->commit_count();
  Flush();
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(state_->commit_count() - commits_before, 1)
      << "projected in one WriteBatch";
  std::cout << "reassign all of " << kObjects
            << " objects: decide + append + project = " << took << std::endl;

  for (int i : {0, 4999, 9999}) {
    auto change = AssignmentForMonth(
        *state_, "C1", absl::StrFormat("OBJ%05d", i), BillingMonth(2026, 3));
    ASSERT_TRUE(change.ok()) << change.status();
    EXPECT_EQ(change->assignment().entity_id(), "B");
    EXPECT_EQ(change->assignment().discount_hundredths(), 1000);
  }
}

}  // namespace
}  // namespace billing
