// billingctl: the command line over billingd's gRPC API. Human output by
// default, --json for scripts (one JSON object per answer, proto field names).
//
// Exit codes: 0 done; 1 the server refused or failed (the gRPC code and the
// message go to stderr); 2 usage error.

#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <iostream>
#include <random>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "billing/v1/customer_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"

namespace {

using billing::v1::Customer;

struct Global {
  std::string server = std::getenv("BILLING_SERVER") != nullptr
                           ? std::getenv("BILLING_SERVER")
                           : "127.0.0.1:50051";
  bool json = false;
  int timeout_s = 30;
};

// Fields a create or update may set; `given` tells which were on the command
// line (update builds its mask from them).
struct CustomerFlags {
  std::string id, name, email, vat_id, currency, postal_code, city, country,
      delivery_mode;
  std::vector<std::string> address_lines;
  std::string key, business_date;
  uint64_t expected_version = 0;
};

const char* const kModeNames[] = {"unspecified", "per-entity",
                                  "main-entity-detailed", "mixed"};

std::string NewIdempotencyKey() {
  std::random_device rd;
  return absl::StrFormat("ctl-%08x%08x%08x%08x", rd(), rd(), rd(), rd());
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

std::string ModeName(int mode) {
  return mode >= 0 && mode <= 3 ? kModeNames[mode] : absl::StrCat(mode);
}

void PrintCustomer(const Customer& c) {
  std::cout << absl::StrFormat("customer  %s\n", c.customer_id())
            << absl::StrFormat("name      %s\n", c.name())
            << absl::StrFormat("currency  %s\n", c.currency())
            << absl::StrFormat("delivery  %s\n",
                               ModeName(c.invoice_delivery_mode()));
  if (!c.email().empty()) std::cout << "e-mail    " << c.email() << "\n";
  if (!c.vat_id().empty()) std::cout << "vat id    " << c.vat_id() << "\n";
  if (!c.billing_address().city().empty()) {
    const auto& a = c.billing_address();
    std::cout << absl::StrFormat(
        "address   %s, %s %s, %s\n", absl::StrJoin(a.lines(), ", "),
        a.postal_code(), a.city(), a.country_code());
  }
  std::cout << absl::StrFormat("version   %d (created %s, updated %s)\n",
                               c.version(), c.created_on(), c.updated_on());
}

int Fail(const grpc::Status& s) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",          "UNKNOWN",      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",  "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",       "UNAVAILABLE",  "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int code = s.error_code();
  std::cerr << "error: " << (code >= 0 && code <= 16 ? kNames[code] : "?")
            << ": " << s.error_message() << std::endl;
  return 1;
}

class Client {
 public:
  explicit Client(const Global& g)
      : g_(g),
        stub_(billing::v1::CustomerService::NewStub(grpc::CreateChannel(
            g.server, grpc::InsecureChannelCredentials()))) {}

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(g_.timeout_s));
    return ctx;
  }

  int Show(const grpc::Status& s, const Customer& c) const {
    if (!s.ok()) return Fail(s);
    if (g_.json) {
      std::cout << ToJson(c) << std::endl;
    } else {
      PrintCustomer(c);
    }
    return 0;
  }

  int Create(const CustomerFlags& f, const CLI::App& cmd) {
    billing::v1::CreateCustomerRequest req;
    req.set_idempotency_key(f.key.empty() ? NewIdempotencyKey() : f.key);
    req.set_business_date(f.business_date);
    Fill(f, cmd, req.mutable_customer(), nullptr);
    Customer out;
    return Show(stub_->CreateCustomer(Context().get(), req, &out), out);
  }

  int Update(const CustomerFlags& f, const CLI::App& cmd) {
    billing::v1::UpdateCustomerRequest req;
    req.set_idempotency_key(f.key.empty() ? NewIdempotencyKey() : f.key);
    req.set_business_date(f.business_date);
    req.set_expected_version(f.expected_version);
    Fill(f, cmd, req.mutable_customer(), req.mutable_update_mask());
    Customer out;
    return Show(stub_->UpdateCustomer(Context().get(), req, &out), out);
  }

  int Get(const std::string& id) {
    billing::v1::GetCustomerRequest req;
    req.set_customer_id(id);
    Customer out;
    return Show(stub_->GetCustomer(Context().get(), req, &out), out);
  }

  int List(int page_size, std::string token, bool all) {
    bool header = false;
    do {
      billing::v1::ListCustomersRequest req;
      req.set_page_size(page_size);
      req.set_page_token(token);
      billing::v1::ListCustomersResponse resp;
      grpc::Status s = stub_->ListCustomers(Context().get(), req, &resp);
      if (!s.ok()) return Fail(s);
      if (g_.json) {
        std::cout << ToJson(resp) << std::endl;
      } else {
        if (!header) {
          std::cout << absl::StrFormat("%-16s %-32s %-8s %-21s %s\n", "ID",
                                       "NAME", "CURRENCY", "DELIVERY",
                                       "VERSION");
          header = true;
        }
        for (const Customer& c : resp.customers()) {
          std::cout << absl::StrFormat(
              "%-16s %-32s %-8s %-21s %d\n", c.customer_id(), c.name(),
              c.currency(), ModeName(c.invoice_delivery_mode()), c.version());
        }
        if (!all && !resp.next_page_token().empty()) {
          std::cout << "next page: --page-token " << resp.next_page_token()
                    << "\n";
        }
      }
      token = resp.next_page_token();
    } while (all && !token.empty());
    return 0;
  }

 private:
  static void Fill(const CustomerFlags& f, const CLI::App& cmd, Customer* c,
                   google::protobuf::FieldMask* mask) {
    auto given = [&](const char* flag) { return cmd.count(flag) > 0; };
    auto add = [&](const char* path) {
      if (mask != nullptr) mask->add_paths(path);
    };
    c->set_customer_id(f.id);
    if (given("--name")) c->set_name(f.name), add("name");
    if (given("--email")) c->set_email(f.email), add("email");
    if (given("--vat-id")) c->set_vat_id(f.vat_id), add("vat_id");
    if (given("--currency")) c->set_currency(f.currency), add("currency");
    if (given("--delivery-mode")) {
      int mode = 0;
      for (int i = 1; i <= 3; ++i) {
        if (f.delivery_mode == kModeNames[i]) mode = i;
      }
      c->set_invoice_delivery_mode(
          static_cast<billing::v1::InvoiceDeliveryMode>(mode));
      add("invoice_delivery_mode");
    }
    if (given("--address-line") || given("--city") || given("--postal-code") ||
        given("--country")) {
      auto* a = c->mutable_billing_address();
      for (const auto& l : f.address_lines) a->add_lines(l);
      a->set_postal_code(f.postal_code);
      a->set_city(f.city);
      a->set_country_code(f.country);
      add("billing_address");
    }
  }

  const Global& g_;
  std::unique_ptr<billing::v1::CustomerService::Stub> stub_;
};

