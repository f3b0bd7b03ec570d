// The usage ingest edge on real parts, over real gRPC on 127.0.0.1: the
// embedded journal, RocksDB, the projector, the command lanes and
// UsageServiceImpl, called through the generated stubs and, for bytes no
// stub would send, through a client stream of raw grpc::ByteBuffer messages.
// Given customer C1 (account ACC1, number N1 +33142680000, rate plan PRO on
// ACC1: 0.020000 EUR/min to +33, first minute then per second, set-up 0.05;
// a 61 s call is 70333 micros) / when hostile bytes come in / then they are
// quarantined as raw bytes with a reason naming the field, every journal
// record still decodes, and valid records keep being rated.

#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "billing/v1/events.pb.h"
#include "engine/core/validation.h"
#include "engine/usage/usage.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "services/outside_text.h"
#include "services/usage_service.h"
#include "storage/embedded_journal.h"
#include "storage/projection.h"

namespace billing {
namespace {

constexpr char kN1[] = "+33142680000";
// Bound of every call of these tests.
constexpr auto kCallTimeout = std::chrono::seconds(30);

std::string Json(absl::string_view record_id, absl::string_view trunk = "T1") {
  return absl::StrCat(
      "{\"platform_id\":\"PBXL\",\"record_id\":\"", record_id,
      "\",\"object\":\"", kN1,
      "\",\"start_time\":\"2026-03-20T10:00:00+01:00\",\"kind\":"
      "\"USAGE_KIND_VOICE\",\"quantity\":61,\"destination\":\"+33145550000\","
      "\"attributes\":{\"trunk\":\"",
      trunk, "\"}}");
}

v1::UsageRecord Call(absl::string_view record_id) {
  v1::UsageRecord r;
  r.set_platform_id("PBX1");
  r.set_record_id(std::string(record_id));
  r.set_object(kN1);
  r.set_start_time("2026-03-20T10:00:00+01:00");
  r.set_kind(v1::USAGE_KIND_VOICE);
  r.set_quantity(61);
  r.set_destination("+33612345678");
  return r;
}

// Voice to +33 ("France") at `price_micros` a minute, first minute then per
// second, set-up 0.05.
void AddFranceVoiceEntry(v1::RatePlanVersion& v, int64_t price_micros) {
  auto* entry = v.add_entries();
  entry->set_kind(v1::USAGE_KIND_VOICE);
  entry->set_destination_prefix("+33");
  entry->set_price_micros(price_micros);
  entry->set_per_quantity(60);
  entry->set_setup_fee_micros(50000);
  entry->set_first_increment(60);
  entry->set_increment(1);
  entry->set_zone_label("France");
}

grpc::ByteBuffer Buffer(absl::string_view bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

class UsageIngestTest : public ::testing::Test {
 protected:
  static constexpr int32_t kPartitions = 4;

  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrFormat(
                "usage_ingest_%s_%d",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                getpid());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    for (int32_t p = 0; p < kPartitions; ++p) {
      partitions_.push_back(PartitionId(p));
    }
    auto journal = EmbeddedJournal::Open(
        {.dir = (root_ / "journal").string(), .partition_count = kPartitions});
    ASSERT_TRUE(journal.ok()) << journal.status();
    journal_ = std::move(*journal);
    auto state = RocksState::Open({.path = (root_ / "state").string()});
    ASSERT_TRUE(state.ok()) << state.status();
    state_ = std::move(*state);
    projector_ =
        std::make_unique<Projector>(journal_.get(), state_.get(), partitions_);
    ASSERT_TRUE(projector_->Start().ok());
    auto processor =
        CommandProcessor::Start(journal_.get(), state_.get(), projector_.get(),
                                &clock_, partitions_, processor_options_);
    ASSERT_TRUE(processor.ok()) << processor.status();
    processor_ = std::move(*processor);
    service_ = std::make_unique<UsageServiceImpl>(processor_.get(),
                                                  state_.get(), limits_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::UsageService::NewStub(channel_);
    GivenCustomerWithPlan();
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    processor_.reset();
    projector_.reset();
    state_.reset();
    journal_.reset();
    std::filesystem::remove_all(root_);
  }

  void Given(v1::Command command, const std::string& key) {
    CommandRequest r;
    r.idempotency_key = key;
    r.command = std::move(command);
    auto answer = processor_->Execute(std::move(r));
    ASSERT_TRUE(answer.ok()) << key << ": " << answer.status();
  }

  void GivenCustomerWithPlan() {
    v1::Command c;
    c.mutable_create_customer()->mutable_customer()->set_customer_id("C1");
    c.mutable_create_customer()->mutable_customer()->set_name("ACME SA");
    Given(c, "customer");
    v1::Command entity;
    entity.mutable_structure()->set_customer_id("C1");
    auto* e =
        entity.mutable_structure()->mutable_create_entity()->mutable_entity();
    e->set_entity_id("A");
    e->set_name("Paris");
    Given(entity, "entity");
    for (int i = 0; i < 2; ++i) {
      v1::Command object;
      object.mutable_structure()->set_customer_id("C1");
      auto* o =
          object.mutable_structure()->mutable_create_object()->mutable_object();
      o->set_object_id(i == 0 ? "ACC1" : "N1");
      o->set_kind(i == 0 ? v1::OBJECT_KIND_ACCOUNT
                         : v1::OBJECT_KIND_PHONE_NUMBER);
      if (i == 1) {
        o->set_parent_id("ACC1");
        o->set_e164(kN1);
      }
      Given(object, absl::StrCat("object", i));
    }
    v1::Command plan;
    plan.mutable_usage()->set_customer_id("C1");
    auto* v =
        plan.mutable_usage()->mutable_define_plan_version()->mutable_version();
    v->set_plan_id("PRO");
    v->set_effective_from("2026-01-01T00:00:00+01:00");
    v->set_currency("EUR");
    AddFranceVoiceEntry(*v, 20000);
    Given(plan, "plan");
    v1::Command assign;
    assign.mutable_usage()->set_customer_id("C1");
    assign.mutable_usage()->mutable_assign_plan()->set_object_id("ACC1");
    assign.mutable_usage()->mutable_assign_plan()->set_plan_id("PRO");
    Given(assign, "assign");
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    return ctx;
  }

  // IngestRawUsage with these messages; the summary as "r/rated/d/q".
  std::string IngestRaw(const std::vector<v1::RawUsage>& messages) {
    auto ctx = Context();
    v1::IngestSummary summary;
    auto writer = stub_->IngestRawUsage(ctx.get(), &summary);
    for (const auto& m : messages) EXPECT_TRUE(writer->Write(m));
    writer->WritesDone();
    grpc::Status st = writer->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
    return Summary(summary);
  }

  // A client stream of raw messages to `method` (bytes no stub would send).
  std::string IngestBytes(absl::string_view method,
                          const std::vector<std::string>& messages,
                          grpc::Status* status = nullptr) {
    auto ctx = Context();
    v1::IngestSummary summary;
    const grpc::internal::RpcMethod rpc(
        std::string(method).c_str(),
        grpc::internal::RpcMethod::CLIENT_STREAMING, channel_);
    std::unique_ptr<grpc::ClientWriter<grpc::ByteBuffer>> writer(
        grpc::internal::ClientWriterFactory<grpc::ByteBuffer>::Create(
            channel_.get(), rpc, ctx.get(), &summary));
    for (const auto& m : messages) {
      if (!writer->Write(Buffer(m))) break;  // answered early: see Finish
    }
    writer->WritesDone();
    grpc::Status st = writer->Finish();
    if (status != nullptr) {
      *status = st;
    } else {
      EXPECT_TRUE(st.ok()) << st.error_message();
    }
    return Summary(summary);
  }

  static std::string Summary(const v1::IngestSummary& s) {
    return absl::StrFormat("%d/%d/%d/%d", s.received(), s.rated(),
                           s.duplicates(), s.quarantined());
  }

  std::vector<v1::QuarantinedInput> Quarantine() {
    auto q = QuarantinedInputs(*state_->Snapshot(), -1, 100);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? *q : std::vector<v1::QuarantinedInput>{};
  }

  // Every record of every partition, read back from the journal: each must
  // decode (a record that does not stops its partition for good).
  void ExpectEveryJournalRecordDecodes() {
    std::vector<std::pair<PartitionId, Offset>> start;
    int64_t total = 0;
    for (PartitionId p : partitions_) {
      start.push_back({p, Offset(0)});
      auto end = journal_->EndOffset(p);
      ASSERT_TRUE(end.ok()) << end.status();
      total += end->value();
    }
    auto reader = journal_->OpenReader(start);
    ASSERT_TRUE(reader.ok()) << reader.status();
    int64_t read = 0;
    while (read < total) {
      auto batch = (*reader)->Poll(1000, absl::Seconds(5));
      ASSERT_TRUE(batch.ok()) << batch.status();
      ASSERT_FALSE(batch->empty()) << "read " << read << " of " << total;
      for (const auto& r : *batch) {
        v1::LogRecord record;
        EXPECT_TRUE(record.ParseFromString(r.value))
            << "partition " << r.partition.value() << " offset "
            << r.offset.value();
      }
      read += static_cast<int64_t>(batch->size());
    }
  }

  // After hostile input: a valid record is still rated (the projector did
  // not stop) and the journal still decodes.
  void ExpectStillRating(absl::string_view record_id) {
    v1::RawUsage ok;
    ok.set_raw(Call(record_id).SerializeAsString());
    EXPECT_EQ(IngestRaw({ok}), "1/1/0/0");
    ExpectEveryJournalRecordDecodes();
  }

  // Set by a derived fixture's constructor, before SetUp.
  CommandProcessorOptions processor_options_;
  UsageIngestLimits limits_;
  std::filesystem::path root_;
  std::vector<PartitionId> partitions_;
  FixedBusinessClock clock_{BusinessDate(2026, 3, 20)};
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RocksState> state_;
  std::unique_ptr<Projector> projector_;
  std::unique_ptr<CommandProcessor> processor_;
  std::unique_ptr<UsageServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::UsageService::Stub> stub_;
};

// Finding 1: a Latin-1 byte in a JSON record's record_id (billingctl usage
// import lat.jsonl sends it so) is quarantined as raw bytes, the reason
// names the field, and the journal keeps decoding.
TEST_F(UsageIngestTest, JsonRecordIdNotUtf8IsQuarantinedNamingTheField) {
  v1::RawUsage m;
  m.set_raw(Json("r\xe9"));
  m.set_source("file:lat.jsonl:1");
  EXPECT_EQ(IngestRaw({m}), "1/0/0/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].input().reason(), "record.record_id: not valid UTF-8");
  EXPECT_EQ(q[0].input().raw(), Json("r\xe9"));
  EXPECT_FALSE(q[0].input().has_record());
  EXPECT_EQ(q[0].input().source(), "file:lat.jsonl:1");
  ExpectStillRating("R1");
}

// Finding 1: the byte in an attribute value, named with its key.
TEST_F(UsageIngestTest, JsonAttributeNotUtf8IsQuarantinedNamingTheKey) {
  v1::RawUsage m;
  m.set_raw(Json("R2", "caf\xe9"));
  EXPECT_EQ(IngestRaw({m}), "1/0/0/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].input().reason(),
            "record.attributes[\"trunk\"]: not valid UTF-8");
  ExpectStillRating("R3");
}

// Finding 1: a JSON escape that decodes to no character (a lone surrogate).
TEST_F(UsageIngestTest, JsonLoneSurrogateEscapeIsQuarantined) {
  v1::RawUsage m;
  m.set_raw(Json("R4", "\\udc00"));
  EXPECT_EQ(IngestRaw({m}), "1/0/0/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_TRUE(IsValidUtf8(q[0].input().reason())) << q[0].input().reason();
  ExpectStillRating("R5");
}

// Finding 1: a message protobuf's JSON parser refuses, with the invalid
// byte outside any field; its error echoes the input: the reason is UTF-8
// and bounded.
TEST_F(UsageIngestTest, BrokenJsonWithInvalidBytesGivesABoundedTextReason) {
  v1::RawUsage m;
  m.set_raw(
      absl::StrCat("{\"platform_id\":\"P\xff\xfe", std::string(5000, 'x')));
  EXPECT_EQ(IngestRaw({m}), "1/0/0/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_TRUE(IsValidUtf8(q[0].input().reason()));
  EXPECT_LE(q[0].input().reason().size(), kOutsideTextBytesMax + 3);
  EXPECT_EQ(q[0].input().raw(), m.raw());
  ExpectStillRating("R6");
}

// Finding 1, the protobuf form: a UsageRecord whose record_id is not UTF-8
// (written as bytes: no proto3 serializer would) on the IngestUsage stream.
TEST_F(UsageIngestTest, ProtobufRecordIdNotUtf8IsQuarantinedNamingTheField) {
  std::string wire = Call("XX").SerializeAsString();
  const size_t at = wire.find("XX");
  ASSERT_NE(at, std::string::npos);
  wire.replace(at, 2, "r\xe9");
  EXPECT_EQ(IngestBytes("/billing.v1.UsageService/IngestUsage", {wire}),
            "1/0/0/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].input().reason(), "record.record_id: not valid UTF-8");
  EXPECT_EQ(q[0].input().source(), "grpc:stream message 1");
  EXPECT_EQ(q[0].input().raw(), wire);
  ExpectStillRating("R7");
}

// Finding 4: [valid, ff ff ff ff, valid, valid] on IngestUsage: all four are
// accounted for; the unreadable one is quarantined as its bytes, with its
// position in the stream. (Before: received 1, rated 1, OK.)
TEST_F(UsageIngestTest, UnreadableStreamMessageIsQuarantinedAndStreamGoesOn) {
  const std::string bad("\xff\xff\xff\xff", 4);
  EXPECT_EQ(IngestBytes("/billing.v1.UsageService/IngestUsage",
                        {Call("S1").SerializeAsString(), bad,
                         Call("S2").SerializeAsString(),
                         Call("S3").SerializeAsString()}),
            "4/3/0/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].input().raw(), bad);
  EXPECT_EQ(q[0].input().source(), "grpc:stream message 2");
  EXPECT_EQ(q[0].input().reason(),
            "message: neither a protobuf UsageRecord nor a JSON object");
  auto totals = UsageTotalsFor(*state_->Snapshot(), "C1", "2026-03", "");
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].records(), 3);
  EXPECT_EQ((*totals)[0].amount_micros(), 3 * 70333);
}

// Finding 4, IngestRawUsage: a message that is not a RawUsage (here its
// source is not UTF-8) is quarantined whole, naming the field.
TEST_F(UsageIngestTest, UnreadableRawUsageMessageIsQuarantinedWhole) {
  v1::RawUsage good;
  good.set_raw(Call("S4").SerializeAsString());
  good.set_source("file:a.jsonl:1");
  std::string bad_source = good.SerializeAsString();
  bad_source.replace(bad_source.find("file:a"), 6, "file:\xe9");
  EXPECT_EQ(IngestBytes("/billing.v1.UsageService/IngestRawUsage",
                        {std::string("\xff\xff\xff\xff", 4), bad_source,
                         good.SerializeAsString()}),
            "3/1/0/2");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 2u);
  std::map<std::string, std::string> reason_of;
  for (const auto& i : q) reason_of[i.input().source()] = i.input().reason();
  EXPECT_EQ(reason_of["grpc-raw:stream message 1"],
            "message: not a billing.v1.RawUsage");
  EXPECT_EQ(reason_of["grpc-raw:stream message 2"],
            "message.source: not valid UTF-8");
  ExpectEveryJournalRecordDecodes();
}

// Finding 5, the server's side: a row the client could not convert comes
// with the client's reason, which names the field.
TEST_F(UsageIngestTest, ClientReasonIsTheQuarantineReason) {
  v1::RawUsage m;
  m.set_raw("PBX1,R8,+33142680000,2026-03-20T10:00:00+01:00,voice,,+336");
  m.set_source("file:calls.csv:2");
  m.set_client_reason("record.quantity: is empty");
  EXPECT_EQ(IngestRaw({m}), "1/0/0/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].input().reason(), "client: record.quantity: is empty");
  EXPECT_EQ(q[0].input().raw(), m.raw());
}

// Outside text in a source is cut short: a 10 KB source keeps 512 bytes.
TEST_F(UsageIngestTest, LongSourceIsCutShort) {
  v1::RawUsage m;
  m.set_raw("not a record");
  m.set_source(std::string(10000, 's'));
  EXPECT_EQ(IngestRaw({m}), "1/0/0/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].input().source(),
            absl::StrCat(std::string(kOutsideTextBytesMax, 's'), "..."));
}

// Smaller finding: reads and a replay for a customer that does not exist
// answer NOT_FOUND naming it (they answered OK with nothing).
TEST_F(UsageIngestTest, UnknownCustomerIsNotFound) {
  const std::string want = "customer_id: \"NOPE\" does not exist";
  {
    v1::GetUsageTotalsRequest req;
    req.set_customer_id("NOPE");
    req.set_month("2026-03");
    v1::GetUsageTotalsResponse resp;
    auto st = stub_->GetUsageTotals(Context().get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(st.error_message(), want);
  }
  {
    v1::ListRatedUsageRequest req;
    req.set_customer_id("NOPE");
    req.set_month("2026-03");
    v1::ListRatedUsageResponse resp;
    auto st = stub_->ListRatedUsage(Context().get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    v1::ListQuarantineRequest req;
    req.set_customer_id("NOPE");
    v1::ListQuarantineResponse resp;
    auto st = stub_->ListQuarantine(Context().get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    v1::ReplayQuarantineRequest req;
    req.set_customer_id("NOPE");
    v1::IngestSummary resp;
    auto st = stub_->ReplayQuarantine(Context().get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(st.error_message(), want);
  }
}

std::vector<std::string> Calls(absl::string_view prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Call(absl::StrCat(prefix, i)).SerializeAsString());
  }
  return out;
}

// The flake of KafkaUsageConsumerTest.RatesDeduplicatesAndQuarantinesFromKcat
// made certain: the same record ids in batches ingested at once (the Kafka
// consumer has up to 4 in flight) reach the lanes before any copy is
// projected. Each id is billed once and counted rated once; every other
// copy is a duplicate. Threads 0 and 1 send the very same batch (one key:
// the second is answered with the first's answer, replayed), threads 2 and
// 3 the shared ids with ids of their own (other keys: decided against the
// first). Before, a copy answered with the first copy's answer counted as
// rated: rated came out above 60 + 2 x 10.
TEST_F(UsageIngestTest, SameIdsInBatchesIngestedAtOnceAreRatedOnce) {
  UsageIngestor ingestor(processor_.get(), state_.get());
  for (int round = 0; round < 5; ++round) {
    const std::string shared = absl::StrCat("S", round, "-");
    std::vector<std::vector<IngestInput>> inputs(4);
    for (int t = 0; t < 4; ++t) {
      for (const std::string& raw : Calls(shared, 60)) {
        inputs[t].push_back({raw, absl::StrCat("test:", t), ""});
      }
      if (t < 2) continue;
      for (const std::string& raw :
           Calls(absl::StrCat("O", round, "-", t, "-"), 10)) {
        inputs[t].push_back({raw, absl::StrCat("test:", t), ""});
      }
    }
    std::vector<UsageIngestor::Summary> summaries(4);
    absl::Notification go;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        go.WaitForNotification();
        auto outcomes = ingestor.IngestBatch(inputs[t]);
        ASSERT_TRUE(outcomes.ok()) << outcomes.status();
        for (const auto& o : *outcomes) summaries[t].Add(o);
      });
    }
    go.Notify();
    for (auto& th : threads) th.join();
    UsageIngestor::Summary all;
    for (const auto& s : summaries) {
      all.received += s.received;
      all.rated += s.rated;
      all.duplicates += s.duplicates;
      all.quarantined += s.quarantined;
    }
    EXPECT_EQ(all.received, 4 * 60 + 2 * 10) << "round " << round;
    EXPECT_EQ(all.rated, 60 + 2 * 10) << "round " << round;
    EXPECT_EQ(all.duplicates, 3 * 60) << "round " << round;
    EXPECT_EQ(all.quarantined, 0) << "round " << round;
  }
  auto totals = UsageTotalsFor(*state_, "C1", "2026-03", "");
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].records(), 5 * (60 + 2 * 10));
  EXPECT_EQ((*totals)[0].amount_micros(), 5 * (60 + 2 * 10) * 70333);
}

// The lanes hand the effects of usage batches to the projector, which then
// does not apply them again (storage/projection.h, PrecomputedEffects).
// Given rounds of 3 concurrent ingests (20 shared ids, 5 own ids and one
// unreadable message each) with a command of C1 between rounds, until the
// projector has taken handed effects (at most 20 rounds): the state is
// byte-identical to one rebuilt from the journal record by record.
TEST_F(UsageIngestTest, HandedEffectsGiveTheStateAReplayGives) {
  UsageIngestor ingestor(processor_.get(), state_.get());
  constexpr int kRoundsMax = 20;
  int round = 0;
  for (; round < kRoundsMax && projector_->records_precomputed() == 0;
       ++round) {
    std::vector<std::vector<IngestInput>> inputs(3);
    for (int t = 0; t < 3; ++t) {
      std::vector<std::string> raws = Calls(absl::StrCat("H", round, "-"), 20);
      for (const std::string& raw :
           Calls(absl::StrCat("H", round, "-", t, "-"), 5)) {
        raws.push_back(raw);
      }
      raws.push_back("\xff\xfe not a record");
      for (const std::string& raw : raws) {
        inputs[t].push_back({raw, absl::StrCat("test:", t), ""});
      }
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        auto outcomes = ingestor.IngestBatch(inputs[t]);
        ASSERT_TRUE(outcomes.ok()) << outcomes.status();
      });
    }
    for (auto& th : threads) th.join();
    v1::Command entity;
    entity.mutable_structure()->set_customer_id("C1");
    auto* e =
        entity.mutable_structure()->mutable_create_entity()->mutable_entity();
    e->set_entity_id(absl::StrCat("E", round));
    e->set_name(absl::StrCat("Site ", round));
    Given(entity, absl::StrCat("entity-", round));
  }
  ASSERT_GT(projector_->records_precomputed(), 0)
      << "no handed effects taken in " << round << " rounds";
  auto totals = UsageTotalsFor(*state_, "C1", "2026-03", "");
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].records(), round * (20 + 3 * 5));
  EXPECT_EQ((*totals)[0].amount_micros(), round * (20 + 3 * 5) * 70333);
  auto rebuilt = RocksState::Open({.path = (root_ / "rebuilt").string()});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ASSERT_TRUE(ProjectToEnd(*journal_, **rebuilt, partitions_).ok());
  EXPECT_EQ(*(*rebuilt)->Checksum(), *state_->Checksum());
}

