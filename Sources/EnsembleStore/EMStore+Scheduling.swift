import EnsembleCore
import Foundation
import GRDB

/// The scheduler's view of the store: active work, and compare-and-set updates that lose cleanly against a
/// concurrent user action (an abort during planning, say).
extension EMStore {
    /// Every workflow in READY, PLANNING, QUEUED or RUNNING, with the ensembles they belong to.
    /// READY workflows whose input files are still being moved into `processed/` are left out until the moves
    /// are done.
    public func activeWork() async throws -> (ensembles: [Int64: EnsembleRecord], workflows: [WorkflowRecord]) {
        try await pool.read { db in
            let moving = Set(
                try Int64.fetchAll(
                    db,
                    sql: "SELECT DISTINCT workflow_id FROM trigger_file WHERE moved_to IS NOT NULL AND move_done = 0"
                ))
            let workflows = try WorkflowRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM workflow WHERE state IN ('READY', 'PLANNING', 'QUEUED', 'RUNNING')
                    ORDER BY priority DESC, created, id
                    """
            )
            .filter { !($0.state == .ready && moving.contains($0.id!)) }
            let ids = Set(workflows.map(\.ensembleID))
            var ensembles: [Int64: EnsembleRecord] = [:]
            for e in try EnsembleRecord.filter(ids.contains(Column("id"))).fetchAll(db) { ensembles[e.id!] = e }
            return (ensembles, workflows)
        }
    }

    /// Applies `change` to a workflow if it is still in `expected` state (and, when given, still has that job).
    /// `change` edits the record and returns the new state and reason, or nil to write the edits without a
    /// transition.
    /// - Returns: the updated record, or nil when the workflow moved on meanwhile.
    @discardableResult
    public func updateWorkflow(
        id: Int64, expecting expected: WorkflowState, job: JobHandle? = nil,
        _ change: @Sendable (inout WorkflowRecord) -> (WorkflowState, String?)?
    ) async throws -> WorkflowRecord? {
        try await pool.write { db in
            guard var w = try WorkflowRecord.fetchOne(db, key: id), w.state == expected else { return nil }
            if let job, w.job != job { return nil }
            let now = Self.now()
            if let (state, reason) = change(&w) {
                try self.transition(db, &w, to: state, reason: reason, now: now)
            } else {
                try w.update(db)
            }
            return w
        }
    }

    /// Sets a workflow's diagnostic (no state change, `updated` untouched).
    public func setDiagnostic(id: Int64, _ text: String?) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE workflow SET diagnostic = ? WHERE id = ?", arguments: [text, id])
        }
    }
}
