"""Pegasus simulator: the detached process that plays HTCondor DAGMan and pegasus-monitord.

Part of the "Pegasus simulator" test stand-ins (tools/pegasus-standins). NOT Pegasus.

Started by the simulated `pegasus-run` in its own session (setsid), with stdin from /dev/null and
stdout/stderr appended to <submitdir>/pegasus-sim-daemon.log, so it survives the caller and the
pegasus-em server being killed. Usage: _pegasus_sim_daemon.py SUBMIT_DIR CLUSTER_ID READY_FD

Timeline of one run (knobs from <submitdir>/sim.json, written by the simulated pegasus-plan):
  t0                 writes monitord.pid ("pid N" / "timestamp ISO"), then closes READY_FD
  t0 + start_delay   DAGMan starts: <dag>.dagman.out "... (CONDOR_DAGMAN) STARTING UP",
                     monitord inserts master_workflow (if absent) and a master_workflowstate
                     WORKFLOW_STARTED row (restart_count = number of earlier starts)
  ... + duration     jobs "complete" along the way (sim-state.json, jobstate.log); at the end
                     "EXITING WITH STATUS s" and a WORKFLOW_TERMINATED row with status s;
                     monitord.pid is removed last.
A removal request (file sim-remove-requested, written by the simulated pegasus-remove with the
DAGMan job id) ends the run early like condor_rm: "Received SIGUSR1", status 2, reason
"DAGMan aborted as it received SIGUSR1 signal." (what pegasus-monitord records).
"""

import os
import signal
import sys
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import _pegasus_sim_common as common  # noqa: E402
import _pegasus_sim_masterdb as masterdb  # noqa: E402
import _pegasus_sim_stampede as stampede_db  # noqa: E402

POLL = 0.05
REMOVED_STATUS = 2  # DAGMan EXIT_ABORT, what `condor_rm` of a DAGMan job ends with
REMOVED_REASON = "DAGMan aborted as it received SIGUSR1 signal."


