import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A response as tests look at it.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    /// The first value of a header.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The body parsed as a JSON object.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }

    /// The body parsed as a JSON array of objects.
    public var jsonArray: [[String: Any]]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [[String: Any]]
    }

    /// `message` of an error body.
    public var message: String? { json?["message"] as? String }
}

/// Real HTTP requests on loopback.
public enum TestHTTP {
    /// Sends a request; `form` is form-encoded as the Pegasus client does, `json` is sent as JSON.
    public static func send(
        _ method: String, _ url: String, form: [String: String]? = nil, json: [String: Any]? = nil,
        headers: [String: String] = [:]
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "accept", value: "application/json")
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let form {
            let body = form.map { "\(encode($0.key))=\(encode($0.value))" }.joined(separator: "&")
            request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        } else if let json {
            let data = try JSONSerialization.data(withJSONObject: json)
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        return TestResponse(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: String(buffer: body))
    }

    /// Form-encodes a value (spaces as %20, everything but unreserved characters escaped).
    public static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
