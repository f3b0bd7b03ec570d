#!/usr/bin/env bash
# A peer baseline, side by side (issue 14): the usage month of
# usage_ingest_bench (embedded journal) against PostgreSQL 15 doing the same
# month the way Lago does it, in one run, on the same records.
#
#   bench/pg_baseline.sh [BUILD_DIR]           (default BUILD_DIR: build)
#   bench/pg_baseline.sh --parse_only          (start PostgreSQL, create the
#                                               schema, EXPLAIN the SQL, stop)
#
# 1. ours: usage_ingest_bench --journal=embedded --records=RECORDS on both
#    cores (Kafka usage topic -> route -> rate -> journal, fdatasync per lane
#    append -> RocksDB with offsets); it also writes its records and, after
#    the run, its month's totals per customer, object, kind and zone (CSV).
# 2. PostgreSQL 15 (Debian's postgresql-15: initdb and pg_ctl from
#    /usr/lib/postgresql/15/bin), a new cluster in a temporary directory,
#    Unix socket only, run as the user postgres (or nobody) when this script
#    runs as root; fsync and synchronous_commit on (durable per commit, as
#    ours), shared_buffers 1GB, max_wal_size 8GB. Stopped and removed at
#    exit. bench/pg_baseline.py then loads the same records twice:
#      requests: CLIENTS concurrent clients, one INSERT committed per record
#        into a table with UNIQUE (platform_id, record_id);
#      copy: batched COPY (10,000 rows a commit) into the same table;
#    each followed by the month's totals in SQL at invoice time (directory
#    join, rating by longest prefix through a LATERAL join on rates, billed
#    quantity and amount as the engine rates them), compared with ours.
# Prints both ratios (ours / PG requests, ours / PG COPY, on the whole month:
# load + totals SQL; and on the load alone) and writes
# bench/results/pg_baseline.txt (RESULTS overrides) with the commands.
#
# Environment: RECORDS (default 100000), CLIENTS (default 8), RESULTS.
# Installs postgresql-15 and python3-psycopg2 when missing (apt-get, as root
# or through sudo); with PG_BASELINE_NO_INSTALL set, exits 77 instead (the
# ctest smoke test bench.pg_baseline_sql_parses runs --parse_only so). Runtime with the defaults: about 1 to 2 minutes.
# Needs: ninja -C BUILD_DIR usage_ingest_bench.
set -euo pipefail

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
parse_only=
if [[ ${1:-} == --parse_only ]]; then
  parse_only=1
  shift
fi
records=${RECORDS:-100000}
clients=${CLIENTS:-8}
results=${RESULTS:-$src_dir/bench/results/pg_baseline.txt}
pg_bin=/usr/lib/postgresql/15/bin
python=/usr/bin/python3
# Bounds, in seconds: the server's start and stop, our bench run, the PG run.
pg_timeout_s=60
ours_timeout_s=600
pg_run_timeout_s=1800

# --- packages: nothing to install by hand ---
missing=()
[[ -x $pg_bin/initdb ]] || missing+=(postgresql-15)
"$python" -c 'import psycopg2' 2>/dev/null || missing+=(python3-psycopg2)
if (( ${#missing[@]} )) && [[ -n ${PG_BASELINE_NO_INSTALL:-} ]]; then
  echo "missing ${missing[*]}: skipped (PG_BASELINE_NO_INSTALL)" >&2
  exit 77
fi
if (( ${#missing[@]} )); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || {
      echo "missing ${missing[*]}; as root: apt-get install -y" \
           "--no-install-recommends ${missing[*]}" >&2
      exit 2
    }
    sudo=(sudo)
  fi
  echo "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ -z $parse_only ]]; then
  build_dir=$(cd "${1:-build}" && pwd)
  bench=$build_dir/bench/usage_ingest_bench
  if [[ ! -x $bench ]]; then
    echo "missing $bench: ninja -C $build_dir usage_ingest_bench" >&2
    exit 2
  fi
fi

# --- the server: a new cluster in a temporary directory ---
# Under /tmp (the same file system as the build here; our bench's data goes
# in the same directory), readable by the server's user.
work=$(mktemp -d /tmp/pg_baseline.XXXXXX)
chmod 755 "$work"
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  pg_user=postgres
  id -u "$pg_user" >/dev/null 2>&1 || pg_user=nobody
  as_pg=(runuser -u "$pg_user" --)
  mkdir "$work/pg" "$work/sock"
  chown "$pg_user" "$work/pg" "$work/sock"
fi
pg_started=
cleanup() {
  if [[ -n $pg_started ]]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast -w \
      -t "$pg_timeout_s" stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/pg" "$work/sock"

"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg/data" -U bench --auth=trust \
  --no-locale -E UTF8 >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; exit 1; }
pg_options="-c listen_addresses='' -k $work/sock -p 5432"
pg_options+=" -c shared_buffers=1GB -c max_wal_size=8GB"
pg_options+=" -c fsync=on -c synchronous_commit=on -c max_connections=64"
pg_started=1
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg/data" -o "$pg_options" \
  -l "$work/pg/server.log" -w -t "$pg_timeout_s" start >/dev/null ||
  { cat "$work/pg/server.log" >&2; exit 1; }
pg_version=$("$pg_bin/postgres" --version)
echo "$pg_version on $work/sock"
pg_args=(--host "$work/sock" --port 5432)

if [[ -n $parse_only ]]; then
  "$python" "$src_dir/bench/pg_baseline.py" "${pg_args[@]}" --parse_only
  exit
fi

date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)
revision=$(git -C "$src_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$src_dir" status --porcelain -- engine storage services \
           proto 2>/dev/null) ]]; then
  revision="$revision + uncommitted changes in engine/storage/services/proto"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)

# --- 1. ours ---
ours_cmd=("$bench" --journal=embedded "--records=$records" --latency_seconds=0
          --label=2core "--dir=$work/ours" "--records_csv=$work/records.csv"
          "--totals_csv=$work/ours_totals.csv")
echo "+ ${ours_cmd[*]}"
ours_out=$(timeout "$ours_timeout_s" "${ours_cmd[@]}")
echo "$ours_out"
ours_line=$(grep '^result ' <<<"$ours_out")

# --- 2. PostgreSQL ---
pg_cmd=("$python" "$src_dir/bench/pg_baseline.py" "${pg_args[@]}"
        --records_csv "$work/records.csv" --ours_totals "$work/ours_totals.csv"
        --clients "$clients")
echo "+ ${pg_cmd[*]}"
pg_rc=0
pg_out=$(timeout "$pg_run_timeout_s" "${pg_cmd[@]}") || pg_rc=$?
echo "$pg_out"
loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)

