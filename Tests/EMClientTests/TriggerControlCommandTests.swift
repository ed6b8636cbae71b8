import Foundation
import Testing

@testable import EMClient

/// The issue 14 trigger verbs and options against a recording fake transport: method, path, query, exact JSON
/// body, output; and their usage errors through the real dispatcher.
@Suite struct TriggerControlCommandTests {
    /// The body of the last request as sent (keys sorted), or nil without one.
    func sentText(_ fake: FakeTransport) -> String? {
        fake.requests.last?.body.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: - pause, resume, fire

    @Test(arguments: [
        ("pause-trigger", "pause", "ensemble: myruns, trigger: hourly paused"),
        ("resume-trigger", "resume", "ensemble: myruns, trigger: hourly resumed"),
        ("fire-trigger", "fire", "ensemble: myruns, trigger: hourly submitted 1 workflow(s): hourly_1700000000"),
    ])
    func actionPostsToItsRouteAndPrintsTheMessage(command: String, action: String, message: String) async throws {
        let answer = #"{"message": "\#(message)", "workflows": ["hourly_1700000000"]}"#
        let fake = FakeTransport(body: answer)
        #expect(try await perform([command, "myruns", "hourly"], transport: fake) == message + "\n")
        #expect(
            fake.requests == [TransportRequest(method: "POST", path: "/ensembles/myruns/triggers/hourly/\(action)")])

        let json = FakeTransport(body: answer)
        #expect(try await perform([command, "--json", "myruns", "hourly"], transport: json) == answer + "\n")
    }

    @Test func actionNamesArePercentEncoded() async throws {
        let fake = FakeTransport(body: #"{"message": "ok"}"#)
        _ = try await perform(["pause-trigger", "my runs", "a/b?"], transport: fake)
        #expect(fake.requests.first?.path == "/ensembles/my%20runs/triggers/a%2Fb%3F/pause")
    }

    @Test func fireWithNothingToSubmitPrintsTheMessage() async throws {
        let fake = FakeTransport(
            body:
                #"{"message": "ensemble: e, trigger: t: nothing to submit (skipped: w1 still running)", "workflows": []}"#
        )
        #expect(
            try await perform(["fire-trigger", "e", "t"], transport: fake)
                == "ensemble: e, trigger: t: nothing to submit (skipped: w1 still running)\n")
    }

    @Test func conflictOfAnEndedTriggerIsAServerError() async throws {
        let fake = FakeTransport(status: 409, body: #"{"message": "trigger t has ended (STOPPED)"}"#)
        await #expect(throws: ClientFailure.server(status: 409, message: "trigger t has ended (STOPPED)")) {
            try await perform(["resume-trigger", "e", "t"], transport: fake)
        }
    }

    // MARK: - trigger-preview

    static let filePreview = """
        {"trigger": "10s_txt", "state": "RUNNING", "paused": false, "fire_times": [1700000010, 1700000020],
         "next_workflow": ["/in/a.txt", "/in/b.txt"], "later_workflows": 2,
         "pending": [{"path": "/in/c.txt", "reason": "writer open"},
                     {"path": "/in/d.txt", "reason": "settling (0.4 s left)"}]}
        """

