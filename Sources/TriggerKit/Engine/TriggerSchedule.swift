import Foundation

/// When a trigger fires: a fixed interval from its creation (Pegasus' cron-trigger) or a cron expression in a
/// time zone. Ticks are identified by their scheduled time, which is what makes a submission idempotent.
public enum TriggerSchedule: Sendable, Hashable {
    case interval(start: Date, every: TriggerDuration)
    case cron(CronExpression, created: Date)

    /// What to fire now, given the scheduled time of the last handled tick.
    public struct Due: Sendable, Hashable {
        /// Ticks to submit, oldest first, with how many ticks each one stands for (catch-up `one`).
        public var fires: [(tick: Date, coalesced: Int)]
        /// The scheduled time of the newest tick handled (fired or skipped) by this decision.
        public var handledThrough: Date?
        /// The next tick after those handled, before the deadline; nil when none is left.
        public var nextFire: Date?
        /// Whether the deadline has passed.
        public var expired: Bool

        public static func == (a: Due, b: Due) -> Bool {
            a.fires.map(\.tick) == b.fires.map(\.tick) && a.fires.map(\.coalesced) == b.fires.map(\.coalesced)
                && a.handledThrough == b.handledThrough && a.nextFire == b.nextFire && a.expired == b.expired
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(fires.map(\.tick))
            hasher.combine(handledThrough)
            hasher.combine(nextFire)
            hasher.combine(expired)
        }
    }

    /// Decides which ticks are due at `now`.
    /// - Parameters:
    ///   - lastHandled: the scheduled time of the last tick already handled (persisted), nil before the first.
    ///   - deadline: the absolute expiry (created + timeout), if any.
    ///   - catchup: what to do with ticks missed while the server was down.
    public func due(now: Date, lastHandled: Date?, deadline: Date?, catchup: CatchupPolicy) -> Due {
        switch self {
        case .interval(let start, let every):
            let lastTick = lastHandled.map { last in
                Int((last.timeIntervalSince(start) / Double(every.seconds)).rounded())
            }
            let schedule = IntervalSchedule(
                start: start, interval: every, deadline: deadline, catchup: catchup, lastFiredTick: lastTick)
            let decision = schedule.due(now: now)
            return Due(
                fires: decision.fires.map { ($0.scheduledTime, $0.coalescedTicks) },
                handledThrough: decision.lastHandledTick.map { schedule.fireTime(ofTick: $0) } ?? lastHandled,
                nextFire: decision.nextFireTime, expired: decision.isExpired)
        case .cron(let expression, let created):
            if let deadline, now >= deadline {
                return Due(fires: [], handledThrough: lastHandled, nextFire: nil, expired: true)
            }
            let after = max(lastHandled ?? created, created)
            let through = deadline.map { min(now, $0.addingTimeInterval(-0.001)) } ?? now
            let (missed, count) = Self.missed(expression, after: after, through: through)
            var fires: [(Date, Int)] = []
            if let newest = missed.last {
                switch catchup {
                case .none:
                    // Only a tick that is due right now (not one missed during downtime or a pause) fires.
                    if now.timeIntervalSince(newest) <= 10 { fires = [(newest, 1)] }
                case .one: fires = [(newest, count)]
                case .all: fires = missed.map { ($0, 1) }
                }
            }
            let handled = missed.last ?? lastHandled
            var next = expression.nextFireDate(after: max(handled ?? after, now.addingTimeInterval(-0.001)))
            if let n = next, let deadline, n >= deadline { next = nil }
            return Due(fires: fires, handledThrough: handled, nextFire: next, expired: false)
        }
    }

    /// The fire times from `first` (the next fire), at most `count` of them, before the deadline.
    public func upcoming(from first: Date, count: Int, deadline: Date?) -> [Date] {
        guard count > 0 else { return [] }
        let times: [Date]
        switch self {
        case .interval(_, let every):
            times = (0..<count).map { first.addingTimeInterval(Double($0) * Double(every.seconds)) }
        case .cron(let expression, _):
            times =
                [first]
                + expression.fireDates(
                    after: first, through: first.addingTimeInterval(400 * 86_400 * Double(count)), limit: count - 1)
        }
        return times.filter { time in deadline.map { time < $0 } ?? true }
    }

    /// The cron ticks in `(after, through]`: the newest 1,000 of them (oldest first) and how many there are. A long
    /// gap (a trigger paused for weeks) is walked in chunks; beyond a million ticks only the last week is walked,
    /// so the count is a lower bound there, and the newest tick is still exact.
    static func missed(_ expression: CronExpression, after: Date, through: Date) -> (newest: [Date], count: Int) {
        var newest: [Date] = []
        var count = 0
        var cursor = after
        var chunks = 0
        while true {
            let chunk = expression.fireDates(after: cursor, through: through, limit: 1000)
            guard let last = chunk.last else { break }
            count += chunk.count
            newest = Array((newest + chunk).suffix(1000))
            cursor = last
            chunks += 1
            if chunk.count < 1000 { break }
            if chunks == 1000 { cursor = max(cursor, through.addingTimeInterval(-7 * 86_400)) }
        }
        return (newest, count)
    }
}
