import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// `/u/<user>/`: counters, table, search, sort, time filter, paging, refresh, missing master DB, performance.
@Suite struct DashboardWorkflowListTests {
    static let base = DashboardClient.base + "/"

    /// The labels of a list page's rows, in order (HTML-escaped as on the page).
    static func labels(_ response: DashboardResponse) -> [String] {
        response.tableRows("list workflows").compactMap { row in
            guard let match = row.firstMatch(of: /<td><a href="[^"]*">([^<]*)<\/a><\/td>/) else { return nil }
            return String(match.output.1)
        }
    }

    @Test func countersAndRowsMatchTheManifest() async throws {
        let fixture = try DashboardFixture.load()
        let page = try await DashboardClient.get(Self.base, home: fixture.home)
        #expect(page.status == .ok)
        #expect(page.headers[.contentType] == "text/html; charset=utf-8")
        #expect(page.counter("Running") == (try fixture.masterCount("others")))
        #expect(page.counter("Successful") == (try fixture.masterCount("success")))
        #expect(page.counter("Failed") == (try fixture.masterCount("fail")))
        #expect(page.counter("Total") == (try fixture.masterCount("total")))
        let workflows = try #require(fixture.manifest["workflows"] as? [[String: Any]])
        let labels = Self.labels(page)
        #expect(Set(labels) == Set(workflows.compactMap { $0["label"] as? String }))
        // Each row links to the details page by master wf_id and wf_uuid, and shows its state.
        for workflow in workflows {
            let label = try #require(workflow["label"] as? String)
            let link = "/u/monitor/r/\(try fixture.masterID(label))/w?wf_uuid=\(try fixture.uuid(label))"
            #expect(page.urls.contains(link), "no link \(link)")
            let row = try #require(page.tableRows("list workflows").first { $0.contains(">\(label)</a>") })
            let state = try #require(workflow["state"] as? String)
            #expect(row.contains("<td class=\"state-\(state)\">\(state)</td>"), "state of \(label)")
            #expect(row.contains(try fixture.submitDir(label)))
        }
        // The running workflow makes the page refresh itself.
        #expect(page.body.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
    }

