import EMTestSupport
import EnsembleCore
import EnsembleServer
import EnsembleStore
import Foundation
import HTTPTypes
import Testing

/// `/ensembles/<e>/triggers[...]`: Pegasus' validation order and messages, plus our checks,
/// trigger detail, 404 for an unknown ensemble and DELETE's 202.
@Suite(.timeLimit(.minutes(1)))
struct TriggerRoutesTests {
    /// The interval texts Pegasus accepts, with their seconds, and our compound forms.
    static let acceptedDurations: [(String, Int)] = [
        ("10s", 10), ("10 s", 10), ("10  m", 600), ("010s", 10), ("10S", 10), (" 5m ", 300), ("1h", 3600),
        ("2d", 172_800), ("2D", 172_800), ("1h30m", 5400), ("1h 30m 15s", 5415),
    ]
    /// The texts Pegasus rejects (`1h30m` is accepted by us, a compound duration), plus more.
    static let rejectedDurations = ["1.5h", "10sec", "-1s", "", "1", "0s", "0 m", "s", "10x", "30m1h", "1h1h", "ten s"]

    /// A script that exists and is executable, in the harness directory.
    private static func script(_ harness: APIHarness) throws -> String {
        try harness.directory.write("bin/workflow.sh", "#!/bin/sh\nexit 0\n", executable: true)
    }

    // MARK: - Validation order

