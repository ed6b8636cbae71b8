import EnsembleCore
import EnsembleServer
import EnsembleStore
import Foundation
import GRDB
import HTTPTypes
import Testing

/// `/ensembles` and `/ensembles/<e>`: Pegasus' validation rules and messages with our status codes
/// (400 invalid, 404 unknown, 409 duplicate or conflict), and the operations Pegasus lacks (hold, delete).
@Suite(.timeLimit(.minutes(1)))
struct EnsembleRoutesTests {
    // MARK: - Create

    @Test func createWithDefaults() async throws {
        try await APIHarness.with { _, api in
            let reply = try await api.form(.post, "/ensembles", [("name", "myruns")])
            #expect(reply.status == 201)
            #expect(reply.object["message"] as? String == "created")
            let e = try await api.get("/ensembles/myruns")
            #expect(e.status == 200)
            #expect(e.object["state"] as? String == "ACTIVE")
            #expect(e.object["max_planning"] as? Int == 1)
            #expect(e.object["max_running"] as? Int == 1)
        }
    }

    @Test func createWithLimits() async throws {
        try await APIHarness.with { _, api in
            try await api.createEnsemble("limits", [("max_planning", "3"), ("max_running", " 12 ")])
            let e = try await api.get("/ensembles/limits").object
            #expect(e["max_planning"] as? Int == 3)
            #expect(e["max_running"] as? Int == 12)
        }
    }

    @Test(
        "invalid ensemble creation: status and Pegasus message",
        arguments: [
            ([], 400, "Specify ensemble name"),
            ([("name", "")], 400, "Specify ensemble name"),
            ([("name", String(repeating: "n", count: 100))], 400, "Ensemble name too long: 100"),
            ([("name", String(repeating: "n", count: 250))], 400, "Ensemble name too long: 250"),
            ([("name", "my.runs")], 400, "Invalid ensemble name: my.runs"),
            ([("name", "my runs")], 400, "Invalid ensemble name: my runs"),
            ([("name", "runs/x")], 400, "Invalid ensemble name: runs/x"),
            ([("name", "ensémble")], 400, "Invalid ensemble name: ensémble"),
            ([("name", "a"), ("max_planning", "x")], 400, "Invalid value for max_planning: x"),
            ([("name", "a"), ("max_planning", "1.5")], 400, "Invalid value for max_planning: 1.5"),
            ([("name", "a"), ("max_planning", "")], 400, "Invalid value for max_planning: "),
            ([("name", "a"), ("max_planning", "0")], 400, "Value for max_planning must be >= 1: 0"),
            ([("name", "a"), ("max_planning", "-2")], 400, "Value for max_planning must be >= 1: -2"),
            ([("name", "a"), ("max_running", "abc")], 400, "Invalid value for max_running: abc"),
            ([("name", "a"), ("max_running", "0")], 400, "Value for max_running must be >= 1: 0"),
            ([("name", "a"), ("max_running", "-1")], 400, "Value for max_running must be >= 1: -1"),
        ] as [([(String, String)], Int, String)])
    func invalidCreate(fields: [(String, String)], status: Int, message: String) async throws {
        try await APIHarness.with { harness, api in
            let reply = try await api.form(.post, "/ensembles", fields)
            #expect(reply.status == status)
            #expect(reply.message == message)
            #expect(reply.headers[.contentType] == "application/json")
            #expect(try await harness.store.ensembles().isEmpty, "nothing is stored")
        }
    }

    @Test func longestAndOddValidNames() async throws {
        try await APIHarness.with { _, api in
            for name in [String(repeating: "n", count: 99), "A-z_0-9", "-", "_"] {
                let reply = try await api.form(.post, "/ensembles", [("name", name)])
                #expect(reply.status == 201, "\(name): \(reply.body)")
            }
        }
    }

