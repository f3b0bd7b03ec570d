// command_load: end-to-end load on a running billingd, with its floor.
//
// Sends --commands CreateCustomer commands (each a new customer, each its own
// idempotency key) from --clients threads, each on its own channel and TCP
// connection, with synchronous stubs, and reports throughput (commands/s over
// the wall time from the first send to the last answer) and the latency of
// each call (p50, p99, max). With --rate, the clients send on a fixed
// schedule (open loop) at that many commands/s together, as
// bench/run_commands_under_usage.sh does while usage flows.
//
// The baseline, measured in the same run before the load: one thread doing
// --baseline_syncs times `write(4 KiB) + fdatasync` on a new file in
// --baseline_dir (give billingd's data directory: the same file system). A
// command is acknowledged only once its record is fdatasync'ed, so one
// fdatasync per group commit is the floor of durable acknowledgement; the
// ratio commands/s / fdatasyncs/s says how many commands a group commit
// carries on average (above 1: batching pays; below 1: something other than
// the disk bounds the path).
//
// Output: human lines, then one machine line starting "result " with
// key=value pairs (bench/run_command_load.sh parses it).
//
// Exit status: 0 when every command was acknowledged; 1 when some failed
// (the first error of each code is printed); 2 on bad flags or setup.

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <latch>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "billing/v1/customer_service.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "billingd address.");
ABSL_FLAG(int32_t, clients, 8,
          "Concurrent client threads, each with its own channel (1..1024).");
ABSL_FLAG(int64_t, commands, 10000, "CreateCustomer commands in total.");
ABSL_FLAG(std::string, id_prefix, "load",
          "Customer ids and keys are <prefix>-<n>; use a new prefix per run "
          "against the same data (1..20 characters of A-Z a-z 0-9 . _ -).");
ABSL_FLAG(std::string, baseline_dir, "",
          "Directory of the write+fdatasync baseline (billingd's data_dir); "
          "empty: no baseline.");
ABSL_FLAG(int64_t, baseline_syncs, -1,
          "write(4 KiB)+fdatasync rounds of the baseline; -1: --commands.");
ABSL_FLAG(int32_t, timeout_s, 30, "Deadline of each call, seconds.");
ABSL_FLAG(int32_t, connect_timeout_s, 10,
          "How long each channel may take to connect, seconds.");
ABSL_FLAG(double, rate, 0,
          "Commands per second from all clients together, each client "
          "sending its share on a fixed schedule (open loop: command i is "
          "due at i / rate s); 0: each client sends its next command when "
          "the last is answered.");
ABSL_FLAG(int32_t, billingd_pid, 0,
          "billingd's pid, when on this machine: reports the CPU time it "
          "spent during the load (from /proc). 0: not reported.");

namespace {

using Clock = std::chrono::steady_clock;

// Bytes written before each fdatasync in the baseline.
constexpr size_t kBaselineWriteBytes = 4096;

// Nearest-rank percentile of sorted values, p in (0, 1].
int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p * static_cast<double>(sorted.size()));
  if (static_cast<double>(rank) < p * static_cast<double>(sorted.size())) {
    ++rank;  // ceil
  }
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

struct Figures {
  int64_t count = 0;
  double seconds = 0;
  double per_s = 0;
  int64_t p50_us = 0, p99_us = 0, max_us = 0;
};

Figures Summarize(std::vector<int64_t> latencies_us, double seconds) {
  std::sort(latencies_us.begin(), latencies_us.end());
  Figures f;
  f.count = static_cast<int64_t>(latencies_us.size());
  f.seconds = seconds;
  f.per_s = seconds > 0 ? static_cast<double>(f.count) / seconds : 0;
  f.p50_us = Percentile(latencies_us, 0.50);
  f.p99_us = Percentile(latencies_us, 0.99);
  f.max_us = latencies_us.empty() ? 0 : latencies_us.back();
  return f;
}

