import Foundation
import Testing
import TriggerKit
import Watchers

/// The trigger's decisions as a pure state machine driven by given times: ticks, the tick grace for files about
/// to be ready, batching, idle sleeping, backoff, deadlines, catch-up. Nothing sleeps.
struct TriggerMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func fileSpec(interval: Int = 1, deadline: Date? = nil, maxFiles: Int = 1000) throws -> TriggerSpec {
        TriggerSpec(
            id: 1, label: "e.t", schedule: .interval(start: t0, every: TriggerDuration(seconds: interval)!),
            deadline: deadline,
            files: FileTriggerOptions(patterns: try FilePatternSet(["/in/*.dat"]), maxFiles: maxFiles))
    }

    func id(_ inode: UInt64, mtime: Date) -> FileIdentity {
        FileIdentity(device: 1, inode: inode, size: 1, mtimeNanoseconds: Int64(mtime.timeIntervalSince1970 * 1e9))
    }

    @Test("A file closed 10 ms before a tick is taken at that tick, after its quiet period (not a tick later)")
    func tickGrace() throws {
        var m = TriggerMachine(spec: try fileSpec())
        // Tick 0 at creation: nothing pending, an empty tick; idle, so it sleeps until woken.
        let result1 = m.next(now: t0)
        #expect(result1 == .sleep(until: nil))
        let closed = t0.addingTimeInterval(0.99)
        let result2 = m.files?.fileChanged("/in/a.dat", now: closed)
        #expect(result2 == true)
        m.woke(now: closed)
        // Woken by the file: the slept ticks are handled; it sleeps until the next tick.
        var action = m.next(now: closed)
        if case .advance = action { action = m.next(now: closed) }
        #expect(action == .sleep(until: t0 + 1))
        // At the tick the file is 10 ms old: wait until its 25 ms have passed, then inspect.
        let result3 = m.next(now: t0 + 1)
        #expect(result3 == .sleep(until: closed + 0.025))
        let result4 = m.next(now: closed + 0.025)
        #expect(result4 == .inspect(["/in/a.dat"]))
        let file = ScannedFile(path: "/in/a.dat", identity: id(1, mtime: closed))
        m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .noWriter)], now: closed + 0.025)
        let result5 = m.next(now: closed + 0.026)
        #expect(result5 == .submit([file], nextFire: t0 + 2, kind: .scheduled, first: true))
        m.submitted([file], result: .submitted("t_1"))
        let result6 = m.next(now: closed + 0.027)
        #expect(result6 == .advance(handledThrough: t0 + 1, nextFire: t0 + 2))
        m.advanced()
        let result7 = m.next(now: closed + 0.028)
        #expect(result7 == .sleep(until: nil), "idle again")
    }

    @Test("Two files closed 20 ms and 5 ms before a tick are both taken at that tick")
    func tickGraceCoversEveryFile() throws {
        var m = TriggerMachine(spec: try fileSpec())
        let first = m.next(now: t0)
        #expect(first == .sleep(until: nil))
        m.files?.fileChanged("/in/a.dat", now: t0 + 0.98)
        m.files?.fileChanged("/in/b.dat", now: t0 + 0.995)
        m.woke(now: t0 + 0.995)
        var action = m.next(now: t0 + 0.995)
        if case .advance = action {
            m.advanced()
            action = m.next(now: t0 + 0.995)
        }
        #expect(action == .sleep(until: t0 + 1))
        let grace = m.next(now: t0 + 1)
        #expect(grace == .sleep(until: t0 + 0.995 + 0.025))
        let inspect = m.next(now: t0 + 1.02)
        #expect(inspect == .inspect(["/in/a.dat", "/in/b.dat"]))
    }

    @Test("A failed write of the schedule position is retried until the store has it, then the report is cleared")
    func failedAdvanceIsRetried() throws {
        let start = t0
        let spec = TriggerSpec(
            id: 1, label: "e.c", schedule: .interval(start: start, every: TriggerDuration(seconds: 60)!),
            catchup: .none, lastHandled: start)
        var m = TriggerMachine(spec: spec)
        // Down for 5 minutes with catch-up none: the missed ticks are skipped, which must be persisted.
        let skip = m.next(now: start + 315)
        #expect(skip == .advance(handledThrough: start + 300, nextFire: start + 360))
        struct Busy: Error {}
        m.failed(Busy(), now: start + 315)
        guard case .report(_?) = m.next(now: start + 315) else {
            Issue.record("expected a report")
            return
        }
        let wait = m.next(now: start + 315)
        #expect(wait == .sleep(until: start + 316))
        let again = m.next(now: start + 316)
        #expect(again == .advance(handledThrough: start + 300, nextFire: start + 360))
        m.advanced()
        let cleared = m.next(now: start + 316)
        #expect(cleared == .report(nil))
        let sleep = m.next(now: start + 316)
        #expect(sleep == .sleep(until: start + 360))
    }

    @Test("More ready files than max_files: one submit action per batch, in path order, then one advance")
    func batches() throws {
        var m = TriggerMachine(spec: try fileSpec(maxFiles: 2))
        let files = (0..<5).map { ScannedFile(path: "/in/f\($0).dat", identity: id(UInt64($0), mtime: t0 - 10)) }
        m.files?.filesFound(files.reversed(), now: t0 - 1)
        let result8 = m.next(now: t0)
        #expect(result8 == .inspect(files.map(\.path)))
        m.inspected(files.map { FileInspection(path: $0.path, identity: $0.identity, writer: .noWriter) }, now: t0)
        for batch in [Array(files[0..<2]), Array(files[2..<4]), [files[4]]] {
            let result9 = m.next(now: t0)
            #expect(result9 == .submit(batch, nextFire: t0 + 1, kind: .scheduled, first: true))
            m.submitted(batch, result: .nothing)  // the ledger had them: settled all the same
        }
        let result10 = m.next(now: t0)
        #expect(result10 == .sleep(until: nil), "nothing submitted: no advance, idle")
        #expect(m.files?.isIdle == true)
    }

    @Test("A file still open for writing stays pending across ticks and is taken at the first tick after its close")
    func writerOpenAcrossTicks() throws {
        var m = TriggerMachine(spec: try fileSpec())
        let file = ScannedFile(path: "/in/a.dat", identity: id(1, mtime: t0 - 100))
        m.files?.filesFound([file], now: t0 - 1)
        for k in 0..<3 {
            let now = t0 + Double(k)
            let result11 = m.next(now: now)
            #expect(result11 == .inspect([file.path]))
            m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .writerOpen)], now: now)
            let result12 = m.next(now: now)
            #expect(result12 == .sleep(until: now + 1), "not idle: it wakes for the next tick")
        }
        let result13 = m.next(now: t0 + 3)
        #expect(result13 == .inspect([file.path]))
        m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .noWriter)], now: t0 + 3)
        let result14 = m.next(now: t0 + 3)
        #expect(result14 == .submit([file], nextFire: t0 + 4, kind: .scheduled, first: true))
    }

    @Test("A failing store: report, back off 1 s, 2 s, retry the tick, clear the report after a success")
    func backoff() throws {
        var m = TriggerMachine(spec: try fileSpec())
        let file = ScannedFile(path: "/in/a.dat", identity: id(1, mtime: t0 - 100))
        m.files?.filesFound([file], now: t0 - 1)
        var now = t0
        for (n, delay) in [(1, 1.0), (2, 2.0)] {
            let result15 = m.next(now: now)
            #expect(result15 == .inspect([file.path]))
            m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .noWriter)], now: now)
            guard case .submit([file], _, _, _) = m.next(now: now) else {
                Issue.record("expected a submit")
                return
            }
            struct Busy: Error, CustomStringConvertible { var description: String { "database is locked" } }
            m.failed(Busy(), now: now)
            guard case .report(let reason?) = m.next(now: now) else {
                Issue.record("expected a report")
                return
            }
            #expect(reason.contains("submission failed (\(n) in a row): database is locked"))
            let result16 = m.next(now: now)
            #expect(result16 == .sleep(until: now + delay))
            let result17 = m.next(now: now + delay / 2)
            #expect(result17 == .sleep(until: now + delay))
            now = now + delay
        }
        let result18 = m.next(now: now)
        #expect(result18 == .inspect([file.path]))
        m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .noWriter)], now: now)
        guard case .submit = m.next(now: now) else {
            Issue.record("expected a submit")
            return
        }
        m.submitted([file], result: .submitted("t"))
        let result19 = m.next(now: now)
        #expect(result19 == .report(nil))
    }

    @Test("The deadline expires the trigger, idle or not")
    func deadline() throws {
        var m = TriggerMachine(spec: try fileSpec(deadline: t0 + 10))
        let result20 = m.next(now: t0)
        #expect(result20 == .sleep(until: t0 + 10), "idle: sleeps until the deadline")
        m.woke(now: t0 + 10)
        let result21 = m.next(now: t0 + 10)
        #expect(result21 == .expire)
    }

    @Test("Interval time trigger: fires at creation and every interval; catch-up one coalesces missed ticks")
    func timeTrigger() throws {
        let spec = TriggerSpec(
            id: 1, label: "e.c", schedule: .interval(start: t0, every: TriggerDuration(seconds: 60)!))
        var m = TriggerMachine(spec: spec)
        let result22 = m.next(now: t0)
        #expect(result22 == .fire(tick: t0, coalesced: 1, nextFire: t0 + 60, kind: .scheduled))
        m.fired(tick: t0, nextFire: t0 + 60, kind: .scheduled, result: .submitted("w"))
        let result23 = m.next(now: t0 + 1)
        #expect(result23 == .sleep(until: t0 + 60))
        // Down for 5 minutes: the newest missed tick fires once for all of them.
        let result24 = m.next(now: t0 + 301)
        #expect(result24 == .fire(tick: t0 + 300, coalesced: 5, nextFire: t0 + 360, kind: .scheduled))
        m.fired(tick: t0 + 300, nextFire: t0 + 360, kind: .scheduled, result: .submitted("w"))
        let result25 = m.next(now: t0 + 301)
        #expect(result25 == .sleep(until: t0 + 360))
    }

    @Test("A quiet file trigger sleeping through ticks counts them as handled, and says its live next fire")
    func idleTicks() throws {
        var m = TriggerMachine(spec: try fileSpec(interval: 10))
        let result26 = m.next(now: t0)
        #expect(result26 == .sleep(until: nil))
        #expect(m.liveNextFire(now: t0 + 35) == t0 + 40)
        m.woke(now: t0 + 35)
        #expect(m.lastHandled == t0 + 30)
    }
}
