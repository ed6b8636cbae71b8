import Foundation
import Synchronization
import Watchers

/// What the file triggers of one server share: the watch hub (one inotify instance and one thread for every root
/// of every trigger) and an elastic set of threads for blocking file work (scans, stats, writer probes), so that
/// no trigger blocks the Swift concurrency pool, and a scan stuck on a hung mount holds up only its own trigger.
public final class FileWatching: Sendable {
    /// At most this many blocking file operations run at once (threads start on demand, and exit after
    /// ``workerIdleTimeout`` without work): that many triggers stuck on hung mounts at once make the others wait.
    public static let maxWorkerThreads = 32
    /// How long an idle file-work thread stays.
    public static let workerIdleTimeout = Duration.seconds(10)

    /// The server's watch hub.
    public let hub: WatchHub
    /// The threads that scan directories and inspect files.
    public let worker: BlockingWorker

    /// Creates (and starts) the hub and the worker.
    public init(
        hub: WatchHub = WatchHub(),
        worker: BlockingWorker = BlockingWorker(
            name: "pegasus-em.files", maxThreads: FileWatching.maxWorkerThreads,
            idleTimeout: FileWatching.workerIdleTimeout)
    ) {
        self.hub = hub
        self.worker = worker
    }

    /// Stops the hub, the polling hubs and the worker. Later subscriptions go to the (stopped) shared hub, whose
    /// streams are already ended.
    public func shutdown() {
        hub.shutdown()
        let polling = pollingHubs.withLock { state -> [WatchHub] in
            state.isShutDown = true
            defer { state.hubs = [:] }
            return state.hubs.values.map(\.hub)
        }
        for pollingHub in polling { pollingHub.shutdown() }
        worker.shutdown()
    }

    /// The polling hubs of network filesystems, by device, with the number of subscriptions using each.
    private let pollingHubs = Mutex(PollingHubs())

    private struct PollingHubs {
        var hubs: [UInt64: (hub: WatchHub, users: Int)] = [:]
        var isShutDown = false
    }

    /// A trigger's subscription, and the device of the polling hub it uses, if any.
    public struct Subscription: Sendable {
        public let subscription: WatchSubscription
        let pollingDevice: UInt64?
    }

    /// Subscribes a trigger's roots: to the shared hub, or, when a root is on a network or FUSE filesystem
    /// (judged by its nearest existing directory) and the mode is not `inotify`, to the polling hub of that
    /// filesystem: one thread per network filesystem, shared by the triggers on it, so that a hung mount stalls
    /// those triggers alone, never the inotify roots of the others. Decided once, at subscription; the `statfs`
    /// calls run on a worker thread. End it with ``unsubscribe(_:)``.
    public func subscribe(roots: [WatchRoot], options: SubscriptionOptions) async -> Subscription {
        let device: UInt64? =
            options.mode == .inotify ? nil : await worker.run { roots.lazy.compactMap(Self.networkDevice).first }
        guard let device else {
            return Subscription(subscription: hub.subscribe(roots: roots, options: options), pollingDevice: nil)
        }
        let pollingHub = pollingHubs.withLock { state -> WatchHub? in
            guard !state.isShutDown else { return nil }
            let entry =
                state.hubs[device]
                ?? (WatchHub.polling(configuration: hub.configuration, threadName: "pegasus-em.poll"), 0)
            state.hubs[device] = (entry.hub, entry.users + 1)
            return entry.hub
        }
        guard let pollingHub else {
            return Subscription(subscription: hub.subscribe(roots: roots, options: options), pollingDevice: nil)
        }
        return Subscription(subscription: pollingHub.subscribe(roots: roots, options: options), pollingDevice: device)
    }

    /// Cancels the subscription; the last subscription of a polling hub stops it.
    public func unsubscribe(_ subscription: Subscription) {
        subscription.subscription.cancel()
        guard let device = subscription.pollingDevice else { return }
        let unused = pollingHubs.withLock { state -> WatchHub? in
            guard let entry = state.hubs[device] else { return nil }
            if entry.users > 1 {
                state.hubs[device] = (entry.hub, entry.users - 1)
                return nil
            }
            state.hubs.removeValue(forKey: device)
            return entry.hub
        }
        unused?.shutdown()
    }

    /// The device of `root`'s nearest existing directory if it is on a network or FUSE filesystem, else nil.
    /// Blocking (`statfs`, `stat`).
    static func networkDevice(_ root: WatchRoot) -> UInt64? {
        var candidate = root.path
        while true {
            if let type = FileSystemKind.magic(path: candidate) {
                guard FileSystemKind.classify(type: type).isNetwork else { return nil }
                return FileStatus.of(candidate)?.device
            }
            guard candidate != "/", !candidate.isEmpty else { return nil }
            candidate = (candidate as NSString).deletingLastPathComponent
        }
    }

    /// The hubs' numbers (watches, limit, overflows: the shared hub's; polled roots: of every hub).
    public func status() -> WatchHubStatus {
        var status = hub.status()
        for entry in pollingHubs.withLock({ Array($0.hubs.values) }) {
            let own = entry.hub.status()
            status.polledRoots += own.polledRoots
            status.subscriptions += own.subscriptions
            status.subscriberOverflows += own.subscriberOverflows
        }
        return status
    }

    /// Scans roots on a worker thread and keeps the trigger's input files (matching runs there too). A caller
    /// cancelled before its scan started gets nothing and does not wait behind the queue.
    func scan(_ roots: [WatchRoot], followSymlinks: Bool, filter: FileFilter) async -> [ScannedFile] {
        await worker.runUnlessCancelled {
            roots.flatMap { scanFiles(root: $0, followSymlinks: followSymlinks) }.filter { filter.wants($0.path) }
        } ?? []
    }

    /// Inspects files on a worker thread: identity and writer check under one read lease, and the ready marker.
    func inspect(_ paths: [String], rules: ReadinessRules, followSymlinks: Bool) async -> [FileInspection] {
        await worker.run {
            paths.map { path in
                if !followSymlinks, FileStatus.of(path, follow: false)?.isSymlink != false {
                    return FileInspection(path: path, identity: nil, writer: .unavailable("not a regular file"))
                }
                let look = WriterProbe.inspect(path: path)
                let marker = rules.readyMarker.map { FileStatus.of($0.marker(for: path)) != nil } ?? true
                return FileInspection(path: path, identity: look.identity, writer: look.writer, markerPresent: marker)
            }
        }
    }

    /// The trigger's input files that exist now, as their ledger keys (for `skip_existing`): one scan of its roots
    /// on a worker thread.
    public func currentFiles(_ options: FileTriggerOptions) async -> [TriggerInput] {
        let filter = FileFilter(
            patterns: options.patterns, excludedDirectories: options.excludedDirectories,
            readyMarker: options.rules.readyMarker)
        return await scan(options.roots, followSymlinks: options.watch.followSymlinks, filter: filter)
            .map(TriggerInput.init)
    }
}
