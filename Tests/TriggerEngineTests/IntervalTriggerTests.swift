import EMTestSupport
import Foundation
import Testing

/// Interval ("cron") triggers in a real server: the creation fire, wall-clock ticks across a SIGKILL, absolute
/// deadlines, catch-up after downtime, and stop by DELETE (issue 6).
@Suite("Interval triggers, end to end", .enabled(if: serverBuilt))
struct IntervalTriggerTests {
    @Test(
        "SIGKILL mid-interval: the next tick fires at start + k·interval, once, and the deadline is unchanged",
        .timeLimit(.minutes(1)))
    func restartMidInterval() async throws {
        let h = try await TriggerHarness()
        let every4 = try await h.create("cron", "every4", ["interval": "4s", "timeout": "1m"])
        let short = try await h.create("cron", "short", ["interval": "1s", "timeout": "3s"])
        let before = try await h.trigger("every4")
        let created = try #require(before["created"] as? Double)
        let deadline = try #require(before["deadline"] as? Double)
        let shortBefore = try await h.trigger("short")
        let shortCreated = try #require(shortBefore["created"] as? Double)
        #expect(abs(deadline - (created + 60)) < 0.001)

        // The creation fire: tick 0 is the creation time itself.
        try await h.until("the creation fire") { try h.fires(every4).count == 1 }
        let first = try h.fires(every4)[0]
        #expect(abs(first.tick - created) < 0.001)
        #expect(first.lateness < 1.0, "creation → first submission took \(first.lateness) s")

        try await sleep(until: created + 1.5)
        try await h.crashServer()
        try await h.startServer()
        try #require(now() < created + 3.5, "the restart came too late (\(now() - created) s) to test anything")

        // The restart restored the persisted schedule and deadline, not fresh ones.
        let after = try await h.trigger("every4")
        #expect(after["state"] as? String == "RUNNING")
        #expect(after["created"] as? Double == created)
        #expect(after["deadline"] as? Double == deadline)
        #expect(abs((after["next_fire"] as? Double ?? 0) - (created + 4)) < 0.001)
        #expect(after["fire_count"] as? Int == 1)

        try await sleep(until: created + 4.6)
        let fires = try h.fires(every4)
        #expect(fires.count == 2, "\(fires)")
        if fires.count == 2 {
            #expect(abs(fires[1].tick - (created + 4)) < 0.001, "\(fires)")
            #expect(fires[1].lateness >= 0 && fires[1].lateness < 1.0, "the tick after the restart: \(fires[1])")
        }
        let workflows = try h.workflows(every4)
        #expect(workflows.count == fires.count)
        #expect(Set(workflows.map(\.name)).count == workflows.count)
        #expect(Set(workflows.map(\.name)) == Set(fires.map(\.workflow)))

        // The 3 s deadline is absolute: 3 fires (0, 1, 2 s), then EXPIRED at 3 s, restart or not
        // (Pegasus restarts the timeout from zero on every restart).
        try await h.until(timeout: 10, "the short trigger to expire") {
            try await h.trigger("short")["state"] as? String == "EXPIRED"
        }
        let shortAfter = try await h.trigger("short")
        #expect(shortAfter["deadline"] as? Double == shortBefore["deadline"] as? Double)
        #expect(shortAfter["reason"] as? String == "timeout reached")
        #expect(shortAfter["next_fire"] is NSNull)
        let shortFires = try h.fires(short)
        #expect(shortFires.map { ($0.tick - shortCreated).rounded() } == [0, 1, 2], "\(shortFires)")
        #expect((shortAfter["updated"] as? Double ?? 0) >= shortCreated + 3)
        #expect((shortAfter["updated"] as? Double ?? 0) < shortCreated + 3.2, "expired late: \(shortAfter)")
        #expect(try h.workflowCount(short) == 3)
    }

