/// The `query=` and `order=` languages of the monitoring REST API, compiled to parameterised SQLite SQL.
///
/// Pegasus parses `query=` as a Python expression with `ast` and evaluates it against SQLAlchemy objects;
/// 5.1.3 allowed any attribute, subscript and call, which is a remote code execution
/// (`wm.__init__.__globals__['__builtins__']['__import__']('os').system('id')`). This is a closed
/// reimplementation: a small tokenizer and recursive-descent parser accept exactly the language below,
/// and every literal value leaves as a bound argument (`?`), never inlined into the SQL.
///
/// **Query syntax** (Python expression syntax, a strict subset):
/// - Fields: `prefix.column`, where `prefix` is one of the ``QueryScope``'s resources (`j`, `w`, ...) and
///   `column` is in that resource's column set. The only other names are `None`, `True` and `False`.
///   Names starting with `_` are always rejected.
/// - Literals: integers (decimal, `0x`, `0o`, `0b`, `_` separators), floats (`1.5`, `.5`, `1e3`), a
///   leading `-`/`+` on a number, strings in `'...'` or `"..."` with Python escapes (`\\ \' \" \n \t \r
///   \a \b \f \v \ooo \xhh \uXXXX \UXXXXXXXX`; like Python, an unknown escape such as `\%` keeps its
///   backslash), `None`, `True` (bound as 1), `False` (bound as 0).
/// - Tuples `(1, 2)` / `(1,)` and lists `[1, 2]` of literals, only right of `in` / `not in`.
/// - Comparisons `== != < <= > >=`, `in`, `not in`, `is None`, `is not None`. A chain (`1 < j.x < 5`) means
///   the links joined with AND, as in Python.
/// - Arithmetic `+ - * /` between fields and literals (SQLite semantics: `5 / 2` is 2, `x / 0` is NULL).
/// - `and`, `or`, `not`, parentheses; Python precedence.
/// - `field.like('pattern')` and `field.ilike('pattern')`, with exactly one string literal argument.
///
/// Everything else is an error: other calls, attributes and names, subscripts, lambdas, keyword arguments,
/// string prefixes (`f'...'`, `b'...'`, `r'...'`), `**`, `//`, `%`, bitwise operators, `:=`, `;`, `#` and
/// `--` comments. Inputs are limited to 4 KiB (UTF-8), 1,000 tokens and 64 nested levels (`(`, `[` and
/// `not`), which keeps the parser's recursion shallow whatever the input.
///
/// **Semantics** (SQLAlchemy on SQLite):
/// - `x == None` and `x is None` become `x IS NULL`; `x != None` and `x is not None` become `x IS NOT NULL`.
/// - `x in ()` is `0` (false), `x not in ()` is `1` (true).
/// - `x.like(p)` is `x LIKE ? ESCAPE '\'`: `%` and `_` are wildcards, `\%`, `\_` and `\\` match a literal
///   character. As SQLite's `LIKE` is case-insensitive for ASCII, so is `like` (as with SQLAlchemy on
///   SQLite); `x.ilike(p)` is `lower(x) LIKE lower(?) ESCAPE '\'`, case-insensitive for all of Unicode that
///   SQLite's `lower` knows (ASCII without ICU).
/// - A field on its own is a truth test: `j.clustered` is `(j."clustered")`. A literal on its own (`1`,
///   `True`) is not a condition and is rejected.
///
/// **Order syntax**: a comma list of `[+|-]prefix.column` (`+` or nothing: ascending; `-`: descending),
/// whitespace allowed around items. Empty items, bare columns without a prefix, unknown prefixes and
/// unknown columns are errors (Pegasus answers a bare column with a 500; we answer INVALID_ORDER).
///
/// Empty `query=`/`order=` parameters mean "no filter"/"no ordering" in Pegasus; callers should skip them
/// rather than compile them (compiling an empty text is an error).
public enum QueryLanguage {
    /// Compiles a `query=` expression to the body of a WHERE clause, e.g. `(j."exec_job_id" LIKE ? ESCAPE '\')`.
    /// - Throws: ``QueryError`` with code ``QueryError/invalidQuery`` and a message
    ///   `Invalid query: <reason> ... at column <n>` (columns count Unicode scalars from 1).
    public static func compile(_ text: String, scope: QueryScope) throws(QueryError) -> SQLFragment {
        try compile(text, scope: scope, limits: .standard)
    }

