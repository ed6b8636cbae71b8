import EnsembleCore
import Foundation
import Hummingbird

/// A master or STAMPEDE database read through the target user's ``UserDataSource``. A database file that does
/// not exist is answered with a 404 whose message names the workflow (not the path), instead of a 500.
struct MonitoringDatabase: Sendable {
    let data: any UserDataSource
    /// Absolute path of the SQLite file.
    let path: String
    /// The 404 message when the file is missing.
    let missing: String

    /// Runs one read-only statement.
    func query(_ sql: String, _ arguments: [SQLValue] = []) async throws(ServiceFailure) -> [MonitoringRow] {
        let result: SQLRows
        do {
            result = try await data.query(path, sql, arguments)
        } catch {
            throw error.kind == .notFound ? ServiceFailure.notFound(missing) : ServiceFailure(error)
        }
        return MonitoringRow.rows(result)
    }
}

/// The root workflows of a user's master database (`~/.pegasus/workflow.db`), as the API shows them: each with
/// its latest `master_workflowstate` row, or null when there is none.
struct RootWorkflows: Sendable {
    let database: MonitoringDatabase

    init(scope: UserScope) {
        database = MonitoringDatabase(
            data: scope.data, path: scope.masterDatabase,
            missing: "User \(scope.target.name) has no Pegasus master database (~/.pegasus/workflow.db)")
    }

    /// The latest state row of each root workflow. Ties on the timestamp are broken by insertion order, so a
    /// workflow is never listed twice.
    static let from = """
        master_workflow r LEFT JOIN master_workflowstate ws ON ws.rowid = (
            SELECT s.rowid FROM master_workflowstate s WHERE s.wf_id = r.wf_id
            ORDER BY s.timestamp DESC, s.rowid DESC LIMIT 1)
        """

    /// The collection query of `/root`.
    static var collection: CollectionQuery {
        CollectionQuery(
            from: from, base: nil, resources: [MonitoringResources.root, MonitoringResources.rootState],
            defaultOrder: "r.wf_id")
    }

    /// A root workflow's JSON: its columns and `workflow_state`.
    static func record(_ row: MonitoringRow) -> JSONValue {
        guard case .object(var object) = MonitoringResources.root.record(row) ?? .object([:]) else { return .null }
        object["workflow_state"] = MonitoringResources.rootState.record(row) ?? .null
        return .object(object)
    }

    /// One root workflow by `m_wf_id` (digits: wf_id, else wf_uuid) with its `db_url`; nil when there is none.
    func find(_ reference: WorkflowReference) async throws(ServiceFailure) -> MonitoringRow? {
        let condition = reference.condition(alias: "r")
        let sql = """
            SELECT \(MonitoringResources.root.selectList), \(MonitoringResources.rootState.selectList),
                   r.db_url AS "r.db_url"
            FROM \(Self.from) WHERE \(condition.sql) LIMIT 1
            """
        let rows: [MonitoringRow]
        do {
            rows = try await database.query(sql, condition.arguments)
        } catch {
            // the only 404 of a query: no master database, hence no root workflows
            if error.status == .notFound { return nil }
            throw error
        }
        return rows.first
    }
}

/// A root workflow resolved to its STAMPEDE database (via `master_workflow.db_url`).
struct RootWorkflowContext: Sendable {
    let database: MonitoringDatabase
    /// The root workflow's UUID (the key shared by the master and STAMPEDE databases).
    let uuid: String
    /// Its label, for messages.
    let label: String

    /// Resolves `m_wf_id`.
    /// - Throws: 404 when the root workflow is unknown, its database is not a local SQLite file, or the file
    ///   is missing (a moved or deleted submit directory).
    static func resolve(scope: UserScope, id: String) async throws(ServiceFailure) -> RootWorkflowContext {
        guard let row = try await RootWorkflows(scope: scope).find(WorkflowReference(id)),
            let uuid = row["r.wf_uuid"].text
        else { throw ServiceFailure.notFound("No root workflow \(id)") }
        let label = row["r.dax_label"].text ?? uuid
        let name = "\(label) (\(uuid))"
        guard let path = MasterWorkflows.stampedePath(dbURL: row["r.db_url"].text) else {
            throw ServiceFailure.notFound(
                "The monitoring database of workflow \(name) is not a local SQLite database")
        }
        let database = MonitoringDatabase(
            data: scope.data, path: path,
            missing: "The monitoring (STAMPEDE) database of workflow \(name) is missing; "
                + "its submit directory may have been moved or deleted")
        return RootWorkflowContext(database: database, uuid: uuid, label: label)
    }

    /// A condition selecting the workflows of this root's tree (`<alias>.root_wf_id` is the root's wf_id;
    /// the root itself also matches by UUID for databases without `root_wf_id`).
    func treeCondition(alias: String) -> SQLFragment {
        SQLFragment(
            sql: "(\(alias).wf_uuid = ? OR \(alias).root_wf_id = (SELECT x.wf_id FROM workflow x WHERE x.wf_uuid = ?))",
            arguments: [.text(uuid), .text(uuid)])
    }

    /// Resolves `wf_id` (digits: wf_id, else wf_uuid) to the wf_id of a workflow of this root's tree.
    /// - Throws: 404 when there is no such workflow under this root.
    func workflow(_ id: String) async throws(ServiceFailure) -> WorkflowContext {
        let reference = WorkflowReference(id)
        let match = reference.condition(alias: "w")
        let tree = treeCondition(alias: "w")
        let rows = try await database.query(
            "SELECT w.wf_id AS wf_id, w.root_wf_id AS root_wf_id FROM workflow w WHERE \(match.sql) AND \(tree.sql) LIMIT 1",
            match.arguments + tree.arguments)
        guard let row = rows.first, let wfID = row["wf_id"].int else {
            throw ServiceFailure.notFound("No workflow \(id) in root workflow \(label) (\(uuid))")
        }
        return WorkflowContext(root: self, wfID: wfID, rootWfID: row["root_wf_id"].int ?? wfID)
    }
}

/// One workflow of a STAMPEDE database, the subject of `/root/<m>/workflow/<w>/...`.
struct WorkflowContext: Sendable {
    let root: RootWorkflowContext
    /// Its wf_id in the STAMPEDE database.
    let wfID: Int64
    /// The wf_id of its root workflow in the STAMPEDE database.
    let rootWfID: Int64

    var database: MonitoringDatabase { root.database }
}
