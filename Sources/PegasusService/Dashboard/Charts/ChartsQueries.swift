import Foundation

/// One transformation of the job distribution chart.
public struct ChartsTransformation: Sendable, Equatable {
    public var name: String
    public var total: Int
    public var success: Int
    public var failure: Int
    /// Runtime (`remote_duration * multiplier_factor`) sum, min, max, mean in seconds.
    public var runtimeTotal: Double
    public var runtimeMin: Double?
    public var runtimeMax: Double?
    public var runtimeMean: Double?
}

/// One bar of the time chart: jobs (instances by their EXECUTE time) and invocations (by start time) in a
/// time bucket.
public struct ChartsTimeBucket: Sendable, Equatable {
    /// Bucket start, epoch seconds.
    public var start: Double
    public var width: Double
    public var jobs = 0
    public var jobRuntime = 0.0
    public var invocations = 0
    public var invocationRuntime = 0.0
}

/// One job instance of the detailed Gantt chart; times are epoch seconds, nil when the state is missing.
public struct ChartsGanttInstance: Sendable, Equatable {
    public var jobInstanceID: Int64
    public var jobName: String
    public var transformation: String?
    public var exitcode: Int64?
    public var first: Double
    public var last: Double
    public var preStart: Double?
    public var preEnd: Double?
    public var submit: Double?
    public var execute: Double?
    public var terminated: Double?
    public var postStart: Double?
    public var postEnd: Double?
    public var kickstartStart: Double?
    public var kickstartDuration: Double?
}

/// The aggregated Gantt chart of a large workflow: per time bucket the average number of job instances
/// queued, executing and in post-script, and per transformation the average number of running invocations.
public struct ChartsGanttDensity: Sendable, Equatable {
    public var start: Double
    public var bucketWidth: Double
    /// Average instances per bucket in each phase (same length as the buckets).
    public var queued: [Double]
    public var running: [Double]
    public var post: [Double]
    /// Instances submitted in each bucket.
    public var submitted: [Int]
    /// Per transformation (most invocations first), the average running invocations per bucket.
    public var transformations: [(name: String, invocations: Int, running: [Double])]
    /// Transformations merged into the last row ("other") because of the row cap.
    public var mergedTransformations: Int

    public static func == (a: Self, b: Self) -> Bool {
        a.start == b.start && a.bucketWidth == b.bucketWidth && a.queued == b.queued && a.running == b.running
            && a.post == b.post && a.submitted == b.submitted && a.mergedTransformations == b.mergedTransformations
            && a.transformations.map(\.name) == b.transformations.map(\.name)
            && a.transformations.map(\.running) == b.transformations.map(\.running)
    }
}

/// The Gantt chart: nothing, one row per instance (small workflows) or the density view.
public enum ChartsGantt: Sendable, Equatable {
    case empty
    case detailed([ChartsGanttInstance])
    case aggregated(instances: Int, ChartsGanttDensity)
}

/// What the charts page draws.
public struct ChartsData: Sendable {
    public var workflow: StatisticsWorkflow
    public var distribution: [ChartsTransformation]
    public var time: [ChartsTimeBucket]
    public var gantt: ChartsGantt
}

/// The SQL of the charts page: aggregates only, so 100,000 jobs give a few hundred rows.
struct ChartsQueries: Sendable {
    let workflow: StatisticsWorkflow

    /// Up to this many job instances the Gantt chart has a row per instance.
    static let detailedGanttLimit = 500
    /// Time buckets of the time chart and of the aggregated Gantt chart.
    static let timeBuckets = 80
    /// Transformation rows of the aggregated Gantt chart (the rest is merged into "other").
    static let ganttTransformations = 15

    /// Runs the statements of the three charts (five or six round trips in all).
    func charts() async throws -> ChartsData {
        let (distribution, range) = try await distribution()
        let span = Self.span(range, workflow.stateRange)
        let unit = Self.baseUnit(span: span)
        let time = try await timeChart(unit: unit)
        let gantt = try await gantt(unit: unit, origin: span?.lowerBound ?? 0)
        return ChartsData(workflow: workflow, distribution: distribution, time: time, gantt: gantt)
    }

    // MARK: - Job distribution

