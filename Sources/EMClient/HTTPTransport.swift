import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix

/// One request to the ensemble manager, relative to its base URL.
public struct TransportRequest: Sendable, Equatable {
    /// `GET`, `POST` or `DELETE`.
    public var method: String
    /// The absolute path, already percent-encoded (`/ensembles/myruns`).
    public var path: String
    /// A JSON body, sent with `content-type: application/json`.
    public var body: [UInt8]?

    /// Creates a request.
    public init(method: String, path: String, body: [UInt8]? = nil) {
        self.method = method
        self.path = path
        self.body = body
    }
}

/// The server's answer.
public struct TransportResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// The whole body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// How requests reach the ensemble manager: HTTP in the binary, a recording fake in tests.
public protocol EnsembleManagerTransport: Sendable {
    /// The base URL, for messages (`http://127.0.0.1:7919/`).
    var baseURL: String { get }
    /// Sends one request with the given `authorization` header value, if any.
    /// - Throws: ``ClientFailure/unreachable(url:reason:)`` or ``ClientFailure/transport(url:reason:)``.
    func send(_ request: TransportRequest, authorization: String?) async throws(ClientFailure) -> TransportResponse
}

/// The HTTP transport: one AsyncHTTPClient on NIO's singleton event loop group.
///
/// Connection establishment is not retried, so a server that is down is reported at once instead of after the
/// connect timeout. The client must be shut down with ``shutdown()`` on every path (an unshut `HTTPClient` traps
/// in debug builds when it deinitialises).
public final class HTTPTransport: EnsembleManagerTransport {
    public let baseURL: String
    private let client: HTTPClient
    private let requestTimeout: TimeAmount

    /// Creates a transport for `http://host:port/`.
    /// - Parameters:
    ///   - host: the EM host (`EM_HOST`).
    ///   - port: the EM port (`EM_PORT`).
    ///   - connectTimeout: how long a TCP connect may take.
    ///   - requestTimeout: how long a whole request may take (`analyze` runs pegasus-analyzer on the server).
    public init(
        host: String, port: Int, connectTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(300)
    ) {
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        self.baseURL = "http://\(bracketed):\(port)/"
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = TimeAmount(connectTimeout)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.httpVersion = .http1Only
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.requestTimeout = TimeAmount(requestTimeout)
    }

    public func send(_ request: TransportRequest, authorization: String?) async throws(ClientFailure)
        -> TransportResponse
    {
        let url = baseURL.dropLast() + request.path
        var outgoing = HTTPClientRequest(url: String(url))
        outgoing.method = HTTPMethod(rawValue: request.method)
        outgoing.headers.add(name: "accept", value: "application/json")
        if let authorization {
            outgoing.headers.add(name: "authorization", value: authorization)
        }
        if let body = request.body {
            outgoing.headers.add(name: "content-type", value: "application/json")
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, timeout: requestTimeout)
        } catch {
            throw ClientFailure.unreachable(url: baseURL, reason: Self.describe(error))
        }
        do {
            var body = try await response.body.collect(upTo: 256 << 20)
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            return TransportResponse(status: Int(response.status.code), body: bytes)
        } catch {
            throw ClientFailure.transport(url: baseURL, reason: Self.describe(error))
        }
    }

    /// Shuts the HTTP client down; call it once, on every path.
    public func shutdown() async {
        try? await client.shutdown()
    }

    /// A short, human reason for a connection error (`connection refused`, `timed out`).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connect timed out"
            case .deadlineExceeded, .readTimeout: return "timed out waiting for the answer"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return String(describing: error)
            }
        }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first {
                return describe(first.error)
            }
            if let dns = error.dnsAAAAError ?? error.dnsAError {
                return "cannot resolve \(error.host): \(describe(dns))"
            }
        }
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        return String(describing: error)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
