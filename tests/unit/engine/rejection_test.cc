#include "engine/core/rejection.h"

#include "gtest/gtest.h"

namespace billing {
namespace {

constexpr Rejection kArticleNotFound{"ARTICLE_NOT_FOUND",
                                     absl::StatusCode::kNotFound};
constexpr Rejection kRuleIdInvalid{"RULE_ID_INVALID",
                                   absl::StatusCode::kInvalidArgument};

TEST(RejectionTest, MessageCarriesTheDetailThenTheName) {
  absl::Status s =
      Reject(kArticleNotFound, "rule.article_code: no article \"ABO\"");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "rule.article_code: no article \"ABO\" [ARTICLE_NOT_FOUND]");
  EXPECT_EQ(RejectionName(s.message()), "ARTICLE_NOT_FOUND");
  EXPECT_EQ(RejectionDetail(s.message()),
            "rule.article_code: no article \"ABO\"");
}

TEST(RejectionTest, NamedKeepsTheValidatorsDetailAndTakesTheCode) {
  absl::Status s = Named(
      kRuleIdInvalid, absl::FailedPreconditionError("rule.rule_id: is empty"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "rule.rule_id: is empty [RULE_ID_INVALID]");
  EXPECT_TRUE(Named(kRuleIdInvalid, absl::OkStatus()).ok());
}

TEST(RejectionTest, NamedIfNamesOnlyThatRefusalAndLetsStorageErrorsPass) {
  constexpr Rejection kNotFound{"CUSTOMER_NOT_FOUND",
                                absl::StatusCode::kNotFound};
  EXPECT_EQ(
      NamedIf(kNotFound, absl::NotFoundError("no customer \"C1\"")).message(),
      "no customer \"C1\" [CUSTOMER_NOT_FOUND]");
  absl::Status storage = NamedIf(kNotFound, absl::UnavailableError("disk"));
  EXPECT_EQ(storage.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(storage.message(), "disk");
  absl::StatusOr<int> value = NamedIf(kNotFound, absl::StatusOr<int>(7));
  EXPECT_EQ(*value, 7);
}

TEST(RejectionTest, AMessageWithoutANameIsItsOwnDetail) {
  EXPECT_EQ(RejectionName("x: is [not a name]"), "");
  EXPECT_EQ(RejectionDetail("x: is [not a name]"), "x: is [not a name]");
  EXPECT_EQ(RejectionName(""), "");
  EXPECT_EQ(RejectionName("[]"), "");
}

// A refusal is told from a failure of the state by its name, not its code:
// a storage NotFound or FailedPrecondition is no refusal.
TEST(RejectionTest, ARejectionIsNamedWhateverItsCode) {
  EXPECT_TRUE(IsRejection(Reject(kArticleNotFound, "no article")));
  EXPECT_TRUE(IsRejection(
      Named(kRuleIdInvalid, absl::InvalidArgumentError("rule.rule_id: x"))));
  EXPECT_FALSE(IsRejection(absl::NotFoundError("sst file missing")));
  EXPECT_FALSE(IsRejection(absl::FailedPreconditionError("column family")));
  EXPECT_FALSE(IsRejection(absl::DataLossError("bad record")));
  EXPECT_FALSE(IsRejection(absl::OkStatus()));
}

TEST(RejectionTest, RankIsThePositionInTheOrder) {
  constexpr Rejection kOrder[] = {kRuleIdInvalid, kArticleNotFound};
  EXPECT_EQ(RejectionRank(kOrder, "RULE_ID_INVALID"), 0);
  EXPECT_EQ(RejectionRank(kOrder, "ARTICLE_NOT_FOUND"), 1);
  EXPECT_EQ(RejectionRank(kOrder, "OTHER"), -1);
}

}  // namespace
}  // namespace billing
