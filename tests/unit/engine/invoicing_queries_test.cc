// The preparation views (engine/invoicing/queries.h): preparations and
// contracts stored as the engine stores them, then filtered and paged.

#include <string>
#include <vector>

#include "billing/v1/contracts.pb.h"
#include "engine/core/keys.h"
#include "engine/core/state.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/queries.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using ::testing::ElementsAre;

class QueriesTest : public ::testing::Test {
 protected:
  void Contract(const std::string& customer, const std::string& ref,
                const std::string& family, const std::string& billing_family,
                const std::string& site) {
    v1::Contract c;
    c.set_contract_ref(ref);
    c.set_holder_id(customer);
    c.set_contract_family(family);
    c.set_billing_family(billing_family);
    c.set_site_code(site);
    PutMessage(state_, ContractKey(customer, ref), c);
  }
  void Prep(const std::string& customer, const std::string& id,
            const std::string& contract_ref, v1::PreparationStatus status,
            const std::string& period_start = "2026-03-01") {
    v1::Preparation p;
    p.set_preparation_id(id);
    p.set_holder_id(customer);
    p.set_period_start(period_start);
    p.set_period_end(period_start.substr(0, 8) + "28");
    p.set_type(v1::PREPARATION_TYPE_INVOICE);
    p.set_status(status);
    p.add_lines()->set_contract_ref(contract_ref);
    p.add_trace("gathered");
    PutMessage(state_, PreparationKey(customer, id), p);
  }
  // "<holder>/<id>" of every preparation the filter lists, by pages of
  // `page_size`.
  std::vector<std::string> Listed(const PreparationFilter& filter,
                                  size_t page_size = 100) {
    std::vector<std::string> out;
    std::string after;
    for (;;) {
      auto page = ListPreparationPage(state_, filter, after, page_size);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      for (const auto& p : page->preparations) {
        out.push_back(p.holder_id() + "/" + p.preparation_id());
      }
      if (!page->more) return out;
      after = page->last_key;
    }
  }
  void SetUp() override {
    Contract("C120", "K1", "MAINT", "SERV", "PARIS");
    Contract("C121", "K2", "RENT", "LOC", "LYON");
    Contract("C200", "K3", "MAINT", "SERV", "LYON");
    Prep("C120", "P1", "K1", v1::PREPARATION_STATUS_GENERATED);
    Prep("C121", "P1", "K2", v1::PREPARATION_STATUS_ANOMALY);
    Prep("C200", "P1", "K3", v1::PREPARATION_STATUS_VALIDATED, "2026-02-01");
    Prep("C200", "P2", "K3", v1::PREPARATION_STATUS_GENERATED);
  }
  MemoryState state_;
};

// No filter: every preparation, by customer then id, over pages of one.
TEST_F(QueriesTest, NoFilterListsAllAcrossPages) {
  EXPECT_THAT(Listed({}, 1),
              ElementsAre("C120/P1", "C121/P1", "C200/P1", "C200/P2"));
}

// A masked customer range: C12* to C12* is every code starting with C12.
TEST_F(QueriesTest, CustomerMask) {
  PreparationFilter f;
  f.customers = {"C12*", "C12*"};
  EXPECT_THAT(Listed(f), ElementsAre("C120/P1", "C121/P1"));
}

// Contract filters read the lines' contracts: family, site mask, refs.
TEST_F(QueriesTest, ContractFamilySiteAndRefs) {
  PreparationFilter f;
  f.contract_families = {"MAINT", "MAINT"};
  EXPECT_THAT(Listed(f), ElementsAre("C120/P1", "C200/P1", "C200/P2"));
  f.site_code = "LY*";
  EXPECT_THAT(Listed(f), ElementsAre("C200/P1", "C200/P2"));
  PreparationFilter refs;
  refs.contract_refs = {"K2", ""};
  refs.billing_families = {"L*", "L*"};
  EXPECT_THAT(Listed(refs), ElementsAre("C121/P1"));
}

// Statuses and period: February overlaps only the validated one.
TEST_F(QueriesTest, StatusesAndPeriod) {
  PreparationFilter f;
  f.statuses = {v1::PREPARATION_STATUS_GENERATED,
                v1::PREPARATION_STATUS_ANOMALY};
  EXPECT_THAT(Listed(f), ElementsAre("C120/P1", "C121/P1", "C200/P2"));
  PreparationFilter feb;
  feb.period_from = BusinessDate(2026, 2, 1);
  feb.period_to = BusinessDate(2026, 2, 28);
  EXPECT_THAT(Listed(feb), ElementsAre("C200/P1"));
  feb.type = v1::PREPARATION_TYPE_PAYMENT_NOTICE;
  EXPECT_TRUE(Listed(feb).empty());
}

// List mode drops lines and trace; detail mode keeps them.
TEST_F(QueriesTest, ListAndDetailModes) {
  PreparationFilter f;
  auto list = ListPreparationPage(state_, f, "", 1);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->preparations[0].lines_size(), 0);
  EXPECT_EQ(list->preparations[0].trace_size(), 0);
  EXPECT_TRUE(list->more);
  EXPECT_EQ(list->last_key, "C120/P1");
  f.detail = true;
  auto detail = ListPreparationPage(state_, f, "", 1);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->preparations[0].lines_size(), 1);
}

// List mode clears lines, anomalies and trace, and counts them first: C121's
// anomaly preparation has 1 line, 2 anomalies and 1 trace entry.
TEST_F(QueriesTest, ListModeCountsWhatItClears) {
  v1::Preparation p;
  auto got = GetMessage<v1::Preparation>(state_, PreparationKey("C121", "P1"));
  ASSERT_TRUE(got.ok() && got->has_value());
  p = **got;
  p.add_anomalies()->set_reason("one");
  p.add_anomalies()->set_reason("two");
  PutMessage(state_, PreparationKey("C121", "P1"), p);
  PreparationFilter f;
  f.customers = {"C121", "C121"};
  auto page = ListPreparationPage(state_, f, "", 10);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->preparations.size(), 1u);
  EXPECT_EQ(page->preparations[0].anomalies_size(), 0);
  ASSERT_EQ(page->counts.size(), 1u);
  EXPECT_EQ(page->counts[0].holder_id(), "C121");
  EXPECT_EQ(page->counts[0].preparation_id(), "P1");
  EXPECT_EQ(page->counts[0].lines(), 1);
  EXPECT_EQ(page->counts[0].anomalies(), 2);
  EXPECT_EQ(page->counts[0].trace(), 1);
}

// A page key is "<customer code>/<preparation id>".
TEST_F(QueriesTest, PageKeyValidation) {
  EXPECT_TRUE(ValidatePreparationPageKey("page_token", "C1/P1").ok());
  EXPECT_FALSE(ValidatePreparationPageKey("page_token", "C1").ok());
  EXPECT_FALSE(ValidatePreparationPageKey("page_token", "C 1/P").ok());
  EXPECT_FALSE(ValidatePreparationPageKey("page_token", "C1/").ok());
}

}  // namespace
}  // namespace billing
