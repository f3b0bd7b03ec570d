#!/usr/bin/env bash
# End-to-end command load on billingd with the embedded journal, against the
# floor of durable acknowledgement measured in the same run.
#
#   bench/run_command_load.sh [BUILD_DIR]      (default BUILD_DIR: build)
#
# Starts billingd on a fresh data directory under BUILD_DIR (the build tree's
# disk, which is the disk the figures are about), runs bench/command_load at
# each concurrency level of LEVELS with the matching count of COUNTS (each
# level also measures its baseline: the same count of write(4 KiB)+fdatasync
# in the data directory, one thread), stops billingd, prints the figures and
# writes them to bench/results/command_load_embedded.txt (RESULTS overrides)
# with the commands that produced them and the machine.
#
# Environment: LEVELS (default "1 8 64"), COUNTS (default "3000 10000 20000"),
# RESULTS. Total runtime with the defaults: about a minute.
# Needs: ninja -C BUILD_DIR billingd command_load.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(cd "${1:-build}" && pwd)
levels=(${LEVELS:-1 8 64})
counts=(${COUNTS:-3000 10000 20000})
results=${RESULTS:-$src_dir/bench/results/command_load_embedded.txt}
billingd=$build_dir/services/billingd
driver=$build_dir/bench/command_load
# Bounds, in seconds: billingd's start and stop, and one driver run.
start_timeout_s=30
stop_timeout_s=30
run_timeout_s=300

if [[ ${#levels[@]} -ne ${#counts[@]} ]]; then
  echo "LEVELS and COUNTS need as many words each" >&2
  exit 2
fi
for exe in "$billingd" "$driver"; do
  if [[ ! -x $exe ]]; then
    echo "missing $exe: ninja -C $build_dir billingd command_load" >&2
    exit 2
  fi
done

work=$(mktemp -d "$build_dir/command_load.XXXXXX")
data_dir=$work/data
source "$src_dir/bench/billingd_lib.sh"
billingd_start_timeout_s=$start_timeout_s
billingd_stop_timeout_s=$stop_timeout_s
cleanup() {
  kill_billingd
  rm -rf "$work"
}
trap cleanup EXIT
start_billingd || exit 1

date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# Other work on the machine moves these figures (the disk most): say how busy
# it was.
loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)
revision=$(git -C "$src_dir" rev-parse --short HEAD 2>/dev/null ||
           echo unknown)
if [[ -n $(git -C "$src_dir" status --porcelain -- engine storage services \
           proto 2>/dev/null) ]]; then
  revision="$revision + uncommitted changes in engine/storage/services/proto"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
fs=$(df -T "$data_dir" | awk 'NR==2 {print $2 " on " $1}')

lines=()
commands=()
for idx in "${!levels[@]}"; do
  clients=${levels[$idx]}
  count=${counts[$idx]}
  cmd=("$driver" "--server=$address" "--clients=$clients"
       "--commands=$count" "--id_prefix=c$clients" "--baseline_dir=$data_dir"
       "--billingd_pid=$billingd_pid")
  commands+=("${cmd[*]}")
  echo "+ ${cmd[*]}"
  out=$(timeout "$run_timeout_s" "${cmd[@]}")
  echo "$out"
  lines+=("$(grep '^result ' <<<"$out")")
done

loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)
stop_billingd || exit 1

field() {  # field NAME RESULT_LINE
  tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}

{
  echo "# command_load: CreateCustomer on billingd, embedded journal"
  echo "#"
  echo "# produced by:  LEVELS=\"${levels[*]}\" COUNTS=\"${counts[*]}\"" \
       "bench/run_command_load.sh ${1:-build}"
  echo "# billingd:     ${billingd_cmd[*]}   (exit $billingd_rc on SIGTERM)"
  for c in "${commands[@]}"; do
    echo "# driver:       $c"
  done
  echo "# date:         $date_utc"
  echo "# machine:      nproc $(nproc), $cpu, kernel $(uname -r)"
  echo "# data dir fs:  $fs"
  echo "# load avg:     $loadavg_before (before), $loadavg_after (after)" \
       "(1, 5, 15 min)"
  echo "# revision:     $revision (source tree when run; billingd built" \
       "$(date -u -r "$billingd" +%Y-%m-%dT%H:%M:%SZ))"
  echo "#"
  echo "# Driver and daemon share the machine's cores. Each client is a thread"
  echo "# with its own channel (TCP connection) and a sync stub, one call at a"
  echo "# time. Latencies are per call, client side. Baseline: one thread,"
  echo "# write(4 KiB) + fdatasync appended to a new file in the data"
  echo "# directory, as many rounds as the level has commands, run just"
  echo "# before the load. ratio = commands/s / baseline fdatasyncs/s."
  echo "# cpu_busy: CPU time of billingd + driver during the load over the"
  echo "# machine's core-seconds; near 100% the cores, not the disk, bound it."
  echo
  printf '%7s %8s %11s %8s %8s %8s %13s %11s %6s %12s %8s\n' clients \
    commands commands/s p50_us p99_us max_us baseline_fds/s fds_p50_us \
    ratio billingd_us/c cpu_busy
  for l in "${lines[@]}"; do
    busy=$(awk -v d="$(field driver_cpu_s "$l")" \
               -v b="$(field billingd_cpu_s "$l")" \
               -v c="$(field core_s "$l")" \
               'BEGIN { printf "%.0f%%", (c > 0 ? 100 * (d + b) / c : 0) }')
    per_cmd=$(awk -v b="$(field billingd_cpu_s "$l")" \
                  -v n="$(field commands "$l")" \
                  'BEGIN { printf "%.0f", (n > 0 ? b * 1e6 / n : 0) }')
    printf '%7s %8s %11s %8s %8s %8s %13s %11s %6s %12s %8s\n' \
      "$(field clients "$l")" "$(field commands "$l")" \
      "$(field commands_per_s "$l")" "$(field p50_us "$l")" \
      "$(field p99_us "$l")" "$(field max_us "$l")" \
      "$(field baseline_syncs_per_s "$l")" "$(field baseline_p50_us "$l")" \
      "$(field ratio "$l")" "$per_cmd" "$busy"
  done
  echo
  echo "# raw driver lines"
  printf '%s\n' "${lines[@]}"
} | tee "$results.tmp"
mv "$results.tmp" "$results"
echo "wrote $results"
for l in "${lines[@]}"; do
  if [[ $(field failed "$l") != 0 ]]; then
    echo "some commands failed" >&2
    exit 1
  fi
done
if [[ $billingd_rc -ne 0 ]]; then
  echo "billingd exited $billingd_rc" >&2
  exit 1
fi