    @Test func cronValidationInPegasusOrder() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let script = try Self.script(harness)
            let plain = try harness.directory.write("plain.txt", "not executable")
            // Each step fixes the field the previous step complained about.
            let steps: [([(String, String)], String)] = [
                ([], "trigger name must be a non-empty string"),
                ([("trigger", "")], "trigger name must be a non-empty string"),
                ([("trigger", "t")], "workflow_script name must be a non-empty string"),
                ([("trigger", "t"), ("workflow_script", "")], "workflow_script name must be a non-empty string"),
                (
                    [("trigger", "t"), ("workflow_script", "bin/workflow.sh")],
                    "workflow_script must be given as an absolute path"
                ),
                (
                    [("trigger", "t"), ("workflow_script", "/no/such/script")],
                    "workflow_script is not an executable file: /no/such/script"
                ),
                (
                    [("trigger", "t"), ("workflow_script", plain)],
                    "workflow_script is not an executable file: \(plain)"
                ),
                (
                    [("trigger", "t"), ("workflow_script", script), ("workflow_args", "a b")],
                    "workflow_args must be given as a list serialized to json"
                ),
                (
                    [("trigger", "t"), ("workflow_script", script), ("workflow_args", "{\"a\": 1}")],
                    "workflow_args must be given as a list serialized to json"
                ),
                (
                    [("trigger", "t"), ("workflow_script", script), ("workflow_args", "[1, 2]")],
                    "workflow_args must be given as a list serialized to json"
                ),
                (
                    [("trigger", "t"), ("workflow_script", script), ("workflow_args", "[]")],
                    "interval must be given as `<int> <s|m|h|d>` and be greater than 0 seconds"
                ),
                (
                    [
                        ("trigger", "t"), ("workflow_script", script), ("workflow_args", "[]"), ("interval", "10s"),
                        ("timeout", "soon"),
                    ],
                    "timeout must be given as `<int> <s|m|h|d>` and be greater than 0 seconds"
                ),
            ]
            for (fields, message) in steps {
                let reply = try await api.form(.post, "/ensembles/e/triggers/cron", fields)
                #expect(reply.status == 400, "\(fields)")
                #expect(reply.message == message, "\(fields)")
            }
            #expect(try await api.get("/ensembles/e/triggers").body == "[]", "nothing is stored")
            #expect(harness.triggers.events.isEmpty, "nothing is started")
        }
    }

    @Test func filePatternValidationInPegasusOrder() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let base = [
                ("trigger", "t"), ("workflow_script", try Self.script(harness)), ("workflow_args", "[]"),
                ("interval", "5s"),
            ]
            let steps: [([(String, String)], String)] = [
                ([("timeout", "-1s")], "timeout must be given as `<int> <s|m|h|d>` and be greater than 0 seconds"),
                ([], "file_patterns must be given as a list serialized to json"),
                ([("file_patterns", "/data/*.txt")], "file_patterns must be given as a list serialized to json"),
                ([("file_patterns", "\"/data/*.txt\"")], "file_patterns must be given as a list serialized to json"),
                ([("file_patterns", "[\"/a\", 3]")], "file_patterns must be given as a list serialized to json"),
                ([("file_patterns", "[]")], "file_patterns must contain at least one file pattern"),
                (
                    [("file_patterns", "[\"inputs/*.txt\"]")],
                    "each file pattern must be given as an absolute path (e.g. '/inputs/*.txt')"
                ),
                (
                    [("file_patterns", "[\"/data/*.txt\", \"*.csv\"]")],
                    "each file pattern must be given as an absolute path (e.g. '/inputs/*.txt')"
                ),
            ]
            for (fields, message) in steps {
                let reply = try await api.form(.post, "/ensembles/e/triggers/file_pattern", base + fields)
                #expect(reply.status == 400, "\(fields)")
                #expect(reply.message == message, "\(fields)")
            }
            #expect(try await api.get("/ensembles/e/triggers").body == "[]")
        }
    }

    @Test(arguments: acceptedDurations)
    func acceptedInterval(text: String, seconds: Int) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let reply = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [
                    ("trigger", "t"), ("workflow_script", try Self.script(harness)), ("workflow_args", "[]"),
                    ("interval", text), ("timeout", text),
                ])
            #expect(reply.status == 201, "\(reply.body)")
            let args = try await api.get("/ensembles/e/triggers/t").object["args"] as? [String: Any]
            #expect(args?["interval"] as? Int == seconds)
            #expect(args?["timeout"] as? Int == seconds)
        }
    }

    @Test(arguments: rejectedDurations)
    func rejectedInterval(text: String) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let script = try Self.script(harness)
            let interval = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [("trigger", "t"), ("workflow_script", script), ("workflow_args", "[]"), ("interval", text)])
            #expect(interval.status == 400)
            #expect(interval.message == "interval must be given as `<int> <s|m|h|d>` and be greater than 0 seconds")
            if !text.isEmpty {
                let timeout = try await api.form(
                    .post, "/ensembles/e/triggers/cron",
                    [
                        ("trigger", "t"), ("workflow_script", script), ("workflow_args", "[]"), ("interval", "1m"),
                        ("timeout", text),
                    ])
                #expect(timeout.status == 400)
                #expect(timeout.message == "timeout must be given as `<int> <s|m|h|d>` and be greater than 0 seconds")
            }
        }
    }

    @Test(
        "our checks beyond Pegasus",
        arguments: [
            ([("trigger", "a.b")], "Invalid trigger name: a.b"),
            ([("trigger", "a b")], "Invalid trigger name: a b"),
            ([("trigger", String(repeating: "t", count: 81))], "Trigger name too long: 81"),
            ([("catchup", "sometimes")], "catchup must be none, one or all: sometimes"),
            ([("max_files", "0")], "max_files must be an integer >= 1: 0"),
            ([("max_files", "many")], "max_files must be an integer >= 1: many"),
            ([("watch_mode", "magic")], "watch_mode must be inotify, poll or auto: magic"),
            ([("settle", "soon")], "settle must be given as `<int> <s|m|h|d>` and be greater than 0 seconds"),
            ([("move_processed", "maybe")], "Invalid value for move_processed: maybe (expected true or false)"),
            ([("basedir", "relative")], "basedir must be an absolute path: relative"),
            ([("priority", "1.5")], "Invalid priority: 1.5"),
        ] as [([(String, String)], String)])
    func ourChecks(override: [(String, String)], message: String) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            var fields: [String: String] = [
                "trigger": "t", "workflow_script": try Self.script(harness), "workflow_args": "[]", "interval": "5s",
                "file_patterns": "[\"/data/*.txt\"]",
            ]
            for (k, v) in override { fields[k] = v }
            let reply = try await api.form(
                .post, "/ensembles/e/triggers/file_pattern",
                fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            #expect(reply.status == 400)
            #expect(reply.message == message)
        }
    }

    /// Cron expressions and time zones are checked by TriggerKit, whose wording may still change: the request is
    /// refused with 400 and the message names the offending value.
    @Test(
        arguments: [
            ([("cron", "0 * * * *"), ("timezone", "Mars/Olympus_Mons")], "Mars/Olympus_Mons"),
            ([("cron", "61 * * * *")], "61"),
            ([("cron", "every day")], "every"),
        ] as [([(String, String)], String)])
    func invalidCronOrTimeZone(fields: [(String, String)], mentions: String) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let reply = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [("trigger", "t"), ("workflow_script", try Self.script(harness))] + fields)
            #expect(reply.status == 400)
            #expect(reply.message?.contains(mentions) == true, "\(reply.body)")
            #expect(harness.triggers.events.isEmpty)
        }
    }

    @Test func cronExpressionInsteadOfInterval() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let reply = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [
                    ("trigger", "nightly"), ("workflow_script", try Self.script(harness)), ("cron", "30 2 * * *"),
                    ("timezone", "Europe/Berlin"), ("catchup", "one"),
                ])
            #expect(reply.status == 201, "\(reply.body)")
            let args = try await api.get("/ensembles/e/triggers/nightly").object["args"] as? [String: Any]
            #expect(args?["cron"] as? String == "30 2 * * *")
            #expect(args?["timezone"] as? String == "Europe/Berlin")
            #expect(args?["catchup"] as? String == "one")
            #expect(args?["interval"] is NSNull)
        }
    }

    @Test func longestTriggerNameIsAccepted() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let name = String(repeating: "t", count: 80)
            let reply = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [("trigger", name), ("workflow_script", try Self.script(harness)), ("interval", "5s")])
            #expect(reply.status == 201, "\(reply.body)")
        }
    }

    // MARK: - Create, read, delete

    @Test func cronTriggerRoundTrip() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let script = try Self.script(harness)
            let reply = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [
                    ("trigger", "hourly"), ("workflow_script", script), ("workflow_args", "[\"a b\", \"--x\"]"),
                    ("interval", "10 s"), ("timeout", "1m"), ("type", "FILE_PATTERN"),
                ])
            #expect(reply.status == 201)
            #expect(reply.message == "created")
            #expect(reply.headers[.location] == "/ensembles/e/triggers/hourly", "relative, as Pegasus answers")
            #expect(harness.triggers.events == ["start e.hourly"], "a new trigger starts at once")

            let t = try await api.get("/ensembles/e/triggers/hourly")
            #expect(t.status == 200)
            let o = t.object
            let ensembleID = try await harness.store.ensemble(named: "e").id
            #expect(o["name"] as? String == "hourly")
            #expect(o["type"] as? String == "CRON", "the `type` field the Pegasus client sends is ignored")
            #expect(o["state"] as? String == "RUNNING")
            #expect((o["ensemble_id"] as? Int).map(Int64.init) == ensembleID)
            #expect(o["id"] is Int)
            let workflow = o["workflow"] as? [String: Any]
            #expect(workflow?["script"] as? String == script)
            #expect(workflow?["args"] as? [String] == ["a b", "--x"])
            let args = o["args"] as? [String: Any]
            #expect(args?["interval"] as? Int == 10)
            #expect(args?["timeout"] as? Int == 60)
            #expect(args?["file_patterns"] == nil)
            // Live details from the trigger engine and the submission history are part of the detail view.
            #expect(o["watched_roots"] as? [String] == ["/data"])
            #expect(o["pending_files"] as? Int == 3)
            #expect((o["submissions"] as? [Any])?.isEmpty == true)
            let deadline = try #require(o["deadline"] as? Double)
            let created = try #require(o["created"] as? Double)
            #expect(abs(deadline - created - 60) < 0.001, "the timeout is an absolute deadline")

            let list = try await api.get("/ensembles/e/triggers")
            #expect(list.status == 200)
            #expect(list.array.map { $0["name"] as? String } == ["hourly"])
        }
    }

    @Test func cronTriggerWithoutTimeoutHasNullTimeout() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let reply = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [("trigger", "t"), ("workflow_script", try Self.script(harness)), ("interval", "2m")])
            #expect(reply.status == 201)
            let body = try await api.get("/ensembles/e/triggers/t").body
            #expect(body.contains("\"timeout\": null"))
            #expect(body.contains("\"args\": []"), "workflow_args defaults to an empty list")
        }
    }

    @Test func filePatternTriggerWithJSONBody() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let reply = try await api.json(
                .post, "/ensembles/e/triggers/file-pattern",
                [
                    "trigger": "files", "workflow_script": try Self.script(harness), "workflow_args": ["-v"],
                    "interval": "30s", "file_patterns": ["/data/*.txt", "/data/**/*.csv"], "max_files": 50,
                    "move_processed": true,
                ])
            #expect(reply.status == 201, "\(reply.body)")
            let o = try await api.get("/ensembles/e/triggers/files").object
            #expect(o["type"] as? String == "FILE_PATTERN")
            let args = o["args"] as? [String: Any]
            #expect(args?["file_patterns"] as? [String] == ["/data/*.txt", "/data/**/*.csv"])
            #expect(args?["interval"] as? Int == 30)
            #expect(args?["max_files"] as? Int == 50)
            #expect(args?["move_processed"] as? Bool == true)
            #expect((o["workflow"] as? [String: Any])?["args"] as? [String] == ["-v"])
        }
    }

    @Test func duplicateTriggerIs409() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let fields = [("trigger", "t"), ("workflow_script", try Self.script(harness)), ("interval", "5s")]
            #expect(try await api.form(.post, "/ensembles/e/triggers/cron", fields).status == 201)
            let reply = try await api.form(.post, "/ensembles/e/triggers/cron", fields)
            #expect(reply.status == 409)
            #expect(reply.message == "Trigger t already exists in ensemble e")
            #expect(harness.triggers.events == ["start e.t"])
            // A stopped trigger's name can be used again (Pegasus deletes stopped triggers); the stopped one stays
            // in the history as `t@<id>`.
            let first = try await api.get("/ensembles/e/triggers/t").object["id"] as? Int
            #expect(try await api.delete("/ensembles/e/triggers/t").status == 202)
            #expect(try await api.form(.post, "/ensembles/e/triggers/cron", fields).status == 201)
            let again = try await api.get("/ensembles/e/triggers/t").object
            #expect(again["state"] as? String == "RUNNING")
            #expect(again["id"] as? Int != first)
            let old = try await api.get("/ensembles/e/triggers/t@\(first ?? 0)").object
            #expect(old["state"] as? String == "STOPPED")
        }
    }

    @Test func unknownEnsembleOrTriggerIs404() async throws {
        try await APIHarness.with { harness, api in
            let list = try await api.get("/ensembles/nope/triggers")
            #expect(list.status == 404, "Pegasus answers [] with 200 here")
            #expect(list.message == "No such ensemble: nope")
            let create = try await api.form(.post, "/ensembles/nope/triggers/cron", [("trigger", "")])
            #expect(create.status == 404)
            #expect(create.message == "No such ensemble: nope")
            let delete = try await api.delete("/ensembles/nope/triggers/t")
            #expect(delete.status == 404)
            #expect(delete.message == "No such ensemble: nope")

            try await api.createEnsemble("e")
            for (method, uri) in [("GET", "/ensembles/e/triggers/t"), ("DELETE", "/ensembles/e/triggers/t")] {
                let reply = try await api.send(.init(method)!, uri)
                #expect(reply.status == 404)
                #expect(reply.message == "No such trigger: t assigned to ensemble: e")
            }
            let kind = try await api.form(
                .post, "/ensembles/e/triggers/weekly",
                [("trigger", "t"), ("workflow_script", try Self.script(harness)), ("interval", "5s")])
            #expect(kind.status == 404)
            #expect(kind.message == "No such trigger type: weekly (use cron or file_pattern)")
        }
    }

    @Test func deleteMarksTheTriggerStopped() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let created = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [("trigger", "t"), ("workflow_script", try Self.script(harness)), ("interval", "5s")])
            try #require(created.status == 201)
            let id = try await harness.store.trigger(ensemble: "e", name: "t").1.id!
            let reply = try await api.delete("/ensembles/e/triggers/t")
            #expect(reply.status == 202)
            #expect(reply.message == "ensemble: e, trigger: t marked for deletion")
            #expect(harness.triggers.events == ["start e.t", "stop \(id)"], "stopped before the answer")
            let t = try await api.get("/ensembles/e/triggers/t").object
            #expect(t["state"] as? String == "STOPPED")
            #expect(t["reason"] as? String == "stopped by the user")
            #expect(t["next_fire"] is NSNull)
            // Deleting again is harmless and keeps the first reason.
            #expect(try await api.delete("/ensembles/e/triggers/t").status == 202)
            #expect(try await harness.store.trigger(ensemble: "e", name: "t").1.reason == "stopped by the user")
        }
    }

    @Test func deletingAnExpiredTriggerKeepsItsState() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let created = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [("trigger", "t"), ("workflow_script", try Self.script(harness)), ("interval", "5s")])
            try #require(created.status == 201)
            try await harness.setTriggerState("e", "t", .expired)
            #expect(try await api.delete("/ensembles/e/triggers/t").status == 202)
            #expect(try await harness.store.trigger(ensemble: "e", name: "t").1.state == .expired)
        }
    }
}
