import EnsembleCore
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
        case .double(let d): JSONValue.writeDouble(d, to: &out)
        case .string(let s): JSONValue.writeString(s, to: &out)
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
                JSONValue.writeString(key, to: &out)
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
}
