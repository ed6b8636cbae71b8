import EMTestSupport
import Foundation
import Testing

/// Waits until at least 1 s after and 4 s before a minute boundary, so that a trigger created now does not fire
/// while the test reads its first next fire.
func awayFromMinuteBoundary() async throws {
    let into = now().truncatingRemainder(dividingBy: 60)
    if into > 56 { try await sleep(until: (now() / 60).rounded(.up) * 60 + 1.2) }
    if into < 1 { try await sleep(until: (now() / 60).rounded(.down) * 60 + 1.2) }
}

extension TriggerHarness {
    /// The trigger once its runner has evaluated its schedule: a new cron trigger is stored with its creation time
    /// as `next_fire` (`TriggerRequest`), which the runner replaces by the first matching minute within milliseconds.
    func settledTrigger(_ name: String) async throws -> [String: Any] {
        try await until(timeout: 5, "\(name) to have its first next_fire") {
            let t = try await trigger(name)
            return t["next_fire"] as? Double != t["created"] as? Double
        }
        return try await trigger(name)
    }
}

/// Cron-expression triggers in a real server: the next fire the API shows for expressions in several time zones
/// (checked against a minute-by-minute oracle built on Foundation's `Calendar`), a real firing at the minute,
/// and the validation messages.
@Suite("Cron triggers, end to end", .enabled(if: serverBuilt))
struct CronTriggerTests {
    /// The first whole minute after `date` whose wall-clock time in `zone` satisfies `matches`.
    static func oracle(after date: Double, zone: String, _ matches: (DateComponents) -> Bool) -> Double {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        var t = (date / 60).rounded(.down) * 60 + 60
        while true {
            let c = calendar.dateComponents([.minute, .hour, .weekday, .day], from: Date(timeIntervalSince1970: t))
            if matches(c) { return t }
            t += 60
        }
    }

    @Test("next_fire follows the expression in its time zone")
    func nextFire() async throws {
        let h = try await TriggerHarness()
        let cases: [(name: String, cron: String, zone: String, matches: (DateComponents) -> Bool)] = [
            ("minutely", "* * * * *", "UTC", { _ in true }),
            ("kolkata", "30 * * * *", "Asia/Kolkata", { $0.minute == 30 }),
            (
                "weekdays9", "0 9 * * 1-5", "America/New_York",
                { c in
                    c.minute == 0 && c.hour == 9 && (2...6).contains(c.weekday!)
                }
            ),
            ("quarter", "*/15 * * * *", "Australia/Lord_Howe", { $0.minute! % 15 == 0 }),
        ]
        for c in cases {
            try await awayFromMinuteBoundary()
            try await h.create("cron", c.name, ["cron": c.cron, "timezone": c.zone])
            let t = try await h.settledTrigger(c.name)
            let created = try #require(t["created"] as? Double)
            let expected = Self.oracle(after: created, zone: c.zone, c.matches)
            #expect(t["next_fire"] as? Double == expected, "\(c.cron) in \(c.zone)")
            let args = t["args"] as? [String: Any]
            #expect(args?["cron"] as? String == c.cron)
            #expect(args?["timezone"] as? String == c.zone)
            #expect(t["state"] as? String == "RUNNING")
        }
        // The Kolkata case is the UTC hour: +05:30 turns local minute 30 into UTC minute 0.
        let kolkata = try #require(try await h.trigger("kolkata")["next_fire"] as? Double)
        #expect(kolkata.truncatingRemainder(dividingBy: 3600) == 0)

        // Validation, as 400s with a message that names the problem.
        let bad = try await TestHTTP.send(
            "POST", h.url + "/ensembles/e/triggers/cron",
            json: ["trigger": "bad", "workflow_script": h.script, "cron": "60 * * * *"])
        #expect(bad.status == 400)
        #expect(bad.message?.contains("minute field '60'") == true, "\(bad.body)")
        let zone = try await TestHTTP.send(
            "POST", h.url + "/ensembles/e/triggers/cron",
            json: ["trigger": "zone", "workflow_script": h.script, "cron": "* * * * *", "timezone": "Mars/Base"])
        #expect(zone.status == 400)
        #expect(zone.message?.contains("Mars/Base") == true, "\(zone.body)")
        #expect(try await h.triggers().count == cases.count)
    }

    @Test("'* * * * *' fires once at the next minute, named after it", .timeLimit(.minutes(2)))
    func firesAtTheMinute() async throws {
        let h = try await TriggerHarness()
        try await awayFromMinuteBoundary()
        let id = try await h.create("cron", "minute", ["cron": "* * * * *"])
        let next = try #require(try await h.settledTrigger("minute")["next_fire"] as? Double)
        #expect(next.truncatingRemainder(dividingBy: 60) == 0)
        // No fire at creation: a cron trigger waits for its first matching minute.
        #expect(try h.fires(id).isEmpty)
        try await sleep(until: next + 1)
        let fires = try h.fires(id)
        #expect(fires.count == 1, "\(fires)")
        if let fire = fires.first {
            #expect(fire.tick == next)
            #expect(fire.lateness >= 0 && fire.lateness < 1.0, "\(fire)")
            #expect(fire.workflow == "minute_\(Int(next))")
        }
        let t = try await h.trigger("minute")
        #expect(t["next_fire"] as? Double == next + 60)
        #expect(t["fire_count"] as? Int == 1)
    }
}
