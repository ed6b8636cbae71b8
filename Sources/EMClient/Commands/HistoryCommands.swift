import ArgumentParser
import Foundation

/// `-s STATE`, `--limit N`, `--after CURSOR`: the paged, filtered form of `workflows` and `triggers`. Without any
/// of them the command asks for the unpaged list and prints exactly what Pegasus' client prints.
struct PageOptions: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Only in this state; a comma-separated list or repeated for several", valueName: "STATE"))
    var state: [String] = []
    @Option(help: ArgumentHelp("At most this many per page, 1 to 1000 (default 100 when paging)", valueName: "N"))
    var limit: Int?
    @Option(help: ArgumentHelp("The page after this cursor (printed after the previous page)", valueName: "CURSOR"))
    var after: String?

    /// Whether any paging option was given.
    var isPaged: Bool { !state.isEmpty || limit != nil || after != nil }

    /// The states given, upper-cased, one per entry.
    var states: [String] {
        state.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
    }

    /// Checks the options; `allowed` are the states of the listed resource.
    func check(states allowed: [String]) throws {
        for s in states where !allowed.contains(s) {
            throw ValidationError("-s/--state must be one of \(allowed.joined(separator: ", ")): \(s)")
        }
        try checkLimit(limit)
        if let after, after.isEmpty { throw ValidationError("--after must be a cursor printed by a previous page") }
    }

    /// The query of the paged request.
    var query: [(name: String, value: String)] {
        var query: [(name: String, value: String)] = []
        if !states.isEmpty { query.append(("state", states.joined(separator: ","))) }
        if let limit { query.append(("limit", String(limit))) }
        if let after { query.append(("after", after)) }
        return query
    }

    /// The options to repeat in the next page's command (without `--after`).
    var repeated: [String] {
        (states.isEmpty ? [] : ["-s", states.joined(separator: ",")]) + (limit.map { ["--limit", String($0)] } ?? [])
    }

    /// The listed resources of a reply: Pegasus' array when not paged, else the page's items and its cursor.
    func list<Item: Decodable, Page: Decodable>(
        _ reply: EnsembleManagerAPI.Reply, page _: Page.Type, items: (Page) -> [Item], next: (Page) -> String?
    ) throws(ClientFailure) -> (items: [Item], next: String?) {
        guard isPaged else { return (try reply.decode([Item].self), nil) }
        let decoded = try reply.decode(Page.self)
        return (items(decoded), next(decoded))
    }

    /// After a page with more to come: the command that lists the next one.
    func writeNextPage(_ next: String?, verb: String, long: Bool, ensemble: String, _ session: Session) {
        guard let next else { return }
        let command = ["pegasus-em", verb] + (long ? ["-l"] : []) + [ensemble] + repeated
        session.write(session.formatter.nextPage(command, after: next))
    }

    /// Pegasus' workflow states.
    static let workflowStates = [
        "READY", "PLANNING", "PLAN_FAILED", "QUEUED", "RUN_FAILED", "RUNNING", "FAILED", "SUCCESSFUL", "ABORTED",
    ]
    /// Trigger states.
    static let triggerStates = ["RUNNING", "PAUSED", "STOPPED", "EXPIRED", "FAILED"]
}

/// `--limit`: 1...1000 when given.
func checkLimit(_ limit: Int?) throws {
    if let limit, !(1...1000).contains(limit) {
        throw ValidationError("--limit must be an integer from 1 to 1000: \(limit)")
    }
}

/// `pegasus-em trigger-files ENSEMBLE TRIGGER [--path GLOB] [--since T] [--limit N] [--after CURSOR]`.
public struct TriggerFilesCommand: ClientCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trigger-files",
        abstract: "List the files a trigger recorded and their workflows",
        usage: "pegasus-em trigger-files [options] ENSEMBLE TRIGGER [--path GLOB] [--since TIME] [--limit N]",
        discussion: """
            Newest first, with the workflow each file went into and that workflow's state now; a re-created \
            trigger shows its predecessors' files too (they share the ledger). --path is an exact path or a glob \
            (* and ? match any characters, / included; [abc] a class). When there are more files than --limit, the \
            last line is the command for the next page.
            """
    )

    @Option(help: ArgumentHelp("Only this path, or the paths matching this glob", valueName: "GLOB"))
    var path: String?
    @Option(
        help: ArgumentHelp(
            "Only files recorded since: epoch seconds, ISO 8601 (2026-12-07T18:00:00Z) or a duration ago (2h, 3d)",
            valueName: "TIME"))
    var since: String?
    @Option(help: ArgumentHelp("At most this many files, 1 to 1000 (default 100)", valueName: "N"))
    var limit: Int?
    @Option(help: ArgumentHelp("The page after this cursor (printed after the previous page)", valueName: "CURSOR"))
    var after: String?
    @OptionGroup var target: TriggerVerbArguments

    public init() {}

    public mutating func validate() throws {
        if let path, path.isEmpty { throw ValidationError("--path must be a path or a glob, not empty") }
        if let since, !Self.looksLikeTime(since) {
            throw ValidationError(
                "--since must be epoch seconds, an ISO 8601 time (2026-12-07T18:00:00Z) or a duration ago (2h): \(since)"
            )
        }
        try checkLimit(limit)
        if let after, after.isEmpty { throw ValidationError("--after must be a cursor printed by a previous page") }
    }

    /// The forms the server accepts for a time (it checks them again).
    static func looksLikeTime(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.first?.isNumber == true, Double(trimmed) != nil { return true }
        if trimmed.wholeMatch(of: #/\d{4}-\d\d-\d\d(T.+)?/#) != nil { return true }
        return trimmed.wholeMatch(of: #/(\d+ *[smhdSMHD] *)+/#) != nil
    }

    /// `since` as sent: a duration ago (`2h`, `1d12h`) becomes epoch seconds once, so that every page of a listing
    /// (and the next-page command printed) asks for the same moment; other forms go as given.
    static func absoluteSince(_ text: String, now: Date) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.first?.isNumber == true, Double(trimmed) == nil,
            trimmed.wholeMatch(of: #/(\d+ *[smhdSMHD] *)+/#) != nil
        else { return text }
        var seconds = 0.0
        for part in trimmed.matches(of: #/(\d+) *([smhdSMHD])/#) {
            let unit: Double =
                switch part.output.2.lowercased() {
                case "s": 1
                case "m": 60
                case "h": 3600
                default: 86400
                }
            seconds += (Double(part.output.1) ?? 0) * unit
        }
        return String(Int64((now.timeIntervalSince1970 - seconds).rounded(.down)))
    }

    public func perform(_ session: Session) async throws(ClientFailure) {
        var query: [(name: String, value: String)] = []
        var repeated: [String] = []
        let since = since.map { Self.absoluteSince($0, now: Date()) }
        for (name, value) in [("path", path), ("since", since), ("limit", limit.map(String.init))] {
            guard let value else { continue }
            query.append((name, value))
            repeated += ["--\(name)", value]
        }
        if let after { query.append(("after", after)) }
        let (ensemble, trigger) = (target.arguments[0], target.arguments[1])
        let reply = try await session.api.request(
            "GET", ["ensembles", ensemble, "triggers", trigger, "files"], query: query)
        if target.output.json { return session.writeJSON(reply) }
        let page = try reply.decode(TriggerFilesPage.self)
        session.write(session.formatter.triggerFiles(page, trigger: trigger))
        if let next = page.next {
            let command = ["pegasus-em", "trigger-files", ensemble, trigger] + repeated
            session.write(session.formatter.nextPage(command, after: next))
        }
    }
}
