import EMTestSupport
import Foundation
import Testing

/// The real Pegasus 5.1.3 `pegasus-em` client (PyPI `pegasus-wms==5.1.3`) against our server: its commands work
/// unchanged and print exactly Pegasus' formats, and server errors appear as `ERROR: <message>` with
/// exit 1, as with Pegasus.
///
/// The client hard-codes `http://127.0.0.1:<uid + 7919>`, so every test here runs a server on that fixed port:
/// the suite is serialized, and no other suite of this package uses the port.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: PegasusClient.shouldRun))
struct PegasusClientTests {
    // MARK: - Ensembles

    @Test func ensembleCommands() async throws {
        var pegasus = try PegasusClient()
        let server = try pegasus.makeServer()
        try await server.launch()
        defer { server.stop() }

        // An empty list prints nothing at all.
        try await pegasus.expect(["ensembles"], prints: "")
        try await pegasus.expect(["create", "myruns", "-P", "2", "-R", "3"], prints: "")
        try await pegasus.expect(["c", "other"], prints: "")

        let list = try await TestHTTP.send("GET", server.baseURL + "/ensembles").jsonArray ?? []
        try #require(list.count == 2)
        let row = { (e: [String: Any]) in
            PegasusClient.ensembleRow(
                e["name"] as! String, e["state"] as! String, PegasusClient.formatts(e["created"] as! Double),
                PegasusClient.formatts(e["updated"] as! Double), "\(e["max_planning"] as! Int)",
                "\(e["max_running"] as! Int)")
        }
        let expected =
            [PegasusClient.ensembleRow("NAME", "STATE", "CREATED", "UPDATED", "MAX PLANNING", "MAX RUNNING")]
            + list.map(row)
        try await pegasus.expect(["ensembles"], prints: expected.joined(separator: "\n") + "\n")
        #expect(expected[1].hasPrefix("myruns               ACTIVE   20"))
        #expect(expected[1].hasSuffix(" UTC             2            3"))

        try await pegasus.expect(["pause", "myruns"], prints: "State: PAUSED\n")
        try await pegasus.expect(["activate", "myruns"], prints: "State: ACTIVE\n")
        try await pegasus.expect(["config", "myruns", "-P", "4"], prints: "Max Planning: 4\nMax Running: 3\n")
        try await pegasus.expect(
            ["config", "myruns", "-R", "5", "-P", "6"], prints: "Max Planning: 6\nMax Running: 5\n")
        let e = try await TestHTTP.send("GET", server.baseURL + "/ensembles/myruns").json
        #expect(e?["max_planning"] as? Int == 6)
        #expect(e?["max_running"] as? Int == 5)

        try await pegasus.expectError(["create", "myruns"], "Ensemble myruns already exists")
        try await pegasus.expectError(["create", "bad.name"], "Invalid ensemble name: bad.name")
        try await pegasus.expectError(
            ["create", String(repeating: "x", count: 120)], "Ensemble name too long: 120")
        try await pegasus.expectError(["create", "zero", "-P", "0"], "Value for max_planning must be >= 1: 0")
        try await pegasus.expectError(["create", "zero", "-R", "-1"], "Value for max_running must be >= 1: -1")
        try await pegasus.expectError(["pause", "nope"], "No such ensemble: nope")
        try await pegasus.expectError(["config", "nope", "-P", "2"], "No such ensemble: nope")
        #expect(try await TestHTTP.send("GET", server.baseURL + "/ensembles").jsonArray?.count == 2)
    }

    // MARK: - Workflows

