import Foundation

/// An error in a configuration file, naming the file, the line and (when known) the key.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var key: String?
    public var reason: String

    public init(file: String, line: Int, key: String?, reason: String) {
        self.file = file
        self.line = line
        self.key = key
        self.reason = reason
    }

    public var description: String {
        if let key {
            return "\(file):\(line): \(key): \(reason)"
        }
        return "\(file):\(line): \(reason)"
    }
}

/// Parses the subset of Python that people write in `service.py`: `NAME = literal` statements, comments,
/// line continuations (backslash or open brackets) and the literals None/True/False, numbers, strings
/// (single, double and triple quoted, with `r` prefixes), lists, tuples, sets and dicts.
///
/// Anything else (imports, calls, expressions, attribute access) is rejected with a ``ConfigurationError``:
/// a configuration key that is silently ignored is worse than a clear start-up error.
public struct PythonLiteralParser {
    private let file: String
    private let chars: [Character]
    private var index = 0
    private var line = 1
    private var currentKey: String?

    public init(source: String, file: String) {
        self.file = file
        // Swift reads "\r\n" as one Character; Python's universal newlines read it as "\n".
        self.chars = Array(source.replacingOccurrences(of: "\r\n", with: "\n"))
    }

    /// Parses every statement, later assignments overriding earlier ones.
    public static func parse(_ source: String, file: String) throws(ConfigurationError) -> [String: ConfigValue] {
        var parser = PythonLiteralParser(source: source, file: file)
        return try parser.parseModule()
    }

    mutating func parseModule() throws(ConfigurationError) -> [String: ConfigValue] {
        var result: [String: ConfigValue] = [:]
        while true {
            skipBlankAndComments()
            guard index < chars.count else { return result }
            currentKey = nil
            let statementLine = line
            guard let name = readIdentifier() else {
                throw error("expected `NAME = value`")
            }
            if ["import", "from", "def", "class", "if", "for", "while", "with", "try"].contains(name) {
                throw error("unsupported statement `\(name)`: only `NAME = literal` assignments are allowed")
            }
            currentKey = name
            skipInlineSpace(allowContinuation: true)
            guard peek() == "=", peek(offset: 1) != "=" else {
                throw error("expected `=` after the name (only `NAME = literal` assignments are allowed)")
            }
            index += 1
            skipInlineSpace(allowContinuation: true)
            let value = try parseValue(depth: 0)
            skipInlineSpace(allowContinuation: true)
            var separated = false
            if peek() == ";" {
                index += 1
                separated = true
            }
            skipInlineSpace(allowContinuation: true)
            if !separated, let c = peek(), c != "\n", c != "#" {
                throw error("unsupported syntax after the value (only literals are allowed, no expressions)")
            }
            _ = statementLine
            result[name] = value
        }
    }

    // MARK: - Values

    mutating func parseValue(depth: Int) throws(ConfigurationError) -> ConfigValue {
        let inBrackets = depth > 0
        skipSpace(multiline: inBrackets)
        guard let c = peek(), c != "\n", c != "#" else { throw error("missing value") }
        switch c {
        case "[":
            index += 1
            return .list(try parseSequence(close: "]", depth: depth + 1).items)
        case "(":
            index += 1
            let (items, trailingComma) = try parseSequence(close: ")", depth: depth + 1)
            if items.count == 1 && !trailingComma { return items[0] }
            return .tuple(items)
        case "{":
            index += 1
            return try parseBraces(depth: depth + 1)
        case "\"", "'":
            return .string(try parseStrings(depth: depth))
        case "r", "R", "u", "U":
            if let q = peek(offset: 1), q == "\"" || q == "'" {
                return .string(try parseStrings(depth: depth))
            }
            return try parseName()
        case "-", "+", "0"..."9", ".":
            return try parseNumber()
        default:
            return try parseName()
        }
    }

    mutating func parseName() throws(ConfigurationError) -> ConfigValue {
        guard let name = readIdentifier() else {
            throw error("unsupported syntax `\(peek().map(String.init) ?? "")`: only literals are allowed")
        }
        switch name {
        case "None": return .none
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "set":
            // `set()` is the only way to write an empty set.
            if peek() == "(" && peek(offset: 1) == ")" {
                index += 2
                return .set([])
            }
            fallthrough
        default:
            throw error(
                "unsupported value `\(name)`: only literals (strings, numbers, True/False/None, lists, "
                    + "tuples, sets, dicts) are allowed")
        }
    }

