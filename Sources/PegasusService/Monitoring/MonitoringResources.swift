import EnsembleCore

/// How a column's stored value becomes JSON.
enum ColumnKind: Sendable {
    /// As stored (integer, text, float or null).
    case plain
    /// A timestamp or NUMERIC column: always a JSON float (SQLite may store `1722470400.0` as an integer).
    case float
    /// A BOOLEAN column (0/1): `true`/`false`.
    case bool
}

/// One column of a monitoring resource.
struct MonitoringColumn: Sendable {
    let name: String
    let kind: ColumnKind

    init(_ name: String, _ kind: ColumnKind = .plain) {
        self.name = name
        self.kind = kind
    }

    /// The JSON for a stored value of this column.
    func json(_ value: SQLValue) -> JSONValue {
        switch (kind, value) {
        case (_, .null): .null
        case (.float, _): .double(value.double)
        case (.bool, .int(let i)): .bool(i != 0)
        case (_, .int(let i)): .int(Int(i))
        case (_, .double(let d)): .double(d)
        case (_, .text(let s)): .string(s)
        }
    }
}

/// A table of the master or STAMPEDE database as the API exposes it: the columns Pegasus' JSON encoder dumps
/// (all mapped columns) minus the ones deliberately withheld (`db_url`), under the SQL alias used in the
/// route's query, which is also the `query=`/`order=` prefix (`j`, `ji`, ...).
struct MonitoringResource: Sendable {
    /// The SQL table.
    let table: String
    /// The SQL alias.
    let alias: String
    /// The query-language prefix (usually the alias).
    let prefix: String
    /// The exposed columns, in schema order.
    let columns: [MonitoringColumn]

    init(table: String, alias: String, prefix: String? = nil, columns: [MonitoringColumn]) {
        self.table = table
        self.alias = alias
        self.prefix = prefix ?? alias
        self.columns = columns
    }

    /// The same resource under another SQL alias (the prefix stays), or without some columns.
    func with(alias: String? = nil, excluding excluded: Set<String> = []) -> MonitoringResource {
        MonitoringResource(
            table: table, alias: alias ?? self.alias, prefix: prefix,
            columns: columns.filter { !excluded.contains($0.name) })
    }

    /// `<alias>."col" AS "<alias>.col", ...`: labels carry the alias so that joined resources never collide.
    var selectList: String {
        columns.map { "\(alias).\"\($0.name)\" AS \"\(alias).\($0.name)\"" }.joined(separator: ", ")
    }

    /// The query-language resource: users may name every exposed column under ``prefix``.
    var queryResource: QueryResource {
        QueryResource(prefix: prefix, sqlAlias: alias, columns: Set(columns.map(\.name)))
    }

    /// The JSON object of one row selected with ``selectList``; nil when its columns are all NULL (the row of
    /// an outer join that matched nothing).
    func record(_ row: MonitoringRow) -> JSONValue? {
        var object: [String: JSONValue] = [:]
        var anyValue = false
        for column in columns {
            let value = row["\(alias).\(column.name)"]
            if !value.isNull { anyValue = true }
            object[column.name] = column.json(value)
        }
        return anyValue ? .object(object) : nil
    }
}

/// One result row addressed by column label.
struct MonitoringRow {
    let index: [String: Int]
    let values: [SQLValue]

    subscript(_ label: String) -> SQLValue {
        guard let i = index[label], i < values.count else { return .null }
        return values[i]
    }

    /// The rows of a result.
    static func rows(_ result: SQLRows) -> [MonitoringRow] {
        var index: [String: Int] = [:]
        for (i, column) in result.columns.enumerated() where index[column] == nil { index[column] = i }
        return result.rows.map { MonitoringRow(index: index, values: $0) }
    }
}

/// The resources of the monitoring API (docs/monitoring-api.md), with the columns of Pegasus 5.1.3's schema (`Pegasus/db/schema.py`).
enum MonitoringResources {
    /// `master_workflow` (prefix `r`). `db_url` is withheld: it is an internal path, and the API serves the
    /// data behind it anyway.
    static let root = MonitoringResource(
        table: "master_workflow", alias: "r",
        columns: [
            .init("wf_id"), .init("wf_uuid"), .init("dax_label"), .init("dax_version"), .init("dax_file"),
            .init("dag_file_name"), .init("timestamp", .float), .init("submit_hostname"), .init("submit_dir"),
            .init("planner_arguments"), .init("user"), .init("grid_dn"), .init("planner_version"),
            .init("archived", .bool),
        ])

    /// `master_workflowstate` (prefix `ws` in root queries): the latest state of a root workflow.
    static let rootState = MonitoringResource(
        table: "master_workflowstate", alias: "ws",
        columns: [
            .init("wf_id"), .init("state"), .init("timestamp", .float), .init("restart_count"), .init("status"),
            .init("reason"),
        ])

