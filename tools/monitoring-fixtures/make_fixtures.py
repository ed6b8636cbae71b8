#!/usr/bin/env python3
"""Test fixtures for the Pegasus dashboard / monitoring reimplementation.

Creates a Pegasus *master* database (``home/<user>/.pegasus/workflow.db``) and per-workflow
STAMPEDE databases (``<submit_dir>/<label>-0.stampede.db``) filled with synthetic workflow runs,
plus the submit directories the dashboard's file browser reads, and ``manifest.json`` with the
numbers the Swift tests compare the dashboard against.

The schemas are NOT written here: the master DB is created by the real
``pegasus-db-admin update -t master -c <props>`` (as pegasus-plan does) and every STAMPEDE DB by
Pegasus' own ``Pegasus.db.connection.connect_by_submitdir(..., create=True)`` (what
``pegasus-db-admin create -t workflow -s <submitdir>`` and pegasus-monitord do), i.e. from the
SQLAlchemy metadata in ``Pegasus/db/schema.py``. This file only inserts rows, laid out the way
pegasus-monitord's loaders (``Pegasus/db/workflow_loader.py``, ``dashboard_loader.py``) write them.

Run it with the Python of a virtualenv holding PyPI ``pegasus-wms==5.1.3`` (see
make-fixtures.sh). ``--check-cache`` only needs the standard library.

    make_fixtures.py [--user NAME] [--bulk-workflows N] [--base-time EPOCH]
                     [--workflows small,medium,...] [--no-pegasus-tools] [--force] OUTDIR
    make_fixtures.py --check-cache [same options] OUTDIR     (exit 0 = up to date)

Everything is deterministic (seeded ``random.Random`` per workflow, fixed base time) except the
``dbversion.version_timestamp`` that Pegasus itself writes and the ``timings`` in the manifest.
"""

import argparse
import hashlib
import json
import os
import pwd
import random
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid

SEED = "pegasus-em/monitoring-fixtures/1"
DEFAULT_BASE_TIME = 1722470400  # 2024-08-01T00:00:00Z: the "now" of the fixtures
ALL_WORKFLOWS = ("small", "medium", "running", "large", "hostile", "missing-db")
PEGASUS_VERSION = "5.1.3"
PEGASUS_BUILD = "20240801183155Z"
DAX_VERSION = "5.0"
SUBMIT_HOST = "submit.fixtures.example.org"
SUBMIT_IP = "10.10.0.1"
BIN = "/usr/bin"
MANIFEST = "manifest.json"
GENERATED = ("home", "pegasus-statistics", "pegasus-analyzer", MANIFEST)

# BRAINDUMP field order as the 5.1 planner writes it (tools/pegasus-standins/bin/_pegasus_sim_common.py)
BRAINDUMP_FIELDS = (
    "user", "grid_dn", "submit_hostname", "root_wf_uuid", "wf_uuid", "dax", "dax_label",
    "dax_index", "dax_version", "pegasus_wf_name", "timestamp", "basedir", "submit_dir",
    "planner", "planner_version", "pegasus_build", "planner_arguments", "jsd", "rundir",
    "bindir", "vogroup", "uses_pmc", "properties", "condor_log", "notify", "dag", "type",
    "script",
)

TABLE_COLUMNS = {
    "workflow": ("wf_id", "wf_uuid", "dag_file_name", "timestamp", "submit_hostname", "submit_dir",
                 "planner_arguments", "user", "grid_dn", "planner_version", "dax_label", "dax_version",
                 "dax_file", "db_url", "parent_wf_id", "root_wf_id"),
    "workflowstate": ("wf_id", "state", "timestamp", "restart_count", "status", "reason"),
    "workflow_meta": ("wf_id", "key", "value"),
    "host": ("host_id", "wf_id", "site", "hostname", "ip", "uname", "total_memory"),
    "job": ("job_id", "wf_id", "exec_job_id", "submit_file", "type_desc", "clustered", "max_retries",
            "executable", "argv", "task_count"),
    "job_edge": ("wf_id", "parent_exec_job_id", "child_exec_job_id"),
    "task": ("task_id", "wf_id", "job_id", "abs_task_id", "transformation", "argv", "type_desc"),
    "task_edge": ("wf_id", "parent_abs_task_id", "child_abs_task_id"),
    "task_meta": ("task_id", "key", "value"),
    "job_instance": ("job_instance_id", "job_id", "host_id", "job_submit_seq", "sched_id", "site", "user",
                     "work_dir", "cluster_start", "cluster_duration", "local_duration", "subwf_id",
                     "stdout_file", "stdout_text", "stderr_file", "stderr_text", "stdin_file",
                     "multiplier_factor", "exitcode"),
    "jobstate": ("job_instance_id", "state", "timestamp", "jobstate_submit_seq", "reason"),
    "invocation": ("invocation_id", "wf_id", "job_instance_id", "task_submit_seq", "start_time",
                   "remote_duration", "remote_cpu_time", "exitcode", "transformation", "executable",
                   "argv", "abs_task_id", "maxrss", "avg_cpu"),
    "tag": ("tag_id", "wf_id", "job_instance_id", "name", "count"),
    "integrity": ("integrity_id", "wf_id", "job_instance_id", "type", "file_type", "count", "duration"),
    "rc_lfn": ("lfn_id", "lfn"),
    "rc_pfn": ("pfn_id", "lfn_id", "pfn", "site"),
    "rc_meta": ("lfn_id", "key", "value"),
    "workflow_files": ("wf_id", "task_id", "lfn_id", "file_type"),
}
# parents before children (foreign keys)
TABLE_ORDER = ("workflow", "workflowstate", "workflow_meta", "host", "job", "job_edge", "task", "task_edge",
               "task_meta", "job_instance", "jobstate", "invocation", "tag", "integrity", "rc_lfn", "rc_pfn",
               "rc_meta", "workflow_files")

SUBWF_TYPES = ("dag", "dax")


def quote(text):
    """Pegasus.tools.utils.quote: how monitord stores stdout_text/stderr_text (URL-style %XX for
    bytes < 0x20 or >= 0x7F and for % ' ")."""
    out = []
    for byte in text.encode("utf-8"):
        if byte < 0x20 or byte >= 0x7F or byte in (0x25, 0x27, 0x22):
            out.append("%%%02X" % byte)
        else:
            out.append(chr(byte))
    return "".join(out)


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + "Z"


def planner_ts(ts):
    return time.strftime("%Y%m%dT%H%M%S+0000", time.gmtime(ts))


def dagman_ts(ts):
    return time.strftime("%m/%d/%y %H:%M:%S", time.gmtime(ts))


