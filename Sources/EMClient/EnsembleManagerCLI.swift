import ArgumentParser
import PegasusConfig

/// The client subcommands, in the order `pegasus-em --help` lists them (after `server`).
public let clientCommands: [any ParsableCommand.Type] = [
    EnsemblesCommand.self,
    CreateCommand.self,
    PauseCommand.self,
    ActivateCommand.self,
    HoldCommand.self,
    ReleaseCommand.self,
    ConfigCommand.self,
    SubmitCommand.self,
    WorkflowsCommand.self,
    StatusCommand.self,
    AnalyzeCommand.self,
    ReplanCommand.self,
    RerunCommand.self,
    AbortCommand.self,
    PriorityCommand.self,
    DeleteCommand.self,
    CronTriggerCommand.self,
    FilePatternTriggerCommand.self,
    TriggerCommand.self,
    TriggersCommand.self,
    TriggerStatusCommand.self,
    StopTriggerCommand.self,
    PauseTriggerCommand.self,
    ResumeTriggerCommand.self,
    FireTriggerCommand.self,
    TriggerPreviewCommand.self,
    UpdateTriggerCommand.self,
    TriggerFilesCommand.self,
]

/// The `pegasus-em` root command; `Server` is the `server` subcommand, which lives with the executable.
public struct PegasusEMCommand<Server: ParsableCommand>: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "pegasus-em",
            abstract: "Submit and monitor ensembles of workflows",
            usage: "pegasus-em COMMAND [options] [args]",
            discussion: """
                The client commands talk to the ensemble manager at http://EM_HOST:EM_PORT/ (configuration: \
                ~/.pegasus/service.py, $PEGASUS_ENV, environment variables). USERNAME and PASSWORD are sent when set.
                """,
            version: pegasusEMVersion,
            subcommands: [Server.self] + clientCommands
        )
    }

    public init() {}
}

/// Runs `pegasus-em`: Pegasus' dispatcher rules on top of ArgumentParser, and the exit codes of the CLI contract.
///
/// Exit codes: 0 success and `--help`; 1 a failure reported by or about the server (`ERROR: ...`); 2 a usage error
/// (with usage on stderr), including an unknown command.
public enum EnsembleManagerCLI {
    /// Runs the process' arguments and exits.
    public static func main<Server: ParsableCommand>(server: Server.Type) async -> Never {
        let status = await run(PegasusEMCommand<Server>.self, arguments: Array(CommandLine.arguments.dropFirst()))
        exit(status)
    }

    /// Parses and runs `arguments`, printing to stdout/stderr (or the given sinks), and returns the exit status.
    public static func run<Root: ParsableCommand>(
        _ root: Root.Type,
        arguments: [String],
        stdout: StandardStream = .output,
        stderr: StandardStream = .error
    ) async -> Int32 {
        let outcome = await execute(root, arguments: arguments)
        stdout.write(outcome.stdout)
        stderr.write(outcome.stderr)
        return outcome.status
    }

    /// What one invocation printed and returned; the testable core of ``run(_:arguments:stdout:stderr:)``.
    public struct Outcome: Sendable, Equatable {
        public var status: Int32
        public var stdout = ""
        public var stderr = ""
    }

    /// Parses and runs `arguments`; client commands still write their own stdout as they finish.
    public static func execute<Root: ParsableCommand>(_ root: Root.Type, arguments: [String]) async -> Outcome {
        let arguments = normalize(arguments)
        guard let first = arguments.first else {
            return Outcome(status: 2, stderr: "Error: Specify COMMAND\n\n" + commandList(root))
        }
        if !first.hasPrefix("-"), first != "help", !knownCommandNames(root).contains(first) {
            return Outcome(status: 2, stderr: "Invalid command: \(first)\n\n" + commandList(root))
        }
        var command: any ParsableCommand
        do {
            command = try root.parseAsRoot(arguments)
        } catch {
            return outcome(for: error, root)
        }
        if command is Root {
            return Outcome(status: 2, stderr: "Error: Specify COMMAND\n\n" + commandList(root))
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return Outcome(status: 0)
        } catch let failure as ClientFailure {
            return failure.printsToStandardOutput
                ? Outcome(status: 1, stdout: failure.description + "\n")
                : Outcome(status: 1, stderr: failure.description + "\n")
        } catch {
            return outcome(for: error, root)
        }
    }

    /// Maps an ArgumentParser error (help, usage error, `ExitCode`) to the CLI's outcome.
    static func outcome<Root: ParsableCommand>(for error: any Error, _ root: Root.Type) -> Outcome {
        let code = root.exitCode(for: error)
        var message = root.fullMessage(for: error)
        if !message.isEmpty, !message.hasSuffix("\n") { message += "\n" }
        if code == .success {
            return Outcome(status: 0, stdout: message)
        }
        if code == .validationFailure {
            return Outcome(status: 2, stderr: message)
        }
        return Outcome(status: code.rawValue, stderr: message)
    }

    /// Pegasus' dispatcher takes the first argument that does not start with `-` as the command, so
    /// `pegasus-em -l workflows E` works; this moves it to the front. ArgumentParser's own root options
    /// (completion scripts, help dumps) are left alone.
    public static func normalize(_ arguments: [String]) -> [String] {
        guard let first = arguments.first, first.hasPrefix("-") else { return arguments }
        let builtins = ["--generate-completion-script", "--experimental-dump-help", "---"]
        if builtins.contains(where: { first.hasPrefix($0) }) { return arguments }
        guard let index = arguments.firstIndex(where: { !$0.hasPrefix("-") }) else { return arguments }
        var reordered = arguments
        let command = reordered.remove(at: index)
        reordered.insert(command, at: 0)
        return reordered
    }

    /// Every subcommand name and alias of `root`.
    static func knownCommandNames<Root: ParsableCommand>(_ root: Root.Type) -> Set<String> {
        var names: Set<String> = []
        for sub in root.configuration.subcommands {
            names.insert(commandName(of: sub))
            names.formUnion(sub.configuration.aliases)
        }
        return names
    }

    /// Pegasus' usage and command list: `    name(20) description`.
    public static func commandList<Root: ParsableCommand>(_ root: Root.Type) -> String {
        var out = "Usage: pegasus-em COMMAND [options] [args]\n\nCommands:\n"
        for sub in root.configuration.subcommands {
            out += "    " + pad(commandName(of: sub), 20) + " " + sub.configuration.abstract + "\n"
        }
        out += "\nSee 'pegasus-em COMMAND --help' for the options of a command.\n"
        return out
    }

    private static func commandName(of command: any ParsableCommand.Type) -> String {
        command.configuration.commandName ?? command._commandName
    }
}

#if canImport(Glibc)
    import Glibc
#endif
