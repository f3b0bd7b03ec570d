// A corrupt or lost record stops its partition only, on the real server:
// embedded journal, RocksDB, projector, command lanes, gRPC on 127.0.0.1. Given
// a journal damaged in one partition / when billingd starts and serves / then
// that partition is stopped and named (status and health), its commands are
// refused without appending, every other partition serves, and
// --rebuild_partitions brings it back from the journal, byte-identical to a
// state rebuilt from scratch.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "absl/strings/str_format.h"
#include "billing/v1/customer_service.grpc.pb.h"
#include "billing/v1/operations_service.grpc.pb.h"
#include "engine/core/record_codec.h"
#include "engine/engine.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/command_processor.h"
#include "services/server.h"
#include "storage/embedded_journal.h"
#include "storage/projection.h"

namespace billing {
namespace {

constexpr int32_t kPartitions = 4;
// How long a test waits for billingd to answer one call at most.
constexpr int kCallDeadlineS = 30;

// The first customer id "P<p>C<n>" that hashes to `partition`, after `skip`
// others.
std::string CustomerOn(int32_t partition, int skip = 0) {
  for (int n = 0;; ++n) {
    std::string id = absl::StrFormat("P%dC%04d", partition, n);
    if (PartitionOf(id, kPartitions).value() == partition && skip-- == 0) {
      return id;
    }
  }
}

std::string LogFile(const std::filesystem::path& journal, int32_t p) {
  return (journal / absl::StrFormat("partition-%05d.log", p)).string();
}

class PartitionStopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrFormat(
                "partition_stop_%s_%d",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                getpid());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(root_);
  }

