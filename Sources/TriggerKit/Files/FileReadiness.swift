import Foundation
import Watchers

/// Which readiness rule the files of a root were last judged by.
public enum ReadinessRule: Sendable, Hashable, CustomStringConvertible {
    /// The writer check works: nobody may have the file open for writing, then the quiet period.
    case writerCheck
    /// The writer check was refused (the reason says why): the file must stay unchanged for the settle period.
    case settle(reason: String)

    public var description: String {
        switch self {
        case .writerCheck: "writer check"
        case .settle(let reason): "settle (\(reason))"
        }
    }
}

/// Which files are a trigger's inputs: a pattern matches the file without looking into a `processed/` directory
/// below that pattern's root, no ignore rule applies, it is not in an excluded directory (the EM's own), and it is
/// not a ready marker. A value, so that scans can filter on the I/O thread.
public struct FileFilter: Sendable {
    /// The patterns and ignore rules.
    public let patterns: FilePatternSet
    /// Directory prefixes (ending in `/`) whose files are never matched.
    public let excludedPrefixes: [String]
    /// The ready marker, whose files are never inputs.
    public let readyMarker: ReadyMarker?

    /// Creates a filter.
    public init(patterns: FilePatternSet, excludedDirectories: [String] = [], readyMarker: ReadyMarker? = nil) {
        self.patterns = patterns
        self.excludedPrefixes = excludedDirectories.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        self.readyMarker = readyMarker
    }

    /// Whether `path` is one of the trigger's input files.
    public func wants(_ path: String) -> Bool {
        // Each pattern is matched once (a scan asks this for every file it finds).
        guard !excludedPrefixes.contains(where: { path.hasPrefix($0) }), readyMarker?.isMarker(path) != true,
            !patterns.ignoreRules.ignores(path)
        else { return false }
        return patterns.patterns.contains { pattern in
            pattern.matches(path)
                && !path.dropFirst(pattern.root.count).split(separator: "/").dropLast().contains("processed")
        }
    }
}

/// What one look at a pending file found (a `stat` under a read lease, on the I/O thread).
public struct FileInspection: Sendable, Hashable {
    /// The file's path.
    public var path: String
    /// Its identity, or nil when it is gone or not a regular file.
    public var identity: FileIdentity?
    /// Whether somebody has it open for writing.
    public var writer: WriterCheck
    /// Whether its ready marker exists (true when the trigger has none).
    public var markerPresent: Bool

    /// Creates an inspection result.
    public init(path: String, identity: FileIdentity?, writer: WriterCheck, markerPresent: Bool = true) {
        self.path = path
        self.identity = identity
        self.writer = writer
        self.markerPresent = markerPresent
    }
}

/// The pending files of a file-pattern trigger and the rules that make them ready: a pure state machine.
///
/// Inputs are what the watcher reported (a file closed or moved in, a file removed), what scans found, what
/// inspections of due files found, and which files were submitted; every input carries `now`. It decides which
/// files to inspect and which are ready. No I/O and no clock: the runner does both.
public struct FileReadiness: Sendable {
    struct Pending: Sendable, Hashable {
        /// The identity last seen (nil after an event, until the next inspection).
        var identity: FileIdentity?
        /// When the file was last seen to change: its last event, or its discovery by a scan.
        var since: Date
    }

    /// Which files are the trigger's inputs.
    public let filter: FileFilter
    /// The readiness rules.
    public let rules: ReadinessRules
    /// The roots, longest first, to say per root which rule applies.
    let roots: [String]

    private(set) var pending: [String: Pending] = [:]
    /// Files submitted (or found in the ledger) during this run, so that a scan does not take them up again.
    private(set) var settled = SettledFiles()
    /// Per root: the rule its files were last judged by.
    public private(set) var rootRules: [String: ReadinessRule] = [:]

    /// Creates an empty state.
    public init(patterns: FilePatternSet, rules: ReadinessRules, excludedDirectories: [String] = []) {
        self.filter = FileFilter(
            patterns: patterns, excludedDirectories: excludedDirectories, readyMarker: rules.readyMarker)
        self.rules = rules
        self.roots = patterns.watchRoots.map(\.path).sorted { $0.count > $1.count }
    }

    /// How many files are settled (remembered as submitted or found in the ledger, with their identity).
    public var settledCount: Int { settled.count }

    /// Whether no file is pending.
    public var isIdle: Bool { pending.isEmpty }

    /// How many files are pending.
    public var pendingCount: Int { pending.count }

    /// When the longest-pending file was last seen to change.
    public var oldestPending: Date? { pending.values.map(\.since).min() }

    // MARK: - What the watcher and scans report

    /// Whether `path` is one of the trigger's input files (see ``FileFilter``).
    public func wants(_ path: String) -> Bool {
        filter.wants(path)
    }

    /// A file was closed after writing or moved in: it is pending, and its quiet period starts now.
    /// - Returns: whether the trigger went from idle to having a pending file.
    @discardableResult
    public mutating func fileChanged(_ path: String, now: Date) -> Bool {
        guard wants(path) else { return false }
        let wasIdle = pending.isEmpty
        pending[path] = Pending(identity: nil, since: now)
        return wasIdle
    }