// IngestUsageBatches: the summary of these UsageBatch messages (typed).
std::string IngestBatches(v1::UsageService::Stub& stub,
                          const std::vector<v1::UsageBatch>& messages) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  v1::IngestSummary summary;
  auto writer = stub.IngestUsageBatches(&ctx, &summary);
  for (const auto& m : messages) EXPECT_TRUE(writer->Write(m));
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  return absl::StrFormat("%d/%d/%d/%d", summary.received(), summary.rated(),
                         summary.duplicates(), summary.quarantined());
}

v1::UsageBatch BatchOf(const std::vector<std::string>& record_ids) {
  v1::UsageBatch batch;
  for (const auto& id : record_ids) *batch.add_records() = Call(id);
  return batch;
}

constexpr char kBatches[] = "/billing.v1.UsageService/IngestUsageBatches";

// Two batch messages: [B1, B2, B1 again, ff ff ff ff, B3] and [B2 again,
// B4]. Each id is billed once (4 x 70333 micros), the copies are
// duplicates (one within a message, one across), and the unreadable record
// is quarantined with its position; the records after it are rated.
TEST_F(UsageIngestTest, BatchesWithDuplicatesAndABadRecordAreAccounted) {
  const std::string bad("\xff\xff\xff\xff", 4);
  auto wire = [](absl::string_view id) { return Call(id).SerializeAsString(); };
  EXPECT_EQ(
      IngestBytes(kBatches, {UsageBatchWire({wire("B1"), wire("B2"), wire("B1"),
                                             bad, wire("B3")}),
                             UsageBatchWire({wire("B2"), wire("B4")})}),
      "7/4/2/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].input().raw(), bad);
  EXPECT_EQ(q[0].input().source(), "grpc:batch message 1 record 4");
  EXPECT_EQ(q[0].input().reason(),
            "message: neither a protobuf UsageRecord nor a JSON object");
  auto totals = UsageTotalsFor(*state_->Snapshot(), "C1", "2026-03", "");
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].records(), 4);
  EXPECT_EQ((*totals)[0].amount_micros(), 4 * 70333);
  ExpectEveryJournalRecordDecodes();
}

