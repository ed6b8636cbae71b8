import Foundation

/// A JSON document built explicitly, serialised with sorted keys (as Pegasus' Flask does) and with `null` for
/// absent values (the Pegasus client indexes fields such as `wf_uuid` and needs them present).
public indirect enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral, ExpressibleByBooleanLiteral
{
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }

    /// An optional string or null.
    public static func string(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    /// An optional number or null.
    public static func double(_ d: Double?) -> JSONValue { d.map(JSONValue.double) ?? .null }
    /// An optional integer or null.
    public static func int(_ i: Int?) -> JSONValue { i.map(JSONValue.int) ?? .null }
    /// An array of strings.
    public static func strings(_ a: [String]) -> JSONValue { .array(a.map(JSONValue.string)) }

    /// The compact serialisation.
    public var serialized: String {
        var out = ""
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): Self.writeDouble(d, to: &out)
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += ", " }
                v.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, key) in o.keys.sorted().enumerated() {
                if i > 0 { out += ", " }
                Self.writeString(key, to: &out)
                out += ": "
                o[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    /// Appends a float literal as Python's `json` writes it (`1.0`, not `1`); non-finite values become `null`.
    public static func writeDouble(_ d: Double, to out: inout String) {
        guard d.isFinite else {
            out += "null"
            return
        }
        let s = String(d)
        out += s.contains(".") || s.contains("e") ? s : s + ".0"
    }

    /// Appends `s` as a JSON string literal (control characters, DEL, U+2028 and U+2029 escaped).
    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
