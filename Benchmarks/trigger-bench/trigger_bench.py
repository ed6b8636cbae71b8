#!/usr/bin/env python3
"""Trigger-engine benchmarks against a real `pegasus-em server` process.

Every benchmark starts its own server with a temporary HOME (its own ~/.pegasus/service.py and em.db), talks to
it over HTTP like a client would, and reads the results from the server's store read-only (sqlite3). Only the
Python standard library is used.

    swift build -c release --product pegasus-em
    Benchmarks/trigger-bench/trigger_bench.py                  # all benchmarks
    Benchmarks/trigger-bench/trigger_bench.py latency stop     # some of them
    Benchmarks/trigger-bench/trigger_bench.py --binary /path/to/pegasus-em --seconds 60 ...

Benchmarks: latency (creation → first submission), stop (DELETE → 202), idle (CPU and RSS of 100 cron triggers
at 1 h), filelatency (file close → workflow recorded, default settings, interval 1 s, a stream of files), onebyone
(the same, one file at a time, intervals 1, 2 and 5 s, as Pegasus was measured), burst (100,000 files written as fast
as possible), burstmove (100,000 files appearing at once), quiet (CPU of 100 file triggers on quiet directories),
scale (10,000 cron + 1,000 file triggers: threads, idle CPU, RSS, restart), memory (RSS of 10,000 sleeping cron
triggers).
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Server:
    """A `pegasus-em server` with its own HOME, started and stopped by the benchmark."""

    def __init__(self, binary, settings=None):
        self.binary = binary
        self.home = tempfile.mkdtemp(prefix="trigger-bench-home-")
        self.work = tempfile.mkdtemp(prefix="trigger-bench-work-")
        values = {"AUTHENTICATION": "'NoAuthentication'", "EM_ALLOW_ROOT": "True", "EM_PORT": "0"}
        values.update(settings or {})
        os.makedirs(os.path.join(self.home, ".pegasus"), exist_ok=True)
        with open(os.path.join(self.home, ".pegasus", "service.py"), "w") as f:
            for k in sorted(values):
                f.write(f"{k} = {values[k]}\n")
        # The workflow script: exits 1 at once, so workflows end PLAN_FAILED without any Pegasus installed.
        self.script = os.path.join(self.work, "plan.sh")
        with open(self.script, "w") as f:
            f.write("#!/bin/sh\nexit 1\n")
        os.chmod(self.script, 0o755)
        self.process = None
        self.port = None
        self.db_path = os.path.join(self.home, ".pegasus", "em.db")

    def start(self):
        env = dict(os.environ, HOME=self.home)
        self.log = open(os.path.join(self.work, "server.log"), "ab")
        self.process = subprocess.Popen(
            [self.binary, "server"], env=env, cwd=self.work, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(os.path.join(self.work, "server.log"), "rb") as f:
                m = re.findall(rb"listening on http://[^:]+:(\d+)", f.read())
            if m:
                self.port = int(m[-1])
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError("the server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        req.add_header("accept", "application/json")
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def ensemble(self, name="e"):
        status, body = self.request("POST", "/ensembles", {"name": name, "max_planning": 100, "max_running": 100})
        assert status == 201, body

    def trigger(self, kind, name, fields, ensemble="e"):
        body = {"trigger": name, "workflow_script": self.script, "basedir": self.work}
        body.update(fields)
        status, answer = self.request("POST", f"/ensembles/{ensemble}/triggers/{kind}", body)
        assert status == 201, answer

    def query(self, sql, args=()):
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


def percentiles(values):
    s = sorted(values)

    def p(q):
        return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]

    return {"n": len(s), "p50": p(0.5), "p90": p(0.9), "p99": p(0.99), "max": s[-1], "min": s[0]}


def fmt_ms(stats):
    return ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in stats.items() if k != "n") + f" (n={stats['n']})"


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


# MARK: - Benchmarks


def bench_latency(binary, args):
    """Creation → first submission: POST sent → the creation tick's workflow committed (server clock)."""
    server = Server(binary)
    try:
        server.start()
        server.ensemble()
        created, committed, answered = [], [], []
        for i in range(args.count):
            sent = time.time()
            server.trigger("cron", f"t{i}", {"interval": "1h"})
            answered.append(time.time() - sent)
            created.append(sent)
            time.sleep(0.02)
        time.sleep(0.5)
        rows = dict(server.query("SELECT t.name, f.time FROM trigger_fire f JOIN trigger t ON t.id = f.trigger_id"))
        latencies = [rows[f"t{i}"] - created[i] for i in range(args.count)]
        print(f"latency: POST sent → first workflow committed: {fmt_ms(percentiles(latencies))}")
        print(f"latency: POST round trip (201 received): {fmt_ms(percentiles(answered))}")
        print(f"latency: load average {loadavg()}")
    finally:
        server.stop()