    /// Compiles an `order=` list to the body of an ORDER BY clause, e.g. `w."wf_id" DESC, j."job_id" ASC`.
    /// - Throws: ``QueryError`` with code ``QueryError/invalidOrder`` and a message `Invalid order: <reason>`
    ///   naming the offending item.
    public static func compileOrder(_ text: String, scope: QueryScope) throws(QueryError) -> String {
        try compileOrder(text, scope: scope, limits: .standard)
    }

    static func compile(_ text: String, scope: QueryScope, limits: QueryLimits) throws(QueryError) -> SQLFragment {
        do {
            try limits.checkLength(of: text, what: "query")
            var parser = QueryParser(text, scope: scope, limits: limits)
            let node = try parser.parseQuery()
            var writer = QuerySQLWriter()
            writer.writeCondition(node)
            return SQLFragment(sql: writer.sql, arguments: writer.arguments)
        } catch {
            throw QueryError(code: QueryError.invalidQuery, message: "Invalid query: \(error.detail)")
        }
    }

    static func compileOrder(_ text: String, scope: QueryScope, limits: QueryLimits) throws(QueryError) -> String {
        do {
            try limits.checkLength(of: text, what: "order")
            var parser = OrderParser(text, scope: scope, limits: limits)
            return try parser.parseOrder()
        } catch {
            throw QueryError(code: QueryError.invalidOrder, message: "Invalid order: \(error.detail)")
        }
    }
}

// MARK: - Public values

/// A compiled condition: SQL with `?` placeholders and the values to bind to them, in order.
public struct SQLFragment: Sendable, Equatable {
    /// SQL text; literal values appear only as `?`.
    public var sql: String
    /// One value per `?` in ``sql``, in order of appearance.
    public var arguments: [SQLValue]

    public init(sql: String, arguments: [SQLValue]) {
        self.sql = sql
        self.arguments = arguments
    }
}

/// One queryable resource of a route: the prefix users write (`j`), the SQL table alias it stands for, and
/// the columns that may be named.
public struct QueryResource: Sendable {
    /// What users write before the dot, e.g. `j` in `j.exec_job_id`.
    public let prefix: String
    /// The table or alias in the caller's SQL; emitted verbatim (it comes from code, never from users).
    public let sqlAlias: String
    /// The columns users may name. Columns are emitted double-quoted (`j."type"`), so SQL keywords are fine.
    public let columns: Set<String>

    public init(prefix: String, sqlAlias: String, columns: Set<String>) {
        self.prefix = prefix
        self.sqlAlias = sqlAlias
        self.columns = columns
    }
}

/// The resources a route allows in `query=` and `order=`. Fields resolve to `<sqlAlias>."<column>"`.
public struct QueryScope: Sendable {
    private let resources: [String: QueryResource]

