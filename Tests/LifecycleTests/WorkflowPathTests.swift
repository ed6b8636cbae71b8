import EMTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The planner's pids (the simulator's `pegasus-plan`) running in `directory`.
func planners(in directory: String) -> [Int32] {
    let target = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
    return processes(matching: "pegasus-plan").filter { pid in
        guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else {
            return false
        }
        return cwd == target
    }
}

/// Every path through the lifecycle (docs/lifecycle.md), end to end: a real
/// server, real planners and pegasus-run (the simulator), the real store and master DB. `EM_INTERVAL` is 30 s,
/// so reaching each state in a few seconds shows the scheduler is woken by events, not by its interval.
@Suite(.timeLimit(.minutes(1)))
struct WorkflowPathTests {
    @Test func successfulWorkflow() async throws {
        let h = try Harness()
        try await h.createEnsemble("e")
        // Arguments reach the planner verbatim (argv array, no shell).
        let odd = ["two words", "$HOME", "`id`", "\"dq\"", "it's", "*"]
        try h.script(
            "plan-args.sh",
            """
            #!/bin/sh
            for a in "$@"; do printf '[%s]\\n' "$a"; done > args.txt
            exec pegasus-plan --dir submit --sites condorpool --output-sites local wf.yml \(Harness.fast.joined(separator: " "))
            """)
        let started = Date()
        try await h.submit("e", "w", argv: [h.base.file("plan-args.sh")] + odd)
        let w = try await h.wait("e", "w", for: ["SUCCESSFUL", "FAILED", "PLAN_FAILED", "RUN_FAILED"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(w.state == "SUCCESSFUL")
        #expect(elapsed < 10, "event-driven: well under EM_INTERVAL (30 s), took \(elapsed) s")
        #expect(w.states == ["READY", "PLANNING", "QUEUED", "RUNNING", "SUCCESSFUL"])
        #expect(w.reason == "workflow terminated with status 0")
        #expect(
            w.history.map(\.reason) == [
                "submitted", w.history[1].reason, "planned: submit directory \(w.submitdir ?? "?")",
                w.history[3].reason, "workflow terminated with status 0",
            ])
        #expect(w.history[1].reason?.hasPrefix("planning started (pid ") == true)
        #expect(w.history[3].reason?.hasPrefix("pegasus-run started (pid ") == true)
        #expect(zip(w.history, w.history.dropFirst()).allSatisfy { $0.time <= $1.time })
        let submitdir = try #require(w.submitdir)
        #expect(submitdir.hasPrefix(h.base.path + "/submit/"))
        #expect(FileManager.default.fileExists(atPath: submitdir + "/braindump.yml"))
        #expect(w.wfUUID?.count == 36)
        #expect(
            try String(contentsOfFile: h.base.file("args.txt"), encoding: .utf8) == odd.map { "[\($0)]\n" }.joined())
        // The log has the planner's output, then pegasus-run's.
        let log = h.log("e", "w")
        let plannerLine = try #require(log.range(of: "pegasus-run  \(submitdir)"))
        let runLine = try #require(log.range(of: "Your workflow has been started"))
        #expect(plannerLine.lowerBound < runLine.lowerBound)
        #expect(w.log == "\(h.home)/.pegasus/ensembles/e/w.log")
    }

    @Test func failedWorkflow() async throws {
        let h = try Harness()
        try await h.createEnsemble("e")
        try await h.submit("e", "w", args: Harness.fast + ["--sim-status", "1"])
        let w = try await h.wait("e", "w", for: ["SUCCESSFUL", "FAILED", "PLAN_FAILED", "RUN_FAILED"])
        #expect(w.state == "FAILED")
        #expect(w.reason == "workflow terminated with status 1")
        #expect(w.states == ["READY", "PLANNING", "QUEUED", "RUNNING", "FAILED"])
        let report = try await TestHTTP.send("GET", h.url + "/ensembles/e/workflows/w/analyze")
        #expect(report.status == 200)
        #expect(report.body.contains("Workflow state is FAILED"))
        #expect(report.body.contains("pegasus-analyzer output is:"))
        #expect(report.body.contains("Workflow failure detected"))
    }

