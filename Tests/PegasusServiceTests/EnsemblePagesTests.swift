import EMTestSupport
import EnsembleCore
import EnsembleStore
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TriggerKit
import Watchers

@testable import PegasusService

/// A real ensemble manager store (`~/.pegasus/em.db`) written through the EM's own store API, and a master
/// database made by the Pegasus simulator's `make-master-db.sh`, in a temporary home. What the tests expect is
/// read back from the store (history order, counts), never restated by hand.
struct EnsembleFixture {
    let home: TemporaryDirectory
    let store: EMStore
    /// The wf_id of the linked workflow's UUID in the master database.
    let rootID: Int64
    let linkedUUID: String
    let unlinkedUUID: String
    let hostileReason: String
    let cronTriggerID: Int64
    let fileTriggerID: Int64
    /// Files of the batch whose workflow runs (not pending) and of the one still waiting for planning.
    static let submittedFiles = ["/data/in/a.csv", "/data/in/sub/b.txt"]
    static let pendingFiles = ["/data/in/c.csv"]
    /// How many workflows the `bulk` ensemble holds (more than a page).
    static let bulkCount = 205

    var emDatabase: String { home.path + "/.pegasus/em.db" }

    static func make() async throws -> EnsembleFixture {
        let home = try TemporaryDirectory(prefix: "ensemble-pages")
        do {
            return try await EnsembleFixture(home: home)
        } catch {
            home.remove()
            throw error
        }
    }