    /// When two resources share a prefix, the first wins.
    public init(_ resources: [QueryResource]) {
        self.resources = Dictionary(resources.map { ($0.prefix, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The allowed prefixes, sorted.
    public var prefixes: [String] { resources.keys.sorted() }

    func resource(_ prefix: String) -> QueryResource? { resources[prefix] }

    /// The SQL for a field, e.g. `j."exec_job_id"`; nil if the prefix or the column is not allowed.
    func sql(prefix: String, column: String) -> String? {
        guard let resource = resources[prefix], resource.columns.contains(column) else { return nil }
        return "\(resource.sqlAlias).\"\(column)\""
    }

    /// A prefix whose resource has `column`, to suggest for a bare column.
    func prefix(having column: String) -> String? {
        prefixes.first { resources[$0]?.columns.contains(column) == true }
    }
}

/// A rejected `query=` or `order=`; maps to HTTP 400 with `{"code", "message"}`.
public struct QueryError: Error, Sendable, Equatable {
    /// The code of a rejected `query=`.
    public static let invalidQuery = "INVALID_QUERY"
    /// The code of a rejected `order=`.
    public static let invalidOrder = "INVALID_ORDER"

    /// ``invalidQuery`` or ``invalidOrder``.
    public let code: String
    /// `Invalid query: ...` / `Invalid order: ...`, naming the offending token and its column.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

// MARK: - Limits and failures

/// Input limits; ``standard`` is what the API uses (tests may raise them to reach the other limits).
struct QueryLimits: Sendable {
    var maxBytes = 4096
    var maxTokens = 1000
    var maxDepth = 64

    static let standard = QueryLimits()

    func checkLength(of text: String, what: String) throws(QueryFailure) {
        let bytes = text.utf8.count
        if bytes > maxBytes {
            throw QueryFailure("the \(what) is too long (\(bytes) bytes; at most \(maxBytes) are allowed)")
        }
    }
}

/// Why a text was rejected, without the `Invalid query:` / `Invalid order:` prefix.
struct QueryFailure: Error {
    let detail: String

    init(_ detail: String) { self.detail = detail }
}

// MARK: - Tokens

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

// MARK: - Syntax tree

/// A parsed query, before SQL emission. Operator chains are flat lists, so the tree is only as deep as the
/// input's nesting (bounded by ``QueryLimits/maxDepth``).
indirect enum QueryNode: Equatable {
    /// A resolved field, as SQL (`j."exec_job_id"`).
    case field(String)
    case literal(SQLValue)
    /// A literal tuple or list; only right of `in` / `not in`.
    case sequence([SQLValue])
    /// `first (op operand)*` with operators of one precedence level.
    case arithmetic(QueryNode, [ArithmeticStep])
    /// `first (op operand)*`: one comparison, or a Python chain meaning the links joined with AND.
    case comparison(QueryNode, [ComparisonStep])
    case like(field: String, pattern: String, caseInsensitive: Bool)
    case not(QueryNode)
    case and([QueryNode])
    case or([QueryNode])

    /// True if the node contains no field and no comparison: a literal or constant arithmetic, which is not a
    /// condition.
    var isConstant: Bool {
        switch self {
        case .literal, .sequence: true
        case .arithmetic(let first, let steps): first.isConstant && steps.allSatisfy(\.operand.isConstant)
        case .field, .comparison, .like, .not, .and, .or: false
        }
    }
}

enum ArithmeticOperator: String, Equatable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
}

struct ArithmeticStep: Equatable {
    let op: ArithmeticOperator
    let operand: QueryNode
}

enum ComparisonOperator: String, Equatable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case isNull = "IS", isNotNull = "IS NOT", `in` = "IN", notIn = "NOT IN"
}

struct ComparisonStep: Equatable {
    let op: ComparisonOperator
    let operand: QueryNode
}

// MARK: - Query parser

/// Recursive-descent parser for the query language, following Python's precedence:
/// ```
/// query      := or END
/// or         := and ('or' and)*
/// and        := not ('and' not)*
/// not        := 'not' not | comparison
/// comparison := sum (compare-op sum | ['not'] 'in' sequence | 'is' ['not'] 'None')*
/// sum        := term (('+' | '-') term)*
/// term       := factor (('*' | '/') factor)*
/// factor     := ('+' | '-')+ NUMBER | primary
/// primary    := NUMBER | STRING | 'None' | 'True' | 'False' | '(' or ')'
///             | prefix '.' column ['.' ('like' | 'ilike') '(' STRING ')']
/// sequence   := '(' [literal (',' literal)* [',']] ')' | '[' ... ']'
/// ```
struct QueryParser {
    private var tokenizer: QueryTokenizer
    private var lookahead: [QueryToken] = []
    private let scope: QueryScope
    private let maxDepth: Int
    private var depth = 0

    private static let pythonKeywords: Set<String> = [
        "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except",
        "finally", "for", "from", "global", "if", "import", "lambda", "nonlocal", "pass", "raise", "return", "try",
        "while", "with", "yield",
    ]

    init(_ text: String, scope: QueryScope, limits: QueryLimits) {
        self.tokenizer = QueryTokenizer(text, maxTokens: limits.maxTokens)
        self.scope = scope
        self.maxDepth = limits.maxDepth
    }

    mutating func parseQuery() throws(QueryFailure) -> QueryNode {
        let first = try peek()
        if first.isEnd { throw QueryFailure("the query is empty") }
        let node = try parseOr()
        try requireCondition(node, at: first)
        let last = try advance()
        guard last.isEnd else {
            if last.isSymbol(.comma) {
                throw QueryFailure(
                    "',' at column \(last.column) is not allowed here (tuples and lists may only follow 'in' / 'not in')"
                )
            }
            throw unexpected(last)
        }
        return node
    }

    // MARK: Token access

    private mutating func peek(_ offset: Int = 0) throws(QueryFailure) -> QueryToken {
        while lookahead.count <= offset { lookahead.append(try tokenizer.next()) }
        return lookahead[offset]
    }

    @discardableResult
    private mutating func advance() throws(QueryFailure) -> QueryToken {
        let token = try peek()
        lookahead.removeFirst()
        return token
    }

    private func unexpected(_ token: QueryToken, expecting: String? = nil) -> QueryFailure {
        let suffix = expecting.map { " (expected \($0))" } ?? ""
        return token.isEnd
            ? QueryFailure("unexpected end of query\(suffix)")
            : QueryFailure("unexpected \(token.located)\(suffix)")
    }

    private mutating func enterNesting(_ token: QueryToken) throws(QueryFailure) {
        depth += 1
        if depth > maxDepth {
            throw QueryFailure("the query is nested deeper than \(maxDepth) levels (at column \(token.column))")
        }
    }

    private func requireCondition(_ node: QueryNode, at token: QueryToken) throws(QueryFailure) {
        if node.isConstant {
            throw QueryFailure(
                "a literal is not a condition (\(token.located)); compare a field, e.g. 'j.job_id == 1'")
        }
    }

    // MARK: Boolean level

    private mutating func parseOr() throws(QueryFailure) -> QueryNode {
        let first = try peek()
        var operands = [try parseAnd()]
        while try peek().isName("or") {
            try advance()
            let start = try peek()
            operands.append(try parseAnd())
            try requireCondition(operands[operands.count - 1], at: start)
        }
        if operands.count == 1 { return operands[0] }
        try requireCondition(operands[0], at: first)
        return .or(operands)
    }

    private mutating func parseAnd() throws(QueryFailure) -> QueryNode {
        let first = try peek()
        var operands = [try parseNot()]
        while try peek().isName("and") {
            try advance()
            let start = try peek()
            operands.append(try parseNot())
            try requireCondition(operands[operands.count - 1], at: start)
        }
        if operands.count == 1 { return operands[0] }
        try requireCondition(operands[0], at: first)
        return .and(operands)
    }

    private mutating func parseNot() throws(QueryFailure) -> QueryNode {
        let token = try peek()
        guard token.isName("not") else { return try parseComparison() }
        try advance()
        try enterNesting(token)
        defer { depth -= 1 }
        let start = try peek()
        let operand = try parseNot()
        try requireCondition(operand, at: start)
        return .not(operand)
    }

    // MARK: Comparisons

    private mutating func parseComparison() throws(QueryFailure) -> QueryNode {
        let first = try parseSum()
        var steps: [ComparisonStep] = []
        while true {
            let token = try peek()
            let op: ComparisonOperator
            let operand: QueryNode
            switch token.kind {
            case .symbol(.equal): op = .equal
            case .symbol(.notEqual): op = .notEqual
            case .symbol(.less): op = .less
            case .symbol(.lessOrEqual): op = .lessOrEqual
            case .symbol(.greater): op = .greater
            case .symbol(.greaterOrEqual): op = .greaterOrEqual
            case .name("in"):
                try advance()
                steps.append(ComparisonStep(op: .in, operand: try parseSequence(after: token)))
                continue
            case .name("not") where try peek(1).isName("in"):
                try advance()
                try advance()
                steps.append(ComparisonStep(op: .notIn, operand: try parseSequence(after: token)))
                continue
            case .name("is"):
                try advance()
                var negated = false
                if try peek().isName("not") {
                    try advance()
                    negated = true
                }
                let none = try advance()
                guard none.isName("None") else {
                    throw QueryFailure(
                        "'is' / 'is not' may only be followed by None (got \(none.located)); use '==' to compare values"
                    )
                }
                try rejectPostfix()
                steps.append(ComparisonStep(op: negated ? .isNotNull : .isNull, operand: .literal(.null)))
                continue
            default:
                return steps.isEmpty ? first : .comparison(first, steps)
            }
            try advance()
            operand = try parseSum()
            steps.append(ComparisonStep(op: op, operand: operand))
        }
    }

    /// The tuple or list right of `in` / `not in`; only literals inside.
    private mutating func parseSequence(after operatorToken: QueryToken) throws(QueryFailure) -> QueryNode {
        let open = try advance()
        let close: QueryToken.Symbol
        switch open.kind {
        case .symbol(.openParen): close = .closeParen
        case .symbol(.openBracket): close = .closeBracket
        default:
            throw QueryFailure(
                "'in' must be followed by a tuple or list of literals such as (1, 2) (got \(open.located))")
        }
        try enterNesting(open)
        defer { depth -= 1 }
        var values: [SQLValue] = []
        var sawComma = false
        while true {
            if try peek().isSymbol(close) {
                try advance()
                break
            }
            values.append(try parseSequenceValue())
            let next = try advance()
            if next.isSymbol(close) { break }
            guard next.isSymbol(.comma) else { throw unexpected(next, expecting: "',' or '\(close.rawValue)'") }
            sawComma = true
        }
        if close == .closeParen, values.count == 1, !sawComma {
            throw QueryFailure(
                "'in' needs a tuple or list (at column \(open.column)); write (x,) or [x] for a single value")
        }
        if let next = try comparisonOperator() {
            throw QueryFailure(
                "a tuple or list may only be the right-hand side of 'in' / 'not in' (\(next.located) follows it)")
        }
        return .sequence(values)
    }

    private mutating func comparisonOperator() throws(QueryFailure) -> QueryToken? {
        let token = try peek()
        switch token.kind {
        case .symbol(.equal), .symbol(.notEqual), .symbol(.less), .symbol(.lessOrEqual), .symbol(.greater),
            .symbol(.greaterOrEqual), .name("in"), .name("is"):
            return token
        case .name("not") where try peek(1).isName("in"):
            return token
        default:
            return nil
        }
    }

    private mutating func parseSequenceValue() throws(QueryFailure) -> SQLValue {
        let token = try peek()
        let node: QueryNode
        switch token.kind {
        case .integer, .float, .string, .name("None"), .name("True"), .name("False"), .symbol(.plus),
            .symbol(.minus):
            node = try parseFactor()
        default:
            throw QueryFailure("only literal values are allowed in an 'in' list (got \(token.located))")
        }
        guard case .literal(let value) = node else {
            throw QueryFailure("only literal values are allowed in an 'in' list (got \(token.located))")
        }
        return value
    }

    // MARK: Arithmetic

    private mutating func parseSum() throws(QueryFailure) -> QueryNode {
        let first = try parseTerm()
        var steps: [ArithmeticStep] = []
        while true {
            let op: ArithmeticOperator
            switch try peek().kind {
            case .symbol(.plus): op = .add
            case .symbol(.minus): op = .subtract
            default: return steps.isEmpty ? first : .arithmetic(first, steps)
            }
            try advance()
            steps.append(ArithmeticStep(op: op, operand: try parseTerm()))
        }
    }

    private mutating func parseTerm() throws(QueryFailure) -> QueryNode {
        let first = try parseFactor()
        var steps: [ArithmeticStep] = []
        while true {
            let op: ArithmeticOperator
            switch try peek().kind {
            case .symbol(.star): op = .multiply
            case .symbol(.slash): op = .divide
            default: return steps.isEmpty ? first : .arithmetic(first, steps)
            }
            try advance()
            steps.append(ArithmeticStep(op: op, operand: try parseFactor()))
        }
    }

    /// A signed number or a primary. Signs apply to number literals only.
    private mutating func parseFactor() throws(QueryFailure) -> QueryNode {
        var negative = false
        var sign: QueryToken?
        while true {
            let token = try peek()
            if token.isSymbol(.minus) {
                negative.toggle()
            } else if !token.isSymbol(.plus) {
                break
            }
            sign = sign ?? token
            try advance()
        }
        guard let sign else { return try parsePrimary() }
        let token = try advance()
        let node: QueryNode
        switch token.kind {
        case .integer(let magnitude):
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { throw tooLarge(token) }
                node = .literal(.int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)))
            } else {
                guard magnitude <= UInt64(Int64.max) else { throw tooLarge(token) }
                node = .literal(.int(Int64(magnitude)))
            }
        case .float(let value):
            node = .literal(.double(negative ? -value : value))
        default:
            throw QueryFailure(
                "a sign ('\(sign.text)' at column \(sign.column)) may only precede a number (got \(token.located))")
        }
        try rejectPostfix()
        return node
    }

