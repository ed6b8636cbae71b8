import Foundation
import Testing

@testable import EMClient

/// Formatting and decoding of the issue 14 trigger fields, and query strings on the wire.
@Suite(.timeLimit(.minutes(1))) struct TriggerControlFormattingTests {
    let utc = OutputFormatter(timestamps: TimestampFormatter(timeZoneIdentifier: "UTC"))

    static var policyTrigger: TriggerResource {
        var t = Fixtures.cronTrigger
        t.state = "PAUSED"
        t.reason = "paused after 3 consecutive failed workflows (last: hourly_1700003600 RUN_FAILED)"
        t.overlap = "buffer-one"
        t.pauseAfterFailures = 3
        t.consecutiveFailures = 3
        t.skippedTicks = 1
        t.lastSkip = .init(time: 1_700_003_600.7, reason: "hourly_1700000000 still running")
        t.buffered = true
        return t
    }

    // MARK: - triggers, triggers -l, trigger-status

    @Test func pausedStateInTheTable() {
        let expected = """
            NAME                 TYPE           STATE      WORKFLOW SCRIPT               \("")
            hourly               CRON           PAUSED     /home/ryan/workflow.py        \("")

            """
        #expect(utc.triggers([Self.policyTrigger]) == expected)
    }

    @Test func longListingAppendsThePolicyAfterPegasusLines() {
        let pegasusBlock = utc.triggersLong([Fixtures.cronTrigger])
        let block = utc.triggersLong([Self.policyTrigger, Fixtures.fileTrigger])
        let expected =
            pegasusBlock.replacingOccurrences(of: "RUNNING", with: "PAUSED")
                + """
                Overlap:       buffer-one
                Pause After:   3 failures in a row
                Failures:      3 in a row
                Skipped Ticks: 1
                Last Skip:     2023-11-14 23:13:20 UTC: hourly_1700000000 still running
                Buffered:      yes (a tick waits for the running workflow)

                """ + "\n" + utc.triggersLong([Fixtures.fileTrigger])
        #expect(block == expected)
    }

    @Test func policyDefaultsWhenTheServerSendsOnlyOverlap() {
        var t = Fixtures.cronTrigger
        t.overlap = "allow"
        t.pauseAfterFailures = 1
        #expect(
            utc.triggerPolicy(t) == """
                Overlap:       allow
                Pause After:   1 failure in a row
                Failures:      0 in a row
                Skipped Ticks: 0
                Last Skip:     none
                Buffered:      no

                """)
        #expect(utc.triggerPolicy(Fixtures.cronTrigger) == "")
    }

    @Test func statusAppendsPolicyAndHistory() {
        var t = Self.policyTrigger
        t.history = [
            .init(time: 1_700_007_200, event: "self-paused", detail: "3 consecutive failed workflows"),
            .init(time: 1_700_003_600, event: "buffered", count: 1),
            .init(time: 1_700_000_100, event: "updated", user: "alice", detail: "overlap allow -> buffer-one"),
            .init(time: 1_700_000_000, event: "created", user: "", detail: "", count: 5),
        ]
        let status = utc.triggerStatus(t)
        let before = utc.triggerStatus(Fixtures.cronTrigger).replacingOccurrences(of: "RUNNING", with: "PAUSED")
            .replacingOccurrences(of: "Reason:        \n", with: "Reason:        \(t.reason!)\n")
        #expect(
            status == before + """
                Overlap:       buffer-one
                Pause After:   3 failures in a row
                Failures:      3 in a row
                Skipped Ticks: 1
                Last Skip:     2023-11-14 23:13:20 UTC: hourly_1700000000 still running
                Buffered:      yes (a tick waits for the running workflow)
                History:
                  2023-11-15 00:13:20 UTC  self-paused: 3 consecutive failed workflows
                  2023-11-14 23:13:20 UTC  buffered
                  2023-11-14 22:15:00 UTC  updated by alice: overlap allow -> buffer-one
                  2023-11-14 22:13:20 UTC  created (x5)

                """)
        t.history = []
        #expect(
            utc.triggerStatus(t).hasSuffix(
                "Buffered:      yes (a tick waits for the running workflow)\nHistory:      none\n"))
    }

    // MARK: - trigger-preview

    @Test func previewOfATimeTrigger() {
        let preview = TriggerPreview(trigger: "hourly", state: "RUNNING", fireTimes: [1_700_003_600, 1_700_007_200])
        #expect(
            utc.triggerPreview(preview) == """
                Trigger:       hourly
                State:         RUNNING
                Next fire times:
                  2023-11-14 23:13:20 UTC
                  2023-11-15 00:13:20 UTC

                """)
    }

    @Test func previewOfAFileTriggerWithOneOfEach() {
        let preview = TriggerPreview(
            trigger: "10s_txt", state: "RUNNING", fireTimes: [1_700_000_010], nextWorkflow: ["/in/a.txt"],
            pending: [.init(path: "/in/b.txt", reason: "waiting for ready marker /in/b.txt.done")], laterWorkflows: 1)
        #expect(
            utc.triggerPreview(preview) == """
                Trigger:       10s_txt
                State:         RUNNING
                Next fire times:
                  2023-11-14 22:13:30 UTC
                Next workflow (1 file):
                  /in/a.txt
                Later: 1 more workflow of ready files (beyond max_files)
                Pending (1 file):
                  /in/b.txt  waiting for ready marker /in/b.txt.done

                """)
    }

    @Test func previewOfAnIdleFileTriggerSaysNone() {
        var preview = TriggerPreview(
            trigger: "t", state: "RUNNING", fireTimes: [], pending: [.init(path: "/in/x", reason: "writer open")])
        #expect(
            utc.triggerPreview(preview) == """
                Trigger:       t
                State:         RUNNING
                Next fire times: none
                Next workflow: none
                Pending (1 file):
                  /in/x  writer open

                """)
        preview.pending = []
        preview.type = "FILE_PATTERN"
        #expect(utc.triggerPreview(preview).hasSuffix("Next fire times: none\nNext workflow: none\nPending: none\n"))
        preview.type = "CRON"
        #expect(utc.triggerPreview(preview).hasSuffix("Next fire times: none\n"))
    }

    // MARK: - Decoding

    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    @Test func triggerWithIssue14Fields() throws {
        let t = try decode(
            TriggerResource.self,
            """
            {"id": 1, "name": "t", "state": "PAUSED", "type": "CRON", "workflow": {"script": "/s", "args": []},
             "args": {"interval": 60}, "overlap": "skip", "pause_after_failures": 2, "consecutive_failures": 1,
             "skipped_ticks": 4, "last_skip": {"time": 1700000000.5, "reason": "w still running"}, "buffered": false,
             "history": [{"time": 1700000000, "event": "paused", "user": "alice", "detail": null, "count": 1}]}
            """)
        #expect(t.state == "PAUSED" && t.overlap == "skip" && t.pauseAfterFailures == 2)
        #expect(t.consecutiveFailures == 1 && t.skippedTicks == 4 && t.buffered == false)
        #expect(t.lastSkip == .init(time: 1_700_000_000.5, reason: "w still running"))
        #expect(t.history == [.init(time: 1_700_000_000, event: "paused", user: "alice", detail: nil, count: 1)])
        let never = try decode(
            TriggerResource.self,
            """
            {"id": 1, "name": "t", "state": "RUNNING", "type": "CRON", "workflow": {"script": "/s", "args": []},
             "args": null, "overlap": "allow", "pause_after_failures": null, "last_skip": null}
            """)
        #expect(never.overlap == "allow" && never.pauseAfterFailures == nil && never.lastSkip == nil)
        #expect(utc.triggerPolicy(never).contains("Pause After:   never\n"))
    }

    @Test func previewDecodesLeniently() throws {
        let full = try decode(
            TriggerPreview.self,
            """
            {"trigger": "t", "state": "RUNNING", "paused": false, "fire_times": [1700000000.5],
             "next_workflow": ["/a"], "pending": [{"path": "/b", "reason": "writer open"}], "later_workflows": 3}
            """)
        #expect(
            full
                == TriggerPreview(
                    trigger: "t", state: "RUNNING", fireTimes: [1_700_000_000.5], nextWorkflow: ["/a"],
                    pending: [.init(path: "/b", reason: "writer open")], laterWorkflows: 3))
        let bare = try decode(TriggerPreview.self, #"{"trigger": "t", "state": "PAUSED"}"#)
        #expect(bare == TriggerPreview(trigger: "t", state: "PAUSED", paused: true))
    }

    // MARK: - Query strings

    @Test func queryStringsArePercentEncoded() {
        #expect(EnsembleManagerAPI.queryString([]) == "")
        #expect(EnsembleManagerAPI.queryString([("n", "5")]) == "?n=5")
        #expect(EnsembleManagerAPI.queryString([("a b", "x&y=z+#é"), ("c", "")]) == "?a%20b=x%26y%3Dz%2B%23%C3%A9&c=")
    }

    @Test func queryReachesTheServerUnchanged() async throws {
        let body = #"{"trigger": "t", "state": "RUNNING"}"#
        let server = try CannedHTTPServer(
            response: "HTTP/1.1 200 OK\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)")
        defer { server.stop() }
        let transport = HTTPTransport(host: "127.0.0.1", port: server.port)
        let api = EnsembleManagerAPI(transport: transport, credentials: nil)
        var reply: EnsembleManagerAPI.Reply?
        do {
            reply = try await api.request(
                "GET", ["ensembles", "my runs", "triggers", "t", "preview"], query: [("n", "12")])
        } catch {
            Issue.record("\(error)")
        }
        await transport.shutdown()
        #expect(reply?.text == body)
        #expect(
            server.requests.first?.hasPrefix("GET /ensembles/my%20runs/triggers/t/preview?n=12 HTTP/1.1\r\n") == true,
            "\(server.requests)")
    }
}
