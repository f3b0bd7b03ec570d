#include "journal_seeds.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "billing/v1/events.pb.h"
#include "engine/engine.h"
#include "fuzz_support.h"

namespace billing::fuzz {
namespace {

struct Seed {
  const char* name;
  const char* command;  // protobuf text of a v1::Command
};

const Seed kSeeds[] = {
    {"customer_created",
     R"pb(create_customer { customer { customer_id: "C2" name: "Bolt" } })pb"},
    {"customer_updated",
     R"pb(update_customer {
            customer { customer_id: "C1" name: "Acme SA" }
            update_mask { paths: "name" }
          })pb"},
    {"entity_created",
     R"pb(structure {
            customer_id: "C1"
            create_entity { entity { entity_id: "B" name: "Lyon" } }
          })pb"},
    {"object_created",
     R"pb(structure {
            customer_id: "C1"
            create_object {
              object {
                object_id: "N2"
                kind: OBJECT_KIND_PHONE_NUMBER
                parent_id: "ACC1"
                e164: "+33142680001"
              }
            }
          })pb"},
    {"plan_version_defined",
     R"pb(usage {
            customer_id: "C1"
            define_plan_version {
              version {
                plan_id: "PRO"
                effective_from: "2026-03-01T00:00:00Z"
                currency: "EUR"
                entries {
                  kind: USAGE_KIND_VOICE
                  price_micros: 30000
                  per_quantity: 60
                  first_increment: 1
                  increment: 1
                  zone_label: "All"
                }
              }
            }
          })pb"},
    {"plan_assigned",
     R"pb(usage {
            customer_id: "C1"
            assign_plan { object_id: "N1" plan_id: "PRO" }
          })pb"},
    {"usage_recorded",
     R"pb(usage {
            customer_id: "C1"
            record_usage {
              record {
                platform_id: "PBX1"
                record_id: "r1"
                object: "+33142680000"
                start_time: "2026-03-20T10:00:00+01:00"
                kind: USAGE_KIND_VOICE
                quantity: 62
                destination: "+33612345678"
                attributes { key: "trunk" value: "T1" }
              }
            }
          })pb"},
    {"usage_sms_recorded",
     R"pb(usage {
            customer_id: "C1"
            record_usage {
              record {
                platform_id: "PBX1"
                record_id: "s1"
                object: "+33142680000"
                start_time: "2026-03-31T23:59:59Z"
                kind: USAGE_KIND_SMS
                quantity: 3
                destination: "+4930123456"
              }
            }
          })pb"},
    {"usage_quarantined",
     R"pb(usage {
            customer_id: "C1"
            record_usage {
              record {
                platform_id: "PBX1"
                record_id: "early"
                object: "+33142680000"
                start_time: "2025-12-01T10:00:00+01:00"
                kind: USAGE_KIND_VOICE
                quantity: 30
                destination: "+33612345678"
              }
            }
          })pb"},
    {"quarantine_input",
     R"pb(usage {
            customer_id: "@quarantine"
            quarantine_input {
              raw: "{\"record_id\":\"r\\351\"}"
              source: "file:lat.jsonl:1"
              reason: "message: a JSON object that is not a UsageRecord"
            }
          })pb"},
    {"rule_created",
     R"pb(contract {
            customer_id: "C1"
            create_rule {
              rule {
                contract_ref: "K1"
                rule_id: "R1"
                rule_type: RULE_TYPE_FLAT
                object_ids: "ACC1"
                article_code: "MAINT"
                unit_price_micros: 100000000
                start_date: "2026-01-01"
                periodicity: PERIODICITY_MONTHLY
                timing: BILLING_TIMING_IN_ADVANCE
              }
            }
          })pb"},
};

bool WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  return static_cast<bool>(out);
}

}  // namespace

int WriteJournalSeeds(const char* dir) {
  const SeededState& seeded = Seeded();
  int failures = 0;
  for (const Seed& seed : kSeeds) {
    const v1::Command command = ParseCommand(seed.command);
    auto events = Decide(seeded.state, command, BusinessDate(2026, 4, 2),
                         FuzzTimeZones());
    if (!events.ok()) {
      std::fprintf(stderr, "%s: %s\n", seed.name,
                   events.status().ToString().c_str());
      ++failures;
      continue;
    }
    v1::LogRecord record = MakeCommandRecord(
        *CommandCustomerId(command), absl::StrCat("seed-", seed.name),
        RequestFingerprint(command, ""), Epoch(0), BusinessDate(2026, 4, 2),
        std::move(*events));
    failures += !WriteFile(absl::StrCat(dir, "/", seed.name),
                           SerializeDeterministic(record));
  }
  failures += !WriteFile(
      absl::StrCat(dir, "/ownership_claimed"),
      SerializeDeterministic(MakeOwnershipRecord(Epoch(1), "billingd-1")));
  return failures == 0 ? 0 : 1;
}

}  // namespace billing::fuzz
