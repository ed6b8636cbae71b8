import EMTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The two watch modes every file test runs in: inotify, and polling (as on NFS/Lustre/GPFS, forced here).
let watchModes = ["inotify", "poll"]

/// File-pattern triggers in a real server with real inotify (or polling) and a real store: partially written
/// files, a 40,000-file burst (issue 7).
@Suite("File triggers, end to end", .enabled(if: serverBuilt))
struct FileTriggerTests {
    @Test(
        "A file written over 5 s: kept open, taken once after its close; reopened per append, once after last write + settle",
        .timeLimit(.minutes(1)), arguments: watchModes)
    func partialFiles(mode: String) async throws {
        // Reconcile scans every second, so the open files are also found by scans while they grow.
        let h = try await TriggerHarness(settings: ["RECONCILE_INTERVAL": "1"])
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let keptID = try await h.fileTrigger("kept", patterns: [dir + "/kept-*.dat"], mode: mode)
        // A writer that closes the file between appends is what `settle` is for.
        let reopenedID = try await h.fileTrigger(
            "reopened", patterns: [dir + "/reopened-*.dat"], mode: mode, ["settle": "1s"])
        let kept = dir + "/kept-open.dat"
        let reopened = dir + "/reopened-each.dat"
        async let keptLast = onThread { try FileWriter.slowWrite(kept, duration: 5, every: 0.1, keepOpen: true) }
        async let reopenedLast = onThread {
            try FileWriter.slowWrite(reopened, duration: 5, every: 0.1, keepOpen: false)
        }
        let lastWrites = [kept: try await keptLast, reopened: try await reopenedLast]
        try await h.untilSubmitted(keptID, [kept], timeout: 20)
        try await h.untilSubmitted(reopenedID, [reopened], timeout: 20)
        try await Task.sleep(for: .milliseconds(1500))
        for (id, path, settle) in [(keptID, kept, 0.0), (reopenedID, reopened, 1.0)] {
            let ledger = try h.ledger(id)
            #expect(ledger.map(\.path) == [path])
            let row = try #require(ledger.first)
            let final = try #require(FileWriter.identity(row.path))
            // The whole file, as it was after the last write.
            #expect(row.size == final.size)
            #expect(row.size > 40 * 4096, "\(row.path): \(row.size) bytes")
            #expect(row.mtimeNanoseconds == final.mtimeNanoseconds)
            // Not before the last write (+ the settle period where one is set).
            let lastWrite = lastWrites[row.path]!
            #expect(
                row.recorded >= lastWrite + settle - 0.01,
                "\(row.path) recorded \(row.recorded - lastWrite) s after its last write")
            #expect(row.recorded >= Double(final.mtimeNanoseconds) / 1e9 + settle - 0.01)
            #expect(try h.inputCounts(id) == [path: 1])
        }
    }

    @Test("The list shows a quiet file trigger's live next fire, as the detail does", .timeLimit(.minutes(1)))
    func quietTriggerNextFireInList() async throws {
        let h = try await TriggerHarness()
        let dir = h.path("quiet")
        try FileWriter.mkdirs(dir)
        try await h.fileTrigger("quiet", patterns: [dir + "/*.dat"], mode: "inotify")
        try await Task.sleep(for: .milliseconds(3500))  // three quiet ticks, none of them stored
        let now = Date().timeIntervalSince1970
        let listed = try #require(try await h.triggers().first { $0["name"] as? String == "quiet" })
        let next = try #require(listed["next_fire"] as? Double)
        #expect(next > now - 0.5 && next < now + 2, "next_fire \(next - now) s from now")
    }

    @Test("40,000 files in one burst are each submitted exactly once", .timeLimit(.minutes(3)), arguments: watchModes)
    func burst(mode: String) async throws {
        let h = try await TriggerHarness()
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let id = try await h.fileTrigger("burst", patterns: [dir + "/*.dat"], mode: mode)
        try await h.until("the root to be watched") {
            let roots = (try await h.trigger("burst")["watch"] as? [String: Any])?["roots"] as? [[String: Any]]
            return roots?.first?["state"] as? String == "active"
        }
        let count = 40_000
        let paths = (0..<count).map { String(format: "%@/f%05d.dat", dir, $0) }
        let started = now()
        try await onThread { for path in paths { try FileWriter.write(path, "x\n") } }
        let written = now()
        try await h.until(timeout: 120, "all \(count) files in the ledger") { try h.ledgerCount(id) >= count }
        let recorded = now()
        try await Task.sleep(for: .milliseconds(2500))
        let (ledger, workflows) = try await onThread { (try h.ledger(id), try h.workflows(id)) }
        #expect(ledger.count == count)
        #expect(Set(ledger.map(\.path)) == Set(paths))
        var seen = Set<String>()
        var duplicates = 0
        for w in workflows {
            #expect(w.inputs.count <= 1000)
            for path in w.inputs where !seen.insert(path).inserted { duplicates += 1 }
        }
        #expect(duplicates == 0)
        #expect(seen == Set(paths))
        #expect(workflows.count >= count / 1000)
        #expect(Set(workflows.map(\.name)).count == workflows.count)
        // The 40,000 files go on a thread of their own, not in the harness' deinit on the cooperative pool.
        try await onThread { try? FileManager.default.removeItem(atPath: dir) }
        print(
            "burst (\(mode)): \(count) files written in \(String(format: "%.2f", written - started)) s, all recorded "
                + "\(String(format: "%.2f", recorded - written)) s later in \(workflows.count) workflows")
    }
}
