enum ComparisonOperator: String, Equatable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case isNull = "IS", isNotNull = "IS NOT", `in` = "IN", notIn = "NOT IN"
}
