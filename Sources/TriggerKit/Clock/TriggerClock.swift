import Foundation
import Synchronization

/// The wall clock a trigger reads and sleeps on. Ticks are wall-clock times (`created + k × interval`, cron
/// matches), so the clock speaks `Date`. The server uses ``SystemTriggerClock``; tests inject a
/// ``TestTriggerClock`` and advance it by hand, so timing rules run without real sleeps.
public protocol TriggerClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Suspends until `deadline` (returns at once if it has passed).
    /// - Throws: `CancellationError` when the calling task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The real clock: `Date()` and `Task.sleep`.
public struct SystemTriggerClock: TriggerClock {
    /// Creates the system clock.
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else {
            try Task.checkCancellation()
            return
        }
        try await Task.sleep(for: .microseconds(Int64((remaining * 1_000_000).rounded(.up))))
    }
}

/// A clock that stands still until ``advance(by:)`` or ``advance(to:)`` moves it (the swift-clocks `TestClock`
/// idea, over `Date`). Sleepers whose deadline is reached are resumed by the advance, in deadline order.
public final class TestTriggerClock: TriggerClock {
    private struct Sleeper {
        var id: Int
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Sleeper] = []
        var nextID = 0
    }

    private let state: Mutex<State>

    /// Creates a clock standing at `start`.
    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: start))
    }

    public func now() -> Date { state.withLock { $0.now } }

    /// How many tasks are sleeping on this clock (lets a test wait until the code under test is asleep).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline anyone sleeps until.
    public var nextDeadline: Date? { state.withLock { $0.sleepers.map(\.deadline).min() } }

    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case resume, cancelled, wait }
                let outcome = state.withLock { s -> Outcome in
                    if Task.isCancelled { return .cancelled }
                    if deadline <= s.now { return .resume }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return .wait
                }
                switch outcome {
                case .resume: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let index = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward by `seconds` and wakes the sleepers that are due.
    public func advance(by seconds: Double) {
        advance(to: now().addingTimeInterval(seconds))
    }

    /// Moves the clock to `time` (never backwards) and wakes the sleepers that are due.
    public func advance(to time: Date) {
        let due = state.withLock { s -> [Sleeper] in
            if time > s.now { s.now = time }
            let due = s.sleepers.filter { $0.deadline <= s.now }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= s.now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
