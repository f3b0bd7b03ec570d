/*
 * mock_kafka_broker: librdkafka's mock cluster (rdkafka_mock.h) as a separate
 * process, the Kafka of the tests. It speaks the real Kafka protocol, so our
 * KafkaJournal, kcat and Python's confluent-kafka all talk to it alike.
 *
 * Usage:
 *   mock_kafka_broker [--brokers N] [--topic NAME:PARTITIONS]...
 *
 *   --brokers N               brokers in the cluster, ids 1..N. Default: 1.
 *   --topic NAME:PARTITIONS   creates a topic before serving; repeatable.
 *
 * Protocol, one line each way:
 *   stdout, first line: the bootstrap servers ("127.0.0.1:PORT,..."), flushed
 *     once the cluster listens. The mock binds its listeners to 127.0.0.1 on
 *     ephemeral ports only.
 *   stdin: commands, one per line; each is answered with one stdout line,
 *     "ok" or "error <reason>":
 *       topic NAME PARTITIONS   creates a topic (the mock refuses the Admin
 *                               API's CreateTopics, so tests create topics
 *                               here)
 *   stdin EOF, SIGTERM or SIGINT: destroys the cluster and exits 0. EOF is
 *   what ends the broker when the test process that owns the pipe dies.
 *
 * Exit status: 0 after an orderly stop, 2 on a bad flag, 1 when the cluster
 * cannot be created.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* rdkafka_mock.h relies on declarations from rdkafka.h. */
#include <librdkafka/rdkafka_mock.h>

/* Longest stdin command line accepted, in bytes (a topic name is at most 249
 * characters in Kafka). */
#define COMMAND_LINE_MAX 1024
/* Most --topic flags accepted. */
#define TOPIC_FLAGS_MAX 64

static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig) { stop_signal = sig; }

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [--brokers N] [--topic NAME:PARTITIONS]...\n"
          "Runs librdkafka's mock cluster on 127.0.0.1, prints its bootstrap\n"
          "servers, and serves until stdin closes or SIGTERM/SIGINT.\n",
          argv0);
}

/* Parses a positive int in [1, max]; returns -1 when `s` is not one. */
static int parse_count(const char *s, int max) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max) return -1;
  return (int)v;
}

/* Replication factor for new topics: every broker, at most 3 (as a real
 * cluster would be configured). */
static int replication_factor(int brokers) { return brokers < 3 ? brokers : 3; }

/* Creates `name` with `partitions`; on failure writes the reason to `err`. */
static int create_topic(rd_kafka_mock_cluster_t *mcluster, int brokers,
                        const char *name, int partitions, char *err,
                        size_t err_size) {
  rd_kafka_resp_err_t rc = rd_kafka_mock_topic_create(
      mcluster, name, partitions, replication_factor(brokers));
  if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
    snprintf(err, err_size, "%s: %s", rd_kafka_err2name(rc),
             rd_kafka_err2str(rc));
    return -1;
  }
  return 0;
}

/* Handles one stdin command line (without its newline) and answers it. */
static void handle_command(rd_kafka_mock_cluster_t *mcluster, int brokers,
                           char *line) {
  char err[512];
  char *save = NULL;
  char *verb = strtok_r(line, " \t", &save);
  if (verb == NULL) return; /* blank line: no answer */
  if (strcmp(verb, "topic") == 0) {
    char *name = strtok_r(NULL, " \t", &save);
    char *count = strtok_r(NULL, " \t", &save);
    int partitions = count != NULL ? parse_count(count, 100000) : -1;
    if (name == NULL || partitions < 0 || strtok_r(NULL, " \t", &save)) {
      printf("error usage: topic NAME PARTITIONS\n");
    } else if (create_topic(mcluster, brokers, name, partitions, err,
                            sizeof(err)) != 0) {
      printf("error %s\n", err);
    } else {
      printf("ok\n");
    }
  } else {
    printf("error unknown command %s\n", verb);
  }
  fflush(stdout);
}

int main(int argc, char **argv) {
  int brokers = 1;
  const char *topics[TOPIC_FLAGS_MAX];
  int topic_count = 0;

  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
      brokers = parse_count(argv[++i], 64);
      if (brokers < 0) {
        fprintf(stderr, "--brokers wants 1..64, got %s\n", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
      if (topic_count == TOPIC_FLAGS_MAX) {
        fprintf(stderr, "at most %d --topic flags\n", TOPIC_FLAGS_MAX);
        return 2;
      }
      topics[topic_count++] = argv[++i];
    } else if (strcmp(argv[i], "--help") == 0) {
      usage(argv[0]);
      return 0;
    } else {
      usage(argv[0]);
      return 2;
    }
  }

  /* Blocks the stop signals before librdkafka starts its threads, so that
   * they inherit the mask and only ppoll() below receives the signals. */
  sigset_t stop_set, wait_mask;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGTERM);
  sigaddset(&stop_set, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_set, &wait_mask);
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGINT);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  /* A test that stops reading our answers must not kill us mid-destroy. */
  signal(SIGPIPE, SIG_IGN);

  /* The mock needs a client handle for its bookkeeping; this one never
   * connects anywhere (no bootstrap.servers). */
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    fprintf(stderr, "conf: %s\n", errstr);
  }
  rd_kafka_t *rk =
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (mcluster == NULL) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  int rc = 0;
  for (int i = 0; i < topic_count; ++i) {
    char name[COMMAND_LINE_MAX];
    const char *colon = strrchr(topics[i], ':');
    int partitions = colon != NULL ? parse_count(colon + 1, 100000) : -1;
    size_t name_len = colon != NULL ? (size_t)(colon - topics[i]) : 0;
    if (partitions < 0 || name_len == 0 || name_len >= sizeof(name)) {
      fprintf(stderr, "--topic wants NAME:PARTITIONS, got %s\n", topics[i]);
      rc = 2;
      break;
    }
    memcpy(name, topics[i], name_len);
    name[name_len] = '\0';
    if (create_topic(mcluster, brokers, name, partitions, errstr,
                     sizeof(errstr)) != 0) {
      fprintf(stderr, "creating topic %s: %s\n", name, errstr);
      rc = 1;
      break;
    }
  }

  if (rc == 0) {
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
    fflush(stdout);

    char line[COMMAND_LINE_MAX];
    size_t line_len = 0;
    int discarding = 0; /* inside an over-long line */
    while (!stop_signal) {
      struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
      int n = ppoll(&pfd, 1, NULL, &wait_mask);
      if (n < 0) {
        if (errno == EINTR) continue; /* the loop condition sees the flag */
        perror("ppoll");
        rc = 1;
        break;
      }
      char buf[512];
      ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break; /* EOF (or a broken stdin): stop */
      for (ssize_t i = 0; i < got; ++i) {
        if (buf[i] == '\n') {
          if (discarding) {
            printf("error line longer than %d bytes\n", COMMAND_LINE_MAX - 1);
            fflush(stdout);
          } else {
            line[line_len] = '\0';
            handle_command(mcluster, brokers, line);
          }
          line_len = 0;
          discarding = 0;
        } else if (line_len + 1 < sizeof(line)) {
          line[line_len++] = buf[i];
        } else {
          discarding = 1;
        }
      }
    }
  }

  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return rc;
}
