import EMTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The server's one watch hub (issue 13): 1,000 file triggers on one inotify instance with a thread count that does
/// not grow with them, shared watches, and writers that hold a file open across a SIGKILL, a restart or an
/// overflow rescan: never submitted before they close, then exactly once.
@Suite("Watch hub and writer-aware readiness, end to end", .enabled(if: serverBuilt), .serialized)
struct WatchHubTests {
    /// The server's threads (entries of /proc/PID/task).
    static func threads(_ h: TriggerHarness) throws -> Int {
        let pid = try #require(h.server.process?.processIdentifier)
        return try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count
    }

    /// The `watch` object of a running file trigger.
    static func watch(_ h: TriggerHarness, _ name: String) async throws -> [String: Any] {
        try #require(try await h.trigger(name)["watch"] as? [String: Any])
    }

    @Test(
        "1,000 file triggers in one server: all on inotify, one hub, threads bounded; shared watches",
        .timeLimit(.minutes(3)))
    func thousandTriggers() async throws {
        let h = try await TriggerHarness()
        let base = h.path("many")
        let count = 1000
        try await onThread { for i in 0..<count { try FileWriter.mkdirs(base + String(format: "/d%04d", i)) } }
        for i in 0..<10 {
            try await h.fileTrigger(
                String(format: "t%04d", i), patterns: [base + String(format: "/d%04d/*.dat", i)], mode: "auto")
        }
        try await Task.sleep(for: .milliseconds(500))
        let threadsAt10 = try Self.threads(h)
        for i in 10..<count {
            try await h.fileTrigger(
                String(format: "t%04d", i), patterns: [base + String(format: "/d%04d/*.dat", i)], mode: "auto")
        }
        // A second trigger on the directory of t0000 shares its watch.
        let shared = try await h.fileTrigger("shared", patterns: [base + "/d0000/*.dat"], mode: "auto")
        try await h.until(timeout: 60, "1,000 directories watched by the hub") {
            let hub = try await Self.watch(h, "t0999")["hub"] as? [String: Any]
            return hub?["watches"] as? Int == count && hub?["subscriptions"] as? Int == count + 1
        }
        let hub = try #require(try await Self.watch(h, "t0500")["hub"] as? [String: Any])
        #expect(hub["inotify"] as? Bool == true)
        #expect(hub["polled_roots"] as? Int == 0)
        for name in ["t0000", "t0500", "t0999", "shared"] {
            let roots = try #require(try await Self.watch(h, name)["roots"] as? [[String: Any]])
            #expect(roots.map { $0["mode"] as? String } == ["inotify"], "\(name): \(roots)")
        }
        let threadsAt1000 = try Self.threads(h)
        // One hub thread and one I/O thread whatever the number of triggers (the old design had one per trigger).
        #expect(
            threadsAt1000 <= threadsAt10 + 3, "threads: \(threadsAt10) with 10 triggers, \(threadsAt1000) with 1,000")
        #expect(threadsAt1000 <= 24, "threads: \(threadsAt1000)")

        // Each file reaches its own trigger; the shared directory's file reaches both of its triggers.
        let files = [0, 500, 999].map { base + String(format: "/d%04d/x.dat", $0) }
        for path in files { try FileWriter.write(path) }
        for (index, path) in zip([0, 500, 999], files) {
            try await h.untilSubmitted(try await h.id(String(format: "t%04d", index)), [path])
        }
        try await h.untilSubmitted(shared, [files[0]])
        #expect(try h.ledger(try await h.id("t0500")).map(\.path) == [files[1]])

