// billingctl demo load [--customer DEMO]
//
// Loads a demo data set through the same gRPC calls as every other verb: a
// French hotel group with four sites (billing entities), accounts with
// aliases and options, phone numbers, call queues, fax lines, a voice menu,
// conference bridges and one grouped account. Every command has a fixed
// idempotency key, "demo-<customer>-<n>", and a fixed business date, so
// loading twice changes nothing and succeeds, whatever today is.

#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "billing/v1/customer_service.grpc.pb.h"
#include "billing/v1/structure_service.grpc.pb.h"
#include "billing/v1/usage_service.grpc.pb.h"
#include "services/ctl_common.h"

namespace billing::ctl {
namespace {

// Business date of every demo command.
constexpr char kDemoDate[] = "2026-01-05";

struct DemoAddress {
  const char* line;
  const char* postal_code;
  const char* city;
};

struct DemoEntity {
  const char* id;
  const char* name;
  const char* email;
  DemoAddress address;
};

struct DemoObject {
  const char* id;
  v1::ObjectKind kind;
  const char* parent;  // "" for none
  const char* label;
  const char* e164;  // phone numbers only
  const char* entity;
  const char* discount;  // percent, "" for 0
  const char* email;     // accounts only, "" for the customer's
};

// PARIS is created first and is the main entity.
const DemoEntity kEntities[] = {
    {"PARIS",
     "Hôtel Belle Étoile Paris Opéra",
     "paris@belle-etoile.example",
     {"12 boulevard Haussmann", "75009", "Paris"}},
    {"LYON",
     "Hôtel Belle Étoile Lyon Bellecour",
     "lyon@belle-etoile.example",
     {"3 place Bellecour", "69002", "Lyon"}},
    {"NICE",
     "Hôtel Belle Étoile Nice Promenade",
     "nice@belle-etoile.example",
     {"45 promenade des Anglais", "06000", "Nice"}},
    {"LILLE",
     "Hôtel Belle Étoile Lille Grand-Place",
     "lille@belle-etoile.example",
     {"10 rue Esquermoise", "59800", "Lille"}},
};

// In creation order: accounts before what belongs to them.
const DemoObject kObjects[] = {
    // Accounts.
    {"ACC-DIRECTION", v1::OBJECT_KIND_ACCOUNT, "", "Direction générale", "",
     "PARIS", "", "direction@belle-etoile.example"},
    {"ACC-PARIS-RECEPTION", v1::OBJECT_KIND_ACCOUNT, "", "Réception Paris", "",
     "PARIS", "", ""},
    {"ACC-LYON-RECEPTION", v1::OBJECT_KIND_ACCOUNT, "", "Réception Lyon", "",
     "LYON", "", ""},
    {"ACC-NICE-RECEPTION", v1::OBJECT_KIND_ACCOUNT, "", "Réception Nice", "",
     "NICE", "", ""},
    {"ACC-LILLE-RECEPTION", v1::OBJECT_KIND_ACCOUNT, "", "Réception Lille", "",
     "LILLE", "", ""},
    // Aliases.
    {"ALIAS-DIRECTION-RH", v1::OBJECT_KIND_ALIAS, "ACC-DIRECTION",
     "Ressources humaines", "", "PARIS", "", ""},
    {"ALIAS-PARIS-CONCIERGE", v1::OBJECT_KIND_ALIAS, "ACC-PARIS-RECEPTION",
     "Conciergerie", "", "PARIS", "", ""},
    {"ALIAS-LYON-ACCUEIL", v1::OBJECT_KIND_ALIAS, "ACC-LYON-RECEPTION",
     "Accueil", "", "LYON", "", ""},
    // Options.
    {"OPT-DIRECTION-SUPERVISION", v1::OBJECT_KIND_OPTION, "ACC-DIRECTION",
     "Supervision", "", "PARIS", "", ""},
    {"OPT-DIRECTION-DETAILED", v1::OBJECT_KIND_OPTION, "ACC-DIRECTION",
     "Detailed invoice", "", "PARIS", "", ""},
    {"OPT-PARIS-RECORDING", v1::OBJECT_KIND_OPTION, "ACC-PARIS-RECEPTION",
     "Recording", "", "PARIS", "", ""},
    {"OPT-NICE-RECORDING", v1::OBJECT_KIND_OPTION, "ACC-NICE-RECEPTION",
     "Recording", "", "NICE", "", ""},
    // Phone numbers.
    {"TEL-PARIS-STANDARD", v1::OBJECT_KIND_PHONE_NUMBER, "ACC-PARIS-RECEPTION",
     "Standard Paris", "+33142680001", "PARIS", "", ""},
    {"TEL-PARIS-DIRECTION", v1::OBJECT_KIND_PHONE_NUMBER, "ACC-DIRECTION",
     "Direction", "+33142680002", "PARIS", "", ""},
    {"TEL-LYON-STANDARD", v1::OBJECT_KIND_PHONE_NUMBER, "ACC-LYON-RECEPTION",
     "Standard Lyon", "+33478420001", "LYON", "", ""},
    {"TEL-NICE-STANDARD", v1::OBJECT_KIND_PHONE_NUMBER, "ACC-NICE-RECEPTION",
     "Standard Nice", "+33493870001", "NICE", "", ""},
    {"TEL-LILLE-STANDARD", v1::OBJECT_KIND_PHONE_NUMBER, "ACC-LILLE-RECEPTION",
     "Standard Lille", "+33320550001", "LILLE", "5", ""},
    // Call queues.
    {"QUEUE-RESERVATIONS", v1::OBJECT_KIND_CALL_QUEUE, "", "Réservations", "",
     "PARIS", "", ""},
    {"QUEUE-LYON-ACCUEIL", v1::OBJECT_KIND_CALL_QUEUE, "ACC-LYON-RECEPTION",
     "Accueil Lyon", "", "LYON", "", ""},
    // Fax lines.
    {"FAX-PARIS", v1::OBJECT_KIND_FAX_LINE, "", "Fax Paris", "", "PARIS", "",
     ""},
    {"FAX-NICE", v1::OBJECT_KIND_FAX_LINE, "", "Fax Nice", "", "NICE", "12.5",
     ""},
    // Voice menu.
    {"IVR-STANDARD", v1::OBJECT_KIND_VOICE_MENU, "", "Standard vocal", "",
     "PARIS", "", ""},
    // Conference bridges.
    {"CONF-OPERA", v1::OBJECT_KIND_CONFERENCE_BRIDGE, "", "Salle Opéra", "",
     "PARIS", "", ""},
    {"CONF-HAUSSMANN", v1::OBJECT_KIND_CONFERENCE_BRIDGE, "", "Salle Haussmann",
     "", "PARIS", "", ""},
    {"CONF-LILLE", v1::OBJECT_KIND_CONFERENCE_BRIDGE, "", "Salle Grand-Place",
     "", "LILLE", "", ""},
};

constexpr char kGroupHead[] = "ACC-DIRECTION";
const char* const kGroupMembers[] = {"ACC-LYON-RECEPTION",
                                     "ACC-NICE-RECEPTION"};

// "1 voice menu", "2 voice menus".
std::string CountOf(int n, v1::ObjectKind kind) {
  const char* name = "objects";
  switch (kind) {
    case v1::OBJECT_KIND_ACCOUNT:
      name = "account";
      break;
    case v1::OBJECT_KIND_PHONE_NUMBER:
      name = "phone number";
      break;
    case v1::OBJECT_KIND_ALIAS:
      name = "alias";
      break;
    case v1::OBJECT_KIND_OPTION:
      name = "option";
      break;
    case v1::OBJECT_KIND_CALL_QUEUE:
      name = "call queue";
      break;
    case v1::OBJECT_KIND_FAX_LINE:
      name = "fax line";
      break;
    case v1::OBJECT_KIND_VOICE_MENU:
      name = "voice menu";
      break;
    case v1::OBJECT_KIND_CONFERENCE_BRIDGE:
      name = "conference bridge";
      break;
    default:
      break;
  }
  const absl::string_view s(name);
  const char* suffix = n == 1 ? "" : (absl::EndsWith(s, "s") ? "es" : "s");
  return absl::StrFormat("%d %s%s", n, s, suffix);
}

class DemoLoader {
 public:
  DemoLoader(const Global& g, std::string customer)
      : g_(g),
        customer_(std::move(customer)),
        customers_(v1::CustomerService::NewStub(g.Channel())),
        structure_(v1::BillingStructureService::NewStub(g.Channel())),
        usage_(v1::UsageService::NewStub(g.Channel())) {}