def bench_stop(binary, args):
    """DELETE sent → 202 received, with the trigger firing every second; and nothing submitted after it."""
    server = Server(binary)
    try:
        server.start()
        server.ensemble()
        for i in range(args.count):
            server.trigger("cron", f"s{i}", {"interval": "1s"})
        time.sleep(2.5)
        answered, latencies = {}, []
        for i in range(args.count):
            sent = time.time()
            status, _ = server.request("DELETE", f"/ensembles/e/triggers/s{i}")
            assert status == 202
            answered[f"s{i}"] = time.time()
            latencies.append(answered[f"s{i}"] - sent)
            time.sleep(0.05)
        time.sleep(2)
        late = [
            (name, created)
            for name, created in server.query(
                "SELECT t.name, w.created FROM workflow w JOIN trigger t ON t.id = w.trigger_id"
            )
            if created > answered[name]
        ]
        total = server.query("SELECT COUNT(*) FROM workflow")[0][0]
        print(f"stop: DELETE sent → 202 received: {fmt_ms(percentiles(latencies))}")
        print(f"stop: workflows submitted after a 202: {len(late)} (of {total} submitted by {args.count} triggers)")
        print(f"stop: load average {loadavg()}")
    finally:
        server.stop()


def measure_idle(server, seconds, label):
    time.sleep(3)  # let start-up work finish
    cpu0, t0 = server.cpu_seconds(), time.time()
    time.sleep(seconds)
    cpu1, t1 = server.cpu_seconds(), time.time()
    share = (cpu1 - cpu0) / (t1 - t0) * 100
    print(
        f"{label}: server CPU (utime+stime) {cpu1 - cpu0:.2f} s over {t1 - t0:.0f} s = {share:.3f} % of a core; "
        f"RSS {server.rss_mb():.1f} MB; load average {loadavg()}"
    )


def bench_idle(binary, args):
    """CPU and RSS of a server with 100 cron triggers at 1 h (default EM_INTERVAL 60 s)."""
    server = Server(binary)
    try:
        server.start()
        server.ensemble()
        measure_idle(server, args.seconds, "idle: 0 triggers")
        for i in range(100):
            server.trigger("cron", f"h{i}", {"interval": "1h"})
        measure_idle(server, args.seconds, "idle: 100 cron triggers at 1 h")
    finally:
        server.stop()


def bench_quiet(binary, args):
    """CPU and RSS with 100 file triggers on quiet directories (inotify, then polling)."""
    for mode in ["inotify", "poll"]:
        server = Server(binary)
        try:
            server.start()
            server.ensemble()
            for i in range(100):
                d = os.path.join(server.work, f"in{i}")
                os.makedirs(d)
                server.trigger(
                    "file_pattern", f"f{i}", {"interval": "1s", "file_patterns": [d + "/*.dat"], "watch_mode": mode}
                )
            measure_idle(server, args.seconds, f"quiet: 100 file triggers ({mode}, interval 1 s)")
        finally:
            server.stop()