    @Test("A trigger whose deadline passed while the server was down is EXPIRED at restart and stays in history")
    func expiredWhileDown() async throws {
        let h = try await TriggerHarness()
        let id = try await h.create("cron", "brief", ["interval": "1s", "timeout": "2s"])
        let before = try await h.trigger("brief")
        let created = try #require(before["created"] as? Double)
        try await h.until("the creation fire") { try h.fires(id).count >= 1 }
        try await sleep(until: created + 0.5)
        let killing = now()
        try await h.crashServer()
        let killed = now()
        try #require(killing < created + 1.9, "the kill came too late (\(killing - created) s) to test anything")
        try await sleep(until: created + 2.5)
        try await h.startServer()
        try await h.until(timeout: 5, "the trigger to expire") {
            try await h.trigger("brief")["state"] as? String == "EXPIRED"
        }
        let after = try await h.trigger("brief")
        #expect(after["deadline"] as? Double == before["deadline"] as? Double)
        // Nothing fires after the deadline, not even the tick missed while the server was down (the one at 1 s
        // fired only if the kill came after it).
        let fired = try h.fires(id)
        // The SIGKILL went out between `killing` and `killed`.
        let expected = killing > created + 1.05 ? [2] : killed < created + 1 ? [1] : [1, 2]
        #expect(expected.contains(fired.count), "killed at +\(killing - created)...\(killed - created) s: \(fired)")
        #expect(fired.allSatisfy { $0.time < killed })
        #expect(after["fire_count"] as? Int == fired.count)
        #expect(try h.workflowCount(id) == fired.count)
        let listed = try await h.triggers().first { $0["name"] as? String == "brief" }
        #expect(listed?["state"] as? String == "EXPIRED")
        // Still expired, still listed, after one more restart.
        try await h.stopServer()
        try await h.startServer()
        #expect(try await h.trigger("brief")["state"] as? String == "EXPIRED")
        #expect(try h.fires(id).count == fired.count)
    }

    @Test(
        "20 triggers at 1 s stopped one by one: nothing is submitted after any 202", .timeLimit(.minutes(1)))
    func stopTwentyTriggers() async throws {
        let h = try await TriggerHarness()
        var ids: [String: Int64] = [:]
        for i in 0..<20 {
            let name = String(format: "s%02d", i)
            ids[name] = try await h.create("cron", name, ["interval": "1s"])
        }
        try await Task.sleep(for: .milliseconds(2300))
        var answered: [String: Double] = [:]
        var slowest = 0.0
        for name in ids.keys.sorted() {
            let sent = now()
            let (status, at) = try await h.stop(name)
            #expect(status == 202)
            answered[name] = at
            slowest = max(slowest, at - sent)
            try await Task.sleep(for: .milliseconds(Int64.random(in: 0...150)))
        }
        #expect(slowest < 2.0, "the slowest DELETE took \(slowest) s")
        try await Task.sleep(for: .milliseconds(1500))
        for (name, id) in ids {
            let workflows = try h.workflows(id)
            let late = workflows.filter { $0.created > answered[name]! }
            #expect(late.isEmpty, "\(name): \(late.map(\.name)) created after its 202")
            #expect(workflows.count >= 3, "\(name) fired \(workflows.count) times in 2.3 s")
            let detail = try await h.trigger(name)
            #expect(detail["state"] as? String == "STOPPED")
            #expect(detail["reason"] as? String == "stopped by the user")
            #expect(detail["next_fire"] is NSNull)
            #expect(detail["fire_count"] as? Int == workflows.count)
        }

        // A trigger stopped right after creation, and stopped twice: no crash, no submission after the answer.
        let quick = try await h.create("cron", "quick", ["interval": "1s"])
        let (status, at) = try await h.stop("quick")
        #expect(status == 202)
        #expect(try await h.stop("quick").status == 202)
        #expect(try await h.stop("nosuch").status == 404)
        try await Task.sleep(for: .milliseconds(1200))
        #expect(try h.workflows(quick).allSatisfy { $0.created <= at })
        #expect(try h.workflowCount(quick) <= 1)
        // Stopped triggers stay stopped across a restart.
        try await h.crashServer()
        try await h.startServer()
        try await Task.sleep(for: .milliseconds(1200))
        for (name, id) in ids {
            #expect(try h.workflows(id).allSatisfy { $0.created <= answered[name]! })
        }
        #expect(try await h.triggers().allSatisfy { $0["state"] as? String == "STOPPED" })
    }

