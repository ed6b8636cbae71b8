import Hummingbird
import Logging
import PegasusAuth

/// HTTP Basic authentication in front of every route but `/health` and `/openapi.json`, and authorisation: the EM
/// serves only the user it runs as (a defect of Pegasus fixed, docs/compatibility.md), so another user with a valid
/// password gets 403.
struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticator: any Authenticator
    let owner: String
    let cache: CredentialCache

    init(authenticator: any Authenticator, owner: String = currentUserName()) {
        self.authenticator = authenticator
        self.owner = owner
        self.cache = CredentialCache()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if Self.open.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], let (user, password) = basicCredentials(header)
        else {
            return Self.challenge()
        }
        if !cache.contains(header) {
            guard await authenticator.authenticate(username: user, password: password) else {
                context.logger.notice("authentication failed", metadata: ["user": "\(user)"])
                return Self.challenge()
            }
            cache.insert(header)
        }
        guard user == owner else {
            return APIResponse.message(
                "User \(user) may not use the ensemble manager of \(owner)", status: .forbidden)
        }
        return try await next(request, context)
    }

    /// Routes served without credentials: liveness, and the API's description (no user data in either).
    static var open: Set<String> { ["/health", "/openapi.json"] }

    static func challenge() -> Response {
        var response = APIResponse.message("Basic Auth Required", status: .unauthorized)
        response.headers[.wwwAuthenticate] = "Basic realm=\"Pegasus Service\""
        return response
    }

}
