import EnsembleCore
import EnsembleStore
import Foundation
import Hummingbird
import TriggerKit

/// The history routes (issue 15): a trigger's files newest first (`GET /ensembles/E/triggers/T/files`), and the
/// paged, filtered forms of the workflow and trigger lists. The unpaged lists stay as Pegasus' client reads them:
/// only a request with `state`, `limit` or `after` gets the paged shape.
extension EnsembleAPI {
    /// The query parameters that turn a list into its paged form.
    static let pagingParameters = ["state", "limit", "after"]

    func addHistoryRoutes(to router: Router<BasicRequestContext>) {
        router.get("/ensembles/:e/triggers/:t/files") { request, context in
            try await self.triggerFiles(request, context)
        }
    }

    /// Whether a list request asks for the paged form.
    static func wantsPage(_ request: Request) -> Bool {
        let parameters = request.uri.queryParameters
        return pagingParameters.contains { parameters.has(Substring($0)) }
    }

    // MARK: - Handlers

    func triggerFiles(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        var query = LedgerQuery(limit: try PageParameters.limit(parameters.get("limit")))
        if let path = parameters.get("path") {
            guard !path.isEmpty else { throw EMError.invalid("path must be a path or a glob pattern, not empty") }
            query.path = path
        }
        query.since = try parameters.get("since").map {
            try PageParameters.time($0, field: "since", now: EMStore.now())
        }
        query.before = try parameters.get("after").map { try PageCursor(parsing: $0, kind: .files).id }
        let page = try await manager.store.triggerFiles(
            ensemble: try context.parameters.require("e"), trigger: try context.parameters.require("t"),
            query: query)
        return APIResponse.json([
            "files": .array(page.rows.map(Resources.ledgerFile)),
            "next": page.more ? .string(PageCursor(kind: .files, id: page.rows.last!.id).text) : .null,
        ])
    }

    /// `GET /ensembles/E/workflows?state=&limit=&after=`: `{"workflows": [...], "next": ...}` by id.
    func workflowPage(_ request: Request, ensemble: String) async throws -> Response {
        let parameters = request.uri.queryParameters
        let limit = try PageParameters.limit(parameters.get("limit"))
        let states = try PageParameters.states(parameters[values: "state"], as: WorkflowState.self, what: "workflow")
        let after = try parameters.get("after").map { try PageCursor(parsing: $0, kind: .workflows).id }
        let page = try await manager.store.workflowPage(ensemble: ensemble, states: states, limit: limit, after: after)
        let urls = URLBase(request, fallbackHost: fallbackHost)
        return APIResponse.json([
            "workflows": .array(page.rows.map { .object(Resources.workflowSummary($0, ensemble: ensemble, urls)) }),
            "next": page.more ? .string(PageCursor(kind: .workflows, id: page.rows.last!.id!).text) : .null,
        ])
    }

    /// `GET /ensembles/E/triggers?state=&limit=&after=`: `{"triggers": [...], "next": ...}` by id.
    func triggerPage(_ request: Request, ensemble: String) async throws -> Response {
        let parameters = request.uri.queryParameters
        let limit = try PageParameters.limit(parameters.get("limit"))
        let states = try PageParameters.states(parameters[values: "state"], as: TriggerState.self, what: "trigger")
        let after = try parameters.get("after").map { try PageCursor(parsing: $0, kind: .triggers).id }
        let page = try await manager.store.triggerPage(ensemble: ensemble, states: states, limit: limit, after: after)
        return APIResponse.json([
            "triggers": .array(try await triggerObjects(page.rows)),
            "next": page.more ? .string(PageCursor(kind: .triggers, id: page.rows.last!.id!).text) : .null,
        ])
    }
}

