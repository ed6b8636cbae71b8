import EnsembleCore
import Foundation
import GRDB
import TriggerKit

extension EMStore {
    /// The triggers of an ensemble in creation order (404 for an unknown ensemble, unlike Pegasus' `[]`).
    public func triggers(ensemble: String) async throws -> [TriggerRecord] {
        try await pool.read { db in
            let e = try Self.ensemble(db, ensemble)
            return try TriggerRecord.filter(Column("ensemble_id") == e.id!).order(Column("id")).fetchAll(db)
        }
    }

    /// One trigger with its ensemble.
    public func trigger(ensemble: String, name: String) async throws -> (EnsembleRecord, TriggerRecord) {
        try await pool.read { db in try Self.trigger(db, ensemble, name) }
    }

    static func trigger(_ db: Database, _ ensemble: String, _ name: String) throws -> (EnsembleRecord, TriggerRecord) {
        let e = try Self.ensemble(db, ensemble)
        guard let t = try TriggerRecord.filter(Column("ensemble_id") == e.id! && Column("name") == name).fetchOne(db)
        else {
            throw EMError.notFound("No such trigger: \(name) assigned to ensemble: \(ensemble)")
        }
        return (e, t)
    }

    /// Every trigger that should be running or paused (server start). A row that cannot be read (e.g. its definition
    /// is not valid JSON) is returned with the error, so that one bad row does not keep the others from running.
    public func runningTriggers() async throws
        -> [(ensemble: String, id: Int64, name: String, trigger: Result<TriggerRecord, any Error>)]
    {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT trigger.*, ensemble.name AS ensemble_name FROM trigger
                    JOIN ensemble ON ensemble.id = trigger.ensemble_id WHERE trigger.state IN ('RUNNING', 'PAUSED')
                    ORDER BY trigger.id
                    """)
            return rows.map { row in
                (
                    ensemble: row["ensemble_name"], id: row["id"], name: row["name"],
                    trigger: Result { try TriggerRecord(row: row) }
                )
            }
        }
    }

    /// Marks a trigger FAILED with `reason` and a `failed` history event, without reading its record (which may be
    /// what cannot be read).
    public func failTrigger(id: Int64, reason: String) async throws {
        try await pool.write { db in
            let now = Self.now()
            try db.execute(
                sql: "UPDATE trigger SET state = 'FAILED', reason = ?, next_fire = NULL, updated = ? WHERE id = ?",
                arguments: [reason, now, id])
            try Self.recordEvent(db, triggerID: id, "failed", user: nil, detail: reason, now: now)
        }
    }

    /// Stores a new RUNNING trigger. The name of a trigger that ended (stopped, expired, failed) can be used again,
    /// as in Pegasus, where stopping deletes the trigger: the ended one keeps its history under `<name>@<id>`
    /// (`@` cannot occur in a trigger name).
    ///
    /// A file trigger that takes the name of an ended one shares its ledger (and so that of all its predecessors):
    /// what they submitted is never submitted again, unless `inheritLedger` is false (`resubmit_all`). The files in
    /// `ignoring` (those present at creation, with `skip_existing`) go into the ledger without a workflow.
    public func createTrigger(
        ensemble: String, _ trigger: TriggerRecord, inheritLedger: Bool = true, ignoring: [TriggerInput] = [],
        user: String? = nil
    ) async throws -> TriggerRecord {
        try await pool.write { db in
            let e = try Self.ensemble(db, ensemble)
            let same = TriggerRecord.filter(Column("ensemble_id") == e.id! && Column("name") == trigger.name)
            var t = trigger
            if let existing = try same.fetchOne(db) {
                guard !existing.state.isLive else {
                    throw EMError.conflict("Trigger \(trigger.name) already exists in ensemble \(ensemble)")
                }
                try db.execute(
                    sql: "UPDATE trigger SET name = name || '@' || id WHERE id = ?", arguments: [existing.id])
                if inheritLedger && t.type == .filePattern { t.ledgerID = existing.ledger }
            }
            t.ensembleID = e.id!
            try t.insert(db)
            let now = Self.now()
            var detail: [String] = []
            if let ledger = t.ledgerID { detail.append("shares the ledger of trigger id \(ledger)") }
            if !ignoring.isEmpty {
                let insert = try db.makeStatement(
                    sql: """
                        INSERT OR IGNORE INTO trigger_file (trigger_id, path, device, inode, size, mtime_ns,
                            workflow_id, workflow_name, recorded) VALUES (?, ?, ?, ?, ?, ?, NULL, '', ?)
                        """)
                for f in ignoring {
                    try insert.execute(arguments: [
                        t.id, f.path, Int64(bitPattern: f.device), Int64(bitPattern: f.inode), f.size,
                        f.mtimeNanoseconds, now,
                    ])
                }
                detail.append("\(ignoring.count) existing files skipped")
            }
            try Self.recordEvent(
                db, triggerID: t.id!, "created", user: user,
                detail: detail.isEmpty ? nil : detail.joined(separator: "; "), now: now)
            return t
        }
    }

    /// Sets a trigger's state and reason (stop, expiry, failure), and records `event` (by `user`) in its history.
    @discardableResult
    public func setTriggerState(
        id: Int64, _ state: TriggerState, reason: String?, event: String? = nil, user: String? = nil
    ) async throws -> TriggerRecord? {
        try await pool.write { db in
            guard var t = try TriggerRecord.fetchOne(db, key: id) else { return nil }
            let now = Self.now()
            t.state = state
            t.reason = reason
            if !state.isLive { t.nextFire = nil }
            t.updated = now
            try t.update(db)
            if let event { try Self.recordEvent(db, triggerID: id, event, user: user, detail: reason, now: now) }
            return t
        }
    }

    /// The workflows a trigger submitted, latest first, with the files each received. The cost follows `limit`,
    /// not the length of the history: the fires and the ledger are read newest first (by row id) until `limit`
    /// workflows are named.
    public func triggerSubmissions(triggerID: Int64, limit: Int) async throws -> [TriggerSubmission] {
        try await pool.read { db in
            var latest: [String: Double] = [:]
            let fires = try Row.fetchAll(
                db,
                sql: "SELECT workflow_name, time FROM trigger_fire WHERE trigger_id = ? ORDER BY id DESC LIMIT ?",
                arguments: [triggerID, limit])
            for row in fires {
                let name: String = row["workflow_name"]
                latest[name] = max(latest[name] ?? -.infinity, row["time"] as Double)
            }
            // Rows of one workflow are written together; `+workflow_name` keeps the (trigger_id, id) index in use
            // (skip_existing rows have no workflow name).
            var named = Set<String>()
            let files = try Row.fetchCursor(
                db,
                sql: """
                    SELECT workflow_name, recorded FROM trigger_file WHERE trigger_id = ? AND +workflow_name > ''
                    ORDER BY id DESC
                    """, arguments: [triggerID])
            while let row = try files.next() {
                let name: String = row["workflow_name"]
                if !named.contains(name) {
                    if named.count == limit { break }
                    named.insert(name)
                }
                latest[name] = max(latest[name] ?? -.infinity, row["recorded"] as Double)
            }
            let chosen = latest.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.prefix(limit)
            return try chosen.map { name, time in
                let files = try String.fetchAll(
                    db, sql: "SELECT path FROM trigger_file WHERE trigger_id = ? AND workflow_name = ? ORDER BY path",
                    arguments: [triggerID, name])
                return TriggerSubmission(workflow: name, time: time, files: files)
            }
        }
    }
}

/// One workflow a trigger submitted.
public struct TriggerSubmission: Sendable, Equatable, Codable {
    public var workflow: String
    public var time: Double
    public var files: [String]
}
