import Foundation
import Hummingbird

/// The query-string parameters of a monitoring API request, validated as Pegasus does (every route accepts
/// and checks all of them; only collections use the paging, filter and order ones).
struct MonitoringParameters: Sendable, Equatable {
    /// `pretty-print`: indent the JSON (default false).
    var pretty = false
    /// `start-index`: 0-based offset into the filtered, ordered collection (default 0).
    var startIndex = 0
    /// `max-results`: at most this many records; nil returns all of them.
    var maxResults: Int?
    /// `query`: the filter expression; nil when absent or blank.
    var query: String?
    /// `order`: the sort list; nil when absent or blank.
    var order: String?
    /// `recent`: only the latest job instance (the job-instance collection only).
    var recent = false

    init() {}

    /// Parses and validates a query string (`a=1&b=2`, `+` meaning a space as in HTML forms and Werkzeug).
    /// - Throws: 400 `INVALID_QUERY_ARGUMENT` for a malformed or out-of-range value.
    init(query string: String?) throws(ServiceFailure) {
        let fields = try Self.fields(string ?? "")
        if let value = fields["pretty-print"] { pretty = try Self.bool("pretty-print", value) }
        if let value = fields["start-index"] { startIndex = try Self.count("start-index", value) }
        if let value = fields["max-results"] { maxResults = try Self.count("max-results", value) }
        if let value = fields["recent"] { recent = try Self.bool("recent", value) }
        query = fields["query"].flatMap(Self.nonBlank)
        order = fields["order"].flatMap(Self.nonBlank)
    }

    /// The parameters of a request.
    init(_ request: Request) throws(ServiceFailure) {
        try self.init(query: request.uri.query)
    }

    /// The decoded `name=value` pairs; the first occurrence of a name wins.
    static func fields(_ string: String) throws(ServiceFailure) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in string.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0])
            let value = parts.count > 1 ? try decode(parts[1]) : ""
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    private static func decode(_ text: Substring) throws(ServiceFailure) -> String {
        let plus = text.replacingOccurrences(of: "+", with: " ")
        guard let decoded = plus.removingPercentEncoding else {
            throw invalid("Invalid percent-encoding in the query string: \(String(text.prefix(80)))")
        }
        return decoded
    }

    private static func nonBlank(_ text: String) -> String? {
        text.allSatisfy(\.isWhitespace) ? nil : text
    }

    /// `1`/`true` or `0`/`false`, case-insensitive, surrounding whitespace ignored (Pegasus' `to_bool`).
    static func bool(_ name: String, _ value: String) throws(ServiceFailure) -> Bool {
        switch value.trimmingCharacters(in: .whitespaces).lowercased() {
        case "1", "true": return true
        case "0", "false": return false
        default: throw invalid("Expecting boolean for argument \(name), found '\(value.prefix(80))'")
        }
    }

    /// A non-negative integer.
    static func count(_ name: String, _ value: String) throws(ServiceFailure) -> Int {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard let number = Int(trimmed) else {
            throw invalid("Expecting integer for argument \(name), found '\(value.prefix(80))'")
        }
        guard number >= 0 else { throw invalid("Argument \(name) must not be negative, found \(number)") }
        return number
    }

    static func invalid(_ message: String) -> ServiceFailure {
        .badRequest("INVALID_QUERY_ARGUMENT", message)
    }
}

/// How the workflow ids of the URL are written: all digits is a numeric id, anything else a UUID.
enum WorkflowReference: Sendable, Equatable {
    case id(Int64)
    case uuid(String)

    /// `m_wf_id` / `wf_id` of the URL. Digits that overflow an integer can match no id and are looked up
    /// as a UUID (which matches nothing either, giving a 404).
    init(_ text: String) {
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let id = Int64(text) {
            self = .id(id)
        } else {
            self = .uuid(text)
        }
    }

    /// A condition on `<alias>.wf_id` or `<alias>.wf_uuid`.
    func condition(alias: String) -> SQLFragment {
        switch self {
        case .id(let id): SQLFragment(sql: "\(alias).wf_id = ?", arguments: [.int(id)])
        case .uuid(let uuid): SQLFragment(sql: "\(alias).wf_uuid = ?", arguments: [.text(uuid)])
        }
    }
}

/// Integer ids of the URL (`job_id`, `job_instance_id`, `host_id`, `task_id`, `invocation_id`). Like Flask's
/// `int` converter, anything but plain digits does not match the route, so the answer is a 404.
enum MonitoringID {
    static func parse(_ text: String?, name: String) throws(ServiceFailure) -> Int64 {
        guard let text, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let id = Int64(text)
        else {
            throw ServiceFailure.notFound(
                "No such resource: \(name) must be a non-negative integer, found '\(text?.prefix(80) ?? "")'")
        }
        return id
    }
}
