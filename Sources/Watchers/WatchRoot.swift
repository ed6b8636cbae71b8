/// A directory to watch and how deep below it files count.
public struct WatchRoot: Sendable, Hashable {
    /// Depth that makes a root fully recursive (`**`).
    public static let unlimited = Int.max

    /// Absolute, lexically normalised path of the root directory (no trailing slash, no `.` or `..`).
    public var path: String
    /// How many directory levels below ``path`` count: 0 = only files directly in `path`, 1 = also files in
    /// its subdirectories, ``unlimited`` = the whole tree. Negative values are treated as 0.
    public var depth: Int

    /// Creates a root. A relative `path` is resolved against the current directory and normalised; a
    /// symbolic link *as the root itself* is followed, links below it only with `followSymlinks`.
    public init(path: String, depth: Int = 0) {
        self.path = PathUtilities.normalize(path)
        self.depth = max(0, depth)
    }

    /// Whether directories below the root are watched.
    public var isRecursive: Bool { depth > 0 }
}

/// Which mechanism watches a root.
public enum WatchMode: Sendable, Hashable {
    /// inotify on local filesystems, polling on network/cluster filesystems (see ``FileSystemKind``) and
    /// whenever inotify runs out of watches or instances.
    case automatic
    /// Always inotify (still falls back to polling when the kernel refuses more watches, since the
    /// alternative is silently missing files).
    case inotify
    /// Always poll.
    case polling
}

/// Options of a ``DirectoryWatcher``.
public struct WatcherConfiguration: Sendable, Hashable {
    /// Requested mode; ``RootStatus/mode`` reports what each root actually uses.
    public var mode: WatchMode
    /// Period of the polling watcher, and of the cheap checks every root gets (does the root still exist and is
    /// it still the same directory; has a missing root appeared). A polled file is reported once its size and
    /// mtime are unchanged for one interval, so polling latency is between one and two intervals.
    public var pollInterval: Duration
    /// Follow symbolic links below the roots (to files and directories). Off by default: links are then
    /// neither reported nor descended into. Cycles are detected by (device, inode).
    public var followSymlinks: Bool
    /// Limit on events buffered for a consumer that does not keep up. When this many are undelivered, the
    /// buffer is dropped and replaced by one ``WatchEvent/rescanNeeded(root:reason:)`` per root ("subscriber
    /// fell behind: N events dropped"); the events after the drop follow it. The watcher never stops reading
    /// the kernel queue, and memory stays bounded by this plus one event per root.
    public var maximumBufferedEvents: Int
    /// Optional budget of inotify watches (directories) for this watcher. A root whose watches would exceed it
    /// switches to polling, as on `ENOSPC`. `nil` = only the kernel limit (`fs.inotify.max_user_watches`).
    public var maximumWatches: Int?

    /// Creates a configuration; every parameter has a default.
    public init(
        mode: WatchMode = .automatic,
        pollInterval: Duration = .seconds(2),
        followSymlinks: Bool = false,
        maximumBufferedEvents: Int = 16_384,
        maximumWatches: Int? = nil
    ) {
        self.mode = mode
        self.pollInterval = pollInterval
        self.followSymlinks = followSymlinks
        self.maximumBufferedEvents = maximumBufferedEvents
        self.maximumWatches = maximumWatches
    }
}

/// What a ``DirectoryWatcher`` is doing for one root.
public struct RootStatus: Sendable, Hashable {
    /// Where the root is in its life cycle.
    public enum State: Sendable, Hashable {
        /// The watcher thread has not set the root up yet.
        case starting
        /// The root does not exist (yet, or any more); the watcher waits for it.
        case waitingForRoot
        /// The root is watched.
        case active
    }

    /// The root's normalised path.
    public var root: String
    /// The effective mode: `.inotify` or `.polling` (`.automatic` only while ``state`` is `.starting`).
    /// While waiting for a missing root it says how the watcher waits (inotify on the nearest ancestor, or
    /// a periodic `stat`).
    public var mode: WatchMode
    /// Why the root is polled, e.g. "nfs filesystem (statfs type 0x6969)", "inotify watch limit reached
    /// (ENOSPC)", "forced by configuration"; `nil` for inotify.
    public var reason: String?
    /// Number of inotify watches (directories) the root holds; 0 when polling.
    public var watchedDirectories: Int
    /// Life-cycle state.
    public var state: State

    /// Creates a status record.
    public init(root: String, mode: WatchMode, reason: String?, watchedDirectories: Int, state: State) {
        self.root = root
        self.mode = mode
        self.reason = reason
        self.watchedDirectories = watchedDirectories
        self.state = state
    }
}
