import Foundation
import Testing
import TriggerKit

struct WorkflowNamingTests {
    @Test(
        "valid trigger names",
        arguments: ["t", "nightly", "file-trigger_2", "A-Z_a-z_0-9", String(repeating: "x", count: 80), "-", "_"]
    )
    func validNames(name: String) throws {
        try WorkflowNaming.validateTriggerName(name)
    }

    @Test(
        "invalid trigger names get Pegasus-style messages",
        arguments: [
            ("", "trigger name must be a non-empty string"),
            ("a.b", "Invalid trigger name: a.b"),
            ("with space", "Invalid trigger name: with space"),
            (" ", "Invalid trigger name:  "),
            ("caf\u{E9}", "Invalid trigger name: caf\u{E9}"),
            ("a/b", "Invalid trigger name: a/b"),
            ("name\n", "Invalid trigger name: name\n"),
            (String(repeating: "x", count: 81), "Trigger name too long: 81"),
            (String(repeating: "x", count: 120), "Trigger name too long: 120"),
            // Length is checked before the character set, as in Pegasus.
            (String(repeating: ".", count: 81), "Trigger name too long: 81"),
            // Lengths count Unicode scalars, like Python's len().
            (String(repeating: "e\u{301}", count: 41), "Trigger name too long: 82"),
        ]
    )
    func invalidNames(name: String, message: String) {
        let error = #expect(throws: TriggerError.self) { try WorkflowNaming.validateTriggerName(name) }
        #expect(error?.code == .invalidTriggerName)
        #expect(error?.message == message)
    }

    @Test("generated names are <trigger>_<unix-ts> with _2, _3, ... on collision")
    func generatedNames() throws {
        #expect(WorkflowNaming.workflowName(trigger: "t", timestamp: 1_700_000_000) == "t_1700000000")
        #expect(WorkflowNaming.workflowName(trigger: "t", timestamp: 1_700_000_000, suffix: 1) == "t_1700000000")
        #expect(WorkflowNaming.workflowName(trigger: "t", timestamp: 1_700_000_000, suffix: 3) == "t_1700000000_3")
        #expect(WorkflowNaming.timestamp(of: Date(timeIntervalSince1970: 1_700_000_000.999)) == 1_700_000_000)

        #expect(try WorkflowNaming.uniqueWorkflowName(trigger: "t", timestamp: 5, existing: []) == "t_5")
        #expect(try WorkflowNaming.uniqueWorkflowName(trigger: "t", timestamp: 5, existing: ["t_5"]) == "t_5_2")
        #expect(
            try WorkflowNaming.uniqueWorkflowName(trigger: "t", timestamp: 5, existing: ["t_5", "t_5_2", "t_5_4"])
                == "t_5_3"
        )
        // Other triggers' and timestamps' names do not count.
        #expect(try WorkflowNaming.uniqueWorkflowName(trigger: "t", timestamp: 5, existing: ["u_5", "t_6"]) == "t_5")

        var asked: [String] = []
        let name = try WorkflowNaming.uniqueWorkflowName(trigger: "nightly", timestamp: 42) { candidate in
            asked.append(candidate)
            return asked.count < 4
        }
        #expect(name == "nightly_42_4")
        #expect(asked == ["nightly_42", "nightly_42_2", "nightly_42_3", "nightly_42_4"])
    }

    @Test("when every suffix is taken the error says so")
    func exhausted() {
        let error = #expect(throws: TriggerError.self) {
            try WorkflowNaming.uniqueWorkflowName(trigger: "t", timestamp: 7) { _ in true }
        }
        #expect(error?.code == .namesExhausted)
        #expect(error?.message == "every workflow name from t_7 to t_7_999999 is already taken")
    }

    @Test("the longest trigger name still yields valid workflow names, even with 11-digit timestamps")
    func lengthBudget() throws {
        #expect(WorkflowNaming.maximumTriggerNameLength == 80)
        let longest = String(repeating: "n", count: WorkflowNaming.maximumTriggerNameLength)
        try WorkflowNaming.validateTriggerName(longest)
        for timestamp in [0, 1_700_000_000, 9_999_999_999, 99_999_999_999] {
            for suffix in [1, 2, 99, WorkflowNaming.maximumCollisionSuffix] {
                let name = WorkflowNaming.workflowName(trigger: longest, timestamp: timestamp, suffix: suffix)
                #expect(WorkflowNaming.isValidWorkflowName(name), "\(name.count) characters")
            }
        }
        #expect(
            WorkflowNaming.workflowName(trigger: longest, timestamp: 9_999_999_999, suffix: 999_999).count == 98
        )
    }

    @Test(
        "Pegasus' workflow-name rule",
        arguments: [
            ("ok_1", true), ("", false), ("a.b", false), (String(repeating: "w", count: 99), true),
            (String(repeating: "w", count: 100), false), ("a b", false),
        ]
    )
    func workflowNameRule(name: String, valid: Bool) {
        #expect(WorkflowNaming.isValidWorkflowName(name) == valid)
    }
}
