import ArgumentParser
import Foundation
import Synchronization
import Testing

@testable import EMClient

/// A transport that records requests and answers from a table; no network.
final class FakeTransport: EnsembleManagerTransport {
    let baseURL = "http://127.0.0.1:7919/"
    private let state = Mutex<(requests: [TransportRequest], authorizations: [String?])>(([], []))
    private let answer: @Sendable (TransportRequest) -> TransportResponse

    init(_ answer: @escaping @Sendable (TransportRequest) -> TransportResponse) {
        self.answer = answer
    }

    /// Answers every request with `status` and `body`.
    convenience init(status: Int = 200, body: String) {
        self.init { _ in TransportResponse(status: status, body: Array(body.utf8)) }
    }

    var requests: [TransportRequest] { state.withLock { $0.requests } }
    var authorizations: [String?] { state.withLock { $0.authorizations } }

    /// The JSON body of the only request, as an object.
    var sentJSON: [String: Any]? {
        guard let body = requests.last?.body else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    func send(_ request: TransportRequest, authorization: String?) async throws(ClientFailure) -> TransportResponse {
        state.withLock {
            $0.requests.append(request)
            $0.authorizations.append(authorization)
        }
        return answer(request)
    }
}

/// Runs a parsed command against a fake transport in UTC; returns what it printed.
func perform(
    _ arguments: [String],
    transport: FakeTransport,
    credentials: EnsembleManagerAPI.Credentials? = nil,
    workingDirectory: String = "/home/ryan/work"
) async throws -> String {
    let command = try #require(try parse(arguments) as? any ClientCommand)
    let session = Session(
        api: EnsembleManagerAPI(transport: transport, credentials: credentials),
        formatter: OutputFormatter(timestamps: TimestampFormatter(timeZoneIdentifier: "UTC")),
        workingDirectory: workingDirectory,
        searchPath: "/usr/bin:/bin"
    )
    try await command.perform(session)
    return session.output
}

let ensemblesJSON = """
    [{"created": 1700000000.25, "href": "http://127.0.0.1:7919/ensembles/myruns", "id": 1, "max_planning": 1,
      "max_running": 1, "name": "myruns", "state": "ACTIVE", "updated": 1700000100.9,
      "workflows": "http://127.0.0.1:7919/ensembles/myruns/workflows"},
     {"created": 1690000000, "href": "y", "id": 2, "max_planning": 100000000000000, "max_running": 12,
      "name": "a-very-long-ensemble-name-indeed", "state": "PAUSED", "updated": 1690000000, "workflows": "x"}]
    """

let workflowsJSON = """
    [{"created": 1700000000, "href": "http://127.0.0.1:7919/ensembles/myruns/workflows/run1", "id": 3,
      "name": "run1", "priority": 0, "state": "READY", "updated": 1700000001, "wf_uuid": null},
     {"created": 1690000000, "href": "http://h/e/w", "id": 4, "name": "run2", "priority": -5,
      "state": "PLAN_FAILED", "updated": 1690000500, "wf_uuid": "7c3b6f2e-uuid"}]
    """

let detailJSON = """
    {"basedir": "/home/ryan/work", "created": 1700000000, "diagnostic": null, "history": [],
     "href": "http://127.0.0.1:7919/ensembles/myruns/workflows/run1", "id": 3,
     "log": "/home/ryan/.pegasus/ensembles/myruns/run1.log", "name": "run1",
     "plan_argv": ["/home/ryan/plan.sh", "run1.dax"], "plan_command": "\\"/home/ryan/plan.sh\\" \\"run1.dax\\"",
     "priority": 0, "state": "READY", "submitdir": null, "updated": 1700000001, "wf_uuid": null}
    """

let ensembleJSON = """
    {"created": 1690000000, "href": "y", "id": 2, "max_planning": 100000000000000, "max_running": 12,
     "name": "x", "state": "PAUSED", "updated": 1690000000, "workflows": "x"}
    """

@Suite struct CommandExecutionTests {
    // MARK: - Ensembles

    @Test func ensemblesPrintsPegasusTable() async throws {
        let fake = FakeTransport(body: ensemblesJSON)
        #expect(try await perform(["ensembles"], transport: fake) == PegasusGolden.ensemblesUTC)
        #expect(fake.requests == [TransportRequest(method: "GET", path: "/ensembles")])
        #expect(try await perform(["e"], transport: FakeTransport(body: "[]")) == "")
    }

