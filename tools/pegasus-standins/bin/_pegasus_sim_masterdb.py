"""Pegasus simulator: the Pegasus 5.1.3 master database ("workflow.db").

Part of the "Pegasus simulator" test stand-ins (tools/pegasus-standins). NOT Pegasus.

MASTER_DB_DDL is the exact DDL that the real Pegasus 5.1.3 writes, taken verbatim from
``sqlite_master.sql`` of a database created by

    HOME=$TMP PYTHONHASHSEED=0 pegasus-db-admin update -t master -c <empty properties file>

(the call the real pegasus-plan makes through PegasusDBAdmin), in creation order, without the
automatic ``sqlite_sequence`` table. The order of the values inside the enum CHECK constraints
and of the indexes depends on Python's hash seed in the real tool (SQLAlchemy builds them from
sets), so ``check-master-schema.sh`` compares the two schemas after normalising those lists.

The ``dbversion`` table gets the row the real ``db_create`` inserts:
version=CURRENT_DB_VERSION (14, as a string), version_number=14, version_timestamp=epoch seconds.

Only the standard library is used (sqlite3).
"""

import fcntl
import os
import sqlite3
import time

# Pegasus.db.admin.admin_loader.CURRENT_DB_VERSION in 5.1.3
CURRENT_DB_VERSION = 14
# what `pegasus-db-admin` prints as "Database version: '5.0.1' (...)" for schema 14 in 5.1.3
PRINTED_DB_VERSION = "5.0.1"

BUSY_TIMEOUT_SECONDS = 30.0

