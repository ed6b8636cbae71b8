import EMTestSupport
import EnsembleCore
import Foundation
import GRDB
import Testing

@testable import EnsembleServer

#if canImport(Glibc)
    import Glibc
#endif

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// Detached jobs (docs/lifecycle.md): liveness by pid and start time, result
/// files, argv passed without a shell, process-group kills.
@Suite(.timeLimit(.minutes(1)))
struct JobTests {
    func launcher() -> JobLauncher { JobLauncher(environment: ProcessInfo.processInfo.environment) }

    @Test func startTicksOfOwnProcess() {
        #expect(JobHandle.startTicks(of: getpid()) != nil)
        #expect(JobHandle.startTicks(of: Int32.max) == nil)
    }

    /// A live pid whose start time differs from the recorded one is another process: never "still planning".
    @Test func reusedPIDIsNotAlive() throws {
        let ticks = try #require(JobHandle.startTicks(of: getpid()))
        let temp = try TemporaryDirectory(prefix: "job")
        defer { temp.remove() }
        var job = JobHandle(
            kind: .plan, pid: getpid(), startTicks: ticks, processGroup: 0, logOffset: 0, startedAt: 0)
        #expect(job.isAlive)
        #expect(job.status(resultFile: temp.file("none")) == .running)
        job.startTicks = ticks - 1
        #expect(!job.isAlive)
        #expect(job.status(resultFile: temp.file("none")) == .vanished)
        // A result file decides, whatever the pid says.
        try temp.write("result", "3\n")
        #expect(job.status(resultFile: temp.file("result")) == .exited(3))
        // A pid that does not exist at all.
        let gone = JobHandle(
            kind: .run, pid: Int32.max - 1, startTicks: nil, processGroup: 0, logOffset: 0, startedAt: 0)
        #expect(!gone.isAlive)
    }

    /// A process that has ended but is not reaped yet (a zombie, as an orphaned waiter killed with its group is
    /// until init collects it) is not alive.
    @Test func zombieIsNotAlive() throws {
        let temp = try TemporaryDirectory(prefix: "job")
        defer { temp.remove() }
        // `sleep` (exec'd by the shell) never reaps the background `true`, which stays a zombie meanwhile.
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/bin/sh")
        parent.arguments = ["-c", "sleep 0.2 & echo $! > \(temp.file("pid")); exec sleep 30"]
        try parent.run()
        defer {
            kill(parent.processIdentifier, SIGKILL)
            parent.waitUntilExit()
        }
        #expect(
            eventually { (try? String(contentsOfFile: temp.file("pid"), encoding: .utf8))?.hasSuffix("\n") == true })
        let pid = try #require(
            Int32(
                try String(contentsOfFile: temp.file("pid"), encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        let ticks = try #require(JobHandle.startTicks(of: pid))
        let job = JobHandle(kind: .plan, pid: pid, startTicks: ticks, processGroup: 0, logOffset: 0, startedAt: 0)
        #expect(job.isAlive)
        #expect(
            eventually { (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") == true }
        )
        #expect(!job.isAlive)
        #expect(job.status(resultFile: temp.file("none")) == .vanished)
    }

    /// The start time is read after the last `)` of /proc/<pid>/stat, so a command name with `) ` in it does not
    /// shift the fields.
    @Test func startTicksWithParenthesesInTheCommandName() throws {
        let temp = try TemporaryDirectory(prefix: "job")
        defer { temp.remove() }
        let odd = temp.file("a) 1 2 3")
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: odd)
        let before = try #require(JobHandle.startTicks(of: getpid()))
        // exec can fail with ETXTBSY for a moment: a process forked concurrently by another test may still hold
        // the copy's write descriptor. Try again briefly.
        var attempt = 0
        var started: Process?
        while started == nil {
            let candidate = Process()
            candidate.executableURL = URL(fileURLWithPath: odd)
            candidate.arguments = ["30"]
            do {
                try candidate.run()
                started = candidate
            } catch  where attempt < 50 {
                attempt += 1
                usleep(20_000)
            }
        }
        let process = try #require(started)
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        #expect(
            eventually {
                (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/comm", encoding: .utf8))?.hasPrefix(
                    "a) 1") == true
            })
        let ticks = try #require(JobHandle.startTicks(of: process.processIdentifier))
        #expect(ticks >= before)
        let job = JobHandle(
            kind: .plan, pid: process.processIdentifier, startTicks: ticks, processGroup: 0, logOffset: 0,
            startedAt: 0)
        #expect(job.isAlive)
    }

