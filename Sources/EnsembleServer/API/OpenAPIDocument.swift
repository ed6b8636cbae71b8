import Hummingbird

/// The OpenAPI 3.1 document of this API, `API/OpenAPI/openapi.json`, compiled into the binary by SwiftPM
/// (`resources: [.embedInCode(...)]`) and served as it is kept in the repository at `GET /openapi.json`.
enum OpenAPIDocument {
    /// The document's bytes.
    static var bytes: [UInt8] { PackageResources.openapi_json }

    /// `GET /openapi.json`: the document, without authentication (it holds no user data).
    static func response() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
