import ArgumentParser
import Foundation
import Testing

@testable import EMClient

/// A stand-in for the executable's `server` subcommand.
struct StubServer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "server", abstract: "Start ensemble manager")
}

typealias Root = PegasusEMCommand<StubServer>

/// Parses like the binary does (Pegasus' command-first reordering included).
func parse(_ arguments: [String]) throws -> any ParsableCommand {
    try Root.parseAsRoot(EnsembleManagerCLI.normalize(arguments))
}

/// Parses and runs up to the first failure; only for invocations that fail before any request.
func invoke(_ arguments: [String]) async -> EnsembleManagerCLI.Outcome {
    await EnsembleManagerCLI.execute(Root.self, arguments: arguments)
}

@Suite struct ParsingTests {
    // MARK: - Commands and aliases

    @Test(arguments: [
        (["ensembles"], "ensembles"), (["e"], "ensembles"), (["create", "x"], "create"), (["c", "x"], "create"),
        (["pause", "x"], "pause"), (["activate", "x"], "activate"), (["hold", "x"], "hold"),
        (["release", "x"], "release"), (["config", "x", "-P", "2"], "config"),
        (["submit", "e.w", "/bin/true"], "submit"), (["sub", "e.w", "/bin/true"], "submit"),
        (["workflows", "x"], "workflows"), (["w", "x"], "workflows"), (["status", "e.w"], "status"),
        (["st", "e.w"], "status"), (["analyze", "e.w"], "analyze"), (["an", "e.w"], "analyze"),
        (["replan", "e.w"], "replan"), (["rerun", "e.w"], "rerun"), (["abort", "e.w"], "abort"),
        (["priority", "e.w", "-p", "3"], "priority"), (["delete", "e"], "delete"), (["delete", "e.w"], "delete"),
        (["cron-trigger", "e", "t", "1h", "/s.py"], "cron-trigger"),
        (["file-pattern-trigger", "e", "t", "10s", "/s.py", "/in/*.txt"], "file-pattern-trigger"),
        (["trigger", "e", "t", "10s", "/s.py", "/in/*.txt"], "trigger"), (["triggers", "e"], "triggers"),
        (["t", "e"], "triggers"), (["trigger-status", "e", "t"], "trigger-status"),
        (["stop-trigger", "e", "t"], "stop-trigger"), (["server"], "server"),
    ])
    func everyCommandAndAlias(arguments: [String], name: String) throws {
        let command = try parse(arguments)
        #expect(type(of: command).configuration.commandName == name)
    }

