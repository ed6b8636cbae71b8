import Foundation
import Testing
import TriggerKit

/// Cron fire times across daylight-saving changes, and against an independent brute-force oracle.
extension CronExpressionTests {
    // MARK: - DST

    @Test(
        "30 2 * * * across the spring gap and the fall overlap",
        arguments: [
            // Spring: 02:30 does not exist on the switch day and fires at the shift (03:00 local).
            (
                "Europe/Berlin", "2024-03-29T00:00:00Z",
                ["2024-03-29T01:30:00Z", "2024-03-30T01:30:00Z", "2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"]
            ),
            (
                "America/New_York", "2024-03-08T00:00:00Z",
                ["2024-03-08T07:30:00Z", "2024-03-09T07:30:00Z", "2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"]
            ),
            // Fall: 02:30 happens twice in Berlin and fires only at the first (CEST) occurrence.
            (
                "Europe/Berlin", "2024-10-25T00:00:00Z",
                ["2024-10-25T00:30:00Z", "2024-10-26T00:30:00Z", "2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"]
            ),
            // New York falls back at 02:00 -> 01:00, so 02:30 is not repeated.
            (
                "America/New_York", "2024-11-01T00:00:00Z",
                ["2024-11-01T06:30:00Z", "2024-11-02T06:30:00Z", "2024-11-03T07:30:00Z", "2024-11-04T07:30:00Z"]
            ),
        ] as [(String, String, [String])]
    )
    func dailyAcrossDST(zone: String, start: String, expected: [String]) throws {
        #expect(try fires("30 2 * * *", zone, after: start, count: 4) == expected)
    }

