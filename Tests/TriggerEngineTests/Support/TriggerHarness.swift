import EMTestSupport
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
    import Glibc
#endif

struct TriggerTestError: Error, CustomStringConvertible {
    var description: String
}

/// A tick of a time trigger as the store recorded it (`trigger_fire`).
struct Fire: Equatable, CustomStringConvertible {
    /// The scheduled time of the tick.
    var tick: Double
    /// When the submission transaction ran.
    var time: Double
    var workflow: String

    var lateness: Double { time - tick }
    var description: String { "tick \(tick) at +\(String(format: "%.3f", lateness)) s → \(workflow)" }
}

/// A workflow a trigger submitted, as the store has it.
struct SubmittedWorkflow {
    var name: String
    var created: Double
    var argv: [String]

    /// The files after `--inputs`.
    var inputs: [String] {
        guard let i = argv.firstIndex(of: "--inputs") else { return [] }
        return Array(argv[(i + 1)...])
    }
}

/// A row of a file trigger's ledger (`trigger_file`).
struct LedgerRow {
    var path: String
    var size: Int64
    var mtimeNanoseconds: Int64
    var workflow: String
    var recorded: Double
}

/// A real `pegasus-em server` (own HOME, `EM_INTERVAL` 300 s so only event-driven wake-ups count), an ensemble `e`
/// with room to plan many workflows at once, a work directory, and a plan script that exits 1 at once (so the
/// submitted workflows end PLAN_FAILED without the simulator). The trigger tests look at what the server submitted
/// through its API and by reading its store (`~/.pegasus/em.db`) read-only.
final class TriggerHarness: @unchecked Sendable {
    let server: TestServer
    let work: TemporaryDirectory
    /// The workflow script: `#!/bin/sh\nexit 1`.
    let script: String
    let ensemble = "e"

    init(settings: [String: String] = [:]) async throws {
        var all = ["EM_INTERVAL": "300"]
        for (k, v) in settings { all[k] = v }
        server = try TestServer(settings: all)
        work = try TemporaryDirectory(prefix: "trigger-test")
        script = try work.write("plan.sh", "#!/bin/sh\nexit 1\n", executable: true)
        try await startServer()
        let r = try await TestHTTP.send(
            "POST", server.baseURL + "/ensembles",
            form: ["name": ensemble, "max_planning": "100", "max_running": "100"])
        guard r.status == 201 else { throw TriggerTestError(description: "create ensemble: \(r.status) \(r.body)") }
    }

    deinit {
        // A SIGTERMed server exits in a few milliseconds; waiting here keeps no process or directory behind.
        server.stop()
        work.remove()
    }

    // MARK: - Server process (blocking calls on their own threads)

    /// Starts the server (again, on the same port) and waits until it listens.
    func startServer() async throws {
        try await onThread { [server] in try server.start() }
    }

    /// Kills the server with SIGKILL.
    func crashServer() async throws {
        try await onThread { [server] in server.crash() }
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    func stopServer() async throws {
        try await onThread { [server] in _ = server.stop() }
    }

    var url: String { server.baseURL }
    var databasePath: String { server.home.path + "/.pegasus/em.db" }

    /// A path in the work directory.
    func path(_ name: String) -> String { work.file(name) }

    // MARK: - API

    /// Creates a trigger with a JSON body; `kind` is `cron` or `file_pattern`. Returns its id.
    @discardableResult
    func create(
        _ kind: String, _ name: String, _ fields: [String: Any], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Int64 {
        var body: [String: Any] = ["trigger": name, "workflow_script": script, "basedir": work.path]
        for (k, v) in fields { body[k] = v }
        let r = try await TestHTTP.send("POST", url + "/ensembles/\(ensemble)/triggers/\(kind)", json: body)
        guard r.status == 201 else {
            throw TriggerTestError(description: "create trigger \(name): \(r.status) \(r.body)")
        }
        return try await id(name)
    }

    /// A file-pattern trigger (interval 1 s unless given).
    @discardableResult
    func fileTrigger(_ name: String, patterns: [String], mode: String, _ fields: [String: Any] = [:]) async throws
        -> Int64
    {
        var all: [String: Any] = ["file_patterns": patterns, "interval": "1s", "watch_mode": mode]
        for (k, v) in fields { all[k] = v }
        return try await create("file_pattern", name, all)
    }

    /// GET /ensembles/e/triggers/T.
    func trigger(_ name: String) async throws -> [String: Any] {
        let r = try await TestHTTP.send("GET", url + "/ensembles/\(ensemble)/triggers/\(name)")
        guard r.status == 200, let json = r.json else {
            throw TriggerTestError(description: "get trigger \(name): \(r.status) \(r.body)")
        }
        return json
    }

    /// GET /ensembles/e/triggers.
    func triggers() async throws -> [[String: Any]] {
        let r = try await TestHTTP.send("GET", url + "/ensembles/\(ensemble)/triggers")
        guard r.status == 200, let list = r.jsonArray else {
            throw TriggerTestError(description: "list triggers: \(r.status) \(r.body)")
        }
        return list
    }

    func id(_ name: String) async throws -> Int64 {
        guard let id = try await trigger(name)["id"] as? Int else {
            throw TriggerTestError(description: "trigger \(name) has no id")
        }
        return Int64(id)
    }

    /// DELETE /ensembles/e/triggers/T; returns the status and the time the answer arrived.
    func stop(_ name: String) async throws -> (status: Int, answered: Double) {
        let r = try await TestHTTP.send("DELETE", url + "/ensembles/\(ensemble)/triggers/\(name)")
        return (r.status, Date().timeIntervalSince1970)
    }

    // MARK: - Store (read-only)

    /// Reads the server's store with a fresh read-only connection (so every call sees the latest commit).
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: databasePath, configuration: configuration)
        return try queue.read(body)
    }

