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
public struct WorkflowRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
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
    public var plannerPID: Int32?
    /// The planner's start time in clock ticks since boot (`/proc/<pid>/stat` field 22), against PID reuse.
    public var plannerStartTicks: Int64?
    /// When pegasus-run was started for the current run; edits never touch it.
    public var runStartedAt: Double?
    /// When the state last changed (for scheduling order and timeouts).
    public var stateChanged: Double

    enum CodingKeys: String, CodingKey {
        case id, name, basedir, created, updated, state, priority, submitdir, reason, diagnostic
        case ensembleID = "ensemble_id"
        case planCommand = "plan_command"
        case planArgv = "plan_argv"
        case wfUUID = "wf_uuid"
        case triggerID = "trigger_id"
        case plannerPID = "planner_pid"
        case plannerStartTicks = "planner_start_ticks"
        case runStartedAt = "run_started_at"
        case stateChanged = "state_changed"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
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

    enum CodingKeys: String, CodingKey {
        case id, name, type, state, reason, created, updated, definition, basedir, priority, deadline
        case ensembleID = "ensemble_id"
        case workflowScript = "workflow_script"
        case workflowArgs = "workflow_args"
        case nextFire = "next_fire"
        case fireCount = "fire_count"
        case lastFire = "last_fire"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The persisted definition of a trigger: Pegasus' fields (interval, timeout, patterns) and ours.
public struct TriggerDefinition: Codable, Sendable, Equatable {
    /// Seconds between firings (interval triggers and the batching period of file triggers).
    public var interval: Int?
    /// Seconds after creation at which the trigger expires.
    public var timeout: Int?
    /// A 5-field cron expression or `@macro`, instead of an interval.
    public var cron: String?
    /// The IANA time zone the cron expression is read in.
    public var timezone: String?
    /// What to do with ticks missed while the server was down: `none`, `one` or `all`.
    public var catchup: String?
    /// Absolute glob patterns (file-pattern triggers).
    public var filePatterns: [String]?
    /// Seconds a file must stay unchanged before it is ready.
    public var settle: Double?
    /// At most this many files per workflow.
    public var maxFiles: Int?
    /// Move submitted files into `processed/` (Pegasus' behaviour).
    public var moveProcessed: Bool?
    /// Force the watcher mode (`inotify`, `poll`); automatic when nil.
    public var watchMode: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case interval, timeout, cron, timezone, catchup, settle
        case filePatterns = "file_patterns"
        case maxFiles = "max_files"
        case moveProcessed = "move_processed"
        case watchMode = "watch_mode"
    }
}
