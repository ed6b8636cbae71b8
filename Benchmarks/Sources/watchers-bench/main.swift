// watchers-bench: latency, throughput and set-up cost of the Watchers module on real inotify.
//
//   swift build -c release --package-path Benchmarks
//   Benchmarks/.build/release/watchers-bench [--files N] [--seconds S]
//
// Prints a Markdown table (copied into docs/PERFORMANCE.md, section "Watchers").

import Foundation
import Glibc
import Synchronization
import Watchers

// MARK: - Helpers

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Fixed-size array of timestamps written from several threads, one writer per index.
final class Timestamps: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<UInt64>

    init(count: Int) {
        values = .allocate(capacity: count)
        values.initialize(repeating: 0)
    }

    deinit { values.deallocate() }
}

/// A value shared between the consumer task and the measuring code.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

nonisolated(unsafe) var baseDirectory = FileManager.default.temporaryDirectory.path

func temporaryDirectory(_ label: String) -> String {
    let path = "\(baseDirectory)/watchers-bench-\(label)-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func createFile(_ path: String) {
    let descriptor = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
    var byte: UInt8 = 0x61
    _ = write(descriptor, &byte, 1)
    close(descriptor)
}

/// Runs blocking work on its own thread and awaits its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

func percentile(_ sorted: [UInt64], _ fraction: Double) -> UInt64 {
    guard !sorted.isEmpty else { return 0 }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
    return sorted[max(0, index)]
}

func microseconds(_ nanoseconds: UInt64) -> String {
    String(format: "%.1f µs", Double(nanoseconds) / 1000)
}

func milliseconds(_ nanoseconds: UInt64) -> String {
    String(format: "%.1f ms", Double(nanoseconds) / 1_000_000)
}

func index(in path: String, prefix: String) -> Int? {
    guard let slash = path.lastIndex(of: "/") else { return nil }
    let name = path[path.index(after: slash)...]
    guard name.hasPrefix(prefix) else { return nil }
    return Int(name.dropFirst(prefix.count))
}

var arguments = CommandLine.arguments.dropFirst()
var latencyFiles = 10_000
var throughputSeconds = 2.0
var only: String?
while let argument = arguments.popFirst() {
    switch argument {
    case "--files": latencyFiles = Int(arguments.popFirst() ?? "") ?? latencyFiles
    case "--seconds": throughputSeconds = Double(arguments.popFirst() ?? "") ?? throughputSeconds
    case "--dir": baseDirectory = arguments.popFirst() ?? baseDirectory
    case "--only": only = arguments.popFirst()
    default:
        print("usage: watchers-bench [--files N] [--seconds S] [--dir BASE] [--only latency|throughput|setup|hub]")
        exit(2)
    }
}

// MARK: - 1. close() → event latency

struct LatencyResult {
    var samples: [UInt64]
    var received: Int
    var sent: Int
    /// Events observed before the writer had taken its timestamp after close() returned (counted as 0 µs).
    var early: Int

    init(closed: Timestamps, received: Timestamps, files: Int) {
        var samples: [UInt64] = []
        var early = 0
        for index in 0..<files where received.values[index] != 0 {
            let sent = closed.values[index]
            let got = received.values[index]
            if got <= sent { early += 1 }
            samples.append(got > sent ? got - sent : 0)
        }
        self.samples = samples.sorted()
        self.received = samples.count
        self.sent = files
        self.early = early
    }
}

enum Observer {
    /// A bare thread in poll()+read() on its own inotify descriptor: the kernel's figure on this machine.
    case bareInotify
    /// A DirectoryWatcher whose events are consumed by a task on the Swift concurrency pool.
    case watcher
}

