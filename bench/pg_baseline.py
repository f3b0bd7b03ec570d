#!/usr/bin/env python3
"""pg_baseline: the usage month of bench/usage_ingest_bench done on
PostgreSQL the way Lago does it, for bench/pg_baseline.sh (which starts the
server and prints the comparison).

  /usr/bin/python3 bench/pg_baseline.py --host SOCKET_DIR --port PORT \\
      --records_csv records.csv --ours_totals ours.csv [--clients 8] \\
      [--copy_batch 10000] [--rows requests,copy]
  /usr/bin/python3 bench/pg_baseline.py --host SOCKET_DIR --parse_only
      (creates the schema, EXPLAINs the statements: the SQL parses)

Schema: usage_records (one row per record, UNIQUE (platform_id, record_id)),
numbers (E.164 -> customer, object: the bench's directory of 8 customers x
100 numbers), rates (the bench's plan PRO of each customer: +33 "France",
0.020000 per 60 s, first 60 s then per 1 s, set-up 0.050000).

Rows:
  requests: --clients processes, each on its own connection, each record one
    INSERT committed on its own (autocommit, a prepared statement, as an
    ORM's create! does), a unique violation counted as a duplicate.
  copy: one connection, COPY ... FROM STDIN (csv) in batches of
    --copy_batch rows, each batch committed.
After each row, at invoice time: ANALYZE, then one SQL statement computes
the month's totals per customer, object, kind and zone: directory join,
rating by a LATERAL join on rates (longest prefix of the destination that
matches, the engine's rule), billed quantity and amount as the engine rates
them (engine/usage/rating.h), summed. The totals are compared with
--ours_totals (usage_ingest_bench --totals_csv): "totals match" or the
differences.

Prints one "result row=... " line per row (key=value).
"""

import argparse
import csv
import io
import multiprocessing
import sys
import time

SCHEMA = """
DROP TABLE IF EXISTS usage_records, numbers, rates;
CREATE TABLE usage_records (
  id bigserial PRIMARY KEY,
  platform_id text NOT NULL,
  record_id text NOT NULL,
  object text NOT NULL,
  start_time timestamptz NOT NULL,
  kind text NOT NULL,
  quantity bigint NOT NULL,
  destination text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (platform_id, record_id)
);
CREATE INDEX usage_records_start_time ON usage_records (start_time);
CREATE TABLE numbers (
  e164 text PRIMARY KEY,
  customer_id text NOT NULL,
  object_id text NOT NULL
);
CREATE TABLE rates (
  customer_id text NOT NULL,
  kind text NOT NULL,
  prefix text NOT NULL,
  zone text NOT NULL,
  price_micros bigint NOT NULL,
  per_quantity bigint NOT NULL,
  setup_fee_micros bigint NOT NULL,
  first_increment bigint NOT NULL,
  increment bigint NOT NULL,
  PRIMARY KEY (customer_id, kind, prefix)
);
"""

INSERT = """PREPARE ins(text, text, text, timestamptz, text, bigint, text) AS
INSERT INTO usage_records
  (platform_id, record_id, object, start_time, kind, quantity, destination)
VALUES ($1, $2, $3, $4, $5, $6, $7)"""

COPY = """COPY usage_records
  (platform_id, record_id, object, start_time, kind, quantity, destination)
FROM STDIN WITH (FORMAT csv)"""

# The month of the bench's records, in their own offset (+01:00): the
# engine takes a record's month from its start time as written.
MONTH_FROM = "2026-03-01T00:00:00+01:00"
MONTH_TO = "2026-04-01T00:00:00+01:00"

TOTALS = """
SELECT n.customer_id, n.object_id, u.kind, r.zone,
       count(*) AS records,
       sum(u.quantity) AS quantity,
       sum(b.billed) AS billed_quantity,
       sum(CASE WHEN b.billed = 0 THEN 0
                ELSE r.setup_fee_micros
                     + round(b.billed::numeric * r.price_micros
                             / r.per_quantity) END)::bigint AS amount_micros
FROM usage_records u
JOIN numbers n ON n.e164 = u.object
CROSS JOIN LATERAL (
  SELECT * FROM rates r
  WHERE r.customer_id = n.customer_id AND r.kind = u.kind
    AND starts_with(u.destination, r.prefix)
  ORDER BY length(r.prefix) DESC
  LIMIT 1) r
CROSS JOIN LATERAL (
  SELECT CASE
    WHEN u.quantity = 0 THEN 0
    WHEN u.quantity <= r.first_increment THEN r.first_increment
    ELSE r.first_increment
         + (u.quantity - r.first_increment + r.increment - 1)
           / r.increment * r.increment
  END AS billed) b
WHERE u.start_time >= %(from)s AND u.start_time < %(to)s
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
"""

# The bench's directory and plan (bench/usage_ingest_bench.cc: Setup,
# Number).
CUSTOMERS = 8
NUMBERS_PER_CUSTOMER = 100


def number(customer, n):
    return f"+331420{customer}{n:04d}"


def connect(args):
    import psycopg2
    return psycopg2.connect(host=args.host, port=args.port,
                            dbname="postgres", user="bench")


