import EnsembleServer
import Foundation
import Hummingbird

/// Serialises monitoring API documents: compact (`{"a":1,"b":[2,3]}`, the default) or indented by two spaces
/// (`pretty-print=true`). Object keys are sorted, so output is stable; every document ends with a newline, as
/// in Pegasus.
enum MonitoringJSON {
    /// The response for a document, `application/json` with the given status.
    static func response(_ value: JSONValue, pretty: Bool, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: render(value, pretty: pretty))))
    }

    /// The text of a document.
    static func render(_ value: JSONValue, pretty: Bool) -> String {
        var out = ""
        out.reserveCapacity(1024)
        write(value, pretty: pretty, level: 0, to: &out)
        out += "\n"
        return out
    }

    private static func write(_ value: JSONValue, pretty: Bool, level: Int, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): writeDouble(d, to: &out)
        case .string(let s): writeString(s, to: &out)
        case .array(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(pretty: pretty, level: level + 1, to: &out)
                write(item, pretty: pretty, level: level + 1, to: &out)
            }
            newline(pretty: pretty, level: level, to: &out)
            out += "]"
        case .object(let object):
            guard !object.isEmpty else {
                out += "{}"
                return
            }
            out += "{"
            for (i, key) in object.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                newline(pretty: pretty, level: level + 1, to: &out)
                writeString(key, to: &out)
                out += pretty ? ": " : ":"
                write(object[key] ?? .null, pretty: pretty, level: level + 1, to: &out)
            }
            newline(pretty: pretty, level: level, to: &out)
            out += "}"
        }
    }

    private static func newline(pretty: Bool, level: Int, to out: inout String) {
        guard pretty else { return }
        out += "\n"
        out += String(repeating: " ", count: 2 * level)
    }

    /// A float literal as Python's `json` writes it (`1.0`, not `1`); non-finite values become `null`.
    private static func writeDouble(_ d: Double, to out: inout String) {
        guard d.isFinite else {
            out += "null"
            return
        }
        let s = String(d)
        out += s.contains(".") || s.contains("e") ? s : s + ".0"
    }

    private static func writeString(_ s: String, to out: inout String) {
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
                    out +=
                        "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
