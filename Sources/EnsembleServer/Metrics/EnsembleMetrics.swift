import EnsembleCore
import EnsembleStore
import Foundation
import Prometheus
import Synchronization
import TriggerKit

/// The metrics of one `pegasus-em server`, exported at `GET /metrics` in Prometheus' text format.
///
/// Each server owns its registry and a swift-metrics factory over it (the global `MetricsSystem` is never
/// bootstrapped: tests run several servers in one process). The scheduler and the trigger engine count into it as
/// things happen; the workflow counts and the watch hub's numbers are read when scraped. docs/metrics.md lists
/// every metric.
public final class EnsembleMetrics: Sendable {
    /// The registry every metric of this server lives in.
    public let registry: PrometheusCollectorRegistry
    /// swift-metrics over ``registry`` (the trigger engine counts through it).
    public let factory: PrometheusMetricsFactory
    let schedulerPass: DurationHistogram
    let schedulerPassFailures: Counter
    let plannerDuration: DurationHistogram
    let plannerFailures: Counter
    let pegasusRunDuration: DurationHistogram
    let pegasusRunFailures: Counter
    let inotifyAvailable: Gauge
    let inotifyWatches: Gauge
    let inotifyWatchLimit: Gauge
    let polledRoots: Gauge
    let inotifyOverflows: Counter
    let subscriberOverflows: Counter
    private let scraped = Mutex(ScrapeState())

    /// What earlier scrapes left: the workflow gauges by ensemble and state, and the hub's counts last seen.
    struct ScrapeState {
        var workflows: [WorkflowSeries: Gauge] = [:]
        var inotifyOverflows = CounterMirror()
        var subscriberOverflows = CounterMirror()
        /// Scrapes are numbered when they read the store; a read older than the one last applied is not applied
        /// (two scrapers at once must not set the gauges back or bring a deleted ensemble's series back).
        var issued = 0
        var applied = 0
    }