// Exactly once: the same batch sent twice (a client retrying a call whose
// answer it lost) is billed once; the second call counts 3 duplicates.
TEST_F(UsageIngestTest, SameBatchSentTwiceIsBilledOnce) {
  const v1::UsageBatch batch = BatchOf({"E1", "E2", "E3"});
  EXPECT_EQ(IngestBatches(*stub_, {batch}), "3/3/0/0");
  EXPECT_EQ(IngestBatches(*stub_, {batch}), "3/0/3/0");
  auto totals = UsageTotalsFor(*state_->Snapshot(), "C1", "2026-03", "");
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].records(), 3);
  EXPECT_EQ((*totals)[0].amount_micros(), 3 * 70333);
}

// A lane keeps what records read (the objects they name, plans, plan
// versions) from one batch to the next (UsageDecideMemo); a command
// between two batches is seen by the second as if nothing were kept. The
// first batch names +33142680001, not yet a number of C1 (quarantined);
// then N2 gets that number under ACC1, and PRO gets a version from
// 2026-03-15 at 0.060000 EUR/min (first minute, then per second, set-up
// 0.05: a 61 s call is 50000 + 61000 = 111000 micros). The second batch's
// two calls are rated at 111000 each, on N1 and on N2; the first's call
// on N1 keeps its 70333.
TEST_F(UsageIngestTest, CommandsBetweenBatchesAreSeenByTheNextBatch) {
  constexpr char kN2[] = "+33142680001";
  v1::UsageBatch first = BatchOf({"M0", "M1"});
  first.mutable_records(1)->set_object(kN2);
  EXPECT_EQ(IngestBatches(*stub_, {first}), "2/1/0/1");
  v1::Command object;
  object.mutable_structure()->set_customer_id("C1");
  auto* o =
      object.mutable_structure()->mutable_create_object()->mutable_object();
  o->set_object_id("N2");
  o->set_kind(v1::OBJECT_KIND_PHONE_NUMBER);
  o->set_parent_id("ACC1");
  o->set_e164(kN2);
  Given(object, "object-N2");
  v1::Command plan;
  plan.mutable_usage()->set_customer_id("C1");
  auto* v =
      plan.mutable_usage()->mutable_define_plan_version()->mutable_version();
  v->set_plan_id("PRO");
  v->set_effective_from("2026-03-15T00:00:00+01:00");
  v->set_currency("EUR");
  AddFranceVoiceEntry(*v, 60000);
  Given(plan, "plan-from-03-15");
  v1::UsageBatch second = BatchOf({"M2", "M3"});
  second.mutable_records(1)->set_object(kN2);
  EXPECT_EQ(IngestBatches(*stub_, {second}), "2/2/0/0");
  auto totals = UsageTotalsFor(*state_->Snapshot(), "C1", "2026-03", "");
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 2u);
  std::map<std::string, std::pair<int64_t, int64_t>> by_object;
  for (const auto& t : *totals) {
    by_object[t.object_id()] = {t.records(), t.amount_micros()};
  }
  EXPECT_EQ(by_object["N1"], std::make_pair(int64_t{2}, int64_t{70333 + 111000}));
  EXPECT_EQ(by_object["N2"], std::make_pair(int64_t{1}, int64_t{111000}));
}

