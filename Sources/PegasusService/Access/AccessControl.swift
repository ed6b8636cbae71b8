import Foundation
import Hummingbird
import Logging
import PegasusAuth

/// How `pegasus-service` learns who is asking (`AUTHENTICATION`).
public enum ServiceAuthentication: Sendable {
    /// HTTP Basic, checked through PAM (or any other ``Authenticator``).
    case basic(any Authenticator)
    /// `NoAuthentication`: nobody logs in. With PROCESS_SWITCHING the URL's user is taken as the login (Pegasus'
    /// behaviour); without it, the user running the service.
    case none
}

/// The data of one target user, as one logged-in user may see it.
public struct UserScope: Sendable {
    public let login: UnixUser
    public let target: UnixUser
    /// Reads the target's files: in process, or in a helper running as the target (PROCESS_SWITCHING).
    public let data: any UserDataSource

    /// The target's Pegasus master database.
    public var masterDatabase: String { target.pegasusDirectory + "/workflow.db" }
    /// The target's ensemble manager store.
    public var emDatabase: String { target.pegasusDirectory + "/em.db" }
}

/// Authentication and authorisation of `pegasus-service`: Pegasus' rules with its defects fixed (see
/// "pegasus-service" in docs/compatibility.md).
public struct AccessControl: Sendable {
    public let authentication: ServiceAuthentication
    public let admins: AdminPolicy
    public let processSwitching: Bool
    /// The user the service runs as.
    public let serviceUser: UnixUser
    /// Gives the reader for a target user.
    public let readers: @Sendable (UnixUser) -> any UserDataSource
    /// Finds a local user by name (the password database; tests point users at fixture homes).
    public let lookup: @Sendable (String) -> UnixUser?
    let throttle: LoginThrottle
    let cache = CredentialCache()
    /// Counts logins (attempts, failures, throttled).
    let metrics: ServiceMetrics?

    public init(
        authentication: ServiceAuthentication, admins: AdminPolicy, processSwitching: Bool,
        serviceUser: UnixUser = .current(), throttle: LoginThrottle = LoginThrottle(), metrics: ServiceMetrics? = nil,
        lookup: @escaping @Sendable (String) -> UnixUser? = UnixUser.named,
        readers: @escaping @Sendable (UnixUser) -> any UserDataSource
    ) {
        self.lookup = lookup
        self.metrics = metrics
        self.authentication = authentication
        self.admins = admins
        self.processSwitching = processSwitching
        self.serviceUser = serviceUser
        self.throttle = throttle
        self.readers = readers
    }

    /// Who the request comes from. Throws 401 (with the Basic challenge) or 429.
    func authenticate(_ request: Request, context: ServiceRequestContext) async throws(ServiceFailure) -> UnixUser? {
        guard case .basic(let authenticator) = authentication else {
            return processSwitching ? nil : serviceUser
        }
        guard let header = request.headers[.authorization], let (name, password) = basicCredentials(header) else {
            throw Self.challenge("Basic Auth Required")
        }
        if cache.contains(header), let user = lookup(name) { return user }
        let address = context.remoteAddress
        let started = Date().timeIntervalSince1970
        if let wait = throttle.attempt(user: name, address: address, now: started) {
            metrics?.login(.throttled)
            context.logger.notice(
                "login refused: too many failures", metadata: ["user": "\(name)", "address": "\(address ?? "-")"])
            var failure = ServiceFailure(
                .tooManyRequests, code: "TOO_MANY_REQUESTS", "Too many failed logins; try again later")
            failure.headers[.retryAfter] = String(Int(wait.rounded(.up)))
            throw failure
        }
        // root never logs in; the answer is the same as for a wrong password.
        var valid = false
        metrics?.login(.attempt)
        if name != "root" { valid = await authenticator.authenticate(username: name, password: password) }
        guard valid, let user = lookup(name), !user.isRoot else {
            metrics?.login(.failure)
            context.logger.notice("login failed", metadata: ["user": "\(name)", "address": "\(address ?? "-")"])
            throw Self.challenge("Invalid username or password")
        }
        throttle.succeeded(user: name, address: address, at: started)
        cache.insert(header)
        return user
    }

    /// The target user's data for the logged-in user: 403 for root's data or another user's without admin
    /// rights, 404 for an unknown user (only admins get that far, so nothing leaks).
    public func scope(target name: String, context: ServiceRequestContext) throws(ServiceFailure) -> UserScope {
        if name == "root" { throw ServiceFailure.forbidden("The data of root is not served") }
        let target = lookup(name)
        let login: UnixUser
        if let user = context.login {
            login = user
        } else if case .none = authentication, processSwitching {
            guard let target else { throw ServiceFailure.notFound("No such user: \(name)") }
            login = target
        } else {
            login = serviceUser
        }
        if login.name != name && !admins.isAdmin(login.name) {
            throw ServiceFailure.forbidden("User \(login.name) may not see the data of another user")
        }
        guard let target else { throw ServiceFailure.notFound("No such user: \(name)") }
        if target.isRoot { throw ServiceFailure.forbidden("The data of root is not served") }
        return UserScope(login: login, target: target, data: readers(target))
    }

    /// The user whose pages `/` leads to.
    func homeUser(_ context: ServiceRequestContext) -> String {
        (context.login ?? serviceUser).name
    }

    static func challenge(_ message: String) -> ServiceFailure {
        var failure = ServiceFailure(.unauthorized, code: "UNAUTHORIZED", message)
        failure.headers[.wwwAuthenticate] = "Basic realm=\"Pegasus Service\""
        return failure
    }
}

/// Authenticates every request (HTTP Basic through PAM, or NoAuthentication) and records the login.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let access: AccessControl

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var context = context
        context.login = try await access.authenticate(request, context: context)
        return try await next(request, context)
    }
}
