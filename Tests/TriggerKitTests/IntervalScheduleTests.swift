import Foundation
import Testing
import TriggerKit

struct IntervalScheduleTests {
    /// A start with a fractional second, to make floating-point drift visible if there were any.
    let start = Date(timeIntervalSince1970: 1_700_000_000.123)

    func duration(_ text: String) throws -> TriggerDuration {
        try TriggerDuration(text)
    }

    /// Drives a schedule like a trigger actor: evaluate, record, sleep until the next wake-up (plus some
    /// lateness), until the schedule expires or `maximumSteps` evaluations have happened.
    func drive(
        _ schedule: inout IntervalSchedule,
        from now: Date,
        maximumSteps: Int,
        lateness: (Int) -> TimeInterval = { _ in 0 }
    ) -> (fires: [ScheduledFire], steps: Int, expired: Bool) {
        var fires: [ScheduledFire] = []
        var now = now
        for step in 0..<maximumSteps {
            let decision = schedule.advance(now: now)
            fires += decision.fires
            if decision.isExpired { return (fires, step + 1, true) }
            guard let wake = decision.nextWake else { return (fires, step + 1, false) }
            #expect(wake > now, "the next wake-up must be in the future")
            now = wake.addingTimeInterval(lateness(step))
        }
        return (fires, maximumSteps, false)
    }

    // MARK: - Basic ticking

    @Test("fires at creation, then every interval")
    func firesAtCreation() throws {
        var schedule = IntervalSchedule(start: start, interval: try duration("1m"))
        #expect(schedule.nextFireTime == start)
        let first = schedule.advance(now: start)
        #expect(first.fires == [ScheduledFire(tick: 0, scheduledTime: start)])
        #expect(first.skippedTicks == 0)
        #expect(first.nextWake == start.addingTimeInterval(60))
        #expect(first.nextFireTime == start.addingTimeInterval(60))
        #expect(!first.isExpired)
        #expect(schedule.lastFiredTick == 0)

        // Woken early (spurious wake-up): nothing is due yet.
        let early = schedule.advance(now: start.addingTimeInterval(59.999))
        #expect(early.fires.isEmpty)
        #expect(early.nextWake == start.addingTimeInterval(60))

        let second = schedule.advance(now: start.addingTimeInterval(60))
        #expect(second.fires.map(\.tick) == [1])
        #expect(second.fires.first?.scheduledTime == start.addingTimeInterval(60))
    }

    @Test("before the start nothing fires and the wake-up is the start")
    func beforeStart() throws {
        let schedule = IntervalSchedule(start: start, interval: try duration("10s"))
        let decision = schedule.due(now: start.addingTimeInterval(-30))
        #expect(decision.fires.isEmpty)
        #expect(decision.nextWake == start)
        #expect(decision.lastHandledTick == nil)
    }

    @Test("due(now:) is pure; record(_:) applies a decision and never moves backwards")
    func dueIsPure() throws {
        var schedule = IntervalSchedule(start: start, interval: try duration("10s"))
        let now = start.addingTimeInterval(25)
        let decision = schedule.due(now: now)
        #expect(schedule.due(now: now) == decision)
        #expect(schedule.lastFiredTick == nil)
        schedule.record(decision)
        #expect(schedule.lastFiredTick == 2)
        schedule.record(IntervalSchedule(start: start, interval: try duration("10s")).due(now: start))
        #expect(schedule.lastFiredTick == 2)
        #expect(schedule.due(now: now).fires.isEmpty)
    }

    @Test("1,000 firings driven by a late-waking test clock do not drift", arguments: CatchupPolicy.allCases)
    func noDrift(policy: CatchupPolicy) throws {
        var schedule = IntervalSchedule(start: start, interval: try duration("7s"), catchup: policy)
        // Wake up between 0 and 3 s late (like a busy machine), deterministically.
        let result = drive(&schedule, from: start, maximumSteps: 1_000) { step in Double(step % 31) / 10 }
        #expect(result.fires.count == 1_000)
        for (k, fire) in result.fires.enumerated() {
            #expect(fire.tick == k)
            #expect(fire.scheduledTime == start.addingTimeInterval(TimeInterval(k * 7)))
            #expect(fire.coalescedTicks == 1)
        }
        #expect(result.fires.last?.scheduledTime.timeIntervalSince(start) == 6_993)
        #expect(schedule.nextFireTime == start.addingTimeInterval(7_000))
    }

    @Test("tick boundaries are exact: a tick is due at exactly its fire time, not a moment before")
    func exactBoundaries() throws {
        let schedule = IntervalSchedule(start: start, interval: try duration("3s"))
        for k in [0, 1, 2, 3, 10, 999, 123_456, 10_000_000, 3_000_000_000] {
            let time = schedule.fireTime(ofTick: k)
            #expect(schedule.latestTick(atOrBefore: time) == k)
            #expect(schedule.latestTick(atOrBefore: time.addingTimeInterval(-0.001)) == (k == 0 ? nil : k - 1))
            #expect(schedule.latestTick(atOrBefore: time.addingTimeInterval(2.999)) == k)
        }
    }