    @Test func jsonPrintsTheServerAnswerUnchanged() async throws {
        #expect(try await perform(["ensembles", "--json"], transport: FakeTransport(body: "[]")) == "[]\n")
        #expect(try await perform(["e", "--json"], transport: FakeTransport(body: "[]\n")) == "[]\n")
        #expect(
            try await perform(
                ["create", "--json", "x"], transport: FakeTransport(status: 201, body: #"{"message":"created"}"#))
                == "{\"message\":\"created\"}\n")
    }

    @Test func createSendsNameAndLimits() async throws {
        let fake = FakeTransport(status: 201, body: #"{"message": "created"}"#)
        #expect(try await perform(["create", "-P", "2", "-R", "3", "myruns"], transport: fake) == "")
        #expect(fake.requests.first?.method == "POST" && fake.requests.first?.path == "/ensembles")
        #expect(
            String(decoding: fake.requests[0].body ?? [], as: UTF8.self)
                == #"{"max_planning":2,"max_running":3,"name":"myruns"}"#)
    }

    @Test(arguments: [("pause", "PAUSED"), ("activate", "ACTIVE"), ("hold", "HELD"), ("release", "ACTIVE")])
    func ensembleStateChanges(command: String, state: String) async throws {
        let fake = FakeTransport(body: ensembleJSON.replacingOccurrences(of: "PAUSED", with: state))
        #expect(try await perform([command, "x"], transport: fake) == "State: \(state)\n")
        #expect(
            fake.requests == [
                TransportRequest(method: "POST", path: "/ensembles/x", body: Array(#"{"state":"\#(state)"}"#.utf8))
            ])
    }

    @Test func configSendsOnlyGivenLimitsIncludingZero() async throws {
        let fake = FakeTransport(body: ensembleJSON)
        #expect(try await perform(["config", "x", "-P", "0"], transport: fake) == PegasusGolden.config)
        #expect(String(decoding: fake.requests[0].body ?? [], as: UTF8.self) == #"{"max_planning":0}"#)
        let both = FakeTransport(body: ensembleJSON)
        _ = try await perform(["config", "x", "-R", "5", "-P", "4"], transport: both)
        #expect(String(decoding: both.requests[0].body ?? [], as: UTF8.self) == #"{"max_planning":4,"max_running":5}"#)
    }

    @Test func deleteEnsembleOrWorkflow() async throws {
        let fake = FakeTransport(body: #"{"message": "deleted"}"#)
        #expect(try await perform(["delete", "myruns"], transport: fake) == "deleted\n")
        #expect(try await perform(["delete", "myruns.run1"], transport: fake) == "deleted\n")
        #expect(fake.requests.map(\.path) == ["/ensembles/myruns", "/ensembles/myruns/workflows/run1"])
        #expect(fake.requests.allSatisfy { $0.method == "DELETE" && $0.body == nil })
    }

    // MARK: - Workflows

    @Test func submitSendsPegasusStringAndArgv() async throws {
        let fake = FakeTransport(status: 201, body: #"{"message": "created"}"#)
        let tricky = ["run 1.dax", "--label=\"q\"", "$(touch /tmp/x)", "`id`", "it's", "\\n", ""]
        #expect(try await perform(["submit", "-p", "-3", "myruns.run1", "sh"] + tricky, transport: fake) == "")
        let request = try #require(fake.requests.first)
        #expect(request.method == "POST" && request.path == "/ensembles/myruns/workflows")
        let body = try #require(fake.sentJSON)
        let sh = try #require(PlanCommand.findExecutable("sh", workingDirectory: "/", searchPath: "/usr/bin:/bin"))
        #expect(body["name"] as? String == "run1")
        #expect(body["priority"] as? Int == -3)
        #expect(body["basedir"] as? String == "/home/ryan/work")
        #expect(body["plan_argv"] as? [String] == [sh] + tricky)
        #expect(body["plan_command"] as? String == PlanCommand(argv: [sh] + tricky).pegasusString)
    }

    @Test func workflowsShortAndLong() async throws {
        #expect(
            try await perform(["workflows", "myruns"], transport: FakeTransport(body: workflowsJSON))
                == PegasusGolden.workflowsUTC)
        let fake = FakeTransport(body: workflowsJSON)
        #expect(try await perform(["w", "-l", "myruns"], transport: fake) == PegasusGolden.workflowsLongUTC)
        #expect(fake.requests.map(\.path) == ["/ensembles/myruns/workflows"])
        #expect(try await perform(["w", "myruns"], transport: FakeTransport(body: "[]")) == "")
    }

    @Test func statusPrintsPegasusBlock() async throws {
        let fake = FakeTransport(body: detailJSON)
        #expect(try await perform(["status", "myruns.run1"], transport: fake) == PegasusGolden.statusUTC)
        #expect(fake.requests.map(\.path) == ["/ensembles/myruns/workflows/run1"])
        let long = try await perform(["st", "-l", "myruns.run1"], transport: FakeTransport(body: detailJSON))
        #expect(long.hasPrefix(PegasusGolden.statusUTC))
        #expect(long.contains("Plan Argv:    /home/ryan/plan.sh run1.dax\n"))
    }

    @Test func analyzePrintsRawText() async throws {
        let report = "Workflow state is PLAN_FAILED\nPlan command is: \"/bin/false\"\nNo submit directory available\n"
        let fake = FakeTransport(body: report)
        #expect(try await perform(["an", "myruns.run1"], transport: fake) == report)
        #expect(fake.requests.map(\.path) == ["/ensembles/myruns/workflows/run1/analyze"])
        #expect(try await perform(["analyze", "e.w"], transport: FakeTransport(body: "no newline")) == "no newline")
    }

    @Test(arguments: [("replan", "READY"), ("rerun", "QUEUED"), ("abort", "ABORTED")])
    func workflowStateChanges(command: String, state: String) async throws {
        let fake = FakeTransport(body: detailJSON.replacingOccurrences(of: "\"READY\"", with: "\"\(state)\""))
        #expect(try await perform([command, "myruns.run1"], transport: fake) == "State: \(state)\n")
        #expect(fake.requests.first?.path == "/ensembles/myruns/workflows/run1")
        #expect(fake.sentJSON?["state"] as? String == state)
    }

    @Test func prioritySendsInteger() async throws {
        let fake = FakeTransport(body: detailJSON.replacingOccurrences(of: "\"priority\": 0", with: "\"priority\": 7"))
        #expect(try await perform(["priority", "myruns.run1", "-p", "7"], transport: fake) == PegasusGolden.priority)
        #expect(String(decoding: fake.requests[0].body ?? [], as: UTF8.self) == #"{"priority":7}"#)
    }

    // MARK: - Triggers

    @Test func cronTriggerBody() async throws {
        let fake = FakeTransport(status: 201, body: #"{"message": "created"}"#)
        let out = try await perform(
            [
                "cron-trigger", "myruns", "mytrigger", "1h", "bin/../workflow.py", "-t", "1d", "-a", "--inputs a  b",
                "-p", "4",
            ],
            transport: fake)
        #expect(out == "created\n")
        #expect(fake.requests.first?.path == "/ensembles/myruns/triggers/cron")
        let body = try #require(fake.sentJSON)
        #expect(body["trigger"] as? String == "mytrigger")
        #expect(body["workflow_script"] as? String == "/home/ryan/work/workflow.py")
        #expect(body["workflow_args"] as? [String] == ["--inputs", "a", "", "b"])
        #expect(body["interval"] as? String == "1h")
        #expect(body["timeout"] as? String == "1d")
        #expect(body["priority"] as? Int == 4)
        #expect(body["basedir"] as? String == "/home/ryan/work")
        #expect(body["file_patterns"] == nil && body["cron"] == nil)

        let cron = FakeTransport(status: 201, body: #"{"message": "created"}"#)
        _ = try await perform(
            [
                "cron-trigger", "e", "t", "/wf.py", "--cron", "0 * * * *", "--timezone", "Europe/Berlin", "--catchup",
                "one",
            ],
            transport: cron)
        let cronBody = try #require(cron.sentJSON)
        #expect(cronBody["interval"] == nil && cronBody["cron"] as? String == "0 * * * *")
        #expect(cronBody["timezone"] as? String == "Europe/Berlin" && cronBody["catchup"] as? String == "one")
        #expect(cronBody["workflow_args"] as? [String] == [])
    }

    @Test func filePatternTriggerBodies() async throws {
        let fake = FakeTransport(status: 201, body: #"{"message": "created"}"#)
        let out = try await perform(
            [
                "file-pattern-trigger", "myruns", "10s_txt", "10s", "/home/ryan/workflow.py", "/in/*.txt", "/in/*.csv",
                "--timeout", "40s", "--args", "a b", "--settle", "2s", "--max-files", "10", "--move-processed",
            ],
            transport: fake)
        #expect(out == "created\n")
        #expect(fake.requests.first?.path == "/ensembles/myruns/triggers/file_pattern")
        let body = try #require(fake.sentJSON)
        #expect(body["file_patterns"] as? [String] == ["/in/*.txt", "/in/*.csv"])
        #expect(body["workflow_args"] as? [String] == ["a", "b"])
        #expect(body["settle"] as? String == "2s" && body["max_files"] as? Int == 10)
        #expect(body["move_processed"] as? Bool == true && body["timeout"] as? String == "40s")

        let seed = FakeTransport(status: 201, body: #"{"message": "created"}"#)
        _ = try await perform(
            ["trigger", "myruns", "t", "5m", "wf.py", "/in/*.txt", "--args", "a b", "c", "--args=--flag"],
            transport: seed)
        let seedBody = try #require(seed.sentJSON)
        #expect(seedBody["workflow_args"] as? [String] == ["a b", "c", "--flag"])
        #expect(seedBody["workflow_script"] as? String == "/home/ryan/work/wf.py")
        #expect(seedBody["timeout"] == nil && seedBody["move_processed"] == nil)
    }

    @Test func triggerListingAndStatus() async throws {
        let list = """
            [{"id": 1, "ensemble_id": 1, "name": "hourly", "state": "RUNNING",
              "workflow": {"script": "/home/ryan/workflow.py", "args": ["--site", "condor pool"]},
              "args": {"interval": 3600, "timeout": 86400}, "type": "CRON", "reason": null,
              "created": 1700000000, "updated": 1700000000, "next_fire": 1700003600, "deadline": 1700086400,
              "fire_count": 2, "priority": 0, "basedir": "/home/ryan"}]
            """
        let fake = FakeTransport(body: list)
        let table = try await perform(["t", "myruns"], transport: fake)
        #expect(table.hasPrefix("NAME                 TYPE           STATE      WORKFLOW SCRIPT"))
        #expect(fake.requests.map(\.path) == ["/ensembles/myruns/triggers"])
        let long = try await perform(["triggers", "-l", "myruns"], transport: FakeTransport(body: list))
        #expect(long.contains("Workflow Args: ['--site', 'condor pool']\nInterval:      3600\nTimeout:       86400\n"))

        let detail = String(list.dropFirst().dropLast())
        let status = FakeTransport(body: detail)
        let block = try await perform(["trigger-status", "myruns", "hourly"], transport: status)
        #expect(status.requests.map(\.path) == ["/ensembles/myruns/triggers/hourly"])
        #expect(block.contains("Schedule:      every 1h\n"))
        #expect(block.hasSuffix("Last submissions: none\n"))
    }

    @Test func stopTriggerPrintsServerMessage() async throws {
        let fake = FakeTransport(status: 202, body: #"{"message": "ensemble: myruns, trigger: t marked for deletion"}"#)
        #expect(
            try await perform(["stop-trigger", "myruns", "t"], transport: fake)
                == "ensemble: myruns, trigger: t marked for deletion\n")
        #expect(fake.requests == [TransportRequest(method: "DELETE", path: "/ensembles/myruns/triggers/t")])
    }

    // MARK: - Errors and authentication

    @Test func serverErrorsBecomePegasusErrorLines() async throws {
        let fake = FakeTransport(status: 404, body: #"{"message": "No such ensemble: nope"}"#)
        await #expect(throws: ClientFailure.server(status: 404, message: "No such ensemble: nope")) {
            try await perform(["workflows", "nope"], transport: fake)
        }
        #expect(
            ClientFailure.server(status: 404, message: "No such ensemble: nope").description
                == "ERROR: No such ensemble: nope")
        let raw = FakeTransport(status: 500, body: "Internal Server Error")
        await #expect(throws: ClientFailure.server(status: 500, message: "Internal Server Error")) {
            try await perform(["ensembles"], transport: raw)
        }
    }

    @Test func loginRequiredOnlyWithoutCredentials() async throws {
        let fake = FakeTransport(status: 401, body: "Basic Auth Required")
        await #expect(throws: ClientFailure.loginRequired) {
            try await perform(["ensembles"], transport: fake)
        }
        #expect(fake.authorizations == [nil])
        #expect(
            ClientFailure.loginRequired.description
                == "ERROR: the ensemble manager requires a login: set USERNAME and PASSWORD in ~/.pegasus/service.py")
        let credentials = EnsembleManagerAPI.Credentials(username: "ryan", password: "s3cret")
        let withLogin = FakeTransport(status: 401, body: "Basic Auth Required")
        await #expect(throws: ClientFailure.server(status: 401, message: "Basic Auth Required")) {
            try await perform(["ensembles"], transport: withLogin, credentials: credentials)
        }
        #expect(withLogin.authorizations == ["Basic cnlhbjpzM2NyZXQ="])
    }

    @Test func undecodableSuccessIsABadResponse() async throws {
        await #expect {
            try await perform(["ensembles"], transport: FakeTransport(body: "<html>"))
        } throws: { error in
            guard case .badResponse(let url, _)? = error as? ClientFailure else { return false }
            return url == "http://127.0.0.1:7919/"
        }
    }

    @Test func pathSegmentsArePercentEncoded() async throws {
        let fake = FakeTransport(body: "[]")
        _ = try await perform(["workflows", "my runs/é?#"], transport: fake)
        #expect(fake.requests.first?.path == "/ensembles/my%20runs%2F%C3%A9%3F%23/workflows")
    }
}
