import EMTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Crash recovery (planners survive an EM restart and are re-attached or their result
/// recovered; nothing stuck): SIGKILL the server with planners and runs in flight, let some of
/// them finish (or be killed) while it is down, restart, and every workflow reaches the final state its knobs
/// call for.
@Suite(.timeLimit(.minutes(1)))
struct RecoveryTests {
    @Test func serverKilledWithPlannersAndRunsInFlight() async throws {
        let h = try Harness()
        try await h.createEnsemble("e", maxPlanning: 6, maxRunning: 4)
        // A second basedir for the planner the test kills (with its waiter) while the server is down.
        let lostDir = h.base.file("lost")
        try FileManager.default.createDirectory(atPath: lostDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: h.base.file("wf.yml"), toPath: lostDir + "/wf.yml")

        // Runs in flight at the crash: one ends while the server is down, two after the restart.
        let runs: [(String, [String], String)] = [
            ("r_ok", ["--sim-start-delay", "0.05", "--sim-duration", "4"], "SUCCESSFUL"),
            ("r_fail", ["--sim-start-delay", "0.05", "--sim-duration", "4", "--sim-status", "1"], "FAILED"),
            ("r_downtime", ["--sim-start-delay", "0.05", "--sim-duration", "1.2"], "SUCCESSFUL"),
        ]
        for (name, args, _) in runs { try await h.submit("e", name, args: args) }
        for (name, _, _) in runs { try await h.wait("e", name, for: ["RUNNING"]) }

        // Planners in flight at the crash: re-attached after the restart, or finished while the server was down.
        let plans: [(String, [String], String)] = [
            ("p_ok", Harness.fast + ["--sim-sleep", "3"], "SUCCESSFUL"),
            ("p_exit", Harness.fast + ["--sim-sleep", "3", "--sim-exit", "3"], "PLAN_FAILED"),
            ("p_status", Harness.fast + ["--sim-sleep", "3", "--sim-status", "1"], "FAILED"),
            ("p_nobraindump", Harness.fast + ["--sim-sleep", "3", "--sim-no-braindump"], "PLAN_FAILED"),
            ("p_downtime", Harness.fast + ["--sim-sleep", "0.3"], "SUCCESSFUL"),
        ]
        for (name, args, _) in plans { try await h.submit("e", name, args: args) }
        try await h.submit(
            "e", "p_lost",
            argv: ["/bin/sh", "-c", "cd lost && exec pegasus-plan --dir submit wf.yml --sim-sleep 30"])
        for (name, _, _) in plans { try await h.wait("e", name, for: ["PLANNING", "QUEUED", "RUNNING"]) }
        try await h.wait("e", "p_lost", for: ["PLANNING"])
        // max_planning 6 is full: this one waits in READY across the crash.
        try await h.submit("e", "ready")
        var lost: [Int32] = []
        try await h.until("the p_lost planner") {
            lost = planners(in: lostDir)
            return !lost.isEmpty
        }

        h.server.crash()
        // Planners and runs are detached: they outlive the server.
        #expect(!planners(in: h.base.path).isEmpty)
        // Kill the p_lost planner together with its waiter: no result file will ever appear.
        let lostGroup = getpgid(lost[0])
        #expect(lostGroup > 1)
        kill(-lostGroup, SIGKILL)
        try await Task.sleep(for: .milliseconds(1500))

        try h.server.start()
        let expected = Dictionary(uniqueKeysWithValues: (runs + plans).map { ($0.0, $0.2) })
        for (name, state) in expected {
            let w = try await h.wait("e", name, for: ["SUCCESSFUL", "FAILED", "PLAN_FAILED", "RUN_FAILED", "ABORTED"])
            #expect(w.state == state, "\(name): \(w.history)")
        }
        let pExit = try await h.workflow("e", "p_exit")
        #expect(pExit.reason == "the planner exited with code 3")
        let pLost = try await h.wait("e", "p_lost", for: ["PLAN_FAILED"])
        #expect(
            pLost.reason == "the planner process disappeared without a result (killed, or the machine restarted)")
        let ready = try await h.wait("e", "ready", for: ["SUCCESSFUL", "FAILED", "PLAN_FAILED"])
        #expect(ready.state == "SUCCESSFUL")
        // Each state change was recorded once, across the restart.
        let rOk = try await h.workflow("e", "r_ok")
        #expect(rOk.states == ["READY", "PLANNING", "QUEUED", "RUNNING", "SUCCESSFUL"])
        let pOk = try await h.workflow("e", "p_ok")
        #expect(pOk.states == ["READY", "PLANNING", "QUEUED", "RUNNING", "SUCCESSFUL"])
        let states = try await h.states("e")
        #expect(!states.values.contains { ["READY", "PLANNING", "QUEUED", "RUNNING"].contains($0) }, "\(states)")
    }
}
