import Foundation
import Logging
import Watchers

/// One trigger: an actor that carries out what its ``TriggerMachine`` decides (store transactions through the
/// sink, file inspections on the I/O thread, sleeps on the injected clock) and feeds the results back.
///
/// A file trigger subscribes to the server's watch hub; a child task turns the hub's events into the machine's
/// inputs (scans run on the I/O thread). ``stop()`` returns only after the run loop has ended, so nothing is
/// submitted after it returns; a submission that was already in its transaction completes first.
public actor TriggerRunner {
    /// The trigger.
    public let spec: TriggerSpec
    let sink: any TriggerSink
    let logger: Logger
    let clock: any TriggerClock
    let watching: FileWatching?
    let alarms: TriggerAlarms?
    let onCycle: @Sendable () -> Void
    /// Hands a time trigger that runs in slices back to the supervisor for a new slice.
    let needsSlice: @Sendable (TriggerRunner) -> Void
    /// The trigger's metric series (nil without metrics) and the file timings they need.
    let metrics: TriggerSeries?
    private var latencies = FileLatencies()
    private var machine: TriggerMachine
    private let wake = AsyncSignal()
    private var subscription: WatchSubscription?
    /// The last completed scan, for the status.
    private var lastScan: FileTriggerStatus.Scan?
    private var stopped = false
    private var done = false
    /// Run in slices by the supervisor (``runSlice()``): between slices the trigger holds no task.
    private var sliced = false
    private var sliceRunning = false
    private var sleptBetweenSlices = false
    private var alarmToken: Int?
    private var doneWaiters: [CheckedContinuation<Void, Never>] = []
    /// Callers of ``fireNow()`` with their request numbers.
    private var manualWaiters: [(ticket: Int, continuation: CheckedContinuation<TriggerMachine.ManualOutcome, Never>)] =
        []

    /// Creates a runner.
    /// - Parameters:
    ///   - watching: the server's hub and I/O thread; required for file triggers (a private one is made if nil).
    ///   - clock: the clock ticks, quiet periods and backoff are measured on.
    ///   - alarms: the server's shared timer (on `clock`); without it each sleep runs its own timer task.
    ///   - onCycle: called whenever the trigger evaluates its schedule (liveness for `/health`).
    ///   - metrics: where its ticks, submissions and file timings are counted.
    public init(
        spec: TriggerSpec, sink: any TriggerSink, logger: Logger, backoff: Backoff = .submission,
        clock: any TriggerClock = SystemTriggerClock(), watching: FileWatching? = nil, alarms: TriggerAlarms? = nil,
        onCycle: @escaping @Sendable () -> Void = {},
        needsSlice: @escaping @Sendable (TriggerRunner) -> Void = { _ in },
        metrics: TriggerMetrics = .disabled
    ) {
        self.metrics = metrics.series(for: spec)
        self.needsSlice = needsSlice
        self.alarms = alarms
        self.spec = spec
        self.sink = sink
        self.logger = logger
        self.clock = clock
        self.watching = spec.files == nil ? nil : (watching ?? FileWatching())
        self.onCycle = onCycle
        self.machine = TriggerMachine(spec: spec, backoff: backoff)
    }

    /// Runs until stopped, cancelled, or expired.
    public func run() async {
        defer { finish() }
        if let options = spec.files, let watching {
            await runWatching(options, watching)
        } else {
            await loop()
        }
    }

    /// How a slice of a time trigger ended.
    public enum SliceOutcome: Sendable, Equatable {
        /// The trigger ended (stopped, expired, cancelled).
        case finished
        /// The trigger sleeps until this time (nil: until nothing; it has no tick and no deadline left).
        case sleeping(until: Date?)
        /// A slice was already running (a wake-up raced the alarm): that one goes on.
        case alreadyRunning
    }

    /// Runs a time trigger until it would sleep, and says until when. The supervisor runs time triggers this way
    /// and starts the next slice when the shared timer rings, so a sleeping trigger holds no task (10,000 hourly
    /// triggers cost their actors, not 10,000 suspended tasks).
    public func runSlice() async -> SliceOutcome {
        guard !done else { return .finished }
        guard !sliceRunning else { return .alreadyRunning }
        sliced = true
        sliceRunning = true
        if let alarmToken { alarms?.cancel(alarmToken) }
        alarmToken = nil
        defer { sliceRunning = false }
        if sleptBetweenSlices {
            sleptBetweenSlices = false
            machine.woke(now: clock.now())
        }
        while !stopped && !Task.isCancelled {
            let action = decide()
            if case .sleep(let until) = action {
                sleptBetweenSlices = true
                return .sleeping(until: until)
            }
            if await perform(action) == .finished { break }
        }
        finish()
        return .finished
    }

    /// The supervisor's alarm for the next slice, cancelled if the trigger stops first.
    func setAlarm(_ token: Int) {
        if stopped || done {
            alarms?.cancel(token)
        } else {
            if let alarmToken, alarmToken != token { alarms?.cancel(alarmToken) }
            alarmToken = token
        }
    }

    /// A file trigger: subscribes to the hub, feeds its events to the machine, and runs the loop.
    private func runWatching(_ options: FileTriggerOptions, _ watching: FileWatching) async {
        let subscribed = await watching.subscribe(roots: options.roots, options: options.watch)
        let subscription = subscribed.subscription
        self.subscription = subscription
        defer { watching.unsubscribe(subscribed) }
        // A first scan before the first tick (the hub's own "initial scan" follows once the watches are in place,
        // and covers what appears in between).
        await scan(options.roots, options, watching)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.intake(subscription.events, options: options, watching: watching) }
            group.addTask { await self.reconcile(every: options.reconcileInterval, options: options) }
            await loop()
            group.cancelAll()
        }
    }

    // MARK: - Carrying out the machine's actions

    /// Asks the machine, carries out, repeats. Kept small on purpose: a sleeping trigger's task holds only this
    /// frame and the sleep's (10,000 sleeping triggers), while the work of an action lives in ``perform(_:)``'s
    /// frame only while it runs.
    private func loop() async {
        while !stopped && !Task.isCancelled {
            let action = decide()
            if case .sleep(let until) = action {
                await sleep(until: until)
                machine.woke(now: clock.now())
            } else if await perform(action) == .finished {
                return
            }
        }
    }

    /// The machine's next action; a manual fire it finished on the way is answered.
    private func decide() -> TriggerMachine.Action {
        let action = machine.next(now: clock.now())
        onCycle()
        countPending()
        if let outcome = machine.takeManualOutcome() { resumeManual(outcome) }
        return action
    }

    private enum Outcome {
        case next, finished
    }

    /// Carries out one action (other than sleeping) and reports its result to the machine.
    private func perform(_ action: TriggerMachine.Action) async -> Outcome {
        do {
            switch action {
            case .expire:
                try await sink.expire(triggerID: spec.id)
                machine.advanced()
                metrics?.destroy()
                logger.info("trigger expired", metadata: ["trigger": "\(spec.label)"])
                return .finished
            case .fire(let tick, let coalesced, let nextFire, let kind):
                metrics?.tick()
                let result = try await sink.fire(
                    triggerID: spec.id, tick: tick, coalescedTicks: coalesced, nextFire: nextFire, kind: kind)
                machine.fired(tick: tick, nextFire: nextFire, kind: kind, result: result)
                metrics?.count(result)
                log(result, kind: kind)
            case .inspect(let paths):
                guard let watching, let options = spec.files else { return .finished }
                metrics?.tick()
                let results = await watching.inspect(
                    paths, rules: options.rules, followSymlinks: options.watch.followSymlinks)
                machine.inspected(results, now: clock.now())
            case .submit(let files, let nextFire, let kind, let first):
                if let metrics { metrics.settled(latencies.taken(files.map(\.path), at: clock.now())) }
                let result = try await sink.submitFiles(
                    triggerID: spec.id, files: files.map(TriggerInput.init), nextFire: nextFire, kind: kind,
                    firstOfTick: first)
                if let metrics, case .submitted = result {
                    metrics.recorded(latencies.recorded(files.map(\.path), at: clock.now()))
                }
                metrics?.count(result)
                machine.submitted(files, result: result)
                log(result, kind: kind, files: files.count)
            case .advance(let handledThrough, let nextFire):
                try await sink.advance(triggerID: spec.id, handledThrough: handledThrough, nextFire: nextFire)
                machine.advanced()
            case .unbuffer:
                try await sink.unbuffer(triggerID: spec.id)
            case .report(let reason):
                await sink.report(triggerID: spec.id, reason: reason)
            case .sleep:
                break
            }
        } catch {
            machine.failed(error, now: clock.now())
            metrics?.failed()
            logger.error("trigger submission failed", metadata: ["trigger": "\(spec.label)", "error": "\(error)"])
        }
        if let outcome = machine.takeManualOutcome() { resumeManual(outcome) }
        return .next
    }

    private func log(_ result: SubmissionResult, kind: FireKind, files: Int? = nil) {
        var metadata: Logger.Metadata = ["trigger": "\(spec.label)", "kind": "\(kind.rawValue)"]
        if let files { metadata["files"] = "\(files)" }
        switch result {
        case .submitted(let name):
            metadata["workflow"] = "\(name)"
            logger.info(files == nil ? "trigger fired" : "trigger submitted files", metadata: metadata)
        case .skipped(let reason):
            metadata["reason"] = "\(reason)"
            logger.notice("trigger tick skipped (overlap skip)", metadata: metadata)
        case .buffered(let reason):
            metadata["reason"] = "\(reason)"
            logger.notice("trigger tick buffered (overlap buffer-one)", metadata: metadata)
        case .nothing, .notRunning:
            break
        }
    }

    /// Sleeps until `until` (nil: until woken) or a signal (a file, a stop).
    private func sleep(until: Date?) async {
        guard let alarms else {
            await wake.wait(until: until, clock: clock)
            return
        }
        let token = until.map { alarms.schedule($0, signal: wake) }
        await wake.wait()
        if let token { alarms.cancel(token) }
    }

    // MARK: - Files

    /// Turns the hub's events into the machine's inputs until cancelled.
    private func intake(_ events: WatchEventSequence, options: FileTriggerOptions, watching: FileWatching) async {
        for await event in events {
            if Task.isCancelled { return }
            switch event {
            case .fileClosed(let path), .fileMovedIn(let path):
                if machine.files?.fileChanged(path, now: clock.now()) == true { wake.signal() }
                if metrics != nil, machine.files?.pending[path] != nil { latencies.closed(path, at: clock.now()) }
                countPending()
            case .fileRemoved(let path):
                machine.files?.removed(path)
                latencies.forget(path)
            case .rescanNeeded(let root, let reason):
                metrics?.rescanned()
                logger.debug(
                    "rescan", metadata: ["trigger": "\(spec.label)", "root": "\(root)", "reason": "\(reason)"])
                await scan(options.roots.filter { $0.path == root }, options, watching)
            case .rootAppeared(let root):
                await scan(options.roots.filter { $0.path == root }, options, watching)
            case .directoryCreated, .rootGone:
                // A new directory is watched and listed by the hub, which reports its files as events.
                break
            }
        }
    }

    /// Scans every root every `interval` seconds, as a safety net for anything a watch missed.
    private func reconcile(every interval: Double, options: FileTriggerOptions) async {
        guard let watching, interval > 0 else { return }
        let alarm = AsyncSignal()
        while !Task.isCancelled {
            let deadline = clock.now().addingTimeInterval(interval)
            if let alarms {
                let token = alarms.schedule(deadline, signal: alarm)
                await alarm.wait()
                alarms.cancel(token)
            } else {
                await alarm.wait(until: deadline, clock: clock)
            }
            if Task.isCancelled { return }
            await scan(options.roots, options, watching)
        }
    }

    /// Scans roots on the I/O thread and hands what it found to the machine. The files it knows nothing of are
    /// first checked against the ledger in one read: those already recorded are settled without an inspection, so
    /// a restart over a million submitted files costs one scan and one read, not a million writer probes.
    private func scan(_ roots: [WatchRoot], _ options: FileTriggerOptions, _ watching: FileWatching) async {
        guard let filter = machine.files?.filter else { return }
        let started = ContinuousClock.now
        let found = await watching.scan(roots, followSymlinks: options.watch.followSymlinks, filter: filter)
        // One pass: files settled with this identity need nothing, pending ones go back to the machine as found,
        // unknown ones are asked about.
        let (pendingFound, unknown) = machine.files?.sorted(found) ?? ([], [])
        var fresh = unknown
        var recorded = 0
        if !unknown.isEmpty {
            do {
                let flags = try await sink.recordedFlags(triggerID: spec.id, files: unknown.map(TriggerInput.init))
                var known: [ScannedFile] = []
                fresh = []
                for (file, isRecorded) in zip(unknown, flags) {
                    if isRecorded { known.append(file) } else { fresh.append(file) }
                }
                recorded = known.count
                machine.files?.recordedFound(known, filtered: true)
            } catch {
                // Not fatal: the files are inspected and the submitting transaction checks the ledger.
                logger.warning(
                    "ledger check of a scan failed", metadata: ["trigger": "\(spec.label)", "error": "\(error)"])
            }
        }
        if machine.files?.filesFound(pendingFound + fresh, now: clock.now(), filtered: true) == true { wake.signal() }
        if metrics != nil, let files = machine.files {
            // The pending files (few), not every file found (maybe a million already submitted): those not known
            // yet were first seen now.
            let now = clock.now()
            for path in files.pending.keys { latencies.seen(path, at: now) }
        }
        countPending()
        let took = started.duration(to: .now)
        lastScan = FileTriggerStatus.Scan(
            count: (lastScan?.count ?? 0) + 1, finished: clock.now(),
            seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18, files: found.count,
            recorded: recorded)
    }

    /// Sets the pending-files gauge, and forgets the timings of files no longer pending.
    private func countPending() {
        guard let metrics, let files = machine.files else { return }
        metrics.pending(files.pendingCount)
        latencies.prune(pendingCount: files.pendingCount) { files.pending[$0] != nil }
    }

    // MARK: - Control and status

    /// Stops the trigger; returns once it can submit nothing more.
    public func stop() async {
        stopped = true
        wake.signal()
        if done { return }
        if sliced && !sliceRunning {
            // Asleep between slices: nothing runs, so nothing can submit any more.
            if let alarmToken { alarms?.cancel(alarmToken) }
            alarmToken = nil
            finish()
            return
        }
        await withCheckedContinuation { doneWaiters.append($0) }
    }

    /// One tick now, outside the schedule (`fire-trigger`); returns what it submitted.
    public func fireNow() async -> TriggerMachine.ManualOutcome {
        guard !stopped, !done else { return TriggerMachine.ManualOutcome(note: "the trigger is not running") }
        let ticket = machine.requestManualFire()
        if let outcome = machine.takeManualOutcome() {
            resumeManual(outcome)
            return outcome
        }
        wakeUp()
        return await withCheckedContinuation { manualWaiters.append((ticket, $0)) }
    }

    /// A workflow of the trigger ended: a buffered tick may go now.
    public func workflowEnded() {
        machine.workflowEnded()
        wakeUp()
    }

    /// Wakes the trigger: a time trigger asleep between slices gets a new slice (its alarm is cancelled), any
    /// other is signalled.
    private func wakeUp() {
        guard !done, !stopped else { return }
        if sliced && !sliceRunning {
            if let alarmToken { alarms?.cancel(alarmToken) }
            alarmToken = nil
            needsSlice(self)
        } else {
            wake.signal()
        }
    }

    /// Answers the callers whose requests the outcome covers; later ones wait for their own tick.
    private func resumeManual(_ outcome: TriggerMachine.ManualOutcome, all: Bool = false) {
        let through = machine.manualAnswered
        let answered = manualWaiters.filter { all || $0.ticket <= through }
        manualWaiters.removeAll { all || $0.ticket <= through }
        for waiter in answered { waiter.continuation.resume(returning: outcome) }
    }

    /// A dry run: the next `count` fire times, and for a file trigger which pending files would go into the next
    /// workflow and why the others wait. Files are looked at on the I/O thread; nothing changes.
    public func preview(count: Int) async -> TriggerPreview {
        let now = clock.now()
        let first = machine.liveNextFire(now: now)
        let times = first.map { spec.schedule.upcoming(from: $0, count: count, deadline: spec.deadline) } ?? []
        guard let options = spec.files, let watching, let files = machine.files else {
            return TriggerPreview(paused: machine.paused, fireTimes: times)
        }
        let paths = files.pendingPaths
        let results = await watching.inspect(
            paths, rules: options.rules, followSymlinks: options.watch.followSymlinks)
        var verdicts = files.preview(results, now: clock.now())
        let inputs = verdicts.ready.map(TriggerInput.init)
        if let recorded = try? await sink.recorded(triggerID: spec.id, files: inputs), !recorded.isEmpty {
            verdicts.ready.removeAll { recorded.contains(TriggerInput($0)) }
        }
        let batches = options.batches(verdicts.ready)
        return TriggerPreview(
            paused: machine.paused, fireTimes: times, nextWorkflow: batches.first?.map(\.path) ?? [],
            laterWorkflows: max(0, batches.count - 1), pending: verdicts.waiting)
    }

    /// Live details for `trigger-status` (file triggers: watched roots and their readiness rule, pending files).
    public func details() -> FileTriggerStatus? {
        guard let options = spec.files, let files = machine.files, let watching else { return nil }
        let now = clock.now()
        let watched = subscription?.status() ?? []
        return FileTriggerStatus(
            roots: watched.map { FileTriggerStatus.Root($0, rule: files.rootRules[$0.root]) },
            pendingFiles: files.pendingCount,
            oldestPendingAge: files.oldestPending.map { now.timeIntervalSince($0) },
            nextFire: machine.liveNextFire(now: now), quietPeriod: options.rules.quietPeriod,
            settle: options.rules.settle, readyMarker: options.rules.readyMarker?.glob,
            hub: FileTriggerStatus.Hub(watching.status()), lastScan: lastScan)
    }

    /// The live next fire (file and time triggers).
    public var nextFire: Date? { machine.liveNextFire(now: clock.now()) }

    private func finish() {
        done = true
        if let outcome = machine.takeManualOutcome() { resumeManual(outcome) }
        resumeManual(TriggerMachine.ManualOutcome(note: "the trigger ended"), all: true)
        for waiter in doneWaiters { waiter.resume() }
        doneWaiters.removeAll()
    }
}
