extension ChartsRendering {
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
}
