import Foundation
import Glibc
import Synchronization
import Testing

@testable import Watchers

/// `WriterProbe` against real files in a temporary directory, with writers in this process and in children.
@Suite(.timeLimit(.minutes(1)))
struct WriterProbeTests {
    @Test func closedFileHasNoWriter() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("closed", bytes: 100)
        #expect(WriterProbe.check(path: file) == .noWriter)
    }

    @Test func fileOpenForWritingHereIsWriterOpen() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("wronly")
        let writer = open(file, O_WRONLY | O_APPEND | O_CLOEXEC)
        #expect(writer >= 0)
        // The lease is refused with EAGAIN even though the writer is the probing process itself.
        #expect(WriterProbe.check(path: file) == .writerOpen)
        close(writer)
        #expect(WriterProbe.check(path: file) == .noWriter)
    }

    @Test func fileOpenReadWriteIsWriterOpen() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("rdwr")
        let writer = open(file, O_RDWR | O_CLOEXEC)
        #expect(writer >= 0)
        #expect(WriterProbe.check(path: file) == .writerOpen)
        close(writer)
        #expect(WriterProbe.check(path: file) == .noWriter)
    }

    @Test func readersDoNotCount() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("read")
        let reader = open(file, O_RDONLY | O_CLOEXEC)
        #expect(reader >= 0)
        #expect(WriterProbe.check(path: file) == .noWriter)
        close(reader)
    }

    @Test func writableSharedMappingCountsAfterTheDescriptorIsClosed() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("mapped", bytes: 4096)
        let descriptor = open(file, O_RDWR | O_CLOEXEC)
        let mapping = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        close(descriptor)
        #expect(mapping != MAP_FAILED)
        #expect(WriterProbe.check(path: file) == .writerOpen)
        munmap(mapping, 4096)
        #expect(WriterProbe.check(path: file) == .noWriter)
    }

    @Test func symbolicLinksAreFollowed() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("target")
        let link = dir.path + "/link"
        symlink(file, link)
        let writer = open(file, O_WRONLY | O_CLOEXEC)
        #expect(WriterProbe.check(path: link) == .writerOpen)
        close(writer)
        #expect(WriterProbe.check(path: link) == .noWriter)
    }

    @Test func childProcessWriterIsSeenUntilItIsKilled() throws {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("child-writer")
        let child = try ChildHolder(script: "exec 3>>\"$1\"; echo ready; exec sleep 30", file: file)
        #expect(WriterProbe.check(path: file) == .writerOpen)
        child.kill()
        #expect(WriterProbe.check(path: file) == .noWriter)
    }

    @Test func childProcessReaderIsNotAWriter() throws {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("child-reader")
        let child = try ChildHolder(script: "exec 3<\"$1\"; echo ready; exec sleep 30", file: file)
        #expect(WriterProbe.check(path: file) == .noWriter)
        child.kill()
    }

    @Test func missingFileIsUnavailable() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let result = WriterProbe.check(path: dir.path + "/missing")
        #expect(result == .unavailable("cannot stat (ENOENT: no such file)"))
    }

    @Test func directoryAndFifoAreUnavailable() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        #expect(WriterProbe.check(path: dir.path) == .unavailable("not a regular file"))
        let fifo = dir.path + "/fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(WriterProbe.check(path: fifo) == .unavailable("not a regular file"))
    }

    @Test func procFilesystemRefusesLeases() {
        // /proc files are regular files without lease support.
        let result = WriterProbe.check(path: "/proc/self/status")
        #expect(
            result
                == .unavailable(
                    "lease refused (EINVAL: filesystem without leases, or fs.leases-enable is 0)"))
    }

    /// As root we hold CAP_LEASE and may lease any file. Capabilities are per thread on Linux, so a dedicated
    /// thread drops CAP_LEASE from its effective set, probes a file owned by nobody (65534), then exits.
    @Test(.enabled(if: geteuid() == 0, "needs root to chown and to drop CAP_LEASE"))
    func fileOfAnotherUserWithoutCapLeaseIsUnavailable() throws {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("nobody")
        #expect(chown(file, 65534, 65534) == 0)
        let results = try onThreadWithoutCapLease {
            (
                WriterProbe.check(path: file),
                WriterProbe.check(path: dir.path + "/../" + dir.name + "/nobody")
            )
        }
        #expect(results.0 == .unavailable("lease refused (EACCES: not the file's owner)"))
        #expect(results.1 == results.0)
        // With CAP_LEASE (this thread), the same file can be probed.
        #expect(WriterProbe.check(path: file) == .noWriter)
    }

    /// A writer thread opens and closes the file for writing as fast as it can while 20,000 probes run. Each
    /// open that happens while a probe holds its lease breaks the lease, and the kernel signals the holder, this
    /// process, whose `SIGIO` is left at its default (terminate). The probe redirects the signal to `SIGURG`,
    /// whose default action is to ignore it. Every other open of the writer uses `O_NONBLOCK`: such an open fails
    /// with `EWOULDBLOCK` exactly when it met a lease, after the break (and its signal) was sent, which counts
    /// the breaks without installing any signal handler.
    @Test func racingWriterNeverKillsTheProcess() {
        #expect(
            !signalIsIgnoredOrCaught(SIGIO), "SIGIO must be at its default action for this test to mean anything")
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("stress")

        let stop = Atomic<Bool>(false)
        let writerOpens = Atomic<Int>(0)
        let leaseBreaks = Atomic<Int>(0)
        let writerDone = Semaphore(value: 0)
        let writer = Thread {
            var nonBlocking = false
            while !stop.load(ordering: .relaxed) {
                nonBlocking.toggle()
                let descriptor = open(file, O_WRONLY | O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0))
                if descriptor >= 0 {
                    writerOpens.add(1, ordering: .relaxed)
                    close(descriptor)
                } else if errno == EWOULDBLOCK {
                    leaseBreaks.add(1, ordering: .relaxed)
                }
            }
            writerDone.signal()
        }
        writer.start()
        var counts: [WriterCheck: Int] = [:]
        var probes = 0
        // 20,000 probes, and more (up to 200,000) if no lease was broken yet, so that the dangerous path is taken.
        while probes < 20_000 || (leaseBreaks.load(ordering: .relaxed) == 0 && probes < 200_000) {
            counts[WriterProbe.check(path: file), default: 0] += 1
            probes += 1
        }
        stop.store(true, ordering: .relaxed)
        writerDone.wait()
        print(
            "racing writer: \(probes) probes \(counts), writer opens \(writerOpens.load(ordering: .relaxed)), "
                + "lease breaks seen by non-blocking opens \(leaseBreaks.load(ordering: .relaxed))")
        #expect(counts.keys.allSatisfy { $0 == .noWriter || $0 == .writerOpen })
        #expect(counts.values.reduce(0, +) == probes)
        #expect(writerOpens.load(ordering: .relaxed) > 0)
        #expect(leaseBreaks.load(ordering: .relaxed) > 0, "no lease was broken: the test did not exercise SIGIO")
    }

    /// `inspect` gives the identity taken while the lease was held, and the same answers as `check`.
    @Test func inspectGivesTheIdentityWithTheAnswer() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("inspect", bytes: 123)
        let closed = WriterProbe.inspect(path: file)
        #expect(closed.writer == .noWriter)
        #expect(closed.identity == FileIdentity.of(path: file))
        #expect(closed.identity?.size == 123)
        let writer = open(file, O_WRONLY | O_APPEND | O_CLOEXEC)
        _ = write(writer, "x", 1)
        let open = WriterProbe.inspect(path: file)
        #expect(open.writer == .writerOpen)
        #expect(open.identity?.size == 124)
        close(writer)
        let missing = WriterProbe.inspect(path: dir.path + "/missing")
        #expect(missing.identity == nil)
        #expect(missing.writer == .unavailable("cannot stat (ENOENT: no such file)"))
        #expect(WriterProbe.inspect(path: dir.path).identity == nil)
    }

    /// Median cost of one probe of a closed file (printed; the assertion only catches a pathological slowdown).
    @Test func probeCost() {
        let dir = ProbeDirectory()
        defer { dir.remove() }
        let file = dir.file("cost", bytes: 1 << 20)
        var samples: [UInt64] = []
        samples.reserveCapacity(10_000)
        for _ in 0..<10_000 {
            let start = monotonicNanoseconds()
            let result = WriterProbe.check(path: file)
            samples.append(monotonicNanoseconds() - start)
            precondition(result == .noWriter)
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let p99 = samples[samples.count * 99 / 100]
        print(
            "WriterProbe.check on a closed file: median \(median) ns, p99 \(p99) ns over 10,000 probes")
        #expect(median < 1_000_000)
    }
}

