import EMTestSupport
import Foundation
import Testing

/// Throttles and priority (docs/lifecycle.md): limits are never exceeded, free slots go strictly by
/// priority (higher first) then FIFO, and a slot freed during a pass never goes to a lower priority.
@Suite(.timeLimit(.minutes(2)))
struct SchedulingTests {
    /// 50 workflows of mixed priorities, max_planning 2, max_running 3: sampled states never exceed the limits, and
    /// the order in which they entered PLANNING is exactly priority descending, then submission order.
    @Test func limitsAndPriorityOrderWithFiftyWorkflows() async throws {
        let h = try Harness()
        try await h.createEnsemble("e", maxPlanning: 2, maxRunning: 3)
        // Submitted while paused, so that all 50 compete from the same start.
        try await h.setEnsemble("e", state: "PAUSED")
        let priorities = (0..<50).map { i in [0, 5, -2, 10, 5, 0, 3][i % 7] + (i % 11 == 0 ? 20 : 0) }
        let names = (0..<50).map { String(format: "w%02d", $0) }
        for (name, priority) in zip(names, priorities) {
            try await h.submit(
                "e", name, args: ["--sim-start-delay", "0.02", "--sim-duration", "0.05"], priority: priority)
        }
        try await h.setEnsemble("e", state: "ACTIVE")

        var samples = 0
        var maxPlanning = 0
        var maxRunning = 0
        let deadline = Date().addingTimeInterval(100)
        var states: [String: String] = [:]
        repeat {
            states = try await h.states("e")
            let planning = states.values.filter { $0 == "PLANNING" }.count
            let running = states.values.filter { $0 == "RUNNING" }.count
            maxPlanning = max(maxPlanning, planning)
            maxRunning = max(maxRunning, running)
            #expect(planning <= 2, "sample \(samples): \(planning) planning")
            #expect(running <= 3, "sample \(samples): \(running) running")
            samples += 1
            try await Task.sleep(for: .milliseconds(10))
        } while states.values.contains(where: { ["READY", "PLANNING", "QUEUED", "RUNNING"].contains($0) })
            && Date() < deadline
        #expect(states.count == 50)
        #expect(states.values.allSatisfy { $0 == "SUCCESSFUL" }, "\(states.filter { $0.value != "SUCCESSFUL" })")
        #expect(samples > 50)
        // The limits were reached (the sampling saw the ensemble busy), not just respected.
        #expect(maxPlanning == 2)
        #expect(maxRunning >= 2)

        var planningStart: [(name: String, time: Double)] = []
        for name in names {
            let w = try await h.workflow("e", name)
            let entered = try #require(w.history.first { $0.to == "PLANNING" })
            planningStart.append((name, entered.time))
            // Each one's full history, in order.
            #expect(w.states == ["READY", "PLANNING", "QUEUED", "RUNNING", "SUCCESSFUL"], "\(name)")
        }
        let observed = planningStart.sorted { $0.time < $1.time }.map(\.name)
        let expected = zip(names, priorities).enumerated()
            .sorted { a, b in a.element.1 != b.element.1 ? a.element.1 > b.element.1 : a.offset < b.offset }
            .map(\.element.0)
        #expect(observed == expected)
    }

    /// The priority inversion Pegasus allows (docs/lifecycle.md): max_running 1, R (priority 5) RUNNING and finishing, Q1 (priority 10)
    /// and Q2 (priority 0) QUEUED. Pegasus walks one sorted list, skips Q1 (slot full), frees R's slot and gives
    /// it to Q2. Here the freed slot goes to Q1.
    @Test func noPriorityInversion() async throws {
        let h = try Harness()
        try await h.createEnsemble("e", maxPlanning: 3, maxRunning: 1)
        // R's end is written by the test (monitord silent), once Q1 and Q2 wait for its slot.
        try await h.submit("e", "R", args: ["--sim-no-monitord"], priority: 5)
        let running = try await h.wait("e", "R", for: ["RUNNING"])
        // Q2 first, so that FIFO alone would favour it.
        try await h.submit("e", "Q2", priority: 0)
        try await h.submit("e", "Q1", priority: 10)
        try await h.wait("e", "Q2", for: ["QUEUED"])
        try await h.wait("e", "Q1", for: ["QUEUED"])
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await h.workflow("e", "R").state == "RUNNING")
        #expect(try await h.workflow("e", "Q1").state == "QUEUED")
        let runStart = running.history.last!.time
        try await h.recordTermination(
            uuid: running.wfUUID!, status: 0, started: runStart + 0.01, ended: Date().timeIntervalSince1970)

        let q1 = try await h.wait("e", "Q1", for: ["SUCCESSFUL", "FAILED"])
        let q2 = try await h.wait("e", "Q2", for: ["SUCCESSFUL", "FAILED"])
        let r = try await h.workflow("e", "R")
        #expect(r.state == "SUCCESSFUL" && q1.state == "SUCCESSFUL" && q2.state == "SUCCESSFUL")
        let rEnd = try #require(r.history.last?.time)
        let q1Run = try #require(q1.history.first { $0.to == "RUNNING" }?.time)
        let q1End = try #require(q1.history.last?.time)
        let q2Run = try #require(q2.history.first { $0.to == "RUNNING" }?.time)
        #expect(rEnd <= q1Run)
        #expect(q1Run < q2Run)
        // max_running 1: Q2 only runs after Q1 has finished.
        #expect(q1End <= q2Run)
    }
}
