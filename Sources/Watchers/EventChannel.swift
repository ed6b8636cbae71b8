import Synchronization

/// Single-consumer queue between the hub thread and the task iterating one subscription's
/// ``WatchEventSequence``.
///
/// The hub thread never waits for a consumer: one slow subscriber must not stop it from reading inotify for
/// everybody else. When `limit` events are undelivered, the buffer is dropped and replaced by one
/// ``WatchEvent/rescanNeeded(root:reason:)`` per root ("subscriber fell behind: N events dropped"). The
/// consumer gets these first when it next reads, then the events that arrived after the drop, in order. A
/// `rescanNeeded` makes it scan the root again, so nothing is lost silently, and memory stays bounded by
/// `limit` plus one marker per root.
final class EventChannel: Sendable {
    private struct State {
        var buffer: [WatchEvent] = []
        var head = 0
        var waiter: CheckedContinuation<WatchEvent?, Never>?
        /// The consumer side is gone (cancelled, stopped, handle released): drop everything.
        var terminated = false
        /// The producer has finished: deliver what is buffered, then end.
        var finished = false
        /// "Fell behind" markers at the front of the buffer that were not delivered yet.
        var markersPending = 0
        /// How many events those markers stand for (carried over if the buffer is dropped again before the
        /// consumer has read all of them).
        var droppedPending = 0

        var count: Int { buffer.count - head }

        /// Undelivered events that came from the watcher (markers excluded).
        var realCount: Int { count - markersPending }

        mutating func popFirst() -> WatchEvent? {
            guard head < buffer.count else { return nil }
            let event = buffer[head]
            head += 1
            if markersPending > 0 {
                markersPending -= 1
                if markersPending == 0 { droppedPending = 0 }
            }
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
    private let roots: [String]
    private let onTerminate: @Sendable () -> Void

    /// - Parameters:
    ///   - limit: undelivered events at which the buffer is dropped (at least 1).
    ///   - roots: the subscription's root paths, for the "fell behind" markers.
    ///   - onTerminate: called once, outside the lock, when the consumer side ends the stream (cancellation
    ///     of the iterating task, or ``terminate()``), so that the hub drops the subscription.
    init(limit: Int, roots: [String], onTerminate: @escaping @Sendable () -> Void = {}) {
        self.limit = max(1, limit)
        self.roots = roots
        self.onTerminate = onTerminate
    }

    // MARK: - Consumer side

    /// Next event; `nil` once the channel is terminated, or finished with an empty buffer.
    /// Cancelling the awaiting task terminates the channel.
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
                    case resume(WatchEvent?)
                    case suspended
                }
                let outcome: Outcome = state.withLock { state in
                    if state.terminated { return .resume(nil) }
                    if let event = state.popFirst() { return .resume(event) }
                    if state.finished { return .resume(nil) }
                    precondition(state.waiter == nil, "WatchEventSequence supports only one consumer at a time")
                    state.waiter = continuation
                    return .suspended
                }
                if case .resume(let event) = outcome {
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
        state.withLock { state in
            if state.terminated { return .end }
            if let event = state.popFirst() { return .event(event) }
            return state.finished ? .end : .empty
        }
    }

    /// Ends the stream from the consumer side: buffered events are dropped, a waiting consumer gets `nil`, and
    /// `onTerminate` runs (once). Idempotent.
    func terminate() {
        let (first, waiter): (Bool, CheckedContinuation<WatchEvent?, Never>?) = state.withLock { state in
            guard !state.terminated else { return (false, nil) }
            state.terminated = true
            state.buffer = []
            state.head = 0
            state.markersPending = 0
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume(returning: nil)
        if first { onTerminate() }
    }

    // MARK: - Producer side (hub thread)

    var isTerminated: Bool { state.withLock { $0.terminated } }

    /// Number of buffered events, markers included (for tests and diagnostics).
    var bufferedCount: Int { state.withLock { $0.count } }

    /// Appends events, handing the first one directly to a waiting consumer. Returns how many times the buffer
    /// was dropped because the consumer fell `limit` events behind.
    @discardableResult
    func send(_ events: [WatchEvent]) -> Int {
        guard !events.isEmpty else { return 0 }
        let (waiter, first, drops): (CheckedContinuation<WatchEvent?, Never>?, WatchEvent?, Int) = state.withLock {
            state in
            guard !state.terminated, !state.finished else { return (nil, nil, 0) }
            var rest = events[...]
            var waiter: CheckedContinuation<WatchEvent?, Never>?
            if let waiting = state.waiter {
                // A waiting consumer has read everything: the buffer is empty.
                state.waiter = nil
                waiter = waiting
                rest = rest.dropFirst()
            }
            var drops = 0
            if state.realCount + rest.count < limit {
                state.buffer.append(contentsOf: rest)
            } else {
                for event in rest {
                    state.buffer.append(event)
                    if state.realCount >= limit {
                        dropBuffer(&state)
                        drops += 1
                    }
                }
            }
            return (waiter, waiter == nil ? nil : events[0], drops)
        }
        if let waiter { waiter.resume(returning: first) }
        return drops
    }

    private func dropBuffer(_ state: inout State) {
        let dropped = state.realCount + state.droppedPending
        let reason = "subscriber fell behind: \(dropped) events dropped"
        state.buffer = roots.map { .rescanNeeded(root: $0, reason: reason) }
        state.head = 0
        state.markersPending = roots.count
        state.droppedPending = roots.isEmpty ? 0 : dropped
    }

    /// The producer is done: buffered events are still delivered, then the stream ends.
    func finish() {
        let waiter: CheckedContinuation<WatchEvent?, Never>? = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}
