import Foundation

/// What an interval or cron trigger does with ticks that were missed while the engine was down
/// (or could not keep up).
public enum CatchupPolicy: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Skip every missed tick and wait for the next future tick. A tick that is merely a little late
    /// (within the schedule's late tolerance) still fires.
    case none
    /// Fire once now for all the missed ticks together, then continue at the next future tick (the default).
    case one
    /// Fire every missed tick, oldest first, up to the schedule's catch-up cap (the most recent ticks win).
    case all

    /// The policy name as used on the command line and in the API (`none`, `one`, `all`).
    public var description: String { rawValue }
}

/// One workflow submission that a schedule asks for.
public struct ScheduledFire: Sendable, Hashable {
    /// The tick number `k` (tick 0 is the schedule's start).
    public var tick: Int
    /// The scheduled time of the tick: `start + k * interval`, independent of when it is actually fired.
    public var scheduledTime: Date
    /// How many due ticks this submission stands for: 1 normally, more when ``CatchupPolicy/one``
    /// coalesces several missed ticks into one submission.
    public var coalescedTicks: Int

    /// Creates a fire request.
    public init(tick: Int, scheduledTime: Date, coalescedTicks: Int = 1) {
        self.tick = tick
        self.scheduledTime = scheduledTime
        self.coalescedTicks = coalescedTicks
    }
}

/// The outcome of asking an ``IntervalSchedule`` what is due at a given moment.
public struct FireDecision: Sendable, Hashable {
    /// The submissions to make now, oldest first. Empty when nothing is due.
    public var fires: [ScheduledFire]
    /// Due ticks that are *not* fired: skipped by ``CatchupPolicy/none``, coalesced away by
    /// ``CatchupPolicy/one`` (the fired one not counted), dropped by the catch-up cap of
    /// ``CatchupPolicy/all``, or dropped because the deadline had passed.
    public var skippedTicks: Int
    /// The highest tick that is dealt with after this decision (fired or skipped), or `nil` if none is.
    /// Persist it as the schedule's ``IntervalSchedule/lastFiredTick`` once the fires are recorded.
    public var lastHandledTick: Int?
    /// When the next tick is scheduled, or `nil` if no tick remains before the deadline.
    public var nextFireTime: Date?
    /// When the trigger should evaluate the schedule again: the next fire time, else the deadline
    /// (so that the trigger can be marked expired on time), else `nil` (expired, nothing left to do).
    public var nextWake: Date?
    /// Whether the deadline has been reached: the trigger is finished and must not fire again.
    public var isExpired: Bool

    /// Creates a decision.
    public init(
        fires: [ScheduledFire],
        skippedTicks: Int,
        lastHandledTick: Int?,
        nextFireTime: Date?,
        nextWake: Date?,
        isExpired: Bool
    ) {
        self.fires = fires
        self.skippedTicks = skippedTicks
        self.lastHandledTick = lastHandledTick
        self.nextFireTime = nextFireTime
        self.nextWake = nextWake
        self.isExpired = isExpired
    }
}

/// A drift-free "every N seconds" schedule with an optional absolute deadline: a pure state machine that
/// a trigger actor drives with the current time.
///
/// Tick `k` (k = 0, 1, 2, ...) is scheduled at `start + k * interval`; tick 0 is the start itself, so the
/// trigger fires as soon as it is created. Fire times are always computed from `start`, never by adding
/// the interval to the previous (late) fire, so there is no drift however late the engine wakes up.
///
/// With a deadline (`created + timeout`), a tick scheduled at or after the deadline is never fired, and once
/// `now >= deadline` nothing fires at all, not even missed ticks from before the deadline. A 1-day trigger
/// with a 1-hour interval therefore fires 24 times, and a 90-minute timeout with a 1-hour interval fires
/// twice, the same counts as Pegasus' `ceil(timeout / interval)`, but measured in wall time.
///
/// Usage from an actor:
/// ```swift
/// var schedule = IntervalSchedule(start: created, interval: interval, deadline: deadline)
/// while true {
///     let decision = schedule.advance(now: clock.now)
///     for fire in decision.fires { try await submit(fire) }
///     persist(schedule.lastFiredTick)
///     guard let wake = decision.nextWake else { break }  // expired
///     try await sleep(until: wake)
/// }
/// ```
///
/// **Missed ticks.** When several ticks are due at once (after downtime), the ``CatchupPolicy`` decides:
/// `none` skips them all (except the newest if it is no more than the late tolerance old), `one` fires
/// a single submission for the newest due tick standing for all of them, and `all` fires each of them,
/// at most ``maximumCatchupFires`` (the newest ones; older ones are dropped and counted as skipped).
public struct IntervalSchedule: Sendable, Hashable {
    /// The default cap on fires emitted by one ``CatchupPolicy/all`` decision.
    public static let defaultMaximumCatchupFires = 1000
    /// The default late tolerance in seconds (see ``lateTolerance``).
    public static let defaultLateTolerance: TimeInterval = 10

