enum ArithmeticOperator: String, Equatable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
}
