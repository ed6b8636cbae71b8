import EMTestSupport
import Foundation
import Testing

/// `GET /metrics` of a real server, parsed by prometheus_client's text parser (a child process): its numbers move
/// as workflows are submitted and as files flow through a file trigger, and a deleted trigger's series go.
@Suite("Metrics endpoint, end to end", .enabled(if: serverBuilt && PrometheusText.shouldRun))
struct MetricsScrapeTests {
    /// Scrapes `/metrics` and parses it.
    func scrape(_ h: TriggerHarness) async throws -> PrometheusText.Exposition {
        let r = try await TestHTTP.send("GET", h.url + "/metrics")
        try #require(r.status == 200, "\(r.status) \(r.body)")
        #expect(r.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let body = r.body
        return try await onThread { try PrometheusText.parse(body) }
    }

    @Test("Workflow gauges, planner failures, trigger submissions and file timings move", .timeLimit(.minutes(2)))
    func countersMove() async throws {
        let h = try await TriggerHarness()
        let before = try await scrape(h)
        #expect(before.types["pegasus_em_workflows"] == "gauge")
        #expect(before.types["pegasus_em_scheduler_pass_duration_seconds"] == "histogram")
        #expect(before.types["pegasus_em_planner_failures"] == "counter", "\(before.types)")
        #expect(before.value("pegasus_em_workflows", ["ensemble": "e", "state": "PLAN_FAILED"]) == 0)
        #expect(before.value("pegasus_em_inotify_available") != nil)

        // A workflow whose planner fails: the gauge moves from READY to PLAN_FAILED, the planner is counted.
        let submit = try await TestHTTP.send(
            "POST", h.url + "/ensembles/e/workflows",
            form: ["name": "w1", "plan_command": h.script, "basedir": h.work.path])
        try #require(submit.status == 201, "\(submit.body)")
        var after = before
        try await h.until("the workflow gauge to show PLAN_FAILED") {
            after = try await scrape(h)
            return after.value("pegasus_em_workflows", ["ensemble": "e", "state": "PLAN_FAILED"]) == 1
        }
        #expect(after.sum("pegasus_em_workflows", ["ensemble": "e"]) == 1)
        #expect(after.value("pegasus_em_planner_failures_total") ?? 0 >= 1)
        #expect(after.value("pegasus_em_planner_duration_seconds_count") ?? 0 >= 1)
        #expect(
            after.value("pegasus_em_scheduler_pass_duration_seconds_count") ?? 0
                > before.value("pegasus_em_scheduler_pass_duration_seconds_count") ?? 0)

        // Files through a file trigger: a tick, a submission, the settle wait and close-to-recorded observed.
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let id = try await h.fileTrigger("files", patterns: [dir + "/*.dat"], mode: "inotify")
        let labels = ["ensemble": "e", "trigger": "files"]
        // The initial rescan is sent once the watches are in place: files written after it come with close events
        // (earlier ones would be found by the scan alone, and no close-to-recorded time would be observed).
        try await h.until("the trigger's watches (its initial rescan)") {
            (try await scrape(h)).value("pegasus_em_trigger_rescans_total", labels) ?? 0 >= 1
        }
        let paths = [dir + "/a.dat", dir + "/b.dat"]
        for path in paths { try FileWriter.write(path) }
        try await h.untilSubmitted(id, paths)
        try await h.until("the submission to be counted") {
            after = try await scrape(h)
            return after.value("pegasus_em_trigger_submissions_total", labels) ?? 0 >= 1
                && after.value("pegasus_em_trigger_close_to_recorded_seconds_count", labels) ?? 0 >= 2
        }
        #expect(after.value("pegasus_em_trigger_ticks_total", labels) ?? 0 >= 1)
        #expect(after.value("pegasus_em_trigger_settle_wait_seconds_count", labels) ?? 0 >= 2)
        #expect(after.value("pegasus_em_trigger_failures_total", labels) == 0)
        #expect(after.value("pegasus_em_trigger_pending_files", labels) == 0)
        #expect(after.value("pegasus_em_inotify_watches") ?? 0 >= 1)
        // The trigger's workflows are counted too (their planner fails as well).
        #expect(after.sum("pegasus_em_workflows", ["ensemble": "e"]) >= 2)

        // A deleted trigger's series leave the registry.
        #expect(try await h.stop("files").status == 202)
        let gone = try await scrape(h)
        #expect(gone.samples.allSatisfy { $0.labels["trigger"] != "files" }, "\(gone.samples.map(\.name))")
    }

    @Test("Behind the API's authentication: no credentials, 401", .timeLimit(.minutes(1)))
    func authenticated() async throws {
        let server = try TestServer(settings: ["AUTHENTICATION": "'PAMAuthentication'"])
        try await onThread { try server.start() }
        defer { server.stop() }
        let r = try await TestHTTP.send("GET", server.baseURL + "/metrics")
        #expect(r.status == 401)
        #expect(r.header("www-authenticate")?.hasPrefix("Basic") == true)
    }
}