MASTER_DB_DDL = (
    'CREATE TABLE dbversion (\n\tid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, \n\tversion_number INTEGER, \n\tversion VARCHAR(50) NOT NULL, \n\tversion_timestamp INTEGER NOT NULL\n)',
    'CREATE TABLE workflow (\n\twf_id INTEGER NOT NULL, \n\twf_uuid VARCHAR(255) NOT NULL, \n\tdag_file_name VARCHAR(255), \n\ttimestamp NUMERIC(16, 6), \n\tsubmit_hostname VARCHAR(255), \n\tsubmit_dir TEXT, \n\tplanner_arguments TEXT, \n\tuser VARCHAR(255), \n\tgrid_dn VARCHAR(255), \n\tplanner_version VARCHAR(255), \n\tdax_label VARCHAR(255), \n\tdax_version VARCHAR(255), \n\tdax_file VARCHAR(255), \n\tdb_url TEXT, \n\tparent_wf_id INTEGER, \n\troot_wf_id INTEGER, \n\tPRIMARY KEY (wf_id), \n\tFOREIGN KEY(parent_wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE, \n\tCONSTRAINT "UNIQUE_WF_UUID" UNIQUE (wf_uuid)\n)',
    'CREATE TABLE rc_lfn (\n\tlfn_id INTEGER NOT NULL, \n\tlfn VARCHAR(245) NOT NULL, \n\tPRIMARY KEY (lfn_id), \n\tCONSTRAINT "UNIQUE_LFN" UNIQUE (lfn)\n)',
    'CREATE TABLE master_workflow (\n\twf_id INTEGER NOT NULL, \n\twf_uuid VARCHAR(255) NOT NULL, \n\tdax_label VARCHAR(255), \n\tdax_version VARCHAR(255), \n\tdax_file VARCHAR(255), \n\tdag_file_name VARCHAR(255), \n\ttimestamp NUMERIC(16, 6), \n\tsubmit_hostname VARCHAR(255), \n\tsubmit_dir TEXT, \n\tplanner_arguments TEXT, \n\tuser VARCHAR(255), \n\tgrid_dn VARCHAR(255), \n\tplanner_version VARCHAR(255), \n\tdb_url TEXT, \n\tarchived BOOLEAN NOT NULL, \n\tPRIMARY KEY (wf_id), \n\tCHECK (archived IN (0, 1)), \n\tCONSTRAINT "UNIQUE_MASTER_WF_UUID" UNIQUE (wf_uuid)\n)',
    'CREATE TABLE ensemble (\n\tid INTEGER NOT NULL, \n\tname VARCHAR(100) NOT NULL, \n\tcreated DATETIME NOT NULL, \n\tupdated DATETIME NOT NULL, \n\tstate VARCHAR(6) NOT NULL, \n\tmax_running INTEGER NOT NULL, \n\tmax_planning INTEGER NOT NULL, \n\tusername VARCHAR(100) NOT NULL, \n\tPRIMARY KEY (id), \n\tCONSTRAINT ensemble_state CHECK (state IN (\'PAUSED\', \'ACTIVE\', \'HELD\')), \n\tCONSTRAINT "UNIQUE_ENSEMBLE" UNIQUE (name, username)\n)',
    "CREATE TABLE workflowstate (\n\twf_id INTEGER NOT NULL, \n\tstate VARCHAR(19) NOT NULL, \n\ttimestamp NUMERIC(16, 6) NOT NULL, \n\trestart_count INTEGER NOT NULL, \n\tstatus INTEGER, \n\treason TEXT, \n\tPRIMARY KEY (wf_id, state, timestamp), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE, \n\tCONSTRAINT workflow_state CHECK (state IN ('WORKFLOW_STARTED', 'WORKFLOW_TERMINATED'))\n)",
    'CREATE INDEX "workflowstate_timestamp_COL" ON workflowstate (timestamp)',
    'CREATE TABLE workflow_meta (\n\twf_id INTEGER NOT NULL, \n\t"key" VARCHAR(255) NOT NULL, \n\tvalue VARCHAR(255) NOT NULL, \n\tPRIMARY KEY (wf_id, "key"), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE\n)',
    'CREATE TABLE host (\n\thost_id INTEGER NOT NULL, \n\twf_id INTEGER NOT NULL, \n\tsite VARCHAR(255) NOT NULL, \n\thostname VARCHAR(255) NOT NULL, \n\tip VARCHAR(255) NOT NULL, \n\tuname VARCHAR(255), \n\ttotal_memory INTEGER, \n\tPRIMARY KEY (host_id), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE, \n\tCONSTRAINT "UNIQUE_HOST" UNIQUE (wf_id, site, hostname, ip)\n)',
    'CREATE TABLE job (\n\tjob_id INTEGER NOT NULL, \n\twf_id INTEGER NOT NULL, \n\texec_job_id VARCHAR(255) NOT NULL, \n\tsubmit_file VARCHAR(255) NOT NULL, \n\ttype_desc VARCHAR(14) NOT NULL, \n\tclustered BOOLEAN NOT NULL, \n\tmax_retries INTEGER NOT NULL, \n\texecutable TEXT NOT NULL, \n\targv TEXT, \n\ttask_count INTEGER NOT NULL, \n\tPRIMARY KEY (job_id), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE, \n\tCONSTRAINT job_type_desc CHECK (type_desc IN (\'unknown\', \'compute\', \'stage-in-tx\', \'stage-out-tx\', \'registration\', \'inter-site-tx\', \'create-dir\', \'staged-compute\', \'cleanup\', \'chmod\', \'dax\', \'dag\')), \n\tCHECK (clustered IN (0, 1)), \n\tCONSTRAINT "UNIQUE_JOB" UNIQUE (wf_id, exec_job_id)\n)',
    'CREATE INDEX "job_type_desc_COL" ON job (type_desc)',
    'CREATE INDEX "job_exec_job_id_COL" ON job (exec_job_id)',
    'CREATE TABLE job_edge (\n\twf_id INTEGER NOT NULL, \n\tparent_exec_job_id VARCHAR(255) NOT NULL, \n\tchild_exec_job_id VARCHAR(255) NOT NULL, \n\tPRIMARY KEY (wf_id, parent_exec_job_id, child_exec_job_id), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE\n)',
    'CREATE TABLE task_edge (\n\twf_id INTEGER NOT NULL, \n\tparent_abs_task_id VARCHAR(255) NOT NULL, \n\tchild_abs_task_id VARCHAR(255) NOT NULL, \n\tPRIMARY KEY (wf_id, parent_abs_task_id, child_abs_task_id), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE\n)',
    'CREATE TABLE rc_pfn (\n\tpfn_id INTEGER NOT NULL, \n\tlfn_id INTEGER NOT NULL, \n\tpfn VARCHAR(245) NOT NULL, \n\tsite VARCHAR(245), \n\tPRIMARY KEY (pfn_id), \n\tFOREIGN KEY(lfn_id) REFERENCES rc_lfn (lfn_id) ON DELETE CASCADE, \n\tCONSTRAINT "UNIQUE_PFN" UNIQUE (lfn_id, pfn, site)\n)',
    'CREATE TABLE rc_meta (\n\tlfn_id INTEGER NOT NULL, \n\t"key" VARCHAR(245) NOT NULL, \n\tvalue VARCHAR(245) NOT NULL, \n\tPRIMARY KEY (lfn_id, "key"), \n\tFOREIGN KEY(lfn_id) REFERENCES rc_lfn (lfn_id) ON DELETE CASCADE\n)',
    "CREATE TABLE master_workflowstate (\n\twf_id INTEGER NOT NULL, \n\tstate VARCHAR(19) NOT NULL, \n\ttimestamp NUMERIC(16, 6) NOT NULL, \n\trestart_count INTEGER NOT NULL, \n\tstatus INTEGER, \n\treason TEXT, \n\tPRIMARY KEY (wf_id, state, timestamp), \n\tFOREIGN KEY(wf_id) REFERENCES master_workflow (wf_id) ON DELETE CASCADE, \n\tCONSTRAINT master_workflow_state CHECK (state IN ('WORKFLOW_STARTED', 'WORKFLOW_TERMINATED'))\n)",
    'CREATE TABLE ensemble_workflow (\n\tid INTEGER NOT NULL, \n\tensemble_id INTEGER NOT NULL, \n\tname VARCHAR(100) NOT NULL, \n\tbasedir VARCHAR(512) NOT NULL, \n\tcreated DATETIME NOT NULL, \n\tupdated DATETIME NOT NULL, \n\tstate VARCHAR(11) NOT NULL, \n\tpriority INTEGER NOT NULL, \n\twf_uuid VARCHAR(36), \n\tsubmitdir VARCHAR(512), \n\tplan_command VARCHAR(1024) NOT NULL, \n\tPRIMARY KEY (id), \n\tFOREIGN KEY(ensemble_id) REFERENCES ensemble (id), \n\tCONSTRAINT ensemble_wf_state CHECK (state IN (\'PLANNING\', \'QUEUED\', \'RUNNING\', \'FAILED\', \'ABORTED\', \'PLAN_FAILED\', \'READY\', \'RUN_FAILED\', \'SUCCESSFUL\')), \n\tCONSTRAINT "UNIQUE_ENSEMBLE_WORKFLOW" UNIQUE (ensemble_id, name)\n)',
    'CREATE TABLE "trigger" (\n\tid INTEGER NOT NULL, \n\tensemble_id INTEGER NOT NULL, \n\tname VARCHAR(100) NOT NULL, \n\tstate VARCHAR(7) NOT NULL, \n\tworkflow TEXT NOT NULL, \n\targs TEXT, \n\ttype VARCHAR(12) NOT NULL, \n\tPRIMARY KEY (id), \n\tFOREIGN KEY(ensemble_id) REFERENCES ensemble (id), \n\tCONSTRAINT trigger_state CHECK (state IN (\'READY\', \'STOPPED\', \'FAILED\', \'RUNNING\')), \n\tCONSTRAINT trigger_type CHECK (type IN (\'CRON\', \'FILE_PATTERN\')), \n\tCONSTRAINT "UNIQUE_TRIGGER" UNIQUE (ensemble_id, name)\n)',
    'CREATE TABLE job_instance (\n\tjob_instance_id INTEGER NOT NULL, \n\tjob_id INTEGER NOT NULL, \n\thost_id INTEGER, \n\tjob_submit_seq INTEGER NOT NULL, \n\tsched_id VARCHAR(255), \n\tsite VARCHAR(255), \n\tuser VARCHAR(255), \n\twork_dir TEXT, \n\tcluster_start NUMERIC(16, 6), \n\tcluster_duration NUMERIC(10, 3), \n\tlocal_duration NUMERIC(10, 3), \n\tsubwf_id INTEGER, \n\tstdout_file VARCHAR(255), \n\tstdout_text TEXT, \n\tstderr_file VARCHAR(255), \n\tstderr_text TEXT, \n\tstdin_file VARCHAR(255), \n\tmultiplier_factor INTEGER NOT NULL, \n\texitcode INTEGER, \n\tPRIMARY KEY (job_instance_id), \n\tFOREIGN KEY(job_id) REFERENCES job (job_id) ON DELETE CASCADE, \n\tFOREIGN KEY(host_id) REFERENCES host (host_id) ON DELETE SET NULL, \n\tFOREIGN KEY(subwf_id) REFERENCES workflow (wf_id) ON DELETE SET NULL, \n\tCONSTRAINT "UNIQUE_JOB_INSTANCE" UNIQUE (job_id, job_submit_seq)\n)',
    'CREATE TABLE task (\n\ttask_id INTEGER NOT NULL, \n\twf_id INTEGER NOT NULL, \n\tjob_id INTEGER, \n\tabs_task_id VARCHAR(255) NOT NULL, \n\ttransformation TEXT NOT NULL, \n\targv TEXT, \n\ttype_desc VARCHAR(255) NOT NULL, \n\tPRIMARY KEY (task_id), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE, \n\tFOREIGN KEY(job_id) REFERENCES job (job_id) ON DELETE SET NULL, \n\tCONSTRAINT "UNIQUE_TASK" UNIQUE (wf_id, abs_task_id)\n)',
    'CREATE INDEX "task_wf_id_COL" ON task (wf_id)',
    'CREATE INDEX "task_abs_task_id_COL" ON task (abs_task_id)',
    'CREATE TABLE jobstate (\n\tjob_instance_id INTEGER NOT NULL, \n\tstate VARCHAR(255) NOT NULL, \n\ttimestamp NUMERIC(16, 6) NOT NULL, \n\tjobstate_submit_seq INTEGER NOT NULL, \n\treason TEXT, \n\tPRIMARY KEY (job_instance_id, state, timestamp, jobstate_submit_seq), \n\tFOREIGN KEY(job_instance_id) REFERENCES job_instance (job_instance_id) ON DELETE CASCADE\n)',
    'CREATE INDEX "jobstate_jobstate_submit_seq_COL" ON jobstate (jobstate_submit_seq)',
    'CREATE TABLE tag (\n\ttag_id INTEGER NOT NULL, \n\twf_id INTEGER NOT NULL, \n\tjob_instance_id INTEGER NOT NULL, \n\tname VARCHAR(255) NOT NULL, \n\tcount INTEGER NOT NULL, \n\tPRIMARY KEY (tag_id), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE, \n\tFOREIGN KEY(job_instance_id) REFERENCES job_instance (job_instance_id) ON DELETE CASCADE, \n\tCONSTRAINT "UNIQUE_TAG" UNIQUE (wf_id, job_instance_id)\n)',
    'CREATE TABLE task_meta (\n\ttask_id INTEGER NOT NULL, \n\t"key" VARCHAR(255) NOT NULL, \n\tvalue VARCHAR(255) NOT NULL, \n\tPRIMARY KEY (task_id, "key"), \n\tFOREIGN KEY(task_id) REFERENCES task (task_id) ON DELETE CASCADE\n)',
    'CREATE TABLE invocation (\n\tinvocation_id INTEGER NOT NULL, \n\twf_id INTEGER NOT NULL, \n\tjob_instance_id INTEGER NOT NULL, \n\ttask_submit_seq INTEGER NOT NULL, \n\tstart_time NUMERIC(16, 6) NOT NULL, \n\tremote_duration NUMERIC(10, 3) NOT NULL, \n\tremote_cpu_time NUMERIC(10, 3), \n\texitcode INTEGER NOT NULL, \n\ttransformation TEXT NOT NULL, \n\texecutable TEXT NOT NULL, \n\targv TEXT, \n\tabs_task_id VARCHAR(255), \n\tmaxrss INTEGER, \n\tavg_cpu NUMERIC(16, 6), \n\tPRIMARY KEY (invocation_id), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE, \n\tFOREIGN KEY(job_instance_id) REFERENCES job_instance (job_instance_id) ON DELETE CASCADE, \n\tCONSTRAINT "UNIQUE_INVOCATION" UNIQUE (job_instance_id, task_submit_seq)\n)',
    'CREATE INDEX "invoc_wf_id_COL" ON invocation (wf_id)',
    'CREATE INDEX "invoc_abs_task_id_COL" ON invocation (abs_task_id)',
    'CREATE TABLE integrity (\n\tintegrity_id INTEGER NOT NULL, \n\twf_id INTEGER NOT NULL, \n\tjob_instance_id INTEGER NOT NULL, \n\ttype VARCHAR(7) NOT NULL, \n\tfile_type VARCHAR(6), \n\tcount INTEGER NOT NULL, \n\tduration NUMERIC(10, 3) NOT NULL, \n\tPRIMARY KEY (integrity_id), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE, \n\tFOREIGN KEY(job_instance_id) REFERENCES job_instance (job_instance_id) ON DELETE CASCADE, \n\tCONSTRAINT integrity_type_desc CHECK (type IN (\'check\', \'compute\')), \n\tCONSTRAINT integrity_file_type_desc CHECK (file_type IN (\'input\', \'output\')), \n\tCONSTRAINT "UNIQUE_INTEGRITY" UNIQUE (job_instance_id, type, file_type)\n)',
    'CREATE TABLE workflow_files (\n\twf_id INTEGER NOT NULL, \n\ttask_id INTEGER NOT NULL, \n\tlfn_id INTEGER NOT NULL, \n\tfile_type VARCHAR(255), \n\tPRIMARY KEY (wf_id, task_id, lfn_id), \n\tFOREIGN KEY(wf_id) REFERENCES workflow (wf_id) ON DELETE CASCADE, \n\tFOREIGN KEY(task_id) REFERENCES task (task_id) ON DELETE CASCADE, \n\tFOREIGN KEY(lfn_id) REFERENCES rc_lfn (lfn_id) ON DELETE CASCADE\n)',
)


