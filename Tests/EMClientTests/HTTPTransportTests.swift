import Foundation
import Synchronization
import Testing

@testable import EMClient

/// A loopback HTTP/1.1 server on raw sockets that answers each connection with one canned response and records
/// the raw requests; enough to check what the HTTP transport puts on the wire.
final class CannedHTTPServer: Sendable {
    let port: Int
    private let listener: Int32
    private let received = RequestLog()

    /// The raw requests seen so far, shared with the accept thread.
    final class RequestLog: Sendable {
        let entries = Mutex<[String]>([])
    }

    init(response: String) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let fd = listener
        let log = received
        let thread = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                var request = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 65536)
                // Read the head, then as many body bytes as content-length says.
                while true {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    request += buffer[0..<n]
                    let text = String(decoding: request, as: UTF8.self)
                    if let end = text.range(of: "\r\n\r\n") {
                        let head = text[..<end.lowerBound].lowercased()
                        let length =
                            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                        if text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length {
                            break
                        }
                    }
                }
                log.entries.withLock { $0.append(String(decoding: request, as: UTF8.self)) }
                let bytes = Array(response.utf8)
                _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                close(client)
            }
        }
        thread.start()
    }

    var requests: [String] { received.entries.withLock { $0 } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

/// A port nothing listens on.
func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    close(fd)
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The transport under test: the CLI's AsyncHTTPClient transport.
enum TransportKind: String, CaseIterable, Sendable {
    case asyncHTTPClient

    func make(port: Int, host: String = "127.0.0.1") -> any EnsembleManagerTransport {
        HTTPTransport(host: host, port: port)
    }
}

/// Shuts an AsyncHTTPClient transport down (an unshut client traps in debug builds).
func finish(_ transport: any EnsembleManagerTransport) async {
    if let http = transport as? HTTPTransport { await http.shutdown() }
}

@Suite(.timeLimit(.minutes(1))) struct HTTPTransportTests {
    @Test(arguments: TransportKind.allCases)
    func sendsAcceptAuthorizationAndJSONBody(kind: TransportKind) async throws {
        let body = #"{"message":"created"}"#
        let server = try CannedHTTPServer(
            response: "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
                + "connection: close\r\n\r\n\(body)")
        defer { server.stop() }
        let transport = kind.make(port: server.port)
        let api = EnsembleManagerAPI(
            transport: transport, credentials: .init(username: "ryan", password: "pw"))
        do {
            let reply = try await api.request(
                "POST", ["ensembles"], body: CreateEnsembleBody(name: "a b", maxPlanning: 1, maxRunning: 2))
            #expect(reply.status == 201 && reply.text == body)
        } catch {
            Issue.record("\(error)")
        }
        await finish(transport)
        let raw = try #require(server.requests.first)
        #expect(raw.hasPrefix("POST /ensembles HTTP/1.1\r\n"))
        let head = raw.lowercased()
        #expect(head.contains("\r\naccept: application/json\r\n"))
        #expect(head.contains("\r\ncontent-type: application/json\r\n"))
        #expect(raw.contains("\r\nauthorization: Basic cnlhbjpwdw==\r\n"))
        #expect(raw.hasSuffix(#"{"max_planning":1,"max_running":2,"name":"a b"}"#))
        #expect(transport.baseURL == "http://127.0.0.1:\(server.port)/")
    }

    @Test(arguments: TransportKind.allCases)
    func errorStatusCarriesTheMessage(kind: TransportKind) async throws {
        let body = #"{"message": "No such ensemble: x"}"#
        let server = try CannedHTTPServer(
            response: "HTTP/1.1 404 Not Found\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
        )
        defer { server.stop() }
        let transport = kind.make(port: server.port)
        let api = EnsembleManagerAPI(transport: transport, credentials: nil)
        var failure: ClientFailure?
        do {
            _ = try await api.request("GET", ["ensembles", "x"])
        } catch {
            failure = error
        }
        await finish(transport)
        #expect(failure == .server(status: 404, message: "No such ensemble: x"))
        #expect(server.requests.first?.hasPrefix("GET /ensembles/x HTTP/1.1\r\n") == true)
        #expect(server.requests.first?.lowercased().contains("authorization") == false)
    }

    @Test(arguments: TransportKind.allCases)
    func unreachableServerFailsAtOnceNamingTheURL(kind: TransportKind) async throws {
        let port = closedPort()
        let transport = kind.make(port: port)
        let started = ContinuousClock.now
        var failure: ClientFailure?
        do {
            _ = try await transport.send(TransportRequest(method: "GET", path: "/ensembles"), authorization: nil)
        } catch {
            failure = error
        }
        await finish(transport)
        // "At once": before the 5 s connect timeout, and no retries; the margin is for starting the client's event
        // loop on a loaded 2-core machine (2.3 s seen there).
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(failure == .unreachable(url: "http://127.0.0.1:\(port)/", reason: "connection refused"))
        #expect(
            failure?.description
                == "ERROR: cannot connect to the ensemble manager at http://127.0.0.1:\(port)/ (connection refused); "
                + "is it running? Start it with `pegasus-em server`")
    }

    @Test(arguments: TransportKind.allCases)
    func ipv6HostIsBracketed(kind: TransportKind) async {
        let transport = kind.make(port: 7919, host: "::1")
        #expect(transport.baseURL == "http://[::1]:7919/")
        await finish(transport)
    }

    @Test func unknownHostIsUnreachable() async {
        let transport = HTTPTransport(host: "no-such-host.invalid", port: 7919)
        await #expect {
            try await transport.send(TransportRequest(method: "GET", path: "/"), authorization: nil)
        } throws: { error in
            guard case .unreachable(let url, _)? = error as? ClientFailure else { return false }
            return url == "http://no-such-host.invalid:7919/"
        }
        await transport.shutdown()
    }

    @Test func chunkedAndCloseDelimitedAnswers() async throws {
        let chunked = try CannedHTTPServer(
            response: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n[1, \r\n3;x=y\r\n2]\n\r\n0\r\n\r\n")
        defer { chunked.stop() }
        let transport = HTTPTransport(host: "127.0.0.1", port: chunked.port)
        let reply = try await transport.send(TransportRequest(method: "GET", path: "/ensembles"), authorization: nil)
        #expect(reply == TransportResponse(status: 200, body: Array("[1, 2]\n".utf8)))
        await transport.shutdown()

        let closeDelimited = try CannedHTTPServer(response: "HTTP/1.1 500 Internal Server Error\r\n\r\noops")
        defer { closeDelimited.stop() }
        let second = HTTPTransport(host: "127.0.0.1", port: closeDelimited.port)
        let raw = try await second.send(TransportRequest(method: "DELETE", path: "/x"), authorization: nil)
        #expect(raw == TransportResponse(status: 500, body: Array("oops".utf8)))
        await second.shutdown()
    }
}