    @Test func exitStatusReachesTheResultFile() async throws {
        let temp = try TemporaryDirectory(prefix: "job")
        defer { temp.remove() }
        let job = try await launcher().launch(
            kind: .plan, argv: ["/bin/sh", "-c", "echo planning; exit 7"], directory: temp.path,
            log: temp.file("logs/wf.log"), resultFile: temp.file("logs/wf.plan.result"))
        #expect(job.processGroup > 1)
        #expect(eventually { job.status(resultFile: temp.file("logs/wf.plan.result")) == .exited(7) })
        #expect(try String(contentsOfFile: temp.file("logs/wf.log"), encoding: .utf8) == "planning\n")
        #expect(eventually { !job.isAlive })
    }

    /// The argv reaches the planner verbatim: no shell expands `$`, backticks, quotes or globs.
    @Test func argvIsNotShellExpanded() async throws {
        let temp = try TemporaryDirectory(prefix: "job dir with spaces")
        defer { temp.remove() }
        try temp.write("a.txt", "")
        let args = ["two words", "$HOME", "`id`", "\"dq\"", "it's", "*.txt", ";", "$(echo x)", "back\\slash"]
        let job = try await launcher().launch(
            kind: .plan, argv: ["/usr/bin/printf", "[%s]\\n"] + args, directory: temp.path,
            log: temp.file("log dir/w.log"), resultFile: temp.file("log dir/w.plan.result"))
        #expect(eventually { job.status(resultFile: temp.file("log dir/w.plan.result")) == .exited(0) })
        let log = try String(contentsOfFile: temp.file("log dir/w.log"), encoding: .utf8)
        #expect(log == args.map { "[\($0)]\n" }.joined())
    }

    @Test func outputIsAppendedAndOffsetRecorded() async throws {
        let temp = try TemporaryDirectory(prefix: "job")
        defer { temp.remove() }
        try temp.write("w.log", "earlier run\n")
        let job = try await launcher().launch(
            kind: .run, argv: ["/bin/echo", "second"], directory: temp.path, log: temp.file("w.log"),
            resultFile: temp.file("w.run.result"))
        #expect(job.logOffset == 12)
        #expect(eventually { job.status(resultFile: temp.file("w.run.result")) == .exited(0) })
        #expect(PlanOutput.logTail(temp.file("w.log"), from: job.logOffset) == "second\n")
    }

    @Test func missingBasedirIsAnError() async throws {
        let temp = try TemporaryDirectory(prefix: "job")
        defer { temp.remove() }
        let error = await #expect(throws: EMError.self) {
            try await launcher().launch(
                kind: .plan, argv: ["/bin/true"], directory: temp.file("missing"), log: temp.file("w.log"),
                resultFile: temp.file("w.plan.result"))
        }
        #expect(error?.message == "the base directory \(temp.file("missing")) does not exist")
    }

    /// Killing only the planner (not its waiter) leaves a result of 128 + 9; killing the group leaves nothing.
    @Test func killedPlannerAndKilledGroup() async throws {
        let temp = try TemporaryDirectory(prefix: "job")
        defer { temp.remove() }
        let job = try await launcher().launch(
            kind: .plan, argv: ["/bin/sh", "-c", "echo $$ > planner.pid; exec sleep 30"], directory: temp.path,
            log: temp.file("a.log"), resultFile: temp.file("a.result"))
        #expect(
            eventually {
                (try? String(contentsOfFile: temp.file("planner.pid"), encoding: .utf8))?.hasSuffix("\n") == true
            })
        let planner = Int32(
            try String(contentsOfFile: temp.file("planner.pid"), encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines))!
        #expect(job.status(resultFile: temp.file("a.result")) == .running)
        // The planner is in the job's process group (its own session), not in ours.
        #expect(getpgid(planner) == job.processGroup)
        #expect(getsid(planner) == job.processGroup)
        kill(planner, SIGKILL)
        #expect(eventually { job.status(resultFile: temp.file("a.result")) == .exited(137) })

        let group = try await launcher().launch(
            kind: .plan, argv: ["/bin/sleep", "30"], directory: temp.path, log: temp.file("b.log"),
            resultFile: temp.file("b.result"))
        #expect(group.isAlive)
        group.signal(SIGKILL)
        #expect(eventually { group.status(resultFile: temp.file("b.result")) == .vanished })
        #expect(eventually { kill(-group.processGroup, 0) != 0 })
    }
}