    @Test func workflowCommands() async throws {
        var pegasus = try PegasusClient()
        let server = try pegasus.makeServer()
        try await server.launch()
        defer { server.stop() }
        let workdir = try pegasus.workdir()

        try await pegasus.expect(["create", "myruns"], prints: "")
        // Paused: whatever the scheduler does, these workflows stay READY.
        try await pegasus.expect(["pause", "myruns"], prints: "State: PAUSED\n")
        try await pegasus.expect(["workflows", "myruns"], prints: "")

        try await pegasus.expect(
            ["submit", "-p", "5", "myruns.run1", "./plan.sh", "arg1", "a b"], prints: "", in: workdir)
        try await pegasus.expect(["sub", "myruns.run2", "/bin/echo", "$HOME", "`id`"], prints: "", in: workdir)

        try await pegasus.expectError(
            ["submit", "-p", "1.5", "myruns.run3", "./plan.sh"], "Invalid priority: 1.5", in: workdir)
        try await pegasus.expectError(
            ["submit", "-p", "abc", "myruns.run3", "./plan.sh"], "Invalid priority: abc", in: workdir)
        try await pegasus.expectError(
            ["submit", "myruns.run1", "./plan.sh"], "Ensemble workflow run1 already exists", in: workdir)
        try await pegasus.expectError(["submit", "nope.run1", "./plan.sh"], "No such ensemble: nope", in: workdir)
        try await pegasus.expectError(
            ["submit", "myruns.bad!", "./plan.sh"], "Invalid workflow name: bad!", in: workdir)

        // What the server stored: argv as the user typed it, nothing expanded, basedir = the client's cwd.
        let run1 = try #require(
            try await TestHTTP.send("GET", server.baseURL + "/ensembles/myruns/workflows/run1").json)
        #expect(run1["plan_argv"] as? [String] == [workdir + "/plan.sh", "arg1", "a b"])
        #expect(run1["basedir"] as? String == workdir)
        let run2 = try #require(
            try await TestHTTP.send("GET", server.baseURL + "/ensembles/myruns/workflows/run2").json)
        #expect(run2["plan_argv"] as? [String] == ["/bin/echo", "$HOME", "`id`"])

        // workflows: short table.
        let list = try await TestHTTP.send("GET", server.baseURL + "/ensembles/myruns/workflows").jsonArray ?? []
        try #require(list.count == 2)
        var table = [PegasusClient.workflowRow("NAME", "STATE", "PRIORITY", "CREATED", "UPDATED")]
        for w in list {
            table.append(
                PegasusClient.workflowRow(
                    w["name"] as! String, w["state"] as! String, "\(w["priority"] as! Int)",
                    PegasusClient.formatts(w["created"] as! Double), PegasusClient.formatts(w["updated"] as! Double)))
        }
        try await pegasus.expect(["workflows", "myruns"], prints: table.joined(separator: "\n") + "\n")
        #expect(table[1].hasPrefix("run1                 READY           5        20"))

        // workflows -l: one block per workflow.
        var long = ""
        for w in list {
            long += "ID:       \(w["id"] as! Int)\n"
            long += "Name:     \(w["name"] as! String)\n"
            long += "Created:  \(PegasusClient.formatts(w["created"] as! Double))\n"
            long += "Updated:  \(PegasusClient.formatts(w["updated"] as! Double))\n"
            long += "State:    READY\n"
            long += "Priority: \(w["priority"] as! Int)\n"
            long += "UUID:     None\n"
            long += "URL:      http://127.0.0.1:\(pegasus.port)/ensembles/myruns/workflows/\(w["name"] as! String)\n\n"
        }
        try await pegasus.expect(["w", "-l", "myruns"], prints: long)

        // status
        let status = [
            "ID:           \(run1["id"] as! Int)",
            "Name:         run1",
            "Plan Command: \"\(workdir)/plan.sh\" \"arg1\" \"a b\"",
            "Created:      \(PegasusClient.formatts(run1["created"] as! Double))",
            "Updated:      \(PegasusClient.formatts(run1["updated"] as! Double))",
            "State:        READY",
            "UUID:         ",
            "Priority:     5",
            "Base Dir:     \(workdir)",
            "Submit Dir:   ",
            "Log:          \(server.home.path)/.pegasus/ensembles/myruns/run1.log",
        ]
        try await pegasus.expect(["status", "myruns.run1"], prints: status.joined(separator: "\n") + "\n")
        try await pegasus.expectError(["st", "myruns.nope"], "No such ensemble workflow: nope")
        try await pegasus.expectError(["status", "nope.run1"], "No such ensemble: nope")

        try await pegasus.expect(["priority", "myruns.run1", "-p", "7"], prints: "Priority: 7\n")
        try await pegasus.expect(["priority", "myruns.run2", "-p", "-3"], prints: "Priority: -3\n")
        try await pegasus.expectError(["replan", "myruns.run1"], "Invalid state change: READY -> READY")
        try await pegasus.expectError(["rerun", "myruns.run1"], "Invalid state change: READY -> QUEUED")
        try await pegasus.expectError(["replan", "myruns.nope"], "No such ensemble workflow: nope")

        let analyze = try await pegasus.run(["analyze", "myruns.run1"])
        #expect(analyze.status == 0)
        #expect(analyze.stdout.hasPrefix("Workflow state is READY\n"))

        let after = try await TestHTTP.send("GET", server.baseURL + "/ensembles/myruns/workflows/run1").json
        #expect(after?["priority"] as? Int == 7)
        #expect(after?["state"] as? String == "READY")
    }

    // MARK: - Triggers

    @Test func triggerCommands() async throws {
        var pegasus = try PegasusClient()
        let server = try pegasus.makeServer()
        try await server.launch()
        defer { server.stop() }
        let workdir = try pegasus.workdir()
        let script = workdir + "/plan.sh"

        try await pegasus.expect(["create", "trig"], prints: "")
        try await pegasus.expect(["pause", "trig"], prints: "State: PAUSED\n")

        try await pegasus.expect(
            ["cron-trigger", "trig", "hourly", "10 s", script, "-t", "1m", "-a", "x y"], prints: "created\n")
        let cron = try await TestHTTP.send("GET", server.baseURL + "/ensembles/trig/triggers/hourly").json
        #expect(cron?["type"] as? String == "CRON")
        #expect((cron?["args"] as? [String: Any])?["interval"] as? Int == 10)
        #expect((cron?["args"] as? [String: Any])?["timeout"] as? Int == 60)
        #expect((cron?["workflow"] as? [String: Any])?["args"] as? [String] == ["x", "y"])
        #expect((cron?["workflow"] as? [String: Any])?["script"] as? String == script)

        try await pegasus.expect(
            ["file-pattern-trigger", "trig", "files", "5s", script, "/data/in/*.txt", "/data/in/*.csv"],
            prints: "created\n")
        let files = try await TestHTTP.send("GET", server.baseURL + "/ensembles/trig/triggers/files").json
        #expect(files?["type"] as? String == "FILE_PATTERN")
        #expect(
            (files?["args"] as? [String: Any])?["file_patterns"] as? [String] == ["/data/in/*.txt", "/data/in/*.csv"])
        #expect((files?["args"] as? [String: Any])?["timeout"] is NSNull)
        #expect((files?["workflow"] as? [String: Any])?["args"] as? [String] == [])

        try await pegasus.expectError(
            ["cron-trigger", "trig", "hourly", "1h", script], "Trigger hourly already exists in ensemble trig")
        try await pegasus.expectError(
            ["cron-trigger", "trig", "bad", "1.5h", script],
            "interval must be given as `<int> <s|m|h|d>` and be greater than 0 seconds")
        try await pegasus.expectError(
            ["cron-trigger", "trig", "bad", "5s", script, "-t", "10sec"],
            "timeout must be given as `<int> <s|m|h|d>` and be greater than 0 seconds")
        try await pegasus.expectError(
            ["cron-trigger", "trig", "bad", "5s", "relative/plan.sh"],
            "workflow_script must be given as an absolute path")
        try await pegasus.expectError(
            ["file-pattern-trigger", "trig", "bad", "5s", script, "in/*.txt"],
            "each file pattern must be given as an absolute path (e.g. '/inputs/*.txt')")
        try await pegasus.expectError(["cron-trigger", "nope", "t", "5s", script], "No such ensemble: nope")

        // Pegasus has no stop command: a raw DELETE, answered as Pegasus does.
        let stop = try await TestHTTP.send("DELETE", server.baseURL + "/ensembles/trig/triggers/hourly")
        #expect(stop.status == 202)
        #expect(stop.message == "ensemble: trig, trigger: hourly marked for deletion")
        let names = try await TestHTTP.send("GET", server.baseURL + "/ensembles/trig/triggers").jsonArray?.map {
            $0["name"] as? String
        }
        #expect(names == ["hourly", "files"])
    }

    // MARK: - Authentication

    @Test func wrongPasswordShowsBasicAuthRequired() async throws {
        var pegasus = try PegasusClient(password: "definitely-not-the-password")
        let server = try pegasus.makeServer(settings: ["AUTHENTICATION": "'PAMAuthentication'"])
        try await server.launch()
        defer { server.stop() }
        try await pegasus.expectError(["ensembles"], "Basic Auth Required")
    }
}

