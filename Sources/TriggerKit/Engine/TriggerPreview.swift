import Foundation

/// A trigger's dry run (`trigger-preview`): when it fires next and, for a file trigger, what its next workflow
/// would take and why the other pending files wait. Nothing is submitted or recorded to make it.
public struct TriggerPreview: Sendable, Equatable {
    /// Whether the trigger is paused (it fires at these times only once resumed).
    public var paused: Bool
    /// The next fire times, before the deadline.
    public var fireTimes: [Date]
    /// The files of the next workflow (file triggers), sorted.
    public var nextWorkflow: [String]
    /// How many more workflows the ready files beyond `max_files` would make in the same tick.
    public var laterWorkflows: Int
    /// The pending files that are not ready yet, with why.
    public var pending: [PendingFile]

    /// A pending file and why it waits.
    public struct PendingFile: Sendable, Equatable {
        public var path: String
        public var reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    public init(
        paused: Bool, fireTimes: [Date], nextWorkflow: [String] = [], laterWorkflows: Int = 0,
        pending: [PendingFile] = []
    ) {
        self.paused = paused
        self.fireTimes = fireTimes
        self.nextWorkflow = nextWorkflow
        self.laterWorkflows = laterWorkflows
        self.pending = pending
    }
}
