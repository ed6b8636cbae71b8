import Foundation
import Watchers

/// What `trigger-status` shows of a running file trigger.
public struct FileTriggerStatus: Sendable, Equatable {
    /// One watched root.
    public struct Root: Sendable, Equatable {
        /// The root's normalised path.
        public var path: String
        /// What it uses: `.inotify` or `.polling` (`.automatic` only while it starts).
        public var mode: FileWatchMode
        /// Why it is polled (e.g. "nfs filesystem (statfs type 0x6969)"); nil for inotify.
        public var reason: String?
        /// inotify watches (directories) it holds; 0 when polled.
        public var watchedDirectories: Int
        /// Where it is in its life cycle: `starting`, `waitingForRoot` or `active`.
        public var state: String
        /// The readiness rule its files were last judged by; nil before any file was looked at.
        public var rule: ReadinessRule?

        init(_ watch: RootStatus, rule: ReadinessRule?) {
            self.path = watch.root
            self.mode = FileWatchMode(watch.mode)
            self.reason = watch.reason
            self.watchedDirectories = watch.watchedDirectories
            self.state = "\(watch.state)"
            self.rule = rule
        }
    }

    /// The server's watch hub, shared by every file trigger.
    public struct Hub: Sendable, Equatable {
        /// Whether the hub has an inotify instance, and why not.
        public var inotifyAvailable: Bool
        public var inotifyReason: String?
        /// Subscriptions (file triggers) it serves.
        public var subscriptions: Int
        /// inotify watches in use (a directory counts once) and the limit, when known.
        public var watches: Int
        public var watchLimit: Int?
        /// Roots that are polled.
        public var polledRoots: Int
        /// Kernel queue overflows, and lagging subscribers whose buffer was replaced by a rescan.
        public var queueOverflows: Int
        public var subscriberOverflows: Int

        init(_ hub: WatchHubStatus) {
            self.inotifyAvailable = hub.inotifyAvailable
            self.inotifyReason = hub.inotifyReason
            self.subscriptions = hub.subscriptions
            self.watches = hub.watches
            self.watchLimit = hub.watchLimit
            self.polledRoots = hub.polledRoots
            self.queueOverflows = hub.queueOverflows
            self.subscriberOverflows = hub.subscriberOverflows
        }
    }

    /// The roots, in the order of the trigger's watch roots.
    public var roots: [Root]
    /// Files seen but not ready yet.
    public var pendingFiles: Int
    /// Seconds since the longest-pending file last changed.
    public var oldestPendingAge: Double?
    /// The next tick as the running trigger knows it (quiet ticks are not persisted).
    public var nextFire: Date?
    /// The quiet period (seconds) where the writer check works.
    public var quietPeriod: Double
    /// The settle period (seconds) where it is refused.
    public var settle: Double
    /// The ready marker glob, if any.
    public var readyMarker: String?
    /// The server's watch hub (watch budget, overflows).
    public var hub: Hub
    /// The last completed scan of the trigger's roots (the start scan, a rescan, a reconciliation); nil before the
    /// first has completed.
    public var lastScan: Scan? = nil

    /// One completed scan.
    public struct Scan: Sendable, Equatable {
        /// Scans completed since the trigger started (the start scan is the first).
        public var count: Int
        /// When it completed.
        public var finished: Date
        /// Seconds it took: the walk and the ledger check.
        public var seconds: Double
        /// Input files it found.
        public var files: Int
        /// Of those, files it knew nothing of that the ledger holds: settled without an inspection.
        public var recorded: Int

        /// Creates a scan summary.
        public init(count: Int, finished: Date, seconds: Double, files: Int, recorded: Int) {
            self.count = count
            self.finished = finished
            self.seconds = seconds
            self.files = files
            self.recorded = recorded
        }
    }
}