    @Test("30 1 * * * fires once on New York's fall-back day (first occurrence, EDT)")
    func repeatedTimeNewYork() throws {
        #expect(
            try fires("30 1 * * *", "America/New_York", after: "2024-11-01T00:00:00Z", count: 4) == [
                "2024-11-01T05:30:00Z", "2024-11-02T05:30:00Z", "2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z",
            ]
        )
    }

    @Test(
        "Lord Howe's 30-minute shifts",
        arguments: [
            // April: 02:00 LHDT (+11) -> 01:30 LHST (+10:30); 01:30-01:59 repeat, first occurrence fires.
            (
                "45 1 * * *", "2024-04-05T00:00:00Z",
                ["2024-04-05T14:45:00Z", "2024-04-06T14:45:00Z", "2024-04-07T15:15:00Z"]
            ),
            (
                "30 1 * * *", "2024-04-05T00:00:00Z",
                ["2024-04-05T14:30:00Z", "2024-04-06T14:30:00Z", "2024-04-07T15:00:00Z"]
            ),
            // October: 02:00 LHST -> 02:30 LHDT; 02:00-02:29 are skipped and fire at the shift.
            (
                "15 2 * * *", "2024-10-04T00:00:00Z",
                ["2024-10-04T15:45:00Z", "2024-10-05T15:30:00Z", "2024-10-06T15:15:00Z"]
            ),
            (
                "0 2 * * *", "2024-10-04T00:00:00Z",
                ["2024-10-04T15:30:00Z", "2024-10-05T15:30:00Z", "2024-10-06T15:00:00Z"]
            ),
            (
                "0 */6 * * *", "2024-04-06T10:00:00Z",
                ["2024-04-06T13:00:00Z", "2024-04-06T19:30:00Z", "2024-04-07T01:30:00Z"]
            ),
            (
                "*/15 * * * *", "2024-04-06T14:20:00Z",
                ["2024-04-06T14:30:00Z", "2024-04-06T14:45:00Z", "2024-04-06T15:30:00Z", "2024-04-06T15:45:00Z"]
            ),
            (
                "*/15 * * * *", "2024-10-05T14:50:00Z",
                ["2024-10-05T15:00:00Z", "2024-10-05T15:15:00Z", "2024-10-05T15:30:00Z", "2024-10-05T15:45:00Z"]
            ),
        ] as [(String, String, [String])]
    )
    func lordHowe(expression: String, start: String, expected: [String]) throws {
        #expect(try fires(expression, "Australia/Lord_Howe", after: start, count: expected.count) == expected)
    }

    @Test(
        "*/15 * * * * fires 92 times on a 23-hour spring day and 96 times on a 25-hour fall day",
        arguments: [
            ("Europe/Berlin", "2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z", 92),
            ("Europe/Berlin", "2024-10-26T22:00:00Z", "2024-10-27T23:00:00Z", 96),
            ("America/New_York", "2024-03-10T05:00:00Z", "2024-03-11T04:00:00Z", 92),
            ("America/New_York", "2024-11-03T04:00:00Z", "2024-11-04T05:00:00Z", 96),
            // Lord Howe: 23.5-hour and 24.5-hour days; the 30 skipped minutes hold 2 quarter-hours.
            ("Australia/Lord_Howe", "2024-10-05T13:30:00Z", "2024-10-06T13:00:00Z", 94),
            ("Australia/Lord_Howe", "2024-04-06T13:00:00Z", "2024-04-07T13:30:00Z", 96),
        ]
    )
    func quarterHoursPerLocalDay(zone: String, from: String, to: String, count: Int) throws {
        let expression = try cron("*/15 * * * *", zone)
        // The local day starts at `from` (local midnight), which itself fires.
        var fires: [Date] = []
        var cursor = instant(from).addingTimeInterval(-1)
        while let next = expression.nextFireDate(after: cursor), next < instant(to) {
            fires.append(next)
            cursor = next
        }
        #expect(fires.count == count)
        #expect(fires.first == instant(from))
        #expect(Set(fires).count == fires.count)
    }

    @Test("New York's fall overlap is silent for */15 after the first pass")
    func newYorkOverlap() throws {
        #expect(
            try fires("*/15 * * * *", "America/New_York", after: "2024-11-03T05:30:00Z", count: 4) == [
                "2024-11-03T05:45:00Z", "2024-11-03T07:00:00Z", "2024-11-03T07:15:00Z", "2024-11-03T07:30:00Z",
            ]
        )
        // Asking from inside the second (EST) pass of 01:00-01:59 also finds 02:00 EST.
        #expect(
            try fires("*/15 * * * *", "America/New_York", after: "2024-11-03T06:20:00Z", count: 1) == [
                "2024-11-03T07:00:00Z"
            ])
        #expect(
            try fires("30 1 * * *", "America/New_York", after: "2024-11-03T06:10:00Z", count: 1) == [
                "2024-11-04T06:30:00Z"
            ])
    }

    // MARK: - Independent brute-force oracle

    /// Brute force, independent of the implementation's search and calendar arithmetic: walk every UTC
    /// minute, read the local wall time with Foundation's `Calendar`, fire on the first occurrence of a
    /// matching wall time, and at the end of a gap if any skipped wall time matches.
    func bruteForceFires(_ expression: CronExpression, from: Date, to: Date) -> [Date] {
        var local = Calendar(identifier: .gregorian)
        local.timeZone = expression.timeZone
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let units: Set<Calendar.Component> = [.year, .month, .day, .hour, .minute]
        func wall(_ date: Date) -> Date { utc.date(from: local.dateComponents(units, from: date))! }
        func matches(_ wall: Date) -> Bool {
            let parts = utc.dateComponents(units, from: wall)
            return expression.matches(
                year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!
            )
        }
        var fires: [Date] = []
        var latestWall: Date?
        var previousWall: Date?
        var now = from
        while now < to {
            let current = wall(now)
            var fire = false
            if let previousWall, current.timeIntervalSince(previousWall) > 60 {
                var skipped = previousWall.addingTimeInterval(60)
                while skipped < current {
                    if matches(skipped) { fire = true }
                    skipped = skipped.addingTimeInterval(60)
                }
            }
            let isFirstOccurrence = latestWall.map { current > $0 } ?? true
            if matches(current), isFirstOccurrence { fire = true }
            if fire { fires.append(now) }
            if isFirstOccurrence { latestWall = current }
            previousWall = current
            now = now.addingTimeInterval(60)
        }
        return fires
    }

    static let transitions: [(String, String)] = [
        ("Europe/Berlin", "2024-03-31T01:00:00Z"), ("Europe/Berlin", "2024-10-27T01:00:00Z"),
        ("America/New_York", "2024-03-10T07:00:00Z"), ("America/New_York", "2024-11-03T06:00:00Z"),
        ("Australia/Lord_Howe", "2024-04-06T15:00:00Z"), ("Australia/Lord_Howe", "2024-10-05T15:30:00Z"),
    ]

    @Test(
        "matches a brute-force oracle around every transition",
        arguments: [
            "*/15 * * * *", "30 2 * * *", "15 1 * * *", "45 1,2 * * *", "*/7 0-3 * * *", "0 * * * *",
            "* 2 * * *", "5,35 1-3 * * SUN", "59 1 * * *", "0,30 2 * * *",
        ]
    )
    func oracle(expression: String) throws {
        for (zone, transition) in Self.transitions {
            let parsed = try cron(expression, zone)
            let from = instant(transition).addingTimeInterval(-9 * 3_600)
            let to = instant(transition).addingTimeInterval(9 * 3_600)
            var fires: [Date] = []
            var cursor = from.addingTimeInterval(-1)
            while let next = parsed.nextFireDate(after: cursor), next < to {
                fires.append(next)
                cursor = next
            }
            #expect(iso(fires) == iso(bruteForceFires(parsed, from: from, to: to)), "\(expression) in \(zone)")
        }
    }
}
