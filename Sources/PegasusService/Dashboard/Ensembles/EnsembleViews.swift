import Foundation

/// The markup of the ensemble pages (`/u/<user>/ensembles...`). Every value goes through ``HTML`` interpolation,
/// so stored text (reasons, paths, plan commands) cannot inject markup.
struct EnsembleViews {
    let user: String
    let links: ServiceLinks

    /// `/u/<user>/<rest>` under the URL prefix; `rest` must already be percent-encoded.
    func url(_ rest: String) -> String { links.path("/u/\(ServiceLinks.segment(user))/\(rest)") }

    func ensembleURL(_ ensemble: String, state: String? = nil) -> String {
        url("ensembles/\(ServiceLinks.segment(ensemble))")
            + (state.map { "?state=\(EnsembleFormat.queryValue($0))" } ?? "")
    }

    func workflowURL(_ ensemble: String, _ workflow: String) -> String {
        url("ensembles/\(ServiceLinks.segment(ensemble))/workflows/\(ServiceLinks.segment(workflow))")
    }

    func triggerURL(_ ensemble: String, _ trigger: String) -> String {
        url("triggers/\(ServiceLinks.segment(ensemble))/\(ServiceLinks.segment(trigger))")
    }

    /// The monitoring page of a root workflow: `/u/<user>/r/<root_wf_id>/w?wf_uuid=<uuid>`.
    func monitoringURL(rootID: Int64, uuid: String) -> String {
        url("r/\(rootID)/w?wf_uuid=\(EnsembleFormat.queryValue(uuid))")
    }

    /// The page frame.
    func page(_ title: String, active: Bool, _ content: HTML) -> HTML {
        Layout.page(title: title, user: user, links: links, refresh: active ? 10 : nil, content: content)
    }

    /// The page shown when the user has no ensemble manager store.
    func noStore(title: String) -> HTML {
        page(
            title, active: false,
            """
            <h1>\(title)</h1>
            <p class="empty">\(user) has no ensembles: there is no ensemble manager database \
            (<code>~/.pegasus/em.db</code>). Create an ensemble with <code>pegasus-em create ENSEMBLE</code>.</p>
            """)
    }

    // MARK: - Ensembles list

    func ensembleList(_ ensembles: [EnsembleSummary]) -> HTML {
        let title = "Ensembles of \(user)"
        let states = EnsembleFormat.workflowStates
        let header: [HTML] = states.map { "<th class=\"num\">\($0)</th>" }
        let rows: [HTML] = ensembles.map { e in
            let counts: [HTML] = states.map { state in
                let n = e.counts[state] ?? 0
                return n == 0
                    ? "<td class=\"num\">0</td>"
                    : "<td class=\"num\"><a href=\"\(ensembleURL(e.name, state: state))\">\(n)</a></td>"
            }
            let triggers: HTML =
                e.triggers == 0
                ? "0"
                : "<a href=\"\(url("triggers?ensemble=\(EnsembleFormat.queryValue(e.name))"))\">\(e.triggers)</a>"
                    + triggerStates(e, always: false)
            return """
                <tr><td><a href="\(ensembleURL(e.name))">\(e.name)</a></td><td>\(EnsembleFormat.state(e.state))</td>\
                <td class="num">\(e.maxPlanning)</td><td class="num">\(e.maxRunning)</td>\
                <td class="num">\(e.total)</td>\(counts)<td class="num">\(triggers)</td>\
                <td>\(EnsembleFormat.time(e.created))</td></tr>
                """
        }
        let content: HTML =
            ensembles.isEmpty
            ? "<p class=\"empty\">\(user) has no ensembles. Create one with <code>pegasus-em create ENSEMBLE</code>.</p>"
            : """
            <table class="ensembles"><tr><th>Ensemble</th><th>State</th><th class="num">Max planning</th>\
            <th class="num">Max running</th><th class="num">Workflows</th>\(header)<th class="num">Triggers</th>\
            <th>Created</th></tr>
            \(rows)</table>
            """
        return page(
            title, active: ensembles.contains(where: \.isActive),
            """
            <h1>\(title)</h1>
            \(content)
            """)
    }

