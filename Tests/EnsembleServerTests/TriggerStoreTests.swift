import EMTestSupport
import EnsembleCore
import EnsembleStore
import Foundation
import GRDB
import Testing
import TriggerKit

/// The store's side of the trigger verbs (issue 14): the v2 migration of an existing store, pause and resume,
/// the failure policy inside the transaction that ends a workflow, and the history.
@Suite(.timeLimit(.minutes(1)))
struct TriggerStoreTests {
    /// The v1 schema exactly as shipped (read from the migration's source, which is never edited).
    static func v1Schema() throws -> String {
        let source = try String(
            contentsOf: Binaries.repositoryRoot.appendingPathComponent("Sources/EnsembleStore/Migrations.swift"),
            encoding: .utf8)
        let start = try #require(source.range(of: "registerMigration(\"v1\")"))
        let body = source[start.upperBound...]
        let open = try #require(body.range(of: "\"\"\"\n"))
        let close = try #require(body[open.upperBound...].range(of: "\"\"\""))
        return String(body[open.upperBound..<close.lowerBound])
    }

    @Test("A store written by the previous release (v1) migrates with its triggers, ticks, ledger and links")
    func v1StoreMigrates() async throws {
        let directory = try TemporaryDirectory(prefix: "em-migrate")
        defer { directory.remove() }
        let path = directory.file("em.db")
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(sql: try Self.v1Schema())
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1');
                    INSERT INTO ensemble VALUES (1, 'e', 1, 1, 'ACTIVE', 1, 1);
                    INSERT INTO trigger (id, ensemble_id, name, type, state, created, updated, workflow_script,
                        workflow_args, definition, basedir, fire_count, last_fire, next_fire)
                    VALUES (7, 1, 'inbox', 'FILE_PATTERN', 'RUNNING', 1, 2, '/bin/true', '[]',
                        '{"interval":10,"file_patterns":["/in/*.dat"]}', '/tmp', 3, 100, 110);
                    INSERT INTO workflow (id, ensemble_id, name, basedir, plan_command, plan_argv, created, updated,
                        state, trigger_id, state_changed)
                    VALUES (5, 1, 'inbox_1', '/tmp', '"/bin/true"', '["/bin/true"]', 1, 1, 'RUNNING', 7, 1);
                    INSERT INTO trigger_fire (trigger_id, tick, time, workflow_id, workflow_name)
                    VALUES (7, 100, 100.5, 5, 'inbox_1');
                    INSERT INTO trigger_file (trigger_id, path, device, inode, size, mtime_ns, workflow_id,
                        workflow_name, recorded)
                    VALUES (7, '/in/a.dat', 1, 2, 3, 4, 5, 'inbox_1', 100);
                    """)
        }
        try old.close()

        let store = try EMStore(path: path)
        let (_, t) = try await store.trigger(ensemble: "e", name: "inbox")
        #expect(t.id == 7 && t.state == .running && t.fireCount == 3 && t.lastFire == 100 && t.nextFire == 110)
        #expect(t.consecutiveFailures == 0 && t.skippedTicks == 0 && t.ledgerID == nil && t.bufferedTick == nil)
        #expect(t.definition.filePatterns == ["/in/*.dat"])
        let (_, w) = try await store.workflow(ensemble: "e", name: "inbox_1")
        #expect(w.triggerID == 7)
        let counts = try await store.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trigger_fire WHERE trigger_id = 7 AND manual = 0"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trigger_file WHERE trigger_id = 7"),
                try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count
            )
        }
        #expect(counts.0 == 1 && counts.1 == 1 && counts.2 == 0)
        // The new state is accepted, and ending the workflow counts against the trigger.
        let (paused, changed) = try await store.pauseTrigger(ensemble: "e", name: "inbox", user: "alice")
        #expect(changed && paused.state == .paused && paused.reason == "paused by alice")
    }

    @Test("The failure policy pauses a running trigger in the transaction that ends its Nth failed workflow")
    func failurePolicy() async throws {
        try await StoreTests.withStore { store, directory in
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            var definition = TriggerDefinition()
            definition.interval = 60
            definition.pauseAfterFailures = 2
            let t = try await store.createTrigger(
                ensemble: "e",
                TriggerRecord(
                    id: nil, ensembleID: 0, name: "t", type: .cron, state: .running, reason: nil, created: 1,
                    updated: 1, workflowScript: "/bin/true", workflowArgs: [], definition: definition,
                    basedir: directory.path, priority: 0, nextFire: nil, deadline: nil, fireCount: 0, lastFire: nil),
                user: "alice")
            var ended: [Int64] = []
            for (n, end) in [WorkflowState.planFailed, .successful, .runFailed, .aborted, .failed].enumerated() {
                let name = try #require(
                    try await store.fireTrigger(id: t.id!, tick: Double(100 + n), nextFire: nil).workflow)
                let (_, w) = try await store.workflow(ensemble: "e", name: name)
                try await store.updateWorkflow(id: w.id!, expecting: .ready) { _ in (end, "test") }
                ended.append(t.id!)
                let state = try await store.trigger(ensemble: "e", name: "t").1
                switch n {
                case 0: #expect(state.consecutiveFailures == 1 && state.state == .running)
                case 1: #expect(state.consecutiveFailures == 0, "a success resets the count")
                case 2, 3:
                    #expect(state.consecutiveFailures == 1 && state.state == .running, "aborted counts neither way")
                default:
                    #expect(state.consecutiveFailures == 2 && state.state == .paused)
                    #expect(state.reason == "paused after 2 consecutive failed workflows (last: \(name) FAILED)")
                }
            }
            // A paused trigger submits nothing.
            #expect(try await store.fireTrigger(id: t.id!, tick: 200, nextFire: nil) == .notRunning)
            let history = try await store.triggerHistory(triggerID: t.id!, limit: 10).map(\.event)
            #expect(history == ["self-paused", "created"])
            // Every ended workflow was announced to the trigger engine, after its commit.
            var announced: [Int64] = []
            for await id in store.triggerChanges.changes {
                announced.append(id)
                if announced.count == ended.count { break }
            }
            #expect(announced == ended)
        }
    }

    @Test("Repeated skips of the same cause are one history row that counts; a new cause starts a new row")
    func skipsCoalesce() async throws {
        try await StoreTests.withStore { store, directory in
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            var definition = TriggerDefinition()
            definition.interval = 1
            definition.overlap = "skip"
            let t = try await store.createTrigger(
                ensemble: "e",
                TriggerRecord(
                    id: nil, ensembleID: 0, name: "t", type: .cron, state: .running, reason: nil, created: 1,
                    updated: 1, workflowScript: "/bin/true", workflowArgs: [], definition: definition,
                    basedir: directory.path, priority: 0, nextFire: nil, deadline: nil, fireCount: 0, lastFire: nil))
            let first = try await store.fireTrigger(id: t.id!, tick: 1, nextFire: 2)
            #expect(first.workflow != nil)
            for tick in 2...5 {
                let result = try await store.fireTrigger(id: t.id!, tick: Double(tick), nextFire: Double(tick + 1))
                #expect(result == .skipped("workflow \(first.workflow!) is still READY"))
            }
            let (_, after) = try await store.trigger(ensemble: "e", name: "t")
            #expect(after.skippedTicks == 4 && after.lastFire == 5 && after.lastSkipReason?.hasSuffix("READY") == true)
            let history = try await store.triggerHistory(triggerID: t.id!, limit: 10)
            #expect(history.map(\.event) == ["skipped", "created"])
            #expect(history.first?.count == after.skippedTicks)
        }
    }
}
