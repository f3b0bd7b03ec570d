// usage_ingest_bench: usage ingest end to end, in one process wired as
// billingd wires it with --kafka_brokers (KafkaJournal for the events,
// RocksDB state, projector, command lanes, UsageIngestor, KafkaUsageConsumer),
// against the ceiling of this machine measured in the same run.
//
//   usage_ingest_bench --records=50000 [--brokers=HOST:PORT]
//
// Phases, on one broker (the mock cluster; started here unless --brokers):
//   1. preload: `records` protobuf UsageRecords produced to a fresh usage
//      topic (keyed by phone number, 800 numbers of 8 customers).
//   2. ceiling: a loop that only consumes those records from the same broker
//      (same batch size, same fetch settings) and writes each batch to
//      RocksDB (the raw records and the offsets, one WriteBatch, synced, as
//      the consumer stores its offsets), no decoding, no rating.
//   3. end to end: KafkaUsageConsumer from the earliest offset: re-key
//      (directory lookup), rate, append to the Kafka journal, project into
//      RocksDB, store the offsets. records/s until every record is rated.
//   4. latency: with the consumer at the tail, records produced at a fixed
//      rate (--latency_load of phase 3's rate) for --latency_seconds; for
//      each, Kafka CreateTime -> its batch's offsets stored (rated and
//      durable), p50/p99/max.
//   5. replay: the whole state rebuilt from the events journal into a fresh
//      RocksDB (ProjectToEnd), usage records/s, and whether it is
//      byte-identical to the live state (the consumer's offsets aside).
// Prints one "result ..." line (key=value) that bench/run_usage_ingest.sh
// formats into bench/results/usage_ingest.txt.

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/core/fingerprint.h"
#include "engine/core/state.h"
#include "engine/usage/usage.h"
#include "services/kafka_usage_consumer.h"
#include "storage/embedded_journal.h"
#include "storage/kafka_journal.h"
#include "storage/projection.h"
#include "tools/kafka_broker_process.h"

ABSL_FLAG(int64_t, records, 50000, "Records of the preload (phases 2, 3).");
ABSL_FLAG(std::string, brokers, "",
          "Bootstrap servers of a running broker whose topics "
          "--events_topic and --usage_topic exist (fresh); empty: start a "
          "mock broker here.");
ABSL_FLAG(std::string, events_topic, "bench.events", "Events topic.");
ABSL_FLAG(std::string, usage_topic, "bench.usage", "Usage topic.");
ABSL_FLAG(int32_t, events_partitions, 4,
          "Partitions of the events topic (when started here).");
ABSL_FLAG(int32_t, usage_partitions, 4,
          "Partitions of the usage topic (when started here).");
ABSL_FLAG(int64_t, batch, 1000, "batch_records_max of the consumer.");
ABSL_FLAG(int64_t, in_flight, 8,
          "batches_in_flight of the consumer (billingd's default: 8).");
ABSL_FLAG(int64_t, lane_in_flight, 4,
          "batches_in_flight_max of each command lane (billingd's default: "
          "4; 1 waits for each batch's projection).");
ABSL_FLAG(bool, offer_effects, true,
          "offer_effects of the command lanes (billingd's default: true; "
          "false: the projector applies every record again).");
ABSL_FLAG(double, latency_seconds, 5, "Duration of the latency phase.");
ABSL_FLAG(double, latency_load, 0.5,
          "Produce rate of the latency phase, as a fraction of phase 3's.");
ABSL_FLAG(std::string, dir, "", "Scratch directory (default: a temp dir).");
ABSL_FLAG(int32_t, fetch_wait_ms, 100,
          "fetch.wait.max.ms of the journal readers and the consumers "
          "(billingd's --kafka_fetch_wait_ms; its default is 100).");
ABSL_FLAG(std::string, journal, "kafka",
          "Journal of the events: kafka (billingd with --kafka_brokers: the "
          "events topic on the same broker) or embedded (billingd's default "
          "journal, fdatasync per append; the usage topic still on Kafka).");
ABSL_FLAG(std::string, label, "", "Label printed with the result.");
ABSL_FLAG(std::string, records_csv, "",
          "Also write the preload's records to this CSV file (platform_id, "
          "record_id, object, start_time, kind, quantity, destination), for "
          "bench/pg_baseline.sh to load the same records into PostgreSQL.");
