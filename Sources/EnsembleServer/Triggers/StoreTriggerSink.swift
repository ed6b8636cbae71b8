import EnsembleCore
import EnsembleStore
import Foundation
import TriggerKit

/// Where the ensemble manager's triggers deliver their work: every call is one store transaction, so a tick or a
/// batch of files is submitted exactly once whatever crashes. After a submission the inputs are moved into
/// `processed/` (when the trigger asks for it) and the scheduler is woken.
struct StoreTriggerSink: TriggerSink {
    let store: EMStore
    let workflows: any WorkflowControl
    let mover: ProcessedFilesMover

    func fire(triggerID: Int64, tick: Date, coalescedTicks: Int, nextFire: Date?, kind: FireKind) async throws
        -> SubmissionResult
    {
        let result = try await store.fireTrigger(
            id: triggerID, tick: tick.timeIntervalSince1970, nextFire: nextFire?.timeIntervalSince1970, kind: kind)
        if result.workflow != nil { workflows.wake() }
        return result
    }

    func advance(triggerID: Int64, handledThrough: Date?, nextFire: Date?) async throws {
        try await store.advanceTrigger(
            id: triggerID, handledThrough: handledThrough?.timeIntervalSince1970,
            nextFire: nextFire?.timeIntervalSince1970)
    }

    func submitFiles(triggerID: Int64, files: [TriggerInput], nextFire: Date?, kind: FireKind, firstOfTick: Bool)
        async throws -> SubmissionResult
    {
        let result = try await store.submitTriggerFiles(
            id: triggerID, files: files, nextFire: nextFire?.timeIntervalSince1970, kind: kind,
            checkOverlap: firstOfTick)
        if result.workflow != nil {
            await mover.moveRecorded()
            workflows.wake()
        }
        return result
    }

    func unbuffer(triggerID: Int64) async throws {
        try await store.clearBufferedTick(id: triggerID)
    }

    func recorded(triggerID: Int64, files: [TriggerInput]) async throws -> Set<TriggerInput> {
        try await store.recordedFiles(triggerID: triggerID, files: files)
    }

    func recordedFlags(triggerID: Int64, files: [TriggerInput]) async throws -> [Bool] {
        try await store.ledgerFlags(triggerID: triggerID, files: files)
    }

    func expire(triggerID: Int64) async throws {
        try await store.expireTrigger(id: triggerID)
    }

    func report(triggerID: Int64, reason: String?) async {
        try? await store.setTriggerReason(id: triggerID, reason)
    }
}