  // 0 when every command was answered OK (first time or replayed).
  ExitCode Load() {
    if (!CreateCustomer()) return 1;
    for (const DemoEntity& e : kEntities) {
      if (!CreateEntity(e)) return 1;
    }
    for (const DemoObject& o : kObjects) {
      if (!CreateObject(o)) return 1;
    }
    if (!Group(kGroupHead, v1::GROUP_ROLE_HEAD, "")) return 1;
    for (const char* member : kGroupMembers) {
      if (!Group(member, v1::GROUP_ROLE_MEMBER, kGroupHead)) return 1;
    }
    if (!RatePlan()) return 1;
    PrintSummary();
    return 0;
  }

 private:
  // "demo-<customer>-<n>", n counting the commands from 1 in a fixed order.
  std::string NextKey() {
    return absl::StrFormat("demo-%s-%d", customer_, ++commands_);
  }

  bool Check(const grpc::Status& s, const std::string& what) {
    if (s.ok()) return true;
    std::cerr << absl::StrFormat(
        "demo: %s (idempotency key %s) was refused; nothing after it was "
        "sent. Loading again resumes from there.\n",
        what, absl::StrFormat("demo-%s-%d", customer_, commands_));
    Fail(s);
    return false;
  }

  static void SetAddress(const DemoAddress& d, v1::Address* a) {
    a->add_lines(d.line);
    a->set_postal_code(d.postal_code);
    a->set_city(d.city);
    a->set_country_code("FR");
  }