ABSL_FLAG(std::string, totals_csv, "",
          "After phase 3, write the month's totals of every customer "
          "(UsageTotalsFor) to this CSV file (customer, object, kind, zone, "
          "records, quantity, billed_quantity, amount_micros), sorted.");
ABSL_FLAG(bool, replay, true,
          "Phase 5: rebuild the state from the journal and time it.");

namespace billing {
namespace {

constexpr int kCustomers = 8;
constexpr int kNumbersPerCustomer = 100;
constexpr absl::Duration kPhaseTimeout = absl::Seconds(240);

std::string Number(int customer, int n) {
  return absl::StrFormat("+331420%d%04d", customer, n);
}

v1::UsageRecord MakeRecord(int64_t i, const std::string& prefix) {
  v1::UsageRecord r;
  r.set_platform_id("PBX1");
  r.set_record_id(absl::StrCat(prefix, i));
  const int n = static_cast<int>(i % (kCustomers * kNumbersPerCustomer));
  r.set_object(Number(n % kCustomers, n / kCustomers));
  r.set_start_time(absl::StrFormat("2026-03-%02dT%02d:%02d:00+01:00",
                                   1 + i % 28, i % 24, i % 60));
  r.set_kind(v1::USAGE_KIND_VOICE);
  r.set_quantity(1 + i % 300);
  r.set_destination("+33612345678");
  return r;
}

struct ProducerDeleter {
  void operator()(rd_kafka_t* p) const {
    rd_kafka_flush(p, 30000);
    rd_kafka_destroy(p);
  }
};

absl::StatusOr<std::unique_ptr<rd_kafka_t, ProducerDeleter>> NewProducer(
    const std::string& brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", brokers},
           {"linger.ms", "5"},
           {"queue.buffering.max.messages", "1000000"},
           {"enable.idempotence", "true"}}) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(err);
    }
  }
  rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (p == nullptr) return absl::InternalError(err);
  return std::unique_ptr<rd_kafka_t, ProducerDeleter>(p);
}

absl::Status Produce(rd_kafka_t* p, const std::string& topic,
                     const v1::UsageRecord& r) {
  const std::string value = r.SerializeAsString();
  while (true) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        p, RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_KEY(r.object().data(), r.object().size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return absl::UnavailableError(rd_kafka_err2str(err));
    }
    rd_kafka_poll(p, 10);  // serve delivery reports to make room
  }
  rd_kafka_poll(p, 0);
  return absl::OkStatus();
}

// Phase 2: consume every record of `topic` from offset 0 and write each
// batch (raw records + offsets) in one synced WriteBatch; records/s.
absl::StatusOr<double> Ceiling(const std::string& brokers,
                               const std::string& topic, int32_t partitions,
                               int64_t records, size_t batch_max,
                               RocksState& state) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", brokers},
           {"group.id", absl::StrCat("bench.ceiling.", getpid())},
           {"enable.auto.commit", "false"},
           {"enable.auto.offset.store", "false"},
           {"auto.offset.reset", "error"},
           {"enable.partition.eof", "false"},
           {"check.crcs", "true"},
           {"fetch.wait.max.ms",
            absl::StrCat(absl::GetFlag(FLAGS_fetch_wait_ms))}}) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(err);
    }
  }
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (c == nullptr) return absl::InternalError(err);
  rd_kafka_poll_set_consumer(c);
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = 0;
  }
  const absl::Time start = absl::Now();
  rd_kafka_assign(c, list);
  rd_kafka_topic_partition_list_destroy(list);
  int64_t consumed = 0;
  absl::Status status;
  const absl::Time deadline = start + kPhaseTimeout;
  while (consumed < records && absl::Now() < deadline) {
    OverlayState batch(&state);
    std::map<int32_t, int64_t> next;
    size_t n = 0;
    while (n < batch_max) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c, n == 0 ? 100 : 0);
      if (m == nullptr) break;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        batch.Put(
            absl::StrCat("bench/raw/", m->partition, "/", m->offset),
            absl::string_view(static_cast<const char*>(m->payload), m->len));
        next[m->partition] = m->offset + 1;
        ++n;
      }
      rd_kafka_message_destroy(m);
    }
    if (n == 0) continue;
    for (const auto& [p, o] : next) {
      batch.Put(absl::StrCat("bench/off/", p), absl::StrCat(o));
    }
    if (status = state.Commit(batch, /*sync=*/true); !status.ok()) break;
    consumed += static_cast<int64_t>(n);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  if (!status.ok()) return status;
  if (consumed < records) {
    return absl::DeadlineExceededError(
        absl::StrCat("ceiling consumed ", consumed, " of ", records));
  }
  return consumed / seconds;
}

