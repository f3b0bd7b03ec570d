// Rating of call detail records with numbers a person can check by hand.

#include "engine/usage/rating.h"

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/rejection.h"
#include "engine/core/validation.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

// The detail of a plan version's refusal, checking that it carries the name
// of one of plan_version_rejections.
std::string PlanRefusal(const v1::RatePlanVersion& plan) {
  absl::Status s = ValidateRatePlanVersion(plan);
  EXPECT_GE(RejectionRank(plan_version_rejections::kOrder,
                          RejectionName(s.message())),
            0)
      << s;
  return std::string(RejectionDetail(s.message()));
}

v1::RateEntry Entry(v1::UsageKind kind, const std::string& prefix,
                    int64_t price_micros, int64_t per, int64_t setup,
                    int64_t first, int64_t increment,
                    const std::string& band = "") {
  v1::RateEntry e;
  e.set_kind(kind);
  e.set_destination_prefix(prefix);
  e.set_price_micros(price_micros);
  e.set_per_quantity(per);
  e.set_setup_fee_micros(setup);
  e.set_first_increment(first);
  e.set_increment(increment);
  e.set_band(band);
  e.set_zone_label(prefix.empty() ? "anywhere" : "to " + prefix);
  return e;
}

v1::RatePlanVersion Plan(
    std::vector<v1::RateEntry> entries,
    const std::string& from = "2026-01-01T00:00:00+01:00") {
  v1::RatePlanVersion v;
  v.set_plan_id("PRO");
  v.set_effective_from(from);
  v.set_currency("EUR");
  for (auto& e : entries) *v.add_entries() = std::move(e);
  return v;
}

v1::UsageRecord Call(int64_t seconds, const std::string& destination,
                     const std::string& start = "2026-03-20T10:00:00+01:00") {
  v1::UsageRecord r;
  r.set_platform_id("PBX1");
  r.set_record_id("R1");
  r.set_object("+33142680000");
  r.set_start_time(start);
  r.set_kind(v1::USAGE_KIND_VOICE);
  r.set_quantity(seconds);
  r.set_destination(destination);
  return r;
}

// 0.020000 EUR per minute, first minute then per second, set-up 0.05.
v1::RatePlanVersion PerSecondAfterFirstMinute() {
  return Plan({Entry(v1::USAGE_KIND_VOICE, "+33", 20000, 60, 50000, 60, 1)});
}

int64_t AmountOf(const v1::RatePlanVersion& plan, const v1::UsageRecord& r) {
  auto rated = RateRecord(plan, absl::UTCTimeZone(), r);
  EXPECT_TRUE(rated.ok()) << rated.status();
  return rated.ok() ? rated->amount_micros() : -1;
}

// The issue's example: a 61 s call is 0.05 + 0.020000 + 0.000333 = 0.070333.
// ParseUsageTime reads canonical times itself and leaves the rest to
// absl. Where the fast path reads a time, absl reads the same instant; where
// it declines, absl decides (refusing or reading the lenient forms it
// accepts). Checked over every month's edges, offsets, fractions, and
// one-character mutations of each.
TEST(RatingTest, CanonicalTimesParseAsAbslParsesThem) {
  std::vector<std::string> texts;
  for (const char* date :
       {"2026-01-31", "2026-02-28", "2026-02-29", "2024-02-29", "2026-02-30",
        "2026-04-31", "2026-12-31", "0000-01-01", "9999-12-31", "2026-13-01",
        "2026-00-10", "2026-03-00"}) {
    for (const char* clock : {"00:00:00", "23:59:59", "14:03:05", "24:00:00",
                              "12:60:00", "12:00:60", "12:00:61"}) {
      for (const char* frac : {"", ".5", ".123456789", ".1234567891", "."}) {
        for (const char* zone : {"Z", "+01:00", "-05:30", "+23:59", "+24:00",
                                 "-00:00", "+0100", "z", "+01:60", ""}) {
          texts.push_back(absl::StrCat(date, "T", clock, frac, zone));
        }
      }
    }
  }
  const size_t generated = texts.size();
  for (size_t i = 0; i < generated; i += 7) {
    for (size_t at = 0; at < texts[i].size(); ++at) {
      for (char c : {'0', '9', 'T', 't', ' ', '-', ':', '+', 'Z', 'x'}) {
        std::string mutated = texts[i];
        mutated[at] = c;
        texts.push_back(mutated);
      }
    }
  }
  int fast = 0;
  for (const std::string& text : texts) {
    std::optional<absl::Time> mine = ParseCanonicalUsageTime(text);
    if (!mine.has_value()) continue;
    ++fast;
    absl::Time theirs;
    std::string error;
    ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &theirs, &error))
        << text << ": the fast path reads what absl refuses (" << error << ")";
    EXPECT_EQ(*mine, theirs) << text;
  }
  EXPECT_GT(fast, 1000) << "the fast path read too few of " << texts.size();
  EXPECT_EQ(*ParseCanonicalUsageTime("2026-03-20T14:03:05.25+01:00"),
            absl::FromUnixSeconds(1774011785) + absl::Milliseconds(250));
}

TEST(RatingTest, SixtyOneSecondsPerSecondAfterTheFirstMinute) {
  auto rated = RateRecord(PerSecondAfterFirstMinute(), absl::UTCTimeZone(),
                          Call(61, "+33612345678"));
  ASSERT_TRUE(rated.ok()) << rated.status();
  EXPECT_EQ(rated->billed_quantity(), 61);
  EXPECT_EQ(rated->setup_fee_micros(), 50000);
  ASSERT_EQ(rated->segments_size(), 1);
  EXPECT_EQ(rated->segments(0).amount_micros(), 20333);  // 0.02 x 61 / 60
  EXPECT_EQ(rated->amount_micros(), 70333);
  EXPECT_EQ(rated->matched_prefix(), "+33");
}

// A 20 s call is billed the whole first minute: 0.05 + 0.02.
TEST(RatingTest, MinimumFirstCharge) {
  auto rated = RateRecord(PerSecondAfterFirstMinute(), absl::UTCTimeZone(),
                          Call(20, "+33612345678"));
  ASSERT_TRUE(rated.ok());
  EXPECT_EQ(rated->billed_quantity(), 60);
  EXPECT_EQ(rated->amount_micros(), 70000);
}

// Per 30/30: 61 s is billed 90 s: 0.02 x 90 / 60 = 0.03, no set-up fee.
TEST(RatingTest, ThirtyThirtyIncrements) {
  auto plan = Plan({Entry(v1::USAGE_KIND_VOICE, "+33", 20000, 60, 0, 30, 30)});
  EXPECT_EQ(AmountOf(plan, Call(61, "+33612345678")), 30000);
  EXPECT_EQ(AmountOf(plan, Call(30, "+33612345678")), 10000);
  EXPECT_EQ(AmountOf(plan, Call(31, "+33612345678")), 20000);
}

// An unanswered call (0 s) costs nothing, not even the set-up fee.
TEST(RatingTest, ZeroQuantityCostsNothing) {
  auto rated = RateRecord(PerSecondAfterFirstMinute(), absl::UTCTimeZone(),
                          Call(0, "+33612345678"));
  ASSERT_TRUE(rated.ok());
  EXPECT_EQ(rated->billed_quantity(), 0);
  EXPECT_EQ(rated->amount_micros(), 0);
}

