import EMTestSupport
import Foundation
import Testing

/// The history cost of a file trigger (issue 15): a restart settles the files the ledger already holds without
/// inspecting them, and the retention prune deletes the rows of files that are gone, never those of files still
/// there (so a present file is not submitted again).
@Suite("Ledger retention and the start scan, end to end", .enabled(if: serverBuilt))
struct LedgerRetentionTests {
    @Test(
        "Rows of deleted files are pruned after the retention; present files keep theirs and are not resubmitted",
        .timeLimit(.minutes(1)))
    func pruneKeepsPresentFiles() async throws {
        let h = try await TriggerHarness(settings: ["TRIGGER_LEDGER_RETENTION": "2"])
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let files = try h.writeFiles(dir, prefix: "f", count: 4)
        let id = try await h.fileTrigger("inbox", patterns: [dir + "/*.dat"], mode: "inotify")
        try await h.untilSubmitted(id, files)
        let workflows = try h.workflowCount(id)
        try FileManager.default.removeItem(atPath: files[0])
        try FileManager.default.removeItem(atPath: files[1])
        // The two deleted files' rows go once they are older than 2 s; the present files' rows stay.
        try await h.until(timeout: 20, "the deleted files' rows to be pruned") {
            try Set(h.ledger(id).map(\.path)) == Set(files[2...])
        }
        let pruned = try await h.history("inbox").filter { $0["event"] as? String == "ledger-pruned" }
        #expect(pruned.map { $0["count"] as? Int } == [2], "\(pruned)")

        // A restart: the start scan finds the two present files in the ledger and settles them uninspected.
        try await h.stopServer()
        try await h.startServer()
        try await h.until(timeout: 20, "the start scan") {
            let watch = try await h.trigger("inbox")["watch"] as? [String: Any]
            return (watch?["last_scan"] as? [String: Any])?["files"] as? Int == 2
        }
        let watch = try #require(try await h.trigger("inbox")["watch"] as? [String: Any])
        let scan = try #require(watch["last_scan"] as? [String: Any])
        #expect(scan["recorded"] as? Int == 2 || (scan["count"] as? Int ?? 0) > 1, "\(scan)")
        #expect(watch["pending_files"] as? Int == 0, "\(watch)")
        // Further prunes keep them too, and nothing is submitted again.
        try await Task.sleep(for: .seconds(3))
        #expect(try Set(h.ledger(id).map(\.path)) == Set(files[2...]))
        #expect(try h.workflowCount(id) == workflows)
        #expect(try h.inputCounts(id) == Dictionary(uniqueKeysWithValues: files.map { ($0, 1) }))
    }
}