absl::Status Setup(CommandProcessor& commands) {
  int key = 0;
  auto run = [&](std::vector<v1::Command> batch) -> absl::Status {
    std::vector<CommandRequest> requests;
    for (auto& c : batch) {
      CommandRequest r;
      r.idempotency_key = absl::StrCat("setup-", ++key);
      r.command = std::move(c);
      requests.push_back(std::move(r));
    }
    for (const auto& r : commands.ExecuteBatch(std::move(requests))) {
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  };
  std::vector<v1::Command> step;
  for (int c = 0; c < kCustomers; ++c) {
    v1::Command x;
    x.mutable_create_customer()->mutable_customer()->set_customer_id(
        absl::StrCat("BENCH", c));
    x.mutable_create_customer()->mutable_customer()->set_name("Bench");
    step.push_back(x);
  }
  if (auto s = run(std::move(step)); !s.ok()) return s;
  step.clear();
  for (int c = 0; c < kCustomers; ++c) {
    v1::Command x;
    x.mutable_structure()->set_customer_id(absl::StrCat("BENCH", c));
    auto* e = x.mutable_structure()->mutable_create_entity()->mutable_entity();
    e->set_entity_id("A");
    e->set_name("Site");
    step.push_back(x);
  }
  if (auto s = run(std::move(step)); !s.ok()) return s;
  step.clear();
  for (int c = 0; c < kCustomers; ++c) {
    v1::Command x;
    x.mutable_structure()->set_customer_id(absl::StrCat("BENCH", c));
    auto* o = x.mutable_structure()->mutable_create_object()->mutable_object();
    o->set_object_id("ACC1");
    o->set_kind(v1::OBJECT_KIND_ACCOUNT);
    step.push_back(x);
  }
  if (auto s = run(std::move(step)); !s.ok()) return s;
  step.clear();
  for (int c = 0; c < kCustomers; ++c) {
    for (int n = 0; n < kNumbersPerCustomer; ++n) {
      v1::Command x;
      x.mutable_structure()->set_customer_id(absl::StrCat("BENCH", c));
      auto* o =
          x.mutable_structure()->mutable_create_object()->mutable_object();
      o->set_object_id(absl::StrCat("N", n));
      o->set_kind(v1::OBJECT_KIND_PHONE_NUMBER);
      o->set_parent_id("ACC1");
      o->set_e164(Number(c, n));
      step.push_back(x);
    }
  }
  if (auto s = run(std::move(step)); !s.ok()) return s;
  step.clear();
  for (int c = 0; c < kCustomers; ++c) {
    v1::Command x;
    x.mutable_usage()->set_customer_id(absl::StrCat("BENCH", c));
    auto* v =
        x.mutable_usage()->mutable_define_plan_version()->mutable_version();
    v->set_plan_id("PRO");
    v->set_effective_from("2026-01-01T00:00:00+01:00");
    v->set_currency("EUR");
    auto* e = v->add_entries();
    e->set_kind(v1::USAGE_KIND_VOICE);
    e->set_destination_prefix("+33");
    e->set_price_micros(20000);
    e->set_per_quantity(60);
    e->set_setup_fee_micros(50000);
    e->set_first_increment(60);
    e->set_increment(1);
    e->set_zone_label("France");
    step.push_back(x);
  }
  if (auto s = run(std::move(step)); !s.ok()) return s;
  step.clear();
  for (int c = 0; c < kCustomers; ++c) {
    v1::Command x;
    x.mutable_usage()->set_customer_id(absl::StrCat("BENCH", c));
    x.mutable_usage()->mutable_assign_plan()->set_object_id("ACC1");
    x.mutable_usage()->mutable_assign_plan()->set_plan_id("PRO");
    step.push_back(x);
  }
  return run(std::move(step));
}

// FNV-1a over every key and value of `state` but the consumer's offsets
// (ingest/...: the consumer's, not the log's), and the number of keys.
absl::StatusOr<std::string> LogStateChecksum(const RocksState& state) {
  uint64_t h = kFnv1aOffsetBasis;
  int64_t keys = 0;
  absl::Status s =
      state.Scan("", "", [&](absl::string_view k, absl::string_view v) {
        if (absl::StartsWith(k, "ingest/")) return true;
        h = Fnv1a64(Fnv1a64(h, k), absl::string_view("\0", 1));
        h = Fnv1a64(Fnv1a64(h, v), absl::string_view("\0", 1));
        ++keys;
        return true;
      });
  if (!s.ok()) return s;
  return absl::StrFormat("%016x/%d", h, keys);
}

// Phase 5: the whole state rebuilt from the log into a fresh RocksDB
// (ProjectToEnd, as billingd's --rebuild_partitions does), timed; and
// whether it is byte-identical to the live one.
struct ReplayResult {
  double seconds = 0;
  int64_t journal_records = 0;
  bool identical = false;
};

absl::StatusOr<ReplayResult> Replay(Journal& journal, const RocksState& live,
                                    const std::string& dir,
                                    const std::vector<PartitionId>& parts) {
  ReplayResult out;
  for (PartitionId p : parts) {
    auto end = journal.EndOffset(p);
    if (!end.ok()) return end.status();
    out.journal_records += end->value();
  }
  auto state = RocksState::Open({.path = dir});
  if (!state.ok()) return state.status();
  const absl::Time t0 = absl::Now();
  if (auto s = ProjectToEnd(journal, **state, parts); !s.ok()) return s;
  out.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  auto a = LogStateChecksum(live);
  auto b = LogStateChecksum(**state);
  if (!a.ok()) return a.status();
  if (!b.ok()) return b.status();
  out.identical = *a == *b;
  if (!out.identical) std::cerr << "replay: " << *a << " != " << *b << "\n";
  return out;
}

// User and system CPU of this process (every thread: ours and
// librdkafka's; the broker is another process), in seconds.
double ProcessCpuSeconds() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

double Percentile(std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
  return static_cast<double>(v[i]);
}

// The preload's records as CSV (no field needs quoting: ids, E.164
// numbers, RFC 3339 times, enum names).
absl::Status WriteRecordsCsv(const std::string& path, int64_t records) {
  std::ofstream out(path);
  out << "platform_id,record_id,object,start_time,kind,quantity,"
         "destination\n";
  for (int64_t i = 0; i < records; ++i) {
    const v1::UsageRecord r = MakeRecord(i, "R");
    out << r.platform_id() << ',' << r.record_id() << ',' << r.object() << ','
        << r.start_time() << ',' << v1::UsageKind_Name(r.kind()) << ','
        << r.quantity() << ',' << r.destination() << '\n';
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("writing ", path));
  return absl::OkStatus();
}

// Every customer's totals of the preload's month, one CSV line each, sorted
// by (customer, object, kind, zone).
absl::Status WriteTotalsCsv(const std::string& path, const StateReader& state) {
  std::vector<std::string> lines;
  for (int c = 0; c < kCustomers; ++c) {
    const std::string customer = absl::StrCat("BENCH", c);
    auto totals = UsageTotalsFor(state, customer, "2026-03", "");
    if (!totals.ok()) return totals.status();
    for (const v1::UsageTotals& t : *totals) {
      lines.push_back(absl::StrCat(
          customer, ",", t.object_id(), ",", v1::UsageKind_Name(t.kind()), ",",
          t.zone(), ",", t.records(), ",", t.quantity(), ",",
          t.billed_quantity(), ",", t.amount_micros()));
    }
  }
  std::sort(lines.begin(), lines.end());
  std::ofstream out(path);
  out << "customer,object,kind,zone,records,quantity,billed_quantity,"
         "amount_micros\n";
  for (const std::string& l : lines) out << l << '\n';
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("writing ", path));
  return absl::OkStatus();
}