    // MARK: - Catch-up after downtime

    /// Ticks 0...3 fired; the engine was down for ticks 4...13 and comes back at tick 13.5.
    func afterDowntime(_ policy: CatchupPolicy, cap: Int = 1_000) throws -> (IntervalSchedule, FireDecision) {
        let schedule = IntervalSchedule(
            start: start,
            interval: try duration("1m"),
            catchup: policy,
            lastFiredTick: 3,
            maximumCatchupFires: cap
        )
        return (schedule, schedule.due(now: start.addingTimeInterval(13.5 * 60)))
    }

    @Test("catch-up none skips the 10 missed ticks and waits for the next future tick")
    func catchupNone() throws {
        let (schedule, decision) = try afterDowntime(.none)
        #expect(decision.fires.isEmpty)
        #expect(decision.skippedTicks == 10)
        #expect(decision.lastHandledTick == 13)
        #expect(decision.nextWake == schedule.fireTime(ofTick: 14))
    }

    @Test("catch-up one fires once for all 10 missed ticks, then continues at the next future tick")
    func catchupOne() throws {
        let (schedule, decision) = try afterDowntime(.one)
        #expect(
            decision.fires == [
                ScheduledFire(tick: 13, scheduledTime: schedule.fireTime(ofTick: 13), coalescedTicks: 10)
            ])
        #expect(decision.skippedTicks == 9)
        #expect(decision.nextWake == schedule.fireTime(ofTick: 14))
    }

    @Test("catch-up all fires every missed tick in order")
    func catchupAll() throws {
        let (schedule, decision) = try afterDowntime(.all)
        #expect(decision.fires.map(\.tick) == Array(4...13))
        #expect(decision.fires.map(\.scheduledTime) == (4...13).map { schedule.fireTime(ofTick: $0) })
        #expect(decision.skippedTicks == 0)
        #expect(decision.nextWake == schedule.fireTime(ofTick: 14))
    }

    @Test("catch-up all is capped: the newest ticks fire, older ones count as skipped")
    func catchupAllCapped() throws {
        let (_, decision) = try afterDowntime(.all, cap: 4)
        #expect(decision.fires.map(\.tick) == [10, 11, 12, 13])
        #expect(decision.skippedTicks == 6)
        #expect(IntervalSchedule.defaultMaximumCatchupFires == 1_000)

        // A year of 1-second ticks is capped at the default of 1,000 fires.
        let schedule = IntervalSchedule(start: start, interval: try duration("1s"), catchup: .all)
        let year = schedule.due(now: start.addingTimeInterval(365 * 86_400))
        #expect(year.fires.count == 1_000)
        #expect(year.fires.last?.tick == 365 * 86_400)
        #expect(year.skippedTicks == 365 * 86_400 + 1 - 1_000)
    }

    @Test(
        "catch-up none still fires a tick that is only a little late",
        arguments: [
            // interval, lateness, fires? (tolerance = min(10 s, interval / 2))
            ("1m", 2.0, true), ("1m", 10.0, true), ("1m", 10.5, false), ("1m", 40.0, false),
            ("10s", 4.0, true), ("10s", 5.0, true), ("10s", 6.0, false),
        ]
    )
    func catchupNoneTolerance(interval: String, lateness: TimeInterval, fires: Bool) throws {
        let schedule = IntervalSchedule(
            start: start,
            interval: try duration(interval),
            catchup: .none,
            lastFiredTick: 4
        )
        let decision = schedule.due(now: schedule.fireTime(ofTick: 5).addingTimeInterval(lateness))
        #expect(decision.fires.map(\.tick) == (fires ? [5] : []))
        #expect(decision.skippedTicks == (fires ? 0 : 1))
        #expect(decision.lastHandledTick == 5)
    }

    @Test("a restored schedule does not fire twice, and a clock stepped back fires nothing")
    func restoreAndClockStepBack() throws {
        let interval = try duration("1h")
        // Restart in the middle of an interval after tick 5 fired.
        let restored = IntervalSchedule(start: start, interval: interval, lastFiredTick: 5)
        let decision = restored.due(now: restored.fireTime(ofTick: 5).addingTimeInterval(1_800))
        #expect(decision.fires.isEmpty)
        #expect(decision.nextWake == restored.fireTime(ofTick: 6))

        // The wall clock jumped back five hours.
        let stepped = restored.due(now: restored.fireTime(ofTick: 0).addingTimeInterval(10))
        #expect(stepped.fires.isEmpty)
        #expect(stepped.lastHandledTick == 5)
        #expect(stepped.nextWake == restored.fireTime(ofTick: 6))
    }

    // MARK: - Deadlines

    @Test(
        "with a timeout the fire count matches Pegasus' ceil(timeout / interval)",
        arguments: [("1h", "1d", 24), ("1h", "90m", 2), ("1m", "1m", 1), ("10s", "90m", 540), ("7m", "1h", 9)]
    )
    func timeoutCounts(interval: String, timeout: String, expected: Int) throws {
        var schedule = IntervalSchedule(start: start, interval: try duration(interval), timeout: try duration(timeout))
        let deadline = try #require(schedule.deadline)
        #expect(deadline == start.addingTimeInterval(TimeInterval(try duration(timeout).seconds)))
        let result = drive(&schedule, from: start, maximumSteps: 10_000)
        #expect(result.fires.count == expected)
        #expect(result.expired)
        #expect(result.fires.allSatisfy { $0.scheduledTime < deadline })
        #expect(schedule.finalTick == expected - 1)
    }

    @Test("after the last tick the wake-up is the deadline; at the deadline the schedule expires")
    func wakeAtDeadline() throws {
        var schedule = IntervalSchedule(start: start, interval: try duration("1h"), timeout: try duration("90m"))
        schedule.advance(now: start)
        let second = schedule.advance(now: start.addingTimeInterval(3_600))
        #expect(second.fires.map(\.tick) == [1])
        #expect(second.nextFireTime == nil)
        #expect(second.nextWake == start.addingTimeInterval(5_400))
        #expect(!schedule.isExpired(at: start.addingTimeInterval(5_399.999)))
        #expect(schedule.isExpired(at: start.addingTimeInterval(5_400)))
        let last = schedule.advance(now: start.addingTimeInterval(5_400))
        #expect(last.isExpired)
        #expect(last.fires.isEmpty)
        #expect(last.nextWake == nil)
    }

    @Test("a tick exactly at the deadline does not fire")
    func tickAtDeadline() throws {
        let schedule = IntervalSchedule(start: start, interval: try duration("30m"), timeout: try duration("1h"))
        #expect(schedule.finalTick == 1)
        let decision = schedule.due(now: start.addingTimeInterval(3_599))
        #expect(decision.fires.map(\.tick) == [1])
        #expect(decision.nextFireTime == nil)
        #expect(decision.nextWake == start.addingTimeInterval(3_600))
    }

    @Test("nothing fires once the deadline has passed, not even missed ticks", arguments: CatchupPolicy.allCases)
    func expiredDuringDowntime(policy: CatchupPolicy) throws {
        // 10-minute ticks, 1-hour timeout, down after tick 1: ticks 2...5 were missed before the deadline.
        let schedule = IntervalSchedule(
            start: start,
            interval: try duration("10m"),
            deadline: start.addingTimeInterval(3_600),
            catchup: policy,
            lastFiredTick: 1
        )
        let decision = schedule.due(now: start.addingTimeInterval(7_200))
        #expect(decision.isExpired)
        #expect(decision.fires.isEmpty)
        #expect(decision.skippedTicks == 4)
        #expect(decision.lastHandledTick == 5)
        #expect(decision.nextWake == nil)
        #expect(schedule.isExpired(at: start.addingTimeInterval(7_200)))
    }

    @Test("without a deadline a schedule never expires")
    func noDeadline() throws {
        let schedule = IntervalSchedule(start: start, interval: try duration("1s"))
        #expect(schedule.deadline == nil)
        #expect(schedule.finalTick == nil)
        #expect(!schedule.isExpired(at: .distantFuture))
        // Far-away and non-finite clocks saturate instead of trapping.
        let far = schedule.due(now: .distantFuture)
        #expect(far.fires.count == 1)
        #expect(far.nextWake.map { $0 > .distantFuture } == true)
        #expect(schedule.latestTick(atOrBefore: Date(timeIntervalSinceReferenceDate: .infinity)) != nil)
    }

    @Test("a deadline at or before the start means no tick ever fires")
    func deadlineBeforeStart() throws {
        let schedule = IntervalSchedule(start: start, interval: try duration("1s"), deadline: start)
        #expect(schedule.finalTick == -1)
        #expect(schedule.nextFireTime == nil)
        let decision = schedule.due(now: start)
        #expect(decision.isExpired)
        #expect(decision.fires.isEmpty)
        #expect(decision.skippedTicks == 0)
    }

    @Test("catch-up policies have stable names")
    func policyNames() throws {
        #expect(CatchupPolicy.allCases.map(\.description) == ["none", "one", "all"])
        #expect(CatchupPolicy(rawValue: "one") == .one)
        #expect(CatchupPolicy(rawValue: "latest") == nil)
        #expect(try JSONEncoder().encode([CatchupPolicy.all]) == Data(#"["all"]"#.utf8))
        #expect(IntervalSchedule(start: start, interval: try duration("1s")).catchup == .one)
    }
}
