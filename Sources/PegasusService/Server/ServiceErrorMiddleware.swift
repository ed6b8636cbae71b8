import EnsembleCore
import Foundation
import Hummingbird
import Logging

/// Answers every failure with its real status: `{"code", "message"}` under `/api/`, an HTML page elsewhere.
struct ServiceErrorMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let links: ServiceLinks

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let failure as ServiceFailure {
            return respond(failure, request: request, context: context)
        } catch let failure as UserDataFailure {
            return respond(ServiceFailure(failure), request: request, context: context)
        } catch let error as HTTPError {
            let failure =
                error.status == .notFound
                ? ServiceFailure.notFound("No such page: \(request.uri.path)")
                : ServiceFailure(error.status, code: "INVALID_REQUEST", error.body ?? error.status.reasonPhrase)
            return respond(failure, request: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return respond(
                ServiceFailure(.internalServerError, code: "UNKNOWN", "Internal server error"), request: request,
                context: context)
        }
    }

    func respond(_ failure: ServiceFailure, request: Request, context: Context) -> Response {
        if request.uri.path.hasPrefix(links.path("/api/")) {
            let body: JSONValue = ["code": .string(failure.code), "message": .string(failure.message)]
            var response = Response(
                status: failure.status, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
            for field in failure.headers { response.headers.append(field) }
            return response
        }
        return Layout.errorResponse(failure, user: context.login?.name, links: links)
    }
}
