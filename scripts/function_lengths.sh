#!/usr/bin/env bash
# Lists functions by length (lines from signature to closing brace), longest
# first, over the hand-written sources (no tests, no generated code), using
# Universal Ctags' end: field. Usage: scripts/function_lengths.sh [MIN_LINES]
# Issue 10's rule: none over 100 lines, fewer than 10 over 70.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
min=${1:-60}
git ls-files 'engine/*.cc' 'engine/*.h' 'storage/*.cc' 'storage/*.h' \
    'services/*.cc' 'services/*.h' |
  xargs ctags --fields=+ne --kinds-c++=f --language-force=C++ -o - |
  awk -F'\t' -v min="$min" '{
    line = ""; end = "";
    for (i = 4; i <= NF; i++) {
      if ($i ~ /^line:/) line = substr($i, 6);
      if ($i ~ /^end:/) end = substr($i, 5);
    }
    if (line != "" && end != "") {
      n = end - line + 1;
      if (n > min) printf "%5d %s:%s %s\n", n, $2, line, $1;
    }
  }' | sort -rn
