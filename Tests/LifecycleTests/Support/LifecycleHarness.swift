import EMTestSupport
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One history entry of a workflow, as the API shows it.
struct Transition: Equatable, CustomStringConvertible {
    var from: String?
    var to: String
    var reason: String?
    var time: Double

    var description: String { "\(from ?? "-")→\(to) (\(reason ?? ""))" }
}

/// A workflow as the API's detail view shows it.
struct WorkflowView {
    var json: [String: Any]

    var state: String { json["state"] as? String ?? "?" }
    var reason: String? { json["reason"] as? String }
    var submitdir: String? { json["submitdir"] as? String }
    var wfUUID: String? { json["wf_uuid"] as? String }
    var priority: Int? { json["priority"] as? Int }
    var log: String? { json["log"] as? String }
    var history: [Transition] {
        (json["history"] as? [[String: Any]] ?? []).map { h in
            Transition(
                from: h["from"] as? String, to: h["to"] as? String ?? "?", reason: h["reason"] as? String,
                time: h["time"] as? Double ?? 0)
        }
    }
    /// The sequence of states entered, starting with READY.
    var states: [String] { history.map(\.to) }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
}

/// A real `pegasus-em server` (own HOME, the Pegasus simulator first on PATH) with a basedir holding a workflow
/// file and plan scripts, plus the API calls the lifecycle tests make.
///
/// `EM_INTERVAL` defaults to 30 s, so every transition a test waits for must come from the event-driven
/// wake-ups (submit, edit, process exit, master DB change), never from the safety-net interval.
final class Harness: @unchecked Sendable {
    let server: TestServer
    let base: TemporaryDirectory

    /// The simulator's default timings are slowed down for realism; tests mostly want short runs.
    static let fast = ["--sim-start-delay", "0.05", "--sim-duration", "0.15"]

    init(settings: [String: String] = [:]) throws {
        var all = ["EM_INTERVAL": "30"]
        for (k, v) in settings { all[k] = v }
        server = try TestServer(settings: all)
        base = try TemporaryDirectory(prefix: "lifecycle-base")
        try base.write(
            "wf.yml",
            """
            pegasus: "5.0"
            name: diamond
            jobs:
              - type: job
                name: preprocess
                id: ID0000001
            """)
        // The documented plan script: pegasus-plan with the user's extra arguments (the simulator's knobs).
        try base.write(
            "plan.sh",
            "#!/bin/sh\nexec pegasus-plan --dir submit --sites condorpool --output-sites local wf.yml \"$@\"\n",
            executable: true)
        try server.start()
    }

    deinit {
        server.stop()
        base.remove()
    }

    var url: String { server.baseURL }
    var home: String { server.home.path }

    /// Writes an executable script into the basedir.
    @discardableResult
    func script(_ name: String, _ body: String) throws -> String {
        try base.write(name, body, executable: true)
    }

    // MARK: - API

    func createEnsemble(_ name: String, maxPlanning: Int = 1, maxRunning: Int = 1) async throws {
        let r = try await TestHTTP.send(
            "POST", url + "/ensembles",
            form: ["name": name, "max_planning": "\(maxPlanning)", "max_running": "\(maxRunning)"])
        guard r.status == 201 else { throw HarnessError(description: "create ensemble \(name): \(r.status) \(r.body)") }
    }

    /// Submits a workflow whose plan command is `plan.sh` (in the basedir) with `args`, or `argv` when given.
    @discardableResult
    func submit(
        _ ensemble: String, _ name: String, args: [String] = fast, argv: [String]? = nil, priority: Int = 0
    ) async throws -> TestResponse {
        let command = argv ?? ([base.file("plan.sh")] + args)
        let r = try await TestHTTP.send(
            "POST", url + "/ensembles/\(ensemble)/workflows",
            json: ["name": name, "priority": "\(priority)", "basedir": base.path, "plan_argv": command])
        guard r.status == 201 else {
            throw HarnessError(description: "submit \(ensemble).\(name): \(r.status) \(r.body)")
        }
        return r
    }

    func workflow(_ ensemble: String, _ name: String) async throws -> WorkflowView {
        let r = try await TestHTTP.send("GET", url + "/ensembles/\(ensemble)/workflows/\(name)")
        guard r.status == 200, let json = r.json else {
            throw HarnessError(description: "get \(ensemble).\(name): \(r.status) \(r.body)")
        }
        return WorkflowView(json: json)
    }

