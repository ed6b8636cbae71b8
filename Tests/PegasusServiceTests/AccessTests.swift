import EMTestSupport
import EnsembleCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PegasusAuth
import PegasusConfig
import Testing

@testable import PegasusService

/// ADMIN_USERS parsing, login throttling, and the access rules of every request (Pegasus' rules with its defects
/// fixed, see "pegasus-service" in docs/compatibility.md), checked through the real router with an authenticator
/// that knows fixed passwords.
@Suite struct AdminPolicyTests {
    @Test(arguments: [
        (ConfigValue?.none, AdminPolicy.nobody), (.some(.none), .nobody), (.bool(false), .nobody),
        (.string(""), .nobody), (.string("  "), .nobody), (.string("*"), .everybody),
        (.string("alice"), .users(["alice"])), (.string("alice, bob"), .users(["alice", "bob"])),
        (.set([.string("alice")]), .users(["alice"])),
        (.list([.string("alice"), .string("bob")]), .users(["alice", "bob"])),
        (.tuple([.string("carol")]), .users(["carol"])),
    ])
    func parses(value: ConfigValue?, expected: AdminPolicy) throws {
        #expect(try AdminPolicy(value) == expected)
    }

    @Test func exactNamesNeverSubstrings() throws {
        let policy = try AdminPolicy(.string("alice"))
        #expect(policy.isAdmin("alice"))
        #expect(!policy.isAdmin("ali"))
        #expect(!policy.isAdmin("alice2"))
        #expect(!policy.isAdmin(""))
        #expect(try AdminPolicy(.string("*")).isAdmin("anyone"))
        #expect(!(try AdminPolicy(nil)).isAdmin("alice"))
    }

    @Test(arguments: [ConfigValue.bool(true), .int(3), .list([.int(1)]), .dict([])])
    func rejectsUndefinedValues(value: ConfigValue) {
        #expect(throws: ConfigurationError.self) { try AdminPolicy(value) }
    }

    @Test func settingsReadAdminUsersFromServicePy() throws {
        var configuration = PegasusConfiguration(home: "/tmp", uid: 1000)
        configuration.set("ADMIN_USERS", .set([.string("alice")]))
        configuration.set("PROCESS_SWITCHING", .bool(false))
        let settings = try ServiceSettings(configuration: configuration, environment: [:])
        #expect(settings.admins == .users(["alice"]))
        #expect(settings.host == "localhost" && settings.port == 5000)
        configuration.set("SERVER_HOST", .string("0.0.0.0"))
        configuration.set("SERVER_PORT", .int(8443))
        let configured = try ServiceSettings(configuration: configuration, environment: [:])
        #expect(configured.host == "0.0.0.0" && configured.port == 8443, "SERVER_HOST/SERVER_PORT are honoured")
        let overridden = try ServiceSettings(configuration: configuration, host: "127.0.0.1", port: 9000)
        #expect(overridden.host == "127.0.0.1" && overridden.port == 9000, "the command line wins")
        configuration.set("AUTHENTICATION", .string("LDAP"))
        #expect(throws: EMError.self) { try ServiceSettings(configuration: configuration, environment: [:]) }
    }

    @Test func urlPrefixIsNormalised() throws {
        #expect(try ServiceLinks.normalize(nil) == "")
        #expect(try ServiceLinks.normalize("/") == "")
        #expect(try ServiceLinks.normalize("pegasus") == "/pegasus")
        #expect(try ServiceLinks.normalize("/pegasus/dash/") == "/pegasus/dash")
        for bad in ["/../etc", "/a b", "/<x>", "/a?b"] {
            #expect(throws: ServiceFailure.self) { try ServiceLinks.normalize(bad) }
        }
    }
}

@Suite struct LoginThrottleTests {
    @Test func blocksAUserAfterFiveFailuresUntilTheWindowPasses() {
        let throttle = LoginThrottle(userLimit: 5, addressLimit: 30, window: 300)
        for i in 0..<5 {
            #expect(throttle.retryAfter(user: "alice", address: "10.0.0.1", now: 1000) == nil, "attempt \(i)")
            throttle.recordFailure(user: "alice", address: "10.0.0.1", now: 1000 + Double(i))
        }
        let wait = throttle.retryAfter(user: "alice", address: "10.0.0.2", now: 1010)
        #expect(wait == 290, "blocked from any address until the oldest failure leaves the window")
        #expect(throttle.retryAfter(user: "bob", address: "10.0.0.2", now: 1010) == nil, "other users are not")
        #expect(throttle.retryAfter(user: "alice", address: "10.0.0.1", now: 1301) == nil, "the window passed")
    }