    @Test func duplicateEnsembleIs409() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("dup", [("max_running", "5")])
            let reply = try await api.form(.post, "/ensembles", [("name", "dup"), ("max_running", "7")])
            #expect(reply.status == 409)
            #expect(reply.message == "Ensemble dup already exists")
            let stored = try await harness.store.ensembles()
            #expect(stored.count == 1)
            #expect(stored.first?.maxRunning == 5, "the first ensemble is untouched")
        }
    }

    @Test func createWithJSONBody() async throws {
        try await APIHarness.with { _, api in
            let reply = try await api.json(
                .post, "/ensembles", ["name": "fromjson", "max_planning": 2, "max_running": "4"])
            #expect(reply.status == 201)
            let e = try await api.get("/ensembles/fromjson").object
            #expect(e["max_planning"] as? Int == 2)
            #expect(e["max_running"] as? Int == 4)

            let zero = try await api.json(.post, "/ensembles", ["name": "j2", "max_running": 0])
            #expect(zero.status == 400)
            #expect(zero.message == "Value for max_running must be >= 1: 0")
            let fraction = try await api.json(.post, "/ensembles", ["name": "j3", "max_planning": 1.5])
            #expect(fraction.status == 400)
            #expect(fraction.message == "Invalid value for max_planning: 1.5")
            let missing = try await api.json(.post, "/ensembles", ["nom": "x"])
            #expect(missing.status == 400)
            #expect(missing.message == "Specify ensemble name")
        }
    }

    @Test func malformedBodies() async throws {
        try await APIHarness.with { _, api in
            let badJSON = try await api.send(.post, "/ensembles", body: "{\"name\": ", contentType: "application/json")
            #expect(badJSON.status == 400)
            #expect(badJSON.message == "The request body is not a JSON object")
            let array = try await api.send(.post, "/ensembles", body: "[1]", contentType: "application/json")
            #expect(array.status == 400)
            #expect(array.message == "The request body is not a JSON object")
            let xml = try await api.send(.post, "/ensembles", body: "<name/>", contentType: "text/xml")
            #expect(xml.status == 400)
            #expect(
                xml.message
                    == "Unsupported content type text/xml: send application/x-www-form-urlencoded or application/json")
            // JSON without a content type is recognised by its first byte.
            let sniffed = try await api.send(.post, "/ensembles", body: "{\"name\": \"sniffed\"}")
            #expect(sniffed.status == 201)
            // A form with a charset parameter.
            let charset = try await api.send(
                .post, "/ensembles", body: "name=withcharset",
                contentType: "application/x-www-form-urlencoded; charset=utf-8")
            #expect(charset.status == 201)
        }
    }

    // MARK: - Read

    @Test func unknownEnsembleIs404() async throws {
        try await APIHarness.with { _, api in
            for (method, uri) in [
                ("GET", "/ensembles/nope"), ("POST", "/ensembles/nope"), ("PUT", "/ensembles/nope"),
                ("DELETE", "/ensembles/nope"), ("GET", "/ensembles/nope/workflows"),
            ] {
                let reply = try await api.send(.init(method)!, uri)
                #expect(reply.status == 404, "\(method) \(uri)")
                #expect(reply.message == "No such ensemble: nope", "\(method) \(uri)")
            }
        }
    }

    @Test func listInCreationOrder() async throws {
        try await APIHarness.with { _, api in
            #expect(try await api.get("/ensembles").body == "[]")
            for name in ["zeta", "alpha", "mid"] { try await api.createEnsemble(name) }
            let names = try await api.get("/ensembles").array.map { $0["name"] as? String }
            #expect(names == ["zeta", "alpha", "mid"])
        }
    }

    // MARK: - Update

    @Test(
        "state changes: any of ACTIVE, PAUSED, HELD, case-insensitive",
        arguments: [("PAUSED", "PAUSED"), ("paused", "PAUSED"), (" Held ", "HELD"), ("active", "ACTIVE")])
    func stateChange(requested: String, stored: String) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let reply = try await api.form(.post, "/ensembles/e", [("state", requested)])
            #expect(reply.status == 200)
            #expect(reply.object["state"] as? String == stored)
            #expect(try await harness.store.ensemble(named: "e").state.rawValue == stored)
            #expect(harness.workflows.events.contains("wake"), "the scheduler is woken by a state change")
        }
    }

    @Test func holdAndReleaseThroughState() async throws {
        try await APIHarness.with { _, api in
            try await api.createEnsemble("e")
            #expect(try await api.form(.post, "/ensembles/e", [("state", "HELD")]).object["state"] as? String == "HELD")
            #expect(try await api.get("/ensembles/e").object["state"] as? String == "HELD")
            // Release (activate) a held ensemble, then pause and activate again.
            #expect(
                try await api.form(.post, "/ensembles/e", [("state", "ACTIVE")]).object["state"] as? String == "ACTIVE")
            #expect(
                try await api.form(.put, "/ensembles/e", [("state", "PAUSED")]).object["state"] as? String == "PAUSED")
            #expect(
                try await api.form(.put, "/ensembles/e", [("state", "ACTIVE")]).object["state"] as? String == "ACTIVE")
        }
    }

    @Test(
        "invalid ensemble updates: 400 and nothing changes",
        arguments: [
            ([("state", "RUNNING")], "Invalid ensemble state: RUNNING"),
            ([("state", "")], "Invalid ensemble state: "),
            ([("max_running", "0")], "Value for max_running must be >= 1: 0"),
            ([("max_running", "many")], "Invalid value for max_running: many"),
            ([("max_planning", "-1")], "Value for max_planning must be >= 1: -1"),
            ([("max_planning", "2.0")], "Invalid value for max_planning: 2.0"),
            ([("max_planning", "4"), ("state", "BOGUS")], "Invalid ensemble state: BOGUS"),
        ] as [([(String, String)], String)])
    func invalidUpdate(fields: [(String, String)], message: String) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let before = try await harness.store.ensemble(named: "e")
            let reply = try await api.form(.post, "/ensembles/e", fields)
            #expect(reply.status == 400)
            #expect(reply.message == message)
            #expect(try await harness.store.ensemble(named: "e") == before)
        }
    }

    @Test func configChangesOnlyTheGivenFieldsAndBumpsUpdated() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e", [("max_planning", "2"), ("max_running", "3")])
            let before = try await harness.store.ensemble(named: "e")
            try await Task.sleep(for: .milliseconds(5))
            let reply = try await api.form(.post, "/ensembles/e", [("max_running", "9")])
            #expect(reply.status == 200)
            #expect(reply.object["max_planning"] as? Int == 2)
            #expect(reply.object["max_running"] as? Int == 9)
            #expect(reply.object["state"] as? String == "ACTIVE")
            let updated = try #require(reply.object["updated"] as? Double)
            #expect(updated > before.updated)
            // Compared as text: Foundation's JSONSerialization on Linux may be off by one ulp when parsing.
            #expect(reply.body.contains("\"created\": \(before.created),"))
            // An empty body still bumps `updated`, as in Pegasus.
            try await Task.sleep(for: .milliseconds(5))
            let empty = try await api.send(.post, "/ensembles/e")
            #expect(empty.status == 200)
            #expect(try #require(empty.object["updated"] as? Double) > updated)
            let json = try await api.json(.put, "/ensembles/e", ["max_planning": 5, "state": "held"])
            #expect(json.object["max_planning"] as? Int == 5)
            #expect(json.object["state"] as? String == "HELD")
        }
    }

    // MARK: - Delete

    @Test func deleteEnsembleWithActiveWorkflowsIs409() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w1", basedir: harness.basedir)
            try await api.submit("e", "w2", basedir: harness.basedir)
            try await harness.setState("e", "w2", .running)
            let reply = try await api.delete("/ensembles/e")
            #expect(reply.status == 409)
            #expect(reply.message == "Ensemble e has 2 active workflow(s): abort them or wait until they finish")
            #expect(try await api.get("/ensembles/e").status == 200)

            // Once every workflow has finished, the ensemble and its workflows go.
            try await harness.setState("e", "w1", .successful)
            try await harness.setState("e", "w2", .failed)
            let deleted = try await api.delete("/ensembles/e")
            #expect(deleted.status == 200)
            #expect(deleted.message == "deleted")
            #expect(try await api.get("/ensembles/e").status == 404)
            let rows = try await harness.store.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM workflow") ?? -1
            }
            #expect(rows == 0)
            let history = try await harness.store.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM workflow_history") ?? -1
            }
            #expect(history == 0)
            // The name can be used again.
            try await api.createEnsemble("e")
        }
    }

    @Test(arguments: WorkflowState.active)
    func eachActiveStateBlocksDelete(state: WorkflowState) async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir)
            try await harness.setState("e", "w", state)
            let reply = try await api.delete("/ensembles/e")
            #expect(reply.status == 409)
            #expect(reply.message == "Ensemble e has 1 active workflow(s): abort them or wait until they finish")
        }
    }

    @Test func deleteEnsembleWithRunningTriggerIs409() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let created = try await api.form(
                .post, "/ensembles/e/triggers/cron",
                [("trigger", "t"), ("workflow_script", "/bin/true"), ("workflow_args", "[]"), ("interval", "1h")])
            try #require(created.status == 201)
            let reply = try await api.delete("/ensembles/e")
            #expect(reply.status == 409)
            #expect(reply.message == "Ensemble e has 1 running or paused trigger(s): stop them first")
            #expect(try await api.delete("/ensembles/e/triggers/t").status == 202)
            #expect(try await api.delete("/ensembles/e").status == 200)
            #expect(try await api.get("/ensembles/e/triggers").status == 404)
        }
    }

    @Test func emptyEnsembleDeletes() async throws {
        try await APIHarness.with { _, api in
            try await api.createEnsemble("e")
            #expect(try await api.delete("/ensembles/e").status == 200)
            #expect(try await api.get("/ensembles").body == "[]")
        }
    }
}
