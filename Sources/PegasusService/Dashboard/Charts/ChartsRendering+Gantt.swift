extension ChartsRendering {
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
}
