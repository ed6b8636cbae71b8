import Foundation

/// Succeeded / failed / total / retries of tasks, jobs or sub-workflows, with pegasus-statistics' derived
/// columns.
public struct StatisticsCounts: Sendable, Equatable {
    public var succeeded = 0
    public var failed = 0
    public var total = 0
    public var retries = 0

    public init(succeeded: Int = 0, failed: Int = 0, total: Int = 0, retries: Int = 0) {
        self.succeeded = succeeded
        self.failed = failed
        self.total = total
        self.retries = retries
    }

    /// Not succeeded and not failed: unsubmitted, queued or running ("Incomplete").
    public var incomplete: Int { total - (succeeded + failed) }
    /// Every execution: succeeded + failed + retries ("Total+Retries").
    public var totalPlusRetries: Int { succeeded + failed + retries }

    static func + (a: Self, b: Self) -> Self {
        Self(
            succeeded: a.succeeded + b.succeeded, failed: a.failed + b.failed, total: a.total + b.total,
            retries: a.retries + b.retries)
    }
}

/// The Workflow Statistics table of one scope (one workflow, or a workflow with its sub-workflows).
public struct StatisticsWorkflowCounts: Sendable, Equatable {
    public var tasks = StatisticsCounts()
    public var jobs = StatisticsCounts()
    public var subWorkflows = StatisticsCounts()
    /// `WF Retries`: the sum over the workflows of their highest `restart_count`.
    public var workflowRetries = 0

    static func + (a: Self, b: Self) -> Self {
        Self(
            tasks: a.tasks + b.tasks, jobs: a.jobs + b.jobs, subWorkflows: a.subWorkflows + b.subWorkflows,
            workflowRetries: a.workflowRetries + b.workflowRetries)
    }
}

/// The time summary of one scope, in seconds (nil where Pegasus prints `-`).
public struct StatisticsTimes: Sendable, Equatable {
    /// DAGMan's wall time: sum of end minus sum of start timestamps (nil unless every start has an end).
    public var wallTime: Double?
    /// Sum of kickstart durations times multiplier, all / exit 0 / exit > 0.
    public var cumulativeJobWallTime: Double?
    public var cumulativeGoodput: Double?
    public var cumulativeBadput: Double?
    /// Sum of DAGMan's job durations times multiplier, all / exit 0 / exit > 0.
    public var submitSideWallTime: Double?
    public var submitSideGoodput: Double?
    public var submitSideBadput: Double?
    /// The workflow retries of the scope.
    public var retries = 0
}

/// One row of integrity statistics: `check` (compared) or `compute` (generated) for input or output files.
public struct StatisticsIntegrityRow: Sendable, Equatable {
    public var type: String
    public var fileType: String?
    public var count: Int
    public var duration: Double
}

/// Integrity statistics of one scope.
public struct StatisticsIntegrity: Sendable, Equatable {
    public var rows: [StatisticsIntegrityRow] = []
    /// Sum of the `int.error` tag counts (errors over all job instances, retries included).
    public var errors = 0
    /// Jobs whose latest instance failed with integrity errors.
    public var failedJobs = 0

    /// Per integrity type (check / compute) over file types, as pegasus-statistics' summary prints it.
    public var byType: [(type: String, count: Int, duration: Double)] {
        var order: [String] = []
        var sums: [String: (Int, Double)] = [:]
        for row in rows {
            if sums[row.type] == nil { order.append(row.type) }
            let old = sums[row.type] ?? (0, 0)
            sums[row.type] = (old.0 + row.count, old.1 + row.duration)
        }
        return order.sorted().map { ($0, sums[$0]?.0 ?? 0, sums[$0]?.1 ?? 0) }
    }
}

/// One scope's statistics: this workflow alone, or including its sub-workflows.
public struct StatisticsScope: Sendable, Equatable {
    public var counts = StatisticsWorkflowCounts()
    public var times = StatisticsTimes()
    public var integrity = StatisticsIntegrity()
}

/// One row of the Job Breakdown (pegasus-statistics' breakdown.txt): a transformation's invocations with
/// one exit status class.
public struct StatisticsBreakdownRow: Sendable, Equatable {
    public var transformation: String
    /// `successful` (exit code 0) or `failed`.
    public var type: String
    public var count: Int
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    public var total: Double?
    /// Max RSS in KiB (min, max, mean).
    public var minMaxRSS: Double?
    public var maxMaxRSS: Double?
    public var meanMaxRSS: Double?
    /// Average CPU utilisation as a fraction (min, max, mean).
    public var minAvgCPU: Double?
    public var maxAvgCPU: Double?
    public var meanAvgCPU: Double?