extension Resources {
    /// One ledger row of `trigger-files`.
    static func ledgerFile(_ f: LedgerFile) -> JSONValue {
        [
            "path": .string(f.path), "device": .int(Int(truncatingIfNeeded: f.device)),
            "inode": .int(Int(truncatingIfNeeded: f.inode)), "size": .int(Int(f.size)),
            "mtime": .double(Double(f.mtimeNanoseconds) / 1e9), "recorded": .double(f.recorded),
            "trigger": .string(f.trigger), "workflow": .string(f.workflow),
            "workflow_state": .string(f.workflowState?.rawValue), "moved_to": .string(f.movedTo),
            "skipped_existing": .bool(f.skippedExisting),
        ]
    }

    /// The `input_files` of a workflow's detail.
    static func inputFiles(_ files: [WorkflowInputFile]) -> JSONValue {
        .array(
            files.map { ["path": .string($0.path), "trigger": .string($0.trigger), "recorded": .double($0.recorded)] })
    }
}

/// The position after the last row of a page, as clients see it: an opaque string. It is the row id with the
/// list it belongs to, base64url-encoded; a cursor of another list, or anything else, is refused (400).
struct PageCursor: Equatable {
    /// Which list the cursor pages through.
    enum Kind: String {
        case files = "f"
        case workflows = "w"
        case triggers = "t"
    }

    var kind: Kind
    var id: Int64

    /// The cursor for the row `id` of a list.
    init(kind: Kind, id: Int64) {
        self.kind = kind
        self.id = id
    }

    /// Reads a cursor a client sent back for the list `kind`.
    init(parsing text: String, kind: Kind) throws {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 64, !text.contains("="), let data = Data(base64Encoded: base64),
            let decoded = String(data: data, encoding: .utf8), decoded.hasPrefix("v1:\(kind.rawValue):"),
            let id = Int64(decoded.dropFirst(5)), id > 0
        else {
            throw EMError.invalid("after is not a cursor of this list: \(text) (use the next value of a previous page)")
        }
        self.init(kind: kind, id: id)
    }

    /// The text clients pass back as `after`.
    var text: String {
        Data("v1:\(kind.rawValue):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// The parameters of paged lists: `limit`, `state`, and times (`since`).
enum PageParameters {
    /// `limit`: 1...1000, 100 when absent.
    static func limit(_ text: String?) throws -> Int {
        guard let text else { return 100 }
        guard let n = Int(text), (1...1000).contains(n) else {
            throw EMError.invalid("limit must be an integer from 1 to 1000: \(text)")
        }
        return n
    }

    /// `state`: one state or a comma-separated list (also repeated), case-insensitive; empty when absent.
    static func states<S: RawRepresentable & CaseIterable>(_ values: [Substring], as _: S.Type, what: String) throws
        -> [S] where S.RawValue == String
    {
        var states: [S] = []
        for value in values {
            for name in value.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = name.trimmingCharacters(in: .whitespaces).uppercased()
                guard let state = S(rawValue: trimmed) else {
                    let all = S.allCases.map(\.rawValue).joined(separator: ", ")
                    throw EMError.invalid("Invalid \(what) state: \(name) (use one or more of \(all), comma-separated)")
                }
                if !states.contains(where: { $0.rawValue == state.rawValue }) { states.append(state) }
            }
        }
        return states
    }

    /// A point in time: seconds since the epoch (`1765130400`, `1765130400.5`), an ISO 8601 date or time
    /// (`2026-12-07`, `2026-12-07T18:00:00Z`, `2026-12-07T19:00:00+01:00`, with fractional seconds), or a
    /// duration ago as for trigger intervals (`90m`, `2h`, `1d12h`).
    static func time(_ text: String, field: String, now: Double) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, trimmed.first?.isNumber == true {
            return seconds
        }
        if let date = iso8601(trimmed) { return date.timeIntervalSince1970 }
        if let ago = try? TriggerDuration.parse(trimmed, field: field) { return now - Double(ago) }
        throw EMError.invalid(
            "\(field) must be seconds since the epoch, an ISO 8601 time (2026-12-07T18:00:00Z) or a duration ago "
                + "(2h, 3d): \(text)")
    }

    /// An ISO 8601 date (midnight UTC) or date and time with a zone, with or without fractional seconds.
    static func iso8601(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return text.count == 10 ? day.date(from: text) : nil
    }
}
