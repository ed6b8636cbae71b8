import EMTestSupport
import Foundation
import Testing

/// The built `pegasus-em` binary against a live `pegasus-em server`: every command, alias and error case, and
/// byte-for-byte agreement with the real Pegasus client where that is installed.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: CLI.binaryExists))
struct EndToEndCLITests {
    // MARK: - Ensembles

    @Test func ensembleCommands() throws {
        let (server, cli) = try CLI.live()
        defer { server.stop() }

        #expect(try cli.run("ensembles") == .ok(""))
        #expect(try cli.run("create", "myruns") == .ok(""))
        #expect(try cli.run("c", "-P", "2", "-R", "3", "other") == .ok(""))
        #expect(try cli.run("create", "myruns") == .failed("ERROR: Ensemble myruns already exists\n"))

        let table = try cli.run("e")
        let lines = table.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(table.status == 0 && lines.count == 4 && lines[3].isEmpty)
        #expect(
            lines[0]
                == "NAME                 STATE    CREATED                  UPDATED                  MAX PLANNING  MAX RUNNING"
        )
        #expect(lines[1].wholeMatch(of: CLI.row("myruns", "ACTIVE", "1", "1")) != nil, "\(lines[1])")
        #expect(lines[2].wholeMatch(of: CLI.row("other", "ACTIVE", "2", "3")) != nil, "\(lines[2])")
        let json = try cli.run("ensembles", "--json")
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(decoded?.map { $0["name"] as? String } == ["myruns", "other"])

        #expect(try cli.run("pause", "myruns") == .ok("State: PAUSED\n"))
        #expect(try cli.run("hold", "myruns") == .ok("State: HELD\n"))
        #expect(try cli.run("release", "myruns") == .ok("State: ACTIVE\n"))
        #expect(try cli.run("pause", "myruns") == .ok("State: PAUSED\n"))
        #expect(try cli.run("activate", "myruns") == .ok("State: ACTIVE\n"))
        #expect(try cli.run("pause", "nope") == .failed("ERROR: No such ensemble: nope\n"))

