import EnsembleCore
import Foundation
import GRDB

/// What `trigger-files` asks of a trigger's ledger: the filters and the page.
public struct LedgerQuery: Sendable, Equatable {
    /// An SQLite `GLOB` pattern on the recorded path (`*` and `?` match `/` too; case-sensitive); a path without
    /// `*`, `?` or `[` is looked up exactly. Nil: every file.
    public var path: String?
    /// Only rows recorded at or after this time (seconds since the epoch).
    public var since: Double?
    /// How many rows at most.
    public var limit: Int
    /// Only rows older than this ledger row id (the last id of the previous page).
    public var before: Int64?

    /// Creates a query.
    public init(path: String? = nil, since: Double? = nil, limit: Int = 100, before: Int64? = nil) {
        self.path = path
        self.since = since
        self.limit = limit
        self.before = before
    }

    /// Whether `path` is a pattern (has a `GLOB` wildcard) rather than one exact path.
    public static func isPattern(_ path: String) -> Bool {
        path.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// Whether a pattern starts with a literal character, so that the path index can narrow it to a range.
    static func hasLiteralPrefix(_ pattern: String) -> Bool {
        pattern.first.map { !isPattern(String($0)) } ?? false
    }
}

/// One ledger row: a file a trigger recorded, with the workflow it went into.
public struct LedgerFile: Sendable, Equatable {
    /// The row id: ledger order, and the page position.
    public var id: Int64
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeNanoseconds: Int64
    /// When the row was written (the submitting transaction), seconds since the epoch.
    public var recorded: Double
    /// The trigger whose row it is (a predecessor's name is `<name>@<id>`).
    public var trigger: String
    /// The workflow's name; nil for a file recorded without a workflow (present at creation, `skip_existing`).
    public var workflow: String?
    /// The workflow's state now; nil when it was deleted (or there is none).
    public var workflowState: WorkflowState?
    /// Where the file was moved (`move_processed`).
    public var movedTo: String?

    /// Whether the file was recorded at the trigger's creation without a workflow (`skip_existing`).
    public var skippedExisting: Bool { workflow == nil }
}

/// A file a workflow received from its trigger.
public struct WorkflowInputFile: Sendable, Equatable {
    public var path: String
    public var trigger: String
    public var recorded: Double
}

/// A page of a list ordered by id: the rows, and whether more follow the last one.
public struct StorePage<Item: Sendable>: Sendable {
    public var rows: [Item]
    public var more: Bool
}

/// The history queries: a trigger's files, newest first; the input files of a workflow; workflow and trigger
/// lists paged by id. Pages are keyed by row id (never offsets), so rows inserted while a client pages through a
/// list neither shift nor repeat what it sees.
extension EMStore {
    /// A trigger's ledger (its own rows and those of the predecessors whose ledger it shares), newest row first.
    /// Each ledger member is read on its own (index `trigger_file_ledger`, or the unique index for an exact path),
    /// so a page costs `limit` rows per member, however long the ledger.
    public func triggerFiles(ensemble: String, trigger: String, query: LedgerQuery) async throws
        -> StorePage<LedgerFile>
    {
        try await pool.read { db in
            let (_, t) = try Self.trigger(db, ensemble, trigger)
            let members = try Self.ledgerMembers(db, t)
            var rows: [LedgerFile] = []
            for member in members {
                rows += try Self.ledgerRows(db, triggerID: member, query: query)
            }
            rows.sort { $0.id > $1.id }
            let more = rows.count > query.limit
            return StorePage(rows: Array(rows.prefix(query.limit)), more: more)
        }
    }

    /// The triggers that share `t`'s ledger, `t` included.
    static func ledgerMembers(_ db: Database, _ t: TriggerRecord) throws -> [Int64] {
        try Int64.fetchAll(
            db, sql: "SELECT id FROM trigger WHERE id = ?1 OR ledger_id = ?1 ORDER BY id", arguments: [t.ledger])
    }