    private func tooLarge(_ token: QueryToken) -> QueryFailure {
        QueryFailure("integer \(token.located) does not fit in 64 bits")
    }

    // MARK: Primaries

    private mutating func parsePrimary() throws(QueryFailure) -> QueryNode {
        let token = try advance()
        let node: QueryNode
        switch token.kind {
        case .integer(let magnitude):
            guard magnitude <= UInt64(Int64.max) else { throw tooLarge(token) }
            node = .literal(.int(Int64(magnitude)))
        case .float(let value):
            node = .literal(.double(value))
        case .string(let value):
            node = .literal(.text(value))
        case .name(let name):
            node = try parseName(name, token)
        case .symbol(.openParen):
            try enterNesting(token)
            defer { depth -= 1 }
            if try peek().isSymbol(.closeParen) {
                throw QueryFailure(
                    "empty parentheses at column \(token.column) are not allowed (tuples may only follow 'in')")
            }
            node = try parseOr()
            let close = try advance()
            if close.isSymbol(.comma) {
                throw QueryFailure(
                    "tuples may only follow 'in' / 'not in' (',' at column \(close.column) inside the parentheses "
                        + "opened at column \(token.column))")
            }
            guard close.isSymbol(.closeParen) else { throw unexpected(close, expecting: "')'") }
        case .symbol(.openBracket):
            throw QueryFailure("lists may only follow 'in' / 'not in' ('[' at column \(token.column))")
        default:
            throw unexpected(token, expecting: "a field or a value")
        }
        try rejectPostfix()
        return node
    }

