import EnsembleCore

/// `.../workflow/<w>/files`: the workflow's `workflow_files` rows, each with its LFN (`rc_lfn.lfn`), PFNs
/// (`rc_pfn`) and replica-catalog metadata (`rc_meta`).
///
/// One record per `workflow_files` row. `query=` may name `l.*`, `p.*` and `rm.*`; a file matches when one
/// of its (LFN, PFN, metadata) combinations does, so a file with two PFNs is still one record and
/// `records_filtered` never exceeds `records_total` (Pegasus counted joined rows). `order=` by `p.*`/`rm.*`
/// sorts by each file's smallest value.
struct WorkflowFiles: Sendable {
    let workflow: WorkflowContext

    static let file = MonitoringResources.workflowFiles
    /// `rc_lfn` joined to each file row (SQL alias `lfn`, query prefix `l`). In `query=`, `l` means the `l`
    /// of the EXISTS below; in `order=`, this one.
    static let lfn = MonitoringResources.lfn.with(alias: "lfn")

    /// The page and counts, then the PFNs and metadata of the page's LFNs (three statements in all).
    func document(_ parameters: MonitoringParameters) async throws(ServiceFailure) -> JSONValue {
        var query = CollectionQuery(
            from: "workflow_files f JOIN rc_lfn lfn ON lfn.lfn_id = f.lfn_id",
            base: SQLFragment(sql: "f.wf_id = ?", arguments: [.int(workflow.wfID)]),
            resources: [Self.file, Self.lfn], defaultOrder: "f.task_id, f.lfn_id")
        query.filterResources = [MonitoringResources.lfn, MonitoringResources.pfn, MonitoringResources.rcMeta]
        query.wrapFilter = { condition in
            SQLFragment(
                sql: """
                    EXISTS (SELECT 1 FROM rc_lfn l LEFT JOIN rc_pfn p ON p.lfn_id = l.lfn_id
                            LEFT JOIN rc_meta rm ON rm.lfn_id = l.lfn_id
                            WHERE l.lfn_id = f.lfn_id AND (\(condition.sql)))
                    """, arguments: condition.arguments)
        }
        query.orderResources = [
            Self.lfn, MonitoringResources.pfn.with(alias: "po"), MonitoringResources.rcMeta.with(alias: "rmo"),
        ]
        query.orderJoins = """
            LEFT JOIN (SELECT lfn_id, min(pfn_id) AS pfn_id, min(pfn) AS pfn, min(site) AS site
                       FROM rc_pfn GROUP BY lfn_id) po ON po.lfn_id = f.lfn_id
            LEFT JOIN (SELECT lfn_id, min("key") AS "key", min(value) AS value
                       FROM rc_meta GROUP BY lfn_id) rmo ON rmo.lfn_id = f.lfn_id
            """
        let page = try await query.run(parameters, on: workflow.database)
        let lfnIDs = page.rows.compactMap { $0["f.lfn_id"].int }
        let pfns = try await related(MonitoringResources.pfn, lfnIDs: lfnIDs, order: "p.pfn_id")
        let meta = try await related(MonitoringResources.rcMeta, lfnIDs: lfnIDs, order: "rm.\"key\"")
        return CollectionQuery.document(page) { row in
            guard case .object(var object) = Self.file.record(row) ?? .null else { return .null }
            let id = row["f.lfn_id"].int ?? -1
            object["lfn"] = MonitoringColumn("lfn").json(row["lfn.lfn"])
            object["pfns"] = .array(pfns[id] ?? [])
            object["meta"] = .array(meta[id] ?? [])
            return .object(object)
        }
    }

    /// The rows of `rc_pfn` or `rc_meta` for some LFNs, grouped by `lfn_id`.
    func related(_ resource: MonitoringResource, lfnIDs: [Int64], order: String) async throws(ServiceFailure)
        -> [Int64: [JSONValue]]
    {
        let ids = Array(Set(lfnIDs)).sorted()
        var result: [Int64: [JSONValue]] = [:]
        // SQLite allows 32766 bound variables; pages larger than a chunk take several statements
        for start in stride(from: 0, to: ids.count, by: 10_000) {
            let chunk = ids[start..<min(start + 10_000, ids.count)]
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try await workflow.database.query(
                """
                SELECT \(resource.selectList) FROM \(resource.table) \(resource.alias)
                WHERE \(resource.alias).lfn_id IN (\(marks)) ORDER BY \(order)
                """, chunk.map { .int($0) })
            for row in rows {
                guard let id = row["\(resource.alias).lfn_id"].int, let record = resource.record(row) else { continue }
                result[id, default: []].append(record)
            }
        }
        return result
    }
}