// MARK: - Helpers

/// A fresh directory under /tmp.
private struct ProbeDirectory {
    let path: String
    let name: String

    init(_ label: String = #function) {
        name = "writer-probe-\(label.filter { $0.isLetter })-\(UUID().uuidString.prefix(8))"
        path =
            NSTemporaryDirectory().hasSuffix("/")
            ? NSTemporaryDirectory() + name : NSTemporaryDirectory() + "/" + name
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Creates `name` with `bytes` bytes, closed.
    func file(_ name: String, bytes: Int = 16) -> String {
        let file = path + "/" + name
        let descriptor = open(file, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(descriptor >= 0, "open \(file): errno \(errno)")
        let data = [UInt8](repeating: 0x61, count: bytes)
        _ = data.withUnsafeBytes { write(descriptor, $0.baseAddress, bytes) }
        close(descriptor)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// `/bin/sh -c script sh file`, started with posix_spawn; it prints "ready" once it holds the file. `kill()`
/// (or deinit) sends SIGKILL and reaps it, so the descriptor is closed when `kill()` returns.
private final class ChildHolder {
    private var pid: pid_t = 0

    init(script: String, file: String) throws {
        var pipeEnds: [Int32] = [0, 0]
        // No pipe2 in Glibc's Swift module. Another test's child spawned in between may inherit these ends:
        // harmless, the readiness line is read by length, not until end of file.
        precondition(pipe(&pipeEnds) == 0)
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)  // dup2 clears FD_CLOEXEC on stdout
        let arguments = ["/bin/sh", "-c", script, "sh", file]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, &argv, environ)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned == 0 else { throw ChildError(description: "posix_spawn: \(spawned)") }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 6, read(pipeEnds[0], &byte, 1) == 1 { line.append(byte) }
        guard line == Array("ready\n".utf8) else {
            throw ChildError(description: "child did not get ready")
        }
    }

    func kill() {
        guard pid > 0 else { return }
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
    }

    deinit { kill() }
}

private struct ChildError: Error, CustomStringConvertible {
    let description: String
}

private final class Semaphore: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Int

    init(value: Int) { self.value = value }

    func signal() {
        condition.lock()
        value += 1
        condition.signal()
        condition.unlock()
    }

    func wait() {
        condition.lock()
        while value == 0 { condition.wait() }
        value -= 1
        condition.unlock()
    }
}

private func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Whether /proc/self/status lists `signal` in SigIgn or SigCgt.
private func signalIsIgnoredOrCaught(_ signal: Int32) -> Bool {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
        return false
    }
    let bit = UInt64(1) << UInt64(signal - 1)
    for line in status.split(separator: "\n")
    where line.hasPrefix("SigIgn:") || line.hasPrefix("SigCgt:") {
        let hex = line.split(separator: "\t").last.map(String.init) ?? "0"
        if let mask = UInt64(hex.trimmingCharacters(in: .whitespaces), radix: 16), mask & bit != 0 {
            return true
        }
    }
    return false
}

