import EMTestSupport
import Foundation
import Testing

/// The `pegasus-em server` process: single instance per store, no root by default, clean SIGTERM, /health,
/// and clear start-up errors.
@Suite(.timeLimit(.minutes(1)))
struct ServerProcessTests {
    @Test func secondServerOnTheSameStoreExitsAtOnce() async throws {
        let server = try TestServer()
        try await server.launch()
        let pid = try #require(server.pid)
        let started = Date()
        let second = try await run(
            [Binaries.path("pegasus-em"), "server"], environment: server.environment, directory: server.home.path,
            timeout: 20)
        #expect(Date().timeIntervalSince(started) < 10, "exits at once")
        #expect(second.status != 0)
        #expect(!second.signaled)
        #expect(
            second.stderr.contains(
                "another pegasus-em server (pid \(pid)) is already running on \(server.databasePath); stop it first"),
            "\(second.stderr)")
        // The first server is unaffected.
        let health = try await TestHTTP.send("GET", server.baseURL + "/health")
        #expect(health.status == 200)
        #expect(try await server.terminate() == 0)
    }

    @Test(.enabled(if: geteuid() == 0, "only root can check the refusal to run as root"))
    func refusesToRunAsRootWithoutAllowRoot() async throws {
        let server = try TestServer(settings: ["EM_ALLOW_ROOT": "False"])
        let result = try await run(
            [Binaries.path("pegasus-em"), "server"], environment: server.environment, directory: server.home.path,
            timeout: 20)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "pegasus-em server: The ensemble manager should not be run as root (set EM_ALLOW_ROOT = True to allow it)"
            ), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: server.databasePath), "nothing is touched before the check")
    }

    @Test func sigtermExitsCleanlyAndReleasesTheStore() async throws {
        let server = try TestServer()
        try await server.launch()
        let created = try await TestHTTP.send("POST", server.baseURL + "/ensembles", form: ["name": "kept"])
        #expect(created.status == 201)
        let process = try #require(server.process)
        #expect(try await server.terminate() == 0)
        #expect(process.terminationReason == .exit)
        // The lock is free and the data is there.
        try await server.launch()
        let e = try await TestHTTP.send("GET", server.baseURL + "/ensembles/kept")
        #expect(e.status == 200)
        #expect(try await server.terminate() == 0)
    }

    @Test func healthAnswers() async throws {
        let server = try TestServer(settings: ["AUTHENTICATION": "'PAMAuthentication'"])
        try await server.launch()
        let health = try await TestHTTP.send("GET", server.baseURL + "/health")
        #expect(health.status == 200, "no credentials needed")
        #expect(health.json?["status"] as? String == "ok")
        #expect(health.json?["store"] as? String == "ok")
        #expect(health.json?["services"] is [String: Any])
        let protected = try await TestHTTP.send("GET", server.baseURL + "/ensembles")
        #expect(protected.status == 401)
        #expect(protected.header("www-authenticate") == "Basic realm=\"Pegasus Service\"")
        #expect(try await server.terminate() == 0)
    }

    @Test func configurationErrorNamesFileLineAndKey() async throws {
        let server = try TestServer(settings: ["SECRET_KEY": "os.urandom(24)"])
        let file = server.home.path + "/.pegasus/service.py"
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        let line = try #require(lines.firstIndex { $0.hasPrefix("SECRET_KEY") }) + 1
        let result = try await run(
            [Binaries.path("pegasus-em"), "server"], environment: server.environment, directory: server.home.path,
            timeout: 20)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "pegasus-em server: configuration error: \(file):\(line): SECRET_KEY: unsupported value `os`"),
            "\(result.stderr)")
    }

    @Test func unknownAuthenticationIsRefused() async throws {
        let server = try TestServer(settings: ["AUTHENTICATION": "'LDAPAuthentication'"])
        let result = try await run(
            [Binaries.path("pegasus-em"), "server"], environment: server.environment, directory: server.home.path,
            timeout: 20)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "pegasus-em server: Invalid AUTHENTICATION: LDAPAuthentication (use PAMAuthentication or NoAuthentication)"
            ),
            "\(result.stderr)")
    }
}
