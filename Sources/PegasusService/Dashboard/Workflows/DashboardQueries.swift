import Foundation

/// SQL of the workflow list, run on the target user's master database (`~/.pegasus/workflow.db`).
///
/// Everything is filtered, counted, sorted and paged in SQLite: one aggregate query for the counters and the
/// number of matching rows, one query for the page.
struct MasterListQueries: Sendable {
    let scope: UserScope

    /// The state of a root workflow from its latest master state row `ws` (Pegasus' rule, with workflows
    /// without a state row, or whose latest row is a start, counted as running).
    static let stateCase = """
        CASE WHEN ws.status IS NULL OR ws.state = 'WORKFLOW_STARTED' THEN 'Running' \
        WHEN ws.status = 0 THEN 'Successful' ELSE 'Failed' END
        """

    /// Joins exactly one latest state row `ws` to root workflow `r`: the newest timestamp, then the highest
    /// restart count, then a termination before a start of the same run (two rows can share a second).
    static let latestStateJoin = """
        LEFT JOIN master_workflowstate ws ON ws.rowid = (
            SELECT s.rowid FROM master_workflowstate s WHERE s.wf_id = r.wf_id
            ORDER BY s.timestamp DESC, s.restart_count DESC, s.state = 'WORKFLOW_TERMINATED' DESC LIMIT 1)
        """

    /// The `wf` view: every root workflow with its latest state (see ``latestStateJoin``).
    static let rootsWithState = """
        WITH wf AS (
            SELECT r.wf_id, r.wf_uuid, r.dax_label, r.submit_hostname, r.submit_dir, r.timestamp,
                   ws.state AS ws_state, ws.status AS ws_status, ws.reason AS ws_reason,
                   \(stateCase) AS state
            FROM master_workflow r \(latestStateJoin))
        """

    /// The counters and the number of rows that pass `filter`.
    struct Counts: Sendable, Equatable {
        var total = 0
        var running = 0
        var successful = 0
        var failed = 0
        var matching = 0
    }

    /// Counts all root workflows by state, and those matching `filter`.
    func counts(filter: SQLFragment) async throws(UserDataFailure) -> Counts {
        let sql = """
            \(Self.rootsWithState)
            SELECT count(*) AS total, ifnull(sum(state = 'Running'), 0) AS running,
                   ifnull(sum(state = 'Successful'), 0) AS successful, ifnull(sum(state = 'Failed'), 0) AS failed,
                   ifnull(sum(CASE WHEN \(filter.sql) THEN 1 ELSE 0 END), 0) AS matching
            FROM wf
            """
        let row = try await scope.data.query(scope.masterDatabase, sql, filter.arguments).records.first ?? [:]
        func number(_ key: String) -> Int { Int(row[key]?.int ?? 0) }
        return Counts(
            total: number("total"), running: number("running"), successful: number("successful"),
            failed: number("failed"), matching: number("matching"))
    }

    /// One page of the root workflows matching `filter`, ordered by `order` (a column of the `wf` view).
    ///
    /// When neither the filter nor the order involves the state (`needsState` false; the filter may then only
    /// use `master_workflow` columns), the page is cut from `master_workflow` first and the latest state looked up
    /// for its rows alone.
    func page(filter: SQLFragment, needsState: Bool, order: String, descending: Bool, paging: Paging)
        async throws(UserDataFailure) -> [[String: SQLValue]]
    {
        let direction = descending ? "DESC" : "ASC"
        let sql: String
        if needsState {
            sql = """
                \(Self.rootsWithState)
                SELECT * FROM wf WHERE \(filter.sql)
                ORDER BY \(order) \(direction), wf_id \(direction) LIMIT ? OFFSET ?
                """
        } else {
            sql = """
                WITH page AS (
                    SELECT wf_id, wf_uuid, dax_label, submit_hostname, submit_dir, timestamp FROM master_workflow
                    WHERE \(filter.sql) ORDER BY \(order) \(direction), wf_id \(direction) LIMIT ? OFFSET ?)
                SELECT r.*, ws.state AS ws_state, ws.status AS ws_status, ws.reason AS ws_reason,
                       \(Self.stateCase) AS state
                FROM page r \(Self.latestStateJoin)
                ORDER BY r.\(order) \(direction), r.wf_id \(direction)
                """
        }
        let arguments = filter.arguments + [.int(Int64(paging.size)), .int(Int64(paging.offset))]
        return try await scope.data.query(scope.masterDatabase, sql, arguments).records
    }

