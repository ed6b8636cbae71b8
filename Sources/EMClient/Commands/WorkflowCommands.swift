import ArgumentParser

/// `pegasus-em submit` (`sub`): `[-p N] ENSEMBLE.WORKFLOW plan_command [arg...]`.
public struct SubmitCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit workflow",
        usage: "pegasus-em submit [options] ENSEMBLE.WORKFLOW plan_command [arg...]",
        discussion: """
            Options go before ENSEMBLE.WORKFLOW; everything after it belongs to the plan command. The plan command \
            is resolved to an absolute executable through PATH here, and it runs later on the server in the \
            current directory, with its arguments exactly as given (no shell is involved).
            """,
        aliases: ["sub"]
    )

    @Option(name: .shortAndLong, parsing: .unconditional, help: ArgumentHelp("Workflow priority", valueName: "NUMBER"))
    var priority = 0

    @OptionGroup public var output: OutputOptions

    @Argument(help: ArgumentHelp("The ensemble and the name of the new workflow", valueName: "ENSEMBLE.WORKFLOW"))
    var workflow: String?

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("The planning command and its arguments", valueName: "plan_command")
    )
    var planCommand: [String] = []

    public init() {}

    public mutating func validate() throws {
        guard let workflow, !planCommand.isEmpty else {
            throw ValidationError("Specify ENSEMBLE.WORKFLOW and planning command")
        }
        _ = try splitEnsembleWorkflow(workflow)
        let resolved = PlanCommand.findExecutable(
            planCommand[0],
            workingDirectory: ClientRuntime.currentDirectory(),
            searchPath: ProcessEnvironment.path
        )
        if resolved == nil { throw ValidationError("invalid planning command: \(planCommand[0])") }
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        guard let workflow, let (ensemble, name) = try? splitEnsembleWorkflow(workflow),
            let plan = PlanCommand.resolve(
                planCommand[0],
                arguments: Array(planCommand.dropFirst()),
                workingDirectory: session.workingDirectory,
                searchPath: session.searchPath
            )
        else {
            throw ClientFailure.configuration("invalid planning command: \(planCommand.first ?? "")")
        }
        let body = SubmitWorkflowBody(
            name: name,
            priority: priority,
            basedir: session.workingDirectory,
            planCommand: plan.pegasusString,
            planArgv: plan.argv
        )
        let reply = try await session.api.request("POST", ["ensembles", ensemble, "workflows"], body: body)
        if output.json { session.writeJSON(reply) }
    }
}

/// `pegasus-em workflows` (`w`) `ENSEMBLE [-l] [-s STATE] [--limit N] [--after CURSOR]`.
public struct WorkflowsCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "workflows",
        abstract: "List workflows in ensemble",
        usage: "pegasus-em workflows [options] ENSEMBLE",
        discussion: """
            With -s, --limit or --after the list is paged: oldest first by id, at most --limit workflows, and when \
            more follow, the last line is the command for the next page. Without them every workflow is listed, \
            as Pegasus' client does.
            """,
        aliases: ["w"]
    )

    @Flag(name: .shortAndLong, help: "Show detailed output")
    var long = false

    @OptionGroup var page: PageOptions
    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The ensemble", valueName: "ENSEMBLE")) var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        try requireOne(arguments, missing: "Specify ENSEMBLE")
        try page.check(states: PageOptions.workflowStates)
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let reply = try await session.api.request("GET", ["ensembles", arguments[0], "workflows"], query: page.query)
        if output.json { return session.writeJSON(reply) }
        let (workflows, next) = try page.list(reply, page: WorkflowPage.self, items: \.workflows, next: \.next)
        session.write(long ? session.formatter.workflowsLong(workflows) : session.formatter.workflows(workflows))
        page.writeNextPage(next, verb: "workflows", long: long, ensemble: arguments[0], session)
    }
}

/// `pegasus-em status` (`st`) `ENSEMBLE.WORKFLOW`.
public struct StatusCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Check workflow status",
        usage: "pegasus-em status [options] ENSEMBLE.WORKFLOW",
        aliases: ["st"]
    )

    @Flag(name: .shortAndLong, help: "Also show the plan argv, the last diagnostic and the state history")
    var long = false

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The workflow", valueName: "ENSEMBLE.WORKFLOW")) var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        _ = try requireWorkflow(arguments)
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let (ensemble, workflow) = try workflowPath(arguments)
        let reply = try await session.api.request("GET", ["ensembles", ensemble, "workflows", workflow])
        if output.json { return session.writeJSON(reply) }
        session.write(session.formatter.workflowStatus(try reply.decode(WorkflowResource.self), long: long))
    }
}

