import ArgumentParser

private let intervalHelp = "Duration of each trigger interval, as <int><s|m|h|d> (e.g. 10s, 5m, 1h)"
private let timeoutHelp = "Trigger timeout, as <int><s|m|h|d>; the trigger stops after it"

/// `pegasus-em cron-trigger ENSEMBLE TRIGGER INTERVAL WORKFLOW_SCRIPT [-t TIMEOUT] [-a ARGS]`.
public struct CronTriggerCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cron-trigger",
        abstract: "Create a time based workflow trigger",
        usage: """
            pegasus-em cron-trigger ENSEMBLE TRIGGER INTERVAL WORKFLOW_SCRIPT [--timeout TIMEOUT] [--args ARGS]
              pegasus-em cron-trigger ENSEMBLE TRIGGER WORKFLOW_SCRIPT --cron EXPRESSION [options]
            """
    )

    @Argument(help: "The ensemble to which this trigger belongs") var ensemble: String?
    @Argument(help: "The name of the trigger to be added") var trigger: String?
    @Argument(help: ArgumentHelp(intervalHelp + " (omitted with --cron)")) var interval: String?
    @Argument(help: ArgumentHelp("Path to the workflow script", valueName: "workflow-script"))
    var workflowScript: String?

    @Option(name: .shortAndLong, help: ArgumentHelp(timeoutHelp)) var timeout: String?
    @Option(
        name: .shortAndLong,
        parsing: .unconditional,
        help: ArgumentHelp("CLI args to be passed to WORKFLOW_SCRIPT, as one string split on spaces")
    )
    var args: String?
    @Option(name: .shortAndLong, parsing: .unconditional, help: "Priority of the workflows the trigger submits")
    var priority: Int?
    @Option(help: ArgumentHelp("Fire on a 5-field cron schedule instead of an interval", valueName: "expression"))
    var cron: String?
    @Option(
        name: [.customLong("timezone"), .customLong("tz")],
        help: ArgumentHelp("IANA time zone of the cron schedule (default: UTC)", valueName: "zone")
    )
    var timezone: String?
    @Option(
        help: ArgumentHelp("Missed firings to make up after a server restart: none, one or all", valueName: "policy"))
    var catchup: String?
    @OptionGroup var policy: TriggerPolicyOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public mutating func validate() throws {
        if cron != nil, workflowScript == nil, let only = interval {
            workflowScript = only
            interval = nil
        }
        var missing: [String] = []
        if ensemble == nil { missing.append("ensemble") }
        if trigger == nil { missing.append("trigger") }
        if interval == nil && cron == nil { missing.append("interval") }
        if workflowScript == nil { missing.append("workflow_script") }
        if !missing.isEmpty {
            throw ValidationError("the following arguments are required: " + missing.joined(separator: ", "))
        }
        try validateCatchup(catchup)
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let body = CreateTriggerBody(
            trigger: trigger ?? "",
            workflowScript: absolutePath(workflowScript ?? "", workingDirectory: session.workingDirectory),
            workflowArgs: splitPegasusArgs(args),
            interval: interval,
            timeout: timeout,
            priority: priority,
            basedir: session.workingDirectory,
            catchup: catchup,
            cron: cron,
            timezone: timezone,
            overlap: policy.overlap,
            pauseAfterFailures: policy.failureLimit
        )
        let reply = try await session.api.request(
            "POST", ["ensembles", ensemble ?? "", "triggers", "cron"], body: body)
        try printMessage(reply, session: session, json: output.json)
    }
}

/// `pegasus-em file-pattern-trigger ENSEMBLE TRIGGER INTERVAL WORKFLOW_SCRIPT PATTERN... [-t T] [-a ARGS]`.
public struct FilePatternTriggerCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "file-pattern-trigger",
        abstract: "Create a file pattern based and time based workflow trigger",
        usage: """
            pegasus-em file-pattern-trigger ENSEMBLE TRIGGER INTERVAL WORKFLOW_SCRIPT FILE_PATTERN \
            [FILE_PATTERN ...] [--timeout TIMEOUT] [--args ARGS]
            """
    )

    @OptionGroup var trigger: FileTriggerArguments
    @Option(
        name: .shortAndLong,
        parsing: .unconditional,
        help: ArgumentHelp("CLI args to be passed to WORKFLOW_SCRIPT, as one string split on spaces")
    )
    var args: String?
    @OptionGroup public var output: OutputOptions

    public init() {}

    public mutating func validate() throws {
        try trigger.validateRequired()
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        try await trigger.create(workflowArgs: splitPegasusArgs(args), session: session, json: output.json)
    }
}

