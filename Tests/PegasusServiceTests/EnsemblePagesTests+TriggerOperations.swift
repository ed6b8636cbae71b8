import EMTestSupport
import EnsembleCore
import EnsembleStore
import Foundation
import GRDB
import HTTPTypes
import Testing
import TriggerKit

@testable import PegasusService

/// The trigger operations on the pages: the PAUSED state, the overlap and failure policies with their counters,
/// the shared ledger and the trigger's history. Triggers are made and driven through the store's own API (the
/// engine's transactions and the operator's verbs); what the pages must show is read back from the store.
extension EnsemblePagesTests {
    /// Trigger `hourly` of a new ensemble `ops`, created by alice with overlap `buffer-one` and a pause after one
    /// failure. Its first workflow stays READY through three more ticks (the first is buffered, the next two are
    /// skipped and fold into one history row), then fails planning, so the trigger pauses itself; bob then raises
    /// the limit to 3 (it stays paused).
    static func selfPausedTrigger(_ store: EMStore) async throws -> TriggerRecord {
        _ = try await store.createEnsemble(name: "ops", maxPlanning: 1, maxRunning: 1)
        let now = EMStore.now()
        var definition = TriggerDefinition()
        definition.interval = 3600
        definition.overlap = "buffer-one"
        definition.pauseAfterFailures = 1
        let id = try await store.createTrigger(
            ensemble: "ops", EnsembleFixture.trigger("hourly", .cron, definition, nextFire: now + 3600, now: now),
            user: "alice"
        ).id!
        var results: [SubmissionResult] = []
        for hour in 0..<4 {
            let tick = now - Double(4 - hour) * 3600
            results.append(try await store.fireTrigger(id: id, tick: tick, nextFire: tick + 3600))
        }
        let workflow = try #require(results.first?.workflow)
        #expect(results.map(outcome) == ["submitted", "buffered", "skipped", "skipped"])
        let (_, w) = try await store.workflow(ensemble: "ops", name: workflow)
        try await store.updateWorkflow(id: w.id!, expecting: .ready) { _ in (.planFailed, "planner exited with 1") }
        _ = try await store.updateTrigger(ensemble: "ops", name: "hourly", user: "bob") { t, _ in
            t.definition.pauseAfterFailures = 3
            return ["pause_after_failures 1 -> 3"]
        }
        return try await store.trigger(ensemble: "ops", name: "hourly").1
    }

    /// What a tick's submission came to, without its name or reason.
    static func outcome(_ result: SubmissionResult) -> String {
        switch result {
        case .submitted: "submitted"
        case .nothing: "nothing"
        case .skipped: "skipped"
        case .buffered: "buffered"
        case .notRunning: "notRunning"
        }
    }