// At the limit, a message of 4096 records is taken whole; the next, of
// 4097, is refused naming the field, and the call says what it took.
TEST_F(UsageIngestTest, BatchOverTheRecordsLimitIsRefusedNamingTheField) {
  ASSERT_EQ(kUsageBatchMessageRecordsMax, 4096u);
  std::vector<std::string> at_limit = Calls("L", 4096);
  std::vector<std::string> over = Calls("O", 4097);
  grpc::Status st;
  IngestBytes(kBatches, {UsageBatchWire(at_limit), UsageBatchWire(over)}, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("usage_batch.records: message 2 holds "
                                    "4097 records, at most 4096"),
            std::string::npos)
      << st.error_message();
  EXPECT_NE(st.error_message().find("this call took 4096 of the 4096 records "
                                    "read (rated 4096,"),
            std::string::npos)
      << st.error_message();
  auto totals = UsageTotalsFor(*state_->Snapshot(), "C1", "2026-03", "");
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].records(), 4096);
}

// A message over 2 MiB (three records of 800,000 bytes) is refused naming
// the field, before anything of it is decoded.
TEST_F(UsageIngestTest, BatchOverTheBytesLimitIsRefusedNamingTheField) {
  const std::string big(800'000, 'x');
  grpc::Status st;
  EXPECT_EQ(IngestBytes(kBatches, {UsageBatchWire({big, big, big})}, &st),
            "0/0/0/0");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("usage_batch.records: message 1 holds "),
            std::string::npos)
      << st.error_message();
  EXPECT_NE(st.error_message().find("bytes, at most 2097152"),
            std::string::npos)
      << st.error_message();
  EXPECT_TRUE(Quarantine().empty());
}

