import EMTestSupport
import Foundation
import Testing

/// `pegasus-service` run as root with real PAM and throwaway users: the authentication and ADMIN_USERS matrix,
/// and PROCESS_SWITCHING with private homes. Users, homes and the PAM file are removed at the end.
@Suite(
    .serialized, .timeLimit(.minutes(5)),
    .enabled(if: geteuid() == 0, "creating users and PAM services needs root"))
struct ServiceAccessTests {
    static let pamService = "pegasus-service-test"

    /// A throwaway user with a private (0700) home holding a master database with one workflow `<name>-wf`.
    struct User {
        let name: String
        let password: String
        let uid: UInt32
        let home: String
        var label: String { name + "-wf" }
    }

    /// Creates the users (names are `pgs<suffix><role>`, so `...ali` is a substring of `...alice`).
    static func withUsers(_ roles: [String], _ body: ([String: User]) async throws -> Void) async throws {
        let pamFile = "/etc/pam.d/\(pamService)"
        try "auth required pam_unix.so\naccount required pam_unix.so\n".write(
            toFile: pamFile, atomically: true, encoding: .utf8)
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        var users: [String: User] = [:]
        defer { try? FileManager.default.removeItem(atPath: pamFile) }
        do {
            for role in roles {
                let name = "pgs\(suffix)\(role)"
                let home = "/tmp/\(name)-home"
                let local = try await PAMAuthenticationTests.createUser(name, home: home)
                let user = User(name: name, password: local.password, uid: local.uid, home: home)
                users[role] = user
                try await ServiceSupport.makeMasterDatabase(home + "/.pegasus/workflow.db", labels: [user.label])
                for path in [home, home + "/.pegasus", home + "/.pegasus/workflow.db"] {
                    chown(path, user.uid, local.gid)
                }
                chmod(home, 0o700)
                chmod(home + "/.pegasus/workflow.db", 0o600)
            }
            try await body(users)
        } catch {
            await cleanUp(users)
            throw error
        }
        await cleanUp(users)
    }

    static func cleanUp(_ users: [String: User]) async {
        for user in users.values {
            await PAMAuthenticationTests.deleteUser(user.name)
            try? FileManager.default.removeItem(atPath: user.home)
            #expect(getpwnam(user.name) == nil)
        }
    }

    /// Starts the service as root with PAM and the given extra settings.
    static func startService(_ settings: String) async throws -> (LaunchedServer, TemporaryDirectory) {
        let home = try TemporaryDirectory(prefix: "pegasus-service-root")
        let server = try await ServiceSupport.start(
            home: home.path,
            settings: "AUTHENTICATION = 'PAMAuthentication'\nPAM_SERVICE = '\(pamService)'\n" + settings)
        return (server, home)
    }

    static func root(_ server: LaunchedServer, home: TemporaryDirectory, of target: String, as login: User?)
        async throws -> ServiceSupport.Reply
    {
        try await ServiceSupport.get(
            "https://localhost:\(server.port)/api/v1/user/\(target)/root",
            cacert: home.file(".pegasus/service-cert.pem"),
            user: login?.name, password: login?.password)
    }

