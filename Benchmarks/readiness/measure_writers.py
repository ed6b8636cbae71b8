#!/usr/bin/env python3
"""How long after a file is closed (or moved in) do common writers still change it?

For each writer (cp, cp -p, cp -a, install, rsync, rsync -t, gzip -k, gzip -c > f, tar -x, dd, curl, curl -R,
shutil.copy2, cp + mv, and a logger that reopens the file for every line), the script watches the destination
directory with inotify (through ctypes: no third-party module), runs the writer, and timestamps every event on
arrival with CLOCK_MONOTONIC. For the destination name it reports:

- the event sequence (CREATE, OPEN, MODIFY, ATTRIB, CLOSE_WRITE, MOVED_TO, ...);
- the gap between the LAST IN_CLOSE_WRITE / IN_MOVED_TO and the last event that can change size or mtime
  (IN_MODIFY, IN_ATTRIB) after it: what a quiet period must cover when the writer check sees no writer;
- whether the file was closed and then written again (reopened for writing);
- whether the mtime seen at the last close differs from the final mtime (the writer set the times after closing).

Timestamps are taken when the reader wakes up, not by the kernel, so every time has a few tens of microseconds
of reader latency; a gap of 0 means "no change after the close". The sources get an old mtime (2001-02-03) so
that a writer that preserves times visibly changes the mtime.

Usage (Debian packages: rsync, curl, gzip, tar, coreutils; run as any user, on the filesystem to measure):

    Benchmarks/readiness/measure_writers.py                       # 20 runs x (1 MB, 100 MB), all writers
    Benchmarks/readiness/measure_writers.py --runs 5 --sizes 1 -- cp rsync-t
    Benchmarks/readiness/measure_writers.py --syscalls --sizes 1     # syscall order of each writer (strace)
    Benchmarks/readiness/measure_writers.py --load 4              # with 4 busy-looping processes
    Benchmarks/readiness/measure_writers.py --dir /data/scratch --json results.json
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

IN_ACCESS = 0x001
IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_CLOSE_NOWRITE = 0x010
IN_OPEN = 0x020
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_Q_OVERFLOW = 0x4000
IN_CLOEXEC = 0o2000000
IN_NONBLOCK = 0o4000

NAMES = [
    (IN_CREATE, "CREATE"), (IN_OPEN, "OPEN"), (IN_MODIFY, "MODIFY"), (IN_ATTRIB, "ATTRIB"),
    (IN_CLOSE_WRITE, "CLOSE_WRITE"), (IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"), (IN_MOVED_FROM, "MOVED_FROM"),
    (IN_MOVED_TO, "MOVED_TO"), (IN_DELETE, "DELETE"), (IN_Q_OVERFLOW, "Q_OVERFLOW"),
]
WATCH_MASK = (IN_CREATE | IN_OPEN | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_MOVED_FROM
              | IN_MOVED_TO | IN_DELETE)
OLD_MTIME = 981158400  # 2001-02-03 00:00:00 UTC
EVENT_HEADER = struct.Struct("iIII")

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def event_name(mask):
    return "|".join(name for bit, name in NAMES if mask & bit) or hex(mask)


class Inotify:
    """One inotify instance watching one directory; events are timestamped when read."""

    def __init__(self, directory):
        self.fd = libc.inotify_init1(IN_CLOEXEC | IN_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, directory.encode(), WATCH_MASK) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")
        self.poller = select.poll()
        self.poller.register(self.fd, select.POLLIN)

    def read(self, timeout_ms):
        """Events available within `timeout_ms`, as (arrival_ns, mask, name); arrival is taken after the read."""
        if not self.poller.poll(timeout_ms):
            return []
        try:
            data = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return []
        now = time.monotonic_ns()
        events = []
        offset = 0
        while offset < len(data):
            _, mask, _, length = EVENT_HEADER.unpack_from(data, offset)
            offset += EVENT_HEADER.size
            name = data[offset:offset + length].rstrip(b"\0").decode()
            offset += length
            events.append((now, mask, name))
        return events

    def close(self):
        os.close(self.fd)


def stat_or_none(path):
    try:
        st = os.stat(path)
        return (st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        return None


# Each writer: (name, function(src, dst_dir, work) -> (argv or shell string, final name)). `work` is a scratch
# directory outside the watched one. Sources: work/src (the data), work/src.tar (an archive of `out`).
def writers():
    py = sys.executable
    return {
        "cp": lambda s, d, w: (["cp", s, f"{d}/out"], "out"),
        "cp-p": lambda s, d, w: (["cp", "-p", s, f"{d}/out"], "out"),
        "cp-a": lambda s, d, w: (["cp", "-a", s, f"{d}/out"], "out"),
        "install": lambda s, d, w: (["install", s, f"{d}/out"], "out"),
        "install-p": lambda s, d, w: (["install", "-p", s, f"{d}/out"], "out"),
        "rsync": lambda s, d, w: (["rsync", s, f"{d}/out"], "out"),
        "rsync-t": lambda s, d, w: (["rsync", "-t", s, f"{d}/out"], "out"),
        "rsync-inplace": lambda s, d, w: (["rsync", "--inplace", "-t", s, f"{d}/out"], "out"),
        "gzip-k": lambda s, d, w: (["gzip", "-k", "-1", f"{d}/in"], "in.gz"),
        "gzip-c": lambda s, d, w: (f"gzip -c -1 '{s}' > '{d}/out.gz'", "out.gz"),
        "tar-x": lambda s, d, w: (["tar", "-xf", f"{w}/src.tar", "-C", d], "out"),
        "dd": lambda s, d, w: (["dd", f"if={s}", f"of={d}/out", "bs=1M", "status=none"], "out"),
        "curl": lambda s, d, w: (["curl", "-s", f"file://{s}", "-o", f"{d}/out"], "out"),
        "curl-R": lambda s, d, w: (["curl", "-s", "-R", f"file://{s}", "-o", f"{d}/out"], "out"),
        "shutil.copy2": lambda s, d, w: ([py, "-c", "import shutil, sys; shutil.copy2(sys.argv[1], sys.argv[2])",
                                          s, f"{d}/out"], "out"),
        "cp+mv": lambda s, d, w: (f"cp '{s}' '{w}/tmp' && mv '{w}/tmp' '{d}/out'", "out"),
        "logger": lambda s, d, w: (f"for i in $(seq 20); do echo $i >> '{d}/out'; sleep 0.1; done", "out"),
    }


SIZE_INDEPENDENT = {"logger"}


def prepare(work, size_mb):
    src = os.path.join(work, "src")
    with open(src, "wb") as f:
        remaining = size_mb << 20
        while remaining:
            chunk = min(remaining, 1 << 20)
            f.write(os.urandom(chunk))
            remaining -= chunk
    os.utime(src, (OLD_MTIME, OLD_MTIME))
    stage = os.path.join(work, "stage")
    os.makedirs(stage, exist_ok=True)
    shutil.copy2(src, os.path.join(stage, "out"))
    subprocess.run(["tar", "-cf", os.path.join(work, "src.tar"), "-C", stage, "out"], check=True)
    os.unlink(os.path.join(stage, "out"))
    return src


def reset(dst, src, tool):
    for name in os.listdir(dst):
        path = os.path.join(dst, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    if tool == "gzip-k":
        # gzip -k compresses dst/in into dst/in.gz: the input is placed before the watch starts.
        shutil.copy2(src, os.path.join(dst, "in"))


def run_once(tool, command, final, dst):
    """Runs one writer under a fresh watch; returns the measurement of the final name."""
    watch = Inotify(dst)
    try:
        start = time.monotonic_ns()
        proc = subprocess.Popen(command, shell=isinstance(command, str), stdout=subprocess.DEVNULL)
        events = []
        stats = {}  # event index -> stat at read time, for close/move/attrib of the final name
        final_path = os.path.join(dst, final)
        exited = False
        drain_until = None
        while True:
            batch = watch.read(5)
            for event in batch:
                events.append(event)
                if event[2] == final and event[1] & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB):
                    stats[len(events) - 1] = stat_or_none(final_path)
            if not exited and proc.poll() is not None:
                exited = True
                drain_until = time.monotonic_ns() + 50_000_000  # events already queued arrive within this
            if exited and not batch and time.monotonic_ns() > drain_until:
                break
        if proc.returncode != 0:
            raise RuntimeError(f"{tool}: {command} exited with {proc.returncode}")
        final_stat = stat_or_none(final_path)
    finally:
        watch.close()
    return analyse(events, stats, final, final_stat, start)


def analyse(events, stats, final, final_stat, start):
    mine = [(i, t, m) for i, (t, m, n) in enumerate(events) if n == final]
    candidates = [(i, t) for i, t, m in mine if m & (IN_CLOSE_WRITE | IN_MOVED_TO)]
    changes = [(i, t, m) for i, t, m in mine if m & (IN_MODIFY | IN_ATTRIB)]
    result = {
        "sequence": compress([event_name(m) for _, _, m in mine]),
        "other_names": sorted({n for _, _, n in events if n != final}),
        "close_writes": sum(1 for _, _, m in mine if m & IN_CLOSE_WRITE),
        "moved_to": sum(1 for _, _, m in mine if m & IN_MOVED_TO),
        "overflow": any(m & IN_Q_OVERFLOW for _, m, _ in events),
        "duration_ms": ((events[-1][0] - start) / 1e6) if events else 0.0,
    }
    if not candidates:
        result.update(gap_us=None, changes_after_last_close=0, reopened=False,
                      mtime_after_close=False, max_gap_after_any_close_us=None)
        return result
    last_index, last_time = candidates[-1]
    after_last = [(i, t, m) for i, t, m in changes if i > last_index]
    result["changes_after_last_close"] = len(after_last)
    result["change_kinds_after_last_close"] = compress([event_name(m) for _, _, m in after_last])
    # From the moment a reader learns of the last close/move to the arrival of the last change: what a consumer
    # such as the trigger engine sees. 0 when both came in the same read (the change was already done when the
    # close was read), even if there was a change.
    result["gap_us"] = ((after_last[-1][1] - last_time) / 1000) if after_last else 0.0
    # For every close/move: how long until the next size/mtime-changing event (the writer check sees nothing
    # in between if the change comes from a later reopen or from utimes/chmod by path).
    gaps = []
    for ci, ct in candidates:
        nxt = [t for i, t, m in changes if i > ci]
        if nxt:
            gaps.append((nxt[0] - ct) / 1000)
    result["max_gap_after_any_close_us"] = max(gaps) if gaps else 0.0
    first_candidate = candidates[0][0]
    result["reopened"] = result["close_writes"] > 1 or any(
        m & IN_MODIFY for i, t, m in changes if i > first_candidate)
    at_close = stats.get(last_index)
    result["mtime_after_close"] = bool(at_close and final_stat and at_close[1] != final_stat[1])
    result["size_after_close"] = bool(at_close and final_stat and at_close[0] != final_stat[0])
    result["final_mtime_is_source"] = bool(final_stat and final_stat[1] == OLD_MTIME * 10**9)
    return result


def compress(names):
    """Run-length encodes an event list: MODIFY MODIFY MODIFY -> MODIFYx3."""
    out = []
    for name in names:
        if out and out[-1][0] == name:
            out[-1][1] += 1
        else:
            out.append([name, 1])
    return " ".join(n if c == 1 else f"{n}x{c}" for n, c in out)


def normalise(sequence):
    """The shape of a sequence, without the counts that depend on inotify's coalescing of unread events:
    MODIFYx401 -> MODIFY+, ATTRIBx2 -> ATTRIB+, and a repeated group -> (group)xN."""
    tokens = []
    for token in sequence.split():
        base = token.split("x")[0] if token.split("x")[-1].isdigit() else token
        if base in ("MODIFY", "ATTRIB"):
            base += "+"
        if not tokens or tokens[-1] != base or base[-1] != "+":
            tokens.append(base)
    for width in range(2, 7):
        i, result = 0, []
        while i < len(tokens):
            unit = tokens[i:i + width]
            count = 1
            while len(unit) == width and tokens[i + count * width:i + (count + 1) * width] == unit:
                count += 1
            if count > 1:
                result.append(f"({' '.join(unit)})x{count}")
                i += count * width
            else:
                result.append(tokens[i])
                i += 1
        tokens = result
    return " ".join(tokens)


def summarise(tool, size, results):
    gaps = [r["gap_us"] for r in results if r["gap_us"] is not None]
    any_gaps = [r["max_gap_after_any_close_us"] for r in results if r["max_gap_after_any_close_us"] is not None]
    sequences = {}
    for r in results:
        key = normalise(r["sequence"])
        sequences[key] = sequences.get(key, 0) + 1
    return {
        "tool": tool,
        "size_mb": size,
        "runs": len(results),
        "sequences": sorted(sequences.items(), key=lambda kv: -kv[1]),
        "other_names": sorted({n for r in results for n in r["other_names"]}),
        "max_gap_us": max(gaps) if gaps else None,
        "median_gap_us": statistics.median(gaps) if gaps else None,
        "p90_gap_us": sorted(gaps)[int(len(gaps) * 0.9)] if gaps else None,
        "change_kinds_after_last_close": sorted({r.get("change_kinds_after_last_close", "") for r in results} - {""}),
        "max_gap_after_any_close_us": max(any_gaps) if any_gaps else None,
        "runs_with_change_after_last_close": sum(1 for r in results if r.get("changes_after_last_close")),
        "runs_reopened": sum(1 for r in results if r["reopened"]),
        "runs_mtime_after_close": sum(1 for r in results if r["mtime_after_close"]),
        "runs_final_mtime_is_source": sum(1 for r in results if r["final_mtime_is_source"]),
        "max_close_writes": max(r["close_writes"] for r in results),
        "overflow": any(r["overflow"] for r in results),
        "median_duration_ms": statistics.median(r["duration_ms"] for r in results),
    }


STRACE_SYSCALLS = ("openat,creat,close,dup2,dup3,write,pwrite64,copy_file_range,sendfile,splice,utimensat,utimes,utime,futimesat,chmod,fchmod,fchmodat,"
                   "chown,fchown,fchownat,lchown,truncate,ftruncate,fallocate,rename,renameat,renameat2,"
                   "setxattr,fsetxattr,lsetxattr")


def syscalls_on(tool, command, final, dst, work):
    """Runs the writer once under strace and returns the syscalls that touch the final name, in order.

    Writes are collapsed; `close` is the closing of a descriptor of the final name (or of the temporary file
    that is renamed to it). A syscall after the last close that changes size or mtime is what the writer check
    cannot see."""
    trace = os.path.join(work, "strace.txt")
    argv = ["sh", "-c", command] if isinstance(command, str) else command
    subprocess.run(["strace", "-f", "-y", "-qq", "-o", trace, "-e", f"trace={STRACE_SYSCALLS}", *argv],
                   check=True, stdout=subprocess.DEVNULL)
    final_path = os.path.join(dst, final)
    temp_paths = set()
    calls = []
    with open(trace) as f:
        for line in f:
            line = line.split(" ", 1)[1] if line[:1].isdigit() else line
            if "ENOENT" in line or "resumed>" in line:
                continue
            name = line.split("(", 1)[0]
            renamed_to_final = name.startswith("rename") and (f'"{final}"' in line or final_path in line)
            touches = (f"{final_path}>" in line or f'/{final}"' in line or f'"{final}"' in line
                       or any(t in line for t in temp_paths))
            if name.startswith("openat") and touches is False and "O_CREAT" in line and f".{final}." in line:
                # rsync's temporary file: ".out.XXXXXX", renamed to the final name later
                temp_paths.add(line.split('"')[1])
                touches = True
            if not touches and not renamed_to_final:
                continue
            args = line.split("(", 1)[1].split(", ")
            how = "path" if (args[0].startswith('"') or (len(args) > 1 and args[1].startswith('"'))) else "fd"
            if name in ("fsetxattr", "fchmod", "fchown", "ftruncate", "fallocate"):
                how = "fd"
            label = (name if name in ("close", "openat", "dup2", "dup3") or name.startswith("rename")
                     else f"{name}({how})")
            if name == "openat":
                flags = line.split(",")[2] if line.count(",") >= 2 else ""
                label = "open(" + ("write" if ("O_WRONLY" in flags or "O_RDWR" in flags) else "read") + ")"
            if name in ("write", "pwrite64", "copy_file_range", "sendfile", "splice"):
                label = "write"
            if calls and calls[-1] == label == "write":
                continue
            calls.append(label)
    return " ".join(calls)


def start_load(count):
    return [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(count)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tools", nargs="*", help=f"writers to measure (default all): {', '.join(writers())}")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100], help="file sizes in MB (default 1 100)")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where to create the scratch directories")
    parser.add_argument("--load", type=int, default=0, help="busy-looping processes to run meanwhile")
    parser.add_argument("--json", help="write every run's measurement to this file")
    parser.add_argument("--syscalls", action="store_true",
                        help="instead of timing, run each writer once under strace and list its syscalls on the file")
    args = parser.parse_args()
    table = writers()
    tools = args.tools or list(table)
    for tool in tools:
        if tool not in table:
            parser.error(f"unknown writer {tool}")
    root = tempfile.mkdtemp(prefix="readiness-", dir=args.dir)
    load = start_load(args.load)
    summaries = []
    raw = []
    try:
        fs = subprocess.run(["stat", "-f", "-c", "%T", root], capture_output=True, text=True).stdout.strip()
        print(f"# {os.uname().release}, {os.cpu_count()} CPUs, filesystem {fs} ({root}), {args.load} busy loops,"
              f" load average at start {os.getloadavg()[0]:.2f}", flush=True)
        for size in args.sizes:
            work = os.path.join(root, f"work-{size}")
            dst = os.path.join(root, f"dst-{size}")
            os.makedirs(work)
            os.makedirs(dst)
            src = prepare(work, size)
            if args.syscalls:
                for tool in tools:
                    reset(dst, src, tool)
                    command, final = table[tool](src, dst, work)
                    print(f"| {tool} | {syscalls_on(tool, command, final, dst, work)} |", flush=True)
                continue
            for tool in tools:
                if tool in SIZE_INDEPENDENT and size != args.sizes[0]:
                    continue
                results = []
                for _ in range(args.runs):
                    reset(dst, src, tool)
                    command, final = table[tool](src, dst, work)
                    results.append(run_once(tool, command, final, dst))
                label = "n/a" if tool in SIZE_INDEPENDENT else size
                summary = summarise(tool, label, results)
                summaries.append(summary)
                raw.append({"tool": tool, "size_mb": label, "runs": results})
                print(json.dumps(summary), flush=True)
    finally:
        for proc in load:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
    if args.syscalls:
        return
    print(f"# load average at end {os.getloadavg()[0]:.2f}")
    print()
    print("| writer | size MB | events on the destination name (most frequent) | changes after the last close/move"
          " (runs) | gap: median / max (us) | largest gap after any close (us) | reopened for writing |")
    print("|---|---|---|---|---|---|---|")
    for s in summaries:
        gap = "-" if s["max_gap_us"] is None else f"{s['median_gap_us']:.0f} / {s['max_gap_us']:.0f}"
        any_close = "-" if s["max_gap_after_any_close_us"] is None else f"{s['max_gap_after_any_close_us']:.0f}"
        kinds = ", ".join(s["change_kinds_after_last_close"]) or "none"
        print(f"| {s['tool']} | {s['size_mb']} | {s['sequences'][0][0]} | {kinds}"
              f" ({s['runs_with_change_after_last_close']}/{s['runs']}) | {gap} | {any_close}"
              f" | {s['runs_reopened']}/{s['runs']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summaries": summaries, "runs": raw}, f, indent=1)


if __name__ == "__main__":
    main()
