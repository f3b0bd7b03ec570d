#pragma once

// The Kafka of the tests: librdkafka's mock cluster, run as a child process
// (tests/tools/mock_kafka_broker.c) listening on 127.0.0.1 only, so that
// outside clients (kcat, Python's confluent-kafka) can reach it as well as
// the code under test.
//
//   ASSERT_OK_AND_ASSIGN(auto broker,
//                        KafkaBrokerProcess::Start({"billing.events.v1:4"}));
//   options.bootstrap_servers = broker->bootstrap_servers();
//
// The broker lives as long as the object; it also exits by itself when the
// test process dies (its stdin, our pipe, reaches EOF). Nothing here sleeps:
// every wait is on a pipe, with a bound.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace billing::testing {

class KafkaBrokerProcess {
 public:
  // How long Start waits for the broker's bootstrap line, and CreateTopic for
  // its answer.
  static constexpr absl::Duration kStartTimeout = absl::Seconds(10);
  // How long the destructor waits for an orderly exit before SIGKILL.
  static constexpr absl::Duration kStopTimeout = absl::Seconds(10);

  // Starts a cluster of `brokers` (ids 1..brokers) with the given topics, each
  // "NAME:PARTITIONS". Errors: InvalidArgument (bad arguments), Internal (the
  // process could not be started or exited early), DeadlineExceeded (no
  // bootstrap line within kStartTimeout).
  static absl::StatusOr<std::unique_ptr<KafkaBrokerProcess>> Start(
      const std::vector<std::string>& topics_with_partitions, int brokers = 1);

  // Closes the broker's stdin and waits up to kStopTimeout for it to exit,
  // then kills it.
  ~KafkaBrokerProcess();

  KafkaBrokerProcess(const KafkaBrokerProcess&) = delete;
  KafkaBrokerProcess& operator=(const KafkaBrokerProcess&) = delete;

  // "127.0.0.1:PORT[,127.0.0.1:PORT...]", for bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  pid_t pid() const { return pid_; }

  // Creates a topic in the running cluster. The mock refuses the Admin API's
  // CreateTopics, so this is how a test makes a fresh topic. Thread-safe.
  // Errors: AlreadyExists, InvalidArgument, Internal (the broker died),
  // DeadlineExceeded.
  absl::Status CreateTopic(absl::string_view name, int32_t partitions);

 private:
  KafkaBrokerProcess(pid_t pid, int stdin_fd, int stdout_fd)
      : pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd) {}

  // The next line of the broker's stdout, without its newline, waiting until
  // `deadline`. Callers hold mu_ (or own the object exclusively).
  absl::StatusOr<std::string> ReadLine(absl::Time deadline);

  const pid_t pid_;
  int stdin_fd_;
  int stdout_fd_;
  std::string bootstrap_servers_;
  // Serializes command/answer exchanges on the broker's pipes.
  std::mutex mu_;
  // Bytes read from stdout past the last returned line.
  std::string stdout_pending_;
};

// What a finished child process left behind.
struct ProcessResult {
  int exit_code = -1;  // -1 when a signal ended it
  std::string stdout_data;
  std::string stderr_data;
};

// Runs `argv` (argv[0] is a path, no shell), writes `stdin_data` to its stdin
// then closes it, and collects stdout and stderr until it exits. Kills it when
// `timeout` passes first and returns DeadlineExceeded, naming what it printed.
// Errors: InvalidArgument (empty argv), Internal (could not start).
absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         absl::string_view stdin_data,
                                         absl::Duration timeout);

}  // namespace billing::testing
