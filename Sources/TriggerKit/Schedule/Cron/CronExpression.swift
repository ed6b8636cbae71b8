import Foundation

/// A standard 5-field cron expression evaluated in an IANA time zone.
///
/// **Syntax.** `minute hour day-of-month month day-of-week`, separated by spaces or tabs:
///
/// | field | values | names |
/// |---|---|---|
/// | minute | 0–59 | |
/// | hour | 0–23 | |
/// | day of month | 1–31 | |
/// | month | 1–12 | `JAN`–`DEC` |
/// | day of week | 0–7 (0 and 7 are Sunday) | `SUN`–`SAT` |
///
/// Each field is a comma-separated list of elements; an element is `*`, a value `v`, a range `a-b`,
/// or any of those followed by a step: `*/15`, `1-5/2`, and `v/n` (meaning `v-max/n`; in the day-of-week
/// field `*` and `v/n` end at Saturday, so `1/2` is Monday, Wednesday, Friday). Names are
/// case-insensitive and can be used as values and range ends, not as steps. In the day-of-week field a
/// range may end in Sunday written as `0`/`SUN` (`FRI-SUN` = Friday, Saturday, Sunday).
/// The macros `@yearly` (= `@annually`), `@monthly`, `@weekly`, `@daily` (= `@midnight`) and `@hourly`
/// stand for `0 0 1 1 *`, `0 0 1 * *`, `0 0 * * 0`, `0 0 * * *` and `0 * * * *`.
///
/// **Day-of-month / day-of-week rule** (Vixie cron, cronie): if either of the two day fields starts with
/// `*` (including stepped forms such as `*/2`), a day must match both; if both are restricted, a day
/// matching either one fires. So `0 0 13 * 5` fires on every 13th *and* on every Friday.
///
/// Expressions that can never fire (such as `0 0 30 2 *`) are rejected when parsed.
///
/// **Time zones and DST.** The fields are matched against the local wall-clock time of ``timeZone``.
/// Where a daylight-saving (or any other offset) change makes wall-clock times skip or repeat:
/// - A local time skipped by a spring-forward gap fires once, at the moment of the shift, i.e. at the
///   first instant after the gap. `30 2 * * *` in Europe/Berlin fires at 03:00 CEST on the day clocks jump
///   from 02:00 to 03:00; every skipped time of one gap collapses into that single fire (and a regular
///   match at the same instant, such as 03:00 for `*/15 * * * *`, does not add a second one).
/// - A local time repeated by a fall-back overlap fires only once, at its first occurrence. This holds for
///   every expression: `*/15 * * * *` fires at 02:00, 02:15, 02:30 and 02:45 CEST on the day Berlin falls
///   back, and then not again until 03:00 CET (the repeated 02:00–02:59 CET hour is silent).
///   Use an interval trigger or the UTC zone for strictly periodic firing.
/// - Shifts of any size are handled the same way, e.g. the 30-minute shifts of Australia/Lord_Howe.
///
/// Next fire times are found by skipping field by field (month, day, hour, minute), in pure calendar
/// arithmetic; the time zone is consulted only to convert a matching wall time to an instant. A search
/// never looks more than 400 years ahead (a full Gregorian cycle), so it is fast even for `0 0 29 2 *`.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The expression as given, without leading or trailing whitespace (macros are kept as written).
    public let expression: String
    /// The zone whose wall-clock time the fields are matched against.
    public let timeZone: TimeZone

    private let minuteBits: UInt64
    private let hourBits: UInt64
    private let dayOfMonthBits: UInt64
    private let monthBits: UInt64
    /// Bits 0–6, Sunday = 0 (a 7 in the expression is stored as 0).
    private let dayOfWeekBits: UInt64
    private let dayOfMonthIsStar: Bool
    private let dayOfWeekIsStar: Bool

    /// Parses a cron expression in the given zone.
    /// - Parameters:
    ///   - expression: Five fields or a macro, e.g. `*/15 * * * *` or `@daily`.
    ///   - timeZone: The zone to evaluate it in (default UTC).
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/invalidCronExpression`` and a message
    ///   naming the offending field and value.
    public init(_ expression: String, timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws(TriggerError) {
        let trimmed = expression.trimmingCharacters(in: .whitespacesAndNewlines)
        func fail(_ detail: String) -> TriggerError {
            TriggerError(
                code: .invalidCronExpression,
                message: "invalid cron expression '\(trimmed)': \(detail)"
            )
        }
        guard !trimmed.isEmpty else {
            throw TriggerError(code: .invalidCronExpression, message: "cron expression must not be empty")
        }

        var fieldsText = trimmed
        if trimmed.hasPrefix("@") {
            guard let expansion = Self.macros[trimmed.lowercased()] else {
                if trimmed.lowercased() == "@reboot" {
                    throw fail("@reboot is not supported by cron triggers")
                }
                throw fail(
                    "unknown macro \(trimmed) (supported: @yearly, @annually, @monthly, @weekly, @daily, "
                        + "@midnight, @hourly)"
                )
            }
            fieldsText = expansion
        }

        let fields = fieldsText.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw fail(
                "expected 5 fields (minute hour day-of-month month day-of-week) but found \(fields.count)"
            )
        }

        var parsed: [(bits: UInt64, isStar: Bool)] = []
        for (spec, text) in zip(FieldSpec.all, fields) {
            do {
                parsed.append(try spec.parse(text))
            } catch {
                throw fail("\(spec.name) field '\(text)': \(error.detail)")
            }
        }

        self.expression = trimmed
        self.timeZone = timeZone
        self.minuteBits = parsed[0].bits
        self.hourBits = parsed[1].bits
        self.dayOfMonthBits = parsed[2].bits
        self.dayOfMonthIsStar = parsed[2].isStar
        self.monthBits = parsed[3].bits
        self.dayOfWeekBits = parsed[4].bits
        self.dayOfWeekIsStar = parsed[4].isStar

        // With the AND rule a day must exist in one of the months; with the OR rule the weekday part
        // always fires eventually.
        if dayOfMonthIsStar || dayOfWeekIsStar {
            let possible = Self.bitIndices(monthBits).contains { month in
                let longest = month == 2 ? 29 : Self.daysInMonth(year: 2000, month: month)
                return Self.bitIndices(dayOfMonthBits).contains { $0 <= longest }
            }
            guard possible else {
                throw fail("it never fires (no selected month has any of the selected days of the month)")
            }
        }
    }

    /// Parses a cron expression in the zone with the given IANA identifier.
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/unknownTimeZone`` for an unknown zone, or
    ///   ``TriggerError/Code/invalidCronExpression`` for a bad expression.
    public init(_ expression: String, timeZoneIdentifier: String) throws(TriggerError) {
        try self.init(expression, timeZone: Self.timeZone(identifier: timeZoneIdentifier))
    }

    /// Looks up an IANA time zone such as `Europe/Berlin` or `UTC`.
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/unknownTimeZone``.
    public static func timeZone(identifier: String) throws(TriggerError) -> TimeZone {
        let trimmed = identifier.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, let zone = TimeZone(identifier: trimmed) else {
            throw TriggerError(
                code: .unknownTimeZone,
                message: "unknown time zone '\(identifier)' (expected an IANA name such as 'Europe/Berlin' or 'UTC')"
            )
        }
        return zone
    }

    /// The expression and its zone, e.g. `30 2 * * * (Europe/Berlin)`.
    public var description: String { "\(expression) (\(timeZone.identifier))" }

    /// The minutes (0–59) the expression selects.
    public var minutes: [Int] { Self.bitIndices(minuteBits) }
    /// The hours (0–23) the expression selects.
    public var hours: [Int] { Self.bitIndices(hourBits) }
    /// The days of the month (1–31) the expression selects.
    public var daysOfMonth: [Int] { Self.bitIndices(dayOfMonthBits) }
    /// The months (1–12) the expression selects.
    public var months: [Int] { Self.bitIndices(monthBits) }
    /// The days of the week (0–6, Sunday = 0) the expression selects.
    public var daysOfWeek: [Int] { Self.bitIndices(dayOfWeekBits) }

    /// Whether a local wall-clock time matches the fields (ignoring whether that time exists in the zone).
    /// - Parameters: The local date and time; `month` is 1–12, `day` 1–31.
    public func matches(year: Int, month: Int, day: Int, hour: Int, minute: Int) -> Bool {
        guard (1...12).contains(month), (1...Self.daysInMonth(year: year, month: month)).contains(day),
            (0...23).contains(hour), (0...59).contains(minute)
        else { return false }
        return Self.has(monthBits, month) && dayMatches(year: year, month: month, day: day)
            && Self.has(hourBits, hour) && Self.has(minuteBits, minute)
    }

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

    // MARK: - Matching wall-clock times

    private func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        let weekday = Self.weekday(days: Self.daysFromCivil(year: year, month: month, day: day))
        let dayOfMonthMatches = Self.has(dayOfMonthBits, day)
        let dayOfWeekMatches = Self.has(dayOfWeekBits, weekday)
        if dayOfMonthIsStar || dayOfWeekIsStar {
            return dayOfMonthMatches && dayOfWeekMatches
        }
        return dayOfMonthMatches || dayOfWeekMatches
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

    // MARK: - Calendar arithmetic (proleptic Gregorian, no time zone)

    private struct LocalMinute: Sendable {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int

        init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
            (self.year, self.month, self.day, self.hour, self.minute) = (year, month, day, hour, minute)
        }

        /// The wall-clock minute containing `naiveSeconds` (seconds since 1970 read as local time).
        init(naiveSeconds: Int) {
            let days = naiveSeconds >= 0 ? naiveSeconds / 86_400 : -((-naiveSeconds + 86_399) / 86_400)
            let secondOfDay = naiveSeconds - days * 86_400
            let civil = CronExpression.civilFromDays(days)
            self.init(
                year: civil.year,
                month: civil.month,
                day: civil.day,
                hour: secondOfDay / 3_600,
                minute: secondOfDay % 3_600 / 60
            )
        }

        var naiveSeconds: Int {
            CronExpression.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = (month + 9) % 12
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// The weekday (Sunday = 0) of a day count since 1970-01-01 (a Thursday).
    static func weekday(days: Int) -> Int {
        ((days % 7) + 7 + 4) % 7
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // MARK: - Bit sets

    private static func has(_ bits: UInt64, _ index: Int) -> Bool {
        bits & (1 << UInt64(index)) != 0
    }

    /// The smallest set bit in `from...upTo`, if any.
    private static func nextBit(_ bits: UInt64, from: Int, upTo: Int) -> Int? {
        guard from <= upTo else { return nil }
        let masked = bits & ~((1 << UInt64(from)) - 1)
        guard masked != 0 else { return nil }
        let index = masked.trailingZeroBitCount
        return index <= upTo ? index : nil
    }

    private static func bitIndices(_ bits: UInt64) -> [Int] {
        (0..<64).filter { has(bits, $0) }
    }

    // MARK: - Parsing

    private static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    private struct FieldError: Error {
        var detail: String
    }

    private struct FieldSpec: Sendable {
        var name: String
        var range: ClosedRange<Int>
        var names: [String: Int]
        var isDayOfWeek: Bool

        static let all: [FieldSpec] = [
            FieldSpec(name: "minute", range: 0...59, names: [:], isDayOfWeek: false),
            FieldSpec(name: "hour", range: 0...23, names: [:], isDayOfWeek: false),
            FieldSpec(name: "day-of-month", range: 1...31, names: [:], isDayOfWeek: false),
            FieldSpec(
                name: "month",
                range: 1...12,
                names: [
                    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
                    "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
                ],
                isDayOfWeek: false
            ),
            FieldSpec(
                name: "day-of-week",
                range: 0...7,
                names: ["SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6],
                isDayOfWeek: true
            ),
        ]

        func parse(_ text: String) throws(FieldError) -> (bits: UInt64, isStar: Bool) {
            var bits: UInt64 = 0
            for element in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard !element.isEmpty else { throw FieldError(detail: "empty list element") }
                let parts = element.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count <= 2 else { throw FieldError(detail: "'\(element)' has more than one '/'") }
                var step = 1
                if parts.count == 2 {
                    guard let value = Self.number(parts[1]), value > 0 else {
                        throw FieldError(detail: "step '\(parts[1])' must be a positive integer")
                    }
                    step = value
                }
                let base = parts[0]
                var low: Int
                var high: Int
                // `*` and `v/n` run up to Saturday in the day-of-week field, so that `1/2` does not add
                // Sunday as 7 (an explicit `1-7/2` does).
                let openEnd = isDayOfWeek ? 6 : range.upperBound
                if base == "*" {
                    (low, high) = (range.lowerBound, openEnd)
                } else if let dash = base.firstIndex(of: "-") {
                    low = try value(base[..<dash])
                    high = try value(base[base.index(after: dash)...])
                    // `FRI-SUN`: a day-of-week range may end in Sunday written as 0.
                    if isDayOfWeek, high == 0, low > 0 { high = 7 }
                    guard low <= high else {
                        throw FieldError(detail: "range start \(low) is greater than range end \(high)")
                    }
                } else {
                    low = try value(base)
                    high = parts.count == 2 ? Swift.max(low, openEnd) : low
                }
                for index in stride(from: low, through: high, by: step) {
                    bits |= 1 << UInt64(isDayOfWeek && index == 7 ? 0 : index)
                }
            }
            return (bits, text.hasPrefix("*"))
        }

        private func value(_ text: Substring) throws(FieldError) -> Int {
            if let number = Self.number(text) {
                guard range.contains(number) else {
                    throw FieldError(
                        detail: "\(text) is out of range \(range.lowerBound)-\(range.upperBound)"
                    )
                }
                return number
            }
            if let named = names[text.uppercased()] { return named }
            if text.isEmpty { throw FieldError(detail: "missing value in a range") }
            if names.isEmpty {
                throw FieldError(detail: "'\(text)' is not a number")
            }
            let examples = name == "month" ? "JAN-DEC" : "SUN-SAT"
            throw FieldError(detail: "'\(text)' is neither a number nor a name (\(examples))")
        }

        /// A non-negative decimal number of ASCII digits (saturating at `Int.max`, which is out of range).
        private static func number(_ text: Substring) -> Int? {
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(text) ?? Int.max
        }
    }
}
