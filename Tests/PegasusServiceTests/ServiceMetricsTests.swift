import EMTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// pegasus-service's `/metrics` through the real router: who may read it, and that logins and requests are
/// counted by route template without user names.
@Suite struct ServiceMetricsRouteTests {
    @Test(arguments: [(200, "2xx"), (302, "3xx"), (404, "4xx"), (429, "4xx"), (503, "5xx"), (99, "other")])
    func statusClasses(status: Int, expected: String) {
        #expect(ServiceMetrics.statusClass(status) == expected)
    }

    @Test func onlyAdminsAndTheServiceUserReadMetricsWithPAM() async throws {
        let (root, homes) = try await AccessRuleTests.homes()
        defer { root.remove() }
        let passwords = ["alice": "a-pw", "bob": "b-pw", "svc": "s-pw"]
        let metrics = ServiceMetrics()
        var access = AccessRuleTests.access(
            homes, admins: .users(["alice"]), authentication: .basic(FixedPasswords(passwords: passwords)))
        access = AccessControl(
            authentication: access.authentication, admins: access.admins, processSwitching: false,
            serviceUser: access.serviceUser, metrics: metrics, lookup: access.lookup, readers: access.readers)
        let app = Application(
            router: ServiceRouter.make(access: access, links: ServiceLinks(prefix: ""), metrics: metrics))
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get, headers: AccessRuleTests.basic("bob", "b-pw")) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: AccessRuleTests.basic("bob", "wrong")) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: AccessRuleTests.basic("svc", "s-pw")) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: "/api/v1/user/bob/root", method: .get, headers: AccessRuleTests.basic("bob", "b-pw")
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get, headers: AccessRuleTests.basic("alice", "a-pw")) {
                #expect($0.status == .ok)
                #expect($0.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: $0.body)
                #expect(text.contains("pegasus_service_login_attempts_total 4"), "\(text)")
                #expect(text.contains("pegasus_service_login_failures_total 1"))
                #expect(text.contains(#"route="/metrics",method="GET",status="4xx"} 3"#), "\(text)")
                #expect(text.contains(#"route="/api/v1/user/{username}/root",method="GET",status="2xx"} 1"#))
                #expect(!text.contains("bob") && !text.contains("alice"), "no user names in labels")
            }
        }
    }

    @Test func noAuthenticationServesMetricsToAnyone() async throws {
        let (root, homes) = try await AccessRuleTests.homes()
        defer { root.remove() }
        let metrics = ServiceMetrics()
        let access = AccessRuleTests.access(homes, admins: .nobody, authentication: .none)
        let app = Application(
            router: ServiceRouter.make(access: access, links: ServiceLinks(prefix: "/pegasus"), metrics: metrics))
        try await app.test(.router) { client in
            try await client.execute(uri: "/pegasus/no-such-page", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/pegasus/metrics", method: .get) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body).contains(#"pegasus_service_requests_total{route="NotFound""#))
            }
        }
    }
}