    /// The SQL of one ledger member's page, with its arguments (`EXPLAIN QUERY PLAN` in the tests reads it too).
    ///
    /// Newest first could come from the (trigger_id, id) index, which SQLite prefers because it saves a sort, but
    /// that reads the whole ledger for one path. An exact path, or a pattern with a literal prefix when
    /// `pathRange` says its range is small, is read from the (trigger_id, path, ...) index instead (`+f.id` keeps
    /// the order from choosing): that range is read whole and sorted, so a broad prefix (`/data/in/*`, the whole
    /// ledger) goes newest first by id and stops when the page is full.
    package static func ledgerSQL(triggerID: Int64, query: LedgerQuery, pathRange: Bool = true)
        -> (String, StatementArguments)
    {
        var conditions = ["f.trigger_id = ?"]
        var arguments: [any DatabaseValueConvertible] = [triggerID]
        var order = "f.id DESC"
        if let path = query.path {
            let pattern = LedgerQuery.isPattern(path)
            let byPath = !pattern || (pathRange && LedgerQuery.hasLiteralPrefix(path))
            // `+f.path` keeps a broad pattern from choosing the path index (a range read whole, then sorted).
            conditions.append(!pattern ? "f.path = ?" : byPath ? "f.path GLOB ?" : "+f.path GLOB ?")
            arguments.append(path)
            if byPath { order = "+f.id DESC" }
        }
        if let since = query.since {
            conditions.append("f.recorded >= ?")
            arguments.append(since)
        }
        if let before = query.before {
            conditions.append("f.id < ?")
            arguments.append(before)
        }
        arguments.append(query.limit + 1)
        let sql = """
            SELECT f.id, f.path, f.device, f.inode, f.size, f.mtime_ns, f.recorded, f.workflow_name, f.moved_to,
                t.name AS trigger_name, w.state AS workflow_state
            FROM trigger_file f JOIN trigger t ON t.id = f.trigger_id LEFT JOIN workflow w ON w.id = f.workflow_id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(order) LIMIT ?
            """
        return (sql, StatementArguments(arguments))
    }

    /// How many rows of a pattern's index range are read whole and sorted, at most, rather than walking the
    /// ledger newest first.
    static let pathRangeLimit = 10_000

