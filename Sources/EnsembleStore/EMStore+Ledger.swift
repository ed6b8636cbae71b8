import EnsembleCore
import Foundation
import GRDB
import TriggerKit

/// The file triggers' ledger (`trigger_file`) at scale: the bulk check a scan makes before it inspects anything,
/// and the retention prune that keeps the ledger to the files that exist plus the recent past.
extension EMStore {
    /// Which of a scan's files the trigger's ledger holds with the same identity, as one flag per file (in the
    /// order given). One read on GRDB's reader queue, never on the concurrency pool.
    ///
    /// A few files are looked up through the ledger's UNIQUE index, in chunks; many (above
    /// ``bulkLedgerThreshold``) in one pass over the ledger's rows, matched by path in a hash table: for a million
    /// files that is several times faster than a million index look-ups (see docs/PERFORMANCE.md). The submitting
    /// transaction checks again on its own, so this only saves work.
    /// - Parameter bulkAbove: the number of files above which the one-pass read is used (the benchmark and the
    ///   tests compare both ways).
    public func ledgerFlags(triggerID: Int64, files: [TriggerInput], bulkAbove: Int = bulkLedgerThreshold)
        async throws -> [Bool]
    {
        guard !files.isEmpty else { return [] }
        return try await pool.read { db in
            try Self.ledgerFlags(db, triggerID: triggerID, files: files, bulkAbove: bulkAbove)
        }
    }

    /// Above this many files a scan's ledger check reads the ledger in one pass rather than by look-ups.
    public static let bulkLedgerThreshold = 20_000

