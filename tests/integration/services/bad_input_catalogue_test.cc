// The bad-input catalogue: one table, one row
// per class of hostile input (and per field where the rule is per field),
// run against the real server parts on 127.0.0.1: embedded journal, RocksDB,
// projector, command lanes, the gRPC services, called through their stubs
// (and, for bytes a typed stub would not send, through a generic stub).
//
// A refused row asserts the exact status code, the field named in the
// message, a short message (outside values quoted as a prefix, never whole),
// and that nothing changed: the checksum of the whole state and the end
// offset of every journal partition are the same after the call as before.
// A quarantined row (usage input, where a stream must go on) asserts that
// the call is OK, that exactly one quarantine entry was added naming the
// field, that no total changed, and that every partition still serves (the
// record written decodes and applies).
//
// Rows whose fix has not landed yet carry `pending` (the reason) and are
// skipped; flipping one is deleting its reason. BILLING_CATALOGUE_RUN_PENDING=1
// runs them anyway, to see which pass already.

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "billing/v1/contract_service.grpc.pb.h"
#include "billing/v1/customer_service.grpc.pb.h"
#include "billing/v1/operations_service.grpc.pb.h"
#include "billing/v1/structure_service.grpc.pb.h"
#include "billing/v1/usage_service.grpc.pb.h"
#include "engine/core/state.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/server.h"
#include "storage/rocks_state.h"

namespace billing {
namespace {

constexpr int32_t kPartitions = 4;
// How long one call may take at most.
constexpr int kCallDeadlineS = 30;
// Longest error message a row accepts: a message quotes a short prefix of an
// outside value, never the whole of it.
constexpr size_t kMessageMax = 512;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
// The customer of the base state, its phone number and the month of usage.
constexpr char kCustomer[] = "CAT1";
constexpr char kNumber[] = "+33142680001";
constexpr char kMonth[] = "2026-03";
// Replaced, in serialized requests, by bytes that are not UTF-8 (same
// length, so that no length prefix changes).
constexpr char kMarker[] = "~MARK~";

// billingd itself (services/server.h), on 127.0.0.1, with its state and
// journal reachable so that a row can read the state's checksum and the
// journal's end offsets: the catalogue tests the very wiring billingd runs.
struct Parts {
  std::filesystem::path root;
  std::unique_ptr<BillingServer> server;
  std::shared_ptr<grpc::Channel> channel;
};

absl::Status StartParts(Parts& p) {
  ServerOptions o;
  o.data_dir = p.root.string();
  o.listen = "127.0.0.1:0";
  o.partitions = kPartitions;
  o.test_clock_date = "2026-03-20";
  o.journal_sync = false;  // the catalogue measures no durability
  auto server = BillingServer::Start(o);
  if (!server.ok()) return server.status();
  p.server = std::move(*server);
  p.channel =
      grpc::CreateChannel(absl::StrFormat("127.0.0.1:%d", p.server->port()),
                          grpc::InsecureChannelCredentials());
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(kCallDeadlineS));
  return ctx;
}

// A fresh idempotency key per command: a refused command is not remembered,
// but a key reused with another request would be refused for that instead.
std::string Key() {
  static std::atomic<int> n{0};
  return absl::StrCat("catalogue-", n++);
}

// A number of its own for each id a row creates: a row whose input was
// wrongly accepted leaves its customer, entity or object behind, and the
// next row must still be refused for its own input, not for that one.
int Fresh() {
  static std::atomic<int> n{0};
  return n++;
}

// What a row's call returned: its status, and for ingest the summary.
struct Answer {
  Answer() = default;
  explicit Answer(grpc::Status s) : status(std::move(s)) {}
  grpc::Status status;
  v1::IngestSummary summary;
};

// The stubs a row calls, and raw calls for bytes no typed stub would send.
class Client {
 public:
  explicit Client(std::shared_ptr<grpc::Channel> channel)
      : channel_(channel),
        customers_(v1::CustomerService::NewStub(channel)),
        structure_(v1::BillingStructureService::NewStub(channel)),
        contracts_(v1::ContractService::NewStub(channel)),
        usage_(v1::UsageService::NewStub(channel)),
        operations_(v1::OperationsService::NewStub(channel)) {}

  v1::CustomerService::Stub& customers() { return *customers_; }
  v1::BillingStructureService::Stub& structure() { return *structure_; }
  v1::ContractService::Stub& contracts() { return *contracts_; }
  v1::UsageService::Stub& usage() { return *usage_; }
  v1::OperationsService::Stub& operations() { return *operations_; }

