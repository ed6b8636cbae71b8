import EnsembleCore
import EnsembleStore
import Foundation
import Hummingbird
import Logging
import PegasusAuth

/// The REST API of `pegasus-em server`: Pegasus 5.1's routes and wire format, with honest status codes, JSON
/// bodies as well as forms, and the operations Pegasus lacks (hold, abort, delete, trigger detail). What is kept
/// and what differs on purpose: docs/compatibility.md.
public struct EnsembleAPI: Sendable {
    let manager: EnsembleManager
    let health: HealthRegistry
    let authenticator: (any Authenticator)?
    /// Host used for `href` fields when a request carries no Host header.
    let fallbackHost: String
    /// `GET /metrics` (a server's own metrics; a fresh, mostly empty set when none is given).
    let metrics: MetricsEndpoint

    public init(
        manager: EnsembleManager, health: HealthRegistry, authenticator: (any Authenticator)?, fallbackHost: String,
        metrics: MetricsEndpoint? = nil
    ) {
        self.metrics = metrics ?? MetricsEndpoint(metrics: EnsembleMetrics())
        self.manager = manager
        self.health = health
        self.authenticator = authenticator
        self.fallbackHost = fallbackHost
    }

    /// The largest request body accepted.
    static let maxBody = 8 << 20

    /// Builds the router with every route and the error and authentication middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        var table = RouteTable()
        table.add("/health", ["GET"])
        table.add("/metrics", ["GET"])
        table.add("/openapi.json", ["GET"])
        table.add("/ensembles", ["GET", "POST"])
        table.add("/ensembles/:e", ["GET", "PUT", "POST", "DELETE"])
        table.add("/ensembles/:e/workflows", ["GET", "POST"])
        table.add("/ensembles/:e/workflows/:w", ["GET", "PUT", "POST", "DELETE"])
        table.add("/ensembles/:e/workflows/:w/analyze", ["GET"])
        table.add("/ensembles/:e/triggers", ["GET"])
        table.add("/ensembles/:e/triggers/:t", ["GET", "DELETE", "POST", "PUT", "PATCH"])
        table.add("/ensembles/:e/triggers/:t/pause", ["POST"])
        table.add("/ensembles/:e/triggers/:t/resume", ["POST"])
        table.add("/ensembles/:e/triggers/:t/fire", ["POST"])
        table.add("/ensembles/:e/triggers/:t/preview", ["GET"])
        table.add("/ensembles/:e/triggers/:t/files", ["GET"])
        router.add(middleware: ErrorMiddleware(routes: table))
        if let authenticator {
            router.add(middleware: AuthenticationMiddleware(authenticator: authenticator))
        }

        router.get("/health") { _, _ in try await self.healthResponse() }
        // Behind the same authentication as every route: a scraper sends Basic credentials (docs/metrics.md).
        router.get("/metrics") { _, _ in try await self.metrics.response(store: self.manager.store) }
        router.get("/openapi.json") { _, _ in OpenAPIDocument.response() }

        router.get("/ensembles") { request, _ in
            let urls = URLBase(request, fallbackHost: self.fallbackHost)
            return APIResponse.json(
                .array(try await self.manager.store.ensembles().map { Resources.ensemble($0, urls) }))
        }
        router.post("/ensembles") { request, _ in try await self.createEnsemble(request) }
        router.get("/ensembles/:e") { request, context in
            let e = try await self.manager.store.ensemble(named: try context.parameters.require("e"))
            return APIResponse.json(Resources.ensemble(e, URLBase(request, fallbackHost: self.fallbackHost)))
        }
        router.post("/ensembles/:e") { request, context in try await self.updateEnsemble(request, context) }
        router.put("/ensembles/:e") { request, context in try await self.updateEnsemble(request, context) }
        router.delete("/ensembles/:e") { _, context in
            try await self.manager.store.deleteEnsemble(name: try context.parameters.require("e"))
            return APIResponse.message("deleted", status: .ok)
        }

        router.get("/ensembles/:e/workflows") { request, context in
            let e = try context.parameters.require("e")
            if Self.wantsPage(request) { return try await self.workflowPage(request, ensemble: e) }
            let urls = URLBase(request, fallbackHost: self.fallbackHost)
            let list = try await self.manager.store.workflows(ensemble: e)
            return APIResponse.json(.array(list.map { .object(Resources.workflowSummary($0, ensemble: e, urls)) }))
        }
        router.post("/ensembles/:e/workflows") { request, context in try await self.submit(request, context) }
        router.get("/ensembles/:e/workflows/:w") { request, context in
            let (e, w, history, inputs) = try await self.manager.store.workflowDetail(
                ensemble: try context.parameters.require("e"), name: try context.parameters.require("w"))
            return self.workflowDetail(w, ensemble: e.name, history: history, inputs: inputs, request)
        }
        router.post("/ensembles/:e/workflows/:w") { request, context in try await self.updateWorkflow(request, context)
        }
        router.put("/ensembles/:e/workflows/:w") { request, context in try await self.updateWorkflow(request, context) }
        router.delete("/ensembles/:e/workflows/:w") { _, context in
            _ = try await self.manager.store.deleteWorkflow(
                ensemble: try context.parameters.require("e"), name: try context.parameters.require("w"))
            return APIResponse.message("deleted", status: .ok)
        }
        router.get("/ensembles/:e/workflows/:w/analyze") { _, context in
            let (e, w) = try await self.manager.store.workflow(
                ensemble: try context.parameters.require("e"), name: try context.parameters.require("w"))
            return APIResponse.text(try await self.manager.workflows.analyze(w, ensemble: e.name))
        }

