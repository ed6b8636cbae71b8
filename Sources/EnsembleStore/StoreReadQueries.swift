import EnsembleCore

/// The read-only queries that another process runs on an ensemble manager's store: the dashboard of
/// `pegasus-service`, which reads each user's `~/.pegasus/em.db` through that user's reader helper (plain SQL
/// and arguments over a pipe, so GRDB records cannot travel). They live here, next to the migrations that define
/// the tables they read, and the store's tests prepare every one of them against the current schema.
///
/// Each query names the columns it returns; positional arguments are listed with it.
package enum StoreReadQueries {
    /// Ensembles in creation order with their workflow counts, one row per (ensemble, workflow state):
    /// `name, state, max_running, max_planning, created, updated, trigger_count, running_triggers,
    /// paused_triggers, workflow_state` (NULL for an ensemble without workflows) `, workflows`.
    /// Arguments: the ensemble name when `named`.
    package static func ensembles(named: Bool) -> String {
        """
        SELECT e.name, e.state, e.max_running, e.max_planning, e.created, e.updated,
            (SELECT COUNT(*) FROM trigger t WHERE t.ensemble_id = e.id) AS trigger_count,
            (SELECT COUNT(*) FROM trigger t WHERE t.ensemble_id = e.id AND t.state = '\(TriggerState.running.rawValue)')
                AS running_triggers,
            (SELECT COUNT(*) FROM trigger t WHERE t.ensemble_id = e.id AND t.state = '\(TriggerState.paused.rawValue)')
                AS paused_triggers,
            w.state AS workflow_state, COUNT(w.id) AS workflows
        FROM ensemble e LEFT JOIN workflow w ON w.ensemble_id = e.id
        \(named ? "WHERE e.name = ?" : "")
        GROUP BY e.id, w.state ORDER BY e.created, e.id
        """
    }

    /// The columns of a workflow in ``workflowPage(filteredByState:)`` and ``workflow``.
    static let workflowColumns = """
        w.id, e.name AS ensemble_name, w.name, w.state, w.priority, w.created, w.updated, w.state_changed,
        w.wf_uuid, w.submitdir, w.basedir, w.plan_command, w.reason, w.diagnostic, w.run_count, w.job_kind,
        w.job_pid, t.name AS trigger_name
        """

    /// One page of an ensemble's workflows, newest first, each joined to its state history (oldest change first;
    /// consecutive rows per workflow): `id, ensemble_name, name, state, priority, created, updated, state_changed,
    /// wf_uuid, submitdir, basedir, plan_command, reason, diagnostic, run_count, job_kind, job_pid, trigger_name,
    /// h_time, h_from, h_to, h_reason` (the `h_` columns NULL without history).
    /// Arguments: ensemble name, the state when `filteredByState`, page size, offset.
    package static func workflowPage(filteredByState: Bool) -> String {
        """
        WITH page AS (
            SELECT \(workflowColumns)
            FROM workflow w JOIN ensemble e ON e.id = w.ensemble_id LEFT JOIN trigger t ON t.id = w.trigger_id
            WHERE e.name = ? \(filteredByState ? "AND w.state = ?" : "")
            ORDER BY w.created DESC, w.id DESC LIMIT ? OFFSET ?)
        SELECT page.*, h.time AS h_time, h.from_state AS h_from, h.to_state AS h_to, h.reason AS h_reason
        FROM page LEFT JOIN workflow_history h ON h.workflow_id = page.id
        ORDER BY page.created DESC, page.id DESC, h.id
        """
    }

    /// One workflow with its history, the columns of ``workflowPage(filteredByState:)``.
    /// Arguments: ensemble name, workflow name.
    package static let workflow = """
        SELECT \(workflowColumns), h.time AS h_time, h.from_state AS h_from, h.to_state AS h_to,
            h.reason AS h_reason
        FROM workflow w JOIN ensemble e ON e.id = w.ensemble_id LEFT JOIN trigger t ON t.id = w.trigger_id
            LEFT JOIN workflow_history h ON h.workflow_id = w.id
        WHERE e.name = ? AND w.name = ?
        ORDER BY h.id
        """

    /// The ledger columns of a file: `path, size, recorded, moved_to, move_done, workflow_name, workflow_state`.
    static let ledgerColumns = """
        f.path, f.size, f.recorded, f.moved_to, f.move_done, f.workflow_name, w.state AS workflow_state
        """

    /// The files a trigger handed to a workflow, by path: the ledger columns. Arguments: workflow id.
    package static let workflowFiles = """
        SELECT \(ledgerColumns)
        FROM trigger_file f LEFT JOIN workflow w ON w.id = f.workflow_id
        WHERE f.workflow_id = ? ORDER BY f.path
        """

    /// A trigger's history (pause, resume, update, skipped ticks, ...), latest first: every column of
    /// `trigger_history`. Arguments: trigger id, limit.
    package static let triggerHistory = """
        SELECT * FROM trigger_history WHERE trigger_id = ? ORDER BY id DESC LIMIT ?
        """

    /// Triggers by ensemble and creation: every column of the `trigger` table (`workflow_args` and `definition`
    /// as JSON text) and `ensemble_name`. Arguments: the ensemble name when `ofEnsemble`.
    package static func triggers(ofEnsemble: Bool) -> String {
        """
        SELECT t.*, e.name AS ensemble_name FROM trigger t JOIN ensemble e ON e.id = t.ensemble_id
        \(ofEnsemble ? "WHERE e.name = ?" : "")
        ORDER BY e.created, e.id, t.id
        """
    }

    /// One trigger, the columns of ``triggers(ofEnsemble:)``. Arguments: ensemble name, trigger name.
    package static let trigger = """
        SELECT t.*, e.name AS ensemble_name FROM trigger t JOIN ensemble e ON e.id = t.ensemble_id
        WHERE e.name = ? AND t.name = ?
        """

    /// Files recorded by a trigger whose workflow has not been handed to HTCondor yet (waiting for planning,
    /// which includes waiting for the move into `processed/`, or being planned) or whose move is not done;
    /// oldest first: the ledger columns and `total` (all such files). Arguments: trigger id, limit.
    package static let pendingFiles = """
        SELECT \(ledgerColumns), COUNT(*) OVER () AS total
        FROM trigger_file f LEFT JOIN workflow w ON w.id = f.workflow_id
        WHERE f.trigger_id = ?
            AND ((f.moved_to IS NOT NULL AND f.move_done = 0)
                OR w.state IN ('\(WorkflowState.ready.rawValue)', '\(WorkflowState.planning.rawValue)'))
        ORDER BY f.recorded, f.path LIMIT ?
        """

    /// A trigger's latest submissions (schedule fires and file batches), newest first, each joined to its files:
    /// `workflow_name, fire_time, tick` (NULL for a file batch) `, workflow_state` (NULL when the workflow was
    /// deleted) `, path, size, recorded, moved_to, move_done` (NULL without files).
    /// Arguments: `?1` trigger id, `?2` how many submissions.
    package static let submissions = """
        WITH s AS (
            SELECT workflow_name, MAX(time) AS time, MAX(tick) AS tick, MAX(workflow_id) AS workflow_id FROM (
                SELECT workflow_name, time, tick, workflow_id FROM trigger_fire WHERE trigger_id = ?1
                UNION ALL
                SELECT workflow_name, recorded, NULL, workflow_id FROM trigger_file
                WHERE trigger_id = ?1 AND workflow_name <> '')
            GROUP BY workflow_name ORDER BY time DESC LIMIT ?2)
        SELECT s.workflow_name, s.time AS fire_time, s.tick, w.state AS workflow_state,
            f.path, f.size, f.recorded, f.moved_to, f.move_done
        FROM s LEFT JOIN workflow w ON w.id = s.workflow_id
            LEFT JOIN trigger_file f ON f.trigger_id = ?1 AND f.workflow_name = s.workflow_name
        ORDER BY s.time DESC, s.workflow_name, f.path
        """
}
