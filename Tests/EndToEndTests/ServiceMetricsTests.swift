import EMTestSupport
import Foundation
import Testing

/// `GET /metrics` of the built `pegasus-service` over HTTPS, parsed by prometheus_client's text parser (a child
/// process): requests by route template and status class, reader helpers and logins, and who may read it.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: PrometheusText.shouldRun))
struct ServiceMetricsTests {
    static func parse(_ text: String) async throws -> PrometheusText.Exposition {
        try await blocking { try PrometheusText.parse(text) }
    }

    @Test func requestsAreCountedByRouteTemplate() async throws {
        let runner = ServiceSupport.unprivileged(home: "/nonexistent-pegasus-home")
        let home = try TemporaryDirectory(prefix: "pegasus-service-metrics")
        defer { home.remove() }
        let server = try await ServiceSupport.start(
            home: home.path, settings: "AUTHENTICATION = 'NoAuthentication'\nPROCESS_SWITCHING = False\n",
            launcher: runner.launcher)
        let cert = home.file(".pegasus/service-cert.pem")
        let base = "https://localhost:\(server.port)"
        for _ in 0..<3 {
            let page = try await ServiceSupport.get(base + "/u/\(runner.user)/", cacert: cert)
            #expect(page.status == 200, "\(page.body.prefix(300))")
        }
        #expect(try await ServiceSupport.get(base + "/no/such/page", cacert: cert).status == 404)

        let reply = try await ServiceSupport.get(base + "/metrics", cacert: cert)
        #expect(reply.status == 200, "\(reply.body.prefix(300))")
        #expect(reply.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let metrics = try await Self.parse(reply.body)
        #expect(metrics.types["pegasus_service_requests"] == "counter")
        #expect(metrics.types["pegasus_service_request_duration_seconds"] == "histogram")
        let pages = metrics.samples.filter {
            $0.name == "pegasus_service_requests_total" && $0.labels["status"] == "2xx"
                && $0.labels["route"]?.hasPrefix("/u/") == true
        }
        #expect(
            pages.reduce(0) { $0 + $1.value } == 3,
            "\(metrics.samples.filter { $0.name.hasPrefix("pegasus_service_requests") })")
        // A route template, never the user's name.
        #expect(pages.allSatisfy { $0.labels["route"]?.contains(runner.user) == false })
        #expect(metrics.sum("pegasus_service_requests_total", ["status": "4xx"]) >= 1)
        #expect(metrics.sum("pegasus_service_request_duration_seconds_count") >= 4)
        #expect(metrics.value("pegasus_service_login_attempts_total") == 0)
        #expect(try await server.terminate() == 0)
    }
}

// In the suite that owns the PAM service file and the throwaway users (it runs its tests one at a time).
extension ServiceAccessTests {
    /// With PAM: reader helpers and logins are counted, and only admins (or the service user) read `/metrics`.
    // Skipped (and shown as skipped) only off CI without the parser's venv; scripts/test.sh sets CI, and there a
    // missing parser fails.
    @Test(.enabled(if: PrometheusText.shouldRun)) func metricsCountLoginsAndReaderHelpers() async throws {
        try await Self.withUsers(["alice", "admin"]) { users in
            let alice = users["alice"]!
            let admin = users["admin"]!
            let (server, home) = try await Self.startService(
                "PROCESS_SWITCHING = True\nADMIN_USERS = '\(admin.name)'\n")
            defer { home.remove() }
            let own = try await Self.root(server, home: home, of: alice.name, as: alice)
            #expect(own.status == 200, "\(own.body)")
            let wrong = try await Self.root(
                server, home: home, of: alice.name,
                as: User(name: alice.name, password: "wrong", uid: 0, home: ""))
            #expect(wrong.status == 401)

            let url = "https://localhost:\(server.port)/metrics"
            let cert = home.file(".pegasus/service-cert.pem")
            #expect(try await ServiceSupport.get(url, cacert: cert).status == 401)
            let refused = try await ServiceSupport.get(url, cacert: cert, user: alice.name, password: alice.password)
            #expect(refused.status == 403)
            let reply = try await ServiceSupport.get(url, cacert: cert, user: admin.name, password: admin.password)
            #expect(reply.status == 200, "\(reply.body.prefix(300))")
            let metrics = try await ServiceMetricsTests.parse(reply.body)
            #expect(metrics.value("pegasus_service_reader_requests_total") ?? 0 >= 1)
            #expect(metrics.value("pegasus_service_reader_duration_seconds_count") ?? 0 >= 1)
            #expect(metrics.value("pegasus_service_reader_failures_total") == 0)
            #expect(metrics.value("pegasus_service_login_attempts_total") ?? 0 >= 3)
            #expect(metrics.value("pegasus_service_login_failures_total") ?? 0 >= 1)
            #expect(metrics.sum("pegasus_service_requests_total", ["status": "4xx"]) >= 3)
            #expect(!reply.body.contains(alice.name), "no user names in labels")
            #expect(try await server.terminate() == 0)
        }
    }
}