    /// The 13 text columns of breakdown.txt.
    public var formatted: [String] {
        [
            transformation, type, String(count), StatisticsFormat.fstr(min), StatisticsFormat.fstr(max),
            StatisticsFormat.fstr(mean), StatisticsFormat.fstr(total),
            Self.truthy(minMaxRSS).map { StatisticsFormat.fstr($0 / 1024) } ?? "-",
            Self.truthy(maxMaxRSS).map { StatisticsFormat.fstr($0 / 1024) } ?? "-",
            Self.truthy(meanMaxRSS).map { StatisticsFormat.fstr($0 / 1024) } ?? "-",
            Self.truthy(minAvgCPU).map { StatisticsFormat.pstr($0 * 100) } ?? "-",
            Self.truthy(maxAvgCPU).map { StatisticsFormat.pstr($0 * 100) } ?? "-",
            Self.truthy(meanAvgCPU).map { StatisticsFormat.pstr($0 * 100) } ?? "-",
        ]
    }

    /// The column titles of breakdown.txt.
    public static let columns = [
        "Transformation", "Type", "Count", "Min (runtime)", "Max (runtime)", "Mean (runtime)", "Total (runtime)",
        "Min (mem)", "Max (mem)", "Mean (mem)", "Min (avg. cpu)", "Max (avg. cpu)", "Mean (avg. cpu)",
    ]

    /// Python's truthiness of a number: nil and 0 print as `-`.
    private static func truthy(_ value: Double?) -> Double? {
        guard let value, value != 0 else { return nil }
        return value
    }
}

/// One job instance row of the Job Statistics (pegasus-statistics' jobs.txt).
public struct StatisticsJobRow: Sendable, Equatable {
    public var jobID: Int64
    public var jobInstanceID: Int64
    public var name: String
    /// The instance's try number (1 for the first submission of the job).
    public var attempt: Int
    public var site: String?
    public var kickstart: Double?
    public var multiplier: Int64?
    public var kickstartTimesMultiplier: Double?
    public var cpuTime: Double?
    public var post: Double?
    public var condorQueueTime: Double?
    public var resourceDelay: Double?
    public var runtime: Double?
    public var seqexec: Double?
    /// The decoded exit code (`raw_to_regular` of the highest invocation exit code).
    public var exitcode: Int64?
    public var hostname: String?

    /// Clustered jobs: seqexec minus kickstart.
    public var seqexecDelay: Double? {
        guard let seqexec, let kickstart else { return nil }
        return seqexec - kickstart
    }

    /// The 15 text columns of jobs.txt.
    public var formatted: [String] {
        [
            name, String(attempt), site ?? "-", StatisticsFormat.fstr(kickstart),
            multiplier.map { String($0) } ?? "None", StatisticsFormat.fstr(kickstartTimesMultiplier),
            StatisticsFormat.fstr(cpuTime), StatisticsFormat.fstr(post), StatisticsFormat.fstr(condorQueueTime),
            StatisticsFormat.fstr(resourceDelay), StatisticsFormat.fstr(runtime), StatisticsFormat.fstr(seqexec),
            StatisticsFormat.fstr(seqexecDelay), exitcode.map { String($0) } ?? "None", hostname ?? "None",
        ]
    }

    /// The column titles of jobs.txt.
    public static let columns = [
        "Job", "Try", "Site", "Kickstart", "Mult", "Kickstart-Mult", "CPU-Time", "Post", "CondorQTime", "Resource",
        "Runtime", "Seqexec", "Seqexec-Delay", "Exitcode", "Hostname",
    ]
}

/// One page of the Job Statistics.
public struct StatisticsJobPage: Sendable, Equatable {
    public var rows: [StatisticsJobRow]
    /// 1-based page number.
    public var page: Int
    public var perPage: Int
    /// Job instances of the workflow.
    public var total: Int

    public var pageCount: Int { max(1, (total + perPage - 1) / perPage) }
}

/// Everything the statistics page shows.
public struct StatisticsReport: Sendable {
    public var workflow: StatisticsWorkflow
    /// This workflow alone.
    public var individual: StatisticsScope
    /// This workflow and its sub-workflows.
    public var all: StatisticsScope
    /// Per-workflow counts of the tree, in tree order (as workflow.txt lists them).
    public var perWorkflow: [(wfID: Int64, counts: StatisticsWorkflowCounts)]
    public var breakdownIndividual: [StatisticsBreakdownRow]
    public var breakdownAll: [StatisticsBreakdownRow]
    public var jobs: StatisticsJobPage
}
