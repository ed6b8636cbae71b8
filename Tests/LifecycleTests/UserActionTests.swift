import EMTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What users do to workflows and ensembles while they move (docs/lifecycle.md):
/// abort in every active state, pause/activate, hold/release, priority edits that never hide a termination.
@Suite(.timeLimit(.minutes(1)))
struct UserActionTests {
    @Test func abortReadyInPausedEnsemble() async throws {
        let h = try Harness()
        try await h.createEnsemble("e")
        #expect(try await h.setEnsemble("e", state: "PAUSED").status == 200)
        try await h.submit("e", "w")
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await h.workflow("e", "w").state == "READY")
        let r = try await h.update("e", "w", state: "ABORTED")
        #expect(r.status == 200)
        #expect(r.json?["state"] as? String == "ABORTED")
        // Activating the ensemble does not bring it back.
        try await h.setEnsemble("e", state: "ACTIVE")
        try await Task.sleep(for: .milliseconds(400))
        let w = try await h.workflow("e", "w")
        #expect(w.state == "ABORTED")
        #expect(w.states == ["READY", "ABORTED"])
        #expect(w.reason == "abort requested")
        #expect(h.log("e", "w").isEmpty)
    }

    @Test func abortPlanningKillsThePlanner() async throws {
        let h = try Harness()
        try await h.createEnsemble("e")
        try await h.submit("e", "w", args: ["--sim-sleep", "30"])
        try await h.wait("e", "w", for: ["PLANNING"])
        var pids: [Int32] = []
        try await h.until("the planner process") {
            pids = planners(in: h.base.path)
            return !pids.isEmpty
        }
        let group = getpgid(pids[0])
        #expect(group > 1 && group != getpgrp())
        let r = try await h.update("e", "w", state: "ABORTED")
        #expect(r.status == 200)
        // The whole process group (the plan script's shell, pegasus-plan, the waiter) is gone.
        try await h.until(timeout: 5, "the planner's process group to be gone") {
            processGroupMembers(group).isEmpty
        }
        // And the scheduler does not turn the dead planner into PLAN_FAILED afterwards.
        try await Task.sleep(for: .milliseconds(500))
        let w = try await h.workflow("e", "w")
        #expect(w.state == "ABORTED")
        #expect(w.states == ["READY", "PLANNING", "ABORTED"])
    }

    /// QUEUED (max_running saturated by a long run), then the RUNNING one itself: pegasus-remove is called and
    /// the removed run's termination (status 2 in the master DB) does not turn ABORTED into FAILED.
    @Test func abortQueuedAndRunning() async throws {
        let h = try Harness()
        try await h.createEnsemble("e", maxPlanning: 2, maxRunning: 1)
        try await h.submit("e", "long", args: ["--sim-start-delay", "0.05", "--sim-duration", "60"])
        let running = try await h.wait("e", "long", for: ["RUNNING"])
        try await h.submit("e", "queued")
        try await h.wait("e", "queued", for: ["QUEUED"])
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await h.workflow("e", "queued").state == "QUEUED")

        let q = try await h.update("e", "queued", state: "ABORTED")
        #expect(q.status == 200)
        #expect(try await h.workflow("e", "queued").states == ["READY", "PLANNING", "QUEUED", "ABORTED"])

        // pegasus-remove needs DAGMan to have started (its dagman.out names the job id).
        let submitdir = try #require(running.submitdir)
        try await h.until("DAGMan to start") {
            let out = (try? String(contentsOfFile: submitdir + "/diamond-0.dag.dagman.out", encoding: .utf8)) ?? ""
            return out.contains("STARTING UP")
        }
        let r = try await h.update("e", "long", state: "ABORTED")
        #expect(r.status == 200)
        let resultFile = "\(h.home)/.pegasus/ensembles/e/long.remove.result"
        try await h.until(timeout: 10, "pegasus-remove to finish") {
            FileManager.default.fileExists(atPath: resultFile)
        }
        #expect(try String(contentsOfFile: resultFile, encoding: .utf8) == "0\n")
        #expect(h.log("e", "long").contains("marked for removal"))
        // The simulated DAGMan ends (removed): monitord.pid goes away after its WORKFLOW_TERMINATED row.
        try await h.until(timeout: 10, "the removed run to end") {
            !FileManager.default.fileExists(atPath: submitdir + "/monitord.pid")
        }
        try await Task.sleep(for: .milliseconds(500))
        let w = try await h.workflow("e", "long")
        #expect(w.state == "ABORTED")
        #expect(w.states == ["READY", "PLANNING", "QUEUED", "RUNNING", "ABORTED"])
        #expect(try await h.workflow("e", "queued").state == "ABORTED")
        let finished = try await TestHTTP.send(
            "POST", h.url + "/ensembles/e/workflows/long", form: ["state": "ABORTED"])
        #expect(finished.status == 409)
    }

    /// A paused ensemble plans and starts nothing new but follows what is in flight; activating resumes at once.
    @Test func pauseAndActivate() async throws {
        let h = try Harness()
        try await h.createEnsemble("e", maxPlanning: 2, maxRunning: 2)
        try await h.submit("e", "inflight", args: ["--sim-start-delay", "0.05", "--sim-duration", "1.5"])
        try await h.wait("e", "inflight", for: ["RUNNING"])
        #expect(try await h.setEnsemble("e", state: "pause").status != 200)
        #expect(try await h.setEnsemble("e", state: "paused").status == 200)
        try await h.submit("e", "waiting")
        let done = try await h.wait("e", "inflight", for: ["SUCCESSFUL", "FAILED"])
        #expect(done.state == "SUCCESSFUL")
        #expect(try await h.workflow("e", "waiting").state == "READY")
        let started = Date()
        #expect(try await h.setEnsemble("e", state: "ACTIVE").status == 200)
        let w = try await h.wait("e", "waiting", for: ["SUCCESSFUL", "FAILED", "PLAN_FAILED", "RUN_FAILED"])
        #expect(w.state == "SUCCESSFUL")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    /// `pegasus-em hold` / `release` through the client: HELD behaves as PAUSED (Pegasus' rule).
    @Test func holdAndRelease() async throws {
        let h = try Harness()
        try await h.createEnsemble("e")
        let hold = try h.client(["hold", "e"])
        #expect(hold.status == 0, "\(hold.stdout)\(hold.stderr)")
        #expect(hold.stdout.contains("HELD"))
        let submit = try h.client(["submit", "e.w", "./plan.sh"] + Harness.fast)
        #expect(submit.status == 0, "\(submit.stdout)\(submit.stderr)")
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await h.workflow("e", "w").state == "READY")
        let release = try h.client(["release", "e"])
        #expect(release.status == 0, "\(release.stdout)\(release.stderr)")
        #expect(release.stdout.contains("ACTIVE"))
        let w = try await h.wait("e", "w", for: ["SUCCESSFUL", "FAILED", "PLAN_FAILED", "RUN_FAILED"])
        #expect(w.state == "SUCCESSFUL")
        #expect(w.json["plan_argv"] as? [String] == [h.base.file("plan.sh")] + Harness.fast)
        let status = try h.client(["status", "e.w"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("SUCCESSFUL"), "\(status.stdout)")
    }

    /// Priority edits while RUNNING bump `updated`; in Pegasus a termination older than the edit is then ignored
    /// forever (a Pegasus defect, docs/lifecycle.md). Here the termination rows are written *after* the edit but stamped *before* it, as
    /// when monitord records the end and the user edits before the scheduler looks: still SUCCESSFUL / FAILED.
    @Test func priorityEditsNeverHideATermination() async throws {
        let h = try Harness()
        try await h.createEnsemble("e", maxPlanning: 3, maxRunning: 3)
        // A normal run, edited while it runs.
        try await h.submit("e", "edited", args: ["--sim-start-delay", "0.05", "--sim-duration", "1"])
        // Runs whose end the test writes itself (monitord silent).
        try await h.submit("e", "ok", args: ["--sim-no-monitord"])
        try await h.submit("e", "bad", args: ["--sim-no-monitord"])
        try await h.wait("e", "edited", for: ["RUNNING"])
        #expect(try await h.update("e", "edited", priority: 7).status == 200)
        let edited = try await h.wait("e", "edited", for: ["SUCCESSFUL", "FAILED"])
        #expect(edited.state == "SUCCESSFUL")
        #expect(edited.priority == 7)

        let ok = try await h.wait("e", "ok", for: ["RUNNING"])
        let bad = try await h.wait("e", "bad", for: ["RUNNING"])
        let runStart = max(ok.history.last!.time, bad.history.last!.time)
        // Let time pass so the termination can be stamped after the run start but before the edit.
        try await Task.sleep(for: .milliseconds(1200))
        #expect(try await h.update("e", "ok", priority: 3).status == 200)
        #expect(try await h.update("e", "bad", priority: -3).status == 200)
        let editTime = try await h.workflow("e", "ok").json["updated"] as? Double ?? 0
        #expect(editTime > runStart + 1)
        let ended = editTime - 0.5
        try await h.recordTermination(uuid: ok.wfUUID!, status: 0, started: runStart + 0.2, ended: ended)
        try await h.recordTermination(uuid: bad.wfUUID!, status: 1, started: runStart + 0.2, ended: ended)
        let okEnd = try await h.wait("e", "ok", for: ["SUCCESSFUL", "FAILED"], timeout: 5)
        let badEnd = try await h.wait("e", "bad", for: ["SUCCESSFUL", "FAILED"], timeout: 5)
        #expect(okEnd.state == "SUCCESSFUL")
        #expect(badEnd.state == "FAILED")
        #expect(badEnd.reason == "workflow terminated with status 1")
        // Editing a finished workflow's priority is allowed and changes nothing else.
        #expect(try await h.update("e", "ok", priority: 9).status == 200)
        let after = try await h.workflow("e", "ok")
        #expect(after.state == "SUCCESSFUL" && after.priority == 9)
        #expect(after.history.count == okEnd.history.count)
    }
}