    /// The cells of each row of a trigger's history table: event, the `×count` (empty when 1), user, detail.
    static func historyRows(_ html: String) throws -> [[String]] {
        let table = section(html, from: "<table class=\"trigger-history\">")
        let regex = try Regex(
            #"<tr><td><time [^>]*>[^<]*</time></td><td>([^<]*?)(?: <span class="count">&times;(\d+)</span>)?</td>"#
                + #"<td>([^<]*)</td><td>([^<]*)</td></tr>"#)
        return table.matches(of: regex).map { match in
            (1...4).map { match.output[$0].substring.map(String.init) ?? "" }
        }
    }

    /// The same cells as the history table should show them for these stored rows (escaped).
    static func expectedRows(_ history: [TriggerHistoryRecord]) -> [[String]] {
        history.map { h in
            [
                HTML.escape(h.event), h.count > 1 ? "\(h.count)" : "", HTML.escape(h.user ?? ""),
                HTML.escape(h.detail ?? ""),
            ]
        }
    }

    @Test func pausedTriggerPageShowsStatePoliciesCountersAndHistory() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let t = try await Self.selfPausedTrigger(fx.store)
        #expect(t.state == .paused)
        #expect(t.consecutiveFailures == 1 && t.skippedTicks == 2 && t.bufferedTick != nil && t.lastSkipTime != nil)
        let reason = try #require(t.reason)
        #expect(reason.hasPrefix("paused after 1 consecutive failed workflows (last: hourly_"))
        #expect(reason.hasSuffix(" PLAN_FAILED)"))

        let (status, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers/ops/hourly")
        #expect(status == .ok)
        let state = Self.section(html, from: "<tr><th>State</th>", to: "</tr>")
        #expect(state.hasPrefix("<td><span class=\"state-PAUSED\">PAUSED</span>"))
        #expect(state.contains("<code>pegasus-em resume-trigger ops hourly</code>"))
        #expect(html.contains("<tr><th>Reason</th><td>\(HTML.escape(reason))</td></tr>"))
        #expect(html.contains("<tr><th>Next fire</th><td>&mdash; (paused)</td></tr>"))
        #expect(html.contains("http-equiv=\"refresh\" content=\"10\""), "a paused trigger is live: its page refreshes")

        let policies = Self.section(html, from: "<h2>Policies</h2>")
        #expect(policies.contains("<tr><th>Overlap</th><td>buffer-one <span class=\"note\">"))
        #expect(policies.contains("<tr><th>Pause after</th><td>3 consecutive failed workflows</td></tr>"))
        #expect(policies.contains("<tr><th>Consecutive failures</th><td>\(t.consecutiveFailures)</td></tr>"))
        #expect(policies.contains("<tr><th>Skipped ticks</th><td>\(t.skippedTicks)</td></tr>"))
        let lastSkip = Self.section(policies, from: "<tr><th>Last skip</th><td>", to: "</tr>")
        #expect(lastSkip.hasPrefix(EnsembleFormat.time(t.lastSkipTime).raw))
        #expect(lastSkip.hasSuffix(": \(HTML.escape(try #require(t.lastSkipReason)))</td>"))
        #expect(policies.contains("<tr><th>Buffered tick</th><td>\(EnsembleFormat.time(t.bufferedTick).raw) "))
        #expect(!policies.contains("<th>Ledger</th>"), "a trigger with its own ledger")

        // The history, latest first, as stored: the skips are one row counted twice.
        let stored = try await fx.store.triggerHistory(triggerID: t.id!, limit: 100)
        #expect(stored.map(\.event) == ["updated", "self-paused", "skipped", "buffered", "created"])
        #expect(stored.map(\.count) == [1, 1, 2, 1, 1])
        let rows = try Self.historyRows(html)
        #expect(rows == Self.expectedRows(stored))
        #expect(rows.first == ["updated", "", "bob", "pause_after_failures 1 -&gt; 3"])
        #expect(rows.last?.prefix(3) == ["created", "", "alice"])
    }

    @Test func pausedTriggerIsLiveInTheListsAndCountedOnTheEnsemblePages() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let t = try await Self.selfPausedTrigger(fx.store)
        let user = Self.user

        let (status, list) = try await Self.get(fx.home.path, "/u/\(user)/triggers?ensemble=ops")
        #expect(status == .ok)
        let row = Self.section(list, from: ">hourly</a>", to: "</tr>")
        #expect(row.contains("<td><span class=\"state-PAUSED\">PAUSED</span></td>"))
        #expect(row.hasSuffix("<td>\(HTML.escape(t.reason ?? "?"))</td>"), "the reason column says why")
        #expect(row.contains("<td>&mdash; (paused)</td>"), "no next fire while paused")
        #expect(list.contains("http-equiv=\"refresh\""), "the only trigger of ops is paused, and live")
        #expect(Layout.styleSheet.contains(".state-PAUSED"), "PAUSED has a colour of its own")

        // ops: one trigger, paused; no workflow active (its only workflow failed planning).
        let (_, ensembles) = try await Self.get(fx.home.path, "/u/\(user)/ensembles")
        let opsRow = Self.section(ensembles, from: ">ops</a>", to: "</tr>")
        #expect(opsRow.contains("?ensemble=ops\">1</a> (1 paused)</td>"))
        let (_, ops) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/ops")
        #expect(ops.contains("?ensemble=ops\">1</a> (0 running, 1 paused)</td>"))
        #expect(ops.contains("http-equiv=\"refresh\""), "a paused trigger keeps the ensemble page refreshing")
        // Ensembles without paused triggers read as before.
        let (_, alpha) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/alpha")
        #expect(alpha.contains("?ensemble=alpha\">2</a> (1 running)</td>"))

        // Once stopped, the trigger is history: no refresh, no paused count.
        try await fx.store.setTriggerState(id: t.id!, .stopped, reason: "stopped by the user")
        let (_, stopped) = try await Self.get(fx.home.path, "/u/\(user)/triggers/ops/hourly")
        #expect(!stopped.contains("http-equiv=\"refresh\""))
        #expect(!stopped.contains("resume-trigger"))
        let (_, after) = try await Self.get(fx.home.path, "/u/\(user)/ensembles/ops")
        #expect(after.contains("?ensemble=ops\">1</a> (0 running)</td>"))
    }

    @Test func storedTriggerTextIsEscaped() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let store = fx.store
        _ = try await store.createEnsemble(name: "ops", maxPlanning: 1, maxRunning: 1)
        var definition = TriggerDefinition()
        definition.interval = 600
        let evil = "<img src=x onerror=alert(1)>"
        _ = try await store.createTrigger(
            ensemble: "ops",
            EnsembleFixture.trigger("evil", .cron, definition, nextFire: EMStore.now() + 600, now: EMStore.now()),
            user: evil)
        _ = try await store.pauseTrigger(ensemble: "ops", name: "evil", user: evil)
        let skip = "<script>alert('skip')</script>"
        let detail = "<script>alert('detail')</script> & \"more\""
        // The skip counters are the engine's; set here as the skip transaction would.
        _ = try await store.updateTrigger(ensemble: "ops", name: "evil", user: "bob") { t, now in
            t.skippedTicks = 7
            t.lastSkipTime = now
            t.lastSkipReason = skip
            return [detail]
        }
        let (_, t) = try await store.trigger(ensemble: "ops", name: "evil")
        #expect(t.reason == "paused by \(evil)")