    /// `None`, `True`, `False`, or a field with an optional `.like(...)` / `.ilike(...)`.
    private mutating func parseName(_ name: String, _ token: QueryToken) throws(QueryFailure) -> QueryNode {
        try rejectPrivate(name, token)
        switch name {
        case "None": return .literal(.null)
        case "True": return .literal(.int(1))
        case "False": return .literal(.int(0))
        case "and", "or", "not", "in", "is": throw unexpected(token, expecting: "a field or a value")
        default: break
        }
        if Self.pythonKeywords.contains(name) {
            throw QueryFailure("'\(name)' is not allowed (at column \(token.column))")
        }
        let next = try peek()
        if next.isSymbol(.openParen) {
            throw QueryFailure(
                "function calls other than like/ilike are not allowed ('\(name)' at column \(token.column))")
        }
        guard next.isSymbol(.dot) else {
            if scope.resource(name) != nil {
                throw QueryFailure("expected '.column' after the resource prefix '\(name)' at column \(token.column)")
            }
            throw QueryFailure(
                "unknown name '\(name)' at column \(token.column) (fields are written prefix.column, e.g. "
                    + "'j.exec_job_id'; the only other names are None, True and False)")
        }
        guard scope.resource(name) != nil else {
            throw QueryFailure(
                "unknown resource prefix '\(name)' at column \(token.column) (allowed here: "
                    + "\(scope.prefixes.joined(separator: ", ")))")
        }
        try advance()
        let columnToken = try advance()
        guard case .name(let column) = columnToken.kind else {
            throw QueryFailure("expected a column name after '\(name).' (got \(columnToken.located))")
        }
        try rejectPrivate(column, columnToken)
        guard let field = scope.sql(prefix: name, column: column) else {
            throw QueryFailure("unknown field '\(name).\(column)' at column \(token.column)")
        }
        guard try peek().isSymbol(.dot) else { return .field(field) }
        try advance()
        let method = try advance()
        guard case .name(let methodName) = method.kind else {
            throw QueryFailure("expected a method name after '\(name).\(column).' (got \(method.located))")
        }
        try rejectPrivate(methodName, method)
        let isCall = try peek().isSymbol(.openParen)
        guard methodName == "like" || methodName == "ilike" else {
            if isCall {
                throw QueryFailure(
                    "function calls other than like/ilike are not allowed ('\(methodName)' at column \(method.column))")
            }
            throw QueryFailure(
                "attribute access is not allowed ('\(name).\(column).\(methodName)' at column \(method.column))")
        }
        guard isCall else {
            throw QueryFailure(
                "'\(methodName)' at column \(method.column) must be called with a pattern, e.g. "
                    + "\(name).\(column).\(methodName)('%x%')")
        }
        try advance()
        let argument = try advance()
        guard case .string(let pattern) = argument.kind else {
            if argument.isSymbol(.closeParen) {
                throw QueryFailure("\(methodName)() at column \(method.column) needs one string literal argument")
            }
            throw QueryFailure(
                "\(methodName)() takes one string literal argument (got \(argument.located))")
        }
        let close = try advance()
        guard close.isSymbol(.closeParen) else {
            if close.isSymbol(.comma) {
                throw QueryFailure(
                    "\(methodName)() takes exactly one argument; further and keyword arguments such as escape= "
                        + "are not allowed (',' at column \(close.column))")
            }
            throw unexpected(close, expecting: "')'")
        }
        return .like(field: field, pattern: pattern, caseInsensitive: methodName == "ilike")
    }

