import Foundation
import Logging
import Synchronization
import Testing
import TriggerKit
import Watchers

/// TriggerKit's `TriggerRunner` in process, with a real actor, real clocks and a sink that records (and can fail or
/// hold) what it is asked to submit: backoff timing, stop semantics with a submission in flight, and cron catch-up
/// without waiting for real minutes.
@Suite("TriggerRunner in process")
struct RunnerTests {
    static let logger = Logger(label: "trigger-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func interval(start: Date, seconds: Int) -> TriggerSchedule {
        .interval(start: start, every: TriggerDuration(seconds: seconds)!)
    }

    @Test(
        "A sink that fails 3 times: retried after 100, 200, 400 ms, reported, then fired once", .timeLimit(.minutes(1)))
    func backoff() async throws {
        let sink = RecordingSink(failures: 3)
        let start = Date()
        let runner = TriggerRunner(
            spec: TriggerSpec(id: 1, label: "e.t", schedule: Self.interval(start: start, seconds: 3600)), sink: sink,
            logger: Self.logger, backoff: Backoff(initialDelay: .milliseconds(100)))
        let task = Task { await runner.run() }
        try await sink.until { $0.fired.count == 1 }
        await runner.stop()
        await task.value
        let record = sink.snapshot
        #expect(record.attempts.count == 4)
        let gaps = zip(record.attempts.dropFirst(), record.attempts).map { $0 - $1 }
        for (gap, expected) in zip(gaps, [0.1, 0.2, 0.4]) {
            // The lower bound is the backoff; the upper bound only catches a runaway delay (CI machines are busy).
            #expect(gap >= expected - 0.005 && gap < expected + 3, "gaps \(gaps)")
        }
        #expect(record.fired.map(\.tick) == [start])
        #expect(record.reasons.count == 4)
        for (i, reason) in record.reasons.prefix(3).enumerated() {
            #expect(reason?.contains("submission failed (\(i + 1) in a row)") == true, "\(reason ?? "nil")")
        }
        #expect(record.reasons.last! == nil, "a success clears the reason")
    }

    @Test("stop() waits for a submission in flight, and nothing is submitted after it returns", .timeLimit(.minutes(1)))
    func stopWaitsForInFlightSubmission() async throws {
        let sink = RecordingSink(failures: 0, holdFirst: true)
        let runner = TriggerRunner(
            spec: TriggerSpec(id: 1, label: "e.t", schedule: Self.interval(start: Date(), seconds: 1)), sink: sink,
            logger: Self.logger)
        let task = Task { await runner.run() }
        try await sink.until { $0.attempts.count == 1 }
        let stopped = Flag()
        let stopper = Task {
            await runner.stop()
            stopped.set()
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!stopped.isSet, "stop() returned while a submission was in flight")
        sink.release()
        await stopper.value
        let returned = Date()
        await task.value
        try await Task.sleep(for: .milliseconds(1500))
        let record = sink.snapshot
        #expect(record.fired.count == 1)
        #expect(record.attempts.allSatisfy { $0 <= returned.timeIntervalSince1970 })
    }

    @Test("stop() ends a runner waiting for its next tick or in backoff at once")
    func stopIsImmediate() async throws {
        for failures in [0, 100] {
            let sink = RecordingSink(failures: failures)
            let runner = TriggerRunner(
                spec: TriggerSpec(id: 1, label: "e.t", schedule: Self.interval(start: Date(), seconds: 3600)),
                sink: sink, logger: Self.logger, backoff: Backoff(initialDelay: .seconds(60)))
            let task = Task { await runner.run() }
            try await sink.until { $0.attempts.count == 1 }
            try await Task.sleep(for: .milliseconds(50))
            let clock = ContinuousClock()
            let elapsed = await clock.measure { await runner.stop() }
            // Not the 60 s backoff or the hour to the next tick (the benchmark measures the real figure; the bound
            // leaves room for a machine loaded by other suites).
            #expect(elapsed < .seconds(10), "stop took \(elapsed)")
            await task.value
        }
    }

