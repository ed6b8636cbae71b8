/// Renders every table, block and line the client prints.
///
/// The Pegasus-defined outputs (`ensembles`, `workflows`, `workflows -l`, `status`, `config`, `priority`, state
/// changes, `triggers`, `triggers -l`) reproduce `Pegasus/service/ensembles/commands.py` byte for byte, including
/// the trailing spaces its `%-Ns` formats leave. Every result ends with a newline, or is empty.
public struct OutputFormatter: Sendable {
    /// How timestamps are rendered.
    public var timestamps: TimestampFormatter

    /// Creates a formatter.
    /// - Parameter timestamps: the timestamp renderer; the default is the process' local zone, as in Pegasus.
    public init(timestamps: TimestampFormatter = TimestampFormatter()) {
        self.timestamps = timestamps
    }

    // MARK: - Ensembles

    /// `pegasus-em ensembles`: nothing at all for an empty list.
    public func ensembles(_ ensembles: [EnsembleResource]) -> String {
        guard !ensembles.isEmpty else { return "" }
        func row(_ c: [String]) -> String {
            pad(c[0], 20) + " " + pad(c[1], 8) + " " + pad(c[2], 24) + " " + pad(c[3], 24) + " "
                + pad(c[4], 12, right: true) + " " + pad(c[5], 12, right: true) + "\n"
        }
        var out = row(["NAME", "STATE", "CREATED", "UPDATED", "MAX PLANNING", "MAX RUNNING"])
        for e in ensembles {
            out += row([
                e.name, e.state, time(e.created), time(e.updated), String(e.maxPlanning), String(e.maxRunning),
            ])
        }
        return out
    }

    /// `pause`, `activate`, `hold`, `release`, `replan`, `rerun`, `abort`: `State: X`.
    public func stateLine(_ state: String) -> String {
        "State: \(state)\n"
    }

    /// `config`: the two limits the server now has.
    public func ensembleConfig(_ ensemble: EnsembleResource) -> String {
        "Max Planning: \(ensemble.maxPlanning)\nMax Running: \(ensemble.maxRunning)\n"
    }

    // MARK: - Workflows

    /// `pegasus-em workflows ENSEMBLE`: nothing at all for an empty list.
    public func workflows(_ workflows: [WorkflowResource]) -> String {
        guard !workflows.isEmpty else { return "" }
        func row(_ c: [String]) -> String {
            pad(c[0], 20) + " " + pad(c[1], 15) + " " + pad(c[2], 8) + " " + pad(c[3], 24) + " " + pad(c[4], 24)
                + "\n"
        }
        var out = row(["NAME", "STATE", "PRIORITY", "CREATED", "UPDATED"])
        for w in workflows {
            out += row([w.name, w.state, String(w.priority), time(w.created), time(w.updated)])
        }
        return out
    }

    /// `pegasus-em workflows -l ENSEMBLE`: one block per workflow, each followed by a blank line.
    public func workflowsLong(_ workflows: [WorkflowResource]) -> String {
        var out = ""
        for w in workflows {
            // Python's print("ID:      ", value) puts one space between the 9-wide label and the value.
            out += "ID:       \(w.id)\n"
            out += "Name:     \(w.name)\n"
            out += "Created:  \(time(w.created))\n"
            out += "Updated:  \(time(w.updated))\n"
            out += "State:    \(w.state)\n"
            out += "Priority: \(w.priority)\n"
            out += "UUID:     \(w.wfUUID ?? "None")\n"
            out += "URL:      \(w.href ?? "None")\n"
            out += "\n"
        }
        return out
    }

    /// `pegasus-em status ENSEMBLE.WORKFLOW`; with `long`, the plan argv, diagnostic and history follow.
    public func workflowStatus(_ w: WorkflowResource, long: Bool = false) -> String {
        var out = ""
        out += "ID:           \(w.id)\n"
        out += "Name:         \(w.name)\n"
        out += "Plan Command: \(w.planCommand ?? "None")\n"
        out += "Created:      \(time(w.created))\n"
        out += "Updated:      \(time(w.updated))\n"
        out += "State:        \(w.state)\n"
        out += "UUID:         \(w.wfUUID ?? "")\n"
        out += "Priority:     \(w.priority)\n"
        out += "Base Dir:     \(w.basedir ?? "None")\n"
        out += "Submit Dir:   \(w.submitdir ?? "")\n"
        out += "Log:          \(w.log ?? "None")\n"
        guard long else { return out + inputFiles(w) }
        out += "Plan Argv:    \((w.planArgv ?? []).map(shellQuote).joined(separator: " "))\n"
        out += "Diagnostic:   \(w.diagnostic ?? "")\n"
        let history = w.history ?? []
        out += history.isEmpty ? "History:      none\n" : "History:\n"
        for h in history {
            let reason = h.reason.map { " (\($0))" } ?? ""
            out += "  \(time(h.time))  \(h.from ?? "-") -> \(h.to)\(reason)\n"
        }
        return out + inputFiles(w)
    }

