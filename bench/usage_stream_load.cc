// usage_stream_load: sends usage records to a running billingd through
// UsageService.IngestUsage from --streams concurrent client streams (C++,
// synchronous stubs, one thread and one channel each), for
// bench/usage_memory.py to fill billingd with millions of rated records.
//
//   usage_stream_load --server=HOST:PORT --from=0 --records=1000000
//       [--streams=4] [--per_stream=20000] [--prefix=M]
//
// Record i (from <= i < from + records): platform PBX1, id <prefix><i>, a
// voice call of 1 + i % 300 s on one of the demo's five numbers
// (billingctl demo load) in March 2026, to +33612345678. Each stream call
// carries --per_stream consecutive records, taken in turn by the threads; a
// call that fails is sent again whole (at most 3 times: what was billed
// before is then counted as a duplicate, never billed twice).
//
// Output: one "result ..." line (key=value): records sent, rated,
// duplicates, quarantined, failed calls, seconds, records_per_s.
// Exit status: 0 when every record was rated or a duplicate; 1 otherwise.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "billing/v1/usage_service.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "billingd address.");
ABSL_FLAG(int64_t, from, 0, "Index of the first record.");
ABSL_FLAG(int64_t, records, 100000, "Records to send.");
ABSL_FLAG(int32_t, streams, 4, "Concurrent streams (threads), 1..256.");
ABSL_FLAG(int64_t, per_stream, 20000, "Records per stream call.");
ABSL_FLAG(std::string, prefix, "M", "Prefix of the record ids.");

namespace {

constexpr const char* kNumbers[] = {"+33142680001", "+33142680002",
                                    "+33478420001", "+33493870001",
                                    "+33320550001"};
// Deadline of one stream call, and the attempts of a chunk.
constexpr auto kCallDeadline = std::chrono::seconds(300);
constexpr int kAttempts = 3;

billing::v1::UsageRecord MakeRecord(int64_t i, const std::string& prefix) {
  billing::v1::UsageRecord r;
  r.set_platform_id("PBX1");
  r.set_record_id(absl::StrCat(prefix, i));
  r.set_object(kNumbers[i % 5]);
  r.set_start_time(absl::StrFormat("2026-03-%02dT%02d:%02d:00+01:00",
                                   1 + i % 28, i % 24, i % 60));
  r.set_kind(billing::v1::USAGE_KIND_VOICE);
  r.set_quantity(1 + i % 300);
  r.set_destination("+33612345678");
  return r;
}

struct Totals {
  int64_t rated = 0, duplicates = 0, quarantined = 0, failed_calls = 0,
          unfinished = 0;
  std::string first_error;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int64_t from = absl::GetFlag(FLAGS_from);
  const int64_t records = absl::GetFlag(FLAGS_records);
  const int32_t streams = absl::GetFlag(FLAGS_streams);
  const int64_t per_stream = absl::GetFlag(FLAGS_per_stream);
  const std::string prefix = absl::GetFlag(FLAGS_prefix);
  if (records < 0 || streams < 1 || streams > 256 || per_stream < 1) {
    std::cerr << "usage_stream_load: bad --records, --streams or --per_stream"
              << std::endl;
    return 2;
  }
  std::atomic<int64_t> next{from};
  const int64_t end = from + records;
  Totals totals;
  std::mutex mu;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int32_t s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      grpc::ChannelArguments channel_args;
      channel_args.SetInt("stream_load.channel", s);  // one connection each
      auto stub = billing::v1::UsageService::NewStub(grpc::CreateCustomChannel(
          absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials(),
          channel_args));
      Totals mine;
      for (int64_t lo = next.fetch_add(per_stream); lo < end;
           lo = next.fetch_add(per_stream)) {
        const int64_t hi = std::min(end, lo + per_stream);
        bool done = false;
        for (int attempt = 0; attempt < kAttempts && !done; ++attempt) {
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
          billing::v1::IngestSummary summary;
          auto writer = stub->IngestUsage(&ctx, &summary);
          for (int64_t i = lo; i < hi; ++i) {
            if (!writer->Write(MakeRecord(i, prefix))) break;
          }
          writer->WritesDone();
          const grpc::Status st = writer->Finish();
          if (st.ok()) {
            mine.rated += summary.rated();
            mine.duplicates += summary.duplicates();
            mine.quarantined += summary.quarantined();
            done = true;
          } else {
            ++mine.failed_calls;
            if (mine.first_error.empty()) {
              mine.first_error = absl::StrCat(
                  static_cast<int>(st.error_code()), ": ",
                  st.error_message().substr(0, 300));
            }
          }
        }
        if (!done) mine.unfinished += hi - lo;
      }
      std::lock_guard<std::mutex> lock(mu);
      totals.rated += mine.rated;
      totals.duplicates += mine.duplicates;
      totals.quarantined += mine.quarantined;
      totals.failed_calls += mine.failed_calls;
      totals.unfinished += mine.unfinished;
      if (totals.first_error.empty()) totals.first_error = mine.first_error;
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (!totals.first_error.empty()) {
    std::cerr << "first error: " << totals.first_error << std::endl;
  }
  std::cout << absl::StrFormat(
                   "result from=%d records=%d streams=%d per_stream=%d "
                   "rated=%d duplicates=%d quarantined=%d failed_calls=%d "
                   "unfinished=%d seconds=%.2f records_per_s=%.0f",
                   from, records, streams, per_stream, totals.rated,
                   totals.duplicates, totals.quarantined, totals.failed_calls,
                   totals.unfinished, seconds,
                   seconds > 0 ? records / seconds : 0.0)
            << std::endl;
  return totals.rated + totals.duplicates == records ? 0 : 1;
}
