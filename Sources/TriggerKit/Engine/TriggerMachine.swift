import Foundation
import Watchers

/// Every decision of one trigger, as a pure state machine: what to do next given the schedule, the pending files,
/// the results of earlier actions and `now`.
///
/// The runner (``TriggerRunner``) asks ``next(now:)`` for an ``Action``, carries it out (store transaction,
/// inspection on the I/O thread, sleep on its clock) and reports the result back (``fired(tick:nextFire:)``,
/// ``inspected(_:now:)``, ``submitted(_:workflow:)``, ``failed(_:now:)``, ...). Events of the watcher enter through
/// ``files``. Because nothing here reads a clock or touches a file, every timing rule (ticks, catch-up, deadlines,
/// quiet and settle periods, backoff) is tested by feeding it times.
public struct TriggerMachine: Sendable {
    /// What the runner must do next.
    public enum Action: Sendable, Equatable {
        /// The deadline passed: mark the trigger EXPIRED and end.
        case expire
        /// Submit the workflow of a schedule tick (time triggers).
        case fire(tick: Date, coalesced: Int, nextFire: Date?)
        /// Look at these pending files (stat under a read lease, ready marker) and report with ``inspected(_:now:)``.
        case inspect([String])
        /// Submit one workflow for these ready files and record them in the ledger, in one transaction.
        case submit([ScannedFile], nextFire: Date?)
        /// Persist the schedule position.
        case advance(handledThrough: Date?, nextFire: Date?)
        /// Show (or, with nil, clear) why the trigger is unhealthy.
        case report(String?)
        /// Sleep until this time (nil: until woken by a file), then call ``woke(now:)``.
        case sleep(until: Date?)
    }

    private enum Work: Sendable {
        case none
        case inspecting(tick: Date, nextFire: Date?)
        case submitting(tick: Date, nextFire: Date?, batches: [[ScannedFile]], submittedAny: Bool)
    }

    /// The schedule.
    public let schedule: TriggerSchedule
    /// What to do with missed ticks.
    public let catchup: CatchupPolicy
    /// The absolute deadline.
    public let deadline: Date?
    /// Retry delays after failures.
    public let backoff: Backoff
    /// A stable key (the trigger's label) for the backoff.
    public let label: String
    /// File options; nil for time triggers.
    public let fileOptions: FileTriggerOptions?
    /// The pending files of a file trigger; feed the watcher's events here.
    public var files: FileReadiness?

    /// The scheduled time of the last tick handled.
    public private(set) var lastHandled: Date?
    /// The next tick as decided by the last handled cycle.
    public private(set) var nextFire: Date?
    /// Consecutive failures.
    public private(set) var failures = 0
    private var retryAt: Date?
    private var pendingReport: String??
    /// A schedule position to persist; kept until the store has it, so a failed write is retried.
    private var pendingAdvance: (handledThrough: Date?, nextFire: Date?)?
    private var work = Work.none
    /// The tick whose grace wait (for the files about to become ready) was already taken.
    private var graceTick: Date?
    /// The last sleep was an idle one (a file trigger with no pending file sleeping through its ticks).
    private var sleptIdle = false

    /// Creates the machine of a trigger.
    public init(spec: TriggerSpec, backoff: Backoff = .submission) {
        self.schedule = spec.schedule
        self.catchup = spec.catchup
        self.deadline = spec.deadline
        self.backoff = backoff
        self.label = spec.label
        self.fileOptions = spec.files
        self.lastHandled = spec.lastHandled
        self.nextFire = spec.nextFire
        self.files = spec.files.map {
            FileReadiness(patterns: $0.patterns, rules: $0.rules, excludedDirectories: $0.excludedDirectories)
        }
    }

    // MARK: - Decisions

