import EMTestSupport
import EnsembleCore
import EnsembleServer
import EnsembleStore
import Foundation
import GRDB
import HTTPTypes
import Testing

/// The SQLite store on a real file: schema by migration, WAL, one transaction per operation, history rows.
@Suite(.timeLimit(.minutes(1)))
struct StoreTests {
    /// Runs `body` with a store in a fresh temporary directory, removed afterwards.
    static func withStore<T>(_ body: (EMStore, TemporaryDirectory) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(prefix: "em-store-test")
        defer { directory.remove() }
        let store = try EMStore(path: directory.file("nested/dir/em.db"))
        return try await body(store, directory)
    }

    @Test func migrationCreatesTheSchema() async throws {
        try await Self.withStore { store, _ in
            let tables = try await store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            }
            for table in ["ensemble", "workflow", "workflow_history", "trigger", "trigger_fire", "trigger_file"] {
                #expect(tables.contains(table), "table \(table)")
            }
            let migrations = try await store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
            }
            #expect(migrations.first == "v1")
            let indexes = try await store.pool.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'")
            }
            #expect(indexes.contains("workflow_active"))
            #expect(try await store.pool.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") } == true)
        }
    }

    @Test func walModeAndDurableWrites() async throws {
        try await Self.withStore { store, directory in
            let mode = try await store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            let synchronous = try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(synchronous == 2, "FULL")
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            #expect(FileManager.default.fileExists(atPath: directory.file("nested/dir/em.db-wal")))
            let permissions =
                try FileManager.default.attributesOfItem(atPath: directory.file("nested/dir"))[
                    .posixPermissions] as? Int
            #expect(permissions == 0o700, "the store's directory is private")
            #expect(try store.integrityCheck() == "ok")
        }
    }

    @Test func reopeningKeepsDataAndDoesNotMigrateAgain() async throws {
        let directory = try TemporaryDirectory(prefix: "em-store-test")
        defer { directory.remove() }
        let path = directory.file("em.db")
        do {
            let store = try EMStore(path: path)
            _ = try await store.createEnsemble(name: "kept", maxPlanning: 2, maxRunning: 3)
        }
        let reopened = try EMStore(path: path)
        let e = try await reopened.ensemble(named: "kept")
        #expect(e.maxPlanning == 2)
        #expect(e.maxRunning == 3)
        let migrations = try await reopened.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations WHERE identifier = 'v1'")
        }
        #expect(migrations == 1)
    }

    @Test func aTransactionRollsBackEntirelyOnADuplicate() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.createEnsemble(name: "taken", maxPlanning: 1, maxRunning: 1)
            await #expect(throws: DatabaseError.self) {
                try await store.pool.write { db in
                    try db.execute(
                        sql: """
                            INSERT INTO ensemble (name, created, updated, state, max_running, max_planning)
                            VALUES ('fresh', 0, 0, 'ACTIVE', 1, 1)
                            """)
                    try db.execute(
                        sql: """
                            INSERT INTO ensemble (name, created, updated, state, max_running, max_planning)
                            VALUES ('taken', 0, 0, 'ACTIVE', 1, 1)
                            """)
                }
            }
            #expect(try await store.ensembles().map(\.name) == ["taken"], "`fresh` was rolled back with the duplicate")
        }
    }

    @Test func duplicatesAreConflicts() async throws {
        try await Self.withStore { store, directory in
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            await #expect(throws: EMError(.conflict, "Ensemble e already exists")) {
                _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            }
            let submission = WorkflowSubmission(
                name: "w", priority: 0, basedir: directory.path, planArgv: ["/bin/true"])
            _ = try await store.submitWorkflow(ensemble: "e", submission)
            await #expect(throws: EMError(.conflict, "Ensemble workflow w already exists")) {
                _ = try await store.submitWorkflow(ensemble: "e", submission)
            }
            let history = try await store.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM workflow_history")
            }
            #expect(history == 1, "the failed submission left no history row")
            await #expect(throws: EMError(.notFound, "No such ensemble: nope")) {
                _ = try await store.submitWorkflow(ensemble: "nope", submission)
            }
        }
    }

    @Test func databaseConstraintsBackTheRules() async throws {
        try await Self.withStore { store, _ in
            for sql in [
                "INSERT INTO ensemble (name, created, updated, state, max_running, max_planning) VALUES ('a', 0, 0, 'ACTIVE', 0, 1)",
                "INSERT INTO ensemble (name, created, updated, state, max_running, max_planning) VALUES ('a', 0, 0, 'RUNNING', 1, 1)",
                """
                INSERT INTO workflow (ensemble_id, name, basedir, plan_command, plan_argv, created, updated, state,
                    state_changed) VALUES (999, 'w', '/', '', '[]', 0, 0, 'READY', 0)
                """,
            ] {
                await #expect(throws: DatabaseError.self, "\(sql)") {
                    try await store.pool.write { db in try db.execute(sql: sql) }
                }
            }
        }
    }

    @Test func historyRecordsEveryTransition() async throws {
        try await Self.withStore { store, directory in
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            let w = try await store.submitWorkflow(
                ensemble: "e", WorkflowSubmission(name: "w", priority: 5, basedir: directory.path, planArgv: ["/p"]))
            #expect(w.state == .ready)
            #expect(w.planCommand == "\"/p\"")
            try await store.pool.write { db in
                try db.execute(sql: "UPDATE workflow SET state = 'FAILED' WHERE id = ?", arguments: [w.id])
            }
            let (rerun, previous) = try await store.updateWorkflow(
                ensemble: "e", name: "w", priority: 9, state: "QUEUED")
            #expect(previous.state == .failed)
            #expect(previous.priority == 5)
            #expect(rerun.state == .queued)
            #expect(rerun.priority == 9)
            #expect(rerun.reason == "rerun requested")
            _ = try await store.updateWorkflow(ensemble: "e", name: "w", priority: nil, state: "ABORTED")
            let history = try await store.history(workflowID: w.id!)
            #expect(history.map(\.fromState) == [nil, .failed, .queued])
            #expect(history.map(\.toState) == [.ready, .queued, .aborted])
            #expect(history.map(\.reason) == ["submitted", "rerun requested", "abort requested"])
            #expect(history.map(\.time) == history.map(\.time).sorted())
        }
    }

    @Test func deleteCascadesToWorkflowsAndHistory() async throws {
        try await Self.withStore { store, directory in
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            let w = try await store.submitWorkflow(
                ensemble: "e", WorkflowSubmission(name: "w", priority: 0, basedir: directory.path, planArgv: ["/p"]))
            try await store.pool.write { db in
                try db.execute(sql: "UPDATE workflow SET state = 'SUCCESSFUL' WHERE id = ?", arguments: [w.id])
            }
            try await store.deleteEnsemble(name: "e")
            for table in ["ensemble", "workflow", "workflow_history"] {
                let count = try await store.pool.read { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)")
                }
                #expect(count == 0, "\(table)")
            }
        }
    }

    @Test func concurrentSubmissionsAreAllStored() async throws {
        try await Self.withStore { store, directory in
            _ = try await store.createEnsemble(name: "e", maxPlanning: 1, maxRunning: 1)
            let basedir = directory.path
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<100 {
                    group.addTask {
                        _ = try await store.submitWorkflow(
                            ensemble: "e",
                            WorkflowSubmission(name: "w\(i)", priority: i, basedir: basedir, planArgv: ["/p"]))
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.workflows(ensemble: "e").count == 100)
            #expect(try store.integrityCheck() == "ok")
        }
    }
}
