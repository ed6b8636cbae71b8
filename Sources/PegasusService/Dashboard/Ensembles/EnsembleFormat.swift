import EnsembleCore
import Foundation
import TriggerKit

/// Formatting shared by the ensemble and trigger pages: times, durations, schedules, states and links.
enum EnsembleFormat {
    /// The workflow states in the order of their lifecycle (the columns of the ensembles list).
    static let workflowStates: [String] = WorkflowState.allCases.map(\.rawValue)

    /// The states in which a workflow waits for or holds a planning or running slot (pages refresh themselves).
    static let activeStates: Set<String> = Set(WorkflowState.active.map(\.rawValue))

    /// A time stored as epoch seconds, in UTC, as a `<time>` element; an em dash for none.
    static func time(_ seconds: Double?) -> HTML {
        guard let seconds, seconds.isFinite else { return "&mdash;" }
        let date = Date(timeIntervalSince1970: seconds)
        let machine = date.formatted(.iso8601)
        let human = date.formatted(
            Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .space, timeZone: .gmt))
        return "<time datetime=\"\(machine)\">\(human.replacingOccurrences(of: "Z", with: "")) UTC</time>"
    }

    /// A time with how far it is from `now` (`in 4m10s`, `3m ago`), for next and last fires.
    static func time(_ seconds: Double?, relativeTo now: Double) -> HTML {
        guard let seconds, let delta = (seconds - now).rounded().boundedInt else { return "&mdash;" }
        let relative = delta >= 0 ? "in \(duration(delta))" : "\(duration(-delta)) ago"
        return "\(time(seconds)) <span class=\"relative\">(\(relative))</span>"
    }

    /// A number of seconds in the compact form the EM accepts (`1h30m`).
    static func duration(_ seconds: Int) -> String { TriggerDuration.format(seconds: seconds) }

    /// The schedule of a trigger as `pegasus-em trigger-status` shows it: `cron EXPR (ZONE)` or `every 1h30m`.
    static func schedule(_ definition: TriggerDefinition) -> String {
        if let cron = definition.cron { return "cron \(cron) (\(definition.timezone ?? "UTC"))" }
        if let interval = definition.interval { return "every \(duration(interval))" }
        return "none"
    }

    /// The directories a file trigger watches: the literal leading directories of its patterns, without
    /// duplicates, in order.
    static func watchedRoots(_ definition: TriggerDefinition) -> [String] {
        var roots: [String] = []
        for pattern in definition.filePatterns ?? [] {
            let root = (try? GlobPattern(pattern))?.root ?? pattern
            if !roots.contains(root) { roots.append(root) }
        }
        return roots
    }

    /// How a file trigger watches: the forced mode, or automatic (inotify, polling where it cannot work).
    static func watchMode(_ definition: TriggerDefinition) -> String {
        definition.watchMode ?? "auto"
    }

    /// Decodes a trigger's `definition` column; an unreadable one reads as empty rather than failing the page.
    static func definition(_ json: String?) -> TriggerDefinition {
        guard let json, let decoded = try? JSONDecoder().decode(TriggerDefinition.self, from: Data(json.utf8)) else {
            return TriggerDefinition()
        }
        return decoded
    }

    /// The overlap policy of a trigger: what a tick does while a workflow of the trigger is still active
    /// (`allow` when the definition has none).
    static func overlap(_ definition: TriggerDefinition) -> String { definition.overlap ?? "allow" }

    /// What a tick does under an overlap policy, in words.
    static func overlapMeaning(_ policy: String) -> String? {
        switch policy {
        case "allow": "every tick submits a workflow, even while an earlier one is active"
        case "skip": "a tick is skipped while a workflow of the trigger is active"
        case "buffer-one": "one tick waits for the active workflow to end, later ones are skipped"
        default: nil
        }
    }

    /// The failure policy of a trigger: after how many consecutive failed workflows it pauses itself.
    static func pauseAfter(_ definition: TriggerDefinition) -> String {
        definition.pauseAfterFailures.map { count($0, "consecutive failed workflow") } ?? "never"
    }

    /// A state in its colour class.
    static func state(_ state: String?) -> HTML {
        guard let state else { return "&mdash;" }
        return "<span class=\"state-\(state)\">\(state)</span>"
    }

    /// `1 change`, `2 changes`.
    static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

    /// Percent-encodes a query value.
    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
