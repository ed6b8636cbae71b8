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
    /// A sentinel glob (`*.done`, `DONE`) that must exist before a file is taken.
    public var readyMarker: String?
    /// What a tick does while a workflow of the trigger is still active: `allow` (nil), `skip` or `buffer-one`.
    public var overlap: String?
    /// Pause the trigger after this many consecutive failed workflows; never when nil.
    public var pauseAfterFailures: Int?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case interval, timeout, cron, timezone, catchup, settle
        case filePatterns = "file_patterns"
        case maxFiles = "max_files"
        case moveProcessed = "move_processed"
        case watchMode = "watch_mode"
        case readyMarker = "ready_marker"
        case overlap
        case pauseAfterFailures = "pause_after_failures"
    }
}
