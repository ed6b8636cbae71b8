/// The events of a ``DirectoryWatcher`` or of a ``WatchSubscription``. The sequence and its iterator keep
/// their watcher or subscription running.
public struct WatchEventSequence: AsyncSequence, Sendable {
    /// The element type: a ``WatchEvent``.
    public typealias Element = WatchEvent
    /// The sequence never throws.
    public typealias Failure = Never

    let channel: EventChannel
    /// The watcher or subscription, kept alive for as long as the sequence exists.
    let owner: any AnyObject & Sendable

    /// Iterator over ``WatchEvent``s.
    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        /// The element type: a ``WatchEvent``.
        public typealias Element = WatchEvent
        /// The iterator never throws.
        public typealias Failure = Never

        let channel: EventChannel
        let owner: any AnyObject & Sendable

        /// The next event, or `nil` once the watcher or subscription stopped.
        public mutating func next() async -> WatchEvent? {
            await channel.next()
        }
    }

    /// Creates the (single) iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(channel: channel, owner: owner)
    }
}
