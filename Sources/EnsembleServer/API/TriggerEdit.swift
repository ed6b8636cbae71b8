import EnsembleCore
import EnsembleStore
import Foundation
import TriggerKit

/// A validated `update-trigger` request (`PUT /ensembles/<e>/triggers/<t>`): the new values, checked with the
/// messages of creation before anything is written, applied to the stored trigger inside the store's transaction.
struct TriggerEdit: Sendable {
    var interval: Int?
    var cron: String?
    var timezone: String?
    /// `.some(nil)`: the timeout is removed.
    var timeout: Int??
    var workflowScript: String?
    var workflowArgs: [String]?
    var filePatterns: [String]??
    var settle: Double??
    /// `.some(nil)`: the marker is removed.
    var readyMarker: String??
    var maxFiles: Int??
    var priority: Int?
    var catchup: String??
    /// `.some(nil)`: `allow`.
    var overlap: String??
    /// `.some(nil)`: never.
    var pauseAfterFailures: Int??
    var moveProcessed: Bool??

    /// The fields that apply to file-pattern triggers only.
    static let fileFields = ["file_patterns", "settle", "ready_marker", "max_files", "move_processed"]
    /// Every field an update may carry.
    static let fields =
        [
            "interval", "cron", "timezone", "timeout", "workflow_script", "workflow_args", "priority", "catchup",
            "overlap", "pause_after_failures",
        ] + fileFields

    /// Parses and checks an update of trigger `t`.
    init(_ f: RequestFields, for t: TriggerRecord) throws {
        let given = Self.fields.filter { f.has($0) }
        guard !given.isEmpty else {
            throw EMError.invalid("nothing to update: give one of " + Self.fields.joined(separator: ", "))
        }
        if t.type != .filePattern, let field = given.first(where: { Self.fileFields.contains($0) }) {
            throw EMError.invalid("\(field) applies to file pattern triggers only")
        }
        if let text = try f.string("interval") { interval = try TriggerRequest.duration(text, field: "interval") }
        if let text = try f.string("cron"), !text.isEmpty { cron = text }
        if let text = try f.string("timezone"), !text.isEmpty { timezone = text }
        if cron != nil || timezone != nil {
            guard let expression = cron ?? t.definition.cron else {
                throw EMError.invalid("timezone applies to cron schedules only: give cron as well")
            }
            timezone = try TriggerRequest.validateCron(expression, timezone: timezone ?? t.definition.timezone)
        }
        if let text = try f.string("timeout") {
            timeout = text == "none" || text.isEmpty ? .some(nil) : try TriggerRequest.duration(text, field: "timeout")
        }
        if f.has("workflow_script") { workflowScript = try TriggerRequest.workflowScript(f.string("workflow_script")) }
        workflowArgs = try f.stringList(
            "workflow_args", message: "workflow_args must be given as a list serialized to json")
        if f.has("file_patterns") {
            let message = "file_patterns must be given as a list serialized to json"
            guard let patterns = try f.stringList("file_patterns", message: message) else {
                throw EMError.invalid(message)
            }
            guard !patterns.isEmpty else {
                throw EMError.invalid("file_patterns must contain at least one file pattern")
            }
            for p in patterns { try TriggerRequest.validatePattern(p) }
            filePatterns = patterns
        }
        if let text = try f.string("settle") { settle = try TriggerRequest.settlePeriod(text) }
        if let text = try f.string("ready_marker") {
            readyMarker = text.isEmpty ? .some(nil) : try TriggerRequest.readyMarker(text)
        }
        if let text = try f.string("max_files") { maxFiles = try TriggerRequest.maxFiles(text) }
        if f.has("priority") { priority = try Validation.priority(f.string("priority")) }
        if let text = try f.string("catchup") { catchup = try TriggerRequest.catchup(text) }
        if let text = try f.string("overlap") { overlap = .some(try TriggerRequest.overlap(text)) }
        if let text = try f.string("pause_after_failures") {
            pauseAfterFailures = .some(try TriggerRequest.pauseAfterFailures(text))
        }
        if let move = try f.bool("move_processed") { moveProcessed = move }
    }