    /// `priority`: `Priority: N`.
    public func priorityLine(_ priority: Int) -> String {
        "Priority: \(priority)\n"
    }

    // MARK: - Triggers

    /// `pegasus-em triggers ENSEMBLE` (Pegasus master's table): nothing at all for an empty list.
    public func triggers(_ triggers: [TriggerResource]) -> String {
        guard !triggers.isEmpty else { return "" }
        func row(_ c: [String]) -> String {
            pad(c[0], 20) + " " + pad(c[1], 14) + " " + pad(c[2], 10) + " " + pad(c[3], 30) + "\n"
        }
        var out = row(["NAME", "TYPE", "STATE", "WORKFLOW SCRIPT"])
        for t in triggers {
            out += row([t.name, t.type, t.state, t.workflow.script])
        }
        return out
    }

    /// `pegasus-em triggers -l ENSEMBLE` (Pegasus master's blocks): values rendered as Python's `print` would.
    public func triggersLong(_ triggers: [TriggerResource]) -> String {
        var blocks: [String] = []
        for t in triggers {
            var out = ""
            out += label("Name:") + t.name + "\n"
            out += label("Type:") + t.type + "\n"
            out += label("State:") + t.state + "\n"
            out += label("Workflow:") + t.workflow.script + "\n"
            out += label("Workflow Args:") + pythonString(.array(t.workflow.args.map { .string($0) })) + "\n"
            for (key, value) in orderedArgs(t.args) {
                out += label(titleCase(key) + ":") + pythonString(value) + "\n"
            }
            out += triggerPolicy(t)
            blocks.append(out)
        }
        return blocks.joined(separator: "\n")
    }

    /// `pegasus-em trigger-status ENSEMBLE TRIGGER`: the state of one trigger, its schedule, its watch and its
    /// last submissions. Null values print as empty, as Pegasus' `status` does.
    public func triggerStatus(_ t: TriggerResource) -> String {
        var out = ""
        func field(_ name: String, _ value: String) { out += label(name + ":") + value + "\n" }
        field("Name", t.name)
        field("Type", t.type)
        field("State", t.state)
        field("Reason", t.reason ?? "")
        field("Schedule", schedule(t))
        field("Next Fire", t.nextFire.map(time) ?? "")
        field("Deadline", t.deadline.map(time) ?? "")
        field("Fire Count", t.fireCount.map(String.init) ?? "")
        field("Priority", t.priority.map(String.init) ?? "")
        field("Base Dir", t.basedir ?? "")
        field("Workflow", t.workflow.script)
        field("Workflow Args", t.workflow.args.map(shellQuote).joined(separator: " "))
        if let patterns = t.args?["file_patterns"]?.stringArray {
            field("File Patterns", patterns.map(shellQuote).joined(separator: " "))
        }
        if let watch = t.watch {
            if watch.roots.isEmpty {
                field("Watching", "")
            }
            for (index, root) in watch.roots.enumerated() {
                let how = root.reason.map { "\(root.mode): \($0)" } ?? root.mode
                out += label(index == 0 ? "Watching:" : "") + "\(root.path) (\(how))\n"
            }
            for (index, root) in watch.roots.enumerated() {
                guard let readiness = root.readiness else { continue }
                out += label(index == 0 ? "Readiness:" : "") + "\(root.path): \(readiness)\n"
            }
            field("Pending Files", watch.pendingFiles.map(String.init) ?? "")
            field("Pending Age", watch.oldestPendingAge.map { formatDuration(Int($0.rounded(.down))) } ?? "")
        }
        let submissions = t.submissions ?? []
        if submissions.isEmpty {
            out += "Last submissions: none\n"
        } else {
            out += "Last submissions:\n"
            for s in submissions {
                out += "  \(time(s.time))  \(s.workflow)\n"
                for file in s.files ?? [] {
                    out += "    \(file)\n"
                }
            }
        }
        out += triggerPolicy(t)
        out += triggerHistory(t)
        return out
    }

