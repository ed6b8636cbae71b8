extension ChartsRendering {
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
}
