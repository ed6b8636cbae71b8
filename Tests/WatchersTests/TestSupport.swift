import Foundation
import Glibc
import Synchronization
import Testing

@testable import Watchers

/// A fresh directory under the system temporary directory; remove it with `remove()` in a `defer`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = #function) {
        let name = "watchers-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = PathUtilities.normalize(url.path)
    }

    func callAsFunction(_ relative: String) -> String {
        PathUtilities.join(path, relative)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Creates (or truncates) a file, writes `bytes` and closes it, with raw syscalls.
func writeFile(_ path: String, bytes: Int = 16) {
    let descriptor = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
    precondition(descriptor >= 0, "open \(path): errno \(errno)")
    if bytes > 0 {
        let data = [UInt8](repeating: 0x61, count: bytes)
        _ = data.withUnsafeBytes { write(descriptor, $0.baseAddress, bytes) }
    }
    close(descriptor)
}

func makeDirectories(_ path: String) {
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
}

/// Collects every event of a watcher (filled by a task that iterates the stream).
final class EventLog: Sendable {
    private let events = Mutex<[WatchEvent]>([])

    func append(_ event: WatchEvent) {
        events.withLock { $0.append(event) }
    }

    var all: [WatchEvent] { events.withLock { $0 } }

    func contains(_ event: WatchEvent) -> Bool { events.withLock { $0.contains(event) } }

    func count(_ event: WatchEvent) -> Int { events.withLock { $0.count { $0 == event } } }

    /// Waits (sleeping 5 ms between checks) until `predicate` holds for the events so far, or `timeout`.
    @discardableResult
    func wait(
        timeout: Duration = .seconds(10), until predicate: ([WatchEvent]) -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if events.withLock({ predicate($0) }) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return events.withLock { predicate($0) }
    }

    func wait(for event: WatchEvent, timeout: Duration = .seconds(10)) async -> Bool {
        await wait(timeout: timeout) { $0.contains(event) }
    }
}

/// Runs `body` with a watcher whose events are collected into an ``EventLog`` by a child task; stops the
/// watcher afterwards and checks that the stream ended.
func withWatcher(
    roots: [WatchRoot],
    configuration: WatcherConfiguration,
    waitForInitialScan: Bool = true,
    _ body: (DirectoryWatcher, EventLog) async throws -> Void
) async throws {
    let watcher = DirectoryWatcher(roots: roots, configuration: configuration)
    let log = EventLog()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for await event in watcher.events { log.append(event) }
        }
        do {
            if waitForInitialScan {
                let existing = roots.filter { DirectoryIdentity.of($0.path) != nil }
                let ready = await log.wait { events in
                    existing.allSatisfy { root in
                        events.contains { if case .rescanNeeded(root.path, _) = $0 { true } else { false } }
                    }
                }
                try #require(ready, "initial rescanNeeded for every existing root")
            }
            try await body(watcher, log)
        } catch {
            watcher.stop()
            throw error
        }
        watcher.stop()
        try await group.waitForAll()
    }
}

/// Test configuration for a mode: a short poll interval so polling scenarios finish quickly.
func configuration(_ mode: WatchMode, pollInterval: Duration = .milliseconds(100)) -> WatcherConfiguration {
    WatcherConfiguration(mode: mode, pollInterval: pollInterval)
}

/// Inodes of directories watched by any inotify instance of this process (from /proc/self/fdinfo).
func inotifyWatchedInodes() -> Set<UInt64> {
    var result: Set<UInt64> = []
    guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
    for descriptor in descriptors {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)"),
            target == "anon_inode:inotify",
            let info = try? String(contentsOfFile: "/proc/self/fdinfo/\(descriptor)", encoding: .utf8)
        else { continue }
        for line in info.split(separator: "\n") where line.hasPrefix("inotify ") {
            for field in line.split(separator: " ") where field.hasPrefix("ino:") {
                if let inode = UInt64(field.dropFirst(4), radix: 16) { result.insert(inode) }
            }
        }
    }
    return result
}

func inode(of path: String) -> UInt64 {
    var info = stat()
    precondition(stat(path, &info) == 0)
    return UInt64(info.st_ino)
}

/// Runs blocking file-system work on a dedicated thread, so tests never block the cooperative pool (on two
/// cores a blocked pool thread delays every other test's tasks and skews timing).
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.start()
    }
}
