import Foundation
import Testing

@testable import EMClient

/// The REST wire shapes of the contract, decoded leniently (unknown fields ignored, new fields optional).
@Suite struct WireDecodingTests {
    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    @Test func ensembleList() throws {
        let ensembles = try decode([EnsembleResource].self, ensemblesJSON)
        #expect(ensembles == Fixtures.ensembles)
    }

    @Test func workflowSummaryAndDetail() throws {
        #expect(try decode([WorkflowResource].self, workflowsJSON) == Fixtures.workflows)
        let detail = try decode(
            WorkflowResource.self,
            """
            {"id": 3, "name": "run1", "created": 1700000000.5, "updated": 1700000001, "state": "PLAN_FAILED",
             "priority": 2, "wf_uuid": null, "href": "http://h/ensembles/e/workflows/run1", "basedir": "/b",
             "plan_command": "\\"/b/plan.sh\\"", "plan_argv": ["/b/plan.sh"], "log": "/l", "submitdir": null,
             "reason": "exit 1", "diagnostic": "pegasus-plan exited with status 1", "trigger_id": null,
             "history": [{"time": 1700000000.5, "from": null, "to": "READY", "reason": "submitted"},
                         {"time": 1700000001, "from": "READY", "to": "PLANNING", "reason": null}]}
            """)
        #expect(detail.planArgv == ["/b/plan.sh"] && detail.submitdir == nil && detail.state == "PLAN_FAILED")
        #expect(detail.diagnostic == "pegasus-plan exited with status 1")
        #expect(detail.history?.map(\.to) == ["READY", "PLANNING"])
        #expect(detail.history?.first?.from == nil)
    }

    @Test func pegasusDetailWithoutOurFields() throws {
        // Pegasus 5.1.3's own server: no plan_argv, history or diagnostic.
        let detail = try decode(
            WorkflowResource.self,
            """
            {"id": 1, "name": "w", "created": 1.0, "updated": 2.0, "state": "READY", "priority": 0,
             "wf_uuid": null, "href": "x", "basedir": "/b", "plan_command": "\\"/bin/true\\"", "log": "/l",
             "submitdir": null}
            """)
        #expect(detail.planArgv == nil && detail.history == nil && detail.diagnostic == nil)
    }

    @Test func triggerWithDetail() throws {
        let trigger = try decode(
            TriggerResource.self,
            """
            {"id": 7, "ensemble_id": 1, "name": "10s_txt", "state": "RUNNING", "type": "FILE_PATTERN",
             "workflow": {"script": "/home/ryan/workflow.py", "args": ["-v"]},
             "args": {"interval": 10, "timeout": null, "file_patterns": ["/in/*.txt"], "settle": 2.0,
                      "max_files": 100, "move_processed": true},
             "reason": null, "created": 1700000000, "updated": 1700000000, "next_fire": 1700000010,
             "deadline": null, "fire_count": 0, "last_fire": null, "priority": 0, "basedir": "/home/ryan",
             "watch": {"roots": [{"path": "/in", "mode": "inotify", "reason": null}], "pending_files": 1,
                       "oldest_pending_age": 0.5},
             "submissions": [{"workflow": "10s_txt_1700000010", "time": 1700000010, "files": ["/in/processed/a.txt"]}]}
            """)
        #expect(trigger.args?["interval"] == .int(10) && trigger.args?["timeout"] == .null)
        #expect(trigger.args?["settle"] == .double(2) || trigger.args?["settle"] == .int(2))
        #expect(trigger.args?["move_processed"] == .bool(true))
        #expect(trigger.args?["file_patterns"]?.stringArray == ["/in/*.txt"])
        #expect(trigger.watch?.roots.first?.mode == "inotify" && trigger.watch?.pendingFiles == 1)
        #expect(trigger.submissions?.first?.files == ["/in/processed/a.txt"])
        #expect(trigger.nextFire == 1_700_000_010 && trigger.deadline == nil)
    }

    @Test func pegasusTriggerWithNullArgs() throws {
        let trigger = try decode(
            TriggerResource.self,
            """
            {"id": 1, "ensemble_id": 1, "name": "t", "state": "RUNNING", "type": "CRON",
             "workflow": {"script": "/s.py", "args": []}, "args": null}
            """)
        #expect(trigger.args == nil && trigger.fireCount == nil)
        #expect(OutputFormatter().triggersLong([trigger]).hasSuffix("Workflow Args: []\n"))
    }

    @Test func jsonValues() throws {
        let values = try decode(
            [String: JSONValue].self, #"{"a": true, "b": 1, "c": 1.5, "d": "x", "e": [1, "y"], "f": {"g": null}}"#)
        #expect(values["a"] == .bool(true))
        #expect(values["b"] == .int(1))
        #expect(values["c"] == .double(1.5))
        #expect(values["d"] == .string("x"))
        #expect(values["e"] == .array([.int(1), .string("y")]))
        #expect(values["f"] == .object(["g": .null]))
        #expect(JSONValue.double(60).intValue == 60 && JSONValue.string("1").intValue == nil)
        #expect(JSONValue.array([.string("a"), .int(1)]).stringArray == nil)
    }

    @Test func errorMessages() {
        #expect(
            EnsembleManagerAPI.errorMessage(Array(#"{"message": "Ensemble myruns already exists"}"#.utf8))
                == "Ensemble myruns already exists")
        #expect(EnsembleManagerAPI.errorMessage(Array("Basic Auth Required".utf8)) == "Basic Auth Required")
        #expect(
            EnsembleManagerAPI.errorMessage(Array(#"{"error": {"message": "x"}}"#.utf8))
                == #"{"error": {"message": "x"}}"#)
    }
}
