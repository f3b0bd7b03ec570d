#!/usr/bin/env bash
# Usage ingest end to end (Kafka -> re-key -> rate -> RocksDB with offsets)
# on 1 and 2 cores, each against the ceiling of this machine measured in the
# same run (consume the same records from the same broker and write them to
# RocksDB, no rating), plus p99 produce-to-rated latency at half the
# measured rate.
#
#   bench/run_usage_ingest.sh [BUILD_DIR]      (default BUILD_DIR: build)
#
# One mock_kafka_broker (librdkafka's mock cluster, its own process, not
# pinned) serves both runs; each run gets fresh topics. The engine side
# (usage_ingest_bench: the consumer, the command lanes, the Kafka journal,
# the projector and RocksDB, wired as billingd wires them with
# --kafka_brokers) runs under `taskset -c 0` for the 1-core figure and
# `taskset -c 0,1` for the 2-core one. Writes bench/results/usage_ingest.txt
# (RESULTS overrides) with the commands that produced it.
#
# Environment: RECORDS (default 40000), RESULTS. Runtime with the defaults:
# about 1 to 2 minutes. Needs: ninja -C BUILD_DIR usage_ingest_bench.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(cd "${1:-build}" && pwd)
records=${RECORDS:-40000}
results=${RESULTS:-$src_dir/bench/results/usage_ingest.txt}
bench=$build_dir/bench/usage_ingest_bench
broker_exe=$build_dir/tests/tools/mock_kafka_broker
# Bounds, in seconds: the broker's answers, one bench run.
answer_timeout_s=10
run_timeout_s=150

for exe in "$bench" "$broker_exe"; do
  if [[ ! -x $exe ]]; then
    echo "missing $exe: ninja -C $build_dir usage_ingest_bench" >&2
    exit 2
  fi
done

work=$(mktemp -d "$build_dir/usage_ingest.XXXXXX")
broker_pid=
cleanup() {
  if [[ -n $broker_pid ]] && kill -0 "$broker_pid" 2>/dev/null; then
    kill -TERM "$broker_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The broker reads commands on stdin and answers on stdout, one line each.
coproc BROKER { exec "$broker_exe" 2>"$work/broker.err"; }
broker_pid=$BROKER_PID
if ! read -r -t "$answer_timeout_s" -u "${BROKER[0]}" bootstrap; then
  echo "mock_kafka_broker did not start:" >&2
  cat "$work/broker.err" >&2
  exit 1
fi
echo "broker $bootstrap (pid $broker_pid)"

create_topic() {  # create_topic NAME PARTITIONS
  echo "topic $1 $2" >&"${BROKER[1]}"
  local answer
  if ! read -r -t "$answer_timeout_s" -u "${BROKER[0]}" answer ||
     [[ $answer != ok ]]; then
    echo "creating topic $1: ${answer:-no answer}" >&2
    exit 1
  fi
}

date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)
revision=$(git -C "$src_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$src_dir" status --porcelain -- engine storage services \
           proto 2>/dev/null) ]]; then
  revision="$revision + uncommitted changes in engine/storage/services/proto"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)

lines=()
commands=()
# cpus:journal:fetch_wait_ms. kafka is billingd with --kafka_brokers (events
# on the same broker); embedded is the events on billingd's default journal
# (fdatasync per append), the usage topic still on Kafka. fetch_wait_ms 100
# is billingd's default; the last run shows what the mock's way of holding
# an empty fetch for all of it costs (a real broker answers as soon as
# records arrive).
for run in 0:kafka:100 0,1:kafka:100 0:embedded:100 0,1:embedded:100 \
           0,1:kafka:10; do
  IFS=: read -r cpus journal fetch_wait <<<"$run"
  label="$(( $(tr ',' '\n' <<<"$cpus" | wc -l) ))core"
  name="$label.$journal.$fetch_wait"
  create_topic "bench.events.$name" 4
  create_topic "bench.usage.$name" 4
  cmd=(taskset -c "$cpus" "$bench" "--brokers=$bootstrap"
       "--events_topic=bench.events.$name" "--usage_topic=bench.usage.$name"
       "--journal=$journal" "--fetch_wait_ms=$fetch_wait"
       "--records=$records" "--label=$label" "--dir=$work/$name")
  commands+=("${cmd[*]}")
  echo "+ ${cmd[*]}"
  out=$(timeout "$run_timeout_s" "${cmd[@]}")
  echo "$out"
  lines+=("$(grep '^result ' <<<"$out")")
