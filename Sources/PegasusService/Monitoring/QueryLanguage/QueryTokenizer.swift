/// Splits a text into ``QueryToken``s on demand, rejecting every character the languages do not use with a
/// message saying why.
struct QueryTokenizer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var produced = 0
    private let maxTokens: Int

    init(_ text: String, maxTokens: Int) {
        self.scalars = Array(text.unicodeScalars)
        self.maxTokens = maxTokens
    }

    /// The next token; ``QueryToken/Kind/end`` at the end, as often as asked.
    mutating func next() throws(QueryFailure) -> QueryToken {
        while index < scalars.count, Self.isWhitespace(scalars[index]) { index += 1 }
        guard index < scalars.count else { return QueryToken(kind: .end, column: index + 1, text: "") }
        produced += 1
        if produced > maxTokens {
            throw QueryFailure("too many tokens (more than \(maxTokens)) at column \(index + 1)")
        }
        let start = index
        let c = scalars[index]
        if Self.isNameStart(c) { return try name(start) }
        if Self.isDigit(c) || (c == "." && index + 1 < scalars.count && Self.isDigit(scalars[index + 1])) {
            return try number(start)
        }
        if c == "'" || c == "\"" { return try string(start) }
        return try symbol(start)
    }

    private static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}"
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }

    private static func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || isDigit(c) }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private func source(_ start: Int) -> String {
        let end = min(index, start + 40)
        let text = String(String.UnicodeScalarView(scalars[start..<end]))
        return end < index ? text + "..." : text
    }

    private func token(_ kind: QueryToken.Kind, _ start: Int) -> QueryToken {
        QueryToken(kind: kind, column: start + 1, text: source(start))
    }

    private mutating func name(_ start: Int) throws(QueryFailure) -> QueryToken {
        while let c = peek(), Self.isNameChar(c) { index += 1 }
        let name = String(String.UnicodeScalarView(scalars[start..<index]))
        if let next = peek(), next == "'" || next == "\"", name.count <= 2,
            name.unicodeScalars.allSatisfy({ "bBrRuUfF".unicodeScalars.contains($0) })
        {
            throw QueryFailure(
                "string prefixes are not allowed ('\(name)' at column \(start + 1); write plain '...' or \"...\")")
        }
        return token(.name(name), start)
    }

    /// Digits of `radix`, with Python's single `_` separators between digits.
    private mutating func digits(radix: UInt32) -> String {
        func isDigit(_ c: Unicode.Scalar?) -> Bool {
            guard let c, c.isASCII else { return false }
            return UInt8(String(c), radix: Int(radix)) != nil
        }
        var result = ""
        while let c = peek() {
            if isDigit(c) {
                result.unicodeScalars.append(c)
                index += 1
            } else if c == "_", !result.isEmpty, isDigit(peek(1)) {
                index += 1
            } else {
                break
            }
        }
        return result
    }

    private mutating func number(_ start: Int) throws(QueryFailure) -> QueryToken {
        func invalid() -> QueryFailure {
            QueryFailure("invalid number literal '\(source(start))' at column \(start + 1)")
        }
        if scalars[index] == "0", let marker = peek(1), "xXoObB".unicodeScalars.contains(marker) {
            index += 2
            let radix: UInt32 = marker == "x" || marker == "X" ? 16 : marker == "o" || marker == "O" ? 8 : 2
            let text = digits(radix: radix)
            if let c = peek(), Self.isNameChar(c) { index += 1; throw invalid() }
            guard !text.isEmpty else { throw invalid() }
            guard let value = UInt64(text, radix: Int(radix)) else {
                throw QueryFailure("integer literal '\(source(start))' at column \(start + 1) is too large")
            }
            return token(.integer(value), start)
        }
        let integerPart = digits(radix: 10)
        var fraction = ""
        var exponent = ""
        var isFloat = false
        if peek() == "." {
            index += 1
            isFloat = true
            fraction = digits(radix: 10)
        }
        if let e = peek(), e == "e" || e == "E" {
            var offset = 1
            var sign = ""
            if let s = peek(1), s == "+" || s == "-" {
                sign = String(s)
                offset = 2
            }
            if let d = peek(offset), Self.isDigit(d) {
                index += offset
                isFloat = true
                exponent = sign + digits(radix: 10)
            }
        }
        if let c = peek(), Self.isNameChar(c) {
            while let c = peek(), Self.isNameChar(c) { index += 1 }
            throw invalid()
        }
        if isFloat {
            let text =
                "\(integerPart.isEmpty ? "0" : integerPart).\(fraction.isEmpty ? "0" : fraction)"
                + (exponent.isEmpty ? "" : "e\(exponent)")
            guard let value = Double(text), value.isFinite else {
                throw QueryFailure("number '\(source(start))' at column \(start + 1) is out of range")
            }
            return token(.float(value), start)
        }
        if integerPart.count > 1, integerPart.hasPrefix("0"), integerPart.contains(where: { $0 != "0" }) {
            throw QueryFailure(
                "leading zeros are not allowed in integer literals ('\(source(start))' at column \(start + 1))")
        }
        guard let value = UInt64(integerPart) else {
            throw QueryFailure("integer literal '\(source(start))' at column \(start + 1) is too large")
        }
        return token(.integer(value), start)
    }

    private mutating func string(_ start: Int) throws(QueryFailure) -> QueryToken {
        let quote = scalars[index]
        if peek(1) == quote, peek(2) == quote {
            throw QueryFailure("triple-quoted strings are not allowed (column \(start + 1))")
        }
        func unterminated() -> QueryFailure {
            QueryFailure("unterminated string starting at column \(start + 1)")
        }
        index += 1
        var value = String.UnicodeScalarView()
        while true {
            guard let c = peek(), c != "\n", c != "\r" else { throw unterminated() }
            index += 1
            if c == quote { break }
            guard c == "\\" else {
                value.append(c)
                continue
            }
            guard let e = peek(), e != "\r" else { throw unterminated() }
            let escapeColumn = index
            index += 1
            switch e {
            case "\\", "'", "\"": value.append(e)
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "r": value.append("\r")
            case "a": value.append("\u{07}")
            case "b": value.append("\u{08}")
            case "f": value.append("\u{0C}")
            case "v": value.append("\u{0B}")
            case "0"..."7":
                var code = e.value - 0x30
                var length = 1
                while length < 3, let d = peek(), d >= "0", d <= "7" {
                    code = code * 8 + d.value - 0x30
                    index += 1
                    length += 1
                }
                value.append(Unicode.Scalar(code)!)  // at most 0o777, always a valid scalar
            case "x", "u", "U":
                let length = e == "x" ? 2 : e == "u" ? 4 : 8
                var code: UInt32 = 0
                for _ in 0..<length {
                    guard let d = peek(), d.isASCII, let digit = UInt32(String(d), radix: 16) else {
                        throw QueryFailure("invalid '\\\(e)' escape in the string at column \(escapeColumn)")
                    }
                    code = code * 16 + digit
                    index += 1
                }
                guard let scalar = Unicode.Scalar(code) else {
                    throw QueryFailure("'\\\(e)' escape at column \(escapeColumn) is not a valid code point")
                }
                value.append(scalar)
            case "N":
                throw QueryFailure("'\\N{...}' escapes are not supported (column \(escapeColumn))")
            case "\n":
                throw QueryFailure("line continuations are not allowed in strings (column \(escapeColumn))")
            default:
                // Python keeps the backslash of an unknown escape: '\%' is the two characters \ and %.
                value.append("\\")
                value.append(e)
            }
        }
        return token(.string(String(value)), start)
    }

    private mutating func symbol(_ start: Int) throws(QueryFailure) -> QueryToken {
        let c = scalars[index]
        let next = peek(1)
        let column = start + 1
        func take(_ symbol: QueryToken.Symbol, length: Int = 1) -> QueryToken {
            index += length
            return token(.symbol(symbol), start)
        }
        func reject(_ text: String, _ why: String) -> QueryFailure {
            QueryFailure("'\(text)' is not allowed at column \(column) (\(why))")
        }
        switch c {
        case "(": return take(.openParen)
        case ")": return take(.closeParen)
        case "[": return take(.openBracket)
        case "]": return take(.closeBracket)
        case ",": return take(.comma)
        case ".": return take(.dot)
        case "+": return take(.plus)
        case "-":
            if next == "-" { throw reject("--", "SQL comments are not supported; write '- -1' for a double minus") }
            return take(.minus)
        case "*":
            if next == "*" { throw reject("**", "only + - * / are supported") }
            return take(.star)
        case "/":
            if next == "/" { throw reject("//", "only + - * / are supported") }
            return take(.slash)
        case "=":
            if next == "=" { return take(.equal, length: 2) }
            throw reject("=", "use '==' to compare; assignments and keyword arguments are not supported")
        case "!":
            if next == "=" { return take(.notEqual, length: 2) }
            throw reject("!", "use 'not' for negation")
        case "<":
            if next == "=" { return take(.lessOrEqual, length: 2) }
            if next == "<" { throw reject("<<", "bitwise operators are not supported") }
            if next == ">" { throw reject("<>", "use '!='") }
            return take(.less)
        case ">":
            if next == "=" { return take(.greaterOrEqual, length: 2) }
            if next == ">" { throw reject(">>", "bitwise operators are not supported") }
            return take(.greater)
        case "%": throw reject("%", "only + - * / are supported; use like('%...') for patterns")
        case "&", "|", "^", "~": throw reject(String(c), "bitwise operators are not supported; use and/or/not")
        case "@": throw reject("@", "only + - * / are supported")
        case ":":
            if next == "=" { throw reject(":=", "assignments are not supported") }
            throw reject(":", "lambdas, slices and dictionaries are not supported")
        case ";": throw reject(";", "only a single expression is accepted")
        case "#": throw reject("#", "comments are not supported")
        case "{", "}": throw reject(String(c), "sets and dictionaries are not supported")
        case "\\": throw reject("\\", "line continuations are not supported")
        default:
            let hex = String(c.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            let shown = c.isASCII && c.value >= 0x20 && c.value < 0x7F ? "'\(c)' " : ""
            throw QueryFailure("unexpected character \(shown)(\(code)) at column \(column)")
        }
    }
}
