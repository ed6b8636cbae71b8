import Foundation

/// The SQL behind the statistics page: the definitions of `Pegasus/db/workflow/stampede_statistics.py` (as used
/// by `pegasus-statistics` and the dashboard), rewritten as a handful of aggregate statements per page. Every
/// statement groups by `wf_id`, so one pass yields both "this workflow" and "including sub-workflows".
///
/// Differences from Pegasus, on purpose:
/// - "Including sub-workflows" of a sub-workflow is its own subtree (Pegasus' expanded queries filter on
///   `root_wf_id` and so find nothing, or the whole tree in the dashboard).
/// - "Failures: N job failures had integrity errors" counts all jobs; pegasus-statistics applies the job filter
///   left over from its sub-workflow row and so only ever counts sub-workflow jobs.
struct StatisticsQueries: Sendable {
    let workflow: StatisticsWorkflow

    /// Job instances per page of the Job Statistics.
    static let perPage = 100

    /// The two scopes of the page and the per-workflow counts of the tree.
    struct Scopes {
        var individual = StatisticsScope()
        var all = StatisticsScope()
        var perWorkflow: [(wfID: Int64, counts: StatisticsWorkflowCounts)] = []
    }

    /// Workflow statistics, time summary and integrity of this workflow and of its tree.
    func scopes() async throws -> Scopes {
        let perWorkflow = try await counts()
        let summary = try await summary()
        var scopes = Scopes()
        for id in workflow.tree {
            var counts = perWorkflow[id] ?? StatisticsWorkflowCounts()
            counts.workflowRetries = summary.workflowRetries[id] ?? 0
            scopes.perWorkflow.append((id, counts))
            scopes.all.counts = scopes.all.counts + counts
            if id == workflow.wfID { scopes.individual.counts = counts }
        }
        (scopes.individual.times, scopes.all.times) = (summary.individual, summary.all)
        (scopes.individual.integrity, scopes.all.integrity) = (summary.integrityIndividual, summary.integrityAll)
        return scopes
    }

    /// Runs every query of the statistics page.
    func report(page: Int, perPage: Int = Self.perPage) async throws -> StatisticsReport {
        let scopes = try await scopes()
        let breakdown = try await breakdown()
        let jobs = try await jobs(page: page, perPage: perPage)
        return StatisticsReport(
            workflow: workflow, individual: scopes.individual, all: scopes.all, perWorkflow: scopes.perWorkflow,
            breakdownIndividual: breakdown.individual, breakdownAll: breakdown.all, jobs: jobs)
    }

    // MARK: - Workflow Statistics (tasks, jobs, sub-workflows)