def hashed_dir(index):
    """Pegasus 5's hashed submit directory layout (00/00, 00/01, ...), 256 jobs per directory."""
    d = index // 256
    return "%02d/%02d" % (d // 100, d % 100)


def task_id_str(n):
    return "ID%07d" % n


def make_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# ------------------------------------------------------------------------------------------------
# in-memory model of what monitord would have loaded


class Wf:
    __slots__ = ("wf_id", "uuid", "label", "submit_dir", "parent", "root", "children", "parent_job",
                 "t_plan", "t_start", "t_end", "status", "restarts", "jobs", "meta", "dag", "files",
                 "reason")

    def __init__(self, label, submit_dir, wf_uuid, t_plan, parent=None):
        self.wf_id = None
        self.uuid = wf_uuid
        self.label = label
        self.submit_dir = submit_dir
        self.parent = parent
        self.root = parent.root if parent is not None else self
        self.children = []
        self.parent_job = None
        self.t_plan = t_plan
        self.t_start = None
        self.t_end = None          # None: still running
        self.status = None
        self.reason = None
        self.restarts = []         # earlier runs: (t_start, t_end, status)
        self.jobs = []
        self.meta = {}
        self.dag = "%s-0.dag" % label
        self.files = set()         # job names that get .sub/.out/.err files
        if parent is not None:
            parent.children.append(self)

    @property
    def state(self):
        if self.t_end is None:
            return "Running"
        return "Successful" if self.status == 0 else "Failed"

    def descendants(self):
        out = [self]
        for child in self.children:
            out.extend(child.descendants())
        return out


class Task:
    __slots__ = ("task_id", "abs_id", "xform", "argv", "type", "meta", "inputs", "outputs")

    def __init__(self, abs_id, xform, argv, type_desc="compute"):
        self.task_id = None
        self.abs_id = abs_id
        self.xform = xform
        self.argv = argv
        self.type = type_desc
        self.meta = None
        self.inputs = ()
        self.outputs = ()


class Job:
    __slots__ = ("job_id", "wf", "name", "type", "clustered", "max_retries", "executable", "argv", "tasks",
                 "tries", "xform", "site", "subwf", "index", "parents")

    def __init__(self, wf, name, type_desc, xform, tasks=(), max_retries=3, site="condorpool"):
        self.job_id = None
        self.wf = wf
        self.name = name
        self.type = type_desc
        self.tasks = list(tasks)
        self.clustered = len(self.tasks) > 1
        self.max_retries = max_retries
        self.xform = xform
        self.site = site
        self.subwf = None
        self.tries = []
        self.parents = ()
        self.index = len(wf.jobs)
        d = hashed_dir(self.index)
        if type_desc == "compute":
            self.executable = "%s/%s/%s.sh" % (wf.submit_dir, d, name)   # the PegasusLite wrapper
            self.argv = None
        elif type_desc == "dax":
            self.executable = BIN + "/condor_dagman"
            self.argv = None
        elif type_desc == "dag":
            self.executable = BIN + "/condor_dagman"
            self.argv = None
        else:
            self.executable = BIN + "/pegasus-kickstart"
            self.argv = "-n %s -N null -i - -R %s -s %s -L %s -T %s %s/pegasus-transfer" % (
                xform, site, name, wf.label, planner_ts(wf.t_plan), BIN)
        wf.jobs.append(self)

    @property
    def subdir(self):
        return hashed_dir(self.index)

    @property
    def submit_file(self):
        return "%s/%s.sub" % (self.subdir, self.name)

    def latest(self):
        return self.tries[-1] if self.tries else None

    def end_time(self):
        last = self.latest()
        return None if last is None else last.t_post_end


class Try:
    """One job instance (one DAGMan submission of the job)."""
    __slots__ = ("job", "n", "kind", "t_submit", "t_exec", "t_end", "t_post", "t_post_end", "host",
                 "exitcode", "failed_task", "stdout", "stderr", "held", "ji_id", "seq", "sched", "durs")

    def __init__(self, job, n, kind):
        self.job = job
        self.n = n
        self.kind = kind            # ok | fail | run (EXECUTE, not terminated) | idle (SUBMIT only)
        self.t_submit = self.t_exec = self.t_end = self.t_post = self.t_post_end = None
        self.host = None
        self.exitcode = None
        self.failed_task = None     # index of the failing task of a failed instance
        self.stdout = None          # raw task stdout override (hostile)
        self.stderr = None          # raw job .err override (hostile)
        self.held = False
        self.ji_id = self.seq = self.sched = None
        self.durs = None            # per-task (start, duration) of the kickstart records

    @property
    def terminated(self):
        return self.kind in ("ok", "fail")


class Model:
    """Everything that goes into one STAMPEDE database."""

    def __init__(self, path, rng, user, cluster_base):
        self.path = path
        self.rng = rng
        self.user = user
        self.cluster_base = cluster_base
        self.wfs = []
        self.hosts = []            # (host_id, root wf, site, hostname, ip, uname, total_memory)
        self.job_edges = []        # (wf, parent name, child name)
        self.task_edges = []       # (wf, parent abs id, child abs id)
        self.tags = []             # (try, name, count)
        self.integrity_tries = set()
        self.with_rc = True
        self.with_integrity = True

    def add_wf(self, wf):
        wf.wf_id = len(self.wfs) + 1
        self.wfs.append(wf)
        return wf

    def add_host(self, root, site, hostname, ip, memory=263770456):
        host_id = len(self.hosts) + 1
        self.hosts.append((host_id, root, site, hostname, ip, "linux-x86_64", memory))
        return host_id

    def run(self, job, t, pattern, dur, host, qdelay=(3, 40)):
        """Append tries of `job` following `pattern` (kinds), starting at submit time `t`.

        dur: callable returning the main-job duration in seconds; host: callable returning a
        host id. Returns the try list."""
        rng = self.rng
        for kind in pattern:
            tr = Try(job, len(job.tries), kind)
            job.tries.append(tr)
            tr.t_submit = int(t)
            if kind == "idle":
                break
            tr.t_exec = tr.t_submit + rng.randint(*qdelay)
            if kind == "run":
                break
            tr.t_end = tr.t_exec + max(1, int(dur()))
            tr.t_post = tr.t_end + rng.randint(2, 8)
            tr.t_post_end = tr.t_post + rng.randint(0, 2)
            tr.host = host()
            tr.exitcode = 0 if kind == "ok" else 1
            if kind == "fail":
                tr.failed_task = rng.randrange(len(job.tasks)) if job.tasks else 0
            t = tr.t_post_end + rng.randint(1, 5)
        return job.tries


# ------------------------------------------------------------------------------------------------
# counts (computed from the model = what is inserted), following Pegasus' rules


def job_status(job):
    """Dashboard rule: the job instance with the highest job_submit_seq decides."""
    last = job.latest()
    if last is None:
        return "unsubmitted"
    if last.exitcode is None:
        return "running"
    return "succeeded" if last.exitcode == 0 else "failed"


def kickstart_invocations(tr):
    """(abs_task_id or None, exitcode) of the main-job invocations of a terminated try."""
    job = tr.job
    if not tr.terminated:
        return []
    if job.type in SUBWF_TYPES:
        return [(job.tasks[0].abs_id if job.tasks else None, tr.exitcode)]
    if not job.tasks:
        return [(None, 0 if tr.exitcode == 0 else 256)]
    out = []
    for i, task in enumerate(job.tasks):
        failed = tr.kind == "fail" and i == tr.failed_task
        out.append((task.abs_id, 256 if failed else 0))
    return out


def invocation_count(tr):
    n = len(kickstart_invocations(tr))
    if tr.terminated:
        n += 1  # dagman::post
    if tr.job.type == "dax":
        n += 1  # dagman::pre (pegasus-plan) runs before the submission
    return n


def wf_counts(wf):
    """Counts for one workflow (wf_id level, as the dashboard's workflow page shows them)."""
    c = {"jobs": 0, "sub_workflow_jobs": 0, "job_instances": 0, "jobstates": 0, "tasks": 0,
         "invocations": 0, "kickstart_invocations": 0, "succeeded": 0, "failed": 0, "running": 0,
         "unsubmitted": 0, "failing": 0, "held": 0, "retries": 0, "jobs_by_type": {},
         "succeeded_sub_workflow_jobs": 0, "failed_sub_workflow_jobs": 0, "running_sub_workflow_jobs": 0,
         "unsubmitted_sub_workflow_jobs": 0}
    for job in wf.jobs:
        c["jobs"] += 1
        c["jobs_by_type"][job.type] = c["jobs_by_type"].get(job.type, 0) + 1
        c["tasks"] += len(job.tasks)
        st = job_status(job)
        c[st] += 1
        if job.type in SUBWF_TYPES:
            c["sub_workflow_jobs"] += 1
            c[st + "_sub_workflow_jobs"] += 1
        c["job_instances"] += len(job.tries)
        if job.tries:
            c["retries"] += len(job.tries) - 1
        for tr in job.tries:
            c["jobstates"] += len(jobstate_list(tr))
            c["invocations"] += invocation_count(tr)
            c["kickstart_invocations"] += len(kickstart_invocations(tr))
        # dashboard "failing": a failed instance and an instance still running (exitcode NULL)
        if any(t.exitcode not in (None, 0) for t in job.tries) and any(t.exitcode is None for t in job.tries):
            c["failing"] += 1
        last = job.latest()
        if last is not None and last.held:
            c["held"] += 1  # StampedeStatistics.get_total_held_jobs: JOB_HELD on the latest instance
    c["sub_workflows"] = len(wf.children)
    # the numbers of Pegasus' WorkflowInfo.get_workflow_job_counts() (dashboard "Job status" box)
    c["dashboard_job_counts"] = {
        "total": c["jobs"], "total_workflow": c["sub_workflow_jobs"],
        "success": c["succeeded"], "success_workflow": c["succeeded_sub_workflow_jobs"],
        "fail": c["failed"], "fail_workflow": c["failed_sub_workflow_jobs"],
        "running": c["running"], "running_workflow": c["running_sub_workflow_jobs"],
        "others": c["unsubmitted"], "others_workflow": c["unsubmitted_sub_workflow_jobs"],
    }
    return c


def statistics_summary(root):
    """What pegasus-statistics' summary (Pegasus.statistics + StampedeStatistics, expanded over the
    sub-workflows) reports: rows Tasks / Jobs / Sub-Workflows with succeeded, failed, incomplete,
    total, retries, total+retries; plus the workflow wall times."""
    wfs = root.descendants()

    def job_rows(subwf):
        s = f = total = ninst = njobs_with = 0
        for wf in wfs:
            for job in wf.jobs:
                if (job.type in SUBWF_TYPES) != subwf:
                    continue
                total += 1
                st = job_status(job)
                s += st == "succeeded"
                f += st == "failed"
                ninst += len(job.tries)
                njobs_with += bool(job.tries)
        retries = ninst - njobs_with
        return {"succeeded": s, "failed": f, "incomplete": total - s - f, "total": total,
                "retries": retries, "total+retries": s + f + retries}

    ts = tf = ttotal = ninv = ndistinct = 0
    for wf in wfs:
        succ, fail, seen = set(), set(), set()
        for job in wf.jobs:
            if job.type in SUBWF_TYPES:
                continue
            ttotal += len(job.tasks)
            for tr in job.tries:
                for abs_id, code in kickstart_invocations(tr):
                    if abs_id is None:
                        continue
                    ninv += 1
                    seen.add(abs_id)
            last = job.latest()
            if last is not None:
                for abs_id, code in kickstart_invocations(last):
                    if abs_id is not None:
                        (succ if code == 0 else fail).add(abs_id)
        ts += len(succ)
        tf += len(fail)
        ndistinct += len(seen)
    tretries = ninv - ndistinct
    tasks = {"succeeded": ts, "failed": tf, "incomplete": ttotal - ts - tf, "total": ttotal,
             "retries": tretries, "total+retries": ts + tf + tretries}
    wall = None
    if root.t_end is not None:
        wall = sum(e - s for s, e, _ in root.restarts) + (root.t_end - root.t_start)
    cum = good = bad = 0.0
    for wf in wfs:
        for job in wf.jobs:
            if job.type in SUBWF_TYPES:
                continue  # condor::dagman invocations are excluded
            for tr in job.tries:
                if tr.terminated and tr.durs:
                    for i, (_start, d) in enumerate(tr.durs):
                        cum += d
                        failed = tr.kind == "fail" and (i == tr.failed_task or not job.tasks)
                        if failed:
                            bad += d
                        else:
                            good += d
    return {"tasks": tasks, "jobs": job_rows(False), "sub_workflows": job_rows(True),
            "workflow_wall_time": wall, "cumulative_job_wall_time": round(cum, 3),
            "cumulative_job_goodput": round(good, 3), "cumulative_job_badput": round(bad, 3)}


# ------------------------------------------------------------------------------------------------
# jobstates, texts


def jobstate_list(tr):
    """(state, timestamp, reason) in jobstate_submit_seq order, as workflow_loader.jobstate maps
    monitord's events (note POST_SCRIPT_FAILED, not DAGMan's POST_SCRIPT_FAILURE)."""
    job = tr.job
    out = []
    if job.type == "dax":
        out += [("PRE_SCRIPT_STARTED", tr.t_submit - 12, None), ("PRE_SCRIPT_TERMINATED", tr.t_submit - 1, None),
                ("PRE_SCRIPT_SUCCESS", tr.t_submit - 1, None)]
    out.append(("SUBMIT", tr.t_submit, None))
    if tr.kind == "idle":
        return out
    if tr.held:
        out.append(("JOB_HELD", tr.t_submit + 1,
                    "Error from slot1@node: SHADOW at 10.10.0.1 failed to send file(s) to <10.10.1.12:9618>"))
        out.append(("JOB_RELEASED", tr.t_exec - 1, None))
    out.append(("EXECUTE", tr.t_exec, None))
    if tr.kind == "run":
        return out
    ok = tr.kind == "ok"
    out += [("JOB_TERMINATED", tr.t_end, None), ("JOB_SUCCESS" if ok else "JOB_FAILURE", tr.t_end, None),
            ("POST_SCRIPT_STARTED", tr.t_post, None), ("POST_SCRIPT_TERMINATED", tr.t_post_end, None),
            ("POST_SCRIPT_SUCCESS" if ok else "POST_SCRIPT_FAILED", tr.t_post_end, None)]
    return out


ERRORS = (
    "Error: input file %s.in is corrupt (checksum mismatch)",
    "Traceback (most recent call last):\n  File \"run.py\", line 42, in <module>\nMemoryError",
    "FATAL: could not open output file: No space left on device",
    "Segmentation fault (core dumped)",
)


def task_stdout(tr, short=False):
    """Raw (unquoted) job_instance.stdout_text: the kickstart records' stdout/stderr, '#@ n' framed."""
    job = tr.job
    if tr.stdout is not None:
        return tr.stdout
    if not tr.terminated or job.type in SUBWF_TYPES:
        return None
    if not job.tasks:
        if short:
            return None
        return "#@ 1 stderr\n %s INFO:  Stats: 1 files, 1 transfers in %d seconds\n" % (
            iso(tr.t_end), tr.t_end - tr.t_exec)
    parts = []
    for i, task in enumerate(job.tasks, 1):
        failed = tr.kind == "fail" and i - 1 == tr.failed_task
        parts.append("#@ %d stdout\n%s %s: %s\n" % (
            i, task.xform, task.abs_id, "starting" if failed else "processed 1 input, wrote 1 output"))
        if failed:
            err = ERRORS[(job.job_id + tr.n) % len(ERRORS)]
            parts.append("#@ %d stderr\n %s\n" % (i, err.replace("%s", task.abs_id)))
    return "".join(parts)


def job_stderr(tr, host_name, short=False):
    """Raw job_instance.stderr_text: the job's .err file (the PegasusLite log for compute jobs)."""
    job = tr.job
    if tr.stderr is not None:
        return tr.stderr
    if not tr.terminated or job.type in SUBWF_TYPES:
        return None
    code = 0 if tr.kind == "ok" else 1
    if job.type != "compute":
        return None if short else "%s: pegasus-transfer: 1 transfer(s) completed\n" % iso(tr.t_end)
    if short:
        return "%s: PegasusLite: exitcode %d\n" % (iso(tr.t_end), code)
    return ("%s: PegasusLite: version %s\n"
            "%s: Executing on host %s IP=10.10.1.%d\n"
            "%s: Work directory /var/lib/condor/execute/dir_%d/pegasus.XYZ%d\n"
            "%s: Executing the user task\n"
            "%s: PegasusLite: exitcode %d\n") % (
        iso(tr.t_exec), PEGASUS_VERSION, iso(tr.t_exec), host_name, (job.job_id % 200) + 10,
        iso(tr.t_exec), 10000 + tr.ji_id, tr.ji_id, iso(tr.t_exec + 1), iso(tr.t_end), code)


# ------------------------------------------------------------------------------------------------
# writing a STAMPEDE database


def build_rows(model):
    """Turn the model into row tuples (ids assigned here). Returns {table: [rows]}."""
    rows = {t: [] for t in TABLE_ORDER}
    rng = model.rng
    user = model.user
    # workflows
    for wf in model.wfs:
        rows["workflow"].append((
            wf.wf_id, wf.uuid, wf.dag, wf.t_plan, SUBMIT_HOST, wf.submit_dir,
            "--conf pegasus.properties --dir submit --sites condorpool --output-sites local --cleanup leaf "
            "--force workflow.yml", user, None, PEGASUS_VERSION, wf.label, DAX_VERSION,
            os.path.join(os.path.dirname(wf.submit_dir), "workflow.yml"), None,
            wf.parent.wf_id if wf.parent is not None else None, wf.root.wf_id))
        restart = 0
        for s, e, status in wf.restarts:
            rows["workflowstate"].append((wf.wf_id, "WORKFLOW_STARTED", s, restart, None, None))
            rows["workflowstate"].append((wf.wf_id, "WORKFLOW_TERMINATED", e, restart, status, None))
            restart += 1
        rows["workflowstate"].append((wf.wf_id, "WORKFLOW_STARTED", wf.t_start, restart, None, None))
        if wf.t_end is not None:
            rows["workflowstate"].append((wf.wf_id, "WORKFLOW_TERMINATED", wf.t_end, restart, wf.status, wf.reason))
        for k, v in wf.meta.items():
            rows["workflow_meta"].append((wf.wf_id, k, v))
    hostnames = {}
    for host_id, root, site, hostname, ip, uname, mem in model.hosts:
        rows["host"].append((host_id, root.wf_id, site, hostname, ip, uname, mem))
        hostnames[host_id] = hostname
    # jobs and tasks
    job_id = task_id = 0
    for wf in model.wfs:
        for job in wf.jobs:
            job_id += 1
            job.job_id = job_id
            rows["job"].append((job_id, wf.wf_id, job.name, job.submit_file, job.type, int(job.clustered),
                                job.max_retries, job.executable, job.argv, len(job.tasks)))
            for task in job.tasks:
                task_id += 1
                task.task_id = task_id
                rows["task"].append((task_id, wf.wf_id, job_id, task.abs_id, task.xform, task.argv, task.type))
                if task.meta:
                    for k, v in task.meta.items():
                        rows["task_meta"].append((task_id, k, v))
    for wf, parent, child in model.job_edges:
        rows["job_edge"].append((wf.wf_id, parent, child))
    for wf, parent, child in model.task_edges:
        rows["task_edge"].append((wf.wf_id, parent, child))
    # job instances in submission order: job_instance_id and the per-workflow job_submit_seq
    tries = [tr for wf in model.wfs for job in wf.jobs for tr in job.tries]
    tries.sort(key=lambda tr: (tr.t_submit, tr.job.job_id, tr.n))
    seq = {}
    for i, tr in enumerate(tries, 1):
        tr.ji_id = i
        wid = tr.job.wf.wf_id
        seq[wid] = seq.get(wid, 0) + 1
        tr.seq = seq[wid]
        tr.sched = "%d.0" % (model.cluster_base + i)
    short = not model.with_rc  # the big workflow keeps texts short
    ji_rows, js_rows, inv_rows = rows["job_instance"], rows["jobstate"], rows["invocation"]
    inv_id = 0
    randint, uniform = rng.randint, rng.uniform
    for tr in tries:
        job = tr.job
        wf = job.wf
        wid = wf.wf_id
        d = job.subdir
        name = job.name
        host_name = hostnames.get(tr.host)
        sub = job.type in SUBWF_TYPES
        if tr.kind == "idle":
            out_file = err_file = None
        elif not tr.terminated or sub:
            out_file, err_file = "%s/%s.out" % (d, name), "%s/%s.err" % (d, name)
        else:
            out_file, err_file = "%s/%s.out.%03d" % (d, name, tr.n), "%s/%s.err.%03d" % (d, name, tr.n)
        stdout = task_stdout(tr, short)
        stderr = job_stderr(tr, host_name, short)
        cluster_start = cluster_dur = None
        local = None
        if tr.terminated:
            local = tr.t_end - tr.t_exec
            if job.clustered:
                cluster_start = tr.t_exec + 1
                cluster_dur = round(local - 1.5, 3)
        work_dir = None
        if tr.terminated:
            work_dir = wf.submit_dir if sub else "/var/lib/condor/execute/dir_%d" % (10000 + tr.ji_id)
        ji_rows.append((tr.ji_id, job.job_id, tr.host, tr.seq, tr.sched, job.site if tr.kind != "idle" else None,
                        user, work_dir, cluster_start, cluster_dur, local,
                        job.subwf.wf_id if (sub and job.subwf is not None) else None,
                        out_file, None if stdout is None else quote(stdout),
                        err_file, None if stderr is None else quote(stderr), None, 1, tr.exitcode))
        for n, (state, ts, reason) in enumerate(jobstate_list(tr), 1):
            js_rows.append((tr.ji_id, state, ts, n, reason))
        # invocations: dagman::pre (-1), kickstart records (1..n), dagman::post (-2)
        if job.type == "dax":
            inv_id += 1
            inv_rows.append((inv_id, wid, tr.ji_id, -1, tr.t_submit - 12, 11.0, 11.0, 0, "dagman::pre",
                             BIN + "/pegasus-plan",
                             "--conf pegasus.properties --dir . --relative-submit-dir %s/%s.000 --basename %s "
                             "%s.yml" % (d, name, job.subwf.label if job.subwf else name,
                                         job.subwf.label if job.subwf else name), None, None, None))
        if tr.terminated:
            total = tr.t_end - tr.t_exec
            if sub:
                tr.durs = [(tr.t_exec, float(total))]
                inv_id += 1
                inv_rows.append((inv_id, wid, tr.ji_id, 1, float(tr.t_exec), float(total), None, tr.exitcode,
                                 "condor::dagman", BIN + "/condor_dagman",
                                 "-p 0 -f -l . -Notification never -Debug 3 -Lockfile %s.lock -Dag %s"
                                 % (job.subwf.dag, job.subwf.dag) if job.subwf else None,
                                 job.tasks[0].abs_id if job.tasks else None, None, None))
            else:
                ntask = max(1, len(job.tasks))
                start = tr.t_exec + round(uniform(0.2, 0.9), 3)
                span = max(0.2, total - 1.0)
                per = span / ntask
                tr.durs = []
                for i in range(ntask):
                    dur = round(per * uniform(0.85, 0.999), 3)
                    tr.durs.append((start, dur))
                    cpu = round(dur * uniform(0.5, 0.98), 3)
                    if job.tasks:
                        task = job.tasks[i]
                        failed = tr.kind == "fail" and i == tr.failed_task
                        code = 256 if failed else 0
                        inv_id += 1
                        inv_rows.append((inv_id, wid, tr.ji_id, i + 1, start, dur, cpu, code, task.xform,
                                         "/opt/apps/bin/" + task.xform.rpartition("::")[2].split(":")[0],
                                         task.argv, task.abs_id, randint(20000, 2000000),
                                         round(cpu / dur, 4) if dur else None))
                    else:
                        code = 0 if tr.kind == "ok" else 256
                        inv_id += 1
                        inv_rows.append((inv_id, wid, tr.ji_id, 1, start, dur, cpu, code, job.xform,
                                         BIN + "/pegasus-transfer", "--threads 2", None, randint(20000, 90000),
                                         round(cpu / dur, 4) if dur else None))
                    start = round(start + dur + 0.01, 3)
            inv_id += 1
            inv_rows.append((inv_id, wid, tr.ji_id, -2, float(tr.t_post), float(tr.t_post_end - tr.t_post),
                             float(tr.t_post_end - tr.t_post), tr.exitcode, "dagman::post", BIN + "/pegasus-exitcode",
                             "-r %d -l %s/%s.exitcode.log -M %s/%s.cache.meta %s"
                             % (0 if tr.kind == "ok" else 1, d, name, d, name, out_file), None, None, None))
    # integrity metrics and tags
    integ_id = 0
    if model.with_integrity:
        for tr in tries:
            if tr.job.type != "compute" or not tr.terminated:
                continue
            integ_id += 1
            rows["integrity"].append((integ_id, tr.job.wf.wf_id, tr.ji_id, "check", "input",
                                      len(tr.job.tasks), round(0.002 * len(tr.job.tasks), 3)))
            if tr.kind == "ok":
                integ_id += 1
                rows["integrity"].append((integ_id, tr.job.wf.wf_id, tr.ji_id, "compute", "output",
                                          len(tr.job.tasks), round(0.004 * len(tr.job.tasks), 3)))
    for i, (tr, name, count) in enumerate(model.tags, 1):
        rows["tag"].append((i, tr.job.wf.wf_id, tr.ji_id, name, count))
    # replica catalog and workflow files
    if model.with_rc:
        lfn_id = pfn_id = 0
        for wf in model.wfs:
            for job in wf.jobs:
                for task in job.tasks:
                    for kind, lfns in (("input", task.inputs), ("output", task.outputs)):
                        for lfn in lfns:
                            lfn_id += 1
                            rows["rc_lfn"].append((lfn_id, lfn))
                            rows["workflow_files"].append((wf.wf_id, task.task_id, lfn_id, kind))
                            if kind == "output" and job_status(job) == "succeeded":
                                pfn_id += 1
                                rows["rc_pfn"].append((pfn_id, lfn_id, "file://%s/outputs/%s" % (
                                    os.path.dirname(os.path.dirname(wf.root.submit_dir)), lfn), "local"))
                                digest = hashlib.sha256(lfn.encode()).hexdigest()
                                rows["rc_meta"].append((lfn_id, "checksum.type", "sha256"))
                                rows["rc_meta"].append((lfn_id, "checksum.value", digest))
                                rows["rc_meta"].append((lfn_id, "checksum.timing", "0.011"))
    return rows


def create_stampede_schema(submit_dir=None, url=None):
    """Create the STAMPEDE DB with Pegasus' own code (db_create: dbversion + metadata.create_all)."""
    import contextlib
    import io
    from Pegasus.db import connection
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # "Pegasus database was successfully created."
        if submit_dir is not None:
            session = connection.connect_by_submitdir(submit_dir, connection.DBType.WORKFLOW, create=True,
                                                      print_version=False)
        else:
            session = connection.connect(url, create=True, db_type=connection.DBType.WORKFLOW, verbose=False,
                                         print_version=False)
    bind = session.get_bind()
    session.close()
    bind.dispose()


def fill_db(path, rows):
    """Insert all rows in one transaction, journal off while filling; then back to a normal
    rollback-journal database."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("BEGIN")
        for table in TABLE_ORDER:
            data = rows.get(table)
            if not data:
                continue
            cols = TABLE_COLUMNS[table]
            conn.executemany('INSERT INTO "%s" (%s) VALUES (%s)' % (
                table, ", ".join('"%s"' % c for c in cols), ", ".join("?" * len(cols))), data)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA synchronous=FULL")
    finally:
        conn.close()


def check_db(path, quick=True):
    conn = sqlite3.connect(path)
    try:
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        qc = conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check").fetchone()[0]
        jm = conn.execute("PRAGMA journal_mode").fetchone()[0]
        return {"foreign_key_violations": len(fk), "quick_check": qc, "journal_mode": jm}
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------------
# submit directory files


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode, encoding="utf-8", newline="\n") as f:
        f.write(text)


def braindump_text(wf, user, home):
    values = {
        "user": user, "grid_dn": None, "submit_hostname": SUBMIT_HOST, "root_wf_uuid": wf.root.uuid,
        "wf_uuid": wf.uuid, "dax": os.path.join(os.path.dirname(wf.submit_dir), "workflow.yml"),
        "dax_label": wf.label, "dax_index": "0", "dax_version": DAX_VERSION,
        "pegasus_wf_name": "%s-0" % wf.label, "timestamp": planner_ts(wf.t_plan),
        "basedir": os.path.join(home, "submit"), "submit_dir": wf.submit_dir,
        "planner": BIN + "/pegasus-plan", "planner_version": PEGASUS_VERSION, "pegasus_build": PEGASUS_BUILD,
        "planner_arguments": "\"--conf pegasus.properties --dir submit --sites condorpool --output-sites local "
                             "--cleanup leaf --force workflow.yml\"",
        "jsd": "jobstate.log", "rundir": os.path.basename(wf.submit_dir), "bindir": BIN, "vogroup": "pegasus",
        "uses_pmc": False, "properties": "pegasus.%d.properties" % (wf.t_plan % 100000000),
        "condor_log": "%s-0.log" % wf.label, "notify": "%s-0.notify" % wf.label, "dag": wf.dag, "type": "dag",
        "script": None,
    }
    out = ["---"]
    for key in BRAINDUMP_FIELDS:
        if key == "script":
            continue  # not written by the planner for DAG workflows
        value = values[key]
        if value is None:
            text = "null"
        elif value is True or value is False:
            text = "true" if value else "false"
        else:
            text = json.dumps(str(value), ensure_ascii=False)
        out.append("%s: %s" % (key, text))
    return "\n".join(out) + "\n", values["properties"]


def write_dag(wf, model, path):
    edges = [(p, c) for w, p, c in model.job_edges if w is wf]
    with open(path, "w", encoding="utf-8") as f:
        f.write("######################################################################\n"
                "# PEGASUS WMS GENERATED DAG FILE\n# DAG %s\n# Index = 0, Count = 1\n"
                "######################################################################\n"
                "MAXJOBS stageout 10\nMAXJOBS stagein 10\n\n" % wf.label)
        for job in wf.jobs:
            if job.type == "dag" and job.subwf is not None:
                f.write("SUBDAG EXTERNAL %s %s/%s/%s DIR %s/%s.000\n" % (
                    job.name, job.subdir, job.name + ".000", job.subwf.dag, job.subdir, job.name))
            else:
                f.write("JOB %s %s\n" % (job.name, job.submit_file))
            if job.type == "dax" and job.subwf is not None:
                f.write("SCRIPT PRE %s %s/pegasus-plan --conf pegasus.properties --relative-submit-dir "
                        "%s/%s.000 %s.yml\n" % (job.name, BIN, job.subdir, job.name, job.subwf.label))
            f.write("SCRIPT POST %s %s/pegasus-exitcode -l %s/%s.exitcode.log %s/%s.out\n"
                    % (job.name, BIN, job.subdir, job.name, job.subdir, job.name))
            f.write("RETRY %s %d\n\n" % (job.name, job.max_retries))
        for p, c in edges:
            f.write("PARENT %s CHILD %s\n" % (p, c))
        f.write("######################################################################\n"
                "# End of DAG\n######################################################################\n")


def sub_file_text(job, model):
    wf = job.wf
    return ("######################################################################\n"
            "# PEGASUS WMS GENERATED SUBMIT FILE\n# DAG : %s, Index = 0, Count = 1\n"
            "# SUBMIT FILE NAME : %s.sub\n"
            "######################################################################\n"
            "+pegasus_generator = \"Pegasus\"\n+pegasus_root_wf_uuid = \"%s\"\n+pegasus_wf_uuid = \"%s\"\n"
            "+pegasus_version = \"%s\"\n+pegasus_wf_name = \"%s-0\"\n+pegasus_wf_time = \"%s\"\n"
            "+pegasus_wf_xformation = \"%s\"\n+pegasus_wf_dax_job_id = \"%s\"\n+pegasus_wf_dag_job_id = \"%s\"\n"
            "+pegasus_job_class = %d\n+pegasus_site = \"%s\"\n+pegasus_cluster_size = %d\n"
            "executable = %s\narguments = \"%s\"\nerror = %s/%s.err\noutput = %s/%s.out\nlog = %s-0.log\n"
            "universe = vanilla\nnotification = NEVER\npriority = 10\nqueue\n") % (
        wf.label, job.name, wf.root.uuid, wf.uuid, PEGASUS_VERSION, wf.label, planner_ts(wf.t_plan),
        job.tasks[0].xform if job.tasks else job.xform, job.tasks[0].abs_id if job.tasks else "",
        job.name, 1 if job.type == "compute" else 7, job.site, max(1, len(job.tasks)), job.executable,
        (job.argv or "").replace('"', "'"), job.subdir, job.name, job.subdir, job.name, wf.label)


def kickstart_yaml(tr, model, host_name):
    job = tr.job
    wf = job.wf
    recs = []
    for i, (start, dur) in enumerate(tr.durs or [(tr.t_exec, 0.0)]):
        task = job.tasks[i] if job.tasks else None
        failed = tr.kind == "fail" and (task is None or i == tr.failed_task)
        raw = 256 if failed else 0
        stdout_data = tr.stdout if tr.stdout is not None else (
            "%s %s: processed 1 input, wrote 1 output\n" % (task.xform, task.abs_id) if task else "")
        recs.append(
            "- invocation: True\n  version: 3.0\n  start: %s\n  duration: %.3f\n  transformation: %s\n"
            "  derivation: %s\n  resource: %s\n  wf-label: %s\n  wf-stamp: %s\n  interface: eth0\n"
            "  hostaddr: 10.10.1.%d\n  hostname: %s\n  pid: %d\n  uid: 1000\n  user: %s\n  gid: 1000\n"
            "  group: %s\n  umask: 0o0022\n  mainjob:\n    start: %s\n    duration: %.3f\n    pid: %d\n"
            "    status:\n      raw: %d\n      regular_exitcode: %d\n    executable:\n      file_name: %s\n"
            "  cwd: /var/lib/condor/execute/dir_%d\n  files:\n    stdout:\n      data: %s\n" % (
                iso(start), dur, json.dumps(task.xform if task else job.xform),
                json.dumps(task.abs_id if task else "null"), job.site, wf.label, planner_ts(wf.t_plan),
                (job.job_id % 200) + 10, json.dumps(host_name or "unknown"), 4000 + tr.ji_id, model.user,
                model.user, iso(start), dur, 4001 + tr.ji_id, raw, raw >> 8,
                "/opt/apps/bin/" + (task.xform if task else "pegasus-transfer"), 10000 + tr.ji_id,
                json.dumps(stdout_data, ensure_ascii=False)))
    return "".join(recs)


def write_job_files(wf, model, hostnames):
    sd = wf.submit_dir
    count = 0
    for job in wf.jobs:
        if job.name not in wf.files:
            continue
        write(os.path.join(sd, job.submit_file), sub_file_text(job, model))
        count += 1
        for tr in job.tries:
            if tr.kind == "idle":
                continue
            host_name = hostnames.get(tr.host)
            if tr.terminated and job.type not in SUBWF_TYPES:
                out = "%s/%s.out.%03d" % (job.subdir, job.name, tr.n)
                err = "%s/%s.err.%03d" % (job.subdir, job.name, tr.n)
                write(os.path.join(sd, out), kickstart_yaml(tr, model, host_name))
                write(os.path.join(sd, err), job_stderr(tr, host_name) or "")
                count += 2
            else:
                # running (not yet rotated) or a sub-workflow job (condor_dagman output)
                out = "%s/%s.out" % (job.subdir, job.name)
                err = "%s/%s.err" % (job.subdir, job.name)
                write(os.path.join(sd, out), "")
                write(os.path.join(sd, err), "%s: PegasusLite: version %s\n" % (iso(tr.t_exec), PEGASUS_VERSION)
                      if job.type == "compute" else "")
                count += 2
    return count


def write_submit_dir(wf, model, home, hostnames, monitord=True):
    """braindump.yml, properties, .dag, .dag.condor.sub, .dagman.out, jobstate.log, monitord files,
    per-job files for wf.files."""
    sd = wf.submit_dir
    os.makedirs(sd, exist_ok=True)
    text, props = braindump_text(wf, model.user, home)
    write(os.path.join(sd, "braindump.yml"), text)
    write(os.path.join(sd, props),
          "# Pegasus properties (pegasus-em monitoring test fixture)\npegasus.data.configuration = condorio\n"
          "pegasus.monitord.encoding = json\npegasus.metrics.app = pegasus-em-fixtures\n")
    write(os.path.join(sd, "%s-0.notify" % wf.label), "")
    write_dag(wf, model, os.path.join(sd, wf.dag))
    write(os.path.join(sd, wf.dag + ".condor.sub"),
          "# Filename: %s.condor.sub\nuniverse\t= scheduler\nexecutable\t= %s/condor_dagman\n"
          "output\t\t= %s.lib.out\nerror\t\t= %s.lib.err\nlog\t\t= %s.dagman.log\n"
          "arguments\t= \"-p 0 -f -l . -Notification never -Dagman %s/condor_dagman -Rescue %s.rescue "
          "-Dag %s -AutoRescue 1 -DoRescueFrom 0\"\n"
          "environment\t= _CONDOR_DAGMAN_LOG=%s.dagman.out;_CONDOR_MAX_DAGMAN_LOG=0\nqueue\n"
          % ((wf.dag, BIN) + (wf.dag,) * 3 + (BIN,) + (wf.dag,) * 3))
    # dagman.out and jobstate.log (event log order); the big workflow gets a summary dagman.out only
    events = []
    full = len(wf.jobs) <= 5000
    if full:
        for job in wf.jobs:
            for tr in job.tries:
                for state, ts, _reason in jobstate_list(tr):
                    events.append((ts, tr.ji_id, state, tr))
        events.sort(key=lambda e: (e[0], e[1]))
    dag_id = "%d" % (model.cluster_base - 1 - wf.wf_id)
    lines = ["%s ******************************************************" % dagman_ts(wf.t_start),
             "%s ** condor_scheduniv_exec.%s.0 (CONDOR_DAGMAN) STARTING UP" % (dagman_ts(wf.t_start), dag_id),
             "%s ** %s/condor_dagman" % (dagman_ts(wf.t_start), BIN),
             "%s ** $CondorVersion: 10.9.0 2023-09-28 BuildID: 678228 $" % dagman_ts(wf.t_start),
             "%s ******************************************************" % dagman_ts(wf.t_start),
             "%s Parsing 1 dagfiles" % dagman_ts(wf.t_start),
             "%s Parsing %s ..." % (dagman_ts(wf.t_start), wf.dag),
             "%s Dag contains %d total jobs" % (dagman_ts(wf.t_start), len(wf.jobs))]
    js = ["%d INTERNAL *** MONITORD_STARTED ***" % wf.t_start,
          "%d INTERNAL *** DAGMAN_STARTED %s.0 ***" % (wf.t_start, dag_id)]
    for ts, _ji, state, tr in events:
        job = tr.job
        js.append("%d %s %s %s %s %d" % (ts, job.name, state, tr.sched if state != "PRE_SCRIPT_STARTED" else "-",
                                         job.site, tr.seq))
        if state == "SUBMIT":
            lines.append("%s Submitting HTCondor Node %s job(s)..." % (dagman_ts(ts), job.name))
            lines.append("%s Event: ULOG_SUBMIT for HTCondor Node %s (%s.0) {%s}"
                         % (dagman_ts(ts), job.name, tr.sched, dagman_ts(ts)))
        elif state == "EXECUTE":
            lines.append("%s Event: ULOG_EXECUTE for HTCondor Node %s (%s.0) {%s}"
                         % (dagman_ts(ts), job.name, tr.sched, dagman_ts(ts)))
        elif state == "JOB_TERMINATED":
            lines.append("%s Event: ULOG_JOB_TERMINATED for HTCondor Node %s (%s.0) {%s}"
                         % (dagman_ts(ts), job.name, tr.sched, dagman_ts(ts)))
        elif state == "POST_SCRIPT_SUCCESS":
            lines.append("%s Node %s job proc (%s.0) completed successfully." % (dagman_ts(ts), job.name, tr.sched))
        elif state == "POST_SCRIPT_FAILED":
            lines.append("%s Node %s job proc (%s.0) failed with status 1." % (dagman_ts(ts), job.name, tr.sched))
    if not full:
        lines.append("%s (event lines of %d jobs omitted in this fixture)" % (dagman_ts(wf.t_start), len(wf.jobs)))
    counts = wf_counts(wf)
    end = wf.t_end if wf.t_end is not None else None
    if end is not None:
        lines.append("%s Of %d nodes total:" % (dagman_ts(end), len(wf.jobs)))
        lines.append("%s  Done     Pre   Queued    Post   Ready   Un-Ready   Failed   Futile" % dagman_ts(end))
        lines.append("%s %6d %6d %6d %6d %6d %9d %7d %7d" % (
            dagman_ts(end), counts["succeeded"], 0, counts["running"], 0, 0, counts["unsubmitted"],
            counts["failed"], 0))
        lines.append("%s **** condor_scheduniv_exec.%s.0 (condor_DAGMAN) pid 4242 EXITING WITH STATUS %d"
                     % (dagman_ts(end), dag_id, wf.status))
        js.append("%d INTERNAL *** DAGMAN_FINISHED %d ***" % (end, wf.status))
        js.append("%d INTERNAL *** MONITORD_FINISHED %d ***" % (end + 2, wf.status))
    write(os.path.join(sd, wf.dag + ".dagman.out"), "\n".join(lines) + "\n")
    if full:
        write(os.path.join(sd, "jobstate.log"), "\n".join(js) + "\n")
    write(os.path.join(sd, "%s-0.log" % wf.label), "")
    if monitord:
        # Pegasus.tools.utils.loading_completed(): monitord.started and monitord.done (pid file format)
        write(os.path.join(sd, "monitord.started"), "pid 4194304\ntimestamp %s\n" % iso(wf.t_start))
        write(os.path.join(sd, "monitord.log"),
              "%s:pegasus-monitord[4194304]:INFO: starting [monitord], using pid 4194304\n" % iso(wf.t_start))
        if wf.t_end is not None:
            write(os.path.join(sd, "monitord.done"), "%s %.3f\n" % (iso(wf.t_end + 2), wf.t_end + 2 - wf.t_start))
    return write_job_files(wf, model, hostnames)


# ------------------------------------------------------------------------------------------------
# the workflows


class Ctx:
    def __init__(self, outdir, user, base_time):
        self.outdir = outdir
        self.user = user
        self.home = os.path.join(outdir, "home", user)
        self.base = base_time
        self.cluster = 100000

    def rng(self, label):
        return random.Random("%s:%s" % (SEED, label))

    def submit_dir(self, label, run=1):
        return os.path.join(self.home, "submit", label, "run%04d" % run)

    def next_cluster(self, n):
        c = self.cluster
        self.cluster += n + 1000
        return c


def compute_task(n, xform, files=True, label=""):
    t = Task(task_id_str(n), xform, "-a %s -T 60 -i f.%s.in -o f.%s.out" % (xform, task_id_str(n), task_id_str(n)))
    if files:
        t.inputs = ("%s/f.%s.in" % (label, t.abs_id),)
        t.outputs = ("%s/f.%s.out" % (label, t.abs_id),)
    return t


def std_meta(wf, ctx):
    wf.meta = {"wf.api": "python", "wf.created.by": ctx.user, "wf.created.on": iso(wf.t_plan - 60),
               "project": "pegasus-em fixtures"}


def build_small(ctx):
    label = "small"
    rng = ctx.rng(label)
    model = Model(os.path.join(ctx.submit_dir(label), "%s-0.stampede.db" % label), rng, ctx.user,
                  ctx.next_cluster(20))
    t0 = ctx.base - 5 * 86400
    wf = model.add_wf(Wf(label, ctx.submit_dir(label), make_uuid(rng), t0))
    std_meta(wf, ctx)
    wf.t_start = t0 + 15
    hosts = [model.add_host(wf, "condorpool", "node%d.fixtures.example.org" % i, "10.10.1.%d" % (10 + i))
             for i in (1, 2)]
    host = lambda: rng.choice(hosts)  # noqa: E731
    cd = Job(wf, "create_dir_small_0_condorpool", "create-dir", "pegasus::dirmanager", max_retries=3)
    si = Job(wf, "stage_in_local_condorpool_0_0", "stage-in-tx", "pegasus::transfer")
    names = ("preprocess", "findrange", "findrange", "analyze", "analyze", "summarize")
    comps = []
    for i, x in enumerate(names, 1):
        task = compute_task(i, x, label=label)
        task.meta = {"size": str(1024 * i), "cores": "1"}
        comps.append(Job(wf, "%s_%s" % (x, task.abs_id), "compute", x, [task]))
    so = Job(wf, "stage_out_local_condorpool_0_0", "stage-out-tx", "pegasus::transfer")
    cl = Job(wf, "cleanup_small_0_condorpool", "cleanup", "pegasus::cleanup")
    deps = {comps[0]: [si], comps[1]: [comps[0]], comps[2]: [comps[0]], comps[3]: [comps[1]],
            comps[4]: [comps[2]], comps[5]: [comps[3], comps[4]], si: [cd], so: [comps[5]], cl: [so]}
    order = [cd, si] + comps + [so, cl]
    for job in order:
        parents = deps.get(job, [])
        job.parents = parents
        t = max([wf.t_start + 5] + [p.end_time() for p in parents]) + rng.randint(3, 10)
        model.run(job, t, ("ok",), lambda: rng.uniform(20, 90) if job.type == "compute" else rng.uniform(3, 12), host)
        for p in parents:
            model.job_edges.append((wf, p.name, job.name))
    for (a, b) in ((0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 5)):
        model.task_edges.append((wf, comps[a].tasks[0].abs_id, comps[b].tasks[0].abs_id))
    wf.t_end = max(j.end_time() for j in wf.jobs) + 20
    wf.status = 0
    wf.files = {j.name for j in wf.jobs}
    return model, wf


def layered_times(model, job, t_floor, dur, host, pattern=("ok",)):
    t = max([t_floor] + [p.end_time() for p in job.parents if p.end_time() is not None]) + model.rng.randint(2, 30)
    return model.run(job, t, pattern, dur, host)


def build_child(ctx, model, parent_wf, parent_job, label, t_start, n_compute, fail, next_task):
    """A sub-workflow in the same STAMPEDE DB (monitord loads sub-workflows into the root's DB)."""
    rng = model.rng
    sd = os.path.join(parent_wf.submit_dir, parent_job.subdir, parent_job.name + ".000")
    wf = model.add_wf(Wf(label, sd, make_uuid(rng), t_start - 10, parent=parent_wf))
    wf.parent_job = parent_job
    parent_job.subwf = wf
    wf.t_start = t_start
    hosts = [h[0] for h in model.hosts if h[2] == "condorpool"]
    host = lambda: rng.choice(hosts)  # noqa: E731
    cd = Job(wf, "create_dir_%s_0_condorpool" % label, "create-dir", "pegasus::dirmanager")
    si = Job(wf, "stage_in_local_condorpool_0_0", "stage-in-tx", "pegasus::transfer")
    si.parents = (cd,)
    comps = []
    for i in range(n_compute):
        x = ("align", "call-variants")[i % 2]
        task = compute_task(next_task + i, x, label=label)
        j = Job(wf, "%s_%s" % (x, task.abs_id), "compute", x, [task], max_retries=2)
        j.parents = (si,)
        comps.append(j)
    so = Job(wf, "stage_out_local_condorpool_0_0", "stage-out-tx", "pegasus::transfer")
    so.parents = tuple(comps)
    for job in [cd, si] + comps:
        pattern = ("ok",)
        if fail and job is comps[-1]:
            pattern = ("fail", "fail", "fail")
        layered_times(model, job, t_start + 5, lambda: rng.uniform(30, 200), host, pattern)
        for p in job.parents:
            model.job_edges.append((wf, p.name, job.name))
    if not fail:
        layered_times(model, so, t_start, lambda: rng.uniform(5, 20), host)
        for p in so.parents:
            model.job_edges.append((wf, p.name, so.name))
    else:
        for p in so.parents:
            model.job_edges.append((wf, p.name, so.name))
    wf.t_end = max(j.end_time() for j in wf.jobs if j.end_time() is not None) + 15
    wf.status = 1 if fail else 0
    wf.files = {j.name for j in wf.jobs if j.tries and (j.tries[-1].kind != "ok" or len(j.tries) > 1)}
    wf.files |= {j.name for j in comps[:4]}
    std_meta(wf, ctx)
    return wf, next_task + n_compute


def build_medium(ctx):
    label = "medium"
    rng = ctx.rng(label)
    model = Model(os.path.join(ctx.submit_dir(label), "%s-0.stampede.db" % label), rng, ctx.user,
                  ctx.next_cluster(1200))
    t0 = ctx.base - 3 * 86400
    wf = model.add_wf(Wf(label, ctx.submit_dir(label), make_uuid(rng), t0))
    std_meta(wf, ctx)
    wf.meta["sample"] = "NA12878"
    wf.t_start = t0 + 20
    hosts = [model.add_host(wf, "condorpool", "worker%d.fixtures.example.org" % i, "10.10.2.%d" % (10 + i),
                            memory=131885228 * i) for i in (1, 2, 3)]
    host = lambda: rng.choice(hosts)  # noqa: E731
    cd = Job(wf, "create_dir_medium_0_condorpool", "create-dir", "pegasus::dirmanager")
    stage_ins = [Job(wf, "stage_in_local_condorpool_0_%d" % i, "stage-in-tx", "pegasus::transfer") for i in range(10)]
    for s in stage_ins:
        s.parents = (cd,)
    n = 0
    layers = {}
    plan = (("preprocess", 200), ("findrange", 300), ("analyze", 300), ("merge", 136), ("summarize", 40))
    for li, (x, count) in enumerate(plan):
        layer = []
        for i in range(count):
            if x == "merge" and i < 4:
                tasks = []
                for _k in range(5):
                    n += 1
                    tasks.append(compute_task(n, x, label=label))
                job = Job(wf, "merge_%s_PID1_ID%d" % (x, i + 1), "compute", x, tasks, max_retries=2)
            else:
                n += 1
                task = compute_task(n, x, label=label)
                if n % 10 == 0:
                    task.meta = {"cores": str(1 + n % 4), "runtime": str(60 + n % 300)}
                job = Job(wf, "%s_%s" % (x, task.abs_id), "compute", x, [task], max_retries=2)
            if li == 0:
                job.parents = (stage_ins[i % 10],)
            else:
                prev = layers[li - 1]
                k = rng.randint(1, 3 if li == 4 else 2)
                job.parents = tuple(rng.sample(prev, k))
            layer.append(job)
        layers[li] = layer
    # scenario (exact numbers go to the manifest)
    A, B, C, D, E = (layers[i] for i in range(5))
    retry_ok = {}
    for j in rng.sample(A, 5):
        retry_ok[j] = ("fail", "ok")
    for j in rng.sample(B, 8)[:6]:
        retry_ok[j] = ("fail", "ok")
    for j in [x for x in B if x not in retry_ok][:2]:
        retry_ok[j] = ("fail", "fail", "ok")
    for j in rng.sample(C, 7):
        retry_ok[j] = ("fail", "ok")
    c_free = [x for x in C if x not in retry_ok]
    running = {c_free[10]: ("run",), c_free[20]: ("run",), c_free[30]: ("fail", "run")}
    d_failed = [D[1]] + rng.sample(D[4:], 9)   # D[1] is a clustered job (one of its 5 tasks fails)
    d_free = [x for x in D if x not in d_failed]
    running[d_free[40]] = ("run",)
    running[d_free[50]] = ("run",)
    held = [x for x in B if x not in retry_ok][5]
    patterns = dict(retry_ok)
    patterns.update(running)
    for j in d_failed:
        patterns[j] = ("fail", "fail", "fail")
    # sub-workflow jobs
    n += 1
    t_a = Task(task_id_str(n), "pegasus::pegasus-plan", "--relative-submit-dir medium-sub-a", "dax")
    sub_a = Job(wf, "subdax_medium-sub-a_%s" % t_a.abs_id, "dax", "pegasus::pegasus-plan", [t_a], max_retries=0)
    sub_a.parents = tuple(A[:3])
    n += 1
    t_b = Task(task_id_str(n), "condor::dagman", "-Dag medium-sub-b-0.dag", "dag")
    sub_b = Job(wf, "subdag_medium-sub-b_%s" % t_b.abs_id, "dag", "condor::dagman", [t_b], max_retries=0)
    sub_b.parents = tuple(A[3:6])
    stage_outs = [Job(wf, "stage_out_local_condorpool_0_%d" % i, "stage-out-tx", "pegasus::transfer")
                  for i in range(10)]
    for i, s in enumerate(stage_outs):
        s.parents = tuple(E[i * 4:(i + 1) * 4])
    cleanup = Job(wf, "cleanup_medium_0_condorpool", "cleanup", "pegasus::cleanup")
    cleanup.parents = tuple(stage_outs)
    durs = {"preprocess": (30, 120), "findrange": (60, 300), "analyze": (60, 600), "merge": (120, 400),
            "summarize": (30, 90)}
    next_task = n + 1
    order = [cd] + stage_ins + A + [sub_a, sub_b] + B + C + D + E + stage_outs + [cleanup]
    for job in order:
        for p in job.parents:
            model.job_edges.append((wf, p.name, job.name))
            if job.type == "compute" and p.type == "compute":
                for pt in p.tasks:
                    for ct in job.tasks:
                        model.task_edges.append((wf, pt.abs_id, ct.abs_id))
        # unsubmitted: a parent did not succeed
        if any(job_status(p) != "succeeded" for p in job.parents):
            continue
        if job.type in SUBWF_TYPES:
            t = max(p.end_time() for p in job.parents) + rng.randint(15, 30)
            fail = job is sub_b
            tr = Try(job, 0, "fail" if fail else "ok")
            job.tries.append(tr)
            tr.t_submit = t
            tr.t_exec = t + rng.randint(5, 15)
            child, next_task = build_child(ctx, model, wf, job, "medium-sub-" + ("b" if fail else "a"),
                                           tr.t_exec + 5, 23, fail, next_task)
            tr.t_end = child.t_end + 5
            tr.t_post = tr.t_end + 3
            tr.t_post_end = tr.t_post + 1
            tr.exitcode = 1 if fail else 0
            tr.failed_task = 0 if fail else None
            tr.host = None  # condor_dagman runs in the local scheduler universe: no kickstart host
            continue
        lo, hi = durs.get(job.xform, (3, 15))
        layered_times(model, job, wf.t_start + 5, lambda: rng.uniform(lo, hi) * max(1, len(job.tasks)), host,
                      patterns.get(job, ("ok",)))
        if job is held:
            job.tries[-1].held = True
    for tr in d_failed[0].tries[:1] + d_failed[0].tries[-1:]:
        model.tags.append((tr, "int.error", 1))  # integrity errors on the first and the last try
    ends = [j.end_time() for wfx in model.wfs for j in wfx.jobs if j.end_time() is not None]
    wf.t_end = max(ends) + 30
    wf.status = 1
    files = {j.name for j in wf.jobs if len(j.tries) > 1 or job_status(j) in ("failed", "running")}
    files |= {j.name for j in [cd] + stage_ins[:3] + A[:30] + D[:4] + [sub_a, sub_b]}
    wf.files = files
    return model, wf


def build_running(ctx):
    label = "running"
    rng = ctx.rng(label)
    model = Model(os.path.join(ctx.submit_dir(label), "%s-0.stampede.db" % label), rng, ctx.user,
                  ctx.next_cluster(80))
    now = ctx.base
    t0 = now - 3600
    wf = model.add_wf(Wf(label, ctx.submit_dir(label), make_uuid(rng), t0))
    std_meta(wf, ctx)
    wf.t_start = t0 + 20
    hosts = [model.add_host(wf, "condorpool", "gpu%d.fixtures.example.org" % i, "10.10.3.%d" % (10 + i))
             for i in (1, 2)]
    host = lambda: rng.choice(hosts)  # noqa: E731
    cd = Job(wf, "create_dir_running_0_condorpool", "create-dir", "pegasus::dirmanager")
    sis = [Job(wf, "stage_in_local_condorpool_0_%d" % i, "stage-in-tx", "pegasus::transfer") for i in range(2)]
    comps = []
    for i in range(44):
        x = ("train", "evaluate")[i % 2]
        task = compute_task(i + 1, x, label=label)
        comps.append(Job(wf, "%s_%s" % (x, task.abs_id), "compute", x, [task], max_retries=3))
    sos = [Job(wf, "stage_out_local_condorpool_0_%d" % i, "stage-out-tx", "pegasus::transfer") for i in range(2)]
    cl = Job(wf, "cleanup_running_0_condorpool", "cleanup", "pegasus::cleanup")
    for s in sis:
        s.parents = (cd,)
    for i, c in enumerate(comps):
        c.parents = (sis[i % 2],)
    sos[0].parents = tuple(comps[:22])
    sos[1].parents = tuple(comps[22:])
    cl.parents = tuple(sos)
    # scenario
    patterns = {}
    for i in range(25):
        patterns[comps[i]] = ("ok",)
    for i in (3, 9, 17):
        patterns[comps[i]] = ("fail", "ok")
    for i in (25, 26, 27):
        patterns[comps[i]] = ("run",)
    for i in (28, 29, 30):
        patterns[comps[i]] = ("fail", "run")      # failing: failed once, retry running
    patterns[comps[31]] = ("fail",)              # failed, retries left, not resubmitted yet
    patterns[comps[32]] = ("idle",)              # submitted, waiting in the queue
    patterns[comps[33]] = ("idle",)
    for job in [cd] + sis:
        layered_times(model, job, wf.t_start + 5, lambda: rng.uniform(5, 20), host)
    for job in comps:
        for p in job.parents:
            model.job_edges.append((wf, p.name, job.name))
        pat = patterns.get(job)
        if pat is None:
            continue
        if pat[-1] in ("run", "idle") or pat == ("fail",):
            # recent activity: place these close to "now"
            t = now - rng.randint(400, 900) if pat[0] == "fail" else now - rng.randint(60, 500)
            model.run(job, t, pat, lambda: rng.uniform(60, 200), host)
        else:
            layered_times(model, job, wf.t_start + 5, lambda: rng.uniform(300, 1500), host, pat)
    for job in sis + sos + [cl]:
        for p in job.parents:
            model.job_edges.append((wf, p.name, job.name))
    for job in wf.jobs:
        for tr in job.tries:
            assert tr.t_submit < now and (tr.t_post_end is None or tr.t_post_end < now), job.name
    wf.t_end = None
    wf.files = {j.name for j in wf.jobs}
    return model, wf


def build_large(ctx):
    label = "large"
    rng = ctx.rng(label)
    model = Model(os.path.join(ctx.submit_dir(label), "%s-0.stampede.db" % label), rng, ctx.user,
                  ctx.next_cluster(102000))
    model.with_rc = False
    model.with_integrity = False
    t0 = ctx.base - 2 * 86400
    wf = model.add_wf(Wf(label, ctx.submit_dir(label), make_uuid(rng), t0))
    std_meta(wf, ctx)
    wf.t_start = t0 + 30
    local = model.add_host(wf, "local", SUBMIT_HOST, SUBMIT_IP)
    workers = [model.add_host(wf, "condorpool", "c%03d.cluster.fixtures.example.org" % i, "10.20.%d.%d"
                              % (i // 200, i % 200 + 10)) for i in range(40)]
    xforms = ("fastqc", "trim", "bwa-mem", "samtools-sort", "mark-duplicates", "haplotype-caller",
              "genotype-gvcfs", "annotate")
    n_si, n_so, n_cl = 1000, 1000, 500
    n_comp = 100000 - 1 - n_si - n_so - n_cl
    span = 6 * 3600
    randint, uniform, random_ = rng.randint, rng.uniform, rng.random
    cd = Job(wf, "create_dir_large_0_condorpool", "create-dir", "pegasus::dirmanager", site="local")
    model.run(cd, wf.t_start + 10, ("ok",), lambda: uniform(3, 8), lambda: local)
    edges = model.job_edges
    stage_ins = []
    for k in range(n_si):
        j = Job(wf, "stage_in_local_condorpool_%d_%d" % (k // 100, k % 100), "stage-in-tx", "pegasus::transfer",
                site="local")
        t = cd.end_time() + 5 + int(k * (span - 3000) / n_si)
        model.run(j, t, ("fail", "ok") if k % 250 == 7 else ("ok",), lambda: uniform(5, 60), lambda: local)
        edges.append((wf, cd.name, j.name))
        stage_ins.append(j)
    per_chunk = n_comp / n_si
    comps_by_chunk = [[] for _ in range(n_si)]
    for i in range(n_comp):
        k = min(n_si - 1, int(i / per_chunk))
        x = xforms[i % 8]
        task = Task(task_id_str(i + 1), x, "-a %s -i f%d" % (x, i + 1))
        j = Job(wf, "%s_%s" % (x, task.abs_id), "compute", x, [task], max_retries=2)
        si = stage_ins[k]
        t = si.end_time() + randint(2, 1200)
        pat = ("fail", "ok") if random_() < 0.01 else ("ok",)
        model.run(j, t, pat, lambda: uniform(60, 900), lambda: workers[randint(0, 39)])
        edges.append((wf, si.name, j.name))
        comps_by_chunk[k].append(j)
    for k in range(n_so):
        j = Job(wf, "stage_out_local_condorpool_%d_%d" % (k // 100, k % 100), "stage-out-tx", "pegasus::transfer",
                site="local")
        parents = comps_by_chunk[k]
        t = max(p.end_time() for p in parents) + randint(2, 30)
        model.run(j, t, ("ok",), lambda: uniform(5, 60), lambda: local)
        for p in parents:
            edges.append((wf, p.name, j.name))
        if k % 2 == 1:
            prev = wf.jobs[-2]   # stage-out k-1
            c = Job(wf, "cleanup_large_%d_condorpool" % (k // 2), "cleanup", "pegasus::cleanup", site="local")
            t = max(prev.end_time(), j.end_time()) + randint(2, 20)
            model.run(c, t, ("ok",), lambda: uniform(2, 10), lambda: local)
            edges.append((wf, prev.name, c.name))
            edges.append((wf, j.name, c.name))
    assert len(wf.jobs) == 100000, len(wf.jobs)
    wf.t_end = max(j.end_time() for j in wf.jobs) + 30
    wf.status = 0
    failed_first = [j for j in wf.jobs if len(j.tries) > 1]
    wf.files = {j.name for j in [cd] + stage_ins[:5] + failed_first[:25] + comps_by_chunk[0][:10]}
    return model, wf


HOSTILE_PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "img": "\"><img src=x onerror=alert(1)>",
    "pre": "</pre><script>alert(document.cookie)</script><pre>",
    "encoded": "%3Cscript%3Ealert('double-decoded')%3C/script%3E &lt;b&gt;entity&lt;/b&gt;",
    "attr": "' onmouseover='alert(1)' data-x=' javascript:alert(1) \x1b[31mANSI red\x1b[0m tab\tend \u00e9\u4e2d",
}


def build_hostile(ctx):
    label = "hostile"
    rng = ctx.rng(label)
    model = Model(os.path.join(ctx.submit_dir(label), "%s-0.stampede.db" % label), rng, ctx.user,
                  ctx.next_cluster(10))
    t0 = ctx.base - 86400
    wf = model.add_wf(Wf(label, ctx.submit_dir(label), make_uuid(rng), t0))
    std_meta(wf, ctx)
    wf.meta["description"] = "<script>alert('workflow_meta')</script>"
    wf.t_start = t0 + 10
    h_ok = model.add_host(wf, "condorpool", "node1.fixtures.example.org", "10.10.4.11")
    h_bad = model.add_host(wf, "condorpool", "<img src=x onerror=alert('host')>", "10.10.4.12")
    P = HOSTILE_PAYLOADS
    specs = [
        ("inject_script_ID0000001", "inject-script", "ok", "#@ 1 stdout\nbefore %s after\n" % P["script"],
         None),
        ("inject_img_ID0000002", "inject-img", "fail", "#@ 1 stdout\nstarting\n#@ 1 stderr\n %s\n" % P["img"],
         "PegasusLite: %s\nPegasusLite: exitcode 1\n" % P["img"]),
        ("inject_pre_ID0000003", "inject-pre", "ok", "#@ 1 stdout\n%s\n" % P["pre"],
         "PegasusLite: %s\n" % P["pre"]),
        ("hostile<b>bold_ID0000004", "<i>xform</i>", "ok", "#@ 1 stdout\n%s\n" % P["encoded"],
         "PegasusLite: %s\n" % P["encoded"]),
        ("inject_attr_ID0000005", "inject-attr", "ok", "#@ 1 stdout\n%s\n" % P["attr"],
         "PegasusLite: %s\n" % P["attr"]),
    ]
    injections = []
    t = wf.t_start + 10
    for i, (name, xform, kind, stdout, stderr) in enumerate(specs, 1):
        task = Task(task_id_str(i), xform, "-a %s --note <script>alert('argv')</script>" % xform)
        task.inputs = ("hostile/<b>input%d</b>.txt" % i,)
        task.outputs = ("hostile/out%d\"><script>alert(1)</script>.txt" % i,)
        task.meta = {"note": "<img src=x onerror=alert('task_meta')>"}
        job = Job(wf, name, "compute", xform, [task], max_retries=0)
        pattern = (kind,)
        model.run(job, t, pattern, lambda: rng.uniform(5, 20), (lambda: h_bad) if i == 4 else (lambda: h_ok))
        tr = job.tries[-1]
        tr.stdout = stdout
        tr.stderr = stderr
        injections.append((job, tr, name))
        t = job.end_time() + 3
    wf.t_end = t + 10
    wf.status = 1
    wf.files = {j.name for j in wf.jobs}
    return model, wf, injections


def hostile_extras(wf):
    """Symlinks in the submit dir: three escape it, one stays inside; plus an HTML file name."""
    sd = wf.submit_dir
    os.symlink("/etc", os.path.join(sd, "escape-dir"))
    os.symlink("/etc/passwd", os.path.join(sd, "escape-file"))
    os.symlink("..", os.path.join(sd, "up"))
    os.makedirs(os.path.join(sd, "inner"))
    write(os.path.join(sd, "inner", "notes.txt"), "a normal file inside the submit dir\n")
    os.symlink("../braindump.yml", os.path.join(sd, "inner", "ok-link"))
    html_name = "\"><img src=x onerror=alert(2)>.txt"
    write(os.path.join(sd, html_name), "file with HTML in its name\n")
    return [
        {"path": "escape-dir", "target": "/etc", "escapes": True},
        {"path": "escape-file", "target": "/etc/passwd", "escapes": True},
        {"path": "up", "target": "..", "escapes": True},
        {"path": "inner/ok-link", "target": "../braindump.yml", "escapes": False},
    ], ["inner", "inner/notes.txt", html_name]


# ------------------------------------------------------------------------------------------------
# master DB


def create_master_db(ctx, py, pegasus_dir, log):
    """The real `pegasus-db-admin update -t master -c <props>` in HOME=<fixture home>."""
    props = os.path.join(ctx.outdir, ".master-db-admin.properties")
    write(props, "")
    env = dict(os.environ, HOME=ctx.home, PYTHONHASHSEED="0", USER=ctx.user)
    admin = os.path.join(pegasus_dir, "cli", "pegasus-db-admin.py")
    proc = subprocess.run([py, admin, "update", "-t", "master", "-c", props], cwd=ctx.outdir, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    os.unlink(props)
    if proc.returncode != 0:
        raise SystemExit("pegasus-db-admin failed (%d):\n%s" % (proc.returncode, proc.stdout))
    log("pegasus-db-admin: " + proc.stdout.strip().replace("\n", " | "))
    return os.path.join(ctx.home, ".pegasus", "workflow.db"), proc.stdout.strip()


def db_url(path):
    return "sqlite:///" + os.path.abspath(path)


BULK_LABELS = ("montage", "blackdiamond", "1000genome", "casa-wind", "epigenomics", "soykb", "cycles",
               "ligo-inspiral", "sra-search", "rnaseq", "galactic-plane", "pycbc-search", "orcasound",
               "variant-calling", "<b>bold-label", "wf with spaces", "ümlaut-ßeta")


def build_bulk(ctx, n, master_rows, master_states):
    """N master_workflow rows over a year, all pointing at one small shared STAMPEDE DB that holds a
    workflow row and workflowstate rows (no jobs) for each of them."""
    rng = ctx.rng("bulk")
    shared_dir = os.path.join(ctx.home, "submit", "bulk-shared")
    os.makedirs(shared_dir, exist_ok=True)
    shared = os.path.join(shared_dir, "bulk-shared.stampede.db")
    create_stampede_schema(url=db_url(shared))
    runs = {}
    wf_rows, ws_rows = [], []
    states = {"Running": 0, "Successful": 0, "Failed": 0}
    restarts = 0
    hosts = ["submit%02d.fixtures.example.org" % i for i in range(1, 9)]
    for i in range(n):
        label = rng.choice(BULK_LABELS)
        runs[label] = runs.get(label, 0) + 1
        sd = os.path.join(ctx.home, "submit", "bulk", label, "run%04d" % runs[label])
        ts = ctx.base - 7 * 86400 - int(rng.random() * 358 * 86400)
        if i % 97 == 0:
            ts = ctx.base - rng.randint(3600, 6 * 86400)   # some recent ones
        wf_uuid = make_uuid(rng)
        master_rows.append((wf_uuid, label, DAX_VERSION, "%s/workflow.yml" % os.path.dirname(sd),
                            "%s-0.dag" % label, ts, rng.choice(hosts), sd, "--sites condorpool", ctx.user,
                            None, PEGASUS_VERSION, db_url(shared)))
        r = rng.random()
        recent = ts > ctx.base - 30 * 86400
        st = []
        start = ts + rng.randint(5, 60)
        if recent and r < 0.35:
            st.append(("WORKFLOW_STARTED", start, 0, None))
            state = "Running"
        else:
            if r < 0.05:
                end1 = start + rng.randint(60, 7200)
                st.append(("WORKFLOW_STARTED", start, 0, None))
                st.append(("WORKFLOW_TERMINATED", end1, 0, 1))
                start = end1 + rng.randint(60, 3600)
                restart = 1
                restarts += 1
            else:
                restart = 0
            status = 1 if rng.random() < 0.22 else 0
            st.append(("WORKFLOW_STARTED", start, restart, None))
            st.append(("WORKFLOW_TERMINATED", start + rng.randint(60, 20000), restart, status))
            state = "Successful" if status == 0 else "Failed"
        states[state] += 1
        master_states.append((len(master_rows), st))
        wf_rows.append((i + 1, wf_uuid, "%s-0.dag" % label, ts, master_rows[-1][6], sd, "--sites condorpool",
                        ctx.user, None, PEGASUS_VERSION, label, DAX_VERSION, master_rows[-1][3], None, None, i + 1))
        for state_name, t, rc, status in st:
            ws_rows.append((i + 1, state_name, t, rc, status, None))
    fill_db(shared, {"workflow": wf_rows, "workflowstate": ws_rows})
    return {"count": n, "shared_stampede_db": shared, "shared_db_url": db_url(shared),
            "states": states, "with_restart": restarts, "labels": sorted(runs),
            "timestamp_range": [min(r[5] for r in master_rows[-n:]), max(r[5] for r in master_rows[-n:])]
            if n else None,
            "submit_dirs_exist": False}


def fill_master(path, rows, states):
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        cols = ("wf_id", "wf_uuid", "dax_label", "dax_version", "dax_file", "dag_file_name", "timestamp",
                "submit_hostname", "submit_dir", "planner_arguments", "user", "grid_dn", "planner_version",
                "db_url", "archived")
        conn.executemany("INSERT INTO master_workflow (%s) VALUES (%s)" % (", ".join(cols), ", ".join("?" * 15)),
                         [(i,) + tuple(r) + (0,) for i, r in enumerate(rows, 1)])
        conn.executemany("INSERT INTO master_workflowstate (wf_id, state, timestamp, restart_count, status, reason)"
                         " VALUES (?, ?, ?, ?, ?, ?)",
                         [(wf_id, s, t, rc, status, None) for wf_id, st in states for s, t, rc, status in st])
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA synchronous=FULL")
    finally:
        conn.close()


def master_counts(states):
    """Pegasus' MasterDatabase.get_workflow_counts(): state of the latest (max timestamp) row."""
    total = success = fail = others = 0
    for _wf_id, st in states:
        last = max(st, key=lambda x: x[1])
        total += 1
        if last[3] is None:
            others += 1
        elif last[3] == 0:
            success += 1
        else:
            fail += 1
    return {"total": total, "success": success, "fail": fail, "others": others}


# ------------------------------------------------------------------------------------------------
# the real Pegasus tools as a realism check


def parse_summary(path):
    """Rows Tasks/Jobs/Sub-Workflows of pegasus-statistics' summary.txt."""
    rows = {}
    keys = ("succeeded", "failed", "incomplete", "total", "retries", "total+retries")
    names = {"Tasks": "tasks", "Jobs": "jobs", "Sub-Workflows": "sub_workflows"}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 7 and parts[0] in names and all(p.isdigit() for p in parts[1:]):
                rows[names[parts[0]]] = dict(zip(keys, (int(p) for p in parts[1:])))
    return rows


def run_statistics(ctx, py, pegasus_dir, label, submit_dir, expected):
    out = os.path.join(ctx.outdir, "pegasus-statistics", label)
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, HOME=ctx.home, USER=ctx.user)
    cmd = [py, os.path.join(pegasus_dir, "cli", "pegasus-statistics.py"), "-s", "all", "-o", out, submit_dir]
    t = time.time()
    proc = subprocess.run(cmd, cwd=submit_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    write(os.path.join(out, "pegasus-statistics.stdout"), proc.stdout)
    write(os.path.join(out, "pegasus-statistics.stderr"), proc.stderr)
    result = {"command": ["pegasus-statistics", "-s", "all", "-o", out, submit_dir], "exit_code": proc.returncode,
              "seconds": round(time.time() - t, 2), "output_dir": out,
              "files": sorted(os.listdir(out))}
    summary = os.path.join(out, "summary.txt")
    if proc.returncode == 0 and os.path.exists(summary):
        parsed = parse_summary(summary)
        result["summary"] = parsed
        mism = {}
        for k in ("tasks", "jobs", "sub_workflows"):
            if parsed.get(k) != expected[k]:
                mism[k] = {"pegasus-statistics": parsed.get(k), "manifest": expected[k]}
        result["matches_manifest"] = not mism
        if mism:
            result["mismatches"] = mism
        result["succeeded"] = True
    else:
        result["succeeded"] = False
        result["error"] = (proc.stderr or proc.stdout)[-2000:]
    return result


def run_dashboard_queries(manifest_wfs, master_path, expected_master):
    """Pegasus' own dashboard query classes (Pegasus.service.dashboard.queries) on the fixtures,
    compared with the manifest's counts."""
    from Pegasus.service.dashboard.queries import MasterDatabase, WorkflowInfo
    out = {}
    for entry in manifest_wfs:
        if not entry.get("stampede_db_exists"):
            continue
        wfs = [(entry["label"], entry["stampede_wf_id"], entry["counts"], entry["state"])]
        wfs += [(s["label"], s["stampede_wf_id"], s["counts"], s["state"]) for s in entry["sub_workflows"]]
        for label, wf_id, counts, state in wfs:
            info = WorkflowInfo(entry["db_url"], wf_id=wf_id)
            try:
                c = info.get_workflow_job_counts()
                got = dict(zip(c.keys(), c))
                got_state = info.get_workflow_information().state
                failing = info.get_failing_jobs()[0]
                subs = sorted((r.wf_id, r.state) for r in info.get_sub_workflows())
            finally:
                info.close()
            exp_subs = sorted((s["stampede_wf_id"], s["state"]) for s in entry["sub_workflows"]
                              if s["parent_wf_id"] == wf_id)
            ok = (got == counts["dashboard_job_counts"] and got_state == state and failing == counts["failing"]
                  and subs == exp_subs)
            out[label] = {"get_workflow_job_counts": got, "state": got_state, "failing_jobs": failing,
                          "sub_workflows": subs, "matches_manifest": ok}
    db = MasterDatabase(db_url(master_path))
    try:
        total, success, fail, others = db.get_workflow_counts()
    finally:
        db.close()
    got = {"total": total, "success": success or 0, "fail": fail or 0, "others": others or 0}
    out["master"] = {"get_workflow_counts": got, "matches_manifest": got == expected_master}
    return out


def run_analyzer(ctx, py, pegasus_dir, label, submit_dir):
    out = os.path.join(ctx.outdir, "pegasus-analyzer")
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, HOME=ctx.home, USER=ctx.user)
    cmd = [py, os.path.join(pegasus_dir, "cli", "pegasus-analyzer.py"), submit_dir]
    t = time.time()
    proc = subprocess.run(cmd, cwd=submit_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    write(os.path.join(out, "%s.stdout" % label), proc.stdout)
    write(os.path.join(out, "%s.stderr" % label), proc.stderr)
    summary = {}
    for line in proc.stdout.splitlines():
        s = line.strip()
        for key in ("Total jobs", "# jobs succeeded", "# jobs failed", "# jobs held", "# jobs unsubmitted",
                    "# jobs unknown"):
            if s.startswith(key) and ":" in s:
                try:
                    summary[key] = int(s.split(":", 1)[1].split()[0])
                except ValueError:
                    pass
    return {"command": ["pegasus-analyzer", submit_dir], "exit_code": proc.returncode,
            "seconds": round(time.time() - t, 2), "stdout_file": os.path.join(out, "%s.stdout" % label),
            "summary": summary, "ran": bool(summary)}


# ------------------------------------------------------------------------------------------------
# main


def generator_version():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def default_user():
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return os.environ.get("USER") or "user"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("outdir")
    p.add_argument("--user", default=None, help="user name of the fixture home (default: current user)")
    p.add_argument("--bulk-workflows", type=int, default=0, metavar="N",
                   help="N extra master_workflow rows sharing one small STAMPEDE DB (default 0)")
    p.add_argument("--base-time", type=int, default=DEFAULT_BASE_TIME,
                   help="the fixtures' 'now' as epoch seconds (default %d = 2024-08-01T00:00:00Z)"
                   % DEFAULT_BASE_TIME)
    p.add_argument("--workflows", default=",".join(ALL_WORKFLOWS),
                   help="comma-separated subset of " + ",".join(ALL_WORKFLOWS))
    p.add_argument("--no-pegasus-tools", action="store_true",
                   help="do not run the real pegasus-statistics / pegasus-analyzer")
    p.add_argument("--force", action="store_true", help="regenerate even if the manifest is up to date")
    p.add_argument("--check-cache", action="store_true",
                   help="only check: exit 0 if OUTDIR/manifest.json is up to date, else 1")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args(argv)
    a.user = a.user or default_user()
    a.workflows = [w for w in (x.strip() for x in a.workflows.split(",")) if w]
    bad = [w for w in a.workflows if w not in ALL_WORKFLOWS]
    if bad:
        p.error("unknown workflow(s): %s" % ", ".join(bad))
    if a.bulk_workflows < 0:
        p.error("--bulk-workflows must be >= 0")
    if "/" in a.user or a.user in ("", ".", ".."):
        p.error("invalid --user")
    a.outdir = os.path.realpath(a.outdir)
    return a


def options_key(a):
    return {"user": a.user, "bulk_workflows": a.bulk_workflows, "base_time": a.base_time,
            "workflows": [w for w in ALL_WORKFLOWS if w in a.workflows], "pegasus_tools": not a.no_pegasus_tools}


def cache_valid(a):
    try:
        with open(os.path.join(a.outdir, MANIFEST), encoding="utf-8") as f:
            m = json.load(f)
        g = m["generator"]
        return g["version"] == generator_version() and g["options"] == options_key(a)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def main(argv):
    a = parse_args(argv)
    if a.check_cache:
        return 0 if cache_valid(a) else 1
    if not a.force and cache_valid(a):
        if not a.quiet:
            print("fixtures up to date: %s" % os.path.join(a.outdir, MANIFEST))
        return 0
    if os.environ.get("PYTHONHASHSEED") != "0":
        # Pegasus/SQLAlchemy order enum CHECK lists and indexes by hash: make the schema text stable
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + argv, env)

    t_all = time.time()
    timings = {}
    log = (lambda m: None) if a.quiet else (lambda m: print("make_fixtures: " + m, flush=True))
    try:
        import Pegasus  # noqa: F401
        from Pegasus import braindump as pegasus_braindump
    except ImportError:
        sys.stderr.write("make_fixtures.py: the Pegasus Python package is not importable; run it with the "
                         "python of a virtualenv holding pegasus-wms==5.1.3 (see make-fixtures.sh)\n")
        return 3
    global quote
    from Pegasus.tools.utils import quote  # the real encoder monitord uses
    pegasus_dir = os.path.dirname(Pegasus.__file__)
    py = sys.executable

    os.makedirs(a.outdir, exist_ok=True)
    for name in GENERATED:
        path = os.path.join(a.outdir, name)
        if os.path.islink(path) or os.path.isfile(path):
            os.unlink(path)
        elif os.path.isdir(path):
            shutil.rmtree(path)
    ctx = Ctx(a.outdir, a.user, a.base_time)
    os.makedirs(ctx.home)

    t = time.time()
    master_path, admin_out = create_master_db(ctx, py, pegasus_dir, log)
    timings["master_schema"] = round(time.time() - t, 3)

    builders = {"small": build_small, "medium": build_medium, "running": build_running, "large": build_large,
                "hostile": build_hostile}
    manifest_wfs = []
    master_rows, master_states = [], []
    total_job_files = 0
    stats_inputs = {}
    for label in ALL_WORKFLOWS:
        if label not in a.workflows:
            continue
        t = time.time()
        if label == "missing-db":
            rng = ctx.rng(label)
            sd = ctx.submit_dir(label)
            wf_uuid = make_uuid(rng)
            ts = ctx.base - 10 * 86400
            stampede = os.path.join(sd, "%s-0.stampede.db" % label)
            master_rows.append((wf_uuid, label, DAX_VERSION, os.path.join(os.path.dirname(sd), "workflow.yml"),
                                "%s-0.dag" % label, ts, SUBMIT_HOST, sd,
                                "--conf pegasus.properties --dir submit --sites condorpool", ctx.user, None,
                                PEGASUS_VERSION, db_url(stampede)))
            master_states.append((len(master_rows), [("WORKFLOW_STARTED", ts + 20, 0, None),
                                                     ("WORKFLOW_TERMINATED", ts + 1300, 0, 0)]))
            manifest_wfs.append({
                "label": label, "wf_uuid": wf_uuid, "master_wf_id": len(master_rows), "stampede_wf_id": None,
                "submit_dir": sd, "submit_dir_exists": False, "stampede_db": stampede, "stampede_db_exists": False,
                "db_url": db_url(stampede), "state": "Successful", "status": 0,
                "note": "master_workflow row only: the submit dir and its STAMPEDE DB were deleted"})
            timings[label] = round(time.time() - t, 3)
            continue
        injections = None
        if label == "hostile":
            model, root, injections = builders[label](ctx)
        else:
            model, root = builders[label](ctx)
        t_model = time.time()
        rows = build_rows(model)
        t_rows = time.time()
        hostnames = {h[0]: h[3] for h in model.hosts}
        for wf in model.wfs:
            total_job_files += write_submit_dir(wf, model, ctx.home, hostnames, monitord=True)
        # validate our braindump with Pegasus' own loader
        for wf in model.wfs:
            with open(os.path.join(wf.submit_dir, "braindump.yml"), encoding="utf-8") as f:
                bd = pegasus_braindump.load(f)
            assert bd.wf_uuid == wf.uuid and bd.root_wf_uuid == wf.root.uuid, wf.label
        t_files = time.time()
        create_stampede_schema(submit_dir=root.submit_dir)
        t_schema = time.time()
        fill_db(model.path, rows)
        t_fill = time.time()
        checks = check_db(model.path)
        t_check = time.time()
        master_rows.append((root.uuid, label, DAX_VERSION, os.path.join(os.path.dirname(root.submit_dir),
                                                                         "workflow.yml"),
                            root.dag, root.t_plan, SUBMIT_HOST, root.submit_dir,
                            "--conf pegasus.properties --dir submit --sites condorpool --output-sites local "
                            "--cleanup leaf --force workflow.yml", ctx.user, None, PEGASUS_VERSION,
                            db_url(model.path)))
        st = [("WORKFLOW_STARTED", root.t_start, 0, None)]
        if root.t_end is not None:
            st.append(("WORKFLOW_TERMINATED", root.t_end, 0, root.status))
        master_states.append((len(master_rows), st))
        counts = wf_counts(root)
        expanded = {}
        for wf in root.descendants():
            for k, v in wf_counts(wf).items():
                if isinstance(v, int):
                    expanded[k] = expanded.get(k, 0) + v
        stats = statistics_summary(root)
        entry = {
            "label": label, "wf_uuid": root.uuid, "master_wf_id": len(master_rows), "stampede_wf_id": root.wf_id,
            "submit_dir": root.submit_dir, "submit_dir_exists": True, "stampede_db": model.path,
            "stampede_db_exists": True, "db_url": db_url(model.path), "dag_file": root.dag,
            "state": root.state, "status": root.status,
            "timestamps": {"planned": root.t_plan, "started": root.t_start, "terminated": root.t_end},
            "counts": counts, "counts_including_sub_workflows": expanded,
            "pegasus_statistics_expected": stats,
            "hosts": len(model.hosts),
            "table_rows": {tname: len(r) for tname, r in rows.items()},
            "job_files_written": sorted(root.files),
            "db_checks": checks, "db_size_bytes": os.path.getsize(model.path),
            "sub_workflows": [],
        }
        for child in root.descendants()[1:]:
            pj = child.parent_job
            entry["sub_workflows"].append({
                "label": child.label, "wf_uuid": child.uuid, "stampede_wf_id": child.wf_id,
                "parent_wf_id": child.parent.wf_id, "root_wf_id": child.root.wf_id,
                "submit_dir": child.submit_dir, "state": child.state, "status": child.status,
                "parent_job": {"exec_job_id": pj.name, "job_id": pj.job_id, "type_desc": pj.type,
                               "job_instance_id": pj.tries[-1].ji_id, "exitcode": pj.tries[-1].exitcode},
                "counts": wf_counts(child), "job_files_written": sorted(child.files)})
        if label == "medium":
            lists = {"retried_then_succeeded": [], "failed": [], "running": [], "failing": [], "held": []}
            for job in root.jobs:
                st_ = job_status(job)
                if st_ == "succeeded" and len(job.tries) > 1:
                    lists["retried_then_succeeded"].append(job.name)
                if st_ == "failed":
                    lists["failed"].append(job.name)
                if st_ == "running":
                    lists["running"].append(job.name)
                if any(t_.exitcode not in (None, 0) for t_ in job.tries) and any(
                        t_.exitcode is None for t_ in job.tries):
                    lists["failing"].append(job.name)
                if any(t_.held for t_ in job.tries):
                    lists["held"].append(job.name)
            entry["jobs_of_interest"] = lists
            entry["clustered_jobs"] = [j.name for j in root.jobs if j.clustered]
            entry["tags"] = [{"job_instance_id": tr.ji_id, "exec_job_id": tr.job.name, "name": n_, "count": c_}
                             for tr, n_, c_ in model.tags]
        if label == "running":
            entry["jobs_of_interest"] = {
                "running": [j.name for j in root.jobs if job_status(j) == "running"],
                "queued_idle": [j.name for j in root.jobs if j.tries and j.tries[-1].kind == "idle"],
                "failing": [j.name for j in root.jobs if any(t_.exitcode not in (None, 0) for t_ in j.tries)
                            and any(t_.exitcode is None for t_ in j.tries)],
                "failed": [j.name for j in root.jobs if job_status(j) == "failed"]}
        if injections is not None:
            entry["injection"] = {
                "payloads": HOSTILE_PAYLOADS,
                "stdout_text_encoding": "Pegasus utils.quote (URL %XX for bytes <0x20, >=0x7F, % ' \")",
                "jobs": [{"exec_job_id": name, "job_id": job.job_id, "job_instance_id": tr.ji_id,
                          "exitcode": tr.exitcode, "raw_stdout_text": tr.stdout, "raw_stderr_text": tr.stderr}
                         for job, tr, name in injections],
                "other_fields": {
                    "job.exec_job_id with <b>": "hostile<b>bold_ID0000004",
                    "invocation.transformation / task.transformation": "<i>xform</i>",
                    "task.argv / invocation.argv": "<script>alert('argv')</script>",
                    "host.hostname": "<img src=x onerror=alert('host')>",
                    "workflow_meta[description]": root.meta["description"],
                    "task_meta[note]": "<img src=x onerror=alert('task_meta')>",
                    "rc_lfn.lfn / workflow_files": "hostile/<b>input1</b>.txt, hostile/out1\"><script>...",
                }}
            links, plain = hostile_extras(root)
            entry["symlinks"] = links
            entry["extra_files"] = plain
        manifest_wfs.append(entry)
        stats_inputs[label] = (root.submit_dir, stats)
        timings[label] = {"model": round(t_model - t, 3), "rows": round(t_rows - t_model, 3),
                          "files": round(t_files - t_rows, 3), "schema": round(t_schema - t_files, 3),
                          "insert": round(t_fill - t_schema, 3), "check": round(t_check - t_fill, 3),
                          "total": round(time.time() - t, 3)}
        log("%-8s %7d jobs %8d rows %6.2fs" % (label, counts["jobs"], sum(len(r) for r in rows.values()),
                                              time.time() - t))
    bulk = None
    if a.bulk_workflows:
        t = time.time()
        bulk = build_bulk(ctx, a.bulk_workflows, master_rows, master_states)
        bulk["master_wf_id_range"] = [len(master_rows) - a.bulk_workflows + 1, len(master_rows)]
        timings["bulk"] = round(time.time() - t, 3)
    t = time.time()
    fill_master(master_path, master_rows, master_states)
    timings["master_fill"] = round(time.time() - t, 3)
    master_check = check_db(master_path)

    tools = {}
    t = time.time()
    tools["pegasus-dashboard-queries"] = run_dashboard_queries(manifest_wfs, master_path,
                                                               master_counts(master_states))
    timings["dashboard_queries"] = round(time.time() - t, 3)
    bad = [k for k, v in tools["pegasus-dashboard-queries"].items() if not v["matches_manifest"]]
    if bad:
        log("WARNING: Pegasus' dashboard queries disagree with the manifest for: " + ", ".join(bad))
    if not a.no_pegasus_tools:
        t = time.time()
        for label in ("small", "medium"):
            if label in stats_inputs:
                sd, expected = stats_inputs[label]
                tools.setdefault("pegasus-statistics", {})[label] = run_statistics(
                    ctx, py, pegasus_dir, label, sd, expected)
        if "medium" in stats_inputs:
            tools["pegasus-analyzer"] = {"medium": run_analyzer(ctx, py, pegasus_dir, "medium",
                                                                stats_inputs["medium"][0])}
        timings["pegasus_tools"] = round(time.time() - t, 3)
    timings["total"] = round(time.time() - t_all, 3)

    manifest = {
        "generator": {"version": generator_version(), "script": os.path.abspath(__file__),
                      "options": options_key(a), "pegasus_version": PEGASUS_VERSION,
                      "pegasus_package": pegasus_dir, "python": sys.version.split()[0],
                      "schema_created_by": "pegasus-db-admin update -t master (master); "
                                           "Pegasus.db.connection.connect_by_submitdir(create=True) (stampede)",
                      "pegasus_db_admin_output": admin_out},
        "user": a.user,
        "outdir": a.outdir,
        "home": ctx.home,
        "master_db": master_path,
        "master_db_url": db_url(master_path),
        "master_db_checks": master_check,
        "master_db_size_bytes": os.path.getsize(master_path),
        "master_counts": master_counts(master_states),
        "base_time": a.base_time,
        "conventions": {
            "job_submit_seq": "per-workflow submission counter in submission order (as pegasus-monitord "
                              "assigns it), NOT 1..n per job; a job's latest instance is its max job_submit_seq",
            "job_status_rule": "latest job instance: exitcode 0 succeeded, non-zero failed, NULL running; "
                               "no instance unsubmitted",
            "failing": "a job with a failed instance and an instance whose exitcode is NULL "
                       "(WorkflowInfo.get_failing_jobs)",
            "stdout_text/stderr_text": "stored URL-quoted like Pegasus.tools.utils.quote; unquote before display",
            "stdout_file/stderr_file": "relative to the job's workflow submit_dir",
            "host.wf_id": "the root workflow's wf_id (monitord's wf_uuid_to_root_id), also for sub-workflow jobs",
            "invocations": "task_submit_seq -1 dagman::pre (dax jobs), 1..n kickstart records "
                           "(abs_task_id set for compute tasks, NULL for pegasus::transfer/dirmanager/cleanup), "
                           "-2 dagman::post (pegasus-exitcode) for every terminated instance; "
                           "invocation.exitcode is the raw wait status (256 = exit 1)",
            "jobstates": "SUBMIT, [JOB_HELD, JOB_RELEASED], EXECUTE, JOB_TERMINATED, JOB_SUCCESS|JOB_FAILURE, "
                         "POST_SCRIPT_STARTED, POST_SCRIPT_TERMINATED, POST_SCRIPT_SUCCESS|POST_SCRIPT_FAILED "
                         "(+ PRE_SCRIPT_* for dax jobs)",
        },
        "workflows": manifest_wfs,
        "bulk_workflows": bulk,
        "pegasus_tools": tools,
        "job_files_total": total_job_files,
        "timings": timings,
    }
    tmp = os.path.join(a.outdir, MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=False, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, os.path.join(a.outdir, MANIFEST))
    log("done in %.1fs: %s" % (time.time() - t_all, os.path.join(a.outdir, MANIFEST)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
