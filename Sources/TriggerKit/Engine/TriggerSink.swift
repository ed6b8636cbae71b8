import Foundation

/// Why a trigger asks the sink to submit: a tick of its schedule, a user's "fire now", or the tick that overlap
/// `buffer-one` kept back until the trigger's active workflow ended.
public enum FireKind: String, Sendable, Equatable {
    /// A tick of the schedule: the overlap policy applies, and the schedule position moves.
    case scheduled
    /// `fire-trigger`: outside the schedule (the position does not move); with a workflow still active under a
    /// `skip` or `buffer-one` policy it is refused, not buffered.
    case manual
    /// The buffered tick, tried again: it waits (nothing recorded) while a workflow of the trigger is still active.
    case buffered
}

/// What the sink did with a tick or a batch of files.
public enum SubmissionResult: Sendable, Equatable {
    /// A workflow was submitted, with this name.
    case submitted(String)
    /// Nothing to submit: the tick was already recorded, or the ledger already had every file.
    case nothing
    /// The overlap policy skipped it (recorded, with the reason); files stay pending for the next tick.
    case skipped(String)
    /// Overlap `buffer-one`: it waits until the trigger's active workflow ends (the reason says which).
    case buffered(String)
    /// The trigger is no longer running in the store (paused or ended meanwhile): nothing was submitted.
    case notRunning

    /// The submitted workflow's name, if any.
    public var workflow: String? {
        if case .submitted(let name) = self { return name }
        return nil
    }
}

/// Where triggers deliver their work. The ensemble manager implements it with its store: each call is one
/// transaction, so a tick or a batch of files is submitted exactly once whatever crashes.
public protocol TriggerSink: Sendable {
    /// Submits the workflow of one tick and records the tick as handled, atomically. Submitting a scheduled tick
    /// that was already recorded submits nothing.
    func fire(triggerID: Int64, tick: Date, coalescedTicks: Int, nextFire: Date?, kind: FireKind) async throws
        -> SubmissionResult

    /// Records that ticks up to `handledThrough` were handled without a submission (skipped by catch-up).
    func advance(triggerID: Int64, handledThrough: Date?, nextFire: Date?) async throws

    /// Submits one workflow for a batch of ready files and records them in the ledger, atomically. The ledger is
    /// checked inside that transaction: files it already holds (same path and identity) are left out, and when
    /// none is left nothing is submitted. The overlap policy judges a tick's first batch (`firstOfTick`) only.
    func submitFiles(triggerID: Int64, files: [TriggerInput], nextFire: Date?, kind: FireKind, firstOfTick: Bool)
        async throws -> SubmissionResult

    /// The buffered tick was spent without a workflow (nothing was pending when it could go).
    func unbuffer(triggerID: Int64) async throws

    /// The files of these that the trigger's ledger already holds (for previews; submissions check in their own
    /// transaction).
    func recorded(triggerID: Int64, files: [TriggerInput]) async throws -> Set<TriggerInput>

    /// For a scan: whether the trigger's ledger holds each of these files (same path and identity), one flag per
    /// file in order. Sized for a million files (one read, off the concurrency pool); files it holds are settled
    /// without an inspection. Submissions still check in their own transaction.
    func recordedFlags(triggerID: Int64, files: [TriggerInput]) async throws -> [Bool]

    /// The deadline passed: the trigger is EXPIRED and kept in history.
    func expire(triggerID: Int64) async throws

    /// Shows why the trigger is unhealthy (a failing submission and its next retry), or clears it with nil.
    func report(triggerID: Int64, reason: String?) async
}

extension TriggerSink {
    /// A sink without a ledger to ask says that nothing is recorded.
    public func recorded(triggerID: Int64, files: [TriggerInput]) async throws -> Set<TriggerInput> { [] }

    /// Through ``recorded(triggerID:files:)``.
    public func recordedFlags(triggerID: Int64, files: [TriggerInput]) async throws -> [Bool] {
        let known = try await recorded(triggerID: triggerID, files: files)
        return files.map { known.contains($0) }
    }

    /// A sink without a buffered tick to clear does nothing.
    public func unbuffer(triggerID: Int64) async throws {}
}
