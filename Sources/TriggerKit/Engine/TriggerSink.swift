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

    /// Submits one workflow for a batch of ready files and records them in the ledger, atomically. The ledger is
    /// checked inside that transaction: files it already holds (same path and identity) are left out, and when
    /// none is left nothing is submitted.
    /// - Returns: the workflow name, or nil when nothing was submitted.
    func submitFiles(triggerID: Int64, files: [TriggerInput], nextFire: Date?) async throws -> String?

    /// The deadline passed: the trigger is EXPIRED and kept in history.
    func expire(triggerID: Int64) async throws

    /// Shows why the trigger is unhealthy (a failing submission and its next retry), or clears it with nil.
    func report(triggerID: Int64, reason: String?) async
}
