import Synchronization

/// Single-consumer queue between the watcher thread and the task iterating ``WatchEventSequence``.
///
/// It never drops events. Instead the thread asks ``shouldPause()`` before reading more: above
/// `limit` buffered events it stops reading inotify (the kernel queue then overflows into
/// `IN_Q_OVERFLOW` → `rescanNeeded`) until the consumer has drained half of the buffer, which wakes it through
/// the pipe.
final class EventChannel: Sendable {
    private struct State {
        var buffer: [WatchEvent] = []
        var head = 0
        var waiter: CheckedContinuation<WatchEvent?, Never>?
        /// The consumer side is gone (cancelled, stopped, handle released): drop everything, stop the thread.
        var terminated = false
        /// The producer thread has exited: deliver what is buffered, then end.
        var finished = false
        var producerPaused = false

        var count: Int { buffer.count - head }

        mutating func popFirst() -> WatchEvent? {
            guard head < buffer.count else { return nil }
            let event = buffer[head]
            head += 1
            if head == buffer.count {
                buffer.removeAll(keepingCapacity: buffer.capacity <= 65_536)
                head = 0
            } else if head >= 4096 && head * 2 >= buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return event
        }
    }

    private let state = Mutex(State())
    private let limit: Int
    private let wake: WakePipe

    init(limit: Int, wake: WakePipe) {
        self.limit = max(1, limit)
        self.wake = wake
    }

    // MARK: - Consumer side

    /// Next event; `nil` once the channel is terminated or the producer finished and the buffer is empty.
    /// Cancelling the awaiting task terminates the channel (and so stops the watcher).
    func next() async -> WatchEvent? {
        if Task.isCancelled {
            terminate()
            return nil
        }
        switch popOrFinish() {
        case .event(let event): return event
        case .end: return nil
        case .empty: break
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<WatchEvent?, Never>) in
                enum Outcome {
                    case resume(WatchEvent?, wakeProducer: Bool)
                    case suspended
                }
                let outcome: Outcome = state.withLock { state in
                    if state.terminated { return .resume(nil, wakeProducer: false) }
                    if let event = state.popFirst() {
                        return .resume(event, wakeProducer: Self.unpauseIfDrained(&state, limit: limit))
                    }
                    if state.finished { return .resume(nil, wakeProducer: false) }
                    precondition(state.waiter == nil, "WatchEventSequence supports only one consumer at a time")
                    state.waiter = continuation
                    return .suspended
                }
                if case .resume(let event, let wakeProducer) = outcome {
                    if wakeProducer { wake.signal() }
                    continuation.resume(returning: event)
                }
            }
        } onCancel: {
            terminate()
        }
    }

    private enum Pop {
        case event(WatchEvent), empty, end
    }

    private func popOrFinish() -> Pop {
        let (pop, wakeProducer): (Pop, Bool) = state.withLock { state in
            if state.terminated { return (.end, false) }
            if let event = state.popFirst() {
                return (.event(event), Self.unpauseIfDrained(&state, limit: limit))
            }
            return (state.finished ? .end : .empty, false)
        }
        if wakeProducer { wake.signal() }
        return pop
    }

    private static func unpauseIfDrained(_ state: inout State, limit: Int) -> Bool {
        guard state.producerPaused, state.count <= limit / 2 else { return false }
        state.producerPaused = false
        return true
    }

    /// Ends the stream from the consumer side: buffered events are dropped and the watcher thread stops.
    func terminate() {
        let waiter: CheckedContinuation<WatchEvent?, Never>? = state.withLock { state in
            guard !state.terminated else { return nil }
            state.terminated = true
            state.buffer = []
            state.head = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
        wake.signal()
    }

    // MARK: - Producer side (watcher thread)

    var isTerminated: Bool { state.withLock { $0.terminated } }

    /// Number of buffered events (for tests and diagnostics).
    var bufferedCount: Int { state.withLock { $0.count } }

    /// Appends events, handing the first one directly to a waiting consumer.
    func send(_ events: [WatchEvent]) {
        guard !events.isEmpty else { return }
        let waiter: CheckedContinuation<WatchEvent?, Never>? = state.withLock { state in
            guard !state.terminated else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                state.buffer.append(contentsOf: events.dropFirst())
                return waiter
            }
            state.buffer.append(contentsOf: events)
            return nil
        }
        waiter?.resume(returning: events[0])
    }

    /// `true` when the consumer is behind by `limit` events; the producer must then stop reading until the
    /// wake pipe fires (the consumer signals it once half of the buffer is drained).
    func shouldPause() -> Bool {
        state.withLock { state in
            guard !state.terminated, state.count >= limit else { return false }
            state.producerPaused = true
            return true
        }
    }

    /// Called when the producer thread exits.
    func finish() {
        let waiter: CheckedContinuation<WatchEvent?, Never>? = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}
