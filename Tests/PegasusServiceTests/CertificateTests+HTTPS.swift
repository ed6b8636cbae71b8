import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import Testing
import X509

@testable import PegasusService

/// HTTPS with the service certificate, and the helpers the certificate tests share.
extension CertificateTests {
    // MARK: - HTTPS

    @Test(
        "HTTPS with the generated certificate: AHC and curl trust it explicitly, default trust roots do not",
        .timeLimit(.minutes(1)))
    func httpsRoundTrip() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let certificate = try ServiceCertificate.load(
            certificate: nil, privateKey: nil, directory: scratch.path, hostName: "localhost",
            logger: LogRecorder().logger)
        let router = Router()
        router.get("/") { _, _ in "hello over TLS" }
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: certificate.serverTLSConfiguration()),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) },
            // Cancelling the server at the end logs "Already closed" at error level: keep it out of the output.
            logger: LogRecorder().logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            #expect(port > 0)

            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(certificate.certificatePath)]
            for host in ["localhost", "127.0.0.1"] {
                let answer = try await get("https://\(host):\(port)/", tls: tls)
                #expect(answer.status == 200)
                #expect(answer.body == "hello over TLS")
            }

            let curl = try await run([
                "curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--cacert", certificate.certificatePath,
                "https://localhost:\(port)/",
            ])
            #expect(curl.status == 0, "\(curl.stderr)")
            #expect(curl.stdout == "hello over TLS\n200")

            // Verification is on: without the certificate as trust root both clients refuse.
            // (AHC retries failed handshakes until the deadline, then reports the last handshake error.)
            let refused = await #expect(throws: (any Error).self) {
                _ = try await get(
                    "https://localhost:\(port)/", tls: TLSConfiguration.makeClientConfiguration(), timeout: 2)
            }
            #expect(String(describing: refused).contains("CERTIFICATE_VERIFY_FAILED"), "\(String(describing: refused))")
            let plainCurl = try await run(["curl", "-sS", "-o", "/dev/null", "https://localhost:\(port)/"])
            #expect(plainCurl.status == 60, "\(plainCurl.stderr)")
        }
    }

    // MARK: - Helpers

    static let ipv6Loopback = "IPAddress(\(Array(repeating: UInt8(0), count: 15) + [1]))"

    /// One GET with AHC; the client is shut down on every path.
    func get(
        _ url: String, tls: TLSConfiguration, timeout: Int64 = 10
    ) async throws -> (status: Int, body: String) {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(timeout))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            // "200 OK": the status type's members live in NIOHTTP1, which this target does not import.
            return (Int(String(describing: response.status).prefix(3)) ?? 0, String(buffer: body))
        } catch {
            try await client.shutdown()
            throw error
        }
    }

    /// A P-256 pair made with the openssl CLI: `<name>-cert.pem`, `<name>-key.pem`.
    func opensslPair(in scratch: Scratch, name: String) async throws -> (certificate: String, key: String) {
        let certificate = scratch.path + "/\(name)-cert.pem"
        let key = scratch.path + "/\(name)-key.pem"
        let result = try await run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "30", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        try #require(result.status == 0, "\(result.stderr)")
        return (certificate, key)
    }
}
