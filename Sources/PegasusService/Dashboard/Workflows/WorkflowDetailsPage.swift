import Foundation
import Hummingbird

/// `/u/<u>/r/<root>/w/<wf>` (or `/w?wf_uuid=`): a workflow's summary, job counts, sub-workflows and one page of
/// one job tab. Five bounded queries, three of them concurrent; nothing scales with the number of jobs but the
/// aggregates SQLite computes.
extension Dashboard {
    func workflowDetails(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let parameters = try DashboardParameters(request)
        let requestedTab: JobTab? =
            parameters.text("tab") == nil ? nil : try parameters.choice("tab", default: .failed)
        let paging = try Paging(parameters)
        let source = try await workflowSource(context)
        let workflow = try await workflowRow(
            source, id: context.parameters.get("wf_id"), uuid: parameters.text("wf_uuid"))
        guard let wf = workflow["wf_id"]?.int else { throw ServiceFailure.notFound("No workflow") }

        async let countsResult = source.stampede.jobCounts(wf: wf)
        async let subWorkflowsResult = source.stampede.subWorkflows(of: wf, limit: Self.subWorkflowLimit)
        async let metadataResult = source.stampede.metadata(wf: wf)
        let tab: JobTab
        let jobs: [[String: SQLValue]]
        let counts: JobCounts
        if let requestedTab {
            tab = requestedTab
            async let jobsResult = source.stampede.jobs(tab, wf: wf, paging: paging)
            counts = try await countsResult
            jobs = try await jobsResult
        } else {
            counts = try await countsResult
            tab = [.failed, .failing, .running, .successful].first { counts.count($0) > 0 } ?? .failed
            jobs = counts.count(tab) > 0 ? try await source.stampede.jobs(tab, wf: wf, paging: paging) : []
        }
        let subWorkflows = try await subWorkflowsResult
        let metadata = try await metadataResult

        let page = WorkflowDetailsView(
            paths: source.paths, workflow: workflow, wf: wf, counts: counts, subWorkflows: subWorkflows,
            metadata: metadata, tab: tab, jobs: jobs, paging: paging)
        let state = workflow["state"]?.text ?? "Running"
        return Layout.htmlResponse(
            Layout.page(
                title: "Workflow \(workflow["dax_label"]?.text ?? "")", user: source.user, links: links,
                refresh: state == "Running" ? 30 : nil, content: page.render()))
    }

    /// At most this many sub-workflows are listed on a workflow page.
    static let subWorkflowLimit = 1000
}

/// Renders the workflow details page.
struct WorkflowDetailsView {
    let paths: WorkflowPaths
    let workflow: [String: SQLValue]
    let wf: Int64
    let counts: JobCounts
    let subWorkflows: [[String: SQLValue]]
    let metadata: [[String: SQLValue]]
    let tab: JobTab
    let jobs: [[String: SQLValue]]
    let paging: Paging

    private func text(_ key: String) -> String? { workflow[key]?.text }

    func render() -> HTML {
        let label = text("dax_label") ?? ""
        let state = text("state") ?? "Running"
        let isRoot = workflow["root_wf_id"]?.int == wf || workflow["parent_wf_id"]?.isNull != false
        let reason: HTML = text("ws_reason").map { " &#39;\($0)&#39;" } ?? ""
        let dagman = (text("dag_file_name") ?? "\(label)-0.dag") + ".dagman.out"
        var crumbs: [HTML] = ["<a href=\"\(paths.home)\">Workflows</a>"]
        if let parent = workflow["parent_wf_id"]?.int {
            crumbs.append("<a href=\"\(paths.workflow(parent))\">\(text("parent_label") ?? "parent")</a>")
        }
        crumbs.append("<span>\(label)</span>")
        let parentRow: HTML =
            if let parent = workflow["parent_wf_id"]?.int {
                "<tr><th>Parent Workflow</th><td><a href=\"\(paths.workflow(parent))\">\(text("parent_label") ?? String(parent))</a></td></tr>"
            } else {
                ""
            }
        return """
            <nav class="crumbs">\(crumbs.joinedHTML(separator: " / "))</nav>
            <h1>Workflow Details <small>\(text("wf_uuid"))</small></h1>
            <table class="details summary">
            <tr><th>Label</th><td>\(label)</td></tr>
            <tr><th>Type</th><td>\(isRoot ? "root-wf" : "sub-wf")</td></tr>
            <tr><th>Progress</th><td class="state-\(state)">\(state)\(reason)</td></tr>
            <tr><th>Submit Host</th><td>\(text("submit_hostname"))</td></tr>
            <tr><th>User</th><td>\(text("user"))</td></tr>
            <tr><th>Submit Directory</th><td><a href="\(paths.browser(wf))">\(text("submit_dir"))</a></td></tr>
            <tr><th>DAGMan Out File</th><td><a href="\(paths.browser(wf, path: dagman))">\(dagman)</a></td></tr>
            \(parentRow)<tr><th>Wall Time</th><td>\(DashboardFormat.duration(workflow["wall_time"]?.double))</td></tr>
            <tr><th>Cumulative Wall Time</th><td>\(DashboardFormat.duration(counts.cumulativeWallTime))</td></tr>
            <tr><th>Planner Version</th><td>\(text("planner_version"))</td></tr>
            </table>
            <p class="actions"><a class="button" href="\(paths.below(wf, "statistics"))">Statistics</a> \
            <a class="button" href="\(paths.below(wf, "charts"))">Charts</a> \
            <a class="button" href="\(paths.browser(wf))">Browse files</a></p>
            \(metadataSection())
            \(jobStatus())
            \(subWorkflowSection())
            \(jobSection())
            """
    }