// A message that is not a UsageBatch (field 2, a varint) is quarantined
// whole with its position; the stream goes on.
TEST_F(UsageIngestTest, MessageThatIsNotAUsageBatchIsQuarantinedWhole) {
  const std::string not_a_batch("\x10\x01", 2);
  EXPECT_EQ(
      IngestBytes(kBatches, {not_a_batch,
                             UsageBatchWire({Call("W1").SerializeAsString()})}),
      "2/1/0/1");
  auto q = Quarantine();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].input().raw(), not_a_batch);
  EXPECT_EQ(q[0].input().source(), "grpc:batch message 1");
  EXPECT_EQ(q[0].input().reason(), "message: not a billing.v1.UsageBatch");
}

class UsageIngestBudgetTest : public UsageIngestTest {
 protected:
  UsageIngestBudgetTest() {
    limits_.records_in_flight_max = 2;
    limits_.budget_wait_max = absl::Milliseconds(200);
  }
};

// Finding 13: at most records_in_flight_max records are held from the
// streams; a stream that meets the limit ingests what it holds and goes on.
// 5 records through a budget of 2: all rated.
TEST_F(UsageIngestBudgetTest, StreamLongerThanTheBudgetIsIngestedWhole) {
  EXPECT_EQ(IngestBytes("/billing.v1.UsageService/IngestUsage", Calls("B", 5)),
            "5/5/0/0");
}

