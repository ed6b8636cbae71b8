import EnsembleCore
import Foundation
import GRDB

/// A row of the `ensemble` table.
public struct EnsembleRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "ensemble"
    public var id: Int64?
    public var name: String
    public var created: Double
    public var updated: Double
    public var state: EnsembleState
    public var maxRunning: Int
    public var maxPlanning: Int

    enum CodingKeys: String, CodingKey {
        case id, name, created, updated, state
        case maxRunning = "max_running"
        case maxPlanning = "max_planning"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of the `workflow` table: one workflow of an ensemble.
public struct WorkflowRecord: Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "workflow"
    public var id: Int64?
    public var ensembleID: Int64
    public var name: String
    public var basedir: String
    /// Pegasus' display string: every argv element in double quotes, space-joined.
    public var planCommand: String
    /// The plan command as an argv array (JSON), executed without a shell.
    public var planArgv: [String]
    public var created: Double
    public var updated: Double
    public var state: WorkflowState
    public var priority: Int
    public var wfUUID: String?
    public var submitdir: String?
    public var triggerID: Int64?
    /// Why the workflow is in its state (failures), shown by `status` and the API.
    public var reason: String?
    /// A non-fatal observation, such as no master DB row long after pegasus-run.
    public var diagnostic: String?
    /// The detached process (planner or pegasus-run) in flight for this workflow, if any.
    public var job: JobHandle?
    /// When pegasus-run was started for the current run; edits never touch it.
    public var runStartedAt: Double?
    /// How many times pegasus-run was started.
    public var runCount: Int
    /// When the state last changed (for scheduling order and timeouts).
    public var stateChanged: Double

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public init(
        id: Int64?, ensembleID: Int64, name: String, basedir: String, planCommand: String, planArgv: [String],
        created: Double, updated: Double, state: WorkflowState, priority: Int, wfUUID: String?, submitdir: String?,
        triggerID: Int64?, reason: String?, diagnostic: String?, job: JobHandle?, runStartedAt: Double?,
        runCount: Int, stateChanged: Double
    ) {
        self.id = id
        self.ensembleID = ensembleID
        self.name = name
        self.basedir = basedir
        self.planCommand = planCommand
        self.planArgv = planArgv
        self.created = created
        self.updated = updated
        self.state = state
        self.priority = priority
        self.wfUUID = wfUUID
        self.submitdir = submitdir
        self.triggerID = triggerID
        self.reason = reason
        self.diagnostic = diagnostic
        self.job = job
        self.runStartedAt = runStartedAt
        self.runCount = runCount
        self.stateChanged = stateChanged
    }

    public init(row: Row) throws {
        id = row["id"]
        ensembleID = row["ensemble_id"]
        name = row["name"]
        basedir = row["basedir"]
        planCommand = row["plan_command"]
        let argvJSON: String = row["plan_argv"]
        planArgv = (try? JSONDecoder().decode([String].self, from: Data(argvJSON.utf8))) ?? []
        created = row["created"]
        updated = row["updated"]
        guard let s = WorkflowState(rawValue: row["state"]) else {
            throw EMError(.internalError, "invalid workflow state in the store: \(String(describing: row["state"]))")
        }
        state = s
        priority = row["priority"]
        wfUUID = row["wf_uuid"]
        submitdir = row["submitdir"]
        triggerID = row["trigger_id"]
        reason = row["reason"]
        diagnostic = row["diagnostic"]
        if let kind: String = row["job_kind"], let k = JobHandle.Kind(rawValue: kind), let pid: Int32 = row["job_pid"] {
            job = JobHandle(
                kind: k, pid: pid, startTicks: row["job_start_ticks"], processGroup: row["job_pgid"] ?? pid,
                logOffset: row["job_log_offset"] ?? 0, startedAt: row["job_started_at"] ?? 0)
        } else {
            job = nil
        }
        runStartedAt = row["run_started_at"]
        runCount = row["run_count"]
        stateChanged = row["state_changed"]
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["ensemble_id"] = ensembleID
        container["name"] = name
        container["basedir"] = basedir
        container["plan_command"] = planCommand
        container["plan_argv"] = String(decoding: try JSONEncoder().encode(planArgv), as: UTF8.self)
        container["created"] = created
        container["updated"] = updated
        container["state"] = state.rawValue
        container["priority"] = priority
        container["wf_uuid"] = wfUUID
        container["submitdir"] = submitdir
        container["trigger_id"] = triggerID
        container["reason"] = reason
        container["diagnostic"] = diagnostic
        container["job_kind"] = job?.kind.rawValue
        container["job_pid"] = job?.pid
        container["job_start_ticks"] = job?.startTicks
        container["job_pgid"] = job?.processGroup
        container["job_log_offset"] = job?.logOffset
        container["job_started_at"] = job?.startedAt
        container["run_started_at"] = runStartedAt
        container["run_count"] = runCount
        container["state_changed"] = stateChanged
    }
}

