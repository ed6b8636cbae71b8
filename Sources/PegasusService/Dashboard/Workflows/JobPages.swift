import Foundation
import Hummingbird

/// The job pages: a job instance's details, its captured stdout and stderr, and one invocation.
extension Dashboard {
    /// The ids of the job pages' path: workflow, job, job instance.
    struct JobAddress: Sendable {
        let wf: Int64
        let job: Int64
        let instance: Int64
    }

    func jobAddress(_ context: ServiceRequestContext) throws(ServiceFailure) -> JobAddress {
        JobAddress(
            wf: try numericParameter("wf_id", context, what: "workflow"),
            job: try numericParameter("job_id", context, what: "job"),
            instance: try numericParameter("job_instance_id", context, what: "job instance"))
    }

    /// `.../w/<wf>/j/<job>/ji/<ji>`: the job instance, its states, all tries and its invocations.
    func jobDetails(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let address = try jobAddress(context)
        let source = try await workflowSource(context)
        let stampede = source.stampede
        let found = try await firstStampedeQuery(source) {
            () async throws(UserDataFailure) -> [String: SQLValue]? in
            try await stampede.jobInstance(wf: address.wf, job: address.job, instance: address.instance)
        }
        guard let job = found else {
            throw ServiceFailure.notFound(
                "No job instance \(address.instance) of job \(address.job) in workflow \(address.wf)")
        }
        async let states = stampede.jobStates(instance: address.instance)
        async let instances = stampede.jobInstances(job: address.job)
        async let invocations = stampede.invocations(instance: address.instance)
        let view = JobDetailsView(
            paths: source.paths, address: address, job: job, states: try await states,
            instances: try await instances, invocations: try await invocations)
        return Layout.htmlResponse(
            Layout.page(
                title: "Job \(job["exec_job_id"]?.text ?? "")", user: source.user, links: links,
                refresh: job["exitcode"]?.isNull != false ? 30 : nil, content: view.render()))
    }

    /// `.../ji/<ji>/stdout` and `/stderr`: the text pegasus-monitord stored, decoded and escaped.
    func jobOutput(_ stream: JobOutput, _ context: ServiceRequestContext) async throws -> Response {
        let address = try jobAddress(context)
        let source = try await workflowSource(context)
        let stampede = source.stampede
        let output = try await firstStampedeQuery(source) {
            () async throws(UserDataFailure) -> (found: Bool, text: String?, file: String?) in
            try await stampede.output(stream, wf: address.wf, job: address.job, instance: address.instance)
        }
        guard output.found else {
            throw ServiceFailure.notFound(
                "No job instance \(address.instance) of job \(address.job) in workflow \(address.wf)")
        }
        let title = stream == .stdout ? "Standard output" : "Standard error"
        let body: HTML
        if let text = output.text, !text.isEmpty {
            body = "<pre class=\"output\">\(DashboardFormat.unquote(text))</pre>"
        } else {
            let what = stream == .stdout ? "stdout" : "Standard error"
            body = "<p class=\"notice\">No \(what) for workflow \(address.wf) job-id \(address.job)</p>"
        }
        let back = source.paths.job(address.wf, job: address.job, instance: address.instance)
        let content: HTML = """
            <nav class="crumbs"><a href="\(source.paths.home)">Workflows</a> / \
            <a href="\(source.paths.workflow(address.wf))">Workflow</a> / <a href="\(back)">Job</a> / \
            <span>\(stream.rawValue)</span></nav>
            <h1>\(title)</h1>
            \(body)
            """
        return Layout.htmlResponse(Layout.page(title: title, user: source.user, links: links, content: content))
    }