    /// The root workflow with this master wf_id (digits) or wf_uuid; nil when there is none.
    func root(_ id: String) async throws(UserDataFailure) -> [String: SQLValue]? {
        let byID = !id.isEmpty && id.allSatisfy { $0.isASCII && $0.isNumber }
        let sql = """
            SELECT r.wf_id, r.wf_uuid, r.dax_label, r.submit_dir, r.db_url FROM master_workflow r
            WHERE \(byID ? "r.wf_id = ?" : "r.wf_uuid = ?") LIMIT 1
            """
        let argument: SQLValue = byID ? .int(Int64(id) ?? -1) : .text(id)
        return try await scope.data.query(scope.masterDatabase, sql, [argument]).records.first
    }
}

/// Which latest job instances a job tab lists (the job tabs of Pegasus' dashboard, docs/dashboard.md).
enum JobTab: String, CaseIterable, Sendable {
    /// Latest instance with a non-zero exit code.
    case failed
    /// Latest instance without an exit code yet.
    case running
    /// Latest instance with exit code 0 (with its duration).
    case successful
    /// Failed at least once and an instance is still running: retries remain (Pegasus #924).
    case failing

    var title: String {
        switch self {
        case .failed: "Failed"
        case .running: "Running"
        case .successful: "Successful"
        case .failing: "Failing"
        }
    }
}

/// Job counts of one workflow by the state of each job's latest instance (Pegasus'
/// `WorkflowInfo.get_workflow_job_counts`), plus failing jobs and the cumulative wall time.
struct JobCounts: Sendable, Equatable {
    var total = 0
    var totalWorkflow = 0
    var success = 0
    var successWorkflow = 0
    var fail = 0
    var failWorkflow = 0
    var running = 0
    var runningWorkflow = 0
    var failing = 0
    /// Sum of remote_duration × multiplier_factor of the invocations of this workflow and its sub-workflows.
    var cumulativeWallTime: Double?

    /// Jobs without an instance (unsubmitted).
    var others: Int { total - success - fail - running }
    var othersWorkflow: Int { totalWorkflow - successWorkflow - failWorkflow - runningWorkflow }

    func count(_ tab: JobTab) -> Int {
        switch tab {
        case .failed: fail
        case .running: running
        case .successful: success
        case .failing: failing
        }
    }
}

/// SQL on one workflow's STAMPEDE database. Every query is bounded: counts are aggregated in SQLite and job
/// lists are paged, so a workflow of 100,000 jobs never crosses the reader protocol as a whole.
struct StampedeQueries: Sendable {
    let scope: UserScope
    /// The absolute path of the STAMPEDE database.
    let database: String

    /// The state of a workflow from its latest `workflowstate` row `ws`.
    static let stateCase = """
        CASE WHEN ws.wf_id IS NULL OR ws.status IS NULL OR ws.state = 'WORKFLOW_STARTED' THEN 'Running' \
        WHEN ws.status = 0 THEN 'Successful' ELSE 'Failed' END
        """

    /// Joins the latest `workflowstate` row of workflow `w` as `ws`.
    static let latestStateJoin = """
        LEFT JOIN workflowstate ws ON ws.rowid = (
            SELECT s.rowid FROM workflowstate s WHERE s.wf_id = w.wf_id
            ORDER BY s.timestamp DESC, s.restart_count DESC, s.state = 'WORKFLOW_TERMINATED' DESC LIMIT 1)
        """

    /// Sub-workflow job types.
    static let workflowTypes = "('dag', 'dax')"

    private func rows(_ sql: String, _ arguments: [SQLValue]) async throws(UserDataFailure) -> [[String: SQLValue]] {
        try await scope.data.query(database, sql, arguments).records
    }

