import Foundation

/// Where triggers deliver their work. The ensemble manager implements it with its store: each call is one
/// transaction, so a tick or a batch of files is submitted exactly once whatever crashes.
public protocol TriggerSink: Sendable {
    /// Submits the workflow of one schedule tick and records the tick as handled, atomically.
    /// Submitting a tick that was already recorded returns nil and submits nothing.
    /// - Returns: the name of the workflow submitted.
    func fire(triggerID: Int64, tick: Date, coalescedTicks: Int, nextFire: Date?) async throws -> String?

    /// Records that ticks up to `handledThrough` were handled without a submission (skipped by catch-up).
    func advance(triggerID: Int64, handledThrough: Date?, nextFire: Date?) async throws

    /// Submits one workflow for a batch of ready files and records them in the ledger, atomically.
    /// Files already in the ledger (same identity) are left out; when none is left nothing is submitted.
    /// - Returns: the workflow name, or nil when nothing was submitted.
    func submitFiles(triggerID: Int64, files: [LedgerFile], nextFire: Date?) async throws -> String?

    /// Which of these file identities the ledger already holds.
    func alreadySubmitted(triggerID: Int64, files: [LedgerFile]) async throws -> Set<LedgerFile>

    /// The deadline passed: the trigger is EXPIRED and kept in history.
    func expire(triggerID: Int64) async throws

    /// Shows why the trigger is unhealthy (a failing submission and its next retry), or clears it with nil.
    func report(triggerID: Int64, reason: String?) async
}

/// A file as the ledger identifies it: a rewritten file (new inode, size or mtime) is a new file.
public struct LedgerFile: Sendable, Hashable, Codable {
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeNanoseconds: Int64

    public init(path: String, device: UInt64, inode: UInt64, size: Int64, mtimeNanoseconds: Int64) {
        self.path = path
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
    }
}
