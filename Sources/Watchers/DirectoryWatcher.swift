import Foundation

/// Watches a set of root directories and delivers ``WatchEvent``s: inotify on local filesystems, polling on
/// network/cluster filesystems or when inotify runs out of watches.
///
/// Creating the watcher starts a dedicated thread (named `pegasus-em.watchers`) that sets up the roots and then
/// blocks in `poll(2)` on the inotify descriptor and a wake pipe; it never blocks the Swift concurrency pool.
/// Events are buffered (see ``WatcherConfiguration/maximumBufferedEvents``) until ``events`` is iterated.
///
/// Protocol for consumers:
/// 1. Iterate ``events`` in one task. Each existing root first reports
///    ``WatchEvent/rescanNeeded(root:reason:)`` ("initial scan"): its watches are now in place, so a
///    ``scanFiles(root:followSymlinks:)`` started at that point plus the events that follow miss nothing.
/// 2. On every later `rescanNeeded` (queue overflow, switch to polling) scan that root again and reconcile;
///    the watcher has already re-established its watches.
/// 3. Deduplicate by ``FileIdentity``: delivery is at least once.
///
/// The thread stops, and the inotify descriptor is closed, when the task iterating ``events`` is cancelled,
/// when ``stop()`` is called, or when the watcher and all its event sequences and iterators are released.
public final class DirectoryWatcher: Sendable {
    /// The roots, normalised (see ``WatchRoot/init(path:depth:)``).
    public let roots: [WatchRoot]
    /// The configuration the watcher was created with.
    public let configuration: WatcherConfiguration
    private let core: WatcherCore

    /// Starts watching `roots`. Roots that do not exist yet are waited for (``WatchEvent/rootAppeared(_:)``).
    /// Duplicate roots are merged.
    public init(roots: [WatchRoot], configuration: WatcherConfiguration = WatcherConfiguration()) {
        var unique: [WatchRoot] = []
        for root in roots where !unique.contains(root) { unique.append(root) }
        self.roots = unique
        self.configuration = configuration
        self.core = WatcherCore(roots: unique, configuration: configuration)
    }

    /// The event stream. Single consumer: iterate it from one task at a time. Ends (returns `nil`) after
    /// ``stop()`` or cancellation of the iterating task, which also stops the watcher.
    public var events: WatchEventSequence {
        WatchEventSequence(core: core)
    }

    /// Effective mode, reason and watch count of each root, in the order of ``roots``.
    public func status() -> [RootStatus] {
        core.statusBoard.current
    }

    /// Stops the watcher thread and ends the event stream (buffered events are dropped). Idempotent.
    public func stop() {
        core.channel.terminate()
    }
}

/// The events of a ``DirectoryWatcher``. Its iterator keeps the watcher running.
public struct WatchEventSequence: AsyncSequence, Sendable {
    public typealias Element = WatchEvent
    public typealias Failure = Never

    fileprivate let core: WatcherCore

    /// Iterator over ``WatchEvent``s.
    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        public typealias Element = WatchEvent
        public typealias Failure = Never

        fileprivate let core: WatcherCore

        /// The next event, or `nil` once the watcher stopped.
        public mutating func next() async -> WatchEvent? {
            await core.channel.next()
        }
    }

    /// Creates the (single) iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(core: core)
    }
}

/// Shared by the public handle, its sequences and iterators; stops the thread when the last of them goes.
/// The thread itself only holds the engine, channel, status board and pipe, never this object.
final class WatcherCore: Sendable {
    let channel: EventChannel
    let statusBoard: StatusBoard

    init(roots: [WatchRoot], configuration: WatcherConfiguration) {
        let wake = WakePipe()
        channel = EventChannel(limit: configuration.maximumBufferedEvents, wake: wake)
        statusBoard = StatusBoard(
            roots.map {
                RootStatus(root: $0.path, mode: .automatic, reason: nil, watchedDirectories: 0, state: .starting)
            })
        let engine = WatcherEngine(
            roots: roots, configuration: configuration, channel: channel, statusBoard: statusBoard, wake: wake)
        let thread = Thread { engine.run() }
        thread.name = "pegasus-em.watchers"
        thread.start()
    }

    deinit {
        channel.terminate()
    }
}
