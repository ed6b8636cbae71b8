import EMTestSupport
import EnsembleCore
import EnsembleServer
import EnsembleStore
import Foundation
import HTTPTypes
import Hummingbird
import PegasusConfig
import Testing

/// `GET /openapi.json`: the document kept in the repository, served as it is without credentials, and complete:
/// every route the router has, with exactly its methods (schemathesis checks the shapes on a running server,
/// tools/openapi-check/run-schemathesis.sh).
@Suite(.timeLimit(.minutes(1)))
struct OpenAPIDocumentTests {
    /// The document as kept in the repository.
    static func repositoryFile() throws -> Data {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try Data(contentsOf: root.appendingPathComponent("Sources/EnsembleServer/API/OpenAPI/openapi.json"))
    }

    /// The document's paths and, for each, its methods (upper case).
    static func documentedRoutes(_ document: [String: Any]) throws -> [String: Set<String>] {
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let verbs: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        return paths.mapValues { item in Set(item.keys.filter(verbs.contains).map { $0.uppercased() }) }
    }

    @Test func servedAsKeptInTheRepository() async throws {
        try await APIHarness.with { _, api in
            let reply = try await api.get("/openapi.json")
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "application/json")
            #expect(Data(reply.body.utf8) == (try Self.repositoryFile()), "the embedded copy is the file")
            let document = try #require(reply.object["openapi"] as? String)
            #expect(document.hasPrefix("3.1."), "OpenAPI 3.1.x: \(document)")
            let info = try #require(reply.object["info"] as? [String: Any])
            #expect(info["title"] as? String == "pegasus-em REST API")
        }
    }

    @Test func servedWithoutCredentials() async throws {
        let auth = AuthenticationTests.FakeAuthenticator([:])
        try await APIHarness.with(authenticator: auth) { _, api in
            let reply = try await api.get("/openapi.json")
            #expect(reply.status == 200)
            #expect(reply.object["openapi"] != nil)
            // Everything else still asks for credentials.
            #expect(try await api.get("/ensembles").status == 401)
        }
        #expect(auth.calls.isEmpty)
    }

    @Test func everyRouteOfTheRouterIsDocumentedWithItsMethods() throws {
        let directory = try TemporaryDirectory(prefix: "em-openapi-test")
        defer { directory.remove() }
        let store = try EMStore(path: directory.file(".pegasus/em.db"))
        let manager = EnsembleManager(
            store: store, configuration: PegasusConfiguration(home: directory.path, uid: getuid()),
            workflows: NoWorkflowControl(), triggers: NoTriggerControl())
        let router = EnsembleAPI(manager: manager, health: HealthRegistry(), authenticator: nil, fallbackHost: "x")
            .router()
        var served: [String: Set<String>] = [:]
        for route in router.routes { served[route.path.description, default: []].insert(route.method.rawValue) }
        let data = try Self.repositoryFile()
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let documented = try Self.documentedRoutes(document)
        #expect(served.count >= 13, "the router's routes were read: \(served.keys.sorted())")
        for (path, methods) in served.sorted(by: { $0.key < $1.key }) {
            #expect(
                documented[path] == methods,
                "\(path): served \(methods.sorted()), documented \(documented[path]?.sorted() ?? [])")
        }
        for path in documented.keys.sorted() {
            #expect(served[path] != nil, "\(path) is documented but not served")
        }
    }

    @Test func methodsTheDocumentLacksAnswer405WithItsMethods() async throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Self.repositoryFile()) as? [String: Any])
        let documented = try Self.documentedRoutes(document)
        try await APIHarness.with { _, api in
            for (path, methods) in documented.sorted(by: { $0.key < $1.key }) {
                let concrete = path.replacingOccurrences(of: #"\{[a-z]+\}"#, with: "x", options: .regularExpression)
                for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] where !methods.contains(method) {
                    let reply = try await api.send(HTTPRequest.Method(method)!, concrete)
                    #expect(reply.status == 405, "\(method) \(concrete): \(reply.status) \(reply.body)")
                    let allow = Set(
                        (reply.headers[.allow] ?? "").split(separator: ",").map {
                            $0.trimmingCharacters(in: .whitespaces)
                        })
                    #expect(allow == methods, "\(method) \(concrete): Allow \(allow.sorted())")
                    #expect(reply.message?.isEmpty == false)
                }
            }
        }
    }
}
