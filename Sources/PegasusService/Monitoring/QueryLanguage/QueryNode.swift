/// A parsed query, before SQL emission. Operator chains are flat lists, so the tree is only as deep as the
/// input's nesting (bounded by ``QueryLimits/maxDepth``).
indirect enum QueryNode: Equatable {
    /// A resolved field, as SQL (`j."exec_job_id"`).
    case field(String)
    case literal(SQLValue)
    /// A literal tuple or list; only right of `in` / `not in`.
    case sequence([SQLValue])
    /// `first (op operand)*` with operators of one precedence level.
    case arithmetic(QueryNode, [ArithmeticStep])
    /// `first (op operand)*`: one comparison, or a Python chain meaning the links joined with AND.
    case comparison(QueryNode, [ComparisonStep])
    case like(field: String, pattern: String, caseInsensitive: Bool)
    case not(QueryNode)
    case and([QueryNode])
    case or([QueryNode])

    /// True if the node contains no field and no comparison: a literal or constant arithmetic, which is not a
    /// condition.
    var isConstant: Bool {
        switch self {
        case .literal, .sequence: true
        case .arithmetic(let first, let steps): first.isConstant && steps.allSatisfy(\.operand.isConstant)
        case .field, .comparison, .like, .not, .and, .or: false
        }
    }
}
