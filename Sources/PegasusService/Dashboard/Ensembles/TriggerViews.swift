import EnsembleCore
import Foundation

/// The markup of the trigger pages (`/u/<user>/triggers...`).
struct TriggerViews {
    let views: EnsembleViews

    // MARK: - Triggers list

    func triggerList(_ triggers: [EnsembleTrigger], ensemble: String?, now: Double) -> HTML {
        let title = ensemble.map { "Triggers of ensemble \($0)" } ?? "Triggers of \(views.user)"
        let rows: [HTML] = triggers.map { t in
            let watch: HTML =
                t.isFilePattern
                ? "\(roots(t.definition)) <span class=\"mode\">(\(EnsembleFormat.watchMode(t.definition)))</span>"
                : "&mdash;"
            let next = nextFire(t, now: now)
            return """
                <tr><td><a href="\(views.ensembleURL(t.ensemble))">\(t.ensemble)</a></td>\
                <td><a href="\(views.triggerURL(t.ensemble, t.name))">\(t.name)</a></td><td>\(t.type)</td>\
                <td>\(EnsembleFormat.state(t.state))</td><td class="schedule">\(EnsembleFormat.schedule(t.definition))</td>\
                <td>\(next)</td><td>\(watch)</td><td class="num">\(t.fireCount)</td>\
                <td>\(EnsembleFormat.time(t.lastFire, relativeTo: now))</td><td>\(t.reason)</td></tr>
                """
        }
        let filter: HTML =
            ensemble == nil ? "" : "<p><a href=\"\(views.url("triggers"))\">All triggers</a></p>"
        let content: HTML =
            triggers.isEmpty
            ? "<p class=\"empty\">No triggers.</p>"
            : """
            <table class="triggers"><tr><th>Ensemble</th><th>Trigger</th><th>Type</th><th>State</th><th>Schedule</th>\
            <th>Next fire</th><th>Watched roots (mode)</th><th class="num">Fires</th><th>Last fire</th>\
            <th>Reason</th></tr>
            \(rows)</table>
            """
        return views.page(
            title, active: triggers.contains(where: \.isLive),
            """
            <h1>\(title)</h1>
            \(filter)\(content)
            """)
    }

    /// When a trigger fires next. A file trigger does not record its quiet ticks, so a past time means it
    /// fires when new files arrive. A paused trigger fires nothing until it is resumed.
    func nextFire(_ t: EnsembleTrigger, now: Double) -> HTML {
        if t.isPaused { return "&mdash; (paused)" }
        guard t.isRunning else { return "&mdash;" }
        if t.isFilePattern, (t.nextFire ?? 0) < now { return "when new files arrive" }
        return EnsembleFormat.time(t.nextFire, relativeTo: now)
    }

    /// Watched roots, one per line.
    func roots(_ definition: TriggerDefinition) -> HTML {
        let items: [HTML] = EnsembleFormat.watchedRoots(definition).map { "<code>\($0)</code>" }
        return HTML(raw: items.map(\.raw).joined(separator: "<br>"))
    }

    // MARK: - One trigger

    func trigger(
        _ t: EnsembleTrigger, pending: (files: [TriggerLedgerFile], total: Int), submissions: [TriggerFiring],
        history: [TriggerEvent], now: Double
    ) -> HTML {
        let d = t.definition
        var facts: [HTML] = [
            "<tr><th>Ensemble</th><td><a href=\"\(views.ensembleURL(t.ensemble))\">\(t.ensemble)</a></td></tr>",
            "<tr><th>Type</th><td>\(t.type)</td></tr>",
            "<tr><th>State</th><td>\(EnsembleFormat.state(t.state))\(pausedNote(t))</td></tr>",
            "<tr><th>Reason</th><td>\(t.reason)</td></tr>",
            "<tr><th>Schedule</th><td class=\"schedule\">\(EnsembleFormat.schedule(d))</td></tr>",
        ]
        if let catchup = d.catchup { facts.append("<tr><th>Catch-up</th><td>\(catchup)</td></tr>") }
        if let timeout = d.timeout {
            facts.append(
                "<tr><th>Timeout</th><td>\(EnsembleFormat.duration(timeout)) (until \(EnsembleFormat.time(t.deadline)))</td></tr>"
            )
        }
        let next = nextFire(t, now: now)
        facts += [
            "<tr><th>Next fire</th><td>\(next)</td></tr>",
            "<tr><th>Fire count</th><td>\(t.fireCount)</td></tr>",
            "<tr><th>Last fire</th><td>\(EnsembleFormat.time(t.lastFire, relativeTo: now))</td></tr>",
        ]
        if t.isFilePattern {
            let patterns: [HTML] = (d.filePatterns ?? []).map { "<code>\($0)</code>" }
            facts += [
                "<tr><th>File patterns</th><td>\(HTML(raw: patterns.map(\.raw).joined(separator: "<br>")))</td></tr>",
                "<tr><th>Watched roots</th><td>\(roots(d))</td></tr>",
                "<tr><th>Watch mode</th><td>\(EnsembleFormat.watchMode(d))</td></tr>",
                "<tr><th>Settle time</th><td>\(d.settle.map { $0 < 1 ? "\(Int(($0 * 1000).rounded())) ms" : EnsembleFormat.duration(Int($0.rounded())) } ?? "default (writer check and 25 ms quiet period; 1 s where the check is refused)")</td></tr>",
                "<tr><th>Ready marker</th><td><code>\(d.readyMarker ?? "none")</code></td></tr>",
                "<tr><th>Max files per workflow</th><td>\(d.maxFiles.map(String.init) ?? "unlimited")</td></tr>",
                "<tr><th>Move processed files</th><td>\(d.moveProcessed == true ? "yes" : "no")</td></tr>",
            ]
        }
        facts += [
            "<tr><th>Workflow script</th><td><code>\(t.workflowScript)</code></td></tr>",
            "<tr><th>Workflow arguments</th><td><code>\(t.workflowArgs.joined(separator: " "))</code></td></tr>",
            "<tr><th>Base directory</th><td><code>\(t.basedir)</code></td></tr>",
            "<tr><th>Priority</th><td>\(t.priority)</td></tr>",
            "<tr><th>Created</th><td>\(EnsembleFormat.time(t.created))</td></tr>",
            "<tr><th>Updated</th><td>\(EnsembleFormat.time(t.updated))</td></tr>",
        ]
        return views.page(
            "Trigger \(t.name)", active: t.isLive,
            """
            <h1>Trigger \(t.name)</h1>
            <table class="details facts">\(facts)</table>
            <details><summary>Definition (JSON)</summary><pre class="definition">\(definitionJSON(d))</pre></details>
            \(policySection(t, now: now))
            \(t.isFilePattern ? pendingSection(t, pending) : "")
            <h2>Submissions <small>(newest first, at most \(EnsembleStoreReader.submissionLimit))</small></h2>
            \(submissionTable(t, submissions))
            \(historySection(history))
            """)
    }