/// One writer thread creates `files` files, `spacingMicroseconds` apart, and takes a timestamp right after each
/// close() returns; the observer takes one when it receives the event.
func measureLatency(files: Int, spacingMicroseconds: UInt32, observer: Observer) async -> LatencyResult {
    let directory = temporaryDirectory("latency")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let closed = Timestamps(count: files)
    let received = Timestamps(count: files)

    func produce() async {
        await onThread {
            for index in 0..<files {
                createFile("\(directory)/lat-\(index)")
                closed.values[index] = monotonicNanoseconds()
                usleep(spacingMicroseconds)
            }
        }
    }

    switch observer {
    case .bareInotify:
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        defer { close(descriptor) }
        _ = inotify_add_watch(descriptor, directory, UInt32(IN_CLOSE_WRITE))
        async let reader: Void = onThread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var count = 0
            var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let header = MemoryLayout<inotify_event>.size
            while count < files {
                if poll(&pollDescriptor, 1, 3000) <= 0 { return }
                let length = read(descriptor, &buffer, buffer.count)
                let now = monotonicNanoseconds()
                var offset = 0
                while offset + header <= length {
                    let nameLength = buffer.withUnsafeBytes {
                        Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    }
                    let nameBytes = buffer[(offset + header)..<(offset + header + nameLength)].prefix { $0 != 0 }
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    if name.hasPrefix("lat-"), let index = Int(name.dropFirst(4)), index < files {
                        received.values[index] = now
                        count += 1
                    }
                    offset += header + nameLength
                }
            }
        }
        await produce()
        await reader

    case .watcher:
        let watcher = DirectoryWatcher(
            roots: [WatchRoot(path: directory)], configuration: WatcherConfiguration(mode: .inotify))
        let receivedCount = Shared(0)
        await withTaskGroup(of: Void.self) { group in
            let (readyStream, readyContinuation) = AsyncStream<Void>.makeStream()
            group.addTask {
                var signalled = false
                for await event in watcher.events {
                    let now = monotonicNanoseconds()
                    switch event {
                    case .rescanNeeded where !signalled:
                        signalled = true
                        readyContinuation.yield()
                    case .fileClosed(let path):
                        if let index = index(in: path, prefix: "lat-"), index < files, received.values[index] == 0 {
                            received.values[index] = now
                            if receivedCount.withLock({
                                $0 += 1; return $0
                            }) == files {
                                return
                            }
                        }
                    default:
                        break
                    }
                }
            }
            for await _ in readyStream { break }
            await produce()
            // Wait for stragglers (at most 2 s), then stop the watcher so the consumer ends.
            let deadline = ContinuousClock.now + .seconds(2)
            while receivedCount.withLock({ $0 }) < files && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            watcher.stop()
        }
    }
    return LatencyResult(closed: closed, received: received, files: files)
}

// MARK: - 2. Sustained files/s

struct ThroughputResult {
    var targetRate: Int?
    var created: Int
    var seconds: Double
    var seen: Int
    var overflowed: Bool
}

func measureThroughput(targetRate: Int?, seconds: Double) async -> ThroughputResult {
    let directory = temporaryDirectory("rate-\(targetRate ?? 0)")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let watcher = DirectoryWatcher(
        roots: [WatchRoot(path: directory)], configuration: WatcherConfiguration(mode: .inotify))
    let seen = Shared(0)
    let overflowed = Shared(false)
    var created = 0
    var elapsed = 0.0

    await withTaskGroup(of: Void.self) { group in
        let (readyStream, readyContinuation) = AsyncStream<Void>.makeStream()
        group.addTask {
            var signalled = false
            for await event in watcher.events {
                switch event {
                case .rescanNeeded(_, let reason):
                    if !signalled {
                        signalled = true
                        readyContinuation.yield()
                    } else if reason.contains("overflow") {
                        overflowed.withLock { $0 = true }
                    }
                case .fileClosed:
                    seen.withLock { $0 += 1 }
                default:
                    break
                }
            }
        }
        for await _ in readyStream { break }
        (created, elapsed) = await onThread {
            let start = monotonicNanoseconds()
            let end = start + UInt64(seconds * 1e9)
            var count = 0
            while true {
                let now = monotonicNanoseconds()
                if now >= end { break }
                if let targetRate {
                    let due = start + UInt64(Double(count) * 1e9 / Double(targetRate))
                    if now < due {
                        if due - now > 200_000 { usleep(UInt32((due - now) / 1000) - 100) }
                        continue
                    }
                }
                createFile("\(directory)/r-\(count)")
                count += 1
            }
            return (count, Double(monotonicNanoseconds() - start) / 1e9)
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while seen.withLock({ $0 }) < created && !overflowed.withLock({ $0 }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        try? await Task.sleep(for: .milliseconds(50))
        watcher.stop()
    }
    return ThroughputResult(
        targetRate: targetRate, created: created, seconds: elapsed, seen: seen.withLock { $0 },
        overflowed: overflowed.withLock { $0 })
}

// MARK: - 3. Watch set-up for 10,000 directories

func processCPUNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Wall and process CPU time from `init` to the initial `rescanNeeded` (all watches added, tree listed).
func measureSetup(mode: WatchMode, directory: String) async -> (wall: UInt64, cpu: UInt64, watched: Int) {
    let cpuStart = processCPUNanoseconds()
    let start = monotonicNanoseconds()
    let watcher = DirectoryWatcher(
        roots: [WatchRoot(path: directory, depth: WatchRoot.unlimited)], configuration: WatcherConfiguration(mode: mode)
    )
    var iterator = watcher.events.makeAsyncIterator()
    while let event = await iterator.next() {
        if case .rescanNeeded = event { break }
    }
    let elapsed = monotonicNanoseconds() - start
    let cpu = processCPUNanoseconds() - cpuStart
    let watched = watcher.status().first?.watchedDirectories ?? 0
    watcher.stop()
    return (elapsed, cpu, watched)
}

/// Baseline: only `inotify_add_watch` for the same directories (paths known in advance, no listing).
func measureRawAddWatch(paths: [String]) -> UInt64 {
    let descriptor = inotify_init1(Int32(IN_CLOEXEC))
    defer { close(descriptor) }
    let start = monotonicNanoseconds()
    for path in paths { _ = inotify_add_watch(descriptor, path, UInt32(IN_CLOSE_WRITE | IN_CREATE)) }
    return monotonicNanoseconds() - start
}

// MARK: - 4. 1,000 subscriptions on one hub

func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { return 0 }
    return kilobytes * 1024
}

func threadCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
}

