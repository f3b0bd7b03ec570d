#!/usr/bin/env bash
# Runs each libFuzzer target of tests/fuzz for a minute and writes what it
# did: executions, coverage (libFuzzer's cov: edges and ft: features at the
# end), corpus size, and the result (passed, or the crash and where its input
# is), with the commands that made it.
#
#   bench/run_fuzz.sh [FUZZ_BUILD_DIR]     (default: build/fuzz)
#
# FUZZ_BUILD_DIR is the clang fuzz tree that the normal build makes
# (`cmake --build build` builds it, BILLING_FUZZ) or one configured with
# -DBILLING_FUZZ_TREE=ON (tests/fuzz/CMakeLists.txt). Each target starts from
# its seed corpus (tests/fuzz/corpus/<target>, read only) and the saved
# crashes, in a fresh work corpus; a failing input is written to
# <work>/crash-*. Writes bench/results/fuzz.txt (RESULTS overrides).
#
# Environment: SECONDS_PER_TARGET (default 60), TARGETS (default: all),
# RESULTS. Runtime with the defaults: about 5 minutes. One process at a time
# (libFuzzer on one core).
set -uo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fuzz_dir=$(cd "${1:-$src_dir/build/fuzz}" && pwd) || exit 2
seconds=${SECONDS_PER_TARGET:-60}
results=${RESULTS:-$src_dir/bench/results/fuzz.txt}
targets=${TARGETS:-"usage_decode_fuzz usage_csv_fuzz rate_plan_json_fuzz decimal_date_fuzz journal_apply_fuzz"}
work=$(mktemp -d "${TMPDIR:-/tmp}/billing_fuzz.XXXXXX")

for t in $targets; do
  if [[ ! -x $fuzz_dir/tests/fuzz/$t ]]; then
    echo "missing $fuzz_dir/tests/fuzz/$t: cmake --build $fuzz_dir --target billing_fuzz_targets" >&2
    exit 2
  fi
done

{
  echo "# bench/run_fuzz.sh: each libFuzzer target for ${seconds} s"
  echo "# at $(git -C "$src_dir" rev-parse --short HEAD) on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(clang++-14 --version | head -1)"
  echo "# build: $fuzz_dir (-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)"
  echo "# columns: target, executions, exec/s, cov (edges), ft (features), corpus (inputs/bytes), result"
} > "$results.tmp"

status=0
for t in $targets; do
  mkdir -p "$work/$t/corpus"
  dirs=("$work/$t/corpus" "$src_dir/tests/fuzz/corpus/$t")
  [[ -d $src_dir/tests/fuzz/crashes/$t ]] && dirs+=("$src_dir/tests/fuzz/crashes/$t")
  cmd=("$fuzz_dir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/$t/"
       "${dirs[@]}")
  echo "running $t for ${seconds} s" >&2
  "${cmd[@]}" > "$work/$t/log" 2>&1
  rc=$?
  # The last status line ("#N DONE cov: E ft: F corp: I/B ...") or the last
  # progress line before a crash; stat::number_of_executed_units at exit.
  last=$(grep -E '^#[0-9]+' "$work/$t/log" | tail -1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t/log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
  if [[ $rc -eq 0 ]]; then
    result="passed"
  else
    status=1
    crash=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$work/$t/log" | tail -1)
    why=$(grep -m1 -E 'fuzz contract broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$work/$t/log" | cut -c1-200)
    result="FAILED (exit $rc): ${why:-see log}; input: ${crash:-none}; log: $work/$t/log"
  fi
  printf '%-20s %10s %7s/s cov %-6s ft %-6s corp %-12s %s\n' "$t" "${execs:-?}" \
    "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result" >> "$results.tmp"
  echo "  command: ${cmd[*]}" >> "$results.tmp"
done
mv "$results.tmp" "$results"
cat "$results"
echo "work corpora and logs: $work" >&2
exit $status