/// A row of `workflow_history`: one state change with its reason.
public struct WorkflowHistoryRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "workflow_history"
    public var id: Int64?
    public var workflowID: Int64
    public var time: Double
    public var fromState: WorkflowState?
    public var toState: WorkflowState
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case id, time, reason
        case workflowID = "workflow_id"
        case fromState = "from_state"
        case toState = "to_state"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of the `trigger` table.
public struct TriggerRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "trigger"
    public var id: Int64?
    public var ensembleID: Int64
    public var name: String
    public var type: TriggerType
    public var state: TriggerState
    public var reason: String?
    public var created: Double
    public var updated: Double
    public var workflowScript: String
    public var workflowArgs: [String]
    /// The type-specific definition (schedule, patterns, options), as JSON.
    public var definition: TriggerDefinition
    public var basedir: String
    public var priority: Int
    public var nextFire: Double?
    public var deadline: Double?
    public var fireCount: Int
    public var lastFire: Double?
    /// Where the schedule counts from after a schedule change (nil: the creation time).
    public var scheduleAnchor: Double?
    /// The trigger whose ledger this one shares (a re-created trigger inherits its predecessors'); nil: its own.
    public var ledgerID: Int64?
    /// Workflows of this trigger that ended failed in a row (a successful one resets it; aborted ones do not count).
    public var consecutiveFailures: Int = 0
    /// Ticks skipped by the overlap policy.
    public var skippedTicks: Int = 0
    /// The last skipped tick and why.
    public var lastSkipTime: Double?
    public var lastSkipReason: String?
    /// Overlap `buffer-one`: the tick waiting for the trigger's active workflow to end.
    public var bufferedTick: Double?

    /// The ledger the trigger's files are checked against and recorded in.
    public var ledger: Int64 { ledgerID ?? id! }

    /// A trigger from its parts (a validated creation request; `id` is set by the insert).
    package init(
        id: Int64?, ensembleID: Int64, name: String, type: TriggerType, state: TriggerState, reason: String?,
        created: Double, updated: Double, workflowScript: String, workflowArgs: [String],
        definition: TriggerDefinition, basedir: String, priority: Int, nextFire: Double?, deadline: Double?,
        fireCount: Int, lastFire: Double?
    ) {
        self.id = id
        self.ensembleID = ensembleID
        self.name = name
        self.type = type
        self.state = state
        self.reason = reason
        self.created = created
        self.updated = updated
        self.workflowScript = workflowScript
        self.workflowArgs = workflowArgs
        self.definition = definition
        self.basedir = basedir
        self.priority = priority
        self.nextFire = nextFire
        self.deadline = deadline
        self.fireCount = fireCount
        self.lastFire = lastFire
    }

    enum CodingKeys: String, CodingKey {
        case id, name, type, state, reason, created, updated, definition, basedir, priority, deadline
        case ensembleID = "ensemble_id"
        case workflowScript = "workflow_script"
        case workflowArgs = "workflow_args"
        case nextFire = "next_fire"
        case fireCount = "fire_count"
        case lastFire = "last_fire"
        case scheduleAnchor = "schedule_anchor"
        case ledgerID = "ledger_id"
        case consecutiveFailures = "consecutive_failures"
        case skippedTicks = "skipped_ticks"
        case lastSkipTime = "last_skip_time"
        case lastSkipReason = "last_skip_reason"
        case bufferedTick = "buffered_tick"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `trigger_history`: something done to a trigger (created, paused, resumed, updated, fired by hand,
/// skipped, buffered, paused by its failure policy, stopped, expired), by whom, and how often in a row.
public struct TriggerHistoryRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "trigger_history"
    public var id: Int64?
    public var triggerID: Int64
    public var time: Double
    public var event: String
    public var user: String?
    public var detail: String?
    /// How many times in a row this event happened (repeated skips are one row).
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case id, time, event, user, detail, count
        case triggerID = "trigger_id"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