/// Subscribes `count` roots (one directory each) on one hub: wall time until every initial rescanNeeded was
/// received, resident memory and thread growth, and the time until cancelling them all freed every watch.
func measureHub(count: Int) async -> (setup: UInt64, cancel: UInt64, rssBytes: Int, threads: Int, watches: Int) {
    let directory = temporaryDirectory("hub")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for index in 0..<count { mkdir("\(directory)/s\(index)", 0o755) }
    let rssBefore = residentBytes()
    let threadsBefore = threadCount()
    let start = monotonicNanoseconds()
    let hub = WatchHub()
    let subscriptions = (0..<count).map { hub.subscribe(roots: [WatchRoot(path: "\(directory)/s\($0)")]) }
    for subscription in subscriptions {
        var iterator = subscription.events.makeAsyncIterator()
        _ = await iterator.next()  // the initial rescanNeeded
    }
    let setup = monotonicNanoseconds() - start
    let rss = residentBytes() - rssBefore
    let threads = threadCount() - threadsBefore
    let watches = hub.status().watches
    let cancelStart = monotonicNanoseconds()
    for subscription in subscriptions { subscription.cancel() }
    while hub.status().watches > 0 { try? await Task.sleep(for: .milliseconds(1)) }
    let cancel = monotonicNanoseconds() - cancelStart
    hub.shutdown()
    return (setup, cancel, rss, threads, watches)
}

// MARK: - Run

let limits = ["max_queued_events", "max_user_watches", "max_user_instances"].map { name in
    let value = (try? String(contentsOfFile: "/proc/sys/fs/inotify/\(name)", encoding: .utf8)) ?? "?"
    return "\(name)=\(value.trimmingCharacters(in: .whitespacesAndNewlines))"
}
print("watchers-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(limits.joined(separator: " "))")
print("base directory \(baseDirectory) on \(FileSystemKind.detect(path: baseDirectory).name)")
fflush(nil)

@MainActor func runs(_ part: String) -> Bool { only == nil || only == part }

