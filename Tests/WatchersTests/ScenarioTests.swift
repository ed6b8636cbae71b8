import Foundation
import Glibc
import Testing

@testable import Watchers

/// The same behaviour, checked against real inotify and against the polling watcher.
@Suite(.timeLimit(.minutes(1)))
struct ScenarioTests {
    static let modes: [WatchMode] = [.inotify, .polling]

    @Test(arguments: modes)
    func closedFileIsReported(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try await withWatcher(roots: [WatchRoot(path: dir.path)], configuration: configuration(mode)) { watcher, log in
            writeFile(dir("result.dat"), bytes: 100)
            #expect(await log.wait(for: .fileClosed(dir("result.dat"))))
            #expect(watcher.status().first?.mode == mode)
            #expect(watcher.status().first?.state == .active)
        }
    }

    @Test(arguments: modes)
    func fileRenamedIntoDirectoryIsMovedIn(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        let staging = TemporaryDirectory()
        defer {
            dir.remove()
            staging.remove()
        }
        try await withWatcher(roots: [WatchRoot(path: dir.path)], configuration: configuration(mode)) { _, log in
            writeFile(staging("upload.tmp"), bytes: 1000)
            // A real upload is renamed some time after its last write; the gap makes ctime > mtime for polling.
            try await Task.sleep(for: .milliseconds(20))
            #expect(rename(staging("upload.tmp"), dir("upload.dat")) == 0)
            #expect(await log.wait(for: .fileMovedIn(dir("upload.dat"))))
            #expect(!log.contains(.fileClosed(dir("upload.dat"))))
        }
    }

    /// 100 chunks 10 ms apart: the closed event must come after the last write, with the whole file there.
    @Test(arguments: modes)
    func chunkedWriteIsReportedOnceAfterTheLastWrite(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir("stream.bin")
        let chunk = [UInt8](repeating: 0x42, count: 1000)
        // Polling: the interval must exceed the gap between writes, or a pause would look like a close. The
        // writer runs on its own thread so pool starvation from parallel tests cannot stretch the gaps; a whole
        // second leaves room for the scheduler delays of a loaded 2-core machine.
        let config = configuration(mode, pollInterval: .seconds(1))
        try await withWatcher(roots: [WatchRoot(path: dir.path)], configuration: config) { _, log in
            let descriptor = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
            try #require(descriptor >= 0)
            let earlyReports = await onThread {
                var early = 0
                for index in 0..<100 {
                    _ = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                    if index < 99 { usleep(10_000) }
                    if log.contains(.fileClosed(path)) { early += 1 }
                }
                return early
            }
            #expect(earlyReports == 0, "closed reported before the last write")
            close(descriptor)
            #expect(await log.wait(for: .fileClosed(path)))
            #expect(FileIdentity.of(path: path)?.size == 100_000)
            try await Task.sleep(for: .milliseconds(400))  // nothing more may follow
            #expect(log.count(.fileClosed(path)) == 1)
            #expect(!log.contains(.fileMovedIn(path)))
        }
    }

