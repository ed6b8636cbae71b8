import Foundation

/// An error raised by the trigger engine's validation and scheduling building blocks.
///
/// The ``message`` is meant for users as is: it says what was wrong and, where possible, how to fix it.
/// Messages that Pegasus 5.1 defines (durations, relative file patterns, trigger names) are reproduced
/// word for word so that existing clients and scripts see the same text.
public struct TriggerError: Error, Sendable, CustomStringConvertible, LocalizedError {
    /// A machine-readable category of ``TriggerError``; new codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidDuration
            case invalidCronExpression
            case unknownTimeZone
            case invalidFilePattern
            case invalidTriggerName
            case namesExhausted
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A duration (interval or timeout) does not follow the `<int> <s|m|h|d>` grammar or is not positive.
        public static let invalidDuration = Code(.invalidDuration)
        /// A cron expression is malformed or can never fire.
        public static let invalidCronExpression = Code(.invalidCronExpression)
        /// A time-zone identifier is not a known IANA zone.
        public static let unknownTimeZone = Code(.unknownTimeZone)
        /// A file pattern (or an ignore pattern) is malformed.
        public static let invalidFilePattern = Code(.invalidFilePattern)
        /// A trigger name is empty, too long or contains characters outside `[a-zA-Z0-9_-]`.
        public static let invalidTriggerName = Code(.invalidTriggerName)
        /// Every collision suffix for a generated workflow name is already taken.
        public static let namesExhausted = Code(.namesExhausted)

        /// The code's name, e.g. `invalidDuration`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The user-facing explanation.
    public var message: String
    /// The lower-level error that caused this one, if any.
    public var underlying: (any Error)?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The failure category.
    ///   - message: The user-facing explanation.
    ///   - underlying: The lower-level error that caused this one, if any.
    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The user-facing message.
    public var description: String { message }

    /// The user-facing message (so that `localizedDescription` shows it as well).
    public var errorDescription: String? { message }
}