void AddCustomerFlags(CLI::App* cmd, CustomerFlags* f, bool update) {
  cmd->add_option("--id", f->id, "Customer code (A-Z a-z 0-9 . _ -)")
      ->required();
  auto* name = cmd->add_option("--name", f->name, "Name");
  if (!update) name->required();
  cmd->add_option("--email", f->email, "Invoice e-mail");
  cmd->add_option("--vat-id", f->vat_id, "VAT id, e.g. FR40303265045");
  cmd->add_option("--currency", f->currency, "ISO 4217 code (default EUR)");
  cmd->add_option("--address-line", f->address_lines,
                  "Billing address line (repeat for up to 3 lines)");
  cmd->add_option("--postal-code", f->postal_code, "Postal code");
  cmd->add_option("--city", f->city, "City");
  cmd->add_option("--country", f->country, "ISO 3166 alpha-2, e.g. FR");
  cmd->add_option("--delivery-mode", f->delivery_mode,
                  "per-entity | main-entity-detailed | mixed")
      ->check(CLI::IsMember({"per-entity", "main-entity-detailed", "mixed"}));
  cmd->add_option("--key", f->key,
                  "Idempotency key (default: a new random key); reuse it to "
                  "retry safely");
  cmd->add_option("--business-date", f->business_date,
                  "YYYY-MM-DD (default: the server's date)");
  if (update) {
    cmd->add_option("--expected-version", f->expected_version,
                    "Fail with ABORTED unless the customer is at this version");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"billingctl: command line for billingd"};
  app.require_subcommand(1);
  Global g;
  app.add_option("--server", g.server,
                 "billingd address (env BILLING_SERVER; default "
                 "127.0.0.1:50051)");
  app.add_flag("--json", g.json, "JSON output");
  app.add_option("--timeout-s", g.timeout_s, "Deadline of each call, seconds");

  CLI::App* customer = app.add_subcommand("customer", "Customers");
  customer->require_subcommand(1);
  CustomerFlags create_flags, update_flags;
  CLI::App* create = customer->add_subcommand("create", "Create a customer");
  AddCustomerFlags(create, &create_flags, false);
  CLI::App* update =
      customer->add_subcommand("update", "Change the fields given");
  AddCustomerFlags(update, &update_flags, true);
  std::string get_id;
  CLI::App* get = customer->add_subcommand("get", "Show one customer");
  get->add_option("id", get_id, "Customer code")->required();
  int page_size = 0;
  std::string page_token;
  bool all = false;
  CLI::App* list = customer->add_subcommand("list", "List customers by code");
  list->add_option("--page-size", page_size, "1..1000 (default 100)");
  list->add_option("--page-token", page_token, "From a previous page");
  list->add_flag("--all", all, "Follow every page");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  Client client(g);
  if (*create) return client.Create(create_flags, *create);
  if (*update) return client.Update(update_flags, *update);
  if (*get) return client.Get(get_id);
  if (*list) return client.List(page_size, page_token, all);
  return 2;
}
