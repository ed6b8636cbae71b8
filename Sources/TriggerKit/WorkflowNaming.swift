import Foundation

/// Trigger-name validation and the names of the workflows that triggers generate.
///
/// A trigger named `T` submits workflows named `T_<unix-ts>` (the ensemble prefix `E.` is separate),
/// and `T_<unix-ts>_2`, `T_<unix-ts>_3`, ... when that name is already taken, for example by a second
/// submission in the same second.
///
/// **Length limit.** Pegasus requires ensemble and workflow names to match `^[a-zA-Z0-9_-]+$` and to be
/// shorter than 100 characters. A generated name is at most `T` + `_` + 10-digit timestamp + `_` +
/// 6-digit suffix = `T` + 18 characters, so trigger names are limited to ``maximumTriggerNameLength``
/// (80) characters: the longest generated name is then 98 characters, and one character is left for the
/// 11-digit timestamps that start in the year 2286. (Pegasus 5.1 does not check trigger names at all, so
/// a trigger name longer than 88 characters makes every one of its submissions fail there.)
public enum WorkflowNaming {
    /// The longest trigger name accepted: 80 characters.
    public static let maximumTriggerNameLength = 80
    /// The longest workflow (or ensemble) name Pegasus accepts: 99 characters (names must be < 100).
    public static let maximumWorkflowNameLength = 99
    /// The largest collision suffix used (`_999999`, six digits).
    public static let maximumCollisionSuffix = 999_999

    /// Validates a trigger name when the trigger is created.
    ///
    /// Checks, in Pegasus' order: not empty (`trigger name must be a non-empty string`), at most
    /// ``maximumTriggerNameLength`` characters (`Trigger name too long: N`), and only `[a-zA-Z0-9_-]`
    /// (`Invalid trigger name: X`). Lengths count Unicode scalars, as Python's `len` does.
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/invalidTriggerName``.
    public static func validateTriggerName(_ name: String) throws(TriggerError) {
        guard !name.isEmpty else {
            throw TriggerError(code: .invalidTriggerName, message: "trigger name must be a non-empty string")
        }
        let length = name.unicodeScalars.count
        guard length <= maximumTriggerNameLength else {
            throw TriggerError(code: .invalidTriggerName, message: "Trigger name too long: \(length)")
        }
        guard hasValidCharacters(name) else {
            throw TriggerError(code: .invalidTriggerName, message: "Invalid trigger name: \(name)")
        }
    }

    /// Whether `name` is a valid Pegasus workflow (or ensemble) name: `^[a-zA-Z0-9_-]+$`, < 100 characters.
    public static func isValidWorkflowName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.count <= maximumWorkflowNameLength && hasValidCharacters(name)
    }

    /// The generated name for a submission: `<trigger>_<timestamp>`, or `<trigger>_<timestamp>_<suffix>`
    /// for a suffix of 2 or more.
    /// - Parameters:
    ///   - trigger: The (validated) trigger name.
    ///   - timestamp: Seconds since 1970, as Pegasus' `int(time.time())`.
    ///   - suffix: The collision suffix; `nil` or 1 for none.
    public static func workflowName(trigger: String, timestamp: Int, suffix: Int? = nil) -> String {
        guard let suffix, suffix > 1 else { return "\(trigger)_\(timestamp)" }
        return "\(trigger)_\(timestamp)_\(suffix)"
    }

    /// The Unix timestamp used in generated names: whole seconds since 1970, truncated.
    public static func timestamp(of date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.towardZero))
    }

    /// The first generated name for `trigger` at `timestamp` that is not taken: `<trigger>_<ts>`, then
    /// `<trigger>_<ts>_2`, `<trigger>_<ts>_3`, ... up to `_999999`.
    /// - Parameters:
    ///   - trigger: The (validated) trigger name.
    ///   - timestamp: Seconds since 1970.
    ///   - isTaken: Whether a workflow of that name already exists in the ensemble.
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/namesExhausted`` if every suffix is taken.
    public static func uniqueWorkflowName(
        trigger: String,
        timestamp: Int,
        isTaken: (String) -> Bool
    ) throws(TriggerError) -> String {
        for suffix in 1...maximumCollisionSuffix {
            let name = workflowName(trigger: trigger, timestamp: timestamp, suffix: suffix)
            if !isTaken(name) { return name }
        }
        throw TriggerError(
            code: .namesExhausted,
            message: "every workflow name from \(trigger)_\(timestamp) to "
                + "\(trigger)_\(timestamp)_\(maximumCollisionSuffix) is already taken"
        )
    }

    /// The first generated name for `trigger` at `timestamp` that is not in `existing`
    /// (see ``uniqueWorkflowName(trigger:timestamp:isTaken:)``).
    public static func uniqueWorkflowName(
        trigger: String,
        timestamp: Int,
        existing: Set<String>
    ) throws(TriggerError) -> String {
        try uniqueWorkflowName(trigger: trigger, timestamp: timestamp, isTaken: { existing.contains($0) })
    }

    private static func hasValidCharacters(_ name: String) -> Bool {
        name.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", "-": true
            default: false
            }
        }
    }
}
