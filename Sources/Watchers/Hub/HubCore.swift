import Synchronization

/// A request from another thread to the hub thread.
enum HubCommand: Sendable {
    case add(
        id: Int, roots: [WatchRoot], options: SubscriptionOptions, channel: EventChannel, statusBoard: StatusBoard)
    case remove(id: Int)
}

/// The part of a hub that other threads talk to: a Mutex-protected command queue plus the ``WakePipe``, the
/// published ``WatchHubStatus``, and the channels of the live subscriptions (so that ``shutdown()`` can end
/// every stream at once, even while the hub thread is busy).
///
/// Held by ``WatchHub``, by every ``WatchSubscription`` and by the hub thread's engine; it never holds any of
/// them, so releasing the ``WatchHub`` shuts the hub down even while subscriptions are still referenced.
final class HubCore: Sendable {
    private struct State {
        var commands: [HubCommand] = []
        /// Subscriptions whose `.add` is still in `commands`: cancelling one just drops the `.add`.
        var pendingAdds: Set<Int> = []
        var channels: [Int: EventChannel] = [:]
        var nextSubscription = 0
        var isShutDown = false
        var paused = false
        var threadExited = false
    }

    let configuration: WatchHubConfiguration
    let wake = WakePipe()
    private let state = Mutex(State())
    private let published: Mutex<WatchHubStatus>

    init(configuration: WatchHubConfiguration, initialStatus: WatchHubStatus) {
        self.configuration = configuration
        self.published = Mutex(initialStatus)
    }

    // MARK: - Any thread

    /// Registers a subscription and queues it for the hub thread. After shutdown the channel is finished at once.
    func subscribe(roots: [WatchRoot], options: SubscriptionOptions, endsHub: Bool) -> (
        id: Int, channel: EventChannel, statusBoard: StatusBoard
    ) {
        let id = state.withLock { state in
            state.nextSubscription += 1
            return state.nextSubscription
        }
        let statusBoard = StatusBoard(
            roots.map {
                RootStatus(root: $0.path, mode: .automatic, reason: nil, watchedDirectories: 0, state: .starting)
            })
        let channel = EventChannel(
            limit: configuration.maximumBufferedEvents, roots: roots.map(\.path),
            onTerminate: { [weak self] in
                self?.cancel(id)
                if endsHub { self?.shutdown() }
            })
        let accepted = state.withLock { state in
            guard !state.isShutDown else { return false }
            state.channels[id] = channel
            state.pendingAdds.insert(id)
            state.commands.append(
                .add(id: id, roots: roots, options: options, channel: channel, statusBoard: statusBoard))
            return true
        }
        if accepted {
            wake.signal()
        } else {
            channel.finish()
        }
        return (id, channel, statusBoard)
    }

    /// Ends a subscription's stream and queues its removal. Idempotent.
    func cancel(_ id: Int) {
        let channel: EventChannel? = state.withLock { state in
            guard let channel = state.channels.removeValue(forKey: id) else { return nil }
            if state.pendingAdds.remove(id) != nil {
                state.commands.removeAll { if case .add(id, _, _, _, _) = $0 { true } else { false } }
            } else if !state.isShutDown {
                state.commands.append(.remove(id: id))
            }
            return channel
        }
        guard let channel else { return }
        channel.terminate()  // its onTerminate calls cancel(id) again, which finds nothing
        wake.signal()
    }

    /// Ends every stream and tells the hub thread to exit (it closes inotify on its way out). Idempotent.
    func shutdown() {
        let channels: [EventChannel]? = state.withLock { state in
            guard !state.isShutDown else { return nil }
            state.isShutDown = true
            state.commands = []
            state.pendingAdds = []
            defer { state.channels = [:] }
            return Array(state.channels.values)
        }
        guard let channels else { return }
        for channel in channels { channel.terminate() }
        wake.signal()
    }

    var status: WatchHubStatus { published.withLock { $0 } }

    /// Whether the hub thread has exited (for tests).
    var threadExited: Bool { state.withLock { $0.threadExited } }

    /// Test hook: while paused, the hub thread neither takes commands nor reads inotify nor runs checks, so
    /// a test can fill the kernel queue or observe roots in state `.starting`.
    func setPaused(_ paused: Bool) {
        state.withLock { $0.paused = paused }
        wake.signal()
    }

    // MARK: - Hub thread

    /// The queued commands, unless paused; `isShutDown` tells the thread to exit.
    func takeCommands() -> (commands: [HubCommand], isShutDown: Bool, paused: Bool) {
        state.withLock { state in
            if state.isShutDown { return ([], true, false) }
            if state.paused { return ([], false, true) }
            defer {
                state.commands = []
                state.pendingAdds = []
            }
            return (state.commands, false, false)
        }
    }

    func publish(_ status: WatchHubStatus) {
        published.withLock { $0 = status }
    }

    func markThreadExited() {
        state.withLock { $0.threadExited = true }
    }
}