// The longest matching prefix wins: +336 (mobiles) over +33.
TEST(RatingTest, LongestPrefixWins) {
  auto plan = Plan({Entry(v1::USAGE_KIND_VOICE, "+33", 20000, 60, 0, 1, 1),
                    Entry(v1::USAGE_KIND_VOICE, "+336", 100000, 60, 0, 1, 1),
                    Entry(v1::USAGE_KIND_VOICE, "", 500000, 60, 0, 1, 1)});
  EXPECT_EQ(AmountOf(plan, Call(60, "+33612345678")), 100000);
  EXPECT_EQ(AmountOf(plan, Call(60, "+33142680000")), 20000);
  EXPECT_EQ(AmountOf(plan, Call(60, "+4420797")), 500000);
}

// No entry for the destination: the record cannot be rated (quarantined).
TEST(RatingTest, NoMatchingEntryIsFailedPrecondition) {
  auto rated = RateRecord(PerSecondAfterFirstMinute(), absl::UTCTimeZone(),
                          Call(60, "+4420797"));
  EXPECT_EQ(rated.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(rated.status().message().find("no rate for USAGE_KIND_VOICE to "
                                          "+4420797"),
            std::string::npos);
}

// The version in force at the record's start time prices it, whatever the
// order the versions were given in.
TEST(RatingTest, VersionInForceAtTheStartTime) {
  std::vector<v1::RatePlanVersion> versions = {
      Plan({}, "2026-03-01T00:00:00+01:00"),
      Plan({}, "2026-01-01T00:00:00+01:00")};
  auto at = [&](const std::string& t) {
    auto v = VersionAt(versions, *ParseUsageTime(t, "t"));
    return v.ok() ? (*v)->effective_from() : std::string(v.status().message());
  };
  EXPECT_EQ(at("2026-02-28T23:59:59+01:00"), "2026-01-01T00:00:00+01:00");
  EXPECT_EQ(at("2026-02-28T23:00:00Z"), "2026-03-01T00:00:00+01:00");
  EXPECT_EQ(at("2026-03-01T00:00:00+01:00"), "2026-03-01T00:00:00+01:00");
  EXPECT_NE(at("2025-12-31T22:00:00Z").find("no rate plan version"),
            std::string::npos);
}

// A call crossing from peak to off-peak is rated per segment, the set-up
// fee once: Monday 2026-03-16 18:59:30 Paris, 90 s; peak 0.03/min until
// 19:00, then 0.01/min: 30 s x 0.03/60 = 0.015 + 60 s x 0.01/60 = 0.01, plus
// 0.05 = 0.075.
TEST(RatingTest, CallCrossingABandIsRatedPerSegment) {
  v1::RatePlanVersion plan = Plan(
      {Entry(v1::USAGE_KIND_VOICE, "+33", 10000, 60, 50000, 60, 1),
       Entry(v1::USAGE_KIND_VOICE, "+33", 30000, 60, 50000, 60, 1, "peak")});
  plan.set_time_zone("Europe/Paris");
  v1::TimeBand* peak = plan.add_bands();
  peak->set_name("peak");
  for (int d = 1; d <= 5; ++d) peak->add_weekdays(d);
  peak->set_start_minute(8 * 60);
  peak->set_end_minute(19 * 60);
  ASSERT_TRUE(ValidateRatePlanVersion(plan).ok());
  // Paris is UTC+1 in March before the last Sunday: a fixed zone stands in.
  const absl::TimeZone paris = absl::FixedTimeZone(3600);
  auto rated = RateRecord(
      plan, paris, Call(90, "+33142680000", "2026-03-16T18:59:30+01:00"));
  ASSERT_TRUE(rated.ok()) << rated.status();
  ASSERT_EQ(rated->segments_size(), 2);
  EXPECT_EQ(rated->segments(0).band(), "peak");
  EXPECT_EQ(rated->segments(0).billed_quantity(), 30);
  EXPECT_EQ(rated->segments(0).amount_micros(), 15000);
  EXPECT_EQ(rated->segments(1).band(), "");
  EXPECT_EQ(rated->segments(1).billed_quantity(), 60);
  EXPECT_EQ(rated->segments(1).amount_micros(), 10000);
  EXPECT_EQ(rated->amount_micros(), 75000);
  // The same call on Saturday is off-peak throughout: 0.015 + 0.05.
  auto saturday = RateRecord(
      plan, paris, Call(90, "+33142680000", "2026-03-21T18:59:30+01:00"));
  ASSERT_TRUE(saturday.ok());
  EXPECT_EQ(saturday->segments_size(), 1);
  EXPECT_EQ(saturday->amount_micros(), 65000);
}

// Data per MiB in 1 KiB steps: 1,500,000 bytes -> 1,500,160 billed;
// 0.10 x 1,500,160 / 1,048,576 = 0.1430664 -> 0.143066.
TEST(RatingTest, DataPerMegabyteInKilobyteSteps) {
  auto plan =
      Plan({Entry(v1::USAGE_KIND_DATA, "zone:", 100000, 1048576, 0, 0, 1024)});
  v1::UsageRecord r = Call(0, "zone:FR");
  r.set_kind(v1::USAGE_KIND_DATA);
  r.set_quantity(1'500'000);
  auto rated = RateRecord(plan, absl::UTCTimeZone(), r);
  ASSERT_TRUE(rated.ok()) << rated.status();
  EXPECT_EQ(rated->billed_quantity(), 1'500'160);
  EXPECT_EQ(rated->amount_micros(), 143066);
}

// Each bad field of a record is named, in declaration order.
TEST(RatingTest, BadRecordsNameTheField) {
  auto expect = [](v1::UsageRecord r, const std::string& message) {
    absl::Status s = ValidateUsageRecord(r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), message);
  };
  v1::UsageRecord ok = Call(61, "+33612345678");
  EXPECT_TRUE(ValidateUsageRecord(ok).ok());
  v1::UsageRecord r = ok;
  r.clear_record_id();
  expect(r, "record.record_id: is required");
  r = ok;
  r.set_quantity(-5);
  expect(r, "record.quantity: -5 is negative");
  r = ok;
  r.set_start_time("20/03/2026 10:00");
  expect(r,
         "record.start_time: \"20/03/2026 10:00\" is not an RFC 3339 time "
         "with offset (2026-03-20T14:03:05+01:00)");
  r = ok;
  r.set_kind(v1::USAGE_KIND_UNSPECIFIED);
  expect(r, "record.kind: is not a usage kind (voice, sms, mms, data, fax)");
  r = ok;
  r.set_destination("0612345678");
  expect(r,
         "record.destination: \"0612345678\" is not an E.164 number or a "
         "zone \"zone:<code>\"");
  r = ok;
  r.set_unit(v1::USAGE_UNIT_BYTES);
  expect(r,
         "record.unit: USAGE_UNIT_BYTES does not fit a USAGE_KIND_VOICE "
         "record");
}