        addTriggerRoutes(to: router)
        addHistoryRoutes(to: router)
        return router
    }

    // MARK: - Handlers

    static func fields(_ request: Request) async throws -> RequestFields {
        let buffer = try await request.body.collect(upTo: maxBody)
        return try RequestFields(body: Data(buffer.readableBytesView), contentType: request.headers[.contentType])
    }

    func healthResponse() async throws -> Response {
        var store: JSONValue = "ok"
        var status: HTTPResponse.Status = .ok
        do {
            try await manager.store.ping()
        } catch {
            store = .string("error: \(error)")
            status = .serviceUnavailable
        }
        var services: [String: JSONValue] = [:]
        for (name, entry) in health.snapshot() {
            services[name] = [
                "last_cycle": .double(entry.lastCycle), "last_error": .string(entry.lastError),
                "cycles": .int(entry.cycles),
            ]
        }
        return APIResponse.json(
            ["status": status == .ok ? "ok" : "degraded", "store": store, "services": .object(services)],
            status: status)
    }

    func createEnsemble(_ request: Request) async throws -> Response {
        let f = try await Self.fields(request)
        let name = try Validation.name(f.string("name"), what: .ensemble)
        let maxPlanning = try Validation.limit(f.string("max_planning"), field: "max_planning")
        let maxRunning = try Validation.limit(f.string("max_running"), field: "max_running")
        _ = try await manager.store.createEnsemble(name: name, maxPlanning: maxPlanning, maxRunning: maxRunning)
        let urls = URLBase(request, fallbackHost: fallbackHost)
        return APIResponse.json(["message": "created"], status: .created, location: urls.ensemble(name))
    }

    func updateEnsemble(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = try context.parameters.require("e")
        let f = try await Self.fields(request)
        let state = try f.string("state").map { text throws(EMError) in try EnsembleState(parsing: text) }
        let maxPlanning = try f.string("max_planning").map { t throws(EMError) in
            try Validation.limit(t, field: "max_planning")
        }
        let maxRunning = try f.string("max_running").map { t throws(EMError) in
            try Validation.limit(t, field: "max_running")
        }
        let e = try await manager.store.updateEnsemble(
            name: name, state: state, maxPlanning: maxPlanning, maxRunning: maxRunning)
        manager.workflows.wake()
        return APIResponse.json(Resources.ensemble(e, URLBase(request, fallbackHost: fallbackHost)))
    }

    func submit(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ensemble = try context.parameters.require("e")
        let f = try await Self.fields(request)
        // The ensemble must exist before the body is judged, as in Pegasus.
        _ = try await manager.store.ensemble(named: ensemble)
        let name = try Validation.name(f.string("name"), what: .workflow)
        let priority = try Validation.priority(f.string("priority"))
        guard let basedir = try f.string("basedir"), !basedir.isEmpty else {
            throw EMError.invalid("Specify 'basedir' where plan command should be executed")
        }
        guard basedir.hasPrefix("/") else { throw EMError.invalid("basedir must be an absolute path: \(basedir)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: basedir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EMError.invalid("basedir is not an existing directory: \(basedir)")
        }
        let argv: [String]
        if let list = try f.stringList("plan_argv", message: "plan_argv must be a list of strings") {
            guard let first = list.first, !first.isEmpty else {
                throw EMError.invalid("Specify 'plan_command' that should be executed to plan workflow")
            }
            argv = list
        } else {
            guard let command = try f.string("plan_command"), !command.trimmingCharacters(in: .whitespaces).isEmpty
            else {
                throw EMError.invalid("Specify 'plan_command' that should be executed to plan workflow")
            }
            argv = try PlanCommand.split(command)
        }
        _ = try await manager.store.submitWorkflow(
            ensemble: ensemble,
            WorkflowSubmission(name: name, priority: priority, basedir: basedir, planArgv: argv))
        manager.workflows.wake()
        // Relative, as Pegasus answers for new workflows.
        return APIResponse.json(
            ["message": "created"], status: .created, location: "/ensembles/\(ensemble)/workflows/\(name)")
    }

    func workflowDetail(_ w: WorkflowRecord, ensemble: String, _ request: Request) async throws -> Response {
        let history = try await manager.store.history(workflowID: w.id!)
        let inputs = try await manager.store.inputFiles(workflowID: w.id!)
        return workflowDetail(w, ensemble: ensemble, history: history, inputs: inputs, request)
    }

    func workflowDetail(
        _ w: WorkflowRecord, ensemble: String, history: [WorkflowHistoryRecord], inputs: [WorkflowInputFile],
        _ request: Request
    ) -> Response {
        var detail = Resources.workflowDetail(
            w, ensemble: ensemble, log: manager.logPath(ensemble: ensemble, workflow: w.name), history: history,
            URLBase(request, fallbackHost: fallbackHost))
        if case .object(var fields) = detail {
            fields["input_files"] = Resources.inputFiles(inputs)
            detail = .object(fields)
        }
        return APIResponse.json(detail)
    }

    func updateWorkflow(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let ensemble = try context.parameters.require("e")
        let name = try context.parameters.require("w")
        let f = try await Self.fields(request)
        // Existence first (404), then the body (400).
        _ = try await manager.store.workflow(ensemble: ensemble, name: name)
        let priority = try f.string("priority").map { t throws(EMError) in try Validation.priority(t) }
        let state = try f.string("state")
        let (w, previous) = try await manager.store.updateWorkflow(
            ensemble: ensemble, name: name, priority: priority, state: state)
        if w.state == .aborted && previous.state != .aborted {
            await manager.workflows.aborted(previous, ensemble: ensemble)
        }
        manager.workflows.wake()
        return try await workflowDetail(w, ensemble: ensemble, request)
    }
}
