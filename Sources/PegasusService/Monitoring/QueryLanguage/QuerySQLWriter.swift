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