    /// Tasks, jobs and sub-workflow jobs per workflow of the tree.
    ///
    /// - jobs: `get_total_jobs_status`, `get_total_succeeded_failed_jobs_status` (latest instance by
    ///   `job_submit_seq`: exit code 0 succeeded, else failed, NULL neither) and `get_total_jobs_retries`
    ///   (instances minus jobs with instances); `type_desc` dax/dag are the sub-workflows.
    /// - tasks: `get_total_tasks_status` (tasks of non-sub-workflow type with a job),
    ///   `get_total_succeeded_tasks_status` / `failed` (distinct `abs_task_id` of the latest instances'
    ///   invocations with exit code 0 / not 0), `get_total_tasks_retries` (task invocations minus distinct tasks).
    func counts() async throws -> [Int64: StatisticsWorkflowCounts] {
        let wf = workflow
        let sql = """
            SELECT 'jobtotal' AS k, \(wf.perWorkflow("j.wf_id")) AS wf, j.type_desc IN ('dax', 'dag') AS sub,
                count(*) AS total, NULL AS a, NULL AS b, NULL AS c, NULL AS d
            FROM job j WHERE \(wf.inTree("j.wf_id")) GROUP BY 2, 3
            UNION ALL
            SELECT 'job', \(wf.perWorkflow("j.wf_id")), j.type_desc IN ('dax', 'dag'), count(*), sum(x.ec = 0),
                sum(x.ec != 0), sum(x.n - 1), NULL
            FROM (SELECT ji.job_id AS job_id, max(ji.job_submit_seq) AS last, ji.exitcode AS ec, count(*) AS n
                FROM job_instance ji GROUP BY ji.job_id) x CROSS JOIN job j ON j.job_id = x.job_id
            WHERE \(wf.inTree("j.wf_id")) GROUP BY 2, 3
            UNION ALL
            SELECT 'task', \(wf.perWorkflow("t.wf_id")), 0, count(*), NULL, NULL, NULL, NULL
            FROM task t CROSS JOIN job j ON j.job_id = t.job_id
            WHERE \(wf.inTree("t.wf_id")) AND t.type_desc NOT IN ('dax', 'dag') GROUP BY 2
            UNION ALL
            SELECT 'taskrun', \(wf.perWorkflow("j.wf_id")), 0, count(*),
                count(DISTINCT CASE WHEN ji.job_submit_seq = (
                    SELECT max(l.job_submit_seq) FROM job_instance l WHERE l.job_id = ji.job_id)
                    AND i.exitcode = 0 THEN i.abs_task_id END),
                count(DISTINCT CASE WHEN ji.job_submit_seq = (
                    SELECT max(l.job_submit_seq) FROM job_instance l WHERE l.job_id = ji.job_id)
                    AND i.exitcode != 0 THEN i.abs_task_id END),
                count(DISTINCT i.abs_task_id), NULL
            FROM invocation i CROSS JOIN job_instance ji ON ji.job_instance_id = i.job_instance_id
                CROSS JOIN job j ON j.job_id = ji.job_id
            WHERE \(wf.inTree("+i.wf_id")) AND j.wf_id = i.wf_id AND i.abs_task_id IS NOT NULL
                AND j.type_desc NOT IN ('dax', 'dag')
            GROUP BY 2
            """
        let rows = try await workflow.query(sql)
        var result: [Int64: StatisticsWorkflowCounts] = [:]
        for row in rows.rows {
            guard row.count >= 8, let kind = row[0].text, let wf = row[1].int else { continue }
            var counts = result[wf] ?? StatisticsWorkflowCounts()
            let total = Self.int(row[3])
            switch kind {
            case "jobtotal":
                if row[2].int == 1 { counts.subWorkflows.total = total } else { counts.jobs.total = total }
            case "job":
                let (succeeded, failed, retries) = (Self.int(row[4]), Self.int(row[5]), Self.int(row[6]))
                if row[2].int == 1 {
                    (counts.subWorkflows.succeeded, counts.subWorkflows.failed) = (succeeded, failed)
                    counts.subWorkflows.retries = retries
                } else {
                    (counts.jobs.succeeded, counts.jobs.failed, counts.jobs.retries) = (succeeded, failed, retries)
                }
            case "task":
                counts.tasks.total = total
            case "taskrun":
                counts.tasks.succeeded = Self.int(row[4])
                counts.tasks.failed = Self.int(row[5])
                counts.tasks.retries = total - Self.int(row[6])
            default: break
            }
            result[wf] = counts
        }
        return result
    }

    // MARK: - Workflow summary (times), integrity, workflow retries

    /// The time summary and integrity of both scopes, and each workflow's retries.
    struct Summary {
        var individual = StatisticsTimes()
        var all = StatisticsTimes()
        var integrityIndividual = StatisticsIntegrity()
        var integrityAll = StatisticsIntegrity()
        var workflowRetries: [Int64: Int] = [:]
    }