    @Test func previewSendsNAndPrintsTheFilePart() async throws {
        let fake = FakeTransport(body: Self.filePreview)
        let out = try await perform(["trigger-preview", "myruns", "10s_txt", "-n", "7"], transport: fake)
        #expect(
            fake.requests == [TransportRequest(method: "GET", path: "/ensembles/myruns/triggers/10s_txt/preview?n=7")])
        #expect(
            out == """
                Trigger:       10s_txt
                State:         RUNNING
                Next fire times:
                  2023-11-14 22:13:30 UTC
                  2023-11-14 22:13:40 UTC
                Next workflow (2 files):
                  /in/a.txt
                  /in/b.txt
                Later: 2 more workflows of ready files (beyond max_files)
                Pending (2 files):
                  /in/c.txt  writer open
                  /in/d.txt  settling (0.4 s left)

                """)
    }

    @Test func previewWithoutNLeavesTheServerDefault() async throws {
        let fake = FakeTransport(
            body:
                #"{"trigger": "t", "state": "PAUSED", "paused": true, "fire_times": [], "next_workflow": [], "pending": [], "later_workflows": 0}"#
        )
        let out = try await perform(["trigger-preview", "e", "t"], transport: fake)
        #expect(fake.requests.map(\.path) == ["/ensembles/e/triggers/t/preview"])
        #expect(
            out == """
                Trigger:       t
                State:         PAUSED (paused: nothing fires until resume-trigger)
                Next fire times: none

                """)
        let json = FakeTransport(body: Self.filePreview)
        #expect(
            try await perform(["trigger-preview", "e", "t", "--json", "-n", "100"], transport: json) == Self.filePreview
                + "\n")
        #expect(json.requests.map(\.path) == ["/ensembles/e/triggers/t/preview?n=100"])
    }

    // MARK: - update-trigger

    @Test func updateSendsOnlyTheGivenFields() async throws {
        let message = "ensemble: myruns, trigger: hourly updated: interval 10s -> 1m"
        let fake = FakeTransport(body: #"{"message": "\#(message)", "changes": ["interval 10s -> 1m"]}"#)
        #expect(
            try await perform(["update-trigger", "myruns", "hourly", "--interval", "1m"], transport: fake) == message
                + "\n")
        #expect(
            fake.requests.map(\.method) == ["PUT"] && fake.requests.map(\.path) == ["/ensembles/myruns/triggers/hourly"]
        )
        #expect(sentText(fake) == #"{"interval":"1m"}"#)
    }

    @Test func updateSendsEveryOption() async throws {
        let fake = FakeTransport(body: #"{"message": "updated", "changes": []}"#)
        _ = try await perform(
            [
                "update-trigger", "e", "t", "--interval", "5m", "--cron", "0 * * * *", "--tz", "Europe/Berlin",
                "--timeout", "none", "--args", "-v  x", "--patterns", "/in/*.txt", "/in/*.csv", "--settle", "2s",
                "--ready-marker", "*.done", "--max-files", "10", "--priority", "-3", "--catchup", "all",
                "--overlap", "buffer-one", "--pause-after-failures", "3", "--workflow-script", "bin/../wf.py",
                "--no-move-processed",
            ],
            transport: fake)
        #expect(
            sentText(fake) == """
                {"catchup":"all","cron":"0 * * * *","file_patterns":["/in/*.txt","/in/*.csv"],"interval":"5m",\
                "max_files":10,"move_processed":false,"overlap":"buffer-one","pause_after_failures":3,\
                "priority":-3,"ready_marker":"*.done","settle":"2s","timeout":"none","timezone":"Europe/Berlin",\
                "workflow_args":["-v","","x"],"workflow_script":"/home/ryan/work/wf.py"}
                """)
    }

    @Test(arguments: [
        (["--pause-after-failures", "none"], #"{"pause_after_failures":"none"}"#),
        (["--pause-after-failures", "0"], #"{"pause_after_failures":"none"}"#),
        (["--pause-after-failures", "1"], #"{"pause_after_failures":1}"#),
        (["--args", ""], #"{"workflow_args":[]}"#),
        (["-a", "--inputs a"], #"{"workflow_args":["--inputs","a"]}"#),
        (["--ready-marker", ""], #"{"ready_marker":""}"#),
        (["--move-processed"], #"{"move_processed":true}"#),
        (["--timezone", "UTC"], #"{"timezone":"UTC"}"#),
        (["-t", "2h"], #"{"timeout":"2h"}"#),
        (["--workflow-script", "/abs/wf.py"], #"{"workflow_script":"/abs/wf.py"}"#),
        (["--overlap", "skip"], #"{"overlap":"skip"}"#),
    ])
    func updateOptionBodies(options: [String], body: String) async throws {
        let fake = FakeTransport(body: #"{"message": "updated"}"#)
        #expect(try await perform(["update-trigger", "e", "t"] + options, transport: fake) == "updated\n")
        #expect(sentText(fake) == body)
    }

    @Test func updateRejectedByTheServerChangesNothingHere() async throws {
        let fake = FakeTransport(
            status: 400, body: #"{"message": "file_patterns applies to file pattern triggers only"}"#)
        await #expect(
            throws: ClientFailure.server(status: 400, message: "file_patterns applies to file pattern triggers only")
        ) {
            try await perform(["update-trigger", "e", "t", "--patterns", "/in/*"], transport: fake)
        }
    }

    // MARK: - Creation options

    static let created = #"{"message": "created"}"#

    @Test func cronTriggerSendsPolicyOnlyWhenGiven() async throws {
        let fake = FakeTransport(status: 201, body: Self.created)
        _ = try await perform(
            ["cron-trigger", "e", "t", "1h", "/wf.py", "--overlap", "skip", "--pause-after-failures", "3"],
            transport: fake)
        let body = try #require(fake.sentJSON)
        #expect(body["overlap"] as? String == "skip" && body["pause_after_failures"] as? Int == 3)
        #expect(body["skip_existing"] == nil && body["resubmit_all"] == nil)

        let plain = FakeTransport(status: 201, body: Self.created)
        _ = try await perform(["cron-trigger", "e", "t", "1h", "/wf.py"], transport: plain)
        #expect(
            sentText(plain)
                == #"{"basedir":"/home/ryan/work","interval":"1h","trigger":"t","workflow_args":[],"workflow_script":"/wf.py"}"#
        )
    }

    @Test func filePatternTriggersSendPolicyAndLedgerFlags() async throws {
        let fake = FakeTransport(status: 201, body: Self.created)
        _ = try await perform(
            [
                "file-pattern-trigger", "e", "t", "10s", "/wf.py", "/in/*.txt", "--skip-existing", "--resubmit-all",
                "--overlap", "buffer-one", "--pause-after-failures", "none",
            ],
            transport: fake)
        let body = try #require(fake.sentJSON)
        #expect(body["skip_existing"] as? Bool == true && body["resubmit_all"] as? Bool == true)
        #expect(body["overlap"] as? String == "buffer-one" && body["pause_after_failures"] as? String == "none")

        let seed = FakeTransport(status: 201, body: Self.created)
        _ = try await perform(
            [
                "trigger", "e", "t", "10s", "/wf.py", "/in/*.txt", "--args", "a", "--skip-existing", "--overlap",
                "allow",
            ],
            transport: seed)
        let seedBody = try #require(seed.sentJSON)
        #expect(seedBody["skip_existing"] as? Bool == true && seedBody["resubmit_all"] == nil)
        #expect(seedBody["overlap"] as? String == "allow" && seedBody["workflow_args"] as? [String] == ["a"])

        let plain = FakeTransport(status: 201, body: Self.created)
        _ = try await perform(["file-pattern-trigger", "e", "t", "10s", "/wf.py", "/in/*.txt"], transport: plain)
        #expect(
            sentText(plain)
                == #"{"basedir":"/home/ryan/work","file_patterns":["/in/*.txt"],"interval":"10s","trigger":"t","workflow_args":[],"workflow_script":"/wf.py"}"#
        )
    }

    // MARK: - Listing and status with the new fields

    @Test func pausedTriggerInListAndStatus() async throws {
        let detail = """
            {"id": 1, "ensemble_id": 1, "name": "hourly", "state": "PAUSED", "type": "CRON",
             "workflow": {"script": "/wf.py", "args": []}, "args": {"interval": 3600, "timeout": null},
             "reason": "paused by alice", "overlap": "skip", "pause_after_failures": null,
             "consecutive_failures": 0, "skipped_ticks": 2,
             "last_skip": {"time": 1700000000, "reason": "hourly_1 still running"}, "buffered": false,
             "submissions": [],
             "history": [{"time": 1700000100, "event": "paused", "user": "alice", "detail": null, "count": 1},
                         {"time": 1700000000, "event": "skipped", "user": null, "detail": "hourly_1 still running",
                          "count": 2}]}
            """
        let list = FakeTransport(body: "[\(detail)]")
        let table = try await perform(["triggers", "e"], transport: list)
        #expect(table.contains("\nhourly               CRON           PAUSED     /wf.py"))
        let long = try await perform(["triggers", "-l", "e"], transport: FakeTransport(body: "[\(detail)]"))
        #expect(
            long.hasSuffix(
                "Timeout:       None\nOverlap:       skip\nPause After:   never\n"
                    + "Failures:      0 in a row\nSkipped Ticks: 2\n"
                    + "Last Skip:     2023-11-14 22:13:20 UTC: hourly_1 still running\nBuffered:      no\n"))

        let status = try await perform(["trigger-status", "e", "hourly"], transport: FakeTransport(body: detail))
        #expect(status.contains("State:         PAUSED\nReason:        paused by alice\n"))
        #expect(
            status.hasSuffix(
                """
                Last submissions: none
                Overlap:       skip
                Pause After:   never
                Failures:      0 in a row
                Skipped Ticks: 2
                Last Skip:     2023-11-14 22:13:20 UTC: hourly_1 still running
                Buffered:      no
                History:
                  2023-11-14 22:15:00 UTC  paused by alice
                  2023-11-14 22:13:20 UTC  skipped: hourly_1 still running (x2)

                """))
    }
}
