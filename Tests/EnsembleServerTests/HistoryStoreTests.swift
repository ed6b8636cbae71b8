import EMTestSupport
import EnsembleCore
import EnsembleStore
import Foundation
import GRDB
import Testing
import TriggerKit

/// The history queries of issue 15 on a real store: which workflow took a file among 100,000, the ledger's
/// pages newest first with the predecessors' rows, the input files of a workflow, and lists paged by id.
@Suite(.timeLimit(.minutes(3)))
struct HistoryStoreTests {
    /// A running file trigger `name` of ensemble `e`.
    static func fileTrigger(_ store: EMStore, _ name: String, basedir: String, skipping: [TriggerInput] = [])
        async throws -> TriggerRecord
    {
        var definition = TriggerDefinition()
        definition.interval = 60
        definition.filePatterns = ["/data/in/*.dat"]
        return try await store.createTrigger(
            ensemble: "e",
            TriggerRecord(
                id: nil, ensembleID: 0, name: name, type: .filePattern, state: .running, reason: nil, created: 1,
                updated: 1, workflowScript: "/bin/true", workflowArgs: [], definition: definition, basedir: basedir,
                priority: 0, nextFire: nil, deadline: nil, fireCount: 0, lastFire: nil),
            ignoring: skipping)
    }

    static func file(_ n: Int, directory: String = "/data/in") -> TriggerInput {
        TriggerInput(
            path: "\(directory)/f\(n).dat", device: 7, inode: UInt64(n + 1), size: Int64(n), mtimeNanoseconds: 1_000)
    }

