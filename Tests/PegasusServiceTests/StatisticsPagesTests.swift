import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// In-process client for the statistics and charts routes, mounted as `ServiceRouter` mounts the dashboard
/// (error middleware, authentication, `/u/:username`).
enum StatisticsTestClient {
    struct Page: Sendable {
        let status: Int
        let contentType: String
        let body: String

        /// The page as JSON.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(body.utf8))
            return try #require(object as? [String: Any])
        }
    }

    /// The test user (not the current user: the tests may run as root, whose data is never served).
    static let user = "statsuser"

    /// NoAuthentication as ``user``, whose home is the fixture home.
    static func access(home: String) -> AccessControl {
        let me = UnixUser(name: user, uid: 4244, gid: 4244, home: home)
        return AccessControl(
            authentication: .none, admins: .nobody, processSwitching: false, serviceUser: me,
            lookup: { $0 == me.name ? me : nil }, readers: { _ in LocalUserData() })
    }

    static func application(home: String) -> some ApplicationProtocol {
        let access = Self.access(home: home)
        let links = ServiceLinks(prefix: "")
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: ServiceErrorMiddleware(links: links))
        let root = router.group()
        root.add(middleware: AuthenticationMiddleware(access: access))
        StatisticsPages(access: access, links: links).addRoutes(to: root.group("u/:username"))
        return Application(router: router)
    }

    /// GETs each path in turn.
    static func get(_ paths: [String]) async throws -> [Page] {
        let app = application(home: try ServiceFixtures.home())
        return try await app.test(.router) { client in
            var pages: [Page] = []
            for path in paths {
                pages.append(
                    try await client.execute(uri: path, method: .get) { response in
                        Page(
                            status: Int(response.status.code), contentType: response.headers[.contentType] ?? "",
                            body: String(buffer: response.body))
                    })
            }
            return pages
        }
    }

    static func get(_ path: String) async throws -> Page {
        try #require(try await get([path]).first)
    }

    /// The manifest entry of a fixture workflow.
    static func workflow(_ label: String) throws -> [String: Any] {
        let workflows = try #require(try ServiceFixtures.manifest()["workflows"] as? [[String: Any]])
        return try #require(workflows.first { $0["label"] as? String == label })
    }

    /// `/u/<user>/r/<master wf_id>/w/<stampede wf_id>` of a fixture workflow (or of one of its sub-workflows).
    static func base(_ label: String, stampedeID: Int? = nil) throws -> String {
        let entry = try workflow(label)
        let master = try #require(entry["master_wf_id"] as? Int)
        let stampede = stampedeID ?? (entry["stampede_wf_id"] as? Int) ?? 1
        return "/u/\(user)/r/\(master)/w/\(stampede)"
    }

    /// The real pegasus-statistics output directory of a workflow, when the generator could run the tool.
    static func pegasusStatistics(_ label: String) throws -> String? {
        let manifest = try ServiceFixtures.manifest()
        let tools = manifest["pegasus_tools"] as? [String: Any]
        let run = (tools?["pegasus-statistics"] as? [String: Any])?[label] as? [String: Any]
        guard run?["succeeded"] as? Bool == true, let dir = run?["output_dir"] as? String else { return nil }
        return dir
    }

    // MARK: - HTML scraping

    /// The rows (cells, unescaped) of the tables with `class` (and `caption` when given).
    static func tableRows(_ html: String, class name: String, caption: String? = nil) -> [[String]] {
        var rows: [[String]] = []
        var rest = html[...]
        while let start = rest.range(of: "<table class=\"\(name)\">") {
            guard let end = rest[start.upperBound...].range(of: "</table>") else { break }
            let table = rest[start.upperBound..<end.lowerBound]
            rest = rest[end.upperBound...]
            if let caption, !table.contains("<caption>\(HTML.escape(caption))") { continue }
            for row in table.matches(of: /<tr>(.*?)<\/tr>/) {
                let cells = row.output.1.matches(of: /<t[dh][^>]*>(.*?)<\/t[dh]>/).map { unescape(String($0.output.1)) }
                if !cells.isEmpty { rows.append(cells) }
            }
        }
        return rows
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// Reads the text files of the real `pegasus-statistics -s all`.
enum PegasusStatisticsOutput {
    /// Sections `# <uuid> (<label>)` of breakdown.txt, jobs.txt and integrity.txt: whitespace-separated rows
    /// under the column header line that starts with `header`.
    static func sections(_ path: String, header: String) throws -> [String: [[String]]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [String: [[String]]] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let match = line.wholeMatch(of: /# (\S+) \((.*)\)/) {
                current = String(match.output.1)
                result[current ?? ""] = []
                continue
            }
            if line.hasPrefix("#") || line.hasPrefix(" ") || line.hasPrefix(header) { continue }
            guard let key = current else { continue }
            result[key, default: []].append(line.split(separator: " ").map(String.init))
        }
        return result
    }

    /// workflow.txt: per `<uuid> (<label>)` or `All Workflows`, the WF retries and the rows Tasks, Jobs,
    /// Sub-Workflows (Succeeded, Failed, Incomplete, Total, Retries, Total+Retries).
    static func workflow(_ path: String) throws -> [String: (retries: Int, rows: [String: [Int]])] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [String: (retries: Int, rows: [String: [Int]])] = [:]
        var current: String?
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("-") {
            let words = line.split(separator: " ").map(String.init)
            guard let first = words.first, let last = words.last else { continue }
            if ["Tasks", "Jobs", "Sub-Workflows"].contains(first), let key = current {
                result[key]?.rows[first] = words.dropFirst().compactMap { Int($0) }
            } else if first != "Type", let retries = Int(last) {
                current = first == "All" ? "All" : first
                result[current ?? ""] = (retries, [:])
            }
        }
        return result
    }

    /// summary.txt: "Workflow wall time" and the other `name : value` lines.
    static func summaryLines(_ path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            result[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return result
    }
}

