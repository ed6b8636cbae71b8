import Foundation
import Testing
import TriggerKit
import Watchers

struct StoreDown: Error, CustomStringConvertible {
    var description: String { "disk full" }
}

/// Pause, manual fires, overlap results and the buffered tick, decided by the pure state machine on given times.
struct TriggerMachinePolicyTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func timeSpec(paused: Bool = false, deadline: Date? = nil, buffered: Date? = nil) -> TriggerSpec {
        TriggerSpec(
            id: 1, label: "e.t", schedule: .interval(start: t0, every: TriggerDuration(seconds: 60)!),
            deadline: deadline, lastHandled: t0, nextFire: t0 + 60, paused: paused, bufferedTick: buffered)
    }

    func fileSpec(paused: Bool = false) throws -> TriggerSpec {
        TriggerSpec(
            id: 1, label: "e.t", schedule: .interval(start: t0, every: TriggerDuration(seconds: 10)!),
            lastHandled: t0, nextFire: t0 + 10, files: FileTriggerOptions(patterns: try FilePatternSet(["/in/*.dat"])),
            paused: paused)
    }

    func ready(_ m: inout TriggerMachine, _ path: String, at time: Date) -> ScannedFile {
        let identity = FileIdentity(
            device: 1, inode: 7, size: 1, mtimeNanoseconds: Int64(time.timeIntervalSince1970 * 1e9))
        m.files?.fileChanged(path, now: time)
        return ScannedFile(path: path, identity: identity)
    }

    @Test("A paused trigger fires no tick, sleeps until its deadline, and expires there")
    func pausedSleepsUntilDeadline() {
        var m = TriggerMachine(spec: timeSpec(paused: true, deadline: t0 + 300))
        let asleep = m.next(now: t0 + 120)
        #expect(asleep == .sleep(until: t0 + 300))
        let expired = m.next(now: t0 + 300)
        #expect(expired == .expire)
        var open = TriggerMachine(spec: timeSpec(paused: true))
        let forever = open.next(now: t0 + 1e6)
        #expect(forever == .sleep(until: nil))
    }

    @Test("A manual fire submits now without moving the schedule; a paused trigger answers at once")
    func manualFire() {
        var m = TriggerMachine(spec: timeSpec())
        m.requestManualFire()
        let now = t0 + 10
        let fire = m.next(now: now)
        #expect(fire == .fire(tick: now, coalesced: 1, nextFire: t0 + 60, kind: .manual))
        m.fired(tick: now, nextFire: t0 + 60, kind: .manual, result: .submitted("t_manual"))
        #expect(m.takeManualOutcome() == TriggerMachine.ManualOutcome(workflows: ["t_manual"]))
        #expect(m.takeManualOutcome() == nil)
        #expect(m.lastHandled == t0)
        let next = m.next(now: now)
        #expect(next == .sleep(until: t0 + 60))

        var paused = TriggerMachine(spec: timeSpec(paused: true))
        paused.requestManualFire()
        #expect(paused.takeManualOutcome()?.note == "the trigger is paused")
    }

    @Test("A manual fire refused by the overlap policy says why; a failing store says so too")
    func manualFireRefused() {
        var m = TriggerMachine(spec: timeSpec())
        m.requestManualFire()
        _ = m.next(now: t0 + 1)
        m.fired(tick: t0 + 1, nextFire: t0 + 60, kind: .manual, result: .skipped("workflow w is still RUNNING"))
        #expect(m.takeManualOutcome() == .init(workflows: [], note: "skipped: workflow w is still RUNNING"))
        m.requestManualFire()
        _ = m.next(now: t0 + 2)
        m.failed(StoreDown(), now: t0 + 2)
        #expect(m.takeManualOutcome()?.note == "failed: disk full")
    }

    @Test("A buffered tick waits for a workflow to end, then fires once; a later workflow takes its place")
    func bufferedTick() {
        var m = TriggerMachine(spec: timeSpec())
        let tick = m.next(now: t0 + 60)
        #expect(tick == .fire(tick: t0 + 60, coalesced: 1, nextFire: t0 + 120, kind: .scheduled))
        m.fired(tick: t0 + 60, nextFire: t0 + 120, kind: .scheduled, result: .buffered("w is still RUNNING"))
        #expect(m.bufferedTick == t0 + 60)
        // Nothing happens until a workflow ends.
        let waiting = m.next(now: t0 + 61)
        #expect(waiting == .sleep(until: t0 + 120))
        m.workflowEnded()
        let retry = m.next(now: t0 + 70)
        #expect(retry == .fire(tick: t0 + 60, coalesced: 1, nextFire: t0 + 120, kind: .buffered))
        // Still blocked (another workflow of the trigger): it waits for the next end.
        m.fired(tick: t0 + 60, nextFire: t0 + 120, kind: .buffered, result: .buffered("v is still QUEUED"))
        #expect(m.bufferedTick == t0 + 60)
        let again = m.next(now: t0 + 71)
        #expect(again == .sleep(until: t0 + 120))
        m.workflowEnded()
        _ = m.next(now: t0 + 80)
        m.fired(tick: t0 + 60, nextFire: t0 + 120, kind: .buffered, result: .submitted("t_buffered"))
        #expect(m.bufferedTick == nil)
        #expect(m.lastHandled == t0 + 60)

        // After a restart the persisted buffered tick is tried once.
        var restarted = TriggerMachine(spec: timeSpec(buffered: t0 + 60))
        let first = restarted.next(now: t0 + 90)
        #expect(first == .fire(tick: t0 + 60, coalesced: 1, nextFire: t0 + 60, kind: .buffered))
    }

    @Test("Files skipped by the overlap policy stay pending and are taken at the next tick")
    func skippedFilesStayPending() throws {
        var m = TriggerMachine(spec: try fileSpec())
        let file = ready(&m, "/in/a.dat", at: t0 + 1)
        let inspect = m.next(now: t0 + 10)
        #expect(inspect == .inspect(["/in/a.dat"]))
        m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .noWriter)], now: t0 + 10)
        let submit = m.next(now: t0 + 10)
        #expect(submit == .submit([file], nextFire: t0 + 20, kind: .scheduled, first: true))
        m.submitted([file], result: .skipped("w is still RUNNING"))
        #expect(m.files?.pendingCount == 1)
        let sleep = m.next(now: t0 + 10)
        #expect(sleep == .sleep(until: t0 + 20))
        let again = m.next(now: t0 + 20)
        #expect(again == .inspect(["/in/a.dat"]))
        m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .noWriter)], now: t0 + 20)
        let submitAgain = m.next(now: t0 + 20)
        #expect(submitAgain == .submit([file], nextFire: t0 + 30, kind: .scheduled, first: true))
        m.submitted([file], result: .submitted("t_2"))
        #expect(m.files?.pendingCount == 0)
    }

    @Test("A store that says the trigger no longer runs pauses the machine; its files stay pending")
    func notRunningPauses() throws {
        var m = TriggerMachine(spec: try fileSpec())
        let file = ready(&m, "/in/a.dat", at: t0 + 1)
        _ = m.next(now: t0 + 10)
        m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .noWriter)], now: t0 + 10)
        _ = m.next(now: t0 + 10)
        m.submitted([file], result: .notRunning)
        #expect(m.paused)
        #expect(m.files?.pendingCount == 1)
        let asleep = m.next(now: t0 + 20)
        #expect(asleep == .sleep(until: nil))
    }

    @Test("A manual fire of a file trigger takes the files due now, outside the schedule")
    func manualFileFire() throws {
        var m = TriggerMachine(spec: try fileSpec())
        m.requestManualFire()
        _ = m.next(now: t0 + 2)
        #expect(m.takeManualOutcome() == .init(workflows: [], note: nil), "nothing due: answered at once")
        let file = ready(&m, "/in/a.dat", at: t0 + 3)
        m.requestManualFire()
        let inspect = m.next(now: t0 + 4)
        #expect(inspect == .inspect(["/in/a.dat"]))
        m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .noWriter)], now: t0 + 4)
        let submit = m.next(now: t0 + 4)
        #expect(submit == .submit([file], nextFire: m.nextFire, kind: .manual, first: true))
        m.submitted([file], result: .submitted("t_now"))
        _ = m.next(now: t0 + 4)
        #expect(m.takeManualOutcome() == .init(workflows: ["t_now"]))
        #expect(m.lastHandled == t0, "the schedule did not move")
    }

    @Test("A wake-up during a tick's grace wait does not spend the tick: the file is inspected when its quiet ends")
    func earlyWakeKeepsGraceWait() throws {
        // A resumed (or restarted) file trigger: its tick is due, and the start scan found a file just now.
        var m = TriggerMachine(
            spec: TriggerSpec(
                id: 1, label: "e.t", schedule: .interval(start: t0, every: TriggerDuration(seconds: 10)!),
                nextFire: t0, files: FileTriggerOptions(patterns: try FilePatternSet(["/in/*.dat"]))))
        let found = ScannedFile(
            path: "/in/a.dat", identity: FileIdentity(device: 1, inode: 1, size: 1, mtimeNanoseconds: 0))
        m.files?.filesFound([found], now: t0 + 2)
        let grace = m.next(now: t0 + 2.001)
        #expect(grace == .sleep(until: t0 + 2.025))
        // A signal left over from the scan wakes it at once.
        m.woke(now: t0 + 2.002)
        let still = m.next(now: t0 + 2.002)
        #expect(still == .sleep(until: t0 + 2.025))
        let inspect = m.next(now: t0 + 2.025)
        #expect(inspect == .inspect(["/in/a.dat"]))
    }

    @Test("A second manual request during a manual tick is answered by its own tick, not by the first one's")
    func concurrentManualFires() {
        var m = TriggerMachine(spec: timeSpec())
        let first = m.requestManualFire()
        let fire1 = m.next(now: t0 + 1)
        #expect(fire1 == .fire(tick: t0 + 1, coalesced: 1, nextFire: t0 + 60, kind: .manual))
        let second = m.requestManualFire()
        m.fired(tick: t0 + 1, nextFire: t0 + 60, kind: .manual, result: .submitted("t_1"))
        #expect(m.takeManualOutcome() == .init(workflows: ["t_1"]))
        #expect(m.manualAnswered == first && second > first)
        let fire2 = m.next(now: t0 + 2)
        #expect(fire2 == .fire(tick: t0 + 2, coalesced: 1, nextFire: t0 + 60, kind: .manual))
        m.fired(tick: t0 + 2, nextFire: t0 + 60, kind: .manual, result: .submitted("t_2"))
        #expect(m.takeManualOutcome() == .init(workflows: ["t_2"]))
        #expect(m.manualAnswered == second)
    }

    @Test("A manual request during a failure backoff is answered at once, with why")
    func manualFireDuringBackoff() {
        var m = TriggerMachine(spec: timeSpec())
        _ = m.next(now: t0 + 60)
        m.failed(StoreDown(), now: t0 + 60)
        _ = m.next(now: t0 + 60)  // the report
        m.requestManualFire()
        let asleep = m.next(now: t0 + 60.1)
        guard case .sleep = asleep else {
            Issue.record("expected the backoff sleep, got \(asleep)")
            return
        }
        #expect(m.takeManualOutcome()?.note == "not fired: the trigger is retrying a failed submission")
    }

    @Test("A file trigger's buffered tick survives a restart: it waits for the files found at start, then goes")
    func bufferedFileTickAfterRestart() throws {
        var spec = try fileSpec()
        spec.bufferedTick = t0 + 5
        var m = TriggerMachine(spec: spec)
        let file = ScannedFile(
            path: "/in/a.dat", identity: FileIdentity(device: 1, inode: 7, size: 1, mtimeNanoseconds: 0))
        m.files?.filesFound([file], now: t0 + 6)
        let wait = m.next(now: t0 + 6)
        #expect(wait == .sleep(until: t0 + 6.025), "waits for the file's quiet period, not for the next tick")
        #expect(m.bufferedTick == t0 + 5)
        let inspect = m.next(now: t0 + 6.025)
        #expect(inspect == .inspect(["/in/a.dat"]))
        m.inspected([FileInspection(path: file.path, identity: file.identity, writer: .noWriter)], now: t0 + 6.025)
        let submit = m.next(now: t0 + 6.025)
        #expect(submit == .submit([file], nextFire: t0 + 10, kind: .buffered, first: true))
        m.submitted([file], result: .submitted("t_b"))
        #expect(m.bufferedTick == nil)

        // With nothing pending the buffered tick is spent, and cleared in the store.
        var idle = TriggerMachine(spec: spec)
        let spent = idle.next(now: t0 + 6)
        #expect(spent == .unbuffer)
        #expect(idle.bufferedTick == nil)
    }

    @Test(
        "A minutely cron trigger paused for two days: catch-up one fires once for all 2,880 ticks, all the newest 1,000"
    )
    func longCronCatchup() throws {
        let cron = try CronExpression("* * * * *", timeZoneIdentifier: "UTC")
        let schedule = TriggerSchedule.cron(cron, created: t0 - 3 * 86_400)
        let last = t0 - 2 * 86_400
        let one = schedule.due(now: t0 + 30, lastHandled: last, deadline: nil, catchup: .one)
        #expect(one.fires.count == 1)
        #expect(one.fires.first?.tick == t0)
        #expect(one.fires.first?.coalesced == 2880)
        #expect(one.handledThrough == t0)
        let all = schedule.due(now: t0 + 30, lastHandled: last, deadline: nil, catchup: .all)
        #expect(all.fires.count == 1000)
        #expect(all.fires.last?.tick == t0)
        // none: only a tick due right now fires (the one of this minute, 5 s ago); the others are handled.
        let none = schedule.due(now: t0 + 5, lastHandled: last, deadline: nil, catchup: .none)
        #expect(none.fires.map(\.tick) == [t0] && none.handledThrough == t0)
        let late = schedule.due(now: t0 + 30, lastHandled: last, deadline: nil, catchup: .none)
        #expect(late.fires.isEmpty && late.handledThrough == t0)
    }
}
