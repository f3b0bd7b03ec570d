// The CSV reader of usage imports (services/usage_csv.h): a header of
// UsageRecord field names, then one record per line.

#include "services/usage_csv.h"

#include "gtest/gtest.h"

namespace billing {
namespace {

constexpr char kHeader[] =
    "platform_id,record_id,object,start_time,kind,quantity,destination";

UsageCsvHeader Header(absl::string_view line = kHeader) {
  auto h = ParseUsageCsvHeader(line);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : UsageCsvHeader{};
}

std::string RowError(const UsageCsvHeader& header, absl::string_view line) {
  auto r = ParseUsageCsvRow(header, line);
  EXPECT_FALSE(r.ok()) << line;
  EXPECT_TRUE(r.ok() || absl::IsInvalidArgument(r.status()));
  return r.ok() ? "" : std::string(r.status().message());
}

// A row of the full header: every field set, "voice" read as the kind.
TEST(UsageCsvTest, RowBecomesTheRecord) {
  auto r = ParseUsageCsvRow(
      Header(),
      "PBX1,R1,+33142680000,2026-03-20T10:00:00+01:00,voice,61,"
      "+33612345678");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->platform_id(), "PBX1");
  EXPECT_EQ(r->record_id(), "R1");
  EXPECT_EQ(r->kind(), v1::USAGE_KIND_VOICE);
  EXPECT_EQ(r->quantity(), 61);
  EXPECT_EQ(r->destination(), "+33612345678");
}

// Finding 5: without `quantity` every row would be rated at 0 and use up its
// record id; the header is refused, naming the column.
TEST(UsageCsvTest, HeaderWithoutQuantityIsRefusedNamingIt) {
  auto h = ParseUsageCsvHeader(
      "platform_id,record_id,object,start_time,kind,destination");
  ASSERT_FALSE(h.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(h.status()));
  EXPECT_EQ(h.status().message(),
            "csv header: column \"quantity\" is missing (required: "
            "platform_id, record_id, object, start_time, kind, quantity, "
            "destination)");
}

TEST(UsageCsvTest, HeaderWithAColumnTwiceIsRefused) {
  auto h = ParseUsageCsvHeader(absl::StrCat(kHeader, ",kind"));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "csv header: column \"kind\" appears twice");
}

// Finding 5: an empty required cell names the field (it was "message:
// neither a protobuf UsageRecord nor a JSON object").
TEST(UsageCsvTest, EmptyRequiredCellNamesTheField) {
  EXPECT_EQ(RowError(Header(),
                     "PBX1,R1,+33142680000,2026-03-20T10:00:00+01:00,"
                     "voice,,+33612345678"),
            "record.quantity: is empty");
  EXPECT_EQ(RowError(Header(),
                     ",R1,+33142680000,2026-03-20T10:00:00+01:00,"
                     "voice,61,+33612345678"),
            "record.platform_id: is empty");
}

// An optional column left empty is no field.
TEST(UsageCsvTest, EmptyOptionalCellIsLeftOut) {
  auto r = ParseUsageCsvRow(
      Header(absl::StrCat(kHeader, ",customer_id,attributes.trunk")),
      "PBX1,R1,+33142680000,2026-03-20T10:00:00+01:00,sms,1,+336,,T7");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->customer_id(), "");
  EXPECT_EQ(r->attributes().at("trunk"), "T7");
}

// Finding 5: an unknown column is refused as an unknown JSON field is (the
// JSON decoder has ignore_unknown_fields = false): the rows name it.
TEST(UsageCsvTest, UnknownColumnRefusesTheRowsNamingIt) {
  const UsageCsvHeader h = Header(absl::StrCat(kHeader, ",quantiy"));
  ASSERT_EQ(h.unknown, std::vector<std::string>{"quantiy"});
  EXPECT_EQ(RowError(h,
                     "PBX1,R1,+33142680000,2026-03-20T10:00:00+01:00,"
                     "voice,61,+336,61"),
            "csv column \"quantiy\": not a UsageRecord field, refused as an "
            "unknown JSON field is (a platform attribute goes in a column "
            "attributes.<key>)");
}

// Finding 1 in CSV: a Latin-1 byte in a cell names the field; values are
// quoted escaped.
TEST(UsageCsvTest, CellNotUtf8NamesTheField) {
  EXPECT_EQ(RowError(Header(),
                     "PBX1,r\xe9,+33142680000,2026-03-20T10:00:00+01:00,"
                     "voice,61,+33612345678"),
            "record.record_id: not valid UTF-8");
  EXPECT_EQ(RowError(Header(),
                     "PBX1,R1,+33142680000,2026-03-20T10:00:00+01:00,"
                     "voice,6\"1,+33612345678"),
            "record.quantity: \"6\\\"1\" is not an integer");
  EXPECT_EQ(RowError(Header(),
                     "PBX1,R1,+33142680000,2026-03-20T10:00:00+01:00,"
                     "telex,61,+33612345678"),
            "record.kind: \"telex\" is not a usage kind (voice, sms, mms, "
            "data, fax)");
}

TEST(UsageCsvTest, WrongCellCountIsRefused) {
  EXPECT_EQ(RowError(Header(), "PBX1,R1,+33142680000"),
            "csv: 3 cells, the header has 7 columns");
}

}  // namespace
}  // namespace billing