/// Completion detection from the master DB (docs/lifecycle.md): only rows at or after the run's
/// start count, so a previous run's termination is ignored and later edits never hide a termination.
@Suite(.timeLimit(.minutes(1)))
struct MasterDatabaseTests {
    @Test func statesFollowRowsAfterTheRunStart() async throws {
        let temp = try TemporaryDirectory(prefix: "master")
        defer { temp.remove() }
        let path = temp.file("workflow.db")
        let made = try ProcessRunner.run(
            ["/usr/bin/env", "python3", Binaries.simulatorBin + "/_pegasus_sim_masterdb.py", path])
        #expect(made.status == 0)
        let uuids = (0..<6).map { String(format: "00000000-0000-4000-8000-%012d", $0) }
        let t0 = 1_700_000_000.0
        let writer = try DatabaseQueue(path: path)
        try await writer.write { db in
            for (i, uuid) in uuids.enumerated() where i > 0 {
                try db.execute(
                    sql: "INSERT INTO master_workflow (wf_id, wf_uuid, archived) VALUES (?, ?, 0)",
                    arguments: [i, uuid])
            }
            func state(_ id: Int, _ s: String, _ ts: Double, _ status: Int?) throws {
                try db.execute(
                    sql: """
                        INSERT INTO master_workflowstate (wf_id, state, timestamp, restart_count, status)
                        VALUES (?, ?, ?, 0, ?)
                        """, arguments: [id, s, ts, status])
            }
            // 1: started, no end yet. 2: ended 0. 3: ended 1. 4: the previous run ended before this run started.
            // 5: DAGMan whole-second stamps: start and end in the same second as the run start.
            try state(1, "WORKFLOW_STARTED", t0 + 1, nil)
            try state(2, "WORKFLOW_STARTED", t0 + 1, nil)
            try state(2, "WORKFLOW_TERMINATED", t0 + 5, 0)
            try state(3, "WORKFLOW_STARTED", t0 + 1, nil)
            try state(3, "WORKFLOW_TERMINATED", t0 + 5, 1)
            try state(4, "WORKFLOW_STARTED", t0 - 100, nil)
            try state(4, "WORKFLOW_TERMINATED", t0 - 50, 1)
            try state(5, "WORKFLOW_STARTED", t0, nil)
            try state(5, "WORKFLOW_TERMINATED", t0, 0)
        }
        let master = MasterDatabase(path: path)
        let states = try await master.states(Dictionary(uniqueKeysWithValues: uuids.map { ($0, t0 + 0.4) }))
        #expect(states[uuids[0]] == .unknown)
        #expect(states[uuids[1]] == .running)
        #expect(states[uuids[2]] == .terminated(status: 0))
        #expect(states[uuids[3]] == .terminated(status: 1))
        #expect(states[uuids[4]] == .running)
        #expect(states[uuids[5]] == .terminated(status: 0))
        #expect(try await MasterDatabase(path: temp.file("none.db")).states([uuids[1]: t0]) == [uuids[1]: .unknown])
    }
}
