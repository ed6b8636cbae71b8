import Foundation
import Logging
import ServiceLifecycle

/// Runs every trigger as its own actor: restores the running ones at start, starts new ones at once, stops
/// them by id. One failing trigger never affects another (each retries on its own, with backoff). The file
/// triggers share one watch hub and one I/O thread (``FileWatching``), stopped when the supervisor ends.
public actor TriggerSupervisor: Service {
    let sink: any TriggerSink
    let logger: Logger
    let clock: any TriggerClock
    /// The hub and I/O thread of every file trigger.
    public nonisolated let watching: FileWatching
    /// The one timer of every sleeping trigger.
    public nonisolated let alarms: TriggerAlarms
    let restore: @Sendable () async throws -> [TriggerSpec]
    let reload: (@Sendable (Int64) async throws -> TriggerSpec?)?
    let changes: AsyncStream<Int64>
    let onCycle: @Sendable () -> Void
    let metrics: TriggerMetrics
    private var runners: [Int64: TriggerRunner] = [:]
    private let (newRunners, newRunner) = AsyncStream.makeStream(of: TriggerRunner.self)

    /// - Parameters:
    ///   - restore: loads the triggers to run at start (those persisted as running).
    ///   - changes: ids of triggers whose workflows ended (a buffered tick may go, the failure policy may have
    ///     paused the trigger); each is looked up again with `reload` (nil: it no longer runs).
    ///   - onCycle: called whenever a trigger evaluates its schedule (liveness for `/health`).
    ///   - metrics: where the triggers count their ticks, submissions and file timings.
    public init(
        sink: any TriggerSink, logger: Logger, restore: @escaping @Sendable () async throws -> [TriggerSpec],
        reload: (@Sendable (Int64) async throws -> TriggerSpec?)? = nil,
        changes: AsyncStream<Int64> = AsyncStream { $0.finish() },
        clock: any TriggerClock = SystemTriggerClock(), watching: FileWatching = FileWatching(),
        onCycle: @escaping @Sendable () -> Void = {}, metrics: TriggerMetrics = .disabled
    ) {
        self.metrics = metrics
        self.reload = reload
        self.changes = changes
        self.sink = sink
        self.logger = logger
        self.clock = clock
        self.watching = watching
        self.alarms = TriggerAlarms(clock: clock)
        self.restore = restore
        self.onCycle = onCycle
    }

    public func run() async throws {
        defer { watching.shutdown() }
        var restored = 0
        for spec in try await restore() {
            await start(spec)
            restored += 1
        }
        onCycle()
        logger.info("trigger supervisor started", metadata: ["triggers": "\(restored)"])
        let stream = newRunners
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                let (alarms, again) = (self.alarms, self.newRunner)
                group.addTask { await alarms.run() }
                let changes = self.changes
                group.addTask {
                    for await id in changes { await self.changed(id: id) }
                }
                for await runner in stream {
                    guard runner.spec.files == nil else {
                        group.addTask { await runner.run() }
                        continue
                    }
                    // A time trigger runs in slices: asleep, it holds no task; the timer (or a wake-up) brings it
                    // back.
                    group.addTask {
                        guard case .sleeping(let until?) = await runner.runSlice() else { return }
                        let token = alarms.schedule(until) { again.yield(runner) }
                        await runner.setAlarm(token)
                    }
                }
            }
        }
    }

    /// Starts a trigger (it evaluates its schedule at once). A trigger with the same id is stopped first. With a
    /// `reload`, the trigger is started as stored after that stop (so that racing pauses, resumes, updates and
    /// stops end with the runner the store says), and not at all when it has ended.
    public func start(_ spec: TriggerSpec) async {
        // Loop: another start of the same id may have slipped in while this one waited for a stop.
        var stopped: TriggerSeries?
        while let old = runners.removeValue(forKey: spec.id) {
            await old.stop()
            stopped = old.metrics ?? stopped
        }
        var spec = spec
        if let reload {
            do {
                guard let stored = try await reload(spec.id) else {
                    // Ended meanwhile: its series go with it.
                    retire(stopped, id: spec.id)
                    return
                }
                spec = stored
            } catch {
                logger.error("cannot reload trigger", metadata: ["trigger": "\(spec.label)", "error": "\(error)"])
            }
            while let old = runners.removeValue(forKey: spec.id) {
                await old.stop()
            }
        }
        let again = newRunner
        let runner = TriggerRunner(
            spec: spec, sink: sink, logger: logger, clock: clock, watching: watching, alarms: alarms, onCycle: onCycle,
            needsSlice: { again.yield($0) }, metrics: metrics)
        runners[spec.id] = runner
        newRunner.yield(runner)
    }

    /// Stops a trigger; when this returns it submits nothing more.
    public func stop(id: Int64) async {
        guard let runner = runners.removeValue(forKey: id) else { return }
        await runner.stop()
        // Deleted or ended: its series leave the registry (a restart of the same trigger goes through start).
        retire(runner.metrics, id: id)
    }

    /// A trigger's series leave the registry once no runner of it is left. Runners of one trigger share them (the
    /// registry hands out the same series for the same labels), so a start that slipped in while the old runner
    /// stopped keeps them.
    private func retire(_ series: TriggerSeries?, id: Int64) {
        if runners[id] == nil { series?.destroy() }
    }

    /// The running trigger's live file status, if it is a file trigger.
    public func details(id: Int64) async -> FileTriggerStatus? {
        guard let runner = runners[id] else { return nil }
        return await runner.details()
    }

    /// One tick of a running trigger now (`fire-trigger`); nil when it does not run here.
    public func fire(id: Int64) async -> TriggerMachine.ManualOutcome? {
        guard let runner = runners[id] else { return nil }
        return await runner.fireNow()
    }

    /// A dry run of a running (or paused) trigger; nil when it does not run here.
    public func preview(id: Int64, count: Int) async -> TriggerPreview? {
        guard let runner = runners[id] else { return nil }
        return await runner.preview(count: count)
    }

    /// A workflow of the trigger ended: a buffered tick may go now, and a trigger its failure policy paused (or
    /// that ended) is restarted paused (or stopped).
    func changed(id: Int64) async {
        guard let runner = runners[id] else { return }
        let spec: TriggerSpec?
        do {
            spec = try await reload?(id) ?? runner.spec
        } catch {
            logger.error("cannot reload trigger", metadata: ["trigger": "\(runner.spec.label)", "error": "\(error)"])
            await runner.workflowEnded()
            return
        }
        guard let spec else { return await stop(id: id) }
        if spec.paused == runner.spec.paused {
            await runner.workflowEnded()
            return
        }
        if spec.paused {
            logger.warning(
                "trigger paused", metadata: ["trigger": "\(spec.label)", "reason": "\(spec.pauseReason ?? "")"])
        }
        await start(spec)
    }

    /// The ids of the triggers running now.
    public var runningIDs: [Int64] { Array(runners.keys) }
}
