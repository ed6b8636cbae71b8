import Foundation

extension CronExpression {
    /// The first fire time strictly after `date`, or `nil` if there is none within 400 years (or `date` is
    /// not finite or millions of years away).
    ///
    /// Fire times are whole seconds. Calling this repeatedly with the previous result enumerates every fire
    /// exactly once, with the DST rules described on ``CronExpression``.
    public func nextFireDate(after date: Date) -> Date? {
        // Beyond ±3 million years (or for a non-finite date) there is nothing sensible to compute.
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 1e14 else { return nil }
        let after = Int(seconds.rounded(.down))
        var wall = LocalMinute(naiveSeconds: after + offset(at: after))
        let horizon = wall.year + 400
        while true {
            guard let match = nextMatch(from: wall, maximumYear: horizon) else { return nil }
            let naive = match.naiveSeconds
            let instant = resolve(naiveSeconds: naive)
            if instant > after { return Date(timeIntervalSince1970: TimeInterval(instant)) }
            // Only a match whose first occurrence is not after `date` gets here: the current minute, or
            // the repeated part of a fall-back overlap. Both are short, so stepping on is cheap.
            wall = LocalMinute(naiveSeconds: naive + 60)
        }
    }

    /// The next `count` fire times after `date` (fewer if the expression runs out within the horizon).
    public func nextFireDates(after date: Date, count: Int) -> [Date] {
        var result: [Date] = []
        var cursor = date
        while result.count < count, let next = nextFireDate(after: cursor) {
            result.append(next)
            cursor = next
        }
        return result
    }

    /// The fire times in `(after, through]`, oldest first, at most `limit` of them (the oldest ones).
    ///
    /// Useful for catch-up after downtime: with the last fire time persisted, the fires missed until now
    /// are `fireDates(after: lastFire, through: now, limit: cap)`.
    public func fireDates(after start: Date, through end: Date, limit: Int) -> [Date] {
        var result: [Date] = []
        var cursor = start
        while result.count < limit, let next = nextFireDate(after: cursor), next <= end {
            result.append(next)
            cursor = next
        }
        return result
    }

    /// The first matching wall-clock minute at or after `start`, skipping whole months, days and hours
    /// that cannot match.
    private func nextMatch(from start: LocalMinute, maximumYear: Int) -> LocalMinute? {
        var year = start.year
        var month = start.month
        var day = start.day
        var hour = start.hour
        var minute = start.minute
        while year <= maximumYear {
            guard let nextMonth = Self.nextBit(monthBits, from: month, upTo: 12) else {
                (year, month, day, hour, minute) = (year + 1, 1, 1, 0, 0)
                continue
            }
            if nextMonth != month { (month, day, hour, minute) = (nextMonth, 1, 0, 0) }

            let length = Self.daysInMonth(year: year, month: month)
            var candidateDay = day
            while candidateDay <= length, !dayMatches(year: year, month: month, day: candidateDay) {
                candidateDay += 1
            }
            guard candidateDay <= length else {
                (month, day, hour, minute) = (month + 1, 1, 0, 0)
                if month > 12 { (year, month) = (year + 1, 1) }
                continue
            }
            if candidateDay != day { (day, hour, minute) = (candidateDay, 0, 0) }

            guard let nextHour = Self.nextBit(hourBits, from: hour, upTo: 23) else {
                // `day` may now exceed the month's length; the day search above then moves on a month.
                (day, hour, minute) = (day + 1, 0, 0)
                continue
            }
            if nextHour != hour { (hour, minute) = (nextHour, 0) }

            guard let nextMinute = Self.nextBit(minuteBits, from: minute, upTo: 59) else {
                (hour, minute) = (hour + 1, 0)
                if hour > 23 { (day, hour) = (day + 1, 0) }
                continue
            }
            return LocalMinute(year: year, month: month, day: day, hour: hour, minute: nextMinute)
        }
        return nil
    }

    // MARK: - Wall-clock time to instant

    /// The zone's UTC offset in seconds at an instant given in seconds since 1970.
    private func offset(at instant: Int) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    /// The instant at which a wall-clock time (given as seconds since 1970 *as if* it were UTC) fires:
    /// its first occurrence if it exists (once, or twice in an overlap), else the end of the gap it falls in.
    private func resolve(naiveSeconds naive: Int) -> Int {
        // The instants that can show this wall time lie within a day of `naive`; the offsets in force a day
        // before and a day after cover both sides of at most one transition.
        let before = offset(at: naive - 86_400)
        let after = offset(at: naive + 86_400)
        var candidates = Set([before, after])
        // Should two transitions be closer than a day, also try the offsets at the first guesses.
        candidates.insert(offset(at: naive - before))
        candidates.insert(offset(at: naive - after))
        let valid = candidates.map { naive - $0 }.filter { naive - offset(at: $0) == $0 }
        if let first = valid.min() { return first }

        // A gap: the wall time jumps from below `naive` to above it at some transition instant between the
        // two guesses. Binary-search that instant (offsets change at whole seconds).
        var low = Swift.min(naive - before, naive - after)
        var high = Swift.max(naive - before, naive - after)
        let lowOffset = offset(at: low)
        guard offset(at: high) != lowOffset else { return high }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == lowOffset { low = middle } else { high = middle }
        }
        return high
    }
}