    @Test func commandListHasPegasusLayout() {
        let list = EnsembleManagerCLI.commandList(Root.self)
        #expect(list.hasPrefix("Usage: pegasus-em COMMAND [options] [args]\n\nCommands:\n"))
        #expect(list.contains("\n    server               Start ensemble manager\n"))
        #expect(list.contains("\n    ensembles            List ensembles\n"))
        #expect(
            list.contains("\n    file-pattern-trigger Create a file pattern based and time based workflow trigger\n"))
        #expect(list.contains("\n    stop-trigger         Stop a specific trigger\n"))
    }

    // MARK: - Options

    @Test func createDefaultsAndLimits() throws {
        let plain = try #require(try parse(["create", "myruns"]) as? CreateCommand)
        #expect(plain.arguments == ["myruns"] && plain.maxPlanning == 1 && plain.maxRunning == 1)
        let set = try #require(try parse(["c", "-P", "3", "--max-running=5", "myruns"]) as? CreateCommand)
        #expect(set.maxPlanning == 3 && set.maxRunning == 5)
    }

    @Test func configSendsZero() throws {
        let command = try #require(try parse(["config", "myruns", "-P", "0"]) as? ConfigCommand)
        #expect(command.maxPlanning == 0 && command.maxRunning == nil)
    }

    @Test func negativeNumbersAreValues() throws {
        #expect((try parse(["priority", "e.w", "-p", "-10"]) as? PriorityCommand)?.priority == -10)
        #expect((try parse(["submit", "-p", "-1", "e.w", "/bin/true"]) as? SubmitCommand)?.priority == -1)
        #expect((try parse(["config", "e", "-R", "-1"]) as? ConfigCommand)?.maxRunning == -1)
    }

    @Test func submitOptionsComeBeforeTheWorkflow() throws {
        let command = try #require(
            try parse(["submit", "-p", "10", "--json", "e.w", "/bin/sh", "-c", "echo $1", "-p", "--help", "--"])
                as? SubmitCommand)
        #expect(command.priority == 10)
        #expect(command.output.json)
        #expect(command.workflow == "e.w")
        #expect(command.planCommand == ["/bin/sh", "-c", "echo $1", "-p", "--help", "--"])
        let defaults = try #require(try parse(["sub", "e.w", "/bin/true"]) as? SubmitCommand)
        #expect(defaults.priority == 0 && !defaults.output.json)
    }

    @Test func pegasusCommandFirstRule() throws {
        #expect(EnsembleManagerCLI.normalize(["-l", "workflows", "E"]) == ["workflows", "-l", "E"])
        #expect(EnsembleManagerCLI.normalize(["--json", "ensembles"]) == ["ensembles", "--json"])
        #expect(
            EnsembleManagerCLI.normalize(["--generate-completion-script", "bash"])
                == ["--generate-completion-script", "bash"])
        let command = try #require(try parse(["-l", "workflows", "myruns"]) as? WorkflowsCommand)
        #expect(command.long && command.arguments == ["myruns"])
    }

    @Test func cronTriggerArguments() throws {
        let command = try #require(
            try parse(["cron-trigger", "myruns", "mytrigger", "1h", "./wf.py", "-t", "1d", "-a", "--x  y"])
                as? CronTriggerCommand)
        #expect(command.ensemble == "myruns" && command.trigger == "mytrigger")
        #expect(command.interval == "1h" && command.workflowScript == "./wf.py" && command.timeout == "1d")
        #expect(command.args == "--x  y")
        #expect(splitPegasusArgs(command.args) == ["--x", "", "y"])
        #expect(splitPegasusArgs("") == [] && splitPegasusArgs(nil) == [])

        let cron = try #require(
            try parse(["cron-trigger", "e", "t", "/wf.py", "--cron", "*/5 * * * *", "--tz", "UTC"])
                as? CronTriggerCommand)
        #expect(cron.interval == nil && cron.workflowScript == "/wf.py" && cron.cron == "*/5 * * * *")
        #expect(cron.timezone == "UTC")
    }

    @Test func filePatternTriggerArguments() throws {
        let command = try #require(
            try parse([
                "file-pattern-trigger", "myruns", "10s_txt", "10s", "/home/ryan/workflow.py", "/in/*.txt", "/in/*.csv",
                "--timeout", "40s", "--args", "-v --fast", "--max-files", "5", "--no-move-processed",
            ]) as? FilePatternTriggerCommand)
        #expect(command.trigger.filePatterns == ["/in/*.txt", "/in/*.csv"])
        #expect(command.trigger.timeout == "40s" && command.args == "-v --fast")
        #expect(command.trigger.maxFiles == 5 && command.trigger.moveProcessed == false)
    }

    @Test func seedTriggerSpellingTakesManyArgs() throws {
        let command = try #require(
            try parse([
                "trigger", "myruns", "10s_txt", "10s", "/home/ryan/workflow.py", "/in/*.txt", "--timeout", "40s",
                "--args", "ARG1", "ARG2", "--args=--flag",
            ]) as? TriggerCommand)
        #expect(command.trigger.interval == "10s" && command.trigger.filePatterns == ["/in/*.txt"])
        #expect(command.args == ["ARG1", "ARG2", "--flag"])
        #expect(command.trigger.timeout == "40s")
    }

    @Test func listFlags() throws {
        #expect((try parse(["triggers", "-l", "e"]) as? TriggersCommand)?.long == true)
        #expect((try parse(["w", "--long", "e"]) as? WorkflowsCommand)?.long == true)
        #expect((try parse(["st", "-l", "e.w"]) as? StatusCommand)?.long == true)
        #expect((try parse(["e", "--json"]) as? EnsemblesCommand)?.output.json == true)
    }

    // MARK: - Usage errors: exit 2, message and usage on stderr

    @Test(arguments: [
        (["create"], "Specify ENSEMBLE"), (["create", "a", "b"], "Specify ENSEMBLE"),
        (["pause"], "Specify ENSEMBLE"), (["pause", "a", "b"], "Invalid argument"),
        (["activate"], "Specify ENSEMBLE"), (["hold", "a", "b"], "Invalid argument"),
        (["release"], "Specify ENSEMBLE"), (["config"], "Specify ENSEMBLE"),
        (["config", "a", "b"], "Invalid argument"),
        (["config", "a"], "Specify --max-planning or --max-running"),
        (["submit"], "Specify ENSEMBLE.WORKFLOW and planning command"),
        (["submit", "e.w"], "Specify ENSEMBLE.WORKFLOW and planning command"),
        (["submit", "ew", "/bin/true"], "Invalid ENSEMBLE.WORKFLOW: ew"),
        (["submit", "e.w.x", "/bin/true"], "Invalid ENSEMBLE.WORKFLOW: e.w.x"),
        (["submit", "e.w", "./definitely-not-here.sh"], "invalid planning command: ./definitely-not-here.sh"),
        (["submit", "e.w", "no-such-planner-xyz"], "invalid planning command: no-such-planner-xyz"),
        (["workflows"], "Specify ENSEMBLE"), (["w", "a", "b"], "Invalid argument"),
        (["status"], "Specify ENSEMBLE.WORKFLOW"), (["st", "a.b", "c"], "Invalid argument"),
        (["status", "abc"], "Invalid ENSEMBLE.WORKFLOW: abc"), (["analyze"], "Specify ENSEMBLE.WORKFLOW"),
        (["an", "x"], "Invalid ENSEMBLE.WORKFLOW: x"), (["replan", "a.b.c"], "Invalid ENSEMBLE.WORKFLOW: a.b.c"),
        (["rerun"], "Specify ENSEMBLE.WORKFLOW"), (["abort", "x", "y"], "Invalid argument"),
        (["priority", "e.w"], "Specify -p/--priority"), (["priority"], "Specify -p/--priority"),
        (["priority", "-p", "1"], "Specify ENSEMBLE.WORKFLOW"),
        (["priority", "x", "-p", "1"], "Invalid ENSEMBLE.WORKFLOW: x"),
        (["delete"], "Specify ENSEMBLE or ENSEMBLE.WORKFLOW"),
        (["delete", "a.b.c"], "Invalid ENSEMBLE.WORKFLOW: a.b.c"),
        (["ensembles", "extra"], "Invalid argument"),
        (["cron-trigger", "e"], "the following arguments are required: trigger, interval, workflow_script"),
        (["cron-trigger", "e", "t", "1h", "/s", "--catchup", "some"], "--catchup must be none, one or all: some"),
        (["file-pattern-trigger", "e", "t", "1h", "/s"], "the following arguments are required: file_patterns"),
        (["trigger", "e", "t"], "the following arguments are required: interval, workflow_script, file_patterns"),
        (["triggers"], "Specify ENSEMBLE"), (["t", "a", "b"], "Invalid argument"),
        (["trigger-status", "e"], "Specify ENSEMBLE and TRIGGER"), (["stop-trigger"], "Specify ENSEMBLE and TRIGGER"),
        (["stop-trigger", "a", "b", "c"], "Invalid argument"),
        (["create", "-P", "x", "e"], "The value 'x' is invalid for '-P <N>'"),
        (["submit", "-p", "high", "e.w", "/bin/true"], "The value 'high' is invalid for '-p <NUMBER>'"),
        (["cron-trigger", "-a"], "Missing value for '-a <args>'"),
    ])
    func usageErrors(arguments: [String], message: String) async {
        let outcome = await invoke(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stdout == "")
        #expect(outcome.stderr.hasPrefix("Error: \(message)\n"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("Usage: "))
    }

    @Test func unknownCommandListsCommands() async {
        let outcome = await invoke(["frobnicate", "x"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("Invalid command: frobnicate\n\nUsage: pegasus-em COMMAND"))
        #expect(outcome.stderr.contains("    stop-trigger "))
        // Pegasus' rule: a leading option's value is taken as the command.
        #expect(await invoke(["-P", "5", "create", "x"]).stderr.hasPrefix("Invalid command: 5\n"))
    }

    @Test func noCommand() async {
        let outcome = await invoke([])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("Error: Specify COMMAND\n\nUsage: pegasus-em COMMAND"))
    }

    @Test(arguments: [["--help"], ["-h"], ["help"], ["create", "-h"], ["help", "submit"], ["-h", "create"]])
    func helpExitsZero(arguments: [String]) async {
        let outcome = await invoke(arguments)
        #expect(outcome.status == 0)
        #expect(outcome.stderr == "")
        #expect(outcome.stdout.contains("USAGE: pegasus-em"))
    }

    @Test func createHelpNeedsNoConfiguration() async {
        let outcome = await invoke(["create", "-h"])
        #expect(outcome.stdout.contains("USAGE: pegasus-em create [options] ENSEMBLE"))
        #expect(outcome.stdout.contains("Maximum number of workflows being planned at once"))
        #expect(outcome.stdout.contains("-P, --max-planning <N>"))
    }

    @Test func rootHelpListsEveryCommand() async {
        let help = await invoke(["--help"]).stdout
        for name in [
            "server", "ensembles", "create", "pause", "activate", "hold", "release", "config", "submit", "workflows",
            "status", "analyze", "replan", "rerun", "abort", "priority", "delete", "cron-trigger",
            "file-pattern-trigger", "trigger", "triggers", "trigger-status", "stop-trigger",
        ] {
            #expect(help.contains("  \(name)"), "\(name)")
        }
    }

    @Test func versionPrintsThePackageVersion() async {
        // The version itself is PegasusConfig's `pegasusEMVersion`, checked against VERSION in PegasusConfigTests.
        let version = Root.configuration.version
        #expect(version.first?.isNumber == true)
        let outcome = await invoke(["--version"])
        #expect(outcome == EnsembleManagerCLI.Outcome(status: 0, stdout: version + "\n"))
        #expect(await invoke(["server", "--version"]).stdout == version + "\n")
        #expect(await invoke(["--help"]).stdout.contains("--version"))
    }

    @Test func versionInAPlanningCommandIsTheCommandsOwn() throws {
        let command = try #require(try parse(["submit", "e.w", "/bin/sh", "--version"]) as? SubmitCommand)
        #expect(command.planCommand == ["/bin/sh", "--version"])
    }

    @Test func manualDumpIsToolInfo() async throws {
        // scripts/package.sh generates the man pages from this output (swift-argument-parser's generate-manual).
        let outcome = await invoke(["--experimental-dump-help"])
        #expect(outcome.status == 0)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let command = try #require(json["command"] as? [String: Any])
        #expect(command["commandName"] as? String == "pegasus-em")
        #expect((command["subcommands"] as? [Any])?.count ?? 0 > 20)
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(shell: String) async {
        let outcome = await invoke(["--generate-completion-script", shell])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("pegasus-em"))
        #expect(outcome.stdout.contains("file-pattern-trigger"))
    }
}
