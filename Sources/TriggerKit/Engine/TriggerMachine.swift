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
        /// Submit the workflow of a tick (time triggers): a scheduled one, a manual one or the buffered one.
        case fire(tick: Date, coalesced: Int, nextFire: Date?, kind: FireKind)
        /// Look at these pending files (stat under a read lease, ready marker) and report with ``inspected(_:now:)``.
        case inspect([String])
        /// Submit one workflow for these ready files and record them in the ledger, in one transaction. `first`:
        /// the tick's first batch, which the overlap policy judges (a further batch belongs to a tick let go).
        case submit([ScannedFile], nextFire: Date?, kind: FireKind, first: Bool)
        /// The buffered tick is spent without a workflow (nothing was pending when it could go): clear it.
        case unbuffer
        /// Persist the schedule position.
        case advance(handledThrough: Date?, nextFire: Date?)
        /// Show (or, with nil, clear) why the trigger is unhealthy.
        case report(String?)
        /// Sleep until this time (nil: until woken by a file), then call ``woke(now:)``.
        case sleep(until: Date?)
    }

    private enum Work: Sendable {
        case none
        case inspecting(tick: Date, nextFire: Date?, kind: FireKind)
        case submitting(tick: Date, nextFire: Date?, kind: FireKind, batches: [[ScannedFile]], submittedAny: Bool)
    }

    /// What a manual fire (``requestManualFire()``) did.
    public struct ManualOutcome: Sendable, Equatable {
        /// The workflows submitted.
        public var workflows: [String] = []
        /// Why nothing (or not everything) was submitted: skipped by the overlap policy, paused, a failure.
        public var note: String?

        public init(workflows: [String] = [], note: String? = nil) {
            self.workflows = workflows
            self.note = note
        }
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
    /// When that grace wait ends.
    private var graceUntil: Date?
    /// The last sleep was an idle one (a file trigger with no pending file sleeping through its ticks).
    private var sleptIdle = false
    /// Paused (by the spec, or because the store said the trigger no longer runs): nothing is submitted.
    public private(set) var paused: Bool
    /// Overlap `buffer-one`: the tick waiting for the trigger's active workflow to end.
    public private(set) var bufferedTick: Date?
    /// A workflow of the trigger ended: the buffered tick is tried again.
    private var retryBuffered = false
    private var manualRequested = false
    /// Manual requests made, and the last one the running manual tick answers.
    private var manualRequests = 0
    private var manualRunFor = 0
    /// The last request the outcome taken by ``takeManualOutcome()`` answers.
    public private(set) var manualAnswered = 0
    /// The manual fire in progress, with what it submitted so far.
    private var manual: ManualOutcome?
    /// The finished manual fire, until the runner takes it.
    private var manualDone: ManualOutcome?

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
        self.paused = spec.paused
        self.bufferedTick = spec.bufferedTick
        // After a restart the buffered tick is tried once: its workflow may have ended while the server was down.
        self.retryBuffered = spec.bufferedTick != nil
    }

    // MARK: - Decisions

    /// The next action at `now`.
    public mutating func next(now: Date) -> Action {
        if let report = pendingReport {
            pendingReport = nil
            return .report(report)
        }
        if let retryAt, now < retryAt {
            // A manual fire is answered at once rather than after the backoff.
            finishManual(note: "not fired: the trigger is retrying a failed submission")
            return .sleep(until: retryAt)
        }
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
        case .submitting(let tick, let nextFire, let kind, let batches, let submittedAny):
            if let batch = batches.first {
                return .submit(batch, nextFire: nextFire, kind: kind, first: !submittedAny)
            }
            work = .none
            switch kind {
            case .scheduled:
                lastHandled = tick
                self.nextFire = nextFire
                if submittedAny {
                    pendingAdvance = (tick, nextFire)
                    return .advance(handledThrough: tick, nextFire: nextFire)
                }
            case .manual: finishManual()
            case .buffered: break
            }
        }

        if paused {
            finishManual(note: "the trigger is paused")
            if let deadline, now >= deadline { return .expire }
            return .sleep(until: deadline)
        }
        if manualRequested, let action = startManual(now: now) { return action }
        var bufferedWake: Date?
        if retryBuffered, let tick = bufferedTick {
            switch startBuffered(tick, now: now) {
            case .act(let action): return action
            case .wait(let until): bufferedWake = until
            case .none: break
            }
        }

        let due = schedule.due(now: now, lastHandled: lastHandled, deadline: deadline, catchup: catchup)
        if due.expired { return .expire }
        if let files, let tick = due.fires.last?.tick {
            // A file trigger's tick: inspect what is due (waiting a moment for files about to be).
            if graceTick != tick, let soon = files.soonDue(now: now, within: files.rules.tickGrace) {
                graceTick = tick
                graceUntil = soon
                return .sleep(until: soon)
            }
            // Woken before the grace wait ended (a file event, a resume): the tick keeps waiting, rather than
            // being spent on files not due yet.
            if graceTick == tick, let until = graceUntil, until.timeIntervalSince(now) > 1e-6 {
                return .sleep(until: until)
            }
            let candidates = files.dueForInspection(now: now)
            if !candidates.isEmpty {
                work = .inspecting(tick: tick, nextFire: due.nextFire, kind: .scheduled)
                return .inspect(candidates)
            }
            // An empty tick is not persisted: that would be one synced transaction per trigger and interval.
            lastHandled = tick
        } else if files == nil, let fire = due.fires.first {
            return .fire(tick: fire.tick, coalesced: fire.coalesced, nextFire: due.nextFire, kind: .scheduled)
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
        if files?.isIdle == true && due.nextFire != nil && bufferedWake == nil {
            sleptIdle = true
            return .sleep(until: deadline)
        }
        return .sleep(until: [due.nextFire, deadline, bufferedWake].compactMap { $0 }.min())
    }

    // MARK: - Manual and buffered ticks

    /// A manual tick (`fire-trigger`): a time trigger submits a workflow now; a file trigger looks at its files due
    /// now. It answers every request made so far. Nil when there is nothing to do (a file trigger with no file due).
    private mutating func startManual(now: Date) -> Action? {
        manualRequested = false
        manualRunFor = manualRequests
        manual = ManualOutcome()
        guard let files else { return .fire(tick: now, coalesced: 1, nextFire: nextFire, kind: .manual) }
        let candidates = files.dueForInspection(now: now)
        guard !candidates.isEmpty else {
            finishManual()
            return nil
        }
        work = .inspecting(tick: now, nextFire: nextFire, kind: .manual)
        return .inspect(candidates)
    }

    private enum BufferedStep {
        case act(Action)
        case wait(Date)
        case none
    }

    /// The buffered tick, tried again after a workflow of the trigger ended (or at a start). A file trigger whose
    /// pending files are not due yet (just found by a start's scan) waits until they are; one with no pending file
    /// spends the tick.
    private mutating func startBuffered(_ tick: Date, now: Date) -> BufferedStep {
        guard let files else {
            retryBuffered = false
            return .act(.fire(tick: tick, coalesced: 1, nextFire: nextFire, kind: .buffered))
        }
        let candidates = files.dueForInspection(now: now)
        if !candidates.isEmpty {
            retryBuffered = false
            work = .inspecting(tick: now, nextFire: nextFire, kind: .buffered)
            return .act(.inspect(candidates))
        }
        if let due = files.nextDue { return .wait(due) }
        retryBuffered = false
        bufferedTick = nil
        return .act(.unbuffer)
    }

    /// Asks for one tick now, outside the schedule; its outcome comes from ``takeManualOutcome()``, and
    /// ``manualAnswered`` says up to which request it answers.
    /// - Returns: the request's number.
    @discardableResult
    public mutating func requestManualFire() -> Int {
        manualRequests += 1
        if paused {
            manualDone = ManualOutcome(note: "the trigger is paused")
            manualAnswered = manualRequests
        } else {
            manualRequested = true
        }
        return manualRequests
    }

    /// The outcome of a finished manual fire, once.
    public mutating func takeManualOutcome() -> ManualOutcome? {
        defer { manualDone = nil }
        return manualDone
    }

    /// Ends the manual fire in progress, or (with a note) answers the requests not started yet.
    private mutating func finishManual(note: String? = nil) {
        if var outcome = manual {
            if outcome.note == nil { outcome.note = note }
            manualDone = outcome
            manualAnswered = manualRunFor
            manual = nil
        } else if manualRequested, let note {
            manualRequested = false
            manualDone = ManualOutcome(note: note)
            manualAnswered = manualRequests
        }
    }

    /// A workflow of the trigger ended: a buffered tick is tried again.
    public mutating func workflowEnded() {
        if bufferedTick != nil { retryBuffered = true }
    }

    /// What a submission's result means for the machine, whatever its kind.
    private mutating func note(_ result: SubmissionResult, kind: FireKind) {
        switch result {
        case .submitted(let name):
            if kind == .manual { manual?.workflows.append(name) }
            // Any workflow now is the one the buffered tick waited for.
            bufferedTick = nil
        case .nothing:
            if kind == .buffered { bufferedTick = nil }
        case .skipped(let reason):
            if kind == .manual { manual?.note = "skipped: \(reason)" }
        case .buffered(let reason):
            if kind == .manual { manual?.note = "skipped: \(reason)" }
        case .notRunning:
            // Paused or ended in the store: the supervisor restarts or stops this trigger; until then it waits.
            paused = true
            if kind == .manual { manual?.note = "the trigger is not running" }
        }
    }

    // MARK: - Results

    /// A tick's workflow was submitted, or the sink says why not.
    public mutating func fired(tick: Date, nextFire: Date?, kind: FireKind, result: SubmissionResult) {
        note(result, kind: kind)
        defer { if result != .notRunning { succeeded() } }
        switch kind {
        case .scheduled:
            lastHandled = tick
            self.nextFire = nextFire
            if case .buffered = result { bufferedTick = tick }
        case .manual:
            finishManual()
        case .buffered:
            break
        }
    }

    /// The schedule position was persisted (or the trigger expired).
    public mutating func advanced() {
        pendingAdvance = nil
        succeeded()
    }

    /// The results of an ``Action/inspect(_:)``.
    public mutating func inspected(_ results: [FileInspection], now: Date) {
        guard case .inspecting(let tick, let nextFire, let kind) = work, let options = fileOptions else { return }
        let ready = files?.inspected(results, now: now) ?? []
        if ready.isEmpty {
            work = .none
            switch kind {
            case .scheduled:
                lastHandled = tick
                self.nextFire = nextFire
            case .manual: finishManual()
            // Nothing ready yet: the tick stays buffered (the next scheduled submission takes its place).
            case .buffered: break
            }
        } else {
            work = .submitting(
                tick: tick, nextFire: nextFire, kind: kind, batches: options.batches(ready), submittedAny: false)
        }
    }

    /// A batch went to the sink. Submitted (or already in the ledger): its files are settled. Skipped or buffered
    /// by the overlap policy, or refused because the trigger no longer runs: its files stay pending, and the
    /// tick's other batches wait with them.
    public mutating func submitted(_ batch: [ScannedFile], result: SubmissionResult) {
        guard case .submitting(let tick, let nextFire, let kind, var batches, let submittedAny) = work else {
            if result.workflow != nil || result == .nothing { files?.settle(batch) }
            return
        }
        note(result, kind: kind)
        switch result {
        case .submitted, .nothing:
            files?.settle(batch)
            if !batches.isEmpty { batches.removeFirst() }
        case .skipped, .notRunning:
            batches = []
        case .buffered:
            batches = []
            if kind == .scheduled { bufferedTick = tick }
        }
        work = .submitting(
            tick: tick, nextFire: nextFire, kind: kind, batches: batches,
            submittedAny: submittedAny || result.workflow != nil)
        if result != .notRunning { succeeded() }
    }

    /// An action of the store failed: retry after the backoff; the tick in progress starts again then, and a
    /// schedule position not yet persisted is written again.
    /// - Returns: the delay before the next attempt.
    @discardableResult
    public mutating func failed(_ error: any Error, now: Date) -> Duration {
        failures += 1
        if manual != nil { manual?.note = "failed: \(error)" }
        finishManual(note: "failed: \(error)")
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