def sqlite_path_from_url(url, base_dir=None):
    """Return the file path of an SQLAlchemy sqlite URL, or None for other databases.

    sqlite:///relative/path (three slashes) is relative (to base_dir, else the cwd),
    sqlite:////absolute/path (four slashes) is absolute, as in SQLAlchemy.
    """
    if url is None:
        return None
    url = url.strip()
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):]
    if "?" in path:
        path = path.split("?", 1)[0]
    if not path:
        return None
    if not os.path.isabs(path):
        path = os.path.join(base_dir or os.getcwd(), path)
    return os.path.normpath(path)


def url_for_path(path):
    """The SQLAlchemy URL Pegasus prints for an absolute sqlite path (sqlite:////abs/path)."""
    return "sqlite:///" + os.path.abspath(path)


def default_master_db_path():
    home = os.environ.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".pegasus", "workflow.db")


def connect(path, timeout=BUSY_TIMEOUT_SECONDS):
    """Open the database with a busy timeout; autocommit mode, transactions are explicit."""
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = %d" % int(timeout * 1000))
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _create_schema(conn):
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in MASTER_DB_DDL:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO dbversion (version_number, version, version_timestamp) VALUES (?, ?, ?)",
            (CURRENT_DB_VERSION, str(CURRENT_DB_VERSION), int(time.time())),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _table_count(conn):
    return conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
    ).fetchone()[0]


