// UsageIngestor::Decode, the usage record decoder of every ingest path
// (Kafka, gRPC stream, files): which bytes are a protobuf UsageRecord, which
// a JSON object, and what is refused. Cases found by the usage_decode_fuzz
// target (tests/fuzz/crashes/usage_decode_fuzz).

#include "gtest/gtest.h"
#include "services/usage_ingest.h"

namespace billing {
namespace {

v1::UsageRecord Call() {
  v1::UsageRecord r;
  r.set_platform_id("PBX1");
  r.set_record_id("0001");
  r.set_object("+33142680001");
  r.set_start_time("2026-03-20T10:00:00+01:00");
  r.set_kind(v1::USAGE_KIND_VOICE);
  r.set_quantity(61);
  r.set_destination("+33145550000");
  return r;
}

// A record whose platform_id is 123 bytes serializes as "\n{...": it is a
// protobuf record, not a JSON object, and decodes to itself.
TEST(UsageDecodeTest, ProtobufStartingLikeJsonIsProtobuf) {
  v1::UsageRecord r = Call();
  r.set_platform_id(std::string(123, 'P'));
  const std::string bytes = r.SerializeAsString();
  ASSERT_EQ(bytes.substr(0, 2), "\n{");
  auto decoded = UsageIngestor::Decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->SerializeAsString(), bytes);
}

// A protobuf record with a field UsageRecord does not have is refused, like
// a JSON object with an unknown key: nothing unchecked reaches the journal.
TEST(UsageDecodeTest, ProtobufWithAnUnknownFieldIsRefusedNamingIt) {
  std::string bytes = Call().SerializeAsString();
  bytes += std::string("\x78\x05", 2);  // field 15, varint 5
  auto decoded = UsageIngestor::Decode(bytes);
  ASSERT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("unknown field 15"),
            std::string::npos)
      << decoded.status();
}

// JSON, with or without leading whitespace, is still JSON.
TEST(UsageDecodeTest, JsonObjectIsJson) {
  auto decoded = UsageIngestor::Decode(
      "  {\"platform_id\": \"PBX1\", \"record_id\": \"0001\", \"quantity\": "
      "61}");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->platform_id(), "PBX1");
  EXPECT_EQ(decoded->quantity(), 61);
}

// Bytes that are neither are refused, with the reason.
TEST(UsageDecodeTest, GarbageIsRefused) {
  auto decoded = UsageIngestor::Decode("\xff\xff\xff\xff");
  ASSERT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("neither a protobuf UsageRecord"),
            std::string::npos);
  EXPECT_EQ(UsageIngestor::Decode("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace billing
