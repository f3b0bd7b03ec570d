#include "services/server.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "services/request_guard.h"
#include "storage/embedded_journal.h"
#include "storage/kafka_journal.h"
#include "storage/projection.h"

namespace billing {
namespace {

absl::Status Context(const absl::Status& s, absl::string_view what) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrFormat("%s: %s", what, s.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<BillingServer>> BillingServer::Start(
    const ServerOptions& options) {
  std::unique_ptr<BillingServer> server(new BillingServer());
  for (auto step : {&BillingServer::OpenClock, &BillingServer::OpenStorage,
                    &BillingServer::StartLanes, &BillingServer::StartServices,
                    &BillingServer::StartGrpc}) {
    if (absl::Status s = (server.get()->*step)(options); !s.ok()) return s;
  }
  return server;
}

absl::Status BillingServer::OpenClock(const ServerOptions& options) {
  if (options.test_clock_date.empty()) {
    auto clock = SystemBusinessClock::Create(options.business_timezone);
    if (!clock.ok()) return clock.status();
    clock_ = std::move(*clock);
  } else {
    auto date = ParseBusinessDate(options.test_clock_date, "test_clock_date");
    if (!date.ok()) return date.status();
    clock_ = std::make_unique<FixedBusinessClock>(*date);
  }
  return absl::OkStatus();
}

absl::Status BillingServer::OpenStorage(const ServerOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "data_dir: cannot create \"%s\": %s", options.data_dir, ec.message()));
  }
  if (options.kafka_brokers.empty()) {
    EmbeddedJournalOptions jo;
    jo.dir = options.data_dir + "/journal";
    jo.partition_count = options.partitions;
    jo.sync = options.journal_sync;
    auto journal = EmbeddedJournal::Open(jo);
    if (!journal.ok()) return Context(journal.status(), "embedded journal");
    journal_ = std::move(*journal);
  } else {
    KafkaJournalOptions ko;
    ko.bootstrap_servers = options.kafka_brokers;
    ko.topic = options.kafka_topic;
    ko.partition_count = options.partitions;
    ko.fetch_wait_max = absl::Milliseconds(options.kafka_fetch_wait_ms);
    auto journal = KafkaJournal::Open(ko);
    if (!journal.ok()) return Context(journal.status(), "kafka journal");
    journal_ = std::move(*journal);
  }

  RocksStateOptions so;
  so.path = options.data_dir + "/state";
  so.memory_budget_bytes = options.state_memory_budget_bytes;
  auto state = RocksState::Open(so);
  if (!state.ok()) return Context(state.status(), "state");
  state_ = std::move(*state);
  return absl::OkStatus();
}

absl::Status BillingServer::StartLanes(const ServerOptions& options) {
  // This instance owns every partition (one writer per partition; the
  // consumer-group split across instances is a later step, see
  // docs/architecture.md).
  std::vector<PartitionId> partitions;
  for (int32_t i = 0; i < journal_->partition_count(); ++i) {
    partitions.push_back(PartitionId(i));
  }
  if (auto s = RebuildPartitions(options.rebuild_partitions); !s.ok()) {
    return Context(s, "rebuild_partitions");
  }
  // Catch up with the journal first, on every core (ProjectToEnd); a record
  // it cannot apply is left to the projector, which stops that partition
  // naming the record.
  if (auto s = ProjectToEnd(*journal_, *state_, partitions); !s.ok()) {
    if (!absl::IsDataLoss(s)) return Context(s, "catch-up");
    std::cerr << "billingd: catch-up left a partition to the projector: "
              << s << std::endl;
  }
  ProjectorOptions po;
  po.on_failure = [this](const absl::Status& s) {
    // The journal or the state failed: commands fail; health says so.
    OnFailure("projector", s);
  };
  po.on_partition_stopped = [this](const StoppedPartition& stop) {
    OnPartitionStopped(stop.partition.value());
  };
  projector_ =
      std::make_unique<Projector>(journal_.get(), state_.get(), partitions, po);
  if (auto s = projector_->Start(); !s.ok()) return Context(s, "projector");
  CommandProcessorOptions co;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  co.owner = absl::StrFormat("%s:%d", host, getpid());
  auto commands =
      CommandProcessor::Start(journal_.get(), state_.get(), projector_.get(),
                              clock_.get(), partitions, co);
  if (!commands.ok()) return Context(commands.status(), "command processor");
  commands_ = std::move(*commands);
  return absl::OkStatus();
}