    /// When tick 0 is scheduled (normally the creation time of the trigger).
    public let start: Date
    /// The distance between ticks.
    public let interval: TriggerDuration
    /// The absolute deadline (`created + timeout`); ticks at or after it never fire. `nil` means no timeout.
    public let deadline: Date?
    /// What to do with ticks missed during downtime.
    public var catchup: CatchupPolicy
    /// How late (in seconds) a tick may be evaluated and still count as on time rather than missed.
    ///
    /// Only ``CatchupPolicy/none`` looks at it: the newest due tick still fires if `now` is at most
    /// `min(lateTolerance, interval / 2)` after its scheduled time, so a trigger that wakes up a little
    /// late (busy machine) does not lose a tick, while a restart after real downtime fires nothing.
    public var lateTolerance: TimeInterval
    /// The most fires a single ``CatchupPolicy/all`` decision emits (at least 1; default 1000).
    public var maximumCatchupFires: Int
    /// The highest tick already dealt with (fired, or skipped by the catch-up policy); `nil` before the
    /// first tick. Ticks at or below it never fire again. Persist it to survive restarts.
    public private(set) var lastFiredTick: Int?

    /// Creates a schedule.
    /// - Parameters:
    ///   - start: When tick 0 is scheduled (the trigger's creation time).
    ///   - interval: The distance between ticks.
    ///   - deadline: The absolute deadline, or `nil` for no timeout.
    ///   - catchup: The catch-up policy (default ``CatchupPolicy/one``).
    ///   - lastFiredTick: The persisted ``lastFiredTick`` when restoring, `nil` for a new trigger.
    ///   - lateTolerance: See ``lateTolerance`` (default 10 s; negative values count as 0).
    ///   - maximumCatchupFires: See ``maximumCatchupFires`` (default 1000; values below 1 count as 1).
    public init(
        start: Date,
        interval: TriggerDuration,
        deadline: Date? = nil,
        catchup: CatchupPolicy = .one,
        lastFiredTick: Int? = nil,
        lateTolerance: TimeInterval = IntervalSchedule.defaultLateTolerance,
        maximumCatchupFires: Int = IntervalSchedule.defaultMaximumCatchupFires
    ) {
        self.start = start
        self.interval = interval
        self.deadline = deadline
        self.catchup = catchup
        self.lastFiredTick = lastFiredTick.map { Swift.max($0, -1) }
        self.lateTolerance = Swift.max(0, lateTolerance)
        self.maximumCatchupFires = Swift.max(1, maximumCatchupFires)
    }

    /// Creates a schedule whose deadline is `start + timeout` (Pegasus' `--timeout`).
    /// - Parameters:
    ///   - start: When tick 0 is scheduled; also the moment the timeout counts from.
    ///   - interval: The distance between ticks.
    ///   - timeout: How long the trigger lives, or `nil` for ever.
    ///   - catchup: The catch-up policy (default ``CatchupPolicy/one``).
    ///   - lastFiredTick: The persisted ``lastFiredTick`` when restoring, `nil` for a new trigger.
    public init(
        start: Date,
        interval: TriggerDuration,
        timeout: TriggerDuration?,
        catchup: CatchupPolicy = .one,
        lastFiredTick: Int? = nil
    ) {
        self.init(
            start: start,
            interval: interval,
            deadline: timeout.map { start.addingTimeInterval(TimeInterval($0.seconds)) },
            catchup: catchup,
            lastFiredTick: lastFiredTick
        )
    }

    /// The scheduled time of tick `k`: exactly `start + k * interval`.
    public func fireTime(ofTick tick: Int) -> Date {
        // Multiply in Int (exact) and add once, so the result never depends on earlier ticks.
        start.addingTimeInterval(TimeInterval(tick) * TimeInterval(interval.seconds))
    }

