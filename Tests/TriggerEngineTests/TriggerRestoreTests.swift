import EMTestSupport
import Foundation
import GRDB
import Testing

/// A stored trigger whose definition no longer builds is marked FAILED at the next start, with the reason in its
/// row, its history, the log, the REST API and the CLI; the other triggers run on.
@Suite("Trigger restore, end to end", .enabled(if: serverBuilt))
struct TriggerRestoreTests {
    @Test("A trigger whose stored definition cannot be restored fails with the reason", .timeLimit(.minutes(1)))
    func unrestorableTriggerFails() async throws {
        let h = try await TriggerHarness()
        let broken = try await h.create("cron", "nightly", ["cron": "0 3 * * *"])
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        try await h.fileTrigger("inbox", patterns: [dir + "/*.dat"], mode: "inotify")
        try await h.stopServer()

        // Between two runs the definition is edited into one that no longer builds (minute 61).
        try h.write(
            "UPDATE trigger SET definition = json_set(definition, '$.cron', '61 3 * * *') WHERE id = \(broken)")
        try await h.startServer()

        // The restore runs beside the HTTP server's start: wait for it rather than race it.
        try await h.until(timeout: 20, "the restore to mark nightly FAILED") {
            try await h.trigger("nightly")["state"] as? String == "FAILED"
        }
        let detail = try await h.trigger("nightly")
        #expect(detail["state"] as? String == "FAILED")
        let reason = try #require(detail["reason"] as? String)
        #expect(reason.hasPrefix("cannot restore at start: "), "\(reason)")
        #expect(reason.contains("61"), "the reason names what is wrong: \(reason)")
        #expect(try await h.events("nightly") == ["created", "failed"])
        #expect(
            h.server.log.contains("trigger marked FAILED: its stored definition cannot be restored"), "\(h.server.log)")
        let stored = try h.read { db in
            try String.fetchOne(db, sql: "SELECT state FROM trigger WHERE id = \(broken)")
        }
        #expect(stored == "FAILED")

        // The other trigger was restored and runs: a new file is submitted.
        #expect(try await h.trigger("inbox")["state"] as? String == "RUNNING")
        let inbox = try await h.id("inbox")
        let files = try h.writeFiles(dir, prefix: "after-", count: 1)
        try await h.untilSubmitted(inbox, files)

        // The CLI's list shows it failed.
        let environment = h.server.environment.merging(["EM_PORT": String(h.server.port)]) { $1 }
        let ensemble = h.ensemble
        let listed = try await onThread {
            try ProcessRunner.run(
                [Binaries.path("pegasus-em"), "triggers", ensemble], environment: environment, directory: "/")
        }
        #expect(listed.status == 0, "\(listed.stderr)")
        let line = listed.stdout.split(separator: "\n").first { $0.contains("nightly") }
        #expect(line?.contains("FAILED") == true, "\(listed.stdout)")
    }

    @Test(
        "A trigger row that cannot be read fails alone; the server starts and the others run", .timeLimit(.minutes(1)))
    func unreadableTriggerRowFailsAlone() async throws {
        let h = try await TriggerHarness()
        let broken = try await h.create("cron", "nightly", ["cron": "0 3 * * *"])
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let inbox = try await h.fileTrigger("inbox", patterns: [dir + "/*.dat"], mode: "inotify")
        try await h.stopServer()

        // The definition is no longer JSON: the row cannot be decoded at all (this stopped the whole server).
        try h.write("UPDATE trigger SET definition = '{not json' WHERE id = \(broken)")
        try await h.startServer()

        #expect(try await TestHTTP.send("GET", h.url + "/health").status == 200)
        try await h.until(timeout: 20, "the restore to mark the unreadable row FAILED") {
            try h.read { db in try String.fetchOne(db, sql: "SELECT state FROM trigger WHERE id = \(broken)") }
                == "FAILED"
        }
        let (state, reason) = try h.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT state, reason FROM trigger WHERE id = \(broken)")
            return (row?["state"] as String?, row?["reason"] as String?)
        }
        #expect(state == "FAILED")
        #expect(reason?.hasPrefix("cannot restore at start: ") == true, "\(reason ?? "nil")")
        let events = try h.read { db in
            try String.fetchAll(db, sql: "SELECT event FROM trigger_history WHERE trigger_id = \(broken) ORDER BY id")
        }
        #expect(events == ["created", "failed"])
        #expect(h.server.log.contains("trigger=e.nightly"), "the log names the trigger: \(h.server.log)")
        let files = try h.writeFiles(dir, prefix: "after-", count: 1)
        try await h.untilSubmitted(inbox, files)
    }
}
