import Foundation
import Testing
import TriggerKit

struct CronExpressionTests {
    func cron(_ expression: String, _ zone: String = "UTC") throws -> CronExpression {
        try CronExpression(expression, timeZoneIdentifier: zone)
    }

    /// The next `count` fire times after `start`, as ISO 8601 UTC strings.
    func fires(_ expression: String, _ zone: String, after start: String, count: Int) throws -> [String] {
        iso(try cron(expression, zone).nextFireDates(after: instant(start), count: count))
    }

    // MARK: - Parsing

    @Test(
        "fields expand to the selected values",
        arguments: [
            ("*/15 * * * *", [0, 15, 30, 45], Array(0...23), Array(1...31), Array(1...12), Array(0...6)),
            ("0 1-5/2 * * *", [0], [1, 3, 5], Array(1...31), Array(1...12), Array(0...6)),
            ("5,10-12 0 1,15 JAN,jul-Sep mon-FRI", [5, 10, 11, 12], [0], [1, 15], [1, 7, 8, 9], [1, 2, 3, 4, 5]),
            ("0 0 * * 7", [0], [0], Array(1...31), Array(1...12), [0]),
            ("0 0 * * 0,7", [0], [0], Array(1...31), Array(1...12), [0]),
            ("0 0 * * 5-7", [0], [0], Array(1...31), Array(1...12), [0, 5, 6]),
            ("0 0 * * FRI-SUN", [0], [0], Array(1...31), Array(1...12), [0, 5, 6]),
            ("0 0 * * */2", [0], [0], Array(1...31), Array(1...12), [0, 2, 4, 6]),
            ("50/5 22/1 30/1 11/1 6/1", [50, 55], [22, 23], [30, 31], [11, 12], [6]),
            ("00 05 01 01 *", [0], [5], [1], [1], Array(0...6)),
            ("\t1  2\t3 4 5 ", [1], [2], [3], [4], [5]),
            ("*/45 */25 */40 */13 */8", [0, 45], [0], [1], [1], [0]),
            ("0 0 * * 1/2", [0], [0], Array(1...31), Array(1...12), [1, 3, 5]),
            ("0 0 * * 1-7/2", [0], [0], Array(1...31), Array(1...12), [0, 1, 3, 5]),
            ("0 0 * * 7/1", [0], [0], Array(1...31), Array(1...12), [0]),
        ] as [(String, [Int], [Int], [Int], [Int], [Int])]
    )
    func fields(
        expression: String,
        minutes: [Int],
        hours: [Int],
        days: [Int],
        months: [Int],
        weekdays: [Int]
    ) throws {
        let parsed = try cron(expression)
        #expect(parsed.minutes == minutes)
        #expect(parsed.hours == hours)
        #expect(parsed.daysOfMonth == days)
        #expect(parsed.months == months)
        #expect(parsed.daysOfWeek == weekdays)
    }