    /// How many of an ensemble's triggers run and are paused: ` (2 running, 1 paused)`; the paused count only when
    /// there are paused triggers, the running one always when `always`, and nothing when both are left out.
    func triggerStates(_ e: EnsembleSummary, always: Bool) -> HTML {
        var parts: [String] = []
        if always || e.runningTriggers > 0 { parts.append("\(e.runningTriggers) running") }
        if e.pausedTriggers > 0 { parts.append("\(e.pausedTriggers) paused") }
        return parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))"
    }

    // MARK: - One ensemble

    func ensemble(
        _ e: EnsembleSummary, workflows: [EnsembleWorkflow], monitoring: [String: Int64], state: String?, offset: Int
    ) -> HTML {
        let counters: [HTML] = EnsembleFormat.workflowStates.compactMap { s in
            guard let n = e.counts[s], n > 0 else { return nil }
            return "<a class=\"counter\" href=\"\(ensembleURL(e.name, state: s))\"><b>\(n)</b>\(s)</a>"
        }
        let rows: [HTML] = workflows.map { w in
            let link: HTML =
                if let uuid = w.wfUUID, let root = monitoring[uuid] {
                    "<a class=\"monitoring\" href=\"\(monitoringURL(rootID: root, uuid: uuid))\">\(uuid)</a>"
                } else {
                    "\(w.wfUUID ?? "")"
                }
            let trigger: HTML = w.trigger.map { "<a href=\"\(triggerURL(e.name, $0))\">\($0)</a>" } ?? ""
            return """
                <tr><td><a href="\(workflowURL(e.name, w.name))">\(w.name)</a></td>\
                <td>\(EnsembleFormat.state(w.state))</td><td class="num">\(w.priority)</td>\
                <td>\(EnsembleFormat.time(w.created))</td><td>\(EnsembleFormat.time(w.updated))</td>\
                <td>\(trigger)</td><td>\(link)</td><td>\(w.reason)</td>\
                <td><details><summary>\(EnsembleFormat.count(w.history.count, "change"))</summary>\(history(w.history))</details></td></tr>
                """
        }
        let shown = state.map { e.counts[$0] ?? 0 } ?? e.total
        let filter: HTML =
            state.map {
                "<p>Showing the workflows in state \(EnsembleFormat.state($0)). <a href=\"\(ensembleURL(e.name))\">Show all</a></p>"
            } ?? ""
        let table: HTML =
            workflows.isEmpty
            ? "<p class=\"empty\">No workflows.</p>"
            : """
            <table class="workflows"><tr><th>Workflow</th><th>State</th><th class="num">Priority</th><th>Created</th>\
            <th>Updated</th><th>Trigger</th><th>Monitoring (wf_uuid)</th><th>Reason</th><th>History</th></tr>
            \(rows)</table>
            """
        let triggers: HTML =
            e.triggers == 0
            ? "none"
            : "<a href=\"\(url("triggers?ensemble=\(EnsembleFormat.queryValue(e.name))"))\">\(e.triggers)</a>"
                + triggerStates(e, always: true)
        return page(
            "Ensemble \(e.name)", active: e.isActive,
            """
            <h1>Ensemble \(e.name)</h1>
            <table class="details facts">
            <tr><th>State</th><td>\(EnsembleFormat.state(e.state))</td></tr>
            <tr><th>Max planning</th><td>\(e.maxPlanning)</td></tr>
            <tr><th>Max running</th><td>\(e.maxRunning)</td></tr>
            <tr><th>Created</th><td>\(EnsembleFormat.time(e.created))</td></tr>
            <tr><th>Updated</th><td>\(EnsembleFormat.time(e.updated))</td></tr>
            <tr><th>Triggers</th><td>\(triggers)</td></tr>
            </table>
            <h2>Workflows (\(e.total))</h2>
            <div class="counters">\(counters)</div>
            \(filter)\(table)\(pager(e.name, state: state, offset: offset, total: Int(shown)))
            """)
    }

    /// Links to the previous and next page of workflows.
    func pager(_ ensemble: String, state: String?, offset: Int, total: Int) -> HTML {
        let size = EnsembleStoreReader.pageSize
        guard total > size else { return "" }
        func link(_ to: Int, _ label: String) -> HTML {
            let base = ensembleURL(ensemble, state: state)
            return "<a href=\"\(base + (state == nil ? "?" : "&") + "offset=\(to)")\">\(label)</a>"
        }
        let previous: HTML = offset > 0 ? link(max(0, offset - size), "Newer") : ""
        let next: HTML = offset + size < total ? link(offset + size, "Older") : ""
        return """
            <div class="pager">\(previous)<span>\(offset + 1)&ndash;\(min(offset + size, total)) of \(total)</span>\(next)</div>
            """
    }

    /// A state history table, oldest change first.
    func history(_ changes: [WorkflowTransition]) -> HTML {
        let rows: [HTML] = changes.map { h in
            """
            <tr><td>\(EnsembleFormat.time(h.time))</td><td>\(EnsembleFormat.state(h.from))</td>\
            <td>\(EnsembleFormat.state(h.to))</td><td>\(h.reason)</td></tr>
            """
        }
        return """
            <table class="history"><tr><th>Time</th><th>From</th><th>To</th><th>Reason</th></tr>\(rows)</table>
            """
    }

    // MARK: - One workflow

    func workflow(_ w: EnsembleWorkflow, monitoringID: Int64?, files: [TriggerLedgerFile]) -> HTML {
        let uuid: HTML =
            if let id = w.wfUUID, let root = monitoringID {
                "<a class=\"monitoring\" href=\"\(monitoringURL(rootID: root, uuid: id))\">\(id)</a>"
            } else if let id = w.wfUUID {
                "\(id) <span class=\"note\">(not in the master database)</span>"
            } else {
                "&mdash;"
            }
        let trigger: HTML = w.trigger.map { "<a href=\"\(triggerURL(w.ensemble, $0))\">\($0)</a>" } ?? "&mdash;"
        let job: HTML =
            w.jobKind.map { kind in "\(kind)" + (w.jobPID.map { " (pid \($0))" } ?? "") } ?? "&mdash;"
        let diagnostic: HTML = w.diagnostic.map { "<tr><th>Diagnostic</th><td>\($0)</td></tr>" } ?? ""
        let inputs: HTML =
            files.isEmpty
            ? ""
            : """
            <h2>Input files (\(files.count))</h2>
            \(TriggerViews(views: self).fileTable(files, workflowsOf: nil))
            """
        return page(
            "Workflow \(w.name)", active: w.isActive,
            """
            <h1>Workflow \(w.name)</h1>
            <table class="details facts">
            <tr><th>Ensemble</th><td><a href="\(ensembleURL(w.ensemble))">\(w.ensemble)</a></td></tr>
            <tr><th>State</th><td>\(EnsembleFormat.state(w.state))</td></tr>
            <tr><th>Reason</th><td>\(w.reason)</td></tr>\(diagnostic)
            <tr><th>Priority</th><td>\(w.priority)</td></tr>
            <tr><th>Created</th><td>\(EnsembleFormat.time(w.created))</td></tr>
            <tr><th>Updated</th><td>\(EnsembleFormat.time(w.updated))</td></tr>
            <tr><th>State changed</th><td>\(EnsembleFormat.time(w.stateChanged))</td></tr>
            <tr><th>Runs</th><td>\(w.runCount)</td></tr>
            <tr><th>Job in flight</th><td>\(job)</td></tr>
            <tr><th>Trigger</th><td>\(trigger)</td></tr>
            <tr><th>wf_uuid</th><td>\(uuid)</td></tr>
            <tr><th>Base directory</th><td><code>\(w.basedir)</code></td></tr>
            <tr><th>Submit directory</th><td><code>\(w.submitdir)</code></td></tr>
            </table>
            <h2>Plan command</h2>
            <pre class="plan-command">\(w.planCommand)</pre>
            <h2>State history</h2>
            \(history(w.history))
            \(inputs)
            """)
    }
}
