import Foundation
import GRDB
import Testing

@testable import PegasusService

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Parses one SVG document and counts its elements; fails on malformed XML.
final class SVGInspector: NSObject, XMLParserDelegate {
    private(set) var elements = 0
    private(set) var names: [String: Int] = [:]
    private(set) var texts: [String] = []
    private var inText = false

    /// Parses `svg`; nil when it is not well-formed.
    static func inspect(_ svg: String) -> SVGInspector? {
        let inspector = SVGInspector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = inspector
        return parser.parse() ? inspector : nil
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        elements += 1
        names[elementName, default: 0] += 1
        if elementName == "text" || elementName == "title" {
            inText = true
            texts.append("")
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText, !texts.isEmpty { texts[texts.count - 1] += string }
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
    ) {
        if elementName == "text" || elementName == "title" { inText = false }
    }
}

/// The charts page: server-side SVG, well-formed, capped, aggregated for large workflows, with numbers that
/// match the manifest, the real pegasus-statistics output and the database.
@Suite struct ChartsPagesTests {
    /// The `<svg>...</svg>` elements of a page.
    static func svgs(_ html: String) -> [String] {
        html.matches(of: /<svg [\s\S]*?<\/svg>/).map { String($0.output) }
    }

    @Test(arguments: ["small", "medium", "running", "hostile", "large"])
    func svgIsWellFormedAndCapped(label: String) async throws {
        let page = try await StatisticsTestClient.get(try StatisticsTestClient.base(label) + "/charts")
        #expect(page.status == 200)
        #expect(!page.body.contains("<script"))
        let svgs = Self.svgs(page.body)
        #expect(svgs.count == 3, "\(label): \(svgs.count) charts")
        for svg in svgs {
            let inspector = try #require(SVGInspector.inspect(svg), "\(label): malformed SVG")
            #expect(inspector.elements <= SVGCanvas.defaultCap, "\(label): \(inspector.elements) elements")
            #expect(inspector.names["title", default: 0] >= 1)
        }
        #expect(page.body.utf8.count < 2_000_000)
    }

    /// 100,000 jobs: the Gantt chart is the aggregated view, every chart stays under the element cap.
    @Test func largeGanttIsAggregated() async throws {
        let base = try StatisticsTestClient.base("large")
        let pages = try await StatisticsTestClient.get([base + "/charts", base + "/charts?format=json"])
        let svgs = Self.svgs(pages[0].body)
        let gantt = try #require(svgs.last)
        #expect(gantt.contains("id=\"gantt-chart\""))
        #expect(gantt.contains("Gantt chart (aggregated)"))
        let inspector = try #require(SVGInspector.inspect(gantt))
        #expect(inspector.elements < SVGCanvas.defaultCap)
        let json = try pages[1].json()
        let ganttJSON = try #require(json["gantt_chart"] as? [String: Any])
        #expect(ganttJSON["mode"] as? String == "aggregated")
        let counts = try #require(try StatisticsTestClient.workflow("large")["counts"] as? [String: Any])
        #expect(ganttJSON["job_instances"] as? Int == counts["job_instances"] as? Int)
        let submitted = try #require(ganttJSON["submitted"] as? [Int])
        #expect(submitted.reduce(0, +) == counts["job_instances"] as? Int)
        #expect(submitted.count <= ChartsQueries.timeBuckets)
    }

