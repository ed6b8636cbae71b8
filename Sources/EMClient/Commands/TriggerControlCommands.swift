import ArgumentParser

/// `[options] ENSEMBLE TRIGGER`: what the verbs that act on one trigger take.
struct TriggerVerbArguments: ParsableArguments {
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble and the trigger", valueName: "ENSEMBLE TRIGGER"))
    var arguments: [String] = []

    mutating func validate() throws {
        try requireTwo(arguments)
    }

    /// POST `/ensembles/E/triggers/T/<action>`, printing the server's message.
    func post(_ action: String, session: Session) async throws(ClientFailure) {
        let reply = try await session.api.request(
            "POST", ["ensembles", arguments[0], "triggers", arguments[1], action])
        try printMessage(reply, session: session, json: output.json)
    }
}

/// `pegasus-em pause-trigger ENSEMBLE TRIGGER`.
public struct PauseTriggerCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pause-trigger",
        abstract: "Pause a trigger (it fires nothing until resumed)",
        usage: "pegasus-em pause-trigger [options] ENSEMBLE TRIGGER"
    )

    @OptionGroup var target: TriggerVerbArguments

    public init() {}

    public func perform(_ session: Session) async throws(ClientFailure) {
        try await target.post("pause", session: session)
    }
}

/// `pegasus-em resume-trigger ENSEMBLE TRIGGER`.
public struct ResumeTriggerCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "resume-trigger",
        abstract: "Resume a paused trigger",
        usage: "pegasus-em resume-trigger [options] ENSEMBLE TRIGGER"
    )

    @OptionGroup var target: TriggerVerbArguments

    public init() {}

    public func perform(_ session: Session) async throws(ClientFailure) {
        try await target.post("resume", session: session)
    }
}

/// `pegasus-em fire-trigger ENSEMBLE TRIGGER`.
public struct FireTriggerCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fire-trigger",
        abstract: "Fire a trigger now (submit what its next tick would)",
        usage: "pegasus-em fire-trigger [options] ENSEMBLE TRIGGER",
        discussion: """
            The trigger's schedule is not changed. The answer names the submitted workflows, or says that there was \
            nothing to submit (no ready files, or the overlap policy skipped it).
            """
    )

    @OptionGroup var target: TriggerVerbArguments

    public init() {}

    public func perform(_ session: Session) async throws(ClientFailure) {
        try await target.post("fire", session: session)
    }
}

/// `pegasus-em trigger-preview ENSEMBLE TRIGGER [-n N]`.
public struct TriggerPreviewCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trigger-preview",
        abstract: "Show when a trigger fires next and what it would submit",
        usage: "pegasus-em trigger-preview [options] ENSEMBLE TRIGGER [-n N]"
    )

    @Option(
        name: .customShort("n"),
        help: ArgumentHelp("How many fire times to show, 1 to 100 (default: the server's, 5)", valueName: "N"))
    var count: String?
    @OptionGroup var target: TriggerVerbArguments

    public init() {}

    public mutating func validate() throws {
        if let count, Int(count).map({ (1...100).contains($0) }) != true {
            throw ValidationError("-n must be an integer from 1 to 100: \(count)")
        }
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let query = count.flatMap { Int($0) }.map { [(name: "n", value: String($0))] } ?? []
        let reply = try await session.api.request(
            "GET", ["ensembles", target.arguments[0], "triggers", target.arguments[1], "preview"], query: query)
        if target.output.json { return session.writeJSON(reply) }
        session.write(session.formatter.triggerPreview(try reply.decode(TriggerPreview.self)))
    }
}

