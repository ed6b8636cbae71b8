import Foundation
import TriggerKit

extension TriggerRequest {
    /// The workflow-name rule, short enough that generated names `<trigger>_<ts>[_n]` stay valid.
    static func validateName(_ name: String) throws {
        guard name.count <= 80 else { throw EMError.invalid("Trigger name too long: \(name.count) (at most 80)") }
        guard name.utf8.allSatisfy(Validation.isNameByte) else {
            throw EMError.invalid("Invalid trigger name: \(name) (use letters, digits, _ and -)")
        }
    }

    /// Checks a cron expression and time zone; returns the zone to store.
    static func validateCron(_ expression: String, timezone: String?) throws -> String {
        let zone = timezone ?? "UTC"
        guard TimeZone(identifier: zone) != nil else { throw EMError.invalid("Unknown time zone: \(zone)") }
        return zone
    }

    /// An absolute glob pattern.
    static func validatePattern(_ pattern: String) throws {
        guard pattern.hasPrefix("/") else {
            throw EMError.invalid("each file pattern must be given as an absolute path (e.g. '/inputs/*.txt')")
        }
    }
}