    @Test func authenticationAndAdminMatrix() async throws {
        try await Self.withUsers(["alice", "ali", "bob"]) { users in
            let alice = users["alice"]!
            let ali = users["ali"]!
            let bob = users["bob"]!

            // Authentication, with ADMIN_USERS unset.
            do {
                let (server, home) = try await Self.startService("PROCESS_SWITCHING = False\n")
                defer { home.remove() }
                let own = try await Self.root(server, home: home, of: alice.name, as: alice)
                #expect(own.status == 200, "\(own.body)\n\(server.output.string)")
                #expect(ServiceSupport.labels(own) == [alice.label])

                let none = try await Self.root(server, home: home, of: alice.name, as: nil)
                let wrong = try await Self.root(
                    server, home: home, of: alice.name,
                    as: User(name: alice.name, password: "wrong", uid: 0, home: ""))
                let unknown = try await Self.root(
                    server, home: home, of: alice.name,
                    as: User(name: "pgs-nobody-here", password: "x", uid: 0, home: ""))
                let rootLogin = try await Self.root(
                    server, home: home, of: "root", as: User(name: "root", password: "x", uid: 0, home: ""))
                for reply in [none, wrong, unknown, rootLogin] {
                    #expect(reply.status == 401)
                    #expect(reply.header("www-authenticate") == "Basic realm=\"Pegasus Service\"")
                    #expect(!reply.body.contains(alice.label))
                }
                // A wrong password and an unknown user are indistinguishable.
                #expect(wrong.body == unknown.body)
                let rootData = try await Self.root(server, home: home, of: "root", as: alice)
                #expect(rootData.status == 403)
                #expect(try await server.terminate() == 0)
                #expect(server.output.string.contains("login failed"))
            }

            // Authorisation: who may read bob's data, for each documented form of ADMIN_USERS.
            let cases: [(setting: String, admins: Set<String>)] = [
                ("None", []), ("False", []), ("''", []), ("'*'", [alice.name, ali.name, bob.name]),
                ("{'\(alice.name)'}", [alice.name]), ("['\(alice.name)']", [alice.name]),
                ("'\(alice.name)'", [alice.name]), ("'\(bob.name), \(alice.name)'", [alice.name, bob.name]),
            ]
            for (setting, admins) in cases {
                let (server, home) = try await Self.startService(
                    "PROCESS_SWITCHING = False\nADMIN_USERS = \(setting)\n")
                defer { home.remove() }
                for (login, target) in [(alice, bob), (ali, bob), (bob, alice), (ali, alice)] {
                    let reply = try await Self.root(server, home: home, of: target.name, as: login)
                    if admins.contains(login.name) {
                        #expect(reply.status == 200, "ADMIN_USERS = \(setting): \(login.name) reads \(target.name)")
                        #expect(ServiceSupport.labels(reply) == [target.label])
                    } else {
                        #expect(reply.status == 403, "ADMIN_USERS = \(setting): \(login.name) reads \(target.name)")
                        #expect(!reply.body.contains(target.label))
                    }
                    let rootData = try await Self.root(server, home: home, of: "root", as: login)
                    #expect(rootData.status == 403, "root's data is never served")
                    let nobody = try await Self.root(server, home: home, of: "pgs-no-such-user", as: login)
                    #expect(nobody.status == (admins.contains(login.name) ? 404 : 403))
                }
                #expect(try await server.terminate() == 0)
            }
        }
    }

    @Test func failedLoginsAreThrottled() async throws {
        try await Self.withUsers(["carol"]) { users in
            let carol = users["carol"]!
            let (server, home) = try await Self.startService("PROCESS_SWITCHING = False\n")
            defer { home.remove() }
            let wrong = User(name: carol.name, password: "wrong", uid: 0, home: "")
            for _ in 0..<5 {
                #expect(try await Self.root(server, home: home, of: carol.name, as: wrong).status == 401)
            }
            let refused = try await Self.root(server, home: home, of: carol.name, as: wrong)
            #expect(refused.status == 429)
            #expect(Int(refused.header("retry-after") ?? "") ?? 0 > 0)
            // Even the right password waits now: a guesser cannot tell when it found it.
            #expect(try await Self.root(server, home: home, of: carol.name, as: carol).status == 429)
            // A user name that does not exist is throttled the same way.
            let ghost = User(name: "pgs-ghost-user", password: "x", uid: 0, home: "")
            for _ in 0..<5 { _ = try await Self.root(server, home: home, of: carol.name, as: ghost) }
            #expect(try await Self.root(server, home: home, of: carol.name, as: ghost).status == 429)
            #expect(try await server.terminate() == 0)
        }
    }

