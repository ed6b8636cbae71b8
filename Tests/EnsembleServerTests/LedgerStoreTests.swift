import EMTestSupport
import EnsembleCore
import EnsembleStore
import Foundation
import GRDB
import Testing
import TriggerKit

/// The ledger at scale (issue 15) on a real SQLite store and real files: the bulk check a scan makes, and the
/// retention prune that never deletes the row of a file still there.
@Suite(.timeLimit(.minutes(1)))
struct LedgerStoreTests {
    /// A running file trigger `inbox` whose ledger holds `ignoring` (as `skip_existing` records them).
    static func fileTrigger(_ store: EMStore, basedir: String, ignoring: [TriggerInput]) async throws -> Int64 {
        _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
        var definition = TriggerDefinition()
        definition.interval = 60
        definition.filePatterns = [basedir + "/in/*.dat"]
        let t = try await store.createTrigger(
            ensemble: "e",
            TriggerRecord(
                id: nil, ensembleID: 0, name: "inbox", type: .filePattern, state: .running, reason: nil, created: 1,
                updated: 1, workflowScript: "/bin/true", workflowArgs: [], definition: definition, basedir: basedir,
                priority: 0, nextFire: nil, deadline: nil, fireCount: 0, lastFire: nil),
            ignoring: ignoring)
        return t.id!
    }

    /// The identity of a real file as the ledger keeps it.
    static func input(_ path: String) throws -> TriggerInput {
        try #require(TriggerInput.current(at: path))
    }

    @Test("A scan's ledger check gives the same answer in one pass as by look-ups, for 30,000 files")
    func bulkAndLookupsAgree() async throws {
        try await StoreTests.withStore { store, directory in
            let recorded = (0..<30_000).map {
                TriggerInput(path: "/in/f\($0).dat", device: 1, inode: UInt64($0), size: 10, mtimeNanoseconds: 5)
            }
            let id = try await Self.fileTrigger(store, basedir: directory.path, ignoring: recorded)
            // Every third one as recorded, every third replaced (another size), every third never seen.
            let scan = recorded.enumerated().map { n, f in
                switch n % 3 {
                case 0: f
                case 1: TriggerInput(path: f.path, device: 1, inode: f.inode, size: 11, mtimeNanoseconds: 5)
                default: TriggerInput(path: "/in/new\(n).dat", device: 1, inode: f.inode, size: 10, mtimeNanoseconds: 5)
                }
            }
            let bulk = try await store.ledgerFlags(triggerID: id, files: scan, bulkAbove: 0)
            let lookups = try await store.ledgerFlags(triggerID: id, files: scan, bulkAbove: .max)
            #expect(bulk == lookups)
            #expect(bulk == scan.indices.map { $0 % 3 == 0 })
            #expect(try await store.ledgerFlags(triggerID: id, files: []) == [])
        }
    }

    @Test(
        "The prune deletes old rows of gone files only: present files, young rows and pending moves keep theirs")
    func pruneKeepsPresentFiles() async throws {
        try await StoreTests.withStore { store, directory in
            let dir = directory.file("in")
            try FileManager.default.createDirectory(atPath: dir + "/processed", withIntermediateDirectories: true)
            let names = ["gone", "present", "replaced", "young", "moving", "moved", "moved-gone"]
            var inputs: [String: TriggerInput] = [:]
            for name in names {
                let path = dir + "/\(name).dat"
                try Data("data \(name)\n".utf8).write(to: URL(fileURLWithPath: path))
                inputs[name] = try Self.input(path)
            }
            let id = try await Self.fileTrigger(store, basedir: directory.path, ignoring: names.map { inputs[$0]! })
            let old = EMStore.now() - 40 * 86_400
            try await store.pool.write { db in
                try db.execute(
                    sql: "UPDATE trigger_file SET recorded = ? WHERE path NOT LIKE '%/young.dat'", arguments: [old])
                for name in ["moving", "moved", "moved-gone"] {
                    try db.execute(
                        sql: "UPDATE trigger_file SET moved_to = ?, move_done = ? WHERE path = ?",
                        arguments: [dir + "/processed/\(name).dat", name == "moving" ? 0 : 1, dir + "/\(name).dat"])
                }
            }
            for name in ["gone", "young", "moving", "moved-gone"] {
                try FileManager.default.removeItem(atPath: dir + "/\(name).dat")
            }
            // The moved file lives on in processed/ with its identity; the replaced one has another content.
            try FileManager.default.moveItem(atPath: dir + "/moved.dat", toPath: dir + "/processed/moved.dat")
            try Data("another content\n".utf8).write(to: URL(fileURLWithPath: dir + "/replaced.dat"))

            let cutoff = EMStore.now() - 30 * 86_400
            let first = try await store.pruneLedger(recordedBefore: cutoff, detail: "test", batch: 2)
            #expect(first.total == 3 && first.pruned == [id: 3] && first.kept == 3, "\(first)")
            let left = try await store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT path FROM trigger_file ORDER BY path")
            }
            #expect(left == ["moved", "moving", "present", "young"].map { dir + "/\($0).dat" })
            // The present file is still recorded: a scan settles it, a submission leaves it out.
            let present = try #require(inputs["present"])
            #expect(try await store.ledgerFlags(triggerID: id, files: [present]) == [true])
            let result = try await store.submitTriggerFiles(id: id, files: [present], nextFire: nil)
            #expect(result == .nothing)

            // Nothing more to prune: the history keeps one row; more pruned later counts into it.
            #expect(try await store.pruneLedger(recordedBefore: cutoff, detail: "test").total == 0)
            try FileManager.default.removeItem(atPath: dir + "/present.dat")
            #expect(try await store.pruneLedger(recordedBefore: cutoff, detail: "test").total == 1)
            let history = try await store.triggerHistory(triggerID: id, limit: 10)
            let pruned = history.filter { $0.event == "ledger-pruned" }
            #expect(pruned.count == 1 && pruned.first?.count == 4 && pruned.first?.detail == "test", "\(history)")
        }
    }
}
