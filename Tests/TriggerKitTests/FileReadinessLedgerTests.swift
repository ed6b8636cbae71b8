import Foundation
import Testing
import TriggerKit
import Watchers

/// The scan path at scale (issue 15), decided by the pure ``FileReadiness``: a scan's files the ledger already
/// holds are settled without an inspection, only the others become pending; what is settled is forgotten with its
/// file or directory.
struct FileReadinessLedgerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func file(_ path: String, inode: UInt64, size: Int64 = 10) -> ScannedFile {
        ScannedFile(path: path, identity: FileIdentity(device: 1, inode: inode, size: size, mtimeNanoseconds: 5))
    }

    func readiness(_ pattern: String = "/in/**/*.dat") throws -> FileReadiness {
        FileReadiness(patterns: try FilePatternSet([pattern]), rules: ReadinessRules())
    }

    @Test("A scan's files already in the ledger are settled uninspected; only the others become pending")
    func recordedFilesAreSettled() throws {
        var r = try readiness()
        let old = file("/in/old.dat", inode: 1)
        let new = file("/in/new.dat", inode: 2)
        #expect(r.unknown([old, new]) == [old, new], "a fresh trigger knows nothing")
        r.recordedFound([old])
        let woke = r.filesFound([old, new], now: t0)
        #expect(woke)
        #expect(r.pendingPaths == ["/in/new.dat"])
        #expect(r.settledCount == 1)
        #expect(r.dueForInspection(now: t0 + 0.025) == ["/in/new.dat"])
        // The next scan asks the ledger about nothing: one file is settled, the other pending.
        #expect(r.unknown([old, new]).isEmpty)
        // The settled file replaced (a new size): the ledger is asked again, and it is pending when not recorded.
        let replaced = file("/in/old.dat", inode: 1, size: 11)
        #expect(r.unknown([replaced, new]) == [replaced])
        r.filesFound([replaced], now: t0 + 1)
        #expect(r.pendingPaths == ["/in/new.dat", "/in/old.dat"])
    }

    @Test("A file pending from an earlier scan and found in the ledger is no longer pending")
    func pendingFromScanIsSettled() throws {
        var r = try readiness()
        let a = file("/in/a.dat", inode: 1)
        r.filesFound([a], now: t0)
        r.recordedFound([a])
        #expect(r.isIdle)
        #expect(r.unknown([a]).isEmpty)
    }

    @Test("A file pending since an event waits for its inspection, which drops it when it is the recorded version")
    func pendingFromEventIsInspected() throws {
        var r = try readiness()
        let a = file("/in/a.dat", inode: 1)
        r.fileChanged(a.path, now: t0)
        r.recordedFound([a])
        #expect(r.pendingPaths == [a.path], "an event may mean a new version: it is looked at")
        let same = r.inspected([FileInspection(path: a.path, identity: a.identity, writer: .noWriter)], now: t0 + 1)
        #expect(same.isEmpty && r.isIdle, "unchanged: the recorded version, dropped")

        r.fileChanged(a.path, now: t0 + 2)
        let changed = FileIdentity(device: 1, inode: 1, size: 99, mtimeNanoseconds: 5)
        let ready = r.inspected([FileInspection(path: a.path, identity: changed, writer: .noWriter)], now: t0 + 3)
        #expect(ready == [ScannedFile(path: a.path, identity: changed)])
    }

    @Test("Files the pattern does not want are never settled")
    func unwantedFilesAreIgnored() throws {
        var r = try readiness("/in/*.dat")
        r.recordedFound([file("/in/x.txt", inode: 1), file("/in/processed/a.dat", inode: 2)])
        #expect(r.settledCount == 0)
    }

    @Test("Settled files are forgotten with their file, or with a directory above them (not a sibling's)")
    func settledFilesAreForgotten() throws {
        var r = try readiness()
        let files = [
            file("/in/a/x.dat", inode: 1), file("/in/a/b/y.dat", inode: 2), file("/in/ab/z.dat", inode: 3),
            file("/in/top.dat", inode: 4),
        ]
        r.recordedFound(files)
        #expect(r.settledCount == 4)
        r.removed("/in/top.dat")
        #expect(r.settledCount == 3)
        r.removed("/in/a")
        #expect(r.settledCount == 1)
        #expect(r.unknown(files) == [files[0], files[1], files[3]])
        // Gone means new: found again, the same version becomes pending (the ledger check decides).
        let woke = r.filesFound([files[0]], now: t0)
        #expect(woke)
    }
}