    mutating func parseNumber() throws(ConfigurationError) -> ConfigValue {
        var text = ""
        if let sign = peek(), sign == "-" || sign == "+" {
            text.append(sign)
            index += 1
            skipInlineSpace(allowContinuation: false)
        }
        while let c = peek(),
            c.isLetter || c.isNumber || c == "." || c == "_"
                || ((c == "-" || c == "+") && (text.last == "e" || text.last == "E")
                    && !text.lowercased().hasPrefix("0x")
                    && !text.lowercased().hasPrefix("-0x"))
        {
            text.append(c)
            index += 1
        }
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        var body = Substring(cleaned)
        var negative = false
        if body.first == "-" {
            negative = true
            body = body.dropFirst()
        } else if body.first == "+" {
            body = body.dropFirst()
        }
        let lower = body.lowercased()
        var intValue: Int?
        if lower.hasPrefix("0x") {
            intValue = Int(lower.dropFirst(2), radix: 16)
        } else if lower.hasPrefix("0o") {
            intValue = Int(lower.dropFirst(2), radix: 8)
        } else if lower.hasPrefix("0b") {
            intValue = Int(lower.dropFirst(2), radix: 2)
        } else if lower.allSatisfy(\.isNumber), !lower.isEmpty {
            intValue = Int(lower)
        }
        if let intValue {
            return .int(negative ? -intValue : intValue)
        }
        if let d = Double(lower), !lower.isEmpty, lower.first != "n", lower.first != "i" {
            return .float(negative ? -d : d)
        }
        throw error("invalid number `\(text)`")
    }

    /// Adjacent string literals concatenate, as in Python.
    mutating func parseStrings(depth: Int) throws(ConfigurationError) -> String {
        var result = try parseString()
        while true {
            let save = (index, line)
            skipSpace(multiline: depth > 0)
            if let c = peek(),
                c == "\"" || c == "'"
                    || ((c == "r" || c == "R") && (peek(offset: 1) == "\"" || peek(offset: 1) == "'"))
            {
                result += try parseString()
            } else {
                (index, line) = save
                return result
            }
        }
    }

