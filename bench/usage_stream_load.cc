// usage_stream_load: sends usage records to a running billingd through
// UsageService.IngestUsage from --streams concurrent client streams (C++,
// synchronous stubs, one thread and one channel each), for
// bench/usage_memory.py to fill billingd with millions of rated records.
//
//   usage_stream_load --server=HOST:PORT --from=0 --records=1000000
//       [--streams=4] [--per_stream=20000] [--prefix=M] [--batch=N]
//       [--rate=R]
//
// Record i (from <= i < from + records): platform PBX1, id <prefix><i>, a
// voice call of 1 + i % 300 s on one of the demo's five numbers
// (billingctl demo load) in March 2026, to +33612345678. Each stream call
// carries --per_stream consecutive records, taken in turn by the threads; a
// call that fails is sent again whole (at most 3 times: what was billed
// before is then counted as a duplicate, never billed twice). --batch=N
// sends them N to a UsageBatch message on IngestUsageBatches (0: one per
// message on IngestUsage); --rate holds all streams together to R records/s.
// Every message is built before the clock starts (memory: about 300 bytes a
// record), so the client's time is gRPC's.
//
// Output: one "result ..." line (key=value): records sent, rated,
// duplicates, quarantined, failed calls, seconds, records_per_s, the
// client's CPU seconds.
// Exit status: 0 when every record was rated or a duplicate; 1 otherwise.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
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
ABSL_FLAG(int64_t, batch, 0,
          "Records per message: 0, one UsageRecord per message on "
          "IngestUsage; N (1..4096), UsageBatch messages of N records on "
          "IngestUsageBatches.");
ABSL_FLAG(double, rate, 0,
          "Records per second from all streams together; 0: as fast as "
          "billingd takes them.");

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

// One stream call's records [lo, hi), as the messages it sends: built
// before the clock starts, so that the client's own work is only gRPC's.
struct Chunk {
  int64_t lo = 0, hi = 0;
  std::vector<billing::v1::UsageRecord> records;  // --batch=0
  std::vector<billing::v1::UsageBatch> batches;   // --batch=N
};

Chunk MakeChunk(int64_t lo, int64_t hi, int64_t batch,
                const std::string& prefix) {
  Chunk c{lo, hi, {}, {}};
  for (int64_t i = lo; i < hi; ++i) {
    if (batch == 0) {
      c.records.push_back(MakeRecord(i, prefix));
      continue;
    }
    if ((i - lo) % batch == 0) c.batches.emplace_back();
    *c.batches.back().add_records() = MakeRecord(i, prefix);
  }
  return c;
}

// Holds a stream to `rate_per_s` records/s (0: as fast as it goes): waits
// until `sent` records are due since `start`.
void Pace(std::chrono::steady_clock::time_point start, int64_t sent,
          double rate_per_s) {
  if (rate_per_s <= 0) return;
  std::this_thread::sleep_until(
      start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(sent / rate_per_s)));
}

// Sends one chunk in one call; the call's status.
template <typename Stub>
grpc::Status SendChunk(Stub& stub, const Chunk& c,
                       billing::v1::IngestSummary& summary,
                       std::chrono::steady_clock::time_point start,
                       int64_t& sent, double rate_per_s) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  if (c.batches.empty()) {
    auto writer = stub.IngestUsage(&ctx, &summary);
    for (const auto& r : c.records) {
      Pace(start, sent++, rate_per_s);
      if (!writer->Write(r)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }
  auto writer = stub.IngestUsageBatches(&ctx, &summary);
  for (const auto& b : c.batches) {
    Pace(start, sent, rate_per_s);
    sent += b.records_size();
    if (!writer->Write(b)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int64_t from = absl::GetFlag(FLAGS_from);
  const int64_t records = absl::GetFlag(FLAGS_records);
  const int32_t streams = absl::GetFlag(FLAGS_streams);
  const int64_t per_stream = absl::GetFlag(FLAGS_per_stream);
  const std::string prefix = absl::GetFlag(FLAGS_prefix);
  const int64_t batch = absl::GetFlag(FLAGS_batch);
  const double rate = absl::GetFlag(FLAGS_rate);
  if (records < 0 || streams < 1 || streams > 256 || per_stream < 1 ||
      batch < 0 || batch > 4096 || rate < 0) {
    std::cerr << "usage_stream_load: bad --records, --streams, --per_stream, "
                 "--batch (0..4096) or --rate"
              << std::endl;
    return 2;
  }
  const int64_t end = from + records;
  std::vector<Chunk> chunks;
  for (int64_t lo = from; lo < end; lo += per_stream) {
    chunks.push_back(
        MakeChunk(lo, std::min(end, lo + per_stream), batch, prefix));
  }
  std::atomic<size_t> next{0};
  Totals totals;
  std::mutex mu;
  const double cpu0 = static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
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
      int64_t sent = 0;  // by this stream, for --rate
      for (size_t k = next.fetch_add(1); k < chunks.size();
           k = next.fetch_add(1)) {
        const Chunk& c = chunks[k];
        bool done = false;
        for (int attempt = 0; attempt < kAttempts && !done; ++attempt) {
          billing::v1::IngestSummary summary;
          const grpc::Status st =
              SendChunk(*stub, c, summary, t0, sent, rate / streams);
          if (st.ok()) {
            mine.rated += summary.rated();
            mine.duplicates += summary.duplicates();
            mine.quarantined += summary.quarantined();
            done = true;
          } else {
            ++mine.failed_calls;
            if (mine.first_error.empty()) {
              mine.first_error =
                  absl::StrCat(static_cast<int>(st.error_code()), ": ",
                               st.error_message().substr(0, 300));
            }
          }
        }
        if (!done) mine.unfinished += c.hi - c.lo;
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
  const double client_cpu_s =
      static_cast<double>(std::clock()) / CLOCKS_PER_SEC - cpu0;
  if (!totals.first_error.empty()) {
    std::cerr << "first error: " << totals.first_error << std::endl;
  }
  std::cout << absl::StrFormat(
                   "result from=%d records=%d streams=%d per_stream=%d "
                   "batch=%d rate=%.0f rated=%d duplicates=%d quarantined=%d "
                   "failed_calls=%d unfinished=%d seconds=%.2f "
                   "records_per_s=%.0f client_cpu_s=%.2f",
                   from, records, streams, per_stream, batch, rate,
                   totals.rated, totals.duplicates, totals.quarantined,
                   totals.failed_calls, totals.unfinished, seconds,
                   seconds > 0 ? records / seconds : 0.0, client_cpu_s)
            << std::endl;
  return totals.rated + totals.duplicates == records ? 0 : 1;
}
