import EnsembleCore
import Foundation
import GRDB
import TriggerKit

/// The trigger engine's transactions: a workflow and the record of why it was submitted (a schedule tick, or
/// the ledger rows of its files) are written together, so a crash submits nothing twice and loses nothing.
extension EMStore {
    /// The trigger if it is still running, with its ensemble.
    static func runningTrigger(_ db: Database, _ id: Int64) throws -> (TriggerRecord, EnsembleRecord)? {
        guard let t = try TriggerRecord.fetchOne(db, key: id), t.state == .running,
            let e = try EnsembleRecord.fetchOne(db, key: t.ensembleID)
        else { return nil }
        return (t, e)
    }

    /// A free workflow name `<trigger>_<ts>`, `<trigger>_<ts>_2`, ... in the ensemble.
    static func freeWorkflowName(_ db: Database, ensembleID: Int64, trigger: String, time: Double) throws -> String {
        let stamp = WorkflowNaming.timestamp(of: Date(timeIntervalSince1970: time))
        var suffix = 1
        while true {
            let name = WorkflowNaming.workflowName(trigger: trigger, timestamp: stamp, suffix: suffix)
            if try WorkflowRecord.filter(Column("ensemble_id") == ensembleID && Column("name") == name).fetchCount(db)
                == 0
            {
                return name
            }
            suffix += 1
            guard suffix <= WorkflowNaming.maximumCollisionSuffix else {
                throw EMError(.conflict, "no free workflow name for trigger \(trigger) at \(stamp)")
            }
        }
    }

