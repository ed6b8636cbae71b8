import EnsembleCore
import GRDB

extension EMStore {
    /// How many workflows each ensemble has in each state, for `/metrics`; an ensemble without workflows is
    /// there with no states. One grouped read.
    public func workflowCounts() async throws -> [String: [WorkflowState: Int]] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT e.name AS ensemble, w.state AS state, COUNT(w.id) AS count
                    FROM ensemble e LEFT JOIN workflow w ON w.ensemble_id = e.id
                    GROUP BY e.id, w.state
                    """)
            var counts: [String: [WorkflowState: Int]] = [:]
            for row in rows {
                let ensemble: String = row["ensemble"]
                var states = counts[ensemble] ?? [:]
                if let text: String = row["state"], let state = WorkflowState(rawValue: text) {
                    states[state] = row["count"]
                }
                counts[ensemble] = states
            }
            return counts
        }
    }
}