    /// The distribution and the time chart against the manifest and pegasus-statistics' time.txt.
    @Test(arguments: ["small", "medium"])
    func numbersMatch(label: String) async throws {
        let entry = try StatisticsTestClient.workflow(label)
        let json = try await StatisticsTestClient.get(try StatisticsTestClient.base(label) + "/charts?format=json")
            .json()
        let all = try #require(entry["counts_including_sub_workflows"] as? [String: Any])
        let distribution = try #require(json["job_distribution"] as? [[String: Any]])
        let totals = distribution.compactMap { ($0["count"] as? [String: Int])?["total"] }
        #expect(totals.reduce(0, +) == all["invocations"] as? Int)
        for item in distribution {
            let count = try #require(item["count"] as? [String: Int])
            #expect(count["success"].map { $0 + (count["failure"] ?? 0) } == count["total"])
        }
        let time = try #require(json["time_chart"] as? [[String: Any]])
        let jobs = time.compactMap { ($0["count"] as? [String: Int])?["job"] }.reduce(0, +)
        let invocations = time.compactMap { ($0["count"] as? [String: Int])?["invocation"] }.reduce(0, +)
        let dagman = distribution.first { $0["name"] as? String == "condor::dagman" }
        let dagmanCount = (dagman?["count"] as? [String: Int])?["total"] ?? 0
        #expect(invocations == (all["invocations"] as? Int ?? 0) - dagmanCount)
        if let dir = try StatisticsTestClient.pegasusStatistics(label) {
            // time.txt: "Job instances statistics per day" and "Invocation statistics run per day".
            let text = try String(contentsOfFile: dir + "/time.txt", encoding: .utf8)
            var sections: [String: Int] = [:]
            var current = ""
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# ") {
                    current = String(line.dropFirst(2))
                } else if line.first?.isNumber == true {
                    let words = line.split(separator: " ")
                    if words.count == 3, let n = Int(words[1]) { sections[current, default: 0] += n }
                }
            }
            #expect(jobs == sections["Job instances statistics per day"])
            #expect(invocations == sections["Invocation statistics run per day"])
        }
    }

    /// Small workflows get one Gantt row per job instance.
    @Test func smallGanttHasOneRowPerInstance() async throws {
        let base = try StatisticsTestClient.base("small")
        let pages = try await StatisticsTestClient.get([base + "/charts", base + "/charts?format=json"])
        let counts = try #require(try StatisticsTestClient.workflow("small")["counts"] as? [String: Any])
        let gantt = try #require(try pages[1].json()["gantt_chart"] as? [String: Any])
        #expect(gantt["mode"] as? String == "detailed")
        let rows = try #require(gantt["job_instances"] as? [[String: Any]])
        #expect(rows.count == counts["job_instances"] as? Int)
        let svg = try #require(Self.svgs(pages[0].body).last)
        let inspector = try #require(SVGInspector.inspect(svg))
        #expect(inspector.names["g"] == rows.count)
    }

    /// The aggregated Gantt chart is exact: over the buckets, the average instances per phase times the bucket
    /// width add up to the time all instances spent in the phase (SUBMIT to EXECUTE, EXECUTE to JOB_TERMINATED,
    /// JOB_TERMINATED to POST_SCRIPT_TERMINATED; unfinished phases last to the chart's end), read from the
    /// database.
    @Test func densityIsExact() async throws {
        let entry = try StatisticsTestClient.workflow("medium")
        let database = try #require(entry["stampede_db"] as? String)
        let wfID = try #require(entry["stampede_wf_id"] as? Int)
        let json = try await StatisticsTestClient.get(try StatisticsTestClient.base("medium") + "/charts?format=json")
            .json()
        let gantt = try #require(json["gantt_chart"] as? [String: Any])
        #expect(gantt["mode"] as? String == "aggregated")
        let width = try #require(gantt["bucket_width"] as? Double)
        let start = try #require(gantt["start"] as? Double)
        let running = try #require(gantt["running"] as? [Double])
        let end = start + Double(running.count) * width
        let phases = try ["queued", "running", "post"].map { key in
            try #require(gantt[key] as? [Double]).reduce(0, +) * width
        }
        let queue = try DatabaseQueue(
            path: database,
            configuration: {
                var c = Configuration(); c.readonly = true; return c
            }())
        let expected = try await queue.read { db -> [Double] in
            let sql = """
                SELECT sum(coalesce(e, :end) - s), sum(coalesce(t, :end) - e), sum(coalesce(p, :end) - t) FROM (SELECT
                    (SELECT min(timestamp) FROM jobstate WHERE job_instance_id = ji.job_instance_id AND state = 'SUBMIT') AS s,
                    (SELECT min(timestamp) FROM jobstate WHERE job_instance_id = ji.job_instance_id AND state = 'EXECUTE') AS e,
                    (SELECT max(timestamp) FROM jobstate WHERE job_instance_id = ji.job_instance_id AND state = 'JOB_TERMINATED') AS t,
                    (SELECT max(timestamp) FROM jobstate WHERE job_instance_id = ji.job_instance_id
                        AND state = 'POST_SCRIPT_TERMINATED') AS p
                    FROM job_instance ji JOIN job j ON j.job_id = ji.job_id WHERE j.wf_id = :wf)
                """
            let row = try #require(try Row.fetchOne(db, sql: sql, arguments: ["end": end, "wf": wfID]))
            return [row[0] ?? 0, row[1] ?? 0, row[2] ?? 0]
        }
        for (name, (got, want)) in zip(["queued", "running", "post"], zip(phases, expected)) {
            #expect(want > 0)
            #expect(abs(got - want) <= max(1e-6, want * 1e-9), "\(name): \(got) vs \(want)")
        }
    }

    /// Hostile transformation and job names are escaped in the SVG text and tooltips.
    @Test func hostileLabelsAreEscaped() async throws {
        let page = try await StatisticsTestClient.get(try StatisticsTestClient.base("hostile") + "/charts")
        #expect(page.status == 200)
        #expect(!page.body.contains("<i>xform</i>"))
        #expect(!page.body.contains("<b>bold"))
        var found = false
        for svg in Self.svgs(page.body) {
            let inspector = try #require(SVGInspector.inspect(svg))
            if inspector.texts.contains(where: { $0.contains("<i>xform</i>") }) { found = true }
        }
        #expect(found, "the hostile label is shown as text")
    }

    @Test func unknownWorkflowsAndMissingDatabasesAre404() async throws {
        let user = StatisticsTestClient.user
        let pages = try await StatisticsTestClient.get([
            "/u/\(user)/r/987654/w/1/charts", try StatisticsTestClient.base("small") + "0/charts",
            try StatisticsTestClient.base("missing-db") + "/charts",
        ])
        for page in pages { #expect(page.status == 404) }
    }

    /// The canvas never exceeds its cap and escapes everything.
    @Test func canvasCapAndEscaping() throws {
        var canvas = SVGCanvas(width: 100, height: 100, cap: 50)
        for i in 0..<100 { canvas.rect(x: Double(i), y: 0, width: 1, height: 1, fill: "#000", title: "<\(i)>&") }
        canvas.text("a < b & \"c\" 'd'", x: 0, y: 0)
        let svg = canvas.svg(title: "T<", description: "D&", id: "x\"y")
        let inspector = try #require(SVGInspector.inspect(svg.raw))
        #expect(inspector.elements <= 50)
        #expect(canvas.dropped > 0)
        #expect(svg.raw.contains("elements left out"))
        #expect(inspector.texts.contains("<0>&"))
        #expect(SVGCanvas.number(1.25) == "1.3" || SVGCanvas.number(1.25) == "1.2")
        #expect(SVGCanvas.number(-0.5) == "-0.5")
        #expect(SVGCanvas.number(3) == "3")
        #expect(SVGCanvas.number(0.05, digits: 2) == "0.05")
        #expect(ChartsRendering.timestamp(1_722_470_400, unit: 60) == "2024-08-01 00:00")
        #expect(ChartsRendering.timestamp(951_782_400 + 3661, unit: 1) == "2000-02-29 01:01:01")
    }
}
