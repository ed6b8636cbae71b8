import EnsembleCore
import EnsembleStore
import Foundation
import TriggerKit

/// Validation of a trigger creation request, in Pegasus' order (trigger, workflow_script, workflow_args, interval,
/// timeout, file_patterns) and with its messages, plus what Pegasus does not check: the name rule, an executable
/// script, and valid glob patterns.
enum TriggerRequest {
    static func parse(_ f: RequestFields, type: TriggerType, now: Double) throws -> TriggerRecord {
        guard let name = try f.string("trigger"), !name.isEmpty else {
            throw EMError.invalid("trigger name must be a non-empty string")
        }
        try validateName(name)
        let script = try workflowScript(f.string("workflow_script"))
        let args =
            try f.stringList("workflow_args", message: "workflow_args must be given as a list serialized to json") ?? []
        var definition = TriggerDefinition()
        definition.cron = try f.string("cron").flatMap { $0.isEmpty ? nil : $0 }
        definition.timezone = try f.string("timezone").flatMap { $0.isEmpty ? nil : $0 }
        if let cron = definition.cron {
            definition.timezone = try validateCron(cron, timezone: definition.timezone)
        }
        if definition.cron == nil || f.has("interval") {
            definition.interval = try duration(f.string("interval"), field: "interval")
        }
        if f.has("timeout"), let text = try f.string("timeout"), !text.isEmpty {
            definition.timeout = try duration(text, field: "timeout")
        }
        if let text = try f.string("catchup") { definition.catchup = try catchup(text) }
        definition.overlap = try overlap(f.string("overlap"))
        definition.pauseAfterFailures = try pauseAfterFailures(f.string("pause_after_failures"))
        if type == .filePattern {
            let message = "file_patterns must be given as a list serialized to json"
            guard let patterns = try f.stringList("file_patterns", message: message) else {
                throw EMError.invalid(message)
            }
            guard !patterns.isEmpty else {
                throw EMError.invalid("file_patterns must contain at least one file pattern")
            }
            for p in patterns {
                try validatePattern(p)
            }
            definition.filePatterns = patterns
            if let settle = try f.string("settle") {
                definition.settle = try settlePeriod(settle)
            }
            if let marker = try f.string("ready_marker"), !marker.isEmpty {
                definition.readyMarker = try readyMarker(marker)
            }
            if let text = try f.string("max_files") { definition.maxFiles = try maxFiles(text) }
            definition.moveProcessed = try f.bool("move_processed")
            if let mode = try f.string("watch_mode") {
                guard ["inotify", "poll", "auto"].contains(mode) else {
                    throw EMError.invalid("watch_mode must be inotify, poll or auto: \(mode)")
                }
                definition.watchMode = mode == "auto" ? nil : mode
            }
        }
        let basedir = try f.string("basedir") ?? FileManager.default.currentDirectoryPath
        guard basedir.hasPrefix("/") else { throw EMError.invalid("basedir must be an absolute path: \(basedir)") }
        let priority = try Validation.priority(f.string("priority"))
        return TriggerRecord(
            id: nil, ensembleID: 0, name: name, type: type, state: .running, reason: nil, created: now, updated: now,
            workflowScript: script, workflowArgs: args, definition: definition, basedir: basedir, priority: priority,
            nextFire: try firstFire(definition, now: now), deadline: definition.timeout.map { now + Double($0) },
            fireCount: 0, lastFire: nil)
    }

    /// `overlap`: `allow` (stored as nil, Pegasus' behaviour), `skip` or `buffer-one`.
    static func overlap(_ text: String?) throws -> String? {
        guard let text, !text.isEmpty, text != "allow" else { return nil }
        guard ["skip", "buffer-one"].contains(text) else {
            throw EMError.invalid("overlap must be allow, skip or buffer-one: \(text)")
        }
        return text
    }

    /// `pause_after_failures`: an integer >= 1; `0`, `none` or empty for never.
    static func pauseAfterFailures(_ text: String?) throws -> Int? {
        guard let text, !text.isEmpty, text != "none", text != "0" else { return nil }
        guard let n = Int(text), n >= 1 else {
            throw EMError.invalid("pause_after_failures must be an integer >= 1: \(text)")
        }
        return n
    }

    /// `workflow_script`: an absolute path to an executable file.
    static func workflowScript(_ script: String?) throws -> String {
        guard let script, !script.isEmpty else {
            throw EMError.invalid("workflow_script name must be a non-empty string")
        }
        guard script.hasPrefix("/") else { throw EMError.invalid("workflow_script must be given as an absolute path") }
        guard FileManager.default.isExecutableFile(atPath: script) else {
            throw EMError.invalid("workflow_script is not an executable file: \(script)")
        }
        return script
    }

    /// `max_files`: an integer >= 1.
    static func maxFiles(_ text: String) throws -> Int {
        guard let n = Int(text), n >= 1 else { throw EMError.invalid("max_files must be an integer >= 1: \(text)") }
        return n
    }

    /// `ready_marker`: `*.done` or a directory-wide name; the glob to store.
    static func readyMarker(_ text: String) throws -> String {
        do {
            return try ReadyMarker(text).glob
        } catch {
            throw EMError.invalid(error.message)
        }
    }

    /// `catchup`: none, one or all.
    static func catchup(_ text: String) throws -> String {
        guard ["none", "one", "all"].contains(text) else {
            throw EMError.invalid("catchup must be none, one or all: \(text)")
        }
        return text
    }

    /// Interval triggers fire at creation; cron triggers at the expression's next time.
    static func firstFire(_ d: TriggerDefinition, now: Double) throws -> Double {
        guard let cron = d.cron else { return now }
        let expression = try CronExpression(cron, timeZoneIdentifier: d.timezone ?? "UTC")
        return expression.nextFireDate(after: Date(timeIntervalSince1970: now))?.timeIntervalSince1970 ?? now
    }

    /// `settle`: a duration as for intervals, or milliseconds (`250ms`), or `0`; at most one day.
    static func settlePeriod(_ text: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "0" { return 0 }
        if trimmed.hasSuffix("ms"), let ms = Int(trimmed.dropLast(2).trimmingCharacters(in: .whitespaces)),
            ms >= 0, ms <= 86_400_000
        {
            return Double(ms) / 1000
        }
        let seconds = try duration(text, field: "settle")
        guard seconds <= 86_400 else { throw EMError.invalid("settle must be at most 1 day: \(text)") }
        return Double(seconds)
    }

    static func duration(_ text: String?, field: String) throws -> Int {
        do {
            return try TriggerDuration.parse(text ?? "", field: field)
        } catch {
            throw EMError.invalid(error.message)
        }
    }
}
