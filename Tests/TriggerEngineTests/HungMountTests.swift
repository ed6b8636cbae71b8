import EMTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A hung network mount, made real: a FUSE mount (bindfs) whose daemon is stopped with SIGSTOP, so that every
/// `readdir` and `stat` on it blocks in the kernel (`request_wait_answer`) until SIGCONT, as on a dead NFS server.
@Suite("A hung mount", .serialized, .enabled(if: serverBuilt && geteuid() == 0, "mounting FUSE needs root"))
struct HungMountTests {
    @Test(
        "While a trigger's scan is stuck on a hung mount for 10 s, the REST API answers within 100 ms and a trigger on a local directory fires on time; the stuck trigger recovers",
        .timeLimit(.minutes(2)))
    func hungMountStallsOnlyItsOwnTrigger() async throws {
        let h = try await TriggerHarness()
        let source = h.path("source")
        let mount = h.path("mnt")
        let local = h.path("local")
        for directory in [source, mount, local] { try FileWriter.mkdirs(directory) }
        let bindfs = Process()
        bindfs.executableURL = URL(fileURLWithPath: "/usr/bin/bindfs")
        bindfs.arguments = ["-f", source, mount]
        bindfs.standardOutput = FileHandle.nullDevice
        bindfs.standardError = FileHandle.nullDevice
        try bindfs.run()
        let daemon = bindfs.processIdentifier
        defer {
            kill(daemon, SIGCONT)
            umount2(mount, Int32(MNT_DETACH))
            bindfs.terminate()
            withExtendedLifetime(h) {}
        }
        try await h.until(timeout: 10, "the FUSE mount") { try Self.isMounted(mount) }

        let remote = try await h.fileTrigger("remote", patterns: [mount + "/*"], mode: "auto")
        let nearby = try await h.fileTrigger("nearby", patterns: [local + "/*"], mode: "inotify")
        try FileWriter.write(source + "/before.txt")
        try await h.untilSubmitted(remote, [mount + "/before.txt"])
        let remoteRoot = try #require(try await h.watchRoot("remote"))
        #expect(remoteRoot["mode"] as? String == "poll", "the FUSE root is polled: \(remoteRoot)")

        // Hang the mount; the remote trigger's next poll (every 2 s) gets stuck in the kernel.
        kill(daemon, SIGSTOP)
        let server = try #require(h.server.process?.processIdentifier)
        try await h.until(timeout: 15, "a server thread stuck on the mount") { Self.stuckThreads(server) > 0 }
        let hungAt = now()

        var latencies: [Double] = []
        func timedRequests() async throws {
            for url in [h.url + "/ensembles", h.url + "/ensembles/e/triggers/remote", h.url + "/ensembles/e/triggers"] {
                let start = now()
                let r = try await TestHTTP.send("GET", url)
                latencies.append(now() - start)
                #expect(r.status == 200, "\(url): \(r.status) \(r.body)")
            }
        }
        var written = 0
        while now() - hungAt < 10 {
            let path = local + "/file\(written).txt"
            try FileWriter.write(path)
            let writtenAt = now()
            written += 1
            while try !h.ledger(nearby).contains(where: { $0.path == path }) {
                try #require(now() - writtenAt < 5, "\(path) not submitted within 5 s while the mount hangs")
                try await timedRequests()
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(now() - writtenAt < 4, "\(path) submitted after \(now() - writtenAt) s")
            try await timedRequests()
        }
        // The scan was stuck the whole time.
        #expect(Self.stuckThreads(server) > 0)
        #expect(written >= 3)
        latencies.sort()
        let p95 = latencies[latencies.count * 95 / 100]
        // 100 ms for 95 % of the requests (measured here: about 6 ms), and never a stall (a blocked concurrency
        // pool would hold a request for the whole 10 s); the worst requests may meet a loaded 2-core CI machine.
        #expect(p95 < 0.1, "95th percentile \(p95) s of \(latencies.count) requests")
        #expect(latencies.last! < 1, "slowest request \(latencies.last!) s")
        print("hung mount: \(latencies.count) requests, p95 \(p95) s, max \(latencies.last!) s; \(written) files")

        // The mount comes back: the stuck trigger goes on, and nothing was submitted twice.
        kill(daemon, SIGCONT)
        try FileWriter.write(source + "/after.txt")
        try await h.untilSubmitted(remote, [mount + "/after.txt"])
        #expect(try h.inputCounts(remote) == [mount + "/before.txt": 1, mount + "/after.txt": 1])
        #expect(try h.inputCounts(nearby).values.allSatisfy { $0 == 1 })
        #expect(try h.inputCounts(nearby).count == written)
    }

    /// Whether `path` is a mount point now (`/proc/self/mounts`).
    static func isMounted(_ path: String) throws -> Bool {
        let mounts = try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)
        return mounts.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first == Substring(path) }
    }

    /// Threads of process `pid` waiting for a FUSE daemon's answer.
    static func stuckThreads(_ pid: Int32) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.count { task in
            let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? ""
            return wchan.contains("request_wait_answer") || wchan.contains("fuse")
        }
    }
}
