import Foundation
import Logging

/// What a running trigger needs to know about itself.
public struct TriggerSpec: Sendable {
    public var id: Int64
    /// `ensemble.trigger`, for logs.
    public var label: String
    public var schedule: TriggerSchedule
    public var catchup: CatchupPolicy
    public var deadline: Date?
    /// The scheduled time of the last tick handled (persisted across restarts).
    public var lastHandled: Date?
    /// File discovery for file-pattern triggers; nil for time triggers.
    public var files: FileTriggerOptions?

    public init(
        id: Int64, label: String, schedule: TriggerSchedule, catchup: CatchupPolicy = .one, deadline: Date? = nil,
        lastHandled: Date? = nil, files: FileTriggerOptions? = nil
    ) {
        self.id = id
        self.label = label
        self.schedule = schedule
        self.catchup = catchup
        self.deadline = deadline
        self.lastHandled = lastHandled
        self.files = files
    }
}

/// One trigger: an actor that sleeps until its next tick, submits through the sink, and stops on request.
///
/// ``stop()`` returns only after the run loop has ended, so nothing is submitted after it returns; a submission
/// that was already in its transaction completes first.
public actor TriggerRunner {
    public let spec: TriggerSpec
    let sink: any TriggerSink
    let logger: Logger
    let backoff: Backoff
    let onCycle: @Sendable () -> Void
    let files: FileCollector?
    private let wake = AsyncSignal()
    private var lastHandled: Date?
    private var stopped = false
    private var done = false
    private var doneWaiters: [CheckedContinuation<Void, Never>] = []
    private var failures = 0
    public private(set) var nextFire: Date?

    public init(
        spec: TriggerSpec, sink: any TriggerSink, logger: Logger, backoff: Backoff = .submission,
        onCycle: @escaping @Sendable () -> Void = {}
    ) {
        self.spec = spec
        self.sink = sink
        self.logger = logger
        self.backoff = backoff
        self.onCycle = onCycle
        self.lastHandled = spec.lastHandled
        self.files = spec.files.map { FileCollector(options: $0, logger: logger) }
    }

    /// Runs until stopped, cancelled, or expired.
    public func run() async {
        defer { finish() }
        if let files {
            let wake = self.wake
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await files.watch(onChange: { wake.signal() }) }
                await loop()
                group.cancelAll()
            }
        } else {
            await loop()
        }
    }

    private func loop() async {
        while !stopped && !Task.isCancelled {
            let now = Date()
            let due = spec.schedule.due(
                now: now, lastHandled: lastHandled, deadline: spec.deadline, catchup: spec.catchup)
            onCycle()
            if due.expired {
                do {
                    try await sink.expire(triggerID: spec.id)
                    logger.info("trigger expired", metadata: ["trigger": "\(spec.label)"])
                    return
                } catch {
                    await retryLater(error)
                    continue
                }
            }
            do {
                try await handle(due)
                if failures > 0 {
                    failures = 0
                    await sink.report(triggerID: spec.id, reason: nil)
                }
            } catch {
                await retryLater(error)
                continue
            }
            nextFire = due.nextFire
            var wakeAt = [due.nextFire, spec.deadline].compactMap { $0 }.min()
            // A file trigger with no pending file would only tick emptily: it sleeps until a file shows up (the
            // collector signals) or its deadline, and the ticks it slept through count as handled, as empty
            // ticks would have been (100 quiet triggers at 1 s cost 0.65 % of a core ticking).
            let idle = await files?.isIdle == true && due.nextFire != nil
            if idle { wakeAt = spec.deadline }
            let timeout = wakeAt.map { max(0, $0.timeIntervalSince(Date())) } ?? 86_400
            await wake.wait(timeout: .milliseconds(Int64(timeout * 1000) + 1))
            if idle, !stopped {
                let slept = spec.schedule.due(
                    now: Date(), lastHandled: lastHandled, deadline: spec.deadline, catchup: .none)
                if !slept.expired { lastHandled = slept.handledThrough }
            }
        }
    }

    /// Submits the due ticks, one transaction each; for file triggers each tick submits the ready files.
    private func handle(_ due: TriggerSchedule.Due) async throws {
        for fire in due.fires {
            guard !stopped, !Task.isCancelled else { return }
            if let files {
                // An empty tick is not persisted: that would be one synced transaction per trigger and interval
                // (100 quiet triggers at 1 s: 1.8 % of a core). After a restart the files are just looked at once
                // more; the live next fire is in ``details()``.
                if try await submitReadyFiles(files, nextFire: due.nextFire) {
                    try await sink.advance(triggerID: spec.id, handledThrough: fire.tick, nextFire: due.nextFire)
                }
            } else {
                let name = try await sink.fire(
                    triggerID: spec.id, tick: fire.tick, coalescedTicks: fire.coalesced, nextFire: due.nextFire)
                if let name {
                    logger.info("trigger fired", metadata: ["trigger": "\(spec.label)", "workflow": "\(name)"])
                }
            }
            lastHandled = fire.tick
        }
        // Also when only the next fire changed (a new cron trigger, a restart), so that it is what the API shows.
        if due.fires.isEmpty, due.handledThrough != lastHandled || due.nextFire != nextFire {
            try await sink.advance(triggerID: spec.id, handledThrough: due.handledThrough, nextFire: due.nextFire)
            lastHandled = due.handledThrough
        }
    }

    /// - Returns: whether a workflow was submitted.
    private func submitReadyFiles(_ files: FileCollector, nextFire: Date?) async throws -> Bool {
        let ready = await files.readyFiles(now: Date())
        guard !ready.isEmpty else { return false }
        var submitted = false
        let known = try await sink.alreadySubmitted(triggerID: spec.id, files: ready)
        let fresh = ready.filter { !known.contains($0) }
        await files.forget(Set(ready).intersection(known))
        for batch in files.batches(fresh) {
            guard !stopped, !Task.isCancelled else { return submitted }
            let name = try await sink.submitFiles(triggerID: spec.id, files: batch, nextFire: nextFire)
            await files.forget(Set(batch))
            if let name {
                submitted = true
                logger.info(
                    "trigger submitted files",
                    metadata: ["trigger": "\(spec.label)", "workflow": "\(name)", "files": "\(batch.count)"])
            }
        }
        return submitted
    }

    private func retryLater(_ error: any Error) async {
        failures += 1
        let delay = backoff.delay(afterFailures: failures, jitterKey: spec.label)
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        logger.error(
            "trigger submission failed", metadata: ["trigger": "\(spec.label)", "error": "\(error)"])
        await sink.report(
            triggerID: spec.id,
            reason: "submission failed (\(failures) in a row): \(error); retrying in \(Int(seconds.rounded(.up))) s")
        await wake.wait(timeout: delay)
    }

    /// Stops the trigger; returns once it can submit nothing more.
    public func stop() async {
        stopped = true
        wake.signal()
        if done { return }
        await withCheckedContinuation { doneWaiters.append($0) }
    }

    /// Live details for `trigger-status` (file triggers: watched roots, pending files).
    public func details() async -> FileTriggerStatus? {
        var status = await files?.status(now: Date())
        var next = nextFire
        if let n = next, n < Date() {
            // Sleeping through empty ticks: the next one from now.
            next =
                spec.schedule.due(now: Date(), lastHandled: lastHandled, deadline: spec.deadline, catchup: .none)
                .nextFire
        }
        status?.nextFire = next
        return status
    }

    private func finish() {
        done = true
        for waiter in doneWaiters { waiter.resume() }
        doneWaiters.removeAll()
    }
}
