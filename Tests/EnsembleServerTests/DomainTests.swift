import EMTestSupport
import EnsembleCore
import EnsembleServer
import Foundation
import HTTPTypes
import Testing

/// The pure building blocks: validation, states and transitions, plan commands, request bodies, JSON output,
/// and the instance lock.
struct DomainTests {
    // MARK: - Validation

    @Test(
        "priority follows Python int()",
        arguments: [
            ("10", 10 as Int?), (" -5 ", -5), ("+3", 3), ("-0", 0), ("007", 7), ("1_000", 1000), ("\n42\t", 42),
            ("1.5", nil), ("abc", nil), ("", nil), (" ", nil), ("1__0", nil), ("_1", nil), ("1_", nil), ("--1", nil),
            ("1e3", nil), ("0x10", nil), ("١٢", nil), ("99999999999999999999999", nil), ("+", nil),
        ])
    func priority(text: String, value: Int?) throws {
        if let value {
            #expect(try Validation.priority(text) == value)
        } else {
            #expect(throws: EMError(.invalid, "Invalid priority: \(text)")) { try Validation.priority(text) }
        }
    }

    @Test func missingPriorityIsZeroAndMissingLimitIsTheDefault() throws {
        #expect(try Validation.priority(nil) == 0)
        #expect(try Validation.limit(nil, field: "max_running") == 1)
        #expect(try Validation.limit(nil, field: "max_running", default: 4) == 4)
        #expect(try Validation.limit(" 3 ", field: "max_running") == 3)
        #expect(throws: EMError(.invalid, "Value for max_running must be >= 1: 0")) {
            try Validation.limit("0", field: "max_running")
        }
        #expect(throws: EMError(.invalid, "Invalid value for max_planning: 1.0")) {
            try Validation.limit("1.0", field: "max_planning")
        }
    }

    @Test func names() throws {
        #expect(try Validation.name("ok-Name_9", what: .ensemble) == "ok-Name_9")
        #expect(throws: EMError(.invalid, "Specify ensemble name")) { try Validation.name(nil, what: .ensemble) }
        #expect(throws: EMError(.invalid, "Specify ensemble workflow 'name'")) {
            try Validation.name("", what: .workflow)
        }
        #expect(throws: EMError(.invalid, "trigger name must be a non-empty string")) {
            try Validation.name("", what: .trigger)
        }
        #expect(throws: EMError(.invalid, "Ensemble name too long: 100")) {
            try Validation.name(String(repeating: "x", count: 100), what: .ensemble)
        }
        #expect(throws: EMError(.invalid, "Invalid ensemble name: a.b")) { try Validation.name("a.b", what: .ensemble) }
        #expect(throws: EMError(.invalid, "Invalid workflow name: a\u{0}b")) {
            try Validation.name("a\u{0}b", what: .workflow)
        }
        // Length counts characters, as Python's len() on the decoded name.
        #expect(try Validation.name(String(repeating: "x", count: 99), what: .ensemble).count == 99)
    }

    // MARK: - States

    @Test func ensembleStateParsing() throws {
        #expect(try EnsembleState(parsing: "paused") == .paused)
        #expect(try EnsembleState(parsing: " HELD ") == .held)
        #expect(try EnsembleState(parsing: "Active") == .active)
        #expect(throws: EMError(.invalid, "Invalid ensemble state: DONE")) { try EnsembleState(parsing: "DONE") }
    }

    @Test func activeAndFinalStates() {
        #expect(WorkflowState.active == [.ready, .planning, .queued, .running])
        #expect(WorkflowState.allCases.filter(\.isFinal) == [.planFailed, .runFailed, .failed, .successful, .aborted])
    }

    @Test(
        "Pegasus' user transitions, plus abort and replan of aborted workflows",
        arguments: [
            (.planFailed, "READY", .ready, nil),
            (.planFailed, "QUEUED", nil, "Can only replan workflows in PLAN_FAILED state"),
            (.runFailed, "READY", .ready, nil),
            (.runFailed, "QUEUED", .queued, nil),
            (.runFailed, "RUNNING", nil, "Can only replan or rerun workflows in RUN_FAILED state"),
            (.failed, "READY", .ready, nil),
            (.failed, "queued", .queued, nil),
            (.failed, "SUCCESSFUL", nil, "Can only replan or rerun workflows in FAILED state"),
            (.aborted, "READY", .ready, nil),
            (.aborted, "QUEUED", nil, "Can only replan workflows in ABORTED state"),
            (.ready, "READY", nil, "Invalid state change: READY -> READY"),
            (.running, "READY", nil, "Invalid state change: RUNNING -> READY"),
            (.successful, "READY", nil, "Invalid state change: SUCCESSFUL -> READY"),
            (.successful, "QUEUED", nil, "Invalid state change: SUCCESSFUL -> QUEUED"),
            (.planning, "QUEUED", nil, "Invalid state change: PLANNING -> QUEUED"),
            (.queued, "RUNNING", nil, "Invalid state change: QUEUED -> RUNNING"),
            (.ready, "ABORTED", .aborted, nil),
            (.planning, "aborted", .aborted, nil),
            (.queued, "ABORTED", .aborted, nil),
            (.running, "ABORTED", .aborted, nil),
            (.successful, "ABORTED", nil, "Can only abort workflows in READY, PLANNING, QUEUED or RUNNING state"),
            (.aborted, "ABORTED", nil, "Can only abort workflows in READY, PLANNING, QUEUED or RUNNING state"),
            (.planFailed, "ABORTED", nil, "Can only abort workflows in READY, PLANNING, QUEUED or RUNNING state"),
        ] as [(WorkflowState, String, WorkflowState?, String?)])
    func transition(from: WorkflowState, requested: String, to: WorkflowState?, message: String?) throws {
        if let to {
            #expect(try from.userTransition(to: requested) == to)
        } else {
            #expect(throws: EMError(.conflict, message ?? "")) { try from.userTransition(to: requested) }
        }
    }

    // MARK: - Plan commands

    @Test(
        "splitting Pegasus' plan_command string",
        arguments: [
            ("\"/abs/plan.sh\" \"arg1\" \"arg 2\"", ["/abs/plan.sh", "arg1", "arg 2"]),
            ("/abs/plan.sh --dax wf.yml", ["/abs/plan.sh", "--dax", "wf.yml"]),
            ("  ./plan.sh\t a  ", ["./plan.sh", "a"]),
            ("\"$HOME\" \"`id`\" '$(rm -rf /)' \"*.txt\"", ["$HOME", "`id`", "$(rm -rf /)", "*.txt"]),
            ("\"a\\\"b\" \"c\\\\d\" \"e\\nf\"", ["a\"b", "c\\d", "e\\nf"]),
            ("plan\\ with\\ space 'it'\"'\"'s'", ["plan with space", "it's"]),
            ("p \"\"", ["p", ""]),
            ("a\"b\"c", ["abc"]),
        ])
    func split(command: String, argv: [String]) throws {
        #expect(try PlanCommand.split(command) == argv)
    }

    @Test func splitErrors() {
        #expect(throws: EMError(.invalid, "Unterminated \" in plan_command")) { try PlanCommand.split("\"abc") }
        #expect(throws: EMError(.invalid, "Unterminated ' in plan_command")) { try PlanCommand.split("'abc") }
        #expect(throws: EMError(.invalid, "Specify 'plan_command' that should be executed to plan workflow")) {
            try PlanCommand.split("   ")
        }
        #expect(throws: EMError(.invalid, "Specify 'plan_command' that should be executed to plan workflow")) {
            try PlanCommand.split("\"\" x")
        }
    }

    @Test func pegasusStringRoundTrip() throws {
        let argv = ["/abs/plan.sh", "arg 1", "$HOME", "`id`", "*.txt", "--inputs", "/data/a b.txt"]
        let text = PlanCommand.pegasusString(argv)
        #expect(text == "\"/abs/plan.sh\" \"arg 1\" \"$HOME\" \"`id`\" \"*.txt\" \"--inputs\" \"/data/a b.txt\"")
        #expect(try PlanCommand.split(text) == argv)
    }

    // MARK: - Request bodies

    @Test func formDecoding() throws {
        let f = try RequestFields(
            body: Data("name=a+b&path=%2Fx%2Fy%20z&empty=&flag&dup=1&dup=2&json=%5B%22a%22%5D".utf8),
            contentType: "application/x-www-form-urlencoded")
        #expect(try f.string("name") == "a b")
        #expect(try f.string("path") == "/x/y z")
        #expect(try f.string("empty") == "")
        #expect(try f.string("flag") == "")
        #expect(try f.string("dup") == "2", "the last of repeated keys wins")
        #expect(try f.string("missing") == nil)
        #expect(f.has("empty"))
        #expect(!f.has("missing"))
        #expect(try f.stringList("json", message: "m") == ["a"])
        #expect(throws: EMError(.invalid, "m")) { try f.stringList("name", message: "m") }
    }

    @Test func jsonDecoding() throws {
        let f = try RequestFields(
            body: Data(
                #"{"s": "x", "i": 3, "d": 2.5, "big": 1e20, "t": true, "n": null, "l": ["a", "b"], "o": {"k": 1}}"#.utf8
            ),
            contentType: "application/json; charset=utf-8")
        #expect(try f.string("s") == "x")
        #expect(try f.string("i") == "3")
        #expect(try f.string("d") == "2.5")
        #expect(try f.string("big") == "1e+20")
        #expect(try f.string("t") == "true")
        #expect(try f.string("n") == nil)
        #expect(!f.has("n"))
        #expect(throws: EMError(.invalid, "Invalid value for o: expected a string, not a list or an object")) {
            try f.string("o")
        }
        #expect(throws: EMError.self, "a list is not text either") { try f.string("l") }
        #expect(try f.stringList("l", message: "m") == ["a", "b"])
        #expect(try f.stringList("n", message: "m") == nil)
        #expect(throws: EMError(.invalid, "m")) { try f.stringList("o", message: "m") }
        #expect(try f.bool("t") == true)
        #expect(try f.bool("i") == true)
        #expect(try f.bool("n") == nil)
        #expect(throws: EMError.self) { try f.bool("l") }
    }

    @Test func emptyBodyHasNoFields() throws {
        let f = try RequestFields(body: Data(), contentType: "application/json")
        #expect(f.values.isEmpty)
    }

    // MARK: - JSON output

    @Test func jsonSerialization() {
        let value: JSONValue = [
            "z": 1, "a": [true, nil, .double(1), .double(2.5), .double(-0.5), "s"],
            "m": ["y": "\"q\"\\\n\t\u{1}é", "b": .double(1e21)],
            "inf": .double(.infinity),
        ]
        #expect(
            value.serialized
                == #"{"a": [true, null, 1.0, 2.5, -0.5, "s"], "inf": null, "m": {"b": 1e+21, "y": "\"q\"\\\n\t\u0001é"}, "z": 1}"#
        )
        #expect(JSONValue.string(nil as String?) == .null)
        #expect(JSONValue.double(1_700_000_000.25).serialized == "1700000000.25")
        #expect(JSONValue.double(1_700_000_000).serialized == "1700000000.0")
        #expect(JSONValue.strings(["a"]) == ["a"])
    }

    // MARK: - Instance lock

    @Test func secondLockOnTheSameStoreFailsUntilTheFirstIsReleased() throws {
        let directory = try TemporaryDirectory(prefix: "em-lock-test")
        defer { directory.remove() }
        let database = directory.file("em.db")
        var first: InstanceLock? = try InstanceLock(databasePath: database)
        #expect(first?.path == database + ".lock")
        #expect(try String(contentsOfFile: database + ".lock", encoding: .utf8) == "\(getpid())\n")
        #expect(
            throws: EMError(
                .conflict,
                "another pegasus-em server (pid \(getpid())) is already running on \(database); stop it first")
        ) {
            _ = try InstanceLock(databasePath: database)
        }
        first = nil
        let again = try InstanceLock(databasePath: database)
        #expect(again.path == database + ".lock")
    }

    @Test func lockInAMissingDirectoryIsAnError() {
        #expect(throws: EMError.self) { _ = try InstanceLock(databasePath: "/no/such/dir/em.db") }
    }
}