    /// One workflow by stampede wf_id or wf_uuid, with its latest state and wall time (the sum of terminations
    /// minus the sum of starts when both are present in equal numbers, as Pegasus computes it).
    func workflow(id: Int64?, uuid: String?) async throws(UserDataFailure) -> [String: SQLValue]? {
        let condition: String
        let argument: SQLValue
        if let id {
            condition = "w.wf_id = ?"
            argument = .int(id)
        } else {
            condition = "w.wf_uuid = ?"
            argument = .text(uuid ?? "")
        }
        let sql = """
            SELECT w.wf_id, w.wf_uuid, w.parent_wf_id, w.root_wf_id, w.dag_file_name, w.submit_hostname,
                   w.submit_dir, w.user, w.planner_version, w.dax_label, w.dax_version, w.timestamp,
                   ws.state AS ws_state, ws.status AS ws_status, ws.reason AS ws_reason, ws.timestamp AS ws_timestamp,
                   \(Self.stateCase) AS state,
                   p.dax_label AS parent_label,
                   (SELECT CASE WHEN starts > 0 AND starts = ends THEN total END FROM (
                        SELECT sum(s.state = 'WORKFLOW_STARTED') AS starts, sum(s.state <> 'WORKFLOW_STARTED') AS ends,
                               sum(CASE WHEN s.state = 'WORKFLOW_STARTED' THEN -s.timestamp ELSE s.timestamp END)
                                   AS total
                        FROM workflowstate s WHERE s.wf_id = w.wf_id)) AS wall_time
            FROM workflow w \(Self.latestStateJoin)
            LEFT JOIN workflow p ON p.wf_id = w.parent_wf_id
            WHERE \(condition) LIMIT 1
            """
        return try await rows(sql, [argument]).first
    }

    /// The job counts of workflow `wf` and the cumulative wall time of it and its sub-workflows.
    func jobCounts(wf: Int64) async throws(UserDataFailure) -> JobCounts {
        let sql = """
            WITH latest AS (
                SELECT ji.job_id, max(ji.job_submit_seq) AS seq, ji.exitcode AS exitcode,
                       sum(ji.exitcode IS NULL) AS open_count, sum(ji.exitcode <> 0) AS failed_count
                FROM job_instance ji WHERE ji.job_id IN (SELECT job_id FROM job WHERE wf_id = ?)
                GROUP BY ji.job_id),
            tree(id) AS (SELECT ? UNION SELECT c.wf_id FROM workflow c JOIN tree ON c.parent_wf_id = tree.id)
            SELECT count(*) AS total,
                   ifnull(sum(j.type_desc IN \(Self.workflowTypes)), 0) AS total_workflow,
                   ifnull(sum(l.exitcode = 0), 0) AS success,
                   ifnull(sum(l.exitcode = 0 AND j.type_desc IN \(Self.workflowTypes)), 0) AS success_workflow,
                   ifnull(sum(l.exitcode <> 0), 0) AS fail,
                   ifnull(sum(l.exitcode <> 0 AND j.type_desc IN \(Self.workflowTypes)), 0) AS fail_workflow,
                   ifnull(sum(l.seq IS NOT NULL AND l.exitcode IS NULL), 0) AS running,
                   ifnull(sum(l.seq IS NOT NULL AND l.exitcode IS NULL AND j.type_desc IN \(Self.workflowTypes)), 0)
                       AS running_workflow,
                   ifnull(sum(l.open_count > 0 AND l.failed_count > 0), 0) AS failing,
                   (SELECT sum(i.remote_duration * ji.multiplier_factor)
                    FROM invocation i JOIN job_instance ji ON ji.job_instance_id = i.job_instance_id
                    WHERE i.wf_id IN tree AND i.task_submit_seq >= 0 AND i.transformation <> 'condor::dagman')
                       AS cumulative_wall_time
            FROM job j LEFT JOIN latest l ON l.job_id = j.job_id
            WHERE j.wf_id = ?
            """
        let row = try await rows(sql, [.int(wf), .int(wf), .int(wf)]).first ?? [:]
        func number(_ key: String) -> Int { Int(row[key]?.int ?? 0) }
        return JobCounts(
            total: number("total"), totalWorkflow: number("total_workflow"), success: number("success"),
            successWorkflow: number("success_workflow"), fail: number("fail"), failWorkflow: number("fail_workflow"),
            running: number("running"), runningWorkflow: number("running_workflow"), failing: number("failing"),
            cumulativeWallTime: row["cumulative_wall_time"]?.double)
    }

