import EnsembleStore
import Foundation
import GRDB
import Testing

/// The dashboard's read queries run against the schema the migrations create, and return the columns they
/// promise (pegasus-service reads them by name).
@Suite(.timeLimit(.minutes(1)))
struct StoreReadQueriesTests {
    static func columns(_ store: EMStore, _ sql: String, _ arguments: StatementArguments) async throws -> Set<String>? {
        try await store.pool.read { db in
            try Row.fetchOne(db, sql: sql, arguments: arguments).map { Set($0.columnNames) }
        }
    }

    @Test func everyQueryReadsTheCurrentSchema() async throws {
        try await StoreTests.withStore { store, _ in
            _ = try await store.createEnsemble(name: "e1", maxPlanning: 1, maxRunning: 1)
            let w = try await store.submitWorkflow(
                ensemble: "e1", WorkflowSubmission(name: "w1", priority: 0, basedir: "/tmp", planArgv: ["plan"]))
            let ledger = ["path", "size", "recorded", "moved_to", "move_done", "workflow_name", "workflow_state"]

            let ensembles = try await Self.columns(store, StoreReadQueries.ensembles(named: true), ["e1"])
            #expect(
                ensembles?.isSuperset(of: [
                    "name", "state", "max_running", "max_planning", "created", "updated", "trigger_count",
                    "running_triggers", "paused_triggers", "workflow_state", "workflows",
                ]) == true)
            #expect(try await Self.columns(store, StoreReadQueries.ensembles(named: false), []) == ensembles)

            let workflowColumns: Set<String> = [
                "id", "ensemble_name", "name", "state", "priority", "created", "updated", "state_changed", "wf_uuid",
                "submitdir", "basedir", "plan_command", "reason", "diagnostic", "run_count", "job_kind", "job_pid",
                "trigger_name", "h_time", "h_from", "h_to", "h_reason",
            ]
            let page = try await Self.columns(
                store, StoreReadQueries.workflowPage(filteredByState: true), ["e1", "READY", 10, 0])
            #expect(page?.isSuperset(of: workflowColumns) == true)
            #expect(
                try await Self.columns(store, StoreReadQueries.workflowPage(filteredByState: false), ["e1", 10, 0])
                    == page)
            let one = try await Self.columns(store, StoreReadQueries.workflow, ["e1", "w1"])
            #expect(one?.isSuperset(of: workflowColumns) == true)

            // No trigger yet: the statements must still prepare, and return their declared columns when rows exist.
            try await store.pool.read { db in
                for sql in [
                    StoreReadQueries.workflowFiles, StoreReadQueries.triggers(ofEnsemble: true),
                    StoreReadQueries.triggers(ofEnsemble: false), StoreReadQueries.trigger,
                    StoreReadQueries.pendingFiles, StoreReadQueries.submissions, StoreReadQueries.triggerHistory,
                ] {
                    let statement = try db.makeStatement(sql: sql)
                    #expect(!statement.columnNames.isEmpty)
                }
                let files = try db.makeStatement(sql: StoreReadQueries.workflowFiles).columnNames
                #expect(Set(files) == Set(ledger))
                let pending = try db.makeStatement(sql: StoreReadQueries.pendingFiles).columnNames
                #expect(Set(pending) == Set(ledger + ["total"]))
                let submissions = try db.makeStatement(sql: StoreReadQueries.submissions).columnNames
                #expect(
                    Set(submissions) == [
                        "workflow_name", "fire_time", "tick", "workflow_state", "path", "size", "recorded",
                        "moved_to", "move_done",
                    ])
                let triggers = try db.makeStatement(sql: StoreReadQueries.trigger).columnNames
                #expect(
                    Set(triggers).isSuperset(of: [
                        "id", "name", "type", "state", "reason", "created", "updated", "workflow_script",
                        "workflow_args", "definition", "basedir", "priority", "next_fire", "deadline", "fire_count",
                        "last_fire", "ensemble_name", "schedule_anchor", "ledger_id", "consecutive_failures",
                        "skipped_ticks", "last_skip_time", "last_skip_reason", "buffered_tick",
                    ]))
                let history = try db.makeStatement(sql: StoreReadQueries.triggerHistory).columnNames
                #expect(Set(history) == ["id", "trigger_id", "time", "event", "user", "detail", "count"])
            }
            #expect(w.id != nil)
        }
    }
}