    /// `.../ji/<ji>/i/<invocation>`: one kickstart record and its task's metadata.
    func invocationDetails(_ context: ServiceRequestContext) async throws -> Response {
        let address = try jobAddress(context)
        let id = try numericParameter("invocation_id", context, what: "invocation")
        let source = try await workflowSource(context)
        let stampede = source.stampede
        let rows = try await firstStampedeQuery(source) { () async throws(UserDataFailure) -> [[String: SQLValue]] in
            try await stampede.invocation(wf: address.wf, job: address.job, instance: address.instance, invocation: id)
        }
        guard let invocation = rows.first else {
            throw ServiceFailure.notFound("No invocation \(id) of job instance \(address.instance)")
        }
        func text(_ key: String) -> String? { invocation[key]?.text }
        let metadata: [HTML] = rows.compactMap { row in
            guard let key = row["meta_key"]?.text else { return nil }
            return "<tr><th>\(key)</th><td>\(row["meta_value"]?.text)</td></tr>"
        }
        let back = source.paths.job(address.wf, job: address.job, instance: address.instance)
        let metaSection: HTML =
            metadata.isEmpty
            ? "<p class=\"notice\">No metadata associated with this task</p>"
            : "<table class=\"details metadata\">\(metadata)</table>"
        let content: HTML = """
            <nav class="crumbs"><a href="\(source.paths.home)">Workflows</a> / \
            <a href="\(source.paths.workflow(address.wf))">Workflow</a> / \
            <a href="\(back)">\(text("exec_job_id"))</a> / <span>Invocation \(id)</span></nav>
            <h1>Invocation Details</h1>
            <table class="details invocation">
            <tr><th>Task Label</th><td>\(text("abs_task_id"))</td></tr>
            <tr><th>Transformation</th><td>\(text("transformation"))</td></tr>
            <tr><th>Working Directory</th><td><code>\(text("work_dir"))</code></td></tr>
            <tr><th>Executable</th><td><code>\(text("executable"))</code></td></tr>
            <tr><th>Arguments</th><td><code>\(text("argv"))</code></td></tr>
            <tr><th>Exit Code</th><td>\(text("exitcode"))</td></tr>
            <tr><th>Start Time</th><td>\(DashboardFormat.date(invocation["start_time"]?.double))</td></tr>
            <tr><th>Remote Duration</th><td>\(DashboardFormat.duration(invocation["remote_duration"]?.double))</td></tr>
            <tr><th>Remote CPU Time</th><td>\(DashboardFormat.duration(invocation["remote_cpu_time"]?.double))</td></tr>
            </table>
            <h2>Task Metadata</h2>
            \(metaSection)
            """
        return Layout.htmlResponse(
            Layout.page(title: "Invocation \(id)", user: source.user, links: links, content: content))
    }

    /// Runs the first query of a page on the STAMPEDE database; a missing database gives the "workflow details
    /// missing" page (404).
    func firstStampedeQuery<T>(_ source: WorkflowSource, _ body: () async throws(UserDataFailure) -> T)
        async throws -> T
    {
        do {
            return try await body()
        } catch {
            guard error.kind == .notFound else { throw error }
            throw stampedeMissing(source)
        }
    }
}

/// Renders the job details page.
struct JobDetailsView {
    let paths: WorkflowPaths
    let address: Dashboard.JobAddress
    let job: [String: SQLValue]
    let states: [[String: SQLValue]]
    let instances: [[String: SQLValue]]
    let invocations: [[String: SQLValue]]

    private func text(_ key: String) -> String? { job[key]?.text }

    /// A link into the file browser for a path stored relative to the submit directory (or absolute below it).
    private func fileLink(_ stored: String?) -> HTML {
        guard let stored, !stored.isEmpty else { return "-" }
        guard let relative = FileBrowserPath.relative(stored, to: text("submit_dir")) else {
            return "<code>\(stored)</code>"
        }
        return "<a href=\"\(paths.browser(address.wf, path: relative))\">\(stored)</a>"
    }

    func render() -> HTML {
        let wf = address.wf
        let exitcode = job["exitcode"]
        let status = exitcode?.isNull != false ? "Running" : (exitcode?.int == 0 ? "Successful" : "Failed")
        let type: HTML = "\(text("type_desc"))\(job["clustered"]?.int == 1 ? " (clustered)" : "")"
        let host: HTML =
            text("hostname") == nil && text("ip") == nil ? "-" : "\(text("ip") ?? "-") &gt; \(text("hostname") ?? "-")"
        let subworkflow: HTML =
            if let sub = job["subwf_id"]?.int {
                "<tr><th>Sub-workflow</th><td><a href=\"\(paths.workflow(sub))\">\(text("subwf_label") ?? "workflow \(sub)")</a></td></tr>"
            } else {
                ""
            }
        let stdout = paths.output(wf, job: address.job, instance: address.instance, .stdout)
        let stderr = paths.output(wf, job: address.job, instance: address.instance, .stderr)
        return """
            <nav class="crumbs"><a href="\(paths.home)">Workflows</a> / \
            <a href="\(paths.workflow(wf))">\(text("dax_label") ?? "Workflow")</a> / <span>\(text("exec_job_id"))</span></nav>
            <h1>Job Details</h1>
            <table class="details job">
            <tr><th>Label</th><td><strong>\(text("exec_job_id"))</strong></td></tr>
            <tr><th>Type</th><td>\(type)</td></tr>
            <tr><th>Exit Code</th><td class="state-\(status)">\(text("exitcode") ?? "- (running)")</td></tr>
            <tr><th>Working Directory</th><td><code>\(text("work_dir"))</code></td></tr>
            <tr><th>Application Stdout/Stderr</th><td><a href="\(stdout)">Preview</a></td></tr>
            <tr><th>Condor Stderr/Pegasus Lite Log</th><td><a href="\(stderr)">Preview</a></td></tr>
            <tr><th>Kickstart Output</th><td>\(fileLink(text("stdout_file")))</td></tr>
            <tr><th>Condor Stderr File</th><td>\(fileLink(text("stderr_file")))</td></tr>
            <tr><th>Condor Submit File</th><td>\(fileLink(text("submit_file")))</td></tr>
            <tr><th>Site</th><td>\(text("site") ?? text("instance_site"))</td></tr>
            <tr><th>Host</th><td>\(host)</td></tr>
            \(subworkflow)</table>
            \(stateTable())
            \(instanceTable())
            \(invocationTables())
            """
    }