def log(message):
    sys.stdout.write("%s [%d] %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), os.getpid(), message))
    sys.stdout.flush()


class Run:
    def __init__(self, submit_dir, cluster, ready_fd):
        self.submit_dir = submit_dir
        self.cluster = cluster
        self.dag_id = "%d.0" % cluster
        self.ready_fd = ready_fd
        self.sim = common.read_json(os.path.join(submit_dir, common.SIM_CONFIG_FILE), {}) or {}
        self.config = common.slurp_braindb(submit_dir)
        self.dag = str(self.config.get("dag") or "workflow-0.dag")
        self.wf_name = self.dag[:-4] if self.dag.endswith(".dag") else self.dag
        self.state_path = os.path.join(submit_dir, common.SIM_STATE_FILE)
        self.state = common.read_json(self.state_path, {}) or {}
        self.state.setdefault("runs", [])
        self.restart_count = sum(1 for r in self.state["runs"] if r.get("started_at") is not None)
        self.whole_seconds = bool(self.sim.get("whole_second_timestamps"))
        self.master_path = self._master_db_path()
        self.wf_id = None
        self.stampede_db = None
        self.st_wf_id = None
        self.host_id = None

    # ------------------------------------------------------------------ helpers

    def _master_db_path(self):
        props = {}
        name = self.config.get("properties")
        if name:
            path = os.path.join(self.submit_dir, str(name))
            if os.path.isfile(path):
                try:
                    props = common.read_properties(path)
                except OSError:
                    props = {}
        url = common.master_db_url_from_properties(props)
        if url:
            path = masterdb.sqlite_path_from_url(url, base_dir=self.submit_dir)
            if path is None:
                log("master DB %s is not an sqlite URL: the simulator writes no master rows" % url)
            return path
        return masterdb.default_master_db_path()

    def ts(self):
        now = time.time()
        return int(now) if self.whole_seconds else round(now, 6)

    def append(self, name, text):
        with open(os.path.join(self.submit_dir, name), "a", encoding="utf-8") as f:
            f.write(text)

    def dagman(self, line):
        self.append(self.dag + ".dagman.out", "%s %s\n" % (common.dagman_timestamp(), line))

    def jobstate(self, line):
        self.append("jobstate.log", "%d %s\n" % (int(time.time()), line))

    def save_state(self):
        common.write_json_atomic(self.state_path, self.state)

    def removal_requested(self):
        try:
            with open(os.path.join(self.submit_dir, common.SIM_REMOVE_MARKER)) as f:
                requested = f.read().strip()
        except OSError:
            return False
        return requested in (self.dag_id, str(self.cluster))

    def wait(self, seconds, run):
        """Sleep, polling for a removal request. Returns True if removal was requested."""
        deadline = time.time() + max(0.0, seconds)
        while True:
            if run.get("started_at") is not None and self.removal_requested():
                return True
            left = deadline - time.time()
            if left <= 0:
                return False
            time.sleep(min(POLL, left))

    def master(self, fn, *args):
        if self.sim.get("no_monitord") or self.master_path is None:
            return None
        try:
            masterdb.ensure_master_db(self.master_path)
            return fn(self.master_path, *args)
        except Exception:  # noqa: BLE001 - monitord logs DB errors and carries on
            log("master DB error:\n" + traceback.format_exc())
            return None

    def stampede(self, method, *args, **kwargs):
        if self.sim.get("no_monitord") or self.stampede_db is None:
            return None
        try:
            return getattr(self.stampede_db, method)(*args, **kwargs)
        except Exception:  # noqa: BLE001
            log("stampede DB error:\n" + traceback.format_exc())
            return None

    # ------------------------------------------------------------------ the run

    def write_pid_file(self):
        with open(os.path.join(self.submit_dir, "monitord.pid"), "w") as f:
            f.write("pid %d\n" % os.getpid())
            f.write("timestamp %s\n" % time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def remove_pid_file(self):
        try:
            os.unlink(os.path.join(self.submit_dir, "monitord.pid"))
        except FileNotFoundError:
            pass

    def execute(self):
        run_index = len(self.state["runs"])
        first_run = self.restart_count == 0
        if self.sim.get("fail_first_run"):
            planned_status = 1 if first_run else 0
        else:
            planned_status = int(self.sim.get("status") or 0)
        jobs = list(self.sim.get("jobs") or [self.wf_name + "_ID0000001"])
        failing = None
        if planned_status != 0:
            compute = [j for j in jobs if not j.startswith(("create_dir_", "stage_in_", "stage_out_", "cleanup_"))]
            failing = compute[-1] if compute else jobs[-1]
        run = {
            "run": run_index,
            "cluster": self.cluster,
            "dag_id": self.dag_id,
            "daemon_pid": os.getpid(),
            "submitted_at": time.time(),
            "started_at": None,
            "finished_at": None,
            "phase": "queued",
            "planned_status": planned_status,
            "status": None,
            "removed": False,
            "restart_count": self.restart_count,
            "jobs": jobs,
            "failing_job": failing,
            "succeeded": [],
            "failed": [],
        }
        self.state["runs"].append(run)
        self.save_state()
        self.write_pid_file()
        os.close(self.ready_fd)
        log("run %d of %s: cluster %d, planned status %d" % (run_index, self.submit_dir, self.cluster, planned_status))

        # the DAGMan job waits in the queue
        self.wait(float(self.sim.get("start_delay", 0.2)), run)

        # DAGMan starts
        self.append(self.config.get("condor_log") or (self.wf_name + ".log"),
                    "000 (%03d.000.000) %s Job submitted from host: <127.0.0.1:9618>\n    DAG Node: (none)\n...\n"
                    % (self.cluster, time.strftime("%m/%d %H:%M:%S")))
        self.dagman("******************************************************")
        self.dagman("** condor_scheduniv_exec.%s (CONDOR_DAGMAN) STARTING UP" % self.dag_id)
        self.dagman("** /usr/bin/condor_dagman")
        self.dagman("** $CondorVersion: 10.0.0 Jan 01 2023 $ (Pegasus simulator)")
        self.dagman("** PID = %d" % os.getpid())
        self.dagman("******************************************************")
        self.dagman("DAGMAN_USE_STRICT setting: 1")
        self.dagman("Parsing 1 dagfiles")
        self.dagman("Parsing %s ..." % self.dag)
        self.dagman("Dag contains %d total jobs" % len(jobs))
        started = self.ts()
        run["started_at"] = time.time()
        run["phase"] = "running"
        self.save_state()
        self.jobstate("INTERNAL *** DAGMAN_STARTED %s ***" % self.dag_id)

        braindump = self.config
        wf_ts = common.epoch_of_planner_timestamp(str(braindump.get("timestamp") or "")) or int(time.time())
        planner_arguments = braindump.get("planner_arguments")
        if planner_arguments is not None:
            planner_arguments = str(planner_arguments).strip('" \t\n\r')
        grid_dn = braindump.get("grid_dn")
        if grid_dn == "null":
            grid_dn = None
        stampede = os.path.join(self.submit_dir, "%s.stampede.db" % self.wf_name)
        row = {
            "wf_uuid": braindump.get("wf_uuid"),
            "dax_label": braindump.get("dax_label"),
            "dax_version": None if braindump.get("dax_version") is None else str(braindump.get("dax_version")),
            "dax_file": None if braindump.get("dax") is None else str(braindump.get("dax")),
            "dag_file_name": self.dag,
            "timestamp": wf_ts,
            "submit_hostname": braindump.get("submit_hostname"),
            "submit_dir": str(braindump.get("submit_dir") or self.submit_dir),
            "planner_arguments": planner_arguments,
            "user": braindump.get("user"),
            "grid_dn": grid_dn,
            "planner_version": braindump.get("planner_version"),
            "db_url": masterdb.url_for_path(stampede),
        }
        if row["wf_uuid"]:
            self.wf_id = self.master(masterdb.insert_master_workflow, row)
        if self.wf_id is not None:
            self.master(masterdb.insert_workflow_state, self.wf_id, "WORKFLOW_STARTED", started,
                        self.restart_count, None, None)
        site = self.sim.get("site", "condorpool")
        if row["wf_uuid"] and not self.sim.get("no_monitord"):
            try:
                self.stampede_db = stampede_db.Stampede(stampede)
            except Exception:  # noqa: BLE001
                log("stampede DB error:\n" + traceback.format_exc())
            st_row = dict(row)
            st_row["submit_dir"] = self.submit_dir
            self.st_wf_id = self.stampede("workflow", st_row)
            if self.st_wf_id is not None:
                self.stampede("state", self.st_wf_id, "WORKFLOW_STARTED", started, self.restart_count)
                self.stampede("jobs", self.st_wf_id, jobs, site)
                self.host_id = self.stampede("host", self.st_wf_id, site, row["submit_hostname"] or "localhost")
        user = braindump.get("user")

        # the jobs run
        duration = float(self.sim.get("duration", 0.5))
        removed = False
        done_before = set()
        for previous in self.state["runs"][:-1]:
            done_before.update(previous.get("succeeded") or [])
        todo = [j for j in jobs if j not in done_before]  # a rerun submits the rescue DAG
        n = len(todo)
        for i, job in enumerate(todo):
            job_started = time.time()
            if self.wait(duration / (n + 1), run):
                removed = True
                break
            sched = "%d.0" % (self.cluster * 100 + i + 1)
            if job == failing:
                self.dagman("Node %s job proc (%s.0) failed with status 1." % (job, sched))
                self.jobstate("%s POST_SCRIPT_FAILURE %s %s 1" % (job, sched, site))
                if self.st_wf_id is not None:
                    self.stampede("job_done", self.st_wf_id, job, sched, site, user, self.host_id, 1,
                                  stdout="", stderr="Pegasus simulator: job %s was made to fail (exit code 1)" % job,
                                  started=job_started, duration=time.time() - job_started)
                run["failed"].append(job)
                self.save_state()
                break
            self.dagman("Node %s job proc (%s.0) completed successfully." % (job, sched))
            self.jobstate("%s POST_SCRIPT_SUCCESS %s %s -" % (job, sched, site))
            if self.st_wf_id is not None:
                self.stampede("job_done", self.st_wf_id, job, sched, site, user, self.host_id, 0,
                              started=job_started, duration=time.time() - job_started)
            run["succeeded"].append(job)
            self.save_state()
        if not removed and self.wait(duration / (n + 1), run):
            removed = True

        if removed:
            self.dagman("Received SIGUSR1")
            status, reason = REMOVED_STATUS, REMOVED_REASON
        else:
            status, reason = planned_status, None
        self.dagman("**** condor_scheduniv_exec.%s (condor_DAGMAN) pid %d EXITING WITH STATUS %d"
                    % (self.dag_id, os.getpid(), status))
        self.jobstate("INTERNAL *** DAGMAN_FINISHED %d ***" % status)
        finished = self.ts()
        if not self.whole_seconds and finished <= started:
            finished = round(started + 0.000001, 6)
        if self.st_wf_id is not None:
            self.stampede("state", self.st_wf_id, "WORKFLOW_TERMINATED", finished, self.restart_count, status, reason)
        if self.wf_id is not None:
            self.master(masterdb.insert_workflow_state, self.wf_id, "WORKFLOW_TERMINATED", finished,
                        self.restart_count, status, reason)
        run["finished_at"] = time.time()
        run["phase"] = "finished"
        run["status"] = status
        run["removed"] = removed
        self.save_state()
        try:
            os.unlink(os.path.join(self.submit_dir, common.SIM_REMOVE_MARKER))
        except FileNotFoundError:
            pass
        self.remove_pid_file()
        log("run %d finished with status %d%s" % (run_index, status, " (removed)" if removed else ""))


def main():
    submit_dir, cluster, ready_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    try:
        run = Run(submit_dir, cluster, ready_fd)
    except Exception:  # noqa: BLE001
        log("cannot start:\n" + traceback.format_exc())
        return 1
    try:
        run.execute()
    except Exception:  # noqa: BLE001
        log("crashed:\n" + traceback.format_exc())
        run.remove_pid_file()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
