import Foundation
import Hummingbird

/// The dashboard pages, `/u/<user>/...` (reference section 7.2).
public struct Dashboard: Sendable {
    let access: AccessControl
    let links: ServiceLinks

    public init(access: AccessControl, links: ServiceLinks) {
        self.access = access
        self.links = links
    }

    func addRoutes(to group: RouterGroup<ServiceRequestContext>) {
        group.get("/") { request, context in try await workflowList(request, context) }
    }

    func scope(_ context: ServiceRequestContext) throws(ServiceFailure) -> UserScope {
        try access.scope(target: context.parameters.get("username") ?? "", context: context)
    }

    func workflowList(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let scope = try scope(context)
        let master = MasterWorkflows(scope: scope)
        let rows = try await master.exists() ? try await master.roots().records : []
        let items: [HTML] = rows.map { row in
            "<tr><td>\(row["dax_label"]?.text)</td><td>\(row["submit_hostname"]?.text)</td><td>\(row["submit_dir"]?.text)</td></tr>"
        }
        return Layout.htmlResponse(
            Layout.page(
                title: "Workflows of \(scope.target.name)", user: scope.target.name, links: links,
                content: """
                    <h1>Workflows of \(scope.target.name)</h1>
                    <table><tr><th>Workflow Label</th><th>Submit Host</th><th>Submit Directory</th></tr>\(items)</table>
                    """))
    }
}