    /// A scan found these files. New ones (or changed ones) are pending from `now` (their discovery); files with
    /// the identity already submitted are left alone.
    /// - Returns: whether the trigger went from idle to having a pending file.
    /// - Parameter filtered: the files passed ``filter`` already (a scan through ``FileWatching`` filters on the
    ///   I/O thread), so they are not matched again.
    @discardableResult
    public mutating func filesFound(_ files: [ScannedFile], now: Date, filtered: Bool = false) -> Bool {
        let wasIdle = pending.isEmpty
        for file in files where filtered || wants(file.path) {
            if settled[file.path] == file.identity { continue }
            if let known = pending[file.path] {
                if let identity = known.identity, identity != file.identity {
                    pending[file.path] = Pending(identity: file.identity, since: now)
                }
                continue
            }
            pending[file.path] = Pending(identity: file.identity, since: now)
        }
        return wasIdle && !pending.isEmpty
    }

    /// Of a scan's files, those the trigger knows nothing of: neither pending nor settled with this identity. Only
    /// these need the ledger check before ``filesFound(_:now:)``.
    public func unknown(_ files: [ScannedFile]) -> [ScannedFile] {
        sorted(files).unknown
    }

    /// A scan's files in one pass: those pending now, and those the trigger knows nothing of (see
    /// ``unknown(_:)``); the rest are settled with this identity and need nothing. Handing only the first two
    /// groups (less the unknown files the ledger holds) to ``filesFound(_:now:filtered:)`` has the same effect as
    /// handing it all of them.
    public func sorted(_ files: [ScannedFile]) -> (pending: [ScannedFile], unknown: [ScannedFile]) {
        var pendingFiles: [ScannedFile] = []
        var unknownFiles: [ScannedFile] = []
        for file in files {
            if pending[file.path] != nil {
                pendingFiles.append(file)
            } else if settled[file.path] != file.identity {
                unknownFiles.append(file)
            }
        }
        return (pendingFiles, unknownFiles)
    }

    /// These files a scan found are in the ledger with the same identity (the bulk check of a scan): they are
    /// settled without an inspection, and one pending with exactly this identity (found by an earlier scan) is no
    /// longer pending. A file pending since an event keeps its place: its inspection drops it if it is unchanged.
    /// - Parameter filtered: as for ``filesFound(_:now:filtered:)``.
    public mutating func recordedFound(_ files: [ScannedFile], filtered: Bool = false) {
        for file in files where filtered || wants(file.path) {
            settled[file.path] = file.identity
            if let entry = pending[file.path], entry.identity == file.identity {
                pending.removeValue(forKey: file.path)
            }
        }
    }

    /// A file or a directory was removed: it (and everything below it) is no longer pending, and no longer
    /// remembered as submitted (so the memory holds at most the files that exist).
    public mutating func removed(_ path: String) {
        let wasPending = pending.removeValue(forKey: path) != nil
        let wasSettled = settled.remove(path)
        // A known file: no directory to clear.
        guard !wasPending, !wasSettled else { return }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        if pending.keys.contains(where: { $0.hasPrefix(prefix) }) {
            pending = pending.filter { !$0.key.hasPrefix(prefix) }
        }
        settled.removeAll(under: prefix)
    }

    // MARK: - Inspection

    /// The pending files whose shortest waiting period has passed, sorted: they need a look (stat + writer check).
    public func dueForInspection(now: Date) -> [String] {
        let quiet = min(rules.quietPeriod, rules.settle)
        return pending.filter { now.timeIntervalSince($0.value.since) >= quiet - Self.tolerance }.keys.sorted()
    }

    /// When the first pending file becomes due for inspection (nil with none pending).
    public var nextDue: Date? {
        let quiet = min(rules.quietPeriod, rules.settle)
        return pending.values.map { $0.since.addingTimeInterval(quiet) }.min()
    }

    /// The moment, at most `within` seconds after `now`, by which every pending file about to pass its quiet
    /// period has passed it; nil if none is about to. A tick waits until then rather than leaving those files for
    /// the next tick.
    public func soonDue(now: Date, within: Double) -> Date? {
        guard within > 0 else { return nil }
        let quiet = min(rules.quietPeriod, rules.settle)
        return pending.values.map { $0.since.addingTimeInterval(quiet) }
            .filter { $0.timeIntervalSince(now) > Self.tolerance && $0.timeIntervalSince(now) <= within }.max()
    }

    /// What one inspection means for a pending file.
    enum Verdict {
        /// Gone, not a regular file, or the version already submitted: no longer pending.
        case drop
        /// Changed since the last look: timed again from now.
        case changed(FileIdentity)
        /// Not ready yet, with why; the rule it was judged by (nil when the writer check did not decide).
        case waiting(FileIdentity, reason: String, rule: ReadinessRule?)
        /// Ready, judged by this rule.
        case ready(FileIdentity, rule: ReadinessRule)
    }