    @Test(
        "Cron catch-up: a trigger 3 minutes behind fires each minute (all), the newest (one) or nothing (none)",
        arguments: [CatchupPolicy.all, .one, .none])
    func cronCatchup(policy: CatchupPolicy) async throws {
        let expression = try CronExpression("* * * * *", timeZoneIdentifier: "Europe/Berlin")
        // Run between 11 s and 55 s into a minute: the newest minute boundary is more than the 10 s a `none` tick
        // may be late, and the next one is not reached while the test runs.
        let into = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 60)
        if into < 11 || into > 55 {
            try await Task.sleep(for: .milliseconds(Int64(((into < 11 ? 11.2 : 71.2) - into) * 1000)))
        }
        // Three minute boundaries lie between `created` and now.
        let newest = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60
        let created = Date(timeIntervalSince1970: newest - 150)
        let sink = RecordingSink(failures: 0)
        let runner = TriggerRunner(
            spec: TriggerSpec(
                id: 1, label: "e.t", schedule: .cron(expression, created: created), catchup: policy), sink: sink,
            logger: Self.logger)
        let task = Task { await runner.run() }
        try await sink.until { $0.handled != nil || !$0.fired.isEmpty }
        try await Task.sleep(for: .milliseconds(100))
        await runner.stop()
        await task.value
        let record = sink.snapshot
        let ticks = record.fired.map(\.tick.timeIntervalSince1970)
        switch policy {
        case .all:
            #expect(ticks == [newest - 120, newest - 60, newest])
            #expect(record.fired.allSatisfy { $0.coalesced == 1 })
        case .one:
            #expect(ticks == [newest])
            #expect(record.fired.first?.coalesced == 3)
        case .none:
            #expect(ticks.isEmpty)
            #expect(record.handled?.timeIntervalSince1970 == newest)
        }
        #expect(record.nextFire?.timeIntervalSince1970 == ((Date().timeIntervalSince1970 / 60).rounded(.down) + 1) * 60)
    }
}

/// A one-way flag readable from any thread.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// A `TriggerSink` that records calls; it fails the first `failures` submissions and can hold the first one until
/// ``release()``.
final class RecordingSink: TriggerSink {
    struct Record: Sendable {
        var attempts: [Double] = []
        var fired: [(tick: Date, coalesced: Int)] = []
        var handled: Date?
        var nextFire: Date?
        var reasons: [String?] = []
        var files: [[TriggerInput]] = []
    }

    struct Injected: Error, CustomStringConvertible {
        var description: String { "injected failure" }
    }

    private let state: Mutex<(record: Record, failuresLeft: Int, hold: CheckedContinuation<Void, Never>?, held: Bool)>
    private let holdFirst: Bool

    init(failures: Int, holdFirst: Bool = false) {
        state = Mutex((Record(), failures, nil, false))
        self.holdFirst = holdFirst
    }

    var snapshot: Record { state.withLock { $0.record } }

    /// Polls until `condition` holds for the record (at most 10 s).
    func until(_ condition: (Record) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(10)
        while !condition(snapshot) {
            guard Date() < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func release() {
        let hold = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.held = true
            defer { s.hold = nil }
            return s.hold
        }
        hold?.resume()
    }

    private func attempt() async throws {
        let fail = state.withLock { s -> Bool in
            s.record.attempts.append(Date().timeIntervalSince1970)
            if s.failuresLeft > 0 {
                s.failuresLeft -= 1
                return true
            }
            return false
        }
        if fail { throw Injected() }
        if holdFirst {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.held { return true }
                    s.hold = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
    }

    func fire(triggerID: Int64, tick: Date, coalescedTicks: Int, nextFire: Date?, kind: FireKind) async throws
        -> SubmissionResult
    {
        try await attempt()
        state.withLock {
            $0.record.fired.append((tick, coalescedTicks))
            $0.record.handled = tick
            $0.record.nextFire = nextFire
        }
        return .submitted("t_\(Int(tick.timeIntervalSince1970))")
    }

    func advance(triggerID: Int64, handledThrough: Date?, nextFire: Date?) async throws {
        state.withLock {
            $0.record.handled = handledThrough
            $0.record.nextFire = nextFire
        }
    }

    func submitFiles(triggerID: Int64, files: [TriggerInput], nextFire: Date?, kind: FireKind, firstOfTick: Bool)
        async throws -> SubmissionResult
    {
        try await attempt()
        state.withLock { $0.record.files.append(files) }
        return .submitted("t_files")
    }

    func expire(triggerID: Int64) async throws {}

    func report(triggerID: Int64, reason: String?) async {
        state.withLock { $0.record.reasons.append(reason) }
    }
}