    /// - `get_workflow_cum_job_wall_time`: invocations with `task_submit_seq >= 0` except `condor::dagman`,
    ///   `remote_duration * multiplier_factor`, good (exit 0) and bad (exit > 0).
    /// - `get_submit_side_job_wall_time`: `local_duration * multiplier_factor` of the job instances; including
    ///   sub-workflows, the instances of sub-workflow jobs that started a sub-workflow are left out.
    /// - `get_workflow_wall_time`: this workflow's states, sum of ends minus sum of starts.
    /// - `get_workflow_retries`: per workflow the highest `restart_count`.
    /// - integrity metrics per type and file type, `int.error` tags, failed jobs with integrity errors.
    func summary() async throws -> Summary {
        let wf = workflow
        let sql = """
            SELECT 'cum' AS k, \(wf.perWorkflow("i.wf_id")) AS wf, 0 AS flag,
                sum(i.remote_duration * ji.multiplier_factor) AS a,
                sum(CASE WHEN i.exitcode = 0 THEN i.remote_duration * ji.multiplier_factor ELSE 0 END) AS b,
                sum(CASE WHEN i.exitcode > 0 THEN i.remote_duration * ji.multiplier_factor ELSE 0 END) AS c,
                NULL AS t1, NULL AS t2
            FROM invocation i CROSS JOIN job_instance ji ON ji.job_instance_id = i.job_instance_id
            WHERE \(wf.inTree("+i.wf_id")) AND i.task_submit_seq >= 0 AND i.transformation != 'condor::dagman'
            GROUP BY 2
            UNION ALL
            SELECT 'submit', \(wf.perWorkflow("j.wf_id")), j.type_desc IN ('dax', 'dag') AND ji.subwf_id IS NOT NULL,
                sum(ji.local_duration * ji.multiplier_factor),
                sum(CASE WHEN ji.exitcode = 0 THEN ji.local_duration * ji.multiplier_factor ELSE 0 END),
                sum(CASE WHEN ji.exitcode > 0 THEN ji.local_duration * ji.multiplier_factor ELSE 0 END), NULL, NULL
            FROM job_instance ji CROSS JOIN job j ON j.job_id = ji.job_id
            WHERE \(wf.inTree("j.wf_id")) GROUP BY 2, 3
            UNION ALL
            SELECT 'state', s.wf_id, s.state = 'WORKFLOW_STARTED', count(*), sum(s.timestamp), max(s.restart_count),
                NULL, NULL
            FROM workflowstate s WHERE \(wf.inTree("s.wf_id")) GROUP BY 2, 3
            UNION ALL
            SELECT 'integrity', g.wf_id, 0, sum(g.count), sum(g.duration), NULL, g.type, g.file_type
            FROM integrity g WHERE \(wf.inTree("g.wf_id")) GROUP BY g.wf_id, g.type, g.file_type
            UNION ALL
            SELECT 'tag', t.wf_id, 0, sum(t.count), NULL, NULL, NULL, NULL
            FROM tag t WHERE \(wf.inTree("t.wf_id")) AND t.name = 'int.error' GROUP BY t.wf_id
            UNION ALL
            SELECT 'intfail', j.wf_id, 0, count(*), NULL, NULL, NULL, NULL
            FROM tag t CROSS JOIN job_instance ji ON ji.job_instance_id = t.job_instance_id
                CROSS JOIN job j ON j.job_id = ji.job_id
            WHERE \(wf.inTree("t.wf_id")) AND t.name = 'int.error' AND t.count > 0 AND ji.exitcode != 0
                AND ji.job_submit_seq = (SELECT max(l.job_submit_seq) FROM job_instance l WHERE l.job_id = ji.job_id)
            GROUP BY j.wf_id
            """
        return Self.summarize(try await workflow.query(sql), workflow: workflow)
    }

    /// Folds the rows of ``summary()`` into the two scopes.
    static func summarize(_ rows: SQLRows, workflow: StatisticsWorkflow) -> Summary {
        var summary = Summary()
        let me = workflow.wfID
        var starts = (count: 0, sum: 0.0)
        var ends = (count: 0, sum: 0.0)
        var integrityAll: [String: StatisticsIntegrityRow] = [:]
        for row in rows.rows {
            guard row.count >= 8, let kind = row[0].text, let wf = row[1].int else { continue }
            let mine = wf == me
            let (a, b, c) = (row[3].double, row[4].double, row[5].double)
            switch kind {
            case "cum":
                if mine {
                    summary.individual.cumulativeJobWallTime = a
                    summary.individual.cumulativeGoodput = b
                    summary.individual.cumulativeBadput = c
                }
                add(&summary.all.cumulativeJobWallTime, a)
                add(&summary.all.cumulativeGoodput, b)
                add(&summary.all.cumulativeBadput, c)
            case "submit":
                if mine {
                    add(&summary.individual.submitSideWallTime, a)
                    add(&summary.individual.submitSideGoodput, b)
                    add(&summary.individual.submitSideBadput, c)
                }
                if row[2].int != 1 {
                    add(&summary.all.submitSideWallTime, a)
                    add(&summary.all.submitSideGoodput, b)
                    add(&summary.all.submitSideBadput, c)
                }
            case "state":
                summary.workflowRetries[wf] = max(summary.workflowRetries[wf] ?? 0, Int(row[5].int ?? 0))
                if mine {
                    if row[2].int == 1 {
                        starts = (Int(a ?? 0), b ?? 0)
                    } else {
                        ends = (ends.count + Int(a ?? 0), ends.sum + (b ?? 0))
                    }
                }
            case "integrity":
                let item = StatisticsIntegrityRow(
                    type: row[6].text ?? "", fileType: row[7].text, count: Int(row[3].int ?? 0), duration: b ?? 0)
                if mine { summary.integrityIndividual.rows.append(item) }
                let key = item.type + "\u{0}" + (item.fileType ?? "")
                var merged =
                    integrityAll[key]
                    ?? StatisticsIntegrityRow(
                        type: item.type, fileType: item.fileType, count: 0, duration: 0)
                merged.count += item.count
                merged.duration += item.duration
                integrityAll[key] = merged
            case "tag":
                if mine { summary.integrityIndividual.errors = Int(row[3].int ?? 0) }
                summary.integrityAll.errors += Int(row[3].int ?? 0)
            case "intfail":
                if mine { summary.integrityIndividual.failedJobs = Int(row[3].int ?? 0) }
                summary.integrityAll.failedJobs += Int(row[3].int ?? 0)
            default: break
            }
        }
        let order: (StatisticsIntegrityRow, StatisticsIntegrityRow) -> Bool = {
            ($0.type, $0.fileType ?? "") < ($1.type, $1.fileType ?? "")
        }
        summary.integrityIndividual.rows.sort(by: order)
        summary.integrityAll.rows = integrityAll.values.sorted(by: order)
        if starts.count > 0, ends.count > 0, starts.count == ends.count {
            // Microsecond timestamps: round away the binary noise of the float sums.
            let wall = ((ends.sum - starts.sum) * 1e6).rounded() / 1e6
            summary.individual.wallTime = wall
            summary.all.wallTime = wall
        }
        summary.individual.retries = summary.workflowRetries[me] ?? 0
        summary.all.retries = workflow.tree.reduce(0) { $0 + (summary.workflowRetries[$1] ?? 0) }
        return summary
    }