absl::Status BillingServer::StartServices(const ServerOptions& options) {
  customer_service_ =
      std::make_unique<CustomerServiceImpl>(commands_.get(), state_.get());
  structure_service_ =
      std::make_unique<StructureServiceImpl>(commands_.get(), state_.get());
  contract_service_ = std::make_unique<ContractServiceImpl>(
      commands_.get(), state_.get(), clock_.get());
  usage_service_ =
      std::make_unique<UsageServiceImpl>(commands_.get(), state_.get());
  invoicing_service_ = std::make_unique<InvoicingServiceImpl>(
      commands_.get(), state_.get(), clock_.get());
  invoice_service_ =
      std::make_unique<InvoiceServiceImpl>(commands_.get(), state_.get());
  // Drafts a crash left between validation and issue are numbered and
  // issued before anyone is served (proto/billing/v1/invoice.proto).
  if (auto done = invoice_service_->issuer().FinishPending(); !done.ok()) {
    std::cerr << "billingd: pending drafts not finished: " << done.status()
              << "\n";
  } else if (done->documents_size() > 0) {
    std::cerr << "billingd: issued " << done->documents_size()
              << " pending draft(s)\n";
  }
  operations_service_ = std::make_unique<OperationsServiceImpl>(
      journal_.get(), projector_.get(), [this] {
        absl::MutexLock lock(&health_mu_);
        return failure_;
      });
  if (options.kafka_brokers.empty()) return absl::OkStatus();
  // The usage topic: consumed from the offsets stored in the state.
  usage_ingestor_ =
      std::make_unique<UsageIngestor>(commands_.get(), state_.get());
  KafkaUsageConsumerOptions uo;
  uo.bootstrap_servers = options.kafka_brokers;
  uo.topic = options.usage_topic;
  uo.fetch_wait_max = absl::Milliseconds(options.kafka_fetch_wait_ms);
  uo.on_failure = [this](const absl::Status& s) {
    // Usage no longer flows in: health says so (the reason is logged).
    OnFailure("usage consumer", s);
  };
  auto consumer =
      KafkaUsageConsumer::Start(uo, usage_ingestor_.get(), state_.get());
  if (!consumer.ok()) return Context(consumer.status(), "usage consumer");
  usage_consumer_ = std::move(*consumer);
  return absl::OkStatus();
}

absl::Status BillingServer::StartGrpc(const ServerOptions& options) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  grpc::ResourceQuota quota("billingd");
  quota.SetMaxThreads(options.grpc_threads_max);
  builder.SetResourceQuota(quota);
  // Unparsable requests answer INVALID_ARGUMENT naming the field; every
  // status message is capped (services/request_guard.h).
  builder.experimental().SetInterceptorCreators(
      RequestGuardInterceptorCreators());
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterService(customer_service_.get());
  builder.RegisterService(structure_service_.get());
  builder.RegisterService(contract_service_.get());
  builder.RegisterService(usage_service_.get());
  builder.RegisterService(operations_service_.get());
  builder.RegisterService(invoicing_service_.get());
  builder.RegisterService(invoice_service_.get());
  absl::MutexLock lock(&health_mu_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrFormat("listen: cannot bind \"%s\"", options.listen));
  }
  auto* health = server_->GetHealthCheckService();
  if (!failure_.empty()) health->SetServingStatus(false);
  for (int32_t p : stopped_partitions_) {
    health->SetServingStatus(absl::StrFormat("billing.partition.%d", p), false);
  }
  return absl::OkStatus();
}

void BillingServer::OnFailure(absl::string_view what,
                              const absl::Status& status) {
  absl::MutexLock lock(&health_mu_);
  if (failure_.empty())
    failure_ = absl::StrFormat("%s: %s", what, status.ToString());
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
  }
}

void BillingServer::OnPartitionStopped(int32_t partition) {
  // The service goes on for the other partitions: "" stays SERVING, the
  // partition's own health name says it is not.
  absl::MutexLock lock(&health_mu_);
  stopped_partitions_.push_back(partition);
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(
        absl::StrFormat("billing.partition.%d", partition), false);
  }
}

absl::Status BillingServer::RebuildPartitions(
    const std::vector<int32_t>& partitions) {
  if (partitions.empty()) return absl::OkStatus();
  std::vector<PartitionId> ids;
  for (int32_t p : partitions) {
    if (p < 0 || p >= journal_->partition_count()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "partition %d is outside [0, %d)", p, journal_->partition_count()));
    }
    ids.push_back(PartitionId(p));
  }
  std::cerr << "billingd: rebuilding the state of partition(s) "
            << absl::StrJoin(partitions, ",") << " from the journal"
            << std::endl;
  return ResetPartitions(*state_, ids, journal_->partition_count());
}

BillingServer::~BillingServer() { Shutdown(); }

void BillingServer::Wait() {
  if (server_) server_->Wait();
}

void BillingServer::Shutdown() {
  if (server_)
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(1));
  // Before the lanes: a batch being ingested finishes and stores its offsets.
  if (usage_consumer_) usage_consumer_->Stop();
  if (commands_) commands_->Stop();
  if (projector_) projector_->Stop();
}

}  // namespace billing