    private func rejectPrivate(_ name: String, _ token: QueryToken) throws(QueryFailure) {
        if name.hasPrefix("_") {
            throw QueryFailure("names starting with '_' are not allowed ('\(name)' at column \(token.column))")
        }
    }

    /// Rejects a call, subscript or attribute after a complete primary.
    private mutating func rejectPostfix() throws(QueryFailure) {
        let next = try peek()
        switch next.kind {
        case .symbol(.openParen):
            throw QueryFailure("function calls other than like/ilike are not allowed ('(' at column \(next.column))")
        case .symbol(.openBracket):
            throw QueryFailure("subscripts are not allowed ('[' at column \(next.column))")
        case .symbol(.dot):
            let attribute = try peek(1)
            if case .name(let name) = attribute.kind {
                try rejectPrivate(name, attribute)
                throw QueryFailure("attribute access is not allowed ('.\(name)' at column \(next.column))")
            }
            throw QueryFailure("attribute access is not allowed ('.' at column \(next.column))")
        case .integer, .float, .string, .name("None"), .name("True"), .name("False"):
            throw unexpected(next, expecting: "an operator")
        default:
            return
        }
    }
}

// MARK: - SQL emission

/// Writes a ``QueryNode`` as SQLite SQL. Every compound node is parenthesised, so SQL precedence never
/// differs from the query's; literal values become `?` with the value appended to ``arguments``.
struct QuerySQLWriter {
    private(set) var sql = ""
    private(set) var arguments: [SQLValue] = []

