import Foundation

/// A Python literal as written in `~/.pegasus/service.py`.
public indirect enum ConfigValue: Sendable, Hashable, CustomStringConvertible {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([ConfigValue])
    case tuple([ConfigValue])
    case set([ConfigValue])
    case dict([DictEntry])

    /// One `key: value` pair of a dict literal, in source order.
    public struct DictEntry: Sendable, Hashable {
        public var key: ConfigValue
        public var value: ConfigValue
    }

    /// Python truthiness: `None`, `False`, `0`, `''` and empty containers are false.
    public var isTruthy: Bool {
        switch self {
        case .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .float(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let l), .tuple(let l), .set(let l): !l.isEmpty
        case .dict(let d): !d.isEmpty
        }
    }

    /// The elements of a list, tuple or set; nil for anything else.
    public var elements: [ConfigValue]? {
        switch self {
        case .list(let l), .tuple(let l), .set(let l): l
        default: nil
        }
    }

    /// The value rendered as Python would print it (`repr`-like), for messages and `--show-config`.
    public var description: String {
        switch self {
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .float(let d): String(d)
        case .string(let s): "'" + s.replacingOccurrences(of: "'", with: "\\'") + "'"
        case .list(let l): "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .tuple(let l): "(" + l.map(\.description).joined(separator: ", ") + (l.count == 1 ? ",)" : ")")
        case .set(let l): l.isEmpty ? "set()" : "{" + l.map(\.description).joined(separator: ", ") + "}"
        case .dict(let d): "{" + d.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}