    mutating func parseString() throws(ConfigurationError) -> String {
        var raw = false
        if let c = peek(), c == "r" || c == "R" {
            raw = true
            index += 1
        } else if let c = peek(), c == "u" || c == "U" {
            index += 1
        }
        guard let quote = peek() else { throw error("unterminated string") }
        let triple = peek(offset: 1) == quote && peek(offset: 2) == quote
        index += triple ? 3 : 1
        var out = ""
        while true {
            guard let c = peek() else { throw error("unterminated string") }
            if c == quote {
                if !triple {
                    index += 1
                    return out
                }
                if peek(offset: 1) == quote && peek(offset: 2) == quote {
                    index += 3
                    return out
                }
            }
            if c == "\n" {
                if !triple { throw error("unterminated string") }
                line += 1
            }
            if c == "\\" && !raw {
                index += 1
                guard let e = peek() else { throw error("unterminated string") }
                index += 1
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "a": out.append("\u{7}")
                case "b": out.append("\u{8}")
                case "f": out.append("\u{C}")
                case "v": out.append("\u{B}")
                case "0", "1", "2", "3", "4", "5", "6", "7":
                    // Up to three octal digits, as in Python (at most 0o777, always a valid scalar).
                    var code = UInt32(e.asciiValue! - 0x30)
                    for _ in 0..<2 {
                        guard let d = peek()?.asciiValue, d >= 0x30, d <= 0x37 else { break }
                        code = code * 8 + UInt32(d - 0x30)
                        index += 1
                    }
                    out.unicodeScalars.append(Unicode.Scalar(code)!)
                case "x", "u", "U":
                    let width = e == "x" ? 2 : e == "u" ? 4 : 8
                    var hex = ""
                    for _ in 0..<width {
                        guard let d = peek(), d.isHexDigit else { break }
                        hex.append(d)
                        index += 1
                    }
                    guard hex.count == width, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code)
                    else { throw error("invalid \\\(e) escape in a string") }
                    out.unicodeScalars.append(scalar)
                case "\\": out.append("\\")
                case "'": out.append("'")
                case "\"": out.append("\"")
                case "\n": line += 1
                default:
                    out.append("\\")
                    out.append(e)
                }
                continue
            }
            if c == "\\" && raw, let next = peek(offset: 1), next == quote || next == "\\" {
                out.append(c)
                out.append(next)
                index += 2
                continue
            }
            out.append(c)
            index += 1
        }
    }

    mutating func parseSequence(close: Character, depth: Int) throws(ConfigurationError) -> (
        items: [ConfigValue], trailingComma: Bool
    ) {
        var items: [ConfigValue] = []
        var trailingComma = false
        while true {
            skipSpace(multiline: true)
            if peek() == close {
                index += 1
                return (items, trailingComma)
            }
            items.append(try parseValue(depth: depth))
            skipSpace(multiline: true)
            trailingComma = false
            if peek() == "," {
                index += 1
                trailingComma = true
                continue
            }
            if peek() == close { continue }
            throw error("expected `,` or `\(close)` in a literal (only literals are allowed, no expressions)")
        }
    }

    mutating func parseBraces(depth: Int) throws(ConfigurationError) -> ConfigValue {
        skipSpace(multiline: true)
        if peek() == "}" {
            index += 1
            return .dict([])
        }
        let first = try parseValue(depth: depth)
        skipSpace(multiline: true)
        if peek() == ":" {
            var entries: [ConfigValue.DictEntry] = []
            index += 1
            entries.append(.init(key: first, value: try parseValue(depth: depth)))
            while true {
                skipSpace(multiline: true)
                if peek() == "}" {
                    index += 1
                    return .dict(entries)
                }
                guard peek() == "," else { throw error("expected `,` or `}` in a dict literal") }
                index += 1
                skipSpace(multiline: true)
                if peek() == "}" { continue }
                let key = try parseValue(depth: depth)
                skipSpace(multiline: true)
                guard peek() == ":" else { throw error("expected `:` in a dict literal") }
                index += 1
                entries.append(.init(key: key, value: try parseValue(depth: depth)))
            }
        }
        var items = [first]
        while true {
            skipSpace(multiline: true)
            if peek() == "}" {
                index += 1
                return .set(items)
            }
            guard peek() == "," else { throw error("expected `,` or `}` in a set literal") }
            index += 1
            skipSpace(multiline: true)
            if peek() == "}" { continue }
            items.append(try parseValue(depth: depth))
        }
    }

    // MARK: - Lexing helpers

    func peek(offset: Int = 0) -> Character? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    mutating func readIdentifier() -> String? {
        guard let c = peek(), c.isLetter || c == "_" else { return nil }
        var name = ""
        while let c = peek(), c.isLetter || c.isNumber || c == "_" {
            name.append(c)
            index += 1
        }
        return name
    }

    /// Skips spaces and tabs on the current logical line; a backslash-newline continues it.
    mutating func skipInlineSpace(allowContinuation: Bool) {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\r" {
                index += 1
            } else if allowContinuation, c == "\\", peek(offset: 1) == "\n" {
                index += 2
                line += 1
            } else {
                return
            }
        }
    }

    /// Inside brackets newlines and comments are insignificant.
    mutating func skipSpace(multiline: Bool) {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\r" {
                index += 1
            } else if c == "\\", peek(offset: 1) == "\n" {
                index += 2
                line += 1
            } else if multiline, c == "\n" {
                index += 1
                line += 1
            } else if multiline, c == "#" {
                while let d = peek(), d != "\n" { index += 1 }
            } else {
                return
            }
        }
    }

    mutating func skipBlankAndComments() {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\r" || c == ";" {
                index += 1
            } else if c == "\n" {
                index += 1
                line += 1
            } else if c == "#" {
                while let d = peek(), d != "\n" { index += 1 }
            } else {
                return
            }
        }
    }

    func error(_ reason: String) -> ConfigurationError {
        ConfigurationError(file: file, line: line, key: currentKey, reason: reason)
    }
}
