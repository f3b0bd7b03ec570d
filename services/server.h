#pragma once

// billingd's wiring: journal (embedded or Kafka), RocksDB state, projector,
// command processor and the gRPC server, started and stopped in order.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server.h"
#include "services/clock.h"
#include "services/command_processor.h"
#include "services/contract_service.h"
#include "services/customer_service.h"
#include "services/invoice_service.h"
#include "services/invoicing_service.h"
#include "services/kafka_usage_consumer.h"
#include "services/operations_service.h"
#include "services/projector.h"
#include "services/structure_service.h"
#include "services/usage_service.h"
#include "storage/journal.h"
#include "storage/rocks_state.h"

namespace billing {

struct ServerOptions {
  // Directory holding the state (state/) and the embedded journal
  // (journal/). Default: ./billing-data.
  std::string data_dir = "billing-data";
  // gRPC listen address; port 0 picks a free port (see BillingServer::port).
  // Default: 127.0.0.1:50051.
  std::string listen = "127.0.0.1:50051";
  // Kafka bootstrap servers; empty: the embedded journal. Default: empty.
  std::string kafka_brokers;
  // Kafka topic of the events. Default: billing.events.v1.
  std::string kafka_topic = "billing.events.v1";
  // Longest a Kafka fetch waits for new records (fetch.wait.max.ms): bounds
  // how long a command waits for its own projection on a broker that holds
  // empty fetches (librdkafka's mock does; a real broker answers at once).
  // Default: 100 ms.
  int32_t kafka_fetch_wait_ms = 100;
  // With kafka_brokers: the usage topic billingd consumes (records keyed by
  // phone number or account; docs/usage.md, "Kafka"). It must exist (ops
  // create it; until then billingd logs that and asks again). Default:
  // billing.usage.v1.
  std::string usage_topic = "billing.usage.v1";
  // What the state's RocksDB may hold in memory, bytes: one cache for data,
  // index and filter blocks and the memtables (RocksStateOptions,
  // docs/architecture.md "Memory"). At least 16 MiB. Default: 256 MiB.
  size_t state_memory_budget_bytes = RocksStateOptions().memory_budget_bytes;
  // Partitions of a new journal (an existing one keeps its count). Default: 4.
  int32_t partitions = 4;
  // Fixed business date "YYYY-MM-DD" (test clock); empty: the system clock in
  // business_timezone. Default: empty.
  std::string test_clock_date;
  // Time zone of the business day. Default: UTC.
  std::string business_timezone = "UTC";
  // fdatasync each embedded journal append before acknowledging. Only tests
  // that measure the cost of durability turn it off. Default: true.
  bool journal_sync = true;
  // Partitions whose state is deleted and rebuilt from the journal before
  // serving (docs/operations.md: a state ahead of a damaged journal, a
  // partition stopped on a record since repaired). Default: none.
  std::vector<int32_t> rebuild_partitions;
  // Threads the gRPC server may run at most (grpc::ResourceQuota): its sync
  // API holds one thread per call in progress, so this bounds the calls and
  // streams served at once; beyond it, calls answer RESOURCE_EXHAUSTED.
  // Default: 1024.
  int grpc_threads_max = 1024;
};

class BillingServer {
 public:
  // Opens everything and starts serving. Errors name the part that failed.
  static absl::StatusOr<std::unique_ptr<BillingServer>> Start(
      const ServerOptions& options);
  ~BillingServer();

  // The port actually bound.
  int port() const { return port_; }
  // What billingd serves from, for tests that check the whole state and the
  // log around a call (checksum, end offsets). Valid until destruction.
  const RocksState& state() const { return *state_; }
  Journal& journal() const { return *journal_; }
  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Stops accepting calls, drains, stops the lanes and the projector.
  void Shutdown();

 private:
  BillingServer() = default;

  std::unique_ptr<BusinessClock> clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RocksState> state_;
  std::unique_ptr<Projector> projector_;
  std::unique_ptr<CommandProcessor> commands_;
  std::unique_ptr<CustomerServiceImpl> customer_service_;
  std::unique_ptr<StructureServiceImpl> structure_service_;
  std::unique_ptr<ContractServiceImpl> contract_service_;
  std::unique_ptr<UsageServiceImpl> usage_service_;
  std::unique_ptr<OperationsServiceImpl> operations_service_;
  std::unique_ptr<InvoicingServiceImpl> invoicing_service_;
  std::unique_ptr<InvoiceServiceImpl> invoice_service_;
  // With kafka_brokers: the usage topic's consumer and its ingestor.
  std::unique_ptr<UsageIngestor> usage_ingestor_;
  std::unique_ptr<KafkaUsageConsumer> usage_consumer_;
  absl::Mutex health_mu_;
  // Written once under health_mu_ in Start (the projector's failure callback
  // may run before it exists); read-only afterwards.
  std::unique_ptr<grpc::Server> server_;
  // Why the service as a whole stopped serving (the projector or the usage
  // consumer); empty while it serves.
  std::string failure_ ABSL_GUARDED_BY(health_mu_);
  // Partitions stopped before the server existed, marked once it does.
  std::vector<int32_t> stopped_partitions_ ABSL_GUARDED_BY(health_mu_);

  // The steps of Start, in order; each leaves what it made in its members.
  absl::Status OpenClock(const ServerOptions& options);
  absl::Status OpenStorage(const ServerOptions& options);
  absl::Status StartLanes(const ServerOptions& options);
  absl::Status StartServices(const ServerOptions& options);
  absl::Status StartGrpc(const ServerOptions& options);

  void OnFailure(absl::string_view what, const absl::Status& status);
  void OnPartitionStopped(int32_t partition);
  absl::Status RebuildPartitions(const std::vector<int32_t>& partitions);
  int port_ = 0;
};

}  // namespace billing
