// billingctl customer create|update|get|list

#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "billing/v1/customer_service.grpc.pb.h"
#include "services/ctl_common.h"

namespace billing::ctl {
namespace {

using v1::Customer;

const char* const kModeNames[] = {"unspecified", "per-entity",
                                  "main-entity-detailed", "mixed"};

std::string ModeName(int mode) {
  return mode >= 0 && mode <= 3 ? kModeNames[mode] : absl::StrCat(mode);
}

struct CustomerFlags {
  std::string id, name, email, vat_id, currency, postal_code, city, country,
      delivery_mode, key, business_date;
  std::vector<std::string> address_lines;
  uint64_t expected_version = 0;
};

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
    std::cout << absl::StrFormat("address   %s, %s %s, %s\n",
                                 absl::StrJoin(a.lines(), ", "),
                                 a.postal_code(), a.city(), a.country_code());
  }
  std::cout << absl::StrFormat("version   %d (created %s, updated %s)\n",
                               c.version(), c.created_on(), c.updated_on());
}

ExitCode Show(const Global& g, const grpc::Status& s, const Customer& c) {
  if (!s.ok()) return Fail(s);
  if (g.json) {
    std::cout << ToJson(c) << std::endl;
  } else {
    PrintCustomer(c);
  }
  return 0;
}

// Copies the flags given on the command line; `mask`, when set, receives
// their paths (an update changes exactly the fields given).
void Fill(const CustomerFlags& f, const CLI::App& cmd, Customer* c,
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
    c->set_invoice_delivery_mode(static_cast<v1::InvoiceDeliveryMode>(mode));
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

void RegisterCustomerCommands(CLI::App& app, const Global& g,
                              ExitCode* exit_code) {
  CLI::App* customer = app.add_subcommand("customer", "Customers");
  customer->require_subcommand(1);
  auto stub = [&g] { return v1::CustomerService::NewStub(g.Channel()); };

  auto create_flags = std::make_shared<CustomerFlags>();
  CLI::App* create = customer->add_subcommand("create", "Create a customer");
  AddCustomerFlags(create, create_flags.get(), false);
  create->callback([&g, exit_code, create, create_flags, stub] {
    const CustomerFlags& f = *create_flags;
    v1::CreateCustomerRequest req;
    req.set_idempotency_key(f.key.empty() ? NewIdempotencyKey() : f.key);
    req.set_business_date(f.business_date);
    Fill(f, *create, req.mutable_customer(), nullptr);
    Customer out;
    *exit_code =
        Show(g, stub()->CreateCustomer(g.Context().get(), req, &out), out);
  });

  auto update_flags = std::make_shared<CustomerFlags>();
  CLI::App* update =
      customer->add_subcommand("update", "Change the fields given");
  AddCustomerFlags(update, update_flags.get(), true);
  update->callback([&g, exit_code, update, update_flags, stub] {
    const CustomerFlags& f = *update_flags;
    v1::UpdateCustomerRequest req;
    req.set_idempotency_key(f.key.empty() ? NewIdempotencyKey() : f.key);
    req.set_business_date(f.business_date);
    req.set_expected_version(f.expected_version);
    Fill(f, *update, req.mutable_customer(), req.mutable_update_mask());
    Customer out;
    *exit_code =
        Show(g, stub()->UpdateCustomer(g.Context().get(), req, &out), out);
  });

  auto get_id = std::make_shared<std::string>();
  CLI::App* get = customer->add_subcommand("get", "Show one customer");
  get->add_option("id", *get_id, "Customer code")->required();
  get->callback([&g, exit_code, get_id, stub] {
    v1::GetCustomerRequest req;
    req.set_customer_id(*get_id);
    Customer out;
    *exit_code =
        Show(g, stub()->GetCustomer(g.Context().get(), req, &out), out);
  });

  struct ListFlags {
    int page_size = 0;
    std::string page_token;
    bool all = false;
  };
  auto lf = std::make_shared<ListFlags>();
  CLI::App* list = customer->add_subcommand("list", "List customers by code");
  list->add_option("--page-size", lf->page_size, "1..1000 (default 100)");
  list->add_option("--page-token", lf->page_token, "From a previous page");
  list->add_flag("--all", lf->all, "Follow every page");
  list->callback([&g, exit_code, lf, stub] {
    bool header = false;
    std::string token = lf->page_token;
    auto s = stub();
    do {
      v1::ListCustomersRequest req;
      req.set_page_size(lf->page_size);
      req.set_page_token(token);
      v1::ListCustomersResponse resp;
      grpc::Status st = s->ListCustomers(g.Context().get(), req, &resp);
      if (!st.ok()) {
        *exit_code = Fail(st);
        return;
      }
      if (g.json) {
        std::cout << ToJson(resp) << std::endl;
      } else {
        if (!header) {
          std::cout << Pad("ID", 16) << " " << Pad("NAME", 32) << " "
                    << Pad("CURRENCY", 8) << " " << Pad("DELIVERY", 21)
                    << " VERSION\n";
          header = true;
        }
        for (const Customer& c : resp.customers()) {
          std::cout << Pad(c.customer_id(), 16) << " " << Pad(c.name(), 32)
                    << " " << Pad(c.currency(), 8) << " "
                    << Pad(ModeName(c.invoice_delivery_mode()), 21) << " "
                    << c.version() << "\n";
        }
        if (!lf->all && !resp.next_page_token().empty()) {
          std::cout << "next page: --page-token " << resp.next_page_token()
                    << "\n";
        }
      }
      token = resp.next_page_token();
    } while (lf->all && !token.empty());
    *exit_code = 0;
  });
}

}  // namespace billing::ctl
