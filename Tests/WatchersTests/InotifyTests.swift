import Foundation
import Glibc
import Testing

@testable import Watchers

/// inotify-specific behaviour: overflow, watch limits, directory moves, shutdown. Real inotify, temp dirs.
@Suite(.timeLimit(.minutes(1)))
struct InotifyTests {
    /// 40,000 files created while nobody reads: either the consumer's buffer is dropped ("subscriber fell
    /// behind", the hub never stops reading) or the kernel queue (max_queued_events, 16,384 here) overflows;
    /// either way the consumer gets `rescanNeeded`, and the rescan finds every file.
    @Test func overflowWhileConsumerStalledLeadsToRescanThatFindsEverything() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let root = WatchRoot(path: dir.path)
        // A small buffer, so the stalled consumer falls behind early.
        let watcher = DirectoryWatcher(
            roots: [root], configuration: WatcherConfiguration(mode: .inotify, maximumBufferedEvents: 1024))
        defer { watcher.stop() }
        var iterator = watcher.events.makeAsyncIterator()
        let first = await iterator.next()
        guard case .rescanNeeded(dir.path, _) = first else {
            Issue.record("expected the initial rescanNeeded, got \(String(describing: first))")
            return
        }

        let total = 40_000
        await onThread {  // the consumer is stalled meanwhile
            for index in 0..<total { writeFile(dir("f\(index)"), bytes: 0) }
        }

        var closedBeforeOverflow: Set<String> = []
        var overflowReason: String?
        while let event = await iterator.next() {
            if case .rescanNeeded(dir.path, let reason) = event {
                overflowReason = reason
                break
            }
            if case .fileClosed(let path) = event { closedBeforeOverflow.insert(path) }
        }
        let reason = overflowReason ?? ""
        #expect(reason.contains("IN_Q_OVERFLOW") || reason.hasPrefix("subscriber fell behind: "), "\(reason)")
        #expect(closedBeforeOverflow.count < total, "events were really lost, so the rescan is what finds them")
        let scanned = scanFiles(root: root)
        #expect(scanned.count == total)
        #expect(Set(scanned.map(\.path)).count == total)

