#!/usr/bin/env bash
# gRPC usage ingest end to end into billingd on its embedded journal: C++
# (bench/usage_stream_load) and Python grpcio (bench/grpc_ingest.py)
# clients, one UsageRecord per message (IngestUsage) and UsageBatch messages
# (IngestUsageBatches), 1 and several streams.
#
#   bench/run_grpc_ingest.sh [BUILD_DIR]      (default BUILD_DIR: build)
#
# Starts billingd on a fresh data directory under BUILD_DIR, loads the demo
# data (billingctl demo load: the records' five numbers), runs each client
# in turn, stops billingd, and writes bench/results/grpc_ingest.txt (RESULTS
# overrides) with the commands. The baseline is the first run of the same
# billingd (C++, one record per message, one stream): ratio = records/s
# over the baseline's. billingd_us/rec: billingd's CPU (from /proc) per
# record, less noisy than wall time on a shared machine.
#
# Environment: RECORDS (C++ runs, default 100000), BATCH (default 512),
# STREAMS (the "several", default 4), PY_RECORDS (per Python round, default
# 20000), RESULTS.
# Needs: ninja -C BUILD_DIR billingd billingctl usage_stream_load
# billing_proto_python (the Python stubs under BUILD_DIR/python).
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(cd "${1:-build}" && pwd)
records=${RECORDS:-100000}
batch=${BATCH:-512}
streams=${STREAMS:-4}
py_records=${PY_RECORDS:-20000}
results=${RESULTS:-$src_dir/bench/results/grpc_ingest.txt}
billingd=$build_dir/services/billingd
load=$build_dir/bench/usage_stream_load
run_timeout_s=600
for exe in "$billingd" "$load" "$build_dir/services/billingctl"; do
  [[ -x $exe ]] || { echo "missing $exe" >&2; exit 2; }
done
work=$(mktemp -d "$build_dir/grpc_ingest.XXXXXX")
# shellcheck source=bench/billingd_lib.sh
source "$src_dir/bench/billingd_lib.sh"
trap 'kill_billingd; rm -rf "$work"' EXIT
start_billingd
"$build_dir/services/billingctl" --server "$address" demo load >/dev/null

date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)
revision=$(git -C "$src_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
per_stream=$(( records / streams ))

runs=()   # "label|command"
runs+=("cpp 0 1|$load --server=$address --records=$records --streams=1 --per_stream=$records --batch=0 --prefix=A")
runs+=("cpp 0 $streams|$load --server=$address --records=$records --streams=$streams --per_stream=$per_stream --batch=0 --prefix=B")
runs+=("cpp $batch 1|$load --server=$address --records=$records --streams=1 --per_stream=$records --batch=$batch --prefix=C")
runs+=("cpp $batch $streams|$load --server=$address --records=$records --streams=$streams --per_stream=$per_stream --batch=$batch --prefix=D")
runs+=("python 0 1|/usr/bin/python3 $src_dir/bench/grpc_ingest.py $build_dir --server $address --rounds 2 --records $py_records --batch 0 --prefix E")
runs+=("python $batch 1|/usr/bin/python3 $src_dir/bench/grpc_ingest.py $build_dir --server $address --rounds 2 --records $py_records --batch $batch --prefix F")

field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
rows=()
raw=()
base=
for r in "${runs[@]}"; do
  label=${r%%|*}
  cmd=${r#*|}
  echo "+ $cmd"
  c0=$(billingd_cpu_s)
  out=$(timeout "$run_timeout_s" $cmd)
  c1=$(billingd_cpu_s)
  echo "$out"
  line=$(grep '^result ' <<<"$out")
  raw+=("$line")
  n=$(field records "$line")
  rate=$(field records_per_s "$line")
  [[ -n $base ]] || base=$rate
  rows+=("$(awk -v l="$label" -v n="$n" -v s="$(field seconds "$line")" \
    -v r="$rate" -v b="$base" -v c0="$c0" -v c1="$c1" \
    -v cc="$(field client_cpu_s "$line")" 'BEGIN {
      split(l, a, " ");
      printf "%7s %6s %7s %8s %8s %10s %6.2f %15.1f %13s\n", a[1], a[2], a[3],
        n, s, r, r / b, (c1 - c0) * 1e6 / n, (cc == "" ? "-" : cc) }')")
done
loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)
stop_billingd

{
  echo "# grpc_ingest: usage records through gRPC into billingd, embedded journal"
  echo "#"
  echo "# produced by:  RECORDS=$records BATCH=$batch STREAMS=$streams" \
       "PY_RECORDS=$py_records bench/run_grpc_ingest.sh ${1:-build}"
  echo "# billingd:     ${billingd_cmd[*]}   (exit $billingd_rc on SIGTERM)"
  echo "# data:         billingctl demo load; every record on one of its numbers"
  for r in "${runs[@]}"; do echo "# run:          ${r#*|}"; done
  echo "# date:         $date_utc"
  echo "# machine:      nproc $(nproc), kernel $(uname -r)"
  echo "# load avg:     $loadavg_before (before), $loadavg_after (after)"
  echo "# revision:     $revision"
  echo "#"
  echo "# batch 0: one UsageRecord per message (IngestUsage); N: UsageBatch"
  echo "# messages of N records (IngestUsageBatches). Clients and billingd"
  echo "# share the machine's cores. ratio: records/s over the first row's"
  echo "# (the baseline, same billingd, same run). billingd_us/rec: billingd's"
  echo "# CPU time (utime+stime from /proc/<pid>/stat) over the run per record."
  echo "# client_cpu_s: the C++ client's CPU (messages built before the clock)."
  echo
  printf '%7s %6s %7s %8s %8s %10s %6s %15s %13s\n' client batch streams \
    records seconds records/s ratio billingd_us/rec client_cpu_s
  printf '%s\n' "${rows[@]}"
  echo
  echo "# raw client lines"
  printf '%s\n' "${raw[@]}"
} | tee "$results.tmp"
mv "$results.tmp" "$results"
echo "wrote $results"
