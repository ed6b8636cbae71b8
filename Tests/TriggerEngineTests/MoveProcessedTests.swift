import EMTestSupport
import Foundation
import Testing

/// `move_processed`: Pegasus' `processed/` behaviour, but collision-safe and done only after the workflow is
/// recorded (issue 7).
@Suite("Move into processed/", .enabled(if: serverBuilt))
struct MoveProcessedTests {
    @Test(
        "submitted files move into processed/, the workflow gets the moved paths, a re-used name never overwrites",
        .timeLimit(.minutes(1)))
    func movesAreCollisionSafe() async throws {
        let h = try await TriggerHarness()
        let d = h.path("in")
        try FileWriter.mkdirs(d)
        try FileWriter.write(d + "/a.txt", "first\n")
        let id = try await h.fileTrigger(
            "mv", patterns: [d + "/*.txt"], mode: "inotify", ["move_processed": true, "settle": "1s"])
        try await h.untilSubmitted(id, [d + "/a.txt"])
        try await h.until("a.txt to be moved") { FileManager.default.fileExists(atPath: d + "/processed/a.txt") }
        #expect(!FileManager.default.fileExists(atPath: d + "/a.txt"))
        #expect(try h.workflows(id).first?.inputs == [d + "/processed/a.txt"])

        // The same name again: a new file, moved beside the first one, which keeps its content.
        try FileWriter.write(d + "/a.txt", "second\n")
        try await h.until("the second a.txt to be submitted") { try h.workflowCount(id) == 2 }
        try await h.until("the second a.txt to be moved") {
            FileManager.default.fileExists(atPath: d + "/processed/a.txt.1")
        }
        #expect(try String(contentsOfFile: d + "/processed/a.txt", encoding: .utf8) == "first\n")
        #expect(try String(contentsOfFile: d + "/processed/a.txt.1", encoding: .utf8) == "second\n")
        #expect(try h.workflows(id).last?.inputs == [d + "/processed/a.txt.1"])
        // processed/ is never matched: nothing is submitted twice.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try h.workflowCount(id) == 2)
    }
}