/// `pegasus-em trigger ...`: the user docs' spelling of `file-pattern-trigger`, `--args ARG1 [ARG2 ...]`.
public struct TriggerCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Create a file pattern based workflow trigger (documented spelling)",
        usage: """
            pegasus-em trigger ENSEMBLE TRIGGER INTERVAL WORKFLOW_SCRIPT FILE_PATTERN [FILE_PATTERN ...] \
            [--timeout TIMEOUT] [--args ARG1 [ARG2 ...]]
            """,
        discussion: """
            Each value after --args is one argument of WORKFLOW_SCRIPT; they run up to the next option. Give an \
            argument that starts with a dash as --args=--flag.
            """
    )

    @OptionGroup var trigger: FileTriggerArguments
    @Option(
        name: .shortAndLong,
        parsing: .upToNextOption,
        help: ArgumentHelp("Arguments to be passed to WORKFLOW_SCRIPT", valueName: "arg")
    )
    var args: [String] = []
    @OptionGroup public var output: OutputOptions

    public init() {}

    public mutating func validate() throws {
        try trigger.validateRequired()
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        try await trigger.create(workflowArgs: args, session: session, json: output.json)
    }
}

/// The positional arguments and options shared by `file-pattern-trigger` and `trigger`.
struct FileTriggerArguments: ParsableArguments {
    @Argument(help: "The ensemble to which this trigger belongs") var ensemble: String?
    @Argument(help: "The name of the trigger to be added") var trigger: String?
    @Argument(help: ArgumentHelp(intervalHelp)) var interval: String?
    @Argument(help: ArgumentHelp("Path to the workflow script", valueName: "workflow-script"))
    var workflowScript: String?
    @Argument(help: ArgumentHelp("Absolute file pattern(s) (glob) of the input files", valueName: "file-pattern"))
    var filePatterns: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp(timeoutHelp)) var timeout: String?
    @Option(name: .shortAndLong, parsing: .unconditional, help: "Priority of the workflows the trigger submits")
    var priority: Int?
    @Option(
        help: ArgumentHelp(
            "How long a file must stay unchanged before it is taken (e.g. 5s, 250ms; default: a 25 ms quiet period once no process has it open for writing, 1 s where that cannot be checked)",
            valueName: "duration"))
    var settle: String?
    @Option(
        help: ArgumentHelp(
            "Take a file only once its marker exists: '*.done' (the * is the file's name) or 'DONE' (for the whole directory)",
            valueName: "glob"))
    var readyMarker: String?
    @Option(help: ArgumentHelp("At most this many files per submitted workflow", valueName: "n"))
    var maxFiles: Int?
    @Flag(
        inversion: .prefixedNo,
        help: "Move taken files into a processed/ directory beside them (the server's default applies if not given)"
    )
    var moveProcessed: Bool?
    @Flag(help: "Never submit the files that match when the trigger is created")
    var skipExisting = false
    @Flag(
        help: """
            Do not inherit the ledger of an ended trigger of the same name: submit again what it submitted \
            (default: those files are not submitted again)
            """
    )
    var resubmitAll = false
    @OptionGroup var policy: TriggerPolicyOptions

    func validateRequired() throws {
        var missing: [String] = []
        if ensemble == nil { missing.append("ensemble") }
        if trigger == nil { missing.append("trigger") }
        if interval == nil { missing.append("interval") }
        if workflowScript == nil { missing.append("workflow_script") }
        if filePatterns.isEmpty { missing.append("file_patterns") }
        if !missing.isEmpty {
            throw ValidationError("the following arguments are required: " + missing.joined(separator: ", "))
        }
    }

    func create(workflowArgs: [String], session: Session, json: Bool) async throws(ClientFailure) {
        let body = CreateTriggerBody(
            trigger: trigger ?? "",
            workflowScript: absolutePath(workflowScript ?? "", workingDirectory: session.workingDirectory),
            workflowArgs: workflowArgs,
            interval: interval,
            timeout: timeout,
            filePatterns: filePatterns,
            priority: priority,
            basedir: session.workingDirectory,
            settle: settle,
            maxFiles: maxFiles,
            moveProcessed: moveProcessed,
            readyMarker: readyMarker,
            overlap: policy.overlap,
            pauseAfterFailures: policy.failureLimit,
            skipExisting: skipExisting ? true : nil,
            resubmitAll: resubmitAll ? true : nil
        )
        let reply = try await session.api.request(
            "POST",
            ["ensembles", ensemble ?? "", "triggers", "file_pattern"],
            body: body
        )
        try printMessage(reply, session: session, json: json)
    }
}