if runs("latency") {
    // Alternate the observers so that both see the same (shared, noisy) machine.
    var columns: [(String, LatencyResult)] = []
    for round in 1...2 {
        columns.append(
            (
                "bare inotify #\(round)",
                await measureLatency(files: latencyFiles, spacingMicroseconds: 200, observer: .bareInotify)
            ))
        columns.append(
            (
                "DirectoryWatcher #\(round)",
                await measureLatency(files: latencyFiles, spacingMicroseconds: 200, observer: .watcher)
            ))
    }
    print("")
    print("| close() → event, \(latencyFiles) files 200 µs apart | " + columns.map(\.0).joined(separator: " | ") + " |")
    print("|---|" + columns.map { _ in "---|" }.joined())
    print("| events received | " + columns.map { "\($0.1.received) / \($0.1.sent)" }.joined(separator: " | ") + " |")
    print(
        "| received before close() returned (counted as 0) | "
            + columns.map { "\($0.1.early)" }.joined(separator: " | ") + " |")
    for (label, fraction) in [("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p99.9", 0.999)] {
        print(
            "| \(label) | " + columns.map { microseconds(percentile($0.1.samples, fraction)) }.joined(separator: " | ")
                + " |")
    }
    print("| max | " + columns.map { microseconds($0.1.samples.last ?? 0) }.joined(separator: " | ") + " |")
    fflush(nil)
}

if runs("throughput") {
    print("")
    print(
        "| sustained creation (\(throughputSeconds) s each, 1-byte files) | created | achieved files/s | fileClosed seen | overflow |"
    )
    print("|---|---|---|---|---|")
    for rate in [10_000, 20_000, 50_000, nil] as [Int?] {
        let result = await measureThroughput(targetRate: rate, seconds: throughputSeconds)
        let label = rate.map { "target \($0) files/s" } ?? "unthrottled (one writer thread)"
        let achieved = Int(Double(result.created) / result.seconds)
        print(
            "| \(label) | \(result.created) | \(achieved) | \(result.seen) | \(result.overflowed ? "yes" : "no") |")
        fflush(nil)
    }
}

if runs("setup") {
    let treeDirectory = temporaryDirectory("setup")
    var treePaths = [treeDirectory]
    for top in 0..<100 {
        mkdir("\(treeDirectory)/d\(top)", 0o755)
        treePaths.append("\(treeDirectory)/d\(top)")
        for inner in 0..<99 {
            mkdir("\(treeDirectory)/d\(top)/e\(inner)", 0o755)
            treePaths.append("\(treeDirectory)/d\(top)/e\(inner)")
        }
    }
    print("")
    print(
        "| set-up of a root with 10,000 subdirectories (100 × 99 + 100), until the initial rescanNeeded | wall, median of 5 | process CPU | watches |"
    )
    print("|---|---|---|---|")
    let rawTimes = (0..<5).map { _ in measureRawAddWatch(paths: treePaths) }.sorted()
    print(
        "| baseline: bare inotify_add_watch loop over the \(treePaths.count) known paths | \(milliseconds(rawTimes[2])) | | \(treePaths.count) |"
    )
    for mode in [WatchMode.inotify, .polling] {
        var results: [(wall: UInt64, cpu: UInt64, watched: Int)] = []
        for _ in 0..<5 { results.append(await measureSetup(mode: mode, directory: treeDirectory)) }
        results.sort { $0.wall < $1.wall }
        let label =
            mode == .inotify
            ? "DirectoryWatcher, inotify (add_watch, then readdir, per directory)"
            : "DirectoryWatcher, polling (baseline snapshot: readdir + fstatat)"
        print(
            "| \(label) | \(milliseconds(results[2].wall)) | \(milliseconds(results[2].cpu)) | \(results[2].watched) |")
        fflush(nil)
    }
    try? FileManager.default.removeItem(atPath: treeDirectory)
}

if runs("hub") {
    print("")
    print("| 1,000 subscriptions (one directory each) on one WatchHub | run 1 | run 2 | run 3 |")
    print("|---|---|---|---|")
    var results: [(setup: UInt64, cancel: UInt64, rssBytes: Int, threads: Int, watches: Int)] = []
    for _ in 0..<3 { results.append(await measureHub(count: 1000)) }
    print(
        "| subscribe → every initial rescanNeeded received | "
            + results.map { milliseconds($0.setup) }.joined(separator: " | ") + " |")
    print(
        "| cancel all → `status().watches == 0` | " + results.map { milliseconds($0.cancel) }.joined(separator: " | ")
            + " |")
    print(
        "| resident memory growth | "
            + results.map { String(format: "%.1f MiB", Double($0.rssBytes) / 1_048_576) }.joined(separator: " | ")
            + " |")
    print("| threads added | " + results.map { "\($0.threads)" }.joined(separator: " | ") + " |")
    print("| inotify watches | " + results.map { "\($0.watches)" }.joined(separator: " | ") + " |")
    fflush(nil)
}