/// Runs the Pegasus 5.1.3 client from `$PEGASUS_VENV` (CI) or `/tmp/pegvenv` (developer machines).
struct PegasusClient {
    /// The venv with `pegasus-wms==5.1.3`, if any.
    static let venv: String? = {
        let candidates = [ProcessInfo.processInfo.environment["PEGASUS_VENV"], "/tmp/pegvenv"].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/bin/python") }
    }()

    /// `Pegasus/cli/pegasus-em.py` inside the venv.
    static let script: String? = {
        guard let venv, let lib = try? FileManager.default.contentsOfDirectory(atPath: venv + "/lib") else {
            return nil
        }
        for python in lib.sorted() where python.hasPrefix("python") {
            let path = "\(venv)/lib/\(python)/site-packages/Pegasus/cli/pegasus-em.py"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }()

    /// Run when the client is installed; in CI (where `.ci/run` installs it) a missing client is a failure.
    static var shouldRun: Bool { script != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    let python: String
    let script: String
    let password: String
    /// The port the client computes: `os.getuid() + 7919`.
    let port = Int(getuid()) + 7919
    private var home: String = ""

    init(password: String = "unused-with-NoAuthentication") throws {
        guard let venv = Self.venv, let script = Self.script else {
            throw ClientMissing()
        }
        self.python = venv + "/bin/python"
        self.script = script
        self.password = password
    }

    struct ClientMissing: Error, CustomStringConvertible {
        var description: String {
            "The Pegasus 5.1.3 client is not installed: create a venv with `pip install pegasus-wms==5.1.3` and set "
                + "PEGASUS_VENV to it (looked in $PEGASUS_VENV and /tmp/pegvenv)"
        }
    }

    /// A server on the client's fixed port; its home holds the client's USERNAME/PASSWORD too.
    mutating func makeServer(settings: [String: String] = [:]) throws -> TestServer {
        var all = [
            "EM_PORT": String(port), "USERNAME": "'\(currentUser())'", "PASSWORD": "'\(password)'",
        ]
        for (k, v) in settings { all[k] = v }
        let server = try TestServer(settings: all)
        home = server.home.path
        return server
    }

    /// A directory with an executable `plan.sh`, inside the server's home (removed with it).
    func workdir() throws -> String {
        let dir = home + "/work"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let plan = dir + "/plan.sh"
        try "#!/bin/sh\necho planning\n".write(toFile: plan, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plan)
        return dir
    }

    /// Runs `pegasus-em <args>` with the server's HOME, TZ=UTC and the given working directory.
    func run(_ args: [String], in directory: String? = nil) async throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["TZ"] = "UTC"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment.removeValue(forKey: "PEGASUS_ENV")
        return try await EndToEndTests.run(
            [python, script] + args, environment: environment, directory: directory ?? home, timeout: 30)
    }

    /// Expects exit 0 and exactly `prints` on stdout.
    func expect(
        _ args: [String], prints expected: String, in directory: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let result = try await run(args, in: directory)
        #expect(result.status == 0, "pegasus-em \(args): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout == expected, "pegasus-em \(args)", sourceLocation: sourceLocation)
    }

    /// Expects `ERROR: <message>` on stdout and exit 1, as the client reports any non-2xx answer.
    func expectError(
        _ args: [String], _ message: String, in directory: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let result = try await run(args, in: directory)
        #expect(result.status == 1, "pegasus-em \(args): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout == "ERROR: \(message)\n", "pegasus-em \(args)", sourceLocation: sourceLocation)
    }

    // MARK: - Pegasus' formats

    /// Python's `formatts` with TZ=UTC: `%Y-%m-%d %H:%M:%S %Z` of the floored time.
    static func formatts(_ timestamp: Double) -> String {
        var t = time_t(timestamp.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func left(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    static func right(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    /// `%-20s %-8s %-24s %-24s %12s %12s`
    static func ensembleRow(_ a: String, _ b: String, _ c: String, _ d: String, _ e: String, _ f: String) -> String {
        [left(a, 20), left(b, 8), left(c, 24), left(d, 24), right(e, 12), right(f, 12)].joined(separator: " ")
    }

    /// `%-20s %-15s %-8s %-24s %-24s`
    static func workflowRow(_ a: String, _ b: String, _ c: String, _ d: String, _ e: String) -> String {
        [left(a, 20), left(b, 15), left(c, 8), left(d, 24), left(e, 24)].joined(separator: " ")
    }

    func currentUser() -> String {
        getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "user"
    }
}
