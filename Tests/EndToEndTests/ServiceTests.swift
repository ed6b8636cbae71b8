import EMTestSupport
import Foundation
import Testing

/// The built `pegasus-service` binary: HTTPS with a generated and kept (or configured) certificate, the URL prefix,
/// and its refusal to start with PROCESS_SWITCHING when it cannot switch.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ServiceProcessTests {
    /// The user the unprivileged service runs as, and how it is started.
    static let runner = ServiceSupport.unprivileged(home: "/nonexistent-pegasus-home")
    static var me: String { runner.user }

    @Test func generatedCertificateIsKeptAndTrusted() async throws {
        let home = try TemporaryDirectory(prefix: "pegasus-service-tls")
        defer { home.remove() }
        let settings = "AUTHENTICATION = 'NoAuthentication'\nPROCESS_SWITCHING = False\n"
        let cert = home.file(".pegasus/service-cert.pem")
        let key = home.file(".pegasus/service-key.pem")

        let first = try await ServiceSupport.start(home: home.path, settings: settings, launcher: Self.runner.launcher)
        let page = try await ServiceSupport.get("https://localhost:\(first.port)/u/\(Self.me)/", cacert: cert)
        #expect(page.status == 200, "\(page.body)\n\(first.output.string)")
        #expect(page.body.contains("Workflows of \(Self.me)"))
        let viaAddress = try await ServiceSupport.get("https://127.0.0.1:\(first.port)/u/\(Self.me)/", cacert: cert)
        #expect(viaAddress.status == 200, "the certificate names 127.0.0.1 too")
        let ahc = try await ServiceSupport.getWithAsyncHTTPClient(
            "https://localhost:\(first.port)/u/\(Self.me)/", cacert: cert)
        #expect(ahc == 200, "AsyncHTTPClient (BoringSSL) accepts the generated certificate as a trust root")
        #expect(try await first.terminate() == 0)

        let keyMode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? NSNumber
        #expect(keyMode?.intValue == 0o600)
        let pem = try String(contentsOfFile: cert, encoding: .utf8)
        let fingerprint = try #require(first.output.string.firstMatch(of: #/sha256=([0-9A-F:]+)/#)?.output.1)

        let second = try await ServiceSupport.start(home: home.path, settings: settings, launcher: Self.runner.launcher)
        let again = try await ServiceSupport.get("https://localhost:\(second.port)/u/\(Self.me)/", cacert: cert)
        #expect(again.status == 200)
        #expect(try await second.terminate() == 0)
        #expect(try String(contentsOfFile: cert, encoding: .utf8) == pem, "the second start reuses the certificate")
        #expect(second.output.string.contains("sha256=\(fingerprint)"))
        #expect(second.output.string.contains("origin=reused"))
    }

    @Test func configuredCertificateIsServed() async throws {
        let home = try TemporaryDirectory(prefix: "pegasus-service-tls")
        defer { home.remove() }
        let made = try await run([
            "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext", "basicConstraints=critical,CA:TRUE", "-keyout", home.file("site.key"), "-out",
            home.file("site.pem"),
        ])
        try #require(made.status == 0, "\(made.stderr)")
        _ = ServiceSupport.unprivileged(home: home.path)
        let server = try await ServiceSupport.start(
            home: home.path,
            settings: """
                AUTHENTICATION = 'NoAuthentication'
                PROCESS_SWITCHING = False
                CERTIFICATE = '\(home.file("site.pem"))'
                PRIVATE_KEY = '\(home.file("site.key"))'

                """, launcher: Self.runner.launcher)
        let page = try await ServiceSupport.get(
            "https://localhost:\(server.port)/u/\(Self.me)/", cacert: home.file("site.pem"))
        #expect(page.status == 200, "\(page.body)\n\(server.output.string)")
        #expect(try await server.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: home.file(".pegasus/service-cert.pem")))
    }

    @Test func urlPrefixMountsEverything() async throws {
        let home = try TemporaryDirectory(prefix: "pegasus-service-prefix")
        defer { home.remove() }
        try await ServiceSupport.makeMasterDatabase(home.file(".pegasus/workflow.db"), labels: ["prefixed"])
        let server = try await ServiceSupport.start(
            home: home.path, settings: "AUTHENTICATION = 'NoAuthentication'\nPROCESS_SWITCHING = False\n",
            launcher: Self.runner.launcher, extra: ["PEGASUS_SERVICE_URL_PREFIX": "/pegasus/"])
        let cert = home.file(".pegasus/service-cert.pem")
        let base = "https://localhost:\(server.port)"
        let redirect = try await ServiceSupport.get(base + "/pegasus/", cacert: cert)
        #expect(redirect.status == 302)
        #expect(redirect.header("location") == "/pegasus/u/\(Self.me)/")
        let list = try await ServiceSupport.get(base + "/pegasus/u/\(Self.me)/", cacert: cert)
        #expect(list.status == 200)
        #expect(list.body.contains("href=\"/pegasus/static/dashboard.css\""))
        let api = try await ServiceSupport.get(base + "/pegasus/api/v1/user/\(Self.me)/root", cacert: cert)
        #expect(api.status == 200)
        #expect(ServiceSupport.labels(api) == ["prefixed"])
        for outside in ["/u/\(Self.me)/", "/api/v1/user/\(Self.me)/root", "/"] {
            let reply = try await ServiceSupport.get(base + outside, cacert: cert)
            #expect(reply.status == 404, "\(outside) is outside the prefix")
        }
        #expect(try await server.terminate() == 0)
        #expect(server.output.string.contains("listening on https://localhost:\(server.port)/pegasus/"))
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to run the service as an unprivileged user"))
    func processSwitchingNeedsRoot() async throws {
        let home = try TemporaryDirectory(prefix: "pegasus-service-switch")
        defer { home.remove() }
        try FileManager.default.createDirectory(atPath: home.file(".pegasus"), withIntermediateDirectories: true)
        try "PROCESS_SWITCHING = True\n".write(
            toFile: home.file(".pegasus/service.py"), atomically: true, encoding: .utf8)
        for path in [home.path, home.file(".pegasus"), home.file(".pegasus/service.py")] { chmod(path, 0o755) }
        let result = try await run(
            [
                "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                Binaries.path("pegasus-service"), "--port", "0",
            ], environment: ServiceSupport.environment(home: home.path))
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "Pegasus service must run as root to enable process switching (or set PROCESS_SWITCHING = False)"),
            "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home.file(".pegasus/service-key.pem")))
    }

    @Test func badCommandLineIsAUsageError() async throws {
        let result = try await run([Binaries.path("pegasus-service"), "--port", "70000"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--port must be 0...65535"))
        let unknown = try await run([Binaries.path("pegasus-service"), "--bogus"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("Usage: pegasus-service"))
    }
}
