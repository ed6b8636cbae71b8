import EMTestSupport
import Foundation
import Testing

/// A submission that fails in a real server (fault injected into its store: an SQLite trigger that aborts the
/// insertion of the trigger's workflows) is retried with backoff, shows as the trigger's reason while the trigger
/// stays RUNNING, loses no file, and stops failing once the fault is gone.
@Suite("Failed submissions, end to end", .enabled(if: serverBuilt))
struct SubmissionFailureTests {
    /// N of a reason "submission failed (N in a row): ...", 0 for another reason.
    static func failures(in reason: String?) -> Int {
        guard let reason, let match = reason.firstMatch(of: /^submission failed \((\d+) in a row\)/) else { return 0 }
        return Int(match.1) ?? 0
    }

    @Test(
        "A failing submission is retried with backoff and shown as the reason; nothing is lost", .timeLimit(.minutes(3))
    )
    func retriedWithBackoff() async throws {
        let h = try await TriggerHarness()
        try h.write(
            """
            CREATE TRIGGER inject_failure BEFORE INSERT ON workflow WHEN NEW.name LIKE 'flaky%'
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END
            """)
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        try FileWriter.write(dir + "/a.txt")
        let cron = try await h.create("cron", "flaky", ["interval": "1s"])
        let files = try await h.fileTrigger("flakyfiles", patterns: [dir + "/*.txt"], mode: "inotify")
        try FileWriter.write(dir + "/b.txt")

        // Failing: RUNNING, no submission, the reason says what failed and when it is retried; the count grows
        // as the retries back off (1 s, 2 s, ...).
        for name in ["flaky", "flakyfiles"] {
            try await h.until(timeout: 10, "\(name) to report its second failure") {
                Self.failures(in: try await h.trigger(name)["reason"] as? String) >= 2
            }
            let t = try await h.trigger(name)
            let reason = t["reason"] as? String ?? ""
            let failures = Self.failures(in: reason)
            #expect(t["state"] as? String == "RUNNING")
            #expect(t["fire_count"] as? Int == 0)
            #expect(reason.hasPrefix("submission failed (\(failures) in a row): "), "\(reason)")
            #expect(reason.contains("injected failure"), "\(reason)")
            // 1 s, 2 s, 4 s, ... after the 1st, 2nd, 3rd failure.
            #expect(reason.hasSuffix("; retrying in \(1 << (failures - 1)) s"), "\(reason)")
        }
        #expect(try h.workflowCount(cron) == 0)
        #expect(try h.ledgerCount(files) == 0)

        try h.write("DROP TRIGGER inject_failure")
        try FileWriter.write(dir + "/c.txt")
        for name in ["flaky", "flakyfiles"] {
            // Its next retry may be a backoff of 16 s or more away when the machine is loaded (the count kept
            // growing while the other trigger was awaited).
            try await h.until(timeout: 40, "\(name) to recover") {
                let t = try await h.trigger(name)
                return (t["fire_count"] as? Int ?? 0) >= 1 && t["reason"] is NSNull
            }
            #expect(try await h.trigger(name)["state"] as? String == "RUNNING")
        }
        // The cron trigger fired the newest missed tick (catch-up one), once.
        let fires = try h.fires(cron)
        #expect(!fires.isEmpty)
        #expect(Set(fires.map(\.tick)).count == fires.count)
        // Every file submitted once, none lost while submissions failed.
        try await h.untilSubmitted(files, [dir + "/a.txt", dir + "/b.txt", dir + "/c.txt"])
        let counts = try h.inputCounts(files)
        #expect(counts == [dir + "/a.txt": 1, dir + "/b.txt": 1, dir + "/c.txt": 1])
    }
}
