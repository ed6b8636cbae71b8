/// One token of the query or order language, with its 1-based column (in Unicode scalars).
struct QueryToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case name(String)
        /// The magnitude of an integer literal; the sign is a separate token.
        case integer(UInt64)
        case float(Double)
        case string(String)
        case symbol(Symbol)
        case end
    }

    enum Symbol: String, Sendable {
        case openParen = "(", closeParen = ")", openBracket = "[", closeBracket = "]"
        case comma = ",", dot = "."
        case plus = "+", minus = "-", star = "*", slash = "/"
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    let kind: Kind
    let column: Int
    /// The source text, shortened for messages.
    let text: String

    func isSymbol(_ symbol: Symbol) -> Bool { kind == .symbol(symbol) }

    func isName(_ name: String) -> Bool { kind == .name(name) }

    var isEnd: Bool { kind == .end }

    /// `'text' at column n`, or `end of input`.
    var located: String { isEnd ? "end of input" : "'\(text)' at column \(column)" }
}
