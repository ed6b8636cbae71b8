import EMTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Opt-in (`PEGASUS_EM_CHAOS=1`, run by `.ci/run` as its own step): 10,000 files arrive in every way writers
/// deliver them while the server is SIGKILLed at 20 random moments and restarted; afterwards every file is in
/// the `--inputs` of exactly one workflow, complete: 0 lost, 0 duplicated, 0 partial (issue 7).
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
        /// three appends 80 ms apart, reopening the file for each.
        case slowReopened
    }

    @Test(
        "Chaos: 10,000 files while the server is SIGKILLed 20 times: each in exactly one workflow, complete",
        .timeLimit(.minutes(4)), arguments: watchModes)
    func chaos(mode: String) async throws {
        let h = try await TriggerHarness()
        let d = h.path("in")
        let outside = h.path("outside")
        try FileWriter.mkdirs(d)
        try FileWriter.mkdirs(outside)
        let id = try await h.fileTrigger("chaos", patterns: [d + "/*.dat"], mode: mode, ["max_files": 50])

        // 8,500 fast files from 2 threads (each pausing 35 ms every 3 files, ~50 s in all) and 1,500 slow ones
        // from 6 threads (0.24 s each, ~60 s).
        let fast = 8_500
        let slow = 1_500
        let produced = Produced()
        // Blocking writers on their own threads, never on the (2-thread) cooperative pool.
        let writers = (0..<8).map { w in
            Task {
                try await onThread {
                    var rng = SystemRandomNumberGenerator()
                    let range =
                        w < 2 ? stride(from: w, to: fast, by: 2) : stride(from: fast + w - 2, to: fast + slow, by: 6)
                    var n = 0
                    for i in range {
                        let name = String(format: "f%05d.dat", i)
                        let path = d + "/" + name
                        let contents = String(repeating: "\(i) ", count: Int.random(in: 1...200, using: &rng)) + "\n"
                        let delivery: Delivery =
                            w < 2
                            ? [.writeAndClose, .renameInPlace, .renameFromOutside].randomElement(using: &rng)!
                            : [.slowKeptOpen, .slowReopened].randomElement(using: &rng)!
                        switch delivery {
                        case .writeAndClose: try FileWriter.write(path, contents)
                        case .renameInPlace:
                            try FileWriter.writeAndRename(path, via: d + "/." + name + ".part", contents)
                        case .renameFromOutside:
                            try FileWriter.writeAndRename(path, via: outside + "/" + name, contents)
                        case .slowKeptOpen, .slowReopened:
                            try FileWriter.slowWrite(
                                path, duration: 0.16, every: 0.08, keepOpen: delivery == .slowKeptOpen)
                        }
                        produced.files.withLock { $0[path] = FileWriter.identity(path)!.size }
                        n += 1
                        if w < 2, n % 3 == 0 { usleep(35_000) }
                    }
                }
            }
        }

        var kills: [Double] = []
        let began = now()
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(Int64.random(in: 500...5000)))
            kills.append(now() - began)
            try await h.crashServer()
            try await Task.sleep(for: .milliseconds(Int64.random(in: 0...300)))
            try await h.startServer()
        }
        for writer in writers { try await writer.value }
        let files = produced.files.withLock { $0 }
        #expect(files.count == fast + slow)
        let writtenIn = now() - began
        try await h.until(timeout: 90, "all \(files.count) files in the ledger") {
            try h.ledgerCount(id) >= files.count
        }
        try await Task.sleep(for: .milliseconds(3000))

        let ledger = try h.ledger(id)
        var lost = Set(files.keys)
        var duplicated: [String] = []
        var partial: [String] = []
        for row in ledger {
            if lost.remove(row.path) == nil { duplicated.append(row.path) }
            if let size = files[row.path], size != row.size { partial.append(row.path) }
        }
        #expect(lost.isEmpty, "lost: \(lost.sorted().prefix(20))")
        #expect(duplicated.isEmpty, "duplicated: \(duplicated.prefix(20))")
        #expect(partial.isEmpty, "partial: \(partial.prefix(20))")
        let counts = try h.inputCounts(id)
        #expect(Set(counts.keys) == Set(files.keys))
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts.filter { $0.value != 1 }.prefix(20))")
        try await onThread { try? FileManager.default.removeItem(atPath: d) }
        print(
            "chaos (\(mode)): \(files.count) files in \(String(format: "%.1f", writtenIn)) s, 20 SIGKILLs at "
                + "\(kills.map { String(format: "%.1f", $0) }), \(try h.workflowCount(id)) workflows, "
                + "lost \(lost.count), duplicated \(duplicated.count), partial \(partial.count)")
    }
}

/// The files the chaos writers finished, with their final sizes.
final class Produced: Sendable {
    let files = Mutex<[String: Int64]>([:])
}