    @Test(
        "Catch-up after downtime: none skips the missed ticks, one fires the newest, all fires each",
        .timeLimit(.minutes(1)))
    func catchupPolicies() async throws {
        let h = try await TriggerHarness()
        var ids: [String: Int64] = [:]
        var created: [String: Double] = [:]
        for policy in ["none", "one", "all"] {
            ids[policy] = try await h.create("cron", "c_\(policy)", ["interval": "2s", "catchup": policy])
            created[policy] = try #require(try await h.trigger("c_\(policy)")["created"] as? Double)
        }
        // Every policy fires at creation.
        for (policy, id) in ids {
            try await h.until("the creation fire of \(policy)") { try h.fires(id).count >= 1 }
            let first = try h.fires(id)[0]
            #expect(abs(first.tick - created[policy]!) < 0.001)
            #expect(first.lateness < 1.0, "\(policy): creation → first submission \(first.lateness) s")
        }
        // Down from about 0.5 s to 5.5 s: the ticks at 2 s and 4 s are missed (4 s by 1.5 s, more than the 1 s a
        // `none` tick may be late). The checks below use the measured times.
        let t0 = created.values.max()!
        try await sleep(until: t0 + 0.5)
        let killing = now()
        try await h.crashServer()
        let down = now()
        try await sleep(until: t0 + 5.5)
        let restarting = now()
        try await h.startServer()
        let up = now()
        try await sleep(until: up + 2.3)
        let end = now()
        for (policy, id) in ids {
            let c = created[policy]!
            let fires = try h.fires(id)
            let fired = Set(fires.map { Int(($0.tick - c).rounded()) })
            let ticks = stride(from: 0, through: Int(end - c), by: 2)
            // Ticks before the kill and after the restart fire on time, whatever the policy.
            for k in ticks where c + Double(k) < killing - 0.05 || (c + Double(k) > up && c + Double(k) < end - 0.2) {
                #expect(fired.contains(k), "\(policy): tick \(k) did not fire: \(fires)")
            }
            for fire in fires where fire.tick > up {
                #expect(fire.lateness >= 0 && fire.lateness < 1.0, "\(policy): late after the restart: \(fire)")
            }
            // The ticks that came due while the server was down.
            let missed = ticks.filter { c + Double($0) > down && c + Double($0) < restarting }
            try #require(missed.count >= 2, "\(policy): down \(down - c)...\(restarting - c) s missed only \(missed)")
            // Ticks between the start of the restart and the moment it listened may or may not have been due
            // when the restored trigger first evaluated its schedule.
            let dueAtRestore = ticks.filter { c + Double($0) > down && c + Double($0) < up }
            let caughtUp = dueAtRestore.filter(fired.contains)
            switch policy {
            case "none":
                // Only a tick that is at most interval/2 = 1 s late when the restarted server evaluates it.
                #expect(caughtUp.allSatisfy { c + Double($0) > restarting - 1 }, "none: \(fires)")
                #expect(caughtUp.count <= 1)
            case "one":
                // One submission for all of them: the newest tick due at the restore.
                #expect(caughtUp.count == 1, "one: \(fires)")
                #expect(caughtUp.allSatisfy { $0 >= missed.last! }, "one: \(fires)")
            default:
                #expect(missed.allSatisfy(fired.contains), "all: \(fires)")
            }
            for fire in fires where dueAtRestore.contains(Int((fire.tick - c).rounded())) {
                // Caught-up ticks fire right after the restart.
                #expect(fire.time >= restarting && fire.time < up + 0.5, "\(policy): \(fire)")
            }
            let workflows = try h.workflows(id)
            #expect(workflows.count == fires.count)
            #expect(Set(workflows.map(\.name)).count == workflows.count)
        }
    }
}
