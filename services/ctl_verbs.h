#pragma once

// billingctl's verbs as data. Each verb names its gRPC method and, for each
// flag, the request field the flag fills; one executor (RegisterVerbs)
// declares the flags on CLI11, fills the request through protobuf
// reflection, calls the method and hands the answer to the verb's printer,
// or prints it as JSON under --json. Only the printers are per answer.
//
// Text becomes a field by the field's type and name:
//   string         as given
//   bool           "true" | "false" (switches store their `given` value)
//   enum           the value's lower-case dashed name without the enum's
//                  prefix (RULE_TYPE_CONSUMED_UNITS: "consumed-units"), or
//                  its CLI spelling where one is kept (EnumCliName)
//   integers       by the unit the name ends in, parsed with the engine's
//                  ParseFixedPoint: _micros 6 decimals, _milli 3, _bp 2,
//                  _minor the decimals of the customer's currency; other
//                  integers as whole numbers
//   repeated       one element per occurrence of the flag (or per item of
//                  "A,B" for kCommaList)
// A flag's error (not a number, not a choice) is a usage error: exit 2.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "services/ctl_common.h"

namespace billing::ctl {

// How a flag's text reaches its field (bits).
enum FlagMode : int {
  kOptional = 0,
  kRequired = 1 << 0,
  // Takes no value: when given, the field receives `given`.
  kSwitch = 1 << 1,
  // "A,B,C": one element of the repeated field per item.
  kCommaList = 1 << 2,
  // The value names a file holding the (message) field as JSON.
  kJsonFile = 1 << 3,
  // Never named in the verb's update mask (the key of what is updated).
  kNotMasked = 1 << 4,
};

struct Flag {
  // "--customer"; a name without dashes is positional; "" is a constant
  // (never on the command line, the field always gets `absent`).
  std::string name;
  // Dotted path below the verb's root ("bill_to.mode"); a leading "/"
  // starts from the request itself ("/customer_id").
  std::string field;
  std::string help;  // "" on an enum: its choices
  int mode = kOptional;
  std::string absent;          // stored when the flag is not given ("": none)
  std::string given = "true";  // kSwitch: stored when given
  std::string group;           // flags of one group: exactly one is given
  // On a repeated message: each value is "A=B", filling these fields of one
  // element; `form` names the shape in errors ("DATE=AMOUNT").
  std::vector<std::string> parts;
  std::string form;

  Flag Absent(std::string v) const;
  Flag Given(std::string v) const;
  Flag Group(std::string g) const;
  Flag Mode(int m) const;
  Flag Parts(std::vector<std::string> p, std::string f) const;
};

Flag Req(std::string name, std::string field, std::string help);
Flag Opt(std::string name, std::string field, std::string help);
Flag Switch(std::string name, std::string field, std::string help);
// A field every call of the verb carries ("/command.customer_id" =
// "@reference").
Flag Const(std::string field, std::string value);

// What a printer gets: the request as sent and one answer (one page).
struct Answer {
  const google::protobuf::Message& request;
  const google::protobuf::Message& response;
  bool first_page = true;  // paged verbs: the header goes on the first only
  bool all_pages = false;  // --all: no "next page" hint
};
using Printer = std::function<void(const Answer&)>;

// Printers of one generated answer type (and of the request, for those that
// echo what was asked).
template <typename Response>
Printer Prints(void (*print)(const Response&)) {
  return [print](const Answer& a) {
    print(static_cast<const Response&>(a.response));
  };
}
template <typename Request, typename Response>
Printer Prints(void (*print)(const Request&, const Response&)) {
  return [print](const Answer& a) {
    print(static_cast<const Request&>(a.request),
          static_cast<const Response&>(a.response));
  };
}

// Verb options (bits).
enum VerbOption : int {
  // --key: the request's idempotency_key (a fresh random key when absent).
  kKeyFlag = 1 << 0,
  // --business-date: the request's business_date.
  kBusinessDateFlag = 1 << 1,
  kCommand = kKeyFlag | kBusinessDateFlag,
  // --all follows next_page_token into page_token until the last page.
  kPaged = 1 << 2,
  // update_mask names the root's fields given (first path element, once).
  kUpdateMask = 1 << 3,
  // _minor values take the decimals of the currency of the customer named
  // by the request's field `customer_id` (or command.customer_id).
  kCustomerCurrency = 1 << 4,
};

struct Verb {
  std::vector<std::string> path;  // {"rule", "create"}
  std::string help;
  std::string method;  // "ContractService.Execute", in the service file
  std::string root;    // where the flags' paths start ("" the request)
  std::vector<Flag> flags;
  Printer print;
  int options = 0;
};

// The flags of a billing address (v1::Address) at `at` ("billing_address"),
// after `head`.
std::vector<Flag> AddressFlags(const std::string& at, std::vector<Flag> head);

// A command group ({"usage", "quarantine"}) and its help.
struct Noun {
  std::vector<std::string> path;
  std::string help;
};

// Declares `nouns` and `verbs` on `app`; the verbs' methods are those of
// `service_file` (naming it links its generated code in, descriptors
// included). A verb whose table does not match its request message (no
// such method or field, a switch on a string) is a bug of the table:
// reported on stderr, and the program aborts at start.
void RegisterVerbs(CLI::App& app, const Global& g, ExitCode* exit_code,
                   const google::protobuf::FileDescriptor& service_file,
                   const std::vector<Noun>& nouns, std::vector<Verb> verbs);

// The command group at `path` below `app` (created, with `help`, if new).
CLI::App* NounAt(CLI::App& app, const std::vector<std::string>& path,
                 const std::string& help);

// The CLI name of an enum value ("consumed-units", "advance"); the number
// for a value the descriptor does not know.
std::string EnumCliName(const google::protobuf::EnumDescriptor& type,
                        int number);
template <typename E>
std::string CliName(E value) {
  return EnumCliName(*google::protobuf::GetEnumDescriptor<E>(),
                     static_cast<int>(value));
}

// Prints "error: message" to stderr; returns 2 (a usage error).
ExitCode UsageFail(const absl::Status& status);

}  // namespace billing::ctl
