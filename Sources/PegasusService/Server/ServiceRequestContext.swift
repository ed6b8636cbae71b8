import Hummingbird
import NIOCore

/// The request context of `pegasus-service`: who logged in, and from where.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user; nil with NoAuthentication.
    public var login: UnixUser?
    /// The client's IP address, for login throttling and logs.
    public var remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// A failure with the HTTP status and Pegasus error code it is answered with (`{"code", "message"}` in the API,
/// an error page in the dashboard).
public struct ServiceFailure: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func notFound(_ message: String) -> ServiceFailure {
        ServiceFailure(.notFound, code: "NOT_FOUND", message)
    }

    public static func badRequest(_ code: String, _ message: String) -> ServiceFailure {
        ServiceFailure(.badRequest, code: code, message)
    }

    public static func forbidden(_ message: String) -> ServiceFailure {
        ServiceFailure(.forbidden, code: "FORBIDDEN", message)
    }

    /// Maps a reader failure: missing and outside-the-root paths are 404, unreadable ones 403, others 500.
    public init(_ failure: UserDataFailure) {
        switch failure.kind {
        case .notFound, .outsideRoot: self.init(.notFound, code: "NOT_FOUND", failure.message)
        case .permissionDenied: self.init(.forbidden, code: "FORBIDDEN", failure.message)
        case .database, .helper: self.init(.internalServerError, code: "UNKNOWN", failure.message)
        }
    }
}
