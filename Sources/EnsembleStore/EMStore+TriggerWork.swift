import EnsembleCore
import Foundation
import GRDB
import TriggerKit

/// The trigger engine's transactions: a workflow and the record of why it was submitted (a schedule tick, or
/// the ledger rows of its files) are written together, so a crash submits nothing twice and loses nothing.
extension EMStore {
    /// The trigger with its ensemble, if it still exists.
    static func liveTrigger(_ db: Database, _ id: Int64) throws -> (TriggerRecord, EnsembleRecord)? {
        guard let t = try TriggerRecord.fetchOne(db, key: id),
            let e = try EnsembleRecord.fetchOne(db, key: t.ensembleID)
        else { return nil }
        return (t, e)
    }

    /// Why the overlap policy holds a tick back: a workflow of the trigger still READY, PLANNING, QUEUED or
    /// RUNNING (nil under `allow`, or when none is).
    static func overlapBlock(_ db: Database, _ t: TriggerRecord) throws -> String? {
        guard let policy = t.definition.overlap, policy != "allow" else { return nil }
        let active = WorkflowState.active.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT name, state FROM workflow WHERE trigger_id = ? AND state IN (\(active))
                    ORDER BY id LIMIT 1
                    """, arguments: [t.id])
        else { return nil }
        let name: String = row["name"]
        let state: String = row["state"]
        return "workflow \(name) is still \(state)"
    }

    /// Applies the overlap policy to a tick (or a batch of files) about to be submitted: nil to go ahead, or the
    /// result that replaces the submission. A scheduled tick is skipped (counted, with the reason, in the
    /// history) or, under `buffer-one`, becomes the buffered tick if none is; the buffered tick itself waits
    /// quietly; a manual one is refused.
    static func applyOverlap(_ db: Database, _ t: inout TriggerRecord, tick: Double, kind: FireKind, now: Double)
        throws -> SubmissionResult?
    {
        guard let reason = try overlapBlock(db, t) else { return nil }
        switch kind {
        case .manual:
            return .skipped(reason)
        case .buffered:
            return .buffered(reason)
        case .scheduled:
            if t.definition.overlap == "buffer-one" && t.bufferedTick == nil {
                t.bufferedTick = tick
                try recordEvent(db, triggerID: t.id!, "buffered", user: nil, detail: reason, now: now)
                return .buffered(reason)
            }
            t.skippedTicks += 1
            t.lastSkipTime = now
            t.lastSkipReason = reason
            try recordEvent(db, triggerID: t.id!, "skipped", user: nil, detail: reason, now: now, coalesce: true)
            return .skipped(reason)
        }
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

    /// Submits the workflow of a tick once. A scheduled tick already recorded, or a trigger no longer running,
    /// submits nothing; the overlap policy may skip or buffer it (``applyOverlap(_:_:tick:kind:now:)``). A manual
    /// tick leaves the schedule position alone.
    public func fireTrigger(id: Int64, tick: Double, nextFire: Double?, kind: FireKind = .scheduled) async throws
        -> SubmissionResult
    {
        try await pool.write { db in
            guard case (var t, let e)? = try Self.liveTrigger(db, id), t.state == .running else { return .notRunning }
            // The buffered tick went already (a later tick's workflow took its place).
            if kind == .buffered && t.bufferedTick == nil { return .nothing }
            if kind != .manual {
                let seen = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM trigger_fire WHERE trigger_id = ? AND tick = ? AND manual = 0",
                    arguments: [id, tick])
                if (seen ?? 0) > 0 { return .nothing }
            }
            let now = Self.now()
            if kind == .scheduled {
                t.lastFire = max(t.lastFire ?? tick, tick)
                t.nextFire = nextFire
            }
            if let held = try Self.applyOverlap(db, &t, tick: tick, kind: kind, now: now) {
                if kind == .scheduled {
                    t.updated = now
                    try t.update(db)
                }
                return held
            }
            let name = try Self.freeWorkflowName(db, ensembleID: e.id!, trigger: t.name, time: tick)
            let w = try Self.insertWorkflow(
                db, ensemble: e,
                WorkflowSubmission(
                    name: name, priority: t.priority, basedir: t.basedir, planArgv: [t.workflowScript] + t.workflowArgs,
                    triggerID: id),
                now: now)
            try db.execute(
                sql: """
                    INSERT INTO trigger_fire (trigger_id, tick, time, workflow_id, workflow_name, manual)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, tick, now, w.id, name, kind == .manual])
            // Any workflow now is the one the buffered tick waited for.
            t.bufferedTick = nil
            t.fireCount += 1
            t.updated = now
            t.reason = nil
            try t.update(db)
            return .submitted(name)
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
    /// The overlap policy applies as for ticks (skipped or buffered files stay pending at the trigger).
    public func submitTriggerFiles(
        id: Int64, files: [TriggerInput], nextFire: Double?, kind: FireKind = .scheduled, checkOverlap: Bool = true
    ) async throws -> SubmissionResult {
        try await pool.write { db in
            guard case (var t, let e)? = try Self.liveTrigger(db, id), t.state == .running else { return .notRunning }
            let known = try Self.ledgerContains(db, triggerID: id, files: files)
            let fresh = files.filter { !known.contains($0) }.sorted { $0.path < $1.path }
            guard !fresh.isEmpty else { return .nothing }
            let now = Self.now()
            if checkOverlap, let held = try Self.applyOverlap(db, &t, tick: now, kind: kind, now: now) {
                t.updated = now
                try t.update(db)
                return held
            }
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
            t.bufferedTick = nil
            t.fireCount += 1
            if kind == .scheduled { t.nextFire = nextFire ?? t.nextFire }
            t.updated = now
            t.reason = nil
            try t.update(db)
            return .submitted(name)
        }
    }

    /// Which of these files (same path and identity) the trigger's ledger holds: the one ledger check, inside the
    /// submitting transaction. The ledger is the trigger's own rows and those of the predecessors it inherited
    /// (every trigger with the same ``TriggerRecord/ledger``).
    static func ledgerContains(_ db: Database, triggerID: Int64, files: [TriggerInput]) throws -> Set<TriggerInput> {
        guard !files.isEmpty, let t = try TriggerRecord.fetchOne(db, key: triggerID) else { return [] }
        let ledger = t.ledger
        let members =
            t.ledgerID == nil && ledger == triggerID
            ? [triggerID]
            : try Int64.fetchAll(
                db, sql: "SELECT id FROM trigger WHERE id = ? OR ledger_id = ?", arguments: [ledger, ledger])
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
                    WHERE trigger_id IN (\(members.map { _ in "?" }.joined(separator: ","))) AND path IN (\(marks))
                    """,
                arguments: StatementArguments(
                    members.map { $0 as (any DatabaseValueConvertible) }
                        + chunk.map { $0 as (any DatabaseValueConvertible) }))
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
            // Only a running trigger's: a paused or ended one keeps the reason it was given.
            try db.execute(
                sql: "UPDATE trigger SET reason = ? WHERE id = ? AND state = 'RUNNING'", arguments: [reason, id])
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