        // Stopping one of the two triggers of a shared directory keeps the other one working (and the watch).
        #expect(try await h.stop("t0000").status == 202)
        let later = base + "/d0000/later.dat"
        try FileWriter.write(later)
        try await h.untilSubmitted(shared, [later])
        let after = try #require(try await Self.watch(h, "shared")["hub"] as? [String: Any])
        #expect(after["watches"] as? Int == count)
        print("1,000 file triggers: \(threadsAt10) threads with 10, \(threadsAt1000) with 1,000; hub \(hub)")
        try await onThread { try? FileManager.default.removeItem(atPath: base) }
    }

    @Test(
        "A writer holding its file open across a SIGKILL and restart: not submitted until it closes, then once",
        .timeLimit(.minutes(1)), arguments: watchModes)
    func writerOpenAcrossRestart(mode: String) async throws {
        let h = try await TriggerHarness()
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let id = try await h.fileTrigger("held", patterns: [dir + "/*.dat"], mode: mode)
        let path = dir + "/held.dat"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        try FileWriter.writeAll(fd, String(repeating: "a", count: 4096), path)
        // Long enough for several ticks and, in poll mode, for the poller to see the file stable.
        try await Task.sleep(for: .milliseconds(5000))
        #expect(try h.ledgerCount(id) == 0, "submitted while open for writing")
        try await h.crashServer()
        try await Task.sleep(for: .milliseconds(1500))  // older than any settle period when the server is back
        try await h.startServer()
        try await Task.sleep(for: .milliseconds(3000))
        #expect(try h.ledgerCount(id) == 0, "submitted after the restart while open for writing")
        try FileWriter.writeAll(fd, String(repeating: "b", count: 4096), path)
        close(fd)
        try await h.untilSubmitted(id, [path], timeout: 15)
        try await Task.sleep(for: .milliseconds(2500))
        let ledger = try h.ledger(id)
        #expect(ledger.count == 1)
        #expect(ledger.first?.size == 8192)
        #expect(try h.inputCounts(id) == [path: 1])
        let watch = try await Self.watch(h, "held")
        let rule = (watch["roots"] as? [[String: Any]])?.first?["readiness"] as? String
        #expect(rule?.hasPrefix("writer check") == true, "\(rule ?? "nil")")
    }

    @Test(
        "A writer holding its file open through an inotify overflow rescan: not submitted until it closes, then once",
        .timeLimit(.minutes(2)))
    func writerOpenThroughOverflow() async throws {
        let h = try await TriggerHarness()
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let id = try await h.fileTrigger("overflow", patterns: [dir + "/*.dat"], mode: "inotify")
        let path = dir + "/held.dat"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        try FileWriter.writeAll(fd, "partial\n", path)
        // The server is stopped (SIGSTOP, as by a machine under load) while 12,000 files arrive: 24,000 events
        // overflow the kernel queue of its inotify instance (16,384 by default).
        let pid = try #require(h.server.process?.processIdentifier)
        let others = (0..<12_000).map { String(format: "%@/f%05d.dat", dir, $0) }
        kill(pid, SIGSTOP)
        do {
            try await onThread { for path in others { try FileWriter.write(path) } }
        } catch {
            kill(pid, SIGCONT)
            throw error
        }
        kill(pid, SIGCONT)
        try await h.until(timeout: 30, "an inotify queue overflow") {
            let hub = try await Self.watch(h, "overflow")["hub"] as? [String: Any]
            return (hub?["queue_overflows"] as? Int ?? 0) >= 1
        }
        try await h.until(timeout: 60, "all 12,000 files in the ledger") { try h.ledgerCount(id) >= others.count }
        try await Task.sleep(for: .milliseconds(2000))
        #expect(!(try h.ledger(id).map(\.path).contains(path)), "submitted while open for writing")
        try FileWriter.writeAll(fd, "complete\n", path)
        close(fd)
        try await h.untilSubmitted(id, [path], timeout: 15)
        try await Task.sleep(for: .milliseconds(2000))
        let counts = try h.inputCounts(id)
        #expect(counts.count == others.count + 1)
        #expect(counts.values.allSatisfy { $0 == 1 })
        #expect(try h.ledger(id).first { $0.path == path }?.size == Int64("partial\ncomplete\n".utf8.count))
        try await onThread { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test(
        "A ready marker: a file is taken only once its '<name>.done' exists; markers are never inputs",
        .timeLimit(.minutes(1)))
    func readyMarker() async throws {
        let h = try await TriggerHarness()
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let id = try await h.fileTrigger("marked", patterns: [dir + "/*"], mode: "inotify", ["ready_marker": "*.done"])
        let path = dir + "/a.dat"
        // A multi-stream transfer: the file is written in pieces, closed in between.
        try FileWriter.write(path, "part 1\n")
        try await Task.sleep(for: .milliseconds(1500))
        try FileWriter.append(path, "part 2\n")
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try h.ledgerCount(id) == 0, "taken without its marker")
        try FileWriter.write(path + ".done", "")
        try await h.untilSubmitted(id, [path])
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try h.inputCounts(id) == [path: 1])
        #expect(try h.ledger(id).first?.size == 14)
        let args = try #require(try await h.trigger("marked")["args"] as? [String: Any])
        #expect(args["ready_marker"] as? String == "*.done")
        // Bad markers are refused with a message.
        let bad = try await TestHTTP.send(
            "POST", h.url + "/ensembles/e/triggers/file_pattern",
            json: [
                "trigger": "bad", "workflow_script": h.script, "interval": "1s", "file_patterns": [dir + "/*"],
                "ready_marker": "a/b",
            ])
        #expect(bad.status == 400)
        #expect(bad.body.contains("invalid ready marker"))
    }
}