    /// Writes to the server's store (fault injection only).
    func write(_ sql: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: databasePath, configuration: configuration)
        try queue.write { db in try db.execute(sql: sql) }
    }

    /// The ticks a time trigger fired, oldest first.
    func fires(_ triggerID: Int64) throws -> [Fire] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT tick, time, workflow_name FROM trigger_fire WHERE trigger_id = ? ORDER BY tick",
                arguments: [triggerID]
            ).map { Fire(tick: $0["tick"], time: $0["time"], workflow: $0["workflow_name"]) }
        }
    }

    /// The workflows a trigger submitted, oldest first.
    func workflows(_ triggerID: Int64) throws -> [SubmittedWorkflow] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT name, created, plan_argv FROM workflow WHERE trigger_id = ? ORDER BY id",
                arguments: [triggerID]
            ).map { row in
                let json: String = row["plan_argv"]
                let argv = (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
                return SubmittedWorkflow(name: row["name"], created: row["created"], argv: argv)
            }
        }
    }

    /// How many workflows the trigger submitted.
    func workflowCount(_ triggerID: Int64) throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM workflow WHERE trigger_id = ?", arguments: [triggerID]) ?? 0
        }
    }

    /// A file trigger's ledger.
    func ledger(_ triggerID: Int64) throws -> [LedgerRow] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT path, size, mtime_ns, workflow_name, recorded FROM trigger_file WHERE trigger_id = ?
                    ORDER BY id
                    """, arguments: [triggerID]
            ).map {
                LedgerRow(
                    path: $0["path"], size: $0["size"], mtimeNanoseconds: $0["mtime_ns"], workflow: $0["workflow_name"],
                    recorded: $0["recorded"])
            }
        }
    }

    /// How many ledger rows the trigger has.
    func ledgerCount(_ triggerID: Int64) throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trigger_file WHERE trigger_id = ?", arguments: [triggerID])
                ?? 0
        }
    }

    /// Every input path the trigger's workflows received, with how many workflows received it.
    func inputCounts(_ triggerID: Int64) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for w in try workflows(triggerID) {
            for path in w.inputs { counts[path, default: 0] += 1 }
        }
        return counts
    }

    // MARK: - Waiting

    /// Waits until `condition` holds, polling every 20 ms.
    func until(
        timeout: Double = 30, _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        if try await condition() { return }
        let message = "timed out after \(timeout) s waiting for \(what())"
        Issue.record(
            Comment(rawValue: message + "\nserver log:\n" + server.log.suffix(4000)), sourceLocation: sourceLocation)
        throw TriggerTestError(description: message)
    }

    /// Waits until the files are all in the trigger's ledger.
    func untilSubmitted(
        _ triggerID: Int64, _ paths: [String], timeout: Double = 30, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await until(timeout: timeout, "\(paths) to be submitted", sourceLocation: sourceLocation) {
            let submitted = Set(try ledger(triggerID).map(\.path))
            return paths.allSatisfy(submitted.contains)
        }
    }
}

/// Seconds since 1970.
func now() -> Double { Date().timeIntervalSince1970 }

/// Sleeps until the wall-clock time `t` (seconds since 1970).
func sleep(until t: Double) async throws {
    let remaining = t - now()
    if remaining > 0 { try await Task.sleep(for: .milliseconds(Int64(remaining * 1000))) }
}

/// Whether the end-to-end tests can run (the server binary was built).
let serverBuilt = FileManager.default.isExecutableFile(atPath: Binaries.path("pegasus-em"))