def setup(args):
    conn = connect(args)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(SCHEMA)
    for c in range(CUSTOMERS):
        customer = f"BENCH{c}"
        for n in range(NUMBERS_PER_CUSTOMER):
            cur.execute("INSERT INTO numbers VALUES (%s, %s, %s)",
                        (number(c, n), customer, f"N{n}"))
        cur.execute("INSERT INTO rates VALUES (%s, 'USAGE_KIND_VOICE', '+33',"
                    " 'France', 20000, 60, 50000, 60, 1)", (customer,))
    cur.execute("ANALYZE numbers; ANALYZE rates")
    conn.close()


def reset(args):
    conn = connect(args)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("TRUNCATE usage_records RESTART IDENTITY")
    cur.execute("CHECKPOINT")
    conn.close()


def read_records(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[1:]  # the header


def _request_client(job):
    """One client process: its share of the records, one INSERT committed
    per record. Returns (inserted, duplicates, its CPU seconds)."""
    args, rows = job
    import psycopg2
    import psycopg2.errors
    cpu0 = time.process_time()
    conn = connect(args)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(INSERT)
    inserted = duplicates = 0
    for r in rows:
        try:
            cur.execute("EXECUTE ins(%s, %s, %s, %s, %s, %s, %s)", r)
            inserted += 1
        except psycopg2.errors.UniqueViolation:
            duplicates += 1
    conn.close()
    return inserted, duplicates, time.process_time() - cpu0


def load_requests(args, rows):
    shares = [rows[k::args.clients] for k in range(args.clients)]
    with multiprocessing.Pool(args.clients) as pool:
        t0 = time.monotonic()
        out = pool.map(_request_client, [(args, s) for s in shares])
        seconds = time.monotonic() - t0
    return (sum(o[0] for o in out), sum(o[1] for o in out), seconds,
            sum(o[2] for o in out))


def load_copy(args, rows):
    conn = connect(args)
    cur = conn.cursor()
    t0, cpu0 = time.monotonic(), time.process_time()
    for i in range(0, len(rows), args.copy_batch):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(
            rows[i:i + args.copy_batch])
        buf.seek(0)
        cur.copy_expert(COPY, buf)
        conn.commit()
    seconds = time.monotonic() - t0
    conn.close()
    return len(rows), 0, seconds, time.process_time() - cpu0


def totals(args):
    conn = connect(args)
    conn.autocommit = True
    cur = conn.cursor()
    t0 = time.monotonic()
    cur.execute("ANALYZE usage_records")
    cur.execute(TOTALS, {"from": MONTH_FROM, "to": MONTH_TO})
    out = [tuple(str(v) for v in row) for row in cur.fetchall()]
    seconds = time.monotonic() - t0
    conn.close()
    return out, seconds


def read_ours(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return [tuple(r) for r in rows[1:]]


def compare(ours, theirs):
    """'totals match' or the first differences, with what was compared."""
    key = lambda r: r[:4]  # noqa: E731
    a = {key(r): r[4:] for r in ours}
    b = {key(r): r[4:] for r in theirs}
    diffs = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            diffs.append(f"{'/'.join(k)}: ours {a.get(k)} pg {b.get(k)}")
    if not diffs and a:
        return (f"totals match ({len(a)} (customer, object, kind, zone) "
                "totals: records, quantity, billed quantity, amount)")
    return (f"totals DIFFER in {len(diffs)} of {len(set(a) | set(b))}: "
            + "; ".join(diffs[:5]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", help="the server's socket directory")
    p.add_argument("--port", type=int, default=5432)
    p.add_argument("--records_csv")
    p.add_argument("--ours_totals")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--copy_batch", type=int, default=10000)
    p.add_argument("--rows", default="requests,copy")
    p.add_argument("--parse_only", action="store_true",
                   help="create the schema and EXPLAIN every statement "
                        "(the SQL parses and plans), load nothing")
    args = p.parse_args()

    setup(args)
    if args.parse_only:
        conn = connect(args)
        cur = conn.cursor()
        cur.execute(INSERT)
        cur.execute("EXPLAIN EXECUTE ins('P', 'R', '+3314200000', "
                    f"'{MONTH_FROM}', 'USAGE_KIND_VOICE', 1, '+33612345678')")
        cur.execute("EXPLAIN " + TOTALS, {"from": MONTH_FROM, "to": MONTH_TO})
        cur.copy_expert(COPY, io.StringIO(
            f"P,R1,+33142000000,{MONTH_FROM},USAGE_KIND_VOICE,61,+336\n"))
        conn.rollback()
        conn.close()
        print("sql parses")
        return 0

    rows = read_records(args.records_csv)
    ours = read_ours(args.ours_totals)
    status = 0
    for row in args.rows.split(","):
        reset(args)
        load = {"requests": load_requests, "copy": load_copy}[row]
        inserted, duplicates, load_s, client_cpu_s = load(args, rows)
        theirs, totals_s = totals(args)
        verdict = compare(ours, theirs)
        if not verdict.startswith("totals match"):
            status = 1
        print(f"{row}: {verdict}", file=sys.stderr)
        print(f"result row={row} clients="
              f"{args.clients if row == 'requests' else 1} "
              f"records={len(rows)} inserted={inserted} "
              f"duplicates={duplicates} load_s={load_s:.2f} "
              f"load_records_per_s={len(rows) / load_s:.0f} "
              f"client_cpu_s={client_cpu_s:.2f} "
              f"totals_s={totals_s:.2f} totals={len(theirs)} "
              f"month_records_per_s={len(rows) / (load_s + totals_s):.0f} "
              f"match={'yes' if verdict.startswith('totals match') else 'no'}",
              flush=True)
        print(f"verdict row={row} {verdict}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
