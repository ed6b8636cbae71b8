import Synchronization

/// The latest ``RootStatus`` list of one subscription, published by the hub thread.
final class StatusBoard: Sendable {
    private let statuses: Mutex<[RootStatus]>

    init(_ initial: [RootStatus]) {
        statuses = Mutex(initial)
    }

    func publish(_ value: [RootStatus]) {
        statuses.withLock { $0 = value }
    }

    var current: [RootStatus] { statuses.withLock { $0 } }
}
