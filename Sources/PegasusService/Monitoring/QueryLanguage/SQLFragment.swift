/// A compiled condition: SQL with `?` placeholders and the values to bind to them, in order.
public struct SQLFragment: Sendable, Equatable {
    /// SQL text; literal values appear only as `?`.
    public var sql: String
    /// One value per `?` in ``sql``, in order of appearance.
    public var arguments: [SQLValue]

    public init(sql: String, arguments: [SQLValue]) {
        self.sql = sql
        self.arguments = arguments
    }
}
