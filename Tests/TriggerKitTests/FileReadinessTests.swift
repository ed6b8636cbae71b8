import Foundation
import Testing
import TriggerKit
import Watchers

/// The readiness rules of a file trigger, decided by the pure ``FileReadiness`` on given times (no sleeping, no
/// files): the writer check, the quiet period, the settle fallback measured from discovery, ready markers.
struct FileReadinessTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let path = "/in/a.dat"

    func identity(size: Int64 = 10, mtime: Date, inode: UInt64 = 7) -> FileIdentity {
        FileIdentity(
            device: 1, inode: inode, size: size, mtimeNanoseconds: Int64(mtime.timeIntervalSince1970 * 1e9))
    }

    func readiness(settle: Double? = nil, marker: String? = nil) throws -> FileReadiness {
        FileReadiness(
            patterns: try FilePatternSet(["/in/*.dat"]),
            rules: ReadinessRules(settle: settle, readyMarker: try marker.map { try ReadyMarker($0) }))
    }

    @Test("Closed, no writer: due after the 25 ms quiet period and ready then")
    func quietPeriodAfterClose() throws {
        var r = try readiness()
        let result1 = r.fileChanged(path, now: t0)
        #expect(result1, "the first pending file wakes an idle trigger")
        #expect(r.dueForInspection(now: t0.addingTimeInterval(0.024)).isEmpty)
        #expect(r.soonDue(now: t0.addingTimeInterval(0.010), within: 0.025) == t0.addingTimeInterval(0.025))
        let now = t0.addingTimeInterval(0.025)
        #expect(r.dueForInspection(now: now) == [path])
        let id = identity(mtime: t0.addingTimeInterval(-0.001))
        let ready = r.inspected([FileInspection(path: path, identity: id, writer: .noWriter)], now: now)
        #expect(ready == [ScannedFile(path: path, identity: id)])
        #expect(r.rootRules["/in"] == .writerCheck)
    }

    @Test("A file written again within the quiet period (mtime newer) waits for its own quiet period")
    func recentMtimeWaits() throws {
        var r = try readiness()
        r.fileChanged(path, now: t0)
        let now = t0.addingTimeInterval(0.03)
        let id = identity(mtime: t0.addingTimeInterval(0.02))
        let result2 = r.inspected([FileInspection(path: path, identity: id, writer: .noWriter)], now: now)
        #expect(result2.isEmpty)
        let result3 = r.inspected([FileInspection(path: path, identity: id, writer: .noWriter)], now: now + 0.045)
        #expect(
            result3 == [
                ScannedFile(path: path, identity: id)
            ])
    }

    @Test("Open for writing: never ready, whatever its age; ready once the writer closed it")
    func writerOpenIsNeverTaken() throws {
        var r = try readiness()
        let old = identity(mtime: t0.addingTimeInterval(-3600))
        r.filesFound([ScannedFile(path: path, identity: old)], now: t0)
        for seconds in [1.0, 60, 3600] {
            let ready = r.inspected(
                [FileInspection(path: path, identity: old, writer: .writerOpen)], now: t0.addingTimeInterval(seconds))
            #expect(ready.isEmpty)
            #expect(r.pendingCount == 1)
        }
        let ready = r.inspected(
            [FileInspection(path: path, identity: old, writer: .noWriter)], now: t0.addingTimeInterval(3601))
        #expect(ready.count == 1)
    }

    @Test("An mtime in the future (clock skew, a copy that kept a wrong time) does not hold a file back")
    func futureMtime() throws {
        var r = try readiness()
        r.fileChanged(path, now: t0)
        let id = identity(mtime: t0.addingTimeInterval(3600))
        let result = r.inspected([FileInspection(path: path, identity: id, writer: .noWriter)], now: t0 + 0.03)
        #expect(result.count == 1)
    }

    @Test("A file removed while its batch was in the store is not remembered as submitted")
    func removedDuringSubmission() throws {
        var r = try readiness()
        let id = identity(mtime: t0)
        r.fileChanged(path, now: t0)
        let ready = r.inspected([FileInspection(path: path, identity: id, writer: .noWriter)], now: t0 + 1)
        r.removed(path)  // moved into processed/ right after its transaction
        r.settle(ready)
        // The same path and identity seen again (moved back) is a file to take, not one already taken.
        let again = r.filesFound([ScannedFile(path: path, identity: id)], now: t0 + 2)
        #expect(again)
    }

    @Test("Writer check refused: the settle period counts from discovery, not from an old mtime")
    func settleFromDiscovery() throws {
        var r = try readiness()
        let old = identity(mtime: t0.addingTimeInterval(-3600))
        r.filesFound([ScannedFile(path: path, identity: old)], now: t0)
        let refused = WriterCheck.unavailable("lease refused (EINVAL)")
        #expect(
            r.inspected([FileInspection(path: path, identity: old, writer: refused)], now: t0.addingTimeInterval(0.9))
                .isEmpty)
        #expect(r.rootRules["/in"] == .settle(reason: "lease refused (EINVAL)"))
        #expect(
            r.inspected([FileInspection(path: path, identity: old, writer: refused)], now: t0.addingTimeInterval(1.0))
                .count == 1)
    }

    @Test("A user settle period applies under both rules")
    func userSettle() throws {
        var r = try readiness(settle: 5)
        r.fileChanged(path, now: t0)
        let id = identity(mtime: t0)
        #expect(r.dueForInspection(now: t0.addingTimeInterval(4.9)).isEmpty)
        #expect(r.soonDue(now: t0.addingTimeInterval(4.9), within: ReadinessRules(settle: 5).tickGrace) == nil)
        let result4 = r.inspected([FileInspection(path: path, identity: id, writer: .noWriter)], now: t0 + 5)
        #expect(result4.count == 1)
    }

    @Test("A file that changed between two looks is timed again from the second look")
    func changedBetweenLooks() throws {
        var r = try readiness()
        let first = identity(size: 10, mtime: t0.addingTimeInterval(-10))
        r.filesFound([ScannedFile(path: path, identity: first)], now: t0)
        // Rewritten with its mtime set back (rsync -t, touch -d): only the identity shows the change.
        let second = identity(size: 20, mtime: t0.addingTimeInterval(-10))
        let now = t0.addingTimeInterval(1)
        let result5 = r.inspected([FileInspection(path: path, identity: second, writer: .noWriter)], now: now)
        #expect(result5.isEmpty)
        let result6 = r.inspected([FileInspection(path: path, identity: second, writer: .noWriter)], now: now + 0.025)
        #expect(result6.count == 1)
    }

    @Test("Submitted versions are not taken up again by scans; a new version is")
    func settledVersions() throws {
        var r = try readiness()
        let id = identity(mtime: t0.addingTimeInterval(-1))
        r.filesFound([ScannedFile(path: path, identity: id)], now: t0)
        r.settle([ScannedFile(path: path, identity: id)])
        #expect(r.isIdle)
        let result7 = r.filesFound([ScannedFile(path: path, identity: id)], now: t0 + 300)
        #expect(!result7)
        #expect(r.isIdle)
        // Opened for writing and closed without a change: looked at, then dropped without a submission.
        r.fileChanged(path, now: t0 + 301)
        let result8 = r.inspected([FileInspection(path: path, identity: id, writer: .noWriter)], now: t0 + 302)
        #expect(result8.isEmpty)
        #expect(r.isIdle)
        let rewritten = identity(size: 11, mtime: t0 + 303, inode: 8)
        let result9 = r.filesFound([ScannedFile(path: path, identity: rewritten)], now: t0 + 304)
        #expect(result9)
    }

    @Test("An event after the inspection keeps the file pending when its batch is settled")
    func eventDuringSubmission() throws {
        var r = try readiness()
        let id = identity(mtime: t0)
        r.fileChanged(path, now: t0)
        let ready = r.inspected([FileInspection(path: path, identity: id, writer: .noWriter)], now: t0 + 1)
        r.fileChanged(path, now: t0 + 1.001)  // written again while its batch is in the store
        r.settle(ready)
        #expect(r.pendingCount == 1)
    }

    @Test("Removed files and directories stop being pending; vanished files are dropped at inspection")
    func removals() throws {
        var r = try readiness()
        for name in ["a", "b", "c"] { r.fileChanged("/in/\(name).dat", now: t0) }
        r.removed("/in/a.dat")
        #expect(r.pendingCount == 2)
        let result10 = r.inspected(
            [FileInspection(path: "/in/b.dat", identity: nil, writer: .unavailable("ENOENT"))], now: t0 + 1)
        #expect(result10.isEmpty)
        #expect(r.pendingCount == 1)
    }

    @Test("Patterns, ignore rules, processed/ and excluded directories decide what is wanted")
    func wanted() throws {
        let r = FileReadiness(
            patterns: try FilePatternSet(["/in/**/*.dat"]), rules: ReadinessRules(),
            excludedDirectories: ["/in/own"])
        #expect(r.wants("/in/x/a.dat"))
        #expect(!r.wants("/in/processed/a.dat"))
        #expect(!r.wants("/in/.a.dat"))
        #expect(!r.wants("/in/own/a.dat"))
        #expect(!r.wants("/in/a.txt"))
    }

    @Test("Ready marker '*.done': the marker is required, and markers are never inputs")
    func perFileMarker() throws {
        var r = try readiness(marker: "*.done")
        #expect(!r.wants("/in/a.dat.done"))
        let marker = try ReadyMarker("*.done")
        #expect(marker.marker(for: path) == "/in/a.dat.done")
        r.fileChanged(path, now: t0)
        let id = identity(mtime: t0 - 1)
        let result11 = r.inspected(
            [FileInspection(path: path, identity: id, writer: .noWriter, markerPresent: false)], now: t0 + 1)
        #expect(result11.isEmpty)
        let result12 = r.inspected(
            [FileInspection(path: path, identity: id, writer: .noWriter, markerPresent: true)], now: t0 + 2)
        #expect(result12.count == 1)
    }

    @Test("Ready marker 'DONE' marks the directory; bad marker globs are refused with a message")
    func directoryMarkerAndErrors() throws {
        let marker = try ReadyMarker("DONE")
        #expect(marker.marker(for: "/in/x/a.dat") == "/in/x/DONE")
        #expect(marker.isMarker("/in/x/DONE"))
        #expect(!marker.isMarker("/in/x/DONE2"))
        for bad in ["", "a/b", "*.*", "?.done", "[a].done", "*"] {
            #expect(throws: TriggerError.self) { try ReadyMarker(bad) }
        }
    }
}