// A plan's own mistakes are named too.
TEST(RatingTest, BadPlansNameTheField) {
  auto plan = PerSecondAfterFirstMinute();
  plan.mutable_entries(0)->set_increment(0);
  EXPECT_EQ(PlanRefusal(plan),
            "version.entries[0].increment: 0 must be at least 1");
  plan = PerSecondAfterFirstMinute();
  plan.mutable_entries(0)->set_band("night");
  EXPECT_EQ(PlanRefusal(plan),
            "version.entries[0].band: \"night\" is not a band of the plan");
}

// --- Rounding: every rounding step has a case whose exact value has a
// fraction of one half or more, so truncation or half-down fails a test. ---

// 62 s at 0.020000 per minute, first minute then per second, no set-up:
// 20000 x 62 / 60 = 20666.67 micros -> 20667 (truncation: 20666).
TEST(RatingTest, SixtyTwoSecondsRoundHalfUpToTheMicro) {
  auto plan = Plan({Entry(v1::USAGE_KIND_VOICE, "+33", 20000, 60, 0, 60, 1)});
  auto rated = RateRecord(plan, absl::UTCTimeZone(), Call(62, "+33612345678"));
  ASSERT_TRUE(rated.ok()) << rated.status();
  ASSERT_EQ(rated->segments_size(), 1);
  EXPECT_EQ(rated->segments(0).amount_micros(), 20667);
  EXPECT_EQ(rated->amount_micros(), 20667);
}

// An exact half goes up: 1 SMS at 0.010001 per 2 messages is 5000.5 micros
// -> 5001 (truncation and half-down: 5000); 3 SMS: 15001.5 -> 15002.
TEST(RatingTest, AnExactHalfRoundsUp) {
  auto plan = Plan({Entry(v1::USAGE_KIND_SMS, "+33", 10001, 2, 0, 0, 1)});
  v1::UsageRecord sms = Call(1, "+33612345678");
  sms.set_kind(v1::USAGE_KIND_SMS);
  EXPECT_EQ(AmountOf(plan, sms), 5001);
  sms.set_quantity(3);
  EXPECT_EQ(AmountOf(plan, sms), 15002);
  sms.set_quantity(2);
  EXPECT_EQ(AmountOf(plan, sms), 10001);  // exact, nothing to round
}

// Each segment of a call crossing a band is rounded on its own, half up:
// Monday 2026-03-16 18:59:19 Paris, 90 s; peak 0.020000/min until 19:00
// (41 s: 13666.67 -> 13667), then 0.010000/min (49 s: 8166.67 -> 8167);
// plus 0.05 set-up: 71834 (truncation: 71832).
TEST(RatingTest, EverySegmentRoundsHalfUp) {
  v1::RatePlanVersion plan = Plan(
      {Entry(v1::USAGE_KIND_VOICE, "+33", 10000, 60, 50000, 60, 1),
       Entry(v1::USAGE_KIND_VOICE, "+33", 20000, 60, 50000, 60, 1, "peak")});
  v1::TimeBand* peak = plan.add_bands();
  peak->set_name("peak");
  for (int d = 1; d <= 5; ++d) peak->add_weekdays(d);
  peak->set_start_minute(8 * 60);
  peak->set_end_minute(19 * 60);
  ASSERT_TRUE(ValidateRatePlanVersion(plan).ok());
  auto rated =
      RateRecord(plan, absl::FixedTimeZone(3600),
                 Call(90, "+33142680000", "2026-03-16T18:59:19+01:00"));
  ASSERT_TRUE(rated.ok()) << rated.status();
  ASSERT_EQ(rated->segments_size(), 2);
  EXPECT_EQ(rated->segments(0).billed_quantity(), 41);
  EXPECT_EQ(rated->segments(0).amount_micros(), 13667);
  EXPECT_EQ(rated->segments(1).billed_quantity(), 49);
  EXPECT_EQ(rated->segments(1).amount_micros(), 8167);
  EXPECT_EQ(rated->amount_micros(), 71834);
}

// --- Limits and overflow ---

v1::UsageRecord Sms(int64_t quantity) {
  v1::UsageRecord r = Call(quantity, "+33612345678");
  r.set_kind(v1::USAGE_KIND_SMS);
  return r;
}

// A record beyond kQuantityMax is refused naming the field (ingest
// quarantines it); at the maximum it is accepted.
TEST(RatingTest, QuantityAboveTheMaximumNamesTheField) {
  EXPECT_EQ(ValidateUsageRecord(Sms(9223372036854775807)).message(),
            "record.quantity: 9223372036854775807 is more than the maximum "
            "1000000000000");
  EXPECT_TRUE(ValidateUsageRecord(Sms(kQuantityMax)).ok());
  EXPECT_EQ(ValidateUsageRecord(Sms(kQuantityMax + 1)).code(),
            absl::StatusCode::kInvalidArgument);
}

// Within the limits a product can still exceed int64: 10^12 SMS at
// 1,000,000.000000 each is 10^24 micros. OutOfRange naming the quantity
// (the record is quarantined), never a wrapped, negative amount.
TEST(RatingTest, AmountBeyondInt64IsOutOfRangeNeverNegative) {
  auto plan =
      Plan({Entry(v1::USAGE_KIND_SMS, "+33", kPriceMicrosMax, 1, 0, 0, 1)});
  ASSERT_TRUE(ValidateRatePlanVersion(plan).ok());
  auto rated = RateRecord(plan, absl::UTCTimeZone(), Sms(kQuantityMax));
  EXPECT_EQ(rated.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(rated.status().message(),
            "record.quantity: 1000000000000 billed 1000000000000 at "
            "1000000000000 micros per 1 gives 1000000000000000000000000, "
            "more than 9223372036854775807: the record cannot be rated");
  // 9,223,372 SMS at that price is 9223372000000000000 micros: it fits.
  EXPECT_EQ(AmountOf(plan, Sms(9'223'372)), 9'223'372'000'000'000'000);
}

// Versions defined before the limits may hold int64 max: rating them is
// checked too. A price of int64 max on a 2 s call (was -0.000002), an
// increment of int64 max (was a negative billed quantity).
TEST(RatingTest, VersionsBeyondTheLimitsNeverRateNegative) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto price = Plan({Entry(v1::USAGE_KIND_VOICE, "+33", kMax, 1, 0, 0, 1)});
  auto rated = RateRecord(price, absl::UTCTimeZone(), Call(2, "+33612345678"));
  EXPECT_EQ(rated.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(rated.status().message(),
            "record.quantity: 2 billed 2 at 9223372036854775807 micros per 1 "
            "gives 18446744073709551614, more than 9223372036854775807: the "
            "record cannot be rated");
  auto step = Plan({Entry(v1::USAGE_KIND_SMS, "+33", 100000, 1, 0, 1, kMax)});
  rated = RateRecord(step, absl::UTCTimeZone(), Sms(5));
  EXPECT_EQ(rated.status().message(),
            "record.quantity: 5 billed with first_increment 1 and increment "
            "9223372036854775807 gives 9223372036854775808, more than "
            "9223372036854775807: the record cannot be rated");
  auto timed = Plan({Entry(v1::USAGE_KIND_VOICE, "+33", 1, 1, 0, 0, kMax)});
  rated = RateRecord(timed, absl::UTCTimeZone(), Call(2, "+33612345678"));
  EXPECT_EQ(rated.status().message(),
            "record.quantity: 2 s billed with first_increment 0 and increment "
            "9223372036854775807 gives 9223372036854775807 s, longer than "
            "1209600 s: the record cannot be rated");
}

// Each entry field over its maximum is refused naming it; at the maximum
// the version is accepted.
TEST(RatingTest, PlanFieldsAboveTheirMaximumAreRefused) {
  struct Case {
    std::function<void(v1::RateEntry&, int64_t)> set;
    int64_t max;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](v1::RateEntry& e, int64_t v) { e.set_price_micros(v); },
       kPriceMicrosMax, "price_micros"},
      {[](v1::RateEntry& e, int64_t v) { e.set_setup_fee_micros(v); },
       kSetupFeeMicrosMax, "setup_fee_micros"},
      {[](v1::RateEntry& e, int64_t v) { e.set_per_quantity(v); },
       kPerQuantityMax, "per_quantity"},
      {[](v1::RateEntry& e, int64_t v) { e.set_increment(v); },
       kRatedSecondsMax, "increment"},  // voice: in seconds
      {[](v1::RateEntry& e, int64_t v) { e.set_first_increment(v); },
       kRatedSecondsMax, "first_increment"},
  };
  for (const Case& c : cases) {
    auto plan = PerSecondAfterFirstMinute();
    c.set(*plan.mutable_entries(0), c.max);
    EXPECT_TRUE(ValidateRatePlanVersion(plan).ok()) << c.field;
    c.set(*plan.mutable_entries(0), c.max + 1);
    EXPECT_EQ(PlanRefusal(plan),
              absl::StrFormat("version.entries[0].%s: %d is more than the "
                              "maximum %d",
                              c.field, c.max + 1, c.max));
  }
  // Messages and bytes step up to kIncrementMax.
  auto data =
      Plan({Entry(v1::USAGE_KIND_DATA, "zone:", 1, 1, 0, 0, kIncrementMax)});
  EXPECT_TRUE(ValidateRatePlanVersion(data).ok());
  data.mutable_entries(0)->set_increment(kIncrementMax + 1);
  EXPECT_EQ(PlanRefusal(data),
            "version.entries[0].increment: 1000000000001 is more than the "
            "maximum 1000000000000");
}

