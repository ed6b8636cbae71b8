import EnsembleCore
import EnsembleStore
import Foundation
import TriggerKit

extension TriggerRequest {
    /// The workflow-name rule, short enough that generated names `<trigger>_<ts>[_n]` stay valid.
    static func validateName(_ name: String) throws {
        try mapped { () throws(TriggerError) in try WorkflowNaming.validateTriggerName(name) }
    }

    /// Checks a cron expression and time zone; returns the zone to store.
    static func validateCron(_ expression: String, timezone: String?) throws -> String {
        let zone = timezone ?? "UTC"
        try mapped { () throws(TriggerError) in _ = try CronExpression(expression, timeZoneIdentifier: zone) }
        return zone
    }

    /// An absolute glob pattern (`*`, `?`, `[...]` in any component, `**` for recursion).
    static func validatePattern(_ pattern: String) throws {
        try mapped { () throws(TriggerError) in _ = try GlobPattern(pattern) }
    }

    /// Runs a TriggerKit check, turning its error into a 400 with the same message.
    static func mapped(_ body: () throws(TriggerError) -> Void) throws {
        do {
            try body()
        } catch {
            throw EMError.invalid(error.message)
        }
    }
}