    /// Each planner fault ends in PLAN_FAILED with its reason, never stuck in PLANNING.
    @Test func planFailures() async throws {
        let h = try Harness()
        try await h.createEnsemble("e", maxPlanning: 8)
        // Pegasus 5.1 counts grep's status, so "printed the line, then exit 3" succeeded there.
        try h.script(
            "line-then-3.sh",
            """
            #!/bin/bash
            mkdir -p made/run0001
            printf 'wf_uuid: 11111111-2222-4333-8444-555555555555\\n' > made/run0001/braindump.yml
            echo "pegasus-run  $PWD/made/run0001"
            exit 3
            """)
        try h.script("exit-1.sh", "#!/bin/sh\necho planner failed >&2\nexit 1\n")
        let cases: [(name: String, args: [String]?, argv: [String]?, reason: String)] = [
            ("exit1", ["--sim-exit", "1"], nil, "the planner exited with code 1"),
            ("exit1script", nil, [h.base.file("exit-1.sh")], "the planner exited with code 1"),
            ("noline", ["--sim-no-run-line"], nil, "printed no `pegasus-run <submit dir>` line"),
            ("exit3", ["--sim-exit", "3"], nil, "the planner exited with code 3"),
            ("line3", nil, [h.base.file("line-then-3.sh")], "the planner exited with code 3"),
            ("nobraindump", ["--sim-no-braindump"], nil, "braindump.yml not found in "),
            ("baduuid", ["--sim-bad-braindump"], nil, "wf_uuid not found in braindump.yml"),
            ("badyaml", ["--sim-invalid-braindump"], nil, "is not valid YAML"),
        ]
        for c in cases {
            if let argv = c.argv {
                try await h.submit("e", c.name, argv: argv)
            } else {
                try await h.submit("e", c.name, args: c.args!)
            }
        }
        for c in cases {
            let w = try await h.wait("e", c.name, for: ["PLAN_FAILED", "QUEUED", "RUNNING", "SUCCESSFUL", "FAILED"])
            #expect(w.state == "PLAN_FAILED", "\(c.name)")
            #expect(w.reason?.contains(c.reason) == true, "\(c.name): \(w.reason ?? "nil")")
            #expect(w.states == ["READY", "PLANNING", "PLAN_FAILED"], "\(c.name)")
            #expect(w.history.last?.reason == w.reason)
            #expect(w.submitdir == nil && w.wfUUID == nil, "\(c.name)")
        }
        let report = try await TestHTTP.send("GET", h.url + "/ensembles/e/workflows/exit3/analyze")
        #expect(report.body.contains("Planner failure detected"))
        #expect(report.body.contains("LOG: "))
    }

    /// The simulator's `--sim-crash` (the planner SIGKILLs itself) and a SIGKILL from outside.
    @Test func plannerKilled() async throws {
        let h = try Harness()
        try await h.createEnsemble("e", maxPlanning: 2)
        try await h.submit("e", "crash", args: ["--sim-crash"])
        let crashed = try await h.wait("e", "crash", for: ["PLAN_FAILED", "QUEUED", "RUNNING", "SUCCESSFUL"])
        #expect(crashed.state == "PLAN_FAILED")
        #expect(crashed.reason == "the planner was killed by signal 9")

        try await h.submit("e", "killed", args: ["--sim-sleep", "30"])
        try await h.wait("e", "killed", for: ["PLANNING"])
        var pids: [Int32] = []
        try await h.until("the planner process") {
            pids = planners(in: h.base.path)
            return !pids.isEmpty
        }
        #expect(pids.count == 1)
        for pid in pids { kill(pid, SIGKILL) }
        let w = try await h.wait("e", "killed", for: ["PLAN_FAILED", "QUEUED"], timeout: 5)
        #expect(w.reason == "the planner was killed by signal 9")
        #expect(w.states == ["READY", "PLANNING", "PLAN_FAILED"])
    }

    @Test func planningTimeout() async throws {
        let h = try Harness(settings: ["PLANNING_TIMEOUT": "1"])
        try await h.createEnsemble("e")
        try await h.submit("e", "slow", args: ["--sim-sleep", "30"])
        // PLANNING lasts only the 1 s timeout: a loaded machine may not show it to a poller, the history does.
        let w = try await h.wait("e", "slow", for: ["PLAN_FAILED"], timeout: 20)
        #expect(w.reason == "planning timed out after 1 s")
        #expect(w.states == ["READY", "PLANNING", "PLAN_FAILED"])
        // The planner's whole process group was killed.
        try await h.until(timeout: 5, "the planner to be gone") { planners(in: h.base.path).isEmpty }
    }

    @Test func runFailed() async throws {
        let h = try Harness()
        try await h.createEnsemble("e")
        try await h.submit("e", "w", args: ["--sim-run-exit", "2"])
        let w = try await h.wait("e", "w", for: ["RUN_FAILED", "SUCCESSFUL", "FAILED", "PLAN_FAILED"])
        #expect(w.state == "RUN_FAILED")
        #expect(w.reason?.hasPrefix("the pegasus-run exited with code 2") == true, "\(w.reason ?? "nil")")
        // The reason quotes the end of pegasus-run's output.
        #expect(w.reason?.contains("failed with 2") == true, "\(w.reason ?? "nil")")
        #expect(w.states == ["READY", "PLANNING", "QUEUED", "RUNNING", "RUN_FAILED"])
        let report = try await TestHTTP.send("GET", h.url + "/ensembles/e/workflows/w/analyze")
        #expect(report.body.contains("pegasus-run failure detected"))
    }