// Plans that could never rate a record are refused at definition.
TEST(RatingTest, PlansThatCanNeverRateAreRefused) {
  auto expect = [](const v1::RatePlanVersion& plan,
                   const std::string& message) {
    absl::Status s = ValidateRatePlanVersion(plan);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_EQ(PlanRefusal(plan), message);
  };
  expect(Plan({}), "version.entries: at least one entry is required");
  auto plan = Plan({Entry(v1::USAGE_KIND_VOICE, "abc", 1, 1, 0, 0, 1)});
  expect(plan,
         "version.entries[0].destination_prefix: \"abc\" is not \"+\" "
         "and digits (an E.164 prefix such as \"+336\") nor \"zone:\" "
         "and a code");
  for (const std::string bad :
       {"33", "+0", "+33a", "+12345678901234567", "zone", "zone:EU ROAMING"}) {
    plan.mutable_entries(0)->set_destination_prefix(bad);
    EXPECT_FALSE(ValidateRatePlanVersion(plan).ok()) << bad;
  }
  for (const std::string good : {"", "+", "+33", "zone:", "zone:EU-"}) {
    plan.mutable_entries(0)->set_destination_prefix(good);
    EXPECT_TRUE(ValidateRatePlanVersion(plan).ok()) << good;
  }
  plan.mutable_entries(0)->set_zone_label(std::string(10'000, 'x'));
  absl::Status label = ValidateRatePlanVersion(plan);
  EXPECT_EQ(label.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StartsWith(label.message(), "version.entries[0].zone_label: "))
      << label;
  EXPECT_LT(label.message().size(), 200u) << "quotes at most a prefix";
  plan = Plan({Entry(v1::USAGE_KIND_VOICE, "+33", 1, 1, 0, 0, 1),
               Entry(v1::USAGE_KIND_SMS, "+33", 1, 1, 0, 0, 1),
               Entry(v1::USAGE_KIND_VOICE, "+33", 2, 1, 0, 0, 1)});
  expect(plan,
         "version.entries[2]: duplicates entries[0] (kind, prefix, "
         "band)");
  plan = PerSecondAfterFirstMinute();
  plan.set_time_zone("../../etc/passwd");
  expect(plan,
         "version.time_zone: \"../../etc/passwd\" is not an IANA time "
         "zone name (\"Europe/Paris\")");
  plan.set_time_zone(std::string(10'000, 'A'));
  EXPECT_EQ(PlanRefusal(plan),
            "version.time_zone: \"" + std::string(kQuotePrefixMax, 'A') +
                "\"... (10000 bytes) is longer than 64 bytes");
  plan.set_time_zone("America/Argentina/Buenos_Aires");
  EXPECT_TRUE(ValidateRatePlanVersion(plan).ok());
  plan = PerSecondAfterFirstMinute();
  while (plan.entries_size() <= kRateEntriesMax) {
    *plan.add_entries() =
        Entry(v1::USAGE_KIND_VOICE, absl::StrCat("+4", plan.entries_size()), 1,
              1, 0, 0, 1);
  }
  expect(plan, "version.entries: has 4097 entries, at most 4096 allowed");
}

// 10 KB in record.object, record.destination or an attribute key,
// refused naming the field first, quoting only the first
// kQuotePrefixMax bytes, escaped, and the length; under 300 bytes.
TEST(RatingTest, LongRecordFieldsAreQuotedShort) {
  const std::string prefix(kQuotePrefixMax, 'x');
  v1::UsageRecord r = Call(60, "+33612345678");
  r.set_object(std::string(10'240, 'x'));
  absl::Status s = ValidateUsageRecord(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "record.object: \"" + prefix +
                             "\"... (10240 bytes) is not a phone number or an "
                             "object id");
  EXPECT_LT(s.message().size(), 300u);

  r = Call(60, std::string(10'240, 'x'));
  s = ValidateUsageRecord(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "record.destination: \"" + prefix +
                             "\"... (10240 bytes) is not an E.164 number or a "
                             "zone \"zone:<code>\"");
  EXPECT_LT(s.message().size(), 300u);

  // Escaped: 40 bytes 0xff are 160 characters "\xff...".
  r = Call(60, std::string(10'240, '\xff'));
  s = ValidateUsageRecord(r);
  EXPECT_TRUE(absl::StartsWith(s.message(), "record.destination: \"\\xff\\xff"))
      << s;
  EXPECT_LT(s.message().size(), 300u) << s;

  r = Call(60, "+33612345678");
  (*r.mutable_attributes())[std::string(10'240, 'k')] = std::string(300, 'v');
  s = ValidateUsageRecord(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(
      s.message(), "record.attributes[\"" + std::string(kQuotePrefixMax, 'k') +
                       "\"... (10240 bytes)]: its key is 10240 bytes, more "
                       "than the 256 allowed"))
      << s;
  EXPECT_LT(s.message().size(), 300u) << s;
}

// A start time must have a four-digit year: the month is its first seven
// characters.
TEST(RatingTest, StartTimeNeedsAFourDigitYear) {
  v1::UsageRecord r = Call(60, "+33612345678", "12026-03-20T10:00:00+01:00");
  EXPECT_EQ(ValidateUsageRecord(r).message(),
            "record.start_time: \"12026-03-20T10:00:00+01:00\" is not an RFC "
            "3339 time with offset (2026-03-20T14:03:05+01:00)");
}

// --- Intervals within a record (docs/usage.md, Intervals) ---

v1::RateInterval Interval(int64_t from, int64_t price_micros, int64_t per,
                          int64_t increment) {
  v1::RateInterval in;
  in.set_from_quantity(from);
  in.set_price_micros(price_micros);
  in.set_per_quantity(per);
  in.set_increment(increment);
  return in;
}

// An entry priced by its intervals: its own price, per and increment 0.
v1::RateEntry IntervalEntry(const std::string& prefix,
                            std::vector<v1::RateInterval> intervals,
                            int64_t setup = 0, const std::string& band = "") {
  v1::RateEntry e =
      Entry(v1::USAGE_KIND_VOICE, prefix, 0, 0, setup, 0, 0, band);
  for (auto& in : intervals) *e.add_intervals() = std::move(in);
  return e;
}

// "The first minute 0.15 per minute billed as one 60 s step, then 0.06 per
// minute per second".
v1::RateEntry FirstMinuteThenPerSecond(int64_t setup = 0) {
  return IntervalEntry(
      "+33", {Interval(0, 150000, 60, 60), Interval(60, 60000, 60, 1)}, setup);
}

// "0 to 120 s per 20 s at 0.30 per minute, then per 6 s at 0.12 per minute".
v1::RateEntry TwentySecondStepsThenSix() {
  return IntervalEntry(
      "+33", {Interval(0, 300000, 60, 20), Interval(120, 120000, 60, 6)});
}

v1::RatedUsage Rated(const v1::RatePlanVersion& plan, const v1::UsageRecord& r,
                     const absl::TimeZone& zone = absl::UTCTimeZone()) {
  EXPECT_TRUE(ValidateRatePlanVersion(plan).ok())
      << ValidateRatePlanVersion(plan);
  auto rated = RateRecord(plan, zone, r);
  EXPECT_TRUE(rated.ok()) << rated.status();
  return rated.ok() ? *rated : v1::RatedUsage();
}

// The issue's first tariff, 95 s: the first 60 s at 0.15/min (0.150000),
// the next 35 s at 0.06/min per second (0.06 x 35 / 60 = 0.035000):
// 0.185000. Each piece shows its position, interval, quantity and price.
TEST(RatingIntervalsTest, FirstMinuteThenPerSecond) {
  const v1::RatedUsage r =
      Rated(Plan({FirstMinuteThenPerSecond()}), Call(95, "+33612345678"));
  EXPECT_EQ(r.billed_quantity(), 95);
  ASSERT_EQ(r.segments_size(), 2);
  EXPECT_EQ(r.segments(0).from_quantity(), 0);
  EXPECT_EQ(r.segments(0).interval(), 1);
  EXPECT_EQ(r.segments(0).billed_quantity(), 60);
  EXPECT_EQ(r.segments(0).price_micros(), 150000);
  EXPECT_EQ(r.segments(0).per_quantity(), 60);
  EXPECT_EQ(r.segments(0).amount_micros(), 150000);
  EXPECT_EQ(r.segments(1).from_quantity(), 60);
  EXPECT_EQ(r.segments(1).interval(), 2);
  EXPECT_EQ(r.segments(1).billed_quantity(), 35);
  EXPECT_EQ(r.segments(1).price_micros(), 60000);
  EXPECT_EQ(r.segments(1).amount_micros(), 35000);
  EXPECT_EQ(r.amount_micros(), 185000);
}

// The first interval is one 60 s step: 20 s and 60 s both cost 0.15; 61 s
// is 0.15 + 0.06 / 60 = 0.151000; 0 s costs nothing.
TEST(RatingIntervalsTest, TheFirstStepIsWhole) {
  const auto plan = Plan({FirstMinuteThenPerSecond()});
  const v1::RatedUsage twenty = Rated(plan, Call(20, "+33612345678"));
  EXPECT_EQ(twenty.billed_quantity(), 60);
  ASSERT_EQ(twenty.segments_size(), 1);
  EXPECT_EQ(twenty.amount_micros(), 150000);
  const v1::RatedUsage sixty = Rated(plan, Call(60, "+33612345678"));
  EXPECT_EQ(sixty.segments_size(), 1) << "60 s ends in the first interval";
  EXPECT_EQ(sixty.amount_micros(), 150000);
  EXPECT_EQ(Rated(plan, Call(61, "+33612345678")).amount_micros(), 151000);
  const v1::RatedUsage zero = Rated(plan, Call(0, "+33612345678"));
  EXPECT_EQ(zero.billed_quantity(), 0);
  EXPECT_EQ(zero.segments_size(), 0);
  EXPECT_EQ(zero.amount_micros(), 0);
}

// The issue's second tariff: 130 s is 120 s in 20 s steps at 0.30/min
// (0.600000) and 10 s billed as 12 s (two 6 s steps) at 0.12/min
// (0.024000): billed 132 s, 0.624000. 45 s is three 20 s steps: 60 s,
// 0.300000. 110 s: 120 s, 0.600000 (the last step ends at the interval's
// end, never past it). 121 s: 120 + 6 s, 0.600000 + 0.012000.
TEST(RatingIntervalsTest, TwentySecondStepsThenSixSecondSteps) {
  const auto plan = Plan({TwentySecondStepsThenSix()});
  const v1::RatedUsage r = Rated(plan, Call(130, "+33612345678"));
  EXPECT_EQ(r.billed_quantity(), 132);
  ASSERT_EQ(r.segments_size(), 2);
  EXPECT_EQ(r.segments(0).billed_quantity(), 120);
  EXPECT_EQ(r.segments(0).amount_micros(), 600000);
  EXPECT_EQ(r.segments(1).from_quantity(), 120);
  EXPECT_EQ(r.segments(1).billed_quantity(), 12);
  EXPECT_EQ(r.segments(1).amount_micros(), 24000);
  EXPECT_EQ(r.amount_micros(), 624000);
  const v1::RatedUsage r45 = Rated(plan, Call(45, "+33612345678"));
  EXPECT_EQ(r45.billed_quantity(), 60);
  EXPECT_EQ(r45.amount_micros(), 300000);
  const v1::RatedUsage r110 = Rated(plan, Call(110, "+33612345678"));
  EXPECT_EQ(r110.billed_quantity(), 120);
  EXPECT_EQ(r110.segments_size(), 1);
  EXPECT_EQ(r110.amount_micros(), 600000);
  EXPECT_EQ(Rated(plan, Call(121, "+33612345678")).amount_micros(), 612000);
}

// The set-up fee is charged once with intervals: 95 s with 0.05 set-up is
// 0.05 + 0.15 + 0.035 = 0.235000.
TEST(RatingIntervalsTest, SetUpFeeOnce) {
  const v1::RatedUsage r =
      Rated(Plan({FirstMinuteThenPerSecond(50000)}), Call(95, "+33612345678"));
  EXPECT_EQ(r.setup_fee_micros(), 50000);
  EXPECT_EQ(r.amount_micros(), 235000);
}

// first_increment raises the quantity first, then the interval's step
// applies: with first_increment 90 on the second tariff, a 10 s call is
// billed 90 s, stepped to 100 s (five 20 s steps) at 0.30/min: 0.500000.
TEST(RatingIntervalsTest, FirstIncrementRaisesTheQuantityFirst) {
  v1::RateEntry e = TwentySecondStepsThenSix();
  e.set_first_increment(90);
  const v1::RatedUsage r = Rated(Plan({e}), Call(10, "+33612345678"));
  EXPECT_EQ(r.billed_quantity(), 100);
  EXPECT_EQ(r.amount_micros(), 500000);
}

// Peak (Mon-Fri 08:00-19:00) and off-peak entries, both "first minute as
// one step, then per second"; peak 0.15 then 0.06 per minute, off-peak
// 0.05 then 0.02. A 95 s call from Monday 18:59:30: positions count from
// the call's start across the band change at 19:00, so the first minute
// is 30 s of peak first minute (30 x 0.15 / 60 = 0.075000) and 30 s of
// off-peak first minute (30 x 0.05 / 60 = 0.025000); then 35 s off-peak per
// second (35 x 0.02 / 60 = 0.011666.67 -> 0.011667): 0.111667.
TEST(RatingIntervalsTest, PositionsCountAcrossTimeBands) {
  v1::RatePlanVersion plan = Plan(
      {IntervalEntry("+33",
                     {Interval(0, 50000, 60, 60), Interval(60, 20000, 60, 1)}),
       IntervalEntry("+33",
                     {Interval(0, 150000, 60, 60), Interval(60, 60000, 60, 1)},
                     0, "peak")});
  v1::TimeBand* peak = plan.add_bands();
  peak->set_name("peak");
  for (int d = 1; d <= 5; ++d) peak->add_weekdays(d);
  peak->set_start_minute(8 * 60);
  peak->set_end_minute(19 * 60);
  const v1::RatedUsage r =
      Rated(plan, Call(95, "+33142680000", "2026-03-16T18:59:30+01:00"),
            absl::FixedTimeZone(3600));
  ASSERT_EQ(r.segments_size(), 3);
  const struct {
    std::string band;
    int64_t from, billed, price;
    int interval;
    int64_t amount;
  } want[] = {{"peak", 0, 30, 150000, 1, 75000},
              {"", 30, 30, 50000, 1, 25000},
              {"", 60, 35, 20000, 2, 11667}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.segments(i).band(), want[i].band) << i;
    EXPECT_EQ(r.segments(i).from_quantity(), want[i].from) << i;
    EXPECT_EQ(r.segments(i).billed_quantity(), want[i].billed) << i;
    EXPECT_EQ(r.segments(i).price_micros(), want[i].price) << i;
    EXPECT_EQ(r.segments(i).interval(), want[i].interval) << i;
    EXPECT_EQ(r.segments(i).amount_micros(), want[i].amount) << i;
  }
  EXPECT_EQ(r.amount_micros(), 111667);
}

// A band whose entry has no intervals prices its part flat: the same call
// with off-peak at a flat 0.01/min is 30 s peak first minute (0.075000)
// and 65 s off-peak (65 x 0.01 / 60 = 0.010833.33 -> 0.010833): 0.085833.
// The steps are the start entry's (as first_increment and increment are
// without intervals); the off-peak part shows interval 0.
TEST(RatingIntervalsTest, ABandWithoutIntervalsPricesFlat) {
  v1::RatePlanVersion plan = Plan(
      {Entry(v1::USAGE_KIND_VOICE, "+33", 10000, 60, 0, 60, 1),
       IntervalEntry("+33",
                     {Interval(0, 150000, 60, 60), Interval(60, 60000, 60, 1)},
                     0, "peak")});
  v1::TimeBand* peak = plan.add_bands();
  peak->set_name("peak");
  for (int d = 1; d <= 5; ++d) peak->add_weekdays(d);
  peak->set_start_minute(8 * 60);
  peak->set_end_minute(19 * 60);
  const v1::RatedUsage r =
      Rated(plan, Call(95, "+33142680000", "2026-03-16T18:59:30+01:00"),
            absl::FixedTimeZone(3600));
  ASSERT_EQ(r.segments_size(), 2);
  EXPECT_EQ(r.segments(0).amount_micros(), 75000);
  EXPECT_EQ(r.segments(1).from_quantity(), 30);
  EXPECT_EQ(r.segments(1).billed_quantity(), 65);
  EXPECT_EQ(r.segments(1).interval(), 0);
  EXPECT_EQ(r.segments(1).amount_micros(), 10833);
  EXPECT_EQ(r.amount_micros(), 85833);
}

// Messages and bytes have intervals too: the first 10 SMS at 0.10 each,
// then 0.05 each: 12 SMS are 1.000000 + 0.100000.
TEST(RatingIntervalsTest, SmsInIntervals) {
  v1::RateEntry e = IntervalEntry(
      "+33", {Interval(0, 100000, 1, 1), Interval(10, 50000, 1, 1)});
  e.set_kind(v1::USAGE_KIND_SMS);
  v1::UsageRecord sms = Call(12, "+33612345678");
  sms.set_kind(v1::USAGE_KIND_SMS);
  const v1::RatedUsage r = Rated(Plan({e}), sms);
  ASSERT_EQ(r.segments_size(), 2);
  EXPECT_EQ(r.segments(1).billed_quantity(), 2);
  EXPECT_EQ(r.amount_micros(), 1100000);
}

// --- Rounding of a record's amount and the minimum charge ---

// One SMS at `price_micros`, rounded as given.
v1::RatedUsage SmsRounded(int64_t price_micros, v1::RoundingMode mode,
                          int decimals, int64_t minimum = 0,
                          int64_t quantity = 1) {
  v1::RateEntry e = Entry(v1::USAGE_KIND_SMS, "+33", price_micros, 1, 0, 0, 1);
  e.mutable_rounding()->set_mode(mode);
  e.mutable_rounding()->set_decimals(decimals);
  e.set_minimum_charge_micros(minimum);
  v1::UsageRecord sms = Call(quantity, "+33612345678");
  sms.set_kind(v1::USAGE_KIND_SMS);
  return Rated(Plan({e}), sms);
}

// 0.123401 to 2 decimals: up 0.13, half-up 0.12, down 0.12; to 0 decimals
// up: 1; to 6 decimals: unchanged. The rating shows the amount before
// rounding and the rounding applied.
TEST(RatingRoundingTest, UpHalfUpDownToDecimals) {
  const v1::RatedUsage up = SmsRounded(123401, v1::ROUNDING_MODE_UP, 2);
  EXPECT_EQ(up.unrounded_amount_micros(), 123401);
  EXPECT_EQ(up.rounding().mode(), v1::ROUNDING_MODE_UP);
  EXPECT_EQ(up.rounding().decimals(), 2);
  EXPECT_EQ(up.amount_micros(), 130000);
  EXPECT_EQ(SmsRounded(123401, v1::ROUNDING_MODE_HALF_UP, 2).amount_micros(),
            120000);
  EXPECT_EQ(SmsRounded(123401, v1::ROUNDING_MODE_DOWN, 2).amount_micros(),
            120000);
  EXPECT_EQ(SmsRounded(123401, v1::ROUNDING_MODE_UP, 0).amount_micros(),
            1000000);
  EXPECT_EQ(SmsRounded(123401, v1::ROUNDING_MODE_UP, 6).amount_micros(),
            123401);
  // Already on the grid: nothing moves, whatever the mode.
  EXPECT_EQ(SmsRounded(120000, v1::ROUNDING_MODE_UP, 2).amount_micros(),
            120000);
}

// Half-up at the edge: 0.125000 -> 0.13, 0.124999 -> 0.12; down never
// goes up: 0.129999 -> 0.12.
TEST(RatingRoundingTest, HalfUpAtTheEdge) {
  EXPECT_EQ(SmsRounded(125000, v1::ROUNDING_MODE_HALF_UP, 2).amount_micros(),
            130000);
  EXPECT_EQ(SmsRounded(124999, v1::ROUNDING_MODE_HALF_UP, 2).amount_micros(),
            120000);
  EXPECT_EQ(SmsRounded(129999, v1::ROUNDING_MODE_DOWN, 2).amount_micros(),
            120000);
}

// The record's whole amount is rounded, after each segment is to the
// micro: the first tariff's 95 s call with a 0.05 set-up is 0.235000;
// rounded up to 1 decimal, 0.3.
TEST(RatingRoundingTest, TheWholeRecordIsRounded) {
  v1::RateEntry e = FirstMinuteThenPerSecond(50000);
  e.mutable_rounding()->set_mode(v1::ROUNDING_MODE_UP);
  e.mutable_rounding()->set_decimals(1);
  const v1::RatedUsage r = Rated(Plan({e}), Call(95, "+33612345678"));
  EXPECT_EQ(r.unrounded_amount_micros(), 235000);
  EXPECT_EQ(r.amount_micros(), 300000);
}

// A minimum charge of 0.10: 1 SMS at 0.05 costs 0.10, 3 cost 0.15; an
// unanswered record (0) still costs nothing.
TEST(RatingRoundingTest, MinimumChargePerRecord) {
  const v1::RatedUsage one =
      SmsRounded(50000, v1::ROUNDING_MODE_UNSPECIFIED, 0, 100000);
  EXPECT_EQ(one.unrounded_amount_micros(), 50000);
  EXPECT_EQ(one.minimum_charge_micros(), 100000);
  EXPECT_FALSE(one.has_rounding());
  EXPECT_EQ(one.amount_micros(), 100000);
  EXPECT_EQ(SmsRounded(50000, v1::ROUNDING_MODE_UNSPECIFIED, 0, 100000, 3)
                .amount_micros(),
            150000);
  EXPECT_EQ(SmsRounded(50000, v1::ROUNDING_MODE_UNSPECIFIED, 0, 100000, 0)
                .amount_micros(),
            0);
}

// Rounding comes before the minimum: 0.083 down to 1 decimal is 0.0, and
// the minimum 0.05 then applies: 0.05 (the other order would give 0.0).
TEST(RatingRoundingTest, RoundingThenMinimum) {
  EXPECT_EQ(SmsRounded(83000, v1::ROUNDING_MODE_DOWN, 1, 50000).amount_micros(),
            50000);
}

// An entry without intervals, rounding or minimum rates exactly as before
// they existed, byte for byte: the band-crossing call of
// CallCrossingABandIsRatedPerSegment against its rating written out.
TEST(RatingRoundingTest, OldEntriesRateByteIdentically) {
  v1::RatePlanVersion plan = Plan(
      {Entry(v1::USAGE_KIND_VOICE, "+33", 10000, 60, 50000, 60, 1),
       Entry(v1::USAGE_KIND_VOICE, "+33", 30000, 60, 50000, 60, 1, "peak")});
  v1::TimeBand* peak = plan.add_bands();
  peak->set_name("peak");
  for (int d = 1; d <= 5; ++d) peak->add_weekdays(d);
  peak->set_start_minute(8 * 60);
  peak->set_end_minute(19 * 60);
  const v1::RatedUsage r =
      Rated(plan, Call(90, "+33142680000", "2026-03-16T18:59:30+01:00"),
            absl::FixedTimeZone(3600));
  v1::RatedUsage want;
  want.set_plan_id("PRO");
  want.set_plan_effective_from("2026-01-01T00:00:00+01:00");
  want.set_matched_prefix("+33");
  want.set_zone_label("to +33");
  want.set_billed_quantity(90);
  want.set_setup_fee_micros(50000);
  v1::RatedSegment* s = want.add_segments();
  s->set_band("peak");
  s->set_billed_quantity(30);
  s->set_price_micros(30000);
  s->set_per_quantity(60);
  s->set_amount_micros(15000);
  s = want.add_segments();
  s->set_billed_quantity(60);
  s->set_price_micros(10000);
  s->set_per_quantity(60);
  s->set_amount_micros(10000);
  want.set_amount_micros(75000);
  EXPECT_EQ(r.SerializeAsString(), want.SerializeAsString()) << r.DebugString();
}

// Rounding up past int64 is OutOfRange, never wrapped: 9,223,372 SMS at
// 1,000,000.000000 plus a set-up fee of 36854.775807 is int64 max
// micros exactly (9223372036854.775807); up to 0 decimals it would be
// 9223372036855, which does not fit; down, 9223372036854.
TEST(RatingRoundingTest, RoundingUpBeyondInt64IsOutOfRange) {
  v1::RateEntry e = Entry(v1::USAGE_KIND_SMS, "+33", kPriceMicrosMax, 1,
                          36'854'775'807, 0, 1);
  e.mutable_rounding()->set_mode(v1::ROUNDING_MODE_UP);
  const auto plan = Plan({e});
  ASSERT_TRUE(ValidateRatePlanVersion(plan).ok());
  auto rated = RateRecord(plan, absl::UTCTimeZone(), Sms(9'223'372));
  EXPECT_EQ(rated.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(rated.status().message(),
            "record.quantity: 9223372 rounded up gives 9223372036855000000, "
            "more than 9223372036854775807: the record cannot be rated");
  e.mutable_rounding()->set_mode(v1::ROUNDING_MODE_DOWN);
  EXPECT_EQ(AmountOf(Plan({e}), Sms(9'223'372)), 9'223'372'036'854'000'000);
}

// An interval's amount beyond int64 is OutOfRange naming the quantity: 10^12
// SMS in an interval at 1,000,000.000000 each.
TEST(RatingIntervalsTest, IntervalAmountBeyondInt64IsOutOfRange) {
  v1::RateEntry e = IntervalEntry(
      "+33", {Interval(0, 1, 1, 1), Interval(10, kPriceMicrosMax, 1, 1)});
  e.set_kind(v1::USAGE_KIND_SMS);
  const auto plan = Plan({e});
  ASSERT_TRUE(ValidateRatePlanVersion(plan).ok());
  auto rated = RateRecord(plan, absl::UTCTimeZone(), Sms(kQuantityMax));
  EXPECT_EQ(rated.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(rated.status().message(),
            "record.quantity: 1000000000000 billed 999999999990 at "
            "1000000000000 micros per 1 gives 999999999990000000000000, "
            "more than 9223372036854775807: the record cannot be rated");
}

// --- Hostile plans: every new field refused naming it ---

TEST(RatingIntervalsTest, BadIntervalsNameTheField) {
  auto refusal = [](const std::function<void(v1::RateEntry&)>& change) {
    v1::RateEntry e = FirstMinuteThenPerSecond();
    change(e);
    return PlanRefusal(Plan({e}));
  };
  const std::string f = "version.entries[0].";
  EXPECT_EQ(
      refusal([](auto& e) { e.mutable_intervals(0)->set_from_quantity(5); }),
      f + "intervals[0].from_quantity: 5 must be 0: the first interval "
          "starts at the record's start");
  EXPECT_EQ(
      refusal([](auto& e) { e.mutable_intervals(1)->set_from_quantity(0); }),
      f + "intervals[1].from_quantity: 0 must be more than "
          "intervals[0].from_quantity 0 (intervals strictly increase)");
  EXPECT_EQ(refusal([](auto& e) {
              e.mutable_intervals(1)->set_from_quantity(kRatedSecondsMax + 1);
            }),
            f + "intervals[1].from_quantity: 604801 is more than the maximum "
                "604800");
  EXPECT_EQ(
      refusal([](auto& e) { e.mutable_intervals(1)->set_price_micros(-1); }),
      f + "intervals[1].price_micros: -1 is negative");
  EXPECT_EQ(refusal([](auto& e) {
              e.mutable_intervals(1)->set_price_micros(kPriceMicrosMax + 1);
            }),
            f + "intervals[1].price_micros: 1000000000001 is more than the "
                "maximum 1000000000000");
  EXPECT_EQ(
      refusal([](auto& e) { e.mutable_intervals(0)->set_per_quantity(0); }),
      f + "intervals[0].per_quantity: 0 must be at least 1");
  EXPECT_EQ(refusal([](auto& e) { e.mutable_intervals(1)->set_increment(0); }),
            f + "intervals[1].increment: 0 must be at least 1");
  EXPECT_EQ(refusal([](auto& e) { e.mutable_intervals(0)->set_increment(25); }),
            f + "intervals[0].increment: 25 does not divide the interval's "
                "length 60 (intervals[1].from_quantity - from_quantity): its "
                "last step would run into the next interval");
  EXPECT_EQ(refusal([](auto& e) { e.set_price_micros(20000); }),
            f + "price_micros: 20000 must be 0 when the entry has intervals "
                "(each interval has its own)");
  EXPECT_EQ(refusal([](auto& e) { e.set_per_quantity(60); }),
            f + "per_quantity: 60 must be 0 when the entry has intervals "
                "(each interval has its own)");
  EXPECT_EQ(refusal([](auto& e) { e.set_increment(1); }),
            f + "increment: 1 must be 0 when the entry has intervals (each "
                "interval has its own)");
  EXPECT_EQ(refusal([](auto& e) {
              while (e.intervals_size() <= kRateIntervalsMax) {
                *e.add_intervals() =
                    Interval(60 * e.intervals_size(), 1, 60, 1);
              }
            }),
            f + "intervals: has 17 intervals, at most 16 allowed");
}

// At the limits: 16 intervals, the last starting at 604800 s.
TEST(RatingIntervalsTest, IntervalsAtTheLimitsAreAccepted) {
  v1::RateEntry e = IntervalEntry("+33", {});
  for (int i = 0; i < kRateIntervalsMax - 1; ++i) {
    *e.add_intervals() = Interval(60 * i, kPriceMicrosMax, kPerQuantityMax, 60);
  }
  *e.add_intervals() = Interval(kRatedSecondsMax, 0, 1, kRatedSecondsMax);
  EXPECT_TRUE(ValidateRatePlanVersion(Plan({e})).ok())
      << ValidateRatePlanVersion(Plan({e}));
}

TEST(RatingRoundingTest, BadRoundingAndMinimumNameTheField) {
  auto refusal = [](const std::function<void(v1::RateEntry&)>& change) {
    v1::RateEntry e = Entry(v1::USAGE_KIND_SMS, "+33", 50000, 1, 0, 0, 1);
    change(e);
    return PlanRefusal(Plan({e}));
  };
  const std::string f = "version.entries[0].";
  EXPECT_EQ(refusal([](auto& e) {
              e.mutable_rounding()->set_mode(static_cast<v1::RoundingMode>(9));
            }),
            f + "rounding.mode: 9 is not a rounding mode (up, half-up, down)");
  EXPECT_EQ(refusal([](auto& e) { e.mutable_rounding()->set_decimals(2); }),
            f + "rounding.decimals: 2 is given without a mode (up, half-up, "
                "down)");
  EXPECT_EQ(refusal([](auto& e) {
              e.mutable_rounding()->set_mode(v1::ROUNDING_MODE_UP);
              e.mutable_rounding()->set_decimals(7);
            }),
            f + "rounding.decimals: 7 is more than the maximum 6");
  EXPECT_EQ(refusal([](auto& e) {
              e.mutable_rounding()->set_mode(v1::ROUNDING_MODE_DOWN);
              e.mutable_rounding()->set_decimals(-1);
            }),
            f + "rounding.decimals: -1 is negative");
  EXPECT_EQ(refusal([](auto& e) { e.set_minimum_charge_micros(-5); }),
            f + "minimum_charge_micros: -5 is negative");
  EXPECT_EQ(refusal([](auto& e) {
              e.set_minimum_charge_micros(kMinimumChargeMicrosMax + 1);
            }),
            f + "minimum_charge_micros: 1000000000001 is more than the "
                "maximum 1000000000000");
  v1::RateEntry e = Entry(v1::USAGE_KIND_SMS, "+33", 50000, 1, 0, 0, 1);
  e.mutable_rounding()->set_mode(v1::ROUNDING_MODE_HALF_UP);
  e.mutable_rounding()->set_decimals(kRoundingDecimalsMax);
  e.set_minimum_charge_micros(kMinimumChargeMicrosMax);
  EXPECT_TRUE(ValidateRatePlanVersion(Plan({e})).ok());
}

// The JSON that `billingctl plan define --file` sends (proto JSON, the
// same parser) expresses intervals and rounding: the first tariff rounded
// up to the cent rates 95 s at 0.19.
TEST(RatingIntervalsTest, PlanJsonWithIntervalsAndRounding) {
  const std::string json = R"({
    "plan_id": "PRO", "effective_from": "2026-01-01T00:00:00+01:00",
    "currency": "EUR",
    "entries": [{
      "kind": "USAGE_KIND_VOICE", "destination_prefix": "+33",
      "intervals": [
        {"from_quantity": 0, "price_micros": 150000, "per_quantity": 60,
         "increment": 60},
        {"from_quantity": 60, "price_micros": 60000, "per_quantity": 60,
         "increment": 1}],
      "rounding": {"mode": "ROUNDING_MODE_UP", "decimals": 2},
      "minimum_charge_micros": 100000}]})";
  v1::RatePlanVersion plan;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &plan).ok());
  const v1::RatedUsage r = Rated(plan, Call(95, "+33612345678"));
  EXPECT_EQ(r.unrounded_amount_micros(), 185000);
  EXPECT_EQ(r.amount_micros(), 190000);
}

}  // namespace
}  // namespace billing
