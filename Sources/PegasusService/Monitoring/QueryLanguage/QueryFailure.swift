/// Why a text was rejected, without the `Invalid query:` / `Invalid order:` prefix.
struct QueryFailure: Error {
    let detail: String

    init(_ detail: String) { self.detail = detail }
}
