import ArgumentParser

/// `pegasus-em ensembles` (`e`).
public struct EnsemblesCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ensembles",
        abstract: "List ensembles",
        aliases: ["e"]
    )

    @OptionGroup public var output: OutputOptions
    @Argument(help: .hidden) var extra: [String] = []

    public init() {}

    public mutating func validate() throws {
        if !extra.isEmpty { throw ValidationError("Invalid argument") }
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let reply = try await session.api.request("GET", ["ensembles"])
        if output.json { return session.writeJSON(reply) }
        session.write(session.formatter.ensembles(try reply.decode([EnsembleResource].self)))
    }
}

/// `pegasus-em create` (`c`).
public struct CreateCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create ensemble",
        usage: "pegasus-em create [options] ENSEMBLE",
        aliases: ["c"]
    )

    @Option(
        name: [.customShort("P"), .customLong("max-planning")],
        parsing: .unconditional,
        help: ArgumentHelp("Maximum number of workflows being planned at once", valueName: "N")
    )
    var maxPlanning = 1

    @Option(
        name: [.customShort("R"), .customLong("max-running")],
        parsing: .unconditional,
        help: ArgumentHelp("Maximum number of workflows running at once", valueName: "N")
    )
    var maxRunning = 1

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The name of the new ensemble", valueName: "ENSEMBLE")) var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        if arguments.count != 1 { throw ValidationError("Specify ENSEMBLE") }
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let body = CreateEnsembleBody(name: arguments[0], maxPlanning: maxPlanning, maxRunning: maxRunning)
        let reply = try await session.api.request("POST", ["ensembles"], body: body)
        if output.json { session.writeJSON(reply) }
    }
}

/// `pause`, `activate`, `hold`, `release`: sets the ensemble's state and prints `State: X`.
public protocol EnsembleStateCommand: ClientCommand {
    /// The state sent to the server.
    static var newState: String { get }
    var ensembleArguments: [String] { get }
    var output: OutputOptions { get }
}

extension EnsembleStateCommand {
    func validateEnsemble() throws {
        try requireOne(ensembleArguments, missing: "Specify ENSEMBLE")
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let reply = try await session.api.request(
            "POST",
            ["ensembles", ensembleArguments[0]],
            body: UpdateEnsembleBody(state: Self.newState)
        )
        if output.json { return session.writeJSON(reply) }
        session.write(session.formatter.stateLine(try reply.decode(EnsembleResource.self).state))
    }
}

/// `pegasus-em pause ENSEMBLE`.
public struct PauseCommand: EnsembleStateCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause active ensemble",
        usage: "pegasus-em pause ENSEMBLE"
    )
    public static let newState = "PAUSED"

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble", valueName: "ENSEMBLE")) public var ensembleArguments: [String] = []

    public init() {}

    public mutating func validate() throws { try validateEnsemble() }
}

/// `pegasus-em activate ENSEMBLE`.
public struct ActivateCommand: EnsembleStateCommand {
    public static let configuration = CommandConfiguration(
        commandName: "activate",
        abstract: "Activate paused or held ensemble",
        usage: "pegasus-em activate ENSEMBLE"
    )
    public static let newState = "ACTIVE"

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble", valueName: "ENSEMBLE")) public var ensembleArguments: [String] = []

    public init() {}

    public mutating func validate() throws { try validateEnsemble() }
}

/// `pegasus-em hold ENSEMBLE` (Pegasus has the class but never registered it).
public struct HoldCommand: EnsembleStateCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Hold active ensemble",
        usage: "pegasus-em hold ENSEMBLE"
    )
    public static let newState = "HELD"

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble", valueName: "ENSEMBLE")) public var ensembleArguments: [String] = []

    public init() {}

    public mutating func validate() throws { try validateEnsemble() }
}

/// `pegasus-em release ENSEMBLE`: back to ACTIVE from HELD.
public struct ReleaseCommand: EnsembleStateCommand {
    public static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release held ensemble",
        usage: "pegasus-em release ENSEMBLE"
    )
    public static let newState = "ACTIVE"

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble", valueName: "ENSEMBLE")) public var ensembleArguments: [String] = []

    public init() {}

    public mutating func validate() throws { try validateEnsemble() }
}

/// `pegasus-em config ENSEMBLE [-P N] [-R N]`.
public struct ConfigCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Change ensemble configuration",
        usage: "pegasus-em config [options] ENSEMBLE"
    )

    @Option(
        name: [.customShort("P"), .customLong("max-planning")],
        parsing: .unconditional,
        help: ArgumentHelp("Maximum number of workflows being planned at once", valueName: "N")
    )
    var maxPlanning: Int?

    @Option(
        name: [.customShort("R"), .customLong("max-running")],
        parsing: .unconditional,
        help: ArgumentHelp("Maximum number of workflows running at once", valueName: "N")
    )
    var maxRunning: Int?

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble", valueName: "ENSEMBLE")) var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        try requireOne(arguments, missing: "Specify ENSEMBLE")
        // Unlike Pegasus (a truthiness test), 0 counts as given, so the server rejects it with its own message.
        if maxPlanning == nil && maxRunning == nil {
            throw ValidationError("Specify --max-planning or --max-running")
        }
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let reply = try await session.api.request(
            "POST",
            ["ensembles", arguments[0]],
            body: UpdateEnsembleBody(maxPlanning: maxPlanning, maxRunning: maxRunning)
        )
        if output.json { return session.writeJSON(reply) }
        session.write(session.formatter.ensembleConfig(try reply.decode(EnsembleResource.self)))
    }
}

/// `pegasus-em delete ENSEMBLE` or `pegasus-em delete ENSEMBLE.WORKFLOW`.
public struct DeleteCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete an ensemble or a finished workflow",
        usage: "pegasus-em delete ENSEMBLE | ENSEMBLE.WORKFLOW",
        discussion: """
            An ensemble can be deleted once none of its workflows is planning, queued or running; a workflow \
            once it has finished. The server refuses otherwise.
            """
    )

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble, or the workflow of an ensemble", valueName: "TARGET"))
    var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        try requireOne(arguments, missing: "Specify ENSEMBLE or ENSEMBLE.WORKFLOW")
        if arguments[0].contains(".") { _ = try splitEnsembleWorkflow(arguments[0]) }
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        var segments = ["ensembles", arguments[0]]
        if arguments[0].contains("."), let (ensemble, workflow) = try? splitEnsembleWorkflow(arguments[0]) {
            segments = ["ensembles", ensemble, "workflows", workflow]
        }
        let reply = try await session.api.request("DELETE", segments)
        if output.json { return session.writeJSON(reply) }
        session.write(try reply.decode(MessageResource.self).message + "\n")
    }
}

// MARK: - Shared validation (Pegasus' optparse messages)

/// Exactly one positional argument: `missing` for none, "Invalid argument" for more.
func requireOne(_ arguments: [String], missing: String) throws {
    if arguments.isEmpty { throw ValidationError(missing) }
    if arguments.count > 1 { throw ValidationError("Invalid argument") }
}

/// Pegasus' `splitew`: exactly one `.`.
func splitEnsembleWorkflow(_ text: String) throws -> (String, String) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2 else { throw ValidationError("Invalid ENSEMBLE.WORKFLOW: \(text)") }
    return (String(parts[0]), String(parts[1]))
}
