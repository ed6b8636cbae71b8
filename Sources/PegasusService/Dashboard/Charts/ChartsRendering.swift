import EnsembleServer
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

    // MARK: - Job distribution

    /// Horizontal bars per transformation: successful and failed invocations.
    static func distribution(_ items: [ChartsTransformation]) -> HTML {
        guard !items.isEmpty else { return "<p>No invocations.</p>" }
        var rows = Array(items.prefix(distributionRows))
        if items.count > distributionRows {
            let rest = items.dropFirst(distributionRows)
            rows.append(
                ChartsTransformation(
                    name: "(\(rest.count) other transformations)", total: rest.reduce(0) { $0 + $1.total },
                    success: rest.reduce(0) { $0 + $1.success }, failure: rest.reduce(0) { $0 + $1.failure },
                    runtimeTotal: rest.reduce(0) { $0 + $1.runtimeTotal }))
        }
        let rowHeight = 20.0
        let left = 210.0
        let right = 70.0
        let top = 40.0
        let plot = width - left - right
        let height = top + Double(rows.count) * rowHeight + 40
        let maximum = Double(max(1, rows.map(\.total).max() ?? 1))
        var svg = SVGCanvas(width: width, height: height)
        svg.text("Invocations per transformation", x: left, y: 16, size: 13, bold: true)
        svg.legend("successful", color: Colors.success, x: left, y: 32)
        svg.legend("failed", color: Colors.failure, x: left + 100, y: 32)
        for (tick, value) in ticks(maximum: maximum, count: 5) {
            let x = left + plot * tick
            svg.line(x1: x, y1: top, x2: x, y2: height - 30, stroke: Colors.grid)
            svg.text(StatisticsFormat.compact(value), x: x, y: height - 16, anchor: "middle", size: 10)
        }
        svg.text("invocations", x: left + plot / 2, y: height - 3, anchor: "middle", size: 11)
        for (index, row) in rows.enumerated() {
            let y = top + Double(index) * rowHeight
            let label = truncated(row.name, 30)
            svg.text(label, x: left - 6, y: y + 14, anchor: "end", size: 11, title: row.name)
            let successWidth = plot * Double(row.success) / maximum
            let failureWidth = plot * Double(row.failure) / maximum
            svg.rect(
                x: left, y: y + 3, width: successWidth, height: rowHeight - 6, fill: Colors.success,
                title: "\(row.name): \(row.success) successful of \(row.total)")
            svg.rect(
                x: left + successWidth, y: y + 3, width: failureWidth, height: rowHeight - 6, fill: Colors.failure,
                title: "\(row.name): \(row.failure) failed of \(row.total)")
            svg.text("\(row.total)", x: left + successWidth + failureWidth + 4, y: y + 14, size: 10)
        }
        svg.line(x1: left, y1: top, x2: left, y2: height - 30, stroke: Colors.axis)
        return svg.svg(
            title: "Job distribution",
            description: "Invocations per transformation: \(items.count) transformations, "
                + "\(items.reduce(0) { $0 + $1.total }) invocations", id: "job-distribution-chart")
    }

    /// The runtime table under the distribution chart (Pegasus' "time" columns).
    static func distributionTable(_ items: [ChartsTransformation]) -> HTML {
        guard !items.isEmpty else { return "" }
        let rows: [HTML] = items.map { item in
            """
            <tr><td>\(item.name)</td><td class="num">\(item.total)</td><td class="num">\(item.success)</td>\
            <td class="num">\(item.failure)</td><td class="num">\(StatisticsFormat.fstr(item.runtimeTotal, 2))</td>\
            <td class="num">\(StatisticsFormat.fstr(item.runtimeMin, 2))</td>\
            <td class="num">\(StatisticsFormat.fstr(item.runtimeMax, 2))</td>\
            <td class="num">\(StatisticsFormat.fstr(item.runtimeMean, 2))</td></tr>\n
            """
        }
        return """
            <table class="distribution"><tr><th>Transformation</th><th class="num">Count</th>\
            <th class="num">Succeeded</th><th class="num">Failed</th><th class="num">Runtime total (s)</th>\
            <th class="num">Min (s)</th><th class="num">Max (s)</th><th class="num">Mean (s)</th></tr>
            \(rows)</table>
            """
    }

    // MARK: - Time chart

    /// Two panels over time: job instances and invocations started per bucket, and their total runtime.
    static func timeChart(_ buckets: [ChartsTimeBucket]) -> HTML {
        guard let first = buckets.first, let last = buckets.last else { return "<p>No jobs have run yet.</p>" }
        let left = 70.0
        let right = 20.0
        let panel = 150.0
        let top = 44.0
        let gap = 56.0
        let height = top + 2 * panel + gap + 50
        let plot = width - left - right
        let slot = plot / Double(buckets.count)
        let bar = max(0.5, slot * 0.42)
        let start = first.start
        let end = last.start + last.width
        var svg = SVGCanvas(width: width, height: height)
        svg.text("Jobs and invocations per \(duration(first.width)) (UTC)", x: left, y: 16, size: 13, bold: true)
        svg.legend("job instances", color: Colors.jobs, x: left, y: 34)
        svg.legend("invocations", color: Colors.invocations, x: left + 120, y: 34)
        let longest = buckets.map { max($0.jobRuntime, $0.invocationRuntime) }.max() ?? 0
        let (divisor, unitName, suffix): (Double, String, String) =
            longest >= 7200 ? (3600, "hours", " h") : longest >= 120 ? (60, "minutes", " min") : (1, "seconds", " s")
        let panels: [(title: String, values: [(Double, Double)], unit: String)] = [
            ("count", buckets.map { (Double($0.jobs), Double($0.invocations)) }, ""),
            (
                "runtime (\(unitName))", buckets.map { ($0.jobRuntime / divisor, $0.invocationRuntime / divisor) },
                suffix
            ),
        ]
        for (p, item) in panels.enumerated() {
            let y0 = top + Double(p) * (panel + gap)
            let maximum = max(1e-9, item.values.map { max($0.0, $0.1) }.max() ?? 1)
            for (tick, value) in ticks(maximum: maximum, count: 4) {
                let y = y0 + panel - panel * tick
                svg.line(x1: left, y1: y, x2: width - right, y2: y, stroke: Colors.grid)
                svg.text(StatisticsFormat.compact(value), x: left - 4, y: y + 3, anchor: "end", size: 10)
            }
            svg.text(item.title, x: 14, y: y0 + panel / 2, anchor: "middle", size: 11, rotate: -90)
            for (i, values) in item.values.enumerated() {
                let x = left + Double(i) * slot + slot * 0.08
                let label = "\(timestamp(buckets[i].start, unit: first.width))"
                let h1 = panel * values.0 / maximum
                let h2 = panel * values.1 / maximum
                if values.0 > 0 {
                    svg.rect(
                        x: x, y: y0 + panel - h1, width: bar, height: h1, fill: Colors.jobs,
                        title: item.unit.isEmpty
                            ? "\(label): \(StatisticsFormat.compact(values.0)) job instances"
                            : "\(label): job instances ran \(StatisticsFormat.compact(values.0))\(item.unit)")
                }
                if values.1 > 0 {
                    svg.rect(
                        x: x + bar, y: y0 + panel - h2, width: bar, height: h2, fill: Colors.invocations,
                        title: item.unit.isEmpty
                            ? "\(label): \(StatisticsFormat.compact(values.1)) invocations"
                            : "\(label): invocations ran \(StatisticsFormat.compact(values.1))\(item.unit)")
                }
            }
            svg.line(x1: left, y1: y0 + panel, x2: width - right, y2: y0 + panel, stroke: Colors.axis)
            svg.line(x1: left, y1: y0, x2: left, y2: y0 + panel, stroke: Colors.axis)
        }
        timeAxis(&svg, start: start, end: end, left: left, plot: plot, y: top + 2 * panel + gap, unit: first.width)
        return svg.svg(
            title: "Time chart",
            description: "Job instances (by EXECUTE time) and invocations (by start time) per "
                + "\(duration(first.width)), \(buckets.count) buckets", id: "time-chart")
    }

    // MARK: - Gantt chart

    /// The Gantt chart in the form the data came in.
    static func gantt(_ gantt: ChartsGantt) -> HTML {
        switch gantt {
        case .empty: return "<p>No job instances yet.</p>"
        case .detailed(let instances): return detailedGantt(instances)
        case .aggregated(let instances, let density): return densityGantt(density, instances: instances)
        }
    }

    /// One row per job instance: pre-script, queue (submit to execute), execution (execute to terminate) with
    /// the kickstart record inside, and post-script.
    static func detailedGantt(_ rows: [ChartsGanttInstance]) -> HTML {
        guard let start = rows.map(\.first).min(), let end = rows.map(\.last).max() else { return "" }
        let left = 220.0
        let right = 20.0
        let top = 44.0
        let rowHeight = 12.0
        let plot = width - left - right
        let height = top + Double(rows.count) * rowHeight + 46
        let span = max(end - start, 1)
        func x(_ t: Double) -> Double { left + plot * (t - start) / span }
        var svg = SVGCanvas(width: width, height: height)
        svg.text("Job instances over time (UTC)", x: left, y: 16, size: 13, bold: true)
        let legend: [(String, String)] = [
            ("pre-script", Colors.pre), ("queued", Colors.queued), ("executing", Colors.running),
            ("kickstart", Colors.kickstart), ("post-script", Colors.post), ("failed", Colors.failure),
        ]
        for (i, item) in legend.enumerated() { svg.legend(item.0, color: item.1, x: left + Double(i) * 110, y: 34) }
        for (index, row) in rows.enumerated() {
            let y = top + Double(index) * rowHeight
            var tip = "\(row.jobName)"
            if let transformation = row.transformation { tip += " (\(transformation))" }
            tip += ": \(timestamp(row.first, unit: 1)) to \(timestamp(row.last, unit: 1)), "
            tip += "\(StatisticsFormat.compact(row.last - row.first)) s"
            if let code = row.exitcode { tip += ", exit code \(code)" }
            svg.group(title: tip, minimumElements: 3) { svg in
                svg.text(truncated(row.jobName, 34), x: left - 6, y: y + 9, anchor: "end", size: 9)
                svg.line(x1: x(row.first), y1: y + 5, x2: x(row.last), y2: y + 5, stroke: "#b0bec5")
                if let a = row.preStart, let b = row.preEnd ?? row.submit {
                    svg.rect(x: x(a), y: y + 2, width: x(b) - x(a), height: 7, fill: Colors.pre)
                }
                if let a = row.submit, let b = row.execute ?? row.terminated {
                    svg.rect(x: x(a), y: y + 2, width: x(b) - x(a), height: 7, fill: Colors.queued)
                }
                if let a = row.execute {
                    let b = row.terminated ?? row.last
                    let failed = (row.exitcode ?? 0) != 0
                    svg.rect(
                        x: x(a), y: y + 2, width: max(0.5, x(b) - x(a)), height: 7,
                        fill: failed ? Colors.failure : Colors.running)
                }
                if let a = row.kickstartStart, let d = row.kickstartDuration {
                    svg.rect(x: x(a), y: y + 4, width: max(0.5, x(a + d) - x(a)), height: 3, fill: Colors.kickstart)
                }
                if let b = row.postEnd, let a = row.postStart ?? row.terminated {
                    svg.rect(x: x(a), y: y + 2, width: x(b) - x(a), height: 7, fill: Colors.post)
                }
            }
        }
        timeAxis(&svg, start: start, end: end, left: left, plot: plot, y: height - 40, unit: 1)
        return svg.svg(
            title: "Gantt chart", description: "\(rows.count) job instances of this workflow", id: "gantt-chart")
    }

    /// The density view: average instances queued / executing / in post per time bucket (stacked bars), and a
    /// heat strip per transformation of running invocations (shade relative to the row's peak).
    static func densityGantt(_ d: ChartsGanttDensity, instances: Int) -> HTML {
        let buckets = d.queued.count
        guard buckets > 0 else { return "<p>No job states yet.</p>" }
        let left = 220.0
        let right = 20.0
        let top = 60.0
        let panel = 170.0
        let stripTop = top + panel + 40
        let stripHeight = 16.0
        let plot = width - left - right
        let slot = plot / Double(buckets)
        let height = stripTop + Double(d.transformations.count) * stripHeight + 56
        let end = d.start + Double(buckets) * d.bucketWidth
        var svg = SVGCanvas(width: width, height: height)
        svg.text(
            "\(instances) job instances, aggregated per \(duration(d.bucketWidth)) (UTC)", x: left, y: 16, size: 13,
            bold: true)
        svg.legend("queued", color: Colors.queued, x: left, y: 34)
        svg.legend("executing", color: Colors.running, x: left + 90, y: 34)
        svg.legend("post-script", color: Colors.post, x: left + 190, y: 34)
        svg.text("average number of job instances in each phase", x: left + 300, y: 34, size: 11)
        let totals = (0..<buckets).map { d.queued[$0] + d.running[$0] + d.post[$0] }
        let maximum = max(1e-9, totals.max() ?? 1)
        for (tick, value) in ticks(maximum: maximum, count: 4) {
            let y = top + panel - panel * tick
            svg.line(x1: left, y1: y, x2: width - right, y2: y, stroke: Colors.grid)
            svg.text(StatisticsFormat.compact(value, digits: 1), x: left - 4, y: y + 3, anchor: "end", size: 10)
        }
        svg.text("instances", x: left - 44, y: top + panel / 2, anchor: "middle", size: 11, rotate: -90)
        for i in 0..<buckets {
            let x = left + Double(i) * slot
            var y = top + panel
            let label = timestamp(d.start + Double(i) * d.bucketWidth, unit: d.bucketWidth)
            let parts: [(Double, String, String)] = [
                (d.running[i], Colors.running, "executing"), (d.queued[i], Colors.queued, "queued"),
                (d.post[i], Colors.post, "in post-script"),
            ]
            for (value, color, name) in parts where value > 0 {
                let h = panel * value / maximum
                y -= h
                svg.rect(
                    x: x, y: y, width: max(0.5, slot - 0.5), height: h, fill: color,
                    title: "\(label): \(StatisticsFormat.compact(value, digits: 1)) \(name) on average, "
                        + "\(d.submitted[i]) submitted")
            }
        }
        svg.line(x1: left, y1: top + panel, x2: width - right, y2: top + panel, stroke: Colors.axis)
        svg.text("Running invocations per transformation", x: left, y: stripTop - 8, size: 12, bold: true)
        for (row, item) in d.transformations.enumerated() {
            let y = stripTop + Double(row) * stripHeight
            let peak = item.running.max() ?? 0
            svg.text(
                truncated(item.name, 30), x: left - 6, y: y + 12, anchor: "end", size: 10,
                title:
                    "\(item.name): \(item.invocations) invocations, peak \(StatisticsFormat.compact(peak, digits: 1)) running"
            )
            svg.rect(x: left, y: y + 1, width: plot, height: stripHeight - 2, fill: "#f5f7f8")
            guard peak > 0 else { continue }
            for (i, value) in item.running.enumerated() where value > 0 {
                let label = timestamp(d.start + Double(i) * d.bucketWidth, unit: d.bucketWidth)
                svg.rect(
                    x: left + Double(i) * slot, y: y + 1, width: max(0.5, slot), height: stripHeight - 2,
                    fill: Colors.running,
                    title: "\(item.name), \(label): \(StatisticsFormat.compact(value, digits: 1)) running on average",
                    opacity: 0.15 + 0.85 * value / peak)
            }
        }
        timeAxis(&svg, start: d.start, end: end, left: left, plot: plot, y: height - 42, unit: d.bucketWidth)
        return svg.svg(
            title: "Gantt chart (aggregated)",
            description: "\(instances) job instances are too many for one row each: average instances per phase "
                + "and running invocations per transformation over \(buckets) time buckets",
            id: "gantt-chart")
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

    // MARK: - JSON

    /// The charts' data (Pegasus' `/charts/time_chart` and `/charts/gantt_chart` fields where they exist).
    static func json(_ data: ChartsData) -> JSONValue {
        let distribution: [JSONValue] = data.distribution.map { t in
            [
                "name": .string(t.name),
                "count": ["total": .int(t.total), "success": .int(t.success), "failure": .int(t.failure)],
                "time": [
                    "total": .double(t.runtimeTotal), "min": .double(t.runtimeMin), "max": .double(t.runtimeMax),
                    "avg": .double(t.runtimeMean),
                ],
            ]
        }
        let time: [JSONValue] = data.time.map { b in
            [
                "start": .double(b.start), "width": .double(b.width),
                "count": ["job": .int(b.jobs), "invocation": .int(b.invocations)],
                "total_runtime": ["job": .double(b.jobRuntime), "invocation": .double(b.invocationRuntime)],
            ]
        }
        let gantt: JSONValue
        switch data.gantt {
        case .empty:
            gantt = ["mode": "empty"]
        case .detailed(let rows):
            gantt = [
                "mode": "detailed",
                "job_instances": .array(
                    rows.map { r in
                        [
                            "job_instance_id": .int(Int(r.jobInstanceID)), "job_name": .string(r.jobName),
                            "transformation": .string(r.transformation), "exitcode": .int(r.exitcode.map { Int($0) }),
                            "jobS": .double(r.first), "jobDuration": .double(r.last - r.first),
                            "pre_start": .double(r.preStart), "submit": .double(r.submit),
                            "execute": .double(r.execute), "terminated": .double(r.terminated),
                            "post_start": .double(r.postStart), "post_end": .double(r.postEnd),
                            "kickstart_start": .double(r.kickstartStart),
                            "kickstart_duration": .double(r.kickstartDuration),
                        ]
                    }),
            ]
        case .aggregated(let instances, let d):
            gantt = [
                "mode": "aggregated", "job_instances": .int(instances), "start": .double(d.start),
                "bucket_width": .double(d.bucketWidth), "queued": .array(d.queued.map { .double($0) }),
                "running": .array(d.running.map { .double($0) }), "post": .array(d.post.map { .double($0) }),
                "submitted": .array(d.submitted.map { .int($0) }),
                "transformations": .array(
                    d.transformations.map { t in
                        [
                            "name": .string(t.name), "invocations": .int(t.invocations),
                            "running": .array(t.running.map { .double($0) }),
                        ]
                    }),
            ]
        }
        return [
            "wf": StatisticsRendering.workflowJSON(data.workflow), "job_distribution": .array(distribution),
            "time_chart": .array(time), "gantt_chart": gantt,
        ]
    }
}
