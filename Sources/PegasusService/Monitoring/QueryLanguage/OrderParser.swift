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