/// `pegasus-em triggers` (`t`) `ENSEMBLE [-l]`.
public struct TriggersCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "triggers",
        abstract: "List triggers in ensemble",
        usage: "pegasus-em triggers [options] ENSEMBLE",
        aliases: ["t"]
    )

    @Flag(name: .shortAndLong, help: "Show detailed output")
    var long = false

    @OptionGroup var page: PageOptions
    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble", valueName: "ENSEMBLE")) var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        try requireOne(arguments, missing: "Specify ENSEMBLE")
        try page.check(states: PageOptions.triggerStates)
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let reply = try await session.api.request("GET", ["ensembles", arguments[0], "triggers"], query: page.query)
        if output.json { return session.writeJSON(reply) }
        let (triggers, next) = try page.list(reply, page: TriggerPage.self, items: \.triggers, next: \.next)
        session.write(long ? session.formatter.triggersLong(triggers) : session.formatter.triggers(triggers))
        page.writeNextPage(next, verb: "triggers", long: long, ensemble: arguments[0], session)
    }
}

/// `pegasus-em trigger-status ENSEMBLE TRIGGER`.
public struct TriggerStatusCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trigger-status",
        abstract: "Show trigger status",
        usage: "pegasus-em trigger-status [options] ENSEMBLE TRIGGER"
    )

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble and the trigger", valueName: "ENSEMBLE TRIGGER"))
    var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        try requireTwo(arguments)
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let reply = try await session.api.request("GET", ["ensembles", arguments[0], "triggers", arguments[1]])
        if output.json { return session.writeJSON(reply) }
        session.write(session.formatter.triggerStatus(try reply.decode(TriggerResource.self)))
    }
}

/// `pegasus-em stop-trigger ENSEMBLE TRIGGER`.
public struct StopTriggerCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "stop-trigger",
        abstract: "Stop a specific trigger",
        usage: "pegasus-em stop-trigger [options] ENSEMBLE TRIGGER"
    )

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble and the trigger", valueName: "ENSEMBLE TRIGGER"))
    var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        try requireTwo(arguments)
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let reply = try await session.api.request("DELETE", ["ensembles", arguments[0], "triggers", arguments[1]])
        try printMessage(reply, session: session, json: output.json)
    }
}

// MARK: - Shared

/// Pegasus' `-a/--args`: one string split on single spaces (`"a  b"` gives an empty argument); empty or absent
/// gives no arguments.
func splitPegasusArgs(_ args: String?) -> [String] {
    guard let args, !args.isEmpty else { return [] }
    return args.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
}

/// `ENSEMBLE TRIGGER`.
func requireTwo(_ arguments: [String]) throws {
    if arguments.count < 2 { throw ValidationError("Specify ENSEMBLE and TRIGGER") }
    if arguments.count > 2 { throw ValidationError("Invalid argument") }
}

/// Prints the server's `message`, as Pegasus' trigger commands do.
func printMessage(_ reply: EnsembleManagerAPI.Reply, session: Session, json: Bool) throws(ClientFailure) {
    if json { return session.writeJSON(reply) }
    session.write(try reply.decode(MessageResource.self).message + "\n")
}
