import Foundation
import Logging
import Testing
import TriggerKit
import Watchers

#if canImport(Glibc)
    import Glibc
#endif

/// A file trigger's runner in process on a ``TestTriggerClock``: real files, the real watch hub and writer probe,
/// but time only moves when the test says so: ticks, quiet periods and a writer held open are decided without
/// sleeping for them.
@Suite("TriggerRunner on a test clock", .serialized)
struct RunnerClockTests {
    static let logger = Logger(label: "trigger-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Setup {
        let dir: String
        let clock: TestTriggerClock
        let sink: RecordingSink
        let runner: TriggerRunner
        let watching: FileWatching
    }

    static func setUp() throws -> Setup {
        let dir = NSTemporaryDirectory() + "runner-clock-\(UUID().uuidString)"
        try FileWriter.mkdirs(dir)
        let clock = TestTriggerClock(start: Date())
        let sink = RecordingSink(failures: 0)
        let watching = FileWatching()
        let spec = TriggerSpec(
            id: 1, label: "e.files", schedule: .interval(start: clock.now(), every: TriggerDuration(seconds: 1)!),
            files: FileTriggerOptions(patterns: try FilePatternSet([dir + "/*.dat"]), watch: SubscriptionOptions()))
        let runner = TriggerRunner(spec: spec, sink: sink, logger: logger, clock: clock, watching: watching)
        return Setup(dir: dir, clock: clock, sink: sink, runner: runner, watching: watching)
    }

    /// Waits (real time, at most 10 s) until the runner has `count` pending files.
    static func untilPending(_ s: Setup, _ count: Int) async throws {
        let deadline = Date().addingTimeInterval(10)
        while await s.runner.details()?.pendingFiles != count {
            guard Date() < deadline else { throw TriggerTestError(description: "pending files never reached \(count)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Moves the test clock one tick on and gives the runner (real) time to act on it.
    static func tick(_ s: Setup) async throws {
        s.clock.advance(by: 1)
        try await Task.sleep(for: .milliseconds(150))
    }

    @Test(
        "A closed file is submitted at the next tick on the test clock; one held open only after its close",
        .timeLimit(.minutes(1)))
    func closedAndHeldOpen() async throws {
        let s = try Self.setUp()
        defer {
            s.watching.shutdown()
            try? FileManager.default.removeItem(atPath: s.dir)
        }
        // A writer holds its file open while the trigger starts: the start-up scan finds it (as after a restart).
        let held = s.dir + "/held.dat"
        let fd = open(held, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        try FileWriter.writeAll(fd, "partial\n", held)
        let task = Task { await s.runner.run() }
        try await Self.untilPending(s, 1)

        let closed = s.dir + "/closed.dat"
        try FileWriter.write(closed, "done\n")
        try await Self.untilPending(s, 2)
        #expect(s.sink.snapshot.files.isEmpty, "nothing happens while the clock stands still")
        // Taken at the next tick; or at the one after when an event of the file is only read during the tick's
        // look (on a loaded machine), which starts its quiet period again.
        var firstTicks = 0
        while s.sink.snapshot.files.isEmpty && firstTicks < 2 {
            try await Self.tick(s)
            firstTicks += 1
        }
        try await s.sink.until { $0.files.count == 1 }
        #expect(s.sink.snapshot.files.first?.map(\.path) == [closed])

        for _ in 0..<5 { try await Self.tick(s) }
        #expect(s.sink.snapshot.files.count == 1, "submitted while open for writing")
        #expect(await s.runner.details()?.roots.first?.rule == .writerCheck)
        #expect(await s.runner.details()?.pendingFiles == 1)

        try FileWriter.writeAll(fd, "complete\n", held)
        close(fd)
        // Taken within two ticks: at the first if its close event is in before the tick's look, else at the next.
        var ticks = 0
        while s.sink.snapshot.files.count < 2 && ticks < 2 {
            try await Self.tick(s)
            ticks += 1
        }
        try await s.sink.until { $0.files.count == 2 }
        let batch = try #require(s.sink.snapshot.files.last)
        #expect(batch.map(\.path) == [held])
        #expect(batch.first?.size == Int64("partial\ncomplete\n".utf8.count))
        for _ in 0..<3 { try await Self.tick(s) }
        #expect(s.sink.snapshot.files.count == 2, "submitted once")

        await s.runner.stop()
        await task.value
    }
}
