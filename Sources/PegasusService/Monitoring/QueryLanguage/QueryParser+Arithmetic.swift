extension QueryParser {
    mutating func parseSum() throws(QueryFailure) -> QueryNode {
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
    mutating func parseFactor() throws(QueryFailure) -> QueryNode {
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

    func tooLarge(_ token: QueryToken) -> QueryFailure {
        QueryFailure("integer \(token.located) does not fit in 64 bits")
    }
}
