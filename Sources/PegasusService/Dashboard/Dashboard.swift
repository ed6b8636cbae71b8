import Foundation
import Hummingbird

/// The dashboard pages, `/u/<user>/...` (listed in docs/dashboard.md): server-rendered HTML without JavaScript, real
/// status codes, every value escaped by ``HTML``, every list paged in SQL.
public struct Dashboard: Sendable {
    let access: AccessControl
    let links: ServiceLinks
    /// The current time (epoch seconds) for the time filter of the workflow list; tests pin it.
    let now: @Sendable () -> Double

    public init(access: AccessControl, links: ServiceLinks) {
        self.init(access: access, links: links, now: { Date().timeIntervalSince1970 })
    }

    init(access: AccessControl, links: ServiceLinks, now: @escaping @Sendable () -> Double) {
        self.access = access
        self.links = links
        self.now = now
    }

    /// Registers the pages relative to the `/u/:username` group.
    func addRoutes(to group: RouterGroup<ServiceRequestContext>) {
        group.get("/") { request, context in try await answer(context) { try await workflowList(request, context) } }
        group.get("info") { _, context in try await info(context) }
        let workflow = "r/:root_wf_id/w"
        group.get(RouterPath(workflow)) { request, context in
            try await answer(context) { try await workflowDetails(request, context) }
        }
        group.get(RouterPath("\(workflow)/:wf_id")) { request, context in
            try await answer(context) { try await workflowDetails(request, context) }
        }
        let instance = "\(workflow)/:wf_id/j/:job_id/ji/:job_instance_id"
        group.get(RouterPath(instance)) { request, context in
            try await answer(context) { try await jobDetails(request, context) }
        }
        group.get(RouterPath("\(instance)/stdout")) { request, context in
            try await answer(context) { try await jobOutput(.stdout, context) }
        }
        group.get(RouterPath("\(instance)/stderr")) { request, context in
            try await answer(context) { try await jobOutput(.stderr, context) }
        }
        group.get(RouterPath("\(instance)/i/:invocation_id")) { request, context in
            try await answer(context) { try await invocationDetails(context) }
        }
        group.get(RouterPath("\(workflow)/:wf_id/browser")) { request, context in
            try await answer(context) { try await fileBrowser(request, context) }
        }
        group.get(RouterPath("\(workflow)/:wf_id/file")) { request, context in
            try await answer(context) { try await rawFile(request, context) }
        }
        EnsemblePages(access: access, links: links).addRoutes(to: group)
        StatisticsPages(access: access, links: links).addRoutes(to: group)
    }

    /// Runs a page handler; a ``DashboardPageFailure`` becomes its page with its status code.
    func answer(_ context: ServiceRequestContext, _ handler: () async throws -> Response) async throws -> Response {
        do {
            return try await handler()
        } catch let failure as DashboardPageFailure {
            return failure.response(user: context.parameters.get("username"), links: links)
        }
    }

    /// The target user's data for this request (403/404 from the access control).
    func scope(_ context: ServiceRequestContext) throws(ServiceFailure) -> UserScope {
        try access.scope(target: context.parameters.get("username") ?? "", context: context)
    }

    /// `/u/<user>/info`: about the service and where to get help.
    func info(_ context: ServiceRequestContext) async throws -> Response {
        let scope = try scope(context)
        let user = scope.target.name
        let content: HTML = """
            <h1>About</h1>
            <table class="details">
            <tr><th>Service</th><td>pegasus-service (Swift successor of the Pegasus WMS service)</td></tr>
            <tr><th>Reads</th><td>Pegasus \(Self.pegasusVersion) master and STAMPEDE databases \
            (<code>~/.pegasus/workflow.db</code> and each workflow&#39;s <code>*.stampede.db</code>)</td></tr>
            <tr><th>User</th><td>\(user)</td></tr>
            <tr><th>Signed in as</th><td>\(scope.login.name)</td></tr>
            </table>
            <h2>Documentation and help</h2>
            <ul>
            <li><a href="https://pegasus.isi.edu/documentation/">Pegasus documentation</a></li>
            <li><a href="https://pegasus.isi.edu/documentation/user-guide/monitoring.html">Monitoring, \
            debugging and statistics</a></li>
            <li><a href="https://github.com/pegasus-isi/pegasus/issues">Issue tracker</a></li>
            </ul>
            <p>To contact the Pegasus team for technical support, send an email to \
            <a href="mailto:pegasus-users@isi.edu">pegasus-users@isi.edu</a>.</p>
            """
        return Layout.htmlResponse(Layout.page(title: "About", user: user, links: links, content: content))
    }

    /// The Pegasus release whose database schema the pages read.
    static let pegasusVersion = "5.1"