    /// Whether a pattern's literal-prefix range of the path index holds at most ``pathRangeLimit`` rows of the
    /// member (a bounded count through the same index).
    package static func pathRangeIsSmall(_ db: Database, triggerID: Int64, pattern: String) throws -> Bool {
        let count = try Int.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) FROM (SELECT 1 FROM trigger_file WHERE trigger_id = ? AND path GLOB ? LIMIT ?)
                """, arguments: [triggerID, pattern, pathRangeLimit + 1])
        return (count ?? 0) <= pathRangeLimit
    }

    static func ledgerRows(_ db: Database, triggerID: Int64, query: LedgerQuery) throws -> [LedgerFile] {
        var pathRange = true
        if let path = query.path, LedgerQuery.isPattern(path), LedgerQuery.hasLiteralPrefix(path) {
            pathRange = try pathRangeIsSmall(db, triggerID: triggerID, pattern: path)
        }
        let (sql, arguments) = ledgerSQL(triggerID: triggerID, query: query, pathRange: pathRange)
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            let device: Int64 = row["device"]
            let inode: Int64 = row["inode"]
            let workflow: String = row["workflow_name"]
            let state: String? = row["workflow_state"]
            return LedgerFile(
                id: row["id"], path: row["path"], device: UInt64(bitPattern: device),
                inode: UInt64(bitPattern: inode), size: row["size"], mtimeNanoseconds: row["mtime_ns"],
                recorded: row["recorded"], trigger: row["trigger_name"], workflow: workflow.isEmpty ? nil : workflow,
                workflowState: state.flatMap(WorkflowState.init(rawValue:)), movedTo: row["moved_to"])
        }
    }

    /// One workflow with its ensemble, state history and input files, in a single read (the detail route).
    public func workflowDetail(ensemble: String, name: String) async throws -> (
        ensemble: EnsembleRecord, workflow: WorkflowRecord, history: [WorkflowHistoryRecord],
        inputs: [WorkflowInputFile]
    ) {
        try await pool.read { db in
            let (e, w) = try Self.workflow(db, ensemble, name)
            let history = try WorkflowHistoryRecord.filter(Column("workflow_id") == w.id!).order(Column("id"))
                .fetchAll(db)
            return (e, w, history, try Self.inputFiles(db, workflowID: w.id!))
        }
    }

    /// The files a workflow received from its trigger, by path (empty for a workflow submitted by hand).
    public func inputFiles(workflowID: Int64) async throws -> [WorkflowInputFile] {
        try await pool.read { db in try Self.inputFiles(db, workflowID: workflowID) }
    }

    static func inputFiles(_ db: Database, workflowID: Int64) throws -> [WorkflowInputFile] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT f.path, f.recorded, t.name AS trigger_name FROM trigger_file f
                JOIN trigger t ON t.id = f.trigger_id WHERE f.workflow_id = ? ORDER BY f.path, f.id
                """, arguments: [workflowID]
        ).map { WorkflowInputFile(path: $0["path"], trigger: $0["trigger_name"], recorded: $0["recorded"]) }
    }

    /// A page of an ensemble's workflows by id (oldest first), in any of `states` (all when empty), after the
    /// workflow with id `after`. Workflows submitted meanwhile get higher ids, so they come on a later page.
    public func workflowPage(ensemble: String, states: [WorkflowState], limit: Int, after: Int64?) async throws
        -> StorePage<WorkflowRecord>
    {
        try await page(of: "workflow", ensemble: ensemble, states: states.map(\.rawValue), limit: limit, after: after)
    }

    /// A page of an ensemble's triggers by id (oldest first), in any of `states` (all when empty).
    public func triggerPage(ensemble: String, states: [TriggerState], limit: Int, after: Int64?) async throws
        -> StorePage<TriggerRecord>
    {
        try await page(of: "trigger", ensemble: ensemble, states: states.map(\.rawValue), limit: limit, after: after)
    }

    /// A page of an ensemble's rows of `table` by id (see ``pageByID(_:table:ensembleID:states:limit:after:as:)``).
    func page<R: FetchableRecord & Sendable>(
        of table: String, ensemble: String, states: [String], limit: Int, after: Int64?
    ) async throws -> StorePage<R> {
        try await pool.read { db in
            let e = try Self.ensemble(db, ensemble)
            let rows = try Self.pageByID(
                db, table: table, ensembleID: e.id!, states: states, limit: limit, after: after, as: R.self)
            return StorePage(rows: Array(rows.prefix(limit)), more: rows.count > limit)
        }
    }

    /// Up to `limit + 1` rows of `table` by id: one query per state (each an index range of
    /// `(ensemble_id, state, id)`), merged, so no query sorts more than a page.
    static func pageByID<R: FetchableRecord & Sendable>(
        _ db: Database, table: String, ensembleID: Int64, states: [String], limit: Int, after: Int64?, as _: R.Type
    ) throws -> [R] {
        var rows: [(Int64, R)] = []
        let distinct = Set(states).sorted()
        for state in distinct.isEmpty ? [nil] : distinct.map(Optional.some) {
            let sql = """
                SELECT * FROM \(table) WHERE ensemble_id = ? \(state == nil ? "" : "AND state = ?") AND id > ?
                ORDER BY id LIMIT ?
                """
            var arguments: [any DatabaseValueConvertible] = [ensembleID]
            if let state { arguments.append(state) }
            arguments += [after ?? 0, limit + 1]
            rows += try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map {
                ($0["id"], try R(row: $0))
            }
        }
        return rows.sorted { $0.0 < $1.0 }.prefix(limit + 1).map { $0.1 }
    }
}
