import EMTestSupport
import Foundation
import Testing

/// Only the EM's owner and root drive it from this host, with `NoAuthentication` too (the socket's owner is read
/// from `/proc/net/tcp`); and an EM without authentication does not listen beyond loopback unless told to.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct OwnerOnlyAccessTests {
    /// An HTTP answer as curl, run as some user, saw it.
    struct CurlReply {
        var status: Int
        var body: String
        var message: String? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["message"] as? String
        }
    }

    /// curl run as `user` (setpriv: that uid, that gid, no supplementary groups).
    static func curl(
        as user: PAMAuthenticationTests.LocalUser, _ method: String, _ url: String, form: String? = nil
    ) async throws -> CurlReply {
        var argv = [
            "/usr/bin/setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "/usr/bin/curl", "-sSg",
            "--max-time", "20", "-X", method, "-o", "-", "-w", "\n%{http_code}",
        ]
        if let form { argv += ["--data", form] }
        let result = try await run(argv + [url])
        try #require(result.status == 0, "curl as \(user.name): \(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return CurlReply(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
    }

    @Test(.enabled(if: geteuid() == 0, "running the EM and its clients as throwaway users needs root"))
    func anotherLocalUserIsRefusedTheOwnerAndRootAreServed() async throws {
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let home = try TemporaryDirectory(prefix: "pegasus-em-owner")
        defer { home.remove() }
        try home.write(
            ".pegasus/service.py", "AUTHENTICATION = 'NoAuthentication'\nEM_PORT = 0\nEM_INTERVAL = 1\n")
        var created: [String] = []
        defer { for name in created { _ = try? ProcessRunner.run(["/usr/sbin/userdel", name]) } }
        let owner = try await PAMAuthenticationTests.createUser("pegem-o-\(suffix)", home: home.path)
        created.append(owner.name)
        let other = try await PAMAuthenticationTests.createUser("pegem-x-\(suffix)", home: home.path)
        created.append(other.name)
        for path in [home.path, home.file(".pegasus"), home.file(".pegasus/service.py")] {
            chown(path, owner.uid, owner.gid)
        }
        let server = LaunchedServer(
            argv: [
                "/usr/bin/setpriv", "--reuid=\(owner.uid)", "--regid=\(owner.gid)", "--init-groups",
                Binaries.path("pegasus-em"), "server",
            ],
            environment: PAMAuthenticationTests.environment(home: home.path), directory: home.path)
        try await server.start()
        let base = server.baseURL

        // The owner: served as before.
        let made = try await Self.curl(as: owner, "POST", base + "/ensembles", form: "name=mine")
        #expect(made.status == 201, "\(made.body)\n\(server.output.string)")
        let listed = try await Self.curl(as: owner, "GET", base + "/ensembles")
        #expect(listed.status == 200 && listed.body.contains("\"mine\""), "\(listed.body)")

        // Another local user: 403 with who is refused and whose EM it is, for reads and writes alike.
        let expected =
            "User \(other.name) (uid \(other.uid)) may not use the ensemble manager of \(owner.name): "
            + "only \(owner.name) and root may connect to it"
        for (method, path, form) in [
            ("GET", "/ensembles", nil), ("POST", "/ensembles", "name=theirs"), ("DELETE", "/ensembles/mine", nil),
            ("GET", "/metrics", nil),
        ] {
            let refused = try await Self.curl(as: other, method, base + path, form: form)
            #expect(refused.status == 403, "\(method) \(path): \(refused.body)")
            #expect(refused.message == expected, "\(method) \(path)")
        }
        // From an IPv6 socket to the IPv4-mapped loopback address as well, and the pegasus-em client shows the server's message.
        let mapped = try await Self.curl(as: other, "GET", "http://[::ffff:127.0.0.1]:\(server.port)/ensembles")
        #expect(mapped.status == 403, "a dual-stack client socket (listed in tcp6): \(mapped.body)")
        #expect(mapped.message == expected)
        var clientEnvironment = PAMAuthenticationTests.environment(home: "/nonexistent")
        clientEnvironment["EM_PORT"] = String(server.port)
        let client = try await run(
            [
                "/usr/bin/setpriv", "--reuid=\(other.uid)", "--regid=\(other.gid)", "--clear-groups",
                Binaries.path("pegasus-em"), "ensembles",
            ], environment: clientEnvironment, directory: "/")
        #expect(client.status != 0)
        #expect((client.stdout + client.stderr).contains(expected), "\(client.stdout)\(client.stderr)")
        // Liveness and the API description hold no user data: open to everyone.
        #expect(try await Self.curl(as: other, "GET", base + "/health").status == 200)
        #expect(try await Self.curl(as: other, "GET", base + "/openapi.json").status == 200)

        // Root: served; nothing the other user sent was done.
        let asRoot = try await TestHTTP.send("GET", base + "/ensembles")
        #expect(asRoot.status == 200)
        #expect(asRoot.jsonArray?.compactMap { $0["name"] as? String } == ["mine"], "\(asRoot.body)")
        #expect(server.output.string.contains("refused a connection of another local user"))
        #expect(try await server.terminate() == 0)
    }

    @Test func noAuthenticationBeyondLoopbackNeedsAnExplicitKey() async throws {
        let refused = try TestServer(settings: ["EM_HOST": "'0.0.0.0'"])
        let result = try await run(
            [Binaries.path("pegasus-em"), "server"], environment: refused.environment,
            directory: refused.home.path, timeout: 20)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "pegasus-em server: EM_HOST 0.0.0.0 is not a loopback address and AUTHENTICATION is NoAuthentication: "
                    + "anyone who can reach 0.0.0.0:0 could drive this ensemble manager. Use PAMAuthentication, a "
                    + "loopback EM_HOST (127.0.0.1), or set EM_ALLOW_REMOTE_NOAUTH = True to allow it"),
            "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: refused.databasePath), "nothing is touched before the check")

        let allowed = try TestServer(settings: ["EM_HOST": "'0.0.0.0'", "EM_ALLOW_REMOTE_NOAUTH": "True"])
        try await allowed.launch()
        #expect(try await TestHTTP.send("GET", allowed.baseURL + "/ensembles").status == 200)
        #expect(try await allowed.terminate() == 0)
        let withPAM = try TestServer(settings: ["EM_HOST": "'0.0.0.0'", "AUTHENTICATION": "'PAMAuthentication'"])
        try await withPAM.launch()
        #expect(try await TestHTTP.send("GET", withPAM.baseURL + "/ensembles").status == 401)
        #expect(try await withPAM.terminate() == 0)
    }
}
