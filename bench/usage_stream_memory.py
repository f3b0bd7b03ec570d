#!/usr/bin/env python3
"""usage_stream_memory: billingd's resident memory (VmRSS) and thread count
while --streams concurrent UsageService.IngestUsage client streams send
records for --seconds, then after they end, then after the same records are
sent again (all duplicates). Before the fix (200 streams for 10 s took
RSS from 27 MB to 243 MB, 275 MB after the resend).

  /usr/bin/python3 bench/usage_stream_memory.py build [--streams 200]
      [--seconds 10] [--records_max 1500] [--channels 8] [--label after]
      [--env K=V ...] [--wrap "heaptrack -o /tmp/h"]

Each stream sends for --seconds or --records_max records, whichever comes
first (Python's client, not billingd, is the slower side here: the cap keeps
the run short while every stream still fills several 512-record batches).
Starts its own billingd (build/services/billingd) on a fresh data dir with
the demo data set; every record is a 61 s call on the demo's +33142680001.
Appends one block to bench/results/usage_stream_memory.txt with the command
that made it. Every loop is bounded: each stream stops after --seconds, each
call has a deadline, the sampler stops when the run ends.
"""

import argparse
import datetime
import multiprocessing
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Deadline of one stream beyond its sending time, in seconds.
STREAM_GRACE_S = 120
# Period of the RSS sampler, in seconds (a sampling period, not a wait).
SAMPLE_PERIOD_S = 0.1


def proc_status(pid):
    """(VmRSS in MB, thread count) of `pid`."""
    rss, threads = 0.0, 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


