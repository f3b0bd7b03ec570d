#!/usr/bin/env bash
# Runs each libFuzzer target of tests/fuzz for a minute and writes what it
# did: executions, coverage (libFuzzer's cov: edges and ft: features at the
# end), corpus size, and the result (passed, or how many inputs crashed, the
# first one's report and where the inputs are), with the commands that made
# it. Targets run with -fork=1 -ignore_crashes=1: a crash does not end the
# minute, so every target's figures cover the whole minute.
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
  echo "# columns: target, executions, exec/s, cov (edges), ft (features), corpus (inputs), result"
} > "$results.tmp"

status=0
for t in $targets; do
  mkdir -p "$work/$t/corpus"
  dirs=("$work/$t/corpus" "$src_dir/tests/fuzz/corpus/$t")
  [[ -d $src_dir/tests/fuzz/crashes/$t ]] && dirs+=("$src_dir/tests/fuzz/crashes/$t")
  cmd=("$fuzz_dir/tests/fuzz/$t" -fork=1 -ignore_crashes=1
       -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
       -artifact_prefix="$work/$t/" "${dirs[@]}")
  echo "running $t for ${seconds} s" >&2
  "${cmd[@]}" > "$work/$t/log" 2>&1
  rc=$?
  # Fork mode's last status line: "#N: cov: E ft: F corp: I exec/s ...
  # oom/timeout/crash: O/T/C time: Ss job: J ...".
  last=$(grep -E '^#[0-9]+: cov:' "$work/$t/log" | tail -1)
  execs=$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last")
  speed=$(( ${execs:-0} / seconds ))
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  crashes=$(sed -n 's|.* oom/timeout/crash: \([0-9/]*\).*|\1|p' <<<"$last")
  first=$(ls "$work/$t"/crash-* "$work/$t"/timeout-* "$work/$t"/oom-* 2>/dev/null | head -1)
  if [[ $rc -eq 0 && -z $first ]]; then
    result="passed"
  else
    status=1
    # The first failing input again, alone, for its report.
    why=$({ [[ -n $first ]] && "${cmd[0]}" "$first"; cat "$work/$t/log"; } 2>&1 |
          grep -m1 -E 'fuzz contract broken|ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' | cut -c1-200)
    result="FAILED (oom/timeout/crash ${crashes:-?}): ${why:-see log}; inputs: $work/$t/crash-*"
  fi
  printf '%-20s %10s %7s/s cov %-6s ft %-6s corp %-12s %s\n' "$t" "${execs:-?}" \
    "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result" >> "$results.tmp"
  echo "  command: ${cmd[*]}" >> "$results.tmp"
done
mv "$results.tmp" "$results"
cat "$results"
echo "work corpora and logs: $work" >&2
exit $status
