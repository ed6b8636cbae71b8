"""Pegasus simulator: the per-workflow STAMPEDE database (<submitdir>/<label>-0.stampede.db).

Part of the "Pegasus simulator" test stand-ins (tools/pegasus-standins). NOT Pegasus.

The simulated pegasus-monitord fills the tables pegasus-analyzer reads (workflow, workflowstate,
host, job, job_instance, jobstate, invocation) with the same schema as the master DB (Pegasus
creates both from one SQLAlchemy metadata), so the real pegasus-analyzer (and our stand-in)
can report on a simulated run. Standard library only.
"""

import os
import time

import _pegasus_sim_masterdb as masterdb

AUX_PREFIXES = (
    ("create_dir_", "create-dir"),
    ("stage_in_", "stage-in-tx"),
    ("stage_out_", "stage-out-tx"),
    ("cleanup_", "cleanup"),
    ("register_", "registration"),
)


def job_type(name):
    for prefix, kind in AUX_PREFIXES:
        if name.startswith(prefix):
            return kind
    return "compute"


def task_parts(job_name):
    """('analyze', 'ID0000003') for 'analyze_ID0000003'."""
    if "_" in job_name:
        name, _sep, task_id = job_name.rpartition("_")
        return name, task_id
    return job_name, "ID0000001"


class Stampede:
    def __init__(self, path):
        self.path = path
        masterdb.ensure_master_db(path)

    def workflow(self, row):
        """Insert the workflow row if absent; returns wf_id."""

        def fn(conn):
            found = conn.execute("SELECT wf_id FROM workflow WHERE wf_uuid = ?", (row["wf_uuid"],)).fetchone()
            if found:
                return found[0]
            cols = ("wf_uuid", "dag_file_name", "timestamp", "submit_hostname", "submit_dir",
                    "planner_arguments", "user", "grid_dn", "planner_version", "dax_label",
                    "dax_version", "dax_file")
            cur = conn.execute(
                "INSERT INTO workflow (%s) VALUES (%s)" % (", ".join(cols), ", ".join("?" for _ in cols)),
                tuple(row.get(c) for c in cols),
            )
            wf_id = cur.lastrowid
            conn.execute("UPDATE workflow SET root_wf_id = ? WHERE wf_id = ?", (wf_id, wf_id))
            return wf_id

        return masterdb._write(self.path, fn)

    def state(self, wf_id, state, timestamp, restart_count, status=None, reason=None):
        masterdb._write(
            self.path,
            lambda conn: conn.execute(
                "INSERT INTO workflowstate (wf_id, state, timestamp, restart_count, status, reason)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (wf_id, state, timestamp, restart_count, status, reason),
            ),
        )

    def jobs(self, wf_id, names, site):
        def fn(conn):
            for name in names:
                kind = job_type(name)
                conn.execute(
                    "INSERT OR IGNORE INTO job (wf_id, exec_job_id, submit_file, type_desc, clustered,"
                    " max_retries, executable, argv, task_count) VALUES (?, ?, ?, ?, 0, 1, ?, ?, ?)",
                    (wf_id, name, "00/00/%s.sub" % name, kind,
                     "/usr/bin/pegasus-keg" if kind == "compute" else "/usr/bin/pegasus-transfer",
                     None, 1 if kind == "compute" else 0),
                )

        masterdb._write(self.path, fn)

    def host(self, wf_id, site, hostname):
        def fn(conn):
            found = conn.execute(
                "SELECT host_id FROM host WHERE wf_id = ? AND site = ? AND hostname = ? AND ip = ?",
                (wf_id, site, hostname, "127.0.0.1"),
            ).fetchone()
            if found:
                return found[0]
            return conn.execute(
                "INSERT INTO host (wf_id, site, hostname, ip, uname, total_memory) VALUES (?, ?, ?, ?, ?, ?)",
                (wf_id, site, hostname, "127.0.0.1", "linux-x86_64", 8388608),
            ).lastrowid

        return masterdb._write(self.path, fn)

    def job_done(self, wf_id, name, sched_id, site, user, host_id, exitcode, stdout=None, stderr=None,
                 started=None, duration=0.1):
        """One completed job instance with its jobstate history and (compute jobs) its invocation."""
        now = time.time()
        started = started if started is not None else now - duration

        def fn(conn):
            job_id = conn.execute(
                "SELECT job_id FROM job WHERE wf_id = ? AND exec_job_id = ?", (wf_id, name)
            ).fetchone()[0]
            seq = conn.execute(
                "SELECT coalesce(max(ji.job_submit_seq), 0) + 1 FROM job_instance ji JOIN job j"
                " ON j.job_id = ji.job_id WHERE j.wf_id = ?",
                (wf_id,),
            ).fetchone()[0]
            retry = conn.execute("SELECT count(*) FROM job_instance WHERE job_id = ?", (job_id,)).fetchone()[0]
            kind = job_type(name)
            task_name, task_id = task_parts(name)
            stdout_text = None
            if kind == "compute" and (stdout or stderr):
                stdout_text = "#@ 1 stdout\n%s\n#@ 1 stderr\n%s\n" % (stdout or "", stderr or "")
            ji = conn.execute(
                "INSERT INTO job_instance (job_id, host_id, job_submit_seq, sched_id, site, user, work_dir,"
                " cluster_start, cluster_duration, local_duration, subwf_id, stdout_file, stdout_text,"
                " stderr_file, stderr_text, stdin_file, multiplier_factor, exitcode)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL, ?, ?, ?, ?, NULL, 1, ?)",
                (job_id, host_id, seq, sched_id, site, user,
                 "/var/lib/condor/execute/dir_%d" % (os.getpid() + seq), round(duration, 3),
                 "00/00/%s.out.%03d" % (name, retry), stdout_text,
                 "00/00/%s.err.%03d" % (name, retry), None if kind == "compute" else (stderr or None),
                 exitcode),
            ).lastrowid
            states = ["SUBMIT", "EXECUTE", "JOB_TERMINATED",
                      "JOB_SUCCESS" if exitcode == 0 else "JOB_FAILURE",
                      "POST_SCRIPT_STARTED", "POST_SCRIPT_TERMINATED",
                      "POST_SCRIPT_SUCCESS" if exitcode == 0 else "POST_SCRIPT_FAILURE"]
            for i, state in enumerate(states, 1):
                ts = round(started + duration * (i - 1) / len(states), 6)
                conn.execute(
                    "INSERT INTO jobstate (job_instance_id, state, timestamp, jobstate_submit_seq, reason)"
                    " VALUES (?, ?, ?, ?, NULL)",
                    (ji, state, ts, i),
                )
            if kind == "compute":
                conn.execute(
                    "INSERT INTO invocation (wf_id, job_instance_id, task_submit_seq, start_time,"
                    " remote_duration, remote_cpu_time, exitcode, transformation, executable, argv,"
                    " abs_task_id) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (wf_id, ji, round(started, 6), round(duration, 3), round(duration / 2, 3),
                     0 if exitcode == 0 else exitcode * 256, task_name, "/usr/bin/pegasus-keg",
                     "-a %s -T 1" % task_name, task_id),
                )
            return ji

        return masterdb._write(self.path, fn)