    static func ledgerFlags(_ db: Database, triggerID: Int64, files: [TriggerInput], bulkAbove: Int) throws
        -> [Bool]
    {
        guard files.count > bulkAbove else {
            let known = try ledgerContains(db, triggerID: triggerID, files: files)
            return files.map { known.contains($0) }
        }
        var flags = [Bool](repeating: false, count: files.count)
        guard let members = try ledgerMembers(db, triggerID: triggerID) else { return flags }
        var index: [String: Int] = Dictionary(minimumCapacity: files.count)
        for (i, file) in files.enumerated() { index[file.path] = i }
        let marks = members.map { _ in "?" }.joined(separator: ",")
        // The UNIQUE index holds every column read: the pass reads the index alone.
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT path, device, inode, size, mtime_ns FROM trigger_file WHERE trigger_id IN (\(marks))",
            arguments: StatementArguments(members))
        while let row = try rows.next() {
            let path: String = row[0]
            guard let i = index[path] else { continue }
            let file = files[i]
            let device: Int64 = row[1]
            let inode: Int64 = row[2]
            let size: Int64 = row[3]
            let mtime: Int64 = row[4]
            if device == Int64(bitPattern: file.device) && inode == Int64(bitPattern: file.inode)
                && size == file.size && mtime == file.mtimeNanoseconds
            {
                flags[i] = true
            }
        }
        return flags
    }

    /// The triggers sharing a trigger's ledger (itself and those with the same ``TriggerRecord/ledger``); nil when
    /// the trigger is gone.
    static func ledgerMembers(_ db: Database, triggerID: Int64) throws -> [Int64]? {
        guard let t = try TriggerRecord.fetchOne(db, key: triggerID) else { return nil }
        guard t.ledgerID != nil else { return [triggerID] }
        return try Int64.fetchAll(
            db, sql: "SELECT id FROM trigger WHERE id = ? OR ledger_id = ?", arguments: [t.ledger, t.ledger])
    }

    // MARK: - Retention

    /// What one prune did: ledger rows deleted per trigger.
    public struct LedgerPrune: Sendable, Equatable {
        /// Rows deleted, by the trigger that recorded them.
        public var pruned: [Int64: Int] = [:]
        /// Rows old enough that were kept because their file is still there (or its move is not done).
        public var kept = 0

        /// Rows deleted in all.
        public var total: Int { pruned.values.reduce(0, +) }
    }

    /// Deletes the ledger rows recorded before `cutoff` whose file no longer exists: nothing is at the recorded
    /// path, nor at its `processed/` destination, with the recorded identity (device, inode, size, mtime). A row
    /// whose file is still there is never deleted, so a file still present is never submitted twice; a row whose
    /// move into `processed/` is not done yet is kept. Each trigger's history gets (or counts up) one
    /// `ledger-pruned` row whose count is the rows deleted.
    ///
    /// Runs in transactions of `batch` rows on GRDB's writer queue (the `stat`s inside them, so a file cannot come
    /// back between its check and the delete), never on the concurrency pool.
    /// - Parameters:
    ///   - cutoff: seconds since the epoch; only rows recorded before it are looked at.
    ///   - detail: the history row's detail (e.g. the retention in words).
    public func pruneLedger(recordedBefore cutoff: Double, detail: String, batch: Int = 2_000) async throws
        -> LedgerPrune
    {
        var result = LedgerPrune()
        var after: Int64 = 0
        while true {
            let start = after
            let (last, pruned, kept) = try await pool.write { db in
                try Self.pruneBatch(db, after: start, cutoff: cutoff, limit: batch, detail: detail)
            }
            for (trigger, count) in pruned { result.pruned[trigger, default: 0] += count }
            result.kept += kept
            guard let last else { return result }
            after = last
        }
    }

    /// One batch of ``pruneLedger(recordedBefore:detail:batch:)``: the last row id looked at (nil: no more rows).
    static func pruneBatch(_ db: Database, after: Int64, cutoff: Double, limit: Int, detail: String) throws -> (
        Int64?, [Int64: Int], Int
    ) {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT id, trigger_id, path, device, inode, size, mtime_ns, moved_to, move_done FROM trigger_file
                WHERE id > ? AND recorded < ? ORDER BY id LIMIT ?
                """, arguments: [after, cutoff, limit])
        guard let last = rows.last else { return (nil, [:], 0) }
        var gone: [Int64] = []
        var pruned: [Int64: Int] = [:]
        var kept = 0
        for row in rows {
            let movedTo: String? = row["moved_to"]
            let moveDone: Bool = row["move_done"]
            let device: Int64 = row["device"]
            let inode: Int64 = row["inode"]
            let file = TriggerInput(
                path: row["path"], device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode),
                size: row["size"], mtimeNanoseconds: row["mtime_ns"])
            // A move not done yet still needs its row; a failed move left the file where it was.
            if (movedTo != nil && !moveDone) || file.isPresent(at: file.path)
                || movedTo.map({ file.isPresent(at: $0) }) == true
            {
                kept += 1
                continue
            }
            let id: Int64 = row["id"]
            let trigger: Int64 = row["trigger_id"]
            gone.append(id)
            pruned[trigger, default: 0] += 1
        }
        for start in stride(from: 0, to: gone.count, by: 500) {
            let chunk = gone[start..<min(start + 500, gone.count)]
            try db.execute(
                sql: "DELETE FROM trigger_file WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(Array(chunk)))
        }
        let now = Self.now()
        for (trigger, count) in pruned {
            try recordPrune(db, triggerID: trigger, count: count, detail: detail, now: now)
        }
        let lastID: Int64 = last["id"]
        return (lastID, pruned, kept)
    }

    /// Counts `count` pruned rows into the trigger's latest history row if that is a `ledger-pruned` one with the
    /// same detail, else adds one: months of daily prunes of a quiet trigger stay one row.
    static func recordPrune(_ db: Database, triggerID: Int64, count: Int, detail: String, now: Double) throws {
        if var last = try TriggerHistoryRecord.filter(Column("trigger_id") == triggerID).order(Column("id").desc)
            .fetchOne(db), last.event == "ledger-pruned", last.detail == detail
        {
            last.count += count
            last.time = now
            try last.update(db)
            return
        }
        var h = TriggerHistoryRecord(
            id: nil, triggerID: triggerID, time: now, event: "ledger-pruned", user: nil, detail: detail, count: count)
        try h.insert(db)
    }
}

extension EMStore {
    /// For the benchmarks package: creates a running file trigger (interval 60 s) on `patterns` whose ledger holds
    /// `ignoring`, in one transaction (as `skip_existing` records the files present at creation).
    @_spi(Benchmarks) public func createFileTriggerForBenchmark(
        ensemble: String, name: String, patterns: [String], basedir: String, ignoring: [TriggerInput]
    ) async throws -> Int64 {
        var definition = TriggerDefinition()
        definition.interval = 60
        definition.filePatterns = patterns
        let now = Self.now()
        let t = try await createTrigger(
            ensemble: ensemble,
            TriggerRecord(
                id: nil, ensembleID: 0, name: name, type: .filePattern, state: .running, reason: nil, created: now,
                updated: now, workflowScript: "/bin/false", workflowArgs: [], definition: definition,
                basedir: basedir, priority: 0, nextFire: nil, deadline: nil, fireCount: 0, lastFire: nil),
            ignoring: ignoring)
        return t.id!
    }
}