    /// No master DB row long after pegasus-run (monitord not writing there): a diagnostic, not a state change
    /// (a Pegasus defect fixed); it appears once MASTER_DB_GRACE has passed, without waiting for EM_INTERVAL.
    @Test func missingMasterRowsGiveADiagnostic() async throws {
        let h = try Harness(settings: ["MASTER_DB_GRACE": "1"])
        try await h.createEnsemble("e")
        try await h.submit("e", "w", args: ["--sim-no-monitord"])
        let running = try await h.wait("e", "w", for: ["RUNNING"])
        #expect(running.json["diagnostic"] is NSNull)
        var diagnostic: String?
        try await h.until(timeout: 6, "the diagnostic") {
            diagnostic = try await h.workflow("e", "w").json["diagnostic"] as? String
            return diagnostic != nil
        }
        #expect(
            diagnostic?.hasPrefix("no master DB row for wf_uuid \(running.wfUUID!) in \(h.home)/.pegasus/workflow.db")
                == true)
        #expect(try await h.workflow("e", "w").state == "RUNNING")
        let now = Date().timeIntervalSince1970
        try await h.recordTermination(uuid: running.wfUUID!, status: 0, started: now - 0.5, ended: now)
        let w = try await h.wait("e", "w", for: ["SUCCESSFUL", "FAILED"], timeout: 5)
        #expect(w.state == "SUCCESSFUL")
        #expect(w.json["diagnostic"] is NSNull)
    }

    /// FAILED, replan to a new submit directory (whose first run fails again), then rerun: the new directory's
    /// DAGMan restart count starts at 0 again, and its second run's termination is recognised.
    @Test func replanThenRerun() async throws {
        let h = try Harness()
        try await h.createEnsemble("e")
        try await h.submit("e", "w", args: Harness.fast + ["--sim-fail-first-run"])
        let first = try await h.wait("e", "w", for: ["FAILED", "SUCCESSFUL", "PLAN_FAILED", "RUN_FAILED"])
        #expect(first.state == "FAILED")
        #expect(try await h.update("e", "w", state: "READY").status == 200)
        try await Task.sleep(for: .milliseconds(200))
        let second = try await h.wait("e", "w", for: ["FAILED", "SUCCESSFUL", "PLAN_FAILED", "RUN_FAILED"])
        #expect(second.state == "FAILED")
        #expect(second.submitdir != first.submitdir)
        #expect(try await h.update("e", "w", state: "QUEUED").status == 200)
        try await Task.sleep(for: .milliseconds(200))
        let w = try await h.wait("e", "w", for: ["SUCCESSFUL", "FAILED", "RUN_FAILED"])
        #expect(w.state == "SUCCESSFUL")
        #expect(w.submitdir == second.submitdir)
    }

    /// FAILED, then rerun (QUEUED): pegasus-run again on the same submit directory; the first run's termination
    /// in the master DB does not count for the second.
    @Test func failedThenRerun() async throws {
        let h = try Harness()
        try await h.createEnsemble("e")
        try await h.submit("e", "w", args: Harness.fast + ["--sim-fail-first-run"])
        let failed = try await h.wait("e", "w", for: ["FAILED", "SUCCESSFUL", "PLAN_FAILED", "RUN_FAILED"])
        #expect(failed.state == "FAILED")
        let rerun = try await h.update("e", "w", state: "QUEUED")
        #expect(rerun.status == 200)
        let w = try await h.wait("e", "w", for: ["SUCCESSFUL", "FAILED", "RUN_FAILED"])
        #expect(w.state == "SUCCESSFUL")
        #expect(w.submitdir == failed.submitdir)
        #expect(w.wfUUID == failed.wfUUID)
        #expect(
            w.states == ["READY", "PLANNING", "QUEUED", "RUNNING", "FAILED", "QUEUED", "RUNNING", "SUCCESSFUL"])
        #expect(w.history[5].reason == "rerun requested")
    }

    /// PLAN_FAILED, the user fixes the plan script, replan (READY): the workflow plans again and succeeds; the
    /// log is appended to, and the old plan's output is not mistaken for the new one's.
    @Test func replanAfterFix() async throws {
        let h = try Harness()
        try await h.createEnsemble("e")
        let script = try h.script("flaky.sh", "#!/bin/sh\necho 'first attempt: broken'\nexit 1\n")
        try await h.submit("e", "w", argv: [script])
        let failed = try await h.wait("e", "w", for: ["PLAN_FAILED", "QUEUED", "SUCCESSFUL"])
        #expect(failed.state == "PLAN_FAILED")
        #expect(failed.reason == "the planner exited with code 1")

        try h.script(
            "flaky.sh",
            "#!/bin/sh\nexec pegasus-plan --dir submit --sites condorpool --output-sites local wf.yml "
                + Harness.fast.joined(separator: " ") + "\n")
        let replan = try await h.update("e", "w", state: "READY")
        #expect(replan.status == 200)
        let w = try await h.wait("e", "w", for: ["SUCCESSFUL", "FAILED", "PLAN_FAILED", "RUN_FAILED"])
        #expect(w.state == "SUCCESSFUL")
        #expect(
            w.states == [
                "READY", "PLANNING", "PLAN_FAILED", "READY", "PLANNING", "QUEUED", "RUNNING", "SUCCESSFUL",
            ])
        #expect(w.history[3].reason == "replan requested")
        let log = h.log("e", "w")
        #expect(log.hasPrefix("first attempt: broken\n"))
        #expect(log.contains("Your workflow has been started"))
    }
}
