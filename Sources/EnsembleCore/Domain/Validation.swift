import Foundation

/// Pegasus' validation rules for ensemble and workflow names, limits (`max_running`, `max_planning`) and
/// priorities, with its messages.
public enum Validation {
    /// Ensemble and workflow names: not empty, shorter than 100 characters, `^[a-zA-Z0-9_-]+$`.
    /// - Parameter what: `ensemble` or `workflow`, used in the messages that Pegasus words per kind.
    public static func name(_ name: String?, what: NameKind) throws(EMError) -> String {
        guard let name, !name.isEmpty else { throw .invalid(what.missingMessage) }
        guard name.count < 100 else { throw .invalid("\(what.label) name too long: \(name.count)") }
        guard name.utf8.allSatisfy(isNameByte) else { throw .invalid("Invalid \(what.lowercased) name: \(name)") }
        return name
    }

    /// The kinds of names, with Pegasus' wording.
    public enum NameKind: Sendable {
        case ensemble, workflow, trigger

        var label: String {
            switch self {
            case .ensemble: "Ensemble"
            case .workflow: "Workflow"
            case .trigger: "Trigger"
            }
        }

        var lowercased: String {
            switch self {
            case .ensemble: "ensemble"
            case .workflow: "workflow"
            case .trigger: "trigger"
            }
        }

        var missingMessage: String {
            switch self {
            case .ensemble: "Specify ensemble name"
            case .workflow: "Specify ensemble workflow 'name'"
            case .trigger: "trigger name must be a non-empty string"
            }
        }
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// `max_running` / `max_planning`: an integer of at least 1.
    public static func limit(_ text: String?, field: String, default defaultValue: Int = 1) throws(EMError) -> Int {
        guard let text else { return defaultValue }
        guard let value = pythonInt(text) else { throw .invalid("Invalid value for \(field): \(text)") }
        guard value >= 1 else { throw .invalid("Value for \(field) must be >= 1: \(value)") }
        return value
    }

    /// A priority: Python `int()` semantics (surrounding spaces and a sign allowed), higher runs first.
    public static func priority(_ text: String?) throws(EMError) -> Int {
        guard let text else { return 0 }
        guard let value = pythonInt(text) else { throw .invalid("Invalid priority: \(text)") }
        return value
    }

    /// Python's `int(str)`: optional surrounding whitespace, optional sign, digits with single underscores.
    static func pythonInt(_ text: String) -> Int? {
        var t = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        var negative = false
        if let first = t.first, first == "-" || first == "+" {
            negative = first == "-"
            t = t.dropFirst()
        }
        guard let first = t.first, first.isASCII, first.isNumber, let last = t.last, last != "_",
            !t.contains("__")
        else { return nil }
        guard t.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" }) else { return nil }
        guard let v = Int(t.replacingOccurrences(of: "_", with: "")) else { return nil }
        return negative ? -v : v
    }
}
