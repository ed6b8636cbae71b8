import Foundation
import Synchronization

/// A wake-up flag for one waiting task: `signal()` from anywhere; `wait(timeout:)` returns at the first
/// signal (or one that arrived while nobody waited) or when the timeout passes. No signal is ever lost: one that
/// races with the timeout is reported by that wait, and one sent while nobody waits ends the next wait at once.
public final class AsyncSignal: Sendable {
    private struct State {
        /// A signal arrived while nobody waited.
        var pending = false
        /// The current wait consumed a signal.
        var delivered = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or makes the next wait return at once.
    public func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                s.delivered = true
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Waits for a signal (or one that arrived while nobody waited). Cancellation ends the wait.
    /// - Returns: whether a signal (rather than cancellation) ended the wait.
    @discardableResult
    public func wait() async -> Bool {
        await waitForSignal()
        return state.withLock { s in
            let delivered = s.delivered
            s.delivered = false
            return delivered
        }
    }

    /// Waits for a signal, at most `timeout`. Cancellation ends the wait.
    /// - Returns: whether a signal (rather than the timeout) ended the wait.
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        await wait { try? await Task.sleep(for: timeout) }
    }

    /// Waits for a signal or until `deadline` on `clock` (forever when `deadline` is nil). Cancellation ends the
    /// wait.
    /// - Returns: whether a signal (rather than the deadline) ended the wait.
    @discardableResult
    public func wait(until deadline: Date?, clock: any TriggerClock) async -> Bool {
        await wait {
            if let deadline {
                try? await clock.sleep(until: deadline)
            } else {
                // Only a signal or cancellation ends this wait.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(86_400)) }
            }
        }
    }

    private func wait(racing timer: @escaping @Sendable () async -> Void) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask { await timer() }
            await group.next()
            group.cancelAll()
            // Release a waiter that is still registered (the timer won).
            let waiter = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                let w = s.waiter
                s.waiter = nil
                return w
            }
            waiter?.resume()
            await group.waitForAll()
        }
        return state.withLock { s in
            let delivered = s.delivered
            s.delivered = false
            return delivered
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.pending {
                        s.pending = false
                        s.delivered = true
                        return true
                    }
                    if Task.isCancelled { return true }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                let w = s.waiter
                s.waiter = nil
                return w
            }
            waiter?.resume()
        }
    }
}