        // Still watching after the overflow.
        writeFile(dir("after-overflow"))
        var sawLater = false
        while let event = await iterator.next() {
            if event == .fileClosed(dir("after-overflow")) {
                sawLater = true
                break
            }
        }
        #expect(sawLater)
    }

    @Test func directoryMovedInIsScannedAndMovedOutIsForgotten() async throws {
        let dir = TemporaryDirectory()
        let outside = TemporaryDirectory()
        defer {
            dir.remove()
            outside.remove()
        }
        makeDirectories(outside("batch/inner"))
        writeFile(outside("batch/inner/x"))
        let root = WatchRoot(path: dir.path, depth: WatchRoot.unlimited)
        try await withWatcher(roots: [root], configuration: configuration(.inotify)) { watcher, log in
            #expect(rename(outside("batch"), dir("batch")) == 0)
            #expect(await log.wait(for: .fileMovedIn(dir("batch/inner/x"))))
            #expect(log.contains(.directoryCreated(dir("batch"))))
            #expect(log.contains(.directoryCreated(dir("batch/inner"))))
            #expect(watcher.status().first?.watchedDirectories == 3)

            // Renamed inside the tree: new files are reported under the new name only.
            #expect(rename(dir("batch"), dir("renamed")) == 0)
            #expect(await log.wait(for: .directoryCreated(dir("renamed/inner"))))
            writeFile(dir("renamed/inner/y"))
            #expect(await log.wait(for: .fileClosed(dir("renamed/inner/y"))))
            #expect(log.contains(.fileRemoved(dir("batch"))))

            // Moved out: its watches go, and writes there are no longer reported.
            #expect(rename(dir("renamed"), outside("gone")) == 0)
            #expect(await log.wait(for: .fileRemoved(dir("renamed"))))
            writeFile(outside("gone/inner/z"))
            writeFile(dir("marker"))
            #expect(await log.wait(for: .fileClosed(dir("marker"))))
            #expect(!log.all.contains { $0.path.hasSuffix("/z") })
            #expect(await log.wait(timeout: .seconds(2)) { _ in watcher.status().first?.watchedDirectories == 1 })
        }
    }

    @Test func overlappingRootsReportAnEventOnce() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("inner"))
        let roots = [WatchRoot(path: dir.path, depth: WatchRoot.unlimited), WatchRoot(path: dir("inner"))]
        try await withWatcher(roots: roots, configuration: configuration(.inotify)) { watcher, log in
            writeFile(dir("inner/shared"))
            writeFile(dir("marker"))
            #expect(
                await log.wait {
                    $0.contains(.fileClosed(dir("inner/shared"))) && $0.contains(.fileClosed(dir("marker")))
                })
            #expect(log.count(.fileClosed(dir("inner/shared"))) == 1)
            #expect(watcher.status().map(\.watchedDirectories) == [2, 1])
        }
    }

    @Test func watchBudgetExceededAtStartFallsBackToPollingWithReason() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        for index in 0..<10 { makeDirectories(dir("d\(index)")) }
        let root = WatchRoot(path: dir.path, depth: WatchRoot.unlimited)
        let config = WatcherConfiguration(mode: .automatic, pollInterval: .milliseconds(100), maximumWatches: 5)
        try await withWatcher(roots: [root], configuration: config) { watcher, log in
            let status = try #require(watcher.status().first)
            #expect(status.mode == .polling)
            #expect(status.reason == "watch budget of 5 directories reached")
            #expect(status.watchedDirectories == 0)
            #expect(inotifyWatchedInodes().isDisjoint(with: [inode(of: dir.path), inode(of: dir("d3"))]))
            writeFile(dir("d7/still-seen"))
            #expect(await log.wait(for: .fileClosed(dir("d7/still-seen"))))
        }
    }

    @Test func watchBudgetExceededAtRunTimeSwitchesToPollingAndAsksForRescan() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let root = WatchRoot(path: dir.path, depth: WatchRoot.unlimited)
        let config = WatcherConfiguration(mode: .inotify, pollInterval: .milliseconds(100), maximumWatches: 4)
        try await withWatcher(roots: [root], configuration: config) { watcher, log in
            #expect(watcher.status().first?.mode == .inotify)
            makeDirectories(dir("a/b/c/d/e"))
            let switched = await log.wait {
                $0.contains {
                    if case .rescanNeeded(dir.path, let reason) = $0 {
                        reason.hasPrefix("switched to polling")
                    } else {
                        false
                    }
                }
            }
            #expect(switched)
            #expect(watcher.status().first?.mode == .polling)
            #expect(watcher.status().first?.reason == "watch budget of 4 directories reached")
            writeFile(dir("a/b/c/d/e/f"))
            #expect(await log.wait(for: .fileClosed(dir("a/b/c/d/e/f"))))
        }
    }

    @Test func statusReportsEffectiveModeAndReason() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("sub"))
        let recursive = WatchRoot(path: dir.path, depth: WatchRoot.unlimited)
        try await withWatcher(roots: [recursive], configuration: WatcherConfiguration()) { watcher, _ in
            // The temporary directory is on a local filesystem on CI and developer machines.
            #expect(!FileSystemKind.detect(path: dir.path).isNetwork)
            #expect(
                watcher.status() == [
                    RootStatus(root: dir.path, mode: .inotify, reason: nil, watchedDirectories: 2, state: .active)
                ])
            #expect(inotifyWatchedInodes().isSuperset(of: [inode(of: dir.path), inode(of: dir("sub"))]))
        }
        try await withWatcher(roots: [recursive], configuration: configuration(.polling)) { watcher, _ in
            #expect(watcher.status().first?.mode == .polling)
            #expect(watcher.status().first?.reason == "forced by configuration")
        }
    }

    @Test func stopAndCancellationCloseTheInotifyDescriptor() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let directoryInode = inode(of: dir.path)
        let root = WatchRoot(path: dir.path)

        // stop(): the stream ends and the watch disappears from /proc/self/fdinfo.
        let stopped = DirectoryWatcher(roots: [root], configuration: configuration(.inotify))
        var iterator = stopped.events.makeAsyncIterator()
        _ = await iterator.next()
        #expect(inotifyWatchedInodes().contains(directoryInode))
        stopped.stop()
        #expect(await iterator.next() == nil)
        #expect(await EventLog().wait(timeout: .seconds(5)) { _ in !inotifyWatchedInodes().contains(directoryInode) })

        // Cancelling the consuming task does the same.
        let cancelled = DirectoryWatcher(roots: [root], configuration: configuration(.inotify))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in cancelled.events {}
            }
            _ = await EventLog().wait(timeout: .seconds(5)) { _ in inotifyWatchedInodes().contains(directoryInode) }
            group.cancelAll()
        }
        #expect(await EventLog().wait(timeout: .seconds(5)) { _ in !inotifyWatchedInodes().contains(directoryInode) })
        var after = cancelled.events.makeAsyncIterator()
        #expect(await after.next() == nil)
    }

    @Test func releasingTheWatcherStopsIt() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let directoryInode = inode(of: dir.path)
        do {
            let watcher = DirectoryWatcher(roots: [WatchRoot(path: dir.path)], configuration: configuration(.inotify))
            #expect(await EventLog().wait(timeout: .seconds(5)) { _ in watcher.status().first?.state == .active })
        }
        #expect(await EventLog().wait(timeout: .seconds(5)) { _ in !inotifyWatchedInodes().contains(directoryInode) })
    }
}