    @Test(arguments: modes)
    func deletedAndMovedOutFilesAreRemoved(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        let outside = TemporaryDirectory()
        defer {
            dir.remove()
            outside.remove()
        }
        writeFile(dir("doomed"))
        writeFile(dir("leaving"))
        try await withWatcher(roots: [WatchRoot(path: dir.path)], configuration: configuration(mode)) { _, log in
            unlink(dir("doomed"))
            rename(dir("leaving"), outside("left"))
            #expect(
                await log.wait { $0.contains(.fileRemoved(dir("doomed"))) && $0.contains(.fileRemoved(dir("leaving"))) }
            )
        }
    }

    @Test(arguments: modes)
    func newDirectoriesInRecursiveRootAreWatchedAndScanned(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let root = WatchRoot(path: dir.path, depth: WatchRoot.unlimited)
        try await withWatcher(roots: [root], configuration: configuration(mode)) { _, log in
            makeDirectories(dir("a/b/c"))
            writeFile(dir("a/b/c/f"))
            #expect(await log.wait(for: .fileClosed(dir("a/b/c/f"))))
            for directory in ["a", "a/b", "a/b/c"] {
                #expect(log.contains(.directoryCreated(dir(directory))))
            }
            // A file created later in the new directory comes from its own watch (or the next poll).
            writeFile(dir("a/b/c/g"))
            #expect(await log.wait(for: .fileClosed(dir("a/b/c/g"))))
            let created = log.all.compactMap { if case .directoryCreated(let path) = $0 { path } else { nil } }
            #expect(created.firstIndex(of: dir("a")) ?? 99 < created.firstIndex(of: dir("a/b/c")) ?? -1)
        }
    }

    @Test(arguments: modes)
    func depthLimitsWhatIsReported(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("one/two"))
        let root = WatchRoot(path: dir.path, depth: 1)
        try await withWatcher(roots: [root], configuration: configuration(mode)) { watcher, log in
            writeFile(dir("one/two/too-deep"))
            writeFile(dir("one/in-range"))
            writeFile(dir("top"))
            #expect(
                await log.wait { $0.contains(.fileClosed(dir("one/in-range"))) && $0.contains(.fileClosed(dir("top"))) }
            )
            try await Task.sleep(for: .milliseconds(300))
            #expect(!log.all.contains { $0.path.hasPrefix(dir("one/two/")) })
            if mode == .inotify { #expect(watcher.status().first?.watchedDirectories == 2) }
        }
    }

    @Test(arguments: modes)
    func rootCreatedLaterIsAnnouncedAndWatched(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rootPath = dir("not/yet/there")
        let root = WatchRoot(path: rootPath, depth: WatchRoot.unlimited)
        // inotify: a 60 s interval proves the ancestor watch, not the periodic stat, notices the new root.
        let config = configuration(mode, pollInterval: mode == .inotify ? .seconds(60) : .milliseconds(100))
        try await withWatcher(roots: [root], configuration: config) { watcher, log in
            #expect(await log.wait(timeout: .seconds(2)) { _ in watcher.status().first?.state == .waitingForRoot })
            #expect(watcher.status().first?.mode == mode)
            makeDirectories(dir("not/yet"))
            try await Task.sleep(for: .milliseconds(30))
            makeDirectories(rootPath + "/sub")
            writeFile(rootPath + "/sub/early")
            #expect(await log.wait(for: .rootAppeared(rootPath)))
            #expect(await log.wait { $0.contains(.fileClosed(rootPath + "/sub/early")) })
            writeFile(rootPath + "/late")
            #expect(await log.wait(for: .fileClosed(rootPath + "/late")))
            #expect(watcher.status().first?.state == .active)
            #expect(watcher.status().first?.mode == mode)
        }
    }

    @Test(arguments: modes)
    func deletedRootIsReportedAndRewatchedWhenRecreated(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rootPath = dir("root")
        makeDirectories(rootPath)
        let config = configuration(mode, pollInterval: mode == .inotify ? .seconds(60) : .milliseconds(100))
        try await withWatcher(roots: [WatchRoot(path: rootPath)], configuration: config) { watcher, log in
            try FileManager.default.removeItem(atPath: rootPath)
            #expect(await log.wait(for: .rootGone(rootPath)))
            #expect(await log.wait(timeout: .seconds(2)) { _ in watcher.status().first?.state == .waitingForRoot })
            makeDirectories(rootPath)
            #expect(await log.wait(for: .rootAppeared(rootPath)))
            writeFile(rootPath + "/again")
            #expect(await log.wait(for: .fileClosed(rootPath + "/again")))
        }
    }

    @Test(arguments: modes)
    func firstEventOfEachExistingRootIsTheInitialRescan(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("one"))
        makeDirectories(dir("two"))
        writeFile(dir("one/existing"))
        let roots = [WatchRoot(path: dir("one")), WatchRoot(path: dir("two")), WatchRoot(path: dir("missing"))]
        let watcher = DirectoryWatcher(roots: roots, configuration: configuration(mode))
        defer { watcher.stop() }
        var iterator = watcher.events.makeAsyncIterator()
        var initial: Set<String> = []
        for _ in 0..<2 {
            guard case .rescanNeeded(let root, let reason) = await iterator.next() else {
                Issue.record("expected an initial rescanNeeded")
                return
            }
            #expect(reason.hasPrefix("initial scan"))
            initial.insert(root)
        }
        #expect(initial == [dir("one"), dir("two")])
        // Pre-existing files are not announced (the consumer's scan finds them); new ones are.
        writeFile(dir("two/new"))
        #expect(await iterator.next() == .fileClosed(dir("two/new")))
        #expect(watcher.status().map(\.state) == [.active, .active, .waitingForRoot])
    }

    @Test(arguments: modes)
    func renamedAncestorMakesTheRootGone(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rootPath = dir("a/root")
        makeDirectories(rootPath)
        try await withWatcher(roots: [WatchRoot(path: rootPath)], configuration: configuration(mode)) { watcher, log in
            #expect(rename(dir("a"), dir("b")) == 0)  // inotify on the root itself sees nothing
            #expect(await log.wait(for: .rootGone(rootPath)))
            #expect(await log.wait(timeout: .seconds(2)) { _ in watcher.status().first?.state == .waitingForRoot })
            writeFile(dir("b/root/written-while-gone"))
            #expect(rename(dir("b"), dir("a")) == 0)
            #expect(await log.wait(for: .rootAppeared(rootPath)))
            #expect(await log.wait(for: .fileClosed(rootPath + "/written-while-gone")))  // announced on appearance
        }
    }

    @Test(arguments: modes)
    func symbolicLinksAreIgnoredUnlessFollowed(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        let target = TemporaryDirectory()
        defer {
            dir.remove()
            target.remove()
        }
        writeFile(target("real"))
        try await withWatcher(roots: [WatchRoot(path: dir.path)], configuration: configuration(mode)) { _, log in
            symlink(target("real"), dir("link"))
            writeFile(dir("marker"))
            #expect(await log.wait(for: .fileClosed(dir("marker"))))
            try await Task.sleep(for: .milliseconds(250))
            #expect(!log.all.contains { $0.path == dir("link") })
        }
        var followed = configuration(mode)
        followed.followSymlinks = true
        try await withWatcher(roots: [WatchRoot(path: dir.path)], configuration: followed) { _, log in
            symlink(target("real"), dir("link2"))
            #expect(await log.wait(for: .fileMovedIn(dir("link2"))))
        }
    }

    /// `mkdir -p a/b/c && touch a/b/c/f`, 1,000 times, as fast as possible: every file must be seen.
    @Test(arguments: modes)
    func thousandNestedDirectoryRacesAllSeen(mode: WatchMode) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let root = WatchRoot(path: dir.path, depth: WatchRoot.unlimited)
        try await withWatcher(roots: [root], configuration: configuration(mode)) { _, log in
            let expected: Set<String> = await onThread {
                var expected: Set<String> = []
                for iteration in 0..<1000 {
                    let leaf = dir("i\(iteration)/a/b/c")
                    makeDirectories(leaf)
                    writeFile(leaf + "/f", bytes: 0)
                    expected.insert(leaf + "/f")
                }
                return expected
            }
            let allSeen = await log.wait(timeout: .seconds(20)) { events in
                var missing = expected
                for event in events {
                    if case .fileClosed(let path) = event { missing.remove(path) }
                }
                return missing.isEmpty
            }
            #expect(allSeen)
            #expect(
                !log.all.contains {
                    if case .rescanNeeded(_, let reason) = $0 { reason.contains("overflow") } else { false }
                })
        }
    }
}
