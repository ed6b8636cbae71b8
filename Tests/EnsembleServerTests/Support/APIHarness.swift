import EMTestSupport
import EnsembleCore
import EnsembleServer
import EnsembleStore
import Foundation
import GRDB
import HTTPServing
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PegasusAuth
import PegasusConfig
import Synchronization
import Testing
import TriggerKit

/// A response as the API tests look at it.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPFields
    var body: String

    /// The body as JSON (object, array or scalar).
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
    /// The body as a JSON object (empty when it is not one).
    var object: [String: Any] { (json as? [String: Any]) ?? [:] }
    /// The body as a JSON array of objects (empty when it is not one).
    var array: [[String: Any]] { (json as? [[String: Any]]) ?? [] }
    /// `message` of a `{"message": ...}` body.
    var message: String? { object["message"] as? String }
}

/// Requests against the router, in the shapes the Pegasus client (forms) and gateways (JSON) send.
struct APIClient: Sendable {
    let client: any TestClientProtocol

    func send(
        _ method: HTTPRequest.Method, _ uri: String, body: String? = nil, contentType: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = headers
        headers[.accept] = "application/json"
        if let contentType { headers[.contentType] = contentType }
        let response = try await client.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await send(.get, uri, headers: headers)
    }

    func delete(_ uri: String) async throws -> Reply { try await send(.delete, uri) }

    /// A form-encoded request, fields in the given order.
    func form(_ method: HTTPRequest.Method = .post, _ uri: String, _ fields: [(String, String)]) async throws -> Reply {
        let body = fields.map { "\(TestHTTP.encode($0.0))=\(TestHTTP.encode($0.1))" }.joined(separator: "&")
        return try await send(method, uri, body: body, contentType: "application/x-www-form-urlencoded")
    }

    /// A JSON request.
    func json(_ method: HTTPRequest.Method = .post, _ uri: String, _ object: [String: Any]) async throws -> Reply {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await send(method, uri, body: String(decoding: data, as: UTF8.self), contentType: "application/json")
    }

    // MARK: - Setup shortcuts (asserting success)

    @discardableResult
    func createEnsemble(_ name: String, _ extra: [(String, String)] = []) async throws -> Reply {
        let reply = try await form(.post, "/ensembles", [("name", name)] + extra)
        try #require(reply.status == 201, "create ensemble \(name): \(reply.status) \(reply.body)")
        return reply
    }

    @discardableResult
    func submit(_ ensemble: String, _ name: String, basedir: String, priority: String? = nil) async throws -> Reply {
        var fields = [("name", name), ("basedir", basedir), ("plan_command", "\"/bin/true\" \"x\"")]
        if let priority { fields.append(("priority", priority)) }
        let reply = try await form(.post, "/ensembles/\(ensemble)/workflows", fields)
        try #require(reply.status == 201, "submit \(ensemble).\(name): \(reply.status) \(reply.body)")
        return reply
    }
}

/// A workflow control that records what the API asks of the scheduler.
final class RecordingWorkflowControl: WorkflowControl {
    private let log = Mutex<[String]>([])

    var events: [String] { log.withLock { $0 } }

    func wake() { log.withLock { $0.append("wake") } }

    func aborted(_ previous: WorkflowRecord, ensemble: String) async {
        log.withLock { $0.append("aborted \(ensemble).\(previous.name) from \(previous.state.rawValue)") }
    }

    func analyze(_ workflow: WorkflowRecord, ensemble: String) async throws -> String {
        "report of \(ensemble).\(workflow.name) in \(workflow.state.rawValue)\n"
    }
}

/// A trigger control that records starts and stops and reports fixed live details.
final class RecordingTriggerControl: TriggerControl {
    private let log = Mutex<[String]>([])

    var events: [String] { log.withLock { $0 } }

    func start(_ trigger: TriggerRecord, ensemble: String) async {
        log.withLock { $0.append("start \(ensemble).\(trigger.name)") }
    }

    func stop(triggerID: Int64) async { log.withLock { $0.append("stop \(triggerID)") } }