    /// The buckets of the job durations: planners take seconds to minutes, pegasus-run seconds.
    static let jobBuckets: [Duration] = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]
        .map(EnsembleMetrics.seconds)
    /// The buckets of a scheduler pass: milliseconds, up to a slow store.
    static let passBuckets: [Duration] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        .map(EnsembleMetrics.seconds)
    /// The buckets of the file timings: quiet periods of a fraction of a second, settle periods of minutes.
    static let fileBuckets: [Duration] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600]
        .map(EnsembleMetrics.seconds)

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        for name in TriggerMetrics.Name.histograms {
            factory.durationHistogramBuckets[name] = EnsembleMetrics.fileBuckets
        }
        self.registry = registry
        self.factory = factory
        schedulerPass = registry.makeDurationHistogram(
            descriptor: .named(
                "pegasus_em_scheduler_pass_duration_seconds",
                "Duration of one scheduling pass (finished jobs, master DB states, free slots filled)"),
            buckets: EnsembleMetrics.passBuckets)
        schedulerPassFailures = registry.makeCounter(
            descriptor: .named(
                "pegasus_em_scheduler_pass_failures_total", "Scheduling passes that failed (retried in 1 s)"))
        plannerDuration = registry.makeDurationHistogram(
            descriptor: .named(
                "pegasus_em_planner_duration_seconds",
                "Run time of the planner (the workflow's plan command), from start to exit"),
            buckets: EnsembleMetrics.jobBuckets)
        plannerFailures = registry.makeCounter(
            descriptor: .named(
                "pegasus_em_planner_failures_total",
                "Planner runs that ended in PLAN_FAILED (non-zero exit, timeout, killed, no submit directory)"))
        pegasusRunDuration = registry.makeDurationHistogram(
            descriptor: .named(
                "pegasus_em_pegasus_run_duration_seconds", "Run time of pegasus-run, from start to exit"),
            buckets: EnsembleMetrics.jobBuckets)
        pegasusRunFailures = registry.makeCounter(
            descriptor: .named(
                "pegasus_em_pegasus_run_failures_total",
                "pegasus-run calls that ended in RUN_FAILED (non-zero exit, timeout, killed)"))
        inotifyAvailable = registry.makeGauge(
            descriptor: .named("pegasus_em_inotify_available", "1 when the watch hub has an inotify instance, else 0"))
        inotifyWatches = registry.makeGauge(
            descriptor: .named("pegasus_em_inotify_watches", "inotify watches in use by the file triggers"))
        inotifyWatchLimit = registry.makeGauge(
            descriptor: .named(
                "pegasus_em_inotify_watch_limit",
                "The watch limit (configured, else fs.inotify.max_user_watches; -1 when unknown)"))
        polledRoots = registry.makeGauge(
            descriptor: .named(
                "pegasus_em_polled_roots", "Watched roots that are polled instead of watched with inotify"))
        inotifyOverflows = registry.makeCounter(
            descriptor: .named(
                "pegasus_em_inotify_overflows_total",
                "inotify queue overflows (IN_Q_OVERFLOW); each makes the affected triggers rescan"))
        subscriberOverflows = registry.makeCounter(
            descriptor: .named(
                "pegasus_em_watch_subscriber_overflows_total",
                "Times a lagging trigger's event buffer was replaced by a rescan"))
    }

    /// The trigger engine's metrics, through ``factory``.
    public var triggers: TriggerMetrics { TriggerMetrics(factory: factory) }

    /// A scheduling pass ended.
    func schedulerPassed(_ duration: Duration, failed: Bool) {
        schedulerPass.record(duration)
        if failed { schedulerPassFailures.increment() }
    }

    /// A workflow failed before its planner or pegasus-run could run or be followed (not executable, no submit
    /// directory, nothing recorded after a crash): a failure without a duration.
    func jobFailed(plan: Bool) {
        (plan ? plannerFailures : pegasusRunFailures).increment()
    }

    /// A planner (`plan`) or pegasus-run ended after `seconds` (until the scheduler noticed the exit), failed or
    /// not.
    func jobEnded(plan: Bool, seconds: Double, failed: Bool) {
        (plan ? plannerDuration : pegasusRunDuration).record(Self.seconds(max(0, seconds)))
        if failed { (plan ? plannerFailures : pegasusRunFailures).increment() }
    }

    /// Reads the numbers known only at scrape time (workflows per ensemble and state from the store, the watch
    /// hub's), then renders every metric.
    /// - Parameter hub: the watch hub's status, nil when the server runs no trigger engine.
    public func scrape(store: EMStore, hub: FileTriggerStatus.Hub?) async throws -> String {
        let ticket = scraped.withLock { state in
            state.issued += 1
            return state.issued
        }
        let counts = try await store.workflowCounts()
        scraped.withLock { state in
            if ticket > state.applied {
                state.applied = ticket
                let plan = WorkflowSeries.plan(counts: counts, existing: Set(state.workflows.keys))
                for series in plan.remove {
                    if let gauge = state.workflows.removeValue(forKey: series) { registry.unregisterGauge(gauge) }
                }
                for (series, value) in plan.set {
                    let gauge =
                        state.workflows[series]
                        ?? registry.makeGauge(
                            descriptor: Self.workflows,
                            labels: [("ensemble", series.ensemble), ("state", series.state)])
                    state.workflows[series] = gauge
                    gauge.set(to: Double(value))
                }
            }
            if let hub {
                inotifyAvailable.set(to: hub.inotifyAvailable ? 1 : 0)
                inotifyWatches.set(to: Double(hub.watches))
                inotifyWatchLimit.set(to: Double(hub.watchLimit ?? -1))
                polledRoots.set(to: Double(hub.polledRoots))
                inotifyOverflows.increment(by: Int64(state.inotifyOverflows.advance(to: hub.queueOverflows)))
                subscriberOverflows.increment(by: Int64(state.subscriberOverflows.advance(to: hub.subscriberOverflows)))
            }
        }
        return registry.emitToString()
    }

    static var workflows: MetricNameDescriptor {
        .named("pegasus_em_workflows", "Workflows by ensemble and state (read from the store at scrape)")
    }

    static func seconds(_ value: Double) -> Duration {
        .nanoseconds(Int64((value * 1e9).rounded()))
    }
}

/// One series of `pegasus_em_workflows`.
struct WorkflowSeries: Hashable, Sendable {
    var ensemble: String
    var state: String

    /// Which series to set (every state of every ensemble, 0 where it has none, so that a state emptying shows as
    /// 0 rather than vanishing) and which to remove (ensembles deleted since the last scrape).
    static func plan(counts: [String: [WorkflowState: Int]], existing: Set<WorkflowSeries>) -> (
        set: [(WorkflowSeries, Int)], remove: [WorkflowSeries]
    ) {
        var set: [(WorkflowSeries, Int)] = []
        for (ensemble, states) in counts.sorted(by: { $0.key < $1.key }) {
            for state in WorkflowState.allCases {
                set.append((WorkflowSeries(ensemble: ensemble, state: state.rawValue), states[state] ?? 0))
            }
        }
        let kept = Set(set.map(\.0))
        return (set, existing.subtracting(kept).sorted { ($0.ensemble, $0.state) < ($1.ensemble, $1.state) })
    }
}

/// Mirrors a count kept elsewhere (the watch hub's) into a Prometheus counter, which can only be incremented.
struct CounterMirror: Sendable, Equatable {
    private(set) var last = 0

    /// The increment that brings the counter from the last value seen to `value`; a value that went down (a new
    /// hub) starts over from it.
    mutating func advance(to value: Int) -> Int {
        defer { last = value }
        return value >= last ? value - last : value
    }
}

extension MetricNameDescriptor {
    /// A descriptor of a full metric name (unit suffix included) with its help text.
    static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