    private init(home: TemporaryDirectory) async throws {
        self.home = home
        let store = try EMStore(path: home.path + "/.pegasus/em.db")
        self.store = store
        _ = try await store.createEnsemble(name: "alpha", maxPlanning: 2, maxRunning: 3)
        _ = try await store.createEnsemble(name: "beta", maxPlanning: 1, maxRunning: 1)
        _ = try await store.updateEnsemble(name: "beta", state: .paused, maxPlanning: nil, maxRunning: nil)
        _ = try await store.createEnsemble(name: "bulk", maxPlanning: 1, maxRunning: 1)

        // alpha: a successful workflow known to the master DB, a plan failure with a hostile reason, a waiting
        // workflow, and a running one the master DB does not know.
        let linked = "0f4e6f1c-0000-4000-8000-00000000a11c"
        linkedUUID = linked
        let done = try await Self.submit(store, "alpha", "done")
        try await Self.move(store, done, [.planning, .queued, .running, .successful]) { w in
            w.wfUUID = linked
            w.submitdir = "/home/u/runs/done/run0001"
        }
        let failing = try await Self.submit(store, "alpha", "failing")
        try await Self.move(store, failing, [.planning])
        let reason = "<script>alert('pwned')</script> planner exited with 1"
        hostileReason = reason
        _ = try await store.updateWorkflow(id: failing, expecting: .planning) { _ in (.planFailed, reason) }
        _ = try await Self.submit(store, "alpha", "waiting")
        let unlinked = "0f4e6f1c-0000-4000-8000-0000000b0b00"
        unlinkedUUID = unlinked
        let running = try await Self.submit(store, "alpha", "running-unknown")
        try await Self.move(store, running, [.planning, .queued, .running]) { w in w.wfUUID = unlinked }
        _ = try await Self.submit(store, "beta", "stopped-early")
        _ = try await store.updateWorkflow(ensemble: "beta", name: "stopped-early", priority: 5, state: "ABORTED")

        // Triggers: a cron trigger that fired twice, a stopped interval trigger, a file trigger with two batches.
        let now = EMStore.now()
        var cron = TriggerDefinition()
        cron.cron = "0 3 * * *"
        cron.timezone = "Europe/Paris"
        cron.catchup = "one"
        let cronTrigger = try await store.createTrigger(
            ensemble: "alpha", Self.trigger("nightly", .cron, cron, nextFire: now + 3600, now: now))
        cronTriggerID = cronTrigger.id!
        _ = try await store.fireTrigger(id: cronTriggerID, tick: now - 7200, nextFire: now - 3600)
        _ = try await store.fireTrigger(id: cronTriggerID, tick: now - 3600, nextFire: now + 3600)

        var interval = TriggerDefinition()
        interval.interval = 300
        interval.timeout = 86400
        let stopped = try await store.createTrigger(
            ensemble: "alpha", Self.trigger("every5m", .cron, interval, nextFire: now, now: now))
        try await store.setTriggerState(id: stopped.id!, .stopped, reason: "stopped by the user")

        var files = TriggerDefinition()
        files.interval = 30
        files.filePatterns = ["/data/in/*.csv", "/data/in/**/*.txt", "/data/in/*.dat"]
        files.watchMode = "poll"
        files.maxFiles = 10
        let fileTrigger = try await store.createTrigger(
            ensemble: "beta", Self.trigger("inbox", .filePattern, files, nextFire: now + 30, now: now))
        fileTriggerID = fileTrigger.id!
        let first = try await store.submitTriggerFiles(
            id: fileTriggerID, files: Self.submittedFiles.enumerated().map { Self.ledger($1, inode: UInt64($0 + 1)) },
            nextFire: now + 30
        ).workflow
        let second = try await store.submitTriggerFiles(
            id: fileTriggerID, files: Self.pendingFiles.map { Self.ledger($0, inode: 99) }, nextFire: now + 60
        ).workflow
        if let first {
            let (_, w) = try await store.workflow(ensemble: "beta", name: first)
            try await Self.move(store, w.id!, [.planning, .queued, .running])
        }
        #expect(first != nil && second != nil)

        // bulk: more workflows than a page, written in one transaction.
        try await store.pool.write { db in
            let e = try Int64.fetchOne(db, sql: "SELECT id FROM ensemble WHERE name = 'bulk'") ?? 0
            for i in 0..<Self.bulkCount {
                try db.execute(
                    sql: """
                        INSERT INTO workflow (ensemble_id, name, basedir, plan_command, plan_argv, created, updated,
                            state, priority, state_changed) VALUES (?, ?, '/tmp', '"x"', '["x"]', ?, ?, 'SUCCESSFUL', 0, ?)
                        """, arguments: [e, String(format: "w%04d", i), now + Double(i), now + Double(i), now])
            }
        }

        // The master database knows the linked workflow only.
        let master = home.path + "/.pegasus/workflow.db"
        let script = Binaries.repositoryRoot.appendingPathComponent("tools/pegasus-standins/make-master-db.sh").path
        let result = try ProcessRunner.run([script, master])
        #expect(result.status == 0, "make-master-db.sh: \(result.stderr)")
        let queue = try DatabaseQueue(path: master)
        rootID = 7
        try await queue.write { [rootID, linked] db in
            try db.execute(
                sql: """
                    INSERT INTO master_workflow (wf_id, wf_uuid, dax_label, timestamp, submit_hostname, submit_dir,
                        user, db_url, archived) VALUES (?, ?, 'done', ?, 'localhost', '/home/u/runs/done/run0001',
                        'u', 'sqlite:////home/u/runs/done/run0001/done.stampede.db', 0)
                    """, arguments: [rootID, linked, now])
        }
    }

    private static func submit(_ store: EMStore, _ ensemble: String, _ name: String) async throws -> Int64 {
        let w = try await store.submitWorkflow(
            ensemble: ensemble,
            WorkflowSubmission(name: name, priority: 1, basedir: "/tmp", planArgv: ["/bin/plan", "--name", name]))
        return w.id!
    }

    /// Moves a workflow through states as the scheduler would, applying `edit` on the way.
    private static func move(
        _ store: EMStore, _ id: Int64, _ states: [WorkflowState],
        edit: @escaping @Sendable (inout WorkflowRecord) -> Void = { _ in }
    ) async throws {
        var current = try await store.pool.read { db in try WorkflowRecord.fetchOne(db, key: id)!.state }
        for state in states {
            let updated = try await store.updateWorkflow(id: id, expecting: current) { w in
                edit(&w)
                return (state, "now \(state.rawValue.lowercased())")
            }
            #expect(updated?.state == state)
            current = state
        }
    }