class Sampler(threading.Thread):
    """Peak RSS and threads of `pid`, sampled until stop()."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_rss, self.peak_threads = pid, 0.0, 0
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(SAMPLE_PERIOD_S):
            rss, threads = proc_status(self.pid)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_threads = max(self.peak_threads, threads)

    def stop(self):
        self._done.set()
        self.join()


def _client_process(job):
    """One client process: its own channel (its own TCP connection) and
    `len(ks)` concurrent streams of pre-serialized records; returns
    (summaries as tuples, errors)."""
    build, address, ks, seconds, records_max, prefix = job
    sys.path.insert(0, os.path.join(build, "python"))
    import grpc
    from billing.v1 import usage_pb2 as upb
    from billing.v1 import usage_service_pb2 as uspb
    channel = grpc.insecure_channel(address)
    stream = channel.stream_unary(
        "/billing.v1.UsageService/IngestUsage", request_serializer=None,
        response_deserializer=uspb.IngestSummary.FromString)
    out, errors, lock = [], [], threading.Lock()

    def messages(k):
        end = time.monotonic() + seconds
        for i in range(records_max):
            if time.monotonic() >= end:
                return
            yield upb.UsageRecord(
                platform_id="PBX1", record_id=f"{prefix}{k}-{i:07d}",
                object="+33142680001",
                start_time=f"2026-03-{1 + i % 28:02d}T10:00:00+01:00",
                kind=upb.USAGE_KIND_VOICE, quantity=61,
                destination="+33612345678").SerializeToString()

    def one(k):
        try:
            s = stream(messages(k), timeout=seconds + STREAM_GRACE_S)
            with lock:
                out.append((s.received, s.rated, s.duplicates, s.quarantined))
        except grpc.RpcError as e:
            with lock:
                errors.append(f"{e.code()}: {e.details()}"[:200])

    threads = [threading.Thread(target=one, args=(k,)) for k in ks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + STREAM_GRACE_S + 30)
    channel.close()
    return out, errors


def run_streams(build, address, streams, channels, seconds, records_max):
    """`streams` concurrent streams from `channels` client processes, each
    stream sending for `seconds` or `records_max` records.
    Returns (summaries, errors)."""
    jobs = [(build, address, list(range(c, streams, channels)), seconds,
             records_max, "M") for c in range(channels)]
    with multiprocessing.Pool(channels) as pool:
        results = pool.map(_client_process, jobs)
    summaries = [s for r in results for s in r[0]]
    errors = [e for r in results for e in r[1]]
    return summaries, errors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--streams", type=int, default=200)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--channels", type=int, default=8,
                   help="client processes, each with its own channel")
    p.add_argument("--records_max", type=int, default=1500,
                   help="records per stream at most (3 stream batches)")
    p.add_argument("--label", default="")
    p.add_argument("--env", action="append", default=[],
                   help="K=V for billingd's environment (MALLOC_ARENA_MAX=2)")
    p.add_argument("--wrap", default="", help="command run before billingd")
    p.add_argument("--billingd", default="",
                   help="billingd to run (default: build/services/billingd)")
    args = p.parse_args()
    build = os.path.abspath(args.build)
    work = tempfile.mkdtemp(prefix="usage_stream_memory.", dir=build)
    env = dict(os.environ)
    env.update(kv.split("=", 1) for kv in args.env)
    argv = shlex.split(args.wrap) + [
        args.billingd or os.path.join(build, "services", "billingd"),
        "--listen=127.0.0.1:0", f"--data_dir={work}/data"]
    daemon = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    line = daemon.stdout.readline()
    while line and "listening on " not in line:  # a wrapper's own lines
        line = daemon.stdout.readline()
    address = line.split("listening on ", 1)[1].split(" ", 1)[0]
    pid = daemon.pid
    if args.wrap:  # the wrapper's child is billingd
        out = subprocess.run(["pgrep", "-P", str(daemon.pid)],
                             capture_output=True, text=True).stdout.split()
        pid = int(out[0]) if out else daemon.pid
    subprocess.run([os.path.join(build, "services", "billingctl"), "--server",
                    address, "demo", "load"], check=True,
                   stdout=subprocess.DEVNULL)
    rows = [("start (demo loaded)",) + proc_status(pid)]

    sampler = Sampler(pid)
    sampler.start()
    t0 = time.monotonic()
    summaries, errors = run_streams(build, address, args.streams,
                                    args.channels, args.seconds,
                                    args.records_max)
    first_s = time.monotonic() - t0
    sampler.stop()
    rated = sum(s[1] for s in summaries)
    sent = sum(s[0] for s in summaries)
    rows.append(("peak during the streams", sampler.peak_rss,
                 sampler.peak_threads))
    rows.append(("after the streams",) + proc_status(pid))

    # The resend: every stream sends its ids again from the first, for the
    # same time: those sent before are duplicates.
    sampler = Sampler(pid)
    sampler.start()
    again, again_errors = run_streams(build, address, args.streams,
                                      args.channels, args.seconds,
                                      args.records_max)
    sampler.stop()
    dups = sum(s[2] for s in again)
    rows.append(("peak during the resend", sampler.peak_rss,
                 sampler.peak_threads))
    rows.append(("after the resend",) + proc_status(pid))
    daemon.terminate()
    daemon.wait(timeout=60)
    subprocess.run(["rm", "-rf", work], check=False)

    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short",
                             "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    lines = [
        f"# {datetime.date.today()} commit {commit} {args.label}".rstrip(),
        "$ /usr/bin/python3 bench/usage_stream_memory.py "
        + " ".join(shlex.quote(a) for a in sys.argv[2:]),
        f"streams {args.streams} x {args.seconds:g} s on {args.channels} "
        f"client processes: {len(summaries)} OK, {len(errors)} failed, "
        f"{sent} received, {rated} rated in {first_s:.1f} s "
        f"({rated / first_s:.0f}/s); "
        f"resend: {len(again)} OK, {len(again_errors)} failed, {dups} "
        "duplicates",
    ]
    for e in sorted(set(errors + again_errors))[:5]:
        lines.append(f"  error: {e[:200]}")
    lines.append(f"{'':28} {'VmRSS MB':>9} {'threads':>8}")
    for name, rss, threads in rows:
        lines.append(f"{name:28} {rss:9.1f} {threads:8d}")
    text = "\n".join(lines) + "\n\n"
    print(text, end="")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "usage_stream_memory.txt"),
              "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
