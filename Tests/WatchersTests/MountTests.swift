import Foundation
import Glibc
import Testing

@testable import Watchers

/// Real mounts: needs root (CAP_SYS_ADMIN), as on CI and the development machines; skipped otherwise.
/// The FUSE test also needs `bindfs` (Debian package `bindfs`).
@Suite(.timeLimit(.minutes(1)), .enabled(if: geteuid() == 0))
struct MountTests {
    static let hasBindfs =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/bindfs")
        && FileManager.default.fileExists(atPath: "/dev/fuse")

    @Test func unmountedRootIsReportedGoneThenTheMountPointIsWatched() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let mountPoint = dir("mnt")
        makeDirectories(mountPoint)
        guard mount("none", mountPoint, "tmpfs", 0, nil) == 0 else {
            Issue.record("mount tmpfs failed: errno \(errno)")
            return
        }
        var mounted = true
        defer { if mounted { umount2(mountPoint, Int32(MNT_DETACH)) } }
        #expect(FileSystemKind.detect(path: mountPoint).name == "tmpfs")
        // A 60 s interval: only IN_UNMOUNT can explain a quick rootGone.
        let config = configuration(.automatic, pollInterval: .seconds(60))
        try await withWatcher(roots: [WatchRoot(path: mountPoint)], configuration: config) { watcher, log in
            writeFile(mountPoint + "/on-tmpfs")
            #expect(await log.wait(for: .fileClosed(mountPoint + "/on-tmpfs")))
            #expect(umount(mountPoint) == 0)
            mounted = false
            #expect(await log.wait(for: .rootGone(mountPoint)))
            // The directory underneath still exists, so the root comes straight back (now on ext4/…).
            #expect(await log.wait(for: .rootAppeared(mountPoint)))
            writeFile(mountPoint + "/underneath")
            #expect(await log.wait(for: .fileClosed(mountPoint + "/underneath")))
            #expect(watcher.status().first?.state == .active)
        }
    }

    @Test func unmountBelowTheRootRewatchesTheDirectoryUnderneath() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let mountPoint = dir("sub")
        makeDirectories(mountPoint)
        guard mount("none", mountPoint, "tmpfs", 0, nil) == 0 else {
            Issue.record("mount tmpfs failed: errno \(errno)")
            return
        }
        var mounted = true
        defer { if mounted { umount2(mountPoint, Int32(MNT_DETACH)) } }
        let root = WatchRoot(path: dir.path, depth: WatchRoot.unlimited)
        let config = configuration(.automatic, pollInterval: .seconds(60))
        try await withWatcher(roots: [root], configuration: config) { watcher, log in
            #expect(watcher.status().first?.watchedDirectories == 2)
            #expect(umount(mountPoint) == 0)
            mounted = false
            #expect(await log.wait(for: .directoryCreated(mountPoint)))
            writeFile(mountPoint + "/underneath")
            #expect(await log.wait(for: .fileClosed(mountPoint + "/underneath")))
            #expect(!log.all.contains(.rootGone(dir.path)))
        }
    }

    /// A FUSE mount (bindfs) is classified as network-like: automatic mode polls it, and sees a write made
    /// behind the mount's back (to its source directory), which inotify on the mount would never report.
    @Test(.enabled(if: hasBindfs)) func fuseMountIsPolledAutomaticallyAndSeesBackendWrites() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let source = dir("source")
        let mountPoint = dir("outer/fuse")
        makeDirectories(source)
        makeDirectories(mountPoint)
        let status = await onThread { runCommand("/usr/bin/bindfs", [source, mountPoint]) }
        try #require(status == 0, "bindfs failed")
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        #expect(FileSystemKind.detect(path: mountPoint) == ("fuse", true))

        let roots = [WatchRoot(path: mountPoint), WatchRoot(path: dir("outer"), depth: WatchRoot.unlimited)]
        try await withWatcher(roots: roots, configuration: configuration(.automatic)) { watcher, log in
            let statuses = watcher.status()
            #expect(statuses[0].mode == .polling)
            #expect(statuses[0].reason == "fuse filesystem (statfs type 0x65735546)")
            // The local parent root contains the FUSE mount, so the whole root is polled, and says where.
            #expect(statuses[1].mode == .polling)
            #expect(statuses[1].reason == "fuse filesystem at \(mountPoint) (statfs type 0x65735546)")

            writeFile(source + "/from-backend", bytes: 10)
            #expect(await log.wait(for: .fileClosed(mountPoint + "/from-backend")))
        }
    }
}

extension MountTests {
    /// On a network-like filesystem (FUSE here, as NFS or SMB) the writer probe never answers from a lease, which
    /// says nothing about other machines (and NFSv4/SMB refuse it with EAGAIN without a delegation): it says
    /// `unavailable`, with the file's identity, so the trigger falls back to its settle rule.
    @Test(.enabled(if: hasBindfs)) func writerProbeOnAFuseMountIsUnavailableWithTheIdentity() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let source = dir("source")
        let mountPoint = dir("fuse")
        makeDirectories(source)
        makeDirectories(mountPoint)
        let status = await onThread { runCommand("/usr/bin/bindfs", [source, mountPoint]) }
        try #require(status == 0, "bindfs failed")
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        writeFile(source + "/closed", bytes: 10)
        let closed = WriterProbe.inspect(path: mountPoint + "/closed")
        #expect(closed.identity?.size == 10)
        #expect(closed.writer == .unavailable("fuse filesystem: a lease cannot see other machines' writers"))
        let held = open(source + "/held", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        try #require(held >= 0)
        defer { close(held) }
        let look = WriterProbe.inspect(path: mountPoint + "/held")
        #expect(look.identity != nil)
        guard case .unavailable = look.writer else {
            Issue.record("expected unavailable, got \(look.writer)")
            return
        }
    }
}

/// posix_spawn + waitpid (Foundation's Process did not notice the exit of the daemonising bindfs here).
func runCommand(_ path: String, _ arguments: [String]) -> Int32 {
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}
