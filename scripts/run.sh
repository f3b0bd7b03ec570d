#!/usr/bin/env bash
# Quick start: install, build, run billingd on its embedded journal (data in
# ./billing-data, gRPC on 127.0.0.1:50051), load the demo data set (customer
# DEMO, see `billingctl demo load --help`; loading again changes nothing),
# and keep billingd in the foreground. Ctrl-C stops it. Extra arguments go to
# billingd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
cmake --build build -j2 --target billingd billingctl

LISTEN=127.0.0.1:50051
BILLINGD=./build/services/billingd
BILLINGCTL=./build/services/billingctl
# Attempts to reach billingd once started, 0.2 s apart (30 s at most).
READY_ATTEMPTS=150

"$BILLINGD" --data_dir=billing-data --listen="$LISTEN" "$@" &
billingd_pid=$!
stopping=0
stop_billingd() {
  stopping=1
  kill -TERM "$billingd_pid" 2>/dev/null || true
}
# Ctrl-C (or a TERM to this script) stops billingd in order; the script
# returns once billingd has exited.
trap stop_billingd INT TERM

# Wait until billingd answers a cheap call; give up early if it exits.
ready=0
for ((i = 0; i < READY_ATTEMPTS; i++)); do
  kill -0 "$billingd_pid" 2>/dev/null || break
  if "$BILLINGCTL" --server "$LISTEN" --timeout-s 2 customer list \
      --page-size 1 >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.2
done

failed=0
if [ "$ready" = 1 ]; then
  "$BILLINGCTL" --server "$LISTEN" demo load ||
    echo "run.sh: the demo data set did not load (see above); billingd" \
         "keeps running" >&2
  echo "run.sh: billingd serves on $LISTEN (pid $billingd_pid); Ctrl-C stops it"
elif [ "$stopping" = 0 ]; then
  echo "run.sh: billingd is not serving on $LISTEN (see its messages above)" >&2
  failed=1
  stop_billingd
fi

# billingd in the foreground: a trapped signal interrupts `wait`, so wait
# again until billingd has exited; then exit with its code (bash keeps it).
while kill -0 "$billingd_pid" 2>/dev/null; do
  wait "$billingd_pid" || true
done
if wait "$billingd_pid"; then status=0; else status=$?; fi
if [ "$failed" = 1 ] && [ "$status" = 0 ]; then status=1; fi
exit "$status"
