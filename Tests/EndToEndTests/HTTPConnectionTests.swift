import EMTestSupport
import Foundation
import Testing

/// HTTP/1.0 on both servers: without keep-alive the response is complete and the server closes the connection;
/// with `Connection: keep-alive` the connection stays open for the next request; HTTP/1.1 keeps it open as before.
/// The requests are written byte for byte over a socket (TLS for pegasus-service) by a small Python client that
/// reads each response by its Content-Length and then waits for the end of the connection.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct HTTPConnectionTests {
    /// What the raw client saw on one connection.
    struct Exchange: Decodable {
        struct Reply: Decodable {
            var status: String
            var headers: [String: String]
            var body: String
        }
        var replies: [Reply]
        /// The server closed the connection after the last response, within the wait.
        var closed: Bool
        /// Seconds from the last request to the end of the connection (or to the end of the wait).
        var seconds: Double
    }

    /// Sends `requests` one after the other on one connection, then waits at most `wait` seconds for the end.
    static func exchange(port: Int, tls: Bool = false, wait: Double, _ requests: [String]) async throws -> Exchange {
        let input = try JSONSerialization.data(withJSONObject: requests)
        let result = try await run(
            ["/usr/bin/env", "python3", "-c", client, "127.0.0.1", String(port), tls ? "tls" : "plain", String(wait)],
            stdin: String(decoding: input, as: UTF8.self), timeout: 30)
        try #require(result.status == 0, "raw client: \(result.stderr)")
        return try JSONDecoder().decode(Exchange.self, from: Data(result.stdout.utf8))
    }

    static let client = """
        import json, socket, ssl, sys, time
        host, port, mode, wait = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
        requests = json.load(sys.stdin)
        sock = socket.create_connection((host, port), timeout=10)
        if mode == "tls":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname="localhost")
        buffer = b""
        def more():
            global buffer
            try:
                data = sock.recv(65536)
            except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError):
                data = b""
            buffer += data
            return bool(data)
        replies = []
        for request in requests:
            sock.sendall(request.encode())
            started = time.monotonic()
            while b"\\r\\n\\r\\n" not in buffer and more():
                pass
            head, _, buffer = buffer.partition(b"\\r\\n\\r\\n")
            lines = head.decode().split("\\r\\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            while len(buffer) < length and more():
                pass
            body, buffer = buffer[:length], buffer[length:]
            replies.append({"status": lines[0], "headers": headers, "body": body.decode(errors="replace")})
        sock.settimeout(wait)
        closed = False
        try:
            while more():
                pass
            closed = True
        except socket.timeout:
            pass
        print(json.dumps({"replies": replies, "closed": closed, "seconds": time.monotonic() - started}))
        """

    /// The three cases against a server on `port`, asking for `path`.
    static func check(port: Int, tls: Bool, path: String, status: String) async throws {
        // HTTP/1.0 without keep-alive: a complete HTTP/1.0 response, `Connection: close`, then the end.
        let plain = try await exchange(port: port, tls: tls, wait: 10, ["GET \(path) HTTP/1.0\r\n\r\n"])
        let only = try #require(plain.replies.first)
        #expect(only.status.hasPrefix("HTTP/1.0 \(status)"), "\(only.status)")
        #expect(only.headers["connection"]?.lowercased() == "close")
        #expect(only.body.utf8.count == Int(only.headers["content-length"] ?? "") && !only.body.isEmpty)
        #expect(plain.closed && plain.seconds < 5, "the server closed the connection: \(plain.seconds) s")

        // HTTP/1.0 with keep-alive: the connection serves a second request, which (without keep-alive) ends it.
        let kept = try await exchange(
            port: port, tls: tls, wait: 10,
            ["GET \(path) HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET \(path) HTTP/1.0\r\n\r\n"])
        #expect(kept.replies.count == 2)
        #expect(kept.replies.first?.headers["connection"]?.lowercased() == "keep-alive")
        #expect(kept.replies.last?.status.hasPrefix("HTTP/1.0 \(status)") == true)
        #expect(kept.replies.last?.headers["connection"]?.lowercased() == "close")
        #expect(kept.closed)

        // HTTP/1.1: unchanged, the connection stays open after two requests.
        let request11 = "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n"
        let open = try await exchange(port: port, tls: tls, wait: 1.5, [request11, request11])
        #expect(open.replies.count == 2)
        #expect(
            open.replies.allSatisfy { $0.status.hasPrefix("HTTP/1.1 \(status)") && $0.headers["connection"] == nil })
        #expect(!open.closed, "HTTP/1.1 keeps the connection")
        // HTTP/1.1 with `Connection: close`: closed, and said so.
        let closing = try await exchange(
            port: port, tls: tls, wait: 10, ["GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"])
        #expect(closing.replies.first?.headers["connection"]?.lowercased() == "close")
        #expect(closing.closed)
    }

    @Test func ensembleManager() async throws {
        let server = try TestServer()
        try await server.launch()
        try await Self.check(port: server.port, tls: false, path: "/ensembles", status: "200")
        // An error answer closes the same way.
        let missing = try await Self.exchange(port: server.port, wait: 10, ["GET /nowhere HTTP/1.0\r\n\r\n"])
        #expect(missing.replies.first?.status.hasPrefix("HTTP/1.0 404") == true && missing.closed)
        #expect(try await server.terminate() == 0)
    }

    @Test func pegasusService() async throws {
        let home = try TemporaryDirectory(prefix: "pegasus-service-http10")
        defer { home.remove() }
        let runner = ServiceSupport.unprivileged(home: home.path)
        let server = try await ServiceSupport.start(
            home: home.path, settings: "AUTHENTICATION = 'NoAuthentication'\nPROCESS_SWITCHING = False\n",
            launcher: runner.launcher)
        try await Self.check(port: server.port, tls: true, path: "/u/\(runner.user)/", status: "200")
        #expect(try await server.terminate() == 0)
    }
}
