import Foundation
import Hummingbird

/// The columns the workflow list can be sorted by (`sort=`).
enum WorkflowListSort: String, CaseIterable, Sendable {
    case label, host, dir, state, timestamp

    /// The column of the `wf` view of ``MasterListQueries``.
    var column: String {
        switch self {
        case .label: "dax_label"
        case .host: "submit_hostname"
        case .dir: "submit_dir"
        case .state: "state"
        case .timestamp: "timestamp"
        }
    }

    var title: String {
        switch self {
        case .label: "Workflow Label"
        case .host: "Submit Host"
        case .dir: "Submit Directory"
        case .state: "State"
        case .timestamp: "Submitted On"
        }
    }
}

/// A sort direction (`dir=`).
enum SortDirection: String, CaseIterable, Sendable {
    case asc, desc
}

/// The time filter of the workflow list (`time=`): workflows submitted within the last day, week, ...
enum WorkflowTimeFilter: String, CaseIterable, Sendable {
    case all, day, week, month, year

    /// The window in seconds (Pegasus' values); nil for all.
    var seconds: Double? {
        switch self {
        case .all: nil
        case .day: 86_400
        case .week: 604_800
        case .month: 2_620_800
        case .year: 31_449_600
        }
    }

    var title: String {
        switch self {
        case .all: "Any time"
        case .day: "Last day"
        case .week: "Last week"
        case .month: "Last month"
        case .year: "Last year"
        }
    }
}

/// The options of one rendering of the workflow list, read from the query string.
struct WorkflowListOptions: Sendable, Equatable {
    var search: String?
    var sort = WorkflowListSort.timestamp
    var direction = SortDirection.desc
    var time = WorkflowTimeFilter.all
    var paging = Paging()

    init() {}

    /// Reads `q`, `sort`, `dir`, `time`, `page` and `size`; bad values are a 400.
    init(_ parameters: DashboardParameters) throws(ServiceFailure) {
        search = parameters.text("q")
        sort = try parameters.choice("sort", default: .timestamp)
        direction = try parameters.choice("dir", default: sort == .timestamp ? .desc : .asc)
        time = try parameters.choice("time", default: .all)
        paging = try Paging(parameters)
    }

    /// The states whose name contains the search text (SQL LIKE is case-insensitive for ASCII).
    var matchingStates: [String] {
        guard let search else { return [] }
        let needle = search.lowercased()
        return ["Running", "Successful", "Failed"].filter { $0.lowercased().contains(needle) }
    }

    /// Whether the filter or the order involve the state, which then is computed for every row.
    var needsState: Bool { sort == .state || !matchingStates.isEmpty }

