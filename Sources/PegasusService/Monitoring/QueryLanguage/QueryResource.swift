/// One queryable resource of a route: the prefix users write (`j`), the SQL table alias it stands for, and
/// the columns that may be named.
public struct QueryResource: Sendable {
    /// What users write before the dot, e.g. `j` in `j.exec_job_id`.
    public let prefix: String
    /// The table or alias in the caller's SQL; emitted verbatim (it comes from code, never from users).
    public let sqlAlias: String
    /// The columns users may name. Columns are emitted double-quoted (`j."type"`), so SQL keywords are fine.
    public let columns: Set<String>

    public init(prefix: String, sqlAlias: String, columns: Set<String>) {
        self.prefix = prefix
        self.sqlAlias = sqlAlias
        self.columns = columns
    }
}
