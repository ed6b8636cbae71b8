import Foundation
import Metrics
import Watchers

/// The trigger engine's metrics, made through swift-metrics with an explicit factory: never the global
/// `MetricsSystem`, since one process may run several servers, each with its own registry. Names follow
/// Prometheus' conventions (`pegasus_em_` prefix, seconds, `_total` for counters); every series carries the
/// labels `ensemble` and `trigger`. docs/metrics.md describes each one.
public struct TriggerMetrics: Sendable {
    let factory: (any MetricsFactory)?

    /// Metrics made by `factory` (the server's Prometheus factory).
    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    private init() {
        self.factory = nil
    }

    /// No metrics (tests, benchmarks).
    public static let disabled = TriggerMetrics()

    /// The metric names.
    public enum Name {
        public static let ticks = "pegasus_em_trigger_ticks_total"
        public static let submissions = "pegasus_em_trigger_submissions_total"
        public static let skips = "pegasus_em_trigger_skips_total"
        public static let failures = "pegasus_em_trigger_failures_total"
        public static let rescans = "pegasus_em_trigger_rescans_total"
        public static let pendingFiles = "pegasus_em_trigger_pending_files"
        public static let settleWait = "pegasus_em_trigger_settle_wait_seconds"
        public static let closeToRecorded = "pegasus_em_trigger_close_to_recorded_seconds"
        /// The histograms (their buckets are the factory's to choose).
        public static let histograms = [settleWait, closeToRecorded]
    }

    /// The labels of a trigger from its label `ensemble.trigger` (names never contain a dot).
    public static func dimensions(label: String) -> [(String, String)] {
        guard let dot = label.firstIndex(of: ".") else { return [("ensemble", ""), ("trigger", label)] }
        return [("ensemble", String(label[..<dot])), ("trigger", String(label[label.index(after: dot)...]))]
    }

    /// The series of one trigger (nil when disabled). Making them again for the same trigger (a restart after a
    /// pause or an update) gives the same series, so counts go on.
    func series(for spec: TriggerSpec) -> TriggerSeries? {
        guard let factory else { return nil }
        return TriggerSeries(dimensions: Self.dimensions(label: spec.label), files: spec.files != nil, factory: factory)
    }
}

/// The series of one trigger.
final class TriggerSeries: Sendable {
    let ticks: Counter
    let submissions: Counter
    let skips: Counter
    let failures: Counter
    let rescans: Counter?
    let pendingFiles: Gauge?
    let settleWait: Metrics.Timer?
    let closeToRecorded: Metrics.Timer?

    init(dimensions: [(String, String)], files: Bool, factory: any MetricsFactory) {
        typealias N = TriggerMetrics.Name
        ticks = Counter(label: N.ticks, dimensions: dimensions, factory: factory)
        submissions = Counter(label: N.submissions, dimensions: dimensions, factory: factory)
        skips = Counter(label: N.skips, dimensions: dimensions, factory: factory)
        failures = Counter(label: N.failures, dimensions: dimensions, factory: factory)
        rescans = files ? Counter(label: N.rescans, dimensions: dimensions, factory: factory) : nil
        pendingFiles = files ? Gauge(label: N.pendingFiles, dimensions: dimensions, factory: factory) : nil
        settleWait = files ? Metrics.Timer(label: N.settleWait, dimensions: dimensions, factory: factory) : nil
        closeToRecorded =
            files ? Metrics.Timer(label: N.closeToRecorded, dimensions: dimensions, factory: factory) : nil
    }

    /// A tick that did work.
    func tick() { ticks.increment() }

    /// A failed transaction.
    func failed() { failures.increment() }

    /// A rescan the hub asked for.
    func rescanned() { rescans?.increment() }

    /// The pending files now.
    func pending(_ count: Int) { pendingFiles?.record(count) }

    /// Settle waits of files taken as ready.
    func settled(_ waits: [Double]) {
        for wait in waits { settleWait?.record(seconds: wait) }
    }

    /// Close-to-recorded latencies of files whose ledger rows were committed.
    func recorded(_ latencies: [Double]) {
        for latency in latencies { closeToRecorded?.record(seconds: latency) }
    }

    /// Counts a submission's result.
    func count(_ result: SubmissionResult) {
        switch result {
        case .submitted: submissions.increment()
        case .skipped: skips.increment()
        case .nothing, .buffered, .notRunning: break
        }
    }

    /// Removes the series from the registry (the trigger was deleted or ended), so that series stay bounded.
    func destroy() {
        for counter in [ticks, submissions, skips, failures] + [rescans].compactMap({ $0 }) { counter.destroy() }
        pendingFiles?.destroy()
        settleWait?.destroy()
        closeToRecorded?.destroy()
    }
}

/// When each pending file of a file trigger was first seen and last reported closed, to measure the settle
/// (readiness) wait, from first sighting until the trigger takes the file, and the close-to-recorded latency,
/// from its last close event to the commit of the ledger row. A pure value the runner feeds; it forgets a file
/// once recorded or no longer pending, so it holds at most the pending files (and a few just gone).
struct FileLatencies: Sendable {
    struct Entry: Sendable, Equatable {
        var firstSeen: Date
        var closed: Date?
        var taken: Date?
    }

    private(set) var entries: [String: Entry] = [:]

    /// A scan (or an event) found a pending file: its first sighting, unless already known.
    mutating func seen(_ path: String, at now: Date) {
        if entries[path] == nil { entries[path] = Entry(firstSeen: now) }
    }

    /// A close (or move-in) event of a pending file.
    mutating func closed(_ path: String, at now: Date) {
        entries[path, default: Entry(firstSeen: now)].closed = now
    }

    /// The trigger takes these files as ready: returns the settle waits (seconds since first sighting) of those
    /// known.
    mutating func taken(_ paths: [String], at now: Date) -> [Double] {
        var waits: [Double] = []
        for path in paths {
            guard let entry = entries[path] else { continue }
            if entry.taken == nil {
                waits.append(max(0, now.timeIntervalSince(entry.firstSeen)))
                entries[path]?.taken = now
            }
        }
        return waits
    }

    /// The ledger rows of these files were committed at `now`: returns the close-to-recorded latencies of those
    /// with a close event, and forgets them all.
    mutating func recorded(_ paths: [String], at now: Date) -> [Double] {
        var latencies: [Double] = []
        for path in paths {
            guard let entry = entries.removeValue(forKey: path), let closed = entry.closed else { continue }
            latencies.append(max(0, now.timeIntervalSince(closed)))
        }
        return latencies
    }

    /// Forgets a file (removed).
    mutating func forget(_ path: String) {
        entries.removeValue(forKey: path)
    }

    /// Forgets the files no longer pending, once more are remembered than pending (plus some slack).
    mutating func prune(pendingCount: Int, isPending: (String) -> Bool) {
        guard entries.count > pendingCount + 256 else { return }
        entries = entries.filter { isPending($0.key) }
    }
}

extension FileWatching {
    /// The watch hub's numbers (watches, limit, polled roots, overflows), read when metrics are scraped.
    public var hubStatus: FileTriggerStatus.Hub {
        FileTriggerStatus.Hub(status())
    }
}

extension Metrics.Timer {
    /// Records seconds.
    func record(seconds: Double) {
        recordNanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