done
loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)

field() {  # field NAME RESULT_LINE
  tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}

{
  echo "# usage_ingest: Kafka -> re-key -> rate -> RocksDB with offsets"
  echo "#"
  echo "# produced by:  RECORDS=$records bench/run_usage_ingest.sh ${1:-build}"
  echo "# broker:       $broker_exe (librdkafka 2.0.2 mock cluster, own" \
       "process, not pinned)"
  for c in "${commands[@]}"; do
    echo "# run:          $c"
  done
  echo "# date:         $date_utc"
  echo "# machine:      nproc $(nproc), $cpu, kernel $(uname -r)"
  echo "# load avg:     $loadavg_before (before), $loadavg_after (after)"
  echo "# revision:     $revision"
  echo "#"
  echo "# e2e: $records protobuf records preloaded on a 4-partition usage"
  echo "# topic, consumed from the earliest offset by KafkaUsageConsumer in"
  echo "# batches of 1000, up to 4 in flight: directory lookup (number -> customer, 8 customers,"
  echo "# 800 numbers), rating, one journal record per customer's batch of"
  echo "# records (RecordUsageBatch; journal"
  echo "# kafka: the events topic, 4 partitions, acks=all, fetch.wait.max.ms"
  echo "# 100 as billingd's default; embedded: billingd's default journal,"
  echo "# fdatasync per lane append; fetch = fetch.wait.max.ms of every"
  echo "# consumer, the mock holds each empty fetch that long), projection"
  echo "# into RocksDB,"
  echo "# offsets stored (synced) after each batch. Time from the consumer's"
  echo "# start to the last record rated; steady = from the first batch's"
  echo "# commit. ceiling: the same records from the same broker, same batch"
  echo "# size, written raw to RocksDB with the offsets (one synced"
  echo "# WriteBatch per batch), no decoding or rating. ratio = e2e / ceiling."
  echo "# latency: after the backlog, records produced at the given rate"
  echo "# (half the e2e rate) for 5 s; Kafka CreateTime -> the batch's"
  echo "# offsets stored (rated and durable), in ms. The producer runs in the"
  echo "# pinned process too. replay: after the run, the whole state rebuilt"
  echo "# from the events journal into a fresh RocksDB (ProjectToEnd), usage"
  echo "# records per second; same = 1 when byte-identical to the live state"
  echo "# (the consumer's ingest/ offsets aside)."
  echo
  printf '%6s %9s %6s %8s %9s %9s %10s %6s %9s %7s %7s %7s %10s %5s\n' \
    cores journal fetch records e2e_rec/s steady/s ceiling/s ratio lat_rate \
    p50_ms p99_ms max_ms replay/s same
  for l in "${lines[@]}"; do
    printf '%6s %9s %6s %8s %9s %9s %10s %6s %9s %7s %7s %7s %10s %5s\n' \
      "$(field label "$l")" "$(field journal "$l")" \
      "$(field fetch_wait_ms "$l")" "$(field records "$l")" \
      "$(field e2e_records_per_s "$l")" "$(field steady_records_per_s "$l")" \
      "$(field ceiling_records_per_s "$l")" "$(field ratio "$l")" \
      "$(field latency_rate_per_s "$l")" "$(field latency_p50_ms "$l")" \
      "$(field latency_p99_ms "$l")" "$(field latency_max_ms "$l")" \
      "$(field replay_usage_records_per_s "$l")" \
      "$(field replay_identical "$l")"
  done
  echo
  echo "# raw bench lines"
  printf '%s\n' "${lines[@]}"
} | tee "$results.tmp"
mv "$results.tmp" "$results"
echo "wrote $results"
