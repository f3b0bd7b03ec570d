#!/usr/bin/env python3
"""usage_memory: billingd's resident memory holding 1 and 10 million rated
records (issue 14, memory target 5: memory flat in the number of records;
the state in RocksDB, its memory bounded by --state_memory_mib).

  /usr/bin/python3 bench/usage_memory.py build [--checkpoints 1e6,1e7]
      [--state_memory_mib 64] [--streams 4] [--batch N] [--deadline_s S]
      [--label TEXT]

Starts its own billingd (build/services/billingd, embedded journal) on a
fresh data directory under the build directory with --state_memory_mib,
loads the demo data set, then fills it with usage records through
bench/usage_stream_load (C++ client streams, every record rated on one of
the demo's five numbers in March 2026) up to each checkpoint in turn. At
each checkpoint, with the load stopped: VmRSS, VmHWM (peak so far),
threads, the data directory's size on disk, the step's records/s, and the
records held (the sum of the month's totals, GetUsageTotals: every record
sent is there, rated once); the peak RSS during each step is sampled every
0.1 s. --deadline_s bounds the whole load: a step still running then is
stopped (its row says so, with the records held at that point). The last
line projects how long 10 and 100 million records take at the rate measured.

Appends one block to bench/results/usage_memory.txt with the command.
Bounded: every step has a deadline (--step_timeout_s), the sampler stops
with its step, billingd is stopped at the end (and on error).
"""

import argparse
import datetime
import json
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_PERIOD_S = 0.1  # a sampling period, not a wait


