struct ComparisonStep: Equatable {
    let op: ComparisonOperator
    let operand: QueryNode
}