field() {  # field NAME LINE
  tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}
req_line=$(grep '^result row=requests ' <<<"$pg_out")
copy_line=$(grep '^result row=copy ' <<<"$pg_out")
ours_rps=$(field e2e_records_per_s "$ours_line")
ratio() {  # ratio A B
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

{
  echo "# pg_baseline: our usage month against PostgreSQL 15 doing it the"
  echo "# way Lago does (issue 14, \"A peer baseline\")"
  echo "#"
  echo "# produced by:  RECORDS=$records CLIENTS=$clients" \
       "bench/pg_baseline.sh ${1:-build}"
  echo "# ours:         ${ours_cmd[*]}"
  echo "# pg:           ${pg_cmd[*]}"
  echo "# server:       $pg_version, initdb --no-locale, Unix socket," \
       "postgres $pg_options"
  echo "# date:         $date_utc"
  echo "# machine:      nproc $(nproc), $cpu, kernel $(uname -r)"
  echo "# load avg:     $loadavg_before (before), $loadavg_after (after)"
  echo "# revision:     $revision"
  echo "#"
  echo "# The same $records records (usage_ingest_bench's: 800 numbers of 8"
  echo "# customers, voice, one month, rated +33 France 0.02/60 s, first 60"
  echo "# then per 1 s, set-up 0.05), both sides on both cores and the same"
  echo "# disk, durable per acknowledgement (our journal fdatasyncs per lane"
  echo "# append; PostgreSQL fsyncs its WAL per commit, group commit)."
  echo "# ours: Kafka usage topic (preloaded) -> route -> rate -> journal ->"
  echo "# RocksDB totals; rec/s until the last record is rated, totals then"
  echo "# readable at once (invoice time costs nothing more)."
  echo "# pg requests: $clients client processes (psycopg2), one prepared"
  echo "# INSERT committed per record, UNIQUE (platform_id, record_id)."
  echo "# pg copy: one client, COPY FROM STDIN in 10,000-row commits into the"
  echo "# same table (no rating: the best case for PostgreSQL)."
  echo "# Each pg row then ANALYZEs and computes the month's totals in one"
  echo "# SQL statement (directory join, LATERAL longest-prefix join on"
  echo "# rates, billed quantity and amount as the engine rates them):"
  echo "# totals_s. month rec/s = records / (load_s + totals_s); load rec/s ="
  echo "# records / load_s. client_cpu_s: CPU seconds of the pg client"
  echo "# processes (psycopg2), on the same 2 cores as the server."
  echo
  printf '%-14s %8s %9s %10s %9s %11s %12s %13s %6s\n' row records load_s \
    load_rec/s totals_s month_rec/s ours/pg_month ours/pg_load match
  printf '%-14s %8s %9s %10s %9s %11s %12s %13s %6s\n' ours "$records" \
    "$(field e2e_seconds "$ours_line")" "$ours_rps" 0 "$ours_rps" 1.00 1.00 -
  for l in "$req_line" "$copy_line"; do
    [[ -n $l ]] || continue
    printf '%-14s %8s %9s %10s %9s %11s %12s %13s %6s\n' \
      "pg_$(field row "$l")" "$(field records "$l")" "$(field load_s "$l")" \
      "$(field load_records_per_s "$l")" "$(field totals_s "$l")" \
      "$(field month_records_per_s "$l")" \
      "$(ratio "$ours_rps" "$(field month_records_per_s "$l")")" \
      "$(ratio "$ours_rps" "$(field load_records_per_s "$l")")" \
      "$(field match "$l")"
  done
  echo
  grep '^verdict ' <<<"$pg_out" || true
  echo
  echo "# raw lines"
  echo "$ours_line"
  grep '^result row=' <<<"$pg_out" || true
} | tee "$results.tmp"
mv "$results.tmp" "$results"
echo "wrote $results"
exit "$pg_rc"