    @Test(
        "macros expand to their five-field forms",
        arguments: [
            ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"),
            ("@weekly", "0 0 * * 0"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"),
            ("@hourly", "0 * * * *"), ("@DAILY", "0 0 * * *"), (" @Hourly ", "0 * * * *"),
        ]
    )
    func macros(macro: String, fields: String) throws {
        let expanded = try cron(macro)
        let explicit = try cron(fields)
        let start = instant("2023-12-30T17:23:00Z")
        #expect(expanded.nextFireDates(after: start, count: 5) == explicit.nextFireDates(after: start, count: 5))
        #expect(expanded.expression == macro.trimmingCharacters(in: .whitespaces))
    }

    @Test(
        "invalid expressions are rejected with a clear message",
        arguments: [
            ("", "cron expression must not be empty"),
            ("   ", "cron expression must not be empty"),
            (
                "* * * *",
                "invalid cron expression '* * * *': expected 5 fields (minute hour day-of-month month day-of-week) but found 4"
            ),
            (
                "0 * * * * *",
                "invalid cron expression '0 * * * * *': expected 5 fields (minute hour day-of-month month day-of-week) but found 6"
            ),
            ("60 * * * *", "invalid cron expression '60 * * * *': minute field '60': 60 is out of range 0-59"),
            ("* 24 * * *", "invalid cron expression '* 24 * * *': hour field '24': 24 is out of range 0-23"),
            ("* * 0 * *", "invalid cron expression '* * 0 * *': day-of-month field '0': 0 is out of range 1-31"),
            ("* * 32 * *", "invalid cron expression '* * 32 * *': day-of-month field '32': 32 is out of range 1-31"),
            ("* * * 13 *", "invalid cron expression '* * * 13 *': month field '13': 13 is out of range 1-12"),
            ("* * * * 8", "invalid cron expression '* * * * 8': day-of-week field '8': 8 is out of range 0-7"),
            (
                "*/0 * * * *",
                "invalid cron expression '*/0 * * * *': minute field '*/0': step '0' must be a positive integer"
            ),
            (
                "*/x * * * *",
                "invalid cron expression '*/x * * * *': minute field '*/x': step 'x' must be a positive integer"
            ),
            (
                "5-1 * * * *",
                "invalid cron expression '5-1 * * * *': minute field '5-1': range start 5 is greater than range end 1"
            ),
            ("1,,2 * * * *", "invalid cron expression '1,,2 * * * *': minute field '1,,2': empty list element"),
            (
                "1/2/3 * * * *",
                "invalid cron expression '1/2/3 * * * *': minute field '1/2/3': '1/2/3' has more than one '/'"
            ),
            ("1- * * * *", "invalid cron expression '1- * * * *': minute field '1-': missing value in a range"),
            ("a * * * *", "invalid cron expression 'a * * * *': minute field 'a': 'a' is not a number"),
            (
                "* * * FOO *",
                "invalid cron expression '* * * FOO *': month field 'FOO': 'FOO' is neither a number nor a name (JAN-DEC)"
            ),
            (
                "* * * * MONDAY",
                "invalid cron expression '* * * * MONDAY': day-of-week field 'MONDAY': 'MONDAY' is neither a number nor a name (SUN-SAT)"
            ),
            (
                "* * * MON *",
                "invalid cron expression '* * * MON *': month field 'MON': 'MON' is neither a number nor a name (JAN-DEC)"
            ),
            (
                "* * * * JAN",
                "invalid cron expression '* * * * JAN': day-of-week field 'JAN': 'JAN' is neither a number nor a name (SUN-SAT)"
            ),
            ("* * ? * *", "invalid cron expression '* * ? * *': day-of-month field '?': '?' is not a number"),
            ("* * L * *", "invalid cron expression '* * L * *': day-of-month field 'L': 'L' is not a number"),
            ("* * * * -1", "invalid cron expression '* * * * -1': day-of-week field '-1': missing value in a range"),
            (
                "99999999999999999999 * * * *",
                "invalid cron expression '99999999999999999999 * * * *': minute field '99999999999999999999': 99999999999999999999 is out of range 0-59"
            ),
            (
                "0 0 30 2 *",
                "invalid cron expression '0 0 30 2 *': it never fires (no selected month has any of the selected days of the month)"
            ),
            (
                "0 0 31 4,6,9,11 *",
                "invalid cron expression '0 0 31 4,6,9,11 *': it never fires (no selected month has any of the selected days of the month)"
            ),
            ("@reboot", "invalid cron expression '@reboot': @reboot is not supported by cron triggers"),
            (
                "@often",
                "invalid cron expression '@often': unknown macro @often (supported: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"
            ),
        ]
    )
    func rejection(expression: String, message: String) {
        let error = #expect(throws: TriggerError.self) { try CronExpression(expression) }
        #expect(error?.code == .invalidCronExpression)
        #expect(error?.message == message)
    }

    @Test("an impossible day with the OR rule is fine: the weekday part still fires")
    func impossibleDayWithWeekday() throws {
        let expression = try cron("0 0 30 2 MON")
        #expect(
            try fires("0 0 30 2 MON", "UTC", after: "2025-01-01T00:00:00Z", count: 2) == [
                "2025-02-03T00:00:00Z", "2025-02-10T00:00:00Z",
            ])
        #expect(expression.daysOfMonth == [30])
    }

