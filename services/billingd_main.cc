// billingd: the billing engine as a gRPC service. With no flags it runs on
// the embedded journal under ./billing-data, listening on 127.0.0.1:50051.

#include <csignal>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "services/server.h"

namespace {
const billing::ServerOptions kDefaults;
}  // namespace

ABSL_FLAG(std::string, data_dir, kDefaults.data_dir,
          "Directory of the state and of the embedded journal.");
ABSL_FLAG(std::string, listen, kDefaults.listen,
          "gRPC listen address (host:port; port 0 picks a free one).");
ABSL_FLAG(std::string, kafka_brokers, kDefaults.kafka_brokers,
          "Kafka bootstrap servers; empty: the embedded journal.");
ABSL_FLAG(std::string, kafka_topic, kDefaults.kafka_topic,
          "Kafka topic of the events.");
ABSL_FLAG(int32_t, kafka_fetch_wait_ms, kDefaults.kafka_fetch_wait_ms,
          "Longest a Kafka fetch waits for new records, milliseconds.");
ABSL_FLAG(std::string, usage_topic, kDefaults.usage_topic,
          "With --kafka_brokers: the Kafka topic of usage records to consume.");
ABSL_FLAG(int64_t, state_memory_mib, kDefaults.state_memory_budget_bytes >> 20,
          "What the state's RocksDB may hold in memory, MiB: one cache for "
          "blocks, index and filter blocks and memtables (at least 16).");
ABSL_FLAG(int32_t, partitions, kDefaults.partitions,
          "Partitions of a new journal (an existing journal keeps its own).");
ABSL_FLAG(std::string, test_clock_date, kDefaults.test_clock_date,
          "Fixed business date YYYY-MM-DD (a test clock); empty: the system "
          "clock.");
ABSL_FLAG(std::string, business_timezone, kDefaults.business_timezone,
          "Time zone of the business day (e.g. Europe/Paris).");

ABSL_FLAG(std::vector<std::string>, rebuild_partitions, {},
          "Comma-separated partitions whose state is deleted and rebuilt from "
          "the journal before serving (docs/operations.md), e.g. 1,3.");

namespace {

// One line, RocksDB's own accounting (bench/usage_memory.py reads it).
void PrintStateMemory(const billing::RocksState& state) {
  const billing::RocksMemory m = state.Memory();
  std::cerr << "billingd: state memory cache_bytes=" << m.cache_bytes
            << " cache_pinned_bytes=" << m.cache_pinned_bytes
            << " memtable_bytes=" << m.memtable_bytes
            << " table_readers_bytes=" << m.table_readers_bytes << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "billingd [--data_dir=DIR] [--listen=HOST:PORT] [--kafka_brokers=...]");
  absl::ParseCommandLine(argc, argv);

  // SIGINT/SIGTERM are taken by one thread (sigwait) so that shutdown runs
  // outside a signal handler; SIGUSR1 prints the state's memory to stderr.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  billing::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.listen = absl::GetFlag(FLAGS_listen);
  options.kafka_brokers = absl::GetFlag(FLAGS_kafka_brokers);
  options.kafka_topic = absl::GetFlag(FLAGS_kafka_topic);
  options.kafka_fetch_wait_ms = absl::GetFlag(FLAGS_kafka_fetch_wait_ms);
  options.usage_topic = absl::GetFlag(FLAGS_usage_topic);
  options.partitions = absl::GetFlag(FLAGS_partitions);
  const int64_t state_mib = absl::GetFlag(FLAGS_state_memory_mib);
  // The upper bound only keeps the shift below from overflowing (1 TiB).
  if (state_mib < static_cast<int64_t>(billing::kRocksMemoryBudgetMin >> 20) ||
      state_mib > (int64_t{1} << 20)) {
    std::cerr << "billingd: --state_memory_mib: " << state_mib
              << " is out of range (16 to 1048576 MiB)" << std::endl;
    return 2;
  }
  options.state_memory_budget_bytes = static_cast<size_t>(state_mib) << 20;
  options.test_clock_date = absl::GetFlag(FLAGS_test_clock_date);
  options.business_timezone = absl::GetFlag(FLAGS_business_timezone);
  for (const std::string& p : absl::GetFlag(FLAGS_rebuild_partitions)) {
    int32_t partition = 0;
    if (!absl::SimpleAtoi(p, &partition)) {
      std::cerr << "billingd: --rebuild_partitions: \"" << absl::CHexEscape(p)
                << "\" is not a partition number" << std::endl;
      return 2;
    }
    options.rebuild_partitions.push_back(partition);
  }

  auto server = billing::BillingServer::Start(options);
  if (!server.ok()) {
    std::cerr << "billingd: " << server.status() << std::endl;
    return 1;
  }
  std::cout << "billingd: listening on "
            << options.listen.substr(0, options.listen.rfind(':')) << ":"
            << (*server)->port() << " ("
            << (options.kafka_brokers.empty()
                    ? "embedded journal in " + options.data_dir + "/journal"
                    : "Kafka " + options.kafka_brokers + " topic " +
                          options.kafka_topic)
            << ")" << std::endl;

  std::thread waiter([&] {
    int sig = 0;
    while (sigwait(&signals, &sig) == 0 && sig == SIGUSR1) {
      PrintStateMemory((*server)->state());
    }
    std::cout << "billingd: signal " << sig << ", shutting down" << std::endl;
    (*server)->Shutdown();
  });
  (*server)->Wait();
  waiter.join();
  server->reset();
  return 0;
}
