import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// Job details, stdout/stderr and invocation pages; HTML injection from the hostile workflow.
@Suite struct DashboardJobPagesTests {
    /// The job instance links (`.../j/<job>/ji/<ji>`) of a page, in order.
    static func jobLinks(_ response: DashboardResponse) -> [String] {
        response.urls.filter { $0.firstMatch(of: /\/j\/\d+\/ji\/\d+$/) != nil }
    }

    /// A job page path of the hostile workflow by the manifest's injection entry.
    static func hostileJob(_ fixture: DashboardFixture, _ job: [String: Any]) throws -> String {
        let jobID = try #require(job["job_id"] as? Int)
        let instance = try #require(job["job_instance_id"] as? Int)
        return "\(try DashboardClient.workflow(fixture, "hostile"))/j/\(jobID)/ji/\(instance)"
    }

    @Test func failedJobDetails() async throws {
        let fixture = try DashboardFixture.load()
        let medium = try DashboardClient.workflow(fixture, "medium")
        let failed = try await DashboardClient.get(medium + "?tab=failed", home: fixture.home)
        let links = Self.jobLinks(failed)
        #expect(links.count == (try fixture.jobCount("medium", "fail")))
        let names = try fixture.jobsOfInterest("medium", "failed")
        let pages = try await DashboardClient.get(links, home: fixture.home)
        var computeJobsWithThreeTries = 0
        for page in pages {
            #expect(page.status == .ok)
            let label = try #require(page.body.firstMatch(of: /<th>Label<\/th><td><strong>([^<]*)<\/strong>/))
            #expect(names.contains(String(label.output.1)))
            #expect(page.body.contains("<h2>Job States</h2>"))
            #expect(page.body.contains("<h2>Job Instances</h2>"))
            #expect(page.body.contains("<h2>Failed Invocations</h2>"))
            #expect(!page.body.contains("http-equiv=\"refresh\""))
            // The latest instance failed; every try is listed with links to its own page and outputs.
            let tries = page.tableRows("list job-instances")
            #expect(!tries.isEmpty)
            #expect(tries.first?.contains("class=\"current\"") == true)
            if tries.count == 3 { computeJobsWithThreeTries += 1 }
            for row in tries { #expect(row.contains("/stdout\">Preview</a>") && row.contains("/stderr\">Preview</a>")) }
            // Kickstart output and submit file link into the file browser.
            #expect(page.urls.contains { $0.contains("/browser?path=") && $0.contains(".sub") })
        }
        // "10 failed on every try (3 instances)".
        #expect(computeJobsWithThreeTries >= 10)
    }

    @Test func runningJobHasNoOutputYet() async throws {
        let fixture = try DashboardFixture.load()
        let running = try await DashboardClient.get(
            try DashboardClient.workflow(fixture, "running") + "?tab=running", home: fixture.home)
        let link = try #require(Self.jobLinks(running).first)
        let pages = try await DashboardClient.get([link, link + "/stdout", link + "/stderr"], home: fixture.home)
        #expect(pages[0].status == .ok)
        #expect(pages[0].body.contains("- (running)"))
        #expect(pages[0].body.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
        let ids = try #require(link.firstMatch(of: /\/w\/(\d+)\/j\/(\d+)\/ji/))
        #expect(pages[1].status == .ok)
        #expect(pages[1].body.contains("No stdout for workflow \(ids.output.1) job-id \(ids.output.2)"))
        #expect(pages[2].body.contains("No Standard error for workflow \(ids.output.1) job-id \(ids.output.2)"))
    }

    @Test func hostileOutputIsEscapedAndDecodedOnce() async throws {
        let fixture = try DashboardFixture.load()
        let jobs = try fixture.injectedJobs()
        for job in jobs {
            let path = try Self.hostileJob(fixture, job)
            let pages = try await DashboardClient.get([path, path + "/stdout", path + "/stderr"], home: fixture.home)
            for page in pages {
                #expect(page.status == .ok)
                #expect(!page.body.contains("<script>alert"))
                #expect(!page.body.contains("<img src=x"))
                #expect(!page.body.contains("<b>bold"))
                #expect(!page.body.contains("<i>xform"))
                #expect(!page.body.contains("onerror=alert('host')"))
            }
            let stdout = pages[1].body
            let raw = try #require(job["raw_stdout_text"] as? String)
            let pre = try #require(stdout.firstMatch(of: /<pre class="output">([^<]*)<\/pre>/))
            // What is shown is the stored text, decoded once and escaped (control characters made visible).
            #expect(String(pre.output.1) == HTML.escape(DashboardFormat.visible(raw)))
            if let stderr = job["raw_stderr_text"] as? String {
                let pre = try #require(pages[2].body.firstMatch(of: /<pre class="output">([^<]*)<\/pre>/))
                #expect(String(pre.output.1) == HTML.escape(DashboardFormat.visible(stderr)))
            }
        }
        let payloads = try #require(
            (try fixture.workflow("hostile")["injection"] as? [String: Any])?["payloads"] as? [String: String])
        let script = try #require(
            jobs.first { ($0["raw_stdout_text"] as? String)?.contains(payloads["script"] ?? "?") == true })
        let page = try await DashboardClient.get(try Self.hostileJob(fixture, script) + "/stdout", home: fixture.home)
        #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.body.contains("<script>alert(1)</script>"))
        // The %3Cscript%3E payload is stored as %253C...: shown as %3C..., never decoded to <script>.
        let encoded = try #require(jobs.first { ($0["raw_stdout_text"] as? String)?.contains("%3Cscript%3E") == true })
        let once = try await DashboardClient.get(try Self.hostileJob(fixture, encoded) + "/stdout", home: fixture.home)
        #expect(once.body.contains("%3Cscript%3Ealert(&#39;double-decoded&#39;)%3C/script%3E"))
        #expect(once.body.contains("&amp;lt;b&amp;gt;entity"))
    }

    @Test func hostileLabelsHostsAndInvocations() async throws {
        let fixture = try DashboardFixture.load()
        let hostile = try DashboardClient.workflow(fixture, "hostile")
        let pages = try await DashboardClient.get(
            [hostile, hostile + "?tab=successful", hostile + "?tab=failed"], home: fixture.home)
        for page in pages {
            #expect(page.status == .ok)
            #expect(!page.body.contains("<b>bold"))
        }
        #expect(pages[1].body.contains("hostile&lt;b&gt;bold_ID0000004"))
        // Workflow metadata with markup.
        #expect(
            pages[0].body.contains(
                "<th>description</th><td>&lt;script&gt;alert(&#39;workflow_meta&#39;)&lt;/script&gt;</td>"))
        #expect(!pages[0].body.contains("<script>"))
        let bold = try #require(
            fixture.injectedJobs().first { $0["exec_job_id"] as? String == "hostile<b>bold_ID0000004" })
        let job = try await DashboardClient.get(try Self.hostileJob(fixture, bold), home: fixture.home)
        #expect(job.body.contains("<strong>hostile&lt;b&gt;bold_ID0000004</strong>"))
        #expect(job.body.contains("&lt;img src=x onerror=alert(&#39;host&#39;)&gt;"))
        #expect(!job.body.contains("<img"))
        // Its invocation: transformation, arguments and task metadata are escaped.
        let invocation = try #require(job.urls.first { $0.contains("/i/") })
        let page = try await DashboardClient.get(invocation, home: fixture.home)
        #expect(page.status == .ok)
        #expect(page.body.contains("<th>Transformation</th><td>&lt;i&gt;xform&lt;/i&gt;</td>"))
        #expect(page.body.contains("&lt;script&gt;alert(&#39;argv&#39;)&lt;/script&gt;"))
        #expect(page.body.contains("<th>note</th><td>&lt;img src=x onerror=alert(&#39;task_meta&#39;)&gt;</td>"))
        #expect(page.body.contains("<th>Task Label</th><td>ID0000004</td>"))
        #expect(page.body.contains("<th>Exit Code</th><td>0</td>"))
        #expect(!page.body.contains("<script>"))
        #expect(!page.body.contains("<img"))
    }

    @Test func subWorkflowJobsLinkToTheirWorkflow() async throws {
        let fixture = try DashboardFixture.load()
        let medium = try DashboardClient.workflow(fixture, "medium")
        let root = try fixture.masterID("medium")
        for sub in try fixture.subWorkflows("medium") {
            let job = try #require(sub["parent_job"] as? [String: Any])
            let jobID = try #require(job["job_id"] as? Int)
            let instance = try #require(job["job_instance_id"] as? Int)
            let page = try await DashboardClient.get(medium + "/j/\(jobID)/ji/\(instance)", home: fixture.home)
            #expect(page.status == .ok)
            let id = try #require(sub["stampede_wf_id"] as? Int)
            let label = try #require(sub["label"] as? String)
            #expect(
                page.body.contains("<th>Sub-workflow</th><td><a href=\"/u/monitor/r/\(root)/w/\(id)\">\(label)</a>"))
            #expect(page.body.contains("<strong>\(try #require(job["exec_job_id"] as? String))</strong>"))
            #expect(
                page.body.contains("<td class=\"state-\(job["exitcode"] as? Int == 0 ? "Successful" : "Failed")\">"))
        }
    }

    @Test func unknownJobsAreNotFound() async throws {
        let fixture = try DashboardFixture.load()
        let medium = try DashboardClient.workflow(fixture, "medium")
        let failed = try await DashboardClient.get(medium + "?tab=failed", home: fixture.home)
        let link = try #require(Self.jobLinks(failed).first)
        let ids = try #require(link.firstMatch(of: /\/j\/(\d+)\/ji\/(\d+)$/))
        let small = try DashboardClient.workflow(fixture, "small")
        let paths = [
            medium + "/j/999999/ji/1", medium + "/j/\(ids.output.1)/ji/999999", medium + "/j/abc/ji/1",
            medium + "/j/\(ids.output.1)/ji/x", link + "/i/999999", link + "/i/abc", medium + "/j/999999/ji/1/stdout",
            medium + "/j/999999/ji/1/stderr",
            // The instance of another job, and the job under a workflow it does not belong to.
            medium + "/j/\(Int(ids.output.1)! + 1)/ji/\(ids.output.2)",
            small + "/j/\(ids.output.1)/ji/\(ids.output.2)",
            "\(DashboardClient.base)/r/\(try fixture.masterID("medium"))/w/2/j/\(ids.output.1)/ji/\(ids.output.2)",
        ]
        let pages = try await DashboardClient.get(paths, home: fixture.home)
        for (path, page) in zip(paths, pages) { #expect(page.status == .notFound, "\(path)") }
    }
}
