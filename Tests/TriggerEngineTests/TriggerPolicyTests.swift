import EMTestSupport
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Overlap and failure policies, fire now and preview (issue 14), against the built server.
@Suite("Trigger policies, fire now and preview, end to end", .enabled(if: serverBuilt))
struct TriggerPolicyTests {
    @Test(
        "overlap skip: ticks are skipped (and recorded) while the trigger's workflow still plans",
        .timeLimit(.minutes(1)))
    func overlapSkip() async throws {
        let h = try await TriggerHarness()
        let slow = try h.script("slow.sh", "sleep 4\nexit 1")
        let id = try await h.create(
            "cron", "slow", ["interval": "1s", "overlap": "skip", "workflow_script": slow])
        try await h.until(timeout: 20, "the first workflow to end") { try h.workflowStates(id).first == "PLAN_FAILED" }
        let detail = try await h.trigger("slow")
        #expect(detail["overlap"] as? String == "skip")
        let skipped = detail["skipped_ticks"] as? Int ?? 0
        #expect(skipped >= 2, "\(detail)")
        let lastSkip = try #require(detail["last_skip"] as? [String: Any])
        let reason = lastSkip["reason"] as? String ?? ""
        #expect(reason.hasSuffix("is still PLANNING") || reason.hasSuffix("is still READY"), "\(lastSkip)")
        // Never two workflows of the trigger active at once.
        let states = try h.workflowStates(id)
        #expect(states.filter { ["READY", "PLANNING", "QUEUED", "RUNNING"].contains($0) }.count <= 1, "\(states)")
        #expect(states.count <= 2, "\(states)")
        // Repeated skips for the same workflow (and state) are one history row that counts.
        let history = detail["history"] as? [[String: Any]] ?? []
        let skips = history.filter { $0["event"] as? String == "skipped" }
        #expect(skips.count <= 2, "\(skips)")
        #expect(skips.map { $0["count"] as? Int ?? 0 }.reduce(0, +) == skipped)
    }