    @Test(
        "unknown time zones are rejected with a clear message", arguments: ["Mars/Olympus_Mons", "", "Europe/Berlinn"])
    func unknownZone(zone: String) {
        let error = #expect(throws: TriggerError.self) { try CronExpression("* * * * *", timeZoneIdentifier: zone) }
        #expect(error?.code == .unknownTimeZone)
        #expect(
            error?.message
                == "unknown time zone '\(zone)' (expected an IANA name such as 'Europe/Berlin' or 'UTC')"
        )
    }

    @Test("known zones are accepted and shown in the description")
    func knownZone() throws {
        let expression = try cron(" 30 2 * * * ", "Australia/Lord_Howe")
        #expect(expression.timeZone.identifier == "Australia/Lord_Howe")
        #expect(expression.expression == "30 2 * * *")
        #expect(expression.description == "30 2 * * * (Australia/Lord_Howe)")
        #expect(try CronExpression("* * * * *").timeZone.secondsFromGMT() == 0)
    }

    // MARK: - Next fire times without DST

    @Test("next fire is strictly after the given date, also with fractional seconds")
    func strictlyAfter() throws {
        let every15 = try cron("*/15 * * * *")
        #expect(iso(every15.nextFireDate(after: instant("2024-05-01T10:15:00Z"))!) == "2024-05-01T10:30:00Z")
        #expect(iso(every15.nextFireDate(after: instant("2024-05-01T10:14:59Z"))!) == "2024-05-01T10:15:00Z")
        let fractional = Date(timeIntervalSince1970: instant("2024-05-01T10:15:00Z").timeIntervalSince1970 - 0.25)
        #expect(iso(every15.nextFireDate(after: fractional)!) == "2024-05-01T10:15:00Z")
        #expect(
            try fires("*/15 * * * *", "UTC", after: "2024-12-31T23:40:00Z", count: 3) == [
                "2024-12-31T23:45:00Z", "2025-01-01T00:00:00Z", "2025-01-01T00:15:00Z",
            ]
        )
    }

    @Test(
        "next-fire tables",
        arguments: [
            (
                "0 0 1 1 *", "UTC", "2024-06-01T00:00:00Z",
                ["2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"]
            ),
            (
                "0 0 * * 7", "UTC", "2024-09-01T00:00:00Z",
                ["2024-09-08T00:00:00Z", "2024-09-15T00:00:00Z", "2024-09-22T00:00:00Z"]
            ),
            (
                "0 0 * * SUN", "UTC", "2024-09-01T00:00:00Z",
                ["2024-09-08T00:00:00Z", "2024-09-15T00:00:00Z", "2024-09-22T00:00:00Z"]
            ),
            (
                "0 9 * * MON-FRI", "Europe/Berlin", "2024-03-28T12:00:00Z",
                [
                    "2024-03-29T08:00:00Z", "2024-04-01T07:00:00Z", "2024-04-02T07:00:00Z", "2024-04-03T07:00:00Z",
                ]
            ),
            (
                "0 0 1 * *", "America/New_York", "2024-10-15T00:00:00Z",
                [
                    "2024-11-01T04:00:00Z", "2024-12-01T05:00:00Z", "2025-01-01T05:00:00Z",
                ]
            ),
            ("59 23 31 12 *", "UTC", "2024-01-01T00:00:00Z", ["2024-12-31T23:59:00Z", "2025-12-31T23:59:00Z"]),
            (
                "0 12 31 * *", "UTC", "2024-01-31T12:00:00Z",
                [
                    "2024-03-31T12:00:00Z", "2024-05-31T12:00:00Z", "2024-07-31T12:00:00Z", "2024-08-31T12:00:00Z",
                ]
            ),
            ("30 4 * * *", "Asia/Kolkata", "2024-01-01T00:00:00Z", ["2024-01-01T23:00:00Z", "2024-01-02T23:00:00Z"]),
            ("0 0 1 1 *", "UTC", "1969-06-01T00:00:00Z", ["1970-01-01T00:00:00Z", "1971-01-01T00:00:00Z"]),
        ] as [(String, String, String, [String])]
    )
    func table(expression: String, zone: String, start: String, expected: [String]) throws {
        #expect(try fires(expression, zone, after: start, count: expected.count) == expected)
    }

    @Test("fireDates(after:through:limit:) lists missed fires for catch-up")
    func fireDatesInRange() throws {
        let hourly = try cron("@hourly", "Europe/Berlin")
        let missed = hourly.fireDates(
            after: instant("2024-03-31T00:00:00Z"),
            through: instant("2024-03-31T03:00:00Z"),
            limit: 10
        )
        #expect(iso(missed) == ["2024-03-31T01:00:00Z", "2024-03-31T02:00:00Z", "2024-03-31T03:00:00Z"])
        let capped = hourly.fireDates(
            after: instant("2024-03-31T00:00:00Z"),
            through: instant("2024-04-30T00:00:00Z"),
            limit: 2
        )
        #expect(iso(capped) == ["2024-03-31T01:00:00Z", "2024-03-31T02:00:00Z"])
        #expect(
            hourly.fireDates(after: instant("2024-03-31T00:00:00Z"), through: instant("2024-03-31T00:59:59Z"), limit: 5)
                .isEmpty)
    }

    @Test("extreme dates do not trap")
    func extremeDates() throws {
        let hourly = try cron("@hourly", "Europe/Berlin")
        #expect(hourly.nextFireDate(after: Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(hourly.nextFireDate(after: Date(timeIntervalSince1970: .nan)) == nil)
        let far = try #require(hourly.nextFireDate(after: .distantFuture))
        #expect(far > .distantFuture)
        let early = try #require(hourly.nextFireDate(after: .distantPast))
        #expect(early > .distantPast)
    }

    @Test("0 0 29 2 * fires on leap days only, skipping 2100")
    func leapDays() throws {
        #expect(
            try fires("0 0 29 2 *", "UTC", after: "2024-03-01T00:00:00Z", count: 3) == [
                "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z",
            ]
        )
        #expect(
            try fires("0 0 29 2 *", "UTC", after: "2096-03-01T00:00:00Z", count: 2) == [
                "2104-02-29T00:00:00Z", "2108-02-29T00:00:00Z",
            ]
        )
        #expect(
            try fires("0 0 29 2 *", "Europe/Berlin", after: "2024-01-01T00:00:00Z", count: 1) == [
                "2024-02-28T23:00:00Z"
            ]
        )
        // 97 leap years per 400: 2000...2396 hold 97 of them, then 2400, 2404, 2408.
        let hundred = try cron("0 0 29 2 *").nextFireDates(after: instant("2000-01-01T00:00:00Z"), count: 100)
        #expect(hundred.count == 100)
        #expect(iso(hundred.last!) == "2408-02-29T00:00:00Z")
    }

    @Test("day-of-month and day-of-week: OR when both are restricted, AND when either starts with *")
    func dayRule() throws {
        // 13th OR Friday.
        #expect(
            try fires("0 0 13 * 5", "UTC", after: "2024-09-01T00:00:00Z", count: 8) == [
                "2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z", "2024-09-27T00:00:00Z",
                "2024-10-04T00:00:00Z", "2024-10-11T00:00:00Z", "2024-10-13T00:00:00Z", "2024-10-18T00:00:00Z",
            ]
        )
        // `*/2` counts as `*`: odd days that are Fridays.
        #expect(
            try fires("0 0 */2 * 5", "UTC", after: "2024-09-01T00:00:00Z", count: 6) == [
                "2024-09-13T00:00:00Z", "2024-09-27T00:00:00Z", "2024-10-11T00:00:00Z", "2024-10-25T00:00:00Z",
                "2024-11-01T00:00:00Z", "2024-11-15T00:00:00Z",
            ]
        )
        // Only one side restricted: that side alone decides.
        #expect(
            try fires("0 0 13 * *", "UTC", after: "2024-09-01T00:00:00Z", count: 2) == [
                "2024-09-13T00:00:00Z", "2024-10-13T00:00:00Z",
            ])
        let orRule = try cron("0 0 13 * 5")
        #expect(orRule.matches(year: 2024, month: 10, day: 13, hour: 0, minute: 0))  // a Sunday the 13th
        #expect(orRule.matches(year: 2024, month: 10, day: 4, hour: 0, minute: 0))  // a Friday the 4th
        #expect(!orRule.matches(year: 2024, month: 10, day: 5, hour: 0, minute: 0))
        #expect(!orRule.matches(year: 2024, month: 2, day: 30, hour: 0, minute: 0))
    }

    @Test("sparse expressions are found quickly by skipping fields")
    func sparse() throws {
        // Feb 29 that is a Sunday (`*/7` = Sunday, AND rule); 400 years of them.
        let sundays = try cron("0 0 29 2 */7").nextFireDates(after: instant("2000-01-01T00:00:00Z"), count: 14)
        #expect(
            iso(Array(sundays.prefix(4))) == [
                "2004-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z", "2088-02-29T00:00:00Z",
            ])
        #expect(sundays.count == 14)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for date in sundays {
            let parts = calendar.dateComponents([.month, .day, .weekday], from: date)
            #expect(parts.month == 2 && parts.day == 29 && parts.weekday == 1)
        }
        // 10,000 successive fires of a dense expression.
        let dense = try cron("*/5 * * * *", "Europe/Berlin").nextFireDates(
            after: instant("2024-01-01T00:00:00Z"), count: 10_000)
        #expect(dense.count == 10_000)
        #expect(zip(dense, dense.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 300 })
    }
}
