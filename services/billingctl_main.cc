// billingctl: the command line over billingd's gRPC API. Human output by
// default, --json for scripts (one JSON object per answer, proto field names).
//
// Exit codes: 0 done; 1 the server refused or failed (the gRPC code and the
// message go to stderr); 2 usage error.

#include <cstdlib>

#include "services/ctl_common.h"

int main(int argc, char** argv) {
  using namespace billing::ctl;
  CLI::App app{"billingctl: command line for billingd"};
  app.require_subcommand(1);
  Global g;
  const char* env = std::getenv("BILLING_SERVER");
  g.server = env != nullptr ? env : "127.0.0.1:50051";
  app.add_option("--server", g.server,
                 "billingd address (env BILLING_SERVER; default "
                 "127.0.0.1:50051)");
  app.add_flag("--json", g.json, "JSON output");
  app.add_option("--timeout-s", g.timeout_s, "Deadline of each call, seconds");

  ExitCode exit_code = 2;
  RegisterCustomerCommands(app, g, &exit_code);
  RegisterStructureCommands(app, g, &exit_code);
  RegisterDemoCommands(app, g, &exit_code);
  RegisterContractCommands(app, g, &exit_code);
  RegisterUsageCommands(app, g, &exit_code);
  RegisterOperationsCommands(app, g, &exit_code);
  RegisterInvoicingCommands(app, g, &exit_code);
  RegisterInvoiceCommands(app, g, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}
