// billingctl status: what billingd says of itself (OperationsService).

#include <iostream>

#include "absl/strings/str_cat.h"
#include "billing/v1/operations_service.grpc.pb.h"
#include "services/ctl_common.h"

namespace billing::ctl {

void RegisterOperationsCommands(CLI::App& app, const Global& g,
                                ExitCode* exit_code) {
  CLI::App* status = app.add_subcommand(
      "status",
      "Partitions projected and stopped (where and why), and the service's "
      "health");
  status->callback([&g, exit_code] {
    auto stub = v1::OperationsService::NewStub(g.Channel());
    v1::ServiceStatus resp;
    grpc::Status st =
        stub->GetStatus(g.Context().get(), v1::GetStatusRequest(), &resp);
    if (!st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    *exit_code = 0;
    if (g.json) {
      std::cout << ToJson(resp) << std::endl;
      return;
    }
    std::cout << "service   " << (resp.serving() ? "SERVING" : "NOT_SERVING")
              << (resp.failure().empty() ? "" : " (" + resp.failure() + ")")
              << "\n";
    std::cout << Pad("PARTITION", 10) << " " << Pad("STATE", 8) << " "
              << Pad("NEXT", 12) << " " << Pad("END", 12) << " REASON\n";
    for (const auto& p : resp.partitions()) {
      std::cout << Pad(absl::StrCat(p.partition()), 10) << " "
                << Pad(p.serving() ? "serving" : "stopped", 8) << " "
                << Pad(absl::StrCat(p.next_offset()), 12) << " "
                << Pad(absl::StrCat(p.end_offset()), 12) << " " << p.reason()
                << "\n";
    }
  });
}

}  // namespace billing::ctl