    func details(triggerID: Int64) async -> [String: JSONValue] {
        ["watched_roots": ["/data"], "pending_files": 3]
    }

    func fire(triggerID: Int64) async -> (workflows: [String], note: String?) {
        log.withLock { $0.append("fire \(triggerID)") }
        return (["w_fired"], nil)
    }

    func preview(triggerID: Int64, count: Int) async -> TriggerPreview? {
        log.withLock { $0.append("preview \(triggerID) \(count)") }
        return TriggerPreview(paused: false, fireTimes: [Date(timeIntervalSince1970: 100)], nextWorkflow: ["/data/a"])
    }

    func existingFiles(_ trigger: TriggerRecord) async throws -> [TriggerInput] {
        log.withLock { $0.append("existing \(trigger.name)") }
        return [TriggerInput(path: "/data/old", device: 1, inode: 2, size: 3, mtimeNanoseconds: 4)]
    }
}

/// The API in process (`app.test(.router)`) over a real EMStore on a temporary SQLite file.
struct APIHarness: Sendable {
    let directory: TemporaryDirectory
    let store: EMStore
    let manager: EnsembleManager
    let health: HealthRegistry
    let workflows: RecordingWorkflowControl
    let triggers: RecordingTriggerControl

    /// The home directory of the configuration (logs live under it).
    var home: String { directory.path }

    /// Runs `body` against a fresh API; the temporary directory is removed afterwards.
    static func with<T: Sendable>(
        authenticator: (any Authenticator)? = nil, live: Bool = false,
        _ body: @Sendable (APIHarness, APIClient) async throws -> T
    ) async throws -> T {
        let directory = try TemporaryDirectory(prefix: "em-api-test")
        defer { directory.remove() }
        let store = try EMStore(path: directory.file(".pegasus/em.db"))
        let workflows = RecordingWorkflowControl()
        let triggers = RecordingTriggerControl()
        let configuration = PegasusConfiguration(home: directory.path, uid: getuid())
        let manager = EnsembleManager(
            store: store, configuration: configuration, workflows: workflows, triggers: triggers)
        let harness = APIHarness(
            directory: directory, store: store, manager: manager, health: HealthRegistry(), workflows: workflows,
            triggers: triggers)
        let api = EnsembleAPI(
            manager: manager, health: harness.health, authenticator: authenticator, fallbackHost: "127.0.0.1:7919")
        // Expected failures (wrong passwords, 500s) are not worth a line on the test output.
        var logger = Logger(label: "em-api-test")
        logger.logLevel = .critical
        if live {
            // The server's own HTTP/1 channel (HTTP/1.0 connection handling), as `pegasus-em server` builds it.
            let app = Application(
                router: api.router(), server: .http1Connections(),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
            return try await app.test(.live) { client in try await body(harness, APIClient(client: client)) }
        }
        let app = Application(router: api.router(), logger: logger)
        return try await app.test(.router) { client in try await body(harness, APIClient(client: client)) }
    }

    /// A directory that exists, for `basedir`.
    var basedir: String { directory.path }

    /// Sets a workflow's state directly in the store (scenario setup for user transitions).
    func setState(_ ensemble: String, _ workflow: String, _ state: WorkflowState) async throws {
        let (_, w) = try await store.workflow(ensemble: ensemble, name: workflow)
        try await store.pool.write { db in
            try db.execute(
                sql: "UPDATE workflow SET state = ?, submitdir = ?, wf_uuid = ? WHERE id = ?",
                arguments: [state.rawValue, "/submit/dir", String(repeating: "a", count: 36), w.id])
        }
    }

    /// Sets a trigger's state directly in the store.
    func setTriggerState(_ ensemble: String, _ trigger: String, _ state: TriggerState) async throws {
        let (_, t) = try await store.trigger(ensemble: ensemble, name: trigger)
        try await store.pool.write { db in
            try db.execute(sql: "UPDATE trigger SET state = ? WHERE id = ?", arguments: [state.rawValue, t.id])
        }
    }
}
