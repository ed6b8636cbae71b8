import Foundation

/// Reads a user's Pegasus master database (`~/.pegasus/workflow.db`): the root workflows and their states.
public struct MasterWorkflows: Sendable {
    public let scope: UserScope

    public init(scope: UserScope) { self.scope = scope }

    /// The latest state row of each root workflow, joined to `master_workflow` (workflows without a state row
    /// are listed too, as Running, unlike Pegasus' inner join). Exactly one row per workflow even when two
    /// state rows share the latest timestamp (Pegasus #1176 showed such workflows twice): the later-written wins.
    static let latestStateJoin = """
        LEFT JOIN master_workflowstate ws ON ws.rowid = (
            SELECT s.rowid FROM master_workflowstate s WHERE s.wf_id = r.wf_id
            ORDER BY s.timestamp DESC, s.rowid DESC LIMIT 1)
        """

    /// Whether the master database exists.
    public func exists() async throws(UserDataFailure) -> Bool {
        try await scope.data.isReadable(scope.masterDatabase)
    }

    /// Root workflows with their latest state, filtered and ordered by SQL fragments.
    public func roots(
        where filter: SQLFragment? = nil, orderBy: String? = nil, limit: Int? = nil, offset: Int = 0
    ) async throws(UserDataFailure) -> SQLRows {
        var sql = """
            SELECT r.*, ws.state AS ws_state, ws.status AS ws_status, ws.reason AS ws_reason,
                   ws.timestamp AS ws_timestamp, ws.restart_count AS ws_restart_count
            FROM master_workflow r \(Self.latestStateJoin)
            """
        var arguments: [SQLValue] = []
        if let filter {
            sql += " WHERE " + filter.sql
            arguments += filter.arguments
        }
        sql += " ORDER BY " + (orderBy ?? "r.wf_id")
        if let limit {
            sql += " LIMIT ? OFFSET ?"
            arguments += [.int(Int64(limit)), .int(Int64(offset))]
        }
        return try await scope.data.query(scope.masterDatabase, sql, arguments)
    }

    /// One root workflow by wf_id (all digits) or wf_uuid; nil when there is none.
    public func root(_ id: String) async throws(UserDataFailure) -> [String: SQLValue]? {
        let filter =
            id.allSatisfy(\.isNumber) && !id.isEmpty
            ? SQLFragment(sql: "r.wf_id = ?", arguments: [.int(Int64(id) ?? -1)])
            : SQLFragment(sql: "r.wf_uuid = ?", arguments: [.text(id)])
        return try await roots(where: filter, limit: 1).records.first
    }

    /// The path of a workflow's STAMPEDE database from its `db_url` (`sqlite:///abs/path`); nil for other URLs.
    public static func stampedePath(dbURL: String?) -> String? {
        guard let dbURL, dbURL.hasPrefix("sqlite:///") else { return nil }
        // `sqlite:///` + an absolute path, as monitord writes it (so usually four slashes).
        let path = dbURL.dropFirst("sqlite:///".count).drop(while: { $0 == "/" })
        return path.isEmpty ? nil : "/" + path
    }
}