    /// The summaries of an ensemble's workflows (name → state).
    func states(_ ensemble: String) async throws -> [String: String] {
        let r = try await TestHTTP.send("GET", url + "/ensembles/\(ensemble)/workflows")
        guard r.status == 200, let list = r.jsonArray else {
            throw HarnessError(description: "list \(ensemble): \(r.status) \(r.body)")
        }
        var result: [String: String] = [:]
        for w in list { result[w["name"] as? String ?? "?"] = w["state"] as? String ?? "?" }
        return result
    }

    /// POST state and/or priority to a workflow.
    @discardableResult
    func update(_ ensemble: String, _ name: String, state: String? = nil, priority: Int? = nil) async throws
        -> TestResponse
    {
        var form: [String: String] = [:]
        if let state { form["state"] = state }
        if let priority { form["priority"] = "\(priority)" }
        return try await TestHTTP.send("POST", url + "/ensembles/\(ensemble)/workflows/\(name)", form: form)
    }

    @discardableResult
    func setEnsemble(_ ensemble: String, state: String? = nil, maxRunning: Int? = nil) async throws -> TestResponse {
        var form: [String: String] = [:]
        if let state { form["state"] = state }
        if let maxRunning { form["max_running"] = "\(maxRunning)" }
        return try await TestHTTP.send("POST", url + "/ensembles/\(ensemble)", form: form)
    }

    /// Waits until the workflow is in one of `states`, polling every 25 ms.
    @discardableResult
    func wait(
        _ ensemble: String, _ name: String, for states: Set<String>, timeout: Double = 20,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> WorkflowView {
        let deadline = Date().addingTimeInterval(timeout)
        var last = try await workflow(ensemble, name)
        while !states.contains(last.state) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(25))
            last = try await workflow(ensemble, name)
        }
        if !states.contains(last.state) {
            let message =
                "\(ensemble).\(name) is \(last.state), not \(states.sorted()) after \(timeout) s; history: "
                + "\(last.history); server log:\n\(server.log.suffix(3000))"
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
            throw HarnessError(description: "timed out waiting for \(ensemble).\(name)")
        }
        return last
    }

    /// Waits until `condition` holds, polling every 25 ms.
    func until(timeout: Double = 20, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        if try await condition() { return }
        throw HarnessError(description: "timed out waiting for \(what)")
    }

    /// The workflow log (`~/.pegasus/ensembles/E/W.log`).
    func log(_ ensemble: String, _ name: String) -> String {
        (try? String(contentsOfFile: "\(home)/.pegasus/ensembles/\(ensemble)/\(name).log", encoding: .utf8)) ?? ""
    }

    /// Writes what pegasus-monitord would for a run of `uuid` (for runs planned with `--sim-no-monitord`): its
    /// master_workflow row, WORKFLOW_STARTED at `started` and WORKFLOW_TERMINATED with `status` at `ended`.
    func recordTermination(uuid: String, status: Int, started: Double, ended: Double) async throws {
        let master = try DatabaseQueue(path: home + "/.pegasus/workflow.db")
        try await master.write { db in
            try db.execute(
                sql: "INSERT INTO master_workflow (wf_uuid, dax_label, archived) VALUES (?, 'test', 0)",
                arguments: [uuid])
            let id = db.lastInsertedRowID
            try db.execute(
                sql: """
                    INSERT INTO master_workflowstate (wf_id, state, timestamp, restart_count, status)
                    VALUES (?, 'WORKFLOW_STARTED', ?, 0, NULL), (?, 'WORKFLOW_TERMINATED', ?, 0, ?)
                    """, arguments: [id, started, id, ended, status])
        }
    }

    /// Runs the `pegasus-em` client against this server.
    func client(_ args: [String]) throws -> ProcessResult {
        var env = server.environment
        env["EM_PORT"] = "\(server.port)"
        env["EM_HOST"] = "127.0.0.1"
        return try ProcessRunner.run([Binaries.path("pegasus-em")] + args, environment: env, directory: base.path)
    }
}

// MARK: - Processes

/// Whether a process exists (and is not a zombie).
func processExists(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// The pids of live processes in process group `pgid`.
func processGroupMembers(_ pgid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard processExists(pid) else { return false }
        return getpgid(pid) == pgid
    }
}

/// The pids of live processes whose command line contains `needle`.
func processes(matching needle: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard processExists(pid),
            let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
        else { return false }
        let cmdline = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return cmdline.contains(needle)
    }
}
