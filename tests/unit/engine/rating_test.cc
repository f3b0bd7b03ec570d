// Rating of call detail records with numbers a person can check by hand.

#include "engine/rating.h"

#include "gtest/gtest.h"

namespace billing {
namespace {

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

v1::RatePlanVersion Plan(std::vector<v1::RateEntry> entries,
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
  v1::RatePlanVersion plan =
      Plan({Entry(v1::USAGE_KIND_VOICE, "+33", 10000, 60, 50000, 60, 1),
            Entry(v1::USAGE_KIND_VOICE, "+33", 30000, 60, 50000, 60, 1,
                  "peak")});
  plan.set_time_zone("Europe/Paris");
  v1::TimeBand* peak = plan.add_bands();
  peak->set_name("peak");
  for (int d = 1; d <= 5; ++d) peak->add_weekdays(d);
  peak->set_start_minute(8 * 60);
  peak->set_end_minute(19 * 60);
  ASSERT_TRUE(ValidateRatePlanVersion(plan).ok());
  // Paris is UTC+1 in March before the last Sunday: a fixed zone stands in.
  const absl::TimeZone paris = absl::FixedTimeZone(3600);
  auto rated = RateRecord(plan, paris,
                          Call(90, "+33142680000", "2026-03-16T18:59:30+01:00"));
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
  expect(r, "record.start_time: \"20/03/2026 10:00\" is not an RFC 3339 time "
            "with offset (2026-03-20T14:03:05+01:00)");
  r = ok;
  r.set_kind(v1::USAGE_KIND_UNSPECIFIED);
  expect(r, "record.kind: is not a usage kind (voice, sms, mms, data, fax)");
  r = ok;
  r.set_destination("0612345678");
  expect(r, "record.destination: \"0612345678\" is not an E.164 number or a "
            "zone \"zone:<code>\"");
  r = ok;
  r.set_unit(v1::USAGE_UNIT_BYTES);
  expect(r, "record.unit: USAGE_UNIT_BYTES does not fit a USAGE_KIND_VOICE "
            "record");
}

// A plan's own mistakes are named too.
TEST(RatingTest, BadPlansNameTheField) {
  auto plan = PerSecondAfterFirstMinute();
  plan.mutable_entries(0)->set_increment(0);
  EXPECT_EQ(ValidateRatePlanVersion(plan).message(),
            "plan.entries[0].increment: must be at least 1");
  plan = PerSecondAfterFirstMinute();
  plan.mutable_entries(0)->set_band("night");
  EXPECT_EQ(ValidateRatePlanVersion(plan).message(),
            "plan.entries[0].band: \"night\" is not a band of the plan");
}

}  // namespace
}  // namespace billing
