import Foundation

/// The state of an ensemble, as in Pegasus: ACTIVE (on creation), PAUSED or HELD.
public enum EnsembleState: String, Sendable, Codable, CaseIterable {
    /// Plans and runs workflows within its limits.
    case active = "ACTIVE"
    /// Plans and starts nothing new; follows what is in flight.
    case paused = "PAUSED"
    /// Like paused; set by `pegasus-em hold`, cleared by `release`.
    case held = "HELD"

    /// Parses a state name case-insensitively, as Pegasus' `set_state` does.
    public init(parsing text: String) throws(EMError) {
        guard let state = EnsembleState(rawValue: text.trimmingCharacters(in: .whitespaces).uppercased()) else {
            throw .invalid("Invalid ensemble state: \(text)")
        }
        self = state
    }
}

/// The state of a workflow in an ensemble, Pegasus' nine states: READY (on submission), then PLANNING, QUEUED and
/// RUNNING as the scheduler moves it on, ending in SUCCESSFUL, FAILED, PLAN_FAILED, RUN_FAILED or ABORTED; the
/// changes a user may ask for (replan, rerun, abort) are in ``userTransition(to:)``.
public enum WorkflowState: String, Sendable, Codable, CaseIterable {
    case ready = "READY"
    case planning = "PLANNING"
    case planFailed = "PLAN_FAILED"
    case queued = "QUEUED"
    case runFailed = "RUN_FAILED"
    case running = "RUNNING"
    case failed = "FAILED"
    case successful = "SUCCESSFUL"
    case aborted = "ABORTED"

    /// States that hold or wait for a planning or running slot.
    public static let active: [WorkflowState] = [.ready, .planning, .queued, .running]

    /// Whether the workflow is waiting or in flight (not finished).
    public var isActive: Bool { Self.active.contains(self) }

    /// Whether the workflow has reached an end (it may still be replanned or rerun).
    public var isFinal: Bool { !isActive }
}

/// The state of a trigger.
public enum TriggerState: String, Sendable, Codable, CaseIterable {
    /// Firing on its schedule.
    case running = "RUNNING"
    /// Paused by the user or by its failure policy: submits nothing, keeps its ledger and schedule position, and
    /// still expires at its deadline; `resume` makes it RUNNING again.
    case paused = "PAUSED"
    /// Stopped by the user; kept in history.
    case stopped = "STOPPED"
    /// Its timeout (deadline) has passed; kept in history.
    case expired = "EXPIRED"
    /// It cannot run any more (for example its definition is unusable); the reason says why.
    case failed = "FAILED"

    /// Whether the trigger still exists as a trigger (running or paused), rather than as history.
    public var isLive: Bool { self == .running || self == .paused }
}

/// The kind of a trigger, with Pegasus' wire names.
public enum TriggerType: String, Sendable, Codable, CaseIterable {
    case cron = "CRON"
    case filePattern = "FILE_PATTERN"
}

extension WorkflowState {
    /// The target of a user's state change through the API (`replan`, `rerun`, `abort`), checked against the
    /// current state. Pegasus' rules (docs/compatibility.md) plus abort of active workflows and replan of aborted ones.
    /// - Returns: the state to enter.
    public func userTransition(to requested: String) throws(EMError) -> WorkflowState {
        let target = WorkflowState(rawValue: requested.uppercased())
        if target == .aborted {
            guard isActive else {
                throw .conflict("Can only abort workflows in READY, PLANNING, QUEUED or RUNNING state")
            }
            return .aborted
        }
        switch self {
        case .planFailed:
            guard target == .ready else { throw .conflict("Can only replan workflows in PLAN_FAILED state") }
        case .runFailed:
            guard target == .ready || target == .queued else {
                throw .conflict("Can only replan or rerun workflows in RUN_FAILED state")
            }
        case .failed:
            guard target == .ready || target == .queued else {
                throw .conflict("Can only replan or rerun workflows in FAILED state")
            }
        case .aborted:
            guard target == .ready else { throw .conflict("Can only replan workflows in ABORTED state") }
        default:
            throw .conflict("Invalid state change: \(rawValue) -> \(requested)")
        }
        return target!
    }
}
