import Foundation

/// The operational part of a trigger's page: its policies (overlap, failure), their counters (consecutive
/// failures, skipped ticks, the buffered tick) and its history (created, paused, resumed, updated, fired by hand,
/// skipped, buffered, paused by its failure policy, stopped, expired).
extension TriggerViews {
    /// After the state of a paused trigger: how it fires again (the dashboard is read-only).
    func pausedNote(_ t: EnsembleTrigger) -> HTML {
        guard t.isPaused else { return "" }
        let command: HTML = "<code>pegasus-em resume-trigger \(t.ensemble) \(t.name)</code>"
        return " <span class=\"note\">(nothing fires until \(command))</span>"
    }

    func policySection(_ t: EnsembleTrigger, now: Double) -> HTML {
        let d = t.definition
        let overlap = EnsembleFormat.overlap(d)
        let meaning: HTML = EnsembleFormat.overlapMeaning(overlap).map { " <span class=\"note\">(\($0))</span>" } ?? ""
        let lastSkip: HTML =
            t.lastSkipTime == nil && t.lastSkipReason == nil
            ? "none"
            : "\(EnsembleFormat.time(t.lastSkipTime, relativeTo: now))\(t.lastSkipReason.map { ": " + $0 })"
        var rows: [HTML] = [
            "<tr><th>Overlap</th><td>\(overlap)\(meaning)</td></tr>",
            "<tr><th>Pause after</th><td>\(EnsembleFormat.pauseAfter(d))</td></tr>",
            "<tr><th>Consecutive failures</th><td>\(t.consecutiveFailures)</td></tr>",
            "<tr><th>Skipped ticks</th><td>\(t.skippedTicks)</td></tr>",
            "<tr><th>Last skip</th><td>\(lastSkip)</td></tr>",
        ]
        if let tick = t.bufferedTick {
            rows.append(
                """
                <tr><th>Buffered tick</th><td>\(EnsembleFormat.time(tick)) \
                <span class="note">(submitted once the trigger's active workflow ends)</span></td></tr>
                """)
        }
        if let ledger = t.ledgerID {
            // The first trigger of a ledger ended before the others were created, which renamed it `<name>@<id>`.
            rows.append(
                """
                <tr><th>Ledger</th><td>shared with <a href="\(views.triggerURL(t.ensemble, "\(t.name)@\(ledger)"))">\
                \(t.name)@\(ledger)</a> <span class="note">(files an earlier trigger of this name took are not \
                taken again)</span></td></tr>
                """)
        }
        return """
            <h2>Policies</h2>
            <table class="details facts policies">\(rows)</table>
            """
    }

    /// The history table, latest first.
    func historySection(_ history: [TriggerEvent]) -> HTML {
        let title: HTML =
            "<h2>History <small>(latest first, at most \(EnsembleStoreReader.historyLimit))</small></h2>"
        guard !history.isEmpty else { return "\(title)\n<p class=\"empty\">No history.</p>" }
        let rows: [HTML] = history.map { h in
            let count: HTML = h.count > 1 ? " <span class=\"count\">&times;\(h.count)</span>" : ""
            return """
                <tr><td>\(EnsembleFormat.time(h.time))</td><td>\(h.event)\(count)</td><td>\(h.user)</td>\
                <td>\(h.detail)</td></tr>
                """
        }
        return """
            \(title)
            <table class="trigger-history"><tr><th>Time</th><th>Event</th><th>By</th><th>Detail</th></tr>\(rows)</table>
            """
    }
}