    // MARK: - Resolving a workflow

    /// The root workflow a page is about (from the master database) and its STAMPEDE database.
    struct WorkflowSource: Sendable {
        let scope: UserScope
        let paths: WorkflowPaths
        /// The master_workflow row (wf_id, wf_uuid, dax_label, submit_dir, db_url).
        let root: [String: SQLValue]
        let stampede: StampedeQueries

        var user: String { scope.target.name }
    }

    /// Finds the root workflow of the `root_wf_id` path parameter (master wf_id or wf_uuid).
    func workflowSource(_ context: ServiceRequestContext) async throws -> WorkflowSource {
        let scope = try scope(context)
        let user = scope.target.name
        let id = context.parameters.get("root_wf_id") ?? ""
        let row: [String: SQLValue]?
        do {
            row = try await MasterListQueries(scope: scope).root(id)
        } catch {
            guard error.kind == .notFound else { throw error }
            throw DashboardPageFailure(
                status: .notFound, title: "No workflows", content: WorkflowListPage.masterMissing(user: user))
        }
        guard let row, let rootID = row["wf_id"]?.int else {
            throw ServiceFailure.notFound("No root workflow \(id) in the workflow database of \(user)")
        }
        let paths = WorkflowPaths(links: links, user: user, root: rootID)
        guard let database = Self.stampedeDatabase(dbURL: row["db_url"]?.text) else {
            throw DashboardPageFailure(
                status: .notFound, title: "Workflow database not supported",
                content: """
                    <h1>Workflow database not supported</h1>
                    <p>The workflow&#39;s monitoring database is <code>\(row["db_url"]?.text ?? "(none)")</code>; \
                    only SQLite databases given as <code>sqlite:///absolute/path</code> can be shown.</p>
                    <p><a href="\(paths.home)">All workflows</a></p>
                    """)
        }
        return WorkflowSource(
            scope: scope, paths: paths, root: row, stampede: StampedeQueries(scope: scope, database: database))
    }

    /// The STAMPEDE database path of a `db_url`: `sqlite:////abs/path` (SQLAlchemy's absolute form, what Pegasus
    /// writes) or `sqlite:///abs/path`; nil for other databases.
    static func stampedeDatabase(dbURL: String?) -> String? {
        guard let path = MasterWorkflows.stampedePath(dbURL: dbURL) else { return nil }
        let trimmed = path.drop { $0 == "/" }
        return trimmed.isEmpty ? nil : "/" + trimmed
    }

    /// The workflow `wf` (stampede wf_id, or a wf_uuid) of a source, with its state; a missing STAMPEDE
    /// database gives the "workflow details missing" page (404, Pegasus #799), an unknown workflow a 404.
    func workflowRow(_ source: WorkflowSource, id: String?, uuid: String?) async throws -> [String: SQLValue] {
        let numeric = id.flatMap { Int64($0) }
        let byUUID = numeric == nil ? (id ?? uuid ?? source.root["wf_uuid"]?.text ?? "") : nil
        let stampede = source.stampede
        let row = try await firstStampedeQuery(source) { () async throws(UserDataFailure) -> [String: SQLValue]? in
            try await stampede.workflow(id: numeric, uuid: byUUID)
        }
        guard let row else {
            throw ServiceFailure.notFound("No workflow \(id ?? uuid ?? "") in root workflow \(source.paths.root)")
        }
        return row
    }

    /// The "workflow details missing" page (404, Pegasus #799): the STAMPEDE database does not exist.
    func stampedeMissing(_ source: WorkflowSource) -> DashboardPageFailure {
        DashboardPageFailure(
            status: .notFound, title: "Workflow details missing",
            content: """
                <h1>Workflow details missing</h1>
                <p>The monitoring database of workflow <b>\(source.root["dax_label"]?.text ?? "")</b> \
                (\(source.root["wf_uuid"]?.text ?? "")) does not exist:</p>
                <p><code>\(source.stampede.database)</code></p>
                <h2>Possible reasons</h2>
                <ul><li>The workflow&#39;s submit directory <code>\(source.root["submit_dir"]?.text ?? "")</code> \
                was moved or deleted.</li>
                <li>The workflow was planned but never started, so pegasus-monitord did not create it.</li></ul>
                <p><a href="\(source.paths.home)">All workflows</a></p>
                """)
    }

    /// A numeric path parameter (job, job instance and invocation ids); anything else is a 404.
    func numericParameter(_ name: String, _ context: ServiceRequestContext, what: String) throws(ServiceFailure)
        -> Int64
    {
        let raw = context.parameters.get(name) ?? ""
        guard let value = Int64(raw) else { throw ServiceFailure.notFound("No \(what) \(raw)") }
        return value
    }
}