  void Start(std::vector<int32_t> rebuild = {}) {
    ServerOptions o;
    o.data_dir = root_.string();
    o.listen = "127.0.0.1:0";
    o.partitions = kPartitions;
    o.test_clock_date = "2026-03-01";
    o.journal_sync = false;
    o.rebuild_partitions = std::move(rebuild);
    auto server = BillingServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ =
        grpc::CreateChannel(absl::StrFormat("127.0.0.1:%d", server_->port()),
                            grpc::InsecureChannelCredentials());
  }
  void Stop() { server_.reset(); }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(kCallDeadlineS));
    return ctx;
  }

  grpc::Status Create(const std::string& id) {
    v1::CreateCustomerRequest req;
    req.set_idempotency_key("create-" + id);
    req.mutable_customer()->set_customer_id(id);
    req.mutable_customer()->set_name("Boulangerie " + id);
    v1::Customer out;
    return v1::CustomerService::NewStub(channel_)->CreateCustomer(
        Context().get(), req, &out);
  }

  grpc::Status Get(const std::string& id) {
    v1::GetCustomerRequest req;
    req.set_customer_id(id);
    v1::Customer out;
    return v1::CustomerService::NewStub(channel_)->GetCustomer(Context().get(),
                                                               req, &out);
  }

  v1::ServiceStatus Status() {
    v1::ServiceStatus out;
    grpc::Status st = v1::OperationsService::NewStub(channel_)->GetStatus(
        Context().get(), v1::GetStatusRequest(), &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  // grpc.health.v1.Health/Check for `service`, by hand on the wire:
  // HealthCheckRequest{service = 1}, HealthCheckResponse{status = 1}
  // (1 SERVING, 2 NOT_SERVING); -1 when the call fails.
  int Health(const std::string& service) {
    std::string req;
    if (!service.empty()) {
      req.push_back('\x0a');
      req.push_back(static_cast<char>(service.size()));
      req += service;
    }
    grpc::Slice slice(req);
    grpc::ByteBuffer request(&slice, 1);
    grpc::GenericStub stub(channel_);
    grpc::CompletionQueue cq;
    auto ctx = Context();
    auto call = stub.PrepareUnaryCall(ctx.get(), "/grpc.health.v1.Health/Check",
                                      request, &cq);
    call->StartCall();
    grpc::ByteBuffer response;
    grpc::Status st;
    call->Finish(&response, &st, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok) || !ok || !st.ok()) return -1;
    std::vector<grpc::Slice> slices;
    if (!response.Dump(&slices).ok()) return -1;
    std::string bytes;
    for (const auto& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return bytes.size() == 2 && bytes[0] == '\x08' ? bytes[1] : 0;
  }

  // Appends raw `value` to partition `p` of the (closed) embedded journal.
  void AppendRaw(int32_t p, const std::string& key, const std::string& value) {
    auto journal = EmbeddedJournal::Open(
        {.dir = (root_ / "journal").string(), .partition_count = kPartitions});
    ASSERT_TRUE(journal.ok()) << journal.status();
    ASSERT_TRUE((*journal)->Append(PartitionId(p), {{key, value}}).ok());
  }

  // Checksum of the state as billingd left it, and of a state rebuilt from
  // the whole journal in a fresh directory: equal when the state is exactly
  // the projection of the journal.
  std::pair<std::string, std::string> StateAndRebuildChecksums() {
    auto journal = EmbeddedJournal::Open(
        {.dir = (root_ / "journal").string(), .partition_count = kPartitions});
    EXPECT_TRUE(journal.ok()) << journal.status();
    auto state = RocksState::Open({.path = (root_ / "state").string()});
    EXPECT_TRUE(state.ok()) << state.status();
    auto fresh = RocksState::Open({.path = (root_ / "fresh").string()});
    EXPECT_TRUE(fresh.ok()) << fresh.status();
    std::vector<PartitionId> all;
    for (int32_t p = 0; p < kPartitions; ++p) all.push_back(PartitionId(p));
    EXPECT_TRUE(ProjectToEnd(**journal, **fresh, all).ok());
    return {*(*state)->Checksum(), *(*fresh)->Checksum()};
  }

  // Finding 11's scenario, with `damage` applied to partition 1's file.
  void StateAheadIsNamedAndRebuilt(
      const std::function<void(const std::string&)>& damage);

  std::filesystem::path root_;
  std::unique_ptr<BillingServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Finding 2: a record of partition 2 that is not a LogRecord stops partition
// 2 only. billingd starts (twice), serves partitions 0, 1 and 3, names
// partition 2, its offset and the reason in its status and health, and a
// command for a customer of partition 2 answers DATA_LOSS saying so, with
// nothing appended.
TEST_F(PartitionStopTest, PoisonedRecordStopsOnlyItsPartition) {
  AppendRaw(2, "P2", "\xff\xff not a record");
  for (int start = 0; start < 2; ++start) {
    Start();
    for (int32_t p : {0, 1, 3}) {
      EXPECT_TRUE(Create(CustomerOn(p, start)).ok()) << "partition " << p;
    }
    grpc::Status refused = Create(CustomerOn(2, start));
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_NE(refused.error_message().find("partition 2 is stopped"),
              std::string::npos)
        << refused.error_message();
    EXPECT_NE(refused.error_message().find("partition 2 offset 0"),
              std::string::npos)
        << refused.error_message();

    v1::ServiceStatus status = Status();
    EXPECT_TRUE(status.serving());
    ASSERT_EQ(status.partitions_size(), kPartitions);
    const v1::PartitionStatus& p2 = status.partitions(2);
    EXPECT_FALSE(p2.serving());
    EXPECT_EQ(p2.stopped_at_offset(), 0);
    EXPECT_EQ(p2.end_offset(), 1) << "the refused command appended nothing";
    EXPECT_NE(p2.reason().find("not a billing.v1.LogRecord"), std::string::npos)
        << p2.reason();
    for (int32_t p : {0, 1, 3}) EXPECT_TRUE(status.partitions(p).serving());
    EXPECT_EQ(Health(""), 1) << "the service serves its other partitions";
    EXPECT_EQ(Health("billing.partition.2"), 2);
    Stop();
  }
}

// Finding 11: a clean stop, then the journal loses its last record (its tail
// cut by 5 bytes, or a bit flipped in it). billingd starts, says the state of
// partition 1 is ahead of the journal and which offset was lost, refuses
// partition 1's commands, serves the others; --rebuild_partitions=1 rebuilds
// partition 1 from what the journal holds, and the state is then byte-identical
// to one rebuilt from the whole journal.
void FlipBit(const std::string& path, std::uintmax_t position) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(position));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x10);
  f.seekp(static_cast<std::streamoff>(position));
  f.write(&c, 1);
}

