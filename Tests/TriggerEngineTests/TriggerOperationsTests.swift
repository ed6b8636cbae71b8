import EMTestSupport
import Foundation
import Testing

/// The operator's verbs on a file trigger that runs for months (issue 14), against the built server: pause and
/// resume across a SIGKILL, update in place, re-creation by name, `skip_existing`.
@Suite("Trigger operations, end to end", .enabled(if: serverBuilt))
struct TriggerOperationsTests {
    @Test(
        "Paused, 50 files arrive, SIGKILL and restart while paused, resumed: each file in exactly one workflow",
        .timeLimit(.minutes(2)))
    func pauseKillRestartResume() async throws {
        let h = try await TriggerHarness()
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let id = try await h.fileTrigger("inbox", patterns: [dir + "/*.dat"], mode: "inotify", ["max_files": 20])
        let first = try h.writeFiles(dir, prefix: "before-", count: 3)
        try await h.untilSubmitted(id, first)

        let paused = try await h.verb("pause", "inbox")
        #expect(paused.status == 200)
        #expect(paused.json["message"] as? String == "ensemble: e, trigger: inbox paused")
        #expect(
            try await h.verb("pause", "inbox").json["message"] as? String
                == "ensemble: e, trigger: inbox is already paused")
        let detail = try await h.trigger("inbox")
        #expect(detail["state"] as? String == "PAUSED")
        #expect((detail["reason"] as? String)?.hasPrefix("paused by ") == true)
        let submittedBefore = try h.workflowCount(id)

        let files = try h.writeFiles(dir, prefix: "while-paused-", count: 50)
        try await Task.sleep(for: .seconds(2))
        #expect(try h.workflowCount(id) == submittedBefore, "a paused trigger submitted")

        try await h.crashServer()
        try await h.startServer()
        #expect(try await h.trigger("inbox")["state"] as? String == "PAUSED")
        try await Task.sleep(for: .seconds(2))
        #expect(try h.workflowCount(id) == submittedBefore, "a paused trigger submitted after a restart")

