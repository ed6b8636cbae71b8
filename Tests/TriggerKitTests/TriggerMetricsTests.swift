import Foundation
import Testing

@testable import TriggerKit

/// The pure parts of the trigger metrics: labels from a trigger's label, and the file timings.
@Suite struct TriggerMetricsTests {
    @Test func dimensionsSplitAtTheFirstDot() {
        #expect(
            TriggerMetrics.dimensions(label: "ens.trig").map { [$0.0, $0.1] } == [
                ["ensemble", "ens"], ["trigger", "trig"],
            ])
        #expect(
            TriggerMetrics.dimensions(label: "nodot").map { [$0.0, $0.1] } == [
                ["ensemble", ""], ["trigger", "nodot"],
            ])
    }

    @Test func disabledMetricsMakeNoSeries() {
        let spec = TriggerSpec(
            id: 1, label: "e.t", schedule: .interval(start: Date(), every: TriggerDuration(seconds: 60)!))
        #expect(TriggerMetrics.disabled.series(for: spec) == nil)
    }

    @Test func settleWaitFromFirstSightingAndCloseToRecordedFromLastClose() {
        let t0 = Date(timeIntervalSince1970: 1_000)
        var latencies = FileLatencies()
        latencies.seen("/in/a", at: t0)
        latencies.seen("/in/a", at: t0 + 5)  // seen again by a later scan: the first sighting stays
        latencies.closed("/in/a", at: t0 + 2)
        latencies.closed("/in/a", at: t0 + 3)  // closed again: the last close counts
        latencies.closed("/in/b", at: t0 + 4)  // first known by its close
        latencies.seen("/in/c", at: t0 + 1)  // found by a scan only
        #expect(latencies.taken(["/in/a", "/in/b", "/in/c", "/in/unknown"], at: t0 + 10) == [10, 6, 9])
        #expect(latencies.taken(["/in/a"], at: t0 + 20) == [], "taken again after a skip: counted once")
        #expect(latencies.recorded(["/in/a", "/in/b", "/in/c"], at: t0 + 11) == [8, 7], "c had no close event")
        #expect(latencies.entries.isEmpty)
    }

    @Test func forgetsRemovedAndNoLongerPendingFiles() {
        let t0 = Date(timeIntervalSince1970: 1_000)
        var latencies = FileLatencies()
        latencies.closed("/in/gone", at: t0)
        latencies.forget("/in/gone")
        #expect(latencies.entries.isEmpty)
        for i in 0..<300 { latencies.seen("/in/\(i)", at: t0) }
        latencies.prune(pendingCount: 100) { _ in true }
        #expect(latencies.entries.count == 300, "within the slack: nothing looked at")
        latencies.prune(pendingCount: 10) { $0.hasSuffix("7") }
        #expect(latencies.entries.count == 30)
        #expect(latencies.recorded(["/in/7"], at: t0) == [])
    }
}
