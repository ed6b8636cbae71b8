/// What a ``WatchHub`` is doing, as a whole (per-root details are in ``WatchSubscription/status()``).
public struct WatchHubStatus: Sendable, Hashable {
    /// Whether the hub has an inotify instance.
    public var inotifyAvailable: Bool
    /// Why it has none, e.g. "inotify instance limit reached (EMFILE)"; `nil` when ``inotifyAvailable``.
    public var inotifyReason: String?
    /// Number of subscriptions the hub thread serves (a new one counts once the thread has taken it up).
    public var subscriptions: Int
    /// inotify watches in use. A directory counts once, however many subscriptions share it.
    public var watches: Int
    /// The configured ``WatchHubConfiguration/maximumWatches``, else `fs.inotify.max_user_watches` (a per-user
    /// limit, shared with every other inotify user of the same uid); `nil` if neither is known.
    public var watchLimit: Int?
    /// Roots that are polled (``RootStatus/mode`` `.polling` with state `.active`).
    public var polledRoots: Int
    /// inotify queue overflows (`IN_Q_OVERFLOW`) seen.
    public var queueOverflows: Int
    /// How many times a lagging subscriber's buffer was dropped (see
    /// ``WatchHubConfiguration/maximumBufferedEvents``).
    public var subscriberOverflows: Int

    /// Creates a status record.
    public init(
        inotifyAvailable: Bool, inotifyReason: String?, subscriptions: Int, watches: Int, watchLimit: Int?,
        polledRoots: Int, queueOverflows: Int, subscriberOverflows: Int
    ) {
        self.inotifyAvailable = inotifyAvailable
        self.inotifyReason = inotifyReason
        self.subscriptions = subscriptions
        self.watches = watches
        self.watchLimit = watchLimit
        self.polledRoots = polledRoots
        self.queueOverflows = queueOverflows
        self.subscriberOverflows = subscriberOverflows
    }
}
