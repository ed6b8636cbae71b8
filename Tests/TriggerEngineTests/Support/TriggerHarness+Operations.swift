import EMTestSupport
import Foundation
import GRDB

/// The operator's verbs on a trigger (issue 14), through the real server's REST API.
extension TriggerHarness {
    /// POST /ensembles/e/triggers/T/<verb> (`pause`, `resume`, `fire`): the status and the JSON answer.
    @discardableResult
    func verb(_ verb: String, _ name: String) async throws -> (status: Int, json: [String: Any]) {
        let r = try await TestHTTP.send("POST", url + "/ensembles/\(ensemble)/triggers/\(name)/\(verb)")
        return (r.status, r.json ?? [:])
    }

    /// PUT /ensembles/e/triggers/T with a JSON body.
    @discardableResult
    func update(_ name: String, _ fields: [String: Any]) async throws -> (status: Int, json: [String: Any]) {
        let r = try await TestHTTP.send("PUT", url + "/ensembles/\(ensemble)/triggers/\(name)", json: fields)
        return (r.status, r.json ?? [:])
    }

    /// GET /ensembles/e/triggers/T/preview?n=N.
    func preview(_ name: String, n: Int? = nil) async throws -> (status: Int, json: [String: Any]) {
        let query = n.map { "?n=\($0)" } ?? ""
        let r = try await TestHTTP.send("GET", url + "/ensembles/\(ensemble)/triggers/\(name)/preview\(query)")
        return (r.status, r.json ?? [:])
    }

    /// The trigger's history from its detail, latest first.
    func history(_ name: String) async throws -> [[String: Any]] {
        try await trigger(name)["history"] as? [[String: Any]] ?? []
    }

    /// The events of the trigger's history, oldest first.
    func events(_ name: String) async throws -> [String] {
        try await history(name).compactMap { $0["event"] as? String }.reversed()
    }

    /// The states of the workflows a trigger submitted, oldest first.
    func workflowStates(_ triggerID: Int64) throws -> [String] {
        try read { db in
            try String.fetchAll(
                db, sql: "SELECT state FROM workflow WHERE trigger_id = ? ORDER BY id", arguments: [triggerID])
        }
    }

    /// A script in the work directory: `#!/bin/sh` and `body`.
    func script(_ name: String, _ body: String) throws -> String {
        try work.write(name, "#!/bin/sh\n\(body)\n", executable: true)
    }

    /// Writes `count` files `<dir>/<prefix><n>.dat` and returns their paths.
    func writeFiles(_ dir: String, prefix: String, count: Int) throws -> [String] {
        try FileWriter.mkdirs(dir)
        return try (0..<count).map { n in
            let path = dir + "/\(prefix)\(n).dat"
            try FileWriter.write(path, "file \(n)\n")
            return path
        }
    }
}