    /// `workflow` (prefix `w`); `db_url` withheld as for root workflows.
    static let workflow = MonitoringResource(
        table: "workflow", alias: "w",
        columns: [
            .init("wf_id"), .init("wf_uuid"), .init("dag_file_name"), .init("timestamp", .float),
            .init("submit_hostname"), .init("submit_dir"), .init("planner_arguments"), .init("user"),
            .init("grid_dn"), .init("planner_version"), .init("dax_label"), .init("dax_version"),
            .init("dax_file"), .init("parent_wf_id"), .init("root_wf_id"),
        ])

    /// `workflowstate` (prefix `ws`).
    static let workflowState = MonitoringResource(
        table: "workflowstate", alias: "ws",
        columns: [
            .init("wf_id"), .init("state"), .init("timestamp", .float), .init("restart_count"), .init("status"),
            .init("reason"),
        ])

    /// `workflow_meta` (prefix `wm`).
    static let workflowMeta = MonitoringResource(
        table: "workflow_meta", alias: "wm", columns: [.init("wf_id"), .init("key"), .init("value")])

    /// `workflow_files`: the file rows themselves (not queryable; queries use `l`, `p`, `rm`).
    static let workflowFiles = MonitoringResource(
        table: "workflow_files", alias: "f",
        columns: [.init("wf_id"), .init("task_id"), .init("lfn_id"), .init("file_type")])

    /// `rc_lfn` (prefix `l`).
    static let lfn = MonitoringResource(table: "rc_lfn", alias: "l", columns: [.init("lfn_id"), .init("lfn")])

    /// `rc_pfn` (prefix `p`).
    static let pfn = MonitoringResource(
        table: "rc_pfn", alias: "p", columns: [.init("pfn_id"), .init("lfn_id"), .init("pfn"), .init("site")])

    /// `rc_meta` (prefix `rm`).
    static let rcMeta = MonitoringResource(
        table: "rc_meta", alias: "rm", columns: [.init("lfn_id"), .init("key"), .init("value")])

    /// `job` (prefix `j`).
    static let job = MonitoringResource(
        table: "job", alias: "j",
        columns: [
            .init("job_id"), .init("wf_id"), .init("exec_job_id"), .init("submit_file"), .init("type_desc"),
            .init("clustered", .bool), .init("max_retries"), .init("executable"), .init("argv"),
            .init("task_count"),
        ])

    /// `host` (prefix `h`).
    static let host = MonitoringResource(
        table: "host", alias: "h",
        columns: [
            .init("host_id"), .init("wf_id"), .init("site"), .init("hostname"), .init("ip"), .init("uname"),
            .init("total_memory"),
        ])

    /// `job_instance` (prefix `ji`).
    static let jobInstance = MonitoringResource(
        table: "job_instance", alias: "ji",
        columns: [
            .init("job_instance_id"), .init("job_id"), .init("host_id"), .init("job_submit_seq"),
            .init("sched_id"), .init("site"), .init("user"), .init("work_dir"), .init("cluster_start", .float),
            .init("cluster_duration", .float), .init("local_duration", .float), .init("subwf_id"),
            .init("stdout_file"), .init("stdout_text"), .init("stderr_file"), .init("stderr_text"),
            .init("stdin_file"), .init("multiplier_factor"), .init("exitcode"),
        ])

    /// `jobstate` (prefix `js`).
    static let jobState = MonitoringResource(
        table: "jobstate", alias: "js",
        columns: [
            .init("job_instance_id"), .init("state"), .init("timestamp", .float), .init("jobstate_submit_seq"),
            .init("reason"),
        ])

    /// `task` (prefix `t`).
    static let task = MonitoringResource(
        table: "task", alias: "t",
        columns: [
            .init("task_id"), .init("wf_id"), .init("job_id"), .init("abs_task_id"), .init("transformation"),
            .init("argv"), .init("type_desc"),
        ])

    /// `task_meta` (prefix `tm`).
    static let taskMeta = MonitoringResource(
        table: "task_meta", alias: "tm", columns: [.init("task_id"), .init("key"), .init("value")])

    /// `invocation` (prefix `i`).
    static let invocation = MonitoringResource(
        table: "invocation", alias: "i",
        columns: [
            .init("invocation_id"), .init("wf_id"), .init("job_instance_id"), .init("task_submit_seq"),
            .init("start_time", .float), .init("remote_duration", .float), .init("remote_cpu_time", .float),
            .init("exitcode"), .init("transformation"), .init("executable"), .init("argv"), .init("abs_task_id"),
            .init("maxrss"), .init("avg_cpu", .float),
        ])
}
