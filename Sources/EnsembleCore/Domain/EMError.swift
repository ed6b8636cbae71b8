/// An error of the ensemble manager's domain, with a user-facing message.
///
/// The message is what Pegasus prints (the real client shows it as `ERROR: <message>`); the kind decides the
/// HTTP status in the API layer, so the domain knows nothing of HTTP.
public struct EMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a class of problem.
    public enum Kind: Sendable, Equatable {
        /// Invalid input (400).
        case invalid
        /// An unknown ensemble, workflow or trigger (404).
        case notFound
        /// A duplicate name, or an operation the current state does not allow (409).
        case conflict
        /// A failure of the server itself (500).
        case internalError
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    package static func invalid(_ message: String) -> EMError { EMError(.invalid, message) }
    package static func notFound(_ message: String) -> EMError { EMError(.notFound, message) }
    package static func conflict(_ message: String) -> EMError { EMError(.conflict, message) }
}
