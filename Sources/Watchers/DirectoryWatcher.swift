/// Watches a set of root directories and delivers ``WatchEvent``s: inotify on local filesystems, polling on
/// network/cluster filesystems or when inotify runs out of watches.
///
/// A thin wrapper around a private ``WatchHub`` with one ``WatchSubscription``: creating the watcher starts a
/// dedicated thread (named `pegasus-em.watchers`) that sets up the roots and then blocks in `poll(2)` on the
/// inotify descriptor and a wake pipe; it never blocks the Swift concurrency pool. A server with many
/// watchers should share one ``WatchHub`` instead (one inotify instance and one thread in all).
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
    private let hub: WatchHub
    private let subscription: WatchSubscription

    /// Starts watching `roots`. Roots that do not exist yet are waited for (``WatchEvent/rootAppeared(_:)``).
    /// Duplicate roots are merged.
    public init(roots: [WatchRoot], configuration: WatcherConfiguration = WatcherConfiguration()) {
        self.configuration = configuration
        hub = WatchHub(
            configuration: WatchHubConfiguration(
                pollInterval: configuration.pollInterval, maximumWatches: configuration.maximumWatches,
                maximumBufferedEvents: configuration.maximumBufferedEvents),
            opensInotify: configuration.mode != .polling, threadName: "pegasus-em.watchers")
        subscription = hub.subscribeOwner(
            roots: roots,
            options: SubscriptionOptions(mode: configuration.mode, followSymlinks: configuration.followSymlinks))
        self.roots = subscription.roots
    }

    /// The event stream. Single consumer: iterate it from one task at a time. Ends (returns `nil`) after
    /// ``stop()`` or cancellation of the iterating task, which also stops the watcher.
    public var events: WatchEventSequence {
        WatchEventSequence(channel: subscription.channel, owner: self)
    }

    /// Effective mode, reason and watch count of each root, in the order of ``roots``.
    public func status() -> [RootStatus] {
        subscription.status()
    }

    /// Stops the watcher thread and ends the event stream (buffered events are dropped). Idempotent.
    public func stop() {
        hub.shutdown()
    }
}
