extension QueryParser {
    mutating func parseComparison() throws(QueryFailure) -> QueryNode {
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
}
