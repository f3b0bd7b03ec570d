#pragma once

// OperationsService: billingd's own status for operators (which partitions
// are projected, which are stopped, where and why).

#include <functional>
#include <string>

#include "billing/v1/operations_service.grpc.pb.h"
#include "services/projector.h"
#include "storage/journal.h"

namespace billing {

class OperationsServiceImpl final : public v1::OperationsService::Service {
 public:
  // `failure` returns why the service as a whole stopped serving ("" while
  // it serves). Every pointer outlives the service.
  OperationsServiceImpl(Journal* journal, const Projector* projector,
                        std::function<std::string()> failure)
      : journal_(journal),
        projector_(projector),
        failure_(std::move(failure)) {}

  grpc::Status GetStatus(grpc::ServerContext* context,
                         const v1::GetStatusRequest* request,
                         v1::ServiceStatus* response) override;

 private:
  Journal* const journal_;
  const Projector* const projector_;
  const std::function<std::string()> failure_;
};

}  // namespace billing