/// The statistics page: numbers against the fixture manifest and against the real pegasus-statistics output.
@Suite struct StatisticsPagesTests {
    /// The page's workflow statistics and summary against every counted fixture workflow.
    @Test(arguments: ["small", "medium", "running", "hostile", "large"])
    func numbersMatchTheManifest(label: String) async throws {
        let entry = try StatisticsTestClient.workflow(label)
        let expected = try #require(entry["pegasus_statistics_expected"] as? [String: Any])
        let counts = try #require(entry["counts"] as? [String: Any])
        let page = try await StatisticsTestClient.get(try StatisticsTestClient.base(label) + "/statistics?format=json")
        #expect(page.status == 200)
        let json = try page.json()
        let workflow = try #require(json["workflow"] as? [String: Any])
        let all = try #require(workflow["all"] as? [[String: Int]])
        let individual = try #require(workflow["individual"] as? [[String: Int]])
        for (index, (kind, prefix)) in [("tasks", "task"), ("jobs", "job"), ("sub_workflows", "sub_wfs")].enumerated() {
            let want = try #require(expected[kind] as? [String: Int])
            let got = all[index]
            let key: (String) -> String = { word in
                switch (prefix, word) {
                case ("task", "total"): "total_tasks"
                case ("job", "total"): "total_jobs"
                case ("sub_wfs", "total"): "total_sub_wfs"
                case ("task", "retries"): "total_task_retries"
                case ("job", "retries"): "total_job_retries"
                case ("sub_wfs", "retries"): "total_sub_wfs_retries"
                case ("task", "total+retries"): "total_task_invocations"
                case ("job", "total+retries"): "total_job_invocations"
                case ("sub_wfs", "total+retries"): "total_sub_wfs_invocations"
                case (_, "incomplete"):
                    "total_unsubmitted_\(prefix == "task" ? "tasks" : prefix == "job" ? "jobs" : "sub_wfs")"
                default: "total_\(word)_\(prefix == "task" ? "tasks" : prefix == "job" ? "jobs" : "sub_wfs")"
                }
            }
            for word in ["succeeded", "failed", "incomplete", "total", "retries", "total+retries"] {
                #expect(got[key(word)] == want[word], "\(label) \(kind) \(word)")
            }
        }
        // This workflow alone: jobs and sub-workflow jobs add up to the manifest's job counts.
        let jobs = individual[1]
        let subs = individual[2]
        #expect((jobs["total_jobs"] ?? -1) + (subs["total_sub_wfs"] ?? -1) == counts["jobs"] as? Int)
        #expect(
            (jobs["total_succeeded_jobs"] ?? -1) + (subs["total_succeeded_sub_wfs"] ?? -1) == counts["succeeded"]
                as? Int)
        #expect((jobs["total_failed_jobs"] ?? -1) + (subs["total_failed_sub_wfs"] ?? -1) == counts["failed"] as? Int)
        #expect((jobs["total_job_retries"] ?? -1) + (subs["total_sub_wfs_retries"] ?? -1) == counts["retries"] as? Int)
        #expect(subs["total_sub_wfs"] == counts["sub_workflow_jobs"] as? Int)
        // Times, including sub-workflows (as pegasus-statistics' summary).
        let summary = try #require(json["summary"] as? [String: Any])
        let scope = try #require(summary["including_sub_workflows"] as? [String: Any])
        let seconds = try #require(scope["seconds"] as? [String: Any])
        func close(_ a: Any?, _ b: Any?) -> Bool {
            guard let x = (a as? NSNumber)?.doubleValue, let y = (b as? NSNumber)?.doubleValue else {
                return a == nil || a is NSNull ? (b == nil || b is NSNull) : false
            }
            return abs(x - y) <= max(1e-6, abs(y) * 1e-9)
        }
        #expect(close(seconds["wall-time"], expected["workflow_wall_time"]), "\(label) wall time")
        #expect(close(seconds["cum-time"], expected["cumulative_job_wall_time"]), "\(label) cumulative")
        #expect(close(seconds["cum-goodput-time"], expected["cumulative_job_goodput"]), "\(label) goodput")
        #expect(close(seconds["cum-badput-time"], expected["cumulative_job_badput"]), "\(label) badput")
        // The job table is paged: never more than a page of rows, the total is every job instance.
        let job = try #require(json["job"] as? [String: Any])
        let meta = try #require(job["_meta"] as? [String: Int])
        #expect(meta["records_total"] == counts["job_instances"] as? Int)
        let records = try #require(job["records"] as? [Any])
        #expect(records.count == min(StatisticsQueries.perPage, counts["job_instances"] as? Int ?? 0))
    }

    /// Every table against the real `pegasus-statistics -s all` of small and medium (when the generator ran it).
    @Test(arguments: ["small", "medium"])
    func tablesMatchRealPegasusStatistics(label: String) async throws {
        guard let dir = try StatisticsTestClient.pegasusStatistics(label) else {
            Issue.record("no pegasus-statistics output for \(label) in the fixtures")
            return
        }
        let entry = try StatisticsTestClient.workflow(label)
        let uuid = try #require(entry["wf_uuid"] as? String)
        let base = try StatisticsTestClient.base(label)
        let instances = try #require((entry["counts"] as? [String: Any])?["job_instances"] as? Int)
        let pages = (instances + StatisticsQueries.perPage - 1) / StatisticsQueries.perPage
        let responses = try await StatisticsTestClient.get(
            (1...max(1, pages)).map { "\(base)/statistics?page=\($0)" })
        for response in responses { #expect(response.status == 200) }
        let html = try #require(responses.first).body
        let hasSubWorkflows = !((entry["sub_workflows"] as? [Any]) ?? []).isEmpty

        // summary.txt: Tasks / Jobs / Sub-Workflows and the time lines (the tree: "Including sub-workflows").
        let countsTable = StatisticsTestClient.tableRows(
            html, class: "workflow-statistics", caption: hasSubWorkflows ? "Including sub-workflows" : "This workflow")
        let summaryCounts = try #require(
            (try ServiceFixtures.manifest()["pegasus_tools"] as? [String: Any]).flatMap {
                (($0["pegasus-statistics"] as? [String: Any])?[label] as? [String: Any])?["summary"] as? [String: Any]
            })
        for (title, key) in [("Tasks", "tasks"), ("Jobs", "jobs"), ("Sub-Workflows", "sub_workflows")] {
            let row = try #require(countsTable.first { $0.first == title })
            let want = try #require(summaryCounts[key] as? [String: Int])
            let expected = ["succeeded", "failed", "incomplete", "total", "retries", "total+retries"].map {
                String(want[$0] ?? -1)
            }
            #expect(Array(row.dropFirst()) == expected, "\(label) summary \(title)")
        }
        let lines = try PegasusStatisticsOutput.summaryLines(dir + "/summary.txt")
        let timeRows = StatisticsTestClient.tableRows(html, class: "summary")
        for name in [
            "Workflow wall time", "Cumulative job wall time", "Cumulative job wall time as seen from submit side",
            "Cumulative job badput wall time", "Cumulative job badput wall time as seen from submit side",
        ] {
            let row = try #require(timeRows.first { $0.first == name }, "\(name)")
            #expect(row.last == lines[name], "\(label) \(name)")
        }
        // Integrity summary lines ("6 files checksums compared with total duration of 0.01 secs").
        let summaryText = try String(contentsOfFile: dir + "/summary.txt", encoding: .utf8)
        for line in summaryText.split(separator: "\n") where line.contains("files checksums") {
            #expect(html.contains("<li>\(line)</li>"), "\(label): \(line)")
        }

        // workflow.txt: each workflow alone and all workflows.
        let workflowFile = try PegasusStatisticsOutput.workflow(dir + "/workflow.txt")
        let json = try await StatisticsTestClient.get(base + "/statistics/workflow").json()
        let perWorkflow = try #require(json["per_workflow"] as? [[String: Any]])
        var uuids: [Int: String] = [(entry["stampede_wf_id"] as? Int) ?? 1: uuid]
        for sub in (entry["sub_workflows"] as? [[String: Any]]) ?? [] {
            if let id = sub["stampede_wf_id"] as? Int, let u = sub["wf_uuid"] as? String { uuids[id] = u }
        }
        func rows(_ statistics: [[String: Int]]) -> [String: [Int]] {
            func values(_ s: [String: Int], _ p: String, _ plural: String) -> [Int] {
                [
                    s["total_succeeded_\(plural)"], s["total_failed_\(plural)"], s["total_unsubmitted_\(plural)"],
                    s["total_\(plural)"], s["total_\(p)_retries"] ?? s["total_\(plural)_retries"],
                    s["total_\(p)_invocations"] ?? s["total_\(plural)_invocations"],
                ].map { $0 ?? -1 }
            }
            return [
                "Tasks": values(statistics[0], "task", "tasks"), "Jobs": values(statistics[1], "job", "jobs"),
                "Sub-Workflows": values(statistics[2], "sub_wfs", "sub_wfs"),
            ]
        }
        #expect(perWorkflow.count == uuids.count)
        for item in perWorkflow {
            let id = try #require(item["wf_id"] as? Int)
            let wfUUID = try #require(uuids[id])
            let want = try #require(workflowFile[wfUUID])
            #expect(rows(try #require(item["statistics"] as? [[String: Int]])) == want.rows, "\(label) wf \(id)")
            #expect(item["workflow_retries"] as? Int == want.retries)
        }
        let allWorkflows = try #require(workflowFile["All"])
        #expect(rows(try #require(json["all"] as? [[String: Int]])) == allWorkflows.rows)

        // breakdown.txt: this workflow, and all workflows.
        let breakdown = try PegasusStatisticsOutput.sections(dir + "/breakdown.txt", header: "Transformation ")
        let mine = StatisticsTestClient.tableRows(
            html, class: "breakdown", caption: hasSubWorkflows ? "This workflow" : nil
        ).filter { $0.first != "Transformation" }
        #expect(mine == breakdown[uuid], "\(label) breakdown")
        if hasSubWorkflows {
            let mineAll = StatisticsTestClient.tableRows(html, class: "breakdown", caption: "Including sub-workflows")
                .filter { $0.first != "Transformation" }
            #expect(mineAll == breakdown["All"], "\(label) breakdown of all workflows")
        } else {
            #expect(mine == breakdown["All"])
        }

        // jobs.txt: this workflow's job instances, over all pages.
        let jobsFile = try PegasusStatisticsOutput.sections(dir + "/jobs.txt", header: "Job ")
        let jobRows = responses.flatMap { StatisticsTestClient.tableRows($0.body, class: "jobs") }
            .filter { $0.first != "Job" }
        let wantJobs = try #require(jobsFile[uuid])
        #expect(jobRows.count == wantJobs.count)
        for (got, want) in zip(jobRows, wantJobs) where got != want {
            Issue.record("\(label) jobs.txt row differs: \(got) != \(want)")
            break
        }

        // integrity.txt: this workflow and all workflows (type, file type, count, total duration).
        let integrity = try PegasusStatisticsOutput.sections(dir + "/integrity.txt", header: "Type ")
        let mineIntegrity = StatisticsTestClient.tableRows(html, class: "integrity", caption: "This workflow")
            .filter { $0.first != "Type" }
        #expect(mineIntegrity == integrity[uuid], "\(label) integrity")
        if hasSubWorkflows {
            let mineAll = StatisticsTestClient.tableRows(html, class: "integrity", caption: "Including sub-workflows")
                .filter { $0.first != "Type" }
            #expect(mineAll == integrity["All"], "\(label) integrity of all workflows")
        }
    }

    /// A sub-workflow's own page: its counts are the manifest's, its tree is itself.
    @Test func subWorkflowPage() async throws {
        let entry = try StatisticsTestClient.workflow("medium")
        let subs = try #require(entry["sub_workflows"] as? [[String: Any]])
        for sub in subs {
            let id = try #require(sub["stampede_wf_id"] as? Int)
            let counts = try #require(sub["counts"] as? [String: Any])
            let json = try await StatisticsTestClient.get(
                try StatisticsTestClient.base("medium", stampedeID: id) + "/statistics?format=json"
            ).json()
            let workflow = try #require(json["workflow"] as? [String: Any])
            let individual = try #require(workflow["individual"] as? [[String: Int]])
            #expect(individual[1]["total_jobs"] == counts["jobs"] as? Int)
            #expect(individual[1]["total_succeeded_jobs"] == counts["succeeded"] as? Int)
            #expect(individual[1]["total_failed_jobs"] == counts["failed"] as? Int)
            #expect(individual[1]["total_job_retries"] == counts["retries"] as? Int)
            #expect((json["wf"] as? [String: Any])?["wf_uuid"] as? String == sub["wf_uuid"] as? String)
        }
    }

    /// 100,000 jobs: one page of 100 rows, with links to the next and last pages.
    @Test func largeJobTableIsPaged() async throws {
        let entry = try StatisticsTestClient.workflow("large")
        let instances = try #require((entry["counts"] as? [String: Any])?["job_instances"] as? Int)
        let base = try StatisticsTestClient.base("large")
        let lastPage = (instances + 99) / 100
        let pages = try await StatisticsTestClient.get([
            base + "/statistics", base + "/statistics?page=\(lastPage)", base + "/statistics?page=\(lastPage + 1)",
        ])
        #expect(pages.allSatisfy { $0.status == 200 })
        let first = StatisticsTestClient.tableRows(pages[0].body, class: "jobs").filter { $0.first != "Job" }
        #expect(first.count == 100)
        #expect(pages[0].body.contains("Page 1 of \(lastPage)"))
        #expect(pages[0].body.contains("statistics?page=2#jobs"))
        #expect(pages[0].body.contains("statistics?page=\(lastPage)#jobs"))
        let last = StatisticsTestClient.tableRows(pages[1].body, class: "jobs").filter { $0.first != "Job" }
        #expect(last.count == instances - (lastPage - 1) * 100)
        #expect(StatisticsTestClient.tableRows(pages[2].body, class: "jobs").filter { $0.first != "Job" }.isEmpty)
        #expect(pages[0].body.utf8.count < 200_000)
    }

    /// The JSON endpoints of Pegasus' statistics page.
    @Test func jsonEndpoints() async throws {
        let base = try StatisticsTestClient.base("medium") + "/statistics"
        let pages = try await StatisticsTestClient.get([
            base + "/summary", base + "/workflow", base + "/job_breakdown", base + "/job?page=2&per_page=10",
            base + "/integrity",
        ])
        for page in pages {
            #expect(page.status == 200)
            #expect(page.contentType.hasPrefix("application/json"))
        }
        let summary = try pages[0].json()
        for key in ["wall-time", "cum-time", "cum-badput-time", "job-cum-time", "job-cum-badput-time"] {
            #expect(summary[key] is String, "\(key)")
        }
        #expect(summary["retry-count"] as? Int == 0)
        #expect(
            summary["wall-time"] as? String
                == StatisticsFormat.timeToString(
                    (try StatisticsTestClient.workflow("medium")["pegasus_statistics_expected"] as? [String: Any])?[
                        "workflow_wall_time"] as? Double))
        let breakdown = try pages[2].json()
        #expect(((breakdown["all"] as? [Any]) ?? []).count >= ((breakdown["individual"] as? [Any]) ?? []).count)
        let jobs = try pages[3].json()
        #expect((jobs["records"] as? [Any])?.count == 10)
        #expect((jobs["_meta"] as? [String: Int])?["page"] == 2)
        let integrity = try pages[4].json()
        #expect((integrity["errors"] as? [String: Int])?["all"] == 2)
    }

    /// Hostile labels are escaped; unknown workflows and missing databases are 404 pages.
    @Test func escapingAndErrors() async throws {
        let hostile = try await StatisticsTestClient.get(try StatisticsTestClient.base("hostile") + "/statistics")
        #expect(hostile.status == 200)
        #expect(!hostile.body.contains("<i>xform</i>"))
        #expect(hostile.body.contains("&lt;i&gt;xform&lt;/i&gt;"))
        #expect(!hostile.body.contains("<b>bold"))
        #expect(!hostile.body.contains("<img src=x"))
        let user = StatisticsTestClient.user
        let small = try StatisticsTestClient.base("small")
        let missing = try StatisticsTestClient.base("missing-db")
        let pages = try await StatisticsTestClient.get([
            "/u/\(user)/r/987654/w/1/statistics", small.replacingOccurrences(of: "/w/", with: "/w/9") + "/statistics",
            missing + "/statistics", missing + "/statistics/summary", "/u/\(user)/r/987654/w/1/statistics/job",
        ])
        for page in pages { #expect(page.status == 404) }
        #expect(pages[2].body.contains("stampede database"))
    }

    /// pegasus-statistics' number formats.
    @Test func formats() {
        #expect(StatisticsFormat.formatSeconds(557) == "9 mins, 17 secs")
        #expect(StatisticsFormat.formatSeconds(386.503) == "6 mins, 26 secs")
        #expect(StatisticsFormat.formatSeconds(0) == "0.0 secs")
        #expect(StatisticsFormat.formatSeconds(0.012, decimal: true) == "0.01 secs")
        #expect(StatisticsFormat.formatSeconds(2.1, decimal: true) == "2.10 secs")
        #expect(StatisticsFormat.formatSeconds(1) == "1.0 sec")
        #expect(StatisticsFormat.formatSeconds(3661) == "1 hr, 1 min")
        #expect(StatisticsFormat.formatSeconds(2 * 86400 + 10 * 3600 + 5) == "2 days, 10 hrs")
        #expect(StatisticsFormat.formatSeconds(nil) == "-")
        #expect(StatisticsFormat.timeToString(7500) == "2 hours 5 mins")
        #expect(StatisticsFormat.timeToString(86400 + 1) == "1 day 1 sec")
        #expect(StatisticsFormat.timeToString(0) == "0 secs")
        #expect(StatisticsFormat.fstr(80.626) == "80.626")
        #expect(StatisticsFormat.fstr(2) == "2.0")
        #expect(StatisticsFormat.fstr(1.0005) == "1.0")
        #expect(StatisticsFormat.fstr(nil) == "-")
        #expect(StatisticsFormat.pstr(71.39) == "71.39%")
        #expect(StatisticsFormat.rawToRegular(256) == 1)
        #expect(StatisticsFormat.rawToRegular(9) == -9)
        #expect(StatisticsFormat.rawToRegular(-1) == -128)
    }
}