def ensure_master_db(path):
    """Create the master DB at `path` with the exact Pegasus schema unless it already has tables.

    Returns True if it was created now. Safe against concurrent callers: creation happens under
    an exclusive flock on "<path>.sim-lock", into a temporary file renamed into place, so a
    concurrent reader never sees a half-created database.
    """
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    if os.path.exists(path) and os.path.getsize(path) > 0:
        conn = connect(path)
        try:
            if _table_count(conn) > 0:
                return False
        finally:
            conn.close()
    lock_path = path + ".sim-lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            if os.path.exists(path) and os.path.getsize(path) > 0:
                conn = connect(path)
                try:
                    if _table_count(conn) > 0:
                        return False
                    # an existing but empty database: create the tables in place
                    _create_schema(conn)
                    return True
                finally:
                    conn.close()
            tmp = "%s.sim-tmp-%d" % (path, os.getpid())
            if os.path.exists(tmp):
                os.unlink(tmp)
            conn = connect(tmp)
            try:
                _create_schema(conn)
            finally:
                conn.close()
            os.rename(tmp, path)
            return True
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _write(path, fn):
    """Run fn(conn) inside one short IMMEDIATE transaction, retrying on 'database is locked'."""
    deadline = time.time() + 120
    while True:
        conn = connect(path)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
                return result
            except BaseException:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                raise
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            if time.time() > deadline:
                raise
            time.sleep(0.05)
        finally:
            conn.close()


