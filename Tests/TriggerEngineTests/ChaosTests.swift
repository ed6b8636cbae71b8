import EMTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Opt-in (`PEGASUS_EM_CHAOS=1`, run by `.ci/run` as its own step): about 10,000 files arrive in every way writers
/// deliver them while the server is SIGKILLed at 50 random moments and restarted; afterwards every file is in the
/// `--inputs` of exactly one workflow, complete: 0 lost, 0 duplicated, 0 premature (issues 7 and 13).
@Suite(
    "Trigger chaos (PEGASUS_EM_CHAOS=1)",
    .enabled(if: serverBuilt && ProcessInfo.processInfo.environment["PEGASUS_EM_CHAOS"] == "1"), .serialized)
struct TriggerChaosTests {
    /// How a chaos writer delivers a file.
    enum Delivery: CaseIterable {
        /// open, write, close.
        case writeAndClose
        /// written under an ignored name in the watched directory, then renamed.
        case renameInPlace
        /// written in a directory outside the pattern, then renamed in.
        case renameFromOutside
        /// three appends 80 ms apart through one descriptor.
        case slowKeptOpen
        /// written, held open for 2 to 6 s (across SIGKILLs and restarts of the server), written again, closed.
        case heldAcrossKills
        /// three appends 80 ms apart, reopening the file for each (trigger with `settle 1s`).
        case slowReopened
        /// three pieces 300 ms apart, each a separate open and close, then `<name>.done` (trigger with a ready
        /// marker).
        case markedPieces
    }

    /// One writer thread: which trigger directory, which deliveries, how many files.
    struct Writer: Sendable {
        var directory: String
        var deliveries: [Delivery]
        var names: [String]
    }