        #expect(try cli.run("config", "myruns", "-P", "4", "-R", "2") == .ok("Max Planning: 4\nMax Running: 2\n"))
        #expect(try cli.run("config", "myruns", "-R", "5") == .ok("Max Planning: 4\nMax Running: 5\n"))
        #expect(
            try cli.run("config", "myruns", "-P", "0") == .failed("ERROR: Value for max_planning must be >= 1: 0\n"))
        #expect(try cli.run("config", "myruns.run1", "-P", "1") == .failed("ERROR: No such ensemble: myruns.run1\n"))

        #expect(try cli.run("delete", "other") == .ok("deleted\n"))
        #expect(try cli.run("delete", "other") == .failed("ERROR: No such ensemble: other\n"))
        #expect(try cli.run("e").stdout.contains("other") == false)
    }

    // MARK: - Workflows

    @Test func submitDeliversArgvUnchanged() throws {
        let (server, cli) = try CLI.live()
        defer { server.stop() }
        let argvFile = server.home.file("argv.out")
        let plan = try server.home.write(
            "work/plan.sh", "#!/bin/sh\nprintf '%s\\0' \"$@\" > '\(argvFile)'\nexit 1\n", executable: true)
        #expect(try cli.run("create", "myruns") == .ok(""))
        #expect(try cli.run("pause", "myruns") == .ok("State: PAUSED\n"))
        let tricky = [
            "run 1.dax", "--label=\"quoted\"", "it's", "$(touch \(server.home.file("PWNED")))", "`id`", "$HOME",
            "a\\b", "*", "", "--help", "-p",
        ]
        let submit = try cli.run(["submit", "-p", "5", "myruns.run1", "./plan.sh"] + tricky, in: "work")
        #expect(submit == .ok(""))

        let status = try cli.run("status", "myruns.run1")
        #expect(status.stdout.contains("\nPlan Command: \"\(plan)\" \"run 1.dax\""))
        #expect(status.stdout.contains("\nPriority:     5\n"))
        #expect(status.stdout.contains("\nBase Dir:     \(server.home.file("work"))\n"))
        #expect(try cli.run("priority", "myruns.run1", "-p", "-2") == .ok("Priority: -2\n"))
        #expect(try cli.run("activate", "myruns") == .ok("State: ACTIVE\n"))

        let final = try cli.waitForState("myruns.run1", in: ["PLAN_FAILED"])
        #expect(final == "PLAN_FAILED")
        let written = try String(contentsOfFile: argvFile, encoding: .utf8)
        #expect(written.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init) == tricky)
        #expect(!FileManager.default.fileExists(atPath: server.home.file("PWNED")))
    }

    @Test func workflowCommands() throws {
        let (server, cli) = try CLI.live()
        defer { server.stop() }
        try server.home.write("work/fail.sh", "#!/bin/sh\necho planning failed >&2\nexit 3\n", executable: true)
        #expect(try cli.run("create", "ens") == .ok(""))
        #expect(try cli.run("workflows", "ens") == .ok(""))
        #expect(try cli.run("sub", "ens.wf1", "./fail.sh", "x", in: "work") == .ok(""))
        #expect(
            try cli.run("sub", "ens.wf1", "./fail.sh", in: "work")
                == .failed("ERROR: Ensemble workflow wf1 already exists\n"))
        #expect(try cli.run("sub", "nope.wf1", "./fail.sh", in: "work") == .failed("ERROR: No such ensemble: nope\n"))
        #expect(try cli.waitForState("ens.wf1", in: ["PLAN_FAILED"]) == "PLAN_FAILED")

        let short = try cli.run("w", "ens")
        #expect(
            short.stdout.hasPrefix(
                "NAME                 STATE           PRIORITY CREATED                  UPDATED                 \nwf1                  PLAN_FAILED     0        "
            ))
        let long = try cli.run("workflows", "-l", "ens")
        #expect(
            long.stdout.contains("\nName:     wf1\n") && long.stdout.contains("\nUUID:     None\n")
                && long.stdout.hasSuffix("\n\n"))
        let st = try cli.run("st", "ens.wf1")
        #expect(
            st.stdout.hasPrefix("ID:           ") && st.stdout.contains("\nState:        PLAN_FAILED\nUUID:         \n")
        )
        let stLong = try cli.run("status", "-l", "ens.wf1")
        #expect(stLong.stdout.contains("\nHistory:\n") && stLong.stdout.contains("PLANNING -> PLAN_FAILED"))
        #expect(try cli.run("status", "ens.nope").stdout.hasPrefix("ERROR: No such ensemble workflow: nope"))

        let analysis = try cli.run("an", "ens.wf1")
        #expect(analysis.status == 0 && analysis.stdout.hasPrefix("Workflow state is PLAN_FAILED\n"))
        #expect(try cli.run("analyze", "ens.wf1").stdout == analysis.stdout)

        #expect(try cli.run("rerun", "ens.wf1").stdout.hasPrefix("ERROR: "))
        #expect(try cli.run("rerun", "ens.wf1").status == 1)
        #expect(try cli.run("replan", "ens.wf1") == .ok("State: READY\n"))
        #expect(try cli.waitForState("ens.wf1", in: ["PLAN_FAILED"]) == "PLAN_FAILED")
        #expect(try cli.run("abort", "ens.wf1").stdout.hasPrefix("ERROR: "))
        #expect(try cli.run("delete", "ens.wf1") == .ok("deleted\n"))
        #expect(try cli.run("w", "ens") == .ok(""))
    }

    // MARK: - Triggers

    @Test func triggerCommands() throws {
        let (server, cli) = try CLI.live()
        defer { server.stop() }
        try server.home.write("work/wf.sh", "#!/bin/sh\nexit 0\n", executable: true)
        let input = server.home.file("in")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        #expect(try cli.run("create", "tr") == .ok(""))

        #expect(
            try cli.run(
                ["cron-trigger", "tr", "hourly", "1h", "./wf.sh", "-t", "1d", "-a", "--site condor"], in: "work")
                == .ok("created\n"))
        #expect(
            try cli.run(
                ["file-pattern-trigger", "tr", "txt", "10s", "wf.sh", "\(input)/*.txt", "--timeout", "1h"], in: "work")
                == .ok("created\n"))
        #expect(
            try cli.run(
                ["trigger", "tr", "csv", "5s", "wf.sh", "\(input)/*.csv", "--args", "a b", "c", "--args=--flag"],
                in: "work") == .ok("created\n"))
        #expect(
            try cli.run(["cron-trigger", "nope", "t", "1h", "/bin/true"]) == .failed("ERROR: No such ensemble: nope\n"))
        #expect(
            try cli.run(["cron-trigger", "tr", "bad", "1.5h", "/bin/true"]).stdout.hasPrefix(
                "ERROR: interval must be given as"))

        let script = server.home.file("work/wf.sh")
        let table = try cli.run("triggers", "tr")
        #expect(
            table.stdout.hasPrefix("NAME                 TYPE           STATE      WORKFLOW SCRIPT               \n"))
        #expect(table.stdout.contains("\nhourly               CRON           RUNNING    \(script)"))
        #expect(try cli.run("t", "tr").stdout == table.stdout)
        let long = try cli.run("t", "-l", "tr")
        #expect(
            long.stdout.contains(
                "Name:          hourly\nType:          CRON\nState:         RUNNING\nWorkflow:      \(script)\nWorkflow Args: ['--site', 'condor']\nInterval:      3600\nTimeout:       86400\n"
            ))
        #expect(long.stdout.contains("Workflow Args: ['a b', 'c', '--flag']\n"))
        #expect(long.stdout.contains("File Patterns: ['\(input)/*.txt']\n"))

        let status = try cli.run("trigger-status", "tr", "txt")
        #expect(status.stdout.hasPrefix("Name:          txt\nType:          FILE_PATTERN\nState:         RUNNING\n"))
        #expect(status.stdout.contains("\nSchedule:      every 10s\n"))
        #expect(status.stdout.contains("\nWorkflow:      \(script)\n"))
        #expect(try cli.run("trigger-status", "tr", "nope").stdout.hasPrefix("ERROR: No such trigger: nope"))
        #expect(try cli.run("trigger-status", "tr", "txt", "--json").stdout.hasPrefix("{"))

        #expect(try cli.run("stop-trigger", "tr", "txt") == .ok("ensemble: tr, trigger: txt marked for deletion\n"))
        #expect(try cli.run("stop-trigger", "nope", "txt") == .failed("ERROR: No such ensemble: nope\n"))
        #expect(try cli.run("triggers", "nope") == .failed("ERROR: No such ensemble: nope\n"))
    }

    // MARK: - Errors, help, configuration

    @Test func usageErrorsHelpAndUnknownCommands() throws {
        let cli = CLI(environment: CLI.isolatedEnvironment())
        let none = try cli.run([String]())
        #expect(none.status == 2 && none.stdout.isEmpty && none.stderr.hasPrefix("Error: Specify COMMAND\n"))
        let unknown = try cli.run("frobnicate")
        #expect(
            unknown.status == 2 && unknown.stderr.hasPrefix("Invalid command: frobnicate\n\nUsage: pegasus-em COMMAND"))
        for (arguments, message) in [
            (["create"], "Specify ENSEMBLE"), (["pause", "a", "b"], "Invalid argument"),
            (["config", "e"], "Specify --max-planning or --max-running"),
            (["submit", "e.w"], "Specify ENSEMBLE.WORKFLOW and planning command"),
            (["sub", "ew", "/bin/true"], "Invalid ENSEMBLE.WORKFLOW: ew"),
            (["submit", "e.w", "./not-there"], "invalid planning command: ./not-there"),
            (["status", "a.b.c"], "Invalid ENSEMBLE.WORKFLOW: a.b.c"), (["priority", "e.w"], "Specify -p/--priority"),
            (["t"], "Specify ENSEMBLE"), (["stop-trigger", "e"], "Specify ENSEMBLE and TRIGGER"),
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("Error: \(message)\nUsage: pegasus-em "), "\(result.stderr)")
        }
        for arguments in [["--help"], ["create", "-h"], ["help", "trigger"], ["-h", "submit"]] {
            let result = try cli.run(arguments)
            #expect(result.status == 0 && result.stdout.contains("USAGE: pegasus-em") && result.stderr.isEmpty)
        }
        let completion = try cli.run("--generate-completion-script", "bash")
        #expect(completion.status == 0 && completion.stdout.contains("file-pattern-trigger"))
    }

    @Test func createHelpWorksWithoutAnyConfiguration() throws {
        let home = try TemporaryDirectory(prefix: "em-nohome")
        defer { home.remove() }
        var environment = CLI.isolatedEnvironment()
        environment["HOME"] = home.path + "/missing"
        let result = try CLI(environment: environment).run("create", "-h")
        #expect(result.status == 0 && result.stdout.contains("-P, --max-planning <N>"))
    }

    @Test func unreachableServerIsOneLine() throws {
        var environment = CLI.isolatedEnvironment()
        environment["EM_PORT"] = String(closedPort())
        let started = Date()
        let result = try CLI(environment: environment).run("ensembles")
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(result.status == 1 && result.stdout.isEmpty)
        #expect(
            result.stderr
                == "ERROR: cannot connect to the ensemble manager at http://127.0.0.1:\(environment["EM_PORT"]!)/ "
                + "(connection refused); is it running? Start it with `pegasus-em server`\n")
    }

    @Test func configurationErrorsAreOneLine() throws {
        var environment = CLI.isolatedEnvironment()
        environment["EM_PORT"] = "not-a-port"
        let result = try CLI(environment: environment).run("ensembles")
        #expect(
            result.status == 1
                && result.stderr == "ERROR: environment:0: EM_PORT: expected an integer, got 'not-a-port'\n")
    }

    @Test func loginIsRequiredOnlyWhenTheServerAsks() throws {
        let server = try TestServer(settings: ["AUTHENTICATION": "'PAMAuthentication'"])
        try server.start()
        defer { server.stop() }
        let cli = CLI(environment: CLI.clientEnvironment(server))
        #expect(
            try cli.run("ensembles")
                == .failed(
                    "ERROR: the ensemble manager requires a login: set USERNAME and PASSWORD in ~/.pegasus/service.py\n"
                ))
        var wrong = CLI.clientEnvironment(server)
        wrong["USERNAME"] = "nobody-\(getpid())"
        wrong["PASSWORD"] = "wrong"
        #expect(try CLI(environment: wrong).run("ensembles") == .failed("ERROR: Basic Auth Required\n"))
    }

    @Test func aPasswordFileReadableByOthersIsWarnedAbout() throws {
        let secrets = try TemporaryDirectory(prefix: "pegasus-em-secrets")
        defer { secrets.remove() }
        let file = try secrets.write("credentials.py", "USERNAME = 'pegasus'\nPASSWORD = 'pegasus'\n")
        chmod(file, 0o644)
        let server = try TestServer(environment: ["PEGASUS_ENV": file])
        try server.start()
        defer { server.stop() }
        let warning = "\(file) holds PASSWORD and can be read by other users (mode 644): chmod 600 \(file)"
        #expect(server.log.contains(warning), "\(server.log)")
        let cli = CLI(environment: CLI.clientEnvironment(server))
        #expect(try cli.run("create", "first") == CLI.Result(status: 0, stdout: "", stderr: "WARNING: \(warning)\n"))
        chmod(file, 0o600)
        #expect(try cli.run("create", "second") == .ok(""))
    }

    // MARK: - Byte-for-byte against the Pegasus 5.1.3 client

    @Test(.enabled(if: PegasusClient.available))
    func pegasusClientPrintsTheSameBytes() throws {
        let (server, cli) = try CLI.live(settings: ["USERNAME": "'pegasus'", "PASSWORD": "'pegasus'"])
        defer { server.stop() }
        let pegasus = PegasusClient(environment: cli.environment, port: server.port)
        try server.home.write("work/plan.sh", "#!/bin/sh\nexit 1\n", executable: true)
        #expect(try cli.run("create", "held") == .ok(""))
        #expect(try pegasus.run("create", "-P", "3", "viapegasus").status == 0)
        #expect(try cli.run("pause", "held") == .ok("State: PAUSED\n"))
        #expect(try cli.run("sub", "-p", "3", "held.first", "./plan.sh", "a b", in: "work") == .ok(""))
        #expect(try pegasus.run(["submit", "held.second", "./plan.sh", "x"], in: "work").status == 0)

        for arguments in [
            ["ensembles"], ["workflows", "held"], ["workflows", "-l", "held"], ["status", "held.first"],
            ["status", "held.second"], ["config", "held", "-R", "4"], ["priority", "held.first", "-p", "7"],
            ["pause", "held"], ["workflows", "viapegasus"], ["status", "held.nope"], ["workflows", "nope"],
        ] {
            for zone in ["UTC", "America/New_York"] {
                let ours = try cli.run(arguments, timeZone: zone)
                let theirs = try pegasus.run(arguments, timeZone: zone)
                #expect(ours.stdout == theirs.stdout, "\(arguments) in \(zone)")
                #expect(ours.status == theirs.status, "\(arguments)")
            }
        }
    }
}