def write_file(path):
    """open, write, close; returns the time of the close."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b"payload\n")
    os.close(fd)
    return time.time()


def file_latencies(server, closed):
    recorded = dict(server.query("SELECT path, recorded FROM trigger_file"))
    missing = [p for p in closed if p not in recorded]
    return [recorded[p] - closed[p] for p in closed if p in recorded], missing


def start_file_trigger(binary, name, fields):
    """A started server with ensemble `e` and a file trigger `name` on `<work>/in/*.dat`; returns (server, dir)."""
    server = Server(binary)
    server.start()
    server.ensemble()
    d = os.path.join(server.work, "in")
    os.makedirs(d)
    server.trigger("file_pattern", name, dict(fields, file_patterns=[d + "/*.dat"]))
    time.sleep(2)
    return server, d


def bench_filelatency(binary, args):
    """File close → workflow recorded (ledger row committed) at the DEFAULT readiness settings, interval 1 s: a
    stream of files written at random moments, about 20 per second."""
    for mode in ["inotify"] + (["poll"] if args.poll else []):
        server, d = start_file_trigger(binary, "lat", {"interval": "1s", "watch_mode": mode})
        try:
            closed = {}
            end = time.time() + args.seconds
            i = 0
            while time.time() < end:
                path = os.path.join(d, f"f{i:06d}.dat")
                closed[path] = write_file(path)
                i += 1
                time.sleep(random.uniform(0, 0.1))
            time.sleep(3)
            latencies, missing = file_latencies(server, closed)
            print(f"filelatency ({mode}, defaults, interval 1 s, stream): close → recorded: {fmt_ms(percentiles(latencies))}; missing {len(missing)}")
            print(f"filelatency: load average {loadavg()}")
        finally:
            server.stop()


def bench_onebyone(binary, args):
    """File close → workflow recorded at the DEFAULT settings, one file at a time, 0.2 to interval + 1 s apart (the
    way Pegasus 5.1.3 was measured), for intervals 1 s, 2 s and 5 s."""
    for interval in [1, 2, 5]:
        server, d = start_file_trigger(binary, "one", {"interval": f"{interval}s"})
        try:
            closed = {}
            for i in range(args.count):
                path = os.path.join(d, f"f{i:04d}.dat")
                closed[path] = write_file(path)
                time.sleep(random.uniform(0.2, interval + 1))
            time.sleep(interval + 1)
            latencies, missing = file_latencies(server, closed)
            st = percentiles(latencies)
            print(
                f"onebyone (interval {interval} s, defaults, {st['n']} files): close → recorded: median "
                f"{statistics.median(latencies):.3f} s, p99 {st['p99']:.3f} s, max {st['max']:.3f} s; missing {len(missing)}"
            )
        finally:
            server.stop()
    print(f"onebyone: load average {loadavg()}")


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def wait_answering(server, deadline):
    """Polls GET /ensembles until the server answers; returns when it did (or None)."""
    while time.time() < deadline:
        try:
            if server.port:
                status, _ = server.request("GET", "/ensembles")
                if status == 200:
                    return time.time()
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.01)
    return None


def bench_scale(binary, args):
    """10,000 cron triggers (1 h) + 1,000 file triggers (interval 1 s, each on its own directory) in one server:
    threads, idle CPU, RSS, every file trigger on inotify, and how soon the server answers after a restart."""
    server = Server(binary, {"EM_PORT": str(random.randint(20000, 60000))})
    try:
        server.start()
        server.ensemble()
        t = time.time()
        for i in range(10_000):
            server.trigger("cron", f"c{i:05d}", {"interval": "1h"})
        cron_s = time.time() - t
        t = time.time()
        for i in range(1_000):
            d = os.path.join(server.work, f"in{i:04d}")
            os.makedirs(d)
            server.trigger("file_pattern", f"f{i:04d}", {"interval": "1s", "file_patterns": [d + "/*.dat"]})
        file_s = time.time() - t
        print(f"scale: created 10,000 cron triggers in {cron_s:.1f} s, 1,000 file triggers in {file_s:.1f} s")
        # Interval triggers fire at creation: let the scheduler work off those 10,000 workflows (the plan script exits
        # 1) before the trigger engine's idle cost is measured.
        t = time.time()
        while time.time() < t + 600:
            busy = server.query("SELECT COUNT(*) FROM workflow WHERE state IN ('READY', 'PLANNING')")[0][0]
            if busy == 0:
                break
            time.sleep(1)
        print(f"scale: the 10,000 creation-tick workflows were planned (and failed, by design) in {time.time() - t:.0f} s")
        time.sleep(5)
        status, detail = server.request("GET", "/ensembles/e/triggers/f0999")
        hub = detail["watch"]["hub"]
        modes = {r["mode"] for r in detail["watch"]["roots"]}
        print(f"scale: hub {hub}; root modes of f0999 {sorted(modes)}")
        measure_idle(server, args.seconds, "scale: 10,000 cron (1 h) + 1,000 file triggers, idle")
        print(f"scale: threads {threads(server.process.pid)}")
        # Restart: SIGTERM, start again, time until the API answers (same port).
        for how in ["SIGTERM", "SIGKILL"]:
            server.process.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGKILL)
            server.process.wait(timeout=60)
            started = time.time()
            env = dict(os.environ, HOME=server.home)
            server.process = subprocess.Popen(
                [server.binary, "server"], env=env, cwd=server.work, stdout=server.log, stderr=subprocess.STDOUT
            )
            answered = wait_answering(server, started + 60)
            print(f"scale: after {how}, answering again {answered - started:.2f} s after the start" if answered else "scale: not answering")
            time.sleep(10)
            status, detail = server.request("GET", "/ensembles/e/triggers/f0500")
            print(
                f"scale: after {how}: threads {threads(server.process.pid)}, RSS {server.rss_mb():.1f} MB, "
                f"hub {detail['watch']['hub']}"
            )
        measure_idle(server, args.seconds, "scale: after the restarts, idle")
        print(f"scale: threads {threads(server.process.pid)}")
    finally:
        server.stop()


def bench_memory(binary, args):
    """RSS of a server with 10,000 sleeping cron-expression triggers (daily, so none fires): empty, after creating
    them over HTTP, and after a restart."""
    server = Server(binary)
    try:
        server.start()
        server.ensemble()
        empty = server.rss_mb()
        for i in range(10_000):
            server.trigger("cron", f"m{i:05d}", {"cron": "17 3 * * *"})
        time.sleep(5)
        created = server.rss_mb()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
        server.start()
        time.sleep(8)
        print(
            f"memory: 10,000 sleeping cron triggers: RSS {empty:.1f} MB empty, {created:.1f} MB after creating them, "
            f"{server.rss_mb():.1f} MB after a restart; threads {threads(server.process.pid)}"
        )
    finally:
        server.stop()


def bench_burst(binary, args):
    """100,000 files created as fast as possible in one watched directory: time until all are recorded."""
    for mode in ["inotify", "poll"]:
        server = Server(binary)
        try:
            server.start()
            server.ensemble()
            d = os.path.join(server.work, "in")
            os.makedirs(d)
            server.trigger("file_pattern", "burst", {"interval": "1s", "file_patterns": [d + "/*.dat"], "watch_mode": mode})
            time.sleep(1.5)
            count = args.files
            start = time.time()
            for i in range(count):
                fd = os.open(os.path.join(d, f"f{i:06d}.dat"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, b"x\n")
                os.close(fd)
            written = time.time()
            while True:
                n = server.query("SELECT COUNT(*) FROM trigger_file")[0][0]
                if n >= count or time.time() - written > 300:
                    break
                time.sleep(0.05)
            done = time.time()
            rows = server.query("SELECT COUNT(*), COUNT(DISTINCT path), COUNT(DISTINCT workflow_name) FROM trigger_file")[0]
            print(
                f"burst ({mode}): {count} files written in {written - start:.2f} s; all {rows[0]} recorded "
                f"{done - written:.2f} s after the last write ({done - start:.2f} s after the first), "
                f"{rows[1]} distinct paths, {rows[2]} workflows (settle 1 s, interval 1 s); CPU of the server "
                f"{server.cpu_seconds():.1f} s; RSS {server.rss_mb():.0f} MB; load average {loadavg()}"
            )
        finally:
            server.stop()


def bench_burstmove(binary, args):
    """100,000 files appear at once: written beforehand into a staging directory, which is then renamed to the
    (missing) root of the pattern. Measures the engine alone, without a writer competing for the CPU."""
    for mode in ["inotify", "poll"]:
        server = Server(binary)
        try:
            server.start()
            server.ensemble()
            staging = os.path.join(server.work, "staging")
            root = os.path.join(server.work, "in")
            os.makedirs(staging)
            server.trigger("file_pattern", "burst", {"interval": "1s", "file_patterns": [root + "/*.dat"], "watch_mode": mode})
            count = args.files
            for i in range(count):
                fd = os.open(os.path.join(staging, f"f{i:06d}.dat"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, b"x\n")
                os.close(fd)
            time.sleep(2)  # older than the settle period: ready as soon as they are seen
            moved = time.time()
            os.rename(staging, root)
            while True:
                n = server.query("SELECT COUNT(*) FROM trigger_file")[0][0]
                if n >= count or time.time() - moved > 300:
                    break
                time.sleep(0.05)
            done = time.time()
            rows = server.query("SELECT COUNT(*), COUNT(DISTINCT path), COUNT(DISTINCT workflow_name) FROM trigger_file")[0]
            print(
                f"burstmove ({mode}): {count} files moved in at once; all {rows[0]} recorded {done - moved:.2f} s later, "
                f"{rows[1]} distinct paths, {rows[2]} workflows (interval 1 s); load average {loadavg()}"
            )
        finally:
            server.stop()


BENCHMARKS = {
    "latency": bench_latency,
    "stop": bench_stop,
    "idle": bench_idle,
    "filelatency": bench_filelatency,
    "onebyone": bench_onebyone,
    "scale": bench_scale,
    "memory": bench_memory,
    "burst": bench_burst,
    "burstmove": bench_burstmove,
    "quiet": bench_quiet,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benchmarks", nargs="*", help=" ".join(BENCHMARKS))
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "pegasus-em"))
    parser.add_argument("--seconds", type=float, default=60, help="measuring window of idle/quiet/filelatency")
    parser.add_argument("--count", type=int, default=50, help="triggers for latency/stop")
    parser.add_argument("--files", type=int, default=100_000, help="files for burst")
    parser.add_argument("--poll", action="store_true", help="filelatency in poll mode too")
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found: swift build -c release --product pegasus-em")
    unknown = [b for b in args.benchmarks if b not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    print(f"binary {args.binary}; {os.cpu_count()} CPUs; load average {loadavg()}")
    for name in args.benchmarks or list(BENCHMARKS):
        BENCHMARKS[name](args.binary, args)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
