import EMTestSupport
import EnsembleCore
import EnsembleStore
import Foundation
import Testing

@testable import EnsembleServer

/// The EM's metrics without a server: which workflow series a scrape sets and removes, mirrored counters, and a
/// scrape of a real store.
@Suite struct EnsembleMetricsTests {
    @Test func everyStateOfEveryEnsembleIsSetAndDeletedEnsemblesRemoved() {
        let old = WorkflowSeries(ensemble: "gone", state: "READY")
        let plan = WorkflowSeries.plan(
            counts: ["a": [.running: 2], "b": [:]], existing: [old, WorkflowSeries(ensemble: "a", state: "RUNNING")])
        #expect(plan.set.count == 2 * WorkflowState.allCases.count)
        #expect(plan.set.first { $0.0 == WorkflowSeries(ensemble: "a", state: "RUNNING") }?.1 == 2)
        #expect(plan.set.first { $0.0 == WorkflowSeries(ensemble: "b", state: "FAILED") }?.1 == 0)
        #expect(plan.remove == [old])
    }

    @Test func mirroredCountersOnlyGoUp() {
        var mirror = CounterMirror()
        #expect(mirror.advance(to: 3) == 3)
        #expect(mirror.advance(to: 3) == 0)
        #expect(mirror.advance(to: 5) == 2)
        #expect(mirror.advance(to: 1) == 1, "a new hub starts over")
    }

    @Test func scrapeReadsWorkflowCountsAndDropsDeletedEnsembles() async throws {
        let dir = try TemporaryDirectory(prefix: "em-metrics")
        defer { dir.remove() }
        let store = try EMStore(path: dir.file("em.db"))
        _ = try await store.createEnsemble(name: "e1", maxPlanning: 1, maxRunning: 1)
        _ = try await store.createEnsemble(name: "e2", maxPlanning: 1, maxRunning: 1)
        for name in ["w1", "w2"] {
            _ = try await store.submitWorkflow(
                ensemble: "e1", WorkflowSubmission(name: name, priority: 0, basedir: "/tmp", planArgv: ["/bin/true"]))
        }
        let metrics = EnsembleMetrics()
        metrics.jobEnded(plan: true, seconds: 1.5, failed: true)
        metrics.jobEnded(plan: false, seconds: 0.2, failed: false)
        var text = try await metrics.scrape(store: store, hub: nil)
        #expect(text.contains(#"pegasus_em_workflows{ensemble="e1",state="READY"} 2.0"#), "\(text)")
        #expect(text.contains(#"pegasus_em_workflows{ensemble="e2",state="READY"} 0.0"#))
        #expect(text.contains("pegasus_em_planner_failures_total 1"))
        #expect(text.contains("pegasus_em_pegasus_run_failures_total 0"))
        #expect(text.contains("pegasus_em_planner_duration_seconds_count 1"))
        #expect(text.contains("# TYPE pegasus_em_pegasus_run_duration_seconds histogram"))
        try await store.deleteEnsemble(name: "e2")
        text = try await metrics.scrape(store: store, hub: nil)
        #expect(!text.contains(#"ensemble="e2""#))
    }
}
