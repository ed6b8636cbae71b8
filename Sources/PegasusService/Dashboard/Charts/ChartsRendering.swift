import Foundation

/// Draws the charts page: three SVG charts made on the server (no script, no external asset), each with a
/// title, axis labels, a legend and `<title>` tooltips, and never more than ``SVGCanvas/defaultCap`` elements.
enum ChartsRendering {
    static let width = 960.0
    /// Transformation rows of the distribution chart before the rest is merged.
    static let distributionRows = 60

    /// The palette of the charts.
    enum Colors {
        static let success = "#43a047"
        static let failure = "#e53935"
        static let jobs = "#1e88e5"
        static let invocations = "#fb8c00"
        static let pre = "#8d6e63"
        static let queued = "#fdd835"
        static let running = "#1e88e5"
        static let kickstart = "#0d47a1"
        static let post = "#43a047"
        static let grid = "#eceff1"
        static let axis = "#607d8b"
    }

    // MARK: - Page

    /// The page body: the three charts and the distribution table.
    static func page(_ data: ChartsData, base: String) -> HTML {
        let wf = data.workflow
        let subWorkflows: HTML = wf.tree.count > 1 ? " (with \(wf.tree.count - 1) sub-workflow(s))" : ""
        return """
            <h1>Charts: \(wf.label)</h1>
            <p class="pager"><a href="\(base)">Workflow</a> <a href="\(base)/statistics">Statistics</a> \
            <a href="\(base)/charts?format=json">JSON</a></p>
            <h2 id="job-distribution">Job Distribution</h2>
            <p>Invocations per transformation of this workflow\(subWorkflows).</p>
            \(distribution(data.distribution))
            \(distributionTable(data.distribution))
            <h2 id="time-chart">Time Chart</h2>
            \(timeChart(data.time))
            <h2 id="gantt-chart">Gantt Chart</h2>
            \(gantt(data.gantt))
            """
    }

    // MARK: - Axes and labels

    /// Tick positions (0...1) and values for an axis from 0 to `maximum`.
    static func ticks(maximum: Double, count: Int) -> [(Double, Double)] {
        guard maximum > 0 else { return [(0, 0)] }
        let raw = maximum / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var result: [(Double, Double)] = []
        var value = 0.0
        while value <= maximum * 1.0001 && result.count <= count + 1 {
            result.append((value / maximum, value))
            value += step
        }
        return result
    }

    /// A time axis with six intervals; the first label has the date, later ones only when the day changes.
    static func timeAxis(
        _ svg: inout SVGCanvas, start: Double, end: Double, left: Double, plot: Double, y: Double, unit: Double
    ) {
        let span = max(end - start, 1)
        let steps = 6
        svg.line(x1: left, y1: y, x2: left + plot, y2: y, stroke: Colors.axis)
        var previousDay = ""
        for i in 0...steps {
            let t = start + span * Double(i) / Double(steps)
            let x = left + plot * Double(i) / Double(steps)
            svg.line(x1: x, y1: y, x2: x, y2: y + 4, stroke: Colors.axis)
            let full = timestamp(t, unit: unit >= 86400 ? 86400 : span < 600 ? 1 : 60)
            let day = String(full.prefix(10))
            let label = unit >= 86400 || day != previousDay ? full : String(full.dropFirst(11))
            previousDay = day
            let anchor = i == 0 ? "start" : i == steps ? "end" : "middle"
            svg.text(label, x: x, y: y + 16, anchor: anchor, size: 10)
        }
        svg.text("time (UTC)", x: left + plot / 2, y: y + 32, anchor: "middle", size: 11)
    }

    /// A UTC time, as precise as the unit needs ("2024-08-01", "2024-08-01 13:05", "... 13:05:09").
    static func timestamp(_ t: Double, unit: Double) -> String {
        guard let whole = t.rounded(.down).boundedInt else { return String(t) }
        let total = Int64(whole)
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        let secondOfDay = Int(total - days * 86400)
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let date = "\(year)-\(two(month))-\(two(day))"
        if unit >= 86400 { return date }
        let time = "\(two(Int64(secondOfDay / 3600))):\(two(Int64(secondOfDay % 3600 / 60)))"
        if unit >= 60 { return date + " " + time }
        return date + " " + time + ":" + two(Int64(secondOfDay % 60))
    }

    /// "1 minute", "6 hours", "2 days".
    static func duration(_ seconds: Double) -> String {
        let (value, name): (Double, String) =
            seconds >= 86400
            ? (seconds / 86400, "day")
            : seconds >= 3600
                ? (seconds / 3600, "hour")
                : seconds >= 60 ? (seconds / 60, "minute") : (seconds, "second")
        let text = StatisticsFormat.compact(value, digits: 1)
        return value == 1 ? "\(name)" : "\(text) \(name)s"
    }

    /// `text` cut to `length` characters with an ellipsis (labels keep their full text in a tooltip).
    static func truncated(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "\u{2026}"
    }
}