    /// Each state with its time and the interval since the previous one.
    private func stateTable() -> HTML {
        guard !states.isEmpty else { return "" }
        var previous: Double?
        let rows: [HTML] = states.map { row in
            let time = row["timestamp"]?.double
            let interval = previous.flatMap { before in time.map { $0 - before } } ?? 0
            previous = time ?? previous
            let reason: HTML = row["reason"]?.text.map { " - \($0)" } ?? ""
            let name = (row["state"]?.text ?? "").replacingOccurrences(of: "_", with: " ").capitalized
            return """
                <tr><th>\(name)</th><td>\(DashboardFormat.date(time)) (\(DashboardFormat.duration(interval)))\
                \(reason)</td></tr>
                """
        }
        return "<h2>Job States</h2><table class=\"details job-states\">\(rows)</table>"
    }

    /// All tries of the job, newest first.
    private func instanceTable() -> HTML {
        let rows: [HTML] = instances.enumerated().map { index, row in
            let id = row["job_instance_id"]?.int ?? 0
            let exit = row["exitcode"]
            let css = exit?.isNull != false ? "Running" : (exit?.int == 0 ? "Successful" : "Failed")
            let current: HTML = id == address.instance ? " class=\"current\"" : ""
            return """
                <tr\(current)><td class="num">\(instances.count - index)</td>\
                <td><a href="\(paths.job(address.wf, job: address.job, instance: id))">\(id)</a></td>\
                <td class="state-\(css)">\(exit?.text ?? "-")</td>\
                <td><a href="\(paths.output(address.wf, job: address.job, instance: id, .stdout))">Preview</a></td>\
                <td><a href="\(paths.output(address.wf, job: address.job, instance: id, .stderr))">Preview</a></td></tr>
                """
        }
        return """
            <h2>Job Instances</h2>
            <table class="list job-instances"><thead><tr><th class="num">Try</th><th>Job Instance ID</th>\
            <th>Exitcode</th><th>Stdout</th><th>Stderr</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    /// Successful and failed invocations of this instance.
    private func invocationTables() -> HTML {
        func table(_ title: String, _ rows: [[String: SQLValue]]) -> HTML {
            guard !rows.isEmpty else { return "<h2>\(title)</h2><p class=\"notice\">None.</p>" }
            let body: [HTML] = rows.map { row in
                let id = row["invocation_id"]?.int ?? 0
                let name = row["abs_task_id"]?.text ?? job["exec_job_id"]?.text ?? String(id)
                let url = paths.invocation(address.wf, job: address.job, instance: address.instance, invocation: id)
                return """
                    <tr><td><a href="\(url)">\(name)</a></td><td>\(row["transformation"]?.text)</td>\
                    <td class="num">\(row["exitcode"]?.text)</td>\
                    <td>\(DashboardFormat.duration(row["remote_duration"]?.double))</td></tr>
                    """
            }
            return """
                <h2>\(title)</h2>
                <table class="list invocations"><thead><tr><th>Invocation</th><th>Transformation</th>\
                <th class="num">Exit Code</th><th>Remote Duration</th></tr></thead><tbody>\(body)</tbody></table>
                """
        }
        let failed = invocations.filter { $0["exitcode"]?.int != 0 }
        let successful = invocations.filter { $0["exitcode"]?.int == 0 }
        return table("Failed Invocations", failed) + table("Successful Invocations", successful)
    }
}
