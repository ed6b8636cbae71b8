import Foundation
import Glibc
import Testing

@testable import Watchers

// Helpers of WatchHubTests: waiting, consumers, and what /proc says of threads and inotify instances.

// MARK: - Helpers

/// Waits (5 ms between checks) until `condition` holds, or `timeout`.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// Runs `body` while one child task per subscription collects its events; cancels the subscriptions after.
func withConsumers(
    _ subscriptions: [WatchSubscription], _ body: ([EventLog]) async throws -> Void
) async throws {
    let logs = subscriptions.map { _ in EventLog() }
    try await withThrowingTaskGroup(of: Void.self) { group in
        for (subscription, log) in zip(subscriptions, logs) {
            group.addTask {
                for await event in subscription.events { log.append(event) }
            }
        }
        do {
            try await body(logs)
        } catch {
            for subscription in subscriptions { subscription.cancel() }
            throw error
        }
        for subscription in subscriptions { subscription.cancel() }
        try await group.waitForAll()
    }
}

/// Waits until each log has the initial rescan of each of its (existing) roots.
func waitForInitialScans(_ logs: [EventLog], roots: [[String]]) async throws {
    for (log, paths) in zip(logs, roots) {
        let ready = await log.wait(timeout: .seconds(20)) { events in
            paths.allSatisfy { events.contains(.rescanNeeded(root: $0, reason: WatchHubTests.initialScan)) }
        }
        try #require(ready, "initial rescanNeeded for \(paths)")
    }
}

func threadCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
}

/// Threads of this process whose name (`comm`) is `name`.
func threadCount(named name: String) -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.count { readProcFile("/proc/self/task/\($0)/comm") == name }
}

func readProcFile(_ path: String) -> String? {
    (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Inodes watched by each inotify instance of this process, by file descriptor (from /proc/self/fdinfo).
func inotifyInstances() -> [String: Set<UInt64>] {
    var result: [String: Set<UInt64>] = [:]
    let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for descriptor in descriptors {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)"),
            target == "anon_inode:inotify", let info = readProcFile("/proc/self/fdinfo/\(descriptor)")
        else { continue }
        var inodes: Set<UInt64> = []
        for line in info.split(separator: "\n") where line.hasPrefix("inotify ") {
            for field in line.split(separator: " ") where field.hasPrefix("ino:") {
                if let inode = UInt64(field.dropFirst(4), radix: 16) { inodes.insert(inode) }
            }
        }
        result[descriptor] = inodes
    }
    return result
}
