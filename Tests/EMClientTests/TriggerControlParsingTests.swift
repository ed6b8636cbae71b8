import ArgumentParser
import Foundation
import Testing

@testable import EMClient

/// Parsing and usage errors of the issue 14 trigger verbs and creation options.
@Suite struct TriggerControlParsingTests {
    @Test(arguments: [
        (["pause-trigger", "e", "t"], "pause-trigger"), (["resume-trigger", "e", "t"], "resume-trigger"),
        (["fire-trigger", "e", "t"], "fire-trigger"), (["trigger-preview", "e", "t"], "trigger-preview"),
        (["update-trigger", "e", "t", "--interval", "1m"], "update-trigger"),
    ])
    func newCommandsParse(arguments: [String], name: String) throws {
        #expect(type(of: try parse(arguments)).configuration.commandName == name)
    }

    @Test func newCommandsAreListedAfterStopTrigger() async {
        let list = EnsembleManagerCLI.commandList(Root.self)
        let names = [
            "stop-trigger", "pause-trigger", "resume-trigger", "fire-trigger", "trigger-preview", "update-trigger",
        ]
        let positions = names.map { list.range(of: "\n    \($0) ")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        #expect(list.contains("\n    pause-trigger        Pause a trigger (it fires nothing until resumed)\n"))
        let help = await invoke(["--help"]).stdout
        for name in names.dropFirst() {
            #expect(help.contains("  \(name)"), "\(name)")
        }
    }

    @Test func updateOptions() throws {
        let command = try #require(
            try parse([
                "update-trigger", "e", "t", "--patterns", "/a/*", "/b/*", "--tz", "UTC", "-p", "-2", "--max-files", "4",
                "--move-processed", "--args", "--flag x",
            ]) as? UpdateTriggerCommand)
        #expect(command.target.arguments == ["e", "t"] && command.patterns == ["/a/*", "/b/*"])
        #expect(command.timezone == "UTC" && command.priority == -2 && command.maxFiles == 4)
        #expect(command.moveProcessed == true && command.args == "--flag x")
        let body = command.body(workingDirectory: "/w")
        #expect(body.filePatterns == ["/a/*", "/b/*"] && body.workflowArgs == ["--flag", "x"] && body.interval == nil)
        #expect(!body.isEmpty && UpdateTriggerBody().isEmpty)
        // Pegasus' command-first rule moves the verb to the front (a leading option's value would be taken as the verb).
        let reordered = try #require(
            try parse(["--no-move-processed", "update-trigger", "e", "t"]) as? UpdateTriggerCommand)
        #expect(reordered.moveProcessed == false && reordered.target.arguments == ["e", "t"])
    }

    @Test func creationPolicyOptions() throws {
        let cron = try #require(
            try parse(["cron-trigger", "e", "t", "1h", "/s", "--overlap", "skip", "--pause-after-failures", "2"])
                as? CronTriggerCommand)
        #expect(cron.policy.overlap == "skip" && cron.policy.failureLimit == .after(2))
        let file = try #require(
            try parse(["file-pattern-trigger", "e", "t", "1h", "/s", "/in/*", "--skip-existing"])
                as? FilePatternTriggerCommand)
        #expect(file.trigger.skipExisting && !file.trigger.resubmitAll && file.trigger.policy.failureLimit == nil)
        #expect(FailureLimit(argument: "none") == .never && FailureLimit(argument: "0") == .never)
        #expect(FailureLimit(argument: "-1") == nil && FailureLimit(argument: "1.5") == nil)
    }

    @Test func previewCount() throws {
        #expect((try parse(["trigger-preview", "e", "t", "-n", "100"]) as? TriggerPreviewCommand)?.count == "100")
        #expect(
            (try parse(["trigger-preview", "-n", "1", "e", "t"]) as? TriggerPreviewCommand)?.target.arguments == [
                "e", "t",
            ])
    }

    // MARK: - Usage errors: exit 2, message and usage on stderr, nothing on stdout

    @Test(arguments: [
        (["pause-trigger"], "Specify ENSEMBLE and TRIGGER"), (["pause-trigger", "e"], "Specify ENSEMBLE and TRIGGER"),
        (["resume-trigger", "e"], "Specify ENSEMBLE and TRIGGER"),
        (["resume-trigger", "a", "b", "c"], "Invalid argument"), (["fire-trigger"], "Specify ENSEMBLE and TRIGGER"),
        (["fire-trigger", "a", "b", "c"], "Invalid argument"),
        (["trigger-preview", "e"], "Specify ENSEMBLE and TRIGGER"),
        (["trigger-preview", "e", "t", "-n", "0"], "-n must be an integer from 1 to 100: 0"),
        (["trigger-preview", "e", "t", "-n", "101"], "-n must be an integer from 1 to 100: 101"),
        (["trigger-preview", "e", "t", "-n", "five"], "-n must be an integer from 1 to 100: five"),
        (["trigger-preview", "e", "t", "-n"], "Missing value for '-n <N>'"),
        (["update-trigger", "e", "t"], "Specify at least one option to change"),
        (["update-trigger", "e", "t", "--json"], "Specify at least one option to change"),
        (["update-trigger", "e", "--interval", "1m"], "Specify ENSEMBLE and TRIGGER"),
        (["update-trigger", "e", "t", "x", "--interval", "1m"], "Invalid argument"),
        (["update-trigger", "e", "t", "--overlap", "queue"], "--overlap must be allow, skip or buffer-one: queue"),
        (["update-trigger", "e", "t", "--catchup", "some"], "--catchup must be none, one or all: some"),
        (
            ["update-trigger", "e", "t", "--pause-after-failures", "many"],
            "--pause-after-failures must be an integer >= 1, or none: many"
        ),
        (["update-trigger", "e", "t", "--max-files", "x"], "The value 'x' is invalid for '--max-files <n>'"),
        (
            ["cron-trigger", "e", "t", "1h", "/s", "--overlap", "buffer"],
            "--overlap must be allow, skip or buffer-one: buffer"
        ),
        (
            ["cron-trigger", "e", "t", "1h", "/s", "--pause-after-failures", "1.5"],
            "--pause-after-failures must be an integer >= 1, or none: 1.5"
        ),
        (
            ["file-pattern-trigger", "e", "t", "1h", "/s", "/in/*", "--overlap", "Skip"],
            "--overlap must be allow, skip or buffer-one: Skip"
        ),
        (
            ["trigger", "e", "t", "1h", "/s", "/in/*", "--pause-after-failures", "never"],
            "--pause-after-failures must be an integer >= 1, or none: never"
        ),
        (
            ["file-pattern-trigger", "e", "t", "1h", "/s", "/in/*", "--skip-existing=yes"],
            "The option '--skip-existing' does not take any value, but 'yes' was specified."
        ),
    ])
    func usageErrors(arguments: [String], message: String) async {
        let outcome = await invoke(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stdout == "")
        #expect(outcome.stderr.hasPrefix("Error: \(message)\n"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("Usage: pegasus-em \(arguments[0])"), "\(outcome.stderr)")
    }

    @Test func helpOfTheNewCommands() async {
        let update = await invoke(["update-trigger", "--help"])
        #expect(update.status == 0)
        for option in [
            "--interval", "--cron", "--timezone", "--timeout", "--args", "--patterns", "--settle",
            "--ready-marker", "--max-files", "--priority", "--catchup", "--overlap", "--pause-after-failures",
            "--workflow-script", "--move-processed/--no-move-processed",
        ] {
            #expect(update.stdout.contains(option), "\(option)")
        }
        let create = await invoke(["file-pattern-trigger", "--help"]).stdout
        for option in ["--overlap", "--pause-after-failures", "--skip-existing", "--resubmit-all"] {
            #expect(create.contains(option), "\(option)")
        }
        #expect(await invoke(["trigger-preview", "-h"]).stdout.contains("-n <N>"))
    }
}