    /// The definition as stored, pretty-printed.
    func definitionJSON(_ definition: TriggerDefinition) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(definition) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    func pendingSection(_ t: EnsembleTrigger, _ pending: (files: [TriggerLedgerFile], total: Int)) -> HTML {
        let more: HTML =
            pending.total > pending.files.count
            ? "<p>Showing the oldest \(pending.files.count) of \(pending.total).</p>" : ""
        let table: HTML =
            pending.files.isEmpty
            ? "<p class=\"empty\">No pending files.</p>" : fileTable(pending.files, workflowsOf: t.ensemble)
        return """
            <h2>Pending files (\(pending.total))</h2>
            <p class="note">Files recorded for a workflow that has not been submitted to HTCondor yet (waiting for \
            planning, being planned, or being moved into <code>processed/</code>). Files still settling are known \
            only to the running ensemble manager: <code>pegasus-em trigger-status ENSEMBLE TRIGGER</code>.</p>
            \(more)\(table)
            """
    }

    /// A table of ledger files, with their workflows (in `ensemble`) when given.
    func fileTable(_ files: [TriggerLedgerFile], workflowsOf ensemble: String?) -> HTML {
        let workflowHeader: HTML = ensemble != nil ? "<th>Workflow</th><th>Workflow state</th>" : ""
        let rows: [HTML] = files.map { f in
            let workflow: HTML =
                if let ensemble {
                    """
                    <td><a href="\(views.workflowURL(ensemble, f.workflow))">\(f.workflow)</a></td>\
                    <td>\(EnsembleFormat.state(f.workflowState))</td>
                    """
                } else {
                    ""
                }
            let moved: HTML =
                f.movedTo.map {
                    "<code>\($0)</code>" + (f.moveDone ? "" : " <span class=\"note\">(move pending)</span>")
                }
                ?? ""
            return """
                <tr><td><code>\(f.path)</code></td><td class="num">\(f.size.map(String.init) ?? "")</td>\
                <td>\(EnsembleFormat.time(f.recorded))</td>\(workflow)<td>\(moved)</td></tr>
                """
        }
        return """
            <table class="files"><tr><th>Path</th><th class="num">Size</th><th>Recorded</th>\(workflowHeader)\
            <th>Moved to</th></tr>\(rows)</table>
            """
    }

    func submissionTable(_ t: EnsembleTrigger, _ submissions: [TriggerFiring]) -> HTML {
        guard !submissions.isEmpty else { return "<p class=\"empty\">No submissions yet.</p>" }
        let rows: [HTML] = submissions.map { s in
            let workflow: HTML =
                s.workflowState == nil
                ? "\(s.workflow) <span class=\"note\">(deleted)</span>"
                : "<a href=\"\(views.workflowURL(t.ensemble, s.workflow))\">\(s.workflow)</a>"
            let files: HTML =
                s.files.isEmpty
                ? ""
                : """
                <details><summary>\(EnsembleFormat.count(s.files.count, "file"))</summary>\
                \(HTML(raw: s.files.map { "<code>\(HTML.escape($0.path))</code>" }.joined(separator: "<br>")))</details>
                """
            return """
                <tr><td>\(workflow)</td><td>\(EnsembleFormat.time(s.time))</td>\
                <td>\(s.tick == nil ? "" as HTML : EnsembleFormat.time(s.tick))</td>\
                <td>\(EnsembleFormat.state(s.workflowState))</td><td>\(files)</td></tr>
                """
        }
        return """
            <table class="submissions"><tr><th>Workflow</th><th>Submitted</th><th>Scheduled tick</th><th>State</th>\
            <th>Files</th></tr>\(rows)</table>
            """
    }
}