    @Test func blocksAnAddressAfterManyFailuresAcrossNames() {
        let throttle = LoginThrottle(userLimit: 5, addressLimit: 30, window: 300)
        for i in 0..<30 { throttle.recordFailure(user: "guess\(i)", address: "10.0.0.9", now: 1000) }
        #expect(throttle.retryAfter(user: "fresh", address: "10.0.0.9", now: 1001) != nil)
        #expect(throttle.retryAfter(user: "fresh", address: "10.0.0.8", now: 1001) == nil)
    }

    @Test func successClearsTheUsersRecord() {
        let throttle = LoginThrottle(userLimit: 2, addressLimit: 30, window: 300)
        throttle.recordFailure(user: "alice", address: nil, now: 1000)
        throttle.recordSuccess(user: "alice")
        throttle.recordFailure(user: "alice", address: nil, now: 1001)
        #expect(throttle.retryAfter(user: "alice", address: nil, now: 1002) == nil)
    }
}

/// Knows a fixed set of passwords; counts the checks it was asked for.
struct FixedPasswords: Authenticator {
    let passwords: [String: String]
    func authenticate(username: String, password: String) async -> Bool { passwords[username] == password }
}

@Suite struct AccessRuleTests {
    /// The service user of these tests. The uids are made up (the files belong to whoever runs the tests): what
    /// counts here is the names and that nobody is root.
    static let me = UnixUser(name: "svc", uid: 4240, gid: 4240, home: "/nonexistent")
    static let uids = ["svc": UInt32(4240), "alice": 4241, "bob": 4242]

    /// Homes with a master database each: the current user (`me`), `alice`, `bob` (all with the current uid).
    static func homes() async throws -> (TemporaryDirectory, [String: String]) {
        let root = try TemporaryDirectory(prefix: "pegasus-service-access")
        var homes: [String: String] = [:]
        for name in [me.name, "alice", "bob"] {
            let home = root.file(name)
            try FileManager.default.createDirectory(atPath: home + "/.pegasus", withIntermediateDirectories: true)
            try await MasterFixture.make(home + "/.pegasus/workflow.db", labels: ["\(name)-wf"])
            homes[name] = home
        }
        return (root, homes)
    }

    static func access(_ homes: [String: String], admins: AdminPolicy, authentication: ServiceAuthentication)
        -> AccessControl
    {
        let me = Self.me
        return AccessControl(
            authentication: authentication, admins: admins, processSwitching: false,
            serviceUser: UnixUser(name: me.name, uid: me.uid, gid: me.gid, home: homes[me.name] ?? "/nonexistent"),
            lookup: { name in
                if name == "root" { return UnixUser(name: "root", uid: 0, gid: 0, home: "/root") }
                return homes[name].map { UnixUser(name: name, uid: uids[name] ?? 4249, gid: 4240, home: $0) }
            },
            readers: { _ in LocalUserData() })
    }