        let resumed = try await h.verb("resume", "inbox")
        #expect(resumed.status == 200)
        #expect(resumed.json["message"] as? String == "ensemble: e, trigger: inbox resumed")
        try await h.untilSubmitted(id, files)
        try await Task.sleep(for: .seconds(1.5))
        let counts = try h.inputCounts(id)
        #expect(counts.count == 53)
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts.filter { $0.value != 1 })")
        #expect(try await h.trigger("inbox")["state"] as? String == "RUNNING")
        #expect(try await h.events("inbox") == ["created", "paused", "resumed"])
        #expect(try await h.history("inbox").first?["user"] as? String == NSUserName())
    }

    @Test("Updating interval, args and patterns of a running file trigger keeps its ledger", .timeLimit(.minutes(1)))
    func updateKeepsLedger() async throws {
        let h = try await TriggerHarness()
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let id = try await h.fileTrigger("inbox", patterns: [dir + "/*.dat"], mode: "inotify")
        let old = try h.writeFiles(dir, prefix: "old-", count: 5)
        try await h.untilSubmitted(id, old)
        let workflowsBefore = try h.workflowCount(id)

        let csv = dir + "/new.csv"
        try FileWriter.write(csv)
        let r = try await h.update(
            "inbox",
            [
                "interval": "2s", "workflow_args": ["--sites", "condorpool"],
                "file_patterns": [dir + "/*.dat", dir + "/*.csv"],
            ])
        #expect(r.status == 200, "\(r.json)")
        let changes = r.json["changes"] as? [String] ?? []
        #expect(changes.count == 3, "\(changes)")
        #expect(changes.contains("interval 1s -> 2s"))
        try await h.untilSubmitted(id, [csv])
        try await Task.sleep(for: .seconds(2.5))
        // Only the new file went into a new workflow, with the new arguments.
        #expect(try h.workflowCount(id) == workflowsBefore + 1)
        #expect(try h.inputCounts(id).values.allSatisfy { $0 == 1 })
        let last = try #require(try h.workflows(id).last)
        #expect(last.argv.dropFirst().prefix(3) == ["--sites", "condorpool", "--inputs"])
        #expect(last.inputs == [csv])

        let detail = try await h.trigger("inbox")
        #expect(detail["id"] as? Int == Int(id))
        #expect((detail["args"] as? [String: Any])?["interval"] as? Int == 2)
        let updated = try #require(try await h.history("inbox").first)
        #expect(updated["event"] as? String == "updated")
        #expect((updated["detail"] as? String)?.contains("workflow_args") == true)

        // Invalid values: the creation messages, and nothing changes.
        for (fields, message) in [
            (["interval": "0s"], "interval must be given as"),
            (["file_patterns": ["relative/*.dat"]], "absolute"),
            (["overlap": "sometimes"], "overlap must be allow, skip or buffer-one: sometimes"),
            (["pause_after_failures": "-1"], "pause_after_failures must be an integer >= 1: -1"),
            (["catchup": "x"], "catchup must be none, one or all: x"),
        ] as [([String: Any], String)] {
            let bad = try await h.update("inbox", fields)
            #expect(bad.status == 400)
            #expect((bad.json["message"] as? String)?.contains(message) == true, "\(bad.json)")
        }
        #expect(try await h.update("inbox", [:]).status == 400)
        #expect((try await h.trigger("inbox")["args"] as? [String: Any])?["interval"] as? Int == 2)
        #expect(try await h.events("inbox") == ["created", "updated"])
    }

    @Test(
        "Stop and re-create by name with 200 files submitted: 0 resubmitted; resubmit_all takes them all again",
        .timeLimit(.minutes(1)))
    func recreateByName() async throws {
        let h = try await TriggerHarness()
        let dir = h.path("in")
        let files = try h.writeFiles(dir, prefix: "f", count: 200)
        let firstID = try await h.fileTrigger("inbox", patterns: [dir + "/*.dat"], mode: "inotify")
        try await h.untilSubmitted(firstID, files)
        #expect(try await h.stop("inbox").status == 202)

        let secondID = try await h.fileTrigger("inbox", patterns: [dir + "/*.dat"], mode: "inotify")
        #expect(secondID != firstID)
        try await Task.sleep(for: .seconds(2.5))
        #expect(try h.workflowCount(secondID) == 0, "the re-created trigger resubmitted its predecessor's files")
        let fresh = dir + "/fresh.dat"
        try FileWriter.write(fresh)
        try await h.untilSubmitted(secondID, [fresh])
        #expect(try h.inputCounts(secondID) == [fresh: 1])
        #expect(try await h.trigger("inbox")["history"] as? [[String: Any]] != nil)
        #expect((try await h.history("inbox").last?["detail"] as? String)?.contains("shares the ledger") == true)

        // A third generation still knows what the first one submitted; resubmit_all starts a ledger of its own.
        #expect(try await h.stop("inbox").status == 202)
        let thirdID = try await h.fileTrigger(
            "inbox", patterns: [dir + "/*.dat"], mode: "inotify", ["resubmit_all": true])
        try await h.untilSubmitted(thirdID, files + [fresh])
        #expect(try h.inputCounts(thirdID).count == 201)
        #expect(try h.inputCounts(thirdID).values.allSatisfy { $0 == 1 })
    }

    @Test("skip_existing: the files present at creation are never submitted, later ones are", .timeLimit(.minutes(1)))
    func skipExisting() async throws {
        let h = try await TriggerHarness()
        let dir = h.path("in")
        let existing = try h.writeFiles(dir, prefix: "old-", count: 10)
        let id = try await h.fileTrigger(
            "inbox", patterns: [dir + "/*.dat"], mode: "inotify", ["skip_existing": true])
        try await Task.sleep(for: .seconds(2.5))
        #expect(try h.workflowCount(id) == 0)
        let fresh = try h.writeFiles(dir, prefix: "new-", count: 2)
        try await h.untilSubmitted(id, fresh)
        try await Task.sleep(for: .seconds(1.5))
        let counts = try h.inputCounts(id)
        #expect(Set(counts.keys) == Set(fresh))
        #expect(existing.allSatisfy { counts[$0] == nil })
        // The skipped files are in the ledger without a workflow, and not listed as submissions.
        #expect(try h.ledger(id).filter { $0.workflow.isEmpty }.count == 10)
        let submissions = try await h.trigger("inbox")["submissions"] as? [[String: Any]] ?? []
        #expect(submissions.allSatisfy { ($0["workflow"] as? String)?.isEmpty == false })
        #expect((try await h.history("inbox").last?["detail"] as? String) == "10 existing files skipped")
    }

    @Test(
        "A paused time trigger applies its catch-up policy on resume: one fires once, all fires each missed tick",
        .timeLimit(.minutes(1)), arguments: [("one", [10.0]), ("all", [5.0, 10.0])])
    func catchupOnResume(policy: String, madeUp: [Double]) async throws {
        let h = try await TriggerHarness()
        let id = try await h.create("cron", "every5s", ["interval": "5s", "catchup": policy])
        try await h.until("the creation tick") { try h.workflowCount(id) == 1 }
        try await h.verb("pause", "every5s")
        let created = try #require(try await h.trigger("every5s")["created"] as? Double)
        // Paused across the ticks at +5 s and +10 s; resumed 2.5 s before the one at +15 s.
        try await sleep(until: created + 12.5)
        #expect(try h.workflowCount(id) == 1)
        #expect(try await h.verb("resume", "every5s").status == 200)
        try await h.until(timeout: 2, "the made-up ticks") { try h.workflowCount(id) == 1 + madeUp.count }
        let ticks = try h.fires(id).prefix(1 + madeUp.count).map { ($0.tick - created).rounded() }
        #expect(ticks == [0] + madeUp)
    }

    @Test("The timeout keeps running while paused: a paused trigger expires at its deadline", .timeLimit(.minutes(1)))
    func pausedTriggerExpires() async throws {
        let h = try await TriggerHarness()
        try await h.create("cron", "short", ["interval": "1h", "timeout": "6s"])
        try await h.verb("pause", "short")
        try await h.until(timeout: 10, "the deadline") { try await h.trigger("short")["state"] as? String == "EXPIRED" }
        #expect(try await h.events("short") == ["created", "paused", "expired"])
        #expect(try await h.verb("resume", "short").status == 409)
    }

    @Test("Racing pauses, resumes and updates end with the runner the store says", .timeLimit(.minutes(1)))
    func racingVerbs() async throws {
        let h = try await TriggerHarness()
        let id = try await h.create("cron", "raced", ["interval": "1h"])
        try await h.until("the creation tick") { try h.workflowCount(id) == 1 }
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<20 {
                group.addTask {
                    switch n % 3 {
                    case 0: _ = try? await h.verb("pause", "raced")
                    case 1: _ = try? await h.verb("resume", "raced")
                    default: _ = try? await h.update("raced", ["priority": "\(n)"])
                    }
                }
            }
        }
        // Whatever order they took, the last word is the store's: resumed, the trigger fires; paused, it refuses.
        #expect(try await h.verb("resume", "raced").status == 200)
        let fired = try await h.verb("fire", "raced")
        #expect((fired.json["workflows"] as? [String])?.count == 1, "\(fired.json)")
        #expect(try await h.verb("pause", "raced").status == 200)
        #expect(try await h.verb("fire", "raced").status == 409)
        // A stop racing a resume: the trigger stays stopped and nothing runs it.
        async let stopped = h.stop("raced")
        async let resumed = h.verb("resume", "raced")
        _ = try await (stopped, resumed)
        #expect(try await h.trigger("raced")["state"] as? String == "STOPPED")
        #expect(try await h.verb("fire", "raced").status == 409)
    }
}