  bool CreateCustomer() {
    v1::CreateCustomerRequest req;
    req.set_idempotency_key(NextKey());
    req.set_business_date(kDemoDate);
    v1::Customer* c = req.mutable_customer();
    c->set_customer_id(customer_);
    c->set_name("Hôtels Belle Étoile SA");
    c->set_email("factures@belle-etoile.example");
    c->set_vat_id("FR40303265045");
    c->set_siren("303265045");
    c->set_currency("EUR");
    c->set_invoice_delivery_mode(
        v1::INVOICE_DELIVERY_MODE_MAIN_ENTITY_DETAILED);
    SetAddress({"8 rue de Rivoli", "75004", "Paris"},
               c->mutable_billing_address());
    v1::Customer out;
    if (!Check(customers_->CreateCustomer(g_.Context().get(), req, &out),
               "customer " + customer_)) {
      return false;
    }
    customer_name_ = out.name();
    return true;
  }

  bool CreateEntity(const DemoEntity& d) {
    v1::CreateBillingEntityRequest req;
    req.set_idempotency_key(NextKey());
    req.set_business_date(kDemoDate);
    req.set_customer_id(customer_);
    v1::BillingEntity* e = req.mutable_entity();
    e->set_entity_id(d.id);
    e->set_name(d.name);
    e->set_email(d.email);
    SetAddress(d.address, e->mutable_billing_address());
    v1::BillingEntity out;
    if (!Check(structure_->CreateBillingEntity(g_.Context().get(), req, &out),
               absl::StrFormat("entity %s", d.id))) {
      return false;
    }
    entities_.push_back(std::string(d.id));
    return true;
  }

  bool CreateObject(const DemoObject& d) {
    v1::CreateObjectRequest req;
    req.set_idempotency_key(NextKey());
    req.set_business_date(kDemoDate);
    req.set_customer_id(customer_);
    v1::BillableObject* o = req.mutable_object();
    o->set_object_id(d.id);
    o->set_kind(d.kind);
    o->set_parent_id(d.parent);
    o->set_label(d.label);
    o->set_e164(d.e164);
    // The direction's FACTURE DETAILLEE (seed 000): its calls itemized.
    if (std::string_view(d.id) == "OPT-DIRECTION-DETAILED") {
      o->set_option_type(v1::OPTION_TYPE_DETAILED_INVOICE);
    }
    if (*d.email != '\0') o->mutable_account()->set_email(d.email);
    req.set_entity_id(d.entity);
    req.set_discount_percent(d.discount);
    v1::BillableObject out;
    if (!Check(structure_->CreateObject(g_.Context().get(), req, &out),
               absl::StrFormat("object %s", d.id))) {
      return false;
    }
    ++per_kind_[d.kind];
    ++objects_;
    return true;
  }

  bool Group(const char* account, v1::GroupRole role, const char* head) {
    v1::SetAccountGroupRequest req;
    req.set_idempotency_key(NextKey());
    req.set_business_date(kDemoDate);
    req.set_customer_id(customer_);
    req.set_account_id(account);
    req.set_role(role);
    req.set_head_account_id(head);
    v1::BillableObject out;
    return Check(structure_->SetAccountGroup(g_.Context().get(), req, &out),
                 absl::StrFormat("group of account %s", account));
  }

