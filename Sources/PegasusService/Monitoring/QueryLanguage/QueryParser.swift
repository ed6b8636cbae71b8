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
    let scope: QueryScope
    private let maxDepth: Int
    var depth = 0

    static let pythonKeywords: Set<String> = [
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

    mutating func peek(_ offset: Int = 0) throws(QueryFailure) -> QueryToken {
        while lookahead.count <= offset { lookahead.append(try tokenizer.next()) }
        return lookahead[offset]
    }

    @discardableResult
    mutating func advance() throws(QueryFailure) -> QueryToken {
        let token = try peek()
        lookahead.removeFirst()
        return token
    }

    func unexpected(_ token: QueryToken, expecting: String? = nil) -> QueryFailure {
        let suffix = expecting.map { " (expected \($0))" } ?? ""
        return token.isEnd
            ? QueryFailure("unexpected end of query\(suffix)")
            : QueryFailure("unexpected \(token.located)\(suffix)")
    }

    mutating func enterNesting(_ token: QueryToken) throws(QueryFailure) {
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

    mutating func parseOr() throws(QueryFailure) -> QueryNode {
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
}
