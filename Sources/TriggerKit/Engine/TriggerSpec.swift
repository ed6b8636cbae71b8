import Foundation

/// What a running trigger needs to know about itself.
public struct TriggerSpec: Sendable {
    /// The stored trigger's id.
    public var id: Int64
    /// `ensemble.trigger`, for logs.
    public var label: String
    /// When it fires.
    public var schedule: TriggerSchedule
    /// What to do with ticks missed while the server was down.
    public var catchup: CatchupPolicy
    /// The absolute expiry (created + timeout).
    public var deadline: Date?
    /// The scheduled time of the last tick handled (persisted across restarts).
    public var lastHandled: Date?
    /// The next fire as persisted (a restored trigger does not write it again when it has not changed).
    public var nextFire: Date?
    /// File discovery for file-pattern triggers; nil for time triggers.
    public var files: FileTriggerOptions?
    /// Paused: it submits nothing (a file trigger keeps watching, so a preview shows its pending files) and still
    /// expires at its deadline.
    public var paused: Bool
    /// Why it is paused (for the log).
    public var pauseReason: String?
    /// Overlap `buffer-one`: the tick kept back until the trigger's active workflow ends (persisted).
    public var bufferedTick: Date?

    /// Creates a spec.
    public init(
        id: Int64, label: String, schedule: TriggerSchedule, catchup: CatchupPolicy = .one, deadline: Date? = nil,
        lastHandled: Date? = nil, nextFire: Date? = nil, files: FileTriggerOptions? = nil, paused: Bool = false,
        pauseReason: String? = nil, bufferedTick: Date? = nil
    ) {
        self.id = id
        self.label = label
        self.schedule = schedule
        self.catchup = catchup
        self.deadline = deadline
        self.lastHandled = lastHandled
        self.nextFire = nextFire
        self.files = files
        self.paused = paused
        self.pauseReason = pauseReason
        self.bufferedTick = bufferedTick
    }
}