  // Rate plan "PRO" (voice in France, 0.020000 EUR/min, first minute then
  // per second, set-up 0.05; mobiles 0.100000 EUR/min), on every account, so
  // that usage imported for the demo's numbers is rated.
  bool RatePlan() {
    v1::DefineRatePlanVersionRequest req;
    req.set_idempotency_key(NextKey());
    req.set_business_date(kDemoDate);
    req.set_customer_id(customer_);
    v1::RatePlanVersion* v = req.mutable_version();
    v->set_plan_id("PRO");
    v->set_effective_from("2026-01-01T00:00:00+01:00");
    v->set_currency("EUR");
    v->set_time_zone("Europe/Paris");
    for (const auto& [prefix, price, label] :
         {std::tuple<const char*, int64_t, const char*>{"+33", 20000, "France"},
          {"+336", 100000, "France mobile"},
          {"+337", 100000, "France mobile"}}) {
      v1::RateEntry* e = v->add_entries();
      e->set_kind(v1::USAGE_KIND_VOICE);
      e->set_destination_prefix(prefix);
      e->set_price_micros(price);
      e->set_per_quantity(60);
      e->set_setup_fee_micros(50000);
      e->set_first_increment(60);
      e->set_increment(1);
      e->set_zone_label(label);
    }
    v1::RatePlanVersion out;
    if (!Check(usage_->DefineRatePlanVersion(g_.Context().get(), req, &out),
               "rate plan PRO")) {
      return false;
    }
    for (const DemoObject& o : kObjects) {
      if (o.kind != v1::OBJECT_KIND_ACCOUNT) continue;
      v1::AssignRatePlanRequest assign;
      assign.set_idempotency_key(NextKey());
      assign.set_business_date(kDemoDate);
      assign.set_customer_id(customer_);
      assign.set_object_id(o.id);
      assign.set_plan_id("PRO");
      v1::AssignRatePlanResponse none;
      if (!Check(usage_->AssignRatePlan(g_.Context().get(), assign, &none),
                 absl::StrFormat("rate plan of %s", o.id))) {
        return false;
      }
    }
    return true;
  }

  void PrintSummary() const {
    std::vector<std::string> kinds;
    for (const auto& [kind, n] : per_kind_) {
      kinds.push_back(CountOf(n, kind));
    }
    if (g_.json) {
      std::cout << absl::StrFormat(
                       "{\"customer_id\":\"%s\",\"business_date\":\"%s\","
                       "\"commands\":%d,\"entities\":%d,\"objects\":%d,"
                       "\"group_head\":\"%s\",\"group_members\":%d}",
                       customer_, kDemoDate, commands_, entities_.size(),
                       objects_, kGroupHead, std::size(kGroupMembers))
                << std::endl;
      return;
    }
    std::cout << absl::StrFormat(
        "demo: customer %s \"%s\" (delivery main-entity-detailed), created "
        "on %s\n",
        customer_, customer_name_, kDemoDate);
    std::cout << absl::StrFormat("  %d entities: %s (%s is main)\n",
                                 entities_.size(),
                                 absl::StrJoin(entities_, ", "), entities_[0]);
    std::cout << absl::StrFormat("  %d objects: %s\n", objects_,
                                 absl::StrJoin(kinds, ", "));
    std::cout << absl::StrFormat("  1 group: head %s, members %s\n", kGroupHead,
                                 absl::StrJoin(kGroupMembers, ", "));
    std::cout << absl::StrFormat(
        "  %d commands, idempotency keys demo-%s-1 to demo-%s-%d: loading "
        "again changes nothing\n",
        commands_, customer_, customer_, commands_);
    std::cout << absl::StrFormat("try: billingctl object list --customer %s\n",
                                 customer_);
  }

  const Global& g_;
  const std::string customer_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::BillingStructureService::Stub> structure_;
  std::unique_ptr<v1::UsageService::Stub> usage_;
  int commands_ = 0;
  int objects_ = 0;
  std::string customer_name_;
  std::vector<std::string> entities_;
  std::map<v1::ObjectKind, int> per_kind_;
};

}  // namespace

void RegisterDemoCommands(CLI::App& app, const Global& g, ExitCode* exit_code) {
  CLI::App* demo = app.add_subcommand("demo", "Demo data");
  demo->require_subcommand(1);
  auto customer = std::make_shared<std::string>("DEMO");
  CLI::App* load = demo->add_subcommand(
      "load",
      "Load the demo data set (a hotel group with four sites); loading twice "
      "changes nothing");
  load->add_option("--customer", *customer, "Customer code (default DEMO)");
  load->callback([&g, exit_code, customer] {
    *exit_code = DemoLoader(g, *customer).Load();
  });
}

}  // namespace billing::ctl
