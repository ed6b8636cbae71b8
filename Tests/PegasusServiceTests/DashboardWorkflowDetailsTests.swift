import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// `/u/<u>/r/<root>/w/<wf>`: summary, job counts, job tabs with paging, sub-workflows, missing records.
@Suite struct DashboardWorkflowDetailsTests {
    /// The job names of a job tab table, in order.
    static func jobNames(_ response: DashboardResponse, tab: String) -> [String] {
        response.tableRows("list jobs \(tab)").compactMap { row in
            guard let match = row.firstMatch(of: /<td><a href="[^"]*\/j\/\d+\/ji\/\d+">([^<]*)<\/a><\/td>/) else {
                return nil
            }
            return String(match.output.1)
        }
    }

    /// The numbers of the job status table row `title`: jobs, sub-workflow jobs, total.
    static func statusRow(_ response: DashboardResponse, _ title: String) -> [Int] {
        guard let row = response.tableRows("list job-status").first(where: { $0.contains("<th>\(title)</th>") })
        else { return [] }
        return row.matches(of: /<td class="num">(\d+)<\/td>/).compactMap { Int($0.output.1) }
    }

    @Test func mediumJobCountsAndTabsMatchTheManifest() async throws {
        let fixture = try DashboardFixture.load()
        let base = try DashboardClient.workflow(fixture, "medium")
        let tabs = ["failed", "running", "successful", "failing"]
        let pages = try await DashboardClient.get([base] + tabs.map { base + "?tab=\($0)" }, home: fixture.home)
        for page in pages { #expect(page.status == .ok) }
        let page = pages[0]
        func count(_ key: String) throws -> Int { try fixture.jobCount("medium", key) }
        #expect(
            Self.statusRow(page, "Running") == [
                try count("running") - count("running_workflow"), try count("running_workflow"), try count("running"),
            ])
        #expect(
            Self.statusRow(page, "Failed") == [
                try count("fail") - count("fail_workflow"), try count("fail_workflow"), try count("fail"),
            ])
        #expect(
            Self.statusRow(page, "Successful") == [
                try count("success") - count("success_workflow"), try count("success_workflow"), try count("success"),
            ])
        #expect(
            Self.statusRow(page, "Unsubmitted") == [
                try count("others") - count("others_workflow"), try count("others_workflow"), try count("others"),
            ])
        #expect(
            Self.statusRow(page, "All") == [
                try count("total") - count("total_workflow"), try count("total_workflow"), try count("total"),
            ])
        // Tab titles carry the counts; the default tab is the failed one.
        #expect(page.body.contains(">Failed (\(try count("fail")))</a>"))
        #expect(page.body.contains(">Running (\(try count("running")))</a>"))
        #expect(page.body.contains(">Successful (\(try count("success")))</a>"))
        #expect(page.body.contains(">Failing (\(try fixture.count("medium", "failing")))</a>"))
        #expect(Self.jobNames(page, tab: "failed") == Self.jobNames(pages[1], tab: "failed"))
        #expect(Set(Self.jobNames(pages[1], tab: "failed")) == Set(try fixture.jobsOfInterest("medium", "failed")))
        #expect(Set(Self.jobNames(pages[2], tab: "running")) == Set(try fixture.jobsOfInterest("medium", "running")))
        #expect(Self.jobNames(pages[3], tab: "successful").count == Paging.defaultSize)
        #expect(Set(Self.jobNames(pages[4], tab: "failing")) == Set(try fixture.jobsOfInterest("medium", "failing")))
        // Failed rows link to the stdout and stderr pages.
        let failedRow = try #require(pages[1].tableRows("list jobs failed").first)
        #expect(failedRow.contains("/stdout\">Application Stdout/Stderr</a>"))
        #expect(failedRow.contains("/stderr\">Condor Stderr/Pegasus Lite Log</a>"))
        // Links to statistics, charts and the file browser.
        #expect(page.urls.contains(base + "/statistics"))
        #expect(page.urls.contains(base + "/charts"))
        #expect(page.urls.contains(base + "/browser"))
        #expect(page.urls.contains(base + "/browser?path=medium-0.dag.dagman.out"))
        // A finished workflow does not refresh itself.
        #expect(!page.body.contains("http-equiv=\"refresh\""))
        #expect(page.body.contains("<td class=\"state-Failed\">Failed"))
    }

    @Test func successfulTabPagesThroughAllJobs() async throws {
        let fixture = try DashboardFixture.load()
        let base = try DashboardClient.workflow(fixture, "medium")
        let success = try fixture.jobCount("medium", "success")
        let size = 200
        let pages = (success + size - 1) / size
        var names: [String] = []
        let responses = try await DashboardClient.get(
            (1...pages).map { base + "?tab=successful&size=\(size)&page=\($0)" }, home: fixture.home)
        for (index, response) in responses.enumerated() {
            #expect(response.status == .ok)
            names += Self.jobNames(response, tab: "successful")
            #expect(response.body.contains("of \(success) (page \(index + 1) of \(pages))"))
        }
        #expect(names.count == success)
        #expect(Set(names).count == success)
        #expect(names == names.sorted())
        #expect(responses[0].urls.contains(base + "?tab=successful&page=2&size=\(size)"))
        // Durations are shown for successful jobs.
        #expect(
            responses[0].tableRows("list jobs successful").allSatisfy { $0.contains(" sec") || $0.contains(" min") })
    }

    @Test func runningWorkflowTabsAndRefresh() async throws {
        let fixture = try DashboardFixture.load()
        let base = try DashboardClient.workflow(fixture, "running")
        let pages = try await DashboardClient.get(
            [base, base + "?tab=running", base + "?tab=failing", base + "?tab=failed"], home: fixture.home)
        let page = pages[0]
        #expect(page.status == .ok)
        #expect(page.body.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
        #expect(page.body.contains("<td class=\"state-Running\">Running"))
        #expect(page.body.contains(">Running (\(try fixture.jobCount("running", "running")))</a>"))
        #expect(page.body.contains(">Failing (\(try fixture.count("running", "failing")))</a>"))
        #expect(page.body.contains(">Failed (\(try fixture.jobCount("running", "fail")))</a>"))
        #expect(Set(Self.jobNames(pages[1], tab: "running")) == Set(try fixture.jobsOfInterest("running", "running")))
        #expect(Set(Self.jobNames(pages[2], tab: "failing")) == Set(try fixture.jobsOfInterest("running", "failing")))
        #expect(Set(Self.jobNames(pages[3], tab: "failed")) == Set(try fixture.jobsOfInterest("running", "failed")))
        // Failing rows show the failed instance's exit code.
        #expect(pages[2].tableRows("list jobs failing").allSatisfy { !$0.contains("<td class=\"num\">0</td>") })
    }

    @Test func summaryTimesAndSubWorkflows() async throws {
        let fixture = try DashboardFixture.load()
        let small = try await DashboardClient.get(try DashboardClient.workflow(fixture, "small"), home: fixture.home)
        let times = try #require(try fixture.workflow("small")["timestamps"] as? [String: Any])
        let started = try #require(times["started"] as? Int)
        let terminated = try #require(times["terminated"] as? Int)
        #expect(
            small.body.contains("<th>Wall Time</th><td>\(DashboardFormat.duration(Double(terminated - started)))</td>"))
        let stats = try #require(try fixture.workflow("medium")["pegasus_statistics_expected"] as? [String: Any])
        let cumulative = try #require(stats["cumulative_job_wall_time"] as? Double)
        let medium = try await DashboardClient.get(try DashboardClient.workflow(fixture, "medium"), home: fixture.home)
        #expect(medium.body.contains("<th>Cumulative Wall Time</th><td>\(DashboardFormat.duration(cumulative))</td>"))
        #expect(medium.body.contains("<th>Type</th><td>root-wf</td>"))
        #expect(medium.body.contains("<th>Submit Host</th><td>submit.fixtures.example.org</td>"))
        // Sub-workflows: links and states, and their own pages.
        let root = try fixture.masterID("medium")
        for sub in try fixture.subWorkflows("medium") {
            let id = try #require(sub["stampede_wf_id"] as? Int)
            let label = try #require(sub["label"] as? String)
            let state = try #require(sub["state"] as? String)
            let link = "/u/monitor/r/\(root)/w/\(id)"
            #expect(medium.urls.contains(link))
            let row = try #require(medium.tableRows("list sub-workflows").first { $0.contains(">\(label)</a>") })
            #expect(row.contains("<td class=\"state-\(state)\">\(state)</td>"))
            let page = try await DashboardClient.get(link, home: fixture.home)
            #expect(page.status == .ok)
            #expect(page.body.contains("<th>Type</th><td>sub-wf</td>"))
            #expect(page.urls.contains(try DashboardClient.workflow(fixture, "medium")))
            let counts = try #require(sub["counts"] as? [String: Any])
            let jobs = try #require(counts["dashboard_job_counts"] as? [String: Any])
            #expect(Self.statusRow(page, "All").last == jobs["total"] as? Int)
            #expect(Self.statusRow(page, "Successful").last == jobs["success"] as? Int)
            #expect(Self.statusRow(page, "Failed").last == jobs["fail"] as? Int)
        }
    }

    @Test func addressedByUUID() async throws {
        let fixture = try DashboardFixture.load()
        let master = try fixture.masterID("medium")
        let uuid = try fixture.uuid("medium")
        let pages = try await DashboardClient.get(
            [
                "\(DashboardClient.base)/r/\(master)/w?wf_uuid=\(uuid)", "\(DashboardClient.base)/r/\(uuid)/w/1",
                "\(DashboardClient.base)/r/\(master)/w",
            ], home: fixture.home)
        for page in pages {
            #expect(page.status == .ok)
            #expect(page.body.contains("<small>\(uuid)</small>"))
            #expect(page.body.contains(">Failed (\(try fixture.jobCount("medium", "fail")))</a>"))
            // Links use the numeric ids.
            #expect(page.urls.contains("/u/monitor/r/\(master)/w/\(try fixture.stampedeID("medium"))/statistics"))
        }
    }

    @Test func missingRecordsAndBadParameters() async throws {
        let fixture = try DashboardFixture.load()
        let base = DashboardClient.base
        let medium = try DashboardClient.workflow(fixture, "medium")
        let missing = "\(base)/r/\(try fixture.masterID("missing-db"))/w"
        let pages = try await DashboardClient.get(
            [
                missing, missing + "?wf_uuid=\(try fixture.uuid("missing-db"))", "\(base)/r/99999/w/1",
                "\(base)/r/no-such-uuid/w/1", "\(base)/r/\(try fixture.masterID("medium"))/w/99999",
                "\(base)/r/\(try fixture.masterID("medium"))/w?wf_uuid=no-such-uuid", medium + "?tab=everything",
                medium + "?page=abc", medium + "?size=100000", missing + "/1/browser",
            ], home: fixture.home)
        let submitDir = try fixture.submitDir("missing-db")
        for page in [pages[0], pages[1], pages[9]] {
            #expect(page.status == .notFound)
            #expect(page.body.contains("Workflow details missing"))
            #expect(page.body.contains("moved or deleted"))
            #expect(page.body.contains(submitDir))
            #expect(
                page.body.contains(
                    "<code>\(try #require(try fixture.workflow("missing-db")["stampede_db"] as? String))</code>"))
        }
        for page in pages[2...5] { #expect(page.status == .notFound) }
        for page in pages[6...8] { #expect(page.status == .badRequest) }
    }

    @Test func largeWorkflowIsPagedInSQL() async throws {
        let fixture = try DashboardFixture.load()
        let base = try DashboardClient.workflow(fixture, "large")
        let total = try fixture.jobCount("large", "total")
        let success = try fixture.jobCount("large", "success")
        let last = (success + Paging.defaultSize - 1) / Paging.defaultSize
        let paths = [base, base + "?tab=successful&page=\(last)", base + "?tab=running"]
        let app = DashboardClient.application(access: DashboardClient.access(home: fixture.home))
        let results = try await app.test(.router) { client in
            var results: [(String, Double, DashboardResponse)] = []
            for path in paths {
                let start = ContinuousClock.now
                let response = try await client.execute(uri: path, method: .get) { DashboardResponse($0) }
                let elapsed = ContinuousClock.now - start
                let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                results.append((path, ms, response))
            }
            return results
        }
        for (path, ms, response) in results {
            print("dashboard large \(path): \(String(format: "%.1f", ms)) ms, \(response.bytes.count) bytes")
            #expect(response.status == .ok)
            // Only one page of jobs is rendered, however many the workflow has.
            #expect(response.bytes.count < 200_000)
        }
        #expect(Self.statusRow(results[0].2, "All").last == total)
        #expect(Self.statusRow(results[0].2, "Successful").last == success)
        let lastPage = results[1].2
        let expectedRows = success - (last - 1) * Paging.defaultSize
        #expect(Self.jobNames(lastPage, tab: "successful").count == expectedRows)
        #expect(lastPage.body.contains("Rows \((last - 1) * Paging.defaultSize + 1)-\(success) of \(success)"))
        #expect(results[2].2.body.contains("No running jobs."))
    }
}
