import EnsembleCore
import Hummingbird

/// A paged, filterable, sortable collection of the monitoring API, run as two SQL statements: one that counts
/// (`records_total` before the filter, `records_filtered` after it, and whether the parent resource exists)
/// and one that fetches the page with `LIMIT`/`OFFSET`. Nothing is counted or paged in memory.
struct CollectionQuery: Sendable {
    /// The FROM clause (tables, aliases and joins).
    var from: String
    /// The condition defining the collection (before `query=`); nil for none.
    var base: SQLFragment?
    /// The resources selected and, by default, queryable and sortable.
    var resources: [MonitoringResource]
    /// The tie-breaking order, applied after `order=` (the primary key, so pages are stable).
    var defaultOrder: String
    /// A condition that narrows the collection but counts as filtering (`recent=true`).
    var refinement: SQLFragment?
    /// The resources `query=` may name; nil means ``resources``.
    var filterResources: [MonitoringResource]?
    /// Rewrites the compiled `query=` condition (the files route wraps it in EXISTS).
    var wrapFilter: (@Sendable (SQLFragment) -> SQLFragment)?
    /// The resources `order=` may name; nil means the filter resources.
    var orderResources: [MonitoringResource]?
    /// Extra joins added to the page statement when `order=` is given.
    var orderJoins = ""
    /// A resource that must exist for the collection to exist (`job/<id>/task` needs the job), and the 404
    /// message when it does not.
    var parent: (condition: SQLFragment, missing: String)?

    init(
        from: String, base: SQLFragment?, resources: [MonitoringResource], defaultOrder: String,
        refinement: SQLFragment? = nil
    ) {
        self.from = from
        self.base = base
        self.resources = resources
        self.defaultOrder = defaultOrder
        self.refinement = refinement
    }

    /// The records of one page and the counts.
    struct Page {
        var rows: [MonitoringRow]
        var total: Int
        var filtered: Int
    }

    /// Compiles `query=`/`order=` (400 on errors, before any database access), counts and fetches the page.
    func run(_ parameters: MonitoringParameters, on database: MonitoringDatabase) async throws(ServiceFailure)
        -> Page
    {
        let filter = try compiledFilter(parameters.query)
        let order = try compiledOrder(parameters.order)

        var narrowing: [SQLFragment] = []
        if let refinement { narrowing.append(refinement) }
        if let filter { narrowing.append(filter) }

        // 1. counts (and the parent check) in one statement
        var columns: [String] = []
        var arguments: [SQLValue] = []
        let whereBase = Self.conjunction([base].compactMap { $0 })
        columns.append("(SELECT count(*) FROM \(from)\(whereBase.clause)) AS total")
        arguments += whereBase.arguments
        if !narrowing.isEmpty {
            let whereFiltered = Self.conjunction([base].compactMap { $0 } + narrowing)
            columns.append("(SELECT count(*) FROM \(from)\(whereFiltered.clause)) AS filtered")
            arguments += whereFiltered.arguments
        }
        if let parent {
            columns.append("EXISTS (\(parent.condition.sql)) AS parent")
            arguments += parent.condition.arguments
        }
        guard let counts = try await database.query("SELECT " + columns.joined(separator: ", "), arguments).first
        else { throw ServiceFailure(.internalServerError, code: "UNKNOWN", "Counting the records failed") }
        if let parent, counts["parent"].int != 1 { throw ServiceFailure.notFound(parent.missing) }
        let total = Int(counts["total"].int ?? 0)
        let filtered = narrowing.isEmpty ? total : Int(counts["filtered"].int ?? 0)

        // 2. the page
        guard filtered > parameters.startIndex, parameters.maxResults != 0 else {
            return Page(rows: [], total: total, filtered: filtered)
        }
        let whereAll = Self.conjunction([base].compactMap { $0 } + narrowing)
        let orderBy = [order, defaultOrder].compactMap { $0 }.joined(separator: ", ")
        let joins = order == nil || orderJoins.isEmpty ? "" : " " + orderJoins
        // A deferred join: the subquery pages over the key rowids only, so a large OFFSET skips rows without
        // reading them; the outer statement reads the page's rows (and repeats the conditions, so a join can
        // never add rows the subquery did not select).
        let key = resources.first?.alias ?? ""
        let outerConditions = whereAll.clause.isEmpty ? "" : " AND " + whereAll.clause.dropFirst(" WHERE ".count)
        let sql = """
            SELECT \(resources.map(\.selectList).joined(separator: ", "))
            FROM \(from)\(joins)
            WHERE \(key).rowid IN (
                SELECT \(key).rowid FROM \(from)\(joins)\(whereAll.clause) ORDER BY \(orderBy) LIMIT ? OFFSET ?)
                \(outerConditions)
            ORDER BY \(orderBy)
            """
        let limit = Int64(parameters.maxResults ?? -1)
        let rows = try await database.query(
            sql, whereAll.arguments + [.int(limit), .int(Int64(parameters.startIndex))] + whereAll.arguments)
        return Page(rows: rows, total: total, filtered: filtered)
    }

    /// The `query=` condition, or nil without one.
    func compiledFilter(_ text: String?) throws(ServiceFailure) -> SQLFragment? {
        guard let text else { return nil }
        let scope = QueryScope((filterResources ?? resources).map(\.queryResource))
        do {
            let fragment = try QueryLanguage.compile(text, scope: scope)
            return wrapFilter?(fragment) ?? fragment
        } catch {
            throw ServiceFailure.badRequest(error.code, error.message)
        }
    }

    /// The `order=` list, or nil without one.
    func compiledOrder(_ text: String?) throws(ServiceFailure) -> String? {
        guard let text else { return nil }
        let scope = QueryScope((orderResources ?? filterResources ?? resources).map(\.queryResource))
        do {
            return try QueryLanguage.compileOrder(text, scope: scope)
        } catch {
            throw ServiceFailure.badRequest(error.code, error.message)
        }
    }

    /// ` WHERE (a) AND (b)` with the arguments in order; empty without conditions.
    static func conjunction(_ parts: [SQLFragment]) -> (clause: String, arguments: [SQLValue]) {
        guard !parts.isEmpty else { return ("", []) }
        return (" WHERE " + parts.map { "(\($0.sql))" }.joined(separator: " AND "), parts.flatMap(\.arguments))
    }

    /// The collection document: `{"records": [...], "_meta": {"records_total", "records_filtered"}}`.
    static func document(_ page: Page, record: (MonitoringRow) -> JSONValue) -> JSONValue {
        [
            "records": .array(page.rows.map(record)),
            "_meta": ["records_total": .int(page.total), "records_filtered": .int(page.filtered)],
        ]
    }
}