    /// The next action at `now`.
    public mutating func next(now: Date) -> Action {
        if let report = pendingReport {
            pendingReport = nil
            return .report(report)
        }
        if let retryAt, now < retryAt { return .sleep(until: retryAt) }
        retryAt = nil
        if let pending = pendingAdvance {
            return .advance(handledThrough: pending.handledThrough, nextFire: pending.nextFire)
        }
        switch work {
        case .none:
            break
        case .inspecting:
            // The inspection was not reported (it failed): start the tick again.
            work = .none
        case .submitting(let tick, let nextFire, let batches, let submittedAny):
            if let batch = batches.first { return .submit(batch, nextFire: nextFire) }
            work = .none
            lastHandled = tick
            self.nextFire = nextFire
            if submittedAny {
                pendingAdvance = (tick, nextFire)
                return .advance(handledThrough: tick, nextFire: nextFire)
            }
        }

        let due = schedule.due(now: now, lastHandled: lastHandled, deadline: deadline, catchup: catchup)
        if due.expired { return .expire }
        if let files, let tick = due.fires.last?.tick {
            // A file trigger's tick: inspect what is due (waiting a moment for files about to be).
            if graceTick != tick, let soon = files.soonDue(now: now, within: files.rules.tickGrace) {
                graceTick = tick
                return .sleep(until: soon)
            }
            let candidates = files.dueForInspection(now: now)
            if !candidates.isEmpty {
                work = .inspecting(tick: tick, nextFire: due.nextFire)
                return .inspect(candidates)
            }
            // An empty tick is not persisted: that would be one synced transaction per trigger and interval.
            lastHandled = tick
        } else if files == nil, let fire = due.fires.first {
            return .fire(tick: fire.tick, coalesced: fire.coalesced, nextFire: due.nextFire)
        } else if due.fires.isEmpty, due.handledThrough != lastHandled || due.nextFire != nextFire {
            // Ticks skipped by catch-up, or only the next fire changed (a new cron trigger, a restart).
            lastHandled = due.handledThrough
            nextFire = due.nextFire
            pendingAdvance = (due.handledThrough, due.nextFire)
            return .advance(handledThrough: due.handledThrough, nextFire: due.nextFire)
        }
        nextFire = due.nextFire

        // A file trigger with no pending file would only tick emptily: it sleeps until a file shows up or its
        // deadline, and the ticks it slept through count as handled (see ``woke(now:)``).
        if files?.isIdle == true && due.nextFire != nil {
            sleptIdle = true
            return .sleep(until: deadline)
        }
        return .sleep(until: [due.nextFire, deadline].compactMap { $0 }.min())
    }

    // MARK: - Results

    /// A tick's workflow was submitted (or the tick was already recorded).
    public mutating func fired(tick: Date, nextFire: Date?) {
        lastHandled = tick
        self.nextFire = nextFire
        succeeded()
    }

    /// The schedule position was persisted (or the trigger expired).
    public mutating func advanced() {
        pendingAdvance = nil
        succeeded()
    }

    /// The results of an ``Action/inspect(_:)``.
    public mutating func inspected(_ results: [FileInspection], now: Date) {
        guard case .inspecting(let tick, let nextFire) = work, let options = fileOptions else { return }
        let ready = files?.inspected(results, now: now) ?? []
        if ready.isEmpty {
            work = .none
            lastHandled = tick
            self.nextFire = nextFire
        } else {
            work = .submitting(tick: tick, nextFire: nextFire, batches: options.batches(ready), submittedAny: false)
        }
    }

    /// A batch was committed: `workflow` is the submitted workflow's name, nil when the ledger already had every
    /// file (or the trigger is no longer running). Either way the files are settled.
    public mutating func submitted(_ batch: [ScannedFile], workflow: String?) {
        files?.settle(batch)
        if case .submitting(let tick, let nextFire, var batches, let submittedAny) = work {
            if !batches.isEmpty { batches.removeFirst() }
            work = .submitting(
                tick: tick, nextFire: nextFire, batches: batches, submittedAny: submittedAny || workflow != nil)
        }
        succeeded()
    }

    /// An action of the store failed: retry after the backoff; the tick in progress starts again then, and a
    /// schedule position not yet persisted is written again.
    /// - Returns: the delay before the next attempt.
    @discardableResult
    public mutating func failed(_ error: any Error, now: Date) -> Duration {
        failures += 1
        work = .none
        let delay = backoff.delay(afterFailures: failures, jitterKey: label)
        retryAt = backoff.retryTime(afterFailures: failures, failedAt: now, jitterKey: label)
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        pendingReport = .some(
            "submission failed (\(failures) in a row): \(error); retrying in \(Int(seconds.rounded(.up))) s")
        return delay
    }

    /// A sleep ended at `now` (its time came, or a file woke the trigger).
    public mutating func woke(now: Date) {
        guard sleptIdle else { return }
        sleptIdle = false
        let slept = schedule.due(now: now, lastHandled: lastHandled, deadline: deadline, catchup: .none)
        if !slept.expired { lastHandled = slept.handledThrough }
    }

    private mutating func succeeded() {
        if failures > 0 {
            failures = 0
            pendingReport = .some(nil)
        }
    }

    // MARK: - Status

    /// The next tick from `now` as the running trigger sees it (the stored one is stale while it sleeps idle).
    public func liveNextFire(now: Date) -> Date? {
        if let next = nextFire, next >= now { return next }
        return schedule.due(now: now, lastHandled: lastHandled, deadline: deadline, catchup: .none).nextFire
    }
}