    /// `get_transformation_statistics` over this workflow and its sub-workflows, one row per transformation
    /// (success and failure counted, not split into rows), plus the invocations' time range.
    func distribution() async throws -> ([ChartsTransformation], ClosedRange<Double>?) {
        let sql = """
            SELECT i.transformation, count(*), sum(i.exitcode = 0), sum(i.exitcode != 0),
                sum(i.remote_duration * ji.multiplier_factor), min(i.remote_duration * ji.multiplier_factor),
                max(i.remote_duration * ji.multiplier_factor), avg(i.remote_duration * ji.multiplier_factor),
                min(i.start_time), max(i.start_time + i.remote_duration)
            FROM invocation i CROSS JOIN job_instance ji ON ji.job_instance_id = i.job_instance_id
            WHERE \(workflow.inTree("+i.wf_id"))
            GROUP BY i.transformation ORDER BY i.transformation
            """
        var low = Double.infinity
        var high = -Double.infinity
        var result: [ChartsTransformation] = []
        for row in try await workflow.query(sql).rows where row.count >= 10 {
            result.append(
                ChartsTransformation(
                    name: row[0].text ?? "", total: Int(row[1].int ?? 0), success: Int(row[2].int ?? 0),
                    failure: Int(row[3].int ?? 0), runtimeTotal: row[4].double ?? 0, runtimeMin: row[5].double,
                    runtimeMax: row[6].double, runtimeMean: row[7].double))
            if let a = row[8].double { low = min(low, a) }
            if let b = row[9].double { high = max(high, b) }
        }
        return (result, low <= high ? low...high : nil)
    }

    // MARK: - Time chart

    /// `get_jobs_run_by_time` (non-sub-workflow job instances by their EXECUTE time, DAGMan runtime) and
    /// `get_invocation_by_time` (invocations except `condor::dagman` by start time, kickstart runtime), grouped
    /// by `unit` seconds in SQL and merged into at most ``timeBuckets`` bars.
    func timeChart(unit: Double) async throws -> [ChartsTimeBucket] {
        let sql = """
            SELECT 0 AS kind, CAST(s.timestamp / ? AS INTEGER) AS b, count(*), sum(ji.local_duration)
            FROM job_instance ji CROSS JOIN job j ON j.job_id = ji.job_id
                CROSS JOIN jobstate s ON s.job_instance_id = ji.job_instance_id AND s.state = 'EXECUTE'
            WHERE \(workflow.inTree("j.wf_id")) AND j.type_desc NOT IN ('dax', 'dag') AND ji.local_duration IS NOT NULL
            GROUP BY b
            UNION ALL
            SELECT 1, CAST(i.start_time / ? AS INTEGER) AS b, count(*), sum(i.remote_duration)
            FROM invocation i WHERE \(workflow.inTree("+i.wf_id")) AND i.transformation != 'condor::dagman'
            GROUP BY b
            """
        let rows = try await workflow.query(
            sql, [.double(unit), .double(unit)])
        // Buckets of absurd times (a corrupt or hand-edited database) are left out rather than overflow.
        let indexes = rows.rows.compactMap { $0.count >= 4 ? $0[1].int : nil }.filter { $0 > -1 << 40 && $0 < 1 << 40 }
        guard let low = indexes.min(), let high = indexes.max() else { return [] }
        let per = Self.mergeFactor(units: Int(high - low + 1), maximum: Self.timeBuckets)
        let first = (low / Int64(per)) * Int64(per)
        let count = Int((high - first) / Int64(per)) + 1
        var buckets = (0..<count).map { i in
            ChartsTimeBucket(start: Double(first + Int64(i * per)) * unit, width: Double(per) * unit)
        }
        for row in rows.rows where row.count >= 4 {
            guard let index = row[1].int else { continue }
            let i = Int((index - first) / Int64(per))
            guard buckets.indices.contains(i) else { continue }
            if row[0].int == 0 {
                buckets[i].jobs += Int(row[2].int ?? 0)
                buckets[i].jobRuntime += row[3].double ?? 0
            } else {
                buckets[i].invocations += Int(row[2].int ?? 0)
                buckets[i].invocationRuntime += row[3].double ?? 0
            }
        }
        return buckets
    }