int Main() {
  const int64_t records = absl::GetFlag(FLAGS_records);
  const std::string events_topic = absl::GetFlag(FLAGS_events_topic);
  const std::string usage_topic = absl::GetFlag(FLAGS_usage_topic);
  const size_t batch_max = static_cast<size_t>(absl::GetFlag(FLAGS_batch));
  std::string brokers = absl::GetFlag(FLAGS_brokers);
  int32_t usage_partitions = absl::GetFlag(FLAGS_usage_partitions);
  std::unique_ptr<testing::KafkaBrokerProcess> own_broker;
  if (brokers.empty()) {
    auto b = testing::KafkaBrokerProcess::Start(
        {absl::StrCat(events_topic, ":",
                      absl::GetFlag(FLAGS_events_partitions)),
         absl::StrCat(usage_topic, ":", usage_partitions)});
    if (!b.ok()) {
      std::cerr << "broker: " << b.status() << std::endl;
      return 1;
    }
    own_broker = std::move(*b);
    brokers = own_broker->bootstrap_servers();
  }
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    dir = (std::filesystem::temp_directory_path() /
           absl::StrFormat("usage_ingest_bench_%d", getpid()))
              .string();
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto fail = [&](absl::string_view what, const absl::Status& s) {
    std::cerr << what << ": " << s << std::endl;
    std::filesystem::remove_all(dir);
    return 1;
  };

  // 1. preload
  auto producer = NewProducer(brokers);
  if (!producer.ok()) return fail("producer", producer.status());
  absl::Time t0 = absl::Now();
  for (int64_t i = 0; i < records; ++i) {
    if (auto s = Produce(producer->get(), usage_topic, MakeRecord(i, "R"));
        !s.ok()) {
      return fail("produce", s);
    }
  }
  if (rd_kafka_flush(producer->get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail("produce", absl::UnavailableError("flush timed out"));
  }
  const double preload_s = absl::ToDoubleSeconds(absl::Now() - t0);
  {
    // The usage topic's partition count, for the ceiling's assignment.
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(producer->get(), 1, nullptr, &md, 10000) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < md->topic_cnt; ++i) {
        if (usage_topic == md->topics[i].topic) {
          usage_partitions = md->topics[i].partition_cnt;
        }
      }
      rd_kafka_metadata_destroy(md);
    }
  }
  std::cerr << absl::StrFormat("preload: %d records in %.2f s\n", records,
                               preload_s);
  if (const std::string csv = absl::GetFlag(FLAGS_records_csv); !csv.empty()) {
    if (auto s = WriteRecordsCsv(csv, records); !s.ok()) {
      return fail("records_csv", s);
    }
  }

  // 2. ceiling
  double ceiling_rps = 0;
  {
    auto raw = RocksState::Open({.path = dir + "/ceiling"});
    if (!raw.ok()) return fail("ceiling state", raw.status());
    auto rps = Ceiling(brokers, usage_topic, usage_partitions, records,
                       batch_max, **raw);
    if (!rps.ok()) return fail("ceiling", rps.status());
    ceiling_rps = *rps;
  }
  std::cerr << absl::StrFormat("ceiling: %.0f records/s\n", ceiling_rps);

  // 3. end to end
  absl::StatusOr<std::unique_ptr<Journal>> journal;
  if (absl::GetFlag(FLAGS_journal) == "embedded") {
    journal = EmbeddedJournal::Open(
        {.dir = dir + "/journal",
         .partition_count = absl::GetFlag(FLAGS_events_partitions)});
  } else {
    KafkaJournalOptions ko;
    ko.bootstrap_servers = brokers;
    ko.topic = events_topic;
    ko.fetch_wait_max = absl::Milliseconds(absl::GetFlag(FLAGS_fetch_wait_ms));
    journal = KafkaJournal::Open(ko);
  }
  if (!journal.ok()) return fail("journal", journal.status());
  auto state = RocksState::Open({.path = dir + "/state"});
  if (!state.ok()) return fail("state", state.status());
  std::vector<PartitionId> partitions;
  for (int32_t p = 0; p < (*journal)->partition_count(); ++p) {
    partitions.push_back(PartitionId(p));
  }
  Projector projector(journal->get(), state->get(), partitions);
  if (auto s = projector.Start(); !s.ok()) return fail("projector", s);
  FixedBusinessClock clock(BusinessDate(2026, 3, 31));
  CommandProcessorOptions lanes;
  lanes.batches_in_flight_max =
      static_cast<size_t>(absl::GetFlag(FLAGS_lane_in_flight));
  lanes.offer_effects = absl::GetFlag(FLAGS_offer_effects);
  auto commands = CommandProcessor::Start(journal->get(), state->get(),
                                          &projector, &clock, partitions,
                                          lanes);
  if (!commands.ok()) return fail("commands", commands.status());
  if (auto s = Setup(**commands); !s.ok()) return fail("setup", s);
  UsageIngestor ingestor(commands->get(), state->get());

  absl::Mutex lat_mu;
  // Messages produced from this time on (Kafka CreateTime, ms) are the
  // latency phase's; the backlog's last batches may still report after it
  // starts.
  int64_t latency_from_ms = INT64_MAX;
  std::vector<int64_t> latencies_ms;
  absl::Time first_commit = absl::InfinitePast();
  KafkaUsageConsumerOptions uo;
  uo.bootstrap_servers = brokers;
  uo.topic = usage_topic;
  uo.batch_records_max = batch_max;
  uo.batches_in_flight = static_cast<size_t>(absl::GetFlag(FLAGS_in_flight));
  uo.fetch_wait_max = absl::Milliseconds(absl::GetFlag(FLAGS_fetch_wait_ms));
  uo.on_committed = [&](const std::vector<int64_t>& ts) {
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    absl::MutexLock lock(&lat_mu);
    if (first_commit == absl::InfinitePast()) first_commit = absl::Now();
    for (int64_t t : ts) {
      if (t >= latency_from_ms) latencies_ms.push_back(now_ms - t);
    }
  };
  const int64_t commits_before = (*state)->commit_count();
  t0 = absl::Now();
  const double cpu0 = ProcessCpuSeconds();
  auto consumer = KafkaUsageConsumer::Start(uo, &ingestor, state->get());
  if (!consumer.ok()) return fail("consumer", consumer.status());
  if (!(*consumer)->AwaitCounters(
          [&](const KafkaUsageCounters& k) { return k.consumed >= records; },
          kPhaseTimeout)) {
    return fail("end to end",
                absl::DeadlineExceededError(absl::StrCat(
                    "consumed ", (*consumer)->counters().consumed, " of ",
                    records, "; ", (*consumer)->status().ToString())));
  }
  const absl::Time t1 = absl::Now();
  const double e2e_cpu_s = ProcessCpuSeconds() - cpu0;
  const KafkaUsageCounters k = (*consumer)->counters();
  const double e2e_s = absl::ToDoubleSeconds(t1 - t0);
  double steady_s;
  {
    absl::MutexLock lock(&lat_mu);
    steady_s = absl::ToDoubleSeconds(t1 - first_commit);
  }
  const double e2e_rps = records / e2e_s;
  const int64_t writebatches = (*state)->commit_count() - commits_before;
  std::cerr << absl::StrFormat(
      "end to end: %.0f records/s (%d rated, %d batches, %.2f s)\n", e2e_rps,
      k.rated, k.batches, e2e_s);
  if (const std::string csv = absl::GetFlag(FLAGS_totals_csv); !csv.empty()) {
    // Every answer came from the projected state: the totals hold every
    // consumed record.
    if (auto s = WriteTotalsCsv(csv, **state); !s.ok()) {
      return fail("totals_csv", s);
    }
  }

  // 4. latency at a fixed load
  const double rate =
      std::max(100.0, e2e_rps * absl::GetFlag(FLAGS_latency_load));
  const double lat_s = absl::GetFlag(FLAGS_latency_seconds);
  const int64_t lat_records = static_cast<int64_t>(rate * lat_s);
  t0 = absl::Now();
  {
    absl::MutexLock lock(&lat_mu);
    latency_from_ms = absl::ToUnixMillis(t0);
  }
  // Paced in 10 ms steps: a load generator's pacing, not a wait for a
  // condition.
  for (int64_t i = 0; i < lat_records; ++i) {
    const absl::Time due = t0 + absl::Seconds(i / rate);
    if (due > absl::Now()) {
      rd_kafka_poll(producer->get(), 0);
      absl::SleepFor(due - absl::Now());
    }
    if (auto s = Produce(producer->get(), usage_topic, MakeRecord(i, "L"));
        !s.ok()) {
      return fail("produce", s);
    }
  }
  rd_kafka_flush(producer->get(), 60000);
  if (!(*consumer)->AwaitCounters(
          [&](const KafkaUsageCounters& c) {
            return c.consumed >= records + lat_records;
          },
          kPhaseTimeout)) {
    return fail("latency", absl::DeadlineExceededError("not all consumed"));
  }
  const KafkaUsageCounters k2 = (*consumer)->counters();
  (*consumer)->Stop();
  std::vector<int64_t> lat;
  {
    absl::MutexLock lock(&lat_mu);
    lat = latencies_ms;
  }
  const double p50 = Percentile(lat, 0.50), p99 = Percentile(lat, 0.99),
               pmax = lat.empty() ? 0 : static_cast<double>(lat.back());
  consumer->reset();
  commands->reset();
  projector.Stop();
  const int64_t projected = projector.records_seen();
  const int64_t precomputed = projector.records_precomputed();

  // 5. replay
  // Embedded only: librdkafka's mock broker keeps a bounded log per
  // partition (its start moves past offset 0 on a long run), so the events
  // topic cannot be read again from its first record there.
  const bool replayed =
      absl::GetFlag(FLAGS_replay) && absl::GetFlag(FLAGS_journal) == "embedded";
  absl::StatusOr<ReplayResult> replay = ReplayResult{.identical = true};
  if (replayed) {
    replay = Replay(**journal, **state, dir + "/replay", partitions);
  }
  if (!replay.ok()) return fail("replay", replay.status());
  const int64_t usage_records = records + lat_records;
  std::cerr << absl::StrFormat(
      "replay: %d journal records (%d usage records) in %.2f s\n",
      replay->journal_records, usage_records, replay->seconds);

  std::cout << absl::StrFormat(
                   "result label=%s journal=%s fetch_wait_ms=%d in_flight=%d "
                   "records=%d e2e_records_per_s=%.0f "
                   "e2e_seconds=%.2f steady_records_per_s=%.0f "
                   "ceiling_records_per_s=%.0f ratio=%.3f rated=%d "
                   "duplicates=%d quarantined=%d batches=%d "
                   "state_writebatches=%d latency_rate_per_s=%.0f "
                   "latency_records=%d latency_p50_ms=%.0f "
                   "latency_p99_ms=%.0f latency_max_ms=%.0f "
                   "latency_rated=%d preload_s=%.2f "
                   "replay_journal_records=%d replay_seconds=%.2f "
                   "replay_usage_records_per_s=%s "
                   "replay_journal_records_per_s=%s replay_identical=%s "
                   "projected_records=%d precomputed_records=%d "
                   "e2e_cpu_us_per_record=%.1f e2e_cores_busy=%.2f",
                   absl::GetFlag(FLAGS_label), absl::GetFlag(FLAGS_journal),
                   absl::GetFlag(FLAGS_fetch_wait_ms),
                   absl::GetFlag(FLAGS_in_flight), records, e2e_rps, e2e_s,
                   records / steady_s, ceiling_rps, e2e_rps / ceiling_rps,
                   k.rated, k.duplicates, k.quarantined, k.batches,
                   writebatches, rate, lat_records, p50, p99, pmax,
                   k2.rated - k.rated, preload_s, replay->journal_records,
                   replay->seconds,
                   replayed ? absl::StrFormat("%.0f", usage_records /
                                                          replay->seconds)
                            : "-",
                   replayed ? absl::StrFormat("%.0f", replay->journal_records /
                                                          replay->seconds)
                            : "-",
                   replayed ? (replay->identical ? "1" : "0") : "-",
                   projected, precomputed, 1e6 * e2e_cpu_s / records,
                   e2e_cpu_s / e2e_s)
            << std::endl;
  std::filesystem::remove_all(dir);
  if (static_cast<int64_t>(lat.size()) != lat_records) {
    std::cerr << "latency samples: " << lat.size() << " of " << lat_records
              << std::endl;
    return 2;
  }
  return k.rated == records && k2.rated - k.rated == lat_records &&
                 replay->identical
             ? 0
             : 2;
}

}  // namespace
}  // namespace billing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return billing::Main();
}
