#include "services/operations_service.h"

namespace billing {

grpc::Status OperationsServiceImpl::GetStatus(grpc::ServerContext*,
                                              const v1::GetStatusRequest*,
                                              v1::ServiceStatus* response) {
  absl::flat_hash_map<int32_t, StoppedPartition> stopped;
  for (const StoppedPartition& s : projector_->Stopped()) {
    stopped[s.partition.value()] = s;
  }
  for (int32_t i = 0; i < journal_->partition_count(); ++i) {
    const PartitionId p(i);
    v1::PartitionStatus* out = response->add_partitions();
    out->set_partition(i);
    out->set_next_offset(projector_->NextOffset(p));
    auto end = journal_->EndOffset(p);
    out->set_end_offset(end.ok() ? end->value() : -1);
    auto it = stopped.find(i);
    out->set_serving(it == stopped.end() && projector_->status().ok());
    if (it != stopped.end()) {
      out->set_stopped_at_offset(it->second.offset.value());
      out->set_reason(std::string(it->second.reason.message()));
    }
  }
  const std::string failure = failure_();
  response->set_serving(failure.empty());
  response->set_failure(failure);
  return grpc::Status::OK;
}

}  // namespace billing