    // MARK: - Gantt chart

    /// The Gantt chart: a row per instance up to ``detailedGanttLimit`` instances, else the density view.
    func gantt(unit: Double, origin: Double) async throws -> ChartsGantt {
        let count = try await workflow.query(
            "SELECT count(*) FROM job_instance ji CROSS JOIN job j ON j.job_id = ji.job_id WHERE j.wf_id = ?",
            [.int(workflow.wfID)])
        let instances = Int(count.rows.first?.first?.int ?? 0)
        if instances == 0 { return .empty }
        if instances <= Self.detailedGanttLimit { return .detailed(try await detailedGantt()) }
        return .aggregated(instances: instances, try await density(unit: unit, origin: origin))
    }

    /// `get_job_states` of this workflow: per instance the pre-script, submit, execute, terminate and
    /// post-script timestamps and the kickstart records' start and duration, ordered by start.
    func detailedGantt() async throws -> [ChartsGanttInstance] {
        func state(_ aggregate: String, _ states: String) -> String {
            "(SELECT \(aggregate)(s.timestamp) FROM jobstate s WHERE s.job_instance_id = ji.job_instance_id AND s.state IN (\(states)))"
        }
        let sql = """
            SELECT ji.job_instance_id, j.exec_job_id, ji.exitcode,
                (SELECT group_concat(DISTINCT i.transformation) FROM invocation i
                    WHERE i.job_instance_id = ji.job_instance_id
                    AND i.transformation NOT IN ('dagman::pre', 'dagman::post')) AS transformation,
                (SELECT min(s.timestamp) FROM jobstate s WHERE s.job_instance_id = ji.job_instance_id) AS first,
                (SELECT max(s.timestamp) FROM jobstate s WHERE s.job_instance_id = ji.job_instance_id) AS last,
                \(state("min", "'PRE_SCRIPT_STARTED'")), \(state("max", "'PRE_SCRIPT_TERMINATED'")),
                \(state("min", "'SUBMIT'")), \(state("min", "'EXECUTE'")), \(state("max", "'JOB_TERMINATED'")),
                \(state("max", "'POST_SCRIPT_STARTED'")), \(state("max", "'POST_SCRIPT_TERMINATED'")),
                (SELECT min(i.start_time) FROM invocation i WHERE i.job_instance_id = ji.job_instance_id
                    AND i.task_submit_seq >= 0),
                (SELECT sum(i.remote_duration) FROM invocation i WHERE i.job_instance_id = ji.job_instance_id
                    AND i.task_submit_seq >= 0)
            FROM job_instance ji CROSS JOIN job j ON j.job_id = ji.job_id WHERE j.wf_id = ?
            ORDER BY first, ji.job_submit_seq
            """
        return try await workflow.query(sql, [.int(workflow.wfID)]).rows.compactMap { row in
            guard row.count >= 15, let first = row[4].double, let last = row[5].double else { return nil }
            return ChartsGanttInstance(
                jobInstanceID: row[0].int ?? 0, jobName: row[1].text ?? "", transformation: row[3].text,
                exitcode: StatisticsFormat.rawToRegular(row[2].int), first: first, last: last,
                preStart: row[6].double, preEnd: row[7].double, submit: row[8].double, execute: row[9].double,
                terminated: row[10].double, postStart: row[11].double, postEnd: row[12].double,
                kickstartStart: row[13].double, kickstartDuration: row[14].double)
        }
    }

