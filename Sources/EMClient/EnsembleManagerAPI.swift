import Foundation

/// The ensemble manager's REST API as the client uses it: paths, JSON bodies, status handling, decoding.
public struct EnsembleManagerAPI: Sendable {
    /// Where requests go.
    public let transport: any EnsembleManagerTransport
    /// HTTP Basic credentials (`USERNAME`/`PASSWORD`), sent only when configured.
    public let credentials: Credentials?

    /// HTTP Basic credentials.
    public struct Credentials: Sendable, Equatable {
        public var username: String
        public var password: String

        /// Creates credentials.
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }

        /// The `authorization` header value.
        public var headerValue: String {
            "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        }
    }

    /// Creates an API client.
    public init(transport: any EnsembleManagerTransport, credentials: Credentials?) {
        self.transport = transport
        self.credentials = credentials
    }

    /// A successful answer: its raw body (for `--json` and `analyze`) and its decoder.
    public struct Reply: Sendable {
        public var status: Int
        public var body: [UInt8]
        let baseURL: String

        /// Decodes the body as `T`.
        public func decode<T: Decodable>(_ type: T.Type) throws(ClientFailure) -> T {
            do {
                return try JSONDecoder().decode(T.self, from: Data(body))
            } catch {
                throw ClientFailure.badResponse(url: baseURL, reason: "cannot read \(T.self): \(error)")
            }
        }

        /// The body as text, invalid UTF-8 repaired.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends a request and turns every non-2xx answer into a ``ClientFailure``.
    /// - Parameters:
    ///   - method: `GET`, `POST`, `PUT` or `DELETE`.
    ///   - segments: the path segments, unencoded (`["ensembles", name]`).
    ///   - query: query parameters, unencoded, in order (`[("n", "5")]`); none gives no `?`.
    ///   - body: a JSON object to send.
    public func request(
        _ method: String,
        _ segments: [String],
        query: [(name: String, value: String)] = [],
        body: (any Encodable & Sendable)? = nil
    ) async throws(ClientFailure) -> Reply {
        var encoded: [UInt8]?
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            do {
                encoded = Array(try encoder.encode(body))
            } catch {
                throw ClientFailure.badResponse(url: transport.baseURL, reason: "cannot encode request: \(error)")
            }
        }
        let request = TransportRequest(
            method: method, path: Self.path(segments) + Self.queryString(query), body: encoded)
        let response = try await transport.send(request, authorization: credentials?.headerValue)
        if (200..<300).contains(response.status) {
            return Reply(status: response.status, body: response.body, baseURL: transport.baseURL)
        }
        if response.status == 401 && credentials == nil {
            throw ClientFailure.loginRequired
        }
        throw ClientFailure.server(status: response.status, message: Self.errorMessage(response.body))
    }

    /// Pegasus' rule: the JSON `message` if the body has one, else the raw body.
    static func errorMessage(_ body: [UInt8]) -> String {
        if let message = try? JSONDecoder().decode(MessageResource.self, from: Data(body)) {
            return message.message
        }
        return String(decoding: body, as: UTF8.self)
    }

    /// `/a/b` from unencoded segments, each percent-encoded except RFC 3986 unreserved characters.
    static func path(_ segments: [String]) -> String {
        var out = ""
        for segment in segments {
            out += "/" + percentEncoded(segment)
        }
        return out
    }