    /// Applies the edit to the stored trigger; returns what changed, in words (empty: nothing did).
    ///
    /// A schedule change takes effect from now and never makes up ticks: an interval trigger next fires one new
    /// interval after its last handled tick (at once when that is past), a cron trigger at the expression's next
    /// time after now. The timeout stays counted from the creation.
    func apply(to t: inout TriggerRecord, now: Double) throws -> [String] {
        var changes: [String] = []
        var d = t.definition
        func note<V: Equatable>(_ name: String, _ old: V?, _ new: V?) {
            guard old != new else { return }
            changes.append("\(name) \(Self.text(old)) -> \(Self.text(new))")
        }
        /// Sets a definition field when the edit gives it (`.some(nil)` unsets it); `unset` is what an unset field
        /// means, for the words.
        func set<V: Equatable>(
            _ name: String, _ new: V??, _ field: WritableKeyPath<TriggerDefinition, V?>, unset: V? = nil
        ) {
            guard let new else { return }
            note(name, d[keyPath: field] ?? unset, new ?? unset)
            d[keyPath: field] = new
        }
        let oldSchedule = (d.interval, d.cron, d.timezone)
        if let cron {
            d.cron = cron
            d.timezone = timezone ?? d.timezone ?? "UTC"
            d.interval = interval
        } else if let timezone {
            d.timezone = timezone
        } else if let interval {
            d.interval = interval
            d.cron = nil
            d.timezone = nil
        }
        note("interval", oldSchedule.0.map(Self.seconds), d.interval.map(Self.seconds))
        note("cron", oldSchedule.1, d.cron)
        note("timezone", oldSchedule.2, d.timezone)
        if let timeout {
            note("timeout", d.timeout.map(Self.seconds), timeout.map(Self.seconds))
            d.timeout = timeout
            t.deadline = timeout.map { t.created + Double($0) }
        }
        if let workflowScript {
            note("workflow_script", t.workflowScript, workflowScript)
            t.workflowScript = workflowScript
        }
        if let workflowArgs {
            note("workflow_args", t.workflowArgs.description, workflowArgs.description)
            t.workflowArgs = workflowArgs
        }
        set("file_patterns", filePatterns, \.filePatterns)
        set("settle", settle, \.settle)
        set("ready_marker", readyMarker, \.readyMarker)
        set("max_files", maxFiles, \.maxFiles)
        if let priority {
            note("priority", t.priority, priority)
            t.priority = priority
        }
        set("catchup", catchup, \.catchup, unset: "one")
        set("overlap", overlap, \.overlap, unset: "allow")
        if overlap != nil && d.overlap != "buffer-one" { t.bufferedTick = nil }
        set("pause_after_failures", pauseAfterFailures, \.pauseAfterFailures)
        set("move_processed", moveProcessed, \.moveProcessed, unset: false)
        let scheduleChanged = oldSchedule != (d.interval, d.cron, d.timezone)
        t.definition = d
        if scheduleChanged { try Self.reanchor(&t, now: now) }
        return changes
    }

    /// Restarts the schedule's count after a change (see ``apply(to:now:)``) and sets the next fire to show.
    static func reanchor(_ t: inout TriggerRecord, now: Double) throws {
        if let cron = t.definition.cron {
            t.scheduleAnchor = now
            let expression = try CronExpression(cron, timeZoneIdentifier: t.definition.timezone ?? "UTC")
            t.nextFire = expression.nextFireDate(after: Date(timeIntervalSince1970: now))?.timeIntervalSince1970
        } else if let every = t.definition.interval {
            if let last = t.lastFire, last + Double(every) > now {
                t.scheduleAnchor = last
                t.nextFire = last + Double(every)
            } else {
                // Past due (or never fired): tick 0 of the new schedule is now.
                t.scheduleAnchor = now
                t.nextFire = now
            }
        }
        if let deadline = t.deadline, let next = t.nextFire, next >= deadline { t.nextFire = nil }
    }

    static func seconds(_ value: Int) -> String { TriggerDuration.format(seconds: value) }

    static func text<V>(_ value: V?) -> String {
        guard let value else { return "none" }
        return "\(value)"
    }
}