    /// The workflow's metadata (`workflow_meta`), if it has any.
    private func metadataSection() -> HTML {
        guard !metadata.isEmpty else { return "" }
        let rows: [HTML] = metadata.map { row in
            "<tr><th>\(row["key"]?.text)</th><td>\(row["value"]?.text)</td></tr>"
        }
        return "<h2>Metadata</h2><table class=\"details metadata\">\(rows)</table>"
    }

    /// The job status table (Pegasus' pie chart "Job Status (Per Workflow)").
    private func jobStatus() -> HTML {
        func row(_ title: String, _ total: Int, _ workflows: Int, _ css: String) -> HTML {
            "<tr class=\"\(css)\"><th>\(title)</th><td class=\"num\">\(total - workflows)</td><td class=\"num\">\(workflows)</td><td class=\"num\">\(total)</td></tr>"
        }
        return """
            <h2>Job Status</h2>
            <table class="list job-status"><thead><tr><th>State</th><th class="num">Jobs</th>\
            <th class="num">Sub-workflow jobs</th><th class="num">Total</th></tr></thead><tbody>
            \(row("Running", counts.running, counts.runningWorkflow, "state-Running"))
            \(row("Failed", counts.fail, counts.failWorkflow, "state-Failed"))
            \(row("Successful", counts.success, counts.successWorkflow, "state-Successful"))
            \(row("Unsubmitted", counts.others, counts.othersWorkflow, "state-Other"))
            \(row("All", counts.total, counts.totalWorkflow, "total"))
            </tbody></table>
            """
    }

    private func subWorkflowSection() -> HTML {
        guard !subWorkflows.isEmpty else { return "" }
        let rows: [HTML] = subWorkflows.map { row in
            let state = row["state"]?.text ?? "Running"
            let id = row["wf_id"]?.int ?? 0
            return """
                <tr><td><a href="\(paths.workflow(id))">\(row["dax_label"]?.text ?? String(id))</a></td>\
                <td class="state-\(state)">\(state)</td><td>\(row["wf_uuid"]?.text)</td></tr>
                """
        }
        let more: HTML =
            subWorkflows.count >= Dashboard.subWorkflowLimit
            ? "<p class=\"notice\">Only the first \(Dashboard.subWorkflowLimit) sub-workflows are listed.</p>" : ""
        return """
            <h2 id="sub-workflows">Sub Workflows (\(subWorkflows.count))</h2>
            <table class="list sub-workflows"><thead><tr><th>Workflow Label</th><th>State</th><th>UUID</th></tr>\
            </thead><tbody>\(rows)</tbody></table>\(more)
            """
    }

    private func jobSection() -> HTML {
        let tabs: [HTML] = JobTab.allCases.map { item in
            let current: HTML = item == tab ? " class=\"current\" aria-current=\"page\"" : ""
            return
                "<a href=\"\(paths.workflow(wf, [("tab", item.rawValue)]))\"\(current)>\(item.title) (\(counts.count(item)))</a>"
        }
        let total = counts.count(tab)
        let header: HTML
        switch tab {
        case .failed, .failing:
            header =
                "<th>Job Name</th><th>Exit Code</th><th>Application Stdout/Stderr</th><th>Condor Stderr/Pegasus Lite Log</th>"
        case .running:
            header = "<th>Job Name</th><th>Type</th>"
        case .successful:
            header = "<th>Job Name</th><th>Time Taken</th>"
        }
        let rows: [HTML] = jobs.map { row in
            let job = row["job_id"]?.int ?? 0
            let instance = row["job_instance_id"]?.int ?? 0
            let name: HTML =
                "<a href=\"\(paths.job(wf, job: job, instance: instance))\">\(row["exec_job_id"]?.text)</a>"
            switch tab {
            case .failed, .failing:
                return """
                    <tr><td>\(name)</td><td class="num">\(row["exitcode"]?.text)</td>\
                    <td><a href="\(paths.output(wf, job: job, instance: instance, .stdout))">Application Stdout/Stderr</a></td>\
                    <td><a href="\(paths.output(wf, job: job, instance: instance, .stderr))">Condor Stderr/Pegasus Lite Log</a></td></tr>
                    """
            case .running:
                return "<tr><td>\(name)</td><td>\(row["type_desc"]?.text)</td></tr>"
            case .successful:
                return "<tr><td>\(name)</td><td>\(DashboardFormat.duration(row["duration"]?.double))</td></tr>"
            }
        }
        let table: HTML =
            total == 0
            ? "<p class=\"notice\">No \(tab.title.lowercased()) jobs.</p>"
            : """
            <table class="list jobs \(tab.rawValue)"><thead><tr>\(header)</tr></thead><tbody>\(rows)</tbody></table>
            \(paging.pager(total: total) { page in
                paths.workflow(wf, [("tab", tab.rawValue), ("page", String(page)),
                    ("size", paging.size == Paging.defaultSize ? nil : String(paging.size))])
            })
            """
        return """
            <h2 id="jobs">Jobs</h2>
            <nav class="tabs">\(tabs)</nav>
            \(table)
            """
    }
}
