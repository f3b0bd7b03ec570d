// billingctl customer create|update|get|list: the verb table over
// billing.v1.CustomerService and the printers of its answers.

#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "billing/v1/customer_service.pb.h"
#include "services/ctl_verbs.h"

namespace billing::ctl {
namespace {

using v1::Customer;

void PrintCustomer(const Customer& c) {
  std::cout << absl::StrFormat("customer  %s\n", c.customer_id())
            << absl::StrFormat("name      %s\n", c.name())
            << absl::StrFormat("currency  %s\n", c.currency())
            << absl::StrFormat("delivery  %s\n",
                               CliName(c.invoice_delivery_mode()))
            << absl::StrFormat(
                   "payment   %s\n",
                   CliName(c.payment_method() == v1::PAYMENT_METHOD_UNSPECIFIED
                               ? v1::PAYMENT_METHOD_TRANSFER
                               : c.payment_method()));
  if (!c.email().empty()) std::cout << "e-mail    " << c.email() << "\n";
  if (!c.vat_id().empty()) std::cout << "vat id    " << c.vat_id() << "\n";
  if (!c.siren().empty()) std::cout << "siren     " << c.siren() << "\n";
  if (c.has_sepa_mandate()) {
    std::cout << absl::StrFormat("mandate   %s (signed %s)\n",
                                 c.sepa_mandate().reference(),
                                 c.sepa_mandate().signed_on());
  }
  if (!c.billing_address().city().empty()) {
    const auto& a = c.billing_address();
    std::cout << absl::StrFormat("address   %s, %s %s, %s\n",
                                 absl::StrJoin(a.lines(), ", "),
                                 a.postal_code(), a.city(), a.country_code());
  }
  std::cout << absl::StrFormat("version   %d (created %s, updated %s)\n",
                               c.version(), c.created_on(), c.updated_on());
}

void PrintCustomerPage(const Answer& a) {
  const auto& page = static_cast<const v1::ListCustomersResponse&>(a.response);
  if (a.first_page) {
    std::cout << Pad("ID", 16) << " " << Pad("NAME", 32) << " "
              << Pad("CURRENCY", 8) << " " << Pad("DELIVERY", 21)
              << " VERSION\n";
  }
  for (const Customer& c : page.customers()) {
    std::cout << Pad(c.customer_id(), 16) << " " << Pad(c.name(), 32) << " "
              << Pad(c.currency(), 8) << " "
              << Pad(CliName(c.invoice_delivery_mode()), 21) << " "
              << c.version() << "\n";
  }
  if (!a.all_pages && !page.next_page_token().empty()) {
    std::cout << "next page: --page-token " << page.next_page_token() << "\n";
  }
}

// The fields of a customer; `update`: only --id is required, and the flags
// given make the update mask.
std::vector<Flag> CustomerFlags(bool update) {
  Flag name = Opt("--name", "name", "Name");
  return AddressFlags(
      "billing_address",
      {Req("--id", "customer_id", "Customer code (A-Z a-z 0-9 . _ -)")
           .Mode(kNotMasked),
       update ? name : name.Mode(kRequired),
       Opt("--email", "email", "Invoice e-mail"),
       Opt("--vat-id", "vat_id", "VAT id, e.g. FR40303265045"),
       Opt("--currency", "currency", "ISO 4217 code (default EUR)"),
       Opt("--delivery-mode", "invoice_delivery_mode", ""),
       Opt("--payment-method", "payment_method",
           "transfer (default), direct-debit (payment notices), cheque, "
           "card"),
       Opt("--siren", "siren", "SIREN, 9 digits (printed on invoices)"),
       Opt("--mandate-ref", "sepa_mandate.reference",
           "SEPA mandate reference (RUM), with --mandate-signed"),
       Opt("--mandate-signed", "sepa_mandate.signed_on",
           "SEPA mandate signature date, YYYY-MM-DD")});
}

std::vector<Verb> CustomerVerbs() {
  std::vector<Flag> update = CustomerFlags(true);
  update.push_back(
      Opt("--expected-version", "/expected_version",
          "Fail with ABORTED unless the customer is at this version"));
  return {
      {{"customer", "create"},
       "Create a customer",
       "CustomerService.CreateCustomer",
       "customer",
       CustomerFlags(false),
       Prints(&PrintCustomer),
       kCommand},
      {{"customer", "update"},
       "Change the fields given",
       "CustomerService.UpdateCustomer",
       "customer",
       update,
       Prints(&PrintCustomer),
       kCommand | kUpdateMask},
      {{"customer", "get"},
       "Show one customer",
       "CustomerService.GetCustomer",
       "",
       {Req("id", "customer_id", "Customer code")},
       Prints(&PrintCustomer)},
      {{"customer", "list"},
       "List customers by code",
       "CustomerService.ListCustomers",
       "",
       {Opt("--page-size", "page_size", "1..1000 (default 100)"),
        Opt("--page-token", "page_token", "From a previous page")},
       PrintCustomerPage,
       kPaged},
  };
}

}  // namespace

void RegisterCustomerCommands(CLI::App& app, const Global& g,
                              ExitCode* exit_code) {
  RegisterVerbs(app, g, exit_code,
                *v1::GetCustomerRequest::descriptor()->file(),
                {{{"customer"}, "Customers"}}, CustomerVerbs());
}

}  // namespace billing::ctl
