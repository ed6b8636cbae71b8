extension QueryParser {
    mutating func parsePrimary() throws(QueryFailure) -> QueryNode {
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
    mutating func rejectPostfix() throws(QueryFailure) {
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