    /// A RUNNING trigger as a creation request makes it (`ensembleID` is set by the store).
    static func trigger(
        _ name: String, _ type: TriggerType, _ definition: TriggerDefinition, nextFire: Double, now: Double
    ) -> TriggerRecord {
        // The store's own initialiser (the fields added later, such as the policy counters, take their defaults).
        TriggerRecord(
            id: nil, ensembleID: 0, name: name, type: type, state: .running, reason: nil, created: now, updated: now,
            workflowScript: "/bin/make-workflow", workflowArgs: ["--site", "local"], definition: definition,
            basedir: "/tmp", priority: 0, nextFire: nextFire, deadline: definition.timeout.map { now + Double($0) },
            fireCount: 0, lastFire: nil)
    }

    private static func ledger(_ path: String, inode: UInt64) -> TriggerInput {
        TriggerInput(path: path, device: 1, inode: inode, size: 100 + Int64(inode), mtimeNanoseconds: 1)
    }

    /// The stored history of a workflow, as the states it went to.
    func history(_ ensemble: String, _ name: String) async throws -> [String] {
        let (_, w) = try await store.workflow(ensemble: ensemble, name: name)
        return try await store.history(workflowID: w.id!).map(\.toState.rawValue)
    }
}

/// The ensemble and trigger pages, through the real router and the in-process reader.
@Suite struct EnsemblePagesTests {
    /// The user the pages are requested for: not root (the tests may run as root, whose data is never served).
    static let user = "ensembler"

    /// NoAuthentication as ``user``, whose home is `home`; `others` are more users (name to home).
    static func access(home: String, admins: AdminPolicy = .nobody, others: [String: String] = [:]) -> AccessControl {
        TestService.access(home: home, user: user, admins: admins, others: others)
    }

    /// The service's real router (the dashboard mounts the ensemble pages).
    static func application(access: AccessControl, prefix: String = "") -> some ApplicationProtocol {
        TestService.application(access: access, prefix: prefix)
    }

