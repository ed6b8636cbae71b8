import EnsembleCore
import Foundation
import Hummingbird

/// The dashboard's statistics and charts pages (Pegasus' pages of the same names), under `/u/<user>`:
///
/// - `r/<root_wf_id>/w/<wf_id>/statistics[?page=N][&format=json]`: the tables of `pegasus-statistics`
///   (workflow summary, workflow statistics, job breakdown, job statistics paginated, integrity);
/// - `.../statistics/summary`, `/workflow`, `/job_breakdown`, `/job[?page=N&per_page=M]`, `/integrity`: the
///   same tables as JSON (Pegasus' XHR endpoints);
/// - `r/<root_wf_id>/w/<wf_id>/charts[?format=json]`: job distribution, time chart and Gantt chart as SVG drawn
///   on the server, aggregated so that 100,000 jobs stay small and fast.
///
/// Everything is computed with a few aggregate SQL statements through the user's reader.
public struct StatisticsPages: Sendable {
    let access: AccessControl
    let links: ServiceLinks

    public init(access: AccessControl, links: ServiceLinks) {
        self.access = access
        self.links = links
    }

    /// Registers the routes on the `/u/:username` group.
    public func addRoutes(to group: RouterGroup<ServiceRequestContext>) {
        let base = "r/:root_wf_id/w/:wf_id/"
        group.get(RouterPath(base + "statistics")) { request, context in try await statistics(request, context) }
        for part in StatisticsPart.allCases {
            group.get(RouterPath(base + "statistics/" + part.rawValue)) { request, context in
                try await statisticsPart(part, request, context)
            }
        }
        group.get(RouterPath(base + "charts")) { request, context in try await charts(request, context) }
    }

    /// The JSON sub-resources of the statistics page.
    enum StatisticsPart: String, CaseIterable, Sendable {
        case summary, workflow
        case jobBreakdown = "job_breakdown"
        case job, integrity
    }

    // MARK: - Handlers

    /// The statistics page (HTML, or everything as JSON with `?format=json`); `?page=N` pages the job table.
    func statistics(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let (user, workflow) = try await resolve(context)
        let page = Self.positiveInt(request.uri.queryParameters.get("page")) ?? 1
        let report = try await StatisticsQueries(workflow: workflow).report(page: page)
        if Self.wantsJSON(request) { return Self.json(StatisticsRendering.json(report)) }
        let base = baseLink(user: user, workflow: workflow)
        let body = StatisticsRendering.page(report, base: base) { "\(base)/statistics?page=\($0)" }
        return Layout.htmlResponse(
            Layout.page(title: "Statistics of \(workflow.label)", user: user, links: links, content: body))
    }

    /// One table as JSON, running only the statements it needs.
    func statisticsPart(_ part: StatisticsPart, _ request: Request, _ context: ServiceRequestContext)
        async throws -> Response
    {
        let (_, workflow) = try await resolve(context)
        let queries = StatisticsQueries(workflow: workflow)
        switch part {
        case .summary:
            let summary = try await queries.summary()
            return Self.json(StatisticsRendering.summaryJSON(individual: summary.individual, all: summary.all))
        case .workflow:
            let scopes = try await queries.scopes()
            return Self.json(
                StatisticsRendering.countsJSON(
                    individual: scopes.individual.counts, all: scopes.all.counts, perWorkflow: scopes.perWorkflow))
        case .jobBreakdown:
            let breakdown = try await queries.breakdown()
            return Self.json(StatisticsRendering.breakdownJSON(individual: breakdown.individual, all: breakdown.all))
        case .job:
            let page = Self.positiveInt(request.uri.queryParameters.get("page")) ?? 1
            let perPage = min(
                Self.positiveInt(request.uri.queryParameters.get("per_page")) ?? StatisticsQueries.perPage, 10_000)
            return Self.json(StatisticsRendering.jobsJSON(try await queries.jobs(page: page, perPage: perPage)))
        case .integrity:
            let summary = try await queries.summary()
            return Self.json(
                StatisticsRendering.integrityJSON(
                    individual: summary.integrityIndividual, all: summary.integrityAll))
        }
    }

    /// The charts page (HTML with inline SVG, or the charts' data with `?format=json`).
    func charts(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let (user, workflow) = try await resolve(context)
        let data = try await ChartsQueries(workflow: workflow).charts()
        if Self.wantsJSON(request) { return Self.json(ChartsRendering.json(data)) }
        let base = baseLink(user: user, workflow: workflow)
        return Layout.htmlResponse(
            Layout.page(
                title: "Charts of \(workflow.label)", user: user, links: links,
                content: ChartsRendering.page(data, base: base)))
    }

    // MARK: - Helpers

    /// The target user and the workflow of the URL (404s for unknown ids and missing databases).
    func resolve(_ context: ServiceRequestContext) async throws -> (String, StatisticsWorkflow) {
        let user = context.parameters.get("username") ?? ""
        let scope = try access.scope(target: user, context: context)
        let workflow = try await StatisticsWorkflow.resolve(
            scope: scope, rootID: context.parameters.get("root_wf_id") ?? "",
            wfID: context.parameters.get("wf_id") ?? "")
        return (user, workflow)
    }

    /// The workflow's details page, the base of its statistics and charts links.
    func baseLink(user: String, workflow: StatisticsWorkflow) -> String {
        links.path(
            "/u/\(ServiceLinks.segment(user))/r/\(ServiceLinks.segment(workflow.rootID))/w/\(workflow.wfID)")
    }

    /// Whether `?format=json` was asked for.
    static func wantsJSON(_ request: Request) -> Bool {
        request.uri.queryParameters.get("format") == "json"
    }

    /// A positive integer query parameter up to a million (pages, page sizes), nil for anything else.
    static func positiveInt(_ text: String?) -> Int? {
        guard let text, let value = Int(text), (1...1_000_000).contains(value) else { return nil }
        return value
    }

    /// A JSON response (not cached: the data changes while a workflow runs).
    static func json(_ value: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
    }
}