    @Test(
        "overlap skip with a workflow that runs (simulated pegasus-run) longer than the interval: one at a time",
        .timeLimit(.minutes(1)))
    func overlapSkipWhileRunning() async throws {
        let h = try await TriggerHarness()
        _ = try h.work.write("wf.yml", "pegasus: \"5.0\"\nname: diamond\njobs: []\n")
        // The documented plan script with the simulator's knobs: planned at once, then RUNNING for 3 s.
        let plan = try h.script(
            "plan.sh",
            "exec pegasus-plan --dir submit --sites condorpool --output-sites local wf.yml "
                + "--sim-start-delay 0.05 --sim-duration 3")
        let id = try await h.create("cron", "runs", ["interval": "1s", "overlap": "skip", "workflow_script": plan])
        try await h.until(timeout: 20, "the first workflow to succeed") {
            try h.workflowStates(id).first == "SUCCESSFUL"
        }
        let detail = try await h.trigger("runs")
        #expect(detail["skipped_ticks"] as? Int ?? 0 >= 2, "\(detail)")
        let reasons = (detail["history"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
        #expect(reasons.contains { $0.hasSuffix("is still RUNNING") }, "\(reasons)")
        // The ticks while it ran were skipped, not queued: at most the one after it ended followed.
        #expect(try h.workflowCount(id) <= 2)
        #expect(try h.workflowStates(id).filter { $0 != "SUCCESSFUL" }.count <= 1)
    }

    @Test(
        "overlap skip on a file trigger keeps the files for the tick after the workflow ended", .timeLimit(.minutes(1)))
    func overlapSkipKeepsFiles() async throws {
        let h = try await TriggerHarness()
        let slow = try h.script("slow.sh", "sleep 3\nexit 1")
        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let id = try await h.fileTrigger(
            "inbox", patterns: [dir + "/*.dat"], mode: "inotify", ["overlap": "skip", "workflow_script": slow])
        let first = try h.writeFiles(dir, prefix: "a", count: 1)
        try await h.untilSubmitted(id, first)
        let second = try h.writeFiles(dir, prefix: "b", count: 3)
        try await Task.sleep(for: .seconds(1.5))
        #expect(try h.workflowCount(id) == 1, "submitted while the first workflow was still planning")
        try await h.untilSubmitted(id, second, timeout: 20)
        let workflows = try h.workflows(id)
        #expect(workflows.count == 2)
        #expect(workflows.last?.inputs == second)
        #expect(try await h.trigger("inbox")["skipped_ticks"] as? Int ?? 0 >= 1)
    }

    @Test("overlap buffer-one: one tick waits for the running workflow and goes when it ends", .timeLimit(.minutes(1)))
    func overlapBufferOne() async throws {
        let h = try await TriggerHarness()
        // Ticks at +0, +3, +6 s; the first workflow plans until about +3.2 s, so the +3 s tick is buffered and
        // must go when it ends, well before the +6 s tick.
        let slow = try h.script("slow.sh", "sleep 3.2\nexit 1")
        let id = try await h.create(
            "cron", "slow", ["interval": "3s", "overlap": "buffer-one", "workflow_script": slow])
        let created = try #require(try await h.trigger("slow")["created"] as? Double)
        try await h.until(timeout: 10, "the buffered tick") { try await h.trigger("slow")["buffered"] as? Bool == true }
        try await h.until(timeout: 20, "the buffered workflow") { try h.workflowCount(id) >= 2 }
        let (firstEnd, secondCreated) = try h.read { db in
            (
                try Double.fetchOne(
                    db,
                    sql: """
                        SELECT h.time FROM workflow_history h JOIN workflow w ON w.id = h.workflow_id
                        WHERE w.trigger_id = ? AND h.to_state = 'PLAN_FAILED' ORDER BY h.id LIMIT 1
                        """, arguments: [id]) ?? 0,
                try Double.fetchOne(
                    db, sql: "SELECT created FROM workflow WHERE trigger_id = ? ORDER BY id LIMIT 1 OFFSET 1",
                    arguments: [id]) ?? 0
            )
        }
        // The second workflow is the buffered +3 s tick, submitted right after the first workflow ended.
        let fires = try h.fires(id).map { ($0.tick - created).rounded() }
        #expect(fires.prefix(2) == [0, 3], "\(fires)")
        #expect(secondCreated >= firstEnd)
        #expect(secondCreated < created + 6, "second workflow \(secondCreated - created) s after the creation")
        #expect(try await h.events("slow").contains("buffered"))
        try await h.until(timeout: 5, "the buffer to clear") {
            try await h.trigger("slow")["buffered"] as? Bool == false
        }
    }

    @Test(
        "pause_after_failures 3 with a script that always fails: paused after 3 workflows, with the reason",
        .timeLimit(.minutes(1)))
    func pauseAfterFailures() async throws {
        let h = try await TriggerHarness()
        let id = try await h.create("cron", "failing", ["interval": "3s", "pause_after_failures": "3"])
        try await h.until(timeout: 20, "the failure policy to pause the trigger") {
            try await h.trigger("failing")["state"] as? String == "PAUSED"
        }
        try await Task.sleep(for: .seconds(6.5))
        #expect(try h.workflowStates(id) == ["PLAN_FAILED", "PLAN_FAILED", "PLAN_FAILED"])
        let detail = try await h.trigger("failing")
        #expect(detail["consecutive_failures"] as? Int == 3)
        #expect(detail["pause_after_failures"] as? Int == 3)
        let reason = try #require(detail["reason"] as? String)
        #expect(reason.hasPrefix("paused after 3 consecutive failed workflows (last: failing_"), "\(reason)")
        #expect(reason.hasSuffix(" PLAN_FAILED)"))
        #expect(h.server.log.contains("trigger paused"))
        #expect(try await h.events("failing") == ["created", "self-paused"])
        // Resumed, it starts counting again.
        #expect(try await h.verb("resume", "failing").status == 200)
        let resumed = try await h.trigger("failing")
        #expect(resumed["state"] as? String == "RUNNING")
        #expect(resumed["consecutive_failures"] as? Int == 0)
    }

    @Test(
        "fire-trigger: one workflow now, outside the schedule; nothing to submit; refused while paused",
        .timeLimit(.minutes(1)))
    func fireNow() async throws {
        let h = try await TriggerHarness()
        let id = try await h.create("cron", "hourly", ["interval": "1h"])
        try await h.until("the creation tick") { try h.workflowCount(id) == 1 }
        let nextFire = try await h.trigger("hourly")["next_fire"] as? Double
        let fired = try await h.verb("fire", "hourly")
        #expect(fired.status == 200)
        let names = try #require(fired.json["workflows"] as? [String])
        #expect(names.count == 1)
        #expect(fired.json["message"] as? String == "ensemble: e, trigger: hourly submitted 1 workflow(s): \(names[0])")
        #expect(try h.workflows(id).map(\.name).contains(names[0]))
        let after = try await h.trigger("hourly")
        #expect(after["next_fire"] as? Double == nextFire, "a manual fire moved the schedule")
        #expect(after["fire_count"] as? Int == 2)
        let event = try #require(try await h.history("hourly").first)
        #expect(event["event"] as? String == "fired" && event["user"] as? String == NSUserName())
        #expect(event["detail"] as? String == "submitted 1 workflow(s): \(names[0])")

        // Two at once: each gets a workflow of its own.
        async let one = h.verb("fire", "hourly")
        async let two = h.verb("fire", "hourly")
        let both = [try await one, try await two].map { $0.json["workflows"] as? [String] ?? [] }
        #expect(both.allSatisfy { $0.count == 1 }, "\(both)")
        #expect(Set(both.flatMap { $0 }).count == 2)
        #expect(try h.workflowCount(id) == 4)

        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let fileID = try await h.fileTrigger("files", patterns: [dir + "/*.dat"], mode: "inotify", ["interval": "1h"])
        let empty = try await h.verb("fire", "files")
        #expect(empty.status == 200)
        #expect(empty.json["message"] as? String == "ensemble: e, trigger: files: nothing to submit")
        let file = dir + "/now.dat"
        try FileWriter.write(file)
        try await Task.sleep(for: .milliseconds(300))
        let taken = try await h.verb("fire", "files")
        #expect((taken.json["workflows"] as? [String])?.count == 1, "\(taken.json)")
        #expect(try h.inputCounts(fileID) == [file: 1])

        try await h.verb("pause", "hourly")
        let refused = try await h.verb("fire", "hourly")
        #expect(refused.status == 409)
        #expect(try h.workflowCount(id) == 4)
        _ = try await h.stop("hourly")
        #expect(try await h.verb("fire", "hourly").status == 409)
        #expect(try await h.verb("resume", "hourly").status == 409)
    }

    @Test(
        "trigger-preview: next fire times; ready, open and marker-waiting files; submits nothing",
        .timeLimit(.minutes(1)))
    func preview() async throws {
        // Files still open for writing are found by scans (no close event yet): one every second here.
        let h = try await TriggerHarness(settings: ["RECONCILE_INTERVAL": "1"])
        let cronID = try await h.create("cron", "hourly", ["cron": "0 * * * *", "timezone": "UTC"])
        let cron = try await h.preview("hourly", n: 3)
        #expect(cron.status == 200)
        let times = try #require(cron.json["fire_times"] as? [Double])
        #expect(times.count == 3)
        #expect(times.allSatisfy { $0.truncatingRemainder(dividingBy: 3600) == 0 })
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == 3600 })
        #expect(try h.workflowCount(cronID) == 0)
        #expect(try await h.preview("hourly", n: 0).status == 400)
        #expect(try await h.preview("hourly", n: 101).status == 400)

        let dir = h.path("in")
        try FileWriter.mkdirs(dir)
        let id = try await h.fileTrigger(
            "files", patterns: [dir + "/*.dat"], mode: "inotify", ["interval": "1h", "ready_marker": "*.done"])
        // The creation tick has passed with nothing to take.
        try await Task.sleep(for: .milliseconds(500))
        let ready = dir + "/ready.dat"
        try FileWriter.write(ready)
        try FileWriter.write(ready + ".done")
        let waiting = dir + "/waiting.dat"
        try FileWriter.write(waiting)
        let open = dir + "/open.dat"
        try FileWriter.write(open + ".done")
        let fd = Glibc.open(open, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        defer { close(fd) }
        try FileWriter.writeAll(fd, "partial\n", open)
        try await h.until("the files to be pending") {
            let p = try await h.preview("files")
            return (p.json["next_workflow"] as? [String]) == [ready] && (p.json["pending"] as? [Any])?.count == 2
        }
        let p = try await h.preview("files", n: 2)
        let pending = try #require(p.json["pending"] as? [[String: Any]])
        let reasons = Dictionary(uniqueKeysWithValues: pending.map { ($0["path"] as! String, $0["reason"] as! String) })
        #expect(reasons[open] == "writer open")
        #expect(reasons[waiting] == "waiting for ready marker \(waiting).done")
        #expect((p.json["fire_times"] as? [Double])?.count == 2)
        #expect(try h.workflowCount(id) == 0, "a preview submitted")
    }
}
