import Foundation
import Glibc
import Testing

@testable import Watchers

struct PathUtilitiesTests {
    @Test func normalizeRemovesDotsDuplicateSlashesAndTrailingSlash() {
        #expect(PathUtilities.normalize("/a//b/./c/../d/") == "/a/b/d")
        #expect(PathUtilities.normalize("/") == "/")
        #expect(PathUtilities.normalize("/..") == "/")
        #expect(PathUtilities.normalize("rel/x").hasSuffix("/rel/x"))
        #expect(PathUtilities.normalize("rel/x").hasPrefix("/"))
    }

    @Test func joinParentAndPrefix() {
        #expect(PathUtilities.join("/", "a") == "/a")
        #expect(PathUtilities.join("/a", "b") == "/a/b")
        #expect(PathUtilities.parent("/a/b") == "/a")
        #expect(PathUtilities.parent("/a") == "/")
        #expect(PathUtilities.parent("/") == nil)
        #expect(PathUtilities.isSame("/a/b", orBelow: "/a"))
        #expect(PathUtilities.isSame("/a", orBelow: "/a"))
        #expect(!PathUtilities.isSame("/ab", orBelow: "/a"))
        #expect(PathUtilities.isSame("/x", orBelow: "/"))
    }

    @Test func watchRootNormalizesAndClampsDepth() {
        let root = WatchRoot(path: "/data//in/", depth: -3)
        #expect(root.path == "/data/in")
        #expect(root.depth == 0)
        #expect(WatchRoot(path: "/d", depth: WatchRoot.unlimited).isRecursive)
    }
}

struct FileSystemKindTests {
    @Test(arguments: [
        (UInt32(0x6969), "nfs"), (0x0BD0_0BD0, "lustre"), (0x4750_4653, "gpfs"), (0xFF53_4D42, "cifs"),
        (0xFE53_4D42, "smb2"), (0x6573_5546, "fuse"), (0x00C3_6400, "ceph"), (0x1983_0326, "beegfs"),
    ])
    func networkFilesystemsAreClassifiedAsNetwork(type: UInt32, name: String) {
        let kind = FileSystemKind.classify(type: type)
        #expect(kind.name == name)
        #expect(kind.isNetwork)
    }

    @Test func localAndUnknownFilesystemsAreNotNetwork() {
        #expect(FileSystemKind.classify(type: 0xEF53) == ("ext4", false))
        #expect(FileSystemKind.classify(type: 0x0102_1994) == ("tmpfs", false))
        #expect(FileSystemKind.classify(type: 0x1234_5678) == ("unknown (0x12345678)", false))
        #expect(FileSystemKind.pollingReason(type: 0x6969) == "nfs filesystem (statfs type 0x6969)")
    }

    @Test func detectUsesStatfsOnRealPaths() {
        // /proc is procfs on every Linux system; the statfs call goes through dlsym.
        #expect(FileSystemKind.magic(path: "/proc") == 0x9FA0)
        #expect(FileSystemKind.detect(path: "/proc") == ("proc", false))
        #expect(FileSystemKind.detect(path: "/nonexistent/\(UUID())") == ("unknown", false))
        #expect(StatfsCall.shared.type(descriptor: -1) == nil)
    }
}

struct InotifyEventParsingTests {
    /// Builds the kernel's wire format: 16-byte header, then the NUL-padded name.
    private func encode(wd: Int32, mask: UInt32, cookie: UInt32, name: String, padTo: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: wd.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: mask.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: cookie.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(padTo).littleEndian) { bytes += $0 }
        var nameBytes = Array(name.utf8)
        nameBytes += [UInt8](repeating: 0, count: padTo - nameBytes.count)
        return bytes + nameBytes
    }

    @Test func parsesConsecutiveEventsWithPaddedNames() {
        let buffer =
            encode(wd: 3, mask: InotifyFlag.closeWrite, cookie: 0, name: "data.txt", padTo: 16)
            + encode(wd: 4, mask: InotifyFlag.create | InotifyFlag.isDirectory, cookie: 7, name: "sub", padTo: 16)
            + encode(wd: -1, mask: InotifyFlag.queueOverflow, cookie: 0, name: "", padTo: 0)
        var events: [InotifyEvent] = []
        buffer.withUnsafeBytes { InotifyEvent.parse($0) { events.append($0) } }
        #expect(events.count == 3)
        #expect(events[0].watchDescriptor == 3 && events[0].name == "data.txt" && events[0].has(InotifyFlag.closeWrite))
        #expect(events[1].name == "sub" && events[1].cookie == 7 && events[1].has(InotifyFlag.isDirectory))
        #expect(events[2].watchDescriptor == -1 && events[2].name.isEmpty && events[2].has(InotifyFlag.queueOverflow))
        #expect(MemoryLayout<inotify_event>.size == 16)
    }

    @Test func truncatedTrailingEventIsIgnored() {
        let full = encode(wd: 1, mask: InotifyFlag.closeWrite, cookie: 0, name: "a", padTo: 16)
        let buffer = full + Array(full.prefix(20))
        var names: [String] = []
        buffer.withUnsafeBytes { InotifyEvent.parse($0) { names.append($0.name) } }
        #expect(names == ["a"])
    }
}

struct PollingSnapshotTests {
    private func file(inode: UInt64, size: Int64, mtime: Int64, ctime: Int64? = nil) -> PolledEntry {
        PolledEntry(
            identity: FileIdentity(device: 1, inode: inode, size: size, mtimeNanoseconds: mtime),
            ctimeNanoseconds: ctime ?? mtime, isDirectory: false)
    }

    private func directory(inode: UInt64) -> PolledEntry {
        PolledEntry(
            identity: FileIdentity(device: 1, inode: inode, size: 4096, mtimeNanoseconds: 0), ctimeNanoseconds: 0,
            isDirectory: true)
    }

