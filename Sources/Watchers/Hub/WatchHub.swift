import Foundation

/// One inotify instance and one thread for every root of every subscription in the process.
///
/// A server creates one hub and subscribes each consumer (a file trigger, say) with its own roots:
/// ```swift
/// let hub = WatchHub(configuration: WatchHubConfiguration(pollInterval: .seconds(2), maximumWatches: 100_000))
/// let subscription = hub.subscribe(roots: [WatchRoot(path: "/data/incoming", depth: WatchRoot.unlimited)])
/// for await event in subscription.events { … }   // same protocol as ``DirectoryWatcher/events``
/// subscription.cancel()
/// ```
///
/// - A directory watched by several subscriptions has one kernel watch, reference counted; each subscription
///   gets the events of its own roots only.
/// - Subscribing and cancelling cost work in proportion to the subscription's own directories; both return at
///   once (the hub thread does the work).
/// - Polled roots are served by the same thread, every ``WatchHubConfiguration/pollInterval``.
/// - The hub never waits for a slow subscriber: see ``WatchHubConfiguration/maximumBufferedEvents``.
///
/// The thread (named `pegasus-em.hub`) blocks in `poll(2)` on the inotify descriptor and a wake pipe; it never
/// blocks the Swift concurrency pool. ``shutdown()``, or releasing the hub, ends every subscription's event
/// stream, stops the thread and closes the inotify descriptor. Subscriptions do not keep the hub alive.
public final class WatchHub: Sendable {
    /// The configuration the hub was created with.
    public let configuration: WatchHubConfiguration
    let core: HubCore

    /// Opens the inotify instance and starts the hub thread.
    public convenience init(configuration: WatchHubConfiguration = WatchHubConfiguration()) {
        self.init(configuration: configuration, opensInotify: true, threadName: "pegasus-em.hub")
    }

    /// `opensInotify: false` is for a ``DirectoryWatcher`` that only polls: it does not use up an instance.
    init(
        configuration: WatchHubConfiguration, opensInotify: Bool, threadName: String,
        closedReason: String = "inotify not opened (no subscription needs it yet)"
    ) {
        self.configuration = configuration
        var inotify: InotifyDescriptor?
        var reason = closedReason
        if opensInotify {
            switch InotifyDescriptor.open() {
            case .success(let descriptor): inotify = descriptor
            case .failure(let error): reason = WatcherEngine.unavailableReason(error)
            }
        }
        let watchLimit = configuration.maximumWatches ?? WatcherEngine.kernelWatchLimit()
        core = HubCore(
            configuration: configuration,
            initialStatus: WatchHubStatus(
                inotifyAvailable: inotify != nil, inotifyReason: inotify == nil ? reason : nil, subscriptions: 0,
                watches: 0, watchLimit: watchLimit, polledRoots: 0, queueOverflows: 0, subscriberOverflows: 0))
        let engine = WatcherEngine(
            core: core, inotify: inotify, inotifyUnavailableReason: reason, watchLimit: watchLimit,
            threadName: threadName)
        let thread = Thread { engine.run() }
        thread.name = threadName
        thread.start()
    }

    deinit {
        core.shutdown()
    }

    /// Starts watching `roots` for a new subscriber and returns at once: the roots report state `.starting`
    /// until the hub thread has set them up, and then each existing root sends
    /// ``WatchEvent/rescanNeeded(root:reason:)`` ("initial scan (watches are in place)") first. Roots that do
    /// not exist yet are waited for. Duplicate roots are merged. After ``shutdown()`` the subscription's
    /// stream is already ended.
    public func subscribe(roots: [WatchRoot], options: SubscriptionOptions = SubscriptionOptions()) -> WatchSubscription
    {
        WatchSubscription(core: core, roots: roots, options: options, endsHub: false)
    }

    /// A hub for roots that are polled (on network or FUSE filesystems): its own thread, named `threadName`, and
    /// no inotify instance, so that a hung mount stalls only the subscriptions of this hub, never another hub's
    /// inotify roots.
    public static func polling(configuration: WatchHubConfiguration, threadName: String) -> WatchHub {
        WatchHub(
            configuration: configuration, opensInotify: false, threadName: threadName,
            closedReason: "polled with the subscription's roots on a network filesystem (a hub of its own)")
    }

    /// Subscribes the single subscriber of a ``DirectoryWatcher``: ending its stream shuts the hub down.
    func subscribeOwner(roots: [WatchRoot], options: SubscriptionOptions) -> WatchSubscription {
        WatchSubscription(core: core, roots: roots, options: options, endsHub: true)
    }

    /// inotify availability, watches in use, polled roots and overflow counters (as last published by the hub
    /// thread).
    public func status() -> WatchHubStatus {
        core.status
    }

    /// Ends every subscription's event stream (buffered events are dropped), stops the thread and closes the
    /// inotify descriptor, which removes all of its watches. Idempotent; also done when the hub is released.
    public func shutdown() {
        core.shutdown()
    }
}