def proc_status(pid):
    """{VmRSS, VmHWM} in MB and Threads of `pid`."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
            elif key == "Threads":
                out[key] = int(value)
    return out


def du_mb(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                pass  # a file RocksDB removed while we walked
    return total / 2**20


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0.0
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(SAMPLE_PERIOD_S):
            self.peak = max(self.peak, proc_status(self.pid)["VmRSS"])

    def stop(self):
        self._done.set()
        self.join()


class StateMemory:
    """billingd's stderr, read by a thread: SIGUSR1 makes it print one
    'billingd: state memory k=v ...' line (RocksDB's own accounting)."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for ln in self.daemon.stderr:
            if ln.startswith("billingd: state memory "):
                self.lines.put(ln)

    def sample(self):
        """'cache 64.0 pinned 0.1 memtables 8.0 table_readers 0.0 MB'."""
        self.daemon.send_signal(signal.SIGUSR1)
        try:
            ln = self.lines.get(timeout=30)
        except queue.Empty:
            return "state memory: no answer to SIGUSR1 in 30 s"
        kv = dict(f.split("=", 1) for f in ln.split()[3:])
        mb = {k: int(v) / 1e6 for k, v in kv.items()}
        return (f"rocksdb: cache {mb['cache_bytes']:.1f} pinned "
                f"{mb['cache_pinned_bytes']:.1f} memtables "
                f"{mb['memtable_bytes']:.1f} table_readers "
                f"{mb['table_readers_bytes']:.1f} MB")


def parse_count(text):
    return int(float(text))


def records_held(build, address):
    """The records in the demo customer's March totals (all of them)."""
    out = subprocess.run(
        [os.path.join(build, "services", "billingctl"), "--server", address,
         "--json", "usage", "totals", "--customer", "DEMO", "--month",
         "2026-03"], capture_output=True, text=True, timeout=120, check=True)
    return sum(int(t.get("records", 0))
               for t in json.loads(out.stdout).get("totals", []))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--checkpoints", default="1e6,1e7")
    p.add_argument("--state_memory_mib", type=int, default=64)
    p.add_argument("--streams", type=int, default=4)
    p.add_argument("--per_stream", type=int, default=20000)
    p.add_argument("--batch", type=int, default=0,
                   help="records per IngestUsageBatches message (0: one per "
                        "IngestUsage message)")
    p.add_argument("--step_timeout_s", type=float, default=3600)
    p.add_argument("--deadline_s", type=float, default=0,
                   help="stop loading after this many seconds (0: none)")
    p.add_argument("--label", default="")
    args = p.parse_args()
    build = os.path.abspath(args.build)
    checkpoints = [parse_count(c) for c in args.checkpoints.split(",")]
    work = tempfile.mkdtemp(prefix="usage_memory.", dir=build)
    data = os.path.join(work, "data")
    argv = [os.path.join(build, "services", "billingd"),
            "--listen=127.0.0.1:0", f"--data_dir={data}",
            f"--state_memory_mib={args.state_memory_mib}"]
    daemon = subprocess.Popen(argv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    memory = StateMemory(daemon)
    try:
        line = daemon.stdout.readline()
        address = line.split("listening on ", 1)[1].split(" ", 1)[0]
        subprocess.run([os.path.join(build, "services", "billingctl"),
                        "--server", address, "demo", "load"], check=True,
                       stdout=subprocess.DEVNULL)
        s = proc_status(daemon.pid)
        rows = [("demo loaded", 0, s, s["VmRSS"], du_mb(data), 0.0, "",
                 memory.sample())]
        demo_records = records_held(build, address)  # the demo's own
        loader = os.path.join(build, "bench", "usage_stream_load")
        held, started = 0, time.monotonic()
        load_s_total = 0.0
        for target in checkpoints:
            timeout = args.step_timeout_s
            if args.deadline_s:
                timeout = min(timeout,
                              args.deadline_s - (time.monotonic() - started))
                if timeout <= 0:
                    break
            sampler = Sampler(daemon.pid)
            sampler.start()
            cmd = [loader, f"--server={address}", f"--from={held}",
                   f"--records={target - held}", f"--streams={args.streams}",
                   f"--per_stream={args.per_stream}",
                   f"--batch={args.batch}"]
            t0 = time.monotonic()
            try:
                out = subprocess.run(cmd, capture_output=True, text=True,
                                     timeout=timeout)
                fields = {}
                for ln in out.stdout.splitlines():
                    if ln.startswith("result "):
                        fields = dict(kv.split("=", 1)
                                      for kv in ln.split()[1:])
                note = (f"rated {fields.get('rated')}, dup "
                        f"{fields.get('duplicates')}, quar "
                        f"{fields.get('quarantined')}"
                        if out.returncode == 0 else
                        f"loader exit {out.returncode}: "
                        f"{out.stderr.strip()[:200]}")
            except subprocess.TimeoutExpired:  # run() killed the loader
                note = (f"stopped at the deadline, {target:,} not reached")
            step_s = time.monotonic() - t0
            sampler.stop()
            load_s_total += step_s
            before = held
            held = records_held(build, address) - demo_records
            rate = (held - before) / step_s
            s = proc_status(daemon.pid)
            rows.append((f"{held:,} rated records", held, s, sampler.peak,
                         du_mb(data), rate, note, memory.sample()))
            print(rows[-1], flush=True)
            if held < target:
                break
    finally:
        daemon.terminate()
        daemon.wait(timeout=120)
        shutil.rmtree(work, ignore_errors=True)

    total_rate = held / load_s_total
    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short",
                             "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    lines = [
        f"# {datetime.datetime.utcnow():%Y-%m-%dT%H:%M:%SZ} commit {commit} "
        f"{args.label}".rstrip(),
        "$ /usr/bin/python3 bench/usage_memory.py "
        + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        f"billingd --state_memory_mib={args.state_memory_mib} (embedded "
        f"journal), demo data, records through usage_stream_load "
        f"--streams={args.streams} --per_stream={args.per_stream} "
        f"--batch={args.batch}; "
        f"nproc {os.cpu_count()}, load avg {os.getloadavg()[0]:.2f}",
        f"{'':24} {'VmRSS MB':>9} {'step peak':>9} {'VmHWM MB':>9} "
        f"{'threads':>7} {'disk MB':>8} {'step rec/s':>10}  loader",
    ]
    for name, _, s, peak, disk, rate, note, rocks in rows:
        lines.append(f"{name:24} {s['VmRSS']:9.1f} {peak:9.1f} "
                     f"{s['VmHWM']:9.1f} {s['Threads']:7d} {disk:8.0f} "
                     f"{rate:10.0f}  {note}")
        lines.append(f"{'':24} {rocks}")
    lines.append(f"at the measured {total_rate:,.0f} records/s: 10 million in "
                 f"{1e7 / total_rate / 3600:.1f} h, 100 million in "
                 f"{1e8 / total_rate / 3600:.1f} h (this run: {held:,} in "
                 f"{load_s_total:.0f} s of loading)")
    text = "\n".join(lines) + "\n\n"
    print(text, end="")
    with open(os.path.join(HERE, "results", "usage_memory.txt"), "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