    @Test func baselineIsSilentAndUnchangedSnapshotsGiveNothing() {
        var state = PollingSnapshot()
        state.baseline(["/r/a": file(inode: 1, size: 5, mtime: 10)])
        #expect(state.apply(["/r/a": file(inode: 1, size: 5, mtime: 10)]).isEmpty)
    }

    @Test func newFileIsClosedOnlyAfterOneUnchangedInterval() {
        var state = PollingSnapshot()
        state.baseline([:])
        #expect(state.apply(["/r/f": file(inode: 2, size: 10, mtime: 100)]).isEmpty)
        #expect(state.apply(["/r/f": file(inode: 2, size: 20, mtime: 200)]).isEmpty)  // still growing
        #expect(state.apply(["/r/f": file(inode: 2, size: 20, mtime: 200)]) == [.fileClosed("/r/f")])
        #expect(state.apply(["/r/f": file(inode: 2, size: 20, mtime: 200)]).isEmpty)  // reported once
        // Rewritten in place: reported again once stable.
        #expect(state.apply(["/r/f": file(inode: 2, size: 30, mtime: 300)]).isEmpty)
        #expect(state.apply(["/r/f": file(inode: 2, size: 30, mtime: 300)]) == [.fileClosed("/r/f")])
    }

    @Test func renameInsideTreeIsRemovedPlusMovedIn() {
        var state = PollingSnapshot()
        state.baseline(["/r/old": file(inode: 3, size: 1, mtime: 1)])
        let events = state.apply(["/r/new": file(inode: 3, size: 1, mtime: 1)])
        #expect(events == [.fileRemoved("/r/old"), .fileMovedIn("/r/new")])
    }

    @Test func newFileWithCtimeAfterMtimeIsMovedInAtOnce() {
        var state = PollingSnapshot()
        state.baseline([:])
        #expect(state.apply(["/r/m": file(inode: 4, size: 9, mtime: 100, ctime: 500)]) == [.fileMovedIn("/r/m")])
    }

    @Test func vanishedUnreportedFileIsSilentReportedFileIsRemoved() {
        var state = PollingSnapshot()
        state.baseline(["/r/kept": file(inode: 5, size: 1, mtime: 1)])
        #expect(
            state.apply(["/r/kept": file(inode: 5, size: 1, mtime: 1), "/r/tmp": file(inode: 6, size: 1, mtime: 2)])
                .isEmpty)
        #expect(state.apply([:]) == [.fileRemoved("/r/kept")])
    }

    @Test func directoriesAreAnnouncedParentsFirstAndRemovedChildrenFirst() {
        var state = PollingSnapshot()
        state.baseline([:])
        let created = state.apply([
            "/r/a": directory(inode: 10), "/r/a/b": directory(inode: 11),
            "/r/a/b/f": file(inode: 12, size: 1, mtime: 1, ctime: 2),
        ])
        #expect(created == [.directoryCreated("/r/a"), .directoryCreated("/r/a/b"), .fileMovedIn("/r/a/b/f")])
        #expect(state.apply([:]) == [.fileRemoved("/r/a/b/f"), .fileRemoved("/r/a/b"), .fileRemoved("/r/a")])
    }
}

struct ScanAndIdentityTests {
    @Test func scanHonoursDepthAndSkipsSymlinksUnlessFollowed() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("a/b"))
        writeFile(dir("top"), bytes: 3)
        writeFile(dir("a/mid"))
        writeFile(dir("a/b/deep"))
        symlink(dir("top"), dir("link-to-top"))
        symlink(dir("a"), dir("link-to-a"))
        mkfifo(dir("fifo"), 0o644)

        func names(_ depth: Int, follow: Bool = false) -> Set<String> {
            Set(scanFiles(root: WatchRoot(path: dir.path, depth: depth), followSymlinks: follow).map(\.path))
        }
        #expect(names(0) == [dir("top")])
        #expect(names(1) == [dir("top"), dir("a/mid")])
        #expect(names(WatchRoot.unlimited) == [dir("top"), dir("a/mid"), dir("a/b/deep")])
        // link-to-a and a are the same directory: it is listed once, under whichever name readdir gives first.
        let followed = names(WatchRoot.unlimited, follow: true)
        #expect(followed.count == 4)
        #expect(followed.isSuperset(of: [dir("top"), dir("link-to-top")]))
        #expect(scanFiles(root: WatchRoot(path: dir("missing"))).isEmpty)

        let scanned = try #require(scanFiles(root: WatchRoot(path: dir.path)).first)
        #expect(scanned.identity == FileIdentity.of(path: dir("top")))
        #expect(scanned.identity.size == 3)
    }

    @Test func followedSymlinkCyclesTerminate() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("a"))
        writeFile(dir("a/f"))
        symlink(dir.path, dir("a/loop"))  // a/loop → root
        let files = scanFiles(root: WatchRoot(path: dir.path, depth: WatchRoot.unlimited), followSymlinks: true)
        #expect(files.map(\.path) == [dir("a/f")])
    }

    @Test func identityIsForRegularFilesOnly() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        writeFile(dir("f"), bytes: 42)
        symlink(dir("f"), dir("l"))
        let identity = FileIdentity.of(path: dir("f"))
        #expect(identity?.size == 42)
        #expect(identity?.inode == inode(of: dir("f")))
        #expect(FileIdentity.of(path: dir("l")) == nil)
        #expect(FileIdentity.of(path: dir("l"), followSymlinks: true) == identity)
        #expect(FileIdentity.of(path: dir.path) == nil)
        #expect(FileIdentity.of(path: dir("nope")) == nil)
    }
}