    /// Writes a node in a boolean position: a bare field becomes a truth test `(field)`.
    mutating func writeCondition(_ node: QueryNode) {
        if case .field(let field) = node {
            sql += "(\(field))"
        } else {
            write(node)
        }
    }

    mutating func write(_ node: QueryNode) {
        switch node {
        case .field(let field):
            sql += field
        case .literal(let value):
            bind(value)
        case .sequence(let values):
            // Only reached through `in`; kept total for safety.
            sql += "("
            bindList(values)
            sql += ")"
        case .arithmetic(let first, let steps):
            sql += "("
            write(first)
            for step in steps {
                sql += " \(step.op.rawValue) "
                write(step.operand)
            }
            sql += ")"
        case .comparison(let first, let steps):
            if steps.count == 1 {
                writeComparison(first, steps[0])
            } else {
                sql += "("
                var left = first
                for (index, step) in steps.enumerated() {
                    if index > 0 { sql += " AND " }
                    writeComparison(left, step)
                    left = step.operand
                }
                sql += ")"
            }
        case .like(let field, let pattern, let caseInsensitive):
            if caseInsensitive {
                sql += "(lower(\(field)) LIKE lower(?) ESCAPE '\\')"
            } else {
                sql += "(\(field) LIKE ? ESCAPE '\\')"
            }
            arguments.append(.text(pattern))
        case .not(let operand):
            sql += "(NOT "
            writeCondition(operand)
            sql += ")"
        case .and(let operands):
            writeJoined(operands, " AND ")
        case .or(let operands):
            writeJoined(operands, " OR ")
        }
    }

    private mutating func writeJoined(_ operands: [QueryNode], _ separator: String) {
        sql += "("
        for (index, operand) in operands.enumerated() {
            if index > 0 { sql += separator }
            writeCondition(operand)
        }
        sql += ")"
    }

