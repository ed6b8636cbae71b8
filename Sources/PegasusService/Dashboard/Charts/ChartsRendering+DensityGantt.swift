extension ChartsRendering {
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
}