// MARK: - Helpers

/// Runs the built `pegasus-em` client with a given environment.
struct CLI {
    var environment: [String: String]

    static var binary: String { Binaries.path("pegasus-em") }
    static var binaryExists: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// What one run printed and returned.
    struct Result: Equatable, CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        static func ok(_ stdout: String) -> Result { Result(status: 0, stdout: stdout, stderr: "") }
        static func failed(_ stdout: String) -> Result { Result(status: 1, stdout: stdout, stderr: "") }

        var description: String {
            "status \(status), stdout \(stdout.debugDescription), stderr \(stderr.debugDescription)"
        }
    }

    /// A started server and a client environment pointing at it.
    static func live(settings: [String: String] = [:]) throws -> (TestServer, CLI) {
        let server = try TestServer(settings: settings)
        try server.start()
        try FileManager.default.createDirectory(atPath: server.home.file("work"), withIntermediateDirectories: true)
        return (server, CLI(environment: clientEnvironment(server)))
    }

    /// The server's environment with the real port (its service.py says 0, which means "pick one").
    static func clientEnvironment(_ server: TestServer) -> [String: String] {
        var environment = server.environment
        environment["EM_PORT"] = String(server.port)
        environment["TZ"] = "UTC"
        return environment
    }

    /// An environment with an empty home, for runs that need no server.
    static func isolatedEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = "/nonexistent-home"
        for key in ["PEGASUS_ENV", "EM_PORT", "EM_HOST", "USERNAME", "PASSWORD"] { environment[key] = nil }
        return environment
    }

    func run(_ arguments: String..., in directory: String? = nil) throws -> Result { try run(arguments, in: directory) }

    /// Runs `pegasus-em arguments` in `directory` (relative to HOME) with `TZ` = `timeZone`.
    func run(_ arguments: [String], in directory: String? = nil, timeZone: String = "UTC") throws -> Result {
        var environment = environment
        environment["TZ"] = timeZone
        let home = environment["HOME"] ?? "/"
        let cwd = directory.map { home + "/" + $0 } ?? (FileManager.default.fileExists(atPath: home) ? home : "/")
        let result = try ProcessRunner.run([CLI.binary] + arguments, environment: environment, directory: cwd)
        #expect(!result.signaled, "pegasus-em \(arguments) crashed: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
        return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Polls `status` until the workflow is in one of `states` (or 30 s pass); returns the last state.
    func waitForState(_ workflow: String, in states: Set<String>) throws -> String {
        var state = ""
        for _ in 0..<300 {
            let output = try run("status", workflow).stdout
            state =
                output.split(separator: "\n").first { $0.hasPrefix("State:") }
                .map { String($0.dropFirst("State:".count)).trimmingCharacters(in: .whitespaces) } ?? ""
            if states.contains(state) { return state }
            usleep(100_000)
        }
        return state
    }

    /// A regular expression for one `ensembles` row with the given values and any timestamps.
    static func row(_ name: String, _ state: String, _ planning: String, _ running: String) -> Regex<Substring> {
        let time = #"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"#
        let padded = name.padding(toLength: max(20, name.count), withPad: " ", startingAt: 0)
        let pattern =
            "\(padded) \(state.padding(toLength: 8, withPad: " ", startingAt: 0)) \(time)  \(time)  "
            + String(repeating: " ", count: 12 - planning.count) + planning + " "
            + String(repeating: " ", count: 12 - running.count) + running
        return try! Regex(pattern)
    }
}