TEST_F(PartitionStopTest, StateAheadOfATruncatedJournalIsNamedAndRebuilt) {
  StateAheadIsNamedAndRebuilt([](const std::string& log) {
    std::filesystem::resize_file(log, std::filesystem::file_size(log) - 5);
  });
}

// The same with one bit flipped in the last record (its checksum fails at
// the end of the file: dropped as a torn write).
TEST_F(PartitionStopTest, StateAheadOfAFlippedLastRecordIsNamedAndRebuilt) {
  StateAheadIsNamedAndRebuilt([](const std::string& log) {
    FlipBit(log, std::filesystem::file_size(log) - 3);
  });
}

void PartitionStopTest::StateAheadIsNamedAndRebuilt(
    const std::function<void(const std::string&)>& damage) {
  Start();
  const std::string a = CustomerOn(1, 0), b = CustomerOn(1, 1),
                    c = CustomerOn(1, 2);
  for (const auto& id : {a, b, c}) ASSERT_TRUE(Create(id).ok()) << id;
  ASSERT_TRUE(Create(CustomerOn(0)).ok());
  const int64_t end = Status().partitions(1).end_offset();  // marker + 3
  ASSERT_EQ(end, 4);
  Stop();
  damage(LogFile(root_ / "journal", 1));

  Start();
  v1::PartitionStatus p1 = Status().partitions(1);
  EXPECT_FALSE(p1.serving());
  EXPECT_EQ(p1.end_offset(), 3);
  EXPECT_NE(p1.reason().find("state is ahead of the journal"),
            std::string::npos)
      << p1.reason();
  EXPECT_NE(p1.reason().find("lost records 3 to 3 of partition 1"),
            std::string::npos)
      << p1.reason();
  EXPECT_NE(p1.reason().find("--rebuild_partitions=1"), std::string::npos);
  EXPECT_EQ(Create(CustomerOn(1, 3)).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_TRUE(Create(CustomerOn(3)).ok()) << "other partitions serve";
  EXPECT_EQ(Status().partitions(1).end_offset(), 3) << "nothing appended";
  Stop();

  Start({1});
  EXPECT_TRUE(Status().partitions(1).serving());
  EXPECT_TRUE(Get(a).ok());
  EXPECT_TRUE(Get(b).ok());
  EXPECT_EQ(Get(c).error_code(), grpc::StatusCode::NOT_FOUND)
      << "its record was lost with the journal's tail";
  EXPECT_TRUE(Get(CustomerOn(0)).ok()) << "other partitions kept";
  EXPECT_TRUE(Create(c).ok()) << "partition 1 takes commands again";
  Stop();
  auto [state, rebuilt] = StateAndRebuildChecksums();
  EXPECT_EQ(state, rebuilt);
}

// Finding 2, the journal's side: a record in the middle of partition 1's
// file fails its checksum. The journal opens, billingd starts, partition 1
// is stopped naming the file and offset, its commands are refused (nothing
// appended, the file left as it was), and the other partitions serve.
TEST_F(PartitionStopTest, CorruptRecordInTheMiddleStopsOnlyItsPartition) {
  Start();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Create(CustomerOn(1, i)).ok());
  Stop();
  const std::string log = LogFile(root_ / "journal", 1);
  const auto bytes = std::filesystem::file_size(log);
  FlipBit(log, bytes / 2);
  Start();
  v1::PartitionStatus p1 = Status().partitions(1);
  EXPECT_FALSE(p1.serving());
  EXPECT_NE(p1.reason().find("corrupt record in"), std::string::npos)
      << p1.reason();
  EXPECT_NE(p1.reason().find("partition-00001.log"), std::string::npos);
  EXPECT_EQ(Create(CustomerOn(1, 5)).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_TRUE(Get(CustomerOn(1, 0)).ok()) << "queries serve the state";
  EXPECT_TRUE(Create(CustomerOn(2)).ok()) << "other partitions serve";
  Stop();
  EXPECT_EQ(std::filesystem::file_size(log), bytes);
}

// Rebuilding a partition over a whole demo data set (every domain's keys:
// customers, structure, contracts, usage, reference data) deletes exactly
// that partition's keys: after rebuilding each partition in turn, the state
// is byte-identical to one rebuilt from the whole journal.
TEST_F(PartitionStopTest, RebuildOfEachPartitionKeepsTheDemoStateExact) {
  Start();
  const char* build = std::getenv("BILLING_BUILD_DIR");
  ASSERT_NE(build, nullptr);
  const std::string demo = absl::StrFormat(
      "%s/services/billingctl --server 127.0.0.1:%d demo load > %s/demo.out "
      "2>&1",
      build, server_->port(), root_.string());
  ASSERT_EQ(std::system(demo.c_str()), 0) << "see " << root_ << "/demo.out";
  Stop();
  for (int32_t p = 0; p < kPartitions; ++p) {
    Start({p});
    EXPECT_TRUE(Status().partitions(p).serving());
    Stop();
  }
  auto [state, rebuilt] = StateAndRebuildChecksums();
  EXPECT_EQ(state, rebuilt);
}

// Finding 1, the writer's side: a record whose bytes would not decode is
// never appended. An owner name that is not UTF-8 (it comes from the host
// name) makes the ownership claim fail with INTERNAL naming the field, and
// the journal stays empty.
TEST_F(PartitionStopTest, WriterRefusesARecordThatWouldNotDecode) {
  auto journal = EmbeddedJournal::Open(
      {.dir = (root_ / "journal").string(), .partition_count = 1});
  ASSERT_TRUE(journal.ok());
  auto state = RocksState::Open({.path = (root_ / "state").string()});
  ASSERT_TRUE(state.ok());
  Projector projector(journal->get(), state->get(), {PartitionId(0)});
  ASSERT_TRUE(projector.Start().ok());
  FixedBusinessClock clock(*ParseBusinessDate("2026-03-01", "date"));
  CommandProcessorOptions o;
  o.owner = "host\xe9:1";
  auto processor = CommandProcessor::Start(
      journal->get(), state->get(), &projector, &clock, {PartitionId(0)}, o);
  ASSERT_FALSE(processor.ok());
  EXPECT_EQ(processor.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(processor.status().message().find(
                "events[0].ownership_claimed.owner is not valid UTF-8"),
            std::string::npos)
      << processor.status();
  EXPECT_EQ((*journal)->EndOffset(PartitionId(0))->value(), 0);
}

// EncodeRecord names the first invalid string, however deep.
TEST(EncodeRecordTest, NamesTheFieldThatIsNotUtf8) {
  v1::LogRecord record;
  record.set_customer_id("C1");
  record.add_events();
  auto* c = record.add_events()->mutable_customer_created()->mutable_customer();
  c->set_customer_id("C1");
  c->set_name("Caf\xe9");
  auto encoded = EncodeRecord(record);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(encoded.status().message().find(
                "events[1].customer_created.customer.name"),
            std::string::npos)
      << encoded.status();
  c->set_name("Caf\xc3\xa9");
  encoded = EncodeRecord(record);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_EQ(encoded->decoded->events(1).customer_created().customer().name(),
            "Caf\xc3\xa9");
}

}  // namespace
}  // namespace billing
