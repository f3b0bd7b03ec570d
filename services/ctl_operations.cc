// billingctl status: what billingd says of itself (OperationsService).

#include <iostream>

#include "absl/strings/str_cat.h"
#include "billing/v1/operations_service.pb.h"
#include "services/ctl_verbs.h"

namespace billing::ctl {
namespace {

void PrintStatus(const v1::ServiceStatus& resp) {
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
}

}  // namespace

void RegisterOperationsCommands(CLI::App& app, const Global& g,
                                ExitCode* exit_code) {
  RegisterVerbs(app, g, exit_code, *v1::GetStatusRequest::descriptor()->file(),
                {},
                {{{"status"},
                  "Partitions projected and stopped (where and why), and the "
                  "service's health",
                  "OperationsService.GetStatus",
                  "",
                  {},
                  Prints(&PrintStatus)}});
}

}  // namespace billing::ctl
