import EMTestSupport
import Foundation
import Testing

/// Real PAM (libpam + pam_unix) behind HTTP Basic, with throwaway local users and a throwaway PAM service.
///
/// What it proves, and why it takes two servers: pam_unix run by a non-root process can only verify the caller's
/// own password (its `unix_chkpwd` helper refuses other users), while the EM serves only its owner.
/// - Server 1 runs as a throwaway user, the owner: the owner's right password → 200 (a real PAM success, then
///   authorisation), a wrong password → 401 with Pegasus' challenge, no credentials → 401.
/// - Server 2 runs as root (EM_ALLOW_ROOT), so PAM can verify anyone: a second throwaway user with the right
///   password is authenticated and then refused with 403 (not the owner); the same user with a wrong password,
///   and an unknown user, get 401 (so a 403 is only ever given after a successful authentication).
/// The users and the PAM file are removed at the end.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: geteuid() == 0, "creating users and PAM services needs root"))
struct PAMAuthenticationTests {
    static let service = "pegasus-em-test"

    struct LocalUser {
        let name: String
        let password: String
        let uid: UInt32
        let gid: UInt32
    }

    static func createUser(_ name: String, home: String) async throws -> LocalUser {
        let add = try await run(["/usr/sbin/useradd", "-M", "-d", home, "-s", "/usr/sbin/nologin", name])
        try #require(add.status == 0, "useradd \(name): \(add.stderr)")
        let password = "Pw-\(UUID().uuidString)"
        let set = try await run(["/usr/sbin/chpasswd"], stdin: "\(name):\(password)\n")
        try #require(set.status == 0, "chpasswd: \(set.stderr)")
        let entry = try #require(getpwnam(name))
        return LocalUser(name: name, password: password, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    static func deleteUser(_ name: String) async {
        _ = try? await run(["/usr/sbin/userdel", name])
    }

    static func basic(_ user: String, _ password: String) -> [String: String] {
        ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    /// A private home for a server, with the PAM settings.
    static func makeHome(extra: String = "") throws -> TemporaryDirectory {
        let home = try TemporaryDirectory(prefix: "pegasus-em-pam")
        try home.write(
            ".pegasus/service.py",
            "AUTHENTICATION = 'PAMAuthentication'\nPAM_SERVICE = '\(service)'\nEM_PORT = 0\nEM_INTERVAL = 1\n" + extra)
        return home
    }

    static func environment(home: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home
        for key in ["EM_PORT", "EM_HOST", "EM_DATABASE", "AUTHENTICATION", "PAM_SERVICE", "PEGASUS_ENV"] {
            env.removeValue(forKey: key)
        }
        return env
    }

    @Test func ownerOtherUserAndWrongPasswords() async throws {
        let pamFile = "/etc/pam.d/\(Self.service)"
        try "auth required pam_unix.so\naccount required pam_unix.so\n".write(
            toFile: pamFile, atomically: true, encoding: .utf8)
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let ownerHome = try Self.makeHome()
        let rootHome = try Self.makeHome(extra: "EM_ALLOW_ROOT = True\n")
        var created: [String] = []
        defer { try? FileManager.default.removeItem(atPath: pamFile) }
        defer { ownerHome.remove() }
        defer { rootHome.remove() }
        do {
            let owner = try await Self.createUser("pegem-o-\(suffix)", home: ownerHome.path)
            created.append(owner.name)
            let other = try await Self.createUser("pegem-x-\(suffix)", home: ownerHome.path)
            created.append(other.name)
            for path in [ownerHome.path, ownerHome.path + "/.pegasus", ownerHome.path + "/.pegasus/service.py"] {
                chown(path, owner.uid, owner.gid)
            }
            try await Self.checkOwnerServer(owner: owner, home: ownerHome.path)
            try await Self.checkRootServer(other: other, home: rootHome.path)
        } catch {
            for name in created { await Self.deleteUser(name) }
            throw error
        }
        for name in created { await Self.deleteUser(name) }
        for name in created { #expect(getpwnam(name) == nil, "\(name) removed") }
    }

    /// Server 1, running as the owner: 200 for the right password, 401 otherwise.
    static func checkOwnerServer(owner: LocalUser, home: String) async throws {
        let server = LaunchedServer(
            argv: [
                "/usr/bin/setpriv", "--reuid=\(owner.uid)", "--regid=\(owner.gid)", "--init-groups",
                Binaries.path("pegasus-em"), "server",
            ],
            environment: environment(home: home), directory: home)
        try await server.start()
        let base = server.baseURL

        let health = try await TestHTTP.send("GET", base + "/health")
        #expect(health.status == 200)

        let right = try await TestHTTP.send("GET", base + "/ensembles", headers: basic(owner.name, owner.password))
        #expect(right.status == 200, "owner with the right password: \(right.body)\n\(server.output.string)")
        #expect(right.body == "[]")
        let create = try await TestHTTP.send(
            "POST", base + "/ensembles", form: ["name": "pam"], headers: basic(owner.name, owner.password))
        #expect(create.status == 201)

        async let wrong = TestHTTP.send("GET", base + "/ensembles", headers: basic(owner.name, "wrong-password"))
        async let none = TestHTTP.send("GET", base + "/ensembles")
        for reply in try await [wrong, none] {
            #expect(reply.status == 401)
            #expect(reply.header("www-authenticate") == "Basic realm=\"Pegasus Service\"")
            #expect(reply.message == "Basic Auth Required")
        }
        #expect(try await server.terminate() == 0)
        // The server really ran as the owner: its store belongs to the owner.
        let attributes = try FileManager.default.attributesOfItem(atPath: home + "/.pegasus/em.db")
        #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == owner.uid)
    }

    /// Server 2, running as root: another user is authenticated by PAM, then refused with 403.
    static func checkRootServer(other: LocalUser, home: String) async throws {
        let server = LaunchedServer(
            argv: [Binaries.path("pegasus-em"), "server"], environment: environment(home: home), directory: home)
        try await server.start()
        let base = server.baseURL
        async let forbidden = TestHTTP.send("GET", base + "/ensembles", headers: basic(other.name, other.password))
        async let wrong = TestHTTP.send("GET", base + "/ensembles", headers: basic(other.name, "wrong-password"))
        async let unknown = TestHTTP.send("GET", base + "/ensembles", headers: basic("pegem-nobody-here", "x"))
        let (f, w, u) = try await (forbidden, wrong, unknown)
        #expect(f.status == 403, "\(f.body)\n\(server.output.string)")
        #expect(f.message == "User \(other.name) may not use the ensemble manager of root")
        for reply in [w, u] {
            #expect(reply.status == 401)
            #expect(reply.header("www-authenticate") == "Basic realm=\"Pegasus Service\"")
        }
        #expect(try await server.terminate() == 0)
    }
}