    /// The `Schedule:` value of `trigger-status`: `cron EXPR (ZONE)` or `every 1h30m`.
    func schedule(_ t: TriggerResource) -> String {
        if let cron = t.args?["cron"]?.stringValue {
            let zone = t.args?["timezone"]?.stringValue.map { " (\($0))" } ?? ""
            return "cron \(cron)\(zone)"
        }
        if let interval = t.args?["interval"]?.intValue {
            return "every \(formatDuration(interval))"
        }
        return ""
    }

    // MARK: - Helpers

    func time(_ epoch: Double) -> String {
        timestamps.string(from: epoch)
    }

    /// A label padded to 15 columns, with at least one space after it.
    func label(_ text: String) -> String {
        text.unicodeScalars.count >= 15 ? text + " " : pad(text, 15)
    }
}

/// Python's `%-Ns` / `%Ns`: pads to `width` code points, never truncates.
func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let missing = width - text.unicodeScalars.count
    guard missing > 0 else { return text }
    let spaces = String(repeating: " ", count: missing)
    return right ? spaces + text : text + spaces
}

/// Trigger `args` keys in the order Pegasus stores them, then any others alphabetically.
func orderedArgs(_ args: [String: JSONValue]?) -> [(String, JSONValue)] {
    guard let args else { return [] }
    let known = ["interval", "timeout", "file_patterns", "cron", "timezone"]
    let first = known.compactMap { key in args[key].map { (key, $0) } }
    let rest = args.keys.filter { !known.contains($0) }.sorted().map { ($0, args[$0]!) }
    return first + rest
}

/// Python's `str.title()` after replacing `_` with spaces: `file_patterns` → `File Patterns`.
func titleCase(_ key: String) -> String {
    var out = ""
    var startOfWord = true
    for ch in key.replacingUnderscores() {
        if ch.isLetter {
            out += startOfWord ? ch.uppercased() : ch.lowercased()
            startOfWord = false
        } else {
            out.append(ch)
            startOfWord = true
        }
    }
    return out
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}

/// Renders a JSON value as Python's `print` shows the decoded object: `None`, `True`, `['a', 'b']`, `{'k': 1}`.
func pythonString(_ value: JSONValue) -> String {
    switch value {
    case .string(let s): s
    default: pythonRepr(value)
    }
}

/// Python's `repr` of a decoded JSON value.
func pythonRepr(_ value: JSONValue) -> String {
    switch value {
    case .null: "None"
    case .bool(let b): b ? "True" : "False"
    case .int(let i): String(i)
    case .double(let d): d == d.rounded() && abs(d) < 1e16 ? String(format1: d) : "\(d)"
    case .string(let s): pythonStringRepr(s)
    case .array(let items): "[" + items.map(pythonRepr).joined(separator: ", ") + "]"
    case .object(let dict):
        "{" + dict.keys.sorted().map { pythonStringRepr($0) + ": " + pythonRepr(dict[$0]!) }.joined(separator: ", ")
            + "}"
    }
}

extension String {
    /// A whole double as Python prints it: `3.0`.
    fileprivate init(format1 value: Double) {
        self = String(Int64(value)) + ".0"
    }
}

/// Python's `repr(str)`: single quotes unless the text has a `'` and no `"`; backslash escapes.
func pythonStringRepr(_ s: String) -> String {
    let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if Character(scalar) == quote {
                out += "\\" + String(quote)
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + hex2(scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    out.append(quote)
    return out
}

private func hex2(_ v: UInt32) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(v >> 4) & 0xF], digits[Int(v) & 0xF]])
}

/// Quotes an argument for a POSIX shell only when it needs it: `a b` → `'a b'`, `it's` → `'it'\''s'`.
public func shellQuote(_ arg: String) -> String {
    if arg.isEmpty { return "''" }
    let safe = arg.unicodeScalars.allSatisfy { s in
        (s.value >= 0x30 && s.value <= 0x39) || (s.value >= 0x41 && s.value <= 0x5A)
            || (s.value >= 0x61 && s.value <= 0x7A) || "@%+=:,./-_".unicodeScalars.contains(s)
    }
    if safe { return arg }
    return "'" + arg.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}

/// Seconds as a compact duration: `90` → `1m30s`, `3600` → `1h`, `0` → `0s`.
public func formatDuration(_ seconds: Int) -> String {
    if seconds <= 0 { return "\(seconds)s" }
    var rest = seconds
    var out = ""
    for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
        out += "\(rest / size)\(unit)"
        rest %= size
    }
    return out
}
