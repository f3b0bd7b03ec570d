#pragma once

// Shared parts of billingctl: global flags, output, errors. Each domain's
// verbs are a table in ctl_<domain>.cc, run by ctl_verbs.h's executor.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "google/protobuf/message.h"

namespace billing::ctl {

struct Global {
  // billingd address; env BILLING_SERVER, default 127.0.0.1:50051.
  std::string server;
  bool json = false;
  // Deadline of each call, seconds. Default: 30.
  int timeout_s = 30;

  std::shared_ptr<grpc::Channel> Channel() const;
  std::unique_ptr<grpc::ClientContext> Context() const;
};

// Where a verb's exit code goes: 0 done, 1 refused or failed, 2 usage.
using ExitCode = int;

// Prints "error: CODE: message" to stderr; returns 1.
ExitCode Fail(const grpc::Status& status);
// One JSON object, proto field names.
std::string ToJson(const google::protobuf::Message& message);
// An amount of `currency` in minor units ("166.67"), through the engine's
// money formatting; 2 decimals for a code the engine's table does not know.
std::string Amount(int64_t minor, const std::string& currency);

// A fresh random idempotency key ("ctl-" and 32 hex digits).
std::string NewIdempotencyKey();
// Pads `text` to `width` code points (UTF-8 aware) for tables.
std::string Pad(const std::string& text, size_t width);

// Registration of each domain's verbs. `exit_code` receives the verb's code.
void RegisterCustomerCommands(CLI::App& app, const Global& g,
                              ExitCode* exit_code);
// entity, object, account, reassign (ctl_structure.cc).
void RegisterStructureCommands(CLI::App& app, const Global& g,
                               ExitCode* exit_code);
// demo load (ctl_demo.cc).
void RegisterDemoCommands(CLI::App& app, const Global& g, ExitCode* exit_code);
// article, index, markup, rate, reference, contract, rule, reading, work,
// time, job, increase, due (ctl_contracts.cc).
void RegisterContractCommands(CLI::App& app, const Global& g,
                              ExitCode* exit_code);
void RegisterUsageCommands(CLI::App& app, const Global& g, ExitCode* exit_code);
// status (ctl_operations.cc).
void RegisterOperationsCommands(CLI::App& app, const Global& g,
                                ExitCode* exit_code);
// run simulate|start, prep list|show|add-line|delete|confirm
// (ctl_invoicing.cc).
void RegisterInvoicingCommands(CLI::App& app, const Global& g,
                               ExitCode* exit_code);
// issuer set|show, prep validate, invoice|notice list|show|render,
// invoice finish (ctl_invoices.cc). After RegisterInvoicingCommands.
void RegisterInvoiceCommands(CLI::App& app, const Global& g,
                             ExitCode* exit_code);

}  // namespace billing::ctl