    static func basic(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    @Test func basicAuthenticationAndAdminRules() async throws {
        let (root, homes) = try await Self.homes()
        defer { root.remove() }
        let passwords = ["alice": "a-pw", "bob": "b-pw", "root": "r-pw"]
        let access = Self.access(
            homes, admins: .users(["alice"]), authentication: .basic(FixedPasswords(passwords: passwords)))
        let app = Application(router: ServiceRouter.make(access: access, links: ServiceLinks(prefix: "")))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/user/alice/root", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Basic realm=\"Pegasus Service\"")
            }
            try await client.execute(uri: "/api/v1/user/alice/root", method: .get, headers: Self.basic("alice", "a-pw"))
            { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("alice-wf"))
            }
            // alice is an admin: she reads bob's data; bob is not: he gets 403 and nothing of alice's.
            try await client.execute(uri: "/api/v1/user/bob/root", method: .get, headers: Self.basic("alice", "a-pw")) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body).contains("bob-wf"))
            }
            try await client.execute(uri: "/api/v1/user/alice/root", method: .get, headers: Self.basic("bob", "b-pw")) {
                #expect($0.status == .forbidden)
                #expect(!String(buffer: $0.body).contains("alice-wf"))
                #expect(String(buffer: $0.body).contains("\"code\": \"FORBIDDEN\""))
            }
            // root never logs in, even with the right password; root's data is never served.
            try await client.execute(uri: "/api/v1/user/alice/root", method: .get, headers: Self.basic("root", "r-pw"))
            {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/user/root/root", method: .get, headers: Self.basic("alice", "a-pw"))
            {
                #expect($0.status == .forbidden)
            }
            // An admin asking for an unknown user gets 404; a non-admin gets 403 (no user enumeration).
            try await client.execute(
                uri: "/api/v1/user/nosuch/root", method: .get, headers: Self.basic("alice", "a-pw")
            ) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/user/nosuch/root", method: .get, headers: Self.basic("bob", "b-pw"))
            {
                #expect($0.status == .forbidden)
            }
            // The dashboard answers with HTML error pages and real status codes.
            try await client.execute(uri: "/u/alice/", method: .get, headers: Self.basic("bob", "b-pw")) {
                #expect($0.status == .forbidden)
                #expect($0.headers[.contentType] == "text/html; charset=utf-8")
            }
            try await client.execute(uri: "/", method: .get, headers: Self.basic("bob", "b-pw")) {
                #expect($0.status == .found)
                #expect($0.headers[.location] == "/u/bob/")
            }
        }
    }

    @Test func noAuthenticationServesTheServiceUserUnlessAdmin() async throws {
        let (root, homes) = try await Self.homes()
        defer { root.remove() }
        let app = Application(
            router: ServiceRouter.make(
                access: Self.access(homes, admins: .nobody, authentication: .none), links: ServiceLinks(prefix: "")))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/user/\(Self.me.name)/root", method: .get) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body).contains("\(Self.me.name)-wf"))
            }
            try await client.execute(uri: "/api/v1/user/alice/root", method: .get) { #expect($0.status == .forbidden) }
        }
    }

    @Test func unknownRoutesAre404() async throws {
        let (root, homes) = try await Self.homes()
        defer { root.remove() }
        let app = Application(
            router: ServiceRouter.make(
                access: Self.access(homes, admins: .nobody, authentication: .none), links: ServiceLinks(prefix: "")))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/nothing", method: .get) {
                #expect($0.status == .notFound)
                #expect(String(buffer: $0.body).contains("NOT_FOUND"))
            }
            try await client.execute(uri: "/static/dashboard.css", method: .get) {
                #expect($0.status == .ok, "the style sheet needs no login")
            }
        }
    }
}

/// Small master databases with the exact pegasus-db-admin schema (through the Pegasus simulator's script).
enum MasterFixture {
    static func make(_ path: String, labels: [String]) async throws {
        let script = Binaries.repositoryRoot.appendingPathComponent("tools/pegasus-standins/make-master-db.sh").path
        let made = try ProcessRunner.run([script, path])
        try #require(made.status == 0, "\(made.stderr)")
        var sql = "BEGIN;"
        for label in labels {
            sql += """
                INSERT INTO master_workflow (wf_uuid, dax_label, submit_hostname, submit_dir, user, db_url, archived, timestamp)
                VALUES ('\(UUID().uuidString.lowercased())', '\(label)', 'host', '/submit/\(label)', 'u',
                        'sqlite:////nonexistent/\(label).stampede.db', 0, 1700000000);
                """
        }
        let inserted = try ProcessRunner.run(["/usr/bin/sqlite3", path], stdin: sql + "COMMIT;")
        try #require(inserted.status == 0, "\(inserted.stderr)")
    }
}

@Suite struct LoginAttemptTests {
    @Test func attemptsCountWhenTheyStartSoParallelGuessesAreLimited() {
        let throttle = LoginThrottle(userLimit: 5, addressLimit: 30, window: 300)
        // Ten guesses arriving together, before any PAM answer: five go ahead, five are refused at once.
        let allowed = (0..<10).filter { _ in throttle.attempt(user: "alice", address: "10.0.0.1", now: 1000) == nil }
        #expect(allowed.count == 5)
    }

    @Test func aSuccessTakesItsReservationBack() {
        let throttle = LoginThrottle(userLimit: 2, addressLimit: 2, window: 300)
        #expect(throttle.attempt(user: "alice", address: "10.0.0.1", now: 1000) == nil)
        throttle.succeeded(user: "alice", address: "10.0.0.1", at: 1000)
        #expect(throttle.attempt(user: "bob", address: "10.0.0.1", now: 1001) == nil)
        throttle.succeeded(user: "bob", address: "10.0.0.1", at: 1001)
        #expect(
            throttle.attempt(user: "carol", address: "10.0.0.1", now: 1002) == nil, "successes do not fill the address")
    }
}
