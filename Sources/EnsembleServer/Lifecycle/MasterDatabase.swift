import Foundation
import GRDB
import Watchers

/// Read-only access to Pegasus' master database (`master_workflow`, `master_workflowstate`), written by
/// pegasus-monitord. The EM learns from it when a workflow terminates.
///
/// The file belongs to another process and often sits in a network home directory: every read and `stat` of it
/// runs on a thread of its own (``BlockingWorker``), never on the Swift concurrency pool, so a locked database
/// (up to the 5 s busy timeout) or a hung mount holds up only the scheduler's wait for it, never the REST API.
public final class MasterDatabase: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var queue: DatabaseQueue?
    private let worker = BlockingWorker(name: "pegasus-em.master")

    public init(path: String) {
        self.path = path
    }

    /// What the master DB says of one workflow's current run.
    public enum RunState: Sendable, Equatable {
        /// No `master_workflow` row for the wf_uuid (yet).
        case unknown
        /// Started (or no state after the run began).
        case running
        /// Terminated with this status.
        case terminated(status: Int)
    }

    /// The state of each wf_uuid's run, counting only rows at or after the run's start (whole second), so an
    /// earlier run's termination is ignored and later edits of the EM row never hide a termination.
    /// - Parameters:
    ///   - runs: wf_uuid → the epoch time pegasus-run was started.
    ///   - minimumRestartCounts: wf_uuid → the DAGMan restart count of the current run (the EM's run count - 1):
    ///     rows of earlier runs are ignored even when they fall in the same whole second as this run's start.
    public func states(_ runs: [String: Double], minimumRestartCounts: [String: Int] = [:]) async throws
        -> [String: RunState]
    {
        try await worker.run { Result { try self.readStates(runs, minimumRestartCounts: minimumRestartCounts) } }.get()
    }

    /// Modification times and sizes of the database and its WAL (0 when missing): they change when monitord
    /// writes. Read on the database's thread.
    public func stamp() async -> [Int] {
        await worker.run {
            // FileManager rather than stat(2): `stat` and `timespec` fail MemberImportVisibility in release builds.
            [self.path, self.path + "-wal"].map { path in
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return 0 }
                let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
                return Int(mtime * 1_000_000_000) &+ size
            }
        }
    }

    /// ``states(_:minimumRestartCounts:)`` on the calling thread (the database's worker).
    private func readStates(_ runs: [String: Double], minimumRestartCounts: [String: Int]) throws -> [String: RunState]
    {
        guard !runs.isEmpty else { return [:] }
        guard FileManager.default.fileExists(atPath: path) else {
            return runs.mapValues { _ in .unknown }
        }
        let db = try open()
        var result: [String: RunState] = runs.mapValues { _ in .unknown }
        let uuids = Array(runs.keys)
        for chunkStart in stride(from: 0, to: uuids.count, by: 500) {
            let chunk = Array(uuids[chunkStart..<min(chunkStart + 500, uuids.count)])
            let marks = chunk.map { _ in "?" }.joined(separator: ",")
            let rows = try db.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT w.wf_uuid AS uuid, s.state AS state, s.status AS status, s.timestamp AS ts,
                            s.restart_count AS restarts
                        FROM master_workflow w LEFT JOIN master_workflowstate s ON s.wf_id = w.wf_id
                        WHERE w.wf_uuid IN (\(marks))
                        """, arguments: StatementArguments(chunk))
            }
            var latest: [String: (ts: Double, state: String, status: Int?)] = [:]
            for row in rows {
                let uuid: String = row["uuid"]
                if result[uuid] == .unknown { result[uuid] = .running }
                guard let state: String = row["state"], let ts: Double = row["ts"] else { continue }
                let threshold = (runs[uuid] ?? 0).rounded(.down)
                guard ts >= threshold else { continue }
                if let minimum = minimumRestartCounts[uuid], let restarts: Int = row["restarts"], restarts < minimum {
                    continue
                }
                let status: Int? = row["status"]
                // Latest row wins; on equal timestamps a termination wins (DAGMan's whole-second stamps).
                if let current = latest[uuid] {
                    if ts < current.ts || (ts == current.ts && current.state == "WORKFLOW_TERMINATED") { continue }
                }
                latest[uuid] = (ts, state, status)
            }
            for (uuid, entry) in latest where entry.state == "WORKFLOW_TERMINATED" {
                result[uuid] = .terminated(status: entry.status ?? 1)
            }
        }
        return result
    }

    private func open() throws -> DatabaseQueue {
        lock.lock()
        defer { lock.unlock() }
        if let queue { return queue }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let q = try DatabaseQueue(path: path, configuration: configuration)
        queue = q
        return q
    }

    /// Forgets the connection (after an error), so the next call reopens the file.
    public func reset() {
        lock.lock()
        queue = nil
        lock.unlock()
    }
}