    /// Judges one inspection of a pending file (without changing anything).
    ///
    /// A file is ready when it exists, is not a version already submitted, has not changed since the last look,
    /// nobody has it open for writing, its marker (if any) exists, and it has been unchanged (by mtime and since
    /// it was last seen to change) for the quiet period, or for the settle period where the writer check is
    /// refused.
    func verdict(_ result: FileInspection, _ entry: Pending, now: Date) -> Verdict {
        guard let identity = result.identity, settled[result.path] != identity else { return .drop }
        if let known = entry.identity, known != identity { return .changed(identity) }
        let period: Double
        let rule: ReadinessRule
        switch result.writer {
        case .writerOpen:
            return .waiting(identity, reason: "writer open", rule: nil)
        case .noWriter:
            rule = .writerCheck
            period = rules.quietPeriod
        case .unavailable(let reason):
            rule = .settle(reason: reason)
            period = rules.settle
        }
        guard result.markerPresent else {
            let marker = rules.readyMarker.map { " \($0.marker(for: result.path))" } ?? ""
            return .waiting(identity, reason: "waiting for ready marker\(marker)", rule: rule)
        }
        // An mtime in the future (clock skew, a copy that kept a wrong time) would hold the file back until the
        // clock reaches it: then only the last change we saw counts.
        let modified = Date(timeIntervalSince1970: Double(identity.mtimeNanoseconds) / 1e9)
        let changed = modified > now ? entry.since : max(modified, entry.since)
        let left = period - now.timeIntervalSince(changed)
        guard left <= Self.tolerance else {
            let what = rule == .writerCheck ? "quiet period" : "settling"
            return .waiting(
                identity, reason: "\(what) (\(String(format: "%.3g", left)) s left)", rule: rule)
        }
        return .ready(identity, rule: rule)
    }

    /// Takes the results of inspecting due files and returns those that are ready, sorted by path (see
    /// ``verdict(_:_:now:)``). A file that changed is timed again from now; a file still open for writing stays
    /// pending.
    public mutating func inspected(_ results: [FileInspection], now: Date) -> [ScannedFile] {
        var ready: [ScannedFile] = []
        for result in results {
            guard let entry = pending[result.path] else { continue }
            switch verdict(result, entry, now: now) {
            case .drop:
                pending.removeValue(forKey: result.path)
            case .changed(let identity):
                pending[result.path] = Pending(identity: identity, since: now)
            case .waiting(let identity, _, let rule):
                pending[result.path]?.identity = identity
                if let rule { rootRules[root(of: result.path)] = rule }
            case .ready(let identity, let rule):
                pending[result.path]?.identity = identity
                rootRules[root(of: result.path)] = rule
                ready.append(ScannedFile(path: result.path, identity: identity))
            }
        }
        return ready.sorted { $0.path < $1.path }
    }

    /// The pending files, sorted (for a preview, which looks at all of them).
    public var pendingPaths: [String] { pending.keys.sorted() }

    /// A dry run over inspections of pending files: which are ready, and why the others wait. Nothing changes.
    public func preview(_ results: [FileInspection], now: Date) -> (
        ready: [ScannedFile], waiting: [TriggerPreview.PendingFile]
    ) {
        var ready: [ScannedFile] = []
        var waiting: [TriggerPreview.PendingFile] = []
        for result in results {
            guard let entry = pending[result.path] else { continue }
            switch verdict(result, entry, now: now) {
            case .drop:
                continue
            case .changed:
                waiting.append(.init(path: result.path, reason: "changed (\(rules.quietPeriod) s quiet period again)"))
            case .waiting(_, let reason, _):
                waiting.append(.init(path: result.path, reason: reason))
            case .ready(let identity, _):
                ready.append(ScannedFile(path: result.path, identity: identity))
            }
        }
        return (ready.sorted { $0.path < $1.path }, waiting.sorted { $0.path < $1.path })
    }

    /// These files were submitted (or the ledger already had them): they are no longer pending, and scans leave
    /// these versions alone from now on.
    public mutating func settle(_ files: [ScannedFile]) {
        for file in files {
            // A file removed meanwhile (moved into processed/, deleted) is not remembered: nothing would forget it.
            guard pending[file.path] != nil else { continue }
            settled[file.path] = file.identity
            // A file changed again after its inspection (an event cleared the identity) stays pending.
            if pending[file.path]?.identity == file.identity {
                pending.removeValue(forKey: file.path)
            }
        }
    }

    /// Times are `Date`s (doubles of seconds since 2001, about 0.1 µs apart today): periods are compared with a
    /// microsecond of slack, so that "25 ms later" is never judged 24.99999 ms.
    static let tolerance = 1e-6

    /// The root a path belongs to (the longest root that contains it).
    func root(of path: String) -> String {
        roots.first { path.hasPrefix($0 == "/" ? "/" : $0 + "/") } ?? (roots.last ?? "/")
    }
}
