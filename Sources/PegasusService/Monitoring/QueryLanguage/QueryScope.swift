/// The resources a route allows in `query=` and `order=`. Fields resolve to `<sqlAlias>."<column>"`.
public struct QueryScope: Sendable {
    private let resources: [String: QueryResource]

    /// When two resources share a prefix, the first wins.
    public init(_ resources: [QueryResource]) {
        self.resources = Dictionary(resources.map { ($0.prefix, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The allowed prefixes, sorted.
    public var prefixes: [String] { resources.keys.sorted() }

    func resource(_ prefix: String) -> QueryResource? { resources[prefix] }

    /// The SQL for a field, e.g. `j."exec_job_id"`; nil if the prefix or the column is not allowed.
    func sql(prefix: String, column: String) -> String? {
        guard let resource = resources[prefix], resource.columns.contains(column) else { return nil }
        return "\(resource.sqlAlias).\"\(column)\""
    }

    /// A prefix whose resource has `column`, to suggest for a bare column.
    func prefix(having column: String) -> String? {
        prefixes.first { resources[$0]?.columns.contains(column) == true }
    }
}
