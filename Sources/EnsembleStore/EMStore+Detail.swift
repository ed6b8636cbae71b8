import Foundation
import GRDB

extension EMStore {
    /// One workflow with its ensemble and state history, in a single read: the hot path of
    /// `GET /ensembles/<e>/workflows/<w>` (each read is a hop to GRDB's reader queue and back).
    public func workflowWithHistory(ensemble: String, name: String) async throws -> (
        ensemble: EnsembleRecord, workflow: WorkflowRecord, history: [WorkflowHistoryRecord]
    ) {
        try await pool.read { db in
            let (e, w) = try Self.workflow(db, ensemble, name)
            let history = try WorkflowHistoryRecord.filter(Column("workflow_id") == w.id!).order(Column("id"))
                .fetchAll(db)
            return (e, w, history)
        }
    }
}
