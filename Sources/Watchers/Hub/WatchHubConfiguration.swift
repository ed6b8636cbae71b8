/// Settings shared by every subscription of a ``WatchHub``.
public struct WatchHubConfiguration: Sendable, Hashable {
    /// Period of the polled roots and of the cheap checks every root gets (does the root still exist and is it
    /// still the same directory; has a missing root appeared). A polled file is reported once its size and
    /// mtime are unchanged for one interval, so polling latency is between one and two intervals.
    public var pollInterval: Duration
    /// Budget of inotify watches (directories) shared by all subscriptions. A root whose watches would exceed
    /// it is polled instead, with the reason "watch budget of N directories reached"; other roots keep inotify.
    /// `nil` = only the kernel limit (`fs.inotify.max_user_watches`).
    public var maximumWatches: Int?
    /// Undelivered events per subscription at which its buffer is dropped and replaced by one
    /// ``WatchEvent/rescanNeeded(root:reason:)`` per root ("subscriber fell behind: N events dropped"). The hub
    /// never waits for a slow subscriber, so the others are unaffected.
    public var maximumBufferedEvents: Int

    /// Creates a configuration; every parameter has a default.
    public init(pollInterval: Duration = .seconds(2), maximumWatches: Int? = nil, maximumBufferedEvents: Int = 16_384) {
        self.pollInterval = pollInterval
        self.maximumWatches = maximumWatches
        self.maximumBufferedEvents = maximumBufferedEvents
    }
}