/// `pegasus-em update-trigger ENSEMBLE TRIGGER [options]`: changes only the settings given.
public struct UpdateTriggerCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "update-trigger",
        abstract: "Change the settings of a trigger",
        usage: "pegasus-em update-trigger [options] ENSEMBLE TRIGGER",
        discussion: """
            Only the options given are sent; the server checks them as it does at creation and changes nothing if \
            one is invalid. Give ENSEMBLE TRIGGER before --patterns, which takes every value up to the next option.
            """
    )

    @Option(help: ArgumentHelp("New interval, as <int><s|m|h|d>", valueName: "duration"))
    var interval: String?
    @Option(help: ArgumentHelp("New 5-field cron schedule", valueName: "expression"))
    var cron: String?
    @Option(
        name: [.customLong("timezone"), .customLong("tz")],
        help: ArgumentHelp("New IANA time zone of the cron schedule", valueName: "zone"))
    var timezone: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("New timeout, as <int><s|m|h|d>, or none", valueName: "timeout"))
    var timeout: String?
    @Option(
        name: .shortAndLong,
        parsing: .unconditional,
        help: ArgumentHelp("New CLI args of the workflow script, as one string split on spaces (\"\" for none)")
    )
    var args: String?
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp("New absolute file pattern(s) (file triggers)", valueName: "pattern"))
    var patterns: [String] = []
    @Option(help: ArgumentHelp("New settle time (file triggers)", valueName: "duration"))
    var settle: String?
    @Option(help: ArgumentHelp("New ready marker glob, \"\" for none (file triggers)", valueName: "glob"))
    var readyMarker: String?
    @Option(help: ArgumentHelp("New limit of files per workflow (file triggers)", valueName: "n"))
    var maxFiles: Int?
    @Option(name: .shortAndLong, parsing: .unconditional, help: "New priority of the workflows the trigger submits")
    var priority: Int?
    @Option(help: ArgumentHelp("New catch-up policy: none, one or all", valueName: "policy"))
    var catchup: String?
    @OptionGroup var policy: TriggerPolicyOptions
    @Option(help: ArgumentHelp("New workflow script (made absolute here)", valueName: "path"))
    var workflowScript: String?
    @Flag(inversion: .prefixedNo, help: "Move taken files into processed/ (file triggers)")
    var moveProcessed: Bool?
    @OptionGroup var target: TriggerVerbArguments

    public init() {}

    public mutating func validate() throws {
        try validateCatchup(catchup)
        if body(workingDirectory: "/").isEmpty {
            throw ValidationError("Specify at least one option to change")
        }
    }

    /// The request body: exactly the options given.
    func body(workingDirectory: String) -> UpdateTriggerBody {
        UpdateTriggerBody(
            interval: interval,
            cron: cron,
            timezone: timezone,
            timeout: timeout,
            workflowScript: workflowScript.map { absolutePath($0, workingDirectory: workingDirectory) },
            workflowArgs: args.map(splitPegasusArgs),
            filePatterns: patterns.isEmpty ? nil : patterns,
            settle: settle,
            readyMarker: readyMarker,
            maxFiles: maxFiles,
            priority: priority,
            catchup: catchup,
            overlap: policy.overlap,
            pauseAfterFailures: policy.failureLimit,
            moveProcessed: moveProcessed
        )
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let reply = try await session.api.request(
            "PUT", ["ensembles", target.arguments[0], "triggers", target.arguments[1]],
            body: body(workingDirectory: session.workingDirectory))
        try printMessage(reply, session: session, json: target.output.json)
    }
}

/// `--overlap` and `--pause-after-failures`, shared by the creating commands and `update-trigger`.
struct TriggerPolicyOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "What a tick does while the trigger's last workflow still runs: allow (submit anyway), skip, or "
                + "buffer-one (submit once it ends)",
            valueName: "policy"))
    var overlap: String?
    @Option(
        help: ArgumentHelp(
            "Pause the trigger after this many consecutive failed workflows (none or 0: never)", valueName: "n"))
    var pauseAfterFailures: String?

    static let overlapPolicies = ["allow", "skip", "buffer-one"]

    mutating func validate() throws {
        if let overlap, !Self.overlapPolicies.contains(overlap) {
            throw ValidationError("--overlap must be allow, skip or buffer-one: \(overlap)")
        }
        if let pauseAfterFailures, FailureLimit(argument: pauseAfterFailures) == nil {
            throw ValidationError("--pause-after-failures must be an integer >= 1, or none: \(pauseAfterFailures)")
        }
    }

    /// `--pause-after-failures` as sent; nil when not given.
    var failureLimit: FailureLimit? {
        pauseAfterFailures.flatMap { FailureLimit(argument: $0) }
    }
}

/// `--catchup none|one|all`.
func validateCatchup(_ catchup: String?) throws {
    if let catchup, !["none", "one", "all"].contains(catchup) {
        throw ValidationError("--catchup must be none, one or all: \(catchup)")
    }
}