    @Test func processSwitchingReadsAsTheTargetUser() async throws {
        try await Self.withUsers(["alice", "bob", "eve"]) { users in
            let alice = users["alice"]!
            let bob = users["bob"]!
            let eve = users["eve"]!
            // eve's master database is a link to bob's, in bob's private home: root could read it, eve cannot.
            let eveDB = eve.home + "/.pegasus/workflow.db"
            try FileManager.default.removeItem(atPath: eveDB)
            try FileManager.default.createSymbolicLink(
                atPath: eveDB, withDestinationPath: bob.home + "/.pegasus/workflow.db")

            let (server, home) = try await Self.startService("PROCESS_SWITCHING = True\n")
            defer { home.remove() }
            let pid = try #require(server.process.processIdentifier as Int32?)
            #expect(ServiceSupport.uid(of: pid) == 0)
            for round in 0..<100 {
                let user = round % 2 == 0 ? alice : bob
                let reply = try await Self.root(server, home: home, of: user.name, as: user)
                #expect(reply.status == 200, "round \(round): \(reply.body)")
                #expect(ServiceSupport.labels(reply) == [user.label], "round \(round)")
                if round % 10 == 9 { #expect(ServiceSupport.uid(of: pid) == 0, "the server keeps uid 0") }
            }
            let helpers = Set(ServiceSupport.children(of: pid).compactMap(ServiceSupport.uid(of:)))
            #expect(helpers.contains(alice.uid) && helpers.contains(bob.uid), "reader helpers run as the users")
            #expect(!helpers.contains(0))
            // The helpers hold no socket of the server's (its listener, other users' connections).
            for child in ServiceSupport.children(of: pid) {
                let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child)/fd")) ?? []
                let sockets = fds.compactMap {
                    try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child)/fd/\($0)")
                }
                .filter { $0.hasPrefix("socket:") }
                #expect(sockets.isEmpty, "helper \(child) holds \(sockets)")
            }

            let stolen = try await Self.root(server, home: home, of: eve.name, as: eve)
            #expect(!stolen.body.contains(bob.label), "eve's reader cannot open bob's private database")
            #expect(ServiceSupport.labels(stolen).isEmpty)
            #expect(ServiceSupport.uid(of: pid) == 0)
            #expect(try await server.terminate() == 0)
            // The helpers end with the service.
            for child in ServiceSupport.children(of: pid) { #expect(kill(child, 0) != 0) }
        }
    }

    /// The dashboard and the monitoring API through reader helpers: a user's private home holding monitoring
    /// fixtures (real Pegasus schema), every kind of page, and the file browser's confinement.
    @Test func dashboardPagesThroughReaderHelpers() async throws {
        try await Self.withUsers(["dash"]) { users in
            let dash = users["dash"]!
            let output = "/tmp/\(dash.name)-fixtures"
            defer { try? FileManager.default.removeItem(atPath: output) }
            let script = Binaries.repositoryRoot.appendingPathComponent("tools/monitoring-fixtures/make-fixtures.sh")
            let made = try await run([script.path, "--user", dash.name, "--workflows", "small,hostile", output])
            try #require(made.status == 0, "\(made.stderr)")
            let home = output + "/home/\(dash.name)"
            _ = try await run(["/usr/bin/chown", "-R", "\(dash.uid)", output])
            chmod(home, 0o700)
            let moved = try await run(["/usr/sbin/usermod", "-d", home, dash.name])
            try #require(moved.status == 0, "\(moved.stderr)")

            let (server, serviceHome) = try await Self.startService("PROCESS_SWITCHING = True\n")
            defer { serviceHome.remove() }
            let cert = serviceHome.file(".pegasus/service-cert.pem")
            let base = "https://localhost:\(server.port)"
            func get(_ path: String) async throws -> ServiceSupport.Reply {
                try await ServiceSupport.get(base + path, cacert: cert, user: dash.name, password: dash.password)
            }
            let pages = [
                "/u/\(dash.name)/", "/u/\(dash.name)/r/1/w/1", "/u/\(dash.name)/r/1/w/1/statistics",
                "/u/\(dash.name)/r/1/w/1/charts", "/u/\(dash.name)/r/1/w/1/browser?path=",
                "/u/\(dash.name)/r/1/w/1/file?path=braindump.yml", "/u/\(dash.name)/r/1/w/1/j/1/ji/1",
                "/u/\(dash.name)/ensembles", "/api/v1/user/\(dash.name)/root/1/workflow/1/job?max-results=5",
            ]
            for page in pages {
                let reply = try await get(page)
                #expect(reply.status == 200, "\(page): \(reply.body.prefix(300))")
            }
            #expect(try await get("/u/\(dash.name)/").body.contains("hostile"))
            for escape in ["escape-file", "escape-dir", "up/up/etc/passwd", "../../../../etc/passwd"] {
                let reply = try await get("/u/\(dash.name)/r/2/w/1/file?path=\(escape)")
                #expect(reply.status == 404, "\(escape)")
                #expect(!reply.body.contains("root:x:0:0"))
            }
            #expect(try await server.terminate() == 0)
        }
    }
}