    @Test("trigger-files finds the workflow of one file among 100,000 submitted files, through the path index")
    func findsTheWorkflowOfAFileAmongMany() async throws {
        try await StoreTests.withStore { store, directory in
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            let t = try await Self.fileTrigger(store, "inbox", basedir: directory.path)
            // 100 submissions of 1,000 files each, through the engine's own transaction.
            var workflows: [String] = []
            for batch in 0..<100 {
                let files = (0..<1000).map { Self.file(batch * 1000 + $0) }
                let result = try await store.submitTriggerFiles(id: t.id!, files: files, nextFire: nil)
                workflows.append(try #require(result.workflow))
            }
            let count = try await store.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trigger_file")
            }
            #expect(count == 100_000)

            let clock = ContinuousClock()
            let start = clock.now
            let found = try await store.triggerFiles(
                ensemble: "e", trigger: "inbox", query: LedgerQuery(path: "/data/in/f73456.dat"))
            let elapsed = clock.now - start
            #expect(found.rows.count == 1 && !found.more)
            #expect(found.rows.first?.workflow == workflows[73])
            #expect(found.rows.first?.workflowState == .ready)
            #expect(found.rows.first?.trigger == "inbox")
            #expect(found.rows.first?.inode == 73457 && found.rows.first?.size == 73456)
            // Generous for a debug build on a loaded CI machine; the plan below shows that it is one index search.
            #expect(elapsed < .seconds(10), "lookup took \(elapsed)")
            print("trigger-files: one path among 100,000 ledger rows in \(elapsed)")

            // The plan: a search of the unique (trigger_id, path, ...) index, not a scan of the ledger; a glob with a
            // literal prefix reads a range of it.
            for (path, search) in [("/data/in/f73456.dat", "path=?"), ("/data/in/f7345*", "path>? AND path<?")] {
                let plan = try await store.pool.read { db in
                    let (sql, arguments) = EMStore.ledgerSQL(triggerID: t.id!, query: LedgerQuery(path: path))
                    return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                        .map { $0["detail"] as String }
                }
                let ledgerStep = try #require(plan.first { $0.hasPrefix("SEARCH f ") || $0.hasPrefix("SCAN f") })
                #expect(ledgerStep.hasPrefix("SEARCH f USING INDEX sqlite_autoindex_trigger_file"), "\(plan)")
                #expect(ledgerStep.contains("(trigger_id=? AND \(search))"), "\(plan)")
            }

            // A glob with a literal prefix, newest first, with the page's cursor.
            let glob = try await store.triggerFiles(
                ensemble: "e", trigger: "inbox", query: LedgerQuery(path: "/data/in/f9999?.dat", limit: 5))
            #expect(glob.rows.map(\.path) == (0..<5).map { "/data/in/f9999\(9 - $0).dat" })
            #expect(glob.more)
            let rest = try await store.triggerFiles(
                ensemble: "e", trigger: "inbox",
                query: LedgerQuery(path: "/data/in/f9999?.dat", limit: 5, before: glob.rows.last!.id))
            #expect(rest.rows.map(\.path) == (5..<10).map { "/data/in/f9999\(9 - $0).dat" })
            #expect(!rest.more)

            // A broad prefix (the whole ledger) is not read whole and sorted: it goes newest first by id.
            #expect(
                try await store.pool.read { db in
                    !(try EMStore.pathRangeIsSmall(db, triggerID: t.id!, pattern: "/data/in/*"))
                })
            let broadPlan = try await store.pool.read { db in
                let (sql, arguments) = EMStore.ledgerSQL(
                    triggerID: t.id!, query: LedgerQuery(path: "/data/in/*"), pathRange: false)
                return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                    .map { $0["detail"] as String }
            }
            #expect(!broadPlan.contains { $0.contains("TEMP B-TREE") }, "\(broadPlan)")
            let broad = try await store.triggerFiles(
                ensemble: "e", trigger: "inbox", query: LedgerQuery(path: "/data/in/*", limit: 3))
            #expect(broad.rows.map(\.path) == (0..<3).map { "/data/in/f\(99_999 - $0).dat" } && broad.more)

            // A page of the newest files, and a `since` that matches nothing (the worst case: the whole ledger is
            // read in id order; printed, about 40 ms).
            let newest = try await store.triggerFiles(ensemble: "e", trigger: "inbox", query: LedgerQuery())
            #expect(newest.rows.count == 100 && newest.rows.first?.path == "/data/in/f99999.dat" && newest.more)
            let scanStart = clock.now
            let none = try await store.triggerFiles(
                ensemble: "e", trigger: "inbox", query: LedgerQuery(since: EMStore.now() + 3600))
            let scan = clock.now - scanStart
            #expect(none.rows.isEmpty && scan < .seconds(10), "since scan took \(scan)")
            print("trigger-files: since matching none of 100,000 ledger rows in \(scan)")

            // The input files of a workflow, by path.
            let (_, w) = try await store.workflow(ensemble: "e", name: workflows[5])
            let inputs = try await store.inputFiles(workflowID: w.id!)
            #expect(inputs.count == 1000)
            #expect(inputs.first?.path == "/data/in/f5000.dat" && inputs.allSatisfy { $0.trigger == "inbox" })
        }
    }

    @Test("The ledger pages newest first across the predecessors' rows; skipped and deleted workflows show so")
    func ledgerPagesAcrossPredecessors() async throws {
        try await StoreTests.withStore { store, directory in
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            let first = try await Self.fileTrigger(store, "files", basedir: directory.path, skipping: [Self.file(0)])
            let a = try #require(
                try await store.submitTriggerFiles(id: first.id!, files: [Self.file(1), Self.file(2)], nextFire: nil)
                    .workflow)
            _ = try await store.setTriggerState(id: first.id!, .stopped, reason: "stopped")
            // Re-created under the same name: it shares the ledger.
            let second = try await Self.fileTrigger(store, "files", basedir: directory.path)
            let b = try #require(
                try await store.submitTriggerFiles(id: second.id!, files: [Self.file(3)], nextFire: nil).workflow)
            // Its first workflow ended and was deleted.
            let (_, wa) = try await store.workflow(ensemble: "e", name: a)
            try await store.updateWorkflow(id: wa.id!, expecting: .ready) { _ in (.successful, "test") }
            _ = try await store.deleteWorkflow(ensemble: "e", name: a)

            var seen: [LedgerFile] = []
            var before: Int64?
            repeat {
                let page = try await store.triggerFiles(
                    ensemble: "e", trigger: "files", query: LedgerQuery(limit: 2, before: before))
                seen += page.rows
                before = page.more ? page.rows.last?.id : nil
            } while before != nil
            #expect(seen.map(\.path) == [3, 2, 1, 0].map { Self.file($0).path })
            #expect(seen.map(\.trigger) == ["files", "files@\(first.id!)", "files@\(first.id!)", "files@\(first.id!)"])
            #expect(seen[0].workflow == b && seen[0].workflowState == .ready)
            #expect(seen[1].workflow == a && seen[1].workflowState == nil, "deleted: the name stays, no state")
            #expect(seen[3].workflow == nil && seen[3].skippedExisting)

            let since = try await store.triggerFiles(
                ensemble: "e", trigger: "files", query: LedgerQuery(since: EMStore.now() + 60))
            #expect(since.rows.isEmpty)
            await #expect(throws: EMError.self) {
                _ = try await store.triggerFiles(ensemble: "e", trigger: "nope", query: LedgerQuery())
            }
        }
    }

    @Test("Workflow pages by id hold every workflow once, in any of the given states")
    func workflowPages() async throws {
        try await StoreTests.withStore { store, directory in
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            _ = try await store.createEnsemble(name: "other", maxPlanning: 1, maxRunning: 1)
            for n in 0..<7 {
                let submission = WorkflowSubmission(
                    name: "w\(n)", priority: 0, basedir: directory.path, planArgv: ["/bin/true"])
                _ = try await store.submitWorkflow(ensemble: "e", submission)
                _ = try await store.submitWorkflow(ensemble: "other", submission)
            }
            for n in [1, 4, 5] {
                let (_, w) = try await store.workflow(ensemble: "e", name: "w\(n)")
                try await store.updateWorkflow(id: w.id!, expecting: .ready) { _ in (.successful, "test") }
            }
            var names: [String] = []
            var after: Int64?
            repeat {
                let page = try await store.workflowPage(ensemble: "e", states: [], limit: 3, after: after)
                names += page.rows.map(\.name)
                after = page.more ? page.rows.last?.id : nil
            } while after != nil
            #expect(names == (0..<7).map { "w\($0)" })

            let done = try await store.workflowPage(ensemble: "e", states: [.successful], limit: 2, after: nil)
            #expect(done.rows.map(\.name) == ["w1", "w4"] && done.more)
            let both = try await store.workflowPage(
                ensemble: "e", states: [.successful, .ready, .successful], limit: 10, after: nil)
            #expect(both.rows.map(\.name) == (0..<7).map { "w\($0)" } && !both.more)
        }
    }
}
