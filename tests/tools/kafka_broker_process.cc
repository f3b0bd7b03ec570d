#include "tools/kafka_broker_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace billing::testing {
namespace {

// Both ends close on exec: the child gets its copies through dup2 only, so a
// broker started later never holds another child's pipe open.
absl::Status MakePipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

int RemainingMs(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  // Rounded up so that a wait never ends just before the deadline.
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
}

int ExitCode(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

struct Child {
  pid_t pid = -1;
  int stdin_fd = -1;   // our write end of its stdin
  int stdout_fd = -1;  // our read end of its stdout
  int stderr_fd = -1;  // our read end of its stderr; -1 when inherited
};

// posix_spawn rather than fork: the test process runs librdkafka threads, and
// posix_spawn runs nothing of ours between fork and exec.
absl::StatusOr<Child> Spawn(const std::vector<std::string>& argv,
                            bool capture_stderr) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  auto close_all = [&] {
    for (int* p : {in, out, err}) {
      CloseFd(p[0]);
      CloseFd(p[1]);
    }
  };
  absl::Status s = MakePipe(in);
  if (s.ok()) s = MakePipe(out);
  if (s.ok() && capture_stderr) s = MakePipe(err);
  if (!s.ok()) {
    close_all();
    return s;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  if (capture_stderr) {
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  }
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // We ignore SIGPIPE (below); the child gets the default back.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    close_all();
    return absl::InternalError(
        absl::StrCat("posix_spawn ", argv[0], ": ", std::strerror(rc)));
  }
  Child child;
  child.pid = pid;
  child.stdin_fd = std::exchange(in[1], -1);
  child.stdout_fd = std::exchange(out[0], -1);
  child.stderr_fd = std::exchange(err[0], -1);
  close_all();  // the child's ends
  // A child that exits early must not kill us with SIGPIPE when we write.
  signal(SIGPIPE, SIG_IGN);
  return child;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaBrokerProcess>> KafkaBrokerProcess::Start(
    const std::vector<std::string>& topics_with_partitions, int brokers) {
  if (brokers < 1) {
    return absl::InvalidArgumentError(absl::StrCat("brokers: ", brokers));
  }
  std::vector<std::string> argv = {BILLING_MOCK_KAFKA_BROKER, "--brokers",
                                   absl::StrCat(brokers)};
  for (const std::string& topic : topics_with_partitions) {
    argv.push_back("--topic");
    argv.push_back(topic);
  }
  absl::StatusOr<Child> child = Spawn(argv, /*capture_stderr=*/false);
  if (!child.ok()) return child.status();
  std::unique_ptr<KafkaBrokerProcess> broker(
      new KafkaBrokerProcess(child->pid, child->stdin_fd, child->stdout_fd));
  absl::StatusOr<std::string> line =
      broker->ReadLine(absl::Now() + kStartTimeout);
  if (!line.ok()) {
    return absl::Status(
        line.status().code(),
        absl::StrCat(
            "mock_kafka_broker ", absl::StrJoin(argv, " "),
            " printed no bootstrap servers: ", line.status().message()));
  }
  if (line->empty()) {
    return absl::InternalError("mock_kafka_broker printed an empty line");
  }
  broker->bootstrap_servers_ = *std::move(line);
  return broker;
}

KafkaBrokerProcess::~KafkaBrokerProcess() {
  // EOF on stdin is the broker's signal to stop; its stdout closes when it
  // has exited (no grandchildren hold it), which is what we wait for.
  CloseFd(stdin_fd_);
  const absl::Time deadline = absl::Now() + kStopTimeout;
  bool exited = false;
  char buf[256];
  while (!exited) {
    pollfd pfd = {stdout_fd_, POLLIN, 0};
    const int n = poll(&pfd, 1, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // timed out (or poll failed): kill below
    const ssize_t got = read(stdout_fd_, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    exited = got <= 0;
  }
  if (!exited) kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  CloseFd(stdout_fd_);
}

absl::StatusOr<std::string> KafkaBrokerProcess::ReadLine(absl::Time deadline) {
  for (;;) {
    const size_t newline = stdout_pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = stdout_pending_.substr(0, newline);
      stdout_pending_.erase(0, newline + 1);
      return line;
    }
    pollfd pfd = {stdout_fd_, POLLIN, 0};
    const int n = poll(&pfd, 1, RemainingMs(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (n == 0) {
      return absl::DeadlineExceededError(
          "no line from mock_kafka_broker in time");
    }
    char buf[512];
    const ssize_t got = read(stdout_fd_, buf, sizeof(buf));
    if (got < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("read: ", std::strerror(errno)));
    }
    if (got == 0) {
      int status = 0;
      const pid_t done = waitpid(pid_, &status, WNOHANG);
      return absl::InternalError(absl::StrCat(
          "mock_kafka_broker closed its stdout",
          done == pid_ ? absl::StrCat(", exit status ", ExitCode(status)) : "",
          " (see its stderr)"));
    }
    stdout_pending_.append(buf, static_cast<size_t>(got));
  }
}

absl::Status KafkaBrokerProcess::CreateTopic(absl::string_view name,
                                             int32_t partitions) {
  if (name.empty() || name.find_first_of(" \t\n") != absl::string_view::npos ||
      partitions < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("topic '", name, "' with ", partitions, " partitions"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  const std::string command =
      absl::StrCat("topic ", name, " ", partitions, "\n");
  size_t written = 0;
  while (written < command.size()) {
    const ssize_t n =
        write(stdin_fd_, command.data() + written, command.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(
          absl::StrCat("writing to mock_kafka_broker: ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  absl::StatusOr<std::string> answer = ReadLine(absl::Now() + kStartTimeout);
  if (!answer.ok()) return answer.status();
  if (*answer == "ok") return absl::OkStatus();
  if (answer->find("TOPIC_ALREADY_EXISTS") != std::string::npos) {
    return absl::AlreadyExistsError(*answer);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("mock_kafka_broker: ", *answer));
}

absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         absl::string_view stdin_data,
                                         absl::Duration timeout) {
  absl::StatusOr<Child> child = Spawn(argv, /*capture_stderr=*/true);
  if (!child.ok()) return child.status();
  const absl::Time deadline = absl::Now() + timeout;
  ProcessResult result;
  size_t stdin_written = 0;
  if (stdin_data.empty()) CloseFd(child->stdin_fd);
  // Non-blocking stdin: a child that does not read must not stall us past
  // the deadline.
  if (child->stdin_fd >= 0) {
    fcntl(child->stdin_fd, F_SETFL,
          fcntl(child->stdin_fd, F_GETFL) | O_NONBLOCK);
  }
  bool timed_out = false;
  while (child->stdout_fd >= 0 || child->stderr_fd >= 0) {
    pollfd pfds[3];
    int count = 0;
    auto add = [&](int fd, short events) {
      if (fd >= 0) pfds[count++] = pollfd{fd, events, 0};
    };
    add(child->stdin_fd, POLLOUT);
    add(child->stdout_fd, POLLIN);
    add(child->stderr_fd, POLLIN);
    const int n = poll(pfds, count, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = true;
      break;
    }
    for (int i = 0; i < count; ++i) {
      if (pfds[i].revents == 0) continue;
      if (pfds[i].fd == child->stdin_fd) {
        const ssize_t w =
            write(child->stdin_fd, stdin_data.data() + stdin_written,
                  stdin_data.size() - stdin_written);
        if (w > 0) stdin_written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
            stdin_written == stdin_data.size()) {
          CloseFd(child->stdin_fd);
        }
        continue;
      }
      int& fd =
          pfds[i].fd == child->stdout_fd ? child->stdout_fd : child->stderr_fd;
      std::string& sink =
          &fd == &child->stdout_fd ? result.stdout_data : result.stderr_data;
      char buf[4096];
      const ssize_t got = read(fd, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        CloseFd(fd);
      } else {
        sink.append(buf, static_cast<size_t>(got));
      }
    }
  }
  if (timed_out) kill(child->pid, SIGKILL);
  CloseFd(child->stdin_fd);
  CloseFd(child->stdout_fd);
  CloseFd(child->stderr_fd);
  int status = 0;
  while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(
        absl::StrJoin(argv, " "), " did not finish within ",
        absl::FormatDuration(timeout), "; stdout: ", result.stdout_data,
        "; stderr: ", result.stderr_data));
  }
  result.exit_code = ExitCode(status);
  return result;
}

}  // namespace billing::testing