    /// Submits the workflow of a schedule tick once: nil when the tick was already recorded or the trigger is
    /// no longer running.
    public func fireTrigger(id: Int64, tick: Double, nextFire: Double?) async throws -> String? {
        try await pool.write { db in
            guard case (var t, let e)? = try Self.runningTrigger(db, id) else { return nil }
            let seen = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM trigger_fire WHERE trigger_id = ? AND tick = ?", arguments: [id, tick])
            if (seen ?? 0) > 0 { return nil }
            let now = Self.now()
            let name = try Self.freeWorkflowName(db, ensembleID: e.id!, trigger: t.name, time: tick)
            let w = try Self.insertWorkflow(
                db, ensemble: e,
                WorkflowSubmission(
                    name: name, priority: t.priority, basedir: t.basedir, planArgv: [t.workflowScript] + t.workflowArgs,
                    triggerID: id),
                now: now)
            try db.execute(
                sql:
                    "INSERT INTO trigger_fire (trigger_id, tick, time, workflow_id, workflow_name) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, tick, now, w.id, name])
            t.fireCount += 1
            t.lastFire = tick
            t.nextFire = nextFire
            t.updated = now
            t.reason = nil
            try t.update(db)
            return name
        }
    }

    /// Records ticks handled without a submission.
    public func advanceTrigger(id: Int64, handledThrough: Double?, nextFire: Double?) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE trigger SET last_fire = ?, next_fire = ? WHERE id = ? AND state = 'RUNNING'",
                arguments: [handledThrough, nextFire, id])
        }
    }

    /// Submits one workflow for the files not yet in the ledger, and records them, atomically.
    public func submitTriggerFiles(id: Int64, files: [TriggerInput], nextFire: Double?) async throws -> String? {
        try await pool.write { db in
            guard case (var t, let e)? = try Self.runningTrigger(db, id) else { return nil }
            let known = try Self.ledgerContains(db, triggerID: id, files: files)
            let fresh = files.filter { !known.contains($0) }.sorted { $0.path < $1.path }
            guard !fresh.isEmpty else { return nil }
            let now = Self.now()
            let name = try Self.freeWorkflowName(db, ensembleID: e.id!, trigger: t.name, time: now)
            // With move_processed the workflow gets the paths the files will have in processed/; the moves
            // happen after this commit and the workflow is not planned before they are done.
            let destinations =
                try t.definition.moveProcessed == true
                ? fresh.map { try Self.processedDestination(db, for: $0.path) } : fresh.map { _ in nil as String? }
            let argv =
                [t.workflowScript] + t.workflowArgs + ["--inputs"]
                + zip(fresh, destinations).map { $1 ?? $0.path }
            let w = try Self.insertWorkflow(
                db, ensemble: e,
                WorkflowSubmission(name: name, priority: t.priority, basedir: t.basedir, planArgv: argv, triggerID: id),
                now: now)
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO trigger_file (trigger_id, path, device, inode, size, mtime_ns, workflow_id,
                        workflow_name, recorded, moved_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for (f, destination) in zip(fresh, destinations) {
                try insert.execute(arguments: [
                    id, f.path, Int64(bitPattern: f.device), Int64(bitPattern: f.inode), f.size, f.mtimeNanoseconds,
                    w.id, name, now, destination,
                ])
            }
            t.fireCount += 1
            t.nextFire = nextFire ?? t.nextFire
            t.updated = now
            t.reason = nil
            try t.update(db)
            return name
        }
    }

    /// Which of these files (same path and identity) the trigger's ledger holds: the one ledger check, inside the
    /// submitting transaction.
    static func ledgerContains(_ db: Database, triggerID: Int64, files: [TriggerInput]) throws -> Set<TriggerInput> {
        guard !files.isEmpty else { return [] }
        var found: Set<TriggerInput> = []
        let byPath = Dictionary(grouping: files, by: \.path)
        let paths = Array(byPath.keys)
        for start in stride(from: 0, to: paths.count, by: 500) {
            let chunk = Array(paths[start..<min(start + 500, paths.count)])
            let marks = chunk.map { _ in "?" }.joined(separator: ",")
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT path, device, inode, size, mtime_ns FROM trigger_file
                    WHERE trigger_id = ? AND path IN (\(marks))
                    """, arguments: StatementArguments([triggerID] + chunk))
            for row in rows {
                let device: Int64 = row["device"]
                let inode: Int64 = row["inode"]
                let f = TriggerInput(
                    path: row["path"], device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode),
                    size: row["size"], mtimeNanoseconds: row["mtime_ns"])
                if byPath[f.path]?.contains(f) == true { found.insert(f) }
            }
        }
        return found
    }

    /// Sets the reason shown for a running trigger (a failing submission), or clears it.
    public func setTriggerReason(id: Int64, _ reason: String?) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE trigger SET reason = ? WHERE id = ?", arguments: [reason, id])
        }
    }

    /// A free path `<dir>/processed/<name>` for a file (`<name>.1`, `<name>.2`, ... when that name is taken on disk or
    /// reserved by a move not yet done), so an earlier input is never overwritten.
    static func processedDestination(_ db: Database, for path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path + "/processed/"
        let name = url.lastPathComponent
        var candidate = directory + name
        var n = 0
        while try FileManager.default.fileExists(atPath: candidate)
            || (Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM trigger_file WHERE moved_to = ? AND move_done = 0",
                arguments: [candidate])
                ?? 0) > 0
        {
            n += 1
            candidate = directory + name + ".\(n)"
        }
        return candidate
    }

    /// Moves recorded for `processed/` that are not done yet (after a crash, or right after a submission).
    public func pendingMoves() async throws -> [PendingMove] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, path, moved_to, device, inode FROM trigger_file
                    WHERE moved_to IS NOT NULL AND move_done = 0 ORDER BY id
                    """
            ).map { row in
                let device: Int64 = row["device"]
                let inode: Int64 = row["inode"]
                return PendingMove(
                    id: row["id"], source: row["path"], destination: row["moved_to"],
                    device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode))
            }
        }
    }

    /// Records moves as done.
    public func markMoved(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await pool.write { db in
            for id in ids { try db.execute(sql: "UPDATE trigger_file SET move_done = 1 WHERE id = ?", arguments: [id]) }
        }
    }
}

/// A file to move into `processed/` once its workflow is recorded.
public struct PendingMove: Sendable, Equatable {
    public var id: Int64
    public var source: String
    public var destination: String
    public var device: UInt64
    public var inode: UInt64
}
