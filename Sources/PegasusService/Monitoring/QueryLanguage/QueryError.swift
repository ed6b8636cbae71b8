/// A rejected `query=` or `order=`; maps to HTTP 400 with `{"code", "message"}`.
public struct QueryError: Error, Sendable, Equatable {
    /// The code of a rejected `query=`.
    public static let invalidQuery = "INVALID_QUERY"
    /// The code of a rejected `order=`.
    public static let invalidOrder = "INVALID_ORDER"

    /// ``invalidQuery`` or ``invalidOrder``.
    public let code: String
    /// `Invalid query: ...` / `Invalid order: ...`, naming the offending token and its column.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