    @Test func defaultOrderIsNewestFirstAndSortingWorks() async throws {
        let fixture = try DashboardFixture.load()
        let pages = try await DashboardClient.get(
            [
                Self.base, Self.base + "?sort=timestamp&dir=asc", Self.base + "?sort=label&dir=asc",
                Self.base + "?sort=label&dir=desc", Self.base + "?sort=label", Self.base + "?sort=state",
                Self.base + "?sort=host&dir=desc", Self.base + "?sort=dir",
            ], home: fixture.home)
        for page in pages { #expect(page.status == .ok) }
        let workflows = try #require(fixture.manifest["workflows"] as? [[String: Any]])
        // Newest planned first; the missing-db row (10 days before the base time) has no timestamps entry.
        let planned = workflows.compactMap { w -> (String, Int)? in
            guard let label = w["label"] as? String, let t = (w["timestamps"] as? [String: Any])?["planned"] as? Int
            else { return nil }
            return (label, t)
        }
        let newestFirst = planned.sorted { $0.1 > $1.1 }.map(\.0)
        #expect(Self.labels(pages[0]).filter { newestFirst.contains($0) } == newestFirst)
        #expect(Self.labels(pages[1]) == Self.labels(pages[0]).reversed())
        let byLabel = workflows.compactMap { $0["label"] as? String }.sorted()
        #expect(Self.labels(pages[2]) == byLabel)
        #expect(Self.labels(pages[3]) == byLabel.reversed())
        #expect(Self.labels(pages[4]) == byLabel)  // text columns default to ascending
        let states = pages[5].tableRows("list workflows").compactMap { $0.firstMatch(of: /class="state-(\w+)"/) }
            .map { String($0.output.1) }
        #expect(states == states.sorted())
        #expect(states.count == workflows.count)
        // The header of the active column links to the other direction.
        #expect(pages[2].urls.contains("/u/monitor/?sort=label&dir=desc"))
        #expect(pages[3].urls.contains("/u/monitor/?sort=label"))
    }

    @Test func searchFiltersInSQLAndKeepsTheCounters() async throws {
        let fixture = try DashboardFixture.load()
        let medium = try await DashboardClient.get(Self.base + "?q=medium", home: fixture.home)
        #expect(Self.labels(medium) == ["medium"])
        #expect(medium.counter("Total") == (try fixture.masterCount("total")))
        #expect(medium.body.contains("1 of \(try fixture.masterCount("total")) workflows match"))
        // State, host and directory are searched too (case-insensitively, like SQL LIKE).
        let failed = try await DashboardClient.get(Self.base + "?q=failed", home: fixture.home)
        #expect(Self.labels(failed).count == (try fixture.masterCount("fail")))
        let host = try await DashboardClient.get(
            Self.base + "?q=" + DashboardClient.encode("submit.fixtures"), home: fixture.home)
        #expect(Self.labels(host).count == (try fixture.masterCount("total")))
        let directory = try await DashboardClient.get(
            Self.base + "?q=" + DashboardClient.encode("submit/hostile/run"), home: fixture.home)
        #expect(Self.labels(directory) == ["hostile"])
        // Form encoding: + is a space; % and _ are literal, not wildcards.
        let spaced = try await DashboardClient.get(Self.base + "?q=+medium+", home: fixture.home)
        #expect(Self.labels(spaced) == ["medium"])
        for literal in ["%25", "_", "%5C"] {
            let none = try await DashboardClient.get(Self.base + "?q=\(literal)", home: fixture.home)
            #expect(none.status == .ok)
            #expect(Self.labels(none).isEmpty, "q=\(literal) matched")
            #expect(none.body.contains("No workflow matches"))
        }
        // The search box keeps the text, escaped.
        let hostile = try await DashboardClient.get(
            Self.base + "?q=" + DashboardClient.encode("\"><script>alert(1)</script>"), home: fixture.home)
        #expect(hostile.status == .ok)
        #expect(!hostile.body.contains("<script>alert(1)</script>"))
        #expect(hostile.body.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""))
    }

    @Test func timeFilterCountsFromTheMasterDatabase() async throws {
        let fixture = try DashboardFixture.load()
        let now = try #require(fixture.manifest["base_time"] as? Int)
        let database = try DatabaseQueue(path: fixture.home + "/.pegasus/workflow.db")
        let windows: [(String, Int?)] = [
            ("day", 86_400), ("week", 604_800), ("month", 2_620_800), ("year", 31_449_600), ("all", nil),
        ]
        var previous = -1
        for (name, seconds) in windows {
            let expected = try await database.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM master_workflow WHERE timestamp >= ?",
                    arguments: [Double(now) - Double(seconds ?? now)]) ?? 0
            }
            let page = try await DashboardClient.get(Self.base + "?time=\(name)", home: fixture.home, now: Double(now))
            #expect(page.status == .ok)
            #expect(Self.labels(page).count == expected, "time=\(name)")
            #expect(page.body.contains("<option value=\"\(name)\" selected>"))
            #expect(expected >= previous)
            previous = expected
        }
        #expect(previous == (try fixture.masterCount("total")))
        // The day window holds the running workflow (planned an hour before the base time) but not medium.
        let day = try await DashboardClient.get(Self.base + "?time=day", home: fixture.home, now: Double(now))
        #expect(Self.labels(day).contains("running"))
        #expect(!Self.labels(day).contains("medium"))
    }

    @Test func pagingAndBadParameters() async throws {
        let fixture = try DashboardFixture.load()
        let total = try fixture.masterCount("total")
        let all = Self.labels(try await DashboardClient.get(Self.base + "?sort=label", home: fixture.home))
        var seen: [String] = []
        let pages = (total + 1) / 2
        for page in 1...pages {
            let response = try await DashboardClient.get(
                Self.base + "?sort=label&size=2&page=\(page)", home: fixture.home)
            #expect(response.status == .ok)
            seen += Self.labels(response)
            #expect(response.body.contains("of \(total) (page \(page) of \(pages))"))
            if page < pages { #expect(response.urls.contains("/u/monitor/?sort=label&size=2&page=\(page + 1)")) }
        }
        #expect(seen == all)
        // Past the end: an empty page, still 200.
        let beyond = try await DashboardClient.get(Self.base + "?size=2&page=99", home: fixture.home)
        #expect(beyond.status == .ok)
        #expect(Self.labels(beyond).isEmpty)
        for bad in [
            "page=abc", "page=0", "page=-1", "size=0", "size=501", "size=x", "sort=wf_id", "dir=up", "time=decade",
            "q=%ZZ",
        ] {
            let response = try await DashboardClient.get(Self.base + "?" + bad, home: fixture.home)
            #expect(response.status == .badRequest, "\(bad)")
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        }
        #expect(try await DashboardClient.get(Self.base + "?size=500", home: fixture.home).status == .ok)
    }

    /// A copy of the fixture home whose master database gets extra rows.
    static func homeCopy(_ fixture: DashboardFixture) throws -> String {
        let home = FileManager.default.temporaryDirectory.path + "/dashboard-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home + "/.pegasus", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: fixture.home + "/.pegasus/workflow.db", toPath: home + "/.pegasus/workflow.db")
        return home
    }

    @Test func workflowsWithoutStateRowsAndSameSecondRestartsAreRunning() async throws {
        let fixture = try DashboardFixture.load()
        let home = try Self.homeCopy(fixture)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let database = try DatabaseQueue(path: home + "/.pegasus/workflow.db")
        try await database.write { db in
            let insert = """
                INSERT INTO master_workflow (wf_id, wf_uuid, dax_label, timestamp, submit_hostname, submit_dir, db_url, archived)
                VALUES (?, ?, ?, 1722470000, 'h', '/nowhere', 'sqlite:////nowhere/x.db', 0)
                """
            try db.execute(sql: insert, arguments: [1001, "no-state-uuid", "no-state-yet"])
            try db.execute(sql: insert, arguments: [1002, "restarted-uuid", "restarted-same-second"])
            // Terminated (failed) and restarted within the same second: the restart is the latest row.
            try db.execute(
                sql: """
                    INSERT INTO master_workflowstate (wf_id, state, timestamp, restart_count, status) VALUES
                    (1002, 'WORKFLOW_STARTED', 1722470010, 0, NULL),
                    (1002, 'WORKFLOW_TERMINATED', 1722470020, 0, 1),
                    (1002, 'WORKFLOW_STARTED', 1722470020, 1, NULL)
                    """)
        }
        let page = try await DashboardClient.get(Self.base, home: home)
        #expect(page.status == .ok)
        #expect(page.counter("Running") == (try fixture.masterCount("others")) + 2)
        #expect(page.counter("Total") == (try fixture.masterCount("total")) + 2)
        let labels = Self.labels(page)
        #expect(labels.filter { $0 == "no-state-yet" }.count == 1)
        #expect(labels.filter { $0 == "restarted-same-second" }.count == 1)
        for label in ["no-state-yet", "restarted-same-second"] {
            let row = try #require(page.tableRows("list workflows").first { $0.contains(">\(label)</a>") })
            #expect(row.contains("state-Running"))
        }
    }

    @Test func missingMasterDatabaseExplainsItself() async throws {
        let home = FileManager.default.temporaryDirectory.path + "/dashboard-empty-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let page = try await DashboardClient.get(Self.base, home: home)
        #expect(page.status == .ok)
        #expect(page.body.contains("pegasus-db-admin"))
        #expect(page.body.contains("No workflows have been planned"))
        #expect(!page.body.contains("http-equiv=\"refresh\""))
        // Pages of a workflow then are 404 with the same explanation.
        let details = try await DashboardClient.get(DashboardClient.base + "/r/1/w/1", home: home)
        #expect(details.status == .notFound)
        #expect(details.body.contains("pegasus-db-admin"))
    }

    @Test func bulkLabelsAreEscapedAndEveryViewAnswers() async throws {
        let manifest = try BulkFixtures.manifest()
        let home = try #require(manifest["home"] as? String)
        let bulk = try #require(manifest["bulk_workflows"] as? [String: Any])
        let states = try #require(bulk["states"] as? [String: Int])
        let rows = try #require(bulk["count"] as? Int)
        let extra = try #require(manifest["workflows"] as? [[String: Any]]).count
        #expect(rows == BulkFixtures.count)
        let paths = [
            Self.base, Self.base + "?q=bold", Self.base + "?sort=label&dir=asc&page=37",
            Self.base + "?sort=state&size=500", Self.base + "?q=montage&sort=host",
            Self.base + "?q=Running&time=year",
        ]
        let app = DashboardClient.application(access: DashboardClient.access(home: home))
        // Every view of the 10,000-workflow list answers; how fast is measured by dashboard-bench (Benchmarks/).
        let responses = try await app.test(.router) { client in
            var answers: [(String, DashboardResponse)] = []
            for path in paths {
                answers.append((path, try await client.execute(uri: path, method: .get) { DashboardResponse($0) }))
            }
            return answers
        }
        for (path, response) in responses {
            #expect(response.status == .ok, "\(path)")
        }
        let first = responses[0].1
        #expect(first.counter("Total") == rows + extra)
        let others = try #require(manifest["workflows"] as? [[String: Any]]).compactMap { $0["state"] as? String }
        for state in ["Successful", "Failed", "Running"] {
            #expect(first.counter(state) == (states[state] ?? 0) + others.filter { $0 == state }.count, "\(state)")
        }
        #expect(Self.labels(first).count == Paging.defaultSize)
        // The label with markup (`<b>bold-label...`) is shown as text.
        let labels = try #require(bulk["labels"] as? [String])
        let markup = try #require(labels.first { $0.contains("<b>") })
        let bold = responses[1].1
        #expect(!bold.body.contains(markup))
        #expect(bold.body.contains(HTML.escape(markup)))
        #expect(!Self.labels(bold).isEmpty)
        #expect(Self.labels(bold).allSatisfy { $0 == HTML.escape(markup) })
        #expect(Self.labels(responses[3].1).count == 500)
    }
}
