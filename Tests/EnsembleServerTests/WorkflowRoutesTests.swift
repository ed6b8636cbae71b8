import EnsembleCore
import EnsembleServer
import EnsembleStore
import Foundation
import GRDB
import HTTPTypes
import Testing

/// `/ensembles/<e>/workflows[/<w>]`: submission rules, Pegasus' user transitions (plus abort),
/// priority edits, and delete.
@Suite(.timeLimit(.minutes(1)))
struct WorkflowRoutesTests {
    // MARK: - Submit

    @Test func submitStoresTheWorkflow() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let reply = try await api.form(
                .post, "/ensembles/e/workflows",
                [
                    ("name", "run1"), ("priority", "10"), ("basedir", harness.basedir),
                    ("plan_command", "\"/abs/plan.sh\" \"arg 1\" \"$HOME\" \"`id`\""),
                ])
            #expect(reply.status == 201)
            #expect(reply.message == "created")
            #expect(reply.headers[.location] == "/ensembles/e/workflows/run1", "relative, as Pegasus answers")
            let (_, w) = try await harness.store.workflow(ensemble: "e", name: "run1")
            #expect(w.state == .ready)
            #expect(w.priority == 10)
            #expect(w.basedir == harness.basedir)
            // Nothing is expanded: the argv reaches the planner as the user wrote it.
            #expect(w.planArgv == ["/abs/plan.sh", "arg 1", "$HOME", "`id`"])
            #expect(w.planCommand == "\"/abs/plan.sh\" \"arg 1\" \"$HOME\" \"`id`\"")
            #expect(harness.workflows.events == ["wake"], "a submit wakes the scheduler")
        }
    }

    @Test(
        "priority uses Python int(): valid values",
        arguments: [("10", 10), (" -5 ", -5), ("+3", 3), ("0", 0), ("1_000", 1000), ("\t7\n", 7)])
    func validPriority(text: String, value: Int) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir, priority: text)
            #expect(try await harness.store.workflow(ensemble: "e", name: "w").1.priority == value)
            #expect(try await api.get("/ensembles/e/workflows/w").object["priority"] as? Int == value)
        }
    }

    @Test func priorityDefaultsToZero() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir)
            #expect(try await api.get("/ensembles/e/workflows/w").object["priority"] as? Int == 0)
        }
    }

    /// Every submission rule in order, each request valid up to the field under test.
    @Test(
        "invalid submissions: status and message",
        arguments: [
            ([], "Specify ensemble workflow 'name'"),
            ([("name", "")], "Specify ensemble workflow 'name'"),
            ([("name", String(repeating: "w", count: 100))], "Workflow name too long: 100"),
            ([("name", "run.1")], "Invalid workflow name: run.1"),
            ([("name", "run 1")], "Invalid workflow name: run 1"),
            ([("name", "w"), ("priority", "1.5")], "Invalid priority: 1.5"),
            ([("name", "w"), ("priority", "abc")], "Invalid priority: abc"),
            ([("name", "w"), ("priority", "")], "Invalid priority: "),
            ([("name", "w"), ("priority", "1__0")], "Invalid priority: 1__0"),
            ([("name", "w")], "Specify 'basedir' where plan command should be executed"),
            ([("name", "w"), ("basedir", "")], "Specify 'basedir' where plan command should be executed"),
            ([("name", "w"), ("basedir", "relative/dir")], "basedir must be an absolute path: relative/dir"),
            ([("name", "w"), ("basedir", "/no/such/dir")], "basedir is not an existing directory: /no/such/dir"),
            ([("name", "w"), ("basedir", "/etc/passwd")], "basedir is not an existing directory: /etc/passwd"),
            ([("name", "w"), ("basedir", "@")], "Specify 'plan_command' that should be executed to plan workflow"),
            (
                [("name", "w"), ("basedir", "@"), ("plan_command", "")],
                "Specify 'plan_command' that should be executed to plan workflow"
            ),
            (
                [("name", "w"), ("basedir", "@"), ("plan_command", "   ")],
                "Specify 'plan_command' that should be executed to plan workflow"
            ),
            (
                [("name", "w"), ("basedir", "@"), ("plan_command", "\"\" \"x\"")],
                "Specify 'plan_command' that should be executed to plan workflow"
            ),
            ([("name", "w"), ("basedir", "@"), ("plan_command", "\"/plan.sh")], "Unterminated \" in plan_command"),
            ([("name", "w"), ("basedir", "@"), ("plan_command", "'/plan.sh")], "Unterminated ' in plan_command"),
            ([("name", "w"), ("basedir", "@"), ("plan_argv", "not json")], "plan_argv must be a list of strings"),
            ([("name", "w"), ("basedir", "@"), ("plan_argv", "[1, 2]")], "plan_argv must be a list of strings"),
            (
                [("name", "w"), ("basedir", "@"), ("plan_argv", "[]")],
                "Specify 'plan_command' that should be executed to plan workflow"
            ),
        ] as [([(String, String)], String)])
    func invalidSubmit(fields: [(String, String)], message: String) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            // "@" stands for an existing directory.
            let resolved = fields.map { ($0.0, $0.1 == "@" ? harness.basedir : $0.1) }
            let reply = try await api.form(.post, "/ensembles/e/workflows", resolved)
            #expect(reply.status == 400)
            #expect(reply.message == message)
            #expect(try await harness.store.workflows(ensemble: "e").isEmpty)
        }
    }

    @Test func unknownEnsembleIsCheckedBeforeTheBody() async throws {
        try await APIHarness.with { _, api in
            let reply = try await api.form(.post, "/ensembles/nope/workflows", [("name", "bad.name")])
            #expect(reply.status == 404)
            #expect(reply.message == "No such ensemble: nope")
        }
    }

    @Test func duplicateWorkflowIs409() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.createEnsemble("other")
            try await api.submit("e", "w", basedir: harness.basedir, priority: "1")
            let reply = try await api.form(
                .post, "/ensembles/e/workflows",
                [("name", "w"), ("basedir", harness.basedir), ("plan_command", "/bin/false"), ("priority", "9")])
            #expect(reply.status == 409)
            #expect(reply.message == "Ensemble workflow w already exists")
            let list = try await harness.store.workflows(ensemble: "e")
            #expect(list.count == 1)
            #expect(list.first?.priority == 1)
            // The same name in another ensemble is fine.
            try await api.submit("other", "w", basedir: harness.basedir)
        }
    }

    @Test func submitWithJSONBody() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let reply = try await api.json(
                .post, "/ensembles/e/workflows",
                [
                    "name": "j", "priority": -2, "basedir": harness.basedir,
                    "plan_argv": ["/bin/plan", "with space", "\"quoted\""],
                ])
            #expect(reply.status == 201)
            let (_, w) = try await harness.store.workflow(ensemble: "e", name: "j")
            #expect(w.priority == -2)
            #expect(w.planArgv == ["/bin/plan", "with space", "\"quoted\""])
            let detail = try await api.get("/ensembles/e/workflows/j").object
            #expect(detail["plan_argv"] as? [String] == ["/bin/plan", "with space", "\"quoted\""])

            let badPriority = try await api.json(
                .post, "/ensembles/e/workflows",
                ["name": "k", "priority": 1.5, "basedir": harness.basedir, "plan_command": "/bin/plan"])
            #expect(badPriority.status == 400)
            #expect(badPriority.message == "Invalid priority: 1.5")
            let badArgv = try await api.json(
                .post, "/ensembles/e/workflows", ["name": "k", "basedir": harness.basedir, "plan_argv": "x"])
            #expect(badArgv.status == 400)
            #expect(badArgv.message == "plan_argv must be a list of strings")
            let mixedArgv = try await api.json(
                .post, "/ensembles/e/workflows", ["name": "k", "basedir": harness.basedir, "plan_argv": ["/a", 1]])
            #expect(mixedArgv.status == 400)
            #expect(mixedArgv.message == "plan_argv must be a list of strings")
        }
    }

    @Test func unknownWorkflowIs404() async throws {
        try await APIHarness.with { _, api in
            try await api.createEnsemble("e")
            for (method, uri) in [
                ("GET", "/ensembles/e/workflows/nope"), ("POST", "/ensembles/e/workflows/nope"),
                ("PUT", "/ensembles/e/workflows/nope"), ("DELETE", "/ensembles/e/workflows/nope"),
                ("GET", "/ensembles/e/workflows/nope/analyze"),
            ] {
                let reply = try await api.send(.init(method)!, uri)
                #expect(reply.status == 404, "\(method) \(uri)")
                #expect(reply.message == "No such ensemble workflow: nope", "\(method) \(uri)")
            }
            let noEnsemble = try await api.get("/ensembles/x/workflows/nope")
            #expect(noEnsemble.status == 404)
            #expect(noEnsemble.message == "No such ensemble: x")
        }
    }

    @Test func listInCreationOrder() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            #expect(try await api.get("/ensembles/e/workflows").body == "[]")
            for (name, priority) in [("b", "1"), ("a", "9"), ("c", "5")] {
                try await api.submit("e", name, basedir: harness.basedir, priority: priority)
            }
            let names = try await api.get("/ensembles/e/workflows").array.map { $0["name"] as? String }
            #expect(names == ["b", "a", "c"])
        }
    }

    // MARK: - User transitions (Pegasus', plus abort)

    /// Every (current, requested) pair: the resulting state, or the status and message.
    static let transitions: [(WorkflowState, String, Result)] = {
        var cases: [(WorkflowState, String, Result)] = []
        for current in WorkflowState.allCases {
            for requested in ["READY", "QUEUED", "ABORTED", "RUNNING", "SUCCESSFUL"] {
                cases.append((current, requested, expected(current, requested)))
            }
        }
        return cases
    }()

    enum Result: Sendable, CustomStringConvertible {
        case becomes(WorkflowState)
        case conflict(String)

        var description: String {
            switch self {
            case .becomes(let s): "becomes \(s.rawValue)"
            case .conflict(let m): "409 \(m)"
            }
        }
    }

    /// The rules, written out independently of the implementation.
    static func expected(_ current: WorkflowState, _ requested: String) -> Result {
        if requested == "ABORTED" {
            return [.ready, .planning, .queued, .running].contains(current)
                ? .becomes(.aborted) : .conflict("Can only abort workflows in READY, PLANNING, QUEUED or RUNNING state")
        }
        switch (current, requested) {
        case (.planFailed, "READY"): return .becomes(.ready)
        case (.planFailed, _): return .conflict("Can only replan workflows in PLAN_FAILED state")
        case (.runFailed, "READY"), (.failed, "READY"): return .becomes(.ready)
        case (.runFailed, "QUEUED"), (.failed, "QUEUED"): return .becomes(.queued)
        case (.runFailed, _): return .conflict("Can only replan or rerun workflows in RUN_FAILED state")
        case (.failed, _): return .conflict("Can only replan or rerun workflows in FAILED state")
        case (.aborted, "READY"): return .becomes(.ready)
        case (.aborted, _): return .conflict("Can only replan workflows in ABORTED state")
        default: return .conflict("Invalid state change: \(current.rawValue) -> \(requested)")
        }
    }

    @Test(arguments: transitions)
    func userTransition(current: WorkflowState, requested: String, result: Result) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir)
            try await harness.setState("e", "w", current)
            let before = try await harness.store.workflow(ensemble: "e", name: "w").1
            let historyBefore = try await harness.store.history(workflowID: before.id!)
            let reply = try await api.form(.post, "/ensembles/e/workflows/w", [("state", requested)])
            let after = try await harness.store.workflow(ensemble: "e", name: "w").1
            switch result {
            case .becomes(let target):
                #expect(reply.status == 200, "\(reply.body)")
                #expect(reply.object["state"] as? String == target.rawValue)
                #expect(after.state == target)
                let history = try await harness.store.history(workflowID: before.id!)
                #expect(history.count == historyBefore.count + 1)
                #expect(history.last?.fromState == current)
                #expect(history.last?.toState == target)
                #expect(history.last?.reason == Self.reason(for: target))
                if target == .ready {
                    #expect(after.submitdir == nil, "replan forgets the old submit dir")
                    #expect(after.wfUUID == nil)
                } else {
                    #expect(after.submitdir == "/submit/dir", "rerun and abort keep the submit dir")
                }
                let aborted = harness.workflows.events.filter { $0.hasPrefix("aborted") }
                #expect(aborted == (target == .aborted ? ["aborted e.w from \(current.rawValue)"] : []))
            case .conflict(let message):
                #expect(reply.status == 409)
                #expect(reply.message == message)
                #expect(after == before, "nothing is committed")
                #expect(try await harness.store.history(workflowID: before.id!) == historyBefore)
            }
        }
    }

    static func reason(for target: WorkflowState) -> String {
        switch target {
        case .ready: "replan requested"
        case .queued: "rerun requested"
        default: "abort requested"
        }
    }

    @Test func stateNamesAreCaseInsensitiveAndUnknownNamesAreRejected() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir)
            try await harness.setState("e", "w", .planFailed)
            let bogus = try await api.form(.post, "/ensembles/e/workflows/w", [("state", "BOGUS")])
            #expect(bogus.status == 409)
            #expect(bogus.message == "Can only replan workflows in PLAN_FAILED state")
            let lower = try await api.form(.post, "/ensembles/e/workflows/w", [("state", "ready")])
            #expect(lower.status == 200)
            #expect(lower.object["state"] as? String == "READY")
            let bogusFromReady = try await api.form(.post, "/ensembles/e/workflows/w", [("state", "bogus")])
            #expect(bogusFromReady.status == 409)
            #expect(bogusFromReady.message == "Invalid state change: READY -> bogus")
        }
    }

    @Test func abortFromEachActiveStateThroughJSON() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            for state in WorkflowState.active {
                let name = "w-\(state.rawValue.lowercased())"
                try await api.submit("e", name, basedir: harness.basedir)
                try await harness.setState("e", name, state)
                let reply = try await api.json(.put, "/ensembles/e/workflows/\(name)", ["state": "ABORTED"])
                #expect(reply.status == 200)
                #expect(reply.object["state"] as? String == "ABORTED")
                #expect(reply.object["reason"] as? String == "abort requested")
            }
            let aborted = harness.workflows.events.filter { $0.hasPrefix("aborted") }
            #expect(
                aborted == [
                    "aborted e.w-ready from READY", "aborted e.w-planning from PLANNING",
                    "aborted e.w-queued from QUEUED", "aborted e.w-running from RUNNING",
                ])
            // Aborting twice is a conflict and does not call the scheduler again.
            let again = try await api.form(.post, "/ensembles/e/workflows/w-ready", [("state", "ABORTED")])
            #expect(again.status == 409)
            #expect(harness.workflows.events.filter { $0.hasPrefix("aborted") }.count == 4)
        }
    }

    // MARK: - Priority edits

    @Test func priorityEditBumpsUpdatedAndKeepsState() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir, priority: "1")
            let before = try await harness.store.workflow(ensemble: "e", name: "w").1
            try await Task.sleep(for: .milliseconds(5))
            let reply = try await api.form(.post, "/ensembles/e/workflows/w", [("priority", " 42 ")])
            #expect(reply.status == 200)
            #expect(reply.object["priority"] as? Int == 42)
            #expect(reply.object["state"] as? String == "READY")
            #expect(try #require(reply.object["updated"] as? Double) > before.updated)
            let history = try await harness.store.history(workflowID: before.id!)
            #expect(history.count == 1, "a priority edit is not a state change")
        }
    }

    @Test func invalidPriorityEditIs400AndChangesNothing() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir, priority: "1")
            let before = try await harness.store.workflow(ensemble: "e", name: "w").1
            for text in ["1.5", "abc", ""] {
                let reply = try await api.form(.post, "/ensembles/e/workflows/w", [("priority", text)])
                #expect(reply.status == 400)
                #expect(reply.message == "Invalid priority: \(text)")
            }
            #expect(try await harness.store.workflow(ensemble: "e", name: "w").1 == before)
        }
    }

    @Test func priorityAndInvalidStateTogetherCommitNothing() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir, priority: "1")
            try await harness.setState("e", "w", .running)
            let before = try await harness.store.workflow(ensemble: "e", name: "w").1
            let reply = try await api.form(.post, "/ensembles/e/workflows/w", [("priority", "50"), ("state", "READY")])
            #expect(reply.status == 409)
            #expect(reply.message == "Invalid state change: RUNNING -> READY")
            #expect(try await harness.store.workflow(ensemble: "e", name: "w").1 == before)
        }
    }

    @Test func priorityAndReplanTogether() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir)
            try await harness.setState("e", "w", .failed)
            let reply = try await api.form(.post, "/ensembles/e/workflows/w", [("priority", "7"), ("state", "QUEUED")])
            #expect(reply.status == 200)
            #expect(reply.object["priority"] as? Int == 7)
            #expect(reply.object["state"] as? String == "QUEUED")
        }
    }

    // MARK: - Delete and analyze

    @Test(arguments: WorkflowState.allCases)
    func deleteWorkflow(state: WorkflowState) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir)
            try await harness.setState("e", "w", state)
            let reply = try await api.delete("/ensembles/e/workflows/w")
            if state.isActive {
                #expect(reply.status == 409)
                #expect(reply.message == "Workflow w is \(state.rawValue): abort it or wait until it finishes")
                #expect(try await api.get("/ensembles/e/workflows/w").status == 200)
            } else {
                #expect(reply.status == 200)
                #expect(reply.message == "deleted")
                #expect(try await api.get("/ensembles/e/workflows/w").status == 404)
                // The name is free again.
                try await api.submit("e", "w", basedir: harness.basedir)
            }
        }
    }

    @Test func analyzeIsPlainTextFromTheScheduler() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir)
            let reply = try await api.get("/ensembles/e/workflows/w/analyze")
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(reply.body == "report of e.w in READY\n")
        }
    }

    /// Found by schemathesis (tools/openapi-check): a JSON list or object where text is expected was taken as an
    /// absent field, so `{"state": {}}` answered 200 and did nothing. It is refused now, and nothing changes.
    @Test(
        "a JSON list or object in a text field is a 400, not an absent field",
        arguments: [
            ("PUT", "/ensembles/e/workflows/w", #"{"state": {}}"#, "state"),
            ("POST", "/ensembles/e/workflows/w", #"{"priority": [5]}"#, "priority"),
            ("POST", "/ensembles/e", #"{"max_planning": [3], "state": "PAUSED"}"#, "max_planning"),
            ("POST", "/ensembles", #"{"name": ["x"]}"#, "name"),
            (
                "POST", "/ensembles/e/workflows",
                #"{"name": "v", "basedir": {"path": "/"}, "plan_argv": ["/bin/true"]}"#,
                "basedir"
            ),
        ])
    func listOrObjectInTextField(method: String, uri: String, body: String, field: String) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir)
            let before = try await api.get("/ensembles/e/workflows/w").object["updated"] as? Double
            let reply = try await api.send(
                HTTPRequest.Method(method)!, uri, body: body, contentType: "application/json")
            #expect(reply.status == 400)
            #expect(reply.message == "Invalid value for \(field): expected a string, not a list or an object")
            #expect(try await api.get("/ensembles/e/workflows/w").object["updated"] as? Double == before)
            #expect(try await api.get("/ensembles/e").object["state"] as? String == "ACTIVE")
            #expect(try await harness.store.ensembles().count == 1)
            #expect(try await harness.store.workflows(ensemble: "e").count == 1)
        }
    }
}