        let (status, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers/ops/evil")
        #expect(status == .ok)
        #expect(!html.contains("<script") && !html.contains("<img"))
        #expect(html.contains("<tr><th>Reason</th><td>paused by \(HTML.escape(evil))</td></tr>"))
        #expect(html.contains(": \(HTML.escape(skip))</td></tr>"), "the last skip reason")
        let rows = try Self.historyRows(html)
        #expect(rows == Self.expectedRows(try await store.triggerHistory(triggerID: t.id!, limit: 100)))
        #expect(rows.map(\.[0]) == ["updated", "paused", "created"])
        #expect(rows.first?[3] == "&lt;script&gt;alert(&#39;detail&#39;)&lt;/script&gt; &amp; &quot;more&quot;")
        #expect(rows.dropFirst().allSatisfy { $0[2] == HTML.escape(evil) }, "the users")
        // No policy given: the defaults.
        let policies = Self.section(html, from: "<h2>Policies</h2>")
        #expect(policies.contains("<tr><th>Overlap</th><td>allow <span class=\"note\">"))
        #expect(policies.contains("<tr><th>Pause after</th><td>never</td></tr>"))
        #expect(policies.contains("<tr><th>Skipped ticks</th><td>7</td></tr>"))
        #expect(!policies.contains("Buffered tick"))

        let (_, list) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers")
        #expect(!list.contains("<script") && !list.contains("<img"))
        #expect(Self.section(list, from: ">evil</a>", to: "</tr>").hasSuffix("<td>paused by \(HTML.escape(evil))</td>"))
    }

    @Test func historyShowsTheLatestFiftyEvents() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let id = fx.cronTriggerID
        try await fx.store.pool.write { db in
            for i in 0..<60 {
                try db.execute(
                    sql: """
                        INSERT INTO trigger_history (trigger_id, time, event, user, detail, count)
                        VALUES (?, ?, 'skipped', NULL, ?, ?)
                        """, arguments: [id, EMStore.now() + Double(i), "tick \(i)", i % 3 + 1])
            }
        }
        let (_, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers/alpha/nightly")
        let rows = try Self.historyRows(html)
        #expect(rows.count == EnsembleStoreReader.historyLimit)
        #expect(rows == Self.expectedRows(try await fx.store.triggerHistory(triggerID: id, limit: 50)))
        #expect(rows.first?[3] == "tick 59" && rows.last?[3] == "tick 10")
        #expect(rows.first?[1] == "3" && rows.last?[1] == "2", "the counts (59 % 3 + 1, 10 % 3 + 1)")
        #expect(html.contains("<h2>History <small>(latest first, at most 50)</small></h2>"))
        // A running trigger without policies.
        let policies = Self.section(html, from: "<h2>Policies</h2>")
        #expect(policies.contains("<tr><th>Consecutive failures</th><td>0</td></tr>"))
        #expect(policies.contains("<tr><th>Last skip</th><td>none</td></tr>"))
        #expect(!html.contains("resume-trigger"))
    }

    @Test func recreatedFileTriggerLinksTheLedgerItShares() async throws {
        let fx = try await EnsembleFixture.make()
        defer { fx.home.remove() }
        let store = fx.store
        try await store.setTriggerState(id: fx.fileTriggerID, .stopped, reason: "stopped by the user")
        let (_, old) = try await store.trigger(ensemble: "beta", name: "inbox")
        var again = old
        again.id = nil
        again.state = .running
        again.reason = nil
        again.fireCount = 0
        let created = try await store.createTrigger(ensemble: "beta", again, user: "alice")
        #expect(created.ledgerID == fx.fileTriggerID)

        let (_, html) = try await Self.get(fx.home.path, "/u/\(Self.user)/triggers/beta/inbox")
        let ledger = Self.section(html, from: "<tr><th>Ledger</th>", to: "</tr>")
        #expect(ledger.contains("inbox@\(fx.fileTriggerID)</a>"))
        let href = try #require(try Self.captures(#"href="([^"]+)""#, in: ledger).first)
        let (status, predecessor) = try await Self.get(fx.home.path, href)
        #expect(status == .ok, "the link leads to the ended trigger: \(href)")
        #expect(predecessor.contains("<h1>Trigger inbox@\(fx.fileTriggerID)</h1>"))
        #expect(predecessor.contains("state-STOPPED"))
        let rows = try Self.historyRows(html)
        #expect(rows == [["created", "", "alice", "shares the ledger of trigger id \(fx.fileTriggerID)"]])
    }
}