    /// The density view, from two aggregate statements:
    /// - job states SUBMIT / EXECUTE / JOB_TERMINATED / POST_SCRIPT_TERMINATED counted per `unit` bucket (with
    ///   the sum of their offsets), from which the time each instance spends queued, executing and in post
    ///   follows exactly per bucket (an instance is in a phase from its start event to its end event);
    /// - kickstart invocations per transformation and (start bucket, end bucket), likewise.
    func density(unit: Double, origin: Double) async throws -> ChartsGanttDensity {
        let states = ["SUBMIT", "EXECUTE", "JOB_TERMINATED", "POST_SCRIPT_TERMINATED"]
        // With one workflow in the database every job state is this workflow's: no join needed.
        let filter =
            workflow.isOnlyWorkflow
            ? ""
            : """
            AND s.job_instance_id IN (SELECT ji.job_instance_id FROM job_instance ji
                CROSS JOIN job j ON j.job_id = ji.job_id WHERE j.wf_id = ?)
            """
        let eventsSQL = """
            SELECT s.state, CAST(s.timestamp / ? AS INTEGER) AS b, count(*), sum(s.timestamp - ?)
            FROM jobstate s WHERE s.state IN ('SUBMIT', 'EXECUTE', 'JOB_TERMINATED', 'POST_SCRIPT_TERMINATED')
            \(filter)
            GROUP BY s.state, b
            """
        var arguments: [SQLValue] = [.double(unit), .double(origin)]
        if !workflow.isOnlyWorkflow { arguments.append(.int(workflow.wfID)) }
        let events = try await workflow.query(eventsSQL, arguments)
        let invocationsSQL = """
            SELECT i.transformation, CAST(i.start_time / ? AS INTEGER) AS sb,
                CAST((i.start_time + i.remote_duration) / ? AS INTEGER) AS eb, count(*),
                sum(i.start_time - ?), sum(i.start_time + i.remote_duration - ?)
            FROM invocation i WHERE \(workflow.isOnlyWorkflow ? "1" : "+i.wf_id = \(workflow.wfID)")
                AND i.task_submit_seq >= 0
            GROUP BY i.transformation, sb, eb
            """
        let invocations = try await workflow.query(
            invocationsSQL, [.double(unit), .double(unit), .double(origin), .double(origin)])
        return ChartsDensityBuilder(unit: unit, origin: origin, states: states).build(
            events: events, invocations: invocations)
    }

    // MARK: - Buckets

    /// The time span of the charts: the invocations' and the workflow states' range.
    static func span(_ a: ClosedRange<Double>?, _ b: ClosedRange<Double>?) -> ClosedRange<Double>? {
        switch (a, b) {
        case (nil, nil): nil
        case (let a?, nil): a
        case (nil, let b?): b
        case (let a?, let b?): min(a.lowerBound, b.lowerBound)...max(a.upperBound, b.upperBound)
        }
    }

    /// The SQL grouping unit: minutes up to 6 hours, hours up to 15 days, days beyond.
    static func baseUnit(span: ClosedRange<Double>?) -> Double {
        let seconds = span.map { $0.upperBound - $0.lowerBound } ?? 0
        if seconds <= 6 * 3600 { return 60 }
        if seconds <= 15 * 86400 { return 3600 }
        return 86400
    }

    /// How many units one bar spans so that `units` fit in `maximum` bars, from a list of round factors.
    static func mergeFactor(units: Int, maximum: Int) -> Int {
        let factors = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 24, 30, 36, 48, 60, 72, 90, 120, 180, 240, 360, 720]
        for factor in factors where (units + factor - 1) / factor <= maximum { return factor }
        return (units + maximum - 1) / maximum
    }
}

/// Turns per-unit event counts into per-bucket average occupancies.
///
/// An instance is in a phase from its start event at `s` to its end event at `e`. Over a bucket
/// `[L, L + W)`, the phase's busy time is the sum, over start events up to the bucket's end, of the time from the
/// event (or `L`) to `L + W`, minus the same for end events: an event inside the bucket counts `L + W - x`, an
/// earlier one `W`. Counts and offset sums per SQL unit give this exactly when buckets are whole units.
struct ChartsDensityBuilder {
    let unit: Double
    let origin: Double
    let states: [String]