    /// The SQL condition on the `wf` view: LIKE on label, host, directory and state, and the time window.
    func filter(now: Double) -> SQLFragment {
        var conditions: [String] = []
        var arguments: [SQLValue] = []
        if let search {
            let pattern = "%" + Self.escapeLike(search) + "%"
            let columns = ["dax_label", "submit_hostname", "submit_dir"]
            var alternatives = columns.map { "\($0) LIKE ? ESCAPE '\\'" }
            arguments += Array(repeating: .text(pattern), count: columns.count)
            // LIKE '%text%' on the state, decided here so that rows need no state when no state name matches.
            let states = matchingStates
            if !states.isEmpty {
                alternatives.append("state IN (" + states.map { _ in "?" }.joined(separator: ", ") + ")")
                arguments += states.map { .text($0) }
            }
            conditions.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        if let seconds = time.seconds {
            conditions.append("timestamp >= ?")
            arguments.append(.double(now - seconds))
        }
        return SQLFragment(sql: conditions.isEmpty ? "1" : conditions.joined(separator: " AND "), arguments: arguments)
    }

    /// Makes `%`, `_` and `\` match themselves.
    static func escapeLike(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// The query of a link to this list with some options changed (defaults are left out).
    func query(sort: WorkflowListSort? = nil, direction: SortDirection? = nil, page: Int? = nil) -> [(String, String?)]
    {
        let sort = sort ?? self.sort
        let direction = direction ?? self.direction
        let page = page ?? paging.page
        return [
            ("q", search), ("time", time == .all ? nil : time.rawValue),
            ("sort", sort == .timestamp ? nil : sort.rawValue),
            ("dir", direction == (sort == .timestamp ? .desc : .asc) ? nil : direction.rawValue),
            ("size", paging.size == Paging.defaultSize ? nil : String(paging.size)),
            ("page", page == 1 ? nil : String(page)),
        ]
    }
}

/// `/u/<user>/`: the user's root workflows from the master database, with counters, search, sorting, a time
/// filter and paging, all in SQL.
enum WorkflowListPage {
    /// The body shown when the user has no master database yet.
    static func masterMissing(user: String) -> HTML {
        """
        <h1>Workflows of \(user)</h1>
        <div class="notice">
        <p>There is no Pegasus workflow database for \(user) yet (<code>~/.pegasus/workflow.db</code>).</p>
        <h2>Possible reasons</h2>
        <ul><li>No workflows have been planned and run by \(user) with Pegasus 4.2.0 or later: \
        <code>pegasus-plan</code> creates the database with the first workflow.</li>
        <li>The database was removed. <code>pegasus-db-admin create</code> creates an empty one, and \
        <code>pegasus-db-admin update</code> brings an old one to the current schema.</li></ul>
        </div>
        """
    }
}

extension Dashboard {
    /// `/u/<user>/`.
    func workflowList(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let scope = try scope(context)
        let user = scope.target.name
        let options = try WorkflowListOptions(DashboardParameters(request))
        let queries = MasterListQueries(scope: scope)
        let filter = options.filter(now: now())
        let counts: MasterListQueries.Counts
        do {
            counts = try await queries.counts(filter: filter)
        } catch {
            guard error.kind == .notFound else { throw error }
            return Layout.htmlResponse(
                Layout.page(
                    title: "Workflows of \(user)", user: user, links: links,
                    content: WorkflowListPage.masterMissing(user: user)))
        }
        let rows =
            counts.matching > options.paging.offset
            ? try await queries.page(
                filter: filter, needsState: options.needsState, order: options.sort.column,
                descending: options.direction == .desc,
                paging: options.paging)
            : []
        let anyRunning = rows.contains { $0["state"]?.text == "Running" }
        let content = workflowListContent(user: user, options: options, counts: counts, rows: rows)
        return Layout.htmlResponse(
            Layout.page(
                title: "Workflows of \(user)", user: user, links: links, refresh: anyRunning ? 30 : nil,
                content: content))
    }

    private func workflowListContent(
        user: String, options: WorkflowListOptions, counts: MasterListQueries.Counts, rows: [[String: SQLValue]]
    ) -> HTML {
        let home = links.user(user)
        let url = { (query: [(String, String?)]) in home + QueryString.make(query) }
        let headers: [HTML] = WorkflowListSort.allCases.map { column in
            let active = column == options.sort
            let next: SortDirection =
                active ? (options.direction == .asc ? .desc : .asc) : (column == .timestamp ? .desc : .asc)
            let mark: HTML = active ? (options.direction == .asc ? " &#9650;" : " &#9660;") : ""
            return """
                <th><a href="\(url(options.query(sort: column, direction: next, page: 1)))">\
                \(column.title)</a>\(mark)</th>
                """
        }
        let body: [HTML] = rows.map { row in
            let state = row["state"]?.text ?? "Running"
            let id = row["wf_id"]?.int ?? 0
            let details =
                links.path("/u/\(ServiceLinks.segment(user))/r/\(id)/w")
                + QueryString.make([("wf_uuid", row["wf_uuid"]?.text)])
            let label = row["dax_label"]?.text ?? ""
            return """
                <tr><td><a href="\(details)">\(label.isEmpty ? "(no label)" : label)</a></td>\
                <td>\(row["submit_hostname"]?.text)</td><td>\(row["submit_dir"]?.text)</td>\
                <td class="state-\(state)">\(state)</td><td>\(DashboardFormat.date(row["timestamp"]?.double))</td></tr>
                """
        }
        let timeOptions: [HTML] = WorkflowTimeFilter.allCases.map { filter in
            let selected: HTML = filter == options.time ? " selected" : ""
            return "<option value=\"\(filter.rawValue)\"\(selected)>\(filter.title)</option>"
        }
        var hidden: [HTML] = []
        if options.sort != .timestamp {
            hidden.append("<input type=\"hidden\" name=\"sort\" value=\"\(options.sort.rawValue)\">")
        }
        if options.direction != (options.sort == .timestamp ? .desc : .asc) {
            hidden.append("<input type=\"hidden\" name=\"dir\" value=\"\(options.direction.rawValue)\">")
        }
        if options.paging.size != Paging.defaultSize {
            hidden.append("<input type=\"hidden\" name=\"size\" value=\"\(options.paging.size)\">")
        }
        let filtered = options.search != nil || options.time != .all
        let table: HTML =
            if counts.total == 0 {
                "<p class=\"notice\">No workflows yet: workflows appear here once they are planned with pegasus-plan.</p>"
            } else if counts.matching == 0 {
                "<p class=\"notice\">No workflow matches the search.</p>"
            } else {
                """
                <table class="list workflows"><thead><tr>\(headers)</tr></thead><tbody>\(body)</tbody></table>
                \(options.paging.pager(total: counts.matching) { url(options.query(page: $0)) })
                """
            }
        return """
            <h1>Workflows of \(user)</h1>
            <div class="counters">\
            <div class="counter state-Running"><b>\(counts.running)</b>Running</div>\
            <div class="counter state-Successful"><b>\(counts.successful)</b>Successful</div>\
            <div class="counter state-Failed"><b>\(counts.failed)</b>Failed</div>\
            <div class="counter"><b>\(counts.total)</b>Total</div></div>
            <form class="filters" method="get" action="\(home)">\
            <input type="search" name="q" value="\(options.search)" placeholder="Label, host, directory or state" \
            aria-label="Search">\
            <select name="time" aria-label="Submitted">\(timeOptions)</select>\(hidden)\
            <button type="submit">Search</button>\
            \(filtered ? "<a href=\"\(home)\">Clear</a>" as HTML : "")</form>
            \(filtered ? "<p class=\"matching\">\(counts.matching) of \(counts.total) workflows match.</p>" as HTML : "")
            \(table)
            """
    }
}
