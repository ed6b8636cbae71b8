import EnsembleCore
import Foundation
import Hummingbird
import Logging

/// Turns every error into Pegasus' error shape `{"message": ...}` with an honest status code:
/// 400 invalid input, 404 unknown resource or route, 405 wrong method, 409 duplicate or state conflict, 500 ours.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Route patterns and their methods, to tell a wrong method (405) from an unknown route (404).
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as EMError {
            let status: HTTPResponse.Status
            switch error.kind {
            case .invalid: status = .badRequest
            case .notFound: status = .notFound
            case .conflict: status = .conflict
            case .internalError: status = .internalServerError
            }
            return APIResponse.message(error.message, status: status)
        } catch let error as HTTPError {
            if error.status == .notFound {
                let path = request.uri.path
                if let allowed = routes.methods(for: path), !allowed.isEmpty {
                    var response = APIResponse.message(
                        "Method \(request.method.rawValue) not allowed on \(path): use \(allowed.joined(separator: ", "))",
                        status: .methodNotAllowed)
                    response.headers[.allow] = allowed.joined(separator: ", ")
                    return response
                }
                return APIResponse.message("No such resource: \(path)", status: .notFound)
            }
            return APIResponse.message(error.body ?? error.status.reasonPhrase, status: error.status)
        } catch {
            context.logger.error(
                "request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return APIResponse.message("Internal server error: \(error)", status: .internalServerError)
        }
    }
}

/// The API's route patterns (`:name` segments match one path segment), for 405 answers.
struct RouteTable: Sendable {
    private var entries: [(segments: [String], methods: [String])] = []

    mutating func add(_ pattern: String, _ methods: [String]) {
        entries.append((pattern.split(separator: "/").map(String.init), methods))
    }

    func methods(for path: String) -> [String]? {
        let parts = path.split(separator: "/").map(String.init)
        var found: [String]? = nil
        for entry in entries where entry.segments.count == parts.count {
            let matches = zip(entry.segments, parts).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
            if matches { found = (found ?? []) + entry.methods }
        }
        return found
    }
}