    private static func add(_ total: inout Double?, _ value: Double?) {
        guard let value else { return }
        total = (total ?? 0) + value
    }

    // MARK: - Job Breakdown

    /// `get_transformation_statistics`: invocations per transformation and exit class, runtime
    /// `remote_duration * multiplier_factor`, memory `maxrss` and CPU `avg_cpu`; for this workflow and for its
    /// tree (one statement, the second half only when there are sub-workflows).
    func breakdown() async throws -> (individual: [StatisticsBreakdownRow], all: [StatisticsBreakdownRow]) {
        func select(_ scope: Int, _ filter: String) -> String {
            """
            SELECT \(scope) AS scope, i.transformation AS transformation,
                CASE WHEN i.exitcode = 0 THEN 'successful' ELSE 'failed' END AS type, count(*) AS count,
                min(i.remote_duration * ji.multiplier_factor), max(i.remote_duration * ji.multiplier_factor),
                avg(i.remote_duration * ji.multiplier_factor), sum(i.remote_duration * ji.multiplier_factor),
                min(i.maxrss), max(i.maxrss), avg(i.maxrss), min(i.avg_cpu), max(i.avg_cpu), avg(i.avg_cpu)
            FROM invocation i CROSS JOIN job_instance ji ON ji.job_instance_id = i.job_instance_id
            WHERE \(filter) GROUP BY i.transformation, type
            """
        }
        var sql = select(0, workflow.isOnlyWorkflow ? "1" : "+i.wf_id = ?")
        let arguments: [SQLValue] = workflow.isOnlyWorkflow ? [] : [.int(workflow.wfID)]
        if workflow.tree.count > 1 {
            sql += "\nUNION ALL\n" + select(1, workflow.inTree("+i.wf_id"))
        }
        sql += "\nORDER BY scope, transformation, type"
        var individual: [StatisticsBreakdownRow] = []
        var all: [StatisticsBreakdownRow] = []
        for row in try await workflow.query(sql, arguments).rows where row.count >= 14 {
            let item = StatisticsBreakdownRow(
                transformation: row[1].text ?? "", type: row[2].text ?? "", count: Int(row[3].int ?? 0),
                min: row[4].double, max: row[5].double, mean: row[6].double, total: row[7].double,
                minMaxRSS: row[8].double, maxMaxRSS: row[9].double, meanMaxRSS: row[10].double,
                minAvgCPU: row[11].double, maxAvgCPU: row[12].double, meanAvgCPU: row[13].double)
            if row[0].int == 0 { individual.append(item) } else { all.append(item) }
        }
        return (individual, workflow.tree.count > 1 ? all : individual)
    }