    /// The newest tick scheduled at or before `date`, or `nil` if `date` is before the start.
    public func latestTick(atOrBefore date: Date) -> Int? {
        guard date >= start else { return nil }
        let estimate = (date.timeIntervalSince(start) / TimeInterval(interval.seconds)).rounded(.down)
        // Saturate far-future (or infinite) dates instead of trapping on the conversion.
        guard estimate.isFinite, estimate < TimeInterval(Int.max / 4) else { return Int.max / 4 }
        var tick = Int(estimate)
        // Floating-point division can be off by one at exact tick boundaries; settle on the definition
        // `fireTime(ofTick: tick) <= date < fireTime(ofTick: tick + 1)` using the same `fireTime` the
        // decisions use, so that waking up at `nextWake` always finds that tick due. The error is at most
        // one tick, so a couple of steps suffice (and the loops cannot spin where precision runs out).
        for _ in 0..<2 where tick > 0 && fireTime(ofTick: tick) > date { tick -= 1 }
        for _ in 0..<2 where fireTime(ofTick: tick + 1) <= date { tick += 1 }
        return tick
    }

    /// The last tick scheduled strictly before the deadline; `nil` without a deadline, and `-1` if the
    /// deadline is not after the start (no tick ever fires).
    public var finalTick: Int? {
        guard let deadline else { return nil }
        guard deadline > start else { return -1 }
        guard var tick = latestTick(atOrBefore: deadline) else { return nil }
        if fireTime(ofTick: tick) >= deadline { tick -= 1 }
        return tick
    }

    /// Whether the deadline has been reached at `now` (`now >= deadline`); always `false` without one.
    public func isExpired(at now: Date) -> Bool {
        guard let deadline else { return false }
        return now >= deadline
    }

    /// The scheduled time of the first tick after ``lastFiredTick`` that is before the deadline, if any.
    public var nextFireTime: Date? {
        let next = (lastFiredTick ?? -1) + 1
        if let deadline, fireTime(ofTick: next) >= deadline { return nil }
        return fireTime(ofTick: next)
    }

    /// Decides what is due at `now` without changing the schedule.
    ///
    /// Call ``record(_:)`` after the fires have been submitted (or use ``advance(now:)``).
    public func due(now: Date) -> FireDecision {
        let firstPending = (lastFiredTick ?? -1) + 1
        if isExpired(at: now) {
            // Nothing fires after the deadline; count the pending ticks before it as skipped.
            let final = finalTick ?? -1
            let skipped = Swift.max(0, final - firstPending + 1)
            return FireDecision(
                fires: [],
                skippedTicks: skipped,
                lastHandledTick: skipped > 0 ? final : lastFiredTick,
                nextFireTime: nil,
                nextWake: nil,
                isExpired: true
            )
        }

        // Newest tick due now, limited to ticks before the deadline.
        var newest = latestTick(atOrBefore: now) ?? -1
        if let final = finalTick { newest = Swift.min(newest, final) }
        let dueCount = Swift.max(0, newest - firstPending + 1)

        var fires: [ScheduledFire] = []
        var skipped = 0
        if dueCount > 0 {
            switch catchup {
            case .none:
                let tolerance = Swift.min(lateTolerance, TimeInterval(interval.seconds) / 2)
                if now.timeIntervalSince(fireTime(ofTick: newest)) <= tolerance {
                    fires = [ScheduledFire(tick: newest, scheduledTime: fireTime(ofTick: newest))]
                    skipped = dueCount - 1
                } else {
                    skipped = dueCount
                }
            case .one:
                fires = [
                    ScheduledFire(tick: newest, scheduledTime: fireTime(ofTick: newest), coalescedTicks: dueCount)
                ]
                skipped = dueCount - 1
            case .all:
                let count = Swift.min(dueCount, maximumCatchupFires)
                fires = ((newest - count + 1)...newest).map {
                    ScheduledFire(tick: $0, scheduledTime: fireTime(ofTick: $0))
                }
                skipped = dueCount - count
            }
        }

        let handled = dueCount > 0 ? newest : lastFiredTick
        let nextTick = (handled ?? -1) + 1
        var nextFire: Date? = fireTime(ofTick: nextTick)
        if let deadline, let candidate = nextFire, candidate >= deadline { nextFire = nil }
        return FireDecision(
            fires: fires,
            skippedTicks: skipped,
            lastHandledTick: handled,
            nextFireTime: nextFire,
            nextWake: nextFire ?? deadline,
            isExpired: false
        )
    }

    /// Marks the ticks of `decision` as dealt with, so that they are not fired again.
    public mutating func record(_ decision: FireDecision) {
        if let handled = decision.lastHandledTick, handled > (lastFiredTick ?? -1) {
            lastFiredTick = handled
        }
    }

    /// Decides what is due at `now` (``due(now:)``) and records it (``record(_:)``) in one step.
    @discardableResult
    public mutating func advance(now: Date) -> FireDecision {
        let decision = due(now: now)
        record(decision)
        return decision
    }
}
