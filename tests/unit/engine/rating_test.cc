// Rating of call detail records with numbers a person can check by hand.

#include "engine/usage/rating.h"

#include <functional>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/rejection.h"
#include "engine/core/validation.h"
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

// The example: a 61 s call is 0.05 + 0.020000 + 0.000333 = 0.070333.
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

}  // namespace
}  // namespace billing