    // MARK: - Job Statistics

    /// `get_job_statistics` for one page of this workflow's job instances in submission order
    /// (`job_submit_seq`): the page is chosen first, the per-instance subqueries run for its rows only.
    func jobs(page: Int, perPage: Int) async throws -> StatisticsJobPage {
        let page = max(1, page)
        let instance = "ji.job_instance_id"
        func state(_ aggregate: String, _ states: String) -> String {
            "(SELECT \(aggregate)(s.timestamp) FROM jobstate s WHERE s.job_instance_id = \(instance) AND s.state IN (\(states)))"
        }
        func invocations(_ expression: String, _ minimumSeq: Int = 0) -> String {
            """
            (SELECT \(expression) FROM invocation i WHERE i.job_instance_id = \(instance) AND i.wf_id = j.wf_id
                AND i.task_submit_seq >= \(minimumSeq))
            """
        }
        let sql = """
            WITH page AS (
                SELECT ji.job_instance_id AS id FROM job_instance ji CROSS JOIN job j ON j.job_id = ji.job_id
                WHERE j.wf_id = ? ORDER BY ji.job_submit_seq, ji.job_instance_id LIMIT ? OFFSET ?)
            SELECT j.job_id, ji.job_instance_id, j.exec_job_id,
                (SELECT count(*) FROM job_instance x WHERE x.job_id = ji.job_id
                    AND x.job_submit_seq <= ji.job_submit_seq) AS attempt,
                ji.site, \(invocations("sum(i.remote_duration)")) AS kickstart, ji.multiplier_factor,
                \(invocations("sum(i.remote_duration * ji.multiplier_factor)")) AS kickstart_multi,
                \(invocations("sum(i.remote_cpu_time)")) AS cpu,
                \(state("min", "'POST_SCRIPT_TERMINATED'"))
                    - \(state("max", "'POST_SCRIPT_STARTED', 'JOB_TERMINATED'")) AS post,
                \(state("min", "'GRID_SUBMIT', 'GLOBUS_SUBMIT', 'EXECUTE'")) - \(state("min", "'SUBMIT'")) AS condor_q,
                \(state("min", "'EXECUTE'")) - \(state("min", "'GRID_SUBMIT', 'GLOBUS_SUBMIT'")) AS resource,
                ji.local_duration, ji.cluster_duration, \(invocations("max(i.exitcode)", -1)) AS exitcode,
                (SELECT h.hostname FROM host h WHERE h.host_id = ji.host_id) AS hostname,
                (SELECT count(*) FROM job_instance c CROSS JOIN job cj ON cj.job_id = c.job_id
                    WHERE cj.wf_id = ?) AS total
            FROM page CROSS JOIN job_instance ji ON ji.job_instance_id = page.id CROSS JOIN job j ON j.job_id = ji.job_id
            ORDER BY ji.job_submit_seq, ji.job_instance_id
            """
        let rows = try await workflow.query(
            sql, [.int(workflow.wfID), .int(Int64(perPage)), .int(Int64((page - 1) * perPage)), .int(workflow.wfID)])
        var total = 0
        let items: [StatisticsJobRow] = rows.rows.compactMap { row in
            guard row.count >= 17 else { return nil }
            total = Self.int(row[16])
            return StatisticsJobRow(
                jobID: row[0].int ?? 0, jobInstanceID: row[1].int ?? 0, name: row[2].text ?? "",
                attempt: Self.int(row[3]), site: row[4].text, kickstart: row[5].double, multiplier: row[6].int,
                kickstartTimesMultiplier: row[7].double, cpuTime: row[8].double, post: row[9].double,
                condorQueueTime: row[10].double, resourceDelay: row[11].double, runtime: row[12].double,
                seqexec: row[13].double, exitcode: StatisticsFormat.rawToRegular(row[14].int), hostname: row[15].text)
        }
        if items.isEmpty {
            let count = try await workflow.query(
                "SELECT count(*) FROM job_instance ji CROSS JOIN job j ON j.job_id = ji.job_id WHERE j.wf_id = ?",
                [.int(workflow.wfID)])
            total = Self.int(count.rows.first?.first ?? .null)
        }
        return StatisticsJobPage(rows: items, page: page, perPage: perPage, total: total)
    }

    /// An integer column, 0 for NULL (SQL SUM over no rows).
    static func int(_ value: SQLValue) -> Int { Int(value.int ?? 0) }
}