// `rounds` times: append 4 KiB to a new file, fdatasync. Returns false (and
// prints why) when the file cannot be written.
bool RunBaseline(const std::string& dir, int64_t rounds, Figures* out) {
  const std::string path =
      absl::StrFormat("%s/command_load_baseline.%d.tmp", dir, getpid());
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(("baseline: open " + path).c_str());
    return false;
  }
  std::vector<char> block(kBaselineWriteBytes, 'b');
  std::vector<int64_t> latencies_us;
  latencies_us.reserve(static_cast<size_t>(rounds));
  bool ok = true;
  const auto start = Clock::now();
  for (int64_t i = 0; i < rounds && ok; ++i) {
    const auto t0 = Clock::now();
    size_t done = 0;
    while (done < block.size()) {
      const ssize_t n = write(fd, block.data() + done, block.size() - done);
      if (n < 0) {
        std::perror("baseline: write");
        ok = false;
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (ok && fdatasync(fd) != 0) {
      std::perror("baseline: fdatasync");
      ok = false;
    }
    latencies_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0)
            .count());
  }
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  close(fd);
  unlink(path.c_str());
  *out = Summarize(std::move(latencies_us), seconds);
  return ok;
}

// CPU seconds (user + system) a process has used so far; -1 when unknown.
double ProcessCpuSeconds(int pid) {
  std::ifstream f(absl::StrFormat("/proc/%d/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(f)),
                   std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces), from field 3.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "command_load --server=HOST:PORT --clients=C --commands=N "
      "[--rate=R] [--baseline_dir=DIR]");
  absl::ParseCommandLine(argc, argv);
  const std::string server = absl::GetFlag(FLAGS_server);
  const int32_t clients = absl::GetFlag(FLAGS_clients);
  const int64_t commands = absl::GetFlag(FLAGS_commands);
  const std::string prefix = absl::GetFlag(FLAGS_id_prefix);
  const std::string baseline_dir = absl::GetFlag(FLAGS_baseline_dir);
  int64_t baseline_syncs = absl::GetFlag(FLAGS_baseline_syncs);
  if (baseline_syncs < 0) baseline_syncs = commands;
  const int32_t timeout_s = absl::GetFlag(FLAGS_timeout_s);
  if (clients < 1 || clients > 1024 || commands < 1 || prefix.empty() ||
      prefix.size() > 20 || timeout_s < 1) {
    absl::FPrintF(stderr,
                  "command_load: --clients 1..1024, --commands >= 1, "
                  "--id_prefix 1..20 characters, --timeout_s >= 1\n");
    return 2;
  }

  Figures baseline;
  const bool with_baseline = !baseline_dir.empty() && baseline_syncs > 0;
  if (with_baseline) {
    if (!RunBaseline(baseline_dir, baseline_syncs, &baseline)) return 2;
    absl::PrintF(
        "baseline: %d x write(%zu B)+fdatasync in %s, one thread: %.3f s, "
        "%.1f fdatasyncs/s, p50 %d us, p99 %d us, max %d us\n",
        baseline.count, kBaselineWriteBytes, baseline_dir.c_str(),
        baseline.seconds, baseline.per_s, baseline.p50_us, baseline.p99_us,
        baseline.max_us);
  }

  // One channel and TCP connection per client: a local subchannel pool stops
  // gRPC from sharing one connection among channels with the same target.
  std::vector<std::unique_ptr<billing::v1::CustomerService::Stub>> stubs;
  for (int32_t c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(
        server, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(
            std::chrono::system_clock::now() +
            std::chrono::seconds(absl::GetFlag(FLAGS_connect_timeout_s)))) {
      absl::FPrintF(stderr, "command_load: cannot connect to %s\n",
                    server.c_str());
      return 2;
    }
    stubs.push_back(billing::v1::CustomerService::NewStub(channel));
  }

  std::atomic<int64_t> next{0};
  const double rate = absl::GetFlag(FLAGS_rate);
  // Set before `ready` lets the clients go.
  Clock::time_point start;
  std::vector<std::vector<int64_t>> latencies_us(clients);
  std::mutex errors_mu;
  std::map<int, std::pair<int64_t, std::string>> errors;  // code -> n, first
  std::latch ready(clients + 1);
  std::vector<std::thread> threads;
  for (int32_t c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto& mine = latencies_us[c];
      mine.reserve(static_cast<size_t>(commands / clients + 1));
      ready.arrive_and_wait();
      // Paced: this client's commands are c, c + clients, ...; each waits
      // for its due time. Else they are taken in turn as clients are free.
      auto take = [&](int64_t last) {
        return rate > 0 ? (last < 0 ? c : last + clients) : next.fetch_add(1);
      };
      for (int64_t i = take(-1); i < commands; i = take(i)) {
        if (rate > 0) {
          std::this_thread::sleep_until(
              start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(i / rate)));
        }
        billing::v1::CreateCustomerRequest req;
        const std::string id = absl::StrFormat("%s-%d", prefix, i);
        req.set_idempotency_key(id);
        req.mutable_customer()->set_customer_id(id);
        req.mutable_customer()->set_name(
            absl::StrFormat("Load Customer %d", i));
        req.mutable_customer()->set_email(
            absl::StrFormat("billing+%d@load.example", i));
        billing::v1::Customer resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(timeout_s));
        const auto t0 = Clock::now();
        const grpc::Status s = stubs[c]->CreateCustomer(&ctx, req, &resp);
        const auto t1 = Clock::now();
        if (s.ok()) {
          mine.push_back(
              std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0)
                  .count());
        } else {
          std::lock_guard<std::mutex> lock(errors_mu);
          auto& e = errors[s.error_code()];
          if (e.first++ == 0) e.second = s.error_message();
        }
      }
    });
  }
  const int billingd_pid = absl::GetFlag(FLAGS_billingd_pid);
  const double billingd_cpu_start =
      billingd_pid > 0 ? ProcessCpuSeconds(billingd_pid) : -1;
  const double self_cpu_start = SelfCpuSeconds();
  start = Clock::now();
  ready.arrive_and_wait();
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  const double self_cpu_s = SelfCpuSeconds() - self_cpu_start;
  const double billingd_cpu_s =
      billingd_cpu_start >= 0
          ? ProcessCpuSeconds(billingd_pid) - billingd_cpu_start
          : -1;

  std::vector<int64_t> all;
  for (auto& v : latencies_us) all.insert(all.end(), v.begin(), v.end());
  const Figures load = Summarize(std::move(all), seconds);
  int64_t failed = 0;
  for (const auto& [code, e] : errors) {
    failed += e.first;
    absl::FPrintF(stderr,
                  "command_load: %d commands failed with code %d, "
                  "first: %s\n",
                  e.first, code, e.second.c_str());
  }
  absl::PrintF(
      "load: %d clients, %d CreateCustomer acknowledged (%d failed) in "
      "%.3f s: %.1f commands/s, p50 %d us, p99 %d us, max %d us\n",
      clients, rate, load.count, failed, load.seconds, load.per_s, load.p50_us,
      load.p99_us, load.max_us);
  const double cores = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  absl::PrintF("cpu: driver %.2f s", self_cpu_s);
  if (billingd_cpu_s >= 0) {
    absl::PrintF(", billingd %.2f s (%.0f us per command)", billingd_cpu_s,
                 load.count > 0 ? billingd_cpu_s * 1e6 / load.count : 0);
  }
  absl::PrintF(", of %.2f core-seconds available\n", cores * seconds);
  const double ratio =
      with_baseline && baseline.per_s > 0 ? load.per_s / baseline.per_s : 0;
  if (with_baseline) {
    absl::PrintF("ratio: %.2f commands/s per baseline fdatasync/s\n", ratio);
  }
  absl::PrintF(
      "result clients=%d rate=%.0f commands=%d failed=%d seconds=%.3f "
      "commands_per_s=%.1f p50_us=%d p99_us=%d max_us=%d "
      "baseline_syncs=%d baseline_seconds=%.3f baseline_syncs_per_s=%.1f "
      "baseline_p50_us=%d baseline_p99_us=%d ratio=%.3f "
      "driver_cpu_s=%.2f billingd_cpu_s=%.2f core_s=%.2f\n",
      clients, rate, load.count, failed, load.seconds, load.per_s, load.p50_us,
      load.p99_us, load.max_us, baseline.count, baseline.seconds,
      baseline.per_s, baseline.p50_us, baseline.p99_us, ratio, self_cpu_s,
      billingd_cpu_s, cores * seconds);
  return failed == 0 ? 0 : 1;
}
