#!/usr/bin/env python3
"""grpc_ingest: usage records per second through UsageService.IngestUsage
(gRPC client stream -> route -> rate -> journal -> RocksDB), in rounds of
--records, on a fresh billingd with the demo data set. Rounds must stay flat:
a rate that falls with the records already stored means work that grows with
the state (as unbounded RocksDB scans once did). The baseline is the first
round of the same run: each round's rate is reported as a ratio to it.

  /usr/bin/python3 bench/grpc_ingest.py build [--rounds 4] [--records 10000]
      [--batch N] [--server HOST:PORT --prefix P]

--batch N sends UsageBatch messages of N records on IngestUsageBatches (0:
one UsageRecord per message on IngestUsage). Alone, writes
bench/results/grpc_ingest.txt; with --server (a billingd holding the demo
data, as bench/run_grpc_ingest.sh starts), prints one "result ..." line and
writes nothing. The messages are built before the clock starts.
"""

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--records", type=int, default=10000)
    p.add_argument("--batch", type=int, default=0)
    p.add_argument("--server", default="")
    p.add_argument("--prefix", default="G")
    args = p.parse_args()
    build = os.path.abspath(args.build)
    sys.path.insert(0, os.path.join(build, "python"))
    import grpc
    from billing.v1 import usage_pb2 as upb
    from billing.v1 import usage_service_pb2 as uspb
    from billing.v1 import usage_service_pb2_grpc as usgrpc

    daemon = None
    address = args.server
    if not address:
        work = tempfile.mkdtemp(prefix="grpc_ingest.", dir=build)
        daemon = subprocess.Popen(
            [os.path.join(build, "services", "billingd"),
             "--listen=127.0.0.1:0", f"--data_dir={work}/data"],
            stdout=subprocess.PIPE, text=True)
        line = daemon.stdout.readline()
        address = line.split("listening on ", 1)[1].split(" ", 1)[0]
        subprocess.run([os.path.join(build, "services", "billingctl"),
                        "--server", address, "demo", "load"], check=True,
                       stdout=subprocess.DEVNULL)
    usage = usgrpc.UsageServiceStub(grpc.insecure_channel(address))
    rows = []
    for k in range(args.rounds):
        records = [upb.UsageRecord(
            platform_id="PBX1", record_id=f"{args.prefix}{k}-{i:07d}",
            object="+33142680001",
            start_time=f"2026-03-{1 + i % 28:02d}T10:00:00+01:00",
            kind=upb.USAGE_KIND_VOICE, quantity=1 + i % 600,
            destination="+33612345678") for i in range(args.records)]
        if args.batch > 0:
            messages = [uspb.UsageBatch(records=records[i:i + args.batch])
                        for i in range(0, len(records), args.batch)]
            call = usage.IngestUsageBatches
        else:
            messages = records
            call = usage.IngestUsage
        start = time.monotonic()
        summary = call(iter(messages), timeout=600)
        seconds = time.monotonic() - start
        assert summary.rated == args.records, summary
        rows.append((k + 1, (k + 1) * args.records, seconds,
                     args.records / seconds))
    if daemon is None:
        total = sum(r[2] for r in rows)
        print(f"result client=python batch={args.batch} rounds={args.rounds} "
              f"records={args.rounds * args.records} seconds={total:.2f} "
              f"records_per_s={args.rounds * args.records / total:.0f} "
              f"rounds_per_s={','.join(f'{r[3]:.0f}' for r in rows)}")
        return
    daemon.terminate()
    daemon.wait(timeout=30)
    first = rows[0][3]
    out = [
        "# grpc_ingest: UsageService.IngestUsage, embedded journal, demo data",
        f"# produced by: /usr/bin/python3 bench/grpc_ingest.py {args.build} "
        f"--rounds {args.rounds} --records {args.records} "
        f"--batch {args.batch}",
        f"# date: {datetime.datetime.utcnow().isoformat()}Z, nproc "
        f"{os.cpu_count()}, load {os.getloadavg()}",
        "# ratio: each round's rate over the first round's (flat = ~1.0)",
        "round stored_after seconds records_per_s ratio_to_first",
    ]
    for r, stored, s, rate in rows:
        out.append(f"{r} {stored} {s:.2f} {rate:.0f} {rate / first:.2f}")
    text = "\n".join(out) + "\n"
    print(text, end="")
    with open(os.path.join(HERE, "results", "grpc_ingest.txt"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