    /// The density from the job-state events and the invocations' (start, end) groups.
    func build(events: SQLRows, invocations: SQLRows) -> ChartsGanttDensity {
        // Per state: unit index -> (count, sum of offsets).
        var perState: [String: [Int64: (Int, Double)]] = [:]
        var low = Int64.max
        var high = Int64.min
        // Units of absurd times (a corrupt or hand-edited database) are left out rather than overflow.
        func sane(_ b: Int64) -> Bool { b > -1 << 40 && b < 1 << 40 }
        for row in events.rows where row.count >= 4 {
            guard let state = row[0].text, let b = row[1].int, sane(b) else { continue }
            perState[state, default: [:]][b] = (Int(row[2].int ?? 0), row[3].double ?? 0)
            low = min(low, b)
            high = max(high, b)
        }
        var starts: [String: [Int64: (Int, Double)]] = [:]
        var ends: [String: [Int64: (Int, Double)]] = [:]
        var invocationCounts: [String: Int] = [:]
        for row in invocations.rows where row.count >= 6 {
            guard let sb = row[1].int, let eb = row[2].int, sane(sb), sane(eb) else { continue }
            let name = row[0].text ?? ""
            let count = Int(row[3].int ?? 0)
            starts[name, default: [:]][sb, default: (0, 0)].0 += count
            starts[name, default: [:]][sb, default: (0, 0)].1 += row[4].double ?? 0
            ends[name, default: [:]][eb, default: (0, 0)].0 += count
            ends[name, default: [:]][eb, default: (0, 0)].1 += row[5].double ?? 0
            invocationCounts[name, default: 0] += count
            low = min(low, sb)
            high = max(high, eb)
        }
        guard low <= high else {
            return ChartsGanttDensity(
                start: origin, bucketWidth: unit, queued: [], running: [], post: [], submitted: [],
                transformations: [], mergedTransformations: 0)
        }
        let per = ChartsQueries.mergeFactor(units: Int(high - low + 1), maximum: ChartsQueries.timeBuckets)
        let first = low >= 0 ? (low / Int64(per)) * Int64(per) : low
        let count = Int((high - first) / Int64(per)) + 1
        let width = Double(per) * unit
        let start = Double(first) * unit
        func bucket(_ b: Int64) -> Int { min(count - 1, max(0, Int((b - first) / Int64(per)))) }
        /// Per display bucket: count and sum of (x - bucket end) of the events in it.
        func histogram(_ map: [Int64: (Int, Double)]?) -> [(Int, Double)] {
            var result = Array(repeating: (0, 0.0), count: count)
            for (b, (n, sum)) in map ?? [:] {
                let i = bucket(b)
                let bucketEnd = start + Double(i + 1) * width
                result[i].0 += n
                result[i].1 += sum - Double(n) * (bucketEnd - origin)
            }
            return result
        }
        /// Average occupancy per bucket of the phase from `open` events to `close` events.
        func occupancy(_ open: [(Int, Double)], _ close: [(Int, Double)]) -> [Double] {
            var before = 0
            return (0..<count).map { i in
                // Inside the bucket an event at x counts (end - x) = -(x - end).
                let busy = Double(before) * width - open[i].1 + close[i].1
                before += open[i].0 - close[i].0
                return max(0, busy / width)
            }
        }
        let submit = histogram(perState["SUBMIT"])
        let execute = histogram(perState["EXECUTE"])
        let terminated = histogram(perState["JOB_TERMINATED"])
        let postEnd = histogram(perState["POST_SCRIPT_TERMINATED"])
        let ranked = invocationCounts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        let limit = ChartsQueries.ganttTransformations
        var rows: [(name: String, invocations: Int, running: [Double])] = []
        for (index, item) in ranked.enumerated() where index < limit || ranked.count == limit + 1 {
            rows.append((item.key, item.value, occupancy(histogram(starts[item.key]), histogram(ends[item.key]))))
        }
        var merged = 0
        if ranked.count > limit + 1 {
            var open: [Int64: (Int, Double)] = [:]
            var close: [Int64: (Int, Double)] = [:]
            var total = 0
            for item in ranked.dropFirst(limit) {
                merged += 1
                total += item.value
                for (b, v) in starts[item.key] ?? [:] {
                    open[b, default: (0, 0)].0 += v.0; open[b, default: (0, 0)].1 += v.1
                }
                for (b, v) in ends[item.key] ?? [:] {
                    close[b, default: (0, 0)].0 += v.0; close[b, default: (0, 0)].1 += v.1
                }
            }
            rows.append(("(\(merged) other transformations)", total, occupancy(histogram(open), histogram(close))))
        }
        return ChartsGanttDensity(
            start: start, bucketWidth: width, queued: occupancy(submit, execute),
            running: occupancy(execute, terminated), post: occupancy(terminated, postEnd),
            submitted: submit.map(\.0), transformations: rows, mergedTransformations: merged)
    }
}