private struct CapabilityError: Error, CustomStringConvertible {
    let description: String
}

/// Runs `body` on a new thread whose effective capability set lacks CAP_LEASE (28), and returns its result.
private func onThreadWithoutCapLease<T: Sendable>(_ body: @escaping @Sendable () -> T) throws -> T {
    typealias CapFunction = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32
    // capget/capset are in glibc but declared only by libcap's <sys/capability.h>; dlsym(RTLD_DEFAULT = nil).
    guard let capget = dlsym(nil, "capget"), let capset = dlsym(nil, "capset") else {
        throw CapabilityError(description: "capget/capset not found")
    }
    let get = unsafeBitCast(capget, to: CapFunction.self)
    let set = unsafeBitCast(capset, to: CapFunction.self)
    let result = Mutex<T?>(nil)
    let failure = Mutex<String?>(nil)
    let done = Semaphore(value: 0)
    let thread = Thread {
        // struct __user_cap_header_struct { u32 version; int pid; } + two __user_cap_data_struct
        // { u32 effective, permitted, inheritable; } for _LINUX_CAPABILITY_VERSION_3 (0x20080522).
        var header: [UInt32] = [0x2008_0522, 0]
        var data = [UInt32](repeating: 0, count: 6)
        let ok = header.withUnsafeMutableBytes { h in
            data.withUnsafeMutableBytes { d in get(h.baseAddress!, d.baseAddress!) }
        }
        guard ok == 0 else {
            failure.withLock { $0 = "capget: errno \(errno)" }
            done.signal()
            return
        }
        let saved = data
        data[0] &= ~(UInt32(1) << 28)
        header[1] = 0
        let dropped = header.withUnsafeMutableBytes { h in
            data.withUnsafeMutableBytes { d in set(h.baseAddress!, d.baseAddress!) }
        }
        guard dropped == 0 else {
            failure.withLock { $0 = "capset: errno \(errno)" }
            done.signal()
            return
        }
        let value = body()
        var restore = saved
        header[1] = 0
        _ = header.withUnsafeMutableBytes { h in
            restore.withUnsafeMutableBytes { d in set(h.baseAddress!, d.baseAddress!) }
        }
        result.withLock { $0 = value }
        done.signal()
    }
    thread.start()
    done.wait()
    if let message = failure.withLock({ $0 }) { throw CapabilityError(description: message) }
    return result.withLock { $0! }
}
