#!/usr/bin/env bash
# Runs one libFuzzer target for ctest: run_target.sh BINARY FUZZ_SRC_DIR
# WORK_DIR [libFuzzer flags...]. Inputs: the seed corpus
# (FUZZ_SRC_DIR/corpus/<target>, read only) and the saved crashes
# (FUZZ_SRC_DIR/crashes/<target>, each must pass now); new inputs go to
# WORK_DIR/corpus, a failing one to WORK_DIR/crash-* (its path is printed).
set -euo pipefail
binary=$1 src=$2 work=$3
shift 3
name=$(basename "$binary")
mkdir -p "$work/corpus"
dirs=("$work/corpus" "$src/corpus/$name")
[ -d "$src/crashes/$name" ] && dirs+=("$src/crashes/$name")
exec "$binary" -artifact_prefix="$work/" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$@" "${dirs[@]}"
