#!/usr/bin/env bash
# Commands while usage flows (issue 14, target 3): CreateCustomer at a fixed
# rate through gRPC while UsageBatch streams ingest usage at a fixed rate (or
# as fast as billingd takes them: the usage line says which), against the
# same command load alone on the same billingd in the same run (the
# baseline).
#
#   bench/run_commands_under_usage.sh [BUILD_DIR]   (default BUILD_DIR: build)
#
# Starts billingd on a fresh data directory under BUILD_DIR (embedded
# journal), loads the demo data, then:
#   1. alone:  command_load --rate=CMD_RATE for CMD_SECONDS;
#   2. under:  usage_stream_load --rate=USAGE_RATE --batch=BATCH from
#      STREAMS streams, started first and running the whole time, then the
#      same command load (new ids);
# stops billingd and writes bench/results/commands_under_usage.txt (RESULTS
# overrides) with the commands. billingd's CPU (from /proc) is given per
# command (alone) and per second of each phase.
#
# Environment: CMD_RATE (5000), CMD_SECONDS (4), CLIENTS (32), USAGE_RATE
# (50000), BATCH (512), STREAMS (4), RESULTS.
# Needs: ninja -C BUILD_DIR billingd billingctl command_load usage_stream_load
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(cd "${1:-build}" && pwd)
cmd_rate=${CMD_RATE:-5000}
cmd_seconds=${CMD_SECONDS:-4}
clients=${CLIENTS:-32}
usage_rate=${USAGE_RATE:-50000}
batch=${BATCH:-512}
streams=${STREAMS:-4}
results=${RESULTS:-$src_dir/bench/results/commands_under_usage.txt}
billingd=$build_dir/services/billingd
commands=$(( cmd_rate * cmd_seconds ))
# The usage load outlasts the command load: started 1 s before it, for
# three times its length at the asked rate.
usage_records=$(( usage_rate * cmd_seconds * 3 ))
for exe in "$billingd" "$build_dir/services/billingctl" \
           "$build_dir/bench/command_load" "$build_dir/bench/usage_stream_load"; do
  [[ -x $exe ]] || { echo "missing $exe" >&2; exit 2; }
done
work=$(mktemp -d "$build_dir/commands_under_usage.XXXXXX")
usage_pid=
# shellcheck source=bench/billingd_lib.sh
source "$src_dir/bench/billingd_lib.sh"
cleanup() {
  [[ -z $usage_pid ]] || kill "$usage_pid" 2>/dev/null || true
  kill_billingd
  rm -rf "$work"
}
trap cleanup EXIT
start_billingd
"$build_dir/services/billingctl" --server "$address" demo load >/dev/null

date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)
revision=$(git -C "$src_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$src_dir" status --porcelain -- services engine storage \
           2>/dev/null) ]]; then
  revision="$revision + uncommitted changes"
fi

command_cmd() {  # command_cmd PREFIX
  echo "$build_dir/bench/command_load --server=$address --clients=$clients" \
       "--commands=$commands --rate=$cmd_rate --id_prefix=$1" \
       "--billingd_pid=$billingd_pid"
}
usage_cmd="$build_dir/bench/usage_stream_load --server=$address \
--records=$usage_records --streams=$streams \
--per_stream=$(( usage_records / streams )) --batch=$batch \
--rate=$usage_rate --prefix=U"
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

echo "+ $(command_cmd alone)"
c0=$(billingd_cpu_s)
alone=$($(command_cmd alone) | tee /dev/stderr | grep '^result ')
c1=$(billingd_cpu_s)

echo "+ $usage_cmd &"
$usage_cmd >"$work/usage.out" 2>"$work/usage.err" &
usage_pid=$!
sleep 1  # the streams are connected and flowing: a fixed lead, not a wait
c2=$(billingd_cpu_s)
echo "+ $(command_cmd under)"
under=$($(command_cmd under) | tee /dev/stderr | grep '^result ')
c3=$(billingd_cpu_s)
usage_rc=0
wait "$usage_pid" || usage_rc=$?
usage_pid=
usage=$(grep '^result ' "$work/usage.out" || true)
cat "$work/usage.err" >&2
echo "$usage"
loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)
stop_billingd

row() {  # row LABEL RESULT CPU0 CPU1
  awk -v l="$1" -v n="$(field commands "$2")" -v r="$(field commands_per_s "$2")" \
    -v p50="$(field p50_us "$2")" -v p99="$(field p99_us "$2")" \
    -v mx="$(field max_us "$2")" -v f="$(field failed "$2")" \
    -v s="$(field seconds "$2")" -v c0="$3" -v c1="$4" \
    -v b99="$(field p99_us "$alone")" 'BEGIN {
      printf "%6s %8s %11s %8s %8s %8s %7s %11.2f %16.0f\n", l, n, r, p50,
        p99, mx, f, p99 / b99, (c1 - c0) / s * 100 }'
}
{
  echo "# commands_under_usage: CreateCustomer p50/p99 while usage flows, embedded journal"
  echo "#"
  echo "# produced by:  CMD_RATE=$cmd_rate CMD_SECONDS=$cmd_seconds" \
       "CLIENTS=$clients USAGE_RATE=$usage_rate BATCH=$batch STREAMS=$streams" \
       "bench/run_commands_under_usage.sh ${1:-build}"
  echo "# billingd:     ${billingd_cmd[*]}   (exit $billingd_rc on SIGTERM)"
  echo "# alone:        $(command_cmd alone)"
  echo "# usage:        $usage_cmd   (exit $usage_rc)"
  echo "# under:        $(command_cmd under)"
  echo "# date:         $date_utc"
  echo "# machine:      nproc $(nproc), kernel $(uname -r)"
  echo "# load avg:     $loadavg_before (before), $loadavg_after (after)"
  echo "# revision:     $revision"
  echo "#"
  echo "# Open loop: command i is due at i / CMD_RATE s, from CLIENTS sync"
  echo "# clients (own channel each); latency per call, client side. The usage"
  echo "# load asks USAGE_RATE records/s of UsageBatch messages; its achieved"
  echo "# rate over its whole run is usage_records_per_s below (under the asked"
  echo "# rate: as fast as billingd took them). p99_ratio: p99 over the"
  echo "# alone p99 (the baseline, same run). billingd_cpu%: billingd's CPU"
  echo "# (utime+stime from /proc) during the command load, % of one core."
  echo
  printf '%6s %8s %11s %8s %8s %8s %7s %11s %16s\n' phase commands \
    commands/s p50_us p99_us max_us failed p99_ratio billingd_cpu%
  row alone "$alone" "$c0" "$c1"
  row under "$under" "$c2" "$c3"
  echo
  awk -v c0="$c0" -v c1="$c1" -v n="$(field commands "$alone")" \
    'BEGIN { printf "# billingd CPU per command alone: %.0f us\n", (c1 - c0) * 1e6 / n }'
  echo "# usage: asked $usage_rate records/s; achieved" \
       "usage_records_per_s=$(field records_per_s "$usage")"
  echo
  echo "# raw lines"
  echo "$alone"
  echo "$under"
  echo "$usage"
} | tee "$results.tmp"
mv "$results.tmp" "$results"
echo "wrote $results"