// A batch message larger than the budget (5 records through 2) is taken
// in parts, whole.
TEST_F(UsageIngestBudgetTest, BatchLargerThanTheBudgetIsIngestedWhole) {
  EXPECT_EQ(IngestBytes(kBatches, {UsageBatchWire(Calls("BB", 5))}), "5/5/0/0");
}

// Two streams at once through a budget of 2, 300 records each: neither
// waits on the other for ever (a waiting stream holds nothing).
TEST_F(UsageIngestBudgetTest, ConcurrentStreamsShareTheBudget) {
  std::string a, b;
  std::thread other([&] {
    a = IngestBytes("/billing.v1.UsageService/IngestUsage", Calls("X", 300));
  });
  b = IngestBytes("/billing.v1.UsageService/IngestUsage", Calls("Y", 300));
  other.join();
  EXPECT_EQ(a, "300/300/0/0");
  EXPECT_EQ(b, "300/300/0/0");
}

class UsageIngestNoBudgetTest : public UsageIngestTest {
 protected:
  UsageIngestNoBudgetTest() {
    limits_.records_in_flight_max = 0;
    limits_.budget_wait_max = absl::Milliseconds(100);
  }
};

// The wait for the budget is bounded: past budget_wait_max the call answers
// UNAVAILABLE saying what it took (nothing), never OK.
TEST_F(UsageIngestNoBudgetTest, BudgetWaitIsBoundedAndSaysWhatWasTaken) {
  grpc::Status st;
  IngestBytes("/billing.v1.UsageService/IngestUsage", Calls("Z", 3), &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(st.error_message().find("this call took 0 of the 1 messages read"),
            std::string::npos)
      << st.error_message();
}

class UsageIngestFullLaneTest : public UsageIngestTest {
 protected:
  UsageIngestFullLaneTest() {
    processor_options_.queue_commands_max = 1;
    // Commands of 8 records: the stream's 512 are 64 commands for one lane.
    limits_.ingest.records_per_command_max = 8;
    limits_.attempts_max = 3;
    limits_.retry_backoff = absl::Milliseconds(1);
  }
};

// Finding 12: a batch the lanes refuse ("partition N has 1 commands
// waiting") is tried attempts_max times, backing off, then the call answers
// UNAVAILABLE with what it took: the retries have a limit.
TEST_F(UsageIngestFullLaneTest, FullLaneRetriesAreBoundedAndSayWhatWasTaken) {
  grpc::Status st;
  IngestBytes("/billing.v1.UsageService/IngestUsage", Calls("F", 512), &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(st.error_message().find("commands waiting"), std::string::npos)
      << st.error_message();
  EXPECT_NE(st.error_message().find("this call took 0 of the 512 messages"),
            std::string::npos)
      << st.error_message();
}

}  // namespace
}  // namespace billing