  // One unary call of `method` ("/billing.v1.X/Y") with `request` as bytes.
  grpc::Status RawUnary(const std::string& method, const std::string& request);
  // One client-streaming call of `method`, a message per element; the
  // response's bytes in `*response`.
  grpc::Status RawStream(const std::string& method,
                         const std::vector<std::string>& messages,
                         std::string* response);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::BillingStructureService::Stub> structure_;
  std::unique_ptr<v1::ContractService::Stub> contracts_;
  std::unique_ptr<v1::UsageService::Stub> usage_;
  std::unique_ptr<v1::OperationsService::Stub> operations_;
};

grpc::ByteBuffer Bytes(const std::string& s) {
  grpc::Slice slice(s);
  return grpc::ByteBuffer(&slice, 1);
}

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// Waits for the next event of `cq` (each step below has one in flight).
bool Next(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

void Drain(grpc::CompletionQueue& cq) {
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

grpc::Status Client::RawUnary(const std::string& method,
                              const std::string& request) {
  grpc::GenericStub stub(channel_);
  grpc::CompletionQueue cq;
  auto ctx = Context();
  grpc::ByteBuffer in = Bytes(request), out;
  grpc::Status status;
  auto call = stub.PrepareUnaryCall(ctx.get(), method, in, &cq);
  call->StartCall();
  call->Finish(&out, &status, reinterpret_cast<void*>(1));
  Next(cq);
  Drain(cq);
  return status;
}

grpc::Status Client::RawStream(const std::string& method,
                               const std::vector<std::string>& messages,
                               std::string* response) {
  grpc::GenericStub stub(channel_);
  grpc::CompletionQueue cq;
  auto ctx = Context();
  auto call = stub.PrepareCall(ctx.get(), method, &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  bool open = Next(cq);
  for (size_t i = 0; open && i < messages.size(); ++i) {
    call->Write(Bytes(messages[i]), reinterpret_cast<void*>(2));
    open = Next(cq);
  }
  if (open) {
    call->WritesDone(reinterpret_cast<void*>(3));
    Next(cq);
  }
  grpc::ByteBuffer out;
  call->Read(&out, reinterpret_cast<void*>(4));
  if (Next(cq)) *response = ToString(out);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  Next(cq);
  Drain(cq);
  return status;
}

// --- The base state every row starts from ---------------------------------

v1::CreateCustomerRequest NewCustomer(const std::string& id) {
  v1::CreateCustomerRequest r;
  r.set_idempotency_key(Key());
  r.mutable_customer()->set_customer_id(id);
  r.mutable_customer()->set_name("Catalogue SA");
  return r;
}

v1::CreateBillingEntityRequest NewEntity(const std::string& id) {
  v1::CreateBillingEntityRequest r;
  r.set_idempotency_key(Key());
  r.set_customer_id(kCustomer);
  r.mutable_entity()->set_entity_id(id);
  r.mutable_entity()->set_name("Entity " + id);
  return r;
}

v1::CreateObjectRequest NewObject(const std::string& id, v1::ObjectKind kind,
                                  const std::string& parent,
                                  const std::string& e164) {
  v1::CreateObjectRequest r;
  r.set_idempotency_key(Key());
  r.set_customer_id(kCustomer);
  r.mutable_object()->set_object_id(id);
  r.mutable_object()->set_kind(kind);
  r.mutable_object()->set_parent_id(parent);
  r.mutable_object()->set_e164(e164);
  r.mutable_object()->set_label("Object " + id);
  return r;
}

// A plan with one SMS entry (the issue's plan PM) and one voice entry.
v1::DefineRatePlanVersionRequest NewPlan(const std::string& plan_id) {
  v1::DefineRatePlanVersionRequest r;
  r.set_idempotency_key(Key());
  r.set_customer_id(kCustomer);
  v1::RatePlanVersion* v = r.mutable_version();
  v->set_plan_id(plan_id);
  v->set_effective_from("2026-01-01T00:00:00Z");
  v->set_currency("EUR");
  v1::RateEntry* sms = v->add_entries();
  sms->set_kind(v1::USAGE_KIND_SMS);
  sms->set_price_micros(100000);
  sms->set_per_quantity(1);
  sms->set_increment(1);
  v1::RateEntry* voice = v->add_entries();
  voice->set_kind(v1::USAGE_KIND_VOICE);
  voice->set_destination_prefix("+33");
  voice->set_price_micros(20000);
  voice->set_per_quantity(60);
  voice->set_increment(1);
  voice->set_zone_label("France");
  return r;
}

v1::ContractCommandRequest NewContractCommand(const std::string& customer) {
  v1::ContractCommandRequest r;
  r.set_idempotency_key(Key());
  r.set_business_date("2026-01-10");
  r.mutable_command()->set_customer_id(customer);
  return r;
}

v1::ContractCommandRequest NewArticle() {
  v1::ContractCommandRequest r = NewContractCommand("@reference");
  v1::Article* a =
      r.mutable_command()->mutable_define_article()->mutable_article();
  a->set_article_code("MAINT");
  a->set_label("Maintenance");
  a->set_vat_rate_bp(2000);
  return r;
}

v1::ContractCommandRequest NewContract(const std::string& ref) {
  v1::ContractCommandRequest r = NewContractCommand(kCustomer);
  v1::Contract* c =
      r.mutable_command()->mutable_create_contract()->mutable_contract();
  c->set_contract_ref(ref);
  c->set_contract_family("MAINT");
  c->set_billing_family("SERV");
  c->set_start_date("2026-01-01");
  return r;
}

// A flat rule of 100.00 a month in advance on contract K1.
v1::ContractCommandRequest NewFlatRule(const std::string& rule_id) {
  v1::ContractCommandRequest r = NewContractCommand(kCustomer);
  v1::BillingRule* rule =
      r.mutable_command()->mutable_create_rule()->mutable_rule();
  rule->set_contract_ref("K1");
  rule->set_rule_id(rule_id);
  rule->set_rule_type(v1::RULE_TYPE_FLAT);
  rule->add_object_ids("EQ-" + rule_id);
  rule->set_article_code("MAINT");
  rule->set_unit_price_micros(100'000000);
  rule->set_cost_price_micros(60'000000);
  rule->set_periodicity(v1::PERIODICITY_MONTHLY);
  rule->set_timing(v1::BILLING_TIMING_IN_ADVANCE);
  rule->set_start_date("2026-01-15");
  return r;
}

v1::ContractCommandRequest NewMeterRule() {
  v1::ContractCommandRequest r = NewContractCommand(kCustomer);
  v1::BillingRule* rule =
      r.mutable_command()->mutable_create_rule()->mutable_rule();
  rule->set_contract_ref("K1");
  rule->set_rule_id("METER");
  rule->set_rule_type(v1::RULE_TYPE_CONSUMED_UNITS);
  rule->add_object_ids("COPIER-1");
  rule->set_article_code("MAINT");
  rule->set_unit_price_micros(50000);
  rule->set_periodicity(v1::PERIODICITY_MONTHLY);
  return r;
}

v1::ContractCommandRequest NewReading(const std::string& date,
                                      int64_t value_milli,
                                      v1::ReadingKind kind) {
  v1::ContractCommandRequest r = NewContractCommand(kCustomer);
  r.set_business_date(date);
  v1::Reading* reading =
      r.mutable_command()->mutable_record_reading()->mutable_reading();
  reading->set_contract_ref("K1");
  reading->set_rule_id("METER");
  reading->set_object_id("COPIER-1");
  reading->set_reading_date(date);
  reading->set_kind(kind);
  reading->set_value_milli(value_milli);
  return r;
}

v1::ContractCommandRequest NewIncrease() {
  v1::ContractCommandRequest r = NewContractCommand(kCustomer);
  v1::ScheduleIncrease* s = r.mutable_command()->mutable_schedule_increase();
  s->set_contract_ref("K1");
  s->set_rule_id("R1");
  s->mutable_increase()->set_effective_date("2026-03-01");
  s->mutable_increase()->set_kind(v1::INCREASE_KIND_CUSTOM_PERCENT);
  s->mutable_increase()->set_percent_bp(300);
  s->mutable_increase()->set_reason("3 % from March");
  return r;
}

// A call (or, by `kind`, messages) of `quantity` on the base number, in
// March.
v1::UsageRecord NewCall(const std::string& record_id, int64_t quantity,
                        v1::UsageKind kind = v1::USAGE_KIND_VOICE) {
  v1::UsageRecord u;
  u.set_platform_id("PBXL");
  u.set_record_id(record_id);
  u.set_object(kNumber);
  u.set_start_time("2026-03-20T10:00:00+01:00");
  u.set_kind(kind);
  u.set_quantity(quantity);
  u.set_destination("+33145550000");
  return u;
}

// --- The table -------------------------------------------------------------

enum class Expect {
  // Refused with `code` naming `field`; state and journal unchanged.
  kRefused,
  // Ingest answers OK and quarantines the one input, naming `field`; no
  // total changes; every partition still serves.
  kQuarantined,
  // A stream holding an unreadable message is accounted for: OK with every
  // message counted (the unreadable one quarantined), or an error that says
  // why; never OK for fewer messages than were sent.
  kStreamAccounted,
};

using Call = std::function<Answer(Client&)>;

struct Row {
  // Test name: "F<finding>_<what>", "FS_" for the smaller findings (A-Z a-z
  // 0-9 _ only).
  std::string name;
  Expect expect = Expect::kRefused;
  grpc::StatusCode code = grpc::StatusCode::INVALID_ARGUMENT;
  // Named in the error message (or the quarantine reason).
  std::string field;
  Call call;
  // Empty: the fix landed and the row runs. Else why it is skipped (whose
  // fix it waits for).
  std::string pending;
  // More text the message must hold, and text it must not.
  std::vector<std::string> also;
  std::string absent;
  // kQuarantined from raw input: the bytes the quarantine must keep, byte
  // for byte (in its `bytes` field); empty: not checked.
  std::string raw;
  // kStreamAccounted: the messages in one IngestUsageBatches message.
  bool batched = false;
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

template <typename T>
using Edit = std::function<void(T&)>;

Call CreateCustomer(Edit<v1::CreateCustomerRequest> edit) {
  return [edit](Client& c) {
    v1::CreateCustomerRequest r = NewCustomer(absl::StrCat("CN", Fresh()));
    edit(r);
    v1::Customer out;
    return Answer{c.customers().CreateCustomer(Context().get(), r, &out)};
  };
}

Call CreateEntity(Edit<v1::CreateBillingEntityRequest> edit) {
  return [edit](Client& c) {
    v1::CreateBillingEntityRequest r = NewEntity(absl::StrCat("E", Fresh()));
    edit(r);
    v1::BillingEntity out;
    return Answer{c.structure().CreateBillingEntity(Context().get(), r, &out)};
  };
}

Call CreateObject(Edit<v1::CreateObjectRequest> edit) {
  return [edit](Client& c) {
    const int n = Fresh();
    v1::CreateObjectRequest r =
        NewObject(absl::StrCat("N", n), v1::OBJECT_KIND_PHONE_NUMBER, "ACC1",
                  absl::StrFormat("+33143%06d", n));
    edit(r);
    v1::BillableObject out;
    return Answer{c.structure().CreateObject(Context().get(), r, &out)};
  };
}

Call DefinePlan(Edit<v1::DefineRatePlanVersionRequest> edit) {
  return [edit](Client& c) {
    v1::DefineRatePlanVersionRequest r = NewPlan("PM");
    edit(r);
    v1::RatePlanVersion out;
    return Answer{c.usage().DefineRatePlanVersion(Context().get(), r, &out)};
  };
}

Call ExecuteContract(std::function<v1::ContractCommandRequest()> make,
                     Edit<v1::ContractCommandRequest> edit) {
  return [make, edit](Client& c) {
    v1::ContractCommandRequest r = make();
    edit(r);
    v1::ContractAnswer out;
    return Answer{c.contracts().Execute(Context().get(), r, &out)};
  };
}

Call Ingest(v1::UsageRecord record) {
  return [record](Client& c) {
    Answer a;
    auto ctx = Context();
    auto writer = c.usage().IngestUsage(ctx.get(), &a.summary);
    writer->Write(record);
    writer->WritesDone();
    a.status = writer->Finish();
    return a;
  };
}

constexpr char kBatchesMethod[] = "/billing.v1.UsageService/IngestUsageBatches";

// One IngestUsageBatches message holding `records` as they are (bytes a
// typed stub would not send).
Call IngestBatch(std::vector<std::string> records) {
  return [records](Client& c) {
    Answer a;
    std::string response;
    a.status =
        c.RawStream(kBatchesMethod, {UsageBatchWire(records)}, &response);
    if (a.status.ok()) a.summary.ParseFromString(response);
    return a;
  };
}

Call IngestRaw(std::string raw) {
  return [raw](Client& c) {
    Answer a;
    auto ctx = Context();
    auto writer = c.usage().IngestRawUsage(ctx.get(), &a.summary);
    v1::RawUsage message;
    message.set_raw(raw);
    message.set_source("file:catalogue.jsonl:1");
    writer->Write(message);
    writer->WritesDone();
    a.status = writer->Finish();
    return a;
  };
}

// `request` serialized with kMarker (in the field under test) replaced by
// `bad` padded to the marker's length: bytes a typed stub would not send.
std::string WithBadBytes(const google::protobuf::Message& request,
                         std::string bad) {
  bad.resize(sizeof(kMarker) - 1, 'x');
  std::string bytes = SerializeDeterministic(request);
  EXPECT_TRUE(absl::StrContains(bytes, kMarker));
  return absl::StrReplaceAll(bytes, {{kMarker, bad}});
}

Call RawUnary(std::string method, const google::protobuf::Message& request,
              std::string bad) {
  std::string bytes = WithBadBytes(request, bad);
  return
      [method, bytes](Client& c) { return Answer{c.RawUnary(method, bytes)}; };
}

// Customer CAT1 with entity PARIS, account ACC1 and number N1 (kNumber)
// priced by plan PRO; reference article MAINT; contract K1 with a flat rule
// R1 and a consumed-units rule METER read 1,000 (installation, 01-02) and
// 1,300 (02-10); one March call rated.
absl::Status LoadBaseState(Client& c) {
  using CR = v1::ContractCommandRequest;
  auto none = [](CR&) {};
  auto object = [](std::string id, v1::ObjectKind kind, std::string parent,
                   std::string e164) {
    return CreateObject([=](v1::CreateObjectRequest& r) {
      r = NewObject(id, kind, parent, e164);
    });
  };
  const std::vector<Call> steps = {
      CreateCustomer([](v1::CreateCustomerRequest& r) {
        r.mutable_customer()->set_customer_id(kCustomer);
      }),
      CreateEntity(
          [](v1::CreateBillingEntityRequest& r) { r = NewEntity("PARIS"); }),
      object("ACC1", v1::OBJECT_KIND_ACCOUNT, "", ""),
      object("N1", v1::OBJECT_KIND_PHONE_NUMBER, "ACC1", kNumber),
      DefinePlan([](v1::DefineRatePlanVersionRequest& r) {
        r.mutable_version()->set_plan_id("PRO");
      }),
      [](Client& c) {
        v1::AssignRatePlanRequest r;
        r.set_idempotency_key(Key());
        r.set_customer_id(kCustomer);
        r.set_object_id("ACC1");
        r.set_plan_id("PRO");
        v1::AssignRatePlanResponse out;
        return Answer{c.usage().AssignRatePlan(Context().get(), r, &out)};
      },
      ExecuteContract(NewArticle, none),
      ExecuteContract([] { return NewContract("K1"); }, none),
      ExecuteContract([] { return NewFlatRule("R1"); }, none),
      ExecuteContract(NewMeterRule, none),
      ExecuteContract(
          [] {
            return NewReading("2026-01-02", 1'000'000,
                              v1::READING_KIND_INSTALLATION);
          },
          none),
      ExecuteContract(
          [] {
            return NewReading("2026-02-10", 1'300'000,
                              v1::READING_KIND_REGULAR);
          },
          none),
      Ingest(NewCall("BASE-1", 61)),
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    const Answer a = steps[i](c);
    if (!a.status.ok()) {
      return absl::InternalError(absl::StrFormat("base state step %d: %d %s", i,
                                                 a.status.error_code(),
                                                 a.status.error_message()));
    }
  }
  return absl::OkStatus();
}

std::string Long(size_t n, char c = 'A') { return std::string(n, c); }

Row Refused(std::string name, std::string field, Call call,
            std::string pending = "") {
  Row row;
  row.name = std::move(name);
  row.field = std::move(field);
  row.call = std::move(call);
  row.pending = std::move(pending);
  return row;
}

Row Quarantined(std::string name, std::string field, Call call,
                std::string pending = "") {
  Row row = Refused(std::move(name), std::move(field), std::move(call),
                    std::move(pending));
  row.expect = Expect::kQuarantined;
  row.code = grpc::StatusCode::OK;
  return row;
}

// Finding 7: every string field has a length limit; over it,
// INVALID_ARGUMENT naming the field and the length (`len`), quoting a short
// prefix.
Row TooLong(size_t len, std::string name, std::string field, Call call,
            std::string pending) {
  Row row = Refused(std::move(name), std::move(field), std::move(call),
                    std::move(pending));
  row.also = {absl::StrCat(len)};
  return row;
}

std::vector<Row> CustomerLengthRows() {
  const std::string p = "";  // landed in e1dde74 (H4)
  const auto n = TooLong;
  using CC = v1::CreateCustomerRequest;
  return {
      n(8000, "F7_CustomerIdOf8000Chars", "customer.customer_id",
        CreateCustomer(
            [](CC& r) { r.mutable_customer()->set_customer_id(Long(8000)); }),
        p),
      n(10240, "F7_CustomerIdOf10KB", "customer.customer_id",
        CreateCustomer(
            [](CC& r) { r.mutable_customer()->set_customer_id(Long(10240)); }),
        p),
      n(10240, "F7_CustomerNameOf10KB", "customer.name",
        CreateCustomer(
            [](CC& r) { r.mutable_customer()->set_name(Long(10240, 'a')); }),
        p),
      n(10240, "F7_CustomerEmailOf10KB", "customer.email",
        CreateCustomer([](CC& r) {
          r.mutable_customer()->set_email(Long(10230, 'a') + "@x.example");
        }),
        p),
      n(10240, "F7_AddressLineOf10KB", "customer.billing_address",
        CreateCustomer([](CC& r) {
          r.mutable_customer()->mutable_billing_address()->add_lines(
              Long(10240, 'a'));
        }),
        p),
      n(10240, "F7_IdempotencyKeyOf10KB", "idempotency_key",
        CreateCustomer([](CC& r) { r.set_idempotency_key(Long(10240)); }), p),
      n(10240, "F7_BusinessDateOf10KB", "business_date",
        CreateCustomer([](CC& r) { r.set_business_date(Long(10240, '1')); }),
        p),
      n(
          8000, "F7_GetCustomerIdOf8000Chars", "customer_id",
          [](Client& c) {
            v1::GetCustomerRequest r;
            r.set_customer_id(Long(8000));
            v1::Customer out;
            return Answer{c.customers().GetCustomer(Context().get(), r, &out)};
          },
          p),
  };
}

std::vector<Row> OtherLengthRows() {
  const std::string p = "";  // landed in e1dde74 (H4)
  const auto n = TooLong;
  using CR = v1::ContractCommandRequest;
  return {
      n(10240, "F7_EntityIdOf10KB", "entity.entity_id",
        CreateEntity([](v1::CreateBillingEntityRequest& r) {
          r.mutable_entity()->set_entity_id(Long(10240));
        }),
        p),
      n(10240, "F7_EntityNameOf10KB", "entity.name",
        CreateEntity([](v1::CreateBillingEntityRequest& r) {
          r.mutable_entity()->set_name(Long(10240, 'a'));
        }),
        p),
      n(10240, "F7_ObjectIdOf10KB", "object.object_id",
        CreateObject([](v1::CreateObjectRequest& r) {
          r.mutable_object()->set_object_id(Long(10240));
        }),
        p),
      n(10240, "F7_ObjectLabelOf10KB", "object.label",
        CreateObject([](v1::CreateObjectRequest& r) {
          r.mutable_object()->set_label(Long(10240, 'a'));
        }),
        p),
      n(10240, "F7_ContractRefOf10KB", "contract.contract_ref",
        ExecuteContract([] { return NewContract(absl::StrCat("K", Fresh())); },
                        [](CR& r) {
                          r.mutable_command()
                              ->mutable_create_contract()
                              ->mutable_contract()
                              ->set_contract_ref(Long(10240));
                        }),
        p),
      n(10240, "F7_ContractFamilyOf10KB", "contract.contract_family",
        ExecuteContract([] { return NewContract(absl::StrCat("K", Fresh())); },
                        [](CR& r) {
                          r.mutable_command()
                              ->mutable_create_contract()
                              ->mutable_contract()
                              ->set_contract_family(Long(10240));
                        }),
        p),
      n(10240, "F7_RuleLabelOf10KB", "rule.label",
        ExecuteContract([] { return NewFlatRule(absl::StrCat("R", Fresh())); },
                        [](CR& r) {
                          r.mutable_command()
                              ->mutable_create_rule()
                              ->mutable_rule()
                              ->set_label(Long(10240, 'a'));
                        }),
        p),
      n(10240, "F7_IncreaseReasonOf10KB", "increase.reason",
        ExecuteContract(NewIncrease,
                        [](CR& r) {
                          r.mutable_command()
                              ->mutable_schedule_increase()
                              ->mutable_increase()
                              ->set_reason(Long(10240, 'a'));
                        }),
        p),
      n(10240, "F7_PlanIdOf10KB", "version.plan_id",
        DefinePlan([](v1::DefineRatePlanVersionRequest& r) {
          r.mutable_version()->set_plan_id(Long(10240));
        }),
        p),
      n(10240, "F9_ZoneLabelOf10KB", "zone_label",
        DefinePlan([](v1::DefineRatePlanVersionRequest& r) {
          r.mutable_version()->mutable_entries(1)->set_zone_label(
              Long(10240, 'a'));
        }),
        p),
  };
}

// Finding 8: bytes that are not UTF-8 (a lone 0xff, an overlong "/", a
// surrogate) in a unary request's text: INVALID_ARGUMENT naming the field.
std::vector<Row> NotUtf8Rows() {
  const std::string p = "";  // landed in d7c916b (the request guard)
  const std::string create = "/billing.v1.CustomerService/CreateCustomer";
  const std::string execute = "/billing.v1.ContractService/Execute";
  v1::CreateCustomerRequest name = NewCustomer("CAT-UTF8");
  name.mutable_customer()->set_name(absl::StrCat("Caf", kMarker));
  v1::CreateCustomerRequest id = NewCustomer(absl::StrCat("C", kMarker));
  v1::CreateCustomerRequest key = NewCustomer("CAT-UTF8");
  key.set_idempotency_key(absl::StrCat("k", kMarker));
  v1::CreateBillingEntityRequest entity = NewEntity("LYON");
  entity.mutable_entity()->set_name(absl::StrCat("Lyon ", kMarker));
  v1::CreateObjectRequest object =
      NewObject("N9", v1::OBJECT_KIND_PHONE_NUMBER, "ACC1", "+33142680009");
  object.mutable_object()->set_label(absl::StrCat("Line ", kMarker));
  v1::ContractCommandRequest family = NewContract("K9");
  family.mutable_command()
      ->mutable_create_contract()
      ->mutable_contract()
      ->set_contract_family(absl::StrCat("M", kMarker));
  v1::ContractCommandRequest reason = NewIncrease();
  reason.mutable_command()
      ->mutable_schedule_increase()
      ->mutable_increase()
      ->set_reason(absl::StrCat("r", kMarker));
  return {
      Refused("F8_CustomerNameWithByteFF", "customer.name",
              RawUnary(create, name, "\xff"), p),
      Refused("F8_CustomerNameWithOverlongSequence", "customer.name",
              RawUnary(create, name, "\xc0\xaf"), p),
      Refused("F8_CustomerNameWithSurrogate", "customer.name",
              RawUnary(create, name, "\xed\xa0\x80"), p),
      Refused("F8_CustomerIdWithByteFF", "customer.customer_id",
              RawUnary(create, id, "\xff"), p),
      Refused("F8_IdempotencyKeyWithByteFF", "idempotency_key",
              RawUnary(create, key, "\xff"), p),
      Refused("F8_EntityNameWithByteFF", "entity.name",
              RawUnary("/billing.v1.BillingStructureService/"
                       "CreateBillingEntity",
                       entity, "\xff"),
              p),
      Refused("F8_ObjectLabelWithByteFF", "object.label",
              RawUnary("/billing.v1.BillingStructureService/CreateObject",
                       object, "\xff"),
              p),
      Refused("F8_ContractFamilyWithByteFF", "contract.contract_family",
              RawUnary(execute, family, "\xff"), p),
      Refused("F8_IncreaseReasonWithByteFF", "increase.reason",
              RawUnary(execute, reason, "\xff"), p),
  };
}

// Findings 3 and 9: rate plans refused at definition, naming the field: a
// documented maximum per price, fee and increment (so that no product in
// rating overflows), a known time zone, digit prefixes, at least one entry
// and no duplicate entry.
std::vector<Row> PlanRows() {
  // Landed in 947e816 (H1).
  const std::string p3 = "";
  const std::string p9 = "";
  using DP = v1::DefineRatePlanVersionRequest;
  auto entry = [](std::function<void(v1::RateEntry&)> edit) {
    return DefinePlan(
        [edit](DP& r) { edit(*r.mutable_version()->mutable_entries(0)); });
  };
  return {
      Refused("F3_PlanPriceOfInt64Max", "price_micros",
              entry([](v1::RateEntry& e) { e.set_price_micros(kInt64Max); }),
              p3),
      Refused("F3_PlanIncrementOfInt64Max", "increment",
              entry([](v1::RateEntry& e) { e.set_increment(kInt64Max); }), p3),
      Refused("F3_PlanFirstIncrementOfInt64Max", "first_increment",
              entry([](v1::RateEntry& e) { e.set_first_increment(kInt64Max); }),
              p3),
      Refused(
          "F3_PlanSetupFeeOfInt64Max", "setup_fee_micros",
          entry([](v1::RateEntry& e) { e.set_setup_fee_micros(kInt64Max); }),
          p3),
      Refused("F9_PlanTimeZoneOnMars", "version.time_zone",
              DefinePlan([](DP& r) {
                r.mutable_version()->set_time_zone("Mars/Olympus");
              }),
              p9),
      Refused("F9_PlanPrefixOfLetters", "destination_prefix",
              entry([](v1::RateEntry& e) { e.set_destination_prefix("abc"); }),
              p9),
      Refused("F9_PlanWithoutEntries", "version.entries",
              DefinePlan([](DP& r) { r.mutable_version()->clear_entries(); }),
              p9),
      Refused("F9_PlanWithDuplicateEntries", "version.entries",
              DefinePlan([](DP& r) {
                *r.mutable_version()->add_entries() = r.version().entries(1);
              }),
              p9),
  };
}

// Findings 6 and 10: contracts refuse what no due computation can bill.
std::vector<Row> ContractRows() {
  const std::string p6 = "";  // landed in 7cda985 (H3)
  using CR = v1::ContractCommandRequest;
  auto rule = [](std::function<void(v1::BillingRule&)> edit) {
    return ExecuteContract(
        [] { return NewFlatRule(absl::StrCat("R", Fresh())); },
        [edit](CR& r) {
          edit(*r.mutable_command()->mutable_create_rule()->mutable_rule());
        });
  };
  return {
      Refused("F6_RuleQuantityOfInt64Max", "rule.quantity_milli",
              rule([](v1::BillingRule& r) { r.set_quantity_milli(kInt64Max); }),
              p6),
      Refused(
          "F6_RuleUnitPriceOfInt64Max", "rule.unit_price_micros",
          rule([](v1::BillingRule& r) { r.set_unit_price_micros(kInt64Max); }),
          p6),
      Refused(
          "F6_RuleCostPriceOfInt64Max", "rule.cost_price_micros",
          rule([](v1::BillingRule& r) { r.set_cost_price_micros(kInt64Max); }),
          p6),
      Refused("F6_SyntecNewIndexOfInt64Max", "increase.new_index_micros",
              ExecuteContract(
                  NewIncrease,
                  [](CR& r) {
                    v1::PriceIncrease* i = r.mutable_command()
                                               ->mutable_schedule_increase()
                                               ->mutable_increase();
                    i->set_kind(v1::INCREASE_KIND_SYNTEC);
                    i->set_percent_bp(0);
                    i->mutable_syntec()->set_a_micros(150000);
                    i->mutable_syntec()->set_b_micros(850000);
                    i->mutable_syntec()->set_index_code("SYNTEC");
                    i->mutable_syntec()->set_reference_index_micros(100'000000);
                    i->set_new_index_micros(kInt64Max);
                  }),
              p6),
      Refused(
          "F6_ReadingOfInt64Max", "reading.value_milli",
          [](Client& c) {
            v1::ContractAnswer out;
            return Answer{c.contracts().Execute(
                Context().get(),
                NewReading("2026-03-16", kInt64Max, v1::READING_KIND_REGULAR),
                &out)};
          },
          p6),
      Refused("F6_IndexPublicationOfInt64Max", "publication.value_micros",
              ExecuteContract([] { return NewContractCommand("@reference"); },
                              [](CR& r) {
                                v1::IndexPublication* i =
                                    r.mutable_command()
                                        ->mutable_publish_index()
                                        ->mutable_publication();
                                i->set_index_code("SYNTEC");
                                i->set_publication_date("2026-02-01");
                                i->set_value_micros(kInt64Max);
                              }),
              p6),
      Refused("F6_HourlyRateOfInt64Max", "rate.rate_micros",
              ExecuteContract([] { return NewContractCommand("@reference"); },
                              [](CR& r) {
                                v1::HourlyRate* h =
                                    r.mutable_command()
                                        ->mutable_set_hourly_rate()
                                        ->mutable_rate();
                                h->set_person_id("JDOE");
                                h->set_effective_date("2026-01-01");
                                h->set_rate_micros(kInt64Max);
                              }),
              p6),
  };
}

// Finding 10: a reading below the meter's previous reading (not only its
// last billed one) is refused unless it is a replacement, naming the field,
// both values and dates.
Row BackwardsReadingRow() {
  Row backwards = Refused(
      "F10_ReadingBelowThePreviousOne", "reading.value_milli",
      [](Client& c) {
        v1::ContractAnswer out;
        return Answer{c.contracts().Execute(
            Context().get(),
            NewReading("2026-03-15", 1'100'000, v1::READING_KIND_REGULAR),
            &out)};
      },
      "");
  // The issue names no code; 7cda985 refuses it FAILED_PRECONDITION (it
  // depends on the meter's state: STYLE.md, "illegal now").
  backwards.code = grpc::StatusCode::FAILED_PRECONDITION;
  backwards.also = {"2026-02-10", "2026-03-15"};
  return backwards;
}

std::string JsonCall(const std::string& record_id,
                     const std::string& attribute) {
  return absl::StrCat(
      R"({"platform_id":"PBXL","record_id":")", record_id,
      R"(","object":"+33142680001","start_time":"2026-03-20T10:00:00+01:00",)",
      R"("kind":"USAGE_KIND_VOICE","quantity":61,"destination":"+33145550000")",
      attribute.empty() ? ""
                        : R"(,"attributes":{"trunk":")" + attribute + "\"}",
      "}");
}

Row QuarantinedRaw(std::string name, std::string field, std::string raw,
                   std::string pending) {
  Row row = Quarantined(std::move(name), std::move(field), IngestRaw(raw),
                        std::move(pending));
  row.raw = std::move(raw);
  return row;
}

// A record in an IngestUsageBatches message, quarantined as QuarantinedRaw's
// input is.
Row QuarantinedBatch(std::string name, std::string field, std::string record) {
  Row row =
      Quarantined(std::move(name), std::move(field), IngestBatch({record}), "");
  row.raw = std::move(record);
  return row;
}

// Findings 1, 3 and 4: usage input that no customer can take is
// quarantined, naming the field, with every text in it valid UTF-8 (the
// record written decodes: the partition keeps serving).
std::vector<Row> UsageRows() {
  const std::string p1 = "";  // landed in 742bafd (H2)
  const std::string p3 = "";  // landed in 947e816 (H1)
  v1::UsageRecord proto = NewCall(absl::StrCat("r", kMarker), 61);
  // Finding 7 on usage records: over a length limit, quarantined naming
  // the field and the length.
  const std::string p7 = "";  // landed with the lead's rating.cc change
  Row long_id = Quarantined("F7_UsageRecordIdOf10KB", "record.record_id",
                            Ingest(NewCall(Long(10240), 61)), p7);
  long_id.also = {"10240"};
  v1::UsageRecord attribute = NewCall("F7-ATTR", 61);
  (*attribute.mutable_attributes())["trunk"] = Long(10240, 'a');
  Row long_attribute = Quarantined("F7_UsageAttributeOf10KB",
                                   "record.attributes", Ingest(attribute), p7);
  long_attribute.also = {"10240"};
  Row stream;
  stream.name = "F4_StreamWithAnUnreadableMessage";
  stream.expect = Expect::kStreamAccounted;
  // The same in one IngestUsageBatches message (issue 14).
  Row batch;
  batch.name = "F4_BatchWithAnUnreadableRecord";
  batch.expect = Expect::kStreamAccounted;
  batch.batched = true;
  Row batch_utf8 = QuarantinedBatch("F1_BatchProtobufRecordIdNotUtf8",
                                    "record_id", WithBadBytes(proto, "\xe9"));
  std::vector<std::string> over(kUsageBatchMessageRecordsMax + 1,
                                SerializeDeterministic(NewCall("F7-N", 61)));
  Row batch_over = Refused("F7_UsageBatchOf4097Records", "usage_batch.records",
                           IngestBatch(std::move(over)), "");
  batch_over.also = {"4097", "at most 4096"};
  return {
      batch,
      batch_utf8,
      batch_over,
      QuarantinedRaw("F1_RawJsonRecordIdNotUtf8", "record_id",
                     JsonCall("r\xe9", ""), p1),
      QuarantinedRaw("F1_RawJsonAttributeNotUtf8", "attributes",
                     JsonCall("F1-ATTR", "t\xe9"), p1),
      QuarantinedRaw("F1_RawProtobufRecordIdNotUtf8", "record_id",
                     WithBadBytes(proto, "\xe9"), p1),
      long_id,
      long_attribute,
      Quarantined("F3_SmsQuantityOfInt64Max", "quantity",
                  Ingest(NewCall("F3-SMS", kInt64Max, v1::USAGE_KIND_SMS)), p3),
      Quarantined("F3_VoiceQuantityOfInt64Max", "quantity",
                  Ingest(NewCall("F3-VOICE", kInt64Max)), p3),
      stream,
  };
}

// The smaller findings.
std::vector<Row> SmallerRows() {
  // Landed in e1dde74 (H4).
  const std::string names = "";
  const std::string kind99 = "";
  const std::string unknown = "";  // landed in 742bafd (H2)
  const std::string p = "";        // landed in e7c1f82 (H4);
  using CC = v1::CreateCustomerRequest;
  Row kind =
      Refused("FS_ObjectKind99", "object.kind",
              CreateObject([](v1::CreateObjectRequest& r) {
                r.mutable_object()->set_kind(static_cast<v1::ObjectKind>(99));
              }),
              kind99);
  kind.absent = "is required";
  Row totals = Refused(
      "FS_TotalsOfAnUnknownCustomer", "NOBODY",
      [](Client& c) {
        v1::GetUsageTotalsRequest r;
        r.set_customer_id("NOBODY");
        r.set_month(kMonth);
        v1::GetUsageTotalsResponse out;
        return Answer{c.usage().GetUsageTotals(Context().get(), r, &out)};
      },
      unknown);
  totals.code = grpc::StatusCode::NOT_FOUND;
  Row replay = Refused(
      "FS_ReplayOfAnUnknownCustomer", "NOBODY",
      [](Client& c) {
        v1::ReplayQuarantineRequest r;
        r.set_customer_id("NOBODY");
        v1::IngestSummary out;
        return Answer{c.usage().ReplayQuarantine(Context().get(), r, &out)};
      },
      unknown);
  replay.code = grpc::StatusCode::NOT_FOUND;
  return {
      Refused(
          "FS_CustomerNameOfThreeSpaces", "customer.name",
          CreateCustomer([](CC& r) { r.mutable_customer()->set_name("   "); }),
          names),
      Refused("FS_CustomerNameWithZeroWidthSpace", "customer.name",
              CreateCustomer([](CC& r) {
                r.mutable_customer()->set_name("Acme\u200bSA");
              }),
              names),
      Refused("FS_CustomerNameWithRightToLeftOverride", "customer.name",
              CreateCustomer([](CC& r) {
                r.mutable_customer()->set_name("Acme \u202eAS");
              }),
              names),
      kind,
      totals,
      replay,
      Refused(
          "FS_AssignPlanToAnEmptyObjectId", "object_id",
          [](Client& c) {
            v1::AssignRatePlanRequest r;
            r.set_idempotency_key(Key());
            r.set_customer_id(kCustomer);
            r.set_plan_id("PRO");
            v1::AssignRatePlanResponse out;
            return Answer{c.usage().AssignRatePlan(Context().get(), r, &out)};
          },
          p),
  };
}

// The text rule of the smaller findings on every name and label, not only
// the customer's: a zero-width space (U+200B) or a right-to-left override
// (U+202E) is refused naming the field.
std::vector<Row> InvisibleCharacterRows() {
  using CR = v1::ContractCommandRequest;
  const std::string zwsp = "Nom\u200bcache", rlo = "Nom \u202eesrever";
  return {
      Refused("FS_EntityNameWithZeroWidthSpace", "entity.name",
              CreateEntity([zwsp](v1::CreateBillingEntityRequest& r) {
                r.mutable_entity()->set_name(zwsp);
              })),
      Refused("FS_ObjectLabelWithRightToLeftOverride", "object.label",
              CreateObject([rlo](v1::CreateObjectRequest& r) {
                r.mutable_object()->set_label(rlo);
              })),
      Refused("FS_RuleLabelWithZeroWidthSpace", "rule.label",
              ExecuteContract(
                  [] { return NewFlatRule(absl::StrCat("R", Fresh())); },
                  [zwsp](CR& r) {
                    r.mutable_command()
                        ->mutable_create_rule()
                        ->mutable_rule()
                        ->set_label(zwsp);
                  })),
      Refused("FS_ArticleLabelWithRightToLeftOverride", "article.label",
              ExecuteContract(NewArticle,
                              [rlo](CR& r) {
                                v1::Article* a = r.mutable_command()
                                                     ->mutable_define_article()
                                                     ->mutable_article();
                                a->set_article_code(
                                    absl::StrCat("ART", Fresh()));
                                a->set_label(rlo);
                              })),
  };
}

// Findings 7 and 8 on more fields, and on read requests: the guard and the
// length rule are shared mechanisms, so every path gets them.
std::vector<Row> MoreFieldRows() {
  const std::string create = "/billing.v1.CustomerService/CreateCustomer";
  v1::CreateCustomerRequest line = NewCustomer("CAT-LINE");
  line.mutable_customer()->mutable_billing_address()->add_lines(
      absl::StrCat("1 rue ", kMarker));
  v1::ContractCommandRequest label = NewFlatRule("R-UTF8");
  label.mutable_command()->mutable_create_rule()->mutable_rule()->set_label(
      absl::StrCat("L", kMarker));
  v1::DefineRatePlanVersionRequest zone = NewPlan("P-UTF8");
  zone.mutable_version()->mutable_entries(1)->set_zone_label(
      absl::StrCat("Z", kMarker));
  v1::GetContractRequest get;
  get.set_customer_id(kCustomer);
  get.set_contract_ref(absl::StrCat("K", kMarker));
  return {
      Refused("F8_AddressLineWithByteFF", "customer.billing_address.lines",
              RawUnary(create, line, "\xff")),
      Refused("F8_RuleLabelWithByteFF", "rule.label",
              RawUnary("/billing.v1.ContractService/Execute", label, "\xff")),
      Refused("F8_ZoneLabelWithByteFF", "zone_label",
              RawUnary("/billing.v1.UsageService/DefineRatePlanVersion", zone,
                       "\xff")),
      Refused("F8_GetContractRefWithByteFF", "contract_ref",
              RawUnary("/billing.v1.ContractService/GetContract", get, "\xff")),
      TooLong(
          10240, "F7_GetContractRefOf10KB", "contract_ref",
          [](Client& c) {
            v1::GetContractRequest r;
            r.set_customer_id(kCustomer);
            r.set_contract_ref(Long(10240));
            v1::ContractDetails out;
            return Answer{c.contracts().GetContract(Context().get(), r, &out)};
          },
          ""),
      // A token is not a text of the caller's: named, never quoted, and its
      // length need not be said.
      Refused(
          "F7_ListObjectsPageTokenOf10KB", "page_token",
          [](Client& c) {
            v1::ListObjectsRequest r;
            r.set_customer_id(kCustomer);
            r.set_page_token(Long(10240));
            v1::ListObjectsResponse out;
            return Answer{c.structure().ListObjects(Context().get(), r, &out)};
          },
          ""),
      TooLong(
          10240, "F7_TotalsMonthOf10KB", "month",
          [](Client& c) {
            v1::GetUsageTotalsRequest r;
            r.set_customer_id(kCustomer);
            r.set_month(Long(10240, '2'));
            v1::GetUsageTotalsResponse out;
            return Answer{c.usage().GetUsageTotals(Context().get(), r, &out)};
          },
          ""),
  };
}

std::vector<Row> Rows() {
  std::vector<Row> rows;
  for (auto part : {CustomerLengthRows(), OtherLengthRows(), NotUtf8Rows(),
                    PlanRows(), ContractRows(), UsageRows(), SmallerRows(),
                    InvisibleCharacterRows(), MoreFieldRows()}) {
    for (Row& row : part) rows.push_back(std::move(row));
  }
  rows.push_back(BackwardsReadingRow());
  return rows;
}

// --- The test ----------------------------------------------------------------

// A quarantine entry: its reason, and the raw bytes of an input.
struct Held {
  std::string reason;
  std::string raw;
};

// What a refused row must leave as it was.
struct Snapshot {
  std::string checksum;
  std::vector<int64_t> end_offsets;
};

class BadInputCatalogueTest : public ::testing::TestWithParam<Row> {
 protected:
  static void SetUpTestSuite() {
    parts_ = new Parts();
    parts_->root = std::filesystem::path(::testing::TempDir()) /
                   absl::StrFormat("bad_input_catalogue_%d", getpid());
    std::filesystem::remove_all(parts_->root);
    *base_ = StartParts(*parts_);
    if (!base_->ok()) return;
    client_ = new Client(parts_->channel);
    *base_ = LoadBaseState(*client_);
  }
  static void TearDownTestSuite() {
    delete client_;
    client_ = nullptr;
    const std::filesystem::path root = parts_->root;
    delete parts_;
    parts_ = nullptr;
    std::filesystem::remove_all(root);
  }

  Snapshot Take();
  // Every quarantine entry (of no customer, and of kCustomer), by its bytes,
  // with its reason.
  std::map<std::string, Held> Quarantine();
  std::string Totals();
  void ExpectEveryPartitionServes();
  void ExpectMessage(const std::string& message);
  void ExpectRefused();
  void ExpectQuarantined();
  void ExpectStreamAccounted();

  static Parts* parts_;
  static Client* client_;
  static absl::Status* base_;
};

Parts* BadInputCatalogueTest::parts_ = nullptr;
Client* BadInputCatalogueTest::client_ = nullptr;
absl::Status* BadInputCatalogueTest::base_ = new absl::Status();

Snapshot BadInputCatalogueTest::Take() {
  Snapshot s;
  auto checksum = parts_->server->state().Checksum();
  EXPECT_TRUE(checksum.ok()) << checksum.status();
  if (checksum.ok()) s.checksum = *checksum;
  for (int32_t p = 0; p < kPartitions; ++p) {
    auto end = parts_->server->journal().EndOffset(PartitionId(p));
    EXPECT_TRUE(end.ok()) << end.status();
    s.end_offsets.push_back(end.ok() ? end->value() : -1);
  }
  return s;
}

std::map<std::string, Held> BadInputCatalogueTest::Quarantine() {
  std::map<std::string, Held> out;
  for (const std::string customer : {"", kCustomer}) {
    v1::ListQuarantineRequest r;
    r.set_customer_id(customer);
    r.set_limit(10000);
    v1::ListQuarantineResponse held;
    grpc::Status s = client_->usage().ListQuarantine(Context().get(), r, &held);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& i : held.inputs()) {
      out[SerializeDeterministic(i)] = {i.input().reason(), i.input().raw()};
    }
    for (const auto& q : held.records()) {
      out[SerializeDeterministic(q)] = {q.reason(), ""};
    }
  }
  return out;
}

std::string BadInputCatalogueTest::Totals() {
  v1::GetUsageTotalsRequest r;
  r.set_customer_id(kCustomer);
  r.set_month(kMonth);
  v1::GetUsageTotalsResponse out;
  grpc::Status s = client_->usage().GetUsageTotals(Context().get(), r, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return SerializeDeterministic(out);
}

void BadInputCatalogueTest::ExpectEveryPartitionServes() {
  v1::ServiceStatus status;
  grpc::Status s = client_->operations().GetStatus(
      Context().get(), v1::GetStatusRequest(), &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(status.serving()) << status.failure();
  for (const auto& p : status.partitions()) {
    EXPECT_TRUE(p.serving())
        << "partition " << p.partition() << " stopped: " << p.reason();
  }
}

void BadInputCatalogueTest::ExpectMessage(const std::string& message) {
  const Row& row = GetParam();
  EXPECT_TRUE(absl::StrContains(message, row.field))
      << "the message does not name " << row.field << ": " << message;
  for (const std::string& also : row.also) {
    EXPECT_TRUE(absl::StrContains(message, also))
        << "the message does not say " << also << ": " << message;
  }
  if (!row.absent.empty()) {
    EXPECT_FALSE(absl::StrContains(message, row.absent)) << message;
  }
  EXPECT_LE(message.size(), kMessageMax)
      << "the message quotes too much: " << message.substr(0, kMessageMax);
}

void BadInputCatalogueTest::ExpectRefused() {
  const Row& row = GetParam();
  const Snapshot before = Take();
  const Answer a = row.call(*client_);
  std::cout << "answered " << a.status.error_code() << ": "
            << absl::CHexEscape(a.status.error_message().substr(0, 300))
            << std::endl;
  EXPECT_EQ(a.status.error_code(), row.code)
      << a.status.error_message().substr(0, kMessageMax);
  ExpectMessage(a.status.error_message());
  const Snapshot after = Take();
  EXPECT_EQ(after.checksum, before.checksum) << "the state changed";
  EXPECT_EQ(after.end_offsets, before.end_offsets)
      << "a journal record was appended";
}

void BadInputCatalogueTest::ExpectQuarantined() {
  const Row& row = GetParam();
  const auto held_before = Quarantine();
  const std::string totals_before = Totals();
  const Answer a = row.call(*client_);
  ASSERT_TRUE(a.status.ok())
      << a.status.error_code() << " " << a.status.error_message();
  EXPECT_EQ(a.summary.received(), 1) << a.summary.DebugString();
  EXPECT_EQ(a.summary.quarantined(), 1) << a.summary.DebugString();
  EXPECT_EQ(a.summary.rated(), 0) << a.summary.DebugString();
  ExpectEveryPartitionServes();
  std::vector<Held> added;
  for (const auto& [bytes, held] : Quarantine()) {
    if (!held_before.contains(bytes)) added.push_back(held);
  }
  ASSERT_EQ(added.size(), 1u) << "one quarantine entry per input";
  std::cout << "quarantined: "
            << absl::CHexEscape(added[0].reason.substr(0, 300)) << std::endl;
  ExpectMessage(added[0].reason);
  if (!row.raw.empty()) {
    EXPECT_EQ(added[0].raw, row.raw) << "the input's bytes, as received";
  }
  EXPECT_EQ(Totals(), totals_before) << "a total changed";
}

// Finding 4: [valid, the bytes ff ff ff ff, valid, valid] on IngestUsage,
// or in one IngestUsageBatches message.
void BadInputCatalogueTest::ExpectStreamAccounted() {
  // Record ids of their own (Key()): rated, not duplicates, on a repeat too.
  std::vector<std::string> messages = {
      SerializeDeterministic(NewCall("F4-" + Key(), 61)), "\xff\xff\xff\xff",
      SerializeDeterministic(NewCall("F4-" + Key(), 61)),
      SerializeDeterministic(NewCall("F4-" + Key(), 61))};
  std::string response;
  const bool batched = GetParam().batched;
  const grpc::Status s = client_->RawStream(
      batched ? kBatchesMethod : "/billing.v1.UsageService/IngestUsage",
      batched ? std::vector<std::string>{UsageBatchWire(messages)} : messages,
      &response);
  ExpectEveryPartitionServes();
  if (!s.ok()) {
    EXPECT_NE(s.error_code(), grpc::StatusCode::UNKNOWN) << s.error_message();
    EXPECT_FALSE(s.error_message().empty()) << "an error that names nothing";
    EXPECT_LE(s.error_message().size(), kMessageMax);
    std::cout << "answered " << s.error_code() << ": "
              << absl::CHexEscape(s.error_message().substr(0, 300))
              << std::endl;
    return;
  }
  v1::IngestSummary summary;
  ASSERT_TRUE(summary.ParseFromString(response));
  std::cout << "answered OK: " << summary.ShortDebugString() << std::endl;
  EXPECT_EQ(summary.received(), 4) << summary.DebugString();
  EXPECT_EQ(summary.rated(), 3) << summary.DebugString();
  EXPECT_EQ(summary.quarantined(), 1) << summary.DebugString();
}

// One row of the catalogue; its name says the finding and the input.
TEST_P(BadInputCatalogueTest, Row) {
  const Row& row = GetParam();
  // BILLING_CATALOGUE_RUN_PENDING=1 runs the pending rows too: which of them
  // pass already.
  const char* run_pending = std::getenv("BILLING_CATALOGUE_RUN_PENDING");
  if (!row.pending.empty() &&
      (run_pending == nullptr || std::string(run_pending) != "1")) {
    GTEST_SKIP() << "pending: " << row.pending;
  }
  ASSERT_TRUE(base_->ok()) << *base_;
  switch (row.expect) {
    case Expect::kRefused:
      ExpectRefused();
      break;
    case Expect::kQuarantined:
      ExpectQuarantined();
      break;
    case Expect::kStreamAccounted:
      ExpectStreamAccounted();
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Issue9, BadInputCatalogueTest,
                         ::testing::ValuesIn(Rows()),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace billing
