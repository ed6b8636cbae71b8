import EnsembleCore
import Foundation
import GRDB
import TriggerKit

/// Ids of triggers whose workflows ended, yielded after the commit that ended them; the trigger engine listens
/// (a buffered tick may go, the failure policy may have paused the trigger). One listener.
public final class TriggerChangeFeed: Sendable {
    /// The ids, in commit order.
    public let changes: AsyncStream<Int64>
    private let continuation: AsyncStream<Int64>.Continuation

    init() {
        (changes, continuation) = AsyncStream.makeStream(of: Int64.self)
    }

    func yield(_ id: Int64) {
        continuation.yield(id)
    }
}

/// The operator's verbs on a trigger (pause, resume, update) and its history: each is one transaction that
/// changes the trigger and records what was done and by whom.
extension EMStore {
    /// Records an event in the trigger's history. With `coalesce`, an event equal to the latest one (same event,
    /// same detail) only counts up, so a trigger that skips every tick for a month keeps one row.
    static func recordEvent(
        _ db: Database, triggerID: Int64, _ event: String, user: String?, detail: String?, now: Double,
        coalesce: Bool = false
    ) throws {
        if coalesce,
            var last = try TriggerHistoryRecord.filter(Column("trigger_id") == triggerID).order(Column("id").desc)
                .fetchOne(db), last.event == event, last.detail == detail
        {
            last.count += 1
            last.time = now
            try last.update(db)
            return
        }
        var h = TriggerHistoryRecord(
            id: nil, triggerID: triggerID, time: now, event: event, user: user, detail: detail, count: 1)
        try h.insert(db)
    }

    /// The trigger's history, latest first.
    public func triggerHistory(triggerID: Int64, limit: Int) async throws -> [TriggerHistoryRecord] {
        try await pool.read { db in
            try TriggerHistoryRecord.filter(Column("trigger_id") == triggerID).order(Column("id").desc).limit(limit)
                .fetchAll(db)
        }
    }

    /// One trigger by id with its ensemble's name; nil when it is gone.
    public func trigger(id: Int64) async throws -> (ensemble: String, trigger: TriggerRecord)? {
        try await pool.read { db in
            guard let t = try TriggerRecord.fetchOne(db, key: id),
                let e = try EnsembleRecord.fetchOne(db, key: t.ensembleID)
            else { return nil }
            return (e.name, t)
        }
    }

    /// A workflow of a trigger ended: the failure count goes up (PLAN_FAILED, RUN_FAILED, FAILED) or back to 0
    /// (SUCCESSFUL; ABORTED counts neither way), and the failure policy pauses a running trigger that reached its
    /// limit, with the reason.
    static func workflowEnded(_ db: Database, triggerID: Int64, workflow: String, state: WorkflowState, now: Double)
        throws
    {
        guard var t = try TriggerRecord.fetchOne(db, key: triggerID) else { return }
        switch state {
        case .successful: t.consecutiveFailures = 0
        case .planFailed, .runFailed, .failed: t.consecutiveFailures += 1
        default: return
        }
        if let limit = t.definition.pauseAfterFailures, t.state == .running, t.consecutiveFailures >= limit {
            let reason =
                "paused after \(t.consecutiveFailures) consecutive failed workflows (last: \(workflow) \(state.rawValue))"
            t.state = .paused
            t.reason = reason
            t.updated = now
            try recordEvent(db, triggerID: triggerID, "self-paused", user: nil, detail: reason, now: now)
        }
        try t.update(db)
    }

    /// Pauses a running trigger (nothing changes for one already paused).
    /// - Returns: the trigger, and whether it changed.
    public func pauseTrigger(ensemble: String, name: String, user: String) async throws -> (TriggerRecord, Bool) {
        try await pool.write { db in
            var (_, t) = try Self.trigger(db, ensemble, name)
            try Self.requireLive(t, verb: "paused")
            guard t.state == .running else { return (t, false) }
            let now = Self.now()
            t.state = .paused
            t.reason = "paused by \(user)"
            t.updated = now
            try t.update(db)
            try Self.recordEvent(db, triggerID: t.id!, "paused", user: user, detail: nil, now: now)
            return (t, true)
        }
    }

    /// Resumes a paused trigger; its consecutive failures start again from 0 (the operator has looked at them).
    /// - Returns: the trigger, and whether it changed.
    public func resumeTrigger(ensemble: String, name: String, user: String) async throws -> (TriggerRecord, Bool) {
        try await pool.write { db in
            var (_, t) = try Self.trigger(db, ensemble, name)
            try Self.requireLive(t, verb: "resumed")
            guard t.state == .paused else { return (t, false) }
            let now = Self.now()
            let detail = t.reason
            t.state = .running
            t.reason = nil
            t.consecutiveFailures = 0
            t.updated = now
            try t.update(db)
            try Self.recordEvent(db, triggerID: t.id!, "resumed", user: user, detail: detail, now: now)
            return (t, true)
        }
    }

    /// Changes a running or paused trigger in place: `change` edits the record (it is validated already) and
    /// returns the changes in words; nothing is written when it throws or changes nothing. The ledger, the
    /// history and the name stay.
    public func updateTrigger(
        ensemble: String, name: String, user: String,
        _ change: @Sendable (inout TriggerRecord, _ now: Double) throws -> [String]
    ) async throws -> (TriggerRecord, [String]) {
        try await pool.write { db in
            var (_, t) = try Self.trigger(db, ensemble, name)
            try Self.requireLive(t, verb: "updated")
            let now = Self.now()
            let changes = try change(&t, now)
            guard !changes.isEmpty else { return (t, []) }
            t.updated = now
            try t.update(db)
            try Self.recordEvent(
                db, triggerID: t.id!, "updated", user: user, detail: changes.joined(separator: "; "), now: now)
            return (t, changes)
        }
    }

    /// Refuses a verb on a trigger that ended (409).
    static func requireLive(_ t: TriggerRecord, verb: String) throws {
        guard t.state.isLive else {
            throw EMError.conflict(
                "Trigger \(t.name) is \(t.state.rawValue): only a RUNNING or PAUSED trigger can be \(verb)")
        }
    }

    /// The buffered tick was spent without a workflow.
    public func clearBufferedTick(id: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE trigger SET buffered_tick = NULL WHERE id = ?", arguments: [id])
        }
    }

    /// The deadline passed: a running or paused trigger becomes EXPIRED (one that ended meanwhile stays as it is).
    public func expireTrigger(id: Int64) async throws {
        try await pool.write { db in
            guard var t = try TriggerRecord.fetchOne(db, key: id), t.state.isLive else { return }
            let now = Self.now()
            t.state = .expired
            t.reason = "timeout reached"
            t.nextFire = nil
            t.updated = now
            try t.update(db)
            try Self.recordEvent(db, triggerID: id, "expired", user: nil, detail: t.reason, now: now)
        }
    }

    /// Records an operator's verb in the trigger's history.
    public func recordTriggerEvent(triggerID: Int64, _ event: String, user: String?, detail: String?) async throws {
        try await pool.write { db in
            try Self.recordEvent(db, triggerID: triggerID, event, user: user, detail: detail, now: Self.now())
        }
    }

    /// Which of these files the trigger's ledger (shared with the predecessors it inherited) holds.
    public func recordedFiles(triggerID: Int64, files: [TriggerInput]) async throws -> Set<TriggerInput> {
        try await pool.read { db in try Self.ledgerContains(db, triggerID: triggerID, files: files) }
    }
}
