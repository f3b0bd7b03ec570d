#!/usr/bin/env python3
"""usage_rerate: how fast billingd re-rates a month after a plan correction
(docs/usage.md, "Correcting a plan, and re-rating").

  /usr/bin/python3 bench/usage_rerate.py build [N]

Starts its own billingd (build/services/billingd, embedded journal) on a
fresh data directory, loads the demo data set, imports N (default 20000)
March calls of 60 to 659 s from the demo's +33142680001 to +33145550000
(JSON Lines, `billingctl usage import`), corrects plan PRO's France entry
from 0.020000 to 0.010000 a minute, then times `billingctl usage rerate`
twice (pages of 1,000 records, one command each): the first re-rates every
record, the second changes nothing. Prints each line and the month's
totals; the amount moved is 0.01 x (sum of seconds) / 60, each record
rounded to the micro. Appends the output to bench/results/usage_rerate.txt
with the command and the load average.
"""

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    os.environ.setdefault("BILLINGD", os.path.join(build, "services/billingd"))
    os.environ.setdefault("BILLINGCTL",
                          os.path.join(build, "services/billingctl"))
    os.environ.setdefault("BILLING_PY_STUBS", os.path.join(build, "python"))
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
    import e2e_support as e2e  # noqa: E402 (needs the environment above)
    work = e2e.make_temp_dir("usage-rerate-bench-")
    daemon = e2e.Billingd(os.path.join(work, "data"), work,
                          test_clock_date="2026-03-02")
    ctl = [os.environ["BILLINGCTL"], "--server", daemon.address]
    lines = [f"load average {os.getloadavg()[0]:.2f} at start, N={n}"]

    def run(*args):
        return subprocess.run(ctl + list(args), capture_output=True, text=True,
                              check=True, timeout=1800).stdout.strip()

    try:
        run("demo", "load")
        calls = os.path.join(work, "calls.jsonl")
        with open(calls, "w", encoding="utf-8") as f:
            for i in range(n):
                f.write(json.dumps({
                    "platform_id": "PBX1", "record_id": f"r{i:07d}",
                    "object": "+33142680001",
                    "start_time": f"2026-03-{10 + i % 15}T10:00:00+01:00",
                    "kind": "USAGE_KIND_VOICE", "quantity": 60 + i % 600,
                    "destination": "+33145550000"}) + "\n")
        t = time.time()
        lines.append(f"import: {run('usage', 'import', calls)} "
                     f"in {time.time() - t:.2f} s")
        plan = {"plan_id": "PRO", "effective_from": "2026-01-01T00:00:00+01:00",
                "currency": "EUR", "time_zone": "Europe/Paris",
                "entries": [{"kind": "USAGE_KIND_VOICE",
                             "destination_prefix": p, "price_micros": str(pr),
                             "per_quantity": "60", "setup_fee_micros": "50000",
                             "first_increment": "60", "increment": "1",
                             "zone_label": label}
                            for p, pr, label in (
                                ("+33", 10000, "France"),
                                ("+336", 100000, "France mobile"),
                                ("+337", 100000, "France mobile"))]}
        path = os.path.join(work, "pro.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(plan, f)
        run("plan", "define", "--customer", "DEMO", "--file", path)
        for label in ("first rerate", "second rerate"):
            t = time.time()
            out = run("usage", "rerate", "--customer", "DEMO", "--month",
                      "2026-03", "--reason", "bench")
            dt = time.time() - t
            lines.append(f"{label}: {out} in {dt:.2f} s, {n / dt:,.0f} "
                         "records/s")
        lines.append(run("usage", "totals", "--customer", "DEMO", "--month",
                         "2026-03"))
    finally:
        e2e.stop_billingd(daemon)
        shutil.rmtree(work, ignore_errors=True)
    lines.append(f"load average {os.getloadavg()[0]:.2f} at end")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(HERE, "results", "usage_rerate.txt"), "a",
              encoding="utf-8") as f:
        f.write(f"$ /usr/bin/python3 bench/usage_rerate.py build {n}  "
                f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
                f"{text}\n\n")


if __name__ == "__main__":
    main()