    /// The metadata of workflow `wf` (`workflow_meta`), by key.
    func metadata(wf: Int64) async throws(UserDataFailure) -> [[String: SQLValue]] {
        try await rows(#"SELECT "key", value FROM workflow_meta WHERE wf_id = ? ORDER BY "key" LIMIT 1000"#, [.int(wf)])
    }

    /// The direct sub-workflows of `wf` with their states.
    func subWorkflows(of wf: Int64, limit: Int) async throws(UserDataFailure) -> [[String: SQLValue]] {
        let sql = """
            SELECT w.wf_id, w.wf_uuid, w.dax_label, w.submit_dir, ws.reason AS ws_reason, \(Self.stateCase) AS state
            FROM workflow w \(Self.latestStateJoin)
            WHERE w.parent_wf_id = ? ORDER BY w.wf_id LIMIT ?
            """
        return try await rows(sql, [.int(wf), .int(Int64(limit))])
    }

    /// One page of a job tab of workflow `wf`, ordered by job name.
    ///
    /// SQLite walks the `(wf_id, exec_job_id)` index in order and looks up each job's latest instance through
    /// the `(job_id, job_submit_seq)` index, stopping once the page is full: the first pages cost a few lookups
    /// even with 100,000 jobs, the last page one pass over the jobs.
    func jobs(_ tab: JobTab, wf: Int64, paging: Paging) async throws(UserDataFailure) -> [[String: SQLValue]] {
        let latest: String
        var condition = ""
        switch tab {
        case .failing:
            // The latest failed instance of jobs that also have an instance still running.
            latest = "x.job_id = j.job_id AND x.exitcode <> 0"
            condition = """
                AND EXISTS (SELECT 1 FROM job_instance r WHERE r.job_id = j.job_id AND r.exitcode IS NULL)
                """
        case .failed:
            latest = "x.job_id = j.job_id"
            condition = "AND ji.exitcode <> 0"
        case .running:
            latest = "x.job_id = j.job_id"
            condition = "AND ji.exitcode IS NULL"
        case .successful:
            latest = "x.job_id = j.job_id"
            condition = "AND ji.exitcode = 0"
        }
        let sql = """
            SELECT j.job_id, j.exec_job_id, j.type_desc, ji.job_instance_id, ji.exitcode,
                   CASE WHEN j.clustered = 1 THEN ji.cluster_duration ELSE ji.local_duration END AS duration
            FROM job j JOIN job_instance ji ON ji.job_id = j.job_id
                AND ji.job_submit_seq = (SELECT max(x.job_submit_seq) FROM job_instance x WHERE \(latest))
            WHERE j.wf_id = ? \(condition)
            ORDER BY j.exec_job_id LIMIT ? OFFSET ?
            """
        return try await rows(sql, [.int(wf), .int(Int64(paging.size)), .int(Int64(paging.offset))])
    }

    /// One job instance of job `job` in workflow `wf`, with its job, host and the workflow's submit directory.
    func jobInstance(wf: Int64, job: Int64, instance: Int64) async throws(UserDataFailure) -> [String: SQLValue]? {
        let sql = """
            SELECT j.job_id, j.exec_job_id, j.type_desc, j.clustered, j.submit_file, j.max_retries, j.executable,
                   j.argv, j.task_count,
                   ji.job_instance_id, ji.job_submit_seq, ji.sched_id, ji.site AS instance_site, ji.work_dir,
                   ji.exitcode, ji.stdout_file, ji.stderr_file, ji.local_duration, ji.cluster_duration, ji.subwf_id,
                   h.site, h.hostname, h.ip, w.submit_dir, w.dax_label, w.wf_uuid, sw.dax_label AS subwf_label
            FROM job j JOIN job_instance ji ON ji.job_id = j.job_id JOIN workflow w ON w.wf_id = j.wf_id
            LEFT JOIN host h ON h.host_id = ji.host_id LEFT JOIN workflow sw ON sw.wf_id = ji.subwf_id
            WHERE j.wf_id = ? AND j.job_id = ? AND ji.job_instance_id = ?
            """
        return try await rows(sql, [.int(wf), .int(job), .int(instance)]).first
    }

    /// The states of a job instance in order.
    func jobStates(instance: Int64) async throws(UserDataFailure) -> [[String: SQLValue]] {
        try await rows(
            """
            SELECT state, reason, timestamp FROM jobstate WHERE job_instance_id = ?
            ORDER BY jobstate_submit_seq, timestamp
            """, [.int(instance)])
    }

    /// All instances (tries) of a job, newest first.
    func jobInstances(job: Int64) async throws(UserDataFailure) -> [[String: SQLValue]] {
        try await rows(
            """
            SELECT job_instance_id, job_submit_seq, exitcode, local_duration FROM job_instance
            WHERE job_id = ? ORDER BY job_submit_seq DESC
            """, [.int(job)])
    }

    /// The task invocations of a job instance (kickstart records: a task label, or the first record of a job
    /// without tasks), as Pegasus lists them.
    func invocations(instance: Int64) async throws(UserDataFailure) -> [[String: SQLValue]] {
        try await rows(
            """
            SELECT invocation_id, abs_task_id, exitcode, remote_duration, transformation FROM invocation
            WHERE job_instance_id = ? AND (abs_task_id IS NOT NULL OR task_submit_seq = 1)
            ORDER BY task_submit_seq
            """, [.int(instance)])
    }

    /// One invocation of a job instance with its task's metadata (one row per metadata entry, at least one).
    func invocation(wf: Int64, job: Int64, instance: Int64, invocation: Int64) async throws(UserDataFailure)
        -> [[String: SQLValue]]
    {
        let sql = """
            SELECT i.invocation_id, i.abs_task_id, i.task_submit_seq, i.start_time, i.remote_duration,
                   i.remote_cpu_time, i.exitcode, i.transformation, i.executable, i.argv, i.maxrss, i.avg_cpu,
                   ji.work_dir, j.exec_job_id, t.task_id, t.type_desc AS task_type, m."key" AS meta_key,
                   m.value AS meta_value
            FROM invocation i JOIN job_instance ji ON ji.job_instance_id = i.job_instance_id
            JOIN job j ON j.job_id = ji.job_id
            LEFT JOIN task t ON t.wf_id = j.wf_id AND t.abs_task_id = i.abs_task_id
            LEFT JOIN task_meta m ON m.task_id = t.task_id
            WHERE i.invocation_id = ? AND ji.job_instance_id = ? AND j.job_id = ? AND j.wf_id = ?
            ORDER BY m."key"
            """
        return try await rows(sql, [.int(invocation), .int(instance), .int(job), .int(wf)])
    }

    /// The stored stdout or stderr text of a job instance; nil when the instance does not exist.
    func output(_ stream: JobOutput, wf: Int64, job: Int64, instance: Int64) async throws(UserDataFailure)
        -> (found: Bool, text: String?, file: String?)
    {
        let column = stream == .stdout ? "stdout" : "stderr"
        let sql = """
            SELECT ji.\(column)_text AS text, ji.\(column)_file AS file, j.exec_job_id
            FROM job j JOIN job_instance ji ON ji.job_id = j.job_id
            WHERE j.wf_id = ? AND j.job_id = ? AND ji.job_instance_id = ?
            """
        guard let row = try await rows(sql, [.int(wf), .int(job), .int(instance)]).first else {
            return (false, nil, nil)
        }
        return (true, row["text"]?.text, row["file"]?.text)
    }
}

/// The two captured output streams of a job instance.
enum JobOutput: String, Sendable {
    case stdout, stderr
}
