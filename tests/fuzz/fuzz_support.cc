#include "fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "billing/v1/commands.pb.h"
#include "billing/v1/contracts.pb.h"
#include "billing/v1/state.pb.h"
#include "billing/v1/structure.pb.h"
#include "billing/v1/usage.pb.h"
#include "engine/engine.h"
#include "google/protobuf/text_format.h"

namespace billing::fuzz {

void Fail(absl::string_view what) {
  std::fprintf(stderr, "fuzz contract broken: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

bool IsValidUtf8(absl::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4, cp = c & 0x07;
    } else {
      return false;  // a continuation byte first, 0xc0/0xc1, or 0xf5+
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    const uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

void CheckErrorMessage(const absl::Status& status, absl::string_view where) {
  const absl::string_view m = status.message();
  const std::string head = absl::CHexEscape(m.substr(0, 200));
  FUZZ_CHECK(
      !m.empty(),
      absl::StrCat(where, ": error without a message: ", status.ToString()));
  FUZZ_CHECK(IsValidUtf8(m),
             absl::StrCat(where, ": message is not UTF-8: ", head));
  FUZZ_CHECK(m.size() <= kMessageBytesMax,
             absl::StrCat(where, ": message of ", m.size(),
                          " bytes (more than ", kMessageBytesMax, "): ", head));
}

namespace {

v1::Command Structure(v1::Command c = {}) {
  c.mutable_structure()->set_customer_id("C1");
  return c;
}

v1::Command Usage() {
  v1::Command c;
  c.mutable_usage()->set_customer_id("C1");
  return c;
}

// Voice (per minute, first minute, then per second), SMS and data, to every
// destination, with a peak band on weekdays.
v1::Command DefinePlan() {
  v1::Command c = Usage();
  auto* v = c.mutable_usage()->mutable_define_plan_version()->mutable_version();
  v->set_plan_id("PRO");
  v->set_effective_from("2026-01-01T00:00:00+01:00");
  v->set_currency("EUR");
  v->set_time_zone("Europe/Paris");
  auto* band = v->add_bands();
  band->set_name("peak");
  for (int d = 1; d <= 5; ++d) band->add_weekdays(d);
  band->set_start_minute(8 * 60);
  band->set_end_minute(20 * 60);
  struct Entry {
    v1::UsageKind kind;
    const char* prefix;
    const char* band;
    int64_t price, per, setup, first, increment;
  };
  for (const Entry& e : std::vector<Entry>{
           {v1::USAGE_KIND_VOICE, "", "", 20000, 60, 50000, 60, 1},
           {v1::USAGE_KIND_VOICE, "+33", "", 10000, 60, 0, 30, 30},
           {v1::USAGE_KIND_VOICE, "+33", "peak", 15000, 60, 0, 30, 30},
           {v1::USAGE_KIND_SMS, "", "", 100000, 1, 0, 0, 1},
           {v1::USAGE_KIND_DATA, "", "", 5000, 1048576, 0, 0, 1024}}) {
    auto* r = v->add_entries();
    r->set_kind(e.kind);
    r->set_destination_prefix(e.prefix);
    r->set_band(e.band);
    r->set_price_micros(e.price);
    r->set_per_quantity(e.per);
    r->set_setup_fee_micros(e.setup);
    r->set_first_increment(e.first);
    r->set_increment(e.increment);
    r->set_zone_label(absl::StrCat("zone ", e.prefix, e.band));
  }
  return c;
}

}  // namespace

v1::Command ParseCommand(absl::string_view text) {
  v1::Command command;
  FUZZ_CHECK(google::protobuf::TextFormat::ParseFromString(std::string(text),
                                                           &command),
             text);
  return command;
}

namespace {

std::vector<v1::Command> SeedCommands() {
  std::vector<v1::Command> out;
  v1::Command customer;
  auto* c = customer.mutable_create_customer()->mutable_customer();
  c->set_customer_id("C1");
  c->set_name("Acme");
  out.push_back(customer);
  v1::Command entity = Structure();
  auto* e =
      entity.mutable_structure()->mutable_create_entity()->mutable_entity();
  e->set_entity_id("A");
  e->set_name("Paris");
  out.push_back(entity);
  v1::Command account = Structure();
  auto* a =
      account.mutable_structure()->mutable_create_object()->mutable_object();
  a->set_object_id("ACC1");
  a->set_kind(v1::OBJECT_KIND_ACCOUNT);
  out.push_back(account);
  v1::Command number = Structure();
  auto* n =
      number.mutable_structure()->mutable_create_object()->mutable_object();
  n->set_object_id("N1");
  n->set_kind(v1::OBJECT_KIND_PHONE_NUMBER);
  n->set_parent_id("ACC1");
  n->set_e164("+33142680000");
  out.push_back(number);
  out.push_back(DefinePlan());
  v1::Command assign = Usage();
  assign.mutable_usage()->mutable_assign_plan()->set_object_id("ACC1");
  assign.mutable_usage()->mutable_assign_plan()->set_plan_id("PRO");
  out.push_back(assign);
  for (const char* text : {
           R"pb(contract {
                  customer_id: "@reference"
                  define_article {
                    article {
                      article_code: "MAINT"
                      label: "Maintenance"
                      vat_rate_bp: 2000
                    }
                  }
                })pb",
           R"pb(contract {
                  customer_id: "C1"
                  create_contract {
                    contract {
                      contract_ref: "K1"
                      contract_family: "MAINT"
                      billing_family: "SERV"
                      start_date: "2026-01-01"
                    }
                  }
                })pb"}) {
    out.push_back(ParseCommand(text));
  }
  return out;
}

SeededState MakeSeeded() {
  SeededState s;
  for (const v1::Command& command : SeedCommands()) {
    auto events = Decide(s.state, command, kSeedDate, FuzzTimeZones());
    FUZZ_CHECK(events.ok(), events.status().ToString());
    v1::LogRecord record = MakeCommandRecord(
        *CommandCustomerId(command), absl::StrCat("seed-", s.next_offset),
        RequestFingerprint(command, ""), Epoch(0), kSeedDate,
        std::move(*events));
    auto applied =
        ApplyRecord(s.state, kPartition, Offset(s.next_offset), record);
    FUZZ_CHECK(applied.ok(), applied.status().ToString());
    ++s.next_offset;
  }
  return s;
}

// What each key family holds: a message type, or text (nullptr).
struct Family {
  absl::string_view prefix;
  const google::protobuf::Descriptor* type;
};

const std::vector<Family>& Families() {
  static const auto* families = new std::vector<Family>{
      // Longer prefixes first: "objh/" before "obj/", "ref/art/" ...
      {"objh/", v1::AssignmentChange::descriptor()},
      {"obj/", v1::BillableObject::descriptor()},
      {"cust/", v1::Customer::descriptor()},
      {"idem/", v1::IdempotencyRecord::descriptor()},
      {"part/", v1::PartitionProgress::descriptor()},
      {"ent/", v1::BillingEntity::descriptor()},
      {"kids/", nullptr},
      {"e164/", nullptr},
      {"dir/", nullptr},
      {"uplan/", v1::RatePlanVersion::descriptor()},
      {"uassign/", nullptr},
      {"useen/", nullptr},
      {"utot/", v1::UsageTotals::descriptor()},
      {"urec/", v1::UsageRecorded::descriptor()},
      {"uquar/", v1::UsageQuarantined::descriptor()},
      {"uqin/", v1::QuarantinedInput::descriptor()},
      {"ctr/", v1::Contract::descriptor()},
      {"rule/", v1::BillingRule::descriptor()},
      {"meter/", v1::MeterState::descriptor()},
      {"read/", v1::Reading::descriptor()},
      {"work/", v1::WorkUnits::descriptor()},
      {"time/", v1::TimeEntry::descriptor()},
      {"job/", v1::Job::descriptor()},
      {"ref/art/", v1::Article::descriptor()},
      {"ref/idx/", v1::IndexPublication::descriptor()},
      {"ref/markup/", v1::CompanyMarkup::descriptor()},
      {"ref/rate/", v1::HourlyRate::descriptor()},
  };
  return *families;
}

}  // namespace

TimeZoneResolver FuzzTimeZones() {
  // Loaded once; names outside this list answer as an unknown zone does in
  // billingd (the fuzzer must not open files it names).
  static const auto* zones = [] {
    auto* m = new std::vector<std::pair<std::string, absl::TimeZone>>();
    for (const char* name : {"Europe/Paris", "America/New_York", "Asia/Kolkata",
                             "Australia/Lord_Howe"}) {
      absl::TimeZone z;
      FUZZ_CHECK(absl::LoadTimeZone(name, &z), name);
      m->emplace_back(name, z);
    }
    return m;
  }();
  return [](absl::string_view name) -> absl::StatusOr<absl::TimeZone> {
    if (name.empty() || name == "UTC") return absl::UTCTimeZone();
    for (const auto& [n, z] : *zones) {
      if (n == name) return z;
    }
    return absl::FailedPreconditionError(
        absl::StrCat("\"", absl::CHexEscape(name.substr(0, 64)),
                     "\" is not a known time zone"));
  };
}

const SeededState& Seeded() {
  static const auto* seeded = new SeededState(MakeSeeded());
  return *seeded;
}

void CheckStateParses(const MemoryState& state) {
  for (const auto& [key, value] : state.data()) {
    const Family* family = nullptr;
    for (const Family& f : Families()) {
      if (absl::StartsWith(key, f.prefix)) {
        family = &f;
        break;
      }
    }
    const std::string k = absl::CHexEscape(key.substr(0, 120));
    FUZZ_CHECK(family != nullptr, absl::StrCat("a key of no family: ", k));
    if (family->type == nullptr) {
      FUZZ_CHECK(IsValidUtf8(value),
                 absl::StrCat("text value is not UTF-8 under ", k));
      continue;
    }
    std::unique_ptr<google::protobuf::Message> m(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(family->type)
            ->New());
    FUZZ_CHECK(m->ParseFromString(value),
               absl::StrCat("value under ", k, " does not parse as ",
                            family->type->full_name()));
  }
}

MemoryState Merged(const MemoryState& base, const OverlayState& overlay) {
  MemoryState out = base;
  for (const auto& [key, value] : overlay.writes()) {
    if (value.has_value()) {
      out.Put(key, *value);
    } else {
      out.Delete(key);
    }
  }
  return out;
}

}  // namespace billing::fuzz
