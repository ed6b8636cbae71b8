struct ArithmeticStep: Equatable {
    let op: ArithmeticOperator
    let operand: QueryNode
}
