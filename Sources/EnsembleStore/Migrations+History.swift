import GRDB

extension StoreMigrations {
    /// `v3-history`: the indexes of the history queries and paged lists (``EMStore/triggerFiles(ensemble:trigger:query:)``,
    /// ``EMStore/workflowPage(ensemble:states:limit:after:)``, the input files of a workflow). Only indexes: no row
    /// changes, so the migration is quick on a big ledger (one pass over each table).
    static func historyIndexes(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE INDEX trigger_file_ledger ON trigger_file(trigger_id, id);
                CREATE INDEX trigger_file_workflow ON trigger_file(workflow_id);
                CREATE INDEX workflow_ensemble ON workflow(ensemble_id, id);
                CREATE INDEX workflow_ensemble_state ON workflow(ensemble_id, state, id);
                """)
    }
}
