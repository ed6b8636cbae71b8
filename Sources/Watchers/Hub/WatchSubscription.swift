/// One subscriber of a ``WatchHub``: its roots, its own event stream and its own per-root status.
///
/// The subscription ends, and its share of the watches is released, on ``cancel()``, when the task iterating
/// ``events`` is cancelled, when the subscription and all its event sequences and iterators are released, or
/// when the hub shuts down.
public final class WatchSubscription: Sendable {
    /// The roots, normalised (see ``WatchRoot/init(path:depth:)``), duplicates merged.
    public let roots: [WatchRoot]
    /// The options the subscription was created with.
    public let options: SubscriptionOptions
    let id: Int
    let channel: EventChannel
    private let statusBoard: StatusBoard
    private let core: HubCore

    init(core: HubCore, roots: [WatchRoot], options: SubscriptionOptions, endsHub: Bool) {
        var unique: [WatchRoot] = []
        for root in roots where !unique.contains(root) { unique.append(root) }
        self.roots = unique
        self.options = options
        self.core = core
        (id, channel, statusBoard) = core.subscribe(roots: unique, options: options, endsHub: endsHub)
    }

    deinit {
        core.cancel(id)
    }

    /// The event stream, with the same protocol as ``DirectoryWatcher/events``. Single consumer: iterate it
    /// from one task at a time. Ends (returns `nil`) after ``cancel()``, cancellation of the iterating task, or
    /// shutdown of the hub.
    public var events: WatchEventSequence {
        WatchEventSequence(channel: channel, owner: self)
    }

    /// Effective mode, reason, watch count and state of each root, in the order of ``roots``.
    public func status() -> [RootStatus] {
        statusBoard.current
    }

    /// Ends the event stream (buffered events are dropped) and releases the subscription's watches; a kernel
    /// watch is removed once no other subscription uses it. Idempotent.
    public func cancel() {
        core.cancel(id)
    }
}
