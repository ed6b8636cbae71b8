import Synchronization

/// A wake-up flag for one waiting task: `signal()` from anywhere; `wait(timeout:)` returns at the first
/// signal (or one that arrived while nobody waited) or when the timeout passes.
public final class AsyncSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or makes the next wait return at once.
    public func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Waits for a signal, at most `timeout`. Cancellation ends the wait.
    /// - Returns: whether a signal (rather than the timeout) ended the wait.
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitForSignal()
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let signaled = await group.next() ?? false
            group.cancelAll()
            // Release a waiter that is still registered (the timeout won).
            let waiter = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                let w = s.waiter
                s.waiter = nil
                return w
            }
            waiter?.resume()
            return signaled
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.pending || Task.isCancelled {
                        s.pending = false
                        return true
                    }
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