    @Test(
        "Chaos: 10,000 files, writers held open across kills, ready markers, 50 SIGKILLs: each in one workflow, complete",
        .timeLimit(.minutes(5)), arguments: watchModes)
    func chaos(mode: String) async throws {
        let h = try await TriggerHarness()
        let plain = h.path("in")
        let reopen = h.path("reopen")
        let marked = h.path("marked")
        let outside = h.path("outside")
        for d in [plain, reopen, marked, outside] { try FileWriter.mkdirs(d) }
        let triggers = [
            plain: try await h.fileTrigger("chaos", patterns: [plain + "/*.dat"], mode: mode, ["max_files": 50]),
            reopen: try await h.fileTrigger(
                "reopen", patterns: [reopen + "/*.dat"], mode: mode, ["max_files": 50, "settle": "1s"]),
            marked: try await h.fileTrigger(
                "marked", patterns: [marked + "/*"], mode: mode, ["max_files": 50, "ready_marker": "*.done"]),
        ]

        func names(_ prefix: String, _ range: StrideTo<Int>) -> [String] {
            range.map { String(format: "%@%05d.dat", prefix, $0) }
        }
        // 8,500 fast files from 2 threads (each pausing 35 ms every 3 files, ~50 s), 900 kept open for 0.24 s from
        // 3 threads, files held open across kills from 1 thread, 300 reopened per append, 120 in marked pieces.
        let writers: [Writer] =
            (0..<2).map {
                Writer(
                    directory: plain, deliveries: [.writeAndClose, .renameInPlace, .renameFromOutside],
                    names: names("f", stride(from: $0, to: 8_500, by: 2)))
            }
            + (0..<3).map {
                Writer(
                    directory: plain, deliveries: [.slowKeptOpen], names: names("k", stride(from: $0, to: 900, by: 3)))
            }
            + [
                Writer(
                    directory: plain, deliveries: [.heldAcrossKills], names: names("h", stride(from: 0, to: 18, by: 1))),
                Writer(
                    directory: reopen, deliveries: [.slowReopened], names: names("r", stride(from: 0, to: 300, by: 1))),
            ]
            + (0..<2).map {
                Writer(
                    directory: marked, deliveries: [.markedPieces], names: names("m", stride(from: $0, to: 120, by: 2)))
            }

        let produced = Produced()
        // Blocking writers on their own threads, never on the (2-thread) cooperative pool.
        let tasks = writers.map { writer in
            Task {
                try await onThread {
                    var rng = SystemRandomNumberGenerator()
                    for (n, name) in writer.names.enumerated() {
                        let path = writer.directory + "/" + name
                        let contents = String(repeating: "\(name) ", count: Int.random(in: 1...200, using: &rng)) + "\n"
                        switch writer.deliveries.randomElement(using: &rng)! {
                        case .writeAndClose: try FileWriter.write(path, contents)
                        case .renameInPlace:
                            try FileWriter.writeAndRename(path, via: writer.directory + "/." + name + ".part", contents)
                        case .renameFromOutside:
                            try FileWriter.writeAndRename(path, via: outside + "/" + name, contents)
                        case .slowKeptOpen:
                            try FileWriter.slowWrite(path, duration: 0.16, every: 0.08, keepOpen: true)
                        case .slowReopened:
                            try FileWriter.slowWrite(path, duration: 0.16, every: 0.08, keepOpen: false)
                        case .heldAcrossKills:
                            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                            guard fd >= 0 else { throw TriggerTestError(description: "open \(path): errno \(errno)") }
                            try FileWriter.writeAll(fd, contents, path)
                            usleep(useconds_t(Int.random(in: 2_000_000...6_000_000, using: &rng)))
                            try FileWriter.writeAll(fd, contents, path)
                            close(fd)
                        case .markedPieces:
                            try FileWriter.write(path, contents)
                            usleep(300_000)
                            try FileWriter.append(path, contents)
                            usleep(300_000)
                            try FileWriter.append(path, contents)
                            try FileWriter.write(path + ".done", "")
                        }
                        produced.files.withLock { $0[path] = FileWriter.identity(path)!.size }
                        if writer.deliveries.count > 1, n % 3 == 2 { usleep(35_000) }
                    }
                }
            }
        }

        var kills: [Double] = []
        let began = now()
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(Int64.random(in: 500...2000)))
            kills.append(now() - began)
            try await h.crashServer()
            try await Task.sleep(for: .milliseconds(Int64.random(in: 0...300)))
            try await h.startServer()
        }
        for task in tasks { try await task.value }
        let files = produced.files.withLock { $0 }
        let expected = writers.reduce(0) { $0 + $1.names.count }
        #expect(files.count == expected)
        let writtenIn = now() - began

        var summary: [String] = []
        for (directory, id) in triggers.sorted(by: { $0.key < $1.key }) {
            let mine = files.filter { $0.key.hasPrefix(directory + "/") }
            try await h.until(timeout: 90, "all \(mine.count) files of \(directory) in the ledger") {
                try h.ledgerCount(id) >= mine.count
            }
            try await Task.sleep(for: .milliseconds(2000))
            let ledger = try h.ledger(id)
            var lost = Set(mine.keys)
            var duplicated: [String] = []
            var premature: [String] = []
            for row in ledger {
                if lost.remove(row.path) == nil { duplicated.append(row.path) }
                if let size = mine[row.path], size != row.size { premature.append(row.path) }
            }
            #expect(lost.isEmpty, "\(directory) lost: \(lost.sorted().prefix(20))")
            #expect(duplicated.isEmpty, "\(directory) duplicated: \(duplicated.prefix(20))")
            #expect(premature.isEmpty, "\(directory) premature: \(premature.prefix(20))")
            let counts = try h.inputCounts(id)
            #expect(Set(counts.keys) == Set(mine.keys))
            #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts.filter { $0.value != 1 }.prefix(20))")
            summary.append(
                "\(URL(fileURLWithPath: directory).lastPathComponent): \(mine.count) files in "
                    + "\(try h.workflowCount(id)) workflows, lost \(lost.count), duplicated \(duplicated.count), "
                    + "premature \(premature.count)")
        }
        try await onThread {
            for d in [plain, reopen, marked, outside] { try? FileManager.default.removeItem(atPath: d) }
        }
        print(
            "chaos (\(mode)): \(files.count) files in \(String(format: "%.1f", writtenIn)) s, 50 SIGKILLs at "
                + "\(kills.map { String(format: "%.1f", $0) }); " + summary.joined(separator: "; "))
    }
}

/// The files the chaos writers finished, with their final sizes.
final class Produced: Sendable {
    let files = Mutex<[String: Int64]>([:])
}