/// `pegasus-em analyze` (`an`) `ENSEMBLE.WORKFLOW`: the server's text report, raw.
public struct AnalyzeCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyze workflow status",
        usage: "pegasus-em analyze ENSEMBLE.WORKFLOW",
        aliases: ["an"]
    )

    @Argument(help: ArgumentHelp("The workflow", valueName: "ENSEMBLE.WORKFLOW")) var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        _ = try requireWorkflow(arguments)
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let (ensemble, workflow) = try workflowPath(arguments)
        let reply = try await session.api.request("GET", ["ensembles", ensemble, "workflows", workflow, "analyze"])
        session.write(reply.text)
    }
}

/// `replan`, `rerun`, `abort`: sets the workflow's state and prints `State: X`.
public protocol WorkflowStateCommand: ClientCommand {
    /// The state sent to the server.
    static var newState: String { get }
    var workflowArguments: [String] { get }
    var output: OutputOptions { get }
}

extension WorkflowStateCommand {
    public func perform(_ session: Session) async throws(ClientFailure) {
        let (ensemble, workflow) = try workflowPath(workflowArguments)
        let reply = try await session.api.request(
            "POST",
            ["ensembles", ensemble, "workflows", workflow],
            body: UpdateWorkflowBody(state: Self.newState)
        )
        if output.json { return session.writeJSON(reply) }
        session.write(session.formatter.stateLine(try reply.decode(WorkflowResource.self).state))
    }
}

/// `pegasus-em replan ENSEMBLE.WORKFLOW`.
public struct ReplanCommand: WorkflowStateCommand {
    public static let configuration = CommandConfiguration(
        commandName: "replan",
        abstract: "Replan failed workflow",
        usage: "pegasus-em replan ENSEMBLE.WORKFLOW"
    )
    public static let newState = "READY"

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The workflow", valueName: "ENSEMBLE.WORKFLOW"))
    public var workflowArguments: [String] = []

    public init() {}

    public mutating func validate() throws { _ = try requireWorkflow(workflowArguments) }
}

/// `pegasus-em rerun ENSEMBLE.WORKFLOW`.
public struct RerunCommand: WorkflowStateCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Rerun failed workflow",
        usage: "pegasus-em rerun ENSEMBLE.WORKFLOW"
    )
    public static let newState = "QUEUED"

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The workflow", valueName: "ENSEMBLE.WORKFLOW"))
    public var workflowArguments: [String] = []

    public init() {}

    public mutating func validate() throws { _ = try requireWorkflow(workflowArguments) }
}

/// `pegasus-em abort ENSEMBLE.WORKFLOW` (Pegasus has the class but never registered it).
public struct AbortCommand: WorkflowStateCommand {
    public static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "Abort workflow",
        usage: "pegasus-em abort ENSEMBLE.WORKFLOW"
    )
    public static let newState = "ABORTED"

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The workflow", valueName: "ENSEMBLE.WORKFLOW"))
    public var workflowArguments: [String] = []

    public init() {}

    public mutating func validate() throws { _ = try requireWorkflow(workflowArguments) }
}

/// `pegasus-em priority ENSEMBLE.WORKFLOW -p N`.
public struct PriorityCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "priority",
        abstract: "Update workflow priority",
        usage: "pegasus-em priority ENSEMBLE.WORKFLOW -p PRIORITY"
    )

    @Option(
        name: .shortAndLong, parsing: .unconditional, help: ArgumentHelp("New workflow priority", valueName: "PRIORITY")
    )
    var priority: Int?

    @OptionGroup public var output: OutputOptions
    @Argument(help: ArgumentHelp("The workflow", valueName: "ENSEMBLE.WORKFLOW")) var arguments: [String] = []

    public init() {}

    public mutating func validate() throws {
        if priority == nil { throw ValidationError("Specify -p/--priority") }
        _ = try requireWorkflow(arguments)
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        let (ensemble, workflow) = try workflowPath(arguments)
        let reply = try await session.api.request(
            "POST",
            ["ensembles", ensemble, "workflows", workflow],
            body: UpdateWorkflowBody(priority: priority)
        )
        if output.json { return session.writeJSON(reply) }
        session.write(session.formatter.priorityLine(try reply.decode(WorkflowResource.self).priority))
    }
}

// MARK: - Shared

/// Pegasus' checks for commands taking one `ENSEMBLE.WORKFLOW`, in its order.
func requireWorkflow(_ arguments: [String]) throws -> (String, String) {
    try requireOne(arguments, missing: "Specify ENSEMBLE.WORKFLOW")
    return try splitEnsembleWorkflow(arguments[0])
}

/// The already validated `ENSEMBLE.WORKFLOW` of a parsed command.
func workflowPath(_ arguments: [String]) throws(ClientFailure) -> (String, String) {
    guard let first = arguments.first, let pair = try? splitEnsembleWorkflow(first) else {
        throw ClientFailure.configuration("Invalid ENSEMBLE.WORKFLOW: \(arguments.first ?? "")")
    }
    return pair
}

/// The process environment values the client reads.
enum ProcessEnvironment {
    /// `PATH`, if set.
    static var path: String? {
        getenv("PATH").map { String(cString: $0) }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
