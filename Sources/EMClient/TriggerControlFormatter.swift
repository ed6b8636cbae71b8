/// The trigger outputs of issue 14: overlap and failure policy, history, and `trigger-preview`.
///
/// These lines come after everything Pegasus prints and only when the server sends the fields, so the output of
/// `triggers -l` against Pegasus' own server (or an older one of ours) stays unchanged.
extension OutputFormatter {
    /// The policy and skip counters of a trigger (`triggers -l`, `trigger-status`); empty when the server sends no
    /// `overlap` (every server that knows these fields sends it).
    ///
    /// ```
    /// Overlap:       skip
    /// Pause After:   3 failures in a row   (or: never)
    /// Failures:      1 in a row
    /// Skipped Ticks: 4
    /// Last Skip:     2023-11-14 23:13:20 UTC: workflow hourly_1700000000 still running   (or: none)
    /// Buffered:      no
    /// ```
    public func triggerPolicy(_ t: TriggerResource) -> String {
        guard let overlap = t.overlap else { return "" }
        var out = ""
        func field(_ name: String, _ value: String) { out += label(name + ":") + value + "\n" }
        field("Overlap", overlap)
        field("Pause After", t.pauseAfterFailures.map { "\(failures($0)) in a row" } ?? "never")
        field("Failures", "\(t.consecutiveFailures ?? 0) in a row")
        field("Skipped Ticks", String(t.skippedTicks ?? 0))
        field("Last Skip", t.lastSkip.map { "\(time($0.time)): \($0.reason)" } ?? "none")
        field("Buffered", t.buffered == true ? "yes (a tick waits for the running workflow)" : "no")
        return out
    }

    /// The history of `trigger-status`, latest first: `  TIME  EVENT[ by USER][: DETAIL][ (xN)]`; empty when the
    /// server sends none.
    public func triggerHistory(_ t: TriggerResource) -> String {
        guard let history = t.history else { return "" }
        guard !history.isEmpty else { return "History:      none\n" }
        var out = "History:\n"
        for entry in history {
            out += "  \(time(entry.time))  \(entry.event)"
            if let user = entry.user, !user.isEmpty { out += " by \(user)" }
            if let detail = entry.detail, !detail.isEmpty { out += ": \(detail)" }
            if let count = entry.count, count > 1 { out += " (x\(count))" }
            out += "\n"
        }
        return out
    }

    /// `pegasus-em trigger-preview ENSEMBLE TRIGGER`: the next fire times and, for file triggers, the files of the
    /// next workflow and the files not ready yet.
    ///
    /// The file part is shown when the answer says the trigger is a file trigger (`type`) or has any file in it;
    /// a time trigger's answer has none.
    public func triggerPreview(_ p: TriggerPreview) -> String {
        var out = label("Trigger:") + p.trigger + "\n"
        out += label("State:") + p.state + (p.paused ? " (paused: nothing fires until resume-trigger)" : "") + "\n"
        out += list("Next fire times", p.fireTimes.map(time), count: nil)
        let fileTrigger =
            p.type.map { $0 == "FILE_PATTERN" }
            ?? (!p.nextWorkflow.isEmpty || !p.pending.isEmpty || p.laterWorkflows > 0)
        guard fileTrigger else { return out }
        out += list("Next workflow", p.nextWorkflow, count: p.nextWorkflow.count)
        if p.laterWorkflows > 0 {
            let workflows = p.laterWorkflows == 1 ? "workflow" : "workflows"
            out += "Later: \(p.laterWorkflows) more \(workflows) of ready files (beyond max_files)\n"
        }
        out += list("Pending", p.pending.map { "\($0.path)  \($0.reason)" }, count: p.pending.count)
        return out
    }

    /// `Title (N files):` and indented items, or `Title: none`.
    private func list(_ title: String, _ items: [String], count: Int?) -> String {
        guard !items.isEmpty else { return "\(title): none\n" }
        let counted = count.map { " (\($0) \($0 == 1 ? "file" : "files"))" } ?? ""
        return "\(title)\(counted):\n" + items.map { "  \($0)\n" }.joined()
    }

    private func failures(_ count: Int) -> String {
        count == 1 ? "1 failure" : "\(count) failures"
    }
}
