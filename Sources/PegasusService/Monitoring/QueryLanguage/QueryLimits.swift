/// Input limits; ``standard`` is what the API uses (tests may raise them to reach the other limits).
struct QueryLimits: Sendable {
    var maxBytes = 4096
    var maxTokens = 1000
    var maxDepth = 64

    static let standard = QueryLimits()

    func checkLength(of text: String, what: String) throws(QueryFailure) {
        let bytes = text.utf8.count
        if bytes > maxBytes {
            throw QueryFailure("the \(what) is too long (\(bytes) bytes; at most \(maxBytes) are allowed)")
        }
    }
}