def insert_master_workflow(path, row):
    """Insert the master_workflow row for row['wf_uuid'] if absent (monitord's dashboard.wf.plan).

    Returns the wf_id.
    """
    columns = (
        "wf_uuid", "dax_label", "dax_version", "dax_file", "dag_file_name", "timestamp",
        "submit_hostname", "submit_dir", "planner_arguments", "user", "grid_dn",
        "planner_version", "db_url",
    )

    def fn(conn):
        found = conn.execute(
            "SELECT wf_id FROM master_workflow WHERE wf_uuid = ?", (row["wf_uuid"],)
        ).fetchone()
        if found:
            return found[0]
        cur = conn.execute(
            "INSERT INTO master_workflow (%s, archived) VALUES (%s, 0)"
            % (", ".join(columns), ", ".join("?" for _ in columns)),
            tuple(row.get(c) for c in columns),
        )
        return cur.lastrowid

    return _write(path, fn)


def insert_workflow_state(path, wf_id, state, timestamp, restart_count, status=None, reason=None):
    """Insert a master_workflowstate row (monitord's dashboard.xwf.start / dashboard.xwf.end)."""

    def fn(conn):
        conn.execute(
            "INSERT INTO master_workflowstate (wf_id, state, timestamp, restart_count, status, reason)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (wf_id, state, timestamp, restart_count, status, reason),
        )

    _write(path, fn)


def schema_entries(path):
    """(type, name, tbl_name, sql) of every schema object, for comparisons."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
        ).fetchall()
    finally:
        conn.close()


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: _pegasus_sim_masterdb.py <path-to-new-workflow.db>\n")
        sys.exit(2)
    created = ensure_master_db(sys.argv[1])
    print(("created " if created else "exists ") + os.path.abspath(sys.argv[1]))
