import Foundation

/// One workflow of a STAMPEDE database as the statistics and charts pages address it:
/// `/u/<user>/r/<root_wf_id>/w/<wf_id>`, where `root_wf_id` is the master database's `wf_id` (or `wf_uuid`) and
/// `wf_id` the STAMPEDE `workflow.wf_id` (or `wf_uuid`) of the root or one of its sub-workflows.
public struct StatisticsWorkflow: Sendable {
    /// The reader and user the workflow was resolved for.
    public let scope: UserScope
    /// The STAMPEDE database file.
    public let database: String
    /// The master database's id of the root workflow, as given in the URL.
    public let rootID: String
    /// The STAMPEDE `wf_id` of this workflow.
    public let wfID: Int64
    public let wfUUID: String
    public let label: String
    public let parentID: Int64?
    public let submitDir: String?
    /// This workflow and all its sub-workflows, recursively (this one first).
    public let tree: [Int64]
    /// The number of workflows in the STAMPEDE database (when it equals the tree, filters can be skipped).
    public let workflowsInDatabase: Int
    /// The earliest and latest `workflowstate` timestamps of this workflow (nil without states).
    public let stateRange: ClosedRange<Double>?

    /// Whether `tree` is every workflow of the database.
    public var treeIsWholeDatabase: Bool { tree.count == workflowsInDatabase }
    /// Whether this workflow is the only one in the database.
    public var isOnlyWorkflow: Bool { workflowsInDatabase == 1 }

    /// Resolves the URL's ids: 404 for a missing master database, unknown root workflow, a STAMPEDE database
    /// that is not there (deleted or moved submit directory) or an unknown `wf_id`.
    public static func resolve(scope: UserScope, rootID: String, wfID: String) async throws -> StatisticsWorkflow {
        let master = MasterWorkflows(scope: scope)
        guard try await master.exists() else {
            throw ServiceFailure.notFound("The master database \(scope.masterDatabase) does not exist")
        }
        guard let root = try await master.root(rootID) else {
            throw ServiceFailure.notFound("No root workflow \(rootID)")
        }
        let url = root["db_url"]?.text
        guard let database = MasterWorkflows.stampedePath(dbURL: url) else {
            throw ServiceFailure.notFound("Unsupported workflow database URL \(url ?? "(none)")")
        }
        guard try await scope.data.isReadable(database) else {
            throw ServiceFailure.notFound(
                "The stampede database \(database) of workflow \(root["dax_label"]?.text ?? rootID) is missing")
        }
        let numeric = !wfID.isEmpty && wfID.allSatisfy(\.isASCII) && wfID.allSatisfy(\.isNumber)
        let target: SQLValue = numeric ? .int(Int64(wfID) ?? -1) : .text(wfID)
        let rows = try await scope.data.query(database, Self.treeSQL(byUUID: !numeric), [target])
        return try Self(scope: scope, database: database, rootID: rootID, requested: wfID, rows: rows)
    }

    /// The workflow row, its sub-workflow tree and the database's workflow count in one statement.
    static func treeSQL(byUUID: Bool) -> String {
        """
        WITH RECURSIVE tree(wf_id, depth) AS (
            SELECT wf_id, 0 FROM workflow WHERE \(byUUID ? "wf_uuid" : "wf_id") = ?
            UNION ALL SELECT w.wf_id, t.depth + 1 FROM workflow w JOIN tree t ON w.parent_wf_id = t.wf_id
                WHERE t.depth < 64)
        SELECT w.wf_id, w.wf_uuid, w.dax_label, w.parent_wf_id, w.submit_dir, t.depth,
            (SELECT count(*) FROM workflow) AS workflows,
            (SELECT min(s.timestamp) FROM workflowstate s WHERE s.wf_id = w.wf_id) AS first_state,
            (SELECT max(s.timestamp) FROM workflowstate s WHERE s.wf_id = w.wf_id) AS last_state
        FROM tree t JOIN workflow w ON w.wf_id = t.wf_id ORDER BY t.depth, w.wf_id
        """
    }

    /// The workflow from the rows of ``treeSQL(byUUID:)``; 404 when there are none.
    init(scope: UserScope, database: String, rootID: String, requested: String, rows: SQLRows) throws {
        let records = rows.records
        guard let me = records.first, me["depth"]?.int == 0, let id = me["wf_id"]?.int else {
            throw ServiceFailure.notFound("No workflow \(requested) in the stampede database")
        }
        self.scope = scope
        self.database = database
        self.rootID = rootID
        wfID = id
        wfUUID = me["wf_uuid"]?.text ?? ""
        label = me["dax_label"]?.text ?? wfUUID
        parentID = me["parent_wf_id"]?.int
        submitDir = me["submit_dir"]?.text
        var seen = Set<Int64>()
        tree = records.compactMap { $0["wf_id"]?.int }.filter { seen.insert($0).inserted }
        workflowsInDatabase = Int(me["workflows"]?.int ?? Int64(tree.count))
        if let first = me["first_state"]?.double, let last = me["last_state"]?.double, first <= last {
            stateRange = first...last
        } else {
            stateRange = nil
        }
    }

    /// Runs a read-only query on the STAMPEDE database.
    func query(_ sql: String, _ arguments: [SQLValue] = []) async throws -> SQLRows {
        try await scope.data.query(database, sql, arguments)
    }

    /// The SQL condition "`column` is a workflow of the tree", with the ids as literals (integers read from the
    /// database); just `1` when the tree is the whole database, so that SQLite need not read the column.
    func inTree(_ column: String) -> String {
        treeIsWholeDatabase ? "1" : "\(column) IN (\(tree.map { String($0) }.joined(separator: ", ")))"
    }

    /// `column` (a `wf_id`), or this workflow's id as a literal when it is the only workflow in the database.
    func perWorkflow(_ column: String) -> String { isOnlyWorkflow ? String(wfID) : column }

}