    private mutating func writeComparison(_ left: QueryNode, _ step: ComparisonStep) {
        let right = step.operand
        switch step.op {
        case .isNull, .isNotNull:
            writeNullTest(left, negated: step.op == .isNotNull)
        case .equal, .notEqual:
            if right == .literal(.null) {
                writeNullTest(left, negated: step.op == .notEqual)
            } else if left == .literal(.null) {
                writeNullTest(right, negated: step.op == .notEqual)
            } else {
                writeBinary(left, step.op.rawValue, right)
            }
        case .in, .notIn:
            guard case .sequence(let values) = right else {
                writeBinary(left, step.op.rawValue, right)  // unreachable: the parser only puts sequences here
                return
            }
            if values.isEmpty {
                sql += step.op == .in ? "0" : "1"
                return
            }
            sql += "("
            write(left)
            sql += " \(step.op.rawValue) ("
            bindList(values)
            sql += "))"
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            writeBinary(left, step.op.rawValue, right)
        }
    }

    private mutating func writeNullTest(_ operand: QueryNode, negated: Bool) {
        sql += "("
        write(operand)
        sql += negated ? " IS NOT NULL)" : " IS NULL)"
    }

    private mutating func writeBinary(_ left: QueryNode, _ op: String, _ right: QueryNode) {
        sql += "("
        write(left)
        sql += " \(op) "
        write(right)
        sql += ")"
    }

    private mutating func bind(_ value: SQLValue) {
        sql += "?"
        arguments.append(value)
    }

    private mutating func bindList(_ values: [SQLValue]) {
        for (index, value) in values.enumerated() {
            if index > 0 { sql += ", " }
            bind(value)
        }
    }
}

// MARK: - Order parser

/// Parses `[+|-]prefix.column (, [+|-]prefix.column)*` into an ORDER BY body.
struct OrderParser {
    private var tokenizer: QueryTokenizer
    private let scope: QueryScope

    init(_ text: String, scope: QueryScope, limits: QueryLimits) {
        self.tokenizer = QueryTokenizer(text, maxTokens: limits.maxTokens)
        self.scope = scope
    }

    mutating func parseOrder() throws(QueryFailure) -> String {
        var terms: [String] = []
        while true {
            var token = try tokenizer.next()
            let start = token.column
            var sign = ""
            if token.isSymbol(.plus) || token.isSymbol(.minus) {
                sign = token.text
                token = try tokenizer.next()
            }
            if token.isEnd || token.isSymbol(.comma) {
                if terms.isEmpty, sign.isEmpty, token.isEnd { throw QueryFailure("the order is empty") }
                throw QueryFailure("empty item at column \(start) (write [+|-]prefix.column, e.g. '-w.wf_id')")
            }
            guard case .name(let prefix) = token.kind else {
                throw QueryFailure("expected [+|-]prefix.column, got \(token.located)")
            }
            var next = try tokenizer.next()
            guard next.isSymbol(.dot) else {
                let example = scope.prefix(having: prefix).map { "'\($0).\(prefix)'" } ?? "'w.wf_id'"
                throw QueryFailure(
                    "'\(sign)\(prefix)' at column \(start) needs a resource prefix (write prefix.column, e.g. \(example))"
                )
            }
            let columnToken = try tokenizer.next()
            guard case .name(let column) = columnToken.kind else {
                throw QueryFailure("expected a column name after '\(sign)\(prefix).' (got \(columnToken.located))")
            }
            let item = "\(sign)\(prefix).\(column)"
            guard let field = scope.sql(prefix: prefix, column: column) else {
                if scope.resource(prefix) == nil {
                    throw QueryFailure(
                        "unknown resource prefix '\(prefix)' in '\(item)' at column \(start) (allowed here: "
                            + "\(scope.prefixes.joined(separator: ", ")))")
                }
                throw QueryFailure("unknown field '\(prefix).\(column)' in '\(item)' at column \(start)")
            }
            terms.append("\(field) \(sign == "-" ? "DESC" : "ASC")")
            next = try tokenizer.next()
            if next.isEnd { return terms.joined(separator: ", ") }
            guard next.isSymbol(.comma) else {
                throw QueryFailure("unexpected \(next.located) after '\(item)' (expected ',' or the end)")
            }
        }
    }
}