    /// GETs a page and returns its status and body.
    static func get(
        _ home: String, _ path: String, prefix: String = "", admins: AdminPolicy = .nobody,
        others: [String: String] = [:]
    ) async throws -> (HTTPResponse.Status, String) {
        let access = access(home: home, admins: admins, others: others)
        return try await application(access: access, prefix: prefix).test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                (response.status, String(buffer: response.body))
            }
        }
    }

    /// The text between `start` and the next `end` after it.
    static func section(_ html: String, from start: String, to end: String = "</table>") -> String {
        guard let a = html.range(of: start) else { return "" }
        let rest = html[a.upperBound...]
        guard let b = rest.range(of: end) else { return String(rest) }
        return String(rest[..<b.lowerBound])
    }

    /// Every capture of `pattern`'s first group, in order.
    static func captures(_ pattern: String, in text: String) throws -> [String] {
        let regex = try Regex(pattern)
        return text.matches(of: regex).compactMap { match in
            match.output.count > 1 ? match.output[1].substring.map(String.init) : nil
        }
    }

    @Test func ensembleListShowsThrottlesAndCountsPerState() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let (status, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/ensembles")
        #expect(status == .ok)
        let ensembles = try await fx.store.ensembles()
        #expect(ensembles.count == 3)
        for e in ensembles {
            let row = Self.section(html, from: ">\(e.name)</a>", to: "</tr>")
            let cells = try Self.captures(#"<td class="num">(?:<a [^>]*>)?([^<]*)"#, in: row)
            let workflows = try await fx.store.workflows(ensemble: e.name)
            var expected = ["\(e.maxPlanning)", "\(e.maxRunning)", "\(workflows.count)"]
            expected += WorkflowState.allCases.map { s in "\(workflows.filter { $0.state == s }.count)" }
            #expect(Array(cells.prefix(expected.count)) == expected, "row of \(e.name)")
            #expect(row.contains("state-\(e.state.rawValue)"))
            #expect(html.contains("href=\"/u/\(Self.user)/ensembles/\(e.name)\""))
        }
        #expect(html.contains("http-equiv=\"refresh\""), "active workflows make the page refresh itself")
        #expect(html.contains("href=\"/u/\(Self.user)/ensembles/alpha?state=PLAN_FAILED\""))
    }

    @Test func ensemblePageListsWorkflowsWithHistoryAndMonitoringLinks() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let (status, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/ensembles/alpha")
        #expect(status == .ok)
        let workflows = try await fx.store.workflows(ensemble: "alpha")
        for w in workflows {
            #expect(html.contains("href=\"/u/\(Self.user)/ensembles/alpha/workflows/\(w.name)\""), "\(w.name)")
        }
        let link = "/u/\(Self.user)/r/\(fx.rootID)/w?wf_uuid=\(fx.linkedUUID)"
        #expect(html.contains("href=\"\(link)\""), "a workflow in the master DB links to its monitoring page")
        #expect(html.contains(fx.unlinkedUUID), "an unknown wf_uuid is shown")
        #expect(!html.contains("wf_uuid=\(fx.unlinkedUUID)"), "but not linked")
        // The history of `done`, oldest first, inside its details element.
        let row = Self.section(html, from: ">done</a>", to: "</details>")
        let states = try Self.captures(
            #"<td><span class="state-[A-Z_]+">[A-Z_]+</span></td><td><span class="state-([A-Z_]+)""#, in: row)
        let first = try Self.captures(#"<td>&mdash;</td><td><span class="state-([A-Z_]+)""#, in: row)
        let stored = try await fx.history("alpha", "done")
        #expect(first + states == stored)
        #expect(row.contains("<details><summary>\(stored.count) changes</summary>"))
        // The hostile reason is text.
        #expect(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; planner exited with 1"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("http-equiv=\"refresh\""))
        #expect(html.contains("/triggers?ensemble=alpha"))
    }

    @Test func ensemblePageFiltersByStateAndPages() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let user = Self.user
        let (status, failed) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/alpha?state=PLAN_FAILED")
        #expect(status == .ok)
        #expect(failed.contains("/workflows/failing\""))
        #expect(!failed.contains("/workflows/done\"") && !failed.contains("/workflows/waiting\""))
        let (bad, _) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/alpha?state=BOGUS")
        #expect(bad == .badRequest)
        let (badOffset, _) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/alpha?offset=-1")
        #expect(badOffset == .badRequest)

        let size = EnsembleStoreReader.pageSize
        let (_, first) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/bulk")
        let names = try Self.captures(#"/workflows/(w\d+)""#, in: first)
        #expect(names.count == size)
        #expect(names.first == String(format: "w%04d", EnsembleFixture.bulkCount - 1), "newest first")
        #expect(first.contains("?offset=\(size)\">Older</a>"))
        #expect(!first.contains("http-equiv=\"refresh\""), "nothing active in bulk")
        let (_, second) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/bulk?offset=\(size)")
        let rest = try Self.captures(#"/workflows/(w\d+)""#, in: second)
        #expect(rest.count == EnsembleFixture.bulkCount - size)
        #expect(Set(rest).isDisjoint(with: names))
        #expect(second.contains("?offset=0\">Newer</a>"))
    }

    @Test func workflowPageShowsHistoryReasonAndPlanCommand() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let user = Self.user
        let (status, html) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/alpha/workflows/done")
        #expect(status == .ok)
        let historyTable = Self.section(html, from: "<h2>State history</h2>")
        let to = try Self.captures(
            #"</time></td><td>(?:&mdash;|<span[^>]*>[A-Z_]+</span>)</td><td><span class="state-([A-Z_]+)""#,
            in: historyTable)
        #expect(to == (try await fx.history("alpha", "done")))
        #expect(html.contains("<code>/home/u/runs/done/run0001</code>"))
        let (_, w) = try await fx.store.workflow(ensemble: "alpha", name: "done")
        #expect(html.contains(HTML.escape(w.planCommand)), "the plan command, escaped")
        #expect(html.contains("href=\"/u/\(user)/r/\(fx.rootID)/w?wf_uuid=\(fx.linkedUUID)\""))
        #expect(!html.contains("http-equiv=\"refresh\""), "a finished workflow does not refresh")

        let (_, failing) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/alpha/workflows/failing")
        #expect(failing.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"))
        #expect(!failing.contains("<script>"))

        let (_, waiting) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/alpha/workflows/waiting")
        #expect(waiting.contains("http-equiv=\"refresh\" content=\"10\""), "an active workflow refreshes")

        let (_, unknown) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/alpha/workflows/running-unknown")
        #expect(unknown.contains("not in the master database") && !unknown.contains("wf_uuid=\(fx.unlinkedUUID)"))
    }

    @Test func triggerListShowsSchedulesWatchesAndFires() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let (status, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers")
        #expect(status == .ok)
        let all = try await fx.store.triggers(ensemble: "alpha") + fx.store.triggers(ensemble: "beta")
        #expect(all.count == 3)
        for t in all {
            let row = Self.section(html, from: ">\(t.name)</a>", to: "</tr>")
            let schedule =
                t.definition.cron.map { "cron \($0) (\(t.definition.timezone ?? "UTC"))" }
                ?? "every \(TriggerDuration.format(seconds: t.definition.interval ?? 0))"
            #expect(row.contains("<td class=\"schedule\">\(schedule)</td>"), "\(t.name): \(row)")
            #expect(row.contains("<td class=\"num\">\(t.fireCount)</td>"), "\(t.name) fire count")
            #expect(row.contains("state-\(t.state.rawValue)"))
        }
        let inbox = Self.section(html, from: ">inbox</a>", to: "</tr>")
        #expect(inbox.contains("<code>/data/in</code>") && inbox.contains("(poll)"))
        #expect(try Self.captures("(<code>)", in: inbox).count == 1, "one root for three patterns")
        #expect(Self.section(html, from: ">every5m</a>", to: "</tr>").contains("stopped by the user"))
        #expect(html.contains("http-equiv=\"refresh\""), "running triggers refresh the page")

        let (_, alpha) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers?ensemble=alpha")
        #expect(alpha.contains(">nightly</a>") && !alpha.contains(">inbox</a>"))
    }

    @Test func fileTriggerPageShowsPendingFilesAndSubmissions() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let (status, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers/beta/inbox")
        #expect(status == .ok)
        let pending = Self.section(html, from: "<h2>Pending files")
        for path in EnsembleFixture.pendingFiles {
            #expect(pending.contains("<code>\(path)</code>"), "\(path) is pending")
        }
        for path in EnsembleFixture.submittedFiles {
            #expect(!pending.contains(path), "\(path) went to a running workflow")
        }
        #expect(html.contains("<h2>Pending files (\(EnsembleFixture.pendingFiles.count))</h2>"))

        let (_, trigger) = try await fx.store.trigger(ensemble: "beta", name: "inbox")
        let submissions = try await fx.store.triggerSubmissions(triggerID: trigger.id!, limit: 50)
        let table = Self.section(html, from: "<table class=\"submissions\">")
        let listed = try Self.captures(#"/workflows/([^"]+)""#, in: table)
        #expect(listed == submissions.map(\.workflow), "newest first, as the store orders them")
        for s in submissions {
            let row = Self.section(table, from: "/workflows/\(s.workflow)\"", to: "</tr>")
            #expect(row.contains("<summary>\(EnsembleFormat.count(s.files.count, "file"))</summary>"))
            for f in s.files { #expect(row.contains("<code>\(f)</code>")) }
        }
        #expect(html.contains("<td>poll</td>") && html.contains("<code>/data/in/**/*.txt</code>"))
        #expect(html.contains("&quot;file_patterns&quot;"), "the definition as JSON")
        #expect(html.contains("http-equiv=\"refresh\""))
    }

    @Test func cronTriggerPageShowsFiresNewestFirst() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let (status, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers/alpha/nightly")
        #expect(status == .ok)
        let (_, trigger) = try await fx.store.trigger(ensemble: "alpha", name: "nightly")
        let submissions = try await fx.store.triggerSubmissions(triggerID: trigger.id!, limit: 50)
        #expect(submissions.count == trigger.fireCount)
        let listed = try Self.captures(
            #"/workflows/([^"]+)""#, in: Self.section(html, from: "<table class=\"submissions\">"))
        #expect(listed == submissions.map(\.workflow))
        #expect(html.contains("cron 0 3 * * * (Europe/Paris)"))
        #expect(html.contains("<tr><th>Fire count</th><td>\(trigger.fireCount)</td></tr>"))
        #expect(!html.contains("<h2>Pending files"), "no pending files for a schedule trigger")
        // The workflows a trigger submitted link back to it.
        let (_, workflow) = try await Self.get(
            fx.home.path, "/u/\(Self.user)/ensembles/alpha/workflows/\(listed.first ?? "")")
        #expect(workflow.contains("href=\"/u/\(Self.user)/triggers/alpha/nightly\""))

        let (_, stopped) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers/alpha/every5m")
        #expect(!stopped.contains("http-equiv=\"refresh\""), "a stopped trigger does not refresh")
        #expect(stopped.contains("<tr><th>Timeout</th><td>1d"))
    }

    @Test(arguments: [
        "ensembles/nope", "ensembles/alpha/workflows/nope", "ensembles/nope/workflows/done", "triggers/alpha/nope",
        "triggers/nope/nightly", "triggers/beta/nightly",
    ])
    func unknownThingsAre404(path: String) async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let (status, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/\(path)")
        #expect(status == .notFound)
        #expect(html.contains("<!DOCTYPE html>"), "an HTML error page")
    }

    @Test func missingStoreIsAFriendlyPage() async throws {
        let home = try TemporaryDirectory(prefix: "ensemble-pages-empty")
        defer { home.remove() }
        for page in ["ensembles", "triggers"] {
            let (status, html) = try await Self.get(home.path, "/u/\(Self.user)/\(page)")
            #expect(status == .ok)
            #expect(html.contains("has no ensembles"))
        }
        let (status, _) = try await Self.get(home.path, "/u/\(Self.user)/ensembles/alpha")
        #expect(status == .notFound)
    }

    @Test func linksCarryTheURLPrefix() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let user = Self.user
        let (status, html) = try await Self.get(fx.home.path, "/pegasus/u/\(user)/ensembles/alpha", prefix: "/pegasus")
        #expect(status == .ok)
        let hrefs = try Self.captures(#"href="([^"]+)""#, in: html)
        #expect(!hrefs.isEmpty)
        for href in hrefs { #expect(href.hasPrefix("/pegasus/"), "\(href)") }
        #expect(hrefs.contains("/pegasus/u/\(user)/r/\(fx.rootID)/w?wf_uuid=\(fx.linkedUUID)"))
    }

    @Test func otherUsersStoresNeedAdminRights() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let others = ["owner": fx.home.path]
        let empty = try TemporaryDirectory(prefix: "ensemble-pages-empty")
        defer { empty.remove() }
        for page in ["ensembles", "ensembles/alpha", "triggers", "triggers/alpha/nightly"] {
            let (denied, _) = try await Self.get(empty.path, "/u/owner/\(page)", others: others)
            #expect(denied == .forbidden, "\(page) of another user without admin rights")
            let (allowed, html) = try await Self.get(
                empty.path, "/u/owner/\(page)", admins: .users([Self.user]), others: others)
            #expect(allowed == .ok, "\(page) of another user for an admin")
            #expect(html.contains("/u/owner/"), "links lead to the owner's pages")
        }
    }
}