    /// `?a=1&b=x%20y` from unencoded parameters, names and values percent-encoded as path segments are (so `&`,
    /// `=`, `+`, `#` and spaces cannot be mistaken for separators); empty for no parameters.
    static func queryString(_ query: [(name: String, value: String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { percentEncoded($0.name) + "=" + percentEncoded($0.value) }.joined(separator: "&")
    }

    /// Percent-encodes every byte except RFC 3986 unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}

// MARK: - Request bodies

/// `POST /ensembles`.
struct CreateEnsembleBody: Encodable, Sendable {
    var name: String
    var maxPlanning: Int
    var maxRunning: Int

    enum CodingKeys: String, CodingKey {
        case name
        case maxPlanning = "max_planning"
        case maxRunning = "max_running"
    }
}

/// `POST /ensembles/E`: only the fields given.
struct UpdateEnsembleBody: Encodable, Sendable {
    var state: String?
    var maxPlanning: Int?
    var maxRunning: Int?

    enum CodingKeys: String, CodingKey {
        case state
        case maxPlanning = "max_planning"
        case maxRunning = "max_running"
    }
}

/// `POST /ensembles/E/workflows`: Pegasus' fields plus `plan_argv`.
struct SubmitWorkflowBody: Encodable, Sendable {
    var name: String
    var priority: Int
    var basedir: String
    var planCommand: String
    var planArgv: [String]

    enum CodingKeys: String, CodingKey {
        case name, priority, basedir
        case planCommand = "plan_command"
        case planArgv = "plan_argv"
    }
}

/// `POST /ensembles/E/workflows/W`: only the fields given.
struct UpdateWorkflowBody: Encodable, Sendable {
    var state: String?
    var priority: Int?
}

/// `POST /ensembles/E/triggers/cron` and `/file_pattern`.
struct CreateTriggerBody: Encodable, Sendable {
    var trigger: String
    var workflowScript: String
    var workflowArgs: [String]
    var interval: String?
    var timeout: String?
    var filePatterns: [String]?
    var priority: Int?
    var basedir: String
    var catchup: String?
    var cron: String?
    var timezone: String?
    var settle: String?
    var maxFiles: Int?
    var moveProcessed: Bool?
    var readyMarker: String? = nil
    var overlap: String? = nil
    var pauseAfterFailures: FailureLimit? = nil
    var skipExisting: Bool? = nil
    var resubmitAll: Bool? = nil

    enum CodingKeys: String, CodingKey {
        case trigger, interval, timeout, priority, basedir, catchup, cron, timezone, settle, overlap
        case readyMarker = "ready_marker"
        case pauseAfterFailures = "pause_after_failures"
        case skipExisting = "skip_existing"
        case resubmitAll = "resubmit_all"
        case workflowScript = "workflow_script"
        case workflowArgs = "workflow_args"
        case filePatterns = "file_patterns"
        case maxFiles = "max_files"
        case moveProcessed = "move_processed"
    }
}

/// `PUT /ensembles/E/triggers/T`: only the fields given.
struct UpdateTriggerBody: Encodable, Sendable, Equatable {
    var interval: String?
    var cron: String?
    var timezone: String?
    var timeout: String?
    var workflowScript: String?
    var workflowArgs: [String]?
    var filePatterns: [String]?
    var settle: String?
    var readyMarker: String?
    var maxFiles: Int?
    var priority: Int?
    var catchup: String?
    var overlap: String?
    var pauseAfterFailures: FailureLimit?
    var moveProcessed: Bool?

    /// Whether no field is set (the server would answer `nothing to update`).
    var isEmpty: Bool { self == UpdateTriggerBody() }

    enum CodingKeys: String, CodingKey {
        case interval, cron, timezone, timeout, settle, priority, catchup, overlap
        case workflowScript = "workflow_script"
        case workflowArgs = "workflow_args"
        case filePatterns = "file_patterns"
        case readyMarker = "ready_marker"
        case maxFiles = "max_files"
        case pauseAfterFailures = "pause_after_failures"
        case moveProcessed = "move_processed"
    }
}

/// `pause_after_failures`: a number of consecutive failed workflows (sent as a JSON integer) or never (sent as
/// the contract's `"none"`).
enum FailureLimit: Encodable, Sendable, Equatable {
    case after(Int)
    case never

    /// `N` (>= 1), or `none`/`0` for never; nil for anything else.
    init?(argument: String) {
        if argument == "none" || argument == "0" {
            self = .never
        } else if let count = Int(argument), count >= 1 {
            self = .after(count)
        } else {
            return nil
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .after(let count): try container.encode(count)
        case .never: try container.encode("none")
        }
    }
}
