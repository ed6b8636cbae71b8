import EnsembleCore
import Foundation

/// The fields of a request body, from a form (`application/x-www-form-urlencoded`, as the Pegasus client sends)
/// or from a JSON object (our client and gateways).
public struct RequestFields: Sendable {
    /// A field's value: forms only have strings; JSON may carry numbers, booleans and arrays.
    public enum Value: Sendable, Equatable, Decodable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case array([Value])
        case null
        case object

        public init(from decoder: any Decoder) throws {
            if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
                _ = keyed
                self = .object
                return
            }
            if var list = try? decoder.unkeyedContainer() {
                var items: [Value] = []
                while !list.isAtEnd { items.append(try list.decode(Value.self)) }
                self = .array(items)
                return
            }
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                self = .null
            } else if let b = try? single.decode(Bool.self) {
                self = .bool(b)
            } else if let d = try? single.decode(Double.self) {
                self = .number(d)
            } else {
                self = .string(try single.decode(String.self))
            }
        }

        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    public private(set) var values: [String: Value]

    public init(values: [String: Value] = [:]) { self.values = values }

    /// Parses a body by its content type.
    public init(body: Data, contentType: String?) throws(EMError) {
        let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if body.isEmpty {
            values = [:]
        } else if type == "application/json" || (type.isEmpty && body.first == UInt8(ascii: "{")) {
            guard let dict = try? JSONDecoder().decode([String: Value].self, from: body) else {
                throw .invalid("The request body is not a JSON object")
            }
            values = dict
        } else if type.isEmpty || type == "application/x-www-form-urlencoded" {
            guard let text = String(data: body, encoding: .utf8) else {
                throw .invalid("The request body is not valid UTF-8")
            }
            values = Self.parseForm(text)
        } else {
            throw .invalid(
                "Unsupported content type \(type): send application/x-www-form-urlencoded or application/json")
        }
    }

    /// Parses `a=1&b=x+y` with percent-decoding; the last of repeated keys wins.
    static func parseForm(_ text: String) -> [String: Value] {
        var result: [String: Value] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            result[key] = .string(value)
        }
        return result
    }

    static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }

    /// Whether a field is present and not null.
    public func has(_ key: String) -> Bool {
        switch values[key] {
        case nil, .null?: false
        default: true
        }
    }

    /// A field as text (numbers rendered as integers when whole), nil when absent or null.
    /// - Throws: 400 when the field is a JSON array or object: a value of the wrong shape is refused, not ignored.
    public func string(_ key: String) throws(EMError) -> String? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .number(let d)?:
            if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
            return String(d)
        case .bool(let b)?: return b ? "true" : "false"
        case .array?, .object?: throw .invalid("Invalid value for \(key): expected a string, not a list or an object")
        }
    }

    /// A list of strings: a JSON array, or (forms, Pegasus) a JSON-encoded list in a string.
    /// - Returns: nil when absent; throws the given message when present but not a list of strings.
    public func stringList(_ key: String, message: String) throws(EMError) -> [String]? {
        switch values[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw .invalid(message) }
                out.append(s)
            }
            return out
        case .string(let s)?:
            guard let data = s.data(using: .utf8),
                let list = try? JSONSerialization.jsonObject(with: data) as? [Any],
                let strings = list as? [String], strings.count == list.count
            else { throw .invalid(message) }
            return strings
        default: throw .invalid(message)
        }
    }

    /// A boolean: JSON true/false, or the strings true/false/1/0/yes/no.
    public func bool(_ key: String) throws(EMError) -> Bool? {
        switch values[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case .number(let d)?: return d != 0
        case .string(let s)?:
            switch s.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off", "": return false
            default: throw .invalid("Invalid value for \(key): \(s) (expected true or false)")
            }
        default: throw .invalid("Invalid value for \(key) (expected true or false)")
        }
    }
}
