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

    let minuteBits: UInt64
    let hourBits: UInt64
    private let dayOfMonthBits: UInt64
    let monthBits: UInt64
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

    // MARK: - Matching wall-clock times

    func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        let weekday = Self.weekday(days: Self.daysFromCivil(year: year, month: month, day: day))
        let dayOfMonthMatches = Self.has(dayOfMonthBits, day)
        let dayOfWeekMatches = Self.has(dayOfWeekBits, weekday)
        if dayOfMonthIsStar || dayOfWeekIsStar {
            return dayOfMonthMatches && dayOfWeekMatches
        }
        return dayOfMonthMatches || dayOfWeekMatches
    }

    // MARK: - Bit sets

    private static func has(_ bits: UInt64, _ index: Int) -> Bool {
        bits & (1 << UInt64(index)) != 0
    }

    /// The smallest set bit in `from...upTo`, if any.
    static func nextBit(_ bits: UInt64, from: Int, upTo: Int) -> Int? {
        guard from <= upTo else { return nil }
        let masked = bits & ~((1 << UInt64(from)) - 1)
        guard masked != 0 else { return nil }
        let index = masked.trailingZeroBitCount
        return index <= upTo ? index : nil
    }

    private static func bitIndices(_ bits: UInt64) -> [Int] {
        (0..<64).filter { has(bits, $0) }
    }
}