/// The real Pegasus 5.1.3 `pegasus-em` client from the venv `scripts/test.sh` makes (`PEGASUS_VENV`; else
/// /tmp/pegvenv), pointed at a given port (its own is fixed to uid + 7919, so the module constant is patched before
/// `main()` runs).
struct PegasusClient {
    static let python = (ProcessInfo.processInfo.environment["PEGASUS_VENV"] ?? "/tmp/pegvenv") + "/bin/python"
    static var available: Bool { CLI.binaryExists && FileManager.default.isExecutableFile(atPath: python) }

    var environment: [String: String]
    var port: Int

    func run(_ arguments: String...) throws -> CLI.Result { try run(arguments) }

    func run(_ arguments: [String], in directory: String? = nil, timeZone: String = "UTC") throws -> CLI.Result {
        var environment = environment
        environment["TZ"] = timeZone
        let script = """
            import sys
            from Pegasus.service.ensembles import commands
            commands.EM_PORT = int(sys.argv[1])
            sys.argv = ["pegasus-em"] + sys.argv[2:]
            commands.main()
            """
        let home = environment["HOME"] ?? "/"
        let result = try ProcessRunner.run(
            [Self.python, "-c", script, String(port)] + arguments, environment: environment,
            directory: directory.map { home + "/" + $0 } ?? home)
        return CLI.Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }
}
