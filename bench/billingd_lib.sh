# Sourced by bench scripts: starts billingd on a fresh data directory, reads
# its CPU time from /proc, stops it. Needs `work` (a temp directory the
# caller removes) and `billingd` (the binary) set before start_billingd.
#
#   start_billingd        sets billingd_pid, address, billingd_cmd
#   billingd_cpu_s        CPU seconds (user + system) billingd used so far
#   stop_billingd         SIGTERM, bounded wait; sets billingd_rc

billingd_start_timeout_s=${billingd_start_timeout_s:-30}
billingd_stop_timeout_s=${billingd_stop_timeout_s:-30}

start_billingd() {
  # billingd's stdout goes to a fifo kept open until it exits: its first
  # line says it serves (read with a bound, no polling), and its last lines
  # at shutdown must not hit a closed pipe.
  mkfifo "$work/billingd.out"
  billingd_cmd=("$billingd" --listen=127.0.0.1:0 "--data_dir=$work/data")
  "${billingd_cmd[@]}" >"$work/billingd.out" 2>"$work/billingd.err" &
  billingd_pid=$!
  exec 3<"$work/billingd.out"
  local banner
  if ! read -r -t "$billingd_start_timeout_s" -u 3 banner; then
    echo "billingd did not start within ${billingd_start_timeout_s}s:" >&2
    cat "$work/billingd.err" >&2
    return 1
  fi
  case $banner in
    "billingd: listening on "*) ;;
    *) echo "unexpected billingd output: $banner" >&2; return 1 ;;
  esac
  address=${banner#billingd: listening on }
  address=${address%% *}
  echo "$banner"
}

billingd_cpu_s() {
  # Fields 14 and 15 (utime, stime) after the ")" closing the name.
  sed 's/.*) //' "/proc/$billingd_pid/stat" |
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }'
}

stop_billingd() {
  kill -TERM "$billingd_pid"
  if ! timeout "$billingd_stop_timeout_s" tail --pid="$billingd_pid" \
       -f /dev/null; then
    echo "billingd did not stop within ${billingd_stop_timeout_s}s" >&2
    return 1
  fi
  billingd_rc=0
  wait "$billingd_pid" || billingd_rc=$?
  billingd_pid=
  exec 3<&-
}

kill_billingd() {  # for an EXIT trap
  if [[ -n ${billingd_pid:-} ]] && kill -0 "$billingd_pid" 2>/dev/null; then
    kill -KILL "$billingd_pid" 2>/dev/null || true
  fi
}
